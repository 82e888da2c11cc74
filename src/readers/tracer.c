// SPDX-License-Identifier: GPL-2.0
/* User side of trace.bpf.c: see tracer.h. */
#include "readers/tracer.h"
#include "attach/hooks.h"
#include "attach/capability.h"
#include "trace.skel.h"

#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CH_SEND, CH_RECV, CH_BYPASS, CH_MMSG, CH_COUNT };

struct tracer {
	struct cap_obj lo;
};

/* In the order of CH_*: the mmsg hook only places payloads, so it waits for --payload. */
static const struct cap_hook trace_hooks[CH_COUNT] = {
	{ &hook_sock_send, true },
	{ &hook_sock_recv, true },
	{ &hook_recv_bypass, false,
	  "TCP data read by splice(2), io_uring splice or zerocopy is not traced" },
	{ &hook_mmsg_entry, false, "sendmmsg/recvmmsg payloads show their first datagram",
	  TRACER_PAYLOAD },
};

/* Without a cfg (doctor), the largest payload: the load the verifier finds hardest. */
static void configure(void *skel, const struct opts *o, unsigned flags, const void *cfg)
{
	const struct tracer_cfg plain = { 0, TRACER_BUFFER },
				   payload = { SS_PAYLOAD_MAX, TRACER_PAYLOAD_BUFFER };
	const struct tracer_cfg *c = cfg ? cfg : flags & TRACER_PAYLOAD ? &payload : &plain;
	struct trace_bpf *s = skel;

	s->rodata->filt = o->filt;
	s->rodata->filt.self_tgid = (uint32_t)getpid();
	s->rodata->payload_max = c->payload;
	CAP_SOCK_HOOKS_CONFIG(s->rodata);
	/* the payload scratch area is per CPU, and not needed at all without payloads */
	bpf_map__set_max_entries(s->maps.scratch,
				 c->payload ? (uint32_t)libbpf_num_possible_cpus() : 1);
	bpf_map__set_max_entries(s->maps.events, c->buffer);
}

static int filters(void *skel, const struct opts *o, char *err, size_t len)
{
	struct trace_bpf *s = skel;

	return cap_fill_filters(s->bss->pid_bits, bpf_map__fd(s->maps.cgroup_filter), o, err, len);
}

CAP_SKELETON(trace)

const struct capability tracer_cap = {
	.name = "trace",
	.open = trace_skel_open,
	.destroy = trace_skel_destroy,
	.hooks = trace_hooks,
	.nhooks = CH_COUNT,
	.uses = (const struct cap_use[]){ { "trace" },
					 { "trace", "--payload", TRACER_PAYLOAD },
					 { NULL } },
	.configure = configure,
	.filters = filters,
	/* no handler of its own: the events go straight to tracer_open's caller */
	.rings = (const struct cap_ring[]){ { "events", NULL, .lost_if_unread = true },
					    { NULL } },
	.stats_map = "trace_stats",
	.nstats = sizeof(struct ss_trace_stats) / sizeof(__u64),
	.lost_fields = CAP_FIELD(struct ss_trace_stats, drops),
};

struct tracer *tracer_open(const struct opts *o, const struct tracer_cfg *c,
				 tracer_event_fn on_event, void *ctx, char *err, size_t len)
{
	struct tracer *t = calloc(1, sizeof(*t));
	const struct cap_req req = {
		.o = o, .flags = c->payload ? TRACER_PAYLOAD : 0, .cfg = c, .ctx = ctx,
		.handler = on_event,
	};

	if (!t) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (cap_open(&t->lo, &tracer_cap, &req, err, len)) {
		tracer_close(t);
		return NULL;
	}
	return t;
}

int tracer_consume(struct tracer *t)
{
	return ring_buffer__consume(t->lo.rb);
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	return ring_buffer__poll(t->lo.rb, timeout_ms);
}

void tracer_detach(struct tracer *t)
{
	cap_detach(&t->lo.links);
}

uint64_t tracer_unread(struct tracer *t)
{
	return cap_unread(&t->lo);
}

uint64_t tracer_lost(const struct tracer *t)
{
	return cap_lost(&t->lo);
}

void tracer_describe(const struct tracer *t, FILE *f)
{
	cap_describe(t->lo.ch, CH_COUNT, f);
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	cap_close(&t->lo);
	free(t);
}
