// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive screen's columns: what each holds, how it sorts, its text, and which fit a
 * terminal's width. See model.h.
 */
#define _XOPEN_SOURCE 700
#include "tui/model.h"
#include "tui/model_int.h"
#include "writers/escape.h"
#include "writers/fmt.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

enum { P_PID, P_USER, P_COMM, P_SENT, P_RECV, P_CALLS, P_TSENT, P_TRECV, P_N };
enum {
	C_PROTO,
	C_LOCAL,
	C_REMOTE,
	C_ROLE,
	C_STATE,
	C_PID,
	C_COMM,
	C_SENT,
	C_RECV,
	C_TSENT,
	C_TRECV,
	C_CWND,
	C_SRTT,
	C_RETR,
	C_N
};

/* drop: the order columns leave a narrow terminal in (highest first; 0 stays). */
static const struct tui_col proc_cols[P_N] = {
	[P_PID] = { "PID", "pid", 7, 7, 3, false },
	[P_USER] = { "USER", "user", 8, 8, 5, true },
	[P_COMM] = { "COMM", "comm", 8, 16, 0, true },
	[P_SENT] = { "SENT/s", "sent_rate", 10, 10, 0, false },
	[P_RECV] = { "RECV/s", "recv_rate", 10, 10, 0, false },
	[P_CALLS] = { "CALLS/s", "calls_rate", 7, 7, 4, false },
	[P_TSENT] = { "TOTAL SENT", "sent_bytes", 10, 10, 2, false },
	[P_TRECV] = { "TOTAL RECV", "recv_bytes", 10, 10, 2, false },
};

static const struct tui_col conn_cols[C_N] = {
	[C_PROTO] = { "PROTO", "proto", 5, 5, 3, true },
	[C_LOCAL] = { "LOCAL", "local", 15, 47, 1, true },
	[C_REMOTE] = { "REMOTE", "remote", 15, 47, 0, true },
	[C_ROLE] = { "ROLE", "role", 6, 6, 5, true },
	[C_STATE] = { "STATE", "state", 11, 11, 4, true },
	[C_PID] = { "PID", "pid", 7, 7, 3, false },
	[C_COMM] = { "COMM", "comm", 6, 15, 3, true },
	[C_SENT] = { "SENT/s", "sent_rate", 10, 10, 0, false },
	[C_RECV] = { "RECV/s", "recv_rate", 10, 10, 0, false },
	[C_TSENT] = { "TOTAL SENT", "sent_bytes", 10, 10, 6, false },
	[C_TRECV] = { "TOTAL RECV", "recv_bytes", 10, 10, 6, false },
	[C_CWND] = { "CWND", "cwnd", 6, 6, 4, false },
	[C_SRTT] = { "SRTT", "srtt_us", 8, 8, 4, false },
	[C_RETR] = { "RETR", "retrans_total", 5, 5, 2, false },
};

/* conns' --sort names that the screen shows in a column under another name. */
static const struct {
	const char *alias;
	int col;
} conn_aliases[] = { { "lport", C_LOCAL }, { "rport", C_REMOTE } };

const struct tui_col *tui_columns(const struct tui_model *m, int *n)
{
	*n = m->view == TUI_PROCS ? P_N : C_N;
	return m->view == TUI_PROCS ? proc_cols : conn_cols;
}

static bool procs(const struct tui_model *m)
{
	return m->view == TUI_PROCS;
}

/* The columns that hold rates (or, in the totals unit, totals). */
static bool is_rate(const struct tui_model *m, int col)
{
	return procs(m) ? col == P_SENT || col == P_RECV || col == P_CALLS
			: col == C_SENT || col == C_RECV;
}

static bool is_total(const struct tui_model *m, int col)
{
	return procs(m) ? col == P_TSENT || col == P_TRECV : col == C_TSENT || col == C_TRECV;
}

bool tui_col_avail(const struct tui_model *m, int col)
{
	if (is_total(m, col))
		return m->unit != TUI_UNIT_TOTAL; /* the rate columns show the totals then */
	return !(procs(m) && col == P_USER && m->group == TUI_BY_COMM);
}

