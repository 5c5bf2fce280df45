/*
 * routes_review.c - the reviewer's handlers (server_int.h): the queue,
 * approve (one or many), reject, withdraw, rounds and expiry.
 */
#include "http/server_int.h"

#include <string.h>

#include "office/bulk.h"
#include "office/view.h"

/* The review queue of ?program=, priority holders first. */
void srv_h_queue(struct server *s, struct office *o, struct req *r)
{
	const char *program = srv_qarg(r, "program");
	struct qerr e;
	json_t *j;

	if (!program || !*program) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "program: the program whose queue to show");
		return;
	}
	qerr_clear(&e);
	if (view_queue(o, program, srv_now_of(s), &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK,
		       json_pack("{s:s,s:o}", "program", program, "queue", j));
}

void srv_h_approve(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"rate", "approved_value", NULL};
	json_t *j = srv_body_object(r, keys, true);
	const char *rate_t;
	rate_bp rate = -1;
	money_t value;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (!srv_field_str(r, j, "rate", false, &rate_t) ||
	    !srv_field_money(r, j, "approved_value", false, &value))
		goto out;
	if (rate_t &&
	    rate_parse_given(rate_t, strlen(rate_t), &rate, "rate", &e)) {
		srv_fail_with(r, &e);
		goto out;
	}
	srv_move(s, o, r,
		 &(struct office_move){.verb = OFFICE_MOVE_APPROVE,
				       .rate = rate,
				       .value = value});
out:
	json_decref(j);
}

void srv_h_reject(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"why", NULL};
	json_t *j = srv_body_object(r, keys, false);
	struct office_result res;
	const char *why;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (srv_field_str(r, j, "why", true, &why)) {
		if (office_reject(o, r->id, why, r->user.name, srv_now_of(s),
				  &res, &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_OK, srv_result_j(&res));
	}
	json_decref(j);
}

void srv_h_withdraw(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {NULL};
	json_t *j = srv_body_object(r, keys, true);
	struct office_result res;
	struct qerr e;

	if (!j)
		return;
	json_decref(j);
	if (!srv_check_subject(o, r))
		return;
	qerr_clear(&e);
	if (office_withdraw(o, r->id, r->user.name, srv_now_of(s), &res, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, srv_result_j(&res));
}

/* POST /v1/applications/approve: {"ids": [...], "rate"?}, each approved
 * under the one-approval rules and the request's Idempotency-Key
 * (office/bulk.h); 200 with each id's outcome, whatever they are. */
void srv_h_approve_bulk(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"ids", "rate", NULL};
	const char *ids[OFFICE_BULK_MAX];
	json_t *j = srv_body_object(r, keys, false), *answer = NULL;
	const char *rate_t;
	rate_bp rate = -1;
	size_t n = 0;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (!srv_field_strings(r, j, "ids", ids, OFFICE_BULK_MAX, &n) ||
	    !srv_field_str(r, j, "rate", false, &rate_t))
		goto out;
	if ((rate_t &&
	     rate_parse_given(rate_t, strlen(rate_t), &rate, "rate", &e)) ||
	    office_approve_bulk(o, ids, n, rate, r->key, r->user.name,
				srv_now_of(s), &answer, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, answer);
out:
	json_decref(j);
}

void srv_h_round_close(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"program", "measure", "year", NULL};
	json_t *j = srv_body_object(r, keys, false);
	const char *program, *measure;
	struct office_round rd;
	json_int_t year;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (srv_field_str(r, j, "program", true, &program) &&
	    srv_field_str(r, j, "measure", true, &measure) &&
	    srv_field_int(r, j, "year", 1900, 9999, &year)) {
		if (office_round_close(o, program, measure, (int)year,
				       r->user.name, srv_now_of(s), &rd, &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_OK,
			       json_pack("{s:I,s:o,s:o,s:o,s:b}", "count",
					 (json_int_t)rd.count, "demand",
					 srv_money_j(rd.demand), "available",
					 srv_money_j(rd.available), "awarded",
					 srv_money_j(rd.awarded), "scaled",
					 rd.scaled));
	}
	json_decref(j);
}

void srv_h_expire(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {NULL};
	json_t *j = srv_body_object(r, keys, true);
	struct qerr e;
	long n = 0;

	if (!j)
		return;
	json_decref(j);
	qerr_clear(&e);
	if (office_expire(o, r->user.name, srv_now_of(s), &n, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK,
		       json_pack("{s:I}", "expired", (json_int_t)n));
}
