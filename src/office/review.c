/*
 * review.c - the review of an application: approve it (in full, at a lower
 * rate or approved value, or by two approvers above the measure's
 * threshold), reject it, withdraw it at the applicant's request, and
 * expire the reservations nobody approved in time. Each is one
 * transaction; whatever it releases serves the waitlist.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine/app.h"
#include "engine/record.h"
#include "engine/render.h"

/* --- reject, withdraw, expire ---------------------------------------------- */

/* End application id's life by verb v (reject, withdraw or expire) in
 * state `to`: release what it holds, record it, serve the waitlist. */
static int end_state(struct office *o, const char *id, enum office_verb v,
		     int to, const char *action, const char *why,
		     const char *by, int64_t now, struct office_result *res,
		     struct qerr *e)
{
	struct store_app a;
	const struct policy *p;
	bool grant;
	int m, rc;

	assert(v == VERB_REJECT || v == VERB_WITHDRAW || v == VERB_EXPIRE);
	assert(action && by);
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	grant = office_is_grant(p, m);
	if (!office_verb_allowed(a.state, v, grant)) {
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only a reserved, waitlisted or queued application can be %s",
			id, app_state_name(a.state),
			to == APP_REJECTED ? "rejected" : "withdrawn");
		return office_finish(o, rc, &a, e);
	}
	rc = office_release(o, p, m, &a, now, e);
	if (!rc) {
		struct office_step s = {v, to, grant, action, by, now};
		bool freed =
			(a.state == APP_RESERVED || a.state == APP_AWARDED) &&
			a.requested > 0;

		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:s?,s:o}", "why", why, "released",
				  office_money_j(freed ? a.requested : 0)),
			e);
		/* Freed money, or a waitlist whose head just left: either
		 * way the next in line may fit now. */
		if (!rc)
			rc = office_serve_waitlist(
				o, p, p->pools[p->measures[m].pool].id,
				a.fiscal_year, by, now, e);
	}
	if (res) {
		memset(res, 0, sizeof(*res));
		snprintf(res->id, sizeof(res->id), "%s", id);
		snprintf(res->client_ref, sizeof(res->client_ref), "%s",
			 a.client_ref);
		res->received_at = a.received_at;
		res->state = a.state;
	}
	return office_finish(o, rc, &a, e);
}

int office_reject(struct office *o, const char *id, const char *why,
		  const char *by, int64_t now, struct office_result *res,
		  struct qerr *e)
{
	if (!why || !*why)
		return qerr_set(e, Q_ERR_MISSING_FIELD, "why",
				"why: a rejection says why");
	return end_state(o, id, VERB_REJECT, APP_REJECTED, "reject", why, by,
			 now, res, e);
}

int office_withdraw(struct office *o, const char *id, const char *by,
		    int64_t now, struct office_result *res, struct qerr *e)
{
	return end_state(o, id, VERB_WITHDRAW, APP_WITHDRAWN, "withdraw", NULL,
			 by, now, res, e);
}

struct expiring {
	struct office *o;
	int64_t now;
	char (*ids)[64];
	size_t n, max;
	struct qerr *e;
	int rc; /* a storage error met while collecting */
};

static int collect_expired(void *arg, const struct store_app *a)
{
	struct expiring *x = arg;
	const struct ledger_io *io = office_ledger(x->o);
	struct ledger_transfer t;
	char id[LEDGER_ID_MAX];

	assert(a->state == APP_RESERVED);
	if (a->requested == 0)
		return 0;
	snprintf(id, sizeof(id), "reserve/%s", a->id);
	int got = io->transfer_get(io->ctx, id, &t);

	/* A storage error stops the walk; it is never "not expired". */
	if (got < 0) {
		x->rc = office_io_error(x->o, x->e, "reading a reservation");
		return 1;
	}
	if (got > 0)
		return 0;
	if (t.expires_at == 0 || x->now < t.expires_at)
		return 0;
	if (x->n == x->max)
		return 1;
	memcpy(x->ids[x->n++], a->id, 64);
	return 0;
}

