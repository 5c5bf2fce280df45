#include "office/office.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/csv.h"
#include "core/file.h"
#include "core/uscc.h"
#include "engine/app.h"
#include "engine/record.h"
#include "engine/render.h"
#include "store/audit.h"

/* What a transfer is for (struct ledger_transfer.code). */
enum xfer_code {
	XFER_BUDGET = 1,
	XFER_RESERVE,
	XFER_AWARD,
	XFER_RELEASE,
	XFER_DISBURSE,
	XFER_CLAWBACK,
	XFER_RETURN,
};

#define MAX_WAITLIST 4096

/* --- accounts ---------------------------------------------------------------- */

/* Account ids are the first 63 bits of the SHA-256 of the account's code,
 * so every process derives the same id without a shared counter. */
static uint64_t account_id(const char *code)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t id = 0;

	EVP_Digest(code, strlen(code), md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 8; i++)
		id = id << 8 | md[i];
	id &= INT64_MAX;
	return id ? id : 1;
}

/* The code of a pool's account, "<program>/<pool>/<year>/<name>[/<uscc>]".
 * It always fits: a policy refuses program and pool ids longer together
 * than POLICY_ACCOUNT_IDS_MAX, a year has four digits, a name at most
 * nine bytes and a USCC eighteen; the assertion holds it, so a code is
 * never cut short and two accounts never share one. */
static void pool_code(char *buf, const char *program, const char *pool,
		      int year, const char *name, const char *uscc)
{
	int n;

	_Static_assert(POLICY_ACCOUNT_IDS_MAX + 4 + 10 + 19 + 3 < LEDGER_ID_MAX,
		       "account codes must fit LEDGER_ID_MAX");
	assert(strlen(name) <= 9 && (!uscc || strlen(uscc) <= 18));
	assert(year >= 1000 && year <= 9999);
	n = snprintf(buf, LEDGER_ID_MAX, "%s/%s/%d/%s%s%s", program, pool, year,
		     name, uscc ? "/" : "", uscc ? uscc : "");
	assert(n > 0 && n < LEDGER_ID_MAX);
	(void)n;
}

/* A storage error under the ledger: the store knows the reason. */
static int io_error(struct office *o, struct qerr *e, const char *what)
{
	struct qerr why;

	qerr_clear(&why);
	store_ledger_error(o->store, &why);
	return qerr_set(e, Q_ERR_IO, "", "ledger: %s: %s", what,
			why.msg[0] ? why.msg : "the store failed");
}

/* Create the accounts named (name, flags) for one pool and year; existing
 * ones are left as they are. */
static int ensure_accounts(struct office *o, const char *program,
			   const char *pool, int year, const char *uscc,
			   struct qerr *e)
{
	static const struct {
		const char *name;
		uint32_t flags;
		bool per_applicant;
	} kinds[] = {
		{"funding", 0, false},
		{"available", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS, false},
		{"recovered", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS, false},
		{"treasury", 0, false},
		{"awarded", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS, true},
		{"paid", LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS, true},
	};
	struct ledger_account as[6];
	int results[6];
	size_t n = 0;

	for (size_t i = 0; i < 6; i++) {
		if (kinds[i].per_applicant != (uscc != NULL))
			continue;
		memset(&as[n], 0, sizeof(as[n]));
		pool_code(as[n].code, program, pool, year, kinds[i].name, uscc);
		as[n].id = account_id(as[n].code);
		as[n].flags = kinds[i].flags;
		n++;
	}
	if (ledger_create_accounts(store_ledger_io(o->store), as, n, results))
		return io_error(o, e, "creating accounts");
	for (size_t i = 0; i < n; i++)
		if (results[i] != LEDGER_OK &&
		    results[i] != LEDGER_ACCOUNT_EXISTS)
			return qerr_set(e, Q_ERR_CONFLICT, "",
					"ledger: account '%s': %s", as[i].code,
					ledger_result_name(results[i]));
	return Q_OK;
}

static int get_account(struct office *o, const char *code,
		       struct ledger_account *a, struct qerr *e)
{
	const struct ledger_io *io = store_ledger_io(o->store);
	int rc = io->account_get(io->ctx, account_id(code), a);

	if (rc < 0)
		return io_error(o, e, "reading an account");
	if (rc > 0)
		memset(a, 0, sizeof(*a));
	return Q_OK;
}

/* One transfer; *result gets the ledger's answer. */
static int xfer(struct office *o, struct ledger_transfer *t, int64_t now,
		int *result, struct qerr *e)
{
	if (ledger_create_transfers(store_ledger_io(o->store), t, 1, now,
				    result))
		return io_error(o, e, "a transfer");
	return Q_OK;
}

/* A transfer "<verb>/<application id>" about app_id. */
static void transfer_init(struct ledger_transfer *t, const char *verb,
			  const char *app_id, uint32_t code)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s/%s", verb, app_id);
	snprintf(t->ref, sizeof(t->ref), "%s", app_id);
	t->code = code;
}

/* --- policies ----------------------------------------------------------------- */

static const struct policy *policy_of(struct office *o, const char *program)
{
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
	for (size_t i = 0; i < o->npolicies; i++)
		policy_free(o->policies[i]);
	o->npolicies = 0;
}

static int reload_policies(struct office *o, struct qerr *e)
{
	struct loading l = {o, e, Q_OK};
	int rc;

	drop_policies(o);
	rc = store_programs_each(o->store, load_current, &l, e);
	return rc ? rc : l.rc;
}

int office_open(struct office *o, const char *url,
		const struct chip_catalog *chips, struct qerr *e)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->chips = chips;
	rc = store_open(url, &o->store, e);
	if (rc)
		return rc;
	rc = reload_policies(o, e);
	if (rc) {
		office_close(o);
		return rc;
	}
	return Q_OK;
}

void office_close(struct office *o)
{
	drop_policies(o);
	for (size_t i = 0; i < o->nversions; i++)
		policy_free(o->versions[i]);
	o->nversions = 0;
	store_close(o->store);
	o->store = NULL;
}

/* --- audit ---------------------------------------------------------------------- */

/* Append an event; detail is a JSON object whose reference is stolen. */
static int audit(struct office *o, const char *action, const char *subject,
		 const char *policy_hash, const char *by, int64_t now,
		 json_t *detail, struct qerr *e)
{
	struct store_event ev;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.at = now;
	snprintf(ev.who, sizeof(ev.who), "%s", by);
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.subject, sizeof(ev.subject), "%s", subject);
	snprintf(ev.policy_hash, sizeof(ev.policy_hash), "%s",
		 policy_hash ? policy_hash : "");
	/* A clock set by hand is never silent in the chain. */
	if (o->clock_set && !detail)
		detail = json_object();
	if (o->clock_set && detail)
		json_object_set_new(detail, "clock", json_string("QUAN_NOW"));
	ev.detail = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)
			   : strdup("{}");
	json_decref(detail);
	if (!ev.detail)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_event_append(o->store, &ev, e);
	free(ev.detail);
	return rc;
}

static json_t *money_j(money_t m)
{
	char buf[MONEY_TEXT_MAX];

	return json_string(money_format(m, buf));
}

/* --- loading a policy ------------------------------------------------------------- */

/* Fund pool/year up to the policy's budget: the funding account gives the
 * difference between the budget and what it has given so far. */
static int fund(struct office *o, const struct policy *p,
		const struct policy_pool *pl, const struct policy_budget *b,
		const char *by, int64_t now, struct qerr *e)
{
	char code[LEDGER_ID_MAX];
	struct ledger_account funding;
	struct ledger_transfer t;
	money_t given, diff;
	int result;
	int rc;

	rc = ensure_accounts(o, p->program, pl->id, b->year, NULL, e);
	if (rc)
		return rc;
	pool_code(code, p->program, pl->id, b->year, "funding", NULL);
	rc = get_account(o, code, &funding, e);
	if (rc)
		return rc;
	given = funding.debits_posted - funding.credits_posted;
	if (money_sub(b->amount, given, &diff))
		return qerr_set(e, Q_ERR_OVERFLOW, "", "budget overflow");
	if (diff == 0)
		return Q_OK;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "budget/%s/%s/%d/%s", p->program, pl->id,
		 b->year, p->hash + 7);
	t.code = XFER_BUDGET;
	t.amount = diff > 0 ? diff : -diff;
	t.debit = account_id(code);
	pool_code(code, p->program, pl->id, b->year, "available", NULL);
	t.credit = account_id(code);
	if (diff < 0) {
		uint64_t x = t.debit;

		t.debit = t.credit;
		t.credit = x;
	}
	rc = xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result != LEDGER_OK && result != LEDGER_EXISTS)
		return qerr_set(
			e, Q_ERR_POLICY, "",
			"pool '%s' %d: cannot move the budget to %s: %s",
			pl->id, b->year, money_format(b->amount, code),
			ledger_result_name(result));
	return audit(o, "fund", pl->id, p->hash, by, now,
		     json_pack("{s:s,s:i,s:o,s:o}", "program", p->program,
			       "year", b->year, "budget", money_j(b->amount),
			       "change", money_j(diff)),
		     e);
}

int office_load_policy(struct office *o, const char *path, const char *by,
		       int64_t now, bool *is_new, struct qerr *e)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = file_read(path, POLICY_MAX_BYTES, "a policy", &text, &len, e);
	if (rc)
		return rc;
	if (policy_load_buf(path, text, len, &p, &d)) {
		if (d.n)
			qerr_set(e, Q_ERR_POLICY, "", "%s:%d:%d: %s%s",
				 d.items[0].file, d.items[0].line,
				 d.items[0].col, d.items[0].msg,
				 d.n > 1 ? " (and more: run quan policy check)"
					 : "");
		else
			qerr_set(e, Q_ERR_POLICY, "",
				 "'%s' is not a valid policy", path);
		diag_release(&d);
		free(text);
		return Q_ERR_POLICY;
	}
	diag_release(&d);
	/* Numbers must tell programs apart: one prefix, one program. */
	for (size_t i = 0; i < o->npolicies; i++)
		if (strcmp(o->policies[i]->program, p->program) &&
		    !strcmp(o->policies[i]->number_prefix, p->number_prefix)) {
			rc = qerr_set(
				e, Q_ERR_CONFLICT, "number_prefix",
				"%s: number_prefix '%s' is already the prefix of program '%s' in this office",
				path, p->number_prefix,
				o->policies[i]->program);
			goto out;
		}
	rc = store_begin(o->store, e);
	if (rc)
		goto out;
	rc = store_policy_add(o->store, p->program, p->hash, path, text, len,
			      now, is_new, e);
	if (!rc && *is_new)
		rc = audit(o, "policy", p->program, p->hash, by, now,
			   json_pack("{s:s}", "path", path), e);
	for (size_t i = 0; !rc && i < p->npools; i++)
		for (size_t j = 0; !rc && j < p->pools[i].nbudgets; j++)
			rc = fund(o, p, &p->pools[i], &p->pools[i].budgets[j],
				  by, now, e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc)
		store_rollback(o->store);
	else
		rc = reload_policies(o, e);
