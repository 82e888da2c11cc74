/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a capability: one BPF object, described once by its reader (struct capability in
 * readers/io.c, conns.c, tracer.c) and loaded by cap_open() the same way for all: open the
 * skeleton, configure it from the options, choose a way for each hook, turn off the programs of the
 * ways not chosen, load, fill the filter maps, attach, open the ring buffers. doctor loads
 * each capability as its subcommands would (its uses) and lists its hooks under them.
 */
#ifndef SS_LOADER_H
#define SS_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "core/opts.h"
#include "attach/probe.h"
#include "attach/sys.h"

struct bpf_object;
struct bpf_object_skeleton;
struct ring_buffer;

/*
 * A hook of a capability. Without a required one the capability does not load; without an
 * optional one it warns and goes on. The tests leave optional hooks out by naming them in
 * SOCKSCOPE_TEST_SKIP_HOOK (comma-separated).
 */
struct cap_hook {
	const struct hook *hook;
	bool required; /* without it the subcommand cannot run */
	const char *degraded; /* what is lost without it, when not required */
	/* attached only for loads whose flags have one of these (0: for every load) */
	unsigned only;
	/* attached only when this says so of the hooks chosen before it (NULL: always) */
	bool (*wanted)(const struct hook_choice *before);
};

/* One way subcommands load a capability: doctor loads it so, and names the hooks it uses. */
struct cap_use {
	const char *cmds;    /* the subcommands that load it so: "conns, serve" */
	const char *variant; /* the option that makes this load differ ("--events"), or NULL */
	unsigned flags;      /* what this load asks of the capability: its own flag bits */
};

struct cap_ring {
	const char *map; /* a BPF_MAP_TYPE_RINGBUF of the object */
	/* ctx: cap_req.ctx; NULL: cap_req.handler, for a reader whose caller takes the records */
	int (*handler)(void *ctx, void *data, size_t size);
	/* a record still in it at a stop is an event lost (cap_unread counts it) */
	bool lost_if_unread;
};

struct capability {
	const char *name; /* "io": in messages and SOCKSCOPE_TEST_FAIL_LOAD */
	void *(*open)(void); /* the generated skeleton's open and destroy (CAP_SKELETON) */
	void (*destroy)(void *skel);
	const struct cap_hook *hooks; /* their choices are cap_obj.ch, in this order */
	size_t nhooks;
	const struct cap_use *uses; /* ended by one with cmds == NULL */
	/*
	 * Before load: .rodata and map sizes from the options, the flags and cfg (NULL: the
	 * defaults of the flags, as doctor loads it).
	 */
	void (*configure)(void *skel, const struct opts *o, unsigned flags, const void *cfg);
	/* After load: the PID and cgroup filters (cap_fill_filters). */
	int (*filters)(void *skel, const struct opts *o, char *err, size_t len);
	const struct cap_ring *rings; /* ended by one with map == NULL */
	/* Its per-CPU array of u64 counters, and which of them count events lost. */
	const char *stats_map;
	size_t nstats;
	unsigned lost_fields; /* CAP_FIELD bits */
};

#define CAP_MAX_HOOKS 12
#define CAP_MAX_RINGS 4
/* The bit of a u64 counter of a stats struct, for capability.lost_fields. */
#define CAP_FIELD(type, member) (1u << (offsetof(type, member) / sizeof(__u64)))

struct cap_obj;

/* What libbpf hands to the loader's ring handler: which ring of which object. */
struct cap_ring_ctx {
	struct cap_obj *lo;
	const struct cap_ring *ring;
};

/* A capability, loaded. It must not move once open: its ring buffers point at it. */
struct cap_obj {
	const struct capability *cap;
	void *skel; /* the generated skeleton: struct io_bpf and the like */
	struct hook_choice ch[CAP_MAX_HOOKS]; /* ch[i] for cap->hooks[i] */
	struct hook_links links;
	struct ring_buffer *rb; /* all of cap->rings */
	void *ctx;		/* cap_req.ctx, for the rings' handlers */
	int (*handler)(void *ctx, void *data, size_t size); /* cap_req.handler */
	struct cap_ring_ctx rctx[CAP_MAX_RINGS]; /* rctx[i] for cap->rings[i] */
	bool counting; /* after cap_unread: records are counted, not handed over */
	__u64 unread;
};

