/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the unit tests: cmocka's required includes, and capture of what a
 * FILE-writing function prints, so that writers (JSON, escaping) can be compared with the exact
 * text expected.
 */
#ifndef SS_TEST_CAPTURE_H
#define SS_TEST_CAPTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* An in-memory FILE; capture_end() closes it and returns the text (free it). */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline FILE *capture_begin(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

static inline char *capture_end(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

#endif
