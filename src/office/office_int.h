/*
 * office_int.h - what the files of the program office share with each
 * other, and with no one else (view.c aside: it takes account codes apart
 * with office_code_parse). The office is split by verb:
 *
 *   office.c     open and close, loading a policy (funding its pools), the
 *                audit append
 *   lifecycle.c  the lifecycle table: the verbs allowed in each state and
 *                the states they lead to; loading an application for a
 *                change, and writing the change with its audit event
 *   pool.c       accounts and their codes, reserve, release, the waitlist
 *                and serving it, a grant's tranches
 *   apply.c      intake: parse, stamp, number, client_ref, screens, decide,
 *                reserve / queue / waitlist, batches; estimates
 *   review.c     approve, reject, withdraw, expire
 *   pay.c        disburse, clawback, milestone
 *   settle.c     settlement: the award re-decided on the settled value
 *   round.c      pro-rata rounds and the sharing rule (office_pro_rata)
 *   check.c      a pool's figures, the ledger check, replay, a decision as
 *                JSON, older policy versions
 *   verify.c     the balances recomputed from the transfers; audit verify:
 *                the chain, then transfers, applications and users held to
 *                it
 *   registry.c   the screens' lookups, registry and list imports
 *   users.c      users of the server and their tokens
 *
 * Functions used by one file stay static in it; the rest are declared here,
 * office_-prefixed (or static inline).
 */
#ifndef QUAN_OFFICE_INT_H
#define QUAN_OFFICE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "office/office.h"

/* What a transfer is for (struct ledger_transfer.code). */
enum xfer_code {
	XFER_BUDGET = 1,
	XFER_RESERVE,
	XFER_AWARD,
	XFER_RELEASE,
	XFER_DISBURSE,
	XFER_CLAWBACK,
	XFER_RETURN,
	XFER_SETTLE,  /* awarded -> available: what a settlement released */
	XFER_REVERSE, /* awarded -> available: an award an upheld objection
			 reversed */
};

/* Applications one waitlist, round or expiry run takes in at once. */
#define MAX_WAITLIST 4096

/* A grant spans at most this many fiscal years, one tranche each. */
#define GRANT_MAX_TRANCHES 10

static inline json_t *office_money_j(money_t m)
{
	char buf[MONEY_TEXT_MAX];

	return json_string(money_format(m, buf));
}

/* Whether measure m of p awards grants (spread over fiscal years). */
static inline bool office_is_grant(const struct policy *p, int m)
{
	return p->measures[m].grant_years_min > 0;
}

/* --- office.c ------------------------------------------------------------- */

/* The current policy of program, NULL when the office has none. */
const struct policy *office_policy_of(struct office *o, const char *program);

/* Append an event to the audit chain in the current transaction; detail
 * is a JSON object whose reference is stolen (NULL: none). */
int office_audit(struct office *o, const char *action, const char *subject,
		 const char *policy_hash, const char *by, int64_t now,
		 json_t *detail, struct qerr *e);

/* One member of an audit event's detail: its key and its value, as
 * canonical JSON text (raw, written with office_text_*) or, when raw is
 * NULL, a jansson value (borrowed). */
struct office_member {
	const char *key;
	const char *raw;
	json_t *value;
};

/* Members an event's caller may add to its detail (office_audit_with). */
#define OFFICE_MEMBERS_MAX 16

/* office_audit with members m[0 .. nm-1] added to detail (replacing the
 * detail's own of the same key); detail may be NULL. The event's text is
 * the same as office_audit of one object holding them all. */
int office_audit_with(struct office *o, const char *action, const char *subject,
		      const char *policy_hash, const char *by, int64_t now,
		      json_t *detail, const struct office_member *m, size_t nm,
		      struct qerr *e);

/* --- audit_text.c ----------------------------------------------------------- */

/* JSON text being written as the audit chain stores it: jansson's
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS), byte for byte. Zero it to
 * begin. A failure (memory, the size limit, a string that is not UTF-8)
 * sticks, and office_text_take then answers NULL. */
struct office_text {
	char *buf;
	size_t len, cap;
	bool failed;
	struct yajl_gen_t *g; /* the strings' escaper, made on first use */
};

