// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the interactive screen's model (src/tui): process names, user names
 * and addresses come from the traced side, totals may go backwards, keys come in any order.
 * Whatever the input, no cell and no fitted string holds a control byte (in UTF-8 mode no
 * C1 control and no invalid sequence either), an ASCII cell fits its width exactly, the
 * columns shown fit the terminal, the selection stays among the rows shown, and every rate
 * is either unknown or not negative.
 *
 * Input: a mode byte (bit 0: conns, bit 1: UTF-8), then operations, each a byte whose low 3
 * bits say what (0: feed processes, 1: feed connections, both a count byte and raw rows;
 * 2-5: a key; 6-7: check at a width and height) and whose high 5 bits advance the clock by
 * tenths of a second.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "writers/escape.h"
#include "tui/model.h"

#define MAX_FEED 8

/* role and state are the caller's static names (role_name, tcp_state_name), not traced text */
static const char *const names[] = { NULL, "client", "ESTABLISHED", "LISTEN" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setlocale(LC_CTYPE, "C.UTF-8");
	return 0;
}

/* No control byte, and in UTF-8 mode only valid sequences of printable characters. */
static void check_clean(const char *s, bool utf8)
{
	size_t n = strlen(s), o = 0;

	while (o < n) {
		uint32_t cp;
		size_t k = utf8_decode((const uint8_t *)s + o, n - o, &cp);

		if ((uint8_t)s[o] < 0x20 || s[o] == 0x7f || (!utf8 && (uint8_t)s[o] >= 0x80))
			abort();
		if ((uint8_t)s[o] >= 0x80 && (!k || (cp >= 0x80 && cp < 0xa0)))
			abort();
		o += k ? k : 1;
	}
}

static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((uint8_t)*s >= 0x80)
			return false;
	return true;
}

/* Feeds the rows that follow a count byte; returns the bytes taken. */
static size_t feed(struct tui_model *m, const uint8_t *d, size_t size, uint64_t now, bool conns)
{
	size_t one = conns ? sizeof(struct tui_conn_in) : sizeof(struct tui_proc_in);
	size_t n = size ? d[0] % (MAX_FEED + 1) : 0;
	struct tui_proc_in p[MAX_FEED];
	struct tui_conn_in c[MAX_FEED];

	if (!size)
		return 0;
	if (n > (size - 1) / one)
		n = (size - 1) / one;
	d++;
	if (!conns) {
		memcpy(p, d, n * one);
		tui_feed_procs(m, p, n, now);
		return 1 + n * one;
	}
	memcpy(c, d, n * one);
	for (size_t i = 0; i < n; i++) { /* pointers and bools are the caller's, not raw bytes */
		uint8_t b;

		memcpy(&b, &c[i].has_tcp, 1);
		c[i].has_tcp = b & 1;
		c[i].role = names[c[i].lport % 4];
		c[i].state = names[c[i].rport % 4];
	}
	tui_feed_conns(m, c, n, now);
	return 1 + n * one;
}

static void check_rows(struct tui_model *m, const struct tui_layout *l)
{
	const struct tui_table *t = tui_table_of(m);
	char cell[256], fitted[1024];

	if (t->nshown && t->sel >= t->nshown)
		abort();
	for (size_t i = 0; i < t->nshown; i++) {
		const struct tui_row *r = &t->rows[t->order[i]];

		if ((r->rate_sent < 0 && r->rate_sent != -1) ||
		    (r->rate_recv < 0 && r->rate_recv != -1))
			abort();
		for (int k = 0; k < l->ncols; k++) {
			const char *s = tui_cell(m, i, l->col[k], cell, sizeof(cell));

			check_clean(s, m->utf8);
			tui_fit(fitted, sizeof(fitted), s, l->width[k], true, m->utf8);
			check_clean(fitted, m->utf8);
			if (ascii(fitted) && strlen(fitted) != (size_t)l->width[k])
				abort();
		}
	}
}

static void check(struct tui_model *m, uint8_t w, uint8_t h)
{
	struct tui_layout l;
	int used = -1;

	tui_layout(m, 40 + w, 5 + h % 40, &l);
	if (l.too_small != (40 + w < TUI_MIN_COLS || 5 + h % 40 < TUI_MIN_ROWS))
		abort();
	for (int k = 0; k < l.ncols; k++)
		used += l.width[k] + 1;
	if (used > 40 + w)
		abort();
	tui_scroll(m, l.body > 0 ? (size_t)l.body : 1);
	check_rows(m, &l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tui_model m;
	uint64_t now = 0;
	size_t o = 1;

	if (size < 1)
		return 0;
	tui_model_init(&m, data[0] & 1 ? TUI_CONNS : TUI_PROCS, 1000, data[0] & 2);
	while (o < size) {
		uint8_t op = data[o++];

		now += (uint64_t)(op >> 3) * 100000000ULL;
		if ((op & 7) == 0)
			o += feed(&m, data + o, size - o, now, false);
		else if ((op & 7) == 1)
			o += feed(&m, data + o, size - o, now, true);
		else if ((op & 7) < 6 && o < size)
			tui_key(&m, data[o++] + ((op & 7) == 5 ? TUI_KEY_UP : 0));
		else if (o + 1 < size) {
			check(&m, data[o], data[o + 1]);
			o += 2;
		}
	}
	check(&m, 80, 20);
	tui_model_free(&m);
	return 0;
}
