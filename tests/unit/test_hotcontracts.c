/*
 * test_hotcontracts.c - the contract index the screens use, kept in the
 * writer's memory (src/office/hot_contracts.c), answers every lookup as
 * the store's statements do, through savepoints released and rolled back,
 * commits and rollbacks, and another writer's contracts.
 *
 * A seeded walk records contracts of a few firms with a few suppliers,
 * numbers, values and dates (so that lookups find several), and after
 * every step asks both office_hot_contract_same / _between and
 * store_contract_same / _between the same random question in the same
 * transaction: the counts, sums and every row must be equal. Between
 * transactions, office_hot_contracts_check holds what memory keeps to a
 * fresh read. Runs on SQLite, or PostgreSQL with QUAN_TEST_DB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/office.h"
#include "office/office_int.h"
#include "store/store.h"
#include "testoffice.h"

#define NOW 1763604000
#define DAY0 20400 /* 2025-11-08, days since 1970-01-01 */

static const char *const firms[] = {
	"91310000MA1FL0001A", "91310000MA1FL0002B", "91310000MA1FL0003C",
	"91310000MA1FL0004D", /* never files: its lookups find nothing */
};
static const char *const suppliers[] = {
	"91310000MA1SP0001X", "91310000MA1SP0002Y", "91310000MA1SP0003Z"};
/* The last is longer than a row's 64 bytes, cut on a character. */
static const char *const numbers[] = {
	"HT-1", "HT-2", "HT-3",
	"合同合同合同合同合同合同合同合同合同合同合同合同合同合同合同合同-X"};
static const money_t values[] = {100000, 200000, 300000, 1000000};

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s += 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#define PICK(s, arr) ((arr)[next(s) % (sizeof(arr) / sizeof((arr)[0]))])

static void rows_equal(const struct store_contract_row *a,
		       const struct store_contract_row *b, size_t n,
		       const char *what, long step)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].app_id, b[i].app_id) ||
		    strcmp(a[i].program, b[i].program) ||
		    strcmp(a[i].number, b[i].number) ||
		    a[i].value != b[i].value ||
		    a[i].signed_on != b[i].signed_on)
			fail_msg("step %ld, %s: row %zu is %s in memory, %s in "
				 "the store",
				 step, what, i, a[i].app_id, b[i].app_id);
}

/* A random question about a random firm, asked of memory and of the
 * store; *found grows by the rows the store gave. */
static void ask(struct office *o, uint64_t *s, long step, int napps,
		long *found)
{
	struct store_contract_row mr[8], sr[8];
	struct store_contract c;
	char app[32];
	size_t mn, sn, max = next(s) % 9;
	struct qerr e;

	/* Sometimes an application that has a contract (left out of the
	 * answers), mostly one that has none yet. */
	snprintf(app, sizeof(app), "A-%d",
		 napps && next(s) % 3 == 0 ? (int)(next(s) % napps) : 999999);
	c.app_id = app;
	c.program = "p";
	c.applicant = PICK(s, firms);
	c.supplier = PICK(s, suppliers);
	c.number = PICK(s, numbers);
	c.value = PICK(s, values);
	c.signed_on = DAY0 + (int32_t)(next(s) % 60);
	qerr_clear(&e);
	if (next(s) % 2) {
		int days = (int)(next(s) % 3) * 7;

		assert_int_equal(
			office_hot_contract_same(o, &c, days, mr, max, &mn, &e),
			0);
		assert_int_equal(store_contract_same(o->store, &c, days, sr,
						     max, &sn, &e),
				 0);
		if (mn != sn)
			fail_msg("step %ld, same: %zu rows in memory, %zu in "
				 "the store",
				 step, mn, sn);
		rows_equal(mr, sr, sn, "same", step);
	} else {
		int32_t from = DAY0 + (int32_t)(next(s) % 60),
			to = from + (int32_t)(next(s) % 40);
		money_t lo = PICK(s, values), hi = lo + PICK(s, values);
		int64_t mc, sc;
		money_t ms, ss;

		assert_int_equal(office_hot_contract_between(o, &c, from, to,
							     lo, hi, mr, max,
							     &mn, &mc, &ms, &e),
				 0);
		assert_int_equal(store_contract_between(o->store, &c, from, to,
							lo, hi, sr, max, &sn,
							&sc, &ss, &e),
				 0);
		if (mc != sc || ms != ss || mn != sn)
			fail_msg("step %ld, between: %lld / %lld / %zu in "
				 "memory, %lld / %lld / %zu in the store",
				 step, (long long)mc, (long long)ms, mn,
				 (long long)sc, (long long)ss, sn);
		rows_equal(mr, sr, sn, "between", step);
	}
	*found += (long)sn;
}

