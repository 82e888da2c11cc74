// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the escaping of untrusted bytes (process names, payloads): no control byte
 * ever reaches a terminal, JSON strings stay valid JSON and Prometheus label values stay valid
 * UTF-8, whatever the input; truncation never splits an escape and always leaves a string.
 */
#include "capture.h"

#include <string.h>

#include "writers/escape.h"

/* String literals may hold NULs: sizeof less the terminator is the length. */
#define TEXT(s, ok) text_of(s, sizeof(s) - 1, ok)
#define JSON(s)	    json_of(s, sizeof(s) - 1)
#define PROM(s)	    prom_of(s, sizeof(s) - 1)

static char out[512];

static const char *text_of(const char *s, size_t n, bool utf8_ok)
{
	return esc_text(out, sizeof(out), s, n, utf8_ok);
}

static const char *json_of(const char *s, size_t n)
{
	size_t len;

	assert_true(ESC_JSON_MAX(n) <= sizeof(out));
	len = esc_json(out, s, n);
	assert_int_equal(len, strlen(out));
	return out;
}

static const char *prom_of(const char *s, size_t n)
{
	size_t len = esc_prom(out, sizeof(out), s, n);

	assert_int_equal(len, strlen(out));
	return out;
}

static void no_control_bytes(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("raw byte 0x%02x in \"%s\"", *p, s);
}

