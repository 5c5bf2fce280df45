/*
 * store_sqlite.c - the store (store.h) on SQLite: one file, WAL mode,
 * synchronous=FULL so that a commit that returned survives a power loss.
 *
 * Every statement is prepared once, on first use, and kept in struct store;
 * after each use it is reset, so no statement stays open between calls. The
 * iterators (store_*_each) read a page of rows, reset their statement and
 * only then call the visitor, so a visitor may use the store freely (read,
 * and write inside the caller's transaction).
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

#define BUSY_TIMEOUT_MS 10000
#define PAGE 64			    /* rows read before visiting them */
#define POLICY_TEXT_MAX (16u << 20) /* one policy file, bytes */
#define POLICY_HASH_MAX 72	    /* "sha256:" + 64 hex + NUL */
#define PROGRAM_MAX 64		    /* as struct store_app.program */

/* --- the schema ------------------------------------------------------------ */

/* Migration i brings the schema from version i to version i + 1. Append
 * only: a migration that shipped is never edited. */
static const char *const migrations[] = {
	/* 1: everything. Money is INTEGER fen. */
	"CREATE TABLE policies ("
	"  hash TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  added_at INTEGER NOT NULL);"
	"CREATE INDEX policies_program ON policies (program);"
	/* The version in force per program: the one added (or added again)
	 * last, so re-loading an older file makes it current again. */
	"CREATE TABLE current_policies ("
	"  program TEXT PRIMARY KEY NOT NULL,"
	"  hash TEXT NOT NULL REFERENCES policies (hash),"
	"  since INTEGER NOT NULL);"
	"CREATE TABLE applications ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  measure TEXT NOT NULL,"
	"  uscc TEXT NOT NULL,"
	"  policy_hash TEXT NOT NULL REFERENCES policies (hash),"
	"  state TEXT NOT NULL CHECK (state IN ('ineligible', 'reserved',"
	"    'waitlisted', 'queued', 'awarded', 'rejected', 'withdrawn',"
	"    'expired')),"
	"  seq INTEGER NOT NULL UNIQUE CHECK (seq > 0),"
	"  fiscal_year INTEGER NOT NULL,"
	"  requested INTEGER NOT NULL CHECK (requested >= 0),"
	"  awarded INTEGER NOT NULL CHECK (awarded >= 0),"
	"  paid INTEGER NOT NULL CHECK (paid >= 0),"
	"  recovered INTEGER NOT NULL CHECK (recovered >= 0),"
	"  contract_value INTEGER NOT NULL CHECK (contract_value >= 0),"
	"  compute INTEGER NOT NULL CHECK (compute IN (0, 1)),"
	"  approver TEXT NOT NULL,"
	"  submitted_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  json TEXT,"
	"  decision TEXT);"
	"CREATE INDEX applications_queue ON applications (program, state, seq);"
	"CREATE INDEX applications_applicant"
	"  ON applications (program, uscc, fiscal_year);"
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY NOT NULL,"
	"  code TEXT NOT NULL UNIQUE,"
	"  flags INTEGER NOT NULL,"
	"  debits_pending INTEGER NOT NULL,"
	"  debits_posted INTEGER NOT NULL,"
	"  credits_pending INTEGER NOT NULL,"
	"  credits_posted INTEGER NOT NULL);"
	"CREATE TABLE transfers ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  debit INTEGER NOT NULL REFERENCES accounts (id),"
	"  credit INTEGER NOT NULL REFERENCES accounts (id),"
	"  amount INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL,"
	"  pending_id TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  code INTEGER NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  timestamp INTEGER NOT NULL UNIQUE);"
	"CREATE INDEX transfers_pending ON transfers (pending_id);"
	"CREATE INDEX transfers_ref ON transfers (ref);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  who TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  policy_hash TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	/* Transfers, events and policy versions are history: quan never
	 * changes them. The triggers stop a mistake, not an attacker (who
	 * can drop them); the audit chain is what catches the attacker. */
	"CREATE TRIGGER transfers_immutable BEFORE UPDATE ON transfers"
	"  BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;"
	"CREATE TRIGGER transfers_kept BEFORE DELETE ON transfers"
	"  BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;"
	"CREATE TRIGGER events_immutable BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;"
	"CREATE TRIGGER events_kept BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;"
	"CREATE TRIGGER policies_immutable BEFORE UPDATE ON policies"
	"  BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;"
	"CREATE TRIGGER policies_kept BEFORE DELETE ON policies"
	"  BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;",
	/* 2: one program's applications in arrival order without sorting
	 * them all for every page (reports and checks went quadratic). */
	"CREATE INDEX applications_program_seq ON applications (program, seq);",
	/* 3: the server's users (tokens kept only as SHA-256 hashes), who
	 * posted an award (whoever approves may not disburse), and one
	 * application's history without walking the whole chain. */
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('administrator', 'reviewer',"
	"    'finance', 'auditor', 'applicant')),"
	"  uscc TEXT NOT NULL,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"ALTER TABLE applications ADD COLUMN approved_by TEXT NOT NULL"
	"  DEFAULT '';"
	"CREATE INDEX events_subject ON events (subject, seq);"
	"CREATE INDEX applications_uscc_seq ON applications (uscc, seq);",
	/* 4: is anyone waitlisted for this measure and year? An index seek
	 * for every application, however long the waitlists grow. */
	"CREATE INDEX applications_state_measure"
	"  ON applications (program, state, measure, fiscal_year);",
	/* 5: what the screens look up (engine/screen.h): every application's
	 * contract, with an index per lookup so that a screen is a few index
	 * seeks however many contracts the office holds; the registry of
	 * controllers; the imported lists. */
	"CREATE TABLE contracts ("
	"  app_id TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  applicant TEXT NOT NULL,"
	"  supplier TEXT NOT NULL,"
	"  number TEXT NOT NULL,"
	"  value INTEGER NOT NULL CHECK (value >= 0),"
	"  signed_on INTEGER NOT NULL);"
	"CREATE INDEX contracts_number"
	"  ON contracts (applicant, supplier, number);"
	"CREATE INDEX contracts_value"
	"  ON contracts (applicant, supplier, value, signed_on);"
	"CREATE INDEX contracts_signed"
	"  ON contracts (applicant, supplier, signed_on);"
	"CREATE TABLE controllers ("
	"  uscc TEXT NOT NULL,"
	"  controller TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  PRIMARY KEY (uscc, controller));"
	"CREATE TABLE listings ("
	"  list TEXT NOT NULL CHECK (list IN ('dishonest', 'restricted')),"
	"  uscc TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  PRIMARY KEY (list, uscc));",
	/* 6: the office numbers applications itself (per program and fiscal
	 * year, in app_numbers) and stamps when it received them; the
	 * applicant's own id becomes client_ref, an idempotency key scoped
	 * to its firm (NULL when none, so those never collide). The rows of
	 * before were numbered by their applicants: their id was their
	 * reference, and a retry of one is still found by it. */
	"ALTER TABLE applications RENAME COLUMN submitted_at TO received_at;"
	"ALTER TABLE applications ADD COLUMN client_ref TEXT"
	"  CHECK (client_ref <> '');"
	"UPDATE applications SET client_ref = NULLIF(id, '');"
	"CREATE UNIQUE INDEX applications_client_ref"
	"  ON applications (uscc, client_ref);"
	"CREATE TABLE app_numbers ("
	"  program TEXT NOT NULL,"
	"  year INTEGER NOT NULL,"
	"  last INTEGER NOT NULL CHECK (last > 0),"
	"  PRIMARY KEY (program, year));",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* --- statements ----------------------------------------------------------- */

#define APP_COLS                                                               \
	"id, program, measure, uscc, policy_hash, state, seq, fiscal_year, "   \
	"requested, awarded, paid, recovered, contract_value, compute, "       \
	"approver, received_at, updated_at, json, decision, approved_by, "     \
	"client_ref"
#define TRANSFER_COLS                                                           \
	"id, debit, credit, amount, flags, pending_id, expires_at, code, ref, " \
	"timestamp"
#define EVENT_COLS                                                             \
	"seq, at, who, action, subject, policy_hash, detail, prev_hash, hash"
#define ACCOUNT_COLS                                                           \
	"id, code, flags, debits_pending, debits_posted, credits_pending, "    \
	"credits_posted"

enum stmt_id {
	ST_POLICY_PROGRAM,
	ST_POLICY_INSERT,
	ST_CURRENT_SET,
	ST_POLICY_CURRENT,
	ST_POLICY_TEXT,
	ST_POLICY_PATH,
	ST_PROGRAMS_PAGE,
	ST_APP_EXISTS,
	ST_APP_NEXT_SEQ,
	ST_APP_INSERT,
	ST_APP_GET,
	ST_APP_BY_REF,
	ST_APP_NUMBER,
	ST_APP_NUMBER_SET,
	ST_APP_UPDATE,
	ST_APPS_PAGE,	      /* any program, any state */
	ST_APPS_PAGE_STATE,   /* any program, one state */
	ST_APPS_PAGE_PROGRAM, /* one program, any state */
	ST_APPS_PAGE_BOTH,    /* one program, one state */
	ST_APPLICANT_YEAR,
	ST_ACCOUNT_GET,
	ST_ACCOUNT_PUT,
	ST_ACCOUNTS_PAGE,
	ST_TRANSFER_GET,
	ST_TRANSFER_PUT,
	ST_TRANSFERS_PAGE,
	ST_TRANSFERS_PAGE_REF,
	ST_PENDING_STATE,
	ST_LAST_TIMESTAMP,
	ST_EVENT_LAST,
	ST_EVENT_INSERT,
	ST_EVENTS_PAGE,
	ST_EVENTS_SUBJECT_PAGE,
	ST_USER_INSERT,
	ST_USER_BY_TOKEN,
	ST_APP_ANY,
	ST_CONTRACT_INSERT,
	ST_CONTRACT_SAME,
	ST_CONTRACT_BETWEEN,
	ST_CONTRACT_BETWEEN_SUM,
	ST_CONTROLLER_PUT,
	ST_CONTROLLERS_OF,
	ST_LISTING_PUT,
	ST_LISTING_GET,
	ST__COUNT
};

#define PAGE_TEXT "64" /* PAGE, for the SQL below */

static const char *const stmt_sql[ST__COUNT] = {
	[ST_POLICY_PROGRAM] = "SELECT program FROM policies WHERE hash = ?1",
	[ST_POLICY_INSERT] = "INSERT INTO policies (hash, program, path, text, "
			     "added_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CURRENT_SET] =
		"INSERT INTO current_policies (program, hash, since) "
		"VALUES (?1, ?2, ?3) ON CONFLICT (program) DO "
		"UPDATE SET hash = excluded.hash, "
		"since = excluded.since",
	[ST_POLICY_CURRENT] =
		"SELECT c.hash, p.text FROM current_policies c "
		"JOIN policies p ON p.hash = c.hash WHERE c.program = ?1",
	[ST_POLICY_TEXT] = "SELECT text FROM policies WHERE hash = ?1",
	[ST_POLICY_PATH] = "SELECT path FROM policies WHERE hash = ?1",
	[ST_PROGRAMS_PAGE] = "SELECT program, hash FROM current_policies "
			     "WHERE program > ?1 ORDER BY program "
			     "LIMIT " PAGE_TEXT,
	[ST_APP_EXISTS] = "SELECT 1 FROM applications WHERE id = ?1",
	[ST_APP_NEXT_SEQ] =
		"SELECT COALESCE(MAX(seq), 0) + 1 FROM applications",
	[ST_APP_INSERT] = "INSERT INTO applications (" APP_COLS
			  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			  "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
			  "?21)",
	[ST_APP_GET] = "SELECT " APP_COLS " FROM applications WHERE id = ?1",
	[ST_APP_BY_REF] = "SELECT " APP_COLS " FROM applications WHERE "
			  "uscc = ?1 AND client_ref = ?2",
	[ST_APP_NUMBER] =
		"INSERT INTO app_numbers (program, year, last) "
		"VALUES (?1, ?2, 1) ON CONFLICT (program, year) DO "
		"UPDATE SET last = app_numbers.last + 1 RETURNING last",
	[ST_APP_NUMBER_SET] =
		"INSERT INTO app_numbers (program, year, last) "
		"VALUES (?1, ?2, ?3) ON CONFLICT (program, year) DO "
		"UPDATE SET last = MAX(app_numbers.last, excluded.last)",
	[ST_APP_UPDATE] = "UPDATE applications SET state = ?2, awarded = ?3, "
			  "paid = ?4, recovered = ?5, approver = ?6, "
			  "updated_at = ?7, requested = ?8, approved_by = ?9 "
			  "WHERE id = ?1",
	[ST_APPS_PAGE] = "SELECT " APP_COLS " FROM applications WHERE "
			 "seq > ?3 ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_STATE] = "SELECT " APP_COLS " FROM applications WHERE "
			       "state = ?2 AND seq > ?3 ORDER BY seq "
			       "LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_PROGRAM] = "SELECT " APP_COLS " FROM applications WHERE "
				 "program = ?1 AND seq > ?3 ORDER BY seq "
				 "LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_BOTH] = "SELECT " APP_COLS " FROM applications WHERE "
			      "program = ?1 AND state = ?2 AND seq > ?3 "
			      "ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_APPLICANT_YEAR] =
		"SELECT COALESCE(SUM(CASE WHEN measure <> ?5 THEN 0 "
		"WHEN state IN ('reserved', 'waitlisted', 'queued') "
		"THEN requested WHEN state = 'awarded' THEN awarded "
		"ELSE 0 END), 0), "
		"COALESCE(SUM(CASE WHEN compute THEN contract_value ELSE 0 "
		"END), 0) FROM applications WHERE program = ?1 AND uscc = ?2 "
		"AND fiscal_year = ?3 AND id <> ?4",
	[ST_ACCOUNT_GET] =
		"SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1",
	[ST_ACCOUNT_PUT] =
		"INSERT INTO accounts (" ACCOUNT_COLS ") VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
		"debits_pending = excluded.debits_pending, "
		"debits_posted = excluded.debits_posted, "
		"credits_pending = excluded.credits_pending, "
		"credits_posted = excluded.credits_posted",
	[ST_ACCOUNTS_PAGE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE "
			     "id > ?1 ORDER BY id LIMIT " PAGE_TEXT,
	[ST_TRANSFER_GET] = "SELECT " TRANSFER_COLS " FROM transfers "
			    "WHERE id = ?1",
	[ST_TRANSFER_PUT] = "INSERT INTO transfers (" TRANSFER_COLS
			    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
			    "?10)",
	[ST_TRANSFERS_PAGE] = "SELECT " TRANSFER_COLS " FROM transfers WHERE "
			      "timestamp > ?1 ORDER BY timestamp "
			      "LIMIT " PAGE_TEXT,
	[ST_TRANSFERS_PAGE_REF] = "SELECT " TRANSFER_COLS " FROM transfers "
				  "WHERE ref = ?2 AND timestamp > ?1 "
				  "ORDER BY timestamp LIMIT " PAGE_TEXT,
	/* The pending transfer's flags, and the flags of the transfer that
	 * posted or voided it, if any (LEDGER_POST_PENDING = 4,
	 * LEDGER_VOID_PENDING = 8). */
	[ST_PENDING_STATE] =
		"SELECT p.flags, (SELECT t.flags FROM transfers t "
		"WHERE t.pending_id = p.id AND (t.flags & 12) <> 0 "
		"LIMIT 1) FROM transfers p WHERE p.id = ?1",
	[ST_LAST_TIMESTAMP] =
		"SELECT COALESCE(MAX(timestamp), 0) FROM transfers",
	[ST_EVENT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC "
			  "LIMIT 1",
	[ST_EVENT_INSERT] = "INSERT INTO events (" EVENT_COLS
			    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_EVENTS_PAGE] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 "
			   "ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_EVENTS_SUBJECT_PAGE] = "SELECT " EVENT_COLS " FROM events WHERE "
				   "subject = ?2 AND seq > ?1 ORDER BY seq "
				   "LIMIT " PAGE_TEXT,
	[ST_APP_ANY] =
		"SELECT 1 FROM applications WHERE program = ?1 AND "
		"state = ?2 AND measure = ?3 AND fiscal_year = ?4 LIMIT 1",
	[ST_USER_INSERT] = "INSERT INTO users (name, role, uscc, token_hash, "
			   "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_USER_BY_TOKEN] = "SELECT name, role, uscc, created_at FROM users "
			     "WHERE token_hash = ?1",
	[ST_CONTRACT_INSERT] =
		"INSERT INTO contracts (app_id, program, applicant, supplier, "
		"number, value, signed_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* Two seeks, one per index; UNION drops a contract both find. */
	[ST_CONTRACT_SAME] =
		"SELECT rowid, app_id, program, number, value, signed_on "
		"FROM contracts WHERE applicant = ?1 AND supplier = ?2 "
		"AND number = ?3 AND value = ?4 AND app_id <> ?7 "
		"UNION SELECT rowid, app_id, program, number, value, "
		"signed_on FROM contracts WHERE applicant = ?1 AND "
		"supplier = ?2 AND value = ?4 AND signed_on BETWEEN ?5 AND "
		"?6 AND app_id <> ?7 ORDER BY 1 LIMIT ?8",
	[ST_CONTRACT_BETWEEN] =
		"SELECT rowid, app_id, program, number, value, signed_on "
		"FROM contracts INDEXED BY contracts_signed "
		"WHERE applicant = ?1 AND supplier = ?2 "
		"AND signed_on BETWEEN ?3 AND ?4 AND value >= ?5 AND "
		"value < ?6 AND app_id <> ?7 AND number <> ?8 "
		"ORDER BY signed_on, rowid LIMIT ?9",
	[ST_CONTRACT_BETWEEN_SUM] =
		"SELECT COUNT(*), COALESCE(SUM(value), 0) "
		"FROM contracts INDEXED BY contracts_signed "
		"WHERE applicant = ?1 AND supplier = ?2 "
		"AND signed_on BETWEEN ?3 AND ?4 AND value >= ?5 AND "
		"value < ?6 AND app_id <> ?7 AND number <> ?8",
	[ST_CONTROLLER_PUT] =
		"INSERT INTO controllers (uscc, controller, name, source) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uscc, controller) DO "
		"UPDATE SET name = excluded.name, source = excluded.source",
	[ST_CONTROLLERS_OF] = "SELECT uscc, controller, name, source FROM "
			      "controllers WHERE uscc = ?1 ORDER BY "
			      "controller LIMIT ?2",
	[ST_LISTING_PUT] =
		"INSERT INTO listings (list, uscc, name, reason, source) "
		"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (list, uscc) DO "
		"UPDATE SET name = excluded.name, reason = excluded.reason, "
		"source = excluded.source",
	[ST_LISTING_GET] = "SELECT list, uscc, name, reason, source FROM "
			   "listings WHERE list = ?1 AND uscc = ?2",
};

_Static_assert(PAGE == 64, "PAGE_TEXT must spell PAGE");
_Static_assert(LEDGER_POST_PENDING == 4 && LEDGER_VOID_PENDING == 8,
	       "ST_PENDING_STATE spells the flags as numbers");

/* One open database. Not for use by two threads at once. */
struct sq {
	struct store base; /* ops: sqlite_ops */
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT]; /* prepared on first use, or NULL */
	struct ledger_io io;	     /* ctx is this store */
	struct qerr io_err;	     /* the last error of a ledger_io call */
	int version;		     /* schema version after migrations */
};

/* The back end behind a struct store: base comes first, so a struct store *
 * of this back end points at its struct sq. */
static struct sq *sq_of(struct store *base)
{
	return (struct sq *)base;
}

/* --- helpers ----------------------------------------------------------------- */

/* Q_ERR_IO with the database's own words; call before any reset, which
 * can replace the message. */
static int db_err(struct sq *s, struct qerr *e, const char *op)
{
	return qerr_set(e, Q_ERR_IO, "", "sqlite: %s: %s", op,
			sqlite3_errmsg(s->db));
}

/* The cached statement id, prepared on first use. */
static int stmt(struct sq *s, enum stmt_id id, sqlite3_stmt **out,
		struct qerr *e)
{
	if (!s->st[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
					     SQLITE_PREPARE_PERSISTENT,
					     &s->st[id], NULL) != SQLITE_OK) {
		s->st[id] = NULL;
		return db_err(s, e, "preparing a statement");
	}
	/* A statement is reset after each use: none is left running. */
	assert(!sqlite3_stmt_busy(s->st[id]));
	*out = s->st[id];
	return Q_OK;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Bind a fixed-size string field (never reading past cap). */
static int bind_str(sqlite3_stmt *st, int i, const char *str, size_t cap)
{
	return sqlite3_bind_text(st, i, str, (int)strnlen(str, cap),
				 SQLITE_STATIC);
}

#define BIND_FIELD(st, i, field) bind_str(st, i, field, sizeof(field))

/* Copy text column i into buf (cap bytes), cut if longer. */
static void col_str(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (!t)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, t, n);
	buf[n] = '\0';
}

/* A malloc'd NUL-terminated copy of column i (its exact bytes) into *out,
 * NULL for SQL NULL; *len gets the length. Returns -1 when out of memory. */
static int col_dup(sqlite3_stmt *st, int i, char **out, size_t *len)
{
	const void *b;
	size_t n;

	*out = NULL;
	if (len)
		*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	*out = malloc(n + 1);
	if (!*out)
		return -1;
	if (n)
		memcpy(*out, b, n);
	(*out)[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

static int nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* Run SQL that returns no rows. */
static int exec(struct sq *s, const char *sql, const char *op, struct qerr *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, e, op);
	return Q_OK;
}

/* --- opening, transactions ------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* BEGIN IMMEDIATE takes the write lock at once. The busy handler already
 * waits for a lock held by another connection; the loop covers the cases
 * where SQLite reports SQLITE_BUSY without calling it, so the whole wait
 * stays within the busy timeout. */
static int sq_begin(struct store *base, struct qerr *e)
{
	struct sq *s = sq_of(base);
	int64_t until = now_ms() + BUSY_TIMEOUT_MS;
	int rc;

	for (;;) {
		rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || now_ms() >= until)
			break;
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_OK)
		return db_err(s, e, "beginning a transaction");
	return Q_OK;
}

static int sq_commit(struct store *base, struct qerr *e)
{
	struct sq *s = sq_of(base);
	return exec(s, "COMMIT", "committing", e);
}

static void sq_rollback(struct store *base)
{
	struct sq *s = sq_of(base);
	if (s && s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_savepoint(struct store *base, struct qerr *e)
{
	struct sq *s = sq_of(base);
	return exec(s, "SAVEPOINT one", "opening a savepoint", e);
}

static int sq_savepoint_release(struct store *base, struct qerr *e)
{
	struct sq *s = sq_of(base);
	return exec(s, "RELEASE one", "releasing a savepoint", e);
}

static void sq_savepoint_rollback(struct store *base)
{
	struct sq *s = sq_of(base);
	sqlite3_exec(s->db, "ROLLBACK TO one; RELEASE one", NULL, NULL, NULL);
}

/* For the functions that must be atomic when called outside a
 * transaction: open one of their own (*own is set) if none is open. */
static int begin_own(struct sq *s, bool *own, struct qerr *e)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return *own ? sq_begin(&s->base, e) : Q_OK;
}

static int end_own(struct sq *s, bool own, int rc, struct qerr *e)
{
	if (!own)
		return rc;
	if (rc == Q_OK)
		rc = sq_commit(&s->base, e);
	if (rc != Q_OK)
		sq_rollback(&s->base);
	return rc;
}

static int read_version(struct sq *s, int *v, struct qerr *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return db_err(s, e, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		db_err(s, e, "reading the schema version");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? Q_OK : Q_ERR_IO;
}

/* Bring the schema to SCHEMA_VERSION in one transaction, so a crash leaves
 * the old version whole and two processes opening at once migrate once. */
static int migrate(struct sq *s, struct qerr *e)
{
	char sql[64];
	int v = 0;
	int rc;

	rc = sq_begin(&s->base, e);
	if (rc)
		return rc;
	rc = read_version(s, &v, e);
	if (rc)
		goto out;
	if (v < 0 || v > SCHEMA_VERSION) {
		rc = qerr_set(e, Q_ERR_IO, "",
			      "database schema version %d is newer than this "
			      "quan knows (%d)",
			      v, SCHEMA_VERSION);
		goto out;
	}
	for (int i = v; !rc && i < SCHEMA_VERSION; i++) {
		char op[64];

		snprintf(op, sizeof(op), "migration %d", i + 1);
		rc = exec(s, migrations[i], op, e);
	}
	if (!rc && v != SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 SCHEMA_VERSION);
		rc = exec(s, sql, "setting the schema version", e);
	}
out:
	if (!rc)
		rc = sq_commit(&s->base, e);
	if (rc)
		sq_rollback(&s->base);
	else
		s->version = SCHEMA_VERSION;
	return rc;
}

/* Set a pragma whose answer is a row, and check the answer. */
static int pragma_expect(struct sq *s, const char *sql, const char *want,
			 const char *op, struct qerr *e)
{
	sqlite3_stmt *st;
	char got[32] = "";
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
		return db_err(s, e, op);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_str(st, 0, got, sizeof(got));
	else if (rc != SQLITE_DONE)
		db_err(s, e, op);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return Q_ERR_IO;
	if (strcmp(got, want))
		return qerr_set(e, Q_ERR_IO, "", "sqlite: %s: got '%s'", op,
				got);
	return Q_OK;
}

static const struct ledger_io sqlite_io; /* below */

static const struct store_ops sqlite_ops; /* below */
static void sq_close(struct store *base);

int store_sqlite_open(const char *path, struct store **out, struct qerr *e)
{
	struct sq *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return nomem(e);
	s->base.ops = &sqlite_ops;
	s->io = sqlite_io;
	s->io.ctx = s;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		if (!s->db) {
			rc = nomem(e);
			goto err;
		}
		rc = qerr_set(e, Q_ERR_IO, "", "sqlite: opening '%.200s': %s",
			      path, sqlite3_errmsg(s->db));
		goto err;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* An in-memory database (tests) has no WAL. */
	rc = pragma_expect(s, "PRAGMA journal_mode = WAL",
			   strcmp(path, ":memory:") ? "wal" : "memory",
			   "setting WAL mode", e);
	/* FULL in WAL mode syncs the log at every commit: a commit that
	 * returned survives a power loss. */
	if (!rc)
		rc = exec(s, "PRAGMA synchronous = FULL", "setting synchronous",
			  e);
	if (!rc)
		rc = pragma_expect(s, "PRAGMA synchronous", "2",
				   "setting synchronous", e);
	if (!rc)
		rc = exec(s, "PRAGMA foreign_keys = ON",
			  "enabling foreign keys", e);
	if (!rc)
		rc = pragma_expect(s, "PRAGMA foreign_keys", "1",
				   "enabling foreign keys", e);
	/* A 64 MiB page cache and memory-mapped reads: a batch of a few
	 * hundred applications touches many pages, and re-reading them with
	 * pread was most of the time per application. */
	if (!rc)
		rc = exec(s, "PRAGMA cache_size = -65536", "sizing the cache",
			  e);
	if (!rc)
		rc = exec(s, "PRAGMA mmap_size = 268435456", "mapping the file",
			  e);
	/* Each application of a batch has its own savepoint; its
	 * sub-journal belongs in memory, not in a temporary file written
	 * page by page (45 writes per application). */
	if (!rc)
		rc = exec(s, "PRAGMA temp_store = MEMORY", "setting temp_store",
			  e);
	if (!rc)
		rc = migrate(s, e);
	if (rc)
		goto err;
	*out = &s->base;
	return Q_OK;
err:
	sq_close(&s->base);
	return rc;
}

static void sq_close(struct store *base)
{
	struct sq *s = sq_of(base);
	if (!s)
		return;
	sq_rollback(&s->base);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static int sq_schema_version(struct store *base)
{
	struct sq *s = sq_of(base);
	return s->version;
}

/* --- policies --------------------------------------------------------------- */

static int sq_policy_add(struct store *base, const char *program,
			 const char *hash, const char *path, const char *text,
			 size_t len, int64_t now, bool *is_new, struct qerr *e)
{
	struct sq *s = sq_of(base);
	char stored[PROGRAM_MAX] = "";
	sqlite3_stmt *st;
	bool own;
	int rc;

	*is_new = false;
	if (!*program || !*hash)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"a policy needs a program and a hash");
	if (strlen(program) >= PROGRAM_MAX)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"program name '%.64s...' is too long", program);
	if (strlen(hash) >= POLICY_HASH_MAX)
		return qerr_set(e, Q_ERR_INVALID, "hash",
				"policy hash '%.72s...' is too long", hash);
	if (len > POLICY_TEXT_MAX)
		return qerr_set(e, Q_ERR_TOO_LARGE, "",
				"policy '%.200s' is "
				"larger than %u bytes",
				path, POLICY_TEXT_MAX);
	rc = begin_own(s, &own, e);
	if (rc)
		return rc;

	rc = stmt(s, ST_POLICY_PROGRAM, &st, e);
	if (rc)
		goto out;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		col_str(st, 0, stored, sizeof(stored));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
		     ? Q_OK
		     : db_err(s, e, "looking up a policy version");
	*is_new = stored[0] == '\0' && rc == Q_OK;
	done(st);
	if (rc)
		goto out;
	if (!*is_new && strcmp(stored, program)) {
		rc = qerr_set(e, Q_ERR_INVALID, "program",
			      "policy %s is stored for program '%s', not '%s'",
			      hash, stored, program);
		goto out;
	}

	if (*is_new) {
		rc = stmt(s, ST_POLICY_INSERT, &st, e);
		if (rc)
			goto out;
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, program, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, path ? path : "", -1, SQLITE_STATIC);
		sqlite3_bind_text64(st, 4, len ? text : "", len, SQLITE_STATIC,
				    SQLITE_UTF8);
		sqlite3_bind_int64(st, 5, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_err(s, e, "storing a policy version");
		done(st);
		if (rc)
			goto out;
	}

	rc = stmt(s, ST_CURRENT_SET, &st, e);
	if (rc)
		goto out;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(s, e, "making a policy version current");
	done(st);
out:
	if (rc)
		*is_new = false;
	return end_own(s, own, rc, e);
}

static int sq_policy_current(struct store *base, const char *program,
			     char *hash, char **text, size_t *len,
			     struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	if (text)
		*text = NULL;
	rc = stmt(s, ST_POLICY_CURRENT, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = Q_OK;
		col_str(st, 0, hash, POLICY_HASH_MAX);
		if (text && col_dup(st, 1, text, len))
			rc = nomem(e);
	} else if (rc == SQLITE_DONE) {
		rc = qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
			      "no policy for program '%s'", program);
	} else {
		rc = db_err(s, e, "reading the current policy");
	}
	done(st);
	return rc;
}

static int sq_policy_text(struct store *base, const char *hash, char **text,
			  size_t *len, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	*text = NULL;
	rc = stmt(s, ST_POLICY_TEXT, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = col_dup(st, 0, text, len) ? nomem(e) : Q_OK;
	else if (rc == SQLITE_DONE)
		rc = qerr_set(e, Q_ERR_INVALID, "policy",
			      "no policy version '%s'", hash);
	else
		rc = db_err(s, e, "reading a policy version");
	done(st);
	return rc;
}

static int sq_policy_path(struct store *base, const char *hash, char *path,
			  size_t n, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	rc = stmt(s, ST_POLICY_PATH, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_str(st, 0, path, n);
		rc = Q_OK;
	} else if (rc == SQLITE_DONE) {
		rc = qerr_set(e, Q_ERR_INVALID, "policy",
			      "no policy version '%s'", hash);
	} else {
		rc = db_err(s, e, "reading a policy version");
	}
	done(st);
	return rc;
}

static int sq_programs_each(struct store *base,
			    int (*fn)(void *arg, const char *program,
				      const char *hash),
			    void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	char prog[PAGE][PROGRAM_MAX], hash[PAGE][POLICY_HASH_MAX];
	char last[PROGRAM_MAX] = "";
	sqlite3_stmt *st;
	size_t n;
	int rc;

	do {
		rc = stmt(s, ST_PROGRAMS_PAGE, &st, e);
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, last, -1, SQLITE_STATIC);
		for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
			col_str(st, 0, prog[n], sizeof(prog[n]));
			col_str(st, 1, hash[n], sizeof(hash[n]));
		}
		rc = rc == SQLITE_DONE ? Q_OK
				       : db_err(s, e, "listing programs");
		done(st);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (fn(arg, prog[i], hash[i]))
				return Q_OK;
		if (n)
			memcpy(last, prog[n - 1], sizeof(last));
	} while (n == PAGE);
	return Q_OK;
}

