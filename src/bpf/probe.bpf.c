// SPDX-License-Identifier: GPL-2.0
/*
 * Trivial programs, one per attach mode, that start-up and `doctor` load and attach for a
 * moment to learn what this kernel allows (a kernel can list a function in BTF and still
 * refuse fentry on it, as this project's build machine does). Targets are set at run time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf")
int probe_tp_btf(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("fentry")
int probe_fentry(void *ctx)
{
	return 0;
}

SEC("kprobe")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("cgroup/sock_release")
int probe_cgroup(struct bpf_sock *ctx)
{
	return 1;
}

SEC("tracepoint")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("iter/task_file")
int probe_iter(struct bpf_iter__task_file *ctx)
{
	return 0;
}
