/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What serve asks of a capability that exports metrics. To export a new capability's metrics:
 * write serve_NAME.c defining a struct serve_provider over the capability's reader, declare
 * its metrics in serve_table.h/.c (enum and table lines) and in docs/metrics.md (the unit
 * test holds the two together), and add it to serve's list of providers (serve_metrics.c).
 */
#ifndef SS_SERVE_PROVIDER_H
#define SS_SERVE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/serve_table.h"

struct opts;
struct hook_choice;

/*
 * A capability that exports metrics. serve opens every provider of its list, samples each
 * one every interval, asks it for its rows (serve_table.h), and renders them with the
 * table; admission (serve_series.h) tells it which processes to forget. A provider whose BPF
 * object cannot load exports nothing but sockscope_capability_up 0, unless serve cannot run
 * without it.
 */
struct serve_provider {
	const char *capability; /* as in serve_table.h and sockscope_capability_up */
	const char *missing;	/* what stderr says is lost when it cannot load; NULL: required */
	/* Loads and attaches; NULL with a message in err. */
	void *(*open)(const struct opts *o, char *err, size_t len);
	/* Reads the kernel's counters (before forgetting); -1 ends this refresh. */
	int (*sample)(void *state);
	/* Its rows, after forgetting; label values stay valid until the next call. */
	void (*collect)(void *state, struct serve_rows *rows);
	/* The name it saw a process under (SS_COMM_LEN bytes), or NULL; may be NULL. */
	const char *(*comm)(void *state, uint32_t tgid);
	void (*forget)(void *state, uint32_t tgid);
	uint64_t (*lost)(void *state);
	/* The way each hook was attached (for sockscope_attach_info). */
	const struct hook_choice *(*choices)(void *state, size_t *n);
	void (*describe)(void *state, FILE *f); /* under -v */
	/* Sleeps up to timeout_ms, handling what comes meanwhile; may be NULL. */
	void (*wait)(void *state, int timeout_ms);
	void (*close)(void *state);
};

/* serve_io.c, serve_conns.c; serve's list of them is in serve_metrics.c. */
extern const struct serve_provider serve_io_provider, serve_conns_provider;

#endif
