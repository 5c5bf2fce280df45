/*
 * test_simpipe.c - the simulation split in two (sim/pipe.h, sim/order.h,
 * sim_prepare and sim_apply_prepared in sim/sim.h): the radix sort gives
 * qsort's order on (time, number); the pipe applies every item once, in
 * order, whatever the number of threads, and drops every slot it
 * prepared, also when a run ends early; and a simulation fed prepared
 * applications ends with the same outcomes and pools, to the fen, as one
 * fed by sim_apply, on a population in which every applicant comes back
 * hundreds of times (so the history's sums change the caps).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/chips.h"
#include "policy/diag.h"
#include "sim/gen.h"
#include "sim/order.h"
#include "sim/pipe.h"
#include "sim/sim.h"

struct ev {
	int64_t at;
	uint64_t i;
};

static int by_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Times with many ties, negative ones, and a span of more than 32 bits
 * (three passes), small and large. */
static void test_sort_is_qsort(void **state)
{
	/* Ranges of 1 to 63 bits: one pass, and two, three and four passes
	 * of evenly shared digits (17 bits: 9 + 8; 24 bits, 151 days of
	 * seconds: 12 + 12; 41 bits: 14 + 14 + 13). */
	static const int64_t spans[] = {1,
					7,
					1000,
					(int64_t)1 << 16,
					(1 << 16) + 1,
					13046400,
					40000000,
					(int64_t)1 << 40,
					INT64_MAX / 2 + 1,
					INT64_MAX};
	uint64_t seed = 88172645463325252ull;

	(void)state;
	for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++)
		for (size_t n = 0; n < 20000; n = n * 3 + 1) {
			struct ev *a = malloc((n + 1) * sizeof(*a));
			struct ev *b = malloc((n + 1) * sizeof(*b));

			assert_non_null(a);
			assert_non_null(b);
			for (size_t i = 0; i < n; i++) {
				a[i].at = (int64_t)(rnd(&seed) %
						    (uint64_t)spans[s]) -
					  spans[s] / 2;
				a[i].i = i;
			}
			memcpy(b, a, n * sizeof(*a));
			qsort(b, n, sizeof(*b), by_ev);
			assert_int_equal(
				sim_sort_by_time(a, n, sizeof(*a),
						 offsetof(struct ev, at)),
				0);
			assert_memory_equal(a, b, n * sizeof(*a));
			free(a);
			free(b);
		}
}

struct counting {
	atomic_ullong prepared, dropped;
	uint64_t next, sum, stop_at, aheads;
};

struct pslot {
	uint64_t i, sq;
};

static void cprep(void *arg, uint64_t i, void *sl, struct sim_scratch *sr)
{
	struct counting *c = arg;
	struct pslot *x = sl;

	assert_non_null(sr);
	x->i = i;
	x->sq = i * i;
	atomic_fetch_add(&c->prepared, 1);
}

static int capply(void *arg, uint64_t i, void *sl)
{
	struct counting *c = arg;
	struct pslot *x = sl;

	assert_int_equal(i, c->next);
	assert_int_equal(x->i, i);
	assert_int_equal(x->sq, i * i);
	c->next++;
	c->sum += x->sq;
	return i == c->stop_at ? 7 : 0;
}

/* A hint comes for a prepared slot, not yet applied. */
static void cahead(void *arg, void *sl)
{
	struct counting *c = arg;
	struct pslot *x = sl;

	assert_int_equal(x->sq, x->i * x->i);
	assert_true(x->i > c->next);
	c->aheads++;
}

static void cdrop(void *arg, void *sl)
{
	struct counting *c = arg;

	(void)sl;
	atomic_fetch_add(&c->dropped, 1);
}

static void test_pipe_in_order(void **state)
{
	static const uint64_t ns[] = {0, 1, SIM_PIPE_BLOCK,
				      SIM_PIPE_BLOCK * SIM_PIPE_RING * 3 + 17};

	(void)state;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
		for (int t = 1; t <= 3; t++) {
			struct counting c = {0};
			struct sim_pipe p = {ns[k], sizeof(struct pslot),
					     t,	    &c,
					     cprep, capply,
					     cdrop, cahead,
					     NULL};
			uint64_t sum = 0;

			c.stop_at = UINT64_MAX;
			for (uint64_t i = 0; i < ns[k]; i++)
				sum += i * i;
			assert_int_equal(sim_pipe_run(&p), 0);
			assert_int_equal(c.next, ns[k]);
			assert_int_equal(c.sum, sum);
			assert_int_equal(atomic_load(&c.prepared), ns[k]);
			assert_int_equal(atomic_load(&c.dropped), ns[k]);
			assert_true(c.aheads <= ns[k]);
			assert_true(ns[k] < 4 * SIM_PIPE_BLOCK ||
				    c.aheads > ns[k] / 2);
		}
}

