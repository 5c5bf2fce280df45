/*
 * test_policy.c - the policy loader: a valid file read right, every class of
 * error reported at its file:line:column, dated parameters, the content hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/date.h"
#include "core/err.h"
#include "policy/policy.h"

/* The policy most tests start from; the number is the YAML line. */
static const char base[] =
	"program: test-2025\n"					      /* 1 */
	"name: \"Test program\"\n"				      /* 2 */
	"issuer: \"Test office\"\n"				      /* 3 */
	"currency: CNY\n"					      /* 4 */
	"sources:\n"						      /* 5 */
	"  - id: src-a\n"					      /* 6 */
	"    title: \"Source A\"\n"				      /* 7 */
	"    url: \"https://example.org/a\"\n"			      /* 8 */
	"    published: 2025-07-28\n"				      /* 9 */
	"  - id: src-b\n"					      /* 10 */
	"    title: \"Source B\"\n"				      /* 11 */
	"    url: \"https://example.org/b\"\n"			      /* 12 */
	"parameters:\n"						      /* 13 */
	"  sme_rate:\n"						      /* 14 */
	"    values:\n"						      /* 15 */
	"      2025-06-13: \"50%\"\n"				      /* 16 */
	"      2026-01-01: null\n"				      /* 17 */
	"    source: src-a\n"					      /* 18 */
	"  max_amount:\n"					      /* 19 */
	"    values:\n"						      /* 20 */
	"      2025-01-01: \"1000000.00\"\n"			      /* 21 */
	"      2025-07-01: \"2000000.00\"\n"			      /* 22 */
	"    assumption: \"a guess\"\n"				      /* 23 */
	"pools:\n"						      /* 24 */
	"  - id: compute\n"					      /* 25 */
	"    name: \"Compute\"\n"				      /* 26 */
	"    budgets:\n"					      /* 27 */
	"      2025: \"600000000.00\"\n"			      /* 28 */
	"      2026: 500000000\n"				      /* 29 */
	"    rollover: true\n"					      /* 30 */
	"    source: src-a\n"					      /* 31 */
	"  - id: model\n"					      /* 32 */
	"    name: \"Model\"\n"					      /* 33 */
	"    budgets:\n"					      /* 34 */
	"      2025: \"300000000.00\"\n"			      /* 35 */
	"    assumption: \"one pool\"\n"			      /* 36 */
	"measures:\n"						      /* 37 */
	"  - id: compute-rent\n"				      /* 38 */
	"    name: \"Rent\"\n"					      /* 39 */
	"    pool: compute\n"					      /* 40 */
	"    kinds: [rent, buy]\n"				      /* 41 */
	"    allocation: pro-rata\n"				      /* 42 */
	"    window:\n"						      /* 43 */
	"      opens: 2025-08-01T00:00:00+08:00\n"		      /* 44 */
	"      closes: 2025-12-31T23:59:59+08:00\n"		      /* 45 */
	"    second_approver_above: \"10000000.00\"\n"		      /* 46 */
	"    clawback: treasury\n"				      /* 47 */
	"    source: src-b\n"					      /* 48 */
	"    eligibility:\n"					      /* 49 */
	"      - id: in-city\n"					      /* 50 */
	"        when: applicant.registered_city == \"shanghai\"\n"   /* 51 */
	"        says: \"registered in Shanghai\"\n"		      /* 52 */
	"        source: src-a\n"				      /* 53 */
	"    rates:\n"						      /* 54 */
	"      hit: max\n"					      /* 55 */
	"      rows:\n"						      /* 56 */
	"        - id: domestic\n"				      /* 57 */
	"          when: compute.domestic\n"			      /* 58 */
	"          rate: 30%\n"					      /* 59 */
	"          says: \"30% for domestic\"\n"		      /* 60 */
	"          source: src-a\n"				      /* 61 */
	"        - id: default\n"				      /* 62 */
	"          rate: 20%\n"					      /* 63 */
	"          assumption: \"other compute\"\n"		      /* 64 */
	"    caps:\n"						      /* 65 */
	"      - id: per-contract\n"				      /* 66 */
	"        per: contract\n"				      /* 67 */
	"        limit: 5000000.00\n"				      /* 68 */
	"        says: \"5 M\"\n"				      /* 69 */
	"        source: src-a\n"				      /* 70 */
	"        relaxed:\n"					      /* 71 */
	"          when: applicant.registered_model\n"		      /* 72 */
	"          limit: \"16000000.00\"\n"			      /* 73 */
	"          says: \"relaxed\"\n"				      /* 74 */
	"          assumption: \"not published\"\n"		      /* 75 */
	"      - id: per-year\n"				      /* 76 */
	"        per: applicant-year\n"				      /* 77 */
	"        when: applicant.sme\n"				      /* 78 */
	"        limit: param.max_amount\n"			      /* 79 */
	"        source: src-b\n"				      /* 80 */
	"  - id: model-api\n"					      /* 81 */
	"    name: \"Model\"\n"					      /* 82 */
	"    pool: model\n"					      /* 83 */
	"    kinds: [api]\n"					      /* 84 */
	"    allocation: first-come-first-served\n"		      /* 85 */
	"    base: contract.value - contract.other_subsidies_total\n" /* 86 */
	"    rates:\n"						      /* 87 */
	"      rows:\n"						      /* 88 */
	"        - id: sme\n"					      /* 89 */
	"          rate: param.sme_rate\n"			      /* 90 */
	"          source: src-a\n" /* 91 */;

/* A copy of s with each `from` (which must occur exactly once) replaced by
 * its `to`; pairs end with NULL. */
static char *with(const char *s, ...)
{
	va_list ap;
	char *cur = strdup(s);
	const char *from;

	assert_non_null(cur);
	va_start(ap, s);
	while ((from = va_arg(ap, const char *))) {
		const char *to = va_arg(ap, const char *);
		char *at = strstr(cur, from);
		char *next;
		size_t n;

		if (!at || strstr(at + 1, from))
			fail_msg("'%s' does not occur exactly once", from);
		n = strlen(cur) - strlen(from) + strlen(to);
		next = malloc(n + 1);
		assert_non_null(next);
		memcpy(next, cur, (size_t)(at - cur));
		memcpy(next + (at - cur), to, strlen(to));
		memcpy(next + (at - cur) + strlen(to), at + strlen(from),
		       strlen(at + strlen(from)) + 1);
		free(cur);
		cur = next;
	}
	va_end(ap);
	return cur;
}

static struct policy *load_ok(const char *yaml)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	int rc = policy_load_buf("t.yaml", yaml, strlen(yaml), &p, &d);

	if (rc != Q_OK || d.n)
		diag_print(&d, stderr);
	assert_int_equal(rc, Q_OK);
	assert_int_equal(d.n, 0);
	assert_non_null(p);
	diag_release(&d);
	return p;
}

/* Load yaml, expect it refused as a bad policy; the diagnostics go to d. */
static void load_bad(const char *yaml, struct diag_list *d)
{
	struct policy *p = (struct policy *)1;
	int rc;

	diag_init(d);
	rc = policy_load_buf("t.yaml", yaml, strlen(yaml), &p, d);
	if (rc != Q_ERR_POLICY)
		fail_msg("expected Q_ERR_POLICY, got %d", rc);
	assert_null(p);
	assert_true(d->n > 0);
}

static bool has_diag(const struct diag_list *d, int line, int col,
		     const char *sub)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].line == line &&
		    (col == 0 || d->items[i].col == col) &&
		    strstr(d->items[i].msg, sub) &&
		    !strcmp(d->items[i].file, "t.yaml"))
			return true;
	return false;
}

static void expect_diag(const struct diag_list *d, int line, int col,
			const char *sub)
{
	if (has_diag(d, line, col, sub))
		return;
	diag_print(d, stderr);
	fail_msg("no diagnostic t.yaml:%d:%d containing '%s'", line, col, sub);
}

static int find_rule(const struct policy *p, const char *id)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].id, id))
			return (int)i;
	fail_msg("no rule '%s'", id);
	return -1;
}

static void expect_rule(const struct policy *p, uint32_t index, const char *id,
			enum rule_kind kind, int line, int col,
			uint32_t measure)
{
	const struct policy_rule *r;

	assert_true(index < p->nrules);
	r = &p->rules[index];
	assert_string_equal(r->id, id);
	assert_int_equal(r->kind, kind);
	if (r->line != line || r->col != col)
		fail_msg("rule '%s' at %d:%d, expected %d:%d", id, r->line,
			 r->col, line, col);
	assert_int_equal(r->measure, measure);
}

