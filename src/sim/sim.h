/*
 * sim.h - a population decided and allocated as the office would, in
 * memory, without a ledger (docs/simulate.md).
 *
 * Applications are given to sim_apply() in order of receipt (earliest
 * first; ties in the order given), as the office takes them. Each is
 * screened and decided by the engine the office runs (facts_build,
 * screen_run, decide_facts) with the applicant's history as the office
 * keeps it: what it asked this fiscal year under the same measure
 * (reserved, waitlisted or queued) and its compute contracts this year.
 * Then it is placed in its measure's order:
 *
 *   - first come first served: reserved when the pool's account covers
 *     it and nobody received earlier waits for that account; otherwise
 *     waitlisted (no overtaking). Under `waitlist: fit` it is reserved
 *     whenever the account covers it, whoever waits. A grant reserves
 *     its yearly tranches whole, on the accounts of the years they fall
 *     in, or waits;
 *   - pro rata: queued, and shared by office_pro_rata() when sim_finish()
 *     closes the rounds (measure by measure in policy order, years
 *     ascending), against what the account has left then.
 *
 * Money is integer fen throughout; every sum is checked. The simulation
 * never reads or writes a store.
 *
 * Ownership: struct sim owns everything it allocates; sim_release frees
 * it. The policies and the chip catalog are borrowed and must outlive it.
 */
#ifndef QUAN_SIM_H
#define QUAN_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/money.h"
#include "engine/app.h"
#include "engine/columns.h"
#include "engine/decide.h"
#include "engine/screen.h"
#include "policy/chips.h"
#include "policy/policy.h"

#define SIM_MAX_PROGRAMS 16
#define SIM_MAX_APPS 100000000ull /* applications one run may hold */
#define SIM_MAX_TRANCHES 10	  /* a grant's years, as the office allows */
#define SIM_AHEAD_BATCHES 1024	  /* measures of all the programs, at most */

/* Where an application ends, with the office's names (app_state_name). */
enum sim_state {
	SIM_INELIGIBLE,
	SIM_RESERVED, /* served: its amount is held for it */
	SIM_WAITLISTED,
	SIM_QUEUED, /* only before sim_finish: a pro-rata round to come */
};

/* What became of one application. pool is an index into sim.pools, or
 * -1 when it reached no pool (not eligible under a measure whose pool
 * has no account for its year). */
struct sim_outcome {
	money_t amount; /* asked while waiting; reserved once served */
	int32_t pool;
	uint8_t state; /* enum sim_state */
	uint8_t program;
	uint16_t measure;
};

/* One pool's account for one year (a commitment pool: one for its whole
 * span, under its first year), and what the population did to it. */
struct sim_pool {
	const struct policy *policy;
	uint32_t pool; /* index into policy->pools */
	int year;      /* the account year */
	money_t budget, available;
	money_t demand;	 /* asked by eligible applications */
	money_t awarded; /* reserved for them */
	qdate dry_on;	 /* first day an eligible one did not fit; or
			    SIM_NEVER */
	bool waiting;	 /* someone waits: later ones do not overtake */
	int64_t served, waitlisted, refused;
	/* Refusals by rule: reasons[r] counts the applications that failed
	 * rule r of policy (policy->nrules entries). */
	int64_t *reasons;
	/* The domestic share of served compute contracts (as the office's
	 * self-reliance report counts it): subsidy and H100-equivalent
	 * hours, all and on domestic chips. */
	money_t compute_subsidy, domestic_subsidy;
	int64_t hours, domestic_hours;
	/* The awards of served applications, for the distribution. */
	money_t *awards;
	size_t nawards, awards_cap;
};

#define SIM_NEVER INT32_MIN

/* The distribution of a pool's awards: nearest-rank percentiles (an
 * award itself, never interpolated) and the top ten's share of the whole
 * in basis points, rounded down. */
struct sim_dist {
	money_t p10, p50, p90, p99, max;
	int64_t top10_bp;
	int64_t domestic_subsidy_bp, domestic_hours_bp;
};

struct sim_history;
struct sim_queue;

struct sim {
	const struct policy *pols[SIM_MAX_PROGRAMS];
	size_t npols;
	const struct chip_catalog *chips;
	struct sim_pool *pools;
	size_t npools;
	struct sim_outcome *out; /* one per sim_apply, in that order */
	size_t nout, out_cap;
	struct sim_history *hist;
	struct sim_queue *queue;
	/* ahead[k][m]: measure m of pols[k] reads no history, so that
	 * sim_prepare decides it too. */
	uint8_t *ahead[SIM_MAX_PROGRAMS];
	/* fields[k][m]: the facts deciding measure m of pols[k] reads
	 * (columns_fields), gathered into columns by sim_decide_ahead. */
	uint64_t *fields[SIM_MAX_PROGRAMS];
	/* The measures of pols[k] are batches mbase[k] .. + nmeasures of
	 * sim_decide_ahead, nbatches in all. */
	uint32_t mbase[SIM_MAX_PROGRAMS];
	uint32_t nbatches;
	/* Scratch for one decision: too large for a small stack. */
	struct decision *d;
	void *screens;
	bool finished;
	/* When set, asked every SIM_STOP_EVERY applications and once before
	 * the rounds close: true stops the simulation (a time limit, a
	 * client gone), and sim_apply or sim_finish return SIM_STOPPED. The
	 * simulation can then only be released. */
	bool (*stop)(void *arg);
	void *stop_arg;
};

#define SIM_STOP_EVERY 1024
/* Not an error code (Q_ERR_*): the caller's stop said to stop. */
#define SIM_STOPPED 100