out:
	policy_free(p);
	free(text);
	return rc;
}

/* --- applying ------------------------------------------------------------------------ */

struct collect {
	char (*ids)[64];
	size_t n, max;
	const char *pool;
	int year;
	const struct policy *p;
};

static int collect_waitlisted(void *arg, const struct store_app *a)
{
	struct collect *c = arg;
	int m = policy_find_measure(c->p, a->measure, strlen(a->measure));

	if (m < 0 || a->fiscal_year != c->year ||
	    strcmp(c->p->pools[c->p->measures[m].pool].id, c->pool))
		return 0;
	if (c->n == c->max)
		return 1;
	memcpy(c->ids[c->n++], a->id, 64);
	return 0;
}

/* Try to reserve a's amount; sets a->state to RESERVED or WAITLISTED. */
/* --- institute grants ------------------------------------------------------------
 *
 * A grant is spread over N = ceil(term_months / 12) fiscal years, starting
 * in the application's year: tranche k is floor(total / N), the first one
 * also taking the fen left over. Each tranche is a pending transfer in its
 * year's pool (ring-fenced) made when the grant is reserved, all linked so
 * the grant is held whole or not at all; approval awards the grant and a
 * recorded milestone posts one year's tranche, which can then be paid. */

#define GRANT_MAX_TRANCHES 10

static bool is_grant(const struct policy *p, int m)
{
	return p->measures[m].grant_years_min > 0;
}

/* The years and tranche amounts of grant a, from its stored application
 * (term_months). */
static int grant_plan(const struct policy *p, int m, const struct store_app *a,
		      int *n, money_t *tranche, struct qerr *e)
{
	struct application app;
	int64_t term;
	int rc = app_parse_json(a->json, strlen(a->json), &app, e);

	if (rc)
		return rc;
	term = app.contract.term_months;
	app_release(&app);
	*n = (int)((term + 11) / 12);
	if (*n < p->measures[m].grant_years_min ||
	    *n > p->measures[m].grant_years_max || *n > GRANT_MAX_TRANCHES)
		return qerr_set(
			e, Q_ERR_INVALID, "contract.term_months",
			"a grant of %lld months spans %d years; measure '%s' takes %d to %d",
			(long long)term, *n, p->measures[m].id,
			p->measures[m].grant_years_min,
			p->measures[m].grant_years_max);
	for (int k = 0; k < *n; k++)
		tranche[k] = a->requested / *n;
	tranche[0] += a->requested % *n;
	return Q_OK;
}

static int grant_reserve(struct office *o, const struct policy *p, int m,
			 struct store_app *a, int64_t now, struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	struct ledger_transfer t[GRANT_MAX_TRANCHES];
	money_t tranche[GRANT_MAX_TRANCHES];
	int results[GRANT_MAX_TRANCHES];
	char code[LEDGER_ID_MAX];
	int n, rc;

	rc = grant_plan(p, m, a, &n, tranche, e);
	if (rc)
		return rc;
	for (int k = 0; k < n; k++) {
		int year = a->fiscal_year + k;

		if (policy_pool_budget(p, p->measures[m].pool, year) < 0)
			return qerr_set(
				e, Q_ERR_DECISION, "contract.term_months",
				"pool '%s' has no budget for fiscal year %d, which the grant's tranche %d falls in",
				pool, year, k + 1);
		rc = ensure_accounts(o, p->program, pool, year, a->uscc, e);
		if (rc)
			return rc;
		memset(&t[k], 0, sizeof(t[k]));
		snprintf(t[k].id, sizeof(t[k].id), "reserve/%s/%d", a->id,
			 year);
		snprintf(t[k].ref, sizeof(t[k].ref), "%s", a->id);
		t[k].code = XFER_RESERVE;
		pool_code(code, p->program, pool, year, "available", NULL);
		t[k].debit = account_id(code);
		pool_code(code, p->program, pool, year, "awarded", a->uscc);
		t[k].credit = account_id(code);
		t[k].amount = tranche[k];
		t[k].flags = LEDGER_PENDING | (k + 1 < n ? LEDGER_LINKED : 0);
	}
	if (ledger_create_transfers(store_ledger_io(o->store), t, (size_t)n,
				    now, results))
		return io_error(o, e, "reserving a grant");
	for (int k = 0; k < n; k++) {
		if (results[k] == LEDGER_OK)
			continue;
		if (results[k] == LEDGER_EXCEEDS_CREDITS) {
			a->state = APP_WAITLISTED;
			return Q_OK;
		}
		if (results[k] != LEDGER_LINKED_EVENT_FAILED)
			return qerr_set(
				e, Q_ERR_CONFLICT, "",
				"ledger: reserving tranche %d of '%s': %s",
				k + 1, a->id, ledger_result_name(results[k]));
	}
	a->state = APP_RESERVED;
	return Q_OK;
}

/* Void every tranche still pending (a rejected or withdrawn grant). */
static int grant_release(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t now, struct qerr *e)
{
	const struct ledger_io *io = store_ledger_io(o->store);
	money_t tranche[GRANT_MAX_TRANCHES];
	int n, rc;

	rc = grant_plan(p, m, a, &n, tranche, e);
	for (int k = 0; !rc && k < n; k++) {
		struct ledger_transfer t;
		enum ledger_pending_state st;
		int result;

		memset(&t, 0, sizeof(t));
		snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s/%d",
			 a->id, a->fiscal_year + k);
		if (io->pending_state(io->ctx, t.pending_id, &st) != 0 ||
		    st != LEDGER_PENDING_OPEN)
			continue;
		snprintf(t.id, sizeof(t.id), "release/%s/%d", a->id,
			 a->fiscal_year + k);
		snprintf(t.ref, sizeof(t.ref), "%s", a->id);
		t.code = XFER_RELEASE;
		t.flags = LEDGER_VOID_PENDING;
		rc = xfer(o, &t, now, &result, e);
		if (!rc && result != LEDGER_OK)
			rc = qerr_set(e, Q_ERR_CONFLICT, "",
				      "ledger: releasing '%s': %s", a->id,
				      ledger_result_name(result));
	}
	return rc;
}

static int reserve(struct office *o, const struct policy *p,
		   struct store_app *a, int64_t now, struct qerr *e)
{
	int m = policy_find_measure(p, a->measure, strlen(a->measure));
	const char *pool = p->pools[p->measures[m].pool].id;
	char code[LEDGER_ID_MAX];
	struct ledger_transfer t;
	int result;
	int rc;

	if (a->requested == 0) {
		a->state = APP_RESERVED;
		return Q_OK;
	}
	if (is_grant(p, m))
		return grant_reserve(o, p, m, a, now, e);
	rc = ensure_accounts(o, p->program, pool, a->fiscal_year, a->uscc, e);
	if (rc)
		return rc;
	transfer_init(&t, "reserve", a->id, XFER_RESERVE);
	pool_code(code, p->program, pool, a->fiscal_year, "available", NULL);
	t.debit = account_id(code);
	pool_code(code, p->program, pool, a->fiscal_year, "awarded", a->uscc);
	t.credit = account_id(code);
	t.amount = a->requested;
	t.flags = LEDGER_PENDING;
	if (p->measures[m].reservation_days > 0)
		t.expires_at =
			now + (int64_t)p->measures[m].reservation_days * 86400;
	rc = xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result == LEDGER_OK) {
		a->state = APP_RESERVED;
		return Q_OK;
	}
	if (result == LEDGER_EXCEEDS_CREDITS) {
		a->state = APP_WAITLISTED;
		return Q_OK;
	}
	return qerr_set(e, Q_ERR_CONFLICT, "", "ledger: reserving '%s': %s",
			a->id, ledger_result_name(result));
}

/* Serve the waitlist of pool/year in arrival order, until one does not
 * fit: first come, first served, with no overtaking. */
static int serve_waitlist(struct office *o, const struct policy *p,
			  const char *pool, int year, const char *by,
			  int64_t now, struct qerr *e)
{
	struct collect c = {NULL, 0, MAX_WAITLIST, pool, year, p};
	int rc = Q_OK;

	c.ids = malloc(sizeof(*c.ids) * MAX_WAITLIST);
	if (!c.ids)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_app_each(o->store, p->program, APP_WAITLISTED,
			    collect_waitlisted, &c, e);
	for (size_t i = 0; !rc && i < c.n; i++) {
		struct store_app a;

		rc = store_app_get(o->store, c.ids[i], &a, e);
		if (rc == Q_NONE)
			rc = qerr_set(e, Q_ERR_IO, "",
				      "waitlist: application '%s' vanished",
				      c.ids[i]);
		if (rc) {
			break;
		}
		rc = reserve(o, p, &a, now, e);
		if (!rc && a.state == APP_RESERVED) {
			a.updated_at = now;
			rc = store_app_update(o->store, &a, e);
			if (!rc)
				rc = audit(o, "reserve", a.id, a.policy_hash,
					   by, now,
					   json_pack("{s:o,s:s}", "amount",
						     money_j(a.requested),
						     "from", "waitlist"),
					   e);
		}
		if (!rc && a.state == APP_WAITLISTED) {
			store_app_release(&a);
			break;
		}
		store_app_release(&a);
	}
	free(c.ids);
	return rc;
}

/* *any: whether someone waits for money of pool in year (so a newcomer
 * must queue behind, never overtake). One index seek per measure of the
 * pool. */
static int waitlist_nonempty(struct office *o, const struct policy *p,
			     const char *pool, int year, bool *any,
			     struct qerr *e)
{
	int rc = Q_OK;

	*any = false;
	for (size_t m = 0; !rc && !*any && m < p->nmeasures; m++)
		if (!strcmp(p->pools[p->measures[m].pool].id, pool))
			rc = store_app_any(o->store, p->program,
					   p->measures[m].id, year,
					   APP_WAITLISTED, any, e);
	return rc;
}

/* --- screens' lookups --------------------------------------------------------------- */

static void contract_of(const struct screen_query *q, struct store_contract *c)
{
	c->app_id = q->app_id;
	c->program = "";
	c->applicant = q->applicant;
	c->supplier = q->supplier;
	c->number = q->number;
	c->value = q->value;
	c->signed_on = q->signed_on;
}

