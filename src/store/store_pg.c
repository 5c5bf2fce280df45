/*
 * store_pg.c - the store (store.h) on PostgreSQL, through libpq.
 *
 * The tables, their meaning and the schema versions are those of
 * store_sqlite.c (money is BIGINT fen; the policy text is BYTEA, kept byte
 * for byte). History (transfers, events, policy versions) is made
 * immutable by PL/pgSQL triggers, as SQLite's triggers do there.
 *
 * How writers stay correct with many processes (several `quan serve`, CLI
 * commands) on one database: every write transaction begins with
 *
 *	BEGIN ISOLATION LEVEL READ COMMITTED;
 *	SELECT pg_advisory_xact_lock(QUAN_LOCK);
 *
 * one transaction-scoped advisory lock, the same key for every writer of
 * the database, held until COMMIT or ROLLBACK. Write transactions are
 * therefore serialised across processes exactly as SQLite's BEGIN
 * IMMEDIATE serialises them: no two of them ever overlap, so
 *  - a pool cannot be overspent: the balance a writer reads (after taking
 *    the lock; READ COMMITTED takes a fresh snapshot for every statement,
 *    so every statement after the lock sees every transaction committed
 *    before it) is the balance when it commits, since nobody else can
 *    write in between; the ledger's check "available may not go below
 *    zero" is made against it;
 *  - the audit chain cannot fork: the next event's seq and prev_hash are
 *    read inside the locked transaction, so the chain's single order is
 *    the order in which writers took the lock, and seq is also a primary
 *    key (a second event with the same seq could never commit);
 *  - application seq and transfer timestamps, also "last + 1", stay
 *    unique and increasing in the same way (and are UNIQUE columns).
 * REPEATABLE READ or SERIALIZABLE would be wrong here: their snapshot is
 * taken at the first statement, the lock itself, before the wait. Row
 * locks in a fixed order would lock fewer rows but leave the chain's order
 * to a second mechanism; one lock serialises everything, and group commit
 * (savepoints inside one transaction) is what makes it fast, as on SQLite.
 * Readers take no lock and see committed data only.
 *
 * Losing the server: connect_timeout, TCP keepalives and tcp_user_timeout
 * bound how long a dead connection can hang a call. A failed call answers
 * Q_ERR_IO; outside a transaction the next call (store_begin or a read)
 * reconnects (PQreset) and re-prepares its statements. A COMMIT is only
 * reported done when the server answered COMMIT; a lost connection during
 * it is an error (whether it landed is unknown, and it is never claimed).
 * synchronous_commit is set on for the session, so an answered COMMIT is
 * on the server's disk.
 *
 * The hot statements are prepared once per connection (PQprepare) and run
 * with PQexecPrepared; strings are sent in binary format (their bytes and
 * length), numbers as decimal text; results come back as text.
 */
#include "store/store.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/audit.h"
#include "store/store_int.h"

#define PAGE 64			    /* rows read before visiting them */
#define POLICY_TEXT_MAX (16u << 20) /* one policy file, bytes */
#define POLICY_HASH_MAX 72	    /* "sha256:" + 64 hex + NUL */
#define PROGRAM_MAX 64		    /* as struct store_app.program */
#define PARAMS_MAX 24
/* The advisory lock every write transaction takes: "quan" in ASCII. */
#define QUAN_LOCK "1903520110"

/* --- the schema ------------------------------------------------------------ */

/* Migration i brings the schema from version i to version i + 1, as in
 * store_sqlite.c. Append only. */