void office_text_raw(struct office_text *t, const char *s, size_t n);
void office_text_str(struct office_text *t, const char *s);
void office_text_money(struct office_text *t, money_t m);
void office_text_int(struct office_text *t, int64_t n);
/* Any jansson value, objects with their keys sorted. */
void office_text_json(struct office_text *t, json_t *v);
/* The text, malloc'd (the caller frees it; t is emptied), or NULL on a
 * failure (t released). */
char *office_text_take(struct office_text *t);
void office_text_release(struct office_text *t);

/* The text of object detail (NULL: empty) with extra[0 .. nextra-1]
 * replacing or adding members: malloc'd, or NULL when out of memory. */
char *office_detail_text(json_t *detail, const struct office_member *extra,
			 size_t nextra);

/* --- lifecycle.c ---------------------------------------------------------- */

/* What can be done to an application: the columns of the lifecycle table
 * (lifecycle.c). */
enum office_verb {
	VERB_APPLY,	/* intake: a new (or imported) application */
	VERB_SERVE,	/* served from the waitlist when money frees up */
	VERB_ROUND,	/* its pro-rata round closes */
	VERB_APPROVE,	/* an award, or the first of two approvals */
	VERB_REJECT,	/* by a reviewer, saying why */
	VERB_WITHDRAW,	/* at the applicant's request */
	VERB_EXPIRE,	/* its reservation ran out unapproved */
	VERB_MILESTONE, /* a grant's tranche of one year posted */
	VERB_DISBURSE,	/* a payment */
	VERB_CLAWBACK,	/* money recovered */
	VERB_SETTLE,	/* the award re-decided on the settled value */
	VERB_NOTICE,	/* the award posted in a public notice (公示) */
	VERB_OBJECT,	/* an objection lodged against it during the notice */
	VERB_UPHOLD,	/* the objection upheld: the award reversed */
	VERB_DISMISS,	/* the objection dismissed */
	VERB__COUNT
};

/* The row of an application not yet recorded (before VERB_APPLY). */
#define OFFICE_NEW APP__STATE_COUNT

/* Whether verb v may act on an application in state (OFFICE_NEW or an
 * enum app_state); grant: its measure awards grants. */
bool office_verb_allowed(int state, enum office_verb v, bool grant);

/* Whether verb v may lead from state `from` to state `to`. */
bool office_step_allowed(int from, enum office_verb v, int to, bool grant);

/* One step of an application's life as a verb records it. */
struct office_step {
	enum office_verb verb;
	int to;		    /* the state it leads to (enum app_state) */
	bool grant;	    /* the application's measure awards grants */
	const char *action; /* the audit event: "approve", "approve-first" */
	const char *by;
	int64_t now;
};

/* Record step s of application a in the caller's transaction: a->state
 * becomes s->to, a->updated_at s->now, the record is written (inserted
 * when a->state was OFFICE_NEW) and the audit event s->action appended
 * with detail (stolen). The step must be in the lifecycle table: the verb
 * checked it with office_verb_allowed, and it is asserted here. */
int office_app_move(struct office *o, struct store_app *a,
		    const struct office_step *s, json_t *detail,
		    struct qerr *e);

/* office_app_move with members m[0 .. nm-1] (text, office_audit_with)
 * added to the event's detail, as intake writes it. */
int office_app_move_with(struct office *o, struct store_app *a,
			 const struct office_step *s, json_t *detail,
			 const struct office_member *m, size_t nm,
			 struct qerr *e);

/* The row of a as its events carry it (office_app_row_json's text),
 * appended to t. */
void office_app_row_text(struct office_text *t, const struct store_app *a);

/* The figures of application row a that its audit events carry ("app"):
 * state, requested, awarded, paid, recovered, approver, approved_by. A new
 * object, or NULL when out of memory. audit verify holds the table to the
 * last of them (check.c). */
json_t *office_app_row_json(const struct store_app *a);

/* Begin a transaction and load application id for a change, with its
 * program's policy and its measure's index; on an error nothing is left
 * open. */
int office_begin_on(struct office *o, const char *id, struct store_app *a,
		    const struct policy **p, int *measure, struct qerr *e);

/* Commit when rc is 0, else roll back; release a. Returns the outcome. */
int office_finish(struct office *o, int rc, struct store_app *a,
		  struct qerr *e);

