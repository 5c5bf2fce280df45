/*
 * test_expr.c - the condition language (src/policy/expr.c): every operator,
 * precedence, short-circuits, nulls, parameters not in force, the rounding
 * rule, overflow, `in` lists, dates, the limits, and every compile error
 * with its message and offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "policy/expr.h"

/* ---- fixtures ------------------------------------------------------------- */

/* The parameters of a small policy: name, type, index. */
static const struct {
	const char *name;
	enum qtype type;
} params_def[] = {
	{"sme_rate", QT_RATE}, {"cap", QT_MONEY}, {"years", QT_INT},
	{"start", QT_DATE},    {"flag", QT_BOOL}, {"label", QT_STRING},
};
#define NPARAMS (sizeof(params_def) / sizeof(params_def[0]))

static int lookup(void *ctx, const char *name, size_t len, enum qtype *type)
{
	(void)ctx;
	for (size_t i = 0; i < NPARAMS; i++)
		if (strlen(params_def[i].name) == len &&
		    memcmp(params_def[i].name, name, len) == 0) {
			*type = params_def[i].type;
			return (int)i;
		}
	return -1;
}

/* Two named supplier lists: "partners" (0) and "planned" (1). */
static int list_lookup(void *ctx, const char *name, size_t len)
{
	static const char *const lists[] = {"partners", "planned"};

	(void)ctx;
	for (int i = 0; i < 2; i++)
		if (strlen(lists[i]) == len && memcmp(lists[i], name, len) == 0)
			return i;
	return -1;
}

static const struct expr_env env = {lookup, list_lookup, NULL};

static int64_t pv[NPARAMS];
static uint8_t pn[NPARAMS];
static struct facts F;

static qdate ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	/* String and number slots overlap (fields.h): "" only in strings. */
	for (int i = 0; i < F__COUNT; i++)
		if (field_table[i].type == QT_STRING)
			F.s[i] = "";
	F.s[F_APPLICANT_REGISTERED_CITY] = "shanghai";
	F.s[F_APPLICANT_NAME] = "a\"b\\c";
	F.s[F_CONTRACT_KIND] = "rent";
	F.i[F_APPLICANT_SME] = 1;
	F.i[F_APPLICANT_STARTUP] = 0;
	F.i[F_APPLICANT_COMPUTE_CONTRACTS_YEAR] = 40000000; /* 400000.00 */
	F.i[F_CONTRACT_VALUE] = 100000000;		    /* 1000000.00 */
	F.i[F_CONTRACT_SIGNED_ON] = ymd(2025, 6, 13);
	F.i[F_CONTRACT_TERM_MONTHS] = 24;
	F.i[F_COMPUTE_DOMESTIC] = 1;
	F.i[F_APPLICANT_LAST_BAD_CREDIT_ON] = ymd(2020, 1, 1);
	F.null_mask = 1ull << F_APPLICANT_LAST_BAD_CREDIT_ON;
	pv[0] = 5000;	   /* 50% */
	pv[1] = 800000000; /* 8000000.00 */
	pv[2] = 3;	   /* years */
	pv[3] = ymd(2025, 1, 1);
	pv[4] = 1;
	memset(pn, 0, sizeof(pn));
	return 0;
}

static struct expr *compile_ok(const char *src, enum qtype want)
{
	struct expr *x = NULL;
	struct expr_error e;

	if (expr_compile(src, strlen(src), &env, want, &x, &e)) {
		print_error("'%s': at %zu: %s\n", src, e.offset, e.msg);
		fail();
	}
	assert_non_null(x);
	return x;
}

/* Evaluate src; its status must be `status` and, if OK, its value is
 * returned. */
static int64_t run(const char *src, int status)
{
	struct expr *x = compile_ok(src, QT_NONE);
	int64_t v = -999;
	int st = expr_eval(x, &F, pv, pn, &v);

	if (st != status)
		print_error("'%s': status %d, want %d\n", src, st, status);
	assert_int_equal(st, status);
	expr_free(x);
	return v;
}

static int64_t val(const char *src)
{
	return run(src, EXPR_OK);
}

/* src must fail to compile at byte `offset` with a message containing
 * `words`. */
static void bad_as(const char *src, size_t len, const struct expr_env *en,
		   enum qtype want, size_t offset, const char *words)
{
	struct expr *x = (struct expr *)&x;
	struct expr_error e;

