// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the HTTP/1.x exchange core (src/proto/). The witness is the transcript
 * itself: each test writes the bytes a client and a server would put on the wire, so the
 * expected method, target, status and sizes are the lengths of those strings, not numbers
 * copied from the module. Cases: 1.0 and 1.1, keep-alive, pipelining within and beyond the
 * bound, every split point, Content-Length, chunked with trailers, read until close, HEAD,
 * 1xx, 204, 304, Connection: close, 101, CONNECT, abandoned and reset exchanges, uncaptured
 * bytes, non-HTTP first bytes, and odd inputs (bare LF, huge header lines, garbage, a response
 * before its request, a truncated response).
 */
#include "capture.h"

#include <stdbool.h>
#include <string.h>

#include "proto/http.h"

#define MAX_X 6000

struct seen {
	char method[16];
	char target[HTTP_TARGET_MAX + 1];
	char host[HTTP_HOST_MAX + 1];
	struct http_exchange x; /* its pointers are not valid after the callback */
};

static struct seen *seen;
static size_t nseen;

static void record(void *user, const struct http_exchange *x)
{
	struct seen *s;

	(void)user;
	assert_true(nseen < MAX_X);
	s = &seen[nseen++];
	s->x = *x;
	snprintf(s->method, sizeof(s->method), "%s", x->method);
	memcpy(s->target, x->target, x->target_len);
	s->target[x->target_len] = 0;
	memcpy(s->host, x->host, x->host_len);
	s->host[x->host_len] = 0;
}

static int setup(void **state)
{
	(void)state;
	seen = calloc(MAX_X, sizeof(*seen));
	nseen = 0;
	return seen ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(seen);
	return 0;
}

static struct http_conn *conn(void)
{
	struct http_conn *c = http_conn_new(record, NULL, HTTP_START_OPEN);

	assert_non_null(c);
	return c;
}

static enum http_verdict put(struct http_conn *c, enum http_dir d, uint64_t ts, const char *s)
{
	return http_conn_feed(c, d, ts, s, strlen(s), strlen(s));
}

/* One byte per call. */
static void drip(struct http_conn *c, enum http_dir d, uint64_t ts, const char *s)
{
	for (size_t i = 0; s[i]; i++)
		http_conn_feed(c, d, ts, s + i, 1, 1);
}

static const char GET[] = "GET /index.html?q=a%20b HTTP/1.1\r\nHost: example.test\r\n"
			  "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
static const char OK5[] = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello";

static void assert_x(const struct seen *s, const char *method, const char *target, int status,
		     size_t req, size_t resp, enum http_end end)
{
	assert_string_equal(s->method, method);
	assert_string_equal(s->target, target);
	assert_int_equal(s->x.status, status);
	assert_int_equal(s->x.req_bytes, req);
	assert_int_equal(s->x.resp_bytes, resp);
	assert_int_equal(s->x.end, end);
	assert_int_equal(s->x.complete, end == HTTP_END_OK);
}

static void assert_get_ok(const struct seen *s)
{
	assert_x(s, "GET", "/index.html?q=a%20b", 200, strlen(GET), strlen(OK5), HTTP_END_OK);
	assert_string_equal(s->host, "example.test");
}