/* An apply that says stop ends the run with its code; nothing after it is
 * applied, and whatever was prepared ahead is dropped. */
static void test_pipe_stops(void **state)
{
	(void)state;
	for (int t = 1; t <= 3; t++) {
		struct counting c = {0};
		struct sim_pipe p = {100000, sizeof(struct pslot),
				     t,	     &c,
				     cprep,  capply,
				     cdrop,  cahead,
				     NULL};

		c.stop_at = 5000;
		assert_int_equal(sim_pipe_run(&p), 7);
		assert_int_equal(c.next, 5001);
		assert_true(atomic_load(&c.prepared) >= 5001);
		assert_true(atomic_load(&c.prepared) < 100000);
		assert_int_equal(atomic_load(&c.dropped),
				 atomic_load(&c.prepared));
	}
}

static void mark(void *arg, uint64_t lo, uint64_t hi)
{
	unsigned char *seen = arg;

	for (uint64_t i = lo; i < hi; i++)
		seen[i]++;
}

/* sim_pipe_for covers every index once, with any number of threads. */
static void test_pipe_for(void **state)
{
	static const uint64_t ns[] = {0, 1, 1000, SIM_PIPE_BLOCK * 5 + 3};

	(void)state;
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
		for (int t = 0; t <= 4; t++) {
			unsigned char *seen = calloc(ns[k] + 1, 1);

			assert_non_null(seen);
			sim_pipe_for(ns[k], t, seen, mark);
			for (uint64_t i = 0; i < ns[k]; i++)
				assert_int_equal(seen[i], 1);
			free(seen);
		}
}

/* Shanghai 2025 with every cap read per applicant-year, so that what an
 * applicant asked before cuts its later awards: into path. */
