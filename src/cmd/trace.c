// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope trace`: every socket call as it happens, with process, syscall, connection and,
 * when asked, the bytes it moved. Events come through a ring buffer (trace.bpf.c); the
 * summary's byte totals come from the kernel counters of `top` (io.bpf.c), so they stay exact
 * even when events are dropped, and every dropped event is counted and reported.
 */
#include "cmd/cmd.h"
#include "core/agg.h"
#include "readers/io.h"
#include "core/opts.h"
#include "core/run.h"
#include "attach/sys.h"
#include "core/syscalls.h"
#include "readers/tracer.h"
#include "writers/escape.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"
#include "writers/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TRACE_GROUPS   (OPTS_FILTER | OPTS_TIMING | OPTS_OUTPUT | OPTS_SUMMARY)
#define POLL_MS	       20 /* the kernel never wakes us: this bounds latency and fill */

/* Addresses formatted once per connection, not once per event (they are most of a line). */
struct addr_text {
	struct ss_addrs a;
	bool valid;
	char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN]; /* for JSON */
	char ends[2 * 64 + 16]; /* "tcp l:port -> r:port", for text */
};

#define ADDR_CACHE 64

struct trace {
	struct opts o;
	struct addr_text addr_cache[ADDR_CACHE];
	struct tracer_cfg cfg; /* payload bytes to capture (0 = off), ring buffer size */
	bool hex, ts_ns;
	struct tracer *tracer;
	struct io_reader *io;
	int64_t mono_to_real; /* ns to add to CLOCK_MONOTONIC for the wall clock */
	struct run_slice slice;
	uint64_t printed, drops_reported; /* all lost events said so far */
	uint64_t ring_drops;		  /* of which the ring buffer had no room for */
	bool out_gone, pids_gone;
};

static int parse_size(const char *arg, uint32_t *out, char *err, size_t len)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);
	unsigned long long mult = 1;

	if (*end == 'K' || *end == 'k')
		mult = 1 << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1 << 20, end++;
	if (arg[0] < '0' || arg[0] > '9' || *end || v * mult < 4096 || v * mult > (1u << 30)) {
		snprintf(err, len, "invalid buffer size '%s': expected 4K to 1024M", arg);
		return -1;
	}
	v *= mult;
	*out = 4096;
	while (*out < v) /* the kernel wants a power of two */
		*out <<= 1;
	return 0;
}

static int opt_buffer(void *field, const char *arg, char *err, size_t len)
{
	return parse_size(arg, field, err, len);
}

static const char *const timestamp_names[] = { "ns", "wall", NULL };
static const int timestamp_values[] = { 1, 0 }; /* ts_ns */

static const struct opt_def trace_options[] = {
	{ "payload", 0, OA_UINT, OPTF_OPTIONAL, OPT_FIELD(struct trace, cfg.payload), .min = 1,
	  .max = SS_PAYLOAD_MAX, .dflt = 2000, .what = "payload size", .metavar = "N",
	  .help = "also capture the first N bytes each call moved (default\n"
		  "2000, at most 16384); off unless asked for" },
	{ "hex", 0, OA_FLAG, OPT_FIELD(struct trace, hex),
	  .help = "show payloads as a hexdump instead of escaped text\n"
		  "(turns on --payload if not given)" },
	{ "timestamp", 0, OA_ENUM, OPT_FIELD(struct trace, ts_ns), .what = "timestamp",
	  .choices = timestamp_names, .values = timestamp_values,
	  .help = "kernel monotonic nanoseconds, or wall clock (default)" },
	{ "buffer-size", 0, OA_CUSTOM, OPT_FIELD(struct trace, cfg.buffer), .parse = opt_buffer,
	  .metavar = "SIZE",
	  .help = "ring buffer size, e.g. 256M (default 16M, 64M with\n--payload)" },
	{ 0 },
};

static const char trace_about[] =
	"Prints every TCP/UDP socket call as it happens: time, direction, process, the\n"
	"syscall that made it, bytes moved and the connection. Ends with a summary (exact\n"
	"totals per process and connection, events lost) on Ctrl-C, SIGTERM, --duration,\n"
	"--count N events, or when all -p processes exit.";

