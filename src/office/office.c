/*
 * office.c - opening and closing a program office, loading a policy (a new
 * version of a program, its pools funded up to their budgets), and the
 * audit chain's append that every verb ends with. The verbs are in their
 * own files (office_int.h lists them).
 */
#include "office/office_int.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

/* --- policies ----------------------------------------------------------------- */

const struct policy *office_policy_of(struct office *o, const char *program)
{
	assert(o && program);
	assert(o->npolicies <= OFFICE_MAX_PROGRAMS);
	for (size_t i = 0; i < o->npolicies; i++)
		if (!strcmp(o->policies[i]->program, program))
			return o->policies[i];
	return NULL;
}

struct loading {
	struct office *o;
	struct qerr *e;
	int rc;
};

/* Load the current version of one program, named by the path it was
 * loaded from so decisions point at file:line:column. A version that no
 * longer loads is an error of the office, never skipped. */
static int load_current(void *arg, const char *program, const char *hash)
{
	struct loading *l = arg;
	struct office *o = l->o;
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	char path[512];
	char *text = NULL;
	size_t len = 0;

	assert(o && hash);
	assert(o->npolicies <= OFFICE_MAX_PROGRAMS);
	if (o->npolicies == OFFICE_MAX_PROGRAMS) {
		l->rc = qerr_set(l->e, Q_ERR_INVALID, "",
				 "an office holds at most %d programs",
				 OFFICE_MAX_PROGRAMS);
		return 1;
	}
	l->rc = store_policy_path(o->store, hash, path, sizeof(path), l->e);
	if (!l->rc)
		l->rc = store_policy_text(o->store, hash, &text, &len, l->e);
	if (l->rc)
		return 1;
	if (policy_load_buf(path, text, len, &p, &d)) {
		l->rc = qerr_set(
			l->e, Q_ERR_POLICY, "",
			"the stored policy of '%s' (%s) no longer loads",
			program, hash);
		free(text);
		diag_release(&d);
		return 1;
	}
	free(text);
	diag_release(&d);
	o->policies[o->npolicies++] = p;
	return 0;
}

static void drop_policies(struct office *o)
{
	assert(o);
	assert(o->npolicies <= OFFICE_MAX_PROGRAMS);
	for (size_t i = 0; i < o->npolicies; i++)
		policy_free(o->policies[i]);
	o->npolicies = 0;
}

static int reload_policies(struct office *o, struct qerr *e)
{
	struct loading l = {o, e, Q_OK};
	int rc;

	assert(o && o->store);
	drop_policies(o);
	rc = store_programs_each(o->store, load_current, &l, e);
	return rc ? rc : l.rc;
}

