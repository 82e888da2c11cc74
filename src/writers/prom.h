/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition format (0.0.4), or OpenMetrics 1.0 when openmetrics is set,
 * written into a growing buffer with no I/O, so that what an exporter serves can be
 * unit-tested. Label values go through esc_prom.
 */
#ifndef SS_PROM_H
#define SS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom {
	char *buf;
	size_t len, cap;
	bool oom;
	bool openmetrics;
};

struct prom_label {
	const char *name;
	const char *value; /* untrusted bytes */
	size_t len;	   /* of value; SIZE_MAX for a NUL-terminated value */
};

void prom_init(struct prom *p, bool openmetrics);
/* Ends the exposition (OpenMetrics requires "# EOF"). */
void prom_end(struct prom *p);
void prom_free(struct prom *p);
/*
 * "# HELP name help" and "# TYPE name type", for the family of samples called name. In
 * OpenMetrics a counter family drops its samples' "_total", and type "info" (samples ending
 * in "_info") is kept; in 0.0.4, "info" is written as a gauge.
 */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);
void prom_u64(struct prom *p, const char *name, const struct prom_label *labels, size_t n,
	      uint64_t value);
void prom_double(struct prom *p, const char *name, const struct prom_label *labels, size_t n,
		 double value);

#endif
