/*
 * test_pgstats.c - the planner's statistics of a young office on
 * PostgreSQL (store.c, young_statistics): PostgreSQL plans each statement
 * once for all its later runs with the statistics its tables had then, so
 * an office that opens empty to a rush must have them refreshed as it
 * grows, or the applicant's yearly sums are read through the index of the
 * whole program and year (bench/rush-pg fell from 949/s to 237/s between
 * 2 000 and 20 000 applications). On SQLite there is nothing to refresh
 * and the test is skipped.
 *
 * With autovacuum off for the table, so that only the store can have
 * analyzed it: 600 generated applications in batches of 50, after which
 * PostgreSQL's own count of the table's rows (pg_class.reltuples, -1 until
 * a first ANALYZE) must say hundreds.
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
#include "sim/gen.h"
#include "testoffice.h"

#define N 600
#define BATCH 50

static void test_young_statistics(void **state)
{
	static char texts[N][GEN_APP_MAX];
	const char *jsons[BATCH];
	size_t lens[N];
	struct office_result res[BATCH];
	int rcs[BATCH];
	struct qerr errs[BATCH], e;
	struct testdb db;
	struct chip_catalog *chips = NULL;
	struct office o;
	struct gen g;
	int64_t now = 0;
	char why[256], n[64];

	(void)state;
	if (!testdb_is_pg())
		skip();
	assert_int_equal(gen_init(&g, 7), 0);
	assert_int_equal(gen_set_prefix(&g, "stats-"), 0);
	for (size_t i = 0; i < N; i++) {
		int64_t at;

		assert_int_equal(gen_application(&g, i, texts[i],
						 sizeof(texts[i]), &lens[i]),
				 0);
		assert_int_equal(gen_received_at(&g, i, &at), 0);
		/* The office's clock: after every arrival, as bench/ledger. */
		if (at >= now)
			now = (at / 60 + 1) * 60;
	}
	testoffice_open(&db, &chips, &o, QUAN_POLICYDIR "/shanghai-2025.yaml",
			now);
	if (testdb_exec(&db,
			"ALTER TABLE applications SET (autovacuum_enabled = "
			"false)",
			why, sizeof(why)))
		fail_msg("%s", why);
	assert_int_equal(testdb_text(&db,
				     "SELECT reltuples::bigint FROM pg_class "
				     "WHERE relname = 'applications'",
				     n, sizeof(n)),
			 0);
	assert_true(strtoll(n, NULL, 10) <= 0);
	for (size_t b = 0; b < N; b += BATCH) {
		for (size_t i = 0; i < BATCH; i++)
			jsons[i] = texts[b + i];
		qerr_clear(&e);
		if (office_apply_batch(&o, jsons, lens + b, BATCH, "admin", now,
				       res, rcs, errs, &e))
			fail_msg("batch at %zu: %s", b, e.msg);
		for (size_t i = 0; i < BATCH; i++)
			if (rcs[i])
				fail_msg("application %zu: %s", b + i,
					 errs[i].msg);
	}
	assert_int_equal(testdb_text(&db,
				     "SELECT reltuples::bigint FROM pg_class "
				     "WHERE relname = 'applications'",
				     n, sizeof(n)),
			 0);
	/* Analyzed once the table passed 256 rows, four times the first
	 * commit's 51, and again past 1 024 (not reached). */
	if (strtoll(n, NULL, 10) < 250)
		fail_msg("reltuples is %s after %d applications", n, N);
	testoffice_close(&db, chips, &o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_young_statistics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
