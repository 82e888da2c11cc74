// SPDX-License-Identifier: GPL-2.0
/* Option parsing, driven by the option tables: see opts.h. */
#include "core/opts.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#define QUOTE_MAX 40 /* bytes of a bad value echoed in an error */
#define MAX_OPTS  64 /* options of one command, shared groups included (top has 21) */

const char *opts_quote(char *buf, size_t len, const char *arg)
{
	size_t n = strlen(arg);

	if (n <= QUOTE_MAX)
		return arg;
	snprintf(buf, len, "%.*s... (%zu bytes)", QUOTE_MAX, arg, n);
	return buf;
}

void opts_init(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	o->attach = ATTACH_AUTO;
	o->max_sockets = 32768;
	o->max_conns = OPTS_MAX_CONNS;
}

void opts_free(struct opts *o)
{
	free(o->pids);
	o->pids = NULL;
	o->npids = 0;
}

int opts_parse_uint(const char *arg, const char *what, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t len)
{
	char *end, q[QUOTE_MAX + 32];
	unsigned long long v;

	errno = 0;
	if (!arg[0] || arg[0] == '-' || arg[0] == '+' || arg[0] == ' ')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, len, "invalid %s '%s': expected an integer from %llu to %llu", what,
		 opts_quote(q, sizeof(q), arg), (unsigned long long)min, (unsigned long long)max);
	return -1;
}

int opts_parse_pids(struct opts *o, const char *arg, char *err, size_t len)
{
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char one[16];
		uint64_t pid;
		uint32_t *grown;

		if (!n || n >= sizeof(one)) {
			char q[QUOTE_MAX + 32];

			snprintf(err, len, "invalid PID list '%s': %s", opts_quote(q, sizeof(q), arg),
				 n ? "a PID is too long" : "empty entry");
			return -1;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (opts_parse_uint(one, "PID", 1, SS_PID_MAX - 1, &pid, err, len))
			return -1;
		grown = realloc(o->pids, (o->npids + 1) * sizeof(*o->pids));
		if (!grown) {
			snprintf(err, len, "out of memory");
			return -1;
		}
		o->pids = grown;
		o->pids[o->npids++] = (uint32_t)pid;
		if (!comma)
			break;
		p = comma + 1;
	}
	o->filt.pids = 1;
	return 0;
}

int opts_parse_port(const char *arg, const char *what, uint16_t *port, char *err, size_t len)
{
	uint64_t v;

	if (opts_parse_uint(arg, what, 1, 65535, &v, err, len))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int opts_parse_seconds(const char *arg, const char *what, double *out, char *err, size_t len)
{
	char *end, q[QUOTE_MAX + 32];
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!arg[0] || errno || *end || !isfinite(v) || v <= 0 || v > 86400 * 365) {
		snprintf(err, len, "invalid %s '%s': expected a positive number of seconds", what,
			 opts_quote(q, sizeof(q), arg));
		return -1;
	}
	*out = v;
	return 0;
}

int opts_parse_comm(struct opts *o, const char *arg, char *err, size_t len)
{
	size_t n = strlen(arg);
	char q[QUOTE_MAX + 32];

	if (!n || n >= SS_COMM_LEN) {
		snprintf(err, len, "invalid process name '%s': the kernel keeps 1 to %d bytes",
			 opts_quote(q, sizeof(q), arg), SS_COMM_LEN - 1);
		return -1;
	}
	memset(o->filt.comm, 0, sizeof(o->filt.comm));
	memcpy(o->filt.comm, arg, n);
	o->filt.comm_on = 1;
	return 0;
}

static bool is_long_val(const struct option *lo, int val)
{
	for (; lo->name; lo++)
		if (lo->val == val)
			return true;
	return false;
}

/*
 * getopt leaves optind on a cluster ("-zv") until its last letter, so argv[optind - 1] names
 * the offending option only for long options and a cluster's last letter. An unknown letter
 * is told apart by optopt, which getopt sets to the letter, or to a long option's val when
 * that option was given a value it does not take, or to 0 for an unknown long option.
 */
