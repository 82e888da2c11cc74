/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every metric `serve` exports, declared once: its name, type, help and labels, and the
 * capability whose provider samples it. The table drives the HELP and TYPE lines and the order
 * of the exposition; docs/metrics.md documents the same names (a unit test holds the two
 * together). Providers hand over what they sampled as rows, one per series, which the pure
 * renderer (serve_render.h) writes out. No BPF here.
 */
#ifndef SS_SERVE_TABLE_H
#define SS_SERVE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Indexes into serve_metrics[], in the order of the exposition. */
enum serve_metric {
	M_SENT_BYTES,
	M_RECEIVED_BYTES,
	M_SEND_CALLS,
	M_RECEIVE_CALLS,
	M_TCP_OPENED,
	M_TCP_CLOSED,
	M_TCP_RETRANSMITS,
	M_TCP_RESETS,
	M_TCP_DROPS,
	M_TCP_SRTT,
	M_LOST_EVENTS,
	M_ATTACH_INFO,
	M_CAPABILITY_UP,
	M_SCRAPE_DURATION,
	M_HTTP_EVICTED,
	M_SERIES,
	M_SERIES_PROCESSES,
	M_SERIES_REFUSED,
	M_BUILD_INFO, /* last: a reader can tell a complete exposition */
	M_NMETRICS
};

/* The capability of serve's own metrics, which no BPF object provides. */
#define SERVE_SELF "serve"

struct serve_metric_def {
	const char *name;
	const char *type;	/* counter, gauge, info or histogram */
	const char *help;
	const char *capability; /* whose provider samples it: "io", "conns", SERVE_SELF */
	bool per_process;	/* labelled pid and comm first */
	const char *labels[2];	/* its own labels, after pid and comm; NULL when fewer */
	bool real;		/* a double, not a count */
	/* histograms: the upper bounds of the finite buckets, and the unit of the values */
	const unsigned *bounds;
	unsigned nbounds;
	double scale; /* values divided by it are in the metric's unit (seconds) */
};

extern const struct serve_metric_def serve_metrics[M_NMETRICS];

/* A histogram row's sub for its sum; buckets are 0..nbounds (nbounds is +Inf). */
#define SERVE_SUM UINT32_MAX
/* The most finite buckets a histogram of the table has. */
#define SERVE_MAX_BOUNDS 32
/* The metric of a row that only says a provider knows the process (it costs no series). */
#define SERVE_NO_METRIC UINT16_MAX

/* Whose series a row is. */
enum serve_owner {
	SERVE_PROC,   /* a process's, exported if the process is admitted */
	SERVE_NOBODY, /* pid 0, comm "-": what no process could be named for; always exported */
	SERVE_HOST,   /* no process at all: serve's own, or the host's part of a histogram */
};

/* One sample as a provider read it. Label values are the provider's, valid until its next
 * collection. */
struct serve_row {
	uint32_t tgid;
	uint16_t metric; /* enum serve_metric, or SERVE_NO_METRIC */
	uint8_t owner;	 /* enum serve_owner */
	uint32_t sub;	 /* histograms: the bucket, or SERVE_SUM */
	const char *label[2];
	union {
		uint64_t u;
		double d; /* metrics marked real */
	} value;
};

struct serve_rows {
	struct serve_row *v;
	size_t n, cap;
	bool oom;
};

/* Appends a row; on failure sets rows->oom and drops it. */
void serve_rows_add(struct serve_rows *rows, const struct serve_row *r);
void serve_rows_clear(struct serve_rows *rows);
void serve_rows_free(struct serve_rows *rows);
/* The index of the metric called name, or -1. */
int serve_metric_find(const char *name);

#endif
