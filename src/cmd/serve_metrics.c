// SPDX-License-Identifier: GPL-2.0
/*
 * What `serve` exports, every interval: its providers sampled, the series admitted
 * (serve_series.c), the exposition rendered from the providers' rows and serve's own, and
 * published to the scrapers and the atomic --textfile. Also the checks of its options.
 */
#include "cmd/serve.h"
#include "writers/serve_render.h"
#include "writers/prom.h"
#include "attach/probe.h"
#include "core/run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (series_init(&s->series)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	return s->textfile ? check_textfile(s, err, len) : 0;
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

/* Every capability that exports metrics, in the order of the exposition. */
static const struct serve_provider *const providers[] = {
	&serve_io_provider,
	&serve_conns_provider,
};
_Static_assert(sizeof(providers) / sizeof(providers[0]) <= SERVE_MAX_CAPS, "room for each");

/* What admission forgets, every provider forgets. */
static void drop_everywhere(void *ctx, uint32_t tgid)
{
	struct serve *s = ctx;

	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state)
			s->caps[i].p->forget(s->caps[i].state, tgid);
}

/* The name the first provider that knows the process saw it under. */
static const char *comm_anywhere(void *ctx, uint32_t tgid)
{
	struct serve *s = ctx;
	const char *comm;

	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state && s->caps[i].p->comm &&
		    (comm = s->caps[i].p->comm(s->caps[i].state, tgid)))
			return comm;
	return NULL;
}

/* A capability that is not required and cannot load costs its metrics only: say what is
 * missing (and export sockscope_capability_up 0) rather than silence the exporter. */
int serve_open_caps(struct serve *s, char *err, size_t len)
{
	s->series.drop = drop_everywhere;
	s->series.comm = comm_anywhere;
	s->series.ctx = s;
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		struct serve_cap *c = &s->caps[s->ncaps++];

		c->p = providers[i];
		c->state = c->p->open(&s->o, err, len);
		if (!c->state && !c->p->missing)
			return -1;
		if (!c->state)
			fprintf(stderr, "sockscope serve: %s: %s\n", c->p->missing, err);
	}
	return 0;
}

void serve_close_caps(struct serve *s)
{
	for (size_t i = 0; i < s->ncaps; i++) {
		if (s->caps[i].state)
			s->caps[i].p->close(s->caps[i].state);
		serve_rows_free(&s->caps[i].rows);
	}
	s->ncaps = 0;
}

static void self_row(struct serve *s, int metric, const char *l0, const char *l1, uint64_t v)
{
	struct serve_row r = { .metric = (uint16_t)metric, .owner = SERVE_HOST,
			       .label = { l0, l1 }, .value.u = v };

	serve_rows_add(&s->self, &r);
}

static void collect_attach(struct serve *s, const struct serve_cap *c)
{
	const struct hook_choice *ch;
	size_t n;

	ch = c->p->choices(c->state, &n);
	for (size_t i = 0; i < n; i++)
		if (ch[i].way >= 0)
			self_row(s, M_ATTACH_INFO, ch[i].hook->name,
				 attach_mode_name(ch[i].hook->ways[ch[i].way].mode), 1);
}

/* serve's own metrics: of its providers, of admission, and of itself. */
static void collect_self(struct serve *s)
{
	struct serve_row took = { .metric = M_SCRAPE_DURATION, .owner = SERVE_HOST,
				  .value.d = s->render_seconds };
	uint64_t lost = 0;

	serve_rows_clear(&s->self);
	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state)
			lost += s->caps[i].p->lost(s->caps[i].state);
	self_row(s, M_LOST_EVENTS, NULL, NULL, lost);
	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state)
			collect_attach(s, &s->caps[i]);
	for (size_t i = 0; i < s->ncaps; i++)
		self_row(s, M_CAPABILITY_UP, s->caps[i].p->capability, NULL, !!s->caps[i].state);
	serve_rows_add(&s->self, &took);
	self_row(s, M_HTTP_EVICTED, NULL, NULL, guard_evicted(&s->guard));
	self_row(s, M_SERIES, NULL, NULL, s->series.nseries);
	self_row(s, M_SERIES_PROCESSES, NULL, NULL, s->series.admitted.len);
	self_row(s, M_SERIES_REFUSED, NULL, NULL, s->series.refused_total);
	self_row(s, M_BUILD_INFO, SOCKSCOPE_VERSION, NULL, 1);
}

/* Each provider's rows; false if one could not be held. */
static bool collect_caps(struct serve *s)
{
	bool ok = true;

	for (size_t i = 0; i < s->ncaps; i++) {
		struct serve_cap *c = &s->caps[i];

		serve_rows_clear(&c->rows);
		if (c->state)
			c->p->collect(c->state, &c->rows);
		ok = ok && !c->rows.oom;
	}
	return ok;
}

/* Reads every provider, forgets what is due, and decides which processes have series. The
 * rows are collected again when making room forgot a process (its counters are gone). */
static bool gather(struct serve *s)
{
	const struct serve_rows *sets[SERVE_MAX_CAPS];

	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state && s->caps[i].p->sample(s->caps[i].state))
			return false;
	series_forget_gone(&s->series);
	if (!collect_caps(s))
		return false;
	for (size_t i = 0; i < s->ncaps; i++)
		sets[i] = &s->caps[i].rows;
	if (series_admit(&s->series, sets, s->ncaps) && !collect_caps(s))
		return false;
	collect_self(s);
	return !s->self.oom;
}

static void render(struct serve *s, struct prom *p)
{
	struct serve_view v = { series_comm, &s->series, s->series.hist_per_process };

	for (size_t i = 0; i < s->ncaps; i++)
		if (s->caps[i].state)
			serve_render_capability(p, s->caps[i].p->capability, &s->caps[i].rows, &v);
	serve_render_capability(p, SERVE_SELF, &s->self, &v);
	prom_end(p);
}

void serve_refresh(struct serve *s)
{
	struct prom p[2];
	int formats = s->want_openmetrics ? 2 : 1; /* OpenMetrics only once someone asked */
	uint64_t t0 = run_now_ns();

	if (!gather(s))
		return;
	for (int k = 0; k < formats; k++) {
		prom_init(&p[k], k == 1);
		render(s, &p[k]);
	}
	s->render_seconds = (double)(run_now_ns() - t0) / 1e9;
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
	series_free(&s->series);
	serve_rows_free(&s->self);
}
