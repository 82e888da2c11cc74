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

#include "core/opts.h"

#define TRACER_PAYLOAD (1u << 0) /* payloads are captured (trace --payload) */

#define TRACER_BUFFER (16u << 20)
/*
 * With payloads, 16M holds only ~40 ms of 2000-byte events at 200k/s: one stall of the reader
 * (a busy machine) and events are lost. 64M holds 160 ms.
 */
#define TRACER_PAYLOAD_BUFFER (64u << 20)

struct tracer_cfg {
	uint32_t payload; /* bytes to capture per call, 0 = off */
	uint32_t buffer;  /* ring buffer bytes, a power of two */
};

/* Gets each event; a negative return stops the drain under way after it (libbpf's rule). */
typedef int (*tracer_event_fn)(void *ctx, void *data, size_t size);

struct tracer;

/* Opens, probes, loads and attaches. Returns NULL with a message in err (exit status 1). */
struct tracer *tracer_open(const struct opts *o, const struct tracer_cfg *c,
				 tracer_event_fn on_event, void *ctx, char *err, size_t len);
/* Hands over what the ring buffer holds: >= 0 when emptied, < 0 when on_event cut it short. */
int tracer_consume(struct tracer *t);
/* Waits up to timeout_ms for events, then as tracer_consume. */
int tracer_poll(struct tracer *t, int timeout_ms);
/* Detaches the hooks: nothing more comes, what is in the ring buffer stays to be read. */
void tracer_detach(struct tracer *t);
/* At the end: detaches and counts the events still unread; on_event gets no more of them. */
uint64_t tracer_unread(struct tracer *t);
/* Events the ring buffer had no room for. */
uint64_t tracer_lost(const struct tracer *t);
/* Says under -v what was attached and how. */
void tracer_describe(const struct tracer *t, FILE *f);
void tracer_close(struct tracer *t);

/* The capability (attach/capability.h): doctor loads it as trace would, and lists its hooks. */
struct capability;
extern const struct capability tracer_cap;

#endif
