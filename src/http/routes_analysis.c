/*
 * routes_analysis.c - the analyst's handlers (server_int.h): choices,
 * estimates and comparisons, the report and burn-down, forecasts and
 * simulations.
 */
#include "http/server_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/industry.h"
#include "engine/compare.h"
#include "office/view.h"
#include "sim/forecast.h"
#include "sim/reform.h"
#include "sim/simrun.h"

/* What the dashboard's application form offers in its drop-down lists:
 * the cities of the cost table, the industry codes of GB/T 4754 with
 * their names, and the chips of the catalog. */
void srv_h_choices(struct server *s, struct office *o, struct req *r)
{
	const struct industry_name *ind;
	size_t nind = industry_names(&ind);
	json_t *cities = json_array(), *industries = json_array(),
	       *chips = json_array();

	if (!cities || !industries || !chips) {
		json_decref(cities);
		json_decref(industries);
		json_decref(chips);
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
		return;
	}
	for (size_t i = 0; s->c.costs && i < s->c.costs->n; i++) {
		const struct cost_city *c = &s->c.costs->cities[i];

		json_array_append_new(cities, json_pack("{s:s,s:s,s:s?}", "id",
							c->id, "name", c->name,
							"name_zh", c->name_zh));
	}
	for (size_t i = 0; i < nind; i++)
		json_array_append_new(industries,
				      json_pack("{s:s,s:s,s:s}", "code",
						ind[i].code, "name", ind[i].en,
						"name_zh", ind[i].zh));
	for (size_t i = 0; s->c.chips && i < s->c.chips->n; i++) {
		const struct chip *c = &s->c.chips->chips[i];

		json_array_append_new(
			chips,
			json_pack("{s:s,s:s,s:s?,s:b}", "id", c->id, "name",
				  c->name ? c->name : c->id, "vendor",
				  c->vendor, "domestic", c->domestic));
	}
	srv_ok(r, MHD_HTTP_OK,
	       json_pack("{s:o,s:o,s:o}", "cities", cities, "industries",
			 industries, "chips", chips));
}