	memset(&e, 0x55, sizeof(e));
	if (expr_compile(src, len, en, want, &x, &e) == 0) {
		print_error("'%s' compiled\n", src);
		fail();
	}
	assert_null(x);
	assert_true(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
	if (!strstr(e.msg, words) || e.offset != offset)
		print_error("'%.60s': at %zu (want %zu): %s\n", src, e.offset,
			    offset, e.msg);
	assert_non_null(strstr(e.msg, words));
	assert_int_equal(e.offset, offset);
}

static void bad(const char *src, size_t offset, const char *words)
{
	bad_as(src, strlen(src), &env, QT_NONE, offset, words);
}

/* ---- literals and operators ------------------------------------------------ */

static void test_literals(void **state)
{
	(void)state;
	assert_int_equal(val("42"), 42);
	assert_int_equal(val("-42"), -42);
	assert_int_equal(val("1200000.00"), 120000000);
	assert_int_equal(val("5.5"), 550);
	assert_int_equal(val("30%"), 3000);
	assert_int_equal(val("12.5%"), 1250);
	assert_int_equal(val("2025-06-13"), ymd(2025, 6, 13));
	assert_int_equal(val("true"), 1);
	assert_int_equal(val("false"), 0);
	assert_int_equal(val("9223372036854775807"), INT64_MAX);
	assert_int_equal(val("\"a\\\"b\\\\c\" == applicant.name"), 1);
	assert_int_equal(val("\"\" == compute.chip"), 1);
	assert_int_equal(val("\"上海\" != applicant.registered_city"), 1);
}

static void test_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(val("7 + 5"), 12);
	assert_int_equal(val("7 - 12"), -5);
	assert_int_equal(val("7 * -3"), -21);
	assert_int_equal(val("7 / 2"), 3);
	/* Integer division rounds down too. */
	assert_int_equal(val("-7 / 2"), -4);
	assert_int_equal(val("7 / -2"), -4);
	assert_int_equal(val("-(3 - 5)"), 2);
	assert_int_equal(val("- -3"), 3);
	assert_int_equal(val("1.50 + 2.25"), 375);
	assert_int_equal(val("1.50 - 2.25"), -75);
	assert_int_equal(val("1.50 * 3"), 450);
	assert_int_equal(val("3 * 1.50"), 450);
	assert_int_equal(val("30% + 12.5%"), 4250);
	assert_int_equal(val("30% - 12.5%"), 1750);
	assert_int_equal(val("contract.value * 30%"), 30000000);
	assert_int_equal(val("30% * contract.value"), 30000000);
	assert_int_equal(val("contract.term_months * 2 + 1"), 49);
	assert_int_equal(
		val("contract.value - applicant.compute_contracts_year"),
		60000000);
	assert_int_equal(val("contract.value * min(contract.term_months, 12) / "
			     "contract.term_months"),
			 50000000);
}

static void test_rounding(void **state)
{
	(void)state;
	/* 5 fen x 30 % = 1.5 fen: rounded down to 1 fen. */
	assert_int_equal(val("0.05 * 30%"), 1);
	assert_int_equal(val("30% * 0.05"), 1);
	assert_int_equal(val("0.01 * 50%"), 0);
	assert_int_equal(val("0.03 * 33.33%"), 0);
	/* Down means toward minus infinity. */
	assert_int_equal(val("(0.00 - 0.05) * 30%"), -2);
	assert_int_equal(val("10.00 / 3"), 333);
	assert_int_equal(val("(0.00 - 10.00) / 3"), -334);
	assert_int_equal(val("10.00 / -3"), -334);
	assert_int_equal(val("(0.00 - 10.00) / -3"), 333);
	assert_int_equal(val("0.01 / (0 - 9223372036854775807 - 1)"), -1);
	assert_int_equal(val("0.00 / (0 - 9223372036854775807 - 1)"), 0);
	assert_int_equal(val("92233720368547758.07 * 100%"), INT64_MAX);
	assert_int_equal(val("92233720368547758.07 * 50%"), INT64_MAX / 2);
}

static void test_comparisons(void **state)
{
	(void)state;
	assert_int_equal(val("1 == 1"), 1);
	assert_int_equal(val("1 != 1"), 0);
	assert_int_equal(val("1 < 2"), 1);
	assert_int_equal(val("2 < 2"), 0);
	assert_int_equal(val("2 <= 2"), 1);
	assert_int_equal(val("3 <= 2"), 0);
	assert_int_equal(val("3 > 2"), 1);
	assert_int_equal(val("2 > 2"), 0);
	assert_int_equal(val("2 >= 2"), 1);
	assert_int_equal(val("1 >= 2"), 0);
	assert_int_equal(val("contract.value > 999999.99"), 1);
	assert_int_equal(val("contract.value <= 1000000.00"), 1);
	assert_int_equal(val("contract.value < 1000000.00"), 0);
	assert_int_equal(val("30% < 30.01%"), 1);
	assert_int_equal(val("contract.signed_on >= 2025-06-13"), 1);
	assert_int_equal(val("contract.signed_on > 2025-06-13"), 0);
	assert_int_equal(val("applicant.registered_city == \"shanghai\""), 1);
	assert_int_equal(val("applicant.registered_city != \"shanghai\""), 0);
	assert_int_equal(val("applicant.registered_city == \"shangha\""), 0);
	assert_int_equal(val("applicant.sme == true"), 1);
	assert_int_equal(val("applicant.startup != false"), 0);
	assert_int_equal(val("related_party == false"), 1);
	assert_int_equal(val("applicant.sme == compute.domestic"), 1);
	/* A constant on the left is flipped into one instruction. */
	assert_int_equal(val("500000.00 < contract.value"), 1);
	assert_int_equal(val("24 <= contract.term_months"), 1);
	assert_int_equal(val("24 < contract.term_months"), 0);
	assert_int_equal(val("25 > contract.term_months"), 1);
	assert_int_equal(val("24 >= contract.term_months"), 1);
	assert_int_equal(val("23 >= contract.term_months"), 0);
	assert_int_equal(val("24 == contract.term_months"), 1);
	assert_int_equal(val("24 != contract.term_months"), 0);
	assert_int_equal(val("\"rent\" != contract.kind"), 0);
	assert_int_equal(val("\"rent\" == contract.kind"), 1);
	assert_int_equal(val("contract.term_months == contract.term_months"),
			 1);
}

static void test_logic(void **state)
{
	(void)state;
	assert_int_equal(val("true && true"), 1);
	assert_int_equal(val("true && false"), 0);
	assert_int_equal(val("false && true"), 0);
	assert_int_equal(val("false || false"), 0);
	assert_int_equal(val("false || true"), 1);
	assert_int_equal(val("true || false"), 1);
	assert_int_equal(val("!true"), 0);
	assert_int_equal(val("!!true"), 1);
	assert_int_equal(val("applicant.sme && "
			     "applicant.compute_contracts_year <= 500000.00"),
			 1);
	assert_int_equal(val("applicant.startup || applicant.sme"), 1);
	assert_int_equal(
		val("contract.term_months >= 36 && contract.term_months <= 60"),
		0);
}

