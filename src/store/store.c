/*
 * store.c - the store (store.h) above its driver (driver.h): opening and
 * migrating, transactions, policies, users and the audit chain, and the
 * helpers the other store files share (store_int.h). The applications are
 * in store_apps.c, the ledger's storage in store_ledger.c, what the
 * screens look up in store_screens.c; every statement is in sql.c.
 */
#include "store/store.h"

#include <assert.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/store_int.h"

#define POLICY_TEXT_MAX (16u << 20) /* one policy file, bytes */

static const char *const state_names[APP__STATE_COUNT] = {
	[APP_INELIGIBLE] = "ineligible", [APP_RESERVED] = "reserved",
	[APP_WAITLISTED] = "waitlisted", [APP_QUEUED] = "queued",
	[APP_AWARDED] = "awarded",	 [APP_REJECTED] = "rejected",
	[APP_WITHDRAWN] = "withdrawn",	 [APP_EXPIRED] = "expired",
};

const char *app_state_name(int st)
{
	if (st < 0 || st >= APP__STATE_COUNT)
		return "unknown";
	return state_names[st];
}

int app_state_parse(const char *name)
{
	for (int i = 0; i < APP__STATE_COUNT; i++)
		if (!strcmp(state_names[i], name))
			return i;
	return -1;
}

void store_utf8_trim(char *buf)
{
	size_t n = strlen(buf);
	size_t i = n;

	if (n == 0)
		return;
	/* Back to the lead byte of the last character. */
	while (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0) {
		buf[0] = '\0';
		return;
	}
	{
		unsigned char lead = (unsigned char)buf[i - 1];
		size_t want = lead < 0x80    ? 1
			      : lead >= 0xf0 ? 4
			      : lead >= 0xe0 ? 3
			      : lead >= 0xc0 ? 2
					     : 1;

		if (n - (i - 1) < want)
			buf[i - 1] = '\0';
	}
}

void store_app_release(struct store_app *a)
{
	if (!a)
		return;
	free(a->json);
	free(a->decision);
	a->json = NULL;
	a->decision = NULL;
}

void store_event_release(struct store_event *ev)
{
	if (!ev)
		return;
	free(ev->detail);
	ev->detail = NULL;
}

/* --- helpers (store_int.h) ----------------------------------------------------- */

int store_nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

int store_no_row(struct store *s, const char *op, struct qerr *e)
{
	return qerr_set(e, Q_ERR_IO, "", "%s: %s: no row came back",
			s->ops->name, op);
}

void store_on_accounts(struct store *s, int (*fn)(void *ctx, struct qerr *e),
		       void *ctx)
{
	assert(s);
	assert(!s->in_on_accounts);
	s->on_accounts = fn;
	s->on_accounts_ctx = ctx;
}

/* Whether statement id reads or writes the accounts or their tallies
 * beyond the ledger's point read and write (store_on_accounts). A text
 * that names them is taken to; a false yes costs a call, never a wrong
 * read. */
static bool touches_accounts(struct store *s, enum sql_stmt id)
{
	const char *sql;

	assert(id < ST__COUNT);
	if (!s->touches_accounts[id]) {
		sql = sql_for(&sql_stmts[id], s->ops->dialect);
		s->touches_accounts[id] =
			id != ST_ACCOUNT_GET && id != ST_ACCOUNT_PUT &&
					(strstr(sql, "accounts") ||
					 strstr(sql, "account_tallies"))
				? 2
				: 1;
	}
	return s->touches_accounts[id] == 2;
}

int store_stmt(struct store *s, enum sql_stmt id, struct drv_stmt **out,
	       struct qerr *e)
{
	int rc;

	/* Every text numbers its ?N 1, 2 ... n, the same in both dialects
	 * (test_driver checks the table once, not every call here). */
	assert(s && id < ST__COUNT);
	*out = NULL;
	if (s->on_accounts && !s->in_on_accounts && touches_accounts(s, id)) {
		s->in_on_accounts = true;
		rc = s->on_accounts(s->on_accounts_ctx, e);
		s->in_on_accounts = false;
		if (rc)
			return rc;
	}
	rc = store_fault_check(s, "a statement", e);
	if (rc)
		return rc;
	if (!s->ops->in_transaction(s->db)) {
		rc = s->ops->reconnect(s->db, e);
		if (rc)
			return rc;
	}
	rc = s->ops->prepare(s->db, (unsigned)id,
			     sql_for(&sql_stmts[id], s->ops->dialect), out, e);
	assert(rc || *out);
	return rc;
}

void col_str(struct drv_stmt *st, int i, char *buf, size_t cap)
{
	size_t n = 0;
	const char *t = st->ops->column_text(st, i, &n);

	assert(cap > 0);
	if (!t)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, t, n);
	buf[n] = '\0';
}