static void test_get(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	assert_int_equal(put(c, HTTP_DIR_REQ, 1000, GET), HTTP_YES);
	assert_int_equal(nseen, 0);
	put(c, HTTP_DIR_RESP, 1500, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
	assert_int_equal(nseen, 0);
	put(c, HTTP_DIR_RESP, 1700, "lo");
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/index.html?q=a%20b", 200, strlen(GET),
		 strlen("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), HTTP_END_OK);
	assert_string_equal(seen[0].host, "example.test");
	assert_int_equal(seen[0].x.version_major, 1);
	assert_int_equal(seen[0].x.version_minor, 1);
	assert_int_equal(seen[0].x.req_first_ns, 1000);
	assert_int_equal(seen[0].x.req_last_ns, 1000);
	assert_int_equal(seen[0].x.resp_first_ns, 1500);
	assert_int_equal(seen[0].x.resp_last_ns, 1700);
	assert_int_equal(seen[0].x.ttfb_ns, 500);
	assert_int_equal(seen[0].x.total_ns, 700);
	http_conn_close(c, 2000, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_int_equal(http_conn_stats(c)->exchanges, 1);
	assert_int_equal(http_conn_stats(c)->incomplete, 0);
	http_conn_free(c);
}

/* HTTP/1.0 without a length: the body runs until the server closes. */
static void test_http10_until_close(void **state)
{
	const char *req = "GET /old HTTP/1.0\r\n\r\n";
	const char *resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, resp);
	put(c, HTTP_DIR_RESP, 3, " and more");
	assert_int_equal(nseen, 0);
	http_conn_close(c, 9, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/old", 200, strlen(req), strlen(resp) + strlen(" and more"),
		 HTTP_END_OK);
	assert_int_equal(seen[0].x.version_minor, 0);
	assert_int_equal(seen[0].x.resp_last_ns, 3); /* the last byte, not the close */
	http_conn_free(c);
}

static void test_keepalive_thousands(void **state)
{
	struct http_conn *c = conn();
	char req[64], want[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(req, sizeof(req), "GET /r/%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		put(c, HTTP_DIR_REQ, 10 * i + 1, req);
		put(c, HTTP_DIR_RESP, 10 * i + 3, OK5);
	}
	assert_int_equal(nseen, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(req, sizeof(req), "GET /r/%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		snprintf(want, sizeof(want), "/r/%d", i);
		assert_x(&seen[i], "GET", want, 200, strlen(req), strlen(OK5), HTTP_END_OK);
		assert_int_equal(seen[i].x.total_ns, 2);
	}
	http_conn_free(c);
	assert_int_equal(nseen, 5000);
}

/* n requests, then n responses each with its own status and length: pairs must match. */
static void pipeline(struct http_conn *c, int n)
{
	char buf[512];

	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "GET /p/%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		put(c, HTTP_DIR_REQ, 100 + i, buf);
	}
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%0*d",
			 200 + i, i + 1, i + 1, 0);
		put(c, HTTP_DIR_RESP, 1000 + i, buf);
	}
}

static void test_pipelined_16(void **state)
{
	struct http_conn *c = conn();
	char want[32];

	(void)state;
	pipeline(c, 16);
	assert_int_equal(nseen, 16);
	for (int i = 0; i < 16; i++) {
		snprintf(want, sizeof(want), "/p/%d", i);
		assert_string_equal(seen[i].target, want);
		assert_int_equal(seen[i].x.status, 200 + i);
		assert_true(seen[i].x.complete);
		assert_int_equal(seen[i].x.req_first_ns, 100 + i);
		assert_int_equal(seen[i].x.resp_last_ns, 1000 + i);
	}
	http_conn_free(c);
}

/* A pipelining client writes its requests in one call, a server its responses, all in one. */
static void test_pipelined_one_call(void **state)
{
	const char *req[3] = {"GET /a HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD /bb HTTP/1.1\r\n\r\n",
			      "POST /ccc HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"};
	const char *resp[3] = {OK5, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
			       "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"};
	char reqs[512] = "", resps[512] = "";
	struct http_conn *c = conn();

	(void)state;
	for (int i = 0; i < 3; i++) {
		strcat(reqs, req[i]);
		strcat(resps, resp[i]);
	}
	put(c, HTTP_DIR_REQ, 1, reqs);
	put(c, HTTP_DIR_RESP, 2, resps);
	assert_int_equal(nseen, 3);
	assert_x(&seen[0], "GET", "/a", 200, strlen(req[0]), strlen(resp[0]), HTTP_END_OK);
	assert_x(&seen[1], "HEAD", "/bb", 200, strlen(req[1]), strlen(resp[1]), HTTP_END_OK);
	assert_x(&seen[2], "POST", "/ccc", 404, strlen(req[2]), strlen(resp[2]), HTTP_END_OK);
	http_conn_free(c);
}

/* Beyond the bound, requests keep their place: their responses come out in order, marked. */
static void test_pipelined_beyond_bound(void **state)
{
	int n = HTTP_PIPELINE_MAX + 36;
	struct http_conn *c = conn();

	(void)state;
	pipeline(c, n);
	assert_int_equal(nseen, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(seen[i].x.status, 200 + i);
		if (i < HTTP_PIPELINE_MAX) {
			assert_true(seen[i].x.complete);
			continue;
		}
		assert_int_equal(seen[i].x.end, HTTP_END_QUEUE_FULL);
		assert_string_equal(seen[i].method, "");
	}
	assert_int_equal(http_conn_stats(c)->queue_full, 36);
	/* And pairing is still right afterwards. */
	put(c, HTTP_DIR_REQ, 5000, GET);
	put(c, HTTP_DIR_RESP, 5001, OK5);
	assert_int_equal(nseen, n + 1);
	assert_get_ok(&seen[n]);
	http_conn_free(c);
}

static void test_one_byte_at_a_time(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	drip(c, HTTP_DIR_REQ, 1, GET);
	drip(c, HTTP_DIR_RESP, 2, OK5);
	drip(c, HTTP_DIR_REQ, 3, GET);
	drip(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 2);
	for (int i = 0; i < 2; i++) {
		assert_get_ok(&seen[i]);
		assert_string_equal(seen[i].host, "example.test");
	}
	http_conn_free(c);
}

struct pair {
	const char *req, *resp, *method, *target, *host;
	int status;
};

/* One pair, each message cut in two at i and j: the same exchange whatever the cuts. */
static void split_at(const struct pair *p, size_t i, size_t j)
{
	size_t nq = strlen(p->req), nr = strlen(p->resp);
	struct http_conn *c = conn();

	nseen = 0;
	http_conn_feed(c, HTTP_DIR_REQ, 1, p->req, i, i);
	http_conn_feed(c, HTTP_DIR_REQ, 2, p->req + i, nq - i, nq - i);
	http_conn_feed(c, HTTP_DIR_RESP, 3, p->resp, j, j);
	http_conn_feed(c, HTTP_DIR_RESP, 4, p->resp + j, nr - j, nr - j);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], p->method, p->target, p->status, nq, nr, HTTP_END_OK);
	assert_string_equal(seen[0].host, p->host);
	assert_int_equal(seen[0].x.req_last_ns, i == nq ? 1 : 2);
	assert_int_equal(seen[0].x.resp_last_ns, j == nr ? 3 : 4);
	http_conn_free(c);
}

