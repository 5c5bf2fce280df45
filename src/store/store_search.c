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

/* Write the bigrams of name (len bytes) for application seq, up to
 * SQL_GRAMS_MAX in each statement (one statement for most names). */
static int grams_write(struct store *s, int64_t seq, const char *name,
		       size_t len, struct qerr *e)
{
	size_t at[SQL_GRAMS_MAX], gl[SQL_GRAMS_MAX];
	size_t i = 0;
	int rc = Q_OK;

	assert(s && seq > 0);
	assert(name || !len);
	while (!rc && i < len) {
		struct drv_stmt *st;
		int k = 0;

		/* Each pair of neighbouring characters; a pair seen twice
		 * in one name is refused quietly by the primary key. */
		while (k < SQL_GRAMS_MAX && i < len) {
			size_t g = store_first_gram(name + i, len - i);

			if (!g)
				break;
			at[k] = i;
			gl[k++] = g;
			i += utf8_len((unsigned char)name[i]);
		}
		if (!k)
			break;
		rc = store_stmt(s, (enum sql_stmt)(ST_APP_GRAMS + k - 1), &st,
				e);
		if (rc)
			break;
		bind_int(st, 1, seq);
		for (int j = 0; j < k; j++)
			st->ops->bind_text(st, j + 2, name + at[j], gl[j]);
		rc = store_write(st, "indexing an applicant's name", e);
		if (k < SQL_GRAMS_MAX)
			break;
	}
	return rc;
}

int store_app_grams_put(struct store *s, int64_t seq, const char *name,
			const char *json, struct qerr *e)
{
	json_t *j;
	int rc;

	assert(s && seq > 0);
	if (name)
		return grams_write(s, seq, name, strlen(name), e);
	if (!json)
		return Q_OK;
	/* A row from elsewhere (a copy of a store, a test): the name is in
	 * its JSON. The office's own intake passes the parsed name. */
	j = json_loads(json, 0, NULL);
	name = json_string_value(
		json_object_get(json_object_get(j, "applicant"), "name"));
	rc = grams_write(s, seq, name, name ? strlen(name) : 0, e);
	json_decref(j);
	return rc;
}

/* Past this many rows a driver's index is no help on its own: what the
 * search wants is common, so reading in the sort's order is likely to
 * find a page soon (the USCC prefix goes on in store_app_search when it
 * does not). */
#define DRIVER_CAP STORE_RANGE_SMALL

/* The rows statement id (bound: ?1 text1, ?2 text2 when not NULL, then
 * the cap) reads, up to cap, into *n. */
static int count_capped(struct store *s, enum sql_stmt id, const char *t1,
			size_t len1, const char *t2, int64_t cap, int64_t *n,
			struct qerr *e)
{
	struct drv_stmt *st;
	int i = 1, rc = store_stmt(s, id, &st, e);

