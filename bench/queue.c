/*
 * bench/queue - the review queue's search (store_app_search) over an
 * office of a million applications.
 *
 * Before any timing: N applications (1 000 000; --smoke: 20 000) and the
 * bigrams of their names, written with SQL into the store's own tables of
 * a SQLite office on the real disk under build/ (kept there and reused
 * while it holds them; see fill for why not through store_app_insert).
 * Each is from its own firm (a valid USCC), with a name of two to four
 * characters drawn from 200 and one of four common endings (科技有限公司
 * ...), one of four measures and four states, an amount and an arrival
 * time; every tenth decision carries a flag.
 *
 * Then it times searches of each kind, on distinct inputs, a page of 50
 * each: a two-character piece of a name, a whole distinctive name, a
 * common word (科技, in every fourth name), a USCC prefix, filters
 * (measure, state, amount range) oldest first, the largest amounts first
 * in a state, and the next page after a cursor. It prints p50 and p99 of
 * each kind, and as the baseline the same percentiles of a read of one
 * application by its id (the primary key) in the same process. The run
 * fails when a search answers what it should not (a name without the
 * text, a USCC outside the prefix, an order broken).
 *
 * usage: bench/queue [--smoke] [-n N]
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "core/uscc.h"
#include "store/store.h"

#define RUNS 400
#define PAGE 50
#define T0 1759280400 /* 2025-10-01T09:00:00+08:00 */

static const char *const VOCAB =
	"华为申通智算云图数联天启星河灵犀墨子青松海川远景博睿恒信鼎盛金桥"
	"东方明珠长江黄河泰山峨眉昆仑祁连天山珠峰洞庭鄱阳太湖西湖钱塘浦江"
	"宏图伟业兴旺发达繁荣昌盛吉祥如意安康福寿春夏秋冬梅兰竹菊松柏杨柳"
	"龙凤麒麟鹏鹤鹰燕雁鸿鹄锦绣山河日月星辰风云雷电雨雪霜露江湖海洋湾"
	"峰岭谷川原野林森木火土金水石玉珍宝琳琅璀璨辉煌光明正大中和平安宁"
	"静致远思源德仁义礼智勇诚信忠孝廉";
static const char *const ENDINGS[] = {"科技有限公司", "信息技术有限公司",
				      "数据服务有限公司", "智能装备有限公司"};
static const char *const MEASURES[] = {"compute-rent", "compute-buy", "corpus",
				       "model"};