static void rows_to_refs(const struct store_contract_row *rows, size_t n,
			 struct screen_contract *out)
{
	for (size_t i = 0; i < n; i++) {
		memcpy(out[i].app, rows[i].app_id, sizeof(out[i].app));
		memcpy(out[i].program, rows[i].program, sizeof(out[i].program));
		memcpy(out[i].number, rows[i].number, sizeof(out[i].number));
		out[i].value = rows[i].value;
		out[i].signed_on = rows[i].signed_on;
	}
}

static int io_same(void *ctx, const struct screen_query *q, int days,
		   struct screen_contract *out, size_t max, size_t *n,
		   struct qerr *e)
{
	struct store_contract c;
	struct store_contract_row rows[SCREEN_MAX_REFS];
	int rc;

	contract_of(q, &c);
	if (max > SCREEN_MAX_REFS)
		max = SCREEN_MAX_REFS;
	rc = store_contract_same(ctx, &c, days, rows, max, n, e);
	if (!rc)
		rows_to_refs(rows, *n, out);
	return rc;
}

static int io_between(void *ctx, const struct screen_query *q, qdate from,
		      qdate to, money_t lo, money_t hi,
		      struct screen_contract *out, size_t max, size_t *n,
		      int64_t *count, money_t *sum, struct qerr *e)
{
	struct store_contract c;
	struct store_contract_row rows[SCREEN_MAX_REFS];
	int rc;

	contract_of(q, &c);
	if (max > SCREEN_MAX_REFS)
		max = SCREEN_MAX_REFS;
	rc = store_contract_between(ctx, &c, from, to, lo, hi, rows, max, n,
				    count, sum, e);
	if (!rc)
		rows_to_refs(rows, *n, out);
	return rc;
}

static int io_controllers(void *ctx, const char *uscc,
			  struct screen_controller *out, size_t max, size_t *n,
			  struct qerr *e)
{
	struct store_controller *rows;
	int rc;

	if (max > SCREEN_MAX_CONTROLLERS)
		max = SCREEN_MAX_CONTROLLERS;
	rows = malloc(max * sizeof(*rows));
	if (!rows)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_controllers_of(ctx, uscc, rows, max, n, e);
	for (size_t i = 0; !rc && i < *n; i++) {
		memcpy(out[i].id, rows[i].controller, sizeof(out[i].id));
		memcpy(out[i].source, rows[i].source, sizeof(out[i].source));
	}
	free(rows);
	return rc;
}

static int io_listed(void *ctx, enum screen_list l, const char *uscc,
		     struct screen_listing *out, struct qerr *e)
{
	struct store_listing li;
	int rc = store_listing_get(ctx, screen_list_name(l), uscc, &li, e);

	if (rc == Q_NONE)
		return 0;
	if (rc)
		return -1;
	memcpy(out->name, li.name, sizeof(out->name));
	memcpy(out->reason, li.reason, sizeof(out->reason));
	memcpy(out->source, li.source, sizeof(out->source));
	return 1;
}

void office_screen_io(struct office *o, struct screen_io *io)
{
	io->ctx = o->store;
	io->same_contract = io_same;
	io->between = io_between;
	io->controllers = io_controllers;
	io->listed = io_listed;
}

/* Screen application a (its measure m) inside the current transaction. */
static int screen_app(struct office *o, const struct policy *p, int m,
		      const struct application *a, struct screen_result *sr,
		      struct qerr *e)
{
	struct screen_io io;
	struct facts f;
	int rc;

	rc = facts_build(a, o->chips, NULL, &f, e);
	if (rc)
		return rc;
	office_screen_io(o, &io);
	return screen_run(p, m, a, &f, &io, sr, e);
}

/* The flag names of sr, comma-separated, cut to n bytes. */
static void flag_names(const struct screen_result *sr, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint8_t i = 0; i < sr->nflags && used < n; i++) {
		int k = snprintf(
			buf + used, n - used, "%s%s", i ? ", " : "",
			screen_flag_name((enum screen_kind)sr->flags[i].kind));
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static bool is_compute(enum contract_kind k)
{
	return k == KIND_RENT || k == KIND_BUY || k == KIND_BUILD;
}

/* The application firm `uscc` filed under client_ref, if any: *found, and
 * whether its stored bytes equal json (then res describes it). */
static int by_ref(struct office *o, const struct application *a,
		  const char *json, size_t len, bool *found,
		  struct office_result *res, struct qerr *e)
{
	struct store_app old;
	int rc;

	*found = false;
	if (!a->client_ref)
		return Q_OK;
	rc = store_app_by_ref(o->store, a->applicant.uscc, a->client_ref, &old,
			      e);
	if (rc == Q_NONE)
		return Q_OK;
	if (rc)
		return rc;
	*found = true;
	snprintf(res->id, sizeof(res->id), "%s", old.id);
	res->received_at = old.received_at;
	res->existed = true;
	res->state = old.state;
	res->amount = old.requested;
	if (strlen(old.json) != len || memcmp(old.json, json, len))
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "client_ref",
			"client_ref: '%s' was used by this firm for another application",
			a->client_ref);
	store_app_release(&old);
	return rc;
}

/* Number a new application of program p in fiscal year `year`:
 * PREFIX-YEAR-NNNNNN, the next number of the program and year. A number
 * that an application copied from an older office already holds is
 * skipped. */
static int number_app(struct office *o, const struct policy *p, int year,
		      char id[64], struct qerr *e)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct store_app old;
		int64_t n;
		int rc = store_app_number(o->store, p->program, year, &n, e);

		if (rc)
			return rc;
		assert(n > 0);
		rc = snprintf(id, 64, "%s-%04d-%06lld", p->number_prefix, year,
			      (long long)n);
		assert(rc > 0 && rc < 64);
		rc = store_app_get(o->store, id, &old, e);
		if (rc == Q_NONE)
			return Q_OK;
		if (rc)
			return rc;
		store_app_release(&old);
	}
	return qerr_set(e, Q_ERR_CONFLICT, "",
			"numbering: no free number for '%s'", p->program);
}

/* The screens' flags of sr as JSON text (*out, malloc'd), or NULL when
 * they raised none. */
static int flags_text(const struct policy *p, const struct screen_result *sr,
		      char **out, struct qerr *e)
{
	json_t *d;

	*out = NULL;
	if (!sr->nflags)
		return Q_OK;
	d = json_object();
	if (!d || screen_render_json(p, sr, d)) {
		json_decref(d);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	*out = json_dumps(json_object_get(d, "flags"), JSON_COMPACT);
	json_decref(d);
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* Apply one application inside the current transaction. Returns the error
 * for this application alone; the caller rolls back what it wrote. */
static int apply_one(struct office *o, const struct office_intake *in,
		     int64_t now, struct office_result *res, struct qerr *e)
{
	struct application a;
	struct store_app rec;
	struct history h = {true, 0, 0};
	struct decision d;
	struct screen_result *sr = NULL;
	struct store_contract sc;
	const struct policy *p;
	char *flags = NULL;
	char at[DATETIME_TEXT_MAX];
	bool found;
	int m;
	int rc;

	assert(in->json && in->by);
	memset(&rec, 0, sizeof(rec));
	memset(res, 0, sizeof(*res));
	rc = app_parse_json(in->json, in->len, &a, e);
	if (rc)
		return rc;
	p = policy_of(o, a.program);
	if (!p) {
		rc = qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: '%.64s' is not a program of this office",
			a.program);
		goto out_app;
	}
	if (a.client_ref)
		snprintf(res->client_ref, sizeof(res->client_ref), "%s",
			 a.client_ref);
	rc = by_ref(o, &a, in->json, in->len, &found, res, e);
	if (rc || found)
		goto out_app;
	rc = app_receive(&a, in->received_at, e);
	if (rc)
		goto out_app;

	rec.fiscal_year = date_year(a.received_on);
	rc = number_app(o, p, rec.fiscal_year, rec.id, e);
	if (rc)
		goto out;
	a.id = rec.id;
	snprintf(res->id, sizeof(res->id), "%s", rec.id);
	res->received_at = a.received_at;
	snprintf(rec.client_ref, sizeof(rec.client_ref), "%s",
		 a.client_ref ? a.client_ref : "");
	snprintf(rec.program, sizeof(rec.program), "%s", a.program);
	snprintf(rec.measure, sizeof(rec.measure), "%s", a.measure);
	snprintf(rec.uscc, sizeof(rec.uscc), "%s", a.applicant.uscc);
	snprintf(rec.policy_hash, sizeof(rec.policy_hash), "%s", p->hash);
	rec.contract_value = a.contract.value;
	rec.compute = is_compute(a.contract.kind);
	rec.received_at = a.received_at;
	rec.updated_at = now;
	rc = store_applicant_year(o->store, a.program, a.measure,
				  a.applicant.uscc, rec.fiscal_year, a.id,
				  &h.awarded_year, &h.compute_contracts_year,
				  e);
	if (rc)
		goto out;
	if (!rec.compute)
		h.compute_contracts_year = 0;
	/* The screens first, against what the office held before this
	 * application; an unknown measure is left to decide() to report. */
	sr = malloc(sizeof(*sr));
	if (!sr) {
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto out;
	}
	sr->nflags = 0;
	sr->blocked = false;
	m = policy_find_measure(p, a.measure, strlen(a.measure));
	if (m >= 0) {
		rc = screen_app(o, p, m, &a, sr, e);
		if (rc)
			goto out;
	}
	rc = decide(p, &a, o->chips, &h, &d, e);
	if (rc)
		goto out;
	screen_block_result(&d, sr);
	/* The decision is stored as its figures and its trace as rule
	 * indices (engine/record.h), with the history it was made with so
	 * that it can be replayed exactly (office_replay); it is rendered to
	 * words when read. The screens' evidence is kept as rendered. */
	rc = flags_text(p, sr, &flags, e);
	if (!rc)
		rc = record_encode(&d, &h, flags, &rec.decision, e);
	if (rc)
		goto out;
	rec.json = malloc(in->len + 1);
	if (!rec.json) {
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto out;
	}
	memcpy(rec.json, in->json, in->len);
	rec.json[in->len] = '\0';
	rec.requested = d.eligible ? d.amount : 0;

	if (!d.eligible) {
		rec.state = APP_INELIGIBLE;
	} else if (p->measures[d.measure].alloc == ALLOC_PRO_RATA) {
		rec.state = APP_QUEUED;
	} else {
		const char *pool = p->pools[p->measures[d.measure].pool].id;

		if (policy_pool_budget(p, p->measures[d.measure].pool,
				       rec.fiscal_year) < 0) {
			rc = qerr_set(
				e, Q_ERR_DECISION, "received_at",
				"pool '%s' has no budget for fiscal year %d",
				pool, rec.fiscal_year);
			goto out;
		}
		bool waiting;

		rc = waitlist_nonempty(o, p, pool, rec.fiscal_year, &waiting,
				       e);
		if (!rc && waiting)
			rec.state = APP_WAITLISTED;
		else if (!rc)
			rc = reserve(o, p, &rec, now, e);
		if (rc)
			goto out;
	}
	rc = store_app_insert(o->store, &rec, e);
	sc.app_id = a.id;
	sc.program = a.program;
	sc.applicant = a.applicant.uscc;
	sc.supplier = a.supplier.uscc;
	sc.number = a.contract.number;
	sc.value = a.contract.value;
	sc.signed_on = a.contract.signed_on;
	if (!rc)
		rc = store_contract_add(o->store, &sc, e);
	flag_names(sr, res->flags, sizeof(res->flags));
	if (!rc) {
		json_t *detail = json_pack(
			"{s:s,s:s,s:b,s:o,s:s,s:b,s:s}", "measure", rec.measure,
			"state", app_state_name(rec.state), "eligible",
			d.eligible, "amount", money_j(rec.requested), "flags",
			res->flags, "blocked", sr->blocked, "received_at",
			datetime_format(rec.received_at, at));

		if (detail && a.client_ref)
			json_object_set_new(detail, "client_ref",
					    json_string(a.client_ref));
		/* An administrator's import of a historical application
		 * says so in the chain, beside the time it was given. */
		if (detail && in->imported)
			json_object_set_new(detail, "imported", json_true());
		rc = audit(o, in->imported ? "import" : "apply", rec.id,
			   p->hash, in->by, now, detail, e);
	}
	if (!rc) {
		res->state = rec.state;
		res->amount = rec.requested;
		res->nflags = sr->nflags;
		res->blocked = sr->blocked;
	}
out:
	free(sr);
	free(flags);
	store_app_release(&rec);
out_app:
	app_release(&a);
	return rc;
}

int office_apply(struct office *o, const char *json, size_t len, const char *by,
		 int64_t now, struct office_result *res, struct qerr *e)
{
	struct office_intake in = {json, len, by, now, false};
	int rc = store_begin(o->store, e);

	if (rc)
		return rc;
	rc = apply_one(o, &in, now, res, e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc)
		store_rollback(o->store);
	return rc;
}

int office_apply_batch(struct office *o, const char *const *jsons,
		       const size_t *lens, size_t n, const char *by,
		       int64_t now, struct office_result *res, int *rcs,
		       struct qerr *errs, struct qerr *e)
{
	return office_apply_batch_by(o, jsons, lens, n, NULL, by, now, res, rcs,
				     errs, e);
}

int office_apply_batch_by(struct office *o, const char *const *jsons,
			  const size_t *lens, size_t n, const char *const *bys,
			  const char *by, int64_t now,
			  struct office_result *res, int *rcs,
			  struct qerr *errs, struct qerr *e)
{
	struct office_intake *in = calloc(n ? n : 1, sizeof(*in));
	int rc;

	if (!in)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	for (size_t i = 0; i < n; i++) {
		in[i].json = jsons[i];
		in[i].len = lens[i];
		in[i].by = bys ? bys[i] : by;
		in[i].received_at = now;
	}
	rc = office_intake_batch(o, in, n, now, res, rcs, errs, e);
	free(in);
	return rc;
}

/* Whether an application's failure is the store's, which spoils the whole
 * batch, rather than the application's own. */
static bool store_failed(int rc)
{
	return rc == Q_ERR_IO || rc == Q_ERR_NOMEM;
}

int office_intake_batch(struct office *o, const struct office_intake *in,
			size_t n, int64_t now, struct office_result *res,
			int *rcs, struct qerr *errs, struct qerr *e)
{
	int rc = store_begin(o->store, e);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		qerr_clear(&errs[i]);
		rc = store_savepoint(o->store, e);
		if (rc)
			goto fail;
		rcs[i] = apply_one(o, &in[i], now, &res[i], &errs[i]);
		if (store_failed(rcs[i])) {
			*e = errs[i];
			rc = rcs[i];
			goto fail;
		}
		if (rcs[i]) {
			store_savepoint_rollback(o->store);
			continue;
		}
		rc = store_savepoint_release(o->store, e);
		if (rc)
			goto fail;
	}
	rc = store_commit(o->store, e);
	if (!rc)
		return Q_OK;
fail:
	store_rollback(o->store);
	return rc;
}

