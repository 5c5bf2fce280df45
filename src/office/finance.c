/*
 * finance.c - payment batches, paying them, and the bank statement
 * reconciled against them (finance.h).
 */
#include "office/finance.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/csv.h"
#include "core/date.h"
#include "office/office_int.h"

static int nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

bool finance_account_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > FINANCE_ACCOUNT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != ' ' && s[i] != '-')
			return false;
	return true;
}

/* --- idempotency keys of the batch verbs ------------------------------------ */

/* The SHA-256 (hex) of request j (canonical: sorted keys) into out. */
static int request_hash(json_t *j, char out[65], struct qerr *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bool ok;

	assert(out);
	if (!text)
		return nomem(e);
	ok = EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1 &&
	     n == 32;
	free(text);
	if (!ok)
		return qerr_set(e, Q_ERR_NOMEM, "", "sha-256 failed");
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return Q_OK;
}

/* Look key up under verb and subject: Q_OK (none), OFFICE_REPLAYED with
 * *answer, or Q_ERR_CONFLICT when it came with another request. */
static int key_find(struct office *o, const char *verb, const char *subject,
		    const char *key, const char *request, json_t **answer,
		    struct qerr *e)
{
	char got[65];
	char *text = NULL;
	json_error_t err;
	int rc;

	assert(verb && subject && answer);
	if (!key || !key[0])
		return Q_OK;
	rc = store_key_get(o->store, verb, subject, key, got, &text, e);
	if (rc == Q_NONE)
		return Q_OK;
	if (rc)
		return rc;
	if (strcmp(got, request)) {
		free(text);
		return qerr_set(
			e, Q_ERR_CONFLICT, "idempotency_key",
			"idempotency key '%s' was used for another %s of '%s': a new request takes a new key",
			key, verb, subject);
	}
	*answer = json_loads(text, 0, &err);
	free(text);
	if (!json_is_object(*answer)) {
		json_decref(*answer);
		*answer = NULL;
		return qerr_set(e, Q_ERR_IO, "idempotency_key",
				"the answer recorded under key '%s' is not "
				"JSON",
				key);
	}
	json_object_set_new(*answer, "replayed", json_true());
	return OFFICE_REPLAYED;
}

static int key_keep(struct office *o, const char *verb, const char *subject,
		    const char *key, const char *request, json_t *answer,
		    const char *by, int64_t now, struct qerr *e)
{
	struct store_key rec;
	int rc;

	assert(verb && subject && answer);
	if (!key || !key[0])
		return Q_OK;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.verb, sizeof(rec.verb), "%s", verb);
	snprintf(rec.subject, sizeof(rec.subject), "%s", subject);
	snprintf(rec.key, sizeof(rec.key), "%s", key);
	snprintf(rec.request, sizeof(rec.request), "%s", request);
	snprintf(rec.by, sizeof(rec.by), "%s", by);
	rec.at = now;
	rec.answer = json_dumps(answer, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!rec.answer)
		return nomem(e);
	rc = store_key_put(o->store, &rec, e);
	free(rec.answer);
	return rc;
}

static int key_check(const char *key, struct qerr *e)
{
	if (key && key[0] && !office_key_valid(key, strlen(key)))
		return qerr_set(
			e, Q_ERR_INVALID, "idempotency_key",
			"idempotency key: 1 to %d printable ASCII characters, no spaces",
			OFFICE_KEY_MAX);
	return Q_OK;
}

/* "NAME=VALUE" pairs: the value of name, or NULL. */
static const char *pair_value(const char *const *pairs, size_t n,
			      const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(pairs[i], name, len) && pairs[i][len] == '=')
			return pairs[i] + len + 1;
	return NULL;
}

