/*
 * store.h - where a program office keeps its state: one interface, one
 * back end per database: SQLite (store_sqlite.c) and PostgreSQL
 * (store_pg.c), chosen by the URL given to store_open() (store.c).
 *
 * Nothing above this header writes SQL. A store holds the policy versions
 * (by content hash), the applications with their decisions and states, the
 * ledger (through struct ledger_io) and the audit chain. Every change is
 * made inside store_begin() ... store_commit(); a failure anywhere is
 * followed by store_rollback() (or store_savepoint_rollback() inside a
 * savepoint: on PostgreSQL a failed statement spoils the transaction up to
 * its savepoint), so a batch is durable whole or not at all. A commit that
 * returned an error may not be taken for done.
 *
 * Errors are returned as Q_ERR_* codes with a struct qerr; Q_ERR_IO for the
 * database itself (the message names the operation and carries the
 * database's text). A lookup that finds nothing is not an error: it
 * answers Q_NONE and leaves e untouched.
 */
#ifndef QUAN_STORE_H
#define QUAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/err.h"
#include "core/money.h"
#include "ledger/ledger.h"

struct store;

/* Open (creating if need be) the database at url: a file path, or
 * "sqlite:PATH", or a PostgreSQL connection URI ("postgres://..." or
 * "postgresql://..."; the database must exist). Runs the schema migrations.
 * The caller frees the store with store_close(). A PostgreSQL store whose
 * server went away answers Q_ERR_IO and reconnects by itself at the next
 * store_begin() or read outside a transaction. */
int store_open(const char *url, struct store **out, struct qerr *e);
void store_close(struct store *s);

/* The schema version after migrations. */
int store_schema_version(struct store *s);

/* The back end's name: "sqlite" or "postgres". */
const char *store_backend(struct store *s);

/* Q_OK when the database answers and would take a write now, without
 * writing: SQLite takes and drops its write lock; PostgreSQL refuses a
 * server in recovery or read-only (a standby, a demoted primary) with
 * Q_ERR_IO, and the connection is then made again at the next call, so
 * that a multi-host URL with target_session_attrs=read-write finds the
 * primary. Outside a transaction only. For GET /readyz. */
int store_ready(struct store *s, struct qerr *e);

/* A write transaction: SQLite takes the write lock at once (BEGIN
 * IMMEDIATE), PostgreSQL one transaction-scoped advisory lock (store_pg.c
 * says why), so two processes never both read a balance and then both
 * spend it; a busy database is waited for (up to 10 s). */
int store_begin(struct store *s, struct qerr *e);
int store_commit(struct store *s, struct qerr *e);

/* The generation of the office's data as the open write transaction began
 * (or the last one did): every write transaction adds one as it begins,
 * so a writer that remembers the generation it left behind (this value
 * plus one, after its commit) knows at its next store_begin whether
 * another process has written in between, and must then forget what it
 * keeps in memory. */
int64_t store_generation(struct store *s);
void store_rollback(struct store *s);

/* A savepoint inside the current transaction, for one item of a batch:
 * rolled back alone when the item fails, so the rest of the batch still
 * commits together (group commit). Savepoints do not nest. */
int store_savepoint(struct store *s, struct qerr *e);
int store_savepoint_release(struct store *s, struct qerr *e);
void store_savepoint_rollback(struct store *s);

/* An optimistic batch, for the rest of the open transaction (PostgreSQL;
 * nothing on SQLite): a savepoint's release no longer waits for its
 * item's answers, so a batch costs one round trip, not one per item. A
 * write refused then fails the transaction as a whole, and
 * store_refused_ahead answers true until the next store_begin: the
 * caller rolls back and runs the batch again without, where the refusal
 * is that item's alone. */
void store_optimistic(struct store *s);
bool store_refused_ahead(struct store *s);

/* Round trips to the database server since the store was opened (0 on
 * SQLite), for tests and benchmarks. */
uint64_t store_round_trips(struct store *s);

/* The ledger's storage inside the current transaction. */
const struct ledger_io *store_ledger_io(struct store *s);

/* Call fn(ctx, e) before every statement that reads or writes the
 * accounts or their tallies other than the ledger's own point read and
 * write of one account (store_ledger_io): a writer that keeps balances in
 * memory and writes them late (office/hot.c) writes them there, so that
 * what the statement reads is current. fn's error fails the statement.
 * fn NULL: none. fn is not called again while it runs. */
void store_on_accounts(struct store *s, int (*fn)(void *ctx, struct qerr *e),
		       void *ctx);

/* After a ledger_io call answered -1 (a ledger function returned a storage
 * error): copy the database's error into e and return its code (Q_ERR_IO). */
int store_ledger_error(struct store *s, struct qerr *e);

/* --- policies ------------------------------------------------------------ */

/* Record a policy version (its text and hash) for program; *is_new is set
 * when this hash was not stored before. The newest version of a program is
 * the current one. */
int store_policy_add(struct store *s, const char *program, const char *hash,
		     const char *path, const char *text, size_t len,
		     int64_t now, bool *is_new, struct qerr *e);