static void record(struct office *o, uint64_t *s, int k)
{
	struct store_contract c;
	char app[32];
	struct qerr e;

	snprintf(app, sizeof(app), "A-%d", k);
	c.app_id = app;
	c.program = next(s) % 2 ? "shanghai-2025" : "hangzhou-2025";
	c.applicant = firms[next(s) % 3];
	c.supplier = PICK(s, suppliers);
	c.number = PICK(s, numbers);
	c.value = PICK(s, values);
	c.signed_on = DAY0 + (int32_t)(next(s) % 60);
	qerr_clear(&e);
	assert_int_equal(store_contract_add(o->store, &c, &e), 0);
	office_hot_contract_added(o, &c);
}

static void held(struct office *o, long step)
{
	char why[512];

	if (office_hot_contracts_check(o, why, sizeof(why)))
		fail_msg("step %ld: %s", step, why);
}

/* The seeded walk, STEPS steps per seed. */
static void test_walk(void **state)
{
	struct testdb db;
	struct chip_catalog *chips;
	struct office o;
	struct qerr e;
	long found = 0, hits, reads, rolled = 0;
	int napps = 0;

	(void)state;
	testoffice_open(&db, &chips, &o, NULL, NOW);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		uint64_t s = seed;
		bool tx = false, sp = false;

		for (long step = 0; step < 1500; step++) {
			unsigned r = (unsigned)(next(&s) % 100);

			qerr_clear(&e);
			if (!tx) {
				held(&o, step);
				assert_int_equal(office_begin(&o, &e), 0);
				tx = true;
			}
			if (r < 35) {
				record(&o, &s, napps++);
			} else if (r < 85) {
				ask(&o, &s, step, napps, &found);
			} else if (r < 90 && !sp) {
				assert_int_equal(office_savepoint(&o, &e), 0);
				sp = true;
			} else if (r < 93 && sp) {
				assert_int_equal(
					office_savepoint_release(&o, &e), 0);
				sp = false;
			} else if (r < 96 && sp) {
				office_savepoint_rollback(&o);
				sp = false;
				rolled++;
			} else if (r < 98) {
				assert_int_equal(office_commit(&o, &e), 0);
				tx = sp = false;
			} else {
				office_rollback(&o);
				tx = sp = false;
				rolled++;
			}
		}
		if (tx)
			assert_int_equal(office_commit(&o, &e), 0);
		held(&o, -1);
	}
	hot_contracts_counts(office_hot_contracts(&o), &hits, &reads);
	/* The walk asked questions with answers, and memory answered most
	 * of them after a few reads. */
	assert_true(found > 500);
	assert_true(rolled > 20);
	print_message("found %ld, rolled back %ld, hits %ld, reads %ld\n", found, rolled, hits, reads);
	assert_true(hits > 4 * reads);
	assert_true(reads > 0);
	testoffice_close(&db, chips, &o);
}

/* Another office records a contract of a firm this one keeps: this one's
 * next transaction finds it (the store's generation moved). And the check
 * finds a contract written behind the store's back. */
static void test_other_writer(void **state)
{
	struct testdb db;
	struct chip_catalog *chips;
	struct office a, b;
	struct store_contract_row rows[8];
	struct store_contract c = {"A-1",  "p",	   firms[0], suppliers[0],
				   "HT-1", 100000, DAY0};
	size_t n;
	struct qerr e;
	char why[512];

	(void)state;
	testoffice_open(&db, &chips, &a, NULL, NOW);
	qerr_clear(&e);
	assert_int_equal(office_open(&b, db.url, chips, &e), 0);
	assert_int_equal(office_begin(&a, &e), 0);
	assert_int_equal(store_contract_add(a.store, &c, &e), 0);
	office_hot_contract_added(&a, &c);
	c.app_id = "A-2";
	assert_int_equal(office_hot_contract_same(&a, &c, 0, rows, 8, &n, &e),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(office_commit(&a, &e), 0);

	assert_int_equal(office_begin(&b, &e), 0);
	assert_int_equal(store_contract_add(b.store, &c, &e), 0);
	assert_int_equal(office_commit(&b, &e), 0);

	c.app_id = "A-3";
	assert_int_equal(office_begin(&a, &e), 0);
	assert_int_equal(office_hot_contract_same(&a, &c, 0, rows, 8, &n, &e),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[1].app_id, "A-2");
	assert_int_equal(office_commit(&a, &e), 0);
	assert_int_equal(office_hot_contracts_check(&a, why, sizeof(why)), 0);

	/* Behind the store's back: the check sees memory lacks it. */
	assert_int_equal(testdb_exec(&db,
				     "INSERT INTO contracts (app_id, program, "
				     "applicant, supplier, number, value, "
				     "signed_on) VALUES ('A-9', 'p', "
				     "'91310000MA1FL0001A', 'x', 'y', 1, 1)",
				     why, sizeof(why)),
			 0);
	assert_int_equal(office_hot_contracts_check(&a, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "A-9"));
	office_close(&b);
	testoffice_close(&db, chips, &a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_other_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
