// SPDX-License-Identifier: GPL-2.0
/* Packet lines and JSON objects for `sockscope packets`: see pktfmt.h. */
#include "pktfmt.h"
#include "escape.h"
#include "fmt.h"
#include "json.h"

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

/* Local "HH:MM:SS.uuuuuu", as tcpdump prints without -tt. */
static void clock_micros(char *buf, size_t len, uint64_t wall_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(wall_ns / 1000000000),
			       .tv_nsec = (long)(wall_ns % 1000000000) };
	char base[16];

	fmt_clock(base, sizeof(base), &ts, false);
	snprintf(buf, len, "%s.%06lu", base, (unsigned long)(ts.tv_nsec / 1000));
}

size_t pf_text(char *buf, size_t len, const struct pkt_tcp *p, const struct pkt_meta *m,
	       const struct pf_opts *o)
{
	char when[32], name[4 * 16 + 1], src[64], dst[64], flags[PF_FLAGS_MAX], ack[24] = "";
	uint32_t seq, an, segs = m->segs ? m->segs : 1;
	char end[24] = "";
	int n;

	clock_micros(when, sizeof(when), m->wall_ns);
	esc_token(name, sizeof(name), m->comm, name_len(m->comm, m->comm_len), o->utf8);
	fmt_endpoint(src, sizeof(src), p->family, p->saddr, p->sport);
	fmt_endpoint(dst, sizeof(dst), p->family, p->daddr, p->dport);
	pf_seq_ack(p, m, o->relative, &seq, &an);
	if (p->flags & PKT_ACK)
		snprintf(ack, sizeof(ack), " ack %u", an);
	if (p->payload_len)
		snprintf(end, sizeof(end), ":%u", seq + p->payload_len);
	n = snprintf(buf, len, "%s %s %s %u tcp %s > %s [%s] seq %u%s%s win %u len %u", when,
		     m->dir == PKT_OUT ? "OUT" : "IN", name[0] ? name : "-", m->pid, src, dst,
		     pf_flags(flags, p->flags), seq, end, ack, pf_window(p, m), p->payload_len);
	if (n >= 0 && (size_t)n < len && segs > 1)
		n += snprintf(buf + n, len - (size_t)n, " segs %u", segs);
	if (n < 0 || (size_t)n + 1 >= len)
		return n < 0 ? 0 : len - 1; /* cut: PF_LINE_MAX is far above any line */
	buf[n++] = '\n';
	buf[n] = '\0';
	return (size_t)n;
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
	jw_bytes(&w, "comm", m->comm, name_len(m->comm, m->comm_len));
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
