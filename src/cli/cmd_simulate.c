/*
 * cmd_simulate.c - `quan simulate`: a population decided and allocated as
 * the office would, under the policies and, with --reform, under reformed
 * ones (docs/simulate.md).
 */
#include <assert.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/date.h"
#include "core/file.h"
#include "engine/app.h"
#include "sim/appcsv.h"
#include "sim/gen.h"
#include "sim/order.h"
#include "sim/pipe.h"
#include "sim/reform.h"
#include "sim/sim.h"
#include "sim/simrun.h"
#include "store/store.h"

static const char usage[] =
	"usage: quan simulate --policy FILE... [--reform R.yaml]... [--compare]\n"
	"         (--synthetic N --seed S | --population FILE.csv\n"
	"          | --from-db DB)\n"
	"         [--json] [--csv FILE] [--chips FILE] [--threads N]\n"
	"Decide every application of a population with the office's engine,\n"
	"then allocate each measure's pool in its own order (first come first\n"
	"served with the waitlist, pro-rata rounds, yearly caps, grant\n"
	"tranches), in memory: nothing is written to any office.\n"
	"Per pool and year: budget, demand, awarded, the day it runs dry,\n"
	"served, waitlisted and refused (by rule), the domestic-chip share and\n"
	"the distribution of awards.\n"
	"--reform R.yaml applies a reform to the first --policy (several are\n"
	"chained in order); --compare runs the baseline and the reform in one\n"
	"pass and prints the differences per pool.\n"
	"--synthetic N --seed S: N generated Shanghai 2025 applications.\n"
	"--population FILE.csv: applications as CSV, received_at on every row.\n"
	"--from-db DB: an office's own applications, read only.\n"
	"--csv FILE: one row per application (id, program, measure,\n"
	"received_at, eligible, amount, state, reasons).\n"
	"--write-population FILE.csv: the population itself as the application\n"
	"CSV (quan apply --csv and --population read it), in order of receipt.\n"
	"--threads N: make, screen and build the facts of applications on N\n"
	"threads (default: the processors online, at most 64); the allocation\n"
	"runs once, in arrival order, so every figure is the same for any N.\n";

#define MAX_POLICIES SIM_MAX_PROGRAMS
#define MAX_SYNTHETIC 100000000ull
#define SIM_SYNTHETIC_INELIGIBLE_PCT SIMRUN_INELIGIBLE_PCT
#define SIM_SYNTHETIC_LARGE_PCT SIMRUN_LARGE_PCT

struct sopts {
	const char *policies[MAX_POLICIES];
	int npolicies;
	const char *reforms[REFORM_MAX];
	int nreforms;
	const char *synthetic, *seed, *population, *from_db, *csv, *chips;
	const char *write_population, *threads;
	int json, compare;
};

/* One application of the population: its id, when it was received, its
 * JSON text (NULL for a synthetic one, made again when it is its turn). */
struct item {
	int64_t at;
	uint64_t n; /* the order it came in */
	char *id;
	char *json;
};

struct population {
	struct item *v;
	size_t n, cap;
	struct gen *gen; /* synthetic: the generator */
	/* Synthetic: the parties' names, and the application last generated
	 * (gen_fill), which item_app's application borrows from. */
	struct gen_names *names;
	struct gen_app *scratch;
};

