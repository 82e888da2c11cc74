// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the output field tables (src/writers/records.c) and their writers: each table
 * view's header and a row are byte for byte what the hand-written printf of each command
 * printed before the tables drove them; JSON keys come in table order; the tables are sound
 * (keys unique, every column headed, --sort's names known); and every record type matches
 * its examples in docs/json.md, key for key, both ways.
 */
#include "capture.h"

#include <stdbool.h>
#include <string.h>

#include "writers/fields.h"
#include "writers/fmt.h"
#include "writers/records.h"
#include "writers/table.h"

static struct capture cap;

static void text_is(const char *want)
{
	char *got = capture_end(&cap);

	assert_string_equal(got, want);
	free(got);
}

static void header_is(const struct record *r, uint64_t hide, const char *want)
{
	fields_header(capture_begin(&cap), r, hide);
	text_is(want);
}

/* The headers the commands printed with printf before the tables drove them. */
static void test_headers(void **state)
{
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "%7s %-15s %10s %10s %5s %5s %10s %10s\n", "PID", "COMM",
		 "SENT", "RECV", "SEND#", "RECV#", "TOTAL SENT", "TOTAL RECV");
	header_is(&rec_interval, FIELD_BIT(TI_PROCESSES), want);
	snprintf(want, sizeof(want), "%7s %-15s %15s %9s %15s %9s\n", "PROCS", "COMM",
		 "SENT BYTES", "CALLS", "RECV BYTES", "CALLS");
	header_is(&rec_summary, FIELD_BIT(SP_PID), want);
	snprintf(want, sizeof(want), "%7s %-15s %-5s %-47s %13s %13s\n", "PID", "COMM", "PROTO",
		 "LOCAL -> REMOTE", "SENT BYTES", "RECV BYTES");
	header_is(&rec_connection, 0, want);
	for (int ns = 0; ns < 2; ns++) {
		snprintf(want, sizeof(want), "%-*s %-4s %-7s %-15s %-9s %7s  %s\n", ns ? 16 : 12,
			 "TIME", "DIR", "PID", "COMM", "SYSCALL", "BYTES", "CONNECTION");
		header_is(&rec_event, FIELD_BIT(ns ? TE_CLOCK : TE_TS_NS), want);
	}
	snprintf(want, sizeof(want), "%7s %-15s %-6s %-11s %7s %-45s %10s %10s\n", "PID", "COMM",
		 "ROLE", "STATE", "AGE", "LOCAL -> REMOTE", "ACKED", "RECEIVED");
	header_is(&rec_conn, 0, want);
}

/* A row of made-up values: numbers from the field index, texts named after the header. */
static void fake_value(void *row, int field, struct fval *v)
{
	const struct record *r = row;
	const struct field *fl = &r->fields[field];

	v->u = 1000 * (uint64_t)(field + 1) + 7;
	v->i = -(int64_t)v->u;
	v->s = fl->header ? fl->header : fl->key;
	v->len = strlen(v->s);
}

static void row_is(const struct record *r, uint64_t hide, const char *want)
{
	fields_row(capture_begin(&cap), r, hide, fake_value, (void *)r);
	text_is(want);
}

#define V(i) (1000 * (uint64_t)((i) + 1) + 7)

static const char *B(char *buf, uint64_t v)
{
	return fmt_bytes(buf, 32, v);
}

static const char *T(char *buf, uint64_t v)
{
	return fmt_thousands(buf, 32, v);
}

