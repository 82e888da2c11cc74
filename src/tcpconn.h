/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of conns.bpf.c: loads and attaches the TCP hooks and the socket iterator, reads
 * the table of live sockets, and hands over closed sockets' final records and events.
 */
#ifndef SS_TCPCONN_H
#define SS_TCPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "opts.h"
#include "sockscope.h"

struct ss_tcp;

struct ss_tcp_handlers {
	void (*final)(void *ctx, const struct ss_conn_row *r);
	void (*event)(void *ctx, const struct ss_conn_event *e);
	void *ctx;
};

struct ss_tcp *ss_tcp_open(const struct ss_opts *o, bool events, const struct ss_tcp_handlers *h,
			   char *err, size_t len);
void ss_tcp_describe(const struct ss_tcp *t, FILE *f);
/* Every selected live socket held by a process, once each; *rows is reused between calls. */
int ss_tcp_rows(struct ss_tcp *t, struct ss_conn_row **rows, size_t *n);
/* Waits up to timeout_ms for final records and events and hands them to the handlers. */
void ss_tcp_poll(struct ss_tcp *t, int timeout_ms);
/* Events and final records the ring buffers had no room for. */
uint64_t ss_tcp_lost(const struct ss_tcp *t);
void ss_tcp_close(struct ss_tcp *t);

const char *tcp_state_name(unsigned state);
const char *ca_state_name(unsigned ca);
const char *role_name(unsigned role);
/* The kernel's name of a drop reason, from its BTF ("NETFILTER_DROP"), or its number. */
const char *drop_reason_name(unsigned reason);

#endif
