// SPDX-License-Identifier: GPL-2.0
/* The attach framework: probing of ways to attach, and applying the choice. See probe.h. */
#include "attach/probe.h"
#include "attach/sys.h"
#include "probe.skel.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Trial results, so that a target shared by several programs or hooks is tried once. */
struct trial {
	enum attach_mode mode;
	char target[64];
	int err;
	char why[200];
};

static struct trial trials[64];
static int ntrials;
static int cgroup_fd = -1;

int sys_cgroup_fd(char *why, size_t len)
{
	char path[4096];

	if (cgroup_fd >= 0)
		return cgroup_fd;
	if (sys_cgroup2_root(path, sizeof(path), why, len))
		return -1;
	cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		snprintf(why, len, "cannot open cgroup %s: %s", path, strerror(errno));
	return cgroup_fd;
}

/* kprobes go through the perf PMU; only without it does libbpf need tracefs mounted. */
static void kprobe_prepare(void)
{
	char why[256];

	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		sys_ensure_tracefs(why, sizeof(why));
}

/* Classic tracepoints are found through tracefs, which may need mounting first. */
static struct bpf_link *attach_classic(struct bpf_program *p, const char *target, char *why,
				       size_t len)
{
	char cat[64];
	const char *slash = strchr(target, '/');

	if (!slash || slash - target >= (int)sizeof(cat) || sys_ensure_tracefs(why, len)) {
		errno = slash ? errno : EINVAL;
		return NULL;
	}
	snprintf(cat, sizeof(cat), "%.*s", (int)(slash - target), target);
	return bpf_program__attach_tracepoint(p, cat, slash + 1);
}

static struct bpf_link *trial_attach(struct bpf_program *p, enum attach_mode mode,
				     const char *target, char *why, size_t len)
{
	int fd;

	switch (mode) {
	case ATTACH_RAW_TP:
		return bpf_program__attach_raw_tracepoint(p, target);
	case ATTACH_KPROBE:
		kprobe_prepare();
		return bpf_program__attach_kprobe(p, false, target);
	case ATTACH_CGROUP:
		fd = sys_cgroup_fd(why, len);
		return fd < 0 ? NULL : bpf_program__attach_cgroup(p, fd);
	case ATTACH_TRACEPOINT:
		return attach_classic(p, target, why, len);
	default:
		return bpf_program__attach(p);
	}
}

static struct bpf_program *trial_prog(struct probe_bpf *skel, enum attach_mode mode)
{
	switch (mode) {
	case ATTACH_TP_BTF:
		return skel->progs.probe_tp_btf;
	case ATTACH_RAW_TP:
		return skel->progs.probe_raw_tp;
	case ATTACH_FENTRY:
		return skel->progs.probe_fentry;
	case ATTACH_KPROBE:
		return skel->progs.probe_kprobe;
	case ATTACH_TRACEPOINT:
		return skel->progs.probe_tracepoint;
	case ATTACH_ITER:
		return skel->progs.probe_iter;
	default:
		return skel->progs.probe_cgroup;
	}
}

/* What the usual refusals mean, so that a user knows what to do about them. */
static const char *hint(enum attach_mode mode, int err)
{
	if (mode == ATTACH_FENTRY && err == -EPERM)
		return " (this kernel refuses fentry/fexit; use the tracepoint modes)";
	if (mode == ATTACH_KPROBE && err == -ENOENT)
		return " (no kprobe support: kernel built without CONFIG_KPROBES?)";
	if (mode == ATTACH_CGROUP && err == -EPERM)
		return " (needs CAP_NET_ADMIN)";
	return "";
}

/* Loads and attaches a do-nothing program of this mode at target, then removes it. */
static int run_trial(enum attach_mode mode, const char *target, char *why, size_t len)
{
	struct probe_bpf *skel = probe_bpf__open();
	struct bpf_program *p, *want;
	struct bpf_link *link = NULL;
	int err;

	if (!skel) {
		snprintf(why, len, "cannot open probe object: %s", strerror(errno));
		return -1;
	}
	want = trial_prog(skel, mode);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == want);
	if (mode == ATTACH_TP_BTF || mode == ATTACH_FENTRY)
		bpf_program__set_attach_target(want, 0, target);
	err = probe_bpf__load(skel);
	if (err) {
		snprintf(why, len, "load refused: %s%s", strerror(-err), hint(mode, err));
	} else {
		why[0] = '\0';
		link = trial_attach(want, mode, target, why, len);
		err = link ? 0 : -errno;
		if (!link && !why[0])
			snprintf(why, len, "attach refused: %s%s", strerror(-err), hint(mode, err));
	}
	bpf_link__destroy(link);
	probe_bpf__destroy(skel);
	return err ? -1 : 0;
}

static int trial(enum attach_mode mode, const char *target, char *why, size_t len)
{
	struct trial *t;

	for (int i = 0; i < ntrials; i++) {
		t = &trials[i];
		if (t->mode == mode && !strcmp(t->target, target)) {
			snprintf(why, len, "%s", t->why);
			return t->err;
		}
	}
	sys_libbpf_quiet(true);
	int err = run_trial(mode, target, why, len);
	sys_libbpf_quiet(false);
	if (ntrials < (int)(sizeof(trials) / sizeof(trials[0]))) {
		t = &trials[ntrials++];
		t->mode = mode;
		snprintf(t->target, sizeof(t->target), "%s", target);
		t->err = err;
		snprintf(t->why, sizeof(t->why), "%s", why);
	}
	return err;
}

