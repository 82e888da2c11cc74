// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope conns`: a live table of the TCP connections of the selected processes, with the
 * kernel's view of each (as `ss -ti` shows it), the owner's bytes moved, retransmits by kind
 * and resets; or, with --events, a stream of state changes, retransmits, resets, bad
 * checksums and drops, each attributed to the socket's owner.
 */
#include "cmd/cmd.h"
#include "cmd/conns_view.h"
#include "readers/io.h"
#include "core/opts.h"
#include "core/run.h"
#include "attach/sys.h"
#include "readers/conns.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"
#include "writers/table.h"

#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* TCP only: --udp is parsed, to be refused with a reason, but not offered */
#define CONNS_GROUPS (OPTS_FILTER | OPTS_TIMING | OPTS_INTERVAL | OPTS_OUTPUT | OPTS_TCP_ONLY)
#define CLEAR	     "\033[H\033[2J"

struct conns {
	struct opts o;
	bool all, events;
	int sort;      /* index into conn_columns */
	bool sort_set; /* --sort given */
	struct conns_reader *tcp;
	struct io_reader *io;
	struct conn_view *views; /* live rows of the last refresh, then closed ones */
	size_t nviews, capviews;
	const struct ss_conn_row *rows;
	struct ss_conn_row *closed;
	size_t nrows, nclosed, capclosed;
	uint64_t refresh_ns; /* when the last refresh started (run_now_ns) */
	double refresh_s;    /* and how long it took */
	int64_t mono_to_real;
	uint64_t lost_reported;
};

static int opt_sort(void *field, const char *arg, char *err, size_t len)
{
	struct conns *c = field;
	char q[64];

	c->sort = conn_column(arg);
	c->sort_set = true;
	if (c->sort >= 0)
		return 0;
	snprintf(err, len, "invalid sort column '%s': expected one of ",
		 opts_quote(q, sizeof(q), arg));
	conn_columns_list(err + strlen(err), len - strlen(err));
	return -1;
}

static const struct opt_def conns_options[] = {
	{ "all", 'a', OA_FLAG, OPT_FIELD(struct conns, all),
	  .help = "keep closed connections, with their final numbers" },
	{ "sort", 0, OA_CUSTOM, .parse = opt_sort, .list = conn_columns_list, .metavar = "COLUMN",
	  .help = "sort by a JSON column (pid, comm, state, age_ms,\n"
		  "sent_bytes, recv_bytes, srtt_us, cwnd, retrans_total, ...)" },
	{ "events", 0, OA_FLAG, OPT_FIELD(struct conns, events),
	  .help = "stream state changes, retransmits, resets, bad\n"
		  "checksums and drops (with the kernel's reason) instead" },
	{ 0 },
};

static const char conns_about[] =
	"Shows, every interval, the TCP sockets of the selected processes: owner, role,\n"
	"state, age, bytes the owner moved, and the kernel's view (cwnd, ssthresh, srtt,\n"
	"windows, in flight, buffers, congestion state), retransmits (fast, timeout, other),\n"
	"resets, and the backlog of listeners. Sockets that existed before sockscope started\n"
	"are found too.";

static const struct opts_cmd_help conns_help = {
	.name = "conns",
	.about = conns_about,
	.examples = "  sockscope conns -p 1234           one process's connections\n"
		    "  sockscope conns -d 443 --sort srtt_us\n"
		    "  sockscope conns --events -c nginx retransmits, resets and drops of nginx\n",
	.groups = CONNS_GROUPS,
	.opts = conns_options,
	.interval = 1,
	.count_of = "intervals",
};

static void usage(FILE *f)
{
	opts_help(f, &conns_help);
}

/* Final records arrive between refreshes; they are shown once, or always with -a. */
static void on_final(void *ctx, const struct ss_conn_row *r)
{
	struct conns *c = ctx;

	if (c->nclosed == c->capclosed) {
		size_t cap = c->capclosed ? 2 * c->capclosed : 64;
		struct ss_conn_row *grown = realloc(c->closed, cap * sizeof(*grown));

		if (!grown)
			return;
		c->closed = grown;
		c->capclosed = cap;
	}
	c->closed[c->nclosed++] = *r;
}

static int grow_views(struct conns *c, size_t n)
{
	struct conn_view *grown;

	if (n <= c->capviews)
		return 0;
	grown = realloc(c->views, n * sizeof(*grown));
	if (!grown)
		return -1;
	c->views = grown;
	c->capviews = n;
	return 0;
}

/* Seconds since the last refresh started. */
static double since_refresh(const struct conns *c)
{
	return (double)(run_now_ns() - c->refresh_ns) / 1e9;
}

