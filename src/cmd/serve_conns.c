// SPDX-License-Identifier: GPL-2.0
/*
 * serve's provider of the conns capability: the per-process TCP counters conns.bpf.c keeps in
 * the kernel (readers/conns.h), and the host's RTT-at-close histogram, which keeps what the
 * connections of forgotten processes added to it so that it never goes back.
 */
#include "cmd/serve_provider.h"
#include "core/serve_series.h"
#include "readers/conns.h"
#include "core/htab.h"
#include "core/run.h"

#include <stdlib.h>
#include <string.h>

#define OWNERS_EVERY_NS 10000000000ULL /* ten seconds */

struct prov_conns {
	struct conns_reader *tcp;
	uint64_t srtt_base[SS_SRTT_BUCKETS + 1], srtt_base_sum; /* of forgotten processes */
	uint64_t owners_learnt_ns; /* the last walk of the socket iterator */
	struct htab reasons; /* drop reason -> its name: drop_reason_name reuses its buffer */
};

struct reason_name {
	uint32_t reason; /* key */
	char *name;
};

static void *prov_conns_open(const struct opts *o, char *err, size_t len)
{
	struct conns_handlers none = { 0 };
	struct prov_conns *c = calloc(1, sizeof(*c));

	if (!c || htab_init(&c->reasons, sizeof(uint32_t), sizeof(struct reason_name))) {
		snprintf(err, len, "out of memory");
		free(c);
		return NULL;
	}
	c->tcp = conns_open(o, CONNS_TOTALS, &none, err, len);
	if (!c->tcp) {
		htab_free(&c->reasons);
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Owners of sockets that appeared without a hook seeing them are learnt by the socket
 * iterator, which walks every process's files: every ten seconds is enough for that.
 */
static int prov_conns_sample(void *state)
{
	struct prov_conns *c = state;
	const struct ss_conn_row *rows;
	size_t n;

	if (series_due(&c->owners_learnt_ns, run_now_ns(), OWNERS_EVERY_NS))
		conns_rows(c->tcp, &rows, &n);
	return 0;
}

static const char *reason_name(struct prov_conns *c, unsigned reason)
{
	struct reason_name *r = htab_find(&c->reasons, &reason);
	bool created;

	if (r)
		return r->name;
	r = htab_get(&c->reasons, &reason, &created);
	if (!r || !(r->name = strdup(drop_reason_name(reason)))) {
		if (r)
			htab_del(&c->reasons, &reason);
		return "?";
	}
	return r->name;
}

/* The metric and label value of a counter's key; false for a kind serve does not export. */
static bool key_row(struct prov_conns *c, const struct ss_tcp_total_key *k, struct serve_row *r)
{
	static const char *const retrans[] = { "fast", "timeout", "other" };

	r->sub = k->sub;
	switch (k->kind) {
	case SS_TT_OPENED:
		r->metric = M_TCP_OPENED;
		r->label[0] = k->sub == SS_ROLE_CLIENT ? "active" : "passive";
		return true;
	case SS_TT_CLOSED:
		r->metric = M_TCP_CLOSED;
		return true;
	case SS_TT_RETRANS:
		r->metric = M_TCP_RETRANSMITS;
		r->label[0] = retrans[k->sub <= SS_RETRANS_TIMEOUT ? k->sub : SS_RETRANS_OTHER];
		return true;
	case SS_TT_RESET:
		r->metric = M_TCP_RESETS;
		r->label[0] = k->sub ? "received" : "sent";
		return true;
	case SS_TT_DROP:
		r->metric = M_TCP_DROPS;
		r->label[0] = reason_name(c, k->sub);
		return true;
	case SS_TT_SRTT:
	case SS_TT_SRTT_SUM:
		r->metric = M_TCP_SRTT;
		r->sub = k->kind == SS_TT_SRTT_SUM ? SERVE_SUM : k->sub;
		return true;
	}
	return false;
}

/* The host's part of the histogram: what forgotten processes' connections added. */
static void collect_base(struct prov_conns *c, struct serve_rows *rows)
{
	struct serve_row r = { .metric = M_TCP_SRTT, .owner = SERVE_HOST };

	for (unsigned b = 0; b <= SS_SRTT_BUCKETS; b++) {
		r.sub = b;
		r.value.u = c->srtt_base[b];
		serve_rows_add(rows, &r);
	}
	r.sub = SERVE_SUM;
	r.value.u = c->srtt_base_sum;
	serve_rows_add(rows, &r);
}

static void prov_conns_collect(void *state, struct serve_rows *rows)
{
	struct prov_conns *c = state;
	struct ss_tcp_total_key *keys;
	uint64_t *vals;
	size_t n;

	if (conns_totals(c->tcp, &keys, &vals, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		/* pid 0 carries what could not be attributed to a process */
		struct serve_row r = { .tgid = keys[i].tgid, .value.u = vals[i],
				       .owner = keys[i].tgid ? SERVE_PROC : SERVE_NOBODY };

		if (key_row(c, &keys[i], &r))
			serve_rows_add(rows, &r);
	}
	collect_base(c, rows);
}

/* The host's RTT histogram keeps what a forgotten process's connections added to it. */
static void prov_conns_forget(void *state, uint32_t tgid)
{
	struct prov_conns *c = state;
	struct ss_tcp_total_key *keys;
	uint64_t *vals;
	size_t n;

	if (!conns_totals(c->tcp, &keys, &vals, &n)) {
		for (size_t i = 0; i < n; i++) {
			if (keys[i].tgid != tgid)
				continue;
			if (keys[i].kind == SS_TT_SRTT && keys[i].sub <= SS_SRTT_BUCKETS)
				c->srtt_base[keys[i].sub] += vals[i];
			else if (keys[i].kind == SS_TT_SRTT_SUM)
				c->srtt_base_sum += vals[i];
		}
	}
	conns_forget(c->tcp, tgid);
}

static uint64_t prov_conns_lost(void *state)
{
	return conns_lost(((struct prov_conns *)state)->tcp);
}

static const struct hook_choice *prov_conns_choices(void *state, size_t *n)
{
	return conns_choices(((struct prov_conns *)state)->tcp, n);
}

static void prov_conns_describe(void *state, FILE *f)
{
	conns_describe(((struct prov_conns *)state)->tcp, f);
}

static void prov_conns_close(void *state)
{
	struct prov_conns *c = state;
	struct reason_name *r;

	conns_close(c->tcp);
	for (size_t i = 0; (r = htab_next(&c->reasons, &i));)
		free(r->name);
	htab_free(&c->reasons);
	free(c);
}

/* Optional: without it, serve exports the byte counters and says what is missing. */
const struct serve_provider serve_conns_provider = {
	.capability = "conns",
	.missing = "no TCP metrics",
	.open = prov_conns_open,
	.sample = prov_conns_sample,
	.collect = prov_conns_collect,
	.forget = prov_conns_forget,
	.lost = prov_conns_lost,
	.choices = prov_conns_choices,
	.describe = prov_conns_describe,
	.close = prov_conns_close,
};
