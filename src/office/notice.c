/*
 * notice.c - the public notice (公示): an administrator posts awarded
 * applications of a program for the working days their measures' policy
 * says; while the notice runs they are not paid; an objection lodged
 * during it holds the award until a reviewer upholds it (the award is
 * reversed to the pool, whose waitlist is then served, and the
 * application rejected) or dismisses it. Each verb is one transaction
 * with one audit event.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "policy/holidays.h"

/* --- holding payment ------------------------------------------------------ */

int office_notice_hold(struct office *o, const struct policy *p, int m,
		       const struct store_app *a, int64_t now, struct qerr *e)
{
	struct store_notice n;
	struct store_objection ob;
	char end[DATE_TEXT_MAX];
	int rc;

	assert(o && p && a);
	assert(m >= 0 && (size_t)m < p->nmeasures);
	rc = store_notice_of(o->store, a->id, &n, e);
	if (rc == Q_NONE) {
		if (p->measures[m].notice_days == 0)
			return Q_OK;
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"measure '%s' requires a public notice of %d working days before payment: application '%s' has been in none (quan notice open)",
			p->measures[m].id, p->measures[m].notice_days, a->id);
	}
	if (rc)
		return rc;
	/* A closed notice has run its days: closing it checked them against
	 * the clock of its close, which may be later than this one's. */
	if (n.closed_at == 0 && date_of_instant(now) <= n.ends_on)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is in public notice '%s' until %s: it can be paid from the day after",
			a->id, n.id, date_format(n.ends_on, end));
	rc = store_objection_open(o->store, a->id, &ob, e);
	if (rc == Q_OK)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' holds an open objection (%lld) from notice '%s': it is paid only after a reviewer dismisses it",
			a->id, (long long)ob.seq, n.id);
	if (rc != Q_NONE)
		return rc;
	if (n.closed_at == 0)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"notice '%s' ended on %s but is not closed: an administrator closes it (quan notice close) before its awards are paid",
			n.id, date_format(n.ends_on, end));
	return Q_OK;
}

/* --- opening a notice ----------------------------------------------------- */

/* Check that application id may be posted in a notice of program p: *days
 * grows to its measure's notice length. */
static int postable(struct office *o, const struct policy *p, const char *id,
		    int *days, struct qerr *e)
{
	struct store_app a;
	struct store_notice was;
	int m, rc;

	assert(p && id && days);
	rc = store_app_get(o->store, id, &a, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "ids",
				"ids: no application '%.64s'", id);
	if (rc)
		return rc;
	m = policy_find_measure(p, a.measure, strlen(a.measure));
	if (strcmp(a.program, p->program) || m < 0)
		rc = qerr_set(e, Q_ERR_INVALID, "ids",
			      "ids: application '%s' is not of program '%s'",
			      id, p->program);
	else if (!office_verb_allowed(a.state, VERB_NOTICE,
				      office_is_grant(p, m)))
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only an awarded application (not a grant) is posted in a notice",
			id,
			office_is_grant(p, m) ? "a grant"
					      : app_state_name(a.state));
	else if (a.paid > 0)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' has been paid already: a notice comes before payment",
			id);
	else if ((rc = store_notice_of(o->store, id, &was, e)) == Q_OK)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "ids",
			"application '%s' has been in notice '%s' already", id,
			was.id);
	else if (rc == Q_NONE)
		rc = Q_OK;
	if (!rc && p->measures[m].notice_days > *days)
		*days = p->measures[m].notice_days;
	store_app_release(&a);
	return rc;
}

/* The notice's record: its id, first and last day. */
static int notice_make(struct office *o, const struct holidays *cal,
		       const struct policy *p, int days, const char *by,
		       int64_t now, struct store_notice *n, struct qerr *e)
{
	int64_t count;
	int rc;

	assert(days > 0);
	memset(n, 0, sizeof(*n));
	rc = store_notice_count(o->store, p->program, &count, e);
	if (rc)
		return rc;
	snprintf(n->id, sizeof(n->id), "%s-notice-%lld", p->program,
		 (long long)count + 1);
	snprintf(n->program, sizeof(n->program), "%s", p->program);
	snprintf(n->opened_by, sizeof(n->opened_by), "%s", by);
	n->opened_on = date_of_instant(now);
	n->working_days = days;
	n->opened_at = now;
	return holidays_add_working_days(cal, n->opened_on, days, &n->ends_on,
					 e);
}

