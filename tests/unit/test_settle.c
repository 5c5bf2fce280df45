/*
 * test_settle.c - settlement (office_settle, src/office/settle.c) on
 * Shanghai 2025's corpus voucher: 30 % of the contract's value, rounded
 * down to the fen.
 *
 * An awarded application settled at a lower value is decided again on it
 * and its award goes down; the difference returns to the pool's available
 * to the fen and the ledger still balances. A value above the contract's
 * face value, an award below what was paid, a reserved application and a
 * grant are refused, and a refusal writes nothing: not an event, not a
 * transfer, not a fen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "office/office.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testoffice.h"
#include "testnotice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000
#define FEN(yuan, fen) ((money_t)(yuan)*MONEY_FEN_PER_YUAN + (fen))
#define EXAMPLES QUAN_DATADIR "/../examples/applications/"

struct fx {
	struct testdb db;
	struct chip_catalog *chips;
	struct office o;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testoffice_open(&f->db, &f->chips, &f->o, QUAN_POLICYDIR "/shanghai-2025.yaml", NOW);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testoffice_close(&f->db, f->chips, &f->o);
	free(f);
	return 0;
}

/* Apply the example application `name`; its number into id. */
static void apply(struct fx *f, const char *name, int want_state, char *id)
{
	char path[512];
	char *text = NULL;
	size_t len = 0;
	struct office_result res;
	struct qerr e;

	snprintf(path, sizeof(path), "%s%s", EXAMPLES, name);
	qerr_clear(&e);
	assert_int_equal(
		file_read(path, 1 << 20, "an application", &text, &len, &e), 0);
	assert_int_equal(
		office_apply(&f->o, text, len, "applicant", NOW, &res, &e), 0);
	free(text);
	assert_int_equal(res.state, want_state);
	snprintf(id, 64, "%s", res.id);
}

/* The corpus voucher, awarded 900 000.00 (30 % of 3 000 000.00) by rev,
 * through its public notice, and paid `paid` by fin. */
static void awarded_corpus(struct fx *f, money_t paid, char *id)
{
	struct office_result res;
	struct qerr e;

	apply(f, "sh-corpus.json", APP_RESERVED, id);
	qerr_clear(&e);
	assert_int_equal(
		office_approve(&f->o, id, -1, -1, "rev", NOW, &res, &e), 0);
	assert_int_equal(res.state, APP_AWARDED);
	assert_int_equal(res.amount, FEN(900000, 0));
	assert_int_equal(
		testnotice_through(&f->o, "shanghai-2025", id, NOW, &e), 0);
	if (paid > 0)
		assert_int_equal(
			office_disburse(&f->o, id, paid, "fin", NOW, &e), 0);
}

static int corpus_of(void *arg, const struct office_pool_figures *p)
{
	if (!strcmp(p->pool, "corpus") && p->year == 2025)
		*(struct office_pool_figures *)arg = *p;
	return 0;
}

static struct office_pool_figures corpus(struct fx *f)
{
	struct office_pool_figures c;
	struct qerr e;

	memset(&c, 0, sizeof(c));
	assert_int_equal(office_pools_each(&f->o, corpus_of, &c, &e), 0);
	assert_string_equal(c.pool, "corpus");
	return c;
}

static int count_one(void *arg, const struct store_event *ev)
{
	(void)ev;
	(*(int64_t *)arg)++;
	return 0;
}

static int64_t events(struct fx *f)
{
	int64_t n = 0;
	struct qerr e;

	assert_int_equal(store_event_each(f->o.store, count_one, &n, &e), 0);
	return n;
}

static int count_xfer(void *arg, const struct ledger_transfer *t)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

/* Everything a refusal must leave as it was. */
struct snapshot {
	int64_t events;
	int transfers;
	struct office_pool_figures pool;
	money_t awarded, paid;
	int state;
};

static struct snapshot snap(struct fx *f, const char *id)
{
	struct snapshot s;
	struct store_app a;
	struct qerr e;

	memset(&s, 0, sizeof(s));
	s.events = events(f);
	s.pool = corpus(f);
	assert_int_equal(store_transfer_each(f->o.store, id, count_xfer,
					     &s.transfers, &e),
			 0);
	assert_int_equal(store_app_get(f->o.store, id, &a, &e), 0);
	s.awarded = a.awarded;
	s.paid = a.paid;
	s.state = a.state;
	store_app_release(&a);
	return s;
}

