// SPDX-License-Identifier: GPL-2.0
/* Writers driven by the field tables: see fields.h. */
#include "writers/fields.h"
#include "writers/fmt.h"
#include "writers/table.h"

#include <stdlib.h>
#include <string.h>

void fields_begin(struct jw *w, FILE *f, const struct record *r)
{
	jw_begin(w, f);
	jw_str(w, "type", r->type);
}

static void json_value(struct jw *w, const struct field *fl, const struct fval *v)
{
	switch (fl->type) {
	case FT_U64:
		jw_u64(w, fl->key, v->u);
		break;
	case FT_I64:
		jw_i64(w, fl->key, v->i);
		break;
	case FT_DOUBLE:
		jw_double(w, fl->key, v->d);
		break;
	case FT_BOOL:
		jw_bool(w, fl->key, v->u != 0);
		break;
	case FT_STR:
	case FT_NAME:
		jw_bytes(w, fl->key, v->s, v->len);
		break;
	case FT_B64:
		jw_b64(w, fl->key, v->s, v->len);
		break;
	}
}

void fields_json(struct jw *w, const struct record *r, uint64_t hide, field_get *get,
		 void *row)
{
	for (size_t i = 0; i < r->nfields; i++) {
		const struct field *fl = &r->fields[i];
		struct fval v = { 0 };

		if (!fl->key || (hide & FIELD_BIT(i)))
			continue;
		get(row, (int)i, &v);
		if (fl->type == FT_STR)
			v.len = strlen(v.s);
		json_value(w, fl, &v);
	}
}

/* Pads s to the cell's width; not cut, as printf's "%*s" (our own text fits its column). */
static void pad(FILE *f, const char *s, int width)
{
	size_t n = strlen(s), want = (size_t)(width < 0 ? -width : width);
	size_t fill = n < want ? want - n : 0;

	if (width > 0)
		table_spaces(f, fill);
	fwrite_unlocked(s, 1, n, f);
	if (width < 0)
		table_spaces(f, fill);
}

static const char *number_text(char *buf, size_t len, const struct field *fl, uint64_t u)
{
	switch (fl->fmt) {
	case FF_BYTES:
		return fmt_bytes(buf, len, u);
	case FF_COUNT:
		return fmt_count(buf, len, u);
	case FF_THOUSANDS:
		return fmt_thousands(buf, len, u);
	default:
		snprintf(buf, len, "%llu", (unsigned long long)u);
		return buf;
	}
}

/* A cell's text; a process name escaped, and cut to its width by table_cell. */
static const char *cell_text(char *buf, size_t len, const struct field *fl, const struct fval *v)
{
	switch (fl->type) {
	case FT_I64:
		snprintf(buf, len, "%lld", (long long)v->i);
		return buf;
	case FT_DOUBLE:
		snprintf(buf, len, "%.1f", v->d);
		return buf;
	case FT_STR:
		return v->s;
	case FT_NAME:
		return table_name(buf, len, v->s, v->len);
	default:
		return number_text(buf, len, fl, v->u);
	}
}

static void gap(FILE *f, const struct field *fl, size_t col)
{
	table_spaces(f, col ? (fl->gap ? fl->gap : 1) : 0);
}

void fields_header(FILE *f, const struct record *r, uint64_t hide)
{
	size_t col = 0;

	flockfile(f); /* one lock for the row's many writes (table_spaces) */
	for (size_t i = 0; i < r->ntable; i++) {
		const struct field *fl = &r->fields[r->table[i]];

		if (hide & FIELD_BIT(r->table[i]))
			continue;
		gap(f, fl, col++);
		pad(f, fl->header, fl->width);
	}
	fputc_unlocked('\n', f);
	funlockfile(f);
}

void fields_row(FILE *f, const struct record *r, uint64_t hide, field_get *get, void *row)
{
	size_t col = 0;
	char buf[256];
	const char *text;

	flockfile(f); /* one lock for the row's many writes (table_spaces) */
	for (size_t i = 0; i < r->ntable; i++) {
		const struct field *fl = &r->fields[r->table[i]];
		struct fval v = { 0 };

		if (hide & FIELD_BIT(r->table[i]))
			continue;
		get(row, r->table[i], &v);
		gap(f, fl, col++);
		text = cell_text(buf, sizeof(buf), fl, &v);
		if (fl->type == FT_NAME) /* untrusted: cut to its columns, by display width */
			table_cell(f, text, abs(fl->width), fl->width < 0);
		else
			pad(f, text, fl->width);
	}
	fputc_unlocked('\n', f);
	funlockfile(f);
}

int field_index(const struct record *r, const char *k)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (r->fields[i].key && !strcmp(r->fields[i].key, k))
			return (int)i;
	return -1;
}
