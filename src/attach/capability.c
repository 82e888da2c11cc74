// SPDX-License-Identifier: GPL-2.0
/* Loading a capability, the same way for every one: see capability.h. */
#include "attach/capability.h"
#include "attach/sys.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether name is one of the comma-separated list in environment variable var. */
static bool listed(const char *var, const char *name)
{
	const char *list = getenv(var);
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	}
	return false;
}

bool cap_hook_for(const struct cap_hook *h, unsigned flags)
{
	return !h->only || (h->only & flags);
}

/* Whether a load with these flags attaches hook h, given the hooks chosen before it. */
static bool attaches(const struct cap_hook *h, unsigned flags, const struct hook_choice *before)
{
	if (!h->hook || !cap_hook_for(h, flags))
		return false;
	return !h->wanted || h->wanted(before);
}

/*
 * Chooses a way for each hook (ch[i] for hooks[i]) that a load with these flags attaches;
 * fails only for a required hook.
 */
static int choose(const struct cap_hook *hooks, size_t n, unsigned flags, enum attach_mode force,
		  struct hook_choice *ch, char *err, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		bool used = attaches(&hooks[i], flags, ch);
		/* the tests leave out an optional hook to see what its absence does */
		bool skip = used && !hooks[i].required &&
			    listed("SOCKSCOPE_TEST_SKIP_HOOK", hooks[i].hook->name);

		if (skip)
			fprintf(stderr, "sockscope: warning: no %s hook (left out for a test); %s\n",
				hooks[i].hook->name, hooks[i].degraded);
		if (!used || skip) {
			memset(&ch[i], 0, sizeof(ch[i]));
			ch[i].way = -1;
			continue;
		}
		if (!hook_choose(hooks[i].hook, force, &ch[i]))
			continue;
		if (hooks[i].required) {
			snprintf(err, len, "cannot attach %s (%s): %s", hooks[i].hook->name,
				 hooks[i].hook->what, ch[i].why);
			return -1;
		}
		fprintf(stderr, "sockscope: warning: no %s hook (%s); %s\n", hooks[i].hook->name,
			ch[i].why, hooks[i].degraded);
	}
	return 0;
}

bool cap_untyped(const struct hook_choice *c)
{
	enum attach_mode m = c->way < 0 ? ATTACH_AUTO : c->hook->ways[c->way].mode;

	return m == ATTACH_RAW_TP || m == ATTACH_KPROBE;
}

__u32 cap_recv_flags_arg(void)
{
	return sys_func_arity("tcp_recvmsg") == 6 ? 4 : 3;
}