/* --- applications ------------------------------------------------------------ */

/* Decode a row of APP_COLS into a (which owns json and decision). */
static int app_row(sqlite3_stmt *st, struct store_app *a, struct qerr *e)
{
	char state[16];

	memset(a, 0, sizeof(*a));
	col_str(st, 0, a->id, sizeof(a->id));
	col_str(st, 1, a->program, sizeof(a->program));
	col_str(st, 2, a->measure, sizeof(a->measure));
	col_str(st, 3, a->uscc, sizeof(a->uscc));
	col_str(st, 4, a->policy_hash, sizeof(a->policy_hash));
	col_str(st, 5, state, sizeof(state));
	a->state = app_state_parse(state);
	a->seq = sqlite3_column_int64(st, 6);
	a->fiscal_year = sqlite3_column_int(st, 7);
	a->requested = sqlite3_column_int64(st, 8);
	a->awarded = sqlite3_column_int64(st, 9);
	a->paid = sqlite3_column_int64(st, 10);
	a->recovered = sqlite3_column_int64(st, 11);
	a->contract_value = sqlite3_column_int64(st, 12);
	a->compute = sqlite3_column_int(st, 13) != 0;
	col_str(st, 14, a->approver, sizeof(a->approver));
	col_str(st, 19, a->approved_by, sizeof(a->approved_by));
	col_str(st, 20, a->client_ref, sizeof(a->client_ref));
	a->received_at = sqlite3_column_int64(st, 15);
	a->updated_at = sqlite3_column_int64(st, 16);
	if (a->state < 0)
		return qerr_set(e, Q_ERR_IO, "",
				"application '%s' has an unknown state '%s'",
				a->id, state);
	if (col_dup(st, 17, &a->json, NULL) ||
	    col_dup(st, 18, &a->decision, NULL)) {
		store_app_release(a);
		return nomem(e);
	}
	return Q_OK;
}

