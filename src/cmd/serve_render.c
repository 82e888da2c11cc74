// SPDX-License-Identifier: GPL-2.0
/*
 * `serve`'s exposition: each metric family with its HELP and TYPE, then its samples, one
 * per admitted process (and label value). Metric names are part of the interface (DESIGN.md,
 * docs/metrics.md); values are the kernel's counters, monotonic for a live series.
 */
#include "serve.h"
#include "../io.h"
#include "../tcpconn.h"
#include "../out/escape.h"
#include "../out/prom.h"

#include <stdio.h>
#include <string.h>

#ifndef SOCKSCOPE_VERSION
#define SOCKSCOPE_VERSION "0.0.0"
#endif

struct io_family {
	const char *name, *help;
	int dir;
	bool calls;
};

static const struct io_family io_families[] = {
	{ "sockscope_sent_bytes_total", "Bytes sent by the process's socket calls.", SS_SEND },
	{ "sockscope_received_bytes_total", "Bytes received by the process's socket calls.",
	  SS_RECV },
	{ "sockscope_send_calls_total", "Socket send calls that moved data.", SS_SEND, true },
	{ "sockscope_receive_calls_total", "Socket receive calls that moved data.", SS_RECV, true },
};

static void proc_labels(struct prom_label *l, char pid[16], uint32_t tgid, const char *comm)
{
	snprintf(pid, 16, "%u", tgid);
	l[0] = (struct prom_label){ "pid", pid, SIZE_MAX };
	l[1] = (struct prom_label){ "comm", comm, name_len(comm, SS_COMM_LEN) };
}

static void render_io(struct serve *s, struct prom *p)
{
	static const char *const protos[SS_NPROTO] = { "tcp", "udp" };
	const struct htab *procs = ss_io_procs(s->io);
	const struct ss_proc *pr;

	for (size_t f = 0; f < sizeof(io_families) / sizeof(io_families[0]); f++) {
		const struct io_family *fam = &io_families[f];

		prom_family(p, fam->name, "counter", fam->help);
		for (size_t i = 0; (pr = htab_next(procs, &i));) {
			struct serve_admitted *a = htab_find(&s->admitted, &pr->tgid);
			struct prom_label l[3];
			char pid[16];

			if (!a)
				continue;
			proc_labels(l, pid, pr->tgid, a->comm);
			for (int k = 0; k < SS_NPROTO; k++) {
				const struct ss_counts *c = &pr->by_proto[k];

				if (!c->calls[SS_SEND] && !c->calls[SS_RECV])
					continue; /* a protocol the process never used */
				l[2] = (struct prom_label){ "proto", protos[k], SIZE_MAX };
				prom_u64(p, fam->name, l, 3,
					 fam->calls ? c->calls[fam->dir] : c->bytes[fam->dir]);
			}
		}
	}
}

struct tcp_family {
	const char *name, *help, *label;
	int kind;
	const char *(*value)(unsigned sub);
};

static const char *role_value(unsigned sub)
{
	return sub == SS_ROLE_CLIENT ? "active" : "passive";
}

static const char *retrans_value(unsigned sub)
{
	return sub == SS_RETRANS_FAST ? "fast" : sub == SS_RETRANS_TIMEOUT ? "timeout" : "other";
}

static const char *reset_value(unsigned sub)
{
	return sub ? "received" : "sent";
}

static const struct tcp_family tcp_families[] = {
	{ "sockscope_tcp_connections_opened_total", "TCP connections established, by role.",
	  "role", SS_TT_OPENED, role_value },
	{ "sockscope_tcp_connections_closed_total", "Established TCP connections destroyed.", NULL,
	  SS_TT_CLOSED, NULL },
	{ "sockscope_tcp_retransmits_total",
	  "TCP segments retransmitted: fast (in recovery), timeout (after an RTO), other.", "kind",
	  SS_TT_RETRANS, retrans_value },
	{ "sockscope_tcp_resets_total", "TCP resets, by direction.", "dir", SS_TT_RESET,
	  reset_value },
	{ "sockscope_tcp_drops_total", "TCP packets dropped by the kernel, by its reason.", "reason",
	  SS_TT_DROP, drop_reason_name },
};

