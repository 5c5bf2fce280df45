/*
 * office.h - the life of an application in a program office: apply, review,
 * withdraw, disburse, claw back, and the reports and checks an auditor runs.
 *
 * Each verb is one store transaction: it decides with the engine, moves
 * money with the ledger, records the application's new state and appends
 * an event to the audit chain, or does none of these. Verbs that change
 * state take the name of who did it.
 *
 * Money of one pool and fiscal year sits in these ledger accounts (codes
 * "<program>/<pool>/<year>/<name>"): funding (the counter-account of the
 * budget), available, awarded/<uscc>, paid/<uscc>, recovered, treasury.
 * Reserved money is the pending debits of available. Conservation:
 *   budget = available + reserved + awarded + paid + recovered + treasury.
 */
#ifndef QUAN_OFFICE_H
#define QUAN_OFFICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/money.h"
#include "engine/decide.h"
#include "engine/screen.h"
#include "policy/chips.h"
#include "policy/policy.h"
#include "store/store.h"

#define OFFICE_MAX_PROGRAMS 16
#define OFFICE_MAX_VERSIONS 64 /* older policy versions kept loaded */

/* Where an application's CPU time goes on the write path, when the caller
 * asks (office.phases, for the benchmarks): nanoseconds of the thread's CPU
 * time, summed over n applications. write is everything of an
 * application that is not parse, screens or decide (history, numbering,
 * money, records, audit); commit is the batches' commits. */
struct office_phases {
	int64_t parse_ns, screens_ns, decide_ns, write_ns, commit_ns;
	long n;
};

/* An open program office: a store, the chip catalog, and the policies of
 * its programs (current versions, loaded once). */
struct office {
	struct store *store;
	const struct chip_catalog *chips; /* borrowed */
	struct policy *policies[OFFICE_MAX_PROGRAMS];
	size_t npolicies;
	/* The clock given to the verbs was set by hand (QUAN_NOW: tests,
	 * benchmarks, the demo): every audit event then says so. */
	bool clock_set;
	/* Older policy versions, loaded from the store when a decision made
	 * under one is read (office_policy_version). */
	struct policy *versions[OFFICE_MAX_VERSIONS];
	size_t nversions;
	/* The writer's hot state (hot.c): what the write path reads of the
	 * ledger, in memory and kept equal to the store. */
	struct office_hot *hot;
	/* When not NULL, the write path adds its CPU time here (borrowed). */
	struct office_phases *phases;
	/* The report's self-reliance section as last computed (view.c), and
	 * the store's generation it was computed at: answered again while no
	 * write has committed since. NULL: none yet. */
	json_t *sr_cache;
	int64_t sr_generation;
};

/* Open the office in the store at url. chips is borrowed and must outlive
 * the office. Release with office_close. */
int office_open(struct office *o, const char *url,
		const struct chip_catalog *chips, struct qerr *e);
void office_close(struct office *o);

/* Load the policy file at path into the store (a new version when its hash
 * is new), fund its pools (budget -> available, once per pool and year; a
 * new version that raises a budget adds the difference), and audit it.
 * *is_new says whether the version was new. */
int office_load_policy(struct office *o, const char *path, const char *by,
		       int64_t now, bool *is_new, struct qerr *e);

/* The outcome of one application. */
struct office_result {
	char id[64];	     /* the office's number, "SH-2025-000123" */
	char client_ref[65]; /* the applicant's reference, "" when none */
	int64_t received_at; /* when the office received it */
	int state;	     /* enum app_state */
	bool existed;	     /* the same application had been submitted */
	money_t amount;	     /* reserved or requested */
	/* What the screens found (engine/screen.h): how many flags, whether
	 * one blocked the application, and their names ("duplicate_claim, ..."),
	 * cut to fit. Zero for an application submitted before. */
	unsigned nflags;
	bool blocked;
	char flags[128];
};

/* One application as the office receives it: its JSON text (no id and no
 * submitted_at: the office numbers and stamps), who submits it, and when
 * the office received it: its own clock, or, for an administrator's
 * audited import of historical applications, the time given (imported). */
