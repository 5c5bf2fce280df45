/*
 * store_screens.c - what the screens look up (engine/screen.h), once for
 * both back ends: the contracts every application claimed, the registry
 * of controllers, the imported lists, and a walk over all three for
 * copying an office.
 */
#include "store/store.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static void contract_row(struct drv_stmt *st, struct store_contract_row *r)
{
	col_str(st, 1, r->app_id, sizeof(r->app_id));
	col_str(st, 2, r->program, sizeof(r->program));
	col_str(st, 3, r->number, sizeof(r->number));
	store_utf8_trim(r->number);
	r->value = col_int(st, 4);
	r->signed_on = (int32_t)col_int(st, 5);
}

void store_contract_row_of(const struct store_contract *c,
			   struct store_contract_row *r)
{
	assert(c && r);
	assert(c->app_id && c->program && c->number);
	snprintf(r->app_id, sizeof(r->app_id), "%s", c->app_id);
	snprintf(r->program, sizeof(r->program), "%s", c->program);
	snprintf(r->number, sizeof(r->number), "%s", c->number);
	store_utf8_trim(r->number);
	r->value = c->value;
	r->signed_on = c->signed_on;
}

int store_contract_add(struct store *s, const struct store_contract *c,
		       struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && c);
	assert(c->app_id && c->program && c->applicant && c->supplier &&
	       c->number);
	rc = store_stmt(s, ST_CONTRACT_INSERT, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, c->app_id);
	bind_text(st, 2, c->program);
	bind_text(st, 3, c->applicant);
	bind_text(st, 4, c->supplier);
	bind_text(st, 5, c->number);
	bind_int(st, 6, c->value);
	bind_int(st, 7, c->signed_on);
	rc = store_write(st, "recording a contract", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "id",
			"the contract of application '%.64s' is recorded already",
			c->app_id);
	return rc;
}

/* Step st (bound) into out, at most max rows (*n); st is reset. */
static int contract_rows(struct drv_stmt *st, struct store_contract_row *out,
			 size_t max, size_t *n, const char *op, struct qerr *e)
{
	int rc = DRV_DONE;

	*n = 0;
	while (*n < max && (rc = step(st, op, e)) == DRV_ROW)
		contract_row(st, &out[(*n)++]);
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

int store_contract_same(struct store *s, const struct store_contract *c,
			int days, struct store_contract_row *out, size_t max,
			size_t *n, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && c);
	assert(n && (out || max == 0));
	*n = 0;
	if (max == 0)
		return Q_OK;
	rc = store_stmt(s, ST_CONTRACT_SAME, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, c->applicant);
	bind_text(st, 2, c->supplier);
	bind_text(st, 3, c->number);
	bind_int(st, 4, c->value);
	bind_int(st, 5, (int64_t)c->signed_on - days);
	bind_int(st, 6, (int64_t)c->signed_on + days);
	bind_text(st, 7, c->app_id);
	bind_int(st, 8, (int64_t)max);
	return contract_rows(st, out, max, n, "looking up a contract", e);
}

/* Parameters 1 to 8 of ST_CONTRACT_BETWEEN and ST_CONTRACT_BETWEEN_SUM. */
static void bind_between(struct drv_stmt *st, const struct store_contract *c,
			 int32_t from, int32_t to, money_t lo, money_t hi)
{
	bind_text(st, 1, c->applicant);
	bind_text(st, 2, c->supplier);
	bind_int(st, 3, from);
	bind_int(st, 4, to);
	bind_int(st, 5, lo);
	bind_int(st, 6, hi);
	bind_text(st, 7, c->app_id);
	bind_text(st, 8, c->number);
}

int store_contract_between(struct store *s, const struct store_contract *c,
			   int32_t from, int32_t to, money_t lo, money_t hi,
			   struct store_contract_row *out, size_t max,
			   size_t *n, int64_t *count, money_t *sum,
			   struct qerr *e)
{
	static const char sum_op[] = "summing contracts between two parties";
	struct drv_stmt *st;
	int rc;

	assert(s && c);
	assert(n && count && sum);
	*n = 0;
	*count = 0;
	*sum = 0;
	rc = store_stmt(s, ST_CONTRACT_BETWEEN_SUM, &st, e);
	if (rc)
		return rc;
	bind_between(st, c, from, to, lo, hi);
	rc = step(st, sum_op, e);
	if (rc == DRV_ROW) {
		*count = col_int(st, 0);
		*sum = col_int(st, 1);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, sum_op, e);
	}
	done(st);
	if (rc || *count == 0 || max == 0)
		return rc;
	rc = store_stmt(s, ST_CONTRACT_BETWEEN, &st, e);
	if (rc)
		return rc;
	bind_between(st, c, from, to, lo, hi);
	bind_int(st, 9, (int64_t)max);
	return contract_rows(st, out, max, n,
			     "listing contracts between two parties", e);
}

