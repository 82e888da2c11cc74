// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the option tables (struct opt_def): each type parses, checks and stores what
 * its entry declares, with the one-line errors; --help and the --list-options dump are made
 * from the same entries; and the shared table has one name and one letter per option.
 */
#include "capture.h"

#include <string.h>

#include "opts_fixture.h"

/* An argv as a subcommand sees it: argv[0] is its name, and it is NULL-terminated. */
#define ARGV(...) ((char *[]){ "demo", __VA_ARGS__, NULL })

/* A command's own table: the types that store, with their ranges, choices and defaults. */
struct demo {
	uint32_t payload;
	bool ts_ns, hex, hex_seen;
	const char *path;
	double wait;
};

static const char *const ts_names[] = { "ns", "wall", NULL };
static const int ts_values[] = { 1, 0 };
static const char *const three[] = { "a", "b", "c", NULL };

static const struct opt_def demo_opts[] = {
	{ "payload", 0, OA_UINT, OPTF_OPTIONAL, OPT_FIELD(struct demo, payload), .min = 1,
	  .max = 16384, .dflt = 2000, .what = "payload size", .metavar = "N",
	  .help = "capture N bytes" },
	{ "timestamp", 't', OA_ENUM, OPT_FIELD(struct demo, ts_ns), .what = "timestamp",
	  .choices = ts_names, .values = ts_values, .help = "ns or wall clock" },
	{ "hex", 0, OA_FLAG, OPT_FIELD(struct demo, hex), OPT_SEEN(struct demo, hex_seen),
	  .help = "as a hexdump" },
	{ "path", 0, OA_STRING, OPT_FIELD(struct demo, path), .metavar = "PATH",
	  .help = "where\nit goes" },
	{ "wait", 0, OA_SECONDS, OPT_FIELD(struct demo, wait), .what = "wait", .metavar = "SECS",
	  .help = "wait (default @interval), stop after N @count" },
	{ "three", 0, OA_ENUM, .what = "letter", .choices = three, .help = "a letter" },
	{ 0 },
};

static void test_table_types(void **state)
{
	struct demo d = { 0 };
	struct cmd_opts cmd = { demo_opts, &d };

	(void)state;
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload", "-t", "ns", "--hex")), 0);
	assert_int_equal(d.payload, 2000);
	assert_true(d.ts_ns);
	assert_true(d.hex && d.hex_seen);
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload=7", "--timestamp=wall")), 0);
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--path", "/x", "--wait", "0.5")), 0);
	assert_int_equal(d.payload, 7);
	assert_false(d.ts_ns);
	assert_string_equal(d.path, "/x");
	assert_true(d.wait == 0.5);
}

static void test_table_errors(void **state)
{
	struct demo d = { 0 };
	struct cmd_opts cmd = { demo_opts, &d };

	(void)state;
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--payload=16385")), -1);
	assert_string_equal(err, "invalid payload size '16385': expected an integer from 1 to "
				 "16384");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("-t", "us")), -1);
	assert_string_equal(err, "invalid timestamp 'us': expected ns or wall");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--three", "d")), -1);
	assert_string_equal(err, "invalid letter 'd': expected a, b or c");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--wait", "0")), -1);
	assert_string_equal(err, "invalid wait '0': expected a positive number of seconds");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("--hex=1")), -1);
	assert_string_equal(err, "option '--hex=1' takes no value");
	assert_int_equal(parse_groups(GROUPS, &cmd, ARGV("-t")), -1);
	assert_string_equal(err, "option '-t' needs a value");
	/* a command's option is its own: the shared table does not know it */
	assert_int_equal(parse(ARGV("--hex")), -1);
	assert_string_equal(err, "unknown option '--hex'");
}

static void test_list_options_asked(void **state)
{
	(void)state;
	assert_int_equal(parse(ARGV("--list-options")), OPTS_LIST);
	assert_int_equal(parse_groups(0, NULL, ARGV("-v", "--list-options")), OPTS_LIST);
}

static void test_help_from_table(void **state)
{
	const struct opts_cmd_help help = { .name = "demo",
					    .about = "Does a demo.",
					    .examples = "  sockscope demo\n",
					    .groups = OPTS_TIMING,
					    .opts = demo_opts,
					    .interval = 2.5,
					    .count_of = "events" };
	struct capture c;
	char *text;

	(void)state;
	opts_help(capture_begin(&c), &help);
	text = capture_end(&c);
	assert_non_null(strstr(text, "Usage: sockscope demo [OPTIONS]\nDoes a demo.\n\n"));
	assert_non_null(strstr(text, "\n      --payload[=N]       capture N bytes\n"));
	assert_non_null(strstr(text, "\n  -t, --timestamp ns|wall ns or wall clock\n"));
	assert_non_null(strstr(text, "\n      --path PATH         where\n"
				     "                          it goes\n"));
	assert_non_null(strstr(text, "wait (default 2.5), stop after N events\n"));
	assert_non_null(strstr(text, "Timing:\n      --count N           stop after N events\n"));
	assert_non_null(strstr(text, "\n  -h, --help              this help\n"));
	assert_non_null(strstr(text, "\nExamples:\n  sockscope demo\n"));
	assert_null(strstr(text, "--pid"));
	assert_null(strstr(text, "--list-options"));
	free(text);
}

static void test_list_dump(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	opts_list(capture_begin(&c), GROUPS | OPTS_TCP_ONLY, NULL);
	text = capture_end(&c);
	assert_non_null(strstr(text, "--pid\t-p\trequired\tPID[,PID...]\t-\t-\n"));
	assert_non_null(strstr(text, "--attach\t-\trequired\tMODE\tauto,tp_btf,raw_tp,fentry,"
				     "kprobe\t-\n"));
	assert_non_null(strstr(text, "--ipv4\t-4\tnone\t-\t-\t-\n"));
	assert_non_null(strstr(text, "--udp\t-\tnone\t-\t-\thidden\n"));
	assert_non_null(strstr(text, "--version\t-V\tnone\t-\t-\t-\n"));
	assert_null(strstr(text, "--max-conns"));
	assert_null(strstr(text, "list-options"));
	free(text);
}

/* The shared table is what every command's getopt is built from: one name, one letter. */
static void test_common_table_well_formed(void **state)
{
	(void)state;
	for (const struct opt_def *d = opts_common; d->name; d++) {
		bool second_of_pair = d > opts_common && (d[-1].flags & OPTF_PAIR);
		bool valued = opts_has_arg(d) != no_argument;

		for (const struct opt_def *e = opts_common; e < d; e++) {
			if (!strcmp(d->name, e->name) ||
			    (d->short_name && d->short_name == e->short_name))
				fail_msg("--%s and --%s share a name or letter", e->name, d->name);
		}
		if (!(d->flags & OPTF_INTERNAL) && !second_of_pair && !d->help)
			fail_msg("--%s has no help line", d->name);
		if (valued && !d->metavar && !d->choices)
			fail_msg("--%s takes a value that its help does not name", d->name);
		if ((d->type == OA_UINT || d->type == OA_PORT || d->type == OA_SECONDS ||
		     d->type == OA_ENUM) && !d->what)
			fail_msg("--%s's errors would not say what is invalid", d->name);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_table_types),     T(test_table_errors), T(test_list_options_asked),
	    T(test_help_from_table), T(test_list_dump),	   T(test_common_table_well_formed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