struct office_intake {
	const char *json;
	size_t len;
	const char *by;
	int64_t received_at;
	bool imported;
	/* The application parsed off the writer (office_prepare, on quan
	 * serve's HTTP threads), or NULL: the writer parses json itself.
	 * Borrowed; the writer sets its id while it works on it. */
	struct office_parsed *parsed;
};

/* An application parsed once, with the facts that do not depend on the
 * office's state (all but the applicant's history), so that the writer
 * only does what does: history, screens, decision, money, records. */
struct office_parsed {
	struct application app;
	struct facts facts;
	/* What receiving it at received_at or building its facts found
	 * wrong, reported by the writer in its turn (after an earlier
	 * application under the same client_ref, as if it had found it). */
	int rc;
	struct qerr err;
};

/* Parse json received at received_at into *out, off the writer and
 * without the store. Returns the parse error (then *out is empty);
 * otherwise 0, with out->rc for what the writer will report. Release with
 * office_parsed_release. chips is the office's catalog. */
int office_prepare(const struct chip_catalog *chips, const char *json,
		   size_t len, int64_t received_at, struct office_parsed *out,
		   struct qerr *e);
void office_parsed_release(struct office_parsed *p);

/* Validate, stamp, number, screen, decide, and reserve (first come first
 * served), queue (pro-rata) or waitlist (the pool cannot cover it) each
 * application of in[0..n), in one transaction (group commit: one fsync for
 * the batch); now is the office's clock, for the events and transfers.
 *
 * Each application is received at in[i].received_at: the window, the
 * fiscal year and the waiting order follow that time, and a contract
 * signed after it is refused. It is numbered PREFIX-YEAR-NNNNNN (the
 * policy's number_prefix, the fiscal year, the next number of the program
 * and year). A client_ref is the idempotency key of the applicant firm (its
 * USCC): the same firm, reference and bytes answer with the recorded
 * application (res->existed); other bytes are Q_ERR_CONFLICT. Another
 * firm's reference is another key.
 *
 * The screens of its measure run first, against every contract this
 * office holds (all programs), the registry of controllers and the
 * imported lists; a blocking flag records it as ineligible with the screen
 * as its reason, a review flag leaves the decision as it is. Either way
 * the flags are in the decision's "flags", and the contract is recorded for
 * the screens of later applications.
 *
 * Each application has its own savepoint: whatever fails in it (rcs[i],
 * errs[i]) rolls back that application alone, and the others still
 * commit; res[i] is set for each that succeeded. Returns 0 when the batch
 * committed, or an error (e) when the store itself failed and nothing of
 * the batch was written. */
int office_intake_batch(struct office *o, const struct office_intake *in,
			size_t n, int64_t now, struct office_result *res,
			int *rcs, struct qerr *errs, struct qerr *e);

/* One application received now, by `by`, in a transaction of its own. */
int office_apply(struct office *o, const char *json, size_t len, const char *by,
		 int64_t now, struct office_result *res, struct qerr *e);

/* n applications received now, all by `by`, in one transaction. */
int office_apply_batch(struct office *o, const char *const *jsons,
		       const size_t *lens, size_t n, const char *by,
		       int64_t now, struct office_result *res, int *rcs,
		       struct qerr *errs, struct qerr *e);

/* The same, each application submitted by its own user (bys[i]; bys NULL:
 * all by `by`), as the server's group commit needs. */
int office_apply_batch_by(struct office *o, const char *const *jsons,
			  const size_t *lens, size_t n, const char *const *bys,
			  const char *by, int64_t now,
			  struct office_result *res, int *rcs,
			  struct qerr *errs, struct qerr *e);

/* Approve (award) a reserved application: post its reservation in full, or
 * at a lower rate (rate_bp >= 0) or approved contract value
 * (approved_value >= 0); the rest returns to available and the waitlist is
 * served. Above the measure's second_approver_above, the first approval is
 * recorded (its amount in its "approve-first" audit event) and a second,
 * different approver posts it: at the first's amount when the second gives
 * no rate and no value, or at the lower amount the second gives; one that
 * would award more than the first approved is Q_ERR_CONFLICT. */
