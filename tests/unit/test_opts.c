// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the common option parser: every bad input is refused with a one-line message
 * that names the offending value or option, every good input lands in the right field, and
 * opts_check() catches a PID that does not exist. Each test starts from opts_init() state.
 */
#include "capture.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opts_fixture.h"

/* An argv as a subcommand sees it: argv[0] is its name, and it is NULL-terminated. */
#define ARGV(...) ((char *[]){ "top", __VA_ARGS__, NULL })

static void reset(void)
{
	opts_free(&o);
	opts_init(&o);
	memset(err, 0, sizeof(err));
}

/* Parses on fresh options and expects -1 with a one-line message containing want. */
static void refused(const char *want, char **argv)
{
	reset();
	if (parse(argv) != -1)
		fail_msg("'%s %s' was accepted, expected an error about '%s'", argv[0], argv[1],
			 want);
	if (!strstr(err, want))
		fail_msg("'%s %s': error \"%s\" does not mention '%s'", argv[0], argv[1], err,
			 want);
	if (strchr(err, '\n'))
		fail_msg("error \"%s\" is not one line", err);
}

static void test_bad_pids(void **state)
{
	(void)state;
	refused("'abc'", ARGV("-p", "abc"));
	refused("'0'", ARGV("-p", "0"));
	refused("'-5'", ARGV("-p", "-5"));
	refused("'+5'", ARGV("-p", "+5"));
	refused("empty entry", ARGV("-p", "1,,2"));
	refused("empty entry", ARGV("-p", ",1"));
	refused("empty entry", ARGV("-p", "1,"));
	refused("empty entry", ARGV("-p", ""));
	refused("'4194304'", ARGV("-p", "4194304"));
	refused("'12abc'", ARGV("-p", "12abc"));
	refused("too long", ARGV("-p", "12345678901234567890"));
	refused("'99999999999'", ARGV("--pid", "1,99999999999"));
}

static void test_bad_timing(void **state)
{
	(void)state;
	refused("interval '0'", ARGV("-i", "0"));
	refused("interval 'x'", ARGV("-i", "x"));
	refused("interval '-1'", ARGV("-i", "-1"));
	refused("interval 'nan'", ARGV("-i", "nan"));
	refused("interval 'inf'", ARGV("--interval", "inf"));
	refused("interval '1s'", ARGV("-i", "1s"));
	refused("interval '1e9'", ARGV("-i", "1e9")); /* past a year */
	refused("count '-1'", ARGV("--count", "-1"));
	refused("count '0'", ARGV("--count", "0"));
	refused("count 'x'", ARGV("--count", "x"));
	refused("count '18446744073709551616'", ARGV("--count", "18446744073709551616"));
	refused("duration '0'", ARGV("--duration", "0"));
}

static void test_bad_filters(void **state)
{
	(void)state;
	refused("source port '0'", ARGV("-s", "0"));
	refused("source port '65536'", ARGV("-s", "65536"));
	refused("source port 'x'", ARGV("-s", "x"));
	refused("destination port '70000'", ARGV("-d", "70000"));
	refused("destination port '-80'", ARGV("--dport", "-80"));
	refused("process name '0123456789abcdef'", ARGV("-c", "0123456789abcdef"));
	refused("process name ''", ARGV("-c", ""));
	refused("attach mode 'bogus'", ARGV("--attach", "bogus"));
	refused("attach mode 'cgroup'", ARGV("--attach", "cgroup"));
	refused("socket table size '63'", ARGV("--max-sockets", "63"));
}

static void test_bad_syntax(void **state)
{
	(void)state;
	refused("unknown option '--bogus'", ARGV("--bogus"));
	refused("unknown option '-z'", ARGV("-z"));
	refused("unknown option '-z'", ARGV("-vz"));
	/* the letter is mid-cluster: getopt has not moved past "-zv" yet */
	refused("unknown option '-z'", ARGV("-zv"));
	refused("unknown option '-z'", ARGV("--json", "-zv"));
	refused("option '-p' needs a value", ARGV("-p"));
	refused("option '-p' needs a value", ARGV("-vp"));
	refused("option '--count' needs a value", ARGV("--count"));
	refused("option '--json=1' takes no value", ARGV("--json=1"));
	refused("unexpected argument 'foo'", ARGV("foo"));
	refused("unexpected argument 'foo'", ARGV("-v", "foo", "--json"));
}

