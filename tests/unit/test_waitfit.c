/*
 * test_waitfit.c - a first come first served measure's waitlist, strict or
 * `waitlist: fit` (src/office/pool.c, apply.c, waiting.c), on Shanghai
 * 2025's corpus voucher (30 % of the contract's value, at most 5 M yuan)
 * with its pool cut to 10 000 000.00 yuan, so that issue 14's case is a
 * few applications away:
 *
 *   A 5 000 000.00, B1 60 000.00 and B2 40 000.00 are reserved, leaving
 *   4 900 000.00; the head H asks 5 000 000.00 and waits; C1 and C2 ask
 *   2 487.00 each; D asks 4 950 000.00 and waits.
 *
 * Strict: C1 and C2 wait behind H, and the explanation says so. Fit: they
 * are reserved at once and H waits, its explanation saying that it does
 * not fit (amount against available). Then B1's money returns: under fit
 * D, which now fits, is served past H, which still does not; under strict
 * nobody moves. A's money returns: H is served, and both modes end with
 * everyone reserved and the same 5 026.00 left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/uscc.h"
#include "office/office.h"
#include "office/view.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testoffice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000
#define FEN(yuan, fen) ((money_t)(yuan)*MONEY_FEN_PER_YUAN + (fen))

struct fx {
	struct testdb db;
	struct chip_catalog *chips;
	struct office o;
	char policy[64];
	int next; /* the next firm's number */
};

/* s with its one occurrence of `from` replaced by `to` (s is freed). */
static char *replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from), *r;
	size_t n;

	assert_non_null(at);
	n = strlen(s) - strlen(from) + strlen(to) + 1;
	r = malloc(n);
	assert_non_null(r);
	snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	free(s);
	return r;
}

/* Shanghai 2025 with a corpus pool of 10 M yuan and, when fit, the
 * corpus measure under `waitlist: fit`, written to a file of its own. */
static void write_policy(struct fx *f, bool fit)
{
	static const char budget[] =
		"    budgets:\n      2025: \"100000000.00\"\n"
		"    rollover: false\n    source: sh-489\n"
		"    assumption: \"one pool per voucher";
	static const char alloc[] =
		"    kinds: [corpus]\n"
		"    allocation: first-come-first-served # ASSUMPTION, as compute-rent\n";
	char *text = NULL, *b;
	size_t len = 0;
	struct qerr e;
	FILE *out;
	int fd;

	assert_int_equal(file_read(QUAN_POLICYDIR "/shanghai-2025.yaml",
				   1 << 22, "a policy", &text, &len, &e),
			 0);
	b = strdup(budget);
	assert_non_null(b);
	b = replace(b, "100000000.00", "10000000.00");
	text = replace(text, budget, b);
	free(b);
	if (fit) {
		char with[sizeof(alloc) + 32];

		snprintf(with, sizeof(with), "%s    waitlist: fit\n", alloc);
		text = replace(text, alloc, with);
	}
	snprintf(f->policy, sizeof(f->policy), "/tmp/quan-waitfit-XXXXXX");
	fd = mkstemp(f->policy);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
	free(text);
}

static int setup_mode(void **state, bool fit)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	write_policy(f, fit);
	testoffice_open(&f->db, &f->chips, &f->o, f->policy, NOW);
	f->next = 1;
	*state = f;
	return 0;
}

static int setup_strict(void **state)
{
	return setup_mode(state, false);
}

static int setup_fit(void **state)
{
	return setup_mode(state, true);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testoffice_close(&f->db, f->chips, &f->o);
	unlink(f->policy);
	free(f);
	return 0;
}

/* A corpus application of a firm of its own for a contract of `value`
 * (text, yuan), received `at`; its number into id. */
static void apply(struct fx *f, const char *value, int64_t at, int want,
		  char *id)
{
	char u[USCC_LEN + 1], json[2048];
	struct office_result res;
	struct qerr e;
	int n = f->next++;

	snprintf(u, sizeof(u), "91310000M%07dX", n);
	u[17] = uscc_check_char(u);
	u[18] = '\0';
	snprintf(
		json, sizeof(json),
		"{\"client_ref\":\"wf-%d\",\"program\":\"shanghai-2025\","
		"\"measure\":\"corpus\",\"applicant\":{\"uscc\":\"%s\","
		"\"name\":\"语料%d\",\"registered_city\":\"shanghai\","
		"\"industry\":\"I65\",\"sme\":true,\"startup\":false,"
		"\"registered_model\":false,\"last_bad_credit_on\":null,"
		"\"controllers\":[\"31010419700101008X\"]},"
		"\"supplier\":{\"uscc\":\"91310104MA1FR9KP6K\","
		"\"name\":\"上海语料数据服务有限公司\",\"platform_listed\":true,"
		"\"controllers\":[\"310101198506200052\"]},"
		"\"contract\":{\"number\":\"HT-WF-%d\",\"kind\":\"corpus\","
		"\"value\":\"%s\",\"signed_on\":\"2025-09-25\","
		"\"term_months\":12,\"uses_registered_model\":false,"
		"\"other_subsidies\":[],\"compute\":null}}",
		n, u, n, n, value);
	qerr_clear(&e);
	if (office_apply(&f->o, json, strlen(json), "applicant", at, &res, &e))
		fail_msg("apply %s: %s", value, e.msg);
	if (res.state != want)
		fail_msg("apply %s: state %d, want %d", value, res.state, want);
	snprintf(id, 64, "%s", res.id);
}

static int state_of(struct fx *f, const char *id)
{
	struct store_app a;
	struct qerr e;
	int st;

	assert_int_equal(store_app_get(f->o.store, id, &a, &e), Q_OK);
	st = a.state;
	store_app_release(&a);
	return st;
}

