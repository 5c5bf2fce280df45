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

/* Past this many rows a driver's index is no help: what the search
 * wants is common, so reading in the sort's order finds a page soon. */
#define DRIVER_CAP 2000

/* The rows statement id (bound: ?1 text1, ?2 text2 when not NULL, then
 * the cap) reads, up to DRIVER_CAP, into *n. */
static int count_capped(struct store *s, enum sql_stmt id, const char *t1,
			size_t len1, const char *t2, int64_t *n, struct qerr *e)
{
	struct drv_stmt *st;
	int i = 1, rc = store_stmt(s, id, &st, e);

	if (rc)
		return rc;
	st->ops->bind_text(st, i++, t1, len1);
	if (t2)
		bind_text(st, i++, t2);
	bind_int(st, i, DRIVER_CAP);
	rc = step(st, "counting a search's rows", e);
	*n = rc == DRV_ROW ? st->ops->column_int(st, 0) : 0;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

/* The driver of q (sql.h SQL_SEARCH_*) and, for a name, the offset
 * (*gat) and length (*glen) of the rarest of its first 8 bigrams: the
 * index that reads fewest rows, unless even that reads DRIVER_CAP or
 * more (then the sort's own index). */
static int pick_driver(struct store *s, const struct store_app_query *q,
		       const char *hi, int *driver, size_t *gat, size_t *glen,
		       struct qerr *e)
{
	int64_t best = DRIVER_CAP, n;
	size_t len = q->q ? strlen(q->q) : 0;
	int rc = Q_OK;

	*driver = SQL_SEARCH_BY_ORDER;
	for (size_t i = 0, k = 0; !rc && i < len && k < 8; k++) {
		size_t g = store_first_gram(q->q + i, len - i);

		if (!g)
			break;
		rc = count_capped(s, ST_APP_GRAM_COUNT, q->q + i, g, NULL, &n,
				  e);
		if (!rc && n < best) {
			best = n;
			*driver = SQL_SEARCH_BY_GRAM;
			*gat = i;
			*glen = g;
		}
		i += utf8_len((unsigned char)q->q[i]);
	}
	if (!rc && q->uscc_prefix) {
		rc = count_capped(s, ST_APP_USCC_COUNT, q->uscc_prefix,
				  strlen(q->uscc_prefix), hi, &n, e);
		if (!rc && n < best)
			*driver = SQL_SEARCH_BY_USCC;
	}
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
 * the gram (glen bytes of q->q from gat), or the prefix's range up to
 * hi. */
static void bind_query(struct drv_stmt *st, const struct store_app_query *q,
		       int driver, size_t gat, size_t glen, const char *hi,
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
		st->ops->bind_text(st, 15, q->q + gat, glen);
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
	size_t gat = 0, glen = 0;
	char hi[24] = "", like[24];
	int driver = SQL_SEARCH_BY_ORDER;
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
	rc = pick_driver(s, q, hi, &driver, &gat, &glen, e);
	if (rc)
		return rc;
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
		bind_query(st, q, driver, gat, glen, hi, like);
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
