// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ISN table behind `packets -S`: numbers from 0 at a SYN seen, from 1 for a
 * connection first seen mid-stream, a new SYN on an old 4-tuple starting over, and a bounded
 * table. tcpdump's relative numbers are the witness in test_pktfmt.c.
 */
#include "capture.h"

#include <netinet/in.h>
#include <string.h>

#include "core/isn.h"
#include "writers/pktfmt.h"

static struct isn_table t;

static int setup(void **state)
{
	(void)state;
	return isn_init(&t, 2);
}

static int teardown(void **state)
{
	(void)state;
	isn_free(&t);
	return 0;
}

/* Relative "seq/ack" of a packet of connection c (local port 1000 + c) seen in dir. */
static char *rel(int c, enum pkt_dir dir, uint8_t flags, uint32_t seq, uint32_t ack)
{
	static char buf[32];
	struct pkt_tcp p = { .family = AF_INET, .seq = seq, .ack = ack, .flags = flags };
	struct pkt_meta m = { .dir = dir };
	uint16_t local = (uint16_t)(1000 + c), remote = 80;
	uint32_t s, a;

	p.saddr[0] = dir == PKT_OUT ? 10 : 1, p.daddr[0] = dir == PKT_OUT ? 1 : 10;
	p.sport = dir == PKT_OUT ? local : remote;
	p.dport = dir == PKT_OUT ? remote : local;
	isn_learn(&t, &p, &m);
	assert_true(m.isn_known);
	pf_seq_ack(&p, &m, true, &s, &a);
	snprintf(buf, sizeof(buf), "%u/%u", s, a);
	return buf;
}

#define SYN PKT_SYN
#define ACK PKT_ACK

static void test_handshake(void **state)
{
	(void)state;
	assert_string_equal(rel(0, PKT_OUT, SYN, 5000, 0), "0/0");
	assert_string_equal(rel(0, PKT_IN, SYN | ACK, 0xfffffff0, 5001), "0/1");
	assert_string_equal(rel(0, PKT_OUT, ACK, 5001, 0xfffffff1), "1/1");
	assert_string_equal(rel(0, PKT_OUT, ACK | PKT_PSH, 5001, 0xfffffff1), "1/1");
	assert_string_equal(rel(0, PKT_IN, ACK, 0xfffffff1, 5013), "1/13");
	assert_string_equal(rel(0, PKT_IN, ACK, 20, 5013), "36/13"); /* past 2^32 */
}

/* Opened before sockscope started: its first packet numbers from 1, and so does the peer. */
static void test_mid_stream(void **state)
{
	(void)state;
	assert_string_equal(rel(1, PKT_IN, ACK | PKT_PSH, 7000, 9000), "1/1");
	assert_string_equal(rel(1, PKT_OUT, ACK, 9000, 7005), "1/6");
	assert_string_equal(rel(1, PKT_IN, ACK, 7005, 9000), "6/1");
}

static void test_new_syn_starts_over(void **state)
{
	(void)state;
	assert_string_equal(rel(0, PKT_OUT, SYN, 5000, 0), "0/0");
	assert_string_equal(rel(0, PKT_IN, SYN | ACK, 100, 5001), "0/1");
	assert_string_equal(rel(0, PKT_OUT, SYN, 8000, 0), "0/0");
	assert_string_equal(rel(0, PKT_IN, SYN | ACK, 300, 8001), "0/1");
	assert_string_equal(rel(0, PKT_OUT, ACK, 8001, 301), "1/1");
}

/* Past max connections the table starts over: the first learns again, from its next packet. */
static void test_bounded(void **state)
{
	(void)state;
	assert_string_equal(rel(0, PKT_OUT, SYN, 5000, 0), "0/0");
	assert_string_equal(rel(1, PKT_OUT, SYN, 6000, 0), "0/0");
	assert_int_equal(t.conns.len, 2);
	assert_string_equal(rel(2, PKT_OUT, SYN, 7000, 0), "0/0");
	assert_int_equal(t.conns.len, 1);
	assert_string_equal(rel(0, PKT_OUT, ACK, 5011, 77), "1/1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mid_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_syn_starts_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
