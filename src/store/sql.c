/*
 * sql.c - every statement and every migration of the store, once for both
 * back ends (sql.h).
 *
 * What differs between the dialects, and stays here:
 *  - the migrations that shipped: INTEGER (SQLite) or BIGINT (PostgreSQL)
 *    money, the policy text as TEXT or BYTEA, COLLATE "C" on the keys
 *    PostgreSQL orders by (SQLite's BINARY already is byte order),
 *    SQLite's triggers or PL/pgSQL ones (with TRUNCATE too), a BIGSERIAL
 *    seq on PostgreSQL's contracts where SQLite has its rowid, and
 *    transfers_ref on (ref) or (ref, timestamp);
 *  - where the schema version is kept (PRAGMA user_version, or a table);
 *  - the contracts' arrival order (rowid or seq), SQLite's INDEXED BY for
 *    the contracts between two parties, and COLLATE "C" for ordering the
 *    policy versions by hash.
 * Everything else is one text: ON CONFLICT ... DO UPDATE, RETURNING, row
 * values and CAST(... AS BIGINT) mean the same on both.
 */
#include "store/sql.h"

#include <assert.h>
#include <stddef.h>

#include "ledger/ledger.h"

#define ALL(text)                                                              \
	{                                                                      \
		.all = (text)                                                  \
	}
#define DIALECT(sqlite_text, pg_text)                                          \
	{                                                                      \
		.sqlite = (sqlite_text), .pg = (pg_text)                       \
	}

const char *sql_for(const struct sql_text *t, enum drv_dialect d)
{
	assert(t->all ? !t->sqlite && !t->pg : t->sqlite && t->pg);
	assert(d == DRV_SQLITE || d == DRV_POSTGRES);
	if (t->all)
		return t->all;
	return d == DRV_POSTGRES ? t->pg : t->sqlite;
}

uint64_t sql_params(const char *sql)
{
	uint64_t used = 0;

	assert(sql);
	for (const char *p = sql; *p; p++) {
		unsigned n = 0;

		if (*p == '\'' || *p == '"') {
			const char *close = p + 1;

			while (*close && *close != *p)
				close++;
			if (!*close)
				break;
			p = close;
			continue;
		}
		if (*p != '?')
			continue;
		while (p[1] >= '0' && p[1] <= '9' && n <= 64)
			n = n * 10 + (unsigned)(*++p - '0');
		assert(n >= 1 && n <= 64);
		if (n >= 1 && n <= 64)
			used |= UINT64_C(1) << (n - 1);
	}
	return used;
}

/* --- the schema ------------------------------------------------------------ */

/* Migration 15's texts (below), shared by both back ends. */
#define IDEM_KEYS(int_type)                                                    \
	"CREATE TABLE idempotency_keys ("                                      \
	"  verb TEXT NOT NULL,"                                                \
	"  subject TEXT NOT NULL,"                                             \
	"  idem_key TEXT NOT NULL,"                                            \
	"  request TEXT NOT NULL,"                                             \
	"  answer TEXT NOT NULL,"                                              \
	"  by_name TEXT NOT NULL,"                                             \
	"  at " int_type " NOT NULL,"                                          \
	"  PRIMARY KEY (verb, subject, idem_key));"
/* An applicant's account: "<program>/<pool>/<year>/awarded/<USCC>" or
 * ".../paid/<USCC>" (a USCC has 18 characters); its tally is kept under
 * the code without "/<USCC>". */
#define APPLICANT_ACCOUNT(c)                                                   \
	"(length(" c ") > 27 AND substr(" c ", length(" c ") - 18, 1) = '/' "  \
	"AND (substr(" c ", length(" c ") - 26, 8) = '/awarded' OR "           \
	"substr(" c ", length(" c ") - 23, 5) = '/paid'))"
#define TALLY_PREFIX(c) "substr(" c ", 1, length(" c ") - 19)"
#define TALLY_TABLES(int_type)                                                 \
	"CREATE TABLE app_tallies ("                                           \
	"  program TEXT NOT NULL,"                                             \
	"  measure TEXT NOT NULL,"                                             \
	"  fiscal_year " int_type " NOT NULL,"                                 \
	"  state TEXT NOT NULL,"                                               \
	"  n " int_type " NOT NULL,"                                           \
	"  PRIMARY KEY (program, measure, fiscal_year, state));"               \
	"INSERT INTO app_tallies (program, measure, fiscal_year, state, n) "   \
	"  SELECT program, measure, fiscal_year, state, COUNT(*) "             \
	"  FROM applications GROUP BY program, measure, fiscal_year, state;"   \
	"CREATE TABLE account_tallies ("                                       \
	"  prefix TEXT PRIMARY KEY NOT NULL,"                                  \
	"  debits_posted " int_type " NOT NULL,"                               \
	"  credits_posted " int_type " NOT NULL,"                              \
	"  debits_pending " int_type " NOT NULL);"                             \
	"INSERT INTO account_tallies (prefix, debits_posted, credits_posted, " \
	"  debits_pending) SELECT " TALLY_PREFIX(                              \
		"code") ", CAST(SUM(debits_posted) AS BIGINT), "               \
			"CAST(SUM(credits_posted) AS BIGINT), "                \
			"CAST(SUM(debits_pending) AS BIGINT) FROM accounts "   \
			"WHERE " APPLICANT_ACCOUNT(                            \
				"code") " GROUP BY " TALLY_PREFIX("code") ";"
#define APP_TALLY_ADD(row)                                                     \
	"INSERT INTO app_tallies (program, measure, fiscal_year, state, n) "   \
	"VALUES (" row ".program, " row ".measure, " row ".fiscal_year, " row  \
	".state, 1) ON CONFLICT (program, measure, fiscal_year, state) DO "    \
	"UPDATE SET n = app_tallies.n + 1"
#define APP_TALLY_SUB(row)                                                     \
	"UPDATE app_tallies SET n = n - 1 WHERE program = " row ".program "    \
	"AND measure = " row ".measure AND fiscal_year = " row                 \
	".fiscal_year AND state = " row ".state"
#define APP_TALLY_MOVED                                                        \
	"OLD.state IS DISTINCT FROM NEW.state OR OLD.program IS DISTINCT "     \
	"FROM NEW.program OR OLD.measure IS DISTINCT FROM NEW.measure OR "     \
	"OLD.fiscal_year IS DISTINCT FROM NEW.fiscal_year"
#define ACCOUNT_TALLY_ADD                                                      \
	"INSERT INTO account_tallies (prefix, debits_posted, credits_posted, " \
	"debits_pending) VALUES (" TALLY_PREFIX(                               \
		"NEW.code") ", NEW.debits_posted, NEW.credits_posted, "        \
			    "NEW.debits_pending) ON CONFLICT (prefix) DO "     \
			    "UPDATE SET debits_posted = "                      \
			    "account_tallies.debits_posted + "                 \
			    "excluded.debits_posted, credits_posted = "        \
			    "account_tallies.credits_posted + "                \
			    "excluded.credits_posted, debits_pending = "       \
			    "account_tallies.debits_pending + "                \
			    "excluded.debits_pending"
#define ACCOUNT_TALLY_MOVE                                                     \
	"UPDATE account_tallies SET debits_posted = debits_posted + "          \
	"NEW.debits_posted - OLD.debits_posted, credits_posted = "             \
	"credits_posted + NEW.credits_posted - OLD.credits_posted, "           \
	"debits_pending = debits_pending + NEW.debits_pending - "              \
	"OLD.debits_pending WHERE prefix = " TALLY_PREFIX("NEW.code")

/* Migration 19's tables, in each back end's types (int_type) and with
 * its collation for text keys (key, "" or " COLLATE \"C\""). */
#define PAY_TABLES(int_type, key)                                              \
	"CREATE TABLE pay_batches ("                                           \
	"  id TEXT" key " PRIMARY KEY NOT NULL,"                               \
	"  year " int_type " NOT NULL,"                                        \
	"  seq " int_type " NOT NULL,"                                         \
	"  program TEXT NOT NULL,"                                             \
	"  measure TEXT NOT NULL,"                                             \
	"  made_by TEXT NOT NULL,"                                             \
	"  made_at " int_type " NOT NULL,"                                     \
	"  UNIQUE (year, seq));"                                               \
	"CREATE TABLE pay_items ("                                             \
	"  voucher TEXT" key " PRIMARY KEY NOT NULL,"                          \
	"  year " int_type " NOT NULL,"                                        \
	"  seq " int_type " NOT NULL,"                                         \
	"  batch_id TEXT" key " NOT NULL REFERENCES pay_batches (id),"         \
	"  app_id TEXT" key " NOT NULL,"                                       \
	"  amount " int_type " NOT NULL CHECK (amount > 0),"                   \
	"  payee_account TEXT NOT NULL,"                                       \
	"  payee_name TEXT NOT NULL,"                                          \
	"  state TEXT NOT NULL CHECK (state IN ('planned', 'paid', "           \
	"    'settled')),"                                                     \
	"  bank_ref TEXT NOT NULL DEFAULT '',"                                 \
	"  paid_by TEXT NOT NULL DEFAULT '',"                                  \
	"  paid_at " int_type " NOT NULL DEFAULT 0,"                           \
	"  settled_on TEXT NOT NULL DEFAULT '',"                               \
	"  settled_by TEXT NOT NULL DEFAULT '',"                               \
	"  settled_at " int_type " NOT NULL DEFAULT 0,"                        \
	"  UNIQUE (year, seq));"                                               \
	"CREATE INDEX pay_items_batch ON pay_items (batch_id, voucher);"       \
	"CREATE INDEX pay_items_app ON pay_items (app_id, state);"