int col_dup(struct drv_stmt *st, int i, char **out, size_t *len)
{
	size_t n = 0;
	const char *t = st->ops->column_text(st, i, &n);

	*out = NULL;
	if (len)
		*len = 0;
	if (!t) /* SQL NULL, or the driver ran out of memory */
		return st->ops->column_null(st, i) ? 0 : -1;
	*out = malloc(n + 1);
	if (!*out)
		return -1;
	if (n)
		memcpy(*out, t, n);
	(*out)[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

int store_run(struct drv_stmt *st, const char *op, struct qerr *e)
{
	int rc = step(st, op, e);

	done(st);
	return rc == DRV_DONE || rc == DRV_ROW ? Q_OK : rc;
}

int store_row_by_text(struct store *s, enum sql_stmt id, const char *key,
		      const char *op, struct drv_stmt **st, struct qerr *e)
{
	int rc;

	assert(s && key && op && st);
	*st = NULL;
	rc = store_stmt(s, id, st, e);
	if (rc)
		return rc;
	bind_text(*st, 1, key);
	rc = step(*st, op, e);
	if (rc == DRV_ROW)
		return Q_OK;
	done(*st);
	*st = NULL;
	return rc == DRV_DONE ? Q_NONE : rc;
}

int store_write(struct drv_stmt *st, const char *op, struct qerr *e)
{
	assert(st && op);
	if (st->ops->defer)
		return st->ops->defer(st, op, e);
	return store_run(st, op, e);
}

int store_begin_own(struct store *s, bool *own, struct qerr *e)
{
	*own = !s->ops->in_transaction(s->db);
	return *own ? store_begin(s, e) : Q_OK;
}

int store_end_own(struct store *s, bool own, int rc, struct qerr *e)
{
	if (!own)
		return rc;
	if (rc == Q_OK)
		rc = store_commit(s, e);
	if (rc != Q_OK)
		store_rollback(s);
	return rc;
}

/* --- opening ------------------------------------------------------------------- */

/* Bring the schema to SQL_SCHEMA_VERSION in one write transaction, so a
 * crash leaves the old version whole and two processes opening at once
 * migrate once (the second waits for the first's lock, then finds nothing
 * to do). */
static int migrate(struct store *s, struct qerr *e)
{
	const char *init = sql_for(&sql_version_init, s->ops->dialect);
	struct drv_stmt *st;
	char sql[96];
	int v = 0;
	int rc;

	rc = store_begin(s, e);
	if (rc)
		return rc;
	if (*init)
		rc = s->ops->exec(s->db, init, "creating the schema version",
				  e);
	if (!rc)
		rc = store_stmt(s, ST_SCHEMA_VERSION, &st, e);
	if (rc)
		goto out;
	rc = step(st, "reading the schema version", e);
	if (rc == DRV_ROW) {
		int64_t got = col_int(st, 0);

		v = got < 0 || got > INT_MAX ? -1 : (int)got;
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, "reading the schema version", e);
	}
	done(st);
	if (rc)
		goto out;
	if (v < 0 || v > SQL_SCHEMA_VERSION) {
		rc = qerr_set(e, Q_ERR_IO, "",
			      "database schema version %d is newer than this "
			      "quan knows (%d)",
			      v, SQL_SCHEMA_VERSION);
		goto out;
	}
	for (int i = v; !rc && i < SQL_SCHEMA_VERSION; i++) {
		char op[64];

		snprintf(op, sizeof(op), "migration %d", i + 1);
		rc = s->ops->exec(s->db,
				  sql_for(&sql_migrations[i], s->ops->dialect),
				  op, e);
	}
	if (!rc && v != SQL_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "%s%d",
			 sql_for(&sql_version_set, s->ops->dialect),
			 SQL_SCHEMA_VERSION);
		rc = s->ops->exec(s->db, sql, "setting the schema version", e);
	}
out:
	if (!rc)
		rc = store_commit(s, e);
	if (rc)
		store_rollback(s);
	else
		s->version = SQL_SCHEMA_VERSION;
	return rc;
}

/* Connect through driver d to url (the driver's own form), migrate. */
static int open_with(const struct drv_ops *d, const char *url,
		     struct store **out, struct qerr *e)
{
	struct store *s;
	int rc;

	assert(d && url);
	s = calloc(1, sizeof(*s));
	if (!s)
		return store_nomem(e);
	s->ops = d;
	s->fault.left = -1;
	s->tail_generation = -1;
	s->io = store_ledger_callbacks;
	s->io.ctx = s;
	rc = d->open(url, ST__COUNT, &s->db, e);
	if (!rc)
		rc = migrate(s, e);
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return Q_OK;
}

