/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of one captured TCP packet (IPv4 or IPv6, starting at the IP header, as a
 * cgroup_skb or TC program hands it over) into the fields `packets` prints: addresses,
 * ports, seq, ack, flags, window and payload length. The bytes come from the traced side and
 * are untrusted: every length is checked against what was captured before it is used, and
 * nothing here reads past buf + caplen.
 */
#ifndef SS_PKT_H
#define SS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The TCP flag bits, as in the header's 14th byte. */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10
#define PKT_URG 0x20
#define PKT_ECE 0x40
#define PKT_CWR 0x80

enum pkt_dir { PKT_IN, PKT_OUT };

/*
 * What the kernel side knows about a packet beyond its bytes: when, which way, whose socket,
 * on which interface. comm is untrusted and need not be NUL-terminated; NULL when no owner is
 * known (printed as "-" and "").
 */
struct pkt_meta {
	uint64_t ts_ns;		/* CLOCK_MONOTONIC, as every sockscope event's ts_ns */
	uint64_t wall_ns;	/* the same instant in CLOCK_REALTIME: ns since the epoch */
	enum pkt_dir dir;
	uint32_t pid;
	const char *comm;
	size_t comm_len;
	uint32_t ifindex;	/* 0: unknown */
	uint32_t netns;		/* inode of the interface's network namespace, 0: unknown */
	uint32_t segs;		/* wire segments of a GSO/GRO super-packet (0 counts as 1) */
	uint8_t wscale;		/* the sender's window scale shift, 0 if unknown */
	bool isn_known;		/* the connection's initial sequence numbers, for -S */
	uint32_t isn_local, isn_remote;
};

enum pkt_err {
	PKT_OK = 0,
	PKT_ESHORT = -1,   /* captured bytes end before the TCP header does */
	PKT_EVERSION = -2, /* neither IPv4 nor IPv6 */
	PKT_ENOTTCP = -3,  /* another transport (or no next header) */
	PKT_EBADLEN = -4,  /* header lengths that contradict each other */
	PKT_EFRAG = -5,	   /* a fragment after the first: it has no TCP header */
};

struct pkt_tcp {
	int family;	       /* AF_INET or AF_INET6 */
	uint8_t saddr[16];     /* IPv4 in the first 4 bytes, as fmt_ip() expects */
	uint8_t daddr[16];
	uint16_t sport, dport; /* host order, like every number below */
	uint32_t seq, ack;
	uint16_t win;	       /* as on the wire, not scaled */
	uint16_t urg;
	uint8_t flags;	       /* PKT_FIN ... PKT_CWR */
	uint16_t tcp_off;      /* offset of the TCP header in the packet */
	uint16_t tcp_hlen;     /* its length with options (the options may be past caplen) */
	uint32_t ip_len;       /* the IP datagram's length: tcp_off + tcp_hlen + payload_len */
	uint32_t payload_len;  /* TCP payload bytes on the wire, whatever was captured */
};

/*
 * Decodes the caplen bytes at buf, of a packet that was wirelen bytes long (wirelen < caplen
 * counts as caplen). A GSO super-packet with a zero IP length (BIG TCP) takes its length
 * from wirelen. Returns PKT_OK or a negative enum pkt_err; *p is filled only on PKT_OK.
 */
int pkt_decode(const void *buf, size_t caplen, size_t wirelen, struct pkt_tcp *p);
const char *pkt_strerror(int err);

/*
 * The TCP checksum of the len bytes of segment at seg (header and payload) between saddr and
 * daddr: 0 when the segment's checksum is right; with the checksum field zeroed, the value to
 * store there (big-endian, like every header field).
 */
uint16_t pkt_tcp_csum(int family, const uint8_t *saddr, const uint8_t *daddr, const void *seg,
		      size_t len);

#endif
