/*
 * store_apps.c - the applications (store.h), once for both back ends:
 * inserting and reading them, the office's numbering, the applicant's
 * year, and the walks in arrival order and newest first.
 */
#include "store/store.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Decode a row of APP_COLS (sql.c) into a (which owns json and decision). */
static int app_row(struct drv_stmt *st, struct store_app *a, struct qerr *e)
{
	char state[16];

	memset(a, 0, sizeof(*a));
	col_str(st, 0, a->id, sizeof(a->id));
	col_str(st, 1, a->program, sizeof(a->program));
	col_str(st, 2, a->measure, sizeof(a->measure));
	col_str(st, 3, a->uscc, sizeof(a->uscc));
	col_str(st, 4, a->policy_hash, sizeof(a->policy_hash));
	col_str(st, 5, state, sizeof(state));
	a->state = app_state_parse(state);
	a->seq = col_int(st, 6);
	a->fiscal_year = (int)col_int(st, 7);
	a->requested = col_int(st, 8);
	a->awarded = col_int(st, 9);
	a->paid = col_int(st, 10);
	a->recovered = col_int(st, 11);
	a->contract_value = col_int(st, 12);
	a->compute = col_int(st, 13) != 0;
	col_str(st, 14, a->approver, sizeof(a->approver));
	a->received_at = col_int(st, 15);
	a->updated_at = col_int(st, 16);
	col_str(st, 19, a->approved_by, sizeof(a->approved_by));
	col_str(st, 20, a->client_ref, sizeof(a->client_ref));
	if (a->state < 0)
		return qerr_set(e, Q_ERR_IO, "",
				"application '%s' has an unknown state '%s'",
				a->id, state);
	if (col_dup(st, 17, &a->json, NULL) ||
	    col_dup(st, 18, &a->decision, NULL)) {
		store_app_release(a);
		return store_nomem(e);
	}
	return Q_OK;
}

static int check_state(const char *id, int state, struct qerr *e)
{
	if (state < 0 || state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state",
				"application '%.64s': unknown state %d", id,
				state);
	return Q_OK;
}

/* The seq the next application gets: last + 1, read inside the write
 * transaction, so writers (serialised) never give one twice. */
static int next_seq(struct store *s, int64_t *seq, struct qerr *e)
{
	static const char op[] = "numbering an application";
	struct drv_stmt *st;
	int rc;

	store_tail_outside(s);
	if (s->tail.seq_known) {
		/* Learnt while holding the write lock, nobody writing since. */
		*seq = s->tail.next_seq;
		return Q_OK;
	}
	rc = store_stmt(s, ST_APP_NEXT_SEQ, &st, e);
	if (rc)
		return rc;
	rc = step(st, op, e);
	if (rc == DRV_ROW) {
		*seq = col_int(st, 0);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, op, e);
	}
	done(st);
	return rc;
}

int store_app_exists(struct store *s, const char *id, bool *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && id && out);
	*out = false;
	rc = store_stmt(s, ST_APP_EXISTS, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, id);
	rc = step(st, "looking up an application", e);
	*out = rc == DRV_ROW;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

int store_app_id_between(struct store *s, const char *lo, const char *hi,
			 bool *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && lo && hi);
	assert(out);
	*out = false;
	rc = store_stmt(s, ST_APP_ID_BETWEEN, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, lo);
	bind_text(st, 2, hi);
	rc = step(st, "looking up application numbers", e);
	*out = rc == DRV_ROW;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

