/*
 * forecast.c - when each pool of a live office runs dry (forecast.h).
 */
#include "sim/forecast.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define DAY 86400

/* splitmix64: small, seedable, and the same on every machine. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform index below n (n >= 1), by the multiply-high method. */
static size_t rng_below(uint64_t *s, size_t n)
{
	assert(n >= 1);
	return (size_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

int forecast_runs(const int64_t *at, const money_t *amt, size_t n, money_t left,
		  int64_t now, int64_t end, int runs, uint64_t seed,
		  int64_t *dry, struct qerr *e)
{
	return forecast_runs_fit(at, amt, n, left, now, end, runs, seed, false,
				 dry, NULL, e);
}

/* The smallest amount above 0 of amt[0..n), or 0 when there is none (every
 * arrival asks nothing, which always fits). */
static money_t smallest_ask(const money_t *amt, size_t n)
{
	money_t least = 0;

	for (size_t i = 0; i < n; i++)
		if (amt[i] > 0 && (least == 0 || amt[i] < least))
			least = amt[i];
	return least;
}

int forecast_runs_fit(const int64_t *at, const money_t *amt, size_t n,
		      money_t left, int64_t now, int64_t end, int runs,
		      uint64_t seed, bool fit, int64_t *dry, int64_t *refused,
		      struct qerr *e)
{
	int64_t *gap, total = 0;
	uint64_t rs = seed;
	money_t least = smallest_ask(amt, n);

	assert(at && amt && dry && n >= 1 && runs >= 1);
	assert(least >= 0);
	gap = malloc(n * sizeof(*gap));
	if (!gap)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	/* The gaps between arrivals, and the one from the last to now: the
	 * office has seen nothing since, which is part of its pace. */
	gap[0] = now > at[n - 1] ? now - at[n - 1] : 0;
	for (size_t i = 1; i < n; i++) {
		assert(at[i] >= at[i - 1]);
		gap[i] = at[i] - at[i - 1];
	}
	for (size_t i = 0; i < n; i++)
		total += gap[i];
	/* Everything received in one second says nothing of a pace: take
	 * it as at least one day, so that time moves in every run. */
	if (total < DAY)
		gap[0] += DAY - total;
	for (int r = 0; r < runs; r++) {
		int64_t t = now;
		money_t avail = left;
		long steps = 0;

		dry[r] = INT64_MAX;
		if (refused)
			refused[r] = INT64_MAX;
		/* Under fit, a pool that cannot cover the smallest ask is dry
		 * now, whatever arrives; the run goes on only to find its
		 * first refusal. */
		if (fit && avail < least)
			dry[r] = now;
		for (;;) {
			money_t a;

			t += gap[rng_below(&rs, n)];
			if (t > end)
				break;
			a = amt[rng_below(&rs, n)];
			assert(a >= 0);
			if (a > avail) {
				if (refused && refused[r] == INT64_MAX)
					refused[r] = t;
				if (!fit) {
					dry[r] = t;
					break;
				}
				/* fit: it waits, and smaller ones are served */
				if (dry[r] != INT64_MAX)
					break;
			} else {
				avail -= a;
				if (fit && dry[r] == INT64_MAX &&
				    avail < least) {
					dry[r] = t;
					if (!refused || refused[r] != INT64_MAX)
						break;
				}
			}
			if (++steps > FORECAST_STEPS_MAX) {
				free(gap);
				return qerr_set(
					e, Q_ERR_TOO_LARGE, "",
					"a run would draw more than %d arrivals",
					FORECAST_STEPS_MAX);
			}
		}
	}
	free(gap);
	qsort(dry, (size_t)runs, sizeof(*dry), cmp_i64);
	if (refused)
		qsort(refused, (size_t)runs, sizeof(*refused), cmp_i64);
	return 0;
}

qdate forecast_percentile(const int64_t *dry, int runs, int pct)
{
	int k;

	assert(runs >= 1 && pct >= 1 && pct <= 100);
	k = (pct * runs + 99) / 100 - 1;
	assert(k >= 0 && k < runs);
	return dry[k] == INT64_MAX ? FORECAST_NONE : date_of_instant(dry[k]);
}

const char *forecast_status_name(int st)
{
	static const char *const names[] = {"runs_dry", "beyond_horizon",
					    "never",	"dry",
					    "closed",	"no_history"};

	assert(st >= 0 && st <= FORECAST_NO_HISTORY);
	return names[st];
}

/* --- the office ------------------------------------------------------------ */

/* One pool and year's history while it is gathered. */
struct hist {
	int64_t *at;
	money_t *amt;
	size_t n, cap;
	money_t queued;	 /* what queued applications ask */
	int64_t waiting; /* earliest waitlisted arrival, INT64_MAX */
	int64_t closes;	 /* the last window's close among its measures */
	bool fit;	 /* a measure on it waits by fit */
	const struct policy *policy;
	uint32_t pool;
};

struct gather {
	struct office *o;
	struct forecast *f;
	struct hist *h;
	size_t cap;
	int rc;
};

static const struct policy *policy_of(struct office *o, const char *program)
{
	for (size_t i = 0; i < o->npolicies; i++)
		if (!strcmp(o->policies[i]->program, program))
			return o->policies[i];
	return NULL;
}

static int add_figures(void *arg, const struct office_pool_figures *fig)
{
	struct gather *g = arg;
	struct forecast_pool *fp;
	struct hist *h;

	if (g->f->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct forecast_pool *p =
			realloc(g->f->pools, cap * sizeof(*p));
		struct hist *hh;

		if (!p)
			return g->rc = Q_ERR_NOMEM;
		g->f->pools = p;
		hh = realloc(g->h, cap * sizeof(*hh));
		if (!hh)
			return g->rc = Q_ERR_NOMEM;
		g->h = hh;
		g->cap = cap;
	}
	fp = &g->f->pools[g->f->n];
	h = &g->h[g->f->n];
	memset(fp, 0, sizeof(*fp));
	memset(h, 0, sizeof(*h));
	g->f->n++;
	snprintf(fp->program, sizeof(fp->program), "%s", fig->program);
	snprintf(fp->pool, sizeof(fp->pool), "%s", fig->pool);
	fp->year = fig->year;
	fp->budget = fig->budget;
	fp->left = fig->available;
	fp->p10 = fp->p50 = fp->p90 = fp->dry_since = FORECAST_NONE;
	fp->r10 = fp->r50 = fp->r90 = FORECAST_NONE;
	/* The end of the span the pool pays: its fiscal year, or a
	 * commitment's last year. */
	fp->until =
		date_from_ymd((fig->until ? fig->until : fig->year) + 1, 1, 1) -
		1;
	h->waiting = INT64_MAX;
	h->closes = INT64_MIN;
	h->policy = policy_of(g->o, fig->program);
	if (h->policy) {
		const struct policy *p = h->policy;

		for (size_t i = 0; i < p->npools; i++)
			if (!strcmp(p->pools[i].id, fig->pool))
				h->pool = (uint32_t)i;
		for (size_t m = 0; m < p->nmeasures; m++) {
			if (p->measures[m].pool != h->pool)
				continue;
			if (p->measures[m].window_closes > h->closes)
				h->closes = p->measures[m].window_closes;
			if (p->measures[m].waitlist == WAITLIST_FIT)
				h->fit = true;
		}
	}
	return 0;
}

static int hist_push(struct hist *h, int64_t at, money_t amt)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		int64_t *a = realloc(h->at, cap * sizeof(*a));
		money_t *m;

		if (!a)
			return -1;
		h->at = a;
		m = realloc(h->amt, cap * sizeof(*m));
		if (!m)
			return -1;
		h->amt = m;
		h->cap = cap;
	}
	h->at[h->n] = at;
	h->amt[h->n] = amt;
	h->n++;
	return 0;
}

