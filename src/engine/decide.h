/*
 * decide.h - the decision: is an application eligible, at what rate, for
 * how much, and why.
 *
 * decide() is a pure function of the policy, the application, the chip
 * catalog and the applicant's history; it does no I/O and no allocation, so
 * the same code serves the CLI, the server, the simulator and the tests.
 * The trace holds rule indices (policy->rules); it is rendered to text only
 * when shown (engine/render.h).
 */
#ifndef QUAN_DECIDE_H
#define QUAN_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/money.h"
#include "engine/app.h"
#include "policy/chips.h"
#include "policy/fields.h"
#include "policy/policy.h"

#define DECISION_MAX_CAPS 16
#define DECISION_MAX_REASONS 32
#define DECISION_MAX_TRACE 64
#define DECISION_MAX_FLAGS 8
#define DECISION_MAX_FUNDERS 8

/* What the decision knows of the applicant's past. Without a database
 * (quan estimate) from_db is false and both sums are 0: yearly caps count
 * this contract alone, and the output says so. */
struct history {
	bool from_db;
	money_t awarded_year;		/* awarded this fiscal year, before */
	money_t compute_contracts_year; /* earlier compute contracts, same year */
	/* The supplier's named lists, as the office looked them up
	 * (screen_supplier_lists): bit k when it is on the policy's list k.
	 * Unknown (a condition that reads one cannot be decided) unless
	 * lists_known. */
	bool lists_known;
	uint64_t supplier_lists;
};

enum trace_outcome {
	TRACE_PASSED,	     /* an eligibility rule held, kind/window fine */
	TRACE_FAILED,	     /* an eligibility rule failed */
	TRACE_MATCHED,	     /* a rate row matched (not chosen) */
	TRACE_CHOSEN,	     /* the rate row that set the rate */
	TRACE_NOT_IN_FORCE,  /* a rule whose parameter is null on the date */
	TRACE_APPLIED,	     /* a base, or a cap that cut the amount */
	TRACE_NOT_BINDING,   /* a cap that applied but did not cut */
	TRACE_RELAXED,	     /* a cap relaxed by its condition */
	TRACE_SOFT_EXCEEDED, /* a soft cap cut: value = what a reviewer may
				approve under it (at most its hard limit) */
	TRACE_SHARE,	     /* a funder's share: value = its amount */
};

struct trace_entry {
	uint32_t rule;
	uint8_t outcome; /* enum trace_outcome */
	int64_t value;	 /* rate bp, base, cap limit ... (per kind) */
};

struct cap_hit {
	uint32_t rule; /* the cap, or its relaxed rule */
	money_t limit; /* the limit that applied (remaining, per year) */
	money_t cut;   /* how much it took off, > 0 */
};

/* Something a reviewer must look at; the decision itself stays as the
 * rules give it. */
enum decision_flag_kind {
	/* A soft cap cut the amount: the part above it, up to the hard
	 * limit, may be paid only with a reviewer's say. */
	FLAG_SOFT_CAP_EXCEEDED,
};

struct decision_flag {
	uint8_t kind;	    /* enum decision_flag_kind */
	uint32_t rule;	    /* the soft cap (or its relaxed rule) */
	money_t limit;	    /* the soft limit that applied */
	money_t hard_limit; /* the hard limit (remaining, per year) */
	money_t above;	    /* the amount before the cap less the limit */
	money_t up_to;	    /* min(amount before the cap, hard_limit) */
};

/* One funder's part of the amount (policy_measure.funders). */
struct funder_share {
	uint32_t rule; /* the funder's rule */
	money_t amount;
};

struct decision {
	int32_t measure; /* index into policy->measures, -1 if unknown */
	bool eligible;
	rate_bp rate;	   /* 0 when not eligible */
	int32_t rate_rule; /* rule index of the chosen row, -1 none */
	money_t base;	   /* the base the rate applies to */
	money_t gross;	   /* base x rate, rounded down */
	money_t amount;	   /* after caps */
	/* The most a reviewer may approve: the amount with every soft cap
	 * at its hard limit; equal to amount when no soft cap cut. */
	money_t review_up_to;
	bool yearly_caps_without_history;	/* true in estimate mode */
	uint32_t reasons[DECISION_MAX_REASONS]; /* failed rule indices */
	uint16_t nreasons;
	struct cap_hit caps[DECISION_MAX_CAPS];
	uint16_t ncaps;
	struct trace_entry trace[DECISION_MAX_TRACE];
	uint16_t ntrace;
	uint16_t trace_truncated;
	struct decision_flag flags[DECISION_MAX_FLAGS];
	uint16_t nflags;
	/* The amount split between the measure's funders, in policy order;
	 * the shares add up to amount exactly. None without funders. */
	struct funder_share funders[DECISION_MAX_FUNDERS];
	uint16_t nfunders;
	qdate params_date; /* signed_on: the date whose values applied */
};