static json_t *strings_j(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* --- making a batch ---------------------------------------------------------- */

/* The applications a batch may take: ids in arrival order. */
struct candidates {
	const char *measure; /* filter, or NULL */
	char (*ids)[64];
	size_t n;
	bool full;
};

static int collect_awarded(void *arg, const struct store_app *a)
{
	struct candidates *c = arg;

	if (a->awarded - a->paid <= 0 ||
	    (c->measure && strcmp(c->measure, a->measure)))
		return 0;
	if (c->n == FINANCE_BATCH_MAX) {
		c->full = true;
		return 1;
	}
	snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s", a->id);
	return 0;
}

/* The applicant's name and bank account as submitted ("" when none). */
static void payee_of(const struct store_app *a, char *name, size_t nlen,
		     char *account, size_t alen)
{
	json_error_t err;
	json_t *app = a->json ? json_loads(a->json, 0, &err) : NULL;
	json_t *ap = json_object_get(app, "applicant");
	const char *n = json_string_value(json_object_get(ap, "name"));
	const char *acc =
		json_string_value(json_object_get(ap, "bank_account"));

	snprintf(name, nlen, "%s", n ? n : "");
	snprintf(account, alen, "%s", acc ? acc : "");
	json_decref(app);
}

/* Whether application id can go in a batch now: 0 with *it filled (but
 * its voucher), or why not (e). */
static int batchable(struct office *o, const struct finance_batch_req *r,
		     const char *id, int64_t now, struct store_pay_item *it,
		     struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	char voucher[STORE_VOUCHER_MAX];
	const char *acc;
	int m, rc;

	assert(id && it);
	memset(it, 0, sizeof(*it));
	rc = store_app_get(o->store, id, &a, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "ids",
				"no application '%.64s'", id);
	if (rc)
		return rc;
	if (a.state != APP_AWARDED || a.awarded - a.paid <= 0)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "ids",
			"application '%s' is %s with %s left to pay: a batch pays awards with money left",
			id, app_state_name(a.state),
			money_format(a.awarded - a.paid,
				     (char[MONEY_TEXT_MAX]){0}));
	else if ((r->program && r->program[0] &&
		  strcmp(r->program, a.program)) ||
		 (r->measure && r->measure[0] && strcmp(r->measure, a.measure)))
		rc = qerr_set(e, Q_ERR_INVALID, "ids",
			      "application '%s' is of %s / %s, not of the "
			      "batch's program and measure",
			      id, a.program, a.measure);
	else if (!(rc = store_pay_item_planned_of(o->store, id, voucher, e)))
		rc = qerr_set(e, Q_ERR_CONFLICT, "ids",
			      "application '%s' is in payment '%s' already, "
			      "not yet paid",
			      id, voucher);
	else if (rc == Q_NONE)
		rc = Q_OK;
	p = rc ? NULL : office_policy_of(o, a.program);
	m = p ? policy_find_measure(p, a.measure, strlen(a.measure)) : -1;
	if (!rc && m < 0)
		rc = qerr_set(e, Q_ERR_UNKNOWN_MEASURE, "ids",
			      "application '%s': measure '%s' is not in the "
			      "program's policy",
			      id, a.measure);
	if (!rc)
		rc = office_notice_hold(o, p, m, &a, now, e);
	if (!rc) {
		snprintf(it->app_id, sizeof(it->app_id), "%s", a.id);
		it->amount = a.awarded - a.paid;
		payee_of(&a, it->payee_name, sizeof(it->payee_name),
			 it->payee_account, sizeof(it->payee_account));
		acc = pair_value(r->accounts, r->naccounts, a.id);
		if (acc)
			snprintf(it->payee_account, sizeof(it->payee_account),
				 "%s", acc);
		if (!finance_account_valid(it->payee_account))
			rc = qerr_set(
				e, Q_ERR_MISSING_FIELD, "accounts",
				"application '%s' has no bank account to pay: give one with the batch (%s=ACCOUNT) or in applicant.bank_account",
				id, id);
	}
	store_app_release(&a);
	return rc;
}

/* The applications the request names, or those its filters find. */
static int candidates_of(struct office *o, const struct finance_batch_req *r,
			 struct candidates *c, struct qerr *e)
{
	int rc;

	assert(r && c);
	if (r->nids > FINANCE_BATCH_MAX)
		return qerr_set(e, Q_ERR_TOO_LARGE, "ids",
				"a batch holds at most %d payments",
				FINANCE_BATCH_MAX);
	if (r->nids) {
		for (size_t i = 0; i < r->nids; i++)
			snprintf(c->ids[c->n++], sizeof(c->ids[0]), "%s",
				 r->ids[i]);
		return Q_OK;
	}
	c->measure = r->measure && r->measure[0] ? r->measure : NULL;
	rc = store_app_each(o->store,
			    r->program && r->program[0] ? r->program : NULL,
			    APP_AWARDED, collect_awarded, c, e);
	if (!rc && c->full)
		rc = qerr_set(e, Q_ERR_TOO_LARGE, "ids",
			      "more than %d awards are payable: make the batch "
			      "by program or measure",
			      FINANCE_BATCH_MAX);
	return rc;
}

