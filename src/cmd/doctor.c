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
#include "../out/json.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC  0xcafe4a11

static void usage(FILE *f)
{
	fputs("Usage: sockscope doctor [--json] [-v]\n"
	      "Prints the kernel, BTF, mounts and privileges, and for every hook of every\n"
	      "subcommand the way it would attach here, or why none works. Exit status 0 when\n"
	      "every subcommand can run, 1 otherwise.\n\n",
	      f);
	opts_usage(f, OPTS_OUTPUT);
}

static const char *fs_state(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic ? "mounted" : "not mounted";
}

static const char *targets(const struct ss_way *w, const bool skip[16])
{
	static char buf[256];
	size_t o = 0;

	buf[0] = '\0';
	for (int j = 0; w->progs[j].prog && o < sizeof(buf); j++)
		if (!skip[j] && (!j || strcmp(w->progs[j].target, w->progs[j - 1].target)))
			o += snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? " " : "",
				      w->progs[j].target);
	return buf;
}

static void json_way(const struct ss_hook_use *u, const struct ss_way *w, bool ok, bool used,
		     const char *why)
{
	struct jw j;

	jw_begin(&j, stdout);
	jw_str(&j, "type", "hook");
	jw_str(&j, "commands", u->cmds);
	jw_str(&j, "hook", u->hook->name);
	jw_str(&j, "mode", ss_mode_name(w->mode));
	jw_bool(&j, "works", ok);
	jw_bool(&j, "used", used);
	if (!ok)
		jw_str(&j, "why", why);
	jw_end(&j);
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
	printf("tracefs     /sys/kernel/tracing %s (mounted on demand for kprobes without PMU)\n",
	       fs_state("/sys/kernel/tracing", TRACEFS_MAGIC));
	printf("bpffs       /sys/fs/bpf %s (not needed)\n", fs_state("/sys/fs/bpf", BPF_FS_MAGIC));
	if (ss_find_mount("cgroup2", cg, sizeof(cg)))
		printf("cgroup2     %s\n", cg);
	else
		printf("cgroup2     not mounted (mounted on demand under /run/sockscope)\n");
}

/* One hook: every way to attach it, the first that works being the one used. */
static bool show_hook(const struct ss_hook_use *u, bool json)
{
	const struct ss_hook *hk = u->hook;
	bool chosen = false;

	for (int i = 0; i < SS_MAX_WAYS && hk->ways[i].progs; i++) {
		const struct ss_way *w = &hk->ways[i];
		bool skip[16];
		char why[256];
		bool ok = !ss_probe_way(w, skip, why, sizeof(why));
		bool use = ok && !chosen;

		chosen |= ok;
		if (json)
			json_way(u, w, ok, use, why);
		else
			printf("  %-13s %-10s %-7s %s\n", i ? "" : hk->name, ss_mode_name(w->mode),
			       use ? "USED" : ok ? "works" : "no", ok ? targets(w, skip) : why);
	}
	if (!json && (u->note || !chosen))
		printf("  %-13s (%s)\n", "", u->note ? u->note : "NO WAY TO ATTACH: unavailable");
	return chosen || u->note;
}

static bool show_hooks(bool json)
{
	const char *cmds = NULL;
	bool ok = true;

	for (const struct ss_hook_use *u = ss_hook_uses; u->hook; u++) {
		if (!json && (!cmds || strcmp(cmds, u->cmds))) {
			cmds = u->cmds;
			printf("\n%s:\n  %-13s %-10s %-7s %s\n", cmds, "HOOK", "MODE", "STATE",
			       "TARGETS, OR WHY NOT");
		}
		ok &= show_hook(u, json);
	}
	return ok;
}

int cmd_doctor(int argc, char **argv)
{
	struct ss_opts o;
	char err[512];
	bool ok;
	int ret;

	opts_init(&o);
	if ((ret = cmd_parse("doctor", &o, OPTS_OUTPUT, NULL, argc, argv, usage)) != CMD_GO)
		return ret;
	ss_libbpf_log_init(o.verbose);
	if (!o.json)
		show_machine();
	if (ss_check_privileges(err, sizeof(err))) {
		printf("\nhooks       cannot be probed: sockscope %s\n", err);
		return 1;
	}
	ok = show_hooks(o.json);
	ss_probe_cleanup();
	ss_unmount_ours();
	return ok ? 0 : 1;
}
