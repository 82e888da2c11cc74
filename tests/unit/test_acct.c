// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the accounting, fed as io.c feeds it: a small model of the kernel's record map
 * and per-CPU slots stands in for io.bpf.c, and each sample hands its records to the module and
 * deletes those it reaps. Covered: totals that stay monotonic while the kernel moves counts
 * between slots and records and when a pair's record is reaped and created again; release
 * notices that wait while a slot holds counts; folding that keeps the busiest closed
 * connections and exact totals; forgetting a process, which late counts must not undo; lingering
 * closed connections; and the per-protocol sums.
 */
#include "capture.h"

#include <string.h>

#include "core/acct.h"

#define KMAX 64

/* One record of the kernel's map, with what the slots hold for it beyond its own counts. */
struct krec {
	bool used;
	struct ss_sock_key key;
	struct ss_sock_rec rec;
	bool in_slot;
	struct ss_counts slot;
};

static struct krec kern[KMAX];
static struct acct acct;
static uint64_t now_ns;

static int setup_keep(size_t keep)
{
	memset(kern, 0, sizeof(kern));
	now_ns = 1000000000ULL;
	return acct_init(&acct, KMAX, keep);
}

static int setup(void **state)
{
	(void)state;
	return setup_keep(1024);
}

static int setup_keep3(void **state)
{
	(void)state;
	return setup_keep(3);
}

static int setup_keep0(void **state)
{
	(void)state;
	return setup_keep(0);
}

static int teardown(void **state)
{
	(void)state;
	acct_free(&acct);
	return 0;
}

/* Bytes as given, one call per 10 bytes: enough to see both fields summed. */
static struct ss_counts counts(uint64_t sent, uint64_t recv)
{
	return (struct ss_counts){ { sent, recv }, { sent / 10, recv / 10 } };
}

static struct krec *kfind(uint64_t sock, uint32_t tgid)
{
	for (int i = 0; i < KMAX; i++)
		if (kern[i].used && kern[i].key.sock_id == sock && kern[i].key.tgid == tgid)
			return &kern[i];
	return NULL;
}

/* Sets (or creates) the kernel's record of (sock, tgid): its flushed counts. */
static struct krec *krec(uint64_t sock, uint32_t tgid, int proto, uint64_t sent, uint64_t recv)
{
	struct krec *k = kfind(sock, tgid);

	for (int i = 0; !k && i < KMAX; i++)
		if (!kern[i].used)
			k = &kern[i];
	assert_non_null(k);
	if (!k->used) {
		memset(k, 0, sizeof(*k));
		k->used = true;
		k->key.sock_id = sock;
		k->key.tgid = tgid;
		k->rec.a.proto = (uint8_t)proto;
		snprintf(k->rec.comm, sizeof(k->rec.comm), "p%u", tgid);
	}
	k->rec.n = counts(sent, recv);
	return k;
}

/* What the slots hold for a record; 0, 0 with in_slot false empties them. */
static void kslot(struct krec *k, bool in_slot, uint64_t sent, uint64_t recv)
{
	k->in_slot = in_slot;
	k->slot = counts(sent, recv);
}

/* One sample as io.c takes it; reaped records leave the kernel's map. */
static void sample(void)
{
	acct_begin(&acct);
	for (int i = 0; i < KMAX; i++) {
		struct krec *k = &kern[i];
		enum acct_verdict v;

		if (!k->used)
			continue;
		v = acct_record(&acct, &k->key, &k->rec, k->in_slot ? &k->slot : NULL);
		assert_int_not_equal(v, ACCT_ERR);
		if (v == ACCT_REAP) {
			acct_reap(&acct, &k->key, &k->rec);
			k->used = false;
		}
	}
	now_ns += 1000000000ULL;
	acct_end(&acct, now_ns);
}

static const struct sock_acct *conn(uint64_t sock, uint32_t tgid)
{
	struct ss_sock_key key = { .sock_id = sock, .tgid = tgid };

	return htab_find(&acct.conns, &key);
}

static const struct proc_acct *proc(uint32_t tgid)
{
	return htab_find(&acct.procs, &tgid);
}