static void unknown_option(char **argv, int c, const struct option *lo, char *err, size_t len)
{
	char q[QUOTE_MAX + 32];
	const char *arg = opts_quote(q, sizeof(q), argv[optind - 1]);

	if (c == ':' && argv[optind - 1][1] != '-')
		snprintf(err, len, "option '-%c' needs a value", optopt);
	else if (c == ':')
		snprintf(err, len, "option '%s' needs a value", arg);
	else if (optopt && !is_long_val(lo, optopt))
		snprintf(err, len, "unknown option '-%c'", optopt);
	else if (optopt)
		snprintf(err, len, "option '%s' takes no value", arg);
	else
		snprintf(err, len, "unknown option '%s'", arg);
}

/*
 * getopt takes an optional value only after '=': "--payload 100" leaves "100" over as an
 * argument. Finds, before getopt reorders argv, the word that follows such an option, and
 * the option, for the error to say how to write it.
 */
static const char *optional_value_of(char **argv, int argc, const struct option *lo,
				     const char **value)
{
	for (int i = 1; i + 1 < argc && strcmp(argv[i], "--"); i++) {
		if (strncmp(argv[i], "--", 2) || strchr(argv[i], '=') || argv[i + 1][0] == '-')
			continue;
		for (const struct option *l = lo; l->name; l++)
			if (l->has_arg == optional_argument && !strcmp(argv[i] + 2, l->name)) {
				*value = argv[i + 1];
				return l->name;
			}
	}
	return NULL;
}

static void unexpected(const char *arg, const char *opt, const char *value, char *err,
		       size_t len)
{
	char q[QUOTE_MAX + 32];
	bool after_optional = opt && arg == value;

	arg = opts_quote(q, sizeof(q), arg);
	if (after_optional)
		snprintf(err, len, "unexpected argument '%s': use --%s=%s (its value goes after "
				   "'=')", arg, opt, arg);
	else
		snprintf(err, len, "unexpected argument '%s'", arg);
}

/* The getopt tables of one command, and which declaration each entry came from. */
struct table {
	struct option lo[MAX_OPTS + 1];
	char so[3 * MAX_OPTS + 2];
	const struct opt_def *def[MAX_OPTS];
	void *base[MAX_OPTS]; /* the struct that def's fields are offsets into */
	size_t n;
};

bool opts_takes(const struct opt_def *d, unsigned groups)
{
	return !d->group || d->group == OPTS_ALWAYS || (d->group & groups);
}

int opts_has_arg(const struct opt_def *d)
{
	switch (d->type) {
	case OA_FLAG:
	case OA_COUNTER:
	case OA_ACTION:
	case OA_HELP:
	case OA_VERSION:
	case OA_LIST:
		return no_argument;
	default:
		return d->flags & OPTF_OPTIONAL ? optional_argument : required_argument;
	}
}

/*
 * A short option's getopt val is its letter; a long-only one's is 256 + its index here, past
 * every letter, so that the val finds the declaration back.
 */
static void table_add(struct table *t, const struct opt_def *d, void *base)
{
	struct option *l = &t->lo[t->n];
	size_t k = strlen(t->so);

	if (t->n == MAX_OPTS)
		return;
	*l = (struct option){ d->name, opts_has_arg(d), NULL,
			      d->short_name ? d->short_name : 256 + (int)t->n };
	if (d->short_name) {
		t->so[k++] = d->short_name;
		for (int i = 0; i < l->has_arg; i++)
			t->so[k++] = ':';
		t->so[k] = '\0';
	}
	t->def[t->n] = d;
	t->base[t->n++] = base;
}

/* The command's own options, then those of the shared groups it takes. */
static void table_build(struct table *t, struct opts *o, unsigned groups,
			const struct cmd_opts *cmd)
{
	memset(t, 0, sizeof(*t));
	t->so[0] = ':'; /* a missing value is ':', not '?' */
	for (const struct opt_def *d = cmd && cmd->opts ? cmd->opts : NULL; d && d->name; d++)
		table_add(t, d, cmd->ctx);
	for (const struct opt_def *d = opts_common; d->name; d++)
		if (opts_takes(d, groups))
			table_add(t, d, o);
}

static const struct opt_def *table_find(const struct table *t, int c, void **base)
{
	size_t i = 0;

	if (c >= 256)
		i = (size_t)c - 256;
	else
		while (i < t->n && t->def[i]->short_name != c)
			i++;
	if (i >= t->n)
		return NULL;
	*base = t->base[i];
	return t->def[i];
}

/* Stores v in an unsigned field (or bool, or enum) of the size it was declared with. */
static void store(void *field, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	if (size == 1)
		memcpy(field, &u8, 1);
	else if (size == 2)
		memcpy(field, &u16, 2);
	else if (size == 4)
		memcpy(field, &u32, 4);
	else
		memcpy(field, &v, sizeof(v));
}

