// SPDX-License-Identifier: GPL-2.0
/*
 * The options every command shares, declared once (see struct opt_def in opts.h), and what is
 * made of any option table: --help and the --list-options dump for tools.
 */
#include "core/opts.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define HELP_COLUMN 26 /* where an option's help starts */
#define STR_(x)	    #x
#define STR(x)	    STR_(x)

static int opt_pids(void *field, const char *arg, char *err, size_t len)
{
	return opts_parse_pids(field, arg, err, len);
}

static int opt_comm(void *field, const char *arg, char *err, size_t len)
{
	return opts_parse_comm(field, arg, err, len);
}

/* Both -4 and -6 select both, as neither does; a repeated flag changes nothing. */
static void set_family(struct opts *o, uint8_t bit)
{
	o->families |= bit;
	o->filt.family = o->families == 3 ? 0 : bit == 1 ? AF_INET : AF_INET6;
}

static void set_proto(struct opts *o, uint8_t bit)
{
	o->protos |= bit;
	o->filt.proto = o->protos == 3 ? 0 : bit == 1 ? IPPROTO_TCP : IPPROTO_UDP;
}

static int opt_ipv4(void *field, const char *arg, char *err, size_t len)
{
	(void)arg, (void)err, (void)len;
	set_family(field, 1);
	return 0;
}

static int opt_ipv6(void *field, const char *arg, char *err, size_t len)
{
	(void)arg, (void)err, (void)len;
	set_family(field, 2);
	return 0;
}

static int opt_tcp(void *field, const char *arg, char *err, size_t len)
{
	(void)arg, (void)err, (void)len;
	set_proto(field, 1);
	return 0;
}

static int opt_udp(void *field, const char *arg, char *err, size_t len)
{
	(void)arg, (void)err, (void)len;
	set_proto(field, 2);
	return 0;
}

static const char *const attach_modes[] = { "auto", "tp_btf", "raw_tp", "fentry", "kprobe", NULL };
static const int attach_values[] = { ATTACH_AUTO, ATTACH_TP_BTF, ATTACH_RAW_TP, ATTACH_FENTRY,
				     ATTACH_KPROBE };

#define O(member) OPT_FIELD(struct opts, member)

const struct opt_def opts_common[] = {
	{ "pid", 'p', OA_CUSTOM, .parse = opt_pids, .metavar = "PID[,PID...]",
	  .help = "only these processes (all their threads)", .group = OPTS_FILTER },
	{ "comm", 'c', OA_CUSTOM, .parse = opt_comm, .metavar = "NAME",
	  .help = "only processes with this exact name", .group = OPTS_FILTER },
	{ "cgroup", 0, OA_STRING, O(cgroup_path), OPT_SEEN(struct opts, filt.cgroup_on),
	  .metavar = "PATH", .help = "only tasks in this cgroup v2 (and below)",
	  .group = OPTS_FILTER },
	{ "ipv4", '4', OA_ACTION, OPTF_PAIR, .parse = opt_ipv4,
	  .help = "only IPv4 / IPv6 (IPv4-mapped IPv6 is IPv4)", .group = OPTS_FILTER },
	{ "ipv6", '6', OA_ACTION, .parse = opt_ipv6, .group = OPTS_FILTER },
	{ "tcp", 0, OA_ACTION, OPTF_PAIR | OPTF_PROTO, .parse = opt_tcp,
	  .help = "only TCP / UDP (both given: both, as neither)", .group = OPTS_FILTER },
	{ "udp", 0, OA_ACTION, OPTF_PROTO, .parse = opt_udp, .group = OPTS_FILTER },
	{ "sport", 's', OA_PORT, O(filt.sport), .what = "source port", .metavar = "PORT",
	  .help = "only sockets with this local port", .group = OPTS_FILTER },
	{ "dport", 'd', OA_PORT, O(filt.dport), .what = "destination port", .metavar = "PORT",
	  .help = "only sockets with this remote port", .group = OPTS_FILTER },
	{ "attach", 0, OA_ENUM, O(attach), .what = "attach mode", .metavar = "MODE",
	  .choices = attach_modes, .values = attach_values,
	  .help = "auto, tp_btf, raw_tp, fentry or kprobe", .group = OPTS_FILTER },
	{ "max-sockets", 0, OA_UINT, O(max_sockets), .min = 64, .max = 1u << 24,
	  .what = "socket table size", .metavar = "N",
	  .help = "kernel socket table size (default 32768)", .group = OPTS_FILTER },
	{ "interval", 'i', OA_SECONDS, O(interval), OPT_SEEN(struct opts, interval_set),
	  .what = "interval", .metavar = "SECS", .help = "refresh interval (default @interval)",
	  .group = OPTS_INTERVAL },
	{ "count", 0, OA_UINT, O(count), .min = 1, .max = UINT64_MAX, .what = "count",
	  .metavar = "N", .help = "stop after N @count", .group = OPTS_TIMING },
	{ "duration", 0, OA_SECONDS, O(duration), .what = "duration", .metavar = "SECS",
	  .help = "stop after SECS seconds", .group = OPTS_TIMING },
	{ "json", 0, OA_FLAG, O(json), .help = "one JSON object per line", .group = OPTS_OUTPUT },
	{ "max-conns", 0, OA_UINT, O(max_conns), .min = 0, .max = 1u << 20,
	  .what = "connection count", .metavar = "N",
	  .help = "list the N busiest connections in the summary\n"
		  "and fold the others into one row per process\n"
		  "(default " STR(OPTS_MAX_CONNS) "); bounds the memory they take",
	  .group = OPTS_SUMMARY },
	{ "verbose", 'v', OA_COUNTER, O(verbose), .help = "say what is attached and how",
	  .group = OPTS_ALWAYS },
	{ "help", 'h', OA_HELP, .help = "this help", .group = OPTS_ALWAYS },
	{ "version", 'V', OA_VERSION, .help = "the version", .group = OPTS_ALWAYS },
	{ "list-options", 0, OA_LIST, OPTF_INTERNAL, .group = OPTS_ALWAYS },
	{ 0 },
};

