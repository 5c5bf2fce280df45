/*
 * test_hot.c - the writer's hot state (src/office/hot.c) stays equal to
 * the store when another process writes between two of its transactions,
 * and when a transaction or an application's savepoint is rolled back.
 *
 * Two offices open one database, as a quan serve and a quan apply would.
 * Office A reads and caches the pool's accounts; office B then spends from
 * the same pool; A's next application must see B's spending (the store's
 * generation tells A that someone else wrote), or A would write balances
 * computed from stale ones: the ledger would no longer add up, and the
 * pool could be spent twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/office.h"
#include "office/office_int.h"
#include "policy/chips.h"
#include "testoffice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000

struct fx {
	struct testdb db;
	struct chip_catalog *chips;
	struct office a, b;
	char *text;
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testoffice_open(&f->db, &f->chips, &f->a,
			QUAN_POLICYDIR "/shanghai-2025.yaml", NOW);
	/* B, another process's office on the same database. */
	testoffice_open_on(&f->db, f->chips, &f->b, NULL, NOW);
	testoffice_example("sh-corpus.json", &f->text, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	office_close(&f->b);
	testoffice_close(&f->db, f->chips, &f->a);
	free(f->text);
	free(f);
	return 0;
}

/* Application k: the example with its own client_ref, contract number and
 * value 3 000 000.00 + 10 k yuan (so the duplicate-claim screen does not
 * take it for the same contract); it asks 900 000.00 + 3 k. */
static void text_of(struct fx *f, int k, const char *ref, char *buf, size_t n)
{
	char v[32], num[32];

	snprintf(buf, n, "%s", f->text);
	testoffice_swap(buf, n, "sh-corpus-1", ref);
	snprintf(v, sizeof(v), "\"%d.00\"", 3000000 + 10 * k);
	testoffice_swap(buf, n, "\"3000000.00\"", v);
	snprintf(num, sizeof(num), "\"HT-HOT-%d\"", k);
	testoffice_swap(buf, n, "\"HT-2025-1633\"", num);
}

static void apply(struct fx *f, struct office *o, const char *ref, int k,
		  int want_state)
{
	char buf[8192];
	struct office_result res;
	struct qerr e;
	int n;

	text_of(f, k, ref, buf, sizeof(buf));
	n = (int)strlen(buf);
	qerr_clear(&e);
	assert_int_equal(
		office_apply(o, buf, (size_t)n, "applicant", NOW, &res, &e), 0);
	if (res.state != want_state) {
		struct store_app sa;
		json_t *j = NULL;

		if (!store_app_get(o->store, res.id, &sa, &e) &&
		    !office_decision_json(o, &sa, &j, &e)) {
			char *t = json_dumps(json_object_get(j, "reasons"), 0);

			fprintf(stderr, "%s: %s\n", res.id, t);
			free(t);
		}
		json_decref(j);
	}
	assert_int_equal(res.state, want_state);
}

struct corpus {
	money_t available, reserved;
};

static int corpus_of(void *arg, const struct office_pool_figures *p)
{
	struct corpus *c = arg;

	if (!strcmp(p->pool, "corpus") && p->year == 2025) {
		c->available = p->available;
		c->reserved = p->reserved;
	}
	return 0;
}

/* audit verify passes: every transfer claimed by the event that caused
 * it, a rolled-back one by none. */
static void verify(struct office *o)
{
	int64_t count = 0, bad = 0;
	char why[256] = "";
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_audit_verify(o, &count, &bad, why, sizeof(why), &e);
	if (rc)
		fail_msg("audit verify: %d: %s%s", rc, why, e.msg);
	assert_true(count > 0);
}

static void check(struct office *o, money_t reserved)
{
	struct corpus c = {-1, -1};
	struct qerr e;
	FILE *out = fopen("/dev/null", "w");

	assert_int_equal(office_pools_each(o, corpus_of, &c, &e), 0);
	assert_int_equal(c.reserved, reserved);
	assert_int_equal(c.available + c.reserved,
			 (money_t)100000000 * MONEY_FEN_PER_YUAN);
	assert_int_equal(office_ledger_check(o, out, &e), 0);
	fclose(out);
	verify(o);
}

/* Application k reserves 900 000.00 + 3 k (30 %) from the 100 M corpus
 * pool. */
#define ASK(k) (((money_t)900000 + 3 * (k)) * MONEY_FEN_PER_YUAN)