static json_t *item_j(const struct store_pay_item *it)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "voucher",
			 it->voucher, "batch", it->batch_id, "application",
			 it->app_id, "payee_name", it->payee_name,
			 "payee_account", it->payee_account, "amount",
			 office_money_j(it->amount), "state",
			 it->state[0] ? it->state : "planned", "bank_ref",
			 it->bank_ref, "settled_on", it->settled_on);
}

/* Number and record the batch and its payments items[0..n). */
static int batch_write(struct office *o, const struct finance_batch_req *r,
		       struct store_pay_item *items, size_t n, const char *by,
		       int64_t now, struct store_batch *b, struct qerr *e)
{
	int year = date_year(date_of_instant(now));
	int64_t seq;
	int rc;

	assert(items && n > 0 && b);
	memset(b, 0, sizeof(*b));
	rc = store_batch_next(o->store, year, &b->seq, e);
	if (rc)
		return rc;
	b->year = year;
	snprintf(b->id, sizeof(b->id), "PB-%d-%04lld", year, (long long)b->seq);
	snprintf(b->program, sizeof(b->program), "%s",
		 r->program ? r->program : "");
	snprintf(b->measure, sizeof(b->measure), "%s",
		 r->measure ? r->measure : "");
	snprintf(b->made_by, sizeof(b->made_by), "%s", by);
	b->made_at = now;
	rc = store_batch_add(o->store, b, e);
	if (!rc)
		rc = store_voucher_next(o->store, year, &seq, e);
	for (size_t i = 0; !rc && i < n; i++) {
		items[i].year = year;
		items[i].seq = seq + (int64_t)i;
		snprintf(items[i].voucher, sizeof(items[i].voucher),
			 "PZ-%d-%06lld", year, (long long)items[i].seq);
		snprintf(items[i].batch_id, sizeof(items[i].batch_id), "%s",
			 b->id);
		snprintf(items[i].state, sizeof(items[i].state), "planned");
		rc = store_pay_item_add(o->store, &items[i], e);
	}
	return rc;
}

/* The answer of a new batch, and the detail of its audit event. */
static json_t *batch_answer(const struct store_batch *b,
			    const struct store_pay_item *items, size_t n,
			    json_t *skipped)
{
	json_t *pays = json_array();
	money_t total = 0;

	for (size_t i = 0; pays && i < n; i++) {
		json_array_append_new(pays, item_j(&items[i]));
		total += items[i].amount;
	}
	return json_pack("{s:s,s:i,s:s,s:s,s:o,s:I,s:o,s:O,s:b}", "batch",
			 b->id, "year", b->year, "program", b->program,
			 "measure", b->measure, "payments", pays, "count",
			 (json_int_t)n, "total", office_money_j(total),
			 "skipped", skipped, "replayed", 0);
}

/* Take the candidates c into items (*n): named ones must all go in, found
 * ones that cannot are listed in skipped. */
static int gather(struct office *o, const struct finance_batch_req *r,
		  const struct candidates *c, int64_t now,
		  struct store_pay_item *items, size_t *n, json_t *skipped,
		  struct qerr *e)
{
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct qerr why;
		int rc;

		qerr_clear(&why);
		rc = batchable(o, r, c->ids[i], now, &items[*n], &why);
		if (rc == Q_OK) {
			(*n)++;
			continue;
		}
		if (r->nids || rc == Q_ERR_IO || rc == Q_ERR_NOMEM) {
			*e = why;
			return rc;
		}
		json_array_append_new(skipped,
				      json_pack("{s:s,s:s}", "application",
						c->ids[i], "why", why.msg));
	}
	if (*n == 0)
		return qerr_set(e, Q_ERR_INVALID, "ids",
				"nothing to pay: no awarded application with "
				"money left fits the batch");
	return Q_OK;
}