static const int STATES[] = {APP_RESERVED, APP_WAITLISTED, APP_QUEUED,
			     APP_AWARDED};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct qerr *e)
{
	fprintf(stderr, "bench/queue: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

/* The k-th character of VOCAB (each three bytes of UTF-8). */
static const char *ch(size_t k)
{
	return VOCAB + 3 * (k % (strlen(VOCAB) / 3));
}

/* Application i's distinctive name part (2..4 characters), into buf. */
static void stem(long i, char *buf, size_t cap)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;
	int n = 2 + (int)((h >> 60) % 3);
	size_t at = 0;

	for (int k = 0; k < n && at + 4 < cap; k++, at += 3)
		memcpy(buf + at, ch((size_t)(h >> (8 * k)) % 251), 3);
	buf[at] = '\0';
}

static void firm(long i, char out[USCC_LEN + 1])
{
	char s17[32];

	snprintf(s17, sizeof(s17), "91310115MA%07ld", i % 10000000);
	snprintf(out, USCC_LEN + 1, "%.17s%c", s17, uscc_check_char(s17));
}

/* Bytes of the UTF-8 character that begins with byte c. */
static size_t u8len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static void sq_die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench/queue: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* Write n applications and their names' bigrams into the office at path
 * (its schema made by store_open), with SQL on the store's own tables in
 * one transaction and a page cache that holds the indexes: the store's
 * per-row path (store_app_insert, the same rows and bigrams) took more
 * than half an hour for a million on the shared machine. The tallies'
 * triggers fire as they do for the store's own inserts. */
static void fill(const char *path, long n)
{
	static const char *const state_names[] = {"reserved", "waitlisted",
						  "queued", "awarded"};
	char json[256], decision[64], name[64], id[32], uscc[USCC_LEN + 1];
	sqlite3_stmt *app, *gram;
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		sq_die(db, "open");
	if (sqlite3_exec(db,
			 "PRAGMA cache_size = -1000000; PRAGMA synchronous = "
			 "OFF; INSERT OR IGNORE INTO policies (hash, program, "
			 "path, text, added_at) VALUES ('sha256:bench', "
			 "'shanghai-2025', 'bench', 'bench', 0); BEGIN",
			 NULL, NULL, NULL) != SQLITE_OK)
		sq_die(db, "setting up");
	if (sqlite3_prepare_v2(
		    db,
		    "INSERT INTO applications (id, program, measure, uscc, "
		    "policy_hash, state, seq, fiscal_year, requested, awarded, "
		    "paid, recovered, contract_value, compute, approver, "
		    "received_at, updated_at, json, decision, approved_by) "
		    "VALUES (?1, 'shanghai-2025', ?2, ?3, 'sha256:bench', ?4, "
		    "?5, 2025, ?6, 0, 0, 0, 0, 0, '', ?7, ?7, ?8, ?9, '')",
		    -1, &app, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO app_grams (gram, seq) "
			       "VALUES (?1, ?2)",
			       -1, &gram, NULL) != SQLITE_OK)
		sq_die(db, "preparing");
	for (long i = 0; i < n; i++) {
		size_t len;

		snprintf(id, sizeof(id), "SH-2025-%07ld", i + 1);
		firm(i, uscc);
		stem(i, name, sizeof(name));
		snprintf(json, sizeof(json),
			 "{\"applicant\":{\"uscc\":\"%s\",\"name\":\"%s%s\"}}",
			 uscc, name, ENDINGS[(i / 16) % 4]);
		snprintf(decision, sizeof(decision), "Q1 m0%s",
			 i % 10 ? "" : " F1:0:0:0:0:0");
		sqlite3_bind_text(app, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(app, 2, MEASURES[i % 4], -1, SQLITE_STATIC);
		sqlite3_bind_text(app, 3, uscc, -1, SQLITE_STATIC);
		sqlite3_bind_text(app, 4, state_names[(i / 4) % 4], -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(app, 5, i + 1);
		sqlite3_bind_int64(app, 6,
				   (int64_t)(next() % 500000000) + 100000);
		sqlite3_bind_int64(app, 7, T0 + i * 5 + (int64_t)(next() % 5));
		sqlite3_bind_text(app, 8, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(app, 9, decision, -1, SQLITE_STATIC);
		if (sqlite3_step(app) != SQLITE_DONE)
			sq_die(db, "inserting an application");
		sqlite3_reset(app);
		/* The name's bigrams, as store_search.c writes them. */
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s",
			 ENDINGS[(i / 16) % 4]);
		len = strlen(name);
		for (size_t k = 0; k < len;) {
			size_t a = u8len((unsigned char)name[k]), b;

			if (k + a >= len)
				break;
			b = u8len((unsigned char)name[k + a]);
			sqlite3_bind_text(gram, 1, name + k, (int)(a + b),
					  SQLITE_STATIC);
			sqlite3_bind_int64(gram, 2, i + 1);
			if (sqlite3_step(gram) != SQLITE_DONE)
				sq_die(db, "inserting a bigram");
			sqlite3_reset(gram);
			k += a;
		}
	}
	sqlite3_finalize(app);
	sqlite3_finalize(gram);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sq_die(db, "commit");
	sqlite3_close(db);
}

struct check {
	const struct store_app_query *q;
	long n;
	int64_t last_key, last_seq;
	bool bad;
	char id[64];
	int64_t seq, key;
};

static int visit(void *arg, const struct store_app *a)
{
	struct check *c = arg;
	const struct store_app_query *q = c->q;
	int64_t key = q->sort == STORE_SORT_AMOUNT ||
				      q->sort == STORE_SORT_AMOUNT_DESC
			      ? a->requested
			      : a->received_at;
	bool desc = q->sort == STORE_SORT_RECEIVED_DESC ||
		    q->sort == STORE_SORT_AMOUNT_DESC;

	if (q->q && (!a->json || !strstr(a->json, q->q)))
		c->bad = true;
	if (q->uscc_prefix &&
	    strncmp(a->uscc, q->uscc_prefix, strlen(q->uscc_prefix)))
		c->bad = true;
	if (q->state >= 0 && a->state != q->state)
		c->bad = true;
	if (a->requested < q->amount_min || a->requested > q->amount_max)
		c->bad = true;
	if (c->n && (desc ? key > c->last_key : key < c->last_key))
		c->bad = true;
	c->n++;
	c->last_key = key;
	c->last_seq = a->seq;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *kind, double *t, int n, long rows,
		   double base_p99)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	printf("%-34s p50 %7.3f ms  p99 %7.3f ms  (%5.1fx the id read's p99)  "
	       "%ld rows\n",
	       kind, t[n / 2] * 1e3, t[n * 99 / 100] * 1e3,
	       t[n * 99 / 100] / base_p99, rows);
}

int main(int argc, char **argv)
{
	long n = 1000000;
	char path[256], buf[128], names[8][64];
	struct store *s;
	struct qerr e;
	double t[RUNS], base[RUNS];
	int64_t count = 0;
	bool fail = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			n = 20000;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtol(argv[++i], NULL, 10);
		else {
			fputs("usage: bench/queue [--smoke] [-n N]\n", stderr);
			return 2;
		}
	}
	mkdir("build", 0755);
	mkdir("build/bench-queue", 0755);
	snprintf(path, sizeof(path), "build/bench-queue/queue-%ld.db", n);
	qerr_clear(&e);
	if (store_open(path, &s, &e))
		die("open", &e);
	if (store_app_count(s, "shanghai-2025", "compute-rent", 2025,
			    APP_RESERVED, &count, &e))
		die("count", &e);
	if (count == 0) {
		double t0 = now();

		store_close(s);
		fill(path, n);
		printf("built %ld applications in %.1f s (%s)\n", n, now() - t0,
		       path);
		if (store_open(path, &s, &e))
			die("open", &e);
	} else {
		printf("reusing %s\n", path);
	}
	/* The baseline: one application by its id. */
	for (int r = 0; r < RUNS; r++) {
		struct store_app a;
		double t0;

		snprintf(buf, sizeof(buf), "SH-2025-%07ld",
			 1 + (long)(next() % (uint64_t)n));
		t0 = now();
		if (store_app_get(s, buf, &a, &e))
			die("get", &e);
		base[r] = now() - t0;
		store_app_release(&a);
	}
	qsort(base, RUNS, sizeof(*base), cmp_d);
	printf("%-34s p50 %7.3f ms  p99 %7.3f ms\n", "baseline: one by id",
	       base[RUNS / 2] * 1e3, base[RUNS * 99 / 100] * 1e3);
	for (int kind = 0; kind < 7; kind++) {
		static const char *const kinds[] = {
			"q: two characters of a name",
			"q: a whole distinctive name",
			"q: a common word (科技)",
			"uscc_prefix (12 characters)",
			"measure+state+amount, oldest",
			"state, largest amount first",
			"the next page (after a cursor)"};
		long rows = 0;

		for (int r = 0; r < RUNS; r++) {
			struct store_app_query q = {NULL,
						    NULL,
						    NULL,
						    NULL,
						    NULL,
						    -1,
						    -1,
						    0,
						    INT64_MAX,
						    INT64_MIN,
						    INT64_MAX,
						    STORE_SORT_RECEIVED,
						    false,
						    0,
						    0,
						    PAGE,
						    STORE_PLAN_AUTO};
			struct check c = {&q, 0, 0, 0, false, "", 0, 0};
			long i = (long)(next() % (uint64_t)n);
			double t0;

			stem(i, names[0], sizeof(names[0]));
			switch (kind) {
			case 0:
				memcpy(buf, names[0], 6);
				buf[6] = '\0';
				q.q = buf;
				break;
			case 1:
				q.q = names[0];
				break;
			case 2:
				q.q = "科技";
				q.after_set = true; /* distinct: from i on */
				q.after_key = T0 + i * 5;
				q.after_seq = 0;
				break;
			case 3:
				firm(i, buf);
				buf[12] = '\0';
				q.uscc_prefix = buf;
				break;
			case 4:
				q.measure = MEASURES[i % 4];
				q.state = STATES[i % 4];
				q.amount_min = (money_t)(i % 1000) * 100000;
				q.amount_max = q.amount_min + 100000000;
				break;
			case 5:
				q.state = STATES[i % 4];
				q.sort = STORE_SORT_AMOUNT_DESC;
				q.after_set = true;
				q.after_key = (int64_t)(next() % 500000000);
				q.after_seq = INT64_MAX;
				break;
			case 6:
				q.state = STATES[i % 4];
				q.after_set = true;
				q.after_key = T0 + i * 5;
				q.after_seq = i;
				break;
			}
			t0 = now();
			if (store_app_search(s, &q, visit, &c, &e))
				die(kinds[kind], &e);
			t[r] = now() - t0;
			rows += c.n;
			if (c.bad) {
				fprintf(stderr,
					"bench/queue: %s: a wrong row\n",
					kinds[kind]);
				fail = true;
			}
		}
		report(kinds[kind], t, RUNS, rows, base[RUNS * 99 / 100]);
	}
	store_close(s);
	return fail ? 1 : 0;
}