static const char *const migrations[] = {
	/* 1: everything. Money is BIGINT fen. */
	"CREATE TABLE policies ("
	"  hash TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  text BYTEA NOT NULL,"
	"  added_at BIGINT NOT NULL);"
	"CREATE INDEX policies_program ON policies (program);"
	"CREATE TABLE current_policies ("
	"  program TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
	"  hash TEXT NOT NULL REFERENCES policies (hash),"
	"  since BIGINT NOT NULL);"
	"CREATE TABLE applications ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  measure TEXT NOT NULL,"
	"  uscc TEXT NOT NULL,"
	"  policy_hash TEXT NOT NULL REFERENCES policies (hash),"
	"  state TEXT NOT NULL CHECK (state IN ('ineligible', 'reserved',"
	"    'waitlisted', 'queued', 'awarded', 'rejected', 'withdrawn',"
	"    'expired')),"
	"  seq BIGINT NOT NULL UNIQUE CHECK (seq > 0),"
	"  fiscal_year INTEGER NOT NULL,"
	"  requested BIGINT NOT NULL CHECK (requested >= 0),"
	"  awarded BIGINT NOT NULL CHECK (awarded >= 0),"
	"  paid BIGINT NOT NULL CHECK (paid >= 0),"
	"  recovered BIGINT NOT NULL CHECK (recovered >= 0),"
	"  contract_value BIGINT NOT NULL CHECK (contract_value >= 0),"
	"  compute INTEGER NOT NULL CHECK (compute IN (0, 1)),"
	"  approver TEXT NOT NULL,"
	"  submitted_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL,"
	"  json TEXT,"
	"  decision TEXT);"
	"CREATE INDEX applications_queue ON applications (program, state, seq);"
	"CREATE INDEX applications_applicant"
	"  ON applications (program, uscc, fiscal_year);"
	"CREATE TABLE accounts ("
	"  id BIGINT PRIMARY KEY NOT NULL,"
	"  code TEXT NOT NULL UNIQUE,"
	"  flags BIGINT NOT NULL,"
	"  debits_pending BIGINT NOT NULL,"
	"  debits_posted BIGINT NOT NULL,"
	"  credits_pending BIGINT NOT NULL,"
	"  credits_posted BIGINT NOT NULL);"
	"CREATE TABLE transfers ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  debit BIGINT NOT NULL REFERENCES accounts (id),"
	"  credit BIGINT NOT NULL REFERENCES accounts (id),"
	"  amount BIGINT NOT NULL,"
	"  flags BIGINT NOT NULL,"
	"  pending_id TEXT NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  code BIGINT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  timestamp BIGINT NOT NULL UNIQUE);"
	"CREATE INDEX transfers_pending ON transfers (pending_id);"
	"CREATE INDEX transfers_ref ON transfers (ref, timestamp);"
	"CREATE TABLE events ("
	"  seq BIGINT PRIMARY KEY NOT NULL,"
	"  at BIGINT NOT NULL,"
	"  who TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  policy_hash TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	/* History is never changed by quan; the triggers stop a mistake,
	 * the audit chain catches whoever drops them. */
	"CREATE FUNCTION quan_immutable() RETURNS trigger LANGUAGE plpgsql"
	"  AS $$ BEGIN RAISE EXCEPTION '% are immutable', TG_ARGV[0]; END $$;"
	"CREATE TRIGGER transfers_immutable BEFORE UPDATE ON transfers"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('transfers');"
	"CREATE TRIGGER transfers_kept BEFORE DELETE ON transfers"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('transfers');"
	"CREATE TRIGGER transfers_truncate BEFORE TRUNCATE ON transfers"
	"  FOR EACH STATEMENT EXECUTE FUNCTION quan_immutable('transfers');"
	"CREATE TRIGGER events_immutable BEFORE UPDATE ON events"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('events');"
	"CREATE TRIGGER events_kept BEFORE DELETE ON events"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('events');"
	"CREATE TRIGGER events_truncate BEFORE TRUNCATE ON events"
	"  FOR EACH STATEMENT EXECUTE FUNCTION quan_immutable('events');"
	"CREATE TRIGGER policies_immutable BEFORE UPDATE ON policies"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('policy versions');"
	"CREATE TRIGGER policies_kept BEFORE DELETE ON policies"
	"  FOR EACH ROW EXECUTE FUNCTION quan_immutable('policy versions');",
	/* 2: one program's applications in arrival order. */
	"CREATE INDEX applications_program_seq ON applications (program, seq);",
	/* 3: users, who posted an award, one application's history. */
	"CREATE TABLE users ("
	"  name TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('administrator', 'reviewer',"
	"    'finance', 'auditor', 'applicant')),"
	"  uscc TEXT NOT NULL,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  created_at BIGINT NOT NULL);"
	"ALTER TABLE applications ADD COLUMN approved_by TEXT NOT NULL"
	"  DEFAULT '';"
	"CREATE INDEX events_subject ON events (subject, seq);"
	"CREATE INDEX applications_uscc_seq ON applications (uscc, seq);",
	/* 4: is anyone waitlisted for this measure and year? An index seek
	 * for every application, however long the waitlists grow. */
	"CREATE INDEX applications_state_measure"
	"  ON applications (program, state, measure, fiscal_year);",
	/* 5: what the screens look up (engine/screen.h), as in SQLite: every
	 * application's contract with an index per lookup, the registry of
	 * controllers, the imported lists. */
	"CREATE TABLE contracts ("
	"  app_id TEXT PRIMARY KEY NOT NULL,"
	"  program TEXT NOT NULL,"
	"  applicant TEXT NOT NULL,"
	"  supplier TEXT NOT NULL,"
	"  number TEXT NOT NULL,"
	"  value BIGINT NOT NULL CHECK (value >= 0),"
	"  signed_on BIGINT NOT NULL,"
	"  seq BIGSERIAL NOT NULL);"
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
	/* 6: the office numbers applications (app_numbers) and stamps when it
	 * received them; the applicant's own id becomes client_ref, unique
	 * per firm, NULL when none; as in SQLite, the rows of before keep
	 * their id as their reference. */
	"ALTER TABLE applications RENAME COLUMN submitted_at TO received_at;"
	"ALTER TABLE applications ADD COLUMN client_ref TEXT"
	"  CHECK (client_ref <> '');"
	"UPDATE applications SET client_ref = NULLIF(id, '');"
	"CREATE UNIQUE INDEX applications_client_ref"
	"  ON applications (uscc, client_ref);"
	"CREATE TABLE app_numbers ("
	"  program TEXT COLLATE \"C\" NOT NULL,"
	"  year INTEGER NOT NULL,"
	"  last BIGINT NOT NULL CHECK (last > 0),"
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
#define PAGE_TEXT "64"

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
	ST_APPS_PAGE,
	ST_APPS_PAGE_STATE,
	ST_APPS_PAGE_PROGRAM,
	ST_APPS_PAGE_BOTH,
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

static const char *const stmt_sql[ST__COUNT] = {
	[ST_POLICY_PROGRAM] = "SELECT program FROM policies WHERE hash = $1",
	[ST_POLICY_INSERT] = "INSERT INTO policies (hash, program, path, text, "
			     "added_at) VALUES ($1, $2, $3, $4, $5)",
	[ST_CURRENT_SET] =
		"INSERT INTO current_policies (program, hash, since) "
		"VALUES ($1, $2, $3) ON CONFLICT (program) DO "
		"UPDATE SET hash = excluded.hash, "
		"since = excluded.since",
	[ST_POLICY_CURRENT] =
		"SELECT c.hash, p.text FROM current_policies c "
		"JOIN policies p ON p.hash = c.hash WHERE c.program = $1",
	[ST_POLICY_TEXT] = "SELECT text FROM policies WHERE hash = $1",
	[ST_POLICY_PATH] = "SELECT path FROM policies WHERE hash = $1",
	[ST_PROGRAMS_PAGE] = "SELECT program, hash FROM current_policies "
			     "WHERE program > $1 ORDER BY program "
			     "LIMIT " PAGE_TEXT,
	[ST_APP_EXISTS] = "SELECT 1 FROM applications WHERE id = $1",
	[ST_APP_NEXT_SEQ] =
		"SELECT COALESCE(MAX(seq), 0) + 1 FROM applications",
	[ST_APP_INSERT] = "INSERT INTO applications (" APP_COLS
			  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
			  "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
			  "$21)",
	[ST_APP_GET] = "SELECT " APP_COLS " FROM applications WHERE id = $1",
	[ST_APP_BY_REF] = "SELECT " APP_COLS " FROM applications WHERE "
			  "uscc = $1 AND client_ref = $2",
	[ST_APP_NUMBER] =
		"INSERT INTO app_numbers (program, year, last) "
		"VALUES ($1, $2, 1) ON CONFLICT (program, year) DO "
		"UPDATE SET last = app_numbers.last + 1 RETURNING last",
	[ST_APP_NUMBER_SET] =
		"INSERT INTO app_numbers (program, year, last) "
		"VALUES ($1, $2, $3) ON CONFLICT (program, year) DO "
		"UPDATE SET last = GREATEST(app_numbers.last, excluded.last)",
	[ST_APP_UPDATE] = "UPDATE applications SET state = $2, awarded = $3, "
			  "paid = $4, recovered = $5, approver = $6, "
			  "updated_at = $7, requested = $8, approved_by = $9 "
			  "WHERE id = $1",
	[ST_APPS_PAGE] = "SELECT " APP_COLS " FROM applications WHERE "
			 "seq > $1 ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_STATE] = "SELECT " APP_COLS " FROM applications WHERE "
			       "seq > $1 AND state = $2 ORDER BY seq "
			       "LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_PROGRAM] = "SELECT " APP_COLS " FROM applications WHERE "
				 "seq > $1 AND program = $2 ORDER BY seq "
				 "LIMIT " PAGE_TEXT,
	[ST_APPS_PAGE_BOTH] = "SELECT " APP_COLS " FROM applications WHERE "
			      "seq > $1 AND program = $2 AND state = $3 "
			      "ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_APPLICANT_YEAR] =
		"SELECT COALESCE(SUM(CASE WHEN measure <> $5 THEN 0 "
		"WHEN state IN ('reserved', 'waitlisted', 'queued') "
		"THEN requested WHEN state = 'awarded' THEN awarded "
		"ELSE 0 END), 0)::BIGINT, "
		"COALESCE(SUM(CASE WHEN compute = 1 THEN contract_value "
		"ELSE 0 END), 0)::BIGINT FROM applications WHERE program = $1 "
		"AND uscc = $2 AND fiscal_year = $3 AND id <> $4",
	[ST_ACCOUNT_GET] =
		"SELECT " ACCOUNT_COLS " FROM accounts WHERE id = $1",
	[ST_ACCOUNT_PUT] =
		"INSERT INTO accounts (" ACCOUNT_COLS ") VALUES ($1, $2, $3, "
		"$4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
		"debits_pending = excluded.debits_pending, "
		"debits_posted = excluded.debits_posted, "
		"credits_pending = excluded.credits_pending, "
		"credits_posted = excluded.credits_posted",
	[ST_ACCOUNTS_PAGE] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE "
			     "id > $1 ORDER BY id LIMIT " PAGE_TEXT,
	[ST_TRANSFER_GET] = "SELECT " TRANSFER_COLS " FROM transfers "
			    "WHERE id = $1",
	[ST_TRANSFER_PUT] = "INSERT INTO transfers (" TRANSFER_COLS
			    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
			    "$10)",
	[ST_TRANSFERS_PAGE] = "SELECT " TRANSFER_COLS " FROM transfers WHERE "
			      "timestamp > $1 ORDER BY timestamp "
			      "LIMIT " PAGE_TEXT,
	[ST_TRANSFERS_PAGE_REF] = "SELECT " TRANSFER_COLS " FROM transfers "
				  "WHERE timestamp > $1 AND ref = $2 "
				  "ORDER BY timestamp LIMIT " PAGE_TEXT,
	/* The pending transfer's flags, and the flags of the transfer that
	 * posted or voided it, if any (LEDGER_POST_PENDING = 4,
	 * LEDGER_VOID_PENDING = 8). */
	[ST_PENDING_STATE] =
		"SELECT p.flags, COALESCE((SELECT t.flags FROM transfers t "
		"WHERE t.pending_id = p.id AND (t.flags & 12) <> 0 "
		"LIMIT 1), 0) FROM transfers p WHERE p.id = $1",
	[ST_LAST_TIMESTAMP] =
		"SELECT COALESCE(MAX(timestamp), 0) FROM transfers",
	[ST_EVENT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC "
			  "LIMIT 1",
	[ST_EVENT_INSERT] = "INSERT INTO events (" EVENT_COLS
			    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	[ST_EVENTS_PAGE] = "SELECT " EVENT_COLS " FROM events WHERE seq > $1 "
			   "ORDER BY seq LIMIT " PAGE_TEXT,
	[ST_EVENTS_SUBJECT_PAGE] = "SELECT " EVENT_COLS " FROM events WHERE "
				   "seq > $1 AND subject = $2 ORDER BY seq "
				   "LIMIT " PAGE_TEXT,
	[ST_USER_INSERT] = "INSERT INTO users (name, role, uscc, token_hash, "
			   "created_at) VALUES ($1, $2, $3, $4, $5)",
	[ST_USER_BY_TOKEN] = "SELECT name, role, uscc, created_at FROM users "
			     "WHERE token_hash = $1",
	[ST_APP_ANY] =
		"SELECT 1 FROM applications WHERE program = $1 AND "
		"state = $2 AND measure = $3 AND fiscal_year = $4 LIMIT 1",
	[ST_CONTRACT_INSERT] =
		"INSERT INTO contracts (app_id, program, applicant, supplier, "
		"number, value, signed_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	/* Two seeks, one per index; UNION drops a contract both find. */
	[ST_CONTRACT_SAME] =
		"SELECT seq, app_id, program, number, value, signed_on "
		"FROM contracts WHERE applicant = $1 AND supplier = $2 "
		"AND number = $3 AND value = $4 AND app_id <> $7 "
		"UNION SELECT seq, app_id, program, number, value, "
		"signed_on FROM contracts WHERE applicant = $1 AND "
		"supplier = $2 AND value = $4 AND signed_on BETWEEN $5 AND "
		"$6 AND app_id <> $7 ORDER BY 1 LIMIT $8",
	[ST_CONTRACT_BETWEEN] =
		"SELECT seq, app_id, program, number, value, signed_on "
		"FROM contracts WHERE applicant = $1 AND supplier = $2 "
		"AND signed_on BETWEEN $3 AND $4 AND value >= $5 AND "
		"value < $6 AND app_id <> $7 AND number <> $8 "
		"ORDER BY signed_on, seq LIMIT $9",
	[ST_CONTRACT_BETWEEN_SUM] =
		"SELECT COUNT(*), COALESCE(SUM(value), 0)::BIGINT "
		"FROM contracts WHERE applicant = $1 AND supplier = $2 "
		"AND signed_on BETWEEN $3 AND $4 AND value >= $5 AND "
		"value < $6 AND app_id <> $7 AND number <> $8",
	[ST_CONTROLLER_PUT] =
		"INSERT INTO controllers (uscc, controller, name, source) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (uscc, controller) DO "
		"UPDATE SET name = excluded.name, source = excluded.source",
	[ST_CONTROLLERS_OF] = "SELECT uscc, controller, name, source FROM "
			      "controllers WHERE uscc = $1 ORDER BY "
			      "controller LIMIT $2",
	[ST_LISTING_PUT] =
		"INSERT INTO listings (list, uscc, name, reason, source) "
		"VALUES ($1, $2, $3, $4, $5) ON CONFLICT (list, uscc) DO "
		"UPDATE SET name = excluded.name, reason = excluded.reason, "
		"source = excluded.source",
	[ST_LISTING_GET] = "SELECT list, uscc, name, reason, source FROM "
			   "listings WHERE list = $1 AND uscc = $2",
};

_Static_assert(LEDGER_POST_PENDING == 4 && LEDGER_VOID_PENDING == 8,
	       "ST_PENDING_STATE spells the flags as numbers");

/* One connection to one database. Not for use by two threads at once. */
struct pg {
	struct store base; /* ops: pg_ops */
	PGconn *conn;
	bool prepared[ST__COUNT]; /* on this connection (reset: none) */
	bool in_tx;		  /* between store_begin and commit/rollback */
	struct ledger_io io;	  /* ctx is this store */
	struct qerr io_err;	  /* the last error of a ledger_io call */
	int version;
};

static struct pg *pg_of(struct store *base)
{
	return (struct pg *)base;
}

/* The parameters of one statement: strings as binary (bytes and length),
 * numbers as decimal text in num. */
struct params {
	int n;
	const char *val[PARAMS_MAX];
	int len[PARAMS_MAX];
	int fmt[PARAMS_MAX];
	char num[PARAMS_MAX][24];
};

static void p_bytes(struct params *p, const char *b, size_t n)
{
	assert(p->n < PARAMS_MAX);
	p->val[p->n] = b ? b : "";
	p->len[p->n] = b ? (int)n : 0;
	p->fmt[p->n] = 1;
	p->n++;
}

/* A string, read up to its NUL or cap bytes. */
static void p_str(struct params *p, const char *s, size_t cap)
{
	p_bytes(p, s, strnlen(s, cap));
}

#define P_FIELD(p, field) p_str(p, field, sizeof(field))

static void p_text(struct params *p, const char *s)
{
	p_bytes(p, s, strlen(s));
}

static void p_null(struct params *p)
{
	assert(p->n < PARAMS_MAX);
	p->val[p->n] = NULL;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_int(struct params *p, int64_t v)
{
	assert(p->n < PARAMS_MAX);
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	p->val[p->n] = p->num[p->n];
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

/* --- errors ------------------------------------------------------------------ */

static int nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* The server's message without its trailing newline. */
static void msg_of(const char *m, char *buf, size_t cap)
{
	size_t n;

	snprintf(buf, cap, "%s", m && *m ? m : "no answer from the server");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

/* Q_ERR_IO naming the operation, with the server's words (from res when
 * there is one, else the connection's). */
static int db_err(struct pg *s, const PGresult *res, struct qerr *e,
		  const char *op)
{
	char m[300];

	msg_of(res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn), m,
	       sizeof(m));
	if (!*m || !strcmp(m, "no answer from the server"))
		msg_of(PQerrorMessage(s->conn), m, sizeof(m));
	return qerr_set(e, Q_ERR_IO, "", "postgres: %s: %s", op, m);
}

static bool is_sqlstate(const PGresult *res, const char *code)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return st && !strcmp(st, code);
}

/* --- the connection ------------------------------------------------------------ */

/* Usable now: outside a transaction, a broken connection is made again
 * (the server may be back); inside one, it is an error (the transaction
 * is gone with the connection). */
static int ensure(struct pg *s, struct qerr *e)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return Q_OK;
	if (s->in_tx)
		return db_err(s, NULL, e, "the connection was lost");
	PQreset(s->conn);
	memset(s->prepared, 0, sizeof(s->prepared));
	if (PQstatus(s->conn) != CONNECTION_OK)
		return db_err(s, NULL, e, "reconnecting");
	return Q_OK;
}

/* Run a prepared statement (preparing it on this connection first if need
 * be). Outside a transaction, a connection found broken is made again and
 * the statement tried once more. *out gets the result (the caller clears
 * it) on success. */
static int run(struct pg *s, enum stmt_id id, const struct params *p,
	       PGresult **out, struct qerr *e, const char *op)
{
	for (int attempt = 0;; attempt++) {
		char name[16];
		PGresult *res;
		ExecStatusType st;
		int rc;

		*out = NULL;
		rc = ensure(s, e);
		if (rc)
			return rc;
		snprintf(name, sizeof(name), "q%d", (int)id);
		if (!s->prepared[id]) {
			res = PQprepare(s->conn, name, stmt_sql[id], 0, NULL);
			if (PQresultStatus(res) == PGRES_COMMAND_OK) {
				s->prepared[id] = true;
				PQclear(res);
				res = NULL;
			}
		} else {
			res = NULL;
		}
		if (s->prepared[id])
			res = PQexecPrepared(
				s->conn, name, p ? p->n : 0, p ? p->val : NULL,
				p ? p->len : NULL, p ? p->fmt : NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			*out = res;
			return Q_OK;
		}
		if (attempt == 0 && !s->in_tx &&
		    PQstatus(s->conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		rc = is_sqlstate(res, "23505")
			     ? qerr_set(e, Q_ERR_CONFLICT, "",
					"postgres: %s: %s", op,
					PQresultErrorMessage(res))
			     : db_err(s, res, e, op);
		PQclear(res);
		return rc;
	}
}

/* Run SQL that returns no rows and takes no parameters. */
static int exec(struct pg *s, const char *sql, const char *op, struct qerr *e)
{
	PGresult *res;
	int rc = ensure(s, e);

	if (rc)
		return rc;
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = db_err(s, res, e, op);
	PQclear(res);
	return rc;
}

static int64_t get_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void get_str(const PGresult *r, int row, int col, char *buf, size_t cap)
{
	size_t n = (size_t)PQgetlength(r, row, col);

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, PQgetvalue(r, row, col), n);
	buf[n] = '\0';
}

/* A malloc'd copy of a text column (NULL for SQL NULL); -1 when out of
 * memory. */
static int get_dup(const PGresult *r, int row, int col, char **out)
{
	size_t n;

	*out = NULL;
	if (PQgetisnull(r, row, col))
		return 0;
	n = (size_t)PQgetlength(r, row, col);
	*out = malloc(n + 1);
	if (!*out)
		return -1;
	memcpy(*out, PQgetvalue(r, row, col), n);
	(*out)[n] = '\0';
	return 0;
}

/* A malloc'd, NUL-terminated copy of a BYTEA column's bytes. */
static int get_bytea(const PGresult *r, int row, int col, char **out,
		     size_t *len)
{
	unsigned char *b;
	size_t n = 0;

	*out = NULL;
	b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	if (!b)
		return -1;
	*out = malloc(n + 1);
	if (*out) {
		memcpy(*out, b, n);
		(*out)[n] = '\0';
	}
	PQfreemem(b);
	if (len)
		*len = n;
	return *out ? 0 : -1;
}

/* --- transactions ------------------------------------------------------------------ */

static int pg_begin(struct store *base, struct qerr *e)
{
	struct pg *s = pg_of(base);
	int rc;

	if (s->in_tx)
		return qerr_set(e, Q_ERR_IO, "",
				"postgres: beginning a transaction: one is "
				"open already");
	for (int attempt = 0;; attempt++) {
		PGresult *res;

		rc = ensure(s, e);
		if (rc)
			return rc;
		res = PQexec(s->conn,
			     "BEGIN ISOLATION LEVEL READ COMMITTED; "
			     "SELECT pg_advisory_xact_lock(" QUAN_LOCK ")");
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			PQclear(res);
			s->in_tx = true;
			return Q_OK;
		}
		if (attempt == 0 && PQstatus(s->conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		rc = db_err(s, res, e, "beginning a transaction");
		PQclear(res);
		if (PQstatus(s->conn) == CONNECTION_OK &&
		    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		return rc;
	}
}

/* Done only when the server answered COMMIT: a transaction spoilt by an
 * earlier error answers ROLLBACK, and a lost connection answers nothing. */
static int pg_commit(struct store *base, struct qerr *e)
{
	struct pg *s = pg_of(base);
	PGresult *res;
	int rc = Q_OK;

	if (!s->in_tx)
		return qerr_set(e, Q_ERR_IO, "",
				"postgres: committing: no transaction is open");
	s->in_tx = false;
	if (PQstatus(s->conn) != CONNECTION_OK)
		return db_err(s, NULL, e,
			      "committing: the connection was lost");
	res = PQexec(s->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = db_err(s, res, e, "committing");
	else if (strcmp(PQcmdStatus(res), "COMMIT"))
		rc = qerr_set(e, Q_ERR_IO, "",
			      "postgres: committing: the transaction had "
			      "failed and was rolled back");
	PQclear(res);
	return rc;
}

static void pg_rollback(struct store *base)
{
	struct pg *s = pg_of(base);

	if (!s)
		return;
	s->in_tx = false;
	if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
}

static int pg_savepoint(struct store *base, struct qerr *e)
{
	return exec(pg_of(base), "SAVEPOINT one", "opening a savepoint", e);
}

static int pg_savepoint_release(struct store *base, struct qerr *e)
{
	return exec(pg_of(base), "RELEASE one", "releasing a savepoint", e);
}

static void pg_savepoint_rollback(struct store *base)
{
	struct pg *s = pg_of(base);

	if (PQstatus(s->conn) == CONNECTION_OK)
		PQclear(PQexec(s->conn, "ROLLBACK TO one; RELEASE one"));
}

static int begin_own(struct pg *s, bool *own, struct qerr *e)
{
	*own = !s->in_tx;
	return *own ? pg_begin(&s->base, e) : Q_OK;
}

static int end_own(struct pg *s, bool own, int rc, struct qerr *e)
{
	if (!own)
		return rc;
	if (rc == Q_OK)
		rc = pg_commit(&s->base, e);
	if (rc != Q_OK)
		pg_rollback(&s->base);
	return rc;
}

/* --- opening ------------------------------------------------------------------------ */

/* Bring the schema to SCHEMA_VERSION in one write transaction (under the
 * writers' lock, so two processes opening at once migrate once). */
static int migrate(struct pg *s, struct qerr *e)
{
	PGresult *res;
	char sql[96];
	int v = 0;
	int rc;

	rc = pg_begin(&s->base, e);
	if (rc)
		return rc;
	rc = exec(s,
		  "CREATE TABLE IF NOT EXISTS schema_version ("
		  "  version INTEGER NOT NULL);"
		  "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
		  "(SELECT 1 FROM schema_version)",
		  "creating the schema version", e);
	if (rc)
		goto out;
	res = PQexec(s->conn, "SELECT version FROM schema_version");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = (int)get_i64(res, 0, 0);
	else
		rc = db_err(s, res, e, "reading the schema version");
	PQclear(res);
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
		snprintf(sql, sizeof(sql),
			 "UPDATE schema_version SET version = %d",
			 SCHEMA_VERSION);
		rc = exec(s, sql, "setting the schema version", e);
	}
out:
	if (!rc)
		rc = pg_commit(&s->base, e);
	if (rc)
		pg_rollback(&s->base);
	else
		s->version = SCHEMA_VERSION;
	return rc;
}

static const struct store_ops pg_ops;
static const struct ledger_io pg_io;

/* Library code prints nothing: the server's notices are dropped (errors
 * come back with their results). */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The URI's own settings win over these defaults (they come after). */
int store_pg_open(const char *url, struct store **out, struct qerr *e)
{
	static const char *const keys[] = {
		"connect_timeout",
		"keepalives",
		"keepalives_idle",
		"keepalives_interval",
		"keepalives_count",
		"tcp_user_timeout",
		"application_name",
		"client_encoding",
		"options",
		"dbname",
		NULL,
	};
	/* Give up on a server that does not answer within 5 s, on a silent
	 * peer within about 10 s; wait for the writers' lock 10 s at most
	 * (as SQLite's busy timeout); an answered COMMIT is durable. */
	const char *const vals[] = {
		"5",
		"1",
		"5",
		"2",
		"3",
		"10000",
		"quan",
		"UTF8",
		"-c lock_timeout=10000 -c synchronous_commit=on "
		"-c idle_in_transaction_session_timeout=60000 "
		"-c client_min_messages=warning",
		url,
		NULL,
	};
	struct pg *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return nomem(e);
	s->base.ops = &pg_ops;
	s->io = pg_io;
	s->io.ctx = s;
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (!s->conn) {
		free(s);
		return nomem(e);
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char m[300];

		msg_of(PQerrorMessage(s->conn), m, sizeof(m));
		rc = qerr_set(e, Q_ERR_IO, "", "postgres: connecting: %s", m);
		goto err;
	}
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	rc = migrate(s, e);
	if (rc)
		goto err;
	*out = &s->base;
	return Q_OK;
err:
	PQfinish(s->conn);
	free(s);
	return rc;
}

static void pg_close(struct store *base)
{
	struct pg *s = pg_of(base);

	if (!s)
		return;
	pg_rollback(base);
	PQfinish(s->conn);
	free(s);
}

static int pg_schema_version(struct store *base)
{
	return pg_of(base)->version;
}

/* --- policies --------------------------------------------------------------------------- */

static int pg_policy_add(struct store *base, const char *program,
			 const char *hash, const char *path, const char *text,
			 size_t len, int64_t now, bool *is_new, struct qerr *e)
{
	struct pg *s = pg_of(base);
	char stored[PROGRAM_MAX] = "";
	struct params p = {0};
	PGresult *r;
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
				"policy '%.200s' is larger than %u bytes", path,
				POLICY_TEXT_MAX);
	rc = begin_own(s, &own, e);
	if (rc)
		return rc;
	p_text(&p, hash);
	rc = run(s, ST_POLICY_PROGRAM, &p, &r, e,
		 "looking up a policy version");
	if (rc)
		goto out;
	if (PQntuples(r))
		get_str(r, 0, 0, stored, sizeof(stored));
	PQclear(r);
	*is_new = stored[0] == '\0';
	if (!*is_new && strcmp(stored, program)) {
		rc = qerr_set(e, Q_ERR_INVALID, "program",
			      "policy %s is stored for program '%s', not '%s'",
			      hash, stored, program);
		goto out;
	}
	if (*is_new) {
		memset(&p, 0, sizeof(p));
		p_text(&p, hash);
		p_text(&p, program);
		p_text(&p, path ? path : "");
		p_bytes(&p, len ? text : "", len);
		p_int(&p, now);
		rc = run(s, ST_POLICY_INSERT, &p, &r, e,
			 "storing a policy version");
		if (rc)
			goto out;
		PQclear(r);
	}
	memset(&p, 0, sizeof(p));
	p_text(&p, program);
	p_text(&p, hash);
	p_int(&p, now);
	rc = run(s, ST_CURRENT_SET, &p, &r, e,
		 "making a policy version current");
	if (!rc)
		PQclear(r);
out:
	if (rc)
		*is_new = false;
	return end_own(s, own, rc, e);
}

static int pg_policy_current(struct store *base, const char *program,
			     char *hash, char **text, size_t *len,
			     struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	if (text)
		*text = NULL;
	p_text(&p, program);
	rc = run(s, ST_POLICY_CURRENT, &p, &r, e, "reading the current policy");
	if (rc)
		return rc;
	if (!PQntuples(r)) {
		rc = qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
			      "no policy for program '%s'", program);
	} else {
		get_str(r, 0, 0, hash, POLICY_HASH_MAX);
		if (text && get_bytea(r, 0, 1, text, len))
			rc = nomem(e);
	}
	PQclear(r);
	return rc;
}

static int pg_policy_text(struct store *base, const char *hash, char **text,
			  size_t *len, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*text = NULL;
	p_text(&p, hash);
	rc = run(s, ST_POLICY_TEXT, &p, &r, e, "reading a policy version");
	if (rc)
		return rc;
	if (!PQntuples(r))
		rc = qerr_set(e, Q_ERR_INVALID, "policy",
			      "no policy version '%s'", hash);
	else if (get_bytea(r, 0, 0, text, len))
		rc = nomem(e);
	PQclear(r);
	return rc;
}

static int pg_policy_path(struct store *base, const char *hash, char *path,
			  size_t n, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, hash);
	rc = run(s, ST_POLICY_PATH, &p, &r, e, "reading a policy version");
	if (rc)
		return rc;
	if (!PQntuples(r))
		rc = qerr_set(e, Q_ERR_INVALID, "policy",
			      "no policy version '%s'", hash);
	else
		get_str(r, 0, 0, path, n);
	PQclear(r);
	return rc;
}

static int pg_programs_each(struct store *base,
			    int (*fn)(void *arg, const char *program,
				      const char *hash),
			    void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	char prog[PAGE][PROGRAM_MAX], hash[PAGE][POLICY_HASH_MAX];
	char last[PROGRAM_MAX] = "";
	size_t n;
	int rc;

	do {
		struct params p = {0};
		PGresult *r;

		p_text(&p, last);
		rc = run(s, ST_PROGRAMS_PAGE, &p, &r, e, "listing programs");
		if (rc)
			return rc;
		n = (size_t)PQntuples(r);
		for (size_t i = 0; i < n; i++) {
			get_str(r, (int)i, 0, prog[i], sizeof(prog[i]));
			get_str(r, (int)i, 1, hash[i], sizeof(hash[i]));
		}
		PQclear(r);
		for (size_t i = 0; i < n; i++)
			if (fn(arg, prog[i], hash[i]))
				return Q_OK;
		if (n)
			memcpy(last, prog[n - 1], sizeof(last));
	} while (n == PAGE);
	return Q_OK;
}

static int pg_policy_each_version(struct store *base,
				  int (*fn)(void *arg,
					    const struct store_policy *p),
				  void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	PGresult *r;
	int rc = ensure(s, e);

	if (rc)
		return rc;
	r = PQexec(s->conn,
		   "SELECT p.program, p.hash, p.path, p.text, p.added_at, "
		   "c.hash IS NOT NULL FROM policies p LEFT JOIN "
		   "current_policies c ON c.hash = p.hash "
		   "ORDER BY p.added_at, p.hash COLLATE \"C\"");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = db_err(s, r, e, "listing policy versions");
		PQclear(r);
		return rc;
	}
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		struct store_policy pv = {
			.program = PQgetvalue(r, i, 0),
			.hash = PQgetvalue(r, i, 1),
			.path = PQgetvalue(r, i, 2),
			.added_at = get_i64(r, i, 4),
			.current = PQgetvalue(r, i, 5)[0] == 't',
		};
		char *text;
		bool stop;

		if (get_bytea(r, i, 3, &text, &pv.len)) {
			rc = nomem(e);
			break;
		}
		pv.text = text;
		stop = fn(arg, &pv) != 0;
		free(text);
		if (stop)
			break;
	}
	PQclear(r);
	return rc;
}