static void yearly_caps(char *path, size_t n)
{
	FILE *in = fopen(QUAN_DATADIR "/../policies/shanghai-2025.yaml", "r");
	FILE *out;
	char line[4096];
	int fd;

	snprintf(path, n, "/tmp/test_simpipe.XXXXXX");
	fd = mkstemp(path);
	assert_true(in && fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		char *at = strstr(line, "per: contract");

		if (at)
			fprintf(out, "%.*sper: applicant-year\n",
				(int)(at - line), line);
		else
			fputs(line, out);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* sim_apply and sim_prepare + sim_apply_prepared, side by side, under
 * the policy at path: outcomes, pools and refusals equal. Every other
 * application asks sim_apply_prepared for the decision. Returns how many
 * were decided ahead; *capped gets how many awards the history cut. */
static int side_by_side(const char *path, int *capped)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct chip_catalog *chips = NULL;
	struct gen *g = malloc(sizeof(*g));
	struct gen_names *nm = malloc(sizeof(*nm));
	struct gen_app *ga = malloc(sizeof(*ga));
	struct sim_scratch *sr = malloc(sizeof(*sr));
	struct sim_prep *pp = malloc(sizeof(*pp));
	struct decision *dz = malloc(sizeof(*dz));
	struct ev *arr;
	struct sim a, b;
	struct qerr e;
	const uint64_t n = 40000;
	int ahead = 0;

	*capped = 0;
	assert_true(g && nm && ga && sr && pp && dz);
	assert_int_equal(policy_load(path, &p, &d), 0);
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d), 0);
	gen_init(g, 7);
	gen_names_init(g, nm);
	g->opt.ineligible_pct = 10;
	g->opt.large_pct = 5;
	arr = malloc(n * sizeof(*arr));
	assert_non_null(arr);
	for (uint64_t i = 0; i < n; i++) {
		arr[i].i = i;
		gen_received_at(g, i, &arr[i].at);
	}
	qsort(arr, n, sizeof(*arr), by_ev);
	qerr_clear(&e);
	assert_int_equal(
		sim_init(&a, (const struct policy *const *)&p, 1, chips, &e),
		0);
	assert_int_equal(
		sim_init(&b, (const struct policy *const *)&p, 1, chips, &e),
		0);
	/* Room reserved for half the run: b grows past it, a never had it;
	 * the outcomes are the same. Beyond the limit, nothing changes. */
	assert_int_equal(sim_reserve(&b, n / 2), 0);
	assert_int_equal(b.out_cap, n / 2);
	assert_int_equal(sim_reserve(&b, SIM_MAX_APPS + 1), Q_ERR_TOO_LARGE);
	assert_int_equal(b.out_cap, n / 2);
	for (uint64_t k = 0; k < n; k++) {
		const struct decision *da = NULL, *db = NULL;
		struct facts f0;
		money_t amount;
		bool eligible;
		int ra, rb;

		assert_int_equal(gen_fill(g, nm, arr[k].i, ga), 0);
		assert_int_equal(app_receive(&ga->a, arr[k].at, &e), 0);
		ra = sim_apply(&a, &ga->a, &da, &e);
		amount = ra ? 0 : da->amount;
		eligible = ra ? false : da->eligible;
		sim_prepare(&b, &ga->a, pp, sr);
		f0 = pp->f; /* sim_apply_prepared gives it the history */
		ahead += pp->decided;
		rb = sim_apply_prepared(&b, &ga->a, pp, k % 2 ? &db : NULL, &e);
		assert_int_equal(ra, rb);
		if (ra || !(k % 2))
			continue;
		assert_int_equal(eligible, db->eligible);
		assert_int_equal(amount, db->amount);
		/* The same application with no history. */
		if (!pp->rc && db->eligible) {
			assert_int_equal(
				decide_facts(p, pp->m, &f0, true, dz, &e), 0);
			*capped += dz->amount != db->amount;
		}
	}
	assert_int_equal(sim_finish(&a, &e), 0);
	assert_int_equal(sim_finish(&b, &e), 0);
	assert_int_equal(a.nout, b.nout);
	assert_memory_equal(a.out, b.out, a.nout * sizeof(*a.out));
	for (size_t i = 0; i < a.npools; i++) {
		assert_int_equal(a.pools[i].demand, b.pools[i].demand);
		assert_int_equal(a.pools[i].awarded, b.pools[i].awarded);
		assert_int_equal(a.pools[i].served, b.pools[i].served);
		assert_int_equal(a.pools[i].waitlisted, b.pools[i].waitlisted);
		assert_int_equal(a.pools[i].refused, b.pools[i].refused);
		assert_int_equal(a.pools[i].dry_on, b.pools[i].dry_on);
		assert_memory_equal(a.pools[i].reasons, b.pools[i].reasons,
				    p->nrules * sizeof(a.pools[i].reasons[0]));
	}
	printf("%s: %d of %llu decided ahead, %d awards cut by the history\n",
	       path, ahead, (unsigned long long)n, *capped);
	sim_release(&a);
	sim_release(&b);
	free(arr);
	free(g);
	free(nm);
	free(ga);
	free(sr);
	free(pp);
	free(dz);
	policy_free(p);
	chips_free(chips);
	diag_release(&d);
	return ahead;
}

/* Yearly caps: their measures are decided in turn (those without a cap
 * still ahead), and the history cuts awards. */
static void test_prepared_equals_apply(void **state)
{
	char path[64];
	int capped;

	(void)state;
	yearly_caps(path, sizeof(path));
	assert_true(side_by_side(path, &capped) < 30000);
	assert_true(capped > 100);
	unlink(path);
}

/* Shanghai as published reads no history: decided ahead. */
static void test_decided_ahead_equals_apply(void **state)
{
	int capped;

	(void)state;
	assert_true(side_by_side(QUAN_DATADIR "/../policies/shanghai-2025.yaml",
				 &capped) > 30000);
	assert_int_equal(capped, 0);
}

/* Which measures are decided ahead: Hangzhou 2025 reads its applicants'
 * compute contracts this year in a condition, so none of its measures
 * is (the reading is policy-wide); a yearly cap stops its own measure. */