/* The calendar's years the notice spans, with their notices' numbers. */
static json_t *calendar_j(const struct holidays *cal,
			  const struct store_notice *n)
{
	json_t *arr = json_array();

	for (int y = date_year(n->opened_on); arr && y <= date_year(n->ends_on);
	     y++) {
		const struct holidays_year *hy = holidays_year(cal, y);

		assert(hy);
		json_array_append_new(arr, json_pack("{s:i,s:s}", "year", y,
						     "number", hy->number));
	}
	return arr;
}

int office_notice_open(struct office *o, const struct holidays *cal,
		       const char *program, const char *const *ids, size_t n,
		       const char *by, int64_t now, struct office_notice *out,
		       struct qerr *e)
{
	const struct policy *p;
	struct store_notice rec;
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
	json_t *list;
	int days = 0, rc;

	assert(o && cal && program && by && out);
	assert(ids || n == 0);
	memset(out, 0, sizeof(*out));
	if (n == 0 || n > OFFICE_NOTICE_MAX)
		return qerr_set(e, Q_ERR_INVALID, "ids",
				"ids: a notice posts 1 to %d applications",
				OFFICE_NOTICE_MAX);
	p = office_policy_of(o, program);
	if (!p)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program: unknown program '%.64s'", program);
	rc = office_begin(o, e);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = postable(o, p, ids[i], &days, e);
	if (!rc && days == 0)
		rc = qerr_set(
			e, Q_ERR_INVALID, "ids",
			"no measure of these applications requires a public notice (public_notice: in the policy)");
	if (!rc)
		rc = notice_make(o, cal, p, days, by, now, &rec, e);
	if (!rc)
		rc = store_notice_add(o->store, &rec, e);
	list = json_array();
	for (size_t i = 0; !rc && i < n; i++) {
		struct store_app a;

		rc = store_app_get(o->store, ids[i], &a, e);
		if (rc == Q_NONE)
			rc = qerr_set(e, Q_ERR_NOT_FOUND, "ids",
				      "ids: no application '%.64s'", ids[i]);
		if (rc)
			break;
		rc = store_notice_award_add(o->store, ids[i], rec.id, a.awarded,
					    e);
		store_app_release(&a);
		json_array_append_new(list, json_string(ids[i]));
	}
	if (!rc)
		rc = office_audit(
			o, "notice-open", rec.id, p->hash, by, now,
			json_pack("{s:s,s:O,s:s,s:s,s:i,s:o}", "program",
				  p->program, "ids", list, "opened_on",
				  date_format(rec.opened_on, d1), "ends_on",
				  date_format(rec.ends_on, d2), "working_days",
				  rec.working_days, "calendar",
				  calendar_j(cal, &rec)),
			e);
	json_decref(list);
	if (!rc)
		rc = office_commit(o, e);
	if (rc) {
		office_rollback(o);
		return rc;
	}
	snprintf(out->id, sizeof(out->id), "%s", rec.id);
	snprintf(out->program, sizeof(out->program), "%s", rec.program);
	out->opened_on = rec.opened_on;
	out->ends_on = rec.ends_on;
	out->working_days = rec.working_days;
	out->n = n;
	return Q_OK;
}

/* --- objections ----------------------------------------------------------- */