/* --- applications --------------------------------------------------------------------- */

/* Decode row i of APP_COLS into a (which owns json and decision). */
static int app_row(const PGresult *r, int i, struct store_app *a,
		   struct qerr *e)
{
	char state[16];

	memset(a, 0, sizeof(*a));
	get_str(r, i, 0, a->id, sizeof(a->id));
	get_str(r, i, 1, a->program, sizeof(a->program));
	get_str(r, i, 2, a->measure, sizeof(a->measure));
	get_str(r, i, 3, a->uscc, sizeof(a->uscc));
	get_str(r, i, 4, a->policy_hash, sizeof(a->policy_hash));
	get_str(r, i, 5, state, sizeof(state));
	a->state = app_state_parse(state);
	a->seq = get_i64(r, i, 6);
	a->fiscal_year = (int)get_i64(r, i, 7);
	a->requested = get_i64(r, i, 8);
	a->awarded = get_i64(r, i, 9);
	a->paid = get_i64(r, i, 10);
	a->recovered = get_i64(r, i, 11);
	a->contract_value = get_i64(r, i, 12);
	a->compute = get_i64(r, i, 13) != 0;
	get_str(r, i, 14, a->approver, sizeof(a->approver));
	a->received_at = get_i64(r, i, 15);
	a->updated_at = get_i64(r, i, 16);
	get_str(r, i, 19, a->approved_by, sizeof(a->approved_by));
	get_str(r, i, 20, a->client_ref, sizeof(a->client_ref));
	if (a->state < 0)
		return qerr_set(e, Q_ERR_IO, "",
				"application '%s' has an unknown state '%s'",
				a->id, state);
	if (get_dup(r, i, 17, &a->json) || get_dup(r, i, 18, &a->decision)) {
		store_app_release(a);
		return nomem(e);
	}
	return Q_OK;
}