const struct sql_text sql_migrations[SQL_SCHEMA_VERSION] = {
	{
		.sqlite =
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
		.pg =
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
	},
	{
		.all =
			/* 2: one program's applications in arrival order without sorting
			 * them all for every page (reports and checks went quadratic). */
		"CREATE INDEX applications_program_seq ON applications (program, seq);",
	},
	{
		.sqlite =
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
		.pg =
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
	},
	{
		.all =
			/* 4: is anyone waitlisted for this measure and year? An index seek
			 * for every application, however long the waitlists grow. */
		"CREATE INDEX applications_state_measure"
		"  ON applications (program, state, measure, fiscal_year);",
	},
	{
		.sqlite =
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
		.pg =
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
	},
	{
		.sqlite =
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
		.pg =
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
	},
	/* 7: no query reads policies by program (a version is found by its
	 * hash, a program's current one through current_policies), so the
	 * index policies_program only cost every new version a write. IF
	 * EXISTS: an office rebuilt by hand without it still migrates. */
	ALL("DROP INDEX IF EXISTS policies_program;"),
	/* 8: no overtaking in the order of receipt: is anyone received at or
	 * before this time waiting for this measure and year? The seek ends
	 * at the first such row, however long the waitlist. The index takes
	 * over from applications_state_measure, whose columns it begins
	 * with. */
	ALL("CREATE INDEX applications_waiting ON applications "
	    "(program, measure, fiscal_year, state, received_at);"
	    "DROP INDEX IF EXISTS applications_state_measure;"),
	/* 9: the generation of the office's data: every write transaction
	 * adds one (store_begin), so that a writer keeping state in memory
	 * knows whether another process has written since its own last
	 * commit. */
	ALL("CREATE TABLE generation ("
	    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
	    "  n BIGINT NOT NULL CHECK (n >= 0));"
	    "INSERT INTO generation (id, n) VALUES (1, 0);"),
	/* 10: no index that no query needs. contracts_number served only
	 * the first arm of ST_CONTRACT_SAME, which contracts_value (same
	 * parties, same value) seeks as well: every new contract paid a write
	 * for it. And SQLite's transfers_ref gets the timestamp PostgreSQL's
	 * has, so ST_TRANSFERS_PAGE_REF reads in order without sorting. */
	DIALECT("DROP INDEX IF EXISTS contracts_number;"
		"DROP INDEX IF EXISTS transfers_ref;"
		"CREATE INDEX transfers_ref ON transfers (ref, timestamp);",
		"DROP INDEX IF EXISTS contracts_number;"),
	/* 11: a list is dishonest, restricted, or a supplier list a program
	 * declares (policy lists:), imported under its id: the office checks
	 * the name against its programs, the table only its shape. SQLite
	 * cannot change a CHECK in place, so the table is copied. */
	DIALECT("CREATE TABLE listings_new ("
		"  list TEXT NOT NULL CHECK (length(list) BETWEEN 1 AND 15),"
		"  uscc TEXT NOT NULL,"
		"  name TEXT NOT NULL,"
		"  reason TEXT NOT NULL,"
		"  source TEXT NOT NULL,"
		"  PRIMARY KEY (list, uscc));"
		"INSERT INTO listings_new (list, uscc, name, reason, source)"
		"  SELECT list, uscc, name, reason, source FROM listings;"
		"DROP TABLE listings;"
		"ALTER TABLE listings_new RENAME TO listings;",
		"ALTER TABLE listings DROP CONSTRAINT listings_list_check;"
		"ALTER TABLE listings ADD CONSTRAINT listings_list_check"
		"  CHECK (length(list) BETWEEN 1 AND 15);"),
	/* 12: the analyst, who reads reports and forecasts and runs
	 * simulations. SQLite cannot change a CHECK in place: the table is
	 * copied, as in 11. */
	DIALECT("CREATE TABLE users_new ("
		"  name TEXT PRIMARY KEY NOT NULL,"
		"  role TEXT NOT NULL CHECK (role IN ('administrator', 'reviewer',"
		"    'finance', 'auditor', 'applicant', 'analyst')),"
		"  uscc TEXT NOT NULL,"
		"  token_hash TEXT NOT NULL UNIQUE,"
		"  created_at INTEGER NOT NULL);"
		"INSERT INTO users_new (name, role, uscc, token_hash, created_at)"
		"  SELECT name, role, uscc, token_hash, created_at FROM users;"
		"DROP TABLE users;"
		"ALTER TABLE users_new RENAME TO users;",
		"ALTER TABLE users DROP CONSTRAINT users_role_check;"
		"ALTER TABLE users ADD CONSTRAINT users_role_check"
		"  CHECK (role IN ('administrator', 'reviewer', 'finance',"
		"    'auditor', 'applicant', 'analyst'));"),
	{
		/* 13: sign-in. A user gains a password (its argon2id string from
		 * libsodium, "" for none), an expiry for its API token (0: issued
		 * before tokens expired) and a switch that disables it; sessions
		 * are kept only as the SHA-256 of their token, like tokens. */
		.sqlite =
			"ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL"
			"  DEFAULT '';"
			"ALTER TABLE users ADD COLUMN token_expires_at INTEGER NOT NULL"
			"  DEFAULT 0;"
			"ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;"
			"CREATE TABLE sessions ("
			"  hash TEXT PRIMARY KEY NOT NULL,"
			"  name TEXT NOT NULL,"
			"  csrf TEXT NOT NULL,"
			"  created_at INTEGER NOT NULL,"
			"  seen_at INTEGER NOT NULL);"
			"CREATE INDEX sessions_name ON sessions (name);",
		.pg = "ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL"
		      "  DEFAULT '';"
		      "ALTER TABLE users ADD COLUMN token_expires_at BIGINT NOT NULL"
		      "  DEFAULT 0;"
		      "ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;"
		      "CREATE TABLE sessions ("
		      "  hash TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
		      "  name TEXT COLLATE \"C\" NOT NULL,"
		      "  csrf TEXT NOT NULL,"
		      "  created_at BIGINT NOT NULL,"
		      "  seen_at BIGINT NOT NULL);"
		      "CREATE INDEX sessions_name ON sessions (name);",
	},
	/* 14: public notices (公示). A notice posts awarded applications of a
	 * program from its opening day to its last (days since 1970-01-01,
	 * counted in working days); an application is in one notice at most.
	 * An objection to an award is lodged while its notice runs and stays
	 * open until a reviewer upholds or dismisses it. */
	DIALECT("CREATE TABLE notices ("
		"  id TEXT PRIMARY KEY NOT NULL,"
		"  program TEXT NOT NULL,"
		"  opened_on INTEGER NOT NULL,"
		"  ends_on INTEGER NOT NULL,"
		"  working_days INTEGER NOT NULL,"
		"  opened_by TEXT NOT NULL,"
		"  opened_at INTEGER NOT NULL,"
		"  CHECK (ends_on >= opened_on));"
		"CREATE INDEX notices_program ON notices (program);"
		"CREATE TABLE notice_awards ("
		"  app_id TEXT PRIMARY KEY NOT NULL,"
		"  notice_id TEXT NOT NULL REFERENCES notices (id));"
		"CREATE TABLE objections ("
		"  app_id TEXT NOT NULL,"
		"  seq INTEGER NOT NULL,"
		"  notice_id TEXT NOT NULL,"
		"  why TEXT NOT NULL,"
		"  lodged_by TEXT NOT NULL,"
		"  lodged_at INTEGER NOT NULL,"
		"  outcome TEXT NOT NULL CHECK (outcome IN ('open', 'upheld',"
		"    'dismissed')),"
		"  decided_by TEXT NOT NULL DEFAULT '',"
		"  decided_at INTEGER NOT NULL DEFAULT 0,"
		"  PRIMARY KEY (app_id, seq));",
		"CREATE TABLE notices ("
		"  id TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
		"  program TEXT COLLATE \"C\" NOT NULL,"
		"  opened_on BIGINT NOT NULL,"
		"  ends_on BIGINT NOT NULL,"
		"  working_days BIGINT NOT NULL,"
		"  opened_by TEXT NOT NULL,"
		"  opened_at BIGINT NOT NULL,"
		"  CHECK (ends_on >= opened_on));"
		"CREATE INDEX notices_program ON notices (program);"
		"CREATE TABLE notice_awards ("
		"  app_id TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
		"  notice_id TEXT COLLATE \"C\" NOT NULL REFERENCES notices (id));"
		"CREATE TABLE objections ("
		"  app_id TEXT COLLATE \"C\" NOT NULL,"
		"  seq BIGINT NOT NULL,"
		"  notice_id TEXT COLLATE \"C\" NOT NULL,"
		"  why TEXT NOT NULL,"
		"  lodged_by TEXT NOT NULL,"
		"  lodged_at BIGINT NOT NULL,"
		"  outcome TEXT NOT NULL CHECK (outcome IN ('open', 'upheld',"
		"    'dismissed')),"
		"  decided_by TEXT NOT NULL DEFAULT '',"
		"  decided_at BIGINT NOT NULL DEFAULT 0,"
		"  PRIMARY KEY (app_id, seq));"),
	/* 15: idempotency keys of the verbs that move money, and the running
	 * totals the report reads.
	 *
	 * A key is the client's, scoped to a verb and its subject
	 * ("disburse", "SH-2025-000001"); request is the SHA-256 of the
	 * request it came with (who sent it and what it asked), answer the
	 * JSON first answered, written in the transaction that moved the
	 * money.
	 *
	 * app_tallies counts the applications of each program, measure,
	 * fiscal year and state; account_tallies sums the applicants'
	 * awarded and paid accounts of each pool, year and name (the code
	 * without its "/<USCC>"). Triggers keep both in the transaction that
	 * changes an application or an account, whoever writes; they start
	 * from what the tables hold now. */
	{
		.sqlite = IDEM_KEYS("INTEGER") TALLY_TABLES(
			"INTEGER") "CREATE TRIGGER app_tallies_insert AFTER "
				   "INSERT ON applications BEGIN " APP_TALLY_ADD(
					   "NEW") "; END;"
						  "CREATE TRIGGER app_tallies_update AFTER "
						  "UPDATE ON applications WHEN " APP_TALLY_MOVED
						  " BEGIN " APP_TALLY_SUB("OLD") "; " APP_TALLY_ADD(
							  "NEW") "; END;"
								 "CREATE TRIGGER app_tallies_delete AFTER "
								 "DELETE ON applications BEGIN " APP_TALLY_SUB(
									 "OLD") "; END;"
										"CREATE TRIGGER account_tallies_insert AFTER "
										"INSERT ON accounts WHEN " APPLICANT_ACCOUNT(
											"NEW.code") " BEGIN " ACCOUNT_TALLY_ADD
												    "; END;"
												    "CREATE TRIGGER account_tallies_update AFTER "
												    "UPDATE ON accounts WHEN " APPLICANT_ACCOUNT(
													    "NEW.code") " BEGIN " ACCOUNT_TALLY_MOVE
															"; END;",
		.pg = IDEM_KEYS("BIGINT") TALLY_TABLES(
			"BIGINT") "CREATE FUNCTION quan_app_tally() RETURNS "
				  "trigger LANGUAGE plpgsql AS $$ BEGIN "
				  "IF TG_OP <> 'INSERT' THEN " APP_TALLY_SUB(
					  "OLD") "; END IF; "
						 "IF TG_OP <> 'DELETE' THEN " APP_TALLY_ADD(
							 "NEW") "; END IF; "
								"RETURN NULL; END $$;"
								"CREATE TRIGGER app_tallies_insert AFTER INSERT "
								"OR DELETE ON applications FOR EACH ROW EXECUTE "
								"FUNCTION quan_app_tally();"
								"CREATE TRIGGER app_tallies_update AFTER UPDATE "
								"ON applications FOR EACH ROW WHEN "
								"(" APP_TALLY_MOVED
								") EXECUTE FUNCTION "
								"quan_app_tally();"
								"CREATE FUNCTION quan_account_tally() RETURNS "
								"trigger LANGUAGE plpgsql AS $$ BEGIN "
								"IF TG_OP = 'INSERT' THEN " ACCOUNT_TALLY_ADD
								"; ELSE " ACCOUNT_TALLY_MOVE
								"; END IF; "
								"RETURN NULL; END $$;"
								"CREATE TRIGGER account_tallies AFTER INSERT OR "
								"UPDATE ON accounts FOR EACH ROW WHEN "
								"(" APPLICANT_ACCOUNT(
									"NEW.code") ") EXECUTE FUNCTION "
										    "quan_account_tally();",
	},
	/* 16: a notice is closed by an administrator once its working days
	 * have run (closed_at 0 while open); only then are its awards paid.
	 * The awards of one notice are read together (its exports), each
	 * with the amount posted (fen; 0 for those posted before). */
	DIALECT("ALTER TABLE notices ADD COLUMN closed_by TEXT NOT NULL "
		"DEFAULT '';"
		"ALTER TABLE notices ADD COLUMN closed_at INTEGER NOT NULL "
		"DEFAULT 0;"
		"CREATE INDEX notice_awards_notice ON notice_awards "
		"(notice_id, app_id);"
		"ALTER TABLE notice_awards ADD COLUMN amount INTEGER NOT NULL "
		"DEFAULT 0;",
		"ALTER TABLE notices ADD COLUMN closed_by TEXT NOT NULL "
		"DEFAULT '';"
		"ALTER TABLE notices ADD COLUMN closed_at BIGINT NOT NULL "
		"DEFAULT 0;"
		"CREATE INDEX notice_awards_notice ON notice_awards "
		"(notice_id, app_id);"
		"ALTER TABLE notice_awards ADD COLUMN amount BIGINT NOT NULL "
		"DEFAULT 0;"),
	/* 17: evidence. documents holds each file once, by the SHA-256 of
	 * its bytes (hex), as base64 text: both back ends keep text alike,
	 * and quan backup, restore and migrate carry it with the rest.
	 * app_documents files a document under an application, as a kind
	 * (contract, invoice, receipt, acceptance), with the name it was
	 * sent as, and the payment tranche it supports (0: the application
	 * itself). */
	DIALECT("CREATE TABLE documents ("
		"  sha256 TEXT PRIMARY KEY NOT NULL,"
		"  type TEXT NOT NULL,"
		"  size INTEGER NOT NULL CHECK (size > 0),"
		"  content TEXT NOT NULL,"
		"  stored_at INTEGER NOT NULL);"
		"CREATE TABLE app_documents ("
		"  app_id TEXT NOT NULL,"
		"  seq INTEGER NOT NULL,"
		"  sha256 TEXT NOT NULL REFERENCES documents (sha256),"
		"  kind TEXT NOT NULL CHECK (kind IN ('contract', 'invoice',"
		"    'receipt', 'acceptance')),"
		"  name TEXT NOT NULL,"
		"  payment INTEGER NOT NULL CHECK (payment >= 0),"
		"  by_name TEXT NOT NULL,"
		"  at INTEGER NOT NULL,"
		"  PRIMARY KEY (app_id, seq));"
		"CREATE INDEX app_documents_sha256 ON app_documents (sha256);",
		"CREATE TABLE documents ("
		"  sha256 TEXT COLLATE \"C\" PRIMARY KEY NOT NULL,"
		"  type TEXT NOT NULL,"
		"  size BIGINT NOT NULL CHECK (size > 0),"
		"  content TEXT NOT NULL,"
		"  stored_at BIGINT NOT NULL);"
		"CREATE TABLE app_documents ("
		"  app_id TEXT COLLATE \"C\" NOT NULL,"
		"  seq BIGINT NOT NULL,"
		"  sha256 TEXT COLLATE \"C\" NOT NULL REFERENCES documents (sha256),"
		"  kind TEXT NOT NULL CHECK (kind IN ('contract', 'invoice',"
		"    'receipt', 'acceptance')),"
		"  name TEXT NOT NULL,"
		"  payment BIGINT NOT NULL CHECK (payment >= 0),"
		"  by_name TEXT NOT NULL,"
		"  at BIGINT NOT NULL,"
		"  PRIMARY KEY (app_id, seq));"
		"CREATE INDEX app_documents_sha256 ON app_documents (sha256);"),
	/* 18: the review queue's search. app_grams holds each distinct pair
	 * of neighbouring characters of an applicant firm's name (its
	 * bigrams), so that a two-character Chinese name is found through
	 * the index (a trigram index misses it); store_search.c writes them
	 * with the application and filled them here from what is stored.
	 * The sorts (oldest first by receipt, by amount) read in order from
	 * their own indexes, and PostgreSQL gets a byte-ordered USCC index
	 * for the prefix's range. */
	DIALECT("CREATE TABLE app_grams ("
		"  gram TEXT NOT NULL,"
		"  seq INTEGER NOT NULL,"
		"  PRIMARY KEY (gram, seq)) WITHOUT ROWID;"
		"CREATE INDEX applications_received ON applications"
		"  (received_at, seq);"
		"CREATE INDEX applications_requested ON applications"
		"  (requested, seq);"
		"WITH RECURSIVE n(seq, name, i) AS ("
		"  SELECT seq, json_extract(json, '$.applicant.name'), 1"
		"  FROM applications WHERE json_valid(json)"
		"  UNION ALL SELECT seq, name, i + 1 FROM n"
		"  WHERE i + 1 < length(name))"
		"INSERT OR IGNORE INTO app_grams (gram, seq)"
		"  SELECT substr(name, i, 2), seq FROM n"
		"  WHERE length(name) >= 2;",
		"CREATE TABLE app_grams ("
		"  gram TEXT COLLATE \"C\" NOT NULL,"
		"  seq BIGINT NOT NULL,"
		"  PRIMARY KEY (gram, seq));"
		"CREATE INDEX applications_received ON applications"
		"  (received_at, seq);"
		"CREATE INDEX applications_requested ON applications"
		"  (requested, seq);"
		"CREATE INDEX applications_uscc_c ON applications"
		"  (uscc COLLATE \"C\", seq);"
		"INSERT INTO app_grams (gram, seq)"
		"  SELECT DISTINCT substr(a.n, i, 2), a.seq FROM"
		"  (SELECT seq, json::jsonb #>> '{applicant,name}' AS n"
		"   FROM applications WHERE json IS NOT NULL) a,"
		"  generate_series(1, length(a.n) - 1) i"
		"  WHERE a.n IS NOT NULL;"),
	/* 19: payment batches. Finance groups payable awards into a batch;
	 * each payment in it has a voucher number (凭证号), sequential per
	 * year and never reused (the rows are never deleted), the payee's
	 * account as the batch recorded it, and its state: planned, paid
	 * (disbursed, with the bank's reference when given) and settled
	 * (matched on a bank statement). Money is integer fen. */
	DIALECT(PAY_TABLES("INTEGER", ""),
		PAY_TABLES("BIGINT", " COLLATE \"C\"")),
	/* 20: a USCC prefix's range read from its index alone. The search
	 * (store_search.c) reads a prefix of up to STORE_RANGE_CAP rows by
	 * this index and sorts what it finds: with both sort keys and seq
	 * in it, the range and the cursor are compared and the page chosen
	 * before a single row is read (bench/queue's million-row office,
	 * 100 000 rows of one prefix: 13 ms of CPU, against 85 ms through
	 * (uscc, seq), which reads each row to sort it). */
	DIALECT("CREATE INDEX applications_uscc_keys ON applications"
		"  (uscc, received_at, requested, seq);",
		"CREATE INDEX applications_uscc_keys ON applications"
		"  (uscc COLLATE \"C\", received_at, requested, seq);"),
	/* 21: the indexes no query uses, dropped: every row written pays
	 * for each index of its table. Checked with EXPLAIN QUERY PLAN over
	 * every statement below (SQLite) and EXPLAIN of their generic plans
	 * (PostgreSQL), and by what each index is for. PostgreSQL's
	 * applications_uscc_c (uscc COLLATE "C", seq, migration 18) goes:
	 * applications_uscc_keys (20) leads with the same column in the same
	 * collation and holds seq, so it serves every prefix range the
	 * search and ST_APP_USCC_COUNT read, and no statement orders by seq
	 * under a USCC range. SQLite never had it. Kept, with the queries
	 * that use them (ST_ names of sql.h and below):
	 * - applications: the primary key (id) and UNIQUE seq; client_ref
	 *   (uscc, client_ref), the idempotency key's unique index and
	 *   ST_APP_BY_REF; applications_queue (program, state, seq), the
	 *   list by program and state, a page at a time (ST_APPS_LIST);
	 *   applications_program_seq (program, seq), the list by program
	 *   alone; applications_uscc_seq (uscc, seq), an applicant's own
	 *   list (its pages); applications_applicant (program, uscc,
	 *   fiscal_year), the applicant's yearly sums (ST_APPLICANT_YEAR);
	 *   applications_waiting, the waitlist's order and count (ST_APP_ANY,
	 *   ST_APP_COUNT); applications_received and _requested, the
	 *   search's sorts and their edges (ST_APP_SEARCH,
	 *   ST_APP_SEARCH_EDGE); applications_uscc_keys, the USCC prefix's
	 *   range (ST_APP_USCC_COUNT, the search by USCC).
	 * - contracts: the primary key; contracts_value, the screens' same
	 *   contract by value (ST_CONTRACT_SAME); contracts_signed, the
	 *   window by signing date (ST_CONTRACT_BETWEEN and _SUM).
	 * - transfers: the primary key and UNIQUE timestamp; transfers_ref,
	 *   an application's transfers in order (ST_TRANSFERS_PAGE_REF);
	 *   transfers_pending, a pending transfer's state (ST_PENDING_STATE).
	 * - events: the primary key (seq, the chain's walk); events_subject,
	 *   an application's events (ST_EVENTS_SUBJECT_PAGE,
	 *   ST_EVENTS_FIND_SUBJECT).
	 * - accounts: the primary key and UNIQUE code (constraints). */
	ALL("DROP INDEX IF EXISTS applications_uscc_c;"),
	/* 22: one index fewer for every application written (SQLite).
	 * applications_uscc_keys served only ranges of a USCC prefix, after
	 * which its other columns are covered, not sought, so their order is
	 * free: with seq second, (uscc, seq, received_at, requested), an
	 * equal USCC also reads its rows in seq order, and
	 * applications_uscc_seq (uscc, seq), a prefix of it, goes. EXPLAIN
	 * QUERY PLAN before and after is the same seek, bounded alike: an
	 * applicant's list (ST_APPS_LIST with a USCC, alone or with program
	 * or state: uscc=? AND seq<?, newest first, a page) and the prefix's
	 * range (ST_APP_USCC_COUNT, the search by USCC, INDEXED BY this
	 * name). On PostgreSQL applications_uscc_keys is in the "C"
	 * collation, which an equality in the column's own collation cannot
	 * use: both indexes stay. */
	DIALECT("DROP INDEX IF EXISTS applications_uscc_keys;"
		"CREATE INDEX applications_uscc_keys ON applications"
		"  (uscc, seq, received_at, requested);"
		"DROP INDEX IF EXISTS applications_uscc_seq;",
		"SELECT 1;"),
};