int office_object(struct office *o, const char *id, const char *why,
		  const char *by, int64_t now, struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	struct store_notice n;
	struct store_objection ob;
	char end[DATE_TEXT_MAX];
	int64_t count;
	int m, rc;

	assert(o && id && by);
	if (!why || !*why || strlen(why) > OFFICE_OBJECTION_MAX)
		return qerr_set(e, Q_ERR_MISSING_FIELD, "why",
				"why: an objection says why, in 1 to %d bytes",
				OFFICE_OBJECTION_MAX);
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if (!office_verb_allowed(a.state, VERB_OBJECT, office_is_grant(p, m)))
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only an award in a public notice can be objected to",
			id, app_state_name(a.state));
	else if ((rc = store_notice_of(o->store, id, &n, e)) == Q_NONE)
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "application '%s' is in no public notice", id);
	else if (!rc && date_of_instant(now) > n.ends_on)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"notice '%s' ended on %s: objections are lodged while it runs",
			n.id, date_format(n.ends_on, end));
	if (!rc && (rc = store_objection_open(o->store, id, &ob, e)) == Q_OK)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' holds an open objection (%lld) already: a reviewer decides it first",
			id, (long long)ob.seq);
	else if (rc == Q_NONE)
		rc = Q_OK;
	if (!rc)
		rc = store_objection_count(o->store, id, &count, e);
	if (!rc) {
		struct office_step s = {VERB_OBJECT, APP_AWARDED, false,
					"object",    by,	  now};

		memset(&ob, 0, sizeof(ob));
		snprintf(ob.app_id, sizeof(ob.app_id), "%s", id);
		ob.seq = count + 1;
		snprintf(ob.notice_id, sizeof(ob.notice_id), "%s", n.id);
		snprintf(ob.why, sizeof(ob.why), "%s", why);
		snprintf(ob.lodged_by, sizeof(ob.lodged_by), "%s", by);
		ob.lodged_at = now;
		rc = store_objection_add(o->store, &ob, e);
		if (!rc)
			rc = office_app_move(
				o, &a, &s,
				json_pack("{s:s,s:I,s:s}", "notice", n.id,
					  "objection", (json_int_t)ob.seq,
					  "why", why),
				e);
	}
	return office_finish(o, rc, &a, e);
}

/* Return what is left of a's award to its pool's available:
 * awarded/<uscc> -> available, one transfer. */
static int reverse_award(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t now, struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	int at = policy_pool_account_year(p, p->measures[m].pool,
					  a->fiscal_year);
	struct ledger_transfer t;
	char code[LEDGER_ID_MAX];
	int rc, result;

	assert(!office_is_grant(p, m));
	assert(a->paid == 0 && a->awarded > 0);
	office_transfer_init(&t, "reverse", a->id, XFER_REVERSE);
	if (at < 0)
		at = a->fiscal_year;
	office_pool_code(code, a->program, pool, at, "awarded", a->uscc);
	t.debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at, "available", NULL);
	t.credit = office_account_id(code);
	t.amount = a->awarded;
	rc = office_xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: reversing the award of '%s': %s", a->id,
			      ledger_result_name(result));
	return rc;
}

int office_objection_decide(struct office *o, const char *id, bool uphold,
			    const char *why, const char *by, int64_t now,
			    struct office_result *res, struct qerr *e)
{
	return office_objection_decide_k(o, id, uphold, why, by, now, res, NULL,
					 e);
}

