// SPDX-License-Identifier: GPL-2.0
/*
 * The end-of-run report shared by `top` and `trace` (seed 002's summary, with exact byte
 * counts): per process or name, per connection, the grand total and the events lost.
 */
#include "cmd.h"
#include "../io.h"
#include "../out/fmt.h"
#include "../out/json.h"
#include "../out/table.h"

#include <stdlib.h>
#include <string.h>

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

/* The connections, by PID and then busiest first; the caller frees the array. */
static const struct ss_conn **sorted_conns(const struct ss_io *io, size_t *n)
{
	const struct htab *h = ss_io_conns(io);
	const struct ss_conn **v = calloc(h->len + 1, sizeof(*v));
	const struct ss_conn *c;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; (c = htab_next(h, &i));)
		if (!counts_zero(&c->n))
			v[(*n)++] = c;
	qsort(v, *n, sizeof(*v), cmp_conn);
	return v;
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

static void plain_conns(FILE *f, const struct ss_conn **v, size_t n)
{
	char name[64], l[64], r[64], s[32], x[32];

	fprintf(f, "\nPer connection:\n%7s %-15s %-5s %-47s %13s %13s\n", "PID", "COMM", "PROTO",
		"LOCAL -> REMOTE", "SENT BYTES", "RECV BYTES");
	for (size_t i = 0; i < n; i++) {
		const struct ss_conn *c = v[i];
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

static void json_summary(FILE *f, const struct ss_agg *agg, const struct ss_conn **v, size_t n,
			 const struct ss_counts *sum, uint64_t lost, double seconds)
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
	for (size_t i = 0; i < n; i++)
		json_conn(f, v[i]);
	jw_begin(&w, f);
	jw_str(&w, "type", "total");
	json_counts(&w, sum);
	jw_u64(&w, "lost_events", lost);
	jw_double(&w, "duration_seconds", seconds);
	jw_end(&w);
}

void top_summary(FILE *f, const struct ss_io *io, const struct ss_agg *agg, bool json,
		 double seconds, uint64_t extra_lost)
{
	size_t n;
	const struct ss_conn **v = sorted_conns(io, &n);
	uint64_t lost = ss_io_lost(io) + extra_lost;
	struct ss_counts sum;

	grand_total(agg, &sum);
	if (json) {
		json_summary(f, agg, v, n, &sum, lost, seconds);
	} else {
		fprintf(f, "\n%.80s\nSUMMARY (%.1f s)\n\n", "=================================="
			"==============================================", seconds);
		plain_procs(f, agg);
		plain_conns(f, v, n);
		plain_total(f, &sum, lost);
	}
	free(v);
}
