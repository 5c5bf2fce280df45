/*
 * bench/simulate - N synthetic Shanghai 2025 applications decided and
 * allocated in memory (sim/sim.h), as `quan simulate --synthetic` does.
 *
 * The arrivals are drawn first (gen_received_at) and sorted; then each
 * application is generated in its parsed form (gen_fill: no JSON text),
 * stamped, screened, decided with its applicant's history and placed in
 * its pool. It prints applications per second, the elapsed time, the peak
 * resident memory (getrusage ru_maxrss) and bytes per application; and,
 * as the bound, memcpy over the volume of data the run touches per
 * application (its application, facts, decision summary, arrival,
 * outcome and award: n x that many bytes, copied through a 64 MiB buffer
 * as many times as it takes), with the ratio of the two times.
 *
 * The state-free part (making each application, its facts and screens)
 * runs on -t threads (default 2) through sim/pipe.h; the allocation runs
 * once, in arrival order, on the main thread, so the figures are the same
 * for any -t.
 *
 * usage: bench/simulate [--smoke] [-n N] [-t THREADS]
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "policy/chips.h"
#include "sim/gen.h"
#include "sim/order.h"
#include "sim/pipe.h"
#include "sim/sim.h"

struct arrival {
	int64_t at;
	uint64_t i;
};

static int by_at(const void *x, const void *y)
{
	const struct arrival *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/* One application in the pipe. */
struct slot {
	int rc;
	struct sim_prep pp; /* first: sim_prefetch reads its head */
	struct gen_app ga;
	struct qerr e;
};

struct ctx {
	const struct gen *g;
	const struct gen_names *names;
	struct arrival *arr;
	struct sim *s;
	/* The ordered part's CPU time on the main thread, read at the ends
	 * of each block (so twice a block, not twice an application). */
	double ordered, since;
	uint64_t n;
};

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void prep(void *arg, uint64_t k, void *sl, struct sim_scratch *sr)
{
	struct ctx *c = arg;
	struct slot *x = sl;

	qerr_clear(&x->e);
	x->rc = gen_fill(c->g, c->names, c->arr[k].i, &x->ga);
	if (x->rc)
		qerr_set(&x->e, x->rc, "", "cannot generate");
	else
		x->rc = app_receive(&x->ga.a, c->arr[k].at, &x->e);
	if (!x->rc)
		sim_prepare_facts(c->s, &x->ga.a, &x->pp, sr);
}

/* The block's applications decided ahead, over columns. */
static void prep_block(void *arg, uint64_t lo, uint64_t hi, void *first,
		       struct sim_scratch *sr)
{
	struct ctx *c = arg;
	struct slot *x = first;
	struct sim_prep *pps[SIM_PIPE_BLOCK];
	size_t n = 0;

	for (uint64_t i = lo; i < hi; i++, x++)
		if (!x->rc)
			pps[n++] = &x->pp;
	sim_decide_ahead(c->s, pps, n, sr);
}

static int apply(void *arg, uint64_t k, void *sl)
{
	struct ctx *c = arg;
	struct slot *x = sl;

	if (k % SIM_PIPE_BLOCK == 0)
		c->since = cpu_s();
	if (!x->rc)
		x->rc = sim_apply_prepared(c->s, &x->ga.a, &x->pp, NULL, &x->e);
	if (k % SIM_PIPE_BLOCK == SIM_PIPE_BLOCK - 1 || k + 1 == c->n)
		c->ordered += cpu_s() - c->since;
	if (x->rc)
		fprintf(stderr, "bench/simulate: %llu: %s\n",
			(unsigned long long)c->arr[k].i, x->e.msg);
	return x->rc;
}

/* Arrivals lo..hi, in the order of their numbers. */
static void arrivals(void *arg, uint64_t lo, uint64_t hi)
{
	struct ctx *c = arg;

	for (uint64_t i = lo; i < hi; i++) {
		c->arr[i].i = i;
		gen_received_at(c->g, i, &c->arr[i].at);
	}
}

