// SPDX-License-Identifier: GPL-2.0
/*
 * User side of io.bpf.c. Each sample reads the kernel's records (one per socket and process,
 * holding counts flushed from the per-CPU slots) and then the slots themselves, through a
 * read-only mapping. A connection's total is its record plus whatever slots still hold for it.
 * Reading records before slots means a flush between the two reads can only hide counts for
 * one sample, never count them twice; totals are then held monotonic.
 *
 * A released socket's record is final once no slot refers to it: it is read once more,
 * deleted from the kernel map (so the map stays bounded however many connections come and
 * go). Then only the busiest --max-conns closed connections stay; each other one is folded
 * into its process's totals and counted there, so that memory stays bounded however many
 * connections come and go, and the totals stay exact. For conns, which looks closed
 * connections up by the records of its own BPF object (they may come a sample later), a
 * closed connection stays two more samples before it is weighed.
 */
#include "io.h"
#include "hooks.h"
#include "loader.h"
#include "run.h"
#include "sys.h"
#include "io.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { CH_SEND, CH_RECV, CH_BYPASS, CH_RELEASE, CH_COOKIE, CH_COUNT };

struct slot_sum {
	struct ss_sock_key key;
	struct ss_counts n;
};

/* A closed connection kept for the summary, in a min-heap by bytes: the root goes first. */
struct kept {
	struct ss_sock_key key;
	uint64_t bytes;
};

struct ss_io {
	struct ld_obj lo;
	struct io_bpf *skel; /* lo.skel */
	const uint8_t *slots;
	size_t ncpus, mmap_len;
	struct htab conns, procs, released, slotsum, deferred;
	struct ss_sock_key *keys;
	struct ss_sock_rec *vals;
	size_t cap;
	struct ss_sock_key *fresh, *aging; /* reaped in the last sample and in the one before */
	size_t nfresh, naging;
	struct kept *kept; /* the busiest closed connections, a min-heap */
	size_t nkept, keep;
	bool linger; /* closed connections wait in fresh and aging before they are weighed */
	bool waiting; /* in ss_io_wait, which a stop may cut short */
};

static int on_notice(void *ctx, void *data, size_t size)
{
	struct ss_io *io = ctx;
	const struct ss_release *n = data;

	if (size >= sizeof(*n))
		htab_get(&io->released, &n->sock_id, NULL);
	/* libbpf drains until the buffer is empty, which sockets closing fast enough never let
	 * happen: a stop ends the wait's drain (libbpf 1.1 honours only a negative return);
	 * the next sample takes in what is left */
	return io->waiting && ss_stop ? -EINTR : 0;
}

/*
 * Typed hooks make cookies themselves; untyped ones (the bypass hook is always untyped) need
 * the cgroup programs' help, or one socket would be counted under two ids.
 */
static bool cookies_wanted(const struct ss_choice *ch)
{
	return ld_untyped(&ch[CH_SEND]) || ld_untyped(&ch[CH_RECV]) || ch[CH_BYPASS].way >= 0;
}

/* In the order of CH_*: counting ones are required, the others degrade. */
static const struct ld_hook io_hooks[CH_COUNT] = {
	{ &hook_sock_send, true },
	{ &hook_sock_recv, true },
	{ &hook_recv_bypass, false,
	  "TCP data read by splice(2), io_uring splice or zerocopy is not counted" },
	{ &hook_sock_release, false, "records of closed sockets stay until the table fills" },
	{ &hook_sock_cookie, false, "sockets older than their first call may merge",
	  .wanted = cookies_wanted },
};

static void configure(void *skel, const struct ss_opts *o, unsigned flags, const void *cfg)
{
	struct io_bpf *s = skel;

	(void)flags;
	(void)cfg;
	s->rodata->filt = o->filt;
	s->rodata->filt.self_tgid = (uint32_t)getpid();
	LD_SOCK_HOOKS_CONFIG(s->rodata);
	bpf_map__set_max_entries(s->maps.slots, (uint32_t)libbpf_num_possible_cpus());
	bpf_map__set_max_entries(s->maps.socks, o->max_sockets);
}