int office_objection_decide_k(struct office *o, const char *id, bool uphold,
			      const char *why, const char *by, int64_t now,
			      struct office_result *res, struct office_keyed *k,
			      struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	struct store_objection ob;
	money_t returned = 0;
	int m, rc;

	assert(o && id && by && res);
	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", id);
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if ((rc = office_key_find(o, k, &a, e)))
		return office_finish(o, rc, &a, e);
	rc = store_objection_open(o->store, id, &ob, e);
	if (rc == Q_NONE)
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "application '%s' holds no open objection", id);
	else if (!rc && !office_verb_allowed(
				a.state, uphold ? VERB_UPHOLD : VERB_DISMISS,
				office_is_grant(p, m)))
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "application '%s' is %s: no award to decide on",
			      id, app_state_name(a.state));
	if (!rc)
		rc = store_objection_decide(o->store, id, ob.seq,
					    uphold ? "upheld" : "dismissed", by,
					    now, e);
	if (!rc && uphold && a.awarded > 0) {
		returned = a.awarded;
		rc = reverse_award(o, p, m, &a, now, e);
	}
	if (!rc) {
		struct office_step s = {uphold ? VERB_UPHOLD : VERB_DISMISS,
					uphold ? APP_REJECTED : APP_AWARDED,
					false,
					uphold ? "uphold" : "dismiss",
					by,
					now};

		if (uphold)
			a.awarded = 0;
		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:s,s:I,s:s?,s:o}", "notice", ob.notice_id,
				  "objection", (json_int_t)ob.seq, "why", why,
				  "returned", office_money_j(returned)),
			e);
	}
	/* Money came back: the next in line may fit now. */
	if (!rc && returned > 0)
		rc = office_serve_waitlist(o, p,
					   p->pools[p->measures[m].pool].id,
					   a.fiscal_year, by, now, e);
	if (!rc)
		rc = office_key_keep(o, k, &a,
				     json_pack("{s:s,s:o}", "outcome",
					       uphold ? "upheld" : "dismissed",
					       "returned",
					       office_money_j(returned)),
				     by, now, e);
	res->state = a.state;
	res->amount = returned;
	return office_finish(o, rc, &a, e);
}

/* --- opening over a program or measure ------------------------------------ */

/* The awarded applications of one program store_app_each has visited. */
struct candidates {
	const char *measure; /* NULL: every measure */
	char (*ids)[64];
	size_t n;
	bool more; /* more than OFFICE_NOTICE_MAX */
};

static int candidate(void *arg, const struct store_app *a)
{
	struct candidates *c = arg;

	assert(c && a);
	if (c->measure && strcmp(a->measure, c->measure))
		return 0;
	if (a->paid > 0)
		return 0;
	if (c->n == OFFICE_NOTICE_MAX) {
		c->more = true;
		return 1;
	}
	snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s", a->id);
	return 0;
}

/* Keep of c's ids those whose measure asks for a notice, not a grant, and
 * that have been in none. */
static int candidates_filter(struct office *o, const struct policy *p,
			     struct candidates *c, struct qerr *e)
{
	size_t kept = 0;
	int rc = Q_OK;

	assert(o && p && c);
	for (size_t i = 0; !rc && i < c->n; i++) {
		struct store_app a;
		struct store_notice was;
		int m;

		rc = store_app_get(o->store, c->ids[i], &a, e);
		if (rc == Q_NONE) {
			rc = Q_OK;
			continue;
		}
		if (rc)
			break;
		m = policy_find_measure(p, a.measure, strlen(a.measure));
		store_app_release(&a);
		if (m < 0 || office_is_grant(p, m) ||
		    p->measures[m].notice_days == 0)
			continue;
		rc = store_notice_of(o->store, c->ids[i], &was, e);
		if (rc == Q_NONE) {
			rc = Q_OK;
			if (kept != i)
				memcpy(c->ids[kept], c->ids[i],
				       sizeof(c->ids[0]));
			kept++;
		}
	}
	c->n = kept;
	return rc;
}

int office_notice_open_program(struct office *o, const struct holidays *cal,
			       const char *program, const char *measure,
			       const char *by, int64_t now,
			       struct office_notice *out, struct qerr *e)
{
	const struct policy *p;
	struct candidates c = {measure, NULL, 0, false};
	const char **ids = NULL;
	int rc;

