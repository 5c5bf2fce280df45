/*
 * pool.c - the money of a pool: its ledger accounts and their codes,
 * reserving an application's amount (a grant: its tranches, one per
 * fiscal year), releasing it, and the waitlist of those the pool could not
 * cover yet, served first come first served: in strict arrival order, or,
 * for a measure with `waitlist: fit`, whatever fits in arrival order.
 */
#include "office/office_int.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/app.h"

/* --- accounts and their codes --------------------------------------------- */

/* Account ids are the first 63 bits of the SHA-256 of the account's code,
 * so every process derives the same id without a shared counter. */
uint64_t office_account_id(const char *code)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t id = 0;

	assert(code && *code);
	EVP_Digest(code, strlen(code), md, &n, EVP_sha256(), NULL);
	assert(n >= 8);
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
void office_pool_code(char *buf, const char *program, const char *pool,
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

/* Copy the part of s up to the next '/' (or its end) into buf, cap bytes
 * with the NUL; the part must not be empty. Returns where it ends, or NULL
 * when it is empty or too long. */
static const char *code_part(const char *s, char *buf, size_t cap)
{
	size_t n = strcspn(s, "/");

	assert(buf && cap > 1);
	if (n == 0 || n >= cap)
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return s + n;
}

/* Take a code apart as office_pool_code puts it together: program and
 * pool ids (never holding '/'), a year of four digits, a name of at most
 * nine bytes, and an applicant's USCC of at most eighteen. */
int office_code_parse(const char *code, struct office_code *out)
{
	char year[8];
	const char *s = code;

	assert(code && out);
	out->uscc[0] = '\0';
	if (!(s = code_part(s, out->program, sizeof(out->program))) ||
	    *s++ != '/' || !(s = code_part(s, out->pool, sizeof(out->pool))) ||
	    *s++ != '/' || !(s = code_part(s, year, sizeof(year))) ||
	    *s++ != '/' || !(s = code_part(s, out->name, 10)))
		return -1;
	if (*s == '/' && (!(s = code_part(s + 1, out->uscc, 19)) || *s))
		return -1;
	if (*s || strlen(year) != 4 || year[0] < '1' || year[0] > '9')
		return -1;
	out->year = 0;
	for (int i = 0; i < 4; i++) {
		if (year[i] < '0' || year[i] > '9')
			return -1;
		out->year = out->year * 10 + (year[i] - '0');
	}
	return 0;
}

int office_io_error(struct office *o, struct qerr *e, const char *what)
{
	struct qerr why;

	assert(o && what);
	qerr_clear(&why);
	store_ledger_error(o->store, &why);
	return qerr_set(e, Q_ERR_IO, "", "ledger: %s: %s", what,
			why.msg[0] ? why.msg : "the store failed");
}

/* Create the accounts named (name, flags) for one pool and year; existing
 * ones are left as they are. */
int office_ensure_accounts(struct office *o, const char *program,
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
	int rc;

	assert(o && program && pool);
	for (size_t i = 0; i < 6; i++) {
		if (kinds[i].per_applicant != (uscc != NULL))
			continue;
		memset(&as[n], 0, sizeof(as[n]));
		office_pool_code(as[n].code, program, pool, year, kinds[i].name,
				 uscc);
		as[n].id = office_account_id(as[n].code);
		as[n].flags = kinds[i].flags;
		n++;
	}
	assert(n == 2 || n == 4);
	/* A firm that never filed here has no accounts yet: nothing to
	 * read before creating them. */
	if (uscc) {
		bool maybe;
		uint64_t ids[2] = {as[0].id, as[1].id};

		rc = office_hot_filed(o, uscc, &maybe, e);
		if (rc)
			return rc;
		if (!maybe)
			office_hot_absent(o, ids, 2);
	}
	rc = ledger_create_accounts(office_ledger(o), as, n, results);
	office_hot_absent(o, NULL, 0);
	if (rc)
		return office_io_error(o, e, "creating accounts");
	for (size_t i = 0; i < n; i++)
		if (results[i] != LEDGER_OK &&
		    results[i] != LEDGER_ACCOUNT_EXISTS)
			return qerr_set(e, Q_ERR_CONFLICT, "",
					"ledger: account '%s': %s", as[i].code,
					ledger_result_name(results[i]));
	return Q_OK;
}

int office_get_account(struct office *o, const char *code,
		       struct ledger_account *a, struct qerr *e)
{
	const struct ledger_io *io = office_ledger(o);
	int rc;

	assert(code && a);
	rc = io->account_get(io->ctx, office_account_id(code), a);
	if (rc < 0)
		return office_io_error(o, e, "reading an account");
	if (rc > 0)
		memset(a, 0, sizeof(*a));
	return Q_OK;
}

int office_xfer(struct office *o, struct ledger_transfer *t, int64_t now,
		int *result, struct qerr *e)
{
	assert(o && t && result);
	if (ledger_create_transfers(office_ledger(o), t, 1, now, result))
		return office_io_error(o, e, "a transfer");
	return Q_OK;
}

void office_transfer_init(struct ledger_transfer *t, const char *verb,
			  const char *app_id, uint32_t code)
{
	assert(t && verb && app_id);
	assert(code >= XFER_BUDGET && code <= XFER_REVERSE);
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s/%s", verb, app_id);
	snprintf(t->ref, sizeof(t->ref), "%s", app_id);
	t->code = code;
}

/* --- institute grants ------------------------------------------------------
 *
 * A grant is spread over N = ceil(term_months / 12) fiscal years, starting
 * in the application's year: tranche k is floor(total / N), and the fen
 * left over go one each to the earliest years, so the tranches add up to
 * the grant and differ by at most one fen. Each tranche is a pending
 * transfer "reserve/<id>/<year>" (ring-fenced) in the accounts that pay
 * the pool in its year (a commitment pool's one set of accounts for every
 * year of its span), made when the grant is reserved, all linked so the
 * grant is held whole or not at all; approval awards the grant and a
 * recorded milestone posts one year's tranche, which can then be paid
 * (pay.c). */

/* The years and tranche amounts of grant a, from its stored application
 * (term_months). */
static int grant_plan(const struct policy *p, int m, const struct store_app *a,
		      int *n, money_t *tranche, struct qerr *e)
{
	struct application app;
	int64_t term;
	int rc;

	assert(m >= 0 && office_is_grant(p, m));
	assert(a->json);
	rc = app_parse_json(a->json, strlen(a->json), &app, e);
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
	assert(a->requested >= 0);
	for (int k = 0; k < *n; k++)
		tranche[k] =
			a->requested / *n + (k < a->requested % *n ? 1 : 0);
	return Q_OK;
}

/* The pending transfer of grant a's tranche in `year`, drawn on the
 * pool's accounts of fiscal year `at` (year itself, or a commitment's
 * first year), linked to the next one unless it is the last. */
static void tranche_init(struct ledger_transfer *t, const struct policy *p,
			 const char *pool, const struct store_app *a, int year,
			 int at, money_t amount, bool linked)
{
	char code[LEDGER_ID_MAX];

	assert(t && pool);
	assert(amount >= 0 && at <= year);
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "reserve/%s/%d", a->id, year);
	snprintf(t->ref, sizeof(t->ref), "%s", a->id);
	t->code = XFER_RESERVE;
	office_pool_code(code, p->program, pool, at, "available", NULL);
	t->debit = office_account_id(code);
	office_pool_code(code, p->program, pool, at, "awarded", a->uscc);
	t->credit = office_account_id(code);
	t->amount = amount;
	t->flags = LEDGER_PENDING | (linked ? LEDGER_LINKED : 0);
}