static int app_insert(struct pg *s, struct store_app *a, struct qerr *e)
{
	struct params p = {0};
	PGresult *r;
	int64_t seq;
	int rc;

	P_FIELD(&p, a->id);
	rc = run(s, ST_APP_EXISTS, &p, &r, e, "looking up an application");
	if (rc)
		return rc;
	rc = PQntuples(r) ? qerr_set(e, Q_ERR_CONFLICT, "id",
				     "application '%s' already exists", a->id)
			  : Q_OK;
	PQclear(r);
	if (rc)
		return rc;
	rc = run(s, ST_APP_NEXT_SEQ, NULL, &r, e, "numbering an application");
	if (rc)
		return rc;
	seq = get_i64(r, 0, 0);
	PQclear(r);

	memset(&p, 0, sizeof(p));
	P_FIELD(&p, a->id);
	P_FIELD(&p, a->program);
	P_FIELD(&p, a->measure);
	P_FIELD(&p, a->uscc);
	P_FIELD(&p, a->policy_hash);
	p_text(&p, app_state_name(a->state));
	p_int(&p, seq);
	p_int(&p, a->fiscal_year);
	p_int(&p, a->requested);
	p_int(&p, a->awarded);
	p_int(&p, a->paid);
	p_int(&p, a->recovered);
	p_int(&p, a->contract_value);
	p_int(&p, a->compute ? 1 : 0);
	P_FIELD(&p, a->approver);
	p_int(&p, a->received_at);
	p_int(&p, a->updated_at);
	if (a->json)
		p_text(&p, a->json);
	else
		p_null(&p);
	if (a->decision)
		p_text(&p, a->decision);
	else
		p_null(&p);
	P_FIELD(&p, a->approved_by);
	if (a->client_ref[0])
		P_FIELD(&p, a->client_ref);
	else
		p_null(&p);
	rc = run(s, ST_APP_INSERT, &p, &r, e, "storing an application");
	if (rc == Q_ERR_CONFLICT && e)
		snprintf(e->field, sizeof(e->field), "%s",
			 strstr(e->msg, "client_ref") ? "client_ref" : "id");
	if (rc)
		return rc;
	PQclear(r);
	a->seq = seq;
	return Q_OK;
}