	assert(o && cal && program && by && out);
	memset(out, 0, sizeof(*out));
	p = office_policy_of(o, program);
	if (!p)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program: unknown program '%.64s'", program);
	if (measure && policy_find_measure(p, measure, strlen(measure)) < 0)
		return qerr_set(e, Q_ERR_INVALID, "measure",
				"measure: program '%s' has no measure '%.64s'",
				program, measure);
	c.ids = calloc(OFFICE_NOTICE_MAX, sizeof(*c.ids));
	ids = calloc(OFFICE_NOTICE_MAX, sizeof(*ids));
	if (!c.ids || !ids) {
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto out;
	}
	rc = store_app_each(o->store, program, APP_AWARDED, candidate, &c, e);
	if (!rc && c.more)
		rc = qerr_set(
			e, Q_ERR_INVALID, "program",
			"program '%s' holds more than %d awards to post: open the notice per measure (--measure)",
			program, OFFICE_NOTICE_MAX);
	if (!rc)
		rc = candidates_filter(o, p, &c, e);
	if (!rc && c.n == 0)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "program",
			"no awarded application of '%s'%s%s waits for a public notice (awarded, unpaid, of a measure with public_notice, in no notice yet)",
			program, measure ? " measure " : "",
			measure ? measure : "");
	for (size_t i = 0; !rc && i < c.n; i++)
		ids[i] = c.ids[i];
	if (!rc)
		rc = office_notice_open(o, cal, program, ids, c.n, by, now, out,
					e);
out:
	free(ids);
	free(c.ids);
	return rc;
}

/* --- closing -------------------------------------------------------------- */

/* What closing a notice finds of its awards. */
struct closing {
	struct office *o;
	json_t *payable, *rejected;
	char held[64]; /* an award with an open objection, "" if none */
	struct qerr *e;
	int rc;
};

static int closing_award(void *arg, const char *app_id, money_t amount)
{
	struct closing *c = arg;
	struct store_app a;
	struct store_objection ob;

	assert(c && app_id);
	assert(amount >= 0);
	c->rc = store_objection_open(c->o->store, app_id, &ob, c->e);
	if (c->rc == Q_OK) {
		snprintf(c->held, sizeof(c->held), "%s", app_id);
		return 1;
	}
	if (c->rc != Q_NONE)
		return 1;
	c->rc = store_app_get(c->o->store, app_id, &a, c->e);
	if (c->rc)
		return 1;
	json_array_append_new(a.state == APP_AWARDED ? c->payable : c->rejected,
			      json_string(app_id));
	store_app_release(&a);
	return 0;
}

int office_notice_close(struct office *o, const char *id, const char *by,
			int64_t now, struct office_notice *out, struct qerr *e)
{
	struct store_notice n;
	struct closing c = {o, json_array(), json_array(), "", e, Q_OK};
	char end[DATE_TEXT_MAX];
	int rc;

	assert(o && id && by && out);
	memset(out, 0, sizeof(*out));
	rc = office_begin(o, e);
	if (rc)
		goto out;
	rc = store_notice_get(o->store, id, &n, e);
	if (rc == Q_NONE)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "id",
			      "id: no public notice '%.96s'", id);
	else if (!rc && n.closed_at)
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "notice '%s' was closed already by %s", id,
			      n.closed_by);
	else if (!rc && date_of_instant(now) <= n.ends_on)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"notice '%s' runs until %s (%d working days): it can be closed from the day after",
			id, date_format(n.ends_on, end), n.working_days);
	if (!rc)
		rc = store_notice_awards(o->store, id, closing_award, &c, e);
	if (!rc)
		rc = c.rc == Q_NONE ? Q_OK : c.rc;
	if (!rc && c.held[0])
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' in notice '%s' holds an open objection: a reviewer decides it before the notice is closed",
			c.held, id);
	if (!rc)
		rc = store_notice_close(o->store, id, by, now, e);
	if (!rc)
		rc = office_audit(o, "notice-close", id,
				  office_policy_of(o, n.program)
					  ? office_policy_of(o, n.program)->hash
					  : NULL,
				  by, now,
				  json_pack("{s:s,s:O,s:O}", "program",
					    n.program, "payable", c.payable,
					    "rejected", c.rejected),
				  e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc) {
		office_rollback(o);
		goto out;
	}
	snprintf(out->id, sizeof(out->id), "%s", n.id);
	snprintf(out->program, sizeof(out->program), "%s", n.program);
	out->opened_on = n.opened_on;
	out->ends_on = n.ends_on;
	out->working_days = n.working_days;
	out->n = json_array_size(c.payable);
out:
	json_decref(c.payable);
	json_decref(c.rejected);
	return rc;
}