static void test_precedence(void **state)
{
	(void)state;
	assert_int_equal(val("1 + 2 * 3"), 7);
	assert_int_equal(val("(1 + 2) * 3"), 9);
	assert_int_equal(val("10 - 3 - 2"), 5);
	assert_int_equal(val("100 / 10 / 5"), 2);
	assert_int_equal(val("2 * 3 - 4 / 2"), 4);
	assert_int_equal(val("-2 * 3"), -6);
	assert_int_equal(val("1 + 2 * 3 == 7"), 1);
	/* && binds tighter than ||. */
	assert_int_equal(val("true || false && false"), 1);
	assert_int_equal(val("(true || false) && false"), 0);
	assert_int_equal(val("false && false || true"), 1);
	/* ! binds looser than a comparison (expr.h) and tighter than &&. */
	assert_int_equal(val("!1 == 2"), 1);
	assert_int_equal(val("!true && false"), 0);
	assert_int_equal(val("!false && true"), 1);
	assert_int_equal(val("!false || false"), 1);
	assert_int_equal(val("!2 in [1, 2]"), 0);
}

static void test_short_circuit(void **state)
{
	(void)state;
	pn[1] = 1; /* param.cap is not in force */
	assert_int_equal(val("false && param.cap > 0.00"), 0);
	assert_int_equal(val("true || param.cap > 0.00"), 1);
	run("true && param.cap > 0.00", EXPR_NOT_IN_FORCE);
	run("false || param.cap > 0.00", EXPR_NOT_IN_FORCE);
	/* The right side is not evaluated: no overflow, no division. */
	assert_int_equal(val("false && 9223372036854775807 + 1 > 0"), 0);
	assert_int_equal(val("true || 1 / 0 > 0"), 1);
	run("true && 1 / 0 > 0", EXPR_DIV_ZERO);
	/* Nested: the jump of the inner && lands inside the outer ||. */
	assert_int_equal(val("(false && 1 / 0 > 0) || true"), 1);
	assert_int_equal(val("(true || 1 / 0 > 0) && (false || true)"), 1);
}

/* ---- nulls and parameters ---------------------------------------------------- */

static void test_nulls(void **state)
{
	(void)state;
	/* applicant.last_bad_credit_on is null in the fixture. */
	assert_int_equal(val("applicant.last_bad_credit_on == null"), 1);
	assert_int_equal(val("null == applicant.last_bad_credit_on"), 1);
	assert_int_equal(val("applicant.last_bad_credit_on != null"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on < 2030-01-01"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on <= 2030-01-01"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on > 1990-01-01"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on >= 1990-01-01"), 0);
	assert_int_equal(val("2030-01-01 > applicant.last_bad_credit_on"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on == 2020-01-01"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on != 2020-01-01"), 1);
	assert_int_equal(val("!(applicant.last_bad_credit_on < 2030-01-01)"),
			 1);
	assert_int_equal(
		val("add_years(applicant.last_bad_credit_on, 3) < 2030-01-01"),
		0);
	assert_int_equal(
		val("applicant.last_bad_credit_on in [2020-01-01, 2021-01-01]"),
		0);
	assert_int_equal(val("applicant.last_bad_credit_on == null || "
			     "applicant.last_bad_credit_on < "
			     "add_years(contract.signed_on, -3)"),
			 1);

	F.null_mask = 0; /* now a record of 2020-01-01 */
	assert_int_equal(val("applicant.last_bad_credit_on == null"), 0);
	assert_int_equal(val("applicant.last_bad_credit_on != null"), 1);
	assert_int_equal(val("applicant.last_bad_credit_on == 2020-01-01"), 1);
	assert_int_equal(val("applicant.last_bad_credit_on != 2020-01-01"), 0);
	assert_int_equal(
		val("add_years(applicant.last_bad_credit_on, 3) < 2030-01-01"),
		1);
	assert_int_equal(
		val("applicant.last_bad_credit_on in [2020-01-01, 2021-01-01]"),
		1);
	assert_int_equal(val("applicant.last_bad_credit_on == null || "
			     "applicant.last_bad_credit_on < "
			     "add_years(contract.signed_on, -3)"),
			 1);
	F.i[F_APPLICANT_LAST_BAD_CREDIT_ON] = ymd(2023, 1, 1);
	assert_int_equal(val("applicant.last_bad_credit_on == null || "
			     "applicant.last_bad_credit_on < "
			     "add_years(contract.signed_on, -3)"),
			 0);
}

static void test_null_errors(void **state)
{
	(void)state;
	bad("contract.value == null", 0, "'contract.value' is never null");
	bad("null != contract.kind", 8, "'contract.kind' is never null");
	bad("applicant.last_bad_credit_on < null", 29,
	    "'<' cannot compare with null");
	bad("null == null", 5, "cannot compare null with null");
	bad("add_days(applicant.last_bad_credit_on, 1) == null", 0,
	    "only a field that may be null can be compared with null");
	bad("param.start == null", 0,
	    "only a field that may be null can be compared with null");
	bad("null", 0, "null cannot stand alone");
	bad("applicant.last_bad_credit_on", 0,
	    "'applicant.last_bad_credit_on' may be null here: test it with "
	    "'applicant.last_bad_credit_on == null' first");
	bad("add_days(applicant.last_bad_credit_on, 1)", 0, "may be null");
	bad("null + 1", 5, "cannot add null and int");
	bad("1 in [null]", 6, "expected a literal in the list, got 'null'");
}

