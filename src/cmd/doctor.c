// SPDX-License-Identifier: GPL-2.0
/*
 * `sockscope doctor`: what this machine offers and what each subcommand would attach, so that
 * a user on an unusual kernel learns why something will not work before trying it. The text
 * is a report laid out by hand; the JSON records come from the field tables (records.c).
 */
#include "cmd/cmd.h"
#include "readers/io.h"
#include "attach/capability.h"
#include "readers/conns.h"
#include "readers/tracer.h"
#include "core/opts.h"
#include "attach/probe.h"
#include "attach/sys.h"
#include "writers/json.h"
#include "writers/records.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC  0xcafe4a11

static const char doctor_about[] =
	"Prints the kernel, BTF, mounts and privileges, and for every hook of every\n"
	"subcommand the way it would attach here, or why none works; then loads every BPF\n"
	"object as its subcommands would, and names any program the kernel refuses with\n"
	"the verifier's reason. Exit status 0 when every subcommand can run, 1 otherwise.";

static const struct opts_cmd_help doctor_help = {
	.name = "doctor",
	.about = doctor_about,
	.groups = OPTS_OUTPUT,
};

static void usage(FILE *f)
{
	opts_help(f, &doctor_help);
}

static const char *fs_state(const char *path, long magic)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == magic ? "mounted" : "not mounted";
}

/* The capabilities, in the order doctor shows them. */
static const struct capability *const caps[] = { &io_cap, &tracer_cap, &conns_cap };

/* One hook of a capability, under the subcommands that attach it. */
struct hook_use {
	const struct hook *hook;
	char cmds[128]; /* "conns, serve" */
	char note[160]; /* "conns --events and serve only"; empty when every load attaches it */
};

/* What the subcommands loading a capability so are called: "conns --events". */
static const char *use_label(const struct cap_use *u, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", u->cmds, u->variant ? " " : "", u->variant ? u->variant : "");
	return buf;
}

static bool has_name(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(list, name); p; p = strstr(p + 1, name))
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

/* Appends to list ("top, serve") each of names not already in it. */
static void add_names(char *list, size_t len, const char *names)
{
	char copy[128], *save, *name;

	snprintf(copy, sizeof(copy), "%s", names);
	for (name = strtok_r(copy, ", ", &save); name; name = strtok_r(NULL, ", ", &save))
		if (!has_name(list, name))
			snprintf(list + strlen(list), len - strlen(list), "%s%s", list[0] ? ", " : "",
				 name);
}

/* "a", "a and b", "a, b and c", then " only". */
static void add_note(char *note, size_t len, const char *label, bool last)
{
	size_t o = strlen(note);

	snprintf(note + o, len - o, "%s%s%s", !o ? "" : last ? " and " : ", ", label,
		 last ? " only" : "");
}

/* Which loads of cap attach its hook h: by their flags (cap_hook.only). */
static void hook_use(const struct capability *cap, const struct cap_hook *h, struct hook_use *u)
{
	const struct cap_use *use;
	size_t n = 0, all = 0, k = 0;
	char label[128];

	u->hook = h->hook;
	u->cmds[0] = u->note[0] = '\0';
	for (use = cap->uses; use->cmds; use++, all++)
		n += cap_hook_for(h, use->flags);
	for (use = cap->uses; use->cmds; use++) {
		if (!cap_hook_for(h, use->flags))
			continue;
		add_names(u->cmds, sizeof(u->cmds), use->cmds);
		if (n < all)
			add_note(u->note, sizeof(u->note), use_label(use, label, sizeof(label)),
				 ++k == n);
	}
}

/* One JSON object of record type r, on stdout. */
static void json_record(const struct record *r, uint64_t hide, field_get *get, void *row)
{
	struct jw j;

	fields_begin(&j, stdout, r);
	fields_json(&j, r, hide, get, row);
	jw_end(&j);
}

/* One way to attach a hook, as probed. */
struct way_row {
	const struct hook_use *u;
	const struct hook_way *w;
	bool ok, used;
	const char *why;
};

