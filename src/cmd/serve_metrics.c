// SPDX-License-Identifier: GPL-2.0
/*
 * What `serve` exports: the exposition rendered from the byte counters (io) and the TCP
 * counters (conns.bpf.c), which processes get series (--max-series) and when the series of
 * exited processes go (--forget-after), and the atomic --textfile.
 */
#include "serve.h"
#include "../io.h"
#include "../run.h"
#include "../tcpconn.h"
#include "../out/prom.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SOCKSCOPE_VERSION
#define SOCKSCOPE_VERSION "0.0.0"
#endif

/* The first IPv4 address of a name, else its first address, as Go's net.Listen (and so
 * node_exporter and Prometheus) takes one; -1 with a message if it has none. */
static int resolve(const char *arg, const char *host, uint16_t port, struct serve_listen *l,
		   char *err, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *pick;
	int e = getaddrinfo(host, NULL, &hints, &res);

	if (e) {
		snprintf(err, len, "invalid listen address '%.64s': cannot resolve '%.64s': %s",
			 arg, host, gai_strerror(e));
		return -1;
	}
	for (pick = res; pick && pick->ai_family != AF_INET; pick = pick->ai_next)
		;
	if (!pick)
		pick = res;
	memcpy(&l->addr, pick->ai_addr, pick->ai_addrlen);
	if (pick->ai_family == AF_INET)
		((struct sockaddr_in *)&l->addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&l->addr)->sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" into host (without brackets) and port. */
static int split_listen(const char *arg, char *host, size_t hlen, uint16_t *port, char *err,
			size_t len)
{
	const char *colon = strrchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : 0;

	if (!colon || strchr(arg, ']') > colon || (strchr(arg, ':') != colon && arg[0] != '[')) {
		snprintf(err, len, "invalid listen address '%.64s': expected HOST:PORT, :PORT or "
				   "[IPv6]:PORT", arg);
		return -1;
	}
	if (opts_parse_port(colon + 1, "listen port", port, err, len))
		return -1;
	if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']')
		arg++, n -= 2;
	if (n >= hlen) {
		snprintf(err, len, "invalid listen address '%.64s': host name too long", arg);
		return -1;
	}
	memcpy(host, arg, n);
	host[n] = '\0';
	return 0;
}

/* The forms Prometheus exporters accept: ":PORT" for every address (IPv6 and IPv4), an IPv4
 * or bracketed IPv6 address, or a name, resolved. */
int serve_parse_listen(const char *arg, struct serve_listen *l, char *err, size_t len)
{
	char host[256];
	uint16_t port;

	if (split_listen(arg, host, sizeof(host), &port, err, len))
		return -1;
	memset(l, 0, sizeof(*l));
	if (!host[0]) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons(port);
		l->any = true;
	} else if (resolve(arg, host, port, l, err, len)) {
		return -1;
	}
	serve_listen_text(l);
	return 0;
}

void serve_listen_text(struct serve_listen *l)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&l->addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&l->addr;

	if (l->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		snprintf(l->text, sizeof(l->text), "%s:%u", ip, ntohs(a4->sin_port));
	} else {
		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		snprintf(l->text, sizeof(l->text), "[%s]:%u", ip, ntohs(a6->sin6_port));
	}
}

