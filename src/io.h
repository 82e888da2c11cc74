/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of io.bpf.c: loads and attaches the counters, and feeds the kernel's per-CPU
 * slots and records to the accounting (lib/acct.h), which keeps monotonic per-connection and
 * per-process totals (struct ss_conn, struct ss_proc). Used by `top`, `conns` and `serve`.
 */
#ifndef SS_IO_H
#define SS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockscope.h"
#include "lib/acct.h"
#include "lib/htab.h"
#include "opts.h"

struct ss_io;

/* Opens, probes, loads and attaches. Returns NULL with a message in err (exit status 1). */
struct ss_io *ss_io_open(const struct ss_opts *o, char *err, size_t len);
/* The way each hook was attached (for sockscope_attach_info). */
const struct ss_choice *ss_io_choices(const struct ss_io *io, size_t *n);
/* Says under -v what was attached and how. */
void ss_io_describe(const struct ss_io *io, FILE *f);
/* Sleeps up to timeout_ms, handling release notices; returns early on a signal. */
void ss_io_wait(struct ss_io *io, int timeout_ms);
/* Reads the kernel's counters into the connection and process tables. */
int ss_io_sample(struct ss_io *io);
const struct htab *ss_io_conns(const struct ss_io *io);
/* The connection of (sock_id, tgid), sampling once more if it is not known yet. */
const struct ss_conn *ss_io_find(struct ss_io *io, uint64_t sock_id, uint32_t tgid);
const struct htab *ss_io_procs(const struct ss_io *io);
/*
 * How many closed connections to keep listed (the busiest); the rest are folded into their
 * process. Before the first sample.
 */
int ss_io_keep_closed(struct ss_io *io, size_t n);
/* Closed connections stay two more samples before they are weighed (for later lookups). */
void ss_io_linger_closed(struct ss_io *io);
/* Forgets a process that is gone, and its closed connections (serve's --forget-after). */
void ss_io_forget(struct ss_io *io, uint32_t tgid);
/* Events or calls that could not be accounted (kernel table full, notices dropped). */
uint64_t ss_io_lost(const struct ss_io *io);
void ss_io_close(struct ss_io *io);
/* The capability (loader.h): doctor loads it as ss_io_open would, and lists its hooks. */
struct ld_cap;
extern const struct ld_cap ss_io_cap;

#endif
