// SPDX-License-Identifier: GPL-2.0
/* Bounds-checked IPv4/IPv6 + TCP header decoding: see pkt.h. */
#include "core/pkt.h"

#include <netinet/in.h>
#include <string.h>

#define IP6_HLEN      40
#define TCP_MIN_HLEN  20
#define IP6_MAX_EXTS  8 /* more extension headers than any sane packet carries: refuse */

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * What the IP header says, for either version: the addresses at addrs (the destination
 * follows the source in both headers), where TCP starts and the datagram's length.
 */
static void set_ip(struct pkt_tcp *p, int family, const uint8_t *addrs, size_t alen,
		   size_t tcp_off, size_t ip_len)
{
	p->family = family;
	memcpy(p->saddr, addrs, alen);
	memcpy(p->daddr, addrs + alen, alen);
	p->tcp_off = (uint16_t)tcp_off;
	p->ip_len = (uint32_t)ip_len;
}

/* IPv4: sets the TCP header's offset and the datagram's length. */
static int decode_ip4(const uint8_t *b, size_t caplen, size_t wirelen, struct pkt_tcp *p)
{
	size_t hlen, tot;

	if (caplen < 20)
		return PKT_ESHORT;
	hlen = (size_t)(b[0] & 0x0f) * 4;
	tot = be16(b + 2);
	if (!tot) /* a TSO/GSO super-packet past 64 KiB: the kernel leaves it to skb->len */
		tot = wirelen;
	if (hlen < 20 || tot < hlen || tot > wirelen)
		return PKT_EBADLEN;
	if (be16(b + 6) & 0x1fff)
		return PKT_EFRAG;
	if (b[9] != IPPROTO_TCP)
		return PKT_ENOTTCP;
	set_ip(p, AF_INET, b + 12, 4, hlen, tot);
	return PKT_OK;
}

/* Walks IPv6 extension headers from next header nh at *off up to TCP. */
static int ip6_skip_exts(const uint8_t *b, size_t caplen, size_t end, uint8_t nh, size_t *off)
{
	for (int i = 0; i < IP6_MAX_EXTS; i++) {
		size_t len;

		if (nh == IPPROTO_TCP)
			return PKT_OK;
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH)
			return PKT_ENOTTCP;
		if (*off + 8 > caplen)
			return PKT_ESHORT;
		if (nh == IPPROTO_FRAGMENT && (be16(b + *off + 2) & 0xfff8))
			return PKT_EFRAG;
		len = nh == IPPROTO_FRAGMENT ? 8 :
		      nh == IPPROTO_AH	     ? ((size_t)b[*off + 1] + 2) * 4 :
					       ((size_t)b[*off + 1] + 1) * 8;
		nh = b[*off];
		*off += len;
		if (*off > end)
			return PKT_EBADLEN;
	}
	return nh == IPPROTO_TCP ? PKT_OK : PKT_EBADLEN;
}

static int decode_ip6(const uint8_t *b, size_t caplen, size_t wirelen, struct pkt_tcp *p)
{
	size_t tot, off = IP6_HLEN;
	int err;

	if (caplen < IP6_HLEN)
		return PKT_ESHORT;
	tot = be16(b + 4) ? IP6_HLEN + (size_t)be16(b + 4) : wirelen; /* 0: jumbo or BIG TCP */
	if (tot > wirelen || tot < IP6_HLEN)
		return PKT_EBADLEN;
	err = ip6_skip_exts(b, caplen, tot, b[6], &off);
	if (err)
		return err;
	if (off > UINT16_MAX)
		return PKT_EBADLEN;
	set_ip(p, AF_INET6, b + 8, 16, off, tot);
	return PKT_OK;
}

static int decode_tcp(const uint8_t *b, size_t caplen, struct pkt_tcp *p)
{
	const uint8_t *t = b + p->tcp_off;
	size_t hlen;

	if ((size_t)p->tcp_off + TCP_MIN_HLEN > caplen)
		return PKT_ESHORT;
	hlen = (size_t)(t[12] >> 4) * 4;
	if (hlen < TCP_MIN_HLEN || p->tcp_off + hlen > p->ip_len)
		return PKT_EBADLEN;
	p->sport = be16(t);
	p->dport = be16(t + 2);
	p->seq = be32(t + 4);
	p->ack = be32(t + 8);
	p->flags = t[13];
	p->win = be16(t + 14);
	p->urg = be16(t + 18);
	p->tcp_hlen = (uint16_t)hlen;
	p->payload_len = p->ip_len - p->tcp_off - (uint32_t)hlen;
	return PKT_OK;
}

int pkt_decode(const void *buf, size_t caplen, size_t wirelen, struct pkt_tcp *p)
{
	const uint8_t *b = buf;
	struct pkt_tcp d;
	int err;

	if (wirelen < caplen)
		wirelen = caplen;
	if (wirelen > UINT32_MAX)
		return PKT_EBADLEN;
	if (!caplen)
		return PKT_ESHORT;
	memset(&d, 0, sizeof(d));
	if (b[0] >> 4 == 4)
		err = decode_ip4(b, caplen, wirelen, &d);
	else if (b[0] >> 4 == 6)
		err = decode_ip6(b, caplen, wirelen, &d);
	else
		err = PKT_EVERSION;
	if (!err)
		err = decode_tcp(b, caplen, &d);
	if (!err)
		*p = d;
	return err;
}

const char *pkt_strerror(int err)
{
	switch (err) {
	case PKT_OK:
		return "ok";
	case PKT_ESHORT:
		return "truncated before the end of the TCP header";
	case PKT_EVERSION:
		return "not IPv4 or IPv6";
	case PKT_ENOTTCP:
		return "not TCP";
	case PKT_EBADLEN:
		return "inconsistent header lengths";
	case PKT_EFRAG:
		return "a non-first IP fragment";
	}
	return "unknown error";
}

/* 64 bits: a GSO super-packet's thousands of words cannot carry out of it. */
static uint64_t sum16(uint64_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t pkt_tcp_csum(int family, const uint8_t *saddr, const uint8_t *daddr, const void *seg,
		      size_t len)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	uint8_t tail[8] = { 0 }; /* the pseudo-header's length and protocol, both sizes fit */
	uint64_t sum = 0;

	if (family == AF_INET6) {
		tail[0] = (uint8_t)(len >> 24), tail[1] = (uint8_t)(len >> 16);
		tail[2] = (uint8_t)(len >> 8), tail[3] = (uint8_t)len;
		tail[7] = IPPROTO_TCP;
	} else {
		tail[1] = IPPROTO_TCP;
		tail[2] = (uint8_t)(len >> 8), tail[3] = (uint8_t)len;
	}
	sum = sum16(sum, saddr, alen);
	sum = sum16(sum, daddr, alen);
	sum = sum16(sum, tail, family == AF_INET6 ? 8 : 4);
	sum = sum16(sum, seg, len);
	return (uint16_t)~sum;
}