static int bind_nullable(sqlite3_stmt *st, int i, const char *text)
{
	if (!text)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static int app_insert(struct sq *s, struct store_app *a, struct qerr *e)
{
	sqlite3_stmt *st;
	int64_t seq = 0;
	int rc, src;

	rc = stmt(s, ST_APP_EXISTS, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, a->id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW
		     ? qerr_set(e, Q_ERR_CONFLICT, "id",
				"application '%s' already exists", a->id)
	     : rc == SQLITE_DONE ? Q_OK
				 : db_err(s, e, "looking up an application");
	done(st);
	if (rc)
		return rc;

	rc = stmt(s, ST_APP_NEXT_SEQ, &st, e);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	else
		rc = db_err(s, e, "numbering an application");
	done(st);
	if (rc)
		return rc;

	rc = stmt(s, ST_APP_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, a->id);
	BIND_FIELD(st, 2, a->program);
	BIND_FIELD(st, 3, a->measure);
	BIND_FIELD(st, 4, a->uscc);
	BIND_FIELD(st, 5, a->policy_hash);
	sqlite3_bind_text(st, 6, app_state_name(a->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, seq);
	sqlite3_bind_int(st, 8, a->fiscal_year);
	sqlite3_bind_int64(st, 9, a->requested);
	sqlite3_bind_int64(st, 10, a->awarded);
	sqlite3_bind_int64(st, 11, a->paid);
	sqlite3_bind_int64(st, 12, a->recovered);
	sqlite3_bind_int64(st, 13, a->contract_value);
	sqlite3_bind_int(st, 14, a->compute ? 1 : 0);
	BIND_FIELD(st, 15, a->approver);
	sqlite3_bind_int64(st, 16, a->received_at);
	sqlite3_bind_int64(st, 17, a->updated_at);
	bind_nullable(st, 18, a->json);
	bind_nullable(st, 19, a->decision);
	BIND_FIELD(st, 20, a->approved_by);
	if (a->client_ref[0])
		BIND_FIELD(st, 21, a->client_ref);
	else
		sqlite3_bind_null(st, 21);
	src = sqlite3_step(st);
	if (src == SQLITE_CONSTRAINT_UNIQUE ||
	    src == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = qerr_set(e, Q_ERR_CONFLICT,
			      strstr(sqlite3_errmsg(s->db), "client_ref")
				      ? "client_ref"
				      : "id",
			      "sqlite: storing application '%s': %s", a->id,
			      sqlite3_errmsg(s->db));
	else if (src != SQLITE_DONE)
		rc = qerr_set(e, Q_ERR_IO, "",
			      "sqlite: storing application '%s': %s", a->id,
			      sqlite3_errmsg(s->db));
	done(st);
	if (!rc)
		a->seq = seq;
	return rc;
}

static int sq_app_insert(struct store *base, struct store_app *a,
			 struct qerr *e)
{
	struct sq *s = sq_of(base);
	bool own;
	int rc;

	if (a->state < 0 || a->state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state",
				"application '%.64s': unknown state %d", a->id,
				a->state);
	rc = begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = app_insert(s, a, e);
	return end_own(s, own, rc, e);
}

static int sq_app_get(struct store *base, const char *id, struct store_app *out,
		      struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = stmt(s, ST_APP_GET, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = app_row(st, out, e);
	else if (rc == SQLITE_DONE)
		rc = Q_NONE;
	else
		rc = db_err(s, e, "reading an application");
	done(st);
	return rc;
}

static int sq_app_by_ref(struct store *base, const char *uscc,
			 const char *client_ref, struct store_app *out,
			 struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = stmt(s, ST_APP_BY_REF, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, uscc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, client_ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = app_row(st, out, e);
	else if (rc == SQLITE_DONE)
		rc = Q_NONE;
	else
		rc = db_err(s, e, "looking up an application by reference");
	done(st);
	return rc;
}

/* Numbers are drawn inside the caller's transaction only: drawn in one of
 * their own, a number would be committed whatever became of the
 * application it was for. */
static int in_transaction(struct sq *s, const char *op, struct qerr *e)
{
	if (sqlite3_get_autocommit(s->db))
		return qerr_set(e, Q_ERR_INVALID, "",
				"%s: only inside a write transaction", op);
	return Q_OK;
}

static int sq_app_number(struct store *base, const char *program, int year,
			 int64_t *n, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc, src;

	*n = 0;
	rc = in_transaction(s, "numbering an application", e);
	if (!rc)
		rc = stmt(s, ST_APP_NUMBER, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		src = sqlite3_step(st);
	}
	if (src != SQLITE_DONE || *n < 1) {
		*n = 0;
		rc = db_err(s, e, "numbering an application");
	}
	done(st);
	return rc;
}

static int sq_app_number_set(struct store *base, const char *program, int year,
			     int64_t last, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	rc = in_transaction(s, "setting the numbering", e);
	if (!rc)
		rc = stmt(s, ST_APP_NUMBER_SET, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	sqlite3_bind_int64(st, 3, last);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(s, e, "setting the numbering");
	done(st);
	return rc;
}

/* The numbering into memory first (a row per program and year), so fn
 * may use the store. */
static int sq_app_numbers_each(struct store *base,
			       int (*fn)(void *arg, const char *program,
					 int year, int64_t last),
			       void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	struct nv {
		char program[STORE_PROGRAM_MAX];
		int year;
		int64_t last;
	} *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = Q_OK, src;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT program, year, last FROM app_numbers "
			       "ORDER BY program, year",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "reading the numbering");
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			struct nv *nn =
				realloc(v, (cap = cap * 2 + 8) * sizeof(*v));
			if (!nn) {
				rc = nomem(e);
				break;
			}
			v = nn;
		}
		col_str(st, 0, v[n].program, sizeof(v[n].program));
		v[n].year = sqlite3_column_int(st, 1);
		v[n].last = sqlite3_column_int64(st, 2);
		n++;
	}
	if (!rc && src != SQLITE_DONE)
		rc = db_err(s, e, "reading the numbering");
	sqlite3_finalize(st);
	for (size_t i = 0; !rc && i < n; i++)
		if (fn(arg, v[i].program, v[i].year, v[i].last))
			break;
	free(v);
	return rc;
}

static int sq_app_update(struct store *base, const struct store_app *a,
			 struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	if (a->state < 0 || a->state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state",
				"application '%.64s': unknown state %d", a->id,
				a->state);
	rc = stmt(s, ST_APP_UPDATE, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, a->id);
	sqlite3_bind_text(st, 2, app_state_name(a->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->awarded);
	sqlite3_bind_int64(st, 4, a->paid);
	sqlite3_bind_int64(st, 5, a->recovered);
	BIND_FIELD(st, 6, a->approver);
	sqlite3_bind_int64(st, 7, a->updated_at);
	sqlite3_bind_int64(st, 8, a->requested);
	BIND_FIELD(st, 9, a->approved_by);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = qerr_set(e, Q_ERR_IO, "",
			      "sqlite: updating application '%.64s': %s", a->id,
			      sqlite3_errmsg(s->db));
	else if (sqlite3_changes(s->db) != 1)
		rc = qerr_set(e, Q_ERR_INVALID, "id", "no application '%.64s'",
			      a->id);
	done(st);
	return rc;
}

static int sq_app_each(struct store *base, const char *program, int state,
		       int (*fn)(void *arg, const struct store_app *a),
		       void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	static const enum stmt_id which[2][2] = {
		{ST_APPS_PAGE, ST_APPS_PAGE_STATE},
		{ST_APPS_PAGE_PROGRAM, ST_APPS_PAGE_BOTH},
	};
	struct store_app *page;
	int64_t last = 0;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, src;

	if (state >= APP__STATE_COUNT || state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				state);
	page = calloc(PAGE, sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		bool stop = false;

		rc = stmt(s, which[program != NULL][state >= 0], &st, e);
		if (rc)
			break;
		if (program)
			sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
		if (state >= 0)
			sqlite3_bind_text(st, 2, app_state_name(state), -1,
					  SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, last);
		n = 0;
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			assert(n < PAGE);
			rc = app_row(st, &page[n], e);
			if (rc)
				break;
			n++;
		}
		if (!rc && src != SQLITE_DONE)
			rc = db_err(s, e, "listing applications");
		done(st);
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n)
			last = page[n - 1].seq;
		for (size_t i = 0; i < n; i++)
			store_app_release(&page[i]);
		if (stop)
			break;
	} while (!rc && n == PAGE);
	free(page);
	return rc;
}

static int sq_applicant_year(struct store *base, const char *program,
			     const char *measure, const char *uscc, int year,
			     const char *except_id, money_t *awarded,
			     money_t *compute_contracts, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	*awarded = 0;
	*compute_contracts = 0;
	rc = stmt(s, ST_APPLICANT_YEAR, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uscc, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, year);
	sqlite3_bind_text(st, 4, except_id ? except_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, measure, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*awarded = sqlite3_column_int64(st, 0);
		*compute_contracts = sqlite3_column_int64(st, 1);
	} else {
		rc = db_err(s, e, "summing an applicant's year");
	}
	done(st);
	return rc;
}

/* --- the ledger's storage ----------------------------------------------------- */

/* The ledger_io callbacks answer -1 on a storage error; the error itself is
 * kept here for store_ledger_error(). */
static int io_fail(struct sq *s, const char *op)
{
	db_err(s, &s->io_err, op);
	return -1;
}

static int sq_ledger_error(struct store *base, struct qerr *e)
{
	struct sq *s = sq_of(base);
	if (s->io_err.code == Q_OK)
		return qerr_set(e, Q_ERR_IO, "", "ledger: storage error");
	if (e)
		*e = s->io_err;
	return s->io_err.code;
}

static int io_stmt(struct sq *s, enum stmt_id id, sqlite3_stmt **st)
{
	return stmt(s, id, st, &s->io_err) ? -1 : 0;
}

static void account_row(sqlite3_stmt *st, struct ledger_account *a)
{
	memset(a, 0, sizeof(*a));
	a->id = (uint64_t)sqlite3_column_int64(st, 0);
	col_str(st, 1, a->code, sizeof(a->code));
	a->flags = (uint32_t)sqlite3_column_int64(st, 2);
	a->debits_pending = sqlite3_column_int64(st, 3);
	a->debits_posted = sqlite3_column_int64(st, 4);
	a->credits_pending = sqlite3_column_int64(st, 5);
	a->credits_posted = sqlite3_column_int64(st, 6);
}

static void transfer_row(sqlite3_stmt *st, struct ledger_transfer *t)
{
	memset(t, 0, sizeof(*t));
	col_str(st, 0, t->id, sizeof(t->id));
	t->debit = (uint64_t)sqlite3_column_int64(st, 1);
	t->credit = (uint64_t)sqlite3_column_int64(st, 2);
	t->amount = sqlite3_column_int64(st, 3);
	t->flags = (uint32_t)sqlite3_column_int64(st, 4);
	col_str(st, 5, t->pending_id, sizeof(t->pending_id));
	t->expires_at = sqlite3_column_int64(st, 6);
	t->code = (uint32_t)sqlite3_column_int64(st, 7);
	col_str(st, 8, t->ref, sizeof(t->ref));
	t->timestamp = sqlite3_column_int64(st, 9);
}

/* Account ids are uint64_t; SQLite keeps them as the int64_t with the same
 * bits (ids above INT64_MAX are stored negative and read back exactly). */
static int io_account_get(void *ctx, uint64_t id, struct ledger_account *out)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc;

	if (io_stmt(s, ST_ACCOUNT_GET, &st))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		account_row(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 1 : io_fail(s, "reading an account");
	}
	done(st);
	return rc;
}

static int io_account_put(void *ctx, const struct ledger_account *a)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc = 0;

	if (io_stmt(s, ST_ACCOUNT_PUT, &st))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)a->id);
	BIND_FIELD(st, 2, a->code);
	sqlite3_bind_int64(st, 3, a->flags);
	sqlite3_bind_int64(st, 4, a->debits_pending);
	sqlite3_bind_int64(st, 5, a->debits_posted);
	sqlite3_bind_int64(st, 6, a->credits_pending);
	sqlite3_bind_int64(st, 7, a->credits_posted);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = io_fail(s, "writing an account");
	done(st);
	return rc;
}