/* Everything in x as it is now in the office (application id). */
static void same(struct fx *f, const struct snapshot *x, const char *id)
{
	struct snapshot now = snap(f, id);
	const struct snapshot *y = &now;

	assert_int_equal(x->events, y->events);
	assert_int_equal(x->transfers, y->transfers);
	assert_int_equal(x->pool.available, y->pool.available);
	assert_int_equal(x->pool.reserved, y->pool.reserved);
	assert_int_equal(x->pool.awarded, y->pool.awarded);
	assert_int_equal(x->pool.paid, y->pool.paid);
	assert_int_equal(x->awarded, y->awarded);
	assert_int_equal(x->paid, y->paid);
	assert_int_equal(x->state, y->state);
}

static void ledger_balances(struct fx *f)
{
	FILE *out = fopen("/dev/null", "w");
	int64_t count = 0, bad = 0;
	long replayed = 0;
	char why[256];
	struct qerr e;

	assert_non_null(out);
	assert_int_equal(office_ledger_check(&f->o, out, &e), 0);
	assert_int_equal(
		office_audit_verify(&f->o, &count, &bad, why, sizeof(why), &e),
		0);
	/* Replay re-decides the decision made at application: unchanged. */
	assert_int_equal(office_replay(&f->o, out, &replayed, &e), 0);
	assert_true(replayed > 0);
	fclose(out);
}

/* The detail of the last event of the chain, as stored. */
/* Room for the newest event whole: it carries the decision in both
 * languages, the application as it stands and its transfers. */
#define LAST_MAX 65536

static int last_detail(void *arg, const struct store_event *ev)
{
	char *buf = arg;

	snprintf(buf, LAST_MAX, "%s %s", ev->action,
		 ev->detail ? ev->detail : "");
	return 0;
}

/* Settled at 2 345 678.91: 30 % is 703 703.673, rounded down 703 703.67;
 * 900 000.00 - 703 703.67 = 196 296.33 goes back to available. */
static void test_settle_releases_the_difference(void **state)
{
	struct fx *f = *state;
	static const char *const inv[] = {"FP-2025-001", "FP-2025-002"};
	struct office_settlement r;
	struct office_pool_figures before, after;
	struct store_app a;
	char id[64];
	static char last[LAST_MAX];
	struct qerr e;

	awarded_corpus(f, FEN(500000, 0), id);
	before = corpus(f);
	assert_int_equal(before.available, FEN(100000000 - 900000, 0));
	assert_int_equal(before.awarded, FEN(400000, 0));
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, id, FEN(2345678, 91), inv, 2,
				       "rev", NOW, &r, &e),
			 0);
	assert_string_equal(r.id, id);
	assert_int_equal(r.state, APP_AWARDED);
	assert_int_equal(r.value, FEN(2345678, 91));
	assert_int_equal(r.face_value, FEN(3000000, 0));
	assert_int_equal(r.awarded_before, FEN(900000, 0));
	assert_int_equal(r.decided, FEN(703703, 67));
	assert_int_equal(r.awarded, FEN(703703, 67));
	assert_int_equal(r.released, FEN(196296, 33));
	assert_int_equal(r.paid, FEN(500000, 0));

	after = corpus(f);
	assert_int_equal(after.available - before.available, FEN(196296, 33));
	assert_int_equal(after.available, FEN(99296296, 33));
	assert_int_equal(after.awarded, FEN(203703, 67));
	assert_int_equal(after.paid, FEN(500000, 0));
	assert_int_equal(after.reserved, 0);
	assert_int_equal(store_app_get(f->o.store, id, &a, &e), 0);
	assert_int_equal(a.awarded, FEN(703703, 67));
	assert_int_equal(a.state, APP_AWARDED);
	store_app_release(&a);

	/* One event holds the settlement and the settled decision. */
	assert_int_equal(store_event_each(f->o.store, last_detail, last, &e),
			 0);
	assert_non_null(strstr(last, "settle {"));
	assert_non_null(strstr(last, "\"released\":\"196296.33\""));
	assert_non_null(strstr(last, "\"awarded_before\":\"900000.00\""));
	assert_non_null(
		strstr(last, "\"invoices\":[\"FP-2025-001\",\"FP-2025-002\"]"));
	assert_non_null(strstr(last, "\"base\":\"2345678.91\""));
	ledger_balances(f);

	/* At a larger value (still at most the face value) the award stays:
	 * 30 % of 3 000 000.00 is more than 703 703.67. */
	assert_int_equal(office_settle(&f->o, id, FEN(3000000, 0), NULL, 0,
				       "rev", NOW, &r, &e),
			 0);
	assert_int_equal(r.awarded, FEN(703703, 67));
	assert_int_equal(r.released, 0);
	assert_int_equal(corpus(f).available, FEN(99296296, 33));
	ledger_balances(f);
}