int store_open(const char *url, struct store **out, struct qerr *e)
{
	*out = NULL;
	if (!strncmp(url, "postgres://", 11) ||
	    !strncmp(url, "postgresql://", 13))
		return open_with(&drv_postgres, url, out, e);
	if (!strncmp(url, "sqlite://", 9))
		url += 9;
	else if (!strncmp(url, "sqlite:", 7))
		url += 7;
	else if (!strncmp(url, "postgres:", 9) ||
		 !strncmp(url, "postgresql:", 11))
		return qerr_set(e, Q_ERR_INVALID, "db",
				"database '%.64s': a PostgreSQL URI starts "
				"with postgres://",
				url);
	if (!*url)
		return qerr_set(e, Q_ERR_INVALID, "db",
				"database '%.64s': no file name", url);
	return open_with(&drv_sqlite, url, out, e);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		s->ops->close(s->db);
	free(s);
}

int store_schema_version(struct store *s)
{
	return s->version;
}

const char *store_backend(struct store *s)
{
	return s->ops->name;
}

int store_ready(struct store *s, struct qerr *e)
{
	/* No lock is taken on PostgreSQL, so a probe never waits behind a
	 * writer; the raise is SQLSTATE 25006, which the driver takes as
	 * "not the primary (any more)". */
	static const char pg[] =
		"DO $$BEGIN IF pg_is_in_recovery() OR "
		"current_setting('transaction_read_only') = 'on' THEN "
		"RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction', "
		"MESSAGE = 'the server takes no writes (a standby)'; "
		"END IF; END$$";
	int rc;

	assert(s && s->db);
	assert(!s->ops->in_transaction(s->db));
	rc = store_fault_check(s, "probing", e);
	if (rc)
		return rc;
	return s->ops->exec(s->db,
			    s->ops->dialect == DRV_POSTGRES
				    ? pg
				    : "BEGIN IMMEDIATE; ROLLBACK",
			    "probing for writes", e);
}

/* --- transactions ---------------------------------------------------------------- */

/* Add one to the generation of the data, inside the write transaction
 * just begun; s->generation gets the value before. */
static int bump_generation(struct store *s, struct qerr *e)
{
	static const char op[] = "counting a write";
	struct drv_stmt *st;
	int64_t n = -1;
	int rc = store_stmt(s, ST_GENERATION_BUMP, &st, e);

	if (rc)
		return rc;
	rc = s->ops->step(st, op, e);
	if (rc == DRV_ROW) {
		n = s->ops->column_int(st, 0);
		rc = s->ops->step(st, op, e);
	}
	s->ops->reset(st);
	if (rc != DRV_DONE && rc != DRV_ROW)
		return rc;
	if (n < 1)
		return store_no_row(s, op, e);
	s->generation = n - 1;
	return Q_OK;
}

int store_begin(struct store *s, struct qerr *e)
{
	int rc;

	assert(s && s->db);
	if (s->ops->in_transaction(s->db))
		return qerr_set(e, Q_ERR_IO, "",
				"%s: beginning a transaction: one is open "
				"already",
				s->ops->name);
	rc = store_fault_check(s, "beginning a transaction", e);
	if (rc)
		return rc;
	rc = s->ops->begin_write(s->db, e);
	if (!rc && s->version >= 9) {
		rc = bump_generation(s, e);
		if (rc)
			s->ops->rollback(s->db);
	}
	/* Nobody else wrote since this store's last commit: what it knew of
	 * the tail is still so. */
	if (rc || s->version < 9 || s->generation != s->tail_generation)
		memset(&s->tail, 0, sizeof(s->tail));
	s->tail_generation = -1;
	return rc;
}

void store_tail_outside(struct store *s)
{
	assert(s && s->db);
	if (s->ops->in_transaction(s->db))
		return;
	memset(&s->tail, 0, sizeof(s->tail));
	s->tail_generation = -1;
}

int64_t store_generation(struct store *s)
{
	assert(s);
	return s->generation;
}

/* Applications past which the planner's statistics are left to
 * PostgreSQL's autovacuum alone, and the growth between two refreshes. */
#define YOUNG_SEQ_MAX 4000000
#define YOUNG_GROWTH 4

/* PostgreSQL plans a statement once for all its later runs (a generic
 * plan) with the statistics its tables had then. Planned on an empty
 * office, the applicant's yearly sums were read through the index of the
 * whole program and year, a cost that grew with every application
 * (bench/rush-pg: 949/s for 2 000 applications, 237/s for 20 000), and
 * autovacuum, a minute apart, is too late for a round's opening rush.
 * So, after a commit, while the office is young: each time the
 * applications have grown fourfold since this store last did, ANALYZE
 * the tables the write path reads, which re-plans its statements. The
 * work stays linear in the applications. A store opened on an office
 * takes the size it finds as its start. A failure is dropped: the commit
 * stands, and only the plans wait for autovacuum. */