/* pid 0 carries what could not be attributed to a process. */
static struct serve_admitted *owner(struct serve *s, uint32_t tgid)
{
	static struct serve_admitted nobody = { .comm = "-" };

	return tgid ? htab_find(&s->admitted, &tgid) : &nobody;
}

static void render_tcp_family(struct serve *s, struct prom *p, const struct tcp_family *fam,
			      const struct ss_tcp_total_key *keys, const uint64_t *vals, size_t n)
{
	prom_family(p, fam->name, "counter", fam->help);
	for (size_t i = 0; i < n; i++) {
		struct serve_admitted *a;
		struct prom_label l[3];
		char pid[16];

		if (keys[i].kind != fam->kind || !(a = owner(s, keys[i].tgid)))
			continue;
		proc_labels(l, pid, keys[i].tgid, a->comm);
		if (fam->label)
			l[2] = (struct prom_label){ fam->label, fam->value(keys[i].sub), SIZE_MAX };
		prom_u64(p, fam->name, l, fam->label ? 3 : 2, vals[i]);
	}
}

/* One RTT-at-close histogram, with nl labels (pid, comm, or none for the host's) and le. */
static void render_srtt_one(struct prom *p, struct prom_label *l, size_t nl,
			    const uint64_t *bucket, uint64_t sum_us)
{
	static const unsigned bounds[SS_SRTT_BUCKETS] = SS_SRTT_BOUNDS_US;
	uint64_t cum = 0;
	char le[32];

	for (int b = 0; b <= SS_SRTT_BUCKETS; b++) {
		cum += bucket[b];
		if (b < SS_SRTT_BUCKETS)
			snprintf(le, sizeof(le), "%g", bounds[b] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		l[nl] = (struct prom_label){ "le", le, SIZE_MAX };
		prom_u64(p, "sockscope_tcp_srtt_seconds_bucket", l, nl + 1, cum);
	}
	prom_double(p, "sockscope_tcp_srtt_seconds_sum", l, nl, sum_us / 1e6);
	prom_u64(p, "sockscope_tcp_srtt_seconds_count", l, nl, cum);
}

/* --srtt-per-process: each exported process's histogram. */
static void render_srtt_procs(struct serve *s, struct prom *p, const struct ss_tcp_total_key *keys,
			      const uint64_t *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t bucket[SS_SRTT_BUCKETS + 1] = { 0 }, sum = 0;
		struct serve_admitted *a;
		struct prom_label l[3];
		char pid[16];
		bool first = true;

		if (keys[i].kind != SS_TT_SRTT_SUM || !(a = owner(s, keys[i].tgid)))
			continue;
		sum = vals[i];
		for (size_t j = 0; j < n; j++) /* the sum leads: gather its process's buckets */
			if (keys[j].tgid == keys[i].tgid && keys[j].kind == SS_TT_SRTT &&
			    keys[j].sub <= SS_SRTT_BUCKETS && (first = false, true))
				bucket[keys[j].sub] += vals[j];
		if (first)
			continue;
		proc_labels(l, pid, keys[i].tgid, a->comm);
		render_srtt_one(p, l, 2, bucket, sum);
	}
}

/* The host's histogram: every process's connections, exported or not, and those of processes
 * already forgotten, so that it never goes back. */
static void render_srtt_host(struct serve *s, struct prom *p, const struct ss_tcp_total_key *keys,
			     const uint64_t *vals, size_t n)
{
	uint64_t bucket[SS_SRTT_BUCKETS + 1], sum = s->srtt_base_sum;
	struct prom_label l[1];

	memcpy(bucket, s->srtt_base, sizeof(bucket));
	for (size_t i = 0; i < n; i++) {
		if (keys[i].kind == SS_TT_SRTT && keys[i].sub <= SS_SRTT_BUCKETS)
			bucket[keys[i].sub] += vals[i];
		else if (keys[i].kind == SS_TT_SRTT_SUM)
			sum += vals[i];
	}
	render_srtt_one(p, l, 0, bucket, sum);
}