static int io_transfer_get(void *ctx, const char *id,
			   struct ledger_transfer *out)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc;

	if (io_stmt(s, ST_TRANSFER_GET, &st))
		return -1;
	bind_str(st, 1, id, LEDGER_ID_MAX);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		transfer_row(st, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 1 : io_fail(s, "reading a transfer");
	}
	done(st);
	return rc;
}

static int io_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc = 0;

	if (io_stmt(s, ST_TRANSFER_PUT, &st))
		return -1;
	BIND_FIELD(st, 1, t->id);
	sqlite3_bind_int64(st, 2, (int64_t)t->debit);
	sqlite3_bind_int64(st, 3, (int64_t)t->credit);
	sqlite3_bind_int64(st, 4, t->amount);
	sqlite3_bind_int64(st, 5, t->flags);
	BIND_FIELD(st, 6, t->pending_id);
	sqlite3_bind_int64(st, 7, t->expires_at);
	sqlite3_bind_int64(st, 8, t->code);
	BIND_FIELD(st, 9, t->ref);
	sqlite3_bind_int64(st, 10, t->timestamp);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = io_fail(s, "writing a transfer");
	done(st);
	return rc;
}

/* 1 when id is not a pending transfer, as the in-memory ledger answers. */
static int io_pending_state(void *ctx, const char *id,
			    enum ledger_pending_state *out)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc;

	if (io_stmt(s, ST_PENDING_STATE, &st))
		return -1;
	bind_str(st, 1, id, LEDGER_ID_MAX);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		uint32_t flags = (uint32_t)sqlite3_column_int64(st, 0);
		uint32_t by = (uint32_t)sqlite3_column_int64(st, 1);

		rc = 0;
		if (!(flags & LEDGER_PENDING))
			rc = 1;
		else if (by & LEDGER_POST_PENDING)
			*out = LEDGER_PENDING_POSTED;
		else if (by & LEDGER_VOID_PENDING)
			*out = LEDGER_PENDING_VOIDED;
		else
			*out = LEDGER_PENDING_OPEN;
	} else {
		rc = rc == SQLITE_DONE
			     ? 1
			     : io_fail(s, "reading a pending transfer");
	}
	done(st);
	return rc;
}

