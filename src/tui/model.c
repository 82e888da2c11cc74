// SPDX-License-Identifier: GPL-2.0
/* The interactive screen's state: rows, rates, order, filter, selection. See model.h. */
#include "tui/model.h"
#include "tui/model_int.h"
#include "writers/escape.h"
#include "writers/fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BY_NAME_BIT (1ULL << 63) /* keys of rows grouped by name, apart from PIDs */

void tui_model_init(struct tui_model *m, enum tui_view root, int interval_ms, bool utf8)
{
	memset(m, 0, sizeof(*m));
	m->root = m->view = root;
	m->utf8 = utf8;
	m->interval_ms = interval_ms < TUI_MIN_INTERVAL ? TUI_MIN_INTERVAL : interval_ms;
	m->procs.sort = m->conns.sort = TUI_SORT_TOTAL;
}

static void table_free(struct tui_table *t)
{
	free(t->rows);
	free(t->order);
	free(t->prev);
	memset(t, 0, sizeof(*t));
}

void tui_model_free(struct tui_model *m)
{
	table_free(&m->procs);
	table_free(&m->conns);
}

struct tui_table *tui_table_of(struct tui_model *m)
{
	return (struct tui_table *)tui_shown(m);
}

bool tui_wants_conns(const struct tui_model *m)
{
	return m->view == TUI_CONNS;
}

/* FNV-1a over a name: the key of a row grouped by name. */
static uint64_t name_key(const char *s, size_t max)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < max && s[i]; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h | BY_NAME_BIT;
}

static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t n = *cap ? *cap : 16;
	void *q;

	if (*p && need <= *cap)
		return 0; /* never NULL once grown: the C library takes no NULL, even for 0 rows */
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = ((const struct tui_row *)a)->key, y = ((const struct tui_row *)b)->key;

	return x < y ? -1 : x > y;
}

static double rate_of(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0;
}

/*
 * Rates of the rows in t->rows against t->prev. A row not seen before got all its bytes since
 * the previous sample (totals count from sockscope's start); on the first sample nothing has a
 * rate yet.
 */
static void compute_rates(struct tui_table *t, uint64_t now_ns)
{
	double dt = t->prev_ns && now_ns > t->prev_ns ? (double)(now_ns - t->prev_ns) / 1e9 : 0;

	for (size_t i = 0; i < t->n; i++) {
		struct tui_row *r = &t->rows[i], *p;
		struct tui_row zero = { 0 };

		r->rate_sent = r->rate_recv = r->rate_calls = -1;
		if (dt <= 0)
			continue;
		p = bsearch(r, t->prev, t->nprev, sizeof(*r), cmp_key);
		if (!p)
			p = &zero;
		r->rate_sent = rate_of(r->p.sent, p->p.sent, dt);
		r->rate_recv = rate_of(r->p.recv, p->p.recv, dt);
		r->rate_calls = rate_of(r->p.calls, p->p.calls, dt);
	}
}

/* Keeps this sample (per-process, with rates) as the base of the next one's rates. */
static int keep_prev(struct tui_table *t, uint64_t now_ns)
{
	if (grow(&t->prev, &t->prevcap, t->n, sizeof(*t->prev)))
		return -1;
	memcpy(t->prev, t->rows, t->n * sizeof(*t->rows));
	t->nprev = t->n;
	qsort(t->prev, t->nprev, sizeof(*t->prev), cmp_key);
	t->prev_ns = now_ns;
	return 0;
}

static void escape_name(struct tui_row *r, bool utf8)
{
	esc_text(r->name, sizeof(r->name), r->p.comm, name_len(r->p.comm, TUI_COMM_LEN), utf8);
}

static void proc_row(struct tui_row *r, const struct tui_proc_in *in, bool utf8)
{
	memset(r, 0, sizeof(*r));
	r->p = *in;
	r->key = in->pid ? in->pid : name_key(in->comm, TUI_COMM_LEN);
	escape_name(r, utf8);
}

static void add_rate(double *a, double b)
{
	if (b >= 0)
		*a = *a < 0 ? b : *a + b;
}

/* Adds per-process row r to the group of its name in rows[0..*n). */
static void fold_into(struct tui_row *rows, size_t *n, const struct tui_row *r)
{
	uint64_t key = name_key(r->p.comm, TUI_COMM_LEN);
	struct tui_row *g = NULL;

	for (size_t i = 0; i < *n && !g; i++)
		if (rows[i].key == key)
			g = &rows[i];
	if (!g) {
		g = &rows[(*n)++];
		*g = *r;
		g->key = key;
		g->p.pid = 0;
		g->p.nprocs = 0;
		g->rate_sent = g->rate_recv = g->rate_calls = -1;
		g->p.sent = g->p.recv = g->p.calls = 0;
	}
	g->p.nprocs += r->p.nprocs ? r->p.nprocs : 1;
	g->p.sent += r->p.sent;
	g->p.recv += r->p.recv;
	g->p.calls += r->p.calls;
	add_rate(&g->rate_sent, r->rate_sent);
	add_rate(&g->rate_recv, r->rate_recv);
	add_rate(&g->rate_calls, r->rate_calls);
}

