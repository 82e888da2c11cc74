/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rows for display: per-process totals grouped by PID or by process name, with what changed
 * since the previous interval, and the order they are shown in. Pure: no kernel involved.
 */
#ifndef SS_AGG_H
#define SS_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "sockscope.h"
#include "core/acct.h"
#include "core/htab.h"

enum agg_group_by {
	AGG_BY_PID,
	AGG_BY_COMM,
};

struct agg_key {
	uint32_t tgid; /* 0 when grouped by name */
	char comm[SS_COMM_LEN];
};

struct agg_row {
	struct agg_key key;
	uint32_t nprocs;
	struct ss_counts total; /* cumulative */
	struct ss_counts delta; /* since the previous agg_update */
};

struct agg {
	enum agg_group_by by;
	struct htab prev; /* agg_key -> last totals */
	struct agg_row *rows;
	size_t nrows, cap;
};

int agg_init(struct agg *a, enum agg_group_by by);
void agg_free(struct agg *a);
/* Rebuilds a->rows from a table of struct proc_acct; deltas are against the last call. */
int agg_update(struct agg *a, const struct htab *procs);
/* Busiest first: this interval's bytes, then all-time bytes, then PID/name for stability. */
void agg_sort(struct agg_row *rows, size_t n);
/* Biggest all-time total first, for the end-of-run summary. */
void agg_sort_total(struct agg_row *rows, size_t n);

#endif
