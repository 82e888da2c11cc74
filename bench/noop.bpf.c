// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: programs that do nothing, attached the way sockscope attaches its
 * counters (tp_btf on sock:sock_send_length and sock:sock_recv_length). Whatever they cost is
 * the price of having any program on these hooks at all, so the benchmark can tell how much of
 * sockscope's overhead is its own work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(noop_send_btf, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(noop_recv_btf, struct sock *sk, int ret, int flags)
{
	return 0;
}
