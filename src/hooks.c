// SPDX-License-Identifier: GPL-2.0
/*
 * The hook table. Order within a hook is preference: the socket layer's tracepoints first
 * (stable ABI, every path into a socket, cheapest), then fentry/fexit and kprobes on the
 * protocol functions for kernels before 6.3 that lack those tracepoints.
 */
#include "hooks.h"

#define END { 0 }

static const struct ss_prog_ref send_btf[] = { { "sock_send_btf", "sock_send_length" }, END };
static const struct ss_prog_ref send_raw[] = { { "sock_send_raw", "sock_send_length" }, END };
static const struct ss_prog_ref send_fexit[] = {
	{ "tcp_sendmsg_fexit", "tcp_sendmsg" },
	{ "udp_sendmsg_fexit", "udp_sendmsg" },
	{ "udpv6_sendmsg_fexit", "udpv6_sendmsg", true },
	{ "tcp_sendpage_fexit", "tcp_sendpage", true },
	{ "udp_sendpage_fexit", "udp_sendpage", true },
	END,
};
static const struct ss_prog_ref send_kprobe[] = {
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

static const struct ss_prog_ref recv_btf[] = { { "sock_recv_btf", "sock_recv_length" }, END };
static const struct ss_prog_ref recv_raw[] = { { "sock_recv_raw", "sock_recv_length" }, END };
static const struct ss_prog_ref recv_fexit[] = {
	{ "tcp_recvmsg_fexit", "tcp_recvmsg" },
	{ "udp_recvmsg_fexit", "udp_recvmsg" },
	{ "udpv6_recvmsg_fexit", "udpv6_recvmsg", true },
	END,
};
static const struct ss_prog_ref recv_kprobe[] = {
	{ "tcp_recvmsg_kprobe", "tcp_recvmsg" },
	{ "tcp_recvmsg_kretprobe", "tcp_recvmsg" },
	{ "udp_recvmsg_kprobe", "udp_recvmsg" },
	{ "udp_recvmsg_kretprobe", "udp_recvmsg" },
	{ "udpv6_recvmsg_kprobe", "udpv6_recvmsg", true },
	{ "udpv6_recvmsg_kretprobe", "udpv6_recvmsg", true },
	END,
};

static const struct ss_prog_ref release_cg[] = { { "sock_release_cgroup", "sock_release" }, END };
static const struct ss_prog_ref cookie_cg[] = {
	{ "sock_create_cgroup", "sock_create" },
	{ "sock_ops_cgroup", "sock_ops" },
	END,
};

static const struct ss_prog_ref mmsg_tp[] = {
	{ "sendmmsg_enter_tp", "syscalls/sys_enter_sendmmsg" },
	{ "recvmmsg_enter_tp", "syscalls/sys_enter_recvmmsg" },
	END,
};

const struct ss_hook hook_sock_send = {
	.name = "sock_send",
	.what = "bytes and calls sent on TCP/UDP sockets",
	.ways = { { SS_MODE_TP_BTF, send_btf }, { SS_MODE_RAW_TP, send_raw },
		  { SS_MODE_FENTRY, send_fexit }, { SS_MODE_KPROBE, send_kprobe } },
};

const struct ss_hook hook_sock_recv = {
	.name = "sock_recv",
	.what = "bytes and calls received on TCP/UDP sockets",
	.ways = { { SS_MODE_TP_BTF, recv_btf }, { SS_MODE_RAW_TP, recv_raw },
		  { SS_MODE_FENTRY, recv_fexit }, { SS_MODE_KPROBE, recv_kprobe } },
};

const struct ss_hook hook_sock_release = {
	.name = "sock_release",
	.what = "sockets closed, so their records can be reaped",
	.ways = { { SS_MODE_CGROUP, release_cg } },
};

const struct ss_hook hook_sock_cookie = {
	.name = "sock_cookie",
	.what = "cookies for new sockets, when only untyped hooks count",
	.ways = { { SS_MODE_CGROUP, cookie_cg } },
};

const struct ss_hook hook_mmsg_entry = {
	.name = "mmsg_entry",
	.what = "which datagram of a sendmmsg/recvmmsg a payload is in",
	.ways = { { SS_MODE_TRACEPOINT, mmsg_tp } },
};

const struct ss_hook_use ss_hook_uses[] = {
	{ "top, serve", &hook_sock_send, NULL },
	{ "top, serve", &hook_sock_recv, NULL },
	{ "top, serve", &hook_sock_release, NULL },
	{ "top, serve", &hook_sock_cookie, "only with raw_tp or kprobe counting" },
	{ "trace", &hook_sock_send, NULL },
	{ "trace", &hook_sock_recv, NULL },
	{ "trace", &hook_mmsg_entry, "only with --payload" },
	{ NULL, NULL, NULL },
};
