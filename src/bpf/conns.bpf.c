// SPDX-License-Identifier: GPL-2.0
/*
 * conns: TCP connections with their owners and internals.
 *
 * The table is read, not tracked: each refresh a task_file iterator walks every process's
 * open files and, for each TCP socket, copies what tcp_get_info() would report (cwnd, srtt,
 * windows, queues, bytes acked...) straight from tcp_sock. That costs nothing per segment,
 * unlike tcp:tcp_probe, which would fire on every packet to say the same thing; it also finds
 * sockets that existed before sockscope started, in every network namespace.
 *
 * What the socket does not remember is counted by hooks, per socket cookie: retransmits split
 * by the congestion state they happened in, resets each way, the role (connect, accept,
 * listen), and the owner. Retransmits, resets and drops happen in softirq context, where the
 * current task is whoever was interrupted, so events take their owner from that map, never
 * from the CPU.
 */
#include "common.bpf.h"
#include "tcp_read.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool want_events = false;
const volatile bool want_totals = false; /* serve: per-process counters */
const volatile bool retrans_has_err = false; /* tcp_retransmit_skb passes `err` (6.11+) */
const volatile bool kfree_has_rx_sk = false; /* kfree_skb passes the receiving socket */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct ss_tcp_info);
} infos SEC(".maps");

/*
 * Owners by connection (addresses as the local socket sees them), for drops whose packet
 * comes without its socket, such as a firewall's before socket lookup: set once a socket's
 * owner and addresses are both known, removed when it is destroyed. serve's counters only.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ss_addrs);
	__type(value, __u32);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ss_tcp_total_key);
	__type(value, __u64);
} tcp_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} finals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_conn_stats);
} conn_stats SEC(".maps");

static __always_inline struct ss_conn_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&conn_stats, &zero);
}

static __always_inline bool is_tcp(struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) &&
	       BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP;
}

/* The socket's addresses, or the last ones seen when it has already let its port go. */
static __always_inline void addrs_of(struct sock *sk, const struct ss_tcp_info *i,
				     struct ss_addrs *a)
{
	read_sock_addrs(sk, a, false);
	a->proto = IPPROTO_TCP;
	if (!a->lport && i && i->a.lport)
		*a = i->a;
}

static __always_inline struct ss_tcp_info *info_of(__u64 id, bool create)
{
	struct ss_tcp_info *i = bpf_map_lookup_elem(&infos, &id), zero = {};
	struct ss_conn_stats *st;

	if (i || !create)
		return i;
	zero.first_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&infos, &id, &zero, BPF_NOEXIST) && (st = stats()))
		__sync_fetch_and_add(&st->info_full, 1);
	return bpf_map_lookup_elem(&infos, &id);
}

static __always_inline void bump(__u32 tgid, __u16 kind, __u16 sub, __u64 delta)
{
	struct ss_tcp_total_key k = { .tgid = tgid, .kind = kind, .sub = sub };
	__u64 zero = 0, *v;

	/* serve -p: the counters of the selected processes only (pid 0 is none of them) */
	if (!want_totals || !pid_selected(tgid))
		return;
	v = bpf_map_lookup_elem(&tcp_totals, &k);
	if (!v) {
		bpf_map_update_elem(&tcp_totals, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&tcp_totals, &k);
	}
	if (v)
		__sync_fetch_and_add(v, delta);
}

static __always_inline __u32 owner_of(const struct ss_tcp_info *i)
{
	return i ? i->owner : 0;
}

static __always_inline void note_owner(const struct ss_tcp_info *i)
{
	if (want_totals && i->owner && i->a.lport && i->a.rport)
		bpf_map_update_elem(&owners, &i->a, &i->owner, BPF_ANY);
}

/* The current task owns the socket: it connected, listened or accepted just now. */
static __always_inline void claim(struct ss_tcp_info *i, __u8 role)
{
	i->owner = bpf_get_current_pid_tgid() >> 32;
	process_comm(i->comm);
	i->role = role;
	i->first_ns = bpf_ktime_get_ns();
	i->age_known = 1;
}

