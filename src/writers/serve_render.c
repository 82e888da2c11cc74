// SPDX-License-Identifier: GPL-2.0
/*
 * `serve`'s exposition: each metric family with its HELP and TYPE, then its samples, one per
 * exported process (and label value). Metric names are part of the interface
 * (docs/metrics.md); values are the kernel's counters, monotonic for a live series.
 */
#include "writers/serve_render.h"
#include "sockscope.h"
#include "writers/escape.h"
#include "writers/prom.h"

#include <stdio.h>
#include <string.h>

/* pid and comm of a row's process into l; false when its series are not exported. */
static bool owner_labels(const struct serve_row *r, const struct serve_view *v,
			 struct prom_label *l, char pid[16])
{
	const char *comm = r->owner == SERVE_NOBODY ? "-" : v->comm(v->ctx, r->tgid);

	if (!comm)
		return false;
	snprintf(pid, 16, "%u", r->tgid);
	l[0] = (struct prom_label){ "pid", pid, SIZE_MAX };
	l[1] = (struct prom_label){ "comm", comm, name_len(comm, SS_COMM_LEN) };
	return true;
}

/* The labels of a row of def: pid and comm if per process, then the metric's own. Returns
 * how many, or -1 when the row's process is not exported. */
static int row_labels(const struct serve_metric_def *def, const struct serve_row *r,
		      const struct serve_view *v, struct prom_label *l, char pid[16])
{
	int n = 0;

	if (def->per_process && r->owner != SERVE_HOST) {
		if (!owner_labels(r, v, l, pid))
			return -1;
		n = 2;
	}
	for (int k = 0; k < 2 && def->labels[k]; k++)
		l[n++] = (struct prom_label){ def->labels[k], r->label[k], SIZE_MAX };
	return n;
}

static void render_samples(struct prom *p, int m, const struct serve_rows *rows,
			   const struct serve_view *v)
{
	const struct serve_metric_def *def = &serve_metrics[m];

	for (size_t i = 0; i < rows->n; i++) {
		const struct serve_row *r = &rows->v[i];
		struct prom_label l[4];
		char pid[16];
		int n;

		if (r->metric != m || (n = row_labels(def, r, v, l, pid)) < 0)
			continue;
		if (def->real)
			prom_double(p, def->name, l, (size_t)n, r->value.d);
		else
			prom_u64(p, def->name, l, (size_t)n, r->value.u);
	}
}

/* One histogram, with nl labels before le: cumulative buckets, sum and count. */
static void render_hist_one(struct prom *p, const struct serve_metric_def *def,
			    struct prom_label *l, size_t nl, const uint64_t *bucket, uint64_t sum)
{
	char name[128], le[32];
	uint64_t cum = 0;

	snprintf(name, sizeof(name), "%s_bucket", def->name);
	for (unsigned b = 0; b <= def->nbounds; b++) {
		cum += bucket[b];
		if (b < def->nbounds)
			snprintf(le, sizeof(le), "%g", def->bounds[b] / def->scale);
		else
			snprintf(le, sizeof(le), "+Inf");
		l[nl] = (struct prom_label){ "le", le, SIZE_MAX };
		prom_u64(p, name, l, nl + 1, cum);
	}
	snprintf(name, sizeof(name), "%s_sum", def->name);
	prom_double(p, name, l, nl, sum / def->scale);
	snprintf(name, sizeof(name), "%s_count", def->name);
	prom_u64(p, name, l, nl, cum);
}

static bool is_bucket(const struct serve_row *r, int m)
{
	return r->metric == m && r->sub <= serve_metrics[m].nbounds;
}

/* The host's histogram: every row, a process's exported or not, and the host's own (what
 * forgotten processes added), so that it never goes back. */
static void render_hist_host(struct prom *p, int m, const struct serve_rows *rows)
{
	uint64_t bucket[SERVE_MAX_BOUNDS + 1] = { 0 }, sum = 0;
	struct prom_label l[1];

	for (size_t i = 0; i < rows->n; i++) {
		const struct serve_row *r = &rows->v[i];

		if (is_bucket(r, m))
			bucket[r->sub] += r->value.u;
		else if (r->metric == m && r->sub == SERVE_SUM)
			sum += r->value.u;
	}
	render_hist_one(p, &serve_metrics[m], l, 0, bucket, sum);
}

/* Each exported process's histogram, led by its sum row, once it has a bucket. */
static void render_hist_procs(struct prom *p, int m, const struct serve_rows *rows,
			      const struct serve_view *v)
{
	for (size_t i = 0; i < rows->n; i++) {
		const struct serve_row *r = &rows->v[i], *o;
		uint64_t bucket[SERVE_MAX_BOUNDS + 1] = { 0 };
		struct prom_label l[3];
		char pid[16];
		bool any = false;

		if (r->metric != m || r->sub != SERVE_SUM || r->owner == SERVE_HOST ||
		    !owner_labels(r, v, l, pid))
			continue;
		for (size_t j = 0; j < rows->n; j++) {
			o = &rows->v[j];
			if (o->tgid == r->tgid && o->owner != SERVE_HOST && is_bucket(o, m)) {
				bucket[o->sub] += o->value.u;
				any = true;
			}
		}
		if (any)
			render_hist_one(p, &serve_metrics[m], l, 2, bucket, r->value.u);
	}
}

void serve_render_capability(struct prom *p, const char *capability,
			     const struct serve_rows *rows, const struct serve_view *v)
{
	for (int m = 0; m < M_NMETRICS; m++) {
		const struct serve_metric_def *def = &serve_metrics[m];

		if (strcmp(def->capability, capability))
			continue;
		prom_family(p, def->name, def->type, def->help);
		if (!def->nbounds)
			render_samples(p, m, rows, v);
		else if (v->hist_per_process)
			render_hist_procs(p, m, rows, v);
		else
			render_hist_host(p, m, rows);
	}
}
