/*
 * test_store.c - the store (src/store/) on a fresh database: a SQLite file,
 * or a PostgreSQL database when QUAN_TEST_DB names a server (testdb.h):
 * migrations, policy versions, applications, the office's numbering and
 * the applicants' references, the applicant's year, the ledger's storage
 * (and the ledger running on it), transactions, and the audit chain,
 * tampered with behind the store's back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "store/sql.h"
#include "store/audit.h"
#include "store/copy.h"
#include "store/store.h"
#include "testdb.h"

#define HASH_A "sha256:aaaa"
#define HASH_B "sha256:bbbb"
#define USCC1 "91310115MA1K4ABCDD"
#define USCC2 "91310104MA1FR5T2K1"

/* One test's database, removed afterwards. */
struct fx {
	struct testdb db;
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct qerr e;

	if (!f)
		return -1;
	if (testdb_create(&f->db)) {
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

/* Run SQL on the database behind the store's back, as an intruder would. */
static void raw(struct fx *f, const char *sql)
{
	char why[256];

	if (testdb_exec(&f->db, sql, why, sizeof(why)))
		fail_msg("raw: %s: %s", sql, why);
}

/* The first column of the first row of sql, as text, on a separate
 * connection. */
static void raw_text(struct fx *f, const char *sql, char *out, size_t cap)
{
	assert_int_equal(testdb_text(&f->db, sql, out, cap), 0);
}

/* sql on one back end or the other. */
static const char *either(struct fx *f, const char *sqlite, const char *pg)
{
	return f->db.pg ? pg : sqlite;
}

static void add_policy(struct store *s, const char *program, const char *hash,
		       const char *text, int64_t now, bool want_new)
{
	struct qerr e;
	bool is_new = !want_new;

	assert_int_equal(store_policy_add(s, program, hash, "p.yaml", text,
					  strlen(text), now, &is_new, &e),
			 0);
	assert_int_equal(is_new, want_new);
}

/* A decimal number written by the database, or -1. */
static int atoi_strict(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v < 1000 ? (int)v : -1;
}

/* Every write transaction adds one to the generation as it begins; one
 * rolled back leaves it as it was. */
static void test_generation(void **state)
{
	struct fx *f = *state;
	struct qerr e;
	int64_t g0;

	assert_int_equal(store_begin(f->s, &e), 0);
	g0 = store_generation(f->s);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_generation(f->s), g0 + 1);
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_generation(f->s), g0 + 1);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_generation(f->s), g0 + 2);
	assert_int_equal(store_commit(f->s, &e), 0);
}

static struct store_app app(const char *id, const char *uscc, int state,
			    int year, money_t requested, money_t value,
			    bool compute)
{
	struct store_app a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.program, sizeof(a.program), "shanghai-2025");
	snprintf(a.measure, sizeof(a.measure), "compute-rent");
	snprintf(a.uscc, sizeof(a.uscc), "%s", uscc);
	snprintf(a.policy_hash, sizeof(a.policy_hash), HASH_A);
	a.state = state;
	a.fiscal_year = year;
	a.requested = requested;
	a.contract_value = value;
	a.compute = compute;
	a.received_at = 1756692000;
	a.updated_at = 1756692000;
	return a;
}

static void insert(struct store *s, struct store_app a)
{
	struct qerr e;

	a.json = "{\"id\":1}";
	a.decision = "{\"eligible\":true}";
	if (store_app_insert(s, &a, &e))
		fail_msg("insert '%s': %s", a.id, e.msg);
}

/* ---- opening ---------------------------------------------------------------- */

