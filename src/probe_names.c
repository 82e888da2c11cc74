// SPDX-License-Identifier: GPL-2.0
/* Names of the attach modes, apart from probe.c so that option parsing needs no libbpf. */
#include "probe.h"

#include <string.h>

static const char *const mode_names[SS_MODE_COUNT] = {
	[SS_MODE_TP_BTF] = "tp_btf", [SS_MODE_RAW_TP] = "raw_tp", [SS_MODE_FENTRY] = "fentry",
	[SS_MODE_KPROBE] = "kprobe", [SS_MODE_CGROUP] = "cgroup", [SS_MODE_TRACEPOINT] = "tracepoint",
	[SS_MODE_ITER] = "iter",
};

const char *ss_mode_name(enum ss_mode m)
{
	return m >= 0 && m < SS_MODE_COUNT ? mode_names[m] : "auto";
}

int ss_mode_parse(const char *s, enum ss_mode *m)
{
	if (!strcmp(s, "auto")) {
		*m = SS_MODE_AUTO;
		return 0;
	}
	for (int i = 0; i < SS_MODE_CGROUP; i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = i;
			return 0;
		}
	}
	return -1;
}