/* What application a drew on its pool: its request while it holds or
 * waits, its award once awarded, nothing once its money came back. */
static money_t drawn(const struct store_app *a)
{
	switch (a->state) {
	case APP_AWARDED:
		return a->awarded;
	case APP_REJECTED:
	case APP_WITHDRAWN:
	case APP_EXPIRED:
		return 0;
	default:
		return a->requested;
	}
}

static int add_app(void *arg, const struct store_app *a)
{
	struct gather *g = arg;
	const struct policy *p;
	int m, year;

	if (a->state == APP_INELIGIBLE)
		return 0;
	p = policy_of(g->o, a->program);
	if (!p)
		return 0;
	m = policy_find_measure(p, a->measure, strlen(a->measure));
	if (m < 0)
		return 0;
	year = policy_pool_account_year(p, p->measures[m].pool, a->fiscal_year);
	for (size_t i = 0; i < g->f->n; i++) {
		struct hist *h = &g->h[i];

		if (h->policy != p || h->pool != p->measures[m].pool ||
		    g->f->pools[i].year != year)
			continue;
		if (hist_push(h, a->received_at, drawn(a) > 0 ? drawn(a) : 0)) {
			g->rc = Q_ERR_NOMEM;
			return 1;
		}
		if (a->state == APP_QUEUED &&
		    money_add(h->queued, a->requested, &h->queued)) {
			g->rc = Q_ERR_OVERFLOW;
			return 1;
		}
		if (a->state == APP_WAITLISTED && a->received_at < h->waiting)
			h->waiting = a->received_at;
		break;
	}
	return 0;
}