	assert(cap > 0);
	if (rc)
		return rc;
	st->ops->bind_text(st, i++, t1, len1);
	if (t2)
		bind_text(st, i++, t2);
	bind_int(st, i, cap);
	rc = step(st, "counting a search's rows", e);
	*n = rc == DRV_ROW ? st->ops->column_int(st, 0) : 0;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

/* One search under way: what it asks, how it is read (the driver, and
 * its gram or range), where it stands (the cursor: the last row's key
 * and seq), how many rows it may still visit, and the page buffer (cap
 * rows) the rows are read into before they are visited. */
struct search_state {
	const struct store_app_query *q;
	int driver;
	size_t gat, glen;
	char hi[24], like[24];
	int64_t key, seq;
	long left;
	bool stop;
	struct store_app *page;
	size_t cap;
	int (*fn)(void *arg, const struct store_app *a);
	void *arg;
};

/* The driver of q (sql.h SQL_SEARCH_*) into sr and, for a name, the
 * offset (gat) and length (glen) of the rarest of its first 8 bigrams:
 * the index that reads fewest rows, unless even that reads DRIVER_CAP
 * or more (then the sort's own index). */
static int pick_driver(struct store *s, struct search_state *sr, struct qerr *e)
{
	const struct store_app_query *q = sr->q;
	int64_t best = DRIVER_CAP, n;
	size_t len = q->q ? strlen(q->q) : 0;
	int rc = Q_OK;

	sr->driver = SQL_SEARCH_BY_ORDER;
	for (size_t i = 0, k = 0; !rc && i < len && k < 8; k++) {
		size_t g = store_first_gram(q->q + i, len - i);

		if (!g)
			break;
		rc = count_capped(s, ST_APP_GRAM_COUNT, q->q + i, g, NULL,
				  DRIVER_CAP, &n, e);
		if (!rc && n < best) {
			best = n;
			sr->driver = SQL_SEARCH_BY_GRAM;
			sr->gat = i;
			sr->glen = g;
		}
		i += utf8_len((unsigned char)q->q[i]);
	}
	if (!rc && q->uscc_prefix && q->plan == STORE_PLAN_RANGE)
		sr->driver = SQL_SEARCH_BY_USCC;
	else if (!rc && q->uscc_prefix && q->plan == STORE_PLAN_AUTO) {
		rc = count_capped(s, ST_APP_USCC_COUNT, q->uscc_prefix,
				  strlen(q->uscc_prefix), sr->hi, DRIVER_CAP,
				  &n, e);
		if (!rc && n < best)
			sr->driver = SQL_SEARCH_BY_USCC;
	}
	return rc;
}

static bool sort_desc(enum store_sort sort)
{
	return sort == STORE_SORT_RECEIVED_DESC ||
	       sort == STORE_SORT_AMOUNT_DESC;
}

/* The cursor key of a for sort. */
static int64_t key_of(const struct store_app *a, int sort)
{
	return sort == STORE_SORT_AMOUNT || sort == STORE_SORT_AMOUNT_DESC
		       ? a->requested
		       : a->received_at;
}

/* Bind q's filters to st (sql.c SEARCH), and the driver's ?15..?16:
 * the gram (glen bytes of q->q from gat), or the prefix's range. */
static void bind_query(struct drv_stmt *st, const struct store_app_query *q,
		       const struct search_state *sr)
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
	/* The range is the prefix (a USCC holds digits and capitals only,
	 * all below '~'): its LIKE would cost more than the rest. */
	bind_nullable(st, 14,
		      q->uscc_prefix && sr->driver != SQL_SEARCH_BY_USCC
			      ? sr->like
			      : NULL);
	if (sr->driver == SQL_SEARCH_BY_GRAM) {
		st->ops->bind_text(st, 15, q->q + sr->gat, sr->glen);
	} else if (sr->driver == SQL_SEARCH_BY_USCC) {
		bind_text(st, 15, q->uscc_prefix);
		bind_text(st, 16, sr->hi);
	}
}

/* Read what q selects after sr's cursor through sr's driver, a page at
 * a time, and visit it, until the rows run out, sr->left reaches 0 or
 * the visitor stops. q is sr->q or a copy of it with a narrower bound. */
static int search_run(struct store *s, struct search_state *sr,
		      const struct store_app_query *q, struct qerr *e)
{
	int rc = Q_OK;

	assert(sr->cap > 0 && sr->left > 0);
	while (!rc && !sr->stop && sr->left > 0) {
		long want = sr->left < (long)sr->cap ? sr->left : (long)sr->cap;
		struct drv_stmt *st;
		size_t n = 0;

		rc = store_stmt(s,
				(enum sql_stmt)(ST_APP_SEARCH + 3 * q->sort +
						sr->driver),
				&st, e);
		if (rc)
			break;
		bind_int(st, 1, sr->key);
		bind_int(st, 2, sr->seq);
		bind_int(st, 3, want);
		bind_query(st, q, sr);
		rc = app_page_n(st, sr->page, sr->cap, &n, e);
		if (n) {
			sr->key = key_of(&sr->page[n - 1], q->sort);
			sr->seq = sr->page[n - 1].seq;
		}
		app_visit(sr->page, n, !rc, sr->fn, sr->arg, &sr->stop);
		sr->left -= (long)n;
		if ((long)n < want)
			break;
	}
	return rc;
}

/* The sort key of the row STORE_WALK_BUDGET rows on from sr's cursor in
 * its sort's order (whatever the filters), into *edge; *found false when
 * fewer rows are left. */
static int walk_edge(struct store *s, const struct search_state *sr,
		     int64_t *edge, bool *found, struct qerr *e)
{
	struct drv_stmt *st;
	int rc = store_stmt(
		s, (enum sql_stmt)(ST_APP_SEARCH_EDGE + sr->q->sort), &st, e);

	if (rc)
		return rc;
	bind_int(st, 1, sr->key);
	bind_int(st, 2, sr->seq);
	bind_int(st, 3, STORE_WALK_BUDGET - 1);
	rc = step(st, "finding where a walk ends", e);
	*found = rc == DRV_ROW;
	*edge = *found ? st->ops->column_int(st, 0) : 0;
	done(st);
	return rc == DRV_ROW || rc == DRV_DONE ? Q_OK : rc;
}

