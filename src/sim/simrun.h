/*
 * simrun.h - a population run through simulations, and the report of
 * `quan simulate --json`, shared by the CLI and POST /v1/simulate so that
 * both say the same thing (docs/simulate.md).
 *
 * A population is a list of applications in order of receipt: synthetic
 * ones (made again from the generator when their turn comes) or an
 * office's own (their JSON text, copied). Ownership: struct simrun_pop
 * owns its items and generator; simrun_pop_release frees them.
 */
#ifndef QUAN_SIMRUN_H
#define QUAN_SIMRUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "sim/gen.h"
#include "sim/sim.h"
#include "store/store.h"

/* The calibration of a synthetic population (docs/simulate.md): one in
 * ten fails a condition, one in a hundred is a large contract. */
#define SIMRUN_INELIGIBLE_PCT 10
#define SIMRUN_LARGE_PCT 1

struct simrun_item {
	int64_t at; /* received at, epoch seconds */
	uint64_t n; /* the order it came in (a synthetic one's number) */
	char *json; /* NULL for a synthetic one */
};

struct simrun_pop {
	struct simrun_item *v;
	size_t n, cap;
	struct gen *gen; /* synthetic: the generator, else NULL */
};

/* n synthetic Shanghai 2025 applications for seed, calibrated as above,
 * sorted by arrival. Q_ERR_NOMEM; on failure p is released. */
int simrun_pop_synthetic(struct simrun_pop *p, uint64_t n, uint64_t seed,
			 struct qerr *e);

/* Every application of store s whose program is one of programs[0..n),
 * with the time it was received, sorted by arrival. Reads only (no
 * transaction is begun). On failure p is released. */
int simrun_pop_store(struct simrun_pop *p, struct store *s,
		     const char *const *programs, size_t n, struct qerr *e);

void simrun_pop_release(struct simrun_pop *p);

/* Apply every application of p to each of sims[0..nsims) (kept in step:
 * an application one refuses is left out of all), then close their
 * rounds. An application the simulations refuse is counted in *refused
 * (may be NULL) and skipped, as `quan simulate` does. Returns 0,
 * SIM_STOPPED when a simulation's stop said so, or the error that ended
 * the run (e). */
int simrun_run(const struct simrun_pop *p, struct sim *sims, size_t nsims,
	       uint64_t *refused, struct qerr *e);

/* The same, and at[j] (p->n entries, may be NULL) gets the arrival time
 * of each simulation's outcome j, for simrun_burndown_json. */
int simrun_run_at(const struct simrun_pop *p, struct sim *sims, size_t nsims,
		  uint64_t *refused, int64_t *at, struct qerr *e);

/* Each pool of s over time, for a burn-down chart: [{program, pool, year,
 * budget, points: [{on, left}]}], left after each day on which a served
 * application (at[j], from simrun_run_at) was received; the first point
 * is the budget on the first such day. A pro-rata share counts on its
 * arrival day. A new reference, or NULL when out of memory. */
json_t *simrun_burndown_json(const struct sim *s, const int64_t *at);

/* One pool of a simulation as `quan simulate --json` prints it (sorts
 * its awards). A new reference, or NULL when out of memory. */
json_t *simrun_pool_json(struct sim_pool *pl);

/* The document of `quan simulate --json`: {applications, reformed, pools},
 * each pool of the last simulation, and with two (baseline, reform) each
 * with its baseline and difference. A new reference, or NULL. */
json_t *simrun_json(struct sim *sims, size_t nsims, bool reformed);

#endif