/* The current policy of program: its hash (POLICY_HASH_TEXT bytes) and a
 * malloc'd copy of its text (the caller frees). Q_ERR_UNKNOWN_PROGRAM when
 * the store has none. text/len may be NULL. */
int store_policy_current(struct store *s, const char *program, char *hash,
			 char **text, size_t *len, struct qerr *e);

/* The text of the policy version with this hash (malloc'd). */
int store_policy_text(struct store *s, const char *hash, char **text,
		      size_t *len, struct qerr *e);

/* The path the policy version with this hash was loaded from, into path
 * (n bytes), so decisions can point at file:line:column. */
int store_policy_path(struct store *s, const char *hash, char *path, size_t n,
		      struct qerr *e);

/* Every program with a policy: fn(arg, program, hash) per program, in
 * name order.
 *
 * All the store_*_each functions: fn returns non-zero to stop early, which
 * is not an error (the function returns 0); a non-zero return is a Q_ERR_*
 * of the store itself. fn may call any store function, including writes
 * inside the caller's transaction; rows it adds or changes may or may not
 * be visited. */
int store_programs_each(struct store *s,
			int (*fn)(void *arg, const char *program,
				  const char *hash),
			void *arg, struct qerr *e);

/* One stored policy version, as store_policy_each_version shows it. */
struct store_policy {
	const char *program, *hash, *path;
	const char *text; /* len bytes */
	size_t len;
	int64_t added_at;
	bool current; /* the program's version in force */
};

/* Visit every policy version in the order they were added (a copy of the
 * store, quan migrate, adds them again in this order). */
int store_policy_each_version(struct store *s,
			      int (*fn)(void *arg,
					const struct store_policy *p),
			      void *arg, struct qerr *e);

/* --- applications -------------------------------------------------------- */

enum app_state {
	APP_INELIGIBLE, /* decided not eligible: recorded, nothing reserved */
	APP_RESERVED,	/* pending transfer available -> awarded */
	APP_WAITLISTED, /* eligible, the pool could not cover it yet */
	APP_QUEUED,	/* eligible, waiting for its pro-rata round */
	APP_AWARDED,	/* approved: the reservation posted */
	APP_REJECTED,
	APP_WITHDRAWN,
	APP_EXPIRED,
	APP__STATE_COUNT
};

const char *app_state_name(int st); /* "reserved" ... */

/* One application as stored. Strings are fixed-size copies; json and
 * decision are malloc'd and owned by the record (store_app_release). */
struct store_app {
	char id[64];
	char program[64];
	char measure[64];
	char uscc[20];	      /* the applicant */
	char policy_hash[72]; /* the version it was decided under */
	int state;	      /* enum app_state */
	int64_t seq;	      /* arrival order, set by the store */
	int fiscal_year;      /* the year of received_at, office calendar */
	money_t requested;    /* the decision's amount the pool pays */
	money_t awarded;      /* posted on approval */
	money_t paid;	      /* disbursed, net of nothing */
	money_t recovered;    /* clawed back */
	money_t contract_value;
	bool compute;	      /* a compute contract (rent/buy/build) */
	char approver[64];    /* first approval of a two-person award */
	char approved_by[64]; /* who posted the award */
	char client_ref[65];  /* the applicant's own reference, "" if none */
	/* When the office received it (epoch seconds), from its own clock or
	 * an administrator's audited import; fiscal_year is this instant's
	 * year in the office's calendar (UTC+8). */
	int64_t received_at;
	int64_t updated_at;
	char *json;	/* the application as submitted */
	char *decision; /* the decision JSON */
	/* The applicant firm's name, for the search's bigrams, when the
	 * writer has it parsed (borrowed; read by store_app_insert only;
	 * NULL: taken from json). */
	const char *name;
};

void store_app_release(struct store_app *a);

/* Insert a new application (a->seq is set). Q_ERR_CONFLICT when the id
 * exists, or when the firm a->uscc has an application with the same
 * client_ref already (a unique index; "" is stored as SQL NULL, so
 * applications without one never collide). */
int store_app_insert(struct store *s, struct store_app *a, struct qerr *e);

/* Read one: 0 and *out, which the caller releases with store_app_release;
 * Q_NONE (e untouched) when there is none; or a Q_ERR_* of the store. */
int store_app_get(struct store *s, const char *id, struct store_app *out,
		  struct qerr *e);

/* *out: whether an application's id sorts after lo and not after hi (a
 * range of the primary key, in the database's own order). */
int store_app_id_between(struct store *s, const char *lo, const char *hi,
			 bool *out, struct qerr *e);

/* *out: whether an application has this id (a primary key probe). */
int store_app_exists(struct store *s, const char *id, bool *out,
		     struct qerr *e);

/* The application of the firm uscc that carried client_ref (an index
 * seek): 0 and *out (released with store_app_release), Q_NONE (e
 * untouched) when that firm has none with that reference (or client_ref
 * is "" or NULL), or a Q_ERR_* of the store. */
int store_app_by_ref(struct store *s, const char *uscc, const char *client_ref,
		     struct store_app *out, struct qerr *e);

