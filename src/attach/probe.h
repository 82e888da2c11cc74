/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attach framework. Every hook is declared once (hooks.c) with its ways to attach, in
 * order of preference; each way names the programs of the BPF object it enables and the
 * kernel targets they attach to. Between skeleton open and load, hook_choose() tries the ways in
 * order with trivial programs (a real load and attach, because a kernel can describe a target
 * in BTF and still refuse it) and hook_apply() turns off every program that was not chosen.
 */
#ifndef SS_PROBE_H
#define SS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attach_mode.h"

struct bpf_object;
struct bpf_link;
struct bpf_program;

struct prog_ref {
	const char *prog;   /* program name in the BPF object */
	const char *target; /* tracepoint or kernel function */
	bool optional;      /* the target is absent on some kernels; skip it there */
};

struct hook_way {
	enum attach_mode mode;
	const struct prog_ref *progs; /* terminated by an entry with prog == NULL */
};

#define HOOK_MAX_WAYS 4

struct hook {
	const char *name;
	const char *what;
	struct hook_way ways[HOOK_MAX_WAYS];
};

struct hook_choice {
	const struct hook *hook;
	int way;	  /* index into hook->ways, -1 when none works */
	char why[512];	  /* why each rejected way was rejected */
	bool skip[16];	  /* optional programs of the chosen way whose target is absent */
};


/*
 * Probes hook's ways in order and fills *c. A forced mode (not ATTACH_AUTO) is the only one
 * tried for hooks that have it. Returns 0 when a way works, -1 otherwise (c->why says why).
 */
int hook_choose(const struct hook *hook, enum attach_mode force, struct hook_choice *c);
/* Probes one way; returns 0 when it works, else -1 with the reason in why. */
int probe_way(const struct hook_way *w, bool skip[16], char *why, size_t len);

/* Turns off every program of obj, then on those of the chosen ways. */
int hook_apply(struct bpf_object *obj, const struct hook_choice *c, size_t n, char *err,
	       size_t len);

/* The links a BPF object's programs were attached with. */
struct hook_link {
	struct bpf_link *link;
	const struct bpf_program *prog;
};

struct hook_links {
	struct hook_link *v;
	size_t n;
};

/* Attaches the chosen programs (cgroup ones to cgroup_fd); links are appended to *links. */
int hook_attach(struct bpf_object *obj, const struct hook_choice *c, int cgroup_fd,
	      struct hook_links *links, char *err, size_t len);
/* The link of prog, or NULL. */
struct bpf_link *hook_links_find(const struct hook_links *links, const struct bpf_program *prog);

/* The cgroup v2 root, opened (and mounted if need be) once; cgroup programs attach there. */
int sys_cgroup_fd(char *why, size_t len);

void probe_cleanup(void);

#endif
