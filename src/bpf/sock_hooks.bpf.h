/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket send/receive hooks, every way to attach them, declared once for all the BPF
 * objects that observe socket calls (io.bpf.c counts, trace.bpf.c streams events). The
 * including file defines on_call_btf() and on_call_untyped(), called with the socket, the
 * call's return value, the direction and the receive flags.
 *
 * Preferred are the socket layer's own tracepoints (Linux 6.3+), on every path into a
 * socket. Kernels without them get the same calls from the protocol functions' return
 * values: fexit first (typed arguments), kprobe/kretprobe pairs as the last resort. Before
 * 6.5, sendfile and splice reach TCP and UDP through ->sendpage, not ->sendmsg, hence the
 * *_sendpage programs; they are optional, as newer kernels do not have those functions.
 * Receives that bypass all of these (splice from TCP, TCP zerocopy) are in recv_bypass.bpf.h.
 */
#ifndef SOCKSCOPE_SOCK_HOOKS_BPF_H
#define SOCKSCOPE_SOCK_HOOKS_BPF_H

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send_btf, struct sock *sk, int ret, int flags)
{
	return on_call_btf(sk, ret, SS_SEND, flags);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv_btf, struct sock *sk, int ret, int flags)
{
	return on_call_btf(sk, ret, SS_RECV, flags);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(sock_send_raw, struct sock *sk, int ret, int flags)
{
	return on_call_untyped(sk, ret, SS_SEND, flags);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(sock_recv_raw, struct sock *sk, int ret, int flags)
{
	return on_call_untyped(sk, ret, SS_RECV, flags);
}

/* Index of tcp_recvmsg's flags argument: 3 since 5.19 dropped `nonblock`, 4 before. */
const volatile __u32 recv_flags_arg = 3;

static __always_inline bool is_inet6(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6;
}

SEC("fexit/tcp_sendmsg")
int BPF_PROG(tcp_sendmsg_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	return on_call_btf(sk, ret, SS_SEND, 0);
}

#define MSG_SPLICE_PAGES 0x8000000

/*
 * Set when udp_sendpage is hooked too. Since 6.5's "udp: Convert udp_sendpage() to use
 * MSG_SPLICE_PAGES" (which Debian's 6.1.0-56 has), udp_sendpage hands its data to udp_sendmsg
 * with MSG_SPLICE_PAGES: count it once, at udp_sendpage.
 */
const volatile bool udp_sendpage_hooked = false;

static __always_inline bool udp_spliced(struct msghdr *msg)
{
	return udp_sendpage_hooked && (BPF_CORE_READ(msg, msg_flags) & MSG_SPLICE_PAGES);
}

/* udpv6_sendmsg hands IPv4-mapped destinations to udp_sendmsg: count those once, there. */
SEC("fexit/udp_sendmsg")
int BPF_PROG(udp_sendmsg_fexit, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return is_inet6(sk) || udp_spliced(msg) ? 0 : on_call_btf(sk, ret, SS_SEND, 0);
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(udpv6_sendmsg_fexit, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return on_call_btf(sk, ret, SS_SEND, 0);
}

SEC("fexit/tcp_sendpage")
int BPF_PROG(tcp_sendpage_fexit, struct sock *sk, struct page *page, int offset, size_t size,
	     int flags, int ret)
{
	return on_call_btf(sk, ret, SS_SEND, 0);
}

SEC("fexit/udp_sendpage")
int BPF_PROG(udp_sendpage_fexit, struct sock *sk, struct page *page, int offset, size_t size,
	     int flags, int ret)
{
	return is_inet6(sk) ? 0 : on_call_btf(sk, ret, SS_SEND, 0);
}

/* The receive functions lost an argument in 5.19: take flags and return value by position. */
static __always_inline int recv_fexit(void *ctx, struct sock *sk)
{
	__u64 ret = 0, flags = 0;

	bpf_get_func_ret(ctx, &ret);
	bpf_get_func_arg(ctx, bpf_get_func_arg_cnt(ctx) - 2, &flags);
	return on_call_btf(sk, (int)ret, SS_RECV, flags);
}

SEC("fexit/tcp_recvmsg")
int BPF_PROG(tcp_recvmsg_fexit, struct sock *sk)
{
	return recv_fexit(ctx, sk);
}

SEC("fexit/udp_recvmsg")
int BPF_PROG(udp_recvmsg_fexit, struct sock *sk)
{
	return recv_fexit(ctx, sk);
}

SEC("fexit/udpv6_recvmsg")
int BPF_PROG(udpv6_recvmsg_fexit, struct sock *sk)
{
	return recv_fexit(ctx, sk);
}

/* kprobe pairs: the entry remembers the socket per thread and function until the return. */
enum kfn { KFN_TCP_SEND, KFN_UDP_SEND, KFN_UDP6_SEND, KFN_TCP_PAGE, KFN_UDP_PAGE,
	   KFN_TCP_RECV, KFN_UDP_RECV, KFN_UDP6_RECV };

struct kentry_key {
	__u32 tid;
	__u32 fn;
};

struct kentry {
	__u64 sk;
	__u64 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct kentry_key);
	__type(value, struct kentry);
} kentries SEC(".maps");

static __always_inline int kp_enter(enum kfn fn, struct sock *sk, __u64 flags)
{
	struct kentry_key k = { .tid = (__u32)bpf_get_current_pid_tgid(), .fn = fn };
	struct kentry e = { .sk = (__u64)sk, .flags = flags };

	bpf_map_update_elem(&kentries, &k, &e, BPF_ANY);
	return 0;
}

static __always_inline int kp_exit(enum kfn fn, long ret, int dir)
{
	struct kentry_key k = { .tid = (__u32)bpf_get_current_pid_tgid(), .fn = fn };
	struct kentry e;

	if (!take_entry(&kentries, &k, &e, sizeof(e)))
		return 0;
	return on_call_untyped((struct sock *)e.sk, ret, dir, e.flags);
}

static __always_inline __u64 kp_recv_flags(struct pt_regs *ctx)
{
	/*
	 * _CORE: plain ctx loads at two offsets become one load at a selected offset, which the
	 * verifier refuses ("dereference of modified ctx ptr", Debian 6.1).
	 */
	return recv_flags_arg == 4 ? PT_REGS_PARM5_CORE(ctx) : PT_REGS_PARM4_CORE(ctx);
}

#define KPROBE_PAIR(func, fn, dir, enter_expr)                                                    \
	SEC("kprobe/" #func)                                                                      \
	int BPF_KPROBE(func##_kprobe, struct sock *sk)                                            \
	{                                                                                         \
		return (enter_expr) ? kp_enter(fn, sk, dir == SS_RECV ? kp_recv_flags(ctx) : 0) : 0; \
	}                                                                                         \
	SEC("kretprobe/" #func)                                                                   \
	int BPF_KRETPROBE(func##_kretprobe, int ret)                                              \
	{                                                                                         \
		return kp_exit(fn, ret, dir);                                                     \
	}

KPROBE_PAIR(tcp_sendmsg, KFN_TCP_SEND, SS_SEND, true)
KPROBE_PAIR(udp_sendmsg, KFN_UDP_SEND, SS_SEND,
	    !is_inet6(sk) && !udp_spliced((struct msghdr *)PT_REGS_PARM2_CORE(ctx)))
KPROBE_PAIR(udpv6_sendmsg, KFN_UDP6_SEND, SS_SEND, true)
KPROBE_PAIR(tcp_sendpage, KFN_TCP_PAGE, SS_SEND, true)
KPROBE_PAIR(udp_sendpage, KFN_UDP_PAGE, SS_SEND, !is_inet6(sk))
KPROBE_PAIR(tcp_recvmsg, KFN_TCP_RECV, SS_RECV, true)
KPROBE_PAIR(udp_recvmsg, KFN_UDP_RECV, SS_RECV, true)
KPROBE_PAIR(udpv6_recvmsg, KFN_UDP6_RECV, SS_RECV, true)

#include "recv_bypass.bpf.h"

#endif /* SOCKSCOPE_SOCK_HOOKS_BPF_H */
