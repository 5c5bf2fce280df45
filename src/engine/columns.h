/*
 * columns.h - deciding a block of applications over columns of facts
 * (struct of arrays), for the simulator.
 *
 * One engine: decide_columns() runs the program decide_facts() runs (the
 * measure's fused conditions, its base, rate table, caps and funders, the
 * same compiled instructions, exact money and its one rounding rule), but
 * each instruction over the whole block before the next
 * (expr_eval_columns), and the steps between them (dates, window, the
 * rate table's choice, the caps' limits, the funders' split) row by row
 * over arrays. A row the columns cannot decide to the end (an evaluation
 * that fails, a rate table without a match, an overflow: every case in
 * which decide_facts returns an error) is decided by decide_facts itself,
 * so the result is the same either way. tests/unit/test_columns.c holds
 * the two equal to the fen over every bundled policy and measure.
 *
 * Ownership: struct columns_work is the caller's (large: from the heap,
 * one per thread); the strings in string columns are borrowed from the
 * facts gathered and must outlive the decision.
 */
#ifndef QUAN_COLUMNS_H
#define QUAN_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "engine/decide.h"
#include "policy/expr.h"

#define COLUMNS_BLOCK EXPR_COLS_MAX /* rows in one block */

/* The facts of up to COLUMNS_BLOCK applications by field: col[id][row] is
 * what facts.i[id] (or .s[id], as a pointer) holds for that row, for the
 * fields in `fields` (columns_fields); the others are not gathered. */
struct fact_columns {
	size_t n;
	uint64_t fields; /* bit id per field id gathered */
	/* The same as a list: nids field ids, and each one's key slot or
	 * -1 (facts_skey_slot). */
	uint8_t nids;
	uint8_t ids[F__COUNT];
	int8_t slot[F__COUNT];
	int64_t col[F__COUNT][COLUMNS_BLOCK];
	uint64_t null_mask[COLUMNS_BLOCK];
	int64_t received_at[COLUMNS_BLOCK];
	int32_t kind[COLUMNS_BLOCK];
	uint8_t lists_known[COLUMNS_BLOCK];
	uint64_t supplier_lists[COLUMNS_BLOCK];
	uint16_t skey_mask[COLUMNS_BLOCK], skey_long[COLUMNS_BLOCK];
	uint64_t skey[FACTS_NSKEY][COLUMNS_BLOCK];
};

/* One row's decision, as the simulator keeps it: the fields of struct
 * decision it reads, and the pool's share (decision_pool_share). status
 * is Q_OK or the error decide_facts returns for that row (then the rest
 * is zero). */
struct decision_lite {
	int32_t status;
	bool eligible;
	bool fell_back; /* decided by decide_facts, not over the columns */
	rate_bp rate;
	int32_t rate_rule;
	money_t base, gross, amount;
	money_t pool_share;
	uint16_t nreasons;
	uint32_t reasons[DECISION_MAX_REASONS];
};

/* A thread's scratch for decide_columns: about 400 KiB. */
struct columns_work {
	struct fact_columns c;
	struct expr_cols_scratch xs;
	struct decision d; /* a row that falls back */
	const int64_t *pv[COLUMNS_BLOCK];
	const uint8_t *pn[COLUMNS_BLOCK];
	int64_t v[COLUMNS_BLOCK], lim[COLUMNS_BLOCK], hard[COLUMNS_BLOCK];
	int64_t best[COLUMNS_BLOCK];
	uint64_t pass[COLUMNS_BLOCK], nif[COLUMNS_BLOCK];
	int32_t chosen[COLUMNS_BLOCK];
	uint8_t st[COLUMNS_BLOCK], bad[COLUMNS_BLOCK];
	uint8_t live[COLUMNS_BLOCK], act[COLUMNS_BLOCK], act2[COLUMNS_BLOCK];
	uint8_t relaxed[COLUMNS_BLOCK], fb[COLUMNS_BLOCK];
};

/* The fields decide_facts may read deciding measure `measure` of p: those
 * its expressions read, and those its dates, months and caps read. */
uint64_t columns_fields(const struct policy *p, int measure);

/* Empty c, to gather the fields in `fields`. */
void fact_columns_clear(struct fact_columns *c, uint64_t fields);

/* Append facts f as the next row of c (c->n < COLUMNS_BLOCK), with its
 * string keys. */
void fact_columns_add(struct fact_columns *c, const struct facts *f);

/* Decide every row of c under measure `measure` of p, each as
 * decide_facts(p, measure, row, with_history) would: out[row]. src[row],
 * the facts row was gathered from, decides a row that falls back. Returns
 * the number of rows whose status is not Q_OK. */
size_t decide_columns(const struct policy *p, int measure,
		      const struct fact_columns *c, bool with_history,
		      const struct facts *const *src, struct decision_lite *out,
		      struct columns_work *w);

#endif