/* The next number of program's applications in fiscal year: 1, 2, 3 ...
 * into *n, one statement (an upsert of app_numbers). Only inside a write
 * transaction (store_begin; Q_ERR_INVALID outside one): its rollback, or
 * the rollback of the savepoint the number was drawn in, gives the number
 * back, and the next draw answers it again. Q_ERR_INVALID for an empty or
 * over-long program or a year outside 1..9999. */
int store_app_number(struct store *s, const char *program, int year, int64_t *n,
		     struct qerr *e);

/* Visit the numbering, program and year order: fn(arg, program, year,
 * last) with the last number given (quan migrate copies it). */
int store_app_numbers_each(struct store *s,
			   int (*fn)(void *arg, const char *program, int year,
				     int64_t last),
			   void *arg, struct qerr *e);

/* Raise the last number given for program and year to last (never lower
 * it: a number given once is never given again), so that the next
 * store_app_number answers last + 1. Inside a write transaction, as
 * store_app_number; Q_ERR_INVALID for last < 1. */
int store_app_number_set(struct store *s, const char *program, int year,
			 int64_t last, struct qerr *e);

/* Write back the mutable part: state, requested (a pro-rata round scales
 * it), awarded, paid, recovered, approver, updated_at. */
int store_app_update(struct store *s, const struct store_app *a,
		     struct qerr *e);

/* Visit applications of program (NULL: all) in state st (-1: any), in
 * arrival order; the record passed to fn is released after fn returns.
 * fn returns non-zero to stop. */
int store_app_each(struct store *s, const char *program, int st,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e);

/* *out: whether program holds an application of measure and fiscal year
 * in state st received at or before received_at (INT64_MAX: whenever):
 * whether someone received before an application waits for its measure
 * and year (no overtaking in the order of receipt). An index seek that
 * stops at the first such application. */
int store_app_any_before(struct store *s, const char *program,
			 const char *measure, int fiscal_year, int state,
			 int64_t received_at, bool *out, struct qerr *e);

/* *n: how many applications program holds of measure and fiscal year in
 * state st (an index range). */
int store_app_count(struct store *s, const char *program, const char *measure,
		    int fiscal_year, int state, int64_t *n, struct qerr *e);

/* Visit the applicant (its USCC) of every application with seq above
 * after, in seq order: fn(arg, uscc, seq). A fn that answers non-zero has
 * run out of memory: the walk stops with Q_ERR_NOMEM. */
int store_app_usccs_after(struct store *s, int64_t after,
			  int (*fn)(void *arg, const char *uscc, int64_t seq),
			  void *arg, struct qerr *e);

/* What the decision needs of the applicant's past in program and fiscal
 * year, excluding application except_id: what it holds or may still be
 * given under measure (requested of its reserved, waitlisted and queued
 * applications, awarded of its awarded ones), so a yearly cap holds
 * however its applications are served — each measure (voucher type) has
 * its own yearly cap, as the published programs set them; and the value
 * of its compute contracts under every measure (every compute application
 * it filed that year: contracts it signed, whatever became of them). */
int store_applicant_year(struct store *s, const char *program,
			 const char *measure, const char *uscc, int year,
			 const char *except_id, money_t *awarded,
			 money_t *compute_contracts, struct qerr *e);

/* Which applications store_app_list visits: newest first (seq below
 * before_seq, 0 for no bound), at most limit (1..1000; other values mean
 * 100), of program, state and applicant uscc when given (NULL / -1 for
 * any). */
struct store_app_filter {
	const char *program;
	int state;
	const char *uscc;
	int64_t before_seq;
	long limit;
};

/* Visit the applications f selects, newest first; the record is released
 * after fn returns, which returns non-zero to stop. */
int store_app_list(struct store *s, const struct store_app_filter *f,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e);

/* The review queue's search (store_search.c). Sorts: oldest received
 * first (first come, first served), newest first, smallest requested
 * amount first, largest first; each then by arrival (seq). */
enum store_sort {
	STORE_SORT_RECEIVED,
	STORE_SORT_RECEIVED_DESC,
	STORE_SORT_AMOUNT,
	STORE_SORT_AMOUNT_DESC,
};

/* How store_app_search reads a uscc_prefix (store_search.c says why).
 * AUTO: the prefix's index when it holds fewer than STORE_RANGE_SMALL
 * rows; otherwise a walk of at most STORE_WALK_BUDGET rows in the sort's
 * order, and when that has not filled the page, the prefix's index if it
 * holds fewer than STORE_RANGE_CAP rows, else the walk on to the end.
 * ORDER: the walk alone. RANGE: the prefix's index alone. Every plan
 * answers the same rows in the same order. */
enum store_plan {
	STORE_PLAN_AUTO,
	STORE_PLAN_ORDER,
	STORE_PLAN_RANGE,
};
#define STORE_RANGE_SMALL 2000
#define STORE_WALK_BUDGET 2048
#define STORE_RANGE_CAP 250000