static qdate D(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static void test_valid_policy(void **state)
{
	struct policy *p = load_ok(base);
	const struct policy_measure *m;
	int64_t opens;

	(void)state;
	assert_string_equal(p->path, "t.yaml");
	assert_string_equal(p->program, "test-2025");
	assert_string_equal(p->name, "Test program");
	assert_string_equal(p->issuer, "Test office");
	assert_string_equal(p->currency, "CNY");

	assert_int_equal(p->nsources, 2);
	assert_string_equal(p->sources[0].id, "src-a");
	assert_string_equal(p->sources[0].title, "Source A");
	assert_string_equal(p->sources[0].url, "https://example.org/a");
	assert_string_equal(p->sources[0].published, "2025-07-28");
	assert_null(p->sources[1].published);

	assert_int_equal(p->npools, 2);
	assert_string_equal(p->pools[0].id, "compute");
	assert_string_equal(p->pools[0].name, "Compute");
	assert_true(p->pools[0].rollover);
	assert_false(p->pools[1].rollover);
	assert_int_equal(p->pools[0].nbudgets, 2);
	assert_int_equal(policy_pool_budget(p, 0, 2025), 60000000000LL);
	assert_int_equal(policy_pool_budget(p, 0, 2026), 50000000000LL);
	assert_int_equal(policy_pool_budget(p, 0, 2027), -1);
	assert_int_equal(policy_pool_budget(p, 1, 2025), 30000000000LL);
	assert_int_equal(policy_pool_budget(p, 2, 2025), -1);
	expect_rule(p, p->pools[0].rule, "pool.compute", RULE_POOL, 25, 5,
		    UINT32_MAX);
	assert_string_equal(p->rules[p->pools[0].rule].source, "src-a");
	expect_rule(p, p->pools[1].rule, "pool.model", RULE_POOL, 32, 5,
		    UINT32_MAX);
	assert_string_equal(p->rules[p->pools[1].rule].assumption, "one pool");

	assert_int_equal(p->nmeasures, 2);
	assert_int_equal(policy_find_measure(p, "compute-rent", 12), 0);
	assert_int_equal(policy_find_measure(p, "model-apixx", 9), 1);
	assert_int_equal(policy_find_measure(p, "model", 5), -1);

	m = &p->measures[0];
	assert_string_equal(m->id, "compute-rent");
	assert_string_equal(m->name, "Rent");
	assert_int_equal(m->pool, 0);
	assert_int_equal(m->kinds, (1u << KIND_RENT) | (1u << KIND_BUY));
	assert_int_equal(m->alloc, ALLOC_PRO_RATA);
	assert_int_equal(datetime_parse("2025-08-01T00:00:00+08:00", 25, &opens,
					NULL, "t", NULL),
			 0);
	assert_int_equal(m->window_opens, opens);
	assert_int_equal(m->window_closes, opens + 153 * 86400 - 1);
	assert_int_equal(m->second_approver_above, 1000000000LL);
	assert_int_equal(m->clawback, CLAWBACK_TO_TREASURY);
	assert_int_equal(m->hit, HIT_MAX);
	assert_int_equal(m->nconds, 1);
	assert_non_null(m->conds[0].when);
	assert_int_equal(expr_type(m->conds[0].when), QT_BOOL);
	assert_int_equal(m->nrows, 2);
	assert_non_null(m->rows[0].when);
	assert_null(m->rows[1].when);
	assert_int_equal(expr_type(m->rows[0].rate), QT_RATE);
	assert_string_equal(expr_source(m->rows[0].rate), "30%");
	assert_int_equal(m->ncaps, 2);
	assert_int_equal(m->caps[0].per, CAP_PER_CONTRACT);
	assert_null(m->caps[0].when);
	assert_string_equal(expr_source(m->caps[0].limit), "5000000.00");
	assert_non_null(m->caps[0].relaxed_when);
	assert_string_equal(expr_source(m->caps[0].relaxed_limit),
			    "16000000.00");
	assert_int_equal(m->caps[1].per, CAP_PER_APPLICANT_YEAR);
	assert_non_null(m->caps[1].when);
	assert_null(m->caps[1].relaxed_when);
	assert_null(m->caps[1].relaxed_limit);
	assert_int_equal(m->grant_years_min, 0);

	/* Defaults. */
	m = &p->measures[1];
	assert_int_equal(m->pool, 1);
	assert_int_equal(m->kinds, 1u << KIND_API);
	assert_int_equal(m->alloc, ALLOC_FCFS);
	assert_true(m->window_opens == INT64_MIN);
	assert_true(m->window_closes == INT64_MAX);
	assert_int_equal(m->second_approver_above, -1);
	assert_int_equal(m->clawback, CLAWBACK_TO_POOL);
	assert_int_equal(m->hit, HIT_FIRST);
	assert_int_equal(m->nconds, 0);
	assert_int_equal(m->ncaps, 0);
	assert_string_equal(expr_source(m->base),
			    "contract.value - contract.other_subsidies_total");
	assert_string_equal(expr_source(p->measures[0].base), "contract.value");
	assert_int_equal(expr_type(p->measures[0].base), QT_MONEY);

	assert_int_equal(p->hash[6], ':');
	assert_int_equal(strlen(p->hash), 71);
	policy_free(p);
}

static void test_rules(void **state)
{
	struct policy *p = load_ok(base);
	const struct policy_measure *m = &p->measures[0];
	const struct policy_rule *r;

	(void)state;
	assert_int_equal(p->nrules, 15);
	expect_rule(p, m->kind_rule, "compute-rent.kind", RULE_KIND, 41, 13, 0);
	expect_rule(p, m->window_rule, "compute-rent.window", RULE_WINDOW, 44,
		    7, 0);
	expect_rule(p, m->conds[0].rule, "compute-rent.eligibility.in-city",
		    RULE_ELIGIBILITY, 50, 9, 0);
	expect_rule(p, m->base_rule, "compute-rent.base", RULE_BASE, 38, 5, 0);
	expect_rule(p, m->rows[0].rule, "compute-rent.rate.domestic",
		    RULE_RATE_ROW, 57, 11, 0);
	expect_rule(p, m->rows[1].rule, "compute-rent.rate.default",
		    RULE_RATE_ROW, 62, 11, 0);
	expect_rule(p, m->caps[0].rule, "compute-rent.cap.per-contract",
		    RULE_CAP, 66, 9, 0);
	expect_rule(p, m->caps[0].relaxed_rule,
		    "compute-rent.cap.per-contract.relaxed", RULE_CAP_RELAXED,
		    72, 11, 0);
	expect_rule(p, m->caps[1].rule, "compute-rent.cap.per-year", RULE_CAP,
		    76, 9, 0);
	m = &p->measures[1];
	expect_rule(p, m->kind_rule, "model-api.kind", RULE_KIND, 84, 13, 1);
	expect_rule(p, m->window_rule, "model-api.window", RULE_WINDOW, 81, 5,
		    1);
	expect_rule(p, m->base_rule, "model-api.base", RULE_BASE, 86, 11, 1);
	expect_rule(p, m->rows[0].rule, "model-api.rate.sme", RULE_RATE_ROW, 89,
		    11, 1);

	/* says, source and assumption travel with their rule; the rules of
	 * the measure itself carry the measure's source. */
	r = &p->rules[find_rule(p, "compute-rent.eligibility.in-city")];
	assert_string_equal(r->says, "registered in Shanghai");
	assert_string_equal(r->source, "src-a");
	assert_null(r->assumption);
	r = &p->rules[find_rule(p, "compute-rent.rate.default")];
	assert_null(r->says);
	assert_null(r->source);
	assert_string_equal(r->assumption, "other compute");
	r = &p->rules[find_rule(p, "compute-rent.cap.per-contract.relaxed")];
	assert_string_equal(r->says, "relaxed");
	assert_string_equal(r->assumption, "not published");
	r = &p->rules[find_rule(p, "compute-rent.window")];
	assert_string_equal(r->source, "src-b");
	r = &p->rules[find_rule(p, "model-api.kind")];
	assert_null(r->source);
	policy_free(p);
}

/* One class of error each: the file as `base` with one change, and the
 * diagnostic it must give. */
struct bad_case {
	const char *from, *to, *from2, *to2;
	int line, col; /* col 0: any column */
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"    clawback: treasury\n", "    clawback: treasury\n    rats: 30%\n",
	 NULL, NULL, 48, 5, "unknown key 'rats' in measure 'compute-rent'"},
	{"    allocation: pro-rata\n", "", NULL, NULL, 38, 5,
	 "missing key 'allocation' in measure 'compute-rent'"},
	{"currency: CNY\n", "", NULL, NULL, 1, 1,
	 "missing key 'currency' in the policy"},
	{"issuer: \"Test office\"\n", "issuer: \"Test office\"\nversion: 2\n",
	 NULL, NULL, 4, 1, "unknown key 'version' in the policy"},
	{"    kinds: [rent, buy]\n", "    kinds: rent\n", NULL, NULL, 41, 12,
	 "'kinds' must be a list"},
	{"    rollover: true\n", "    rollover: yes\n", NULL, NULL, 30, 15,
	 "'rollover' must be true or false"},
	{"currency: CNY", "currency: USD", NULL, NULL, 4, 11, "only CNY"},
	{"        - id: default\n", "        - id: domestic\n", NULL, NULL, 62,
	 15, "duplicate rate row id 'domestic' (first at line 57)"},
	{"      - id: per-year\n", "      - id: per-contract\n", NULL, NULL, 76,
	 13, "duplicate cap id 'per-contract' (first at line 66)"},
	{"      - id: in-city\n",
	 "      - id: in-city\n        when: true\n        source: src-a\n"
	 "      - id: in-city\n",
	 NULL, NULL, 53, 13,
	 "duplicate eligibility condition id 'in-city' (first at line 50)"},
	{"  - id: src-b\n", "  - id: src-a\n", NULL, NULL, 10, 9,
	 "duplicate source id 'src-a' (first at line 6)"},
	{"  - id: model\n", "  - id: compute\n", NULL, NULL, 32, 9,
	 "duplicate pool id 'compute' (first at line 25)"},
	{"  - id: model-api\n", "  - id: compute-rent\n", NULL, NULL, 81, 9,
	 "duplicate measure id 'compute-rent' (first at line 38)"},
	{"  - id: model-api\n", "  - id: Model_API\n", NULL, NULL, 81, 9,
	 "'Model_API' is not a valid id"},
	{"    pool: compute\n", "    pool: compue\n", NULL, NULL, 40, 11,
	 "unknown pool 'compue' in measure 'compute-rent'"},
	{"          assumption: \"other compute\"\n",
	 "          source: src-c\n", NULL, NULL, 64, 19,
	 "unknown source 'src-c'"},
	{"          assumption: \"other compute\"\n", "", NULL, NULL, 62, 11,
	 "rate row 'default' needs a 'source' or an 'assumption'"},
	{"[rent, buy]", "[rent, byu]", NULL, NULL, 41, 19,
	 "unknown kind 'byu'"},
	{"[rent, buy]", "[rent, rent]", NULL, NULL, 41, 19,
	 "kind 'rent' is listed twice"},
	{"      2025: \"600000000.00\"\n", "      2025: \"600,000,000.00\"\n",
	 NULL, NULL, 28, 14, "not a decimal amount"},
	{"\"10000000.00\"", "\"10000000.001\"", NULL, NULL, 46, 29,
	 "more than two decimals"},
	{"      2026: 500000000\n", "      20x6: 500000000\n", NULL, NULL, 29,
	 7, "'20x6' is not a fiscal year"},
	{"      2026: 500000000\n", "      1850: 500000000\n", NULL, NULL, 29,
	 7, "'1850' is not a fiscal year"},
	{"2025-08-01T00:00:00+08:00", "2025-02-30T00:00:00+08:00", NULL, NULL,
	 44, 14, "does not exist"},
	{"2025-12-31T23:59:59+08:00", "2025-07-31T23:59:59+08:00", NULL, NULL,
	 45, 15, "the window closes before it opens"},
	{"2025-12-31T23:59:59+08:00", "2025-12-31", NULL, NULL, 45, 15,
	 "is not a time"},
	{"      hit: max\n", "      hit: maximum\n", NULL, NULL, 55, 12,
	 "'hit' must be first, max or unique"},
	{"        per: contract\n", "        per: year\n", NULL, NULL, 67, 14,
	 "'per' must be contract, applicant-year or stacked"},
	{"    allocation: pro-rata\n", "    allocation: lottery\n", NULL, NULL,
	 42, 17, "'allocation' must be first-come-first-served or pro-rata"},
	{"    clawback: treasury\n", "    clawback: nobody\n", NULL, NULL, 47,
	 15, "'clawback' must be pool or treasury"},
	/* Expressions: the place is the scalar's, plus the offset. */
	{"applicant.registered_city == \"shanghai\"",
	 "applicant.registered_cty == \"shanghai\"", NULL, NULL, 51, 15,
	 "applicant.registered_cty"},
	{"        when: applicant.sme\n",
	 "        when: applicant.sme && applicant.bogus\n", NULL, NULL, 78, 32,
	 "applicant.bogus"},
	{"          when: compute.domestic\n",
	 "          when: \"compute.domestic || applicant.bogus\"\n", NULL,
	 NULL, 58, 38, "applicant.bogus"},
	{"          when: compute.domestic\n",
	 "          when: |\n            compute.domestic ||\n"
	 "              applicant.bogus\n",
	 NULL, NULL, 60, 15, "applicant.bogus"},
	{"limit: param.max_amount", "limit: param.max_amt", NULL, NULL, 79, 16,
	 "max_amt"},
	/* An expression of the wrong type. */
	{"          rate: 20%\n", "          rate: 2000.00\n", NULL, NULL, 63,
	 0, ""},
	{"        when: applicant.sme\n", "        when: contract.value\n",
	 NULL, NULL, 78, 0, ""},
	{"        limit: 5000000.00\n", "        limit: 50%\n", NULL, NULL, 68,
	 0, ""},
	{"    base: contract.value - contract.other_subsidies_total\n",
	 "    base: applicant.sme\n", NULL, NULL, 86, 0, ""},
	{"        says: \"5 M\"\n", "        says: \"\"\n", NULL, NULL, 69, 16,
	 "'says' is empty"},
	{"          when: applicant.registered_model\n", "", NULL, NULL, 72, 11,
	 "missing key 'when' in relaxed limit of cap 'per-contract'"},
	/* Parameters. */
	{"      2025-07-01: \"2000000.00\"\n", "      2025-07-01: \"20%\"\n",
	 NULL, NULL, 22, 20,
	 "parameter 'max_amount' has values of mixed types: money at line 21, rate here"},
	{"      2025-06-13: \"50%\"\n", "      2025-13-13: \"50%\"\n", NULL,
	 NULL, 16, 7, "month 13"},
	{"      2025-06-13: \"50%\"\n", "      2025-06-13: \"50 %\"\n", NULL,
	 NULL, 16, 20, "sme_rate"},
	{"      2025-06-13: \"50%\"\n", "      2025-06-13: shanghai\n", NULL,
	 NULL, 16, 19, "value 'shanghai' of parameter 'sme_rate'"},
	{"  max_amount:\n", "  Max-Amount:\n", NULL, NULL, 19, 3,
	 "'Max-Amount' is not a valid parameter name"},
	/* Rate tables. */
	{"      hit: max\n", "      hit: unique\n",
	 "          when: compute.domestic\n", "", 61, 11,
	 "rows 'domestic' (line 57) and 'default' (line 61) of a unique table overlap"},
	{"      hit: max\n", "      hit: unique\n",
	 "          when: compute.domestic\n", "          when: true\n", 62, 11,
	 "rows 'domestic' (line 57) and 'default' (line 62) of a unique table overlap"},
	{"      hit: max\n", "      hit: unique\n", "          rate: 20%\n",
	 "          when: compute.domestic\n          rate: 20%\n", 62, 11,
	 "rows 'domestic' (line 57) and 'default' (line 62) of a unique table overlap"},
	{"      rows:\n        - id: sme\n          rate: param.sme_rate\n"
	 "          source: src-a\n",
	 "      rows: []\n", NULL, NULL, 88, 7,
	 "measure 'model-api' has no rate rows"},
	{"    rates:\n      rows:\n        - id: sme\n"
	 "          rate: param.sme_rate\n          source: src-a\n",
	 "", NULL, NULL, 81, 5, "missing key 'rates' in measure 'model-api'"},
	/* Grants. */
	{"    allocation: first-come-first-served\n",
	 "    allocation: first-come-first-served\n"
	 "    grant: { years_min: 5, years_max: 3 }\n",
	 NULL, NULL, 86, 39, "'years_max' (3) is below 'years_min' (5)"},
	{"    allocation: first-come-first-served\n",
	 "    allocation: first-come-first-served\n"
	 "    grant: { years_min: 0, years_max: 3 }\n",
	 NULL, NULL, 86, 25, "'years_min' must be a whole number from 1 to 10"},
	/* YAML features the format does not use. */
	{"    name: \"Compute\"\n", "    name: &x \"Compute\"\n",
	 "    pool: model\n", "    pool: *x\n", 83, 12,
	 "aliases are not supported"},
	{"        when: applicant.sme\n", "        when: !applicant.sme\n",
	 NULL, NULL, 78, 0, "tags are not supported"},
	{"    kinds: [rent, buy]\n", "    kinds: {rent: 1}\n", NULL, NULL, 41,
	 13, "'kinds' must be a list"},
	{"    window:\n", "    window: soon\n    windo:\n", NULL, NULL, 43, 13,
	 "window of measure 'compute-rent' must be a mapping"},
};

