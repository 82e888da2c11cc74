// SPDX-License-Identifier: GPL-2.0
/*
 * The end-of-run report shared by `top` and `trace` (seed 002's summary, with exact byte
 * counts): per process or name, per connection, the grand total and the events lost. Only
 * the --max-conns busiest connections are listed; each process's others make one row that
 * says how many they are and what they moved, so that the listed rows always add up.
 */
#include "cmd.h"
#include "../io.h"
#include "../out/fmt.h"
#include "../out/json.h"
#include "../out/table.h"

#include <stdlib.h>
#include <string.h>

/* A process's connections that the summary does not list one by one. */
struct fold_row {
	uint32_t tgid; /* first: the table key */
	char comm[SS_COMM_LEN];
	uint64_t nconns;
	struct ss_counts n;
};

/* The busiest max connections, listed; the others folded into one row per process. */
struct conn_list {
	const struct ss_conn **v; /* listed: by PID, then busiest first */
	size_t n, max;
	uint64_t all; /* connections that moved data, listed or not */
	struct fold_row *folds; /* by PID */
	size_t nfolds;
};

static int cmp_conn(const void *pa, const void *pb)
{
	const struct ss_conn *a = *(const struct ss_conn *const *)pa;
	const struct ss_conn *b = *(const struct ss_conn *const *)pb;
	uint64_t x = counts_bytes(&a->n), y = counts_bytes(&b->n);

	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	if (x != y)
		return x > y ? -1 : 1;
	return a->key.sock_id < b->key.sock_id ? -1 : a->key.sock_id > b->key.sock_id;
}

static int cmp_busiest(const void *pa, const void *pb)
{
	const struct ss_conn *a = *(const struct ss_conn *const *)pa;
	const struct ss_conn *b = *(const struct ss_conn *const *)pb;
	uint64_t x = counts_bytes(&a->n), y = counts_bytes(&b->n);

	return x != y ? (x > y ? -1 : 1) : cmp_conn(pa, pb);
}

static int cmp_fold(const void *pa, const void *pb)
{
	const struct fold_row *a = pa, *b = pb;

	return a->tgid < b->tgid ? -1 : a->tgid > b->tgid;
}

/* What io.c folded already: closed connections beyond those it keeps. */
static int folded_by_io(const struct ss_io *io, struct htab *folds, uint64_t *nconns)
{
	const struct ss_proc *p;

	for (size_t i = 0; (p = htab_next(ss_io_procs(io), &i));) {
		struct fold_row *f;

		if (!p->nfolded)
			continue;
		f = htab_get(folds, &p->tgid, NULL);
		if (!f)
			return -1;
		memcpy(f->comm, p->comm, sizeof(f->comm));
		f->nconns += p->nfolded;
		*nconns += p->nfolded;
		for (int k = 0; k < SS_NPROTO; k++)
			counts_add(&f->n, &p->folded[k]);
	}
	return 0;
}

/* Folds the listed connections beyond l->max into their processes' rows. */
static int fold_rest(struct conn_list *l, struct htab *folds)
{
	for (size_t i = l->max; i < l->n; i++) {
		const struct ss_conn *c = l->v[i];
		bool created;
		struct fold_row *f = htab_get(folds, &c->key.tgid, &created);

		if (!f)
			return -1;
		if (created)
			memcpy(f->comm, c->rec.comm, sizeof(f->comm));
		f->nconns++;
		counts_add(&f->n, &c->n);
	}
	if (l->n > l->max)
		l->n = l->max;
	return 0;
}

static int fold_rows(struct conn_list *l, const struct htab *folds)
{
	const struct fold_row *f;

	l->folds = calloc(folds->len + 1, sizeof(*l->folds));
	if (!l->folds)
		return -1;
	for (size_t i = 0; (f = htab_next(folds, &i));)
		l->folds[l->nfolds++] = *f;
	qsort(l->folds, l->nfolds, sizeof(*l->folds), cmp_fold);
	return 0;
}

/* Every connection that moved data: the busiest max listed, the rest folded per process. */
static int conn_list_build(struct conn_list *l, const struct ss_io *io, size_t max)
{
	const struct htab *h = ss_io_conns(io);
	const struct ss_conn *c;
	struct htab folds;
	int ret = -1;

	memset(l, 0, sizeof(*l));
	l->max = max;
	l->v = calloc(h->len + 1, sizeof(*l->v));
	if (!l->v || htab_init(&folds, sizeof(uint32_t), sizeof(struct fold_row)))
		return -1;
	for (size_t i = 0; (c = htab_next(h, &i));)
		if (!counts_zero(&c->n))
			l->v[l->n++] = c;
	l->all = l->n;
	if (l->n > max)
		qsort(l->v, l->n, sizeof(*l->v), cmp_busiest);
	if (!folded_by_io(io, &folds, &l->all) && !fold_rest(l, &folds) && !fold_rows(l, &folds)) {
		if (l->n > 1)
			qsort(l->v, l->n, sizeof(*l->v), cmp_conn);
		ret = 0;
	}
	htab_free(&folds);
	return ret;
}