static int app_insert(struct store *s, struct store_app *a, struct qerr *e)
{
	struct drv_stmt *st;
	char op[128];
	int64_t seq = 0;
	int rc;

	/* A taken id is refused by the primary key (Q_ERR_CONFLICT). */
	rc = next_seq(s, &seq, e);
	if (!rc)
		rc = store_stmt(s, ST_APP_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, a->id);
	BIND_FIELD(st, 2, a->program);
	BIND_FIELD(st, 3, a->measure);
	BIND_FIELD(st, 4, a->uscc);
	BIND_FIELD(st, 5, a->policy_hash);
	bind_text(st, 6, app_state_name(a->state));
	bind_int(st, 7, seq);
	bind_int(st, 8, a->fiscal_year);
	bind_int(st, 9, a->requested);
	bind_int(st, 10, a->awarded);
	bind_int(st, 11, a->paid);
	bind_int(st, 12, a->recovered);
	bind_int(st, 13, a->contract_value);
	bind_int(st, 14, a->compute ? 1 : 0);
	BIND_FIELD(st, 15, a->approver);
	bind_int(st, 16, a->received_at);
	bind_int(st, 17, a->updated_at);
	bind_nullable(st, 18, a->json);
	bind_nullable(st, 19, a->decision);
	BIND_FIELD(st, 20, a->approved_by);
	/* "" is NULL: applications without a reference never collide. */
	if (a->client_ref[0])
		BIND_FIELD(st, 21, a->client_ref);
	else
		st->ops->bind_null(st, 21);
	snprintf(op, sizeof(op), "storing application '%.64s'", a->id);
	/* On PostgreSQL a refusal may come back later, with the release of
	 * the batch item's savepoint (driver.h defer). */
	rc = store_write(st, op, e);
	s->tail.seq_known = rc == Q_OK && s->ops->in_transaction(s->db);
	s->tail.next_seq = seq + 1;
	if (rc == Q_ERR_CONFLICT &&
	    strstr(s->ops->error(s->db), "client_ref")) {
		if (e)
			snprintf(e->field, sizeof(e->field), "client_ref");
	} else if (rc == Q_ERR_CONFLICT) {
		qerr_set(e, Q_ERR_CONFLICT, "id",
			 "application '%s' already exists", a->id);
	}
	if (!rc)
		a->seq = seq;
	/* The name's bigrams, for the queue's search (store_search.c). */
	if (!rc)
		rc = store_app_grams_put(s, seq, a->name, a->json, e);
	return rc;
}

int store_app_insert(struct store *s, struct store_app *a, struct qerr *e)
{
	bool own;
	int rc;

	assert(s && a);
	rc = check_state(a->id, a->state, e);
	if (rc)
		return rc;
	rc = store_begin_own(s, &own, e);
	if (rc)
		return rc;
	rc = app_insert(s, a, e);
	return store_end_own(s, own, rc, e);
}

/* The one application statement id finds for the text parameters p1 and
 * p2 (p2 may be NULL): 0 and *out, Q_NONE, or an error. */
static int app_lookup(struct store *s, enum sql_stmt id, const char *p1,
		      const char *p2, struct store_app *out, const char *op,
		      struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(p1 && out);
	memset(out, 0, sizeof(*out));
	rc = store_stmt(s, id, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, p1);
	if (p2)
		bind_text(st, 2, p2);
	rc = step(st, op, e);
	if (rc == DRV_ROW)
		rc = app_row(st, out, e);
	else if (rc == DRV_DONE)
		rc = Q_NONE;
	done(st);
	return rc;
}

int store_app_get(struct store *s, const char *id, struct store_app *out,
		  struct qerr *e)
{
	return app_lookup(s, ST_APP_GET, id, NULL, out,
			  "reading an application", e);
}

int store_app_by_ref(struct store *s, const char *uscc, const char *client_ref,
		     struct store_app *out, struct qerr *e)
{
	if (!client_ref || !*client_ref || !uscc) {
		memset(out, 0, sizeof(*out));
		return Q_NONE;
	}
	return app_lookup(s, ST_APP_BY_REF, uscc, client_ref, out,
			  "looking up an application by reference", e);
}

/* The program and year a number is drawn for: a program name as stored
 * (struct store_app.program) and a four-digit year; and, as numbers are
 * drawn inside the caller's transaction only (drawn in one of their own, a
 * number would be committed whatever became of the application it was
 * for), an open write transaction. */