/* Every cut of the request, times every cut of the response, for each framing. */
static void test_every_split_point(void **state)
{
	static const struct pair pairs[] = {
		{GET, OK5, "GET", "/index.html?q=a%20b", "example.test", 200},
		{"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "4\r\nabcd\r\n0\r\nX-Sum: 1\r\n\r\n",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-A: b\r\n\r\n",
		 "POST", "/up", "h", 200},
		{"HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n",
		 "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n", "HEAD", "/big", "h", 200},
		{"PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
		 "Content-Length: 3\r\n\r\nabc",
		 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", "PUT", "/f", "h",
		 204},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++)
		for (size_t i = 0; i <= strlen(pairs[k].req); i++)
			for (size_t j = 0; j <= strlen(pairs[k].resp); j++)
				split_at(&pairs[k], i, j);
}

static void test_post_body_split(void **state)
{
	const char *head = "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
	const char *resp = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, head);
	put(c, HTTP_DIR_REQ, 2, "hello");
	put(c, HTTP_DIR_REQ, 3, " world");
	put(c, HTTP_DIR_RESP, 4, resp);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "POST", "/form", 201, strlen(head) + 11, strlen(resp), HTTP_END_OK);
	assert_int_equal(seen[0].x.req_last_ns, 3);
	http_conn_free(c);
}

static void test_chunked_with_trailers(void **state)
{
	const char *req = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4\r\nabcd\r\n0\r\nX-Sum: 1\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-A: b\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	drip(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, resp);
	put(c, HTTP_DIR_REQ, 3, GET);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 2);
	assert_x(&seen[0], "POST", "/up", 200, strlen(req), strlen(resp), HTTP_END_OK);
	assert_get_ok(&seen[1]);
	http_conn_free(c);
}

/* A response to HEAD announces a length but carries no body; the next exchange follows it. */
static void test_head_no_body(void **state)
{
	const char *req = "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_REQ, 2, GET);
	put(c, HTTP_DIR_RESP, 3, resp);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 2);
	assert_x(&seen[0], "HEAD", "/big", 200, strlen(req), strlen(resp), HTTP_END_OK);
	assert_get_ok(&seen[1]);
	http_conn_free(c);
}

