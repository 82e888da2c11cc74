// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x exchanges: libhttp-parser frames each direction, this file pairs and times. Every
 * message end pauses the parser, so that http_parser_execute() returns exactly at the boundary
 * and each message's bytes are counted without the parser telling us positions.
 *
 * Requests wait in a ring (struct req) in the order they were sent; a response pairs with the
 * oldest. Requests beyond HTTP_PIPELINE_MAX are not kept: the newest kept request counts them
 * (skipped_after), and when it is answered they become skip_pending, answered before the next
 * kept one, so that pairing stays in order whatever the depth.
 */
#include <stdlib.h>
#include <string.h>
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

static const http_parser_settings settings[2];

_Static_assert((HTTP_PIPELINE_MAX & (HTTP_PIPELINE_MAX - 1)) == 0,
	       "the ring's size is a power of two");

static struct side *side_of(http_parser *p)
{
	return (struct side *)p;
}

static struct req *q_at(const struct http_conn *c, uint32_t i)
{
	return &c->q[(c->qhead + i) & (c->qcap - 1)];
}

/* Doubles the ring; called only when the pipelining depth reaches a new high. */
static bool q_grow(struct http_conn *c)
{
	uint32_t cap = c->qcap ? c->qcap * 2 : 1;
	struct req *q = malloc(cap * sizeof(*q));

	if (!q)
		return false;
	for (uint32_t i = 0; i < c->qlen; i++)
		q[i] = *q_at(c, i);
	free(c->q);
	c->q = q;
	c->qcap = cap;
	c->qhead = 0;
	return true;
}

static void q_pop(struct http_conn *c, struct req *r)
{
	if (c->cur == r)
		c->cur = NULL; /* answered before its end: the rest of it is framed but not kept */
	c->skip_pending += r->skipped_after;
	c->qhead = (c->qhead + 1) & (c->qcap - 1);
	c->qlen--;
}

static void keep(char *dst, uint16_t *dlen, size_t cap, const char *at, size_t len, uint8_t *flags,
		 uint8_t cut)
{
	size_t room = cap - *dlen;

	if (len > room) {
		len = room;
		*flags |= cut;
	}
	memcpy(dst + *dlen, at, len);
	*dlen += len;
}

static void emit(struct http_conn *c, struct http_exchange *x, enum http_end end)
{
	x->end = end;
	x->complete = end == HTTP_END_OK;
	if (!x->method)
		x->method = "";
	if (!x->target)
		x->target = "";
	if (!x->host)
		x->host = "";
	if (x->req_first_ns && x->resp_first_ns >= x->req_first_ns)
		x->ttfb_ns = x->resp_first_ns - x->req_first_ns;
	if (x->req_first_ns && x->resp_last_ns >= x->req_first_ns)
		x->total_ns = x->resp_last_ns - x->req_first_ns;
	c->st.exchanges++;
	c->st.incomplete += !x->complete;
	c->emit(c->user, x);
}

static void x_from_req(struct http_exchange *x, const struct req *r, const struct side *rs)
{
	x->req_first_ns = r->first_ns;
	x->req_last_ns = r->flags & REQ_DONE ? r->last_ns : 0;
	x->req_bytes = r->flags & REQ_DONE ? r->bytes : rs->bytes;
	if (r->flags & REQ_METHOD)
		x->method = http_method_str(r->method);
	x->target = r->target;
	x->target_len = r->target_len;
	x->host = r->host;
	x->host_len = r->host_len;
	x->target_cut = r->flags & REQ_TARGET_CUT;
	x->host_cut = r->flags & REQ_HOST_CUT;
	x->version_major = r->major;
	x->version_minor = r->minor;
}

/* The response in progress ends (complete when end is OK): pair it and emit it. */
static void resp_emit(struct http_conn *c, enum http_end end)
{
	struct side *s = &c->side[HTTP_DIR_RESP];
	struct http_exchange x = {
		.resp_bytes = s->bytes,
		.resp_first_ns = s->first_ns,
		.resp_last_ns = s->last_ns,
		.status = c->status,
		.version_major = s->p.http_major,
		.version_minor = s->p.http_minor,
	};

	if (c->skip_pending) {
		c->skip_pending--;
		end = end == HTTP_END_OK ? HTTP_END_QUEUE_FULL : end;
	} else if (c->qlen) {
		struct req *r = q_at(c, 0);

		x_from_req(&x, r, &c->side[HTTP_DIR_REQ]);
		if ((r->flags & REQ_LOST || c->unsure) && end == HTTP_END_OK)
			end = HTTP_END_LOST;
		q_pop(c, r);
		/* Uncaptured bytes may have held whole messages: trust pairs again once drained. */
		c->unsure = c->unsure && (c->qlen || c->skip_pending);
	} else {
		c->st.no_request++;
		end = end == HTTP_END_OK ? HTTP_END_NO_REQUEST : end;
	}
	emit(c, &x, end);
	s->in_msg = s->in_body = s->in_chunk = false;
	s->bytes = 0;
	c->status = 0;
	c->interim = false;
}