static int check_numbering(struct store *s, const char *program, int year,
			   const char *op, struct qerr *e)
{
	size_t n = program ? strnlen(program, STORE_PROGRAM_MAX) : 0;

	if (n == 0 || n >= STORE_PROGRAM_MAX)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"numbering applications: program '%.64s' is "
				"empty or too long",
				program ? program : "");
	if (year < 1 || year > 9999)
		return qerr_set(e, Q_ERR_INVALID, "fiscal_year",
				"numbering applications: year %d is not "
				"1..9999",
				year);
	if (!s->ops->in_transaction(s->db))
		return qerr_set(e, Q_ERR_INVALID, "",
				"%s: only inside a write transaction", op);
	return Q_OK;
}

int store_app_number(struct store *s, const char *program, int year, int64_t *n,
		     struct qerr *e)
{
	static const char op[] = "numbering an application";
	struct drv_stmt *st;
	int rc;

	assert(s && n);
	*n = 0;
	rc = check_numbering(s, program, year, op, e);
	if (!rc)
		rc = store_stmt(s, ST_APP_NUMBER, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, program);
	bind_int(st, 2, year);
	rc = step(st, op, e);
	if (rc == DRV_ROW) {
		*n = col_int(st, 0);
		rc = step(st, op, e);
	}
	if (rc == DRV_DONE || rc == DRV_ROW)
		rc = *n >= 1 ? Q_OK : store_no_row(s, op, e);
	if (rc)
		*n = 0;
	done(st);
	return rc;
}

int store_app_number_set(struct store *s, const char *program, int year,
			 int64_t last, struct qerr *e)
{
	static const char op[] = "setting the numbering";
	struct drv_stmt *st;
	int rc;

	assert(s);
	rc = check_numbering(s, program, year, op, e);
	if (!rc && last < 1)
		rc = qerr_set(e, Q_ERR_INVALID, "last",
			      "numbering applications: %lld is not a number "
			      "given",
			      (long long)last);
	if (!rc)
		rc = store_stmt(s, ST_APP_NUMBER_SET, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, program);
	bind_int(st, 2, year);
	bind_int(st, 3, last);
	return store_write(st, op, e);
}

