/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of conns.bpf.c: loads and attaches the TCP hooks and the socket iterator, reads
 * the table of live sockets, and hands over closed sockets' final records and events.
 */
#ifndef SS_TCPCONN_H
#define SS_TCPCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opts.h"
#include "probe.h"
#include "sockscope.h"

struct ss_tcp;

struct ss_tcp_handlers {
	void (*final)(void *ctx, const struct ss_conn_row *r);
	void (*event)(void *ctx, const struct ss_conn_event *e);
	void *ctx;
};

#define SS_TCP_EVENTS (1u << 0) /* stream events (conns --events) */
#define SS_TCP_TOTALS (1u << 1) /* keep per-process counters in the kernel (serve) */

struct ss_tcp *ss_tcp_open(const struct ss_opts *o, unsigned flags,
			   const struct ss_tcp_handlers *h, char *err, size_t len);
void ss_tcp_describe(const struct ss_tcp *t, FILE *f);
const struct ss_choice *ss_tcp_choices(const struct ss_tcp *t, size_t *n);
/* Every selected live socket held by a process, once each; *rows stays valid until the
 * next call. */
int ss_tcp_rows(struct ss_tcp *t, const struct ss_conn_row **rows, size_t *n);
/* Waits up to timeout_ms for final records and events and hands them to the handlers. */
void ss_tcp_poll(struct ss_tcp *t, int timeout_ms);
/* Every per-process counter (SS_TCP_TOTALS); the arrays are reused between calls. */
int ss_tcp_totals(struct ss_tcp *t, struct ss_tcp_total_key **keys, uint64_t **vals, size_t *n);
/* Forgets the counters of a process that is gone (serve's --forget-after). */
void ss_tcp_forget(struct ss_tcp *t, uint32_t tgid);
/* At the end: detaches the hooks and counts the events still unread in the ring buffer. */
uint64_t ss_tcp_unread(struct ss_tcp *t);
/* Events and final records the ring buffers had no room for. */
uint64_t ss_tcp_lost(const struct ss_tcp *t);
void ss_tcp_close(struct ss_tcp *t);

const char *tcp_state_name(unsigned state);
const char *ca_state_name(unsigned ca);
const char *role_name(unsigned role);
/* The kernel's name of a drop reason, from its BTF ("NETFILTER_DROP"), or its number. */
const char *drop_reason_name(unsigned reason);

/* The capability (loader.h): doctor loads it as ss_tcp_open would, and lists its hooks. */
struct ld_cap;
extern const struct ld_cap ss_tcp_cap;

#endif
