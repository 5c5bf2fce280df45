/*
 * simrun.c - a population run through simulations, and its report
 * (simrun.h).
 */
#include "sim/simrun.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "engine/app.h"

static int by_arrival(const void *x, const void *y)
{
	const struct simrun_item *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->n > b->n) - (a->n < b->n);
}

void simrun_pop_release(struct simrun_pop *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].json);
	free(p->v);
	free(p->gen);
	memset(p, 0, sizeof(*p));
}

int simrun_pop_synthetic(struct simrun_pop *p, uint64_t n, uint64_t seed,
			 struct qerr *e)
{
	memset(p, 0, sizeof(*p));
	p->gen = malloc(sizeof(*p->gen));
	p->v = malloc((n ? n : 1) * sizeof(*p->v));
	if (!p->gen || !p->v || gen_init(p->gen, seed)) {
		simrun_pop_release(p);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	p->gen->opt.ineligible_pct = SIMRUN_INELIGIBLE_PCT;
	p->gen->opt.large_pct = SIMRUN_LARGE_PCT;
	p->cap = n;
	for (uint64_t i = 0; i < n; i++) {
		int64_t at;

		gen_received_at(p->gen, i, &at);
		p->v[p->n++] = (struct simrun_item){at, i, NULL};
	}
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), by_arrival);
	return 0;
}

struct collect {
	struct simrun_pop *p;
	const char *const *programs;
	size_t n;
	int rc;
};

static int collect_one(void *arg, const struct store_app *a)
{
	struct collect *c = arg;
	struct simrun_pop *p = c->p;
	bool wanted = false;
	char *json;

	for (size_t i = 0; i < c->n && !wanted; i++)
		wanted = !strcmp(a->program, c->programs[i]);
	if (!wanted)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		struct simrun_item *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return c->rc = Q_ERR_NOMEM;
		p->v = v;
		p->cap = cap;
	}
	json = strdup(a->json ? a->json : "{}");
	if (!json)
		return c->rc = Q_ERR_NOMEM;
	p->v[p->n] = (struct simrun_item){a->received_at, p->n, json};
	p->n++;
	return 0;
}

int simrun_pop_store(struct simrun_pop *p, struct store *s,
		     const char *const *programs, size_t n, struct qerr *e)
{
	struct collect c = {p, programs, n, 0};
	int rc;

	memset(p, 0, sizeof(*p));
	rc = store_app_each(s, NULL, -1, collect_one, &c, e);
	if (!rc && c.rc)
		rc = qerr_set(e, c.rc, "", "out of memory");
	if (rc) {
		simrun_pop_release(p);
		return rc;
	}
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), by_arrival);
	return 0;
}

/* The application of item it, received: *a. */
static int item_app(const struct simrun_pop *p, const struct simrun_item *it,
		    struct application *a, struct qerr *e)
{
	char buf[GEN_APP_MAX];
	size_t len;
	int rc;

	if (p->gen) {
		rc = gen_application(p->gen, it->n, buf, sizeof(buf), &len);
		if (rc)
			return qerr_set(e, rc, "", "cannot generate");
		rc = app_parse_json(buf, len, a, e);
	} else {
		rc = app_parse_json(it->json, strlen(it->json), a, e);
	}
	if (!rc)
		rc = app_receive(a, it->at, e);
	return rc;
}

int simrun_run(const struct simrun_pop *p, struct sim *sims, size_t nsims,
	       uint64_t *refused, struct qerr *e)
{
	return simrun_run_at(p, sims, nsims, refused, NULL, e);
}

int simrun_run_at(const struct simrun_pop *p, struct sim *sims, size_t nsims,
		  uint64_t *refused, int64_t *at, struct qerr *e)
{
	assert(p && sims && nsims >= 1);
	for (size_t i = 0; i < p->n; i++) {
		struct application a;
		struct qerr ae;
		int rc;

		qerr_clear(&ae);
		memset(&a, 0, sizeof(a));
		rc = item_app(p, &p->v[i], &a, &ae);
		for (size_t k = 0; !rc && k < nsims; k++)
			rc = sim_apply(&sims[k], &a, NULL, &ae);
		app_release(&a);
		if (!rc && at) {
			assert(sims[0].nout >= 1 && sims[0].nout <= p->n);
			at[sims[0].nout - 1] = p->v[i].at;
		}
		if (rc == SIM_STOPPED) {
			*e = ae;
			return rc;
		}
		if (rc) {
			if (refused)
				(*refused)++;
			/* Kept in step: one refused by a later run but
			 * not an earlier one cannot be undone. */
			for (size_t k = 1; k < nsims; k++)
				if (sims[k].nout != sims[0].nout) {
					*e = ae;
					return rc;
				}
		}
	}
	for (size_t k = 0; k < nsims; k++) {
		int rc = sim_finish(&sims[k], e);

		if (rc)
			return rc;
	}
	return 0;
}

/* --- the report --------------------------------------------------------- */

