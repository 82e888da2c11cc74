/* SPDX-License-Identifier: GPL-2.0 */
/* The USER column of top's screen: who owns a process, by name. */
#ifndef SS_TUI_USER_H
#define SS_TUI_USER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The login name of the owner of process pid (/proc/PID's owner), its numeric uid when it has
 * no name, or "?" when the process is gone. Names are looked up once per uid, so a screen of
 * a thousand processes asks the user database a handful of times, not a thousand a second.
 */
const char *tui_user_name(uint32_t pid, char *buf, size_t len);

#endif
