/*
 * bench/decide - decisions per second for the Shanghai 2025 policy.
 *
 * Generates N distinct applications (every one its own contract value,
 * dates, flags, parties and chip), then times, on one core:
 *   1. decide()       - the path `quan estimate` runs after parsing: program
 *                       and measure look-up, facts (chip catalog, related
 *                       party), eligibility, rate table, caps, trace;
 *   2. decide_facts() - the same over facts built beforehand (the
 *                       "calculation alone" figure);
 *   3. a baseline: the same Shanghai rules written by hand in C over the
 *      same facts, no interpreter. Its amounts must equal the engine's to
 *      the fen, application by application, or the run fails; and the
 *      decisions of 1 and 2 must equal the plain reading's
 *      (decide_facts_ref), every field and the trace, or it fails too.
 * Prints decisions/s for each and the engine's ratio to the baseline.
 *
 * Each application is stamped as the office would stamp it (app_receive):
 * received at a second of its own inside the window (2025-08-01 ..
 * 2025-12-29, office time), its contract signed up to 200 days before; the
 * decision checks the window against that time, as an estimate at
 * ?at=TIME does. An application carries no number: its client_ref and
 * contract number are "bench-<i>".
 *
 * usage: bench/decide [--smoke] [-n N] [--policy FILE] [--chips FILE]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/uscc.h"
#include "engine/decide.h"

#define NPARTIES 4096

/* xorshift64*: a fixed seed, so every run decides the same applications. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}
static int64_t rnd_in(int64_t lo, int64_t hi) /* inclusive */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct parties {
	char uscc[NPARTIES][USCC_LEN + 1];
	char ctrl[NPARTIES][19];
	const char *ctrl_ptr[NPARTIES];
};

static void make_parties(struct parties *ps)
{
	static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

	for (int i = 0; i < NPARTIES; i++) {
		char *u = ps->uscc[i];

		memcpy(u, "91310115", 8);
		for (int k = 8; k < 17; k++)
			u[k] = alpha[rnd() % 31];
		u[17] = uscc_check_char(u);
		u[18] = '\0';
		/* i < NPARTIES: eight digits, as the compiler is told. */
		snprintf(ps->ctrl[i], sizeof(ps->ctrl[i]), "3101011980%08u",
			 (unsigned)i % 100000000u);
		ps->ctrl_ptr[i] = ps->ctrl[i];
	}
}

struct measure_mix {
	const char *id;
	int weight;
	enum contract_kind kind;
	int compute;
};

static const struct measure_mix mix[] = {
	{"compute-rent", 40, KIND_RENT, 1},
	{"compute-early", 15, KIND_RENT, 1},
	{"compute-build", 5, KIND_BUILD, 1},
	{"model", 20, KIND_API, 0},
	{"corpus", 15, KIND_CORPUS, 0},
	{"rnd", 3, KIND_BUILD, 0},
	{"institute", 2, KIND_GRANT, 0},
};
static const char *chips_used[] = {"ascend-910c", "ascend-910b", "nvidia-h100",
				   "nvidia-a800", "cambricon-mlu590"};

