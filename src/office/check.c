/*
 * check.c - what an auditor runs and reads: each pool's figures as the
 * ledger holds them, the ledger check (conservation per pool and year,
 * debits = credits, and the balances recomputed by verify.c), a stored decision
 * rendered as JSON under the policy version it was made with (older
 * versions loaded on demand), and the replay that re-decides every
 * application under its own version.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine/app.h"
#include "engine/record.h"
#include "engine/render.h"

/* --- a pool's figures --------------------------------------------------------- */

/* The applicants' awarded and paid accounts of one pool and the years
 * from..until (one year, or a commitment's span). */
struct sums {
	const char *program, *pool;
	int from, until;
	money_t awarded, paid, paid_ever;
};

static int sum_accounts(void *arg, const struct ledger_account *a)
{
	struct sums *s = arg;
	struct office_code c;

	if (office_code_parse(a->code, &c) || !c.uscc[0] || c.year < s->from ||
	    c.year > s->until || strcmp(c.program, s->program) ||
	    strcmp(c.pool, s->pool))
		return 0;
	if (!strcmp(c.name, "awarded"))
		s->awarded += ledger_balance(a);
	else if (!strcmp(c.name, "paid")) {
		s->paid += ledger_balance(a);
		s->paid_ever += a->credits_posted;
	}
	return 0;
}

struct counting {
	struct office_pool_figures *f;
	const struct policy *p;
};

static int count_apps(void *arg, const struct store_app *a)
{
	struct counting *c = arg;
	int m = policy_find_measure(c->p, a->measure, strlen(a->measure));

	/* A commitment pool's figures count the applications of every year
	 * its one budget pays. */
	if (m >= 0 &&
	    policy_pool_account_year(c->p, c->p->measures[m].pool,
				     a->fiscal_year) == c->f->year &&
	    !strcmp(c->p->pools[c->p->measures[m].pool].id, c->f->pool) &&
	    a->state >= 0 && a->state < APP__STATE_COUNT)
		c->f->count[a->state]++;
	return 0;
}

/* The pool's own accounts of one year: their budget, available, reserved,
 * recovered and treasury added to f's. */
static int pool_accounts(struct office *o, const char *program,
			 const char *pool, int year,
			 struct office_pool_figures *f, struct qerr *e)
{
	struct ledger_account acc;
	char code[LEDGER_ID_MAX];
	int rc;

	assert(program && pool && f);
	office_pool_code(code, program, pool, year, "funding", NULL);
	if ((rc = office_get_account(o, code, &acc, e)))
		return rc;
	f->budget += acc.debits_posted - acc.credits_posted;
	office_pool_code(code, program, pool, year, "available", NULL);
	if ((rc = office_get_account(o, code, &acc, e)))
		return rc;
	f->available += ledger_balance(&acc);
	f->reserved += acc.debits_pending;
	office_pool_code(code, program, pool, year, "recovered", NULL);
	if ((rc = office_get_account(o, code, &acc, e)))
		return rc;
	f->recovered += ledger_balance(&acc);
	/* Recovered money moves on to the pool or the treasury at once: its
	 * balance is 0, and only its credits say what was recovered. */
	f->total_recovered += acc.credits_posted;
	office_pool_code(code, program, pool, year, "treasury", NULL);
	if ((rc = office_get_account(o, code, &acc, e)))
		return rc;
	f->treasury += ledger_balance(&acc);
	return Q_OK;
}

static int figures(struct office *o, const struct policy *p,
		   const struct policy_pool *pl, int year,
		   struct office_pool_figures *f, struct qerr *e)
{
	/* A commitment's row sums its span: its own accounts are its first
	 * year's, and an earlier version's yearly accounts keep what they
	 * still hold there (office.c, fund_commitment). */
	int until = pl->commitment ? pl->commit_until : year;
	struct sums s = {p->program, pl->id, year, until, 0, 0, 0};
	struct counting c = {f, p};
	int rc = Q_OK;