static void test_params(void **state)
{
	struct expr *x;
	int64_t v = 0;

	(void)state;
	assert_int_equal(val("contract.value * param.sme_rate"), 50000000);
	assert_int_equal(val("min(contract.value, param.cap)"), 100000000);
	assert_int_equal(val("add_years(param.start, param.years)"),
			 ymd(2028, 1, 1));
	assert_int_equal(val("param.flag"), 1);
	pn[0] = 1;
	run("contract.value * param.sme_rate", EXPR_NOT_IN_FORCE);
	assert_int_equal(val("min(contract.value, param.cap)"), 100000000);
	/* No parameter values at all: not in force either. */
	x = compile_ok("param.cap", QT_MONEY);
	assert_int_equal(expr_eval(x, &F, NULL, NULL, &v), EXPR_NOT_IN_FORCE);
	assert_int_equal(expr_eval(x, &F, pv, NULL, &v), EXPR_OK);
	assert_int_equal(v, 800000000);
	expr_free(x);
	/* An expression that reads no parameter needs none. */
	x = compile_ok("contract.term_months", QT_INT);
	assert_int_equal(expr_eval(x, &F, NULL, NULL, &v), EXPR_OK);
	assert_int_equal(v, 24);
	expr_free(x);

	bad("param.nope > 1", 0, "unknown parameter 'param.nope'");
	bad("param.label == \"x\"", 0,
	    "parameter 'param.label' has a type expressions cannot use");
	bad("param.cap == 5", 10,
	    "cannot compare money with int: write the amount as 5.00");
	bad_as("param.sme_rate", 14, NULL, QT_RATE, 0,
	       "unknown parameter 'param.sme_rate'");
}

/* ---- overflow ------------------------------------------------------------- */

static void test_overflow(void **state)
{
	(void)state;
	run("9223372036854775807 + 1", EXPR_OVERFLOW);
	run("-9223372036854775807 - 2", EXPR_OVERFLOW);
	run("9223372036854775807 * 2", EXPR_OVERFLOW);
	run("-(0 - 9223372036854775807 - 1)", EXPR_OVERFLOW);
	run("(0 - 9223372036854775807 - 1) / -1", EXPR_OVERFLOW);
	run("92233720368547758.07 + 0.01", EXPR_OVERFLOW);
	run("0.00 - 92233720368547758.07 - 0.02", EXPR_OVERFLOW);
	run("92233720368547758.07 * 2", EXPR_OVERFLOW);
	run("2 * 92233720368547758.07", EXPR_OVERFLOW);
	run("92233720368547758.07 * 100.01%", EXPR_OVERFLOW);
	run("(0.00 - 92233720368547758.07 - 0.01) / -1", EXPR_OVERFLOW);
	run("contract.value * 9223372036854775807 > 0.00", EXPR_OVERFLOW);
	run("1 / 0", EXPR_DIV_ZERO);
	run("1.00 / 0", EXPR_DIV_ZERO);
	run("1 / (contract.term_months - 24)", EXPR_DIV_ZERO);
	run("add_days(2025-01-01, 1000000)", EXPR_OVERFLOW);
	run("add_days(2025-01-01, 9223372036854775807)", EXPR_OVERFLOW);
	run("add_days(2200-12-31, 1)", EXPR_OVERFLOW);
	run("add_days(1900-01-01, -1)", EXPR_OVERFLOW);
	run("add_years(2025-01-01, 500)", EXPR_OVERFLOW);
	run("add_years(2200-06-01, 1)", EXPR_OVERFLOW);
	run("add_years(1900-06-01, -1)", EXPR_OVERFLOW);
	assert_int_equal(val("add_days(2200-12-30, 1)"), ymd(2200, 12, 31));
	assert_int_equal(val("add_days(1900-01-02, -1)"), ymd(1900, 1, 1));
	assert_int_equal(val("add_years(1900-06-01, 300)"), ymd(2200, 6, 1));
}

/* ---- in, dates, built-ins --------------------------------------------------- */

static void test_in(void **state)
{
	char src[EXPR_MAX_SOURCE + 1];
	size_t n;

	(void)state;
	assert_int_equal(val("contract.kind in [\"rent\", \"buy\"]"), 1);
	assert_int_equal(val("contract.kind in [\"build\"]"), 0);
	assert_int_equal(val("contract.term_months in [12, 24, 36]"), 1);
	assert_int_equal(val("contract.term_months in [-24, 25]"), 0);
	assert_int_equal(val("-3 in [-3]"), 1);
	assert_int_equal(val("contract.signed_on in [2025-06-13]"), 1);
	assert_int_equal(val("contract.value in [1000000.00, 5.5]"), 1);
	assert_int_equal(val("30% in [30%, 50%]"), 1);
	assert_int_equal(val("applicant.sme in [false]"), 0);
	assert_int_equal(val("!(contract.kind in [\"rent\"])"), 0);

	bad("contract.value in [5]", 19,
	    "list item is int but the value is money: write it as 5.00");
	bad("contract.term_months in [1, 2.00]", 28,
	    "list item is money but the value is int");
	bad("1 in [contract.term_months]", 6, "expected a literal in the list");
	bad("1 in 5", 5, "expected '[' after 'in'");
	bad("1 in []", 6, "expected a literal in the list, got ']'");
	bad("1 in [1 2]", 8, "expected ',' or ']' in the list, got '2'");
	bad("1 in [1,", 8, "got the end of the expression");
	bad("1 in [1] in [1]", 9, "comparisons cannot be chained");

	/* EXPR_MAX_LIST items, then one more. */
	n = (size_t)snprintf(src, sizeof(src), "contract.term_months in [");
	for (int i = 0; i < EXPR_MAX_LIST; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "%s%d",
				      i ? "," : "", i);
	snprintf(src + n, sizeof(src) - n, "]");
	assert_int_equal(val(src), 1);
	snprintf(src + n, sizeof(src) - n, ",%d]", EXPR_MAX_LIST);
	bad(src, n + 1, "more than 256 items in a list");
}

