/*
 * test_batchpipe.c - a batch of applications costs PostgreSQL round trips
 * per batch, not per application, and an application whose write the
 * server refuses is still refused alone.
 *
 * On PostgreSQL a batch runs optimistically (office_intake_batch,
 * store_optimistic): its savepoints and writes go down libpq's pipeline
 * unread, and their answers are read at the next read or the commit. A
 * write refused there cannot be told apart from its neighbours', so the
 * batch is rolled back and run again carefully. These tests make one
 * item's deferred write fail through a real insert (a unique index the
 * store does not know about, created behind its back) and check that the
 * others are stored with the answers they get in a batch without it, and
 * that the failing one carries the server's refusal; and they count the
 * round trips of batches of 4 and of 40 applications.
 *
 * On SQLite the same batches run (nothing is deferred there, and the
 * refusal comes at the insert itself): the answers must be the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uscc.h"
#include "office/office.h"
#include "office/office_int.h"
#include "policy/chips.h"
#include "store/store.h"
#include "testoffice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000
#define TEXT_MAX 8192
#define BATCH_MAX 40

struct fx {
	struct testdb db, twin;
	struct chip_catalog *chips;
	struct office o, t; /* o on db, t on twin */
	char *text;
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testoffice_open(&f->db, &f->chips, &f->o,
			QUAN_POLICYDIR "/shanghai-2025.yaml", NOW);
	if (testdb_create(&f->twin))
		fail_msg("cannot create the twin database");
	testoffice_open_on(&f->twin, f->chips, &f->t,
			   QUAN_POLICYDIR "/shanghai-2025.yaml", NOW);
	testoffice_example("sh-corpus.json", &f->text, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	office_close(&f->t);
	testdb_drop(&f->twin);
	testoffice_close(&f->db, f->chips, &f->o);
	free(f->text);
	free(f);
	return 0;
}

/* The USCC of firm k: a valid code of its own. */
static void uscc_of(int firm, char out[19])
{
	snprintf(out, 19, "91310000MA%07d", firm);
	out[17] = uscc_check_char(out);
	out[18] = '\0';
	assert_int_not_equal(out[17], 0);
}

/* Application k of firm `firm`: the example with its own client_ref,
 * applicant, contract number and value (so the duplicate-claim screen
 * does not take it for another's contract). */
static void text_of(struct fx *f, int k, int firm, char *buf, size_t n)
{
	char v[32], num[32], ref[32], uscc[24], q[32];

	snprintf(buf, n, "%s", f->text);
	snprintf(ref, sizeof(ref), "pipe-%d", k);
	testoffice_swap(buf, n, "sh-corpus-1", ref);
	uscc_of(firm, uscc);
	snprintf(q, sizeof(q), "\"%s\"", uscc);
	testoffice_swap(buf, n, "\"91310000MA1FL8WR2F\"", q);
	snprintf(v, sizeof(v), "\"%d.00\"", 300000 + 10 * k);
	testoffice_swap(buf, n, "\"3000000.00\"", v);
	snprintf(num, sizeof(num), "\"HT-PIPE-%d\"", k);
	testoffice_swap(buf, n, "\"HT-2025-1633\"", num);
}

struct batch {
	char text[BATCH_MAX][TEXT_MAX];
	struct office_intake in[BATCH_MAX];
	struct office_parsed parsed[BATCH_MAX];
	bool is_parsed;
	struct office_result res[BATCH_MAX];
	int rcs[BATCH_MAX];
	struct qerr errs[BATCH_MAX];
	size_t n;
};

/* Applications ks[0..n) of firms firms[0..n), into b. */
static void batch_of(struct fx *f, struct batch *b, const int *ks,
		     const int *firms, size_t n)
{
	assert_true(n <= BATCH_MAX);
	memset(b, 0, sizeof(*b));
	b->n = n;
	for (size_t i = 0; i < n; i++) {
		text_of(f, ks[i], firms[i], b->text[i], TEXT_MAX);
		b->in[i] = (struct office_intake){.json = b->text[i],
						  .len = strlen(b->text[i]),
						  .by = "applicant",
						  .received_at = NOW};
	}
}

/* Parse b's applications off the writer, as quan serve's HTTP threads do
 * (office_prepare): the writer then works on them twice when it runs the
 * batch again. */
static void parse_ahead(struct fx *f, struct batch *b)
{
	struct qerr e;

	for (size_t i = 0; i < b->n; i++) {
		assert_int_equal(office_prepare(f->chips, b->in[i].json,
						b->in[i].len, NOW,
						&b->parsed[i], &e),
				 0);
		b->in[i].parsed = &b->parsed[i];
	}
	b->is_parsed = true;
}