static int corpus_of(void *arg, const struct office_pool_figures *p)
{
	if (!strcmp(p->pool, "corpus") && p->year == 2025)
		*(struct office_pool_figures *)arg = *p;
	return 0;
}

static money_t available(struct fx *f)
{
	struct office_pool_figures c;
	struct qerr e;

	memset(&c, 0, sizeof(c));
	assert_int_equal(office_pools_each(&f->o, corpus_of, &c, &e), 0);
	assert_string_equal(c.pool, "corpus");
	return c.available;
}

/* The `waiting` object of application id's view (NULL when it does not
 * wait); the caller frees the view *v. */
static json_t *waiting(struct fx *f, const char *id, json_t **v)
{
	struct qerr e;

	assert_int_equal(view_app(&f->o, id, v, &e), Q_OK);
	return json_object_get(*v, "waiting");
}

static void reject(struct fx *f, const char *id)
{
	struct office_result res;
	struct qerr e;

	qerr_clear(&e);
	if (office_reject(&f->o, id, "test", "rev", NOW + 60, &res, &e))
		fail_msg("reject %s: %s", id, e.msg);
}

/* A (5 M), B1 (60 000.00) and B2 (40 000.00) reserved, 4 900 000.00
 * left; then the 5 M head H waits. */
static void head_waits(struct fx *f, char *a, char *b1, char *h)
{
	char b2[64];

	apply(f, "20000000.00", NOW, APP_RESERVED, a);
	apply(f, "200000.00", NOW + 1, APP_RESERVED, b1);
	apply(f, "133333.34", NOW + 2, APP_RESERVED, b2);
	assert_int_equal(available(f), FEN(4900000, 0));
	apply(f, "20000000.00", NOW + 3, APP_WAITLISTED, h);
}

static void test_strict(void **state)
{
	struct fx *f = *state;
	char a[64], b1[64], h[64], c1[64], c2[64], d[64];
	json_t *v, *w;

	head_waits(f, a, b1, h);
	apply(f, "8290.00", NOW + 4, APP_WAITLISTED, c1);
	apply(f, "8290.00", NOW + 5, APP_WAITLISTED, c2);
	assert_int_equal(available(f), FEN(4900000, 0));
	w = waiting(f, c2, &v);
	assert_non_null(w);
	assert_string_equal(json_string_value(json_object_get(w, "order")),
			    "strict");
	assert_string_equal(json_string_value(json_object_get(w, "head")), h);
	assert_int_equal(json_integer_value(json_object_get(w, "ahead")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(w, "why")),
			       "none overtaking the first"));
	json_decref(v);
	/* D asks 4 950 000.00. B1's 60 000.00 back (4 960 000.00) would
	 * cover D, but nobody overtakes H. */
	apply(f, "16500000.00", NOW + 6, APP_WAITLISTED, d);
	reject(f, b1);
	assert_int_equal(available(f), FEN(4960000, 0));
	assert_int_equal(state_of(f, h), APP_WAITLISTED);
	assert_int_equal(state_of(f, c1), APP_WAITLISTED);
	assert_int_equal(state_of(f, d), APP_WAITLISTED);
	/* A's 5 M back: everyone, in order. */
	reject(f, a);
	assert_int_equal(state_of(f, h), APP_RESERVED);
	assert_int_equal(state_of(f, c1), APP_RESERVED);
	assert_int_equal(state_of(f, c2), APP_RESERVED);
	assert_int_equal(state_of(f, d), APP_RESERVED);
	assert_int_equal(available(f), FEN(5026, 0));
}

static void test_fit(void **state)
{
	struct fx *f = *state;
	char a[64], b1[64], h[64], c1[64], c2[64], d[64];
	json_t *v, *w;
	const char *why;

	head_waits(f, a, b1, h);
	apply(f, "8290.00", NOW + 4, APP_RESERVED, c1);
	apply(f, "8290.00", NOW + 5, APP_RESERVED, c2);
	assert_int_equal(available(f), FEN(4900000, 0) - 2 * FEN(2487, 0));
	assert_int_equal(state_of(f, h), APP_WAITLISTED);
	w = waiting(f, h, &v);
	assert_non_null(w);
	assert_string_equal(json_string_value(json_object_get(w, "order")),
			    "fit");
	assert_false(json_is_true(json_object_get(w, "fits")));
	assert_string_equal(json_string_value(json_object_get(w, "requested")),
			    "5000000.00");
	assert_string_equal(json_string_value(json_object_get(w, "available")),
			    "4895026.00");
	why = json_string_value(json_object_get(w, "why"));
	assert_non_null(strstr(why, "does not fit"));
	assert_non_null(strstr(why, "5000000.00"));
	assert_non_null(strstr(why, "4895026.00"));
	assert_non_null(strstr(json_string_value(json_object_get(w, "why_zh")),
			       "超过"));
	json_decref(v);
	/* D asks 4 950 000.00: it does not fit either, and waits. */
	apply(f, "16500000.00", NOW + 6, APP_WAITLISTED, d);
	/* B1's 60 000.00 back (4 955 026.00): H still does not fit and is
	 * skipped; D, behind it, fits and is served. */
	reject(f, b1);
	assert_int_equal(state_of(f, h), APP_WAITLISTED);
	assert_int_equal(state_of(f, d), APP_RESERVED);
	assert_int_equal(available(f), FEN(5026, 0));
	/* A's 5 M back: H is served once it fits. */
	reject(f, a);
	assert_int_equal(state_of(f, h), APP_RESERVED);
	assert_int_equal(available(f), FEN(5026, 0));
	w = waiting(f, h, &v);
	assert_null(w);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strict, setup_strict,
						teardown),
		cmocka_unit_test_setup_teardown(test_fit, setup_fit, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
