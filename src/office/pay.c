/*
 * pay.c - the money of an award after approval: disburse it (awarded ->
 * paid, never by whoever approved it), claw it back (paid -> recovered ->
 * the pool or the treasury, as the measure says), and post a grant's
 * tranche of one year when a milestone is recorded. A grant is paid from
 * its earliest posted tranche and recovered from its latest paid year.
 */
#include "office/office_int.h"

#include <assert.h>
#include <string.h>

/* --- a grant's money, year by year ----------------------------------------- */

/* Per year of a grant: what its milestones posted, what was paid and
 * recovered, and the awarded account its tranche was reserved to (0 when
 * none was read), read back from the application's transfers. */
struct grant_years {
	const char *id;
	int first;
	money_t posted[GRANT_MAX_TRANCHES], paid[GRANT_MAX_TRANCHES],
		recovered[GRANT_MAX_TRANCHES];
	uint64_t reserved_to[GRANT_MAX_TRANCHES];
};

/* The year (0 = the grant's first) of transfer "<verb>/<id>/<year>...",
 * or -1 when tid is not one of the grant's for verb. */
static int grant_year_of(const struct grant_years *g, const char *tid,
			 const char *verb)
{
	size_t lv = strlen(verb), li = strlen(g->id);
	const char *y = tid + lv + 1 + li + 1;
	int year = 0;

	assert(g->id && tid);
	if (strncmp(tid, verb, lv) || tid[lv] != '/' ||
	    strncmp(tid + lv + 1, g->id, li) || tid[lv + 1 + li] != '/')
		return -1;
	for (int k = 0; k < 4; k++) {
		if (y[k] < '0' || y[k] > '9')
			return -1;
		year = year * 10 + (y[k] - '0');
	}
	year -= g->first;
	return year >= 0 && year < GRANT_MAX_TRANCHES ? year : -1;
}

static int grant_scan(void *arg, const struct ledger_transfer *t)
{
	struct grant_years *g = arg;
	int k;

	if ((k = grant_year_of(g, t->id, "reserve")) >= 0)
		g->reserved_to[k] = t->credit;
	else if ((k = grant_year_of(g, t->id, "award")) >= 0)
		g->posted[k] += t->amount;
	else if ((k = grant_year_of(g, t->id, "disburse")) >= 0)
		g->paid[k] += t->amount;
	else if ((k = grant_year_of(g, t->id, "clawback")) >= 0)
		g->recovered[k] += t->amount;
	return 0;
}

/* The fiscal year of the accounts that hold year k of grant a (*at): those
 * its tranche was reserved in, so a tranche is paid where it was
 * ring-fenced even if a later policy version maps the year elsewhere; the
 * policy's mapping when the tranche's account cannot be read. */
static int grant_year_at(struct office *o, const struct policy *p, int m,
			 const struct grant_years *g, int k, int *at,
			 struct qerr *e)
{
	const struct ledger_io *io = office_ledger(o);
	struct ledger_account acc;
	struct office_code c;
	int rc;

	assert(k >= 0 && k < GRANT_MAX_TRANCHES && at);
	*at = policy_pool_account_year(p, p->measures[m].pool, g->first + k);
	if (*at < 0)
		*at = g->first + k;
	if (!g->reserved_to[k])
		return Q_OK;
	rc = io->account_get(io->ctx, g->reserved_to[k], &acc);
	if (rc < 0)
		return office_io_error(o, e, "reading a tranche's account");
	if (rc == 0 && !office_code_parse(acc.code, &c))
		*at = c.year;
	return Q_OK;
}

/* Append to t[*n] the transfers that pay (sign 1: awarded -> paid) or
 * recover (sign -1: paid -> recovered -> available or treasury) `take` of
 * year k of grant a, in the pool's accounts of fiscal year `at`. */