static const struct opts_cmd_help trace_help = {
	.name = "trace",
	.about = trace_about,
	.examples = "  sockscope trace -p 1234                  every call of one process\n"
		    "  sockscope trace -d 80 --payload=200      HTTP requests and what came back\n"
		    "  sockscope trace --udp -6 --json          IPv6 UDP calls as JSON lines\n",
	.groups = TRACE_GROUPS,
	.opts = trace_options,
	.count_of = "events",
};

static void usage(FILE *f)
{
	opts_help(f, &trace_help);
}

static void print_payload_text(FILE *f, const struct trace *t, const struct ss_event *e,
			       const uint8_t *p)
{
	static char esc[4 * SS_PAYLOAD_MAX + 1];

	if (e->flags & SS_EV_NO_PAYLOAD) {
		fputs("    (payload not in user memory: sendfile, splice or io_uring)\n", f);
		return;
	}
	if (!t->hex) {
		esc_text(esc, sizeof(esc), p, e->payload_len, false);
		fputs("    ", f); /* not printf: its %s scans kilobytes of payload twice */
		fputs(esc, f);
		fputs((int64_t)e->payload_len < e->bytes ? " ...\n" : "\n", f);
		return;
	}
	esc_hexdump(f, p, e->payload_len);
}

static const struct addr_text *addr_text(struct trace *t, const struct ss_event *e)
{
	struct addr_text *c = &t->addr_cache[e->sock_id % ADDR_CACHE];
	char l[64], r[64];

	if (c->valid && !memcmp(&c->a, &e->a, sizeof(e->a)))
		return c;
	c->a = e->a;
	c->valid = true;
	fmt_ip(c->l, sizeof(c->l), e->a.family, e->a.laddr);
	fmt_ip(c->r, sizeof(c->r), e->a.family, e->a.raddr);
	fmt_endpoint(l, sizeof(l), e->a.family, e->a.laddr, e->a.lport);
	fmt_endpoint(r, sizeof(r), e->a.family, e->a.raddr, e->a.rport);
	snprintf(c->ends, sizeof(c->ends), "%s %s -> %s", proto_name(e->a.proto), l, r);
	return c;
}

/* One event, as the field table (records.h) asks for it. */
struct event_row {
	struct trace *t;
	const struct ss_event *e;
	const uint8_t *payload;
	const struct addr_text *at;
	char text[48];
};

static const char *event_when(struct event_row *er, bool wall_clock)
{
	struct timespec ts;

	mono_to_timespec(&ts, er->e->ts_ns, er->t->mono_to_real);
	if (wall_clock)
		return fmt_clock(er->text, sizeof(er->text), &ts, true);
	return fmt_rfc3339(er->text, sizeof(er->text), &ts);
}

static void event_ids(struct event_row *er, int field, struct fval *v)
{
	const struct ss_event *e = er->e;

	switch (field) {
	case TE_TS_NS:
		v->u = e->ts_ns;
		break;
	case TE_PID:
		v->u = e->pid;
		break;
	case TE_TID:
		v->u = e->tid;
		break;
	case TE_COMM:
		v->s = e->comm;
		v->len = name_len(e->comm, sizeof(e->comm));
		break;
	case TE_DIR:
		v->s = e->dir == SS_SEND ? "send" : "recv";
		break;
	case TE_DIR_UPPER:
		v->s = e->dir == SS_SEND ? "SEND" : "RECV";
		break;
	default:
		v->s = event_when(er, field == TE_CLOCK);
	}
}

static void event_conn(struct event_row *er, int field, struct fval *v)
{
	const struct ss_event *e = er->e;

	if (field == TE_SYSCALL)
		v->s = syscall_name(e->syscall, e->flags);
	else if (field == TE_LADDR || field == TE_RADDR) /* formatted once per connection */
		v->s = field == TE_LADDR ? er->at->l : er->at->r;
	else if (field == TE_CONNECTION) /* the text view's: "tcp 1.2.3.4:5 -> 6.7.8.9:10" */
		v->s = er->at->ends;
	else
		addrs_value(er->text, sizeof(er->text), &e->a, field - TE_PROTO, v);
}