int office_expire(struct office *o, const char *by, int64_t now, long *count,
		  struct qerr *e)
{
	struct expiring x = {o, now, NULL, 0, MAX_WAITLIST, e, Q_OK};
	int rc;

	assert(o && by && count);
	*count = 0;
	x.ids = malloc(sizeof(*x.ids) * MAX_WAITLIST);
	if (!x.ids)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_app_each(o->store, NULL, APP_RESERVED, collect_expired, &x,
			    e);
	if (!rc)
		rc = x.rc;
	for (size_t i = 0; !rc && i < x.n; i++) {
		rc = end_state(o, x.ids[i], VERB_EXPIRE, APP_EXPIRED, "expire",
			       "not approved before its reservation expired",
			       by, now, NULL, e);
		if (!rc)
			(*count)++;
	}
	free(x.ids);
	return rc;
}

/* --- approve ---------------------------------------------------------------- */

/* At most the approved rate: the least of amt and base x rate. */
static int at_rate(const struct decision *d, rate_bp rate, money_t *amt,
		   struct qerr *e)
{
	money_t r;

	assert(d && amt);
	assert(rate >= 0);
	if (rate > d->rate)
		return qerr_set(
			e, Q_ERR_INVALID, "rate",
			"approved rate %d bp is above the policy's rate %d bp",
			rate, d->rate);
	if (money_apply_rate(d->base, rate, &r))
		return qerr_set(e, Q_ERR_OVERFLOW, "rate", "overflow");
	*amt = money_min(*amt, r);
	return Q_OK;
}

/* The whole award (every funder's share) whose pool part is `pool`, for the
 * two-person rule: the pool part itself when measure m has no external
 * funder; else the stored decision's amount when its pool share is that
 * part, or the part scaled up by the funders' weights (rounded down). */
static money_t award_total(const struct policy *p, int m,
			   const struct store_app *a, money_t pool)
{
	const struct policy_measure *pm = &p->measures[m];
	int64_t all = 0, own = 0;
	struct decision d;
	struct history h;
	const char *flags;
	struct qerr e;
	money_t t;

	assert(a && pool >= 0);
	for (size_t i = 0; i < pm->nfunders; i++) {
		all += pm->funders[i].weight;
		if (!pm->funders[i].external)
			own += pm->funders[i].weight;
	}
	if (all == own || own == 0)
		return pool;
	if (a->decision && record_is(a->decision) &&
	    !record_decode(a->decision, &d, &h, &flags, &e) && d.eligible &&
	    d.measure == m && decision_pool_share(p, &d) == pool)
		return d.amount;
	return money_scale(pool, all, own, &t) ? pool : t;
}

int office_redecide(struct office *o, const struct policy *p,
		    const struct store_app *a, money_t value, const char *field,
		    struct decision *d, json_t **json, struct qerr *e)
{
	struct application app;
	struct history h = {.from_db = true};
	int rc;

	assert(o && p && a && d);
	assert(field);
	if (json)
		*json = NULL;
	rc = app_parse_json(a->json, strlen(a->json), &app, e);
	if (rc)
		return rc;
	/* Re-decided as of when the office received it: the window and the
	 * fiscal year do not move with the review. */
	app.id = a->id;
	rc = app_receive(&app, a->received_at, e);
	if (rc) {
		app_release(&app);
		return rc;
	}
	if (value >= 0) {
		if (value > app.contract.value) {
			app_release(&app);
			return qerr_set(e, Q_ERR_INVALID, field,
					"%s is above the contract's face value",
					!strcmp(field, "approved_value")
						? "approved value"
						: field);
		}
		app.contract.value = value;
	}
	rc = store_applicant_year(o->store, a->program, a->measure, a->uscc,
				  a->fiscal_year, a->id, &h.awarded_year,
				  &h.compute_contracts_year, e);
	if (!rc && p->nlists)
		rc = office_supplier_lists(o, p, app.supplier.uscc, &h, e);
	if (!rc)
		rc = decide(p, &app, o->chips, &h, d, e);
	if (!rc && json) {
		*json = render_decision_json(p, &app, d);
		if (*json)
			json_object_set_new(*json, "history",
					    office_history_json(p, &h));
		else
			rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	app_release(&app);
	return rc;
}

/* The amount an approval awards of the pool (*out): the decision again
 * with the approved contract value, at most the approved rate, never more
 * than reserved; *total is the whole award, every funder's share with the
 * pool's, which the two-person rule reads. */
static int approved_amount(struct office *o, const struct policy *p, int m,
			   const struct store_app *a, rate_bp rate,
			   money_t value, money_t *out, money_t *total,
			   struct qerr *e)
{
	struct decision d;
	money_t amt;
	int rc;

