// SPDX-License-Identifier: GPL-2.0
/* How `conns` presents TCP sockets and their events: see conns_view.h. */
#include "cmd/conns_view.h"
#include "readers/io.h"
#include "readers/conns.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"
#include "writers/table.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define INFINITE_SSTHRESH 0x7fffffff

/* --sort's names: the sortable fields of the conn record (records.c), in their order. */
int conn_column(const char *name)
{
	for (size_t i = 0; i < conn_nsort; i++)
		if (!strcmp(rec_conn.fields[conn_sort_fields[i]].key, name))
			return conn_sort_fields[i];
	return -1;
}

void conn_columns_list(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < conn_nsort && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 rec_conn.fields[conn_sort_fields[i]].key);
}

/*
 * The kernel's numbers, cwnd to max_backlog, are consecutive __u32 in ss_conn_row in the
 * order of the conn record's fields: one index reads any of them.
 */
_Static_assert(offsetof(struct ss_conn_row, max_backlog) - offsetof(struct ss_conn_row, cwnd) ==
		       (CN_MAX_BACKLOG - CN_CWND) * sizeof(__u32),
	       "conn record fields cwnd..max_backlog follow struct ss_conn_row");
_Static_assert(offsetof(struct ss_conn_row, retrans) - offsetof(struct ss_conn_row, cwnd) ==
			       (CN_RETRANS_FAST - CN_CWND) * sizeof(__u32) &&
		       SS_RETRANS_FAST == 0 && SS_RETRANS_TIMEOUT == 1 && SS_RETRANS_OTHER == 2,
	       "retrans_fast, _timeout, _other follow retrans[]");

static uint64_t kernel_value(const struct ss_conn_row *r, int field)
{
	const char *first = (const char *)r + offsetof(struct ss_conn_row, cwnd);
	__u32 v;

	memcpy(&v, first + (size_t)(field - CN_CWND) * sizeof(v), sizeof(v));
	return v;
}

/* One socket, as the conn record's fields (records.h) ask for it. */
struct view_row {
	const struct conn_view *v;
	const char *when;
	char text[160];
};

static void fmt_age(char *buf, size_t len, const struct conn_view *v);

/* The text view's local and remote ends: "1.2.3.4:5 -> 6.7.8.9:10". */
static const char *ends_text(char *buf, size_t len, const struct ss_addrs *a)
{
	char l[64], r[64];

	fmt_endpoint(l, sizeof(l), a->family, a->laddr, a->lport);
	fmt_endpoint(r, sizeof(r), a->family, a->raddr, a->rport);
	snprintf(buf, len, "%s -> %s", l, r);
	return buf;
}

static void view_text(struct view_row *vr, int field, struct fval *v)
{
	const struct conn_view *cv = vr->v;

	switch (field) {
	case CN_TIME:
		v->s = vr->when;
		break;
	case CN_COMM:
		v->s = cv->r.comm;
		v->len = strnlen(cv->r.comm, sizeof(cv->r.comm));
		break;
	case CN_ROLE:
		v->s = role_name(cv->role);
		break;
	case CN_STATE: /* the kernel's name, as events and ss give it; "CLOSE" says it is gone */
		v->s = tcp_state_name(cv->r.closed ? TCP_CLOSE : cv->r.state);
		break;
	case CN_CA_STATE:
		v->s = ca_state_name(cv->r.ca_state);
		break;
	case CN_AGE:
		fmt_age(vr->text, sizeof(vr->text), cv);
		v->s = vr->text;
		break;
	default:
		v->s = ends_text(vr->text, sizeof(vr->text), &cv->r.a);
	}
}