static void assert_counts(const struct ss_counts *c, uint64_t sent, uint64_t recv)
{
	struct ss_counts want = counts(sent, recv);

	assert_int_equal(c->bytes[SS_SEND], want.bytes[SS_SEND]);
	assert_int_equal(c->bytes[SS_RECV], want.bytes[SS_RECV]);
	assert_int_equal(c->calls[SS_SEND], want.calls[SS_SEND]);
	assert_int_equal(c->calls[SS_RECV], want.calls[SS_RECV]);
}

static void test_counts_helpers(void **state)
{
	struct ss_counts a = { { 1, 2 }, { 3, 4 } }, b = { { 10, 1 }, { 1, 40 } };

	(void)state;
	assert_int_equal(counts_bytes(&a), 3);
	assert_false(counts_zero(&a));
	counts_add(&a, &b);
	assert_int_equal(a.bytes[0], 11);
	assert_int_equal(a.bytes[1], 3);
	assert_int_equal(a.calls[0], 4);
	assert_int_equal(a.calls[1], 44);
	memset(&a, 0, sizeof(a));
	assert_true(counts_zero(&a));
	a.calls[1] = 1;
	assert_false(counts_zero(&a));
	a = (struct ss_counts){ { 5, 5 }, { 5, 5 } };
	counts_max(&a, &b);
	assert_int_equal(a.bytes[0], 10);
	assert_int_equal(a.bytes[1], 5);
	assert_int_equal(a.calls[0], 5);
	assert_int_equal(a.calls[1], 40);
}

/* Record plus slots is the total; a flush caught between the two reads never lowers it. */
static void test_slots_and_flush_race(void **state)
{
	struct krec *k = krec(1, 100, IPPROTO_TCP, 100, 0);

	(void)state;
	kslot(k, true, 50, 20);
	sample();
	assert_counts(&conn(1, 100)->n, 150, 20);
	/* the slot was flushed after the records were read: the record misses it this once */
	kslot(k, false, 0, 0);
	sample();
	assert_counts(&conn(1, 100)->n, 150, 20);
	krec(1, 100, IPPROTO_TCP, 150, 20);
	sample();
	assert_counts(&conn(1, 100)->n, 150, 20);
	krec(1, 100, IPPROTO_TCP, 170, 40);
	sample();
	assert_counts(&conn(1, 100)->n, 170, 40);
	assert_counts(&proc(100)->total, 170, 40);
}

/* A released socket's record is reaped; the pair's next record continues from its total. */
static void test_monotonic_across_reap(void **state)
{
	(void)state;
	krec(1, 100, IPPROTO_TCP, 100, 10);
	sample();
	acct_released(&acct, 1);
	krec(1, 100, IPPROTO_TCP, 150, 10);
	sample();
	assert_null(kfind(1, 100));
	assert_true(conn(1, 100)->final);
	assert_counts(&conn(1, 100)->n, 150, 10);
	/* the kernel makes a new record for the same pair (a socket id reused, or a late call) */
	krec(1, 100, IPPROTO_TCP, 30, 0);
	sample();
	assert_false(conn(1, 100)->final);
	assert_counts(&conn(1, 100)->n, 180, 10);
	assert_counts(&proc(100)->total, 180, 10);
	krec(1, 100, IPPROTO_TCP, 40, 5);
	sample();
	assert_counts(&conn(1, 100)->n, 190, 15);
	acct_released(&acct, 1);
	sample();
	assert_null(kfind(1, 100));
	assert_counts(&conn(1, 100)->n, 190, 15);
	assert_counts(&proc(100)->total, 190, 15);
}

/* The same with nothing kept: the folded total and the new record add up in the process. */
static void test_monotonic_across_fold(void **state)
{
	(void)state;
	krec(1, 100, IPPROTO_TCP, 100, 10);
	sample();
	acct_released(&acct, 1);
	sample();
	assert_null(conn(1, 100));
	assert_int_equal(proc(100)->nfolded, 1);
	krec(1, 100, IPPROTO_TCP, 30, 0);
	sample();
	assert_counts(&proc(100)->total, 130, 10);
}