static void conn_list_free(struct conn_list *l)
{
	free(l->v);
	free(l->folds);
}

static void conn_endpoints(const struct ss_conn *c, char *l, char *r, size_t len)
{
	fmt_endpoint(l, len, c->rec.a.family, c->rec.a.laddr, c->rec.a.lport);
	fmt_endpoint(r, len, c->rec.a.family, c->rec.a.raddr, c->rec.a.rport);
}

static void plain_procs(FILE *f, const struct ss_agg *agg)
{
	char name[64], b[4][32];

	fprintf(f, "Per %s:\n%7s %-15s %15s %9s %15s %9s\n",
		agg->by == SS_BY_PID ? "process" : "process name",
		agg->by == SS_BY_PID ? "PID" : "PROCS", "COMM", "SENT BYTES", "CALLS",
		"RECV BYTES", "CALLS");
	for (size_t i = 0; i < agg->nrows; i++) {
		const struct ss_row *r = &agg->rows[i];

		if (counts_zero(&r->total))
			continue;
		table_name(name, sizeof(name), r->key.comm, sizeof(r->key.comm));
		fprintf(f, "%7u ", agg->by == SS_BY_PID ? r->key.tgid : r->nprocs);
		table_cell(f, name, 15, true);
		fprintf(f, " %15s %9s %15s %9s\n",
			fmt_thousands(b[0], 32, r->total.bytes[SS_SEND]),
			fmt_thousands(b[1], 32, r->total.calls[SS_SEND]),
			fmt_thousands(b[2], 32, r->total.bytes[SS_RECV]),
			fmt_thousands(b[3], 32, r->total.calls[SS_RECV]));
	}
}

static void plain_fold(FILE *f, const struct fold_row *r)
{
	char name[64], more[64], k[32], s[32], x[32];

	table_name(name, sizeof(name), r->comm, sizeof(r->comm));
	fmt_thousands(k, sizeof(k), r->nconns);
	snprintf(more, sizeof(more), "(%s more connection%s)", k, r->nconns == 1 ? "" : "s");
	fprintf(f, "%7u ", r->tgid);
	table_cell(f, name, 15, true);
	fprintf(f, " %-5s %-47s %13s %13s\n", "-", more,
		fmt_thousands(s, sizeof(s), r->n.bytes[SS_SEND]),
		fmt_thousands(x, sizeof(x), r->n.bytes[SS_RECV]));
}

static void plain_conns(FILE *f, const struct conn_list *cl)
{
	char name[64], l[64], r[64], s[32], x[32], k[32];

	fprintf(f, "\nPer connection (%zu of %s listed, the busiest; --max-conns %zu):\n",
		cl->n, fmt_thousands(k, sizeof(k), cl->all), cl->max);
	fprintf(f, "%7s %-15s %-5s %-47s %13s %13s\n", "PID", "COMM", "PROTO", "LOCAL -> REMOTE",
		"SENT BYTES", "RECV BYTES");
	for (size_t i = 0; i < cl->n; i++) {
		const struct ss_conn *c = cl->v[i];
		char pair[140];

		table_name(name, sizeof(name), c->rec.comm, sizeof(c->rec.comm));
		conn_endpoints(c, l, r, sizeof(l));
		snprintf(pair, sizeof(pair), "%s -> %s", l, r);
		fprintf(f, "%7u ", c->key.tgid);
		table_cell(f, name, 15, true);
		fprintf(f, " %-5s %-47s %13s %13s\n", proto_name(c->rec.a.proto), pair,
			fmt_thousands(s, sizeof(s), c->n.bytes[SS_SEND]),
			fmt_thousands(x, sizeof(x), c->n.bytes[SS_RECV]));
	}
	for (size_t i = 0; i < cl->nfolds; i++)
		plain_fold(f, &cl->folds[i]);
}

static void grand_total(const struct ss_agg *agg, struct ss_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < agg->nrows; i++)
		counts_add(sum, &agg->rows[i].total);
}

#define PLURAL(n) ((n) == 1 ? "" : "s")

static void plain_total(FILE *f, const struct ss_counts *sum, uint64_t lost)
{
	char b[4][32];

	fprintf(f, "\nTotal sent:     %s byte%s (%s) in %s call%s\n",
		fmt_thousands(b[0], 32, sum->bytes[SS_SEND]), PLURAL(sum->bytes[SS_SEND]),
		fmt_bytes(b[1], 32, sum->bytes[SS_SEND]), fmt_thousands(b[2], 32, sum->calls[SS_SEND]),
		PLURAL(sum->calls[SS_SEND]));
	fprintf(f, "Total received: %s byte%s (%s) in %s call%s\n",
		fmt_thousands(b[0], 32, sum->bytes[SS_RECV]), PLURAL(sum->bytes[SS_RECV]),
		fmt_bytes(b[1], 32, sum->bytes[SS_RECV]), fmt_thousands(b[3], 32, sum->calls[SS_RECV]),
		PLURAL(sum->calls[SS_RECV]));
	fprintf(f, "Events lost:    %llu\n", (unsigned long long)lost);
}