/* A subcommand without a group does not take its options. */
static void test_groups_limit_options(void **state)
{
	(void)state;
	assert_int_equal(parse_groups(OPTS_TIMING, NULL, ARGV("-p", "1")), -1);
	assert_string_equal(err, "unknown option '-p'");
	assert_int_equal(parse_groups(OPTS_FILTER, NULL, ARGV("--json")), -1);
	assert_string_equal(err, "unknown option '--json'");
	/* trace has --count and --duration but no refresh */
	assert_int_equal(parse_groups(OPTS_TIMING, NULL, ARGV("-i", "2")), -1);
	assert_string_equal(err, "unknown option '-i'");
	assert_int_equal(parse_groups(0, NULL, ARGV("-v", "-v")), 0);
	assert_int_equal(o.verbose, 2);
}

static int by_parse(void *field, const char *arg, char *e, size_t len)
{
	if (strcmp(arg, "pid") && strcmp(arg, "comm")) {
		snprintf(e, len, "invalid grouping '%s'", arg);
		return -1;
	}
	*(const char **)field = arg;
	return 0;
}

static void test_subcommand_options(void **state)
{
	const char *by = NULL;
	const struct opt_def opts[] = { { "by", 'b', OA_CUSTOM, .parse = by_parse }, { 0 } };
	struct cmd_opts cmd = { opts, &by };

	(void)state;
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("-b", "comm", "-p", "7")), 0);
	assert_string_equal(by, "comm");
	assert_int_equal(o.npids, 1);
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--by", "pid")), 0);
	assert_string_equal(by, "pid");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--by", "cpu")), -1);
	assert_string_equal(err, "invalid grouping 'cpu'");
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-v")), 0);
	assert_int_equal(o.npids, 0);
	assert_int_equal(o.filt.pids, 0);
	assert_int_equal(o.filt.family, 0);
	assert_int_equal(o.filt.proto, 0);
	assert_true(o.interval == 1.0);
	assert_int_equal(o.count, 0);
	assert_true(o.duration == 0);
	assert_false(o.json);
	assert_int_equal(o.attach, ATTACH_AUTO);
	assert_int_equal(o.max_sockets, 32768);
	assert_int_equal(o.max_conns, OPTS_MAX_CONNS);
}

/* --max-conns: only where the summary is (top, trace), 0 to 2^20. */
static void test_max_conns(void **state)
{
	(void)state;
	assert_int_equal(parse_groups(GROUPS | OPTS_SUMMARY, NULL, ARGV("--max-conns", "5")), 0);
	assert_int_equal(o.max_conns, 5);
	assert_int_equal(parse_groups(GROUPS | OPTS_SUMMARY, NULL, ARGV("--max-conns=0")), 0);
	assert_int_equal(o.max_conns, 0);
	assert_int_equal(parse_groups(GROUPS | OPTS_SUMMARY, NULL, ARGV("--max-conns", "-1")), -1);
	assert_non_null(strstr(err, "connection count '-1'"));
	assert_int_equal(parse_groups(GROUPS | OPTS_SUMMARY, NULL, ARGV("--max-conns", "1048577")),
			 -1);
	assert_int_equal(parse(ARGV("--max-conns", "5")), -1);
	assert_non_null(strstr(err, "--max-conns"));
}

static void test_pid_list(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-p", "1,2,3")), 0);
	assert_int_equal(o.filt.pids, 1);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 1);
	assert_int_equal(o.pids[1], 2);
	assert_int_equal(o.pids[2], 3);
}

static void test_pid_repeated(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-p", "4", "--pid", "5", "-p", "4194303")), 0);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 4);
	assert_int_equal(o.pids[1], 5);
	assert_int_equal(o.pids[2], 4194303);
}

