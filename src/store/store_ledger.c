/*
 * store_ledger.c - the ledger's storage on the store (struct ledger_io of
 * ledger/ledger.h) and the walks over accounts and transfers, once for
 * both back ends.
 *
 * The callbacks answer as ledger.h asks: 0, 1 for "not found" (the get
 * functions), -1 for a storage error, whose qerr is kept in the store for
 * store_ledger_error(). Account ids are uint64_t, kept as the 64-bit
 * signed integer with the same bits (ids above INT64_MAX are stored
 * negative and read back exactly).
 */
#include "store/store.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int store_ledger_error(struct store *s, struct qerr *e)
{
	assert(s);
	if (s->io_err.code == Q_OK)
		return qerr_set(e, Q_ERR_IO, "", "ledger: storage error");
	if (e)
		*e = s->io_err;
	return s->io_err.code;
}

const struct ledger_io *store_ledger_io(struct store *s)
{
	assert(s && s->io.ctx == s);
	return &s->io;
}

static void account_row(struct drv_stmt *st, struct ledger_account *a)
{
	memset(a, 0, sizeof(*a));
	a->id = (uint64_t)col_int(st, 0);
	col_str(st, 1, a->code, sizeof(a->code));
	a->flags = (uint32_t)col_int(st, 2);
	a->debits_pending = col_int(st, 3);
	a->debits_posted = col_int(st, 4);
	a->credits_pending = col_int(st, 5);
	a->credits_posted = col_int(st, 6);
}

static void transfer_row(struct drv_stmt *st, struct ledger_transfer *t)
{
	memset(t, 0, sizeof(*t));
	col_str(st, 0, t->id, sizeof(t->id));
	t->debit = (uint64_t)col_int(st, 1);
	t->credit = (uint64_t)col_int(st, 2);
	t->amount = col_int(st, 3);
	t->flags = (uint32_t)col_int(st, 4);
	col_str(st, 5, t->pending_id, sizeof(t->pending_id));
	t->expires_at = col_int(st, 6);
	t->code = (uint32_t)col_int(st, 7);
	col_str(st, 8, t->ref, sizeof(t->ref));
	t->timestamp = col_int(st, 9);
}

/* ledger.h's answer for rc: 0 for Q_OK, 1 for Q_NONE, -1 for an error
 * (kept in s->io_err by the statement that failed). */
static int io_answer(int rc)
{
	return rc == Q_OK ? 0 : rc == Q_NONE ? 1 : -1;
}

/* Step st (bound) for at most one row: read it with row (into out) and
 * answer Q_OK, or Q_NONE, or the error; st is reset. */
static int io_one(struct store *s, struct drv_stmt *st, const char *op,
		  void (*row)(struct drv_stmt *st, void *out), void *out)
{
	int rc = step(st, op, &s->io_err);

	if (rc == DRV_ROW) {
		row(st, out);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = Q_NONE;
	}
	done(st);
	return rc;
}

static void read_account(struct drv_stmt *st, void *out)
{
	account_row(st, out);
}

static void read_transfer(struct drv_stmt *st, void *out)
{
	transfer_row(st, out);
}

static int io_account_get(void *ctx, uint64_t id, struct ledger_account *out)
{
	struct store *s = ctx;
	struct drv_stmt *st;
	int rc;

	assert(s && out);
	rc = store_stmt(s, ST_ACCOUNT_GET, &st, &s->io_err);
	if (rc)
		return -1;
	bind_int(st, 1, (int64_t)id);
	return io_answer(
		io_one(s, st, "reading an account", read_account, out));
}

static int io_account_put(void *ctx, const struct ledger_account *a)
{
	struct store *s = ctx;
	struct drv_stmt *st;

	assert(s && a);
	if (store_stmt(s, ST_ACCOUNT_PUT, &st, &s->io_err))
		return -1;
	bind_int(st, 1, (int64_t)a->id);
	BIND_FIELD(st, 2, a->code);
	bind_int(st, 3, a->flags);
	bind_int(st, 4, a->debits_pending);
	bind_int(st, 5, a->debits_posted);
	bind_int(st, 6, a->credits_pending);
	bind_int(st, 7, a->credits_posted);
	return io_answer(store_write(st, "writing an account", &s->io_err));
}

static int io_transfer_get(void *ctx, const char *id,
			   struct ledger_transfer *out)
{
	struct store *s = ctx;
	struct drv_stmt *st;

	assert(s && id && out);
	if (store_stmt(s, ST_TRANSFER_GET, &st, &s->io_err))
		return -1;
	bind_str(st, 1, id, LEDGER_ID_MAX);
	return io_answer(
		io_one(s, st, "reading a transfer", read_transfer, out));
}

