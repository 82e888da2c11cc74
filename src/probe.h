/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attach framework. Every hook is declared once (hooks.c) with its ways to attach, in
 * order of preference; each way names the programs of the BPF object it enables and the
 * kernel targets they attach to. Between skeleton open and load, ss_choose() tries the ways in
 * order with trivial programs (a real load and attach, because a kernel can describe a target
 * in BTF and still refuse it) and ss_apply() turns off every program that was not chosen.
 */
#ifndef SS_PROBE_H
#define SS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_link;
struct bpf_program;

enum ss_mode {
	SS_MODE_AUTO = -1,
	SS_MODE_TP_BTF,
	SS_MODE_RAW_TP,
	SS_MODE_FENTRY,
	SS_MODE_KPROBE,
	SS_MODE_CGROUP,
	SS_MODE_TRACEPOINT, /* classic (perf event) tracepoint: "category/name" targets */
	SS_MODE_ITER,	    /* BPF iterator: the target names the kind, e.g. "task_file" */
	SS_MODE_COUNT,
};

struct ss_prog_ref {
	const char *prog;   /* program name in the BPF object */
	const char *target; /* tracepoint or kernel function */
	bool optional;      /* the target is absent on some kernels; skip it there */
};

struct ss_way {
	enum ss_mode mode;
	const struct ss_prog_ref *progs; /* terminated by an entry with prog == NULL */
};

#define SS_MAX_WAYS 4

struct ss_hook {
	const char *name;
	const char *what;
	struct ss_way ways[SS_MAX_WAYS];
};

struct ss_choice {
	const struct ss_hook *hook;
	int way;	  /* index into hook->ways, -1 when none works */
	char why[512];	  /* why each rejected way was rejected */
	bool skip[16];	  /* optional programs of the chosen way whose target is absent */
};

const char *ss_mode_name(enum ss_mode m);
int ss_mode_parse(const char *s, enum ss_mode *m);

/*
 * Probes hook's ways in order and fills *c. A forced mode (not SS_MODE_AUTO) is the only one
 * tried for hooks that have it. Returns 0 when a way works, -1 otherwise (c->why says why).
 */
int ss_choose(const struct ss_hook *hook, enum ss_mode force, struct ss_choice *c);
/* Probes one way; returns 0 when it works, else -1 with the reason in why. */
int ss_probe_way(const struct ss_way *w, bool skip[16], char *why, size_t len);

/* Turns off every program of obj, then on those of the chosen ways. */
int ss_apply(struct bpf_object *obj, const struct ss_choice *c, size_t n, char *err, size_t len);

/* The links a BPF object's programs were attached with. */
struct ss_link {
	struct bpf_link *link;
	const struct bpf_program *prog;
};

struct ss_links {
	struct ss_link *v;
	size_t n;
};

/* Attaches the chosen programs (cgroup ones to cgroup_fd); links are appended to *links. */
int ss_attach(struct bpf_object *obj, const struct ss_choice *c, int cgroup_fd,
	      struct ss_links *links, char *err, size_t len);
/* The link of prog, or NULL. */
struct bpf_link *ss_links_find(const struct ss_links *links, const struct bpf_program *prog);

/* The cgroup v2 root, opened (and mounted if need be) once; cgroup programs attach there. */
int ss_cgroup_fd(char *why, size_t len);

void ss_probe_cleanup(void);

#endif
