// SPDX-License-Identifier: GPL-2.0
/* Open-addressing hash table: see htab.h for why this shape. */
#include "core/htab.h"

#include <stdlib.h>
#include <string.h>

#define HTAB_MIN_CAP 16

static uint64_t hash_bytes(const void *key, size_t n)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a final mix for the low bits */

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static void *ent(const struct htab *h, size_t i)
{
	return h->ents + i * h->esize;
}

static int alloc_slots(struct htab *h, size_t cap)
{
	h->used = calloc(cap, 1);
	h->ents = calloc(cap, h->esize);
	if (!h->used || !h->ents) {
		free(h->used);
		free(h->ents);
		return -1;
	}
	h->cap = cap;
	h->len = 0;
	return 0;
}

int htab_init(struct htab *h, size_t ksize, size_t esize)
{
	memset(h, 0, sizeof(*h));
	h->ksize = ksize;
	h->esize = esize;
	return alloc_slots(h, HTAB_MIN_CAP);
}

void htab_free(struct htab *h)
{
	free(h->used);
	free(h->ents);
	memset(h, 0, sizeof(*h));
}

static size_t probe(const struct htab *h, const void *key, bool *found)
{
	size_t i = hash_bytes(key, h->ksize) & (h->cap - 1);

	while (h->used[i]) {
		if (!memcmp(ent(h, i), key, h->ksize)) {
			*found = true;
			return i;
		}
		i = (i + 1) & (h->cap - 1);
	}
	*found = false;
	return i;
}

void *htab_find(const struct htab *h, const void *key)
{
	bool found;
	size_t i = probe(h, key, &found);

	return found ? ent(h, i) : NULL;
}

static int grow(struct htab *h)
{
	struct htab old = *h;
	bool found;

	if (alloc_slots(h, old.cap * 2))
		return -1;
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.used[i])
			continue;
		size_t j = probe(h, ent(&old, i), &found);
		h->used[j] = 1;
		memcpy(ent(h, j), ent(&old, i), h->esize);
		h->len++;
	}
	free(old.used);
	free(old.ents);
	return 0;
}

void *htab_get(struct htab *h, const void *key, bool *created)
{
	bool found;
	size_t i;

	if ((h->len + 1) * 4 > h->cap * 3 && grow(h))
		return NULL;
	i = probe(h, key, &found);
	if (created)
		*created = !found;
	if (!found) {
		h->used[i] = 1;
		memset(ent(h, i), 0, h->esize);
		memcpy(ent(h, i), key, h->ksize);
		h->len++;
	}
	return ent(h, i);
}

/* Backward-shift deletion: pull later members of the probe run into the hole. */
void htab_del(struct htab *h, const void *key)
{
	bool found;
	size_t hole = probe(h, key, &found), i = hole;

	if (!found)
		return;
	for (;;) {
		i = (i + 1) & (h->cap - 1);
		if (!h->used[i])
			break;
		size_t home = hash_bytes(ent(h, i), h->ksize) & (h->cap - 1);
		/* move i into the hole unless its home lies cyclically in (hole, i] */
		if ((i > hole && (home <= hole || home > i)) ||
		    (i < hole && (home <= hole && home > i))) {
			memcpy(ent(h, hole), ent(h, i), h->esize);
			hole = i;
		}
	}
	h->used[hole] = 0;
	h->len--;
}

void htab_clear(struct htab *h)
{
	memset(h->used, 0, h->cap);
	h->len = 0;
}

void *htab_next(const struct htab *h, size_t *pos)
{
	while (*pos < h->cap) {
		size_t i = (*pos)++;

		if (h->used[i])
			return ent(h, i);
	}
	return NULL;
}
