// SPDX-License-Identifier: GPL-2.0
/*
 * Drawing the interactive screen: every string reaches curses cut to its column by tui_fit,
 * so nothing wraps, and every traced string is escaped by the model before it gets here.
 */
#include "tui/draw.h"
#include "tui/model_int.h"
#include "writers/escape.h"
#include "writers/fmt.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAIR_ALERT     1
#define LINE_MAX_BYTES 1024

static bool colors;

void draw_colors(bool on)
{
	colors = on;
	if (!on)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_ALERT, COLOR_RED, -1);
}

/* Attributes that make a cell stand out: red where there is colour, bold where not. */
static attr_t alert_attr(void)
{
	return colors ? COLOR_PAIR(PAIR_ALERT) | A_BOLD : A_BOLD | A_UNDERLINE;
}

/* Writes s at (y, x) cut or padded to width columns. */
static void put(int y, int x, const char *s, int width, bool left, bool utf8)
{
	char line[LINE_MAX_BYTES];

	if (width > LINE_MAX_BYTES / 4)
		width = LINE_MAX_BYTES / 4; /* room for the widest characters of a line that long */
	mvaddstr(y, x, tui_fit(line, sizeof(line), s, width, left, utf8));
}

#define WIDE_HEADER 100 /* below: the header drops totals and hooks to keep "lost" on screen */

/* The header's text for width columns; *lost_at and *lost_len locate "lost N" in it. */
static void header_text(char *line, size_t len, int width, const struct tui_model *m,
			const struct tui_status *st, int *lost_at, int *lost_len)
{
	char clock[16], rs[16], rr[16], b[16], ts[24] = "", tr[24] = "";
	enum tui_unit u = m->unit == TUI_UNIT_BITS ? TUI_UNIT_BITS : TUI_UNIT_BYTES;
	bool wide = width >= WIDE_HEADER;
	struct timespec now;
	uint64_t total[2];
	double rate[2];
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	tui_sums(m, rate, total);
	if (wide) {
		snprintf(ts, sizeof(ts), " (%s)", fmt_bytes(b, sizeof(b), total[0]));
		snprintf(tr, sizeof(tr), " (%s)", fmt_bytes(b, sizeof(b), total[1]));
	}
	n = snprintf(line, len, "%s%s  %s  %s%.1fs  sent %s/s%s  recv %s/s%s  ",
		     wide ? "sockscope " : "", st->command ? st->command : "",
		     fmt_clock(clock, sizeof(clock), &now, false), wide ? "every " : "",
		     m->interval_ms / 1000.0, tui_fmt_rate(rs, sizeof(rs), rate[0], u), ts,
		     tui_fmt_rate(rr, sizeof(rr), rate[1], u), tr);
	*lost_at = n < (int)len ? n : (int)len - 1;
	*lost_len =
	    snprintf(line + *lost_at, len - *lost_at, "lost %llu", (unsigned long long)st->lost);
	n = (int)strlen(line);
	snprintf(line + n, len - n, "%s%s%s", wide && st->hooks ? "  hooks " : "",
		 wide && st->hooks ? st->hooks : "", m->paused ? "  PAUSED" : "");
}

static void header(const struct tui_model *m, const struct tui_status *st, bool lost_rising)
{
	char line[LINE_MAX_BYTES];
	int at, n;

	header_text(line, sizeof(line), COLS, m, st, &at, &n);
	put(0, 0, line, COLS, true, m->utf8);
	if (lost_rising && at < COLS - 1) {
		attron(alert_attr());
		mvaddnstr(0, at, line + at, n < COLS - 1 - at ? n : COLS - 1 - at);
		attroff(alert_attr());
	}
}

static void titles(const struct tui_model *m, const struct tui_layout *l)
{
	int sort = tui_shown(m)->sort, x = 0;
	int n;
	const struct tui_col *c = tui_columns(m, &n);

	attron(A_BOLD);
	mvhline(1, 0, ' ', COLS);
	for (int i = 0; i < l->ncols; i++) {
		int col = l->col[i];

		if (col == sort)
			attron(A_REVERSE); /* the column rows are sorted by, as htop marks it */
		put(1, x, tui_title(m, col), l->width[i], c[col].left, m->utf8);
		attroff(A_REVERSE);
		x += l->width[i] + 1;
	}
	attroff(A_BOLD);
}

