/*
 * test_driver.c - the store above its driver (src/store/driver.h, sql.c):
 * the statement table (one parameter numbering for both dialects), and
 * every walk longer than a page, visiting in order, stopping early and
 * using the store from inside its visitor, on a SQLite file or on
 * PostgreSQL when QUAN_TEST_DB names a server (testdb.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/driver.h"

#include "store/sql.h"
#include "store/store.h"
#include "testdb.h"

#define N 150 /* rows per table: more than two pages (SQL_PAGE) */
#define USCC1 "91310115MA1K4ABCDD"
#define USCC2 "91310104MA1FR5T2K1"

struct fx {
	struct testdb db;
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct qerr e;

	if (!f || testdb_create(&f->db)) {
		free(f);
		return -1;
	}
	if (store_open(f->db.url, &f->s, &e)) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		testdb_drop(&f->db);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

/* ---- the statement table ------------------------------------------------------ */

static void test_statement_table(void **state)
{
	(void)state;
	/* Quoted text is not a parameter. */
	assert_true(sql_params("SELECT '?3', \"?4\", ?1, ?2") == 3);
	assert_true(sql_params("SELECT 1") == 0);
	for (int id = 0; id < ST__COUNT; id++) {
		const char *sq = sql_for(&sql_stmts[id], DRV_SQLITE);
		const char *pg = sql_for(&sql_stmts[id], DRV_POSTGRES);
		uint64_t p = sql_params(sq);

		assert_non_null(sq);
		assert_non_null(pg);
		/* The same parameters in both texts, numbered 1 .. n. */
		if (sql_params(pg) != p)
			fail_msg("statement %d: ?N differ between dialects",
				 id);
		if (p & (p + 1))
			fail_msg("statement %d: a gap in its ?N", id);
		assert_null(strchr(sq, '$'));
		assert_null(strchr(pg, '$'));
	}
	for (int i = 0; i < SQL_SCHEMA_VERSION; i++) {
		assert_true(*sql_for(&sql_migrations[i], DRV_SQLITE));
		assert_true(*sql_for(&sql_migrations[i], DRV_POSTGRES));
	}
}

/* ---- walks ------------------------------------------------------------------------ */

struct seen {
	int n, stop_after;
	char last[128];
	bool ordered;
	struct store *s; /* for visitors that use the store */
	int inner;	 /* rows an inner walk saw */
};

static void see(struct seen *v, const char *key)
{
	if (v->n && strcmp(v->last, key) >= 0)
		v->ordered = false;
	snprintf(v->last, sizeof(v->last), "%s", key);
	v->n++;
}

static int stop_now(const struct seen *v)
{
	return v->stop_after && v->n >= v->stop_after;
}

static void add_policy(struct store *s, int i, int64_t at)
{
	char hash[32], text[32];
	bool is_new;
	struct qerr e;

	snprintf(hash, sizeof(hash), "sha256:%04d", i);
	snprintf(text, sizeof(text), "version: %04d\n", i);
	if (store_policy_add(s, "walk", hash, "walk.yaml", text, strlen(text),
			     at, &is_new, &e))
		fail_msg("policy %d: %s", i, e.msg);
}

static int visit_policy(void *arg, const struct store_policy *p)
{
	struct seen *v = arg;
	char key[128], text[32];

	/* added_at first (two versions share each instant), then hash */
	snprintf(key, sizeof(key), "%08lld %s", (long long)p->added_at,
		 p->hash);
	snprintf(text, sizeof(text), "version: %s\n", p->hash + 7);
	if (strncmp(p->text, text, p->len) || p->len != strlen(text))
		v->ordered = false;
	v->inner += p->current;
	see(v, key);
	return stop_now(v);
}

static void test_policy_versions(void **state)
{
	struct fx *f = *state;
	struct seen v;
	struct qerr e;

	for (int i = N - 1; i >= 0; i--)
		add_policy(f->s, i, i / 2);
	memset(&v, 0, sizeof(v));
	v.ordered = true;
	assert_int_equal(store_policy_each_version(f->s, visit_policy, &v, &e),
			 0);
	assert_int_equal(v.n, N);
	assert_true(v.ordered);
	assert_int_equal(v.inner, 1); /* sha256:0000, added last, is current */
	memset(&v, 0, sizeof(v));
	v.ordered = true;
	v.stop_after = 70;
	assert_int_equal(store_policy_each_version(f->s, visit_policy, &v, &e),
			 0);
	assert_int_equal(v.n, 70);
}

static int count_user(void *arg, const struct store_user *u,
		      const char *token_hash)
{
	(*(int *)arg)++;
	return 0;
}

static int visit_user(void *arg, const struct store_user *u,
		      const char *token_hash)
{
	struct seen *v = arg;
	struct store_user got;
	struct qerr e;

	see(v, u->name);
	/* The store is free to use: a lookup, and a whole walk again. */
	if (store_user_by_token(v->s, token_hash, &got, &e) ||
	    strcmp(got.name, u->name))
		v->ordered = false;
	if (v->n == 1 && store_user_each(v->s, count_user, &v->inner, &e))
		v->ordered = false;
	return stop_now(v);
}

static void test_users(void **state)
{
	struct fx *f = *state;
	struct seen v;
	struct qerr e;

	for (int i = N - 1; i >= 0; i--) {
		struct store_user u;
		char hash[72];

		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "user%03d", i);
		snprintf(u.role, sizeof(u.role), "reviewer");
		snprintf(hash, sizeof(hash), "%064d", i);
		assert_int_equal(store_user_add(f->s, &u, hash, &e), 0);
	}
	memset(&v, 0, sizeof(v));
	v.ordered = true;
	v.s = f->s;
	assert_int_equal(store_user_each(f->s, visit_user, &v, &e), 0);
	assert_int_equal(v.n, N);
	assert_int_equal(v.inner, N);
	assert_true(v.ordered);
	memset(&v, 0, sizeof(v));
	v.ordered = true;
	v.s = f->s;
	v.stop_after = 65;
	assert_int_equal(store_user_each(f->s, visit_user, &v, &e), 0);
	assert_int_equal(v.n, 65);
}

