// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the TCP/IP header decoder: the fields of packets built by tests/unit/pktgen.h
 * come back as built, IPv6 extension headers are walked, and untrusted bytes that end early or
 * contradict themselves are refused with the right error, never read past their end (the
 * fuzz target, tests/fuzz/fuzz_packet.c, checks the last part under AddressSanitizer).
 */
#include "capture.h"
#include "pktgen.h"

#include <stdlib.h>
#include <string.h>

static uint8_t buf[2048];

static const struct gen v4 = { AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672475, 1810787294,
			       PKT_PSH | PKT_ACK, 64240, false, "GET / HTTP/1.1\r\n\r\n", 18 };
static const struct gen v6 = { AF_INET6, "fd00::1", "2001:db8::2", 80, 48448, 0xfffffff0, 7,
			       PKT_SYN | PKT_ACK | PKT_ECE, 65535, true, NULL, 0 };

static void test_ipv4_fields(void **state)
{
	size_t n = gen_tcp(buf, &v4);
	struct pkt_tcp p;
	uint8_t a[4];

	(void)state;
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
	assert_int_equal(p.family, AF_INET);
	inet_pton(AF_INET, "10.0.2.15", a);
	assert_memory_equal(p.saddr, a, 4);
	inet_pton(AF_INET, "1.1.1.1", a);
	assert_memory_equal(p.daddr, a, 4);
	assert_int_equal(p.sport, 48448);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seq, 615672475);
	assert_int_equal(p.ack, 1810787294);
	assert_int_equal(p.flags, PKT_PSH | PKT_ACK);
	assert_int_equal(p.win, 64240);
	assert_int_equal(p.tcp_off, 20);
	assert_int_equal(p.tcp_hlen, 20);
	assert_int_equal(p.payload_len, 18);
	assert_int_equal(p.ip_len, n);
}

static void test_ipv6_fields(void **state)
{
	size_t n = gen_tcp(buf, &v6);
	struct pkt_tcp p;
	uint8_t a[16];

	(void)state;
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
	assert_int_equal(p.family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::2", a);
	assert_memory_equal(p.daddr, a, 16);
	assert_int_equal(p.seq, 0xfffffff0);
	assert_int_equal(p.flags, PKT_SYN | PKT_ACK | PKT_ECE);
	assert_int_equal(p.tcp_off, 40);
	assert_int_equal(p.tcp_hlen, 24);
	assert_int_equal(p.payload_len, 0);
}

/* Inserts an 8-byte extension header of type nh before the TCP header of an IPv6 packet. */
static size_t with_ext(uint8_t nh, uint16_t frag_off)
{
	size_t n = gen_tcp(buf, &v6);

	memmove(buf + 48, buf + 40, n - 40);
	memset(buf + 40, 0, 8);
	buf[40] = buf[6]; /* the extension's next header: TCP */
	buf[6] = nh;
	gen_be16(buf + 42, frag_off);
	gen_be16(buf + 4, (uint16_t)(n - 40 + 8));
	return n + 8;
}

static void test_ipv6_extension_headers(void **state)
{
	static const uint8_t walked[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS };
	struct pkt_tcp p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(walked); i++) {
		n = with_ext(walked[i], 0);
		assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
		assert_int_equal(p.tcp_off, 48);
		assert_int_equal(p.sport, 80);
		assert_int_equal(p.payload_len, 0);
	}
	n = with_ext(IPPROTO_FRAGMENT, 0); /* the first fragment carries the TCP header */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
	n = with_ext(IPPROTO_FRAGMENT, 8 << 3);
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EFRAG);
	n = with_ext(IPPROTO_UDP, 0);
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_ENOTTCP);
}

/* Every capture that ends inside the headers is refused; any that holds them is decoded. */
static void test_every_truncation(void **state)
{
	const struct gen *gens[] = { &v4, &v6 };
	struct pkt_tcp p;

	(void)state;
	for (size_t g = 0; g < 2; g++) {
		size_t n = gen_tcp(buf, gens[g]), hdrs = g ? 60 : 40;

		for (size_t cap = 0; cap <= n; cap++) {
			uint8_t *copy = malloc(cap ? cap : 1); /* exact size: ASan sees overreads */
			int err;

			memcpy(copy, buf, cap);
			err = pkt_decode(copy, cap, n, &p);
			assert_int_equal(err, cap < hdrs ? PKT_ESHORT : PKT_OK);
			if (!err)
				assert_int_equal(p.payload_len, gens[g]->plen);
			free(copy);
		}
	}
}

static void test_contradictions(void **state)
{
	struct pkt_tcp p;
	size_t n;

	(void)state;
	n = gen_tcp(buf, &v4);
	buf[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EBADLEN);
	n = gen_tcp(buf, &v4);
	gen_be16(buf + 2, (uint16_t)(n + 1)); /* longer than the packet */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EBADLEN);
	n = gen_tcp(buf, &v4);
	buf[20 + 12] = 0x40; /* data offset 16 bytes */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EBADLEN);
	n = gen_tcp(buf, &v4);
	buf[20 + 12] = 0xf0; /* 60 bytes of TCP header in a 58-byte datagram */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EBADLEN);
	n = gen_tcp(buf, &v4);
	gen_be16(buf + 6, 0x0001); /* fragment offset 8: no TCP header here */
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EFRAG);
	n = gen_tcp(buf, &v4);
	buf[9] = IPPROTO_UDP;
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_ENOTTCP);
	buf[0] = 0x55;
	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_EVERSION);
	assert_string_equal(pkt_strerror(PKT_EVERSION), "not IPv4 or IPv6");
}

/* A GSO super-packet past 64 KiB has a zero IP length: the payload comes from wirelen. */
static void test_big_tcp_length(void **state)
{
	size_t n = gen_tcp(buf, &v6), wire = 100000;
	struct pkt_tcp p;

	(void)state;
	gen_be16(buf + 4, 0);
	assert_int_equal(pkt_decode(buf, n, wire, &p), PKT_OK);
	assert_int_equal(p.payload_len, wire - 40 - 24);
	n = gen_tcp(buf, &v4);
	gen_be16(buf + 2, 0);
	assert_int_equal(pkt_decode(buf, n, wire, &p), PKT_OK);
	assert_int_equal(p.payload_len, wire - 40);
}

/* The checksum of a built packet verifies to 0; one flipped bit anywhere does not. */
static void test_checksum(void **state)
{
	const struct gen *gens[] = { &v4, &v6 };

	(void)state;
	for (size_t g = 0; g < 2; g++) {
		size_t n = gen_tcp(buf, gens[g]), ip = g ? 40 : 20;
		const uint8_t *sa = buf + (g ? 8 : 12), *da = buf + (g ? 24 : 16);

		assert_int_equal(pkt_tcp_csum(gens[g]->family, sa, da, buf + ip, n - ip), 0);
		for (size_t i = ip; i < n; i++) {
			buf[i] ^= 0x10;
			assert_int_not_equal(pkt_tcp_csum(gens[g]->family, sa, da, buf + ip, n - ip), 0);
			buf[i] ^= 0x10;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_fields),
		cmocka_unit_test(test_ipv6_fields),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_big_tcp_length),
		cmocka_unit_test(test_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