static void event_value(void *row, int field, struct fval *v)
{
	struct event_row *er = row;
	const struct ss_event *e = er->e;

	if (field == TE_BYTES)
		v->i = e->bytes;
	else if (field == TE_PAYLOAD_B64)
		v->s = (const char *)er->payload, v->len = e->payload_len;
	else if (field == TE_PAYLOAD_LEN)
		v->u = e->payload_len;
	else if (field == TE_TRUNCATED)
		v->u = (int64_t)e->payload_len < e->bytes;
	else if (field <= TE_COMM)
		event_ids(er, field, v);
	else
		event_conn(er, field, v);
}

static void print_event_text(FILE *f, struct trace *t, const struct ss_event *e,
			     const uint8_t *payload)
{
	struct event_row er = { t, e, payload, addr_text(t, e) };

	fields_row(f, &rec_event, FIELD_BIT(t->ts_ns ? TE_CLOCK : TE_TS_NS), event_value, &er);
	if (t->cfg.payload)
		print_payload_text(f, t, e, payload);
}

static void print_event_json(FILE *f, struct trace *t, const struct ss_event *e,
			     const uint8_t *payload)
{
	struct event_row er = { t, e, payload, addr_text(t, e) };
	uint64_t hide = 0;
	struct jw w;

	if (!t->cfg.payload || (e->flags & SS_EV_NO_PAYLOAD))
		hide = FIELD_BIT(TE_PAYLOAD_B64) | FIELD_BIT(TE_PAYLOAD_LEN) |
		       FIELD_BIT(TE_TRUNCATED);
	fields_begin(&w, f, &rec_event);
	fields_json(&w, &rec_event, hide, event_value, &er);
	jw_end(&w);
}

/*
 * A TCP socket that closed with data still queued loses its local port before the owner
 * reads the data; the counters recorded the addresses at the socket's first call.
 */
static void complete_addrs(struct trace *t, struct ss_event *e)
{
	const struct sock_acct *c;

	if (e->a.lport || !(c = io_find(t->io, e->sock_id, e->pid)))
		return;
	e->a = c->rec.a;
}

static bool count_reached(const struct trace *t)
{
	return t->o.count && t->printed >= t->o.count;
}

/*
 * A negative return makes libbpf stop consuming (1.1 ignores a positive one) after this
 * record, which has been handled: one drain never outlasts a stop, a slice or --count.
 */
static int on_event(void *ctx, void *data, size_t size)
{
	struct trace *t = ctx;
	struct ss_event e; /* a copy: the ring buffer is mapped read-only */

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (size < sizeof(e) + e.payload_len)
		return 0;
	complete_addrs(t, &e);
	if (t->o.json)
		print_event_json(stdout, t, &e, (const uint8_t *)data + sizeof(e));
	else
		print_event_text(stdout, t, &e, (const uint8_t *)data + sizeof(e));
	t->printed++;
	return run_slice_over(&t->slice) || count_reached(t) || ferror(stdout) ? -EINTR : 0;
}

static uint64_t trace_drops(const struct trace *t)
{
	return tracer_lost(t->tracer);
}

/* While drops grow: a line on stderr, and in JSON a "lost" object in the stream. */
static void report_drops(struct trace *t)
{
	uint64_t drops = trace_drops(t);

	if (drops == t->ring_drops)
		return;
	fprintf(stderr, "sockscope trace: %llu events lost so far (ring buffer full; try a "
			"larger --buffer-size or fewer events)\n", (unsigned long long)drops);
	if (t->o.json)
		record_lost(stdout, drops - t->ring_drops, "ring_full");
	t->drops_reported += drops - t->ring_drops;
	t->ring_drops = drops;
}

static int open_trace(struct trace *t, char *err, size_t len)
{
	t->io = io_open(&t->o, err, len);
	if (!t->io || !(t->tracer = tracer_open(&t->o, &t->cfg, on_event, t, err, len)))
		return -1;
	t->mono_to_real = mono_to_real_ns();
	return 0;
}

static void close_trace(struct trace *t)
{
	tracer_close(t->tracer);
	io_close(t->io);
}

static bool stopped(struct trace *t, struct run_clock *c)
{
	return run_stop || t->out_gone || ferror(stdout) || run_clock_over(c) || count_reached(t);
}

/* One bounded drain: >= 0 when the buffer was emptied, < 0 when a limit cut it short. */
static int drain(struct trace *t)
{
	run_slice_start(&t->slice);
	return tracer_consume(t->tracer);
}

