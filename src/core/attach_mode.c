// SPDX-License-Identifier: GPL-2.0
/* Names of the attach modes: see attach_mode.h. */
#include "core/attach_mode.h"

#include <string.h>

static const char *const mode_names[ATTACH_COUNT] = {
	[ATTACH_TP_BTF] = "tp_btf", [ATTACH_RAW_TP] = "raw_tp", [ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe", [ATTACH_CGROUP] = "cgroup", [ATTACH_TRACEPOINT] = "tracepoint",
	[ATTACH_ITER] = "iter",
};

const char *attach_mode_name(enum attach_mode m)
{
	return m >= 0 && m < ATTACH_COUNT ? mode_names[m] : "auto";
}

int attach_mode_parse(const char *s, enum attach_mode *m)
{
	if (!strcmp(s, "auto")) {
		*m = ATTACH_AUTO;
		return 0;
	}
	for (int i = 0; i < ATTACH_CGROUP; i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = i;
			return 0;
		}
	}
	return -1;
}