int office_open(struct office *o, const char *url,
		const struct chip_catalog *chips, struct qerr *e)
{
	int rc;

	assert(o && url);
	memset(o, 0, sizeof(*o));
	o->chips = chips;
	rc = store_open(url, &o->store, e);
	if (rc)
		return rc;
	if (office_hot_new(o)) {
		office_close(o);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	rc = reload_policies(o, e);
	if (rc) {
		office_close(o);
		return rc;
	}
	return Q_OK;
}

void office_close(struct office *o)
{
	assert(o);
	assert(o->nversions <= OFFICE_MAX_VERSIONS);
	drop_policies(o);
	for (size_t i = 0; i < o->nversions; i++)
		policy_free(o->versions[i]);
	o->nversions = 0;
	office_hot_free(o);
	json_decref(o->sr_cache);
	o->sr_cache = NULL;
	store_close(o->store);
	o->store = NULL;
}

/* --- audit ---------------------------------------------------------------------- */

int office_audit(struct office *o, const char *action, const char *subject,
		 const char *policy_hash, const char *by, int64_t now,
		 json_t *detail, struct qerr *e)
{
	return office_audit_with(o, action, subject, policy_hash, by, now,
				 detail, NULL, 0, e);
}

int office_audit_with(struct office *o, const char *action, const char *subject,
		      const char *policy_hash, const char *by, int64_t now,
		      json_t *detail, const struct office_member *m, size_t nm,
		      struct qerr *e)
{
	struct office_member extra[OFFICE_MEMBERS_MAX + 2];
	struct store_event ev;
	char *transfers = NULL;
	json_t *claims;
	size_t n = nm;
	int rc;

	assert(o && o->store);
	assert(action && subject && by);
	assert(nm <= OFFICE_MEMBERS_MAX && (m || nm == 0));
	/* Who did it and to what are never cut short in the chain. */
	if (strlen(by) >= sizeof(ev.who) ||
	    strlen(subject) >= sizeof(ev.subject)) {
		json_decref(detail);
		return qerr_set(e, Q_ERR_INVALID,
				strlen(by) >= sizeof(ev.who) ? "by" : "subject",
				"%s: longer than %zu bytes",
				strlen(by) >= sizeof(ev.who) ? "by" : "subject",
				sizeof(ev.who) - 1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	snprintf(ev.who, sizeof(ev.who), "%s", by);
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.subject, sizeof(ev.subject), "%s", subject);
	snprintf(ev.policy_hash, sizeof(ev.policy_hash), "%s",
		 policy_hash ? policy_hash : "");
	if (nm)
		memcpy(extra, m, nm * sizeof(*m));
	/* The transfers the change wrote are named in its event, so that
	 * audit verify can hold the ledger to the chain (check.c). */
	claims = office_hot_claims_take(o);
	if (claims) {
		struct office_text t = {0};

		office_text_json(&t, claims);
		json_decref(claims);
		transfers = office_text_take(&t);
		if (!transfers) {
			json_decref(detail);
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		}
		extra[n++] =
			(struct office_member){"transfers", transfers, NULL};
	}
	/* A clock set by hand is never silent in the chain. */
	if (o->clock_set)
		extra[n++] =
			(struct office_member){"clock", "\"QUAN_NOW\"", NULL};
	/* The detail's text as json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
	 * writes it (audit_text.c), the members above in their places. */
	ev.detail = office_detail_text(detail, extra, n);
	json_decref(detail);
	free(transfers);
	if (!ev.detail)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_event_append(o->store, &ev, e);
	free(ev.detail);
	return rc;
}

/* --- loading a policy ------------------------------------------------------------- */

/* Fund pool/year up to `amount`: the funding account gives the difference
 * between it and what it has given so far (or takes back what it gave
 * beyond it, when amount is lower). A commitment's target changes with
 * what earlier versions' accounts still hold, so its transfer ids carry
 * the target. */
static int fund_to(struct office *o, const struct policy *p,
		   const struct policy_pool *pl, int year, money_t amount,
		   const char *by, int64_t now, struct qerr *e)
{
	char code[LEDGER_ID_MAX];
	struct ledger_account funding;
	struct ledger_transfer t;
	money_t given, diff;
	int result;
	int rc;

	assert(o && p && pl);
	assert(year >= 1000 && year <= 9999 && amount >= 0);
	rc = office_ensure_accounts(o, p->program, pl->id, year, NULL, e);
	if (rc)
		return rc;
	office_pool_code(code, p->program, pl->id, year, "funding", NULL);
	rc = office_get_account(o, code, &funding, e);
	if (rc)
		return rc;
	given = funding.debits_posted - funding.credits_posted;
	if (money_sub(amount, given, &diff))
		return qerr_set(e, Q_ERR_OVERFLOW, "", "budget overflow");
	if (diff == 0)
		return Q_OK;
	memset(&t, 0, sizeof(t));
	if (pl->commitment)
		snprintf(t.id, sizeof(t.id), "budget/%s/%s/%d/%.12s/%lld",
			 p->program, pl->id, year, p->hash + 7,
			 (long long)amount);
	else
		snprintf(t.id, sizeof(t.id), "budget/%s/%s/%d/%s", p->program,
			 pl->id, year, p->hash + 7);
	t.code = XFER_BUDGET;
	t.amount = diff > 0 ? diff : -diff;
	t.debit = office_account_id(code);
	office_pool_code(code, p->program, pl->id, year, "available", NULL);
	t.credit = office_account_id(code);
	if (diff < 0) {
		uint64_t x = t.debit;

		t.debit = t.credit;
		t.credit = x;
	}
	rc = office_xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result != LEDGER_OK && result != LEDGER_EXISTS)
		return qerr_set(
			e, Q_ERR_POLICY, "",
			"pool '%s' %d: cannot move the budget to %s: %s",
			pl->id, year, money_format(amount, code),
			ledger_result_name(result));
	return office_audit(o, "fund", pl->id, p->hash, by, now,
			    json_pack("{s:s,s:i,s:o,s:o}", "program",
				      p->program, "year", year, "budget",
				      office_money_j(amount), "change",
				      office_money_j(diff)),
			    e);
}

/* Fund pool/year up to the policy's budget b. */
static int fund(struct office *o, const struct policy *p,
		const struct policy_pool *pl, const struct policy_budget *b,
		const char *by, int64_t now, struct qerr *e)
{
	return fund_to(o, p, pl, b->year, b->amount, by, now, e);
}

/* Fund commitment pool pl. An earlier version may have budgeted its years
 * one by one: the accounts of every later year of the span give back what
 * they hold unused, keep what is ring-fenced, reserved, awarded or paid
 * there (a grant's tranches stay where they were reserved), and the
 * commitment's own accounts are funded with the rest, so the span never
 * holds more than the commitment. */
static int fund_commitment(struct office *o, const struct policy *p,
			   const struct policy_pool *pl, const char *by,
			   int64_t now, struct qerr *e)
{
	money_t held = 0, target;
	int rc = Q_OK;

	assert(pl->commitment && pl->nbudgets == 1);
	for (int y = pl->commit_from + 1; !rc && y <= pl->commit_until; y++) {
		struct ledger_account funding, avail;
		char code[LEDGER_ID_MAX];
		money_t kept; /* what year y's accounts hold beyond available */

		office_pool_code(code, p->program, pl->id, y, "funding", NULL);
		rc = office_get_account(o, code, &funding, e);
		if (rc || !funding.id)
			continue; /* never budgeted on its own */
		office_pool_code(code, p->program, pl->id, y, "available",
				 NULL);
		rc = office_get_account(o, code, &avail, e);
		if (rc)
			break;
		kept = funding.debits_posted - funding.credits_posted -
		       ledger_balance(&avail);
		assert(kept >= 0);
		if (ledger_balance(&avail) > 0)
			rc = fund_to(o, p, pl, y, kept, by, now, e);
		if (!rc && money_add(held, kept, &held))
			rc = qerr_set(e, Q_ERR_OVERFLOW, "", "budget overflow");
	}
	if (rc)
		return rc;
	if (money_sub(pl->budgets[0].amount, held, &target) || target < 0)
		return qerr_set(
			e, Q_ERR_POLICY, "",
			"pool '%s': earlier versions' accounts of %d-%d hold more than its commitment",
			pl->id, pl->commit_from + 1, pl->commit_until);
	return fund_to(o, p, pl, pl->commit_from, target, by, now, e);
}

/* The policy in text (read from path), or Q_ERR_POLICY naming its first
 * problem. */
static int policy_from(const char *path, const char *text, size_t len,
		       struct policy **p, struct qerr *e)
{
	struct diag_list d = DIAG_LIST_INIT;

	assert(path && text);
	assert(p);
	if (!policy_load_buf(path, text, len, p, &d)) {
		diag_release(&d);
		return Q_OK;
	}
	if (d.n)
		qerr_set(e, Q_ERR_POLICY, "", "%s:%d:%d: %s%s", d.items[0].file,
			 d.items[0].line, d.items[0].col, d.items[0].msg,
			 d.n > 1 ? " (and more: run quan policy check)" : "");
	else
		qerr_set(e, Q_ERR_POLICY, "", "'%s' is not a valid policy",
			 path);
	diag_release(&d);
	return Q_ERR_POLICY;
}

/* Numbers must tell programs apart: one prefix, one program. */
static int prefix_free(struct office *o, const struct policy *p,
		       const char *path, struct qerr *e)
{
	assert(o && p);
	assert(path);
	for (size_t i = 0; i < o->npolicies; i++)
		if (strcmp(o->policies[i]->program, p->program) &&
		    !strcmp(o->policies[i]->number_prefix, p->number_prefix))
			return qerr_set(
				e, Q_ERR_CONFLICT, "number_prefix",
				"%s: number_prefix '%s' is already the prefix of program '%s' in this office",
				path, p->number_prefix,
				o->policies[i]->program);
	return Q_OK;
}

int office_load_policy(struct office *o, const char *path, const char *by,
		       int64_t now, bool *is_new, struct qerr *e)
{
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	assert(o && o->store);
	assert(path && by && is_new);
	rc = file_read(path, POLICY_MAX_BYTES, "a policy", &text, &len, e);
	if (rc)
		return rc;
	rc = policy_from(path, text, len, &p, e);
	if (rc) {
		free(text);
		return rc;
	}
	rc = prefix_free(o, p, path, e);
	if (!rc)
		rc = office_begin(o, e);
	if (rc)
		goto out;
	rc = store_policy_add(o->store, p->program, p->hash, path, text, len,
			      now, is_new, e);
	if (!rc && *is_new)
		rc = office_audit(o, "policy", p->program, p->hash, by, now,
				  json_pack("{s:s}", "path", path), e);
	for (size_t i = 0; !rc && i < p->npools; i++)
		if (p->pools[i].commitment)
			rc = fund_commitment(o, p, &p->pools[i], by, now, e);
		else
			for (size_t j = 0; !rc && j < p->pools[i].nbudgets; j++)
				rc = fund(o, p, &p->pools[i],
					  &p->pools[i].budgets[j], by, now, e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
	else
		rc = reload_policies(o, e);
out:
	policy_free(p);
	free(text);
	return rc;
}