const char *tui_title(const struct tui_model *m, int col)
{
	static const char *const as_total[] = {
		[P_SENT] = "SENT", [P_RECV] = "RECV", [P_CALLS] = "CALLS"
	};
	int n;
	const struct tui_col *c = tui_columns(m, &n);

	if (col < 0 || col >= n)
		return "";
	if (procs(m) && col == P_PID && m->group == TUI_BY_COMM)
		return "PROCS";
	if (m->unit == TUI_UNIT_TOTAL && is_rate(m, col))
		return as_total[procs(m) ? col : col == C_SENT ? P_SENT : P_RECV];
	return c[col].title;
}

int tui_key_column(const struct tui_model *m, int key)
{
	switch (key) {
	case 's':
		return procs(m) ? P_SENT : C_SENT;
	case 'r':
		return procs(m) ? P_RECV : C_RECV;
	case 't':
		return TUI_SORT_TOTAL;
	case 'p':
		return procs(m) ? P_PID : C_PID;
	case 'n':
		return procs(m) ? P_COMM : C_COMM;
	}
	return TUI_SORT_NONE;
}

int tui_col_named(const struct tui_model *m, const char *name)
{
	int n;
	const struct tui_col *c = tui_columns(m, &n);

	if (!strcmp(name, "total") || !strcmp(name, "total_rate"))
		return TUI_SORT_TOTAL;
	for (int i = 0; i < n; i++)
		if (!strcasecmp(name, c[i].name) || !strcasecmp(name, c[i].title))
			return i;
	for (size_t i = 0; !procs(m) && i < sizeof(conn_aliases) / sizeof(conn_aliases[0]); i++)
		if (!strcmp(name, conn_aliases[i].alias))
			return conn_aliases[i].col;
	return TUI_SORT_NONE;
}

static bool is_text(const struct tui_model *m, int col)
{
	if (procs(m))
		return col == P_USER || col == P_COMM;
	return col == C_PROTO || col == C_LOCAL || col == C_REMOTE || col == C_ROLE ||
	       col == C_STATE || col == C_COMM;
}

bool tui_col_ascending(const struct tui_model *m, int col)
{
	if (col == TUI_SORT_FED)
		return true;
	return col != TUI_SORT_TOTAL && (is_text(m, col) || col == (procs(m) ? P_PID : C_PID));
}

static double known(double rate)
{
	return rate < 0 ? 0 : rate;
}

/* A rate column's amount: the rate, or the total in the totals unit. */
static double rate_value(const struct tui_model *m, const struct tui_row *r, int col)
{
	bool tot = m->unit == TUI_UNIT_TOTAL;

	if (col == P_SENT || col == C_SENT)
		return tot ? (double)r->p.sent : known(r->rate_sent);
	if (col == P_RECV || col == C_RECV)
		return tot ? (double)r->p.recv : known(r->rate_recv);
	return tot ? (double)r->p.calls : known(r->rate_calls);
}

static double num_value(const struct tui_model *m, const struct tui_row *r, int col)
{
	if (col == TUI_SORT_TOTAL)
		return rate_value(m, r, P_SENT) + rate_value(m, r, P_RECV);
	if (is_rate(m, col))
		return rate_value(m, r, col);
	if (col == (procs(m) ? P_PID : C_PID))
		return procs(m) && m->group == TUI_BY_COMM ? r->p.nprocs : r->p.pid;
	if (col == P_TSENT || col == C_TSENT)
		return (double)r->p.sent;
	if (col == P_TRECV || col == C_TRECV)
		return (double)r->p.recv;
	if (col == C_CWND)
		return r->c.cwnd;
	return col == C_SRTT ? r->c.srtt_us : r->c.retrans;
}

static const char *str_value(const struct tui_model *m, const struct tui_row *r, int col)
{
	if (procs(m))
		return col == P_USER ? r->p.user : r->name;
	switch (col) {
	case C_PROTO:
		return proto_name(r->c.proto);
	case C_LOCAL:
		return r->local;
	case C_REMOTE:
		return r->remote;
	case C_ROLE:
		return r->c.role ? r->c.role : "-";
	case C_STATE:
		return r->c.state ? r->c.state : "-";
	}
	return r->name;
}

