// SPDX-License-Identifier: GPL-2.0
/* Escaping of untrusted bytes for terminals, JSON and Prometheus: see escape.h. */
#include "writers/escape.h"

#include <string.h>

size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t c;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past Unicode are not UTF-8 */
	if (c < min_cp[len] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* C1 controls and the format characters that can hide or reorder text on a terminal. */
static bool invisible(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

#define BYTES(b) (0x0101010101010101ULL * (b))

/* Whether one of 8 bytes is a control, DEL, non-ASCII or a backslash (bit tricks, no loop). */
static bool word_has_special(uint64_t x)
{
	uint64_t low = (x - BYTES(0x20)) & ~x;		   /* a byte < 0x20 */
	uint64_t high = (x + BYTES(0x01)) | x;		   /* a byte >= 0x7f */
	uint64_t bs = x ^ BYTES('\\');
	uint64_t back = (bs - BYTES(0x01)) & ~bs;	   /* a backslash */

	return (low | high | back) & BYTES(0x80);
}

static size_t text_plain_run(const uint8_t *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (word_has_special(w))
			break;
	}
	while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
		i++;
	return i;
}

/* One byte or UTF-8 sequence that is not plain ASCII, as piece; returns the bytes it used. */
static size_t text_piece(const uint8_t *s, size_t n, bool utf8_ok, char piece[8], size_t *plen)
{
	static const char hex[] = "0123456789abcdef";
	size_t used;
	uint32_t cp;

	if (s[0] == '\\') {
		memcpy(piece, "\\\\", 2), *plen = 2;
		return 1;
	}
	if (utf8_ok && s[0] >= 0x80 && (used = utf8_decode(s, n, &cp)) && !invisible(cp)) {
		memcpy(piece, s, used), *plen = used;
		return used;
	}
	piece[0] = '\\', piece[1] = 'x', piece[2] = hex[s[0] >> 4], piece[3] = hex[s[0] & 15];
	*plen = 4;
	return 1;
}

/* A token (esc_token) is text without space or '=': its plain runs stop there too. */
static size_t token_plain_run(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '=')
		i++;
	return i;
}

/*
 * Runs of plain ASCII are copied whole: payloads are mostly text, hundreds of MB/s of it.
 * Everything else goes through text_piece (which writes space and '=' as \xNN, as they are
 * below 0x80, when a token's run stops at them).
 */
static char *escape(char *dst, size_t dstlen, const uint8_t *s, size_t srclen, bool utf8_ok,
		    size_t (*plain_run)(const uint8_t *, size_t))
{
	size_t o = 0, i = 0;

	if (!dstlen)
		return dst;
	while (i < srclen) {
		size_t run = plain_run(s + i, srclen - i), plen, used;
		char piece[8];

		if (run) {
			if (run > dstlen - 1 - o)
				run = dstlen - 1 - o;
			memcpy(dst + o, s + i, run);
			o += run, i += run;
			if (o + 1 == dstlen)
				break;
			continue;
		}
		used = text_piece(s + i, srclen - i, utf8_ok, piece, &plen);
		if (o + plen >= dstlen)
			break;
		memcpy(dst + o, piece, plen);
		o += plen, i += used;
	}
	dst[o] = '\0';
	return dst;
}

char *esc_text(char *dst, size_t dstlen, const void *src, size_t srclen, bool utf8_ok)
{
	return escape(dst, dstlen, src, srclen, utf8_ok, text_plain_run);
}

char *esc_token(char *dst, size_t dstlen, const void *src, size_t srclen, bool utf8_ok)
{
	return escape(dst, dstlen, src, srclen, utf8_ok, token_plain_run);
}

static bool json_plain(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

size_t esc_json(char *dst, const void *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = src;
	size_t o = 0, n;
	uint32_t cp;

	for (size_t i = 0; i < srclen;) {
		if (json_plain(s[i])) {
			dst[o++] = (char)s[i++];
		} else if (s[i] == '"' || s[i] == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)s[i++];
		} else if (s[i] < 0x80) {
			memcpy(dst + o, "\\u00", 4);
			dst[o + 4] = hex[s[i] >> 4];
			dst[o + 5] = hex[s[i++] & 15];
			o += 6;
		} else if ((n = utf8_decode(s + i, srclen - i, &cp))) {
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(dst + o, "\\ufffd", 6);
			o += 6;
			i++;
		}
	}
	dst[o] = '\0';
	return o;
}

size_t esc_prom(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	const uint8_t *s = src;
	size_t o = 0;
	uint32_t cp;

	for (size_t i = 0; i < srclen;) {
		const char *piece;
		char one[4];
		size_t plen, used = 1;

		if (s[i] == '\\')
			piece = "\\\\", plen = 2;
		else if (s[i] == '"')
			piece = "\\\"", plen = 2;
		else if (s[i] == '\n')
			piece = "\\n", plen = 2;
		else if (s[i] < 0x80)
			one[0] = (char)s[i], piece = one, plen = 1;
		else if ((used = utf8_decode(s + i, srclen - i, &cp)))
			piece = (const char *)s + i, plen = used;
		else
			piece = "\xef\xbf\xbd", plen = 3, used = 1; /* U+FFFD */
		if (o + plen >= dstlen)
			break;
		memcpy(dst + o, piece, plen);
		o += plen;
		i += used;
	}
	if (dstlen)
		dst[o] = '\0';
	return o;
}

size_t name_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

void esc_hexdump(FILE *f, const void *src, size_t len)
{
	const uint8_t *p = src;

	for (size_t off = 0; off < len; off += 16) {
		char ascii[17];
		size_t n = len - off < 16 ? len - off : 16;

		fprintf(f, "    %04zx ", off);
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				fprintf(f, " %02x", p[off + i]);
			else
				fputs("   ", f);
			ascii[i] = i < n && p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.';
		}
		ascii[n] = '\0';
		fprintf(f, "  |%s|\n", ascii);
	}
}
