/*
 * lifecycle.c - the life of an application as one table: for each state
 * (and for an application not yet recorded) the verbs allowed in it and
 * the states each leads to. A verb asks the table whether it may act
 * (office_verb_allowed) and keeps its own words for a refusal; every
 * change of an application is written by office_app_move, with its audit
 * event, and asserted to be in the table. Also: loading an application
 * for a change, and finishing the change.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define TO(s) (1u << (s))
/* In a cell: only for an application of a grant measure; or never for
 * one. */
#define GRANT_ONLY (1u << 31)
#define NOT_GRANT (1u << 30)
#define CELL_FLAGS (GRANT_ONLY | NOT_GRANT)

_Static_assert(APP__STATE_COUNT < 30, "the states fit a cell's bits");

/* The table, as the verbs behave. A row is a state, a column a verb, a
 * cell the states the verb may lead to (TO), 0 when the verb is refused.
 * Money decides some steps within a cell: reserving leads to reserved or,
 * when the pool cannot cover it, waitlisted; an approval above the
 * measure's second_approver_above records the first approver and stays
 * reserved, and is posted (awarded) by a second, different one; an
 * approval in part is awarded with the rest released. Disburse,
 * milestone, clawback and settle change money, not the state. */
static const unsigned lifecycle[OFFICE_NEW + 1][VERB__COUNT] = {
	/* Intake: ineligible (or blocked by a screen), queued for a
	 * pro-rata round, waitlisted behind others or when the pool cannot
	 * cover it, or reserved. */
	[OFFICE_NEW] =
		{
			[VERB_APPLY] = TO(APP_INELIGIBLE) | TO(APP_QUEUED) |
				       TO(APP_WAITLISTED) | TO(APP_RESERVED),
		},
	/* Ineligible: final. */
	[APP_INELIGIBLE] = {0},
	/* Reserved: approved (awarded, or still reserved after the first of
	 * two approvers), rejected, withdrawn, or expired. */
	[APP_RESERVED] =
		{
			[VERB_APPROVE] = TO(APP_AWARDED) | TO(APP_RESERVED),
			[VERB_REJECT] = TO(APP_REJECTED),
			[VERB_WITHDRAW] = TO(APP_WITHDRAWN),
			[VERB_EXPIRE] = TO(APP_EXPIRED),
		},
	/* Waitlisted: served (reserved) when money frees up. */
	[APP_WAITLISTED] =
		{
			[VERB_SERVE] = TO(APP_RESERVED),
			[VERB_REJECT] = TO(APP_REJECTED),
			[VERB_WITHDRAW] = TO(APP_WITHDRAWN),
		},
	/* Queued: reserved (its share) when its round closes. */
	[APP_QUEUED] =
		{
			[VERB_ROUND] = TO(APP_RESERVED),
			[VERB_REJECT] = TO(APP_REJECTED),
			[VERB_WITHDRAW] = TO(APP_WITHDRAWN),
		},
	/* Awarded: paid and recovered, and settled (the award re-decided on
	 * the settled value, never up; not a grant, whose tranches follow
	 * its milestones); a grant also has its tranches posted by
	 * milestones, and can still be rejected or withdrawn (the tranches
	 * still ring-fenced return to their pools). An award (not a grant)
	 * is posted in a public notice, objected to during it, and the
	 * objection upheld (the award reversed: rejected) or dismissed. */
	[APP_AWARDED] =
		{
			[VERB_REJECT] = TO(APP_REJECTED) | GRANT_ONLY,
			[VERB_WITHDRAW] = TO(APP_WITHDRAWN) | GRANT_ONLY,
			[VERB_MILESTONE] = TO(APP_AWARDED) | GRANT_ONLY,
			[VERB_DISBURSE] = TO(APP_AWARDED),
			[VERB_CLAWBACK] = TO(APP_AWARDED),
			[VERB_SETTLE] = TO(APP_AWARDED) | NOT_GRANT,
			[VERB_NOTICE] = TO(APP_AWARDED) | NOT_GRANT,
			[VERB_OBJECT] = TO(APP_AWARDED) | NOT_GRANT,
			[VERB_UPHOLD] = TO(APP_REJECTED) | NOT_GRANT,
			[VERB_DISMISS] = TO(APP_AWARDED) | NOT_GRANT,
		},
	/* Rejected or withdrawn: what was paid before (a grant's tranches)
	 * can still be recovered. */
	[APP_REJECTED] = {[VERB_CLAWBACK] = TO(APP_REJECTED)},
	[APP_WITHDRAWN] = {[VERB_CLAWBACK] = TO(APP_WITHDRAWN)},
	/* Expired: final. */
	[APP_EXPIRED] = {0},
};

static unsigned cell(int state, enum office_verb v)
{
	assert(state >= 0 && state <= OFFICE_NEW);
	assert(v >= 0 && v < VERB__COUNT);
	return lifecycle[state][v];
}

