/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options: the groups the subcommands share, each subcommand's own, both
 * declared as tables (struct opt_def), and the parsing, --help and --list-options made from
 * them. Parsing is pure (no kernel, no /proc) so that every bad input can be unit-tested;
 * checks against the running system (does this PID exist?) live in opts_check().
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
#include "core/attach_mode.h"

/* Which groups of common options a subcommand takes. */
#define OPTS_FILTER (1u << 0) /* -p -c --cgroup -4 -6 --tcp --udp -s -d --attach ... */
#define OPTS_TIMING (1u << 1)   /* --count --duration */
#define OPTS_OUTPUT (1u << 2)   /* --json */
#define OPTS_INTERVAL (1u << 3) /* -i */
#define OPTS_SUMMARY (1u << 4)  /* --max-conns */
#define OPTS_TCP_ONLY (1u << 5) /* about TCP: --tcp, --udp parsed (to refuse --udp), not offered */

/* Connections the end-of-run summary lists by default; the rest are folded per process. */
#define OPTS_MAX_CONNS 1000

struct opts {
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
	enum attach_mode attach;
	uint32_t max_sockets;
	uint32_t max_conns; /* closed connections kept and listed in the summary */
	uint8_t families; /* -4 / -6 given: bit 0 / bit 1 */
	uint8_t protos;	  /* --tcp / --udp given: bit 0 / bit 1 */
};

/*
 * One option, declared once: this entry drives getopt, the typed parse with its range check
 * and one-line error, --help, and the --list-options dump that the docs test compares with the
 * man page and the bash completion. Its value lands at off in the struct the table belongs to
 * (struct opts for the shared groups, the command's own struct for its options). A new
 * option also goes in docs/sockscope.8 and contrib/sockscope.bash: test_docs fails until then.
 */
enum opt_type {
	OA_FLAG,    /* no value: sets a bool (or any unsigned) to 1 */
	OA_COUNTER, /* no value: adds one to an int (-v -v) */
	OA_UINT,    /* an integer from min to max; what names it in errors */
	OA_PORT,    /* an integer from 1 to 65535 */
	OA_SECONDS, /* a positive number of seconds, fractions allowed, into a double */
	OA_STRING,  /* stored as given (argv outlives the command) */
	OA_ENUM,    /* one of choices; stores values[i], or i without values */
	OA_ACTION,  /* no value: parse(field, NULL) */
	OA_CUSTOM,  /* a value that parse() checks and stores */
	OA_HELP,    /* -h: opts_parse returns OPTS_HELP */
	OA_VERSION, /* -V: OPTS_VERSION */
	OA_LIST,    /* --list-options: OPTS_LIST */
};

#define OPTF_OPTIONAL (1u << 0) /* the value is optional and only after '=' (--payload[=N]) */
#define OPTF_PAIR     (1u << 1) /* one help line for this option and the next (-4 / -6) */
#define OPTF_PROTO    (1u << 2) /* --tcp, --udp: not offered where the command is TCP only */
#define OPTF_INTERNAL (1u << 3) /* for tools: not in --help, the dump or the docs */
#define OPTS_ALWAYS   (~0u)	/* group of the options every command takes (-v -h -V) */

struct opt_def {
	const char *name; /* long name, without "--"; NULL ends a table */
	char short_name;  /* 0: long only */
	enum opt_type type;
	unsigned flags;	     /* OPTF_* */
	uint64_t min, max;   /* OA_UINT's range (OA_PORT's is 1 to 65535) */
	uint64_t dflt;	     /* OA_UINT's value when an optional value is left out */
	const char *what;    /* the value in errors: "invalid <what> '<arg>': ..." */
	const char *metavar; /* in --help; OA_ENUM without one shows its choices a|b */
	const char *const *choices; /* OA_ENUM's values, NULL-terminated */
	const int *values;	    /* what each choice stores; NULL: its index */
	/* OA_CUSTOM, OA_ACTION: checks arg (NULL when left out) and stores it at field */
	int (*parse)(void *field, const char *arg, char *err, size_t len);
	/* OA_CUSTOM with a closed set of values that are not choices: the list, comma-separated */
	void (*list)(char *buf, size_t len);
	const char *help; /* lines split by '\n'; "@interval" and "@count" are the command's */
	unsigned group;	  /* OPTS_* for the shared groups (--help's section), 0 for a command's */
	size_t off, size; /* where the value goes: OPT_FIELD() */
	size_t seen;	  /* 0, or OPT_SEEN(): a bool or __u8 set to 1 when the option is given */
};

#define OPT_FIELD(type, member) .off = offsetof(type, member), .size = sizeof(((type *)0)->member)
#define OPT_SEEN(type, member)	.seen = offsetof(type, member) + 1

/* A subcommand's own options (ended by { 0 }) and the struct their fields are in. */
struct cmd_opts {
	const struct opt_def *opts;
	void *ctx;
};

/* The options of the shared groups (OPTS_FILTER, ...), and of every command (OPTS_ALWAYS). */
extern const struct opt_def opts_common[];

/* Whether a command with these groups takes d (its own options have group 0). */
bool opts_takes(const struct opt_def *d, unsigned groups);
/* no_argument, required_argument or optional_argument, as getopt wants it. */
int opts_has_arg(const struct opt_def *d);
/* An OA_ENUM's choices in buf, joined by comma and, before the last one, by last. */
void opts_choices(const struct opt_def *d, const char *comma, const char *last, char *buf,
		  size_t len);

/* What --help says about a command beyond its options. */
struct opts_cmd_help {
	const char *name;
	const char *about; /* the paragraph after the usage line */
	const char *examples;
	unsigned groups;
	const struct opt_def *opts;
	double interval;      /* its default -i */
	const char *count_of; /* what --count counts */
};

void opts_init(struct opts *o);
void opts_free(struct opts *o);

enum { OPTS_HELP = 1, OPTS_VERSION = 2, OPTS_LIST = 3 };

/*
 * Parses argv (argv[0] is the subcommand name). Returns 0 on success, OPTS_HELP, OPTS_VERSION
 * or OPTS_LIST when that was asked (nothing else done), -1 on bad input with a one-line
 * message in err.
 */
int opts_parse(struct opts *o, unsigned groups, const struct cmd_opts *cmd, int argc,
	       char **argv, char *err, size_t len);

int opts_parse_pids(struct opts *o, const char *arg, char *err, size_t len);
int opts_parse_port(const char *arg, const char *what, uint16_t *port, char *err, size_t len);
int opts_parse_seconds(const char *arg, const char *what, double *out, char *err, size_t len);
int opts_parse_uint(const char *arg, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t len);
int opts_parse_comm(struct opts *o, const char *arg, char *err, size_t len);

/* arg itself, or when longer than an error should echo, its start and length in buf. */
const char *opts_quote(char *buf, size_t len, const char *arg);

/* Checks against the running system: every PID exists, the cgroup is a directory. */
int opts_check(const struct opts *o, char *err, size_t len);

/*
 * Help text of the common option groups, for subcommand usage messages; the default interval
 * and what --count counts vary by command.
 */
void opts_usage(FILE *f, unsigned groups, double interval, const char *count_of);
/* A command's whole --help: usage line, what it does, its options, the groups', examples. */
void opts_help(FILE *f, const struct opts_cmd_help *h);
/*
 * Every option a command takes, one a line, for tools (the docs test): long name, short name,
 * none|required|optional, metavar, values (comma-separated) and "hidden" when --help does not
 * offer it; tab-separated, "-" for an empty field.
 */
void opts_list(FILE *f, unsigned groups, const struct cmd_opts *cmd);

#endif