static int visit_number(void *arg, const char *program, int year, int64_t last)
{
	struct seen *v = arg;
	char key[128];

	snprintf(key, sizeof(key), "%s %04d", program, year);
	if (last != 1000 + year)
		v->ordered = false;
	see(v, key);
	return stop_now(v);
}

static void test_numbering(void **state)
{
	struct fx *f = *state;
	struct seen v;
	struct qerr e;

	assert_int_equal(store_begin(f->s, &e), 0);
	for (int i = 0; i < N; i++) {
		char program[16];

		snprintf(program, sizeof(program), "p%02d", i / 3);
		assert_int_equal(store_app_number_set(f->s, program,
						      2023 + i % 3,
						      1000 + 2023 + i % 3, &e),
				 0);
	}
	assert_int_equal(store_commit(f->s, &e), 0);
	memset(&v, 0, sizeof(v));
	v.ordered = true;
	assert_int_equal(store_app_numbers_each(f->s, visit_number, &v, &e), 0);
	assert_int_equal(v.n, N);
	assert_true(v.ordered);
}

static int visit_contract(void *arg, const struct store_contract *c)
{
	struct seen *v = arg;

	if (strcmp(c->applicant, USCC1) || c->value != 1000 + v->n ||
	    strlen(c->number) != 70)
		v->ordered = false;
	see(v, c->app_id);
	return stop_now(v);
}

static int visit_controller(void *arg, const struct store_controller *c)
{
	struct seen *v = arg;
	char key[128];

	snprintf(key, sizeof(key), "%s %s", c->uscc, c->controller);
	see(v, key);
	return stop_now(v);
}

static int visit_listing(void *arg, const struct store_listing *l)
{
	struct seen *v = arg;
	char key[128];

	snprintf(key, sizeof(key), "%s %s", l->list, l->uscc);
	see(v, key);
	return stop_now(v);
}

