/*
 * store_search.c - the review queue's search: an applicant firm's name
 * (through the bigrams of app_grams, sql.c migration 18), a USCC prefix,
 * filters and four sorts, read a page at a time after a keyset cursor.
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Bytes of the UTF-8 character that begins with byte c (1 for a stray
 * continuation byte, so a walk always moves on). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

size_t store_first_gram(const char *s, size_t len)
{
	size_t a, b;

	assert(s);
	if (!len)
		return 0;
	a = utf8_len((unsigned char)s[0]);
	if (a >= len)
		return 0;
	b = utf8_len((unsigned char)s[a]);
	return a + b <= len ? a + b : 0;
}

int store_app_grams_put(struct store *s, int64_t seq, const char *json,
			struct qerr *e)
{
	json_t *j;
	const char *name;
	size_t len;
	int rc = Q_OK;

	assert(s && seq > 0);
	if (!json)
		return Q_OK;
	j = json_loads(json, 0, NULL);
	name = json_string_value(
		json_object_get(json_object_get(j, "applicant"), "name"));
	len = name ? strlen(name) : 0;
	/* Each pair of neighbouring characters; a pair seen twice in one
	 * name is refused quietly by the primary key (DO NOTHING). */
	for (size_t i = 0; !rc && i < len;) {
		size_t g = store_first_gram(name + i, len - i);
		struct drv_stmt *st;

		if (!g)
			break;
		rc = store_stmt(s, ST_APP_GRAM_PUT, &st, e);
		if (rc)
			break;
		st->ops->bind_text(st, 1, name + i, g);
		bind_int(st, 2, seq);
		rc = store_write(st, "indexing an applicant's name", e);
		i += utf8_len((unsigned char)name[i]);
	}
	json_decref(j);
	return rc;
}

/* The cursor key of a for sort. */
static int64_t key_of(const struct store_app *a, int sort)
{
	return sort == STORE_SORT_AMOUNT || sort == STORE_SORT_AMOUNT_DESC
		       ? a->requested
		       : a->received_at;
}

/* Bind q's filters to st (sql.c SEARCH), and the driver's ?15..?16:
 * the gram (glen bytes), or the prefix's range up to hi. */
static void bind_query(struct drv_stmt *st, const struct store_app_query *q,
		       int driver, size_t glen, const char *hi,
		       const char *like)
{
	bind_nullable(st, 4, q->program);
	bind_nullable(st, 5, q->measure);
	bind_nullable(st, 6, q->state >= 0 ? app_state_name(q->state) : NULL);
	bind_int(st, 7, q->amount_min);
	bind_int(st, 8, q->amount_max);
	bind_int(st, 9, q->received_from);
	bind_int(st, 10, q->received_to);
	if (q->flag >= 0)
		bind_int(st, 11, q->flag);
	bind_nullable(st, 12, q->q);
	bind_nullable(st, 13, q->uscc);
	bind_nullable(st, 14, q->uscc_prefix ? like : NULL);
	if (driver == SQL_SEARCH_BY_GRAM) {
		st->ops->bind_text(st, 15, q->q, glen);
	} else if (driver == SQL_SEARCH_BY_USCC) {
		bind_text(st, 15, q->uscc_prefix);
		bind_text(st, 16, hi);
	}
}

int store_app_search(struct store *s, const struct store_app_query *q,
		     int (*fn)(void *arg, const struct store_app *a), void *arg,
		     struct qerr *e)
{
	long limit = q->limit > 0 && q->limit <= 1000 ? q->limit : 100;
	bool desc = q->sort == STORE_SORT_RECEIVED_DESC ||
		    q->sort == STORE_SORT_AMOUNT_DESC;
	int64_t key = desc ? INT64_MAX : INT64_MIN;
	int64_t seq = desc ? INT64_MAX : INT64_MIN;
	size_t glen = q->q ? store_first_gram(q->q, strlen(q->q)) : 0;
	char hi[24], like[24];
	int driver = glen	      ? SQL_SEARCH_BY_GRAM
		     : q->uscc_prefix ? SQL_SEARCH_BY_USCC
				      : SQL_SEARCH_BY_ORDER;
	struct store_app *page;
	bool stop = false;
	size_t n = 0;
	int rc;

	assert(s && q && fn);
	if (q->sort < 0 || q->sort > STORE_SORT_AMOUNT_DESC)
		return qerr_set(e, Q_ERR_INVALID, "sort", "unknown sort %d",
				q->sort);
	if (q->state >= APP__STATE_COUNT || q->state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				q->state);
	if (q->uscc_prefix) {
		size_t pl = strlen(q->uscc_prefix);

		for (size_t i = 0; i < pl; i++)
			if (!((q->uscc_prefix[i] >= '0' &&
			       q->uscc_prefix[i] <= '9') ||
			      (q->uscc_prefix[i] >= 'A' &&
			       q->uscc_prefix[i] <= 'Z')) ||
			    pl > 18)
				return qerr_set(e, Q_ERR_INVALID, "uscc_prefix",
						"uscc_prefix: up to 18 digits "
						"and capital letters");
		/* Every USCC character sorts below '~', byte by byte. */
		snprintf(hi, sizeof(hi), "%s~", q->uscc_prefix);
		snprintf(like, sizeof(like), "%s%%", q->uscc_prefix);
	}
	if (q->after_set) {
		key = q->after_key;
		seq = q->after_seq;
	}
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	do {
		long want = limit < SQL_PAGE ? limit : SQL_PAGE;
		struct drv_stmt *st;

		rc = store_stmt(
			s,
			(enum sql_stmt)(ST_APP_SEARCH + 3 * q->sort + driver),
			&st, e);
		if (rc)
			break;
		bind_int(st, 1, key);
		bind_int(st, 2, seq);
		bind_int(st, 3, want);
		bind_query(st, q, driver, glen, hi, like);
		rc = app_page(st, page, &n, e);
		if (n) {
			key = key_of(&page[n - 1], q->sort);
			seq = page[n - 1].seq;
		}
		app_visit(page, n, !rc, fn, arg, &stop);
		limit -= (long)n;
		if ((long)n < want)
			break;
	} while (!rc && !stop && limit > 0);
	free(page);
	return rc;
}