/* Prepare a simulation of the programs pols[0..npols) (distinct program
 * ids). Q_ERR_INVALID for too many or a repeated program, Q_ERR_NOMEM. On
 * failure s is released. */
int sim_init(struct sim *s, const struct policy *const *pols, size_t npols,
	     const struct chip_catalog *chips, struct qerr *e);

void sim_release(struct sim *s);

/* Room for n outcomes in all, so that a run of known size grows s->out
 * once instead of doubling it (each doubling copies what it holds and
 * briefly holds both). A hint: sim_apply grows it anyway. Q_ERR_NOMEM,
 * Q_ERR_TOO_LARGE beyond SIM_MAX_APPS; s is unchanged then. */
int sim_reserve(struct sim *s, size_t n);

/* Decide and place a, received at a->received_at (app_receive done),
 * after every application given before. *d (may be NULL) gets the
 * decision, valid until the next call. Errors name the application's
 * field: Q_ERR_UNKNOWN_PROGRAM, Q_ERR_UNKNOWN_MEASURE, Q_ERR_UNKNOWN_CHIP,
 * Q_ERR_DECISION (a policy that cannot decide it, a pool without a
 * budget for its year), Q_ERR_INVALID (a grant's term outside the
 * measure's years), Q_ERR_OVERFLOW, Q_ERR_TOO_LARGE; SIM_STOPPED (s->stop
 * said so, e set). Nothing is recorded for an application that fails, as
 * the office refuses it. */
int sim_apply(struct sim *s, const struct application *a,
	      const struct decision **d, struct qerr *e);

/* The state-free part of one application under one simulation: what
 * sim_prepare finds without reading the population's state, so that it
 * can run on any thread, ahead of the applications before it. The facts
 * are built with a history of nothing; the screens (which read the
 * application and its derived price, never the history) are kept as the
 * rules they block. facts.s points into the application, which must stay
 * as it is until sim_apply_prepared. */
struct sim_prep {
	int rc;	    /* Q_OK, or not usable: sim_apply_prepared does it all */
	int32_t k;  /* index into sim.pols */
	int32_t m;  /* the measure */
	int32_t fy; /* the fiscal year it is received in */
	uint64_t uw[3];	      /* the applicant's USCC as history key words */
	uint64_t key_hash[2]; /* of its history's keys: measure, compute */
	uint8_t nblock;
	uint32_t block[SCREEN_MAX_FLAGS]; /* rules of blocking screens */
	/* Decided ahead, when its measure reads no history (the decision is
	 * then the same whatever the history): what placing needs of it. */
	bool decided, eligible;
	uint16_t nreasons;
	money_t asked; /* decision_pool_share, when eligible */
	uint32_t reasons[DECISION_MAX_REASONS];
	struct facts f;
};

/* A preparing thread's own scratch: large (about 500 KiB), so from the
 * heap. */
struct sim_scratch {
	struct screen_result sr;
	struct decision d;
	struct columns_work cw;
	struct decision_lite lite[COLUMNS_BLOCK];
};

#define SIM_DECIDE_MAX                                                         \
	256 /* prepared applications one sim_decide_ahead takes */

/* Prepare a for s into *pp. Reads s's policies and chips only: any number
 * of threads may prepare for one simulation while another thread applies
 * to it. x is the caller's scratch (32 KiB: one per thread, not on a
 * small stack). Never fails: a failure is left in pp->rc for
 * sim_apply_prepared to meet again. */
void sim_prepare(const struct sim *s, const struct application *a,
		 struct sim_prep *pp, struct sim_scratch *x);

/* sim_prepare without the decision: pp is prepared but not decided
 * ahead. sim_decide_ahead then decides a block of them over columns. */
void sim_prepare_facts(const struct sim *s, const struct application *a,
		       struct sim_prep *pp, struct sim_scratch *x);

/* Decide ahead, over columns (engine/columns.h), the applications of
 * pps[0..n) (n <= SIM_DECIDE_MAX, each from sim_prepare_facts) that
 * sim_prepare would decide ahead: those whose measure reads no history.
 * Each measure's applications are one batch, decided by its compiled
 * program as decide_facts would decide them, so every pp ends as
 * sim_prepare leaves it. Any thread, as sim_prepare. */
void sim_decide_ahead(const struct sim *s, struct sim_prep *const *pps,
		      size_t n, struct sim_scratch *x);

/* Ask the processor for the history pp's application will read, ahead
 * of its sim_apply_prepared (a hint: nothing changes). The calling
 * thread's. */
void sim_prefetch(const struct sim *s, const struct sim_prep *pp);

/* sim_apply(s, a, d, e) given pp from sim_prepare(s, a, pp): the same
 * outcome to the fen (the history's sums are read now, in arrival order,
 * and the decision is made from the prepared facts with them), without
 * building the facts or running the screens again. pp->f is used up
 * (it gets the history): prepare again to apply again. */
int sim_apply_prepared(struct sim *s, const struct application *a,
		       struct sim_prep *pp, const struct decision **d,
		       struct qerr *e);

/* Close the pro-rata rounds. Call once, after the last sim_apply.
 * SIM_STOPPED as sim_apply. */
int sim_finish(struct sim *s, struct qerr *e);

/* The distribution of pool k's awards (sorts its awards in place). */
void sim_distribution(struct sim_pool *pl, struct sim_dist *out);

/* The pool of s that is program `program`'s pool `pool` in `year`, or
 * -1. */
int sim_find_pool(const struct sim *s, const char *program, const char *pool,
		  int year);

/* "ineligible", "reserved", "waitlisted", "queued". */
const char *sim_state_name(int st);

#endif