static int filters(void *skel, const struct ss_opts *o, char *err, size_t len)
{
	struct io_bpf *s = skel;

	return ld_fill_filters(s->bss->pid_bits, bpf_map__fd(s->maps.cgroup_filter), o, err, len);
}

LD_SKELETON(io)

const struct ld_cap ss_io_cap = {
	.name = "io",
	.open = io_skel_open,
	.destroy = io_skel_destroy,
	.hooks = io_hooks,
	.nhooks = CH_COUNT,
	.uses = (const struct ld_use[]){ { "top, trace, conns, serve" }, { NULL } },
	.configure = configure,
	.filters = filters,
	.rings = (const struct ld_ring[]){ { "notices", on_notice }, { NULL } },
	.stats_map = "io_stats",
	.nstats = sizeof(struct ss_io_stats) / sizeof(__u64),
	.lost_fields = LD_FIELD(struct ss_io_stats, untracked_calls) |
		       LD_FIELD(struct ss_io_stats, flush_misses) |
		       LD_FIELD(struct ss_io_stats, notice_drops),
};

static int map_views(struct ss_io *io, char *err, size_t len)
{
	io->mmap_len = io->ncpus * sizeof(struct ss_slot_block);
	io->slots = mmap(NULL, io->mmap_len, PROT_READ, MAP_SHARED,
			 bpf_map__fd(io->skel->maps.slots), 0);
	if (io->slots == MAP_FAILED) {
		io->slots = NULL;
		snprintf(err, len, "cannot map the counting slots: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int alloc_tables(struct ss_io *io, const struct ss_opts *o)
{
	io->cap = o->max_sockets;
	io->keys = calloc(io->cap, sizeof(*io->keys));
	io->vals = calloc(io->cap, sizeof(*io->vals));
	io->fresh = calloc(io->cap, sizeof(*io->fresh));
	io->aging = calloc(io->cap, sizeof(*io->aging));
	if (!io->keys || !io->vals || !io->fresh || !io->aging ||
	    ss_io_keep_closed(io, o->max_conns))
		return -1;
	if (htab_init(&io->conns, sizeof(struct ss_sock_key), sizeof(struct ss_conn)) ||
	    htab_init(&io->procs, sizeof(uint32_t), sizeof(struct ss_proc)) ||
	    htab_init(&io->released, sizeof(uint64_t), sizeof(uint64_t)) ||
	    htab_init(&io->deferred, sizeof(uint64_t), sizeof(uint64_t)) ||
	    htab_init(&io->slotsum, sizeof(struct ss_sock_key), sizeof(struct slot_sum)))
		return -1;
	return 0;
}

struct ss_io *ss_io_open(const struct ss_opts *o, char *err, size_t len)
{
	struct ss_io *io = calloc(1, sizeof(*io));
	int n = libbpf_num_possible_cpus();
	const struct ld_req req = { .o = o, .ctx = io };

	if (!io || n <= 0 || alloc_tables(io, o)) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	io->ncpus = (size_t)n;
	if (ld_open(&io->lo, &ss_io_cap, &req, err, len))
		goto fail;
	io->skel = io->lo.skel;
	if (map_views(io, err, len))
		goto fail;
	return io;
fail:
	ss_io_close(io);
	return NULL;
}

const struct ss_choice *ss_io_choices(const struct ss_io *io, size_t *n)
{
	*n = CH_COUNT;
	return io->lo.ch;
}

void ss_io_describe(const struct ss_io *io, FILE *f)
{
	ld_describe(io->lo.ch, CH_COUNT, f);
}

void ss_io_wait(struct ss_io *io, int timeout_ms)
{
	io->waiting = true;
	ring_buffer__poll(io->lo.rb, timeout_ms);
	io->waiting = false;
}

/* Fills io->keys/vals with every kernel record; batched, with a per-key fallback. */
static ssize_t read_records(struct ss_io *io)
{
	int fd = bpf_map__fd(io->skel->maps.socks);
	uint64_t in = 0, out = 0;
	size_t n = 0;
	bool first = true;
	int err;

	while (n < io->cap) {
		__u32 count = (__u32)(io->cap - n);

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, io->keys + n, io->vals + n,
					   &count, NULL);
		n += count;
		if (err == -ENOENT)
			return (ssize_t)n;
		if (err)
			break;
		in = out;
		first = false;
	}
	/* kernels without batch lookups, or a bucket too large for the space left */
	n = 0;
	for (void *prev = NULL; n < io->cap; prev = &io->keys[n - 1]) {
		if (bpf_map_get_next_key(fd, prev, &io->keys[n]))
			break;
		if (!bpf_map_lookup_elem(fd, &io->keys[n], &io->vals[n]))
			n++;
	}
	return (ssize_t)n;
}

/* A consistent copy of one slot, or false if the kernel kept rewriting it. */
static bool read_slot(const volatile struct ss_slot *s, struct ss_slot *out)
{
	for (int tries = 0; tries < 4; tries++) {
		uint16_t gen = s->gen;

		if (gen & 1)
			continue;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		out->sock_id = s->sock_id;
		out->tgid = s->tgid;
		out->state = s->state;
		for (int d = 0; d < 2; d++) {
			out->n.bytes[d] = s->n.bytes[d];
			out->n.calls[d] = s->n.calls[d];
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (s->gen == gen)
			return true;
	}
	return false;
}

static void read_slots(struct ss_io *io)
{
	htab_clear(&io->slotsum);
	for (size_t cpu = 0; cpu < io->ncpus; cpu++) {
		const volatile struct ss_slot_block *blk =
			(const volatile void *)(io->slots + cpu * sizeof(struct ss_slot_block));

		for (unsigned i = 0; i < SS_SLOTS; i++) {
			struct ss_slot s;
			struct ss_sock_key key = { 0 };
			struct slot_sum *sum;

			if (!blk->slot[i].sock_id || !read_slot(&blk->slot[i], &s) ||
			    s.state != SS_SLOT_COUNT)
				continue;
			key.sock_id = s.sock_id;
			key.tgid = s.tgid;
			sum = htab_get(&io->slotsum, &key, NULL);
			if (sum)
				counts_add(&sum->n, &s.n);
		}
	}
}

static void update_conn(struct ss_conn *c, const struct ss_sock_rec *rec,
			const struct ss_counts *kernel)
{
	struct ss_counts sum = c->base;

	if (c->final) {
		/* the pair came back after its record was reaped: continue from its total */
		c->final = false;
		c->base = c->n;
		sum = c->n;
	}
	counts_add(&sum, kernel);
	counts_max(&c->n, &sum);
	c->rec = *rec;
}

static void kept_sift_down(struct kept *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct kept t;

		if (l < n && h[l].bytes < h[m].bytes)
			m = l;
		if (l + 1 < n && h[l + 1].bytes < h[m].bytes)
			m = l + 1;
		if (m == i)
			return;
		t = h[i], h[i] = h[m], h[m] = t;
		i = m;
	}
}

static void kept_push(struct kept *h, size_t *n, const struct kept *k)
{
	size_t i = (*n)++;

	h[i] = *k;
	while (i && h[(i - 1) / 2].bytes > h[i].bytes) {
		struct kept t = h[i];

		h[i] = h[(i - 1) / 2], h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Folds a closed connection into its process (counted if it moved data) and forgets it. */
static void fold(struct ss_io *io, const struct ss_sock_key *key)
{
	struct ss_conn *c = htab_find(&io->conns, key);
	struct ss_proc *p;

	if (!c)
		return;
	if (!c->final) { /* the pair came back: it is weighed again when reaped again */
		c->kept = false;
		return;
	}
	p = htab_get(&io->procs, &c->key.tgid, NULL);
	if (p && !p->comm[0])
		memcpy(p->comm, c->rec.comm, sizeof(p->comm));
	if (p && !counts_zero(&c->n)) {
		counts_add(&p->folded[proto_index(c->rec.a.proto)], &c->n);
		p->nfolded++;
	}
	htab_del(&io->conns, key);
}

/* Keeps a closed connection if it is among the busiest closed ones, else folds it. */
static void weigh_closed(struct ss_io *io, const struct ss_sock_key *key)
{
	struct ss_conn *c = htab_find(&io->conns, key);
	struct kept k = { *key, 0 };

	if (!c || !c->final || c->kept)
		return;
	k.bytes = counts_bytes(&c->n);
	if (io->nkept < io->keep && !counts_zero(&c->n)) {
		c->kept = true;
		kept_push(io->kept, &io->nkept, &k);
		return;
	}
	if (!io->nkept || k.bytes <= io->kept[0].bytes) {
		fold(io, &k.key); /* a copy: key may point into the entry fold deletes */
		return;
	}
	c->kept = true;
	k = io->kept[0];
	io->kept[0] = (struct kept){ *key, counts_bytes(&c->n) };
	kept_sift_down(io->kept, io->nkept, 0);
	fold(io, &k.key); /* last: deleting from the table moves its entries */
}

/* Weighs the connections reaped two samples ago; those of the last sample age. */
static void weigh_aged(struct ss_io *io)
{
	struct ss_sock_key *t = io->aging;

	for (size_t i = 0; i < io->naging; i++)
		weigh_closed(io, &io->aging[i]);
	io->aging = io->fresh;
	io->naging = io->nfresh;
	io->fresh = t;
	io->nfresh = 0;
}

/* The record is final: no slot holds counts for it and its socket is gone. */
static void reap(struct ss_io *io, struct ss_conn *c)
{
	int fd = bpf_map__fd(io->skel->maps.socks);
	struct ss_sock_rec rec;

	if (bpf_map_lookup_elem(fd, &c->key, &rec))
		return;
	update_conn(c, &rec, &rec.n);
	bpf_map_delete_elem(fd, &c->key);
	if (c->forgotten) { /* its process is no longer listed: nothing to keep it for */
		htab_del(&io->conns, &c->key);
		return;
	}
	c->final = true;
	if (io->linger && io->nfresh < io->cap)
		io->fresh[io->nfresh++] = c->key;
	else
		weigh_closed(io, &c->key);
}

static void sum_procs(struct ss_io *io)
{
	struct ss_proc *p;
	struct ss_conn *c;
	struct timespec now;
	struct ss_counts before;

	for (size_t i = 0; (p = htab_next(&io->procs, &i));)
		memcpy(p->by_proto, p->folded, sizeof(p->by_proto));
	for (size_t i = 0; (c = htab_next(&io->conns, &i));) {
		bool created;

		if (c->forgotten)
			continue;
		p = htab_get(&io->procs, &c->key.tgid, &created);
		if (!p)
			continue;
		if (created || !p->comm[0])
			memcpy(p->comm, c->rec.comm, sizeof(p->comm));
		counts_add(&p->by_proto[proto_index(c->rec.a.proto)], &c->n);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; (p = htab_next(&io->procs, &i));) {
		before = p->total;
		memset(&p->total, 0, sizeof(p->total));
		for (int k = 0; k < SS_NPROTO; k++)
			counts_add(&p->total, &p->by_proto[k]);
		if (memcmp(&before, &p->total, sizeof(before)))
			p->last_active_ns = (uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec;
	}
}

int ss_io_sample(struct ss_io *io)
{
	ssize_t n;
	struct ss_conn *c;
	struct htab tmp;

	ring_buffer__consume(io->lo.rb);
	weigh_aged(io);
	n = read_records(io);
	read_slots(io);
	htab_clear(&io->deferred);
	for (ssize_t i = 0; i < n; i++) {
		struct slot_sum *s = htab_find(&io->slotsum, &io->keys[i]);
		struct ss_counts k = io->vals[i].n;

		if (s)
			counts_add(&k, &s->n);
		c = htab_get(&io->conns, &io->keys[i], NULL);
		if (!c)
			return -1;
		update_conn(c, &io->vals[i], &k);
		if (!htab_find(&io->released, &io->keys[i].sock_id))
			continue;
		if (s)
			htab_get(&io->deferred, &io->keys[i].sock_id, NULL);
		else
			reap(io, c);
	}
	/* notices whose records still had counts in a slot wait for the next sample */
	tmp = io->released;
	io->released = io->deferred;
	io->deferred = tmp;
	sum_procs(io);
	return 0;
}

int ss_io_keep_closed(struct ss_io *io, size_t n)
{
	struct kept *h = realloc(io->kept, (n ? n : 1) * sizeof(*h));

	if (!h)
		return -1;
	io->kept = h;
	io->keep = n;
	io->nkept = 0;
	return 0;
}

void ss_io_linger_closed(struct ss_io *io)
{
	io->linger = true;
}

/* Drops a forgotten process's connections from the heap, which is then rebuilt. */
static void unkeep(struct ss_io *io, uint32_t tgid)
{
	size_t n = 0;

	for (size_t i = 0; i < io->nkept; i++)
		if (io->kept[i].key.tgid != tgid)
			io->kept[n++] = io->kept[i];
	io->nkept = n;
	for (size_t i = n / 2; i-- > 0;)
		kept_sift_down(io->kept, n, i);
}

void ss_io_forget(struct ss_io *io, uint32_t tgid)
{
	struct ss_sock_key *gone = calloc(io->conns.len + 1, sizeof(*gone));
	struct ss_conn *c;
	size_t n = 0;

	if (!gone)
		return;
	/*
	 * A released socket whose counts still sit in a CPU's slot is reaped only once another
	 * socket takes that slot, which on a quiet CPU may be long after its process exited:
	 * until then its record must not bring the process back, so it is only marked.
	 */
	for (size_t i = 0; (c = htab_next(&io->conns, &i));) {
		if (c->key.tgid == tgid && c->final)
			gone[n++] = c->key;
		else if (c->key.tgid == tgid)
			c->forgotten = true;
	}
	/* their keys may stay among the aging ones: weigh_closed skips keys no longer present */
	for (size_t i = 0; i < n; i++)
		htab_del(&io->conns, &gone[i]);
	htab_del(&io->procs, &tgid);
	unkeep(io, tgid);
	free(gone);
}

const struct htab *ss_io_conns(const struct ss_io *io)
{
	return &io->conns;
}

const struct ss_conn *ss_io_find(struct ss_io *io, uint64_t sock_id, uint32_t tgid)
{
	struct ss_sock_key key = { .sock_id = sock_id, .tgid = tgid };
	const struct ss_conn *c = htab_find(&io->conns, &key);

	if (!c && !ss_io_sample(io))
		c = htab_find(&io->conns, &key);
	return c;
}

const struct htab *ss_io_procs(const struct ss_io *io)
{
	return &io->procs;
}

uint64_t ss_io_lost(const struct ss_io *io)
{
	return ld_lost(&io->lo);
}

void ss_io_close(struct ss_io *io)
{
	if (!io)
		return;
	if (io->slots)
		munmap((void *)io->slots, io->mmap_len);
	ld_close(&io->lo);
	htab_free(&io->conns);
	htab_free(&io->procs);
	htab_free(&io->released);
	htab_free(&io->deferred);
	htab_free(&io->slotsum);
	free(io->keys);
	free(io->vals);
	free(io->fresh);
	free(io->aging);
	free(io->kept);
	free(io);
	ss_probe_cleanup();
	ss_unmount_ours();
}