static int parse_number(const struct opt_def *d, void *field, const char *arg, char *err,
			size_t len)
{
	bool port = d->type == OA_PORT;
	uint64_t v = d->dflt;

	if (arg && opts_parse_uint(arg, d->what, port ? 1 : d->min, port ? 65535 : d->max, &v,
				   err, len))
		return -1;
	store(field, d->size, v);
	return 0;
}

/* "a, b or c": the choices of an enum option, as its error lists them. */
void opts_choices(const struct opt_def *d, const char *comma, const char *last, char *buf,
		  size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; d->choices[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 !i ? "" : d->choices[i + 1] ? comma : last, d->choices[i]);
}

static int parse_choice(const struct opt_def *d, void *field, const char *arg, char *err,
			size_t len)
{
	char q[QUOTE_MAX + 32], choices[256];

	for (size_t i = 0; d->choices[i]; i++) {
		if (!strcmp(arg, d->choices[i])) {
			store(field, d->size, d->values ? (uint64_t)(int64_t)d->values[i] : i);
			return 0;
		}
	}
	opts_choices(d, ", ", " or ", choices, sizeof(choices));
	snprintf(err, len, "invalid %s '%s': expected %s", d->what, opts_quote(q, sizeof(q), arg),
		 choices);
	return -1;
}

/* Checks arg as d declares it and stores it in base. Returns 0, or -1 with err set. */
static int apply(const struct opt_def *d, void *base, const char *arg, char *err, size_t len)
{
	void *field = (char *)base + d->off;

	if (d->seen)
		((uint8_t *)base)[d->seen - 1] = 1;
	switch (d->type) {
	case OA_FLAG:
		store(field, d->size, 1);
		return 0;
	case OA_COUNTER:
		(*(int *)field)++;
		return 0;
	case OA_UINT:
	case OA_PORT:
		return parse_number(d, field, arg, err, len);
	case OA_SECONDS:
		return opts_parse_seconds(arg, d->what, field, err, len);
	case OA_STRING:
		memcpy(field, &arg, sizeof(arg));
		return 0;
	case OA_ENUM:
		return parse_choice(d, field, arg, err, len);
	case OA_ACTION:
	case OA_CUSTOM:
		return d->parse(field, arg, err, len);
	default:
		return 0;
	}
}

static int asked(enum opt_type type)
{
	return type == OA_HELP ? OPTS_HELP : type == OA_VERSION ? OPTS_VERSION : OPTS_LIST;
}

int opts_parse(struct opts *o, unsigned groups, const struct cmd_opts *cmd, int argc,
	       char **argv, char *err, size_t len)
{
	const char *opt, *value = NULL;
	const struct opt_def *d;
	struct table t;
	void *base;
	int c;

	table_build(&t, o, groups, cmd);
	opt = optional_value_of(argv, argc, t.lo, &value);
	/* 0, not 1: glibc then also forgets a cluster left half-read by an earlier parse */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, t.so, t.lo, NULL)) != -1) {
		d = c == '?' || c == ':' ? NULL : table_find(&t, c, &base);
		if (!d) {
			unknown_option(argv, c, t.lo, err, len);
			return -1;
		}
		if (d->type == OA_HELP || d->type == OA_VERSION || d->type == OA_LIST)
			return asked(d->type);
		if (apply(d, base, optarg, err, len))
			return -1;
	}
	if (optind < argc) {
		unexpected(argv[optind], opt, value, err, len);
		return -1;
	}
	return 0;
}
int opts_check(const struct opts *o, char *err, size_t len)
{
	char q[QUOTE_MAX + 32];
	struct statfs fs;
	struct stat st;

	for (size_t i = 0; i < o->npids; i++) {
		if (kill((pid_t)o->pids[i], 0) && errno == ESRCH) {
			snprintf(err, len, "no process with PID %u", o->pids[i]);
			return -1;
		}
	}
	if (o->cgroup_path && (stat(o->cgroup_path, &st) || !S_ISDIR(st.st_mode) ||
			       statfs(o->cgroup_path, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)) {
		snprintf(err, len, "invalid cgroup '%s': not a cgroup v2 directory",
			 opts_quote(q, sizeof(q), o->cgroup_path));
		return -1;
	}
	return 0;
}

