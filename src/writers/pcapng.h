/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pcapng writer for `sockscope packets -w FILE`: one Section Header Block, one Interface
 * Description Block per (network namespace, ifindex) seen, written just before its first
 * packet, and an Enhanced Packet Block per packet.
 *
 * Link type LINKTYPE_LINUX_SLL2 (276), what `tcpdump -i any` writes: a 20-byte pseudo header
 * (protocol, ifindex, direction) before the IP packet. cgroup_skb sees packets from the IP
 * header on, so raw IP (101) was the natural choice, but libpcap 1.10 (tcpdump) refuses a
 * second IDB of type 101 (it compares it with the first one's DLT_RAW, 12), and one IDB per
 * interface is what lets Wireshark name each packet's interface. SLL2 also lets IPv4 and IPv6
 * share an interface and shows the direction to readers that ignore epb_flags. The snaplen
 * counts IP bytes; the IDB's is 20 more. Timestamps are in nanoseconds (if_tsresol 9).
 *
 * Each packet carries its direction in epb_flags (inbound 01, outbound 10) and a comment
 * "pid=PID dir=in|out[ segs=N] comm=NAME" (segs for a GSO/GRO super-packet of N > 1 wire
 * segments): NAME goes through esc_token, so the comment is valid UTF-8 and a name cannot
 * forge another field. PID is followed by a space, so that
 *   tshark -Y 'frame.comment contains "pid=1234 "'
 * selects one process exactly (without the space, pid=12 would also match pid=1234).
 *
 * A file cut short stays readable: blocks are built whole in a buffer and write(2) is handed
 * only whole blocks, so the file always ends on a block boundary (a failed, partial write is
 * cut back to the last whole block). Blocks reach the file when the buffer fills, on
 * pcapng_flush() (call it after each batch of packets, so that a kill -9 loses at most one
 * batch) and on pcapng_close() (call it on Ctrl-C).
 */
#ifndef SS_PCAPNG_H
#define SS_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"

#define PCAPNG_LINKTYPE	    276 /* LINKTYPE_LINUX_SLL2 */
#define PCAPNG_SNAPLEN_MAX  262144 /* tcpdump's default and largest useful snaplen */

/* Names an interface for its IDB: writes it into buf and returns buf, or NULL if unknown. */
typedef const char *(*pcapng_ifname_fn)(void *ctx, uint32_t netns, uint32_t ifindex, char *buf,
					size_t len);

struct pcapng_w;

/*
 * Starts a capture on fd (left open by pcapng_close) and writes its Section Header Block.
 * snaplen: 1..PCAPNG_SNAPLEN_MAX bytes kept of each packet. appl: the shb_userappl text.
 * ifname may be NULL. Returns NULL with errno set (EINVAL for a bad snaplen).
 */
struct pcapng_w *pcapng_open(int fd, uint32_t snaplen, const char *appl, pcapng_ifname_fn ifname,
			     void *ctx);

/*
 * Adds one packet: caplen bytes of data (cut to snaplen), of a packet wirelen bytes long.
 * Returns 0 or a negative errno; after an error every later call returns it too.
 */
int pcapng_packet(struct pcapng_w *w, const struct pkt_meta *m, const void *data, uint32_t caplen,
		  uint32_t wirelen);

int pcapng_flush(struct pcapng_w *w);	/* 0 or a negative errno */
int pcapng_close(struct pcapng_w *w);	/* flushes and frees: 0 or a negative errno */

#endif
