/*
 * test_keys.c - idempotency keys on the verbs that move money (office_move,
 * src/office/keys.c) and the second of two approvers (src/office/review.c),
 * on Shanghai 2025's model voucher: 50 % of the contract's value, two
 * approvers above 1 000 000.00.
 *
 * A disbursement sent again under its key pays once and answers as the
 * first time; the same key with another request is refused and moves
 * nothing; two offices racing with one key pay once. A second approver
 * confirms the first's amount, or lowers it, and never raises it (the
 * outside probe's Found 5: the first approved 30 %, the second approved
 * with no rate, and the full 50 % was awarded in the first's name).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
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
	int n; /* applications made, for their client_refs */
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

/* Replace the first occurrence of from in text (malloc'd) by to. */
static char *replace(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	size_t a, b, c;
	char *out;

	assert_non_null(at);
	a = (size_t)(at - text);
	b = strlen(to);
	c = strlen(at + strlen(from));
	out = malloc(a + b + c + 1);
	assert_non_null(out);
	memcpy(out, text, a);
	memcpy(out + a, to, b);
	memcpy(out + a + b, at + strlen(from), c + 1);
	free(text);
	return out;
}

/* A model voucher of contract value 4 000 000.00: 2 000 000.00 reserved,
 * above the two-approver threshold; the next ones of the test are of 3
 * 000 000.00 (1 500 000.00), so that the duplicate-claim screen lets them
 * be. Its number into id. */
static void apply_model(struct fx *f, char *id)
{
	char *text = NULL, ref[40];
	size_t len = 0;
	struct office_result res;
	struct qerr e;

	qerr_clear(&e);
	assert_int_equal(file_read(EXAMPLES "sh-model.json", 1 << 20,
				   "an application", &text, &len, &e),
			 0);
	snprintf(ref, sizeof(ref), "\"client_ref\": \"keys-%d\"", ++f->n);
	text = replace(text, "\"client_ref\": \"sh-model-1\"", ref);
	text = replace(text, "\"value\": \"20000000.00\"",
		       f->n == 1 ? "\"value\": \"4000000.00\""
				 : "\"value\": \"3000000.00\"");
	snprintf(ref, sizeof(ref), "\"number\": \"HT-KEYS-%d\"", f->n);
	text = replace(text, "\"number\": \"HT-2025-1350\"", ref);
	assert_int_equal(office_apply(&f->o, text, strlen(text), "applicant",
				      NOW, &res, &e),
			 0);
	free(text);
	assert_int_equal(res.state, APP_RESERVED);
	assert_int_equal(res.amount, FEN(f->n == 1 ? 2000000 : 1500000, 0));
	snprintf(id, 64, "%s", res.id);
}

static struct store_app get(struct fx *f, const char *id)
{
	struct store_app a;
	struct qerr e;

	assert_int_equal(store_app_get(f->o.store, id, &a, &e), 0);
	return a;
}

static const char *js(json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));

	assert_non_null(v);
	return v;
}

static int count_one(void *arg, const struct store_event *ev)
{
	(void)ev;
	(*(int64_t *)arg)++;
	return 0;
}

static int count_xfer(void *arg, const struct ledger_transfer *t)
{
	(void)t;
	(*(int64_t *)arg)++;
	return 0;
}

/* Events and transfers in the office: what a replay must not add to. */
static int64_t writes(struct fx *f)
{
	int64_t n = 0;
	struct qerr e;

	assert_int_equal(store_event_each(f->o.store, count_one, &n, &e), 0);
	assert_int_equal(
		store_transfer_each(f->o.store, NULL, count_xfer, &n, &e), 0);
	return n;
}

/* An approval of id by `by` at rate (-1: none): office_move's rc, and its
 * answer into *out when not NULL (else freed). */
static int approve(struct fx *f, const char *id, rate_bp rate, const char *by,
		   json_t **out)
{
	struct office_move mv = {.verb = OFFICE_MOVE_APPROVE,
				 .id = id,
				 .rate = rate,
				 .value = -1};
	json_t *a = NULL;
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_move(&f->o, &mv, by, NOW, &a, &e);
	if (out)
		*out = a;
	else
		json_decref(a);
	return rc;
}

/* The outside probe's case: the first approves at 30 %, the second with
 * no rate awards what the first approved, in the first's name and the
 * second's; the rest goes back to the pool. */
