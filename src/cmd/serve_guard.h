/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve's own account of its HTTP connections. libmicrohttpd's limits turn a new connection
 * away once they are reached, a scrape as readily as an attacker's: 150 local connections that
 * never finish a request silence the exporter. The guard keeps the limits itself and, at a
 * limit, makes room by closing the connection that has waited longest without a request.
 */
#ifndef SS_SERVE_GUARD_H
#define SS_SERVE_GUARD_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define GUARD_MAX    128 /* connections at once */
#define GUARD_PER_IP 64  /* from one address */
#define GUARD_WAIT_S 10  /* for a whole request, since the accept or the last response */

struct guard_conn {
	bool used, busy, evicted; /* busy: a request came whole and is being answered */
	int fd;
	unsigned char ip[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint64_t since_ns;    /* CLOCK_MONOTONIC since when it waits for a request */
};

struct serve_guard {
	/* libmicrohttpd's thread, and the main thread's sweep; a slot is freed, under it,
	 * before libmicrohttpd closes its socket, so a socket shut down under it is ours */
	pthread_mutex_t lock;
	/* twice the limit: the evicted stay until libmicrohttpd has closed them */
	struct guard_conn c[2 * GUARD_MAX];
	uint64_t evicted; /* connections closed to make room or for waiting too long */
};

void guard_init(struct serve_guard *g);
void guard_free(struct serve_guard *g);
/* Closes the connections that have waited too long for a request (every interval). */
void guard_sweep(struct serve_guard *g);
/* The libmicrohttpd callbacks, run on its one thread; cls is the struct serve_guard. */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
void guard_notify(void *cls, struct MHD_Connection *conn, void **ctx,
		  enum MHD_ConnectionNotificationCode what);
void guard_completed(void *cls, struct MHD_Connection *conn, void **state,
		     enum MHD_RequestTerminationCode why);
/* From the access handler: the connection's request came whole. */
void guard_request(struct serve_guard *g, struct MHD_Connection *conn);
/* Connections closed so far by the guard, from any thread. */
uint64_t guard_evicted(const struct serve_guard *g);

#endif
