/*
 * test_search.c - the review queue's search (store_search.c) by USCC
 * prefix: every way of reading a prefix (STORE_PLAN_ORDER, the walk in
 * the sort's order; STORE_PLAN_RANGE, the prefix's index, sorted; and
 * STORE_PLAN_AUTO, which walks a little and then takes the index) must
 * answer the same pages, in the same order, with no row twice and none
 * missed across pages, on SQLite and, with QUAN_TEST_DB set, PostgreSQL
 * (testdb.h). The office is written behind the store's back, so that
 * its prefixes lie where the test wants them: one clustered in a block
 * of arrivals past the walk's budget, one clustered at the start, one
 * scattered and rare, one common everywhere; arrival times and amounts
 * repeat, so the ties are ordered by seq across the walk's edge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "testdb.h"

#define N 6000
#define T0 1759280400
#define BLOCK_FROM 2040 /* 91310115MB: the arrivals from here ... */
#define BLOCK_TO 4999	/* ... to here; 91310115MC after it */
#define RARE_EVERY 500	/* 92440300XY: every 500th */

static const int STATES[] = {APP_RESERVED, APP_WAITLISTED, APP_QUEUED,
			     APP_AWARDED};

/* What the test wrote of application i (seq i + 1). */
struct row {
	int64_t seq, received_at, requested;
	int state;
	char uscc[24];
};

struct fx {
	struct testdb db;
	struct store *s;
	struct row rows[N];
};

static void make_row(int i, struct row *r)
{
	r->seq = i + 1;
	r->received_at = T0 + i / 3; /* threes arrive together */
	r->requested = (int64_t)((i * 7919) % 97) * 1000; /* 97 amounts */
	r->state = STATES[i % 4];
	if (i % RARE_EVERY == 7)
		snprintf(r->uscc, sizeof(r->uscc), "92440300XY%08d", i);
	else if (i >= BLOCK_FROM && i <= BLOCK_TO)
		snprintf(r->uscc, sizeof(r->uscc), "91310115MB%08d", i);
	else if (i > BLOCK_TO)
		snprintf(r->uscc, sizeof(r->uscc), "91310115MC%08d", i);
	else
		snprintf(r->uscc, sizeof(r->uscc), "91310115MA%08d", i);
}

/* Write the office's N applications in one statement per 500. */
static int fill(struct fx *f)
{
	size_t cap = 600 * 500, at;
	char *sql = malloc(cap), why[256];
	int rc = 0;

	if (!sql)
		return -1;
	for (int i = 0; i < N; i++)
		make_row(i, &f->rows[i]);
	snprintf(sql, cap,
		 "INSERT INTO policies (hash, program, path, text, added_at) "
		 "VALUES ('sha256:t', 'shanghai-2025', 't', 't', 0)");
	if (testdb_exec(&f->db, sql, why, sizeof(why)))
		rc = -1;
	for (int i0 = 0; !rc && i0 < N; i0 += 500) {
		at = (size_t)snprintf(
			sql, cap,
			"INSERT INTO applications (id, program, measure, uscc, "
			"policy_hash, state, seq, fiscal_year, requested, "
			"awarded, paid, recovered, contract_value, compute, "
			"approver, received_at, updated_at, json, decision, "
			"approved_by) VALUES ");
		for (int i = i0; i < i0 + 500 && i < N; i++) {
			const struct row *r = &f->rows[i];

			at += (size_t)snprintf(
				sql + at, cap - at,
				"%s('SH-2025-%07d', 'shanghai-2025', "
				"'compute-rent', '%s', 'sha256:t', '%s', %lld, "
				"2025, %lld, 0, 0, 0, 0, 0, '', %lld, %lld, "
				"'{\"applicant\":{\"uscc\":\"%s\",\"name\":"
				"\"甲乙科技有限公司\"}}', 'Q1 m0', '')",
				i > i0 ? ", " : "", i + 1, r->uscc,
				app_state_name(r->state), (long long)r->seq,
				(long long)r->requested,
				(long long)r->received_at,
				(long long)r->received_at, r->uscc);
			assert_true(at < cap);
		}
		if (testdb_exec(&f->db, sql, why, sizeof(why))) {
			fprintf(stderr, "fill: %s\n", why);
			rc = -1;
		}
	}
	free(sql);
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct qerr e;

	if (!f)
		return -1;
	if (testdb_create(&f->db)) {
		free(f);
		return -1;
	}
	if (store_open(f->db.url, &f->s, &e)) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		testdb_drop(&f->db);
		free(f);
		return -1;
	}
	if (fill(f)) {
		store_close(f->s);
		testdb_drop(&f->db);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	testdb_drop(&f->db);
	free(f);
	return 0;
}

static int sort_of; /* for cmp_rows: qsort takes no context */

