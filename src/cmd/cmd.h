/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Subcommands, and what they share (cmd.c): option parsing, and the one-line messages with
 * their exit statuses: 0 done, 1 a runtime failure, 2 bad input.
 */
#ifndef SS_CMD_H
#define SS_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/agg.h"
#include "core/opts.h"

struct io_reader;

int cmd_top(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#define CMD_GO (-1)

/*
 * Parses a subcommand's options into o (already given its defaults) and checks them against
 * the system. Returns CMD_GO to carry on, else the exit status (0 after --help, --version or
 * the --list-options dump, 2 on bad input, with the one-line message printed).
 */
int cmd_parse(const char *name, struct opts *o, unsigned groups, const struct cmd_opts *cmd,
	      int argc, char **argv, void (*usage)(FILE *));

/* "sockscope CMD: MSG" on stderr; returns 2 (bad input) or 1 (runtime failure). */
int cmd_usage_error(const char *cmd, const char *msg);
int cmd_fail(const char *cmd, const char *msg);
/* Under -v, tells stderr that collection has begun (tests wait for this line). */
void cmd_ready(const char *cmd, int verbose);
/*
 * Events a stop left unread in a ring buffer (n of them, maybe 0) are lost too, and said so
 * as any loss is: a line on stderr and, in JSON, a "lost" record with reason
 * "unread_at_stop", so that printed + lost stays what the kernel emitted.
 */
void cmd_report_unread(const char *cmd, uint64_t n, bool json);
/* "sockscope VERSION" on stdout, for --version before or after the command. */
void cmd_version(void);

/*
 * The end-of-run report: per process (or name), per connection, the total, and the events
 * lost (the counters' own, plus extra_lost from the caller's event stream). Lists the
 * max_conns busiest connections and folds the others into one row per process. Returns -1
 * when out of memory.
 */
int top_summary(FILE *f, const struct io_reader *io, const struct agg *agg, bool json,
		double seconds, uint64_t extra_lost, size_t max_conns);

#endif