static int grant_reserve(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t now, int *to,
			 struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	struct ledger_transfer t[GRANT_MAX_TRANCHES];
	money_t tranche[GRANT_MAX_TRANCHES];
	int results[GRANT_MAX_TRANCHES];
	int n, rc;

	assert(office_is_grant(p, m) && to);
	rc = grant_plan(p, m, a, &n, tranche, e);
	if (rc)
		return rc;
	assert(n > 0 && n <= GRANT_MAX_TRANCHES);
	for (int k = 0; k < n; k++) {
		int year = a->fiscal_year + k;
		int at = policy_pool_account_year(p, p->measures[m].pool, year);

		if (at < 0)
			return qerr_set(
				e, Q_ERR_DECISION, "contract.term_months",
				"pool '%s' has no budget for fiscal year %d, which the grant's tranche %d falls in",
				pool, year, k + 1);
		rc = office_ensure_accounts(o, p->program, pool, at, a->uscc,
					    e);
		if (rc)
			return rc;
		tranche_init(&t[k], p, pool, a, year, at, tranche[k],
			     k + 1 < n);
	}
	if (ledger_create_transfers(office_ledger(o), t, (size_t)n, now,
				    results))
		return office_io_error(o, e, "reserving a grant");
	for (int k = 0; k < n; k++) {
		if (results[k] == LEDGER_OK)
			continue;
		if (results[k] == LEDGER_EXCEEDS_CREDITS) {
			*to = APP_WAITLISTED;
			return Q_OK;
		}
		if (results[k] != LEDGER_LINKED_EVENT_FAILED)
			return qerr_set(
				e, Q_ERR_CONFLICT, "",
				"ledger: reserving tranche %d of '%s': %s",
				k + 1, a->id, ledger_result_name(results[k]));
	}
	*to = APP_RESERVED;
	return Q_OK;
}

