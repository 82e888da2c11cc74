// SPDX-License-Identifier: GPL-2.0
/* User side of conns.bpf.c: see readers/conns.h. */
#include "readers/conns.h"
#include "attach/hooks.h"
#include "attach/capability.h"
#include "core/run.h"
#include "attach/sys.h"
#include "core/htab.h"
#include "conns.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CH_ITER, CH_STATE, CH_RETRANS, CH_RESET_TX, CH_RESET_RX, CH_DESTROY, CH_ACCEPT, CH_DROP,
       CH_BAD_CSUM, CH_CONG, CH_COUNT };

struct conns_reader {
	struct cap_obj lo;
	struct conns_bpf *skel; /* lo.skel */
	struct conns_handlers h;
	struct run_slice slice; /* of the poll under way */
	struct htab seen; /* sock_ids listed in this pass */
	struct ss_conn_row *rows;
	size_t cap;
	struct ss_tcp_total_key *tkeys;
	uint64_t *tvals;
	size_t tcap;
};

static const char *const states[] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	"CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE",
};

const char *tcp_state_name(unsigned s)
{
	return s < sizeof(states) / sizeof(states[0]) ? states[s] : "?";
}

const char *ca_state_name(unsigned ca)
{
	static const char *const names[] = { "open", "disorder", "cwr", "recovery", "loss" };

	return ca < 5 ? names[ca] : "?";
}

const char *role_name(unsigned role)
{
	static const char *const names[] = { "-", "client", "server", "listen" };

	return role < 4 ? names[role] : "?";
}

const char *drop_reason_name(unsigned reason)
{
	static char buf[64];
	struct btf *btf = sys_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if ((unsigned)e[i].val == reason && name)
			return strncmp(name, "SKB_DROP_REASON_", 16) ? name : name + 16;
	}
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct conns_reader *t = ctx;

	if (size == sizeof(struct ss_conn_row) && t->h.final)
		t->h.final(t->h.ctx, data);
	else if (size == sizeof(struct ss_conn_event) && t->h.event)
		t->h.event(t->h.ctx, data);
	/* records that keep coming must not keep the caller from its stop and its clock */
	return run_slice_over(&t->slice) ? -EINTR : 0;
}

/* Which optional tracepoint arguments this kernel passes, per its BTF. */
static int tp_arity(const char *tp)
{
	char name[128];
	struct btf *btf = sys_vmlinux_btf();
	int id;
	const struct btf_type *t;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) : -1;
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* pointer */
	t = btf__type_by_id(btf, t->type);			   /* function prototype */
	return btf_vlen(t) - 1;					   /* without the void *ctx */
}

static void configure(void *skel, const struct opts *o, unsigned flags, const void *cfg)
{
	struct conns_bpf *s = skel;

	(void)cfg;
	s->rodata->filt = o->filt;
	s->rodata->filt.self_tgid = (uint32_t)getpid();
	s->rodata->want_events = flags & CONNS_EVENTS;
	s->rodata->want_totals = flags & CONNS_TOTALS;
	s->rodata->retrans_has_err = tp_arity("tcp_retransmit_skb") >= 3;
	s->rodata->kfree_has_rx_sk = tp_arity("kfree_skb") >= 4;
}

static int filters(void *skel, const struct opts *o, char *err, size_t len)
{
	struct conns_bpf *s = skel;

	return cap_fill_filters(s->bss->pid_bits, bpf_map__fd(s->maps.cgroup_filter), o, err, len);
}

/*
 * In the order of CH_*. Hooks only the event stream (or serve's drop counters) needs are
 * left out of a table.
 */
static const struct cap_hook conns_hooks[CH_COUNT] = {
	{ &hook_conn_iter, true },
	{ &hook_conn_state, true },
	{ &hook_conn_retrans, true },
	{ &hook_conn_reset_tx, true },
	{ &hook_conn_reset_rx, true },
	{ &hook_conn_destroy, true },
	{ &hook_conn_accept, false, "accepted sockets are attributed at the next refresh" },
	{ &hook_conn_drop, false, "no drop events", CONNS_EVENTS | CONNS_TOTALS },
	{ &hook_conn_bad_csum, false, "no bad checksum events", CONNS_EVENTS },
	{ &hook_conn_cong, false, "no congestion state events", CONNS_EVENTS },
};

CAP_SKELETON(conns)

