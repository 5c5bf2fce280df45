/*
 * test_ledger.c - the ledger (src/ledger/): every result code, pending
 * transfers, linked chains, timestamps, storage errors, a large batch, and a
 * property test that runs seeded random sequences of quan's own operations
 * against an independent reference model, checking every sum and the
 * conservation rule after every step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger.h"

#define NOW 1700000000 /* epoch seconds for the unit tests */

/* ---- helpers -------------------------------------------------------------- */

static void add_account(const struct ledger_io *io, uint64_t id,
			const char *code, uint32_t flags)
{
	struct ledger_account a;
	int r = -1;

	memset(&a, 0, sizeof(a));
	a.id = id;
	snprintf(a.code, sizeof(a.code), "%s", code);
	a.flags = flags;
	assert_int_equal(ledger_create_accounts(io, &a, 1, &r), 0);
	assert_int_equal(r, LEDGER_OK);
}

static struct ledger_transfer xfer(const char *id, uint64_t debit,
				   uint64_t credit, money_t amount,
				   uint32_t flags, const char *pending_id)
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
	t.code = 7;
	snprintf(t.ref, sizeof(t.ref), "app-1");
	return t;
}

/* Submit one transfer at time now; returns its result. */
static int one_at(const struct ledger_io *io, struct ledger_transfer t,
		  int64_t now)
{
	int r = -1;

	assert_int_equal(ledger_create_transfers(io, &t, 1, now, &r), 0);
	return r;
}

static int one(const struct ledger_io *io, struct ledger_transfer t)
{
	return one_at(io, t, NOW);
}

static struct ledger_account get(const struct ledger_io *io, uint64_t id)
{
	struct ledger_account a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(io->account_get(io->ctx, id, &a), 0);
	return a;
}

static void assert_sums(const struct ledger_io *io, uint64_t id, money_t dp,
			money_t dpo, money_t cp, money_t cpo)
{
	struct ledger_account a = get(io, id);

	assert_int_equal(a.debits_pending, dp);
	assert_int_equal(a.debits_posted, dpo);
	assert_int_equal(a.credits_pending, cp);
	assert_int_equal(a.credits_posted, cpo);
}

static int pstate(const struct ledger_io *io, const char *id)
{
	enum ledger_pending_state st = LEDGER_PENDING_OPEN;
	int rc = io->pending_state(io->ctx, id, &st);

	assert_int_equal(rc, 0);
	return (int)st;
}

/* Accounts used by most unit tests. */
enum {
	FUND = 1, /* no flags */
	AVAIL,	  /* debits must not exceed credits */
	AWARD,	  /* debits must not exceed credits */
	PAID,	  /* debits must not exceed credits */
	CAPPED,	  /* credits must not exceed debits */
};

static int setup(void **state)
{
	struct ledger_mem *m = ledger_mem_new();
	const struct ledger_io *io;

	if (!m)
		return -1;
	io = ledger_mem_io(m);
	add_account(io, FUND, "compute/2025/funding", 0);
	add_account(io, AVAIL, "compute/2025/available",
		    LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS);
	add_account(io, AWARD, "compute/2025/awarded/a1",
		    LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS);
	add_account(io, PAID, "compute/2025/paid/a1",
		    LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS);
	add_account(io, CAPPED, "capped",
		    LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	ledger_mem_free(*state);
	return 0;
}

static const struct ledger_io *io_of(void **state)
{
	return ledger_mem_io(*state);
}

/* Fund AVAIL with amount. */
static void fund(const struct ledger_io *io, const char *id, money_t amount)
{
	assert_int_equal(one(io, xfer(id, FUND, AVAIL, amount, 0, NULL)),
			 LEDGER_OK);
}

/* ---- names ---------------------------------------------------------------- */

static void test_result_names(void **state)
{
	(void)state;
	for (int i = 0; i < LEDGER__RESULT_COUNT; i++) {
		const char *n = ledger_result_name(i);

		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, ledger_result_name(j));
	}
	assert_string_equal(ledger_result_name(LEDGER_OK), "ok");
	assert_string_equal(ledger_result_name(LEDGER_EXCEEDS_CREDITS),
			    "exceeds_credits");
	assert_string_equal(ledger_result_name(-1), "unknown");
	assert_string_equal(ledger_result_name(LEDGER__RESULT_COUNT),
			    "unknown");
}

/* ---- accounts ------------------------------------------------------------- */

