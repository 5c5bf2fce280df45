/*
 * store_notices.c - public notices (公示), the awards posted in them, and
 * the objections lodged against those awards, once for both back ends.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* A count(*) of statement id bound with text key. */
static int count_of(struct store *s, enum sql_stmt id, const char *key,
		    int64_t *n, const char *op, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(key && n);
	*n = 0;
	rc = store_stmt(s, id, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, key);
	rc = step(st, op, e);
	if (rc == DRV_ROW) {
		*n = col_int(st, 0);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, op, e);
	}
	done(st);
	return rc;
}

/* Read a notice's nine columns, in the order every query selects them. */
static void notice_row(struct drv_stmt *st, struct store_notice *n)
{
	assert(st && n);
	memset(n, 0, sizeof(*n));
	col_str(st, 0, n->id, sizeof(n->id));
	col_str(st, 1, n->program, sizeof(n->program));
	n->opened_on = (qdate)col_int(st, 2);
	n->ends_on = (qdate)col_int(st, 3);
	n->working_days = (int)col_int(st, 4);
	col_str(st, 5, n->opened_by, sizeof(n->opened_by));
	n->opened_at = col_int(st, 6);
	col_str(st, 7, n->closed_by, sizeof(n->closed_by));
	n->closed_at = col_int(st, 8);
}

int store_notice_count(struct store *s, const char *program, int64_t *n,
		       struct qerr *e)
{
	return count_of(s, ST_NOTICE_COUNT, program, n, "counting notices", e);
}

int store_notice_add(struct store *s, const struct store_notice *n,
		     struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && n);
	assert(n->ends_on >= n->opened_on && n->working_days > 0);
	rc = store_stmt(s, ST_NOTICE_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, n->id);
	BIND_FIELD(st, 2, n->program);
	bind_int(st, 3, n->opened_on);
	bind_int(st, 4, n->ends_on);
	bind_int(st, 5, n->working_days);
	BIND_FIELD(st, 6, n->opened_by);
	bind_int(st, 7, n->opened_at);
	BIND_FIELD(st, 8, n->closed_by);
	bind_int(st, 9, n->closed_at);
	rc = store_write(st, "recording a notice", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "id",
			      "notice '%s' is recorded already", n->id);
	return rc;
}

int store_notice_award_add(struct store *s, const char *app_id,
			   const char *notice_id, money_t amount,
			   struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && app_id && notice_id);
	rc = store_stmt(s, ST_NOTICE_AWARD_INSERT, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, app_id);
	bind_text(st, 2, notice_id);
	bind_int(st, 3, amount);
	rc = store_run(st, "posting an award in a notice", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "ids",
			"application '%.64s' has been in a notice already",
			app_id);
	return rc;
}

int store_notice_of(struct store *s, const char *app_id,
		    struct store_notice *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && app_id && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_NOTICE_OF_APP, app_id, "reading a notice",
			       &st, e);
	if (rc == Q_OK) {
		notice_row(st, out);
		done(st);
	}
	return rc;
}

int store_notice_get(struct store *s, const char *id, struct store_notice *out,
		     struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && id && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_NOTICE_GET, id, "reading a notice", &st,
			       e);
	if (rc == Q_OK) {
		notice_row(st, out);
		done(st);
	}
	return rc;
}

int store_notice_close(struct store *s, const char *id, const char *by,
		       int64_t at, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && id && by);
	assert(at > 0);
	rc = store_stmt(s, ST_NOTICE_CLOSE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, id);
	bind_text(st, 2, by);
	bind_int(st, 3, at);
	return store_run(st, "closing a notice", e);
}

int store_notice_awards(struct store *s, const char *id,
			int (*fn)(void *arg, const char *app_id,
				  money_t amount),
			void *arg, struct qerr *e)
{
	struct drv_stmt *st;
	char(*ids)[64];
	money_t *amounts;
	size_t n = 0, cap = 1000;
	int rc;

	assert(s && id && fn);
	ids = calloc(cap, sizeof(*ids));
	amounts = calloc(cap, sizeof(*amounts));
	if (!ids || !amounts) {
		free(ids);
		free(amounts);
		return store_nomem(e);
	}
	rc = store_stmt(s, ST_NOTICE_AWARDS_OF, &st, e);
	if (rc) {
		free(ids);
		free(amounts);
		return rc;
	}
	bind_text(st, 1, id);
	while ((rc = step(st, "reading a notice's awards", e)) == DRV_ROW &&
	       n < cap) {
		col_str(st, 0, ids[n], sizeof(ids[0]));
		amounts[n++] = col_int(st, 1);
	}
	done(st);
	if (rc == DRV_ROW)
		rc = qerr_set(e, Q_ERR_INVALID, "id",
			      "notice '%s' posts more than %zu awards", id,
			      cap);
	else if (rc == DRV_DONE)
		rc = Q_OK;
	for (size_t i = 0; !rc && i < n; i++)
		if (fn(arg, ids[i], amounts[i]))
			break;
	free(ids);
	free(amounts);
	return rc;
}

int store_objection_count(struct store *s, const char *app_id, int64_t *n,
			  struct qerr *e)
{
	return count_of(s, ST_OBJECTION_COUNT, app_id, n, "counting objections",
			e);
}