static void young_statistics(struct store *s)
{
	struct qerr ignored;
	int64_t n = s->tail.next_seq;

	assert(s && s->db);
	if (s->ops->dialect != DRV_POSTGRES || !s->tail.seq_known ||
	    n > YOUNG_SEQ_MAX)
		return;
	if (!s->analyzed_seq) {
		s->analyzed_seq = n > 0 ? n : 1;
		return;
	}
	if (n < 256 || n / YOUNG_GROWTH < s->analyzed_seq)
		return;
	s->analyzed_seq = n;
	qerr_clear(&ignored);
	(void)s->ops->exec(s->db,
			   "ANALYZE applications, contracts, accounts, "
			   "transfers, events, app_grams",
			   "refreshing the planner's statistics", &ignored);
}

int store_commit(struct store *s, struct qerr *e)
{
	int rc;

	assert(s && s->db);
	rc = store_fault_check(s, "committing", e);
	if (!rc)
		rc = s->ops->commit(s->db, e);
	if (rc) {
		memset(&s->tail, 0, sizeof(s->tail));
		s->tail_generation = -1;
	} else {
		s->tail_generation = s->generation + 1;
		young_statistics(s);
	}
	return rc;
}

void store_rollback(struct store *s)
{
	if (!s)
		return;
	memset(&s->tail, 0, sizeof(s->tail));
	s->tail_generation = -1;
	if (s->db)
		s->ops->rollback(s->db);
}

int store_savepoint(struct store *s, struct qerr *e)
{
	assert(s && s->db);
	int rc = store_fault_check(s, "a savepoint", e);

	if (!rc)
		s->tail_sp = s->tail;
	return rc ? rc : s->ops->savepoint(s->db, e);
}

int store_savepoint_release(struct store *s, struct qerr *e)
{
	assert(s && s->db);
	int rc = store_fault_check(s, "releasing a savepoint", e);

	return rc ? rc : s->ops->release(s->db, e);
}

void store_savepoint_rollback(struct store *s)
{
	assert(s && s->db);
	s->ops->rollback_to(s->db);
	s->tail = s->tail_sp;
}

void store_optimistic(struct store *s)
{
	assert(s && s->db);
	assert(s->ops->in_transaction(s->db));
	if (s->ops->optimistic)
		s->ops->optimistic(s->db);
}

bool store_refused_ahead(struct store *s)
{
	assert(s && s->db);
	return s->ops->refused_ahead && s->ops->refused_ahead(s->db);
}

uint64_t store_round_trips(struct store *s)
{
	assert(s && s->db);
	return s->ops->round_trips ? s->ops->round_trips(s->db) : 0;
}

/* --- policies --------------------------------------------------------------------- */

/* The program a version (hash) is stored for, into stored ("" if none). */
static int policy_program(struct store *s, const char *hash, char *stored,
			  size_t cap, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	stored[0] = '\0';
	rc = store_stmt(s, ST_POLICY_PROGRAM, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, hash);
	rc = step(st, "looking up a policy version", e);
	if (rc == DRV_ROW)
		col_str(st, 0, stored, cap);
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

int store_policy_add(struct store *s, const char *program, const char *hash,
		     const char *path, const char *text, size_t len,
		     int64_t now, bool *is_new, struct qerr *e)
{
	char stored[STORE_PROGRAM_MAX] = "";
	struct drv_stmt *st;
	bool own;
	int rc;

	assert(program && hash && is_new);
	assert(text || len == 0);
	*is_new = false;
	if (!*program || !*hash)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"a policy needs a program and a hash");
	if (strlen(program) >= STORE_PROGRAM_MAX)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"program name '%.64s...' is too long", program);
	if (strlen(hash) >= STORE_POLICY_HASH_MAX)
		return qerr_set(e, Q_ERR_INVALID, "hash",
				"policy hash '%.72s...' is too long", hash);
	if (len > POLICY_TEXT_MAX)
		return qerr_set(e, Q_ERR_TOO_LARGE, "",
				"policy '%.200s' is larger than %u bytes", path,
				POLICY_TEXT_MAX);
	rc = store_begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = policy_program(s, hash, stored, sizeof(stored), e);
	if (rc)
		goto out;
	*is_new = stored[0] == '\0';
	if (!*is_new && strcmp(stored, program)) {
		rc = qerr_set(e, Q_ERR_INVALID, "program",
			      "policy %s is stored for program '%s', not '%s'",
			      hash, stored, program);
		goto out;
	}
	if (*is_new) {
		rc = store_stmt(s, ST_POLICY_INSERT, &st, e);
		if (rc)
			goto out;
		bind_text(st, 1, hash);
		bind_text(st, 2, program);
		bind_text(st, 3, path ? path : "");
		st->ops->bind_text(st, 4, len ? text : "", len);
		bind_int(st, 5, now);
		rc = store_run(st, "storing a policy version", e);
		if (rc)
			goto out;
	}
	rc = store_stmt(s, ST_CURRENT_SET, &st, e);
	if (rc)
		goto out;
	bind_text(st, 1, program);
	bind_text(st, 2, hash);
	bind_int(st, 3, now);
	rc = store_run(st, "making a policy version current", e);