static void make_app(struct application *a, struct parties *ps, int i,
		     char *idbuf)
{
	const struct measure_mix *m = &mix[0];
	int w = (int)rnd_in(0, 99);
	int ap = (int)rnd_in(0, NPARTIES - 1);
	int sp = (int)rnd_in(0, NPARTIES - 1);
	qdate day;
	int64_t at;
	struct qerr e;

	for (size_t k = 0; k < sizeof(mix) / sizeof(mix[0]); k++) {
		if (w < mix[k].weight) {
			m = &mix[k];
			break;
		}
		w -= mix[k].weight;
	}
	memset(a, 0, sizeof(*a));
	snprintf(idbuf, 24, "bench-%07d", i);
	a->client_ref = idbuf;
	a->program = "shanghai-2025";
	a->measure = m->id;
	/* Received at a second of that day, office time (UTC+8). */
	day = date_from_ymd(2025, 8, 1) + (qdate)rnd_in(0, 150);
	at = (int64_t)day * 86400 + rnd_in(0, 86399) - DATE_OFFICE_OFFSET;
	a->applicant.uscc = ps->uscc[ap];
	a->applicant.name = "示例智能科技（上海）有限公司";
	a->applicant.registered_city = rnd() % 20 ? "shanghai" : "hangzhou";
	a->applicant.industry = "I65";
	a->applicant.sme = rnd() & 1;
	a->applicant.startup = rnd() % 3 == 0;
	a->applicant.registered_model = rnd() % 10 == 0;
	a->applicant.has_bad_credit = rnd() % 50 == 0;
	a->applicant.last_bad_credit_on =
		date_from_ymd(2019, 1, 1) + (qdate)rnd_in(0, 2000);
	a->applicant.controllers = &ps->ctrl_ptr[ap];
	a->applicant.ncontrollers = 1;
	/* One in 25 suppliers shares the applicant's controller. */
	a->supplier.uscc = ps->uscc[sp];
	a->supplier.name = "示例算力服务有限公司";
	a->supplier.registered_city = "";
	a->supplier.industry = "";
	a->supplier.platform_listed = rnd() % 10 != 0;
	a->supplier.controllers = &ps->ctrl_ptr[rnd() % 25 == 0 ? ap : sp];
	a->supplier.ncontrollers = 1;
	a->contract.number = idbuf;
	a->contract.kind = m->kind;
	a->contract.value = rnd_in(1000000, 3000000000); /* 10 k .. 30 M yuan */
	if (m->kind == KIND_GRANT)
		a->contract.value = rnd_in(1000000000, 60000000000);
	a->contract.signed_on = day - (qdate)rnd_in(0, 200);
	a->contract.term_months =
		m->kind == KIND_GRANT ? rnd_in(24, 72) : rnd_in(1, 36);
	a->contract.uses_registered_model = rnd() % 4 == 0;
	if (m->compute) {
		a->contract.has_compute = true;
		a->contract.compute.chip = chips_used[rnd() % 5];
		a->contract.compute.accelerators = rnd_in(1, 1024);
		a->contract.compute.hours = rnd_in(1, 8760);
		a->contract.compute.location =
			rnd() % 20 ? "shanghai" : "suzhou";
	}
	/* The office's stamp: the time of receipt, and the refusal of a
	 * contract signed after it (none is, here). */
	qerr_clear(&e);
	if (app_receive(a, at, &e) || a->received_on != day) {
		fprintf(stderr, "bench: application %d: %s\n", i,
			e.code ? e.msg : "received on another day");
		exit(1);
	}
}

/* The baseline: Shanghai 2025 as policies/shanghai-2025.yaml says it,
 * written by hand over the same facts, with the same money functions.
 * Returns the amount, or -1 when not eligible. */
enum { M_RENT, M_EARLY, M_BUILD, M_MODEL, M_CORPUS, M_RND, M_INSTITUTE };

static money_t native_shanghai(int m, const struct facts *f, int64_t opens,
			       int64_t closes)
{
	static const money_t cap[] = {
		-1, -1, -1, 500000000, 500000000, 5000000000, 50000000000};
	static const rate_bp rate[] = {3000, 10000, 1000, 5000,
				       3000, 3000,  10000};
	static const uint32_t kinds[] = {
		1u << KIND_RENT,
		1u << KIND_RENT,
		1u << KIND_BUILD,
		(1u << KIND_API) | (1u << KIND_PRIVATE_DEPLOYMENT),
		1u << KIND_CORPUS,
		(1u << KIND_BUILD) | (1u << KIND_BUY),
		1u << KIND_GRANT};
	money_t base = f->i[F_CONTRACT_VALUE];
	money_t amount;
	bool ok = (kinds[m] >> f->kind) & 1;

	ok &= f->received_at >= opens && f->received_at <= closes;
	ok &= strcmp(f->s[F_APPLICANT_REGISTERED_CITY], "shanghai") == 0;
	ok &= (f->null_mask >> F_APPLICANT_LAST_BAD_CREDIT_ON) & 1 ||
	      f->i[F_APPLICANT_LAST_BAD_CREDIT_ON] <
		      date_add_years((qdate)f->i[F_CONTRACT_SIGNED_ON], -3);
	switch (m) {
	case M_EARLY:
		ok &= f->i[F_APPLICANT_STARTUP] || f->i[F_APPLICANT_SME];
		/* fall through */
	case M_RENT:
		/* 489号 makes neither the scheduling platform nor the
		 * compute's location a condition of renting (issue 11). */
		ok &= f->i[F_COMPUTE_PRESENT] != 0;
		break;
	case M_BUILD:
		ok &= f->i[F_COMPUTE_DOMESTIC] != 0;
		ok &= strcmp(f->s[F_COMPUTE_LOCATION], "shanghai") == 0;
		break;
	case M_MODEL: /* a third party's model */
	case M_CORPUS:
		ok &= !f->i[F_RELATED_PARTY];
		break;
	case M_INSTITUTE:
		ok &= f->i[F_CONTRACT_TERM_MONTHS] >= 36 &&
		      f->i[F_CONTRACT_TERM_MONTHS] <= 60;
		break;
	}
	if (!ok)
		return -1;
	if (m == M_EARLY) {
		int64_t t = f->i[F_CONTRACT_TERM_MONTHS];

		if (money_scale(base, t < 12 ? t : 12, t, &base))
			return -2;
	}
	if (money_apply_rate(base, rate[m], &amount))
		return -2;
	if (cap[m] >= 0 && amount > cap[m])
		amount = cap[m];
	return amount;
}