/* 100 Continue belongs to the exchange: its bytes count, its first byte starts the response. */
static void test_100_continue(void **state)
{
	const char *head = "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
			   "Content-Length: 3\r\n\r\n";
	const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
	const char *resp = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 10, head);
	put(c, HTTP_DIR_RESP, 20, cont);
	assert_int_equal(nseen, 0);
	put(c, HTTP_DIR_REQ, 30, "abc");
	put(c, HTTP_DIR_RESP, 40, resp);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "PUT", "/f", 204, strlen(head) + 3, strlen(cont) + strlen(resp),
		 HTTP_END_OK);
	assert_int_equal(seen[0].x.resp_first_ns, 20);
	assert_int_equal(seen[0].x.ttfb_ns, 10);
	assert_int_equal(seen[0].x.total_ns, 30);
	http_conn_free(c);
}

static void test_204_304_no_body(void **state)
{
	const char *r304 = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n";
	const char *r204 = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_RESP, 2, r304);
	put(c, HTTP_DIR_RESP, 3, r204);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 3);
	assert_int_equal(seen[0].x.status, 304);
	assert_int_equal(seen[0].x.resp_bytes, strlen(r304));
	assert_int_equal(seen[1].x.status, 204);
	assert_int_equal(seen[1].x.resp_bytes, strlen(r204));
	assert_int_equal(seen[2].x.status, 200);
	for (int i = 0; i < 3; i++)
		assert_true(seen[i].x.complete);
	http_conn_free(c);
}

static void test_connection_close(void **state)
{
	const char *req = "GET /bye HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, resp);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/bye", 200, strlen(req), strlen(resp), HTTP_END_OK);
	http_conn_close(c, 3, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	http_conn_free(c);
}

/* After 101 the bytes are another protocol: nothing more is parsed, nothing counted bad. */
static void test_101_switching(void **state)
{
	const char *req = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\n\r\n";
	const char *resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			   "Connection: Upgrade\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	assert_int_equal(put(c, HTTP_DIR_RESP, 2, resp), HTTP_DONE);
	assert_int_equal(put(c, HTTP_DIR_REQ, 3, "\x81\x85mask GET / HTTP/1.1\r\n\r\n"), HTTP_DONE);
	assert_int_equal(put(c, HTTP_DIR_RESP, 4, "\x81\x02hi"), HTTP_DONE);
	http_conn_close(c, 5, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/ws", 101, strlen(req), strlen(resp), HTTP_END_OK);
	assert_int_equal(http_conn_stats(c)->bad, 0);
	http_conn_free(c);
}

/* An Upgrade the server declines: the connection stays HTTP. */
static void test_upgrade_declined(void **state)
{
	const char *req = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
			  "Connection: Upgrade\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, OK5);
	put(c, HTTP_DIR_REQ, 3, GET);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 2);
	assert_get_ok(&seen[1]);
	http_conn_free(c);
}

static void test_connect_tunnel(void **state)
{
	const char *req = "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n";
	const char *resp = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	assert_int_equal(put(c, HTTP_DIR_RESP, 2, resp), HTTP_DONE);
	put(c, HTTP_DIR_REQ, 3, "\x16\x03\x01\x00\x05hello");
	http_conn_close(c, 4, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "CONNECT", "example.test:443", 200, strlen(req), strlen(resp),
		 HTTP_END_OK);
	http_conn_free(c);
}

/* Requests never answered are reported at close with its reason; none is dropped. */
static void test_abandoned_and_reset(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_REQ, 2, "GET /second HTTP/1.1\r\nHost: h\r\n\r\n");
	put(c, HTTP_DIR_REQ, 3, "GET /third HT"); /* cut mid-line */
	http_conn_close(c, 9, HTTP_END_RESET);
	assert_int_equal(nseen, 3);
	assert_x(&seen[0], "GET", "/index.html?q=a%20b", 0, strlen(GET), 0, HTTP_END_RESET);
	assert_string_equal(seen[1].target, "/second");
	assert_x(&seen[2], "GET", "/third", 0, strlen("GET /third HT"), 0, HTTP_END_RESET);
	assert_int_equal(seen[2].x.req_last_ns, 0);
	http_conn_close(c, 10, HTTP_END_CLOSED); /* idempotent */
	assert_int_equal(nseen, 3);
	assert_int_equal(http_conn_stats(c)->incomplete, 3);
	http_conn_free(c);
	assert_int_equal(nseen, 3);

	nseen = 0;
	c = conn();
	put(c, HTTP_DIR_REQ, 1, GET);
	http_conn_free(c); /* the caller stopped tracking it */
	assert_int_equal(nseen, 1);
	assert_int_equal(seen[0].x.end, HTTP_END_ABANDONED);
}