out:
	if (rc)
		*is_new = false;
	return store_end_own(s, own, rc, e);
}

int store_policy_current(struct store *s, const char *program, char *hash,
			 char **text, size_t *len, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(program && hash);
	if (text)
		*text = NULL;
	rc = store_stmt(s, ST_POLICY_CURRENT, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, program);
	rc = step(st, "reading the current policy", e);
	if (rc == DRV_ROW) {
		rc = Q_OK;
		col_str(st, 0, hash, STORE_POLICY_HASH_MAX);
		if (text && col_dup(st, 1, text, len))
			rc = store_nomem(e);
	} else if (rc == DRV_DONE) {
		rc = qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
			      "no policy for program '%s'", program);
	}
	done(st);
	return rc;
}

/* Column 0 of statement id's row for hash, or Q_ERR_INVALID when no
 * version has that hash. */
static int policy_column(struct store *s, enum sql_stmt id, const char *hash,
			 char **text, size_t *len, char *buf, size_t cap,
			 struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(hash);
	assert(text || buf);
	rc = store_stmt(s, id, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, hash);
	rc = step(st, "reading a policy version", e);
	if (rc == DRV_ROW) {
		rc = Q_OK;
		if (buf)
			col_str(st, 0, buf, cap);
		else if (col_dup(st, 0, text, len))
			rc = store_nomem(e);
	} else if (rc == DRV_DONE) {
		rc = qerr_set(e, Q_ERR_INVALID, "policy",
			      "no policy version '%s'", hash);
	}
	done(st);
	return rc;
}

int store_policy_text(struct store *s, const char *hash, char **text,
		      size_t *len, struct qerr *e)
{
	*text = NULL;
	return policy_column(s, ST_POLICY_TEXT, hash, text, len, NULL, 0, e);
}

int store_policy_path(struct store *s, const char *hash, char *path, size_t n,
		      struct qerr *e)
{
	return policy_column(s, ST_POLICY_PATH, hash, NULL, NULL, path, n, e);
}

