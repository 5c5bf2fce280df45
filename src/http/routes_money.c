/*
 * routes_money.c - the money handlers (server_int.h): disburse, clawback,
 * milestones, settlement, payment batches, bank statements, exports.
 */
#include "http/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/export.h"
#include "office/finance.h"

/* Disburse (clawback false) or claw back. */
static void money_verb(struct server *s, struct office *o, struct req *r,
		       bool clawback)
{
	static const char *const pay[] = {"amount", NULL};
	static const char *const back[] = {"amount", "why", NULL};
	json_t *j = srv_body_object(r, clawback ? back : pay, false);
	const char *why = NULL;
	money_t amount;

	if (!j)
		return;
	if (srv_field_money(r, j, "amount", true, &amount) &&
	    (!clawback || srv_field_str(r, j, "why", true, &why)))
		srv_move(s, o, r,
			 &(struct office_move){
				 .verb = clawback ? OFFICE_MOVE_CLAWBACK
						  : OFFICE_MOVE_DISBURSE,
				 .amount = amount,
				 .why = why});
	json_decref(j);
}

void srv_h_disburse(struct server *s, struct office *o, struct req *r)
{
	money_verb(s, o, r, false);
}

void srv_h_clawback(struct server *s, struct office *o, struct req *r)
{
	money_verb(s, o, r, true);
}

void srv_h_settle(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"value", "invoices", NULL};
	const char *invoices[OFFICE_INVOICES_MAX];
	json_t *j = srv_body_object(r, keys, false);
	size_t n = 0;
	money_t value;

	if (!j)
		return;
	if (srv_field_money(r, j, "value", true, &value) &&
	    srv_field_strings(r, j, "invoices", invoices, OFFICE_INVOICES_MAX,
			      &n))
		srv_move(s, o, r,
			 &(struct office_move){.verb = OFFICE_MOVE_SETTLE,
					       .value = value,
					       .invoices = invoices,
					       .ninvoices = n});
	json_decref(j);
}

void srv_h_milestone(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"year", "what", NULL};
	json_t *j = srv_body_object(r, keys, false);
	const char *what;
	json_int_t year;

	if (!j)
		return;
	if (srv_field_int(r, j, "year", 1900, 9999, &year) &&
	    srv_field_str(r, j, "what", true, &what))
		srv_move(s, o, r,
			 &(struct office_move){.verb = OFFICE_MOVE_MILESTONE,
					       .year = (int)year,
					       .why = what});
	json_decref(j);
}

/* A batch id as the office writes it ("PB-2025-0001"): anything else is a
 * malformed id (400), where a well-formed one that is not there is 404. */
static bool batch_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n != 12 || strncmp(id, "PB-", 3) || id[7] != '-')
		return false;
	for (size_t i = 3; i < n; i++)
		if (i != 7 && (id[i] < '0' || id[i] > '9'))
			return false;
	return true;
}

static bool check_batch_id(struct req *r)
{
	struct qerr e;

	if (batch_id_valid(r->id))
		return true;
	qerr_set(&e, Q_ERR_INVALID, "id",
		 "id: '%.64s' is not a batch id (PB-YEAR-NNNN)", r->id);
	srv_fail_with(r, &e);
	return false;
}

/* An optional object of strings ({"ID": "ACCOUNT"}) into "KEY=VALUE"
 * texts: *out malloc'd (the caller frees it and each), *n of them. */
static bool field_pairs(struct req *r, json_t *j, const char *name, char ***out,
			size_t *n)
{
	json_t *v = json_object_get(j, name), *x;
	const char *k;
	struct qerr e;

	*out = NULL;
	*n = 0;
	if (!v)
		return true;
	if (!json_is_object(v) || json_object_size(v) > FINANCE_BATCH_MAX) {
		qerr_set(&e, Q_ERR_WRONG_TYPE, name,
			 "%s: an object of at most %d strings is expected",
			 name, FINANCE_BATCH_MAX);
		srv_fail_with(r, &e);
		return false;
	}
	*out = calloc(json_object_size(v) + 1, sizeof(**out));
	if (!*out) {
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
		return false;
	}
	json_object_foreach(v, k, x)
	{
		char *t = NULL;

		if (!json_is_string(x) ||
		    asprintf(&t, "%s=%s", k, json_string_value(x)) < 0) {
			qerr_set(&e, Q_ERR_WRONG_TYPE, name,
				 "%s: each value is a string", name);
			srv_fail_with(r, &e);
			return false;
		}
		(*out)[(*n)++] = t;
	}
	return true;
}

