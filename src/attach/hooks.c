// SPDX-License-Identifier: GPL-2.0
/*
 * The hook table. Order within a hook is preference: the socket layer's tracepoints first
 * (stable ABI, every path into a socket, cheapest), then fentry/fexit and kprobes on the
 * protocol functions for kernels before 6.3 that lack those tracepoints.
 */
#include "attach/hooks.h"

#define END { 0 }

static const struct prog_ref send_btf[] = { { "sock_send_btf", "sock_send_length" }, END };
static const struct prog_ref send_raw[] = { { "sock_send_raw", "sock_send_length" }, END };
static const struct prog_ref send_fexit[] = {
	{ "tcp_sendmsg_fexit", "tcp_sendmsg" },
	{ "udp_sendmsg_fexit", "udp_sendmsg" },
	{ "udpv6_sendmsg_fexit", "udpv6_sendmsg", true },
	{ "tcp_sendpage_fexit", "tcp_sendpage", true },
	{ "udp_sendpage_fexit", "udp_sendpage", true },
	END,
};
static const struct prog_ref send_kprobe[] = {
	{ "tcp_sendmsg_kprobe", "tcp_sendmsg" },
	{ "tcp_sendmsg_kretprobe", "tcp_sendmsg" },
	{ "udp_sendmsg_kprobe", "udp_sendmsg" },
	{ "udp_sendmsg_kretprobe", "udp_sendmsg" },
	{ "udpv6_sendmsg_kprobe", "udpv6_sendmsg", true },
	{ "udpv6_sendmsg_kretprobe", "udpv6_sendmsg", true },
	{ "tcp_sendpage_kprobe", "tcp_sendpage", true },
	{ "tcp_sendpage_kretprobe", "tcp_sendpage", true },
	{ "udp_sendpage_kprobe", "udp_sendpage", true },
	{ "udp_sendpage_kretprobe", "udp_sendpage", true },
	END,
};

static const struct prog_ref recv_btf[] = { { "sock_recv_btf", "sock_recv_length" }, END };
static const struct prog_ref recv_raw[] = { { "sock_recv_raw", "sock_recv_length" }, END };
static const struct prog_ref recv_fexit[] = {
	{ "tcp_recvmsg_fexit", "tcp_recvmsg" },
	{ "udp_recvmsg_fexit", "udp_recvmsg" },
	{ "udpv6_recvmsg_fexit", "udpv6_recvmsg", true },
	END,
};
static const struct prog_ref recv_kprobe[] = {
	{ "tcp_recvmsg_kprobe", "tcp_recvmsg" },
	{ "tcp_recvmsg_kretprobe", "tcp_recvmsg" },
	{ "udp_recvmsg_kprobe", "udp_recvmsg" },
	{ "udp_recvmsg_kretprobe", "udp_recvmsg" },
	{ "udpv6_recvmsg_kprobe", "udpv6_recvmsg", true },
	{ "udpv6_recvmsg_kretprobe", "udpv6_recvmsg", true },
	END,
};

static const struct prog_ref bypass_tp[] = {
	{ "splice_enter_tp", "syscalls/sys_enter_splice" },
	{ "splice_exit_tp", "syscalls/sys_exit_splice" },
	{ "getsockopt_enter_tp", "syscalls/sys_enter_getsockopt" },
	{ "getsockopt_exit_tp", "syscalls/sys_exit_getsockopt" },
	{ "uring_complete_tp", "io_uring/io_uring_complete", true }, /* CONFIG_IO_URING */
	END,
};

static const struct prog_ref release_cg[] = { { "sock_release_cgroup", "sock_release" }, END };
static const struct prog_ref cookie_cg[] = {
	{ "sock_create_cgroup", "sock_create" },
	{ "sock_ops_cgroup", "sock_ops" },
	END,
};

static const struct prog_ref mmsg_tp[] = {
	{ "sendmmsg_enter_tp", "syscalls/sys_enter_sendmmsg" },
	{ "recvmmsg_enter_tp", "syscalls/sys_enter_recvmmsg" },
	END,
};

/* conns: each TCP tracepoint as tp_btf, else raw_tp */
#define TP_REFS(name, prog, tp)                                                                   \
	static const struct prog_ref name##_btf[] = { { prog "_btf", tp }, END };                 \
	static const struct prog_ref name##_raw[] = { { prog "_raw", tp }, END }