struct cap_req {
	const struct opts *o;
	unsigned flags;  /* see cap_use */
	const void *cfg; /* for configure */
	void *ctx;	 /* for the ring buffers' handlers */
	/* for rings without a handler of their own: the caller's, with ctx */
	int (*handler)(void *ctx, void *data, size_t size);
	bool load_only;	 /* doctor: no filters, no attach, no ring buffers */
};

/*
 * Loads and attaches a capability (or only loads it) into *lo, which must be closed either
 * way. On failure err says why and what to do: when the kernel refuses a program, which one
 * and the verifier's last line (-v shows the whole log as libbpf prints it). The tests make
 * a capability fail on purpose by naming it in SOCKSCOPE_TEST_FAIL_LOAD (comma-separated):
 * one of its programs is replaced by one that the verifier refuses, so the refusal is real.
 */
int cap_open(struct cap_obj *lo, const struct capability *cap, const struct cap_req *req, char *err,
	    size_t len);
/* Loads it as cap_open would for a use with these flags, and drops it (doctor). */
int cap_try_load(const struct capability *cap, const struct opts *o, unsigned flags, char *err,
		size_t len);
/* Detaches, frees the ring buffers and the skeleton. */
void cap_close(struct cap_obj *lo);
/* Detaches only: what the ring buffers hold stays to be read. */
void cap_detach(struct hook_links *links);
/*
 * At a stop: detaches, then drains the ring buffers without handing anything over, and
 * returns how many records of the rings marked lost_if_unread were still there (events the
 * caller never saw, to report as lost). From then on every drain only counts.
 */
__u64 cap_unread(struct cap_obj *lo);
/* The events the capability counted as lost (cap->lost_fields), 0 when unknown. */
__u64 cap_lost(const struct cap_obj *lo);
/* Says (under -v) which way each hook was attached. */
void cap_describe(const struct hook_choice *ch, size_t n, FILE *f);
/* The kernel targets of a way, each once, space-separated, without the skipped ones. */
const char *cap_targets(const struct hook_way *w, const bool skip[16], char *buf, size_t len);
/* Whether loads with these flags attach h (h->wanted aside: it depends on the kernel). */
bool cap_hook_for(const struct cap_hook *h, unsigned flags);

/* For the capabilities' callbacks. */

/* True when the chosen way for this hook passes untyped pointers (raw_tp, kprobe). */
bool cap_untyped(const struct hook_choice *c);
/* The flags argument index of tcp_recvmsg and friends, per this kernel's BTF. */
__u32 cap_recv_flags_arg(void);

/* What sock_hooks.bpf.h's fallbacks need to know of this kernel, for any object using it. */
#define CAP_SOCK_HOOKS_CONFIG(rodata)                                                             \
	do {                                                                                      \
		(rodata)->recv_flags_arg = cap_recv_flags_arg();                                  \
		(rodata)->udp_sendpage_hooked = sys_func_exists("udp_sendpage");                  \
	} while (0)
/* PID bitmap (the object's .bss) and cgroup filter map, after load. */
int cap_fill_filters(__u64 *pid_bits, int cgroup_map_fd, const struct opts *o, char *err,
		    size_t len);

/* From libbpf's log after a failed load: the refused program and the verifier's last line. */
void cap_refusal(const char *log, char *prog, size_t plen, char *line, size_t llen);

/* Every bpftool skeleton starts so: the loader reaches the object through it. */
struct cap_skel_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};

/* The open and destroy of skeleton NAME (struct NAME_bpf), for its struct capability. */
#define CAP_SKELETON(name)                                                                        \
	_Static_assert(offsetof(struct name##_bpf, skeleton) == 0 &&                              \
			       offsetof(struct name##_bpf, obj) == offsetof(struct cap_skel_head, obj), \
		       #name ": not the skeleton layout the loader knows");                       \
	static void *name##_skel_open(void)                                                       \
	{                                                                                         \
		return name##_bpf__open();                                                        \
	}                                                                                         \
	static void name##_skel_destroy(void *skel)                                               \
	{                                                                                         \
		name##_bpf__destroy(skel);                                                        \
	}

#endif