static void test_truncated_response(void **state)
{
	const char *part = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_RESP, 2, part);
	http_conn_close(c, 3, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/index.html?q=a%20b", 200, strlen(GET), strlen(part),
		 HTTP_END_CLOSED);
	http_conn_free(c);
}

/* The kernel side captures the start of each call: body bytes it skipped are still counted. */
static void test_uncaptured_body(void **state)
{
	char resp[2048];
	int hl = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: 1500\r\n\r\n");
	struct http_conn *c = conn();

	(void)state;
	memset(resp + hl, 'x', 1500);
	put(c, HTTP_DIR_REQ, 1, GET);
	http_conn_feed(c, HTTP_DIR_RESP, 2, resp, 512, hl + 1000); /* two calls, starts seen */
	http_conn_feed(c, HTTP_DIR_RESP, 3, resp + hl + 1000, 100, 500);
	put(c, HTTP_DIR_REQ, 4, GET);
	put(c, HTTP_DIR_RESP, 5, OK5);
	assert_int_equal(nseen, 2);
	assert_x(&seen[0], "GET", "/index.html?q=a%20b", 200, strlen(GET), hl + 1500, HTTP_END_OK);
	assert_true(seen[1].x.complete);
	assert_int_equal(http_conn_stats(c)->lost, 0);
	http_conn_free(c);
}

/* Uncaptured bytes across a chunk boundary: that exchange is lost, parsing resyncs. */
static void test_uncaptured_chunks_resync(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
	size_t seen_len = strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe");
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_REQ, 2, "GET /next HTTP/1.1\r\n\r\n");
	http_conn_feed(c, HTTP_DIR_RESP, 3, resp, seen_len, strlen(resp));
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/index.html?q=a%20b", 200, strlen(GET), strlen(resp),
		 HTTP_END_LOST);
	put(c, HTTP_DIR_RESP, 4, "garbage that is not a response start");
	put(c, HTTP_DIR_RESP, 5, OK5);
	assert_int_equal(nseen, 2);
	/* Framed whole, but the gap might have held a response: not trusted as a pair. */
	assert_x(&seen[1], "GET", "/next", 200, strlen("GET /next HTTP/1.1\r\n\r\n"), strlen(OK5),
		 HTTP_END_LOST);
	put(c, HTTP_DIR_REQ, 6, GET);
	put(c, HTTP_DIR_RESP, 7, OK5);
	assert_int_equal(nseen, 3);
	assert_get_ok(&seen[2]);
	assert_int_equal(http_conn_stats(c)->lost, 1);
	http_conn_free(c);
}

/* A verdict on the first bytes, and nothing parsed or reported from then on. */
static void assert_not_http(const char *first, size_t n, enum http_dir d)
{
	struct http_conn *c = conn();

	nseen = 0;
	assert_int_equal(http_conn_feed(c, d, 1, first, n, n), HTTP_NOT);
	assert_int_equal(put(c, HTTP_DIR_REQ, 2, GET), HTTP_NOT);
	assert_int_equal(put(c, HTTP_DIR_RESP, 3, OK5), HTTP_NOT);
	http_conn_free(c);
	assert_int_equal(nseen, 0);
}

/* A gap that may hide whole responses: later pairs are not trusted until the queue drains. */
static void test_lost_response_unsure(void **state)
{
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
	struct http_conn *c = conn();

	(void)state;
	for (int i = 0; i < 3; i++)
		put(c, HTTP_DIR_REQ, 1, GET);
	/* r1's head seen; its body and all of a second response not captured. */
	http_conn_feed(c, HTTP_DIR_RESP, 2, r1, strlen(r1), strlen(r1) + 50 + strlen(OK5));
	assert_int_equal(nseen, 1);
	assert_int_equal(seen[0].x.end, HTTP_END_LOST);
	put(c, HTTP_DIR_RESP, 3, OK5); /* the third response, paired with the second request */
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[1].x.end, HTTP_END_LOST);
	put(c, HTTP_DIR_RESP, 4, OK5); /* a fourth: its request is gone, the queue is drained */
	put(c, HTTP_DIR_REQ, 5, GET);
	put(c, HTTP_DIR_RESP, 6, OK5);
	assert_int_equal(nseen, 4);
	assert_int_equal(seen[2].x.end, HTTP_END_LOST);
	assert_get_ok(&seen[3]);
	http_conn_free(c);
}

