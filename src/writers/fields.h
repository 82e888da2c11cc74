/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output fields declared once. A record type (what a JSON object's "type" names, and the
 * table view of the same thing) is an array of fields: JSON key, table header, type, unit
 * and table width. The writers here walk that array, so the JSON object, the table's header
 * and its rows cannot disagree on names, order or widths; --sort takes its names from it,
 * and a unit test compares every record type with the examples in docs/json.md.
 *
 * A command gives the values through a getter: one call per field written, so that only
 * what a view shows is formatted (trace writes a million rows a second).
 */
#ifndef SS_FIELDS_H
#define SS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "writers/json.h"

enum field_type {
	FT_U64,
	FT_I64,
	FT_DOUBLE,
	FT_BOOL,
	FT_STR,	 /* our own text (names of states, syscalls, addresses) */
	FT_NAME, /* untrusted bytes (a process name): escaped in JSON and in the table */
	FT_B64,	 /* raw bytes, base64 in JSON */
};

/* What a number counts; FU_ID marks identities (PIDs, ports), which sort ascending. */
enum field_unit { FU_NONE, FU_ID, FU_BYTES, FU_CALLS, FU_PACKETS, FU_NS, FU_US, FU_MS, FU_S };

/* How a number is written in a table cell. */
enum field_fmt {
	FF_PLAIN,     /* decimal, or the text as is */
	FF_BYTES,     /* fmt_bytes: "15.0 KiB" */
	FF_COUNT,     /* fmt_count: "123k" */
	FF_THOUSANDS, /* fmt_thousands: "15,360" */
};

struct field {
	const char *key;    /* JSON key; NULL for a column of the table view only */
	const char *header; /* table header; NULL when the table does not show it */
	enum field_type type;
	enum field_unit unit;
	int width;	    /* table cell, as printf's: negative is left-aligned, 0 unpadded */
	enum field_fmt fmt;
	int gap;	    /* spaces before the cell (0 means the usual 1) */
};

struct record {
	const char *type;	     /* the JSON "type"; NULL for a part of other records */
	const char *cmds;	     /* the commands that write it */
	const struct record *base;   /* fields written before these ones (events' common part) */
	const struct field *fields;  /* in JSON order */
	size_t nfields;
	const uint8_t *table;	     /* the table view's columns, in order (field indices) */
	size_t ntable;
};

/* One value, as the getter gives it: u for FT_U64/FT_BOOL, i, d, or s and len. */
struct fval {
	uint64_t u;
	int64_t i;
	double d;
	const char *s;
	size_t len;
};

/* row is the command's; a getter may format into it (a value is used before the next call). */
typedef void field_get(void *row, int field, struct fval *out);

/* A bit per field index: fields a row or view leaves out. */
#define FIELD_BIT(i) (1ULL << (i))

/* Starts an object of r's type: {"type":"...". */
void fields_begin(struct jw *w, FILE *f, const struct record *r);
/* Writes r's own fields (not its base's) but those in hide, in order. */
void fields_json(struct jw *w, const struct record *r, uint64_t hide, field_get *get,
		 void *row);
/* The table view's header line, and one row. */
void fields_header(FILE *f, const struct record *r, uint64_t hide);
void fields_row(FILE *f, const struct record *r, uint64_t hide, field_get *get, void *row);

/* Index of the field with JSON key k in r, or -1. */
int field_index(const struct record *r, const char *k);

#endif