static void test_pid_long_list(void **state)
{
	enum { N = 1500 };
	char *list = malloc(N * 8);
	size_t off = 0;

	(void)state;
	assert_non_null(list);
	for (int i = 1; i <= N; i++)
		off += (size_t)sprintf(list + off, "%s%d", i > 1 ? "," : "", i * 2);
	assert_int_equal(parse(ARGV("-p", list)), 0);
	assert_int_equal(o.npids, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(o.pids[i], (i + 1) * 2);
	free(list);
}

static void test_family(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-4")), 0);
	assert_int_equal(o.filt.family, AF_INET);
	reset();
	assert_int_equal(parse(ARGV("--ipv6")), 0);
	assert_int_equal(o.filt.family, AF_INET6);
	reset();
	assert_int_equal(parse(ARGV("-4", "-4")), 0);
	assert_int_equal(o.filt.family, AF_INET);
}

static void test_family_both(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-4", "-6")), 0);
	assert_int_equal(o.filt.family, 0);
	reset();
	assert_int_equal(parse(ARGV("-6", "-4", "-6")), 0);
	assert_int_equal(o.filt.family, 0);
}

static void test_proto(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("--tcp")), 0);
	assert_int_equal(o.filt.proto, IPPROTO_TCP);
	reset();
	assert_int_equal(parse(ARGV("--udp", "--udp")), 0);
	assert_int_equal(o.filt.proto, IPPROTO_UDP);
	reset();
	assert_int_equal(parse(ARGV("--udp", "--tcp", "--udp")), 0);
	assert_int_equal(o.filt.proto, 0);
}

static void test_ports_and_comm(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-s", "1", "--dport", "65535", "-c", "0123456789abcde")), 0);
	assert_int_equal(o.filt.sport, 1);
	assert_int_equal(o.filt.dport, 65535);
	assert_int_equal(o.filt.comm_on, 1);
	assert_memory_equal(o.filt.comm, "0123456789abcde", SS_COMM_LEN);
	/* a shorter name replaces the longer one entirely, NUL padding included */
	assert_int_equal(parse(ARGV("-c", "sshd")), 0);
	assert_memory_equal(o.filt.comm, "sshd\0\0\0\0\0\0\0\0\0\0\0", SS_COMM_LEN);
}

static void test_timing(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-i", "0.5", "--duration", "2", "--count", "3")), 0);
	assert_true(o.interval == 0.5);
	assert_true(o.duration == 2.0);
	assert_int_equal(o.count, 3);
	assert_int_equal(parse(ARGV("--interval=2.25", "--count=18446744073709551615")), 0);
	assert_true(o.interval == 2.25);
	assert_int_equal(o.count, UINT64_MAX);
}

static void test_output_and_verbose(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("--json", "-v", "-v")), 0);
	assert_true(o.json);
	assert_int_equal(o.verbose, 2);
}

static void test_attach(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("--attach", "kprobe")), 0);
	assert_int_equal(o.attach, ATTACH_KPROBE);
	assert_int_equal(parse(ARGV("--attach=tp_btf")), 0);
	assert_int_equal(o.attach, ATTACH_TP_BTF);
	assert_int_equal(parse(ARGV("--attach", "auto")), 0);
	assert_int_equal(o.attach, ATTACH_AUTO);
}

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("-h")), OPTS_HELP);
	/* help wins even after an option that was fine */
	assert_int_equal(parse(ARGV("-v", "--help")), OPTS_HELP);
	assert_int_equal(parse(ARGV("-p", "1", "--version")), OPTS_VERSION);
	assert_int_equal(parse(ARGV("-V")), OPTS_VERSION);
}

/* A PID no process has: pid_max bounds them, so search down from there. */
static uint32_t unused_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	unsigned max = 32768;

	if (f) {
		if (fscanf(f, "%u", &max) != 1)
			max = 32768;
		fclose(f);
	}
	if (max > SS_PID_MAX)
		max = SS_PID_MAX;
	for (uint32_t pid = max - 1; pid > 1; pid--)
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			return pid;
	fail_msg("no unused PID below %u", max);
	return 0;
}

