/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ways a hook can be attached, and their names (the values of --attach). Pure, apart from
 * the attach framework (attach/probe.h), so that option parsing needs no libbpf.
 */
#ifndef SS_ATTACH_MODE_H
#define SS_ATTACH_MODE_H

enum attach_mode {
	ATTACH_AUTO = -1,
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
	ATTACH_FENTRY,
	ATTACH_KPROBE,
	ATTACH_CGROUP,
	ATTACH_TRACEPOINT, /* classic (perf event) tracepoint: "category/name" targets */
	ATTACH_ITER,	    /* BPF iterator: the target names the kind, e.g. "task_file" */
	ATTACH_COUNT,
};

const char *attach_mode_name(enum attach_mode m);
int attach_mode_parse(const char *s, enum attach_mode *m);

#endif
