// SPDX-License-Identifier: GPL-2.0
/* Packet lines and JSON objects for `sockscope packets`: see pktfmt.h. */
#include "writers/pktfmt.h"
#include "writers/escape.h"
#include "writers/fmt.h"
#include "writers/json.h"

#include <netinet/in.h>
#include <string.h>
#include <time.h>

char *pf_flags(char buf[PF_FLAGS_MAX], uint8_t flags)
{
	/* print-tcp.c's tcp_flag_values order, so lines compare with tcpdump's by eye */
	static const struct {
		uint8_t bit;
		char letter;
	} letters[] = { { PKT_FIN, 'F' }, { PKT_SYN, 'S' }, { PKT_RST, 'R' }, { PKT_PSH, 'P' },
			{ PKT_ACK, '.' }, { PKT_URG, 'U' }, { PKT_ECE, 'E' }, { PKT_CWR, 'W' } };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (flags & letters[i].bit)
			buf[n++] = letters[i].letter;
	if (!n)
		return memcpy(buf, "none", 5);
	buf[n] = '\0';
	return buf;
}

void pf_seq_ack(const struct pkt_tcp *p, const struct pkt_meta *m, bool relative, uint32_t *seq,
		uint32_t *ack)
{
	uint32_t isn_sender = m->dir == PKT_OUT ? m->isn_local : m->isn_remote;
	uint32_t isn_receiver = m->dir == PKT_OUT ? m->isn_remote : m->isn_local;

	*seq = p->seq;
	*ack = p->ack;
	if (relative && m->isn_known) { /* unsigned: wraps past 2^32 as the numbers do */
		*seq -= isn_sender;
		*ack -= isn_receiver;
	}
}

uint32_t pf_window(const struct pkt_tcp *p, const struct pkt_meta *m)
{
	uint8_t shift = m->wscale > 14 ? 14 : m->wscale; /* RFC 7323's largest shift */

	return p->flags & PKT_SYN ? p->win : (uint32_t)p->win << shift;
}

/* A line built without printf: one is formatted per packet, up to a million a second. */
struct line {
	char *buf;
	size_t len, cap; /* cap keeps a byte for the NUL */
};

static void add(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len; /* cut: PF_LINE_MAX is far above any line */
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void add_str(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

/* v as decimal, at least width digits (zero-padded). */
static void add_num(struct line *l, uint64_t v, int width)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || (int)(sizeof(d) - i) < width);
	add(l, d + i, sizeof(d) - i);
}

/* "1.2.3.4:80" or "[fd00::1]:80", as tcpdump's addresses with ':' before the port. */
static void add_endpoint(struct line *l, int family, const uint8_t addr[16], uint16_t port)
{
	char ip[64];

	fmt_ip(ip, sizeof(ip), family, addr);
	if (family == AF_INET6 && strchr(ip, ':')) {
		add(l, "[", 1);
		add_str(l, ip);
		add(l, "]:", 2);
	} else {
		add_str(l, ip);
		add(l, ":", 1);
	}
	add_num(l, port, 1);
}

/* Local "HH:MM:SS.uuuuuu", as tcpdump prints without -tt. */
static void add_clock(struct line *l, uint64_t wall_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(wall_ns / 1000000000),
			       .tv_nsec = (long)(wall_ns % 1000000000) };
	char base[16];

	add_str(l, fmt_clock(base, sizeof(base), &ts, false));
	add(l, ".", 1);
	add_num(l, (uint64_t)ts.tv_nsec / 1000, 6);
}

/* "[P.] seq A:B ack C win W len L segs N" */
static void add_tcp(struct line *l, const struct pkt_tcp *p, const struct pkt_meta *m, bool rel)
{
	char flags[PF_FLAGS_MAX];
	uint32_t seq, ack;

	pf_seq_ack(p, m, rel, &seq, &ack);
	add(l, " [", 2);
	add_str(l, pf_flags(flags, p->flags));
	add(l, "] seq ", 6);
	add_num(l, seq, 1);
	if (p->payload_len) {
		add(l, ":", 1);
		add_num(l, (uint32_t)(seq + p->payload_len), 1);
	}
	if (p->flags & PKT_ACK) {
		add(l, " ack ", 5);
		add_num(l, ack, 1);
	}
	add(l, " win ", 5);
	add_num(l, pf_window(p, m), 1);
	add(l, " len ", 5);
	add_num(l, p->payload_len, 1);
	if (m->segs > 1) {
		add(l, " segs ", 6);
		add_num(l, m->segs, 1);
	}
}

/* The name's length: up to its NUL, 0 for none (a packet with no owner known). */
static size_t comm_len(const struct pkt_meta *m)
{
	return m->comm ? name_len(m->comm, m->comm_len) : 0;
}

size_t pf_text(char *buf, size_t len, const struct pkt_tcp *p, const struct pkt_meta *m,
	       const struct pf_opts *o)
{
	struct line l = { .buf = buf, .cap = len ? len - 1 : 0 };
	char name[4 * 16 + 1];

	if (!len)
		return 0;
	esc_token(name, sizeof(name), m->comm, comm_len(m), o->utf8);
	add_clock(&l, m->wall_ns);
	add_str(&l, m->dir == PKT_OUT ? " OUT " : " IN ");
	add_str(&l, name[0] ? name : "-");
	add(&l, " ", 1);
	add_num(&l, m->pid, 1);
	add(&l, " tcp ", 5);
	add_endpoint(&l, p->family, p->saddr, p->sport);
	add(&l, " > ", 3);
	add_endpoint(&l, p->family, p->daddr, p->dport);
	add_tcp(&l, p, m, o->relative);
	add(&l, "\n", 1);
	buf[l.len] = '\0';
	return l.len;
}

void pf_json(FILE *f, const struct pkt_tcp *p, const struct pkt_meta *m, const struct pf_opts *o)
{
	bool out = m->dir == PKT_OUT;
	char when[40], la[64], ra[64], flags[PF_FLAGS_MAX];
	struct timespec ts = { .tv_sec = (time_t)(m->wall_ns / 1000000000),
			       .tv_nsec = (long)(m->wall_ns % 1000000000) };
	uint32_t seq, ack;
	struct jw w;

	pf_seq_ack(p, m, o->relative, &seq, &ack);
	fmt_ip(la, sizeof(la), p->family, out ? p->saddr : p->daddr);
	fmt_ip(ra, sizeof(ra), p->family, out ? p->daddr : p->saddr);
	jw_begin(&w, f);
	jw_str(&w, "type", "packet");
	jw_str(&w, "time", fmt_rfc3339(when, sizeof(when), &ts));
	jw_u64(&w, "ts_ns", m->ts_ns);
	jw_str(&w, "dir", out ? "out" : "in");
	jw_u64(&w, "pid", m->pid);
	jw_bytes(&w, "comm", m->comm ? m->comm : "", comm_len(m));
	jw_str(&w, "family", family_name(p->family));
	jw_str(&w, "laddr", la);
	jw_u64(&w, "lport", out ? p->sport : p->dport);
	jw_str(&w, "raddr", ra);
	jw_u64(&w, "rport", out ? p->dport : p->sport);
	jw_u64(&w, "seq", seq);
	jw_u64(&w, "ack", ack);
	jw_str(&w, "flags", pf_flags(flags, p->flags));
	jw_u64(&w, "win", pf_window(p, m));
	jw_u64(&w, "len", p->payload_len);
	jw_u64(&w, "segs", m->segs ? m->segs : 1);
	if (m->ifindex)
		jw_u64(&w, "ifindex", m->ifindex);
	jw_end(&w);
}
