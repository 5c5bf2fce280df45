/*
 * test_plan.c - the planned decision against the plain one: decide_facts()
 * (the measure's plan, the one-step forms of expressions, the trace
 * counted in registers) against decide_facts_ref() (every expression
 * through the interpreter loop, every trace entry through its checks),
 * over every bundled policy (every .yaml file in policies/) and each of
 * its measures.
 *
 * The facts are drawn by factgen.h, as test_columns.c draws them (every
 * field varied, nulls, kinds, strings the conditions name and near misses
 * of them, amounts and dates at the thresholds and the measure's edges),
 * half of them near an eligible seed; each row is decided with and
 * without string keys (facts_keys), some keys made "longer" by a long
 * string, with and without history. Every field of struct decision must
 * be the same, the arrays up to their counts, and so must the status and
 * the error code.
 * decide() is held the same way against facts_build() + facts_keys() +
 * decide_facts_ref() on the bundled example applications.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uscc.h"
#include "engine/decide.h"
#include "policy/diag.h"
#include "factgen.h"

#define ROWS 4000

/* Every field of two decisions, the arrays up to their counts. */
static void same(const struct decision *a, const struct decision *b,
		 const char *where, size_t row)
{
	int bad = a->measure != b->measure || a->eligible != b->eligible ||
		  a->rate != b->rate || a->rate_rule != b->rate_rule ||
		  a->base != b->base || a->gross != b->gross ||
		  a->amount != b->amount ||
		  a->review_up_to != b->review_up_to ||
		  a->yearly_caps_without_history !=
			  b->yearly_caps_without_history ||
		  a->nreasons != b->nreasons || a->ncaps != b->ncaps ||
		  a->ntrace != b->ntrace ||
		  a->trace_truncated != b->trace_truncated ||
		  a->nflags != b->nflags || a->nfunders != b->nfunders ||
		  a->params_date != b->params_date;

	for (uint16_t k = 0; !bad && k < a->nreasons; k++)
		bad = a->reasons[k] != b->reasons[k];
	for (uint16_t k = 0; !bad && k < a->ncaps; k++)
		bad = a->caps[k].rule != b->caps[k].rule ||
		      a->caps[k].limit != b->caps[k].limit ||
		      a->caps[k].cut != b->caps[k].cut;
	for (uint16_t k = 0; !bad && k < a->ntrace; k++)
		bad = a->trace[k].rule != b->trace[k].rule ||
		      a->trace[k].outcome != b->trace[k].outcome ||
		      a->trace[k].value != b->trace[k].value;
	for (uint16_t k = 0; !bad && k < a->nflags; k++)
		bad = a->flags[k].kind != b->flags[k].kind ||
		      a->flags[k].rule != b->flags[k].rule ||
		      a->flags[k].limit != b->flags[k].limit ||
		      a->flags[k].hard_limit != b->flags[k].hard_limit ||
		      a->flags[k].above != b->flags[k].above ||
		      a->flags[k].up_to != b->flags[k].up_to;
	for (uint16_t k = 0; !bad && k < a->nfunders; k++)
		bad = a->funders[k].rule != b->funders[k].rule ||
		      a->funders[k].amount != b->funders[k].amount;
	if (bad)
		fail_msg(
			"%s row %zu: planned %s %lld (rate %d, %u trace, %u reasons), reference %s %lld (rate %d, %u trace, %u reasons)",
			where, row, a->eligible ? "eligible" : "not eligible",
			(long long)a->amount, (int)a->rate, a->ntrace,
			a->nreasons, b->eligible ? "eligible" : "not eligible",
			(long long)b->amount, (int)b->rate, b->ntrace,
			b->nreasons);
}

/* Decide f both ways, poisoning the outputs first so that a field one
 * path forgets to set shows. Returns the status. */
static int both(const struct policy *p, int m, const struct facts *f, bool hist,
		struct decision *a, struct decision *b, const char *where,
		size_t row)
{
	struct qerr ea, eb;
	int sa, sb;

	memset(a, 0x5a, sizeof(*a));
	memset(b, 0x5a, sizeof(*b));
	sa = decide_facts(p, m, f, hist, a, &ea);
	sb = decide_facts_ref(p, m, f, hist, b, &eb);
	if (sa != sb)
		fail_msg("%s row %zu: planned status %d, reference %d", where,
			 row, sa, sb);
	if (sa) {
		assert_int_equal(ea.code, eb.code);
		assert_string_equal(ea.msg, eb.msg);
		return sa;
	}
	same(a, b, where, row);
	return 0;
}

