// SPDX-License-Identifier: GPL-2.0
/*
 * serve's provider of the io capability: each process's bytes and calls, by protocol, from
 * io's monotonic per-process totals (io.h).
 */
#include "cmd/serve_provider.h"
#include "readers/io.h"

static void *prov_io_open(const struct opts *o, char *err, size_t len)
{
	struct io_reader *io = io_open(o, err, len);

	/* the busiest closed connections are kept; the rest fold into their process */
	if (io)
		io_keep_closed(io, 1024);
	return io;
}

static int prov_io_sample(void *state)
{
	return io_sample(state);
}

/* A process's four series for each protocol it used. */
static void collect_proc(const struct proc_acct *pr, struct serve_rows *rows)
{
	static const char *const protos[ACCT_NPROTO] = { "tcp", "udp" };
	struct serve_row r = { .tgid = pr->tgid, .metric = SERVE_NO_METRIC, .owner = SERVE_PROC };

	serve_rows_add(rows, &r); /* known, even before it moved data */
	for (int k = 0; k < ACCT_NPROTO; k++) {
		const struct ss_counts *c = &pr->by_proto[k];

		if (!c->calls[SS_SEND] && !c->calls[SS_RECV])
			continue; /* a protocol the process never used */
		r.label[0] = protos[k];
		r.metric = M_SENT_BYTES, r.value.u = c->bytes[SS_SEND];
		serve_rows_add(rows, &r);
		r.metric = M_RECEIVED_BYTES, r.value.u = c->bytes[SS_RECV];
		serve_rows_add(rows, &r);
		r.metric = M_SEND_CALLS, r.value.u = c->calls[SS_SEND];
		serve_rows_add(rows, &r);
		r.metric = M_RECEIVE_CALLS, r.value.u = c->calls[SS_RECV];
		serve_rows_add(rows, &r);
	}
}

static void prov_io_collect(void *state, struct serve_rows *rows)
{
	const struct proc_acct *pr;

	for (size_t i = 0; (pr = htab_next(io_procs(state), &i));)
		collect_proc(pr, rows);
}

static const char *prov_io_comm(void *state, uint32_t tgid)
{
	const struct proc_acct *pr = htab_find(io_procs(state), &tgid);

	return pr ? pr->comm : NULL;
}

static void prov_io_forget(void *state, uint32_t tgid)
{
	io_forget(state, tgid);
}

static uint64_t prov_io_lost(void *state)
{
	return io_lost(state);
}

static const struct hook_choice *prov_io_choices(void *state, size_t *n)
{
	return io_choices(state, n);
}

static void prov_io_describe(void *state, FILE *f)
{
	io_describe(state, f);
}

static void prov_io_wait(void *state, int timeout_ms)
{
	io_wait(state, timeout_ms);
}

static void prov_io_close(void *state)
{
	io_close(state);
}

/* Required: the byte counters are what serve is for. */
const struct serve_provider serve_io_provider = {
	.capability = "io",
	.open = prov_io_open,
	.sample = prov_io_sample,
	.collect = prov_io_collect,
	.comm = prov_io_comm,
	.forget = prov_io_forget,
	.lost = prov_io_lost,
	.choices = prov_io_choices,
	.describe = prov_io_describe,
	.wait = prov_io_wait,
	.close = prov_io_close,
};
