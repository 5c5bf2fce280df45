/*
 * appcsv.c - applications as rows of a CSV file (appcsv.h).
 */
#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "sim/appcsv.h"

enum ctype { C_STR, C_BOOL, C_INT, C_LIST, C_AT };

/* The columns: name, the application's field it fills, its type. */
static const struct column {
	const char *name, *path;
	enum ctype type;
} cols[] = {
	{"client_ref", "client_ref", C_STR},
	{"program", "program", C_STR},
	{"measure", "measure", C_STR},
	{"received_at", "received_at", C_AT},
	{"applicant_uscc", "applicant.uscc", C_STR},
	{"applicant_name", "applicant.name", C_STR},
	{"applicant_kind", "applicant.kind", C_STR},
	{"registered_city", "applicant.registered_city", C_STR},
	{"industry", "applicant.industry", C_STR},
	{"sme", "applicant.sme", C_BOOL},
	{"startup", "applicant.startup", C_BOOL},
	{"registered_model", "applicant.registered_model", C_BOOL},
	{"last_bad_credit_on", "applicant.last_bad_credit_on", C_STR},
	{"applicant_controllers", "applicant.controllers", C_LIST},
	{"supplier_uscc", "supplier.uscc", C_STR},
	{"supplier_name", "supplier.name", C_STR},
	{"platform_listed", "supplier.platform_listed", C_BOOL},
	{"supplier_controllers", "supplier.controllers", C_LIST},
	{"contract_number", "contract.number", C_STR},
	{"kind", "contract.kind", C_STR},
	{"value", "contract.value", C_STR},
	{"signed_on", "contract.signed_on", C_STR},
	{"term_months", "contract.term_months", C_INT},
	{"uses_registered_model", "contract.uses_registered_model", C_BOOL},
	{"chip", "contract.compute.chip", C_STR},
	{"accelerators", "contract.compute.accelerators", C_INT},
	{"hours", "contract.compute.hours", C_INT},
	{"location", "contract.compute.location", C_STR},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
#define COL_RECEIVED_AT 3

/* Put an error at (line, col) of r's file: "name:line:col: ...". */
static int at_place(const struct appcsv *r, struct qerr *e, int code, long line,
		    size_t col, const char *field, const char *msg)
{
	return qerr_set(e, code, field, "%s:%ld:%zu: %s", r->name, line, col,
			msg);
}

int appcsv_open(struct appcsv *r, const char *name, const char *buf, size_t len,
		bool need_received_at, struct qerr *e)
{
	bool seen[NCOLS] = {false};
	size_t n = 0;
	char msg[300];
	int rc;

	assert(r && name && (buf || !len));
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->need_received_at = need_received_at;
	r->f = malloc(CSV_MAX_FIELDS * sizeof(*r->f));
	if (!r->f)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	if (len > APPCSV_MAX_BYTES)
		return qerr_set(e, Q_ERR_TOO_LARGE, "", "%s: above %llu bytes",
				name, (unsigned long long)APPCSV_MAX_BYTES);
	csv_init(&r->c, buf, len);
	rc = csv_next(&r->c, r->f, &n, e);
	if (rc)
		return qerr_set(e, rc, "", "%s:%s", name, e->msg);
	if (n == 0)
		return at_place(r, e, Q_ERR_INVALID, 1, 1, "",
				"no header: the first line names the columns");
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < NCOLS && strcmp(cols[k].name, r->f[i]); k++)
			;
		if (k == NCOLS || seen[k]) {
			snprintf(msg, sizeof(msg), "%s column '%.64s'",
				 k == NCOLS ? "unknown" : "repeated", r->f[i]);
			return at_place(r, e, Q_ERR_INVALID, r->c.record_line,
					i + 1, "", msg);
		}
		seen[k] = true;
		r->col[i] = (int)k;
	}
	r->ncols = n;
	if (need_received_at && !seen[COL_RECEIVED_AT])
		return at_place(
			r, e, Q_ERR_INVALID, r->c.record_line, 1, "",
			"no column 'received_at': a population gives every row its arrival time");
	return Q_OK;
}

void appcsv_release(struct appcsv *r)
{
	if (!r)
		return;
	free(r->f);
	r->f = NULL;
}

/* The object at dotted path's parent in root, made on the way; *key
 * gets the last part. */
static json_t *parent_of(json_t *root, const char *path, const char **key)
{
	char part[32];
	const char *dot;
	json_t *o = root;

	while ((dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);
		json_t *c;

		assert(n < sizeof(part));
		memcpy(part, path, n);
		part[n] = '\0';
		c = json_object_get(o, part);
		if (!c) {
			c = json_object();
			if (!c || json_object_set_new(o, part, c))
				return NULL;
		}
		o = c;
		path = dot + 1;
	}
	*key = path;
	return o;
}