/* Whether two decisions agree in every field, the arrays up to their
 * counts. */
static bool same_decision(const struct decision *a, const struct decision *b)
{
	if (a->measure != b->measure || a->eligible != b->eligible ||
	    a->rate != b->rate || a->rate_rule != b->rate_rule ||
	    a->base != b->base || a->gross != b->gross ||
	    a->amount != b->amount || a->review_up_to != b->review_up_to ||
	    a->yearly_caps_without_history != b->yearly_caps_without_history ||
	    a->nreasons != b->nreasons || a->ncaps != b->ncaps ||
	    a->ntrace != b->ntrace ||
	    a->trace_truncated != b->trace_truncated ||
	    a->nflags != b->nflags || a->nfunders != b->nfunders ||
	    a->params_date != b->params_date)
		return false;
	for (uint16_t k = 0; k < a->nreasons; k++)
		if (a->reasons[k] != b->reasons[k])
			return false;
	for (uint16_t k = 0; k < a->ncaps; k++)
		if (a->caps[k].rule != b->caps[k].rule ||
		    a->caps[k].limit != b->caps[k].limit ||
		    a->caps[k].cut != b->caps[k].cut)
			return false;
	for (uint16_t k = 0; k < a->ntrace; k++)
		if (a->trace[k].rule != b->trace[k].rule ||
		    a->trace[k].outcome != b->trace[k].outcome ||
		    a->trace[k].value != b->trace[k].value)
			return false;
	for (uint16_t k = 0; k < a->nflags; k++)
		if (memcmp(&a->flags[k], &b->flags[k], sizeof(a->flags[k])))
			return false;
	for (uint16_t k = 0; k < a->nfunders; k++)
		if (a->funders[k].rule != b->funders[k].rule ||
		    a->funders[k].amount != b->funders[k].amount)
			return false;
	return true;
}

