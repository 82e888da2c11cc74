// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the streaming JSON writer: the exact text of objects holding every kind of
 * value, nested objects and arrays, commas only between members, escaped string values, and
 * one object per line.
 */
#include "capture.h"

#include <math.h>
#include <string.h>

#include "writers/base64.h"
#include "writers/json.h"

static struct capture cap;
static struct jw w;

static void begin(void)
{
	jw_begin(&w, capture_begin(&cap));
}

/* Ends the capture and compares it with want. */
static void text_is(const char *want)
{
	char *got = capture_end(&cap);

	assert_string_equal(got, want);
	free(got);
}

static void test_empty(void **state)
{
	(void)state;
	begin();
	jw_end(&w);
	text_is("{}\n");
}

static void test_scalars(void **state)
{
	(void)state;
	begin();
	jw_str(&w, "name", "sshd");
	jw_u64(&w, "pid", 42);
	jw_u64(&w, "max", UINT64_MAX);
	jw_i64(&w, "delta", -5);
	jw_i64(&w, "min", INT64_MIN);
	jw_double(&w, "rate", 1.5);
	jw_double(&w, "small", 0.001);
	jw_bool(&w, "ok", true);
	jw_bool(&w, "gone", false);
	jw_null(&w, "cgroup");
	jw_end(&w);
	text_is("{\"name\":\"sshd\",\"pid\":42,\"max\":18446744073709551615,\"delta\":-5,"
		"\"min\":-9223372036854775808,\"rate\":1.5,\"small\":0.001,\"ok\":true,"
		"\"gone\":false,\"cgroup\":null}\n");
}

static void test_nested(void **state)
{
	(void)state;
	begin();
	jw_str(&w, "type", "interval");
	jw_obj(&w, "bytes");
	jw_u64(&w, "send", 1);
	jw_u64(&w, "recv", 2);
	jw_close(&w, '}');
	jw_arr(&w, "rows");
	jw_obj(&w, NULL);
	jw_str(&w, "proto", "tcp");
	jw_close(&w, '}');
	jw_u64(&w, NULL, 7);
	jw_str(&w, NULL, "x");
	jw_arr(&w, NULL);
	jw_close(&w, ']');
	jw_obj(&w, NULL);
	jw_close(&w, '}');
	jw_close(&w, ']');
	jw_bool(&w, "last", true);
	jw_end(&w);
	text_is("{\"type\":\"interval\",\"bytes\":{\"send\":1,\"recv\":2},"
		"\"rows\":[{\"proto\":\"tcp\"},7,\"x\",[],{}],\"last\":true}\n");
}

static void test_untrusted_strings(void **state)
{
	static const char comm[4] = { 'a', '"', '\n', '\xff' }; /* no NUL, as the kernel's */

	(void)state;
	begin();
	jw_bytes(&w, "comm", comm, sizeof(comm));
	jw_str(&w, "path", "C:\\tmp");
	jw_bytes(&w, "empty", "", 0);
	jw_end(&w);
	text_is("{\"comm\":\"a\\\"\\u000a\\ufffd\",\"path\":\"C:\\\\tmp\",\"empty\":\"\"}\n");
}

/* JSON has no NaN or infinity: a writer that printed "nan" would break every reader. */
static void test_non_finite(void **state)
{
	(void)state;
	begin();
	jw_double(&w, "a", NAN);
	jw_double(&w, "b", INFINITY);
	jw_double(&w, "c", -INFINITY);
	jw_end(&w);
	text_is("{\"a\":null,\"b\":null,\"c\":null}\n");
}

/* jw_begin starts afresh: nothing of the previous line (depth, first member) carries over. */
static void test_lines(void **state)
{
	FILE *f;

	(void)state;
	f = capture_begin(&cap);
	jw_begin(&w, f);
	jw_arr(&w, "a");
	jw_u64(&w, NULL, 1);
	jw_close(&w, ']');
	jw_end(&w);
	jw_begin(&w, f);
	jw_u64(&w, "b", 2);
	jw_end(&w);
	text_is("{\"a\":[1]}\n{\"b\":2}\n");
}

/* RFC 4648's test vectors, as JSON string members. */
static void test_base64_vectors(void **state)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };

	(void)state;
	begin();
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		jw_b64(&w, in[i], in[i], strlen(in[i]));
	jw_end(&w);
	text_is("{\"\":\"\",\"f\":\"Zg==\",\"fo\":\"Zm8=\",\"foo\":\"Zm9v\",\"foob\":\"Zm9vYg==\","
		"\"fooba\":\"Zm9vYmE=\",\"foobar\":\"Zm9vYmFy\"}\n");
}

/* Every byte value in every position of a 3-byte group, against a bit-at-a-time encoder. */
static void test_base64_all_bytes(void **state)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t src[768];
	char got[B64_LEN(sizeof(src)) + 1], want[sizeof(got)];
	size_t bits = 0, nbits = 0, o = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i / 3 + (i % 3) * 85);
	for (size_t i = 0; i < sizeof(src); i++) {
		bits = bits << 8 | src[i];
		for (nbits += 8; nbits >= 6; nbits -= 6)
			want[o++] = abc[(bits >> (nbits - 6)) & 63];
	}
	want[o] = '\0';
	assert_int_equal(b64_encode(got, src, sizeof(src)), o);
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_untrusted_strings),
		cmocka_unit_test(test_non_finite),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_all_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
