/*
 * bench/screen - screened applications per second against an office that
 * already holds a million contracts.
 *
 * Before any timing: an office on the real disk (under build/, never tmpfs)
 * with the Shanghai 2025 and Hangzhou 2024 policies; E existing contracts
 * (1 000 000; --smoke: 20 000) recorded directly through the store in one
 * transaction, between firms of their own; and N distinct new applications
 * (sim/gen.h, 100 000; --smoke: 2 000) as JSON text, of which every 100th
 * repeats a contract planted among the existing ones (same parties, number,
 * value and date), so the duplicate-claim screen has something to find.
 *
 * Then it times the screening path of office_apply: parse, the stamp of
 * the office's clock (app_receive), the look-up of the firm's client_ref
 * and the office's number (SH-2025-000001, ... drawn from the store), facts,
 * every screen of the application's measure through the store's lookups
 * (office_screen_io: index seeks for duplicate claims, splitting, the
 * registry and the lists) and the recording of the contract, committed in
 * batches of 256, as `quan apply` commits. The office's clock is set after
 * the generator's last arrival (gen_received_at), inside the window, so
 * every contract is signed before it is received; it moves on from there.
 * The same sequence is timed against an empty office (the baseline: what
 * the million contracts cost), and the duplicate-claim lookup is timed
 * once more on a small sample as a full table scan (NOT INDEXED), to show
 * what the indexes buy.
 * The run fails unless exactly the planted duplicates are flagged, and
 * unless each application is numbered in the order received.
 *
 * usage: bench/screen [--smoke] [-n N] [-e E]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/uscc.h"
#include "engine/screen.h"
#include "office/office.h"
#include "sim/gen.h"

#define SEED 0x5eed5c7eull
#define BATCH 256
#define PLANT_EVERY 100
#define SCAN_SAMPLE 200
#define DAY_2025 20089 /* 2025-01-01 as days since 1970-01-01 */
#define ID_MAX 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The office's clock: office_t0 when the run started (office_mono0 on
 * the monotonic clock), moving on from there. */
static int64_t office_t0;
static double office_mono0;

static int64_t office_now(void)
{
	return office_t0 + (int64_t)(now() - office_mono0);
}

static char dir[512];
static char dbs[2][600];

static void cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};

	for (int k = 0; k < 2; k++)
		for (size_t s = 0; dbs[k][0] && s < 4; s++) {
			char f[1300];

			snprintf(f, sizeof(f), "%s%s", dbs[k], suffix[s]);
			unlink(f);
		}
	if (dir[0])
		rmdir(dir);
}