static void test_accounts(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_account as[9];
	int r[9];

	memset(as, 0, sizeof(as));
	for (int i = 0; i < 9; i++) {
		as[i].id = 100 + (uint64_t)i;
		snprintf(as[i].code, sizeof(as[i].code), "acct-%d", i);
	}
	as[1].id = AVAIL; /* exists, same code and flags */
	snprintf(as[1].code, sizeof(as[1].code), "compute/2025/available");
	as[1].flags = LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS;
	as[2].id = AVAIL; /* exists, other code */
	as[2].flags = LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS;
	as[3].id = 0;
	as[4].code[0] = '\0';
	memset(as[5].code, 'x', sizeof(as[5].code)); /* unterminated */
	as[6].flags = LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS |
		      LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS;
	as[7].flags = 1u << 9;
	as[8].credits_posted = 5;
	assert_int_equal(ledger_create_accounts(io, as, 9, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(r[1], LEDGER_ACCOUNT_EXISTS);
	assert_int_equal(r[2], LEDGER_ACCOUNT_EXISTS_DIFFERENT);
	assert_int_equal(r[3], LEDGER_ID_INVALID);
	assert_int_equal(r[4], LEDGER_ID_INVALID);
	assert_int_equal(r[5], LEDGER_ID_INVALID);
	assert_int_equal(r[6], LEDGER_FLAGS_INVALID);
	assert_int_equal(r[7], LEDGER_FLAGS_INVALID);
	assert_int_equal(r[8], LEDGER_AMOUNT_INVALID);

	/* Same id and code, other flags: different. */
	as[0].flags = LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS;
	assert_int_equal(ledger_create_accounts(io, as, 1, r), 0);
	assert_int_equal(r[0], LEDGER_ACCOUNT_EXISTS_DIFFERENT);
	/* Two of one id in one batch: the second sees the first. */
	as[3] = as[4] = as[0];
	as[3].id = as[4].id = 200;
	assert_int_equal(ledger_create_accounts(io, &as[3], 2, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(r[1], LEDGER_ACCOUNT_EXISTS);
	assert_string_equal(get(io, 100).code, "acct-0");
}

/* ---- plain transfers and refusals ------------------------------------------- */

static void test_plain(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer t = xfer("f1", FUND, AVAIL, 1000, 0, NULL);
	struct ledger_transfer got;
	int r;

	assert_int_equal(ledger_create_transfers(io, &t, 1, NOW, &r), 0);
	assert_int_equal(r, LEDGER_OK);
	assert_int_equal(t.timestamp, (int64_t)NOW * 1000000);
	assert_sums(io, FUND, 0, 1000, 0, 0);
	assert_sums(io, AVAIL, 0, 0, 0, 1000);
	assert_int_equal(ledger_balance(&(struct ledger_account){
				 .credits_posted = 1000}),
			 1000);
	assert_int_equal(io->transfer_get(io->ctx, "f1", &got), 0);
	assert_int_equal(got.amount, 1000);
	assert_int_equal(got.timestamp, t.timestamp);
	assert_string_equal(got.ref, "app-1");
	assert_int_equal(io->transfer_get(io->ctx, "nope", &got), 1);
	/* A plain transfer has no pending state. */
	assert_int_equal(io->pending_state(io->ctx, "f1",
					   &(enum ledger_pending_state){
						   LEDGER_PENDING_OPEN}),
			 1);
}

static void test_id_invalid(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer t;

	fund(io, "f", 100);
	assert_int_equal(one(io, xfer("", FUND, AVAIL, 1, 0, NULL)),
			 LEDGER_ID_INVALID);
	t = xfer("x", FUND, AVAIL, 1, 0, NULL);
	memset(t.id, 'a', sizeof(t.id));
	assert_int_equal(one(io, t), LEDGER_ID_INVALID);
	t = xfer("x", FUND, AVAIL, 1, 0, NULL);
	memset(t.ref, 'a', sizeof(t.ref));
	assert_int_equal(one(io, t), LEDGER_ID_INVALID);
	t = xfer("x", 0, 0, 0, LEDGER_VOID_PENDING, NULL);
	memset(t.pending_id, 'a', sizeof(t.pending_id));
	assert_int_equal(one(io, t), LEDGER_ID_INVALID);
	/* The longest id that fits is fine. */
	t = xfer("x", FUND, AVAIL, 1, 0, NULL);
	memset(t.id, 'b', sizeof(t.id) - 1);
	t.id[sizeof(t.id) - 1] = '\0';
	assert_int_equal(one(io, t), LEDGER_OK);
	assert_sums(io, AVAIL, 0, 0, 0, 101);
}

static void test_flags_invalid(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer t;

	fund(io, "f", 100);
	assert_int_equal(
		one(io, xfer("p", AVAIL, AWARD, 10, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(
		one(io, xfer("x", AVAIL, AWARD, 1,
			     LEDGER_PENDING | LEDGER_POST_PENDING, "p")),
		LEDGER_FLAGS_INVALID);
	assert_int_equal(
		one(io, xfer("x", 0, 0, 1,
			     LEDGER_POST_PENDING | LEDGER_VOID_PENDING, "p")),
		LEDGER_FLAGS_INVALID);
	assert_int_equal(one(io, xfer("x", FUND, AVAIL, 1, 1u << 7, NULL)),
			 LEDGER_FLAGS_INVALID);
	/* pending_id without a post or void, expiry without PENDING. */
	assert_int_equal(one(io, xfer("x", FUND, AVAIL, 1, 0, "p")),
			 LEDGER_FLAGS_INVALID);
	t = xfer("x", FUND, AVAIL, 1, 0, NULL);
	t.expires_at = NOW + 10;
	assert_int_equal(one(io, t), LEDGER_FLAGS_INVALID);
	t = xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "p");
	t.expires_at = NOW + 10;
	assert_int_equal(one(io, t), LEDGER_FLAGS_INVALID);
	/* Flags are checked before the id's existence. */
	assert_int_equal(
		one(io, xfer("f", FUND, AVAIL, 100,
			     LEDGER_PENDING | LEDGER_VOID_PENDING, NULL)),
		LEDGER_FLAGS_INVALID);
	assert_int_equal(pstate(io, "p"), LEDGER_PENDING_OPEN);
	assert_sums(io, AVAIL, 10, 0, 0, 100);
}

static void test_amount_and_accounts(void **state)
{
	const struct ledger_io *io = io_of(state);

	fund(io, "f", 100);
	assert_int_equal(one(io, xfer("x", FUND, AVAIL, 0, 0, NULL)),
			 LEDGER_AMOUNT_INVALID);
	assert_int_equal(one(io, xfer("x", FUND, AVAIL, -5, 0, NULL)),
			 LEDGER_AMOUNT_INVALID);
	assert_int_equal(
		one(io, xfer("x", AVAIL, AWARD, 0, LEDGER_PENDING, NULL)),
		LEDGER_AMOUNT_INVALID);
	assert_int_equal(one(io, xfer("x", FUND, FUND, 1, 0, NULL)),
			 LEDGER_ACCOUNTS_SAME);
	assert_int_equal(one(io, xfer("x", 0, AVAIL, 1, 0, NULL)),
			 LEDGER_DEBIT_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", 999, AVAIL, 1, 0, NULL)),
			 LEDGER_DEBIT_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", FUND, 0, 1, 0, NULL)),
			 LEDGER_CREDIT_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", FUND, 999, 1, 0, NULL)),
			 LEDGER_CREDIT_NOT_FOUND);
	/* Accounts are checked before the amount. */
	assert_int_equal(one(io, xfer("x", 999, AVAIL, 0, 0, NULL)),
			 LEDGER_DEBIT_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", FUND, FUND, 0, 0, NULL)),
			 LEDGER_ACCOUNTS_SAME);
	assert_sums(io, FUND, 0, 100, 0, 0);
	assert_sums(io, AVAIL, 0, 0, 0, 100);
}

static void test_limits(void **state)
{
	const struct ledger_io *io = io_of(state);

	fund(io, "f", 100);
	/* available: 100; a pending 60 leaves 40 for anything else. */
	assert_int_equal(
		one(io, xfer("p", AVAIL, AWARD, 60, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(one(io, xfer("x", AVAIL, AWARD, 41, 0, NULL)),
			 LEDGER_EXCEEDS_CREDITS);
	assert_int_equal(
		one(io, xfer("x", AVAIL, AWARD, 41, LEDGER_PENDING, NULL)),
		LEDGER_EXCEEDS_CREDITS);
	assert_int_equal(one(io, xfer("x", AVAIL, AWARD, 40, 0, NULL)),
			 LEDGER_OK);
	/* Pending credits cannot be spent: awarded has 40 posted, 60
	 * pending. */
	assert_int_equal(one(io, xfer("d", AWARD, PAID, 41, 0, NULL)),
			 LEDGER_EXCEEDS_CREDITS);
	assert_int_equal(one(io, xfer("d", AWARD, PAID, 40, 0, NULL)),
			 LEDGER_OK);
	assert_int_equal(one(io, xfer("e", AWARD, PAID, 1, 0, NULL)),
			 LEDGER_EXCEEDS_CREDITS);
	/* CAPPED may take in no more than it has given out. */
	assert_int_equal(one(io, xfer("c", FUND, CAPPED, 1, 0, NULL)),
			 LEDGER_EXCEEDS_DEBITS);
	assert_int_equal(one(io, xfer("c", CAPPED, FUND, 10, 0, NULL)),
			 LEDGER_OK);
	assert_int_equal(
		one(io, xfer("c2", FUND, CAPPED, 6, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(one(io, xfer("c3", FUND, CAPPED, 5, 0, NULL)),
			 LEDGER_EXCEEDS_DEBITS);
	assert_int_equal(one(io, xfer("c3", FUND, CAPPED, 4, 0, NULL)),
			 LEDGER_OK);
	assert_sums(io, AVAIL, 60, 40, 0, 100);
	assert_sums(io, AWARD, 0, 40, 60, 40);
	assert_sums(io, PAID, 0, 0, 0, 40);
	assert_sums(io, CAPPED, 0, 10, 6, 4);
}

static void test_overflow(void **state)
{
	const struct ledger_io *io = io_of(state);

	assert_int_equal(one(io, xfer("a", FUND, PAID, INT64_MAX, 0, NULL)),
			 LEDGER_OK);
	assert_int_equal(one(io, xfer("b", FUND, PAID, 1, 0, NULL)),
			 LEDGER_OVERFLOW);
	assert_int_equal(one(io, xfer("c", PAID, AWARD, INT64_MAX,
				      LEDGER_PENDING, NULL)),
			 LEDGER_OK);
	/* debits_pending + debits_posted would overflow in the limit. */
	assert_int_equal(one(io, xfer("d", PAID, AVAIL, 1, 0, NULL)),
			 LEDGER_OVERFLOW);
	assert_sums(io, FUND, 0, INT64_MAX, 0, 0);
	assert_sums(io, PAID, INT64_MAX, 0, 0, INT64_MAX);
}

/* ---- idempotency ---------------------------------------------------------- */

static void test_exists(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer t =
		xfer("p", AVAIL, AWARD, 50, LEDGER_PENDING, NULL);
	struct ledger_transfer u;
	int64_t ts;
	int r;

	fund(io, "f", 100);
	t.expires_at = NOW + 100;
	assert_int_equal(ledger_create_transfers(io, &t, 1, NOW, &r), 0);
	assert_int_equal(r, LEDGER_OK);
	ts = t.timestamp;

	u = t;
	u.timestamp = 0;
	assert_int_equal(ledger_create_transfers(io, &u, 1, NOW + 5, &r), 0);
	assert_int_equal(r, LEDGER_EXISTS);
	assert_int_equal(u.timestamp, ts);

	u = t;
	u.debit = FUND;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_DEBIT);
	u = t;
	u.credit = PAID;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_CREDIT);
	u = t;
	u.amount = 51;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_AMOUNT);
	u = t;
	u.flags = 0;
	u.expires_at = 0;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_FLAGS);
	u = t;
	u.expires_at++;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_EXPIRY);
	u = t;
	u.code++;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_CODE);
	u = t;
	snprintf(u.ref, sizeof(u.ref), "app-2");
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_REF);
	/* The first differing field is named. */
	u = t;
	u.code++;
	u.amount++;
	u.credit = PAID;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_CREDIT);

	/* A post: compared as it was submitted. */
	assert_int_equal(
		one(io, xfer("p2", AVAIL, AWARD, 20, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	t = xfer("post", 0, 0, 0, LEDGER_POST_PENDING, "p");
	assert_int_equal(one(io, t), LEDGER_OK);
	assert_int_equal(one(io, t), LEDGER_EXISTS);
	u = t;
	u.debit = AVAIL; /* as the pending's: the same */
	u.credit = AWARD;
	u.amount = 50; /* the full amount: the same */
	assert_int_equal(one(io, u), LEDGER_EXISTS);
	u.debit = FUND;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_DEBIT);
	u = t;
	u.credit = PAID;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_CREDIT);
	u = t;
	u.amount = 49;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_AMOUNT);
	u = t;
	u.flags = LEDGER_VOID_PENDING;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_FLAGS);
	u = t;
	snprintf(u.pending_id, sizeof(u.pending_id), "p2");
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_PENDING_ID);
	u = t;
	u.flags = 0; /* plain, but pending_id set: refused before */
	assert_int_equal(one(io, u), LEDGER_FLAGS_INVALID);

	/* A void: its amount is never compared. */
	t = xfer("void", 0, AWARD, 3, LEDGER_VOID_PENDING, "p2");
	assert_int_equal(one(io, t), LEDGER_OK);
	u = t;
	u.amount = 12345;
	assert_int_equal(one(io, u), LEDGER_EXISTS);
	u.flags = LEDGER_POST_PENDING;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_AMOUNT);
	u.amount = 0;
	assert_int_equal(one(io, u), LEDGER_EXISTS_DIFFERENT_FLAGS);

	assert_sums(io, AVAIL, 0, 50, 0, 100);
	assert_sums(io, AWARD, 0, 0, 0, 50);
}

/* ---- pending transfers ---------------------------------------------------- */

static void test_pending_post_void(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer got;

	fund(io, "f", 1000);
	assert_int_equal(
		one(io, xfer("p1", AVAIL, AWARD, 300, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(
		one(io, xfer("p2", AVAIL, AWARD, 200, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(
		one(io, xfer("p3", AVAIL, AWARD, 100, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_sums(io, AVAIL, 600, 0, 0, 1000);
	assert_sums(io, AWARD, 0, 0, 600, 0);
	assert_int_equal(pstate(io, "p1"), LEDGER_PENDING_OPEN);

	/* Full post with amount 0. */
	assert_int_equal(
		one(io, xfer("a1", 0, 0, 0, LEDGER_POST_PENDING, "p1")),
		LEDGER_OK);
	assert_int_equal(pstate(io, "p1"), LEDGER_PENDING_POSTED);
	assert_sums(io, AVAIL, 300, 300, 0, 1000);
	assert_sums(io, AWARD, 0, 0, 300, 300);
	assert_int_equal(io->transfer_get(io->ctx, "a1", &got), 0);
	assert_int_equal(got.debit, AVAIL);
	assert_int_equal(got.credit, AWARD);
	assert_int_equal(got.amount, 300);

	/* Partial post: the rest goes back to available. */
	assert_int_equal(one(io, xfer("a2", AVAIL, AWARD, 201,
				      LEDGER_POST_PENDING, "p2")),
			 LEDGER_POST_EXCEEDS_PENDING);
	assert_int_equal(one(io, xfer("a2", AVAIL, AWARD, 150,
				      LEDGER_POST_PENDING, "p2")),
			 LEDGER_OK);
	assert_int_equal(pstate(io, "p2"), LEDGER_PENDING_POSTED);
	assert_sums(io, AVAIL, 100, 450, 0, 1000);
	assert_sums(io, AWARD, 0, 0, 100, 450);

	/* Void: the amount is ignored, stored as 0. */
	assert_int_equal(
		one(io, xfer("v3", 0, 0, -7, LEDGER_VOID_PENDING, "p3")),
		LEDGER_OK);
	assert_int_equal(pstate(io, "p3"), LEDGER_PENDING_VOIDED);
	assert_int_equal(io->transfer_get(io->ctx, "v3", &got), 0);
	assert_int_equal(got.amount, 0);
	assert_int_equal(got.debit, AVAIL);
	assert_sums(io, AVAIL, 0, 450, 0, 1000);
	assert_sums(io, AWARD, 0, 0, 0, 450);

	/* Once posted or voided, a pending transfer is done. */
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "p1")),
			 LEDGER_PENDING_ALREADY_POSTED);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_VOID_PENDING, "p2")),
			 LEDGER_PENDING_ALREADY_POSTED);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "p3")),
			 LEDGER_PENDING_ALREADY_VOIDED);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_VOID_PENDING, "p3")),
			 LEDGER_PENDING_ALREADY_VOIDED);
	assert_int_equal(
		one(io, xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "nope")),
		LEDGER_PENDING_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_VOID_PENDING, "")),
			 LEDGER_PENDING_NOT_FOUND);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "f")),
			 LEDGER_PENDING_NOT_PENDING);
	assert_int_equal(one(io, xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "a1")),
			 LEDGER_PENDING_NOT_PENDING);
	assert_int_equal(
		one(io, xfer("x", 0, 0, -1, LEDGER_POST_PENDING, "p1")),
		LEDGER_AMOUNT_INVALID);
	assert_sums(io, AVAIL, 0, 450, 0, 1000);
}

