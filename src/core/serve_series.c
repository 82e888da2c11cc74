// SPDX-License-Identifier: GPL-2.0
/*
 * Admission and forgetting of serve's per-process series (see serve_series.h). A process
 * costs the rows its providers collected for it; what a provider keeps of a process is
 * dropped through ss->drop, so this file knows no BPF.
 */
#include "core/serve_series.h"
#include "core/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_admitted {
	uint32_t tgid; /* key */
	char comm[SS_COMM_LEN];
	uint64_t alive_ns; /* CLOCK_MONOTONIC of the last time it was seen running */
	bool exited;	   /* not running at the last check */
	uint32_t nseries;  /* its series at the last refresh */
};

struct serve_refused {
	uint32_t tgid; /* key */
	bool alive;    /* running at the last look */
};

struct serve_forgotten {
	uint32_t tgid; /* key */
	uint64_t when_ns;
};

#define TEN_S 10000000000ULL
/* Past this, nothing of an exited process's sockets is left to move (orphaned sockets are
 * done within tcp_orphan_retries' minutes): what it left in the kernel is cleared again. */
#define FORGOTTEN_KEEP_NS (600 * 1000000000ULL)

int series_init(struct serve_series *ss)
{
	if (htab_init(&ss->admitted, sizeof(uint32_t), sizeof(struct serve_admitted)) ||
	    htab_init(&ss->refused, sizeof(uint32_t), sizeof(struct serve_refused)) ||
	    htab_init(&ss->forgotten, sizeof(uint32_t), sizeof(struct serve_forgotten)))
		return -1;
	return 0;
}

void series_free(struct serve_series *ss)
{
	htab_free(&ss->admitted);
	htab_free(&ss->refused);
	htab_free(&ss->forgotten);
}

const char *series_comm(const void *ss, uint32_t tgid)
{
	const struct serve_admitted *a =
		htab_find(&((const struct serve_series *)ss)->admitted, &tgid);

	return a ? a->comm : NULL;
}