/* --- pool.c: accounts ----------------------------------------------------- */

/* An account's id: the first 63 bits of the SHA-256 of its code. */
uint64_t office_account_id(const char *code);

/* The code of a pool's account, "<program>/<pool>/<year>/<name>[/<uscc>]"
 * into buf (LEDGER_ID_MAX bytes); asserted to fit, never cut short. */
void office_pool_code(char *buf, const char *program, const char *pool,
		      int year, const char *name, const char *uscc);

/* An account code taken apart (office_code_parse). */
struct office_code {
	char program[LEDGER_ID_MAX];
	char pool[LEDGER_ID_MAX];
	int year;
	char name[16]; /* "available", "awarded", ... */
	char uscc
		[LEDGER_ID_MAX]; /* an applicant's account; "" for the pool's */
};

/* Take apart a code office_pool_code made: 0, or -1 (out undefined) when
 * code is not one. */
int office_code_parse(const char *code, struct office_code *out);

/* A storage error under the ledger, as Q_ERR_IO with the store's reason. */
int office_io_error(struct office *o, struct qerr *e, const char *what);

/* Create the accounts of pool/year (uscc NULL), or of one applicant in it;
 * existing ones are left as they are. */
int office_ensure_accounts(struct office *o, const char *program,
			   const char *pool, int year, const char *uscc,
			   struct qerr *e);

/* The account with this code (all zero when there is none). */
int office_get_account(struct office *o, const char *code,
		       struct ledger_account *a, struct qerr *e);

/* One transfer; *result gets the ledger's answer. */
int office_xfer(struct office *o, struct ledger_transfer *t, int64_t now,
		int *result, struct qerr *e);

/* A transfer "<verb>/<application id>" about app_id. */
void office_transfer_init(struct ledger_transfer *t, const char *verb,
			  const char *app_id, uint32_t code);

/* --- pool.c: reserving and releasing -------------------------------------- */

/* Try to reserve a's requested amount (a grant: its tranches); *to gets
 * APP_RESERVED, or APP_WAITLISTED when the pool cannot cover it. */
int office_reserve(struct office *o, const struct policy *p,
		   const struct store_app *a, int64_t now, int *to,
		   struct qerr *e);

/* Release (void) the reservation a holds, if any: a reserved application's,
 * or a reserved or awarded grant's tranches still ring-fenced. */
int office_release(struct office *o, const struct policy *p, int measure,
		   const struct store_app *a, int64_t now, struct qerr *e);

/* Serve the waitlist of pool/year in the order of receipt (then of
 * arrival): a strict measure's applications until one does not fit (no
 * overtaking); those of a `waitlist: fit` measure whenever they fit,
 * skipping whoever does not. */
int office_serve_waitlist(struct office *o, const struct policy *p,
			  const char *pool, int year, const char *by,
			  int64_t now, struct qerr *e);

/* *any: whether someone received at or before received_at waits for money
 * of pool in year: one index seek per measure of the pool. */
int office_waitlist_before(struct office *o, const struct policy *p,
			   const char *pool, int year, int64_t received_at,
			   bool *any, struct qerr *e);

/* --- review.c ------------------------------------------------------------ */

/* Decide application a again under p as of when the office received it,
 * with its contract's value replaced by value (value < 0: as submitted;
 * above the face value: Q_ERR_INVALID on field), the applicant's history
 * and the supplier's lists as they are now. *d gets the decision; when
 * json is not NULL, *json the decision rendered with that history (a new
 * reference). The screens are not run again. */
int office_redecide(struct office *o, const struct policy *p,
		    const struct store_app *a, money_t value, const char *field,
		    struct decision *d, json_t **json, struct qerr *e);

/* --- users.c ------------------------------------------------------------- */

/* The mark of a token's stored hash, or of a password's argon2id string,
 * that a user's audit events carry ("token", "password_mark"): 32 hex
 * digits of a salted SHA-256 of it, so that the chain says which token or
 * password a user holds without holding what the store holds. "" when out
 * of memory. */
#define OFFICE_TOKEN_MARK 33
void office_token_mark(const char *hash, char out[OFFICE_TOKEN_MARK]);

/* --- verify.c ------------------------------------------------------------ */

