/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.x exchanges from the bytes of one TCP connection: framing, pairing and timing, with no
 * BPF in it. The caller feeds each socket call's bytes as they crossed the socket, in time order,
 * saying whether they went the request's way (client to server) or the response's way; it knows
 * which end it watches, this module does not need to. Framing is Debian's libhttp-parser
 * (docs/http-parser.md says why); pairing is by order, as HTTP/1.x requires, so pipelined
 * requests meet their own responses.
 *
 * Everything fed is untrusted. Memory per connection is bounded: nothing of a message is kept but
 * its method, target (HTTP_TARGET_MAX bytes), Host (HTTP_HOST_MAX) and counters, and at most
 * HTTP_PIPELINE_MAX requests wait for their responses. Slots are allocated as a connection's
 * pipelining depth grows, never per exchange.
 */
#ifndef SS_PROTO_HTTP_H
#define SS_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_TARGET_MAX	  1024 /* request-target bytes kept; longer ones are cut and marked */
#define HTTP_HOST_MAX	  256
/*
 * Requests kept whole while they wait for their responses. A request beyond it is still framed
 * and counted, in order, but only its position is kept: its response is reported with
 * end HTTP_END_QUEUE_FULL and no method or target (and, since its method is forgotten, a
 * response to a HEAD beyond the bound is framed as if it had a body).
 */
#define HTTP_PIPELINE_MAX 64

enum http_dir {
	HTTP_DIR_REQ,  /* client to server */
	HTTP_DIR_RESP, /* server to client */
};

/* What the connection turned out to be; the caller may stop capturing once it is not HTTP_YES. */
enum http_verdict {
	HTTP_UNKNOWN, /* no complete request or response head yet */
	HTTP_YES,
	HTTP_NOT,     /* its first bytes are not HTTP/1.x (TLS, HTTP/2, binary): ignored now */
	HTTP_DONE,    /* was HTTP, then switched protocols (101, CONNECT) or failed to parse */
};

/* Why an exchange ended. Only HTTP_END_OK is complete. */
enum http_end {
	HTTP_END_OK,	     /* request and response framed to their last byte */
	HTTP_END_CLOSED,     /* the connection closed first (http_conn_close) */
	HTTP_END_RESET,	     /* the connection was reset first */
	HTTP_END_ABANDONED,  /* the caller stopped tracking it (process gone, table evicted) */
	HTTP_END_LOST,	     /* bytes not captured where framing or pairing needed them */
	HTTP_END_QUEUE_FULL, /* its request was beyond HTTP_PIPELINE_MAX: only its response known */
	HTTP_END_NO_REQUEST, /* a response with no request before it */
	HTTP_END_BAD,	     /* the stream stopped parsing as HTTP/1.x */
	HTTP_END_NR,
};

/*
 * One exchange, as handed to the callback (valid during the call only). Sizes are head and body as
 * they crossed the socket, 1xx interim responses counted with the final one. Times are the
 * caller's ts_ns of the calls that carried the first and last bytes; 0 when that byte was never
 * seen. ttfb_ns and total_ns run from the request's first byte (as nginx's $request_time does) to
 * the response's first and last byte; 0 when either end is unknown.
 */
struct http_exchange {
	uint64_t req_bytes, resp_bytes;
	uint64_t req_first_ns, req_last_ns, resp_first_ns, resp_last_ns;
	uint64_t ttfb_ns, total_ns;
	const char *method; /* "GET"...; "" when the request is unknown */
	const char *target; /* as sent, query included; not NUL-safe: use target_len */
	const char *host;   /* Host header, "" if none; use host_len */
	uint16_t target_len, host_len;
	uint16_t status; /* final status; 0 if no response head was seen */
	uint8_t version_major, version_minor; /* the request's, else the response's */
	bool target_cut, host_cut;	      /* longer than kept */
	bool complete;			      /* end == HTTP_END_OK */
	enum http_end end;
};

/* Per-connection counters; the caller sums them when it closes the connection. */
struct http_stats {
	uint64_t exchanges;  /* emitted, complete or not */
	uint64_t incomplete; /* emitted with complete false */
	uint64_t queue_full; /* requests beyond HTTP_PIPELINE_MAX */
	uint64_t no_request; /* responses with no request */
	uint64_t lost;	     /* times uncaptured bytes broke framing (then resynced) */
	uint64_t bad;	     /* parse errors after the connection was seen to be HTTP */
};

typedef void (*http_emit_fn)(void *user, const struct http_exchange *x);

struct http_conn;

/* Where the first bytes fed fall in the connection's stream. */
enum http_start {
	HTTP_START_OPEN, /* at its start: a connection seen from its connect or accept */
	/*
	 * Anywhere: one that existed before tracing began. Each direction waits for a call that
	 * starts a message; what came before is ignored, and is no reason to call it not HTTP.
	 */
	HTTP_START_MIDSTREAM,
};

/* NULL when out of memory. */
struct http_conn *http_conn_new(http_emit_fn emit, void *user, enum http_start start);
/*
 * One socket call: caplen bytes of data seen out of len that crossed the socket (len >= caplen;
 * the kernel side captures only the start of each call). Feed both directions' calls in the
 * order they happened: a response fed before its request is HTTP_END_NO_REQUEST, and the
 * request is then left waiting until close. Uncaptured body bytes are accounted
 * exactly. Uncaptured bytes where framing needed them end that message with HTTP_END_LOST, and
 * parsing resumes at the next call that starts a message; since those bytes may have held whole
 * messages, exchanges stay HTTP_END_LOST until no request is left waiting. So an exchange marked
 * complete is one whose pairing is certain.
 */
enum http_verdict http_conn_feed(struct http_conn *c, enum http_dir dir, uint64_t ts_ns,
				 const void *data, size_t caplen, uint64_t len);
/*
 * The connection ended (end is HTTP_END_CLOSED, _RESET or _ABANDONED): a response read until
 * close completes, anything else pending is emitted incomplete with that end. Idempotent.
 */
void http_conn_close(struct http_conn *c, uint64_t ts_ns, enum http_end end);
/* Closes with HTTP_END_ABANDONED if still open, then frees. */
void http_conn_free(struct http_conn *c);
enum http_verdict http_conn_verdict(const struct http_conn *c);
const struct http_stats *http_conn_stats(const struct http_conn *c);
const char *http_end_name(enum http_end end);

#endif
