/* SPDX-License-Identifier: GPL-2.0 */
/* `serve`'s state, shared by the HTTP side (serve.c) and the metrics side (serve_metrics.c). */
#ifndef SS_SERVE_H
#define SS_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../lib/htab.h"
#include "../opts.h"
#include "../sockscope.h"
#include "serve_guard.h"

struct ss_io;
struct ss_tcp;
struct MHD_Daemon;

struct serve_listen {
	struct sockaddr_storage addr;
	bool any;      /* ":PORT": every address, IPv6 and IPv4 */
	char text[80]; /* the address, for messages */
};

struct serve {
	struct ss_opts o;
	struct serve_listen listen;
	const char *textfile;
	const char *user;
	uid_t uid;
	gid_t gid;
	double forget_after;
	uint32_t max_series;	/* per-process series, all processes together */
	bool srtt_per_process;	/* an RTT histogram per process, not one for the host */
	struct ss_io *io;
	struct ss_tcp *tcp;
	struct MHD_Daemon *httpd;
	struct serve_guard guard;
	pthread_mutex_t lock; /* guards text */
	char *text[2];	      /* the latest exposition: [0] text 0.0.4, [1] OpenMetrics */
	size_t text_len[2];
	volatile int want_openmetrics; /* set once a scraper asks for it */
	uint64_t forget_checked_ns;  /* the last liveness check of exported processes */
	uint64_t owners_learnt_ns;   /* the last walk of the socket iterator */
	struct htab admitted; /* processes whose series are exported */
	struct htab refused;  /* processes turned away by --max-series */
	struct htab forgotten; /* tgid -> when its series left (--forget-after) */
	uint64_t refused_total;
	uint32_t nexited; /* admitted processes that had exited at the last check */
	uint64_t nseries; /* per-process series of the admitted processes */
	/* the host's RTT histogram: what forgotten processes' connections added to it */
	uint64_t srtt_base[SS_SRTT_BUCKETS + 1], srtt_base_sum;
	double render_seconds;
};

struct prom;

struct serve_admitted {
	uint32_t tgid; /* key */
	char comm[SS_COMM_LEN];
	uint64_t alive_ns; /* CLOCK_MONOTONIC of the last time it was seen running */
	bool exited;	   /* not running at the last check */
	uint32_t nseries;  /* its series at the last refresh */
};

struct serve_refused {
	uint32_t tgid; /* key */
	bool alive;    /* running at the last look */
};

struct serve_forgotten {
	uint32_t tgid; /* key */
	uint64_t when_ns;
};

/* The whole exposition into p, of the processes in s->admitted. */
void serve_render(struct serve *s, struct prom *p);

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT" into a socket address, names resolved; -1 with a
 * message on bad input. */
int serve_parse_listen(const char *arg, struct serve_listen *l, char *err, size_t len);
/* l->text from l->addr. */
void serve_listen_text(struct serve_listen *l);
/* Checks against the system: the user exists, the textfile can be written as that user. */
int serve_check(struct serve *s, char *err, size_t len);
/* Samples the counters, renders the exposition, publishes it and writes the textfile. */
void serve_refresh(struct serve *s);
void serve_metrics_free(struct serve *s);

int cmd_serve(int argc, char **argv);

#endif
