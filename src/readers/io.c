// SPDX-License-Identifier: GPL-2.0
/*
 * User side of io.bpf.c: loads and attaches the counters, and reads them. Each sample reads
 * the kernel's records (one per socket and process, holding counts flushed from the per-CPU
 * slots) and then the slots themselves, through a read-only mapping, and hands both to the
 * accounting (core/acct.c), which keeps the totals monotonic. Reading records before slots
 * means a flush between the two reads can only hide counts for one sample, never count them
 * twice.
 *
 * A released socket's record is final once no slot refers to it: it is read once more and
 * deleted from the kernel map, so the map stays bounded however many connections come and go.
 */
#include "readers/io.h"
#include "attach/hooks.h"
#include "attach/capability.h"
#include "core/run.h"
#include "attach/sys.h"
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
#include <unistd.h>

enum { CH_SEND, CH_RECV, CH_BYPASS, CH_RELEASE, CH_COOKIE, CH_COUNT };

struct slot_sum {
	struct ss_sock_key key;
	struct ss_counts n;
};

struct io_reader {
	struct cap_obj lo;
	struct io_bpf *skel; /* lo.skel */
	const uint8_t *slots;
	size_t ncpus, mmap_len;
	struct acct acct;
	struct htab slotsum;
	struct ss_sock_key *keys;
	struct ss_sock_rec *vals;
	size_t cap;
	bool waiting; /* in io_wait, which a stop may cut short */
};

static int on_notice(void *ctx, void *data, size_t size)
{
	struct io_reader *io = ctx;
	const struct ss_release *n = data;

	if (size >= sizeof(*n))
		acct_released(&io->acct, n->sock_id);
	/* libbpf drains until the buffer is empty, which sockets closing fast enough never let
	 * happen: a stop ends the wait's drain (libbpf 1.1 honours only a negative return);
	 * the next sample takes in what is left */
	return io->waiting && run_stop ? -EINTR : 0;
}

/*
 * Typed hooks make cookies themselves; untyped ones (the bypass hook is always untyped) need
 * the cgroup programs' help, or one socket would be counted under two ids.
 */
static bool cookies_wanted(const struct hook_choice *ch)
{
	return cap_untyped(&ch[CH_SEND]) || cap_untyped(&ch[CH_RECV]) || ch[CH_BYPASS].way >= 0;
}

/* In the order of CH_*: counting ones are required, the others degrade. */
static const struct cap_hook io_hooks[CH_COUNT] = {
	{ &hook_sock_send, true },
	{ &hook_sock_recv, true },
	{ &hook_recv_bypass, false,
	  "TCP data read by splice(2), io_uring splice or zerocopy is not counted" },
	{ &hook_sock_release, false, "records of closed sockets stay until the table fills" },
	{ &hook_sock_cookie, false, "sockets older than their first call may merge",
	  .wanted = cookies_wanted },
};

static void configure(void *skel, const struct opts *o, unsigned flags, const void *cfg)
{
	struct io_bpf *s = skel;

	(void)flags;
	(void)cfg;
	s->rodata->filt = o->filt;
	s->rodata->filt.self_tgid = (uint32_t)getpid();
	CAP_SOCK_HOOKS_CONFIG(s->rodata);
	bpf_map__set_max_entries(s->maps.slots, (uint32_t)libbpf_num_possible_cpus());
	bpf_map__set_max_entries(s->maps.socks, o->max_sockets);
}

static int filters(void *skel, const struct opts *o, char *err, size_t len)
{
	struct io_bpf *s = skel;

	return cap_fill_filters(s->bss->pid_bits, bpf_map__fd(s->maps.cgroup_filter), o, err, len);
}

CAP_SKELETON(io)

const struct capability io_cap = {
	.name = "io",
	.open = io_skel_open,
	.destroy = io_skel_destroy,
	.hooks = io_hooks,
	.nhooks = CH_COUNT,
	.uses = (const struct cap_use[]){ { "top, trace, conns, serve" }, { NULL } },
	.configure = configure,
	.filters = filters,
	.rings = (const struct cap_ring[]){ { "notices", on_notice }, { NULL } },
	.stats_map = "io_stats",
	.nstats = sizeof(struct ss_io_stats) / sizeof(__u64),
	.lost_fields = CAP_FIELD(struct ss_io_stats, untracked_calls) |
		       CAP_FIELD(struct ss_io_stats, flush_misses) |
		       CAP_FIELD(struct ss_io_stats, notice_drops),
};

