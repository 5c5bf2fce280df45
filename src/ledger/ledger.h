/*
 * ledger.h - the budget ledger: every transfer debits one account and credits
 * another, in the manner TigerBeetle made well known.
 *
 * Accounts hold four running sums (debits and credits, pending and posted).
 * Transfers are immutable and carry a client-chosen id: submitting the same
 * transfer again returns LEDGER_EXISTS (harmless), and the same id with
 * different contents is refused with a code naming the first field that
 * differs. A pending transfer reserves money; a later transfer posts it (in
 * full or in part: the rest is released) or voids it. A pending transfer may
 * carry an expiry, after which it can only be voided. Transfers flagged
 * LEDGER_LINKED form a chain with the next one: the chain succeeds or fails
 * as one. Nothing is ever updated or deleted: a mistake is corrected by a
 * new transfer.
 *
 * The ledger does no I/O of its own: it reads and writes accounts and
 * transfers through a struct ledger_io that a store (SQLite, PostgreSQL) or
 * the in-memory reference (ledger_mem_*) provides. The caller wraps one
 * ledger_create_transfers() call in one store transaction, so a batch is
 * durable as a whole or not at all.
 *
 * Balance of an account, as DESIGN.md's conservation rule reads it:
 *   credit-normal accounts (available, awarded, paid, recovered, treasury):
 *     credits_posted - debits_posted - debits_pending
 *   and the money reserved from an account is its debits_pending.
 */
#ifndef QUAN_LEDGER_H
#define QUAN_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/money.h"

#define LEDGER_ID_MAX 128 /* transfer ids and account codes, with NUL */

/* Account flags. */
enum {
	/* debits_pending + debits_posted may never exceed credits_posted:
	 * "available" carries it, so a pool can never be overspent, and so do
	 * awarded and paid accounts (never pay more than awarded, never claw
	 * back more than paid). */
	LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS = 1u << 0,
	LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS = 1u << 1,
};

struct ledger_account {
	uint64_t id;		  /* > 0, chosen by the caller */
	char code[LEDGER_ID_MAX]; /* "compute/2025/available" */
	uint32_t flags;
	money_t debits_pending, debits_posted;
	money_t credits_pending, credits_posted;
};

/* Transfer flags. */
enum {
	LEDGER_LINKED = 1u << 0,       /* succeeds or fails with the next */
	LEDGER_PENDING = 1u << 1,      /* reserve only */
	LEDGER_POST_PENDING = 1u << 2, /* post pending_id (amount <= pending) */
	LEDGER_VOID_PENDING = 1u << 3, /* release pending_id */
};

struct ledger_transfer {
	char id[LEDGER_ID_MAX]; /* client-chosen, unique */
	uint64_t debit, credit; /* account ids; for post/void: 0 means
					 * "as the pending transfer" */
	money_t amount;		/* > 0; for a post, 0 means the full
					 * pending amount; for a void, ignored */
	uint32_t flags;
	char pending_id[LEDGER_ID_MAX]; /* for post and void */
	int64_t expires_at;	 /* pending only: epoch seconds, 0 never */
	uint32_t code;		 /* what it is for (lifecycle's enum) */
	char ref[LEDGER_ID_MAX]; /* the application it concerns, or "" */
	int64_t timestamp;	 /* set by the ledger: strictly increasing */
};

/* Result of one transfer (or account) in a batch. */
enum ledger_result {
	LEDGER_OK = 0,
	LEDGER_EXISTS, /* same id, same contents: nothing done */
	LEDGER_EXISTS_DIFFERENT_DEBIT, /* same id, different contents: ... */
	LEDGER_EXISTS_DIFFERENT_CREDIT,
	LEDGER_EXISTS_DIFFERENT_AMOUNT,
	LEDGER_EXISTS_DIFFERENT_FLAGS,
	LEDGER_EXISTS_DIFFERENT_PENDING_ID,
	LEDGER_EXISTS_DIFFERENT_EXPIRY,
	LEDGER_EXISTS_DIFFERENT_CODE,
	LEDGER_EXISTS_DIFFERENT_REF,
	LEDGER_LINKED_EVENT_FAILED, /* another transfer of its chain failed */
	LEDGER_LINKED_CHAIN_OPEN,   /* the batch ends inside a chain */
	LEDGER_ID_INVALID,	    /* empty or too long */
	LEDGER_FLAGS_INVALID,	    /* e.g. PENDING with POST_PENDING */
	LEDGER_AMOUNT_INVALID,	    /* <= 0 where one is needed */
	LEDGER_ACCOUNTS_SAME,
	LEDGER_DEBIT_NOT_FOUND,
	LEDGER_CREDIT_NOT_FOUND,
	LEDGER_EXCEEDS_CREDITS, /* debit account would go below zero */
	LEDGER_EXCEEDS_DEBITS,
	LEDGER_PENDING_NOT_FOUND,
	LEDGER_PENDING_NOT_PENDING, /* pending_id is not a pending transfer */
	LEDGER_PENDING_ALREADY_POSTED,
	LEDGER_PENDING_ALREADY_VOIDED,
	LEDGER_PENDING_EXPIRED, /* can only be voided now */
	LEDGER_PENDING_DIFFERENT_ACCOUNTS,
	LEDGER_POST_EXCEEDS_PENDING,
	LEDGER_OVERFLOW,       /* a sum would overflow */
	LEDGER_ACCOUNT_EXISTS, /* create_accounts: same id, same code */
	LEDGER_ACCOUNT_EXISTS_DIFFERENT,
	LEDGER_IO_ERROR, /* the store failed: the batch must be
					 * rolled back by the caller */
	LEDGER__RESULT_COUNT
};

