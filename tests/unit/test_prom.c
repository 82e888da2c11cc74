// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the Prometheus writer (src/out/prom.c): the exact text of families and
 * samples in both formats, label escaping, and the growing buffer.
 */
#include "capture.h"

#include <string.h>

#include "writers/prom.h"

static void test_text_format(void **state)
{
	struct prom p;
	struct prom_label l[2] = { { "pid", "42", SIZE_MAX }, { "comm", "curl", SIZE_MAX } };

	(void)state;
	prom_init(&p, false);
	prom_family(&p, "x_sent_bytes_total", "counter", "Bytes sent.");
	prom_u64(&p, "x_sent_bytes_total", l, 2, 512);
	prom_family(&p, "x_build_info", "info", "Version.");
	prom_u64(&p, "x_build_info", NULL, 0, 1);
	prom_double(&p, "x_seconds", NULL, 0, 0.25);
	prom_end(&p);
	assert_false(p.oom);
	assert_string_equal(p.buf, "# HELP x_sent_bytes_total Bytes sent.\n"
				   "# TYPE x_sent_bytes_total counter\n"
				   "x_sent_bytes_total{pid=\"42\",comm=\"curl\"} 512\n"
				   "# HELP x_build_info Version.\n"
				   "# TYPE x_build_info gauge\n"
				   "x_build_info 1\n"
				   "x_seconds 0.25\n");
	prom_free(&p);
}

/* OpenMetrics: counter families without _total, info kept, and the closing # EOF. */
static void test_openmetrics(void **state)
{
	struct prom p;

	(void)state;
	prom_init(&p, true);
	prom_family(&p, "x_sent_bytes_total", "counter", "Bytes sent.");
	prom_u64(&p, "x_sent_bytes_total", NULL, 0, 7);
	prom_family(&p, "x_build_info", "info", "Version.");
	prom_u64(&p, "x_build_info", NULL, 0, 1);
	prom_end(&p);
	assert_string_equal(p.buf, "# HELP x_sent_bytes Bytes sent.\n"
				   "# TYPE x_sent_bytes counter\n"
				   "x_sent_bytes_total 7\n"
				   "# HELP x_build Version.\n"
				   "# TYPE x_build info\n"
				   "x_build_info 1\n"
				   "# EOF\n");
	prom_free(&p);
}

/* A process name is untrusted: quote, backslash, newline, invalid UTF-8, and NUL-free length. */
static void test_label_escaping(void **state)
{
	static const char comm[] = "a\"b\\c\nd\xff";
	struct prom p;
	struct prom_label l = { "comm", comm, sizeof(comm) - 1 };

	(void)state;
	prom_init(&p, false);
	prom_u64(&p, "x", &l, 1, 3);
	assert_string_equal(p.buf, "x{comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 3\n");
	prom_free(&p);
}

/* Many samples: the buffer grows and stays consistent. */
static void test_growth(void **state)
{
	struct prom p;
	char pid[16];

	(void)state;
	prom_init(&p, false);
	for (int i = 0; i < 20000; i++) {
		struct prom_label l = { "pid", pid, SIZE_MAX };

		snprintf(pid, sizeof(pid), "%d", i);
		prom_u64(&p, "x", &l, 1, (uint64_t)i);
	}
	assert_false(p.oom);
	assert_int_equal(strlen(p.buf), p.len);
	assert_non_null(strstr(p.buf, "x{pid=\"19999\"} 19999\n"));
	prom_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