static void test_utf8_decode(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_decode((const uint8_t *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const uint8_t *)"\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_decode((const uint8_t *)"\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8_decode((const uint8_t *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(utf8_decode((const uint8_t *)"\xe2\x82\xac", 2, &cp), 0); /* cut short */
	assert_int_equal(utf8_decode((const uint8_t *)"\xc0\xaf", 2, &cp), 0);	    /* overlong */
	assert_int_equal(utf8_decode((const uint8_t *)"\xed\xa0\x80", 3, &cp), 0); /* surrogate */
	assert_int_equal(utf8_decode((const uint8_t *)"\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(utf8_decode((const uint8_t *)"\x80", 1, &cp), 0);
	assert_int_equal(utf8_decode((const uint8_t *)"\xc3(", 2, &cp), 0);
	assert_int_equal(utf8_decode((const uint8_t *)"", 0, &cp), 0);
}

static void test_text_ascii(void **state)
{
	(void)state;
	assert_string_equal(TEXT("nginx: worker ~ {1}", true), "nginx: worker ~ {1}");
	assert_string_equal(TEXT("a\\b", false), "a\\\\b");
	assert_string_equal(TEXT("", false), "");
}

static void test_text_controls(void **state)
{
	(void)state;
	assert_string_equal(TEXT("a\0b", true), "a\\x00b");
	assert_string_equal(TEXT("\x1b[2J", true), "\\x1b[2J");
	no_control_bytes(out);
	assert_string_equal(TEXT("x\x7f", true), "x\\x7f");
	assert_string_equal(TEXT("\t\n\r", true), "\\x09\\x0a\\x0d");
	for (int b = 0; b < 256; b++) {
		char one = (char)b;

		no_control_bytes(text_of(&one, 1, true));
		no_control_bytes(text_of(&one, 1, false));
	}
}

static void test_text_invalid_utf8(void **state)
{
	(void)state;
	assert_string_equal(TEXT("\xff\xfe", true), "\\xff\\xfe");
	assert_string_equal(TEXT("a\xe2\x82", true), "a\\xe2\\x82");
	assert_string_equal(TEXT("\xc0\xaf", true), "\\xc0\\xaf");
	assert_string_equal(TEXT("\xed\xa0\x80", true), "\\xed\\xa0\\x80");
	/* a lead byte does not swallow the ASCII after it */
	assert_string_equal(TEXT("\xc3(", true), "\\xc3(");
}

static void test_text_valid_utf8(void **state)
{
	(void)state;
	assert_string_equal(TEXT("h\xc3\xa9llo \xe2\x82\xac", true), "h\xc3\xa9llo \xe2\x82\xac");
	assert_string_equal(TEXT("h\xc3\xa9llo", false), "h\\xc3\\xa9llo");
	assert_string_equal(TEXT("\xf0\x9f\x98\x80", true), "\xf0\x9f\x98\x80");
}

/* Characters that reorder, hide or break lines on a terminal, even in a UTF-8 locale. */
static void test_text_invisible(void **state)
{
	(void)state;
	assert_string_equal(TEXT("a\xe2\x80\xae" "b", true), "a\\xe2\\x80\\xaeb"); /* U+202E */
	assert_string_equal(TEXT("\xe2\x80\x8b", true), "\\xe2\\x80\\x8b");	 /* U+200B */
	assert_string_equal(TEXT("\xe2\x80\xa8", true), "\\xe2\\x80\\xa8");	 /* U+2028 */
	assert_string_equal(TEXT("\xe2\x81\xa6", true), "\\xe2\\x81\\xa6");	 /* U+2066 */
	assert_string_equal(TEXT("\xc2\x9b", true), "\\xc2\\x9b");		 /* C1 CSI */
	assert_string_equal(TEXT("\xef\xbb\xbf", true), "\\xef\\xbb\\xbf");	 /* BOM */
	assert_string_equal(TEXT("\xc2\xad", true), "\\xc2\\xad");		 /* soft hyphen */
}

/*
 * For every buffer size the result is the longest run of whole pieces that fits with its NUL,
 * and nothing past the NUL is written.
 */
static void test_text_truncation(void **state)
{
	static const char src[] = "a\\\x1b\xc3\xa9\xff" "b";
	static const char *const pieces[] = { "a", "\\\\", "\\x1b", "\xc3\xa9", "\\xff", "b" };
	char full[64] = "", want[64], dst[64];

	(void)state;
	for (size_t i = 0; i < 6; i++)
		strcat(full, pieces[i]);
	for (size_t len = 1; len <= strlen(full) + 1; len++) {
		want[0] = '\0';
		for (size_t i = 0; i < 6 && strlen(want) + strlen(pieces[i]) < len; i++)
			strcat(want, pieces[i]);
		memset(dst, 'Z', sizeof(dst));
		esc_text(dst, len, src, sizeof(src) - 1, true);
		assert_string_equal(dst, want);
		for (size_t i = strlen(want) + 1; i < sizeof(dst); i++)
			assert_int_equal(dst[i], 'Z');
	}
	memset(dst, 'Z', sizeof(dst));
	esc_text(dst, 0, src, sizeof(src) - 1, true);
	assert_int_equal(dst[0], 'Z');
}

/* A run of plain text is cut at the last character that fits; an escape fits whole or not. */
static void test_text_truncated_run(void **state)
{
	char dst[10];

	(void)state;
	for (size_t len = 1; len <= sizeof(dst); len++) {
		size_t want = len - 1 < 5 ? len - 1 : len < 10 ? 5 : 9;

		memset(dst, 'Z', sizeof(dst));
		esc_text(dst, len, "hello\tworld", 11, false);
		assert_int_equal(strlen(dst), want);
		assert_memory_equal(dst, "hello\\x09", want);
	}
}

/* Every byte value at every offset of a long run: the word-at-a-time scan misses none. */
static void test_text_every_byte_in_run(void **state)
{
	char src[20], whole[128], want[128];

	(void)state;
	for (int b = 0; b < 256; b++) {
		for (size_t at = 0; at < sizeof(src); at++) {
			memset(src, 'a', sizeof(src));
			src[at] = (char)b;
			esc_text(whole, sizeof(whole), src, sizeof(src), false);
			esc_text(want, sizeof(want), src, at, false);
			strcat(want, text_of(src + at, 1, false));
			strcat(want, text_of(src + at + 1, sizeof(src) - at - 1, false));
			assert_string_equal(whole, want);
		}
	}
}

/* A name in "key=value" text: no space or '=' of its own, so it cannot forge a field. */
static void test_token(void **state)
{
	(void)state;
	esc_token(out, sizeof(out), "x pid=1", 7, true);
	assert_string_equal(out, "x\\x20pid\\x3d1");
	esc_token(out, sizeof(out), "a\\b\"\n\xff\xc3\xa9\xe2\x80\xae", 11, true);
	assert_string_equal(out, "a\\\\b\"\\x0a\\xff\xc3\xa9\\xe2\\x80\\xae");
	esc_token(out, sizeof(out), "\xc3\xa9", 2, false);
	assert_string_equal(out, "\\xc3\\xa9");
	for (int b = 0; b < 256; b++) {
		char one = (char)b;

		esc_token(out, sizeof(out), &one, 1, true);
		no_control_bytes(out);
		assert_null(strpbrk(out, " ="));
	}
	esc_token(out, 6, "ab cd", 5, true); /* "ab" and no piece of "\x20" */
	assert_string_equal(out, "ab");
}

static void test_json(void **state)
{
	(void)state;
	assert_string_equal(JSON("plain text"), "plain text");
	assert_string_equal(JSON("say \"hi\" \\o/"), "say \\\"hi\\\" \\\\o/");
	assert_string_equal(JSON("\n\t\x01\x1f\x7f"), "\\u000a\\u0009\\u0001\\u001f\\u007f");
	assert_string_equal(JSON("a\0b"), "a\\u0000b");
	assert_string_equal(JSON("\x1b[2J"), "\\u001b[2J");
	no_control_bytes(out);
}

static void test_json_utf8(void **state)
{
	(void)state;
	assert_string_equal(JSON("\xff"), "\\ufffd");
	assert_string_equal(JSON("a\xe2\x82z"), "a\\ufffd\\ufffdz");
	assert_string_equal(JSON("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
	assert_string_equal(JSON("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_prom(void **state)
{
	(void)state;
	assert_string_equal(PROM("nginx"), "nginx");
	assert_string_equal(PROM("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
	assert_string_equal(PROM("\xff"), "\xef\xbf\xbd");
	assert_string_equal(PROM("x\xe2\x82y"), "x\xef\xbf\xbd\xef\xbf\xbdy");
	assert_string_equal(PROM("h\xc3\xa9"), "h\xc3\xa9");
}

static void test_prom_truncation(void **state)
{
	char dst[8];

	(void)state;
	/* "ab" then an escape that does not fit in what is left */
	memset(dst, 'Z', sizeof(dst));
	assert_int_equal(esc_prom(dst, 4, "ab\"", 3), 2);
	assert_string_equal(dst, "ab");
	assert_int_equal(esc_prom(dst, 5, "ab\"", 3), 4);
	assert_string_equal(dst, "ab\\\"");
	/* U+FFFD is three bytes: never half of it */
	assert_int_equal(esc_prom(dst, 4, "a\xff", 2), 1);
	assert_string_equal(dst, "a");
	memset(dst, 'Z', sizeof(dst));
	assert_int_equal(esc_prom(dst, 0, "a", 1), 0);
	assert_int_equal(dst[0], 'Z');
}

static void test_name_len(void **state)
{
	const char full[4] = { 'a', 'b', 'c', 'd' };
	const char inner[4] = { 'a', 'b', '\0', 'd' };

	(void)state;
	assert_int_equal(name_len(full, sizeof(full)), 4);
	assert_int_equal(name_len(inner, sizeof(inner)), 2);
	assert_int_equal(name_len(full, 2), 2);
	assert_int_equal(name_len("", 16), 0);
}

/* trace --hex: 16 bytes a line, a short last line padded so that the ASCII column lines up. */
static void test_hexdump(void **state)
{
	struct capture c;
	char *got;
	const char in[] = "GET / HTTP/1.1\r\n\x7f\x00";

	(void)state;
	esc_hexdump(capture_begin(&c), in, sizeof(in) - 1);
	got = capture_end(&c);
	assert_string_equal(got, "    0000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a"
				 "  |GET / HTTP/1.1..|\n"
				 "    0010  7f 00                                          "
				 "  |..|\n");
	free(got);
	esc_hexdump(capture_begin(&c), in, 0);
	got = capture_end(&c);
	assert_string_equal(got, "");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_text_ascii),
		cmocka_unit_test(test_text_controls),
		cmocka_unit_test(test_text_invalid_utf8),
		cmocka_unit_test(test_text_valid_utf8),
		cmocka_unit_test(test_text_invisible),
		cmocka_unit_test(test_text_truncation),
		cmocka_unit_test(test_text_truncated_run),
		cmocka_unit_test(test_text_every_byte_in_run),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_prom_truncation),
		cmocka_unit_test(test_name_len),
		cmocka_unit_test(test_hexdump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
