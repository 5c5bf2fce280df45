/*
 * routes_audit.c - the auditor's handlers (server_int.h): the ledger
 * check, the audit log's verification, its events and replay.
 */
#include "http/server_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"

void srv_h_ledger_check(struct server *s, struct office *o, struct req *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct qerr e;
	json_t *problems;
	long n;

	if (!f) {
		srv_fail_http(r, 500, "out_of_memory", "out of memory");
		return;
	}
	qerr_clear(&e);
	n = office_ledger_check(o, f, &e);
	fclose(f);
	if (n < 0) {
		free(text);
		srv_fail_with(r, &e);
		return;
	}
	problems = json_array();
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (*line)
			json_array_append_new(problems, json_string(line));
	}
	free(text);
	srv_ok(r, MHD_HTTP_OK,
	       json_pack("{s:b,s:o}", "ok", n == 0, "problems", problems));
}

void srv_h_audit_verify(struct server *s, struct office *o, struct req *r)
{
	int64_t count = 0, bad = 0;
	char why[256] = "";
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = office_audit_verify(o, &count, &bad, why, sizeof(why), &e);
	if (rc < 0) {
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK,
	       rc == 0 ? json_pack("{s:b,s:I}", "ok", 1, "events",
				   (json_int_t)count)
		       : json_pack("{s:b,s:I,s:I,s:s}", "ok", 0, "events",
				   (json_int_t)count, "bad_seq",
				   (json_int_t)bad, "why", why));
}

/* A ?from= or ?to= bound: a day of the office's calendar (from its first
 * second; with end, from the first second of the next day, so that to= is
 * inclusive) or an instant with its offset. false with r answered. */
static bool time_bound(struct req *r, const char *name, bool end, int64_t *out)
{
	const char *v = srv_qarg(r, name);
	struct qerr e;
	qdate d;

	assert(name && out);
	if (!v || !*v)
		return true;
	qerr_clear(&e);
	if (strlen(v) == DATE_TEXT_MAX - 1) {
		if (date_parse(v, strlen(v), &d, name, &e)) {
			srv_fail_with(r, &e);
			return false;
		}
		*out = ((int64_t)d + (end ? 1 : 0)) * 86400 -
		       DATE_OFFICE_OFFSET;
		return true;
	}
	if (datetime_parse(v, strlen(v), out, NULL, name, &e)) {
		srv_fail_with(r, &e);
		return false;
	}
	return true;
}

/* A whole-number query parameter in [lo, hi]; false with r answered. */
static bool whole_param(struct req *r, const char *name, long long lo,
			long long hi, long long *out)
{
	const char *v = srv_qarg(r, name);
	char msg[96], *end;
	long long n;

	assert(name && out && lo <= hi);
	if (!v || !*v)
		return true;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end || errno || n < lo || n > hi) {
		snprintf(msg, sizeof(msg),
			 "%s: a whole number from %lld to %lld", name, lo, hi);
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid", msg);
		return false;
	}
	*out = n;
	return true;
}

/* GET /v1/audit/events: a page of the chain in seq order, filtered; pass
 * next_after as ?after= for the next page. */
void srv_h_audit_events(struct server *s, struct office *o, struct req *r)
{
	struct store_event_filter f = {0,	  NULL,	     NULL, NULL,
				       INT64_MIN, INT64_MAX, 100};
	long long after = 0, limit = 100;
	json_t *j;
	struct qerr e;

	(void)s;
	f.action = srv_qarg(r, "kind");
	f.subject = srv_qarg(r, "app");
	f.who = srv_qarg(r, "by");
	if (!whole_param(r, "after", 0, INT64_MAX, &after) ||
	    !whole_param(r, "limit", 1, STORE_EVENTS_MAX, &limit) ||
	    !time_bound(r, "from", false, &f.from) ||
	    !time_bound(r, "to", true, &f.to))
		return;
	f.after = after;
	f.limit = (int)limit;
	qerr_clear(&e);
	if (office_events(o, &f, &j, &e)) {
		if (!e.code)
			qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK, j);
}

/* GET /v1/audit/replay: every application re-decided, on the checker;
 * at most ?limit= differences listed (100 unless asked). */
void srv_h_audit_replay(struct server *s, struct office *o, struct req *r)
{
	long long limit = 100;
	json_t *j;
	struct qerr e;

	(void)s;
	if (!whole_param(r, "limit", 1, 1000, &limit))
		return;
	qerr_clear(&e);
	if (office_replay_json(o, (long)limit, &j, &e)) {
		if (!e.code)
			qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK, j);
}
