/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conns --events: the hooks that only feed the event stream (drops with their reason, bad
 * checksums, congestion state changes), and the accept hook that names a passive socket's
 * owner. Included by conns.bpf.c.
 */

static __always_inline int on_bad_csum(const struct sk_buff *skb)
{
	struct ss_addrs a = {};

	if (read_skb_addrs(skb, &a))
		emit(NULL, 0, &a, SS_CEV_BAD_CSUM, 0, 0, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_bad_csum")
int BPF_PROG(conn_bad_csum_btf, struct sk_buff *skb)
{
	return on_bad_csum(skb);
}

SEC("raw_tp/tcp_bad_csum")
int BPF_PROG(conn_bad_csum_raw, struct sk_buff *skb)
{
	return on_bad_csum(skb);
}

#define DROP_REASON(name) bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_##name)
#define DROP_REASON_IS(r, name)                                                                   \
	(bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_##name) &&              \
	 (r) == DROP_REASON(name))

/*
 * kfree_skb also reports frees that lose nothing, which a drop count must leave out (docs/
 * metrics.md lists them): below NOT_SPECIFIED, packets not dropped at all (NOT_DROPPED_YET,
 * CONSUMED); NOT_SPECIFIED, which kernels before 6.7 give the queues of every socket freed
 * at close, so that 200 plain connections showed as 200 drops; QUEUE_PURGE, its name since;
 * SOCKET_CLOSE, data for a socket its owner has closed. The values move between kernels:
 * CO-RE takes them from the running kernel's BTF, and names it lacks are skipped.
 */
static __always_inline bool lost_something(__u32 reason)
{
	if (reason <= DROP_REASON(NOT_SPECIFIED))
		return false;
	return !DROP_REASON_IS(reason, QUEUE_PURGE) && !DROP_REASON_IS(reason, SOCKET_CLOSE);
}

/*
 * A dropped TCP packet: the socket is the one the kernel names (the receiving socket since
 * 6.10, else the skb's owner); without one, serve's counter finds the owner by the packet's
 * addresses (owners) and conns --events' user space matches them to a socket.
 */
static __always_inline int on_drop(const struct sk_buff *skb, __u32 reason, struct sock *rx_sk)
{
	struct sock *sk = rx_sk ?: BPF_CORE_READ(skb, sk);
	struct ss_addrs a = {};

	__u32 owner = 0, *known;
	__u64 id;

	if (!lost_something(reason) || !read_skb_addrs(skb, &a))
		return 0;

	if (sk && !is_tcp(sk))
		sk = NULL;
	id = sk ? sock_id(sk, false) : 0;
	if (sk)
		owner = owner_of(bpf_map_lookup_elem(&infos, &id));
	else if ((known = bpf_map_lookup_elem(&owners, &a)))
		owner = *known;
	bump(owner, SS_TT_DROP, reason, 1);
	if (want_events)
		emit(sk, id, &a, SS_CEV_DROP, reason, 0, 0, 0);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(conn_drop_btf, struct sk_buff *skb, void *location, int reason)
{
	return on_drop(skb, reason, kfree_has_rx_sk ? (struct sock *)ctx[3] : NULL);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(conn_drop_raw, struct sk_buff *skb, void *location, int reason)
{
	return on_drop(skb, reason, kfree_has_rx_sk ? (struct sock *)ctx[3] : NULL);
}

static __always_inline int on_cong(struct sock *sk, __u8 ca, bool typed)
{
	if (is_tcp(sk))
		emit(sk, sock_id(sk, typed), NULL, SS_CEV_CONG, ca, 0, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_cong_state_set")
int BPF_PROG(conn_cong_btf, struct sock *sk, __u8 ca)
{
	return on_cong(sk, ca, true);
}

SEC("raw_tp/tcp_cong_state_set")
int BPF_PROG(conn_cong_raw, struct sock *sk, __u8 ca)
{
	return on_cong(sk, ca, false);
}

/* accept() returned a descriptor: the socket behind it now belongs to this process. */
static __always_inline int on_accept(long fd)
{
	struct ss_tcp_info *i;
	struct sock *sk;

	if (!pid_selected(bpf_get_current_pid_tgid() >> 32))
		return 0;
	sk = sock_of_fd(fd);
	if (!sk || !is_tcp(sk))
		return 0;
	i = info_of(sock_id(sk, false), true);
	if (i) {
		__u64 first = i->first_ns;

		claim(i, SS_ROLE_SERVER);
		i->first_ns = first; /* born at the handshake, not at accept() */
		bump(i->owner, SS_TT_OPENED, SS_ROLE_SERVER, 1);
		note_owner(i);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int conn_accept4_tp(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int conn_accept_tp(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}