static int64_t key(const struct row *r, int sort)
{
	return sort >= STORE_SORT_AMOUNT ? r->requested : r->received_at;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int64_t kx = key(x, sort_of), ky = key(y, sort_of);
	int c = kx < ky		  ? -1
		: kx > ky	  ? 1
		: x->seq < y->seq ? -1
				  : x->seq > y->seq;

	return sort_of == STORE_SORT_RECEIVED_DESC ||
			       sort_of == STORE_SORT_AMOUNT_DESC
		       ? -c
		       : c;
}

/* The seqs prefix (and state, an enum app_state or -1 for any) selects in sort, worked out here
 * from what was written, into out; their count. */
static size_t expected(const struct fx *f, const char *prefix, int state,
		       int sort, int64_t *out)
{
	static struct row sel[N];
	size_t n = 0;

	for (int i = 0; i < N; i++)
		if (!strncmp(f->rows[i].uscc, prefix, strlen(prefix)) &&
		    (state < 0 || f->rows[i].state == state))
			sel[n++] = f->rows[i];
	sort_of = sort;
	qsort(sel, n, sizeof(*sel), cmp_rows);
	for (size_t i = 0; i < n; i++)
		out[i] = sel[i].seq;
	return n;
}

struct page {
	int64_t *seqs;
	size_t n, cap;
	int64_t last_key, last_seq;
	int sort;
};

static int visit(void *arg, const struct store_app *a)
{
	struct page *p = arg;

	assert_true(p->n < p->cap);
	p->seqs[p->n++] = a->seq;
	p->last_key =
		p->sort >= STORE_SORT_AMOUNT ? a->requested : a->received_at;
	p->last_seq = a->seq;
	return 0;
}

/* Every page of the search, limit rows each, after the cursor the page
 * before left, into out (cap); the count. */
static size_t all_pages(struct fx *f, const char *prefix, int state, int sort,
			int plan, long limit, int64_t *out, size_t cap)
{
	struct store_app_query q;
	struct page p = {out, 0, cap, 0, 0, sort};
	struct qerr e;

	memset(&q, 0, sizeof(q));
	q.uscc_prefix = prefix;
	q.state = state;
	q.flag = -1;
	q.amount_min = INT64_MIN;
	q.amount_max = INT64_MAX;
	q.received_from = INT64_MIN;
	q.received_to = INT64_MAX;
	q.sort = (enum store_sort)sort;
	q.limit = limit;
	q.plan = (enum store_plan)plan;
	for (bool short_page = false;;) {
		size_t before = p.n;

		if (store_app_search(f->s, &q, visit, &p, &e))
			fail_msg("search %s: %s", prefix, e.msg);
		if (p.n == before)
			break;
		/* Only the last page is short: the next one is empty. */
		assert_false(short_page);
		short_page = p.n - before < (size_t)limit;
		q.after_set = true;
		q.after_key = p.last_key;
		q.after_seq = p.last_seq;
	}
	return p.n;
}

static void same_pages(struct fx *f, const char *prefix, int state, long limit)
{
	static int64_t want[N], got[N];

	for (int sort = 0; sort <= STORE_SORT_AMOUNT_DESC; sort++) {
		size_t n = expected(f, prefix, state, sort, want);

		for (int plan = STORE_PLAN_AUTO; plan <= STORE_PLAN_RANGE;
		     plan++) {
			size_t m = all_pages(f, prefix, state, sort, plan,
					     limit, got, N);
			size_t k = 0;

			while (k < n && k < m && got[k] == want[k])
				k++;
			if (m != n || k < n)
				fail_msg("at %zu: seq %lld, want %lld; "
					 "prefix %s state %d sort %d plan %d "
					 "limit %ld: %zu rows, want %zu",
					 k, (long long)(k < m ? got[k] : 0),
					 (long long)(k < n ? want[k] : 0),
					 prefix, state, sort, plan, limit, m,
					 n);
		}
	}
}

/* A block of 2 960 arrivals (more than STORE_RANGE_SMALL) that begins 8
 * rows before the walk's budget runs out: oldest first, the walk finds
 * those and the index the rest of the first page. */
static void test_clustered_past_the_walk(void **state)
{
	struct fx *f = *state;

	same_pages(f, "91310115MB", -1, 97);
	same_pages(f, "91310115MB", -1, 1000);
	same_pages(f, "91310115MB", APP_QUEUED, 50); /* and a filter */
}

/* A block of 2 036 at the start: newest first, the walk finds none of
 * it, and the index all. */
static void test_clustered_at_the_start(void **state)
{
	struct fx *f = *state;

	same_pages(f, "91310115MA", -1, 333);
}

/* A rare prefix, scattered; a common one, everywhere; one firm. */
static void test_rare_common_and_whole(void **state)
{
	struct fx *f = *state;

	same_pages(f, "92440300XY", -1, 5);
	same_pages(f, "9131", -1, 500);
	same_pages(f, "91310115MB00003000", -1, 50);
	same_pages(f, "93", -1, 50); /* none */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clustered_past_the_walk,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_clustered_at_the_start,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rare_common_and_whole,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
