/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the HTTP/1.x core, shared by its two halves and by nothing else: http.c pairs and times
 * (the queue of requests, the exchanges, the public API), http_frame.c frames each direction
 * with libhttp-parser. Framing calls pairing at message boundaries and on loss or error;
 * pairing calls framing to feed bytes and to restart a direction.
 */
#ifndef SS_PROTO_HTTP_CONN_H
#define SS_PROTO_HTTP_CONN_H

#include <http_parser.h>

#include "proto/http.h"

enum {
	REQ_DONE = 1,	    /* its last byte was seen */
	REQ_LOST = 2,	    /* framing lost inside it */
	REQ_METHOD = 4,	    /* method known */
	REQ_TARGET_CUT = 8, /* longer than kept */
	REQ_HOST_CUT = 16,
};

struct req {
	uint64_t first_ns, last_ns, bytes;
	uint32_t skipped_after; /* requests beyond the bound sent after this one */
	uint16_t target_len, host_len;
	uint8_t method, major, minor, flags;
	char target[HTTP_TARGET_MAX]; /* not reset between uses: target_len says what is valid */
	char host[HTTP_HOST_MAX];
};

enum side_state {
	SIDE_PARSE,
	SIDE_RESYNC, /* framing lost: wait for a call that starts a message */
	SIDE_STOP,
};

/* One direction. The parser comes first: callbacks get it and cast back. */
struct side {
	http_parser p;
	struct http_conn *c;
	uint64_t first_ns, last_ns, bytes; /* the message in progress; last_ns of the latest call */
	enum http_dir dir;
	enum side_state state;
	bool in_msg, in_body, in_chunk, msg_done;
	bool in_value;	/* the last header callback was a value */
	int8_t hmatch;	/* bytes of "host" matched by the header name so far, -1 if none */
};

struct http_conn {
	struct side side[2];
	struct req *q; /* ring of qcap (a power of two) slots */
	uint32_t qcap, qhead, qlen;
	uint32_t skip_pending; /* responses owed to unkept requests, before q[qhead] */
	struct req *cur;       /* request being parsed, NULL if not kept */
	uint64_t now;
	uint16_t status; /* of the response in progress */
	bool interim;	 /* a 1xx came first: its bytes and first byte belong to this response */
	bool req_upgrade; /* the request side waits for the answer to its Upgrade or CONNECT */
	bool unsure;	  /* framing was lost: pairs may be off until no request is pending */
	bool closed;
	enum http_verdict verdict;
	http_emit_fn emit;
	void *user;
	struct http_stats st;
};

/* Pairing (http.c). */
void http_req_begin(struct http_conn *c);
/* The request the response in progress answers, if it is known. */
const struct req *http_req_head(const struct http_conn *c);
void http_msg_end(struct http_conn *c, struct side *s);
void http_lost(struct http_conn *c, struct side *s);
void http_bad(struct http_conn *c);

/* Framing (http_frame.c). */
void http_frame_reset(struct side *s, enum side_state state);
void http_frame_feed(struct side *s, const char *data, size_t caplen, uint64_t len);
void http_frame_eof(struct side *s);

#endif
