/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How `conns` presents a TCP socket: one view per socket joining the kernel's row with the
 * owner's byte counters; the table, JSON lines and --sort, all driven by the conn record's
 * fields (src/writers/records.c); and events.
 */
#ifndef SS_CONNS_VIEW_H
#define SS_CONNS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sockscope.h"

struct io_reader;

struct conn_view {
	struct ss_conn_row r;
	uint64_t sent, recv; /* bytes the owner's calls moved (io.c's counters) */
	uint64_t age_ms;
	unsigned role; /* enum ss_role, guessed from listening ports when not seen */
};

/* The conn record's field (CN_*) that --sort NAME means, or -1. */
int conn_column(const char *name);
/* Every name --sort takes, comma-separated, as much as fits in buf. */
void conn_columns_list(char *buf, size_t len);

/* now_ns: run_now_ns() of the refresh, the clock of the kernel's first_ns. */
void conn_view_fill(struct conn_view *v, const struct ss_conn_row *r, struct io_reader *io,
		    uint64_t now_ns);
/* Roles of sockets whose birth was not seen: listeners, then sockets on a listener's port. */
void conn_views_roles(struct conn_view *v, size_t n);
void conn_views_sort(struct conn_view *v, size_t n, int column);
void conn_views_table(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now,
		      int term_rows);
void conn_views_json(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now);

/*
 * The owner of an event that came without one, found by its addresses in the table (or
 * the listener of a connection not accepted yet); false when nobody matches.
 */
bool conn_event_attribute(struct ss_conn_event *e, const struct conn_view *v, size_t n,
			  struct io_reader *io);
/* One event; an event without an owner is matched by address to a known socket. */
void conn_event_print(FILE *f, const struct ss_conn_event *e, bool json, int64_t mono_to_real,
		      const struct conn_view *v, size_t n, struct io_reader *io);

#endif
