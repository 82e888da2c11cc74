// SPDX-License-Identifier: GPL-2.0
/* One-object-per-line JSON writer: see json.h. */
#include "writers/json.h"
#include "writers/base64.h"
#include "writers/escape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The line buffer outlives each line, so that steady output allocates nothing. */
static __thread struct {
	char *buf;
	size_t cap;
} line;

static bool room(struct jw *w, size_t more)
{
	size_t cap = w->cap ? w->cap : 1024;
	char *grown;

	if (w->len + more <= w->cap)
		return true;
	while (cap < w->len + more)
		cap *= 2;
	grown = w->oom ? NULL : realloc(w->buf, cap);
	if (!grown) {
		w->oom = true;
		return false;
	}
	w->buf = line.buf = grown;
	w->cap = line.cap = cap;
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (room(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

static void put_char(struct jw *w, char c)
{
	put(w, &c, 1);
}

static void key(struct jw *w, const char *k)
{
	if (!w->first[w->depth])
		put_char(w, ',');
	w->first[w->depth] = false;
	if (!k)
		return;
	put_char(w, '"');
	put(w, k, strlen(k));
	put(w, "\":", 2);
}

static void put_u64(struct jw *w, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, buf + i, sizeof(buf) - i);
}

static void open_level(struct jw *w, char bracket)
{
	put_char(w, bracket);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

void jw_begin(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->buf = line.buf;
	w->cap = line.cap;
	open_level(w, '{');
}

void jw_end(struct jw *w)
{
	jw_close(w, '}');
	put_char(w, '\n');
	if (!w->oom)
		fwrite_unlocked(w->buf, 1, w->len, w->f);
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
	put_char(w, bracket);
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
	put_char(w, '"');
	if (room(w, ESC_JSON_MAX(len)))
		w->len += esc_json(w->buf + w->len, val, len);
	put_char(w, '"');
}

/* Base64 needs no JSON escaping: encode straight into the line. */
void jw_b64(struct jw *w, const char *k, const void *val, size_t len)
{
	key(w, k);
	put_char(w, '"');
	if (room(w, B64_LEN(len) + 1))
		w->len += b64_encode(w->buf + w->len, val, len);
	put_char(w, '"');
}

void jw_u64(struct jw *w, const char *k, uint64_t val)
{
	key(w, k);
	put_u64(w, val);
}

void jw_i64(struct jw *w, const char *k, int64_t val)
{
	key(w, k);
	if (val < 0)
		put_char(w, '-');
	put_u64(w, val < 0 ? -(uint64_t)val : (uint64_t)val);
}

void jw_double(struct jw *w, const char *k, double val)
{
	char buf[32];
	int n;

	key(w, k);
	if (!isfinite(val)) { /* JSON has no NaN or infinity */
		put(w, "null", 4);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.6g", val);
	put(w, buf, (size_t)n);
}

void jw_bool(struct jw *w, const char *k, bool val)
{
	key(w, k);
	put(w, val ? "true" : "false", val ? 4 : 5);
}

void jw_null(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "null", 4);
}