/* A seed of its own for each pool and year, from the forecast's seed, so
 * that adding a program does not move another's forecast. */
static uint64_t pool_seed(uint64_t seed, const struct forecast_pool *fp)
{
	uint64_t h = 1469598103934665603ull ^ seed;

	for (const char *c = fp->program; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (const char *c = fp->pool; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return (h ^ (uint64_t)(uint32_t)fp->year) * 1099511628211ull;
}

static int forecast_one(const struct forecast_opts *opt,
			struct forecast_pool *fp, struct hist *h, int64_t *dry,
			int64_t *refused, struct qerr *e)
{
	int64_t end = (int64_t)(fp->until + 1) * DAY - DATE_OFFICE_OFFSET - 1;
	bool horizon_first = false;
	int rc;

	if (h->closes != INT64_MIN && h->closes < end)
		end = h->closes;
	if (opt->horizon_days > 0 &&
	    opt->now + (int64_t)opt->horizon_days * DAY < end) {
		end = opt->now + (int64_t)opt->horizon_days * DAY;
		horizon_first = true;
	}
	fp->from = date_of_instant(opt->now);
	fp->until = date_of_instant(end);
	fp->arrivals = (long)h->n;
	fp->fit = h->fit;
	if (money_sub(fp->left, h->queued, &fp->left) || fp->left < 0)
		fp->left = 0;
	/* Strict: an application waiting means the pool is dry. Fit: it
	 * was refused, but the pool is dry only once what is left is below
	 * the smallest ask seen; until then smaller ones are served. */
	if (h->waiting != INT64_MAX &&
	    (!h->fit || fp->left < smallest_ask(h->amt, h->n))) {
		fp->status = FORECAST_DRY;
		fp->dry_since = date_of_instant(h->waiting);
		fp->r10 = fp->r50 = fp->r90 = fp->dry_since;
		return 0;
	}
	if (opt->now > end) {
		fp->status = FORECAST_CLOSED;
		return 0;
	}
	if (!h->n) {
		fp->status = FORECAST_NO_HISTORY;
		return 0;
	}
	rc = forecast_runs_fit(h->at, h->amt, h->n, fp->left, opt->now, end,
			       opt->runs, pool_seed(opt->seed, fp), h->fit, dry,
			       refused, e);
	if (rc)
		return rc;
	for (int r = 0; r < opt->runs; r++)
		fp->dry_runs += dry[r] != INT64_MAX;
	fp->p10 = forecast_percentile(dry, opt->runs, 10);
	fp->p50 = forecast_percentile(dry, opt->runs, 50);
	fp->p90 = forecast_percentile(dry, opt->runs, 90);
	if (h->waiting != INT64_MAX) {
		/* fit, refusing already: the first refusal is behind us */
		fp->r10 = fp->r50 = fp->r90 = date_of_instant(h->waiting);
	} else {
		fp->r10 = forecast_percentile(refused, opt->runs, 10);
		fp->r50 = forecast_percentile(refused, opt->runs, 50);
		fp->r90 = forecast_percentile(refused, opt->runs, 90);
	}
	fp->status = fp->p50 != FORECAST_NONE ? FORECAST_RUNS_DRY
		     : horizon_first	      ? FORECAST_BEYOND
					      : FORECAST_NEVER;
	return 0;
}

/* Sort a history by arrival, amounts alongside (imports may have been
 * received out of the store's order). */
static int hist_sort(struct hist *h)
{
	size_t *idx;
	int64_t *at;
	money_t *amt;

	if (h->n < 2)
		return 0;
	for (size_t i = 1; i < h->n; i++)
		if (h->at[i] < h->at[i - 1])
			goto unsorted;
	return 0;
unsorted:
	idx = malloc(h->n * sizeof(*idx));
	at = malloc(h->n * sizeof(*at));
	amt = malloc(h->n * sizeof(*amt));
	if (!idx || !at || !amt) {
		free(idx);
		free(at);
		free(amt);
		return -1;
	}
	/* Pack (at, index) pairs through the sorted order of at: the
	 * amounts follow their arrivals; ties keep the store's order. */
	for (size_t i = 0; i < h->n; i++)
		idx[i] = i;
	for (size_t i = 1; i < h->n; i++) { /* insertion sort on idx */
		size_t k = idx[i], j = i;

		while (j > 0 && h->at[idx[j - 1]] > h->at[k]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = k;
	}
	for (size_t i = 0; i < h->n; i++) {
		at[i] = h->at[idx[i]];
		amt[i] = h->amt[idx[i]];
	}
	free(h->at);
	free(h->amt);
	free(idx);
	h->at = at;
	h->amt = amt;
	return 0;
}

int forecast_office(struct office *o, const struct forecast_opts *opt,
		    struct forecast *out, struct qerr *e)
{
	struct gather g = {o, out, NULL, 0, 0};
	int64_t *dry = NULL, *refused = NULL;
	int rc;

	assert(o && opt && out);
	memset(out, 0, sizeof(*out));
	if (opt->runs < 1 || opt->runs > FORECAST_RUNS_MAX)
		return qerr_set(e, Q_ERR_INVALID, "runs",
				"runs: %d is not within 1..%d", opt->runs,
				FORECAST_RUNS_MAX);
	if (opt->horizon_days < 0 || opt->horizon_days > FORECAST_HORIZON_MAX)
		return qerr_set(e, Q_ERR_INVALID, "horizon",
				"horizon: %d days is not within 0..%d",
				opt->horizon_days, FORECAST_HORIZON_MAX);
	out->opt = *opt;
	rc = office_pools_each(o, add_figures, &g, e);
	if (!rc && g.rc)
		rc = qerr_set(e, g.rc, "", "out of memory");
	if (!rc)
		rc = store_app_each(o->store, NULL, -1, add_app, &g, e);
	if (!rc && g.rc)
		rc = qerr_set(e, g.rc, "", "out of memory or overflow");
	if (!rc && (!(dry = malloc((size_t)opt->runs * sizeof(*dry))) ||
		    !(refused = malloc((size_t)opt->runs * sizeof(*refused)))))
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	for (size_t i = 0; !rc && i < out->n; i++) {
		if (hist_sort(&g.h[i]))
			rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		else
			rc = forecast_one(opt, &out->pools[i], &g.h[i], dry,
					  refused, e);
	}
	for (size_t i = 0; i < out->n; i++) {
		free(g.h[i].at);
		free(g.h[i].amt);
	}
	free(g.h);
	free(dry);
	free(refused);
	if (rc)
		forecast_release(out);
	return rc;
}

void forecast_release(struct forecast *f)
{
	free(f->pools);
	f->pools = NULL;
	f->n = 0;
}

/* --- JSON ------------------------------------------------------------------- */

static json_t *money_j(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

static json_t *day_j(qdate d)
{
	char b[DATE_TEXT_MAX];

	return d == FORECAST_NONE ? json_null()
				  : json_string(date_format(d, b));
}

json_t *forecast_json(const struct forecast *f, int flag_days)
{
	json_t *pools = json_array(), *doc;
	qdate today = date_of_instant(f->opt.now);

	if (!pools)
		return NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct forecast_pool *p = &f->pools[i];
		bool flagged = p->status == FORECAST_DRY ||
			       (flag_days > 0 && p->p50 != FORECAST_NONE &&
				p->p50 <= today + flag_days);

		if (json_array_append_new(
			    pools,
			    json_pack("{s:s,s:s,s:i,s:o,s:o,s:I,s:s,s:o,s:o,"
				      "s:{s:o,s:o,s:o},s:i,s:o,s:b,s:s,"
				      "s:{s:o,s:o,s:o}}",
				      "program", p->program, "pool", p->pool,
				      "year", p->year, "budget",
				      money_j(p->budget), "left",
				      money_j(p->left), "arrivals",
				      (json_int_t)p->arrivals, "status",
				      forecast_status_name(p->status), "from",
				      day_j(p->from), "until", day_j(p->until),
				      "dry_on", "p10", day_j(p->p10), "p50",
				      day_j(p->p50), "p90", day_j(p->p90),
				      "dry_runs", p->dry_runs, "dry_since",
				      day_j(p->dry_since), "flagged", flagged,
				      "waitlist", p->fit ? "fit" : "strict",
				      "first_refusal", "p10", day_j(p->r10),
				      "p50", day_j(p->r50), "p90",
				      day_j(p->r90)))) {
			json_decref(pools);
			return NULL;
		}
	}
	doc = json_pack(
		"{s:s,s:i,s:I,s:i,s:o,s:i,s:o}", "projection",
		"a projection of this office's own arrivals and amounts so far, resampled over seeded runs; not a budget decision",
		"runs", f->opt.runs, "seed", (json_int_t)f->opt.seed,
		"horizon_days", f->opt.horizon_days, "today", day_j(today),
		"flag_within_days", flag_days, "pools", pools);
	return doc;
}