int office_approve(struct office *o, const char *id, rate_bp rate,
		   money_t approved_value, const char *by, int64_t now,
		   struct office_result *res, struct qerr *e);

/* Reject a reserved, waitlisted or queued application, saying why (not
 * empty); releases its money. */
int office_reject(struct office *o, const char *id, const char *why,
		  const char *by, int64_t now, struct office_result *res,
		  struct qerr *e);

/* Withdraw at the applicant's request; releases its money. */
int office_withdraw(struct office *o, const char *id, const char *by,
		    int64_t now, struct office_result *res, struct qerr *e);

/* Record a milestone of an awarded grant (what was achieved) and post the
 * tranche ring-fenced in fiscal year `year`, which can then be paid;
 * *posted gets its amount. */
int office_milestone(struct office *o, const char *id, int year,
		     const char *what, const char *by, int64_t now,
		     money_t *posted, struct qerr *e);

/* Release every reservation whose measure's reservation_days have passed
 * without an approval (state expired), serving the waitlists; *count gets
 * how many. Each is its own transaction. */
int office_expire(struct office *o, const char *by, int64_t now, long *count,
		  struct qerr *e);

/* What a round close did. */
struct office_round {
	long count;	   /* applications in the round */
	money_t demand;	   /* what they asked for */
	money_t available; /* what the pool had */
	money_t awarded;   /* what was reserved: min(demand, available) */
	bool scaled;	   /* demand exceeded the pool */
};

/* Close the round of a pro-rata measure for fiscal year `year`: every
 * queued application is reserved in full when the pool covers the demand;
 * otherwise each gets floor(asked x available / demand) and the leftover
 * fen go one each to the largest remainders, ties to the earlier arrival,
 * so the reservations add up to the pool exactly. One transaction. */
int office_round_close(struct office *o, const char *program,
		       const char *measure, int year, const char *by,
		       int64_t now, struct office_round *out, struct qerr *e);

/* The sharing rule of a round, on its own: awards[i] = asks[i] when the
 * total asked fits in available; otherwise floor(asks[i] x available /
 * demand), plus one fen each for the largest remainders (ties: lower i)
 * until the awards add up to available exactly. asks are in arrival
 * order. Returns 0, Q_ERR_INVALID (a negative ask or total overflow) or
 * Q_ERR_NOMEM. */
int office_pro_rata(const money_t *asks, size_t n, money_t available,
		    money_t *awards);

/* Pay a tranche of an awarded application (awarded -> paid). Without a key
 * each call pays: a caller that may retry goes through office_move with
 * an idempotency key. */
int office_disburse(struct office *o, const char *id, money_t amount,
		    const char *by, int64_t now, struct qerr *e);

/* Record money recovered from an applicant (paid -> recovered -> available
 * or treasury, as the measure says). */
int office_clawback(struct office *o, const char *id, money_t amount,
		    const char *why, const char *by, int64_t now,
		    struct qerr *e);

/* What a settlement did. */
struct office_settlement {
	char id[64];
	int state;		/* enum app_state: still awarded */
	money_t value;		/* the settled value */
	money_t face_value;	/* the contract's value as submitted */
	money_t awarded_before; /* the award before the settlement */
	money_t awarded;	/* the award after it */
	money_t released;	/* returned to the pool: before - after */
	money_t paid;		/* disbursed so far */
	money_t decided;	/* the pool's share of the settled decision */
};

/* At most this many invoices, of at most OFFICE_INVOICE_MAX bytes each,
 * are recorded with a settlement. */
#define OFFICE_INVOICES_MAX 100
#define OFFICE_INVOICE_MAX 128