/* A USCC prefix of DRIVER_CAP rows or more (STORE_PLAN_AUTO). A common
 * prefix spread over the office fills a page within a few rows of the
 * sort's order, but one whose rows lie together (a block of firms that
 * applied in a week, or the bench's numbered ones) is reached only after
 * everything before it is read: a million rows. So: walk at most
 * STORE_WALK_BUDGET rows in order (bounded by the sort key of the last
 * one, through the filters' own bound: every row up to that key is
 * read); if the page is not full, count the prefix's rows, and read the
 * rest of the page by its index when they are fewer than STORE_RANGE_CAP
 * (migration 20's index answers that from itself), or walk on. Each step
 * goes on from the cursor the one before left, and every plan's
 * statement orders by (key, seq), so the page is the one the walk alone
 * would answer. */
static int search_broad(struct store *s, struct search_state *sr,
			struct qerr *e)
{
	struct store_app_query b = *sr->q;
	bool desc = sort_desc(b.sort), found;
	int64_t edge, n;
	int rc;

	assert(sr->driver == SQL_SEARCH_BY_ORDER && b.uscc_prefix);
	rc = walk_edge(s, sr, &edge, &found, e);
	if (rc || !found)
		return rc ? rc : search_run(s, sr, sr->q, e);
	if (b.sort == STORE_SORT_RECEIVED && edge < b.received_to)
		b.received_to = edge;
	else if (b.sort == STORE_SORT_RECEIVED_DESC && edge > b.received_from)
		b.received_from = edge;
	else if (b.sort == STORE_SORT_AMOUNT && edge < b.amount_max)
		b.amount_max = edge;
	else if (b.sort == STORE_SORT_AMOUNT_DESC && edge > b.amount_min)
		b.amount_min = edge;
	rc = search_run(s, sr, &b, e);
	if (rc || sr->stop || sr->left <= 0)
		return rc;
	/* Every row up to the edge's key has been read. */
	sr->key = edge;
	sr->seq = desc ? INT64_MIN : INT64_MAX;
	rc = count_capped(s, ST_APP_USCC_COUNT, b.uscc_prefix,
			  strlen(b.uscc_prefix), sr->hi, STORE_RANGE_CAP, &n,
			  e);
	if (!rc && n < STORE_RANGE_CAP)
		sr->driver = SQL_SEARCH_BY_USCC;
	return rc ? rc : search_run(s, sr, sr->q, e);
}

int store_app_search(struct store *s, const struct store_app_query *q,
		     int (*fn)(void *arg, const struct store_app *a), void *arg,
		     struct qerr *e)
{
	struct search_state sr = {0};
	int rc;

	assert(s && q && fn);
	if (q->sort < 0 || q->sort > STORE_SORT_AMOUNT_DESC)
		return qerr_set(e, Q_ERR_INVALID, "sort", "unknown sort %d",
				q->sort);
	if (q->state >= APP__STATE_COUNT || q->state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				q->state);
	if (q->plan < STORE_PLAN_AUTO || q->plan > STORE_PLAN_RANGE)
		return qerr_set(e, Q_ERR_INVALID, "plan", "unknown plan %d",
				q->plan);
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
		snprintf(sr.hi, sizeof(sr.hi), "%s~", q->uscc_prefix);
		snprintf(sr.like, sizeof(sr.like), "%s%%", q->uscc_prefix);
	}
	sr.q = q;
	sr.fn = fn;
	sr.arg = arg;
	sr.left = q->limit > 0 && q->limit <= 1000 ? q->limit : 100;
	sr.key = sort_desc(q->sort) ? INT64_MAX : INT64_MIN;
	sr.seq = sr.key;
	if (q->after_set) {
		sr.key = q->after_key;
		sr.seq = q->after_seq;
	}
	rc = pick_driver(s, &sr, e);
	if (rc)
		return rc;
	/* The whole page in one statement: a driver's index read again for
	 * each SQL_PAGE rows would cost as much again each time. */
	sr.cap = (size_t)sr.left;
	sr.page = calloc(sr.cap, sizeof(*sr.page));
	if (!sr.page)
		return store_nomem(e);
	if (sr.driver == SQL_SEARCH_BY_ORDER && q->uscc_prefix &&
	    q->plan == STORE_PLAN_AUTO)
		rc = search_broad(s, &sr, e);
	else
		rc = search_run(s, &sr, q, e);
	free(sr.page);
	return rc;
}