/* Void every tranche still pending (a rejected or withdrawn grant). */
static int grant_release(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t now, struct qerr *e)
{
	const struct ledger_io *io = office_ledger(o);
	money_t tranche[GRANT_MAX_TRANCHES];
	int n, rc;

	assert(office_is_grant(p, m));
	rc = grant_plan(p, m, a, &n, tranche, e);
	for (int k = 0; !rc && k < n; k++) {
		struct ledger_transfer t;
		enum ledger_pending_state st;
		int result;

		memset(&t, 0, sizeof(t));
		snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s/%d",
			 a->id, a->fiscal_year + k);
		int got = io->pending_state(io->ctx, t.pending_id, &st);

		/* A storage error is never taken for "nothing to release". */
		if (got < 0) {
			rc = office_io_error(o, e, "reading a tranche");
			break;
		}
		if (got > 0 || st != LEDGER_PENDING_OPEN)
			continue;
		snprintf(t.id, sizeof(t.id), "release/%s/%d", a->id,
			 a->fiscal_year + k);
		snprintf(t.ref, sizeof(t.ref), "%s", a->id);
		t.code = XFER_RELEASE;
		t.flags = LEDGER_VOID_PENDING;
		rc = office_xfer(o, &t, now, &result, e);
		if (!rc && result != LEDGER_OK)
			rc = qerr_set(e, Q_ERR_CONFLICT, "",
				      "ledger: releasing '%s': %s", a->id,
				      ledger_result_name(result));
	}
	return rc;
}

/* --- reserving and releasing ---------------------------------------------- */

int office_reserve(struct office *o, const struct policy *p,
		   const struct store_app *a, int64_t now, int *to,
		   struct qerr *e)
{
	int m = policy_find_measure(p, a->measure, strlen(a->measure));
	const char *pool;
	char code[LEDGER_ID_MAX];
	struct ledger_transfer t;
	int result, at;
	int rc;

	assert(m >= 0 && to);
	assert(a->requested >= 0);
	if (a->requested == 0) {
		*to = APP_RESERVED;
		return Q_OK;
	}
	if (office_is_grant(p, m))
		return grant_reserve(o, p, m, a, now, to, e);
	pool = p->pools[p->measures[m].pool].id;
	at = policy_pool_account_year(p, p->measures[m].pool, a->fiscal_year);
	if (at < 0)
		return qerr_set(e, Q_ERR_DECISION, "received_at",
				"pool '%s' has no budget for fiscal year %d",
				pool, a->fiscal_year);
	rc = office_ensure_accounts(o, p->program, pool, at, a->uscc, e);
	if (rc)
		return rc;
	office_transfer_init(&t, "reserve", a->id, XFER_RESERVE);
	office_pool_code(code, p->program, pool, at, "available", NULL);
	t.debit = office_account_id(code);
	office_pool_code(code, p->program, pool, at, "awarded", a->uscc);
	t.credit = office_account_id(code);
	t.amount = a->requested;
	t.flags = LEDGER_PENDING;
	if (p->measures[m].reservation_days > 0)
		t.expires_at =
			now + (int64_t)p->measures[m].reservation_days * 86400;
	rc = office_xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result == LEDGER_OK || result == LEDGER_EXCEEDS_CREDITS) {
		*to = result == LEDGER_OK ? APP_RESERVED : APP_WAITLISTED;
		return Q_OK;
	}
	return qerr_set(e, Q_ERR_CONFLICT, "", "ledger: reserving '%s': %s",
			a->id, ledger_result_name(result));
}