/* Tries to create the textfile's temporary as the user serve will run as. */
static int check_textfile(struct serve *s, char *err, size_t len)
{
	char tmp[PATH_MAX];
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", s->textfile, (int)getpid());
	if (setegid(s->gid) || seteuid(s->uid)) {
		snprintf(err, len, "cannot act as user %s: %s", s->user, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	e = errno;
	if (seteuid(getuid()) || setegid(getgid()))
		return -1;
	if (fd < 0) {
		snprintf(err, len, "invalid textfile '%s': %s cannot write there: %s", s->textfile,
			 s->user, strerror(e));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int serve_check(struct serve *s, char *err, size_t len)
{
	struct passwd *pw = getpwnam(s->user);

	if (!pw) {
		snprintf(err, len, "unknown user '%s'", s->user);
		return -1;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	if (htab_init(&s->admitted, sizeof(uint32_t), sizeof(struct serve_admitted)) ||
	    htab_init(&s->refused, sizeof(uint32_t), sizeof(struct serve_refused)) ||
	    htab_init(&s->forgotten, sizeof(uint32_t), sizeof(struct serve_forgotten))) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	return s->textfile ? check_textfile(s, err, len) : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void proc_comm(uint32_t pid, char comm[SS_COMM_LEN])
{
	char path[64];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	memset(comm, 0, SS_COMM_LEN);
	f = fopen(path, "r");
	if (f) {
		n = fread(comm, 1, SS_COMM_LEN - 1, f);
		fclose(f);
	}
	if (n && comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	if (!comm[0])
		comm[0] = '-';
}

/*
 * Whether tgid is a process whose series left and that is still gone. A TCP counter of one of
 * its connections can move after it exited (an orphaned socket closing, retransmitting):
 * that must not bring a forgotten series back, which would break rate() and alerts. A live
 * process under the same PID is another one, and welcome.
 */
static bool forgotten(struct serve *s, uint32_t tgid)
{
	if (!htab_find(&s->forgotten, &tgid))
		return false;
	if (!run_pid_alive(tgid))
		return true;
	htab_del(&s->forgotten, &tgid);
	return false;
}

#define TEN_S 10000000000ULL
/* Past this, nothing of an exited process's sockets is left to move (orphaned sockets are
 * done within tcp_orphan_retries' minutes): what it left in the kernel is cleared again. */
#define FORGOTTEN_KEEP_NS (600 * 1000000000ULL)

/* The host's RTT histogram keeps what a forgotten process's connections added to it. */
static void keep_srtt(struct serve *s, uint32_t tgid)
{
	struct ss_tcp_total_key *keys;
	uint64_t *vals;
	size_t n;

	if (ss_tcp_totals(s->tcp, &keys, &vals, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (keys[i].tgid != tgid)
			continue;
		if (keys[i].kind == SS_TT_SRTT && keys[i].sub <= SS_SRTT_BUCKETS)
			s->srtt_base[keys[i].sub] += vals[i];
		else if (keys[i].kind == SS_TT_SRTT_SUM)
			s->srtt_base_sum += vals[i];
	}
}

static void drop_counters(struct serve *s, uint32_t tgid)
{
	ss_io_forget(s->io, tgid);
	if (s->tcp) {
		keep_srtt(s, tgid);
		ss_tcp_forget(s->tcp, tgid);
	}
}

/* An exited process's series leave now, and it is remembered as forgotten. */
static void forget_now(struct serve *s, uint32_t tgid, uint64_t now)
{
	struct serve_forgotten *f = htab_get(&s->forgotten, &tgid, NULL);
	struct serve_admitted *a = htab_find(&s->admitted, &tgid);

	if (f)
		f->when_ns = now;
	if (a)
		s->nseries -= a->nseries;
	htab_del(&s->admitted, &tgid);
	htab_del(&s->refused, &tgid);
	drop_counters(s, tgid);
}

/* The exported process that exited longest ago leaves, to make room for a live one. */
static bool evict_exited(struct serve *s)
{
	struct serve_admitted *a, *old = NULL;

	if (!s->nexited)
		return false;
	for (size_t i = 0; (a = htab_next(&s->admitted, &i));)
		if (a->exited && (!old || a->alive_ns < old->alive_ns))
			old = a;
	s->nexited = old ? s->nexited - 1 : 0;
	if (old)
		forget_now(s, old->tgid, now_ns());
	return old != NULL;
}

/*
 * At --max-series, a live process takes the place of those that have exited (an exited one's
 * counters no longer move, a live one's do); any other process is refused, and counted once
 * however many intervals it stays refused.
 */
static bool make_room(struct serve *s, uint32_t tgid, uint32_t cost)
{
	struct serve_refused *r = htab_find(&s->refused, &tgid);
	bool alive, created;

	if (r && !(r->alive && s->nexited))
		return false; /* as refused as at the last look */
	alive = run_pid_alive(tgid);
	while (alive && s->nseries + cost > s->max_series && evict_exited(s))
		;
	if (s->nseries + cost <= s->max_series)
		return true;
	if (!r && (r = htab_get(&s->refused, &tgid, &created)))
		s->refused_total++;
	if (r)
		r->alive = alive;
	return false;
}

/* How many per-process series one process has now (a key of this table). */
struct serve_cost {
	uint32_t tgid;
	uint32_t n;
	bool srtt; /* its RTT histogram is counted */
};

/* A process gets its series if they fit, or if it runs and exported ones have exited; else it
 * is counted as refused, once. comm may be NULL (then read from /proc). */
static void admit(struct serve *s, const struct serve_cost *c, const char *comm)
{
	struct serve_admitted *a = htab_find(&s->admitted, &c->tgid);

	if (a || forgotten(s, c->tgid))
		return;
	if (s->nseries + c->n > s->max_series && !make_room(s, c->tgid, c->n))
		return;
	htab_del(&s->refused, &c->tgid);
	a = htab_get(&s->admitted, &c->tgid, NULL);
	if (!a)
		return;
	if (comm)
		memcpy(a->comm, comm, SS_COMM_LEN);
	else
		proc_comm(c->tgid, a->comm);
	a->alive_ns = now_ns();
	a->nseries = c->n;
	s->nseries += c->n;
}

/* The series each process would have, as serve_render.c renders them: 4 per protocol it used,
 * 1 per TCP counter, and with --srtt-per-process its histogram's buckets, sum and count. */
static int count_series(struct serve *s, struct htab *cost)
{
	const struct ss_proc *pr;
	struct ss_tcp_total_key *keys;
	uint64_t *vals;
	size_t n = 0;
	struct serve_cost *c;

	for (size_t i = 0; (pr = htab_next(ss_io_procs(s->io), &i));) {
		if (!(c = htab_get(cost, &pr->tgid, NULL)))
			return -1;
		for (int k = 0; k < SS_NPROTO; k++)
			if (pr->by_proto[k].calls[SS_SEND] || pr->by_proto[k].calls[SS_RECV])
				c->n += 4;
	}
	if (s->tcp && ss_tcp_totals(s->tcp, &keys, &vals, &n))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (!keys[i].tgid || keys[i].kind == SS_TT_SRTT_SUM)
			continue; /* pid 0 is no process; the sum goes with the buckets */
		if (!(c = htab_get(cost, &keys[i].tgid, NULL)))
			return -1;
		if (keys[i].kind != SS_TT_SRTT)
			c->n++;
		else if (s->srtt_per_process && !c->srtt && (c->srtt = true))
			c->n += SS_SRTT_BUCKETS + 3;
	}
	return 0;
}

/*
 * Decides, before rendering, which processes have series, so that making room (which forgets
 * a process) never changes a table while the renderer walks it. The series of the processes
 * already exported are counted again, since they grow (a first retransmit, a new protocol):
 * new processes are admitted only within what is left of --max-series.
 */
static void admit_all(struct serve *s)
{
	struct htab cost;
	struct serve_cost *c;
	struct serve_admitted *a;

	if (htab_init(&cost, sizeof(uint32_t), sizeof(struct serve_cost)))
		return;
	if (count_series(s, &cost)) {
		htab_free(&cost);
		return;
	}
	s->nseries = 0;
	for (size_t i = 0; (a = htab_next(&s->admitted, &i));) {
		c = htab_find(&cost, &a->tgid);
		a->nseries = c ? c->n : a->nseries;
		s->nseries += a->nseries;
	}
	for (size_t i = 0; (c = htab_next(&cost, &i));) {
		const struct ss_proc *pr = htab_find(ss_io_procs(s->io), &c->tgid);

		admit(s, c, pr ? pr->comm : NULL);
	}
	htab_free(&cost);
}

/* True, and *last set to now, when the work *last stands for is due again (or was never done). */
static bool due(uint64_t *last, uint64_t now, uint64_t every)
{
	if (*last && now - *last < every)
		return false;
	*last = now;
	return true;
}

static void prune_forgotten(struct serve *s, uint64_t now)
{
	struct serve_forgotten *f;
	uint32_t old[256];
	size_t n = 0;

	for (size_t i = 0; n < 256 && (f = htab_next(&s->forgotten, &i));)
		if (now - f->when_ns >= FORGOTTEN_KEEP_NS)
			old[n++] = f->tgid;
	for (size_t i = 0; i < n; i++) {
		drop_counters(s, old[i]);
		htab_del(&s->forgotten, &old[i]);
	}
}

/* Refused processes that have exited are forgotten at once: they will never be exported. */
static void forget_refused(struct serve *s, uint64_t now, uint32_t *gone)
{
	struct serve_refused *r;
	size_t n = 0;

	for (size_t i = 0; (r = htab_next(&s->refused, &i));)
		if (!(r->alive = run_pid_alive(r->tgid)))
			gone[n++] = r->tgid;
	for (size_t i = 0; i < n; i++)
		forget_now(s, gone[i], now);
}

/*
 * Series of processes gone for longer than --forget-after leave, with their counters. Asking
 * /proc about every exported process costs a thousand file reads with a thousand processes,
 * so it is done a tenth as often as the grace period (at least every 10 s), not every interval.
 */
static void forget_gone(struct serve *s)
{
	uint64_t now = now_ns(), grace = (uint64_t)(s->forget_after * 1e9);
	uint64_t every = grace / 10 < TEN_S ? grace / 10 : TEN_S;
	struct serve_admitted *a;
	uint32_t *gone;
	size_t n = 0;

	if (!due(&s->forget_checked_ns, now, every))
		return;
	gone = calloc(s->admitted.len + s->refused.len + 1, sizeof(*gone));
	if (!gone)
		return;
	s->nexited = 0;
	for (size_t i = 0; (a = htab_next(&s->admitted, &i));) {
		a->exited = a->tgid && !run_pid_alive(a->tgid); /* 0: the kernel's own */
		if (!a->exited)
			a->alive_ns = now;
		else if (now - a->alive_ns >= grace)
			gone[n++] = a->tgid;
		else
			s->nexited++;
	}
	/* a process seen alive at the last check may have died just after: its grace period
	 * starts from that check, so it leaves within forget_after plus a tenth */
	for (size_t i = 0; i < n; i++)
		forget_now(s, gone[i], now);
	forget_refused(s, now, gone);
	prune_forgotten(s, now);
	free(gone);
}

static void write_textfile(struct serve *s, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int fd;
	static bool warned;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", s->textfile, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/* write and rename: a reader sees the old file or the new one, never half of one */
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) || rename(tmp, s->textfile)) {
		if (!warned)
			fprintf(stderr, "sockscope serve: cannot write %s: %s\n", s->textfile,
				strerror(errno));
		warned = true;
		if (fd >= 0)
			unlink(tmp);
	}
}

/*
 * Owners of sockets that appeared without a hook seeing them are learnt by the socket
 * iterator, which walks every process's files: every ten seconds is enough for that.
 */
static void learn_owners(struct serve *s)
{
	const struct ss_conn_row *rows;
	size_t nrows;

	if (s->tcp && due(&s->owners_learnt_ns, now_ns(), TEN_S))
		ss_tcp_rows(s->tcp, &rows, &nrows);
}

void serve_refresh(struct serve *s)
{
	struct prom p[2];
	int formats = s->want_openmetrics ? 2 : 1; /* OpenMetrics only once someone asked */
	uint64_t t0 = now_ns();

	learn_owners(s);
	if (ss_io_sample(s->io))
		return;
	forget_gone(s);
	admit_all(s);
	for (int k = 0; k < formats; k++) {
		prom_init(&p[k], k == 1);
		serve_render(s, &p[k]);
	}
	s->render_seconds = (double)(now_ns() - t0) / 1e9;
	for (int k = 0; k < formats; k++) {
		if (p[k].oom) {
			for (int j = 0; j < formats; j++)
				prom_free(&p[j]);
			return;
		}
	}
	if (s->textfile)
		write_textfile(s, p[0].buf, p[0].len);
	pthread_mutex_lock(&s->lock);
	for (int k = 0; k < formats; k++) {
		free(s->text[k]);
		s->text[k] = p[k].buf;
		s->text_len[k] = p[k].len;
	}
	pthread_mutex_unlock(&s->lock);
}

void serve_metrics_free(struct serve *s)
{
	for (int k = 0; k < 2; k++) {
		free(s->text[k]);
		s->text[k] = NULL;
	}
	htab_free(&s->admitted);
	htab_free(&s->refused);
	htab_free(&s->forgotten);
}
