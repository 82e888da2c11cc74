/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON writer for one-object-per-line output (jq-friendly). Keys are ours and
 * trusted; string values go through esc_json, so untrusted bytes are always safe. A line is
 * built in memory and written at once: trace prints over a million of them a second.
 */
#ifndef SS_JSON_H
#define SS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 8

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];
	char *buf; /* the line so far (shared by all writers of a thread) */
	size_t len, cap;
	bool oom;
};

void jw_begin(struct jw *w, FILE *f);	/* starts a top-level object */
void jw_end(struct jw *w);		/* ends it, with a newline */
void jw_obj(struct jw *w, const char *key); /* nested object (key NULL inside arrays) */
void jw_arr(struct jw *w, const char *key);
void jw_close(struct jw *w, char bracket); /* '}' or ']' */
void jw_str(struct jw *w, const char *key, const char *val);
void jw_bytes(struct jw *w, const char *key, const void *val, size_t len);
void jw_b64(struct jw *w, const char *key, const void *val, size_t len); /* val as base64 */
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);

#endif