/* Recompute every account's four sums from the transfers (timestamp
 * order) and print to out each account whose stored sums differ, naming
 * the first sum that does. The number of problems, or -1 (e set). */
long office_ledger_recompute(struct office *o, FILE *out, struct qerr *e);

/* --- notice.c ------------------------------------------------------------ */

/* Whether awarded application a (of measure m of p) may be paid today (the
 * office's day of now): refused (Q_ERR_CONFLICT) while the notice it is
 * posted in runs, while it holds an open objection, and when measure m
 * requires a public notice and a has been in none. A closed notice holds
 * nothing, whatever now says: its close checked that its days had run. */
int office_notice_hold(struct office *o, const struct policy *p, int m,
		       const struct store_app *a, int64_t now, struct qerr *e);

/* --- keys.c: idempotency keys of the verbs that move money ---------------- */

/* What a verb that moves money was asked under a key, and what it answers
 * (office_move). The verb's scope is verb and the application's id. */
struct office_keyed {
	const char *verb; /* "approve", "disburse", ... */
	const char *key;  /* the client's key; NULL or "" for none */
	char request[65]; /* SHA-256 (hex) of the request, key aside */
	json_t *answer;	  /* the answer (a reference office_move hands on) */
};

/* The key was used before with the same request: k->answer holds the
 * answer it gave then, and nothing was done now. Outside the error range,
 * like Q_NONE; office_move answers it as 0. */
#define OFFICE_REPLAYED 102

/* Inside the verb's transaction, with application a loaded: look k's key
 * up (k NULL, or no key: Q_OK). Q_OK: none yet, go on; OFFICE_REPLAYED
 * (k->answer set); Q_ERR_CONFLICT when the key came with another request. */
int office_key_find(struct office *o, struct office_keyed *k,
		    const struct store_app *a, struct qerr *e);

/* After the verb's move, still in its transaction: its answer into
 * k->answer (k NULL: nothing), the application's id and state, then the
 * verb's own fields (extra, stolen, may be NULL), then where its money
 * stands (awarded, paid, recovered, remaining: awarded - paid); recorded
 * under k's key when there is one. */
int office_key_keep(struct office *o, struct office_keyed *k,
		    const struct store_app *a, json_t *extra, const char *by,
		    int64_t now, struct qerr *e);

/* The verbs with a key (k may be NULL): the public office_approve and the
 * rest are these with k NULL. */
int office_approve_k(struct office *o, const char *id, rate_bp rate,
		     money_t approved_value, const char *by, int64_t now,
		     struct office_result *res, struct office_keyed *k,
		     struct qerr *e);
int office_disburse_k(struct office *o, const char *id, money_t amount,
		      const char *by, int64_t now, struct office_keyed *k,
		      struct qerr *e);
int office_clawback_k(struct office *o, const char *id, money_t amount,
		      const char *why, const char *by, int64_t now,
		      struct office_keyed *k, struct qerr *e);
int office_milestone_k(struct office *o, const char *id, int year,
		       const char *what, const char *by, int64_t now,
		       money_t *posted, struct office_keyed *k, struct qerr *e);
int office_settle_k(struct office *o, const char *id, money_t value,
		    const char *const *invoices, size_t ninvoices,
		    const char *by, int64_t now, struct office_settlement *out,
		    struct office_keyed *k, struct qerr *e);
int office_objection_decide_k(struct office *o, const char *id, bool uphold,
			      const char *why, const char *by, int64_t now,
			      struct office_result *res, struct office_keyed *k,
			      struct qerr *e);

/* --- the writer's hot state (hot.c) ------------------------------------------ */

/* Look up on which of p's named supplier lists the supplier uscc is (the
 * lists imported under their ids), into h->supplier_lists, and set
 * h->lists_known. Q_OK, or the store's error. */
int office_supplier_lists(struct office *o, const struct policy *p,
			  const char *uscc, struct history *h, struct qerr *e);

/* The history a decision was made with, as shown beside it: the yearly
 * sums and, when they were looked up, the supplier's lists by id. A new
 * object (the caller owns it), or NULL when out of memory. */
json_t *office_history_json(const struct policy *p, const struct history *h);

