// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope serve`: the counters of `top` and the TCP counters of `conns` as Prometheus
 * metrics, over HTTP (libmicrohttpd) and, with --textfile, in a file for node_exporter.
 *
 * The exposition is rendered once per interval by the main thread and swapped in under a
 * lock; a scrape copies the latest text and never touches the kernel, so its cost does not
 * grow with the number of sockets and concurrent scrapes cannot slow each other down. After
 * loading and attaching, serve drops root for an unprivileged user: the BPF maps stay
 * reachable through the file descriptors and mappings it already holds.
 */
#include "cmd/cmd.h"
#include "cmd/serve.h"
#include "core/run.h"
#include "attach/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* With a thousand processes a refresh costs ~15 ms: every second would be 1.5% of a core. */
#define SERVE_INTERVAL 5
#define SERVE_GROUPS (OPTS_FILTER | OPTS_TIMING | OPTS_INTERVAL)
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS  "application/openmetrics-text"

static const char index_html[] =
	"<!DOCTYPE html><html><head><title>sockscope</title></head><body>"
	"<h1>sockscope</h1><p>Per-process network I/O and TCP metrics.</p>"
	"<ul><li><a href=\"metrics\">metrics</a></li><li><a href=\"healthz\">healthz</a></li>"
	"</ul></body></html>\n";

static int opt_listen(void *field, const char *arg, char *err, size_t len)
{
	return serve_parse_listen(arg, field, err, len);
}

#define S(member) OPT_FIELD(struct serve, member)

static const struct opt_def serve_options[] = {
	{ "listen", 0, OA_CUSTOM, S(listen), .parse = opt_listen, .metavar = "HOST:PORT",
	  .help = "where to listen (default 127.0.0.1:9577); HOST is an\n"
		  "address ([::1] for IPv6) or a name; :PORT listens on\n"
		  "every address, IPv6 and IPv4" },
	{ "textfile", 0, OA_STRING, S(textfile), .metavar = "PATH",
	  .help = "also write the metrics to PATH every interval, atomically" },
	{ "user", 0, OA_STRING, S(user), .metavar = "NAME",
	  .help = "user to switch to after attaching (default nobody)" },
	{ "forget-after", 0, OA_SECONDS, S(series.forget_after), .what = "forget-after", .metavar = "SECS",
	  .help = "drop the series of exited processes after SECS (300)" },
	{ "max-series", 0, OA_UINT, S(series.max_series), .min = 1, .max = 1000000, .what = "series limit",
	  .metavar = "N",
	  .help = "export at most N per-process series (a process costs\n"
		  "4 per protocol plus 1 per TCP counter that moved); the\n"
		  "processes that do not fit are counted as refused\n"
		  "(default 10000)" },
	{ "srtt-per-process", 0, OA_FLAG, S(series.hist_per_process),
	  .help = "an RTT histogram per process (19 series each) instead\n"
		  "of one for the host" },
	{ 0 },
};

static const char serve_about[] =
	"Serves per-process byte and call counters and TCP counters (connections opened\n"
	"and closed, retransmits, resets, drops by reason, RTT at close) as Prometheus\n"
	"metrics on /metrics, and optionally writes them to a file for node_exporter.";

static const struct opts_cmd_help serve_help = {
	.name = "serve",
	.about = serve_about,
	.examples = "  sockscope serve                             metrics on 127.0.0.1:9577\n"
		    "  sockscope serve --listen :9577 -c nginx     on every address, nginx only\n"
		    "  sockscope serve --textfile /var/lib/node_exporter/sockscope.prom\n",
	.groups = SERVE_GROUPS,
	.opts = serve_options,
	.interval = SERVE_INTERVAL,
	.count_of = "intervals",
};

static void usage(FILE *f)
{
	opts_help(f, &serve_help);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const void *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* OpenMetrics for scrapers that ask for it (Prometheus does), text 0.0.4 for the rest. */
static enum MHD_Result reply_metrics(struct serve *s, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	int k = accept && strstr(accept, OPENMETRICS) ? 1 : 0;
	enum MHD_Result ret;

	if (k)
		s->want_openmetrics = 1;
	pthread_mutex_lock(&s->lock);
	if (!s->text[k])
		k = 0; /* not rendered yet: the 0.0.4 text is an acceptable answer too */
	ret = reply(conn, MHD_HTTP_OK,
		    k ? OPENMETRICS "; version=1.0.0; charset=utf-8" : CONTENT_TYPE,
		    s->text[k] ? s->text[k] : "", s->text_len[k]);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Only GET and HEAD of three paths; request bodies are never read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct serve *s = cls;
	static const char not_found[] = "not found\n", bad_method[] = "only GET and HEAD\n";

	(void)version, (void)upload;
	if (!*state) { /* the first call only announces the request, whole */
		*state = s;
		guard_request(&s->guard, conn);
		return MHD_YES;
	}
	*upload_len = 0;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1);
	if (!strcmp(url, "/metrics"))
		return reply_metrics(s, conn);
	if (!strcmp(url, "/healthz"))
		return reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html", index_html, sizeof(index_html) - 1);
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
}