const struct capability conns_cap = {
	.name = "conns",
	.open = conns_skel_open,
	.destroy = conns_skel_destroy,
	.hooks = conns_hooks,
	.nhooks = CH_COUNT,
	.uses = (const struct cap_use[]){ { "conns" },
					 { "conns", "--events", CONNS_EVENTS },
					 { "serve", NULL, CONNS_TOTALS },
					 { NULL } },
	.configure = configure,
	.filters = filters,
	/* a final record left at a stop only fed a next table, which a stop never shows */
	.rings = (const struct cap_ring[]){ { "finals", on_record },
					    { "events", on_record, .lost_if_unread = true },
					    { NULL } },
	.stats_map = "conn_stats",
	.nstats = sizeof(struct ss_conn_stats) / sizeof(__u64),
	.lost_fields = CAP_FIELD(struct ss_conn_stats, event_drops) |
		       CAP_FIELD(struct ss_conn_stats, final_drops),
};

struct conns_reader *conns_open(const struct opts *o, unsigned flags,
			   const struct conns_handlers *h, char *err, size_t len)
{
	struct conns_reader *t = calloc(1, sizeof(*t));
	const struct cap_req req = { .o = o, .flags = flags, .ctx = t };

	if (!t || htab_init(&t->seen, sizeof(uint64_t), sizeof(uint64_t))) {
		snprintf(err, len, "out of memory");
		free(t);
		return NULL;
	}
	t->h = *h;
	if (cap_open(&t->lo, &conns_cap, &req, err, len)) {
		conns_close(t);
		return NULL;
	}
	t->skel = t->lo.skel;
	return t;
}

const struct hook_choice *conns_choices(const struct conns_reader *t, size_t *n)
{
	*n = CH_COUNT;
	return t->lo.ch;
}

void conns_describe(const struct conns_reader *t, FILE *f)
{
	cap_describe(t->lo.ch, CH_COUNT, f);
}

/* Appends one iterator record; a socket open in several processes is listed once. */
static int add_row(struct conns_reader *t, const struct ss_conn_row *r, size_t *n)
{
	bool created;

	if (!htab_get(&t->seen, &r->sock_id, &created))
		return -1;
	if (!created)
		return 0;
	if (*n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct ss_conn_row *grown = realloc(t->rows, cap * sizeof(*grown));

		if (!grown)
			return -1;
		t->rows = grown;
		t->cap = cap;
	}
	t->rows[(*n)++] = *r;
	return 0;
}

int conns_rows(struct conns_reader *t, const struct ss_conn_row **rows, size_t *n)
{
	struct bpf_link *link = hook_links_find(&t->lo.links, t->skel->progs.conn_iter);
	struct ss_conn_row r;
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	ssize_t got;
	int ret = 0;

	*n = 0;
	htab_clear(&t->seen);
	if (fd < 0)
		return -1;
	while ((got = read(fd, &r, sizeof(r))) == (ssize_t)sizeof(r))
		if (add_row(t, &r, n))
			ret = -1;
	if (got < 0)
		ret = -1;
	close(fd);
	*rows = t->rows;
	return ret;
}

void conns_poll(struct conns_reader *t, int timeout_ms)
{
	run_slice_start(&t->slice);
	ring_buffer__poll(t->lo.rb, timeout_ms);
}

int conns_totals(struct conns_reader *t, struct ss_tcp_total_key **keys, uint64_t **vals, size_t *n)
{
	int fd = bpf_map__fd(t->skel->maps.tcp_totals);
	struct ss_tcp_total_key k;
	bool first = true;

	*n = 0;
	/* one lookup per key: these are per-process counters, a few hundred at most */
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &k)) {
		first = false;
		if (*n == t->tcap) {
			size_t cap = t->tcap ? 2 * t->tcap : 256;
			void *gk = realloc(t->tkeys, cap * sizeof(*t->tkeys));
			void *gv = gk ? realloc(t->tvals, cap * sizeof(*t->tvals)) : NULL;

			if (gk)
				t->tkeys = gk;
			if (!gv)
				return -1;
			t->tvals = gv;
			t->tcap = cap;
		}
		t->tkeys[*n] = k;
		if (!bpf_map_lookup_elem(fd, &k, &t->tvals[*n]))
			(*n)++;
	}
	*keys = t->tkeys;
	*vals = t->tvals;
	return 0;
}

void conns_forget(struct conns_reader *t, uint32_t tgid)
{
	int fd = bpf_map__fd(t->skel->maps.tcp_totals);
	size_t n;
	struct ss_tcp_total_key *keys;
	uint64_t *vals;

	if (conns_totals(t, &keys, &vals, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (keys[i].tgid == tgid)
			bpf_map_delete_elem(fd, &keys[i]);
}

uint64_t conns_unread(struct conns_reader *t)
{
	return cap_unread(&t->lo);
}

uint64_t conns_lost(const struct conns_reader *t)
{
	return cap_lost(&t->lo);
}

void conns_close(struct conns_reader *t)
{
	if (!t)
		return;
	cap_close(&t->lo);
	htab_free(&t->seen);
	free(t->rows);
	free(t->tkeys);
	free(t->tvals);
	free(t);
}