/* A notice waits while a slot holds counts for the record; one with no record is dropped. */
static void test_release_waits_for_slot(void **state)
{
	struct krec *k = krec(1, 100, IPPROTO_TCP, 100, 0);

	(void)state;
	kslot(k, true, 5, 0);
	acct_released(&acct, 1);
	acct_released(&acct, 99); /* no record: nothing to reap, and it is not kept */
	sample();
	assert_non_null(kfind(1, 100));
	assert_false(conn(1, 100)->final);
	sample(); /* the notice is carried over while the slot still holds counts */
	assert_non_null(kfind(1, 100));
	krec(1, 100, IPPROTO_TCP, 105, 0);
	kslot(k, false, 0, 0);
	sample();
	assert_null(kfind(1, 100));
	assert_true(conn(1, 100)->final);
	assert_counts(&conn(1, 100)->n, 105, 0);
	assert_null(htab_find(&acct.released, &(uint64_t){ 99 }));
	assert_int_equal(acct.released.len, 0);
}

/* Closes socks 1..n of tgid, socket i having moved 10*i bytes (sock 0 moved nothing). */
static void close_many(uint32_t tgid, const uint64_t *socks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		krec(socks[i], tgid, IPPROTO_TCP, 10 * socks[i], 0);
	sample();
	for (size_t i = 0; i < n; i++)
		acct_released(&acct, socks[i]);
	sample();
}

/* Only the three busiest closed connections stay; the others are folded, totals exact. */
static void test_fold_keeps_busiest(void **state)
{
	/* an order that makes the heap replace its root, and one connection that moved nothing */
	static const uint64_t socks[] = { 4, 9, 1, 10, 0, 7, 2, 8, 3, 6, 5, 8 + 100 };
	uint64_t sum = 0;

	(void)state;
	krec(500, 7, IPPROTO_TCP, 1, 0); /* open: never weighed */
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		sum += 10 * socks[i];
	close_many(7, socks, sizeof(socks) / sizeof(socks[0]));
	assert_int_equal(acct.conns.len, 4);
	assert_non_null(conn(500, 7));
	assert_true(conn(108, 7)->kept);
	assert_true(conn(10, 7)->kept);
	assert_true(conn(9, 7)->kept);
	assert_int_equal(acct.nkept, 3);
	/* nine folded, of which the one that moved nothing is not counted */
	assert_int_equal(proc(7)->nfolded, 8);
	assert_int_equal(proc(7)->folded[ACCT_TCP].bytes[SS_SEND], sum - 1080 - 100 - 90);
	assert_int_equal(proc(7)->total.bytes[SS_SEND], sum + 1);
	assert_int_equal(proc(7)->by_proto[ACCT_UDP].bytes[SS_SEND], 0);
	assert_string_equal(proc(7)->comm, "p7");
}

/* Keeping none folds every closed connection at once; one that moved nothing is not counted. */
static void test_fold_all(void **state)
{
	static const uint64_t socks[] = { 3, 0, 5 };

	(void)state;
	close_many(8, socks, 3);
	assert_int_equal(acct.conns.len, 0);
	assert_int_equal(acct.nkept, 0);
	assert_int_equal(proc(8)->nfolded, 2);
	assert_counts(&proc(8)->total, 80, 0);
}

/* With linger, a closed connection stays listed two more samples, then is weighed. */
static void test_linger(void **state)
{
	(void)state;
	acct_linger_closed(&acct);
	krec(1, 100, IPPROTO_UDP, 0, 70);
	sample();
	acct_released(&acct, 1);
	sample();
	assert_true(conn(1, 100)->final);
	sample();
	assert_non_null(conn(1, 100));
	sample();
	assert_null(conn(1, 100));
	assert_int_equal(proc(100)->nfolded, 1);
	assert_counts(&proc(100)->folded[ACCT_UDP], 0, 70);
	assert_counts(&proc(100)->total, 0, 70);
}

/*
 * Forgetting drops the process and its closed connections at once; a released socket whose
 * counts still sit in a slot is only marked, and its late counts do not bring the process back.
 */
