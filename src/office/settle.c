/*
 * settle.c - settlement (office_settle): when the invoices come in, the
 * approved or incurred value replaces the contract's value, the
 * application is decided again on it as when the office received it, and
 * the award can only go down: the difference returns from the applicant's
 * awarded account to the pool's available, whose waitlist is then served.
 * A larger incurred amount needs a new application; money already paid
 * is recovered by a clawback, not by a settlement.
 */
#include "office/office_int.h"

#include <assert.h>
#include <string.h>

/* Whether application a (id) may be settled at value, in the words of a
 * refusal: its measure, its state, the contract's face value. */
static int may_settle(const struct store_app *a, const char *id, bool grant,
		      money_t value, struct qerr *e)
{
	char v[MONEY_TEXT_MAX], f[MONEY_TEXT_MAX];

	assert(a && id);
	assert(value >= 0);
	if (grant)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is a grant: its tranches follow its milestones, and a grant is not settled",
			id);
	if (a->state == APP_RESERVED)
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is reserved, not yet awarded: approve it at the approved value instead (quan review %s --approve --approved-value YUAN; approved_value over HTTP), which decides it again on that value",
			id, id);
	if (!office_verb_allowed(a->state, VERB_SETTLE, grant))
		return qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only an awarded application is settled",
			id, app_state_name(a->state));
	if (value > a->contract_value)
		return qerr_set(
			e, Q_ERR_INVALID, "value",
			"value: the settled value %s is above the contract's face value %s: a larger incurred amount needs a new application",
			money_format(value, v),
			money_format(a->contract_value, f));
	return Q_OK;
}

/* The award of a settled at value: *decided the pool's share of the
 * decision on that value, *amount the least of it and the award so far;
 * *dj the decision rendered (a new reference). */
static int settled_amount(struct office *o, const struct policy *p,
			  const struct store_app *a, money_t value,
			  money_t *decided, money_t *amount, json_t **dj,
			  struct qerr *e)
{
	struct decision d;
	char v[MONEY_TEXT_MAX], paid[MONEY_TEXT_MAX], got[MONEY_TEXT_MAX];
	int rc;

	assert(p && a && decided && amount && dj);
	assert(a->state == APP_AWARDED);
	rc = office_redecide(o, p, a, value, "value", &d, dj, e);
	if (rc)
		return rc;
	if (!d.eligible)
		return qerr_set(
			e, Q_ERR_INVALID, "value",
			"value: at the settled value application '%s' is not eligible",
			a->id);
	/* What the pool pays of it, as at application. */
	if (measure_pool_share(p, d.measure, d.amount, decided))
		return qerr_set(e, Q_ERR_OVERFLOW, "value", "overflow");
	*amount = money_min(*decided, a->awarded);
	if (*amount < a->paid)
		return qerr_set(
			e, Q_ERR_INVALID_MONEY, "value",
			"value: settled at %s, '%s' would be awarded %s, less than the %s already paid: a clawback recovers money paid",
			money_format(value, v), a->id,
			money_format(*amount, got),
			money_format(a->paid, paid));
	return Q_OK;
}

/* Return released of a's award to its pool's available:
 * awarded/<uscc> -> available, one transfer. */
static int release_award(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, money_t released,
			 int64_t now, struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	struct ledger_transfer t;
	char code[LEDGER_ID_MAX];
	int rc, result;

	assert(!office_is_grant(p, m));
	assert(released > 0 && released <= a->awarded - a->paid);
	/* One id per settlement that releases: the award only goes down. */
	office_transfer_init(&t, "settle", a->id, XFER_SETTLE);
	snprintf(t.id, sizeof(t.id), "settle/%s/%lld", a->id,
		 (long long)a->awarded);
	/* A commitment pool's years are paid from its first year's
	 * accounts; a year the policy no longer budgets, from its own. */
	int at = policy_pool_account_year(p, p->measures[m].pool,
					  a->fiscal_year);

	if (at < 0)
		at = a->fiscal_year;
	office_pool_code(code, a->program, pool, at, "awarded", a->uscc);
	t.debit = office_account_id(code);
	office_pool_code(code, a->program, pool, at, "available", NULL);
	t.credit = office_account_id(code);
	t.amount = released;
	rc = office_xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: settling '%s': %s", a->id,
			      ledger_result_name(result));
	return rc;
}