/* Rows as the commands' printf wrote them: widths, alignment, gaps and number formats. */
static void test_rows(void **state)
{
	char want[512], a[32], b[32], c[32], d[32], e[32], g[32];

	(void)state;
	snprintf(want, sizeof(want), "%7u %-15s %10s %10s %5s %5s %10s %10s\n",
		 (unsigned)V(TI_PID), "COMM", B(a, V(TI_SENT_BYTES)), B(b, V(TI_RECV_BYTES)),
		 fmt_count(c, 32, V(TI_SENT_CALLS)), fmt_count(d, 32, V(TI_RECV_CALLS)),
		 B(e, V(TI_TOTAL_SENT)), B(g, V(TI_TOTAL_RECV)));
	row_is(&rec_interval, FIELD_BIT(TI_PROCESSES), want);
	snprintf(want, sizeof(want), "%7u %-15s %15s %9s %15s %9s\n", (unsigned)V(SP_PID), "COMM",
		 T(a, V(SP_SENT_BYTES)), T(b, V(SP_SENT_CALLS)), T(c, V(SP_RECV_BYTES)),
		 T(d, V(SP_RECV_CALLS)));
	row_is(&rec_summary, FIELD_BIT(SP_PROCESSES), want);
	snprintf(want, sizeof(want), "%7u %-15s %-5s %-47s %13s %13s\n", (unsigned)V(SC_PID),
		 "COMM", "PROTO", "LOCAL -> REMOTE", T(a, V(SC_SENT_BYTES)),
		 T(b, V(SC_RECV_BYTES)));
	row_is(&rec_connection, 0, want);
	snprintf(want, sizeof(want), "%-*s %-4s %-7u %-15s %-9s %7lld  %s\n", 12, "TIME", "DIR",
		 (unsigned)V(TE_PID), "COMM", "SYSCALL", -(long long)V(TE_BYTES), "CONNECTION");
	row_is(&rec_event, FIELD_BIT(TE_TS_NS), want);
	snprintf(want, sizeof(want), "%-*llu %-4s %-7u %-15s %-9s %7lld  %s\n", 16,
		 (unsigned long long)V(TE_TS_NS), "DIR", (unsigned)V(TE_PID), "COMM", "SYSCALL",
		 -(long long)V(TE_BYTES), "CONNECTION");
	row_is(&rec_event, FIELD_BIT(TE_CLOCK), want);
	snprintf(want, sizeof(want), "%7u %-15s %-6s %-11s %7s %-45s %10s %10s\n",
		 (unsigned)V(CN_PID), "COMM", "ROLE", "STATE", "AGE", "LOCAL -> REMOTE",
		 B(a, V(CN_BYTES_ACKED)), B(b, V(CN_BYTES_RECEIVED)));
	row_is(&rec_conn, 0, want);
	snprintf(want, sizeof(want), "%-12s %-7u %-15s %-10s %s  %s\n", "TIME", (unsigned)V(CE_PID),
		 "COMM", "TYPE", "CONNECTION", "DETAIL");
	row_is(&rec_conn_event, 0, want);
}

static const char *cell_name;

static void cell_value(void *row, int field, struct fval *v)
{
	(void)row;
	v->s = field == 0 ? cell_name : "getsockopt";
	v->len = strlen(v->s);
}

/* A process name is escaped and cut to its column; our own text is never cut. */
static void test_cells(void **state)
{
	static const struct field cols[] = {
		{ "comm", "COMM", FT_NAME, FU_NONE, -6, FF_PLAIN, 0 },
		{ "syscall", "SYSCALL", FT_STR, FU_NONE, -2, FF_PLAIN, 0 },
	};
	static const uint8_t order[] = { 0, 1 };
	const struct record r = { "t", "test", NULL, cols, 2, order, 2 };

	(void)state;
	cell_name = "a\tbcdefgh";
	fields_row(capture_begin(&cap), &r, 0, cell_value, NULL);
	text_is("a\\x09b getsockopt\n");
}

static void json_value(void *row, int field, struct fval *v)
{
	(void)row;
	v->u = (uint64_t)field;
	v->i = -(int64_t)field;
	v->d = field + 0.5;
	v->s = "x\"y";
	v->len = 3;
}