static void grant_year_xfers(const struct policy *p, int m,
			     const struct store_app *a,
			     const struct grant_years *g, int k, int at,
			     money_t take, int sign, struct ledger_transfer *t,
			     size_t *n)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	struct ledger_transfer *x = &t[*n];
	int year = g->first + k;
	char code[LEDGER_ID_MAX];

	assert(k >= 0 && k < GRANT_MAX_TRANCHES && take > 0);
	assert(sign == 1 || sign == -1);
	assert(at <= year);
	memset(x, 0, sizeof(*x));
	snprintf(x->ref, sizeof(x->ref), "%s", a->id);
	x->amount = take;
	if (sign > 0) {
		snprintf(x->id, sizeof(x->id), "disburse/%s/%d/%lld", a->id,
			 year, (long long)g->paid[k]);
		x->code = XFER_DISBURSE;
		office_pool_code(code, a->program, pool, at, "awarded",
				 a->uscc);
		x->debit = office_account_id(code);
		office_pool_code(code, a->program, pool, at, "paid", a->uscc);
		x->credit = office_account_id(code);
		(*n)++;
		return;
	}
	snprintf(x->id, sizeof(x->id), "clawback/%s/%d/%lld", a->id, year,
		 (long long)g->recovered[k]);
	x->code = XFER_CLAWBACK;
	office_pool_code(code, a->program, pool, at, "paid", a->uscc);
	x->debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at, "recovered", NULL);
	x->credit = office_account_id(code);
	memset(x + 1, 0, sizeof(*x));
	snprintf(x[1].ref, sizeof(x[1].ref), "%s", a->id);
	snprintf(x[1].id, sizeof(x[1].id), "return/%s/%d/%lld", a->id, year,
		 (long long)g->recovered[k]);
	x[1].code = XFER_RETURN;
	x[1].amount = take;
	x[1].debit = x->credit;
	office_pool_code(code, a->program, pool, at,
			 p->measures[m].clawback == CLAWBACK_TO_TREASURY
				 ? "treasury"
				 : "available",
			 NULL);
	x[1].credit = office_account_id(code);
	*n += 2;
}

/* Pay (sign 1) or claw back (sign -1) amount of grant a, year by year:
 * payments from the earliest posted tranche, clawbacks from the latest
 * paid year, as one linked chain. */
static int grant_money(struct office *o, const struct policy *p, int m,
		       struct store_app *a, money_t amount, int sign,
		       int64_t now, struct qerr *e)
{
	struct grant_years g;
	struct ledger_transfer t[2 * GRANT_MAX_TRANCHES];
	int results[2 * GRANT_MAX_TRANCHES];
	money_t left = amount;
	size_t n = 0;
	int rc;

	assert(office_is_grant(p, m) && amount > 0);
	assert(sign == 1 || sign == -1);
	memset(&g, 0, sizeof(g));
	g.id = a->id;
	g.first = a->fiscal_year;
	rc = store_transfer_each(o->store, a->id, grant_scan, &g, e);
	if (rc)
		return rc;
	for (int i = 0; left > 0 && i < GRANT_MAX_TRANCHES; i++) {
		int k = sign > 0 ? i : GRANT_MAX_TRANCHES - 1 - i;
		money_t room = sign > 0 ? g.posted[k] - g.paid[k]
					: g.paid[k] - g.recovered[k];
		money_t take = money_min(room, left);
		int at;

		if (take <= 0)
			continue;
		rc = grant_year_at(o, p, m, &g, k, &at, e);
		if (rc)
			return rc;
		grant_year_xfers(p, m, a, &g, k, at, take, sign, t, &n);
		left -= take;
	}
	if (left > 0) {
		char x[MONEY_TEXT_MAX];

		return qerr_set(e, Q_ERR_INVALID_MONEY, "amount",
				"amount: only %s of grant '%s' can be %s now",
				money_format(amount - left, x), a->id,
				sign > 0 ? "paid (milestones post the tranches)"
					 : "recovered");
	}
	for (size_t i = 0; i + 1 < n; i++)
		t[i].flags |= LEDGER_LINKED;
	if (ledger_create_transfers(office_ledger(o), t, n, now, results))
		return office_io_error(o, e, "moving grant money");
	for (size_t i = 0; i < n; i++)
		if (results[i] != LEDGER_OK)
			return qerr_set(e, Q_ERR_CONFLICT, "",
					"ledger: grant '%s': %s", a->id,
					ledger_result_name(results[i]));
	return Q_OK;
}

/* --- disburse ---------------------------------------------------------------- */