	assert(o && p && pl && f);
	memset(f, 0, sizeof(*f));
	snprintf(f->program, sizeof(f->program), "%s", p->program);
	snprintf(f->pool, sizeof(f->pool), "%s", pl->id);
	f->year = year;
	f->until = pl->commitment ? pl->commit_until : 0;
	for (int y = year; !rc && y <= until; y++)
		rc = pool_accounts(o, p->program, pl->id, y, f, e);
	if (rc)
		return rc;
	if ((rc = store_account_each(o->store, sum_accounts, &s, e)))
		return rc;
	/* The awarded accounts' balances count pending credits as not yet
	 * theirs: reserved money is shown once, as reserved. */
	f->awarded = s.awarded;
	f->paid = s.paid;
	f->total_paid = s.paid_ever;
	f->total_awarded = s.awarded + s.paid_ever;
	return store_app_each(o->store, p->program, -1, count_apps, &c, e);
}

/* --- a pool's figures from the running totals ------------------------------ */

static int tally_count(void *arg, const char *measure, int year, int state,
		       int64_t n)
{
	struct counting *c = arg;
	int m = policy_find_measure(c->p, measure, strlen(measure));

	if (m >= 0 &&
	    policy_pool_account_year(c->p, c->p->measures[m].pool, year) ==
		    c->f->year &&
	    !strcmp(c->p->pools[c->p->measures[m].pool].id, c->f->pool) &&
	    state >= 0 && state < APP__STATE_COUNT)
		c->f->count[state] += n;
	return 0;
}

/* figures(), from the store's running totals: the pool's own accounts
 * (a few reads), the sums of its applicants' awarded and paid accounts and
 * the count of its applications per state (one row each), never a walk of
 * every account and application. */
static int figures_from_totals(struct office *o, const struct policy *p,
			       const struct policy_pool *pl, int year,
			       struct office_pool_figures *f, struct qerr *e)
{
	int until = pl->commitment ? pl->commit_until : year;
	struct counting c = {f, p};
	int rc = Q_OK;

	assert(o && p && pl && f);
	memset(f, 0, sizeof(*f));
	snprintf(f->program, sizeof(f->program), "%s", p->program);
	snprintf(f->pool, sizeof(f->pool), "%s", pl->id);
	f->year = year;
	f->until = pl->commitment ? pl->commit_until : 0;
	for (int y = year; !rc && y <= until; y++) {
		static const char *const names[2] = {"awarded", "paid"};

		rc = pool_accounts(o, p->program, pl->id, y, f, e);
		for (int k = 0; !rc && k < 2; k++) {
			char code[LEDGER_ID_MAX];
			struct ledger_account sum;

			office_pool_code(code, p->program, pl->id, y, names[k],
					 NULL);
			rc = store_account_tally(o->store, code, &sum, e);
			if (!rc && k == 0)
				f->awarded += ledger_balance(&sum);
			else if (!rc) {
				f->paid += ledger_balance(&sum);
				f->total_paid += sum.credits_posted;
			}
		}
	}
	if (rc)
		return rc;
	f->total_awarded = f->awarded + f->total_paid;
	return store_app_tallies_each(o->store, p->program, tally_count, &c, e);
}

int office_pools_totals(struct office *o,
			int (*fn)(void *arg,
				  const struct office_pool_figures *f),
			void *arg, struct qerr *e)
{
	assert(o && fn);
	for (size_t i = 0; i < o->npolicies; i++) {
		const struct policy *p = o->policies[i];

		for (size_t j = 0; j < p->npools; j++)
			for (size_t k = 0; k < p->pools[j].nbudgets; k++) {
				struct office_pool_figures f;
				int rc = figures_from_totals(
					o, p, &p->pools[j],
					p->pools[j].budgets[k].year, &f, e);

				if (rc)
					return rc;
				if (fn(arg, &f))
					return Q_OK;
			}
	}
	return Q_OK;
}