TP_REFS(state, "conn_state", "inet_sock_set_state");
TP_REFS(retrans, "conn_retrans", "tcp_retransmit_skb");
TP_REFS(reset_tx, "conn_reset_tx", "tcp_send_reset");
TP_REFS(reset_rx, "conn_reset_rx", "tcp_receive_reset");
TP_REFS(destroy, "conn_destroy", "tcp_destroy_sock");
TP_REFS(drop, "conn_drop", "kfree_skb");
TP_REFS(bad_csum, "conn_bad_csum", "tcp_bad_csum");
TP_REFS(cong, "conn_cong", "tcp_cong_state_set");

static const struct prog_ref iter_refs[] = { { "conn_iter", "task_file" }, END };
static const struct prog_ref accept_refs[] = {
	{ "conn_accept4_tp", "syscalls/sys_exit_accept4" },
	{ "conn_accept_tp", "syscalls/sys_exit_accept" },
	END,
};

#define TP_HOOK(var, hname, what_, refs)                                                          \
	const struct hook var = {                                                                 \
		.name = hname,                                                                    \
		.what = what_,                                                                    \
		.ways = { { ATTACH_TP_BTF, refs##_btf }, { ATTACH_RAW_TP, refs##_raw } },         \
	}

TP_HOOK(hook_conn_state, "conn_state", "TCP state changes, roles and owners", state);
TP_HOOK(hook_conn_retrans, "conn_retrans", "retransmits, fast or timeout", retrans);
TP_HOOK(hook_conn_reset_tx, "conn_reset_tx", "resets sent", reset_tx);
TP_HOOK(hook_conn_reset_rx, "conn_reset_rx", "resets received", reset_rx);
TP_HOOK(hook_conn_destroy, "conn_destroy", "final numbers of closed sockets", destroy);
TP_HOOK(hook_conn_drop, "conn_drop", "TCP packets dropped, with the reason", drop);
TP_HOOK(hook_conn_bad_csum, "conn_bad_csum", "TCP segments with a bad checksum", bad_csum);
TP_HOOK(hook_conn_cong, "conn_cong", "congestion state changes", cong);

const struct hook hook_conn_iter = {
	.name = "conn_iter",
	.what = "every TCP socket held by a process, with its internals",
	.ways = { { ATTACH_ITER, iter_refs } },
};

const struct hook hook_conn_accept = {
	.name = "conn_accept",
	.what = "owners of accepted sockets",
	.ways = { { ATTACH_TRACEPOINT, accept_refs } },
};

const struct hook hook_sock_send = {
	.name = "sock_send",
	.what = "bytes and calls sent on TCP/UDP sockets",
	.ways = { { ATTACH_TP_BTF, send_btf }, { ATTACH_RAW_TP, send_raw },
		  { ATTACH_FENTRY, send_fexit }, { ATTACH_KPROBE, send_kprobe } },
};

const struct hook hook_sock_recv = {
	.name = "sock_recv",
	.what = "bytes and calls received on TCP/UDP sockets",
	.ways = { { ATTACH_TP_BTF, recv_btf }, { ATTACH_RAW_TP, recv_raw },
		  { ATTACH_FENTRY, recv_fexit }, { ATTACH_KPROBE, recv_kprobe } },
};

/* every attach mode counts these the same way: see recv_bypass.bpf.h */
const struct hook hook_recv_bypass = {
    .name = "recv_bypass",
    .what = "TCP bytes read by splice(2), io_uring's splice or TCP_ZEROCOPY_RECEIVE, which bypass "
	    "sock_recv",
    .ways = {{ATTACH_TRACEPOINT, bypass_tp}},
};

const struct hook hook_sock_release = {
	.name = "sock_release",
	.what = "sockets closed, so their records can be reaped",
	.ways = { { ATTACH_CGROUP, release_cg } },
};

const struct hook hook_sock_cookie = {
	.name = "sock_cookie",
	.what = "cookies for new sockets, when only untyped hooks count",
	.ways = { { ATTACH_CGROUP, cookie_cg } },
};

const struct hook hook_mmsg_entry = {
	.name = "mmsg_entry",
	.what = "which datagram of a sendmmsg/recvmmsg a payload is in",
	.ways = { { ATTACH_TRACEPOINT, mmsg_tp } },
};