static void test_open_migrate(void **state)
{
	struct fx *f = *state;
	struct store *s2 = NULL;
	char url[480], mode[16];
	struct qerr e;

	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	assert_string_equal(store_backend(f->s),
			    either(f, "sqlite", "postgres"));
	store_close(f->s);
	f->s = NULL;
	/* Again (SQLite: through a "sqlite:" URL): nothing to migrate. */
	snprintf(url, sizeof(url), "%s%s",
		 f->db.pg ? "" : "sqlite:", f->db.url);
	assert_int_equal(store_open(url, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	raw_text(f,
		 either(f, "PRAGMA user_version",
			"SELECT version FROM schema_version"),
		 mode, sizeof(mode));
	assert_int_equal(atoi_strict(mode), SQL_SCHEMA_VERSION);
	if (!f->db.pg) {
		raw_text(f, "PRAGMA journal_mode", mode, sizeof(mode));
		assert_string_equal(mode, "wal");
	}

	/* Two stores on one database at once. */
	assert_int_equal(store_open(f->db.url, &s2, &e), 0);
	assert_int_equal(store_schema_version(s2), SQL_SCHEMA_VERSION);
	store_close(s2);

	/* A database from a newer quan is refused, not clobbered. */
	store_close(f->s);
	f->s = NULL;
	raw(f, either(f, "PRAGMA user_version = 99",
		      "UPDATE schema_version SET version = 99"));
	assert_int_equal(store_open(f->db.url, &s2, &e), Q_ERR_IO);
	assert_null(s2);
	assert_non_null(strstr(e.msg, "version 99 is newer"));
	/* A database of schema 1 is migrated to 8 when opened: each
	 * migration runs once, in order. */
	raw(f, "DROP TABLE generation");
	raw(f, "DROP TABLE app_numbers");
	raw(f, "DROP INDEX applications_waiting");
	raw(f, "CREATE INDEX applications_state_measure ON applications "
	       "(program, state, measure, fiscal_year)");
	raw(f, "DROP INDEX applications_client_ref");
	raw(f, "ALTER TABLE applications DROP COLUMN client_ref");
	raw(f, "ALTER TABLE applications RENAME COLUMN received_at TO "
	       "submitted_at");
	raw(f, "DROP INDEX applications_program_seq");
	raw(f, "DROP TABLE idempotency_keys");
	raw(f, either(f,
		      "DROP TRIGGER app_tallies_insert; DROP TRIGGER "
		      "app_tallies_update; DROP TRIGGER app_tallies_delete; "
		      "DROP TRIGGER account_tallies_insert; DROP TRIGGER "
		      "account_tallies_update",
		      "SET client_min_messages = warning; DROP FUNCTION "
		      "quan_app_tally CASCADE; DROP FUNCTION "
		      "quan_account_tally CASCADE"));
	raw(f, "DROP TABLE app_documents");
	raw(f, "DROP TABLE documents");
	raw(f, "DROP TABLE app_grams");
	raw(f, "DROP INDEX applications_received");
	raw(f, "DROP INDEX applications_uscc_keys");
	raw(f, "DROP INDEX applications_requested");
	raw(f, "DROP TABLE app_tallies");
	raw(f, "DROP TABLE account_tallies");
	raw(f, "DROP TABLE pay_items");
	raw(f, "DROP TABLE pay_batches");
	raw(f, "DROP TABLE objections");
	raw(f, "DROP TABLE notice_awards");
	raw(f, "DROP TABLE notices");
	raw(f, "DROP TABLE sessions");
	raw(f, "DROP TABLE users");
	raw(f, "DROP INDEX events_subject");
	raw(f, "DROP INDEX IF EXISTS applications_uscc_seq");
	raw(f, "ALTER TABLE applications DROP COLUMN approved_by");
	raw(f, "DROP INDEX applications_state_measure");
	raw(f, "DROP TABLE contracts");
	raw(f, "DROP TABLE controllers");
	raw(f, "DROP TABLE listings");
	raw(f, either(f, "PRAGMA user_version = 1",
		      "UPDATE schema_version SET version = 1"));
	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	raw_text(f,
		 either(f,
			"SELECT count(*) FROM sqlite_master WHERE name IN "
			"('applications_program_seq', 'users', "
			"'events_subject', 'applications_uscc_seq', "
			"'applications_waiting', 'contracts', "
			"'controllers', 'listings', 'applications_client_ref', "
			"'app_numbers')",
			"SELECT count(*) FROM pg_class WHERE relname IN "
			"('applications_program_seq', 'users', "
			"'events_subject', 'applications_uscc_seq', "
			"'applications_waiting', 'contracts', "
			"'controllers', 'listings', 'applications_client_ref', "
			"'app_numbers')"),
		 mode, sizeof(mode));
	/* Migration 22 drops applications_uscc_seq on SQLite. */
	assert_string_equal(mode, f->db.pg ? "10" : "9");
	raw_text(
		f,
		either(f,
		       "SELECT count(*) FROM pragma_table_info('applications') "
		       "WHERE name IN ('approved_by', 'received_at', "
		       "'client_ref')",
		       "SELECT count(*) FROM information_schema.columns WHERE "
		       "table_name = 'applications' AND "
		       "column_name IN ('approved_by', 'received_at', "
		       "'client_ref')"),
		mode, sizeof(mode));
	assert_string_equal(mode, "3");

	assert_int_equal(store_open(":memory:", &s2, &e), 0);
	assert_int_equal(store_schema_version(s2), SQL_SCHEMA_VERSION);
	store_close(s2);
	assert_int_equal(store_open("postgres:x", &s2, &e), Q_ERR_INVALID);
	assert_int_equal(store_open("sqlite:", &s2, &e), Q_ERR_INVALID);
	assert_int_equal(store_open("/nonexistent-dir/x/quan.db", &s2, &e),
			 Q_ERR_IO);
	assert_non_null(strstr(e.msg, "sqlite: opening"));
	/* No server there: an error at once, not a hang. */
	assert_int_equal(store_open("postgres://quan@127.0.0.1:1/x", &s2, &e),
			 Q_ERR_IO);
	assert_null(s2);
	assert_non_null(strstr(e.msg, "postgres: connecting"));
}

/* ---- policies --------------------------------------------------------------- */

static int count_program(void *arg, const char *program, const char *hash)
{
	char *seen = arg;
	size_t n = strlen(seen);

	snprintf(seen + n, 256 - n, "%s=%s;", program, hash);
	return 0;
}

static void test_policies(void **state)
{
	struct fx *f = *state;
	char hash[POLICY_HASH_TEXT] = "";
	char seen[256] = "";
	char *text = NULL;
	size_t len = 0;
	bool is_new;
	struct qerr e;

	assert_int_equal(store_policy_current(f->s, "shanghai-2025", hash,
					      &text, &len, &e),
			 Q_ERR_UNKNOWN_PROGRAM);
	add_policy(f->s, "shanghai-2025", HASH_A, "version: a\n", 100, true);
	assert_int_equal(store_policy_current(f->s, "shanghai-2025", hash,
					      &text, &len, &e),
			 0);
	assert_string_equal(hash, HASH_A);
	assert_string_equal(text, "version: a\n");
	assert_int_equal(len, 11);
	free(text);

	/* A new version becomes current; the old text stays readable. */
	add_policy(f->s, "shanghai-2025", HASH_B, "version: b\n", 200, true);
	assert_int_equal(store_policy_current(f->s, "shanghai-2025", hash, NULL,
					      NULL, &e),
			 0);
	assert_string_equal(hash, HASH_B);
	assert_int_equal(store_policy_text(f->s, HASH_A, &text, &len, &e), 0);
	assert_string_equal(text, "version: a\n");
	free(text);
	assert_int_equal(
		store_policy_text(f->s, "sha256:none", &text, &len, &e),
		Q_ERR_INVALID);
	assert_null(text);

	/* Loading the old file again is not new, and makes it current. */
	add_policy(f->s, "shanghai-2025", HASH_A, "version: a\n", 300, false);
	assert_int_equal(store_policy_current(f->s, "shanghai-2025", hash, NULL,
					      NULL, &e),
			 0);
	assert_string_equal(hash, HASH_A);

	/* The same hash claimed by another program is refused. */
	assert_int_equal(store_policy_add(f->s, "beijing-2025", HASH_A, "p",
					  "x", 1, 400, &is_new, &e),
			 Q_ERR_INVALID);
	assert_false(is_new);

	/* Bytes are kept exactly, NUL included. */
	assert_int_equal(store_policy_add(f->s, "beijing-2025", "sha256:cc",
					  "p", "a\0b", 3, 400, &is_new, &e),
			 0);
	assert_true(is_new);
	assert_int_equal(store_policy_text(f->s, "sha256:cc", &text, &len, &e),
			 0);
	assert_int_equal(len, 3);
	assert_memory_equal(text, "a\0b", 3);
	free(text);

	assert_int_equal(store_programs_each(f->s, count_program, seen, &e), 0);
	assert_string_equal(seen, "beijing-2025=sha256:cc;"
				  "shanghai-2025=" HASH_A ";");
}

/* ---- applications ------------------------------------------------------------ */

struct visit {
	char ids[512];
	int n, stop_after;
	struct store *s; /* when set, the visitor updates what it sees */
};

static int visit_app(void *arg, const struct store_app *a)
{
	struct visit *v = arg;
	size_t n = strlen(v->ids);

	if (n < 400)
		snprintf(v->ids + n, sizeof(v->ids) - n, "%s,", a->id);
	v->n++;
	if (v->s) {
		struct store_app u = *a;
		struct qerr e;

		u.state = APP_REJECTED;
		assert_int_equal(store_app_update(v->s, &u, &e), 0);
	}
	return v->stop_after && v->n >= v->stop_after;
}

static void test_apps(void **state)
{
	struct fx *f = *state;
	struct store_app a =
		app("A-1", USCC1, APP_RESERVED, 2025, 100, 1000, true);
	struct store_app got;
	struct visit v;
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	a.json = "{\"id\":\"A-1\"}";
	a.decision = NULL;
	assert_int_equal(store_app_insert(f->s, &a, &e), 0);
	assert_int_equal(a.seq, 1);
	insert(f->s, app("A-2", USCC2, APP_WAITLISTED, 2025, 200, 2000, false));
	insert(f->s, app("A-3", USCC1, APP_WAITLISTED, 2025, 300, 3000, true));

	/* Someone is waitlisted for compute-rent in 2025, nobody in 2026,
	 * nobody for model; reserved is a state too. */
	{
		bool any = false;

		assert_int_equal(store_app_any_before(f->s, "shanghai-2025",
						      "compute-rent", 2025,
						      APP_WAITLISTED, INT64_MAX,
						      &any, &e),
				 0);
		assert_true(any);
		assert_int_equal(store_app_any_before(f->s, "shanghai-2025",
						      "compute-rent", 2026,
						      APP_WAITLISTED, INT64_MAX,
						      &any, &e),
				 0);
		assert_false(any);
		assert_int_equal(store_app_any_before(
					 f->s, "shanghai-2025", "model", 2025,
					 APP_WAITLISTED, INT64_MAX, &any, &e),
				 0);
		assert_false(any);
		/* In the order of receipt: the waiting ones were received at
		 * 1756692000; nobody received a second before waits. */
		assert_int_equal(store_app_any_before(f->s, "shanghai-2025",
						      "compute-rent", 2025,
						      APP_WAITLISTED,
						      1756691999, &any, &e),
				 0);
		assert_false(any);
		assert_int_equal(store_app_any_before(f->s, "shanghai-2025",
						      "compute-rent", 2025,
						      APP_WAITLISTED,
						      1756692000, &any, &e),
				 0);
		assert_true(any);
		assert_int_equal(store_app_any_before(f->s, "hangzhou-2024",
						      "compute-rent", 2025,
						      APP_RESERVED, INT64_MAX,
						      &any, &e),
				 0);
		assert_false(any);
		assert_int_equal(store_app_any_before(f->s, "shanghai-2025",
						      "compute-rent", 2025,
						      APP_RESERVED, INT64_MAX,
						      &any, &e),
				 0);
		assert_true(any);
	}

	/* A duplicate id is refused, and changes nothing. */
	a.requested = 999;
	assert_int_equal(store_app_insert(f->s, &a, &e), Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "'A-1' already exists"));

	assert_int_equal(store_app_get(f->s, "A-1", &got, &e), 0);
	assert_string_equal(got.id, "A-1");
	assert_string_equal(got.program, "shanghai-2025");
	assert_string_equal(got.measure, "compute-rent");
	assert_string_equal(got.uscc, USCC1);
	assert_string_equal(got.policy_hash, HASH_A);
	assert_int_equal(got.state, APP_RESERVED);
	assert_int_equal(got.seq, 1);
	assert_int_equal(got.fiscal_year, 2025);
	assert_int_equal(got.requested, 100);
	assert_int_equal(got.contract_value, 1000);
	assert_true(got.compute);
	assert_int_equal(got.received_at, 1756692000);
	assert_string_equal(got.client_ref, "");
	assert_string_equal(got.json, "{\"id\":\"A-1\"}");
	assert_null(got.decision);
	store_app_release(&got);
	/* None: Q_NONE, not an error, e untouched. */
	qerr_clear(&e);
	assert_int_equal(store_app_get(f->s, "A-9", &got, &e), Q_NONE);
	assert_int_equal(e.code, 0);
	assert_string_equal(got.id, "");
	assert_null(got.json);

	/* The mutable part is written back. */
	a.state = APP_AWARDED;
	a.awarded = 90;
	a.paid = 50;
	a.recovered = 5;
	snprintf(a.approver, sizeof(a.approver), "wang");
	a.updated_at = 1756700000;
	a.requested = 90; /* a pro-rata round scales it */
	assert_int_equal(store_app_update(f->s, &a, &e), 0);
	assert_int_equal(store_app_get(f->s, "A-1", &got, &e), 0);
	assert_int_equal(got.state, APP_AWARDED);
	assert_int_equal(got.awarded, 90);
	assert_int_equal(got.paid, 50);
	assert_int_equal(got.recovered, 5);
	assert_string_equal(got.approver, "wang");
	assert_int_equal(got.updated_at, 1756700000);
	assert_int_equal(got.requested, 90);
	store_app_release(&got);
	snprintf(a.id, sizeof(a.id), "A-9");
	assert_int_equal(store_app_update(f->s, &a, &e), Q_ERR_INVALID);

	/* In arrival order, filtered by program and state. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_app_each(f->s, NULL, -1, visit_app, &v, &e), 0);
	assert_string_equal(v.ids, "A-1,A-2,A-3,");
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_app_each(f->s, "shanghai-2025", APP_WAITLISTED,
					visit_app, &v, &e),
			 0);
	assert_string_equal(v.ids, "A-2,A-3,");
	memset(&v, 0, sizeof(v));
	assert_int_equal(
		store_app_each(f->s, NULL, APP_AWARDED, visit_app, &v, &e), 0);
	assert_string_equal(v.ids, "A-1,");
	memset(&v, 0, sizeof(v));
	assert_int_equal(store_app_each(f->s, "beijing", -1, visit_app, &v, &e),
			 0);
	assert_int_equal(v.n, 0);
	memset(&v, 0, sizeof(v));
	v.stop_after = 2;
	assert_int_equal(store_app_each(f->s, NULL, -1, visit_app, &v, &e), 0);
	assert_string_equal(v.ids, "A-1,A-2,");
	assert_string_equal(app_state_name(APP_WAITLISTED), "waitlisted");
	assert_string_equal(app_state_name(APP__STATE_COUNT), "unknown");

	/* An application under an unknown policy version is refused. */
	a = app("A-4", USCC1, APP_RESERVED, 2025, 1, 1, false);
	snprintf(a.policy_hash, sizeof(a.policy_hash), "sha256:none");
	assert_int_equal(store_app_insert(f->s, &a, &e), Q_ERR_IO);
	assert_non_null(strcasestr(e.msg, "foreign key"));
}

/* More than a page of rows, a visitor that writes while visiting, and a
 * visitor that stops in the second page. */
static void test_apps_many(void **state)
{
	struct fx *f = *state;
	struct visit v;
	struct qerr e;
	char id[16];

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	assert_int_equal(store_begin(f->s, &e), 0);
	for (int i = 1; i <= 150; i++) {
		snprintf(id, sizeof(id), "M-%03d", i);
		insert(f->s, app(id, USCC1, APP_WAITLISTED, 2025, i, i, false));
	}
	assert_int_equal(store_commit(f->s, &e), 0);

	memset(&v, 0, sizeof(v));
	v.stop_after = 70;
	assert_int_equal(
		store_app_each(f->s, NULL, APP_WAITLISTED, visit_app, &v, &e),
		0);
	assert_int_equal(v.n, 70);

	/* Each visited application is rejected as it is seen. */
	memset(&v, 0, sizeof(v));
	v.s = f->s;
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_app_each(f->s, "shanghai-2025", APP_WAITLISTED,
					visit_app, &v, &e),
			 0);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(v.n, 150);
	assert_int_equal(strncmp(v.ids, "M-001,M-002,M-003,", 18), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(
		store_app_each(f->s, NULL, APP_REJECTED, visit_app, &v, &e), 0);
	assert_int_equal(v.n, 150);
}

static void test_applicant_year(void **state)
{
	struct fx *f = *state;
	struct store_app a;
	money_t awarded = -1, compute = -1;
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	insert(f->s, app("Y-1", USCC1, APP_RESERVED, 2025, 100, 1000, true));
	a = app("Y-2", USCC1, APP_AWARDED, 2025, 200, 2000, true);
	a.awarded = 150; /* approved at a lower amount */
	insert(f->s, a);
	insert(f->s, app("Y-3", USCC1, APP_WAITLISTED, 2025, 400, 4000, false));
	insert(f->s, app("Y-4", USCC1, APP_REJECTED, 2025, 800, 8000, false));
	insert(f->s, app("Y-5", USCC1, APP_RESERVED, 2024, 1600, 16000, true));
	insert(f->s, app("Y-6", USCC2, APP_RESERVED, 2025, 3200, 32000, true));
	a = app("Y-7", USCC1, APP_RESERVED, 2025, 6400, 64000, true);
	snprintf(a.program, sizeof(a.program), "beijing-2025");
	insert(f->s, a);
	/* Another measure of the same program: its own yearly cap, but its
	 * compute contract counts among the year's contracts. */
	a = app("Y-8", USCC1, APP_AWARDED, 2025, 12800, 128000, true);
	snprintf(a.measure, sizeof(a.measure), "compute-build");
	a.awarded = 12800;
	insert(f->s, a);
	a = app("Y-9", USCC1, APP_RESERVED, 2025, 25600, 256000, false);
	snprintf(a.measure, sizeof(a.measure), "model");
	insert(f->s, a);

	assert_int_equal(store_applicant_year(f->s, "shanghai-2025",
					      "compute-rent", USCC1, 2025, NULL,
					      &awarded, &compute, &e),
			 0);
	/* reserved + awarded + waitlisted (it may still be served) */
	assert_int_equal(awarded, 100 + 150 + 400);
	assert_int_equal(compute, 1000 + 2000 + 128000);
	assert_int_equal(store_applicant_year(f->s, "shanghai-2025",
					      "compute-rent", USCC1, 2025,
					      "Y-1", &awarded, &compute, &e),
			 0);
	assert_int_equal(awarded, 150 + 400);
	assert_int_equal(compute, 2000 + 128000);
	assert_int_equal(store_applicant_year(f->s, "shanghai-2025", "model",
					      USCC1, 2025, NULL, &awarded,
					      &compute, &e),
			 0);
	assert_int_equal(awarded, 25600);
	assert_int_equal(compute, 1000 + 2000 + 128000);
	assert_int_equal(store_applicant_year(f->s, "shanghai-2025",
					      "compute-rent", USCC2, 2024, NULL,
					      &awarded, &compute, &e),
			 0);
	assert_int_equal(awarded, 0);
	assert_int_equal(compute, 0);
}

/* ---- the office's numbering and the applicant's reference ------------------- */

static int64_t number(struct store *s, const char *program, int year)
{
	int64_t n = -1;
	struct qerr e;

	if (store_app_number(s, program, year, &n, &e))
		fail_msg("store_app_number(%s, %d): %s", program, year, e.msg);
	return n;
}

static int list_number(void *arg, const char *program, int year, int64_t last)
{
	char *seen = arg;
	size_t n = strlen(seen);

	snprintf(seen + n, 512 - n, "%s/%d=%lld;", program, year,
		 (long long)last);
	return 0;
}

static void test_app_numbers(void **state)
{
	struct fx *f = *state;
	char seen[512] = "", longname[80];
	int64_t n = -1;
	struct qerr e;

	/* Outside a transaction a number would outlive its application. */
	assert_int_equal(store_app_number(f->s, "shanghai-2025", 2025, &n, &e),
			 Q_ERR_INVALID);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "only inside a write transaction"));

	/* 1, 2, 3 ... per program and fiscal year, each on its own. */
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 2);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 3);
	assert_int_equal(number(f->s, "hangzhou-2024", 2025), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2026), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2024), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 4);
	assert_int_equal(number(f->s, "hangzhou-2024", 2025), 2);
	assert_int_equal(number(f->s, "shanghai-2025", 2026), 2);
	assert_int_equal(store_commit(f->s, &e), 0);

	/* A rolled back transaction gives its numbers back. */
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 5);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 6);
	assert_int_equal(number(f->s, "beijing-2023", 2025), 1);
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 5);
	assert_int_equal(number(f->s, "beijing-2023", 2025), 1);

	/* So does a rolled back savepoint, and only its own (group commit:
	 * the items before and after it keep theirs). */
	assert_int_equal(store_savepoint(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 6);
	assert_int_equal(number(f->s, "chengdu-2025", 2025), 1);
	store_savepoint_rollback(f->s);
	assert_int_equal(store_savepoint(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 6);
	assert_int_equal(store_savepoint_release(f->s, &e), 0);
	assert_int_equal(store_savepoint(f->s, &e), 0);
	assert_int_equal(number(f->s, "chengdu-2025", 2025), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 7);
	store_savepoint_rollback(f->s);
	assert_int_equal(store_commit(f->s, &e), 0);

	/* Durable: a reopened store goes on where it stopped. */
	store_close(f->s);
	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 7);
	assert_int_equal(number(f->s, "chengdu-2025", 2025), 1);

	/* The setter raises the last number given, never lowers it. */
	assert_int_equal(
		store_app_number_set(f->s, "shanghai-2025", 2025, 3, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 8);
	assert_int_equal(
		store_app_number_set(f->s, "shanghai-2025", 2025, 100, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 101);
	assert_int_equal(store_app_number_set(f->s, "wuhan-2025", 2025, 41, &e),
			 0);
	assert_int_equal(number(f->s, "wuhan-2025", 2025), 42);

	/* What cannot be numbered, refused before the database sees it (the
	 * transaction goes on). */
	memset(longname, 'x', 64);
	longname[64] = '\0';
	assert_int_equal(store_app_number(f->s, "", 2025, &n, &e),
			 Q_ERR_INVALID);
	assert_int_equal(store_app_number(f->s, longname, 2025, &n, &e),
			 Q_ERR_INVALID);
	assert_int_equal(store_app_number(f->s, "shanghai-2025", 0, &n, &e),
			 Q_ERR_INVALID);
	assert_int_equal(store_app_number(f->s, "shanghai-2025", 10000, &n, &e),
			 Q_ERR_INVALID);
	assert_int_equal(
		store_app_number_set(f->s, "shanghai-2025", 2025, 0, &e),
		Q_ERR_INVALID);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 102);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(
		store_app_number_set(f->s, "shanghai-2025", 2025, 500, &e),
		Q_ERR_INVALID);

	/* The whole numbering, in program and year order. */
	assert_int_equal(store_app_numbers_each(f->s, list_number, seen, &e),
			 0);
	assert_string_equal(seen, "beijing-2023/2025=1;chengdu-2025/2025=1;"
				  "hangzhou-2024/2025=2;shanghai-2025/2024=1;"
				  "shanghai-2025/2025=102;"
				  "shanghai-2025/2026=2;wuhan-2025/2025=42;");
}

static struct store_app app_ref(const char *id, const char *uscc,
				const char *ref)
{
	struct store_app a = app(id, uscc, APP_RESERVED, 2025, 100, 1000, true);

	snprintf(a.client_ref, sizeof(a.client_ref), "%s", ref);
	return a;
}

static void test_app_by_ref(void **state)
{
	struct fx *f = *state;
	struct store_app a, got;
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	insert(f->s, app_ref("N-1", USCC1, "inv-7"));
	insert(f->s, app_ref("N-2", USCC2, "inv-8"));
	/* Applications without a reference never collide. */
	insert(f->s, app_ref("N-3", USCC1, ""));
	insert(f->s, app_ref("N-4", USCC1, ""));

	assert_int_equal(store_app_by_ref(f->s, USCC1, "inv-7", &got, &e), 0);
	assert_string_equal(got.id, "N-1");
	assert_string_equal(got.client_ref, "inv-7");
	assert_string_equal(got.uscc, USCC1);
	assert_int_equal(got.received_at, 1756692000);
	assert_string_equal(got.json, "{\"id\":1}");
	store_app_release(&got);
	assert_int_equal(store_app_get(f->s, "N-1", &got, &e), 0);
	assert_string_equal(got.client_ref, "inv-7");
	store_app_release(&got);
	assert_int_equal(store_app_get(f->s, "N-3", &got, &e), 0);
	assert_string_equal(got.client_ref, "");
	store_app_release(&got);
	/* "" is stored as NULL. */
	{
		char c[16];

		raw_text(f,
			 "SELECT count(*) FROM applications WHERE client_ref "
			 "IS NULL",
			 c, sizeof(c));
		assert_string_equal(c, "2");
	}

	/* Another firm's reference, an unknown one, none at all: Q_NONE,
	 * e untouched. */
	qerr_clear(&e);
	assert_int_equal(store_app_by_ref(f->s, USCC2, "inv-7", &got, &e),
			 Q_NONE);
	assert_int_equal(store_app_by_ref(f->s, USCC1, "inv-9", &got, &e),
			 Q_NONE);
	assert_int_equal(store_app_by_ref(f->s, USCC1, "inv-8", &got, &e),
			 Q_NONE);
	assert_int_equal(store_app_by_ref(f->s, USCC1, "", &got, &e), Q_NONE);
	assert_int_equal(store_app_by_ref(f->s, USCC1, NULL, &got, &e), Q_NONE);
	assert_int_equal(e.code, 0);
	assert_string_equal(got.id, "");

	/* The same firm with the same reference again: refused by the
	 * index, nothing overwritten. */
	a = app_ref("N-5", USCC1, "inv-7");
	a.requested = 999;
	a.json = "{}";
	assert_int_equal(store_app_insert(f->s, &a, &e), Q_ERR_CONFLICT);
	assert_string_equal(e.field, "client_ref");
	assert_int_equal(store_app_get(f->s, "N-5", &got, &e), Q_NONE);
	assert_int_equal(store_app_by_ref(f->s, USCC1, "inv-7", &got, &e), 0);
	assert_string_equal(got.id, "N-1");
	assert_int_equal(got.requested, 100);
	store_app_release(&got);

	/* In a batch: the refused one's savepoint is rolled back, the rest
	 * commits (another firm may use the same reference). */
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_savepoint(f->s, &e), 0);
	{
		/* PostgreSQL sends a batch item's writes ahead, and answers
		 * them at the item's release (driver.h defer). */
		int rc = store_app_insert(f->s, &a, &e);

		if (rc == Q_OK && !strcmp(store_backend(f->s), "postgres"))
			rc = store_savepoint_release(f->s, &e);
		assert_int_equal(rc, Q_ERR_CONFLICT);
		assert_non_null(strstr(e.msg, "client_ref"));
	}
	store_savepoint_rollback(f->s);
	assert_int_equal(store_savepoint(f->s, &e), 0);
	insert(f->s, app_ref("N-6", USCC2, "inv-7"));
	assert_int_equal(store_savepoint_release(f->s, &e), 0);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(store_app_by_ref(f->s, USCC2, "inv-7", &got, &e), 0);
	assert_string_equal(got.id, "N-6");
	store_app_release(&got);
	assert_int_equal(store_app_get(f->s, "N-5", &got, &e), Q_NONE);
}

