/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes get series, and for how long: admission within --max-series (a process
 * that exited gives way to one that runs), and forgetting --forget-after seconds after a
 * process exits. The one place that decides it; the providers only forget what it says.
 */
#ifndef SS_SERVE_SERIES_H
#define SS_SERVE_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/htab.h"
#include "sockscope.h"
#include "core/serve_table.h"

struct serve_series {
	uint32_t max_series;   /* per-process series, all processes together */
	double forget_after;   /* seconds */
	bool hist_per_process; /* a histogram costs each process its series */
	/* Forgets a process's counters in every provider; its name as a provider saw it. */
	void (*drop)(void *ctx, uint32_t tgid);
	const char *(*comm)(void *ctx, uint32_t tgid);
	void *ctx;

	struct htab admitted;  /* processes whose series are exported */
	struct htab refused;   /* processes turned away by --max-series */
	struct htab forgotten; /* tgid -> when its series left (--forget-after) */
	uint64_t refused_total;
	uint32_t nexited;	  /* admitted processes that had exited at the last check */
	uint64_t nseries;	  /* per-process series of the admitted processes */
	uint64_t checked_ns;	  /* the last liveness check of exported processes */
	bool dropped;		  /* counters were forgotten since series_admit began */
};

int series_init(struct serve_series *ss);
void series_free(struct serve_series *ss);
/* Forgets the processes gone for longer than forget_after (checked now and then). */
void series_forget_gone(struct serve_series *ss);
/* Admits the processes of the rows that fit; nsets sets of rows, one per provider. Returns
 * true when it forgot counters to make room (the rows are then out of date). */
bool series_admit(struct serve_series *ss, const struct serve_rows *const *sets, size_t nsets);
/* The name of an exported process, NULL if its series are not exported (a serve_view.comm). */
const char *series_comm(const void *ss, uint32_t tgid);

/* True, and *last set to now, when the work *last stands for is due again (or was never done). */
bool series_due(uint64_t *last, uint64_t now, uint64_t every);

#endif
