// SPDX-License-Identifier: GPL-2.0
/* User side of trace.bpf.c: see tracer.h. */
#include "tracer.h"
#include "hooks.h"
#include "loader.h"
#include "trace.skel.h"

#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CH_SEND, CH_RECV, CH_BYPASS, CH_MMSG, CH_COUNT };

struct ss_tracer {
	struct ld_obj lo;
	ss_tracer_event_fn on_event;
	void *ctx;
};

/* In the order of CH_*: the mmsg hook only places payloads, so it waits for --payload. */
static const struct ld_hook trace_hooks[CH_COUNT] = {
	{ &hook_sock_send, true },
	{ &hook_sock_recv, true },
	{ &hook_recv_bypass, false,
	  "TCP data read by splice(2), io_uring splice or zerocopy is not traced" },
	{ &hook_mmsg_entry, false, "sendmmsg/recvmmsg payloads show their first datagram",
	  SS_TRACER_PAYLOAD },
};

/* Without a cfg (doctor), the largest payload: the load the verifier finds hardest. */
static void configure(void *skel, const struct ss_opts *o, unsigned flags, const void *cfg)
{
	const struct ss_tracer_cfg plain = { 0, SS_TRACER_BUFFER },
				   payload = { SS_PAYLOAD_MAX, SS_TRACER_PAYLOAD_BUFFER };
	const struct ss_tracer_cfg *c = cfg ? cfg : flags & SS_TRACER_PAYLOAD ? &payload : &plain;
	struct trace_bpf *s = skel;

	s->rodata->filt = o->filt;
	s->rodata->filt.self_tgid = (uint32_t)getpid();
	s->rodata->payload_max = c->payload;
	LD_SOCK_HOOKS_CONFIG(s->rodata);
	/* the payload scratch area is per CPU, and not needed at all without payloads */
	bpf_map__set_max_entries(s->maps.scratch,
				 c->payload ? (uint32_t)libbpf_num_possible_cpus() : 1);
	bpf_map__set_max_entries(s->maps.events, c->buffer);
}

static int filters(void *skel, const struct ss_opts *o, char *err, size_t len)
{
	struct trace_bpf *s = skel;

	return ld_fill_filters(s->bss->pid_bits, bpf_map__fd(s->maps.cgroup_filter), o, err, len);
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct ss_tracer *t = ctx;

	return t->on_event(t->ctx, data, size);
}

LD_SKELETON(trace)

const struct ld_cap ss_tracer_cap = {
	.name = "trace",
	.open = trace_skel_open,
	.destroy = trace_skel_destroy,
	.hooks = trace_hooks,
	.nhooks = CH_COUNT,
	.uses = (const struct ld_use[]){ { "trace" },
					 { "trace", "--payload", SS_TRACER_PAYLOAD },
					 { NULL } },
	.configure = configure,
	.filters = filters,
	.rings = (const struct ld_ring[]){ { "events", on_ring }, { NULL } },
	.stats_map = "trace_stats",
	.nstats = sizeof(struct ss_trace_stats) / sizeof(__u64),
	.lost_fields = LD_FIELD(struct ss_trace_stats, drops),
};

struct ss_tracer *ss_tracer_open(const struct ss_opts *o, const struct ss_tracer_cfg *c,
				 ss_tracer_event_fn on_event, void *ctx, char *err, size_t len)
{
	struct ss_tracer *t = calloc(1, sizeof(*t));
	const struct ld_req req = {
		.o = o, .flags = c->payload ? SS_TRACER_PAYLOAD : 0, .cfg = c, .ctx = t
	};

	if (!t) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	t->on_event = on_event;
	t->ctx = ctx;
	if (ld_open(&t->lo, &ss_tracer_cap, &req, err, len)) {
		ss_tracer_close(t);
		return NULL;
	}
	return t;
}

int ss_tracer_consume(struct ss_tracer *t)
{
	return ring_buffer__consume(t->lo.rb);
}

int ss_tracer_poll(struct ss_tracer *t, int timeout_ms)
{
	return ring_buffer__poll(t->lo.rb, timeout_ms);
}

void ss_tracer_detach(struct ss_tracer *t)
{
	ld_detach(&t->lo.links);
}

uint64_t ss_tracer_lost(const struct ss_tracer *t)
{
	return ld_lost(&t->lo);
}

void ss_tracer_describe(const struct ss_tracer *t, FILE *f)
{
	ld_describe(t->lo.ch, CH_COUNT, f);
}

void ss_tracer_close(struct ss_tracer *t)
{
	if (!t)
		return;
	ld_close(&t->lo);
	free(t);
}