static void test_screens(void **state)
{
	struct fx *f = *state;
	struct seen v[3];
	struct qerr e;

	for (int i = N - 1; i >= 0; i--) {
		char id[16], number[80];
		struct store_contract c = {id,	   "walk",   USCC1,    USCC2,
					   number, 1000 + i, 20000 + i};
		struct store_controller k;
		struct store_listing l;

		snprintf(id, sizeof(id), "A%03d", i);
		/* a number longer than a contract row holds: kept whole */
		snprintf(number, sizeof(number), "%070d", i);
		assert_int_equal(store_contract_add(f->s, &c, &e), 0);
		memset(&k, 0, sizeof(k));
		snprintf(k.uscc, sizeof(k.uscc), "%s", i % 2 ? USCC1 : USCC2);
		snprintf(k.controller, sizeof(k.controller), "K%03d", i);
		assert_int_equal(store_controller_add(f->s, &k, &e), 0);
		memset(&l, 0, sizeof(l));
		snprintf(l.list, sizeof(l.list), "%s",
			 i % 2 ? "dishonest" : "restricted");
		snprintf(l.uscc, sizeof(l.uscc), "9131000000000%04u",
			 (unsigned)i % 10000);
		assert_int_equal(store_listing_add(f->s, &l, &e), 0);
	}
	memset(v, 0, sizeof(v));
	for (int i = 0; i < 3; i++)
		v[i].ordered = true;
	assert_int_equal(
		store_screens_each(f->s, visit_contract, NULL, NULL, &v[0], &e),
		0);
	assert_int_equal(store_screens_each(f->s, NULL, visit_controller, NULL,
					    &v[1], &e),
			 0);
	assert_int_equal(
		store_screens_each(f->s, NULL, NULL, visit_listing, &v[2], &e),
		0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(v[i].n, N);
		assert_true(v[i].ordered);
	}
	/* A stop ends the whole walk. */
	memset(v, 0, sizeof(v));
	v[0].stop_after = 100;
	assert_int_equal(store_screens_each(f->s, visit_contract, NULL,
					    visit_listing, &v[0], &e),
			 0);
	assert_int_equal(v[0].n, 100);
}

static int visit_app(void *arg, const struct store_app *a)
{
	struct seen *v = arg;
	struct store_app got;
	struct qerr e;

	/* newest first: seq going down */
	if (v->n && a->seq >= atoll(v->last))
		v->ordered = false;
	snprintf(v->last, sizeof(v->last), "%lld", (long long)a->seq);
	v->n++;
	if (v->s && (store_app_get(v->s, a->id, &got, &e) || got.seq != a->seq))
		v->ordered = false;
	if (v->s)
		store_app_release(&got);
	return stop_now(v);
}

static int list(struct store *s, const char *program, int st, const char *uscc,
		int64_t before, long limit, int stop_after)
{
	struct store_app_filter flt = {program, st, uscc, before, limit};
	struct seen v;
	struct qerr e;

	memset(&v, 0, sizeof(v));
	v.ordered = true;
	v.s = s;
	v.stop_after = stop_after;
	assert_int_equal(store_app_list(s, &flt, visit_app, &v, &e), 0);
	assert_true(v.ordered);
	return v.n;
}

