/*
 * test_gen.c - the synthetic application generator (src/sim/gen.h) against
 * the real Shanghai 2025 policy and chip catalog: every application parses
 * and is decided as its options say (eligible by default) when the office
 * receives it at gen_received_at, client references and contract numbers
 * are distinct, the text and the arrival are functions of the seed and the
 * number alone, and the options (prefix, spread, ineligible, large) do what
 * they promise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/app.h"
#include "engine/decide.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "sim/gen.h"

#define N 3000

struct fixture {
	struct policy *p;
	struct chip_catalog *chips;
	struct gen *g;
};

static int setup(void **state)
{
	static struct fixture fx;
	struct diag_list d = DIAG_LIST_INIT;

	if (policy_load(QUAN_DATADIR "/../policies/shanghai-2025.yaml", &fx.p,
			&d) ||
	    chips_load(QUAN_DATADIR "/chips.yaml", &fx.chips, &d)) {
		diag_print(&d, stderr);
		diag_release(&d);
		return -1;
	}
	diag_release(&d);
	fx.g = malloc(sizeof(*fx.g));
	if (!fx.g)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	policy_free(fx->p);
	chips_free(fx->chips);
	free(fx->g);
	return 0;
}

/* Generate number i, parse it, receive it when it arrives and decide it;
 * the caller releases *a. */
static void gen_decide(struct fixture *fx, uint64_t i, struct application *a,
		       struct decision *d)
{
	char buf[GEN_APP_MAX];
	size_t len = 0;
	struct qerr e;
	int64_t at = 0;
	int rc;

	assert_int_equal(gen_application(fx->g, i, buf, sizeof(buf), &len), 0);
	assert_int_equal(strlen(buf), len);
	qerr_clear(&e);
	rc = app_parse_json(buf, len, a, &e);
	if (rc)
		fail_msg("application %llu: %s\n%s", (unsigned long long)i,
			 e.msg, buf);
	/* The office numbers it: the text carries a reference only. */
	assert_null(a->id);
	assert_non_null(a->client_ref);
	assert_int_equal(gen_received_at(fx->g, i, &at), 0);
	/* Signed on or before the day it arrives: the office accepts it. */
	rc = app_receive(a, at, &e);
	if (rc)
		fail_msg("application %llu received at %lld: %s\n%s",
			 (unsigned long long)i, (long long)at, e.msg, buf);
	rc = decide(fx->p, a, fx->chips, NULL, d, &e);
	if (rc)
		fail_msg("application %llu: %s\n%s", (unsigned long long)i,
			 e.msg, buf);
	assert_true(d->measure >= 0);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sort n strings and fail on the first that appears twice. */
static void assert_distinct(char **s, size_t n, const char *what)
{
	qsort(s, n, sizeof(*s), cmp_str);
	for (size_t k = 1; k < n; k++)
		if (!strcmp(s[k - 1], s[k]))
			fail_msg("%s '%s' twice", what, s[k]);
}

static void free_all(char **s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(s[k]);
	free(s);
}

/* Default options: every application parses and is eligible, with a
 * positive amount; client references and contract numbers are distinct. */
static void test_default_eligible_distinct(void **state)
{
	struct fixture *fx = *state;
	char **ids = calloc(N, sizeof(*ids));
	char **contracts = calloc(N, sizeof(*contracts));
	int measures[3] = {0, 0, 0};

	assert_non_null(ids);
	assert_non_null(contracts);
	gen_init(fx->g, 42);
	for (uint64_t i = 0; i < N; i++) {
		struct application a;
		struct decision d;
		const char *m;

		gen_decide(fx, i, &a, &d);
		if (!d.eligible)
			fail_msg("application %llu not eligible",
				 (unsigned long long)i);
		assert_true(d.amount > 0);
		m = fx->p->measures[d.measure].id;
		measures[!strcmp(m, "compute-rent") ? 0
			 : !strcmp(m, "model")	    ? 1
						    : 2]++;
		ids[i] = strdup(a.client_ref);
		contracts[i] = strdup(a.contract.number);
		assert_non_null(ids[i]);
		assert_non_null(contracts[i]);
		app_release(&a);
	}
	/* The three measures all appear (40 / 30 / 30 %). */
	for (int k = 0; k < 3; k++)
		assert_true(measures[k] > N / 5);
	assert_distinct(ids, N, "client_ref");
	assert_distinct(contracts, N, "contract number");
	free_all(ids, N);
	free_all(contracts, N);
}

/* The text of number i depends on the seed and i only: not on the order of
 * generation, nor on the generator's earlier use; another seed differs. */
static void test_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct gen *h = malloc(sizeof(*h));
	char a[GEN_APP_MAX], b[GEN_APP_MAX];
	size_t la, lb;
	int differ = 0;