static void test_pending_checks(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer t;

	fund(io, "f", 1000);
	assert_int_equal(
		one(io, xfer("p", AVAIL, AWARD, 100, LEDGER_PENDING, NULL)),
		LEDGER_OK);
	assert_int_equal(
		one(io, xfer("x", FUND, 0, 0, LEDGER_POST_PENDING, "p")),
		LEDGER_PENDING_DIFFERENT_ACCOUNTS);
	assert_int_equal(
		one(io, xfer("x", 0, PAID, 0, LEDGER_VOID_PENDING, "p")),
		LEDGER_PENDING_DIFFERENT_ACCOUNTS);
	assert_int_equal(
		one(io, xfer("x", AWARD, AVAIL, 0, LEDGER_POST_PENDING, "p")),
		LEDGER_PENDING_DIFFERENT_ACCOUNTS);

	/* Expiry: a post at or after it is refused, a void is allowed. */
	t = xfer("e1", AVAIL, AWARD, 100, LEDGER_PENDING, NULL);
	t.expires_at = NOW + 60;
	assert_int_equal(one(io, t), LEDGER_OK);
	t.expires_at = NOW + 60;
	snprintf(t.id, sizeof(t.id), "e2");
	assert_int_equal(one(io, t), LEDGER_OK);
	assert_int_equal(one_at(io,
				xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "e1"),
				NOW + 60),
			 LEDGER_PENDING_EXPIRED);
	assert_int_equal(one_at(io,
				xfer("x", 0, 0, 0, LEDGER_POST_PENDING, "e1"),
				NOW + 61),
			 LEDGER_PENDING_EXPIRED);
	assert_int_equal(pstate(io, "e1"), LEDGER_PENDING_OPEN);
	assert_int_equal(one_at(io,
				xfer("v", 0, 0, 0, LEDGER_VOID_PENDING, "e1"),
				NOW + 61),
			 LEDGER_OK);
	assert_int_equal(pstate(io, "e1"), LEDGER_PENDING_VOIDED);
	/* Just before expiry a post goes through. */
	assert_int_equal(one_at(io,
				xfer("y", 0, 0, 40, LEDGER_POST_PENDING, "e2"),
				NOW + 59),
			 LEDGER_OK);
	assert_sums(io, AVAIL, 100, 40, 0, 1000);
	assert_sums(io, AWARD, 0, 0, 100, 40);
}

/* ---- linked chains -------------------------------------------------------- */

