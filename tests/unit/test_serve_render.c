// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for serve's metrics without BPF: the exposition rendered from rows
 * (src/cmd/serve_render.c), the metric table against docs/metrics.md (src/cmd/serve_table.c),
 * and admission within --max-series and forgetting (src/cmd/serve_series.c).
 */
#include "capture.h"

#include <string.h>
#include <unistd.h>

#include "writers/serve_render.h"
#include "core/serve_series.h"
#include "core/serve_table.h"
#include "writers/prom.h"

/* Processes 10 ("curl") and 0 are exported; 20 is not. */
static const char *comm_of(const void *ctx, uint32_t tgid)
{
	(void)ctx;
	return tgid == 10 ? "curl" : tgid == 0 ? "kernel" : NULL;
}

static void add(struct serve_rows *rows, uint32_t tgid, int metric, int owner, uint32_t sub,
		const char *label, uint64_t v)
{
	struct serve_row r = { .tgid = tgid, .metric = (uint16_t)metric, .owner = (uint8_t)owner,
			       .sub = sub, .label = { label }, .value.u = v };

	serve_rows_add(rows, &r);
}

static char *render(const char *cap, const struct serve_rows *rows, bool per_process, bool om)
{
	struct serve_view v = { comm_of, NULL, per_process };
	struct prom p;

	prom_init(&p, om);
	serve_render_capability(&p, cap, rows, &v);
	prom_end(&p);
	assert_false(p.oom);
	return p.buf;
}

static void contains(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("missing: %s\nin:\n%s", line, text);
}

/* The io families in the table's order, each with the exported processes' samples only. */
static void test_io_families(void **state)
{
	struct serve_rows rows = { 0 };
	char *text;

	(void)state;
	add(&rows, 10, SERVE_NO_METRIC, SERVE_PROC, 0, NULL, 0);
	add(&rows, 10, M_SENT_BYTES, SERVE_PROC, 0, "tcp", 100);
	add(&rows, 10, M_RECEIVED_BYTES, SERVE_PROC, 0, "tcp", 200);
	add(&rows, 10, M_SEND_CALLS, SERVE_PROC, 0, "tcp", 3);
	add(&rows, 10, M_RECEIVE_CALLS, SERVE_PROC, 0, "tcp", 4);
	add(&rows, 20, M_SENT_BYTES, SERVE_PROC, 0, "udp", 9);
	text = render("io", &rows, false, false);
	assert_string_equal(
		text,
		"# HELP sockscope_sent_bytes_total Bytes sent by the process's socket calls.\n"
		"# TYPE sockscope_sent_bytes_total counter\n"
		"sockscope_sent_bytes_total{pid=\"10\",comm=\"curl\",proto=\"tcp\"} 100\n"
		"# HELP sockscope_received_bytes_total Bytes received by the process's socket "
		"calls.\n"
		"# TYPE sockscope_received_bytes_total counter\n"
		"sockscope_received_bytes_total{pid=\"10\",comm=\"curl\",proto=\"tcp\"} 200\n"
		"# HELP sockscope_send_calls_total Socket send calls that moved data.\n"
		"# TYPE sockscope_send_calls_total counter\n"
		"sockscope_send_calls_total{pid=\"10\",comm=\"curl\",proto=\"tcp\"} 3\n"
		"# HELP sockscope_receive_calls_total Socket receive calls that moved data.\n"
		"# TYPE sockscope_receive_calls_total counter\n"
		"sockscope_receive_calls_total{pid=\"10\",comm=\"curl\",proto=\"tcp\"} 4\n");
	free(text);
	serve_rows_free(&rows);
}

/* TCP rows: pid 0 is "-" whoever is admitted; the host's histogram sums every row. */
static void fill_tcp(struct serve_rows *rows)
{
	add(rows, 10, M_TCP_OPENED, SERVE_PROC, 1, "active", 2);
	add(rows, 0, M_TCP_CLOSED, SERVE_NOBODY, 0, NULL, 5);
	add(rows, 20, M_TCP_CLOSED, SERVE_PROC, 0, NULL, 7);
	add(rows, 10, M_TCP_SRTT, SERVE_PROC, 0, NULL, 1);
	add(rows, 10, M_TCP_SRTT, SERVE_PROC, SERVE_SUM, NULL, 30);
	add(rows, 0, M_TCP_SRTT, SERVE_HOST, 16, NULL, 1);
	add(rows, 0, M_TCP_SRTT, SERVE_HOST, SERVE_SUM, NULL, 5000000);
}