int office_release(struct office *o, const struct policy *p, int measure,
		   const struct store_app *a, int64_t now, struct qerr *e)
{
	struct ledger_transfer t;
	int result;
	int rc;

	assert(measure >= 0 && measure < (int)p->nmeasures);
	assert(a->state >= 0 && a->state < APP__STATE_COUNT);
	if (a->requested == 0)
		return Q_OK;
	if (office_is_grant(p, measure))
		return a->state == APP_RESERVED || a->state == APP_AWARDED
			       ? grant_release(o, p, measure, a, now, e)
			       : Q_OK;
	if (a->state != APP_RESERVED)
		return Q_OK;
	office_transfer_init(&t, "release", a->id, XFER_RELEASE);
	snprintf(t.pending_id, sizeof(t.pending_id), "reserve/%s", a->id);
	t.flags = LEDGER_VOID_PENDING;
	rc = office_xfer(o, &t, now, &result, e);
	if (rc)
		return rc;
	if (result != LEDGER_OK)
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"ledger: releasing '%s': %s", a->id,
				ledger_result_name(result));
	return Q_OK;
}

/* --- the waitlist ---------------------------------------------------------- */

/* One waiting application: when it was received, its arrival order,
 * and whether its measure lets it overtake (waitlist: fit). */
struct waiting {
	int64_t received_at, seq;
	money_t requested;
	bool fit, grant;
	char id[64];
};

struct collect {
	struct waiting *w;
	size_t n, max;
	const char *pool;
	int at; /* the account year: all the fiscal years paid from it */
	const struct policy *p;
};

/* The waiting order is the order of receipt (an administrator's import
 * may be received earlier than it arrived), then of arrival. */