/* What store_app_search selects. NULL / -1 for "any"; the bounds are
 * inclusive (fen, epoch seconds): set them to INT64_MIN / INT64_MAX for
 * none. q is text the applicant firm's name holds (two characters or
 * more are found through an index; one is read row by row); uscc_prefix
 * up to 18 digits and capitals; uscc the applicant's own (an applicant
 * sees only its own). flag: 1 flagged decisions only, 0 unflagged, -1
 * any. after_*: the cursor, the last row of the page before (its sort
 * key: received_at or requested, and its seq). limit 1..1000 (other
 * values mean 100). plan: how a uscc_prefix is read, STORE_PLAN_AUTO
 * (0) but in the tests and the bench, which force each way to check that
 * they answer the same. */
struct store_app_query {
	const char *program, *measure, *uscc, *uscc_prefix, *q;
	int state, flag;
	int64_t amount_min, amount_max;
	int64_t received_from, received_to;
	enum store_sort sort;
	bool after_set;
	int64_t after_key, after_seq;
	long limit;
	enum store_plan plan;
};

/* Visit what q selects in its sort, after its cursor; the record is
 * released after fn returns, which returns non-zero to stop.
 * Q_ERR_INVALID for a malformed uscc_prefix. */
int store_app_search(struct store *s, const struct store_app_query *q,
		     int (*fn)(void *arg, const struct store_app *a), void *arg,
		     struct qerr *e);

/* --- audit chain ------------------------------------------------------------ */

/* One event of the audit chain. hash = SHA-256 over prev_hash and the
 * event's fields in a fixed encoding (audit.h). */
struct store_event {
	int64_t seq; /* 1, 2, 3 ... */
	int64_t at;  /* epoch seconds */
	char who[64];
	char action[32];  /* "apply", "approve", ... */
	char subject[64]; /* an application id, a program, ... */
	char policy_hash[72];
	char *detail;	    /* JSON text, owned (store_event_release) */
	char prev_hash[65]; /* hex */
	char hash[65];	    /* hex */
};

void store_event_release(struct store_event *ev);

/* Append an event: the store fills seq, prev_hash and hash (the chain's
 * single order is the order of appends inside write transactions). */
int store_event_append(struct store *s, struct store_event *ev, struct qerr *e);

/* Visit every event in seq order (the record is released after fn). */
int store_event_each(struct store *s,
		     int (*fn)(void *arg, const struct store_event *ev),
		     void *arg, struct qerr *e);

/* Visit the events after seq `after` in seq order, as store_event_each. */
int store_event_each_after(struct store *s, int64_t after,
			   int (*fn)(void *arg, const struct store_event *ev),
			   void *arg, struct qerr *e);

/* Visit the events of one subject (an application id, a program) in seq
 * order, through an index. */
int store_event_each_subject(struct store *s, const char *subject,
			     int (*fn)(void *arg, const struct store_event *ev),
			     void *arg, struct qerr *e);

/* Which events store_event_find visits: those after seq `after` whose
 * action, subject and who equal the fields that are not "", at in
 * [from, to), at most limit (1 .. STORE_EVENTS_MAX) of them. */
#define STORE_EVENTS_MAX 500
struct store_event_filter {
	int64_t after;
	const char *action, *subject, *who; /* "" or NULL: any */
	int64_t from, to;
	int limit;
};

/* Visit the events f selects in seq order (the record is released after
 * fn, which returns non-zero to stop). */
int store_event_find(struct store *s, const struct store_event_filter *f,
		     int (*fn)(void *arg, const struct store_event *ev),
		     void *arg, struct qerr *e);

/* --- users ------------------------------------------------------------------ */

/* A user of the server. role is one of "administrator", "reviewer",
 * "finance", "auditor", "applicant" (the database refuses others); uscc is
 * the applicant's firm ("" for staff). password_hash is libsodium's
 * argon2id string ("" when the user has no password); token_expires_at is
 * when its API token stops working (0: a token issued before tokens
 * expired, which never does); a disabled user neither signs in nor uses
 * its token. */
struct store_user {
	char name[64];
	char role[16];
	char uscc[20];
	int64_t created_at;
	char password_hash[128];
	int64_t token_expires_at;
	bool disabled;
};

/* Add a user with the hash (hex SHA-256) of its bearer token; the token
 * itself is never stored. Q_ERR_CONFLICT when the name exists. */
int store_user_add(struct store *s, const struct store_user *u,
		   const char *token_hash, struct qerr *e);

/* Remove the user called name and its sessions: its token stops working
 * at once. Q_ERR_NOT_FOUND when there is none. */
int store_user_remove(struct store *s, const char *name, struct qerr *e);

/* The user whose token has this hash: 0 and *out, Q_NONE (e untouched)
 * when none, or a Q_ERR_* of the store. */
int store_user_by_token(struct store *s, const char *token_hash,
			struct store_user *out, struct qerr *e);

/* The user called name: 0 and *out, Q_NONE when none. */
int store_user_get(struct store *s, const char *name, struct store_user *out,
		   struct qerr *e);

/* Write u's role, uscc, password hash, token expiry and switch over the
 * user called u->name. Q_ERR_NOT_FOUND when there is none. */
int store_user_update(struct store *s, const struct store_user *u,
		      struct qerr *e);

