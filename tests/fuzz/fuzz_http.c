// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP/1.x exchange core (src/proto/). An input is a transcript:
 * two control bytes, the request direction's bytes, SEP, the response direction's bytes (a seed
 * is readable HTTP). Each input is fed three ways:
 *   whole: all requests in one call, then all responses in one call;
 *   split: the same two streams cut at points drawn from the control bytes;
 *   mixed: the directions interleaved, some calls declaring uncaptured bytes (len > caplen),
 *          the connection joined midstream or from its start.
 * whole and split must give the same exchanges (framing cannot depend on how bytes were cut);
 * every exchange must keep the module's promises (bounds, complete iff ok, bytes no more than
 * fed). A broken promise aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"

#define SEP "\r\n--response--\r\n"
#define MAX_SEEN 4096

struct run {
	uint64_t fed[2]; /* bytes fed per direction, uncaptured included */
	uint64_t sum[2]; /* bytes in exchanges */
	size_t n;
	uint64_t digest[MAX_SEEN]; /* what must not depend on the cuts */
};

static void check(void *user, const struct http_exchange *x)
{
	struct run *r = user;

	if (x->target_len > HTTP_TARGET_MAX || x->host_len > HTTP_HOST_MAX || !x->method ||
	    !x->target || !x->host || x->end >= HTTP_END_NR)
		abort();
	if (x->complete != (x->end == HTTP_END_OK))
		abort();
	if (x->complete && (x->status < 100 || (x->status < 200 && x->status != 101)))
		abort();
	if (x->ttfb_ns > x->total_ns && x->resp_last_ns)
		abort();
	r->sum[0] += x->req_bytes;
	r->sum[1] += x->resp_bytes;
	if (r->n < MAX_SEEN)
		r->digest[r->n] = x->req_bytes * 1000003 ^ x->resp_bytes * 7919 ^ x->status * 31 ^
				  x->end ^ (uint64_t)x->complete << 40 ^
				  /* a target cut by a parse error depends on the calls' ends */
				  (uint64_t)(x->complete ? x->target_len : 0) << 48;
	r->n++;
}

static uint32_t next(uint32_t *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

static void feed(struct http_conn *c, struct run *r, enum http_dir d, uint64_t ts,
		 const uint8_t *p, size_t cap, uint64_t len)
{
	http_conn_feed(c, d, ts, p, cap, len);
	r->fed[d] += len;
}

/* One direction cut into calls of 1..step bytes. */
static void feed_cut(struct http_conn *c, struct run *r, enum http_dir d, const uint8_t *p,
		     size_t n, uint32_t seed, uint32_t step)
{
	for (size_t i = 0; i < n;) {
		size_t k = 1 + next(&seed) % step;

		k = k > n - i ? n - i : k;
		feed(c, r, d, i + 1, p + i, k, k);
		i += k;
	}
}

static void finish(struct http_conn *c, struct run *r, uint8_t how)
{
	http_conn_close(c, UINT64_MAX / 2, HTTP_END_CLOSED + how % 3);
	http_conn_free(c);
	for (int d = 0; d < 2; d++)
		if (r->sum[d] > r->fed[d])
			abort();
}

static void mixed(const uint8_t *req, size_t nq, const uint8_t *resp, size_t nr, uint32_t seed,
		  struct run *r)
{
	enum http_start start = seed & 1 ? HTTP_START_MIDSTREAM : HTTP_START_OPEN;
	struct http_conn *c = http_conn_new(check, r, start);
	size_t iq = 0, ir = 0;
	uint64_t ts = 1;

	while (c && (iq < nq || ir < nr)) {
		uint32_t v = next(&seed);
		bool to_resp = (v & 1) ? ir < nr : iq >= nq;
		size_t left = to_resp ? nr - ir : nq - iq, k = 1 + (v >> 1) % 97;
		const uint8_t *p = to_resp ? resp + ir : req + iq;

		k = k > left ? left : k;
		/* One call in eight shows only its start, as the kernel side's capture does. */
		feed(c, r, to_resp, ts++, p, (v >> 9) % 8 ? k : k / 2, k);
		*(to_resp ? &ir : &iq) += k;
	}
	if (c)
		finish(c, r, seed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, split, mix;
	const uint8_t *req, *resp, *sep;
	size_t nq, nr;
	struct http_conn *c;

	if (size < 2)
		return 0;
	req = data + 2;
	sep = memmem(req, size - 2, SEP, strlen(SEP));
	nq = sep ? (size_t)(sep - req) : size - 2;
	resp = sep ? sep + strlen(SEP) : req + nq;
	nr = size - 2 - nq - (sep ? strlen(SEP) : 0);

	memset(&whole, 0, sizeof(whole));
	memset(&split, 0, sizeof(split));
	memset(&mix, 0, sizeof(mix));
	c = http_conn_new(check, &whole, HTTP_START_OPEN);
	if (!c)
		return 0;
	feed(c, &whole, HTTP_DIR_REQ, 1, req, nq, nq);
	feed(c, &whole, HTTP_DIR_RESP, 2, resp, nr, nr);
	finish(c, &whole, data[0]);

	c = http_conn_new(check, &split, HTTP_START_OPEN);
	if (!c)
		return 0;
	feed_cut(c, &split, HTTP_DIR_REQ, req, nq, data[0], 1 + data[1] % 64);
	feed_cut(c, &split, HTTP_DIR_RESP, resp, nr, data[1], 1 + data[0] % 64);
	finish(c, &split, data[0]);
	if (whole.n != split.n || memcmp(whole.digest, split.digest, sizeof(whole.digest)))
		abort();

	mixed(req, nq, resp, nr, data[0] << 8 | data[1], &mix);
	return 0;
}