/* The other lookups answer Q_NONE for nothing too. */
static void test_lookups_none(void **state)
{
	struct fx *f = *state;
	struct store_user u = {.name = "ada",
			       .role = "administrator",
			       .created_at = 5},
			  gu;
	struct store_listing l, gl;
	struct qerr e;

	qerr_clear(&e);
	assert_int_equal(store_user_by_token(f->s, "abcd", &gu, &e), Q_NONE);
	assert_int_equal(e.code, 0);
	assert_int_equal(store_user_add(f->s, &u, "abcd", &e), 0);
	assert_int_equal(store_user_by_token(f->s, "abcd", &gu, &e), 0);
	assert_string_equal(gu.name, "ada");
	assert_int_equal(store_user_by_token(f->s, "abce", &gu, &e), Q_NONE);

	memset(&l, 0, sizeof(l));
	snprintf(l.list, sizeof(l.list), "dishonest");
	snprintf(l.uscc, sizeof(l.uscc), USCC1);
	snprintf(l.name, sizeof(l.name), "x");
	assert_int_equal(store_listing_get(f->s, "dishonest", USCC1, &gl, &e),
			 Q_NONE);
	assert_int_equal(e.code, 0);
	assert_int_equal(store_listing_add(f->s, &l, &e), 0);
	assert_int_equal(store_listing_get(f->s, "dishonest", USCC1, &gl, &e),
			 0);
	assert_string_equal(gl.name, "x");
	assert_int_equal(store_listing_get(f->s, "restricted", USCC1, &gl, &e),
			 Q_NONE);
	assert_int_equal(store_listing_get(f->s, "dishonest", USCC2, &gl, &e),
			 Q_NONE);
}

