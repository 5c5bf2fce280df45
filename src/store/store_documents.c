/*
 * store_documents.c - evidence: files kept once by their SHA-256 (as
 * base64 text, which both back ends store alike) and filed under
 * applications, once for both back ends (store.h).
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/store_int.h"

int store_doc_put(struct store *s, const char *sha256, const char *type,
		  const uint8_t *data, size_t len, int64_t now, struct qerr *e)
{
	struct drv_stmt *st;
	char *b64;
	int rc;

	assert(s && sha256 && type && data);
	assert(len > 0 && len <= STORE_DOC_MAX && strlen(sha256) == 64);
	b64 = malloc(4 * ((len + 2) / 3) + 1);
	if (!b64)
		return store_nomem(e);
	EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
	rc = store_stmt(s, ST_DOC_PUT, &st, e);
	if (!rc) {
		bind_text(st, 1, sha256);
		bind_text(st, 2, type);
		bind_int(st, 3, (int64_t)len);
		bind_text(st, 4, b64);
		bind_int(st, 5, now);
		rc = store_run(st, "storing a document", e);
	}
	free(b64);
	return rc;
}

/* Decode base64 text b64 (n bytes) of a file of size bytes into a new
 * buffer; -1 when it is not that. */
static int unbase64(const char *b64, size_t n, int64_t size, uint8_t **out)
{
	uint8_t *buf;
	int got;

	*out = NULL;
	if (size <= 0 || (size_t)size > STORE_DOC_MAX || n % 4 ||
	    n != 4 * (((size_t)size + 2) / 3))
		return -1;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (got < size) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

int store_doc_get(struct store *s, const char *sha256, char *type,
		  uint8_t **data, size_t *len, struct qerr *e)
{
	struct drv_stmt *st;
	const char *b64;
	size_t n = 0;
	int64_t size;
	int rc;

	assert(s && sha256 && type && data && len);
	*data = NULL;
	*len = 0;
	rc = store_stmt(s, ST_DOC_GET, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, sha256);
	rc = step(st, "reading a document", e);
	if (rc == DRV_ROW) {
		col_str(st, 0, type, 8);
		size = col_int(st, 1);
		b64 = st->ops->column_text(st, 2, &n);
		if (!b64 || unbase64(b64, n, size, data))
			rc = qerr_set(e, Q_ERR_IO, "",
				      "reading document '%.64s': its stored "
				      "content is not what was kept",
				      sha256);
		else
			*len = (size_t)size, rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = Q_NONE;
	}
	done(st);
	return rc;
}

/* A count(*) of statement id over app_id (and kind, payment if kind). */
static int count_docs(struct store *s, enum sql_stmt id, const char *app_id,
		      const char *kind, int64_t payment, int64_t *n,
		      struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(app_id && n);
	*n = 0;
	rc = store_stmt(s, id, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, app_id);
	if (kind) {
		bind_text(st, 2, kind);
		bind_int(st, 3, payment);
	}
	rc = step(st, "counting documents", e);
	if (rc == DRV_ROW) {
		*n = col_int(st, 0);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, "counting documents", e);
	}
	done(st);
	return rc;
}

int store_doc_link_count(struct store *s, const char *app_id, int64_t *n,
			 struct qerr *e)
{
	return count_docs(s, ST_DOC_LINK_COUNT, app_id, NULL, 0, n, e);
}

int store_doc_kind_count(struct store *s, const char *app_id, const char *kind,
			 int64_t payment, int64_t *n, struct qerr *e)
{
	assert(kind && payment >= 0);
	return count_docs(s, ST_DOC_KIND_COUNT, app_id, kind, payment, n, e);
}

int store_doc_link_add(struct store *s, struct store_doc_link *l,
		       struct qerr *e)
{
	struct drv_stmt *st;
	int64_t n;
	int rc;

	assert(s && l);
	assert(l->payment >= 0 && strlen(l->sha256) == 64);
	rc = store_doc_link_count(s, l->app_id, &n, e);
	if (rc)
		return rc;
	l->seq = n + 1;
	rc = store_stmt(s, ST_DOC_LINK, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, l->app_id);
	bind_int(st, 2, l->seq);
	BIND_FIELD(st, 3, l->sha256);
	BIND_FIELD(st, 4, l->kind);
	BIND_FIELD(st, 5, l->name);
	bind_int(st, 6, l->payment);
	BIND_FIELD(st, 7, l->by);
	bind_int(st, 8, l->at);
	return store_run(st, "filing a document", e);
}