static void ahead(void *arg, void *sl)
{
	struct ctx *c = arg;
	struct slot *x = sl;

	if (!x->rc)
		sim_prefetch(c->s, &x->pp);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t n = 10000000;
	int threads = 2;
	struct sim_pipe pipe = {0};
	struct ctx c;
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct chip_catalog *chips = NULL;
	static struct gen g;
	struct gen_names *names = malloc(sizeof(*names));
	struct gen_app *ga = malloc(sizeof(*ga));
	struct arrival *arr;
	struct sim s;
	struct qerr e;
	struct rusage ru;
	double t0, t1, tm, cpu0, cpu, sort0;
	size_t volume, per_app, chunk = (size_t)64 << 20;
	char *src, *dst;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			n = 20000;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = (int)strtol(argv[++i], NULL, 10);
		else {
			fputs("usage: bench/simulate [--smoke] [-n N] [-t THREADS]\n",
			      stderr);
			return 1;
		}
	}
	if (policy_load(QUAN_POLICYDIR "/shanghai-2025.yaml", &p, &d) ||
	    chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d)) {
		diag_print(&d, stderr);
		return 1;
	}
	if (!names || !ga)
		return 1;
	gen_init(&g, 42);
	gen_names_init(&g, names);
	g.opt.ineligible_pct = 10;
	g.opt.large_pct = 1;
	arr = malloc((n ? n : 1) * sizeof(*arr));
	qerr_clear(&e);
	if (!arr ||
	    sim_init(&s, (const struct policy *const *)&p, 1, chips, &e) ||
	    sim_reserve(&s, n)) {
		fprintf(stderr, "bench/simulate: %s\n", e.msg);
		return 1;
	}
	{
		struct timespec t;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		cpu0 = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	}
	t0 = now_s();
	c = (struct ctx){&g, names, arr, &s, 0, 0, n};
	sim_pipe_for(n, threads, &c, arrivals);
	/* In order of i already: a stable sort on the time alone is the
	 * order of by_at. */
	sort0 = cpu_s();
	if (sim_sort_by_time(arr, n, sizeof(*arr),
			     offsetof(struct arrival, at)))
		qsort(arr, n, sizeof(*arr), by_at);
	c.ordered = cpu_s() - sort0; /* the sort is ordered work too */
	pipe.n = n;
	pipe.slot = sizeof(struct slot);
	pipe.threads = threads;
	pipe.arg = &c;
	pipe.prep = prep;
	pipe.prep_block = prep_block;
	pipe.apply = apply;
	pipe.ahead = ahead;
	if (sim_pipe_run(&pipe))
		return 1;
	if (sim_finish(&s, &e)) {
		fprintf(stderr, "bench/simulate: %s\n", e.msg);
		return 1;
	}
	t1 = now_s();
	cpu = (double)0;
	{
		struct timespec t;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		cpu = (double)t.tv_sec + (double)t.tv_nsec / 1e9 - cpu0;
	}
	getrusage(RUSAGE_SELF, &ru);
	/* The bound: memcpy over what the run touches per application. */
	per_app = sizeof(struct application) + sizeof(struct facts) +
		  sizeof(struct sim_outcome) + sizeof(struct arrival) +
		  sizeof(money_t);
	volume = n * per_app;
	if (chunk > volume)
		chunk = volume ? volume : 1;
	src = malloc(chunk);
	dst = malloc(chunk);
	if (!src || !dst)
		return 1;
	memset(src, 1, chunk);
	memset(dst, 0, chunk);
	tm = now_s();
	for (size_t done = 0; done < volume; done += chunk) {
		memcpy(dst, src, volume - done < chunk ? volume - done : chunk);
		/* Keep the copy: the next one reads what this one wrote. */
		src[done % chunk] ^= dst[(done + 1) % chunk];
	}
	tm = now_s() - tm;
	printf("bench/simulate: %llu applications decided and allocated (%d threads)\n",
	       (unsigned long long)n, threads);
	printf("  %.0f applications/s, %.3f s elapsed\n", (double)n / (t1 - t0),
	       t1 - t0);
	/* The ordered part (the sort of the arrivals, then placing each
	 * application in turn) runs on one thread whatever -t: with a core
	 * free for each thread, the run takes at least that part, and at
	 * least its share of the whole. */
	printf("  CPU %.3f s in all, of which the ordered part %.3f s (%.0f %%): on 2 free cores at best %.3f s\n",
	       cpu, c.ordered, cpu > 0 ? 100 * c.ordered / cpu : 0.0,
	       c.ordered > cpu / 2 ? c.ordered : cpu / 2);
	printf("  peak memory %ld KiB, %.1f bytes per application\n",
	       ru.ru_maxrss, n ? (double)ru.ru_maxrss * 1024 / (double)n : 0.0);
	printf("  memcpy of the %zu bytes it touches (%zu per application): %.4f s; the run is %.1f x the bound\n",
	       volume, per_app, tm, tm > 0 ? (t1 - t0) / tm : 0.0);
	for (size_t i = 0; i < s.npools; i++)
		printf("  %s: demand %lld fen, awarded %lld fen, served %lld, waitlisted %lld, refused %lld\n",
		       p->pools[s.pools[i].pool].id,
		       (long long)s.pools[i].demand,
		       (long long)s.pools[i].awarded,
		       (long long)s.pools[i].served,
		       (long long)s.pools[i].waitlisted,
		       (long long)s.pools[i].refused);
	free(src);
	free(dst);
	free(arr);
	free(names);
	free(ga);
	sim_release(&s);
	policy_free(p);
	chips_free(chips);
	return 0;
}