static void test_forget(void **state)
{
	static const uint64_t closed[] = { 1, 2 };
	struct krec *late;

	(void)state;
	close_many(5, closed, 2);
	assert_int_equal(acct.nkept, 2);
	late = krec(3, 5, IPPROTO_TCP, 40, 0);
	kslot(late, true, 5, 0);
	krec(9, 6, IPPROTO_TCP, 11, 0); /* another process, untouched */
	sample();
	acct_released(&acct, 3);
	sample();
	assert_non_null(kfind(3, 5));
	acct_forget(&acct, 5);
	assert_null(proc(5));
	assert_null(conn(1, 5));
	assert_null(conn(2, 5));
	assert_true(conn(3, 5)->forgotten);
	assert_int_equal(acct.nkept, 0);
	sample();
	assert_null(proc(5));
	/* the slot is flushed into the record at last: read once more and reaped, not kept */
	krec(3, 5, IPPROTO_TCP, 60, 0);
	kslot(late, false, 0, 0);
	sample();
	assert_null(kfind(3, 5));
	assert_null(conn(3, 5));
	assert_null(proc(5));
	assert_counts(&proc(6)->total, 11, 0);
	assert_int_equal(acct.conns.len, 1);
}

/* Forgetting frees its place among the kept: another process's closed connection takes it. */
static void test_forget_frees_kept(void **state)
{
	static const uint64_t a[] = { 1, 2, 3 }, b[] = { 4 };

	(void)state;
	close_many(5, a, 3);
	assert_int_equal(acct.nkept, 3);
	acct_forget(&acct, 5);
	assert_int_equal(acct.nkept, 0);
	close_many(6, b, 1);
	assert_true(conn(4, 6)->kept);
	assert_int_equal(proc(6)->nfolded, 0);
}

/* Per protocol: open and folded connections of each add up, and total is their sum. */
static void test_proto_sums(void **state)
{
	(void)state;
	krec(1, 9, IPPROTO_TCP, 100, 200);
	krec(2, 9, IPPROTO_TCP, 10, 20);
	krec(3, 9, IPPROTO_UDP, 30, 40);
	krec(4, 9, IPPROTO_UDP, 1000, 0);
	sample();
	acct_released(&acct, 2);
	acct_released(&acct, 4);
	sample();
	assert_null(conn(2, 9));
	assert_null(conn(4, 9));
	assert_counts(&proc(9)->by_proto[ACCT_TCP], 110, 220);
	assert_counts(&proc(9)->by_proto[ACCT_UDP], 1030, 40);
	assert_counts(&proc(9)->folded[ACCT_TCP], 10, 20);
	assert_counts(&proc(9)->folded[ACCT_UDP], 1000, 0);
	assert_counts(&proc(9)->total, 1140, 260);
	assert_int_equal(proc(9)->nfolded, 2);
}

/* last_active_ns moves only in samples where the process's totals grew. */
static void test_last_active(void **state)
{
	uint64_t t;

	(void)state;
	krec(1, 9, IPPROTO_TCP, 100, 0);
	sample();
	t = proc(9)->last_active_ns;
	assert_int_equal(t, now_ns);
	sample();
	assert_int_equal(proc(9)->last_active_ns, t);
	krec(1, 9, IPPROTO_TCP, 101, 0);
	sample();
	assert_int_equal(proc(9)->last_active_ns, now_ns);
	assert_true(now_ns > t);
}

#define KEEP(f)	 cmocka_unit_test_setup_teardown(f, setup, teardown)
#define KEEP3(f) cmocka_unit_test_setup_teardown(f, setup_keep3, teardown)
#define KEEP0(f) cmocka_unit_test_setup_teardown(f, setup_keep0, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_helpers),
		KEEP(test_slots_and_flush_race),
		KEEP(test_monotonic_across_reap),
		KEEP0(test_monotonic_across_fold),
		KEEP(test_release_waits_for_slot),
		KEEP3(test_fold_keeps_busiest),
		KEEP0(test_fold_all),
		KEEP0(test_linger),
		KEEP(test_forget),
		KEEP3(test_forget_frees_kept),
		KEEP0(test_proto_sums),
		KEEP(test_last_active),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