static void test_every_policy(void **state)
{
	glob_t g;
	size_t measures = 0, eligible = 0, errors = 0, rows = 0;
	size_t planned = 0;

	(void)state;
	assert_int_equal(glob(QUAN_POLICYDIR "/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 8);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct diag_list dl = DIAG_LIST_INIT;
		struct policy *p = NULL;
		struct decision *a = malloc(sizeof(*a));
		struct decision *b = malloc(sizeof(*b));
		uint64_t s = 0x2545f4914f6cdd1dull + i;

		assert_non_null(a);
		assert_non_null(b);
		if (policy_load(g.gl_pathv[i], &p, &dl)) {
			diag_print(&dl, stderr);
			fail_msg("%s does not load", g.gl_pathv[i]);
		}
		diag_release(&dl);
		for (size_t m = 0; m < p->nmeasures; m++) {
			const struct policy_measure *pm = &p->measures[m];
			struct facts seed, f;
			int has = factgen_seed(&s, p, (int)m, decide_facts_ref,
					       a, &seed);

			planned += pm->plan_fast;
			for (size_t r = 0; r < ROWS; r++) {
				int st;

				if (has && r % 2 != 0)
					factgen_near(&s, pm, &seed, &f);
				else
					factgen_draw(&s, pm, &f);
				/* Without keys: strcmp decides. */
				st = both(p, (int)m, &f, r % 3 == 0, a, b,
					  pm->id, r);
				/* With keys, sometimes a string too long for
				 * one in a field a condition compares. */
				if (factgen_rnd(&s) % 8 == 0)
					f.s[F_APPLICANT_REGISTERED_CITY] =
						factgen_rnd(&s) % 2
							? "shanghaixx"
							: "shanghai";
				facts_keys(&f, p->string_fields);
				st |= both(p, (int)m, &f, r % 3 != 0, a, b,
					   pm->id, r);
				eligible += !st && a->eligible;
				errors += st != 0;
				rows++;
			}
			measures++;
		}
		policy_free(p);
		free(a);
		free(b);
	}
	globfree(&g);
	print_message(
		"%zu measures (%zu planned), %zu rows: %zu eligible, %zu errors\n",
		measures, planned, rows, eligible, errors);
	/* The draws reach both outcomes, and the plan covers the bundled
	 * policies, or the test proves little. */
	assert_true(eligible > rows / 20);
	assert_true(eligible < rows);
	assert_true(planned == measures);
}

/* Every form a planned condition takes, each comparison at the thresholds
 * the draws reach (term months 11 to 13, 35 to 37), strings equal and not
 * to literals short and long, a null test, a parameter null from a date,
 * and the forms the plan leaves to the interpreter, `a && b` and `a || b`
 * of two one-step sides; then a measure with a constant rate, constant caps
 * at amounts the draws reach and three funders whose shares round. */
static const char forms_text[] =
	"program: t\n"
	"name: test\n"
	"issuer: nobody\n"
	"currency: CNY\n"
	"sources:\n"
	"  - { id: s, title: t, url: u }\n"
	"parameters:\n"
	"  floor:\n"
	"    values: { 2022-01-01: 12, 2025-10-01: null }\n"
	"    source: s\n"
	"pools:\n"
	"  - { id: p, name: p, budgets: { 2025: \"1000000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: forms\n"
	"    name: forms\n"
	"    pool: p\n"
	"    kinds: [rent, buy]\n"
	"    allocation: first-come-first-served\n"
	"    window: { opens: 2025-01-01T00:00:00+08:00, closes: 2025-12-31T23:59:59+08:00 }\n"
	"    eligibility:\n"
	"      - { id: lt, when: contract.term_months < 36, source: s }\n"
	"      - { id: le, when: contract.term_months <= 12, source: s }\n"
	"      - { id: gt, when: contract.term_months > 12, source: s }\n"
	"      - { id: ge, when: 36 <= contract.term_months, source: s }\n"
	"      - { id: eq, when: contract.term_months == 13, source: s }\n"
	"      - { id: ne, when: contract.term_months != 35, source: s }\n"
	"      - { id: money, when: contract.value >= 1000000.00, source: s }\n"
	"      - { id: city, when: applicant.registered_city == \"shanghai\", source: s }\n"
	"      - { id: not-city, when: compute.location != \"suzhou\", source: s }\n"
	"      - { id: long, when: applicant.registered_city != \"longer-than-eight-bytes\", source: s }\n"
	"      - { id: bool, when: applicant.sme, source: s }\n"
	"      - { id: not, when: \"!related_party\", source: s }\n"
	"      - { id: bool-eq, when: compute.domestic == false, source: s }\n"
	"      - { id: credit, when: \"applicant.last_bad_credit_on == null || applicant.last_bad_credit_on < add_years(contract.signed_on, -3)\", source: s }\n"
	"      - { id: null, when: supplier.pflops == null, source: s }\n"
	"      - { id: param, when: contract.term_months >= param.floor, source: s }\n"
	"      - { id: or, when: applicant.startup || applicant.sme, source: s }\n"
	"      - { id: in, when: \"compute.chip in [\\\"ascend-910c\\\", \\\"nvidia-h100\\\"]\", source: s }\n"
	"      - { id: range, when: contract.term_months >= 12 && contract.term_months <= 36, source: s }\n"
	"      - { id: outside, when: contract.term_months < 12 || 36 < contract.term_months, source: s }\n"
	"      - { id: and-bool, when: applicant.sme && contract.term_months != 13, source: s }\n"
	"      - { id: or-mixed, when: compute.domestic || contract.value < 1000000.00, source: s }\n"
	"      - { id: and-not, when: \"!applicant.sme && applicant.startup\", source: s }\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - { id: r, rate: 30%, source: s }\n"
	"  - id: money\n"
	"    name: money\n"
	"    pool: p\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    eligibility:\n"
	"      - { id: city, when: applicant.registered_city == \"shanghai\", source: s }\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - { id: r, rate: 50%, source: s }\n"
	"    caps:\n"
	"      - { id: a, per: contract, limit: \"5000000.00\", source: s }\n"
	"      - { id: b, per: contract, limit: \"4999999.99\", source: s }\n"
	"    funders:\n"
	"      - { id: one, name: one, share: 3, source: s }\n"
	"      - { id: two, name: two, share: 7, source: s, external: true }\n"
	"      - { id: three, name: three, share: 11, source: s }\n";

static void test_every_form(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct decision a, b;
	uint64_t s = 42;
	size_t passed[64] = {0}, eligible = 0, split = 0;

	(void)state;
	if (policy_load_buf("t.yaml", forms_text, strlen(forms_text), &p,
			    &dl)) {
		diag_print(&dl, stderr);
		fail_msg("the forms policy does not load");
	}
	diag_release(&dl);
	/* The joined conditions are planned as two tests (`or`, `range`,
	 * `outside`, `and-bool`, `or-mixed`; not `and-not`, whose `!` is a
	 * step more), the funders' split by its weights. */
	{
		size_t joined = 0;

		for (size_t k = 0; k < p->measures[0].nconds; k++)
			joined += p->measures[0].plan_conds[k].join2;
		assert_int_equal(joined, 5);
		assert_int_equal(p->measures[1].plan_funder_total, 21);
	}
	for (size_t m = 0; m < p->nmeasures; m++) {
		const struct policy_measure *pm = &p->measures[m];

		assert_true(pm->plan_fast);
		for (size_t r = 0; r < 20000; r++) {
			struct facts f;

			factgen_draw(&s, pm, &f);
			if (r % 3 == 0)
				f.i[F_CONTRACT_TERM_MONTHS] =
					11 + (int64_t)(factgen_rnd(&s) % 3) +
					(factgen_rnd(&s) % 2 ? 24 : 0);
			/* Half of `money`'s rows eligible, so that the shares
			 * of every amount the draws reach are compared. */
			if (m == 1 && r % 4 < 2) {
				f.kind = KIND_RENT;
				f.s[F_CONTRACT_KIND] = kind_name(KIND_RENT);
				f.s[F_APPLICANT_REGISTERED_CITY] = "shanghai";
			}
			if (r % 2)
				facts_keys(&f, p->string_fields);
			if (both(p, (int)m, &f, r % 2 == 0, &a, &b, pm->id, r))
				continue;
			eligible += a.eligible;
			split += a.nfunders == 3;
			for (uint16_t k = 0; k < a.ntrace; k++)
				if (a.trace[k].outcome == TRACE_PASSED &&
				    a.trace[k].rule < 64)
					passed[a.trace[k].rule]++;
		}
	}
	/* Each condition of `forms` both held and failed somewhere. */
	for (size_t k = 0; k < p->measures[0].nconds; k++) {
		uint32_t rule = p->measures[0].conds[k].rule;

		assert_true(rule < 64);
		if (!passed[rule])
			fail_msg("condition '%s' never held",
				 p->rules[rule].id);
	}
	assert_true(eligible > 0);
	assert_true(split > 5000);
	policy_free(p);
}

/* The measure named id (len bytes) by reading the measures in order. */
static int in_order(const struct policy *p, const char *id, size_t len)
{
	for (size_t i = 0; i < p->nmeasures; i++)
		if (strlen(p->measures[i].id) == len &&
		    memcmp(p->measures[i].id, id, len) == 0)
			return (int)i;
	return -1;
}

/* The measure index (policy_find_measure) over the most measures a policy
 * holds, their ids sharing heads and tails, of every length its words
 * treat alike and apart (3, 4, 6, 7, 9, 15, 16, 17 and 18 bytes): each id finds its
 * measure, and an id a byte shorter, a byte longer or with one byte
 * changed finds what reading the measures in order finds. */
static void test_measure_index(void **state)
{
	enum { N = 64 };
	static char text[N * 400];
	static char ids[N][48];
	struct diag_list dl = DIAG_LIST_INIT;
	struct policy *p = NULL;
	size_t used;

	(void)state;
	used = (size_t)snprintf(
		text, sizeof(text),
		"program: t\nname: test\nissuer: nobody\ncurrency: CNY\n"
		"sources:\n  - { id: s, title: t, url: u }\n"
		"pools:\n  - { id: p, name: p, budgets: { 2025: \"1.00\" }, source: s }\n"
		"measures:\n");
	for (int i = 0; i < N; i++) {
		static const char *const heads[] = {"m",
						    "mo",
						    "mode",
						    "model",
						    "measure",
						    "compute-rent-",
						    "compute-rent-0",
						    "compute-rent-00",
						    "a-long-family-"};
		static const char *const tails[] = {"", "", "", "",  "",
						    "", "", "", "-x"};

		snprintf(ids[i], sizeof(ids[i]), "%s%02d%s", heads[i % 9], i,
			 tails[i % 9]);
		used += (size_t)snprintf(
			text + used, sizeof(text) - used,
			"  - id: %s\n    name: n\n    pool: p\n"
			"    kinds: [rent]\n"
			"    allocation: first-come-first-served\n"
			"    rates:\n      hit: first\n      rows:\n"
			"        - { id: r%d, rate: 30%%, source: s }\n",
			ids[i], i);
		assert_true(used < sizeof(text));
	}
	if (policy_load_buf("t.yaml", text, used, &p, &dl)) {
		diag_print(&dl, stderr);
		fail_msg("the policy of %d measures does not load", N);
	}
	diag_release(&dl);
	assert_true(p->measure_indexed);
	for (int i = 0; i < N; i++) {
		size_t len = strlen(ids[i]);
		char near[64];

		assert_int_equal(policy_find_measure(p, ids[i], len), i);
		assert_int_equal(policy_find_measure(p, ids[i], len - 1),
				 in_order(p, ids[i], len - 1));
		snprintf(near, sizeof(near), "%sz", ids[i]);
		assert_int_equal(policy_find_measure(p, near, len + 1), -1);
		for (size_t at = 0; at < len; at++) {
			memcpy(near, ids[i], len + 1);
			near[at] ^= 0x01;
			assert_int_equal(policy_find_measure(p, near, len),
					 in_order(p, near, len));
		}
	}
	policy_free(p);
}

/* decide() builds only the facts the policy reads: it must decide as
 * the full facts do, on every bundled example application. */
static void test_decide_examples(void **state)
{
	glob_t g, pg;
	struct diag_list dl = DIAG_LIST_INIT;
	struct chip_catalog *chips = NULL;
	size_t decided = 0;

	(void)state;
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &chips, &dl),
			 0);
	assert_int_equal(glob(QUAN_POLICYDIR "/*.yaml", 0, NULL, &pg), 0);
	assert_int_equal(glob(QUAN_DATADIR "/../examples/applications/*.json",
			      0, NULL, &g),
			 0);
	for (size_t j = 0; j < pg.gl_pathc; j++) {
		struct policy *p = NULL;

		assert_int_equal(policy_load(pg.gl_pathv[j], &p, &dl), 0);
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct application app;
			struct decision a, b;
			struct facts f;
			struct qerr e1, e2;
			int s1, s2 = 0, m;

			memset(&app, 0, sizeof(app));
			if (app_load_file(g.gl_pathv[i], &app, &e1))
				continue;
			/* Received the day it was signed, 10:00 office
			 * time. */
			assert_int_equal(
				app_receive(&app,
					    (int64_t)app.contract.signed_on *
							    86400 +
						    7200,
					    &e1),
				0);
			s1 = decide(p, &app, chips, NULL, &a, &e1);
			m = policy_find_measure(p, app.measure,
						strlen(app.measure));
			if (strcmp(app.program, p->program) || m < 0) {
				assert_int_not_equal(s1, 0);
				app_release(&app);
				continue;
			}
			s2 = facts_build(&app, chips, NULL, &f, &e2);
			if (!s2) {
				facts_keys(&f, p->string_fields);
				s2 = decide_facts_ref(p, m, &f, false, &b, &e2);
			}
			assert_int_equal(s1, s2);
			if (!s1)
				same(&a, &b, g.gl_pathv[i], 0);
			decided++;
			app_release(&app);
		}
		policy_free(p);
	}
	globfree(&g);
	globfree(&pg);
	chips_free(chips);
	print_message("%zu example applications decided\n", decided);
	assert_true(decided >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_policy),
		cmocka_unit_test(test_every_form),
		cmocka_unit_test(test_measure_index),
		cmocka_unit_test(test_decide_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
