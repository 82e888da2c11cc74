// SPDX-License-Identifier: GPL-2.0
/* Plain-text table cells: see table.h. */
#define _XOPEN_SOURCE 700
#include "writers/table.h"
#include "writers/escape.h"

#include <langinfo.h>
#include <locale.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

static bool utf8;

void table_init_locale(void)
{
	setlocale(LC_CTYPE, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
}

bool table_utf8(void)
{
	return utf8;
}

char *table_name(char *dst, size_t dstlen, const char *src, size_t len)
{
	return esc_text(dst, dstlen, src, name_len(src, len), utf8);
}

/* Bytes of s that fit in width columns, and the columns they take. */
static size_t fit(const char *s, int width, int *cols)
{
	mbstate_t st;
	size_t o = 0, n = strlen(s);

	memset(&st, 0, sizeof(st));
	*cols = 0;
	while (o < n) {
		wchar_t wc;
		size_t k = utf8 ? mbrtowc(&wc, s + o, n - o, &st) : 1;
		int w = 1;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			k = 1;
		else if (utf8 && (w = wcwidth(wc)) < 0)
			w = 1;
		if (*cols + w > width)
			break;
		*cols += w;
		o += k;
	}
	return o;
}

void table_spaces(FILE *f, size_t n)
{
	static const char spaces[] = "                                                ";

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		fwrite_unlocked(spaces, 1, k, f);
		n -= k;
	}
}

void table_cell(FILE *f, const char *s, int width, bool left)
{
	int cols;
	size_t n = fit(s, width, &cols);
	size_t fill = cols < width ? (size_t)(width - cols) : 0;

	if (!left)
		table_spaces(f, fill);
	fwrite_unlocked(s, 1, n, f);
	if (left)
		table_spaces(f, fill);
}

int table_rows(FILE *f)
{
	struct winsize ws;

	if (!isatty(fileno(f)) || ioctl(fileno(f), TIOCGWINSZ, &ws) || !ws.ws_row)
		return 0;
	return ws.ws_row;
}
