/*
 * holidays.c - the State Council's holiday calendar: loading
 * data/holidays.yaml and counting working days with it.
 */
#include "policy/holidays.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "policy/yamldoc.h"

/* What the loader reads: the file's name for messages, and e. */
struct hload {
	const char *name;
	struct qerr *e;
};

static int bad(struct hload *c, struct fy_node *n, const char *what)
{
	struct loc l = yamldoc_loc(n, (struct loc){0, 0});

	return qerr_set(c->e, Q_ERR_INVALID, "holidays", "%s:%d:%d: %s",
			c->name, l.line, l.col, what);
}

/* The scalar under key of map m, or NULL. */
static const char *scalar(struct fy_node *m, const char *key, size_t *len)
{
	struct fy_node *v = fy_node_mapping_lookup_by_string(m, key, FY_NT);

	*len = 0;
	return v && fy_node_is_scalar(v) ? fy_node_get_scalar(v, len) : NULL;
}

static int date_at(struct hload *c, struct fy_node *n, const char *s,
		   size_t len, int year, qdate *out)
{
	struct qerr e2;

	if (!s || date_parse(s, len, out, "date", &e2))
		return bad(c, n, "not a date YYYY-MM-DD");
	if (year && date_year(*out) != year)
		return bad(c, n, "a day of another year than the entry's");
	return Q_OK;
}

static int cmp_qdate(const void *a, const void *b)
{
	qdate x = *(const qdate *)a, y = *(const qdate *)b;

	return (x > y) - (x < y);
}

/* Sorted, and each once. */
static bool distinct(qdate *d, size_t n)
{
	qsort(d, n, sizeof(*d), cmp_qdate);
	for (size_t i = 1; i < n; i++)
		if (d[i] == d[i - 1])
			return false;
	return true;
}

static int load_holidays(struct hload *c, struct fy_node *seq,
			 struct holidays_year *y)
{
	void *it = NULL;
	struct fy_node *r;

	if (!seq || !fy_node_is_sequence(seq))
		return bad(c, seq, "holidays: a list of {name, from, to}");
	while ((r = fy_node_sequence_iterate(seq, &it))) {
		qdate from, to;
		size_t fl, tl, nl;
		const char *f = scalar(r, "from", &fl);
		const char *t = scalar(r, "to", &tl);

		if (!yamldoc_is_map(r) || !scalar(r, "name", &nl) || !nl)
			return bad(c, r, "a holiday has a name, from and to");
		if (date_at(c, r, f, fl, y->year, &from) ||
		    date_at(c, r, t, tl, y->year, &to))
			return c->e->code;
		if (to < from)
			return bad(c, r, "a holiday ends before it starts");
		for (qdate d = from; d <= to; d++) {
			if (y->noff == sizeof(y->off) / sizeof(y->off[0]))
				return bad(c, r, "too many days off");
			y->off[y->noff++] = d;
		}
	}
	if (!distinct(y->off, y->noff))
		return bad(c, seq, "a day off is listed twice");
	return Q_OK;
}

static int load_worked(struct hload *c, struct fy_node *seq,
		       struct holidays_year *y)
{
	void *it = NULL;
	struct fy_node *r;

	if (!seq || !fy_node_is_sequence(seq))
		return bad(c, seq, "workdays: a list of dates");
	while ((r = fy_node_sequence_iterate(seq, &it))) {
		size_t len = 0;
		const char *s = fy_node_is_scalar(r)
					? fy_node_get_scalar(r, &len)
					: NULL;

		if (y->nworked == HOLIDAYS_MAX_DAYS)
			return bad(c, r, "too many workdays");
		if (date_at(c, r, s, len, y->year, &y->worked[y->nworked]))
			return c->e->code;
		y->nworked++;
	}
	if (!distinct(y->worked, y->nworked))
		return bad(c, seq, "a workday is listed twice");
	return Q_OK;
}

static int load_year(struct hload *c, struct fy_node *m,
		     struct holidays_year *y)
{
	size_t len;
	const char *s;
	int rc;

	if (!yamldoc_is_map(m))
		return bad(c, m, "a year is a mapping");
	s = scalar(m, "year", &len);
	y->year = 0;
	for (size_t i = 0; s && i < len && i < 5; i++)
		y->year = s[i] >= '0' && s[i] <= '9' ? y->year * 10 + s[i] - '0'
						     : -1;
	if (!s || len != 4 || y->year < DATE_MIN_YEAR ||
	    y->year > DATE_MAX_YEAR)
		return bad(c, m, "year: a year YYYY");
	/* The notice is cited by its document number, or, where the number
	 * was not in the text read, by the address the text was read at. */
	s = scalar(m, "number", &len);
	if (s && (!len || len >= sizeof(y->number)))
		return bad(c, m, "number: the notice's document number");
	if (s) {
		memcpy(y->number, s, len);
		y->number[len] = '\0';
	}
	s = scalar(m, "url", &len);
	if (s && (len < 8 || len >= sizeof(y->url) ||
		  (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))))
		return bad(c, m, "url: the address the notice was read at");
	if (s) {
		memcpy(y->url, s, len);
		y->url[len] = '\0';
	}
	if (!y->number[0] && !y->url[0])
		return bad(c, m,
			   "number: the notice's document number (or url: "
			   "the address its text was read at)");
	if (!scalar(m, "notice", &len) || !len)
		return bad(c, m, "notice: the notice's title");
	s = scalar(m, "date", &len);
	if ((rc = date_at(c, m, s, len, 0, &y->published)))
		return rc;
	rc = load_holidays(
		c, fy_node_mapping_lookup_by_string(m, "holidays", FY_NT), y);
	if (!rc)
		rc = load_worked(
			c,
			fy_node_mapping_lookup_by_string(m, "workdays", FY_NT),
			y);
	return rc;
}