int store_app_numbers_each(struct store *s,
			   int (*fn)(void *arg, const char *program, int year,
				     int64_t last),
			   void *arg, struct qerr *e)
{
	struct nv {
		char program[STORE_PROGRAM_MAX];
		int year;
		int64_t last;
	} * v;
	char last_program[STORE_PROGRAM_MAX] = "";
	int last_year = INT32_MIN;
	size_t n = 0;
	int rc;

	assert(s && fn);
	v = calloc(SQL_PAGE, sizeof(*v));
	if (!v)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(s, ST_APP_NUMBERS_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, last_program);
		bind_int(st, 2, last_year);
		for (n = 0;
		     (rc = step(st, "reading the numbering", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			col_str(st, 0, v[n].program, sizeof(v[n].program));
			v[n].year = (int)col_int(st, 1);
			v[n].last = col_int(st, 2);
		}
		done(st);
		if (rc == DRV_DONE)
			rc = Q_OK;
		for (size_t i = 0; !rc && !stop && i < n; i++)
			stop = fn(arg, v[i].program, v[i].year, v[i].last) != 0;
		if (n) {
			memcpy(last_program, v[n - 1].program,
			       sizeof(last_program));
			last_year = v[n - 1].year;
		}
		if (stop)
			break;
	} while (!rc && n == SQL_PAGE);
	free(v);
	return rc;
}

int store_app_update(struct store *s, const struct store_app *a, struct qerr *e)
{
	struct drv_stmt *st;
	char op[128];
	int rc;

	assert(s && a);
	rc = check_state(a->id, a->state, e);
	if (!rc)
		rc = store_stmt(s, ST_APP_UPDATE, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, a->id);
	bind_text(st, 2, app_state_name(a->state));
	bind_int(st, 3, a->awarded);
	bind_int(st, 4, a->paid);
	bind_int(st, 5, a->recovered);
	BIND_FIELD(st, 6, a->approver);
	bind_int(st, 7, a->updated_at);
	bind_int(st, 8, a->requested);
	BIND_FIELD(st, 9, a->approved_by);
	snprintf(op, sizeof(op), "updating application '%.64s'", a->id);
	rc = step(st, op, e);
	if (rc == DRV_DONE || rc == DRV_ROW)
		rc = st->ops->changes(st) == 1
			     ? Q_OK
			     : qerr_set(e, Q_ERR_INVALID, "id",
					"no application '%.64s'", a->id);
	done(st);
	return rc;
}

/* A page of at most SQL_PAGE applications of statement st (bound), into
 * page (*n); the statement is reset. */
int app_page(struct drv_stmt *st, struct store_app *page, size_t *n,
	     struct qerr *e)
{
	return app_page_n(st, page, SQL_PAGE, n, e);
}

int app_page_n(struct drv_stmt *st, struct store_app *page, size_t cap,
	       size_t *n, struct qerr *e)
{
	int rc;

	assert(cap > 0);
	for (*n = 0; (rc = step(st, "listing applications", e)) == DRV_ROW;) {
		assert(*n < cap);
		rc = app_row(st, &page[*n], e);
		if (rc)
			break;
		(*n)++;
	}
	done(st);
	return rc == DRV_DONE ? Q_OK : rc;
}

/* Visit page[0..n) (stop: fn said so), then release it. */
void app_visit(struct store_app *page, size_t n, bool visit,
	       int (*fn)(void *arg, const struct store_app *a), void *arg,
	       bool *stop)
{
	for (size_t i = 0; visit && !*stop && i < n; i++)
		*stop = fn(arg, &page[i]) != 0;
	for (size_t i = 0; i < n; i++)
		store_app_release(&page[i]);
}

int store_app_each(struct store *s, const char *program, int state,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e)
{
	static const enum sql_stmt which[2][2] = {
		{ST_APPS_PAGE, ST_APPS_PAGE_STATE},
		{ST_APPS_PAGE_PROGRAM, ST_APPS_PAGE_BOTH},
	};
	struct store_app *page;
	bool stop = false;
	int64_t last = 0;
	size_t n = 0;
	int rc;

	assert(s && fn);
	if (state >= APP__STATE_COUNT || state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				state);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		int i = 1;

		rc = store_stmt(s, which[program != NULL][state >= 0], &st, e);
		if (rc)
			break;
		bind_int(st, i++, last);
		if (program)
			bind_text(st, i++, program);
		if (state >= 0)
			bind_text(st, i++, app_state_name(state));
		rc = app_page(st, page, &n, e);
		if (n)
			last = page[n - 1].seq;
		app_visit(page, n, !rc, fn, arg, &stop);
	} while (!rc && !stop && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_app_list(struct store *s, const struct store_app_filter *f,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e)
{
	long limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 100;
	int which = (f->program ? SQL_LIST_PROGRAM : 0) |
		    (f->state >= 0 ? SQL_LIST_STATE : 0) |
		    (f->uscc ? SQL_LIST_USCC : 0);
	int64_t before = f->before_seq > 0 ? f->before_seq : INT64_MAX;
	struct store_app *page;
	bool stop = false;
	size_t n = 0;
	int rc;

	assert(s && fn);
	if (f->state >= APP__STATE_COUNT || f->state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				f->state);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	/* A page at a time, each below the last seq seen. */
	do {
		long want = limit < SQL_PAGE ? limit : SQL_PAGE;
		struct drv_stmt *st;
		int i = 3;

		rc = store_stmt(s, (enum sql_stmt)(ST_APPS_LIST + which), &st,
				e);
		if (rc)
			break;
		bind_int(st, 1, before);
		bind_int(st, 2, want);
		if (f->program)
			bind_text(st, i++, f->program);
		if (f->state >= 0)
			bind_text(st, i++, app_state_name(f->state));
		if (f->uscc)
			bind_text(st, i++, f->uscc);
		rc = app_page(st, page, &n, e);
		if (n)
			before = page[n - 1].seq;
		app_visit(page, n, !rc, fn, arg, &stop);
		limit -= (long)n;
		if ((long)n < want)
			break;
	} while (!rc && !stop && limit > 0);
	free(page);
	return rc;
}

/* Statement id with ?1..?4 bound to program, state, measure and fiscal
 * year, the waitlist's index in that order (ST_APP_ANY, ST_APP_COUNT). */
static int stmt_of_measure_year(struct store *s, enum sql_stmt id,
				const char *program, const char *measure,
				int fiscal_year, int state,
				struct drv_stmt **st, struct qerr *e)
{
	int rc;

	assert(program && measure);
	if (state < 0 || state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				state);
	rc = store_stmt(s, id, st, e);
	if (rc)
		return rc;
	bind_text(*st, 1, program);
	bind_text(*st, 2, app_state_name(state));
	bind_text(*st, 3, measure);
	bind_int(*st, 4, fiscal_year);
	return Q_OK;
}

int store_app_any_before(struct store *s, const char *program,
			 const char *measure, int fiscal_year, int state,
			 int64_t received_at, bool *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && out);
	*out = false;
	rc = stmt_of_measure_year(s, ST_APP_ANY, program, measure, fiscal_year,
				  state, &st, e);
	if (rc)
		return rc;
	bind_int(st, 5, received_at);
	rc = step(st, "looking for an application", e);
	*out = rc == DRV_ROW;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

int store_app_count(struct store *s, const char *program, const char *measure,
		    int fiscal_year, int state, int64_t *n, struct qerr *e)
{
	static const char op[] = "counting applications";
	struct drv_stmt *st;
	int rc;

	assert(s && n);
	*n = 0;
	rc = stmt_of_measure_year(s, ST_APP_COUNT, program, measure,
				  fiscal_year, state, &st, e);
	if (rc)
		return rc;
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

int store_app_usccs_after(struct store *s, int64_t after,
			  int (*fn)(void *arg, const char *uscc, int64_t seq),
			  void *arg, struct qerr *e)
{
	struct row {
		int64_t seq;
		char uscc[20];
	} * page;
	size_t n = 0;
	int rc = Q_OK;

	assert(s && fn);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_APP_USCCS_AFTER, &st, e);
		if (rc)
			break;
		bind_int(st, 1, after);
		for (n = 0;
		     (rc = step(st, "reading the applicants", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			page[n].seq = col_int(st, 0);
			col_str(st, 1, page[n].uscc, sizeof(page[n].uscc));
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !rc && i < n; i++)
			if (fn(arg, page[i].uscc, page[i].seq))
				rc = store_nomem(e);
		if (n)
			after = page[n - 1].seq;
	} while (!rc && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_applicant_year(struct store *s, const char *program,
			 const char *measure, const char *uscc, int year,
			 const char *except_id, money_t *awarded,
			 money_t *compute_contracts, struct qerr *e)
{
	static const char op[] = "summing an applicant's year";
	struct drv_stmt *st;
	int rc;

	assert(program && measure && uscc);
	assert(awarded && compute_contracts);
	*awarded = 0;
	*compute_contracts = 0;
	rc = store_stmt(s, ST_APPLICANT_YEAR, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, program);
	bind_text(st, 2, uscc);
	bind_int(st, 3, year);
	bind_text(st, 4, except_id ? except_id : "");
	bind_text(st, 5, measure);
	rc = step(st, op, e);
	if (rc == DRV_ROW) {
		*awarded = col_int(st, 0);
		*compute_contracts = col_int(st, 1);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, op, e);
	}
	done(st);
	return rc;
}
