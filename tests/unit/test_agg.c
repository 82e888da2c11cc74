// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of display rows: grouping a process table by PID or by name, deltas between two
 * updates (including groups that appear or grow between them), and the display order with its
 * tie-breaks. The process table is built by hand, as the accounting (core/acct.c) would fill it.
 */
#include "capture.h"

#include <string.h>

#include "core/agg.h"
#include "core/acct.h"

static struct htab procs;
static struct agg agg;

static int setup_by(enum agg_group_by by)
{
	if (htab_init(&procs, sizeof(uint32_t), sizeof(struct proc_acct)))
		return -1;
	return agg_init(&agg, by);
}

static int setup_pid(void **state)
{
	(void)state;
	return setup_by(AGG_BY_PID);
}

static int setup_comm(void **state)
{
	(void)state;
	return setup_by(AGG_BY_COMM);
}

static int teardown(void **state)
{
	(void)state;
	agg_free(&agg);
	htab_free(&procs);
	return 0;
}

/* Sets a process's cumulative totals: sent and received bytes, one call per 100 bytes. */
static void proc(uint32_t tgid, const char *comm, uint64_t sent, uint64_t recv)
{
	struct proc_acct *p = htab_get(&procs, &tgid, NULL);

	assert_non_null(p);
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, comm, strlen(comm));
	p->total.bytes[SS_SEND] = sent;
	p->total.bytes[SS_RECV] = recv;
	p->total.calls[SS_SEND] = sent / 100;
	p->total.calls[SS_RECV] = recv / 100;
}

static void update(void)
{
	assert_int_equal(agg_update(&agg, &procs), 0);
}

static const struct agg_row *row(uint32_t tgid, const char *comm)
{
	const struct agg_row *found = NULL;

	for (size_t i = 0; i < agg.nrows; i++) {
		const struct agg_row *r = &agg.rows[i];

		if (r->key.tgid != tgid || strncmp(r->key.comm, comm, SS_COMM_LEN))
			continue;
		if (found)
			fail_msg("two rows for %u/%s", tgid, comm);
		found = r;
	}
	if (!found)
		fail_msg("no row for %u/%s", tgid, comm);
	return found;
}

static void counts_are(const struct ss_counts *c, uint64_t sent, uint64_t recv)
{
	assert_int_equal(c->bytes[SS_SEND], sent);
	assert_int_equal(c->bytes[SS_RECV], recv);
	assert_int_equal(c->calls[SS_SEND], sent / 100);
	assert_int_equal(c->calls[SS_RECV], recv / 100);
}

static void test_by_pid(void **state)
{
	(void)state;
	proc(100, "curl", 1000, 200);
	proc(200, "curl", 300, 400);
	proc(300, "sshd", 0, 500);
	update();
	assert_int_equal(agg.nrows, 3);
	counts_are(&row(100, "curl")->total, 1000, 200);
	counts_are(&row(200, "curl")->total, 300, 400);
	counts_are(&row(300, "sshd")->total, 0, 500);
	assert_int_equal(row(100, "curl")->nprocs, 1);
	/* the first update measures from zero */
	counts_are(&row(100, "curl")->delta, 1000, 200);
}

static void test_by_comm(void **state)
{
	(void)state;
	proc(100, "curl", 1000, 200);
	proc(200, "curl", 300, 400);
	proc(300, "sshd", 0, 500);
	update();
	assert_int_equal(agg.nrows, 2);
	assert_int_equal(row(0, "curl")->nprocs, 2);
	counts_are(&row(0, "curl")->total, 1300, 600);
	assert_int_equal(row(0, "sshd")->nprocs, 1);
	counts_are(&row(0, "sshd")->total, 0, 500);
}

/* Names are compared over all 16 bytes, and a full-length name has no NUL. */
static void test_by_comm_full_names(void **state)
{
	(void)state;
	proc(1, "0123456789abcdef", 100, 0);
	proc(2, "0123456789abcdeX", 200, 0);
	proc(3, "0123456789abcdef", 300, 0);
	update();
	assert_int_equal(agg.nrows, 2);
	counts_are(&row(0, "0123456789abcdef")->total, 400, 0);
	counts_are(&row(0, "0123456789abcdeX")->total, 200, 0);
}

