/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's exposition from sampled rows: pure (no BPF, no I/O), so that the text a scraper
 * gets is unit-tested. The table (serve_table.h) gives each family its HELP, TYPE and labels;
 * which processes' series are exported is the caller's answer (serve_view.comm).
 */
#ifndef SS_SERVE_RENDER_H
#define SS_SERVE_RENDER_H

#include "core/serve_table.h"

struct prom;

struct serve_view {
	/* The name of an admitted process, or NULL when its series are not exported. */
	const char *(*comm)(const void *ctx, uint32_t tgid);
	const void *ctx;
	bool hist_per_process; /* a histogram per process (--srtt-per-process), not the host's */
};

/* Every family of capability, in the table's order, with the samples of rows. */
void serve_render_capability(struct prom *p, const char *capability,
			     const struct serve_rows *rows, const struct serve_view *v);

#endif