/* The part of d's amount that the measure's pool pays: the amount less the
 * shares of external funders (policy_funder.external); the whole amount
 * without funders. Works on a decision decoded from its record, since the
 * shares are found by their rules in p, the policy it was made under. */
money_t decision_pool_share(const struct policy *p, const struct decision *d);

/* The part of a total amount that measure `measure`'s pool pays, split
 * as a decision splits it (the approval of a smaller amount, a
 * settlement): *out. 0, or -1 when the split overflows. */
int measure_pool_share(const struct policy *p, int measure, money_t amount,
		       money_t *out);

/* Whether d's funder share i is an external funder's. */
bool decision_funder_external(const struct policy *p, const struct decision *d,
			      size_t i);

/* The fact that holds the contract's other subsidies at each level. */
extern const int facts_subsidy_field[SUBSIDY_LEVEL__COUNT];

/* Whether a stacked cap counts the other subsidies of level l: those of
 * its levels, and always those whose level the application does not give. */
static inline bool cap_counts_level(const struct policy_cap *c, int l)
{
	return ((c->levels | 1u) & (1u << l)) != 0;
}

/* Fill the facts of application a (fields.h). Q_ERR_UNKNOWN_CHIP when the
 * compute chip is not in the catalog. hist may be NULL (no history). */
int facts_build(const struct application *a, const struct chip_catalog *chips,
		const struct history *hist, struct facts *f, struct qerr *e);

/* Set the facts that come from the applicant's history (what it holds this
 * fiscal year, its compute contracts this year with a's own added) on
 * facts already built from a. facts_build calls it; the office builds the
 * rest of the facts once, off the writer, and this on the writer, where
 * the history is known. hist may be NULL. */
int facts_history(struct facts *f, const struct application *a,
		  const struct history *hist, struct qerr *e);

/* Decide a under p. Returns 0 when decided, eligible or not (see
 * out->eligible); otherwise an error with e filled: Q_ERR_UNKNOWN_MEASURE,
 * Q_ERR_UNKNOWN_PROGRAM (a names another program), Q_ERR_UNKNOWN_CHIP,
 * Q_ERR_DECISION (no rate row matches an eligible application, two rows of a
 * `unique` table match, or arithmetic overflowed). hist may be NULL. */
int decide(const struct policy *p, const struct application *a,
	   const struct chip_catalog *chips, const struct history *hist,
	   struct decision *out, struct qerr *e);

/* decide() with the supplier's named lists known: bit k of lists set when
 * the supplier is on the policy's list k (screen_supplier_lists). decide()
 * leaves them unknown, and a condition that reads one cannot be decided
 * (Q_ERR_DECISION); an estimate without a database passes 0 (on no list)
 * and says so. */
int decide_listed(const struct policy *p, const struct application *a,
		  const struct chip_catalog *chips, const struct history *hist,
		  uint64_t lists, struct decision *out, struct qerr *e);

/* The same over facts already built, for callers that build facts once
 * (the benchmark, the simulator). measure is an index into p->measures.
 * It follows the measure's plan (policy_measure.plan_*). */
int decide_facts(const struct policy *p, int measure, const struct facts *f,
		 bool with_history, struct decision *out, struct qerr *e);

/* decide_facts read plainly: every expression through the interpreter
 * loop, the trace through its bounds checks, no plan. The reference the
 * planned path must equal field for field (tests/unit/test_plan.c);
 * decide_facts also falls back to it for anything outside the plan. */
int decide_facts_ref(const struct policy *p, int measure, const struct facts *f,
		     bool with_history, struct decision *out, struct qerr *e);

#endif