/* Read the "supplier_lists" of such a history back into h (lists_known,
 * supplier_lists); nothing when it has none. -1 when one is not a list
 * of p. */
int office_history_lists(const struct policy *p, const json_t *hist,
			 struct history *h);

/* Rows the caller knows are not in the store (hot.c): for the next ledger
 * call, accounts ids[0..n) read as absent without a read (n 0 clears); and
 * until cleared (id NULL), the reservations of application id ("reserve/
 * <id>", "reserve/<id>/<year>"). Only where the office knows it: accounts
 * of a firm that never filed here, the reservation of an application it
 * numbered just now. The store's primary keys still refuse a duplicate. */
#define HOT_ABSENT_MAX 8
void office_hot_absent(struct office *o, const uint64_t *ids, size_t n);
void office_hot_fresh(struct office *o, const char *id);

/* The transfers written since the last audit event, as a JSON array of
 * [id, debit, credit, amount] for the next event to claim (a new
 * reference; the list is then empty); NULL when there are none or when
 * out of memory. office_commit claims what is left with an event of its
 * own ("transfers"), so every transfer has the event that caused it. */
json_t *office_hot_claims_take(struct office *o);

/* Make and free o->hot. office_hot_new answers -1 when out of memory. */
int office_hot_new(struct office *o);
void office_hot_free(struct office *o);

/* The ledger's storage as the office's verbs use it: the store's, with
 * account balances and the last timestamp answered from memory inside a
 * write transaction. */
const struct ledger_io *office_ledger(struct office *o);

/* store_begin and the rest, keeping the hot state equal to the store:
 * forgotten when another process wrote (the store's generation), on a
 * rollback, on a rolled-back savepoint that wrote. */
int office_begin(struct office *o, struct qerr *e);
int office_commit(struct office *o, struct qerr *e);
void office_rollback(struct office *o);
int office_savepoint(struct office *o, struct qerr *e);
int office_savepoint_release(struct office *o, struct qerr *e);
void office_savepoint_rollback(struct office *o);

/* The next number of program's applications in year, as store_app_number
 * answers it: inside a write transaction drawn from memory after the
 * first, and written (a blind write: the store is not read). *clean: the
 * hot state knows no application holds it (office_hot_number_clean said
 * so of the numbers above an earlier one), so it needs no probe. */
int office_hot_number(struct office *o, const char *program, int year,
		      int64_t *n, bool *clean, struct qerr *e);

/* No application holds a number of program and year above the last one
 * drawn: the next ones need no probe, while the hot state lasts. */
void office_hot_number_clean(struct office *o, const char *program, int year);

/* *maybe: false when no application of measure and year of program
 * waits (then nobody can stand ahead); true when some may. */
int office_hot_waiting(struct office *o, const char *program,
		       const char *measure, int year, bool *maybe,
		       struct qerr *e);

/* *maybe: false when firm uscc has filed no application in this office
 * (so it has no earlier reference, yearly sum or contract here). */
int office_hot_filed(struct office *o, const char *uscc, bool *maybe,
		     struct qerr *e);

/* *maybe: false when firm uscc certainly used no client_ref ref here: a
 * firm first met with no application (office_hot_filed said so), whose
 * references since are all in memory. */
void office_hot_ref(struct office *o, const char *uscc, const char *ref,
		    bool *maybe);

/* How often office_hot_ref spared a read (for the benchmarks). */
long office_hot_ref_hits(const struct office *o);

/* *maybe: false when uscc is on no imported list and has no entry in the
 * registry of controllers. */
int office_hot_listed(struct office *o, const char *uscc, bool *maybe,
		      struct qerr *e);

/* The yearly sums of firm uscc in program, measure and year, as
 * store_applicant_year answers them for application except_id, not yet
 * recorded (so not in the store). Inside a write transaction they are
 * read once per firm-year and then answered from memory; none: the
 * caller knows the firm never filed here (office_hot_filed), so they are
 * 0 and kept without a read. */
int office_hot_year(struct office *o, const char *program, const char *measure,
		    const char *uscc, int year, const char *except_id,
		    bool none, money_t *awarded, money_t *compute,
		    struct qerr *e);

/* Application a is about to change (any verb after intake): forget its
 * firm-year's sums, under every measure; the next need reads the store. */
