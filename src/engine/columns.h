/*
 * columns.h - deciding a population over columns of facts (struct of
 * arrays), for the simulator.
 *
 * One engine: decide_columns() runs, for each row, the very program
 * decide_facts() runs (the measure's fused conditions, base, rate table,
 * caps and funders, with exact money and its one rounding rule); a row is
 * gathered from the columns into facts, decided, and kept as a
 * decision_lite. tests/unit/test_columns.c holds the two equal to the
 * fen over every bundled policy and measure.
 *
 * Ownership: struct fact_columns owns its columns (fact_columns_init,
 * fact_columns_release). Strings in string columns are borrowed: they
 * must outlive the columns' use.
 */
#ifndef QUAN_COLUMNS_H
#define QUAN_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "engine/decide.h"

#define COLUMNS_MAX_ROWS (1u << 24) /* rows in one batch */
#define DECISION_LITE_REASONS 4

/* Facts of n applications by field: col[id][row] is what facts.i[id] (or
 * facts.s[id], as a pointer) holds for that row. Every field has a
 * column, so any policy can read any fact. */
struct fact_columns {
	size_t n;
	int64_t *col[F__COUNT];
	uint64_t *null_mask;
	int64_t *received_at;
	int32_t *kind;
	uint8_t *lists_known;
	uint64_t *supplier_lists;
};

/* One row's decision, as the simulator keeps it. status is Q_OK or the
 * error decide_facts returned for that row (then the rest is zero). */
struct decision_lite {
	int32_t status;
	bool eligible;
	rate_bp rate;
	int32_t rate_rule;
	money_t amount;
	uint16_t nreasons; /* as decide_facts counts them */
	uint32_t reasons[DECISION_LITE_REASONS]; /* the first ones */
};

/* Allocate columns for n rows (1 .. COLUMNS_MAX_ROWS), zeroed. Q_OK,
 * Q_ERR_TOO_LARGE or Q_ERR_NOMEM (then *c is released). */
int fact_columns_init(struct fact_columns *c, size_t n);

void fact_columns_release(struct fact_columns *c);

/* Copy facts f into row `row` (< c->n). */
void fact_columns_set(struct fact_columns *c, size_t row,
		      const struct facts *f);

/* Read row `row` back into *f, with the string keys of p (facts_keys). */
void fact_columns_get(const struct fact_columns *c, size_t row,
		      const struct policy *p, struct facts *f);

/* Decide rows 0 .. n (n <= c->n) under measure `measure` of p, each as
 * decide_facts(p, measure, row, with_history) would: out[row]. Returns the
 * number of rows whose status is not Q_OK. */
size_t decide_columns(const struct policy *p, int measure,
		      const struct fact_columns *c, size_t n, bool with_history,
		      struct decision_lite *out);

#endif