	assert_non_null(h);
	gen_init(fx->g, 7);
	gen_init(h, 7);
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t j = 199 - i; /* h walks backwards */

		assert_int_equal(gen_application(fx->g, i, a, sizeof(a), &la),
				 0);
		assert_int_equal(gen_application(h, i, b, sizeof(b), &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_int_equal(gen_application(h, j, b, sizeof(b), &lb), 0);
		{
			int64_t ta = 0, tb = 1;

			assert_int_equal(gen_received_at(fx->g, i, &ta), 0);
			assert_int_equal(gen_received_at(h, i, &tb), 0);
			assert_int_equal(ta, tb);
		}
	}
	gen_init(h, 8);
	for (uint64_t i = 0; i < 50; i++) {
		assert_int_equal(gen_application(fx->g, i, a, sizeof(a), &la),
				 0);
		assert_int_equal(gen_application(h, i, b, sizeof(b), &lb), 0);
		differ += la != lb || memcmp(a, b, la) != 0;
	}
	assert_int_equal(differ, 50);
	free(h);
}

/* A prefix keeps two runs apart; a bad one is refused; a small buffer is
 * an error, not a cut text. */
static void test_prefix_and_buffer(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	char small[64];
	size_t len;

	gen_init(fx->g, 1);
	assert_int_equal(gen_set_prefix(fx->g, "bad prefix"), Q_ERR_INVALID);
	assert_int_equal(gen_set_prefix(fx->g, "A-VERY-LONG-PREFIX-OVER-24"),
			 Q_ERR_INVALID);
	assert_string_equal(fx->g->prefix, GEN_DEFAULT_PREFIX);
	assert_int_equal(gen_set_prefix(fx->g, "RUSH-p2_"), 0);
	gen_decide(fx, 12345, &a, &d);
	assert_string_equal(a.client_ref, "RUSH-p2_0012345");
	assert_string_equal(a.contract.number, "HT-RUSH-p2_0012345");
	assert_true(d.eligible);
	app_release(&a);
	gen_decide(fx, 123456789, &a, &d);
	assert_string_equal(a.client_ref, "RUSH-p2_123456789");
	app_release(&a);
	assert_int_equal(gen_application(fx->g, 0, small, sizeof(small), &len),
			 Q_ERR_TOO_LARGE);
}

/* Spread over the whole window of the program: in order of i, inside the
 * window, every one still eligible. */
static void test_spread_over_window(void **state)
{
	struct fixture *fx = *state;
	int64_t last = 0, opens = 0, closes = 0;
	struct qerr e;

	assert_int_equal(datetime_parse("2025-07-28T00:00:00+08:00", 25, &opens,
					NULL, "t", &e),
			 0);
	assert_int_equal(datetime_parse("2025-12-31T23:59:59+08:00", 25,
					&closes, NULL, "t", &e),
			 0);
	gen_init(fx->g, 3);
	fx->g->opt.first_day = date_from_ymd(2025, 7, 28);
	fx->g->opt.days = 157;
	fx->g->opt.spread_count = 500;
	for (uint64_t i = 0; i < 500; i++) {
		struct application a;
		struct decision d;

		gen_decide(fx, i, &a, &d);
		assert_true(d.eligible);
		assert_true(a.received_at >= opens);
		assert_true(a.received_at <= closes);
		assert_true(a.received_at >= last);
		last = a.received_at;
		app_release(&a);
	}
	/* The last of 500 lands in the window's last day. */
	assert_true(last > closes - 86400);
	fx->g->opt.days = 0;
	{
		char buf[GEN_APP_MAX];
		size_t len;

		int64_t at = 12345;

		assert_int_equal(
			gen_application(fx->g, 0, buf, sizeof(buf), &len),
			Q_ERR_INVALID);
		assert_int_equal(gen_received_at(fx->g, 0, &at), Q_ERR_INVALID);
		assert_int_equal(at, 12345);
	}
}

/* ineligible_pct 100: none eligible; large_pct 100: at the caps (model
 * and corpus 5 M) or at least 6 M (compute rent at 30 %); a mix of 10 and
 * 20 % comes out near those shares. */
static void test_ineligible_and_large(void **state)
{
	struct fixture *fx = *state;
	int inel = 0, large = 0;

	gen_init(fx->g, 5);
	fx->g->opt.ineligible_pct = 100;
	for (uint64_t i = 0; i < 300; i++) {
		struct application a;
		struct decision d;

		gen_decide(fx, i, &a, &d);
		if (d.eligible)
			fail_msg("application %llu eligible",
				 (unsigned long long)i);
		assert_true(d.nreasons > 0);
		app_release(&a);
	}
	fx->g->opt.ineligible_pct = 0;
	fx->g->opt.large_pct = 100;
	for (uint64_t i = 0; i < 300; i++) {
		struct application a;
		struct decision d;

		gen_decide(fx, i, &a, &d);
		assert_true(d.eligible);
		assert_true(d.amount >= (money_t)5000000 * 100);
		app_release(&a);
	}
	fx->g->opt.ineligible_pct = 10;
	fx->g->opt.large_pct = 20;
	for (uint64_t i = 0; i < N; i++) {
		struct application a;
		struct decision d;

		gen_decide(fx, i, &a, &d);
		inel += !d.eligible;
		large += d.eligible && d.amount >= (money_t)5000000 * 100;
		app_release(&a);
	}
	assert_true(inel > N / 20 && inel < N * 3 / 20);
	assert_true(large > N / 8 && large < N / 4);
}

/* Every party has a name of its own, and with typical_sizes no award is
 * below a few thousand yuan while the other draws stay the same. */
static void test_names_and_typical_sizes(void **state)
{
	struct fixture *fx = *state;
	char **names = calloc(GEN_PARTIES, sizeof(*names));
	char buf[GEN_NAME_MAX];
	money_t least = -1;

	assert_non_null(names);
	for (int k = 0; k < GEN_PARTIES; k++) {
		gen_party_name(k, false, "shanghai", buf);
		assert_true(strncmp(buf, "上海", strlen("上海")) == 0);
		assert_non_null(strstr(buf, "有限公司"));
		names[k] = strdup(buf);
		assert_non_null(names[k]);
	}
	assert_distinct(names, GEN_PARTIES, "applicant name");
	free_all(names, GEN_PARTIES);
	gen_party_name(5, false, "hangzhou", buf);
	assert_true(strncmp(buf, "杭州", strlen("杭州")) == 0);

	gen_init(fx->g, 42);
	fx->g->opt.typical_sizes = 1;
	for (uint64_t i = 0; i < N; i++) {
		struct application a;
		struct decision d;

		gen_decide(fx, i, &a, &d);
		assert_true(d.eligible);
		assert_string_not_equal(a.applicant.name, "");
		if (least < 0 || d.amount < least)
			least = d.amount;
		app_release(&a);
	}
	/* corpus at 30 % of at least 30 000.00 */
	assert_true(least >= 900000);
}

/* gen_fill gives what app_parse_json reads from gen_application's text of
 * the same number: the same facts, slot by slot, and the same decision. */
static void test_fill_equals_text(void **state)
{
	struct fixture *fx = *state;
	struct gen_names *nm = malloc(sizeof(*nm));
	struct gen_app *ga = malloc(sizeof(*ga));

	assert_non_null(nm);
	assert_non_null(ga);
	gen_init(fx->g, 7);
	fx->g->opt.ineligible_pct = 30;
	fx->g->opt.large_pct = 5;
	gen_names_init(fx->g, nm);
	for (uint64_t i = 0; i < N; i++) {
		char buf[GEN_APP_MAX];
		size_t len;
		struct application a;
		struct facts f1, f2;
		struct decision d1, d2;
		struct qerr e;
		int64_t at;

		fx->g->opt.typical_sizes = (int)(i & 1);
		assert_int_equal(gen_received_at(fx->g, i, &at), 0);
		assert_int_equal(
			gen_application(fx->g, i, buf, sizeof(buf), &len), 0);
		assert_int_equal(app_parse_json(buf, len, &a, &e), 0);
		assert_int_equal(app_receive(&a, at, &e), 0);
		assert_int_equal(gen_fill(fx->g, nm, i, ga), 0);
		assert_int_equal(app_receive(&ga->a, at, &e), 0);
		assert_string_equal(a.client_ref, ga->a.client_ref);
		assert_string_equal(a.measure, ga->a.measure);
		assert_int_equal(a.applicant.kind, ga->a.applicant.kind);
		assert_int_equal(a.supplier.kind, ga->a.supplier.kind);
		assert_int_equal(facts_build(&a, fx->chips, NULL, &f1, &e), 0);
		assert_int_equal(facts_build(&ga->a, fx->chips, NULL, &f2, &e),
				 0);
		assert_true(f1.null_mask == f2.null_mask);
		for (int k = 0; k < F__COUNT; k++) {
			if (field_table[k].type == QT_STRING)
				assert_string_equal(f1.s[k], f2.s[k]);
			else
				assert_true(f1.i[k] == f2.i[k]);
		}
		assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d1, &e),
				 0);
		assert_int_equal(
			decide(fx->p, &ga->a, fx->chips, NULL, &d2, &e), 0);
		assert_int_equal(d1.eligible, d2.eligible);
		assert_true(d1.amount == d2.amount);
		app_release(&a);
	}
	/* The numbers as the text writes them, under another prefix and
	 * past seven digits too. */
	assert_int_equal(gen_set_prefix(fx->g, "RUSH-p2_"), 0);
	for (uint64_t i = 0; i < 40; i++) {
		uint64_t n = i < 20 ? i * 9999991 : 18446744073709551615ull - i;
		char buf[GEN_APP_MAX];
		size_t len;
		struct application a;
		struct qerr e;

		assert_int_equal(
			gen_application(fx->g, n, buf, sizeof(buf), &len), 0);
		assert_int_equal(app_parse_json(buf, len, &a, &e), 0);
		assert_int_equal(gen_fill(fx->g, nm, n, ga), 0);
		assert_string_equal(a.client_ref, ga->a.client_ref);
		assert_string_equal(a.contract.number, ga->a.contract.number);
		app_release(&a);
	}
	free(nm);
	free(ga);
}

