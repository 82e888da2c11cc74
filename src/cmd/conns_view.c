// SPDX-License-Identifier: GPL-2.0
/* How `conns` presents TCP sockets and their events: see conns_view.h. */
#include "conns_view.h"
#include "../io.h"
#include "../tcpconn.h"
#include "../out/fmt.h"
#include "../out/json.h"
#include "../out/table.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define INFINITE_SSTHRESH 0x7fffffff

/* Numeric columns: JSON name and value. Strings (comm, role, state, ca_state) come after. */
#define NUM_COLUMNS(X)                                                                            \
	X(pid, v->r.pid)                                                                          \
	X(lport, v->r.a.lport)                                                                    \
	X(rport, v->r.a.rport)                                                                    \
	X(age_ms, v->age_ms)                                                                      \
	X(sent_bytes, v->sent)                                                                    \
	X(recv_bytes, v->recv)                                                                    \
	X(bytes_acked, v->r.bytes_acked)                                                          \
	X(bytes_received, v->r.bytes_received)                                                    \
	X(cwnd, v->r.cwnd)                                                                        \
	X(ssthresh, v->r.ssthresh)                                                                \
	X(srtt_us, v->r.srtt_us)                                                                  \
	X(rttvar_us, v->r.rttvar_us)                                                              \
	X(snd_wnd, v->r.snd_wnd)                                                                  \
	X(rcv_wnd, v->r.rcv_wnd)                                                                  \
	X(packets_out, v->r.packets_out)                                                          \
	X(bytes_in_flight, v->r.bytes_in_flight)                                                  \
	X(sndbuf, v->r.sndbuf)                                                                    \
	X(sndbuf_used, v->r.sndbuf_used)                                                          \
	X(send_queue, v->r.sendq)                                                                 \
	X(recv_queue, v->r.recvq)                                                                 \
	X(retrans_total, v->r.retrans_total)                                                      \
	X(retrans_fast, v->r.retrans[SS_RETRANS_FAST])                                            \
	X(retrans_timeout, v->r.retrans[SS_RETRANS_TIMEOUT])                                      \
	X(retrans_other, v->r.retrans[SS_RETRANS_OTHER])                                          \
	X(resets_sent, v->r.resets_sent)                                                          \
	X(resets_received, v->r.resets_received)                                                  \
	X(backlog, v->r.backlog)                                                                  \
	X(max_backlog, v->r.max_backlog)

#define AS_NAME(name, expr) #name,
#define AS_CASE(name, expr)                                                                       \
	case COL_##name:                                                                          \
		return (uint64_t)(expr);
#define AS_ENUM(name, expr) COL_##name,

enum { NUM_COLUMNS(AS_ENUM) COL_NUMERIC, COL_COMM = COL_NUMERIC, COL_ROLE, COL_STATE, COL_CA };

static const char *const columns[] = { NUM_COLUMNS(AS_NAME) "comm", "role", "state", "ca_state" };

#define NCOLUMNS (int)(sizeof(columns) / sizeof(columns[0]))

int conn_column(const char *name)
{
	for (int i = 0; i < NCOLUMNS; i++)
		if (!strcmp(columns[i], name))
			return i;
	return -1;
}

void conn_columns_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < NCOLUMNS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", columns[i]);
}

static uint64_t num_value(const struct conn_view *v, int col)
{
	switch (col) {
		NUM_COLUMNS(AS_CASE)
	}
	return 0;
}

static const char *str_value(const struct conn_view *v, int col)
{
	switch (col) {
	case COL_COMM:
		return v->r.comm;
	case COL_ROLE:
		return role_name(v->role);
	case COL_STATE:
		return tcp_state_name(v->r.state);
	default:
		return ca_state_name(v->r.ca_state);
	}
}

void conn_view_fill(struct conn_view *v, const struct ss_conn_row *r, struct ss_io *io,
		    const struct timespec *now)
{
	uint64_t now_ns = (uint64_t)now->tv_sec * 1000000000ULL + (uint64_t)now->tv_nsec;
	const struct ss_conn *c = ss_io_find(io, r->sock_id, r->pid);

	memset(v, 0, sizeof(*v));
	v->r = *r;
	v->role = r->role;
	v->age_ms = r->first_ns && now_ns > r->first_ns ? (now_ns - r->first_ns) / 1000000 : 0;
	if (c) {
		v->sent = c->n.bytes[SS_SEND];
		v->recv = c->n.bytes[SS_RECV];
	}
}

/* Whether listener l takes connections to local end a (a dual-stack [::] one takes IPv4 too). */
static bool listens_for(const struct ss_addrs *l, const struct ss_addrs *a)
{
	if (l->lport != a->lport)
		return false;
	if (l->family != a->family)
		return l->family == AF_INET6 && fmt_addr_is_zero(l->laddr, 16);
	return fmt_addr_is_zero(l->laddr, 16) || !memcmp(l->laddr, a->laddr, 16);
}