static void test_error_classes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char *y = bc->from2
				  ? with(base, bc->from, bc->to, bc->from2,
					 bc->to2, (char *)NULL)
				  : with(base, bc->from, bc->to, (char *)NULL);
		struct diag_list d;

		load_bad(y, &d);
		if (!has_diag(&d, bc->line, bc->col, bc->msg)) {
			diag_print(&d, stderr);
			fail_msg(
				"case %zu: no diagnostic t.yaml:%d:%d containing '%s'",
				i, bc->line, bc->col, bc->msg);
		}
		diag_release(&d);
		free(y);
	}
}

/* Several problems in one file are all reported, in file order. */
static void test_all_errors_reported(void **state)
{
	char *y =
		with(base, "currency: CNY", "currency: EUR",
		     "      2026: 500000000\n", "      2026: lots\n",
		     "    pool: compute\n", "    pool: computer\n",
		     "          rate: 30%\n", "          rate: 30\n",
		     "        per: contract\n",
		     "        per: contract\n"
		     "        perr: 1\n",
		     "    kinds: [api]\n", "    kinds: [apis]\n", (char *)NULL);
	struct diag_list d;

	(void)state;
	load_bad(y, &d);
	expect_diag(&d, 4, 11, "only CNY");
	expect_diag(&d, 29, 13, "'lots' is not a decimal amount");
	expect_diag(&d, 40, 11, "unknown pool 'computer'");
	expect_diag(&d, 59, 17, "");
	expect_diag(&d, 68, 9, "unknown key 'perr' in cap 'per-contract'");
	expect_diag(&d, 85, 13, "unknown kind 'apis'");
	assert_int_equal(d.n, 6);
	for (size_t i = 1; i < d.n; i++)
		assert_true(d.items[i - 1].line <= d.items[i].line);
	diag_release(&d);
	free(y);
}

