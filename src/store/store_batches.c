/*
 * store_batches.c - payment batches and their payments (vouchers), once
 * for both back ends.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* The one integer answer of statement id bound with year. */
static int next_of(struct store *s, enum sql_stmt id, int year, int64_t *seq,
		   const char *op, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && seq);
	assert(year > 0);
	*seq = 0;
	rc = store_stmt(s, id, &st, e);
	if (rc)
		return rc;
	bind_int(st, 1, year);
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

int store_batch_next(struct store *s, int year, int64_t *seq, struct qerr *e)
{
	return next_of(s, ST_BATCH_NEXT, year, seq, "numbering a batch", e);
}

int store_voucher_next(struct store *s, int year, int64_t *seq, struct qerr *e)
{
	return next_of(s, ST_VOUCHER_NEXT, year, seq, "numbering a voucher", e);
}

int store_batch_add(struct store *s, const struct store_batch *b,
		    struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && b);
	assert(b->id[0] && b->seq > 0);
	rc = store_stmt(s, ST_BATCH_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, b->id);
	bind_int(st, 2, b->year);
	bind_int(st, 3, b->seq);
	BIND_FIELD(st, 4, b->program);
	BIND_FIELD(st, 5, b->measure);
	BIND_FIELD(st, 6, b->made_by);
	bind_int(st, 7, b->made_at);
	rc = store_run(st, "recording a batch", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "id",
			      "batch '%s' is recorded already", b->id);
	return rc;
}

int store_pay_item_add(struct store *s, const struct store_pay_item *it,
		       struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && it);
	assert(it->voucher[0] && it->amount > 0);
	rc = store_stmt(s, ST_PAY_ITEM_INSERT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, it->voucher);
	bind_int(st, 2, it->year);
	bind_int(st, 3, it->seq);
	BIND_FIELD(st, 4, it->batch_id);
	BIND_FIELD(st, 5, it->app_id);
	bind_int(st, 6, it->amount);
	BIND_FIELD(st, 7, it->payee_account);
	BIND_FIELD(st, 8, it->payee_name);
	rc = store_run(st, "recording a payment of a batch", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "voucher",
			      "voucher '%s' is recorded already", it->voucher);
	return rc;
}

static void batch_row(struct drv_stmt *st, struct store_batch *b)
{
	memset(b, 0, sizeof(*b));
	col_str(st, 0, b->id, sizeof(b->id));
	b->year = (int)col_int(st, 1);
	b->seq = col_int(st, 2);
	col_str(st, 3, b->program, sizeof(b->program));
	col_str(st, 4, b->measure, sizeof(b->measure));
	col_str(st, 5, b->made_by, sizeof(b->made_by));
	b->made_at = col_int(st, 6);
}

static void item_row(struct drv_stmt *st, struct store_pay_item *it)
{
	memset(it, 0, sizeof(*it));
	col_str(st, 0, it->voucher, sizeof(it->voucher));
	it->year = (int)col_int(st, 1);
	it->seq = col_int(st, 2);
	col_str(st, 3, it->batch_id, sizeof(it->batch_id));
	col_str(st, 4, it->app_id, sizeof(it->app_id));
	it->amount = col_int(st, 5);
	col_str(st, 6, it->payee_account, sizeof(it->payee_account));
	col_str(st, 7, it->payee_name, sizeof(it->payee_name));
	store_utf8_trim(it->payee_name);
	col_str(st, 8, it->state, sizeof(it->state));
	col_str(st, 9, it->bank_ref, sizeof(it->bank_ref));
	col_str(st, 10, it->paid_by, sizeof(it->paid_by));
	it->paid_at = col_int(st, 11);
	col_str(st, 12, it->settled_on, sizeof(it->settled_on));
	col_str(st, 13, it->settled_by, sizeof(it->settled_by));
	it->settled_at = col_int(st, 14);
}

int store_batch_get(struct store *s, const char *id, struct store_batch *out,
		    struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && id && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_BATCH_GET, id, "reading a batch", &st, e);
	if (rc == Q_OK) {
		batch_row(st, out);
		done(st);
	}
	return rc;
}

int store_pay_item_get(struct store *s, const char *voucher,
		       struct store_pay_item *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && voucher && out);
	memset(out, 0, sizeof(*out));
	rc = store_row_by_text(s, ST_PAY_ITEM_GET, voucher, "reading a payment",
			       &st, e);
	if (rc == Q_OK) {
		item_row(st, out);
		done(st);
	}
	return rc;
}

int store_pay_item_planned_of(struct store *s, const char *app_id,
			      char *voucher, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && app_id && voucher);
	voucher[0] = '\0';
	rc = store_row_by_text(s, ST_PAY_ITEM_PLANNED_OF, app_id,
			       "reading a planned payment", &st, e);
	if (rc == Q_OK) {
		col_str(st, 0, voucher, STORE_VOUCHER_MAX);
		done(st);
	}
	return rc;
}

int store_batches_each(struct store *s,
		       int (*fn)(void *arg, const struct store_batch *b),
		       void *arg, struct qerr *e)
{
	struct store_batch *page = calloc(SQL_PAGE, sizeof(*page));
	char key[STORE_BATCH_ID_MAX] = "";
	bool stop = false;
	size_t n;
	int rc = Q_OK;

	assert(s && fn);
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_BATCHES_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, key);
		for (n = 0;
		     (rc = step(st, "reading the batches", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			batch_row(st, &page[n]);
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n)
			snprintf(key, sizeof(key), "%s", page[n - 1].id);
	} while (!stop && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_pay_items_each(struct store *s, const char *batch_id,
			 int (*fn)(void *arg, const struct store_pay_item *it),
			 void *arg, struct qerr *e)
{
	struct store_pay_item *page = calloc(SQL_PAGE, sizeof(*page));
	char key[STORE_VOUCHER_MAX] = "";
	bool stop = false;
	size_t n;
	int rc = Q_OK;

	assert(s && fn);
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_PAY_ITEMS_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, key);
		bind_text(st, 2, batch_id ? batch_id : "");
		for (n = 0;
		     (rc = step(st, "reading the payments", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			item_row(st, &page[n]);
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n)
			snprintf(key, sizeof(key), "%s", page[n - 1].voucher);
	} while (!stop && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_pay_item_paid(struct store *s, const char *voucher, const char *by,
			int64_t at, const char *bank_ref, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && voucher && by && bank_ref);
	assert(voucher[0]);
	rc = store_stmt(s, ST_PAY_ITEM_PAID, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, voucher);
	bind_text(st, 2, by);
	bind_int(st, 3, at);
	bind_text(st, 4, bank_ref);
	return store_run(st, "recording a payment paid", e);
}

int store_pay_item_settle(struct store *s, const char *voucher,
			  const char *bank_ref, const char *on, const char *by,
			  int64_t at, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && voucher && bank_ref && on && by);
	assert(voucher[0]);
	rc = store_stmt(s, ST_PAY_ITEM_SETTLE, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, voucher);
	bind_text(st, 2, bank_ref);
	bind_text(st, 3, on);
	bind_text(st, 4, by);
	bind_int(st, 5, at);
	return store_run(st, "settling a payment", e);
}