static void test_settle_refusals_write_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const empty[] = {""};
	struct office_settlement r;
	struct snapshot s0;
	char id[64], inst[64], reserved[64];
	struct qerr e;

	awarded_corpus(f, FEN(500000, 0), id);
	s0 = snap(f, id);

	/* Above the face value: a new application. */
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, id, FEN(3000000, 1), NULL, 0,
				       "rev", NOW, &r, &e),
			 Q_ERR_INVALID);
	assert_string_equal(e.field, "value");
	assert_non_null(strstr(e.msg, "a larger incurred amount needs a new "
				      "application"));
	same(f, &s0, id);

	/* 30 % of 1 000 000.00 = 300 000.00, below the 500 000.00 paid. */
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, id, FEN(1000000, 0), NULL, 0,
				       "rev", NOW, &r, &e),
			 Q_ERR_INVALID_MONEY);
	assert_non_null(strstr(e.msg, "less than the 500000.00 already paid"));
	same(f, &s0, id);

	/* One fen short: 30 % of 1 666 666.66 is 499 999.998, rounded
	 * down 499 999.99, a fen below what was paid. */
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, id, FEN(1666666, 66), NULL, 0,
				       "rev", NOW, &r, &e),
			 Q_ERR_INVALID_MONEY);
	same(f, &s0, id);

	/* Bad input. */
	assert_int_equal(
		office_settle(&f->o, id, -1, NULL, 0, "rev", NOW, &r, &e),
		Q_ERR_INVALID_MONEY);
	assert_int_equal(office_settle(&f->o, id, FEN(1, 0), empty, 1, "rev",
				       NOW, &r, &e),
			 Q_ERR_INVALID);
	assert_string_equal(e.field, "invoices");
	assert_int_equal(office_settle(&f->o, "SH-2025-999999", FEN(1, 0), NULL,
				       0, "rev", NOW, &r, &e),
			 Q_ERR_NOT_FOUND);
	same(f, &s0, id);

	/* Reserved: approve at the approved value instead. */
	apply(f, "sh-model.json", APP_RESERVED, reserved);
	s0 = snap(f, id);
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, reserved, FEN(1000, 0), NULL, 0,
				       "rev", NOW, &r, &e),
			 Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "approve it at the approved value"));
	assert_int_equal(events(f), s0.events);

	/* A grant's tranches follow its milestones. */
	apply(f, "sh-institute.json", APP_RESERVED, inst);
	s0 = snap(f, id);
	qerr_clear(&e);
	assert_int_equal(office_settle(&f->o, inst, FEN(1000, 0), NULL, 0,
				       "rev", NOW, &r, &e),
			 Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "is a grant"));
	assert_int_equal(events(f), s0.events);

	/* At exactly what was paid: 30 % of 1 666 666.67 is 500 000.001,
	 * rounded down 500 000.00; nothing is left to pay. */
	assert_int_equal(office_settle(&f->o, id, FEN(1666666, 67), NULL, 0,
				       "rev", NOW, &r, &e),
			 0);
	assert_int_equal(r.awarded, FEN(500000, 0));
	assert_int_equal(r.released, FEN(400000, 0));
	assert_int_equal(office_disburse(&f->o, id, 1, "fin", NOW, &e),
			 Q_ERR_INVALID_MONEY);
	ledger_balances(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_settle_releases_the_difference, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_settle_refusals_write_nothing, setup, teardown),
	};

	return cmocka_run_group_tests_name("settle", tests, NULL, NULL);
}
