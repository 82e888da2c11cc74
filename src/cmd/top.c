// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope top`: which processes send and receive how much, refreshed every interval, and
 * a summary per process and per connection at the end. Counting happens in the kernel
 * (io.bpf.c); this file reads the totals each interval and presents them.
 */
#include "cmd/cmd.h"
#include "cmd/kcheck.h"
#include "core/agg.h"
#include "readers/io.h"
#include "core/opts.h"
#include "core/run.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"
#include "writers/table.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TOP_GROUPS (OPTS_FILTER | OPTS_TIMING | OPTS_INTERVAL | OPTS_OUTPUT | OPTS_SUMMARY)
#define CLEAR	   "\033[H\033[2J"

struct top {
	struct opts o;
	enum agg_group_by by;
	struct io_reader *io;
	struct agg agg;
	struct run_clock clock;
	bool check_kernel;
	struct kcheck *kc;
};

static const char *const group_names[] = { "pid", "comm", NULL };
static const int group_values[] = { AGG_BY_PID, AGG_BY_COMM };

static const struct opt_def top_options[] = {
	{ "by", 'b', OA_ENUM, OPT_FIELD(struct top, by), .what = "grouping",
	  .choices = group_names, .values = group_values,
	  .help = "one row per process (default) or per process name" },
	{ "check-kernel", 0, OA_FLAG, OPT_FIELD(struct top, check_kernel),
	  .help = "check each TCP socket opened after start against the\n"
		  "kernel's own records of what was read and written;\n"
		  "report every disagreement (a path not counted)" },
	{ 0 },
};

static const char top_about[] =
	"Shows, every interval, each process that sent or received TCP/UDP data: bytes and\n"
	"calls in the interval and in total. Ends with a summary per process and per\n"
	"connection on Ctrl-C, SIGTERM, --count, --duration, or when all -p processes exit.";

static const struct opts_cmd_help top_help = {
	.name = "top",
	.about = top_about,
	.examples = "  sockscope top                     all processes, every second\n"
		    "  sockscope top -p 1234,5678 -i 5   two processes, every 5 seconds\n"
		    "  sockscope top --by comm --udp     UDP traffic per program name\n"
		    "  sockscope top --json --count 10   ten intervals as JSON lines\n",
	.groups = TOP_GROUPS,
	.opts = top_options,
	.interval = 1,
	.count_of = "intervals",
};

static void usage(FILE *f)
{
	opts_help(f, &top_help);
}

/* One process's row of an interval, as the field table (records.h) asks for it. */
struct interval_row {
	const struct agg_row *r;
	const char *when;
};

static void interval_value(void *row, int field, struct fval *v)
{
	const struct interval_row *ir = row;
	const struct agg_row *r = ir->r;

	switch (field) {
	case TI_TIME:
		v->s = ir->when;
		break;
	case TI_PID:
		v->u = r->key.tgid;
		break;
	case TI_PROCESSES:
		v->u = r->nprocs;
		break;
	case TI_COMM:
		v->s = r->key.comm;
		v->len = strnlen(r->key.comm, sizeof(r->key.comm));
		break;
	case TI_SENT_BYTES:
	case TI_RECV_BYTES:
		v->u = r->delta.bytes[field == TI_SENT_BYTES ? SS_SEND : SS_RECV];
		break;
	case TI_SENT_CALLS:
	case TI_RECV_CALLS:
		v->u = r->delta.calls[field == TI_SENT_CALLS ? SS_SEND : SS_RECV];
		break;
	default:
		v->u = r->total.bytes[field == TI_TOTAL_SENT ? SS_SEND : SS_RECV];
	}
}

/* With --by comm, a row is a name and how many processes have it, not a PID. */
static uint64_t interval_hide(const struct top *t)
{
	return FIELD_BIT(t->by == AGG_BY_PID ? TI_PROCESSES : TI_PID);
}

static size_t active_rows(const struct top *t)
{
	size_t n = 0;

	while (n < t->agg.nrows && !counts_zero(&t->agg.rows[n].delta))
		n++;
	return n;
}

