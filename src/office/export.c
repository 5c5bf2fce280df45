/*
 * export.c - the awards and payments as a table (a JSON array of rows of
 * strings, the header first), then written as CSV or XLSX.
 */
#include "office/export.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/date.h"
#include "core/file.h"
#include "office/office_int.h"

static const char *const award_cols[] = {
	"id",	 "program", "measure", "fiscal_year", "uscc",	   "name",
	"state", "awarded", "paid",    "recovered",   "remaining",
};
static const char *const payment_cols[] = {
	"voucher",    "batch", "id",	     "program",
	"measure",    "uscc",  "payee_name", "payee_account",
	"amount",     "state", "bank_ref",   "paid_at",
	"settled_on", "kind",  "ref",
};

int export_what_parse(const char *s, enum export_what *out, struct qerr *e)
{
	assert(s && out);
	if (!strcmp(s, "awards"))
		*out = EXPORT_AWARDS;
	else if (!strcmp(s, "payments"))
		*out = EXPORT_PAYMENTS;
	else
		return qerr_set(e, Q_ERR_INVALID, "what",
				"unknown export '%s' (awards or payments)", s);
	return Q_OK;
}

int export_format_parse(const char *s, enum export_format *out, struct qerr *e)
{
	assert(s && out);
	if (!strcmp(s, "csv"))
		*out = EXPORT_CSV;
	else if (!strcmp(s, "xlsx"))
		*out = EXPORT_XLSX;
	else
		return qerr_set(e, Q_ERR_INVALID, "format",
				"unknown format '%s' (csv or xlsx)", s);
	return Q_OK;
}