/* Settle awarded application id on the settled value (the approved or
 * incurred contract value, with its invoices[0..ninvoices), recorded
 * as given): the application is decided again on it as when the office
 * received it (office_approve's approved value), and the award becomes
 * the least of that decision's pool share and the award so far; the
 * difference returns to the pool's available (its waitlist is then
 * served). One audit event "settle" holds the settled value, the award
 * before and after, what was released, the invoices and the settled
 * decision; the stored decision stays the one made at application.
 * Refused (nothing written): a value above the contract's face value (a
 * larger amount needs a new application), a value at which it is not
 * eligible, an award that would fall below what was already paid (a
 * clawback recovers paid money), a grant, and any state but awarded (a
 * reserved application is approved at its approved value instead). */
int office_settle(struct office *o, const char *id, money_t value,
		  const char *const *invoices, size_t ninvoices, const char *by,
		  int64_t now, struct office_settlement *out, struct qerr *e);

/* One pool and fiscal year, as the ledger holds it; a commitment pool is
 * one row for all its years, year its first and until its last. */
struct office_pool_figures {
	char program[64], pool[64];
	int year;
	int until; /* a commitment's last fiscal year; 0 for a yearly budget */
	money_t budget, available, reserved, awarded, paid, recovered, treasury;
	/* Cumulative totals, as finance reads them, beside those balances:
	 * what was ever paid (credits of the paid accounts), what was ever
	 * recovered (credits of recovered), and what was awarded, net of
	 * awards reversed or reduced (still awarded + ever paid). After
	 * awarding 360 000.00, paying 200 000.00 and recovering 50 000.00
	 * they are 360 000.00, 200 000.00 and 50 000.00, where the balances
	 * say awarded 160 000.00, paid 150 000.00, recovered 0.00. */
	money_t total_awarded, total_paid, total_recovered;
	long count[APP__STATE_COUNT];
};

/* Visit every pool and year of every program. */
int office_pools_each(struct office *o,
		      int (*fn)(void *arg, const struct office_pool_figures *f),
		      void *arg, struct qerr *e);

/* The same figures from the store's running totals (store.h): what the
 * report shows, a few reads per pool and year whatever the number of
 * applications. The ledger check holds them equal to office_pools_each's. */
int office_pools_totals(struct office *o,
			int (*fn)(void *arg,
				  const struct office_pool_figures *f),
			void *arg, struct qerr *e);

/* Prove conservation for every pool and year, and debits = credits over
 * the whole ledger. Writes one line per problem to out (naming the
 * account); returns the number of problems, or -1 with e on error. */
long office_ledger_check(struct office *o, FILE *out, struct qerr *e);

/* Re-walk the audit chain. Returns 0 when intact, 1 when an event was
 * changed, removed or reordered (*bad_seq and why say which), -1 on error. */
int office_audit_verify(struct office *o, int64_t *count, int64_t *bad_seq,
			char *why, size_t why_len, struct qerr *e);

/* Re-decide every application under the policy version it was decided
 * with (and the history it was decided with) and report, one line each to
 * out, every decision that would now come out differently. Returns the
 * number that differ (*count: how many were replayed), or -1 with e. */
long office_replay(struct office *o, FILE *out, long *count, struct qerr *e);

/* Decide an application (JSON text) as office_apply would if the office
 * received it at `at` (a hypothetical time), with the applicant's history
 * in this office, saving nothing. *out gets the
 * decision (a new reference; the caller json_decref()s it). */
int office_estimate(struct office *o, const char *json, size_t len, int64_t at,
		    json_t **out, struct qerr *e);

/* The policy version with this hash: a program's current one, or an older
 * version loaded from the store once and kept while the office is open.
 * NULL (e filled) when the store has no such version or it no longer
 * loads. The policy is the office's: never freed by the caller. */
const struct policy *office_policy_version(struct office *o, const char *hash,
					   struct qerr *e);

/* The stored decision of application a as JSON: rendered from its record
 * (engine/record.h) under the policy version it was made with, with the
 * rules' ids, places and words, the history it was made with and the
 * screens' flags; or, for a decision stored as JSON by an older version,
 * that JSON. *out is a new reference (the caller json_decref()s it). */
