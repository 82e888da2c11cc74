// SPDX-License-Identifier: GPL-2.0
/*
 * What every subcommand shares: parsing its options, the one-line messages with their exit
 * statuses, the report of events a stop left unread, and the version line. Here, below the
 * commands, rather than in main.c, so that the commands do not call back into the
 * dispatcher that calls them.
 */
#include "cmd/cmd.h"
#include "writers/records.h"

#include <stdio.h>

#ifndef SOCKSCOPE_VERSION
#define SOCKSCOPE_VERSION "0.0.0"
#endif

void cmd_version(void)
{
	printf("sockscope %s\n", SOCKSCOPE_VERSION);
}

int cmd_usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, "sockscope %s: %s (see 'sockscope %s --help')\n", cmd, msg, cmd);
	return 2;
}

int cmd_fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "sockscope %s: %s\n", cmd, msg);
	return 1;
}

int cmd_parse(const char *name, struct opts *o, unsigned groups, const struct cmd_opts *cmd,
	      int argc, char **argv, void (*usage)(FILE *))
{
	char err[512];

	switch (opts_parse(o, groups, cmd, argc, argv, err, sizeof(err))) {
	case OPTS_HELP:
		usage(stdout);
		return 0;
	case OPTS_VERSION:
		cmd_version();
		return 0;
	case OPTS_LIST:
		opts_list(stdout, groups, cmd);
		return 0;
	case -1:
		return cmd_usage_error(name, err);
	}
	if (opts_check(o, err, sizeof(err)))
		return cmd_usage_error(name, err);
	return CMD_GO;
}

void cmd_ready(const char *cmd, int verbose)
{
	if (verbose)
		fprintf(stderr, "sockscope %s: collecting; Ctrl-C to stop\n", cmd);
}

void cmd_report_unread(const char *cmd, uint64_t n, bool json)
{
	if (!n)
		return;
	fprintf(stderr, "sockscope %s: %llu events not printed: still in the ring buffer at the "
			"stop (counted as lost)\n", cmd, (unsigned long long)n);
	if (json)
		record_lost(stdout, n, "unread_at_stop");
}
