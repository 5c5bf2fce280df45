/*
 * test_race.c - threads racing for the last yuan of a pool.
 *
 * Eight threads, each with its own connection (office) to one database
 * (a SQLite file, or PostgreSQL when QUAN_TEST_DB names a server),
 * apply 25 distinct corpus applications each to a pool that covers only
 * some of them. Whatever the interleaving, the pool never goes below zero,
 * exactly as many are reserved as the pool covers, every application is
 * recorded once under a number of its own (RACE-2025-000001 .. 000200, in
 * arrival order, none skipped), a retry under a client_ref answers with
 * the number given, and the ledger and the audit chain are intact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "office/office.h"
#include "testdb.h"

#define THREADS 8
#define PER_THREAD 25

static char dir[256];
static struct testdb tdb;
static const char *db = tdb.url;
static struct chip_catalog *chips;

/* 300 000.00 at 30 % = 90 000.00 each; the pool of 1 000 000.00 covers
 * eleven of them (990 000.00). */
static const char policy_text[] =
	"program: race\n"
	"name: race\n"
	"issuer: test\n"
	"currency: CNY\n"
	"sources:\n"
	"  - { id: s, title: t, url: u }\n"
	"pools:\n"
	"  - { id: corpus, name: c, budgets: { 2025: \"1000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: corpus\n"
	"    name: c\n"
	"    pool: corpus\n"
	"    kinds: [corpus]\n"
	"    allocation: first-come-first-served\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - { id: r, rate: 30%, source: s }\n";

static const char app_fmt[] =
	"{\"client_ref\":\"T%d-%d\",\"program\":\"race\","
	"\"measure\":\"corpus\","
	"\"applicant\":{\"uscc\":\"91310000MA1FL8WR2F\",\"name\":\"a\","
	"\"registered_city\":\"shanghai\",\"industry\":\"I65\",\"sme\":true,"
	"\"startup\":false,\"registered_model\":false,"
	"\"last_bad_credit_on\":null},"
	"\"supplier\":{\"uscc\":\"91310104MA1FR9KP6K\",\"name\":\"s\","
	"\"platform_listed\":true},"
	"\"contract\":{\"number\":\"N%d-%d\",\"kind\":\"corpus\","
	"\"value\":\"300000.00\",\"signed_on\":\"2025-09-25\","
	"\"term_months\":12}}";

struct racer {
	int n;
	int reserved, waitlisted, failed;
};

/* Application i of racer n: its text in json (2048 bytes); its length. */
static int app_text(char *json, int n, int i)
{
	return snprintf(json, 2048, app_fmt, n, i, n, i);
}

static void *race(void *arg)
{
	struct racer *r = arg;
	struct office o;
	struct qerr e;

	if (office_open(&o, db, chips, &e)) {
		r->failed = PER_THREAD;
		return NULL;
	}
	char first[64] = "";

	for (int i = 0; i < PER_THREAD; i++) {
		char json[2048];
		struct office_result res;
		int len = app_text(json, r->n, i);

		if (office_apply(&o, json, (size_t)len, "racer", 1760000000,
				 &res, &e) ||
		    res.existed || strncmp(res.id, "RACE-2025-", 10)) {
			r->failed++;
			continue;
		}
		if (i == 0)
			snprintf(first, sizeof(first), "%s", res.id);
		r->reserved += res.state == APP_RESERVED;
		r->waitlisted += res.state == APP_WAITLISTED;
	}
	/* A retry of the first, while the others still race: the number it
	 * was given, nothing new. */
	{
		char json[2048];
		struct office_result res;
		int len = app_text(json, r->n, 0);

		if (office_apply(&o, json, (size_t)len, "racer", 1760000100,
				 &res, &e) ||
		    !res.existed || strcmp(res.id, first))
			r->failed++;
	}
	office_close(&o);
	return NULL;
}

struct numbers {
	long count, last;
	bool seen[THREADS * PER_THREAD + 1];
	char bad[128]; /* the first id out of order, or malformed */
};

/* In arrival order: every number once, increasing. */
static int count_app(void *arg, const struct store_app *a)
{
	struct numbers *nb = arg;
	char *end;
	long n = strncmp(a->id, "RACE-2025-", 10)
			 ? -1
			 : strtol(a->id + 10, &end, 10);

	nb->count++;
	if (n < 1 || n > THREADS * PER_THREAD || *end || strlen(a->id) != 16 ||
	    nb->seen[n] || n <= nb->last) {
		if (!nb->bad[0])
			snprintf(nb->bad, sizeof(nb->bad),
				 "'%s' after number %ld", a->id, nb->last);
		return 0;
	}
	nb->seen[n] = true;
	nb->last = n;
	return 0;
}

static int figures(void *arg, const struct office_pool_figures *f)
{
	*(struct office_pool_figures *)arg = *f;
	return 0;
}

static void test_threads_race_for_the_last_yuan(void **state)
{
	struct racer r[THREADS];
	pthread_t t[THREADS];
	struct office o;
	struct office_pool_figures f;
	struct qerr e;
	char path[320];
	FILE *pf;
	bool is_new;
	struct numbers *nb = calloc(1, sizeof(*nb));
	long reserved = 0, waitlisted = 0;
	int64_t events, bad;
	char why[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/quan-race-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(testdb_create(&tdb), 0);
	snprintf(path, sizeof(path), "%s/race.yaml", dir);
	pf = fopen(path, "w");
	assert_non_null(pf);
	fputs(policy_text, pf);
	fclose(pf);
	assert_int_equal(office_open(&o, db, chips, &e), 0);
	assert_int_equal(
		office_load_policy(&o, path, "admin", 1760000000, &is_new, &e),
		0);
	office_close(&o);

	for (int i = 0; i < THREADS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].n = i;
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].failed, 0);
		reserved += r[i].reserved;
		waitlisted += r[i].waitlisted;
	}
	assert_int_equal(reserved, 11);
	assert_int_equal(waitlisted, THREADS * PER_THREAD - 11);

	assert_int_equal(office_open(&o, db, chips, &e), 0);
	assert_non_null(nb);
	assert_int_equal(store_app_each(o.store, NULL, -1, count_app, nb, &e),
			 0);
	if (nb->bad[0])
		fail_msg("numbers out of arrival order: %s", nb->bad);
	assert_int_equal(nb->count, THREADS * PER_THREAD);
	assert_int_equal(nb->last, THREADS * PER_THREAD);
	free(nb);
	assert_int_equal(office_pools_each(&o, figures, &f, &e), 0);
	assert_int_equal(f.reserved, 99000000);
	assert_int_equal(f.available, 1000000);
	assert_true(f.available >= 0);
	assert_int_equal(office_ledger_check(&o, stderr, &e), 0);
	assert_int_equal(
		office_audit_verify(&o, &events, &bad, why, sizeof(why), &e),
		0);
	/* one policy, one funding and one event per application */
	assert_int_equal(events, 2 + THREADS * PER_THREAD);
	office_close(&o);

	testdb_drop(&tdb);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static int setup(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;

	(void)state;
	if (chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d)) {
		diag_print(&d, stderr);
		diag_release(&d);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chips_free(chips);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_race_for_the_last_yuan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