static void expect_params(const struct policy *p, qdate t, int sme_null,
			  int64_t sme, int max_null, int64_t max)
{
	const int64_t *v;
	const uint8_t *n;

	policy_params_on(p, t, &v, &n);
	assert_int_equal(n[0], sme_null);
	if (!sme_null)
		assert_int_equal(v[0], sme);
	assert_int_equal(n[1], max_null);
	if (!max_null)
		assert_int_equal(v[1], max);
}

static void test_params(void **state)
{
	struct policy *p = load_ok(base);
	const struct policy_param *pp;

	(void)state;
	assert_int_equal(p->nparams, 2);
	pp = &p->params[0];
	assert_string_equal(pp->name, "sme_rate");
	assert_int_equal(pp->type, QT_RATE);
	assert_int_equal(pp->nvalues, 2);
	assert_int_equal(pp->values[0].from, D(2025, 6, 13));
	assert_false(pp->values[0].is_null);
	assert_int_equal(pp->values[0].v, 5000);
	assert_true(pp->values[1].is_null);
	assert_string_equal(pp->source, "src-a");
	assert_int_equal(pp->line, 14);
	assert_int_equal(pp->col, 3);
	pp = &p->params[1];
	assert_string_equal(pp->name, "max_amount");
	assert_int_equal(pp->type, QT_MONEY);
	assert_string_equal(pp->assumption, "a guess");
	assert_null(pp->source);

	/* Change dates 2025-01-01, 2025-06-13, 2025-07-01, 2026-01-01. */
	assert_int_equal(p->nepochs, 5);
	assert_int_equal(p->epoch_from[1], D(2025, 1, 1));
	assert_int_equal(p->epoch_from[4], D(2026, 1, 1));
	expect_params(p, INT32_MIN, 1, 0, 1, 0);
	expect_params(p, D(1990, 1, 1), 1, 0, 1, 0);
	expect_params(p, D(2024, 12, 31), 1, 0, 1, 0);
	expect_params(p, D(2025, 1, 1), 1, 0, 0, 100000000);
	expect_params(p, D(2025, 6, 12), 1, 0, 0, 100000000);
	expect_params(p, D(2025, 6, 13), 0, 5000, 0, 100000000);
	expect_params(p, D(2025, 6, 30), 0, 5000, 0, 100000000);
	expect_params(p, D(2025, 7, 1), 0, 5000, 0, 200000000);
	expect_params(p, D(2025, 12, 31), 0, 5000, 0, 200000000);
	/* null ends sme_rate; max_amount stays in force. */
	expect_params(p, D(2026, 1, 1), 1, 0, 0, 200000000);
	expect_params(p, D(2100, 1, 1), 1, 0, 0, 200000000);
	expect_params(p, INT32_MAX, 1, 0, 0, 200000000);
	policy_free(p);
}

