/*
 * evidence.c - documents filed under applications and payment tranches
 * (the contract, invoices, receipts, the acceptance report), and the
 * measures' requirements of them before approval and payment.
 *
 * A file is refused before anything is written: its type comes from its
 * bytes (core/doctype.c), its size is capped, and only then does the one
 * transaction begin that keeps it, files it and appends the "attach"
 * event with its SHA-256, so the audit chain holds the hash of every file
 * an office took.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/doctype.h"

/* Hex SHA-256 of data into hex (65 bytes). */
static void sha256_hex(const uint8_t *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		abort(); /* libcrypto's SHA-256 does not fail */
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

/* Whether name is fit to show and to send back in Content-Disposition:
 * printable UTF-8 without control characters, quotes, backslashes or
 * path separators. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > OFFICE_DOC_NAME_MAX)
		return false;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\' ||
		    *c == '/')
			return false;
	return true;
}

/* Everything about in that can be checked without the store. */
static int doc_check(const struct office_doc_in *in, enum doctype *t,
		     struct qerr *e)
{
	size_t cap = in->cap ? in->cap : OFFICE_DOC_CAP_DEFAULT;

	assert(cap <= STORE_DOC_MAX);
	if (!in->kind || policy_doc_kind_parse(in->kind, strlen(in->kind)) < 0)
		return qerr_set(
			e, Q_ERR_INVALID, "kind",
			"kind: '%.32s' is not a kind of document: use contract, invoice, receipt or acceptance",
			in->kind ? in->kind : "");
	if (!in->name || !name_ok(in->name))
		return qerr_set(
			e, Q_ERR_INVALID, "name",
			"name: a document's name is 1 to %d bytes without control characters, quotes, backslashes or '/'",
			OFFICE_DOC_NAME_MAX);
	if (in->payment < 0 || in->payment > 1000)
		return qerr_set(e, Q_ERR_INVALID, "payment",
				"payment: a tranche is numbered 1 to 1000 "
				"(0 or none: the application itself)");
	if (in->len == 0)
		return qerr_set(e, Q_ERR_INVALID, "file", "file: it is empty");
	if (in->len > cap)
		return qerr_set(
			e, Q_ERR_TOO_LARGE, "file",
			"file: %zu bytes is over the cap of %zu bytes a document may have",
			in->len, cap);
	return doctype_detect(in->data, in->len, t, e);
}

int office_attach(struct office *o, const struct office_doc_in *in,
		  const char *by, int64_t now, struct store_doc_link *out,
		  struct qerr *e)
{
	const struct policy *p;
	struct store_app a;
	struct store_doc_link l;
	enum doctype t;
	int64_t held = 0;
	int m, rc;

	assert(o && in && by);
	assert(in->app_id && (in->data || in->len == 0));
	rc = doc_check(in, &t, e);
	if (rc)
		return rc;
	memset(&l, 0, sizeof(l));
	snprintf(l.app_id, sizeof(l.app_id), "%s", in->app_id);
	sha256_hex(in->data, in->len, l.sha256);
	snprintf(l.kind, sizeof(l.kind), "%s", in->kind);
	snprintf(l.name, sizeof(l.name), "%s", in->name);
	snprintf(l.by, sizeof(l.by), "%s", by);
	snprintf(l.type, sizeof(l.type), "%s", doctype_name(t));
	l.payment = in->payment;
	l.at = now;
	l.size = (int64_t)in->len;
	rc = office_begin_on(o, in->app_id, &a, &p, &m, e);
	if (rc)
		return rc;
	rc = store_doc_link_count(o->store, a.id, &held, e);
	if (!rc && held >= OFFICE_DOCS_PER_APP)
		rc = qerr_set(e, Q_ERR_CONFLICT, "file",
			      "application '%s' holds %d documents: no more "
			      "are filed",
			      a.id, OFFICE_DOCS_PER_APP);
	if (!rc)
		rc = store_doc_put(o->store, l.sha256, l.type, in->data,
				   in->len, now, e);
	if (!rc)
		rc = store_doc_link_add(o->store, &l, e);
	if (!rc)
		rc = office_audit(o, "attach", a.id, p->hash, by, now,
				  json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:I}",
					    "sha256", l.sha256, "size",
					    (json_int_t)l.size, "type", l.type,
					    "kind", l.kind, "name", l.name,
					    "payment", (json_int_t)l.payment,
					    "seq", (json_int_t)l.seq),
				  e);
	rc = office_finish(o, rc, &a, e);
	if (!rc && out)
		*out = l;
	return rc;
}

int office_document(struct office *o, const char *sha256, const char *uscc,
		    char *type, uint8_t **data, size_t *len, struct qerr *e)
{
	bool ok = false;
	int rc;

	assert(o && sha256 && uscc);
	assert(type && data && len);
	*data = NULL;
	*len = 0;
	if (strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return qerr_set(e, Q_ERR_INVALID, "sha256",
				"sha256: 64 lowercase hex digits");
	rc = store_doc_readable(o->store, sha256, uscc, &ok, e);
	if (!rc && !ok)
		return qerr_set(e, Q_ERR_NOT_FOUND, "sha256",
				"no document '%s'", sha256);
	if (!rc)
		rc = store_doc_get(o->store, sha256, type, data, len, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_NOT_FOUND, "sha256",
				"no document '%s'", sha256);
	return rc;
}

int office_evidence_hold(struct office *o, const struct policy *p, int m,
			 const struct store_app *a, int64_t payment,
			 struct qerr *e)
{
	unsigned need;
	char missing[128] = "";
	size_t used = 0;

	assert(o && p && a);
	assert(m >= 0 && (size_t)m < p->nmeasures && payment >= 0);
	need = payment ? p->measures[m].evidence_pay
		       : p->measures[m].evidence_approve;
	for (int k = 0; k < POLICY_DOC_KINDS; k++) {
		int64_t n = 0;
		int rc;

		if (!(need & (1u << k)))
			continue;
		rc = store_doc_kind_count(o->store, a->id,
					  policy_doc_kind_name(k), payment, &n,
					  e);
		if (rc)
			return rc;
		if (n == 0)
			used += (size_t)snprintf(
				missing + used, sizeof(missing) - used, "%s%s",
				used ? ", " : "", policy_doc_kind_name(k));
		assert(used < sizeof(missing));
	}
	if (!used)
		return Q_OK;
	if (payment)
		return qerr_set(
			e, Q_ERR_CONFLICT, "evidence",
			"measure '%s' requires documents before payment %lld of '%s': missing %s (quan attach --payment %lld)",
			p->measures[m].id, (long long)payment, a->id, missing,
			(long long)payment);
	return qerr_set(
		e, Q_ERR_CONFLICT, "evidence",
		"measure '%s' requires documents before approval of '%s': missing %s (quan attach)",
		p->measures[m].id, a->id, missing);
}

static int count_disburse(void *arg, const struct store_event *ev)
{
	if (!strcmp(ev->action, "disburse"))
		++*(int64_t *)arg;
	return 0;
}

int office_next_tranche(struct office *o, const char *id, int64_t *n,
			struct qerr *e)
{
	int rc;

	assert(o && id && n);
	*n = 0;
	rc = store_event_each_subject(o->store, id, count_disburse, n, e);
	*n += 1;
	return rc;
}