static void test_app_list(void **state)
{
	struct fx *f = *state;
	struct qerr e;

	add_policy(f->s, 1, 1);
	assert_int_equal(store_begin(f->s, &e), 0);
	for (int i = 0; i < N; i++) {
		struct store_app a;

		memset(&a, 0, sizeof(a));
		snprintf(a.id, sizeof(a.id), "W-%03d", i);
		snprintf(a.program, sizeof(a.program), "%s",
			 i % 2 ? "walk" : "other");
		snprintf(a.measure, sizeof(a.measure), "m");
		snprintf(a.uscc, sizeof(a.uscc), "%s", i % 3 ? USCC1 : USCC2);
		snprintf(a.policy_hash, sizeof(a.policy_hash), "sha256:0001");
		a.state = i % 5 ? APP_WAITLISTED : APP_RESERVED;
		a.fiscal_year = 2025;
		assert_int_equal(store_app_insert(f->s, &a, &e), 0);
		assert_int_equal(a.seq, i + 1);
	}
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(list(f->s, NULL, -1, NULL, 0, 1000, 0), N);
	assert_int_equal(list(f->s, NULL, -1, NULL, 0, 0, 0), 100);
	assert_int_equal(list(f->s, NULL, -1, NULL, 0, 70, 0), 70);
	assert_int_equal(list(f->s, NULL, -1, NULL, 101, 1000, 0), 100);
	assert_int_equal(list(f->s, NULL, -1, NULL, 0, 1000, 66), 66);
	assert_int_equal(list(f->s, "walk", -1, NULL, 0, 1000, 0), N / 2);
	assert_int_equal(list(f->s, NULL, APP_RESERVED, NULL, 0, 1000, 0),
			 N / 5);
	assert_int_equal(list(f->s, NULL, -1, USCC2, 0, 1000, 0), N / 3);
	/* odd i, not a multiple of 5 nor of 3 */
	assert_int_equal(list(f->s, "walk", APP_WAITLISTED, USCC1, 0, 1000, 0),
			 40);
}

/* ---- migration 7 ------------------------------------------------------------ */

static const char *has_index(const struct fx *f)
{
	return f->db.pg ? "SELECT count(*) FROM pg_class WHERE relname = "
			  "'policies_program'"
			: "SELECT count(*) FROM sqlite_master WHERE name = "
			  "'policies_program'";
}

/* What migrations 8, 9, 13, 14, 15, 17, 19 and 20 added, taken away again
 * (15's triggers: UNDO_15_*). */
#define UNDO_8_9                                                               \
	"DROP TABLE pay_items; DROP TABLE pay_batches; "                       \
	"DROP TABLE generation; DROP INDEX applications_waiting; "             \
	"CREATE INDEX applications_state_measure ON applications "             \
	"(program, state, measure, fiscal_year); "                             \
	"DROP TABLE sessions; ALTER TABLE users DROP COLUMN password_hash; "   \
	"ALTER TABLE users DROP COLUMN token_expires_at; "                     \
	"ALTER TABLE users DROP COLUMN disabled; "                             \
	"DROP TABLE objections; DROP TABLE notice_awards; "                    \
	"DROP TABLE notices; DROP TABLE idempotency_keys; "                    \
	"DROP TABLE app_tallies; DROP TABLE account_tallies; "                 \
	"DROP TABLE app_documents; DROP TABLE documents; "                     \
	"DROP TABLE app_grams; DROP INDEX applications_received; "             \
	"DROP INDEX applications_requested; "                                  \
	"DROP INDEX applications_uscc_keys; "

/* Migration 15's triggers, which outlive the tables they write to. */
#define UNDO_15_SQLITE                                                         \
	"DROP TRIGGER app_tallies_insert; DROP TRIGGER app_tallies_update; "   \
	"DROP TRIGGER app_tallies_delete; DROP TRIGGER "                       \
	"account_tallies_insert; DROP TRIGGER account_tallies_update; "
#define UNDO_15_PG                                                             \
	"SET client_min_messages = warning; DROP FUNCTION quan_app_tally "     \
	"CASCADE; DROP FUNCTION "                                              \
	"quan_account_tally CASCADE; "

/* An office of schema 6 loses the indexes no query used, and nothing
 * else. */