/* Every parameter type, values out of order, and no parameters at all. */
static void test_param_types(void **state)
{
	char *y = with(base, "parameters:\n",
		       "parameters:\n"
		       "  n_int:\n"
		       "    values:\n"
		       "      2025-03-01: 12\n"
		       "      2024-03-01: -3\n"
		       "    assumption: x\n"
		       "  n_bool:\n"
		       "    values: {2025-03-01: true, 2025-04-01: false}\n"
		       "    assumption: x\n"
		       "  n_date:\n"
		       "    values: {2025-03-01: 2024-02-29}\n"
		       "    assumption: x\n",
		       (char *)NULL);
	struct policy *p = load_ok(y);
	const int64_t *v;
	const uint8_t *n;

	(void)state;
	assert_int_equal(p->nparams, 5);
	assert_int_equal(p->params[0].type, QT_INT);
	assert_int_equal(p->params[0].values[0].from, D(2024, 3, 1));
	assert_int_equal(p->params[0].values[0].v, -3);
	assert_int_equal(p->params[1].type, QT_BOOL);
	assert_int_equal(p->params[2].type, QT_DATE);
	policy_params_on(p, D(2024, 6, 1), &v, &n);
	assert_int_equal(n[0], 0);
	assert_int_equal(v[0], -3);
	assert_int_equal(n[1], 1);
	policy_params_on(p, D(2025, 3, 1), &v, &n);
	assert_int_equal(v[0], 12);
	assert_int_equal(v[1], 1);
	assert_int_equal(v[2], D(2024, 2, 29));
	policy_params_on(p, D(2025, 4, 1), &v, &n);
	assert_int_equal(n[1], 0);
	assert_int_equal(v[1], 0);
	policy_free(p);
	free(y);

	y = with(base,
		 "  sme_rate:\n    values:\n      2025-06-13: \"50%\"\n"
		 "      2026-01-01: null\n    source: src-a\n",
		 "",
		 "  max_amount:\n    values:\n"
		 "      2025-01-01: \"1000000.00\"\n"
		 "      2025-07-01: \"2000000.00\"\n"
		 "    assumption: \"a guess\"\n",
		 "", "parameters:\n", "", "limit: param.max_amount",
		 "limit: 1.00", "rate: param.sme_rate", "rate: 5%",
		 (char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->nparams, 0);
	assert_int_equal(p->nepochs, 1);
	policy_params_on(p, D(2025, 1, 1), &v, &n);
	assert_non_null(v);
	assert_non_null(n);
	policy_free(p);
	free(y);
}

static void sha256_hex(const char *buf, size_t len, char out[72])
{
	unsigned char md[32];
	unsigned int n = 0;

	assert_true(EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL));
	assert_int_equal(n, 32);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

static void test_hash(void **state)
{
	struct policy *a = load_ok(base);
	struct policy *b = load_ok(base);
	struct policy *c;
	char want[72];
	/* One byte more, which YAML ignores, still changes the hash. */
	char *y = with(base, "program: test-2025\n", "program: test-2025 \n",
		       (char *)NULL);

	(void)state;
	c = load_ok(y);
	sha256_hex(base, strlen(base), want);
	assert_string_equal(a->hash, want);
	assert_string_equal(a->hash, b->hash);
	assert_string_not_equal(a->hash, c->hash);
	sha256_hex(y, strlen(y), want);
	assert_string_equal(c->hash, want);
	policy_free(a);
	policy_free(b);
	policy_free(c);
	free(y);
}

/* A YAML syntax error is a diagnostic with its place, and the library
 * prints nothing. */
static void test_yaml_syntax(void **state)
{
	char *y = with(base, "    kinds: [api]\n", "    kinds: [api\n",
		       (char *)NULL);
	struct diag_list d;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	long size;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	load_bad(y, &d);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(tmp, 0, SEEK_END);
	size = ftell(tmp);
	fclose(tmp);
	assert_int_equal(size, 0);
	assert_true(d.items[0].line >= 84);
	assert_true(d.items[0].col > 0);
	assert_string_equal(d.items[0].file, "t.yaml");
	diag_release(&d);
	free(y);

	y = with(base, "  - id: src-b\n", "  - id: src-b\n    id: src-c\n",
		 (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 11, 5, "duplicate key");
	diag_release(&d);
	free(y);

	/* Bytes that are not UTF-8 are refused where they are: libfyaml
	 * would drop them from a scalar without a word. */
	y = with(base, "    name: \"Rent\"\n", "    name: \"R\xe9nt\"\n",
		 (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 39, 13, "not valid UTF-8");
	assert_int_equal(d.n, 1);
	diag_release(&d);
	free(y);
	load_bad("%c\x8eip\n", &d); /* a directive libfyaml loops on */
	expect_diag(&d, 1, 3, "not valid UTF-8");
	diag_release(&d);
	load_bad("a: \xed\xa0\x80\n", &d); /* a UTF-16 surrogate */
	diag_release(&d);
	load_bad("a: \xc0\xaf\n", &d); /* an overlong '/' */
	diag_release(&d);
	load_bad("a: \xe4\xb8\n", &d); /* cut short */
	diag_release(&d);
	y = with(
		base, "    name: \"Rent\"\n",
		"    name: \"\xe7\xae\x97\xe5\x8a\x9b\xe5\x88\xb8 \xf0\x9f\x98\x80\"\n",
		(char *)NULL);
	{
		struct policy *p = load_ok(y);

		assert_string_equal(
			p->measures[0].name,
			"\xe7\xae\x97\xe5\x8a\x9b\xe5\x88\xb8 \xf0\x9f\x98\x80");
		policy_free(p);
	}
	free(y);

	load_bad("%YAML 1.1\n%FOO bar\n---\na: 1\n", &d);
	diag_release(&d);

	load_bad("", &d);
	expect_diag(&d, 0, 0, "no YAML document");
	diag_release(&d);
	load_bad("# only a comment\n", &d);
	diag_release(&d);
	load_bad("- a\n- b\n", &d);
	expect_diag(&d, 1, 3, "the policy must be a mapping");
	diag_release(&d);

	{
		size_t n = strlen(base);
		char *two = malloc(n + 32);

		assert_non_null(two);
		memcpy(two, base, n);
		memcpy(two + n, "---\nprogram: other\n", 20);
		load_bad(two, &d);
		expect_diag(&d, 93, 1, "one YAML document");
		diag_release(&d);
		free(two);
	}
}

static void test_limits(void **state)
{
	char *big;
	char *y;
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	size_t n = 0, cap = 1 << 20;

	(void)state;
	/* Too large: refused before parsing. */
	big = calloc(POLICY_MAX_BYTES + 2, 1);
	assert_non_null(big);
	memset(big, '#', POLICY_MAX_BYTES + 1);
	assert_int_equal(
		policy_load_buf("t.yaml", big, POLICY_MAX_BYTES + 1, &p, &d),
		Q_ERR_TOO_LARGE);
	assert_null(p);
	assert_int_equal(d.n, 1);
	diag_release(&d);
	free(big);

	/* 17 caps on one measure. */
	big = malloc(cap);
	assert_non_null(big);
	n += (size_t)snprintf(big + n, cap - n, "    caps:\n");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(big + n, cap - n,
				      "      - {id: c%d, per: contract, limit: "
				      "1.00, assumption: x}\n",
				      i);
	y = with(base,
		 "    base: contract.value - contract.other_subsidies_total\n",
		 big, (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 87, 10, "'caps' has 17 entries; at most 16");
	diag_release(&d);
	free(y);

	/* 65 measures. */
	n = 0;
	n += (size_t)snprintf(big + n, cap - n, "measures:\n");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(
			big + n, cap - n,
			"  - {id: m%d, name: M, pool: model, kinds: [api], "
			"allocation: pro-rata, rates: {rows: [{id: a, rate: "
			"1%%, assumption: x}]}}\n",
			i);
	y = with(base, strstr(base, "measures:\n"), big, (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 38, 6, "'measures' has 65 entries; at most 64");
	diag_release(&d);
	free(y);

	/* 64 are fine. */
	*strstr(big, "  - {id: m64,") = '\0';
	y = with(base, strstr(base, "measures:\n"), big, (char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->nmeasures, 64);
	assert_int_equal(p->nrules, 2 + 64 * 4);
	policy_free(p);
	free(y);
	free(big);
}

/* The keys for Shenzhen's soft cap, stacking ceilings, Chengdu's annual
 * fees and Henan's 1 : 1 funders, on the model-api measure of `base`. */
static const char new_keys_from[] =
	"    base: contract.value - contract.other_subsidies_total\n";
static const char new_keys_to[] =
	"    base: contract.value\n"
	"    subsidised_months: 12\n"
	"    funders:\n"
	"      - { id: province, name: P, share: 1, source: src-a }\n"
	"      - { id: city, name: C, share: 2, assumption: a }\n"
	"    caps:\n"
	"      - id: soft\n"
	"        per: applicant-year\n"
	"        limit: 1000000.00\n"
	"        hard_limit: 2000000.00\n"
	"        source: src-a\n"
	"      - id: stack\n"
	"        per: stacked\n"
	"        levels: [national, district]\n"
	"        limit: contract.value * 60%\n"
	"        source: src-a\n";

static void test_new_keys(void **state)
{
	char *y = with(base, new_keys_from, new_keys_to, (char *)NULL);
	struct policy *p = load_ok(y);
	const struct policy_measure *m = &p->measures[1];
	static const struct {
		const char *from, *to;
		const char *msg;
	} bad[] = {
		{"subsidised_months: 12", "subsidised_months: 0",
		 "'subsidised_months' must be a whole number from 1 to 600"},
		{"hard_limit: 2000000.00", "hard_limit: 30%",
		 "an amount must be money, got rate"},
		{"per: stacked", "per: contract",
		 "'levels' is for a cap with 'per: stacked'"},
		{"levels: [national, district]", "levels: [county]",
		 "'levels' must be national, province, city or district"},
		{"levels: [national, district]", "levels: [city, city]",
		 "level 'city' is listed twice"},
		{"share: 2", "share: 0", "'share' must be a whole number"},
		{"{ id: city, name: C, share: 2, assumption: a }",
		 "{ id: province, name: C, share: 2, assumption: a }",
		 "duplicate funder id 'province'"},
		{"      - { id: city, name: C, share: 2, assumption: a }\n", "",
		 "'funders' must list at least two funders"},
		{"{ id: city, name: C, share: 2, assumption: a }",
		 "{ id: city, name: C, share: 2 }",
		 "needs a 'source' or an 'assumption'"},
		{"per: stacked", "per: everything",
		 "'per' must be contract, applicant-year or stacked"},
	};

	(void)state;
	assert_int_equal(m->subsidised_months, 12);
	assert_string_equal(p->rules[m->subsidised_months_rule].id,
			    "model-api.subsidised-months");
	assert_int_equal(m->nfunders, 2);
	assert_string_equal(m->funders[0].id, "province");
	assert_int_equal(m->funders[0].weight, 1);
	assert_int_equal(m->funders[1].weight, 2);
	assert_string_equal(p->rules[m->funders[1].rule].id,
			    "model-api.funder.city");
	assert_int_equal(m->ncaps, 2);
	assert_non_null(m->caps[0].hard_limit);
	assert_int_equal(m->caps[0].levels, CAP_LEVELS_ALL);
	assert_int_equal(m->caps[1].per, CAP_PER_STACKED);
	/* unknown (always) + national (1) + district (4) */
	assert_int_equal(m->caps[1].levels, 1u | 1u << 1 | 1u << 4);
	assert_null(m->caps[1].hard_limit);
	policy_free(p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b = with(y, bad[i].from, bad[i].to, (char *)NULL);
		struct diag_list d;

		bool found = false;

		load_bad(b, &d);
		for (size_t j = 0; j < d.n; j++)
			found |= strstr(d.items[j].msg, bad[i].msg) != NULL;
		if (!found) {
			diag_print(&d, stderr);
			fail_msg("case %zu: no diagnostic containing '%s'", i,
				 bad[i].msg);
		}
		diag_release(&d);
		free(b);
	}
	free(y);
}

/* `waitlist: strict | fit` on a first come first served measure: strict
 * unless said, any other value refused where it stands, and refused on a
 * pro-rata measure, which has no waitlist. */
static void test_waitlist_key(void **state)
{
	static const char fcfs[] = "    allocation: first-come-first-served\n";
	char *y;
	struct policy *p;
	struct diag_list d;

	(void)state;
	p = load_ok(base);
	assert_int_equal(p->measures[0].waitlist, WAITLIST_STRICT);
	assert_int_equal(p->measures[1].waitlist, WAITLIST_STRICT);
	policy_free(p);

	y = with(base, fcfs,
		 "    allocation: first-come-first-served\n"
		 "    waitlist: fit\n",
		 (char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->measures[1].waitlist, WAITLIST_FIT);
	assert_int_equal(p->measures[0].waitlist, WAITLIST_STRICT);
	policy_free(p);
	free(y);

	y = with(base, fcfs,
		 "    allocation: first-come-first-served\n"
		 "    waitlist: strict\n",
		 (char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->measures[1].waitlist, WAITLIST_STRICT);
	policy_free(p);
	free(y);

	/* line 86, the value's column */
	y = with(base, fcfs,
		 "    allocation: first-come-first-served\n"
		 "    waitlist: loose\n",
		 (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 86, 15,
		    "'waitlist' must be strict or fit, not 'loose'");
	diag_release(&d);
	free(y);

	y = with(base, "    allocation: pro-rata\n",
		 "    allocation: pro-rata\n"
		 "    waitlist: fit\n",
		 (char *)NULL);
	load_bad(y, &d);
	expect_diag(&d, 43, 15,
		    "'waitlist' on pro-rata measure 'compute-rent'");
	diag_release(&d);
	free(y);
}

/* A program's public notice is taken by every measure that names none
 * of its own; a measure's own wins. */
static void test_program_notice(void **state)
{
	static const char notice[] =
		"public_notice:\n"
		"  working_days: 5\n"
		"  says: \"posted for 5 working days\"\n"
		"  assumption: \"the office's practice\"\n";
	char *y;
	struct policy *p;
	uint32_t r;

	(void)state;
	p = load_ok(base);
	assert_int_equal(p->measures[0].notice_days, 0);
	assert_int_equal(p->measures[1].notice_days, 0);
	policy_free(p);

	/* at the end of the document: a top-level key */
	y = malloc(strlen(base) + sizeof(notice));
	assert_non_null(y);
	memcpy(y, base, strlen(base));
	memcpy(y + strlen(base), notice, sizeof(notice));
	p = load_ok(y);
	assert_int_equal(p->measures[0].notice_days, 5);
	assert_int_equal(p->measures[1].notice_days, 5);
	r = p->measures[0].notice_rule;
	assert_int_equal(r, p->measures[1].notice_rule);
	assert_string_equal(p->rules[r].id, "public-notice");
	assert_string_equal(p->rules[r].says, "posted for 5 working days");
	policy_free(p);
	free(y);

	/* compute-rent's own notice of 7 days wins over the program's 5 */
	y = with(base, "    allocation: pro-rata\n",
		 "    allocation: pro-rata\n"
		 "    public_notice:\n"
		 "      working_days: 7\n"
		 "      says: \"seven\"\n"
		 "      assumption: \"a test\"\n",
		 (char *)NULL);
	{
		char *z = malloc(strlen(y) + sizeof(notice));

		assert_non_null(z);
		memcpy(z, y, strlen(y));
		memcpy(z + strlen(y), notice, sizeof(notice));
		free(y);
		y = z;
	}
	p = load_ok(y);
	assert_int_equal(p->measures[0].notice_days, 7);
	assert_string_equal(p->rules[p->measures[0].notice_rule].id,
			    "compute-rent.public-notice");
	assert_int_equal(p->measures[1].notice_days, 5);
	policy_free(p);
	free(y);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_policy_XXXXXX";
	int fd = mkstemp(path);
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	char want[72];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, base, strlen(base)), (ssize_t)strlen(base));
	close(fd);
	assert_int_equal(policy_load(path, &p, &d), Q_OK);
	assert_string_equal(p->path, path);
	sha256_hex(base, strlen(base), want);
	assert_string_equal(p->hash, want);
	policy_free(p);
	unlink(path);
	assert_int_equal(policy_load(path, &p, &d), Q_ERR_IO);
	assert_null(p);
	diag_release(&d);
}

/* The prefix of the office's numbers: the program id's leading letters in
 * capitals by default, or number_prefix (capitals and digits, a letter
 * first, at most POLICY_PREFIX_MAX). */
static void test_number_prefix(void **state)
{
	static const struct {
		const char *program, *want;
	} dflt[] = {
		{"test-2025", "TEST"},
		{"shanghai-2025", "SHANGHAI"}, /* eight letters: all of them */
		{"hangzhoucity-2024", "HANGZHOU"}, /* cut to eight */
		{"x", "X"},
		{"2025-pilot", "APP"}, /* no leading letter */
	};
	static const char *const bad[] = {"sh",	       "S-H",  "1SH",
					  "SHANGHAI9", "\"\"", "S H"};
	struct policy *p;
	char line[64];

	(void)state;
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		char *y;

		snprintf(line, sizeof(line), "program: %s\n", dflt[i].program);
		y = with(base, "program: test-2025\n", line, (char *)NULL);
		p = load_ok(y);
		assert_string_equal(p->number_prefix, dflt[i].want);
		policy_free(p);
		free(y);
	}
	{
		char *y = with(base, "currency: CNY\n",
			       "currency: CNY\nnumber_prefix: SH25\n",
			       (char *)NULL);

		p = load_ok(y);
		assert_string_equal(p->number_prefix, "SH25");
		policy_free(p);
		free(y);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag_list d;
		char *y;

		snprintf(line, sizeof(line),
			 "currency: CNY\nnumber_prefix: %s\n", bad[i]);
		y = with(base, "currency: CNY\n", line, (char *)NULL);
		load_bad(y, &d);
		expect_diag(&d, 5, 0, "number_prefix");
		expect_diag(&d, 5, 0, "is not valid");
		diag_release(&d);
		free(y);
	}
}

/* base with its edits, which must be refused with a diagnostic at line:col
 * (col 0: any) containing msg. */
static void bad_at(const char *y, int line, int col, const char *msg)
{
	struct diag_list d;

	load_bad(y, &d);
	expect_diag(&d, line, col, msg);
	diag_release(&d);
}

/* Load y (it must load) and run the auditor's source checks: n problems,
 * the first at line:col containing msg. */
static void sources_check(const char *y, int n, int line, int col,
			  const char *msg)
{
	struct policy *p = load_ok(y);
	struct diag_list d = DIAG_LIST_INIT;

	assert_int_equal(policy_check_sources(p, &d), n);
	assert_int_equal(d.n, (size_t)n);
	if (n)
		expect_diag(&d, line, col, msg);
	diag_release(&d);
	policy_free(p);
}

static void test_sources_followable(void **state)
{
	static const char *const roots[] = {
		"https://example.org",
		"https://example.org/",
		"http://www.gov.cn/",
		"https://example.org/index.html",
		"https://example.org/Default.aspx",
		"https://example.org/#/",
		"https://example.org/?",
	};
	static const char *const articles[] = {
		"https://example.org/a/b.html",
		"https://example.org/art/2025/index.html",
		"https://example.org/?id=42",
		"https://example.org/#/article/42",
		"https://example.org/news",
	};
	char line[160];
	struct policy *p;
	char *y;

	(void)state;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(line, sizeof(line), "    url: \"%s\"\n", roots[i]);
		y = with(base, "    url: \"https://example.org/a\"\n", line,
			 (char *)NULL);
		sources_check(y, 1, 8, 11, "site's root page");
		free(y);
	}
	for (size_t i = 0; i < sizeof(articles) / sizeof(articles[0]); i++) {
		snprintf(line, sizeof(line), "    url: \"%s\"\n", articles[i]);
		y = with(base, "    url: \"https://example.org/a\"\n", line,
			 (char *)NULL);
		sources_check(y, 0, 0, 0, "");
		free(y);
	}
	y = with(base, "    url: \"https://example.org/a\"\n",
		 "    url: \"ftp://example.org/a\"\n", (char *)NULL);
	sources_check(y, 1, 8, 11, "is not an http or https address");
	free(y);
	/* A document number and its date stand for a url. */
	y = with(base, "    url: \"https://example.org/a\"\n",
		 "    document: \"沪经信智〔2025〕489号\"\n", (char *)NULL);
	p = load_ok(y);
	assert_null(p->sources[0].url);
	assert_string_equal(p->sources[0].document, "沪经信智〔2025〕489号");
	policy_free(p);
	free(y);
	/* ... but not without its date. */
	y = with(base,
		 "    url: \"https://example.org/a\"\n"
		 "    published: 2025-07-28\n",
		 "    document: \"沪经信智〔2025〕489号\"\n", (char *)NULL);
	bad_at(y, 6, 5, "needs a 'url', or a 'document' number");
	free(y);
}

/* published_in: src-a (2025-07-28) is inserted as line 5, so the base's
 * line n is n + 1. */
static char *published(const char *from, const char *to)
{
	return with(base, "currency: CNY\n",
		    "currency: CNY\npublished_in: src-a\n", from, to,
		    (char *)NULL);
}

static void test_no_reach_before_publication(void **state)
{
	struct policy *p;
	char *y;

	(void)state;
	y = published("opens: 2025-08-01T00:00:00+08:00",
		      "opens: 2025-07-28T00:00:00+08:00");
	p = load_ok(y); /* the day of publication */
	assert_int_equal(p->published_in, 0);
	assert_int_equal(p->published, D(2025, 7, 28));
	policy_free(p);
	free(y);
	y = published("opens: 2025-08-01T00:00:00+08:00",
		      "opens: 2025-07-27T23:59:59+08:00");
	bad_at(y, 45, 14, "the window reaches back to 2025-07-27");
	free(y);
	/* A contract cut-off, in a condition, the day before and the day
	 * of. */
	y = published("applicant.registered_city == \"shanghai\"",
		      "contract.signed_on >= 2025-07-27");
	bad_at(y, 52, 15, "the condition reaches back to 2025-07-27");
	free(y);
	y = published("applicant.registered_city == \"shanghai\"",
		      "2025-07-28 <= contract.signed_on");
	p = load_ok(y);
	policy_free(p);
	free(y);
	/* The text says it reaches back: retroactive_to, with its source. */
	y = with(base, "currency: CNY\n",
		 "currency: CNY\npublished_in: src-a\n"
		 "retroactive_to: { date: 2025-01-01, source: src-a, "
		 "says: \"from 1 January\" }\n",
		 "applicant.registered_city == \"shanghai\"",
		 "contract.signed_on >= 2025-01-01", (char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->retroactive_to, D(2025, 1, 1));
	policy_free(p);
	free(y);
	y = with(base, "currency: CNY\n",
		 "currency: CNY\npublished_in: src-a\n"
		 "retroactive_to: { date: 2025-01-01, source: src-a }\n",
		 "applicant.registered_city == \"shanghai\"",
		 "contract.signed_on >= 2024-12-31", (char *)NULL);
	bad_at(y, 53, 15, "the earliest date 'retroactive_to' allows");
	free(y);
	y = with(base, "currency: CNY\n",
		 "currency: CNY\npublished_in: src-a\n"
		 "retroactive_to: { date: 2025-07-28, source: src-a }\n",
		 (char *)NULL);
	bad_at(y, 6, 25, "is not before the program's publication");
	free(y);
	y = with(base, "currency: CNY\n",
		 "currency: CNY\npublished_in: src-a\n"
		 "retroactive_to: { date: 2025-01-01, assumption: x }\n",
		 (char *)NULL);
	bad_at(y, 6, 0, "missing key 'source'");
	free(y);
	y = with(base, "currency: CNY\n",
		 "currency: CNY\nretroactive_to: { date: 2025-01-01 }\n",
		 (char *)NULL);
	bad_at(y, 5, 0, "needs 'published_in'");
	free(y);
	y = with(base, "currency: CNY\n",
		 "currency: CNY\npublished_in: src-b\n", (char *)NULL);
	bad_at(y, 5, 15, "has no 'published' date");
	free(y);
	/* A measure's or a kind's own dates. */
	y = published("    kinds: [rent, buy]\n",
		      "    kinds: [rent, buy]\n    from: 2025-07-27\n");
	bad_at(y, 43, 11, "'from' reaches back to 2025-07-27");
	free(y);
}

static void test_dates_of_measures_and_kinds(void **state)
{
	struct policy *p;
	const struct policy_measure *m;
	char *y;

	(void)state;
	y = with(base, "    kinds: [rent, buy]\n",
		 "    kinds:\n"
		 "      - rent\n"
		 "      - { kind: buy, from: 2025-09-01, until: 2025-12-31, "
		 "says: \"bought from September\", source: src-a }\n"
		 "    from: 2025-06-13\n"
		 "    until: 2026-06-12\n",
		 (char *)NULL);
	p = load_ok(y);
	m = &p->measures[0];
	assert_int_equal(m->kinds, 1u << KIND_RENT | 1u << KIND_BUY);
	assert_int_equal(m->kind_rules[KIND_RENT], UINT32_MAX);
	expect_rule(p, m->kind_rules[KIND_BUY], "compute-rent.kind.buy",
		    RULE_KIND_DATES, 43, 11, 0);
	assert_int_equal(m->kind_from[KIND_BUY], D(2025, 9, 1));
	assert_int_equal(m->kind_until[KIND_BUY], D(2025, 12, 31));
	assert_int_equal(m->from, D(2025, 6, 13));
	assert_int_equal(m->until, D(2026, 6, 12));
	expect_rule(p, m->from_rule, "compute-rent.from", RULE_FROM, 44, 11, 0);
	expect_rule(p, m->until_rule, "compute-rent.until", RULE_UNTIL, 45, 12,
		    0);
	assert_int_equal(p->measures[1].from_rule, UINT32_MAX);
	policy_free(p);
	free(y);
	y = with(base, "    kinds: [rent, buy]\n",
		 "    kinds: [rent, { kind: buy, source: src-a }]\n",
		 (char *)NULL);
	bad_at(y, 41, 21, "needs 'from', 'until' or both");
	free(y);
	y = with(base, "    kinds: [rent, buy]\n",
		 "    kinds: [rent, { kind: lease, from: 2025-09-01, "
		 "source: src-a }]\n",
		 (char *)NULL);
	bad_at(y, 41, 27, "unknown kind 'lease'");
	free(y);
	y = with(base, "    kinds: [rent, buy]\n",
		 "    kinds: [rent, { kind: rent, from: 2025-09-01, "
		 "source: src-a }]\n",
		 (char *)NULL);
	bad_at(y, 41, 21, "kind 'rent' is listed twice");
	free(y);
	y = with(base, "    kinds: [rent, buy]\n",
		 "    kinds: [rent, buy]\n    from: 2025-09-01\n"
		 "    until: 2025-08-31\n",
		 (char *)NULL);
	bad_at(y, 43, 12, "'until' is before 'from'");
	free(y);
}

static void test_lists_and_funders(void **state)
{
	struct policy *p;
	char *y;

	(void)state;
	y = with(
		base, "pools:\n",
		"lists:\n"
		"  - { id: bj-partners, name: \"算力伙伴\", source: src-a }\n"
		"  - { id: hz-planned, name: \"规划算力中心\", assumption: x }\n"
		"pools:\n",
		"applicant.registered_city == \"shanghai\"",
		"supplier_on(\"hz-planned\") || supplier.pflops >= 100",
		(char *)NULL);
	p = load_ok(y);
	assert_int_equal(p->nlists, 2);
	assert_int_equal(policy_find_list(p, "hz-planned", 10), 1);
	assert_int_equal(policy_find_list(p, "hz", 2), -1);
	policy_free(p);
	free(y);
	y = with(base, "applicant.registered_city == \"shanghai\"",
		 "supplier_on(\"bj-partners\")", (char *)NULL);
	bad_at(y, 51, 27, "unknown supplier list \"bj-partners\"");
	free(y);
	y = with(base, "pools:\n",
		 "lists:\n"
		 "  - { id: beijing-partners, name: P, source: src-a }\n"
		 "  - { id: dishonest, name: D, source: src-a }\n"
		 "pools:\n",
		 (char *)NULL);
	bad_at(y, 25, 11, "longer than 15 bytes");
	bad_at(y, 26, 11, "the office's own screening list");
	free(y);
	/* Funders: an external one is marked; all external is refused. */
	y = with(base, "param.sme_rate\n          source: src-a\n" /* 91 */,
		 "param.sme_rate\n          source: src-a\n"
		 "    funders:\n"
		 "      - { id: city, name: C, share: 1, source: src-a }\n"
		 "      - { id: district, name: D, share: 1, external: true, "
		 "assumption: \"the district's part is not published\" }\n",
		 (char *)NULL);
	p = load_ok(y);
	assert_false(p->measures[1].funders[0].external);
	assert_true(p->measures[1].funders[1].external);
	policy_free(p);
	free(y);
	y = with(base, "param.sme_rate\n          source: src-a\n" /* 91 */,
		 "param.sme_rate\n          source: src-a\n"
		 "    funders:\n"
		 "      - { id: city, name: C, share: 1, external: true, "
		 "source: src-a }\n"
		 "      - { id: district, name: D, share: 1, external: yes, "
		 "assumption: x }\n",
		 (char *)NULL);
	bad_at(y, 94, 54, "'external' must be true or false");
	free(y);
	y = with(base, "param.sme_rate\n          source: src-a\n" /* 91 */,
		 "param.sme_rate\n          source: src-a\n"
		 "    funders:\n"
		 "      - { id: city, name: C, share: 1, external: true, "
		 "source: src-a }\n"
		 "      - { id: district, name: D, share: 1, external: true, "
		 "assumption: x }\n",
		 (char *)NULL);
	bad_at(y, 93, 11, "every funder is external");
	free(y);
}

/* A pool committed once for a span of years: one budget, kept under its
 * first year, pays every year of the span and none outside it; both
 * `budgets` and `commitment`, a span that ends before it starts and a bad
 * amount are refused where they are written. */
static void test_commitment_pools(void **state)
{
	static const char *const yearly = "    budgets:\n"
					  "      2025: \"300000000.00\"\n";
	struct policy *p;
	char *y;

	(void)state;
	y = with(base, yearly,
		 "    commitment:\n"
		 "      amount: \"500000000.00\"\n"
		 "      from: 2025\n"
		 "      until: 2029\n",
		 (char *)NULL);
	p = load_ok(y);
	assert_true(p->pools[1].commitment);
	assert_false(p->pools[0].commitment);
	assert_int_equal(p->pools[1].commit_from, 2025);
	assert_int_equal(p->pools[1].commit_until, 2029);
	assert_int_equal(p->pools[1].nbudgets, 1);
	assert_int_equal(p->pools[1].budgets[0].year, 2025);
	assert_int_equal(p->pools[1].budgets[0].amount, 50000000000LL);
	for (int year = 2025; year <= 2029; year++) {
		assert_int_equal(policy_pool_account_year(p, 1, year), 2025);
		assert_int_equal(policy_pool_budget(p, 1, year), 50000000000LL);
	}
	assert_int_equal(policy_pool_account_year(p, 1, 2024), -1);
	assert_int_equal(policy_pool_account_year(p, 1, 2030), -1);
	assert_int_equal(policy_pool_budget(p, 1, 2030), -1);
	/* A yearly pool pays each budgeted year from its own accounts. */
	assert_int_equal(policy_pool_account_year(p, 0, 2026), 2026);
	assert_int_equal(policy_pool_account_year(p, 0, 2027), -1);
	assert_int_equal(policy_pool_account_year(p, 7, 2025), -1);
	policy_free(p);
	free(y);

	y = with(
		base, yearly,
		"    budgets:\n"
		"      2025: \"300000000.00\"\n"
		"    commitment: { amount: \"1.00\", from: 2025, until: 2026 }\n",
		(char *)NULL);
	bad_at(y, 36, 19, "has both 'budgets' and 'commitment'");
	free(y);
	y = with(
		base, yearly,
		"    commitment: { amount: \"1.00\", from: 2029, until: 2025 }\n",
		(char *)NULL);
	bad_at(y, 34, 54, "'until' (2025) is before 'from' (2029)");
	free(y);
	y = with(
		base, yearly,
		"    commitment: { amount: \"1.001\", from: 2025, until: 2029 }\n",
		(char *)NULL);
	bad_at(y, 34, 28, "has more than two decimals");
	free(y);
	y = with(
		base, yearly,
		"    commitment: { amount: \"0.00\", from: 2025, until: 2029 }\n",
		(char *)NULL);
	bad_at(y, 34, 28, "must be more than 0.00");
	free(y);
	y = with(base, yearly,
		 "    commitment: { amount: \"1.00\", from: 2025 }\n",
		 (char *)NULL);
	bad_at(y, 34, 19, "missing key 'until' in commitment of 'model'");
	free(y);
	y = with(base, yearly, "", (char *)NULL);
	bad_at(y, 32, 5, "missing key 'budgets' in pool 'model'");
	free(y);
}

static void test_kind_and_industry_in_conditions(void **state)
{
	struct policy *p;
	char *y;

	(void)state;
	y = with(base, "applicant.registered_city == \"shanghai\"",
		 "applicant.kind == \"enterprise\" && industry_in("
		 "applicant.industry, [\"I63\", \"I64\", \"I65\", \"C\"])",
		 (char *)NULL);
	p = load_ok(y);
	policy_free(p);
	free(y);
	y = with(base, "applicant.registered_city == \"shanghai\"",
		 "applicant.kind == \"company\"", (char *)NULL);
	bad_at(y, 51, 33, "'applicant.kind' is never \"company\"");
	free(y);
	y = with(base, "applicant.registered_city == \"shanghai\"",
		 "industry_in(applicant.industry, [\"I65\", \"I66\"])",
		 (char *)NULL);
	bad_at(y, 51, 55, "division 66 is not in section I, which holds 63-65");
	free(y);
	y = with(base, "applicant.registered_city == \"shanghai\"",
		 "industry_in(applicant.industry, [\"65\"])", (char *)NULL);
	bad_at(y, 51, 48, "'65' is not an industry code");
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_policy),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_param_types),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_new_keys),
		cmocka_unit_test(test_waitlist_key),
		cmocka_unit_test(test_program_notice),
		cmocka_unit_test(test_number_prefix),
		cmocka_unit_test(test_sources_followable),
		cmocka_unit_test(test_no_reach_before_publication),
		cmocka_unit_test(test_dates_of_measures_and_kinds),
		cmocka_unit_test(test_lists_and_funders),
		cmocka_unit_test(test_kind_and_industry_in_conditions),
		cmocka_unit_test(test_commitment_pools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