int office_pools_each(struct office *o,
		      int (*fn)(void *arg, const struct office_pool_figures *f),
		      void *arg, struct qerr *e)
{
	assert(o && fn);
	for (size_t i = 0; i < o->npolicies; i++) {
		const struct policy *p = o->policies[i];

		for (size_t j = 0; j < p->npools; j++)
			for (size_t k = 0; k < p->pools[j].nbudgets; k++) {
				struct office_pool_figures f;
				int rc = figures(o, p, &p->pools[j],
						 p->pools[j].budgets[k].year,
						 &f, e);

				if (rc)
					return rc;
				if (fn(arg, &f))
					return Q_OK;
			}
	}
	return Q_OK;
}

/* --- the ledger check ---------------------------------------------------------- */

struct check {
	FILE *out;
	long problems;
	__int128 dp, dq, cp, cq; /* debits/credits posted and pending */
};

static int check_account(void *arg, const struct ledger_account *a)
{
	struct check *c = arg;

	c->dp += a->debits_posted;
	c->dq += a->debits_pending;
	c->cp += a->credits_posted;
	c->cq += a->credits_pending;
	if ((a->flags & LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS) &&
	    a->debits_pending + a->debits_posted > a->credits_posted) {
		char x[MONEY_TEXT_MAX];

		fprintf(c->out, "account '%s' is overdrawn by %s\n", a->code,
			money_format(a->debits_pending + a->debits_posted -
					     a->credits_posted,
				     x));
		c->problems++;
	}
	return 0;
}

static int check_pool(void *arg, const struct office_pool_figures *f)
{
	struct check *c = arg;
	__int128 sum = (__int128)f->available + f->reserved + f->awarded +
		       f->paid + f->recovered + f->treasury;

	if (sum != f->budget) {
		char b[MONEY_TEXT_MAX], s[MONEY_TEXT_MAX];

		fprintf(c->out,
			"pool '%s/%s/%d': budget %s but available + reserved + awarded + paid + recovered + treasury = %s\n",
			f->program, f->pool, f->year,
			money_format(f->budget, b),
			money_format((money_t)sum, s));
		c->problems++;
	}
	return 0;
}

/* The report's running totals of pool pl against f, its figures read
 * from every account and application: a trigger dropped, or a table edited
 * behind the office's back, shows here. */
static int check_totals(struct office *o, const struct policy *p,
			const struct policy_pool *pl,
			const struct office_pool_figures *f, struct check *c,
			struct qerr *e)
{
	struct office_pool_figures t;
	char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

	assert(f && c);
	if (figures_from_totals(o, p, pl, f->year, &t, e))
		return -1;
	if (t.awarded != f->awarded || t.paid != f->paid ||
	    t.total_paid != f->total_paid) {
		fprintf(c->out,
			"pool '%s/%s/%d': the running totals say awarded %s, paid %s; the accounts %s, %s\n",
			f->program, f->pool, f->year,
			money_format(t.awarded, x), money_format(t.paid, y),
			money_format(f->awarded, (char[MONEY_TEXT_MAX]){0}),
			money_format(f->paid, (char[MONEY_TEXT_MAX]){0}));
		c->problems++;
	}
	for (int st = 0; st < APP__STATE_COUNT; st++)
		if (t.count[st] != f->count[st]) {
			fprintf(c->out,
				"pool '%s/%s/%d': the running totals count %ld %s applications, the store holds %ld\n",
				f->program, f->pool, f->year, t.count[st],
				app_state_name(st), f->count[st]);
			c->problems++;
		}
	return 0;
}

/* The policy's budget b of pool pl against the ledger's, and pool and
 * year's conservation. */
static int check_budget(struct office *o, const struct policy *p,
			const struct policy_pool *pl,
			const struct policy_budget *b, struct check *c,
			struct qerr *e)
{
	struct office_pool_figures f;

	assert(p && pl && b);
	assert(c && c->out);
	if (figures(o, p, pl, b->year, &f, e))
		return -1;
	if (f.budget != b->amount) {
		char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

		fprintf(c->out,
			"pool '%s/%s/%d': the policy's budget is %s, the ledger was funded with %s\n",
			p->program, pl->id, f.year, money_format(b->amount, x),
			money_format(f.budget, y));
		c->problems++;
	}
	check_pool(c, &f);
	return check_totals(o, p, pl, &f, c, e);
}

