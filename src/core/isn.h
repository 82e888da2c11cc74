/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The initial sequence numbers of each connection, learnt from its packets, for `packets -S`
 * (pkt_meta.isn_*): a SYN gives its sender's ISN; a connection first seen after its handshake
 * (opened before sockscope started) takes seq - 1 and ack - 1 of its first packet, as
 * Wireshark does, so that its next byte numbers from 1. After the handshake, numbers equal
 * tcpdump's relative ones (tcpdump without -S). The table is bounded: when it holds max
 * connections it starts over, and older connections learn again from their next packet.
 */
#ifndef SS_ISN_H
#define SS_ISN_H

#include <stddef.h>

#include "core/htab.h"
#include "core/pkt.h"

struct isn_table {
	struct htab conns;
	size_t max;
};

int isn_init(struct isn_table *t, size_t max); /* 0 or -ENOMEM */
void isn_free(struct isn_table *t);

/* Learns from p, seen in direction m->dir, and sets m->isn_known, isn_local and isn_remote. */
void isn_learn(struct isn_table *t, const struct pkt_tcp *p, struct pkt_meta *m);

#endif
