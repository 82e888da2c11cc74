// SPDX-License-Identifier: GPL-2.0
/*
 * Monotonic totals, reaping, folding and per-process sums: see acct.h. A connection's total
 * is the counts of its current kernel record, plus what slots still hold for it, plus its base:
 * the counts of earlier records of the same pair, which the kernel forgot when it reaped them.
 * The reader takes records before slots, so a flush between its two reads can only hide counts
 * for one sample, never count them twice; totals are then held monotonic.
 */
#include "core/acct.h"

#include <stdlib.h>
#include <string.h>

/* A closed connection kept for the summary, in a min-heap by bytes: the root goes first. */
struct acct_kept {
	struct ss_sock_key key;
	uint64_t bytes;
};

uint64_t counts_bytes(const struct ss_counts *c)
{
	return c->bytes[SS_SEND] + c->bytes[SS_RECV];
}

bool counts_zero(const struct ss_counts *c)
{
	return !c->bytes[0] && !c->bytes[1] && !c->calls[0] && !c->calls[1];
}

void counts_add(struct ss_counts *a, const struct ss_counts *b)
{
	for (int d = 0; d < 2; d++) {
		a->bytes[d] += b->bytes[d];
		a->calls[d] += b->calls[d];
	}
}

void counts_max(struct ss_counts *a, const struct ss_counts *b)
{
	for (int d = 0; d < 2; d++) {
		if (b->bytes[d] > a->bytes[d])
			a->bytes[d] = b->bytes[d];
		if (b->calls[d] > a->calls[d])
			a->calls[d] = b->calls[d];
	}
}

int acct_init(struct acct *a, size_t cap, size_t keep)
{
	memset(a, 0, sizeof(*a));
	a->cap = cap;
	a->fresh = calloc(cap ? cap : 1, sizeof(*a->fresh));
	a->aging = calloc(cap ? cap : 1, sizeof(*a->aging));
	if (!a->fresh || !a->aging || acct_keep_closed(a, keep))
		return -1;
	if (htab_init(&a->conns, sizeof(struct ss_sock_key), sizeof(struct sock_acct)) ||
	    htab_init(&a->procs, sizeof(uint32_t), sizeof(struct proc_acct)) ||
	    htab_init(&a->released, sizeof(uint64_t), sizeof(uint64_t)) ||
	    htab_init(&a->deferred, sizeof(uint64_t), sizeof(uint64_t)))
		return -1;
	return 0;
}

void acct_free(struct acct *a)
{
	htab_free(&a->conns);
	htab_free(&a->procs);
	htab_free(&a->released);
	htab_free(&a->deferred);
	free(a->fresh);
	free(a->aging);
	free(a->kept);
	memset(a, 0, sizeof(*a));
}

int acct_keep_closed(struct acct *a, size_t n)
{
	struct acct_kept *h = realloc(a->kept, (n ? n : 1) * sizeof(*h));

	if (!h)
		return -1;
	a->kept = h;
	a->keep = n;
	a->nkept = 0;
	return 0;
}

void acct_linger_closed(struct acct *a)
{
	a->linger = true;
}

void acct_released(struct acct *a, uint64_t sock_id)
{
	htab_get(&a->released, &sock_id, NULL);
}

static void update_conn(struct sock_acct *c, const struct ss_sock_rec *rec,
			const struct ss_counts *kernel)
{
	struct ss_counts sum = c->base;

	if (c->final) {
		/* the pair came back after its record was reaped: continue from its total */
		c->final = false;
		c->base = c->n;
		sum = c->n;
	}
	counts_add(&sum, kernel);
	counts_max(&c->n, &sum);
	c->rec = *rec;
}

static void kept_sift_down(struct acct_kept *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct acct_kept t;

		if (l < n && h[l].bytes < h[m].bytes)
			m = l;
		if (l + 1 < n && h[l + 1].bytes < h[m].bytes)
			m = l + 1;
		if (m == i)
			return;
		t = h[i], h[i] = h[m], h[m] = t;
		i = m;
	}
}