	assert(p && a && out && total);
	*out = a->requested;
	*total = award_total(p, m, a, a->requested);
	if (rate < 0 && value < 0)
		return Q_OK;
	rc = office_redecide(o, p, a, value, "approved_value", &d, NULL, e);
	if (rc)
		return rc;
	if (!d.eligible)
		return qerr_set(
			e, Q_ERR_INVALID, "approved_value",
			"at the approved value the application is not eligible");
	amt = d.amount;
	if (rate >= 0 && rate != d.rate && p->measures[d.measure].rate_fixed)
		return qerr_set(
			e, Q_ERR_INVALID, "rate",
			"measure '%s' pays a fixed rate of %d bp, not a ceiling: approve it at that rate (an approved value may still lower the base)",
			p->measures[d.measure].id, d.rate);
	if (rate >= 0 && (rc = at_rate(&d, rate, &amt, e)))
		return rc;
	*total = amt;
	/* What the pool pays of it, as at application. */
	if (measure_pool_share(p, d.measure, amt, &amt))
		return qerr_set(e, Q_ERR_OVERFLOW, "rate", "overflow");
	if (amt > a->requested)
		*total = award_total(p, m, a, a->requested);
	*out = money_min(amt, a->requested);
	return Q_OK;
}

struct first_approval {
	const char *by;
	money_t amount; /* -1 until found */
	bool bad;	/* its amount does not read as money */
};

/* Keep the amount of the newest "approve-first" event by f->by. */
static int find_first(void *arg, const struct store_event *ev)
{
	struct first_approval *f = arg;
	json_t *d, *amt;
	struct qerr e;
	money_t m;

	if (strcmp(ev->action, "approve-first") || strcmp(ev->who, f->by))
		return 0;
	d = ev->detail ? json_loads(ev->detail, 0, NULL) : NULL;
	amt = json_object_get(d, "amount");
	if (json_is_string(amt) &&
	    !money_parse(json_string_value(amt), strlen(json_string_value(amt)),
			 &m, "amount", &e)) {
		f->amount = m;
		f->bad = false;
	} else {
		f->bad = true;
	}
	json_decref(d);
	return 0;
}

/* The second of two approvals (a holds the first, by another person):
 * the award is the first's amount, as its audit event recorded it, when
 * the second gives no rate and no value, or the lower amount the second
 * gives; never more than the first approved (Q_ERR_CONFLICT). *amount and
 * *total are the second's, as approved_amount found them. */
static int confirm_first(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, rate_bp rate, money_t value,
			 money_t *amount, money_t *total, struct qerr *e)
{
	struct first_approval f = {a->approver, -1, false};
	char x[2][MONEY_TEXT_MAX];
	int rc;

	assert(a->state == APP_RESERVED && a->approver[0]);
	assert(amount && total);
	rc = store_event_each_subject(o->store, a->id, find_first, &f, e);
	if (rc)
		return rc;
	if (f.amount < 0 || f.bad)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"the first approval of '%s' by '%s' is not in the audit chain: it cannot be confirmed",
			a->id, a->approver);
	f.amount = money_min(f.amount, a->requested);
	if (rate < 0 && value < 0) {
		*amount = f.amount;
		*total = award_total(p, m, a, f.amount);
		return Q_OK;
	}
	if (*amount > f.amount)
		return qerr_set(
			e, Q_ERR_CONFLICT,
			value >= 0 ? "approved_value" : "rate",
			"'%s' approved %s of '%s' first: a second approval confirms that amount or lowers it, never raises it (this one is %s)",
			a->approver, money_format(f.amount, x[0]), a->id,
			money_format(*amount, x[1]));
	return Q_OK;
}

