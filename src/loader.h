/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a capability: one BPF object, described once by its reader (struct ld_cap in io.c,
 * tcpconn.c, tracer.c) and loaded by ld_open() the same way for all: open the skeleton,
 * configure it from the options, choose a way for each hook, turn off the programs of the
 * ways not chosen, load, fill the filter maps, attach, open the ring buffers. doctor loads
 * each capability as its subcommands would (its uses) and lists its hooks under them.
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

struct bpf_object;
struct bpf_object_skeleton;
struct ring_buffer;

/*
 * A hook of a capability. Without a required one the capability does not load; without an
 * optional one it warns and goes on. The tests leave optional hooks out by naming them in
 * SOCKSCOPE_TEST_SKIP_HOOK (comma-separated).
 */
struct ld_hook {
	const struct ss_hook *hook;
	bool required; /* without it the subcommand cannot run */
	const char *degraded; /* what is lost without it, when not required */
	/* attached only for loads whose flags have one of these (0: for every load) */
	unsigned only;
	/* attached only when this says so of the hooks chosen before it (NULL: always) */
	bool (*wanted)(const struct ss_choice *before);
};

/* One way subcommands load a capability: doctor loads it so, and names the hooks it uses. */
struct ld_use {
	const char *cmds;    /* the subcommands that load it so: "conns, serve" */
	const char *variant; /* the option that makes this load differ ("--events"), or NULL */
	unsigned flags;      /* what this load asks of the capability: its own flag bits */
};

struct ld_ring {
	const char *map; /* a BPF_MAP_TYPE_RINGBUF of the object */
	int (*handler)(void *ctx, void *data, size_t size); /* ctx: ld_req.ctx */
};

struct ld_cap {
	const char *name; /* "io": in messages and SOCKSCOPE_TEST_FAIL_LOAD */
	void *(*open)(void); /* the generated skeleton's open and destroy (LD_SKELETON) */
	void (*destroy)(void *skel);
	const struct ld_hook *hooks; /* their choices are ld_obj.ch, in this order */
	size_t nhooks;
	const struct ld_use *uses; /* ended by one with cmds == NULL */
	/*
	 * Before load: .rodata and map sizes from the options, the flags and cfg (NULL: the
	 * defaults of the flags, as doctor loads it).
	 */
	void (*configure)(void *skel, const struct ss_opts *o, unsigned flags, const void *cfg);
	/* After load: the PID and cgroup filters (ld_fill_filters). */
	int (*filters)(void *skel, const struct ss_opts *o, char *err, size_t len);
	const struct ld_ring *rings; /* ended by one with map == NULL */
	/* Its per-CPU array of u64 counters, and which of them count events lost. */
	const char *stats_map;
	size_t nstats;
	unsigned lost_fields; /* LD_FIELD bits */
};

#define LD_MAX_HOOKS 12
/* The bit of a u64 counter of a stats struct, for ld_cap.lost_fields. */
#define LD_FIELD(type, member) (1u << (offsetof(type, member) / sizeof(__u64)))

/* A capability, loaded. */
struct ld_obj {
	const struct ld_cap *cap;
	void *skel; /* the generated skeleton: struct io_bpf and the like */
	struct ss_choice ch[LD_MAX_HOOKS]; /* ch[i] for cap->hooks[i] */
	struct ss_links links;
	struct ring_buffer *rb; /* all of cap->rings */
};

struct ld_req {
	const struct ss_opts *o;
	unsigned flags;  /* see ld_use */
	const void *cfg; /* for configure */
	void *ctx;	 /* for the ring buffers' handlers */
	bool load_only;	 /* doctor: no filters, no attach, no ring buffers */
};

/*
 * Loads and attaches a capability (or only loads it) into *lo, which must be closed either
 * way. On failure err says why and what to do: when the kernel refuses a program, which one
 * and the verifier's last line (-v shows the whole log as libbpf prints it). The tests make
 * a capability fail on purpose by naming it in SOCKSCOPE_TEST_FAIL_LOAD (comma-separated):
 * one of its programs is replaced by one that the verifier refuses, so the refusal is real.
 */
int ld_open(struct ld_obj *lo, const struct ld_cap *cap, const struct ld_req *req, char *err,
	    size_t len);
/* Loads it as ld_open would for a use with these flags, and drops it (doctor). */
int ld_try_load(const struct ld_cap *cap, const struct ss_opts *o, unsigned flags, char *err,
		size_t len);
/* Detaches, frees the ring buffers and the skeleton. */
void ld_close(struct ld_obj *lo);
/* Detaches only: what the ring buffers hold stays to be read. */
void ld_detach(struct ss_links *links);
/* The events the capability counted as lost (cap->lost_fields), 0 when unknown. */
__u64 ld_lost(const struct ld_obj *lo);
/* Says (under -v) which way each hook was attached. */
void ld_describe(const struct ss_choice *ch, size_t n, FILE *f);
/* The kernel targets of a way, each once, space-separated, without the skipped ones. */
const char *ld_targets(const struct ss_way *w, const bool skip[16], char *buf, size_t len);
/* Whether loads with these flags attach h (h->wanted aside: it depends on the kernel). */
bool ld_hook_for(const struct ld_hook *h, unsigned flags);

/* For the capabilities' callbacks. */

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

/* From libbpf's log after a failed load: the refused program and the verifier's last line. */
void ld_refusal(const char *log, char *prog, size_t plen, char *line, size_t llen);

/* Every bpftool skeleton starts so: the loader reaches the object through it. */
struct ld_skel_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};

/* The open and destroy of skeleton NAME (struct NAME_bpf), for its struct ld_cap. */
#define LD_SKELETON(name)                                                                         \
	_Static_assert(offsetof(struct name##_bpf, skeleton) == 0 &&                              \
			       offsetof(struct name##_bpf, obj) == offsetof(struct ld_skel_head, obj), \
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
