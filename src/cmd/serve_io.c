// SPDX-License-Identifier: GPL-2.0
/*
 * serve's provider of the io capability: each process's bytes and calls, by protocol, from
 * io's monotonic per-process totals (io.h).
 */
#include "serve_provider.h"
#include "../io.h"

static void *io_open(const struct ss_opts *o, char *err, size_t len)
{
	struct ss_io *io = ss_io_open(o, err, len);

	/* the busiest closed connections are kept; the rest fold into their process */
	if (io)
		ss_io_keep_closed(io, 1024);
	return io;
}

static int io_sample(void *state)
{
	return ss_io_sample(state);
}

/* A process's four series for each protocol it used. */
static void collect_proc(const struct ss_proc *pr, struct serve_rows *rows)
{
	static const char *const protos[SS_NPROTO] = { "tcp", "udp" };
	struct serve_row r = { .tgid = pr->tgid, .metric = SERVE_NO_METRIC, .owner = SERVE_PROC };

	serve_rows_add(rows, &r); /* known, even before it moved data */
	for (int k = 0; k < SS_NPROTO; k++) {
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

static void io_collect(void *state, struct serve_rows *rows)
{
	const struct ss_proc *pr;

	for (size_t i = 0; (pr = htab_next(ss_io_procs(state), &i));)
		collect_proc(pr, rows);
}

static const char *io_comm(void *state, uint32_t tgid)
{
	const struct ss_proc *pr = htab_find(ss_io_procs(state), &tgid);

	return pr ? pr->comm : NULL;
}

static void io_forget(void *state, uint32_t tgid)
{
	ss_io_forget(state, tgid);
}

static uint64_t io_lost(void *state)
{
	return ss_io_lost(state);
}

static const struct ss_choice *io_choices(void *state, size_t *n)
{
	return ss_io_choices(state, n);
}

static void io_describe(void *state, FILE *f)
{
	ss_io_describe(state, f);
}

static void io_wait(void *state, int timeout_ms)
{
	ss_io_wait(state, timeout_ms);
}

static void io_close(void *state)
{
	ss_io_close(state);
}

/* Required: the byte counters are what serve is for. */
const struct serve_provider serve_io_provider = {
	.capability = "io",
	.open = io_open,
	.sample = io_sample,
	.collect = io_collect,
	.comm = io_comm,
	.forget = io_forget,
	.lost = io_lost,
	.choices = io_choices,
	.describe = io_describe,
	.wait = io_wait,
	.close = io_close,
};
