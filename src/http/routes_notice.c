/*
 * routes_notice.c - the public notice's handlers (server_int.h): notices
 * opened, shown, closed and exported, objections and their decisions,
 * letters.
 */
#include "http/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "core/file.h"
#include "office/view.h"

void srv_h_notice_open(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"program", "ids", "measure", NULL};
	const char *ids[OFFICE_NOTICE_MAX], *measure = NULL;
	json_t *j = srv_body_object(r, keys, false);
	struct office_notice n;
	const char *program;
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
	size_t count = 0;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (!s->c.holidays) {
		srv_fail_http(r, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
			      "the server has no holiday calendar to count a "
			      "notice's working days");
		goto out;
	}
	if (!srv_field_str(r, j, "program", true, &program) ||
	    !srv_field_str(r, j, "measure", false, &measure))
		goto out;
	if (json_object_get(j, "ids") && measure) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "ids: a notice takes ids or a measure, not both");
		goto out;
	}
	/* Without ids: every award of the program (or measure) waiting. */
	if (json_object_get(j, "ids") &&
	    !srv_field_strings(r, j, "ids", ids, OFFICE_NOTICE_MAX, &count))
		goto out;
	if (json_object_get(j, "ids")
		    ? office_notice_open(o, s->c.holidays, program, ids, count,
					 r->user.name, srv_now_of(s), &n, &e)
		    : office_notice_open_program(o, s->c.holidays, program,
						 measure, r->user.name,
						 srv_now_of(s), &n, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_CREATED,
		       json_pack("{s:s,s:s,s:s,s:s,s:i,s:I}", "id", n.id,
				 "program", n.program, "opened_on",
				 date_format(n.opened_on, d1), "ends_on",
				 date_format(n.ends_on, d2), "working_days",
				 n.working_days, "count", (json_int_t)n.n));
out:
	json_decref(j);
}

/* Whether r's {id} has the shape of a notice's id ("<program>-notice-<n>"),
 * answering 400 when not: an application's number is a bad request here,
 * not a notice that happens to be missing. */
static bool notice_id(struct req *r)
{
	if (strstr(r->id, "-notice-"))
		return true;
	srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
		      "id: not a notice's id (<program>-notice-<n>)");
	return false;
}

void srv_h_notices(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (office_notices_json(o, NULL, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

void srv_h_notice_show(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (!notice_id(r))
		return;
	if (office_notices_json(o, r->id, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

void srv_h_notice_close(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {NULL};
	struct office_notice n;
	char d2[DATE_TEXT_MAX];
	json_t *j = srv_body_object(r, keys, true);
	struct qerr e;

	if (!j)
		return;
	json_decref(j);
	qerr_clear(&e);
	if (!notice_id(r))
		return;
	if (office_notice_close(o, r->id, r->user.name, srv_now_of(s), &n, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK,
		       json_pack("{s:s,s:b,s:s,s:I}", "id", n.id, "closed", 1,
				 "ends_on", date_format(n.ends_on, d2),
				 "payable", (json_int_t)n.n));
}

/* The export in a temporary file (libxlsxwriter writes to a path), read
 * back whole and removed. */
void srv_h_notice_export(struct server *s, struct office *o, struct req *r)
{
	const char *format = srv_qarg(r, "format");
	char path[] = "/tmp/quan-notice-XXXXXX";
	char *text = NULL;
	size_t len = 0;
	struct qerr e;
	int fd;

	qerr_clear(&e);
	if (!notice_id(r))
		return;
	if (!format || !*format)
		format = "csv";
	if (strcmp(format, "csv") && strcmp(format, "xlsx") &&
	    strcmp(format, "html")) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "format: csv, xlsx or html");
		return;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			      "cannot make a temporary file for the export");
		return;
	}
	close(fd);
	if (office_notice_export(o, r->id, format, path, &e) ||
	    file_read(path, (size_t)64 << 20, "export", &text, &len, &e))
		srv_fail_with(r, &e);
	else
		srv_ok_raw(
			r, text, len,
			!strcmp(format, "xlsx")
				? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
			: !strcmp(format, "html") ? "text/html; charset=utf-8"
						  : "text/csv; charset=utf-8");
	unlink(path);
}

void srv_h_letter(struct server *s, struct office *o, struct req *r)
{
	char *text = NULL;
	size_t len = 0;
	struct qerr e;
	json_t *app = NULL;
	FILE *f;
	int rc;
	const char *kind = srv_qarg(r, "kind");

	qerr_clear(&e);
	if (!kind)
		kind = "";
	if (strcmp(kind, "decision") && strcmp(kind, "rejection") &&
	    strcmp(kind, "award") && strcmp(kind, "clawback")) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "kind: decision, rejection, award or clawback");
		return;
	}
	if (r->role == R_APPLICANT) {
		rc = view_app(o, r->id, &app, &e);
		if (rc == Q_NONE ||
		    (!rc && !srv_visible(r, json_string_value(json_object_get(
						    app, "uscc"))))) {
			json_decref(app);
			srv_not_found(r);
			return;
		}
		json_decref(app);
		if (rc) {
			srv_fail_with(r, &e);
			return;
		}
	}
	f = open_memstream(&text, &len);
	if (!f) {
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
		return;
	}
	rc = office_letter(o, r->id, kind, f, &e);
	if (fclose(f) && !rc)
		rc = qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
	if (rc) {
		free(text);
		srv_fail_with(r, &e);
		return;
	}
	srv_ok_raw(r, text, len, "text/html; charset=utf-8");
}

void srv_h_object(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"why", NULL};
	json_t *j = srv_body_object(r, keys, false);
	const char *why;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (srv_field_str(r, j, "why", true, &why)) {
		if (office_object(o, r->id, why, r->user.name, srv_now_of(s),
				  &e))
			srv_fail_with(r, &e);
		else
			srv_ok(r, MHD_HTTP_CREATED,
			       json_pack("{s:s,s:s}", "id", r->id, "objection",
					 "open"));
	}
	json_decref(j);
}

void srv_h_objection_decide(struct server *s, struct office *o, struct req *r)
{
	static const char *const keys[] = {"outcome", "why", NULL};
	json_t *j = srv_body_object(r, keys, false);
	const char *outcome, *why = NULL;
	struct qerr e;

	if (!j)
		return;
	qerr_clear(&e);
	if (!srv_field_str(r, j, "outcome", true, &outcome) ||
	    !srv_field_str(r, j, "why", false, &why))
		goto out;
	if (strcmp(outcome, "upheld") && strcmp(outcome, "dismissed")) {
		qerr_set(&e, Q_ERR_INVALID, "outcome",
			 "outcome: upheld or dismissed");
		srv_fail_with(r, &e);
		goto out;
	}
	srv_move(s, o, r,
		 &(struct office_move){.verb = strcmp(outcome, "upheld")
						       ? OFFICE_MOVE_DISMISS
						       : OFFICE_MOVE_UPHOLD,
				       .why = why});
out:
	json_decref(j);
}