static void show_interval_plain(FILE *f, const struct top *t, const struct timespec *now)
{
	int term = table_rows(run_terminal());
	size_t n = active_rows(t), shown = n;
	struct ss_counts sum = { 0 };
	char clock[16], s[16], r[16];

	for (size_t i = 0; i < n; i++)
		counts_add(&sum, &t->agg.rows[i].delta);
	if (term) {
		fputs(CLEAR, f);
		if (shown > (size_t)(term > 4 ? term - 3 : 1))
			shown = (size_t)(term > 4 ? term - 3 : 1);
	}
	fprintf(f, "%s  %zu active  sent %s  recv %s  lost %llu\n",
		fmt_clock(clock, sizeof(clock), now, false), n,
		fmt_bytes(s, sizeof(s), sum.bytes[SS_SEND]),
		fmt_bytes(r, sizeof(r), sum.bytes[SS_RECV]),
		(unsigned long long)io_lost(t->io));
	fields_header(f, &rec_interval, interval_hide(t));
	for (size_t i = 0; i < shown; i++) {
		struct interval_row ir = { &t->agg.rows[i], NULL };

		fields_row(f, &rec_interval, interval_hide(t), interval_value, &ir);
	}
	if (!term)
		fputc('\n', f);
}

static void show_interval_json(FILE *f, const struct top *t, const struct timespec *now)
{
	char when[40];
	size_t n = active_rows(t);

	fmt_rfc3339(when, sizeof(when), now);
	for (size_t i = 0; i < n; i++) {
		struct interval_row ir = { &t->agg.rows[i], when };
		struct jw w;

		fields_begin(&w, f, &rec_interval);
		fields_json(&w, &rec_interval, interval_hide(t), interval_value, &ir);
		jw_end(&w);
	}
}

static int sample(struct top *t)
{
	if (io_sample(t->io) || agg_update(&t->agg, io_procs(t->io)))
		return -1;
	agg_sort(t->agg.rows, t->agg.nrows);
	/* JSON objects go with the rest; text lines to stderr, past a clearing table */
	if (t->kc && kcheck_run(t->kc, io_socks(t->io), t->o.json ? stdout : stderr, t->o.json))
		return -1;
	return 0;
}

static void show_interval(const struct top *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (t->o.json)
		show_interval_json(stdout, t, &now);
	else
		show_interval_plain(stdout, t, &now);
}

/* Runs intervals until a signal, a limit, the -p processes' exit, or a closed stdout. */
static bool run_intervals(struct top *t)
{
	run_clock_start(&t->clock, t->o.interval, t->o.duration);
	run_output_until(&t->clock);
	while (!run_stop) {
		int ms = run_clock_wait_ms(&t->clock);

		/* in short steps, to notice a reader of stdout that went away (`| head -1`) */
		io_wait(t->io, ms < RUN_SLICE_MS ? ms : RUN_SLICE_MS);
		if (run_output_closed())
			return false;
		if (run_stop || run_clock_over(&t->clock))
			break;
		if (!run_clock_due(&t->clock))
			continue;
		/* before the sample, so that the last interval has all the exited processes did */
		bool gone = run_pids_gone(&t->o);
		if (sample(t))
			return false;
		show_interval(t);
		if (run_output_gone(stdout))
			return false;
		if ((t->o.count && t->clock.ticks >= t->o.count) || gone)
			break;
	}
	return true;
}

int cmd_top(int argc, char **argv)
{
	struct top t = { .by = AGG_BY_PID };
	struct cmd_opts cmd = { top_options, &t };
	char err[4096];
	int ret = 1;

	opts_init(&t.o);
	if ((ret = cmd_parse("top", &t.o, TOP_GROUPS, &cmd, argc, argv, usage)) != CMD_GO)
		goto out;
	table_init_locale();
	if (agg_init(&t.agg, t.by)) {
		ret = cmd_fail("top", "out of memory");
		goto out;
	}
	run_signals();
	if (run_output_init()) {
		ret = cmd_fail("top", "out of memory");
		goto out;
	}
	t.io = io_open(&t.o, err, sizeof(err));
	if (!t.io) {
		ret = cmd_fail("top", err);
		goto out;
	}
	if (t.check_kernel && !(t.kc = kcheck_open(&t.o, err, sizeof(err)))) {
		ret = cmd_fail("top", err);
		goto out;
	}
	if (t.o.verbose)
		io_describe(t.io, stderr);
	cmd_ready("top", t.o.verbose);
	ret = 0;
	if (run_intervals(&t) && !sample(&t)) {
		run_output_finish();
		agg_sort_total(t.agg.rows, t.agg.nrows);
		if (top_summary(stdout, t.io, &t.agg, t.o.json, run_clock_elapsed(&t.clock), 0,
				t.o.max_conns))
			ret = cmd_fail("top", "out of memory for the summary");
		if (t.kc)
			kcheck_summary(t.kc, t.o.json ? stdout : stderr, t.o.json);
	}
	run_output_end("top");
out:
	kcheck_close(t.kc);
	io_close(t.io);
	agg_free(&t.agg);
	opts_free(&t.o);
	return ret;
}