static int io_last_timestamp(void *ctx, int64_t *out)
{
	struct sq *s = ctx;
	sqlite3_stmt *st;
	int rc = 0;

	if (io_stmt(s, ST_LAST_TIMESTAMP, &st))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = io_fail(s, "reading the last timestamp");
	done(st);
	return rc;
}

static const struct ledger_io sqlite_io = {
	.ctx = NULL,
	.account_get = io_account_get,
	.account_put = io_account_put,
	.transfer_get = io_transfer_get,
	.transfer_put = io_transfer_put,
	.pending_state = io_pending_state,
	.last_timestamp = io_last_timestamp,
};

static const struct ledger_io *sq_ledger_io(struct store *base)
{
	struct sq *s = sq_of(base);
	return &s->io;
}

static int sq_account_each(struct store *base,
			   int (*fn)(void *arg, const struct ledger_account *a),
			   void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	struct ledger_account *page;
	int64_t last = INT64_MIN;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	page = malloc(PAGE * sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		bool stop = false;

		rc = stmt(s, ST_ACCOUNTS_PAGE, &st, e);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, last);
		for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++)
			account_row(st, &page[n]);
		rc = rc == SQLITE_DONE ? Q_OK
				       : db_err(s, e, "listing accounts");
		done(st);
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = (int64_t)page[n - 1].id;
	} while (!rc && n == PAGE);
	free(page);
	return rc;
}