long office_ledger_check(struct office *o, FILE *out, struct qerr *e)
{
	struct check c = {out, 0, 0, 0, 0, 0};
	long n;

	assert(o && out);
	if (store_account_each(o->store, check_account, &c, e))
		return -1;
	if (c.dp != c.cp) {
		fprintf(out, "debits posted differ from credits posted\n");
		c.problems++;
	}
	if (c.dq != c.cq) {
		fprintf(out, "debits pending differ from credits pending\n");
		c.problems++;
	}
	/* The stored sums are what the transfers make (verify.c): a balanced
	 * edit of two accounts passes every sum above. */
	n = office_ledger_recompute(o, out, e);
	if (n < 0)
		return -1;
	c.problems += n;
	for (size_t i = 0; i < o->npolicies; i++) {
		const struct policy *p = o->policies[i];

		for (size_t j = 0; j < p->npools; j++)
			for (size_t k = 0; k < p->pools[j].nbudgets; k++)
				if (check_budget(o, p, &p->pools[j],
						 &p->pools[j].budgets[k], &c,
						 e))
					return -1;
	}
	return c.problems;
}

/* --- reading a decision ---------------------------------------------------- */

const struct policy *office_policy_version(struct office *o, const char *hash,
					   struct qerr *e)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	char path[512];
	char *text = NULL;
	size_t len = 0;

	assert(o && hash);
	for (size_t i = 0; i < o->npolicies; i++)
		if (!strcmp(o->policies[i]->hash, hash))
			return o->policies[i];
	for (size_t i = 0; i < o->nversions; i++)
		if (!strcmp(o->versions[i]->hash, hash))
			return o->versions[i];
	if (o->nversions == OFFICE_MAX_VERSIONS) {
		qerr_set(e, Q_ERR_NOMEM, "",
			 "more than %d policy versions in use at once",
			 OFFICE_MAX_VERSIONS);
		return NULL;
	}
	if (store_policy_path(o->store, hash, path, sizeof(path), e) ||
	    store_policy_text(o->store, hash, &text, &len, e))
		return NULL;
	if (policy_load_buf(path, text, len, &p, &d)) {
		qerr_set(e, Q_ERR_POLICY, "",
			 "policy version '%.80s' no longer loads", hash);
		p = NULL;
	}
	free(text);
	diag_release(&d);
	if (p)
		o->versions[o->nversions++] = p;
	return p;
}

/* Add the screens' flags (JSON text, as stored) to the rendered decision
 * j of application a, and "blocked" when one blocked it. */
static int add_flags(json_t *j, const char *flags, const struct store_app *a,
		     struct qerr *e)
{
	json_error_t jerr;
	json_t *fl, *f;
	bool blocked = false;
	size_t i;

	assert(j && flags);
	fl = json_loads(flags, 0, &jerr);
	if (!json_is_array(fl)) {
		json_decref(fl);
		return qerr_set(
			e, Q_ERR_INVALID, "decision",
			"application '%s': its stored flags are not readable",
			a->id);
	}
	json_array_foreach(fl, i, f)
	{
		const char *act =
			json_string_value(json_object_get(f, "action"));

		blocked |= act && !strcmp(act, "block");
	}
	json_array_extend(json_object_get(j, "flags"), fl);
	json_decref(fl);
	if (blocked)
		json_object_set_new(j, "blocked", json_true());
	return Q_OK;
}

/* A decision stored as JSON by an older version of quan. */
static int decision_as_stored(const struct store_app *a, json_t **out,
			      struct qerr *e)
{
	json_error_t jerr;

	assert(a->decision && out);
	*out = json_loads(a->decision, 0, &jerr);
	return *out ? Q_OK
		    : qerr_set(
			      e, Q_ERR_INVALID, "decision",
			      "application '%s': its stored decision is not readable",
			      a->id);
}