static void test_linked(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer ts[4], got;
	int r[4];

	fund(io, "f", 100);
	assert_int_equal(
		one(io, xfer("p", AVAIL, AWARD, 30, LEDGER_PENDING, NULL)),
		LEDGER_OK);

	/* A chain that succeeds: post p in part and reserve again. */
	ts[0] = xfer("c1", 0, 0, 20, LEDGER_POST_PENDING | LEDGER_LINKED, "p");
	ts[1] = xfer("c2", AVAIL, AWARD, 80, LEDGER_PENDING, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 2, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(r[1], LEDGER_OK);
	assert_true(ts[1].timestamp > ts[0].timestamp);
	assert_sums(io, AVAIL, 80, 20, 0, 100);

	/* A chain whose second member fails: nothing of it happens, not even
	 * the void of c2 that the first member did in the overlay. */
	ts[0] = xfer("d1", 0, 0, 0, LEDGER_VOID_PENDING | LEDGER_LINKED, "c2");
	ts[1] = xfer("d2", AVAIL, AWARD, 50, LEDGER_PENDING | LEDGER_LINKED,
		     NULL);
	ts[2] = xfer("d3", AVAIL, AWARD, 31, LEDGER_PENDING | LEDGER_LINKED,
		     NULL); /* 100 - 20 - 50 = 30 left */
	ts[3] = xfer("d4", FUND, AVAIL, 5, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 4, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
	assert_int_equal(r[1], LEDGER_LINKED_EVENT_FAILED);
	assert_int_equal(r[2], LEDGER_EXCEEDS_CREDITS);
	assert_int_equal(r[3], LEDGER_LINKED_EVENT_FAILED);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ts[i].timestamp, 0);
		assert_int_equal(io->transfer_get(io->ctx, ts[i].id, &got), 1);
	}
	assert_int_equal(pstate(io, "c2"), LEDGER_PENDING_OPEN);
	assert_sums(io, AVAIL, 80, 20, 0, 100);
	assert_sums(io, FUND, 0, 100, 0, 0);

	/* The same chain with room: now it goes through, the void inside the
	 * chain seen by the reservations after it. */
	ts[2].amount = 30;
	assert_int_equal(ledger_create_transfers(io, ts, 4, NOW, r), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i], LEDGER_OK);
	assert_int_equal(pstate(io, "c2"), LEDGER_PENDING_VOIDED);
	assert_sums(io, AVAIL, 80, 20, 0, 105);

	/* A retry inside a chain is harmless; a duplicate id inside a chain
	 * is seen as existing. LINKED is a flag like any other: c1 was
	 * stored with it, so only a retry with it is the same. */
	ts[0] = xfer("c1", 0, 0, 20, LEDGER_POST_PENDING, "p");
	assert_int_equal(one(io, ts[0]), LEDGER_EXISTS_DIFFERENT_FLAGS);
	ts[0] = xfer("c1", 0, 0, 20, LEDGER_POST_PENDING | LEDGER_LINKED, "p");
	ts[1] = xfer("g1", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	ts[2] = xfer("g1", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	ts[3] = xfer("g2", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 4, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_EXISTS);
	assert_int_equal(r[1], LEDGER_OK);
	assert_int_equal(r[2], LEDGER_EXISTS);
	assert_int_equal(r[3], LEDGER_OK);
	assert_int_equal(ts[2].timestamp, ts[1].timestamp);
	assert_sums(io, AVAIL, 80, 20, 0, 107);
	/* ... but a different one fails the chain. */
	ts[0] = xfer("h1", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	ts[1] = xfer("g2", FUND, AVAIL, 2, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 2, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
	assert_int_equal(r[1], LEDGER_EXISTS_DIFFERENT_AMOUNT);

	/* A batch that ends inside a chain: the open chain does nothing, the
	 * chains before it do. */
	ts[0] = xfer("k1", FUND, AVAIL, 1, 0, NULL);
	ts[1] = xfer("k2", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	ts[2] = xfer("k3", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 3, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(r[1], LEDGER_LINKED_CHAIN_OPEN);
	assert_int_equal(r[2], LEDGER_LINKED_CHAIN_OPEN);
	assert_int_equal(io->transfer_get(io->ctx, "k2", &got), 1);
	ts[0] = xfer("k4", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 1, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_LINKED_CHAIN_OPEN);
	assert_sums(io, AVAIL, 80, 20, 0, 108);
	assert_int_equal(ledger_create_transfers(io, ts, 0, NOW, r), 0);
}

/* ---- timestamps ----------------------------------------------------------- */

static int64_t fixed_last;

static int fixed_last_timestamp(void *ctx, int64_t *out)
{
	(void)ctx;
	*out = fixed_last;
	return 0;
}

static void test_timestamps(void **state)
{
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer ts[3];
	struct ledger_io other;
	int64_t last;
	int r[3];

	ts[0] = xfer("t1", FUND, AVAIL, 1, 0, NULL);
	ts[1] = xfer("t2", FUND, AVAIL, 1, 0, NULL);
	ts[2] = xfer("t3", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 3, NOW, r), 0);
	assert_int_equal(ts[0].timestamp, (int64_t)NOW * 1000000);
	assert_int_equal(ts[1].timestamp, ts[0].timestamp + 1);
	assert_int_equal(ts[2].timestamp, ts[0].timestamp + 2);
	assert_int_equal(io->last_timestamp(io->ctx, &last), 0);
	assert_int_equal(last, ts[2].timestamp);
	/* The clock going back does not make timestamps go back. */
	ts[0] = xfer("t4", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 1, NOW - 100, r), 0);
	assert_int_equal(ts[0].timestamp, last + 1);
	/* A failed transfer gets none and uses none. */
	ts[0] = xfer("t5", FUND, FUND, 1, 0, NULL);
	ts[1] = xfer("t6", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 2, NOW - 100, r), 0);
	assert_int_equal(ts[0].timestamp, 0);
	assert_int_equal(ts[1].timestamp, last + 2);
	/* Nor does a failed chain. */
	ts[0] = xfer("t6a", FUND, AVAIL, 1, LEDGER_LINKED, NULL);
	ts[1] = xfer("t6b", FUND, FUND, 1, 0, NULL);
	ts[2] = xfer("t6c", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(io, ts, 3, NOW - 100, r), 0);
	assert_int_equal(r[0], LEDGER_LINKED_EVENT_FAILED);
	assert_int_equal(ts[0].timestamp, 0);
	assert_int_equal(ts[2].timestamp, last + 3);
	/* Another process's last timestamp is respected. */
	other = *io;
	other.last_timestamp = fixed_last_timestamp;
	fixed_last = (int64_t)(NOW + 5000) * 1000000;
	ts[0] = xfer("t7", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(&other, ts, 1, NOW, r), 0);
	assert_int_equal(ts[0].timestamp, fixed_last + 1);
	/* At the end of time nothing more can be stamped. */
	fixed_last = INT64_MAX;
	ts[0] = xfer("t8", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(&other, ts, 1, NOW, r), 0);
	assert_int_equal(r[0], LEDGER_OVERFLOW);
	/* A clock far in the future is clamped, not wrapped. */
	fixed_last = 0;
	ts[0] = xfer("t9", FUND, AVAIL, 1, 0, NULL);
	assert_int_equal(ledger_create_transfers(&other, ts, 1, INT64_MAX, r),
			 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(ts[0].timestamp, INT64_MAX);
}

/* ---- storage errors ------------------------------------------------------- */

/* An io that wraps the in-memory one and fails on call number fail_at. */
struct flaky {
	const struct ledger_io *inner;
	int calls, fail_at;
};

static int flaky_tick(struct flaky *f)
{
	return ++f->calls == f->fail_at ? -1 : 0;
}

static int flaky_account_get(void *ctx, uint64_t id, struct ledger_account *a)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->account_get(f->inner->ctx, id, a);
}

static int flaky_account_put(void *ctx, const struct ledger_account *a)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->account_put(f->inner->ctx, a);
}

static int flaky_transfer_get(void *ctx, const char *id,
			      struct ledger_transfer *t)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->transfer_get(f->inner->ctx, id, t);
}

static int flaky_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->transfer_put(f->inner->ctx, t);
}

static int flaky_pending_state(void *ctx, const char *id,
			       enum ledger_pending_state *out)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->pending_state(f->inner->ctx, id, out);
}

static int flaky_last_timestamp(void *ctx, int64_t *out)
{
	struct flaky *f = ctx;

	if (flaky_tick(f))
		return -1;
	return f->inner->last_timestamp(f->inner->ctx, out);
}

/* The batch of test_io_error: a post, a new transfer and a retry, so that
 * every kind of io call is made. */
static void io_batch(struct ledger_transfer *ts)
{
	ts[0] = xfer("post", 0, 0, 5, LEDGER_POST_PENDING, "p");
	ts[1] = xfer("fund2", FUND, AVAIL, 1, 0, NULL);
	ts[2] = xfer("f", FUND, AVAIL, 1000, 0, NULL); /* exists */
}