/* --- reviewing ---------------------------------------------------------------------------- */

/* Load application id for a change, with its program's policy. */
static int begin_on(struct office *o, const char *id, struct store_app *a,
		    const struct policy **p, int *measure, struct qerr *e)
{
	int rc = store_begin(o->store, e);

	if (rc)
		return rc;
	rc = store_app_get(o->store, id, a, e);
	if (rc == Q_NONE)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "id",
			      "id: no application '%.64s'", id);
	if (rc) {
		store_rollback(o->store);
		return rc;
	}
	*p = policy_of(o, a->program);
	*measure = *p ? policy_find_measure(*p, a->measure, strlen(a->measure))
		      : -1;
	if (*measure < 0) {
		store_app_release(a);
		store_rollback(o->store);
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program of '%.64s' is no longer loaded", id);
	}
	return Q_OK;
}

static int finish(struct office *o, int rc, struct store_app *a, struct qerr *e)
{
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc)
		store_rollback(o->store);
	store_app_release(a);
	return rc;
}

/* Release the reservation of a (void), if it holds one. */
static int release(struct office *o, const struct policy *p, int measure,
		   struct store_app *a, const char *by, int64_t now,
		   struct qerr *e)
{
	struct ledger_transfer t;
	int result;
	int rc;

	if (a->requested == 0)
		return Q_OK;
	if (is_grant(p, measure))
		return a->state == APP_RESERVED || a->state == APP_AWARDED
			       ? grant_release(o, p, measure, a, now, e)
			       : Q_OK;
	if (a->state != APP_RESERVED)
		return Q_OK;
	transfer_init(&t, "release", a->id, XFER_RELEASE);
	snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s", a->id);
	t.flags = LEDGER_VOID_PENDING;
	rc = xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result != LEDGER_OK)
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"ledger: releasing '%s': %s", a->id,
				ledger_result_name(result));
	(void)by;
	return Q_OK;
}

static int end_state(struct office *o, const char *id, int to,
		     const char *action, const char *why, const char *by,
		     int64_t now, struct office_result *res, struct qerr *e)
{
	struct store_app a;
	const struct policy *p;
	int m, rc;

	rc = begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	if (a.state != APP_RESERVED && a.state != APP_WAITLISTED &&
	    a.state != APP_QUEUED &&
	    !(a.state == APP_AWARDED && is_grant(p, m) && to != APP_EXPIRED)) {
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only a reserved, waitlisted or queued application can be %s",
			id, app_state_name(a.state),
			to == APP_REJECTED ? "rejected" : "withdrawn");
		return finish(o, rc, &a, e);
	}
	rc = release(o, p, m, &a, by, now, e);
	if (!rc) {
		bool freed =
			(a.state == APP_RESERVED || a.state == APP_AWARDED) &&
			a.requested > 0;

		a.state = to;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
		if (!rc)
			rc = audit(o, action, id, a.policy_hash, by, now,
				   json_pack("{s:s?,s:o}", "why", why,
					     "released",
					     money_j(freed ? a.requested : 0)),
				   e);
		/* Freed money, or a waitlist whose head just left: either
		 * way the next in line may fit now. */
		if (!rc)
			rc = serve_waitlist(o, p,
					    p->pools[p->measures[m].pool].id,
					    a.fiscal_year, by, now, e);
	}
	if (res) {
		memset(res, 0, sizeof(*res));
		snprintf(res->id, sizeof(res->id), "%s", id);
		res->state = a.state;
	}
	return finish(o, rc, &a, e);
}

int office_reject(struct office *o, const char *id, const char *why,
		  const char *by, int64_t now, struct office_result *res,
		  struct qerr *e)
{
	if (!why || !*why)
		return qerr_set(e, Q_ERR_MISSING_FIELD, "why",
				"why: a rejection says why");
	return end_state(o, id, APP_REJECTED, "reject", why, by, now, res, e);
}

int office_withdraw(struct office *o, const char *id, const char *by,
		    int64_t now, struct office_result *res, struct qerr *e)
{
	return end_state(o, id, APP_WITHDRAWN, "withdraw", NULL, by, now, res,
			 e);
}

/* The amount an approval awards: the decision again with the approved
 * contract value, at most the approved rate, never more than reserved. */
static int approved_amount(struct office *o, const struct policy *p,
			   const struct store_app *a, rate_bp rate,
			   money_t value, money_t *out, struct qerr *e)
{
	struct application app;
	struct history h = {true, 0, 0};
	struct decision d;
	money_t amt;
	int rc;

	*out = a->requested;
	if (rate < 0 && value < 0)
		return Q_OK;
	rc = app_parse_json(a->json, strlen(a->json), &app, e);
	if (rc)
		return rc;
	if (value >= 0) {
		if (value > app.contract.value) {
			app_release(&app);
			return qerr_set(
				e, Q_ERR_INVALID, "approved_value",
				"approved value is above the contract's face value");
		}
		app.contract.value = value;
	}
	rc = store_applicant_year(o->store, a->program, a->measure, a->uscc,
				  a->fiscal_year, a->id, &h.awarded_year,
				  &h.compute_contracts_year, e);
	if (!rc)
		rc = decide(p, &app, o->chips, &h, &d, e);
	app_release(&app);
	if (rc)
		return rc;
	if (!d.eligible)
		return qerr_set(
			e, Q_ERR_INVALID, "approved_value",
			"at the approved value the application is not eligible");
	amt = d.amount;
	if (rate >= 0) {
		money_t r;

		if (rate > d.rate)
			return qerr_set(
				e, Q_ERR_INVALID, "rate",
				"approved rate %d bp is above the policy's rate %d bp",
				rate, d.rate);
		if (money_apply_rate(d.base, rate, &r))
			return qerr_set(e, Q_ERR_OVERFLOW, "rate", "overflow");
		amt = money_min(amt, r);
	}
	*out = money_min(amt, a->requested);
	return Q_OK;
}

int office_approve(struct office *o, const char *id, rate_bp rate,
		   money_t approved_value, const char *by, int64_t now,
		   struct office_result *res, struct qerr *e)
{
	const struct policy_measure *pm;
	const struct policy *p;
	struct store_app a;
	struct ledger_transfer t;
	money_t amount;
	int m, rc, result;

