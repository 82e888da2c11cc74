/* SPDX-License-Identifier: GPL-2.0 */
/* Every hook sockscope attaches, declared once with its ways to attach (see probe.h). */
#ifndef SS_HOOKS_H
#define SS_HOOKS_H

#include "attach/probe.h"

extern const struct hook hook_sock_send;
extern const struct hook hook_sock_recv;
extern const struct hook hook_recv_bypass;
extern const struct hook hook_sock_release;
extern const struct hook hook_sock_cookie;
extern const struct hook hook_mmsg_entry;
extern const struct hook hook_conn_iter, hook_conn_state, hook_conn_retrans, hook_conn_reset_tx,
	hook_conn_reset_rx, hook_conn_destroy, hook_conn_accept, hook_conn_drop, hook_conn_bad_csum,
	hook_conn_cong;

#endif