/* The JSON value of cell s under column c, or NULL with why filled. */
static json_t *cell_value(const struct column *c, const char *s, char *why,
			  size_t n)
{
	if (c->type == C_STR)
		return json_string(s);
	if (c->type == C_BOOL) {
		if (!strcmp(s, "true"))
			return json_true();
		if (!strcmp(s, "false"))
			return json_false();
		snprintf(why, n, "'%.64s' is not true or false", s);
		return NULL;
	}
	if (c->type == C_INT) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || end == s || *end || s[0] == '+' || s[0] == ' ') {
			snprintf(why, n, "'%.64s' is not a whole number", s);
			return NULL;
		}
		return json_integer((json_int_t)v);
	}
	assert(c->type == C_LIST);
	{
		json_t *a = json_array();
		const char *p = s;

		while (a && *p) {
			const char *semi = strchr(p, ';');
			size_t len = semi ? (size_t)(semi - p) : strlen(p);

			if (json_array_append_new(a, json_stringn(p, len))) {
				json_decref(a);
				return NULL;
			}
			p += len + (semi ? 1 : 0);
		}
		return a;
	}
}

/* The file column of the field an application error blames, 0 when the
 * file has none. */
static size_t column_of(const struct appcsv *r, const char *field)
{
	size_t best = 0, bestlen = 0;

	for (size_t i = 0; i < r->ncols; i++) {
		const char *p = cols[r->col[i]].path;
		size_t n = strlen(p);

		if (n > bestlen && !strncmp(field, p, n) &&
		    (field[n] == '\0' || field[n] == '.' || field[n] == '[')) {
			best = i + 1;
			bestlen = n;
		}
	}
	return best;
}

/* The application of the row in r->f[0..n): *out. */
static int row_json(struct appcsv *r, size_t n, json_t **out, bool *has_at,
		    int64_t *at, struct qerr *e)
{
	json_t *root = json_object();
	char why[200], msg[300];

	*out = NULL;
	if (!root)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct column *c = &cols[r->col[i]];
		const char *key;
		json_t *parent, *v;

		if (!r->f[i][0])
			continue;
		if (c->type == C_AT) {
			struct qerr pe;

			qerr_clear(&pe);
			if (datetime_parse(r->f[i], strlen(r->f[i]), at, NULL,
					   "received_at", &pe)) {
				json_decref(root);
				snprintf(msg, sizeof(msg),
					 "column '%s': %.250s", c->name,
					 pe.msg);
				return at_place(r, e, Q_ERR_INVALID, r->line,
						i + 1, "received_at", msg);
			}
			*has_at = true;
			continue;
		}
		why[0] = '\0';
		v = cell_value(c, r->f[i], why, sizeof(why));
		parent = v ? parent_of(root, c->path, &key) : NULL;
		if (!v || !parent || json_object_set_new(parent, key, v)) {
			json_decref(root);
			if (!why[0])
				return qerr_set(e, Q_ERR_NOMEM, "",
						"out of memory");
			snprintf(msg, sizeof(msg), "column '%s': %s", c->name,
				 why);
			return at_place(r, e, Q_ERR_INVALID, r->line, i + 1,
					c->path, msg);
		}
	}
	if (r->need_received_at && !*has_at) {
		size_t col = 0;

		for (size_t i = 0; i < r->ncols; i++)
			if (r->col[i] == COL_RECEIVED_AT)
				col = i + 1;
		json_decref(root);
		return at_place(
			r, e, Q_ERR_INVALID, r->line, col, "received_at",
			"column 'received_at': empty: a population gives every row its arrival time");
	}
	*out = root;
	return Q_OK;
}

int appcsv_next(struct appcsv *r, char **json, size_t *len,
		struct application *app, bool *has_at, int64_t *at,
		struct qerr *e)
{
	struct application own;
	json_t *root;
	size_t n = 0;
	int rc;

	assert(r && r->f && json && len && has_at && at);
	*json = NULL;
	*len = 0;
	*has_at = false;
	*at = 0;
	rc = csv_next(&r->c, r->f, &n, e);
	if (rc)
		return qerr_set(e, rc, "", "%s:%s", r->name, e->msg);
	if (n == 0)
		return Q_OK;
	r->line = r->c.record_line;
	if (n != r->ncols) {
		char msg[120];

		snprintf(msg, sizeof(msg),
			 "%zu fields, but the header names %zu columns", n,
			 r->ncols);
		return at_place(r, e, Q_ERR_INVALID, r->line,
				n < r->ncols ? n : r->ncols + 1, "", msg);
	}
	rc = row_json(r, n, &root, has_at, at, e);
	if (rc)
		return rc;
	*json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*json)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	*len = strlen(*json);
	/* The row is checked as the JSON application it stands for. */
	rc = app_parse_json(*json, *len, app ? app : &own, e);
	if (!rc && !app)
		app_release(&own);
	if (rc) {
		struct qerr pe = *e;
		size_t col = column_of(r, pe.field);
		char msg[300];

		if (col)
			snprintf(msg, sizeof(msg), "column '%s': %.250s",
				 cols[r->col[col - 1]].name, pe.msg);
		else
			snprintf(msg, sizeof(msg), "%.280s", pe.msg);
		free(*json);
		*json = NULL;
		*len = 0;
		return at_place(r, e, rc, r->line, col ? col : 1, pe.field,
				msg);
	}
	return Q_OK;
}