	memset(res, 0, sizeof(*res));
	snprintf(res->id, sizeof(res->id), "%s", id);
	rc = begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	pm = &p->measures[m];
	if (a.state != APP_RESERVED) {
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only a reserved application can be approved",
			id, app_state_name(a.state));
		return finish(o, rc, &a, e);
	}
	if (is_grant(p, m) && (rate >= 0 || approved_value >= 0)) {
		rc = qerr_set(
			e, Q_ERR_INVALID, "rate",
			"a grant is awarded as reserved, tranche by tranche: reject it and apply again to change it");
		return finish(o, rc, &a, e);
	}
	rc = approved_amount(o, p, &a, rate, approved_value, &amount, e);
	if (rc)
		return finish(o, rc, &a, e);
	if (pm->second_approver_above >= 0 &&
	    amount > pm->second_approver_above) {
		if (!a.approver[0]) {
			snprintf(a.approver, sizeof(a.approver), "%s", by);
			a.updated_at = now;
			rc = store_app_update(o->store, &a, e);
			if (!rc)
				rc = audit(o, "approve-first", id,
					   a.policy_hash, by, now,
					   json_pack("{s:o}", "amount",
						     money_j(amount)),
					   e);
			res->state = a.state;
			res->amount = amount;
			return finish(o, rc, &a, e);
		}
		if (!strcmp(a.approver, by)) {
			rc = qerr_set(
				e, Q_ERR_FORBIDDEN, "by",
				"'%s' approved '%s' already: an award above %s needs a second, different approver",
				by, id,
				money_format(pm->second_approver_above,
					     (char[MONEY_TEXT_MAX]){0}));
			return finish(o, rc, &a, e);
		}
	}
	if (a.requested > 0 && is_grant(p, m)) {
		/* The tranches stay ring-fenced; milestones post them. */
		a.state = APP_AWARDED;
		snprintf(a.approved_by, sizeof(a.approved_by), "%s", by);
		a.awarded = 0;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
		if (!rc)
			rc = audit(o, "approve", id, a.policy_hash, by, now,
				   json_pack("{s:o,s:s?}", "grant",
					     money_j(a.requested),
					     "first_approver",
					     a.approver[0] ? a.approver : NULL),
				   e);
		res->state = a.state;
		res->amount = a.requested;
		return finish(o, rc, &a, e);
	}
	if (a.requested > 0) {
		transfer_init(&t, amount > 0 ? "award" : "release", a.id,
			      amount > 0 ? XFER_AWARD : XFER_RELEASE);
		snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s",
			 a.id);
		t.flags =
			amount > 0 ? LEDGER_POST_PENDING : LEDGER_VOID_PENDING;
		t.amount = amount;
		rc = xfer(o, &t, now, &result, e);
		if (!rc && result == LEDGER_PENDING_EXPIRED)
			rc = qerr_set(
				e, Q_ERR_CONFLICT, "state",
				"the reservation of '%s' has expired: it can no longer be approved (quan expire releases it)",
				id);
		else if (!rc && result != LEDGER_OK)
			rc = qerr_set(e, Q_ERR_CONFLICT, "",
				      "ledger: awarding '%s': %s", id,
				      ledger_result_name(result));
	}
	if (!rc) {
		a.state = APP_AWARDED;
		snprintf(a.approved_by, sizeof(a.approved_by), "%s", by);
		a.awarded = amount;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
	}
	if (!rc)
		rc = audit(o, "approve", id, a.policy_hash, by, now,
			   json_pack("{s:o,s:o,s:s?}", "awarded",
				     money_j(amount), "released",
				     money_j(a.requested - amount),
				     "first_approver",
				     a.approver[0] ? a.approver : NULL),
			   e);
	if (!rc && amount < a.requested)
		rc = serve_waitlist(o, p, p->pools[pm->pool].id, a.fiscal_year,
				    by, now, e);
	res->state = a.state;
	res->amount = amount;
	return finish(o, rc, &a, e);
}

struct expiring {
	struct office *o;
	int64_t now;
	char (*ids)[64];
	size_t n, max;
};

static int collect_expired(void *arg, const struct store_app *a)
{
	struct expiring *x = arg;
	const struct ledger_io *io = store_ledger_io(x->o->store);
	struct ledger_transfer t;
	char id[LEDGER_ID_MAX];

	if (a->requested == 0)
		return 0;
	snprintf(id, sizeof(id), "reserve/%s", a->id);
	if (io->transfer_get(io->ctx, id, &t) != 0)
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
	struct expiring x = {o, now, NULL, 0, MAX_WAITLIST};
	int rc;

	*count = 0;
	x.ids = malloc(sizeof(*x.ids) * MAX_WAITLIST);
	if (!x.ids)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_app_each(o->store, NULL, APP_RESERVED, collect_expired, &x,
			    e);
	for (size_t i = 0; !rc && i < x.n; i++) {
		rc = end_state(o, x.ids[i], APP_EXPIRED, "expire",
			       "not approved before its reservation expired",
			       by, now, NULL, e);
		if (!rc)
			(*count)++;
	}
	free(x.ids);
	return rc;
}

struct queued {
	char id[64];
	int64_t seq;
	money_t requested, award;
};

struct queue_collect {
	struct queued *q;
	size_t n, max;
	const char *measure;
	int year;
	bool overflow;
};

static int collect_queued(void *arg, const struct store_app *a)
{
	struct queue_collect *c = arg;

	if (strcmp(a->measure, c->measure) || a->fiscal_year != c->year)
		return 0;
	if (c->n == c->max) {
		c->overflow = true;
		return 1;
	}
	memcpy(c->q[c->n].id, a->id, 64);
	c->q[c->n].seq = a->seq;
	c->q[c->n].requested = a->requested;
	c->n++;
	return 0;
}

/* Largest remainder first, then earlier arrival (lower index). */
struct share {
	size_t i;
	__int128 rem;
};

static int by_remainder(const void *x, const void *y)
{
	const struct share *a = x, *b = y;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

int office_pro_rata(const money_t *asks, size_t n, money_t available,
		    money_t *awards)
{
	struct share *sh;
	money_t demand = 0, given = 0;

	for (size_t i = 0; i < n; i++)
		if (asks[i] < 0 || money_add(demand, asks[i], &demand))
			return Q_ERR_INVALID;
	if (available < 0)
		return Q_ERR_INVALID;
	if (demand <= available) {
		memcpy(awards, asks, n * sizeof(*awards));
		return Q_OK;
	}
	sh = malloc((n ? n : 1) * sizeof(*sh));
	if (!sh)
		return Q_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		__int128 num = (__int128)asks[i] * available;

		awards[i] = (money_t)(num / demand);
		sh[i].i = i;
		sh[i].rem = num % demand;
		given += awards[i];
	}
	qsort(sh, n, sizeof(*sh), by_remainder);
	for (size_t k = 0; given < available && k < n; k++, given++)
		awards[sh[k].i]++;
	free(sh);
	return Q_OK;
}

int office_round_close(struct office *o, const char *program,
		       const char *measure, int year, const char *by,
		       int64_t now, struct office_round *out, struct qerr *e)
{
	const struct policy *p = policy_of(o, program);
	struct queue_collect c = {NULL, 0, MAX_WAITLIST, measure, year, false};
	struct ledger_account avail;
	char code[LEDGER_ID_MAX], m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX];
	const char *pool;
	int m, rc;

	memset(out, 0, sizeof(*out));
	if (!p)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program: '%s' is not a program of this office",
				program);
	m = policy_find_measure(p, measure, strlen(measure));
	if (m < 0)
		return qerr_set(e, Q_ERR_UNKNOWN_MEASURE, "measure",
				"measure: '%s' is not a measure of '%s'",
				measure, program);
	if (p->measures[m].alloc != ALLOC_PRO_RATA)
		return qerr_set(
			e, Q_ERR_INVALID, "measure",
			"measure '%s' is first come first served: it has no round to close",
			measure);
	pool = p->pools[p->measures[m].pool].id;
	c.q = calloc(MAX_WAITLIST, sizeof(*c.q));
	if (!c.q)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_begin(o->store, e);
	if (rc)
		goto out;
	rc = store_app_each(o->store, program, APP_QUEUED, collect_queued, &c,
			    e);
	if (!rc && c.overflow)
		rc = qerr_set(e, Q_ERR_TOO_LARGE, "",
			      "a round holds at most %d applications",
			      MAX_WAITLIST);
	pool_code(code, program, pool, year, "available", NULL);
	if (!rc)
		rc = get_account(o, code, &avail, e);
	if (rc)
		goto fail;
	out->available = ledger_balance(&avail);
	for (size_t i = 0; i < c.n; i++)
		if (money_add(out->demand, c.q[i].requested, &out->demand)) {
			rc = qerr_set(e, Q_ERR_OVERFLOW, "",
				      "demand overflows");
			goto fail;
		}
	out->count = (long)c.n;
	out->scaled = out->demand > out->available;
	{
		money_t *asks = malloc((c.n ? c.n : 1) * sizeof(*asks));
		money_t *awards = malloc((c.n ? c.n : 1) * sizeof(*awards));

		/* c.q is in arrival order (store_app_each walks by seq). */
		for (size_t i = 0; asks && i < c.n; i++)
			asks[i] = c.q[i].requested;
		rc = asks && awards ? office_pro_rata(asks, c.n, out->available,
						      awards)
				    : Q_ERR_NOMEM;
		for (size_t i = 0; !rc && i < c.n; i++)
			c.q[i].award = awards[i];
		free(asks);
		free(awards);
		if (rc) {
			rc = qerr_set(e, rc, "",
				      "round: cannot share the pool");
			goto fail;
		}
	}
	for (size_t i = 0; !rc && i < c.n; i++) {
		struct store_app a;

		rc = store_app_get(o->store, c.q[i].id, &a, e);
		if (rc == Q_NONE)
			rc = qerr_set(e, Q_ERR_IO, "",
				      "round: application '%s' vanished",
				      c.q[i].id);
		if (rc) {
			break;
		}
		a.requested = c.q[i].award;
		out->awarded += c.q[i].award;
		rc = reserve(o, p, &a, now, e);
		if (!rc && a.state != APP_RESERVED)
			rc = qerr_set(e, Q_ERR_CONFLICT, "",
				      "round: '%s' did not fit the pool", a.id);
		a.updated_at = now;
		if (!rc)
			rc = store_app_update(o->store, &a, e);
		if (!rc)
			rc = audit(o, "reserve", a.id, a.policy_hash, by, now,
				   json_pack("{s:o,s:o,s:s}", "amount",
					     money_j(c.q[i].award), "asked",
					     money_j(c.q[i].requested), "from",
					     "round"),
				   e);
		store_app_release(&a);
	}
	if (!rc)
		rc = audit(o, "round-close", measure, p->hash, by, now,
			   json_pack("{s:s,s:i,s:I,s:s,s:s,s:b}", "program",
				     program, "year", year, "applications",
				     (json_int_t)c.n, "demand",
				     money_format(out->demand, m1), "available",
				     money_format(out->available, m2), "scaled",
				     out->scaled),
			   e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (!rc)
		goto out;
fail:
	store_rollback(o->store);
out:
	free(c.q);
	return rc;
}