static void test_dates(void **state)
{
	(void)state;
	assert_int_equal(val("add_years(2024-02-29, 1) == 2025-02-28"), 1);
	assert_int_equal(val("add_years(2024-02-29, 4) == 2028-02-29"), 1);
	assert_int_equal(val("add_years(contract.signed_on, -3)"),
			 ymd(2022, 6, 13));
	assert_int_equal(val("add_days(2025-12-31, 1) == 2026-01-01"), 1);
	assert_int_equal(val("add_days(2025-03-01, -1) == 2025-02-28"), 1);
	assert_int_equal(val("add_days(contract.signed_on, 0 - 13)"),
			 ymd(2025, 5, 31));
	assert_int_equal(val("2024-02-29"), ymd(2024, 2, 29));

	bad("contract.signed_on < 2025-02-30", 21,
	    "invalid date: day 30 of '2025-02-30' does not exist");
	bad("2025-13-01", 0, "month 13");
	bad("2025-1-01", 0, "not a date like 2025-08-15");
	bad("1899-12-31", 0, "out of range");
	bad("contract.signed_on + 1", 19,
	    "cannot add date and int: move a date with add_days");
	bad("contract.signed_on - 2025-01-01", 19,
	    "cannot subtract date from date");
}

static void test_builtins(void **state)
{
	(void)state;
	assert_int_equal(val("min(3, 5)"), 3);
	assert_int_equal(val("max(3, 5)"), 5);
	assert_int_equal(val("min(-3, -5)"), -5);
	assert_int_equal(val("max(contract.value, 2000000.00)"), 200000000);
	assert_int_equal(val("min(30%, param.sme_rate)"), 3000);
	assert_int_equal(val("max(2025-01-01, contract.signed_on)"),
			 ymd(2025, 6, 13));
	assert_int_equal(val("min(max(1, 2), max(3, 4))"), 2);

	bad("min", 3, "expected '(' after 'min'");
	bad("min + 1", 4, "expected '(' after 'min'");
	bad("min(1 2)", 6, "expected ',' after the first argument of 'min'");
	bad("min(1, 2", 8, "expected ')' after arguments of 'min'");
	bad("max(1, 2, 3)", 8, "expected ')' after arguments of 'max'");
	bad("min(contract.value, 5)", 20,
	    "'min' needs two values of one type, got money and int: write the "
	    "amount as 5.00");
	bad("max(true, false)", 4, "'max' needs numbers or dates, got bool");
	bad("add_years(1, 2)", 10, "'add_years' needs a date first, got int");
	bad("add_days(contract.signed_on, 1.00)", 29,
	    "'add_days' needs an int number of days second, got money");
	bad("add_years(contract.signed_on)", 28,
	    "expected ',' after the first argument of 'add_years'");
}

/* ---- compile errors ---------------------------------------------------------- */

static void test_type_errors(void **state)
{
	(void)state;
	bad("contract.value > 500000", 15,
	    "cannot compare money with int: write the amount as 500000.00");
	bad("500000 < contract.value", 7,
	    "cannot compare int with money: write the amount as 500000.00");
	bad("param.sme_rate == 30", 15,
	    "cannot compare rate with int: write the rate as 30%");
	bad("contract.value == 30%", 15, "cannot compare money with rate");
	bad("contract.kind == 1", 14, "cannot compare string with int");
	bad("contract.value && true", 0, "'&&' needs bool operands, got money");
	bad("true && contract.value", 8, "'&&' needs bool operands, got money");
	bad("contract.term_months || true", 0,
	    "'||' needs bool operands, got int");
	bad("false || \"x\"", 9, "'||' needs bool operands, got string");
	bad("!contract.value", 1, "'!' needs a bool operand, got money");
	bad("applicant.sme < true", 14, "'<' needs numbers or dates, got bool");
	bad("contract.kind >= \"a\"", 14,
	    "'>=' needs numbers or dates, got string");
	bad("contract.value + 5", 15,
	    "cannot add money and int: write the amount as 5.00");
	bad("contract.value - 30%", 15, "cannot subtract rate from money");
	bad("30% * 30%", 4, "cannot multiply rate by rate");
	bad("30% * 2", 4, "cannot multiply rate by int");
	bad("contract.value / contract.value", 15,
	    "cannot divide money by money");
	bad("1 / 2.00", 2, "cannot divide int by money");
	bad("\"a\" + \"b\"", 4, "cannot add string and string");
	bad("-contract.value > 0.00", 0, "'-' needs an int operand, got money");
	bad("-30%", 0, "'-' needs an int operand, got rate");
	bad("1 < 2 < 3", 6,
	    "comparisons cannot be chained: join them with '&&'");
	bad("1 == 1 == true", 7, "comparisons cannot be chained");
	bad("\"shanghai\"", 0, "a string cannot stand alone");

	/* The type the context wants. */
	bad_as("contract.value", 14, &env, QT_BOOL, 0,
	       "a condition must be bool, got money");
	bad_as("500000", 6, &env, QT_MONEY, 0,
	       "an amount must be money, got int: write the amount as 500000.00");
	bad_as("30", 2, &env, QT_RATE, 0,
	       "a rate must be rate, got int: write the rate as 30%");
	bad_as("  true", 6, &env, QT_RATE, 2, "a rate must be rate, got bool");
	expr_free(compile_ok("contract.value * 30%", QT_MONEY));
	expr_free(compile_ok("param.sme_rate", QT_RATE));
	expr_free(compile_ok("compute.domestic", QT_BOOL));
}

