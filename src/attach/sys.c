// SPDX-License-Identifier: GPL-2.0
/* Privileges, mounts, kernel facts and libbpf's log: see sys.h. */
#include "attach/sys.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define TRACEFS_MAGIC 0x74726163
#define OUR_CGROUP2   "/run/sockscope/cgroup2"

static bool mounted_cgroup2;

bool sys_has_cap(int cap)
{
	char line[256];
	uint64_t eff = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << cap);
}

int sys_check_privileges(char *why, size_t len)
{
	if (sys_has_cap(SYS_CAP_SYS_ADMIN) || (sys_has_cap(SYS_CAP_BPF) && sys_has_cap(SYS_CAP_PERFMON)))
		return 0;
	snprintf(why, len, "needs root, or CAP_BPF and CAP_PERFMON (plus CAP_NET_ADMIN for "
			   "cgroup hooks); run it with sudo");
	return -1;
}

bool sys_find_mount(const char *type, char *path, size_t len)
{
	char dev[256], dir[4096], fstype[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, fstype) == 3) {
		if (!strcmp(fstype, type)) {
			snprintf(path, len, "%s", dir);
			found = true;
		}
	}
	fclose(f);
	return found;
}

int sys_cgroup2_root(char *path, size_t len, char *why, size_t wlen)
{
	if (sys_find_mount("cgroup2", path, len))
		return 0;
	if (mkdir("/run/sockscope", 0700) && errno != EEXIST)
		goto fail;
	if (mkdir(OUR_CGROUP2, 0700) && errno != EEXIST)
		goto fail;
	if (mount("cgroup2", OUR_CGROUP2, "cgroup2", 0, NULL))
		goto fail;
	mounted_cgroup2 = true;
	snprintf(path, len, "%s", OUR_CGROUP2);
	return 0;
fail:
	snprintf(why, wlen, "no cgroup v2 hierarchy mounted and mounting one failed: %s",
		 strerror(errno));
	return -1;
}

int sys_ensure_tracefs(char *why, size_t len)
{
	struct statfs st;

	if (!statfs("/sys/kernel/tracing", &st) && st.f_type == TRACEFS_MAGIC)
		return 0;
	if (!mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		return 0;
	snprintf(why, len, "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s",
		 strerror(errno));
	return -1;
}

void sys_unmount_ours(void)
{
	if (mounted_cgroup2 && !umount2(OUR_CGROUP2, MNT_DETACH))
		mounted_cgroup2 = false;
}

static struct btf *vmlinux;
static bool vmlinux_tried;

struct btf *sys_vmlinux_btf(void)
{
	if (!vmlinux_tried) {
		vmlinux_tried = true;
		vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux))
			vmlinux = NULL;
	}
	return vmlinux;
}

bool sys_have_vmlinux_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

static const struct btf_type *func_proto(const char *func)
{
	struct btf *btf = sys_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -1;

	return id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
}

int sys_func_arity(const char *func)
{
	const struct btf_type *t = func_proto(func);

	return t ? btf_vlen(t) : -1;
}

bool sys_func_exists(const char *func)
{
	return func_proto(func) != NULL;
}

bool sys_tracepoint_exists(const char *tp)
{
	char name[256];
	struct btf *btf = sys_vmlinux_btf();

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

/* libbpf log: the last lines are kept for error messages, printed live only under -v. */
static int log_verbose;
static bool log_quiet;
static char last_log[4096];

/* Keeps the end of what libbpf said: a verifier log's last lines name the problem. */
static void keep_tail(const char *msg)
{
	size_t have = strlen(last_log), add = strlen(msg);

	if (add >= sizeof(last_log)) {
		msg += add - (sizeof(last_log) - 1);
		add = sizeof(last_log) - 1;
	}
	if (have + add >= sizeof(last_log)) {
		size_t drop = have + add - (sizeof(last_log) - 1);

		memmove(last_log, last_log + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(last_log + have, msg, add + 1);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char msg[1 << 20]; /* a whole verifier log comes as one message */

	if ((level == LIBBPF_DEBUG && log_verbose < 2) || log_quiet)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	keep_tail(msg);
	if (log_verbose)
		fputs(msg, stderr);
	return 0;
}

void sys_libbpf_log_init(int verbose)
{
	log_verbose = verbose;
	libbpf_set_print(libbpf_log);
}

void sys_libbpf_quiet(bool quiet)
{
	log_quiet = quiet;
	if (!quiet)
		last_log[0] = '\0';
}

void sys_libbpf_forget(void)
{
	last_log[0] = '\0';
}

const char *sys_libbpf_last(void)
{
	return last_log;
}