static json_t *money_s(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

/* A new table whose first row is the header cols[0..n). */
static json_t *header(const char *const *cols, size_t n)
{
	json_t *h = json_array(), *t = json_array();

	for (size_t i = 0; h && i < n; i++)
		if (json_array_append_new(h, json_string(cols[i]))) {
			json_decref(h);
			h = NULL;
		}
	if (!h || !t || json_array_append_new(t, h)) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The applications with money on them, as the walk finds them; the
 * applicant's name is read from the application as submitted. */
struct collect {
	json_t *rows; /* awards: the rows; payments: [id, program, ...] */
	enum export_what what;
	int rc;
};

static const char *name_of(const char *text, char *buf, size_t len)
{
	json_error_t err;
	json_t *app = text ? json_loads(text, 0, &err) : NULL;
	const char *n = json_string_value(
		json_object_get(json_object_get(app, "applicant"), "name"));

	snprintf(buf, len, "%s", n ? n : "");
	json_decref(app);
	return buf;
}

static int collect_app(void *arg, const struct store_app *a)
{
	struct collect *c = arg;
	char name[256], year[16];
	json_t *r;

	if (a->awarded <= 0 && a->paid <= 0 && a->recovered <= 0)
		return 0;
	if (json_array_size(c->rows) >= EXPORT_MAX_ROWS) {
		c->rc = Q_ERR_TOO_LARGE;
		return 1;
	}
	snprintf(year, sizeof(year), "%d", a->fiscal_year);
	name_of(a->json, name, sizeof(name));
	if (c->what == EXPORT_AWARDS)
		r = json_pack("[s,s,s,s,s,s,s,o,o,o,o]", a->id, a->program,
			      a->measure, year, a->uscc, name,
			      app_state_name(a->state), money_s(a->awarded),
			      money_s(a->paid), money_s(a->recovered),
			      money_s(a->awarded - a->paid));
	else
		return 0;
	if (!r || json_array_append_new(c->rows, r)) {
		c->rc = Q_ERR_NOMEM;
		return 1;
	}
	return 0;
}

/* The payments of the batches (one batch, or all), as rows: each with
 * its application's program, measure and USCC. */
struct pay_walk {
	struct office *o;
	json_t *rows;
	int rc;
	struct qerr *e;
};

static int collect_pay(void *arg, const struct store_pay_item *it)
{
	struct pay_walk *w = arg;
	struct store_app a;
	char at[DATETIME_TEXT_MAX] = "";
	json_t *r;
	int rc;

	if (json_array_size(w->rows) > EXPORT_MAX_ROWS) {
		w->rc = Q_ERR_TOO_LARGE;
		return 1;
	}
	rc = store_app_get(w->o->store, it->app_id, &a, w->e);
	if (rc) {
		w->rc = rc == Q_NONE ? Q_ERR_IO : rc;
		return 1;
	}
	if (it->paid_at)
		datetime_format(it->paid_at, at);
	r = json_pack("[s,s,s,s,s,s,s,s,o,s,s,s,s,s,s]", it->voucher,
		      it->batch_id, it->app_id, a.program, a.measure, a.uscc,
		      it->payee_name, it->payee_account, money_s(it->amount),
		      it->state, it->bank_ref, at, it->settled_on, "voucher",
		      it->voucher);
	store_app_release(&a);
	if (!r || json_array_append_new(w->rows, r)) {
		w->rc = Q_ERR_NOMEM;
		return 1;
	}
	return 0;
}

/* --- direct disbursements ---------------------------------------------------
 *
 * Every disbursement is a "disburse" audit event on its application (the
 * amount and, when it was given one, its idempotency key as "ref"); a
 * batch's payment is one too, under its voucher number as the key, and is
 * followed by the voucher's "voucher-paid" event. Walking the chain in
 * order, each voucher-paid event claims the latest unclaimed disbursement
 * of its application and amount whose ref is the voucher (or, in events
 * written before the ref was recorded, none): what is left unclaimed was
 * paid outside any batch. */
struct direct_walk {
	json_t *list; /* [{app, amount, at, ref, claimed}] in chain order */
	json_t *open; /* "app amount" -> [index into list] not yet claimed */
	int rc;
};

static const char *detail_s(json_t *d, const char *key)
{
	const char *v = json_string_value(json_object_get(d, key));

	return v ? v : "";
}

static int direct_event(void *arg, const struct store_event *ev)
{
	struct direct_walk *w = arg;
	json_error_t err;
	json_t *d, *stack;
	char key[256];
	bool pay = !strcmp(ev->action, "disburse");

	if (!pay && strcmp(ev->action, "voucher-paid"))
		return 0;
	d = ev->detail ? json_loads(ev->detail, 0, &err) : NULL;
	snprintf(key, sizeof(key), "%s %s",
		 pay ? ev->subject : detail_s(d, "application"),
		 detail_s(d, "amount"));
	stack = json_object_get(w->open, key);
	if (pay) {
		char at[DATETIME_TEXT_MAX];
		json_t *x =
			json_pack("{s:s,s:s,s:s,s:s,s:b}", "app", ev->subject,
				  "amount", detail_s(d, "amount"), "at",
				  datetime_format(ev->at, at), "ref",
				  detail_s(d, "ref"), "claimed", 0);

		if (!stack) {
			stack = json_array();
			if (json_object_set_new(w->open, key, stack))
				stack = NULL;
		}
		if (!x || !stack ||
		    json_array_append_new(
			    stack, json_integer((json_int_t)json_array_size(
					   w->list))) ||
		    json_array_append_new(w->list, x))
			w->rc = Q_ERR_NOMEM;
	} else {
		for (size_t i = json_array_size(stack); i-- > 0;) {
			json_t *x = json_array_get(
				w->list, (size_t)json_integer_value(
						 json_array_get(stack, i)));
			const char *ref = detail_s(x, "ref");

			if (!ref[0] || !strcmp(ref, ev->subject)) {
				json_object_set_new(x, "claimed", json_true());
				json_array_remove(stack, i);
				break;
			}
		}
	}
	json_decref(d);
	if (!w->rc && json_array_size(w->list) > EXPORT_MAX_ROWS)
		w->rc = Q_ERR_TOO_LARGE;
	return w->rc ? 1 : 0;
}

/* Append to rows the disbursements made outside any batch, in the order
 * they were made. */
static int collect_direct(struct office *o, json_t *rows, struct qerr *e)
{
	struct direct_walk w = {json_array(), json_object(), 0};
	json_t *x;
	size_t i;
	int rc;

	assert(o && rows);
	if (!w.list || !w.open)
		rc = Q_ERR_NOMEM;
	else
		rc = store_event_each(o->store, direct_event, &w, e);
	if (!rc)
		rc = w.rc;
	json_array_foreach(w.list, i, x)
	{
		struct store_app a;
		char name[256];
		json_t *r;

		if (rc)
			break;
		if (json_is_true(json_object_get(x, "claimed")))
			continue;
		if (json_array_size(rows) > EXPORT_MAX_ROWS) {
			rc = Q_ERR_TOO_LARGE;
			break;
		}
		rc = store_app_get(o->store, detail_s(x, "app"), &a, e);
		if (rc) {
			rc = rc == Q_NONE ? Q_ERR_IO : rc;
			break;
		}
		r = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]", "", "", a.id,
			      a.program, a.measure, a.uscc,
			      name_of(a.json, name, sizeof(name)), "",
			      detail_s(x, "amount"), "paid", "",
			      detail_s(x, "at"), "", "direct",
			      detail_s(x, "ref"));
		store_app_release(&a);
		if (!r || json_array_append_new(rows, r))
			rc = Q_ERR_NOMEM;
	}
	json_decref(w.list);
	json_decref(w.open);
	return rc;
}