static int sq_transfer_each(struct store *base, const char *ref,
			    int (*fn)(void *arg,
				      const struct ledger_transfer *t),
			    void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	struct ledger_transfer *page;
	int64_t last = INT64_MIN;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	page = malloc(PAGE * sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		bool stop = false;

		rc = stmt(s, ref ? ST_TRANSFERS_PAGE_REF : ST_TRANSFERS_PAGE,
			  &st, e);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, last);
		if (ref)
			sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
		for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++)
			transfer_row(st, &page[n]);
		rc = rc == SQLITE_DONE ? Q_OK
				       : db_err(s, e, "listing transfers");
		done(st);
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = page[n - 1].timestamp;
	} while (!rc && n == PAGE);
	free(page);
	return rc;
}

/* --- the audit chain ------------------------------------------------------------ */

static int event_append(struct sq *s, struct store_event *ev, struct qerr *e)
{
	sqlite3_stmt *st;
	int rc;

	rc = stmt(s, ST_EVENT_LAST, &st, e);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ev->seq = sqlite3_column_int64(st, 0) + 1;
		col_str(st, 1, ev->prev_hash, sizeof(ev->prev_hash));
		rc = Q_OK;
	} else if (rc == SQLITE_DONE) {
		ev->seq = 1;
		memcpy(ev->prev_hash, AUDIT_GENESIS, sizeof(ev->prev_hash));
		rc = Q_OK;
	} else {
		rc = db_err(s, e, "reading the last event");
	}
	done(st);
	if (rc)
		return rc;
	if (audit_hash(ev))
		return nomem(e);

	rc = stmt(s, ST_EVENT_INSERT, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, ev->seq);
	sqlite3_bind_int64(st, 2, ev->at);
	BIND_FIELD(st, 3, ev->who);
	BIND_FIELD(st, 4, ev->action);
	BIND_FIELD(st, 5, ev->subject);
	BIND_FIELD(st, 6, ev->policy_hash);
	sqlite3_bind_text(st, 7, ev->detail ? ev->detail : "", -1,
			  SQLITE_STATIC);
	BIND_FIELD(st, 8, ev->prev_hash);
	BIND_FIELD(st, 9, ev->hash);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(s, e, "appending an event");
	done(st);
	return rc;
}

static int sq_event_append(struct store *base, struct store_event *ev,
			   struct qerr *e)
{
	struct sq *s = sq_of(base);
	bool own;
	int rc;

	rc = begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = event_append(s, ev, e);
	return end_own(s, own, rc, e);
}

static int event_row(sqlite3_stmt *st, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqlite3_column_int64(st, 0);
	ev->at = sqlite3_column_int64(st, 1);
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
static int events_each(struct sq *s, const char *subject,
		       int (*fn)(void *arg, const struct store_event *ev),
		       void *arg, struct qerr *e)
{
	struct store_event *page;
	int64_t last = INT64_MIN;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, src;

	page = calloc(PAGE, sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		bool stop = false;

		rc = stmt(s, subject ? ST_EVENTS_SUBJECT_PAGE : ST_EVENTS_PAGE,
			  &st, e);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, last);
		if (subject)
			sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
		n = 0;
		while ((src = sqlite3_step(st)) == SQLITE_ROW) {
			assert(n < PAGE);
			if (event_row(st, &page[n++])) {
				rc = nomem(e);
				break;
			}
		}
		if (!rc && src != SQLITE_DONE)
			rc = db_err(s, e, "listing events");
		done(st);
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n)
			last = page[n - 1].seq;
		for (size_t i = 0; i < n; i++)
			store_event_release(&page[i]);
		if (stop)
			break;
	} while (!rc && n == PAGE);
	free(page);
	return rc;
}