/* The fiscal year of the pool's accounts that pay measure m's fiscal year
 * `year`: a commitment's first year for all of its span; year itself when
 * the policy has no budget for it any longer (the accounts it was
 * reserved in). */
static int account_year(const struct policy *p, int m, int year)
{
	int at;

	assert(m >= 0 && (size_t)m < p->nmeasures);
	at = policy_pool_account_year(p, p->measures[m].pool, year);
	return at < 0 ? year : at;
}

/* Whether `by` may pay amount of application a (id), in the words of a
 * refusal. */
static int may_disburse(const struct store_app *a, const char *id,
			money_t amount, const char *by, bool grant,
			struct qerr *e)
{
	char left[MONEY_TEXT_MAX];

	assert(a && id && by);
	assert(amount > 0);
	if (!office_verb_allowed(a->state, VERB_DISBURSE, grant))
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only an awarded application is paid",
			id, app_state_name(a->state));
	/* Separation of duties: whoever approved the award (either of two
	 * approvers) does not also pay it. */
	if (!strcmp(by, a->approved_by) || !strcmp(by, a->approver))
		return qerr_set(
			e, Q_ERR_FORBIDDEN, "by",
			"'%s' approved '%s': the person who approves an award cannot disburse it",
			by, id);
	if (amount > a->awarded - a->paid)
		return qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: only %s of the award of '%s' is left to pay",
			money_format(a->awarded - a->paid, left), id);
	return Q_OK;
}

/* Pay amount of a's award (not a grant): awarded -> paid. */
static int pay(struct office *o, const struct policy *p, int m,
	       const struct store_app *a, money_t amount, int64_t now,
	       struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	struct ledger_transfer t;
	char code[LEDGER_ID_MAX];
	int at = account_year(p, m, a->fiscal_year);
	int rc, result;

	assert(!office_is_grant(p, m));
	assert(amount > 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "disburse/%s/%lld", a->id,
		 (long long)a->paid);
	snprintf(t.ref, sizeof(t.ref), "%s", a->id);
	t.code = XFER_DISBURSE;
	office_pool_code(code, a->program, pool, at, "awarded", a->uscc);
	t.debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at, "paid", a->uscc);
	t.credit = office_account_id(code);
	t.amount = amount;
	rc = office_xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "", "ledger: paying '%s': %s",
			      a->id, ledger_result_name(result));
	return rc;
}

int office_disburse(struct office *o, const char *id, money_t amount,
		    const char *by, int64_t now, struct qerr *e)
{
	return office_disburse_k(o, id, amount, by, now, NULL, e);
}

int office_disburse_k(struct office *o, const char *id, money_t amount,
		      const char *by, int64_t now, struct office_keyed *k,
		      struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	bool grant;
	int m, rc;

	assert(o && id && by);
	if (amount <= 0)
		return qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: a disbursement must be more than 0.00");
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if ((rc = office_key_find(o, k, &a, e)))
		return office_finish(o, rc, &a, e);
	grant = office_is_grant(p, m);
	rc = may_disburse(&a, id, amount, by, grant, e);
	if (!rc)
		rc = office_notice_hold(o, p, m, &a, now, e);
	if (!rc && p->measures[m].evidence_pay) {
		int64_t tranche;

		rc = office_next_tranche(o, id, &tranche, e);
		if (!rc)
			rc = office_evidence_hold(o, p, m, &a, tranche, e);
	}
	if (rc)
		return office_finish(o, rc, &a, e);
	rc = grant ? grant_money(o, p, m, &a, amount, 1, now, e)
		   : pay(o, p, m, &a, amount, now, e);
	if (!rc) {
		struct office_step s = {VERB_DISBURSE, a.state, grant,
					"disburse",    by,	now};

		a.paid += amount;
		/* "ref": the idempotency key (a batch's: its voucher), which
		 * the payments export lists (export.c). */
		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:o,s:o,s:s*}", "amount",
				  office_money_j(amount), "paid",
				  office_money_j(a.paid), "ref",
				  k && k->key && k->key[0] ? k->key : NULL),
			e);
	}
	if (!rc)
		rc = office_key_keep(
			o, k, &a,
			json_pack("{s:o}", "amount", office_money_j(amount)),
			by, now, e);
	return office_finish(o, rc, &a, e);
}