static void test_other_writer(void **state)
{
	struct fx *f = *state;
	long hits, misses;

	apply(f, &f->a, "a-1", 1, APP_RESERVED);
	apply(f, &f->a, "a-2", 2, APP_RESERVED);
	office_hot_counts(&f->a, &hits, &misses);
	/* A's second application read the pool's accounts from memory. */
	assert_true(hits > 0);
	apply(f, &f->b, "b-1", 3, APP_RESERVED);
	apply(f, &f->b, "b-2", 4, APP_RESERVED);
	/* A must see B's two reservations, not its own memory of before. */
	apply(f, &f->a, "a-3", 5, APP_RESERVED);
	check(&f->a, ASK(1) + ASK(2) + ASK(3) + ASK(4) + ASK(5));
	check(&f->b, ASK(1) + ASK(2) + ASK(3) + ASK(4) + ASK(5));
}

/* A batch whose second application fails after it has reserved its money
 * (its contract cannot be recorded: a row in the way, put there behind
 * the office's back): the failure rolls back its savepoint alone, and
 * what A keeps in memory must forget the reservation rolled back. */
static void test_savepoint(void **state)
{
	struct fx *f = *state;
	char t1[8192], t2[8192], t3[8192], why[256];
	const char *texts[3] = {t1, t2, t3};
	size_t lens[3];
	struct office_result res[3];
	int rcs[3];
	struct qerr errs[3], e;

	text_of(f, 1, "x-1", t1, sizeof(t1));
	text_of(f, 2, "x-2", t2, sizeof(t2));
	text_of(f, 1, "x-1", t3, sizeof(t3)); /* a retry of the first */
	for (int i = 0; i < 3; i++)
		lens[i] = strlen(texts[i]);
	if (testdb_exec(&f->db,
			"INSERT INTO contracts (app_id, program, applicant, "
			"supplier, number, value, signed_on) VALUES "
			"('SH-2025-000002', 'x', 'x', 'x', 'x', 1, 1)",
			why, sizeof(why)))
		fail_msg("a row in the way: %s", why);
	assert_int_equal(office_apply_batch(&f->a, texts, lens, 3, "applicant",
					    NOW, res, rcs, errs, &e),
			 0);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], Q_ERR_CONFLICT);
	assert_int_equal(rcs[2], 0);
	assert_true(res[2].existed);
	check(&f->a, ASK(1));
	if (testdb_exec(&f->db, "DELETE FROM contracts WHERE program = 'x'",
			why, sizeof(why)))
		fail_msg("the row out of the way: %s", why);
	apply(f, &f->a, "a-8", 8, APP_RESERVED);
	apply(f, &f->b, "b-9", 9, APP_RESERVED);
	apply(f, &f->a, "a-7", 7, APP_RESERVED);
	check(&f->a, ASK(1) + ASK(8) + ASK(9) + ASK(7));
}

/* Application k with applicant and supplier swapped: another firm (Y)
 * buying from the first (X). */
#define FIRM_X "91310000MA1FL8WR2F"
#define FIRM_Y "91310104MA1FR9KP6K"
static void text_of_y(struct fx *f, int k, const char *ref, char *buf, size_t n)
{
	text_of(f, k, ref, buf, n);
	testoffice_swap(buf, n, FIRM_X, "FIRM-X-SWAP");
	testoffice_swap(buf, n, FIRM_Y, FIRM_X);
	testoffice_swap(buf, n, "FIRM-X-SWAP", FIRM_Y);
}

static void apply_y(struct fx *f, struct office *o, const char *ref, int k,
		    struct office_result *res)
{
	char buf[8192];
	struct qerr e;

	text_of_y(f, k, ref, buf, sizeof(buf));
	qerr_clear(&e);
	assert_int_equal(
		office_apply(o, buf, strlen(buf), "applicant", NOW, res, &e),
		0);
}

/* What A keeps of the firms that filed, of the lists and of the numbers
 * follows what B writes: B's application is found under its client_ref
 * when resent to A (not refused as a clash of references), the numbers
 * go on from B's, and a firm B puts on the dishonest list is blocked at
 * A. */
