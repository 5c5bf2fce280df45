/*
 * factgen.h - random facts for one measure of a policy, for the tests that
 * hold two ways of deciding equal over every bundled policy (test_columns:
 * the columns against decide_facts; test_plan: the plan against the
 * interpreter).
 *
 * Every field is varied: booleans, nulls, kinds, the strings the bundled
 * conditions name and near misses of them, amounts and integers at and
 * around the thresholds the policies use, signing dates and receipt times
 * at the measure's own dates and window edges, one second or one day
 * either side. Rows near an eligible seed cross each condition at its
 * edges. The draws depend only on the state *s (xorshift64*, never 0):
 * the same seed draws the same rows, so a failure can be replayed. The
 * strings drawn are static; the facts own nothing and need no freeing.
 */
#ifndef QUAN_FACTGEN_H
#define QUAN_FACTGEN_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/date.h"
#include "core/err.h"
#include "engine/decide.h"
#include "policy/fields.h"
#include "policy/policy.h"

/* How many draws factgen_seed tries before it gives up on a measure. */
#define FACTGEN_SEED_TRIES 400000

/* The next number of the generator whose state is *s (not 0). */
static inline uint64_t factgen_rnd(uint64_t *s)
{
	assert(s);
	assert(*s != 0);
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* One of the n values v, drawn from *s. */
static inline int64_t factgen_pick(uint64_t *s, const int64_t *v, size_t n)
{
	assert(v);
	assert(n > 0);
	return v[factgen_rnd(s) % n];
}

#define FACTGEN_PICK(s, v) factgen_pick(s, v, sizeof(v) / sizeof(v[0]))

/* A string a condition may compare: the ones the bundled policies name,
 * near misses of them, the empty one and one longer than a string key. */
static inline const char *factgen_string(uint64_t *s)
{
	static const char *const strings[] = {"shanghai",
					      "hangzhou",
					      "beijing",
					      "chengdu",
					      "shenzhen",
					      "zhengzhou",
					      "henan",
					      "suzhou",
					      "",
					      "shanghaii",
					      "shangha",
					      "I65",
					      "I63",
					      "I6510",
					      "C39",
					      "M73",
					      "ascend-910c",
					      "ascend-910b",
					      "nvidia-h100",
					      "cambricon-mlu590",
					      "enterprise",
					      "individual",
					      "institution",
					      "social",
					      "other",
					      "longer-than-eight-bytes"};

	return strings[factgen_rnd(s) % (sizeof(strings) / sizeof(strings[0]))];
}

/* Every field of *f drawn by its type, a quarter of the nullable ones
 * null; the kind and the dates are left to factgen_draw. */
static inline void factgen_fields(uint64_t *s, struct facts *f)
{
	static const int64_t money[] = {
		0,	     1,		 99,	    100,	9999,
		1000000,     10000000,	 99999999,  100000000,	100000001,
		499999999,   500000000,	 500000001, 1000000000, 5000000000,
		50000000000, 60000000000};
	static const int64_t ints[] = {-1, 0,  1,  2,  3,   5,	  11,	12,
				       13, 23, 24, 35, 36,  37,	  48,	59,
				       60, 61, 72, 73, 100, 1000, 8760, 100000};
	qdate lo = date_from_ymd(2022, 1, 1), hi = date_from_ymd(2028, 1, 1);

	assert(f);
	assert(hi > lo);
	memset(f, 0, sizeof(*f));
	for (int k = 0; k < F__COUNT; k++) {
		switch (field_table[k].type) {
		case QT_BOOL:
			f->i[k] = (int64_t)(factgen_rnd(s) & 1);
			break;
		case QT_MONEY:
			f->i[k] = factgen_rnd(s) % 3
					  ? FACTGEN_PICK(s, money)
					  : (int64_t)(factgen_rnd(s) %
						      100000000000);
			break;
		case QT_DATE:
			f->i[k] = lo +
				  (qdate)(factgen_rnd(s) % (uint64_t)(hi - lo));
			break;
		case QT_STRING:
			f->s[k] = factgen_string(s);
			break;
		default:
			f->i[k] = factgen_rnd(s) % 3
					  ? FACTGEN_PICK(s, ints)
					  : (int64_t)(factgen_rnd(s) % 20000);
			break;
		}
		if (field_table[k].nullable && factgen_rnd(s) % 4 == 0)
			f->null_mask |= 1ull << k;
	}
}

/* The signing date of *f moved, one time in two, to a day at or either
 * side of one of m's own dates (from, until, the kind's from). */
static inline qdate factgen_signed_on(uint64_t *s,
				      const struct policy_measure *m,
				      const struct facts *f)
{
	qdate on = (qdate)f->i[F_CONTRACT_SIGNED_ON];

	assert(m);
	assert(f->kind >= 0 && f->kind < KIND__COUNT);
	switch (factgen_rnd(s) % 6) {
	case 0:
		if (m->from_rule != UINT32_MAX)
			on = m->from + (qdate)(factgen_rnd(s) % 3) - 1;
		break;
	case 1:
		if (m->until_rule != UINT32_MAX)
			on = m->until + (qdate)(factgen_rnd(s) % 3) - 1;
		break;
	case 2:
		if (m->kind_rules[f->kind] != UINT32_MAX)
			on = m->kind_from[f->kind] +
			     (qdate)(factgen_rnd(s) % 3) - 1;
		break;
	default:
		break;
	}
	return on;
}

/* A receipt time for a contract signed on `on`: at m's window's opening
 * or closing, a second either side, or within 60 days of signing. */
static inline int64_t
factgen_received_at(uint64_t *s, const struct policy_measure *m, qdate on)
{
	assert(m);
	assert(m->window_opens <= m->window_closes);
	switch (factgen_rnd(s) % 4) {
	case 0:
		return m->window_opens == INT64_MIN
			       ? (int64_t)on * 86400
			       : m->window_opens +
					 (int64_t)(factgen_rnd(s) % 3) - 1;
	case 1:
		return m->window_closes == INT64_MAX
			       ? (int64_t)on * 86400 + 86399
			       : m->window_closes +
					 (int64_t)(factgen_rnd(s) % 3) - 1;
	default: {
		/* Two draws, in an order C fixes (operands of + are not). */
		qdate day = on + (qdate)(factgen_rnd(s) % 60);
		int64_t second = (int64_t)(factgen_rnd(s) % 86400);

		return (int64_t)day * 86400 + second - DATE_OFFICE_OFFSET;
	}
	}
}

/* Draw one application's facts for measure m into *f (no string keys:
 * facts_keys adds them). */
static inline void factgen_draw(uint64_t *s, const struct policy_measure *m,
				struct facts *f)
{
	qdate on;

	assert(m);
	assert(f);
	factgen_fields(s, f);
	/* The kind as both the engine and the conditions see it. */
	f->kind = (int32_t)(factgen_rnd(s) % KIND__COUNT);
	if (factgen_rnd(s) % 2)
		for (int k = 0; k < KIND__COUNT; k++)
			if (m->kinds & (1u << k) && factgen_rnd(s) % 2) {
				f->kind = k;
				break;
			}
	f->s[F_CONTRACT_KIND] = kind_name(f->kind);
	/* Signing dates at the measure's own edges. */
	on = factgen_signed_on(s, m, f);
	f->i[F_CONTRACT_SIGNED_ON] = on;
	/* A credit record at and around three years before. */
	if (factgen_rnd(s) % 2)
		f->i[F_APPLICANT_LAST_BAD_CREDIT_ON] =
			date_add_years(on, -3) + (qdate)(factgen_rnd(s) % 3) -
			1;
	/* Received at the window's edges, or inside it. */
	f->received_at = factgen_received_at(s, m, on);
	f->i[F_RECEIVED_ON] = date_of_instant(f->received_at);
	f->lists_known = factgen_rnd(s) % 4 != 0;
	f->supplier_lists = factgen_rnd(s);
}

/* A row near an eligible one: the seed with one to three fields, and
 * maybe the kind or the receipt, taken from a fresh draw, so that each
 * condition is crossed at and around its edges. */
static inline void factgen_near(uint64_t *s, const struct policy_measure *m,
				const struct facts *seed, struct facts *f)
{
	struct facts x;
	int k = (int)(factgen_rnd(s) % 3) + 1;

	assert(seed);
	assert(f && f != seed);
	factgen_draw(s, m, &x);
	*f = *seed;
	while (k--) {
		int id = (int)(factgen_rnd(s) % F__COUNT);

		f->i[id] = x.i[id];
		f->null_mask = (f->null_mask & ~(1ull << id)) |
			       (x.null_mask & (1ull << id));
	}
	if (factgen_rnd(s) % 4 == 0) {
		f->kind = x.kind;
		f->s[F_CONTRACT_KIND] = x.s[F_CONTRACT_KIND];
	}
	if (factgen_rnd(s) % 4 == 0)
		f->received_at = x.received_at;
	f->i[F_RECEIVED_ON] = date_of_instant(f->received_at);
}

/* How a test decides a row: decide_facts or decide_facts_ref. */
typedef int (*factgen_decide_fn)(const struct policy *p, int measure,
				 const struct facts *f, bool with_history,
				 struct decision *out, struct qerr *e);

/* An eligible row of measure m (with history), as decide_with finds it,
 * searched among random draws: 1 with *seed set (and *d its decision), 0
 * when none of FACTGEN_SEED_TRIES draws is. */
static inline int factgen_seed(uint64_t *s, const struct policy *p, int m,
			       factgen_decide_fn decide_with,
			       struct decision *d, struct facts *seed)
{
	assert(p && decide_with && d && seed);
	assert(m >= 0 && (size_t)m < p->nmeasures);
	for (int t = 0; t < FACTGEN_SEED_TRIES; t++) {
		struct qerr e;

		factgen_draw(s, &p->measures[m], seed);
		if (!decide_with(p, m, seed, true, d, &e) && d->eligible)
			return 1;
	}
	return 0;
}

#endif