int office_decision_json(struct office *o, const struct store_app *a,
			 json_t **out, struct qerr *e);

/* --- moving money under an idempotency key --------------------------------- */

/* The verbs that move money, as office_move takes them. */
enum office_move_verb {
	OFFICE_MOVE_APPROVE,
	OFFICE_MOVE_DISBURSE,
	OFFICE_MOVE_CLAWBACK,
	OFFICE_MOVE_MILESTONE,
	OFFICE_MOVE_SETTLE,
	OFFICE_MOVE_UPHOLD, /* an objection decided: upheld */
	OFFICE_MOVE_DISMISS /* or dismissed */
};

#define OFFICE_KEY_MAX 128 /* bytes of an idempotency key */

/* One request that moves money: the verb, its application, its key, and
 * the arguments of its verb (the others are ignored). */
struct office_move {
	enum office_move_verb verb;
	const char *id;
	/* The idempotency key (1..OFFICE_KEY_MAX bytes of printable ASCII,
	 * no space), or NULL / "" for none: then the request moves money
	 * each time it is sent. */
	const char *key;
	rate_bp rate;	 /* approve: -1 for none */
	money_t value;	 /* approve: the approved value (-1: none);
			   settle: the settled value */
	money_t amount;	 /* disburse, clawback */
	int year;	 /* milestone: the tranche's fiscal year */
	const char *why; /* clawback, milestone (what was achieved), the
			    decision on an objection (NULL allowed) */
	const char *const *invoices; /* settle */
	size_t ninvoices;
};

/* Whether key (len bytes) is a well-formed idempotency key. */
bool office_key_valid(const char *key, size_t len);

/* Do mv by `by` at now, as the verb's own function does, and answer
 * *answer (a new JSON object the caller json_decref()s): the application's
 * id and state, what this request did (the verb's own fields: "amount"
 * paid, recovered or awarded now, "posted", "returned", a settlement's
 * figures), and the application's totals after it: "awarded", "paid"
 * (disbursed so far), "recovered" and "remaining" (awarded - paid, left
 * to pay), and "replayed".
 *
 * A key is scoped to the verb (the two outcomes of an objection share
 * one) and the application, and recorded in the transaction that moved
 * the money, with a hash of the request (who sent it and every argument)
 * and the answer. The same key with the same request answers that first
 * answer again, with "replayed": true, and moves nothing; with another
 * request it is Q_ERR_CONFLICT and moves nothing. A refused request
 * records nothing: its key may be used again. */
int office_move(struct office *o, const struct office_move *mv, const char *by,
		int64_t now, json_t **answer, struct qerr *e);

/* --- screens --------------------------------------------------------------- */

/* The screens' lookups (engine/screen.h) over this office's store, for
 * whoever runs screen_run() outside office_apply (the benchmark). Valid
 * while the office is open. */
void office_screen_io(struct office *o, struct screen_io *io);

/* Import the registry of controllers from CSV text (a header line naming
 * the columns uscc, controller_id, and optionally name and source, in any
 * order; then one controller of one firm per line). Every USCC is checked;
 * a bad line refuses the whole file (e names the line). One transaction,
 * audited as "registry-import"; *count gets the number of entries. */
int office_registry_import(struct office *o, const char *csv, size_t len,
			   const char *name, const char *by, int64_t now,
			   long *count, struct qerr *e);

/* Import a list ("dishonest" or "restricted") from CSV text: columns uscc,
 * and optionally name, reason and source. As office_registry_import,
 * audited as "list-import". */
int office_list_import(struct office *o, const char *list, const char *csv,
		       size_t len, const char *name, const char *by,
		       int64_t now, long *count, struct qerr *e);

/* --- users of the server -------------------------------------------------- */

#define OFFICE_TOKEN_TEXT 68 /* "qt_" + 64 hex (256 random bits) + NUL */

/* Whether role is one of administrator, reviewer, finance, auditor,
 * applicant. */
bool office_role_known(const char *role);

