/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of io.bpf.c: loads and attaches the counters, and feeds the kernel's per-CPU
 * slots and records to the accounting (core/acct.h), which keeps monotonic per-connection and
 * per-process totals (struct sock_acct, struct proc_acct). Used by `top`, `conns` and `serve`.
 */
#ifndef SS_IO_H
#define SS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockscope.h"
#include "core/acct.h"
#include "core/htab.h"
#include "core/opts.h"

struct io_reader;

/* Opens, probes, loads and attaches. Returns NULL with a message in err (exit status 1). */
struct io_reader *io_open(const struct opts *o, char *err, size_t len);
/* The way each hook was attached (for sockscope_attach_info). */
const struct hook_choice *io_choices(const struct io_reader *io, size_t *n);
/* Says under -v what was attached and how. */
void io_describe(const struct io_reader *io, FILE *f);
/* Sleeps up to timeout_ms, handling release notices; returns early on a signal. */
void io_wait(struct io_reader *io, int timeout_ms);
/* Reads the kernel's counters into the connection and process tables. */
int io_sample(struct io_reader *io);
const struct htab *io_socks(const struct io_reader *io);
/* The connection of (sock_id, tgid), sampling once more if it is not known yet. */
const struct sock_acct *io_find(struct io_reader *io, uint64_t sock_id, uint32_t tgid);
const struct htab *io_procs(const struct io_reader *io);
/*
 * How many closed connections to keep listed (the busiest); the rest are folded into their
 * process. Before the first sample.
 */
int io_keep_closed(struct io_reader *io, size_t n);
/* Closed connections stay two more samples before they are weighed (for later lookups). */
void io_linger_closed(struct io_reader *io);
/* Forgets a process that is gone, and its closed connections (serve's --forget-after). */
void io_forget(struct io_reader *io, uint32_t tgid);
/* Events or calls that could not be accounted (kernel table full, notices dropped). */
uint64_t io_lost(const struct io_reader *io);
void io_close(struct io_reader *io);
/* The capability (attach/capability.h): doctor loads it as io_open would, and lists its hooks. */
struct capability;
extern const struct capability io_cap;

#endif