int store_programs_each(struct store *s,
			int (*fn)(void *arg, const char *program,
				  const char *hash),
			void *arg, struct qerr *e)
{
	char prog[SQL_PAGE][STORE_PROGRAM_MAX];
	char hash[SQL_PAGE][STORE_POLICY_HASH_MAX];
	char last[STORE_PROGRAM_MAX] = "";
	struct drv_stmt *st;
	size_t n;
	int rc;

	assert(s && fn);
	do {
		rc = store_stmt(s, ST_PROGRAMS_PAGE, &st, e);
		if (rc)
			return rc;
		bind_text(st, 1, last);
		for (n = 0; (rc = step(st, "listing programs", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			col_str(st, 0, prog[n], sizeof(prog[n]));
			col_str(st, 1, hash[n], sizeof(hash[n]));
		}
		done(st);
		if (rc != DRV_DONE)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (fn(arg, prog[i], hash[i]))
				return Q_OK;
		if (n)
			memcpy(last, prog[n - 1], sizeof(last));
	} while (n == SQL_PAGE);
	return Q_OK;
}

/* One policy version read for store_policy_each_version. */
struct policy_row {
	char program[STORE_PROGRAM_MAX], hash[STORE_POLICY_HASH_MAX];
	char path[512];
	char *text;
	size_t len;
	int64_t added_at;
	bool current;
};

int store_policy_each_version(struct store *s,
			      int (*fn)(void *arg,
					const struct store_policy *p),
			      void *arg, struct qerr *e)
{
	static const char op[] = "listing policy versions";
	struct policy_row *v;
	char last_hash[STORE_POLICY_HASH_MAX] = "";
	int64_t last_at = INT64_MIN;
	size_t n = 0;
	int rc;

	assert(s && fn);
	v = calloc(SQL_PAGE, sizeof(*v));
	if (!v)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(s, ST_POLICY_VERSIONS_PAGE, &st, e);
		if (rc)
			break;
		bind_int(st, 1, last_at);
		bind_text(st, 2, last_hash);
		for (n = 0; (rc = step(st, op, e)) == DRV_ROW; n++) {
			struct policy_row *p = &v[n];

			assert(n < SQL_PAGE);
			col_str(st, 0, p->program, sizeof(p->program));
			col_str(st, 1, p->hash, sizeof(p->hash));
			col_str(st, 2, p->path, sizeof(p->path));
			p->added_at = col_int(st, 4);
			p->current = col_int(st, 5) != 0;
			if (col_dup(st, 3, &p->text, &p->len)) {
				rc = store_nomem(e);
				break;
			}
		}
		done(st);
		if (rc == DRV_DONE)
			rc = Q_OK;
		for (size_t i = 0; !rc && !stop && i < n; i++) {
			struct store_policy p = {
				v[i].program, v[i].hash, v[i].path,
				v[i].text,    v[i].len,	 v[i].added_at,
				v[i].current,
			};

			stop = fn(arg, &p) != 0;
		}
		if (n) {
			last_at = v[n - 1].added_at;
			memcpy(last_hash, v[n - 1].hash, sizeof(last_hash));
		}
		for (size_t i = 0; i < n; i++) {
			free(v[i].text);
			v[i].text = NULL;
		}
		if (stop)
			break;
	} while (!rc && n == SQL_PAGE);
	free(v);
	return rc;
}

/* --- the audit chain ------------------------------------------------------------ */

/* The last event is read inside the write transaction (store_begin_own):
 * writers are serialised, so no other can append between this read and
 * the insert, and the chain has one order. */
static int event_append(struct store *s, struct store_event *ev, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	store_tail_outside(s);
	if (s->tail.head_known) {
		/* Learnt while holding the write lock, nobody writing since. */
		ev->seq = s->tail.head_seq + 1;
		memcpy(ev->prev_hash, s->tail.head_hash, sizeof(ev->prev_hash));
	} else {
		rc = store_stmt(s, ST_EVENT_LAST, &st, e);
		if (rc)
			return rc;
		rc = step(st, "reading the last event", e);
		if (rc == DRV_ROW) {
			ev->seq = col_int(st, 0) + 1;
			col_str(st, 1, ev->prev_hash, sizeof(ev->prev_hash));
			rc = Q_OK;
		} else if (rc == DRV_DONE) {
			ev->seq = 1;
			memcpy(ev->prev_hash, AUDIT_GENESIS,
			       sizeof(ev->prev_hash));
			rc = Q_OK;
		}
		done(st);
		if (rc)
			return rc;
	}
	if (audit_hash(ev))
		return store_nomem(e);

	rc = store_stmt(s, ST_EVENT_INSERT, &st, e);
	if (rc)
		return rc;
	bind_int(st, 1, ev->seq);
	bind_int(st, 2, ev->at);
	BIND_FIELD(st, 3, ev->who);
	BIND_FIELD(st, 4, ev->action);
	BIND_FIELD(st, 5, ev->subject);
	BIND_FIELD(st, 6, ev->policy_hash);
	bind_text(st, 7, ev->detail ? ev->detail : "");
	BIND_FIELD(st, 8, ev->prev_hash);
	BIND_FIELD(st, 9, ev->hash);
	rc = store_write(st, "appending an event", e);
	s->tail.head_known = rc == Q_OK && s->ops->in_transaction(s->db);
	if (s->tail.head_known) {
		s->tail.head_seq = ev->seq;
		memcpy(s->tail.head_hash, ev->hash, sizeof(s->tail.head_hash));
	}
	return rc;
}

int store_event_append(struct store *s, struct store_event *ev, struct qerr *e)
{
	bool own;
	int rc;

	assert(s && ev);
	rc = store_begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = event_append(s, ev, e);
	return store_end_own(s, own, rc, e);
}

int store_event_row(struct drv_stmt *st, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = col_int(st, 0);
	ev->at = col_int(st, 1);
	col_str(st, 2, ev->who, sizeof(ev->who));
	col_str(st, 3, ev->action, sizeof(ev->action));
	col_str(st, 4, ev->subject, sizeof(ev->subject));
	col_str(st, 5, ev->policy_hash, sizeof(ev->policy_hash));
	col_str(st, 7, ev->prev_hash, sizeof(ev->prev_hash));
	col_str(st, 8, ev->hash, sizeof(ev->hash));
	if (col_dup(st, 6, &ev->detail, NULL))
		return -1;
	if (!ev->detail) {
		ev->detail = calloc(1, 1);
		if (!ev->detail)
			return -1;
	}
	return 0;
}

/* Events in seq order, all of them or one subject's (subject non-NULL). */
static int events_each(struct store *s, const char *subject, int64_t last,
		       int (*fn)(void *arg, const struct store_event *ev),
		       void *arg, struct qerr *e)
{
	struct store_event *page;
	size_t n = 0;
	int rc;

	assert(s && fn);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(
			s, subject ? ST_EVENTS_SUBJECT_PAGE : ST_EVENTS_PAGE,
			&st, e);
		if (rc)
			break;
		bind_int(st, 1, last);
		if (subject)
			bind_text(st, 2, subject);
		for (n = 0; (rc = step(st, "listing events", e)) == DRV_ROW;) {
			assert(n < SQL_PAGE);
			if (store_event_row(st, &page[n++])) {
				rc = store_nomem(e);
				break;
			}
		}
		done(st);
		if (rc == DRV_DONE)
			rc = Q_OK;
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n)
			last = page[n - 1].seq;
		for (size_t i = 0; i < n; i++)
			store_event_release(&page[i]);
		if (stop)
			break;
	} while (!rc && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_event_each(struct store *s,
		     int (*fn)(void *arg, const struct store_event *ev),
		     void *arg, struct qerr *e)
{
	return events_each(s, NULL, INT64_MIN, fn, arg, e);
}

int store_event_each_after(struct store *s, int64_t after,
			   int (*fn)(void *arg, const struct store_event *ev),
			   void *arg, struct qerr *e)
{
	assert(after >= 0);
	return events_each(s, NULL, after, fn, arg, e);
}

int store_event_each_subject(struct store *s, const char *subject,
			     int (*fn)(void *arg, const struct store_event *ev),
			     void *arg, struct qerr *e)
{
	assert(subject);
	return events_each(s, subject, INT64_MIN, fn, arg, e);
}

/* --- users ------------------------------------------------------------------------ */

/* The USER_COLS of a row from column i on into *u. */
static void user_cols(struct drv_stmt *st, int i, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	col_str(st, i, u->name, sizeof(u->name));
	col_str(st, i + 1, u->role, sizeof(u->role));
	col_str(st, i + 2, u->uscc, sizeof(u->uscc));
	u->created_at = col_int(st, i + 3);
	col_str(st, i + 4, u->password_hash, sizeof(u->password_hash));
	u->token_expires_at = col_int(st, i + 5);
	u->disabled = col_int(st, i + 6) != 0;
}

int store_user_add(struct store *s, const struct store_user *u,
		   const char *token_hash, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && u);
	assert(token_hash);
	rc = store_stmt(s, ST_USER_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, u->name);
	BIND_FIELD(st, 2, u->role);
	BIND_FIELD(st, 3, u->uscc);
	bind_int(st, 4, u->created_at);
	BIND_FIELD(st, 5, u->password_hash);
	bind_int(st, 6, u->token_expires_at);
	bind_int(st, 7, u->disabled);
	bind_text(st, 8, token_hash);
	rc = store_run(st, "adding a user", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "name",
			      "a user '%.64s' exists already", u->name);
	return rc;
}

