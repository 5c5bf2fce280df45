/*
 * test_columns.c - one engine: decide_columns() against decide_facts(),
 * over every bundled policy (every .yaml file in policies/) and each of its measures.
 *
 * For each measure, ROWS sets of facts are drawn by factgen.h with every
 * field varied (booleans, nulls, kinds, the strings the bundled conditions
 * name and others, amounts and integers at and around the thresholds the
 * policies use, signing dates and receipt times at the measure's own dates
 * and window edges, one second or one day either side). The facts given to
 * decide_facts carry no string keys (strcmp decides), the columns do
 * (facts_keys): so the test also holds the keyed compare equal to the
 * plain one. Status, eligibility, rate, rate row, base, gross, amount,
 * the pool's share, every reason and errors must agree, row by row, to
 * the fen; most rows must be decided over the columns, not handed back
 * to decide_facts.
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
#include "engine/columns.h"
#include "policy/diag.h"
#include "factgen.h"

#define ROWS 3000

static void same(const struct decision_lite *c, int st, const struct policy *p,
		 const struct decision *d, const char *where, size_t row)
{
	if (c->status != st)
		fail_msg("%s row %zu: columns status %d, decide_facts %d",
			 where, row, c->status, st);
	if (st)
		return;
	if (c->eligible != d->eligible || c->rate != d->rate ||
	    c->rate_rule != d->rate_rule || c->base != d->base ||
	    c->gross != d->gross || c->amount != d->amount ||
	    c->nreasons != d->nreasons ||
	    c->pool_share != (d->eligible ? decision_pool_share(p, d) : 0))
		fail_msg(
			"%s row %zu (%s): columns %d %d %d %lld %lld %lld %lld %u, "
			"decide_facts %d %d %d %lld %lld %lld %lld %u",
			where, row, c->fell_back ? "fell back" : "columns",
			c->eligible, (int)c->rate, c->rate_rule,
			(long long)c->base, (long long)c->gross,
			(long long)c->amount, (long long)c->pool_share,
			c->nreasons, d->eligible, (int)d->rate, d->rate_rule,
			(long long)d->base, (long long)d->gross,
			(long long)d->amount,
			(long long)(d->eligible ? decision_pool_share(p, d)
						: 0),
			d->nreasons);
	for (uint16_t k = 0; k < d->nreasons; k++)
		assert_int_equal(c->reasons[k], d->reasons[k]);
}

/* Counts over the whole test, so that it can say what it reached. */
struct tally {
	size_t measures, seeded, eligible, errors, capped, fell_back;
	size_t columnar_eligible, rows;
	/* Every condition and rate row of every measure, and how many of
	 * them some row failed (a condition) or chose (a rate row) over the
	 * columns. */
	size_t conds, conds_failed, rates, rates_chosen;
};

/* Which conditions of m some row failed, and which rate rows some row
 * chose, over the columns: bit i of *failed, *chosen. */
static void reached(const struct policy_measure *m,
		    const struct decision_lite *o, uint64_t *failed,
		    uint64_t *chosen)
{
	for (size_t i = 0; i < m->nconds && i < 64; i++)
		for (uint16_t k = 0; k < o->nreasons; k++)
			if (o->reasons[k] == m->conds[i].rule)
				*failed |= 1ull << i;
	for (size_t i = 0; i < m->nrows && i < 64; i++)
		if (o->eligible && o->rate_rule == (int32_t)m->rows[i].rule)
			*chosen |= 1ull << i;
}

/* Rows 0..n) of measure m, decided over columns (with string keys, in
 * blocks) and by decide_facts (without them), compared row by row. */
static void compare_rows(const struct policy *p, int m, struct facts *rows,
			 size_t n, bool with_history, struct columns_work *w,
			 struct decision_lite *out, struct decision *d,
			 struct tally *t)
{
	const struct policy_measure *pm = &p->measures[m];
	uint64_t fields = columns_fields(p, m);
	uint64_t failed = 0, chosen = 0;