/* Gigabytes uncaptured in a body read until close are counted, and it still ends at close. */
static void test_uncaptured_until_close(void **state)
{
	const char *head = "HTTP/1.0 200 OK\r\n\r\n";
	uint64_t big = 10ULL << 30;
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, "GET /iso HTTP/1.0\r\n\r\n");
	http_conn_feed(c, HTTP_DIR_RESP, 2, head, strlen(head), strlen(head) + big);
	http_conn_feed(c, HTTP_DIR_RESP, 3, "xyz", 3, big);
	http_conn_close(c, 4, HTTP_END_CLOSED);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/iso", 200, strlen("GET /iso HTTP/1.0\r\n\r\n"),
		 strlen(head) + 2 * big, HTTP_END_OK);
	http_conn_free(c);
}

/* Joined midstream: the end of an earlier body is skipped, not taken for "not HTTP". */
static void test_midstream(void **state)
{
	struct http_conn *c = http_conn_new(record, NULL, HTTP_START_MIDSTREAM);

	(void)state;
	assert_non_null(c);
	assert_int_equal(put(c, HTTP_DIR_REQ, 1, "rest of a body\r\n"), HTTP_UNKNOWN);
	assert_int_equal(put(c, HTTP_DIR_RESP, 2, "lo world</html>"), HTTP_UNKNOWN);
	put(c, HTTP_DIR_REQ, 3, GET);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 1);
	assert_get_ok(&seen[0]);
	http_conn_free(c);
	/* The same bytes on a connection seen from its start are not HTTP. */
	assert_not_http("rest of a body\r\n", strlen("rest of a body\r\n"), HTTP_DIR_REQ);
}

static void test_not_http(void **state)
{
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const char bin[] = "\x00\x00\x00\x01\xff\xfe\x80garbage";
	static const char redis[] = "*1\r\n$4\r\nPING\r\n";

	(void)state;
	assert_not_http(hello, sizeof(hello) - 1, HTTP_DIR_REQ);
	assert_not_http(hello, sizeof(hello) - 1, HTTP_DIR_RESP);
	assert_not_http(h2, sizeof(h2) - 1, HTTP_DIR_REQ);
	assert_not_http(bin, sizeof(bin) - 1, HTTP_DIR_REQ);
	assert_not_http(bin, sizeof(bin) - 1, HTTP_DIR_RESP);
	assert_not_http(redis, sizeof(redis) - 1, HTTP_DIR_REQ);
}

static void test_bare_lf(void **state)
{
	const char *req = "GET /lf HTTP/1.1\nHost: h\n\n";
	const char *resp = "HTTP/1.1 200 OK\nContent-Length: 2\n\nok";
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, resp);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "GET", "/lf", 200, strlen(req), strlen(resp), HTTP_END_OK);
	assert_string_equal(seen[0].host, "h");
	http_conn_free(c);
}

static char *repeat(const char *head, char ch, size_t n, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + n + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	memset(s + hl, ch, n);
	memcpy(s + hl + n, tail, tl + 1);
	return s;
}

/* A long target and Host are kept up to their bound and marked; the sizes stay exact. */
static void test_long_target_cut(void **state)
{
	char *req = repeat("GET /", 'a', 5000, " HTTP/1.1\r\nHost: h\r\n\r\n");
	char *host = repeat("GET / HTTP/1.1\r\nHost: ", 'h', 1000, "\r\n\r\n");
	struct http_conn *c = conn();

	(void)state;
	drip(c, HTTP_DIR_REQ, 1, req);
	put(c, HTTP_DIR_RESP, 2, OK5);
	put(c, HTTP_DIR_REQ, 3, host);
	put(c, HTTP_DIR_RESP, 4, OK5);
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[0].x.target_len, HTTP_TARGET_MAX);
	assert_true(seen[0].x.target_cut);
	assert_int_equal(seen[0].x.req_bytes, strlen(req));
	assert_true(seen[0].x.complete);
	assert_int_equal(seen[1].x.host_len, HTTP_HOST_MAX);
	assert_true(seen[1].x.host_cut);
	http_conn_free(c);
	free(req);
	free(host);
}

