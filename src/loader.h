/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every BPF object's user side does the same way between skeleton open and the run
 * loop: pick a way for each hook, fill the filter maps, attach, and say what was attached.
 */
#ifndef SS_LOADER_H
#define SS_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "opts.h"
#include "probe.h"
#include "sys.h"

struct bpf_link;
struct bpf_object;
struct bpf_object_skeleton;

struct ld_hook {
	const struct ss_hook *hook;
	bool required; /* without it the subcommand cannot run */
	const char *degraded; /* what is lost without it, when not required */
};

/*
 * Chooses a way for each hook (ch[i] for hooks[i]); fails only for a required hook. The tests
 * leave optional hooks out by naming them in SOCKSCOPE_TEST_SKIP_HOOK (comma-separated).
 */
int ld_choose(const struct ld_hook *hooks, size_t n, enum ss_mode force, struct ss_choice *ch,
	      char *err, size_t len);
/* True when the chosen way for this hook passes untyped pointers (raw_tp, kprobe). */
bool ld_untyped(const struct ss_choice *c);
/* The flags argument index of tcp_recvmsg and friends, per this kernel's BTF. */
__u32 ld_recv_flags_arg(void);

/* What sock_hooks.bpf.h's fallbacks need to know of this kernel, for any object using it. */
#define LD_SOCK_HOOKS_CONFIG(rodata)                                                              \
	do {                                                                                      \
		(rodata)->recv_flags_arg = ld_recv_flags_arg();                                   \
		(rodata)->udp_sendpage_hooked = ss_func_exists("udp_sendpage");                   \
	} while (0)
/* PID bitmap (the object's .bss) and cgroup filter map, after load. */
int ld_fill_filters(__u64 *pid_bits, int cgroup_map_fd, const struct ss_opts *o, char *err,
		    size_t len);
int ld_attach(struct bpf_object *obj, const struct ss_choice *ch, size_t n,
	      struct ss_links *links, char *err, size_t len);
void ld_detach(struct ss_links *links);
void ld_describe(const struct ss_choice *ch, size_t n, FILE *f);
/*
 * Loads a skeleton's object (through the skeleton, so that its .bss and .rodata pointers
 * move to the loaded maps), the one of capability cap ("io", "conns", "trace"). On failure err says
 * which program the kernel refused, the verifier's last line and what to do; -v shows the
 * whole log as libbpf prints it. The tests make a capability fail on purpose by naming it in
 * SOCKSCOPE_TEST_FAIL_LOAD (a comma-separated list): one of its programs is replaced by one
 * that the verifier refuses, so the refusal is real. Returns 0 or -1.
 */
int ld_load(struct bpf_object_skeleton *skel, const char *cap, char *err, size_t len);
/* From libbpf's log after a failed load: the refused program and the verifier's last line. */
void ld_refusal(const char *log, char *prog, size_t plen, char *line, size_t llen);
/* Sums, field by field over the CPUs, the one entry of a per-CPU array of nfields u64s. */
int ld_percpu_sum(int map_fd, size_t nfields, __u64 *sum);
/* The same into a struct of u64 counters. */
#define LD_PERCPU_SUM(map_fd, s) ld_percpu_sum((map_fd), sizeof(s) / sizeof(__u64), (__u64 *)&(s))

#endif