static void row(struct tui_model *m, const struct tui_layout *l, int y, size_t i, bool sel)
{
	char cell[LINE_MAX_BYTES];
	int n, x = 0;
	const struct tui_col *c = tui_columns(m, &n);

	if (sel)
		attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (int k = 0; k < l->ncols; k++) {
		bool alert = tui_cell_alert(m, i, l->col[k]);

		if (alert)
			attron(alert_attr());
		put(y, x, tui_cell(m, i, l->col[k], cell, sizeof(cell)), l->width[k],
		    c[l->col[k]].left, m->utf8);
		if (alert)
			attroff(alert_attr());
		x += l->width[k] + 1;
	}
	attroff(A_REVERSE);
}

static const char *empty_text(const struct tui_model *m)
{
	if (m->filter[0])
		return "  (nothing matches the filter)";
	if (m->view == TUI_CONNS && m->root == TUI_PROCS)
		return "  (no connection seen for this process)";
	return "  (no traffic yet)";
}

static void rows(struct tui_model *m, const struct tui_layout *l)
{
	struct tui_table *t = tui_table_of(m);
	size_t first = tui_scroll(m, (size_t)l->body);

	for (int y = 0; y < l->body && first + y < t->nshown; y++)
		row(m, l, y + 2, first + y, t->sel == first + y);
	if (!t->nshown)
		put(2, 0, empty_text(m), COLS, true, m->utf8);
}

static const char *const help_lines[] = {
	"Keys",
	"  s r t       sort by sent, received or total rate (again: the other way round)",
	"  p n         sort by PID, by name;  F6 < >  sort by the next/previous column",
	"  m           units: bytes/s, bits/s, totals since start",
	"  c           one row per process or per name (top)",
	"  Up Down j k PgUp PgDn Home End   move the selection",
	"  Enter       the selected process's connections;  Esc Backspace  back",
	"  /           filter by name or address as you type (Enter keeps it, Esc clears)",
	"  Space       pause the display (the kernel keeps counting)",
	"  + -         longer or shorter interval (at least 0.1 s)",
	"  h ? F1      this help (any key closes it);  q Ctrl-C  quit",
};

static void help(const struct tui_model *m, int body)
{
	for (int i = 0; i < body && i < (int)(sizeof(help_lines) / sizeof(help_lines[0])); i++)
		put(i + 1, 0, help_lines[i], COLS, true, m->utf8);
}

/* Where the user is: the process whose connections are shown, and the filter. */
static void context(char *buf, size_t len, const struct tui_model *m)
{
	char name[4 * TUI_COMM_LEN + 1];
	int n = 0;

	buf[0] = '\0';
	if (m->view == TUI_CONNS && m->root == TUI_PROCS) {
		esc_text(name, sizeof(name), m->drill_comm, name_len(m->drill_comm, TUI_COMM_LEN),
			 m->utf8);
		if (m->drill_pid)
			n = snprintf(buf, len, "connections of PID %u (%s), Esc: back  ",
				     m->drill_pid, name);
		else
			n = snprintf(buf, len, "connections of %s, Esc: back  ", name);
	}
	if (m->filter[0] && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "filter \"%s\"  ", m->filter);
}

static void status(const struct tui_model *m)
{
	char line[LINE_MAX_BYTES], where[256];
	const char *keys =
	    m->view == TUI_PROCS
		? "Enter: connections  s/r/t/p/n: sort  m: units  /: filter  h: help  q: quit"
		: "s/r/t/p/n F6: sort  m: units  /: filter  h: help  q: quit";

	if (m->filtering) {
		snprintf(line, sizeof(line), "Filter: %s_   (Enter: keep, Esc: clear)", m->filter);
	} else {
		context(where, sizeof(where), m);
		snprintf(line, sizeof(line), "%s%s", where, keys);
	}
	attron(A_REVERSE);
	put(LINES - 1, 0, line, COLS, true, m->utf8);
	attroff(A_REVERSE);
}

void draw_screen(struct tui_model *m, const struct tui_status *st, bool lost_rising)
{
	struct tui_layout l;

	erase();
	tui_layout(m, COLS, LINES, &l);
	if (l.too_small) {
		mvaddnstr(0, 0, "terminal too narrow (sockscope needs 60x10)", COLS);
		refresh();
		return;
	}
	header(m, st, lost_rising);
	if (m->help) {
		help(m, LINES - 2);
	} else {
		titles(m, &l);
		rows(m, &l);
	}
	status(m);
	refresh();
}