static void test_syntax_errors(void **state)
{
	(void)state;
	bad("", 0, "empty expression");
	bad(" \n\t ", 0, "empty expression");
	bad("applicant.sme_flag", 0, "unknown field 'applicant.sme_flag'");
	bad("true && applicant.sme_flag", 8,
	    "unknown field 'applicant.sme_flag'");
	bad("true &&\n  contract.valu", 10, "unknown field 'contract.valu'");
	bad("applicant", 0, "unknown field 'applicant'");
	/* The date the applicant wrote is gone: the office's is received_on. */
	bad("submitted_on < 2025-10-01", 0, "unknown field 'submitted_on'");
	bad("applicant.", 9, "unexpected character '.'");
	bad("1 == 1 )", 7, "trailing input after expression");
	bad("true true", 5, "trailing input after expression");
	bad("(1 == 1", 7,
	    "expected ')' to close the '(' at offset 0, got the "
	    "end of the expression");
	bad("(1 == 1]", 7,
	    "expected ')' to close the '(' at offset 0, got ']'");
	bad("1 ==", 4, "unexpected end of the expression: expected a value");
	bad("1 == )", 5, "expected a value, got ')'");
	bad("&& true", 0, "expected a value, got '&&'");
	bad("1 = 1", 2, "unexpected '=': compare with '=='");
	bad("true & false", 5, "unexpected '&'");
	bad("true | false", 5, "unexpected '|'");
	bad("1 @ 2", 2, "unexpected character '@'");
	bad("1 \x01 2", 2, "unexpected byte 0x01");
	bad_as("1 \0 2", 5, &env, QT_NONE, 2, "unexpected byte 0x00");
	bad("\"abc", 0, "unterminated string");
	bad("contract.kind == \"a\\nb\"", 19,
	    "unknown escape in a string: only \\\" and \\\\ are allowed");
	bad("\"abc\\", 4, "unknown escape");
	bad_as("\"a\0b\" == contract.kind", 20, &env, QT_NONE, 2,
	       "NUL byte in a string");
	bad("5.123 > 1.00", 0,
	    "invalid money: '5.123' has more than two "
	    "decimals");
	bad("5. > 1.00", 0, "invalid money: '5.' is not a decimal amount");
	bad("92233720368547758.08", 0, "too large");
	bad("1200%", 0, "invalid rate: '1200%' is above 1000%");
	bad("12.345%", 0, "more than two decimals");
	bad("99999999999999999999", 0,
	    "integer '99999999999999999999' is too large");
	bad("12abc", 0, "malformed number '12abc'");
	bad("1.2.3", 0, "malformed number '1.2.3'");
	bad("30%%", 0, "malformed number");
}

/* ---- limits ------------------------------------------------------------- */

static char *repeat(const char *open, int n, const char *mid, const char *close)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *s = malloc(n * (lo + lc) + lm + 1);
	size_t k = 0;

	assert_non_null(s);
	for (int i = 0; i < n; i++, k += lo)
		memcpy(s + k, open, lo);
	memcpy(s + k, mid, lm);
	k += lm;
	for (int i = 0; i < n; i++, k += lc)
		memcpy(s + k, close, lc);
	s[k] = '\0';
	return s;
}

static void test_limits(void **state)
{
	char *s;
	struct expr *x;
	int64_t v;

	(void)state;
	/* The top level is one level; 63 parentheses fit, 64 do not. */
	s = repeat("(", EXPR_MAX_DEPTH - 1, "1", ")");
	assert_int_equal(val(s), 1);
	free(s);
	s = repeat("(", EXPR_MAX_DEPTH, "1", ")");
	bad(s, EXPR_MAX_DEPTH, "nested too deeply (more than 64 levels)");
	free(s);
	s = repeat("(", 1000, "1", ")");
	bad(s, EXPR_MAX_DEPTH, "nested too deeply");
	free(s);
	s = repeat("!", 1000, "true", "");
	bad(s, EXPR_MAX_DEPTH, "nested too deeply");
	free(s);
	s = repeat("- ", 1000, "(1)", "");
	bad(s, 2 * EXPR_MAX_DEPTH, "nested too deeply");
	free(s);
	s = repeat("min(1, ", 100, "1", ")");
	bad(s, 7 * (EXPR_MAX_DEPTH - 1) + 4, "nested too deeply");
	free(s);
	s = repeat("(", 3000, "", "");
	bad(s, EXPR_MAX_DEPTH, "nested too deeply");
	free(s);

	/* Fits the parser's depth but not the evaluation stack: each level
	 * leaves two values on the stack. */
	s = repeat("1 + 2 * (", 40, "1", ")");
	bad(s, 9 * 32, "needs more than 64 stack slots");
	free(s);
	s = repeat("1 + 2 * (", 31, "1", ")");
	x = compile_ok(s, QT_INT);
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_OK);
	expr_free(x);
	free(s);

	/* A long flat chain is fine up to its limit. */
	s = repeat("1 + ", 500, "1", "");
	assert_int_equal(val(s), 501);
	free(s);
	s = repeat("1+", 600, "1", "");
	bad(s, 2 * 511 + 1, "expression too long: more than 512 operators");
	free(s);
	s = repeat("true||", 600, "true", "");
	bad(s, 6 * 511 + 4, "expression too long");
	free(s);

	/* Source size. */
	s = repeat(" ", EXPR_MAX_SOURCE - 1, "1", "");
	assert_int_equal(val(s), 1);
	free(s);
	s = repeat(" ", EXPR_MAX_SOURCE, "1", "");
	bad(s, EXPR_MAX_SOURCE, "expression longer than 4096 bytes");
	free(s);
}

/* ---- accessors -------------------------------------------------------------- */