static void kept_push(struct acct_kept *h, size_t *n, const struct acct_kept *k)
{
	size_t i = (*n)++;

	h[i] = *k;
	while (i && h[(i - 1) / 2].bytes > h[i].bytes) {
		struct acct_kept t = h[i];

		h[i] = h[(i - 1) / 2], h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Folds a closed connection into its process (counted if it moved data) and forgets it. */
static void fold(struct acct *a, const struct ss_sock_key *key)
{
	struct sock_acct *c = htab_find(&a->conns, key);
	struct proc_acct *p;

	if (!c)
		return;
	if (!c->final) { /* the pair came back: it is weighed again when reaped again */
		c->kept = false;
		return;
	}
	p = htab_get(&a->procs, &c->key.tgid, NULL);
	if (p && !p->comm[0])
		memcpy(p->comm, c->rec.comm, sizeof(p->comm));
	if (p && !counts_zero(&c->n)) {
		counts_add(&p->folded[proto_index(c->rec.a.proto)], &c->n);
		p->nfolded++;
	}
	htab_del(&a->conns, key);
}

/* Keeps a closed connection if it is among the busiest closed ones, else folds it. */
static void weigh_closed(struct acct *a, const struct ss_sock_key *key)
{
	struct sock_acct *c = htab_find(&a->conns, key);
	struct acct_kept k = { *key, 0 };

	if (!c || !c->final || c->kept)
		return;
	k.bytes = counts_bytes(&c->n);
	if (a->nkept < a->keep && !counts_zero(&c->n)) {
		c->kept = true;
		kept_push(a->kept, &a->nkept, &k);
		return;
	}
	if (!a->nkept || k.bytes <= a->kept[0].bytes) {
		fold(a, &k.key); /* a copy: key may point into the entry fold deletes */
		return;
	}
	c->kept = true;
	k = a->kept[0];
	a->kept[0] = (struct acct_kept){ *key, counts_bytes(&c->n) };
	kept_sift_down(a->kept, a->nkept, 0);
	fold(a, &k.key); /* last: deleting from the table moves its entries */
}

/* Weighs the connections reaped two samples ago; those of the last sample age. */
static void weigh_aged(struct acct *a)
{
	struct ss_sock_key *t = a->aging;

	for (size_t i = 0; i < a->naging; i++)
		weigh_closed(a, &a->aging[i]);
	a->aging = a->fresh;
	a->naging = a->nfresh;
	a->fresh = t;
	a->nfresh = 0;
}

void acct_begin(struct acct *a)
{
	weigh_aged(a);
	htab_clear(&a->deferred);
}

enum acct_verdict acct_record(struct acct *a, const struct ss_sock_key *key,
			      const struct ss_sock_rec *rec, const struct ss_counts *slots)
{
	struct sock_acct *c = htab_get(&a->conns, key, NULL);
	struct ss_counts k = rec->n;

	if (!c)
		return ACCT_ERR;
	if (slots)
		counts_add(&k, slots);
	update_conn(c, rec, &k);
	if (!htab_find(&a->released, &key->sock_id))
		return ACCT_KEEP;
	if (!slots)
		return ACCT_REAP;
	/* a slot still holds counts for it: the notice waits for the next sample */
	htab_get(&a->deferred, &key->sock_id, NULL);
	return ACCT_KEEP;
}

void acct_reap(struct acct *a, const struct ss_sock_key *key, const struct ss_sock_rec *last)
{
	struct sock_acct *c = htab_find(&a->conns, key);

	if (!c)
		return;
	update_conn(c, last, &last->n);
	if (c->forgotten) { /* its process is no longer listed: nothing to keep it for */
		htab_del(&a->conns, key);
		return;
	}
	c->final = true;
	if (a->linger && a->nfresh < a->cap)
		a->fresh[a->nfresh++] = c->key;
	else
		weigh_closed(a, &c->key);
}

static void sum_procs(struct acct *a, uint64_t now_ns)
{
	struct proc_acct *p;
	struct sock_acct *c;
	struct ss_counts before;

	for (size_t i = 0; (p = htab_next(&a->procs, &i));)
		memcpy(p->by_proto, p->folded, sizeof(p->by_proto));
	for (size_t i = 0; (c = htab_next(&a->conns, &i));) {
		bool created;

		if (c->forgotten)
			continue;
		p = htab_get(&a->procs, &c->key.tgid, &created);
		if (!p)
			continue;
		if (created || !p->comm[0])
			memcpy(p->comm, c->rec.comm, sizeof(p->comm));
		counts_add(&p->by_proto[proto_index(c->rec.a.proto)], &c->n);
	}
	for (size_t i = 0; (p = htab_next(&a->procs, &i));) {
		before = p->total;
		memset(&p->total, 0, sizeof(p->total));
		for (int k = 0; k < ACCT_NPROTO; k++)
			counts_add(&p->total, &p->by_proto[k]);
		if (memcmp(&before, &p->total, sizeof(before)))
			p->last_active_ns = now_ns;
	}
}

void acct_end(struct acct *a, uint64_t now_ns)
{
	/* the notices deferred this sample are the ones left for the next */
	struct htab t = a->released;

	a->released = a->deferred;
	a->deferred = t;
	sum_procs(a, now_ns);
}

/* Drops a forgotten process's connections from the heap, which is then rebuilt. */
static void unkeep(struct acct *a, uint32_t tgid)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nkept; i++)
		if (a->kept[i].key.tgid != tgid)
			a->kept[n++] = a->kept[i];
	a->nkept = n;
	for (size_t i = n / 2; i-- > 0;)
		kept_sift_down(a->kept, n, i);
}

void acct_forget(struct acct *a, uint32_t tgid)
{
	struct ss_sock_key *gone = calloc(a->conns.len + 1, sizeof(*gone));
	struct sock_acct *c;
	size_t n = 0;

	if (!gone)
		return;
	/*
	 * A released socket whose counts still sit in a CPU's slot is reaped only once another
	 * socket takes that slot, which on a quiet CPU may be long after its process exited:
	 * until then its record must not bring the process back, so it is only marked.
	 */
	for (size_t i = 0; (c = htab_next(&a->conns, &i));) {
		if (c->key.tgid == tgid && c->final)
			gone[n++] = c->key;
		else if (c->key.tgid == tgid)
			c->forgotten = true;
	}
	/* their keys may stay among the aging ones: weigh_closed skips keys no longer present */
	for (size_t i = 0; i < n; i++)
		htab_del(&a->conns, &gone[i]);
	htab_del(&a->procs, &tgid);
	unkeep(a, tgid);
	free(gone);
}
