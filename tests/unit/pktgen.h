/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic but valid TCP/IP packets for the packet tests: IPv4 (header checksum right) or
 * IPv6, TCP with an optional MSS option, the TCP checksum right, so that tshark and tcpdump
 * take them as real traffic. Written from RFC 791/8200/9293, not from the decoder under test
 * (only the TCP checksum's arithmetic is shared, and tshark checks it independently).
 */
#ifndef SS_TEST_PKTGEN_H
#define SS_TEST_PKTGEN_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/pkt.h"

struct gen {
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	bool mss;	     /* a 4-byte MSS option (data offset 6) */
	const char *payload; /* plen bytes */
	size_t plen;
};

static inline void gen_be16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
}

static inline void gen_be32(uint8_t *b, uint32_t v)
{
	gen_be16(b, (uint16_t)(v >> 16)), gen_be16(b + 2, (uint16_t)v);
}

static inline uint16_t gen_ip4_csum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Builds the packet into buf (at least 60 + plen bytes); returns its length. */
static inline size_t gen_tcp(uint8_t *buf, const struct gen *g)
{
	bool v6 = g->family == AF_INET6;
	size_t ip = v6 ? 40 : 20, th = g->mss ? 24 : 20, len = ip + th + g->plen;
	uint8_t *t = buf + ip, *sa = buf + (v6 ? 8 : 12), *da = buf + (v6 ? 24 : 16);

	memset(buf, 0, ip + th);
	if (v6) {
		buf[0] = 0x60;
		gen_be16(buf + 4, (uint16_t)(th + g->plen));
		buf[6] = 6, buf[7] = 64;
	} else {
		buf[0] = 0x45;
		gen_be16(buf + 2, (uint16_t)len);
		gen_be16(buf + 6, 0x4000); /* DF */
		buf[8] = 64, buf[9] = 6;
	}
	inet_pton(g->family, g->src, sa);
	inet_pton(g->family, g->dst, da);
	gen_be16(t, g->sport), gen_be16(t + 2, g->dport);
	gen_be32(t + 4, g->seq), gen_be32(t + 8, g->ack);
	t[12] = (uint8_t)(th / 4 << 4), t[13] = g->flags;
	gen_be16(t + 14, g->win);
	if (g->mss)
		t[20] = 2, t[21] = 4, gen_be16(t + 22, 1460);
	if (g->plen) /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(t + th, g->payload, g->plen);
	if (!v6)
		gen_be16(buf + 10, gen_ip4_csum(buf));
	gen_be16(t + 16, pkt_tcp_csum(g->family, sa, da, t, th + g->plen));
	return len;
}

#endif