/* Text column i, "" for NULL (the columns read are NOT NULL). */
static const char *col_text(struct drv_stmt *st, int i)
{
	const char *t = st->ops->column_text(st, i, NULL);

	return t ? t : "";
}

int store_contracts_of(struct store *s, const char *applicant, size_t max,
		       int (*fn)(void *arg, const struct store_contract *c),
		       void *arg, struct qerr *e)
{
	static const char op[] = "reading a firm's contracts";
	struct drv_stmt *st;
	int rc, stop = 0;

	assert(s && applicant);
	assert(fn && max <= INT64_MAX);
	rc = store_stmt(s, ST_CONTRACTS_OF, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, applicant);
	bind_int(st, 2, (int64_t)max);
	while (!stop && (rc = step(st, op, e)) == DRV_ROW) {
		struct store_contract c;

		c.app_id = col_text(st, 0);
		c.program = col_text(st, 1);
		c.applicant = applicant;
		c.supplier = col_text(st, 2);
		c.number = col_text(st, 3);
		c.value = col_int(st, 4);
		c.signed_on = (int32_t)col_int(st, 5);
		stop = fn(arg, &c);
	}
	done(st);
	if (stop)
		return stop;
	return rc == DRV_DONE ? Q_OK : rc;
}

int store_controller_add(struct store *s, const struct store_controller *c,
			 struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && c);
	rc = store_stmt(s, ST_CONTROLLER_PUT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, c->uscc);
	BIND_FIELD(st, 2, c->controller);
	BIND_FIELD(st, 3, c->name);
	BIND_FIELD(st, 4, c->source);
	return store_run(st, "adding a controller to the registry", e);
}

static void controller_row(struct drv_stmt *st, struct store_controller *c)
{
	memset(c, 0, sizeof(*c));
	col_str(st, 0, c->uscc, sizeof(c->uscc));
	col_str(st, 1, c->controller, sizeof(c->controller));
	col_str(st, 2, c->name, sizeof(c->name));
	col_str(st, 3, c->source, sizeof(c->source));
}

int store_controllers_of(struct store *s, const char *uscc,
			 struct store_controller *out, size_t max, size_t *n,
			 struct qerr *e)
{
	struct drv_stmt *st;
	int rc = DRV_DONE;

	assert(s && uscc);
	assert(n && (out || max == 0));
	*n = 0;
	if (max == 0)
		return Q_OK;
	rc = store_stmt(s, ST_CONTROLLERS_OF, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, uscc);
	bind_int(st, 2, (int64_t)max);
	while (*n < max && (rc = step(st, "reading the registry of controllers",
				      e)) == DRV_ROW) {
		struct store_controller *c = &out[(*n)++];

		controller_row(st, c);
		store_utf8_trim(c->name);
		store_utf8_trim(c->source);
	}
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

/* A list's name as the table keeps it: dishonest, restricted, or a
 * policy's list id. */
static bool list_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

int store_listing_add(struct store *s, const struct store_listing *l,
		      struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && l);
	if (!list_name_ok(l->list))
		return qerr_set(
			e, Q_ERR_INVALID, "list",
			"list name '%.16s': 1 to 15 of a-z, 0-9, '-' and '_'",
			l->list);
	rc = store_stmt(s, ST_LISTING_PUT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, l->list);
	BIND_FIELD(st, 2, l->uscc);
	BIND_FIELD(st, 3, l->name);
	BIND_FIELD(st, 4, l->reason);
	BIND_FIELD(st, 5, l->source);
	return store_run(st, "adding a firm to a list", e);
}

static void listing_row(struct drv_stmt *st, struct store_listing *l)
{
	memset(l, 0, sizeof(*l));
	col_str(st, 0, l->list, sizeof(l->list));
	col_str(st, 1, l->uscc, sizeof(l->uscc));
	col_str(st, 2, l->name, sizeof(l->name));
	col_str(st, 3, l->reason, sizeof(l->reason));
	col_str(st, 4, l->source, sizeof(l->source));
}

int store_listing_get(struct store *s, const char *list, const char *uscc,
		      struct store_listing *out, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && list && uscc);
	assert(out);
	memset(out, 0, sizeof(*out));
	rc = store_stmt(s, ST_LISTING_GET, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, list);
	bind_text(st, 2, uscc);
	rc = step(st, "reading a list", e);
	if (rc == DRV_ROW) {
		listing_row(st, out);
		store_utf8_trim(out->name);
		store_utf8_trim(out->reason);
		store_utf8_trim(out->source);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = Q_NONE;
	}
	done(st);
	return rc;
}