/* Everything still pending ends with end: the response in progress, then every request. */
static void conn_flush(struct http_conn *c, enum http_end end)
{
	if (c->side[HTTP_DIR_RESP].in_msg || c->interim)
		resp_emit(c, end);
	while (c->skip_pending || c->qlen) {
		struct http_exchange x = {0};

		if (c->skip_pending) {
			c->skip_pending--;
			emit(c, &x, HTTP_END_QUEUE_FULL);
			continue;
		}
		x_from_req(&x, q_at(c, 0), &c->side[HTTP_DIR_REQ]);
		q_pop(c, q_at(c, 0));
		emit(c, &x, end);
	}
}

static void conn_stop(struct http_conn *c, enum http_verdict v)
{
	c->verdict = v;
	c->side[HTTP_DIR_REQ].state = SIDE_STOP;
	c->side[HTTP_DIR_RESP].state = SIDE_STOP;
}

/* A parse error: not HTTP at all, or HTTP that went wrong (then what is pending is reported). */
static void conn_bad(struct http_conn *c)
{
	if (c->verdict == HTTP_UNKNOWN) {
		c->qlen = 0;
		c->skip_pending = 0;
		c->cur = NULL;
		conn_stop(c, HTTP_NOT);
		return;
	}
	c->st.bad++;
	conn_flush(c, HTTP_END_BAD);
	conn_stop(c, HTTP_DONE);
}

static void side_reset(struct side *s, enum side_state state)
{
	http_parser_init(&s->p, s->dir == HTTP_DIR_REQ ? HTTP_REQUEST : HTTP_RESPONSE);
	s->state = state;
	s->in_msg = s->in_body = s->in_chunk = s->msg_done = s->in_value = false;
	s->bytes = 0;
}

static void req_end(struct http_conn *c, struct side *s)
{
	if (c->cur) {
		c->cur->bytes = s->bytes;
		c->cur->last_ns = c->now;
		c->cur->flags |= REQ_DONE;
		c->cur = NULL;
	}
	s->in_msg = s->in_body = s->in_chunk = false;
	s->bytes = 0;
	if (s->p.upgrade) {
		/* An Upgrade or CONNECT: what follows is another protocol if the answer agrees. */
		s->state = SIDE_STOP;
		c->req_upgrade = true;
	}
}

static void resp_end(struct http_conn *c, struct side *s)
{
	bool switched = c->status == 101 || s->p.upgrade;

	if (c->status / 100 == 1 && !switched) {
		c->interim = true; /* 100 Continue and the like: the final response follows */
		s->in_msg = s->in_body = false;
		return;
	}
	resp_emit(c, HTTP_END_OK);
	if (switched) {
		conn_stop(c, HTTP_DONE);
	} else if (c->req_upgrade) {
		c->req_upgrade = false;
		side_reset(&c->side[HTTP_DIR_REQ], SIDE_PARSE);
	}
}

/* After each http_parser_execute(): false when this side must stop parsing the call. */
static bool side_after(struct side *s)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&s->p);

	if (e == HPE_PAUSED) {
		http_parser_pause(&s->p, 0);
	} else if (e != HPE_OK) {
		conn_bad(s->c);
		return false;
	}
	if (s->msg_done) {
		s->msg_done = false;
		if (s->dir == HTTP_DIR_REQ)
			req_end(s->c, s);
		else
			resp_end(s->c, s);
	}
	return s->state == SIDE_PARSE;
}

static void side_run(struct side *s, const char *buf, size_t len)
{
	while (len && s->state == SIDE_PARSE) {
		size_t n = http_parser_execute(&s->p, &settings[s->dir], buf, len);
		bool ended = s->msg_done; /* a call that ends nothing and eats nothing would spin */

		s->bytes += n;
		buf += n;
		len -= n;
		if (!side_after(s) || (!n && !ended))
			return;
	}
}

