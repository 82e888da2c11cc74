/* SPDX-License-Identifier: GPL-2.0 */
/* Plain-text tables: cells padded by display width, untrusted text escaped on the way in. */
#ifndef SS_TABLE_H
#define SS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Call once: lets valid UTF-8 names through escaping when the terminal's locale is UTF-8. */
void table_init_locale(void);
bool table_utf8(void);

/* Escapes an untrusted name (no NUL needed: len bytes at most) for a table cell. */
char *table_name(char *dst, size_t dstlen, const char *src, size_t len);

/*
 * Writes s in a cell of width columns (left or right aligned), cut to fit; the caller holds
 * f's lock (flockfile), as for table_spaces.
 */
void table_cell(FILE *f, const char *s, int width, bool left);
/*
 * n spaces, without taking f's lock: the callers that write a row cell by cell hold it for
 * the whole row (flockfile), as the many small writes of a row would otherwise each take it.
 */
void table_spaces(FILE *f, size_t n);

/* Terminal rows of f, or 0 when f is not a terminal. */
int table_rows(FILE *f);

#endif