/* --- every row, for a copy ----------------------------------------------------- */

/* A contract as read from a page: its strings in one allocation. */
struct contract_copy {
	struct store_contract c;
	char *buf;
};

/* Read the current row of ST_CONTRACTS_PAGE into r (exact strings). */
static int contract_copy(struct drv_stmt *st, struct contract_copy *r)
{
	const char *col[5];
	size_t len[5], total = 0;
	char *p;

	for (int i = 0; i < 5; i++) {
		col[i] = st->ops->column_text(st, i, &len[i]);
		if (!col[i])
			len[i] = 0;
		total += len[i] + 1;
	}
	r->buf = p = malloc(total);
	if (!p)
		return -1;
	for (int i = 0; i < 5; i++) {
		if (len[i])
			memcpy(p, col[i], len[i]);
		p[len[i]] = '\0';
		col[i] = p;
		p += len[i] + 1;
	}
	r->c = (struct store_contract){
		col[0],
		col[1],
		col[2],
		col[3],
		col[4],
		col_int(st, 5),
		(int32_t)col_int(st, 6),
	};
	return 0;
}

/* Every contract, by app_id, a page at a time. */
static int contracts_each(struct store *s,
			  int (*fn)(void *arg, const struct store_contract *c),
			  void *arg, bool *stop, struct qerr *e)
{
	struct contract_copy *page;
	char *last = NULL;
	size_t n = 0;
	int rc;

	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_CONTRACTS_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, last ? last : "");
		for (n = 0;
		     (rc = step(st, "reading the contracts", e)) == DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			if (contract_copy(st, &page[n])) {
				rc = store_nomem(e);
				break;
			}
		}
		done(st);
		if (rc == DRV_DONE)
			rc = Q_OK;
		for (size_t i = 0; !rc && !*stop && i < n; i++)
			*stop = fn(arg, &page[i].c) != 0;
		free(last);
		last = NULL;
		if (n && !rc && !*stop) {
			last = page[n - 1].buf; /* its app_id comes first */
			page[n - 1].buf = NULL;
		}
		for (size_t i = 0; i < n; i++) {
			free(page[i].buf);
			page[i].buf = NULL;
		}
	} while (!rc && !*stop && n == SQL_PAGE);
	free(last);
	free(page);
	return rc;
}

int store_screens_each(struct store *s,
		       int (*contract)(void *arg,
				       const struct store_contract *c),
		       int (*controller)(void *arg,
					 const struct store_controller *c),
		       int (*listing)(void *arg, const struct store_listing *l),
		       void *arg, struct qerr *e)
{
	union row {
		struct store_controller c;
		struct store_listing l;
	} * page;
	bool stop = false;
	int rc = Q_OK;

	assert(s);
	if (contract)
		rc = contracts_each(s, contract, arg, &stop, e);
	if (rc || stop || (!controller && !listing))
		return rc;
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	/* The registry, then the lists, by their primary keys. */
	for (int t = 0; t < 2 && !rc && !stop; t++) {
		char k1[20] = "", k2[64] = "";
		size_t n = 0;

		if ((t == 0 && !controller) || (t == 1 && !listing))
			continue;
		do {
			struct drv_stmt *st;

			rc = store_stmt(s,
					t == 0 ? ST_CONTROLLERS_PAGE
					       : ST_LISTINGS_PAGE,
					&st, e);
			if (rc)
				break;
			bind_text(st, 1, k1);
			bind_text(st, 2, k2);
			for (n = 0;
			     (rc = step(st, "reading the screens' tables",
					e)) == DRV_ROW;
			     n++) {
				assert(n < SQL_PAGE);
				if (t == 0)
					controller_row(st, &page[n].c);
				else
					listing_row(st, &page[n].l);
			}
			done(st);
			if (rc != DRV_DONE)
				break;
			rc = Q_OK;
			for (size_t i = 0; !stop && i < n; i++)
				stop = t == 0 ? controller(arg, &page[i].c) != 0
					      : listing(arg, &page[i].l) != 0;
			if (n && t == 0) {
				memcpy(k1, page[n - 1].c.uscc, sizeof(k1));
				memcpy(k2, page[n - 1].c.controller,
				       sizeof(k2));
			} else if (n) {
				snprintf(k1, sizeof(k1), "%s",
					 page[n - 1].l.list);
				memcpy(k2, page[n - 1].l.uscc,
				       sizeof(page[n - 1].l.uscc));
			}
		} while (!stop && n == SQL_PAGE);
	}
	free(page);
	return rc;
}