_Static_assert(sizeof(sql_migrations) / sizeof(sql_migrations[0]) ==
		       SQL_SCHEMA_VERSION,
	       "one migration per schema version");

const struct sql_text sql_version_init =
	DIALECT("", "CREATE TABLE IF NOT EXISTS schema_version ("
		    "  version INTEGER NOT NULL);"
		    "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
		    "(SELECT 1 FROM schema_version)");
const struct sql_text sql_version_set = DIALECT(
	"PRAGMA user_version = ", "UPDATE schema_version SET version = ");

/* --- statements ----------------------------------------------------------- */

#define APP_COLS                                                               \
	"id, program, measure, uscc, policy_hash, state, seq, fiscal_year, "   \
	"requested, awarded, paid, recovered, contract_value, compute, "       \
	"approver, received_at, updated_at, json, decision, approved_by, "     \
	"client_ref"
#define TRANSFER_COLS                                                           \
	"id, debit, credit, amount, flags, pending_id, expires_at, code, ref, " \
	"timestamp"
#define USER_COLS                                                              \
	"name, role, uscc, created_at, password_hash, token_expires_at, "      \
	"disabled"
#define USER_COLS_OF(t)                                                        \
	t ".name, " t ".role, " t ".uscc, " t ".created_at, " t                \
	  ".password_hash, " t ".token_expires_at, " t ".disabled"