	for (size_t lo = 0; lo < n; lo += COLUMNS_BLOCK) {
		size_t hi = lo + COLUMNS_BLOCK < n ? lo + COLUMNS_BLOCK : n;
		const struct facts *src[COLUMNS_BLOCK];

		fact_columns_clear(&w->c, fields);
		for (size_t r = lo; r < hi; r++) {
			struct facts keyed = rows[r];

			facts_keys(&keyed, p->string_fields);
			fact_columns_add(&w->c, &keyed);
			src[r - lo] = &rows[r];
		}
		decide_columns(p, m, &w->c, with_history, src, out, w);
		for (size_t r = lo; r < hi; r++) {
			const struct decision_lite *o = &out[r - lo];
			struct qerr e;
			int st = decide_facts(p, m, &rows[r], with_history, d,
					      &e);

			same(o, st, p, d, p->measures[m].id, r);
			t->rows++;
			t->eligible += !st && d->eligible;
			t->errors += st != 0;
			t->capped += !st && d->eligible && d->ncaps > 0;
			t->fell_back += o->fell_back;
			t->columnar_eligible += !o->fell_back && o->eligible;
			if (!o->fell_back)
				reached(pm, o, &failed, &chosen);
		}
	}
	t->conds += pm->nconds;
	t->conds_failed += (size_t)__builtin_popcountll(failed);
	t->rates += pm->nrows;
	t->rates_chosen += (size_t)__builtin_popcountll(chosen);
	for (size_t i = 0; i < pm->nconds && i < 64; i++)
		if (!((failed >> i) & 1))
			print_message("%s: condition '%s' never failed\n",
				      pm->id, p->rules[pm->conds[i].rule].id);
	for (size_t i = 0; i < pm->nrows && i < 64; i++)
		if (!((chosen >> i) & 1))
			print_message("%s: rate row '%s' never chosen\n",
				      pm->id, p->rules[pm->rows[i].rule].id);
}

static void test_every_policy(void **state)
{
	glob_t g;
	struct tally t = {0};
	struct columns_work *w = malloc(sizeof(*w));

	(void)state;
	assert_non_null(w);
	assert_int_equal(glob(QUAN_POLICYDIR "/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 8);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct diag_list dl = DIAG_LIST_INIT;
		struct policy *p = NULL;
		struct facts *rows = calloc(ROWS, sizeof(*rows));
		struct decision_lite *out = calloc(COLUMNS_BLOCK, sizeof(*out));
		struct decision *d = malloc(sizeof(*d));
		uint64_t s = 0x9e3779b97f4a7c15ull + i;

		assert_non_null(rows);
		assert_non_null(out);
		assert_non_null(d);
		if (policy_load(g.gl_pathv[i], &p, &dl)) {
			diag_print(&dl, stderr);
			fail_msg("%s does not load", g.gl_pathv[i]);
		}
		diag_release(&dl);
		for (size_t m = 0; m < p->nmeasures; m++) {
			struct facts seed;
			size_t before = t.columnar_eligible;
			int has = factgen_seed(&s, p, (int)m, decide_facts, d,
					       &seed);

			t.seeded += has;
			for (size_t r = 0; r < ROWS; r++) {
				if (has && r % 4 != 0)
					factgen_near(&s, &p->measures[m], &seed,
						     &rows[r]);
				else
					factgen_draw(&s, &p->measures[m],
						     &rows[r]);
			}
			compare_rows(p, (int)m, rows, ROWS, m % 2 == 0, w, out,
				     d, &t);
			/* A measure with eligible rows has some decided
			 * over the columns, not all left to decide_facts. */
			if (has && t.columnar_eligible == before)
				fail_msg(
					"%s: no eligible row decided over columns",
					p->measures[m].id);
			t.measures++;
		}
		policy_free(p);
		free(rows);
		free(out);
		free(d);
	}
	globfree(&g);
	free(w);
	/* The draws reach both outcomes, caps and errors, or the test
	 * proves little. */
	print_message("%zu measures (%zu with an eligible seed), %zu rows: "
		      "%zu eligible (%zu over columns), %zu capped, %zu "
		      "errors, %zu fell back\n",
		      t.measures, t.seeded, t.rows, t.eligible,
		      t.columnar_eligible, t.capped, t.errors, t.fell_back);
	assert_true(t.eligible > 0);
	assert_true(t.eligible < t.rows);
	assert_true(t.capped > 0);
	assert_true(t.fell_back < t.rows / 4);
	print_message("conditions failed over the columns: %zu of %zu; rate "
		      "rows chosen: %zu of %zu\n",
		      t.conds_failed, t.conds, t.rates_chosen, t.rates);
	/* Nearly every refusal reason and rate row is reached over the
	 * columns (72 of 72 and 20 of 21 with today's policies). */
	assert_true(t.conds_failed * 10 >= t.conds * 9);
	assert_true(t.rates_chosen * 10 >= t.rates * 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