static void test_migrate_7(void **state)
{
	struct fx *f = *state;
	char got[16], why[256], hash[80];
	struct qerr e;

	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	assert_int_equal(testdb_text(&f->db, has_index(f), got, sizeof(got)),
			 0);
	assert_string_equal(got, "0");
	add_policy(f->s, 7, 7);
	store_close(f->s);
	f->s = NULL;
	if (testdb_exec(&f->db,
			f->db.pg ? "CREATE INDEX policies_program ON policies "
				   "(program); " UNDO_8_9 UNDO_15_PG
				   "UPDATE schema_version SET "
				   "version = 6"
				 : "CREATE INDEX policies_program ON policies "
				   "(program); " UNDO_8_9 UNDO_15_SQLITE
				   "PRAGMA user_version = 6",
			why, sizeof(why)))
		fail_msg("back to schema 6: %s", why);
	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	assert_int_equal(testdb_text(&f->db, has_index(f), got, sizeof(got)),
			 0);
	assert_string_equal(got, "0");
	/* Migration 18 made applications_uscc_c on PostgreSQL, and 21 took
	 * it away again (applications_uscc_keys serves its reads). */
	assert_int_equal(
		testdb_text(&f->db,
			    f->db.pg ? "SELECT count(*) FROM pg_class WHERE "
				       "relname = 'applications_uscc_c'"
				     : "SELECT count(*) FROM sqlite_master "
				       "WHERE name = 'applications_uscc_c'",
			    got, sizeof(got)),
		0);
	assert_string_equal(got, "0");
	assert_int_equal(
		store_policy_current(f->s, "walk", hash, NULL, NULL, &e), 0);
	assert_string_equal(hash, "sha256:0007");
}

/* ---- the SQLite checkpointer ------------------------------------------------- */

#define CK_COMMITS 200 /* of about 50 pages each: 40 MB of log in all */

static long long file_size(const char *path, const char *suffix)
{
	char f[500];
	struct stat st;

	snprintf(f, sizeof(f), "%s%s", path, suffix);
	return stat(f, &st) ? -1 : (long long)st.st_size;
}

/* On a SQLite file, the writer's commits leave checkpoints to the
 * checkpointer: the log stays within a few thousand pages though 10 000
 * were written, is truncated once the writer is idle, and every commit is
 * in the database after close. */
static void test_checkpointer(void **state)
{
	struct testdb db;
	struct drv *d;
	struct qerr e;
	char got[32];
	long long wal, most = 0;
	int i;

	(void)state;
	if (testdb_is_pg()) {
		skip();
		return;
	}
	assert_int_equal(testdb_create(&db), 0);
	assert_int_equal(drv_sqlite.open(db.url, 1, &d, &e), 0);
	assert_int_equal(drv_sqlite.exec(d, "CREATE TABLE t (b BLOB NOT NULL)",
					 "creating", &e),
			 0);
	for (i = 0; i < CK_COMMITS; i++) {
		assert_int_equal(drv_sqlite.begin_write(d, &e), 0);
		assert_int_equal(
			drv_sqlite.exec(
				d,
				"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
				"SELECT x + 1 FROM c WHERE x < 50) INSERT "
				"INTO t (b) SELECT randomblob(3000) FROM c",
				"inserting", &e),
			0);
		assert_int_equal(drv_sqlite.commit(d, &e), 0);
		wal = file_size(db.url, "-wal");
		if (wal > most)
			most = wal;
	}
	/* 1 000 pages wake the checkpointer, 4 000 make the writer wait for
	 * it: without it the log would hold all 10 000 (41 MB). */
	assert_true(most > 0);
	print_message("largest log after a commit: %lld bytes\n", most);
	assert_true(most < 5000LL * 4120);
	/* Idle for a second: the log is truncated. */
	for (i = 0; i < 50 && file_size(db.url, "-wal") != 0; i++)
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	assert_int_equal(file_size(db.url, "-wal"), 0);
	/* The writer still writes after a truncation. */
	assert_int_equal(drv_sqlite.begin_write(d, &e), 0);
	assert_int_equal(drv_sqlite.exec(d, "INSERT INTO t VALUES (x'00')",
					 "inserting", &e),
			 0);
	assert_int_equal(drv_sqlite.commit(d, &e), 0);
	drv_sqlite.close(d);
	assert_int_equal(
		testdb_text(&db, "SELECT count(*) FROM t", got, sizeof(got)),
		0);
	assert_string_equal(got, "10001");
	testdb_drop(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statement_table),
		cmocka_unit_test_setup_teardown(test_policy_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbering, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_screens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_7, setup,
						teardown),
		cmocka_unit_test(test_checkpointer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