void srv_h_estimate(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	/* ?at=TIME: a hypothetical time of receipt; the office's now by
	 * default. */
	const char *at_text = srv_qarg(r, "at");
	int64_t at = srv_now_of(s);

	if (at_text &&
	    datetime_parse(at_text, strlen(at_text), &at, NULL, "at", &e))
		srv_fail_with(r, &e);
	else if (office_estimate(o, r->body ? r->body : "", r->len, at, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

/* The applicant's comparison: the body is a profile (docs/compare.md),
 * compared under the bundled programs; nothing is read from the office. */
void srv_h_compare(struct server *s, struct office *o, struct req *r)
{
	struct profile *pr;
	json_error_t err;
	struct qerr e;
	json_t *j, *out = NULL;

	qerr_clear(&e);
	if (!s->c.ncompare || !s->c.costs) {
		srv_fail_http(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
			      "the comparison is not set up on this server");
		return;
	}
	j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES,
		       &err);
	if (!j) {
		qerr_set(&e, Q_ERR_INVALID_JSON, "",
			 "body: line %d column %d: %s", err.line, err.column,
			 err.text);
		srv_fail_with(r, &e);
		return;
	}
	pr = malloc(sizeof(*pr));
	if (!pr) {
		json_decref(j);
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
		return;
	}
	if (profile_from_json(j, pr, &e) ||
	    compare_run(pr, s->c.compare_policies, s->c.ncompare, s->c.chips,
			s->c.costs, &out, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, out);
	free(pr);
	json_decref(j);
}

void srv_h_report(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (view_report(o, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

void srv_h_burndown(struct server *s, struct office *o, struct req *r)
{
	const char *program = srv_qarg(r, "program");
	const char *pool = srv_qarg(r, "pool");
	const char *year = srv_qarg(r, "year");
	char *end = NULL;
	long y = year ? strtol(year, &end, 10) : 0;
	struct qerr e;
	json_t *j;

	if (!program || !pool || !year || *end || y < 1900 || y > 9999) {
		srv_fail_http(
			r, MHD_HTTP_BAD_REQUEST, "missing_field",
			"program, pool and year (1900..9999) are required");
		return;
	}
	qerr_clear(&e);
	if (view_burndown(o, program, pool, (int)y, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

/* When each pool runs dry: a projection of the office's own arrivals
 * (sim/forecast.h), 200 runs of seed 1, flagged within the server's
 * horizon. */
void srv_h_forecast(struct server *s, struct office *o, struct req *r)
{
	struct forecast_opts opt = {FORECAST_RUNS_DEFAULT, 1, 0, srv_now_of(s)};
	struct forecast f;
	struct qerr e;

	qerr_clear(&e);
	if (forecast_office(o, &opt, &f, &e)) {
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK, forecast_json(&f, s->c.forecast_horizon));
	forecast_release(&f);
}

/* The monotonic instant a simulation must stop at. */
struct sim_deadline {
	struct timespec end;
};

static bool sim_past(void *arg)
{
	const struct sim_deadline *d = arg;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec > d->end.tv_sec ||
	       (t.tv_sec == d->end.tv_sec && t.tv_nsec >= d->end.tv_nsec);
}

struct current_text {
	const char *program;
	char *text;
	size_t len;
};

static int current_text(void *arg, const struct store_policy *p)
{
	struct current_text *c = arg;

	if (!p->current || strcmp(p->program, c->program))
		return 0;
	free(c->text);
	c->text = malloc(p->len + 1);
	if (!c->text)
		return 1;
	memcpy(c->text, p->text, p->len);
	c->text[p->len] = '\0';
	c->len = p->len;
	return 0;
}

/* The reform (YAML text) applied to the current version of pol's program
 * in the office. NULL with r answered on error. */
static struct policy *sim_reform(struct office *o, struct req *r,
				 const struct policy *pol, const char *yaml)
{
	struct current_text c = {pol->program, NULL, 0};
	struct diag_list d = DIAG_LIST_INIT;
	const char *names[1] = {"reform"}, *bufs[1] = {yaml};
	size_t lens[1] = {strlen(yaml)};
	struct policy *out = NULL;
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = store_policy_each_version(o->store, current_text, &c, &e);
	if (rc || !c.text) {
		free(c.text);
		if (!rc)
			qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		srv_fail_with(r, &e);
		return NULL;
	}
	rc = reform_load_buf(pol->program, c.text, c.len, names, bufs, lens, 1,
			     &out, &d);
	free(c.text);
	if (rc) {
		char msg[512] = "reform: ";
		size_t used = strlen(msg);

		for (size_t i = 0; i < d.n && used < sizeof(msg); i++)
			used += (size_t)snprintf(
				msg + used, sizeof(msg) - used,
				"%s%s:%d:%d: %s", i ? "; " : "",
				d.items[i].file, d.items[i].line,
				d.items[i].col, d.items[i].msg);
		qerr_set(&e, rc == Q_ERR_POLICY ? Q_ERR_POLICY : rc, "reform",
			 "%s", msg);
		srv_fail_with(r, &e);
	}
	diag_release(&d);
	return rc ? NULL : out;
}

/* What POST /v1/simulate asks, checked. */
struct sim_ask {
	const struct policy *pols[SIM_MAX_PROGRAMS];
	size_t npols;
	const char *reform;
	bool compare, synthetic, burndown;
	uint64_t n, seed;
	json_int_t ms;
};

static bool sim_programs(struct office *o, struct req *r, json_t *j,
			 struct sim_ask *q)
{
	json_t *one = json_object_get(j, "program"),
	       *many = json_object_get(j, "policies"), *v;
	size_t i;

	if (!!one == !!many || (one && !json_is_string(one)) ||
	    (many && (!json_is_array(many) || !json_array_size(many) ||
		      json_array_size(many) > SIM_MAX_PROGRAMS))) {
		srv_fail_http(
			r, MHD_HTTP_BAD_REQUEST, "invalid",
			"program (a program id) or policies (1 to 16 program ids) is required, not both");
		return false;
	}
	if (one) {
		many = json_array();
		json_array_append(many, one);
	} else {
		json_incref(many);
	}
	json_array_foreach(many, i, v)
	{
		const struct policy *p = NULL;
		struct qerr e;

		for (size_t k = 0; json_is_string(v) && k < o->npolicies; k++)
			if (!strcmp(o->policies[k]->program,
				    json_string_value(v)))
				p = o->policies[k];
		for (size_t k = 0; p && k < q->npols; k++)
			if (q->pols[k] == p)
				p = NULL;
		if (!p) {
			qerr_set(
				&e, Q_ERR_UNKNOWN_PROGRAM, "policies",
				"policies: '%.64s' is not a program of this office (or is repeated)",
				json_is_string(v) ? json_string_value(v) : "");
			srv_fail_with(r, &e);
			json_decref(many);
			return false;
		}
		q->pols[q->npols++] = p;
	}
	json_decref(many);
	return true;
}

static bool sim_population(struct server *s, struct req *r, json_t *j,
			   struct sim_ask *q)
{
	json_t *pop = json_object_get(j, "population"), *n, *seed, *office;
	const char *k;
	json_t *v;
	char msg[160];

	if (!json_is_object(pop)) {
		srv_fail_http(
			r, MHD_HTTP_BAD_REQUEST, "invalid",
			"population: {synthetic: N, seed: S} or {from_office: true} is required");
		return false;
	}
	json_object_foreach(pop, k, v)
	{
		if (strcmp(k, "synthetic") && strcmp(k, "seed") &&
		    strcmp(k, "from_office")) {
			struct qerr e;

			qerr_set(
				&e, Q_ERR_UNKNOWN_FIELD, k,
				"population.%.64s: not a field of this request",
				k);
			srv_fail_with(r, &e);
			return false;
		}
	}
	n = json_object_get(pop, "synthetic");
	seed = json_object_get(pop, "seed");
	office = json_object_get(pop, "from_office");
	if (office ? !json_is_true(office) || n || seed
		   : !json_is_integer(n) || !json_is_integer(seed) ||
			     json_integer_value(n) < 0 ||
			     json_integer_value(seed) < 0) {
		srv_fail_http(
			r, MHD_HTTP_BAD_REQUEST, "invalid",
			"population: {synthetic: N, seed: S} (whole numbers) or {from_office: true}");
		return false;
	}
	q->synthetic = !office;
	if (office)
		return true;
	if ((uint64_t)json_integer_value(n) > s->c.simulate_max) {
		snprintf(
			msg, sizeof(msg),
			"population.synthetic: at most %llu applications on this server",
			(unsigned long long)s->c.simulate_max);
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "too_large", msg);
		return false;
	}
	q->n = (uint64_t)json_integer_value(n);
	q->seed = (uint64_t)json_integer_value(seed);
	return true;
}

/* Parse and bound the body of POST /v1/simulate. */
static bool sim_ask(struct server *s, struct office *o, struct req *r,
		    struct sim_ask *q)
{
	static const char *const keys[] = {
		"program",    "policies",      "reform",   "compare",
		"population", "time_limit_ms", "burndown", NULL};
	json_t *j = srv_body_object(r, keys, false), *v;
	bool good;
	char msg[128];

	if (!j)
		return false;
	memset(q, 0, sizeof(*q));
	q->ms = s->c.simulate_ms;
	good = sim_programs(o, r, j, q) && sim_population(s, r, j, q) &&
	       srv_field_str(r, j, "reform", false, &q->reform);
	if (good && (v = json_object_get(j, "compare")) &&
	    !json_is_boolean(v)) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "wrong_type",
			      "compare: true or false");
		good = false;
	}
	q->compare = good && json_is_true(json_object_get(j, "compare"));
	if (good && (v = json_object_get(j, "burndown")) &&
	    !json_is_boolean(v)) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "wrong_type",
			      "burndown: true or false");
		good = false;
	}
	q->burndown = good && json_is_true(json_object_get(j, "burndown"));
	if (good && (v = json_object_get(j, "time_limit_ms"))) {
		q->ms = json_is_integer(v) ? json_integer_value(v) : 0;
		if (q->ms < 1 || q->ms > s->c.simulate_ms) {
			snprintf(msg, sizeof(msg),
				 "time_limit_ms: 1 to %u on this server",
				 s->c.simulate_ms);
			srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid", msg);
			good = false;
		}
	}
	if (good && q->synthetic) {
		bool shanghai = false;

		for (size_t i = 0; i < q->npols; i++)
			shanghai |=
				!strcmp(q->pols[i]->program, "shanghai-2025");
		if (!shanghai) {
			srv_fail_http(
				r, MHD_HTTP_BAD_REQUEST, "invalid",
				"population.synthetic: synthetic applications are Shanghai 2025's: include program shanghai-2025");
			good = false;
		}
	}
	/* The strings borrowed from j live in the request's body copy only
	 * as long as j: keep j alive through the reform's loading. */
	if (good && q->reform) {
		q->reform = strdup(q->reform);
		if (!q->reform) {
			srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				      "out_of_memory", "out of memory");
			good = false;
		}
	} else {
		q->reform = NULL;
	}
	json_decref(j);
	return good;
}

/* A simulation of the office's programs, under a reform when asked: the
 * answer of `quan simulate --json`. It runs here, on the HTTP thread that
 * took it (never on the writer), one at a time, and is stopped at its
 * time limit (503). */
void srv_h_simulate(struct server *s, struct office *o, struct req *r)
{
	const struct policy *set[2][SIM_MAX_PROGRAMS];
	struct policy *reformed = NULL;
	struct simrun_pop pop;
	struct sim_deadline dl;
	struct sim sims[2];
	struct sim_ask q;
	size_t nsims = 0;
	int64_t *at = NULL;
	struct qerr e;
	int rc = 0;

	if (!sim_ask(s, o, r, &q))
		return;
	if (pthread_mutex_trylock(&s->simmu)) {
		free((char *)q.reform);
		srv_fail_http(
			r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
			"another simulation is running: try again shortly");
		return;
	}
	memset(&pop, 0, sizeof(pop));
	if (q.reform && !(reformed = sim_reform(o, r, q.pols[0], q.reform)))
		goto out;
	for (size_t i = 0; i < q.npols; i++) {
		set[0][i] = q.pols[i];
		set[1][i] = i == 0 && reformed ? reformed : q.pols[i];
	}
	qerr_clear(&e);
	rc = q.synthetic ? simrun_pop_synthetic(&pop, q.n, q.seed, &e) : 0;
	if (!q.synthetic) {
		const char *progs[SIM_MAX_PROGRAMS];

		for (size_t i = 0; i < q.npols; i++)
			progs[i] = q.pols[i]->program;
		rc = simrun_pop_store(&pop, o->store, progs, q.npols, &e);
	}
	clock_gettime(CLOCK_MONOTONIC, &dl.end);
	dl.end.tv_sec += q.ms / 1000;
	dl.end.tv_nsec += (long)(q.ms % 1000) * 1000000L;
	if (dl.end.tv_nsec >= 1000000000L) {
		dl.end.tv_sec++;
		dl.end.tv_nsec -= 1000000000L;
	}
	/* The baseline alone, the reform alone, or both in one pass. */
	for (int k = reformed && !q.compare ? 1 : 0;
	     !rc && k < (reformed ? 2 : 1); k++) {
		rc = sim_init(&sims[nsims], set[k], q.npols, s->c.chips, &e);
		if (!rc) {
			sims[nsims].stop = sim_past;
			sims[nsims].stop_arg = &dl;
			nsims++;
		}
	}
	if (!rc && q.burndown &&
	    !(at = malloc((pop.n ? pop.n : 1) * sizeof(*at))))
		rc = qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
	if (!rc)
		rc = simrun_run_at(&pop, sims, nsims, NULL, at, &e);
	if (rc == SIM_STOPPED) {
		char msg[128];

		snprintf(
			msg, sizeof(msg),
			"the simulation ran over its time limit of %lld ms and was stopped",
			(long long)q.ms);
		srv_fail_http(r, MHD_HTTP_SERVICE_UNAVAILABLE, "time_limit",
			      msg);
	} else if (rc) {
		srv_fail_with(r, &e);
	} else {
		json_t *doc = simrun_json(sims, nsims, reformed != NULL);

		/* The burn-down of each run, baseline first: the dashboard's
		 * chart. Not part of `quan simulate --json`. */
		for (size_t k = 0; doc && at && k < nsims; k++)
			json_object_set_new(doc,
					    k == 0 && (nsims == 2 || !reformed)
						    ? "burndown_baseline"
						    : "burndown_reform",
					    simrun_burndown_json(&sims[k], at));
		srv_ok(r, MHD_HTTP_OK, doc);
	}
out:
	free(at);
	for (size_t k = 0; k < nsims; k++)
		sim_release(&sims[k]);
	simrun_pop_release(&pop);
	policy_free(reformed);
	free((char *)q.reform);
	pthread_mutex_unlock(&s->simmu);
}