/* A database of schema 5, with applications numbered by their
 * applicants, opened by this quan: their time is kept as received_at,
 * their id becomes their reference, the numbering starts empty. */
static void test_migrate_5(void **state)
{
	struct fx *f = *state;
	struct store_app got;
	struct store_app a;
	char c[16];
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	insert(f->s, app("SH-2025-000123", USCC1, APP_RESERVED, 2025, 100, 1000,
			 true));
	insert(f->s, app("L-2", USCC2, APP_WAITLISTED, 2025, 200, 2000, false));
	store_close(f->s);
	f->s = NULL;
	raw(f, "DROP TABLE generation");
	raw(f, "DROP TABLE app_numbers");
	raw(f, "DROP INDEX applications_waiting");
	raw(f, "CREATE INDEX applications_state_measure ON applications "
	       "(program, state, measure, fiscal_year)");
	raw(f, "DROP INDEX applications_client_ref");
	raw(f, "ALTER TABLE applications DROP COLUMN client_ref");
	raw(f, "ALTER TABLE applications RENAME COLUMN received_at TO "
	       "submitted_at");
	raw(f, "DROP TABLE idempotency_keys");
	raw(f, either(f,
		      "DROP TRIGGER app_tallies_insert; DROP TRIGGER "
		      "app_tallies_update; DROP TRIGGER app_tallies_delete; "
		      "DROP TRIGGER account_tallies_insert; DROP TRIGGER "
		      "account_tallies_update",
		      "SET client_min_messages = warning; DROP FUNCTION "
		      "quan_app_tally CASCADE; DROP FUNCTION "
		      "quan_account_tally CASCADE"));
	raw(f, "DROP TABLE app_documents");
	raw(f, "DROP TABLE documents");
	raw(f, "DROP TABLE app_grams");
	raw(f, "DROP INDEX applications_received");
	raw(f, "DROP INDEX applications_uscc_keys");
	raw(f, "DROP INDEX applications_requested");
	raw(f, "DROP TABLE app_tallies");
	raw(f, "DROP TABLE account_tallies");
	raw(f, "DROP TABLE pay_items");
	raw(f, "DROP TABLE pay_batches");
	raw(f, "DROP TABLE objections");
	raw(f, "DROP TABLE notice_awards");
	raw(f, "DROP TABLE notices");
	raw(f, "DROP TABLE sessions");
	raw(f, "ALTER TABLE users DROP COLUMN password_hash");
	raw(f, "ALTER TABLE users DROP COLUMN token_expires_at");
	raw(f, "ALTER TABLE users DROP COLUMN disabled");
	raw(f, either(f, "PRAGMA user_version = 5",
		      "UPDATE schema_version SET version = 5"));

	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SQL_SCHEMA_VERSION);
	assert_int_equal(store_app_get(f->s, "SH-2025-000123", &got, &e), 0);
	assert_int_equal(got.received_at, 1756692000);
	assert_string_equal(got.client_ref, "SH-2025-000123");
	assert_int_equal(got.seq, 1);
	store_app_release(&got);
	/* A retry of an application sent before the upgrade is found. */
	assert_int_equal(store_app_by_ref(f->s, USCC2, "L-2", &got, &e), 0);
	assert_string_equal(got.id, "L-2");
	assert_int_equal(got.state, APP_WAITLISTED);
	store_app_release(&got);
	a = app_ref("L-3", USCC2, "L-2");
	assert_int_equal(store_app_insert(f->s, &a, &e), Q_ERR_CONFLICT);
	raw_text(f, "SELECT count(*) FROM app_numbers", c, sizeof(c));
	assert_string_equal(c, "0");
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 1);
	store_rollback(f->s);
}