/* Replace the token of the user called name (the old one stops working)
 * with the one whose hash is token_hash, expiring at expires_at.
 * Q_ERR_NOT_FOUND when there is none. */
int store_user_token_set(struct store *s, const char *name,
			 const char *token_hash, int64_t expires_at,
			 struct qerr *e);

/* Visit every user in name order, with its token's hash. */
int store_user_each(struct store *s,
		    int (*fn)(void *arg, const struct store_user *u,
			      const char *token_hash),
		    void *arg, struct qerr *e);

/* A signed-in session: its user, the CSRF token its writes carry, when it
 * began and when it was last used. */
struct store_session {
	struct store_user user;
	char csrf[68]; /* "qc_" and 64 hex digits */
	int64_t created_at;
	int64_t seen_at;
};

/* Record a session by the hash (hex SHA-256) of its token. */
int store_session_add(struct store *s, const char *hash, const char *name,
		      const char *csrf, int64_t now, struct qerr *e);

/* The session whose token has this hash, with its user: 0 and *out, or
 * Q_NONE when there is none. */
int store_session_get(struct store *s, const char *hash,
		      struct store_session *out, struct qerr *e);

/* Mark the session used at now (never moves seen_at back). */
int store_session_touch(struct store *s, const char *hash, int64_t now,
			struct qerr *e);

/* End one session (Q_NONE when there was none), or every session of the
 * user called name, or every session seen before seen_before or begun
 * before created_before. */
int store_session_delete(struct store *s, const char *hash, struct qerr *e);
int store_sessions_delete_user(struct store *s, const char *name,
			       struct qerr *e);
int store_sessions_delete_old(struct store *s, int64_t seen_before,
			      int64_t created_before, struct qerr *e);

/* --- ledger reading ------------------------------------------------------------ */

/* Visit every account, and every transfer (timestamp order). */
int store_account_each(struct store *s,
		       int (*fn)(void *arg, const struct ledger_account *a),
		       void *arg, struct qerr *e);
int store_transfer_each(struct store *s, const char *ref,
			int (*fn)(void *arg, const struct ledger_transfer *t),
			void *arg, struct qerr *e);

/* --- screens: contracts, the registry of controllers, imported lists ------- */

/* A contract as the screens see it (engine/screen.h): every application's
 * contract is recorded when the application is applied, in one table for
 * the whole office, so a contract claimed in two programs is found. The
 * lookups below are index seeks: (applicant, supplier, number), (applicant,
 * supplier, value, signed_on) and (applicant, supplier, signed_on). */
struct store_contract {
	const char *app_id; /* the application that claimed it */
	const char *program;
	const char *applicant, *supplier; /* USCCs */
	const char *number;
	money_t value;
	int32_t signed_on; /* days since 1970-01-01 (qdate) */
};

/* A contract found by a lookup. number is cut to fit (on a UTF-8
 * character boundary). */
struct store_contract_row {
	char app_id[64];
	char program[64];
	char number[64];
	money_t value;
	int32_t signed_on;
};

/* c as a lookup gives it: its texts cut to fit r's fields (on a UTF-8
 * character boundary), for a caller that keeps contracts of its own. */
void store_contract_row_of(const struct store_contract *c,
			   struct store_contract_row *r);

/* Record a contract. Q_ERR_CONFLICT when app_id has one already. */
int store_contract_add(struct store *s, const struct store_contract *c,
		       struct qerr *e);

/* Earlier contracts that are c, claimed by other applications (app_id
 * differs): the same applicant, supplier, number and value; or the same
 * applicant, supplier and value signed at most days before or after. At
 * most max, in the order they were recorded; *n gets how many. */
int store_contract_same(struct store *s, const struct store_contract *c,
			int days, struct store_contract_row *out, size_t max,
			size_t *n, struct qerr *e);

/* Contracts of other applications between c's applicant and supplier,
 * signed from `from` to `to` (inclusive) with lo <= value < hi, whose
 * number is not c's: the first max by signing date into out (*n), and
 * *count and *sum over all of them. */
int store_contract_between(struct store *s, const struct store_contract *c,
			   int32_t from, int32_t to, money_t lo, money_t hi,
			   struct store_contract_row *out, size_t max,
			   size_t *n, int64_t *count, money_t *sum,
			   struct qerr *e);

/* The contracts of applicant's applications, in the order they were
 * recorded, at most max: fn(arg, c) for each, c and its strings (full,
 * never cut) valid during the call only; fn must not call the store, and
 * stops the walk by answering non-zero, which is then the answer (the
 * statement reset). Q_OK when every row was visited, or the error. */
int store_contracts_of(struct store *s, const char *applicant, size_t max,
		       int (*fn)(void *arg, const struct store_contract *c),
		       void *arg, struct qerr *e);

/* One entry of the registry of controllers: controller (a person's ID
 * number or a firm's USCC) controls the firm uscc, according to source. */
struct store_controller {
	char uscc[20];
	char controller[64];
	char name[128];
	char source[128];
};

/* Add an entry, or replace its name and source when (uscc, controller)
 * is there already. */