/* Live rows, then the closed ones, as views; closed ones are forgotten unless -a. */
static int refresh(struct conns *c)
{
	size_t n = 0;

	c->refresh_ns = run_now_ns();
	if (conns_rows(c->tcp, &c->rows, &c->nrows)) {
		fprintf(stderr, "sockscope conns: reading the socket table failed: %s\n",
			strerror(errno));
		return -1;
	}
	if (io_sample(c->io) || grow_views(c, c->nrows + c->nclosed)) {
		fprintf(stderr, "sockscope conns: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < c->nrows; i++)
		conn_view_fill(&c->views[n++], &c->rows[i], c->io, c->refresh_ns);
	for (size_t i = 0; i < c->nclosed; i++)
		conn_view_fill(&c->views[n++], &c->closed[i], c->io, c->refresh_ns);
	conn_views_roles(c->views, n);
	conn_views_sort(c->views, n, c->sort);
	c->nviews = n;
	if (!c->all)
		c->nclosed = 0;
	c->refresh_s = since_refresh(c);
	return 0;
}

/*
 * An event of a socket the table does not know yet (made since the last refresh) is worth
 * a fresh look at the table: as soon as 5 ms after the last one, but never more than a tenth
 * of the time, however long a walk of a large table takes.
 */
static void on_event(void *ctx, const struct ss_conn_event *ev)
{
	struct conns *c = ctx;
	struct ss_conn_event e = *ev;
	double gap = c->refresh_s * 10 > 0.005 ? c->refresh_s * 10 : 0.005;

	if (!conn_event_attribute(&e, c->views, c->nviews, c->io) &&
	    since_refresh(c) >= gap && !refresh(c))
		conn_event_attribute(&e, c->views, c->nviews, c->io);
	conn_event_print(stdout, &e, c->o.json, c->mono_to_real, c->views, c->nviews, c->io);
}

static void show(struct conns *c)
{
	struct timespec real;
	int rows = table_rows(run_terminal());

	clock_gettime(CLOCK_REALTIME, &real);
	if (c->o.json) {
		conn_views_json(stdout, c->views, c->nviews, &real);
		return;
	}
	if (rows)
		fputs(CLEAR, stdout);
	conn_views_table(stdout, c->views, c->nviews, &real, rows);
	if (!rows)
		fputc('\n', stdout);
}

/* While events or final records are dropped: a line on stderr and, in JSON, a "lost" object. */
static void report_lost(struct conns *c)
{
	uint64_t lost = conns_lost(c->tcp);

	if (lost == c->lost_reported)
		return;
	fprintf(stderr, "sockscope conns: %llu events lost so far (ring buffer full)\n",
		(unsigned long long)lost);
	if (c->o.json)
		record_lost(stdout, lost - c->lost_reported, "ring_full");
	c->lost_reported = lost;
}

/* Up to the next tick, but in short steps: a reader of stdout that went away is noticed. */
static int wait_ms(const struct run_clock *clock)
{
	int ms = run_clock_wait_ms(clock);

	return ms < RUN_SLICE_MS ? ms : RUN_SLICE_MS;
}

static void run(struct conns *c)
{
	struct run_clock clock;

	run_clock_start(&clock, c->o.interval, c->o.duration);
	run_output_until(&clock);
	if (c->events && refresh(c))
		return; /* the table is what attributes events by address */
	while (!run_stop && !run_clock_over(&clock) && !run_output_closed()) {
		conns_poll(c->tcp, c->events ? 50 : wait_ms(&clock));
		if (run_output_gone(stdout))
			break;
		if (!run_clock_due(&clock))
			continue;
		report_lost(c);
		if (refresh(c))
			break;
		if (!c->events)
			show(c);
		if (run_output_gone(stdout) || (c->o.count && clock.ticks >= c->o.count) ||
		    run_pids_gone(&c->o))
			break;
	}
	run_output_finish();
	if (run_output_gone(stdout))
		return;
	if (!ferror(stdout)) /* what the stalled output could not take is counted below */
		conns_poll(c->tcp, 0);
	report_lost(c);
	if (c->events)
		cmd_report_unread("conns", conns_unread(c->tcp), c->o.json);
}

static int start(struct conns *c, char *err, size_t len)
{
	struct conns_handlers h = { on_final, on_event, c };

	c->io = io_open(&c->o, err, len);
	if (!c->io)
		return -1;
	/* -a shows closed connections' bytes as long as it runs: keep as many as it always did */
	if (c->all && io_keep_closed(c->io, 65536)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	io_linger_closed(c->io);
	c->tcp = conns_open(&c->o, c->events ? CONNS_EVENTS : 0, &h, err, len);
	if (!c->tcp)
		return -1;
	c->mono_to_real = mono_to_real_ns();
	if (c->o.verbose) {
		io_describe(c->io, stderr);
		conns_describe(c->tcp, stderr);
	}
	return 0;
}

/* Options that mean nothing together: refused, rather than one silently ignored. */
static int conflict(const struct conns *c, char *err, size_t len)
{
	const char *table_only = NULL;

	if (c->all)
		table_only = "--all keeps closed connections in the table";
	else if (c->sort_set)
		table_only = "--sort orders the table";
	else if (c->o.interval_set)
		table_only = "--interval refreshes the table";
	err[0] = '\0';
	if (c->o.protos & 2)
		snprintf(err, len, "--udp: conns shows TCP connections only");
	else if (c->events && table_only)
		snprintf(err, len, "%s, which --events does not show: use one or the other",
			 table_only);
	return err[0] ? -1 : 0;
}

int cmd_conns(int argc, char **argv)
{
	struct conns c = { .sort = conn_column("pid") };
	struct cmd_opts cmd = { conns_options, &c };
	char err[4096];
	int ret = 0;

	opts_init(&c.o);
	if ((ret = cmd_parse("conns", &c.o, CONNS_GROUPS, &cmd, argc, argv, usage)) != CMD_GO) {
		opts_free(&c.o);
		return ret;
	}
	if (conflict(&c, err, sizeof(err))) {
		opts_free(&c.o);
		return cmd_usage_error("conns", err);
	}
	table_init_locale();
	run_signals();
	if (run_output_init()) {
		opts_free(&c.o);
		return cmd_fail("conns", "out of memory");
	}
	ret = start(&c, err, sizeof(err)) ? cmd_fail("conns", err) : 0;
	if (ret == 0) {
		cmd_ready("conns", c.o.verbose);
		run(&c);
	}
	run_output_end("conns");
	conns_close(c.tcp);
	io_close(c.io);
	free(c.views);
	free(c.closed);
	opts_free(&c.o);
	return ret;
}