static void unparse(struct batch *b)
{
	for (size_t i = 0; b->is_parsed && i < b->n; i++)
		office_parsed_release(&b->parsed[i]);
	b->is_parsed = false;
}

/* Run b in one transaction on o: the batch as a whole must not fail. */
static void run(struct office *o, struct batch *b)
{
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_intake_batch(o, b->in, b->n, NOW, b->res, b->rcs, b->errs,
				 &e);
	if (rc)
		fail_msg("the batch failed as a whole: %d: %s", rc, e.msg);
}

/* Both offices hold the same history: firms 1 .. 3 have filed. */
static void warm(struct fx *f)
{
	static const int ks[] = {1, 2, 3}, firms[] = {1, 2, 3};
	struct batch *b = malloc(sizeof(*b));

	assert_non_null(b);
	batch_of(f, b, ks, firms, 3);
	run(&f->o, b);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(b->rcs[i], 0);
	batch_of(f, b, ks, firms, 3);
	run(&f->t, b);
	free(b);
}

/* The ledger adds up and the audit chain verifies. */
static void sound(struct office *o)
{
	int64_t count = 0, bad = 0;
	char why[256] = "";
	FILE *out = fopen("/dev/null", "w");
	struct qerr e;

	assert_non_null(out);
	qerr_clear(&e);
	assert_int_equal(office_ledger_check(o, out, &e), 0);
	fclose(out);
	if (office_audit_verify(o, &count, &bad, why, sizeof(why), &e))
		fail_msg("audit verify: %s%s", why, e.msg);
}

/* Item i of got answered as item j of want, and is stored so. */
static void same(struct office *o, const struct batch *got, size_t i,
		 const struct batch *want, size_t j)
{
	struct store_app a;
	struct qerr e;

	if (got->rcs[i])
		fail_msg("item %zu refused: %s", i, got->errs[i].msg);
	assert_int_equal(want->rcs[j], 0);
	assert_string_equal(got->res[i].id, want->res[j].id);
	assert_int_equal(got->res[i].state, want->res[j].state);
	assert_int_equal(got->res[i].amount, want->res[j].amount);
	assert_int_equal(got->res[i].nflags, want->res[j].nflags);
	assert_int_equal(store_app_get(o->store, got->res[i].id, &a, &e), 0);
	assert_int_equal(a.state, got->res[i].state);
	assert_string_equal(a.client_ref, got->res[i].client_ref);
	store_app_release(&a);
}

/* Item i (application k) was refused with the server's unique violation,
 * and left no row. */
static void refused(struct fx *f, const struct batch *b, size_t i, int k)
{
	char sql[128], n[16] = "";

	assert_int_equal(b->rcs[i], Q_ERR_CONFLICT);
	if (f->db.pg)
		assert_non_null(
			strstr(b->errs[i].msg, "one_application_per_firm"));
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM applications WHERE client_ref = "
		 "'pipe-%d'",
		 k);
	assert_int_equal(testdb_text(&f->db, sql, n, sizeof(n)), 0);
	assert_string_equal(n, "0");
}

/* Firm 2 may hold one application only: an index the office does not
 * know, made behind its back, that refuses its second insert. The
 * refusal is found at the commit (batch 1: nothing is read after it) or
 * at the next read (batch 2, parsed off the writer: firm 3 has filed,
 * its yearly sums are read). Either way the others are stored with the
 * answers they have in the same batch without the refused one. */
static void test_refused_write_is_its_items(void **state)
{
	struct fx *f = *state;
	static const int k1[] = {10, 11, 12}, firms1[] = {10, 2, 12};
	static const int t1[] = {10, 12}, tfirms1[] = {10, 12};
	static const int k2[] = {20, 21, 22}, firms2[] = {2, 3, 22};
	static const int t2[] = {21, 22}, tfirms2[] = {3, 22};
	struct batch *b = malloc(sizeof(*b)), *w = malloc(sizeof(*w));
	char why[256];

	assert_non_null(b);
	assert_non_null(w);
	warm(f);
	if (testdb_exec(&f->db,
			"CREATE UNIQUE INDEX one_application_per_firm "
			"ON applications (uscc) WHERE "
			"substr(uscc, 1, 17) = '91310000MA0000002'",
			why, sizeof(why)))
		fail_msg("%s", why);

	batch_of(f, b, k1, firms1, 3);
	run(&f->o, b);
	batch_of(f, w, t1, tfirms1, 2);
	run(&f->t, w);
	same(&f->o, b, 0, w, 0);
	refused(f, b, 1, 11);
	same(&f->o, b, 2, w, 1);

	/* Parsed off the writer, as over HTTP. */
	batch_of(f, b, k2, firms2, 3);
	parse_ahead(f, b);
	run(&f->o, b);
	batch_of(f, w, t2, tfirms2, 2);
	parse_ahead(f, w);
	run(&f->t, w);
	refused(f, b, 0, 20);
	same(&f->o, b, 1, w, 0);
	same(&f->o, b, 2, w, 1);
	unparse(b);
	unparse(w);

	sound(&f->o);
	sound(&f->t);
	free(b);
	free(w);
}

