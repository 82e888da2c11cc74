/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the option parser's unit tests share: one struct opts and one error buffer, fresh for
 * each test (setup/teardown), and a parse of a NULL-terminated argv (argv[0] is the
 * subcommand's name) with the common groups most commands take, or with given ones.
 */
#ifndef SS_TEST_OPTS_FIXTURE_H
#define SS_TEST_OPTS_FIXTURE_H

#include <string.h>

#include "core/opts.h"

#define GROUPS (OPTS_FILTER | OPTS_TIMING | OPTS_INTERVAL | OPTS_OUTPUT)

static struct opts o;
static char err[256];

static int setup(void **state)
{
	(void)state;
	opts_init(&o);
	memset(err, 0, sizeof(err));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	opts_free(&o);
	return 0;
}

static int parse_groups(unsigned groups, const struct cmd_opts *cmd, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return opts_parse(&o, groups, cmd, argc, argv, err, sizeof(err));
}

static int parse(char **argv)
{
	return parse_groups(GROUPS, NULL, argv);
}

#endif
