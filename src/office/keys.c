/*
 * keys.c - idempotency keys of the verbs that move money (office_move).
 *
 * A retried request must not move money twice: a disbursement whose answer
 * was lost on the way back is sent again, and without a key it is a new
 * payment. The key is looked up inside the verb's own write transaction
 * (which holds the store's write lock, so two requests with one key never
 * both miss it), and recorded in that transaction with the answer, so the
 * key exists exactly when the move does.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

bool office_key_valid(const char *key, size_t len)
{
	if (!key || len == 0 || len > OFFICE_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return false;
	return true;
}

static bool has_key(const struct office_keyed *k)
{
	return k && k->key && k->key[0];
}

int office_key_find(struct office *o, struct office_keyed *k,
		    const struct store_app *a, struct qerr *e)
{
	char request[65];
	char *text = NULL;
	json_error_t err;
	int rc;

	assert(o && a);
	if (!has_key(k))
		return Q_OK;
	assert(k->verb && k->request[0]);
	rc = store_key_get(o->store, k->verb, a->id, k->key, request, &text, e);
	if (rc == Q_NONE)
		return Q_OK;
	if (rc)
		return rc;
	if (strcmp(request, k->request)) {
		free(text);
		return qerr_set(
			e, Q_ERR_CONFLICT, "idempotency_key",
			"idempotency key '%s' was used for another %s of '%s': a new request takes a new key",
			k->key, k->verb, a->id);
	}
	json_decref(k->answer);
	k->answer = json_loads(text, 0, &err);
	free(text);
	if (!k->answer || !json_is_object(k->answer))
		return qerr_set(e, Q_ERR_IO, "idempotency_key",
				"the answer recorded under key '%s' is not "
				"JSON: %s",
				k->key, err.text);
	json_object_set_new(k->answer, "replayed", json_true());
	return OFFICE_REPLAYED;
}

int office_key_keep(struct office *o, struct office_keyed *k,
		    const struct store_app *a, json_t *extra, const char *by,
		    int64_t now, struct qerr *e)
{
	struct store_key rec;
	json_t *j;
	int rc;

	assert(o && a && by);
	if (!k) {
		json_decref(extra);
		return Q_OK;
	}
	j = json_pack("{s:s,s:s}", "id", a->id, "state",
		      app_state_name(a->state));
	if (j && extra)
		json_object_update(j, extra);
	json_decref(extra);
	if (!j ||
	    json_object_set_new(j, "awarded", office_money_j(a->awarded)) ||
	    json_object_set_new(j, "paid", office_money_j(a->paid)) ||
	    json_object_set_new(j, "recovered", office_money_j(a->recovered)) ||
	    json_object_set_new(j, "remaining",
				office_money_j(a->awarded - a->paid)) ||
	    json_object_set_new(j, "replayed", json_false())) {
		json_decref(j);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	json_decref(k->answer);
	k->answer = j;
	if (!has_key(k))
		return Q_OK;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.verb, sizeof(rec.verb), "%s", k->verb);
	snprintf(rec.subject, sizeof(rec.subject), "%s", a->id);
	snprintf(rec.key, sizeof(rec.key), "%s", k->key);
	snprintf(rec.request, sizeof(rec.request), "%s", k->request);
	snprintf(rec.by, sizeof(rec.by), "%s", by);
	rec.at = now;
	rec.answer = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!rec.answer)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_key_put(o->store, &rec, e);
	free(rec.answer);
	return rc;
}

/* The verb's scope and the request as canonical JSON (sorted keys): who
 * asks, and every argument its verb reads. NULL when out of memory. */