static int opts_parse(int argc, char **argv, struct sopts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **slot = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!strcmp(a, "--json")) {
			o->json = 1;
			continue;
		}
		if (!strcmp(a, "--compare")) {
			o->compare = 1;
			continue;
		}
		if (!strcmp(a, "--policy") && o->npolicies < MAX_POLICIES)
			slot = &o->policies[o->npolicies++];
		else if (!strcmp(a, "--reform") && o->nreforms < REFORM_MAX)
			slot = &o->reforms[o->nreforms++];
		else if (!strcmp(a, "--synthetic"))
			slot = &o->synthetic;
		else if (!strcmp(a, "--seed"))
			slot = &o->seed;
		else if (!strcmp(a, "--population"))
			slot = &o->population;
		else if (!strcmp(a, "--from-db"))
			slot = &o->from_db;
		else if (!strcmp(a, "--csv"))
			slot = &o->csv;
		else if (!strcmp(a, "--chips"))
			slot = &o->chips;
		else if (!strcmp(a, "--write-population"))
			slot = &o->write_population;
		else if (!strcmp(a, "--threads"))
			slot = &o->threads;
		if (!slot || i + 1 >= argc) {
			fprintf(stderr, "quan: %s '%s'\n\n%s",
				slot ? "a value is needed after"
				     : "unknown option",
				a, usage);
			return -1;
		}
		*slot = argv[++i];
	}
	if (!o->npolicies ||
	    !!o->synthetic + !!o->population + !!o->from_db != 1 ||
	    !!o->synthetic != !!o->seed || (o->compare && !o->nreforms)) {
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

static int push(struct population *p, int64_t at, char *id, char *json)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct item *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = (struct item){at, p->n, id, json};
	p->n++;
	return 0;
}

