// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of number, address and time formatting: exact strings at and around each unit
 * boundary (where rounding could print "1024.0 KiB" or "1000k"), the width promised in fmt.h
 * over whole ranges, and how addresses of each family, mapped or unspecified, are shown.
 */
#include "capture.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "writers/fmt.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

static void bytes_is(uint64_t v, const char *want)
{
	char buf[32];

	assert_string_equal(fmt_bytes(buf, sizeof(buf), v), want);
}

static void count_is(uint64_t v, const char *want)
{
	char buf[32];

	assert_string_equal(fmt_count(buf, sizeof(buf), v), want);
}

static void thousands_is(uint64_t v, const char *want)
{
	char buf[32];

	assert_string_equal(fmt_thousands(buf, sizeof(buf), v), want);
}

static void test_bytes(void **state)
{
	(void)state;
	bytes_is(0, "0 B");
	bytes_is(512, "512 B");
	bytes_is(1023, "1023 B");
	bytes_is(1024, "1.0 KiB");
	bytes_is(15360, "15.0 KiB");
	bytes_is(1048524, "1023.9 KiB");
	bytes_is(1048575, "1.0 MiB");
	bytes_is(MIB, "1.0 MiB");
	bytes_is(3355443, "3.2 MiB");
	bytes_is(5 * GIB, "5.0 GiB");
	bytes_is(1536 * GIB, "1.5 TiB");
	bytes_is(UINT64_MAX, "16.0 EiB");
}

/* Just below each unit, in steps fine enough to hit every rounding of "%.1f". */
static void test_bytes_never_1024(void **state)
{
	char buf[32];

	(void)state;
	for (uint64_t unit = KIB; unit <= GIB * KIB; unit *= 1024) {
		uint64_t step = unit / 1024 ? unit / 1024 : 1;

		for (uint64_t v = unit * 1023 - 200 * step; v < unit * 1025; v += step / 4 + 1) {
			fmt_bytes(buf, sizeof(buf), v);
			if (strstr(buf, "1024") || strlen(buf) > 10)
				fail_msg("fmt_bytes(%llu) = \"%s\"", (unsigned long long)v, buf);
		}
	}
}

static void test_count(void **state)
{
	(void)state;
	count_is(0, "0");
	count_is(99999, "99999");
	count_is(100000, "100k");
	count_is(999499, "999k");
	count_is(999500, "1.0M");
	count_is(1234567, "1.2M");
	count_is(45000000000ULL, "45G");
	count_is(UINT64_MAX, "18E");
}

/*
 * fmt.h promises at most 5 characters, so a column of width 5 never overflows. Sweep 2% either
 * side of where "%.1f" becomes "%.0f" and where a unit gives way to the next, in every unit.
 */
static void test_count_width(void **state)
{
	static const double marks[] = { 9.95, 99.5, 999.5 };
	char buf[32];

	(void)state;
	for (double scale = 1e3; scale <= 1e18; scale *= 1000) {
		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
			for (int i = -1000; i <= 1000; i++) {
				double d = marks[m] * scale * (1 + i / 50000.0);
				uint64_t v = (uint64_t)d;

				if (d >= 1.8e19)
					break;
				fmt_count(buf, sizeof(buf), v);
				/* below 100000 the digits are printed as they are */
				if (strlen(buf) > 5 || (v >= 100000 && strstr(buf, "1000")) ||
				    strstr(buf, "10.0"))
					fail_msg("fmt_count(%llu) = \"%s\"", (unsigned long long)v,
						 buf);
			}
		}
	}
}

static void test_thousands(void **state)
{
	(void)state;
	thousands_is(0, "0");
	thousands_is(999, "999");
	thousands_is(1000, "1,000");
	thousands_is(15360, "15,360");
	thousands_is(100000, "100,000");
	thousands_is(1000000, "1,000,000");
	thousands_is(UINT64_MAX, "18,446,744,073,709,551,615");
}

static const uint8_t v4[16] = { 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef }; /* tail is not the address */
static const uint8_t v6_lo[16] = { [15] = 1 };
static const uint8_t v6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 };
static const uint8_t zero[16];
static const uint8_t v4_any[16] = { 0, 0, 0, 0, 0xde, 0xad }; /* 0.0.0.0, tail as above */