/* The rows shown: the last sample as is, or folded by name. */
int tui_regroup(struct tui_model *m)
{
	struct tui_table *t = &m->procs;

	if (grow(&t->rows, &t->cap, t->nprev, sizeof(*t->rows)))
		return -1;
	if (m->group == TUI_BY_PID) {
		if (t->nprev) /* 'c' may come before the first sample */
			memcpy(t->rows, t->prev, t->nprev * sizeof(*t->rows));
		t->n = t->nprev;
		return 0;
	}
	t->n = 0;
	for (size_t i = 0; i < t->nprev; i++)
		fold_into(t->rows, &t->n, &t->prev[i]);
	return 0;
}

static bool matches(const struct tui_model *m, const struct tui_row *r)
{
	char pid[16];

	if (m->view == TUI_CONNS && m->root == TUI_PROCS) {
		if (m->drill_pid ? r->p.pid != m->drill_pid
				 : strncmp(r->p.comm, m->drill_comm, TUI_COMM_LEN))
			return false;
	}
	if (!m->filter[0])
		return true;
	snprintf(pid, sizeof(pid), "%u", r->p.pid);
	return strcasestr(r->name, m->filter) || strstr(pid, m->filter) ||
	       strcasestr(r->local, m->filter) || strcasestr(r->remote, m->filter);
}

static int cmp_shown(const void *a, const void *b, void *ctx)
{
	const struct tui_model *m = ctx;
	const struct tui_table *t = tui_shown(m);
	const struct tui_row *x = &t->rows[*(const size_t *)a], *y = &t->rows[*(const size_t *)b];
	int c = tui_row_cmp(m, x, y, t->sort);

	if (c)
		return t->ascending ? c : -c;
	return x->key < y->key ? -1 : x->key > y->key; /* equals stay in PID order */
}

/* Puts the selection back on the row it was on, wherever sorting or filtering moved it. */
static void restore_selection(struct tui_table *t)
{
	for (size_t i = 0; t->sel_valid && i < t->nshown; i++) {
		if (t->rows[t->order[i]].key == t->sel_key) {
			t->sel = i;
			return;
		}
	}
	if (t->sel >= t->nshown)
		t->sel = t->nshown ? t->nshown - 1 : 0;
	/* until the user moves it, the selection stays on the top row, whichever it is */
	if (t->sel_valid && t->nshown)
		t->sel_key = t->rows[t->order[t->sel]].key;
}

/* Filters, sorts and reselects the view's table after any change to rows or settings. */
int tui_refresh(struct tui_model *m)
{
	struct tui_table *t = tui_table_of(m);

	if (grow(&t->order, &t->ordercap, t->n ? t->n : 1, sizeof(*t->order)))
		return -1;
	t->nshown = 0;
	for (size_t i = 0; i < t->n; i++)
		if (matches(m, &t->rows[i]))
			t->order[t->nshown++] = i;
	qsort_r(t->order, t->nshown, sizeof(*t->order), cmp_shown, m);
	restore_selection(t);
	return 0;
}

/*
 * What a feed does after its rows[0..n) are filled, the same for both tables: their order of
 * arrival, rates against the last feed, and a refresh if the table is the one in view. The
 * process table's rows are then rebuilt from what keep_prev kept, grouped as the user asked.
 */
static int fed(struct tui_model *m, struct tui_table *t, size_t n, uint64_t now_ns,
	       enum tui_view view)
{
	for (size_t i = 0; i < n; i++)
		t->rows[i].seq = i;
	t->n = n;
	compute_rates(t, now_ns);
	if (keep_prev(t, now_ns) || (view == TUI_PROCS && tui_regroup(m)))
		return -1;
	return m->view == view ? tui_refresh(m) : 0;
}

int tui_feed_procs(struct tui_model *m, const struct tui_proc_in *in, size_t n, uint64_t now_ns)
{
	struct tui_table *t = &m->procs;

	if (m->paused)
		return 0;
	if (grow(&t->rows, &t->cap, n, sizeof(*t->rows)))
		return -1;
	for (size_t i = 0; i < n; i++)
		proc_row(&t->rows[i], &in[i], m->utf8);
	return fed(m, t, n, now_ns, TUI_PROCS);
}

static void conn_row(struct tui_row *r, const struct tui_conn_in *in, bool utf8)
{
	memset(r, 0, sizeof(*r));
	r->c = *in;
	r->key = in->id;
	r->p.pid = in->pid;
	memcpy(r->p.comm, in->comm, TUI_COMM_LEN);
	r->p.sent = in->sent;
	r->p.recv = in->recv;
	escape_name(r, utf8);
	fmt_endpoint(r->local, sizeof(r->local), in->family, in->laddr, in->lport);
	fmt_endpoint(r->remote, sizeof(r->remote), in->family, in->raddr, in->rport);
}

int tui_feed_conns(struct tui_model *m, const struct tui_conn_in *in, size_t n, uint64_t now_ns)
{
	struct tui_table *t = &m->conns;

	if (m->paused)
		return 0;
	if (grow(&t->rows, &t->cap, n, sizeof(*t->rows)))
		return -1;
	for (size_t i = 0; i < n; i++)
		conn_row(&t->rows[i], &in[i], m->utf8);
	return fed(m, t, n, now_ns, TUI_CONNS);
}