int office_milestone(struct office *o, const char *id, int year,
		     const char *what, const char *by, int64_t now,
		     money_t *posted, struct qerr *e)
{
	const struct ledger_io *io;
	const struct policy *p;
	struct store_app a;
	struct ledger_transfer t, pend;
	enum ledger_pending_state st;
	int m, rc, result;

	*posted = 0;
	if (!what || !*what)
		return qerr_set(e, Q_ERR_INVALID, "why",
				"why: a milestone says what was achieved");
	rc = begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	io = store_ledger_io(o->store);
	if (!is_grant(p, m) || a.state != APP_AWARDED) {
		rc = qerr_set(e, Q_ERR_CONFLICT, "state",
			      "application '%s' is not an awarded grant (%s)",
			      id, app_state_name(a.state));
		return finish(o, rc, &a, e);
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s/%d", id, year);
	rc = io->transfer_get(io->ctx, t.pending_id, &pend);
	if (rc == 0)
		rc = io->pending_state(io->ctx, t.pending_id, &st);
	if (rc < 0) {
		rc = io_error(o, e, "reading a tranche");
		return finish(o, rc, &a, e);
	}
	if (rc > 0 || st != LEDGER_PENDING_OPEN) {
		rc = qerr_set(e, Q_ERR_INVALID, "year",
			      "grant '%s' has no open tranche in %d", id, year);
		return finish(o, rc, &a, e);
	}
	snprintf(t.id, sizeof(t.id), "award/%s/%d", id, year);
	snprintf(t.ref, sizeof(t.ref), "%s", id);
	t.code = XFER_AWARD;
	t.flags = LEDGER_POST_PENDING;
	t.amount = pend.amount;
	rc = xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: tranche %d of '%s': %s", year, id,
			      ledger_result_name(result));
	if (!rc) {
		a.awarded += pend.amount;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
	}
	if (!rc)
		rc = audit(o, "milestone", id, a.policy_hash, by, now,
			   json_pack("{s:i,s:o,s:s}", "year", year, "tranche",
				     money_j(pend.amount), "what", what),
			   e);
	if (!rc)
		*posted = pend.amount;
	return finish(o, rc, &a, e);
}

/* Per year of a grant: what its milestones posted, what was paid and
 * recovered, read back from the application's transfers. */
struct grant_years {
	const char *id;
	int first;
	money_t posted[GRANT_MAX_TRANCHES], paid[GRANT_MAX_TRANCHES],
		recovered[GRANT_MAX_TRANCHES];
};

static int grant_year_of(const struct grant_years *g, const char *tid,
			 const char *verb)
{
	size_t lv = strlen(verb), li = strlen(g->id);
	const char *y = tid + lv + 1 + li + 1;
	int year = 0;

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

	if ((k = grant_year_of(g, t->id, "award")) >= 0)
		g->posted[k] += t->amount;
	else if ((k = grant_year_of(g, t->id, "disburse")) >= 0)
		g->paid[k] += t->amount;
	else if ((k = grant_year_of(g, t->id, "clawback")) >= 0)
		g->recovered[k] += t->amount;
	return 0;
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
	const char *pool = p->pools[p->measures[m].pool].id;
	char code[LEDGER_ID_MAX];
	money_t left = amount;
	size_t n = 0;
	int rc;

	memset(&g, 0, sizeof(g));
	g.id = a->id;
	g.first = a->fiscal_year;
	rc = store_transfer_each(o->store, a->id, grant_scan, &g, e);
	if (rc)
		return rc;
	for (int i = 0; left > 0 && i < GRANT_MAX_TRANCHES; i++) {
		int k = sign > 0 ? i : GRANT_MAX_TRANCHES - 1 - i;
		int year = g.first + k;
		money_t room = sign > 0 ? g.posted[k] - g.paid[k]
					: g.paid[k] - g.recovered[k];
		money_t take = money_min(room, left);

		if (take <= 0)
			continue;
		memset(&t[n], 0, sizeof(t[n]));
		snprintf(t[n].ref, sizeof(t[n].ref), "%s", a->id);
		t[n].amount = take;
		if (sign > 0) {
			snprintf(t[n].id, sizeof(t[n].id),
				 "disburse/%s/%d/%lld", a->id, year,
				 (long long)g.paid[k]);
			t[n].code = XFER_DISBURSE;
			pool_code(code, a->program, pool, year, "awarded",
				  a->uscc);
			t[n].debit = account_id(code);
			pool_code(code, a->program, pool, year, "paid",
				  a->uscc);
			t[n].credit = account_id(code);
			n++;
		} else {
			snprintf(t[n].id, sizeof(t[n].id),
				 "clawback/%s/%d/%lld", a->id, year,
				 (long long)g.recovered[k]);
			t[n].code = XFER_CLAWBACK;
			pool_code(code, a->program, pool, year, "paid",
				  a->uscc);
			t[n].debit = account_id(code);
			pool_code(code, a->program, pool, year, "recovered",
				  NULL);
			t[n].credit = account_id(code);
			n++;
			memset(&t[n], 0, sizeof(t[n]));
			snprintf(t[n].ref, sizeof(t[n].ref), "%s", a->id);
			snprintf(t[n].id, sizeof(t[n].id), "return/%s/%d/%lld",
				 a->id, year, (long long)g.recovered[k]);
			t[n].code = XFER_RETURN;
			t[n].amount = take;
			t[n].debit = t[n - 1].credit;
			pool_code(code, a->program, pool, year,
				  p->measures[m].clawback ==
						  CLAWBACK_TO_TREASURY
					  ? "treasury"
					  : "available",
				  NULL);
			t[n].credit = account_id(code);
			n++;
		}
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
	if (ledger_create_transfers(store_ledger_io(o->store), t, n, now,
				    results))
		return io_error(o, e, "moving grant money");
	for (size_t i = 0; i < n; i++)
		if (results[i] != LEDGER_OK)
			return qerr_set(e, Q_ERR_CONFLICT, "",
					"ledger: grant '%s': %s", a->id,
					ledger_result_name(results[i]));
	return Q_OK;
}

/* --- paying and recovering -------------------------------------------------------------------- */

int office_disburse(struct office *o, const char *id, money_t amount,
		    const char *by, int64_t now, struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	struct ledger_transfer t;
	char code[LEDGER_ID_MAX], left[MONEY_TEXT_MAX];
	const char *pool;
	int m, rc, result;

	if (amount <= 0)
		return qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: a disbursement must be more than 0.00");
	rc = begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	pool = p->pools[p->measures[m].pool].id;
	if (a.state != APP_AWARDED) {
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "state",
			"application '%s' is %s: only an awarded application is paid",
			id, app_state_name(a.state));
		return finish(o, rc, &a, e);
	}
	/* Separation of duties: whoever approved the award (either of two
	 * approvers) does not also pay it. */
	if (!strcmp(by, a.approved_by) || !strcmp(by, a.approver)) {
		rc = qerr_set(
			e, Q_ERR_FORBIDDEN, "by",
			"'%s' approved '%s': the person who approves an award cannot disburse it",
			by, id);
		return finish(o, rc, &a, e);
	}
	if (amount > a.awarded - a.paid) {
		rc = qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: only %s of the award of '%s' is left to pay",
			money_format(a.awarded - a.paid, left), id);
		return finish(o, rc, &a, e);
	}
	if (is_grant(p, m)) {
		rc = grant_money(o, p, m, &a, amount, 1, now, e);
		goto recorded;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "disburse/%s/%lld", id, (long long)a.paid);
	snprintf(t.ref, sizeof(t.ref), "%s", id);
	t.code = XFER_DISBURSE;
	pool_code(code, a.program, pool, a.fiscal_year, "awarded", a.uscc);
	t.debit = account_id(code);
	pool_code(code, a.program, pool, a.fiscal_year, "paid", a.uscc);
	t.credit = account_id(code);
	t.amount = amount;
	rc = xfer(o, &t, now, &result, e);
	if (!rc && result != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "", "ledger: paying '%s': %s",
			      id, ledger_result_name(result));
recorded:
	if (!rc) {
		a.paid += amount;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
	}
	if (!rc)
		rc = audit(o, "disburse", id, a.policy_hash, by, now,
			   json_pack("{s:o,s:o}", "amount", money_j(amount),
				     "paid", money_j(a.paid)),
			   e);
	return finish(o, rc, &a, e);
}

int office_clawback(struct office *o, const char *id, money_t amount,
		    const char *why, const char *by, int64_t now,
		    struct qerr *e)
{
	const struct policy_measure *pm;
	const struct policy *p;
	struct store_app a;
	struct ledger_transfer t[2];
	char code[LEDGER_ID_MAX], left[MONEY_TEXT_MAX];
	const char *pool;
	int m, rc, results[2];

	if (amount <= 0)
		return qerr_set(e, Q_ERR_INVALID_MONEY, "amount",
				"amount: a clawback must be more than 0.00");
	if (!why || !*why)
		return qerr_set(e, Q_ERR_INVALID, "why",
				"why: a clawback needs a reason");
	rc = begin_on(o, id, &a, &p, &m, e);
	if (rc)
		return rc;
	pm = &p->measures[m];
	pool = p->pools[pm->pool].id;
	if (amount > a.paid - a.recovered) {
		rc = qerr_set(
			e, Q_ERR_INVALID_MONEY, "amount",
			"amount: only %s was paid to '%s' and not yet recovered",
			money_format(a.paid - a.recovered, left), id);
		return finish(o, rc, &a, e);
	}
	if (is_grant(p, m)) {
		rc = grant_money(o, p, m, &a, amount, -1, now, e);
		goto recorded;
	}
	memset(t, 0, sizeof(t));
	snprintf(t[0].id, sizeof(t[0].id), "clawback/%s/%lld", id,
		 (long long)a.recovered);
	snprintf(t[1].id, sizeof(t[1].id), "return/%s/%lld", id,
		 (long long)a.recovered);
	snprintf(t[0].ref, sizeof(t[0].ref), "%s", id);
	snprintf(t[1].ref, sizeof(t[1].ref), "%s", id);
	t[0].code = XFER_CLAWBACK;
	t[1].code = XFER_RETURN;
	t[0].flags = LEDGER_LINKED;
	t[0].amount = t[1].amount = amount;
	pool_code(code, a.program, pool, a.fiscal_year, "paid", a.uscc);
	t[0].debit = account_id(code);
	pool_code(code, a.program, pool, a.fiscal_year, "recovered", NULL);
	t[0].credit = t[1].debit = account_id(code);
	pool_code(code, a.program, pool, a.fiscal_year,
		  pm->clawback == CLAWBACK_TO_TREASURY ? "treasury"
						       : "available",
		  NULL);
	t[1].credit = account_id(code);
	if (ledger_create_transfers(store_ledger_io(o->store), t, 2, now,
				    results))
		rc = io_error(o, e, "a clawback");
	else if (results[0] != LEDGER_OK || results[1] != LEDGER_OK)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "ledger: clawback of '%s': %s", id,
			      ledger_result_name(results[0] != LEDGER_OK
							 ? results[0]
							 : results[1]));