/* "exceeds_credits" etc., for messages and JSON. */
const char *ledger_result_name(int r);

/* What a pending transfer has become. */
enum ledger_pending_state {
	LEDGER_PENDING_OPEN,
	LEDGER_PENDING_POSTED,
	LEDGER_PENDING_VOIDED,
};

/* The storage a ledger runs on. Every function returns 0, 1 for "not
 * found" (get functions), or -1 for a storage error. */
struct ledger_io {
	void *ctx;
	int (*account_get)(void *ctx, uint64_t id, struct ledger_account *out);
	/* Insert a new account or replace the sums of an existing one. */
	int (*account_put)(void *ctx, const struct ledger_account *a);
	int (*transfer_get)(void *ctx, const char *id,
			    struct ledger_transfer *out);
	/* Insert a transfer; never called twice for one id. */
	int (*transfer_put)(void *ctx, const struct ledger_transfer *t);
	/* The state of pending transfer id (open, posted, voided): a pending
	 * transfer is posted or voided by the transfer whose pending_id names
	 * it. */
	int (*pending_state)(void *ctx, const char *id,
			     enum ledger_pending_state *out);
	/* The last timestamp given, so timestamps keep increasing across
	 * processes; 0 for an empty ledger. */
	int (*last_timestamp)(void *ctx, int64_t *out);
};

/* Create accounts (all sums must be 0). results[i] gets LEDGER_OK,
 * LEDGER_ACCOUNT_EXISTS (same id and code and flags: harmless) or an error.
 * Returns 0, or -1 on a storage error. */
int ledger_create_accounts(const struct ledger_io *io,
			   const struct ledger_account *as, size_t n,
			   int *results);

/* Apply a batch of transfers in order, at time now (epoch seconds; pending
 * expiry is judged against it). results[i] gets the result of ts[i];
 * ts[i].timestamp is set for each one applied. A failed transfer changes
 * nothing; a failed member of a linked chain undoes the whole chain, whose
 * other members get LEDGER_LINKED_EVENT_FAILED. Returns 0 when every
 * result is known (some may be errors), or -1 on a storage error (the
 * caller must roll back its transaction).
 *
 * The details:
 * - Checks run in this order: ids (id, pending_id and ref must end within
 *   their arrays; id non-empty), flags (known bits, at most one of PENDING,
 *   POST_PENDING, VOID_PENDING; pending_id only with a post or void,
 *   expires_at only with PENDING: else LEDGER_FLAGS_INVALID), the id's
 *   existence, then accounts, amount, pending transfer, balance limits.
 * - An existing id is compared with what is stored, field by field in the
 *   order of the EXISTS_DIFFERENT codes. For a post or void, a debit or
 *   credit of 0 matches the stored (resolved) one; a post amount of 0
 *   matches the full pending amount; a void's amount is never compared. On
 *   LEDGER_EXISTS, ts[i].timestamp gets the stored transfer's timestamp.
 * - Posts and voids are stored with the pending transfer's debit and
 *   credit, and as amount what they posted: the posted amount for a post,
 *   0 for a void.
 * - Timestamps are max(last + 1, now * 1000000): microseconds, bumped to
 *   stay strictly increasing. A transfer that is not applied gets 0.
 * - A chain is ts[i..j] where ts[i..j-1] carry LEDGER_LINKED and ts[j]
 *   does not. If the batch ends inside a chain, every member of that chain
 *   gets LEDGER_LINKED_CHAIN_OPEN and nothing of it is applied. Inside a
 *   chain, LEDGER_EXISTS is harmless (nothing done) and does not fail it.
 * - On a storage error every results[i] is LEDGER_IO_ERROR. */
int ledger_create_transfers(const struct ledger_io *io,
			    struct ledger_transfer *ts, size_t n, int64_t now,
			    int *results);

/* The balance of a credit-normal account: credits_posted - debits_posted -
 * debits_pending. */
static inline money_t ledger_balance(const struct ledger_account *a)
{
	return a->credits_posted - a->debits_posted - a->debits_pending;
}

/* --- the in-memory ledger: the reference for tests and the simulator --- */

struct ledger_mem;

/* A new empty in-memory ledger, or NULL when out of memory; free with
 * ledger_mem_free(). */
struct ledger_mem *ledger_mem_new(void);
void ledger_mem_free(struct ledger_mem *m);

/* Its io, valid as long as m lives. */
const struct ledger_io *ledger_mem_io(struct ledger_mem *m);

/* Visit every account (in creation order) or transfer (in timestamp
 * order); stop early if fn returns non-zero. */
void ledger_mem_each_account(struct ledger_mem *m,
			     int (*fn)(void *arg,
				       const struct ledger_account *a),
			     void *arg);
void ledger_mem_each_transfer(struct ledger_mem *m,
			      int (*fn)(void *arg,
					const struct ledger_transfer *t),
			      void *arg);

#endif
