// SPDX-License-Identifier: GPL-2.0
/* The owner of a process, by name: see user.h. */
#include "tui/user.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define CACHED 64 /* distinct owners remembered; a machine has few that run processes */

static struct {
	uid_t uid;
	char name[32];
} cache[CACHED];
static size_t ncached;

static const char *name_of(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	size_t i;

	for (i = 0; i < ncached; i++)
		if (cache[i].uid == uid)
			return cache[i].name;
	i = ncached < CACHED ? ncached++ : uid % CACHED;
	cache[i].uid = uid;
	if (!getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(cache[i].name, sizeof(cache[i].name), "%s", pw.pw_name);
	else
		snprintf(cache[i].name, sizeof(cache[i].name), "%u", (unsigned)uid);
	return cache[i].name;
}

const char *tui_user_name(uint32_t pid, char *buf, size_t len)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u", pid);
	snprintf(buf, len, "%s", pid && !stat(path, &st) ? name_of(st.st_uid) : "?");
	return buf;
}