int store_controller_add(struct store *s, const struct store_controller *c,
			 struct qerr *e);

/* The registry's controllers of uscc: at most max into out, *n. */
int store_controllers_of(struct store *s, const char *uscc,
			 struct store_controller *out, size_t max, size_t *n,
			 struct qerr *e);

/* A firm on an imported list: list is "dishonest" or "restricted". */
struct store_listing {
	char list[16];
	char uscc[20];
	char name[128];
	char reason[128];
	char source[128];
};

/* Put a firm on a list, or replace its entry. The list is named by 1 to 15
 * of a-z, 0-9, '-' and '_' (Q_ERR_INVALID otherwise); which names an
 * office knows is the office's to check. */
int store_listing_add(struct store *s, const struct store_listing *l,
		      struct qerr *e);

/* The entry of uscc on list: 0 and *out, Q_NONE (e untouched) when it is
 * not listed, or a Q_ERR_* of the store. */
int store_listing_get(struct store *s, const char *list, const char *uscc,
		      struct store_listing *out, struct qerr *e);

/* Visit every recorded contract (by app_id), every registry entry and
 * every listing, for copying an office (quan migrate). A callback may be
 * NULL; a non-zero return stops the walk (not an error). The record
 * passed is valid only during the call. */
int store_screens_each(struct store *s,
		       int (*contract)(void *arg,
				       const struct store_contract *c),
		       int (*controller)(void *arg,
					 const struct store_controller *c),
		       int (*listing)(void *arg, const struct store_listing *l),
		       void *arg, struct qerr *e);

/* --- public notices (公示) and objections ---------------------------------- */

/* A public notice: awarded applications of program posted from opened_on
 * to ends_on (its last day, both office calendar days). */
struct store_notice {
	char id[96]; /* "<program>-notice-<n>" */
	char program[64];
	qdate opened_on, ends_on;
	int working_days;
	char opened_by[64];
	int64_t opened_at;
	/* who closed it and when (epoch seconds); "" and 0 while open */
	char closed_by[64];
	int64_t closed_at;
};

/* How many notices program has had (*n). */
int store_notice_count(struct store *s, const char *program, int64_t *n,
		       struct qerr *e);

/* Record notice n; Q_ERR_CONFLICT when its id is taken. */
int store_notice_add(struct store *s, const struct store_notice *n,
		     struct qerr *e);

/* Post application app_id in notice notice_id with the amount awarded
 * (fen): Q_ERR_CONFLICT when it is in a notice already (an application is
 * posted once). */
int store_notice_award_add(struct store *s, const char *app_id,
			   const char *notice_id, money_t amount,
			   struct qerr *e);

/* The notice app_id is posted in: 0 and *out, or Q_NONE (e untouched). */
int store_notice_of(struct store *s, const char *app_id,
		    struct store_notice *out, struct qerr *e);

/* Notice id: 0 and *out, or Q_NONE (e untouched). */
int store_notice_get(struct store *s, const char *id, struct store_notice *out,
		     struct qerr *e);

/* Close notice id, by whom and when; a closed notice stays as it was
 * (the caller reads it first, in the same transaction). */
int store_notice_close(struct store *s, const char *id, const char *by,
		       int64_t at, struct qerr *e);

/* Visit the applications posted in notice id, in id order, with the
 * amount posted (0 when posted before schema 16): fn(arg, app_id, amount)
 * returns non-zero to stop. At most OFFICE_NOTICE_MAX are posted, so the
 * ids are read in one go before fn is called. */
int store_notice_awards(struct store *s, const char *id,
			int (*fn)(void *arg, const char *app_id,
				  money_t amount),
			void *arg, struct qerr *e);

/* An objection to an award, lodged during its notice. */
struct store_objection {
	char app_id[64];
	int64_t seq; /* 1, 2, ... per application */
	char notice_id[96];
	char why[512];
	char lodged_by[64];
	int64_t lodged_at;
	/* "open", "upheld" or "dismissed"; by whom and when it was decided
	 * ("" and 0 while open). Read by store_notices_each only. */
	char outcome[12];
	char decided_by[64];
	int64_t decided_at;
};

/* How many objections app_id has had (*n), whatever their outcome. */
int store_objection_count(struct store *s, const char *app_id, int64_t *n,
			  struct qerr *e);

/* Record objection o, open. */
int store_objection_add(struct store *s, const struct store_objection *o,
			struct qerr *e);

/* The open objection to app_id: 0 and *out, or Q_NONE (e untouched). */
int store_objection_open(struct store *s, const char *app_id,
			 struct store_objection *out, struct qerr *e);

/* Close the open objection seq of app_id with outcome "upheld" or
 * "dismissed", by whom and when. */
int store_objection_decide(struct store *s, const char *app_id, int64_t seq,
			   const char *outcome, const char *by, int64_t at,
			   struct qerr *e);

/* Visit every notice (by id), every posted award (by application) and
 * every objection (by application, then seq), for copying an office
 * (quan migrate). A callback may be NULL; a non-zero return stops the
 * walk (not an error). The record passed is valid only during the call. */