static void usage(void)
{
	fputs("usage: bench/decide [--smoke] [-n N] [--policy FILE] [--chips FILE]\n",
	      stderr);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *policy_path =
		QUAN_DATADIR "/../policies/shanghai-2025.yaml";
	const char *chips_path = QUAN_DATADIR "/chips.yaml";
	long n = 2000000;
	int reps = 3;
	struct diag_list dl = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct chip_catalog *chips = NULL;
	struct parties *ps;
	struct application *apps;
	struct facts *facts;
	int *measure;
	char(*ids)[24];
	struct decision d;
	struct qerr e;
	money_t sum_full = 0, sum_facts = 0, sum_native = 0;
	long eligible = 0;
	double best_full = 1e30, best_facts = 1e30, best_native = 1e30;
	int64_t opens, closes;
	int map[7];
	cpu_set_t one;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			n = 20000;
			reps = 1;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			policy_path = argv[++i];
		} else if (!strcmp(argv[i], "--chips") && i + 1 < argc) {
			chips_path = argv[++i];
		} else {
			usage();
		}
	}
	if (n <= 0)
		usage();
	/* One core: the figure is per core, as the issue asks. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);

	if (policy_load(policy_path, &p, &dl) ||
	    chips_load(chips_path, &chips, &dl)) {
		diag_print(&dl, stderr);
		return 1;
	}
	diag_release(&dl);
	for (int k = 0; k < 7; k++) {
		map[k] = policy_find_measure(p, mix[k].id, strlen(mix[k].id));
		if (map[k] < 0) {
			fprintf(stderr, "bench: policy has no measure '%s'\n",
				mix[k].id);
			return 1;
		}
	}
	opens = p->measures[map[0]].window_opens;
	closes = p->measures[map[0]].window_closes;

	ps = malloc(sizeof(*ps));
	apps = calloc((size_t)n, sizeof(*apps));
	facts = calloc((size_t)n, sizeof(*facts));
	measure = calloc((size_t)n, sizeof(*measure));
	ids = calloc((size_t)n, sizeof(*ids));
	if (!ps || !apps || !facts || !measure || !ids) {
		fputs("bench: out of memory\n", stderr);
		return 1;
	}
	make_parties(ps);
	for (long i = 0; i < n; i++) {
		make_app(&apps[i], ps, (int)i, ids[i]);
		for (int k = 0; k < 7; k++)
			if (apps[i].measure == mix[k].id)
				measure[i] = k;
		if (facts_build(&apps[i], chips, NULL, &facts[i], &e)) {
			fprintf(stderr, "bench: %s\n", e.msg);
			return 1;
		}
		facts_keys(&facts[i], p->string_fields);
	}

	for (int r = 0; r < reps; r++) {
		double t0, t;
		money_t s = 0;

		/* 1. the full path from a parsed application */
		t0 = now();
		for (long i = 0; i < n; i++) {
			if (decide(p, &apps[i], chips, NULL, &d, &e)) {
				fprintf(stderr, "bench: %s: %s\n",
					apps[i].client_ref, e.msg);
				return 1;
			}
			s += d.amount;
		}
		t = now() - t0;
		best_full = t < best_full ? t : best_full;
		sum_full = s;

		/* 2. over facts built beforehand */
		s = 0;
		eligible = 0;
		t0 = now();
		for (long i = 0; i < n; i++) {
			if (decide_facts(p, map[measure[i]], &facts[i], false,
					 &d, &e)) {
				fprintf(stderr, "bench: %s\n", e.msg);
				return 1;
			}
			s += d.amount;
			eligible += d.eligible;
		}
		t = now() - t0;
		best_facts = t < best_facts ? t : best_facts;
		sum_facts = s;

		/* 3. the hand-written baseline over the same facts */
		s = 0;
		t0 = now();
		for (long i = 0; i < n; i++) {
			money_t a = native_shanghai(measure[i], &facts[i],
						    opens, closes);
			s += a > 0 ? a : 0;
		}
		t = now() - t0;
		best_native = t < best_native ? t : best_native;
		sum_native = s;
	}

	/* Exact to the fen, application by application; and every field of
	 * the decision, trace included, the same from decide(), from
	 * decide_facts() and from the plain reading (decide_facts_ref). */
	for (long i = 0; i < n; i++) {
		money_t a =
			native_shanghai(measure[i], &facts[i], opens, closes);
		struct decision full, ref;

		if (decide(p, &apps[i], chips, NULL, &full, &e) ||
		    decide_facts_ref(p, map[measure[i]], &facts[i], false, &ref,
				     &e) ||
		    decide_facts(p, map[measure[i]], &facts[i], false, &d,
				 &e) ||
		    !same_decision(&d, &ref) || !same_decision(&full, &ref)) {
			fprintf(stderr,
				"bench: %s (%s): decide(), decide_facts() and decide_facts_ref() differ\n",
				apps[i].client_ref, apps[i].measure);
			return 1;
		}

		if (decide_facts(p, map[measure[i]], &facts[i], false, &d,
				 &e) ||
		    (a < 0 ? d.eligible : !d.eligible || d.amount != a)) {
			char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

			fprintf(stderr,
				"bench: %s (%s): engine %s %s, baseline %s\n",
				apps[i].client_ref, apps[i].measure,
				d.eligible ? "eligible" : "not eligible",
				money_format(d.amount, x),
				a < 0 ? "not eligible" : money_format(a, y));
			return 1;
		}
	}
	if (sum_full != sum_facts || sum_facts != sum_native) {
		fputs("bench: totals differ between the three runs\n", stderr);
		return 1;
	}

	{
		char tot[MONEY_TEXT_MAX];

		printf("bench/decide: %ld distinct Shanghai 2025 applications, %ld eligible, %s yuan awarded (best of %d runs, one core)\n",
		       n, eligible, money_format(sum_facts, tot), reps);
		printf("  decide() from parsed applications  %8.2f M decisions/s  %6.1f ns each\n",
		       n / best_full / 1e6, best_full / n * 1e9);
		printf("  decide_facts() over built facts    %8.2f M decisions/s  %6.1f ns each\n",
		       n / best_facts / 1e6, best_facts / n * 1e9);
		printf("  baseline: hand-written C rules     %8.2f M decisions/s  %6.1f ns each\n",
		       n / best_native / 1e6, best_native / n * 1e9);
		printf("  ratio engine/baseline: decide() %.2f, decide_facts() %.2f (every amount equal to the fen)\n",
		       best_native / best_full, best_native / best_facts);
	}
	policy_free(p);
	chips_free(chips);
	free(ps);
	free(apps);
	free(facts);
	free(measure);
	free(ids);
	return 0;
}
