// SPDX-License-Identifier: GPL-2.0
/*
 * Byte and call counters per (socket, process), for `top` and `serve`.
 *
 * The hot path runs on every socket send and receive in the system, so it does as little as
 * possible: it finds this CPU's cache slot for (socket cookie, process) by hashing, and adds
 * the call's return value there. Only a slot miss (a new pair, or two pairs hashing to one
 * slot) takes the slow path: flush the old occupant into the shared record map, test the
 * filters, and install the new pair. Measured here, a hit costs about as much as a per-CPU
 * array update; a socket-local-storage lookup or a hash lookup per call cost 2-3x more.
 *
 * Sockets are identified by their cookie, which is unique for the life of the system, so a
 * freed socket's memory being reused cannot merge two connections. When a socket is
 * released, a notice tells user space that its records are final and may be reaped.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* set to the number of possible CPUs before load */
	__type(key, __u32);
	__type(value, struct ss_slot_block);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768); /* --max-sockets */
	__type(key, struct ss_sock_key);
	__type(value, struct ss_sock_rec);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_io_stats);
} io_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024); /* 64k notices: a second of heavy churn */
} notices SEC(".maps");

static __always_inline struct ss_io_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&io_stats, &zero);
}

static __always_inline __u32 slot_index(__u64 sock_id, __u32 tgid)
{
	return ((sock_id ^ ((__u64)tgid << 32)) * 0x9E3779B97F4A7C15ULL) >> (64 - SS_SLOT_BITS);
}

static __always_inline void flush_slot(struct ss_slot *s)
{
	struct ss_sock_key key = { .sock_id = s->sock_id, .tgid = s->tgid };
	struct ss_sock_rec *r = bpf_map_lookup_elem(&socks, &key);
	struct ss_io_stats *st;

	if (!r) {
		st = stats();
		if (st)
			st->flush_misses++;
		return;
	}
	__sync_fetch_and_add(&r->n.bytes[SS_SEND], s->n.bytes[SS_SEND]);
	__sync_fetch_and_add(&r->n.bytes[SS_RECV], s->n.bytes[SS_RECV]);
	__sync_fetch_and_add(&r->n.calls[SS_SEND], s->n.calls[SS_SEND]);
	__sync_fetch_and_add(&r->n.calls[SS_RECV], s->n.calls[SS_RECV]);
}

/* Creates or refreshes the record of (sock_id, tgid); returns the slot state to use. */
static __always_inline __u16 admit(struct sock *sk, struct ss_sock_key *key)
{
	struct ss_sock_rec rec = {}, *r;
	struct ss_io_stats *st;

	rec.a.proto = sock_proto(sk, false); /* slot misses only: probe reads will do */
	if (!rec.a.proto)
		return SS_SLOT_IGNORE;
	read_sock_addrs(sk, &rec.a, false);
	process_comm(rec.comm);
	if (!sock_selected(&rec.a) || !task_selected(key->tgid, rec.comm))
		return SS_SLOT_IGNORE;

	r = bpf_map_lookup_elem(&socks, key);
	if (r) {
		/* a UDP socket may connect after its first datagram */
		__builtin_memcpy(r->a.raddr, rec.a.raddr, sizeof(rec.a.raddr));
		r->a.rport = rec.a.rport;
		return SS_SLOT_COUNT;
	}
	rec.first_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&socks, key, &rec, BPF_NOEXIST) == 0 ||
	    bpf_map_lookup_elem(&socks, key))
		return SS_SLOT_COUNT;
	st = stats();
	if (st)
		st->untracked_sockets++;
	return SS_SLOT_UNTRACKED;
}

/*
 * The slow path, kept out of line so the hot path stays short. The generation count is odd
 * while the slot changes hands, so that user space, which reads the slots through mmap, never
 * takes one pair's counts for another's.
 */
static __noinline int refill_slot(struct ss_slot *s, struct sock *sk, __u64 sock_id, __u32 tgid)
{
	struct ss_sock_key key = { .sock_id = sock_id, .tgid = tgid };
	__u16 state;

	if (!s || !sk)
		return 0;
	s->gen++;
	barrier();
	if (s->state == SS_SLOT_COUNT)
		flush_slot(s);
	state = admit(sk, &key);
	s->sock_id = sock_id;
	s->tgid = tgid;
	s->state = state;
	__builtin_memset(&s->n, 0, sizeof(s->n));
	barrier();
	s->gen++;
	return 0;
}

static __always_inline void count_call(struct sock *sk, __u64 sock_id, long ret, int dir)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 cpu = bpf_get_smp_processor_id();
	struct ss_slot_block *blk;
	struct ss_slot *s;
	struct ss_io_stats *st;

	if (!pid_selected(tgid))
		return;
	blk = bpf_map_lookup_elem(&slots, &cpu);
	if (!blk)
		return;
	s = &blk->slot[slot_index(sock_id, tgid)];
	if (s->sock_id != sock_id || s->tgid != tgid)
		refill_slot(s, sk, sock_id, tgid);
	if (s->state == SS_SLOT_COUNT) {
		s->n.bytes[dir] += ret;
		s->n.calls[dir]++;
	} else if (s->state == SS_SLOT_UNTRACKED && (st = stats())) {
		st->untracked_calls++;
	}
}

static __always_inline int on_call(struct sock *sk, long ret, int dir, int flags, bool typed)
{
	if (moved_data(ret, dir, flags))
		count_call(sk, sock_id(sk, typed), ret, dir);
	return 0;
}

static __always_inline int on_call_btf(struct sock *sk, long ret, int dir, int flags)
{
	return on_call(sk, ret, dir, flags, true);
}

static __always_inline int on_call_untyped(struct sock *sk, long ret, int dir, int flags)
{
	return on_call(sk, ret, dir, flags, false);
}

#include "sock_hooks.bpf.h"

/* Marks the socket's records final. Runs when the last file reference goes (close, exit). */
SEC("cgroup/sock_release")
int sock_release_cgroup(struct bpf_sock *ctx)
{
	struct ss_release *n;
	struct ss_io_stats *st;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	n = bpf_ringbuf_reserve(&notices, sizeof(*n), 0);
	if (!n) {
		st = stats();
		if (st)
			__sync_fetch_and_add(&st->notice_drops, 1);
		return 1;
	}
	n->sock_id = bpf_get_socket_cookie(ctx);
	/* wake user space early: a lost notice leaves a record unreaped, in the kernel and in it */
	bpf_ringbuf_submit(n, bpf_ringbuf_query(&notices, BPF_RB_AVAIL_DATA) > 64 * 1024 ?
				      BPF_RB_FORCE_WAKEUP :
				      BPF_RB_NO_WAKEUP);
	return 1;
}

/* With untyped hooks only: give every new socket a cookie, at socket() and at accept. */
SEC("cgroup/sock_create")
int sock_create_cgroup(struct bpf_sock *ctx)
{
	bpf_get_socket_cookie(ctx);
	return 1;
}

SEC("sockops")
int sock_ops_cgroup(struct bpf_sock_ops *ctx)
{
	if (ctx->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		bpf_get_socket_cookie(ctx);
	return 1;
}