int store_notices_each(struct store *s,
		       int (*notice)(void *arg, const struct store_notice *n),
		       int (*award)(void *arg, const char *app_id,
				    const char *notice_id, money_t amount),
		       int (*objection)(void *arg,
					const struct store_objection *o),
		       void *arg, struct qerr *e);

/* --- idempotency keys ------------------------------------------------------ */

#define STORE_KEY_MAX 128 /* bytes of a client's idempotency key */

/* An idempotency key as recorded with the move it made: the client's key
 * under a verb and its subject (an application's id), the SHA-256 (hex)
 * of the request it came with, and the answer first given (JSON text). */
struct store_key {
	char verb[16];
	char subject[96];
	char key[STORE_KEY_MAX + 1];
	char request[65];
	char *answer; /* owned by whoever filled the record */
	char by[64];
	int64_t at;
};

/* The key recorded under verb, subject and key: 0 with request (65 bytes)
 * and *answer (malloc'd, the caller frees), Q_NONE (e untouched) when
 * there is none, or a Q_ERR_* of the store. */
int store_key_get(struct store *s, const char *verb, const char *subject,
		  const char *key, char *request, char **answer,
		  struct qerr *e);

/* Record k in the current transaction; Q_ERR_CONFLICT when its verb,
 * subject and key are recorded already. */
int store_key_put(struct store *s, const struct store_key *k, struct qerr *e);

/* Visit every recorded key in (verb, subject, key) order (quan migrate
 * copies them); the record is valid only during the call. */
int store_keys_each(struct store *s,
		    int (*fn)(void *arg, const struct store_key *k), void *arg,
		    struct qerr *e);

/* --- running totals ----------------------------------------------------------- */

/* The store's running totals, kept by triggers in the transaction of
 * every change (migration 15), whoever writes: what the report reads
 * instead of every application and account. */

/* The generation of the office's data as the database holds it now (a
 * read; store_generation answers what this handle last saw): it differs
 * from an earlier answer exactly when a write transaction committed in
 * between, whoever wrote. */
int store_generation_read(struct store *s, int64_t *n, struct qerr *e);

/* Visit the count of program's applications per measure, fiscal year and
 * state (enum app_state), in that order; counts of 0 may be visited. */
int store_app_tallies_each(struct store *s, const char *program,
			   int (*fn)(void *arg, const char *measure, int year,
				     int state, int64_t n),
			   void *arg, struct qerr *e);

/* The sums of the applicants' accounts whose code is prefix + "/<USCC>"
 * ("<program>/<pool>/<year>/awarded"): debits_posted, credits_posted and
 * debits_pending of *sum (its other fields 0); all 0 when there are none. */
int store_account_tally(struct store *s, const char *prefix,
			struct ledger_account *sum, struct qerr *e);

/* --- payment batches (migration 19, store_batches.c) ------------------------ */

#define STORE_BATCH_ID_MAX 32 /* "PB-2025-0001" */
#define STORE_VOUCHER_MAX 32  /* "PZ-2025-000001" */
#define STORE_ACCOUNT_MAX 48  /* a payee's bank account, as written */
#define STORE_BANK_REF_MAX 129

/* A payment batch: what finance grouped to pay together. program and
 * measure are the filters it was made with ("" for none). */
struct store_batch {
	char id[STORE_BATCH_ID_MAX];
	int year;
	int64_t seq; /* its number in the year */
	char program[64], measure[64], made_by[64];
	int64_t made_at;
};

/* One payment of a batch, under its voucher number. state is "planned",
 * "paid" (disbursed; bank_ref the bank's reference when one was given)
 * or "settled" (matched on a bank statement of day settled_on). */
struct store_pay_item {
	char voucher[STORE_VOUCHER_MAX];
	int year;
	int64_t seq;
	char batch_id[STORE_BATCH_ID_MAX];
	char app_id[64];
	money_t amount;
	char payee_account[STORE_ACCOUNT_MAX];
	char payee_name[256];
	char state[12];
	char bank_ref[STORE_BANK_REF_MAX];
	char paid_by[64];
	int64_t paid_at;
	char settled_on[16], settled_by[64];
	int64_t settled_at;
};

/* The next free number of a batch (*seq) or of a voucher in year: one
 * more than the highest used, so a number is never given twice (rows are
 * never deleted). Call inside the write transaction that uses it. */
int store_batch_next(struct store *s, int year, int64_t *seq, struct qerr *e);
int store_voucher_next(struct store *s, int year, int64_t *seq, struct qerr *e);

/* Record a batch, or one of its payments (state planned). Q_ERR_CONFLICT
 * when the id or voucher is taken. */
int store_batch_add(struct store *s, const struct store_batch *b,
		    struct qerr *e);
int store_pay_item_add(struct store *s, const struct store_pay_item *it,
		       struct qerr *e);

/* The batch or payment with this id or voucher: 0 and *out, or Q_NONE. */
int store_batch_get(struct store *s, const char *id, struct store_batch *out,
		    struct qerr *e);
int store_pay_item_get(struct store *s, const char *voucher,
		       struct store_pay_item *out, struct qerr *e);