/* The invoices as a JSON array, each checked: not empty, at most
 * OFFICE_INVOICE_MAX bytes. NULL (e filled) when one is not. */
static json_t *invoices_j(const char *const *invoices, size_t n, struct qerr *e)
{
	json_t *arr;

	assert(invoices || n == 0);
	if (n > OFFICE_INVOICES_MAX) {
		qerr_set(e, Q_ERR_TOO_LARGE, "invoices", "invoices: at most %d",
			 OFFICE_INVOICES_MAX);
		return NULL;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		size_t len = invoices[i] ? strlen(invoices[i]) : 0;

		if (len == 0 || len > OFFICE_INVOICE_MAX) {
			json_decref(arr);
			qerr_set(
				e, Q_ERR_INVALID, "invoices",
				"invoices: each is a reference of 1 to %d bytes",
				OFFICE_INVOICE_MAX);
			return NULL;
		}
		json_array_append_new(arr, json_string(invoices[i]));
	}
	if (!arr)
		qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	return arr;
}

int office_settle(struct office *o, const char *id, money_t value,
		  const char *const *invoices, size_t ninvoices, const char *by,
		  int64_t now, struct office_settlement *out, struct qerr *e)
{
	return office_settle_k(o, id, value, invoices, ninvoices, by, now, out,
			       NULL, e);
}

int office_settle_k(struct office *o, const char *id, money_t value,
		    const char *const *invoices, size_t ninvoices,
		    const char *by, int64_t now, struct office_settlement *out,
		    struct office_keyed *k, struct qerr *e)
{
	struct office_settlement r;
	const struct policy *p;
	struct store_app a;
	json_t *inv, *dj = NULL;
	bool grant;
	int m, rc;

	assert(o && id && by && out);
	memset(out, 0, sizeof(*out));
	if (value < 0)
		return qerr_set(e, Q_ERR_INVALID_MONEY, "value",
				"value: a settled value is not negative");
	inv = invoices_j(invoices, ninvoices, e);
	if (!inv)
		return e->code;
	rc = office_begin_on(o, id, &a, &p, &m, e);
	if (rc) {
		json_decref(inv);
		return rc;
	}
	memset(&r, 0, sizeof(r));
	grant = office_is_grant(p, m);
	rc = office_key_find(o, k, &a, e);
	if (!rc)
		rc = may_settle(&a, id, grant, value, e);
	if (!rc)
		rc = settled_amount(o, p, &a, value, &r.decided, &r.awarded,
				    &dj, e);
	if (!rc && a.awarded > r.awarded)
		rc = release_award(o, p, m, &a, a.awarded - r.awarded, now, e);
	if (!rc) {
		struct office_step s = {VERB_SETTLE, APP_AWARDED, grant,
					"settle",    by,	  now};

		snprintf(r.id, sizeof(r.id), "%s", a.id);
		r.value = value;
		r.face_value = a.contract_value;
		r.awarded_before = a.awarded;
		r.released = a.awarded - r.awarded;
		r.paid = a.paid;
		a.awarded = r.awarded;
		rc = office_app_move(
			o, &a, &s,
			json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:O,s:O}",
				  "value", office_money_j(r.value),
				  "face_value", office_money_j(r.face_value),
				  "awarded_before",
				  office_money_j(r.awarded_before), "awarded",
				  office_money_j(r.awarded), "released",
				  office_money_j(r.released), "paid",
				  office_money_j(r.paid), "decided",
				  office_money_j(r.decided), "invoices", inv,
				  "decision", dj),
			e);
		r.state = a.state;
	}
	/* Money came back: the next in line may fit now. */
	if (!rc && r.released > 0)
		rc = office_serve_waitlist(o, p,
					   p->pools[p->measures[m].pool].id,
					   a.fiscal_year, by, now, e);
	if (!rc)
		rc = office_key_keep(
			o, k, &a,
			json_pack("{s:o,s:o,s:o,s:o,s:O}", "value",
				  office_money_j(r.value), "face_value",
				  office_money_j(r.face_value),
				  "awarded_before",
				  office_money_j(r.awarded_before), "released",
				  office_money_j(r.released), "invoices", inv),
			by, now, e);
	json_decref(inv);
	json_decref(dj);
	rc = office_finish(o, rc, &a, e);
	if (!rc)
		*out = r;
	return rc;
}
