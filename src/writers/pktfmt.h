/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `sockscope packets` output: one line per TCP packet in tcpdump's words, or one JSON object.
 * Pure: a decoded header (core/pkt.h) and its metadata in, text out.
 *
 *   12:11:28.114216 OUT curl 402475 tcp 10.0.2.15:48448 > 1.1.1.1:80 [P.]
 *       seq 615672475:615672545 ack 1810787294 win 64240 len 70   (one line)
 *
 * Addresses are in wire order (source > destination), as tcpdump prints them. Unlike tcpdump,
 * seq is printed on every packet (tcpdump leaves it out of a pure ACK); ack only with the ACK
 * flag, as tcpdump does. The window is scaled by the sender's shift (never on a SYN, whose
 * window RFC 7323 leaves unscaled); " segs N" follows when a super-packet stood for N > 1.
 */
#ifndef SS_PKTFMT_H
#define SS_PKTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/pkt.h"

#define PF_LINE_MAX   512 /* the longest line pf_text writes, with its newline */
#define PF_FLAGS_MAX  10  /* "FSRP.UEW" or "none", and the NUL */

struct pf_opts {
	bool relative; /* -S: seq and ack from 0 at the connection's ISNs (when known) */
	bool utf8;     /* let valid UTF-8 names through (a UTF-8 terminal) */
};

/* tcpdump's flag letters in tcpdump's order (F S R P . U E W), "none" for no flag. */
char *pf_flags(char buf[PF_FLAGS_MAX], uint8_t flags);

/* The seq and ack to show: absolute, or relative to the sender's and receiver's ISNs. */
void pf_seq_ack(const struct pkt_tcp *p, const struct pkt_meta *m, bool relative, uint32_t *seq,
		uint32_t *ack);

/* The window to show: scaled by m->wscale except on a SYN. */
uint32_t pf_window(const struct pkt_tcp *p, const struct pkt_meta *m);

/* One text line, newline included, into buf (PF_LINE_MAX bytes); returns its length. */
size_t pf_text(char *buf, size_t len, const struct pkt_tcp *p, const struct pkt_meta *m,
	       const struct pf_opts *o);

/* One JSON object on its own line (see docs/json.md for the fields). */
void pf_json(FILE *f, const struct pkt_tcp *p, const struct pkt_meta *m, const struct pf_opts *o);

#endif