#define EVENT_COLS                                                             \
	"seq, at, who, action, subject, policy_hash, detail, prev_hash, hash"
#define ACCOUNT_COLS                                                           \
	"id, code, flags, debits_pending, debits_posted, credits_pending, "    \
	"credits_posted"

#define PAGE_TEXT "64" /* SQL_PAGE, for the SQL below */

/* The policy versions in the order they were added; PostgreSQL compares
 * and orders the hash byte by byte as SQLite does (collate). */
#define POLICY_VERSIONS_PAGE(collate)                                          \
	"SELECT p.program, p.hash, p.path, p.text, p.added_at, "               \
	"CASE WHEN c.hash IS NULL THEN 0 ELSE 1 END FROM policies p "          \
	"LEFT JOIN current_policies c ON c.hash = p.hash "                     \
	"WHERE (p.added_at, p.hash" collate ") > (?1, ?2) "                    \
	"ORDER BY p.added_at, p.hash" collate " LIMIT " PAGE_TEXT

/* The queue's search (store_search.c), ordered by key k (then seq) in
 * direction dir, after the cursor (?1, ?2) by cmp, at most ?3. Filters,
 * each NULL or a bound for "any": ?4 program, ?5 measure, ?6 state, ?7..?8
 * requested, ?9..?10 received_at, ?11 flagged (1) or not (0), ?12 text
 * the firm's name holds, ?13 the applicant's own USCC, ?14 the USCC
 * prefix as a LIKE pattern (digits and capitals only, so nothing to
 * escape). driver adds the condition an index leads with (sql.h
 * SQL_SEARCH_*): ?15..?16 the prefix's range, or ?15 one of the name's
 * bigrams. "|| ''" keeps the USCC's filter off its index where it is
 * not the driver. A decision's flags are its " F" part and the screens'
 * JSON array after a newline (record.c); " F" in that JSON means it is
 * not empty either. */