void conn_views_roles(struct conn_view *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i].role && v[i].r.state == TCP_LISTEN)
			v[i].role = SS_ROLE_LISTEN;
	for (size_t i = 0; i < n; i++) {
		if (v[i].role)
			continue;
		v[i].role = SS_ROLE_CLIENT;
		for (size_t j = 0; j < n; j++)
			if (v[j].role == SS_ROLE_LISTEN && listens_for(&v[j].r.a, &v[i].r.a))
				v[i].role = SS_ROLE_SERVER;
	}
}

static int sort_column;

static int cmp_views(const void *pa, const void *pb)
{
	const struct conn_view *a = pa, *b = pb;
	int c;

	if (sort_column >= COL_NUMERIC) {
		c = strcmp(str_value(a, sort_column), str_value(b, sort_column));
	} else {
		uint64_t x = num_value(a, sort_column), y = num_value(b, sort_column);
		/* identities ascending, quantities biggest first */
		bool asc = sort_column == COL_pid || sort_column == COL_lport ||
			   sort_column == COL_rport;

		c = x == y ? 0 : (x < y) == asc ? -1 : 1;
	}
	if (!c)
		c = a->r.pid != b->r.pid ? (a->r.pid < b->r.pid ? -1 : 1) : 0;
	if (!c)
		c = a->r.sock_id < b->r.sock_id ? -1 : a->r.sock_id > b->r.sock_id;
	return c;
}

void conn_views_sort(struct conn_view *v, size_t n, int column)
{
	sort_column = column;
	qsort(v, n, sizeof(*v), cmp_views);
}


/* A socket born before sockscope has an age of at least the time it has been seen: ">5s";
 * "?" while that is under a second, since ">0s" says nothing. */
