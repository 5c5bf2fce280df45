/*
 * forecast.h - when each pool of a live office runs dry, as a projection
 * of the office's own arrivals so far (docs/simulate.md, "Forecasts").
 *
 * For one pool and year, the history is every eligible application the
 * office has received that draws on it: its arrival time and the amount
 * it asked (0 for one whose money came back: rejected, withdrawn,
 * expired). A run starts at the office's now with what the pool has left
 * (available, less what queued applications ask) and draws arrivals by
 * resampling the history: an inter-arrival time from the observed gaps
 * (the gap from the last arrival to now counted as one, and the whole
 * span at least one day, so that time always moves), and independently
 * an amount from the observed amounts. Under strict arrival order the
 * pool runs dry on the day of the first arrival it cannot cover, as a
 * simulation's dry_on counts it (nobody overtakes). Under `waitlist: fit`
 * (any measure on the pool) that day is only the first refusal: smaller
 * asks are still served, and the pool runs dry on the day what is left
 * falls below the smallest ask seen in its history. A run stops at the end of
 * the fiscal year (a commitment: its last year), when the pool's
 * measures' windows have closed, or at the horizon.
 *
 * The runs are seeded: the same office, options and seed give the same
 * forecast. The median and the 80 % interval (10th and 90th percentiles)
 * are nearest-rank over the runs, a run that never ran dry counting as
 * later than any date. Money is integer fen; nothing floats.
 *
 * The forecast reads the office (its report figures and applications) and
 * never writes to its store: no transaction is begun.
 */
#ifndef QUAN_FORECAST_H
#define QUAN_FORECAST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/date.h"
#include "core/err.h"
#include "core/money.h"
#include "office/office.h"

#define FORECAST_RUNS_DEFAULT 200
#define FORECAST_RUNS_MAX 100000
#define FORECAST_HORIZON_MAX 3660 /* days */
/* Arrivals one run may draw before it is refused as too large. */
#define FORECAST_STEPS_MAX 10000000
#define FORECAST_NONE INT32_MIN /* a percentile that did not run dry */

enum forecast_status {
	FORECAST_RUNS_DRY,   /* the median run runs dry within the span */
	FORECAST_BEYOND,     /* the median run does not, before the horizon */
	FORECAST_NEVER,	     /* ... before the fiscal year or window ends */
	FORECAST_DRY,	     /* already: an eligible application waits */
	FORECAST_CLOSED,     /* the fiscal year or the windows are over */
	FORECAST_NO_HISTORY, /* nothing received yet to resample */
};

/* One pool and year of the office, and its forecast. */
struct forecast_pool {
	char program[64], pool[64];
	int year;
	money_t budget, left; /* left: available less queued asks */
	long arrivals;	      /* applications in its history */
	qdate from, until;    /* the span simulated, days inclusive */
	int status;	      /* enum forecast_status */
	qdate p10, p50, p90;  /* FORECAST_NONE: not dry within the span */
	int dry_runs;	      /* runs that ran dry */
	qdate dry_since; /* FORECAST_DRY: arrival day of the first waiting */
	bool fit;	 /* a measure on the pool waits by fit */
	qdate r10, r50, r90; /* the first refusal: FORECAST_NONE if none */
};

struct forecast_opts {
	int runs;	  /* 1..FORECAST_RUNS_MAX */
	uint64_t seed;	  /* the same seed, the same forecast */
	int horizon_days; /* 0: to the end of the fiscal year */
	int64_t now;	  /* the office's clock (epoch seconds) */
};

/* The forecast of every pool and year of an office, in office_pools_each
 * order. Owns pools (forecast_release frees it). */
struct forecast {
	struct forecast_opts opt;
	struct forecast_pool *pools;
	size_t n;
};

/* Forecast every pool and year of o under opt. Returns 0 (*out filled,
 * released by the caller with forecast_release), or Q_ERR_INVALID (opt
 * out of range), Q_ERR_TOO_LARGE (a run would draw more than
 * FORECAST_STEPS_MAX arrivals), Q_ERR_NOMEM, or the store's error; on
 * failure *out is empty. Reads only. */
int forecast_office(struct office *o, const struct forecast_opts *opt,
		    struct forecast *out, struct qerr *e);

void forecast_release(struct forecast *f);

/* The runs of one pool, the core of forecast_office, on its own for the
 * tests: arrivals at[0..n) (epoch seconds, ascending) asking amounts
 * amt[0..n) (fen, >= 0), left in the pool at now, arrivals drawn while
 * before end (epoch seconds). dry[0..runs) gets each run's dry instant,
 * INT64_MAX when it did not run dry; sorted ascending on return. n >= 1.
 * Q_ERR_TOO_LARGE as above, Q_ERR_NOMEM. */
int forecast_runs(const int64_t *at, const money_t *amt, size_t n, money_t left,
		  int64_t now, int64_t end, int runs, uint64_t seed,
		  int64_t *dry, struct qerr *e);

/* forecast_runs, and under fit (a measure on the pool serves whatever
 * fits) an arrival that does not fit waits while later, smaller ones are
 * served: the pool is then dry on the day what is left falls below the
 * smallest amount above 0 in amt (nothing seen could be served any more;
 * at now when left already is). refused[0..runs) (NULL: not wanted) gets
 * each run's first refusal (a run dry before any refusal goes on to the
 * next arrival, which is refused), sorted like dry, INT64_MAX for none
 * before end; without fit it is the dry instant itself. */
int forecast_runs_fit(const int64_t *at, const money_t *amt, size_t n,
		      money_t left, int64_t now, int64_t end, int runs,
		      uint64_t seed, bool fit, int64_t *dry, int64_t *refused,
		      struct qerr *e);

/* Nearest-rank percentile pct (1..100) of the sorted runs dry[0..runs),
 * as an office day, or FORECAST_NONE for a run that did not run dry. */
qdate forecast_percentile(const int64_t *dry, int runs, int pct);

/* "runs_dry", "beyond_horizon", "never", "dry", "closed", "no_history". */
const char *forecast_status_name(int st);

/* The forecast as JSON: {projection, runs, seed, horizon_days, today,
 * flag_within_days, pools: [{program, pool, year, budget, left,
 * arrivals, status, from, until, dry_on: {p10, p50, p90} (dates or null),
 * dry_runs, dry_since (or null), flagged, waitlist: "strict" or "fit",
 * first_refusal: {p10, p50, p90}}]}. Under fit dry_on is the day what is
 * left falls below the smallest ask seen and first_refusal the day the
 * first application had to wait; under strict the two are the same day. flagged: already dry, or the
 * median within flag_days of today (flag_days 0: never flagged unless
 * dry). A new reference, or NULL when out of memory. */
json_t *forecast_json(const struct forecast *f, int flag_days);

#endif