void office_hot_year_forget(struct office *o, const struct store_app *a);

/* For the tests: off, every yearly sum is read from the store. */
void office_hot_years_enable(struct office *o, bool on);

/* How often the yearly sums were answered from memory, and read from the
 * store into it (for the benchmarks). */
void office_hot_year_counts(const struct office *o, long *hits, long *reads);

/* Tell the hot state what the office wrote: a application stored in its
 * new state (from: OFFICE_NEW for an insert, whose share the firm-year's
 * sums then hold), a firm added to a list or to the registry. */
void office_hot_moved(struct office *o, const struct store_app *a, int from);
void office_hot_registered(struct office *o, const char *uscc);

/* Compare the hot state with a fresh read of the store, between
 * transactions: 0 when equal (or nothing is kept), 1 when not (why says
 * what differs), -1 when the store cannot be read. For the simulator. */
int office_hot_check(struct office *o, char *why, size_t n);

/* office_hot_check of the firms' yearly sums alone (cheap enough to run
 * after every step of a test). */
int office_hot_years_check(struct office *o, char *why, size_t n);

/* How often the hot state answered an account read, and how often the
 * store did (for the benchmarks). */
void office_hot_counts(const struct office *o, long *hits, long *misses);

/* Room for a USCC and its NUL in the hot state's tables (hot.c,
 * hot_contracts.c); a longer key is never kept there. */
#define HOT_USCC_MAX 20

/* The hash of a USCC (or any short key) for those tables: FNV-1a. */
static inline uint64_t office_uscc_hash(const char *u)
{
	uint64_t x = 1469598103934665603ull;

	for (; *u; u++)
		x = (x ^ (unsigned char)*u) * 1099511628211ull;
	return x;
}

/* Whether the hot state is on and a write transaction is open: what it
 * keeps is answered from memory only then. */
bool office_hot_writing(const struct office *o);

/* The contract index the screens use (hot_contracts.c): a firm's
 * contracts read once per firm in a write transaction, then answered from
 * memory. The index of o's hot state, NULL without one. */
struct hot_contracts;
struct hot_contracts *office_hot_contracts(struct office *o);

/* Make (NULL when out of memory) and free an index. */
struct hot_contracts *hot_contracts_new(void);
void hot_contracts_free(struct hot_contracts *h);

/* Forget everything kept (always safe). h may be NULL in these five. */
void hot_contracts_forget(struct hot_contracts *h);

/* A savepoint begins, is released, or is rolled back: what was appended
 * under it is dropped, a firm read under it forgotten. */
void hot_contracts_savepoint(struct hot_contracts *h);
void hot_contracts_release(struct hot_contracts *h);
void hot_contracts_rollback(struct hot_contracts *h);

/* Firm uscc has certainly filed nothing here (office_hot_filed): it is
 * kept with no contracts, without a read, and gains those intake adds. */
void hot_contracts_none(struct hot_contracts *h, const char *uscc);

/* For the tests and benchmarks: off, every lookup goes to the store. */
void hot_contracts_enable(struct hot_contracts *h, bool on);

/* How often a firm's contracts were answered from memory, and read from
 * the store into it. */
void hot_contracts_counts(const struct hot_contracts *h, long *hits,
			  long *reads);

/* store_contract_same and store_contract_between, answered from memory
 * inside a write transaction (the firm's contracts read at its first
 * lookup), from the store otherwise. */
int office_hot_contract_same(struct office *o, const struct store_contract *c,
			     int days, struct store_contract_row *out,
			     size_t max, size_t *n, struct qerr *e);
int office_hot_contract_between(struct office *o,
				const struct store_contract *c, int32_t from,
				int32_t to, money_t lo, money_t hi,
				struct store_contract_row *out, size_t max,
				size_t *n, int64_t *count, money_t *sum,
				struct qerr *e);

/* Intake wrote contract c (store_contract_add succeeded): a kept firm's
 * list grows by it. */
void office_hot_contract_added(struct office *o,
			       const struct store_contract *c);

/* Every firm's contracts kept, against a fresh read of the store, between
 * transactions: as office_hot_check answers (0, 1 with why, -1). */
int office_hot_contracts_check(struct office *o, char *why, size_t n);

#endif