int finance_batch_new(struct office *o, const struct finance_batch_req *r,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e)
{
	struct candidates c = {0};
	struct store_pay_item *items = NULL;
	struct store_batch b;
	json_t *req, *skipped = NULL;
	char request[65];
	size_t n = 0;
	int rc;

	assert(o && r && by && answer);
	*answer = NULL;
	if ((rc = key_check(r->key, e)))
		return rc;
	for (size_t i = 0; i < r->naccounts; i++) {
		const char *eq = strchr(r->accounts[i], '=');

		if (!eq || eq == r->accounts[i] ||
		    !finance_account_valid(eq + 1))
			return qerr_set(
				e, Q_ERR_INVALID, "accounts",
				"account '%.80s': give ID=ACCOUNT, the account 1 to %d digits, letters, spaces or '-'",
				r->accounts[i], FINANCE_ACCOUNT_MAX);
	}
	req = json_pack("{s:s,s:s,s:s,s:o,s:o}", "by", by, "program",
			r->program ? r->program : "", "measure",
			r->measure ? r->measure : "", "ids",
			strings_j(r->ids, r->nids), "accounts",
			strings_j(r->accounts, r->naccounts));
	rc = request_hash(req, request, e);
	json_decref(req);
	if (rc)
		return rc;
	c.ids = calloc(FINANCE_BATCH_MAX, sizeof(*c.ids));
	items = calloc(FINANCE_BATCH_MAX, sizeof(*items));
	skipped = json_array();
	if (!c.ids || !items || !skipped) {
		rc = nomem(e);
		goto out;
	}
	if ((rc = office_begin(o, e)))
		goto out;
	rc = key_find(o, "batch-new", "office", r->key, request, answer, e);
	if (rc == OFFICE_REPLAYED) {
		office_rollback(o);
		rc = Q_OK;
		goto out;
	}
	if (!rc)
		rc = candidates_of(o, r, &c, e);
	if (!rc)
		rc = gather(o, r, &c, now, items, &n, skipped, e);
	if (!rc)
		rc = batch_write(o, r, items, n, by, now, &b, e);
	if (!rc && !(*answer = batch_answer(&b, items, n, skipped)))
		rc = nomem(e);
	if (!rc)
		rc = office_audit(o, "batch-new", b.id, "", by, now,
				  json_deep_copy(*answer), e);
	if (!rc)
		rc = key_keep(o, "batch-new", "office", r->key, request,
			      *answer, by, now, e);
	if (!rc)
		rc = office_commit(o, e);
	else
		office_rollback(o);
	if (rc) {
		json_decref(*answer);
		*answer = NULL;
	}
out:
	json_decref(skipped);
	free(c.ids);
	free(items);
	return rc;
}

/* --- reading batches ----------------------------------------------------------- */

struct item_list {
	struct store_pay_item *v;
	size_t n, cap;
	int rc;
};

static int collect_item(void *arg, const struct store_pay_item *it)
{
	struct item_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct store_pay_item *v;

		if (cap > (size_t)FINANCE_STATEMENT_MAX * 10) {
			l->rc = Q_ERR_TOO_LARGE;
			return 1;
		}
		v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->rc = Q_ERR_NOMEM;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *it;
	return 0;
}

/* Every payment of batch ("" or NULL: all) into *l (free l->v). */
static int items_of(struct office *o, const char *batch, struct item_list *l,
		    struct qerr *e)
{
	int rc;

	memset(l, 0, sizeof(*l));
	rc = store_pay_items_each(o->store, batch, collect_item, l, e);
	if (!rc && l->rc == Q_ERR_TOO_LARGE)
		rc = qerr_set(e, Q_ERR_TOO_LARGE, "", "too many payments");
	else if (!rc && l->rc)
		rc = nomem(e);
	return rc;
}

int finance_batch_json(struct office *o, const char *batch, json_t **out,
		       struct qerr *e)
{
	struct store_batch b;
	struct item_list l;
	json_t *pays;
	money_t total = 0;
	int rc;

	assert(o && batch && out);
	*out = NULL;
	rc = store_batch_get(o->store, batch, &b, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "batch", "no batch '%.64s'",
				batch);
	if (rc || (rc = items_of(o, batch, &l, e)))
		return rc;
	pays = json_array();
	for (size_t i = 0; pays && i < l.n; i++) {
		json_array_append_new(pays, item_j(&l.v[i]));
		total += l.v[i].amount;
	}
	*out = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:o,s:I,s:o}", "batch", b.id,
			 "year", b.year, "program", b.program, "measure",
			 b.measure, "made_by", b.made_by, "made_at",
			 (json_int_t)b.made_at, "payments", pays, "count",
			 (json_int_t)l.n, "total", office_money_j(total));
	free(l.v);
	return *out ? Q_OK : nomem(e);
}