#define SEARCH(name_has, k, cmp, dir, driver)                                  \
	SEARCH_IN("SELECT " APP_COLS " FROM applications", name_has, k, cmp,   \
		  dir, driver)
#define SEARCH_IN(from, name_has, k, cmp, dir, driver)                                                      \
	from " WHERE (" k ", seq) " cmp " (?1, ?2)" driver                                                  \
	     " AND (CAST(?4 AS TEXT) IS NULL OR program = ?4)"                                              \
	     " AND (CAST(?5 AS TEXT) IS NULL OR measure = ?5) AND (CAST(?6 AS TEXT) IS NULL OR state = ?6)" \
	     " AND requested >= ?7 AND requested <= ?8"                                                     \
	     " AND received_at >= ?9 AND received_at <= ?10"                                                \
	     " AND (CAST(?11 AS BIGINT) IS NULL OR (decision LIKE '% F%' OR decision LIKE"                  \
	     " '%\n[{%') = (?11 = 1))"                                                                      \
	     " AND (CAST(?14 AS TEXT) IS NULL OR uscc || '' LIKE ?14)"                                      \
	     " AND (CAST(?13 AS TEXT) IS NULL OR uscc || '' = ?13)"                                         \
	     " AND (CAST(?12 AS TEXT) IS NULL OR " name_has ")"                                             \
	     " ORDER BY " k dir ", seq" dir " LIMIT ?3"
#define SQLITE_NAME_HAS "instr(json -> 'applicant' ->> 'name', ?12) > 0"
#define PG_NAME_HAS "strpos(json::jsonb -> 'applicant' ->> 'name', ?12) > 0"
#define SEARCH_GRAM " AND seq IN (SELECT seq FROM app_grams WHERE gram = ?15)"
/* The USCC prefix's range (SQL_SEARCH_BY_USCC): the page's seqs chosen
 * in the inner search from migration 20's index alone (SQLite is told
 * which: it would rather walk the sort's own index, reading every row),
 * then only those rows read. */
#define SEARCH_RANGE(k, dir, inner)                                            \
	"SELECT " APP_COLS " FROM applications WHERE seq IN (" inner           \
	") ORDER BY " k dir ", seq" dir
#define SEARCH_RANGE_FROM                                                      \
	"SELECT seq FROM applications INDEXED BY applications_uscc_keys"
#define SEARCH_BOTH(k, cmp, dir, driver)                                       \
	DIALECT(SEARCH(SQLITE_NAME_HAS, k, cmp, dir, driver),                  \
		SEARCH(PG_NAME_HAS, k, cmp, dir, driver))

/* Newest first, below seq ?1, at most ?2, the filters from ?3 on. */
#define APPS_LIST(filters)                                                     \
	"SELECT " APP_COLS " FROM applications WHERE seq < ?1" filters         \
	" ORDER BY seq DESC LIMIT ?2"

/* A contract's arrival order is key: SQLite's rowid, PostgreSQL's seq.
 * Two seeks, one per index; UNION drops a contract both find. */
#define CONTRACT_SAME(key)                                                     \
	"SELECT " key ", app_id, program, number, value, signed_on "           \
	"FROM contracts WHERE applicant = ?1 AND supplier = ?2 "               \
	"AND number = ?3 AND value = ?4 AND app_id <> ?7 "                     \
	"UNION SELECT " key ", app_id, program, number, value, "               \
	"signed_on FROM contracts WHERE applicant = ?1 AND "                   \
	"supplier = ?2 AND value = ?4 AND signed_on BETWEEN ?5 AND "           \
	"?6 AND app_id <> ?7 ORDER BY 1 LIMIT ?8"

/* The contracts between two parties: a range of signing dates through
 * contracts_signed (SQLite's planner, left alone, would take the value
 * range through contracts_value: indexed says which). */
#define CONTRACTS_BETWEEN(what, indexed)                                       \
	"SELECT " what " FROM contracts" indexed " "                           \
	"WHERE applicant = ?1 AND supplier = ?2 "                              \
	"AND signed_on BETWEEN ?3 AND ?4 AND value >= ?5 AND "                 \
	"value < ?6 AND app_id <> ?7 AND number <> ?8"
#define SQLITE_INDEXED " INDEXED BY contracts_signed"
#define CONTRACT_ROW(key) key ", app_id, program, number, value, signed_on"
#define CONTRACTS_COUNT "COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT)"

/* The columns of a payment, as store_batches.c reads them. */
#define PAY_ITEM_COLS                                                          \
	"voucher, year, seq, batch_id, app_id, amount, payee_account, "        \
	"payee_name, state, bank_ref, paid_by, paid_at, settled_on, "          \
	"settled_by, settled_at"