static void render_srtt(struct serve *s, struct prom *p, const struct ss_tcp_total_key *keys,
			const uint64_t *vals, size_t n)
{
	prom_family(p, "sockscope_tcp_srtt_seconds", "histogram",
		    "Smoothed RTT of TCP connections, observed when each closes.");
	if (s->srtt_per_process)
		render_srtt_procs(s, p, keys, vals, n);
	else
		render_srtt_host(s, p, keys, vals, n);
}

static void render_tcp(struct serve *s, struct prom *p)
{
	struct ss_tcp_total_key *keys;
	uint64_t *vals;
	size_t n;

	if (!s->tcp || ss_tcp_totals(s->tcp, &keys, &vals, &n))
		return;
	for (size_t f = 0; f < sizeof(tcp_families) / sizeof(tcp_families[0]); f++)
		render_tcp_family(s, p, &tcp_families[f], keys, vals, n);
	render_srtt(s, p, keys, vals, n);
}

static void render_attach(struct prom *p, const struct ss_choice *ch, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct prom_label l[2];

		if (ch[i].way < 0)
			continue;
		l[0] = (struct prom_label){ "hook", ch[i].hook->name, SIZE_MAX };
		l[1] = (struct prom_label){ "mode", ss_mode_name(ch[i].hook->ways[ch[i].way].mode),
					    SIZE_MAX };
		prom_u64(p, "sockscope_attach_info", l, 2, 1);
	}
}

/* io is up whenever serve runs (without it serve exits); conns may have failed to load. */
static void render_capabilities(struct serve *s, struct prom *p)
{
	const struct {
		const char *name;
		bool up;
	} caps[] = { { "io", s->io != NULL }, { "conns", s->tcp != NULL } };

	prom_family(p, "sockscope_capability_up", "gauge",
		    "1 if the capability's BPF programs loaded and attached, else 0.");
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct prom_label l = { "capability", caps[i].name, SIZE_MAX };

		prom_u64(p, "sockscope_capability_up", &l, 1, caps[i].up);
	}
}

static void render_self(struct serve *s, struct prom *p)
{
	struct prom_label version = { "version", SOCKSCOPE_VERSION, SIZE_MAX };
	const struct ss_choice *ch;
	size_t n;

	prom_family(p, "sockscope_lost_events_total", "counter",
		    "Calls, notices and events that could not be accounted.");
	prom_u64(p, "sockscope_lost_events_total", NULL, 0,
		 ss_io_lost(s->io) + (s->tcp ? ss_tcp_lost(s->tcp) : 0));
	prom_family(p, "sockscope_attach_info", "info", "How each kernel hook is attached.");
	ch = ss_io_choices(s->io, &n);
	render_attach(p, ch, n);
	if (s->tcp) {
		ch = ss_tcp_choices(s->tcp, &n);
		render_attach(p, ch, n);
	}
	render_capabilities(s, p);
	prom_family(p, "sockscope_scrape_duration_seconds", "gauge",
		    "Time the last reading and rendering of the counters took.");
	prom_double(p, "sockscope_scrape_duration_seconds", NULL, 0, s->render_seconds);
	prom_family(p, "sockscope_http_connections_evicted_total", "counter",
		    "HTTP connections closed for holding a place without sending a request.");
	prom_u64(p, "sockscope_http_connections_evicted_total", NULL, 0, guard_evicted(&s->guard));
	prom_family(p, "sockscope_series", "gauge",
		    "Per-process series exported, bounded by --max-series.");
	prom_u64(p, "sockscope_series", NULL, 0, s->nseries);
	prom_family(p, "sockscope_series_processes", "gauge",
		    "Processes whose series are exported.");
	prom_u64(p, "sockscope_series_processes", NULL, 0, s->admitted.len);
	prom_family(p, "sockscope_series_refused_total", "counter",
		    "Processes not exported because their series did not fit in --max-series.");
	prom_u64(p, "sockscope_series_refused_total", NULL, 0, s->refused_total);
	/* last, so that a reader can tell a complete exposition */
	prom_family(p, "sockscope_build_info", "info", "sockscope's version.");
	prom_u64(p, "sockscope_build_info", &version, 1, 1);
	prom_end(p);
}

void serve_render(struct serve *s, struct prom *p)
{
	render_io(s, p);
	render_tcp(s, p);
	render_self(s, p);
}
