// SPDX-License-Identifier: GPL-2.0
/* What each key does to the interactive screen's model: see tui_key in model.h. */
#include "tui/model.h"
#include "tui/model_int.h"

#include <string.h>

static void select_at(struct tui_table *t, long i)
{
	if (!t->nshown)
		return;
	if (i < 0)
		i = 0;
	if ((size_t)i >= t->nshown)
		i = (long)t->nshown - 1;
	t->sel = (size_t)i;
	t->sel_key = t->rows[t->order[t->sel]].key;
	t->sel_valid = true;
}

static int move_key(struct tui_model *m, int key)
{
	struct tui_table *t = tui_table_of(m);
	long page = t->body > 1 ? (long)t->body - 1 : 1, at = (long)t->sel;

	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		at--;
		break;
	case TUI_KEY_DOWN:
	case 'j':
		at++;
		break;
	case TUI_KEY_PGUP:
		at -= page;
		break;
	case TUI_KEY_PGDN:
		at += page;
		break;
	case TUI_KEY_HOME:
	case 'g':
		at = 0;
		break;
	case TUI_KEY_END:
	case 'G':
		at = (long)t->nshown - 1;
		break;
	default:
		return -1;
	}
	select_at(t, at);
	return TUI_REDRAW;
}

size_t tui_scroll(struct tui_model *m, size_t body)
{
	struct tui_table *t = tui_table_of(m);

	t->body = body;
	if (t->sel < t->top)
		t->top = t->sel;
	else if (body && t->sel >= t->top + body)
		t->top = t->sel - body + 1;
	if (t->top + body > t->nshown)
		t->top = t->nshown > body ? t->nshown - body : 0;
	return t->top;
}

/* Enter on a process: its connections, which the caller now has to read. */
static int drill_down(struct tui_model *m)
{
	struct tui_table *t = &m->procs, *c = &m->conns;
	const struct tui_row *r;

	if (m->view != TUI_PROCS || !t->nshown)
		return 0;
	r = &t->rows[t->order[t->sel]];
	m->drill_pid = r->p.pid;
	memcpy(m->drill_comm, r->p.comm, TUI_COMM_LEN);
	m->view = TUI_CONNS;
	c->sel = c->top = 0;
	c->sel_valid = false;
	c->n = c->nprev = c->prev_ns = 0; /* another process: no stale rows, rates start over */
	tui_refresh(m);
	return TUI_REDRAW | TUI_RESAMPLE;
}

static int go_back(struct tui_model *m)
{
	if (m->view == TUI_PROCS || m->root == TUI_CONNS)
		return 0;
	m->view = TUI_PROCS;
	tui_refresh(m);
	return TUI_REDRAW;
}

static int sort_on(struct tui_model *m, int col)
{
	struct tui_table *t = tui_table_of(m);

	if (t->sort == col)
		t->ascending = !t->ascending;
	else
		t->ascending = tui_col_ascending(m, col);
	t->sort = col;
	tui_refresh(m);
	return TUI_REDRAW;
}

int tui_sort_by(struct tui_model *m, const char *name)
{
	int col = tui_col_named(m, name);

	if (col == TUI_SORT_NONE)
		return -1;
	sort_on(m, col);
	return 0;
}

void tui_sort_fed(struct tui_model *m)
{
	struct tui_table *t = tui_table_of(m);

	t->sort = TUI_SORT_FED;
	t->ascending = true;
	tui_refresh(m);
}

/* F6 and '>' step through the shown view's columns, as htop's F6 offers them. */
static int sort_next(struct tui_model *m, int step)
{
	int n, col = tui_table_of(m)->sort;

	tui_columns(m, &n);
	do
		col = (col + 1 + step + n + 1) % (n + 1) - 1; /* -1 (total) to n - 1, round */
	while (col != TUI_SORT_TOTAL && !tui_col_avail(m, col));
	return sort_on(m, col);
}

static int interval_key(struct tui_model *m, int key)
{
	int iv = m->interval_ms;

	if (key == '+' || key == '=')
		iv += iv < 1000 ? 100 : 1000;
	else
		iv -= iv <= 1000 ? 100 : 1000;
	if (iv < TUI_MIN_INTERVAL)
		iv = TUI_MIN_INTERVAL;
	if (iv > TUI_MAX_INTERVAL)
		iv = TUI_MAX_INTERVAL;
	if (iv == m->interval_ms)
		return 0;
	m->interval_ms = iv;
	return TUI_REDRAW | TUI_RETIME;
}

/* While '/' is active, keys edit the filter and the rows follow each keystroke. */
static int filter_key(struct tui_model *m, int key)
{
	size_t len = strlen(m->filter);

	if (key == TUI_KEY_ENTER) {
		m->filtering = false;
	} else if (key == TUI_KEY_ESC) {
		m->filtering = false;
		m->filter[0] = '\0';
	} else if (key == TUI_KEY_BACKSPACE) {
		if (len)
			m->filter[len - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(m->filter)) {
		m->filter[len] = (char)key;
		m->filter[len + 1] = '\0';
	} else {
		return 0;
	}
	tui_refresh(m);
	return TUI_REDRAW;
}

static int group_key(struct tui_model *m)
{
	if (m->root != TUI_PROCS)
		return 0;
	m->group = m->group == TUI_BY_PID ? TUI_BY_COMM : TUI_BY_PID;
	m->procs.sel_valid = false; /* a PID and a name are not the same row */
	if (tui_regroup(m))
		return TUI_QUIT;
	if (m->view == TUI_PROCS)
		tui_refresh(m);
	return TUI_REDRAW;
}

static int view_key(struct tui_model *m, int key)
{
	int col = tui_key_column(m, key);

	if (col != TUI_SORT_NONE)
		return sort_on(m, col);
	switch (key) {
	case 'm':
		m->unit = (m->unit + 1) % TUI_NUNITS;
		tui_refresh(m);
		return TUI_REDRAW;
	case 'c':
		return group_key(m);
	case TUI_KEY_F6:
	case '>':
		return sort_next(m, 1);
	case '<':
		return sort_next(m, -1);
	case '/':
		m->filtering = true;
		return TUI_REDRAW;
	case ' ':
		m->paused = !m->paused;
		return TUI_REDRAW;
	case TUI_KEY_ENTER:
		return drill_down(m);
	case TUI_KEY_ESC:
	case TUI_KEY_BACKSPACE:
		return go_back(m);
	}
	return move_key(m, key) < 0 ? 0 : TUI_REDRAW;
}

int tui_key(struct tui_model *m, int key)
{
	if (key == 3) /* Ctrl-C in raw mode */
		return TUI_QUIT;
	if (m->filtering)
		return filter_key(m, key);
	if (key == 'q' || key == 'Q')
		return TUI_QUIT;
	if (m->help || key == 'h' || key == '?' || key == TUI_KEY_F1) {
		m->help = !m->help; /* any key closes the help, as htop's does */
		return TUI_REDRAW;
	}
	if (key == '+' || key == '=' || key == '-')
		return interval_key(m, key);
	return view_key(m, key);
}