/*
 * The end of the stream. With the hooks detached nothing more comes: when the -p processes
 * ended it, the rest is printed; after a signal or --duration, one more slice of it. What is
 * still unread then is counted as lost (not after --count: it was not asked for).
 */
static void finish_events(struct trace *t, struct run_clock *c)
{
	uint64_t unread;

	tracer_detach(t->tracer);
	while (t->pids_gone && !stopped(t, c) && drain(t) < 0)
		;
	run_output_finish();
	if (!t->out_gone && !ferror(stdout) && !count_reached(t))
		drain(t);
	report_drops(t);
	if (count_reached(t) || t->out_gone)
		return;
	unread = tracer_unread(t->tracer);
	cmd_report_unread("trace", unread, t->o.json);
	t->drops_reported += unread;
}

/* Consumes events until a limit; once a second reports drops and checks the -p processes. */
static void run_events(struct trace *t, struct run_clock *c)
{
	if (!t->o.json)
		fields_header(stdout, &rec_event, FIELD_BIT(t->ts_ns ? TE_CLOCK : TE_TS_NS));
	run_output_until(c);
	while (!stopped(t, c)) {
		/* the kernel never wakes us (trace.bpf.c): sleep a little only when idle */
		if (drain(t) == 0)
			tracer_poll(t->tracer, POLL_MS);
		t->out_gone = run_output_gone(stdout);
		if (!run_clock_due(c))
			continue;
		report_drops(t);
		/* reaps closed connections: the kernel table and our memory stay bounded */
		io_sample(t->io);
		if ((t->pids_gone = run_pids_gone(&t->o)))
			break;
	}
	finish_events(t, c);
}

static void say_capture(const struct trace *t)
{
	if (t->cfg.payload)
		fprintf(stderr, "sockscope trace: capturing up to %u bytes of payload per call\n",
			t->cfg.payload);
	else
		fputs("sockscope trace: payload capture off (--payload to capture)\n", stderr);
}

static int run(struct trace *t)
{
	char err[4096];
	struct run_clock clock;
	struct agg agg;
	int ret = 0;

	if (open_trace(t, err, sizeof(err)))
		return cmd_fail("trace", err);
	if (t->o.verbose) {
		io_describe(t->io, stderr);
		tracer_describe(t->tracer, stderr);
	}
	/* on a terminal too, as tcpdump says its snapshot length: nobody should have to guess */
	if (t->o.verbose || isatty(STDERR_FILENO))
		say_capture(t);
	cmd_ready("trace", t->o.verbose);
	run_clock_start(&clock, 1.0, t->o.duration);
	run_events(t, &clock);
	if (t->out_gone || agg_init(&agg, AGG_BY_PID))
		return 0;
	if (!io_sample(t->io) && !agg_update(&agg, io_procs(t->io))) {
		agg_sort_total(agg.rows, agg.nrows);
		if (top_summary(stdout, t->io, &agg, t->o.json, run_clock_elapsed(&clock),
				t->drops_reported, t->o.max_conns))
			ret = cmd_fail("trace", "out of memory for the summary");
	}
	agg_free(&agg);
	run_output_end("trace");
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	struct trace t = { 0 };
	struct cmd_opts cmd = { trace_options, &t };
	int ret;

	opts_init(&t.o);
	if ((ret = cmd_parse("trace", &t.o, TRACE_GROUPS, &cmd, argc, argv, usage)) != CMD_GO) {
		opts_free(&t.o);
		return ret;
	}
	if (t.hex && t.o.json) {
		opts_free(&t.o);
		return cmd_usage_error("trace", "--hex: the JSON lines carry payloads as base64 "
						"(payload_b64); --hex is for the text view");
	}
	if (t.hex && !t.cfg.payload)
		t.cfg.payload = 2000;
	if (!t.cfg.buffer)
		t.cfg.buffer = t.cfg.payload ? TRACER_PAYLOAD_BUFFER : TRACER_BUFFER;
	table_init_locale();
	run_signals();
	if (run_output_init()) {
		opts_free(&t.o);
		return cmd_fail("trace", "out of memory");
	}
	ret = run(&t);
	close_trace(&t);
	opts_free(&t.o);
	return ret;
}