/* ---- the ledger's storage -------------------------------------------------------- */

static struct ledger_account account(uint64_t id, const char *code,
				     uint32_t flags)
{
	struct ledger_account a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	snprintf(a.code, sizeof(a.code), "%s", code);
	a.flags = flags;
	return a;
}

static struct ledger_transfer transfer(const char *id, uint64_t debit,
				       uint64_t credit, money_t amount,
				       uint32_t flags, const char *pending_id,
				       int64_t ts)
{
	struct ledger_transfer t;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", id);
	t.debit = debit;
	t.credit = credit;
	t.amount = amount;
	t.flags = flags;
	if (pending_id)
		snprintf(t.pending_id, sizeof(t.pending_id), "%s", pending_id);
	t.code = 3;
	snprintf(t.ref, sizeof(t.ref), "A-%s", id);
	t.timestamp = ts;
	return t;
}

static void assert_account(const struct ledger_account *x,
			   const struct ledger_account *y)
{
	assert_true(x->id == y->id);
	assert_string_equal(x->code, y->code);
	assert_int_equal(x->flags, y->flags);
	assert_int_equal(x->debits_pending, y->debits_pending);
	assert_int_equal(x->debits_posted, y->debits_posted);
	assert_int_equal(x->credits_pending, y->credits_pending);
	assert_int_equal(x->credits_posted, y->credits_posted);
}

static void assert_transfer(const struct ledger_transfer *x,
			    const struct ledger_transfer *y)
{
	assert_string_equal(x->id, y->id);
	assert_true(x->debit == y->debit);
	assert_true(x->credit == y->credit);
	assert_int_equal(x->amount, y->amount);
	assert_int_equal(x->flags, y->flags);
	assert_string_equal(x->pending_id, y->pending_id);
	assert_int_equal(x->expires_at, y->expires_at);
	assert_int_equal(x->code, y->code);
	assert_string_equal(x->ref, y->ref);
	assert_int_equal(x->timestamp, y->timestamp);
}

static int pending(const struct ledger_io *io, const char *id)
{
	enum ledger_pending_state st = (enum ledger_pending_state) - 1;

	assert_int_equal(io->pending_state(io->ctx, id, &st), 0);
	return (int)st;
}

struct sums {
	int n;
	money_t total;
	int64_t last_ts;
};

static int sum_transfer(void *arg, const struct ledger_transfer *t)
{
	struct sums *s = arg;

	assert_true(t->timestamp > s->last_ts);
	s->last_ts = t->timestamp;
	s->n++;
	s->total += t->amount;
	return 0;
}

static int sum_account(void *arg, const struct ledger_account *a)
{
	struct sums *s = arg;

	s->n++;
	s->total += a->credits_posted;
	return 0;
}