static void test_io_error(void **state)
{
	struct ledger_account a;
	struct ledger_transfer ts[3];
	int k, r[3];

	(void)state;
	/* Fail each io call of the batch in turn, on a fresh ledger. */
	for (k = 1;; k++) {
		void *st = NULL;
		const struct ledger_io *inner;
		struct flaky f = {.fail_at = k};
		struct ledger_io io = {
			.ctx = &f,
			.account_get = flaky_account_get,
			.account_put = flaky_account_put,
			.transfer_get = flaky_transfer_get,
			.transfer_put = flaky_transfer_put,
			.pending_state = flaky_pending_state,
			.last_timestamp = flaky_last_timestamp,
		};
		int rc;

		assert_int_equal(setup(&st), 0);
		inner = f.inner = ledger_mem_io(st);
		fund(inner, "f", 1000);
		assert_int_equal(one(inner, xfer("p", AVAIL, AWARD, 10,
						 LEDGER_PENDING, NULL)),
				 LEDGER_OK);
		io_batch(ts);
		rc = ledger_create_transfers(&io, ts, 3, NOW, r);
		if (rc == 0) {
			/* Past the last call: all went through. */
			assert_int_equal(r[0], LEDGER_OK);
			assert_int_equal(r[1], LEDGER_OK);
			assert_int_equal(r[2], LEDGER_EXISTS);
			assert_sums(inner, AVAIL, 0, 5, 0, 1001);
			teardown(&st);
			break;
		}
		assert_int_equal(rc, -1);
		for (int i = 0; i < 3; i++)
			assert_int_equal(r[i], LEDGER_IO_ERROR);
		/* Up to the first write (last_timestamp, transfer_get post,
		 * transfer_get p, pending_state p, two account_get) nothing
		 * has changed. */
		if (k <= 6) {
			assert_sums(inner, AVAIL, 10, 0, 0, 1000);
			assert_int_equal(pstate(inner, "p"),
					 LEDGER_PENDING_OPEN);
		}
		teardown(&st);
	}
	assert_true(k > 10);

	{
		void *st = NULL;
		struct flaky f = {.fail_at = 1};
		struct ledger_io io = {
			.ctx = &f,
			.account_get = flaky_account_get,
			.account_put = flaky_account_put,
		};

		assert_int_equal(setup(&st), 0);
		f.inner = ledger_mem_io(st);
		memset(&a, 0, sizeof(a));
		a.id = 77;
		snprintf(a.code, sizeof(a.code), "new");
		assert_int_equal(ledger_create_accounts(&io, &a, 1, r), -1);
		assert_int_equal(r[0], LEDGER_IO_ERROR);
		f.calls = 0;
		f.fail_at = 2; /* the put */
		assert_int_equal(ledger_create_accounts(&io, &a, 1, r), -1);
		assert_int_equal(r[0], LEDGER_IO_ERROR);
		assert_int_equal(f.inner->account_get(f.inner->ctx, 77, &a), 1);
		f.fail_at = 0;
		assert_int_equal(ledger_create_accounts(&io, &a, 1, r), 0);
		assert_int_equal(r[0], LEDGER_OK);
		teardown(&st);
	}
}

/* ---- a large batch -------------------------------------------------------- */

static int count_transfer(void *arg, const struct ledger_transfer *t)
{
	size_t *n = arg;

	(void)t;
	(*n)++;
	return 0;
}

static void test_large(void **state)
{
	enum { N = 150000, BATCH = 1000 };
	const struct ledger_io *io = io_of(state);
	struct ledger_transfer *ts = calloc(BATCH, sizeof(*ts));
	int *r = calloc(BATCH, sizeof(*r));
	clock_t t0 = clock();
	size_t count = 0;

	assert_non_null(ts);
	assert_non_null(r);
	fund(io, "f", (money_t)N * 10);
	/* Reserve, then post half of them and void the other half. */
	for (int round = 0; round < 3; round++) {
		for (int b = 0; b < N / 3 / BATCH; b++) {
			for (int i = 0; i < BATCH; i++) {
				int k = b * BATCH + i;
				char id[32], pid[32];

				snprintf(pid, sizeof(pid), "p%d", k);
				if (round == 0) {
					ts[i] = xfer(pid, AVAIL, AWARD, 2,
						     LEDGER_PENDING, NULL);
				} else if (round == 1) {
					snprintf(id, sizeof(id), "a%d", k);
					ts[i] = xfer(
						id, 0, 0, k % 2 + 1,
						k % 3 ? LEDGER_POST_PENDING
						      : LEDGER_VOID_PENDING,
						pid);
				} else {
					snprintf(id, sizeof(id), "d%d", k);
					ts[i] = xfer(id, FUND, AVAIL, 1, 0,
						     NULL);
					ts[i].flags =
						i % 10 < 9 ? LEDGER_LINKED : 0;
				}
			}
			assert_int_equal(
				ledger_create_transfers(io, ts, BATCH, NOW, r),
				0);
			for (int i = 0; i < BATCH; i++)
				assert_int_equal(r[i], LEDGER_OK);
		}
	}
	ledger_mem_each_transfer(*state, count_transfer, &count);
	assert_int_equal(count, 1 + N);
	print_message("      %d transfers in %.0f ms\n", N,
		      (double)(clock() - t0) * 1000 / CLOCKS_PER_SEC);
	free(ts);
	free(r);
}

/* ---- the property test ---------------------------------------------------- */

/*
 * The reference model. Pools as quan keeps them: per pool a funding account
 * (no flags), available, recovered (both debits-must-not-exceed-credits), a
 * treasury account (no flags), and per applicant an awarded and a paid
 * account (both debits-must-not-exceed-credits). The model keeps its own
 * four sums per account and its own log of transfers, and decides each
 * expected result by its own simple rules.
 */
#define P_POOLS 3
#define P_APPL 5
#define P_PER_POOL (4 + 2 * P_APPL)
#define P_NACC (P_POOLS * P_PER_POOL)

enum { F_ACC, A_ACC, R_ACC, T_ACC };
enum { DP, DPO, CP, CPO };

static uint64_t acc_id(int pool, int idx)
{
	return 1 + (uint64_t)(pool * P_PER_POOL + idx);
}
static int awarded_idx(int a)
{
	return 4 + a;
}
static int paid_idx(int a)
{
	return 4 + P_APPL + a;
}

/* One transfer the property test made: as submitted, as it should be
 * stored, and what the model knows of it. */
struct mt {
	struct ledger_transfer sub, st;
	bool stored;
	int state;  /* for a stored pending: open, posted, voided */
	long pend;  /* for a post or void: the pending's index, or -1 */
	int64_t ts; /* the timestamp the ledger gave */
};

struct prop {
	uint64_t seed, rng;
	int step;
	int64_t now;
	const struct ledger_io *io;
	struct ledger_mem *m;
	money_t s[P_NACC][4];
	uint32_t aflags[P_NACC];
	struct mt *log;
	size_t nlog, caplog;
	size_t nstored;
	long *pendings; /* indexes of stored pending transfers */
	size_t npendings;
	long *plains; /* indexes of stored plain transfers */
	size_t nplains;
	/* undo for a chain */
	struct {
		long k;
		int old_state;
		long pend;
	} undo[4];
	int nundo;
	long stats[LEDGER__RESULT_COUNT];
};

#define PCHECK(p, cond)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg("seed %llu step %d: %s (line %d)",            \
				 (unsigned long long)(p)->seed, (p)->step,     \
				 #cond, __LINE__);                             \
	} while (0)

#define PCHECK_EQ(p, a, b)                                                     \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			fail_msg("seed %llu step %d: %s = %lld, want %lld "    \
				 "(line %d)",                                  \
				 (unsigned long long)(p)->seed, (p)->step, #a, \
				 a_, b_, __LINE__);                            \
	} while (0)

static uint64_t rnd(struct prop *p)
{
	/* xorshift64* */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ULL;
}

static long rnd_in(struct prop *p, long lo, long hi) /* inclusive */
{
	return lo + (long)(rnd(p) % (uint64_t)(hi - lo + 1));
}

static bool chance(struct prop *p, int percent)
{
	return (int)(rnd(p) % 100) < percent;
}

static int m_idx(uint64_t id)
{
	return (int)id - 1;
}

/* A new log entry with a fresh id; returns its index. */
static long new_entry(struct prop *p)
{
	struct mt *e;

	assert_true(p->nlog < p->caplog);
	e = &p->log[p->nlog];
	memset(e, 0, sizeof(*e));
	snprintf(e->sub.id, sizeof(e->sub.id), "s%llu-t%zu",
		 (unsigned long long)p->seed, p->nlog);
	e->pend = -1;
	return (long)p->nlog++;
}

static void set_plain(struct prop *p, long k, uint64_t dr, uint64_t cr,
		      money_t amount, uint32_t flags, uint32_t code)
{
	struct ledger_transfer *t = &p->log[k].sub;

	t->debit = dr;
	t->credit = cr;
	t->amount = amount;
	t->flags = flags;
	t->code = code;
	snprintf(t->ref, sizeof(t->ref), "app-%ld", rnd_in(p, 1, 50));
}

static money_t m_bal(const struct prop *p, int i)
{
	return p->s[i][CPO] - p->s[i][DPO] - p->s[i][DP];
}

/* An amount to take from an account holding b: mostly within it, sometimes
 * exactly all of it or one fen more, sometimes anything up to far. */
static money_t amount_from(struct prop *p, money_t b, money_t far)
{
	int c = (int)rnd_in(p, 0, 19);

	if (c == 0 && b >= 0)
		return b + 1;
	if (c == 1 && b > 0)
		return b;
	if (c < 5 || b <= 0)
		return rnd_in(p, 1, far);
	return rnd_in(p, 1, b);
}

