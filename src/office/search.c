/*
 * search.c - the queue's search parameters (search.h).
 */
#include "office/search.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "core/money.h"

const char *const search_params[] = {
	"q",	      "uscc_prefix",   "measure",     "flag", "amount_min",
	"amount_max", "received_from", "received_to", "sort", "after",
	NULL};

static const char *const sorts[] = {"received", "-received", "amount",
				    "-amount"};
/* The first character of a cursor, one per sort. */
static const char cursor_of[] = "rRaA";

void search_init(struct search *s)
{
	assert(s);
	memset(s, 0, sizeof(*s));
	s->q.state = -1;
	s->q.flag = -1;
	s->q.amount_max = INT64_MAX;
	s->q.received_from = INT64_MIN;
	s->q.received_to = INT64_MAX;
	s->q.sort = STORE_SORT_RECEIVED;
	s->q.limit = 100;
}

/* The epoch second a day of the office's calendar begins at, or (end)
 * its last. */
static int day_bound(const char *v, const char *name, bool end, int64_t *out,
		     struct qerr *e)
{
	qdate d;
	int rc = date_parse(v, strlen(v), &d, name, e);

	if (rc)
		return rc;
	*out = ((int64_t)d + (end ? 1 : 0)) * 86400 - DATE_OFFICE_OFFSET -
	       (end ? 1 : 0);
	return Q_OK;
}

int search_set(struct search *s, const char *name, const char *value,
	       struct qerr *e)
{
	struct store_app_query *q = &s->q;

	assert(s && name && value);
	if (!strcmp(name, "q"))
		q->q = *value ? value : NULL;
	else if (!strcmp(name, "uscc_prefix"))
		q->uscc_prefix = *value ? value : NULL;
	else if (!strcmp(name, "measure"))
		q->measure = *value ? value : NULL;
	else if (!strcmp(name, "after"))
		s->after = value;
	else if (!strcmp(name, "flag")) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return qerr_set(e, Q_ERR_INVALID, "flag",
					"flag: yes or no");
		q->flag = !strcmp(value, "yes");
	} else if (!strcmp(name, "amount_min"))
		return money_parse(value, strlen(value), &q->amount_min,
				   "amount_min", e);
	else if (!strcmp(name, "amount_max"))
		return money_parse(value, strlen(value), &q->amount_max,
				   "amount_max", e);
	else if (!strcmp(name, "received_from"))
		return day_bound(value, name, false, &q->received_from, e);
	else if (!strcmp(name, "received_to"))
		return day_bound(value, name, true, &q->received_to, e);
	else if (!strcmp(name, "sort")) {
		for (int i = 0; i < 4; i++)
			if (!strcmp(value, sorts[i])) {
				q->sort = (enum store_sort)i;
				return Q_OK;
			}
		return qerr_set(e, Q_ERR_INVALID, "sort",
				"sort: one of received, -received, amount, "
				"-amount");
	} else
		return qerr_set(e, Q_ERR_INVALID, name,
				"%s: not a search parameter", name);
	if (q->uscc_prefix) {
		size_t n = strlen(q->uscc_prefix);

		for (size_t i = 0; i < n; i++)
			if (n > 18 || !((q->uscc_prefix[i] >= '0' &&
					 q->uscc_prefix[i] <= '9') ||
					(q->uscc_prefix[i] >= 'A' &&
					 q->uscc_prefix[i] <= 'Z')))
				return qerr_set(e, Q_ERR_INVALID, "uscc_prefix",
						"uscc_prefix: up to 18 digits "
						"and capital letters");
	}
	return Q_OK;
}

int search_finish(struct search *s, struct qerr *e)
{
	const char *v = s->after;
	long long k, seq;
	char *end;

	assert(s && (unsigned)s->q.sort < 4);
	if (!v)
		return Q_OK;
	/* The sort's letter, its key, '.', the seq. */
	if (v[0] != cursor_of[s->q.sort])
		goto bad;
	k = strtoll(v + 1, &end, 10);
	if (end == v + 1 || *end != '.' || k < 0)
		goto bad;
	seq = strtoll(end + 1, &end, 10);
	if (*end || seq < 1)
		goto bad;
	s->q.after_set = true;
	s->q.after_key = k;
	s->q.after_seq = seq;
	return Q_OK;
bad:
	return qerr_set(e, Q_ERR_INVALID, "after",
			"after: not a cursor of this sort (pass next_after as "
			"it came, with the same sort)");
}

char *search_cursor(const struct search *s, const struct store_app *a,
		    char *buf)
{
	bool amount = s->q.sort == STORE_SORT_AMOUNT ||
		      s->q.sort == STORE_SORT_AMOUNT_DESC;

	assert(s && a && buf);
	snprintf(buf, SEARCH_CURSOR_MAX, "%c%lld.%lld", cursor_of[s->q.sort],
		 (long long)(amount ? a->requested : a->received_at),
		 (long long)a->seq);
	return buf;
}