static void test_accessors(void **state)
{
	struct expr *x;
	struct expr_error e;

	(void)state;
	x = compile_ok("  applicant.sme&&contract.value<=500000.00\n", QT_BOOL);
	assert_int_equal(expr_type(x), QT_BOOL);
	assert_string_equal(expr_source(x),
			    "  applicant.sme&&contract.value<=500000.00\n");
	assert_string_equal(expr_canonical(x),
			    "applicant.sme && contract.value <= 500000.00");
	assert_false(expr_is_const_true(x));
	expr_free(x);

	x = compile_ok("min(1,2)  ==\t1", QT_NONE);
	assert_string_equal(expr_canonical(x), "min ( 1 , 2 ) == 1");
	expr_free(x);

	x = compile_ok("compute.chip in [\"a b\",\"c\\\"\"]", QT_BOOL);
	assert_string_equal(expr_canonical(x),
			    "compute.chip in [ \"a b\" , \"c\\\"\" ]");
	expr_free(x);

	x = compile_ok(" true\n", QT_BOOL);
	assert_true(expr_is_const_true(x));
	assert_string_equal(expr_canonical(x), "true");
	expr_free(x);
	x = compile_ok("(true)", QT_BOOL);
	assert_false(expr_is_const_true(x));
	expr_free(x);
	x = compile_ok("true && true", QT_BOOL);
	assert_false(expr_is_const_true(x));
	expr_free(x);

	x = compile_ok("contract.value", QT_NONE);
	assert_int_equal(expr_type(x), QT_MONEY);
	expr_free(x);
	x = compile_ok("30%", QT_NONE);
	assert_int_equal(expr_type(x), QT_RATE);
	expr_free(x);
	x = compile_ok("add_days(received_on, 1)", QT_NONE);
	assert_int_equal(expr_type(x), QT_DATE);
	expr_free(x);

	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(
		expr_compile("1 < 2 garbage", 5, &env, QT_BOOL, &x, &e), 0);
	assert_string_equal(expr_source(x), "1 < 2");
	expr_free(x);
	/* err may be NULL. */
	assert_int_equal(expr_compile("1 <", 3, &env, QT_BOOL, &x, NULL), -1);
	assert_null(x);
	expr_free(NULL);
}

/* ---- the applicant's kind, industry codes, supplier lists ------------------ */

static void test_kind_and_industry(void **state)
{
	(void)state;
	F.s[F_APPLICANT_KIND] = "enterprise";
	F.s[F_APPLICANT_INDUSTRY] = "I6510";
	assert_int_equal(val("applicant.kind == \"enterprise\""), 1);
	assert_int_equal(val("applicant.kind in [\"institution\", \"social\"]"),
			 0);
	bad("applicant.kind == \"company\"", 18,
	    "'applicant.kind' is never \"company\": it is one of \"enterprise\"");
	bad("\"Enterprise\" != applicant.kind", 0, "is never \"Enterprise\"");
	bad("applicant.kind in [\"social\", \"ngo\"]", 29, "is never \"ngo\"");
	bad("contract.kind == \"lease\"", 17, "'contract.kind' is never");
	/* A class lies within its division, group and section. */
	assert_int_equal(val("industry_in(applicant.industry, [\"I65\"])"), 1);
	assert_int_equal(val("industry_in(applicant.industry, [\"I\"])"), 1);
	assert_int_equal(val("industry_in(applicant.industry, [\"I651\"])"), 1);
	assert_int_equal(val("industry_in(applicant.industry, [\"I6510\"])"),
			 1);
	assert_int_equal(val("industry_in(applicant.industry, [\"I6511\"])"),
			 0);
	assert_int_equal(
		val("industry_in(applicant.industry, [\"I63\", \"I64\", \"C\"])"),
		0);
	F.s[F_APPLICANT_INDUSTRY] = "C39";
	assert_int_equal(
		val("industry_in(applicant.industry, [\"I63\", \"I64\", \"C\"])"),
		1);
	/* A less specific code is not within a more specific one. */
	F.s[F_APPLICANT_INDUSTRY] = "I65";
	assert_int_equal(val("industry_in(applicant.industry, [\"I651\"])"), 0);
	assert_int_equal(val("!industry_in(applicant.industry, [\"C\"]) && "
			     "applicant.sme"),
			 1);
	bad("industry_in(applicant.industry, [\"I66\"])", 33,
	    "division 66 is not in section I, which holds 63-65");
	bad("industry_in(applicant.industry, [\"U01\"])", 33,
	    "does not start with a section letter A-T");
	bad("industry_in(applicant.industry, [\"C1\"])", 33,
	    "is not an industry code");
	bad("industry_in(applicant.industry, [\"C13a\"])", 33, "digits only");
	bad("industry_in(applicant.industry, [I65])", 33,
	    "expected an industry code in quotes");
	bad("industry_in(applicant.sme, [\"C\"])", 12,
	    "'industry_in' needs a string first, got bool");
	bad("industry_in(applicant.industry \"C\")", 31, "expected ','");
	bad("industry_in(applicant.industry, \"C\")", 32,
	    "needs a list of codes");
	bad("industry_in(applicant.industry, [\"C\"]", 37, "expected ')'");
}

