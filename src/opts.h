/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options shared by the subcommands, and their parsing. Parsing is pure (no
 * kernel, no /proc) so that every bad input can be unit-tested; checks against the running
 * system (does this PID exist?) live in opts_check().
 */
#ifndef SS_OPTS_H
#define SS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/types.h>

#include "sockscope.h"
#include "probe.h"

/* Which groups of common options a subcommand takes. */
#define OPTS_FILTER (1u << 0) /* -p -c --cgroup -4 -6 --tcp --udp -s -d */
#define OPTS_TIMING (1u << 1)   /* --count --duration */
#define OPTS_OUTPUT (1u << 2)   /* --json */
#define OPTS_INTERVAL (1u << 3) /* -i */
#define OPTS_SUMMARY (1u << 4)  /* --max-conns */
#define OPTS_TCP_ONLY (1u << 5) /* help only: the command is about TCP, --udp is refused */

/* Connections the end-of-run summary lists by default; the rest are folded per process. */
#define OPTS_MAX_CONNS 1000

struct ss_opts {
	struct ss_filter filt;
	uint32_t *pids;
	size_t npids;
	const char *cgroup_path;
	double interval; /* seconds */
	bool interval_set; /* -i given */
	uint64_t count;	 /* intervals (or events, per subcommand); 0 = no limit */
	double duration; /* seconds; 0 = no limit */
	bool json;
	int verbose;
	enum ss_mode attach;
	uint32_t max_sockets;
	uint32_t max_conns; /* closed connections kept and listed in the summary */
	uint8_t families; /* -4 / -6 given: bit 0 / bit 1 */
	uint8_t protos;	  /* --tcp / --udp given: bit 0 / bit 1 */
};

/* A subcommand's own options: getopt entries plus a handler returning 0 or -1 (err set). */
struct ss_cmd_opts {
	const char *shortopts;
	const struct option *longopts;
	int (*handle)(int opt, const char *arg, void *ctx, char *err, size_t len);
	void *ctx;
};

void opts_init(struct ss_opts *o);
void opts_free(struct ss_opts *o);

enum { OPTS_HELP = 1, OPTS_VERSION = 2 };

/*
 * Parses argv (argv[0] is the subcommand name). Returns 0 on success, OPTS_HELP or
 * OPTS_VERSION when that was asked (nothing else done), -1 on bad input with a one-line
 * message in err.
 */
int opts_parse(struct ss_opts *o, unsigned groups, const struct ss_cmd_opts *cmd, int argc,
	       char **argv, char *err, size_t len);

int opts_parse_pids(struct ss_opts *o, const char *arg, char *err, size_t len);
int opts_parse_port(const char *arg, const char *what, uint16_t *port, char *err, size_t len);
int opts_parse_seconds(const char *arg, const char *what, double *out, char *err, size_t len);
int opts_parse_uint(const char *arg, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t len);
int opts_parse_comm(struct ss_opts *o, const char *arg, char *err, size_t len);

/* arg itself, or when longer than an error should echo, its start and length in buf. */
const char *opts_quote(char *buf, size_t len, const char *arg);

/* Checks against the running system: every PID exists, the cgroup is a directory. */
int opts_check(const struct ss_opts *o, char *err, size_t len);

/*
 * Help text of the common option groups, for subcommand usage messages; the default interval
 * and what --count counts vary by command.
 */
void opts_usage(FILE *f, unsigned groups, double interval, const char *count_of);

#endif