static void test_tcp_host_histogram(void **state)
{
	struct serve_rows rows = { 0 };
	char *text;

	(void)state;
	fill_tcp(&rows);
	text = render("conns", &rows, false, false);
	contains(text, "# TYPE sockscope_tcp_connections_opened_total counter\n"
		       "sockscope_tcp_connections_opened_total{pid=\"10\",comm=\"curl\",role=\"active\"}"
		       " 2\n");
	contains(text, "# TYPE sockscope_tcp_connections_closed_total counter\n"
		       "sockscope_tcp_connections_closed_total{pid=\"0\",comm=\"-\"} 5\n# HELP");
	contains(text, "# TYPE sockscope_tcp_srtt_seconds histogram\n"
		       "sockscope_tcp_srtt_seconds_bucket{le=\"5e-05\"} 1\n"
		       "sockscope_tcp_srtt_seconds_bucket{le=\"0.0001\"} 1\n");
	contains(text, "sockscope_tcp_srtt_seconds_bucket{le=\"5\"} 1\n"
		       "sockscope_tcp_srtt_seconds_bucket{le=\"+Inf\"} 2\n"
		       "sockscope_tcp_srtt_seconds_sum 5.00003\n"
		       "sockscope_tcp_srtt_seconds_count 2\n");
	assert_null(strstr(text, "pid=\"20\""));
	assert_null(strstr(text, "srtt_seconds_bucket{pid"));
	assert_null(strstr(text, "sockscope_sent_bytes_total"));
	free(text);
	serve_rows_free(&rows);
}

/* --srtt-per-process: each exported process's histogram, and none of the host's part. */
static void test_tcp_process_histogram(void **state)
{
	struct serve_rows rows = { 0 };
	char *text;

	(void)state;
	fill_tcp(&rows);
	text = render("conns", &rows, true, false);
	contains(text, "sockscope_tcp_srtt_seconds_bucket{pid=\"10\",comm=\"curl\",le=\"5e-05\"} 1\n");
	contains(text, "sockscope_tcp_srtt_seconds_bucket{pid=\"10\",comm=\"curl\",le=\"+Inf\"} 1\n"
		       "sockscope_tcp_srtt_seconds_sum{pid=\"10\",comm=\"curl\"} 3e-05\n"
		       "sockscope_tcp_srtt_seconds_count{pid=\"10\",comm=\"curl\"} 1\n");
	assert_null(strstr(text, "sockscope_tcp_srtt_seconds_count 2"));
	/* one histogram: pid 20 is not exported and the host's part is not a process */
	assert_null(strstr(strstr(text, "le=\"+Inf\"") + 1, "le=\"+Inf\""));
	free(text);
	serve_rows_free(&rows);
}

/* serve's own families: info and doubles, build_info last, and OpenMetrics' names. */
static void test_self_openmetrics(void **state)
{
	struct serve_rows rows = { 0 };
	struct serve_row took = { .metric = M_SCRAPE_DURATION, .owner = SERVE_HOST,
				  .value.d = 0.25 };
	struct serve_row attach = { .metric = M_ATTACH_INFO, .owner = SERVE_HOST,
				    .label = { "sock_send", "fentry" }, .value.u = 1 };
	char *text;

	(void)state;
	serve_rows_add(&rows, &attach);
	serve_rows_add(&rows, &took);
	add(&rows, 0, M_CAPABILITY_UP, SERVE_HOST, 0, "conns", 0);
	add(&rows, 0, M_BUILD_INFO, SERVE_HOST, 0, "1.2.3", 1);
	text = render(SERVE_SELF, &rows, false, true);
	contains(text, "# TYPE sockscope_attach info\n"
		       "sockscope_attach_info{hook=\"sock_send\",mode=\"fentry\"} 1\n");
	contains(text, "sockscope_capability_up{capability=\"conns\"} 0\n");
	contains(text, "sockscope_scrape_duration_seconds 0.25\n");
	contains(text, "# TYPE sockscope_lost_events counter\n# HELP");
	contains(text, "# TYPE sockscope_build info\n"
		       "sockscope_build_info{version=\"1.2.3\"} 1\n# EOF\n");
	free(text);
	text = render(SERVE_SELF, &rows, false, false);
	contains(text, "# TYPE sockscope_attach_info gauge\n");
	free(text);
	serve_rows_free(&rows);
}

/* Names unique; counters end in _total and info in _info, as both formats need. */
static void test_table_names(void **state)
{
	(void)state;
	for (int m = 0; m < M_NMETRICS; m++) {
		const struct serve_metric_def *d = &serve_metrics[m];
		size_t n = strlen(d->name);

		assert_int_equal(serve_metric_find(d->name), m);
		if (!strcmp(d->type, "counter"))
			assert_string_equal(d->name + n - 6, "_total");
		if (!strcmp(d->type, "info"))
			assert_string_equal(d->name + n - 5, "_info");
		assert_true(!d->nbounds == !!strcmp(d->type, "histogram"));
	}
	assert_int_equal(serve_metric_find("sockscope_nothing"), -1);
}

static FILE *open_docs(void)
{
	FILE *f = fopen("docs/metrics.md", "r");

	return f ? f : fopen("../../docs/metrics.md", "r");
}

/* The labels column docs/metrics.md should have for metric m: "pid, comm, proto". A histogram
 * per process only on request is written "(pid, comm with ...)", and not compared. */