static int sq_event_each(struct store *base,
			 int (*fn)(void *arg, const struct store_event *ev),
			 void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	return events_each(s, NULL, fn, arg, e);
}

static int sq_event_each_subject(struct store *base, const char *subject,
				 int (*fn)(void *arg,
					   const struct store_event *ev),
				 void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	return events_each(s, subject, fn, arg, e);
}

/* --- users ------------------------------------------------------------------------ */

static int sq_user_add(struct store *base, const struct store_user *u,
		       const char *token_hash, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	rc = stmt(s, ST_USER_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, u->name);
	BIND_FIELD(st, 2, u->role);
	BIND_FIELD(st, 3, u->uscc);
	sqlite3_bind_text(st, 4, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, u->created_at);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = Q_OK;
	else if (rc == SQLITE_CONSTRAINT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "name",
			      "a user '%.64s' exists already", u->name);
	else
		rc = db_err(s, e, "adding a user");
	done(st);
	return rc;
}

static int sq_user_remove(struct store *base, const char *name, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "DELETE FROM users WHERE name = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return db_err(s, e, "removing a user");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(s, e, "removing a user");
	else if (sqlite3_changes(s->db) != 1)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "name", "no user '%.64s'",
			      name);
	else
		rc = Q_OK;
	sqlite3_finalize(st);
	return rc;
}

static int sq_user_by_token(struct store *base, const char *token_hash,
			    struct store_user *out, struct qerr *e)
{
	struct sq *s = sq_of(base);
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = stmt(s, ST_USER_BY_TOKEN, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_str(st, 0, out->name, sizeof(out->name));
		col_str(st, 1, out->role, sizeof(out->role));
		col_str(st, 2, out->uscc, sizeof(out->uscc));
		out->created_at = sqlite3_column_int64(st, 3);
		rc = Q_OK;
	} else if (rc == SQLITE_DONE) {
		rc = Q_NONE;
	} else {
		rc = db_err(s, e, "looking up a token");
	}
	done(st);
	return rc;
}

/* --- listing applications, newest first --------------------------------------------------- */

static int sq_app_list(struct store *base, const struct store_app_filter *f,
		       int (*fn)(void *arg, const struct store_app *a),
		       void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	char sql[512];
	sqlite3_stmt *st = NULL;
	struct store_app a;
	long limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 100;
	int rc = Q_OK, src;

	if (f->state >= APP__STATE_COUNT || f->state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				f->state);
	snprintf(sql, sizeof(sql),
		 "SELECT " APP_COLS " FROM applications WHERE seq < ?1%s%s%s "
		 "ORDER BY seq DESC LIMIT ?5",
		 f->program ? " AND program = ?2" : "",
		 f->state >= 0 ? " AND state = ?3" : "",
		 f->uscc ? " AND uscc = ?4" : "");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "preparing a listing");
	sqlite3_bind_int64(st, 1,
			   f->before_seq > 0 ? f->before_seq : INT64_MAX);
	if (f->program)
		sqlite3_bind_text(st, 2, f->program, -1, SQLITE_STATIC);
	if (f->state >= 0)
		sqlite3_bind_text(st, 3, app_state_name(f->state), -1,
				  SQLITE_STATIC);
	if (f->uscc)
		sqlite3_bind_text(st, 4, f->uscc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, limit);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		bool stop;

		rc = app_row(st, &a, e);
		if (rc)
			break;
		stop = fn(arg, &a) != 0;
		store_app_release(&a);
		if (stop)
			break;
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = db_err(s, e, "listing applications");
	sqlite3_finalize(st);
	return rc;
}

/* --- copying a store out ------------------------------------------------------------ */

/* Every row of sql into memory first (policies and users are few), so fn
 * may use the store. */
static int sq_policy_each_version(struct store *base,
				  int (*fn)(void *arg,
					    const struct store_policy *p),
				  void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	struct pv {
		char program[PROGRAM_MAX], hash[POLICY_HASH_MAX], path[512];
		char *text;
		size_t len;
		int64_t added_at;
		bool current;
	} *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = Q_OK, src;

	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT p.program, p.hash, p.path, p.text, "
		    "p.added_at, c.hash IS NOT NULL FROM policies p "
		    "LEFT JOIN current_policies c ON c.hash = p.hash "
		    "ORDER BY p.added_at, p.hash",
		    -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing policy versions");
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			struct pv *nv =
				realloc(v, (cap = cap * 2 + 8) * sizeof(*v));
			if (!nv) {
				rc = nomem(e);
				break;
			}
			v = nv;
		}
		col_str(st, 0, v[n].program, sizeof(v[n].program));
		col_str(st, 1, v[n].hash, sizeof(v[n].hash));
		col_str(st, 2, v[n].path, sizeof(v[n].path));
		if (col_dup(st, 3, &v[n].text, &v[n].len)) {
			rc = nomem(e);
			break;
		}
		v[n].added_at = sqlite3_column_int64(st, 4);
		v[n].current = sqlite3_column_int(st, 5) != 0;
		n++;
	}
	if (!rc && src != SQLITE_DONE)
		rc = db_err(s, e, "listing policy versions");
	sqlite3_finalize(st);
	for (size_t i = 0; !rc && i < n; i++) {
		struct store_policy p = {
			v[i].program, v[i].hash,     v[i].path,	   v[i].text,
			v[i].len,     v[i].added_at, v[i].current,
		};

		if (fn(arg, &p))
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
	return rc;
}

static int sq_user_each(struct store *base,
			int (*fn)(void *arg, const struct store_user *u,
				  const char *token_hash),
			void *arg, struct qerr *e)
{
	struct sq *s = sq_of(base);
	struct uv {
		struct store_user u;
		char token_hash[72];
	} *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = Q_OK, src;

	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT name, role, uscc, token_hash, created_at "
		    "FROM users ORDER BY name",
		    -1, &st, NULL) != SQLITE_OK)
		return db_err(s, e, "listing users");
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			struct uv *nv =
				realloc(v, (cap = cap * 2 + 8) * sizeof(*v));
			if (!nv) {
				rc = nomem(e);
				break;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		col_str(st, 0, v[n].u.name, sizeof(v[n].u.name));
		col_str(st, 1, v[n].u.role, sizeof(v[n].u.role));
		col_str(st, 2, v[n].u.uscc, sizeof(v[n].u.uscc));
		col_str(st, 3, v[n].token_hash, sizeof(v[n].token_hash));
		v[n].u.created_at = sqlite3_column_int64(st, 4);
		n++;
	}
	if (!rc && src != SQLITE_DONE)
		rc = db_err(s, e, "listing users");
	sqlite3_finalize(st);
	for (size_t i = 0; !rc && i < n; i++)
		if (fn(arg, &v[i].u, v[i].token_hash))
			break;
	free(v);
	return rc;
}

/* --- screens ---------------------------------------------------------------------- */

static void bind_contract(sqlite3_stmt *st, const struct store_contract *c)
{
	sqlite3_bind_text(st, 1, c->applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->supplier, -1, SQLITE_STATIC);
}

static void contract_row(sqlite3_stmt *st, struct store_contract_row *r)
{
	col_str(st, 1, r->app_id, sizeof(r->app_id));
	col_str(st, 2, r->program, sizeof(r->program));
	col_str(st, 3, r->number, sizeof(r->number));
	store_utf8_trim(r->number);
	r->value = sqlite3_column_int64(st, 4);
	r->signed_on = (int32_t)sqlite3_column_int64(st, 5);
}

static int sq_contract_add(struct store *base, const struct store_contract *c,
			   struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	rc = stmt(s, ST_CONTRACT_INSERT, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, c->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->applicant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->supplier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->value);
	sqlite3_bind_int64(st, 7, c->signed_on);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = Q_OK;
	else if (rc == SQLITE_CONSTRAINT)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "id",
			"the contract of application '%.64s' is recorded already",
			c->app_id);
	else
		rc = db_err(s, e, "recording a contract");
	done(st);
	return rc;
}

/* Step st into out (at most max rows). */
static int contract_rows(struct sq *s, sqlite3_stmt *st,
			 struct store_contract_row *out, size_t max, size_t *n,
			 const char *op, struct qerr *e)
{
	int src;

	*n = 0;
	while (*n < max && (src = sqlite3_step(st)) == SQLITE_ROW)
		contract_row(st, &out[(*n)++]);
	if (*n < max && src != SQLITE_DONE)
		return db_err(s, e, op);
	return Q_OK;
}

static int sq_contract_same(struct store *base, const struct store_contract *c,
			    int days, struct store_contract_row *out,
			    size_t max, size_t *n, struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (max == 0)
		return Q_OK;
	rc = stmt(s, ST_CONTRACT_SAME, &st, e);
	if (rc)
		return rc;
	bind_contract(st, c);
	sqlite3_bind_text(st, 3, c->number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, c->value);
	sqlite3_bind_int64(st, 5, (int64_t)c->signed_on - days);
	sqlite3_bind_int64(st, 6, (int64_t)c->signed_on + days);
	sqlite3_bind_text(st, 7, c->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int64_t)max);
	rc = contract_rows(s, st, out, max, n, "looking up a contract", e);
	done(st);
	return rc;
}