#define OFFICE_TOKEN_DAYS 90	   /* an API token's life by default */
#define OFFICE_TOKEN_DAYS_MAX 3650 /* and at most */

/* A new user: name (no spaces), role, and for an applicant the USCC of its
 * firm (NULL or "" for staff); password_hash an argon2id string
 * (core/pwhash.h) or NULL for none; token_days the life of its API token
 * (0: OFFICE_TOKEN_DAYS). */
struct office_new_user {
	const char *name, *role, *uscc, *password_hash;
	int token_days;
};

/* Add a user (checked). A new random 256-bit bearer token is written to
 * token (OFFICE_TOKEN_TEXT bytes): it is shown once, and only its SHA-256
 * is stored. Audited as "user-add" by `by`. Q_ERR_CONFLICT: name taken. */
int office_user_add(struct office *o, const struct office_new_user *nu,
		    const char *by, int64_t now, char *token, struct qerr *e);

/* Remove the user called name (its token and sessions stop working at
 * once), audited as "user-remove" by `by`. Q_ERR_NOT_FOUND when there is
 * none. */
int office_user_remove(struct office *o, const char *name, const char *by,
		       int64_t now, struct qerr *e);

/* The user called name: 0 and *out, or Q_NONE. */
int office_user_get(struct office *o, const char *name, struct store_user *out,
		    struct qerr *e);

/* Set the password of the user called name to password_hash (argon2id,
 * made by the caller) and end its sessions; audited as "user-password".
 * Q_ERR_NOT_FOUND when there is none. */
int office_user_password(struct office *o, const char *name,
			 const char *password_hash, const char *by, int64_t now,
			 struct qerr *e);

/* Change the role (NULL: kept), the USCC (NULL: kept, or cleared when the
 * new role is staff) and the switch (disabled 1 off, 0 on, -1 kept) of the
 * user called name, checked as a new user is; its sessions end. Audited
 * as "user-change". */
int office_user_change(struct office *o, const char *name, const char *role,
		       const char *uscc, int disabled, const char *by,
		       int64_t now, struct qerr *e);

/* Rotate the API token of the user called name in place: a new one into
 * token (OFFICE_TOKEN_TEXT bytes) living days (0: OFFICE_TOKEN_DAYS), and
 * the old one stops working. Audited as "user-token". */
int office_user_token(struct office *o, const char *name, int days,
		      const char *by, int64_t now, char *token, struct qerr *e);

/* The user holding token (len bytes): 0 and *out, Q_NONE when no user holds it
 * (a malformed token included), or an error of the store. The caller
 * judges out->token_expires_at and out->disabled. */
int office_user_by_token(struct office *o, const char *token, size_t len,
			 struct store_user *out, struct qerr *e);

/* Visit every user in name order (fn returns non-zero to stop). */
int office_user_each(struct office *o,
		     int (*fn)(void *arg, const struct store_user *u),
		     void *arg, struct qerr *e);

/* --- sessions ------------------------------------------------------------------ */

/* How long a session lives: idle seconds since it was last used, and max
 * seconds since it began (both > 0). */
struct office_session_limits {
	int64_t idle, max;
};

/* A session that exists but is past its time (or its user disabled):
 * outside the error range, like Q_NONE. */
#define OFFICE_SESSION_EXPIRED 101

/* Open a session for the user called name (its password already
 * verified) from address: its token ("qs_...") into token and the CSRF
 * token its writes must carry ("qc_...") into csrf, OFFICE_TOKEN_TEXT
 * bytes each. Sessions past their time are removed. Audited as
 * "sign-in" with the address. */
int office_session_open(struct office *o, const char *name,
			const struct office_session_limits *lim,
			const char *address, int64_t now, char *token,
			char *csrf, struct qerr *e);

/* The session of token (len bytes) at now, with its user: 0 and *out,
 * Q_NONE when there is none, OFFICE_SESSION_EXPIRED when it is past its
 * time, or an error of the store. A live session is marked used. */
int office_session_find(struct office *o, const char *token, size_t len,
			const struct office_session_limits *lim, int64_t now,
			struct store_session *out, struct qerr *e);

