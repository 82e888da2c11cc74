// SPDX-License-Identifier: GPL-2.0
/*
 * `top --check-kernel`: the per-call sums against the kernel's own records of each TCP
 * socket. The kernel knows exactly what the application read and wrote:
 *
 *   read    = bytes_received - (rcv_nxt - copied_seq) - FIN, once the reader took the FIN
 *   written = bytes_acked + (write_seq - snd_una) - SYN - FIN, once a FIN was queued
 *
 * bytes_received counts a received FIN; copied_seq passes it when a read returns the end of
 * the stream. bytes_acked counts the SYN on the active side only (its SYN is acked by the
 * peer's SYN-ACK, a passive socket's snd_una starts past it). conns' iterator reads these
 * fields (recvq, sendq), so this reuses it. Only sockets born after start-up are checked
 * (their whole life was counted), and only once the counts and the kernel have both held
 * still for an interval, so that a call in flight between the two reads is not a mismatch.
 */
#include "cmd/kcheck.h"
#include "readers/conns.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "writers/records.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>

struct sock_sum {
	uint64_t sock_id; /* first: the table key */
	uint64_t counted[2], kernel[2]; /* by enum ss_dir */
	uint32_t pid;
	bool compared, reported;
	struct ss_addrs a;
};

struct kcheck {
	struct conns_reader *tcp;
	struct htab old;  /* sockets alive at start: not checked */
	struct htab sums; /* per-call sums by socket */
	struct htab prev; /* each socket's numbers at the previous check */
	struct htab now;
	uint64_t checked, disagree;
};

static bool fin_received(unsigned state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING;
}

static bool fin_sent(unsigned state)
{
	return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	       state == TCP_LAST_ACK;
}

/* The kernel's read and written bytes of a row; false when they cannot be known. */
static bool kernel_bytes(const struct ss_conn_row *r, uint64_t out[2])
{
	if (r->state == TCP_LISTEN || r->state == TCP_CLOSE || r->state == TCP_SYN_SENT ||
	    r->role == SS_ROLE_UNKNOWN || r->role == SS_ROLE_LISTEN)
		return false;
	out[SS_RECV] = r->bytes_received - r->recvq - (fin_received(r->state) && !r->recvq);
	out[SS_SEND] = r->bytes_acked + r->sendq - (r->role == SS_ROLE_CLIENT) -
		       fin_sent(r->state);
	return true;
}

struct kcheck *kcheck_open(const struct opts *o, char *err, size_t len)
{
	struct kcheck *k = calloc(1, sizeof(*k));
	struct conns_handlers none = { 0 };
	const struct ss_conn_row *rows;
	size_t n;

