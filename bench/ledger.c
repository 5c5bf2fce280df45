/*
 * bench/ledger - durable applications per second for the Shanghai 2025
 * policy: decide + reserve + audit event, committed to disk.
 *
 * Generates distinct applications as JSON text with sim/gen.h (the format
 * `quan apply` reads: every one its own client_ref "ledger-<i>", contract
 * number, value, dates, applicant with a valid USCC, supplier and, for
 * compute, chip; no number and no time, which the office gives), all
 * eligible, before any timing.
 *
 * The office's clock is set, as QUAN_NOW sets it for `quan serve`: it
 * starts at the first whole minute after the latest arrival the generator
 * gives (gen_received_at: 2025-12-29 at the latest), so that every contract
 * is signed before the office receives it and every application is
 * received inside the window (which closes 2025-12-31 23:59:59), and moves
 * on with the wall clock. Every application is received at the office's
 * now, and numbered SH-2025-000001, ... Then, each in a fresh database on
 * a real disk (under build/, never tmpfs), times:
 *   1. group commit - office_intake_batch over batches of B, as `quan
 *      serve` runs it: a second thread parses each application
 *      (office_prepare, stamped by the office's clock as it is parsed, as
 *      an HTTP thread does) and feeds the writer, which takes B parsed
 *      applications at a time into one transaction and one WAL fsync
 *      (synchronous=FULL), so that parsing and writing overlap on two
 *      cores. --serial parses on the writer instead, as `quan apply`
 *      does (office_apply_batch). The clock stops when the last batch's
 *      commit has returned, i.e. is on disk, and nothing is counted
 *      before its commit returned;
 *   2. one transaction per application - office_apply for each, one
 *      fsync each (fewer applications: N/20, at least 500).
 * Prints applications/s for each, their ratio and the commits (fsyncs of
 * the log) each took. After each mode, every application must be in the
 * store once, under its client_ref, as reserved or waitlisted, numbered
 * 1 .. n in its program and year and received by the office's clock during
 * the run, the ledger must balance (office_ledger_check) and the audit
 * chain must verify, or the run fails.
 *
 * --returning K: the applicants are firms that file K times each
 * (applications i of firm i / K, each with its own contract), so that
 * the writer meets a firm's past, its yearly sums, K - 1 times of K; the
 * default keeps the generator's firms (4096, drawn at random). The
 * Shanghai 2025 measures have no yearly cap, so none is refused for it.
 *
 * --sums-off: the writer reads a firm's yearly sums from the store for
 * each application, as before it kept them (the figure to compare with).
 * --contracts-off: the screens read a returning firm's earlier contracts
 * from the store for each application, as before the writer kept them.
 *
 * usage: bench/ledger [--smoke] [--serial] [-n N] [-b B] [--returning K]
 *                     [--sums-off] [--contracts-off]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "core/uscc.h"
#include "office/office.h"
#include "office/office_int.h"
#include "sim/gen.h"

#define SEED 0x9e3779b97f4a7c15ull /* every run applies the same applications */
#define REF_PREFIX "ledger-"	   /* client_refs: ledger-0000000, ... */
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

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

/* Make application text's applicant firm number `firm` (its USCC, the
 * same length as the generator's, from a range of its own): false when
 * the text has no applicant. */
static bool set_firm(char *text, long firm)
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const char key[] = "\"applicant\": {\"uscc\": \"";
	char u[USCC_LEN + 1] = "91310115R";
	char *at = strstr(text, key);

	if (!at || firm < 0)
		return false;
	for (int k = 13; k >= 9; k--, firm /= 31)
		u[k] = alpha[firm % 31];
	memcpy(u + 14, "000", 3);
	u[17] = uscc_check_char(u);
	u[18] = '\0';
	at += sizeof(key) - 1;
	if (!u[17] || strlen(at) < USCC_LEN || at[USCC_LEN] != '"')
		return false;
	memcpy(at, u, USCC_LEN);
	return true;
}

static int64_t office_now(void)
{
	return office_t0 + (int64_t)(now() - office_mono0);
}

/* The scratch directory and its databases, removed on every exit. */
static char dir[1024];
static char dbpath[2][1100];

static void cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};

	for (int k = 0; k < 2; k++) {
		if (!dbpath[k][0])
			continue;
		for (size_t s = 0; s < sizeof(suffix) / sizeof(suffix[0]);
		     s++) {
			char f[1200];

			snprintf(f, sizeof(f), "%.1100s%.10s", dbpath[k],
				 suffix[s]);
			unlink(f);
		}
	}
	if (dir[0])
		rmdir(dir);
}