/* --- clawback ---------------------------------------------------------------- */

/* Recover amount paid to a (not a grant): paid -> recovered, then on to
 * the pool's available or the treasury, as one linked pair. */
static int recover(struct office *o, const struct policy *p, int m,
		   const struct store_app *a, money_t amount, int64_t now,
		   struct qerr *e)
{
	const struct policy_measure *pm = &p->measures[m];
	const char *pool = p->pools[pm->pool].id;
	struct ledger_transfer t[2];
	char code[LEDGER_ID_MAX];
	int at = account_year(p, m, a->fiscal_year);
	int results[2];

	assert(!office_is_grant(p, m));
	assert(amount > 0);
	memset(t, 0, sizeof(t));
	snprintf(t[0].id, sizeof(t[0].id), "clawback/%s/%lld", a->id,
		 (long long)a->recovered);
	snprintf(t[1].id, sizeof(t[1].id), "return/%s/%lld", a->id,
		 (long long)a->recovered);
	snprintf(t[0].ref, sizeof(t[0].ref), "%s", a->id);
	snprintf(t[1].ref, sizeof(t[1].ref), "%s", a->id);
	t[0].code = XFER_CLAWBACK;
	t[1].code = XFER_RETURN;
	t[0].flags = LEDGER_LINKED;
	t[0].amount = t[1].amount = amount;
	office_pool_code(code, a->program, pool, at, "paid", a->uscc);
	t[0].debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at, "recovered", NULL);
	t[0].credit = t[1].debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at,
			 pm->clawback == CLAWBACK_TO_TREASURY ? "treasury"
							      : "available",
			 NULL);
	t[1].credit = office_account_id(code);
	if (ledger_create_transfers(office_ledger(o), t, 2, now, results))
		return office_io_error(o, e, "a clawback");
	if (results[0] != LEDGER_OK || results[1] != LEDGER_OK)
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"ledger: clawback of '%s': %s", a->id,
				ledger_result_name(results[0] != LEDGER_OK
							   ? results[0]
							   : results[1]));
	return Q_OK;
}

/* Whether amount can be recovered from a (id), in the words of a refusal:
 * what was paid decides; the table then holds the state to those that can
 * have been paid. */
static int may_claw_back(const struct store_app *a, const char *id,
			 money_t amount, bool grant, struct qerr *e)
{
	char left[MONEY_TEXT_MAX];

	assert(a && id);
	assert(amount > 0);
	if (amount > a->paid - a->recovered)
		return qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: only %s was paid to '%s' and not yet recovered",
			money_format(a->paid - a->recovered, left), id);
	if (!office_verb_allowed(a->state, VERB_CLAWBACK, grant))
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: nothing paid to it can be recovered",
			id, app_state_name(a->state));
	return Q_OK;
}

int office_clawback(struct office *o, const char *id, money_t amount,
		    const char *why, const char *by, int64_t now,
		    struct qerr *e)
{
	return office_clawback_k(o, id, amount, why, by, now, NULL, e);
}

int office_clawback_k(struct office *o, const char *id, money_t amount,
		      const char *why, const char *by, int64_t now,
		      struct office_keyed *k, struct qerr *e)
{
	const struct policy_measure *pm;
	const struct policy *p;
	struct store_app a;
	bool grant;
	int m, rc;

	assert(o && id && by);
	if (amount <= 0)
		return qerr_set(e, Q_ERR_INVALID_MONEY, "amount",
				"amount: a clawback must be more than 0.00");
	if (!why || !*why)
		return qerr_set(e, Q_ERR_INVALID, "why",
				"why: a clawback needs a reason");
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if ((rc = office_key_find(o, k, &a, e)))
		return office_finish(o, rc, &a, e);
	pm = &p->measures[m];
	grant = office_is_grant(p, m);
	rc = may_claw_back(&a, id, amount, grant, e);
	if (!rc)
		rc = grant ? grant_money(o, p, m, &a, amount, -1, now, e)
			   : recover(o, p, m, &a, amount, now, e);
	if (!rc) {
		struct office_step s = {VERB_CLAWBACK, a.state, grant,
					"clawback",    by,	now};

		a.recovered += amount;
		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:o,s:s,s:s}", "amount",
				  office_money_j(amount), "why", why, "to",
				  pm->clawback == CLAWBACK_TO_TREASURY
					  ? "treasury"
					  : "pool"),
			e);
	}
	if (!rc && pm->clawback == CLAWBACK_TO_POOL)
		rc = office_serve_waitlist(o, p, p->pools[pm->pool].id,
					   a.fiscal_year, by, now, e);
	if (!rc)
		rc = office_key_keep(
			o, k, &a,
			json_pack("{s:o,s:s}", "amount", office_money_j(amount),
				  "to",
				  pm->clawback == CLAWBACK_TO_TREASURY
					  ? "treasury"
					  : "pool"),
			by, now, e);
	return office_finish(o, rc, &a, e);
}