static int by_arrival(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return (a->n > b->n) - (a->n < b->n);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (!*s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Arrivals lo..hi of population p (sim_pipe_for). */
static void arrivals(void *arg, uint64_t lo, uint64_t hi)
{
	struct population *p = arg;

	for (uint64_t i = lo; i < hi; i++) {
		int64_t at;

		gen_received_at(p->gen, i, &at);
		p->v[i] = (struct item){at, i, NULL, NULL};
	}
}

static int load_synthetic(const struct sopts *o, struct population *p,
			  int threads)
{
	uint64_t n, seed;

	if (parse_u64(o->synthetic, MAX_SYNTHETIC, &n) ||
	    parse_u64(o->seed, UINT64_MAX, &seed)) {
		fputs("quan: --synthetic N and --seed S are whole numbers\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	p->gen = malloc(sizeof(*p->gen));
	p->names = malloc(sizeof(*p->names));
	p->scratch = malloc(sizeof(*p->scratch));
	if (!p->gen || !p->names || !p->scratch || gen_init(p->gen, seed) ||
	    gen_names_init(p->gen, p->names))
		return EXIT_BAD_INPUT;
	/* The calibration of docs/simulate.md: one in ten fails a
	 * condition, one in a hundred is a large contract. */
	p->gen->opt.ineligible_pct = SIM_SYNTHETIC_INELIGIBLE_PCT;
	p->gen->opt.large_pct = SIM_SYNTHETIC_LARGE_PCT;
	p->v = malloc((n ? n : 1) * sizeof(*p->v));
	if (!p->v)
		return EXIT_BAD_INPUT;
	p->cap = n;
	sim_pipe_for(n, threads, p, arrivals);
	p->n = n;
	return 0;
}

static int load_csv(const struct sopts *o, struct population *p)
{
	struct appcsv r;
	struct qerr e;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	qerr_clear(&e);
	rc = file_read(o->population, APPCSV_MAX_BYTES, "a population", &buf,
		       &len, &e);
	if (!rc)
		rc = appcsv_open(&r, o->population, buf, len, true, &e);
	while (!rc) {
		char *json, id[32];
		size_t jl;
		bool has_at;
		int64_t at;
		struct application a;

		rc = appcsv_next(&r, &json, &jl, &a, &has_at, &at, &e);
		if (rc || !json)
			break;
		snprintf(id, sizeof(id), "row-%ld", r.line);
		rc = push(p, at, strdup(a.client_ref ? a.client_ref : id), json)
			     ? qerr_set(&e, Q_ERR_NOMEM, "", "out of memory")
			     : Q_OK;
		app_release(&a);
	}
	appcsv_release(&r);
	free(buf);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return cli_exit_for(rc);
	}
	return 0;
}

struct db_collect {
	struct population *p;
	const struct sopts *o;
	int rc;
};

static int db_visit(void *arg, const struct store_app *a)
{
	struct db_collect *c = arg;
	char *json = strdup(a->json ? a->json : "{}");

	if (!json || push(c->p, a->received_at, strdup(a->id), json)) {
		free(json);
		c->rc = Q_ERR_NOMEM;
		return 1;
	}
	return 0;
}

/* The office's applications, read only: the store is opened and read,
 * never written (no transaction is begun). */
static int load_db(const struct sopts *o, struct population *p)
{
	struct store *s = NULL;
	struct db_collect c = {p, o, 0};
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = store_open(o->from_db, &s, &e);
	if (!rc)
		rc = store_app_each(s, NULL, -1, db_visit, &c, &e);
	if (!rc && c.rc)
		rc = qerr_set(&e, c.rc, "", "out of memory");
	store_close(s);
	if (rc) {
		fprintf(stderr, "quan: %s: %s\n", o->from_db, e.msg);
		return cli_exit_for(rc);
	}
	return 0;
}

/* --- output --------------------------------------------------------------------------- */

static void print_pool(struct sim_pool *pl)
{
	const struct policy *p = pl->policy;
	char b[5][MONEY_TEXT_MAX], day[DATE_TEXT_MAX];
	struct sim_dist d;

	sim_distribution(pl, &d);
	printf("%s/%s/%d\n", p->program, p->pools[pl->pool].id, pl->year);
	printf("  budget %s  demand %s  awarded %s  left %s\n",
	       money_format(pl->budget, b[0]), money_format(pl->demand, b[1]),
	       money_format(pl->awarded, b[2]),
	       money_format(pl->available, b[3]));
	printf("  runs dry %s  served %lld  waitlisted %lld  refused %lld\n",
	       pl->dry_on == SIM_NEVER ? "never" : date_format(pl->dry_on, day),
	       (long long)pl->served, (long long)pl->waitlisted,
	       (long long)pl->refused);
	for (size_t r = 0; r < p->nrules; r++)
		if (pl->reasons[r])
			printf("    refused by %s: %lld\n", p->rules[r].id,
			       (long long)pl->reasons[r]);
	printf("  domestic chips %s of %s (%lld.%02lld %%), %lld of %lld H100-equivalent hours (%lld.%02lld %%)\n",
	       money_format(pl->domestic_subsidy, b[0]),
	       money_format(pl->compute_subsidy, b[1]),
	       (long long)d.domestic_subsidy_bp / 100,
	       (long long)d.domestic_subsidy_bp % 100,
	       (long long)pl->domestic_hours, (long long)pl->hours,
	       (long long)d.domestic_hours_bp / 100,
	       (long long)d.domestic_hours_bp % 100);
	printf("  awards p10 %s  p50 %s  p90 %s  p99 %s  top-10 share %lld.%02lld %%\n",
	       money_format(d.p10, b[0]), money_format(d.p50, b[1]),
	       money_format(d.p90, b[2]), money_format(d.p99, b[3]),
	       (long long)d.top10_bp / 100, (long long)d.top10_bp % 100);
}

static void print_delta(const char *what, int64_t base, int64_t ref, bool money)
{
	char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX], c[MONEY_TEXT_MAX];

	if (money)
		printf("  %-10s %16s -> %16s  (%s)\n", what,
		       money_format(base, a), money_format(ref, b),
		       money_format(ref - base, c));
	else
		printf("  %-10s %16lld -> %16lld  (%+lld)\n", what,
		       (long long)base, (long long)ref,
		       (long long)(ref - base));
}

/* --- running -------------------------------------------------------------------------- */

/* A progress line on a terminal only: done of n, the rate, time left. */
static void progress(uint64_t done, uint64_t n, const struct timespec *t0)
{
	struct timespec t;
	int64_t ms, rate;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (t.tv_sec - t0->tv_sec) * 1000 +
	     (t.tv_nsec - t0->tv_nsec) / 1000000;
	rate = ms > 0 ? (int64_t)(done * 1000 / (uint64_t)ms) : 0;
	fprintf(stderr, "\r%llu/%llu applications, %lld/s, %llds left   ",
		(unsigned long long)done, (unsigned long long)n,
		(long long)rate,
		(long long)(rate ? (int64_t)(n - done) / rate : 0));
}

/* The application of item it, received: *a. A synthetic one is filled
 * directly (gen_fill), never printed and parsed: it borrows from
 * p->scratch until the next call, and app_release on it frees nothing. */
static int item_app(const struct population *p, struct item *it,
		    struct application *a, struct qerr *e)
{
	int rc;

	if (p->gen) {
		rc = gen_fill(p->gen, p->names, it->n, p->scratch);
		if (rc)
			return qerr_set(e, rc, "", "cannot generate");
		*a = p->scratch->a;
	} else {
		rc = app_parse_json(it->json, strlen(it->json), a, e);
	}
	if (!rc)
		rc = app_receive(a, it->at, e);
	return rc;
}

static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void list_field(FILE *f, const char **v, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ";" : "", v[i]);
	fputc('"', f);
}

/* The population as the application CSV (docs/simulate.md), in order of
 * receipt: what `quan apply --csv` and `--population` read. */
static int write_population(const struct population *pop, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs("client_ref,program,measure,received_at,applicant_uscc,"
	      "applicant_name,registered_city,industry,sme,startup,"
	      "registered_model,last_bad_credit_on,applicant_controllers,"
	      "supplier_uscc,supplier_name,platform_listed,"
	      "supplier_controllers,contract_number,kind,value,signed_on,"
	      "term_months,uses_registered_model,chip,accelerators,hours,"
	      "location\n",
	      f);
	for (size_t i = 0; i < pop->n; i++) {
		struct application a;
		struct qerr e;
		char at[DATETIME_TEXT_MAX], m[MONEY_TEXT_MAX],
			d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
		const struct app_party *ap = &a.applicant, *sp = &a.supplier;
		const struct app_contract *c = &a.contract;

		memset(&a, 0, sizeof(a));
		if (item_app(pop, &pop->v[i], &a, &e)) {
			app_release(&a);
			continue;
		}
		fprintf(f, "%s,%s,%s,%s,%s,", a.client_ref ? a.client_ref : "",
			a.program, a.measure,
			datetime_format(a.received_at, at), ap->uscc);
		csv_field(f, ap->name);
		fprintf(f, ",%s,%s,%s,%s,%s,%s,", ap->registered_city,
			ap->industry ? ap->industry : "",
			ap->sme ? "true" : "false",
			ap->startup ? "true" : "false",
			ap->registered_model ? "true" : "false",
			ap->has_bad_credit
				? date_format(ap->last_bad_credit_on, d1)
				: "");
		list_field(f, ap->controllers, ap->ncontrollers);
		fprintf(f, ",%s,", sp->uscc);
		csv_field(f, sp->name);
		fprintf(f, ",%s,", sp->platform_listed ? "true" : "false");
		list_field(f, sp->controllers, sp->ncontrollers);
		fputc(',', f);
		csv_field(f, c->number);
		fprintf(f, ",%s,%s,%s,%lld,%s,", kind_name(c->kind),
			money_format(c->value, m),
			date_format(c->signed_on, d2),
			(long long)c->term_months,
			c->uses_registered_model ? "true" : "false");
		if (c->has_compute)
			fprintf(f, "%s,%lld,%lld,%s\n", c->compute.chip,
				(long long)c->compute.accelerators,
				(long long)c->compute.hours,
				c->compute.location);
		else
			fputs(",,,\n", f);
		app_release(&a);
	}
	return fclose(f) ? -1 : 0;
}

/* One application on its way through the pipe (sim/pipe.h): made,
 * received and prepared for each simulation ahead of its turn. */
struct slot {
	int rc;
	struct sim_prep pp[2]; /* one per simulation; first for sim_prefetch */
	struct qerr e;
	struct gen_app ga; /* a synthetic one lives here */
	struct application a;
};

struct runctx {
	const struct sopts *o;
	struct population *pop;
	struct sim *sims;
	size_t nsims;
	FILE *csv;
	char **reasons;
	size_t *item_of;
	bool tty;
	const struct timespec *t0;
	int worst;
	int ended; /* the runs fell out of step: EXIT_BAD_INPUT */
};

/* item_app, with the slot's own scratch: any thread. */
static void slot_prep(void *arg, uint64_t i, void *sl, struct sim_scratch *sr)
{
	struct runctx *c = arg;
	struct slot *x = sl;
	const struct population *p = c->pop;
	struct item *it = &p->v[i];

	qerr_clear(&x->e);
	memset(&x->a, 0, sizeof(x->a));
	if (p->gen) {
		x->rc = gen_fill(p->gen, p->names, it->n, &x->ga);
		if (x->rc)
			qerr_set(&x->e, x->rc, "", "cannot generate");
		else
			x->a = x->ga.a;
	} else {
		x->rc = app_parse_json(it->json, strlen(it->json), &x->a,
				       &x->e);
	}
	if (!x->rc)
		x->rc = app_receive(&x->a, it->at, &x->e);
	for (size_t k = 0; !x->rc && k < c->nsims; k++)
		sim_prepare_facts(&c->sims[k], &x->a, &x->pp[k], sr);
}

/* The block's applications decided ahead, over columns, in each run. */
static void slot_prep_block(void *arg, uint64_t lo, uint64_t hi, void *first,
			    struct sim_scratch *sr)
{
	struct runctx *c = arg;
	struct sim_prep *pps[SIM_PIPE_BLOCK];

	for (size_t k = 0; k < c->nsims; k++) {
		struct slot *x = first;
		size_t n = 0;

		for (uint64_t i = lo; i < hi; i++, x++)
			if (!x->rc)
				pps[n++] = &x->pp[k];
		sim_decide_ahead(&c->sims[k], pps, n, sr);
	}
}

static void slot_ahead(void *arg, void *sl)
{
	struct runctx *c = arg;
	struct slot *x = sl;

	for (size_t k = 0; !x->rc && k < c->nsims; k++)
		sim_prefetch(&c->sims[k], &x->pp[k]);
}

static void slot_drop(void *arg, void *sl)
{
	struct slot *x = sl;

	(void)arg;
	app_release(&x->a);
}

/* Apply item i to every simulation, in arrival order. */
static int slot_apply(void *arg, uint64_t i, void *sl)
{
	struct runctx *c = arg;
	struct slot *x = sl;
	struct sim *sims = c->sims;
	struct qerr *e = &x->e;
	int rc = x->rc;

	for (size_t k = 0; !rc && k < c->nsims; k++) {
		const struct decision *d = NULL;
		size_t before = sims[k].nout;

		/* The decision itself only for a CSV row: without one, a
		 * measure that reads no history was decided ahead. */
		rc = sim_apply_prepared(&sims[k], &x->a, &x->pp[k],
					c->csv && k + 1 == c->nsims ? &d : NULL,
					e);
		/* The rows are of the last run (the reform's). */
		if (!rc && c->csv && k + 1 == c->nsims &&
		    sims[k].nout > before) {
			char r[1024] = "";
			size_t used = 0;
			const struct policy *p =
				sims[k].pols[sims[k].out[before].program];

			for (uint16_t j = 0;
			     j < d->nreasons && used < sizeof(r); j++)
				used += (size_t)snprintf(
					r + used, sizeof(r) - used, "%s%s",
					j ? ";" : "",
					p->rules[d->reasons[j]].id);
			c->reasons[before] = strdup(r);
			c->item_of[before] = i;
		}
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n",
			c->pop->v[i].id ? c->pop->v[i].id : "synthetic",
			e->msg);
		if (cli_exit_for(rc) > c->worst)
			c->worst = cli_exit_for(rc);
		/* Kept in step: an application one run refuses is left out
		 * of every run. */
		for (size_t k = 0; k < c->nsims; k++)
			if (sims[k].nout > sims[0].nout)
				return c->ended = EXIT_BAD_INPUT;
	}
	if (c->tty && (i & 0xffff) == 0xffff)
		progress(i + 1, c->pop->n, c->t0);
	return 0;
}

