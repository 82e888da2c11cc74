// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the open-addressing hash table: many keys through growth, deletion of half of
 * them (backward shift must keep every remaining key reachable, with no tombstones), and a long
 * random run of inserts and deletes checked step by step against a plain array.
 */
#include "capture.h"

#include <string.h>

#include "core/htab.h"

struct ent {
	uint32_t key;
	uint32_t val;
	uint64_t pad; /* a value larger than the key, as the real tables have */
};

static struct htab h;

static int setup(void **state)
{
	(void)state;
	return htab_init(&h, sizeof(uint32_t), sizeof(struct ent));
}

static int teardown(void **state)
{
	(void)state;
	htab_free(&h);
	return 0;
}

static struct ent *put(uint32_t key, uint32_t val)
{
	bool created = false;
	struct ent *e = htab_get(&h, &key, &created);

	assert_non_null(e);
	assert_true(created);
	assert_int_equal(e->key, key);
	assert_int_equal(e->val, 0);
	e->val = val;
	return e;
}

static void test_get_find(void **state)
{
	uint32_t k = 7, absent = 8;
	bool created = true;

	(void)state;
	assert_null(htab_find(&h, &k));
	put(k, 70);
	assert_int_equal(h.len, 1);
	assert_int_equal(((struct ent *)htab_find(&h, &k))->val, 70);
	assert_null(htab_find(&h, &absent));
	/* a second get finds the entry as it was */
	assert_int_equal(((struct ent *)htab_get(&h, &k, &created))->val, 70);
	assert_false(created);
	assert_int_equal(h.len, 1);
	/* created may be NULL */
	assert_non_null(htab_get(&h, &absent, NULL));
	assert_int_equal(h.len, 2);
}

static void test_many_then_delete_half(void **state)
{
	enum { N = 10000 };
	struct ent *e;
	size_t seen = 0;

	(void)state;
	for (uint32_t k = 0; k < N; k++)
		put(k * 2654435761u, k);
	assert_int_equal(h.len, N);
	/* a power of two, and at most 3/4 full */
	assert_int_equal(h.cap & (h.cap - 1), 0);
	assert_true(h.len * 4 <= h.cap * 3);
	for (uint32_t k = 0; k < N; k += 2) {
		uint32_t key = k * 2654435761u;

		htab_del(&h, &key);
	}
	assert_int_equal(h.len, N / 2);
	for (uint32_t k = 0; k < N; k++) {
		uint32_t key = k * 2654435761u;

		e = htab_find(&h, &key);
		if (k % 2 == 0 && e)
			fail_msg("deleted key %u still found", k);
		if (k % 2 == 1 && (!e || e->val != k))
			fail_msg("key %u lost after deletions", k);
	}
	for (size_t i = 0; (e = htab_next(&h, &i));) {
		assert_int_equal(e->val % 2, 1);
		seen++;
	}
	assert_int_equal(seen, N / 2);
}

static void test_delete_absent(void **state)
{
	uint32_t k = 1, other = 2;

	(void)state;
	put(k, 10);
	htab_del(&h, &other);
	assert_int_equal(h.len, 1);
	htab_del(&h, &k);
	htab_del(&h, &k);
	assert_int_equal(h.len, 0);
	assert_null(htab_find(&h, &k));
	/* a re-inserted key comes back zeroed, not with its old value */
	put(k, 11);
}

static void test_clear(void **state)
{
	(void)state;
	for (uint32_t k = 0; k < 100; k++)
		put(k, k + 1);
	htab_clear(&h);
	assert_int_equal(h.len, 0);
	for (uint32_t k = 0; k < 100; k++)
		assert_null(htab_find(&h, &k));
	for (uint32_t k = 0; k < 100; k++)
		put(k, k + 2);
	assert_int_equal(h.len, 100);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/*
 * Random inserts and deletes of keys drawn from a small set, checked after every step against
 * a plain array. The table never shrinks, so each key set size holds it at one capacity and
 * one load: the smaller sets keep it nearly full, where probe runs are long and wrap around
 * the end of the slot array, and every case of backward-shift deletion comes up.
 */
static void random_run(uint32_t keys, int steps)
{
	bool in[64] = { false };
	size_t n = 0;

	for (int step = 0; step < steps; step++) {
		uint32_t k = next_rand() % keys;

		if (in[k]) {
			htab_del(&h, &k);
			n--;
		} else {
			put(k, k + 1000);
			n++;
		}
		in[k] = !in[k];
		assert_int_equal(h.len, n);
		for (uint32_t j = 0; j < keys; j++) {
			struct ent *e = htab_find(&h, &j);

			if (in[j] != (e != NULL) || (e && e->val != j + 1000))
				fail_msg("%u keys, step %d: key %u %s", keys, step, j,
					 in[j] ? "lost" : "still there");
		}
	}
}

static void test_random_against_array(void **state)
{
	static const uint32_t sizes[] = { 12, 16, 24, 48, 64 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		htab_free(&h);
		assert_int_equal(htab_init(&h, sizeof(uint32_t), sizeof(struct ent)), 0);
		random_run(sizes[i], 100000);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get_find),
		T(test_many_then_delete_half),
		T(test_delete_absent),
		T(test_clear),
		T(test_random_against_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