static void test_check_missing_pid(void **state)
{
	char arg[16], want[48];
	uint32_t pid = unused_pid();

	(void)state;
	snprintf(arg, sizeof(arg), "%u", pid);
	snprintf(want, sizeof(want), "no process with PID %u", pid);
	assert_int_equal(parse(ARGV("-p", arg)), 0);
	assert_int_equal(opts_check(&o, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void test_check_existing_pid(void **state)
{
	char arg[16];

	(void)state;
	snprintf(arg, sizeof(arg), "1,%d", (int)getpid());
	assert_int_equal(parse(ARGV("-p", arg)), 0);
	assert_int_equal(opts_check(&o, err, sizeof(err)), 0);
}

/* Where the cgroup v2 hierarchy is mounted, from /proc/self/mounts; NULL if nowhere. */
static char *cgroup2_root(char *buf, size_t len)
{
	char line[512], dev[128], path[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	char *found = NULL;

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %255s %63s", dev, path, type) == 3 &&
		    !strcmp(type, "cgroup2"))
			found = buf, snprintf(buf, len, "%s", path);
	if (f)
		fclose(f);
	return found;
}

static void check_cgroup(char *path, int want)
{
	reset();
	assert_int_equal(parse(ARGV("--cgroup", path)), 0);
	assert_int_equal(o.filt.cgroup_on, 1);
	assert_int_equal(opts_check(&o, err, sizeof(err)), want);
	if (want)
		assert_non_null(strstr(err, "not a cgroup v2 directory"));
}

static void test_check_cgroup(void **state)
{
	char root[256] = "", tmp[] = "/tmp/sockscope-test-XXXXXX";

	(void)state;
	check_cgroup((char[]){ "/nonexistent/sockscope" }, -1);
	assert_non_null(strstr(err, "'/nonexistent/sockscope'"));
	/* directories, but not of cgroupfs (statfs says so): a cgroup v1 one is refused alike */
	check_cgroup((char[]){ "/" }, -1);
	assert_non_null(mkdtemp(tmp));
	check_cgroup(tmp, -1);
	rmdir(tmp);
	if (!cgroup2_root(root, sizeof(root)))
		skip();
	check_cgroup(root, 0);
}

static void test_long_value_not_echoed_whole(void **state)
{
	static char big[10001], bigopt[10003] = "--";

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	memcpy(bigopt + 2, big, sizeof(big));
	refused("(10000 bytes)", ARGV("-c", big));
	assert_true(strlen(err) < 120);
	refused("(10000 bytes)", ARGV("-p", big));
	refused("(10000 bytes)", ARGV(big));
	refused("unknown option '--xxx", ARGV(bigopt));
	refused("(10002 bytes)", ARGV(bigopt));
}

static int payload_parse(void *field, const char *arg, char *e, size_t len)
{
	(void)e, (void)len;
	*(const char **)field = arg ? arg : "default";
	return 0;
}

/* getopt takes an optional value only after '=': the error says so, for what was typed. */
static void test_optional_value_after_space(void **state)
{
	const char *payload = NULL;
	const struct opt_def opts[] = {
		{ "payload", 0, OA_CUSTOM, OPTF_OPTIONAL, .parse = payload_parse }, { 0 }
	};
	struct cmd_opts cmd = { opts, &payload };

	(void)state;
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload", "100")), -1);
	assert_string_equal(err, "unexpected argument '100': use --payload=100 (its value goes "
				 "after '=')");
	reset();
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload", "100", "--json")), -1);
	assert_non_null(strstr(err, "use --payload=100"));
	reset();
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload", "-v")), 0);
	assert_string_equal(payload, "default");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload=7")), 0);
	assert_string_equal(payload, "7");
	reset();
	/* a stray word after an option that takes no value is just that */
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--json", "100")), -1);
	assert_string_equal(err, "unexpected argument '100'");
}

static char *usage_of(unsigned groups)
{
	static char *text;
	size_t n;
	FILE *f = open_memstream(&text, &n);

	free(text);
	opts_usage(f, groups, 1, "intervals");
	fclose(f);
	return text;
}

static void test_usage_protocols(void **state)
{
	(void)state;
	assert_non_null(strstr(usage_of(GROUPS), "--tcp / --udp       only TCP / UDP (both given: "
						 "both"));
	/* conns refuses --udp: its help does not offer it */
	assert_null(strstr(usage_of(GROUPS | OPTS_TCP_ONLY), "--udp"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bad_pids),
		T(test_bad_timing),
		T(test_bad_filters),
		T(test_bad_syntax),
		T(test_groups_limit_options),
		T(test_subcommand_options),
		T(test_defaults),
		T(test_max_conns),
		T(test_pid_list),
		T(test_pid_repeated),
		T(test_pid_long_list),
		T(test_family),
		T(test_family_both),
		T(test_proto),
		T(test_ports_and_comm),
		T(test_timing),
		T(test_output_and_verbose),
		T(test_attach),
		T(test_help),
		T(test_check_missing_pid),
		T(test_check_existing_pid),
		T(test_check_cgroup),
		T(test_long_value_not_echoed_whole),
		T(test_optional_value_after_space),
		T(test_usage_protocols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