static int map_views(struct io_reader *io, char *err, size_t len)
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

static int alloc_tables(struct io_reader *io, const struct opts *o)
{
	io->cap = o->max_sockets;
	io->keys = calloc(io->cap, sizeof(*io->keys));
	io->vals = calloc(io->cap, sizeof(*io->vals));
	if (!io->keys || !io->vals || acct_init(&io->acct, io->cap, o->max_conns))
		return -1;
	return htab_init(&io->slotsum, sizeof(struct ss_sock_key), sizeof(struct slot_sum));
}

struct io_reader *io_open(const struct opts *o, char *err, size_t len)
{
	struct io_reader *io = calloc(1, sizeof(*io));
	int n = libbpf_num_possible_cpus();
	const struct cap_req req = { .o = o, .ctx = io };

	if (!io || n <= 0 || alloc_tables(io, o)) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	io->ncpus = (size_t)n;
	if (cap_open(&io->lo, &io_cap, &req, err, len))
		goto fail;
	io->skel = io->lo.skel;
	if (map_views(io, err, len))
		goto fail;
	return io;
fail:
	io_close(io);
	return NULL;
}

const struct hook_choice *io_choices(const struct io_reader *io, size_t *n)
{
	*n = CH_COUNT;
	return io->lo.ch;
}

void io_describe(const struct io_reader *io, FILE *f)
{
	cap_describe(io->lo.ch, CH_COUNT, f);
}

void io_wait(struct io_reader *io, int timeout_ms)
{
	io->waiting = true;
	ring_buffer__poll(io->lo.rb, timeout_ms);
	io->waiting = false;
}

/* Fills io->keys/vals with every kernel record; batched, with a per-key fallback. */
static ssize_t read_records(struct io_reader *io)
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

static void read_slots(struct io_reader *io)
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

/* The record is final: no slot holds counts for it and its socket is gone. */
static void reap(struct io_reader *io, const struct ss_sock_key *key)
{
	int fd = bpf_map__fd(io->skel->maps.socks);
	struct ss_sock_rec rec;

	if (bpf_map_lookup_elem(fd, key, &rec))
		return;
	acct_reap(&io->acct, key, &rec);
	bpf_map_delete_elem(fd, key);
}

int io_sample(struct io_reader *io)
{
	ssize_t n;

	ring_buffer__consume(io->lo.rb);
	acct_begin(&io->acct);
	n = read_records(io);
	read_slots(io);
	for (ssize_t i = 0; i < n; i++) {
		const struct slot_sum *s = htab_find(&io->slotsum, &io->keys[i]);

		switch (acct_record(&io->acct, &io->keys[i], &io->vals[i], s ? &s->n : NULL)) {
		case ACCT_ERR:
			return -1;
		case ACCT_REAP:
			reap(io, &io->keys[i]);
			break;
		case ACCT_KEEP:
			break;
		}
	}
	acct_end(&io->acct, run_now_ns());
	return 0;
}

int io_keep_closed(struct io_reader *io, size_t n)
{
	return acct_keep_closed(&io->acct, n);
}

void io_linger_closed(struct io_reader *io)
{
	acct_linger_closed(&io->acct);
}

void io_forget(struct io_reader *io, uint32_t tgid)
{
	acct_forget(&io->acct, tgid);
}

const struct htab *io_socks(const struct io_reader *io)
{
	return &io->acct.conns;
}

const struct sock_acct *io_find(struct io_reader *io, uint64_t sock_id, uint32_t tgid)
{
	struct ss_sock_key key = { .sock_id = sock_id, .tgid = tgid };
	const struct sock_acct *c = htab_find(&io->acct.conns, &key);

	if (!c && !io_sample(io))
		c = htab_find(&io->acct.conns, &key);
	return c;
}

const struct htab *io_procs(const struct io_reader *io)
{
	return &io->acct.procs;
}

uint64_t io_lost(const struct io_reader *io)
{
	return cap_lost(&io->lo);
}

void io_close(struct io_reader *io)
{
	if (!io)
		return;
	if (io->slots)
		munmap((void *)io->slots, io->mmap_len);
	cap_close(&io->lo);
	acct_free(&io->acct);
	htab_free(&io->slotsum);
	free(io->keys);
	free(io->vals);
	free(io);
	probe_cleanup();
	sys_unmount_ours();
}