static void way_value(void *row, int field, struct fval *v)
{
	const struct way_row *r = row;

	switch (field) {
	case HK_COMMANDS:
		v->s = r->u->cmds;
		break;
	case HK_HOOK:
		v->s = r->u->hook->name;
		break;
	case HK_MODE:
		v->s = attach_mode_name(r->w->mode);
		break;
	case HK_WORKS:
		v->u = r->ok;
		break;
	case HK_USED:
		v->u = r->used;
		break;
	default:
		v->s = r->why;
	}
}

struct machine {
	struct utsname u;
	unsigned uid;
	bool btf, cap[4]; /* cap[] in the order of rec_machine's MA_CAP_* */
	const char *tracefs, *bpffs;
	char cgroup[4096]; /* empty when not mounted */
};

static const char *const cap_names[4] = { "CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN",
					  "CAP_SYS_ADMIN" };

static void look_at_machine(struct machine *m)
{
	const int caps[4] = { SYS_CAP_BPF, SYS_CAP_PERFMON, SYS_CAP_NET_ADMIN, SYS_CAP_SYS_ADMIN };

	uname(&m->u);
	m->uid = getuid();
	m->btf = sys_have_vmlinux_btf();
	for (int i = 0; i < 4; i++)
		m->cap[i] = sys_has_cap(caps[i]);
	m->tracefs = fs_state("/sys/kernel/tracing", TRACEFS_MAGIC);
	m->bpffs = fs_state("/sys/fs/bpf", BPF_FS_MAGIC);
	if (!sys_find_mount("cgroup2", m->cgroup, sizeof(m->cgroup)))
		m->cgroup[0] = '\0';
}

static void machine_value(void *row, int field, struct fval *v)
{
	const struct machine *m = row;

	switch (field) {
	case MA_KERNEL:
		v->s = m->u.release;
		break;
	case MA_ARCH:
		v->s = m->u.machine;
		break;
	case MA_BTF:
		v->u = m->btf;
		break;
	case MA_UID:
		v->u = m->uid;
		break;
	case MA_TRACEFS:
		v->s = m->tracefs;
		break;
	case MA_BPFFS:
		v->s = m->bpffs;
		break;
	case MA_CGROUP2:
		v->s = m->cgroup[0] ? m->cgroup : "not mounted";
		break;
	default:
		v->u = m->cap[field - MA_CAP_BPF];
	}
}

static void show_machine(bool json)
{
	struct machine m;

	look_at_machine(&m);
	if (json) {
		json_record(&rec_machine, 0, machine_value, &m);
		return;
	}
	printf("kernel      %s %s (%s)\n", m.u.sysname, m.u.release, m.u.machine);
	printf("btf         /sys/kernel/btf/vmlinux %s\n",
	       m.btf ? "present" : "MISSING (CO-RE needs CONFIG_DEBUG_INFO_BTF)");
	printf("privileges  uid %u;", m.uid);
	for (int i = 0; i < 4; i++)
		printf(" %s %s%s", cap_names[i], m.cap[i] ? "yes" : "no", i < 3 ? "," : "\n");
	printf("tracefs     /sys/kernel/tracing %s (mounted on demand for kprobes without PMU)\n",
	       m.tracefs);
	printf("bpffs       /sys/fs/bpf %s (not needed)\n", m.bpffs);
	if (m.cgroup[0])
		printf("cgroup2     %s\n", m.cgroup);
	else
		printf("cgroup2     not mounted (mounted on demand under /run/sockscope)\n");
}