/* End the session of token, audited as "sign-out" by name; Q_NONE for a
 * malformed token. */
int office_session_close(struct office *o, const char *token, size_t len,
			 const char *name, int64_t now, struct qerr *e);

/* --- public notice (公示) ------------------------------------------------ */

struct holidays;

/* At most this many awards are posted in one notice. */
#define OFFICE_NOTICE_MAX 1000
#define OFFICE_OBJECTION_MAX 511 /* bytes of an objection's reasons */

/* A notice as opened. */
struct office_notice {
	char id[96];
	char program[64];
	qdate opened_on, ends_on; /* its first and last day */
	int working_days;
	size_t n; /* awards posted */
};

/* Open a public notice over the awarded applications ids[0..n) of
 * program (none a grant, none paid, none in a notice before), in one
 * transaction with one audit event "notice-open" (subject: the notice's
 * id). It runs from the office's day of now for the longest public_notice
 * of their measures, in working days of cal (borrowed); while it runs
 * their payment is refused. Refused (nothing written): an unknown
 * program or application, one of another program or state, a measure
 * without public_notice among all of them, and a notice that would reach
 * a year cal does not hold (Q_ERR_INVALID naming the year). */
int office_notice_open(struct office *o, const struct holidays *cal,
		       const char *program, const char *const *ids, size_t n,
		       const char *by, int64_t now, struct office_notice *out,
		       struct qerr *e);

/* Open a notice over every awarded application of program (of measure
 * alone unless NULL) that waits for one: unpaid, of a measure with
 * public_notice, in no notice yet; then as office_notice_open.
 * Q_ERR_CONFLICT when none waits. */
int office_notice_open_program(struct office *o, const struct holidays *cal,
			       const char *program, const char *measure,
			       const char *by, int64_t now,
			       struct office_notice *out, struct qerr *e);

/* Close notice id once its working days have run (from the day after its
 * last), with no objection left open among its awards: they become
 * payable, those whose objection was upheld stay rejected. One
 * transaction, audit event "notice-close" listing both. out->n counts the
 * payable awards. Q_ERR_NOT_FOUND for an unknown notice, Q_ERR_CONFLICT
 * before its end, with an objection open, or when closed already. */
int office_notice_close(struct office *o, const char *id, const char *by,
			int64_t now, struct office_notice *out, struct qerr *e);

/* Write notice id to path as "csv", "xlsx" (libxlsxwriter) or "html" (a
 * printable A4 page in Chinese headed with the issuing office, the
 * program's name and its document number): one row per award posted
 * with the firm, its USCC, the measure, the amount and its outcome.
 * Reads only what is stored. */
int office_notice_export(struct office *o, const char *id, const char *format,
			 const char *path, struct qerr *e);

/* The notices as JSON into *out (the caller decrefs): id NULL, an array
 * of every notice (id, program, opened_on, ends_on, working_days,
 * opened_by, closed, closed_by); otherwise that notice with "awards", one
 * object per award as the exports write it. Q_ERR_NOT_FOUND for an
 * unknown id. */
int office_notices_json(struct office *o, const char *id, json_t **out,
			struct qerr *e);

/* Write the letter of kind "decision", "rejection", "award" or
 * "clawback" for application id to f: printable A4 HTML in Chinese with
 * the program's name, its document number (文号) and the issuing office,
 * the stored figures and the reasons in words. Reads only what is stored
 * (view_app); Q_ERR_CONFLICT when the application's state does not fit
 * the kind (a rejection letter for an award). */
int office_letter(struct office *o, const char *id, const char *kind, FILE *f,
		  struct qerr *e);

/* Lodge an objection (why: 1..OFFICE_OBJECTION_MAX bytes) against the
 * award of application id while its notice runs; it holds the award from
 * payment until a reviewer decides it. One at a time per award. Audit
 * event "object". */
int office_object(struct office *o, const char *id, const char *why,
		  const char *by, int64_t now, struct qerr *e);