/* Add a batch's figures to the list, with its payments counted. */
struct batch_walk {
	json_t *list;
	struct item_list items;
};

static int add_batch(void *arg, const struct store_batch *b)
{
	struct batch_walk *w = arg;
	money_t total = 0, paid = 0, settled = 0;
	long count = 0, planned = 0;

	for (size_t i = 0; i < w->items.n; i++) {
		const struct store_pay_item *it = &w->items.v[i];

		if (strcmp(it->batch_id, b->id))
			continue;
		count++;
		total += it->amount;
		if (!strcmp(it->state, "planned"))
			planned++;
		else
			paid += it->amount;
		if (!strcmp(it->state, "settled"))
			settled += it->amount;
	}
	json_array_append_new(
		w->list,
		json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o}",
			  "batch", b->id, "year", b->year, "program",
			  b->program, "measure", b->measure, "made_by",
			  b->made_by, "made_at", (json_int_t)b->made_at,
			  "count", (json_int_t)count, "planned",
			  (json_int_t)planned, "total", office_money_j(total),
			  "paid", office_money_j(paid), "settled",
			  office_money_j(settled)));
	return 0;
}

int finance_batches_json(struct office *o, json_t **out, struct qerr *e)
{
	struct batch_walk w;
	int rc;

	assert(o && out);
	*out = NULL;
	memset(&w, 0, sizeof(w));
	if ((rc = items_of(o, NULL, &w.items, e)))
		return rc;
	w.list = json_array();
	if (!w.list)
		rc = nomem(e);
	if (!rc)
		rc = store_batches_each(o->store, add_batch, &w, e);
	free(w.items.v);
	if (rc) {
		json_decref(w.list);
		return rc;
	}
	*out = json_pack("{s:o}", "batches", w.list);
	return *out ? Q_OK : nomem(e);
}

/* --- paying a batch ----------------------------------------------------------- */

/* Mark payment it paid with its bank reference, audited, in a transaction
 * of its own (the disbursement committed before under the voucher's key:
 * a crash between the two is healed by the retry, whose disbursement
 * replays). */
static int mark_paid(struct office *o, const struct store_pay_item *it,
		     const char *bank_ref, const char *by, int64_t now,
		     struct qerr *e)
{
	int rc = office_begin(o, e);

	if (rc)
		return rc;
	rc = store_pay_item_paid(o->store, it->voucher, by, now, bank_ref, e);
	if (!rc)
		rc = office_audit(o, "voucher-paid", it->voucher, "", by, now,
				  json_pack("{s:s,s:s,s:o,s:s,s:s}", "batch",
					    it->batch_id, "application",
					    it->app_id, "amount",
					    office_money_j(it->amount),
					    "payee_account", it->payee_account,
					    "bank_ref", bank_ref),
				  e);
	if (!rc)
		return office_commit(o, e);
	office_rollback(o);
	return rc;
}

/* Pay one planned payment: its disbursement under its voucher's key. */
static int pay_item(struct office *o, const struct store_pay_item *it,
		    const char *bank_ref, const char *by, int64_t now,
		    struct qerr *e)
{
	struct office_move mv;
	json_t *ans = NULL;
	int rc;

	memset(&mv, 0, sizeof(mv));
	mv.verb = OFFICE_MOVE_DISBURSE;
	mv.id = it->app_id;
	mv.key = it->voucher;
	mv.amount = it->amount;
	mv.rate = -1;
	mv.value = -1;
	rc = office_move(o, &mv, by, now, &ans, e);
	json_decref(ans);
	if (!rc)
		rc = mark_paid(o, it, bank_ref, by, now, e);
	return rc;
}

