/* SPDX-License-Identifier: GPL-2.0 */
/* The machine around the program: privileges, mounts, kernel facts, libbpf's log. */
#ifndef SS_SYS_H
#define SS_SYS_H

#include <stdbool.h>
#include <stddef.h>

#define SYS_CAP_NET_ADMIN 12
#define SYS_CAP_SYS_ADMIN 21
#define SYS_CAP_PERFMON	 38
#define SYS_CAP_BPF	 39

bool sys_has_cap(int cap);
/* 0 when BPF tracing is allowed (root, or CAP_BPF + CAP_PERFMON); else -1 and a hint. */
int sys_check_privileges(char *why, size_t len);

/* A cgroup v2 mount point, mounting one under /run/sockscope when none is mounted. */
int sys_cgroup2_root(char *path, size_t len, char *why, size_t wlen);
/* Mounts tracefs on /sys/kernel/tracing when it is not there (kprobe and tracepoint modes). */
int sys_ensure_tracefs(char *why, size_t len);
/* Where fs is mounted (first match of type in /proc/self/mounts), or empty. */
bool sys_find_mount(const char *type, char *path, size_t len);
void sys_unmount_ours(void);

bool sys_have_vmlinux_btf(void);
struct btf *sys_vmlinux_btf(void);
/* Number of parameters of a kernel function per BTF, or -1 when unknown. */
int sys_func_arity(const char *func);
bool sys_func_exists(const char *func);
bool sys_tracepoint_exists(const char *tp);

/* libbpf's log: quiet while probing, captured so that a load failure can show its reason. */
void sys_libbpf_log_init(int verbose);
void sys_libbpf_quiet(bool quiet);
/* Forgets what libbpf said so far, before a load whose refusal will be explained. */
void sys_libbpf_forget(void);
const char *sys_libbpf_last(void);

#endif