/* The model's rule for a new transfer (its id not stored yet). Applies it
 * to the model when it should succeed. */
static int model_new(struct prop *p, long k)
{
	struct mt *e = &p->log[k];
	const struct ledger_transfer *t = &e->sub;
	bool post = t->flags & LEDGER_POST_PENDING;
	bool voidp = t->flags & LEDGER_VOID_PENDING;
	int dr, cr;
	money_t amt;

	e->st = *t;
	if (post || voidp) {
		struct mt *pe;

		if (e->pend < 0 || !p->log[e->pend].stored)
			return LEDGER_PENDING_NOT_FOUND;
		pe = &p->log[e->pend];
		if (!(pe->st.flags & LEDGER_PENDING))
			return LEDGER_PENDING_NOT_PENDING;
		if ((t->debit && t->debit != pe->st.debit) ||
		    (t->credit && t->credit != pe->st.credit))
			return LEDGER_PENDING_DIFFERENT_ACCOUNTS;
		if (pe->state == LEDGER_PENDING_POSTED)
			return LEDGER_PENDING_ALREADY_POSTED;
		if (pe->state == LEDGER_PENDING_VOIDED)
			return LEDGER_PENDING_ALREADY_VOIDED;
		if (post && pe->st.expires_at && p->now >= pe->st.expires_at)
			return LEDGER_PENDING_EXPIRED;
		if (post && t->amount > pe->st.amount)
			return LEDGER_POST_EXCEEDS_PENDING;
		amt = voidp ? 0 : t->amount ? t->amount : pe->st.amount;
		dr = m_idx(pe->st.debit);
		cr = m_idx(pe->st.credit);
		p->s[dr][DP] -= pe->st.amount;
		p->s[cr][CP] -= pe->st.amount;
		p->s[dr][DPO] += amt;
		p->s[cr][CPO] += amt;
		e->st.debit = pe->st.debit;
		e->st.credit = pe->st.credit;
		e->st.amount = amt;
		p->undo[p->nundo].k = k;
		p->undo[p->nundo].pend = e->pend;
		p->undo[p->nundo++].old_state = pe->state;
		pe->state =
			post ? LEDGER_PENDING_POSTED : LEDGER_PENDING_VOIDED;
		e->stored = true;
		return LEDGER_OK;
	}
	if (t->amount <= 0)
		return LEDGER_AMOUNT_INVALID;
	dr = m_idx(t->debit);
	cr = m_idx(t->credit);
	if ((p->aflags[dr] & LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS) &&
	    p->s[dr][DP] + p->s[dr][DPO] + t->amount > p->s[dr][CPO])
		return LEDGER_EXCEEDS_CREDITS;
	if (t->flags & LEDGER_PENDING) {
		p->s[dr][DP] += t->amount;
		p->s[cr][CP] += t->amount;
	} else {
		p->s[dr][DPO] += t->amount;
		p->s[cr][CPO] += t->amount;
	}
	p->undo[p->nundo].k = k;
	p->undo[p->nundo].pend = -1;
	p->undo[p->nundo++].old_state = 0;
	e->stored = true;
	e->state = LEDGER_PENDING_OPEN;
	return LEDGER_OK;
}

/* Forget what model_new() did since the undo list was emptied. */
static void model_undo(struct prop *p, money_t saved[P_NACC][4])
{
	memcpy(p->s, saved, sizeof(p->s));
	while (p->nundo > 0) {
		p->nundo--;
		p->log[p->undo[p->nundo].k].stored = false;
		if (p->undo[p->nundo].pend >= 0)
			p->log[p->undo[p->nundo].pend].state =
				p->undo[p->nundo].old_state;
	}
}

/* After a chain went through: the new transfers join the model's lists. */
static void model_commit(struct prop *p, const struct ledger_transfer *ts,
			 const int *res, const long *ks, int n)
{
	for (int i = 0; i < n; i++) {
		struct mt *e = &p->log[ks[i]];

		if (res[i] != LEDGER_OK)
			continue;
		e->ts = ts[i].timestamp;
		p->nstored++;
		if (e->st.flags & LEDGER_PENDING)
			p->pendings[p->npendings++] = ks[i];
		else if (!(e->st.flags &
			   (LEDGER_POST_PENDING | LEDGER_VOID_PENDING)))
			p->plains[p->nplains++] = ks[i];
	}
	p->nundo = 0;
}

static uint64_t other_account(uint64_t id)
{
	return id % P_NACC + 1;
}

/* Make a new transfer of a random kind; returns its log index. */
static long gen_new(struct prop *p)
{
	int pool = (int)rnd_in(p, 0, P_POOLS - 1);
	int a = (int)rnd_in(p, 0, P_APPL - 1);
	int op = (int)rnd_in(p, 0, 99);
	long k = new_entry(p);
	struct ledger_transfer *t = &p->log[k].sub;

	if (op < 10 || (op >= 35 && op < 55 && p->npendings == 0)) {
		/* fund (a budget, or a top-up) */
		set_plain(p, k, acc_id(pool, F_ACC), acc_id(pool, A_ACC),
			  rnd_in(p, 1, 2000000), 0, 1);
	} else if (op < 35) {
		/* reserve: pending available -> awarded */
		set_plain(p, k, acc_id(pool, A_ACC),
			  acc_id(pool, awarded_idx(a)),
			  chance(p, 2)
				  ? 0
				  : amount_from(
					    p,
					    m_bal(p, pool * P_PER_POOL + A_ACC),
					    400000),
			  LEDGER_PENDING, 2);
		if (chance(p, 30))
			t->expires_at = p->now + rnd_in(p, -2, 30);
	} else if (op < 55) {
		/* post (mostly open pendings) or void */
		long pk = p->pendings[rnd(p) % p->npendings];
		const struct mt *pe = &p->log[pk];
		bool post = op < 47;

		/* mostly an open one */
		for (int tries = 0;
		     tries < 4 && pe->state != 0 && chance(p, 70); tries++) {
			pk = p->pendings[rnd(p) % p->npendings];
			pe = &p->log[pk];
		}
		t->flags = post ? LEDGER_POST_PENDING : LEDGER_VOID_PENDING;
		t->code = post ? 3 : 4;
		p->log[k].pend = pk;
		snprintf(t->pending_id, sizeof(t->pending_id), "%s",
			 pe->sub.id);
		if (post) {
			int c = (int)rnd_in(p, 0, 9);

			t->amount = c < 4   ? 0
				    : c < 8 ? rnd_in(p, 1, pe->st.amount)
				    : c < 9 ? pe->st.amount
					    : pe->st.amount + rnd_in(p, 1, 9);
		} else {
			t->amount = chance(p, 50) ? 0 : rnd_in(p, -5, 1000);
		}
		if (chance(p, 20))
			t->debit = pe->st.debit;
		if (chance(p, 20))
			t->credit = pe->st.credit;
		if (chance(p, 3))
			t->debit = other_account(pe->st.debit);
		if (chance(p, 3))
			t->credit = other_account(pe->st.credit);
		if (chance(p, 3)) {
			/* no such pending, or not a pending one */
			if (p->nplains && chance(p, 50)) {
				long q = p->plains[rnd(p) % p->nplains];

				p->log[k].pend = q;
				snprintf(t->pending_id, sizeof(t->pending_id),
					 "%s", p->log[q].sub.id);
			} else {
				p->log[k].pend = -1;
				snprintf(t->pending_id, sizeof(t->pending_id),
					 "nope-%ld", k);
			}
		}
		snprintf(t->ref, sizeof(t->ref), "%s", pe->sub.ref);
	} else if (op < 75) {
		/* disburse awarded -> paid, sometimes more than awarded */
		int w = awarded_idx(a);
		money_t b = m_bal(p, pool * P_PER_POOL + w);

		set_plain(p, k, acc_id(pool, w), acc_id(pool, paid_idx(a)),
			  amount_from(p, b, 100000), 0, 5);
	} else if (op < 87) {
		/* clawback paid -> recovered */
		money_t b = m_bal(p, pool * P_PER_POOL + paid_idx(a));

		set_plain(p, k, acc_id(pool, paid_idx(a)), acc_id(pool, R_ACC),
			  amount_from(p, b, 50000), 0, 6);
	} else {
		/* recovered -> available, or -> treasury */
		money_t b = m_bal(p, pool * P_PER_POOL + R_ACC);

		set_plain(p, k, acc_id(pool, R_ACC),
			  acc_id(pool, chance(p, 50) ? A_ACC : T_ACC),
			  amount_from(p, b, 50000), 0, 7);
	}
	return k;
}

