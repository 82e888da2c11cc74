// SPDX-License-Identifier: GPL-2.0
/* Grouping, deltas and ordering of display rows: see agg.h. */
#include "core/agg.h"

#include <stdlib.h>
#include <string.h>

struct prev_ent {
	struct agg_key key;
	struct ss_counts total;
};

struct idx_ent {
	struct agg_key key;
	size_t row;
};

int agg_init(struct agg *a, enum agg_group_by by)
{
	memset(a, 0, sizeof(*a));
	a->by = by;
	return htab_init(&a->prev, sizeof(struct agg_key), sizeof(struct prev_ent));
}

void agg_free(struct agg *a)
{
	htab_free(&a->prev);
	free(a->rows);
	memset(a, 0, sizeof(*a));
}

static struct agg_row *row_for(struct agg *a, struct htab *idx, const struct agg_key *k)
{
	bool created;
	struct idx_ent *e = htab_get(idx, k, &created);

	if (!e)
		return NULL;
	if (!created)
		return &a->rows[e->row];
	if (a->nrows == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct agg_row *grown = realloc(a->rows, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		a->rows = grown;
		a->cap = cap;
	}
	e->row = a->nrows;
	memset(&a->rows[a->nrows], 0, sizeof(a->rows[0]));
	a->rows[a->nrows].key = *k;
	return &a->rows[a->nrows++];
}

static void set_delta(struct agg *a, struct agg_row *r)
{
	struct prev_ent *p = htab_get(&a->prev, &r->key, NULL);

	if (!p)
		return;
	for (int d = 0; d < 2; d++) {
		r->delta.bytes[d] = r->total.bytes[d] - p->total.bytes[d];
		r->delta.calls[d] = r->total.calls[d] - p->total.calls[d];
	}
	p->total = r->total;
}

int agg_update(struct agg *a, const struct htab *procs)
{
	struct htab idx;
	const struct proc_acct *p;
	int ret = 0;

	if (htab_init(&idx, sizeof(struct agg_key), sizeof(struct idx_ent)))
		return -1;
	a->nrows = 0;
	for (size_t i = 0; (p = htab_next(procs, &i));) {
		struct agg_key k = { 0 };
		struct agg_row *r;

		memcpy(k.comm, p->comm, sizeof(k.comm));
		if (a->by == AGG_BY_PID)
			k.tgid = p->tgid;
		r = row_for(a, &idx, &k);
		if (!r) {
			ret = -1;
			break;
		}
		r->nprocs++;
		counts_add(&r->total, &p->total);
	}
	for (size_t i = 0; i < a->nrows; i++)
		set_delta(a, &a->rows[i]);
	htab_free(&idx);
	return ret;
}

static int cmp_u64_desc(uint64_t x, uint64_t y)
{
	return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_totals(const void *pa, const void *pb)
{
	const struct agg_row *a = pa, *b = pb;
	int c = cmp_u64_desc(counts_bytes(&a->total), counts_bytes(&b->total));

	if (!c)
		c = a->key.tgid < b->key.tgid ? -1 : a->key.tgid > b->key.tgid;
	if (!c)
		c = strncmp(a->key.comm, b->key.comm, SS_COMM_LEN);
	return c;
}

/* qsort must not get NULL even for no rows (C11 7.22.5), and rows is NULL until the first. */
void agg_sort_total(struct agg_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_totals);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct agg_row *a = pa, *b = pb;
	int c = cmp_u64_desc(counts_bytes(&a->delta), counts_bytes(&b->delta));

	return c ? c : cmp_totals(pa, pb);
}

void agg_sort(struct agg_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_rows);
}
