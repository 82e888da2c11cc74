// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x framing: libhttp-parser reads each direction, these callbacks keep what an exchange
 * reports (method, target, Host, status) and tell http.c where messages end. Every message end
 * pauses the parser, so that http_parser_execute() returns exactly at the boundary and each
 * message's bytes are counted without the parser telling us positions.
 */
#include <string.h>

#include "proto/http_conn.h"

static const http_parser_settings settings[2];

static struct side *side_of(http_parser *p)
{
	return (struct side *)p;
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

void http_frame_reset(struct side *s, enum side_state state)
{
	http_parser_init(&s->p, s->dir == HTTP_DIR_REQ ? HTTP_REQUEST : HTTP_RESPONSE);
	s->state = state;
	s->in_msg = s->in_body = s->in_chunk = s->msg_done = s->in_value = false;
	s->bytes = 0;
}

/* After each http_parser_execute(): false when this side must stop parsing the call. */
static bool side_after(struct side *s)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&s->p);

	if (e == HPE_PAUSED) {
		http_parser_pause(&s->p, 0);
	} else if (e != HPE_OK) {
		http_bad(s->c);
		return false;
	}
	if (s->msg_done) {
		s->msg_done = false;
		http_msg_end(s->c, s);
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
	s->bytes += gap;
	http_lost(s->c, s);
	http_frame_reset(s, SIDE_RESYNC);
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

void http_frame_feed(struct side *s, const char *data, size_t caplen, uint64_t len)
{
	if (s->state == SIDE_RESYNC && starts_message(s->dir, data, caplen))
		http_frame_reset(s, SIDE_PARSE);
	if (s->state != SIDE_PARSE)
		return;
	side_run(s, data, caplen);
	if (len > caplen && s->state == SIDE_PARSE)
		side_gap(s, len - caplen);
}

/* End of stream: completes a body read until close; a message cut anywhere else stays open. */
void http_frame_eof(struct side *s)
{
	http_parser_execute(&s->p, &settings[s->dir], NULL, 0);
	if (s->msg_done) {
		s->msg_done = false;
		http_msg_end(s->c, s);
	}
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
	http_req_begin(c);
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
	const struct req *r = http_req_head(c);
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