static void json_conn(FILE *f, const struct ss_conn *c)
{
	struct jw w;
	char l[64], r[64];

	fmt_ip(l, sizeof(l), c->rec.a.family, c->rec.a.laddr);
	fmt_ip(r, sizeof(r), c->rec.a.family, c->rec.a.raddr);
	jw_begin(&w, f);
	jw_str(&w, "type", "connection");
	jw_u64(&w, "pid", c->key.tgid);
	jw_bytes(&w, "comm", c->rec.comm, strnlen(c->rec.comm, sizeof(c->rec.comm)));
	jw_str(&w, "proto", proto_name(c->rec.a.proto));
	jw_str(&w, "family", family_name(c->rec.a.family));
	jw_str(&w, "laddr", l);
	jw_u64(&w, "lport", c->rec.a.lport);
	jw_str(&w, "raddr", r);
	jw_u64(&w, "rport", c->rec.a.rport);
	jw_u64(&w, "sent_bytes", c->n.bytes[SS_SEND]);
	jw_u64(&w, "recv_bytes", c->n.bytes[SS_RECV]);
	jw_u64(&w, "sent_calls", c->n.calls[SS_SEND]);
	jw_u64(&w, "recv_calls", c->n.calls[SS_RECV]);
	jw_end(&w);
}

static void json_counts(struct jw *w, const struct ss_counts *c)
{
	jw_u64(w, "sent_bytes", c->bytes[SS_SEND]);
	jw_u64(w, "recv_bytes", c->bytes[SS_RECV]);
	jw_u64(w, "sent_calls", c->calls[SS_SEND]);
	jw_u64(w, "recv_calls", c->calls[SS_RECV]);
}

static void json_procs(FILE *f, const struct ss_agg *agg)
{
	struct jw w;

	for (size_t i = 0; i < agg->nrows; i++) {
		const struct ss_row *r = &agg->rows[i];

		if (counts_zero(&r->total))
			continue;
		jw_begin(&w, f);
		jw_str(&w, "type", "summary");
		if (agg->by == SS_BY_PID)
			jw_u64(&w, "pid", r->key.tgid);
		else
			jw_u64(&w, "processes", r->nprocs);
		jw_bytes(&w, "comm", r->key.comm, strnlen(r->key.comm, sizeof(r->key.comm)));
		json_counts(&w, &r->total);
		jw_end(&w);
	}
}

static void json_folds(FILE *f, const struct conn_list *cl)
{
	struct jw w;

	for (size_t i = 0; i < cl->nfolds; i++) {
		const struct fold_row *r = &cl->folds[i];

		jw_begin(&w, f);
		jw_str(&w, "type", "connections_folded");
		jw_u64(&w, "pid", r->tgid);
		jw_bytes(&w, "comm", r->comm, strnlen(r->comm, sizeof(r->comm)));
		jw_u64(&w, "connections", r->nconns);
		json_counts(&w, &r->n);
		jw_end(&w);
	}
}

static void json_summary(FILE *f, const struct ss_agg *agg, const struct conn_list *cl,
			 const struct ss_counts *sum, uint64_t lost, double seconds)
{
	struct jw w;

	json_procs(f, agg);
	for (size_t i = 0; i < cl->n; i++)
		json_conn(f, cl->v[i]);
	json_folds(f, cl);
	jw_begin(&w, f);
	jw_str(&w, "type", "total");
	json_counts(&w, sum);
	jw_u64(&w, "connections", cl->all);
	jw_u64(&w, "connections_listed", cl->n);
	jw_u64(&w, "max_conns", cl->max);
	jw_u64(&w, "lost_events", lost);
	jw_double(&w, "duration_seconds", seconds);
	jw_end(&w);
}

int top_summary(FILE *f, const struct ss_io *io, const struct ss_agg *agg, bool json,
		double seconds, uint64_t extra_lost, size_t max_conns)
{
	struct conn_list cl;
	uint64_t lost = ss_io_lost(io) + extra_lost;
	struct ss_counts sum;

	if (conn_list_build(&cl, io, max_conns)) {
		conn_list_free(&cl);
		return -1;
	}
	grand_total(agg, &sum);
	if (json) {
		json_summary(f, agg, &cl, &sum, lost, seconds);
	} else {
		fprintf(f, "\n%.80s\nSUMMARY (%.1f s)\n\n", "=================================="
			"==============================================", seconds);
		plain_procs(f, agg);
		plain_conns(f, &cl);
		plain_total(f, &sum, lost);
	}
	conn_list_free(&cl);
	return 0;
}