static void test_second_confirms_the_first(void **state)
{
	struct fx *f = *state;
	char id[64];
	struct store_app a;
	json_t *ans;

	apply_model(f, id);
	/* 30 % of 4 000 000.00: 1 200 000.00, still above 1 M. */
	assert_int_equal(approve(f, id, 3000, "rita", &ans), 0);
	assert_string_equal(js(ans, "state"), "reserved");
	assert_string_equal(js(ans, "amount"), "1200000.00");
	assert_true(
		json_is_true(json_object_get(ans, "second_approval_needed")));
	json_decref(ans);

	assert_int_equal(approve(f, id, -1, "rob", &ans), 0);
	assert_string_equal(js(ans, "state"), "awarded");
	assert_string_equal(js(ans, "amount"), "1200000.00");
	assert_string_equal(js(ans, "awarded"), "1200000.00");
	assert_string_equal(js(ans, "remaining"), "1200000.00");
	assert_string_equal(js(ans, "first_approver"), "rita");
	assert_string_equal(js(ans, "approved_by"), "rob");
	json_decref(ans);
	a = get(f, id);
	assert_int_equal(a.state, APP_AWARDED);
	assert_int_equal(a.awarded, FEN(1200000, 0));
	assert_string_equal(a.approver, "rita");
	assert_string_equal(a.approved_by, "rob");
	store_app_release(&a);
}

/* A second approval above the first's amount is refused and writes
 * nothing; one below it awards the lower amount. */
static void test_second_never_raises(void **state)
{
	struct fx *f = *state;
	char id[64];
	struct store_app a;
	json_t *ans;
	int64_t before;

	apply_model(f, id);
	assert_int_equal(approve(f, id, 3000, "rita", NULL), 0);
	before = writes(f);
	assert_int_equal(approve(f, id, 4000, "rob", NULL), Q_ERR_CONFLICT);
	assert_int_equal(approve(f, id, 5000, "rob", NULL), Q_ERR_CONFLICT);
	assert_int_equal(writes(f), before);
	a = get(f, id);
	assert_int_equal(a.state, APP_RESERVED);
	assert_int_equal(a.awarded, 0);
	store_app_release(&a);
	/* 25 %: 1 000 000.00, lower than the first's: awarded. */
	assert_int_equal(approve(f, id, 2500, "rob", &ans), 0);
	assert_string_equal(js(ans, "amount"), "1000000.00");
	json_decref(ans);
	a = get(f, id);
	assert_int_equal(a.awarded, FEN(1000000, 0));
	store_app_release(&a);
}

/* Disburse amount of id by fin under key: office_move's rc, *out its
 * answer (or freed when out is NULL). */
static int pay(struct office *o, const char *id, money_t amount,
	       const char *key, const char *by, json_t **out)
{
	struct office_move mv = {.verb = OFFICE_MOVE_DISBURSE,
				 .id = id,
				 .key = key,
				 .amount = amount};
	json_t *a = NULL;
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_move(o, &mv, by, NOW, &a, &e);
	if (out)
		*out = a;
	else
		json_decref(a);
	return rc;
}

/* An awarded model voucher: 2 000 000.00, approved by rita and rob, and
 * through its public notice (公示). */
static void awarded(struct fx *f, char *id)
{
	struct qerr e;

	apply_model(f, id);
	assert_int_equal(approve(f, id, -1, "rita", NULL), 0);
	assert_int_equal(approve(f, id, -1, "rob", NULL), 0);
	qerr_clear(&e);
	assert_int_equal(
		testnotice_through(&f->o, "shanghai-2025", id, NOW, &e), 0);
}

