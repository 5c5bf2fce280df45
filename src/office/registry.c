/*
 * registry.c - what the screens look up in the office's store (the
 * contracts of every application, the registry of controllers, the
 * dishonest and restricted lists: office_screen_io), and the imports of
 * the registry and of the lists from CSV, each one audited transaction.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/uscc.h"

/* --- the screens' lookups ----------------------------------------------------- */

static void contract_of(const struct screen_query *q, struct store_contract *c)
{
	c->app_id = q->app_id;
	c->program = "";
	c->applicant = q->applicant;
	c->supplier = q->supplier;
	c->number = q->number;
	c->value = q->value;
	c->signed_on = q->signed_on;
}

static void rows_to_refs(const struct store_contract_row *rows, size_t n,
			 struct screen_contract *out)
{
	for (size_t i = 0; i < n; i++) {
		memcpy(out[i].app, rows[i].app_id, sizeof(out[i].app));
		memcpy(out[i].program, rows[i].program, sizeof(out[i].program));
		memcpy(out[i].number, rows[i].number, sizeof(out[i].number));
		out[i].value = rows[i].value;
		out[i].signed_on = rows[i].signed_on;
	}
}

static int io_same(void *ctx, const struct screen_query *q, int days,
		   struct screen_contract *out, size_t max, size_t *n,
		   struct qerr *e)
{
	struct office *o = ctx;
	struct store_contract c;
	struct store_contract_row rows[SCREEN_MAX_REFS];
	bool maybe;
	int rc;

	*n = 0;
	/* A firm that never filed here has no earlier contract here. */
	rc = office_hot_filed(o, q->applicant, &maybe, e);
	if (rc || !maybe)
		return rc;
	contract_of(q, &c);
	if (max > SCREEN_MAX_REFS)
		max = SCREEN_MAX_REFS;
	rc = office_hot_contract_same(o, &c, days, rows, max, n, e);
	if (!rc)
		rows_to_refs(rows, *n, out);
	return rc;
}

static int io_between(void *ctx, const struct screen_query *q, qdate from,
		      qdate to, money_t lo, money_t hi,
		      struct screen_contract *out, size_t max, size_t *n,
		      int64_t *count, money_t *sum, struct qerr *e)
{
	struct office *o = ctx;
	struct store_contract c;
	struct store_contract_row rows[SCREEN_MAX_REFS];
	bool maybe;
	int rc;

	*n = 0;
	*count = 0;
	*sum = 0;
	rc = office_hot_filed(o, q->applicant, &maybe, e);
	if (rc || !maybe)
		return rc;
	contract_of(q, &c);
	if (max > SCREEN_MAX_REFS)
		max = SCREEN_MAX_REFS;
	rc = office_hot_contract_between(o, &c, from, to, lo, hi, rows, max, n,
					 count, sum, e);
	if (!rc)
		rows_to_refs(rows, *n, out);
	return rc;
}

static int io_controllers(void *ctx, const char *uscc,
			  struct screen_controller *out, size_t max, size_t *n,
			  struct qerr *e)
{
	struct office *o = ctx;
	struct store_controller *rows;
	bool maybe;
	int rc;

	*n = 0;
	rc = office_hot_listed(o, uscc, &maybe, e);
	if (rc || !maybe)
		return rc;
	if (max > SCREEN_MAX_CONTROLLERS)
		max = SCREEN_MAX_CONTROLLERS;
	rows = malloc(max * sizeof(*rows));
	if (!rows)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = store_controllers_of(o->store, uscc, rows, max, n, e);
	for (size_t i = 0; !rc && i < *n; i++) {
		memcpy(out[i].id, rows[i].controller, sizeof(out[i].id));
		memcpy(out[i].source, rows[i].source, sizeof(out[i].source));
	}
	free(rows);
	return rc;
}

static int io_listed(void *ctx, enum screen_list l, const char *uscc,
		     struct screen_listing *out, struct qerr *e)
{
	struct office *o = ctx;
	struct store_listing li;
	bool maybe;
	int rc = office_hot_listed(o, uscc, &maybe, e);

	if (rc)
		return -1;
	if (!maybe)
		return 0;
	rc = store_listing_get(o->store, screen_list_name(l), uscc, &li, e);
	if (rc == Q_NONE)
		return 0;
	if (rc)
		return -1;
	memcpy(out->name, li.name, sizeof(out->name));
	memcpy(out->reason, li.reason, sizeof(out->reason));
	memcpy(out->source, li.source, sizeof(out->source));
	return 1;
}

/* A policy's named supplier list is stored like the screening lists,
 * under its own list name. */
static int io_listed_in(void *ctx, const char *list, const char *uscc,
			struct qerr *e)
{
	struct office *o = ctx;
	struct store_listing li;
	bool maybe;
	int rc = office_hot_listed(o, uscc, &maybe, e);

