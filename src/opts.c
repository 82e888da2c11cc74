// SPDX-License-Identifier: GPL-2.0
/* Common option parsing: see opts.h. */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

enum {
	OPT_CGROUP = 1000,
	OPT_TCP,
	OPT_UDP,
	OPT_COUNT,
	OPT_DURATION,
	OPT_JSON,
	OPT_ATTACH,
	OPT_MAX_SOCKETS,
	OPT_MAX_CONNS,
};

struct common_opt {
	unsigned group;
	struct option opt;
	const char *shortopt; /* getopt spelling, "" if long only */
};

static const struct common_opt common[] = {
	{ OPTS_FILTER, { "pid", required_argument, NULL, 'p' }, "p:" },
	{ OPTS_FILTER, { "comm", required_argument, NULL, 'c' }, "c:" },
	{ OPTS_FILTER, { "cgroup", required_argument, NULL, OPT_CGROUP }, "" },
	{ OPTS_FILTER, { "ipv4", no_argument, NULL, '4' }, "4" },
	{ OPTS_FILTER, { "ipv6", no_argument, NULL, '6' }, "6" },
	{ OPTS_FILTER, { "tcp", no_argument, NULL, OPT_TCP }, "" },
	{ OPTS_FILTER, { "udp", no_argument, NULL, OPT_UDP }, "" },
	{ OPTS_FILTER, { "sport", required_argument, NULL, 's' }, "s:" },
	{ OPTS_FILTER, { "dport", required_argument, NULL, 'd' }, "d:" },
	{ OPTS_FILTER, { "attach", required_argument, NULL, OPT_ATTACH }, "" },
	{ OPTS_FILTER, { "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS }, "" },
	{ OPTS_INTERVAL, { "interval", required_argument, NULL, 'i' }, "i:" },
	{ OPTS_TIMING, { "count", required_argument, NULL, OPT_COUNT }, "" },
	{ OPTS_TIMING, { "duration", required_argument, NULL, OPT_DURATION }, "" },
	{ OPTS_OUTPUT, { "json", no_argument, NULL, OPT_JSON }, "" },
	{ OPTS_SUMMARY, { "max-conns", required_argument, NULL, OPT_MAX_CONNS }, "" },
	{ ~0u, { "verbose", no_argument, NULL, 'v' }, "v" },
	{ ~0u, { "help", no_argument, NULL, 'h' }, "h" },
	{ ~0u, { "version", no_argument, NULL, 'V' }, "V" },
};

#define NCOMMON (sizeof(common) / sizeof(common[0]))
#define QUOTE_MAX 40 /* bytes of a bad value echoed in an error */

const char *opts_quote(char *buf, size_t len, const char *arg)
{
	size_t n = strlen(arg);

	if (n <= QUOTE_MAX)
		return arg;
	snprintf(buf, len, "%.*s... (%zu bytes)", QUOTE_MAX, arg, n);
	return buf;
}

void opts_init(struct ss_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1.0;
	o->attach = SS_MODE_AUTO;
	o->max_sockets = 32768;
	o->max_conns = OPTS_MAX_CONNS;
}

void opts_free(struct ss_opts *o)
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

int opts_parse_pids(struct ss_opts *o, const char *arg, char *err, size_t len)
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

int opts_parse_comm(struct ss_opts *o, const char *arg, char *err, size_t len)
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

static int handle_common(struct ss_opts *o, int c, const char *arg, char *err, size_t len)
{
	char q[QUOTE_MAX + 32];
	uint64_t v;

	switch (c) {
	case 'p':
		return opts_parse_pids(o, arg, err, len);
	case 'c':
		return opts_parse_comm(o, arg, err, len);
	case OPT_CGROUP:
		o->cgroup_path = arg;
		o->filt.cgroup_on = 1;
		return 0;
	case '4':
	case '6':
		/* both together select both, as no flag does; a repeated flag changes nothing */
		o->families |= c == '4' ? 1 : 2;
		o->filt.family = o->families == 3 ? 0 : (c == '4' ? AF_INET : AF_INET6);
		return 0;
	case OPT_TCP:
	case OPT_UDP:
		o->protos |= c == OPT_TCP ? 1 : 2;
		o->filt.proto = o->protos == 3 ? 0 : (c == OPT_TCP ? IPPROTO_TCP : IPPROTO_UDP);
		return 0;
	case 's':
		return opts_parse_port(arg, "source port", &o->filt.sport, err, len);
	case 'd':
		return opts_parse_port(arg, "destination port", &o->filt.dport, err, len);
	case OPT_ATTACH:
		if (!ss_mode_parse(arg, &o->attach))
			return 0;
		snprintf(err, len, "invalid attach mode '%s': expected auto, tp_btf, raw_tp, fentry "
				   "or kprobe", opts_quote(q, sizeof(q), arg));
		return -1;
	case OPT_MAX_SOCKETS:
		if (opts_parse_uint(arg, "socket table size", 64, 1u << 24, &v, err, len))
			return -1;
		o->max_sockets = (uint32_t)v;
		return 0;
	case OPT_MAX_CONNS:
		if (opts_parse_uint(arg, "connection count", 0, 1u << 20, &v, err, len))
			return -1;
		o->max_conns = (uint32_t)v;
		return 0;
	case 'i':
		o->interval_set = true;
		return opts_parse_seconds(arg, "interval", &o->interval, err, len);
	case OPT_COUNT:
		return opts_parse_uint(arg, "count", 1, UINT64_MAX, &o->count, err, len);
	case OPT_DURATION:
		return opts_parse_seconds(arg, "duration", &o->duration, err, len);
	case OPT_JSON:
		o->json = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	}
	return 1;
}

/* Builds the getopt tables: the subcommand's options, then the common groups it takes. */
static int build_tables(unsigned groups, const struct ss_cmd_opts *cmd, struct option *lo,
			size_t nlo, char *so, size_t nso)
{
	size_t n = 0;

	snprintf(so, nso, ":%s", cmd && cmd->shortopts ? cmd->shortopts : "");
	for (size_t i = 0; cmd && cmd->longopts && cmd->longopts[i].name && n + 1 < nlo; i++)
		lo[n++] = cmd->longopts[i];
	for (size_t i = 0; i < NCOMMON && n + 1 < nlo; i++) {
		if (common[i].group != ~0u && !(common[i].group & groups))
			continue;
		lo[n++] = common[i].opt;
		strncat(so, common[i].shortopt, nso - strlen(so) - 1);
	}
	memset(&lo[n], 0, sizeof(lo[n]));
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

int opts_parse(struct ss_opts *o, unsigned groups, const struct ss_cmd_opts *cmd, int argc,
	       char **argv, char *err, size_t len)
{
	struct option lo[64];
	char so[128];
	const char *opt, *value = NULL;
	int c, r;

	build_tables(groups, cmd, lo, 64, so, sizeof(so));
	opt = optional_value_of(argv, argc, lo, &value);
	/* 0, not 1: glibc then also forgets a cluster left half-read by an earlier parse */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h' || c == 'V')
			return c == 'h' ? OPTS_HELP : OPTS_VERSION;
		if (c == '?' || c == ':') {
			unknown_option(argv, c, lo, err, len);
			return -1;
		}
		r = handle_common(o, c, optarg, err, len);
		if (r == 1 && cmd && cmd->handle)
			r = cmd->handle(c, optarg, cmd->ctx, err, len);
		if (r)
			return -1;
	}
	if (optind < argc) {
		unexpected(argv[optind], opt, value, err, len);
		return -1;
	}
	return 0;
}

int opts_check(const struct ss_opts *o, char *err, size_t len)
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

void opts_usage(FILE *f, unsigned groups, double interval, const char *count_of)
{
	if (groups & OPTS_FILTER)
		fputs("Filters (applied in the kernel):\n"
		      "  -p, --pid PID[,PID...]  only these processes (all their threads)\n"
		      "  -c, --comm NAME         only processes with this exact name\n"
		      "      --cgroup PATH       only tasks in this cgroup v2 (and below)\n"
		      "  -4, --ipv4 / -6, --ipv6 only IPv4 / IPv6 (IPv4-mapped IPv6 is IPv4)\n",
		      f);
	if ((groups & OPTS_FILTER) && !(groups & OPTS_TCP_ONLY))
		fputs("      --tcp / --udp       only TCP / UDP (both given: both, as neither)\n", f);
	if (groups & OPTS_FILTER)
		fputs("  -s, --sport PORT        only sockets with this local port\n"
		      "  -d, --dport PORT        only sockets with this remote port\n"
		      "      --attach MODE       auto, tp_btf, raw_tp, fentry or kprobe\n"
		      "      --max-sockets N     kernel socket table size (default 32768)\n",
		      f);
	if (groups & (OPTS_TIMING | OPTS_INTERVAL))
		fputs("Timing:\n", f);
	if (groups & OPTS_INTERVAL)
		fprintf(f, "  -i, --interval SECS     refresh interval (default %g)\n", interval);
	if (groups & OPTS_TIMING)
		fprintf(f, "      --count N           stop after N %s\n"
			   "      --duration SECS     stop after SECS seconds\n",
			count_of);
	if (groups & OPTS_OUTPUT)
		fputs("Output:\n"
		      "      --json              one JSON object per line\n",
		      f);
	if (groups & OPTS_SUMMARY)
		fprintf(f, "      --max-conns N       list the N busiest connections in the summary\n"
			   "                          and fold the others into one row per process\n"
			   "                          (default %d); bounds the memory they take\n",
			OPTS_MAX_CONNS);
	fputs("  -v, --verbose           say what is attached and how\n"
	      "  -h, --help              this help\n"
	      "  -V, --version           the version\n",
	      f);
}