/* The connection lost in the middle of an optimistic batch (a trigger
 * made behind the store's back ends the session at firm 51's insert,
 * once): that is the store failing, not a refusal, so the batch fails as
 * a whole and is not run again; nothing of it is stored, and the next
 * batch, on a new connection, is. PostgreSQL only. */
static void test_lost_connection_fails_the_batch(void **state)
{
	struct fx *f = *state;
	static const int k1[] = {50, 51, 52}, firms1[] = {50, 51, 52};
	static const int k2[] = {53, 54}, firms2[] = {53, 54};
	struct batch *b = malloc(sizeof(*b));
	char why[256], n[16] = "";
	struct qerr e;
	int rc;

	assert_non_null(b);
	if (!f->db.pg) {
		free(b);
		skip();
	}
	warm(f);
	if (testdb_exec(
		    &f->db,
		    "CREATE SEQUENCE kill_once;"
		    "CREATE FUNCTION kill_once() RETURNS trigger LANGUAGE "
		    "plpgsql AS $$ BEGIN IF substr(NEW.uscc, 1, 17) = "
		    "'91310000MA0000051' AND nextval('kill_once') = 1 THEN "
		    "PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
		    "RETURN NEW; END $$;"
		    "CREATE TRIGGER kill_once BEFORE INSERT ON applications "
		    "FOR EACH ROW EXECUTE FUNCTION kill_once();",
		    why, sizeof(why)))
		fail_msg("%s", why);
	batch_of(f, b, k1, firms1, 3);
	qerr_clear(&e);
	rc = office_intake_batch(&f->o, b->in, b->n, NOW, b->res, b->rcs,
				 b->errs, &e);
	assert_int_equal(rc, Q_ERR_IO);
	assert_int_equal(testdb_text(&f->db,
				     "SELECT count(*) FROM applications WHERE "
				     "client_ref IN ('pipe-50', 'pipe-51', "
				     "'pipe-52')",
				     n, sizeof(n)),
			 0);
	assert_string_equal(n, "0");
	batch_of(f, b, k2, firms2, 2);
	run(&f->o, b);
	assert_int_equal(b->rcs[0], 0);
	assert_int_equal(b->rcs[1], 0);
	sound(&f->o);
	free(b);
}

/* Round trips of one batch of n new firms (from firm base on). */
static uint64_t trips_of(struct fx *f, size_t n, int base)
{
	int ks[BATCH_MAX], firms[BATCH_MAX];
	struct batch *b = malloc(sizeof(*b));
	uint64_t before;

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		ks[i] = firms[i] = base + (int)i;
	batch_of(f, b, ks, firms, n);
	before = store_round_trips(f->o.store);
	run(&f->o, b);
	for (size_t i = 0; i < n; i++)
		if (b->rcs[i] || b->res[i].state != APP_RESERVED)
			fail_msg("item %zu: %d, state %d: %s", i, b->rcs[i],
				 b->res[i].state, b->errs[i].msg);
	free(b);
	return store_round_trips(f->o.store) - before;
}

/* Forty new firms cost no more round trips than four: the batch's
 * answers come back together. (Before, each release waited for its
 * item's: forty more.) */
static void test_round_trips_per_batch(void **state)
{
	struct fx *f = *state;
	uint64_t four, forty;

	warm(f);
	/* Statements prepared, the hot state loaded. */
	(void)trips_of(f, 4, 100);
	four = trips_of(f, 4, 200);
	forty = trips_of(f, 40, 300);
	print_message("round trips: a batch of 4: %llu, of 40: %llu\n",
		      (unsigned long long)four, (unsigned long long)forty);
	if (!f->db.pg) {
		assert_int_equal(four + forty, 0);
		return;
	}
	assert_true(four > 0);
	assert_true(forty <= four);
	sound(&f->o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_write_is_its_items,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trips_per_batch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_lost_connection_fails_the_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