/* --help's section of a shared group; NULL: the lines go on under the section before. */
static const char *heading(unsigned group)
{
	if (group == OPTS_FILTER)
		return "Filters (applied in the kernel):";
	if (group == OPTS_INTERVAL || group == OPTS_TIMING)
		return "Timing:";
	if (group == OPTS_OUTPUT || group == OPTS_SUMMARY)
		return "Output:";
	return NULL;
}

static bool hidden(const struct opt_def *d, unsigned groups)
{
	return (d->flags & OPTF_INTERNAL) || ((d->flags & OPTF_PROTO) && (groups & OPTS_TCP_ONLY));
}

/*
 * "-p, --pid PID[,PID...]" or "    --payload[=N]": the option as --help spells it; without
 * indent, a long-only option is not lined up under the short ones (the second of a pair).
 */
static int spelling(const struct opt_def *d, bool indent, char *buf, size_t len)
{
	char metavar[128] = "";
	int n;

	if (opts_has_arg(d) != no_argument && d->metavar)
		snprintf(metavar, sizeof(metavar), "%s", d->metavar);
	else if (opts_has_arg(d) != no_argument && d->choices)
		opts_choices(d, "|", "|", metavar, sizeof(metavar));
	if (d->short_name)
		n = snprintf(buf, len, "-%c, --%s", d->short_name, d->name);
	else
		n = snprintf(buf, len, "%s--%s", indent ? "    " : "", d->name);
	if (!metavar[0] || n < 0 || (size_t)n >= len)
		return n;
	return n + snprintf(buf + n, len - (size_t)n,
			    opts_has_arg(d) == optional_argument ? "[=%s]" : " %s", metavar);
}

/* The help text, its "@interval" and "@count" filled in, continuation lines indented. */
static void put_help(FILE *f, const char *help, double interval, const char *count_of)
{
	for (const char *p = help; *p; p++) {
		if (!strncmp(p, "@interval", 9)) {
			fprintf(f, "%g", interval);
			p += 8;
		} else if (!strncmp(p, "@count", 6)) {
			fputs(count_of ? count_of : "intervals", f);
			p += 5;
		} else if (*p == '\n') {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
		} else {
			fputc(*p, f);
		}
	}
	fputc('\n', f);
}

/* The help lines of a table's options that groups select, under their groups' headings. */
static void put_options(FILE *f, const struct opt_def *d, unsigned groups, double interval,
			const char *count_of)
{
	const char *shown = NULL;
	char left[160];

	for (; d->name; d++) {
		const char *h = heading(d->group), *help = d->help;
		int n;

		if (!opts_takes(d, groups) || hidden(d, groups))
			continue;
		if (h && h != shown)
			fprintf(f, "%s\n", shown = h);
		n = spelling(d, true, left, sizeof(left));
		if ((d->flags & OPTF_PAIR) && d[1].name && n > 0 && (size_t)n + 3 < sizeof(left)) {
			memcpy(left + n, " / ", 4);
			spelling(++d, false, left + n + 3, sizeof(left) - (size_t)n - 3);
		}
		fprintf(f, "  %-*s ", HELP_COLUMN - 3, left);
		put_help(f, help ? help : "", interval, count_of);
	}
}

void opts_usage(FILE *f, unsigned groups, double interval, const char *count_of)
{
	put_options(f, opts_common, groups, interval, count_of);
}

void opts_help(FILE *f, const struct opts_cmd_help *h)
{
	fprintf(f, "Usage: sockscope %s [OPTIONS]\n%s\n\n", h->name, h->about);
	if (h->opts)
		put_options(f, h->opts, 0, h->interval, h->count_of);
	opts_usage(f, h->groups, h->interval, h->count_of);
	if (h->examples)
		fprintf(f, "\nExamples:\n%s", h->examples);
}

static const char *arg_kind(const struct opt_def *d)
{
	int has = opts_has_arg(d);

	return has == no_argument ? "none" : has == optional_argument ? "optional" : "required";
}

static void list_one(FILE *f, const struct opt_def *d, unsigned groups)
{
	char values[1024] = "-";

	if (d->choices)
		opts_choices(d, ",", ",", values, sizeof(values));
	else if (d->list)
		d->list(values, sizeof(values));
	for (char *from = values, *to = values;; from++) /* "a, b" as "a,b": one field */
		if (*from != ' ' && !(*to++ = *from))
			break;
	fprintf(f, "--%s\t", d->name);
	if (d->short_name)
		fprintf(f, "-%c\t", d->short_name);
	else
		fputs("-\t", f);
	fprintf(f, "%s\t%s\t%s\t%s\n", arg_kind(d), d->metavar ? d->metavar : "-", values,
		hidden(d, groups) ? "hidden" : "-");
}

void opts_list(FILE *f, unsigned groups, const struct cmd_opts *cmd)
{
	for (const struct opt_def *d = cmd && cmd->opts ? cmd->opts : NULL; d && d->name; d++)
		list_one(f, d, groups);
	for (const struct opt_def *d = opts_common; d->name; d++)
		if (opts_takes(d, groups) && !(d->flags & OPTF_INTERNAL))
			list_one(f, d, groups);
}
