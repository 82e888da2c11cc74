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

#include "core/opts.h"
#include "attach/probe.h"
#include "sockscope.h"

struct conns_reader;

struct conns_handlers {
	void (*final)(void *ctx, const struct ss_conn_row *r);
	void (*event)(void *ctx, const struct ss_conn_event *e);
	void *ctx;
};

#define CONNS_EVENTS (1u << 0) /* stream events (conns --events) */
#define CONNS_TOTALS (1u << 1) /* keep per-process counters in the kernel (serve) */

struct conns_reader *conns_open(const struct opts *o, unsigned flags,
			   const struct conns_handlers *h, char *err, size_t len);
void conns_describe(const struct conns_reader *t, FILE *f);
const struct hook_choice *conns_choices(const struct conns_reader *t, size_t *n);
/* Every selected live socket held by a process, once each; *rows stays valid until the
 * next call. */
int conns_rows(struct conns_reader *t, const struct ss_conn_row **rows, size_t *n);
/* Waits up to timeout_ms for final records and events and hands them to the handlers. */
void conns_poll(struct conns_reader *t, int timeout_ms);
/* Every per-process counter (CONNS_TOTALS); the arrays are reused between calls. */
int conns_totals(struct conns_reader *t, struct ss_tcp_total_key **keys, uint64_t **vals,
		 size_t *n);
/* Forgets the counters of a process that is gone (serve's --forget-after). */
void conns_forget(struct conns_reader *t, uint32_t tgid);
/* At the end: detaches the hooks and counts the events still unread in the ring buffer. */
uint64_t conns_unread(struct conns_reader *t);
/* Events and final records the ring buffers had no room for. */
uint64_t conns_lost(const struct conns_reader *t);
void conns_close(struct conns_reader *t);

const char *tcp_state_name(unsigned state);
const char *ca_state_name(unsigned ca);
const char *role_name(unsigned role);
/* The kernel's name of a drop reason, from its BTF ("NETFILTER_DROP"), or its number. */
const char *drop_reason_name(unsigned reason);

/* The capability (attach/capability.h): doctor loads it as conns_open would, and lists its
 * hooks. */
struct capability;
extern const struct capability conns_cap;

#endif