/*
 * A retry of a stored transfer, as is or with one field changed. Fills *t
 * and returns the result the retry must get (nothing changes either way).
 */
static int gen_retry(struct prop *p, struct ledger_transfer *t, long *kout)
{
	long k;
	const struct mt *e;
	bool pv;
	int c;

	/* A stored transfer that is not linked (alone, a linked one would
	 * open a chain). */
	for (int tries = 0;; tries++) {
		if (tries == 1000)
			return -1;
		k = (long)(rnd(p) % p->nlog);
		if (p->log[k].stored && !(p->log[k].sub.flags & LEDGER_LINKED))
			break;
	}
	*kout = k;
	e = &p->log[k];
	*t = e->sub;
	t->timestamp = 0;
	pv = t->flags & (LEDGER_POST_PENDING | LEDGER_VOID_PENDING);
	c = (int)rnd_in(p, 0, 8);
	switch (c) {
	case 0:
		return LEDGER_EXISTS;
	case 1: /* debit */
		if (pv && chance(p, 50)) {
			t->debit = chance(p, 50) ? 0 : e->st.debit;
			return LEDGER_EXISTS;
		}
		t->debit = other_account(e->st.debit);
		return LEDGER_EXISTS_DIFFERENT_DEBIT;
	case 2: /* credit */
		if (pv && chance(p, 50)) {
			t->credit = chance(p, 50) ? 0 : e->st.credit;
			return LEDGER_EXISTS;
		}
		t->credit = other_account(e->st.credit);
		return LEDGER_EXISTS_DIFFERENT_CREDIT;
	case 3: /* amount */
		if (t->flags & LEDGER_VOID_PENDING) {
			t->amount = rnd_in(p, -3, 99999);
			return LEDGER_EXISTS;
		}
		if (t->flags & LEDGER_POST_PENDING) {
			money_t full = p->log[e->pend].st.amount;

			if (t->amount == 0) {
				t->amount = full;
				return LEDGER_EXISTS;
			}
			if (chance(p, 50)) {
				bool same = t->amount == full;

				t->amount = 0;
				return same ? LEDGER_EXISTS
					    : LEDGER_EXISTS_DIFFERENT_AMOUNT;
			}
		}
		t->amount++;
		return LEDGER_EXISTS_DIFFERENT_AMOUNT;
	case 4: /* flags */
		if (t->flags & LEDGER_POST_PENDING) {
			t->flags = LEDGER_VOID_PENDING;
			return LEDGER_EXISTS_DIFFERENT_FLAGS;
		}
		if (t->flags & LEDGER_VOID_PENDING) {
			t->flags = LEDGER_POST_PENDING;
			if (t->amount < 0)
				return LEDGER_EXISTS_DIFFERENT_AMOUNT;
			return t->amount ? LEDGER_EXISTS_DIFFERENT_AMOUNT
					 : LEDGER_EXISTS_DIFFERENT_FLAGS;
		}
		t->flags ^= LEDGER_PENDING;
		if (!(t->flags & LEDGER_PENDING) && t->expires_at)
			return LEDGER_FLAGS_INVALID;
		return LEDGER_EXISTS_DIFFERENT_FLAGS;
	case 5: /* pending_id */
		if (!pv) {
			snprintf(t->pending_id, sizeof(t->pending_id), "x");
			return LEDGER_FLAGS_INVALID;
		}
		snprintf(t->pending_id, sizeof(t->pending_id), "%.100s-other",
			 e->sub.pending_id);
		return LEDGER_EXISTS_DIFFERENT_PENDING_ID;
	case 6: /* expiry */
		t->expires_at += 1;
		return (t->flags & LEDGER_PENDING)
			       ? LEDGER_EXISTS_DIFFERENT_EXPIRY
			       : LEDGER_FLAGS_INVALID;
	case 7:
		t->code += 1;
		return LEDGER_EXISTS_DIFFERENT_CODE;
	default:
		snprintf(t->ref, sizeof(t->ref), "%.100s+", e->sub.ref);
		return LEDGER_EXISTS_DIFFERENT_REF;
	}
}

struct sum_check {
	struct prop *p;
	money_t dp, dpo, cp, cpo;
	int n;
};

static int check_account(void *arg, const struct ledger_account *a)
{
	struct sum_check *c = arg;
	struct prop *p = c->p;
	int i = m_idx(a->id);

	PCHECK(p, i >= 0 && i < P_NACC);
	PCHECK_EQ(p, a->debits_pending, p->s[i][DP]);
	PCHECK_EQ(p, a->debits_posted, p->s[i][DPO]);
	PCHECK_EQ(p, a->credits_pending, p->s[i][CP]);
	PCHECK_EQ(p, a->credits_posted, p->s[i][CPO]);
	PCHECK(p, a->debits_pending >= 0 && a->debits_posted >= 0 &&
			  a->credits_pending >= 0 && a->credits_posted >= 0);
	if (a->flags & LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS)
		PCHECK(p, a->debits_pending + a->debits_posted <=
				  a->credits_posted);
	c->dp += a->debits_pending;
	c->dpo += a->debits_posted;
	c->cp += a->credits_pending;
	c->cpo += a->credits_posted;
	c->n++;
	return 0;
}

/* Everything the ledger holds against the model, and the rules on their
 * own: debits equal credits, available never negative, conservation. */
static void check_all(struct prop *p)
{
	struct sum_check c = {.p = p};

	ledger_mem_each_account(p->m, check_account, &c);
	PCHECK_EQ(p, c.n, P_NACC);
	PCHECK_EQ(p, c.dp, c.cp);
	PCHECK_EQ(p, c.dpo, c.cpo);
	for (int pool = 0; pool < P_POOLS; pool++) {
		struct ledger_account acc[P_PER_POOL];
		money_t budget, held, reserved_credits = 0;

		for (int i = 0; i < P_PER_POOL; i++)
			PCHECK_EQ(p,
				  p->io->account_get(p->io->ctx,
						     acc_id(pool, i), &acc[i]),
				  0);
		budget = acc[F_ACC].debits_posted;
		PCHECK(p, ledger_balance(&acc[A_ACC]) >= 0);
		PCHECK(p, ledger_balance(&acc[R_ACC]) >= 0);
		/* budget = available + reserved + awarded + paid + recovered
		 * + treasury, each a balance as the header defines it, and
		 * reserved the debits pending of available. */
		held = ledger_balance(&acc[A_ACC]) + acc[A_ACC].debits_pending +
		       ledger_balance(&acc[R_ACC]) +
		       ledger_balance(&acc[T_ACC]);
		for (int a = 0; a < P_APPL; a++) {
			const struct ledger_account *w = &acc[awarded_idx(a)];
			const struct ledger_account *pd = &acc[paid_idx(a)];

			PCHECK(p, ledger_balance(w) >= 0);
			PCHECK(p, ledger_balance(pd) >= 0);
			held += ledger_balance(w) + ledger_balance(pd);
			reserved_credits += w->credits_pending;
		}
		PCHECK_EQ(p, held, budget);
		/* What available holds back is what the awarded accounts wait
		 * for. */
		PCHECK_EQ(p, reserved_credits, acc[A_ACC].debits_pending);
		PCHECK_EQ(p, acc[T_ACC].debits_posted, 0);
		PCHECK_EQ(p, acc[F_ACC].credits_posted, 0);
	}
}

struct tx_check {
	struct prop *p;
	size_t n;
	int64_t last;
};

static int check_transfer(void *arg, const struct ledger_transfer *t)
{
	struct tx_check *c = arg;

	PCHECK(c->p, t->timestamp > c->last);
	c->last = t->timestamp;
	c->n++;
	return 0;
}

/* The stored transfer k as the model expects it. */
static void check_stored(struct prop *p, long k)
{
	const struct mt *e = &p->log[k];
	struct ledger_transfer got;
	int rc = p->io->transfer_get(p->io->ctx, e->sub.id, &got);

	if (!e->stored) {
		PCHECK_EQ(p, rc, 1);
		return;
	}
	PCHECK_EQ(p, rc, 0);
	PCHECK_EQ(p, got.debit, e->st.debit);
	PCHECK_EQ(p, got.credit, e->st.credit);
	PCHECK_EQ(p, got.amount, e->st.amount);
	PCHECK_EQ(p, got.flags, e->st.flags);
	PCHECK_EQ(p, got.expires_at, e->st.expires_at);
	PCHECK_EQ(p, got.code, e->st.code);
	PCHECK(p, strcmp(got.pending_id, e->st.pending_id) == 0);
	PCHECK(p, strcmp(got.ref, e->st.ref) == 0);
	PCHECK_EQ(p, got.timestamp, e->ts);
	if (e->st.flags & LEDGER_PENDING) {
		enum ledger_pending_state st;

		PCHECK_EQ(p, p->io->pending_state(p->io->ctx, e->sub.id, &st),
			  0);
		PCHECK_EQ(p, st, e->state);
	}
}