static void proc_comm(uint32_t pid, char comm[SS_COMM_LEN])
{
	char path[64];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	memset(comm, 0, SS_COMM_LEN);
	f = fopen(path, "r");
	if (f) {
		n = fread(comm, 1, SS_COMM_LEN - 1, f);
		fclose(f);
	}
	if (n && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	if (!comm[0])
		comm[0] = '-';
}

/*
 * Whether tgid is a process whose series left and that is still gone. A TCP counter of one of
 * its connections can move after it exited (an orphaned socket closing, retransmitting):
 * that must not bring a forgotten series back, which would break rate() and alerts. A live
 * process under the same PID is another one, and welcome.
 */
static bool forgotten(struct serve_series *ss, uint32_t tgid)
{
	if (!htab_find(&ss->forgotten, &tgid))
		return false;
	if (!run_pid_alive(tgid))
		return true;
	htab_del(&ss->forgotten, &tgid);
	return false;
}

static void drop_counters(struct serve_series *ss, uint32_t tgid)
{
	ss->drop(ss->ctx, tgid);
	ss->dropped = true;
}

/* An exited process's series leave now, and it is remembered as forgotten. */
static void forget_now(struct serve_series *ss, uint32_t tgid, uint64_t now)
{
	struct serve_forgotten *f = htab_get(&ss->forgotten, &tgid, NULL);
	struct serve_admitted *a = htab_find(&ss->admitted, &tgid);

	if (f)
		f->when_ns = now;
	if (a)
		ss->nseries -= a->nseries;
	htab_del(&ss->admitted, &tgid);
	htab_del(&ss->refused, &tgid);
	drop_counters(ss, tgid);
}

/* The exported process that exited longest ago leaves, to make room for a live one. */
static bool evict_exited(struct serve_series *ss)
{
	struct serve_admitted *a, *old = NULL;

	if (!ss->nexited)
		return false;
	for (size_t i = 0; (a = htab_next(&ss->admitted, &i));)
		if (a->exited && (!old || a->alive_ns < old->alive_ns))
			old = a;
	ss->nexited = old ? ss->nexited - 1 : 0;
	if (old)
		forget_now(ss, old->tgid, run_now_ns());
	return old != NULL;
}

/*
 * At --max-series, a live process takes the place of those that have exited (an exited one's
 * counters no longer move, a live one's do); any other process is refused, and counted once
 * however many intervals it stays refused.
 */
static bool make_room(struct serve_series *ss, uint32_t tgid, uint32_t cost)
{
	struct serve_refused *r = htab_find(&ss->refused, &tgid);
	bool alive, created;

	if (r && !(r->alive && ss->nexited))
		return false; /* as refused as at the last look */
	alive = run_pid_alive(tgid);
	while (alive && ss->nseries + cost > ss->max_series && evict_exited(ss))
		;
	if (ss->nseries + cost <= ss->max_series)
		return true;
	if (!r && (r = htab_get(&ss->refused, &tgid, &created)))
		ss->refused_total++;
	if (r)
		r->alive = alive;
	return false;
}

/* How many per-process series one process has now (a key of this table). */
struct serve_cost {
	uint32_t tgid;
	uint32_t n;
	bool hist; /* its histogram is counted */
};

/* A process gets its series if they fit, or if it runs and exported ones have exited; else it
 * is counted as refused, once. */
static void admit(struct serve_series *ss, const struct serve_cost *c)
{
	struct serve_admitted *a = htab_find(&ss->admitted, &c->tgid);
	const char *comm;

	if (a || forgotten(ss, c->tgid))
		return;
	if (ss->nseries + c->n > ss->max_series && !make_room(ss, c->tgid, c->n))
		return;
	htab_del(&ss->refused, &c->tgid);
	a = htab_get(&ss->admitted, &c->tgid, NULL);
	if (!a)
		return;
	if ((comm = ss->comm(ss->ctx, c->tgid)))
		memcpy(a->comm, comm, SS_COMM_LEN);
	else
		proc_comm(c->tgid, a->comm);
	a->alive_ns = run_now_ns();
	a->nseries = c->n;
	ss->nseries += c->n;
}

/* What one row costs its process: a series, or with a histogram per process all of the
 * histogram's (buckets, +Inf, sum and count) at its first bucket. */
static int count_row(struct serve_series *ss, struct htab *cost, const struct serve_row *r)
{
	const struct serve_metric_def *def =
		r->metric < M_NMETRICS ? &serve_metrics[r->metric] : NULL;
	struct serve_cost *c;

	if (r->owner != SERVE_PROC || (def && def->nbounds && r->sub == SERVE_SUM))
		return 0; /* pid 0 is no process; the sum goes with the buckets */
	if (!(c = htab_get(cost, &r->tgid, NULL)))
		return -1;
	if (!def)
		return 0; /* known, with no series yet */
	if (!def->nbounds)
		c->n++;
	else if (ss->hist_per_process && !c->hist && (c->hist = true))
		c->n += def->nbounds + 3;
	return 0;
}

static int count_series(struct serve_series *ss, struct htab *cost,
			const struct serve_rows *const *sets, size_t nsets)
{
	for (size_t k = 0; k < nsets; k++)
		for (size_t i = 0; i < sets[k]->n; i++)
			if (count_row(ss, cost, &sets[k]->v[i]))
				return -1;
	return 0;
}

/*
 * Decides, before rendering, which processes have series, so that making room (which forgets
 * a process) never changes a table while the renderer walks it. The series of the processes
 * already exported are counted again, since they grow (a first retransmit, a new protocol):
 * new processes are admitted only within what is left of --max-series.
 */
bool series_admit(struct serve_series *ss, const struct serve_rows *const *sets, size_t nsets)
{
	struct htab cost;
	struct serve_cost *c;
	struct serve_admitted *a;

	ss->dropped = false;
	if (htab_init(&cost, sizeof(uint32_t), sizeof(struct serve_cost)))
		return false;
	if (count_series(ss, &cost, sets, nsets)) {
		htab_free(&cost);
		return false;
	}
	ss->nseries = 0;
	for (size_t i = 0; (a = htab_next(&ss->admitted, &i));) {
		c = htab_find(&cost, &a->tgid);
		a->nseries = c ? c->n : a->nseries;
		ss->nseries += a->nseries;
	}
	for (size_t i = 0; (c = htab_next(&cost, &i));)
		admit(ss, c);
	htab_free(&cost);
	return ss->dropped;
}

bool series_due(uint64_t *last, uint64_t now, uint64_t every)
{
	if (*last && now - *last < every)
		return false;
	*last = now;
	return true;
}

static void prune_forgotten(struct serve_series *ss, uint64_t now)
{
	struct serve_forgotten *f;
	uint32_t old[256];
	size_t n = 0;

	for (size_t i = 0; n < 256 && (f = htab_next(&ss->forgotten, &i));)
		if (now - f->when_ns >= FORGOTTEN_KEEP_NS)
			old[n++] = f->tgid;
	for (size_t i = 0; i < n; i++) {
		drop_counters(ss, old[i]);
		htab_del(&ss->forgotten, &old[i]);
	}
}

/* Refused processes that have exited are forgotten at once: they will never be exported. */
static void forget_refused(struct serve_series *ss, uint64_t now, uint32_t *gone)
{
	struct serve_refused *r;
	size_t n = 0;

	for (size_t i = 0; (r = htab_next(&ss->refused, &i));)
		if (!(r->alive = run_pid_alive(r->tgid)))
			gone[n++] = r->tgid;
	for (size_t i = 0; i < n; i++)
		forget_now(ss, gone[i], now);
}

/*
 * Series of processes gone for longer than --forget-after leave, with their counters. Asking
 * /proc about every exported process costs a thousand file reads with a thousand processes,
 * so it is done a tenth as often as the grace period (at least every 10 s), not every interval.
 */
void series_forget_gone(struct serve_series *ss)
{
	uint64_t now = run_now_ns(), grace = (uint64_t)(ss->forget_after * 1e9);
	uint64_t every = grace / 10 < TEN_S ? grace / 10 : TEN_S;
	struct serve_admitted *a;
	uint32_t *gone;
	size_t n = 0;

	if (!series_due(&ss->checked_ns, now, every))
		return;
	gone = calloc(ss->admitted.len + ss->refused.len + 1, sizeof(*gone));
	if (!gone)
		return;
	ss->nexited = 0;
	for (size_t i = 0; (a = htab_next(&ss->admitted, &i));) {
		a->exited = a->tgid && !run_pid_alive(a->tgid); /* 0: the kernel's own */
		if (!a->exited)
			a->alive_ns = now;
		else if (now - a->alive_ns >= grace)
			gone[n++] = a->tgid;
		else
			ss->nexited++;
	}
	/* a process seen alive at the last check may have died just after: its grace period
	 * starts from that check, so it leaves within forget_after plus a tenth */
	for (size_t i = 0; i < n; i++)
		forget_now(ss, gone[i], now);
	forget_refused(ss, now, gone);
	prune_forgotten(ss, now);
	free(gone);
}
