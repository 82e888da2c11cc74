/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accounting of what sockets sent and received, with no kernel involved: a reader hands it
 * each sample's records (one per socket and process) and what the per-CPU slots still hold
 * for them, and it keeps monotonic per-connection and per-process totals. A released socket's
 * record is reaped once no slot refers to it; then only the busiest closed connections stay
 * listed, and each other one is folded into its process, so that memory stays bounded however
 * many connections come and go while the totals stay exact. io.c feeds it from io.bpf.c's
 * maps; the unit tests feed it by hand.
 */
#ifndef SS_ACCT_H
#define SS_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <netinet/in.h>

#include "sockscope.h"
#include "core/htab.h"

/* One (socket, process) pair as user space knows it. */
struct sock_acct {
	struct ss_sock_key key; /* first: the table key */
	struct ss_sock_rec rec; /* addresses, protocol, name; rec.n is not used */
	struct ss_counts n;	/* cumulative, never decreasing */
	struct ss_counts base;	/* counts of earlier kernel records of the same pair */
	bool final;		/* the socket was released and its kernel record reaped */
	bool forgotten;		/* its process was forgotten (acct_forget): it names none */
	bool kept;		/* among the busiest closed ones kept for the summary */
};

enum acct_proto { ACCT_TCP, ACCT_UDP, ACCT_NPROTO };

/* One process: totals over its connections, including those no longer listed. */
struct proc_acct {
	uint32_t tgid; /* first: the table key */
	char comm[SS_COMM_LEN];
	struct ss_counts total;
	struct ss_counts by_proto[ACCT_NPROTO];
	struct ss_counts folded[ACCT_NPROTO]; /* closed connections no longer listed */
	uint64_t nfolded;		    /* how many (those that moved data) */
	uint64_t last_active_ns; /* CLOCK_MONOTONIC of the last sample its totals grew in */
};

static inline int proto_index(int proto)
{
	return proto == IPPROTO_UDP ? ACCT_UDP : ACCT_TCP;
}

struct acct_kept;

struct acct {
	struct htab conns;    /* struct sock_acct by struct ss_sock_key */
	struct htab procs;    /* struct proc_acct by tgid */
	struct htab released; /* sock_ids whose socket was released, not reaped yet */
	struct htab deferred; /* those of them a slot still held counts for this sample */
	struct ss_sock_key *fresh, *aging; /* reaped in the last sample and in the one before */
	size_t nfresh, naging, cap;
	struct acct_kept *kept; /* the busiest closed connections, a min-heap by bytes */
	size_t nkept, keep;
	bool linger; /* closed connections wait in fresh and aging before they are weighed */
};

/* cap bounds the closed connections lingering per sample; keep is as acct_keep_closed's n. */
int acct_init(struct acct *a, size_t cap, size_t keep);
/* Frees what acct_init allocated; also an all-zero or half-initialised one. */
void acct_free(struct acct *a);
/*
 * How many closed connections to keep listed (the busiest); the rest are folded into their
 * process. Before the first sample.
 */
int acct_keep_closed(struct acct *a, size_t n);
/*
 * Closed connections stay two more samples before they are weighed: conns looks them up by
 * the records of its own BPF object, which may come a sample later.
 */
void acct_linger_closed(struct acct *a);

/* The socket sock_id was released by its last user: its records may be reaped. */
void acct_released(struct acct *a, uint64_t sock_id);

enum acct_verdict { ACCT_ERR = -1, ACCT_KEEP = 0, ACCT_REAP = 1 };

/*
 * One sample: acct_begin, then acct_record for each kernel record, then acct_end. slots is
 * what the per-CPU slots hold for the record beyond its own counts, NULL when no slot refers
 * to it. ACCT_REAP says the record is final (its socket is released and no slot refers to
 * it): the reader reads it once more, hands that to acct_reap and deletes it from the kernel.
 * ACCT_ERR: out of memory.
 */
void acct_begin(struct acct *a);
enum acct_verdict acct_record(struct acct *a, const struct ss_sock_key *key,
			      const struct ss_sock_rec *rec, const struct ss_counts *slots);
void acct_reap(struct acct *a, const struct ss_sock_key *key, const struct ss_sock_rec *last);
/* Sums each process's connections; now_ns (CLOCK_MONOTONIC) marks those whose totals grew. */
void acct_end(struct acct *a, uint64_t now_ns);

/* Forgets a process that is gone, and its closed connections (serve's --forget-after). */
void acct_forget(struct acct *a, uint32_t tgid);

uint64_t counts_bytes(const struct ss_counts *c);
bool counts_zero(const struct ss_counts *c);
/* Adds b to a, field by field. */
void counts_add(struct ss_counts *a, const struct ss_counts *b);
/* Raises a to b field by field: totals read while the kernel moves counts never go down. */
void counts_max(struct ss_counts *a, const struct ss_counts *b);

#endif