static void pairs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void srv_h_batches(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (finance_batches_json(o, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

void srv_h_batch_show(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	if (!check_batch_id(r))
		return;
	qerr_clear(&e);
	if (finance_batch_json(o, r->id, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

void srv_h_batch_new(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"program", "measure", "ids",
					   "accounts", NULL};
	const char **ids = calloc(FINANCE_BATCH_MAX, sizeof(*ids));
	json_t *j = ids ? srv_body_object(r, keys, false) : NULL;
	struct finance_batch_req q = {0};
	char **acc = NULL;
	struct qerr e;
	json_t *answer = NULL;

	if (!ids)
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
	if (!j) {
		free(ids);
		return;
	}
	qerr_clear(&e);
	q.ids = ids;
	q.key = r->key;
	if (srv_field_str(r, j, "program", false, &q.program) &&
	    srv_field_str(r, j, "measure", false, &q.measure) &&
	    srv_field_strings(r, j, "ids", ids, FINANCE_BATCH_MAX, &q.nids) &&
	    field_pairs(r, j, "accounts", &acc, &q.naccounts)) {
		q.accounts = (const char *const *)acc;
		if (finance_batch_new(o, &q, r->user.name, srv_now_of(s),
				      &answer, &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_CREATED, answer);
	}
	pairs_free(acc, q.naccounts);
	free(ids);
	json_decref(j);
}

void srv_h_batch_pay(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"bank_refs", NULL};
	json_t *j = srv_body_object(r, keys, true), *answer = NULL;
	char **refs = NULL;
	size_t n = 0;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (check_batch_id(r) && field_pairs(r, j, "bank_refs", &refs, &n)) {
		if (finance_batch_pay(o, r->id, (const char *const *)refs, n,
				      r->key, r->user.name, srv_now_of(s),
				      &answer, &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_OK, answer);
	}
	pairs_free(refs, n);
	json_decref(j);
}

void srv_h_reconcile(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"statement", NULL};
	json_t *j = srv_body_object(r, keys, false), *answer = NULL;
	const char *csv;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (srv_field_str(r, j, "statement", true, &csv)) {
		if (finance_reconcile(o, csv, strlen(csv), r->user.name,
				      srv_now_of(s), &answer, &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_OK, answer);
	}
	json_decref(j);
}

/* Answered by srv_answer_export (a file, not JSON); here only as the route's
 * mark. */
void srv_h_export(struct server *s, struct office *o, struct req *r)
{
	srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
		      "exports are answered as files");
}

/* GET /v1/exports/{awards|payments}?format=csv|xlsx[&batch=B]: the export
 * as a file to download. */
enum MHD_Result srv_answer_export(struct server *s, struct MHD_Connection *c,
				  struct req *r)
{
	const char *fmt = srv_qarg(r, "format");
	const char *batch = srv_qarg(r, "batch");
	enum export_what what;
	enum export_format f;
	struct MHD_Response *resp;
	struct office *o;
	struct qerr e;
	char *buf = NULL, disp[192];
	size_t len = 0;
	enum MHD_Result ret;
	int rc;

	qerr_clear(&e);
	if (export_what_parse(r->id, &what, &e) ||
	    export_format_parse(fmt ? fmt : "", &f, &e)) {
		srv_fail_with(r, &e);
		return srv_send_req(c, r);
	}
	o = srv_borrow(s);
	rc = export_buffer(o, what, f, batch, &buf, &len, &e);
	srv_give_back(s, o);
	if (rc) {
		srv_fail_with(r, &e);
		return srv_send_req(c, r);
	}
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.%s\"", r->id,
		 f == EXPORT_CSV ? "csv" : "xlsx");
	MHD_add_response_header(resp, "Content-Type",
				f == EXPORT_CSV
					? "text/csv; charset=utf-8"
					: "application/"
					  "vnd.openxmlformats-officedocument."
					  "spreadsheetml.sheet");
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
					"close");
	r->sent_status = MHD_HTTP_OK;
	r->sent_bytes = len;
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
