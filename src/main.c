// SPDX-License-Identifier: GPL-2.0
/*
 * sockscope: which process sends and receives what, over which connection. Subcommand
 * dispatch, with bpftool's unambiguous-prefix matching; what the subcommands share is in
 * cmd/cmd.c.
 */
#include "cmd/cmd.h"
#include "attach/sys.h"

#include <stdio.h>
#include <string.h>

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
};

static const struct cmd cmds[] = {
	{ "top", cmd_top, "live table of bytes sent and received per process" },
	{ "trace", cmd_trace, "every socket call as an event, optionally with its payload" },
	{ "conns", cmd_conns, "live TCP connection table with internals, or its events" },
	{ "serve", cmd_serve, "Prometheus exporter of the counters, over HTTP or to a file" },
	{ "doctor", cmd_doctor, "what this kernel offers and how each hook would attach" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fputs("Usage: sockscope COMMAND [OPTIONS]\n"
	      "       sockscope --version | --help\n\n"
	      "Commands (any unambiguous prefix works):\n",
	      f);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fputs("\n'sockscope COMMAND --help' describes a command's options.\n"
	      "Needs root (or CAP_BPF + CAP_PERFMON, and CAP_NET_ADMIN for cgroup hooks).\n",
	      f);
}

static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *hit = NULL;
	size_t n = strlen(name);

	for (size_t i = 0; i < NCMDS; i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (!strncmp(cmds[i].name, name, n)) {
			if (hit) {
				fprintf(stderr, "sockscope: ambiguous command '%s' (%s, %s, ...)\n",
					name, hit->name, cmds[i].name);
				return NULL;
			}
			hit = &cmds[i];
		}
	}
	if (!hit)
		fprintf(stderr, "sockscope: unknown command '%s' (see 'sockscope --help')\n", name);
	return hit;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int verbose = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		cmd_version();
		return 0;
	}
	if (!argv[1][0]) {
		fputs("sockscope: empty command (see 'sockscope --help')\n", stderr);
		return 2;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "sockscope: unknown option '%s' before the command (see 'sockscope "
				"--help')\n", argv[1]);
		return 2;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return 2;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose++;
	sys_libbpf_log_init(verbose);
	return c->run(argc - 1, argv + 1);
}