/* Emits an event about sk (or about a packet's addresses when sk is NULL). */
static __always_inline void emit(struct sock *sk, __u64 id, const struct ss_addrs *a, __u32 kind,
				 __u32 arg1, __u32 arg2, __u64 arg3, __u32 arg4)
{
	struct ss_conn_event *e;
	struct ss_tcp_info *i = NULL;
	struct ss_conn_stats *st;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if ((st = stats()))
			__sync_fetch_and_add(&st->event_drops, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->arg1 = arg1, e->arg2 = arg2, e->arg3 = arg3, e->arg4 = arg4;
	if (sk) {
		e->sock_id = id;
		i = bpf_map_lookup_elem(&infos, &id);
		addrs_of(sk, i, &e->a);
	} else if (a) {
		e->a = *a;
	}
	if (i && i->owner) {
		e->pid = i->owner;
		__builtin_memcpy(e->comm, i->comm, sizeof(e->comm));
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_state(struct sock *sk, int old, int new, bool typed)
{
	__u64 now = bpf_ktime_get_ns(), id;
	struct ss_tcp_info *i;

	if (!is_tcp(sk))
		return 0;
	id = sock_id(sk, typed);
	i = info_of(id, new != TCP_CLOSE);
	if (!i)
		return 0;
	if (new == TCP_ESTABLISHED) {
		read_sock_addrs(sk, &i->a, false);
		i->a.proto = IPPROTO_TCP;
		if (old == TCP_SYN_SENT)
			bump(i->owner, SS_TT_OPENED, SS_ROLE_CLIENT, 1);
		note_owner(i);
	}
	/* connect() and listen() run in the owner's context; a passive child is owned by
	 * whoever accepts it, which the accept hook learns */
	if (new == TCP_SYN_SENT)
		claim(i, SS_ROLE_CLIENT);
	else if (new == TCP_LISTEN)
		claim(i, SS_ROLE_LISTEN);
	else if (old == TCP_SYN_RECV && !i->role)
		i->role = SS_ROLE_SERVER;
	if (want_events)
		emit(sk, id, NULL, SS_CEV_STATE, old, new, i->since_ns ? now - i->since_ns : 0, 0);
	i->since_ns = now;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(conn_state_btf, struct sock *sk, int old, int new)
{
	return on_state(sk, old, new, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(conn_state_raw, struct sock *sk, int old, int new)
{
	return on_state(sk, old, new, false);
}

/* RTO retransmits run in TCP_CA_Loss (SYNs before the state machine starts); fast ones in
 * TCP_CA_Recovery; tail loss probes and the like in the remaining states. */
static __always_inline __u32 retrans_kind(struct sock *sk)
{
	__u8 ca = BPF_CORE_READ_BITFIELD_PROBED((struct inet_connection_sock *)sk, icsk_ca_state);
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

	if (ca == TCP_CA_Loss || state == TCP_SYN_SENT || state == TCP_SYN_RECV)
		return SS_RETRANS_TIMEOUT;
	return ca == TCP_CA_Recovery ? SS_RETRANS_FAST : SS_RETRANS_OTHER;
}

static __always_inline int on_retrans(struct sock *sk, const struct sk_buff *skb, int err,
				      bool typed)
{
	struct tcp_skb_cb *cb = (void *)skb + bpf_core_field_offset(skb->cb);
	__u32 kind = retrans_kind(sk), seq, end, segs;
	struct ss_tcp_info *i;
	__u64 id;

	/* the kernel counts a retransmit (tcp_sock.total_retrans) only once it went out */
	if (err || !is_tcp(sk))
		return 0;
	seq = BPF_CORE_READ(cb, seq);
	end = BPF_CORE_READ(cb, end_seq);
	segs = BPF_CORE_READ(cb, tcp_gso_segs) ?: 1;
	id = sock_id(sk, typed);
	i = info_of(id, true);
	if (i)
		__sync_fetch_and_add(&i->retrans[kind & 3], segs);
	bump(owner_of(i), SS_TT_RETRANS, kind, segs);
	if (want_events)
		emit(sk, id, NULL, SS_CEV_RETRANS, seq, end - seq, segs, kind);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(conn_retrans_btf, struct sock *sk, struct sk_buff *skb)
{
	return on_retrans(sk, skb, retrans_has_err ? (int)ctx[2] : 0, true);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(conn_retrans_raw, struct sock *sk, struct sk_buff *skb)
{
	return on_retrans(sk, skb, retrans_has_err ? (int)ctx[2] : 0, false);
}

static __always_inline int on_reset(struct sock *sk, const struct sk_buff *skb, bool sent,
				    bool typed)
{
	struct ss_tcp_info *i = NULL;
	struct ss_addrs a = {};
	__u64 id = 0;

	if (sk && is_tcp(sk)) {
		id = sock_id(sk, typed);
		i = info_of(id, true);
		if (i)
			__sync_fetch_and_add(sent ? &i->resets_sent : &i->resets_received, 1);
	} else {
		sk = NULL; /* a reset for no socket (or a request socket): known by its packet */
		if (!skb || !read_skb_addrs(skb, &a))
			return 0;
		if (sent)
			swap_ends(&a);
	}
	bump(owner_of(i), SS_TT_RESET, sent ? 0 : 1, 1);
	if (want_events)
		emit(sk, id, &a, sent ? SS_CEV_RESET_TX : SS_CEV_RESET_RX, 0, 0, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(conn_reset_tx_btf, struct sock *sk, struct sk_buff *skb)
{
	return on_reset(sk, skb, true, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(conn_reset_tx_raw, struct sock *sk, struct sk_buff *skb)
{
	return on_reset(sk, skb, true, false);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(conn_reset_rx_btf, struct sock *sk)
{
	return on_reset(sk, NULL, false, true);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(conn_reset_rx_raw, struct sock *sk)
{
	return on_reset(sk, NULL, false, false);
}

#include "conns_events.bpf.h"
#include "conns_table.bpf.h"