/* Is the target there at all? Only asked where BTF can tell; otherwise the trial will. */
static bool target_exists(enum attach_mode mode, const char *target)
{
	if (!sys_vmlinux_btf() || mode == ATTACH_CGROUP || mode == ATTACH_TRACEPOINT ||
	    mode == ATTACH_ITER)
		return true;
	if (mode == ATTACH_TP_BTF || mode == ATTACH_RAW_TP)
		return sys_tracepoint_exists(target);
	return sys_func_exists(target);
}

int probe_way(const struct hook_way *w, bool skip[16], char *why, size_t len)
{
	char reason[200];
	bool tried = false;

	for (int i = 0; w->progs[i].prog; i++) {
		const struct prog_ref *r = &w->progs[i];

		skip[i] = false;
		if (!target_exists(w->mode, r->target)) {
			if (r->optional) {
				skip[i] = true;
				continue;
			}
			snprintf(why, len, "%s not in this kernel", r->target);
			return -1;
		}
		/*
		 * Whether a kernel allows a mode is a property of the kernel (ftrace, kprobes,
		 * BTF), not of each function: one trial per way. Each costs a parse of the
		 * kernel's BTF, half a second under emulation.
		 */
		if (tried)
			continue;
		tried = true;
		if (trial(w->mode, r->target, reason, sizeof(reason))) {
			snprintf(why, len, "%s: %s", r->target, reason);
			return -1;
		}
	}
	return 0;
}

static bool has_mode(const struct hook *h, enum attach_mode m)
{
	for (int i = 0; i < HOOK_MAX_WAYS && h->ways[i].progs; i++)
		if (h->ways[i].mode == m)
			return true;
	return false;
}

int hook_choose(const struct hook *hook, enum attach_mode force, struct hook_choice *c)
{
	bool only = force != ATTACH_AUTO && has_mode(hook, force);
	size_t o = 0;

	memset(c, 0, sizeof(*c));
	c->hook = hook;
	c->way = -1;
	for (int i = 0; i < HOOK_MAX_WAYS && hook->ways[i].progs; i++) {
		const struct hook_way *w = &hook->ways[i];
		char why[256];

		if (only && w->mode != force)
			continue;
		if (!probe_way(w, c->skip, why, sizeof(why))) {
			c->way = i;
			return 0;
		}
		o += snprintf(c->why + o, o < sizeof(c->why) ? sizeof(c->why) - o : 0, "%s%s: %s",
			      o ? "; " : "", attach_mode_name(w->mode), why);
	}
	return -1;
}

int hook_apply(struct bpf_object *obj, const struct hook_choice *c, size_t n, char *err, size_t len)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (size_t i = 0; i < n; i++) {
		if (c[i].way < 0)
			continue;
		const struct prog_ref *r = c[i].hook->ways[c[i].way].progs;

		for (int j = 0; r[j].prog; j++) {
			if (c[i].skip[j])
				continue;
			p = bpf_object__find_program_by_name(obj, r[j].prog);
			if (!p) {
				snprintf(err, len, "internal: no BPF program %s", r[j].prog);
				return -1;
			}
			bpf_program__set_autoload(p, true);
		}
	}
	return 0;
}

int hook_attach(struct bpf_object *obj, const struct hook_choice *c, int cg_fd,
	      struct hook_links *links, char *err, size_t len)
{
	for (int j = 0; c->way >= 0 && c->hook->ways[c->way].progs[j].prog; j++) {
		const struct hook_way *w = &c->hook->ways[c->way];
		struct bpf_program *p;
		struct bpf_link *l;
		struct hook_link *grown;

		if (c->skip[j])
			continue;
		p = bpf_object__find_program_by_name(obj, w->progs[j].prog);
		if (w->mode == ATTACH_KPROBE)
			kprobe_prepare();
		if (w->mode == ATTACH_CGROUP)
			l = bpf_program__attach_cgroup(p, cg_fd);
		else if (w->mode == ATTACH_TRACEPOINT)
			l = attach_classic(p, w->progs[j].target, err, len);
		else
			l = bpf_program__attach(p);
		if (!l) {
			snprintf(err, len, "%s: attaching %s (%s %s) failed: %s", c->hook->name,
				 w->progs[j].prog, attach_mode_name(w->mode), w->progs[j].target,
				 strerror(errno));
			return -1;
		}
		grown = realloc(links->v, (links->n + 1) * sizeof(*links->v));
		if (!grown) {
			bpf_link__destroy(l);
			snprintf(err, len, "out of memory");
			return -1;
		}
		links->v = grown;
		links->v[links->n].link = l;
		links->v[links->n++].prog = p;
	}
	return 0;
}


struct bpf_link *hook_links_find(const struct hook_links *links, const struct bpf_program *prog)
{
	for (size_t i = 0; i < links->n; i++)
		if (links->v[i].prog == prog)
			return links->v[i].link;
	return NULL;
}

void probe_cleanup(void)
{
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	cgroup_fd = -1;
	ntrials = 0;
}