static void usage(void)
{
	fputs("usage: bench/ledger [--smoke] [--serial] [-n N] [-b B] "
	      "[--returning K] [--sums-off] [--contracts-off]\n",
	      stderr);
	exit(1);
}

struct census {
	long first, n; /* the client_refs ledger-<first .. first+n-1> */
	/* Seen, by client_ref and by the office's number (1 .. n). */
	unsigned char *seen, *numbered;
	int64_t from, to; /* the office's clock over the run */
	long count[APP__STATE_COUNT];
	long stray; /* not one of ours, seen twice, misnumbered, mistimed */
	money_t reserved;
};

static int count_app(void *arg, const struct store_app *a)
{
	static const char pre[] = REF_PREFIX;
	struct census *c = arg;
	char *end;
	long k, num;

	/* One of ours, once: its client_ref. */
	if (strncmp(a->client_ref, pre, sizeof(pre) - 1) != 0) {
		c->stray++;
		return 0;
	}
	k = strtol(a->client_ref + sizeof(pre) - 1, &end, 10) - c->first;
	if (*end || k < 0 || k >= c->n || c->seen[k]) {
		c->stray++;
		return 0;
	}
	c->seen[k] = 1;
	/* Numbered by the office, 1 .. n, each number once; received by its
	 * clock during the run, in fiscal year 2025. */
	if (strncmp(a->id, "SH-2025-", 8) != 0 ||
	    (num = strtol(a->id + 8, &end, 10)) < 1 || num > c->n || *end ||
	    c->numbered[num - 1] || a->received_at < c->from ||
	    a->received_at > c->to || a->fiscal_year != 2025) {
		if (c->stray++ < 5)
			fprintf(stderr,
				"bench: '%s' (client_ref %s): numbered or stamped wrongly (received at %lld, the run's clock %lld .. %lld)\n",
				a->id, a->client_ref, (long long)a->received_at,
				(long long)c->from, (long long)c->to);
		return 0;
	}
	c->numbered[num - 1] = 1;
	if (a->state >= 0 && a->state < APP__STATE_COUNT)
		c->count[a->state]++;
	if (a->state == APP_RESERVED)
		c->reserved += a->requested;
	return 0;
}

static int sum_pools(void *arg, const struct office_pool_figures *f)
{
	*(money_t *)arg += f->reserved;
	return 0;
}

struct outcome {
	double secs, cpu;	     /* wall clock, and CPU (user + system) */
	struct office_phases phases; /* where the CPU went (group commit) */
	double verify_secs;
	long commits;
	long reserved, waitlisted;
	int64_t events;
	long long wal_max; /* the largest WAL file seen after a commit, bytes */
};

/* Note the size of database k's WAL file in *max if larger. */
static void note_wal(int k, long long *max)
{
	char f[1200];
	struct stat st;

	snprintf(f, sizeof(f), "%.1100s-wal", dbpath[k]);
	if (!stat(f, &st) && (long long)st.st_size > *max)
		*max = (long long)st.st_size;
}

/* Check what mode `name` left in the store: every application present,
 * reserved or waitlisted, the reserved money equal to the ledger's, the
 * ledger balanced, the audit chain intact. Exits 1 otherwise. */
static void verify(struct office *o, const char *name, long first, long n,
		   int64_t from, struct outcome *out)
{
	struct census c = {.first = first,
			   .n = n,
			   .seen = calloc((size_t)n, 1),
			   .numbered = calloc((size_t)n, 1),
			   .from = from,
			   .to = office_now()};
	money_t ledger_reserved = 0;
	int64_t events = 0, bad_seq = 0;
	char why[256] = "";
	struct qerr e;
	long problems;
	int v;
	double t0 = now();

	if (!c.seen || !c.numbered) {
		fputs("bench: out of memory\n", stderr);
		exit(1);
	}
	qerr_clear(&e);
	if (store_app_each(o->store, NULL, -1, count_app, &c, &e) ||
	    office_pools_each(o, sum_pools, &ledger_reserved, &e)) {
		fprintf(stderr, "bench: %s: reading the store: %s\n", name,
			e.msg);
		exit(1);
	}
	free(c.seen);
	free(c.numbered);
	if (c.stray || c.count[APP_RESERVED] + c.count[APP_WAITLISTED] != n) {
		fprintf(stderr,
			"bench: %s: %ld applications applied, the store holds %ld reserved + %ld waitlisted (%ld stray)\n",
			name, n, c.count[APP_RESERVED], c.count[APP_WAITLISTED],
			c.stray);
		exit(1);
	}
	if (c.reserved != ledger_reserved) {
		char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

		fprintf(stderr,
			"bench: %s: applications reserve %s yuan, the ledger %s\n",
			name, money_format(c.reserved, x),
			money_format(ledger_reserved, y));
		exit(1);
	}
	problems = office_ledger_check(o, stderr, &e);
	if (problems != 0) {
		fprintf(stderr, "bench: %s: ledger check: %s\n", name,
			problems < 0 ? e.msg : "problems above");
		exit(1);
	}
	v = office_audit_verify(o, &events, &bad_seq, why, sizeof(why), &e);
	if (v != 0) {
		fprintf(stderr, "bench: %s: audit verify: %s (event %lld)\n",
			name, v < 0 ? e.msg : why, (long long)bad_seq);
		exit(1);
	}
	out->reserved = c.count[APP_RESERVED];
	out->waitlisted = c.count[APP_WAITLISTED];
	out->events = events;
	out->verify_secs = now() - t0;
}