int office_decision_json(struct office *o, const struct store_app *a,
			 json_t **out, struct qerr *e)
{
	struct application app;
	struct decision d;
	struct history h;
	const struct policy *p;
	const char *flags = NULL;
	json_t *j;
	int rc;

	assert(o && a && out);
	*out = NULL;
	if (!a->decision)
		return qerr_set(e, Q_ERR_INVALID, "decision",
				"application '%s' has no decision", a->id);
	if (!record_is(a->decision))
		return decision_as_stored(a, out, e);
	rc = record_decode(a->decision, &d, &h, &flags, e);
	if (rc)
		return rc;
	p = office_policy_version(o, a->policy_hash, e);
	if (!p)
		return e->code ? e->code : Q_ERR_POLICY;
	if (!record_fits(&d, p))
		return qerr_set(
			e, Q_ERR_INVALID, "decision",
			"application '%s': its stored decision does not fit its policy",
			a->id);
	memset(&app, 0, sizeof(app));
	app.id = a->id;
	app.client_ref = a->client_ref[0] ? a->client_ref : NULL;
	app.received_at = a->received_at;
	j = render_decision_json(p, &app, &d);
	if (!j)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	if (flags && (rc = add_flags(j, flags, a, e))) {
		json_decref(j);
		return rc;
	}
	json_object_set_new(j, "history", office_history_json(p, &h));
	*out = j;
	return Q_OK;
}

json_t *office_history_json(const struct policy *p, const struct history *h)
{
	json_t *j = json_pack("{s:o,s:o}", "awarded_year",
			      office_money_j(h->awarded_year),
			      "compute_contracts_year",
			      office_money_j(h->compute_contracts_year));

	assert(p && h);
	if (j && h->lists_known) {
		json_t *l = json_array();

		for (size_t k = 0; l && k < p->nlists; k++)
			if ((h->supplier_lists >> k) & 1)
				json_array_append_new(
					l, json_string(p->lists[k].id));
		json_object_set_new(j, "supplier_lists", l);
	}
	return j;
}

int office_history_lists(const struct policy *p, const json_t *hist,
			 struct history *h)
{
	json_t *l = json_object_get(hist, "supplier_lists");
	size_t i;
	json_t *v;

	assert(p && h);
	if (!l)
		return 0;
	if (!json_is_array(l))
		return -1;
	h->lists_known = true;
	h->supplier_lists = 0;
	json_array_foreach(l, i, v)
	{
		const char *id = json_string_value(v);
		int k = id ? policy_find_list(p, id, strlen(id)) : -1;

		if (k < 0)
			return -1;
		h->supplier_lists |= (uint64_t)1 << k;
	}
	return 0;
}

/* --- replay --------------------------------------------------------------- */

struct replay {
	struct office *o;
	FILE *out;
	long count, differ;
	struct qerr *e;
	int rc;
};

/* The policy version with this hash, as the office keeps it. */
static const struct policy *policy_version(struct replay *r, const char *hash)
{
	struct qerr e;

	qerr_clear(&e);
	return office_policy_version(r->o, hash, &e);
}

static money_t money_field(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	money_t m = -1;

	if (!s || money_parse(s, strlen(s), &m, k, NULL))
		return -1;
	return m;
}

/* The parts of a decision that must come out the same. */
static bool same_decision(json_t *a, json_t *b)
{
	static const char *const keys[] = {
		"eligible", "measure", "rate_bp", "rate_rule", "base",
		"gross",    "amount",  "caps",	  "reasons",   "policy"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_equal(json_object_get(a, keys[i]),
				json_object_get(b, keys[i])) &&
		    (json_object_get(a, keys[i]) ||
		     json_object_get(b, keys[i])))
			return false;
	return true;
}

/* Block d again by the screens that blocked the recorded decision: what
 * the screens found depended on the office at the time, and is history
 * like the applicant's awards. Returns -1 when a rule is not in p. */