static int run(const struct sopts *o, struct population *pop, struct sim *sims,
	       size_t nsims, FILE *csv, int threads)
{
	struct sim_pipe pipe = {0};
	struct runctx rc_;
	bool tty = isatty(2);
	struct timespec t0;
	int worst = 0;
	char **reasons = NULL;
	size_t *item_of = NULL; /* the item of each outcome */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (csv) {
		reasons = calloc(pop->n ? pop->n : 1, sizeof(*reasons));
		item_of = calloc(pop->n ? pop->n : 1, sizeof(*item_of));
		if (!reasons || !item_of) {
			free(reasons);
			free(item_of);
			return EXIT_BAD_INPUT;
		}
	}
	pipe.n = pop->n;
	assert(nsims >= 1 && nsims <= 2);
	pipe.slot = sizeof(struct slot);
	pipe.threads = threads;
	pipe.arg = &rc_;
	pipe.prep = slot_prep;
	pipe.prep_block = slot_prep_block;
	pipe.apply = slot_apply;
	pipe.drop = slot_drop;
	pipe.ahead = slot_ahead;
	rc_ = (struct runctx){o,       pop, sims, nsims, csv, reasons,
			      item_of, tty, &t0,  0,	 0};
	if (sim_pipe_run(&pipe)) {
		free(reasons);
		free(item_of);
		return EXIT_BAD_INPUT;
	}
	worst = rc_.worst;
	if (tty && pop->n > 0xffff)
		fputc('\n', stderr);
	for (size_t k = 0; k < nsims; k++) {
		struct qerr e;

		qerr_clear(&e);
		if (sim_finish(&sims[k], &e)) {
			fprintf(stderr, "quan: %s\n", e.msg);
			return EXIT_BAD_POLICY;
		}
	}
	if (csv) {
		struct sim *s = &sims[nsims - 1];
		size_t j = 0;

		fputs("id,program,measure,received_at,eligible,amount,state,reasons\n",
		      csv);
		for (j = 0; j < s->nout; j++) {
			struct item *it = &pop->v[item_of[j]];
			const struct sim_outcome *oc = &s->out[j];
			struct application a;
			struct qerr e;
			char m[MONEY_TEXT_MAX], at[DATETIME_TEXT_MAX], idb[32];

			memset(&a, 0, sizeof(a));
			if (item_app(pop, it, &a, &e)) {
				app_release(&a);
				continue;
			}
			snprintf(idb, sizeof(idb), "%llu",
				 (unsigned long long)it->n);
			csv_field(csv, it->id	      ? it->id
				       : a.client_ref ? a.client_ref
						      : idb);
			fprintf(csv, ",%s,%s,%s,%s,%s,%s,", a.program,
				a.measure, datetime_format(a.received_at, at),
				oc->state == SIM_INELIGIBLE ? "false" : "true",
				money_format(oc->amount, m),
				sim_state_name(oc->state));
			csv_field(csv, reasons[j] ? reasons[j] : "");
			fputc('\n', csv);
			app_release(&a);
		}
		for (size_t i = 0; i < pop->n; i++)
			free(reasons[i]);
		free(reasons);
		free(item_of);
	}
	(void)o;
	return worst;
}