int tui_row_cmp(const struct tui_model *m, const struct tui_row *a, const struct tui_row *b,
		int col)
{
	double x, y;

	if (col == TUI_SORT_FED)
		return a->seq < b->seq ? -1 : a->seq > b->seq;
	if (col != TUI_SORT_TOTAL && is_text(m, col)) {
		if (procs(m) && col == P_USER)
			return strncmp(a->p.user, b->p.user, TUI_USER_LEN);
		if (col == C_LOCAL && !procs(m) && a->c.lport != b->c.lport)
			return a->c.lport < b->c.lport ? -1 : 1;
		if (col == C_REMOTE && !procs(m) && a->c.rport != b->c.rport)
			return a->c.rport < b->c.rport ? -1 : 1;
		return strcmp(str_value(m, a, col), str_value(m, b, col));
	}
	x = num_value(m, a, col);
	y = num_value(m, b, col);
	return x < y ? -1 : x > y;
}

/* Bits per second in SI units, as network people count them: "1.2 Mbit". */
static char *fmt_bits(char *buf, size_t len, double bits)
{
	static const char prefix[] = " kMGTPE";
	int u = 0;

	while (bits >= 999.95 && u < 6) {
		bits /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f bit", bits);
	else
		snprintf(buf, len, "%.1f %cbit", bits, prefix[u]);
	return buf;
}

/* A rate rounded to a count, saturating: totals near 2^64 must not overflow the conversion. */
static uint64_t to_count(double v)
{
	return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)(v + 0.5);
}

char *tui_fmt_rate(char *buf, size_t len, double bytes_per_s, enum tui_unit unit)
{
	if (bytes_per_s < 0)
		snprintf(buf, len, "-");
	else if (unit == TUI_UNIT_BITS)
		fmt_bits(buf, len, bytes_per_s * 8);
	else
		fmt_bytes(buf, len, to_count(bytes_per_s));
	return buf;
}

static char *fmt_srtt(char *buf, size_t len, uint32_t us)
{
	if (us < 1000)
		snprintf(buf, len, "%uus", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.1fms", us / 1000.0);
	else
		snprintf(buf, len, "%.2fs", us / 1e6);
	return buf;
}

/* The exact total behind a rate or total column: the unit of totals shows them as they are. */
static uint64_t total_of(const struct tui_model *m, const struct tui_row *r, int col)
{
	if (col == P_SENT || col == C_SENT || col == P_TSENT || col == C_TSENT)
		return r->p.sent;
	if (col == P_RECV || col == C_RECV || col == P_TRECV || col == C_TRECV)
		return r->p.recv;
	return procs(m) ? r->p.calls : 0;
}

static const char *rate_cell(const struct tui_model *m, const struct tui_row *r, int col, char *buf,
			     size_t len)
{
	bool calls = col == P_CALLS && procs(m);
	double raw = col == P_SENT || col == C_SENT   ? r->rate_sent
		     : col == P_RECV || col == C_RECV ? r->rate_recv
						      : r->rate_calls;

	if (m->unit == TUI_UNIT_TOTAL)
		return calls ? fmt_count(buf, len, total_of(m, r, col))
			     : fmt_bytes(buf, len, total_of(m, r, col));
	if (raw < 0)
		return "-";
	if (calls)
		return fmt_count(buf, len, to_count(raw));
	return tui_fmt_rate(buf, len, raw, m->unit);
}

static const char *tcp_cell(const struct tui_row *r, int col, char *buf, size_t len)
{
	if (!r->c.has_tcp)
		return "-";
	if (col == C_SRTT)
		return fmt_srtt(buf, len, r->c.srtt_us);
	snprintf(buf, len, "%u", col == C_CWND ? r->c.cwnd : r->c.retrans);
	return buf;
}

static const char *number_cell(const struct tui_model *m, const struct tui_row *r, int col,
			       char *buf, size_t len)
{
	if (is_rate(m, col))
		return rate_cell(m, r, col, buf, len);
	if (is_total(m, col))
		return fmt_bytes(buf, len, total_of(m, r, col));
	if (!procs(m) && col != C_PID)
		return tcp_cell(r, col, buf, len);
	snprintf(buf, len, "%u", (unsigned)num_value(m, r, col));
	return buf;
}

const char *tui_cell(const struct tui_model *m, size_t i, int col, char *buf, size_t len)
{
	const struct tui_table *t = tui_shown(m);
	const struct tui_row *r;

	if (i >= t->nshown || !len)
		return "";
	r = &t->rows[t->order[i]];
	if (procs(m) && col == P_USER)
		return esc_text(buf, len, r->p.user, name_len(r->p.user, TUI_USER_LEN), m->utf8);
	if (is_text(m, col))
		return str_value(m, r, col); /* escaped or formatted when fed */
	return number_cell(m, r, col, buf, len);
}

bool tui_cell_alert(const struct tui_model *m, size_t i, int col)
{
	const struct tui_table *t = &m->conns;

	if (procs(m) || col != C_RETR || i >= t->nshown)
		return false;
	return t->rows[t->order[i]].c.retrans > 0;
}

void tui_sums(const struct tui_model *m, double rate[2], uint64_t total[2])
{
	const struct tui_table *t = m->root == TUI_PROCS ? &m->procs : &m->conns;

	rate[0] = rate[1] = -1;
	total[0] = total[1] = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct tui_row *r = &t->rows[i];

		total[0] += r->p.sent;
		total[1] += r->p.recv;
		if (r->rate_sent >= 0)
			rate[0] = (rate[0] < 0 ? 0 : rate[0]) + r->rate_sent;
		if (r->rate_recv >= 0)
			rate[1] = (rate[1] < 0 ? 0 : rate[1]) + r->rate_recv;
	}
}