static int too_large(int rc, struct qerr *e)
{
	if (rc == Q_ERR_TOO_LARGE)
		return qerr_set(e, rc, "", "an export holds at most %d rows",
				EXPORT_MAX_ROWS);
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* The table of what: the header, then the rows (*out, a new reference);
 * payments of batch only when batch is not NULL or "". */
static int table(struct office *o, enum export_what what, const char *batch,
		 json_t **out, struct qerr *e)
{
	struct collect c = {json_array(), what, 0};
	json_t *t = NULL;
	int rc = Q_OK;

	assert(o && out);
	*out = NULL;
	if (!c.rows)
		return too_large(Q_ERR_NOMEM, e);
	if (what == EXPORT_AWARDS) {
		rc = store_app_each(o->store, NULL, -1, collect_app, &c, e);
		if (!rc && c.rc)
			rc = too_large(c.rc, e);
		t = rc ? NULL
		       : header(award_cols,
				sizeof(award_cols) / sizeof(*award_cols));
		if (!rc && (!t || json_array_extend(t, c.rows)))
			rc = too_large(Q_ERR_NOMEM, e);
	} else {
		struct pay_walk w = {o, NULL, 0, e};

		t = header(payment_cols,
			   sizeof(payment_cols) / sizeof(*payment_cols));
		w.rows = t;
		if (!t)
			rc = too_large(Q_ERR_NOMEM, e);
		if (!rc)
			rc = store_pay_items_each(o->store, batch, collect_pay,
						  &w, e);
		if (!rc && !w.rc && !(batch && batch[0]))
			w.rc = collect_direct(o, t, e);
		if (!rc && (w.rc == Q_ERR_TOO_LARGE || w.rc == Q_ERR_NOMEM))
			rc = too_large(w.rc, e);
		else if (!rc && w.rc)
			rc = qerr_set(e, w.rc, "",
				      "reading a payment's "
				      "application failed");
	}
	json_decref(c.rows);
	if (rc) {
		json_decref(t);
		return rc;
	}
	*out = t;
	return Q_OK;
}

/* Whether a spreadsheet would read field s as a formula: it is then
 * written with a leading apostrophe (CSV injection), as spreadsheets
 * themselves do. */
static int formula_like(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '@' ||
	       (s[0] == '-' && !(s[1] >= '0' && s[1] <= '9'));
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && !formula_like(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula_like(s))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(json_t *t, const char *path, struct qerr *e)
{
	FILE *f = fopen(path, "w");
	json_t *row, *cell;
	size_t i, j;

	if (!f)
		return qerr_set(e, Q_ERR_IO, "out", "cannot write '%s': %s",
				path, strerror(errno));
	json_array_foreach(t, i, row)
	{
		json_array_foreach(row, j, cell)
		{
			if (j)
				fputc(',', f);
			csv_field(f, json_string_value(cell));
		}
		fputs("\r\n", f);
	}
	if (fclose(f))
		return qerr_set(e, Q_ERR_IO, "out", "cannot write '%s': %s",
				path, strerror(errno));
	return Q_OK;
}

/* Every cell is a string cell: the money columns keep their exact decimal
 * text (export.h says why). */
static int write_xlsx(json_t *t, const char *path, struct qerr *e)
{
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, NULL) : NULL;
	lxw_format *bold = wb ? workbook_add_format(wb) : NULL;
	json_t *row, *cell;
	size_t i, j;
	lxw_error err = LXW_NO_ERROR;

	if (!wb || !ws || !bold) {
		if (wb)
			workbook_close(wb);
		return qerr_set(e, Q_ERR_IO, "out", "cannot write '%s'", path);
	}
	format_set_bold(bold);
	json_array_foreach(t, i, row)
	{
		json_array_foreach(row, j, cell)
		{
			if (err == LXW_NO_ERROR)
				err = worksheet_write_string(
					ws, (lxw_row_t)i, (lxw_col_t)j,
					json_string_value(cell),
					i ? NULL : bold);
		}
	}
	if (workbook_close(wb) != LXW_NO_ERROR || err != LXW_NO_ERROR)
		return qerr_set(e, Q_ERR_IO, "out", "cannot write '%s': %s",
				path, lxw_strerror(err));
	return Q_OK;
}

int export_write(struct office *o, enum export_what what,
		 enum export_format fmt, const char *batch, const char *path,
		 long *rows, struct qerr *e)
{
	json_t *t = NULL;
	int rc;

	assert(o && path && rows);
	*rows = 0;
	rc = table(o, what, batch, &t, e);
	if (rc)
		return rc;
	assert(json_array_size(t) >= 1);
	rc = fmt == EXPORT_CSV ? write_csv(t, path, e) : write_xlsx(t, path, e);
	if (!rc)
		*rows = (long)json_array_size(t) - 1;
	json_decref(t);
	return rc;
}

int export_buffer(struct office *o, enum export_what what,
		  enum export_format fmt, const char *batch, char **out,
		  size_t *len, struct qerr *e)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	long rows = 0;
	int fd, rc;

	assert(o && out && len);
	*out = NULL;
	*len = 0;
	snprintf(path, sizeof(path), "%s/quan-export-XXXXXX",
		 dir && dir[0] ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return qerr_set(e, Q_ERR_IO, "",
				"cannot make a temporary "
				"file for the export: %s",
				strerror(errno));
	close(fd);
	rc = export_write(o, what, fmt, batch, path, &rows, e);
	if (!rc)
		rc = file_read(path, (size_t)1 << 30, "an export", out, len, e);
	unlink(path);
	return rc;
}
