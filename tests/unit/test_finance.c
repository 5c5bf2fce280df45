/*
 * test_finance.c - payment batches and the bank statement (office/finance.h)
 * on Shanghai 2025's compute-rent example (360 000.00 awarded), on SQLite
 * or (QUAN_TEST_DB) PostgreSQL.
 *
 * Voucher numbers run on across batches and are never given twice; a batch
 * paid twice pays once; a statement line settles only with its reference
 * and its amount, and a second reading of the same line settles nothing;
 * the report's cumulative totals follow payments and clawbacks while the
 * ledger check holds.
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
#include "office/finance.h"
#include "office/office.h"
#include "office/view.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testoffice.h"
#include "testnotice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000
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

/* Example name, applied, approved and through its public notice (公示):
 * its number into id. */
static void awarded(struct fx *f, const char *name, char *id)
{
	char path[256], *text = NULL;
	size_t len = 0;
	struct office_result res;
	struct qerr e;

	qerr_clear(&e);
	snprintf(path, sizeof(path), EXAMPLES "%s", name);
	assert_int_equal(
		file_read(path, 1 << 20, "an application", &text, &len, &e), 0);
	assert_int_equal(
		office_apply(&f->o, text, len, "applicant", NOW, &res, &e), 0);
	free(text);
	snprintf(id, 64, "%s", res.id);
	assert_int_equal(
		office_approve(&f->o, id, -1, -1, "reviewer", NOW, &res, &e),
		0);
	if (res.state != APP_AWARDED)
		assert_int_equal(office_approve(&f->o, id, -1, -1, "reviewer2",
						NOW, &res, &e),
				 0);
	assert_int_equal(res.state, APP_AWARDED);
	assert_int_equal(
		testnotice_through(&f->o, "shanghai-2025", id, NOW, &e), 0);
}

/* A batch of the one application id paying into account. */
static json_t *batch_of(struct fx *f, const char *id, const char *account)
{
	char pair[96];
	const char *ids[1] = {id}, *accs[1] = {pair};
	struct finance_batch_req r = {NULL, NULL, ids, 1, accs, 1, NULL};
	json_t *b = NULL;
	struct qerr e;

	snprintf(pair, sizeof(pair), "%s=%s", id, account);
	qerr_clear(&e);
	assert_int_equal(finance_batch_new(&f->o, &r, "fay", NOW, &b, &e), 0);
	return b;
}

static const char *str(json_t *j, const char *path0, size_t i, const char *key)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(j, path0), i), key));
}

static void checks_pass(struct fx *f)
{
	int64_t n = 0, bad = 0;
	char why[256];
	struct qerr e;
	FILE *out = tmpfile();

	assert_non_null(out);
	assert_int_equal(office_ledger_check(&f->o, out, &e), 0);
	fclose(out);
	assert_int_equal(
		office_audit_verify(&f->o, &n, &bad, why, sizeof(why), &e), 0);
}

static void test_vouchers_and_paying_once(void **state)
{
	struct fx *f = *state;
	char a[64], b[64];
	json_t *b1, *b2, *p1, *p2;
	struct store_app app;
	struct qerr e;

	awarded(f, "sh-compute-rent.json", a);
	awarded(f, "sh-compute-early.json", b);
	b1 = batch_of(f, a, "6222 1");
	b2 = batch_of(f, b, "6222 2");
	assert_string_equal(json_string_value(json_object_get(b1, "batch")),
			    "PB-2025-0001");
	assert_string_equal(json_string_value(json_object_get(b2, "batch")),
			    "PB-2025-0002");
	assert_string_equal(str(b1, "payments", 0, "voucher"),
			    "PZ-2025-000001");
	assert_string_equal(str(b2, "payments", 0, "voucher"),
			    "PZ-2025-000002");
	assert_string_equal(str(b1, "payments", 0, "amount"), "360000.00");
	/* an award in a planned payment goes in no other batch */
	{
		const char *ids[1] = {a};
		struct finance_batch_req r = {NULL, NULL, ids, 1,
					      NULL, 0,	  NULL};
		json_t *x = NULL;

		assert_int_equal(
			finance_batch_new(&f->o, &r, "fay", NOW, &x, &e),
			Q_ERR_CONFLICT);
		assert_null(x);
	}
	assert_int_equal(finance_batch_pay(&f->o, "PB-2025-0001", NULL, 0, "k1",
					   "fay", NOW, &p1, &e),
			 0);
	assert_string_equal(
		json_string_value(json_object_get(p1, "total_paid")),
		"360000.00");
	/* another key: paid already, nothing moves */
	assert_int_equal(finance_batch_pay(&f->o, "PB-2025-0001", NULL, 0, "k2",
					   "fay", NOW, &p2, &e),
			 0);
	assert_string_equal(
		json_string_value(json_object_get(p2, "total_paid")), "0.00");
	assert_int_equal(json_array_size(json_object_get(p2, "already")), 1);
	assert_int_equal(store_app_get(f->o.store, a, &app, &e), 0);
	assert_int_equal(app.paid, 36000000);
	store_app_release(&app);
	/* without a key: refused */
	json_decref(p2);
	assert_int_equal(finance_batch_pay(&f->o, "PB-2025-0002", NULL, 0, NULL,
					   "fay", NOW, &p2, &e),
			 Q_ERR_MISSING_FIELD);
	assert_null(p2);
	json_decref(b1);
	json_decref(b2);
	json_decref(p1);
	json_decref(p2);
	checks_pass(f);
}