static void test_ledger_io(void **state)
{
	struct fx *f = *state;
	const struct ledger_io *io = store_ledger_io(f->s);
	const uint64_t big = UINT64_C(0xfedcba9876543210); /* > INT64_MAX */
	struct ledger_account a = account(
		1, "pool/available", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS);
	struct ledger_account b = account(big, "pool/awarded/" USCC1, 0);
	struct ledger_account got;
	struct ledger_transfer t, tg;
	struct sums sums;
	int64_t ts = -1;
	struct qerr e;

	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(io->account_get(io->ctx, 1, &got), 1);
	assert_int_equal(io->last_timestamp(io->ctx, &ts), 0);
	assert_int_equal(ts, 0);
	assert_int_equal(io->account_put(io->ctx, &a), 0);
	assert_int_equal(io->account_put(io->ctx, &b), 0);
	assert_int_equal(io->account_get(io->ctx, big, &got), 0);
	assert_true(got.id == big);
	assert_string_equal(got.code, "pool/awarded/" USCC1);

	/* put replaces the sums. */
	a.credits_posted = 1000000;
	a.debits_pending = 300;
	a.debits_posted = 7;
	a.credits_pending = 9;
	assert_int_equal(io->account_put(io->ctx, &a), 0);
	assert_int_equal(io->account_get(io->ctx, 1, &got), 0);
	assert_account(&got, &a);

	t = transfer("p1", 1, big, 300, LEDGER_PENDING, NULL, 5000);
	t.expires_at = 1800000000;
	assert_int_equal(io->transfer_put(io->ctx, &t), 0);
	assert_int_equal(io->transfer_get(io->ctx, "p1", &tg), 0);
	assert_transfer(&tg, &t);
	assert_int_equal(io->transfer_get(io->ctx, "p9", &tg), 1);
	assert_int_equal(pending(io, "p1"), LEDGER_PENDING_OPEN);

	t = transfer("p2", 1, big, 50, LEDGER_PENDING, NULL, 5001);
	assert_int_equal(io->transfer_put(io->ctx, &t), 0);
	t = transfer("post1", 1, big, 200, LEDGER_POST_PENDING, "p1", 5002);
	assert_int_equal(io->transfer_put(io->ctx, &t), 0);
	t = transfer("void2", 1, big, 0, LEDGER_VOID_PENDING, "p2", 5003);
	assert_int_equal(io->transfer_put(io->ctx, &t), 0);
	assert_int_equal(pending(io, "p1"), LEDGER_PENDING_POSTED);
	assert_int_equal(pending(io, "p2"), LEDGER_PENDING_VOIDED);
	{
		enum ledger_pending_state st;

		/* Not a pending transfer, and no transfer at all. */
		assert_int_equal(io->pending_state(io->ctx, "post1", &st), 1);
		assert_int_equal(io->pending_state(io->ctx, "zz", &st), 1);
	}
	assert_int_equal(io->last_timestamp(io->ctx, &ts), 0);
	assert_int_equal(ts, 5003);

	assert_int_equal(store_commit(f->s, &e), 0);

	/* A storage error: -1, with the database's reason kept (and the
	 * transaction rolled back, as store.h asks after any error). */
	assert_int_equal(store_begin(f->s, &e), 0);
	t = transfer("bad", 1, 424242, 1, 0, NULL, 5004);
	assert_int_equal(io->transfer_put(io->ctx, &t), -1);
	assert_int_equal(store_ledger_error(f->s, &e), Q_ERR_IO);
	assert_non_null(strstr(e.msg, ": writing a transfer: "));
	assert_non_null(strcasestr(e.msg, "foreign key"));
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s, &e), 0);
	t = transfer("p1", 1, big, 1, 0, NULL, 5005); /* same id */
	assert_int_equal(io->transfer_put(io->ctx, &t), -1);
	store_rollback(f->s);

	memset(&sums, 0, sizeof(sums));
	assert_int_equal(
		store_transfer_each(f->s, NULL, sum_transfer, &sums, &e), 0);
	assert_int_equal(sums.n, 4);
	assert_int_equal(sums.total, 300 + 50 + 200 + 0);
	memset(&sums, 0, sizeof(sums));
	assert_int_equal(
		store_transfer_each(f->s, "A-p2", sum_transfer, &sums, &e), 0);
	assert_int_equal(sums.n, 1);
	memset(&sums, 0, sizeof(sums));
	assert_int_equal(store_account_each(f->s, sum_account, &sums, &e), 0);
	assert_int_equal(sums.n, 2);
	assert_int_equal(sums.total, 1000000);
}

/* The ledger itself, running on the store. */
static void test_ledger_on_store(void **state)
{
	struct fx *f = *state;
	const struct ledger_io *io = store_ledger_io(f->s);
	struct ledger_account as[3] = {
		account(1, "funding", 0),
		account(2, "available", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS),
		account(3, "awarded", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS),
	};
	struct ledger_transfer ts[4] = {
		transfer("fund", 1, 2, 1000, 0, NULL, 0),
		transfer("res", 2, 3, 600, LEDGER_PENDING, NULL, 0),
		transfer("over", 2, 3, 500, LEDGER_PENDING, NULL, 0),
		transfer("post", 0, 0, 400, LEDGER_POST_PENDING, "res", 0),
	};
	int results[4];
	struct ledger_account got;
	struct qerr e;

	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(ledger_create_accounts(io, as, 3, results), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(results[i], LEDGER_OK);
	assert_int_equal(
		ledger_create_transfers(io, ts, 4, 1700000000, results), 0);
	assert_int_equal(results[0], LEDGER_OK);
	assert_int_equal(results[1], LEDGER_OK);
	assert_int_equal(results[2], LEDGER_EXCEEDS_CREDITS);
	assert_int_equal(results[3], LEDGER_OK);
	assert_int_equal(store_commit(f->s, &e), 0);

	/* Reopen: everything was durable. */
	store_close(f->s);
	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	io = store_ledger_io(f->s);
	assert_int_equal(io->account_get(io->ctx, 2, &got), 0);
	assert_int_equal(ledger_balance(&got), 600);
	assert_int_equal(io->account_get(io->ctx, 3, &got), 0);
	assert_int_equal(got.credits_posted, 400);
	assert_int_equal(pending(io, "res"), LEDGER_PENDING_POSTED);

	/* A retry is harmless, and timestamps keep increasing. */
	ts[0].timestamp = 0;
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(
		ledger_create_transfers(io, ts, 1, 1700000000, results), 0);
	assert_int_equal(results[0], LEDGER_EXISTS);
	ts[0] = transfer("fund2", 1, 2, 5, 0, NULL, 0);
	assert_int_equal(ledger_create_transfers(io, ts, 1, 1, results), 0);
	assert_int_equal(results[0], LEDGER_OK);
	assert_true(ts[0].timestamp > 1700000000LL * 1000000);
	assert_int_equal(store_commit(f->s, &e), 0);
}

/* ---- transactions --------------------------------------------------------------- */

static void test_rollback(void **state)
{
	struct fx *f = *state;
	const struct ledger_io *io = store_ledger_io(f->s);
	struct ledger_account a = account(7, "x", 0), got;
	struct store_event ev;
	struct store_app ga;
	struct sums sums;
	char hash[POLICY_HASH_TEXT];
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "a", 1, true);
	assert_int_equal(store_begin(f->s, &e), 0);
	add_policy(f->s, "shanghai-2025", HASH_B, "b", 2, true);
	insert(f->s, app("R-1", USCC1, APP_RESERVED, 2025, 1, 1, false));
	assert_int_equal(io->account_put(io->ctx, &a), 0);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.action, sizeof(ev.action), "apply");
	assert_int_equal(store_event_append(f->s, &ev, &e), 0);
	assert_int_equal(ev.seq, 1);
	store_rollback(f->s);
	store_rollback(f->s); /* harmless outside a transaction */

	assert_int_equal(store_app_get(f->s, "R-1", &ga, &e), Q_NONE);
	assert_int_equal(io->account_get(io->ctx, 7, &got), 1);
	assert_int_equal(store_policy_current(f->s, "shanghai-2025", hash, NULL,
					      NULL, &e),
			 0);
	assert_string_equal(hash, HASH_A);
	memset(&sums, 0, sizeof(sums));
	assert_int_equal(store_account_each(f->s, sum_account, &sums, &e), 0);
	assert_int_equal(sums.n, 0);

	/* The next event starts the chain again at 1. */
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(store_event_append(f->s, &ev, &e), 0);
	assert_int_equal(ev.seq, 1);
	assert_string_equal(ev.prev_hash, AUDIT_GENESIS);

	/* A second transaction inside the first is an error. */
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_begin(f->s, &e), Q_ERR_IO);
	assert_non_null(strstr(e.msg, ": beginning a transaction"));
	store_rollback(f->s);
	assert_int_equal(store_commit(f->s, &e), Q_ERR_IO);
}