static void die(const char *what, const struct qerr *e)
{
	fprintf(stderr, "bench/screen: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Firm k of the existing contracts' own population. */
static void firm(long k, char out[USCC_LEN + 1])
{
	char s17[USCC_LEN];

	snprintf(s17, sizeof(s17), "91440300MA5%06ld", k % 1000000);
	snprintf(out, USCC_LEN + 1, "%.17s%c", s17, uscc_check_char(s17));
}

static void open_office(struct office *o, const char *path,
			const struct chip_catalog *chips)
{
	struct qerr e;
	bool is_new;

	qerr_clear(&e);
	if (office_open(o, path, chips, &e))
		die("office_open", &e);
	o->clock_set = true;
	if (office_load_policy(o, "policies/shanghai-2025.yaml", "bench",
			       office_now(), &is_new, &e) ||
	    office_load_policy(o, "policies/hangzhou-2024.yaml", "bench",
			       office_now(), &is_new, &e))
		die("loading the policies", &e);
}

/* Record E contracts between firms of their own (random pairs among
 * 20 000 firms, values and dates), plus the planted copies of every
 * PLANT_EVERY-th new application. */
static double fill(struct office *o, long existing, struct application *apps,
		   long n)
{
	struct qerr e;
	double t0 = now();
	char app[USCC_LEN + 1], sup[USCC_LEN + 1], num[32], id[32];

	qerr_clear(&e);
	if (store_begin(o->store, &e))
		die("begin", &e);
	for (long i = 0; i < existing; i++) {
		struct store_contract c;

		firm((long)(next() % 20000), app);
		firm(20000 + (long)(next() % 20000), sup);
		snprintf(num, sizeof(num), "EX-%07ld", i);
		snprintf(id, sizeof(id), "OLD-%07ld", i);
		c.app_id = id;
		c.program = i % 2 ? "hangzhou-2024" : "shanghai-2025";
		c.applicant = app;
		c.supplier = sup;
		c.number = num;
		c.value = (money_t)(next() % 1000000000) + 100000;
		c.signed_on = DAY_2025 + (int32_t)(next() % 365);
		if (store_contract_add(o->store, &c, &e))
			die("recording a contract", &e);
	}
	for (long i = 0; i < n; i += PLANT_EVERY) {
		struct store_contract c;

		snprintf(id, sizeof(id), "PLANT-%07ld", i);
		c.app_id = id;
		c.program = "hangzhou-2024";
		c.applicant = apps[i].applicant.uscc;
		c.supplier = apps[i].supplier.uscc;
		c.number = apps[i].contract.number;
		c.value = apps[i].contract.value;
		c.signed_on = apps[i].contract.signed_on;
		if (store_contract_add(o->store, &c, &e))
			die("planting a contract", &e);
	}
	if (store_commit(o->store, &e))
		die("commit", &e);
	return now() - t0;
}

struct run {
	double secs;	    /* the whole path, commits included */
	double screen_secs; /* parse, facts and screen_run alone */
	long flags[SCREEN__COUNT];
	long dup_planted; /* duplicate-claim flags naming a planted contract */
};

/* The screening path of office_apply for every application, in batches;
 * ids[j] gets the number the office gave application j. */
static void screen_all(struct office *o, char **texts, size_t *lens, long n,
		       char (*ids)[ID_MAX], struct run *r)
{
	struct screen_result *sr = malloc(sizeof(*sr));
	struct screen_io io;
	struct qerr e;
	double t0;

	memset(r, 0, sizeof(*r));
	office_screen_io(o, &io);
	qerr_clear(&e);
	t0 = now();
	for (long i = 0; i < n; i += BATCH) {
		if (store_begin(o->store, &e))
			die("begin", &e);
		for (long j = i; j < n && j < i + BATCH; j++) {
			struct application a;
			struct facts f;
			struct store_contract c;
			struct store_app old;
			const struct policy *p = NULL;
			double ts = now();
			int64_t num;
			int m, year, rc;

			if (app_parse_json(texts[j], lens[j], &a, &e))
				die("parsing", &e);
			for (size_t k = 0; k < o->npolicies; k++)
				if (!strcmp(o->policies[k]->program, a.program))
					p = o->policies[k];
			if (!p)
				die("no policy", NULL);
			/* Received now, by the office's clock. */
			if (app_receive(&a, office_now(), &e))
				die("stamping", &e);
			r->screen_secs += now() - ts;
			/* The firm's client_ref is new; the office numbers
			 * it, in the order received. */
			rc = store_app_by_ref(o->store, a.applicant.uscc,
					      a.client_ref, &old, &e);
			if (rc == 0)
				store_app_release(&old);
			if (rc != Q_NONE)
				die("the client_ref look-up", rc ? &e : NULL);
			year = date_year(a.received_on);
			if (store_app_number(o->store, a.program, year, &num,
					     &e))
				die("numbering", &e);
			if (num != j + 1)
				die("numbered out of order", NULL);
			snprintf(ids[j], ID_MAX, "%s-%04d-%06lld",
				 p->number_prefix, year, (long long)num);
			a.id = ids[j];
			ts = now();
			m = policy_find_measure(p, a.measure,
						strlen(a.measure));
			if (m < 0 || facts_build(&a, o->chips, NULL, &f, &e) ||
			    screen_run(p, m, &a, &f, &io, sr, &e))
				die("screening", &e);
			r->screen_secs += now() - ts;
			for (uint8_t k = 0; k < sr->nflags; k++) {
				r->flags[sr->flags[k].kind]++;
				if (sr->flags[k].kind ==
					    SCREEN_DUPLICATE_CLAIM &&
				    !strncmp(sr->flags[k].refs[0].app,
					     "PLANT-", 6))
					r->dup_planted++;
			}
			c.app_id = a.id;
			c.program = a.program;
			c.applicant = a.applicant.uscc;
			c.supplier = a.supplier.uscc;
			c.number = a.contract.number;
			c.value = a.contract.value;
			c.signed_on = a.contract.signed_on;
			if (store_contract_add(o->store, &c, &e))
				die("recording", &e);
			app_release(&a);
		}
		if (store_commit(o->store, &e))
			die("commit", &e);
	}
	r->secs = now() - t0;
	free(sr);
}

/* The duplicate-claim lookup as a full scan, on a sample: what a
 * screen costs without its indexes. */
static double scan_sample(const char *path, struct application *apps,
			  long sample)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0;
	long hits = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(
		    db,
		    "SELECT app_id FROM contracts NOT INDEXED WHERE "
		    "applicant = ?1 AND supplier = ?2 AND ((number = ?3 AND "
		    "value = ?4) OR (value = ?4 AND signed_on BETWEEN ?5 AND "
		    "?6)) AND app_id <> ?7 LIMIT 8",
		    -1, &st, NULL)) {
		fprintf(stderr, "bench/screen: scan: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	t0 = now();
	for (long i = 0; i < sample; i++) {
		const struct application *a = &apps[i];

		sqlite3_bind_text(st, 1, a->applicant.uscc, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->supplier.uscc, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->contract.number, -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, a->contract.value);
		sqlite3_bind_int64(st, 5, a->contract.signed_on - 7);
		sqlite3_bind_int64(st, 6, a->contract.signed_on + 7);
		sqlite3_bind_text(st, 7, a->id, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hits++;
		sqlite3_reset(st);
	}
	t0 = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (hits < sample / PLANT_EVERY)
		fprintf(stderr, "bench/screen: the scan found %ld\n", hits);
	return t0;
}

int main(int argc, char **argv)
{
	long n = 100000, existing = 1000000;
	struct chip_catalog *chips = NULL;
	struct diag_list d = DIAG_LIST_INIT;
	struct application *apps;
	struct gen *g;
	char **texts;
	char (*ids)[ID_MAX];
	size_t *lens;
	struct office o;
	struct run full, empty;
	double fill_secs, scan_secs;
	long sample;
	char buf[GEN_APP_MAX];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			n = 2000;
			existing = 20000;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
			existing = strtol(argv[++i], NULL, 10);
		} else {
			fputs("usage: bench/screen [--smoke] [-n N] [-e E]\n",
			      stderr);
			return 1;
		}
	}
	if (n < PLANT_EVERY || existing < 0)
		return 1;
	sample = n < SCAN_SAMPLE ? n : SCAN_SAMPLE;
	if (chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d))
		die("chips", NULL);
	diag_release(&d);
	snprintf(dir, sizeof(dir), "build/bench-screen-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	atexit(cleanup);
	snprintf(dbs[0], sizeof(dbs[0]), "%s/full.db", dir);
	snprintf(dbs[1], sizeof(dbs[1]), "%s/empty.db", dir);

	/* Distinct new applications, as text and parsed (for planting). */
	g = malloc(sizeof(*g));
	texts = calloc((size_t)n, sizeof(*texts));
	lens = calloc((size_t)n, sizeof(*lens));
	apps = calloc((size_t)n, sizeof(*apps));
	ids = calloc((size_t)n, sizeof(*ids));
	if (!g || !texts || !lens || !apps || !ids)
		die("out of memory", NULL);
	gen_init(g, SEED);
	gen_set_prefix(g, "screen-");
	for (long i = 0; i < n; i++) {
		struct qerr e;
		int64_t at = 0;

		if (gen_application(g, (uint64_t)i, buf, sizeof(buf),
				    &lens[i]) ||
		    gen_received_at(g, (uint64_t)i, &at))
			die("generating", NULL);
		/* The office's clock starts after the last arrival. */
		if (at >= office_t0)
			office_t0 = (at / 60 + 1) * 60;
		texts[i] = strdup(buf);
		qerr_clear(&e);
		if (!texts[i] ||
		    app_parse_json(texts[i], lens[i], &apps[i], &e))
			die("parsing a generated application", &e);
	}

	office_mono0 = now();
	open_office(&o, dbs[0], chips);
	fill_secs = fill(&o, existing, apps, n);
	printf("bench/screen: %ld existing contracts recorded in %.1f s "
	       "(%.0f/s, one transaction)\n",
	       existing, fill_secs, (double)existing / fill_secs);
	screen_all(&o, texts, lens, n, ids, &full);
	office_close(&o);
	/* The scan looks for each application's contract as its own number
	 * in the full office would (the same in the empty one: 1 .. n). */
	for (long i = 0; i < n; i++)
		apps[i].id = ids[i];

	open_office(&o, dbs[1], chips);
	screen_all(&o, texts, lens, n, ids, &empty);
	office_close(&o);

	scan_secs = scan_sample(dbs[0], apps, sample);

	printf("%-52s %10s %10s\n", "", "apps/s", "per app");
	printf("%-52s %10.0f %8.1f us\n",
	       "screens (parse, facts, lookups), existing contracts",
	       (double)n / full.screen_secs, full.screen_secs / (double)n * 1e6);
	printf("%-52s %10.0f %8.1f us\n",
	       "screens (parse, facts, lookups), empty office",
	       (double)n / empty.screen_secs,
	       empty.screen_secs / (double)n * 1e6);
	printf("%-52s %10.0f %8.1f us\n",
	       "+ recording the contract, group commit: existing",
	       (double)n / full.secs, full.secs / (double)n * 1e6);
	printf("%-52s %10.0f %8.1f us\n",
	       "+ recording the contract, group commit: empty",
	       (double)n / empty.secs, empty.secs / (double)n * 1e6);
	printf("%-52s %10.0f %8.1f us\n",
	       "duplicate-claim lookup alone as a full scan",
	       (double)sample / scan_secs, scan_secs / (double)sample * 1e6);
	printf("ratio: the screens run at %.2f of the empty office's rate; "
	       "indexed, %.0f x the full scan's\n",
	       empty.screen_secs / full.screen_secs,
	       ((double)n / full.screen_secs) / ((double)sample / scan_secs));
	{
		char t0[DATETIME_TEXT_MAX], t1[DATETIME_TEXT_MAX];

		printf("the office's clock: set to %s, read %s at the end; numbers %s .. %s\n",
		       datetime_format(office_t0, t0),
		       datetime_format(office_now(), t1), ids[0], ids[n - 1]);
	}
	printf("flags against the existing contracts:");
	for (int k = 0; k < SCREEN__COUNT; k++)
		printf(" %s %ld", screen_flag_name((enum screen_kind)k),
		       full.flags[k]);
	printf("\n");
	if (full.dup_planted != (n + PLANT_EVERY - 1) / PLANT_EVERY ||
	    empty.flags[SCREEN_DUPLICATE_CLAIM] != 0) {
		fprintf(stderr,
			"bench/screen: %ld planted duplicates flagged, %ld "
			"expected (and %ld in the empty office)\n",
			full.dup_planted, (n + PLANT_EVERY - 1) / PLANT_EVERY,
			empty.flags[SCREEN_DUPLICATE_CLAIM]);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		app_release(&apps[i]);
		free(texts[i]);
	}
	free(apps);
	free(ids);
	free(texts);
	free(lens);
	free(g);
	chips_free(chips);
	return 0;
}
