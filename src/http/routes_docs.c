/*
 * routes_docs.c - the evidence's handlers (server_int.h): documents
 * attached to an application, listed and fetched.
 */
#include "http/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/doctype.h"

/* POST /v1/applications/{id}/documents?kind=K&name=N[&payment=P]: the body
 * is the file's bytes (the server's body cap applies). An applicant files
 * only under its own firm's applications. */
void srv_h_doc_attach(struct server *s, struct office *o, struct req *r)
{
	const char *kind = srv_qarg(r, "kind");
	const char *name = srv_qarg(r, "name");
	const char *pay = srv_qarg(r, "payment");
	struct store_doc_link l;
	struct qerr e;
	int64_t payment = 0;

	qerr_clear(&e);
	if (pay) {
		char *end;

		payment = strtoll(pay, &end, 10);
		if (!*pay || *end || payment < 1 || payment > 1000) {
			qerr_set(&e, Q_ERR_INVALID, "payment",
				 "payment: a tranche 1 to 1000");
			srv_fail_with(r, &e);
			return;
		}
	}
	if (!srv_check_subject(o, r))
		return;
	if (office_attach(o,
			  &(struct office_doc_in){
				  r->id, (const uint8_t *)r->body, r->len,
				  kind ? kind : "", name ? name : "", payment,
				  s->c.body_max < OFFICE_DOC_CAP_DEFAULT
					  ? s->c.body_max
					  : OFFICE_DOC_CAP_DEFAULT},
			  r->user.name, r->received_at, &l, &e)) {
		srv_fail_with(r, &e);
		/* Not one of the four types: 415, as HTTP names it. */
		if (e.code == Q_ERR_INVALID && !strcmp(e.field, "file") &&
		    r->len > 0)
			r->status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		return;
	}
	srv_ok(r, MHD_HTTP_CREATED,
	       json_pack("{s:s,s:I,s:s,s:s,s:I,s:s,s:I,s:s}", "id", l.app_id,
			 "seq", (json_int_t)l.seq, "kind", l.kind, "name",
			 l.name, "payment", (json_int_t)l.payment, "type",
			 l.type, "size", (json_int_t)l.size, "sha256",
			 l.sha256));
}

static int doc_json(void *arg, const struct store_doc_link *l)
{
	json_t *arr = arg;
	char at[32];
	struct tm tm;
	time_t t = (time_t)l->at;

	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_array_append_new(
		arr, json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:s}", "seq",
			       (json_int_t)l->seq, "kind", l->kind, "name",
			       l->name, "payment", (json_int_t)l->payment,
			       "type", l->type, "size", (json_int_t)l->size,
			       "sha256", l->sha256, "by", l->by, "at", at));
}

/* GET /v1/applications/{id}/documents: what the application holds. */
void srv_h_doc_list(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *arr;

	qerr_clear(&e);
	if (!srv_check_subject(o, r))
		return;
	arr = json_array();
	if (!arr) {
		srv_ok(r, MHD_HTTP_OK, NULL);
		return;
	}
	if (store_doc_links_each(o->store, r->id, doc_json, arr, &e)) {
		json_decref(arr);
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK,
	       json_pack("{s:s,s:o}", "id", r->id, "documents", arr));
}

/* GET /v1/documents/{sha256}: the file's bytes, for staff, or for an
 * applicant whose firm's application holds it (404 otherwise: the same
 * answer as for no such file). Sent as an attachment under its hash, so
 * that a browser never renders it in the dashboard's origin. */
void srv_h_doc_get(struct server *s, struct office *o, struct req *r)
{
	char type[8];
	uint8_t *data;
	size_t len;
	struct qerr e;

	qerr_clear(&e);
	if (office_document(o, r->id,
			    r->role == R_APPLICANT ? r->user.uscc : "", type,
			    &data, &len, &e)) {
		srv_fail_with(r, &e);
		return;
	}
	srv_ok_raw(r, (char *)data, len, doctype_mime(doctype_parse(type)));
	snprintf(r->disposition, sizeof(r->disposition),
		 "attachment; filename=\"%.64s.%s\"", r->id, type);
}