static void test_statement_matching(void **state)
{
	static const char statement[] =
		"reference,amount,date,payee_name,payee_account\r\n"
		"PZ-2025-000001,360000.01,2025-11-21,x,1\r\n"
		"PZ-2025-000001,360000.00,2025-11-21,x,1\r\n"
		"PZ-2025-000001,360000.00,2025-11-21,x,1\r\n"
		"PZ-2025-000009,5.00,2025-11-21,y,2\r\n";
	struct fx *f = *state;
	char a[64];
	json_t *b, *p, *r;
	struct qerr e;

	awarded(f, "sh-compute-rent.json", a);
	b = batch_of(f, a, "6222 1");
	/* not paid yet: listed, not settled */
	assert_int_equal(finance_reconcile(&f->o, statement,
					   sizeof(statement) - 1, "fay", NOW,
					   &r, &e),
			 0);
	assert_int_equal(json_array_size(json_object_get(r, "matched")), 0);
	assert_string_equal(str(r, "unmatched_lines", 1, "reason"), "not_paid");
	json_decref(r);
	assert_int_equal(finance_batch_pay(&f->o, "PB-2025-0001", NULL, 0, "k1",
					   "fay", NOW, &p, &e),
			 0);
	assert_int_equal(finance_reconcile(&f->o, statement,
					   sizeof(statement) - 1, "fay", NOW,
					   &r, &e),
			 0);
	/* the columns in another order; the wrong amount first, then the
	 * line that matches, then the same line again */
	assert_int_equal(json_array_size(json_object_get(r, "matched")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(r, "matched"), 0),
			"line")),
		3);
	assert_string_equal(str(r, "unmatched_lines", 0, "reason"),
			    "other_amount");
	assert_string_equal(str(r, "unmatched_lines", 1, "reason"),
			    "settled_already");
	assert_string_equal(str(r, "unmatched_lines", 2, "reason"),
			    "no_payment");
	assert_int_equal(
		json_array_size(json_object_get(r, "unmatched_payments")), 0);
	json_decref(r);
	/* a malformed statement settles nothing and names the line */
	assert_int_equal(finance_reconcile(&f->o, "date,amount\n", 12, "fay",
					   NOW, &r, &e),
			 Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "no column 'payee_account'"));
	json_decref(b);
	json_decref(p);
	checks_pass(f);
}

/* The case, on the report's figures. */
static void test_totals(void **state)
{
	struct fx *f = *state;
	char a[64];
	json_t *rep, *all;
	struct qerr e;

	awarded(f, "sh-compute-rent.json", a);
	assert_int_equal(office_disburse(&f->o, a, 20000000, "fay", NOW, &e),
			 0);
	assert_int_equal(
		office_clawback(&f->o, a, 5000000, "audit", "fay", NOW, &e), 0);
	assert_int_equal(view_report(&f->o, &rep, &e), 0);
	all = json_object_get(json_object_get(rep, "total"), "totals");
	assert_string_equal(json_string_value(json_object_get(all, "awarded")),
			    "360000.00");
	assert_string_equal(json_string_value(json_object_get(all, "paid")),
			    "200000.00");
	assert_string_equal(
		json_string_value(json_object_get(all, "recovered")),
		"50000.00");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(rep, "total"), "paid")),
			    "150000.00");
	json_decref(rep);
	checks_pass(f);
}

static void test_accounts(void **state)
{
	(void)state;
	assert_true(finance_account_valid("6222 0210 0111 2222 333"));
	assert_true(finance_account_valid("GB-12"));
	assert_false(finance_account_valid(""));
	assert_false(finance_account_valid("12/34"));
	assert_false(finance_account_valid(
		"12345678901234567890123456789012345678901"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vouchers_and_paying_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_matching, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_totals, setup, teardown),
		cmocka_unit_test(test_accounts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