static void test_which_ahead(void **state)
{
	static const struct {
		const char *file;
		bool all_ahead, none_ahead;
	} cases[] = {
		{"shanghai-2025.yaml", true, false},
		{"hangzhou-2025.yaml", false, true},
		{"beijing-2023.yaml", false, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag_list d = DIAG_LIST_INIT;
		struct policy *p = NULL;
		struct sim s;
		struct qerr e;
		char path[256];
		size_t n = 0;

		snprintf(path, sizeof(path), "%s/../policies/%s", QUAN_DATADIR,
			 cases[i].file);
		assert_int_equal(policy_load(path, &p, &d), 0);
		assert_int_equal(sim_init(&s, (const struct policy *const *)&p,
					  1, NULL, &e),
				 0);
		for (size_t m = 0; m < p->nmeasures; m++)
			n += s.ahead[0][m];
		if (cases[i].all_ahead)
			assert_int_equal(n, p->nmeasures);
		if (cases[i].none_ahead)
			assert_int_equal(n, 0);
		if (!cases[i].all_ahead && !cases[i].none_ahead)
			assert_true(n < p->nmeasures);
		sim_release(&s);
		policy_free(p);
		diag_release(&d);
	}
}

/* sim_prepare_facts + sim_decide_ahead (over columns, a batch at a
 * time) against sim_prepare (decide_facts, one at a time), application
 * by application, under the policy at path, with batches of every size
 * from 1 to SIM_DECIDE_MAX: the same prepared result. Returns how many
 * were decided ahead. */
static int ahead_by_columns(const char *path, uint64_t seed)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct chip_catalog *chips = NULL;
	struct gen *g = malloc(sizeof(*g));
	struct gen_names *nm = malloc(sizeof(*nm));
	struct gen_app *ga = calloc(SIM_DECIDE_MAX, sizeof(*ga));
	struct sim_scratch *sr = malloc(sizeof(*sr));
	struct sim_prep *one = malloc(sizeof(*one));
	struct sim_prep *pp = calloc(SIM_DECIDE_MAX, sizeof(*pp));
	struct sim_prep *pps[SIM_DECIDE_MAX];
	struct sim s;
	struct qerr e;
	uint64_t i = 0;
	int ahead = 0;

	assert_true(g && nm && ga && sr && one && pp);
	assert_int_equal(policy_load(path, &p, &d), 0);
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d), 0);
	gen_init(g, seed);
	gen_names_init(g, nm);
	g->opt.ineligible_pct = 20;
	g->opt.large_pct = 10;
	qerr_clear(&e);
	assert_int_equal(
		sim_init(&s, (const struct policy *const *)&p, 1, chips, &e),
		0);
	for (size_t batch = 1; batch <= SIM_DECIDE_MAX;
	     batch += batch < 8 ? 1 : 37) {
		for (size_t j = 0; j < batch; j++, i++) {
			int64_t at;

			assert_int_equal(gen_fill(g, nm, i, &ga[j]), 0);
			gen_received_at(g, i, &at);
			assert_int_equal(app_receive(&ga[j].a, at, &e), 0);
			sim_prepare_facts(&s, &ga[j].a, &pp[j], sr);
			assert_false(pp[j].decided);
			pps[j] = &pp[j];
		}
		sim_decide_ahead(&s, pps, batch, sr);
		for (size_t j = 0; j < batch; j++) {
			sim_prepare(&s, &ga[j].a, one, sr);
			assert_int_equal(pp[j].rc, one->rc);
			assert_int_equal(pp[j].decided, one->decided);
			ahead += one->decided;
			if (!one->decided)
				continue;
			assert_int_equal(pp[j].eligible, one->eligible);
			assert_int_equal(pp[j].asked, one->asked);
			assert_int_equal(pp[j].nreasons, one->nreasons);
			assert_memory_equal(pp[j].reasons, one->reasons,
					    one->nreasons *
						    sizeof(one->reasons[0]));
		}
	}
	printf("%s: %d of %llu decided ahead over columns\n", path, ahead,
	       (unsigned long long)i);
	sim_release(&s);
	free(g);
	free(nm);
	free(ga);
	free(sr);
	free(one);
	free(pp);
	policy_free(p);
	chips_free(chips);
	diag_release(&d);
	return ahead;
}

/* Shanghai is decided ahead, over columns, as decide_facts decides it;
 * with yearly caps its measures are left for their turn. */
static void test_ahead_by_columns(void **state)
{
	char path[64];

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		assert_true(ahead_by_columns(QUAN_DATADIR
					     "/../policies/shanghai-2025.yaml",
					     seed) > 800);
	yearly_caps(path, sizeof(path));
	ahead_by_columns(path, 4);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_is_qsort),
		cmocka_unit_test(test_pipe_in_order),
		cmocka_unit_test(test_pipe_stops),
		cmocka_unit_test(test_pipe_for),
		cmocka_unit_test(test_prepared_equals_apply),
		cmocka_unit_test(test_decided_ahead_equals_apply),
		cmocka_unit_test(test_which_ahead),
		cmocka_unit_test(test_ahead_by_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