/* A fresh office in the database dbpath[k], with the policy loaded and
 * its pools funded by the office's clock, which is set (its audit events
 * say so, as under QUAN_NOW). */
static void open_fresh(struct office *o, int k, const char *policy_path,
		       const struct chip_catalog *chips)
{
	struct qerr e;
	bool is_new;

	qerr_clear(&e);
	if (office_open(o, dbpath[k], chips, &e)) {
		fprintf(stderr, "bench: %s: %s\n", dbpath[k], e.msg);
		exit(1);
	}
	o->clock_set = true;
	if (office_load_policy(o, policy_path, "bench", office_now(), &is_new,
			       &e)) {
		fprintf(stderr, "bench: %s: %s\n", dbpath[k], e.msg);
		exit(1);
	}
}

static void check_result(const struct office_result *r, int rc,
			 const struct qerr *e, const char *text)
{
	if (rc) {
		fprintf(stderr, "bench: refused: %s\n  %s\n", e->msg, text);
		exit(1);
	}
	if (r->existed ||
	    (r->state != APP_RESERVED && r->state != APP_WAITLISTED)) {
		fprintf(stderr, "bench: %s: %s%s\n", r->id,
			app_state_name(r->state),
			r->existed ? " (submitted before)" : "");
		exit(1);
	}
}

/* The parsing thread's hand-over to the writer: a ring of cap parsed
 * applications, slot i % cap for application i. The parser fills slots
 * up to `freed + cap`; the writer takes them in order and frees them
 * after the commit. */
struct feed {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct chip_catalog *chips;
	char **texts;
	const size_t *lens;
	long n, cap;
	struct office_parsed *slots;
	int64_t *at;	  /* when each slot's application was received */
	long made;	  /* parsed so far */
	long freed;	  /* written and released by the writer */
	int64_t parse_ns; /* the parsing thread's CPU time */
};

static int64_t thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The parsing thread: each application received now by the office's
 * clock and prepared as an HTTP thread prepares it. */