static void test_other_writer_firms(void **state)
{
	struct fx *f = *state;
	struct office_result rb, ra;
	const char csv[] = "uscc,name,reason,source\n" FIRM_Y ",Y,test,court\n";
	char why[256];
	long count;
	struct qerr e;

	apply(f, &f->a, "a-1", 1, APP_RESERVED);
	apply_y(f, &f->b, "y-1", 2, &rb);
	assert_int_equal(rb.state, APP_RESERVED);
	assert_string_equal(rb.id, "SH-2025-000002");
	apply_y(f, &f->a, "y-1", 2, &ra);
	assert_true(ra.existed);
	assert_string_equal(ra.id, rb.id);
	apply_y(f, &f->a, "y-3", 3, &ra);
	assert_false(ra.existed);
	assert_string_equal(ra.id, "SH-2025-000003");
	apply_y(f, &f->b, "y-4", 4, &rb);
	assert_string_equal(rb.id, "SH-2025-000004");
	assert_int_equal(office_list_import(&f->b, "dishonest", csv,
					    strlen(csv), "t.csv", "admin", NOW,
					    &count, &e),
			 0);
	assert_int_equal(count, 1);
	apply_y(f, &f->a, "y-5", 5, &ra);
	assert_string_equal(ra.id, "SH-2025-000005");
	assert_true(ra.blocked);
	assert_int_equal(ra.state, APP_INELIGIBLE);
	/* A wrote last: what it keeps is the store's. (B's memory is of
	 * before A wrote, and is read again at B's next transaction.) */
	if (office_hot_check(&f->a, why, sizeof(why)))
		fail_msg("office A: %s", why);
}

/* Office b stores an application under number id, as an office copied
 * from an older one holds numbers the counter never gave. */