static void test_retried_disbursement_pays_once(void **state)
{
	struct fx *f = *state;
	char id[64];
	json_t *first, *again;
	struct store_app a;
	int64_t before;

	awarded(f, id);
	assert_int_equal(pay(&f->o, id, FEN(300000, 0), "pay-1", "fin", &first),
			 0);
	assert_string_equal(js(first, "amount"), "300000.00");
	assert_string_equal(js(first, "paid"), "300000.00");
	assert_string_equal(js(first, "awarded"), "2000000.00");
	assert_string_equal(js(first, "remaining"), "1700000.00");
	assert_true(json_is_false(json_object_get(first, "replayed")));
	before = writes(f);

	/* The answer was lost; the retry pays nothing and answers the same. */
	assert_int_equal(pay(&f->o, id, FEN(300000, 0), "pay-1", "fin", &again),
			 0);
	assert_true(json_is_true(json_object_get(again, "replayed")));
	json_object_del(first, "replayed");
	json_object_del(again, "replayed");
	assert_true(json_equal(first, again));
	json_decref(again);
	assert_int_equal(writes(f), before);
	a = get(f, id);
	assert_int_equal(a.paid, FEN(300000, 0));
	store_app_release(&a);

	/* The same key with another amount, or from someone else: refused,
	 * nothing moved. */
	assert_int_equal(pay(&f->o, id, FEN(300000, 1), "pay-1", "fin", NULL),
			 Q_ERR_CONFLICT);
	assert_int_equal(pay(&f->o, id, FEN(300000, 0), "pay-1", "fay", NULL),
			 Q_ERR_CONFLICT);
	assert_int_equal(writes(f), before);
	/* A new key is a new payment, and its answer has the new totals. */
	assert_int_equal(pay(&f->o, id, FEN(300000, 0), "pay-2", "fin", &again),
			 0);
	assert_string_equal(js(again, "paid"), "600000.00");
	assert_string_equal(js(again, "remaining"), "1400000.00");
	json_decref(again);
	/* A refused request records no key: it may be used again. */
	assert_int_equal(pay(&f->o, id, FEN(9000000, 0), "pay-3", "fin", NULL),
			 Q_ERR_INVALID_MONEY);
	assert_int_equal(pay(&f->o, id, FEN(100, 0), "pay-3", "fin", NULL), 0);
	/* Malformed keys. */
	assert_int_equal(pay(&f->o, id, FEN(1, 0), "a key", "fin", NULL),
			 Q_ERR_INVALID);
	assert_int_equal(pay(&f->o, id, FEN(1, 0), "k\x01", "fin", NULL),
			 Q_ERR_INVALID);
	a = get(f, id);
	assert_int_equal(a.paid, FEN(600100, 0));
	store_app_release(&a);
	json_decref(first);
}

/* A key is scoped to its verb and application: a clawback and another
 * application may use the same text. */
static void test_keys_are_scoped(void **state)
{
	struct fx *f = *state;
	struct office_move back = {.verb = OFFICE_MOVE_CLAWBACK,
				   .key = "k1",
				   .amount = FEN(100, 0),
				   .why = "audit"};
	char one[64], two[64];
	struct store_app a;
	struct qerr e;
	json_t *ans = NULL;

	awarded(f, one);
	awarded(f, two);
	assert_int_equal(pay(&f->o, one, FEN(1000, 0), "k1", "fin", NULL), 0);
	assert_int_equal(pay(&f->o, two, FEN(1000, 0), "k1", "fin", NULL), 0);
	back.id = one;
	qerr_clear(&e);
	assert_int_equal(office_move(&f->o, &back, "fin", NOW, &ans, &e), 0);
	assert_string_equal(js(ans, "recovered"), "100.00");
	assert_string_equal(js(ans, "paid"), "1000.00");
	json_decref(ans);
	assert_int_equal(office_move(&f->o, &back, "fin", NOW, &ans, &e), 0);
	assert_true(json_is_true(json_object_get(ans, "replayed")));
	json_decref(ans);
	a = get(f, one);
	assert_int_equal(a.paid, FEN(1000, 0));
	assert_int_equal(a.recovered, FEN(100, 0));
	store_app_release(&a);
	a = get(f, two);
	assert_int_equal(a.paid, FEN(1000, 0));
	store_app_release(&a);
}

/* Two offices on one store, each sending the same keyed payment at once:
 * the store's write lock orders them, and the second finds the first's
 * key. */
struct racer {
	const char *url, *id;
	const struct chip_catalog *chips;
	pthread_barrier_t *go;
	int rc;
	bool replayed;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct office o;
	struct qerr e;
	json_t *ans = NULL;

	r->rc = office_open(&o, r->url, r->chips, &e);
	pthread_barrier_wait(r->go);
	if (r->rc)
		return NULL;
	r->rc = pay(&o, r->id, FEN(500000, 0), "race-1", "fin", &ans);
	r->replayed = json_is_true(json_object_get(ans, "replayed"));
	json_decref(ans);
	office_close(&o);
	return NULL;
}

static void test_racing_retries_pay_once(void **state)
{
	struct fx *f = *state;
	pthread_barrier_t go;
	struct racer r[2];
	pthread_t t[2];
	struct store_app a;
	char id[64];

	awarded(f, id);
	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){f->db.url, id, f->chips, &go, -1, false};
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	assert_int_equal(r[0].rc, 0);
	assert_int_equal(r[1].rc, 0);
	assert_true(r[0].replayed != r[1].replayed);
	a = get(f, id);
	assert_int_equal(a.paid, FEN(500000, 0));
	store_app_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_second_confirms_the_first,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_never_raises, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_retried_disbursement_pays_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_are_scoped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_racing_retries_pay_once,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