static void *parse_main(void *arg)
{
	struct feed *f = arg;
	int64_t c0 = thread_cpu_ns();

	for (long i = 0; i < f->n; i++) {
		long k = i % f->cap;
		struct qerr e;

		pthread_mutex_lock(&f->mu);
		while (i - f->freed >= f->cap)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
		qerr_clear(&e);
		f->at[k] = office_now();
		if (office_prepare(f->chips, f->texts[i], f->lens[i], f->at[k],
				   &f->slots[k], &e)) {
			fprintf(stderr, "bench: refused: %s\n  %s\n", e.msg,
				f->texts[i]);
			exit(1);
		}
		pthread_mutex_lock(&f->mu);
		f->made = i + 1;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	f->parse_ns = thread_cpu_ns() - c0;
	return NULL;
}

/* Mode 1, as quan serve runs it: parsed on a second thread, written by
 * this one in batches of b. */
static void run_fed(struct office *o, char **texts, const size_t *lens, long n,
		    long b, struct outcome *out)
{
	struct feed f = {.chips = o->chips,
			 .texts = texts,
			 .lens = lens,
			 .n = n,
			 .cap = 4 * b};
	struct office_intake *in = calloc((size_t)b, sizeof(*in));
	struct office_result *res = calloc((size_t)b, sizeof(*res));
	int *rcs = calloc((size_t)b, sizeof(*rcs));
	struct qerr *errs = calloc((size_t)b, sizeof(*errs));
	pthread_t parser;
	double t0, c0;
	struct qerr e;

	f.slots = calloc((size_t)f.cap, sizeof(*f.slots));
	f.at = calloc((size_t)f.cap, sizeof(*f.at));
	if (!in || !res || !rcs || !errs || !f.slots || !f.at) {
		fputs("bench: out of memory\n", stderr);
		exit(1);
	}
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	out->commits = 0;
	memset(&out->phases, 0, sizeof(out->phases));
	o->phases = &out->phases;
	c0 = cpu();
	t0 = now();
	if (pthread_create(&parser, NULL, parse_main, &f)) {
		fputs("bench: cannot start the parsing thread\n", stderr);
		exit(1);
	}
	for (long i = 0; i < n; i += b) {
		size_t k = (size_t)(n - i < b ? n - i : b);

		pthread_mutex_lock(&f.mu);
		while (f.made < i + (long)k)
			pthread_cond_wait(&f.cv, &f.mu);
		pthread_mutex_unlock(&f.mu);
		for (size_t j = 0; j < k; j++) {
			long s = (i + (long)j) % f.cap;

			in[j] = (struct office_intake){
				.json = texts[i + (long)j],
				.len = lens[i + (long)j],
				.by = "bench",
				.received_at = f.at[s],
				.parsed = &f.slots[s]};
		}
		qerr_clear(&e);
		if (office_intake_batch(o, in, k, office_now(), res, rcs, errs,
					&e)) {
			fprintf(stderr, "bench: batch at %ld: %s\n", i, e.msg);
			exit(1);
		}
		out->commits++;
		note_wal(0, &out->wal_max);
		for (size_t j = 0; j < k; j++) {
			check_result(&res[j], rcs[j], &errs[j],
				     texts[i + (long)j]);
			office_parsed_release(in[j].parsed);
		}
		pthread_mutex_lock(&f.mu);
		f.freed = i + (long)k;
		pthread_cond_signal(&f.cv);
		pthread_mutex_unlock(&f.mu);
	}
	pthread_join(parser, NULL);
	out->secs = now() - t0;
	out->cpu = cpu() - c0;
	out->phases.parse_ns = f.parse_ns;
	o->phases = NULL;
	pthread_cond_destroy(&f.cv);
	pthread_mutex_destroy(&f.mu);
	free(f.slots);
	free(f.at);
	free(in);
	free(res);
	free(rcs);
	free(errs);
}

/* Mode 1 with --serial: parsed on the writer, as quan apply does. */
static void run_batched(struct office *o, char **texts, const size_t *lens,
			long n, long b, struct outcome *out)
{
	struct office_result *res = calloc((size_t)b, sizeof(*res));
	int *rcs = calloc((size_t)b, sizeof(*rcs));
	struct qerr *errs = calloc((size_t)b, sizeof(*errs));
	double t0, c0;
	struct qerr e;

	if (!res || !rcs || !errs) {
		fputs("bench: out of memory\n", stderr);
		exit(1);
	}
	out->commits = 0;
	memset(&out->phases, 0, sizeof(out->phases));
	o->phases = &out->phases;
	c0 = cpu();
	t0 = now();
	for (long i = 0; i < n; i += b) {
		size_t k = (size_t)(n - i < b ? n - i : b);

		qerr_clear(&e);
		if (office_apply_batch(o, (const char *const *)texts + i,
				       lens + i, k, "bench", office_now(), res,
				       rcs, errs, &e)) {
			fprintf(stderr, "bench: batch at %ld: %s\n", i, e.msg);
			exit(1);
		}
		out->commits++;
		note_wal(0, &out->wal_max);
		for (size_t j = 0; j < k; j++)
			check_result(&res[j], rcs[j], &errs[j],
				     texts[i + (long)j]);
	}
	out->secs = now() - t0;
	out->cpu = cpu() - c0;
	o->phases = NULL;
	free(res);
	free(rcs);
	free(errs);
}

/* Mode 2: one transaction per application. */
static void run_single(struct office *o, char **texts, const size_t *lens,
		       long n, struct outcome *out)
{
	struct office_result r;
	struct qerr e;
	double t0, c0;

	out->commits = 0;
	c0 = cpu();
	t0 = now();
	for (long i = 0; i < n; i++) {
		int rc;

		qerr_clear(&e);
		rc = office_apply(o, texts[i], lens[i], "bench", office_now(),
				  &r, &e);
		check_result(&r, rc, &e, texts[i]);
		out->commits++;
		note_wal(1, &out->wal_max);
	}
	out->secs = now() - t0;
	out->cpu = cpu() - c0;
}

static void print_mode(const char *label, long n, const struct outcome *m)
{
	printf("  %-30s %8.0f applications/s  %7ld apps in %7.2f s (CPU %6.2f s)  %6ld commits, %7.1f ms each  %ld reserved, %ld waitlisted, WAL at most %.1f MiB\n",
	       label, n / m->secs, n, m->secs, m->cpu, m->commits,
	       m->secs / m->commits * 1e3, m->reserved, m->waitlisted,
	       (double)m->wal_max / (1024.0 * 1024.0));
}

static const char *fs_name(long type)
{
	switch (type) {
	case 0xEF53:
		return "ext2/3/4";
	case 0x58465342:
		return "xfs";
	case 0x9123683E:
		return "btrfs";
	case 0x2FC12FC1:
		return "zfs";
	case 0x794c7630:
		return "overlayfs";
	case 0x6969:
		return "nfs";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	const char *policy_path =
		QUAN_DATADIR "/../policies/shanghai-2025.yaml";
	const char *chips_path = QUAN_DATADIR "/chips.yaml";
	long n = 100000, n1 = -1, b = 256, returning = 0;
	bool serial = false, sums_off = false, contracts_off = false;
	struct diag_list dl = DIAG_LIST_INIT;
	struct chip_catalog *chips = NULL;
	struct gen *g;
	char **texts;
	size_t *lens, bytes = 0;
	struct office o;
	struct outcome batched = {0}, single = {0};
	struct statfs sf;
	double r1, r2;
	int64_t from;
	char clock[2][DATETIME_TEXT_MAX];
	long year_hits = 0, year_reads = 0, ref_hits = 0, c_hits = 0,
	     c_reads = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--serial")) {
			serial = true;
		} else if (!strcmp(argv[i], "--sums-off")) {
			sums_off = true;
		} else if (!strcmp(argv[i], "--contracts-off")) {
			contracts_off = true;
		} else if (!strcmp(argv[i], "--smoke")) {
			n = 2000;
			n1 = 200;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = strtol(argv[++i], NULL, 10);
			n1 = -1;
		} else if (!strcmp(argv[i], "-b") && i + 1 < argc) {
			b = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--returning") && i + 1 < argc) {
			returning = strtol(argv[++i], NULL, 10);
			if (returning <= 0)
				usage();
		} else {
			usage();
		}
	}
	if (n <= 0 || n > 9000000 || b <= 0)
		usage();
	if (n1 < 0)
		n1 = n / 20 > 500 ? n / 20 : 500;
	if (n + n1 > 9999999)
		usage();

	if (chips_load(chips_path, &chips, &dl)) {
		diag_print(&dl, stderr);
		return 1;
	}
	diag_release(&dl);

	/* Every application before the clock starts: n for the batched run,
	 * then n1 others for the single run (ids n .. n + n1 - 1). */
	g = malloc(sizeof(*g));
	texts = calloc((size_t)(n + n1), sizeof(*texts));
	lens = calloc((size_t)(n + n1), sizeof(*lens));
	if (!g || !texts || !lens) {
		fputs("bench: out of memory\n", stderr);
		return 1;
	}
	gen_init(g, SEED);
	gen_set_prefix(g, REF_PREFIX);
	for (long i = 0; i < n + n1; i++) {
		char buf[GEN_APP_MAX];
		int64_t at;

		if (gen_application(g, (uint64_t)i, buf, sizeof(buf),
				    &lens[i]) ||
		    gen_received_at(g, (uint64_t)i, &at) ||
		    !(texts[i] = malloc(lens[i] + 1))) {
			fputs("bench: cannot generate an application\n",
			      stderr);
			return 1;
		}
		memcpy(texts[i], buf, lens[i] + 1);
		if (returning && !set_firm(texts[i], i / returning)) {
			fputs("bench: no applicant in a generated application\n",
			      stderr);
			return 1;
		}
		bytes += lens[i];
		/* The office's clock starts after the last arrival. */
		if (at >= office_t0)
			office_t0 = (at / 60 + 1) * 60;
	}
	office_mono0 = now();

	/* A real disk: under build/, refused on tmpfs. */
	snprintf(dir, sizeof(dir), "%s",
		 QUAN_DATADIR "/../build/bench-ledger.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench: mkdtemp %s: %s\n", dir,
			strerror(errno));
		dir[0] = '\0';
		return 1;
	}
	atexit(cleanup);
	if (statfs(dir, &sf) == 0 &&
	    (sf.f_type == TMPFS_MAGIC_ || sf.f_type == RAMFS_MAGIC_)) {
		fprintf(stderr, "bench: %s is in memory (tmpfs), not a disk\n",
			dir);
		return 1;
	}
	snprintf(dbpath[0], sizeof(dbpath[0]), "%s/batched.db", dir);
	snprintf(dbpath[1], sizeof(dbpath[1]), "%s/single.db", dir);

	/* 1. group commit */
	open_fresh(&o, 0, policy_path, chips);
	if (sums_off)
		office_hot_years_enable(&o, false);
	if (contracts_off)
		hot_contracts_enable(office_hot_contracts(&o), false);
	from = office_now();
	if (serial)
		run_batched(&o, texts, lens, n, b, &batched);
	else
		run_fed(&o, texts, lens, n, b, &batched);
	office_hot_year_counts(&o, &year_hits, &year_reads);
	ref_hits = office_hot_ref_hits(&o);
	hot_contracts_counts(office_hot_contracts(&o), &c_hits, &c_reads);
	verify(&o, "group commit", 0, n, from, &batched);
	office_close(&o);

	/* 2. one transaction per application */
	open_fresh(&o, 1, policy_path, chips);
	if (sums_off)
		office_hot_years_enable(&o, false);
	if (contracts_off)
		hot_contracts_enable(office_hot_contracts(&o), false);
	from = office_now();
	run_single(&o, texts + n, lens + n, n1, &single);
	verify(&o, "one per transaction", n, n1, from, &single);
	office_close(&o);

	r1 = n / batched.secs;
	r2 = n1 / single.secs;
	printf("bench/ledger: distinct Shanghai 2025 applications as JSON (%.0f bytes each on average), WAL synchronous=FULL on %s (%s)\n",
	       (double)bytes / (double)(n + n1), dir, fs_name(sf.f_type));
	printf("  the office's clock: set to %s, read %s at the end; every application received by it\n",
	       datetime_format(office_t0, clock[0]),
	       datetime_format(office_now(), clock[1]));
	{
		char label[64];

		snprintf(label, sizeof(label), "group commit, batches of %ld",
			 b);
		printf("  group commit: %s\n",
		       serial ? "parsed on the writer (--serial), as quan apply does"
			      : "parsed on a second thread feeding the writer, as quan serve does");
		print_mode(label, n, &batched);
		print_mode("one transaction each", n1, &single);
	}
	printf("  ratio group/single: %.1f\n", r1 / r2);
	if (returning)
		printf("  firms: each files %ld times\n", returning);
	else
		printf("  firms: the generator's %d, drawn at random\n",
		       GEN_PARTIES);
	if (sums_off)
		printf("  group commit, a firm's yearly sums: read from the store "
		       "for every firm that filed before (--sums-off)\n");
	else
		printf("  group commit, a firm's yearly sums: %ld answered from "
		       "the writer's memory, %ld read from the store\n",
		       year_hits, year_reads);
	if (contracts_off)
		printf("  group commit, a returning firm's earlier contracts: "
		       "read from the store for every screen "
		       "(--contracts-off)\n");
	else
		printf("  group commit, a returning firm's earlier contracts: "
		       "%ld screens answered from the writer's memory, %ld "
		       "firms read from the store\n",
		       c_hits, c_reads);
	printf("  group commit, client_refs known unused without a read (a "
	       "firm first met here): %ld\n",
	       ref_hits);
	{
		const struct office_phases *ph = &batched.phases;
		double k = ph->n ? 1e-3 / (double)ph->n : 0;

		printf("  CPU per application, group commit (thread CPU time, %ld applications): parse %.1f us%s, screens %.1f us, decide %.1f us, write %.1f us, commit %.1f us\n",
		       ph->n, (double)ph->parse_ns * k,
		       serial ? "" : " (on the parsing thread)",
		       (double)ph->screens_ns * k, (double)ph->decide_ns * k,
		       (double)ph->write_ns * k, (double)ph->commit_ns * k);
	}
	printf("  verified (not timed above): every application in the store under its client_ref, numbered 1..N, ledger balanced, audit chains of %lld + %lld events intact (%.1f s + %.1f s)\n",
	       (long long)batched.events, (long long)single.events,
	       batched.verify_secs, single.verify_secs);

	for (long i = 0; i < n + n1; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(g);
	chips_free(chips);
	return 0;
}
