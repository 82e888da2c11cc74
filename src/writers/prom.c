// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition: see prom.h. */
#include "writers/prom.h"
#include "writers/escape.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_init(struct prom *p, bool openmetrics)
{
	memset(p, 0, sizeof(*p));
	p->openmetrics = openmetrics;
}

void prom_free(struct prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static bool reserve(struct prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *grown;

	if (p->oom)
		return false;
	if (p->len + more + 1 <= p->cap)
		return true;
	while (cap < p->len + more + 1)
		cap *= 2;
	grown = realloc(p->buf, cap);
	if (!grown) {
		p->oom = true;
		return false;
	}
	p->buf = grown;
	p->cap = cap;
	return true;
}

static void put(struct prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(p, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(p->buf + p->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->len += (size_t)n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	int n = (int)strlen(name);

	if (!p->openmetrics && !strcmp(type, "info"))
		type = "gauge";
	if (p->openmetrics && !strcmp(type, "counter") && ends_with(name, "_total"))
		n -= 6;
	if (p->openmetrics && !strcmp(type, "info") && ends_with(name, "_info"))
		n -= 5;
	put(p, "# HELP %.*s %s\n# TYPE %.*s %s\n", n, name, help, n, name, type);
}

void prom_end(struct prom *p)
{
	if (p->openmetrics)
		put(p, "# EOF\n");
}

/* name{a="x",b="y"} with each value escaped; a value may take 3 bytes per input byte. */
static void series(struct prom *p, const char *name, const struct prom_label *l, size_t n)
{
	put(p, "%s", name);
	for (size_t i = 0; i < n; i++) {
		size_t len = l[i].len == SIZE_MAX ? strlen(l[i].value) : l[i].len;

		put(p, "%s%s=\"", i ? "," : "{", l[i].name);
		if (!reserve(p, 3 * len))
			return;
		p->len += esc_prom(p->buf + p->len, 3 * len + 1, l[i].value, len);
		put(p, "\"");
	}
	if (n)
		put(p, "}");
}

void prom_u64(struct prom *p, const char *name, const struct prom_label *labels, size_t n,
	      uint64_t value)
{
	series(p, name, labels, n);
	put(p, " %" PRIu64 "\n", value);
}

void prom_double(struct prom *p, const char *name, const struct prom_label *labels, size_t n,
		 double value)
{
	series(p, name, labels, n);
	put(p, " %.9g\n", value);
}
