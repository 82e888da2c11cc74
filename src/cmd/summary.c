// SPDX-License-Identifier: GPL-2.0
/*
 * The end-of-run report shared by `top` and `trace`, with exact byte counts: per process or
 * name, per connection, the grand total and the events lost. Only the --max-conns busiest
 * connections are listed; each process's others make one row that says how many they are
 * and what they moved, so that the listed rows always add up.
 */
#include "cmd/cmd.h"
#include "readers/io.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"
#include "writers/table.h"

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
	const struct sock_acct **v; /* listed: by PID, then busiest first */
	size_t n, max;
	uint64_t all; /* connections that moved data, listed or not */
	struct fold_row *folds; /* by PID */
	size_t nfolds;
};

static int cmp_conn(const void *pa, const void *pb)
{
	const struct sock_acct *a = *(const struct sock_acct *const *)pa;
	const struct sock_acct *b = *(const struct sock_acct *const *)pb;
	uint64_t x = counts_bytes(&a->n), y = counts_bytes(&b->n);

	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	if (x != y)
		return x > y ? -1 : 1;
	return a->key.sock_id < b->key.sock_id ? -1 : a->key.sock_id > b->key.sock_id;
}

static int cmp_busiest(const void *pa, const void *pb)
{
	const struct sock_acct *a = *(const struct sock_acct *const *)pa;
	const struct sock_acct *b = *(const struct sock_acct *const *)pb;
	uint64_t x = counts_bytes(&a->n), y = counts_bytes(&b->n);

	return x != y ? (x > y ? -1 : 1) : cmp_conn(pa, pb);
}

static int cmp_fold(const void *pa, const void *pb)
{
	const struct fold_row *a = pa, *b = pb;

	return a->tgid < b->tgid ? -1 : a->tgid > b->tgid;
}

/* What io.c folded already: closed connections beyond those it keeps. */
static int folded_by_io(const struct io_reader *io, struct htab *folds, uint64_t *nconns)
{
	const struct proc_acct *p;

	for (size_t i = 0; (p = htab_next(io_procs(io), &i));) {
		struct fold_row *f;

		if (!p->nfolded)
			continue;
		f = htab_get(folds, &p->tgid, NULL);
		if (!f)
			return -1;
		memcpy(f->comm, p->comm, sizeof(f->comm));
		f->nconns += p->nfolded;
		*nconns += p->nfolded;
		for (int k = 0; k < ACCT_NPROTO; k++)
			counts_add(&f->n, &p->folded[k]);
	}
	return 0;
}