/* Keys in table order, each type written its way; hidden and table-only fields left out. */
static void test_json(void **state)
{
	struct jw w;

	(void)state;
	fields_begin(&w, capture_begin(&cap), &rec_total);
	fields_json(&w, &rec_total, FIELD_BIT(ST_LISTED), json_value, NULL);
	jw_end(&w);
	text_is("{\"type\":\"total\",\"sent_bytes\":0,\"recv_bytes\":1,\"sent_calls\":2,"
		"\"recv_calls\":3,\"connections\":4,\"max_conns\":6,\"lost_events\":7,"
		"\"duration_seconds\":8.5}\n");
	fields_begin(&w, capture_begin(&cap), &rec_ev_state);
	fields_json(&w, &rec_ev_state, 0, json_value, NULL);
	jw_end(&w);
	text_is("{\"type\":\"state\",\"old_state\":\"x\\\"y\",\"new_state\":\"x\\\"y\","
		"\"ms_in_old_state\":2.5}\n");
	record_lost(capture_begin(&cap), 12, "ring_full");
	text_is("{\"type\":\"lost\",\"count\":12,\"reason\":\"ring_full\"}\n");
}

static void json_is(const struct record *r, uint64_t hide, const char *want)
{
	struct jw w;

	fields_begin(&w, capture_begin(&cap), r);
	fields_json(&w, r, hide, json_value, NULL);
	jw_end(&w);
	text_is(want);
}

/*
 * The records doctor and top --check-kernel wrote by hand before their tables: keys in the
 * order they had, and "why" only when something fails.
 */
static void test_json_was_by_hand(void **state)
{
	(void)state;
	json_is(&rec_kernel_check, 0,
		"{\"type\":\"kernel_check\",\"pid\":0,\"local\":\"x\\\"y\",\"remote\":\"x\\\"y\","
		"\"recv_bytes\":3,\"kernel_recv_bytes\":4,\"sent_bytes\":5,\"kernel_sent_bytes\":6}\n");
	json_is(&rec_kernel_check_total, 0,
		"{\"type\":\"kernel_check_total\",\"checked\":0,\"disagree\":1}\n");
	json_is(&rec_machine, 0,
		"{\"type\":\"machine\",\"kernel\":\"x\\\"y\",\"arch\":\"x\\\"y\",\"btf\":true,"
		"\"uid\":3,\"cap_bpf\":true,\"cap_perfmon\":true,\"cap_net_admin\":true,"
		"\"cap_sys_admin\":true,\"tracefs\":\"x\\\"y\",\"bpffs\":\"x\\\"y\","
		"\"cgroup2\":\"x\\\"y\"}\n");
	json_is(&rec_hook, FIELD_BIT(HK_WHY),
		"{\"type\":\"hook\",\"commands\":\"x\\\"y\",\"hook\":\"x\\\"y\","
		"\"mode\":\"x\\\"y\",\"works\":true,\"used\":true}\n");
	json_is(&rec_object, 0,
		"{\"type\":\"object\",\"object\":\"x\\\"y\",\"commands\":\"x\\\"y\","
		"\"loads\":true,\"why\":\"x\\\"y\"}\n");
}

static void record_is_sound(const struct record *r)
{
	for (size_t i = 0; i < r->nfields; i++) {
		const struct field *f = &r->fields[i];

		/* a field is written somewhere, and a key once */
		assert_true(f->key || f->header);
		for (size_t j = 0; f->key && j < i; j++)
			if (r->fields[j].key)
				assert_string_not_equal(f->key, r->fields[j].key);
	}
	assert_true(r->nfields <= 64); /* FIELD_BIT */
	for (size_t i = 0; i < r->ntable; i++) {
		assert_true(r->table[i] < r->nfields);
		assert_non_null(r->fields[r->table[i]].header);
	}
}

static void test_tables_sound(void **state)
{
	(void)state;
	for (size_t i = 0; records[i]; i++) {
		assert_non_null(records[i]->type);
		record_is_sound(records[i]);
	}
	record_is_sound(&rec_conn_event);
	for (size_t i = 0; i < conn_nsort; i++) {
		const struct field *f = &rec_conn.fields[conn_sort_fields[i]];

		assert_non_null(f->key);
		assert_true(f->type == FT_U64 || f->type == FT_STR || f->type == FT_NAME);
	}
}