static void endpoint_is(int family, const uint8_t addr[16], uint16_t port, const char *want)
{
	char buf[64];

	assert_string_equal(fmt_endpoint(buf, sizeof(buf), family, addr, port), want);
}

static void test_ip(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(fmt_ip(buf, sizeof(buf), AF_INET, v4), "1.2.3.4");
	assert_string_equal(fmt_ip(buf, sizeof(buf), AF_INET6, v6_lo), "::1");
	assert_string_equal(fmt_ip(buf, sizeof(buf), AF_INET6, v6_doc), "2001:db8::1");
	assert_string_equal(fmt_ip(buf, sizeof(buf), AF_INET6, mapped), "1.2.3.4");
}

static void test_endpoint(void **state)
{
	(void)state;
	endpoint_is(AF_INET, v4, 80, "1.2.3.4:80");
	endpoint_is(AF_INET6, v6_lo, 80, "[::1]:80");
	endpoint_is(AF_INET6, v6_doc, 65535, "[2001:db8::1]:65535");
	endpoint_is(AF_INET6, mapped, 80, "1.2.3.4:80");
}

static void test_endpoint_unspecified(void **state)
{
	(void)state;
	endpoint_is(AF_INET, zero, 0, "*:*");
	endpoint_is(AF_INET, zero, 53, "*:53");
	endpoint_is(AF_INET, v4_any, 53, "*:53");
	endpoint_is(AF_INET, v4, 0, "1.2.3.4:*");
	endpoint_is(AF_INET6, zero, 443, "*:443");
	endpoint_is(AF_INET6, v6_lo, 0, "[::1]:*");
}

static void test_wire_family(void **state)
{
	(void)state;
	assert_int_equal(wire_family(AF_INET, v4, v4), AF_INET);
	assert_int_equal(wire_family(AF_INET6, mapped, mapped), AF_INET);
	/* an unbound local end of a socket talking to an IPv4 peer */
	assert_int_equal(wire_family(AF_INET6, zero, mapped), AF_INET);
	assert_int_equal(wire_family(AF_INET6, v6_lo, v6_lo), AF_INET6);
	assert_int_equal(wire_family(AF_INET6, v6_doc, mapped), AF_INET6);
	assert_int_equal(wire_family(AF_INET6, zero, zero), AF_INET6);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(family_name(AF_INET), "ipv4");
	assert_string_equal(family_name(AF_INET6), "ipv6");
	assert_string_equal(proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(proto_name(IPPROTO_ICMP), "?");
}

static void test_rfc3339(void **state)
{
	const struct timespec epoch = { 0, 123456789 };
	const struct timespec later = { 1700000000, 999999999 };
	const struct timespec whole = { 951782400, 0 }; /* a leap day */
	char buf[64];

	(void)state;
	/* UTC whatever the local zone (a POSIX zone string needs no tzdata) */
	setenv("TZ", "XST-05:30", 1);
	tzset();
	assert_string_equal(fmt_rfc3339(buf, sizeof(buf), &epoch), "1970-01-01T00:00:00.123Z");
	assert_string_equal(fmt_rfc3339(buf, sizeof(buf), &later), "2023-11-14T22:13:20.999Z");
	assert_string_equal(fmt_rfc3339(buf, sizeof(buf), &whole), "2000-02-29T00:00:00.000Z");
}

static void test_clock(void **state)
{
	const struct timespec ts = { 3600 * 5 + 60 * 4 + 3, 7000000 };
	char buf[32];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(fmt_clock(buf, sizeof(buf), &ts, false), "05:04:03");
	assert_string_equal(fmt_clock(buf, sizeof(buf), &ts, true), "05:04:03.007");
	/* local time: an hour east of UTC (another second: the calendar part of a second is
	 * cached, as the time zone does not change under a running program) */
	setenv("TZ", "XST-01", 1);
	tzset();
	const struct timespec later = { ts.tv_sec + 1, 0 };
	assert_string_equal(fmt_clock(buf, sizeof(buf), &later, false), "06:04:04");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_never_1024),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_count_width),
		cmocka_unit_test(test_thousands),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_endpoint_unspecified),
		cmocka_unit_test(test_wire_family),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