/* Run st (bound) as a write of one row of users: Q_ERR_NOT_FOUND naming
 * name when it touched none. */
static int one_user_row(struct drv_stmt *st, const char *name, const char *op,
			struct qerr *e)
{
	int rc = step(st, op, e);

	if (rc == DRV_DONE || rc == DRV_ROW)
		rc = st->ops->changes(st) == 1
			     ? Q_OK
			     : qerr_set(e, Q_ERR_NOT_FOUND, "name",
					"no user '%.64s'", name);
	done(st);
	return rc;
}

int store_user_remove(struct store *s, const char *name, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && name);
	rc = store_sessions_delete_user(s, name, e);
	if (!rc)
		rc = store_stmt(s, ST_USER_DELETE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, name);
	return one_user_row(st, name, "removing a user", e);
}

int store_user_update(struct store *s, const struct store_user *u,
		      struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && u);
	rc = store_stmt(s, ST_USER_UPDATE, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, u->name);
	BIND_FIELD(st, 2, u->role);
	BIND_FIELD(st, 3, u->uscc);
	BIND_FIELD(st, 4, u->password_hash);
	bind_int(st, 5, u->token_expires_at);
	bind_int(st, 6, u->disabled);
	return one_user_row(st, u->name, "changing a user", e);
}

int store_user_token_set(struct store *s, const char *name,
			 const char *token_hash, int64_t expires_at,
			 struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && name && token_hash);
	rc = store_stmt(s, ST_USER_TOKEN_SET, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, name);
	bind_text(st, 2, token_hash);
	bind_int(st, 3, expires_at);
	return one_user_row(st, name, "replacing a token", e);
}

/* One user by statement id and its one text parameter. */
static int user_by(struct store *s, enum sql_stmt id, const char *key,
		   struct store_user *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && key && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, id, key, "looking up a user", &st, e);
	if (rc == Q_OK) {
		user_cols(st, 0, out);
		done(st);
	}
	return rc;
}

