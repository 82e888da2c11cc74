// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the packet path of `sockscope packets`: the bytes a cgroup_skb program
 * copies out of a packet are untrusted, and go through the decoder, the ISN table, the text
 * and JSON formatters and the pcapng writer. Under ASan and UBSan, any read past the input,
 * overflow or broken invariant of a decoded header is a crash.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/isn.h"
#include "core/pkt.h"
#include "writers/pcapng.h"
#include "writers/pktfmt.h"

static void check(const struct pkt_tcp *p, size_t caplen, size_t wirelen)
{
	if ((size_t)p->tcp_off + 20 > caplen || p->tcp_hlen < 20 || p->tcp_hlen > 60 ||
	    (uint64_t)p->tcp_off + p->tcp_hlen + p->payload_len != p->ip_len || p->ip_len > wirelen)
		abort();
}

static void format(const struct pkt_tcp *p, const uint8_t *data, size_t size, FILE *null,
		   struct isn_table *isns)
{
	struct pkt_meta m = { .ts_ns = size, .wall_ns = (uint64_t)size * 999999937, .pid = 1,
			      .comm = (const char *)data, .comm_len = size < 16 ? size : 16,
			      .dir = size & 1 ? PKT_OUT : PKT_IN, .segs = data[0],
			      .wscale = data[size - 1], .ifindex = 1 };
	struct pf_opts o = { .relative = size & 2, .utf8 = size & 4 };
	char line[PF_LINE_MAX];

	isn_learn(isns, p, &m);
	if (pf_text(line, sizeof(line), p, &m, &o) != strlen(line))
		abort();
	pf_json(null, p, &m, &o);
	if ((size_t)p->tcp_off + p->tcp_hlen + p->payload_len <= size)
		pkt_tcp_csum(p->family, p->saddr, p->daddr, data + p->tcp_off,
			     p->tcp_hlen + p->payload_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pcapng_w *w;
	static struct isn_table isns;
	static FILE *null;
	size_t wires[2] = { size, size + 70000 }; /* as captured, and a GSO super-packet */
	struct pkt_meta m = { .comm = (const char *)data, .comm_len = size, .ifindex = size % 7 };
	struct pkt_tcp p;

	if (!null) {
		null = fopen("/dev/null", "w");
		w = pcapng_open(open("/dev/null", O_WRONLY), 256, "fuzz", NULL, NULL);
		if (!null || !w || isn_init(&isns, 64))
			abort();
	}
	for (int i = 0; i < 2; i++) {
		if (pkt_decode(data, size, wires[i], &p) != PKT_OK)
			continue;
		check(&p, size, wires[i]);
		format(&p, data, size, null, &isns);
	}
	if (pcapng_packet(w, &m, data, (uint32_t)size, (uint32_t)size))
		abort();
	return 0;
}