static void setup_pools(struct prop *p)
{
	struct ledger_account as[P_NACC];
	int r[P_NACC];

	memset(as, 0, sizeof(as));
	for (int pool = 0; pool < P_POOLS; pool++) {
		for (int i = 0; i < P_PER_POOL; i++) {
			struct ledger_account *a = &as[pool * P_PER_POOL + i];
			uint32_t fl = LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS;

			a->id = acc_id(pool, i);
			if (i == F_ACC || i == T_ACC)
				fl = 0;
			a->flags = fl;
			p->aflags[pool * P_PER_POOL + i] = fl;
			snprintf(a->code, sizeof(a->code), "pool%d/%d", pool,
				 i);
		}
	}
	assert_int_equal(ledger_create_accounts(p->io, as, P_NACC, r), 0);
	for (int i = 0; i < P_NACC; i++)
		assert_int_equal(r[i], LEDGER_OK);
}

/* One step: a new transfer, a retry, or a linked chain of two or three. */
static void prop_step(struct prop *p)
{
	struct ledger_transfer ts[3];
	money_t saved[P_NACC][4];
	long ks[3];
	bool dup[3] = {false, false, false};
	int want[3], got[3], n = 1, failed = -1;
	int kind = (int)rnd_in(p, 0, 99);

	memcpy(saved, p->s, sizeof(saved));
	p->nundo = 0;
	if (kind < 15 && p->nstored > 0 &&
	    (want[0] = gen_retry(p, &ts[0], &ks[0])) >= 0) {
		/* a retry: nothing may change */
		PCHECK_EQ(p, ledger_create_transfers(p->io, ts, 1, p->now, got),
			  0);
		PCHECK_EQ(p, got[0], want[0]);
		if (got[0] == LEDGER_EXISTS)
			PCHECK_EQ(p, ts[0].timestamp, p->log[ks[0]].ts);
		else
			PCHECK_EQ(p, ts[0].timestamp, 0);
		p->stats[got[0]]++;
		return;
	}
	ks[0] = gen_new(p);
	if (kind >= 85) {
		/* a linked chain; a later member sometimes fails */
		n = 2;
		p->log[ks[0]].sub.flags |= LEDGER_LINKED;
		if (kind >= 97) {
			/* the same transfer twice, then another */
			ks[1] = ks[0];
			dup[1] = true;
			ks[2] = gen_new(p);
			n = 3;
		} else if (kind >= 93 &&
			   (p->log[ks[0]].sub.flags & LEDGER_PENDING)) {
			/* reserve and settle it in one chain */
			long k = new_entry(p);
			struct ledger_transfer *t = &p->log[k].sub;

			t->flags = chance(p, 50) ? LEDGER_POST_PENDING
						 : LEDGER_VOID_PENDING;
			t->amount = (t->flags & LEDGER_POST_PENDING)
					    ? rnd_in(p, 0, 400000)
					    : 0;
			p->log[k].pend = ks[0];
			snprintf(t->pending_id, sizeof(t->pending_id), "%s",
				 p->log[ks[0]].sub.id);
			ks[1] = k;
		} else {
			ks[1] = gen_new(p);
		}
	}
	for (int i = 0; i < n; i++)
		ts[i] = p->log[ks[i]].sub;

	/* The model's verdict on the chain. */
	for (int i = 0; i < n && failed < 0; i++) {
		want[i] = dup[i] ? LEDGER_EXISTS : model_new(p, ks[i]);
		if (want[i] != LEDGER_OK && want[i] != LEDGER_EXISTS)
			failed = i;
	}
	if (failed >= 0) {
		for (int i = 0; i < n; i++)
			if (i != failed)
				want[i] = LEDGER_LINKED_EVENT_FAILED;
		model_undo(p, saved);
	}

	PCHECK_EQ(p, ledger_create_transfers(p->io, ts, (size_t)n, p->now, got),
		  0);
	for (int i = 0; i < n; i++) {
		PCHECK_EQ(p, got[i], want[i]);
		p->stats[got[i]]++;
		if (dup[i] && got[i] == LEDGER_EXISTS)
			PCHECK_EQ(p, ts[i].timestamp, ts[0].timestamp);
		if (got[i] != LEDGER_OK && got[i] != LEDGER_EXISTS)
			PCHECK_EQ(p, ts[i].timestamp, 0);
		if (i > 0 && got[i] == LEDGER_OK)
			PCHECK(p, ts[i].timestamp > ts[i - 1].timestamp);
	}
	model_commit(p, ts, got, ks, n);
	for (int i = 0; i < n; i++) {
		check_stored(p, ks[i]);
		if (p->log[ks[i]].pend >= 0)
			check_stored(p, p->log[ks[i]].pend);
	}
}

static void run_property(uint64_t seed, int steps)
{
	struct prop *p = calloc(1, sizeof(*p));
	struct tx_check tc;

	assert_non_null(p);
	p->seed = seed;
	p->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	p->now = 1735689600; /* 2025-01-01 */
	p->m = ledger_mem_new();
	assert_non_null(p->m);
	p->io = ledger_mem_io(p->m);
	p->caplog = (size_t)steps * 2 + 8;
	p->log = calloc(p->caplog, sizeof(*p->log));
	p->pendings = calloc(p->caplog, sizeof(*p->pendings));
	p->plains = calloc(p->caplog, sizeof(*p->plains));
	assert_non_null(p->log);
	assert_non_null(p->pendings);
	assert_non_null(p->plains);
	setup_pools(p);

	for (p->step = 0; p->step < steps; p->step++) {
		if (chance(p, 30))
			p->now += rnd_in(p, 0, 3);
		prop_step(p);
		check_all(p);
		if (p->step % 250 == 0) {
			memset(&tc, 0, sizeof(tc));
			tc.p = p;
			ledger_mem_each_transfer(p->m, check_transfer, &tc);
			PCHECK_EQ(p, tc.n, p->nstored);
		}
	}
	/* At the end, every transfer against the model. */
	memset(&tc, 0, sizeof(tc));
	tc.p = p;
	ledger_mem_each_transfer(p->m, check_transfer, &tc);
	PCHECK_EQ(p, tc.n, p->nstored);
	for (size_t k = 0; k < p->nlog; k++)
		check_stored(p, (long)k);
	if (getenv("LEDGER_PROP_VERBOSE")) {
		print_message("      seed %llu:", (unsigned long long)seed);
		for (int r = 0; r < LEDGER__RESULT_COUNT; r++)
			if (p->stats[r])
				print_message(" %s=%ld", ledger_result_name(r),
					      p->stats[r]);
		print_message("\n");
	}
	/* The run must have exercised the interesting paths. */
	PCHECK(p, p->stats[LEDGER_OK] > steps / 3);
	PCHECK(p, p->stats[LEDGER_EXISTS] > 0);
	PCHECK(p, p->stats[LEDGER_EXCEEDS_CREDITS] > 0);
	PCHECK(p, p->stats[LEDGER_LINKED_EVENT_FAILED] > 0);
	PCHECK(p, p->stats[LEDGER_PENDING_ALREADY_POSTED] +
				  p->stats[LEDGER_PENDING_ALREADY_VOIDED] >
			  0);
	PCHECK(p, p->stats[LEDGER_PENDING_EXPIRED] > 0);
	PCHECK(p, p->stats[LEDGER_EXISTS_DIFFERENT_AMOUNT] > 0);
	ledger_mem_free(p->m);
	free(p->log);
	free(p->pendings);
	free(p->plains);
	free(p);
}

/* LEDGER_PROP_SEED=n runs only seed n (to replay a failure);
 * LEDGER_PROP_STEPS=n changes the number of steps per seed. */
static void test_property(void **state)
{
	const char *one_seed = getenv("LEDGER_PROP_SEED");
	const char *steps_env = getenv("LEDGER_PROP_STEPS");
	int steps = 5000;

	(void)state;
	if (steps_env)
		steps = (int)strtol(steps_env, NULL, 10);
	if (one_seed) {
		run_property(strtoull(one_seed, NULL, 10), steps);
		return;
	}
	for (uint64_t seed = 1; seed <= 8; seed++)
		run_property(seed, steps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_names),
		cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flags_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_amount_and_accounts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_post_void, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pending_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_io_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large, setup, teardown),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