int store_user_by_token(struct store *s, const char *token_hash,
			struct store_user *out, struct qerr *e)
{
	return user_by(s, ST_USER_BY_TOKEN, token_hash, out, e);
}

int store_user_get(struct store *s, const char *name, struct store_user *out,
		   struct qerr *e)
{
	return user_by(s, ST_USER_GET, name, out, e);
}

/* --- sessions --------------------------------------------------------------------- */

int store_session_add(struct store *s, const char *hash, const char *name,
		      const char *csrf, int64_t now, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && hash && name && csrf);
	rc = store_stmt(s, ST_SESSION_INSERT, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, hash);
	bind_text(st, 2, name);
	bind_text(st, 3, csrf);
	bind_int(st, 4, now);
	return store_run(st, "recording a session", e);
}

int store_session_get(struct store *s, const char *hash,
		      struct store_session *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && hash && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_SESSION_GET, hash, "looking up a session",
			       &st, e);
	if (rc == Q_OK) {
		col_str(st, 0, out->csrf, sizeof(out->csrf));
		out->created_at = col_int(st, 1);
		out->seen_at = col_int(st, 2);
		user_cols(st, 3, &out->user);
		done(st);
	}
	return rc;
}

int store_session_touch(struct store *s, const char *hash, int64_t now,
			struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && hash);
	rc = store_stmt(s, ST_SESSION_TOUCH, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, hash);
	bind_int(st, 2, now);
	return store_run(st, "marking a session used", e);
}

int store_session_delete(struct store *s, const char *hash, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && hash);
	rc = store_stmt(s, ST_SESSION_DELETE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, hash);
	rc = step(st, "ending a session", e);
	if (rc == DRV_DONE || rc == DRV_ROW)
		rc = st->ops->changes(st) == 1 ? Q_OK : Q_NONE;
	done(st);
	return rc;
}

int store_sessions_delete_user(struct store *s, const char *name,
			       struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && name);
	rc = store_stmt(s, ST_SESSIONS_DELETE_USER, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, name);
	return store_run(st, "ending a user's sessions", e);
}

int store_sessions_delete_old(struct store *s, int64_t seen_before,
			      int64_t created_before, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s);
	rc = store_stmt(s, ST_SESSIONS_DELETE_OLD, &st, e);
	if (rc)
		return rc;
	bind_int(st, 1, seen_before);
	bind_int(st, 2, created_before);
	return store_run(st, "ending old sessions", e);
}

int store_user_each(struct store *s,
		    int (*fn)(void *arg, const struct store_user *u,
			      const char *token_hash),
		    void *arg, struct qerr *e)
{
	struct uv {
		struct store_user u;
		char token_hash[72];
	} * v;
	char last[sizeof(v->u.name)] = "";
	size_t n = 0;
	int rc;

	assert(s && fn);
	v = calloc(SQL_PAGE, sizeof(*v));
	if (!v)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(s, ST_USERS_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, last);
		for (n = 0; (rc = step(st, "listing users", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			memset(&v[n], 0, sizeof(v[n]));
			user_cols(st, 0, &v[n].u);
			col_str(st, 7, v[n].token_hash,
				sizeof(v[n].token_hash));
		}
		done(st);
		if (rc == DRV_DONE)
			rc = Q_OK;
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &v[i].u, v[i].token_hash) != 0;
		if (n)
			memcpy(last, v[n - 1].u.name, sizeof(last));
		if (stop)
			break;
	} while (!rc && n == SQL_PAGE);
	free(v);
	return rc;
}

/* --- test hook: fault injection ------------------------------------------- */

static void fault_set(struct store *s, long n, bool once, bool kill)
{
	assert(s);
	s->fault.left = n;
	s->fault.once = once;
	s->fault.kill = kill;
	s->fault.refused = 0;
}

void store_fault_after(struct store *s, long n)
{
	fault_set(s, n, false, false);
}

void store_fault_once(struct store *s, long n)
{
	fault_set(s, n < 0 ? -1 : n, true, false);
}

void store_fault_kill_after(struct store *s, long n)
{
	fault_set(s, n < 0 ? -1 : n, false, true);
}

long store_fault_refused(struct store *s)
{
	assert(s);
	return s->fault.refused;
}

int store_fault_check(struct store *s, const char *op, struct qerr *e)
{
	if (s->fault.left < 0)
		return Q_OK;
	if (s->fault.left > 0) {
		s->fault.left--;
		return Q_OK;
	}
	if (s->fault.kill)
		raise(SIGKILL);
	if (s->fault.once)
		s->fault.left = -1;
	s->fault.refused++;
	return qerr_set(e, Q_ERR_IO, "", "store: %s: injected fault", op);
}