static int waiting_cmp(const void *x, const void *y)
{
	const struct waiting *a = x, *b = y;

	if (a->received_at != b->received_at)
		return a->received_at < b->received_at ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int collect_waitlisted(void *arg, const struct store_app *a)
{
	struct collect *c = arg;
	int m = policy_find_measure(c->p, a->measure, strlen(a->measure));

	assert(a->state == APP_WAITLISTED);
	if (m < 0 || strcmp(c->p->pools[c->p->measures[m].pool].id, c->pool) ||
	    policy_pool_account_year(c->p, c->p->measures[m].pool,
				     a->fiscal_year) != c->at)
		return 0;
	if (c->n == c->max)
		return 1;
	c->w[c->n].received_at = a->received_at;
	c->w[c->n].seq = a->seq;
	c->w[c->n].requested = a->requested;
	c->w[c->n].fit = c->p->measures[m].waitlist == WAITLIST_FIT;
	c->w[c->n].grant = office_is_grant(c->p, m);
	memcpy(c->w[c->n++].id, a->id, 64);
	return 0;
}

/* Reserve waitlisted application id if the pool covers it now (*served). */
static int serve_one(struct office *o, const struct policy *p, const char *id,
		     const char *by, int64_t now, bool *served, struct qerr *e)
{
	struct store_app a;
	int m, to, rc;

	*served = false;
	rc = store_app_get(o->store, id, &a, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_IO, "",
				"waitlist: application '%s' vanished", id);
	if (rc)
		return rc;
	m = policy_find_measure(p, a.measure, strlen(a.measure));
	assert(m >= 0);
	rc = office_reserve(o, p, &a, now, &to, e);
	if (!rc && to == APP_RESERVED) {
		struct office_step s = {
			VERB_SERVE, APP_RESERVED, office_is_grant(p, m),
			"reserve",  by,		  now};

		rc = office_app_move(o, &a, &s,
				     json_pack("{s:o,s:s}", "amount",
					       office_money_j(a.requested),
					       "from", "waitlist"),
				     e);
		*served = !rc;
	}
	store_app_release(&a);
	return rc;
}

/* What the account of pool/at has available (*avail): credits posted
 * less debits posted and pending, as the ledger's limit reads it. */
static int pool_available(struct office *o, const struct policy *p,
			  const char *pool, int at, money_t *avail,
			  struct qerr *e)
{
	struct ledger_account acc;
	char code[LEDGER_ID_MAX];
	int rc;

	assert(o && p && pool && avail);
	assert(at >= 1000);
	office_pool_code(code, p->program, pool, at, "available", NULL);
	rc = office_get_account(o, code, &acc, e);
	if (rc)
		return rc;
	*avail = (money_t)acc.credits_posted - (money_t)acc.debits_posted -
		 (money_t)acc.debits_pending;
	return Q_OK;
}

/* The index of the pool with this id in p, or -1. */
static int pool_index(const struct policy *p, const char *pool)
{
	for (size_t i = 0; i < p->npools; i++)
		if (!strcmp(p->pools[i].id, pool))
			return (int)i;
	return -1;
}

int office_serve_waitlist(struct office *o, const struct policy *p,
			  const char *pool, int year, const char *by,
			  int64_t now, struct qerr *e)
{
	int pi = pool_index(p, pool);
	struct collect c = {NULL, 0, MAX_WAITLIST, pool, year, p};
	bool blocked = false, any_fit = false;
	money_t avail = 0;
	int rc = Q_OK;

	assert(o && p && pool);
	assert(pi >= 0);
	for (size_t m = 0; m < p->nmeasures; m++)
		any_fit |= p->measures[m].pool == (uint32_t)pi &&
			   p->measures[m].waitlist == WAITLIST_FIT;
	c.at = policy_pool_account_year(p, (uint32_t)pi, year);
	if (c.at < 0)
		return Q_OK; /* no budget that year: nobody waits for it */
	c.w = malloc(sizeof(*c.w) * MAX_WAITLIST);
	if (!c.w)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_app_each(o->store, p->program, APP_WAITLISTED,
			    collect_waitlisted, &c, e);
	qsort(c.w, c.n, sizeof(*c.w), waiting_cmp);
	/* In arrival order. Once one is left waiting, a strict measure's
	 * application stays behind it, and one under `waitlist: fit` is
	 * still reserved if it fits: the same rule as on arrival (place).
	 * Under fit the whole waitlist may be walked: an amount above what
	 * is available is passed over without reading it (a grant's
	 * tranches, on several years' accounts, are left to the ledger). */
	if (!rc && any_fit)
		rc = pool_available(o, p, pool, c.at, &avail, e);
	for (size_t i = 0; !rc && i < c.n; i++) {
		bool served = false;

		if (blocked && !c.w[i].fit)
			continue;
		if (any_fit && !c.w[i].grant && c.w[i].requested > avail)
			served = false;
		else
			rc = serve_one(o, p, c.w[i].id, by, now, &served, e);
		if (!rc && served && any_fit)
			rc = pool_available(o, p, pool, c.at, &avail, e);
		if (!rc && !served) {
			blocked = true;
			if (!any_fit)
				break;
		}
	}
	free(c.w);
	return rc;
}

int office_waitlist_before(struct office *o, const struct policy *p,
			   const char *pool, int year, int64_t received_at,
			   bool *any, struct qerr *e)
{
	int pi = pool_index(p, pool);
	int from = year, until = year;
	int rc = Q_OK;

	assert(o && p && pool && any);
	assert(pi >= 0);
	*any = false;
	/* A commitment's money is one for all its years: whoever waits in
	 * any of them stands ahead. */
	if (p->pools[pi].commitment &&
	    policy_pool_account_year(p, (uint32_t)pi, year) >= 0) {
		from = p->pools[pi].commit_from;
		until = p->pools[pi].commit_until;
	}
	for (int y = from; !rc && !*any && y <= until; y++)
		for (size_t m = 0; !rc && !*any && m < p->nmeasures; m++) {
			bool maybe;

			if (p->measures[m].pool != (uint32_t)pi)
				continue;
			rc = office_hot_waiting(
				o, p->program, p->measures[m].id, y, &maybe, e);
			if (!rc && maybe)
				rc = store_app_any_before(
					o->store, p->program, p->measures[m].id,
					y, APP_WAITLISTED, received_at, any, e);
		}
	return rc;
}