static int io_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct store *s = ctx;
	struct drv_stmt *st;

	assert(s && t);
	if (store_stmt(s, ST_TRANSFER_PUT, &st, &s->io_err))
		return -1;
	BIND_FIELD(st, 1, t->id);
	bind_int(st, 2, (int64_t)t->debit);
	bind_int(st, 3, (int64_t)t->credit);
	bind_int(st, 4, t->amount);
	bind_int(st, 5, t->flags);
	BIND_FIELD(st, 6, t->pending_id);
	bind_int(st, 7, t->expires_at);
	bind_int(st, 8, t->code);
	BIND_FIELD(st, 9, t->ref);
	bind_int(st, 10, t->timestamp);
	return io_answer(store_write(st, "writing a transfer", &s->io_err));
}

/* The flags of a pending transfer and of the one that posted or voided
 * it (0 if none). */
struct pending_row {
	uint32_t flags, by;
};

static void read_pending(struct drv_stmt *st, void *out)
{
	struct pending_row *p = out;

	p->flags = (uint32_t)col_int(st, 0);
	p->by = (uint32_t)col_int(st, 1);
}

/* 1 when id is not a pending transfer, as the in-memory ledger answers. */
static int io_pending_state(void *ctx, const char *id,
			    enum ledger_pending_state *out)
{
	struct store *s = ctx;
	struct pending_row p = {0, 0};
	struct drv_stmt *st;
	int rc;

	assert(s && id && out);
	if (store_stmt(s, ST_PENDING_STATE, &st, &s->io_err))
		return -1;
	bind_str(st, 1, id, LEDGER_ID_MAX);
	rc = io_one(s, st, "reading a pending transfer", read_pending, &p);
	if (rc)
		return io_answer(rc);
	if (!(p.flags & LEDGER_PENDING))
		return 1;
	if (p.by & LEDGER_POST_PENDING)
		*out = LEDGER_PENDING_POSTED;
	else if (p.by & LEDGER_VOID_PENDING)
		*out = LEDGER_PENDING_VOIDED;
	else
		*out = LEDGER_PENDING_OPEN;
	return 0;
}

static void read_int(struct drv_stmt *st, void *out)
{
	*(int64_t *)out = col_int(st, 0);
}

static int io_last_timestamp(void *ctx, int64_t *out)
{
	static const char op[] = "reading the last timestamp";
	struct store *s = ctx;
	struct drv_stmt *st;
	int rc;

	assert(s && out);
	if (store_stmt(s, ST_LAST_TIMESTAMP, &st, &s->io_err))
		return -1;
	rc = io_one(s, st, op, read_int, out);
	if (rc == Q_NONE)
		rc = store_no_row(s, op, &s->io_err);
	return io_answer(rc);
}

const struct ledger_io store_ledger_callbacks = {
	.ctx = NULL,
	.account_get = io_account_get,
	.account_put = io_account_put,
	.transfer_get = io_transfer_get,
	.transfer_put = io_transfer_put,
	.pending_state = io_pending_state,
	.last_timestamp = io_last_timestamp,
};

/* --- reading the ledger ------------------------------------------------------ */

int store_account_each(struct store *s,
		       int (*fn)(void *arg, const struct ledger_account *a),
		       void *arg, struct qerr *e)
{
	struct ledger_account *page;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	assert(s && fn);
	page = malloc(SQL_PAGE * sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(s, ST_ACCOUNTS_PAGE, &st, e);
		if (rc)
			break;
		bind_int(st, 1, last);
		for (n = 0; (rc = step(st, "listing accounts", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			account_row(st, &page[n]);
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = (int64_t)page[n - 1].id;
	} while (n == SQL_PAGE);
	free(page);
	return rc;
}

int store_transfer_each(struct store *s, const char *ref,
			int (*fn)(void *arg, const struct ledger_transfer *t),
			void *arg, struct qerr *e)
{
	struct ledger_transfer *page;
	int64_t last = INT64_MIN;
	size_t n = 0;
	int rc;

	assert(s && fn);
	page = malloc(SQL_PAGE * sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;
		bool stop = false;

		rc = store_stmt(s,
				ref ? ST_TRANSFERS_PAGE_REF : ST_TRANSFERS_PAGE,
				&st, e);
		if (rc)
			break;
		bind_int(st, 1, last);
		if (ref)
			bind_text(st, 2, ref);
		for (n = 0; (rc = step(st, "listing transfers", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			transfer_row(st, &page[n]);
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (stop)
			break;
		if (n)
			last = page[n - 1].timestamp;
	} while (n == SQL_PAGE);
	free(page);
	return rc;
}