static void bind_between(sqlite3_stmt *st, const struct store_contract *c,
			 int32_t from, int32_t to, money_t lo, money_t hi)
{
	bind_contract(st, c);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int64(st, 5, lo);
	sqlite3_bind_int64(st, 6, hi);
	sqlite3_bind_text(st, 7, c->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, c->number, -1, SQLITE_STATIC);
}

static int sq_contract_between(struct store *base,
			       const struct store_contract *c, int32_t from,
			       int32_t to, money_t lo, money_t hi,
			       struct store_contract_row *out, size_t max,
			       size_t *n, int64_t *count, money_t *sum,
			       struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	*n = 0;
	*count = 0;
	*sum = 0;
	rc = stmt(s, ST_CONTRACT_BETWEEN_SUM, &st, e);
	if (rc)
		return rc;
	bind_between(st, c, from, to, lo, hi);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*sum = sqlite3_column_int64(st, 1);
	} else {
		rc = db_err(s, e, "summing contracts between two parties");
	}
	done(st);
	if (rc || *count == 0 || max == 0)
		return rc;
	rc = stmt(s, ST_CONTRACT_BETWEEN, &st, e);
	if (rc)
		return rc;
	bind_between(st, c, from, to, lo, hi);
	sqlite3_bind_int64(st, 9, (int64_t)max);
	rc = contract_rows(s, st, out, max, n,
			   "listing contracts between two parties", e);
	done(st);
	return rc;
}

static int sq_controller_add(struct store *base,
			     const struct store_controller *c, struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	rc = stmt(s, ST_CONTROLLER_PUT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, c->uscc);
	BIND_FIELD(st, 2, c->controller);
	BIND_FIELD(st, 3, c->name);
	BIND_FIELD(st, 4, c->source);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? Q_OK
		     : db_err(s, e, "adding a controller to the registry");
	done(st);
	return rc;
}

static int sq_controllers_of(struct store *base, const char *uscc,
			     struct store_controller *out, size_t max,
			     size_t *n, struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc, src = SQLITE_DONE;

	*n = 0;
	if (max == 0)
		return Q_OK;
	rc = stmt(s, ST_CONTROLLERS_OF, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, uscc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (*n < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_controller *c = &out[(*n)++];

		col_str(st, 0, c->uscc, sizeof(c->uscc));
		col_str(st, 1, c->controller, sizeof(c->controller));
		col_str(st, 2, c->name, sizeof(c->name));
		col_str(st, 3, c->source, sizeof(c->source));
		store_utf8_trim(c->name);
		store_utf8_trim(c->source);
	}
	if (*n < max && src != SQLITE_DONE)
		rc = db_err(s, e, "reading the registry of controllers");
	done(st);
	return rc;
}

static int sq_listing_add(struct store *base, const struct store_listing *l,
			  struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	if (strcmp(l->list, "dishonest") && strcmp(l->list, "restricted"))
		return qerr_set(e, Q_ERR_INVALID, "list",
				"unknown list '%.16s': dishonest or restricted",
				l->list);
	rc = stmt(s, ST_LISTING_PUT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, l->list);
	BIND_FIELD(st, 2, l->uscc);
	BIND_FIELD(st, 3, l->name);
	BIND_FIELD(st, 4, l->reason);
	BIND_FIELD(st, 5, l->source);
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? Q_OK
		     : db_err(s, e, "adding a firm to a list");
	done(st);
	return rc;
}

static int sq_listing_get(struct store *base, const char *list,
			  const char *uscc, struct store_listing *out,
			  struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = stmt(s, ST_LISTING_GET, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uscc, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_str(st, 0, out->list, sizeof(out->list));
		col_str(st, 1, out->uscc, sizeof(out->uscc));
		col_str(st, 2, out->name, sizeof(out->name));
		col_str(st, 3, out->reason, sizeof(out->reason));
		col_str(st, 4, out->source, sizeof(out->source));
		store_utf8_trim(out->name);
		store_utf8_trim(out->reason);
		store_utf8_trim(out->source);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = Q_NONE;
	} else {
		rc = db_err(s, e, "reading a list");
	}
	done(st);
	return rc;
}

static int sq_app_any(struct store *base, const char *program,
		      const char *measure, int fiscal_year, int state,
		      bool *out, struct qerr *e)
{
	struct sq *s = sq_of(base);

	sqlite3_stmt *st;
	int rc;

	*out = false;
	if (state < 0 || state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				state);
	rc = stmt(s, ST_APP_ANY, &st, e);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, app_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, measure, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, fiscal_year);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = true;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
		     ? Q_OK
		     : db_err(s, e, "looking for an application");
	done(st);
	return rc;
}

/* Every row of the screens' tables, streamed (the caller writes to
 * another store). */
static int
sq_screens_each(struct store *base,
		int (*contract)(void *arg, const struct store_contract *c),
		int (*controller)(void *arg, const struct store_controller *c),
		int (*listing)(void *arg, const struct store_listing *l),
		void *arg, struct qerr *e)
{
	static const char *const sql[3] = {
		"SELECT app_id, program, applicant, supplier, number, value, "
		"signed_on FROM contracts ORDER BY app_id",
		"SELECT uscc, controller, name, source FROM controllers "
		"ORDER BY uscc, controller",
		"SELECT list, uscc, name, reason, source FROM listings "
		"ORDER BY list, uscc",
	};
	struct sq *s = sq_of(base);
	int rc = Q_OK;

	for (int t = 0; t < 3 && !rc; t++) {
		sqlite3_stmt *st;
		bool stop = false;
		int src = SQLITE_DONE;

		if ((t == 0 && !contract) || (t == 1 && !controller) ||
		    (t == 2 && !listing))
			continue;
		if (sqlite3_prepare_v2(s->db, sql[t], -1, &st, NULL) !=
		    SQLITE_OK)
			return db_err(s, e, "reading the screens' tables");
		while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
			if (t == 0) {
				struct store_contract c = {
					(const char *)sqlite3_column_text(st,
									  0),
					(const char *)sqlite3_column_text(st,
									  1),
					(const char *)sqlite3_column_text(st,
									  2),
					(const char *)sqlite3_column_text(st,
									  3),
					(const char *)sqlite3_column_text(st,
									  4),
					sqlite3_column_int64(st, 5),
					(int32_t)sqlite3_column_int64(st, 6),
				};

				stop = contract(arg, &c) != 0;
			} else if (t == 1) {
				struct store_controller c;

				memset(&c, 0, sizeof(c));
				col_str(st, 0, c.uscc, sizeof(c.uscc));
				col_str(st, 1, c.controller,
					sizeof(c.controller));
				col_str(st, 2, c.name, sizeof(c.name));
				col_str(st, 3, c.source, sizeof(c.source));
				stop = controller(arg, &c) != 0;
			} else {
				struct store_listing l;

				memset(&l, 0, sizeof(l));
				col_str(st, 0, l.list, sizeof(l.list));
				col_str(st, 1, l.uscc, sizeof(l.uscc));
				col_str(st, 2, l.name, sizeof(l.name));
				col_str(st, 3, l.reason, sizeof(l.reason));
				col_str(st, 4, l.source, sizeof(l.source));
				stop = listing(arg, &l) != 0;
			}
		}
		if (!stop && src != SQLITE_DONE)
			rc = db_err(s, e, "reading the screens' tables");
		sqlite3_finalize(st);
		if (stop)
			break;
	}
	return rc;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.savepoint_release = sq_savepoint_release,
	.savepoint_rollback = sq_savepoint_rollback,
	.ledger_io = sq_ledger_io,
	.ledger_error = sq_ledger_error,
	.policy_add = sq_policy_add,
	.policy_current = sq_policy_current,
	.policy_text = sq_policy_text,
	.policy_path = sq_policy_path,
	.programs_each = sq_programs_each,
	.policy_each_version = sq_policy_each_version,
	.app_insert = sq_app_insert,
	.app_get = sq_app_get,
	.app_by_ref = sq_app_by_ref,
	.app_number = sq_app_number,
	.app_numbers_each = sq_app_numbers_each,
	.app_number_set = sq_app_number_set,
	.app_update = sq_app_update,
	.app_each = sq_app_each,
	.applicant_year = sq_applicant_year,
	.app_list = sq_app_list,
	.event_append = sq_event_append,
	.event_each = sq_event_each,
	.event_each_subject = sq_event_each_subject,
	.user_add = sq_user_add,
	.user_remove = sq_user_remove,
	.user_by_token = sq_user_by_token,
	.user_each = sq_user_each,
	.account_each = sq_account_each,
	.transfer_each = sq_transfer_each,
	.contract_add = sq_contract_add,
	.contract_same = sq_contract_same,
	.contract_between = sq_contract_between,
	.controller_add = sq_controller_add,
	.controllers_of = sq_controllers_of,
	.listing_add = sq_listing_add,
	.listing_get = sq_listing_get,
	.app_any = sq_app_any,
	.screens_each = sq_screens_each,
};