static void test_supplier_lists(void **state)
{
	int64_t v = -1;
	struct expr *x;

	(void)state;
	x = compile_ok("supplier_on(\"planned\") || supplier.pflops >= 100",
		       QT_BOOL);
	/* The lists not looked up: no answer, never a silent false. */
	F.null_mask |= 1ull << F_SUPPLIER_PFLOPS;
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_LISTS_UNKNOWN);
	F.lists_known = true;
	F.supplier_lists = 1; /* on "partners" only */
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_OK);
	assert_int_equal(v, 0);
	F.supplier_lists = 2; /* on "planned" */
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_OK);
	assert_int_equal(v, 1);
	/* PFLOPS at the threshold and one under it; null is not >= 100. */
	F.supplier_lists = 0;
	F.null_mask &= ~(1ull << F_SUPPLIER_PFLOPS);
	F.i[F_SUPPLIER_PFLOPS] = 100;
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_OK);
	assert_int_equal(v, 1);
	F.i[F_SUPPLIER_PFLOPS] = 99;
	assert_int_equal(expr_eval(x, &F, pv, pn, &v), EXPR_OK);
	assert_int_equal(v, 0);
	expr_free(x);
	F.null_mask |= 1ull << F_SUPPLIER_RACKS;
	assert_int_equal(val("supplier.racks == null"), 1);
	assert_int_equal(val("supplier.racks >= 1000"), 0);
	bad("supplier_on(\"partner\")", 12,
	    "unknown supplier list \"partner\": declare it under 'lists'");
	bad("supplier_on(partners)", 12, "needs a list's id in quotes");
	bad("supplier_on(\"partners\"", 22, "expected ')'");
	bad_as("supplier_on(\"partners\")", 23, NULL, QT_NONE, 12,
	       "unknown supplier list");
	bad("supplier.racks", 0, "'supplier.racks' may be null here");
}

static void test_date_floor(void **state)
{
	struct expr *x;
	int64_t d = 0;

	(void)state;
	x = compile_ok("contract.signed_on >= 2025-06-13 && "
		       "(2024-01-01 <= contract.signed_on || "
		       "received_on > 2023-01-01) && "
		       "applicant.last_bad_credit_on == null",
		       QT_BOOL);
	assert_int_equal(expr_date_floor(x, F_CONTRACT_SIGNED_ON, &d), 1);
	assert_int_equal(d, ymd(2024, 1, 1));
	assert_int_equal(expr_date_floor(x, F_RECEIVED_ON, &d), 1);
	assert_int_equal(d, ymd(2023, 1, 1));
	assert_int_equal(expr_date_floor(x, F_COMPUTE_HOURS, &d), 0);
	expr_free(x);
}

/* The shapes expr_eval reads without the interpreter loop (a base pro
 * rata over the first K months, `a && b` and `a || b` of two one-step
 * sides) against the loop alone (expr_eval_plain): the same status and
 * value over values either side of every edge, overflow, a zero and a
 * negative term included. */
static void test_shapes(void **state)
{
	static const char *const srcs[] = {
		"contract.value * min(contract.term_months, 12) / contract.term_months",
		"contract.value * min(contract.term_months, 0) / contract.term_months",
		"contract.value * min(contract.term_months, 36) / contract.term_months",
		"contract.value * min(contract.term_months, -2) / contract.term_months",
		"contract.term_months >= 36 && contract.term_months <= 60",
		"contract.term_months < 12 || contract.term_months > 36",
		"applicant.sme || applicant.startup",
		"applicant.sme && contract.value >= 1000000.00",
	};
	static const int64_t values[] = {
		INT64_MIN, -7, 0, 1, 99, 1200000, INT64_MAX / 13, INT64_MAX};
	static const int64_t terms[] = {INT64_MIN, -1, 0,  1,  11, 12,
					13,	   35, 36, 60, 61, INT64_MAX};
	int64_t v = 0, w = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		struct expr *x = compile_ok(srcs[i], QT_NONE);

		for (size_t a = 0; a < sizeof(values) / sizeof(values[0]); a++)
			for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]);
			     t++)
				for (int b = 0; b < 4; b++) {
					int st, sp;

					F.i[F_CONTRACT_VALUE] = values[a];
					F.i[F_CONTRACT_TERM_MONTHS] = terms[t];
					F.i[F_APPLICANT_SME] = b & 1;
					F.i[F_APPLICANT_STARTUP] = b >> 1;
					st = expr_eval(x, &F, pv, pn, &v);
					sp = expr_eval_plain(x, &F, pv, pn, &w);
					if (st != sp ||
					    (st == EXPR_OK && v != w))
						fail_msg(
							"'%s' at %lld, %lld: %d %lld, the loop %d %lld",
							srcs[i],
							(long long)values[a],
							(long long)terms[t], st,
							(long long)v, sp,
							(long long)w);
				}
		expr_free(x);
	}
	F.i[F_CONTRACT_VALUE] = 1200000;
	F.i[F_CONTRACT_TERM_MONTHS] = 24;
	assert_int_equal(val(srcs[0]), 600000);
	F.i[F_CONTRACT_VALUE] = INT64_MAX / 11;
	run(srcs[0], EXPR_OVERFLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_literals, setup),
		cmocka_unit_test_setup(test_arithmetic, setup),
		cmocka_unit_test_setup(test_rounding, setup),
		cmocka_unit_test_setup(test_comparisons, setup),
		cmocka_unit_test_setup(test_logic, setup),
		cmocka_unit_test_setup(test_precedence, setup),
		cmocka_unit_test_setup(test_short_circuit, setup),
		cmocka_unit_test_setup(test_nulls, setup),
		cmocka_unit_test_setup(test_null_errors, setup),
		cmocka_unit_test_setup(test_params, setup),
		cmocka_unit_test_setup(test_overflow, setup),
		cmocka_unit_test_setup(test_in, setup),
		cmocka_unit_test_setup(test_dates, setup),
		cmocka_unit_test_setup(test_builtins, setup),
		cmocka_unit_test_setup(test_type_errors, setup),
		cmocka_unit_test_setup(test_syntax_errors, setup),
		cmocka_unit_test_setup(test_limits, setup),
		cmocka_unit_test_setup(test_accessors, setup),
		cmocka_unit_test_setup(test_kind_and_industry, setup),
		cmocka_unit_test_setup(test_supplier_lists, setup),
		cmocka_unit_test_setup(test_date_floor, setup),
		cmocka_unit_test_setup(test_shapes, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