int finance_batch_pay(struct office *o, const char *batch,
		      const char *const *refs, size_t nrefs, const char *key,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e)
{
	struct store_batch b;
	struct item_list l = {0};
	json_t *req, *paid = NULL, *already = NULL, *refused = NULL;
	char request[65];
	money_t total = 0;
	int rc;

	assert(o && batch && by && answer);
	*answer = NULL;
	if (!key || !key[0])
		return qerr_set(e, Q_ERR_MISSING_FIELD, "idempotency_key",
				"paying a batch takes an idempotency key "
				"(--ref, Idempotency-Key)");
	if ((rc = key_check(key, e)))
		return rc;
	for (size_t i = 0; i < nrefs; i++) {
		const char *eq = strchr(refs[i], '=');

		if (!eq || eq == refs[i] || !eq[1] ||
		    strlen(eq + 1) >= STORE_BANK_REF_MAX)
			return qerr_set(e, Q_ERR_INVALID, "bank_refs",
					"bank reference '%.80s': give "
					"VOUCHER=REFERENCE",
					refs[i]);
	}
	req = json_pack("{s:s,s:s,s:o}", "by", by, "batch", batch, "refs",
			strings_j(refs, nrefs));
	rc = request_hash(req, request, e);
	json_decref(req);
	if (rc)
		return rc;
	rc = store_batch_get(o->store, batch, &b, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "batch", "no batch '%.64s'",
				batch);
	if (!rc)
		rc = office_begin(o, e);
	if (rc)
		return rc;
	rc = key_find(o, "batch-pay", batch, key, request, answer, e);
	office_rollback(o);
	if (rc == OFFICE_REPLAYED)
		return Q_OK;
	if (rc || (rc = items_of(o, batch, &l, e)))
		return rc;
	paid = json_array();
	already = json_array();
	refused = json_array();
	if (!paid || !already || !refused)
		rc = nomem(e);
	for (size_t i = 0; !rc && i < l.n; i++) {
		const struct store_pay_item *it = &l.v[i];
		const char *ref = pair_value(refs, nrefs, it->voucher);
		struct qerr why;
		int prc;

		if (strcmp(it->state, "planned")) {
			json_array_append_new(already, item_j(it));
			continue;
		}
		qerr_clear(&why);
		prc = pay_item(o, it, ref ? ref : "", by, now, &why);
		if (prc == Q_ERR_IO || prc == Q_ERR_NOMEM) {
			*e = why;
			rc = prc;
		} else if (prc) {
			json_array_append_new(
				refused,
				json_pack("{s:s,s:s,s:o,s:s}", "voucher",
					  it->voucher, "application",
					  it->app_id, "amount",
					  office_money_j(it->amount), "why",
					  why.msg));
		} else {
			struct store_pay_item now_paid = *it;

			snprintf(now_paid.state, sizeof(now_paid.state),
				 "paid");
			snprintf(now_paid.bank_ref, sizeof(now_paid.bank_ref),
				 "%s", ref ? ref : "");
			json_array_append_new(paid, item_j(&now_paid));
			total += it->amount;
		}
	}
	free(l.v);
	if (!rc)
		*answer = json_pack("{s:s,s:O,s:O,s:O,s:o,s:b}", "batch", batch,
				    "paid", paid, "already", already, "refused",
				    refused, "total_paid",
				    office_money_j(total), "replayed", 0);
	if (!rc && !*answer)
		rc = nomem(e);
	/* Recorded only when the whole batch is paid: after a refusal the
	 * same key runs again and pays what is left. */
	if (!rc && json_array_size(refused) == 0) {
		rc = office_begin(o, e);
		if (!rc)
			rc = key_keep(o, "batch-pay", batch, key, request,
				      *answer, by, now, e);
		if (!rc)
			rc = office_commit(o, e);
		else
			office_rollback(o);
	}
	json_decref(paid);
	json_decref(already);
	json_decref(refused);
	if (rc) {
		json_decref(*answer);
		*answer = NULL;
	}
	return rc;
}

/* --- the bank statement --------------------------------------------------------- */

enum { COL_DATE, COL_AMOUNT, COL_ACCOUNT, COL_NAME, COL_REF, NCOLS };

static const char *const col_names[NCOLS] = {"date", "amount", "payee_account",
					     "payee_name", "reference"};

/* The header's columns into where[] (index of each column). */
static int read_header(char (*f)[CSV_FIELD_MAX], size_t n, int *where,
		       struct qerr *e)
{
	for (int k = 0; k < NCOLS; k++)
		where[k] = -1;
	for (size_t i = 0; i < n; i++) {
		int k = 0;

		while (k < NCOLS && strcmp(f[i], col_names[k]))
			k++;
		if (k == NCOLS)
			return qerr_set(e, Q_ERR_INVALID, "statement",
					"statement line 1: unknown column "
					"'%.40s' (date, amount, payee_account, "
					"payee_name, reference)",
					f[i]);
		if (where[k] >= 0)
			return qerr_set(e, Q_ERR_INVALID, "statement",
					"statement line 1: column '%s' twice",
					col_names[k]);
		where[k] = (int)i;
	}
	for (int k = 0; k < NCOLS; k++)
		if (where[k] < 0)
			return qerr_set(e, Q_ERR_INVALID, "statement",
					"statement line 1: no column '%s'",
					col_names[k]);
	return Q_OK;
}

