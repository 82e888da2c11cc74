// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope doctor`: what this machine offers and what each subcommand would attach, so that
 * a user on an unusual kernel learns why something will not work before trying it.
 */
#include "cmd.h"
#include "../hooks.h"
#include "../opts.h"
#include "../probe.h"
#include "../sys.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC  0xcafe4a11

static void usage(FILE *f)
{
	fputs("Usage: sockscope doctor [-v]\n"
	      "Prints the kernel, BTF, mounts and privileges, and for every hook of every\n"
	      "subcommand the way it would attach here, or why none works. Exit status 0 when\n"
	      "every subcommand can run, 1 otherwise.\n\n",
	      f);
	opts_usage(f, 0);
}

static const char *fs_state(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic ? "mounted" : "not mounted";
}

static void show_machine(void)
{
	struct utsname u;
	char cg[4096] = "";

	uname(&u);
	printf("kernel      %s %s (%s)\n", u.sysname, u.release, u.machine);
	printf("btf         /sys/kernel/btf/vmlinux %s\n",
	       ss_have_vmlinux_btf() ? "present" : "MISSING (CO-RE needs CONFIG_DEBUG_INFO_BTF)");
	printf("privileges  uid %u; CAP_BPF %s, CAP_PERFMON %s, CAP_NET_ADMIN %s, CAP_SYS_ADMIN %s\n",
	       getuid(), ss_has_cap(SS_CAP_BPF) ? "yes" : "no",
	       ss_has_cap(SS_CAP_PERFMON) ? "yes" : "no",
	       ss_has_cap(SS_CAP_NET_ADMIN) ? "yes" : "no",
	       ss_has_cap(SS_CAP_SYS_ADMIN) ? "yes" : "no");
	printf("tracefs     /sys/kernel/tracing %s (mounted on demand for kprobe mode)\n",
	       fs_state("/sys/kernel/tracing", TRACEFS_MAGIC));
	printf("bpffs       /sys/fs/bpf %s (not needed)\n", fs_state("/sys/fs/bpf", BPF_FS_MAGIC));
	if (ss_find_mount("cgroup2", cg, sizeof(cg)))
		printf("cgroup2     %s\n", cg);
	else
		printf("cgroup2     not mounted (mounted on demand under /run/sockscope)\n");
}

/* One hook: the way that would be chosen, and why each way before it was passed over. */
static bool show_hook(const struct ss_hook_use *u)
{
	struct ss_choice c;
	bool ok = !ss_choose(u->hook, SS_MODE_AUTO, &c);

	printf("  %-13s %-8s", u->hook->name, ok ? ss_mode_name(u->hook->ways[c.way].mode) : "NONE");
	if (ok)
		for (int j = 0; u->hook->ways[c.way].progs[j].prog; j++)
			if (!c.skip[j])
				printf(" %s", u->hook->ways[c.way].progs[j].target);
	putchar('\n');
	if (c.why[0])
		printf("  %-13s passed over: %s\n", "", c.why);
	if (u->note)
		printf("  %-13s (%s)\n", "", u->note);
	return ok || u->note;
}

static bool show_hooks(void)
{
	const char *cmds = NULL;
	bool ok = true;

	for (const struct ss_hook_use *u = ss_hook_uses; u->hook; u++) {
		if (!cmds || strcmp(cmds, u->cmds)) {
			cmds = u->cmds;
			printf("\n%s:\n", cmds);
		}
		ok &= show_hook(u);
	}
	return ok;
}

int cmd_doctor(int argc, char **argv)
{
	struct ss_opts o;
	char err[512];
	bool ok;

	opts_init(&o);
	switch (opts_parse(&o, 0, NULL, argc, argv, err, sizeof(err))) {
	case 1:
		usage(stdout);
		return 0;
	case -1:
		return cmd_usage_error("doctor", err);
	}
	ss_libbpf_log_init(o.verbose);
	show_machine();
	if (ss_check_privileges(err, sizeof(err))) {
		printf("\nhooks       cannot be probed: sockscope %s\n", err);
		return 1;
	}
	ok = show_hooks();
	ss_probe_cleanup();
	ss_unmount_ours();
	return ok ? 0 : 1;
}