static void report(const struct sopts *o, struct sim *sims, size_t nsims)
{
	struct sim *base = &sims[0], *ref = &sims[nsims - 1];

	if (o->json) {
		/* The same document as POST /v1/simulate (sim/simrun.h). */
		json_t *doc = simrun_json(sims, nsims, o->nreforms > 0);
		char *t;

		if (!doc)
			return;
		t = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (t)
			puts(t);
		free(t);
		json_decref(doc);
		return;
	}
	printf("%zu applications simulated%s\n", ref->nout,
	       o->nreforms ? (nsims == 2 ? ", baseline against reform"
					 : ", under the reform")
			   : "");
	for (size_t i = 0; i < ref->npools; i++) {
		if (nsims == 2) {
			struct sim_pool *b = &base->pools[i];
			struct sim_pool *r = &ref->pools[i];
			char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];

			printf("%s/%s/%d: baseline -> reform\n",
			       r->policy->program, r->policy->pools[r->pool].id,
			       r->year);
			print_delta("demand", b->demand, r->demand, true);
			print_delta("awarded", b->awarded, r->awarded, true);
			print_delta("served", b->served, r->served, false);
			print_delta("waitlisted", b->waitlisted, r->waitlisted,
				    false);
			print_delta("refused", b->refused, r->refused, false);
			printf("  %-10s %16s -> %16s\n", "runs dry",
			       b->dry_on == SIM_NEVER
				       ? "never"
				       : date_format(b->dry_on, d1),
			       r->dry_on == SIM_NEVER
				       ? "never"
				       : date_format(r->dry_on, d2));
		} else {
			print_pool(&ref->pools[i]);
		}
	}
}