/* ---- the audit chain --------------------------------------------------------------- */

static void test_audit_hash(void **state)
{
	struct store_event ev;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	memcpy(ev.prev_hash, AUDIT_GENESIS, 65);
	ev.seq = 1;
	ev.at = 1700000000;
	snprintf(ev.who, sizeof(ev.who), "alice");
	snprintf(ev.action, sizeof(ev.action), "apply");
	snprintf(ev.subject, sizeof(ev.subject), "SH-1");
	snprintf(ev.policy_hash, sizeof(ev.policy_hash), "sha256:ab");
	ev.detail = "{\"a\":1}";
	assert_int_equal(audit_hash(&ev), 0);
	/* The encoding pinned: sha256 of the genesis hash, then
	 * "1:1" "10:1700000000" "5:alice" "5:apply" "4:SH-1" "9:sha256:ab"
	 * "7:{"a":1}" (computed independently with Python's hashlib). */
	assert_string_equal(
		ev.hash,
		"952860d7efc5f7cc7502dfb5f3ad97613944754fe80e471d60ac10db43a61a4d");

	/* Moving bytes between fields changes the hash. */
	snprintf(ev.who, sizeof(ev.who), "alic");
	snprintf(ev.action, sizeof(ev.action), "eapply");
	assert_int_equal(audit_hash(&ev), 0);
	assert_string_not_equal(
		ev.hash,
		"952860d7efc5f7cc7502dfb5f3ad97613944754fe80e471d60ac10db43a61a4d");
}

static void append_events(struct store *s, int n)
{
	struct qerr e;

	assert_int_equal(store_begin(s, &e), 0);
	for (int i = 1; i <= n; i++) {
		struct store_event ev;
		char detail[64];

		memset(&ev, 0, sizeof(ev));
		ev.at = 1700000000 + i;
		snprintf(ev.who, sizeof(ev.who), "clerk-%d", i);
		snprintf(ev.action, sizeof(ev.action), "apply");
		snprintf(ev.subject, sizeof(ev.subject), "SH-%d", i);
		snprintf(ev.policy_hash, sizeof(ev.policy_hash), HASH_A);
		snprintf(detail, sizeof(detail), "{\"amount\":\"%d.00\"}", i);
		ev.detail = i == 2 ? NULL : detail;
		assert_int_equal(store_event_append(s, &ev, &e), 0);
		assert_int_equal(ev.seq, i);
		assert_int_equal(strlen(ev.hash), 64);
	}
	assert_int_equal(store_commit(s, &e), 0);
}

static int walk_event(void *arg, const struct store_event *ev)
{
	return audit_walk_step(arg, ev);
}

/* Walk the chain; returns bad_seq (0 when sound) and copies why. */
static int64_t verify(struct store *s, char *why, size_t cap, int64_t *count)
{
	struct audit_walk w;
	struct qerr e;

	audit_walk_init(&w);
	assert_int_equal(store_event_each(s, walk_event, &w, &e), 0);
	snprintf(why, cap, "%s", w.why);
	if (count)
		*count = w.count;
	return w.bad_seq;
}

/* Drop the triggers that keep events, as an intruder can. */
static void unlock_events(struct fx *f)
{
	raw(f, either(f,
		      "DROP TRIGGER events_immutable; DROP TRIGGER "
		      "events_kept",
		      "DROP TRIGGER events_immutable ON events; DROP TRIGGER "
		      "events_kept ON events"));
}

static void test_audit_chain(void **state)
{
	struct fx *f = *state;
	char why[256];
	int64_t count = 0;
	struct store_event ev;
	struct qerr e;

	append_events(f->s, 5);
	assert_int_equal(verify(f->s, why, sizeof(why), &count), 0);
	assert_int_equal(count, 5);

	/* The store itself refuses to change history. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(
		testdb_exec(&f->db, "UPDATE events SET who = 'x'", NULL, 0),
		-1);
	assert_int_equal(testdb_exec(&f->db, "DELETE FROM events", NULL, 0),
			 -1);
	if (f->db.pg)
		assert_int_equal(
			testdb_exec(&f->db, "TRUNCATE events", NULL, 0), -1);
	assert_int_equal(store_open(f->db.url, &f->s, &e), 0);
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 0);

	/* Appending continues the chain across a reopen. */
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.action, sizeof(ev.action), "approve");
	assert_int_equal(store_event_append(f->s, &ev, &e), 0);
	assert_int_equal(ev.seq, 6);
	assert_int_equal(verify(f->s, why, sizeof(why), &count), 0);
	assert_int_equal(count, 6);
}

static void test_audit_tamper_detail(void **state)
{
	struct fx *f = *state;
	char why[256];

	append_events(f->s, 5);
	unlock_events(f);
	raw(f, "UPDATE events SET detail = '{\"amount\":\"3000.00\"}' "
	       "WHERE seq = 3");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 3);
	assert_string_equal(
		why,
		"event 3 was changed: its hash does not match its contents");
}

static void test_audit_tamper_delete(void **state)
{
	struct fx *f = *state;
	char why[256];

	append_events(f->s, 5);
	unlock_events(f);
	raw(f, "DELETE FROM events WHERE seq = 3");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 3);
	assert_string_equal(why, "event 3 is missing");

	/* Removed and renumbered to hide the gap. */
	raw(f, "UPDATE events SET seq = seq - 1 WHERE seq > 3");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 3);
	assert_string_equal(why, "event 3 does not follow event 2: reordered "
				 "or an earlier event was removed");

	/* The first one removed. */
	raw(f, "DELETE FROM events WHERE seq = 1");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 1);
	assert_string_equal(why, "event 1 is missing");
}

static void test_audit_tamper_swap(void **state)
{
	struct fx *f = *state;
	char why[256];

	append_events(f->s, 5);
	unlock_events(f);
	raw(f, "UPDATE events SET seq = -2 WHERE seq = 2;"
	       "UPDATE events SET seq = 2 WHERE seq = 4;"
	       "UPDATE events SET seq = 4 WHERE seq = -2;");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 2);
	assert_string_equal(why, "event 2 does not follow event 1: reordered "
				 "or an earlier event was removed");
}

struct grab {
	int64_t seq;
	struct store_event ev;
};

static int grab_event(void *arg, const struct store_event *ev)
{
	struct grab *g = arg;

	if (ev->seq != g->seq)
		return 0;
	g->ev = *ev;
	g->ev.detail = strdup(ev->detail);
	return 1;
}

static void test_audit_tamper_rehash(void **state)
{
	struct fx *f = *state;
	struct grab g = {.seq = 2};
	char why[256], sql[256];
	struct qerr e;

	/* An intruder who edits event 2 and recomputes its hash breaks the
	 * link from event 3. */
	append_events(f->s, 5);
	assert_int_equal(store_event_each(f->s, grab_event, &g, &e), 0);
	assert_non_null(g.ev.detail);
	snprintf(g.ev.who, sizeof(g.ev.who), "mallory");
	assert_int_equal(audit_hash(&g.ev), 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE events SET who = 'mallory', hash = '%s' WHERE seq = 2",
		 g.ev.hash);
	free(g.ev.detail);
	unlock_events(f);
	raw(f, sql);
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 3);
	assert_string_equal(why, "event 3 does not follow event 2: reordered "
				 "or an earlier event was removed");

	/* With a made-up hash, event 2 itself is named. */
	raw(f, "UPDATE events SET hash = '0123' WHERE seq = 2");
	assert_int_equal(verify(f->s, why, sizeof(why), NULL), 2);
	assert_non_null(strstr(why, "event 2 was changed"));
}

