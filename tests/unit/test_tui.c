// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the interactive screen's model: rates from consecutive totals, sorting,
 * filtering, units, grouping, selection that follows its row, drill-down, the keys, which
 * columns fit a terminal, and that no control byte of a traced name reaches a cell.
 */
#include "capture.h"

#include <locale.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "tui/model.h"

#define SEC 1000000000ULL

static struct tui_model m;
static char buf[256];

/* Like the kernel's comm: as many bytes as fit, NUL-terminated only when shorter. */
static void put(char *dst, size_t n, const char *s)
{
	memset(dst, 0, n);
	memcpy(dst, s, strnlen(s, n));
}

static struct tui_proc_in proc(uint32_t pid, const char *comm, uint64_t sent, uint64_t recv)
{
	struct tui_proc_in p = { .pid = pid, .nprocs = 1, .sent = sent, .recv = recv };

	put(p.comm, sizeof(p.comm), comm);
	put(p.user, sizeof(p.user), "root");
	p.calls = (sent + recv) / 100;
	return p;
}

static struct tui_conn_in conn(uint64_t id, uint32_t pid, uint16_t lport, uint16_t rport,
			       uint64_t sent, uint32_t retrans)
{
	struct tui_conn_in c = { .id = id,
				 .pid = pid,
				 .proto = IPPROTO_TCP,
				 .family = AF_INET,
				 .lport = lport,
				 .rport = rport,
				 .sent = sent,
				 .recv = sent / 2,
				 .has_tcp = true,
				 .cwnd = 10,
				 .srtt_us = 1500,
				 .retrans = retrans,
				 .role = "client",
				 .state = "ESTABLISHED" };

	memcpy(c.laddr, "\x7f\0\0\x01", 4);
	memcpy(c.raddr, "\x7f\0\0\x02", 4);
	put(c.comm, sizeof(c.comm), "curl");
	return c;
}

/* Two samples one second apart: 10 (a) and 20 (b) of totals since start. */
static void feed_two(const struct tui_proc_in *a, const struct tui_proc_in *b, size_t n)
{
	assert_int_equal(tui_feed_procs(&m, a, n, 10 * SEC), 0);
	assert_int_equal(tui_feed_procs(&m, b, n, 11 * SEC), 0);
}

/* Column index of a title in the current view. */
static int col(const char *title)
{
	int c = tui_col_named(&m, title);

	assert_true(c >= 0);
	return c;
}

static const char *cell(size_t i, const char *title)
{
	return tui_cell(&m, i, col(title), buf, sizeof(buf));
}

static uint32_t pid_at(size_t i)
{
	const struct tui_table *t = tui_table_of(&m);

	assert_true(i < t->nshown);
	return t->rows[t->order[i]].p.pid;
}

static void keys(const char *s)
{
	for (; *s; s++)
		tui_key(&m, *s);
}

/* pid 1 sends most in the interval, 2 receives most, 3 has the largest totals but is idle. */
static void three_procs(void)
{
	struct tui_proc_in a[] = { proc(1, "alpha", 0, 0), proc(2, "bravo", 0, 0),
				   proc(3, "charlie", 900000, 900000) };
	struct tui_proc_in b[] = { proc(1, "alpha", 5000, 100), proc(2, "bravo", 100, 3000),
				   proc(3, "charlie", 900000, 900000) };

	feed_two(a, b, 3);
}