/* Uncaptured bytes that framing needed: end the message in progress and look for the next. */
static void side_lost(struct side *s, uint64_t gap)
{
	struct http_conn *c = s->c;

	c->st.lost++;
	c->unsure = true;
	s->bytes += gap;
	if (s->dir == HTTP_DIR_RESP && (s->in_msg || c->interim)) {
		resp_emit(c, HTTP_END_LOST);
	} else if (s->dir == HTTP_DIR_REQ && s->in_msg && c->cur) {
		c->cur->bytes = s->bytes;
		c->cur->last_ns = c->now;
		c->cur->flags |= REQ_LOST | REQ_DONE;
		c->cur = NULL;
	}
	side_reset(s, SIDE_RESYNC);
}

/*
 * Body bytes the parser need not see: it skips zeros in their place without reading them. In a
 * body read until close (length ULLONG_MAX to the parser) it needs not even those.
 */
static void side_gap(struct side *s, uint64_t gap)
{
	static const char zeros[65536];
	bool chunked = s->p.flags & F_CHUNKED;

	if (!s->in_body || (chunked && !s->in_chunk) || gap > s->p.content_length) {
		side_lost(s, gap);
		return;
	}
	if (!chunked && s->p.content_length == UINT64_MAX) {
		s->bytes += gap;
		return;
	}
	while (gap && s->state == SIDE_PARSE) {
		size_t n = gap < sizeof(zeros) ? gap : sizeof(zeros);

		side_run(s, zeros, n);
		gap -= n;
	}
}

/* Does a call start a message? Asked after framing was lost, and when joining midstream. */
static bool starts_message(enum http_dir dir, const char *d, size_t n)
{
	if (dir == HTTP_DIR_RESP)
		return n >= 5 && !memcmp(d, "HTTP/", 5);
	for (size_t i = 0; i < n && i < 17; i++) {
		if (d[i] == ' ')
			return i > 0;
		if ((d[i] < 'A' || d[i] > 'Z') && d[i] != '-')
			return false;
	}
	return false;
}

enum http_verdict http_conn_feed(struct http_conn *c, enum http_dir dir, uint64_t ts_ns,
				 const void *data, size_t caplen, uint64_t len)
{
	struct side *s = &c->side[dir & 1];

	if (c->closed || c->verdict == HTTP_NOT || c->verdict == HTTP_DONE)
		return c->verdict;
	if (caplen > len)
		caplen = len;
	c->now = ts_ns;
	s->last_ns = ts_ns;
	if (s->state == SIDE_RESYNC && starts_message(s->dir, data, caplen))
		side_reset(s, SIDE_PARSE);
	if (s->state != SIDE_PARSE)
		return c->verdict;
	side_run(s, data, caplen);
	if (len > caplen && s->state == SIDE_PARSE)
		side_gap(s, len - caplen);
	return c->verdict;
}

void http_conn_close(struct http_conn *c, uint64_t ts_ns, enum http_end end)
{
	struct side *s = &c->side[HTTP_DIR_RESP];

	if (c->closed)
		return;
	c->now = ts_ns;
	if (s->state == SIDE_PARSE && s->in_msg) {
		/* End of stream completes a body read until close; any other state stays cut. */
		http_parser_execute(&s->p, &settings[HTTP_DIR_RESP], NULL, 0);
		if (s->msg_done) {
			s->msg_done = false;
			resp_end(c, s);
		}
	}
	if (c->verdict != HTTP_NOT)
		conn_flush(c, end);
	c->closed = true;
}

/* The callbacks. */

static int on_message_begin(http_parser *p)
{
	struct side *s = side_of(p);
	struct http_conn *c = s->c;

	s->in_msg = true;
	s->hmatch = 0;
	s->in_value = false;
	if (s->dir == HTTP_DIR_RESP) {
		if (!c->interim)
			s->first_ns = c->now;
		return 0;
	}
	c->cur = NULL;
	if (c->qlen == c->qcap && (c->qlen == HTTP_PIPELINE_MAX || !q_grow(c))) {
		c->st.queue_full++;
		if (c->qlen)
			q_at(c, c->qlen - 1)->skipped_after++;
		else
			c->skip_pending++;
		return 0;
	}
	c->cur = q_at(c, c->qlen++);
	memset(c->cur, 0, offsetof(struct req, target));
	c->cur->first_ns = c->now;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct req *r = side_of(p)->c->cur;

	if (r) {
		r->method = p->method;
		r->flags |= REQ_METHOD;
		keep(r->target, &r->target_len, sizeof(r->target), at, len, &r->flags,
		     REQ_TARGET_CUT);
	}
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct side *s = side_of(p);

	if (s->in_value) {
		s->in_value = false;
		s->hmatch = 0;
	}
	for (size_t i = 0; i < len && s->hmatch >= 0; i++) {
		if (s->hmatch < 4 && (at[i] | 0x20) == "host"[s->hmatch])
			s->hmatch++;
		else
			s->hmatch = -1;
	}
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct side *s = side_of(p);
	struct req *r = s->c->cur;

	if (!s->in_value && s->hmatch == 4 && r && r->host_len)
		s->hmatch = -1; /* a second Host: keep the first */
	s->in_value = true;
	if (s->hmatch == 4 && r)
		keep(r->host, &r->host_len, sizeof(r->host), at, len, &r->flags, REQ_HOST_CUT);
	return 0;
}