int store_objection_add(struct store *s, const struct store_objection *o,
			struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && o);
	assert(o->seq > 0 && o->why[0]);
	rc = store_stmt(s, ST_OBJECTION_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, o->app_id);
	bind_int(st, 2, o->seq);
	BIND_FIELD(st, 3, o->notice_id);
	BIND_FIELD(st, 4, o->why);
	BIND_FIELD(st, 5, o->lodged_by);
	bind_int(st, 6, o->lodged_at);
	return store_run(st, "recording an objection", e);
}

int store_objection_open(struct store *s, const char *app_id,
			 struct store_objection *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && app_id && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_OBJECTION_OPEN, app_id,
			       "reading an objection", &st, e);
	if (rc == Q_OK) {
		snprintf(out->app_id, sizeof(out->app_id), "%s", app_id);
		out->seq = col_int(st, 0);
		col_str(st, 1, out->notice_id, sizeof(out->notice_id));
		col_str(st, 2, out->why, sizeof(out->why));
		store_utf8_trim(out->why);
		col_str(st, 3, out->lodged_by, sizeof(out->lodged_by));
		out->lodged_at = col_int(st, 4);
		done(st);
	}
	return rc;
}

int store_objection_decide(struct store *s, const char *app_id, int64_t seq,
			   const char *outcome, const char *by, int64_t at,
			   struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && app_id && outcome && by);
	assert(!strcmp(outcome, "upheld") || !strcmp(outcome, "dismissed"));
	rc = store_stmt(s, ST_OBJECTION_DECIDE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, app_id);
	bind_int(st, 2, seq);
	bind_text(st, 3, outcome);
	bind_text(st, 4, by);
	bind_int(st, 5, at);
	return store_run(st, "deciding an objection", e);
}

/* --- every row, for a copy ----------------------------------------------------- */

/* One row of any of the three tables, read from a page. */
union notice_row {
	struct store_notice n;
	struct {
		char app_id[64];
		char notice_id[96];
		money_t amount;
	} a;
	struct store_objection o;
};

/* Read the current row of table t's page statement into r. */
static void page_row(struct drv_stmt *st, int t, union notice_row *r)
{
	memset(r, 0, sizeof(*r));
	if (t == 0) {
		notice_row(st, &r->n);
	} else if (t == 1) {
		col_str(st, 0, r->a.app_id, sizeof(r->a.app_id));
		col_str(st, 1, r->a.notice_id, sizeof(r->a.notice_id));
		r->a.amount = col_int(st, 2);
	} else {
		col_str(st, 0, r->o.app_id, sizeof(r->o.app_id));
		r->o.seq = col_int(st, 1);
		col_str(st, 2, r->o.notice_id, sizeof(r->o.notice_id));
		col_str(st, 3, r->o.why, sizeof(r->o.why));
		store_utf8_trim(r->o.why);
		col_str(st, 4, r->o.lodged_by, sizeof(r->o.lodged_by));
		r->o.lodged_at = col_int(st, 5);
		col_str(st, 6, r->o.outcome, sizeof(r->o.outcome));
		col_str(st, 7, r->o.decided_by, sizeof(r->o.decided_by));
		r->o.decided_at = col_int(st, 8);
	}
}

int store_notices_each(struct store *s,
		       int (*notice)(void *arg, const struct store_notice *n),
		       int (*award)(void *arg, const char *app_id,
				    const char *notice_id, money_t amount),
		       int (*objection)(void *arg,
					const struct store_objection *o),
		       void *arg, struct qerr *e)
{
	static const enum sql_stmt pages[3] = {
		ST_NOTICES_PAGE, ST_NOTICE_AWARDS_PAGE, ST_OBJECTIONS_PAGE};
	union notice_row *page;
	bool stop = false;
	int rc = Q_OK;

	assert(s);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	for (int t = 0; t < 3 && !rc && !stop; t++) {
		char key[96] = "";
		int64_t seq = 0;
		size_t n = 0;

		if ((t == 0 && !notice) || (t == 1 && !award) ||
		    (t == 2 && !objection))
			continue;
		do {
			struct drv_stmt *st;

			rc = store_stmt(s, pages[t], &st, e);
			if (rc)
				break;
			bind_text(st, 1, key);
			if (t == 2)
				bind_int(st, 2, seq);
			for (n = 0; (rc = step(st, "reading the notices", e)) ==
				    DRV_ROW;
			     n++) {
				assert(n < SQL_PAGE);
				page_row(st, t, &page[n]);
			}
			done(st);
			if (rc != DRV_DONE)
				break;
			rc = Q_OK;
			for (size_t i = 0; !stop && i < n; i++)
				stop = t == 0	? notice(arg, &page[i].n) != 0
				       : t == 1 ? award(arg, page[i].a.app_id,
							page[i].a.notice_id,
							page[i].a.amount) != 0
						: objection(arg, &page[i].o) !=
							  0;
			if (n == 0)
				break;
			if (t == 0)
				snprintf(key, sizeof(key), "%s",
					 page[n - 1].n.id);
			else if (t == 1)
				snprintf(key, sizeof(key), "%s",
					 page[n - 1].a.app_id);
			else {
				snprintf(key, sizeof(key), "%s",
					 page[n - 1].o.app_id);
				seq = page[n - 1].o.seq;
			}
		} while (!stop && n == SQL_PAGE);
	}
	free(page);
	return rc;
}
