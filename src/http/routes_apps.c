/*
 * routes_apps.c - the handlers of applications (server_int.h): intake,
 * the list and its search, one application.
 */
#include "http/server_int.h"

#include <stdlib.h>
#include <string.h>

#include "office/search.h"
#include "office/view.h"

struct listing {
	struct office *o;
	json_t *arr;
	int64_t now, last_seq;
};

static int list_one(void *arg, const struct store_app *a)
{
	struct listing *l = arg;

	json_array_append_new(l->arr, view_app_summary(l->o, a, l->now));
	l->last_seq = a->seq;
	return 0;
}

struct found {
	struct office *o;
	const struct search *sr;
	json_t *arr;
	int64_t now;
	char next[SEARCH_CURSOR_MAX];
};

static int found_one(void *arg, const struct store_app *a)
{
	struct found *f = arg;

	json_array_append_new(f->arr, view_app_summary(f->o, a, f->now));
	search_cursor(f->sr, a, f->next);
	return 0;
}

/* GET /v1/applications with any of the queue's search parameters
 * (search.h): oldest received first unless sort says otherwise;
 * next_after, when the page is full, asks for the next. sr holds the
 * listing's own filters (program, state, limit, the applicant's USCC). */
static void srv_h_search(struct server *s, struct office *o, struct req *r,
			 struct search *sr)
{
	struct found f = {o, sr, json_array(), srv_now_of(s), ""};
	const char *v;
	struct qerr e;
	int rc = Q_OK;

	qerr_clear(&e);
	if (srv_qarg(r, "before"))
		rc = qerr_set(&e, Q_ERR_INVALID, "before",
			      "before: the newest-first listing's cursor; a "
			      "search pages with after");
	for (size_t i = 0; !rc && search_params[i]; i++)
		if ((v = srv_qarg(r, search_params[i])))
			rc = search_set(sr, search_params[i], v, &e);
	if (!rc)
		rc = search_finish(sr, &e);
	if (!rc && f.arr)
		rc = store_app_search(o->store, &sr->q, found_one, &f, &e);
	if (rc || !f.arr) {
		json_decref(f.arr);
		if (!e.code)
			qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK,
	       (long)json_array_size(f.arr) == sr->q.limit
		       ? json_pack("{s:o,s:s}", "applications", f.arr,
				   "next_after", f.next)
		       : json_pack("{s:o}", "applications", f.arr));
}

void srv_h_list(struct server *s, struct office *o, struct req *r)
{
	struct store_app_filter f = {NULL, -1, NULL, 0, 100};
	struct listing l = {o, json_array(), srv_now_of(s), 0};
	const char *st = srv_qarg(r, "state");
	const char *lim = srv_qarg(r, "limit");
	const char *before = srv_qarg(r, "before");
	struct qerr e;

	f.program = srv_qarg(r, "program");
	if (st && *st) {
		for (int i = 0; i < APP__STATE_COUNT; i++)
			if (!strcmp(st, app_state_name(i)))
				f.state = i;
		if (f.state < 0) {
			json_decref(l.arr);
			srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
				      "state: not a state of an application");
			return;
		}
	}
	if (lim) {
		char *end;
		long v = strtol(lim, &end, 10);

		if (*end || v < 1 || v > 1000) {
			json_decref(l.arr);
			srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
				      "limit: a whole number from 1 to 1000");
			return;
		}
		f.limit = v;
	}
	if (before) {
		char *end;
		long long v = strtoll(before, &end, 10);

		if (*end || v < 1) {
			json_decref(l.arr);
			srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
				      "before: a positive whole number");
			return;
		}
		f.before_seq = v;
	}
	if (r->role == R_APPLICANT)
		f.uscc = r->user.uscc;
	/* Any of the queue's search parameters: the search instead. */
	for (size_t i = 0; search_params[i]; i++) {
		struct search sr;

		if (!srv_qarg(r, search_params[i]))
			continue;
		search_init(&sr);
		sr.q.program = f.program;
		sr.q.state = f.state;
		sr.q.uscc = f.uscc;
		sr.q.limit = f.limit;
		json_decref(l.arr);
		srv_h_search(s, o, r, &sr);
		return;
	}
	qerr_clear(&e);
	if (!l.arr || store_app_list(o->store, &f, list_one, &l, &e)) {
		json_decref(l.arr);
		if (!e.code)
			qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		srv_fail_with(r, &e);
		return;
	}
	/* next_before: pass as ?before= for the next (older) page. */
	srv_ok(r, MHD_HTTP_OK,
	       l.last_seq ? json_pack("{s:o,s:I}", "applications", l.arr,
				      "next_before", (json_int_t)l.last_seq)
			  : json_pack("{s:o}", "applications", l.arr));
}

void srv_h_show(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;
	int rc;

	qerr_clear(&e);
	rc = view_app(o, r->id, &j, &e);
	if (rc == Q_NONE) {
		srv_not_found(r);
		return;
	}
	if (rc) {
		srv_fail_with(r, &e);
		return;
	}
	if (!srv_visible(r, json_string_value(json_object_get(j, "uscc")))) {
		json_decref(j);
		srv_not_found(r);
		return;
	}
	srv_ok(r, MHD_HTTP_OK, j);
}

/* Applications are committed in batches by the writer (writer_apply); this
 * marks the route. */
void srv_h_apply(struct server *s, struct office *o, struct req *r)
{
}