static int reblock(const struct policy *p, json_t *was, struct decision *d)
{
	json_t *flags = json_object_get(was, "flags");
	uint32_t rules[SCREEN_MAX_FLAGS];
	size_t n = 0, i;
	json_t *f;

	json_array_foreach(flags, i, f)
	{
		const char *act =
			json_string_value(json_object_get(f, "action"));
		const char *id = json_string_value(json_object_get(f, "rule"));
		size_t r;
		bool seen = false;

		if (!act || strcmp(act, "block") || !id)
			continue;
		for (r = 0; r < p->nrules; r++)
			if (p->rules[r].kind == RULE_SCREEN &&
			    !strcmp(p->rules[r].id, id))
				break;
		if (r == p->nrules)
			return -1;
		for (size_t j = 0; j < n; j++)
			seen |= rules[j] == (uint32_t)r;
		if (!seen && n < SCREEN_MAX_FLAGS)
			rules[n++] = (uint32_t)r;
	}
	screen_block(d, rules, n);
	return 0;
}

/* Re-decide the parsed application a under p with the history recorded
 * in was; *now gets the new decision. Returns why it differs, or NULL. */
static const char *redecide(struct replay *r, const struct policy *p,
			    struct application *a, json_t *was, json_t **now,
			    struct qerr *e)
{
	json_t *hist = json_object_get(was, "history");
	struct history h = {.from_db = true};
	struct decision d;

	assert(p && a && now);
	assert(*now == NULL);
	h.awarded_year = money_field(hist, "awarded_year");
	h.compute_contracts_year = money_field(hist, "compute_contracts_year");
	if (h.awarded_year < 0 || h.compute_contracts_year < 0)
		return "its stored decision has no history";
	if (office_history_lists(p, hist, &h))
		return "its stored decision names a supplier list its policy does not have";
	if (decide(p, a, r->o->chips, &h, &d, e))
		return e->msg;
	if (reblock(p, was, &d))
		return "a screen that blocked it is no longer in its policy";
	if (!(*now = render_decision_json(p, a, &d)))
		return "out of memory";
	if (!same_decision(was, *now))
		return "the decision comes out differently";
	return NULL;
}

/* Say why application sa (id) replays differently. */
static void report_differ(struct replay *r, const char *id, const char *why,
			  json_t *was, json_t *now)
{
	char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX];

	assert(r && id && why);
	r->differ++;
	fprintf(r->out, "%s: %s\n", id, why);
	if (!now || !json_is_object(was))
		return;
	fprintf(r->out,
		"  recorded: eligible %s, amount %s; now: eligible %s, amount %s\n",
		json_is_true(json_object_get(was, "eligible")) ? "yes" : "no",
		money_format(money_field(was, "amount"), m1),
		json_is_true(json_object_get(now, "eligible")) ? "yes" : "no",
		money_format(money_field(now, "amount"), m2));
}

static int replay_one(void *arg, const struct store_app *sa)
{
	struct replay *r = arg;
	const struct policy *p = policy_version(r, sa->policy_hash);
	struct application a;
	struct qerr e;
	json_t *was = NULL;
	json_t *now = NULL;
	const char *why = NULL;

	r->count++;
	qerr_clear(&e);
	if (p && office_decision_json(r->o, sa, &was, &e))
		was = NULL;
	if (!p) {
		why = "its policy version no longer loads";
	} else if (!json_is_object(was)) {
		why = "its stored decision is not readable";
	} else if (app_parse_json(sa->json, strlen(sa->json), &a, &e)) {
		why = "its stored application no longer parses";
	} else if (app_receive(&a, sa->received_at, &e)) {
		why = e.msg;
		app_release(&a);
	} else {
		a.id = sa->id;
		why = redecide(r, p, &a, was, &now, &e);
		app_release(&a);
	}
	if (why)
		report_differ(r, sa->id, why, was, now);
	json_decref(was);
	json_decref(now);
	return 0;
}

long office_replay(struct office *o, FILE *out, long *count, struct qerr *e)
{
	struct replay r;
	int rc;

	assert(o && out && count);
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = out;
	r.e = e;
	rc = store_app_each(o->store, NULL, -1, replay_one, &r, e);
	*count = r.count;
	return rc ? -1 : r.differ;
}