int cap_fill_filters(__u64 *pid_bits, int cgroup_map_fd, const struct opts *o, char *err,
		    size_t len)
{
	uint32_t zero = 0;
	int fd;

	for (size_t i = 0; i < o->npids; i++)
		pid_bits[o->pids[i] / 64] |= 1ULL << (o->pids[i] % 64);
	if (!o->cgroup_path)
		return 0;
	fd = open(o->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || bpf_map_update_elem(cgroup_map_fd, &zero, &fd, BPF_ANY)) {
		snprintf(err, len, "cannot use cgroup %s: %s", o->cgroup_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int attach(struct bpf_object *obj, const struct hook_choice *ch, size_t n,
		  struct hook_links *links, char *err, size_t len)
{
	int cg = -1;

	for (size_t i = 0; i < n; i++) {
		if (ch[i].way < 0)
			continue;
		if (ch[i].hook->ways[ch[i].way].mode == ATTACH_CGROUP &&
		    (cg = sys_cgroup_fd(err, len)) < 0)
			return -1;
		if (hook_attach(obj, &ch[i], cg, links, err, len))
			return -1;
	}
	return 0;
}

void cap_detach(struct hook_links *links)
{
	for (size_t i = 0; i < links->n; i++)
		bpf_link__destroy(links->v[i].link);
	free(links->v);
	links->v = NULL;
	links->n = 0;
}

/*
 * The object's first tp_btf program is loaded (even where another mode was chosen, as on
 * kernels before 6.3) and pointed at another tracepoint, sys_enter, whose arguments are not
 * the ones it reads: the verifier refuses it as it would a real fault. Every object has one.
 */
static void break_one(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		if (bpf_program__expected_attach_type(p) == BPF_TRACE_RAW_TP &&
		    bpf_program__type(p) == BPF_PROG_TYPE_TRACING) {
			bpf_program__set_autoload(p, true);
			bpf_program__set_attach_target(p, 0, "sys_enter");
			return;
		}
	}
}

/* The line of a verifier log that says what it refused: the last before its statistics. */
static void last_words(const char *log, char *line, size_t llen)
{
	const char *end = strstr(log, "\nprocessed ");
	const char *start;

	if (!end)
		end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		end--;
	for (start = end; start > log && start[-1] != '\n'; start--)
		;
	snprintf(line, llen, "%.*s", (int)(end - start), start);
}

/* The last occurrence of what in s, or NULL. */
static const char *last_of(const char *s, const char *what)
{
	const char *p = strstr(s, what), *next;

	while (p && (next = strstr(p + 1, what)))
		p = next;
	return p;
}

void cap_refusal(const char *log, char *prog, size_t plen, char *line, size_t llen)
{
	/* libbpf names the program on each line about it: the last is the one refused */
	const char *p = last_of(log, "prog '"), *quote = p ? strchr(p + 6, '\'') : NULL;
	const char *q = last_of(log, "-- BEGIN PROG LOAD LOG --\n");

	prog[0] = line[0] = '\0';
	if (quote)
		snprintf(prog, plen, "%.*s", (int)(quote - p - 6), p + 6);
	if (q) {
		char body[4096];
		const char *e;

		q += strlen("-- BEGIN PROG LOAD LOG --\n");
		e = strstr(q, "-- END PROG LOAD LOG --");
		snprintf(body, sizeof(body), "%.*s", e ? (int)(e - q) : (int)strlen(q), q);
		last_words(body, line, llen);
	}
}

/* Loads through the skeleton, so that its .bss and .rodata pointers move to the loaded maps. */
static int load_skeleton(struct bpf_object_skeleton *skel, const char *cap, char *err,
			 size_t len)
{
	char prog[128], line[256];
	int ret;

	if (listed("SOCKSCOPE_TEST_FAIL_LOAD", cap))
		break_one(*skel->obj);
	sys_libbpf_forget(); /* what an earlier load said is not this one's reason */
	ret = bpf_object__load_skeleton(skel);
	if (!ret)
		return 0;
	cap_refusal(sys_libbpf_last(), prog, sizeof(prog), line, sizeof(line));
	if (prog[0])
		snprintf(err, len,
			 "the kernel refused BPF program '%s' (%s capability): %s; run "
			 "'sockscope doctor' (or -v for the verifier's whole log)",
			 prog, cap, line[0] ? line : strerror(-ret));
	else
		snprintf(err, len,
			 "cannot load the %s BPF programs: %s; run 'sockscope doctor' (or -v "
			 "for libbpf's log)", cap, strerror(-ret));
	return -1;
}

/* Sums, field by field over the CPUs, the one entry of a per-CPU array of nfields u64s. */
static int percpu_sum(int map_fd, size_t nfields, __u64 *sum)
{
	int n = libbpf_num_possible_cpus();
	__u64 *per = n > 0 ? calloc((size_t)n * nfields, sizeof(*per)) : NULL;
	__u32 zero = 0;
	int ret = -1;

	memset(sum, 0, nfields * sizeof(*sum));
	if (per && !bpf_map_lookup_elem(map_fd, &zero, per)) {
		for (int c = 0; c < n; c++)
			for (size_t f = 0; f < nfields; f++)
				sum[f] += per[(size_t)c * nfields + f];
		ret = 0;
	}
	free(per);
	return ret;
}

const char *cap_targets(const struct hook_way *w, const bool skip[16], char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	/* a kprobe and its kretprobe, or fentry and fexit, name the same target */
	for (int j = 0; w->progs[j].prog && o < len; j++)
		if (!skip[j] && (!j || strcmp(w->progs[j].target, w->progs[j - 1].target)))
			o += snprintf(buf + o, len - o, "%s%s", o ? " " : "", w->progs[j].target);
	return buf;
}

void cap_describe(const struct hook_choice *ch, size_t n, FILE *f)
{
	char targets[512];

	for (size_t i = 0; i < n; i++) {
		const struct hook_choice *c = &ch[i];

		if (c->way < 0)
			continue;
		const struct hook_way *w = &c->hook->ways[c->way];

		fprintf(f, "sockscope: attached %s via %s: %s\n", c->hook->name,
			attach_mode_name(w->mode), cap_targets(w, c->skip, targets, sizeof(targets)));
	}
}

/* Open, configure, choose, turn off what was not chosen, load. */
static int load(struct cap_obj *lo, const struct cap_req *req, char *err, size_t len)
{
	const struct capability *cap = lo->cap;
	const struct cap_skel_head *head;

	lo->skel = cap->open();
	if (!lo->skel) {
		snprintf(err, len, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	head = lo->skel;
	cap->configure(lo->skel, req->o, req->flags, req->cfg);
	if (choose(cap->hooks, cap->nhooks, req->flags, req->o->attach, lo->ch, err, len) ||
	    hook_apply(head->obj, lo->ch, cap->nhooks, err, len))
		return -1;
	return load_skeleton(head->skeleton, cap->name, err, len);
}

/*
 * Every record passes here rather than straight to the reader's handler, so that one place,
 * cap_unread, can turn a drain into a count at a stop for every capability alike.
 */
static int on_ring(void *ctx, void *data, size_t size)
{
	const struct cap_ring_ctx *rc = ctx;
	struct cap_obj *lo = rc->lo;

	if (!lo->counting)
		return (rc->ring->handler ? rc->ring->handler : lo->handler)(lo->ctx, data, size);
	lo->unread += rc->ring->lost_if_unread;
	return 0; /* a count is never cut short: it must be whole */
}

/* One ring buffer manager for all of the capability's ring buffers, polled as one. */
static int open_rings(struct cap_obj *lo, const struct cap_req *req, char *err, size_t len)
{
	const struct cap_skel_head *head = lo->skel;
	struct cap_ring_ctx *rc = lo->rctx;

	lo->ctx = req->ctx;
	lo->handler = req->handler;
	for (const struct cap_ring *r = lo->cap->rings; r && r->map; r++, rc++) {
		int fd = bpf_object__find_map_fd_by_name(head->obj, r->map);

		if (rc == lo->rctx + CAP_MAX_RINGS) {
			snprintf(err, len, "%s: more rings than CAP_MAX_RINGS", lo->cap->name);
			return -1;
		}
		*rc = (struct cap_ring_ctx){ .lo = lo, .ring = r };
		if (fd >= 0 && !lo->rb)
			lo->rb = ring_buffer__new(fd, on_ring, rc, NULL);
		else if (fd >= 0 && ring_buffer__add(lo->rb, fd, on_ring, rc))
			fd = -1;
		if (fd < 0 || !lo->rb) {
			snprintf(err, len, "cannot open the %s ring buffer: %s", r->map,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

int cap_open(struct cap_obj *lo, const struct capability *cap, const struct cap_req *req, char *err,
	    size_t len)
{
	memset(lo, 0, sizeof(*lo));
	lo->cap = cap;
	if (cap->nhooks > CAP_MAX_HOOKS) {
		snprintf(err, len, "%s: more hooks than CAP_MAX_HOOKS", cap->name);
		return -1;
	}
	if (!req->load_only && sys_check_privileges(err, len))
		return -1;
	if (load(lo, req, err, len))
		return -1;
	if (req->load_only)
		return 0;
	if (cap->filters(lo->skel, req->o, err, len) ||
	    attach(((const struct cap_skel_head *)lo->skel)->obj, lo->ch, cap->nhooks, &lo->links,
		   err, len))
		return -1;
	return open_rings(lo, req, err, len);
}

__u64 cap_unread(struct cap_obj *lo)
{
	cap_detach(&lo->links); /* nothing more comes: the count is final */
	lo->counting = true;
	if (lo->rb)
		ring_buffer__consume(lo->rb);
	return lo->unread;
}

void cap_close(struct cap_obj *lo)
{
	cap_detach(&lo->links);
	ring_buffer__free(lo->rb);
	lo->rb = NULL;
	if (lo->skel)
		lo->cap->destroy(lo->skel);
	lo->skel = NULL;
}

int cap_try_load(const struct capability *cap, const struct opts *o, unsigned flags, char *err,
		size_t len)
{
	const struct cap_req req = { .o = o, .flags = flags, .load_only = true };
	struct cap_obj lo;
	int ret = cap_open(&lo, cap, &req, err, len);

	cap_close(&lo);
	return ret;
}

__u64 cap_lost(const struct cap_obj *lo)
{
	const struct capability *cap = lo->cap;
	const struct cap_skel_head *head = lo->skel;
	__u64 sum[32], lost = 0;
	int fd = bpf_object__find_map_fd_by_name(head->obj, cap->stats_map);

	if (fd < 0 || cap->nstats > 32 || percpu_sum(fd, cap->nstats, sum))
		return 0;
	for (size_t i = 0; i < cap->nstats; i++)
		if (cap->lost_fields & (1u << i))
			lost += sum[i];
	return lost;
}