/* The payments by voucher (the store hands them in voucher order, byte by
 * byte) and, in refs, those with a bank reference in its order: a
 * statement line is found in O(log n), never by a walk of every payment. */
struct ref_index {
	struct item_list *l;
	struct store_pay_item **refs;
	size_t nrefs;
};

static int by_bank_ref(const void *x, const void *y)
{
	const struct store_pay_item *const *a = x, *const *b = y;

	return strcmp((*a)->bank_ref, (*b)->bank_ref);
}

static int index_make(struct item_list *l, struct ref_index *ix, struct qerr *e)
{
	memset(ix, 0, sizeof(*ix));
	ix->l = l;
	for (size_t i = 1; i < l->n; i++)
		assert(strcmp(l->v[i - 1].voucher, l->v[i].voucher) < 0);
	if (l->n && !(ix->refs = calloc(l->n, sizeof(*ix->refs))))
		return nomem(e);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].bank_ref[0])
			ix->refs[ix->nrefs++] = &l->v[i];
	qsort(ix->refs, ix->nrefs, sizeof(*ix->refs), by_bank_ref);
	return Q_OK;
}

/* The payment whose voucher, or else bank reference, is ref; or NULL. */
static struct store_pay_item *find_ref(const struct ref_index *ix,
				       const char *ref)
{
	size_t lo = 0, hi = ix->l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->l->v[mid].voucher, ref);

		if (c == 0)
			return &ix->l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo = 0;
	hi = ix->nrefs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->refs[mid]->bank_ref, ref);

		if (c == 0)
			return ix->refs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One statement line: matched (settled in the transaction) or listed. */
static int statement_line(struct office *o, const struct ref_index *ix,
			  char (*f)[CSV_FIELD_MAX], const int *where, long line,
			  const char *by, int64_t now, json_t *matched,
			  json_t *unmatched, struct qerr *e)
{
	const char *ref = f[where[COL_REF]], *why = NULL, *reason = NULL;
	struct store_pay_item *it;
	money_t amount;
	qdate day;
	char dtext[DATE_TEXT_MAX];
	int rc;

	if (date_parse(f[where[COL_DATE]], strlen(f[where[COL_DATE]]), &day,
		       "date", e) ||
	    money_parse(f[where[COL_AMOUNT]], strlen(f[where[COL_AMOUNT]]),
			&amount, "amount", e)) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		return qerr_set(e, Q_ERR_INVALID, "statement",
				"statement line %ld: %s", line, msg);
	}
	it = ref[0] ? find_ref(ix, ref) : NULL;
	/* reason: a code the dashboard translates; why: its words. */
	if (!it) {
		reason = "no_payment";
		why = "no payment has this reference";
	} else if (it->amount != amount) {
		reason = "other_amount";
		why = "the reference is a payment of another amount: not matched";
	} else if (!strcmp(it->state, "planned")) {
		reason = "not_paid";
		why = "the payment with this reference has not been paid";
	} else if (!strcmp(it->state, "settled")) {
		reason = "settled_already";
		why = "the payment with this reference is settled already";
	}
	if (why) {
		json_t *u = json_pack(
			"{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "line",
			(json_int_t)line, "date", f[where[COL_DATE]], "amount",
			f[where[COL_AMOUNT]], "payee_account",
			f[where[COL_ACCOUNT]], "payee_name", f[where[COL_NAME]],
			"reference", ref, "reason", reason, "why", why);

		if (u && it)
			json_object_set_new(u, "payment",
					    json_string(it->voucher));
		json_array_append_new(unmatched, u);
		return Q_OK;
	}
	date_format(day, dtext);
	rc = store_pay_item_settle(o->store, it->voucher,
				   it->bank_ref[0] ? it->bank_ref : ref, dtext,
				   by, now, e);
	if (rc)
		return rc;
	snprintf(it->state, sizeof(it->state), "settled");
	json_array_append_new(
		matched,
		json_pack("{s:I,s:s,s:s,s:o,s:s}", "line", (json_int_t)line,
			  "voucher", it->voucher, "application", it->app_id,
			  "amount", office_money_j(it->amount), "date", dtext));
	return Q_OK;
}