const struct sql_text sql_stmts[ST__COUNT] = {
	[ST_POLICY_PROGRAM] =
		ALL("SELECT program FROM policies WHERE hash = ?1"),
	[ST_POLICY_INSERT] = ALL("INSERT INTO policies (hash, program, path, "
				 "text, added_at) VALUES (?1, ?2, ?3, ?4, ?5)"),
	[ST_CURRENT_SET] = ALL("INSERT INTO current_policies (program, hash, "
			       "since) VALUES (?1, ?2, ?3) ON CONFLICT "
			       "(program) DO UPDATE SET hash = excluded.hash, "
			       "since = excluded.since"),
	[ST_POLICY_CURRENT] = ALL("SELECT c.hash, p.text FROM current_policies "
				  "c JOIN policies p ON p.hash = c.hash WHERE "
				  "c.program = ?1"),
	[ST_POLICY_TEXT] = ALL("SELECT text FROM policies WHERE hash = ?1"),
	[ST_POLICY_PATH] = ALL("SELECT path FROM policies WHERE hash = ?1"),
	[ST_PROGRAMS_PAGE] = ALL("SELECT program, hash FROM current_policies "
				 "WHERE program > ?1 ORDER BY program "
				 "LIMIT " PAGE_TEXT),
	[ST_POLICY_VERSIONS_PAGE] =
		DIALECT(POLICY_VERSIONS_PAGE(""),
			POLICY_VERSIONS_PAGE(" COLLATE \"C\"")),
	[ST_APP_EXISTS] = ALL("SELECT 1 FROM applications WHERE id = ?1"),
	[ST_APP_ID_BETWEEN] = ALL("SELECT 1 FROM applications WHERE id > ?1 "
				  "AND id <= ?2 LIMIT 1"),
	[ST_APP_NEXT_SEQ] =
		ALL("SELECT COALESCE(MAX(seq), 0) + 1 FROM applications"),
	[ST_APP_INSERT] = ALL("INSERT INTO applications (" APP_COLS
			      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
			      "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
			      "?19, ?20, ?21)"),
	[ST_APP_GET] =
		ALL("SELECT " APP_COLS " FROM applications WHERE id = ?1"),
	[ST_APP_BY_REF] = ALL("SELECT " APP_COLS " FROM applications WHERE "
			      "uscc = ?1 AND client_ref = ?2"),
	[ST_GENERATION_BUMP] =
		ALL("UPDATE generation SET n = n + 1 WHERE id = 1 "
		    "RETURNING n"),
	[ST_APP_NUMBER] = ALL("INSERT INTO app_numbers (program, year, last) "
			      "VALUES (?1, ?2, 1) ON CONFLICT (program, year) "
			      "DO UPDATE SET last = app_numbers.last + 1 "
			      "RETURNING last"),
	/* Never lower: the larger of the two (MAX or GREATEST, spelt once). */
	[ST_APP_NUMBER_SET] = ALL(
		"INSERT INTO app_numbers (program, year, last) VALUES (?1, ?2, "
		"?3) ON CONFLICT (program, year) DO UPDATE SET last = CASE "
		"WHEN excluded.last > app_numbers.last THEN excluded.last "
		"ELSE app_numbers.last END"),
	[ST_APP_NUMBERS_PAGE] = ALL("SELECT program, year, last FROM "
				    "app_numbers WHERE (program, year) > (?1, "
				    "?2) ORDER BY program, year "
				    "LIMIT " PAGE_TEXT),
	[ST_APP_UPDATE] = ALL("UPDATE applications SET state = ?2, awarded = "
			      "?3, paid = ?4, recovered = ?5, approver = ?6, "
			      "updated_at = ?7, requested = ?8, approved_by = "
			      "?9 WHERE id = ?1"),
	[ST_APPS_PAGE] = ALL("SELECT " APP_COLS " FROM applications WHERE "
			     "seq > ?1 ORDER BY seq LIMIT " PAGE_TEXT),
	[ST_APPS_PAGE_STATE] = ALL("SELECT " APP_COLS " FROM applications "
				   "WHERE seq > ?1 AND state = ?2 ORDER BY "
				   "seq LIMIT " PAGE_TEXT),
	[ST_APPS_PAGE_PROGRAM] = ALL("SELECT " APP_COLS " FROM applications "
				     "WHERE seq > ?1 AND program = ?2 ORDER BY "
				     "seq LIMIT " PAGE_TEXT),
	[ST_APPS_PAGE_BOTH] = ALL("SELECT " APP_COLS " FROM applications "
				  "WHERE seq > ?1 AND program = ?2 AND state = "
				  "?3 ORDER BY seq LIMIT " PAGE_TEXT),
	[ST_APPS_LIST] = ALL(APPS_LIST("")),
	[ST_APPS_LIST + SQL_LIST_PROGRAM] = ALL(APPS_LIST(" AND program = ?3")),
	[ST_APPS_LIST + SQL_LIST_STATE] = ALL(APPS_LIST(" AND state = ?3")),
	[ST_APPS_LIST + SQL_LIST_PROGRAM + SQL_LIST_STATE] =
		ALL(APPS_LIST(" AND program = ?3 AND state = ?4")),
	[ST_APPS_LIST + SQL_LIST_USCC] = ALL(APPS_LIST(" AND uscc = ?3")),
	[ST_APPS_LIST + SQL_LIST_PROGRAM + SQL_LIST_USCC] =
		ALL(APPS_LIST(" AND program = ?3 AND uscc = ?4")),
	[ST_APPS_LIST + SQL_LIST_STATE + SQL_LIST_USCC] =
		ALL(APPS_LIST(" AND state = ?3 AND uscc = ?4")),
	[ST_APPS_LIST + SQL_LIST_PROGRAM + SQL_LIST_STATE + SQL_LIST_USCC] =
		ALL(APPS_LIST(" AND program = ?3 AND state = ?4 AND "
			      "uscc = ?5")),
	[ST_APPLICANT_YEAR] = ALL(
		"SELECT CAST(COALESCE(SUM(CASE WHEN measure <> ?5 THEN 0 "
		"WHEN state IN ('reserved', 'waitlisted', 'queued') "
		"THEN requested WHEN state = 'awarded' THEN awarded "
		"ELSE 0 END), 0) AS BIGINT), "
		"CAST(COALESCE(SUM(CASE WHEN compute = 1 THEN contract_value "
		"ELSE 0 END), 0) AS BIGINT) FROM applications WHERE "
		"program = ?1 AND uscc = ?2 AND fiscal_year = ?3 AND id <> ?4"),
	[ST_APP_ANY] = ALL("SELECT 1 FROM applications WHERE program = ?1 AND "
			   "state = ?2 AND measure = ?3 AND fiscal_year = ?4 "
			   "AND received_at <= ?5 LIMIT 1"),
	[ST_APP_COUNT] = ALL("SELECT COUNT(*) FROM applications WHERE program "
			     "= ?1 AND state = ?2 AND measure = ?3 AND "
			     "fiscal_year = ?4"),
	[ST_APP_USCCS_AFTER] = ALL("SELECT seq, uscc FROM applications WHERE "
				   "seq > ?1 ORDER BY seq LIMIT " PAGE_TEXT),
	[ST_ACCOUNT_GET] =
		ALL("SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1"),
	[ST_ACCOUNT_PUT] = ALL("INSERT INTO accounts (" ACCOUNT_COLS
			       ") VALUES (?1, ?2, ?3, "
			       "?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
			       "debits_pending = excluded.debits_pending, "
			       "debits_posted = excluded.debits_posted, "
			       "credits_pending = excluded.credits_pending, "
			       "credits_posted = excluded.credits_posted"),
	[ST_ACCOUNTS_PAGE] = ALL("SELECT " ACCOUNT_COLS " FROM accounts WHERE "
				 "id > ?1 ORDER BY id LIMIT " PAGE_TEXT),
	[ST_TRANSFER_GET] = ALL("SELECT " TRANSFER_COLS " FROM transfers "
				"WHERE id = ?1"),
	[ST_TRANSFER_PUT] = ALL("INSERT INTO transfers (" TRANSFER_COLS
				") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
				"?10)"),
	[ST_TRANSFERS_PAGE] = ALL("SELECT " TRANSFER_COLS " FROM transfers "
				  "WHERE timestamp > ?1 ORDER BY timestamp "
				  "LIMIT " PAGE_TEXT),
	[ST_TRANSFERS_PAGE_REF] = ALL("SELECT " TRANSFER_COLS " FROM "
				      "transfers WHERE timestamp > ?1 AND "
				      "ref = ?2 ORDER BY timestamp "
				      "LIMIT " PAGE_TEXT),
	/* The pending transfer's flags, and the flags of the transfer that
	 * posted or voided it, 0 if none (LEDGER_POST_PENDING = 4,
	 * LEDGER_VOID_PENDING = 8). */
	[ST_PENDING_STATE] =
		ALL("SELECT p.flags, COALESCE((SELECT t.flags FROM transfers "
		    "t WHERE t.pending_id = p.id AND (t.flags & 12) <> 0 "
		    "LIMIT 1), 0) FROM transfers p WHERE p.id = ?1"),
	[ST_LAST_TIMESTAMP] =
		ALL("SELECT COALESCE(MAX(timestamp), 0) FROM transfers"),
	[ST_EVENT_LAST] = ALL("SELECT seq, hash FROM events ORDER BY seq DESC "
			      "LIMIT 1"),
	[ST_EVENT_INSERT] = ALL("INSERT INTO events (" EVENT_COLS
				") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
				"?9)"),
	[ST_EVENTS_PAGE] = ALL("SELECT " EVENT_COLS " FROM events WHERE seq > "
			       "?1 ORDER BY seq LIMIT " PAGE_TEXT),
	[ST_EVENTS_SUBJECT_PAGE] = ALL("SELECT " EVENT_COLS " FROM events "
				       "WHERE seq > ?1 AND subject = ?2 ORDER "
				       "BY seq LIMIT " PAGE_TEXT),
	[ST_USER_INSERT] = ALL("INSERT INTO users (" USER_COLS ", token_hash) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
	[ST_USER_DELETE] = ALL("DELETE FROM users WHERE name = ?1"),
	[ST_USER_BY_TOKEN] = ALL("SELECT " USER_COLS " FROM users WHERE "
				 "token_hash = ?1"),
	[ST_USER_GET] = ALL("SELECT " USER_COLS " FROM users WHERE name = ?1"),
	[ST_USER_UPDATE] = ALL("UPDATE users SET role = ?2, uscc = ?3, "
			       "password_hash = ?4, token_expires_at = ?5, "
			       "disabled = ?6 WHERE name = ?1"),
	[ST_USER_TOKEN_SET] = ALL("UPDATE users SET token_hash = ?2, "
				  "token_expires_at = ?3 WHERE name = ?1"),
	[ST_USERS_PAGE] = ALL("SELECT " USER_COLS ", token_hash FROM users "
			      "WHERE name > ?1 ORDER BY name LIMIT " PAGE_TEXT),
	[ST_SESSION_INSERT] = ALL("INSERT INTO sessions (hash, name, csrf, "
				  "created_at, seen_at) VALUES (?1, ?2, ?3, "
				  "?4, ?4)"),
	[ST_SESSION_GET] =
		ALL("SELECT s.csrf, s.created_at, s.seen_at, " USER_COLS_OF(
			"u") " FROM sessions s JOIN users "
			     "u ON u.name = s.name WHERE s.hash = ?1"),
	[ST_SESSION_TOUCH] = ALL("UPDATE sessions SET seen_at = ?2 WHERE "
				 "hash = ?1 AND seen_at < ?2"),
	[ST_SESSION_DELETE] = ALL("DELETE FROM sessions WHERE hash = ?1"),
	[ST_SESSIONS_DELETE_USER] = ALL("DELETE FROM sessions WHERE name = "
					"?1"),
	[ST_SESSIONS_DELETE_OLD] = ALL("DELETE FROM sessions WHERE seen_at < "
				       "?1 OR created_at < ?2"),
	[ST_CONTRACT_INSERT] = ALL(
		"INSERT INTO contracts (app_id, program, applicant, supplier, "
		"number, value, signed_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
	[ST_CONTRACT_SAME] =
		DIALECT(CONTRACT_SAME("rowid"), CONTRACT_SAME("seq")),
	[ST_CONTRACT_BETWEEN] = DIALECT(
		CONTRACTS_BETWEEN(CONTRACT_ROW("rowid"),
				  SQLITE_INDEXED) " ORDER BY signed_on, rowid "
						  "LIMIT ?9",
		CONTRACTS_BETWEEN(CONTRACT_ROW("seq"),
				  "") " ORDER BY signed_on, seq LIMIT ?9"),
	[ST_CONTRACT_BETWEEN_SUM] =
		DIALECT(CONTRACTS_BETWEEN(CONTRACTS_COUNT, SQLITE_INDEXED),
			CONTRACTS_BETWEEN(CONTRACTS_COUNT, "")),
	[ST_CONTRACTS_PAGE] = ALL("SELECT app_id, program, applicant, "
				  "supplier, number, value, signed_on FROM "
				  "contracts WHERE app_id > ?1 ORDER BY app_id "
				  "LIMIT " PAGE_TEXT),
	/* A firm's contracts, in the order recorded: a seek of
	 * contracts_signed's first column, a firm's few rows sorted. */
	[ST_CONTRACTS_OF] = DIALECT(
		"SELECT app_id, program, supplier, number, value, signed_on "
		"FROM contracts WHERE applicant = ?1 ORDER BY rowid LIMIT ?2",
		"SELECT app_id, program, supplier, number, value, signed_on "
		"FROM contracts WHERE applicant = ?1 ORDER BY seq LIMIT ?2"),
	[ST_CONTROLLER_PUT] = ALL(
		"INSERT INTO controllers (uscc, controller, name, source) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uscc, controller) DO "
		"UPDATE SET name = excluded.name, source = excluded.source"),
	[ST_CONTROLLERS_OF] = ALL("SELECT uscc, controller, name, source FROM "
				  "controllers WHERE uscc = ?1 ORDER BY "
				  "controller LIMIT ?2"),
	[ST_CONTROLLERS_PAGE] = ALL("SELECT uscc, controller, name, source "
				    "FROM controllers WHERE (uscc, "
				    "controller) > (?1, ?2) ORDER BY uscc, "
				    "controller LIMIT " PAGE_TEXT),
	[ST_LISTING_PUT] = ALL(
		"INSERT INTO listings (list, uscc, name, reason, source) "
		"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (list, uscc) DO "
		"UPDATE SET name = excluded.name, reason = excluded.reason, "
		"source = excluded.source"),
	[ST_LISTING_GET] = ALL("SELECT list, uscc, name, reason, source FROM "
			       "listings WHERE list = ?1 AND uscc = ?2"),
	[ST_LISTINGS_PAGE] = ALL("SELECT list, uscc, name, reason, source "
				 "FROM listings WHERE (list, uscc) > (?1, ?2) "
				 "ORDER BY list, uscc LIMIT " PAGE_TEXT),
	[ST_NOTICE_COUNT] = ALL("SELECT count(*) FROM notices WHERE program "
				"= ?1"),
	[ST_NOTICE_INSERT] = ALL("INSERT INTO notices (id, program, "
				 "opened_on, ends_on, working_days, "
				 "opened_by, opened_at, closed_by, closed_at) "
				 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
	[ST_NOTICE_GET] = ALL("SELECT id, program, opened_on, ends_on, "
			      "working_days, opened_by, opened_at, closed_by, "
			      "closed_at FROM notices WHERE id = ?1"),
	[ST_NOTICE_CLOSE] = ALL("UPDATE notices SET closed_by = ?2, "
				"closed_at = ?3 WHERE id = ?1 AND closed_at "
				"= 0"),
	[ST_NOTICE_AWARDS_OF] = ALL("SELECT app_id, amount FROM notice_awards "
				    "WHERE notice_id = ?1 ORDER BY app_id"),
	[ST_NOTICE_AWARD_INSERT] =
		ALL("INSERT INTO notice_awards (app_id, "
		    "notice_id, amount) VALUES (?1, ?2, ?3)"),
	[ST_NOTICE_OF_APP] =
		ALL("SELECT n.id, n.program, n.opened_on, n.ends_on, "
		    "n.working_days, n.opened_by, n.opened_at, n.closed_by, "
		    "n.closed_at FROM notice_awards a "
		    "JOIN notices n ON n.id = a.notice_id WHERE a.app_id = ?1"),
	[ST_OBJECTION_INSERT] = ALL("INSERT INTO objections (app_id, seq, "
				    "notice_id, why, lodged_by, lodged_at, "
				    "outcome) VALUES (?1, ?2, ?3, ?4, ?5, "
				    "?6, 'open')"),
	[ST_OBJECTION_COUNT] = ALL("SELECT count(*) FROM objections WHERE "
				   "app_id = ?1"),
	[ST_OBJECTION_OPEN] = ALL("SELECT seq, notice_id, why, lodged_by, "
				  "lodged_at FROM objections WHERE app_id = "
				  "?1 AND outcome = 'open'"),
	[ST_OBJECTION_DECIDE] = ALL("UPDATE objections SET outcome = ?3, "
				    "decided_by = ?4, decided_at = ?5 WHERE "
				    "app_id = ?1 AND seq = ?2 AND outcome = "
				    "'open'"),
	[ST_NOTICES_PAGE] =
		ALL("SELECT id, program, opened_on, ends_on, "
		    "working_days, opened_by, opened_at, closed_by, "
		    "closed_at FROM notices WHERE id > ?1 ORDER BY id "
		    "LIMIT " PAGE_TEXT),
	[ST_NOTICE_AWARDS_PAGE] = ALL("SELECT app_id, notice_id, amount FROM "
				      "notice_awards WHERE app_id > ?1 ORDER "
				      "BY app_id LIMIT " PAGE_TEXT),
	[ST_OBJECTIONS_PAGE] =
		ALL("SELECT app_id, seq, notice_id, why, "
		    "lodged_by, lodged_at, outcome, decided_by, "
		    "decided_at FROM objections WHERE (app_id, "
		    "seq) > (?1, ?2) ORDER BY app_id, seq LIMIT " PAGE_TEXT),
	[ST_KEY_GET] =
		ALL("SELECT request, answer FROM idempotency_keys "
		    "WHERE verb = ?1 AND subject = ?2 AND idem_key = ?3"),
	[ST_KEY_PUT] =
		ALL("INSERT INTO idempotency_keys (verb, subject, idem_key, "
		    "request, answer, by_name, at) VALUES (?1, ?2, ?3, "
		    "?4, ?5, ?6, ?7)"),
	[ST_KEYS_PAGE] = ALL("SELECT verb, subject, idem_key, request, answer, "
			     "by_name, at FROM idempotency_keys WHERE (verb, "
			     "subject, idem_key) > (?1, ?2, ?3) ORDER BY verb, "
			     "subject, idem_key LIMIT " PAGE_TEXT),
	[ST_APP_TALLIES_PAGE] = ALL(
		"SELECT measure, fiscal_year, state, n FROM app_tallies WHERE "
		"program = ?1 AND (measure, fiscal_year, state) > (?2, ?3, ?4) "
		"ORDER BY measure, fiscal_year, state LIMIT " PAGE_TEXT),
	[ST_ACCOUNT_TALLY] = ALL("SELECT debits_posted, credits_posted, "
				 "debits_pending FROM account_tallies WHERE "
				 "prefix = ?1"),
	[ST_GENERATION_READ] = ALL("SELECT n FROM generation WHERE id = 1"),
	[ST_DOC_PUT] =
		ALL("INSERT INTO documents (sha256, type, size, content, "
		    "stored_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
		    "(sha256) DO NOTHING"),
	[ST_DOC_GET] = ALL("SELECT type, size, content FROM documents WHERE "
			   "sha256 = ?1"),
	[ST_DOC_INFO] = ALL("SELECT type, size FROM documents WHERE sha256 = "
			    "?1"),
	[ST_DOC_NEXT] = ALL("SELECT sha256, type, size, content, stored_at "
			    "FROM documents WHERE sha256 > ?1 ORDER BY sha256 "
			    "LIMIT 1"),
	[ST_DOC_LINK] = ALL("INSERT INTO app_documents (app_id, seq, sha256, "
			    "kind, name, payment, by_name, at) VALUES (?1, ?2, "
			    "?3, ?4, ?5, ?6, ?7, ?8)"),
	[ST_DOC_LINK_COUNT] = ALL("SELECT count(*) FROM app_documents WHERE "
				  "app_id = ?1"),
	[ST_DOC_LINKS_OF] = ALL(
		"SELECT a.app_id, a.seq, a.sha256, a.kind, a.name, a.payment, "
		"a.by_name, a.at, d.type, d.size FROM app_documents a JOIN "
		"documents d ON d.sha256 = a.sha256 WHERE a.app_id = ?1 AND "
		"a.seq > ?2 ORDER BY a.seq LIMIT " PAGE_TEXT),
	[ST_DOC_LINKS_PAGE] = ALL(
		"SELECT a.app_id, a.seq, a.sha256, a.kind, a.name, a.payment, "
		"a.by_name, a.at, d.type, d.size FROM app_documents a JOIN "
		"documents d ON d.sha256 = a.sha256 WHERE (a.app_id, a.seq) > "
		"(?1, ?2) ORDER BY a.app_id, a.seq LIMIT " PAGE_TEXT),
	[ST_DOC_KIND_COUNT] = ALL("SELECT count(*) FROM app_documents WHERE "
				  "app_id = ?1 AND kind = ?2 AND payment = ?3"),
	[ST_DOC_READABLE] = ALL(
		"SELECT count(*) FROM app_documents a JOIN applications p ON "
		"p.id = a.app_id WHERE a.sha256 = ?1 AND (?2 = '' OR p.uscc = "
		"?2)"),
	[ST_SCHEMA_VERSION] = DIALECT("PRAGMA user_version",
				      "SELECT version FROM schema_version"),
	/* The auditor's event log (store_events.c): a page after seq ?1, the
	 * filters '' (or the whole range of at) when not asked for. */
	[ST_EVENTS_FIND] = ALL("SELECT " EVENT_COLS " FROM events WHERE seq > "
			       "?1 AND (?2 = '' OR action = ?2) AND (?3 = '' "
			       "OR subject = ?3) AND (?4 = '' OR who = ?4) AND "
			       "at >= ?5 AND at < ?6 ORDER BY seq LIMIT ?7"),
	/* The same for one subject, through the index events_subject. */
	[ST_EVENTS_FIND_SUBJECT] = ALL(
		"SELECT " EVENT_COLS
		" FROM events WHERE subject = ?3 AND seq > "
		"?1 AND (?2 = '' OR action = ?2) AND (?4 = '' OR who = ?4) AND at "
		">= ?5 AND at < ?6 ORDER BY seq LIMIT ?7"),
	[ST_BATCH_NEXT] = ALL("SELECT COALESCE(MAX(seq), 0) + 1 FROM "
			      "pay_batches WHERE year = ?1"),
	[ST_VOUCHER_NEXT] = ALL("SELECT COALESCE(MAX(seq), 0) + 1 FROM "
				"pay_items WHERE year = ?1"),
	[ST_BATCH_INSERT] = ALL("INSERT INTO pay_batches (id, year, seq, "
				"program, measure, made_by, made_at) VALUES "
				"(?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
	[ST_PAY_ITEM_INSERT] = ALL(
		"INSERT INTO pay_items (voucher, year, seq, batch_id, app_id, "
		"amount, payee_account, payee_name, state) VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, 'planned')"),
	[ST_BATCH_GET] = ALL("SELECT id, year, seq, program, measure, made_by, "
			     "made_at FROM pay_batches WHERE id = ?1"),
	[ST_BATCHES_PAGE] = ALL("SELECT id, year, seq, program, measure, "
				"made_by, made_at FROM pay_batches WHERE id > "
				"?1 ORDER BY id LIMIT " PAGE_TEXT),
	[ST_PAY_ITEMS_PAGE] = ALL(
		"SELECT " PAY_ITEM_COLS " FROM pay_items WHERE voucher > ?1 "
		"AND (?2 = '' OR batch_id = ?2) ORDER BY voucher "
		"LIMIT " PAGE_TEXT),
	[ST_PAY_ITEM_GET] = ALL("SELECT " PAY_ITEM_COLS
				" FROM pay_items WHERE voucher = ?1"),
	[ST_PAY_ITEM_PLANNED_OF] = ALL("SELECT voucher FROM pay_items WHERE "
				       "app_id = ?1 AND state = 'planned'"),
	[ST_PAY_ITEM_PAID] = ALL(
		"UPDATE pay_items SET state = 'paid', paid_by = ?2, paid_at = "
		"?3, bank_ref = ?4 WHERE voucher = ?1 AND state = 'planned'"),
	[ST_PAY_ITEM_SETTLE] =
		ALL("UPDATE pay_items SET state = 'settled', bank_ref = ?2, "
		    "settled_on = ?3, settled_by = ?4, settled_at = ?5 WHERE "
		    "voucher = ?1 AND state = 'paid'"),
/* A name's bigrams in one statement; a pair seen twice in one name
 * is refused quietly, row by row, by the primary key. */
#define GRAMS_1 "(?2, ?1)"
#define GRAMS_2 GRAMS_1 ", (?3, ?1)"
#define GRAMS_3 GRAMS_2 ", (?4, ?1)"
#define GRAMS_4 GRAMS_3 ", (?5, ?1)"
#define GRAMS_5 GRAMS_4 ", (?6, ?1)"
#define GRAMS_6 GRAMS_5 ", (?7, ?1)"
#define GRAMS_7 GRAMS_6 ", (?8, ?1)"
#define GRAMS_8 GRAMS_7 ", (?9, ?1)"
#define GRAMS_9 GRAMS_8 ", (?10, ?1)"
#define GRAMS_10 GRAMS_9 ", (?11, ?1)"
#define GRAMS_11 GRAMS_10 ", (?12, ?1)"
#define GRAMS_12 GRAMS_11 ", (?13, ?1)"
#define GRAMS_13 GRAMS_12 ", (?14, ?1)"
#define GRAMS_14 GRAMS_13 ", (?15, ?1)"
#define GRAMS_15 GRAMS_14 ", (?16, ?1)"
#define GRAMS_16 GRAMS_15 ", (?17, ?1)"
#define GRAMS(k)                                                               \
	[ST_APP_GRAMS + (k)-1] =                                               \
		ALL("INSERT INTO app_grams (gram, seq) "                       \
		    "VALUES " GRAMS_##k " ON CONFLICT DO NOTHING")
	GRAMS(1),
	GRAMS(2),
	GRAMS(3),
	GRAMS(4),
	GRAMS(5),
	GRAMS(6),
	GRAMS(7),
	GRAMS(8),
	GRAMS(9),
	GRAMS(10),
	GRAMS(11),
	GRAMS(12),
	GRAMS(13),
	GRAMS(14),
	GRAMS(15),
	GRAMS(16),
#undef GRAMS
	/* How many rows a search's driver would read, up to ?2 (?3). */
	[ST_APP_GRAM_COUNT] = ALL("SELECT COUNT(*) FROM (SELECT 1 FROM "
				  "app_grams WHERE gram = ?1 LIMIT ?2) g"),
	[ST_APP_USCC_COUNT] = DIALECT(
		"SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE "
		"uscc >= ?1 AND uscc < ?2 LIMIT ?3) g",
		"SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE "
		"uscc COLLATE \"C\" >= ?1 AND uscc COLLATE \"C\" < ?2 "
		"LIMIT ?3) g"),
#define SEARCH_ONE(base, sort, k, cmp, dir)                                    \
	[ST_APP_SEARCH + 3 * (sort) +                                          \
		SQL_SEARCH_BY_ORDER] = SEARCH_BOTH(k, cmp, dir, ""),           \
		[ST_APP_SEARCH + 3 * (sort) + SQL_SEARCH_BY_USCC] = DIALECT(   \
			SEARCH_RANGE(k, dir,                                   \
				     SEARCH_IN(SEARCH_RANGE_FROM,              \
					       SQLITE_NAME_HAS, k, cmp, dir,   \
					       " AND uscc >= ?15 AND "         \
					       "uscc < ?16")),                 \
			SEARCH_RANGE(k, dir,                                   \
				     SEARCH_IN("SELECT seq FROM applications", \
					       PG_NAME_HAS, k, cmp, dir,       \
					       " AND uscc COLLATE \"C\" >= "   \
					       "?15 AND uscc COLLATE \"C\" < " \
					       "?16"))),                       \
		[ST_APP_SEARCH + 3 * (sort) + SQL_SEARCH_BY_GRAM] =            \
			SEARCH_BOTH(k, cmp, dir, SEARCH_GRAM),                 \
		[ST_APP_SEARCH_EDGE + (sort)] =                                \
			ALL("SELECT " k " FROM applications WHERE (" k         \
			    ", seq) " cmp " (?1, ?2) ORDER BY " k dir          \
			    ", seq" dir " LIMIT 1 OFFSET ?3")
	SEARCH_ONE(ST_APP_SEARCH, 0, "received_at", ">", ""),
	SEARCH_ONE(ST_APP_SEARCH, 1, "received_at", "<", " DESC"),
	SEARCH_ONE(ST_APP_SEARCH, 2, "requested", ">", ""),
	SEARCH_ONE(ST_APP_SEARCH, 3, "requested", "<", " DESC"),
#undef SEARCH_ONE
};

_Static_assert(ST_APP_GRAMS_LAST - ST_APP_GRAMS + 1 == SQL_GRAMS_MAX,
	       "one ST_APP_GRAMS statement per count");
_Static_assert(SQL_PAGE == 64, "PAGE_TEXT must spell SQL_PAGE");
_Static_assert(LEDGER_POST_PENDING == 4 && LEDGER_VOID_PENDING == 8,
	       "ST_PENDING_STATE spells the flags as numbers");
