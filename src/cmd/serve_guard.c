// SPDX-License-Identifier: GPL-2.0
/*
 * Room for scrapes however many connections others hold (see serve_guard.h). A connection
 * that waits for a request is cheap to hold and costs the holder nothing, so at a limit the
 * one that has waited longest gives way to the newcomer; one that is being answered, or whose
 * whole request is waiting to be read, never does. A scraper sends its request at once and
 * is answered from memory at once, so it is never the one to go. libmicrohttpd's own limit
 * is twice ours, so that a newcomer always reaches guard_accept while the evicted close.
 */
#include "cmd/serve_guard.h"
#include "core/run.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define WAIT_NS ((uint64_t)GUARD_WAIT_S * 1000000000ULL)
#define NSLOTS	(sizeof(((struct serve_guard *)0)->c) / sizeof(struct guard_conn))

static void ip_of(const struct sockaddr *a, unsigned char ip[16])
{
	memset(ip, 0, 16);
	if (a->sa_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	} else if (a->sa_family == AF_INET) {
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
	}
}

/* Shuts it down under libmicrohttpd, which then reads its end and closes it as usual. */
static void evict(struct serve_guard *g, struct guard_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->evicted = true;
	__atomic_add_fetch(&g->evicted, 1, __ATOMIC_RELAXED);
}

static bool live(const struct guard_conn *c)
{
	return c->used && !c->evicted;
}

/*
 * Whether a whole request head waits in its socket, unread: libmicrohttpd accepts a burst of
 * newcomers before it reads any, and a scraper's request can sit there meanwhile. A slowloris
 * never has a whole head waiting, so this does not shield it.
 */
static bool request_pending(const struct guard_conn *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

	return n > 0 && memmem(buf, (size_t)n, "\r\n\r\n", 4);
}

/* Of the connections from ip that wait for a request, the one that has waited longest,
 * unless its request is already in its socket. */
static struct guard_conn *victim_from(struct serve_guard *g, const unsigned char *ip)
{
	bool shielded[NSLOTS] = { false };

	for (;;) {
		struct guard_conn *old = NULL;

		for (size_t i = 0; i < NSLOTS; i++) {
			struct guard_conn *c = &g->c[i];

			if (!live(c) || c->busy || shielded[i] || memcmp(c->ip, ip, 16))
				continue;
			if (!old || c->since_ns < old->since_ns)
				old = c;
		}
		if (!old || !request_pending(old))
			return old;
		shielded[old - g->c] = true;
	}
}

/* The address holding the most connections: at the total limit, it gives way. */
static const unsigned char *busiest(const struct serve_guard *g)
{
	const unsigned char *top = NULL;
	size_t most = 0;

	for (size_t i = 0; i < NSLOTS; i++) {
		size_t n = 0;

		if (!live(&g->c[i]))
			continue;
		for (size_t j = 0; j < NSLOTS; j++)
			n += live(&g->c[j]) && !memcmp(g->c[i].ip, g->c[j].ip, 16);
		if (n > most) {
			most = n;
			top = g->c[i].ip;
		}
	}
	return top;
}

void guard_init(struct serve_guard *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
}

void guard_free(struct serve_guard *g)
{
	pthread_mutex_destroy(&g->lock);
}

/* Slowloris sends a header line now and then, so libmicrohttpd's idle timeout never fires:
 * a whole request is due within GUARD_WAIT_S. Under the lock. */
static void sweep(struct serve_guard *g, uint64_t now)
{
	for (size_t i = 0; i < NSLOTS; i++) {
		struct guard_conn *c = &g->c[i];

		if (live(c) && !c->busy && now - c->since_ns >= WAIT_NS)
			evict(g, c);
	}
}

void guard_sweep(struct serve_guard *g)
{
	pthread_mutex_lock(&g->lock);
	sweep(g, run_now_ns());
	pthread_mutex_unlock(&g->lock);
}

/* Makes room for a newcomer from ip if a limit is reached: at its own address's limit from
 * that address, at the total limit from the busiest one. Under the lock. */
static enum MHD_Result admit(struct serve_guard *g, const unsigned char *ip)
{
	size_t total = 0, mine = 0;
	struct guard_conn *victim;

	sweep(g, run_now_ns());
	for (size_t i = 0; i < NSLOTS; i++) {
		if (live(&g->c[i])) {
			total++;
			mine += !memcmp(g->c[i].ip, ip, 16);
		}
	}
	if (mine < GUARD_PER_IP && total < GUARD_MAX)
		return MHD_YES;
	victim = victim_from(g, mine >= GUARD_PER_IP ? ip : busiest(g));
	if (!victim)
		return MHD_NO; /* every one is being answered or about to be: it can retry */
	evict(g, victim);
	return MHD_YES;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct serve_guard *g = cls;
	unsigned char ip[16];
	enum MHD_Result ret;

	(void)len;
	ip_of(addr, ip);
	pthread_mutex_lock(&g->lock);
	ret = admit(g, ip);
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static void started(struct serve_guard *g, struct MHD_Connection *conn, void **ctx)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *addr = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	for (size_t i = 0; i < NSLOTS; i++) {
		struct guard_conn *c = &g->c[i];

		if (c->used)
			continue;
		*c = (struct guard_conn){ .used = true, .fd = fd->connect_fd,
					  .since_ns = run_now_ns() };
		ip_of(addr->client_addr, c->ip);
		*ctx = c;
		return;
	}
	shutdown(fd->connect_fd, SHUT_RDWR); /* cannot happen: libmicrohttpd's limit is ours */
}

void guard_notify(void *cls, struct MHD_Connection *conn, void **ctx,
		  enum MHD_ConnectionNotificationCode what)
{
	struct serve_guard *g = cls;
	struct guard_conn *c = *ctx;

	pthread_mutex_lock(&g->lock);
	if (what == MHD_CONNECTION_NOTIFY_STARTED)
		started(g, conn, ctx);
	else if (c) /* closed: libmicrohttpd closes the socket after telling us */
		c->used = false;
	pthread_mutex_unlock(&g->lock);
}

static struct guard_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

void guard_request(struct serve_guard *g, struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_of(conn);

	pthread_mutex_lock(&g->lock);
	if (c)
		c->busy = true;
	pthread_mutex_unlock(&g->lock);
}

void guard_completed(void *cls, struct MHD_Connection *conn, void **state,
		     enum MHD_RequestTerminationCode why)
{
	struct serve_guard *g = cls;
	struct guard_conn *c = conn_of(conn);

	(void)state, (void)why;
	pthread_mutex_lock(&g->lock);
	if (c) { /* a keep-alive connection waits for its next request from now */
		c->busy = false;
		c->since_ns = run_now_ns();
	}
	pthread_mutex_unlock(&g->lock);
}

uint64_t guard_evicted(const struct serve_guard *g)
{
	return __atomic_load_n(&g->evicted, __ATOMIC_RELAXED);
}
