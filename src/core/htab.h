/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small open-addressing hash table with fixed-size keys and values stored inline, for the
 * user side's tables (connections by (socket, process), processes by PID, groups by name).
 * Linear probing with backward-shift deletion: no tombstones, so lookups stay short however
 * many connections come and go.
 */
#ifndef SS_HTAB_H
#define SS_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab {
	size_t ksize;  /* key bytes, at the start of each entry */
	size_t esize;  /* whole entry bytes (key + value) */
	size_t cap;    /* slots, a power of two */
	size_t len;    /* entries in use */
	uint8_t *used; /* one flag per slot */
	uint8_t *ents;
};

int htab_init(struct htab *h, size_t ksize, size_t esize);
void htab_free(struct htab *h);
void *htab_find(const struct htab *h, const void *key);
/* Returns the entry for key, inserting a zeroed one (with the key set) when absent. */
void *htab_get(struct htab *h, const void *key, bool *created);
void htab_del(struct htab *h, const void *key);
void htab_clear(struct htab *h);
/* Iteration: for (size_t i = 0; (e = htab_next(h, &i));) — no insertions or deletions meanwhile. */
void *htab_next(const struct htab *h, size_t *pos);

#endif