/* Above the measure's second_approver_above an award (its total, with
 * any external funder's share) takes two different approvers: the first is recorded (the application stays reserved, *done)
 * and the same person cannot be the second. */
static int second_approver(struct office *o, const struct policy *p, int m,
			   struct store_app *a, money_t amount, money_t total,
			   const char *by, int64_t now,
			   struct office_result *res, bool *done,
			   struct qerr *e)
{
	const struct policy_measure *pm = &p->measures[m];
	struct office_step s = {
		VERB_APPROVE,	 APP_RESERVED, office_is_grant(p, m),
		"approve-first", by,	       now};
	int rc;

	assert(a->state == APP_RESERVED && done);
	*done = false;
	/* Whoever approved first cannot finish the award alone, whatever the
	 * amount now is: lowering it under the threshold on a second go
	 * would get round the two-person rule. */
	if (a->approver[0] && !strcmp(a->approver, by))
		return qerr_set(
			e, Q_ERR_FORBIDDEN, "by",
			"'%s' approved '%s' already: the award needs a second, different approver",
			by, a->id);
	if (pm->second_approver_above < 0 || total <= pm->second_approver_above)
		return Q_OK;
	if (a->approver[0] && !strcmp(a->approver, by))
		return qerr_set(
			e, Q_ERR_FORBIDDEN, "by",
			"'%s' approved '%s' already: an award above %s needs a second, different approver",
			by, a->id,
			money_format(pm->second_approver_above,
				     (char[MONEY_TEXT_MAX]){0}));
	if (a->approver[0])
		return Q_OK;
	*done = true;
	snprintf(a->approver, sizeof(a->approver), "%s", by);
	rc = office_app_move(
		o, a, &s, json_pack("{s:o}", "amount", office_money_j(amount)),
		e);
	res->state = a->state;
	res->amount = amount;
	return rc;
}

/* Award a grant: its tranches stay ring-fenced; milestones post them. */
static int award_grant(struct office *o, struct store_app *a, const char *by,
		       int64_t now, struct office_result *res, struct qerr *e)
{
	struct office_step s = {VERB_APPROVE, APP_AWARDED, true,
				"approve",    by,	   now};
	int rc;

	assert(a->state == APP_RESERVED);
	assert(a->requested > 0);
	snprintf(a->approved_by, sizeof(a->approved_by), "%s", by);
	a->awarded = 0;
	rc = office_app_move(o, a, &s,
			     json_pack("{s:o,s:s?}", "grant",
				       office_money_j(a->requested),
				       "first_approver",
				       a->approver[0] ? a->approver : NULL),
			     e);
	res->state = a->state;
	res->amount = a->requested;
	return rc;
}

/* Post amount of a's reservation (void it all when amount is 0). */
static int post_reservation(struct office *o, const struct store_app *a,
			    money_t amount, int64_t now, struct qerr *e)
{
	struct ledger_transfer t;
	int result, rc;

	assert(amount >= 0 && amount <= a->requested);
	assert(a->requested > 0);
	office_transfer_init(&t, amount > 0 ? "award" : "release", a->id,
			     amount > 0 ? XFER_AWARD : XFER_RELEASE);
	snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s", a->id);
	t.flags = amount > 0 ? LEDGER_POST_PENDING : LEDGER_VOID_PENDING;
	t.amount = amount;
	rc = office_xfer(o, &t, now, &result, e);
	if (!rc && result == LEDGER_PENDING_EXPIRED)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"the reservation of '%s' has expired: it can no longer be approved (quan expire releases it)",
			a->id);
	else if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: awarding '%s': %s", a->id,
			      ledger_result_name(result));
	return rc;
}

/* Award amount of a's reservation, the rest returning to the pool (which
 * then serves its waitlist). */