	if (!k || htab_init(&k->old, sizeof(uint64_t), sizeof(uint64_t)) ||
	    htab_init(&k->sums, sizeof(uint64_t), sizeof(struct sock_sum)) ||
	    htab_init(&k->prev, sizeof(uint64_t), sizeof(struct sock_sum)) ||
	    htab_init(&k->now, sizeof(uint64_t), sizeof(struct sock_sum))) {
		snprintf(err, len, "out of memory");
		kcheck_close(k);
		return NULL;
	}
	k->tcp = conns_open(o, 0, &none, err, len);
	if (!k->tcp || conns_rows(k->tcp, &rows, &n)) {
		if (k->tcp)
			snprintf(err, len, "cannot read the TCP socket table");
		kcheck_close(k);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		htab_get(&k->old, &rows[i].sock_id, NULL);
	return k;
}

/* Each socket's per-call sums, over every process that used it, into k->sums. */
static void sum_counted(struct kcheck *k, const struct htab *conns)
{
	const struct sock_acct *c;

	htab_clear(&k->sums);
	for (size_t i = 0; (c = htab_next(conns, &i));) {
		struct sock_sum *s;

		if (c->rec.a.proto != IPPROTO_TCP || htab_find(&k->old, &c->key.sock_id))
			continue;
		s = htab_get(&k->sums, &c->key.sock_id, NULL);
		if (!s)
			continue;
		s->counted[SS_SEND] += c->n.bytes[SS_SEND];
		s->counted[SS_RECV] += c->n.bytes[SS_RECV];
	}
}

/* A disagreeing socket, with its ends formatted once for the line or the record. */
struct report_row {
	const struct sock_sum *s;
	char local[64], remote[64];
};

static void report_value(void *row, int field, struct fval *v)
{
	const struct report_row *r = row;

	switch (field) {
	case KC_PID:
		v->u = r->s->pid;
		break;
	case KC_LOCAL:
		v->s = r->local;
		break;
	case KC_REMOTE:
		v->s = r->remote;
		break;
	case KC_RECV_BYTES:
		v->u = r->s->counted[SS_RECV];
		break;
	case KC_KERNEL_RECV_BYTES:
		v->u = r->s->kernel[SS_RECV];
		break;
	case KC_SENT_BYTES:
		v->u = r->s->counted[SS_SEND];
		break;
	default:
		v->u = r->s->kernel[SS_SEND];
	}
}

/* The text is a sentence among top's lines, not a table: only the record is table-driven. */
static void report(FILE *f, bool json, const struct sock_sum *s)
{
	struct report_row r = { .s = s };
	struct jw w;

	fmt_endpoint(r.local, sizeof(r.local), s->a.family, s->a.laddr, s->a.lport);
	fmt_endpoint(r.remote, sizeof(r.remote), s->a.family, s->a.raddr, s->a.rport);
	if (!json) {
		fprintf(f, "kernel check: pid %u tcp %s -> %s: read %llu, kernel says %llu; "
			   "written %llu, kernel says %llu\n", s->pid, r.local, r.remote,
			(unsigned long long)s->counted[SS_RECV], (unsigned long long)s->kernel[SS_RECV],
			(unsigned long long)s->counted[SS_SEND], (unsigned long long)s->kernel[SS_SEND]);
		return;
	}
	fields_begin(&w, f, &rec_kernel_check);
	fields_json(&w, &rec_kernel_check, 0, report_value, &r);
	jw_end(&w);
}

/* Compares one socket once its numbers held still since the last check; reports it once. */
static void compare(struct kcheck *k, struct sock_sum *s, const struct sock_sum *before,
		    FILE *f, bool json)
{
	s->reported = before->reported;
	s->compared = before->compared;
	if (memcmp(s->counted, before->counted, sizeof(s->counted)) ||
	    memcmp(s->kernel, before->kernel, sizeof(s->kernel)))
		return;
	if (!s->compared) {
		s->compared = true;
		k->checked++;
	}
	if (s->reported || !memcmp(s->counted, s->kernel, sizeof(s->kernel)))
		return;
	s->reported = true;
	k->disagree++;
	report(f, json, s);
}

int kcheck_run(struct kcheck *k, const struct htab *conns, FILE *f, bool json)
{
	const struct ss_conn_row *rows;
	struct htab tmp;
	size_t n;

	if (conns_rows(k->tcp, &rows, &n))
		return -1;
	sum_counted(k, conns);
	htab_clear(&k->now);
	for (size_t i = 0; i < n; i++) {
		const struct sock_sum *sum = htab_find(&k->sums, &rows[i].sock_id), *before;
		struct sock_sum *s;
		uint64_t kernel[2];

		if (htab_find(&k->old, &rows[i].sock_id) || !kernel_bytes(&rows[i], kernel) ||
		    !(s = htab_get(&k->now, &rows[i].sock_id, NULL)))
			continue;
		if (sum)
			memcpy(s->counted, sum->counted, sizeof(s->counted));
		memcpy(s->kernel, kernel, sizeof(kernel));
		s->pid = rows[i].pid;
		s->a = rows[i].a;
		before = htab_find(&k->prev, &rows[i].sock_id);
		if (before)
			compare(k, s, before, f, json);
	}
	tmp = k->prev;
	k->prev = k->now;
	k->now = tmp;
	return 0;
}

static void total_value(void *row, int field, struct fval *v)
{
	const struct kcheck *k = row;

	v->u = field == KT_CHECKED ? k->checked : k->disagree;
}

void kcheck_summary(const struct kcheck *k, FILE *f, bool json)
{
	struct jw w;

	if (!json) {
		fprintf(f, "kernel check: %llu TCP sockets checked, %llu disagree\n",
			(unsigned long long)k->checked, (unsigned long long)k->disagree);
		return;
	}
	fields_begin(&w, f, &rec_kernel_check_total);
	fields_json(&w, &rec_kernel_check_total, 0, total_value, (void *)k);
	jw_end(&w);
}

void kcheck_close(struct kcheck *k)
{
	if (!k)
		return;
	conns_close(k->tcp);
	htab_free(&k->old);
	htab_free(&k->sums);
	htab_free(&k->prev);
	htab_free(&k->now);
	free(k);
}