static const struct record *record_of(const char *type)
{
	for (size_t i = 0; records[i]; i++)
		if (!strcmp(records[i]->type, type))
			return records[i];
	return NULL;
}

/* Whether r (or the base it extends) writes key k. */
static bool writes(const struct record *r, const char *k)
{
	return field_index(r, k) >= 0 || (r->base && writes(r->base, k));
}

#define MAX_DOC_KEYS 64

/* The keys of one type, over all its examples in the docs. */
struct doc_type {
	const struct record *r;
	const char *keys[MAX_DOC_KEYS];
	size_t n;
};

static char *read_docs(void)
{
	const char *path = getenv("SOCKSCOPE_JSON_DOC") ? getenv("SOCKSCOPE_JSON_DOC")
							: "docs/json.md";
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 1 << 20);

	if (!f)
		fail_msg("cannot open %s (run from the top of the tree)", path);
	assert_non_null(text);
	fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	return text;
}

/* Next "key": in [p, end), NUL-terminated in place; NULL when none is left. */
static char *next_key(char **p, const char *end)
{
	while (*p < end) {
		char *k = strchr(*p, '"'), *q;

		if (!k || k >= end)
			return NULL;
		q = k + 1 + strspn(k + 1, "abcdefghijklmnopqrstuvwxyz_0123456789");
		*p = q;
		if (q > k + 1 && q[0] == '"' && q[1] == ':') {
			*q = '\0';
			*p = q + 2;
			return k + 1;
		}
		if (*q == '"')
			*p = q + 1; /* a value: skip past its closing quote */
	}
	return NULL;
}

/* One example object: each key one the code writes, and added to its type's keys. */
static void doc_example(struct doc_type *d, char *p, const char *end, const char *type)
{
	char *k;

	while ((k = next_key(&p, end))) {
		if (!writes(d->r, k))
			fail_msg("docs/json.md: \"%s\" example has key \"%s\", which the code's "
				 "table (src/writers/records.c) does not write", type, k);
		if (d->n < MAX_DOC_KEYS)
			d->keys[d->n++] = k;
	}
}

static void doc_covers(const struct doc_type *d, const struct record *r)
{
	for (size_t i = 0; i < r->nfields; i++) {
		bool found = false;

		if (!r->fields[i].key)
			continue;
		for (size_t j = 0; j < d->n && !found; j++)
			found = !strcmp(d->keys[j], r->fields[i].key);
		if (!found)
			fail_msg("docs/json.md: no \"%s\" example shows key \"%s\", which the code "
				 "writes", d->r->type, r->fields[i].key);
	}
	if (r->base)
		doc_covers(d, r->base);
}

/* Every example {"type":"X",...} in docs/json.md, against record X, both ways. */
static void test_docs_match_tables(void **state)
{
	static struct doc_type docs[32];
	char *text = read_docs(), *p = text, type[40];
	size_t n = 0;

	(void)state;
	for (size_t i = 0; records[i]; i++)
		docs[n++].r = records[i];
	while ((p = strstr(p, "{\"type\":\""))) {
		char *end = strchr(p, '}');
		const struct record *r;

		assert_non_null(end);
		p += strlen("{\"type\":\"");
		snprintf(type, sizeof(type), "%.*s", (int)strcspn(p, "\""), p);
		p += strlen(type) + 1;
		r = record_of(type);
		if (!r)
			fail_msg("docs/json.md: type \"%s\" has no record in the code", type);
		for (size_t i = 0; i < n; i++)
			if (docs[i].r == r)
				doc_example(&docs[i], p, end, type);
		p = end;
	}
	for (size_t i = 0; i < n; i++)
		doc_covers(&docs[i], docs[i].r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),	     cmocka_unit_test(test_rows),
		cmocka_unit_test(test_cells),	     cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_was_by_hand),
		cmocka_unit_test(test_tables_sound), cmocka_unit_test(test_docs_match_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