static int award(struct office *o, const struct policy *p, int m,
		 struct store_app *a, money_t amount, const char *by,
		 int64_t now, struct office_result *res, struct qerr *e)
{
	struct office_step s = {
		VERB_APPROVE, APP_AWARDED, office_is_grant(p, m),
		"approve",    by,	   now};
	int rc = Q_OK;

	assert(a->state == APP_RESERVED);
	assert(amount >= 0 && amount <= a->requested);
	if (a->requested > 0)
		rc = post_reservation(o, a, amount, now, e);
	if (!rc) {
		snprintf(a->approved_by, sizeof(a->approved_by), "%s", by);
		a->awarded = amount;
		rc = office_app_move(
			o, a, &s,
			json_pack("{s:o,s:o,s:s?}", "awarded",
				  office_money_j(amount), "released",
				  office_money_j(a->requested - amount),
				  "first_approver",
				  a->approver[0] ? a->approver : NULL),
			e);
	}
	if (!rc && amount < a->requested)
		rc = office_serve_waitlist(o, p,
					   p->pools[p->measures[m].pool].id,
					   a->fiscal_year, by, now, e);
	res->state = a->state;
	res->amount = amount;
	return rc;
}

/* The answer of an approval: what it awarded (or, a first approval, what
 * it approved), by whom, with the application's totals. */
static int approve_answer(struct office *o, struct office_keyed *k,
			  const struct store_app *a,
			  const struct office_result *res, const char *by,
			  int64_t now, struct qerr *e)
{
	bool first = res->state == APP_RESERVED;

	return office_key_keep(
		o, k, a,
		json_pack("{s:o,s:s?,s:s?,s:b}", "amount",
			  office_money_j(res->amount), "approved_by",
			  first ? NULL : a->approved_by, "first_approver",
			  a->approver[0] ? a->approver : NULL,
			  "second_approval_needed", first),
		by, now, e);
}

int office_approve(struct office *o, const char *id, rate_bp rate,
		   money_t approved_value, const char *by, int64_t now,
		   struct office_result *res, struct qerr *e)
{
	return office_approve_k(o, id, rate, approved_value, by, now, res, NULL,
				e);
}

int office_approve_k(struct office *o, const char *id, rate_bp rate,
		     money_t approved_value, const char *by, int64_t now,
		     struct office_result *res, struct office_keyed *k,
		     struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	money_t amount, total = 0;
	bool grant, done = false;
	int m, rc;

	assert(o && id && by && res);
	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", id);
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if ((rc = office_key_find(o, k, &a, e)))
		return office_finish(o, rc, &a, e);
	grant = office_is_grant(p, m);
	if (!office_verb_allowed(a.state, VERB_APPROVE, grant))
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only a reserved application can be approved",
			id, app_state_name(a.state));
	else if (grant && (rate >= 0 || approved_value >= 0))
		rc = qerr_set(
			e, Q_ERR_INVALID, "rate",
			"a grant is awarded as reserved, tranche by tranche: reject it and apply again to change it");
	if (!rc)
		rc = office_evidence_hold(o, p, m, &a, 0, e);
	if (!rc)
		rc = approved_amount(o, p, m, &a, rate, approved_value, &amount,
				     &total, e);
	/* An award of nothing is a rejection, which says why. */
	if (!rc && amount == 0 && a.requested > 0)
		rc = qerr_set(
			e, Q_ERR_INVALID,
			approved_value >= 0 ? "approved_value" : "rate",
			"approving '%s' at that %s awards 0.00: reject it instead, saying why",
			id, approved_value >= 0 ? "value" : "rate");
	/* A second approval confirms the first's amount or lowers it. */
	if (!rc && a.approver[0] && strcmp(a.approver, by))
		rc = confirm_first(o, p, m, &a, rate, approved_value, &amount,
				   &total, e);
	if (!rc)
		rc = second_approver(o, p, m, &a, amount, total, by, now, res,
				     &done, e);
	if (!rc && !done) {
		if (a.requested > 0 && grant)
			rc = award_grant(o, &a, by, now, res, e);
		else
			rc = award(o, p, m, &a, amount, by, now, res, e);
	}
	if (!rc)
		rc = approve_answer(o, k, &a, res, by, now, e);
	return office_finish(o, rc, &a, e);
}