int cmd_simulate(int argc, char **argv)
{
	struct sopts o;
	struct population pop = {0};
	struct policy *pols[MAX_POLICIES] = {NULL}, *reformed = NULL;
	const struct policy *set[2][MAX_POLICIES];
	struct chip_catalog *chips = NULL;
	struct sim sims[2];
	size_t nsims = 0;
	FILE *csv = NULL;
	int rc = 0, threads;

	if (opts_parse(argc, argv, &o))
		return EXIT_BAD_INPUT;
	if (o.threads) {
		char *end;
		long t = strtol(o.threads, &end, 10);

		if (*end || t < 1 || t > SIM_PIPE_MAX_THREADS) {
			fprintf(stderr, "quan: --threads takes 1 to %d\n",
				SIM_PIPE_MAX_THREADS);
			return EXIT_BAD_INPUT;
		}
		threads = (int)t;
	} else {
		long t = sysconf(_SC_NPROCESSORS_ONLN);

		threads = t < 1			     ? 1
			  : t > SIM_PIPE_MAX_THREADS ? SIM_PIPE_MAX_THREADS
						     : (int)t;
	}
	for (int i = 0; !rc && i < o.npolicies; i++)
		rc = cli_load_policy(o.policies[i], &pols[i]);
	if (!rc && o.nreforms) {
		struct diag_list d = DIAG_LIST_INIT;

		if (reform_load(o.policies[0], o.reforms, (size_t)o.nreforms,
				&reformed, &d))
			rc = EXIT_BAD_POLICY;
		diag_print(&d, stderr);
		diag_release(&d);
	}
	if (!rc)
		rc = cli_load_chips(o.chips, &chips);
	if (!rc)
		rc = o.synthetic    ? load_synthetic(&o, &pop, threads)
		     : o.population ? load_csv(&o, &pop)
				    : load_db(&o, &pop);
	if (rc)
		goto out;
	/* push() numbers the items in the order they come: a stable sort on
	 * the time alone is the order of by_arrival. */
	if (sim_sort_by_time(pop.v, pop.n, sizeof(*pop.v),
			     offsetof(struct item, at)))
		qsort(pop.v, pop.n, sizeof(*pop.v), by_arrival);
	for (int i = 0; i < o.npolicies; i++) {
		set[0][i] = pols[i];
		set[1][i] = i == 0 && reformed ? reformed : pols[i];
	}
	/* The baseline alone, the reform alone, or both in one pass. */
	for (int k = reformed && !o.compare ? 1 : 0; k < (reformed ? 2 : 1);
	     k++) {
		struct qerr e;

		qerr_clear(&e);
		if (sim_init(&sims[nsims], set[k], (size_t)o.npolicies, chips,
			     &e)) {
			fprintf(stderr, "quan: %s\n", e.msg);
			rc = EXIT_BAD_INPUT;
			goto out;
		}
		nsims++;
	}
	if (o.write_population && write_population(&pop, o.write_population)) {
		fprintf(stderr, "quan: cannot write '%s'\n",
			o.write_population);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	if (o.csv && !(csv = fopen(o.csv, "w"))) {
		fprintf(stderr, "quan: cannot write '%s'\n", o.csv);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	rc = run(&o, &pop, sims, nsims, csv, threads);
	if (csv && fclose(csv)) {
		fprintf(stderr, "quan: cannot write '%s'\n", o.csv);
		rc = EXIT_BAD_INPUT;
	}
	report(&o, sims, nsims);
out:
	for (size_t k = 0; k < nsims; k++)
		sim_release(&sims[k]);
	for (size_t i = 0; i < pop.n; i++) {
		free(pop.v[i].id);
		free(pop.v[i].json);
	}
	free(pop.v);
	free(pop.gen);
	free(pop.names);
	free(pop.scratch);
	for (int i = 0; i < o.npolicies; i++)
		policy_free(pols[i]);
	policy_free(reformed);
	chips_free(chips);
	return rc;
}