static int on_req_headers(http_parser *p)
{
	struct side *s = side_of(p);
	struct req *r = s->c->cur;

	if (r) {
		r->major = p->http_major;
		r->minor = p->http_minor;
	}
	s->c->verdict = HTTP_YES;
	s->in_body = true;
	return 0;
}

/* The response's framing depends on its request: no body after HEAD, a tunnel after CONNECT. */
static int on_resp_headers(http_parser *p)
{
	struct side *s = side_of(p);
	struct http_conn *c = s->c;
	struct req *r = c->qlen && !c->skip_pending ? q_at(c, 0) : NULL;
	bool known = r && r->flags & REQ_METHOD;

	if (p->status_code < 100 || p->status_code > 999)
		return -1; /* the parser takes any number; HTTP's are three digits */
	c->verdict = HTTP_YES;
	c->status = p->status_code;
	s->in_body = true;
	if (known && r->method == HTTP_CONNECT && p->status_code / 100 == 2)
		return 2;
	return known && r->method == HTTP_HEAD ? 1 : 0;
}

static int on_message_complete(http_parser *p)
{
	side_of(p)->msg_done = true;
	http_parser_pause(p, 1);
	return 0;
}

static int on_chunk_header(http_parser *p)
{
	side_of(p)->in_chunk = p->content_length > 0;
	return 0;
}

static int on_chunk_complete(http_parser *p)
{
	side_of(p)->in_chunk = false;
	return 0;
}

static const http_parser_settings settings[2] = {
	[HTTP_DIR_REQ] = {
		.on_message_begin = on_message_begin,
		.on_url = on_url,
		.on_header_field = on_header_field,
		.on_header_value = on_header_value,
		.on_headers_complete = on_req_headers,
		.on_message_complete = on_message_complete,
		.on_chunk_header = on_chunk_header,
		.on_chunk_complete = on_chunk_complete,
	},
	[HTTP_DIR_RESP] = {
		.on_message_begin = on_message_begin,
		.on_headers_complete = on_resp_headers,
		.on_message_complete = on_message_complete,
		.on_chunk_header = on_chunk_header,
		.on_chunk_complete = on_chunk_complete,
	},
};

struct http_conn *http_conn_new(http_emit_fn emit, void *user, enum http_start start)
{
	struct http_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->emit = emit;
	c->user = user;
	for (int d = HTTP_DIR_REQ; d <= HTTP_DIR_RESP; d++) {
		c->side[d].c = c;
		c->side[d].dir = d;
		side_reset(&c->side[d], start == HTTP_START_MIDSTREAM ? SIDE_RESYNC : SIDE_PARSE);
	}
	return c;
}

void http_conn_free(struct http_conn *c)
{
	if (!c)
		return;
	http_conn_close(c, c->now, HTTP_END_ABANDONED);
	free(c->q);
	free(c);
}

enum http_verdict http_conn_verdict(const struct http_conn *c)
{
	return c->verdict;
}

const struct http_stats *http_conn_stats(const struct http_conn *c)
{
	return &c->st;
}

const char *http_end_name(enum http_end end)
{
	static const char *const names[HTTP_END_NR] = {
		[HTTP_END_OK] = "ok",
		[HTTP_END_CLOSED] = "closed",
		[HTTP_END_RESET] = "reset",
		[HTTP_END_ABANDONED] = "abandoned",
		[HTTP_END_LOST] = "lost",
		[HTTP_END_QUEUE_FULL] = "queue_full",
		[HTTP_END_NO_REQUEST] = "no_request",
		[HTTP_END_BAD] = "bad",
	};

	return (unsigned)end < HTTP_END_NR ? names[end] : "?";
}
