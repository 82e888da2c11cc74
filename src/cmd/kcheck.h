/* SPDX-License-Identifier: GPL-2.0 */
/* `top --check-kernel`: per-call sums against each TCP socket's own records (kcheck.c). */
#ifndef SS_KCHECK_H
#define SS_KCHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "readers/io.h"

struct kcheck;

/* Loads conns' socket iterator and notes the sockets that predate us (not checked). */
struct kcheck *kcheck_open(const struct opts *o, char *err, size_t len);
/* Compares each settled socket; prints a line (or JSON object) for each new disagreement. */
int kcheck_run(struct kcheck *k, const struct htab *conns, FILE *f, bool json);
void kcheck_summary(const struct kcheck *k, FILE *f, bool json);
void kcheck_close(struct kcheck *k);

#endif