static void labels_of(int m, char *out, size_t len)
{
	const struct serve_metric_def *d = &serve_metrics[m];
	size_t n = 0;

	out[0] = '\0';
	if (d->per_process)
		n += (size_t)snprintf(out + n, len - n, "pid, comm");
	for (int k = 0; k < 2 && d->labels[k]; k++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", d->labels[k]);
}

/* One row of docs/metrics.md's table: that the table has the metric, of that type (info is
 * written as a gauge in text 0.0.4), with those labels. Returns the metric, or -1. */
static int check_docs_row(const char *line)
{
	char name[128], type[32], labels[128] = "", want[128];
	int m;

	if (sscanf(line, "| `%127[a-z_]` | %31[a-z] | %127[^|]|", name, type, labels) < 2)
		return -1;
	m = serve_metric_find(name);
	if (m < 0)
		fail_msg("docs/metrics.md lists %s, which serve does not export", name);
	assert_string_equal(type, strcmp(serve_metrics[m].type, "info") ? serve_metrics[m].type
									: "gauge");
	for (size_t n = strlen(labels); n && labels[n - 1] == ' '; n--)
		labels[n - 1] = '\0';
	labels_of(m, want, sizeof(want));
	if (labels[0] != '(' && strcmp(labels, want))
		fail_msg("%s: docs/metrics.md says labels '%s', serve has '%s'", name, labels, want);
	return m;
}

/* Every metric docs/metrics.md lists is in the table, and every metric of the table is in
 * docs/metrics.md. */
static void test_table_matches_docs(void **state)
{
	bool documented[M_NMETRICS] = { false };
	FILE *f = open_docs();
	char line[1024];
	int m;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if ((m = check_docs_row(line)) >= 0)
			documented[m] = true;
	fclose(f);
	for (m = 0; m < M_NMETRICS; m++)
		if (!documented[m])
			fail_msg("%s is not in docs/metrics.md", serve_metrics[m].name);
}

static uint32_t dropped[8];
static size_t ndropped;

static void drop(void *ctx, uint32_t tgid)
{
	(void)ctx;
	if (ndropped < 8)
		dropped[ndropped++] = tgid;
}

static const char *series_name(void *ctx, uint32_t tgid)
{
	static const char me[16] = "me";

	(void)ctx, (void)tgid;
	return me;
}

/* A process whose series fit is admitted, one that never fits is refused once, and a refused
 * process that has exited is forgotten at the next check. */
static void test_admission(void **state)
{
	struct serve_series ss = { .max_series = 4, .forget_after = 0, .drop = drop,
				   .comm = series_name };
	struct serve_rows rows = { 0 };
	const struct serve_rows *sets[1] = { &rows };
	uint32_t me = (uint32_t)getpid(), gone = 4194000; /* above any pid in use here */

	(void)state;
	assert_int_equal(series_init(&ss), 0);
	for (int i = 0; i < 3; i++)
		add(&rows, me, M_TCP_CLOSED, SERVE_PROC, 0, NULL, 1);
	for (int i = 0; i < 5; i++)
		add(&rows, gone, M_TCP_CLOSED, SERVE_PROC, 0, NULL, 1);
	add(&rows, 0, M_TCP_CLOSED, SERVE_NOBODY, 0, NULL, 1); /* costs nothing */
	assert_false(series_admit(&ss, sets, 1));
	assert_string_equal(series_comm(&ss, me), "me");
	assert_null(series_comm(&ss, gone));
	assert_int_equal(ss.nseries, 3);
	assert_int_equal(ss.refused_total, 1);
	assert_false(series_admit(&ss, sets, 1));
	assert_int_equal(ss.refused_total, 1);
	series_forget_gone(&ss);
	assert_int_equal(ndropped, 1);
	assert_int_equal(dropped[0], gone);
	assert_string_equal(series_comm(&ss, me), "me");
	serve_rows_free(&rows);
	series_free(&ss);
}

/* With a histogram per process, its first bucket costs the process all of its series. */
static void test_histogram_cost(void **state)
{
	struct serve_series ss = { .max_series = 100, .forget_after = 300, .drop = drop,
				   .comm = series_name, .hist_per_process = true };
	struct serve_rows rows = { 0 };
	const struct serve_rows *sets[1] = { &rows };
	uint32_t me = (uint32_t)getpid();

	(void)state;
	assert_int_equal(series_init(&ss), 0);
	add(&rows, me, M_TCP_SRTT, SERVE_PROC, SERVE_SUM, NULL, 10);
	add(&rows, me, M_TCP_SRTT, SERVE_PROC, 3, NULL, 1);
	add(&rows, me, M_TCP_SRTT, SERVE_PROC, 4, NULL, 1);
	add(&rows, 0, M_TCP_SRTT, SERVE_HOST, 4, NULL, 1);
	series_admit(&ss, sets, 1);
	assert_int_equal(ss.nseries, 19);
	serve_rows_free(&rows);
	series_free(&ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_families),
		cmocka_unit_test(test_tcp_host_histogram),
		cmocka_unit_test(test_tcp_process_histogram),
		cmocka_unit_test(test_self_openmetrics),
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_table_matches_docs),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_histogram_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