/* The voucher of app_id's planned payment into voucher
 * (STORE_VOUCHER_MAX bytes): 0, or Q_NONE when it has none. */
int store_pay_item_planned_of(struct store *s, const char *app_id,
			      char *voucher, struct qerr *e);

/* Visit every batch (by id), or every payment (by voucher) of batch_id
 * ("" or NULL: of all batches); fn returns non-zero to stop. */
int store_batches_each(struct store *s,
		       int (*fn)(void *arg, const struct store_batch *b),
		       void *arg, struct qerr *e);
int store_pay_items_each(struct store *s, const char *batch_id,
			 int (*fn)(void *arg, const struct store_pay_item *it),
			 void *arg, struct qerr *e);

/* A planned payment paid by `by` at `at`, with the bank's reference ("" for
 * none yet); a paid payment settled by a statement line of day `on`
 * (YYYY-MM-DD) carrying bank_ref. A payment in another state is left as
 * it is (the caller checked). */
int store_pay_item_paid(struct store *s, const char *voucher, const char *by,
			int64_t at, const char *bank_ref, struct qerr *e);
int store_pay_item_settle(struct store *s, const char *voucher,
			  const char *bank_ref, const char *on, const char *by,
			  int64_t at, struct qerr *e);

/* --- test hooks: fault injection ------------------------------------------ */

/* For tests only (the simulator, tests/unit/test_vopr.c); never called by
 * quan itself. After n more calls that reach the database (a statement,
 * the begin, commit, savepoint or release of a transaction, whether from a
 * store function or from a callback of the ledger_io that
 * store_ledger_io() hands out), every such call fails without reaching
 * it, with Q_ERR_IO (e says "injected fault"; a ledger callback answers
 * -1). n = 0 refuses the next call. store_rollback() and
 * store_savepoint_rollback() are never refused, so a refused transaction
 * can still be rolled back. n < 0 turns the hook off. Not thread-safe. */
void store_fault_after(struct store *s, long n);

/* The same, but only the one call after the n more fails; the calls after
 * it pass again (a transient error). */
void store_fault_once(struct store *s, long n);

/* The same, but the call after the n more is a crash: the process kills
 * itself with SIGKILL before the call reaches the database (for a forked
 * child of a test). */
void store_fault_kill_after(struct store *s, long n);

/* How many calls the hook refused since it was last set. */
long store_fault_refused(struct store *s);

/* --- evidence: documents filed under applications ------------------------ */

/* The largest document a store keeps (bytes): the office's cap (evidence
 * size cap, set lower by the caller) may not exceed it. */
#define STORE_DOC_MAX ((size_t)64 << 20)

/* A document filed under an application: which file (its SHA-256, hex),
 * as what kind, under the name it was sent as, for which payment tranche
 * (0: the application itself), by whom and when; type and size are the
 * file's own (read with it). */
struct store_doc_link {
	char app_id[64];
	int64_t seq; /* 1, 2, 3 ... within the application */
	char sha256[65];
	char kind[16];
	char name[256];
	int64_t payment;
	char by[64];
	int64_t at;
	char type[8];
	int64_t size;
};

/* Keep the bytes data (len, 1..STORE_DOC_MAX) of type under their hex
 * SHA-256 sha256 (which the caller computed), unless kept already: a file
 * is stored once however often it is filed. */
int store_doc_put(struct store *s, const char *sha256, const char *type,
		  const uint8_t *data, size_t len, int64_t now, struct qerr *e);

/* The file with this hash: 0, its type (8 bytes) and a malloc'd copy of
 * its bytes (*data, *len; the caller frees); Q_NONE when none. */
int store_doc_get(struct store *s, const char *sha256, char *type,
		  uint8_t **data, size_t *len, struct qerr *e);

/* File l under its application: l->seq is set (the next of the
 * application's). Inside a write transaction. */
int store_doc_link_add(struct store *s, struct store_doc_link *l,
		       struct qerr *e);

/* *n: how many documents application app_id holds in total. */
int store_doc_link_count(struct store *s, const char *app_id, int64_t *n,
			 struct qerr *e);

/* *n: how many documents of kind application app_id holds for payment
 * tranche payment (0: the application itself). */
int store_doc_kind_count(struct store *s, const char *app_id, const char *kind,
			 int64_t payment, int64_t *n, struct qerr *e);

/* Visit the documents of application app_id (app_id NULL: of every
 * application, by application) in the order they were filed. */
int store_doc_links_each(struct store *s, const char *app_id,
			 int (*fn)(void *arg, const struct store_doc_link *l),
			 void *arg, struct qerr *e);

/* *out: whether the file sha256 is filed under an application of the firm
 * uscc ("" : of any application). */
int store_doc_readable(struct store *s, const char *sha256, const char *uscc,
		       bool *out, struct qerr *e);

/* Visit every stored file in hash order, one at a time (a file may be
 * large): fn(arg, sha256, type, data, len, stored_at). */
int store_docs_each(struct store *s,
		    int (*fn)(void *arg, const char *sha256, const char *type,
			      const uint8_t *data, size_t len,
			      int64_t stored_at),
		    void *arg, struct qerr *e);

#endif