/* A contract is signed up to 180 days before the day it is received, and
 * not before 1 January of that year (gen_fill finds that day in a table
 * gen_init makes): over windows that cross a new year, at the first and
 * the last years the options allow, and across a leap day. */
static void test_signed_in_year_of_receipt(void **state)
{
	struct fixture *fx = *state;
	struct gen_names *nm = malloc(sizeof(*nm));
	struct gen_app *ga = malloc(sizeof(*ga));
	static const int starts[][3] = {{2025, 12, 1},	{1901, 1, 1},
					{2199, 11, 1},	{2024, 1, 20},
					{2000, 12, 30}, {2100, 12, 25}};
	int jan1 = 0;

	assert_non_null(nm);
	assert_non_null(ga);
	gen_init(fx->g, 21);
	gen_names_init(fx->g, nm);
	for (size_t w = 0; w < sizeof(starts) / sizeof(starts[0]); w++) {
		fx->g->opt.first_day =
			date_from_ymd(starts[w][0], starts[w][1], starts[w][2]);
		fx->g->opt.days = 60;
		for (uint64_t i = 0; i < 2000; i++) {
			int64_t at;
			qdate on, signd;
			struct qerr e;

			assert_int_equal(gen_received_at(fx->g, i, &at), 0);
			assert_int_equal(gen_fill(fx->g, nm, i, ga), 0);
			assert_int_equal(app_receive(&ga->a, at, &e), 0);
			on = ga->a.received_on;
			signd = ga->a.contract.signed_on;
			assert_true(signd <= on && on - signd <= 180);
			assert_int_equal(date_year(signd), date_year(on));
			/* Cut at 1 January only when 180 days reach back past
			 * it. */
			if (signd == date_from_ymd(date_year(on), 1, 1))
				jan1++;
		}
	}
	assert_true(jan1 > 100);
	free(nm);
	free(ga);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_eligible_distinct),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_prefix_and_buffer),
		cmocka_unit_test(test_spread_over_window),
		cmocka_unit_test(test_ineligible_and_large),
		cmocka_unit_test(test_names_and_typical_sizes),
		cmocka_unit_test(test_fill_equals_text),
		cmocka_unit_test(test_signed_in_year_of_receipt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