static int setup(void **state)
{
	(void)state;
	tui_model_init(&m, TUI_PROCS, 1000, false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tui_model_free(&m);
	return 0;
}

static void test_rates_from_totals(void **state)
{
	struct tui_proc_in a[] = { proc(1, "alpha", 1000, 0) };
	struct tui_proc_in b[] = { proc(1, "alpha", 2600, 0), proc(2, "late", 1200, 0) };

	(void)state;
	assert_int_equal(tui_feed_procs(&m, a, 1, 10 * SEC), 0);
	assert_string_equal(cell(0, "SENT/s"), "-"); /* no rate before a second sample */
	assert_string_equal(cell(0, "TOTAL SENT"), "1000 B");
	assert_int_equal(tui_feed_procs(&m, b, 2, 12 * SEC), 0);
	/* 1600 B over 2 s; the newcomer's 1200 B all came in those 2 s */
	tui_key(&m, 'p');
	assert_string_equal(cell(0, "SENT/s"), "800 B");
	assert_string_equal(cell(1, "SENT/s"), "600 B");
}

static void test_sort_keys(void **state)
{
	(void)state;
	three_procs();
	/* by total rate by default: 1 moved 5100 B, 2 moved 3100 B, 3 nothing */
	assert_int_equal(pid_at(0), 1);
	assert_int_equal(pid_at(1), 2);
	assert_int_equal(pid_at(2), 3);
	tui_key(&m, 'r');
	assert_int_equal(pid_at(0), 2);
	tui_key(&m, 'r'); /* the same key again: the other way round */
	assert_int_equal(pid_at(0), 3);
	tui_key(&m, 'p');
	assert_int_equal(pid_at(0), 1);
	tui_key(&m, 'n');
	assert_string_equal(cell(0, "COMM"), "alpha");
	tui_key(&m, 'm');
	tui_key(&m, 'm'); /* totals: sorting by sent follows them */
	tui_key(&m, 's');
	assert_int_equal(pid_at(0), 3);
}

static void test_sort_by_name(void **state)
{
	struct tui_conn_in c[] = { conn(1, 7, 40000, 80, 100, 0), conn(2, 7, 40001, 443, 200, 5),
				   conn(3, 7, 40002, 22, 300, 1) };

	(void)state;
	tui_model_free(&m);
	tui_model_init(&m, TUI_CONNS, 1000, false);
	assert_int_equal(tui_feed_conns(&m, c, 3, SEC), 0);
	assert_int_equal(tui_sort_by(&m, "retrans_total"), 0);
	assert_int_equal(tui_table_of(&m)->rows[tui_table_of(&m)->order[0]].c.id, 2);
	assert_int_equal(tui_sort_by(&m, "rport"), 0); /* conns --sort's name for the column */
	assert_string_equal(cell(0, "REMOTE"), "127.0.0.2:22");
	assert_int_equal(tui_sort_by(&m, "rport"), 0);
	assert_string_equal(cell(0, "REMOTE"), "127.0.0.2:443");
	assert_int_equal(tui_sort_by(&m, "sent_bytes"), 0);
	assert_string_equal(cell(0, "TOTAL SENT"), "300 B");
	assert_int_equal(tui_sort_by(&m, "no_such_column"), -1);
	assert_true(tui_cell_alert(&m, 0, col("RETR")));  /* 1 retransmit */
	assert_false(tui_cell_alert(&m, 2, col("RETR"))); /* none */
}

/* conns --sort on a column the screen lacks (ssthresh): conns sorts, the screen keeps it. */
static void test_sort_as_fed(void **state)
{
	struct tui_conn_in c[] = { conn(3, 7, 40000, 80, 100, 0), conn(1, 7, 40001, 443, 300, 0),
				   conn(2, 7, 40002, 22, 200, 0) };
	const struct tui_table *t;

	(void)state;
	tui_model_free(&m);
	tui_model_init(&m, TUI_CONNS, 1000, false);
	tui_sort_fed(&m);
	assert_int_equal(tui_feed_conns(&m, c, 3, SEC), 0);
	t = tui_table_of(&m);
	assert_int_equal(t->rows[t->order[0]].c.id, 3);
	assert_int_equal(t->rows[t->order[1]].c.id, 1);
	assert_int_equal(t->rows[t->order[2]].c.id, 2);
	tui_key(&m, 'n'); /* a sort key leaves the caller's order */
	tui_key(&m, 'n');
	assert_int_equal(tui_sort_by(&m, "sent_bytes"), 0);
	assert_int_equal(t->rows[t->order[0]].c.id, 1);
}

static void test_filter(void **state)
{
	(void)state;
	three_procs();
	assert_int_equal(tui_key(&m, '/') & TUI_REDRAW, TUI_REDRAW);
	keys("RAV"); /* live, case-insensitive */
	assert_int_equal(tui_table_of(&m)->nshown, 1);
	assert_int_equal(pid_at(0), 2);
	tui_key(&m, 'q'); /* typed into the filter, not a quit */
	assert_int_equal(tui_table_of(&m)->nshown, 0);
	tui_key(&m, TUI_KEY_BACKSPACE);
	tui_key(&m, TUI_KEY_ENTER);
	assert_false(m.filtering);
	assert_string_equal(m.filter, "RAV");
	/* a new sample keeps the filter */
	three_procs();
	assert_int_equal(tui_table_of(&m)->nshown, 1);
	keys("/");
	tui_key(&m, TUI_KEY_ESC);
	assert_int_equal(tui_table_of(&m)->nshown, 3);
}

static void test_unit_cycling(void **state)
{
	(void)state;
	three_procs();
	tui_key(&m, 'p');
	assert_string_equal(cell(0, "SENT/s"), "4.9 KiB"); /* 5000 B/s */
	tui_key(&m, 'm');
	assert_string_equal(cell(0, "SENT/s"), "40.0 kbit");
	tui_key(&m, 'm');
	assert_string_equal(tui_title(&m, col("SENT/s")), "SENT");
	assert_string_equal(cell(2, "SENT/s"), "878.9 KiB"); /* 900000 B since start */
	assert_false(tui_col_avail(&m, col("TOTAL SENT")));  /* would repeat the column */
	tui_key(&m, 'm');
	assert_int_equal(m.unit, TUI_UNIT_BYTES);
	assert_string_equal(tui_title(&m, col("SENT/s")), "SENT/s");
}

/* Totals near 2^64 show as they are: not through a double that overflows on the way back. */
static void test_huge_totals(void **state)
{
	struct tui_proc_in p = proc(1, "big", UINT64_MAX, UINT64_MAX - 1);

	(void)state;
	tui_key(&m, 'c'); /* before any sample: nothing to group, nothing to crash on */
	tui_key(&m, 'c');
	assert_int_equal(tui_feed_procs(&m, &p, 1, SEC), 0);
	assert_string_equal(cell(0, "TOTAL SENT"), "16.0 EiB");
	tui_key(&m, 'm');
	tui_key(&m, 'm');
	assert_string_equal(cell(0, "SENT/s"), "16.0 EiB");
	assert_string_equal(cell(0, "RECV/s"), "16.0 EiB");
}

static void test_grouping(void **state)
{
	struct tui_proc_in a[] = { proc(1, "nginx", 0, 0), proc(2, "nginx", 0, 0),
				   proc(3, "curl", 0, 0) };
	struct tui_proc_in b[] = { proc(1, "nginx", 1000, 0), proc(2, "nginx", 2000, 0),
				   proc(3, "curl", 100, 0) };

	(void)state;
	feed_two(a, b, 3);
	assert_int_equal(tui_table_of(&m)->nshown, 3);
	tui_key(&m, 'c');
	assert_int_equal(tui_table_of(&m)->nshown, 2);
	assert_string_equal(tui_title(&m, 0), "PROCS");
	assert_string_equal(cell(0, "COMM"), "nginx");
	assert_string_equal(cell(0, "PID"), "2"); /* titled PROCS: processes of that name */
	assert_string_equal(cell(0, "SENT/s"), "2.9 KiB"); /* 1000 + 2000 B/s */
	assert_false(tui_col_avail(&m, col("USER")));
	tui_key(&m, 'c');
	assert_int_equal(tui_table_of(&m)->nshown, 3);
}

/* The columns shown at width w, by title, space-separated; checks they fit w. */
static const char *shown_at(int w, int h)
{
	static char names[256];
	struct tui_layout l;
	int used = -1;

	tui_layout(&m, w, h, &l);
	names[0] = '\0';
	if (l.too_small)
		return "too small";
	for (int i = 0; i < l.ncols; i++) {
		used += l.width[i] + 1;
		assert_true(l.width[i] >= (int)strlen(tui_title(&m, l.col[i])) || l.col[i] == 0);
		strcat(names, i ? " " : "");
		strcat(names, tui_title(&m, l.col[i]));
	}
	assert_true(used <= w);
	assert_int_equal(l.body, h - 3);
	return names;
}

static void test_layout_procs(void **state)
{
	(void)state;
	three_procs();
	assert_string_equal(shown_at(59, 30), "too small");
	assert_string_equal(shown_at(80, 9), "too small");
	assert_string_equal(shown_at(60, 10), "PID COMM SENT/s RECV/s TOTAL SENT TOTAL RECV");
	assert_string_equal(shown_at(80, 24),
			    "PID USER COMM SENT/s RECV/s CALLS/s TOTAL SENT TOTAL RECV");
	assert_string_equal(shown_at(120, 30),
			    "PID USER COMM SENT/s RECV/s CALLS/s TOTAL SENT TOTAL RECV");
	assert_string_equal(shown_at(200, 50),
			    "PID USER COMM SENT/s RECV/s CALLS/s TOTAL SENT TOTAL RECV");
}

static void test_layout_conns(void **state)
{
	struct tui_layout l;

	(void)state;
	tui_model_free(&m);
	tui_model_init(&m, TUI_CONNS, 1000, false);
	assert_string_equal(shown_at(60, 10), "LOCAL REMOTE SENT/s RECV/s RETR");
	assert_string_equal(shown_at(80, 24), "PROTO LOCAL REMOTE PID COMM SENT/s RECV/s RETR");
	assert_string_equal(shown_at(120, 30), "PROTO LOCAL REMOTE ROLE STATE PID COMM SENT/s "
					       "RECV/s CWND SRTT RETR");
	assert_string_equal(shown_at(200, 50), "PROTO LOCAL REMOTE ROLE STATE PID COMM SENT/s "
					       "RECV/s TOTAL SENT TOTAL RECV CWND SRTT RETR");
	/* the room left over widens the addresses, up to an IPv6 endpoint's width */
	tui_layout(&m, 200, 50, &l);
	assert_int_equal(l.width[1], 47);
}

static void test_selection_follows_row(void **state)
{
	struct tui_proc_in c[] = { proc(1, "alpha", 5000, 100), proc(2, "bravo", 100, 3000),
				   proc(3, "charlie", 999000, 999000) };

	(void)state;
	three_procs();
	tui_key(&m, TUI_KEY_DOWN);
	assert_int_equal(pid_at(tui_table_of(&m)->sel), 2);
	tui_key(&m, 'p'); /* sorting moves the row, the selection goes with it */
	assert_int_equal(tui_table_of(&m)->sel, 1);
	tui_key(&m, 't');
	assert_int_equal(pid_at(tui_table_of(&m)->sel), 2);
	assert_int_equal(tui_feed_procs(&m, c, 3, 12 * SEC), 0); /* charlie now busiest */
	assert_int_equal(pid_at(0), 3);
	assert_int_equal(pid_at(tui_table_of(&m)->sel), 2);
	tui_key(&m, TUI_KEY_END);
	assert_int_equal(tui_table_of(&m)->sel, 2);
	tui_key(&m, 'j'); /* stops at the end */
	assert_int_equal(tui_table_of(&m)->sel, 2);
	tui_key(&m, TUI_KEY_HOME);
	tui_key(&m, 'k');
	assert_int_equal(tui_table_of(&m)->sel, 0);
	/* the selected process goes away: the selection stays in place, on the next row */
	assert_int_equal(tui_feed_procs(&m, c, 2, 13 * SEC), 0);
	assert_int_equal(tui_table_of(&m)->sel, 0);
	assert_true(tui_table_of(&m)->sel_valid);
}

static void test_scroll(void **state)
{
	struct tui_proc_in p[20];

	(void)state;
	for (uint32_t i = 0; i < 20; i++)
		p[i] = proc(i + 1, "x", 0, 0);
	assert_int_equal(tui_feed_procs(&m, p, 20, SEC), 0);
	tui_key(&m, 'p');
	assert_int_equal(tui_scroll(&m, 5), 0);
	tui_key(&m, TUI_KEY_PGDN); /* a page is the rows shown less one */
	assert_int_equal(tui_table_of(&m)->sel, 4);
	for (int i = 0; i < 3; i++)
		tui_key(&m, TUI_KEY_DOWN);
	assert_int_equal(tui_scroll(&m, 5), 3);
	tui_key(&m, TUI_KEY_END);
	assert_int_equal(tui_scroll(&m, 5), 15);
}

static void test_drill_down(void **state)
{
	struct tui_conn_in c[] = { conn(1, 1, 40000, 80, 100, 0), conn(2, 2, 40001, 443, 200, 0),
				   conn(3, 1, 40002, 22, 300, 0) };

	(void)state;
	three_procs();
	assert_false(tui_wants_conns(&m));
	tui_key(&m, TUI_KEY_DOWN);
	tui_key(&m, TUI_KEY_DOWN);
	tui_key(&m, TUI_KEY_UP); /* pid 2 */
	assert_int_equal(tui_key(&m, TUI_KEY_ENTER), TUI_REDRAW | TUI_RESAMPLE);
	assert_true(tui_wants_conns(&m));
	assert_int_equal(tui_feed_conns(&m, c, 3, 12 * SEC), 0);
	assert_int_equal(tui_table_of(&m)->nshown, 1); /* pid 2's connection only */
	assert_string_equal(cell(0, "REMOTE"), "127.0.0.2:443");
	assert_string_equal(cell(0, "LOCAL"), "127.0.0.1:40001");
	assert_string_equal(cell(0, "STATE"), "ESTABLISHED");
	assert_string_equal(cell(0, "SRTT"), "1.5ms");
	assert_string_equal(cell(0, "SENT/s"), "-"); /* its rates start with the next sample */
	tui_key(&m, TUI_KEY_ESC);
	assert_false(tui_wants_conns(&m));
	assert_int_equal(pid_at(tui_table_of(&m)->sel), 2); /* back on the same process */
	tui_key(&m, TUI_KEY_ENTER);
	tui_key(&m, TUI_KEY_BACKSPACE);
	assert_int_equal(m.view, TUI_PROCS);
}

static void test_drill_down_by_name(void **state)
{
	struct tui_conn_in c[] = { conn(1, 1, 40000, 80, 100, 0), conn(2, 2, 40001, 443, 200, 0) };

	(void)state;
	three_procs();
	tui_key(&m, 'c');
	tui_key(&m, 'n'); /* alpha, bravo, charlie */
	tui_key(&m, TUI_KEY_ENTER);
	put(c[0].comm, sizeof(c[0].comm), "alpha");
	put(c[1].comm, sizeof(c[1].comm), "alpha");
	assert_int_equal(tui_feed_conns(&m, c, 2, SEC), 0);
	assert_int_equal(tui_table_of(&m)->nshown, 2); /* every "alpha" socket, whatever its PID */
	put(c[1].comm, sizeof(c[1].comm), "other");
	assert_int_equal(tui_feed_conns(&m, c, 2, 2 * SEC), 0);
	assert_int_equal(tui_table_of(&m)->nshown, 1);
}

static void test_keys(void **state)
{
	struct tui_proc_in later[] = { proc(1, "alpha", 1 << 20, 0) };

	(void)state;
	three_procs();
	assert_int_equal(tui_key(&m, 'q'), TUI_QUIT);
	assert_int_equal(tui_key(&m, 3), TUI_QUIT);
	assert_int_equal(tui_key(&m, '+'), TUI_REDRAW | TUI_RETIME);
	assert_int_equal(m.interval_ms, 2000);
	for (int i = 0; i < 30; i++)
		tui_key(&m, '-');
	assert_int_equal(m.interval_ms, TUI_MIN_INTERVAL); /* never below 0.1 s */
	assert_int_equal(tui_key(&m, '-'), 0);
	tui_key(&m, 'h');
	assert_true(m.help);
	assert_int_equal(tui_key(&m, 's'), TUI_REDRAW); /* closes the help, sorts nothing */
	assert_false(m.help);
	assert_int_equal(tui_table_of(&m)->sort, TUI_SORT_TOTAL);
	tui_key(&m, TUI_KEY_F1);
	assert_true(m.help);
	tui_key(&m, '?');
	tui_key(&m, ' ');
	assert_true(m.paused);
	assert_int_equal(tui_feed_procs(&m, later, 1, 20 * SEC), 0); /* the screen holds still */
	assert_int_equal(tui_table_of(&m)->nshown, 3);
	tui_key(&m, ' ');
	assert_int_equal(tui_key(&m, TUI_KEY_ESC), 0); /* top's process list has no parent */
	assert_int_equal(tui_key(&m, 'x'), 0);
	tui_key(&m, TUI_KEY_F6);
	assert_int_equal(tui_table_of(&m)->sort, col("PID"));
	tui_key(&m, '<');
	tui_key(&m, '<');
	assert_int_equal(tui_table_of(&m)->sort, col("TOTAL RECV"));
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void test_hostile_names(void **state)
{
	struct tui_proc_in p = proc(666, "\033[2J\033]0;x\a\n\r", 1, 1);
	struct tui_layout l;
	char out[512];

	(void)state;
	memcpy(p.user,
	       "\x9b"
	       "31m\x1b",
	       5);
	assert_int_equal(tui_feed_procs(&m, &p, 1, SEC), 0);
	tui_layout(&m, 200, 50, &l);
	for (int i = 0; i < l.ncols; i++) {
		const char *s = tui_cell(&m, 0, l.col[i], buf, sizeof(buf));

		assert_false(has_control(s));
		assert_false(has_control(tui_fit(out, sizeof(out), s, l.width[i], true, false)));
	}
	assert_string_equal(cell(0, "COMM"), "\\x1b[2J\\x1b]0;x\\x07\\x0a\\x0d");
	assert_string_equal(cell(0, "USER"), "\\x9b31m\\x1b");
	/* a name filled to the last byte, with no NUL: 16 bytes and no more */
	memset(p.comm, 'A', sizeof(p.comm));
	assert_int_equal(tui_feed_procs(&m, &p, 1, 2 * SEC), 0);
	assert_int_equal(strlen(cell(0, "COMM")), 16);
}

static void test_fit(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(tui_fit(out, sizeof(out), "curl", 6, true, false), "curl  ");
	assert_string_equal(tui_fit(out, sizeof(out), "42", 5, false, false), "   42");
	assert_string_equal(tui_fit(out, sizeof(out), "firefox-esr", 8, true, false), "firefox~");
	assert_string_equal(tui_fit(out, sizeof(out), "abc", 3, true, false), "abc");
	assert_string_equal(tui_fit(out, 4, "abcdef", 8, true, false), ""); /* no room: nothing */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	/* wide characters count two columns and are never cut in half */
	assert_string_equal(tui_fit(out, sizeof(out), "日本語名", 6, true, true), "日本\u2026 ");
	assert_string_equal(tui_fit(out, sizeof(out), "日本", 6, false, true), "  日本");
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rates_from_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_as_fed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_cycling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_procs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_conns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_follows_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drill_down_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