/* Read every line of the statement, settling what matches. */
static int statement_walk(struct office *o, struct item_list *l,
			  const char *csv, size_t len, const char *by,
			  int64_t now, json_t *matched, json_t *unmatched,
			  struct qerr *e)
{
	char(*f)[CSV_FIELD_MAX] = calloc(CSV_MAX_FIELDS, CSV_FIELD_MAX);
	struct ref_index ix;
	int where[NCOLS];
	struct csv c;
	size_t n;
	long lines = 0;
	int rc;

	if (!f)
		return nomem(e);
	if ((rc = index_make(l, &ix, e))) {
		free(f);
		return rc;
	}
	csv_init(&c, csv, len);
	rc = csv_next(&c, f, &n, e);
	if (!rc && n == 0)
		rc = qerr_set(e, Q_ERR_INVALID, "statement",
			      "the statement is empty: it starts with the "
			      "header date,amount,payee_account,payee_name,"
			      "reference");
	if (!rc)
		rc = read_header(f, n, where, e);
	while (!rc && !(rc = csv_next(&c, f, &n, e)) && n > 0) {
		if (++lines > FINANCE_STATEMENT_MAX)
			rc = qerr_set(e, Q_ERR_TOO_LARGE, "statement",
				      "a statement holds at most %d lines",
				      FINANCE_STATEMENT_MAX);
		else if (n != NCOLS)
			rc = qerr_set(e, Q_ERR_INVALID, "statement",
				      "statement line %ld: %zu fields, the "
				      "header has %d",
				      c.record_line, n, NCOLS);
		else
			rc = statement_line(o, &ix, f, where, c.record_line, by,
					    now, matched, unmatched, e);
	}
	free(ix.refs);
	free(f);
	return rc;
}

/* The audit event of a reconciliation: the statement's SHA-256 (the file
 * itself is the bank's, kept by finance), what it settled, voucher by
 * voucher, and how many lines and payments it left unmatched; never every
 * line of a statement of 100 000. NULL when out of memory. */
static json_t *reconcile_event(const char *csv, size_t len, json_t *matched,
			       json_t *unmatched, json_t *waiting)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[65] = "";

	if (EVP_Digest(csv, len, md, &n, EVP_sha256(), NULL) == 1 && n == 32)
		for (unsigned i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return json_pack(
		"{s:s,s:I,s:O,s:I,s:I}", "statement_sha256", hex, "lines",
		(json_int_t)(json_array_size(matched) +
			     json_array_size(unmatched)),
		"matched", matched, "unmatched_lines",
		(json_int_t)json_array_size(unmatched), "unmatched_payments",
		(json_int_t)json_array_size(waiting));
}

int finance_reconcile(struct office *o, const char *csv, size_t len,
		      const char *by, int64_t now, json_t **answer,
		      struct qerr *e)
{
	struct item_list l = {0};
	json_t *matched = json_array(), *unmatched = json_array();
	json_t *waiting = json_array();
	bool begun = false;
	int rc;

	assert(o && csv && by && answer);
	*answer = NULL;
	if (!matched || !unmatched || !waiting)
		rc = nomem(e);
	else
		begun = !(rc = office_begin(o, e));
	if (!rc && !(rc = items_of(o, NULL, &l, e)))
		rc = statement_walk(o, &l, csv, len, by, now, matched,
				    unmatched, e);
	for (size_t i = 0; !rc && i < l.n; i++)
		if (!strcmp(l.v[i].state, "paid"))
			json_array_append_new(waiting, item_j(&l.v[i]));
	if (!rc)
		*answer = json_pack("{s:O,s:O,s:O}", "matched", matched,
				    "unmatched_lines", unmatched,
				    "unmatched_payments", waiting);
	if (!rc && !*answer)
		rc = nomem(e);
	if (!rc)
		rc = office_audit(
			o, "reconcile", "statement", "", by, now,
			reconcile_event(csv, len, matched, unmatched, waiting),
			e);
	if (!rc)
		rc = office_commit(o, e);
	else if (begun)
		office_rollback(o);
	if (rc) {
		json_decref(*answer);
		*answer = NULL;
	}
	free(l.v);
	json_decref(matched);
	json_decref(unmatched);
	json_decref(waiting);
	return rc;
}