int store_doc_links_each(struct store *s, const char *app_id,
			 int (*fn)(void *arg, const struct store_doc_link *l),
			 void *arg, struct qerr *e)
{
	struct store_doc_link *page;
	char after_app[64] = "";
	int64_t after_seq = 0;
	int rc = 0, got;

	assert(s && fn);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	for (;;) {
		struct drv_stmt *st;

		got = 0;
		rc = store_stmt(s, app_id ? ST_DOC_LINKS_OF : ST_DOC_LINKS_PAGE,
				&st, e);
		if (rc)
			break;
		bind_text(st, 1, app_id ? app_id : after_app);
		bind_int(st, 2, after_seq);
		while ((rc = step(st, "reading documents", e)) == DRV_ROW &&
		       got < SQL_PAGE) {
			struct store_doc_link *l = &page[got++];

			memset(l, 0, sizeof(*l));
			col_str(st, 0, l->app_id, sizeof(l->app_id));
			l->seq = col_int(st, 1);
			col_str(st, 2, l->sha256, sizeof(l->sha256));
			col_str(st, 3, l->kind, sizeof(l->kind));
			col_str(st, 4, l->name, sizeof(l->name));
			store_utf8_trim(l->name);
			l->payment = col_int(st, 5);
			col_str(st, 6, l->by, sizeof(l->by));
			l->at = col_int(st, 7);
			col_str(st, 8, l->type, sizeof(l->type));
			l->size = col_int(st, 9);
		}
		done(st);
		if (rc != DRV_ROW && rc != DRV_DONE)
			break;
		rc = 0;
		for (int i = 0; i < got; i++)
			if (fn(arg, &page[i]))
				goto out;
		if (got < SQL_PAGE)
			break;
		snprintf(after_app, sizeof(after_app), "%s",
			 page[got - 1].app_id);
		after_seq = page[got - 1].seq;
	}
out:
	free(page);
	return rc;
}

int store_doc_readable(struct store *s, const char *sha256, const char *uscc,
		       bool *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && sha256 && uscc && out);
	*out = false;
	rc = store_stmt(s, ST_DOC_READABLE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, sha256);
	bind_text(st, 2, uscc);
	rc = step(st, "reading who may see a document", e);
	if (rc == DRV_ROW) {
		*out = col_int(st, 0) > 0;
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, "reading who may see a document", e);
	}
	done(st);
	return rc;
}

int store_docs_each(struct store *s,
		    int (*fn)(void *arg, const char *sha256, const char *type,
			      const uint8_t *data, size_t len,
			      int64_t stored_at),
		    void *arg, struct qerr *e)
{
	char after[65] = "";

	assert(s && fn);
	for (;;) {
		struct drv_stmt *st;
		char sha[65], type[8];
		const char *b64;
		uint8_t *data = NULL;
		int64_t size = 0, at = 0;
		size_t n = 0;
		int rc, stop;

		rc = store_stmt(s, ST_DOC_NEXT, &st, e);
		if (rc)
			return rc;
		bind_text(st, 1, after);
		rc = step(st, "reading documents", e);
		if (rc == DRV_ROW) {
			col_str(st, 0, sha, sizeof(sha));
			col_str(st, 1, type, sizeof(type));
			size = col_int(st, 2);
			b64 = st->ops->column_text(st, 3, &n);
			at = col_int(st, 4);
			rc = !b64 || unbase64(b64, n, size, &data)
				     ? qerr_set(e, Q_ERR_IO, "",
						"reading document '%s': its "
						"stored content is not what "
						"was kept",
						sha)
				     : Q_OK;
		}
		done(st);
		if (rc == DRV_DONE)
			return Q_OK;
		if (rc)
			return rc;
		stop = fn(arg, sha, type, data, (size_t)size, at);
		free(data);
		if (stop)
			return Q_OK;
		memcpy(after, sha, sizeof(after));
	}
}
