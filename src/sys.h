/* SPDX-License-Identifier: GPL-2.0 */
/* The machine around the program: privileges, mounts, kernel facts, libbpf's log. */
#ifndef SS_SYS_H
#define SS_SYS_H

#include <stdbool.h>
#include <stddef.h>

#define SS_CAP_NET_ADMIN 12
#define SS_CAP_SYS_ADMIN 21
#define SS_CAP_PERFMON	 38
#define SS_CAP_BPF	 39

bool ss_has_cap(int cap);
/* 0 when BPF tracing is allowed (root, or CAP_BPF + CAP_PERFMON); else -1 and a hint. */
int ss_check_privileges(char *why, size_t len);

/* A cgroup v2 mount point, mounting one under /run/sockscope when none is mounted. */
int ss_cgroup2_root(char *path, size_t len, char *why, size_t wlen);
/* Mounts tracefs on /sys/kernel/tracing when it is not there (kprobe and tracepoint modes). */
int ss_ensure_tracefs(char *why, size_t len);
/* Where fs is mounted (first match of type in /proc/self/mounts), or empty. */
bool ss_find_mount(const char *type, char *path, size_t len);
void ss_unmount_ours(void);

bool ss_have_vmlinux_btf(void);
struct btf *ss_vmlinux_btf(void);
/* Number of parameters of a kernel function per BTF, or -1 when unknown. */
int ss_func_arity(const char *func);
bool ss_func_exists(const char *func);
bool ss_tracepoint_exists(const char *tp);

/* libbpf's log: quiet while probing, captured so that a load failure can show its reason. */
void ss_libbpf_log_init(int verbose);
void ss_libbpf_quiet(bool quiet);
/* Forgets what libbpf said so far, before a load whose refusal will be explained. */
void ss_libbpf_forget(void);
const char *ss_libbpf_last(void);

#endif
