// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x exchanges: pairing and timing (framing is http_frame.c's). Requests wait in a ring
 * (struct req) in the order they were sent; a response pairs with the oldest. Requests beyond
 * HTTP_PIPELINE_MAX are not kept: the newest kept request counts them (skipped_after), and when
 * it is answered they become skip_pending, answered before the next kept one, so that pairing
 * stays in order whatever the depth.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/http_conn.h"

_Static_assert((HTTP_PIPELINE_MAX & (HTTP_PIPELINE_MAX - 1)) == 0,
	       "the ring's size is a power of two");

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
void http_bad(struct http_conn *c)
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
		http_frame_reset(&c->side[HTTP_DIR_REQ], SIDE_PARSE);
	}
}

void http_msg_end(struct http_conn *c, struct side *s)
{
	if (s->dir == HTTP_DIR_REQ)
		req_end(c, s);
	else
		resp_end(c, s);
}

/* Framing was lost in s's direction: end its message in progress. */
void http_lost(struct http_conn *c, struct side *s)
{
	c->st.lost++;
	c->unsure = true;
	if (s->dir == HTTP_DIR_RESP && (s->in_msg || c->interim)) {
		resp_emit(c, HTTP_END_LOST);
	} else if (s->dir == HTTP_DIR_REQ && s->in_msg && c->cur) {
		c->cur->bytes = s->bytes;
		c->cur->last_ns = c->now;
		c->cur->flags |= REQ_LOST | REQ_DONE;
		c->cur = NULL;
	}
}

/* A request starts: a slot at the ring's tail, or beyond the bound only its place counted. */
void http_req_begin(struct http_conn *c)
{
	c->cur = NULL;
	if (c->qlen == c->qcap && (c->qlen == HTTP_PIPELINE_MAX || !q_grow(c))) {
		c->st.queue_full++;
		if (c->qlen)
			q_at(c, c->qlen - 1)->skipped_after++;
		else
			c->skip_pending++;
		return;
	}
	c->cur = q_at(c, c->qlen++);
	memset(c->cur, 0, offsetof(struct req, target));
	c->cur->first_ns = c->now;
}

const struct req *http_req_head(const struct http_conn *c)
{
	return c->qlen && !c->skip_pending ? q_at(c, 0) : NULL;
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
	http_frame_feed(s, data, caplen, len);
	return c->verdict;
}

void http_conn_close(struct http_conn *c, uint64_t ts_ns, enum http_end end)
{
	struct side *s = &c->side[HTTP_DIR_RESP];

	if (c->closed)
		return;
	c->now = ts_ns;
	if (s->state == SIDE_PARSE && s->in_msg)
		http_frame_eof(s); /* completes a body read until close */
	if (c->verdict != HTTP_NOT)
		conn_flush(c, end);
	c->closed = true;
}

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
		http_frame_reset(&c->side[d], start == HTTP_START_OPEN ? SIDE_PARSE : SIDE_RESYNC);
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