recorded:
	if (!rc) {
		a.recovered += amount;
		a.updated_at = now;
		rc = store_app_update(o->store, &a, e);
	}
	if (!rc)
		rc = audit(o, "clawback", id, a.policy_hash, by, now,
			   json_pack("{s:o,s:s,s:s}", "amount", money_j(amount),
				     "why", why, "to",
				     pm->clawback == CLAWBACK_TO_TREASURY
					     ? "treasury"
					     : "pool"),
			   e);
	if (!rc && pm->clawback == CLAWBACK_TO_POOL)
		rc = serve_waitlist(o, p, pool, a.fiscal_year, by, now, e);
	return finish(o, rc, &a, e);
}

/* --- reports and checks ------------------------------------------------------------------------ */

struct sums {
	const char *prefix_awarded, *prefix_paid;
	size_t la, lp;
	money_t awarded, paid;
};

static int sum_accounts(void *arg, const struct ledger_account *a)
{
	struct sums *s = arg;

	if (!strncmp(a->code, s->prefix_awarded, s->la))
		s->awarded += ledger_balance(a);
	else if (!strncmp(a->code, s->prefix_paid, s->lp))
		s->paid += ledger_balance(a);
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

	if (m >= 0 && a->fiscal_year == c->f->year &&
	    !strcmp(c->p->pools[c->p->measures[m].pool].id, c->f->pool) &&
	    a->state >= 0 && a->state < APP__STATE_COUNT)
		c->f->count[a->state]++;
	return 0;
}

static int figures(struct office *o, const struct policy *p,
		   const struct policy_pool *pl, int year,
		   struct office_pool_figures *f, struct qerr *e)
{
	struct ledger_account acc;
	char code[LEDGER_ID_MAX], pa[LEDGER_ID_MAX], pp[LEDGER_ID_MAX];
	struct sums s;
	struct counting c = {f, p};
	int rc;

	memset(f, 0, sizeof(*f));
	snprintf(f->program, sizeof(f->program), "%s", p->program);
	snprintf(f->pool, sizeof(f->pool), "%s", pl->id);
	f->year = year;
	pool_code(code, p->program, pl->id, year, "funding", NULL);
	if ((rc = get_account(o, code, &acc, e)))
		return rc;
	f->budget = acc.debits_posted - acc.credits_posted;
	pool_code(code, p->program, pl->id, year, "available", NULL);
	if ((rc = get_account(o, code, &acc, e)))
		return rc;
	f->available = ledger_balance(&acc);
	f->reserved = acc.debits_pending;
	pool_code(code, p->program, pl->id, year, "recovered", NULL);
	if ((rc = get_account(o, code, &acc, e)))
		return rc;
	f->recovered = ledger_balance(&acc);
	pool_code(code, p->program, pl->id, year, "treasury", NULL);
	if ((rc = get_account(o, code, &acc, e)))
		return rc;
	f->treasury = ledger_balance(&acc);
	pool_code(pa, p->program, pl->id, year, "awarded/", NULL);
	pool_code(pp, p->program, pl->id, year, "paid/", NULL);
	s.prefix_awarded = pa;
	s.prefix_paid = pp;
	s.la = strlen(pa);
	s.lp = strlen(pp);
	s.awarded = s.paid = 0;
	if ((rc = store_account_each(o->store, sum_accounts, &s, e)))
		return rc;
	/* The awarded accounts' balances count pending credits as not yet
	 * theirs: reserved money is shown once, as reserved. */
	f->awarded = s.awarded;
	f->paid = s.paid;
	return store_app_each(o->store, p->program, -1, count_apps, &c, e);
}

int office_pools_each(struct office *o,
		      int (*fn)(void *arg, const struct office_pool_figures *f),
		      void *arg, struct qerr *e)
{
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

long office_ledger_check(struct office *o, FILE *out, struct qerr *e)
{
	struct check c = {out, 0, 0, 0, 0, 0};

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
	for (size_t i = 0; i < o->npolicies; i++) {
		const struct policy *p = o->policies[i];

		for (size_t j = 0; j < p->npools; j++)
			for (size_t k = 0; k < p->pools[j].nbudgets; k++) {
				struct office_pool_figures f;

				if (figures(o, p, &p->pools[j],
					    p->pools[j].budgets[k].year, &f, e))
					return -1;
				if (f.budget != p->pools[j].budgets[k].amount) {
					char a[MONEY_TEXT_MAX],
						b[MONEY_TEXT_MAX];

					fprintf(out,
						"pool '%s/%s/%d': the policy's budget is %s, the ledger was funded with %s\n",
						p->program, p->pools[j].id,
						f.year,
						money_format(p->pools[j]
								     .budgets[k]
								     .amount,
							     a),
						money_format(f.budget, b));
					c.problems++;
				}
				check_pool(&c, &f);
			}
	}
	return c.problems;
}

struct verify {
	struct audit_walk w;
};

static int verify_event(void *arg, const struct store_event *ev)
{
	struct verify *v = arg;

	return audit_walk_step(&v->w, ev);
}

int office_audit_verify(struct office *o, int64_t *count, int64_t *bad_seq,
			char *why, size_t why_len, struct qerr *e)
{
	struct verify v;

	audit_walk_init(&v.w);
	if (store_event_each(o->store, verify_event, &v, e))
		return e->code ? -1 : 1;
	*count = v.w.count;
	*bad_seq = v.w.bad_seq;
	snprintf(why, why_len, "%s", v.w.why);
	return v.w.bad_seq ? 1 : 0;
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

int office_decision_json(struct office *o, const struct store_app *a,
			 json_t **out, struct qerr *e)
{
	struct application app;
	struct decision d;
	struct history h;
	const struct policy *p;
	const char *flags = NULL;
	json_error_t jerr;
	json_t *j, *fl;
	int rc;

	assert(o && a && out);
	*out = NULL;
	if (!a->decision)
		return qerr_set(e, Q_ERR_INVALID, "decision",
				"application '%s' has no decision", a->id);
	if (!record_is(a->decision)) {
		/* Stored as JSON by an older version of quan. */
		*out = json_loads(a->decision, 0, &jerr);
		return *out ? Q_OK
			    : qerr_set(
				      e, Q_ERR_INVALID, "decision",
				      "application '%s': its stored decision is not readable",
				      a->id);
	}
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
	if (flags) {
		size_t i;
		json_t *f;
		bool blocked = false;

		fl = json_loads(flags, 0, &jerr);
		if (!json_is_array(fl)) {
			json_decref(fl);
			json_decref(j);
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
	}
	json_object_set_new(j, "history",
			    json_pack("{s:o,s:o}", "awarded_year",
				      money_j(h.awarded_year),
				      "compute_contracts_year",
				      money_j(h.compute_contracts_year)));
	*out = j;
	return Q_OK;
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

static int replay_one(void *arg, const struct store_app *sa)
{
	struct replay *r = arg;
	const struct policy *p = policy_version(r, sa->policy_hash);
	struct application a;
	struct history h = {true, 0, 0};
	struct decision d;
	struct qerr e;
	json_t *was = NULL;
	json_t *now = NULL;
	json_t *hist;
	const char *why = NULL;

	r->count++;
	qerr_clear(&e);
	if (p && office_decision_json(r->o, sa, &was, &e))
		was = NULL;
	hist = json_object_get(was, "history");
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
		h.awarded_year = money_field(hist, "awarded_year");
		h.compute_contracts_year =
			money_field(hist, "compute_contracts_year");
		if (h.awarded_year < 0 || h.compute_contracts_year < 0)
			why = "its stored decision has no history";
		else if (decide(p, &a, r->o->chips, &h, &d, &e))
			why = e.msg;
		else if (reblock(p, was, &d))
			why = "a screen that blocked it is no longer in its policy";
		else if (!(now = render_decision_json(p, &a, &d)))
			why = "out of memory";
		else if (!same_decision(was, now))
			why = "the decision comes out differently";
		app_release(&a);
	}
	if (why) {
		r->differ++;
		fprintf(r->out, "%s: %s\n", sa->id, why);
		if (now && json_is_object(was)) {
			char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX];

			fprintf(r->out,
				"  recorded: eligible %s, amount %s; now: eligible %s, amount %s\n",
				json_is_true(json_object_get(was, "eligible"))
					? "yes"
					: "no",
				money_format(money_field(was, "amount"), m1),
				json_is_true(json_object_get(now, "eligible"))
					? "yes"
					: "no",
				money_format(money_field(now, "amount"), m2));
		}
	}
	json_decref(was);
	json_decref(now);
	return 0;
}

long office_replay(struct office *o, FILE *out, long *count, struct qerr *e)
{
	struct replay r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = out;
	r.e = e;
	rc = store_app_each(o->store, NULL, -1, replay_one, &r, e);
	*count = r.count;
	return rc ? -1 : r.differ;
}

/* --- estimates ---------------------------------------------------------------------------- */

int office_estimate(struct office *o, const char *json, size_t len, int64_t at,
		    json_t **out, struct qerr *e)
{
	struct application a;
	struct history h = {true, 0, 0};
	struct decision d;
	const struct policy *p;
	int rc;

	*out = NULL;
	rc = app_parse_json(json, len, &a, e);
	if (rc)
		return rc;
	p = policy_of(o, a.program);
	if (!p) {
		rc = qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: '%.64s' is not a program of this office",
			a.program);
		goto out;
	}
	rc = app_receive(&a, at, e);
	if (rc)
		goto out;
	rc = store_applicant_year(o->store, a.program, a.measure,
				  a.applicant.uscc, date_year(a.received_on),
				  "", &h.awarded_year,
				  &h.compute_contracts_year, e);
	if (rc)
		goto out;
	if (!is_compute(a.contract.kind))
		h.compute_contracts_year = 0;
	rc = decide(p, &a, o->chips, &h, &d, e);
	if (rc)
		goto out;
	*out = render_decision_json(p, &a, &d);
	if (*out)
		json_object_set_new(
			*out, "history",
			json_pack("{s:o,s:o}", "awarded_year",
				  money_j(h.awarded_year),
				  "compute_contracts_year",
				  money_j(h.compute_contracts_year)));
	else
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
out:
	app_release(&a);
	return rc;
}

/* --- imports: the registry of controllers, lists ---------------------------------- */

#define IMPORT_MAX_ROWS 10000000L

/* The columns of an import: names[i] is required when required[i]. */
struct columns {
	const char *const *names;
	const bool *required;
	size_t n;
	int at[CSV_MAX_FIELDS]; /* column of names[i] in the file, -1 none */
};

static int read_header(struct csv *c, struct columns *cols,
		       char (*f)[CSV_FIELD_MAX], struct qerr *e)
{
	size_t n;
	int rc = csv_next(c, f, &n, e);

	if (rc)
		return rc;
	if (n == 0)
		return qerr_set(e, Q_ERR_INVALID, "", "the file is empty");
	for (size_t i = 0; i < cols->n; i++)
		cols->at[i] = -1;
	for (size_t j = 0; j < n; j++) {
		size_t i;

		for (i = 0; i < cols->n; i++)
			if (!strcmp(f[j], cols->names[i]))
				break;
		if (i == cols->n)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: unknown column '%.64s'", f[j]);
		if (cols->at[i] >= 0)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: column '%s' is given twice",
					cols->names[i]);
		cols->at[i] = (int)j;
	}
	for (size_t i = 0; i < cols->n; i++)
		if (cols->required[i] && cols->at[i] < 0)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: the column '%s' is missing",
					cols->names[i]);
	return Q_OK;
}