/* Display columns of the character at s (and its bytes in *k). */
static int char_width(const char *s, size_t n, size_t *k, bool utf8)
{
	mbstate_t st;
	wchar_t wc;
	int w;

	*k = 1;
	if (!utf8 || (uint8_t)*s < 0x80)
		return 1;
	memset(&st, 0, sizeof(st));
	*k = mbrtowc(&wc, s, n, &st);
	if (*k == (size_t)-1 || *k == (size_t)-2 || !*k) {
		*k = 1;
		return 1;
	}
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

/* Bytes of s that fit in width columns; *cols gets the columns they take. */
static size_t fit_prefix(const char *s, int width, bool utf8, int *cols)
{
	size_t o = 0, n = strlen(s), k;

	*cols = 0;
	while (o < n) {
		int w = char_width(s + o, n - o, &k, utf8);

		if (*cols + w > width)
			break;
		*cols += w;
		o += k;
	}
	return o;
}

char *tui_fit(char *dst, size_t len, const char *s, int width, bool left, bool utf8)
{
	const char *dots = utf8 ? "\u2026" : "~";
	int cols, pad;
	size_t n = fit_prefix(s, width, utf8, &cols);
	bool cut = n < strlen(s);

	if (cut)
		n = fit_prefix(s, width - 1, utf8, &cols);
	pad = width - cols - cut;
	if (!len || width <= 0 || len < n + (size_t)pad + strlen(dots) + 1) {
		if (len)
			dst[0] = '\0';
		return dst;
	}
	snprintf(dst, len, "%*s%.*s%s%*s", left ? 0 : pad, "", (int)n, s, cut ? dots : "",
		 left ? pad : 0, "");
	return dst;
}

/* The most droppable column still shown (the rightmost of equals), or -1. */
static int next_drop(const struct tui_col *c, int n, const bool *on)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (on[i] && c[i].drop && (best < 0 || c[i].drop >= c[best].drop))
			best = i;
	return best;
}

void tui_layout(const struct tui_model *m, int width, int height, struct tui_layout *l)
{
	int n, used = -1, extra, d;
	const struct tui_col *c = tui_columns(m, &n);
	bool on[16] = { 0 };

	memset(l, 0, sizeof(*l));
	if (width < TUI_MIN_COLS || height < TUI_MIN_ROWS) {
		l->too_small = true;
		return;
	}
	for (int i = 0; i < n; i++)
		if ((on[i] = tui_col_avail(m, i)))
			used += c[i].min + 1;
	while (used > width && (d = next_drop(c, n, on)) >= 0) {
		on[d] = false;
		used -= c[d].min + 1;
	}
	extra = width - used;
	for (int i = 0; i < n; i++) {
		int grow = 0;

		if (!on[i])
			continue;
		grow = c[i].max - c[i].min < extra ? c[i].max - c[i].min : extra;
		extra -= grow;
		l->col[l->ncols] = i;
		l->width[l->ncols++] = c[i].min + grow;
	}
	l->body = height - 3; /* header, column titles, status line */
}