/*
 * One thread answers every request from memory, so a request never waits on another. The
 * limits on connections are the guard's (serve_guard.h): at a limit it makes room for the
 * newcomer instead of turning it away; libmicrohttpd's idle timeout closes the silent.
 */
static struct MHD_Daemon *start_mhd(struct serve *s)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (s->listen.addr.ss_family == AF_INET6)
		flags |= s->listen.any ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, guard_accept, &s->guard, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->listen.addr,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * GUARD_MAX),
				MHD_OPTION_NOTIFY_CONNECTION, guard_notify, &s->guard,
				MHD_OPTION_NOTIFY_COMPLETED, guard_completed, &s->guard,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)GUARD_WAIT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
}

static int start_http(struct serve *s, char *err, size_t len)
{
	s->httpd = start_mhd(s);
	if (!s->httpd && s->listen.any && errno == EAFNOSUPPORT) {
		/* ":PORT" on a host without IPv6: every IPv4 address */
		struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = INADDR_ANY };

		any.sin_port = ((struct sockaddr_in6 *)&s->listen.addr)->sin6_port;
		memset(&s->listen.addr, 0, sizeof(s->listen.addr));
		memcpy(&s->listen.addr, &any, sizeof(any));
		serve_listen_text(&s->listen);
		s->httpd = start_mhd(s);
	}
	if (!s->httpd) {
		snprintf(err, len, "cannot listen on %s: %s", s->listen.text, strerror(errno));
		return -1;
	}
	return 0;
}

/* Switches to the unprivileged user for good, as tcpdump -Z does. */
static int drop_root(struct serve *s, char *err, size_t len)
{
	if (getuid() == s->uid && geteuid() == s->uid)
		return 0;
	if (setgroups(0, NULL) || setgid(s->gid) || setuid(s->uid) || !setuid(0)) {
		snprintf(err, len, "cannot switch to user %s: %s", s->user, strerror(errno));
		return -1;
	}
	if (s->o.verbose)
		fprintf(stderr, "sockscope serve: now running as %s (uid %u), holding only the BPF "
				"objects already open\n", s->user, s->uid);
	return 0;
}

static int start(struct serve *s, char *err, size_t len)
{
	if (serve_open_caps(s, err, len))
		return -1;
	if (start_http(s, err, len))
		return -1;
	/* owners of sockets older than us, while we may still read every process's files */
	serve_refresh(s);
	for (size_t i = 0; s->o.verbose && i < s->ncaps; i++)
		if (s->caps[i].state)
			s->caps[i].p->describe(s->caps[i].state, stderr);
	if (drop_root(s, err, len))
		return -1;
	/* ready: a service manager or a script waiting on the port can go on */
	fprintf(stderr, "sockscope serve: listening on http://%s/metrics\n", s->listen.text);
	return 0;
}

/* Until the next tick, in the first provider that has something to handle meanwhile. */
static void wait_tick(struct serve *s, int timeout_ms)
{
	for (size_t i = 0; i < s->ncaps; i++) {
		if (s->caps[i].state && s->caps[i].p->wait) {
			s->caps[i].p->wait(s->caps[i].state, timeout_ms);
			return;
		}
	}
	poll(NULL, 0, timeout_ms);
}

static void run(struct serve *s)
{
	struct run_clock clock;

	run_clock_start(&clock, s->o.interval, s->o.duration);
	while (!run_stop && !run_clock_over(&clock)) {
		wait_tick(s, run_clock_wait_ms(&clock));
		if (run_clock_due(&clock)) {
			serve_refresh(s);
			guard_sweep(&s->guard);
		}
		if (s->o.count && clock.ticks >= s->o.count)
			break;
	}
}

static void stop(struct serve *s)
{
	if (s->httpd)
		MHD_stop_daemon(s->httpd);
	serve_close_caps(s);
	serve_metrics_free(s);
	pthread_mutex_destroy(&s->lock);
	guard_free(&s->guard);
	opts_free(&s->o);
}

int cmd_serve(int argc, char **argv)
{
	struct serve s = { .user = "nobody",
			   .series = { .forget_after = 300, .max_series = 10000 } };
	struct cmd_opts cmd = { serve_options, &s };
	char err[4096];
	int ret = 0;

	opts_init(&s.o);
	s.o.interval = SERVE_INTERVAL;
	serve_parse_listen("127.0.0.1:9577", &s.listen, err, sizeof(err));
	pthread_mutex_init(&s.lock, NULL);
	guard_init(&s.guard);
	if ((ret = cmd_parse("serve", &s.o, SERVE_GROUPS, &cmd, argc, argv, usage)) != CMD_GO) {
		stop(&s);
		return ret;
	}
	/* before the checks made as --user, which only a privileged process can make */
	if (sys_check_privileges(err, sizeof(err))) {
		stop(&s);
		return cmd_fail("serve", err);
	}
	if (serve_check(&s, err, sizeof(err))) {
		stop(&s);
		return cmd_usage_error("serve", err);
	}
	run_signals();
	ret = start(&s, err, sizeof(err)) ? cmd_fail("serve", err) : 0;
	if (ret == 0) {
		cmd_ready("serve", s.o.verbose);
		run(&s);
	}
	stop(&s);
	return ret;
}