static void test_deltas_by_pid(void **state)
{
	(void)state;
	proc(100, "curl", 1000, 200);
	proc(200, "nginx", 300, 400);
	update();
	proc(100, "curl", 1500, 200);
	proc(300, "sshd", 100, 100);
	update();
	assert_int_equal(agg.nrows, 3);
	counts_are(&row(100, "curl")->total, 1500, 200);
	counts_are(&row(100, "curl")->delta, 500, 0);
	counts_are(&row(200, "nginx")->delta, 0, 0);
	counts_are(&row(300, "sshd")->delta, 100, 100);
	/* a third update with nothing new: every delta is zero */
	update();
	for (size_t i = 0; i < agg.nrows; i++)
		assert_true(counts_zero(&agg.rows[i].delta));
}

static void test_deltas_by_comm(void **state)
{
	(void)state;
	proc(100, "curl", 1000, 200);
	update();
	/* a second curl joins: its whole total is new to the group */
	proc(100, "curl", 1100, 200);
	proc(200, "curl", 300, 400);
	update();
	assert_int_equal(agg.nrows, 1);
	assert_int_equal(row(0, "curl")->nprocs, 2);
	counts_are(&row(0, "curl")->total, 1400, 600);
	counts_are(&row(0, "curl")->delta, 400, 400);
}

static void test_many_groups(void **state)
{
	enum { N = 1000 };

	(void)state;
	for (uint32_t pid = 1; pid <= N; pid++)
		proc(pid, "worker", pid * 100, 0);
	update();
	update();
	assert_int_equal(agg.nrows, N);
	for (uint32_t pid = 1; pid <= N; pid++) {
		const struct agg_row *r = row(pid, "worker");

		counts_are(&r->total, pid * 100, 0);
		assert_true(counts_zero(&r->delta));
	}
}

static struct agg_row mkrow(uint32_t tgid, const char *comm, uint64_t delta, uint64_t total)
{
	struct agg_row r;

	memset(&r, 0, sizeof(r));
	r.key.tgid = tgid;
	strncpy(r.key.comm, comm, sizeof(r.key.comm));
	/* split between directions, so the order must come from their sum */
	r.delta.bytes[SS_SEND] = delta / 2;
	r.delta.bytes[SS_RECV] = delta - delta / 2;
	r.total.bytes[SS_RECV] = total;
	return r;
}

static void test_sort(void **state)
{
	struct agg_row rows[] = {
		mkrow(5, "a", 100, 100),     mkrow(3, "b", 100, 500), mkrow(9, "c", 0, 10000),
		mkrow(1, "d", 0, 10000),     mkrow(2, "e", 300, 300), mkrow(0, "g", 0, 0),
		mkrow(0, "f", 0, 0),	     mkrow(7, "h", 1, 1),
		mkrow(8, "i", UINT64_MAX, UINT64_MAX),
	};
	static const char want[] = "iebahdcfg";

	(void)state;
	agg_sort(rows, sizeof(rows) / sizeof(rows[0]));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].key.comm[0] != want[i])
			fail_msg("position %zu: row %s, expected %c", i, rows[i].key.comm, want[i]);
}

static void test_sort_after_update(void **state)
{
	(void)state;
	proc(10, "quiet", 5000, 0);
	proc(20, "busy", 100, 0);
	update();
	proc(20, "busy", 200, 0);
	update();
	agg_sort(agg.rows, agg.nrows);
	/* busy moved 100 bytes this interval, quiet none: busy first despite a smaller total */
	assert_int_equal(agg.rows[0].key.tgid, 20);
	assert_int_equal(agg.rows[1].key.tgid, 10);
}

/* No process moved data: rows is still NULL, and sorting it is sorting nothing (UBSan checks). */
static void test_sort_no_rows(void **state)
{
	(void)state;
	update();
	assert_null(agg.rows);
	agg_sort(agg.rows, agg.nrows);
	agg_sort_total(agg.rows, agg.nrows);
	assert_int_equal(agg.nrows, 0);
}

#define BY_PID(f)  cmocka_unit_test_setup_teardown(f, setup_pid, teardown)
#define BY_COMM(f) cmocka_unit_test_setup_teardown(f, setup_comm, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BY_PID(test_by_pid),
		BY_COMM(test_by_comm),
		BY_COMM(test_by_comm_full_names),
		BY_PID(test_deltas_by_pid),
		BY_COMM(test_deltas_by_comm),
		BY_PID(test_many_groups),
		cmocka_unit_test(test_sort),
		BY_PID(test_sort_after_update),
		BY_PID(test_sort_no_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