/* --- milestone ---------------------------------------------------------------- */

/* The open tranche of grant id in year: its pending transfer (*pend), or
 * Q_ERR_INVALID when there is none. */
static int open_tranche(struct office *o, const char *id, int year,
			struct ledger_transfer *pend, struct qerr *e)
{
	const struct ledger_io *io = office_ledger(o);
	enum ledger_pending_state st;
	char pid[LEDGER_ID_MAX];
	int rc;

	assert(id && pend);
	assert(io);
	snprintf(pid, sizeof(pid), "reserve/%s/%d", id, year);
	rc = io->transfer_get(io->ctx, pid, pend);
	if (rc == 0)
		rc = io->pending_state(io->ctx, pid, &st);
	if (rc < 0)
		return office_io_error(o, e, "reading a tranche");
	if (rc > 0 || st != LEDGER_PENDING_OPEN)
		return qerr_set(e, Q_ERR_INVALID, "year",
				"grant '%s' has no open tranche in %d", id,
				year);
	return Q_OK;
}

/* Post the tranche pend of grant id in year. */
static int post_tranche(struct office *o, const char *id, int year,
			const struct ledger_transfer *pend, int64_t now,
			struct qerr *e)
{
	struct ledger_transfer t;
	int rc, result;

	assert(id && pend);
	assert(pend->amount >= 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s/%d", id, year);
	snprintf(t.id, sizeof(t.id), "award/%s/%d", id, year);
	snprintf(t.ref, sizeof(t.ref), "%s", id);
	t.code = XFER_AWARD;
	t.flags = LEDGER_POST_PENDING;
	t.amount = pend->amount;
	rc = office_xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: tranche %d of '%s': %s", year, id,
			      ledger_result_name(result));
	return rc;
}

int office_milestone(struct office *o, const char *id, int year,
		     const char *what, const char *by, int64_t now,
		     money_t *posted, struct qerr *e)
{
	return office_milestone_k(o, id, year, what, by, now, posted, NULL, e);
}

int office_milestone_k(struct office *o, const char *id, int year,
		       const char *what, const char *by, int64_t now,
		       money_t *posted, struct office_keyed *k, struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	struct ledger_transfer pend;
	int m, rc;

	assert(o && id && by && posted);
	*posted = 0;
	if (!what || !*what)
		return qerr_set(e, Q_ERR_INVALID, "why",
				"why: a milestone says what was achieved");
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if ((rc = office_key_find(o, k, &a, e)))
		return office_finish(o, rc, &a, e);
	if (!office_verb_allowed(a.state, VERB_MILESTONE,
				 office_is_grant(p, m))) {
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "application '%s' is not an awarded grant (%s)",
			      id, app_state_name(a.state));
		return office_finish(o, rc, &a, e);
	}
	rc = open_tranche(o, id, year, &pend, e);
	if (!rc)
		rc = post_tranche(o, id, year, &pend, now, e);
	if (!rc) {
		struct office_step s = {VERB_MILESTONE, APP_AWARDED, true,
					"milestone",	by,	     now};

		a.awarded += pend.amount;
		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:i,s:o,s:s}", "year", year, "tranche",
				  office_money_j(pend.amount), "what", what),
			e);
	}
	if (!rc)
		rc = office_key_keep(o, k, &a,
				     json_pack("{s:i,s:o}", "year", year,
					       "posted",
					       office_money_j(pend.amount)),
				     by, now, e);
	if (!rc)
		*posted = pend.amount;
	return office_finish(o, rc, &a, e);
}