/* Field i of a record ("" when the file has no such column). */
static const char *col(const struct columns *cols, char (*f)[CSV_FIELD_MAX],
		       size_t n, size_t i)
{
	return cols->at[i] >= 0 && (size_t)cols->at[i] < n ? f[cols->at[i]]
							   : "";
}

static int check_uscc_field(const char *s, long line, struct qerr *e)
{
	struct qerr why;

	qerr_clear(&why);
	if (uscc_check(s, strlen(s), "uscc", &why))
		return qerr_set(e, Q_ERR_INVALID, "uscc", "line %ld: %s", line,
				why.msg);
	return Q_OK;
}

static int fits(const char *s, size_t cap, const char *what, long line,
		struct qerr *e)
{
	if (strlen(s) >= cap)
		return qerr_set(e, Q_ERR_INVALID, what,
				"line %ld: '%s' is longer than %zu bytes", line,
				what, cap - 1);
	return Q_OK;
}

enum import_kind { IMPORT_REGISTRY, IMPORT_LIST };

static int import_csv(struct office *o, enum import_kind kind, const char *list,
		      const char *csv, size_t len, const char *name,
		      const char *by, int64_t now, long *count, struct qerr *e)
{
	static const char *const reg_names[] = {"uscc", "controller_id", "name",
						"source"};
	static const bool reg_req[] = {true, true, false, false};
	static const char *const list_names_[] = {"uscc", "name", "reason",
						  "source"};
	static const bool list_req[] = {true, false, false, false};
	struct columns cols = {kind == IMPORT_REGISTRY ? reg_names
						       : list_names_,
			       kind == IMPORT_REGISTRY ? reg_req : list_req,
			       4,
			       {0}};
	char(*f)[CSV_FIELD_MAX] = malloc(CSV_MAX_FIELDS * sizeof(*f));
	struct csv c;
	size_t n;
	int rc;

	*count = 0;
	if (!f)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	csv_init(&c, csv, len);
	rc = read_header(&c, &cols, f, e);
	if (rc)
		goto out;
	rc = store_begin(o->store, e);
	if (rc)
		goto out;
	while (!(rc = csv_next(&c, f, &n, e)) && n > 0) {
		const char *uscc = col(&cols, f, n, 0);
		long line = c.record_line;

		if (*count == IMPORT_MAX_ROWS) {
			rc = qerr_set(e, Q_ERR_TOO_LARGE, "",
				      "more than %ld entries", IMPORT_MAX_ROWS);
			break;
		}
		rc = check_uscc_field(uscc, line, e);
		if (rc)
			break;
		if (kind == IMPORT_REGISTRY) {
			struct store_controller sc;
			const char *id = col(&cols, f, n, 1);

			memset(&sc, 0, sizeof(sc));
			if (!*id) {
				rc = qerr_set(
					e, Q_ERR_INVALID, "controller_id",
					"line %ld: 'controller_id' is empty",
					line);
				break;
			}
			rc = fits(id, sizeof(sc.controller), "controller_id",
				  line, e);
			if (!rc)
				rc = fits(col(&cols, f, n, 2), sizeof(sc.name),
					  "name", line, e);
			if (!rc)
				rc = fits(col(&cols, f, n, 3),
					  sizeof(sc.source), "source", line, e);
			if (rc)
				break;
			snprintf(sc.uscc, sizeof(sc.uscc), "%s", uscc);
			snprintf(sc.controller, sizeof(sc.controller), "%s",
				 id);
			snprintf(sc.name, sizeof(sc.name), "%s",
				 col(&cols, f, n, 2));
			snprintf(sc.source, sizeof(sc.source), "%s",
				 *col(&cols, f, n, 3) ? col(&cols, f, n, 3)
						      : name);
			rc = store_controller_add(o->store, &sc, e);
		} else {
			struct store_listing sl;

			memset(&sl, 0, sizeof(sl));
			for (size_t i = 1; !rc && i < 4; i++)
				rc = fits(col(&cols, f, n, i), sizeof(sl.name),
					  cols.names[i], line, e);
			if (rc)
				break;
			snprintf(sl.list, sizeof(sl.list), "%s", list);
			snprintf(sl.uscc, sizeof(sl.uscc), "%s", uscc);
			snprintf(sl.name, sizeof(sl.name), "%s",
				 col(&cols, f, n, 1));
			snprintf(sl.reason, sizeof(sl.reason), "%s",
				 col(&cols, f, n, 2));
			snprintf(sl.source, sizeof(sl.source), "%s",
				 *col(&cols, f, n, 3) ? col(&cols, f, n, 3)
						      : name);
			rc = store_listing_add(o->store, &sl, e);
		}
		if (rc)
			break;
		(*count)++;
	}
	if (!rc)
		rc = audit(o,
			   kind == IMPORT_REGISTRY ? "registry-import"
						   : "list-import",
			   kind == IMPORT_REGISTRY ? "registry" : list, NULL,
			   by, now,
			   json_pack("{s:s,s:I}", "file", name, "entries",
				     (json_int_t)*count),
			   e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc) {
		store_rollback(o->store);
		*count = 0;
	}
out:
	free(f);
	return rc;
}

int office_registry_import(struct office *o, const char *csv, size_t len,
			   const char *name, const char *by, int64_t now,
			   long *count, struct qerr *e)
{
	return import_csv(o, IMPORT_REGISTRY, NULL, csv, len, name, by, now,
			  count, e);
}

int office_list_import(struct office *o, const char *list, const char *csv,
		       size_t len, const char *name, const char *by,
		       int64_t now, long *count, struct qerr *e)
{
	*count = 0;
	if (screen_list_lookup(list, strlen(list)) < 0)
		return qerr_set(e, Q_ERR_INVALID, "list",
				"unknown list '%.32s': dishonest or restricted",
				list);
	return import_csv(o, IMPORT_LIST, list, csv, len, name, by, now, count,
			  e);
}

/* --- users ---------------------------------------------------------------------------- */

static const char *const roles[] = {"administrator", "reviewer", "finance",
				    "auditor", "applicant"};

bool office_role_known(const char *role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(role, roles[i]))
			return true;
	return false;
}

/* Hex SHA-256 of the token's bytes into out (65 bytes). */
static void token_hash(const char *token, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(token, len, md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int office_user_add(struct office *o, const char *name, const char *role,
		    const char *uscc, const char *by, int64_t now, char *token,
		    struct qerr *e)
{
	struct store_user u;
	unsigned char raw[32];
	char hash[65];
	size_t nlen = strlen(name);
	int rc;

	token[0] = '\0';
	if (!nlen || nlen >= sizeof(u.name))
		return qerr_set(e, Q_ERR_INVALID, "name",
				"name: 1 to %zu bytes", sizeof(u.name) - 1);
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)name[i] < 0x21 || name[i] == 0x7f)
			return qerr_set(
				e, Q_ERR_INVALID, "name",
				"name: no spaces or control characters");
	if (!office_role_known(role))
		return qerr_set(
			e, Q_ERR_INVALID, "role",
			"role: '%.32s' is not one of administrator, reviewer, finance, auditor, applicant",
			role);
	if (!strcmp(role, "applicant")) {
		if (!uscc || !*uscc)
			return qerr_set(
				e, Q_ERR_MISSING_FIELD, "uscc",
				"uscc: an applicant is bound to its firm's USCC");
		rc = uscc_check(uscc, strlen(uscc), "uscc", e);
		if (rc)
			return rc;
	} else if (uscc && *uscc) {
		return qerr_set(e, Q_ERR_INVALID, "uscc",
				"uscc: only an applicant is bound to a USCC");
	}
	/* 256 random bits from the kernel's generator. */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return qerr_set(e, Q_ERR_IO, "", "no random bytes for a token");
	memcpy(token, "qt_", 3);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 3 + 2 * i, 3, "%02x", raw[i]);
	token_hash(token, strlen(token), hash);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.role, sizeof(u.role), "%s", role);
	snprintf(u.uscc, sizeof(u.uscc), "%s", uscc ? uscc : "");
	u.created_at = now;
	rc = store_begin(o->store, e);
	if (!rc)
		rc = store_user_add(o->store, &u, hash, e);
	if (!rc)
		rc = audit(o, "user-add", name, NULL, by, now,
			   json_pack("{s:s,s:s}", "role", role, "uscc", u.uscc),
			   e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc) {
		store_rollback(o->store);
		token[0] = '\0';
	}
	return rc;
}

int office_user_remove(struct office *o, const char *name, const char *by,
		       int64_t now, struct qerr *e)
{
	int rc = store_begin(o->store, e);

	if (!rc)
		rc = store_user_remove(o->store, name, e);
	if (!rc)
		rc = audit(o, "user-remove", name, NULL, by, now, NULL, e);
	if (!rc)
		rc = store_commit(o->store, e);
	if (rc)
		store_rollback(o->store);
	return rc;
}

int office_user_by_token(struct office *o, const char *token, size_t len,
			 struct store_user *out, struct qerr *e)
{
	char hash[65];

	if (len != OFFICE_TOKEN_TEXT - 1 || strncmp(token, "qt_", 3))
		return Q_NONE;
	token_hash(token, len, hash);
	return store_user_by_token(o->store, hash, out, e);
}