/* Decide the open objection to application id: upheld, the award is
 * reversed (awarded -> the pool's available, one audited transfer), the
 * application rejected and the pool's waitlist served (audit event
 * "uphold"); dismissed, the award stands and is paid once the notice has
 * been closed (audit event "dismiss"). why may be NULL. res gets the outcome. */
int office_objection_decide(struct office *o, const char *id, bool uphold,
			    const char *why, const char *by, int64_t now,
			    struct office_result *res, struct qerr *e);

/* --- evidence (evidence.c) ------------------------------------------------ */

/* The default cap on one document (bytes): 20 MiB. */
#define OFFICE_DOC_CAP_DEFAULT ((size_t)20 << 20)
#define OFFICE_DOC_NAME_MAX 255 /* bytes of a document's name */
#define OFFICE_DOCS_PER_APP 500 /* documents one application may hold */

/* A document to file: its bytes, kind ("contract", "invoice", "receipt",
 * "acceptance"), the name it was sent as, and the payment tranche it
 * supports (1, 2 ...; 0: the application itself); cap is the most bytes
 * taken (0: OFFICE_DOC_CAP_DEFAULT; at most STORE_DOC_MAX). */
struct office_doc_in {
	const char *app_id;
	const uint8_t *data;
	size_t len;
	const char *kind;
	const char *name;
	int64_t payment;
	size_t cap;
};

/* File document in under its application: its type read from its bytes
 * (PDF, JPEG, PNG, OFD: core/doctype.h), the bytes kept once by their
 * SHA-256, the filing recorded, and one audit event "attach" (subject:
 * the application) carrying the hash, in one transaction. Anything
 * refused (type, size, kind, name, no such application) writes nothing:
 * Q_ERR_TOO_LARGE over the cap, Q_ERR_INVALID otherwise, Q_ERR_NOT_FOUND
 * for the application. *out (may be NULL) gets the filing. */
int office_attach(struct office *o, const struct office_doc_in *in,
		  const char *by, int64_t now, struct store_doc_link *out,
		  struct qerr *e);

/* The bytes of the file with hex SHA-256 sha256 (a malloc'd copy the
 * caller frees, and its type: doctype_name), for someone of the firm
 * uscc ("": staff, who see all). Q_ERR_NOT_FOUND when there is none or
 * it is filed under no application of that firm (the same answer, so a
 * firm learns nothing of another's files). */
int office_document(struct office *o, const char *sha256, const char *uscc,
		    char *type, uint8_t **data, size_t *len, struct qerr *e);

/* Q_OK when application a (measure m of p) holds the documents its
 * measure requires before approval (payment 0) or before its payment
 * tranche payment (`evidence:` in the policy); Q_ERR_CONFLICT naming the
 * missing kinds otherwise. Inside the caller's transaction. */
int office_evidence_hold(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t payment,
			 struct qerr *e);

/* The number of the next payment tranche of application id (how many
 * disbursements it has had, plus one). */
int office_next_tranche(struct office *o, const char *id, int64_t *n,
			struct qerr *e);

/* --- the auditor's desk (desk.c) -------------------------------------------- */

/* One page of the audit log that f selects, as {"events": [...],
 * "next_after": the last seq when the page is full, else null}; each
 * event with its seq, time, who, action, subject, detail (parsed) and
 * hash. *out is the caller's. */
int office_events(struct office *o, const struct store_event_filter *f,
		  json_t **out, struct qerr *e);

/* Audit a failed sign-in (event "sign-in-failed", by "anonymous", subject
 * the name tried, cut to fit): detail says how (the reason, a mark of the
 * address, how many failures); never a password. detail is stolen. */
int office_sign_in_failed(struct office *o, const char *name, json_t *detail,
			  int64_t now, struct qerr *e);

/* office_replay with at most max lines of differences kept, as
 * {"ok", "replayed", "differ", "problems": [...], "cut": whether lines
 * were left off}. *out is the caller's. */
int office_replay_json(struct office *o, long max, json_t **out,
		       struct qerr *e);

#endif
