// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer: see json.h. */
#include "json.h"
#include "escape.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static void key(struct jw *w, const char *k)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (k) {
		fputc('"', w->f);
		fputs(k, w->f);
		fputs("\":", w->f);
	}
}

static void open_level(struct jw *w, char bracket)
{
	fputc(bracket, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

void jw_begin(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	open_level(w, '{');
}

void jw_end(struct jw *w)
{
	jw_close(w, '}');
	fputc('\n', w->f);
}

void jw_obj(struct jw *w, const char *k)
{
	key(w, k);
	open_level(w, '{');
}

void jw_arr(struct jw *w, const char *k)
{
	key(w, k);
	open_level(w, '[');
}

void jw_close(struct jw *w, char bracket)
{
	fputc(bracket, w->f);
	if (w->depth)
		w->depth--;
}

void jw_str(struct jw *w, const char *k, const char *val)
{
	jw_bytes(w, k, val, strlen(val));
}

void jw_bytes(struct jw *w, const char *k, const void *val, size_t len)
{
	key(w, k);
	fputc('"', w->f);
	esc_json(w->f, val, len);
	fputc('"', w->f);
}

void jw_u64(struct jw *w, const char *k, uint64_t val)
{
	key(w, k);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_i64(struct jw *w, const char *k, int64_t val)
{
	key(w, k);
	fprintf(w->f, "%" PRId64, val);
}

void jw_double(struct jw *w, const char *k, double val)
{
	key(w, k);
	/* JSON has no NaN or infinity; "%g" would print "nan" and break every reader */
	if (isfinite(val))
		fprintf(w->f, "%.6g", val);
	else
		fputs("null", w->f);
}

void jw_bool(struct jw *w, const char *k, bool val)
{
	key(w, k);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *k)
{
	key(w, k);
	fputs("null", w->f);
}