bool office_verb_allowed(int state, enum office_verb v, bool grant)
{
	unsigned c = cell(state, v);

	assert((c & ~CELL_FLAGS) < TO(APP__STATE_COUNT));
	return (c & ~CELL_FLAGS) != 0 && (grant || !(c & GRANT_ONLY)) &&
	       (!grant || !(c & NOT_GRANT));
}

bool office_step_allowed(int from, enum office_verb v, int to, bool grant)
{
	assert(from >= 0 && from <= OFFICE_NEW);
	assert(to >= 0 && to < APP__STATE_COUNT);
	return office_verb_allowed(from, v, grant) && (cell(from, v) & TO(to));
}

json_t *office_app_row_json(const struct store_app *a)
{
	assert(a);
	assert(a->state >= 0 && a->state < APP__STATE_COUNT);
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:s}", "state",
			 app_state_name(a->state), "requested",
			 office_money_j(a->requested), "awarded",
			 office_money_j(a->awarded), "paid",
			 office_money_j(a->paid), "recovered",
			 office_money_j(a->recovered), "approver", a->approver,
			 "approved_by", a->approved_by);
}

void office_app_row_text(struct office_text *t, const struct store_app *a)
{
	assert(t && a);
	assert(a->state >= 0 && a->state < APP__STATE_COUNT);
	/* The keys in JSON_SORT_KEYS order, as office_app_row_json's. */
	office_text_raw(t, "{\"approved_by\":", 15);
	office_text_str(t, a->approved_by);
	office_text_raw(t, ",\"approver\":", 12);
	office_text_str(t, a->approver);
	office_text_raw(t, ",\"awarded\":", 11);
	office_text_money(t, a->awarded);
	office_text_raw(t, ",\"paid\":", 8);
	office_text_money(t, a->paid);
	office_text_raw(t, ",\"recovered\":", 13);
	office_text_money(t, a->recovered);
	office_text_raw(t, ",\"requested\":", 13);
	office_text_money(t, a->requested);
	office_text_raw(t, ",\"state\":", 9);
	office_text_str(t, app_state_name(a->state));
	office_text_raw(t, "}", 1);
}

int office_app_move(struct office *o, struct store_app *a,
		    const struct office_step *s, json_t *detail, struct qerr *e)
{
	return office_app_move_with(o, a, s, detail, NULL, 0, e);
}

int office_app_move_with(struct office *o, struct store_app *a,
			 const struct office_step *s, json_t *detail,
			 const struct office_member *m, size_t nm,
			 struct qerr *e)
{
	struct office_member all[OFFICE_MEMBERS_MAX];
	struct office_text row = {0};
	char *text;
	int from = a->state;
	int rc;

	assert(o && s && s->action && s->by);
	assert(office_step_allowed(from, s->verb, s->to, s->grant));
	assert(nm < OFFICE_MEMBERS_MAX && (m || nm == 0));
	/* Its firm-year's sums may differ once it changes: forgotten, never
	 * patched (intake adds to them, office_hot_moved). */
	if (from != OFFICE_NEW)
		office_hot_year_forget(o, a);
	a->state = s->to;
	a->updated_at = s->now;
	rc = from == OFFICE_NEW ? store_app_insert(o->store, a, e)
				: store_app_update(o->store, a, e);
	if (rc) {
		json_decref(detail);
		return rc;
	}
	office_hot_moved(o, a, from);
	/* The row as it now stands goes into its event, so that a change to
	 * the table behind quan's back no longer matches the chain. */
	office_app_row_text(&row, a);
	text = office_text_take(&row);
	if (!text) {
		json_decref(detail);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	if (nm)
		memcpy(all, m, nm * sizeof(*m));
	all[nm] = (struct office_member){"app", text, NULL};
	rc = office_audit_with(o, s->action, a->id, a->policy_hash, s->by,
			       s->now, detail, all, nm + 1, e);
	free(text);
	return rc;
}

int office_begin_on(struct office *o, const char *id, struct store_app *a,
		    const struct policy **p, int *measure, struct qerr *e)
{
	int rc;

	assert(o && id && a);
	assert(p && measure);
	rc = office_begin(o, e);
	if (rc)
		return rc;
	rc = store_app_get(o->store, id, a, e);
	if (rc == Q_NONE)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "id",
			      "id: no application '%.64s'", id);
	if (rc) {
		office_rollback(o);
		return rc;
	}
	*p = office_policy_of(o, a->program);
	*measure = *p ? policy_find_measure(*p, a->measure, strlen(a->measure))
		      : -1;
	if (*measure < 0) {
		store_app_release(a);
		office_rollback(o);
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program of '%.64s' is no longer loaded", id);
	}
	return Q_OK;
}

int office_finish(struct office *o, int rc, struct store_app *a, struct qerr *e)
{
	assert(o && o->store);
	assert(a);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
	store_app_release(a);
	return rc;
}