/* One hook: every way to attach it, the first that works being the one used. */
static bool show_hook(const struct hook_use *u, bool json)
{
	const struct hook *hk = u->hook;
	bool chosen = false;

	for (int i = 0; i < HOOK_MAX_WAYS && hk->ways[i].progs; i++) {
		const struct hook_way *w = &hk->ways[i];
		bool skip[16];
		char why[256], targets[512];
		bool ok = !probe_way(w, skip, why, sizeof(why));
		bool use = ok && !chosen;

		chosen |= ok;
		if (json)
			json_record(&rec_hook, ok ? FIELD_BIT(HK_WHY) : 0, way_value,
				    &(struct way_row){ u, w, ok, use, why });
		else
			printf("  %-13s %-10s %-7s %s\n", i ? "" : hk->name,
			       attach_mode_name(w->mode),
			       use  ? "USED"
			       : ok ? "works"
				    : "no",
			       ok ? cap_targets(w, skip, targets, sizeof(targets)) : why);
	}
	if (!json && (u->note[0] || !chosen))
		printf("  %-13s (%s)\n", "", u->note[0] ? u->note : "NO WAY TO ATTACH: unavailable");
	return chosen || u->note[0];
}

static bool show_hooks(bool json)
{
	char cmds[128] = "";
	bool ok = true;

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		for (size_t i = 0; i < caps[c]->nhooks; i++) {
			struct hook_use u;

			hook_use(caps[c], &caps[c]->hooks[i], &u);
			if (!json && strcmp(cmds, u.cmds)) {
				snprintf(cmds, sizeof(cmds), "%s", u.cmds);
				printf("\n%s:\n  %-13s %-10s %-7s %s\n", cmds, "HOOK", "MODE",
				       "STATE", "TARGETS, OR WHY NOT");
			}
			ok &= show_hook(&u, json);
		}
	}
	return ok;
}

/* One BPF object, as loaded for some subcommands. */
struct object_row {
	const char *object, *cmds;
	bool ok;
	const char *why;
};

static void object_value(void *row, int field, struct fval *v)
{
	const struct object_row *r = row;

	switch (field) {
	case OB_OBJECT:
		v->s = r->object;
		break;
	case OB_COMMANDS:
		v->s = r->cmds;
		break;
	case OB_LOADS:
		v->u = r->ok;
		break;
	default:
		v->s = r->why;
	}
}

/* One capability, loaded as some subcommands would load it, and dropped. */
static bool show_object(const struct capability *cap, const struct cap_use *use,
			const struct opts *o, bool json)
{
	char err[512] = "", label[128], *hint;
	bool ok = !cap_try_load(cap, o, use->flags, err, sizeof(err));

	if ((hint = strstr(err, "; run 'sockscope doctor'")))
		*hint = '\0'; /* we are the doctor */
	use_label(use, label, sizeof(label));
	if (json)
		json_record(&rec_object, ok ? FIELD_BIT(OB_WHY) : 0, object_value,
			    &(struct object_row){ cap->name, label, ok, err });
	else
		printf("  %-7s %-26s %s%s\n", cap->name, label, ok ? "loads" : "REFUSED ",
		       ok ? "" : err);
	return ok;
}

/*
 * A hook that attaches proves little if the verifier refuses the program that would use
 * it: every object is loaded for real, in each way its subcommands load it, and dropped.
 */
static bool show_objects(const struct opts *o, bool json)
{
	bool all = true;

	if (!json)
		printf("\nBPF objects, loaded as each subcommand would (not attached):\n"
		       "  %-7s %-26s %-7s %s\n", "OBJECT", "FOR", "STATE", "WHY NOT");
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
		for (const struct cap_use *use = caps[c]->uses; use->cmds; use++)
			all &= show_object(caps[c], use, o, json);
	return all;
}

int cmd_doctor(int argc, char **argv)
{
	struct opts o;
	char err[512];
	bool ok;
	int ret;

	opts_init(&o);
	if ((ret = cmd_parse("doctor", &o, OPTS_OUTPUT, NULL, argc, argv, usage)) != CMD_GO)
		return ret;
	sys_libbpf_log_init(o.verbose);
	show_machine(o.json);
	if (sys_check_privileges(err, sizeof(err))) {
		fflush(stdout);
		fprintf(stderr, "sockscope doctor: cannot probe the hooks: %s\n", err);
		return 1;
	}
	ok = show_hooks(o.json);
	ok &= show_objects(&o, o.json);
	probe_cleanup();
	sys_unmount_ours();
	return ok ? 0 : 1;
}
