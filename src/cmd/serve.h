/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `serve`'s state, shared by the HTTP side (serve.c) and the metrics side (serve_metrics.c).
 * Below them, and knowing nothing of serve: the providers (serve_provider.h: serve_io.c,
 * serve_conns.c, over the readers of the BPF objects), and with no BPF at all the metric
 * table (serve_table.h), the renderer (serve_render.h) and admission (serve_series.h).
 */
#ifndef SS_SERVE_H
#define SS_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/opts.h"
#include "sockscope.h"
#include "cmd/serve_guard.h"
#include "cmd/serve_provider.h"
#include "core/serve_series.h"
#include "core/serve_table.h"

struct MHD_Daemon;

/* One provider in a running serve. */
struct serve_cap {
	const struct serve_provider *p;
	void *state; /* NULL when it could not load */
	struct serve_rows rows;
};

#define SERVE_MAX_CAPS 8

struct serve_listen {
	struct sockaddr_storage addr;
	bool any;      /* ":PORT": every address, IPv6 and IPv4 */
	char text[80]; /* the address, for messages */
};

struct serve {
	struct opts o;
	struct serve_listen listen;
	const char *textfile;
	const char *user;
	uid_t uid;
	gid_t gid;
	struct serve_cap caps[SERVE_MAX_CAPS];
	size_t ncaps;
	struct serve_series series; /* --max-series, --forget-after, --srtt-per-process */
	struct serve_rows self;	    /* serve's own metrics */
	struct MHD_Daemon *httpd;
	struct serve_guard guard;
	pthread_mutex_t lock; /* guards text */
	char *text[2];	      /* the latest exposition: [0] text 0.0.4, [1] OpenMetrics */
	size_t text_len[2];
	volatile int want_openmetrics; /* set once a scraper asks for it */
	double render_seconds;
};

/* "HOST:PORT", "[IPV6]:PORT" or ":PORT" into a socket address, names resolved; -1 with a
 * message on bad input. */
int serve_parse_listen(const char *arg, struct serve_listen *l, char *err, size_t len);
/* l->text from l->addr. */
void serve_listen_text(struct serve_listen *l);
/* Checks against the system: the user exists, the textfile can be written as that user. */
int serve_check(struct serve *s, char *err, size_t len);
/* Opens every provider; -1 with a message if a required one cannot load. */
int serve_open_caps(struct serve *s, char *err, size_t len);
void serve_close_caps(struct serve *s);
/* Samples the counters, renders the exposition, publishes it and writes the textfile. */
void serve_refresh(struct serve *s);
void serve_metrics_free(struct serve *s);

int cmd_serve(int argc, char **argv);

#endif