static json_t *request_j(const struct office_move *mv, const char *by,
			 const char **verb)
{
	json_t *j = json_pack("{s:s,s:s}", "id", mv->id, "by", by), *inv;

	if (!j)
		return NULL;
	switch (mv->verb) {
	case OFFICE_MOVE_APPROVE:
		*verb = "approve";
		json_object_set_new(j, "rate", json_integer(mv->rate));
		json_object_set_new(j, "value", json_integer(mv->value));
		break;
	case OFFICE_MOVE_DISBURSE:
		*verb = "disburse";
		json_object_set_new(j, "amount", json_integer(mv->amount));
		break;
	case OFFICE_MOVE_CLAWBACK:
		*verb = "clawback";
		json_object_set_new(j, "amount", json_integer(mv->amount));
		json_object_set_new(j, "why",
				    json_string(mv->why ? mv->why : ""));
		break;
	case OFFICE_MOVE_MILESTONE:
		*verb = "milestone";
		json_object_set_new(j, "year", json_integer(mv->year));
		json_object_set_new(j, "why",
				    json_string(mv->why ? mv->why : ""));
		break;
	case OFFICE_MOVE_SETTLE:
		*verb = "settle";
		json_object_set_new(j, "value", json_integer(mv->value));
		inv = json_array();
		for (size_t i = 0; inv && i < mv->ninvoices; i++)
			json_array_append_new(inv,
					      json_string(mv->invoices[i]));
		json_object_set_new(j, "invoices", inv);
		break;
	case OFFICE_MOVE_UPHOLD:
	case OFFICE_MOVE_DISMISS:
		*verb = "objection";
		json_object_set_new(j, "outcome",
				    json_string(mv->verb == OFFICE_MOVE_UPHOLD
							? "upheld"
							: "dismissed"));
		json_object_set_new(
			j, "why", mv->why ? json_string(mv->why) : json_null());
		break;
	}
	return j;
}

/* The SHA-256 (hex) of mv's canonical request into k. */
static int request_hash(const struct office_move *mv, const char *by,
			struct office_keyed *k, struct qerr *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	json_t *j = request_j(mv, by, &k->verb);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bool ok;

	json_decref(j);
	if (!text)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	ok = EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) == 1 &&
	     n == 32;
	free(text);
	if (!ok)
		return qerr_set(e, Q_ERR_NOMEM, "", "sha-256 failed");
	for (unsigned i = 0; i < n; i++)
		snprintf(k->request + 2 * i, 3, "%02x", md[i]);
	return Q_OK;
}

int office_move(struct office *o, const struct office_move *mv, const char *by,
		int64_t now, json_t **answer, struct qerr *e)
{
	struct office_keyed k;
	struct office_result res;
	struct office_settlement st;
	money_t posted;
	int rc;

	assert(o && mv && mv->id && by);
	assert(answer);
	*answer = NULL;
	memset(&k, 0, sizeof(k));
	k.key = mv->key;
	if (mv->key && mv->key[0] &&
	    !office_key_valid(mv->key, strlen(mv->key)))
		return qerr_set(
			e, Q_ERR_INVALID, "idempotency_key",
			"idempotency key: 1 to %d printable ASCII characters, no spaces",
			OFFICE_KEY_MAX);
	rc = request_hash(mv, by, &k, e);
	if (rc)
		return rc;
	switch (mv->verb) {
	case OFFICE_MOVE_APPROVE:
		rc = office_approve_k(o, mv->id, mv->rate, mv->value, by, now,
				      &res, &k, e);
		break;
	case OFFICE_MOVE_DISBURSE:
		rc = office_disburse_k(o, mv->id, mv->amount, by, now, &k, e);
		break;
	case OFFICE_MOVE_CLAWBACK:
		rc = office_clawback_k(o, mv->id, mv->amount, mv->why, by, now,
				       &k, e);
		break;
	case OFFICE_MOVE_MILESTONE:
		rc = office_milestone_k(o, mv->id, mv->year, mv->why, by, now,
					&posted, &k, e);
		break;
	case OFFICE_MOVE_SETTLE:
		rc = office_settle_k(o, mv->id, mv->value, mv->invoices,
				     mv->ninvoices, by, now, &st, &k, e);
		break;
	case OFFICE_MOVE_UPHOLD:
	case OFFICE_MOVE_DISMISS:
		rc = office_objection_decide_k(o, mv->id,
					       mv->verb == OFFICE_MOVE_UPHOLD,
					       mv->why, by, now, &res, &k, e);
		break;
	default:
		rc = qerr_set(e, Q_ERR_INVALID, "",
			      "not a verb that moves money");
	}
	if (rc == OFFICE_REPLAYED)
		rc = Q_OK;
	if (rc || !k.answer) {
		json_decref(k.answer);
		return rc ? rc : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	*answer = k.answer;
	return Q_OK;
}