	if (rc)
		return -1;
	if (!maybe)
		return 0;
	rc = store_listing_get(o->store, list, uscc, &li, e);
	return rc == Q_NONE ? 0 : rc ? -1 : 1;
}

int office_supplier_lists(struct office *o, const struct policy *p,
			  const char *uscc, struct history *h, struct qerr *e)
{
	struct screen_io io;
	uint64_t bits = 0;
	int rc;

	assert(o && p && uscc);
	assert(h);
	office_screen_io(o, &io);
	rc = screen_supplier_lists(p, uscc, &io, &bits, e);
	if (rc)
		return rc;
	h->lists_known = true;
	h->supplier_lists = bits;
	return Q_OK;
}

void office_screen_io(struct office *o, struct screen_io *io)
{
	assert(o && o->store);
	assert(io);
	io->ctx = o;
	io->same_contract = io_same;
	io->between = io_between;
	io->controllers = io_controllers;
	io->listed = io_listed;
	io->listed_in = io_listed_in;
}

/* --- imports: the registry of controllers, lists ---------------------------------- */

#define IMPORT_MAX_ROWS 10000000L

/* The columns of an import: names[i] is required when required[i]. */
struct columns {
	const char *const *names;
	const bool *required;
	size_t n;
	int at[CSV_MAX_FIELDS]; /* column of names[i] in the file, -1 none */
};

static int read_header(struct csv *c, struct columns *cols,
		       char (*f)[CSV_FIELD_MAX], struct qerr *e)
{
	size_t n;
	int rc = csv_next(c, f, &n, e);

	if (rc)
		return rc;
	if (n == 0)
		return qerr_set(e, Q_ERR_INVALID, "", "the file is empty");
	for (size_t i = 0; i < cols->n; i++)
		cols->at[i] = -1;
	for (size_t j = 0; j < n; j++) {
		size_t i;

		for (i = 0; i < cols->n; i++)
			if (!strcmp(f[j], cols->names[i]))
				break;
		if (i == cols->n)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: unknown column '%.64s'", f[j]);
		if (cols->at[i] >= 0)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: column '%s' is given twice",
					cols->names[i]);
		cols->at[i] = (int)j;
	}
	for (size_t i = 0; i < cols->n; i++)
		if (cols->required[i] && cols->at[i] < 0)
			return qerr_set(e, Q_ERR_INVALID, "",
					"line 1: the column '%s' is missing",
					cols->names[i]);
	return Q_OK;
}

/* Field i of a record ("" when the file has no such column). */
static const char *col(const struct columns *cols, char (*f)[CSV_FIELD_MAX],
		       size_t n, size_t i)
{
	return cols->at[i] >= 0 && (size_t)cols->at[i] < n ? f[cols->at[i]]
							   : "";
}

static int check_uscc_field(const char *s, long line, struct qerr *e)
{
	struct qerr why;

	qerr_clear(&why);
	if (uscc_check(s, strlen(s), "uscc", &why))
		return qerr_set(e, Q_ERR_INVALID, "uscc", "line %ld: %s", line,
				why.msg);
	return Q_OK;
}

static int fits(const char *s, size_t cap, const char *what, long line,
		struct qerr *e)
{
	if (strlen(s) >= cap)
		return qerr_set(e, Q_ERR_INVALID, what,
				"line %ld: '%s' is longer than %zu bytes", line,
				what, cap - 1);
	return Q_OK;
}

enum import_kind { IMPORT_REGISTRY, IMPORT_LIST };

/* One record of the file being imported: its fields f[0..n), at line. */
struct record {
	const struct columns *cols;
	char (*f)[CSV_FIELD_MAX];
	size_t n;
	long line;
	const char *file; /* the file's name: the source by default */
};

static const char *field(const struct record *r, size_t i)
{
	return col(r->cols, r->f, r->n, i);
}

/* One controller of one firm: uscc, controller_id, name, source. */
static int registry_row(struct office *o, const struct record *r,
			struct qerr *e)
{
	struct store_controller sc;
	const char *id = field(r, 1);
	int rc;

	assert(r && r->cols);
	assert(r->cols->n == 4);
	memset(&sc, 0, sizeof(sc));
	if (!*id)
		return qerr_set(e, Q_ERR_INVALID, "controller_id",
				"line %ld: 'controller_id' is empty", r->line);
	rc = fits(id, sizeof(sc.controller), "controller_id", r->line, e);
	if (!rc)
		rc = fits(field(r, 2), sizeof(sc.name), "name", r->line, e);
	if (!rc)
		rc = fits(field(r, 3), sizeof(sc.source), "source", r->line, e);
	if (rc)
		return rc;
	snprintf(sc.uscc, sizeof(sc.uscc), "%s", field(r, 0));
	snprintf(sc.controller, sizeof(sc.controller), "%s", id);
	snprintf(sc.name, sizeof(sc.name), "%s", field(r, 2));
	snprintf(sc.source, sizeof(sc.source), "%s",
		 *field(r, 3) ? field(r, 3) : r->file);
	rc = store_controller_add(o->store, &sc, e);
	if (!rc)
		office_hot_registered(o, sc.uscc);
	return rc;
}