/* A header line past the parser's bound (80 KB) ends parsing: what was pending is reported. */
static void test_huge_header_line(void **state)
{
	char *req = repeat("GET /h HTTP/1.1\r\nX-Big: ", 'b', 100 * 1024, "\r\n\r\n");
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_RESP, 2, OK5);
	for (size_t i = 0; i < strlen(req); i += 1000)
		http_conn_feed(c, HTTP_DIR_REQ, 3, req + i, 1000, 1000);
	assert_int_equal(http_conn_verdict(c), HTTP_DONE);
	assert_int_equal(nseen, 2);
	assert_true(seen[0].x.complete);
	assert_string_equal(seen[1].target, "/h");
	assert_int_equal(seen[1].x.end, HTTP_END_BAD);
	assert_int_equal(http_conn_stats(c)->bad, 1);
	http_conn_free(c);
	free(req);
}

/* Binary after good exchanges: the connection is dropped as bad, pending work reported. */
static void test_garbage_after_http(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	put(c, HTTP_DIR_RESP, 2, OK5);
	put(c, HTTP_DIR_REQ, 3, GET);
	assert_int_equal(put(c, HTTP_DIR_RESP, 4, "\x01\x02\x03 not a status line"), HTTP_DONE);
	assert_int_equal(nseen, 2);
	assert_true(seen[0].x.complete);
	assert_int_equal(seen[1].x.end, HTTP_END_BAD);
	assert_int_equal(put(c, HTTP_DIR_REQ, 5, GET), HTTP_DONE);
	http_conn_free(c);
	assert_int_equal(nseen, 2);
}

static void test_response_before_request(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_RESP, 1, OK5);
	assert_int_equal(nseen, 1);
	assert_x(&seen[0], "", "", 200, 0, strlen(OK5), HTTP_END_NO_REQUEST);
	assert_int_equal(http_conn_stats(c)->no_request, 1);
	put(c, HTTP_DIR_REQ, 2, GET);
	http_conn_close(c, 3, HTTP_END_CLOSED);
	assert_int_equal(nseen, 2);
	assert_x(&seen[1], "GET", "/index.html?q=a%20b", 0, strlen(GET), 0, HTTP_END_CLOSED);
	http_conn_free(c);
}

static void test_status_out_of_range(void **state)
{
	struct http_conn *c = conn();

	(void)state;
	put(c, HTTP_DIR_REQ, 1, GET);
	assert_int_equal(put(c, HTTP_DIR_RESP, 2, "HTTP/1.1 0 Zero\r\n\r\n"), HTTP_DONE);
	assert_int_equal(nseen, 1);
	assert_string_equal(seen[0].target, "/index.html?q=a%20b");
	assert_int_equal(seen[0].x.status, 0);
	assert_int_equal(seen[0].x.end, HTTP_END_BAD);
	http_conn_free(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get),
		T(test_http10_until_close),
		T(test_keepalive_thousands),
		T(test_pipelined_16),
		T(test_pipelined_one_call),
		T(test_pipelined_beyond_bound),
		T(test_one_byte_at_a_time),
		T(test_every_split_point),
		T(test_post_body_split),
		T(test_chunked_with_trailers),
		T(test_head_no_body),
		T(test_100_continue),
		T(test_204_304_no_body),
		T(test_connection_close),
		T(test_101_switching),
		T(test_upgrade_declined),
		T(test_connect_tunnel),
		T(test_abandoned_and_reset),
		T(test_truncated_response),
		T(test_uncaptured_body),
		T(test_uncaptured_chunks_resync),
		T(test_lost_response_unsure),
		T(test_uncaptured_until_close),
		T(test_not_http),
		T(test_midstream),
		T(test_bare_lf),
		T(test_long_target_cut),
		T(test_huge_header_line),
		T(test_garbage_after_http),
		T(test_response_before_request),
		T(test_status_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