static int cmp_year(const void *a, const void *b)
{
	const struct holidays_year *x = a, *y = b;

	return (x->year > y->year) - (x->year < y->year);
}

int holidays_load_buf(const char *name, const char *buf, size_t len,
		      struct holidays *out, struct qerr *e)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct hload c = {name, e};
	struct yamldoc y;
	struct fy_node *years, *r;
	void *it = NULL;
	size_t nerr = 0;
	int rc;

	assert(name && buf && out);
	memset(out, 0, sizeof(*out));
	rc = yamldoc_load(&y, name, buf, len, "the holiday calendar", &d,
			  &nerr);
	if (rc) {
		rc = qerr_set(
			e, rc == Q_ERR_NOMEM ? Q_ERR_NOMEM : Q_ERR_INVALID,
			"holidays", "%s:%d:%d: %s", name,
			d.n ? d.items[0].line : 0, d.n ? d.items[0].col : 0,
			d.n ? d.items[0].msg : "not YAML");
		goto out;
	}
	years = yamldoc_is_map(y.root) ? fy_node_mapping_lookup_by_string(
						 y.root, "years", FY_NT)
				       : NULL;
	if (!years || !fy_node_is_sequence(years) ||
	    fy_node_sequence_item_count(years) < 1 ||
	    fy_node_sequence_item_count(years) > HOLIDAYS_MAX_YEARS) {
		rc = bad(&c, y.root, "years: a list of 1 to 64 years");
		goto out;
	}
	out->years = calloc((size_t)fy_node_sequence_item_count(years),
			    sizeof(*out->years));
	if (!out->years) {
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto out;
	}
	while (!rc && (r = fy_node_sequence_iterate(years, &it)))
		rc = load_year(&c, r, &out->years[out->nyears++]);
	if (rc)
		goto out;
	qsort(out->years, out->nyears, sizeof(*out->years), cmp_year);
	for (size_t i = 1; i < out->nyears; i++)
		if (out->years[i].year == out->years[i - 1].year) {
			rc = bad(&c, years, "a year is listed twice");
			goto out;
		}
out:
	yamldoc_release(&y);
	diag_release(&d);
	if (rc)
		holidays_release(out);
	return rc;
}

int holidays_load(const char *path, struct holidays *out, struct qerr *e)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	assert(path && out);
	memset(out, 0, sizeof(*out));
	rc = file_read(path, HOLIDAYS_MAX_BYTES, "a holiday calendar", &buf,
		       &len, e);
	if (!rc)
		rc = holidays_load_buf(path, buf, len, out, e);
	free(buf);
	return rc;
}

void holidays_release(struct holidays *h)
{
	if (!h)
		return;
	free(h->years);
	h->years = NULL;
	h->nyears = 0;
}

const struct holidays_year *holidays_year(const struct holidays *h, int y)
{
	assert(h);
	for (size_t i = 0; i < h->nyears; i++)
		if (h->years[i].year == y)
			return &h->years[i];
	return NULL;
}

static bool listed(const qdate *days, size_t n, qdate d)
{
	return bsearch(&d, days, n, sizeof(*days), cmp_qdate) != NULL;
}

int holidays_is_working(const struct holidays *h, qdate d, bool *working,
			struct qerr *e)
{
	const struct holidays_year *y = holidays_year(h, date_year(d));
	int wd;

	assert(working);
	if (!y) {
		char buf[DATE_TEXT_MAX];

		return qerr_set(
			e, Q_ERR_INVALID, "holidays",
			"the holiday calendar does not hold the year %d (needed for %s): add the State Council's notice for %d to data/holidays.yaml",
			date_year(d), date_format(d, buf), date_year(d));
	}
	/* 1970-01-01 was a Thursday: 0 is Monday ... 6 Sunday. */
	wd = (int)(((int64_t)d % 7 + 7 + 3) % 7);
	if (listed(y->worked, y->nworked, d))
		*working = true;
	else
		*working = wd < 5 && !listed(y->off, y->noff, d);
	return Q_OK;
}

int holidays_add_working_days(const struct holidays *h, qdate start, int n,
			      qdate *end, struct qerr *e)
{
	qdate d = start;
	int rc;

	assert(h && end);
	assert(n >= 1 && n <= 366);
	for (int count = 0;; d++) {
		bool w;

		if ((rc = holidays_is_working(h, d, &w, e)))
			return rc;
		if (w && ++count == n)
			break;
	}
	*end = d;
	return Q_OK;
}