static json_t *money_j(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

json_t *simrun_pool_json(struct sim_pool *pl)
{
	const struct policy *p = pl->policy;
	struct sim_dist d;
	char day[DATE_TEXT_MAX];
	json_t *why = json_object();

	if (!why)
		return NULL;
	sim_distribution(pl, &d);
	for (size_t r = 0; r < p->nrules; r++)
		if (pl->reasons[r])
			json_object_set_new(why, p->rules[r].id,
					    json_integer(pl->reasons[r]));
	return json_pack(
		"{s:s,s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:o,"
		"s:{s:o,s:o,s:I,s:I,s:I,s:I},s:{s:o,s:o,s:o,s:o,s:o,s:I}}",
		"program", p->program, "pool", p->pools[pl->pool].id, "year",
		pl->year, "budget", money_j(pl->budget), "demand",
		money_j(pl->demand), "awarded", money_j(pl->awarded), "left",
		money_j(pl->available), "dry_on",
		pl->dry_on == SIM_NEVER
			? json_null()
			: json_string(date_format(pl->dry_on, day)),
		"served", (json_int_t)pl->served, "waitlisted",
		(json_int_t)pl->waitlisted, "refused", (json_int_t)pl->refused,
		"refused_by_rule", why, "domestic", "subsidy",
		money_j(pl->domestic_subsidy), "compute_subsidy",
		money_j(pl->compute_subsidy), "share_bp",
		(json_int_t)d.domestic_subsidy_bp, "h100_hours",
		(json_int_t)pl->hours, "domestic_h100_hours",
		(json_int_t)pl->domestic_hours, "share_hours_bp",
		(json_int_t)d.domestic_hours_bp, "awards", "p10",
		money_j(d.p10), "p50", money_j(d.p50), "p90", money_j(d.p90),
		"p99", money_j(d.p99), "max", money_j(d.max), "top10_share_bp",
		(json_int_t)d.top10_bp);
}

json_t *simrun_json(struct sim *sims, size_t nsims, bool reformed)
{
	struct sim *base = &sims[0], *ref = &sims[nsims - 1];
	json_t *pools = json_array();

	assert(nsims == 1 || nsims == 2);
	if (!pools)
		return NULL;
	for (size_t i = 0; i < ref->npools; i++) {
		json_t *pj = simrun_pool_json(&ref->pools[i]);

		if (pj && nsims == 2) {
			struct sim_pool *b = &base->pools[i];
			struct sim_pool *r = &ref->pools[i];

			json_object_set_new(pj, "baseline",
					    simrun_pool_json(b));
			json_object_set_new(
				pj, "difference",
				json_pack(
					"{s:o,s:o,s:I,s:I,s:I}", "demand",
					money_j(r->demand - b->demand),
					"awarded",
					money_j(r->awarded - b->awarded),
					"served",
					(json_int_t)(r->served - b->served),
					"waitlisted",
					(json_int_t)(r->waitlisted -
						     b->waitlisted),
					"refused",
					(json_int_t)(r->refused - b->refused)));
		}
		if (!pj || json_array_append_new(pools, pj)) {
			json_decref(pools);
			return NULL;
		}
	}
	return json_pack("{s:I,s:b,s:o}", "applications", (json_int_t)ref->nout,
			 "reformed", reformed, "pools", pools);
}

json_t *simrun_burndown_json(const struct sim *s, const int64_t *at)
{
	json_t *out = json_array();

	assert(s && at);
	if (!out)
		return NULL;
	for (size_t i = 0; i < s->npools; i++) {
		const struct sim_pool *pl = &s->pools[i];
		json_t *pts = json_array(), *pj;
		money_t left = pl->budget;
		qdate day = SIM_NEVER;
		char d[DATE_TEXT_MAX];

		for (size_t j = 0; pts && j < s->nout; j++) {
			const struct sim_outcome *oc = &s->out[j];
			qdate on;

			if (oc->pool != (int32_t)i || oc->state != SIM_RESERVED)
				continue;
			on = date_of_instant(at[j]);
			if (day == SIM_NEVER)
				json_array_append_new(
					pts, json_pack("{s:s,s:o}", "on",
						       date_format(on, d),
						       "left", money_j(left)));
			else if (on != day)
				json_array_append_new(
					pts, json_pack("{s:s,s:o}", "on",
						       date_format(day, d),
						       "left", money_j(left)));
			day = on;
			left -= oc->amount;
		}
		if (pts && day != SIM_NEVER)
			json_array_append_new(pts,
					      json_pack("{s:s,s:o}", "on",
							date_format(day, d),
							"left", money_j(left)));
		pj = pts ? json_pack("{s:s,s:s,s:i,s:o,s:o}", "program",
				     pl->policy->program, "pool",
				     pl->policy->pools[pl->pool].id, "year",
				     pl->year, "budget", money_j(pl->budget),
				     "points", pts)
			 : NULL;
		if (!pj || json_array_append_new(out, pj)) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