/* Folds the listed connections beyond l->max into their processes' rows. */
static int fold_rest(struct conn_list *l, struct htab *folds)
{
	for (size_t i = l->max; i < l->n; i++) {
		const struct sock_acct *c = l->v[i];
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
static int conn_list_build(struct conn_list *l, const struct io_reader *io, size_t max)
{
	const struct htab *h = io_socks(io);
	const struct sock_acct *c;
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

/* The four counts, in the order of every summary record's field table (records.c). */
static uint64_t count_value(const struct ss_counts *c, int i)
{
	return i < 2 ? c->bytes[i == 0 ? SS_SEND : SS_RECV] : c->calls[i == 2 ? SS_SEND : SS_RECV];
}

static void name_value(struct fval *v, const char *comm)
{
	v->s = comm;
	v->len = strnlen(comm, SS_COMM_LEN);
}

struct proc_row {
	const struct agg_row *r;
};

static void proc_value(void *row, int field, struct fval *v)
{
	const struct agg_row *r = ((struct proc_row *)row)->r;

	if (field == SP_PID)
		v->u = r->key.tgid;
	else if (field == SP_PROCESSES)
		v->u = r->nprocs;
	else if (field == SP_COMM)
		name_value(v, r->key.comm);
	else
		v->u = count_value(&r->total, field - SP_SENT_BYTES);
}

static uint64_t proc_hide(const struct agg *agg)
{
	return FIELD_BIT(agg->by == AGG_BY_PID ? SP_PROCESSES : SP_PID);
}

static void plain_procs(FILE *f, const struct agg *agg)
{
	fprintf(f, "Per %s:\n", agg->by == AGG_BY_PID ? "process" : "process name");
	fields_header(f, &rec_summary, proc_hide(agg));
	for (size_t i = 0; i < agg->nrows; i++) {
		struct proc_row pr = { &agg->rows[i] };

		if (!counts_zero(&pr.r->total))
			fields_row(f, &rec_summary, proc_hide(agg), proc_value, &pr);
	}
}

/* A listed connection or, in the table, the row of a process's others (fold set). */
struct conn_row {
	const struct sock_acct *c;
	const struct fold_row *fold;
	char text[160];
};

static void fold_value(struct conn_row *cr, int field, struct fval *v)
{
	char k[32];

	if (field == SC_PROTO) {
		v->s = "-";
	} else if (field == SC_ENDS) {
		fmt_thousands(k, sizeof(k), cr->fold->nconns);
		snprintf(cr->text, sizeof(cr->text), "(%s more connection%s)", k,
			 cr->fold->nconns == 1 ? "" : "s");
		v->s = cr->text;
	}
}

static void ends_value(struct conn_row *cr, struct fval *v)
{
	const struct ss_addrs *a = &cr->c->rec.a;
	char l[64], r[64];

	fmt_endpoint(l, sizeof(l), a->family, a->laddr, a->lport);
	fmt_endpoint(r, sizeof(r), a->family, a->raddr, a->rport);
	snprintf(cr->text, sizeof(cr->text), "%s -> %s", l, r);
	v->s = cr->text;
}

static void conn_value(void *row, int field, struct fval *v)
{
	struct conn_row *cr = row;
	const struct ss_counts *n = cr->fold ? &cr->fold->n : &cr->c->n;

	if (field == SC_PID)
		v->u = cr->fold ? cr->fold->tgid : cr->c->key.tgid;
	else if (field == SC_COMM)
		name_value(v, cr->fold ? cr->fold->comm : cr->c->rec.comm);
	else if (field >= SC_SENT_BYTES && field <= SC_RECV_CALLS)
		v->u = count_value(n, field - SC_SENT_BYTES);
	else if (cr->fold)
		fold_value(cr, field, v);
	else if (field == SC_ENDS)
		ends_value(cr, v);
	else
		addrs_value(cr->text, sizeof(cr->text), &cr->c->rec.a, field - SC_PROTO, v);
}

static void plain_conns(FILE *f, const struct conn_list *cl)
{
	char k[32];

	fprintf(f, "\nPer connection (%zu of %s listed, the busiest; --max-conns %zu):\n",
		cl->n, fmt_thousands(k, sizeof(k), cl->all), cl->max);
	fields_header(f, &rec_connection, 0);
	for (size_t i = 0; i < cl->n; i++) {
		struct conn_row cr = { .c = cl->v[i] };

		fields_row(f, &rec_connection, 0, conn_value, &cr);
	}
	for (size_t i = 0; i < cl->nfolds; i++) {
		struct conn_row cr = { .fold = &cl->folds[i] };

		fields_row(f, &rec_connection, 0, conn_value, &cr);
	}
}

static void grand_total(const struct agg *agg, struct ss_counts *sum)
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

static void fold_json_value(void *row, int field, struct fval *v)
{
	const struct fold_row *r = row;

	if (field == SF_PID)
		v->u = r->tgid;
	else if (field == SF_COMM)
		name_value(v, r->comm);
	else if (field == SF_CONNECTIONS)
		v->u = r->nconns;
	else
		v->u = count_value(&r->n, field - SF_SENT_BYTES);
}

/* The end's one record: the grand total, how many connections, and what was lost. */
struct total_row {
	const struct ss_counts *sum;
	const struct conn_list *cl;
	uint64_t lost;
	double seconds;
};

static void total_value(void *row, int field, struct fval *v)
{
	const struct total_row *t = row;

	if (field <= ST_RECV_CALLS)
		v->u = count_value(t->sum, field - ST_SENT_BYTES);
	else if (field == ST_CONNECTIONS)
		v->u = t->cl->all;
	else if (field == ST_LISTED)
		v->u = t->cl->n;
	else if (field == ST_MAX_CONNS)
		v->u = t->cl->max;
	else if (field == ST_LOST)
		v->u = t->lost;
	else
		v->d = t->seconds;
}

/* One JSON object of record type r per row. */
static void json_record(FILE *f, const struct record *r, uint64_t hide, field_get *get,
			void *row)
{
	struct jw w;

	fields_begin(&w, f, r);
	fields_json(&w, r, hide, get, row);
	jw_end(&w);
}

static void json_summary(FILE *f, const struct agg *agg, const struct conn_list *cl,
			 struct total_row *total)
{
	for (size_t i = 0; i < agg->nrows; i++) {
		struct proc_row pr = { &agg->rows[i] };

		if (!counts_zero(&pr.r->total))
			json_record(f, &rec_summary, proc_hide(agg), proc_value, &pr);
	}
	for (size_t i = 0; i < cl->n; i++) {
		struct conn_row cr = { .c = cl->v[i] };

		json_record(f, &rec_connection, 0, conn_value, &cr);
	}
	for (size_t i = 0; i < cl->nfolds; i++)
		json_record(f, &rec_folded, 0, fold_json_value, &cl->folds[i]);
	json_record(f, &rec_total, 0, total_value, total);
}

int top_summary(FILE *f, const struct io_reader *io, const struct agg *agg, bool json,
		double seconds, uint64_t extra_lost, size_t max_conns)
{
	struct conn_list cl;
	uint64_t lost = io_lost(io) + extra_lost;
	struct ss_counts sum;

	if (conn_list_build(&cl, io, max_conns)) {
		conn_list_free(&cl);
		return -1;
	}
	grand_total(agg, &sum);
	if (json) {
		struct total_row total = { &sum, &cl, lost, seconds };

		json_summary(f, agg, &cl, &total);
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