static int pg_app_insert(struct store *base, struct store_app *a,
			 struct qerr *e)
{
	struct pg *s = pg_of(base);
	bool own;
	int rc;

	rc = begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = app_insert(s, a, e);
	return end_own(s, own, rc, e);
}

static int pg_app_get(struct store *base, const char *id, struct store_app *out,
		      struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	p_text(&p, id);
	rc = run(s, ST_APP_GET, &p, &r, e, "reading an application");
	if (rc)
		return rc;
	rc = PQntuples(r) ? app_row(r, 0, out, e) : Q_NONE;
	PQclear(r);
	return rc;
}

static int pg_app_by_ref(struct store *base, const char *uscc,
			 const char *client_ref, struct store_app *out,
			 struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	p_text(&p, uscc);
	p_text(&p, client_ref);
	rc = run(s, ST_APP_BY_REF, &p, &r, e,
		 "looking up an application by reference");
	if (rc)
		return rc;
	rc = PQntuples(r) ? app_row(r, 0, out, e) : Q_NONE;
	PQclear(r);
	return rc;
}

/* Numbers are drawn inside the caller's transaction only: drawn in one of
 * their own, a number would be committed whatever became of the
 * application it was for. */
static int in_transaction(struct pg *s, const char *op, struct qerr *e)
{
	if (!s->in_tx)
		return qerr_set(e, Q_ERR_INVALID, "",
				"%s: only inside a write transaction", op);
	return Q_OK;
}

static int pg_app_number(struct store *base, const char *program, int year,
			 int64_t *n, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*n = 0;
	rc = in_transaction(s, "numbering an application", e);
	if (rc)
		return rc;
	p_text(&p, program);
	p_int(&p, year);
	rc = run(s, ST_APP_NUMBER, &p, &r, e, "numbering an application");
	if (rc)
		return rc;
	if (PQntuples(r) == 1)
		*n = get_i64(r, 0, 0);
	if (*n < 1) {
		*n = 0;
		rc = qerr_set(e, Q_ERR_IO, "",
			      "postgres: numbering an application: no number "
			      "came back");
	}
	PQclear(r);
	return rc;
}

static int pg_app_number_set(struct store *base, const char *program, int year,
			     int64_t last, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	rc = in_transaction(s, "setting the numbering", e);
	if (rc)
		return rc;
	p_text(&p, program);
	p_int(&p, year);
	p_int(&p, last);
	rc = run(s, ST_APP_NUMBER_SET, &p, &r, e, "setting the numbering");
	if (!rc)
		PQclear(r);
	return rc;
}

/* The numbering whole (a row per program and year). */
static int pg_app_numbers_each(struct store *base,
			       int (*fn)(void *arg, const char *program,
					 int year, int64_t last),
			       void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	PGresult *r;
	int rc = ensure(s, e);

	if (rc)
		return rc;
	r = PQexec(s->conn, "SELECT program, year, last FROM app_numbers "
			    "ORDER BY program, year");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = db_err(s, r, e, "reading the numbering");
		PQclear(r);
		return rc;
	}
	for (int i = 0; i < PQntuples(r); i++)
		if (fn(arg, PQgetvalue(r, i, 0), (int)get_i64(r, i, 1),
		       get_i64(r, i, 2)))
			break;
	PQclear(r);
	return Q_OK;
}

static int pg_app_update(struct store *base, const struct store_app *a,
			 struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	P_FIELD(&p, a->id);
	p_text(&p, app_state_name(a->state));
	p_int(&p, a->awarded);
	p_int(&p, a->paid);
	p_int(&p, a->recovered);
	P_FIELD(&p, a->approver);
	p_int(&p, a->updated_at);
	p_int(&p, a->requested);
	P_FIELD(&p, a->approved_by);
	rc = run(s, ST_APP_UPDATE, &p, &r, e, "updating an application");
	if (rc)
		return rc;
	if (strcmp(PQcmdTuples(r), "1"))
		rc = qerr_set(e, Q_ERR_INVALID, "id", "no application '%.64s'",
			      a->id);
	PQclear(r);
	return rc;
}