/* One firm on the list: uscc, name, reason, source. */
static int list_row(struct office *o, const char *list, const struct record *r,
		    struct qerr *e)
{
	struct store_listing sl;
	int rc = Q_OK;

	assert(list && r && r->cols);
	assert(r->cols->n == 4);
	memset(&sl, 0, sizeof(sl));
	for (size_t i = 1; !rc && i < 4; i++)
		rc = fits(field(r, i), sizeof(sl.name), r->cols->names[i],
			  r->line, e);
	if (rc)
		return rc;
	snprintf(sl.list, sizeof(sl.list), "%s", list);
	snprintf(sl.uscc, sizeof(sl.uscc), "%s", field(r, 0));
	snprintf(sl.name, sizeof(sl.name), "%s", field(r, 1));
	snprintf(sl.reason, sizeof(sl.reason), "%s", field(r, 2));
	snprintf(sl.source, sizeof(sl.source), "%s",
		 *field(r, 3) ? field(r, 3) : r->file);
	rc = store_listing_add(o->store, &sl, e);
	if (!rc)
		office_hot_registered(o, sl.uscc);
	return rc;
}

/* Every record after the header, in the current transaction. */
static int import_rows(struct office *o, enum import_kind kind,
		       const char *list, struct csv *c, struct record *r,
		       long *count, struct qerr *e)
{
	int rc;

	assert(c && r && count);
	assert(kind == IMPORT_REGISTRY || list);
	while (!(rc = csv_next(c, r->f, &r->n, e)) && r->n > 0) {
		r->line = c->record_line;
		if (*count == IMPORT_MAX_ROWS)
			return qerr_set(e, Q_ERR_TOO_LARGE, "",
					"more than %ld entries",
					IMPORT_MAX_ROWS);
		rc = check_uscc_field(field(r, 0), r->line, e);
		if (!rc)
			rc = kind == IMPORT_REGISTRY ? registry_row(o, r, e)
						     : list_row(o, list, r, e);
		if (rc)
			return rc;
		(*count)++;
	}
	return rc;
}

static int import_csv(struct office *o, enum import_kind kind, const char *list,
		      const char *csv, size_t len, const char *name,
		      const char *by, int64_t now, long *count, struct qerr *e)
{
	static const char *const reg_names[] = {"uscc", "controller_id", "name",
						"source"};
	static const bool reg_req[] = {true, true, false, false};
	static const char *const list_names_[] = {"uscc", "name", "reason",
						  "source"};
	static const bool list_req[] = {true, false, false, false};
	struct columns cols = {kind == IMPORT_REGISTRY ? reg_names
						       : list_names_,
			       kind == IMPORT_REGISTRY ? reg_req : list_req,
			       4,
			       {0}};
	struct record r = {&cols,
			   malloc(CSV_MAX_FIELDS * sizeof(char[CSV_FIELD_MAX])),
			   0, 0, name};
	struct csv c;
	int rc;

	assert(o && csv && name && by && count);
	*count = 0;
	if (!r.f)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	csv_init(&c, csv, len);
	rc = read_header(&c, &cols, r.f, e);
	if (rc)
		goto out;
	rc = office_begin(o, e);
	if (rc)
		goto out;
	rc = import_rows(o, kind, list, &c, &r, count, e);
	if (!rc)
		rc = office_audit(o,
				  kind == IMPORT_REGISTRY ? "registry-import"
							  : "list-import",
				  kind == IMPORT_REGISTRY ? "registry" : list,
				  NULL, by, now,
				  json_pack("{s:s,s:I}", "file", name,
					    "entries", (json_int_t)*count),
				  e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc) {
		office_rollback(o);
		*count = 0;
	}
out:
	free(r.f);
	return rc;
}

int office_registry_import(struct office *o, const char *csv, size_t len,
			   const char *name, const char *by, int64_t now,
			   long *count, struct qerr *e)
{
	return import_csv(o, IMPORT_REGISTRY, NULL, csv, len, name, by, now,
			  count, e);
}

int office_list_import(struct office *o, const char *list, const char *csv,
		       size_t len, const char *name, const char *by,
		       int64_t now, long *count, struct qerr *e)
{
	*count = 0;
	/* dishonest and restricted, or a supplier list a program declares. */
	bool known = screen_list_lookup(list, strlen(list)) >= 0;

	for (size_t i = 0; !known && i < o->npolicies; i++)
		known = policy_find_list(o->policies[i], list, strlen(list)) >=
			0;
	if (!known)
		return qerr_set(
			e, Q_ERR_INVALID, "list",
			"unknown list '%.32s': dishonest, restricted, or a supplier list that a program of this office declares",
			list);
	return import_csv(o, IMPORT_LIST, list, csv, len, name, by, now, count,
			  e);
}
