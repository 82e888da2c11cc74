/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of trace.bpf.c: loads and attaches the per-call hooks and hands over each event
 * of its ring buffer (struct ss_event, then the payload). Used by `trace`.
 */
#ifndef SS_TRACER_H
#define SS_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opts.h"

#define SS_TRACER_PAYLOAD (1u << 0) /* payloads are captured (trace --payload) */

#define SS_TRACER_BUFFER (16u << 20)
/*
 * With payloads, 16M holds only ~40 ms of 2000-byte events at 200k/s: one stall of the reader
 * (a busy machine) and events are lost. 64M holds 160 ms.
 */
#define SS_TRACER_PAYLOAD_BUFFER (64u << 20)

struct ss_tracer_cfg {
	uint32_t payload; /* bytes to capture per call, 0 = off */
	uint32_t buffer;  /* ring buffer bytes, a power of two */
};

/* Gets each event; a negative return stops the drain under way after it (libbpf's rule). */
typedef int (*ss_tracer_event_fn)(void *ctx, void *data, size_t size);

struct ss_tracer;

/* Opens, probes, loads and attaches. Returns NULL with a message in err (exit status 1). */
struct ss_tracer *ss_tracer_open(const struct ss_opts *o, const struct ss_tracer_cfg *c,
				 ss_tracer_event_fn on_event, void *ctx, char *err, size_t len);
/* Hands over what the ring buffer holds: >= 0 when emptied, < 0 when on_event cut it short. */
int ss_tracer_consume(struct ss_tracer *t);
/* Waits up to timeout_ms for events, then as ss_tracer_consume. */
int ss_tracer_poll(struct ss_tracer *t, int timeout_ms);
/* Detaches the hooks: nothing more comes, what is in the ring buffer stays to be read. */
void ss_tracer_detach(struct ss_tracer *t);
/* Events the ring buffer had no room for. */
uint64_t ss_tracer_lost(const struct ss_tracer *t);
/* Says under -v what was attached and how. */
void ss_tracer_describe(const struct ss_tracer *t, FILE *f);
void ss_tracer_close(struct ss_tracer *t);

/* The capability (loader.h): doctor loads it as trace would, and lists its hooks. */
struct ld_cap;
extern const struct ld_cap ss_tracer_cap;

#endif