static void view_value(void *row, int field, struct fval *v)
{
	struct view_row *vr = row;
	const struct conn_view *cv = vr->v;

	if (field >= CN_CWND && field <= CN_MAX_BACKLOG)
		v->u = kernel_value(&cv->r, field);
	else if (field == CN_PROTO) /* a socket of conns' is TCP */
		v->s = "tcp";
	else if (field > CN_PROTO && field <= CN_RPORT)
		addrs_value(vr->text, sizeof(vr->text), &cv->r.a, field - CN_PROTO, v);
	else if (field == CN_PID)
		v->u = cv->r.pid;
	else if (field == CN_AGE_MS)
		v->u = cv->age_ms;
	else if (field == CN_SENT_BYTES || field == CN_RECV_BYTES)
		v->u = field == CN_SENT_BYTES ? cv->sent : cv->recv;
	else if (field == CN_BYTES_ACKED || field == CN_BYTES_RECEIVED)
		v->u = field == CN_BYTES_ACKED ? cv->r.bytes_acked : cv->r.bytes_received;
	else if (field == CN_AGE_KNOWN || field == CN_CLOSED)
		v->u = field == CN_AGE_KNOWN ? cv->r.age_known : cv->r.closed;
	else
		view_text(vr, field, v);
}

void conn_view_fill(struct conn_view *v, const struct ss_conn_row *r, struct io_reader *io,
		    uint64_t now_ns)
{
	const struct sock_acct *c = io_find(io, r->sock_id, r->pid);

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

/* What --sort compares: the shown value, but the state a closed socket was last in. */
static void sort_value(const struct conn_view *cv, struct fval *v)
{
	struct view_row vr;

	vr.v = cv;
	vr.when = "";
	memset(v, 0, sizeof(*v));
	if (sort_column == CN_STATE)
		v->s = tcp_state_name(cv->r.state);
	else
		view_value(&vr, sort_column, v);
}

static int cmp_views(const void *pa, const void *pb)
{
	const struct conn_view *a = pa, *b = pb;
	const struct field *fl = &rec_conn.fields[sort_column];
	struct fval x, y;
	int c;

	sort_value(a, &x);
	sort_value(b, &y);
	if (fl->type == FT_STR || fl->type == FT_NAME) {
		c = strcmp(x.s, y.s);
	} else {
		/* identities ascending, quantities biggest first */
		bool asc = fl->unit == FU_ID;

		c = x.u == y.u ? 0 : (x.u < y.u) == asc ? -1 : 1;
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

void conn_views_table(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now,
		      int term_rows)
{
	char clock[16];
	size_t shown = n;

	/* each socket takes three lines; keep the header on screen */
	if (term_rows && shown > (size_t)(term_rows > 5 ? (term_rows - 2) / 3 : 1))
		shown = (size_t)(term_rows > 5 ? (term_rows - 2) / 3 : 1);
	fprintf(f, "%s  %zu TCP sockets\n", fmt_clock(clock, sizeof(clock), now, false), n);
	fields_header(f, &rec_conn, 0);
	for (size_t i = 0; i < shown; i++) {
		struct view_row vr = { &v[i], NULL };

		/* the kernel's counts, since the connection began, whenever sockscope started */
		fields_row(f, &rec_conn, 0, view_value, &vr);
		print_internals(f, &v[i]);
	}
}

void conn_views_json(FILE *f, const struct conn_view *v, size_t n, const struct timespec *now)
{
	char when[40];

	fmt_rfc3339(when, sizeof(when), now);
	for (size_t i = 0; i < n; i++) {
		struct view_row vr = { &v[i], when };
		struct jw w;

		fields_begin(&w, f, &rec_conn);
		fields_json(&w, &rec_conn, 0, view_value, &vr);
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
			  struct io_reader *io)
{
	const struct sock_acct *c;

	if (e->pid)
		return true;
	for (size_t i = 0; i < n; i++)
		if (same_ends(&v[i].r.a, &e->a))
			return owned_by(e, v[i].r.pid, v[i].r.comm);
	for (size_t i = 0; (c = htab_next(io_socks(io), &i));)
		if (c->rec.a.proto == IPPROTO_TCP && same_ends(&c->rec.a, &e->a))
			return owned_by(e, c->key.tgid, c->rec.comm);
	/* a connection still in the accept queue is no process's yet but its listener's */
	for (size_t i = 0; i < n; i++)
		if (v[i].r.state == TCP_LISTEN && listens_for(&v[i].r.a, &e->a))
			return owned_by(e, v[i].r.pid, v[i].r.comm);
	return false;
}

/* Each kind's record: its JSON type and its own fields (records.c). */
static const struct record *kind_record(const struct ss_conn_event *e)
{
	static const struct record unknown = { "?", "conns --events", &rec_conn_event };
	static const struct record *const recs[] = { &rec_ev_state, &rec_ev_retransmit,
						     &rec_ev_reset, &rec_ev_reset,
						     &rec_ev_bad_csum, &rec_ev_drop, &rec_ev_cong };

	return e->kind < sizeof(recs) / sizeof(recs[0]) ? recs[e->kind] : &unknown;
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

/* One event, as its records' fields ask for it. */
struct event_row {
	const struct ss_conn_event *e;
	struct timespec ts;
	char text[192];
};

static void event_value(void *row, int field, struct fval *v)
{
	struct event_row *er = row;
	const struct ss_conn_event *e = er->e;

	if (field == CE_TIME || field == CE_CLOCK) {
		v->s = field == CE_TIME ? fmt_rfc3339(er->text, sizeof(er->text), &er->ts)
					: fmt_clock(er->text, sizeof(er->text), &er->ts, true);
	} else if (field == CE_PID) {
		v->u = e->pid;
	} else if (field == CE_COMM) { /* "-": nobody's */
		v->s = e->pid ? e->comm : "-";
		v->len = e->pid ? strnlen(e->comm, sizeof(e->comm)) : 1;
	} else if (field == CE_PROTO) {
		v->s = "tcp";
	} else if (field > CE_PROTO && field <= CE_RPORT) {
		addrs_value(er->text, sizeof(er->text), &e->a, field - CE_PROTO, v);
	} else if (field == CE_TYPE) {
		v->s = kind_record(e)->type;
	} else if (field == CE_ENDS) {
		v->s = ends_text(er->text, sizeof(er->text), &e->a);
	} else {
		event_detail(er->text, sizeof(er->text), e);
		v->s = er->text;
	}
}

/* The fields of the event's own kind; field counts in its record. */
static void kind_value(void *row, int field, struct fval *v)
{
	const struct ss_conn_event *e = ((struct event_row *)row)->e;

	switch (e->kind) {
	case SS_CEV_STATE:
		if (field == EV_MS_IN_OLD)
			v->d = e->arg3 / 1e6;
		else
			v->s = tcp_state_name(field == EV_OLD_STATE ? e->arg1 : e->arg2);
		break;
	case SS_CEV_RETRANS:
		if (field == EV_KIND)
			v->s = retrans_kind_name(e->arg4);
		else
			v->u = field == EV_SEQ ? e->arg1 : field == EV_LEN ? e->arg2 : e->arg3;
		break;
	case SS_CEV_RESET_TX:
	case SS_CEV_RESET_RX:
		if (field == EV_RESET_DIR)
			v->s = e->kind == SS_CEV_RESET_TX ? "sent" : "received";
		else
			v->s = reset_by(e);
		break;
	case SS_CEV_DROP:
		v->s = drop_reason_name(e->arg1);
		break;
	default:
		v->s = ca_state_name(e->arg1);
	}
}

void conn_event_print(FILE *f, const struct ss_conn_event *ev, bool json, int64_t mono_to_real,
		      const struct conn_view *v, size_t n, struct io_reader *io)
{
	struct ss_conn_event e = *ev;
	struct event_row er = { &e };
	const struct record *kind = kind_record(&e);
	struct jw w;

	conn_event_attribute(&e, v, n, io);
	mono_to_timespec(&er.ts, e.ts_ns, mono_to_real);
	if (!json) {
		fields_row(f, &rec_conn_event, 0, event_value, &er);
		return;
	}
	fields_begin(&w, f, kind);
	fields_json(&w, &rec_conn_event, 0, event_value, &er);
	fields_json(&w, kind, 0, kind_value, &er);
	jw_end(&w);
}