static void hold(struct fx *f, const char *id)
{
	struct store_app sa;
	struct qerr e;

	memset(&sa, 0, sizeof(sa));
	snprintf(sa.id, sizeof(sa.id), "%s", id);
	snprintf(sa.program, sizeof(sa.program), "shanghai-2025");
	snprintf(sa.measure, sizeof(sa.measure), "corpus");
	snprintf(sa.uscc, sizeof(sa.uscc), "91310115MA1K4ABCDD");
	snprintf(sa.policy_hash, sizeof(sa.policy_hash), "%s",
		 f->a.policies[0]->hash);
	sa.state = APP_WITHDRAWN;
	sa.fiscal_year = 2025;
	sa.received_at = NOW - 86400;
	sa.updated_at = NOW - 86400;
	sa.json = "{}";
	sa.decision = "{}";
	qerr_clear(&e);
	assert_int_equal(store_begin(f->b.store, &e), 0);
	if (store_app_insert(f->b.store, &sa, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(store_commit(f->b.store, &e), 0);
}

/* Numbers an older office's applications hold are skipped: probed until
 * the office has seen that none above is held, and again once another
 * process has written. */
static void test_held_numbers(void **state)
{
	struct fx *f = *state;
	struct office_result r;
	char why[256];

	hold(f, "SH-2025-000003");
	apply_y(f, &f->a, "h-1", 1, &r);
	assert_string_equal(r.id, "SH-2025-000001");
	apply_y(f, &f->a, "h-2", 2, &r);
	assert_string_equal(r.id, "SH-2025-000002");
	apply_y(f, &f->a, "h-3", 3, &r);
	assert_string_equal(r.id, "SH-2025-000004");
	apply_y(f, &f->a, "h-4", 4, &r);
	assert_string_equal(r.id, "SH-2025-000005");
	/* Another writer stores a number above: A must not trust its
	 * memory that none is held. */
	hold(f, "SH-2025-000007");
	apply_y(f, &f->a, "h-5", 5, &r);
	assert_string_equal(r.id, "SH-2025-000006");
	apply_y(f, &f->a, "h-6", 6, &r);
	assert_string_equal(r.id, "SH-2025-000008");
	if (office_hot_check(&f->a, why, sizeof(why)))
		fail_msg("office A: %s", why);
}

static int last_action(void *arg, const struct store_event *ev)
{
	snprintf(arg, 32, "%s", ev->action);
	return 0;
}

/* A transfer between pool accounts, id, of 1.00. */
static int move(struct office *o, const char *id)
{
	struct ledger_transfer t;
	char code[LEDGER_ID_MAX];
	struct qerr e;
	int result = -1;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", id);
	office_pool_code(code, "shanghai-2025", "corpus", 2025, "available",
			 NULL);
	t.debit = office_account_id(code);
	office_pool_code(code, "shanghai-2025", "corpus", 2025, "recovered",
			 NULL);
	t.credit = office_account_id(code);
	t.amount = 100;
	t.code = XFER_RETURN;
	assert_int_equal(office_xfer(o, &t, NOW, &result, &e), 0);
	return result;
}

/* A transfer written after the last event of its transaction gets an
 * event of its own at the commit; one rolled back is claimed by no later
 * event (the next application's claims only its own). */
static void test_claims(void **state)
{
	struct fx *f = *state;
	char action[32] = "";
	struct qerr e;

	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(move(&f->a, "test/left-over"), LEDGER_OK);
	assert_int_equal(office_commit(&f->a, &e), 0);
	assert_int_equal(store_event_each(f->a.store, last_action, action, &e),
			 0);
	assert_string_equal(action, "transfers");
	verify(&f->a);

	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(move(&f->a, "test/rolled-back"), LEDGER_OK);
	office_rollback(&f->a);
	apply(f, &f->a, "a-1", 1, APP_RESERVED);
	assert_int_equal(store_event_each(f->a.store, last_action, action, &e),
			 0);
	assert_string_equal(action, "apply");
	verify(&f->a);
}

/* --- balances written behind ---------------------------------------------- */

/* Account id as the store holds it (read through store_account_each, as
 * the ledger check reads it, so that the hot state flushes first). */
struct seen {
	uint64_t id;
	struct ledger_account a;
	bool found;
};

static int seen_account(void *arg, const struct ledger_account *a)
{
	struct seen *s = arg;

	if (a->id == s->id) {
		s->a = *a;
		s->found = true;
	}
	return 0;
}

static struct seen stored(struct office *o, uint64_t id)
{
	struct seen s = {id, {0}, false};
	struct qerr e;

	if (store_account_each(o->store, seen_account, &s, &e))
		fail_msg("reading the accounts: %s", e.msg);
	return s;
}

/* Move amount from account debit to credit (transfer id). */
static void shift_from(struct office *o, const char *id, uint64_t debit,
		       uint64_t credit, money_t amount)
{
	struct ledger_transfer t;
	int r = -1;

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", id);
	t.debit = debit;
	t.credit = credit;
	t.amount = amount;
	t.code = 1;
	assert_int_equal(
		ledger_create_transfers(office_ledger(o), &t, 1, NOW, &r), 0);
	assert_int_equal(r, LEDGER_OK);
}

static void shift(struct office *o, const char *id, money_t amount)
{
	shift_from(o, id, 9001, 9002, amount);
}

/* Inside a transaction the balances live in memory and reach the store
 * at the latest before COMMIT, at once when the store is asked to read
 * the accounts. A savepoint's rollback puts memory back exactly: the
 * balance it had (dirty or flushed since), and no account created under
 * it; B, reading the store after A's commit, sees what A committed. */
static void test_write_behind(void **state)
{
	struct fx *f = *state;
	struct ledger_account as[4];
	struct ledger_account got;
	int r[3];
	char why[256];
	struct qerr e;

	memset(as, 0, sizeof(as));
	for (int i = 0; i < 4; i++) {
		as[i].id = 9001 + (uint64_t)i;
		snprintf(as[i].code, sizeof(as[i].code), "test/%d", i);
	}
	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(ledger_create_accounts(office_ledger(&f->a), as, 2, r),
			 0);
	assert_int_equal(r[0], LEDGER_OK);
	shift(&f->a, "wb-1", 100);
	/* A read of the accounts from the store sees the balance. */
	assert_int_equal(stored(&f->a, 9002).a.credits_posted, 100);

	/* Kept under a released savepoint. */
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	shift(&f->a, "wb-2", 5);
	assert_int_equal(office_savepoint_release(&f->a, &e), 0);
	shift(&f->a, "wb-3", 10); /* dirty when the savepoint begins */

	/* Rolled back while dirty. */
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	shift(&f->a, "wb-4", 1000);
	office_savepoint_rollback(&f->a);
	assert_int_equal(office_ledger(&f->a)->account_get(
				 office_ledger(&f->a)->ctx, 9002, &got),
			 0);
	assert_int_equal(got.credits_posted, 115);

	/* Rolled back after a flush under the savepoint, with accounts
	 * created under it: 9001 and 9002, dirty when it began and not
	 * touched under it, are written by the flush and rolled back with
	 * the store; 115 must still reach the store at the commit. */
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	assert_int_equal(
		ledger_create_accounts(office_ledger(&f->a), &as[2], 2, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	shift_from(&f->a, "wb-5", 9003, 9004, 2000);
	assert_int_equal(stored(&f->a, 9002).a.credits_posted, 115);
	assert_int_equal(stored(&f->a, 9004).a.credits_posted, 2000);
	assert_true(stored(&f->a, 9003).found);
	office_savepoint_rollback(&f->a);
	assert_int_equal(office_ledger(&f->a)->account_get(
				 office_ledger(&f->a)->ctx, 9003, &got),
			 1);
	assert_int_equal(office_ledger(&f->a)->account_get(
				 office_ledger(&f->a)->ctx, 9001, &got),
			 0);
	assert_int_equal(got.debits_posted, 115);

	/* A new account's row is written at the latest when its savepoint
	 * is released, so that a code already taken fails there, while the
	 * savepoint can be rolled back alone. */
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	as[3].id = 9005;
	snprintf(as[3].code, sizeof(as[3].code), "test/0"); /* 9001's */
	assert_int_equal(
		ledger_create_accounts(office_ledger(&f->a), &as[3], 1, r), 0);
	assert_int_equal(r[0], LEDGER_OK);
	assert_int_equal(office_savepoint_release(&f->a, &e), Q_ERR_CONFLICT);
	office_savepoint_rollback(&f->a);
	assert_int_equal(office_ledger(&f->a)->account_get(
				 office_ledger(&f->a)->ctx, 9005, &got),
			 1);
	assert_int_equal(office_commit(&f->a, &e), 0);

	if (office_hot_check(&f->a, why, sizeof(why)))
		fail_msg("the hot state: %s", why);
	assert_int_equal(stored(&f->b, 9002).a.credits_posted, 115);
	assert_int_equal(stored(&f->b, 9001).a.debits_posted, 115);
	assert_false(stored(&f->b, 9003).found);
	assert_false(stored(&f->b, 9004).found);
	assert_false(stored(&f->b, 9005).found);
}

/* The numbers are written behind, once per program and year at the
 * commit; a savepoint's rollback gives back the numbers drawn under it,
 * and drops a program and year first drawn under it. */
static int64_t draw(struct fx *f, const char *program)
{
	struct qerr e;
	int64_t n = 0;
	bool clean;

	assert_int_equal(
		office_hot_number(&f->a, program, 2025, &n, &clean, &e), 0);
	return n;
}

static void test_numbers_behind(void **state)
{
	struct fx *f = *state;
	char got[32], why[256];
	struct qerr e;

	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb"), 1);
	assert_int_equal(draw(f, "nb"), 2);
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb"), 3);
	assert_int_equal(draw(f, "nb"), 4);
	office_savepoint_rollback(&f->a);
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb"), 3);
	assert_int_equal(draw(f, "nb-2"), 1);
	assert_int_equal(draw(f, "nb-2"), 2);
	office_savepoint_rollback(&f->a);
	assert_int_equal(office_savepoint(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb-2"), 1);
	assert_int_equal(draw(f, "nb"), 3);
	assert_int_equal(office_savepoint_release(&f->a, &e), 0);
	assert_int_equal(office_commit(&f->a, &e), 0);
	if (office_hot_check(&f->a, why, sizeof(why)))
		fail_msg("the hot state: %s", why);
	assert_int_equal(testdb_text(&f->db,
				     "SELECT last FROM app_numbers WHERE "
				     "program = 'nb' AND year = 2025",
				     got, sizeof(got)),
			 0);
	assert_string_equal(got, "3");
	assert_int_equal(testdb_text(&f->db,
				     "SELECT last FROM app_numbers WHERE "
				     "program = 'nb-2' AND year = 2025",
				     got, sizeof(got)),
			 0);
	assert_string_equal(got, "1");
	/* A rolled back transaction leaves the store's numbers. */
	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb"), 4);
	office_rollback(&f->a);
	assert_int_equal(office_begin(&f->a, &e), 0);
	assert_int_equal(draw(f, "nb"), 4);
	assert_int_equal(office_commit(&f->a, &e), 0);
	if (office_hot_check(&f->a, why, sizeof(why)))
		fail_msg("the hot state: %s", why);
}

/* --- the firm's yearly sums ------------------------------------------- */

/* Shenzhen's training voucher: 60 % of the contract for a start-up, at
 * most 10 M yuan per enterprise per year. Contract k of the example firm
 * is worth 8 M yuan + 10 k fen, so it asks 4.8 M yuan + 6 k fen. */
#define SZ_CAP ((money_t)10000000 * MONEY_FEN_PER_YUAN)
#define SZ_ASK(k) ((money_t)4800000 * MONEY_FEN_PER_YUAN + (k)*6)

static void sz_text(int k, const char *number, char *buf, size_t n)
{
	char *text = NULL, v[32], ref[32];
	size_t len;

	testoffice_example("sz-training.json", &text, &len);
	snprintf(buf, n, "%s", text);
	free(text);
	snprintf(ref, sizeof(ref), "\"sz-cap-%d\"", k);
	testoffice_swap(buf, n, "\"sz-training-1\"", ref);
	snprintf(v, sizeof(v), "\"%d.%02d\"", 8000000 + k / 10, k % 10 * 10);
	testoffice_swap(buf, n, "\"3000000.00\"", v);
	testoffice_swap(buf, n, "SZ-HT-2025-0031", number);
}

/* Every firm-year the writer keeps equals the store's sums. */
static void sums_equal(struct office *o)
{
	char why[256];

	if (office_hot_check(o, why, sizeof(why)))
		fail_msg("the hot state: %s", why);
}

/* Send applications ks (their contracts HT-CAP-k, or HT-BAD refused by
 * the store, for -k) as one batch; want[i]: the amount reserved (0 once
 * the cap is reached: reserved for nothing), -1 for the item's failure. */
static void sz_batch(struct office *o, const int *ks, const money_t *want,
		     size_t n, char ids[][64])
{
	char bufs[8][8192], num[32];
	const char *texts[8];
	size_t lens[8];
	struct office_result res[8];
	int rcs[8];
	struct qerr errs[8], e;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof(num), ks[i] < 0 ? "HT-BAD" : "HT-CAP-%d",
			 ks[i]);
		sz_text(ks[i] < 0 ? -ks[i] : ks[i], num, bufs[i],
			sizeof(bufs[i]));
		texts[i] = bufs[i];
		lens[i] = strlen(bufs[i]);
	}
	qerr_clear(&e);
	if (office_apply_batch(o, texts, lens, n, "applicant", NOW, res, rcs,
			       errs, &e))
		fail_msg("the batch: %s", e.msg);
	for (size_t i = 0; i < n; i++) {
		if (want[i] < 0) {
			assert_int_not_equal(rcs[i], 0);
			continue;
		}
		if (rcs[i])
			fail_msg("item %zu: %s", i, errs[i].msg);
		if (ids)
			snprintf(ids[i], 64, "%.63s", res[i].id);
		if (res[i].state != APP_RESERVED || res[i].amount != want[i])
			fail_msg("item %zu (k %d): %s, %lld fen, not %lld", i,
				 ks[i], app_state_name(res[i].state),
				 (long long)res[i].amount, (long long)want[i]);
	}
}

/* A contract numbered HT-BAD is refused by the store when its row is
 * written, after the application was recorded and its reservation made:
 * the item's savepoint is rolled back. */
static void refuse_bad(struct fx *f)
{
	char why[256];
	const char *sql =
		f->db.pg ? "CREATE FUNCTION refuse() RETURNS trigger AS $$ "
			   "BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = "
			   "'unique_violation'; END $$ LANGUAGE plpgsql; "
			   "CREATE TRIGGER refuse_bad BEFORE INSERT ON "
			   "contracts FOR EACH ROW WHEN (NEW.number = "
			   "'HT-BAD') EXECUTE FUNCTION refuse()"
			 /* A row under its key first: the insert then
			  * conflicts, and the statement's undo takes both. */
			 : "CREATE TRIGGER refuse_bad BEFORE INSERT ON "
			   "contracts WHEN NEW.number = 'HT-BAD' BEGIN "
			   "INSERT INTO contracts (app_id, program, "
			   "applicant, supplier, number, value, signed_on) "
			   "VALUES (NEW.app_id, 'x', 'x', 'x', 'x', 1, 1); "
			   "END";

	if (testdb_exec(&f->db, sql, why, sizeof(why)))
		fail_msg("the trigger: %s", why);
}

/* One firm files several applications in a batch against the yearly cap,
 * with an item rolled back in the middle, then a rejection, then more:
 * the awards are cut exactly at the cap, by hand figures, whether the
 * writer keeps the sums (on) or reads them each time. */
static void yearly_cap(struct fx *f, bool on)
{
	struct office *o = &f->a;
	struct office_result r;
	struct qerr e;
	bool is_new;
	char ids[8][64];
	long hits, reads;

	assert_int_equal(
		office_load_policy(o, QUAN_POLICYDIR "/shenzhen-2024.yaml",
				   "admin", NOW, &is_new, &e),
		0);
	office_hot_years_enable(o, on);
	refuse_bad(f);
	/* 4.8 M, 4.8 M, (9.6 M held, a failure: its 0.4 M rolled back),
	 * 0.4 M: the cap reached; then a retry of the first. */
	{
		int ks[] = {1, 2, -3, 4, 1};
		money_t want[] = {SZ_ASK(1), SZ_ASK(2), -1,
				  SZ_CAP - SZ_ASK(1) - SZ_ASK(2), SZ_ASK(1)};

		sz_batch(o, ks, want, 5, ids);
	}
	sums_equal(o);
	office_hot_year_counts(o, &hits, &reads);
	/* The first application read nothing of the firm's year (it had
	 * filed nothing), the next ones were answered from memory. On
	 * PostgreSQL the batch runs twice: its optimistic pass is rolled
	 * back when the refused contract answers, and the set of firms that
	 * filed, kept through rollbacks, then costs the second pass one
	 * read. */
	assert_true(reads <= (f->db.pg ? 1 : 0));
	assert_true(on ? hits >= 3 : hits == 0);
	/* Full: one more is refused. */
	{
		int ks[] = {5};
		money_t want[] = {0};

		sz_batch(o, ks, want, 1, NULL);
	}
	sums_equal(o);
	/* The second is rejected: its share comes back to the firm's year,
	 * which a larger one then takes (cut to it), and no more. */
	qerr_clear(&e);
	if (office_reject(o, ids[1], "test", "reviewer", NOW, &r, &e))
		fail_msg("reject: %s", e.msg);
	sums_equal(o);
	{
		int ks[] = {6, 7};
		money_t want[] = {SZ_ASK(2), 0};

		sz_batch(o, ks, want, 2, ids);
	}
	sums_equal(o);
	/* That one is withdrawn: its share comes back, once. */
	qerr_clear(&e);
	if (office_withdraw(o, ids[0], "applicant", NOW, &r, &e))
		fail_msg("withdraw: %s", e.msg);
	sums_equal(o);
	{
		int ks[] = {9, 10};
		money_t want[] = {SZ_ASK(2), 0};

		sz_batch(o, ks, want, 2, NULL);
	}
	sums_equal(o);
}

static void test_yearly_cap(void **state)
{
	yearly_cap(*state, true);
}

/* The same figures with every sum read from the store. */
static void test_yearly_cap_off(void **state)
{
	yearly_cap(*state, false);
}

/* A firm first met with no application: its references since are kept,
 * so a new one needs no read, while a resent one is still found (and
 * another body under it refused), and one another process stored is
 * found after that process wrote. */
static void test_new_firm_refs(void **state)
{
	struct fx *f = *state;
	struct office_result r1, r, rb;
	char buf[8192];
	struct qerr e;
	long spared;

	apply_y(f, &f->a, "n-1", 1, &r1);
	assert_false(r1.existed);
	apply_y(f, &f->a, "n-2", 2, &r);
	assert_false(r.existed);
	spared = office_hot_ref_hits(&f->a);
	/* n-2 was certainly unused: no read. */
	assert_true(spared >= 1);
	apply_y(f, &f->a, "n-1", 1, &r);
	assert_true(r.existed);
	assert_string_equal(r.id, r1.id);
	/* n-1 with another body. */
	text_of_y(f, 3, "n-1", buf, sizeof(buf));
	qerr_clear(&e);
	assert_int_equal(
		office_apply(&f->a, buf, strlen(buf), "applicant", NOW, &r, &e),
		Q_ERR_CONFLICT);
	/* Another process stores the firm's n-b: A must find it. */
	apply_y(f, &f->b, "n-b", 4, &rb);
	assert_false(rb.existed);
	apply_y(f, &f->a, "n-b", 4, &r);
	assert_true(r.existed);
	assert_string_equal(r.id, rb.id);
	apply_y(f, &f->a, "n-5", 5, &r);
	assert_false(r.existed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_writer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_behind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_savepoint, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_writer_firms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_held_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_firm_refs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_yearly_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_yearly_cap_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numbers_behind, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