static int pg_app_each(struct store *base, const char *program, int state,
		       int (*fn)(void *arg, const struct store_app *a),
		       void *arg, struct qerr *e)
{
	static const enum stmt_id which[2][2] = {
		{ST_APPS_PAGE, ST_APPS_PAGE_STATE},
		{ST_APPS_PAGE_PROGRAM, ST_APPS_PAGE_BOTH},
	};
	struct pg *s = pg_of(base);
	struct store_app *page;
	int64_t last = 0;
	size_t n = 0;
	int rc;

	page = calloc(PAGE, sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		struct params p = {0};
		bool stop = false;
		PGresult *r;

		p_int(&p, last);
		if (program)
			p_text(&p, program);
		if (state >= 0)
			p_text(&p, app_state_name(state));
		rc = run(s, which[program != NULL][state >= 0], &p, &r, e,
			 "listing applications");
		if (rc)
			break;
		n = 0;
		for (int i = 0; i < PQntuples(r) && !rc; i++) {
			assert(n < PAGE);
			rc = app_row(r, i, &page[n], e);
			if (!rc)
				n++;
		}
		PQclear(r);
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

static int pg_applicant_year(struct store *base, const char *program,
			     const char *measure, const char *uscc, int year,
			     const char *except_id, money_t *awarded,
			     money_t *compute_contracts, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*awarded = 0;
	*compute_contracts = 0;
	p_text(&p, program);
	p_text(&p, uscc);
	p_int(&p, year);
	p_text(&p, except_id ? except_id : "");
	p_text(&p, measure);
	rc = run(s, ST_APPLICANT_YEAR, &p, &r, e,
		 "summing an applicant's year");
	if (rc)
		return rc;
	*awarded = get_i64(r, 0, 0);
	*compute_contracts = get_i64(r, 0, 1);
	PQclear(r);
	return Q_OK;
}

static int pg_app_list(struct store *base, const struct store_app_filter *f,
		       int (*fn)(void *arg, const struct store_app *a),
		       void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	long limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 100;
	char sql[512], w[96] = "";
	struct params p = {0};
	PGresult *r;
	int rc;

	p_int(&p, f->before_seq > 0 ? f->before_seq : INT64_MAX);
	p_int(&p, limit);
	if (f->program) {
		p_text(&p, f->program);
		snprintf(w + strlen(w), sizeof(w) - strlen(w),
			 " AND program = $%d", p.n);
	}
	if (f->state >= 0) {
		p_text(&p, app_state_name(f->state));
		snprintf(w + strlen(w), sizeof(w) - strlen(w),
			 " AND state = $%d", p.n);
	}
	if (f->uscc) {
		p_text(&p, f->uscc);
		snprintf(w + strlen(w), sizeof(w) - strlen(w),
			 " AND uscc = $%d", p.n);
	}
	snprintf(sql, sizeof(sql),
		 "SELECT " APP_COLS " FROM applications WHERE seq < $1%s "
		 "ORDER BY seq DESC LIMIT $2",
		 w);
	rc = ensure(s, e);
	if (rc)
		return rc;
	r = PQexecParams(s->conn, sql, p.n, NULL, p.val, p.len, p.fmt, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = db_err(s, r, e, "listing applications");
		PQclear(r);
		return rc;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_app a;
		bool stop;

		rc = app_row(r, i, &a, e);
		if (rc)
			break;
		stop = fn(arg, &a) != 0;
		store_app_release(&a);
		if (stop)
			break;
	}
	PQclear(r);
	return rc;
}

/* --- the ledger's storage ----------------------------------------------------------------- */

static int pg_ledger_error(struct store *base, struct qerr *e)
{
	struct pg *s = pg_of(base);

	if (s->io_err.code == Q_OK)
		return qerr_set(e, Q_ERR_IO, "", "ledger: storage error");
	if (e)
		*e = s->io_err;
	return s->io_err.code;
}

static void account_row(const PGresult *r, int i, struct ledger_account *a)
{
	memset(a, 0, sizeof(*a));
	a->id = (uint64_t)get_i64(r, i, 0);
	get_str(r, i, 1, a->code, sizeof(a->code));
	a->flags = (uint32_t)get_i64(r, i, 2);
	a->debits_pending = get_i64(r, i, 3);
	a->debits_posted = get_i64(r, i, 4);
	a->credits_pending = get_i64(r, i, 5);
	a->credits_posted = get_i64(r, i, 6);
}

static void transfer_row(const PGresult *r, int i, struct ledger_transfer *t)
{
	memset(t, 0, sizeof(*t));
	get_str(r, i, 0, t->id, sizeof(t->id));
	t->debit = (uint64_t)get_i64(r, i, 1);
	t->credit = (uint64_t)get_i64(r, i, 2);
	t->amount = get_i64(r, i, 3);
	t->flags = (uint32_t)get_i64(r, i, 4);
	get_str(r, i, 5, t->pending_id, sizeof(t->pending_id));
	t->expires_at = get_i64(r, i, 6);
	t->code = (uint32_t)get_i64(r, i, 7);
	get_str(r, i, 8, t->ref, sizeof(t->ref));
	t->timestamp = get_i64(r, i, 9);
}

/* Account ids are uint64_t, kept as the BIGINT with the same bits. */
static int io_account_get(void *ctx, uint64_t id, struct ledger_account *out)
{
	struct pg *s = ctx;
	struct params p = {0};
	PGresult *r;
	int rc;

	p_int(&p, (int64_t)id);
	if (run(s, ST_ACCOUNT_GET, &p, &r, &s->io_err, "reading an account"))
		return -1;
	rc = PQntuples(r) ? 0 : 1;
	if (!rc)
		account_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int io_account_put(void *ctx, const struct ledger_account *a)
{
	struct pg *s = ctx;
	struct params p = {0};
	PGresult *r;

	p_int(&p, (int64_t)a->id);
	P_FIELD(&p, a->code);
	p_int(&p, a->flags);
	p_int(&p, a->debits_pending);
	p_int(&p, a->debits_posted);
	p_int(&p, a->credits_pending);
	p_int(&p, a->credits_posted);
	if (run(s, ST_ACCOUNT_PUT, &p, &r, &s->io_err, "writing an account"))
		return -1;
	PQclear(r);
	return 0;
}

static int io_transfer_get(void *ctx, const char *id,
			   struct ledger_transfer *out)
{
	struct pg *s = ctx;
	struct params p = {0};
	PGresult *r;
	int rc;

	p_str(&p, id, LEDGER_ID_MAX);
	if (run(s, ST_TRANSFER_GET, &p, &r, &s->io_err, "reading a transfer"))
		return -1;
	rc = PQntuples(r) ? 0 : 1;
	if (!rc)
		transfer_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int io_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct pg *s = ctx;
	struct params p = {0};
	PGresult *r;

	P_FIELD(&p, t->id);
	p_int(&p, (int64_t)t->debit);
	p_int(&p, (int64_t)t->credit);
	p_int(&p, t->amount);
	p_int(&p, t->flags);
	P_FIELD(&p, t->pending_id);
	p_int(&p, t->expires_at);
	p_int(&p, t->code);
	P_FIELD(&p, t->ref);
	p_int(&p, t->timestamp);
	if (run(s, ST_TRANSFER_PUT, &p, &r, &s->io_err, "writing a transfer"))
		return -1;
	PQclear(r);
	return 0;
}

/* 1 when id is not a pending transfer, as the in-memory ledger answers. */
static int io_pending_state(void *ctx, const char *id,
			    enum ledger_pending_state *out)
{
	struct pg *s = ctx;
	struct params p = {0};
	PGresult *r;
	int rc = 1;

	p_str(&p, id, LEDGER_ID_MAX);
	if (run(s, ST_PENDING_STATE, &p, &r, &s->io_err,
		"reading a pending transfer"))
		return -1;
	if (PQntuples(r)) {
		uint32_t flags = (uint32_t)get_i64(r, 0, 0);
		uint32_t by = (uint32_t)get_i64(r, 0, 1);

		rc = 0;
		if (!(flags & LEDGER_PENDING))
			rc = 1;
		else if (by & LEDGER_POST_PENDING)
			*out = LEDGER_PENDING_POSTED;
		else if (by & LEDGER_VOID_PENDING)
			*out = LEDGER_PENDING_VOIDED;
		else
			*out = LEDGER_PENDING_OPEN;
	}
	PQclear(r);
	return rc;
}

static int io_last_timestamp(void *ctx, int64_t *out)
{
	struct pg *s = ctx;
	PGresult *r;

	if (run(s, ST_LAST_TIMESTAMP, NULL, &r, &s->io_err,
		"reading the last timestamp"))
		return -1;
	*out = get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

static const struct ledger_io pg_io = {
	.ctx = NULL,
	.account_get = io_account_get,
	.account_put = io_account_put,
	.transfer_get = io_transfer_get,
	.transfer_put = io_transfer_put,
	.pending_state = io_pending_state,
	.last_timestamp = io_last_timestamp,
};

static const struct ledger_io *pg_ledger_io(struct store *base)
{
	return &pg_of(base)->io;
}

static int pg_account_each(struct store *base,
			   int (*fn)(void *arg, const struct ledger_account *a),
			   void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct ledger_account *page;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	page = malloc(PAGE * sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		struct params p = {0};
		bool stop = false;
		PGresult *r;

		p_int(&p, last);
		rc = run(s, ST_ACCOUNTS_PAGE, &p, &r, e, "listing accounts");
		if (rc)
			break;
		n = (size_t)PQntuples(r);
		for (size_t i = 0; i < n; i++)
			account_row(r, (int)i, &page[i]);
		PQclear(r);
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = (int64_t)page[n - 1].id;
	} while (n == PAGE);
	free(page);
	return rc;
}

static int pg_transfer_each(struct store *base, const char *ref,
			    int (*fn)(void *arg,
				      const struct ledger_transfer *t),
			    void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct ledger_transfer *page;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	page = malloc(PAGE * sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		struct params p = {0};
		bool stop = false;
		PGresult *r;

		p_int(&p, last);
		if (ref)
			p_text(&p, ref);
		rc = run(s, ref ? ST_TRANSFERS_PAGE_REF : ST_TRANSFERS_PAGE, &p,
			 &r, e, "listing transfers");
		if (rc)
			break;
		n = (size_t)PQntuples(r);
		for (size_t i = 0; i < n; i++)
			transfer_row(r, (int)i, &page[i]);
		PQclear(r);
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = page[n - 1].timestamp;
	} while (n == PAGE);
	free(page);
	return rc;
}

/* --- the audit chain ------------------------------------------------------------------------ */

/* The last event is read under the writers' lock (begin_own), so no other
 * process can append between this read and the insert. */
static int event_append(struct pg *s, struct store_event *ev, struct qerr *e)
{
	struct params p = {0};
	PGresult *r;
	int rc;

	rc = run(s, ST_EVENT_LAST, NULL, &r, e, "reading the last event");
	if (rc)
		return rc;
	if (PQntuples(r)) {
		ev->seq = get_i64(r, 0, 0) + 1;
		get_str(r, 0, 1, ev->prev_hash, sizeof(ev->prev_hash));
	} else {
		ev->seq = 1;
		memcpy(ev->prev_hash, AUDIT_GENESIS, sizeof(ev->prev_hash));
	}
	PQclear(r);
	if (audit_hash(ev))
		return nomem(e);
	p_int(&p, ev->seq);
	p_int(&p, ev->at);
	P_FIELD(&p, ev->who);
	P_FIELD(&p, ev->action);
	P_FIELD(&p, ev->subject);
	P_FIELD(&p, ev->policy_hash);
	p_text(&p, ev->detail ? ev->detail : "");
	P_FIELD(&p, ev->prev_hash);
	P_FIELD(&p, ev->hash);
	rc = run(s, ST_EVENT_INSERT, &p, &r, e, "appending an event");
	if (!rc)
		PQclear(r);
	return rc;
}

static int pg_event_append(struct store *base, struct store_event *ev,
			   struct qerr *e)
{
	struct pg *s = pg_of(base);
	bool own;
	int rc;

	rc = begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = event_append(s, ev, e);
	return end_own(s, own, rc, e);
}

static int event_row(const PGresult *r, int i, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = get_i64(r, i, 0);
	ev->at = get_i64(r, i, 1);
	get_str(r, i, 2, ev->who, sizeof(ev->who));
	get_str(r, i, 3, ev->action, sizeof(ev->action));
	get_str(r, i, 4, ev->subject, sizeof(ev->subject));
	get_str(r, i, 5, ev->policy_hash, sizeof(ev->policy_hash));
	get_str(r, i, 7, ev->prev_hash, sizeof(ev->prev_hash));
	get_str(r, i, 8, ev->hash, sizeof(ev->hash));
	return get_dup(r, i, 6, &ev->detail);
}

static int events_each(struct pg *s, const char *subject,
		       int (*fn)(void *arg, const struct store_event *ev),
		       void *arg, struct qerr *e)
{
	struct store_event *page;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	page = calloc(PAGE, sizeof(*page));
	if (!page)
		return nomem(e);
	do {
		struct params p = {0};
		bool stop = false;
		PGresult *r;

		p_int(&p, last);
		if (subject)
			p_text(&p, subject);
		rc = run(s, subject ? ST_EVENTS_SUBJECT_PAGE : ST_EVENTS_PAGE,
			 &p, &r, e, "listing events");
		if (rc)
			break;
		n = 0;
		for (int i = 0; i < PQntuples(r) && !rc; i++) {
			if (event_row(r, i, &page[n])) {
				store_event_release(&page[n]);
				rc = nomem(e);
				break;
			}
			n++;
		}
		PQclear(r);
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

static int pg_event_each(struct store *base,
			 int (*fn)(void *arg, const struct store_event *ev),
			 void *arg, struct qerr *e)
{
	return events_each(pg_of(base), NULL, fn, arg, e);
}

static int pg_event_each_subject(struct store *base, const char *subject,
				 int (*fn)(void *arg,
					   const struct store_event *ev),
				 void *arg, struct qerr *e)
{
	return events_each(pg_of(base), subject, fn, arg, e);
}

/* --- users ---------------------------------------------------------------------------------- */

static int pg_user_add(struct store *base, const struct store_user *u,
		       const char *token_hash, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	P_FIELD(&p, u->name);
	P_FIELD(&p, u->role);
	P_FIELD(&p, u->uscc);
	p_text(&p, token_hash);
	p_int(&p, u->created_at);
	rc = run(s, ST_USER_INSERT, &p, &r, e, "adding a user");
	if (rc == Q_ERR_CONFLICT)
		return qerr_set(e, Q_ERR_CONFLICT, "name",
				"a user '%.64s' exists already", u->name);
	if (!rc)
		PQclear(r);
	return rc;
}

static int pg_user_remove(struct store *base, const char *name, struct qerr *e)
{
	struct pg *s = pg_of(base);
	const char *vals[1] = {name};
	PGresult *r;
	int rc = ensure(s, e);

	if (rc)
		return rc;
	r = PQexecParams(s->conn, "DELETE FROM users WHERE name = $1", 1, NULL,
			 vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = db_err(s, r, e, "removing a user");
	else if (strcmp(PQcmdTuples(r), "1"))
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "name", "no user '%.64s'",
			      name);
	PQclear(r);
	return rc;
}

static int pg_user_by_token(struct store *base, const char *token_hash,
			    struct store_user *out, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	p_text(&p, token_hash);
	rc = run(s, ST_USER_BY_TOKEN, &p, &r, e, "looking up a token");
	if (rc)
		return rc;
	if (PQntuples(r)) {
		get_str(r, 0, 0, out->name, sizeof(out->name));
		get_str(r, 0, 1, out->role, sizeof(out->role));
		get_str(r, 0, 2, out->uscc, sizeof(out->uscc));
		out->created_at = get_i64(r, 0, 3);
	} else {
		rc = Q_NONE;
	}
	PQclear(r);
	return rc;
}

static int pg_user_each(struct store *base,
			int (*fn)(void *arg, const struct store_user *u,
				  const char *token_hash),
			void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	PGresult *r;
	int rc = ensure(s, e);

	if (rc)
		return rc;
	r = PQexec(s->conn, "SELECT name, role, uscc, token_hash, created_at "
			    "FROM users ORDER BY name");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = db_err(s, r, e, "listing users");
		PQclear(r);
		return rc;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_user u;

		memset(&u, 0, sizeof(u));
		get_str(r, i, 0, u.name, sizeof(u.name));
		get_str(r, i, 1, u.role, sizeof(u.role));
		get_str(r, i, 2, u.uscc, sizeof(u.uscc));
		u.created_at = get_i64(r, i, 4);
		if (fn(arg, &u, PQgetvalue(r, i, 3)))
			break;
	}
	PQclear(r);
	return Q_OK;
}

/* --- what the screens look up ------------------------------------------------ */

static int pg_app_any(struct store *base, const char *program,
		      const char *measure, int fiscal_year, int state,
		      bool *out, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*out = false;
	if (state < 0 || state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				state);
	p_text(&p, program);
	p_text(&p, app_state_name(state));
	p_text(&p, measure);
	p_int(&p, fiscal_year);
	rc = run(s, ST_APP_ANY, &p, &r, e, "looking for an application");
	if (rc)
		return rc;
	*out = PQntuples(r) > 0;
	PQclear(r);
	return Q_OK;
}

static int pg_contract_add(struct store *base, const struct store_contract *c,
			   struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	p_text(&p, c->app_id);
	p_text(&p, c->program);
	p_text(&p, c->applicant);
	p_text(&p, c->supplier);
	p_text(&p, c->number);
	p_int(&p, c->value);
	p_int(&p, c->signed_on);
	rc = run(s, ST_CONTRACT_INSERT, &p, &r, e, "recording a contract");
	if (rc == Q_ERR_CONFLICT)
		return qerr_set(
			e, Q_ERR_CONFLICT, "id",
			"the contract of application '%.64s' is recorded already",
			c->app_id);
	if (!rc)
		PQclear(r);
	return rc;
}

static void contract_rows(const PGresult *r, struct store_contract_row *out,
			  size_t max, size_t *n)
{
	int rows = PQntuples(r);

	*n = 0;
	for (int i = 0; i < rows && *n < max; i++) {
		struct store_contract_row *row = &out[(*n)++];

		get_str(r, i, 1, row->app_id, sizeof(row->app_id));
		get_str(r, i, 2, row->program, sizeof(row->program));
		get_str(r, i, 3, row->number, sizeof(row->number));
		store_utf8_trim(row->number);
		row->value = get_i64(r, i, 4);
		row->signed_on = (int32_t)get_i64(r, i, 5);
	}
}

static int pg_contract_same(struct store *base, const struct store_contract *c,
			    int days, struct store_contract_row *out,
			    size_t max, size_t *n, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*n = 0;
	if (max == 0)
		return Q_OK;
	p_text(&p, c->applicant);
	p_text(&p, c->supplier);
	p_text(&p, c->number);
	p_int(&p, c->value);
	p_int(&p, (int64_t)c->signed_on - days);
	p_int(&p, (int64_t)c->signed_on + days);
	p_text(&p, c->app_id);
	p_int(&p, (int64_t)max);
	rc = run(s, ST_CONTRACT_SAME, &p, &r, e, "looking up a contract");
	if (rc)
		return rc;
	contract_rows(r, out, max, n);
	PQclear(r);
	return Q_OK;
}

static void p_between(struct params *p, const struct store_contract *c,
		      int32_t from, int32_t to, money_t lo, money_t hi)
{
	p_text(p, c->applicant);
	p_text(p, c->supplier);
	p_int(p, from);
	p_int(p, to);
	p_int(p, lo);
	p_int(p, hi);
	p_text(p, c->app_id);
	p_text(p, c->number);
}

static int pg_contract_between(struct store *base,
			       const struct store_contract *c, int32_t from,
			       int32_t to, money_t lo, money_t hi,
			       struct store_contract_row *out, size_t max,
			       size_t *n, int64_t *count, money_t *sum,
			       struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	*n = 0;
	*count = 0;
	*sum = 0;
	p_between(&p, c, from, to, lo, hi);
	rc = run(s, ST_CONTRACT_BETWEEN_SUM, &p, &r, e,
		 "summing contracts between two parties");
	if (rc)
		return rc;
	*count = get_i64(r, 0, 0);
	*sum = get_i64(r, 0, 1);
	PQclear(r);
	if (*count == 0 || max == 0)
		return Q_OK;
	memset(&p, 0, sizeof(p));
	p_between(&p, c, from, to, lo, hi);
	p_int(&p, (int64_t)max);
	rc = run(s, ST_CONTRACT_BETWEEN, &p, &r, e,
		 "listing contracts between two parties");
	if (rc)
		return rc;
	contract_rows(r, out, max, n);
	PQclear(r);
	return Q_OK;
}

static int pg_controller_add(struct store *base,
			     const struct store_controller *c, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	P_FIELD(&p, c->uscc);
	P_FIELD(&p, c->controller);
	P_FIELD(&p, c->name);
	P_FIELD(&p, c->source);
	rc = run(s, ST_CONTROLLER_PUT, &p, &r, e,
		 "adding a controller to the registry");
	if (!rc)
		PQclear(r);
	return rc;
}

static int pg_controllers_of(struct store *base, const char *uscc,
			     struct store_controller *out, size_t max,
			     size_t *n, struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc, rows;

	*n = 0;
	if (max == 0)
		return Q_OK;
	p_text(&p, uscc);
	p_int(&p, (int64_t)max);
	rc = run(s, ST_CONTROLLERS_OF, &p, &r, e,
		 "reading the registry of controllers");
	if (rc)
		return rc;
	rows = PQntuples(r);
	for (int i = 0; i < rows && *n < max; i++) {
		struct store_controller *c = &out[(*n)++];

		get_str(r, i, 0, c->uscc, sizeof(c->uscc));
		get_str(r, i, 1, c->controller, sizeof(c->controller));
		get_str(r, i, 2, c->name, sizeof(c->name));
		get_str(r, i, 3, c->source, sizeof(c->source));
		store_utf8_trim(c->name);
		store_utf8_trim(c->source);
	}
	PQclear(r);
	return Q_OK;
}

static int pg_listing_add(struct store *base, const struct store_listing *l,
			  struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	if (strcmp(l->list, "dishonest") && strcmp(l->list, "restricted"))
		return qerr_set(e, Q_ERR_INVALID, "list",
				"unknown list '%.16s': dishonest or restricted",
				l->list);
	P_FIELD(&p, l->list);
	P_FIELD(&p, l->uscc);
	P_FIELD(&p, l->name);
	P_FIELD(&p, l->reason);
	P_FIELD(&p, l->source);
	rc = run(s, ST_LISTING_PUT, &p, &r, e, "adding a firm to a list");
	if (!rc)
		PQclear(r);
	return rc;
}

static int pg_listing_get(struct store *base, const char *list,
			  const char *uscc, struct store_listing *out,
			  struct qerr *e)
{
	struct pg *s = pg_of(base);
	struct params p = {0};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	p_text(&p, list);
	p_text(&p, uscc);
	rc = run(s, ST_LISTING_GET, &p, &r, e, "reading a list");
	if (rc)
		return rc;
	if (PQntuples(r)) {
		get_str(r, 0, 0, out->list, sizeof(out->list));
		get_str(r, 0, 1, out->uscc, sizeof(out->uscc));
		get_str(r, 0, 2, out->name, sizeof(out->name));
		get_str(r, 0, 3, out->reason, sizeof(out->reason));
		get_str(r, 0, 4, out->source, sizeof(out->source));
		store_utf8_trim(out->name);
		store_utf8_trim(out->reason);
		store_utf8_trim(out->source);
	} else {
		rc = Q_NONE;
	}
	PQclear(r);
	return rc;
}

/* Every row of the screens' tables: contracts a page of 1000 at a time
 * (by app_id), the registry and the lists whole (they are short). */
static int
pg_screens_each(struct store *base,
		int (*contract)(void *arg, const struct store_contract *c),
		int (*controller)(void *arg, const struct store_controller *c),
		int (*listing)(void *arg, const struct store_listing *l),
		void *arg, struct qerr *e)
{
	struct pg *s = pg_of(base);
	char last[128] = "";
	bool stop = false;
	int rc;

	while (contract && !stop) {
		const char *vals[1] = {last};
		PGresult *r;
		int rows;

		rc = ensure(s, e);
		if (rc)
			return rc;
		r = PQexecParams(s->conn,
				 "SELECT app_id, program, applicant, supplier, "
				 "number, value, signed_on FROM contracts "
				 "WHERE app_id > $1 ORDER BY app_id LIMIT 1000",
				 1, NULL, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = db_err(s, r, e, "reading the contracts");
			PQclear(r);
			return rc;
		}
		rows = PQntuples(r);
		for (int i = 0; i < rows && !stop; i++) {
			struct store_contract c = {
				PQgetvalue(r, i, 0),	   PQgetvalue(r, i, 1),
				PQgetvalue(r, i, 2),	   PQgetvalue(r, i, 3),
				PQgetvalue(r, i, 4),	   get_i64(r, i, 5),
				(int32_t)get_i64(r, i, 6),
			};

			stop = contract(arg, &c) != 0;
		}
		if (rows)
			get_str(r, rows - 1, 0, last, sizeof(last));
		PQclear(r);
		if (rows < 1000)
			break;
	}
	for (int t = 1; t < 3 && !stop; t++) {
		PGresult *r;
		int rows;

		if ((t == 1 && !controller) || (t == 2 && !listing))
			continue;
		rc = ensure(s, e);
		if (rc)
			return rc;
		r = PQexec(s->conn,
			   t == 1 ? "SELECT uscc, controller, name, source "
				    "FROM controllers ORDER BY uscc, controller"
				  : "SELECT list, uscc, name, reason, source "
				    "FROM listings ORDER BY list, uscc");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = db_err(s, r, e, "reading the screens' tables");
			PQclear(r);
			return rc;
		}
		rows = PQntuples(r);
		for (int i = 0; i < rows && !stop; i++) {
			if (t == 1) {
				struct store_controller c;

				memset(&c, 0, sizeof(c));
				get_str(r, i, 0, c.uscc, sizeof(c.uscc));
				get_str(r, i, 1, c.controller,
					sizeof(c.controller));
				get_str(r, i, 2, c.name, sizeof(c.name));
				get_str(r, i, 3, c.source, sizeof(c.source));
				stop = controller(arg, &c) != 0;
			} else {
				struct store_listing l;

				memset(&l, 0, sizeof(l));
				get_str(r, i, 0, l.list, sizeof(l.list));
				get_str(r, i, 1, l.uscc, sizeof(l.uscc));
				get_str(r, i, 2, l.name, sizeof(l.name));
				get_str(r, i, 3, l.reason, sizeof(l.reason));
				get_str(r, i, 4, l.source, sizeof(l.source));
				stop = listing(arg, &l) != 0;
			}
		}
		PQclear(r);
	}
	return Q_OK;
}

static const struct store_ops pg_ops = {
	.name = "postgres",
	.close = pg_close,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.savepoint_release = pg_savepoint_release,
	.savepoint_rollback = pg_savepoint_rollback,
	.ledger_io = pg_ledger_io,
	.ledger_error = pg_ledger_error,
	.policy_add = pg_policy_add,
	.policy_current = pg_policy_current,
	.policy_text = pg_policy_text,
	.policy_path = pg_policy_path,
	.programs_each = pg_programs_each,
	.policy_each_version = pg_policy_each_version,
	.app_insert = pg_app_insert,
	.app_get = pg_app_get,
	.app_by_ref = pg_app_by_ref,
	.app_number = pg_app_number,
	.app_numbers_each = pg_app_numbers_each,
	.app_number_set = pg_app_number_set,
	.app_update = pg_app_update,
	.app_each = pg_app_each,
	.applicant_year = pg_applicant_year,
	.app_list = pg_app_list,
	.event_append = pg_event_append,
	.event_each = pg_event_each,
	.event_each_subject = pg_event_each_subject,
	.user_add = pg_user_add,
	.user_remove = pg_user_remove,
	.user_by_token = pg_user_by_token,
	.user_each = pg_user_each,
	.account_each = pg_account_each,
	.transfer_each = pg_transfer_each,
	.app_any = pg_app_any,
	.screens_each = pg_screens_each,
	.contract_add = pg_contract_add,
	.contract_same = pg_contract_same,
	.contract_between = pg_contract_between,
	.controller_add = pg_controller_add,
	.controllers_of = pg_controllers_of,
	.listing_add = pg_listing_add,
	.listing_get = pg_listing_get,
};
