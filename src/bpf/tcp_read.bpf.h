/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading TCP state for conns.bpf.c: a socket's internals as `ss -ti` shows them (the same
 * fields and arithmetic as the kernel's tcp_get_info), and the addresses of a packet when no
 * socket comes with it (drops, bad checksums, resets sent for no socket).
 */
#ifndef SOCKSCOPE_TCP_READ_BPF_H
#define SOCKSCOPE_TCP_READ_BPF_H

#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86DD

/* Internals of sk into row; everything through CO-RE reads, from any context. */
static __always_inline void read_tcp_internals(struct sock *sk, struct ss_conn_row *r)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	__u32 snd_una = BPF_CORE_READ(tp, snd_una);

	r->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	r->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	r->bytes_received = BPF_CORE_READ(tp, bytes_received);
	r->cwnd = BPF_CORE_READ(tp, snd_cwnd);
	r->ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	r->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	r->rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
	r->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	r->rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	r->packets_out = BPF_CORE_READ(tp, packets_out);
	r->bytes_in_flight = BPF_CORE_READ(tp, snd_nxt) - snd_una;
	r->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	r->sndbuf_used = BPF_CORE_READ(sk, sk_wmem_queued);
	r->retrans_total = BPF_CORE_READ(tp, total_retrans);
	r->ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	if (r->state == TCP_LISTEN) {
		/* for a listener, ss shows the accept queue as Recv-Q and its limit as Send-Q */
		r->backlog = BPF_CORE_READ(sk, sk_ack_backlog);
		r->max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
		return;
	}
	r->sendq = BPF_CORE_READ(tp, write_seq) - snd_una;
	r->recvq = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
}

/*
 * A packet's ends as the local socket sees them: the source is the remote end, the destination
 * the local one. alen (4 or 16) is a constant at every call site; both headers' addresses are
 * 32-bit aligned, and saying so keeps the copies to word loads rather than byte loads.
 */
static __always_inline void set_ends(struct ss_addrs *a, __u16 family, const void *saddr,
				     const void *daddr, __u32 alen)
{
	__builtin_memcpy(a->raddr, __builtin_assume_aligned(saddr, 4), alen);
	__builtin_memcpy(a->laddr, __builtin_assume_aligned(daddr, 4), alen);
	a->family = family;
}

/*
 * Addresses of a TCP packet, oriented as the local socket sees them (local = destination
 * of an incoming packet). Returns false for anything but TCP over IPv4/IPv6 with headers set.
 */
static __always_inline bool read_skb_addrs(const struct sk_buff *skb, struct ss_addrs *a)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	__u16 proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	struct tcphdr tcp;

	if (nh == (__u16)~0U || th == (__u16)~0U || th <= nh)
		return false;
	if (proto == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.protocol != IPPROTO_TCP)
			return false;
		set_ends(a, AF_INET, &ip.saddr, &ip.daddr, sizeof(ip.saddr));
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh) || ip6.nexthdr != IPPROTO_TCP)
			return false;
		set_ends(a, AF_INET6, &ip6.saddr, &ip6.daddr, sizeof(ip6.saddr));
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return false;
	a->rport = bpf_ntohs(tcp.source);
	a->lport = bpf_ntohs(tcp.dest);
	a->proto = IPPROTO_TCP;
	return true;
}

/* An outgoing packet (a reset we send) seen from our side: swap the two ends. */
static __always_inline void swap_ends(struct ss_addrs *a)
{
	__u8 tmp[16];
	__u16 p = a->lport;

	__builtin_memcpy(tmp, a->laddr, 16);
	__builtin_memcpy(a->laddr, a->raddr, 16);
	__builtin_memcpy(a->raddr, tmp, 16);
	a->lport = a->rport;
	a->rport = p;
}

#endif /* SOCKSCOPE_TCP_READ_BPF_H */