static void fmt_age(char *buf, size_t len, const struct conn_view *v)
{
	uint64_t s = v->age_ms / 1000;
	const char *more = v->r.age_known ? "" : ">";

	if (!v->r.age_known && !s)
		snprintf(buf, len, "?");
	else if (s < 60)
		snprintf(buf, len, "%s%llus", more, (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%s%llum%02llus", more, (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, len, "%s%lluh%02llum", more, (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
}

static void print_internals(FILE *f, const struct conn_view *v)
{
	const struct ss_conn_row *r = &v->r;
	char a[16], b[16], c[16], d[16], e[16], g[16], ss[16];

	if (r->state == TCP_LISTEN) {
		fprintf(f, "        backlog %u/%u\n", r->backlog, r->max_backlog);
		return;
	}
	if (r->ssthresh >= INFINITE_SSTHRESH)
		snprintf(ss, sizeof(ss), "-");
	else
		snprintf(ss, sizeof(ss), "%u", r->ssthresh);
	fprintf(f, "        cwnd %u ssthresh %s rtt %.3f/%.3f ms wnd %s/%s inflight %u (%s) "
		   "q %u/%u buf %s/%s ca %s\n",
		r->cwnd, ss, r->srtt_us / 1000.0, r->rttvar_us / 1000.0,
		fmt_bytes(a, sizeof(a), r->snd_wnd), fmt_bytes(b, sizeof(b), r->rcv_wnd),
		r->packets_out, fmt_bytes(c, sizeof(c), r->bytes_in_flight), r->sendq, r->recvq,
		fmt_bytes(d, sizeof(d), r->sndbuf_used), fmt_bytes(e, sizeof(e), r->sndbuf),
		ca_state_name(r->ca_state));
	fprintf(f, "        retrans %u (%u fast, %u timeout, %u other) resets %u sent %u received "
		   "calls since start: sent %s recv %s\n",
		r->retrans_total, r->retrans[SS_RETRANS_FAST], r->retrans[SS_RETRANS_TIMEOUT],
		r->retrans[SS_RETRANS_OTHER], r->resets_sent, r->resets_received,
		fmt_bytes(g, sizeof(g), v->sent), fmt_bytes(a, sizeof(a), v->recv));
}

static void print_view(FILE *f, const struct conn_view *v)
{
	char name[64], age[32], l[64], r[64], pair[140], s[16], x[16];

	table_name(name, sizeof(name), v->r.comm, sizeof(v->r.comm));
	fmt_age(age, sizeof(age), v);
	fmt_endpoint(l, sizeof(l), v->r.a.family, v->r.a.laddr, v->r.a.lport);
	fmt_endpoint(r, sizeof(r), v->r.a.family, v->r.a.raddr, v->r.a.rport);
	snprintf(pair, sizeof(pair), "%s -> %s", l, r);
	fprintf(f, "%7u ", v->r.pid);
	table_cell(f, name, 15, true);
	/* the kernel's counts, since the connection began, whenever sockscope started */
	fprintf(f, " %-6s %-11s %7s %-45s %10s %10s\n", role_name(v->role),
		tcp_state_name(v->r.closed ? TCP_CLOSE : v->r.state), age, pair,
		fmt_bytes(s, sizeof(s), v->r.bytes_acked),
		fmt_bytes(x, sizeof(x), v->r.bytes_received));
	print_internals(f, v);
}

void conn_views_table(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now,
		      int term_rows)
{
	char clock[16];
	size_t shown = n;

	/* each socket takes three lines; keep the header on screen */
	if (term_rows && shown > (size_t)(term_rows > 5 ? (term_rows - 2) / 3 : 1))
		shown = (size_t)(term_rows > 5 ? (term_rows - 2) / 3 : 1);
	fprintf(f, "%s  %zu TCP sockets\n", fmt_clock(clock, sizeof(clock), now, false), n);
	fprintf(f, "%7s %-15s %-6s %-11s %7s %-45s %10s %10s\n", "PID", "COMM", "ROLE", "STATE",
		"AGE", "LOCAL -> REMOTE", "ACKED", "RECEIVED");
	for (size_t i = 0; i < shown; i++)
		print_view(f, &v[i]);
}

static void json_addrs(struct jw *w, const struct ss_addrs *a)
{
	char l[64], r[64];

	jw_str(w, "proto", "tcp");
	jw_str(w, "family", family_name(a->family));
	jw_str(w, "laddr", fmt_ip(l, sizeof(l), a->family, a->laddr));
	jw_u64(w, "lport", a->lport);
	jw_str(w, "raddr", fmt_ip(r, sizeof(r), a->family, a->raddr));
	jw_u64(w, "rport", a->rport);
}

void conn_views_json(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now)
{
	char when[40];

	fmt_rfc3339(when, sizeof(when), now);
	for (size_t i = 0; i < n; i++) {
		struct jw w;

		jw_begin(&w, f);
		jw_str(&w, "type", "conn");
		jw_str(&w, "time", when);
		jw_bytes(&w, "comm", v[i].r.comm, strnlen(v[i].r.comm, sizeof(v[i].r.comm)));
		json_addrs(&w, &v[i].r.a);
		for (int c = 0; c < COL_NUMERIC; c++)
			if (c != COL_lport && c != COL_rport)
				jw_u64(&w, columns[c], num_value(&v[i], c));
		jw_str(&w, "role", role_name(v[i].role));
		/* the kernel's name, as events and ss give it; "closed" says it is gone */
		jw_str(&w, "state", tcp_state_name(v[i].r.closed ? TCP_CLOSE : v[i].r.state));
		jw_str(&w, "ca_state", ca_state_name(v[i].r.ca_state));
		jw_bool(&w, "age_known", v[i].r.age_known);
		jw_bool(&w, "closed", v[i].r.closed);
		jw_end(&w);
	}
}

static bool same_ends(const struct ss_addrs *a, const struct ss_addrs *b)
{
	return a->family == b->family && a->lport == b->lport && a->rport == b->rport &&
	       !memcmp(a->laddr, b->laddr, 16) && !memcmp(a->raddr, b->raddr, 16);
}

static bool owned_by(struct ss_conn_event *e, uint32_t pid, const char *comm)
{
	e->pid = pid;
	memcpy(e->comm, comm, sizeof(e->comm));
	return true;
}

bool conn_event_attribute(struct ss_conn_event *e, const struct conn_view *v, size_t n,
			  struct ss_io *io)
{
	const struct ss_conn *c;

	if (e->pid)
		return true;
	for (size_t i = 0; i < n; i++)
		if (same_ends(&v[i].r.a, &e->a))
			return owned_by(e, v[i].r.pid, v[i].r.comm);
	for (size_t i = 0; (c = htab_next(ss_io_conns(io), &i));)
		if (c->rec.a.proto == IPPROTO_TCP && same_ends(&c->rec.a, &e->a))
			return owned_by(e, c->key.tgid, c->rec.comm);
	/* a connection still in the accept queue is no process's yet but its listener's */
	for (size_t i = 0; i < n; i++)
		if (v[i].r.state == TCP_LISTEN && listens_for(&v[i].r.a, &e->a))
			return owned_by(e, v[i].r.pid, v[i].r.comm);
	return false;
}

static const char *event_name(const struct ss_conn_event *e)
{
	static const char *const names[] = { "state", "retransmit", "reset", "reset",
					     "bad_csum", "drop", "cong" };

	return e->kind < 7 ? names[e->kind] : "?";
}

static const char *retrans_kind_name(unsigned k)
{
	return k == SS_RETRANS_FAST ? "fast" : k == SS_RETRANS_TIMEOUT ? "timeout" : "other";
}

/*
 * Who reset the connection: this end (its owner's kernel), the peer, or the kernel for a
 * packet no socket takes (a connect to a port nobody listens on is refused that way; its
 * client then shows the reset as received).
 */
static const char *reset_by(const struct ss_conn_event *e)
{
	if (e->kind == SS_CEV_RESET_RX)
		return "peer";
	return e->sock_id ? "local" : "no_socket";
}

static void reset_detail(char *buf, size_t len, const struct ss_conn_event *e)
{
	char l[64];

	if (e->kind == SS_CEV_RESET_RX) {
		snprintf(buf, len, "received: the peer reset the connection");
	} else if (e->sock_id) {
		snprintf(buf, len, "sent: this end reset the connection");
	} else { /* its ends are those of the connection the packet was for: the port is r */
		fmt_endpoint(l, sizeof(l), e->a.family, e->a.raddr, e->a.rport);
		snprintf(buf, len, "sent by the kernel: no socket at %s (a refused connect, or a "
				   "connection already gone)", l);
	}
}

static void event_detail(char *buf, size_t len, const struct ss_conn_event *e)
{
	switch (e->kind) {
	case SS_CEV_STATE:
		snprintf(buf, len, "%s -> %s (%.3f ms in %s)", tcp_state_name(e->arg1),
			 tcp_state_name(e->arg2), e->arg3 / 1e6, tcp_state_name(e->arg1));
		break;
	case SS_CEV_RETRANS:
		snprintf(buf, len, "%s seq %u len %u segs %llu", retrans_kind_name(e->arg4), e->arg1,
			 e->arg2, (unsigned long long)e->arg3);
		break;
	case SS_CEV_RESET_TX:
	case SS_CEV_RESET_RX:
		reset_detail(buf, len, e);
		break;
	case SS_CEV_DROP:
		snprintf(buf, len, "%s", drop_reason_name(e->arg1));
		break;
	case SS_CEV_CONG:
		snprintf(buf, len, "-> %s", ca_state_name(e->arg1));
		break;
	default:
		buf[0] = '\0';
	}
}

static void event_json(struct jw *w, const struct ss_conn_event *e)
{
	switch (e->kind) {
	case SS_CEV_STATE:
		jw_str(w, "old_state", tcp_state_name(e->arg1));
		jw_str(w, "new_state", tcp_state_name(e->arg2));
		jw_double(w, "ms_in_old_state", e->arg3 / 1e6);
		break;
	case SS_CEV_RETRANS:
		jw_str(w, "kind", retrans_kind_name(e->arg4));
		jw_u64(w, "seq", e->arg1);
		jw_u64(w, "len", e->arg2);
		jw_u64(w, "segments", e->arg3);
		break;
	case SS_CEV_RESET_TX:
	case SS_CEV_RESET_RX:
		jw_str(w, "dir", e->kind == SS_CEV_RESET_TX ? "sent" : "received");
		jw_str(w, "by", reset_by(e));
		break;
	case SS_CEV_DROP:
		jw_str(w, "reason", drop_reason_name(e->arg1));
		break;
	case SS_CEV_CONG:
		jw_str(w, "ca_state", ca_state_name(e->arg1));
		break;
	}
}

void conn_event_print(FILE *f, const struct ss_conn_event *ev, bool json, int64_t mono_to_real,
		      const struct conn_view *v, size_t n, struct ss_io *io)
{
	struct ss_conn_event e = *ev;
	int64_t ns = (int64_t)e.ts_ns + mono_to_real;
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	char when[40], name[64], l[64], r[64], detail[192];
	struct jw w;

	conn_event_attribute(&e, v, n, io);
	if (json) {
		jw_begin(&w, f);
		jw_str(&w, "type", event_name(&e));
		jw_str(&w, "time", fmt_rfc3339(when, sizeof(when), &ts));
		jw_u64(&w, "pid", e.pid);
		jw_bytes(&w, "comm", e.pid ? e.comm : "-", e.pid ? strnlen(e.comm, 16) : 1);
		json_addrs(&w, &e.a);
		event_json(&w, &e);
		jw_end(&w);
		return;
	}
	table_name(name, sizeof(name), e.pid ? e.comm : "-", e.pid ? sizeof(e.comm) : 1);
	fmt_endpoint(l, sizeof(l), e.a.family, e.a.laddr, e.a.lport);
	fmt_endpoint(r, sizeof(r), e.a.family, e.a.raddr, e.a.rport);
	event_detail(detail, sizeof(detail), &e);
	fprintf(f, "%-12s %-7u ", fmt_clock(when, sizeof(when), &ts, true), e.pid);
	table_cell(f, name, 15, true);
	fprintf(f, " %-10s %s -> %s  %s\n", event_name(&e), l, r, detail);
}