static void test_audit_walk_order(void **state)
{
	struct store_event evs[3];
	struct audit_walk w;

	(void)state;
	memset(evs, 0, sizeof(evs));
	for (int i = 0; i < 3; i++) {
		evs[i].seq = i + 1;
		memcpy(evs[i].prev_hash, i ? evs[i - 1].hash : AUDIT_GENESIS,
		       65);
		assert_int_equal(audit_hash(&evs[i]), 0);
	}
	audit_walk_init(&w);
	assert_int_equal(audit_walk_step(&w, &evs[0]), 0);
	assert_int_equal(audit_walk_step(&w, &evs[1]), 0);
	assert_int_equal(audit_walk_step(&w, &evs[0]), 1);
	assert_int_equal(w.bad_seq, 1);
	assert_string_equal(w.why, "event 1 is out of order");
	assert_int_equal(w.count, 2);
	/* Once bad, it stays bad. */
	assert_int_equal(audit_walk_step(&w, &evs[2]), 1);
	assert_int_equal(w.bad_seq, 1);

	audit_walk_init(&w);
	assert_int_equal(audit_walk_step(&w, &evs[0]), 0);
	assert_int_equal(audit_walk_step(&w, &evs[1]), 0);
	assert_int_equal(audit_walk_step(&w, &evs[2]), 0);
	assert_int_equal(w.count, 3);
	assert_int_equal(w.bad_seq, 0);
}

/* ---- copying a store ------------------------------------------------------------------ */

static int collect_hash(void *arg, const struct store_event *ev)
{
	char *all = arg;
	size_t n = strlen(all);

	snprintf(all + n, 1024 - n, "%lld:%.8s,", (long long)ev->seq, ev->hash);
	return 0;
}

/* Everything into a second, empty database of the same back end; the
 * chain hashes alike; a second copy into it is refused. */
static void test_copy(void **state)
{
	struct fx *f = *state;
	const struct ledger_io *io = store_ledger_io(f->s);
	struct ledger_account as[2] = {
		account(1, "funding", 0),
		account(2, "available", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS),
	};
	struct ledger_transfer t = transfer("fund", 1, 2, 1000, 0, NULL, 0);
	struct store_user u = {
		.name = "ada", .role = "administrator", .created_at = 5};
	struct store_copy_stats st;
	struct testdb db2;
	struct store *s2 = NULL;
	char a[1024] = "", b[1024] = "", hash[POLICY_HASH_TEXT], *text;
	struct store_user got;
	struct store_app ga, ca;
	size_t len;
	int results[2];
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "version: a\n", 100, true);
	add_policy(f->s, "shanghai-2025", HASH_B, "version: b\n", 200, true);
	add_policy(f->s, "shanghai-2025", HASH_A, "version: a\n", 300, false);
	ca = app("C-1", USCC1, APP_RESERVED, 2025, 100, 1000, true);
	snprintf(ca.client_ref, sizeof(ca.client_ref), "ref-1");
	ca.received_at = 1756692001;
	insert(f->s, ca);
	insert(f->s, app("C-2", USCC2, APP_WAITLISTED, 2025, 200, 2000, false));
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(ledger_create_accounts(io, as, 2, results), 0);
	assert_int_equal(
		ledger_create_transfers(io, &t, 1, 1700000000, results), 0);
	assert_int_equal(results[0], LEDGER_OK);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 1);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 2);
	assert_int_equal(number(f->s, "shanghai-2025", 2025), 3);
	assert_int_equal(number(f->s, "hangzhou-2024", 2024), 1);
	assert_int_equal(store_commit(f->s, &e), 0);
	assert_int_equal(store_user_add(f->s, &u, "abcd", &e), 0);
	append_events(f->s, 4);

	assert_int_equal(testdb_create(&db2), 0);
	assert_int_equal(store_open(db2.url, &s2, &e), 0);
	assert_int_equal(store_copy(f->s, s2, &st, &e), 0);
	assert_int_equal(st.policies, 2);
	assert_int_equal(st.applications, 2);
	assert_int_equal(st.accounts, 2);
	assert_int_equal(st.transfers, 1);
	assert_int_equal(st.users, 1);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.numbers, 2);

	/* The version loaded last is current, the old text kept. */
	assert_int_equal(store_policy_current(s2, "shanghai-2025", hash, &text,
					      &len, &e),
			 0);
	assert_string_equal(hash, HASH_A);
	free(text);
	assert_int_equal(store_policy_text(s2, HASH_B, &text, &len, &e), 0);
	assert_string_equal(text, "version: b\n");
	free(text);
	assert_int_equal(store_app_get(s2, "C-2", &ga, &e), 0);
	assert_int_equal(ga.seq, 2);
	assert_int_equal(ga.state, APP_WAITLISTED);
	assert_string_equal(ga.client_ref, "");
	assert_int_equal(ga.received_at, 1756692000);
	store_app_release(&ga);
	assert_int_equal(store_app_by_ref(s2, USCC1, "ref-1", &ga, &e), 0);
	assert_string_equal(ga.id, "C-1");
	assert_int_equal(ga.received_at, 1756692001);
	store_app_release(&ga);
	/* The copy numbers on where the source stopped. */
	assert_int_equal(store_begin(s2, &e), 0);
	assert_int_equal(number(s2, "shanghai-2025", 2025), 4);
	assert_int_equal(number(s2, "hangzhou-2024", 2024), 2);
	assert_int_equal(number(s2, "hangzhou-2024", 2025), 1);
	store_rollback(s2);
	assert_int_equal(store_user_by_token(s2, "abcd", &got, &e), 0);
	assert_string_equal(got.name, "ada");
	assert_int_equal(store_event_each(f->s, collect_hash, a, &e), 0);
	assert_int_equal(store_event_each(s2, collect_hash, b, &e), 0);
	assert_string_equal(a, b);

	assert_int_equal(store_copy(f->s, s2, &st, &e), Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "not empty"));
	store_close(s2);
	testdb_drop(&db2);
}

/* ---- the name's bigrams ------------------------------------------------------ */

static int count_hit(void *arg, const struct store_app *a)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

/* How many applications store_app_search finds for the name text q. */
static int found(struct store *s, const char *q)
{
	struct store_app_query sq;
	struct qerr e;
	int n = 0;

	memset(&sq, 0, sizeof(sq));
	sq.q = q;
	sq.state = -1;
	sq.flag = -1;
	sq.amount_min = sq.received_from = INT64_MIN;
	sq.amount_max = sq.received_to = INT64_MAX;
	sq.limit = 1000;
	if (store_app_search(s, &sq, count_hit, &n, &e))
		fail_msg("search '%s': %s", q, e.msg);
	return n;
}

/* The bigrams are written SQL_GRAMS_MAX to a statement: a name of 23
 * characters (22 bigrams, one pair twice) is found by its first, its
 * 16th, its 17th and its last pair, whether the writer passed the name
 * (the office) or the store took it from the JSON (a copy). */
static void test_app_grams(void **state)
{
	static const char *name =
		"上海甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉上海";
	struct fx *f = *state;
	struct store_app a =
		app("G-1", USCC1, APP_RESERVED, 2025, 100, 1000, false);
	struct store_app b =
		app("G-2", USCC2, APP_RESERVED, 2025, 100, 1000, false);
	char json[512];
	struct qerr e;

	add_policy(f->s, "shanghai-2025", HASH_A, "version: a\n", 100, true);
	/* The search reads the name in the JSON too, to confirm a hit. */
	snprintf(json, sizeof(json), "{\"applicant\":{\"name\":\"%s\"}}", name);
	a.name = name;
	a.json = json;
	a.decision = "{}";
	assert_int_equal(store_app_insert(f->s, &a, &e), 0);
	snprintf(json, sizeof(json), "{\"applicant\":{\"name\":\"%s\"}}",
		 "戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥");
	b.json = json;
	b.decision = "{}";
	assert_int_equal(store_app_insert(f->s, &b, &e), 0);
	assert_int_equal(found(f->s, "上海"), 1);
	assert_int_equal(found(f->s, "寅卯"), 2); /* pairs 15 and 10 */
	assert_int_equal(found(f->s, "卯辰"), 2); /* 16 and 11 */
	assert_int_equal(found(f->s, "辰巳"), 2); /* 17 and 12 */
	assert_int_equal(found(f->s, "酉上"), 1); /* 21 */
	assert_int_equal(found(f->s, "戌亥"), 1); /* b's last, 17 */
	assert_int_equal(found(f->s, "亥上"), 0);
	assert_int_equal(
		found(f->s, "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apps_many, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_applicant_year, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_generation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_app_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_app_grams, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_app_by_ref, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookups_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_5, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ledger_io, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ledger_on_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test(test_audit_hash),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_tamper_detail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_tamper_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_tamper_swap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_tamper_rehash, setup,
						teardown),
		cmocka_unit_test(test_audit_walk_order),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
