/*
 * test_office.c - a property test of the program office (src/office/).
 *
 * Seeded random sequences of apply, re-apply, approve, reject, withdraw,
 * disburse and clawback run against a real office (SQLite, in a temporary
 * directory) and, side by side, against a plain in-memory reference model
 * that knows nothing of the office's code: per application its expected
 * state and sums, per pool its expected figures and its arrival-ordered
 * waitlist. After every step the two must agree to the fen, the ledger must
 * balance, a failed operation must have changed nothing, and the audit chain
 * must have grown by exactly the events the model expects.
 *
 * The rules the model follows (DESIGN.md, "The ledger"): first come first
 * served; a pool that cannot cover an application waitlists it in arrival
 * order, and whenever money comes back or the waitlist's head goes the
 * waitlist is served from its head until one does not fit (no overtaking);
 * approval posts the reservation, in full or less (the rest returns), above
 * second_approver_above only by a second, different approver; disbursements
 * never exceed the award; clawbacks never exceed what was paid and go back
 * to the pool or to the treasury; the yearly cap of an applicant holds in
 * arrival order. The decided amount is recomputed by the model (base x rate
 * rounded down, then the caps, with the applicant's year as the store sums
 * it: reserved, waitlisted and queued requests, awarded awards) and must
 * equal the office's.
 *
 * Two scripted scenarios at the end run the same model and checks on a
 * fixed sequence.
 *
 * The run is deterministic for a seed. A failure names the seed, the step and
 * the operation; replay it with
 *   QUAN_PROP_SEED=<seed> [QUAN_PROP_STEPS=<n>] build/tests/test_office
 * (QUAN_PROP_STEPS alone lengthens every seed of the default set;
 * QUAN_PROP_VERBOSE=1 prints what each run did).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/money.h"
#include "core/uscc.h"
#include "office/office.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "store/store.h"
#include "testdb.h"

#define PROGRAM "prop-2025"
/* Steps per seed. The checks read the whole office after every step, so a
 * run costs about steps squared: 800 steps take ~3 s optimised; under the
 * sanitizers, which slow it ten times, the default is shorter. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define DEFAULT_STEPS 300
#else
#define DEFAULT_STEPS 800
#endif
#define AUDIT_EVERY 50 /* office_audit_verify every so many steps */

#define YUAN(y) ((money_t)(y)*MONEY_FEN_PER_YUAN)

/* --- the policy under test ------------------------------------------------ */

/* A small copy of Shanghai's shape: a corpus-like measure (30 %, a cap per
 * contract and one per applicant and year, clawbacks to the treasury) on a
 * pool of 2 M for 2025 and 1 M for 2026, and a model-like measure (50 %,
 * 5 M per contract, two approvers above 1 M, clawbacks back to the pool) on
 * a pool of 12 M for 2025 only. */
static const char policy_yaml[] =
	"program: " PROGRAM "\n"
	"name: \"property test program\"\n"
	"issuer: \"test\"\n"
	"currency: CNY\n"
	"sources:\n"
	"  - id: t\n"
	"    title: \"the property test\"\n"
	"    url: \"https://example.org/\"\n"
	"pools:\n"
	"  - id: corpus\n"
	"    name: \"corpus pool\"\n"
	"    budgets:\n"
	"      2025: \"2000000.00\"\n"
	"      2026: \"1000000.00\"\n"
	"    source: t\n"
	"  - id: model\n"
	"    name: \"model pool\"\n"
	"    budgets:\n"
	"      2025: \"12000000.00\"\n"
	"    source: t\n"
	"measures:\n"
	"  - id: corpus\n"
	"    name: \"corpus voucher\"\n"
	"    source: t\n"
	"    pool: corpus\n"
	"    kinds: [corpus]\n"
	"    allocation: first-come-first-served\n"
	"    window:\n"
	"      opens: 2025-01-01T00:00:00+08:00\n"
	"      closes: 2026-12-31T23:59:59+08:00\n"
	"    base: contract.value\n"
	"    clawback: treasury\n"
	"    eligibility:\n"
	"      - id: registered-in-city\n"
	"        when: applicant.registered_city == \"shanghai\"\n"
	"        says: \"registered in Shanghai\"\n"
	"        source: t\n"
	"      - id: unrelated-supplier\n"
	"        when: related_party == false\n"
	"        says: \"bought from an unrelated party\"\n"
	"        source: t\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - id: ceiling\n"
	"          rate: 30%\n"
	"          says: \"at most 30%\"\n"
	"          source: t\n"
	"    caps:\n"
	"      - id: per-contract\n"
	"        per: contract\n"
	"        limit: 400000.00\n"
	"        says: \"at most 400,000 per contract\"\n"
	"        source: t\n"
	"      - id: per-applicant-year\n"
	"        per: applicant-year\n"
	"        limit: 700000.00\n"
	"        says: \"at most 700,000 per applicant and year\"\n"
	"        source: t\n"
	"  - id: model\n"
	"    name: \"model voucher\"\n"
	"    source: t\n"
	"    pool: model\n"
	"    kinds: [api, private-deployment]\n"
	"    allocation: first-come-first-served\n"
	"    window:\n"
	"      opens: 2025-01-01T00:00:00+08:00\n"
	"      closes: 2026-12-31T23:59:59+08:00\n"
	"    base: contract.value\n"
	"    second_approver_above: \"1000000.00\"\n"
	"    clawback: pool\n"
	"    eligibility:\n"
	"      - id: registered-in-city\n"
	"        when: applicant.registered_city == \"shanghai\"\n"
	"        says: \"registered in Shanghai\"\n"
	"        source: t\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - id: ceiling\n"
	"          rate: 50%\n"
	"          says: \"at most 50%\"\n"
	"          source: t\n"
	"    caps:\n"
	"      - id: per-contract\n"
	"        per: contract\n"
	"        limit: 5000000.00\n"
	"        says: \"at most 5 M per contract\"\n"
	"        source: t\n";

/* The model's copy of the rules above. */
enum { M_CORPUS, M_MODEL, NMEASURES };

static const struct mrule {
	const char *id, *pool;
	const char *kinds[2];
	rate_bp rate;
	money_t cap_contract, cap_year; /* -1: none */
	money_t second_above;		/* -1: one approver */
	bool treasury;			/* clawbacks go to the treasury */
} rules[NMEASURES] = {
	{"corpus",
	 "corpus",
	 {"corpus", "corpus"},
	 3000,
	 YUAN(400000),
	 YUAN(700000),
	 -1,
	 true},
	{"model",
	 "model",
	 {"api", "private-deployment"},
	 5000,
	 YUAN(5000000),
	 -1,
	 YUAN(1000000),
	 false},
};

static const struct {
	const char *pool;
	int year;
	money_t budget;
} budgets[] = {
	{"corpus", 2025, YUAN(2000000)},
	{"corpus", 2026, YUAN(1000000)},
	{"model", 2025, YUAN(12000000)},
};
#define NPOOLS (sizeof(budgets) / sizeof(budgets[0]))

/* Applicants 0..7 apply for corpus, 5..9 for model: 5..7 do both, and one
 * measure's awards must not count in the other's yearly history (each
 * measure has its own yearly cap). */
#define NAPPLICANTS 10
#define SUPPLIER_USCC "91310104MA1FR9KP6K"
#define SUPPLIER_CTRL "310101198506200052"

/* --- the reference model -------------------------------------------------- */

struct mpool {
	const char *pool;
	int year;
	money_t budget, available, reserved, awarded, paid, recovered, treasury;
	long count[APP__STATE_COUNT];
	size_t *wait; /* indices into apps, arrival order */
	size_t nwait;
};

struct mapp {
	char id[32];
	int measure, who, year;
	int pool; /* index into pools, -1 when the year has no budget */
	money_t value;
	bool eligible;
	int state;
	money_t requested, awarded, paid, recovered;
	char approver[32];
	char *json;
	size_t len;
};

struct xevent {
	char action[32], subject[64];
};

struct run {
	const char *scenario; /* a scripted run, or NULL */
	uint64_t seed, rng;
	int step, steps;
	char op[320]; /* the current operation, for messages */

	char dir[96], policy[160];
	struct testdb tdb; /* the database (testdb.h) */
	struct chip_catalog *chips;
	struct office o;
	bool open;
	int64_t now;
	size_t nextid; /* the last application id given */

	struct mpool pools[NPOOLS];
	struct mapp *apps;
	size_t napps, capapps;
	char uscc[NAPPLICANTS][USCC_LEN + 1];
	char ctrl[NAPPLICANTS][24];

	int64_t events;	    /* expected length of the audit chain */
	struct xevent *xev; /* the events this step must append */
	size_t nxev, capxev;
	char cap_breach[768]; /* the first breach of the yearly cap */

	struct office_pool_figures before[NPOOLS];
	long stats_ok[16], stats_fail[16];
};

/* --- failing ------------------------------------------------------------ */

static void die(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void die(struct run *r, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->scenario)
		fail_msg("scenario '%s', step %d, op [%s]: %s", r->scenario,
			 r->step, r->op, msg);
	fail_msg("seed %llu, step %d of %d, op [%s]: %s\n"
		 "  replay: QUAN_PROP_SEED=%llu QUAN_PROP_STEPS=%d",
		 (unsigned long long)r->seed, r->step, r->steps, r->op, msg,
		 (unsigned long long)r->seed, r->steps);
}

static const char *fen(money_t m, char *buf)
{
	return money_format(m, buf);
}

#define M1 fen_buf[0]
#define M2 fen_buf[1]
#define M3 fen_buf[2]

/* --- the random source: xorshift64* ---------------------------------------- */

static uint64_t rnd(struct run *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ULL;
}

/* Uniform-enough in [0, n). */
static uint64_t below(struct run *r, uint64_t n)
{
	return n ? (rnd(r) >> 11) % n : 0;
}

/* In [lo, hi]. */
static money_t between(struct run *r, money_t lo, money_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (money_t)below(r, (uint64_t)(hi - lo) + 1);
}

static bool chance(struct run *r, unsigned percent)
{
	return below(r, 100) < percent;
}

/* --- small helpers ------------------------------------------------------------ */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	assert_non_null(p);
	*cap = n;
	return p;
}

static money_t floor_rate(money_t base, rate_bp rate)
{
	/* floor(base * rate / 10000), base and rate >= 0 */
	return (money_t)(((__int128)base * rate) / RATE_BP_ONE);
}

static struct mpool *pool_of(struct run *r, const struct mapp *a)
{
	return a->pool >= 0 ? &r->pools[a->pool] : NULL;
}

static int pool_index(const char *pool, int year)
{
	for (size_t i = 0; i < NPOOLS; i++)
		if (!strcmp(budgets[i].pool, pool) && budgets[i].year == year)
			return (int)i;
	return -1;
}

static void expect_event(struct run *r, const char *action, const char *subject)
{
	r->xev = grow(r->xev, &r->capxev, r->nxev + 1, sizeof(*r->xev));
	snprintf(r->xev[r->nxev].action, sizeof(r->xev[0].action), "%s",
		 action);
	snprintf(r->xev[r->nxev].subject, sizeof(r->xev[0].subject), "%s",
		 subject);
	r->nxev++;
	r->events++;
}

static void set_state(struct run *r, struct mapp *a, int st)
{
	struct mpool *p = pool_of(r, a);

	if (p && a->state >= 0)
		p->count[a->state]--;
	a->state = st;
	if (p)
		p->count[st]++;
}

/* --- the model's rules -------------------------------------------------------- */

/* What the store calls the applicant's year: what it holds or may still be
 * given under measure in the program and fiscal year, but for application
 * except: the requested sums of its reserved and waitlisted (or queued)
 * applications and the awarded sums of its awarded ones. */
static money_t history(const struct run *r, int measure, int who, int year,
		       size_t except)
{
	money_t sum = 0;

	for (size_t i = 0; i < r->napps; i++) {
		const struct mapp *a = &r->apps[i];

		if (i == except || a->who != who || a->year != year ||
		    a->measure != measure)
			continue;
		if (a->state == APP_RESERVED || a->state == APP_WAITLISTED ||
		    a->state == APP_QUEUED)
			sum += a->requested;
		else if (a->state == APP_AWARDED)
			sum += a->awarded;
	}
	return sum;
}

/* The decision's amount: base x rate rounded down to the fen, then the caps
 * in file order. */
static money_t decide_amount(int measure, money_t base, rate_bp rate,
			     money_t hist)
{
	const struct mrule *m = &rules[measure];
	money_t amt = floor_rate(base, rate);

	if (m->cap_contract >= 0 && amt > m->cap_contract)
		amt = m->cap_contract;
	if (m->cap_year >= 0) {
		money_t lim = m->cap_year - hist;

		if (lim < 0)
			lim = 0;
		if (amt > lim)
			amt = lim;
	}
	return amt;
}

static void waitlist_remove(struct mpool *p, size_t idx)
{
	for (size_t i = 0; i < p->nwait; i++)
		if (p->wait[i] == idx) {
			memmove(&p->wait[i], &p->wait[i + 1],
				(p->nwait - i - 1) * sizeof(p->wait[0]));
			p->nwait--;
			return;
		}
}

/* Serve the waitlist of p in arrival order while the head fits: first come
 * first served, no overtaking. Each application served is one event. */
static void serve(struct run *r, struct mpool *p)
{
	while (p->nwait > 0) {
		struct mapp *a = &r->apps[p->wait[0]];

		if (a->requested > p->available)
			break;
		p->available -= a->requested;
		p->reserved += a->requested;
		set_state(r, a, APP_RESERVED);
		memmove(&p->wait[0], &p->wait[1],
			(p->nwait - 1) * sizeof(p->wait[0]));
		p->nwait--;
		expect_event(r, "reserve", a->id);
	}
}

/* --- generating applications ----------------------------------------------------- */

static void fmt_date(char *buf, size_t n, int year, int doy)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int m = 0;

	while (doy >= mdays[m]) {
		doy -= mdays[m];
		m++;
	}
	snprintf(buf, n, "%04d-%02d-%02d", year, m + 1, doy + 1);
}

enum variant { V_PLAIN, V_RELATED, V_SAME_USCC, V_ELSEWHERE };

static char *app_json(const struct run *r, const char *id, int measure, int who,
		      int year, int doy, money_t value, enum variant v,
		      const char *number, size_t *len)
{
	char date[32], val[MONEY_TEXT_MAX];
	char *buf = malloc(4096);
	int n;

	assert_non_null(buf);
	fmt_date(date, sizeof(date), year, doy);
	n = snprintf(buf, 4096,
		     "{\n"
		     "  \"id\": \"%s\",\n"
		     "  \"program\": \"" PROGRAM "\",\n"
		     "  \"measure\": \"%s\",\n"
		     "  \"submitted_at\": \"%sT10:%02d:00+08:00\",\n"
		     "  \"applicant\": {\n"
		     "    \"uscc\": \"%s\",\n"
		     "    \"name\": \"applicant %d\",\n"
		     "    \"registered_city\": \"%s\",\n"
		     "    \"industry\": \"I65\",\n"
		     "    \"sme\": true,\n"
		     "    \"startup\": false,\n"
		     "    \"registered_model\": false,\n"
		     "    \"last_bad_credit_on\": null,\n"
		     "    \"controllers\": [\"%s\"]\n"
		     "  },\n"
		     "  \"supplier\": {\n"
		     "    \"uscc\": \"%s\",\n"
		     "    \"name\": \"supplier\",\n"
		     "    \"platform_listed\": true,\n"
		     "    \"controllers\": [\"%s\"]\n"
		     "  },\n"
		     "  \"contract\": {\n"
		     "    \"number\": \"%s\",\n"
		     "    \"kind\": \"%s\",\n"
		     "    \"value\": \"%s\",\n"
		     "    \"signed_on\": \"%s\",\n"
		     "    \"term_months\": 12,\n"
		     "    \"uses_registered_model\": false,\n"
		     "    \"other_subsidies\": [],\n"
		     "    \"compute\": null\n"
		     "  }\n"
		     "}\n",
		     id, rules[measure].id, date, (int)(value % 60),
		     r->uscc[who], who,
		     v == V_ELSEWHERE ? "beijing" : "shanghai", r->ctrl[who],
		     v == V_SAME_USCC ? r->uscc[who] : SUPPLIER_USCC,
		     v == V_RELATED ? r->ctrl[who] : SUPPLIER_CTRL, number,
		     rules[measure].kinds[value % 2], fen(value, val), date);
	assert_true(n > 0 && n < 4096);
	*len = (size_t)n;
	return buf;
}

/* A contract value whose subsidy lands near something interesting: the
 * money left in the pool, a cap, the two-approver threshold. */
static money_t pick_value(struct run *r, int measure, int pool)
{
	const struct mrule *m = &rules[measure];
	money_t target = -1;
	unsigned x = (unsigned)below(r, 100);

	if (x < 8 && pool >= 0)
		target = r->pools[pool].available;
	else if (x < 12)
		target = m->cap_contract;
	else if (x < 16 && m->second_above >= 0)
		target = m->second_above;
	else if (x < 18)
		return between(r, 1, 100);
	if (target >= 0) {
		/* value = target / rate, give or take a few fen */
		money_t v =
			(money_t)(((__int128)target * RATE_BP_ONE) / m->rate);

		v += between(r, -3, 3);
		return v > 0 ? v : 1;
	}
	if (measure == M_CORPUS)
		return between(r, YUAN(1000), YUAN(1600000));
	return between(r, YUAN(10000), YUAN(11000000));
}

/* --- the office side: reading what it holds ---------------------------------------- */

struct pools_read {
	struct office_pool_figures f[NPOOLS];
	bool seen[NPOOLS];
	int other;
};

static int read_pool(void *arg, const struct office_pool_figures *f)
{
	struct pools_read *pr = arg;
	int i = strcmp(f->program, PROGRAM) ? -1 : pool_index(f->pool, f->year);

	if (i < 0 || pr->seen[i]) {
		pr->other++;
		return 0;
	}
	pr->f[i] = *f;
	pr->seen[i] = true;
	return 0;
}

static void read_pools(struct run *r, struct office_pool_figures *out)
{
	struct pools_read pr;
	struct qerr e;

	memset(&pr, 0, sizeof(pr));
	qerr_clear(&e);
	if (office_pools_each(&r->o, read_pool, &pr, &e))
		die(r, "office_pools_each: %s", e.msg);
	if (pr.other)
		die(r, "office_pools_each visited %d unknown or repeated pools",
		    pr.other);
	for (size_t i = 0; i < NPOOLS; i++)
		if (!pr.seen[i])
			die(r, "office_pools_each did not visit %s/%d",
			    budgets[i].pool, budgets[i].year);
	memcpy(out, pr.f, sizeof(pr.f));
}

struct evscan {
	int64_t count, from;
	struct xevent *got;
	size_t ngot, cap;
};

static int scan_event(void *arg, const struct store_event *ev)
{
	struct evscan *s = arg;

	s->count++;
	if (ev->seq > s->from) {
		s->got = grow(s->got, &s->cap, s->ngot + 1, sizeof(*s->got));
		snprintf(s->got[s->ngot].action, sizeof(s->got[0].action), "%s",
			 ev->action);
		snprintf(s->got[s->ngot].subject, sizeof(s->got[0].subject),
			 "%s", ev->subject);
		s->ngot++;
	}
	return 0;
}

/* --- checking -------------------------------------------------------------------- */

static void check_pool(struct run *r, const struct office_pool_figures *f,
		       const struct mpool *p)
{
	char fen_buf[3][MONEY_TEXT_MAX];
	__int128 sum = (__int128)f->available + f->reserved + f->awarded +
		       f->paid + f->recovered + f->treasury;

#define SAME(field)                                                            \
	do {                                                                   \
		if (f->field != p->field)                                      \
			die(r,                                                 \
			    "pool %s/%d: " #field " is %s, the model says "    \
			    "%s",                                              \
			    p->pool, p->year, fen(f->field, M1),               \
			    fen(p->field, M2));                                \
	} while (0)
	SAME(budget);
	SAME(available);
	SAME(reserved);
	SAME(awarded);
	SAME(paid);
	SAME(recovered);
	SAME(treasury);
#undef SAME
	if (sum != f->budget)
		die(r,
		    "pool %s/%d: budget %s != available + reserved + "
		    "awarded + paid + recovered + treasury = %s",
		    p->pool, p->year, fen(f->budget, M1),
		    fen((money_t)sum, M2));
	if (f->available < 0 || f->reserved < 0 || f->awarded < 0 ||
	    f->paid < 0 || f->treasury < 0)
		die(r, "pool %s/%d: a negative figure (available %s)", p->pool,
		    p->year, fen(f->available, M1));
	for (int st = 0; st < APP__STATE_COUNT; st++)
		if (f->count[st] != p->count[st])
			die(r,
			    "pool %s/%d: %ld applications %s, the model "
			    "says %ld",
			    p->pool, p->year, f->count[st], app_state_name(st),
			    p->count[st]);
	/* No overtaking, and no money idle while the head would fit. */
	if (p->nwait > 0 && r->apps[p->wait[0]].requested <= p->available)
		die(r,
		    "model: pool %s/%d has %s available but its waitlist "
		    "head '%s' asks only %s",
		    p->pool, p->year, fen(p->available, M1),
		    r->apps[p->wait[0]].id,
		    fen(r->apps[p->wait[0]].requested, M2));
}

/* The yearly cap, in arrival order: what an application holds (reserved:
 * its request; awarded: its award) never exceeds the cap less what the
 * applicant's earlier applications of that measure and year hold. It holds
 * when each decision is made; a rule that lets a later-served application
 * pass it (history that ignores waitlisted applications) breaks it. The
 * first breach is kept and fails the run at its end, so that the other
 * checks go on. */
static void check_caps(struct run *r)
{
	money_t held[NMEASURES][NAPPLICANTS][2];
	char fen_buf[3][MONEY_TEXT_MAX];

	if (r->cap_breach[0])
		return;
	memset(held, 0, sizeof(held));
	for (size_t i = 0; i < r->napps; i++) {
		const struct mapp *a = &r->apps[i];
		money_t h = a->state == APP_RESERVED  ? a->requested
			    : a->state == APP_AWARDED ? a->awarded
						      : 0;
		money_t *before = &held[a->measure][a->who][a->year - 2025];
		money_t cap = rules[a->measure].cap_year, lim;

		if (h == 0)
			continue;
		lim = cap - *before;
		if (cap >= 0 && h > (lim > 0 ? lim : 0)) {
			char where[64];

			if (r->scenario)
				snprintf(where, sizeof(where), "step %d",
					 r->step);
			else
				snprintf(where, sizeof(where),
					 "seed %llu, step %d",
					 (unsigned long long)r->seed, r->step);
			snprintf(r->cap_breach, sizeof(r->cap_breach),
				 "%s, op [%s]: '%s' (%s, applicant %s, %d) "
				 "holds %s although the applicant's earlier "
				 "applications hold %s of the yearly cap of %s",
				 where, r->op, a->id, app_state_name(a->state),
				 r->uscc[a->who], a->year, fen(h, M1),
				 fen(*before, M2), fen(cap, M3));
			return;
		}
		*before += h;
	}
}

/* The model must hold together on its own, too. */
static void check_model(struct run *r)
{
	char fen_buf[3][MONEY_TEXT_MAX];

	for (size_t i = 0; i < NPOOLS; i++) {
		const struct mpool *p = &r->pools[i];
		money_t res = 0, awd = 0, paid = 0, tre = 0;
		size_t w = 0;

		for (size_t j = 0; j < r->napps; j++) {
			const struct mapp *a = &r->apps[j];

			if (a->pool != (int)i)
				continue;
			if (a->state == APP_RESERVED)
				res += a->requested;
			if (a->state == APP_AWARDED)
				awd += a->awarded - a->paid;
			paid += a->paid - a->recovered;
			if (rules[a->measure].treasury)
				tre += a->recovered;
			if (a->state == APP_WAITLISTED) {
				if (w >= p->nwait || p->wait[w] != j)
					die(r,
					    "model: waitlist of %s/%d out "
					    "of arrival order at '%s'",
					    p->pool, p->year, a->id);
				w++;
			}
		}
		if (w != p->nwait || res != p->reserved || awd != p->awarded ||
		    paid != p->paid || tre != p->treasury || p->available < 0 ||
		    p->budget != p->available + p->reserved + p->awarded +
					 p->paid + p->recovered + p->treasury)
			die(r,
			    "model: pool %s/%d does not add up (reserved %s, "
			    "available %s)",
			    p->pool, p->year, fen(p->reserved, M1),
			    fen(p->available, M2));
	}
}

struct appscan {
	struct run *r;
	size_t n;
	char msg[768]; /* the first difference */
};

#define DIFF(...)                                                              \
	do {                                                                   \
		snprintf(s->msg, sizeof(s->msg), __VA_ARGS__);                 \
		return 1;                                                      \
	} while (0)

/* Compare one stored application with the model; on a difference, say it
 * in s->msg and stop the scan (dying inside the store's loop would leave
 * its statement open). */
static int scan_app(void *arg, const struct store_app *a)
{
	struct appscan *s = arg;
	struct run *r = s->r;
	const struct mapp *m;
	char fen_buf[3][MONEY_TEXT_MAX];

	if (s->n >= r->napps || strcmp(a->id, r->apps[s->n].id))
		DIFF("application #%zu in arrival order is '%s', the model "
		     "says '%s'",
		     s->n, a->id,
		     s->n < r->napps ? r->apps[s->n].id : "(none)");
	m = &r->apps[s->n++];
	if (a->state != m->state)
		DIFF("'%s' is %s, the model says %s", m->id,
		     app_state_name(a->state), app_state_name(m->state));
#define SAME(field)                                                            \
	do {                                                                   \
		if (a->field != m->field)                                      \
			DIFF("'%s' (%s): " #field " is %s, the model says %s", \
			     m->id, app_state_name(m->state),                  \
			     fen(a->field, M1), fen(m->field, M2));            \
	} while (0)
	SAME(requested);
	SAME(awarded);
	SAME(paid);
	SAME(recovered);
#undef SAME
	if (a->contract_value != m->value)
		DIFF("'%s': contract value %s, the model says %s", m->id,
		     fen(a->contract_value, M1), fen(m->value, M2));
	if (strcmp(a->approver, m->approver))
		DIFF("'%s': first approver '%s', the model says '%s'", m->id,
		     a->approver, m->approver);
	if (a->fiscal_year != m->year || strcmp(a->program, PROGRAM) ||
	    strcmp(a->measure, rules[m->measure].id) ||
	    strcmp(a->uscc, r->uscc[m->who]))
		DIFF("'%s': stored as %s/%s/%s/%d, the model says %s/%s/%d",
		     m->id, a->program, a->measure, a->uscc, a->fiscal_year,
		     rules[m->measure].id, r->uscc[m->who], m->year);
	if (!a->json || strlen(a->json) != m->len ||
	    memcmp(a->json, m->json, m->len))
		DIFF("'%s': the stored JSON is not the text submitted", m->id);
	return 0;
}

#undef DIFF

static void check_all(struct run *r, bool full)
{
	struct office_pool_figures now[NPOOLS];
	struct appscan as = {r, 0, ""};
	struct evscan es;
	struct qerr e;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	long problems;

	check_model(r);
	check_caps(r);

	/* The ledger balances. */
	assert_non_null(out);
	qerr_clear(&e);
	problems = office_ledger_check(&r->o, out, &e);
	fclose(out);
	if (problems != 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", buf ? buf : "");
		free(buf);
		die(r, "office_ledger_check: %ld problem(s): %s%s", problems,
		    problems < 0 ? e.msg : "", msg);
	}
	free(buf);

	/* The pools, to the fen. */
	read_pools(r, now);
	for (size_t i = 0; i < NPOOLS; i++)
		check_pool(r, &now[i], &r->pools[i]);
	memcpy(r->before, now, sizeof(now));

	/* Every application, in arrival order. */
	qerr_clear(&e);
	if (store_app_each(r->o.store, NULL, -1, scan_app, &as, &e))
		die(r, "store_app_each: %s", e.msg);
	if (as.msg[0])
		die(r, "%s", as.msg);
	if (as.n != r->napps)
		die(r, "the store holds %zu applications, the model %zu", as.n,
		    r->napps);

	/* The audit chain grew by exactly the events expected, in order. */
	memset(&es, 0, sizeof(es));
	es.from = r->events - (int64_t)r->nxev;
	qerr_clear(&e);
	if (store_event_each(r->o.store, scan_event, &es, &e))
		die(r, "store_event_each: %s", e.msg);
	if (es.count != r->events || es.ngot != r->nxev) {
		char got[512] = "", *p = got;

		for (size_t i = 0; i < es.ngot && p < got + 400; i++)
			p += snprintf(p, (size_t)(got + sizeof(got) - p),
				      " %s(%s)", es.got[i].action,
				      es.got[i].subject);
		free(es.got);
		die(r,
		    "the audit chain has %lld events, the model expects "
		    "%lld (%zu new in this step, expected %zu; got:%s)",
		    (long long)es.count, (long long)r->events, es.ngot, r->nxev,
		    got);
	}
	for (size_t i = 0; i < r->nxev; i++)
		if (strcmp(es.got[i].action, r->xev[i].action) ||
		    strcmp(es.got[i].subject, r->xev[i].subject)) {
			char msg[256];

			snprintf(msg, sizeof(msg),
				 "event %zu of this step is %s(%s), the model "
				 "expects %s(%s)",
				 i, es.got[i].action, es.got[i].subject,
				 r->xev[i].action, r->xev[i].subject);
			free(es.got);
			die(r, "%s", msg);
		}
	free(es.got);
	r->nxev = 0;

	if (full) {
		int64_t count = 0, bad = 0;
		char why[256] = "";
		int rc;

		qerr_clear(&e);
		rc = office_audit_verify(&r->o, &count, &bad, why, sizeof(why),
					 &e);
		if (rc != 0)
			die(r, "office_audit_verify: %d, bad event %lld: %s %s",
			    rc, (long long)bad, why, e.msg);
		if (count != r->events)
			die(r,
			    "office_audit_verify counted %lld events, the "
			    "model %lld",
			    (long long)count, (long long)r->events);
	}
}

/* A failed operation changes nothing: the figures are those of before. */
static void check_unchanged(struct run *r)
{
	struct office_pool_figures now[NPOOLS];

	read_pools(r, now);
	for (size_t i = 0; i < NPOOLS; i++)
		if (memcmp(&now[i], &r->before[i], sizeof(now[i])))
			die(r,
			    "a failed operation changed the figures of "
			    "pool %s/%d",
			    budgets[i].pool, budgets[i].year);
}

/* --- the operations -------------------------------------------------------------- */

enum op {
	OP_APPLY,
	OP_REAPPLY,
	OP_REAPPLY_OTHER,
	OP_APPROVE,
	OP_REJECT,
	OP_WITHDRAW,
	OP_DISBURSE,
	OP_CLAWBACK,
	OP_NO_SUCH,
	OP_APPLY_BATCH,
	OP__COUNT
};

static const char *const op_names[OP__COUNT] = {
	"apply",    "re-apply", "re-apply-other", "approve",	"reject",
	"withdraw", "disburse", "clawback",	  "no-such-id", "apply-batch",
};

/* The office answered rc; the model expected ok. */
static void outcome(struct run *r, enum op op, bool ok, int rc,
		    const struct qerr *e)
{
	if (ok && rc != 0)
		die(r, "the model expects success, the office failed (%d): %s",
		    rc, e->msg);
	if (!ok && rc == 0)
		die(r, "the model expects a refusal, the office succeeded");
	if (ok)
		r->stats_ok[op]++;
	else
		r->stats_fail[op]++;
	if (!ok)
		check_unchanged(r);
}

static void check_result(struct run *r, const struct office_result *res,
			 const struct mapp *a, bool existed)
{
	char fen_buf[3][MONEY_TEXT_MAX];

	if (strcmp(res->id, a->id) || res->state != a->state ||
	    res->existed != existed || res->amount != a->requested)
		die(r,
		    "office_result is {%s, %s, existed %d, %s}, the model "
		    "says {%s, %s, existed %d, %s}",
		    res->id, app_state_name(res->state), res->existed,
		    fen(res->amount, M1), a->id, app_state_name(a->state),
		    existed, fen(a->requested, M2));
}

/* A new application (not yet submitted) in *a; its id is fresh. */
static void new_app(struct run *r, struct mapp *a, int measure, int who,
		    int year, int doy, money_t value, enum variant v)
{
	char number[32], fen_buf[3][MONEY_TEXT_MAX];

	r->nextid++;
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "P-%06zu", r->nextid);
	a->measure = measure;
	a->who = who;
	a->year = year;
	a->pool = pool_index(rules[measure].pool, year);
	a->value = value;
	a->state = -1;
	snprintf(number, sizeof(number), "HT-%llu-%zu",
		 (unsigned long long)r->seed, r->nextid);
	a->json = app_json(r, a->id, measure, who, year, doy, value, v, number,
			   &a->len);
	a->eligible = v == V_PLAIN || (measure == M_MODEL && v != V_ELSEWHERE);
	snprintf(r->op, sizeof(r->op),
		 "apply %s: %s, applicant %d, %d, value %s, %s", a->id,
		 rules[measure].id, who, year, fen(value, M1),
		 v == V_PLAIN	    ? "plain"
		 : v == V_RELATED   ? "related supplier"
		 : v == V_SAME_USCC ? "supplier is itself"
				    : "registered elsewhere");
}

/* An eligible application for a year without a budget is an error of the
 * decision: nothing is recorded. */
static bool apply_ok(const struct mapp *a)
{
	return !a->eligible || a->pool >= 0;
}

/* The model's side of an accepted application (a is taken over); res is
 * what the office answered. Returns its index. */
static long model_apply(struct run *r, const struct mapp *a,
			const struct office_result *res)
{
	struct mapp *m;
	struct mpool *p;
	size_t idx = r->napps;

	r->apps = grow(r->apps, &r->capapps, r->napps + 1, sizeof(*r->apps));
	m = &r->apps[idx];
	*m = *a;
	if (m->eligible)
		m->requested = decide_amount(
			m->measure, m->value, rules[m->measure].rate,
			history(r, m->measure, m->who, m->year, (size_t)-1));
	r->napps++;
	p = pool_of(r, m);
	if (!m->eligible) {
		set_state(r, m, APP_INELIGIBLE);
	} else if (p->nwait > 0 || m->requested > p->available) {
		set_state(r, m, APP_WAITLISTED);
		p->wait = realloc(p->wait, (p->nwait + 1) * sizeof(p->wait[0]));
		assert_non_null(p->wait);
		p->wait[p->nwait++] = idx;
	} else {
		set_state(r, m, APP_RESERVED);
		p->available -= m->requested;
		p->reserved += m->requested;
	}
	expect_event(r, "apply", m->id);
	check_result(r, res, m, false);
	return (long)idx;
}

/* Apply a new application; returns its index in the model (or -1 when the
 * office refused it, as the model expected). */
static long do_apply(struct run *r, int measure, int who, int year, int doy,
		     money_t value, enum variant v)
{
	struct mapp a;
	struct office_result res;
	struct qerr e;
	bool ok;
	int rc;

	new_app(r, &a, measure, who, year, doy, value, v);
	ok = apply_ok(&a);
	qerr_clear(&e);
	rc = office_apply(&r->o, a.json, a.len, "applicant", r->now, &res, &e);
	outcome(r, OP_APPLY, ok, rc, &e);
	if (!ok) {
		free(a.json);
		return -1;
	}
	return model_apply(r, &a, &res);
}

static enum variant pick_variant(struct run *r)
{
	unsigned x = (unsigned)below(r, 100);

	return x < 4   ? V_RELATED
	       : x < 6 ? V_SAME_USCC
	       : x < 8 ? V_ELSEWHERE
		       : V_PLAIN;
}

/* A random new application, not yet submitted. */
static void random_app(struct run *r, struct mapp *a)
{
	enum variant v = pick_variant(r);
	int measure = chance(r, 60) ? M_CORPUS : M_MODEL;
	int who = measure == M_CORPUS ? (int)below(r, 8) : 5 + (int)below(r, 5);
	int year = chance(r, 85) ? 2025 : 2026;
	int doy = (int)below(r, 365);

	new_app(r, a, measure, who, year, doy,
		pick_value(r, measure, pool_index(rules[measure].pool, year)),
		v);
}

static void op_apply(struct run *r)
{
	struct mapp a;
	struct office_result res;
	struct qerr e;
	bool ok;
	int rc;

	random_app(r, &a);
	ok = apply_ok(&a);
	qerr_clear(&e);
	rc = office_apply(&r->o, a.json, a.len, "applicant", r->now, &res, &e);
	outcome(r, OP_APPLY, ok, rc, &e);
	if (!ok) {
		free(a.json);
		return;
	}
	model_apply(r, &a, &res);
}

/* The same id with a different contract number: refused. */
static char *other_text(const struct mapp *a, size_t *len)
{
	const char *at = strstr(a->json, "\"HT-");
	size_t head, tail;
	char *text;

	assert_non_null(at);
	head = (size_t)(at - a->json) + 1;
	tail = a->len - head;
	text = malloc(a->len + 2);
	assert_non_null(text);
	memcpy(text, a->json, head);
	text[head] = 'X';
	memcpy(text + head + 1, a->json + head, tail);
	*len = a->len + 1;
	return text;
}

/* Several applications in one transaction (office_apply_batch): new ones,
 * re-submissions and refused ones, each with its own outcome; the model
 * takes them in order. */
#define BATCH_MAX 4

static void op_apply_batch(struct run *r)
{
	struct mapp items[BATCH_MAX];
	const char *texts[BATCH_MAX];
	size_t lens[BATCH_MAX];
	int kinds[BATCH_MAX]; /* 0 new, 1 same again, 2 other contents */
	size_t which[BATCH_MAX];
	struct office_result res[BATCH_MAX];
	int rcs[BATCH_MAX];
	struct qerr errs[BATCH_MAX], e;
	size_t n = 2 + below(r, BATCH_MAX - 1);
	char *p;
	int rc;

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)below(r, 100);

		kinds[i] = !r->napps || x < 70 ? 0 : x < 85 ? 1 : 2;
		if (kinds[i] == 0) {
			random_app(r, &items[i]);
			texts[i] = items[i].json;
			lens[i] = items[i].len;
			continue;
		}
		which[i] = below(r, r->napps);
		if (kinds[i] == 1) {
			texts[i] = r->apps[which[i]].json;
			lens[i] = r->apps[which[i]].len;
		} else {
			texts[i] = other_text(&r->apps[which[i]], &lens[i]);
		}
	}
	p = r->op + snprintf(r->op, sizeof(r->op), "apply a batch of %zu:", n);
	for (size_t i = 0; i < n && p < r->op + sizeof(r->op) - 40; i++)
		p += snprintf(
			p, (size_t)(r->op + sizeof(r->op) - p), " %s%s",
			kinds[i] ? r->apps[which[i]].id : items[i].id,
			kinds[i] == 0
				? (apply_ok(&items[i]) ? "" : "(no budget)")
			: kinds[i] == 1 ? "(again)"
					: "(other contents)");
	qerr_clear(&e);
	rc = office_apply_batch(&r->o, texts, lens, n, "applicant", r->now, res,
				rcs, errs, &e);
	if (rc)
		die(r, "office_apply_batch failed as a whole: %s", e.msg);
	for (size_t i = 0; i < n; i++) {
		bool ok = kinds[i] == 0	  ? apply_ok(&items[i])
			  : kinds[i] == 1 ? true
					  : false;

		if (ok != (rcs[i] == 0))
			die(r,
			    "batch item %zu: the model expects %s, the "
			    "office answered %d: %s",
			    i, ok ? "success" : "a refusal", rcs[i],
			    errs[i].msg);
		if (ok)
			r->stats_ok[OP_APPLY_BATCH]++;
		else
			r->stats_fail[OP_APPLY_BATCH]++;
		if (kinds[i] == 2)
			free((char *)texts[i]);
		if (kinds[i] == 1)
			check_result(r, &res[i], &r->apps[which[i]], true);
		if (kinds[i] != 0)
			continue;
		if (ok)
			model_apply(r, &items[i], &res[i]);
		else
			free(items[i].json);
	}
}

static struct mapp *pick(struct run *r, bool (*want)(const struct mapp *),
			 unsigned percent)
{
	size_t n = 0, k;

	if (!r->napps)
		return NULL;
	if (want && chance(r, percent)) {
		for (size_t i = 0; i < r->napps; i++)
			n += want(&r->apps[i]);
		if (n) {
			k = below(r, n);
			for (size_t i = 0; i < r->napps; i++)
				if (want(&r->apps[i]) && k-- == 0)
					return &r->apps[i];
		}
	}
	return &r->apps[below(r, r->napps)];
}

static bool is_reserved(const struct mapp *a)
{
	return a->state == APP_RESERVED;
}

static bool is_open(const struct mapp *a)
{
	return a->state == APP_RESERVED || a->state == APP_WAITLISTED;
}

static bool is_waitlisted(const struct mapp *a)
{
	return a->state == APP_WAITLISTED;
}

static bool has_left_to_pay(const struct mapp *a)
{
	return a->state == APP_AWARDED && a->paid < a->awarded;
}

static bool has_paid(const struct mapp *a)
{
	return a->paid > a->recovered;
}

static void op_reapply(struct run *r, bool other)
{
	struct mapp *a = pick(r, NULL, 0);
	struct office_result res;
	struct qerr e;
	char *text = a->json;
	size_t len = a->len;
	int rc;

	if (other)
		text = other_text(a, &len);
	snprintf(r->op, sizeof(r->op), "%s %s (%s)",
		 other ? "re-apply with other contents" : "re-apply", a->id,
		 app_state_name(a->state));
	qerr_clear(&e);
	rc = office_apply(&r->o, text, len, "applicant", r->now, &res, &e);
	if (other)
		free(text);
	outcome(r, other ? OP_REAPPLY_OTHER : OP_REAPPLY, !other, rc, &e);
	if (!other)
		check_result(r, &res, a, true);
}

static const char *const reviewers[] = {"rev-a", "rev-b", "rev-c"};

/* The amount an approval awards, or false when it must be refused. */
static bool approve_amount(struct run *r, const struct mapp *a, rate_bp rate,
			   money_t value, money_t *out)
{
	const struct mrule *m = &rules[a->measure];
	money_t base = value >= 0 ? value : a->value, amt;

	if (rate < 0 && value < 0) {
		*out = a->requested;
		return true;
	}
	if (value > a->value || rate > m->rate)
		return false;
	amt = decide_amount(
		a->measure, base, m->rate,
		history(r, a->measure, a->who, a->year, (size_t)(a - r->apps)));
	if (rate >= 0 && floor_rate(base, rate) < amt)
		amt = floor_rate(base, rate);
	*out = amt < a->requested ? amt : a->requested;
	return true;
}

static void do_approve(struct run *r, struct mapp *a, rate_bp rate,
		       money_t value, const char *by)
{
	const struct mrule *m = &rules[a->measure];
	struct mpool *p = pool_of(r, a);
	struct office_result res;
	struct qerr e;
	money_t amount = 0;
	char fen_buf[3][MONEY_TEXT_MAX];
	bool ok, first = false;
	int rc;

	ok = a->state == APP_RESERVED &&
	     approve_amount(r, a, rate, value, &amount);
	if (ok && m->second_above >= 0 && amount > m->second_above) {
		if (!a->approver[0])
			first = true;
		else if (!strcmp(a->approver, by))
			ok = false;
	}
	snprintf(r->op, sizeof(r->op),
		 "approve %s (%s, requested %s, first approver '%s') rate %d "
		 "value %s by %s",
		 a->id, app_state_name(a->state), fen(a->requested, M1),
		 a->approver, (int)rate, value >= 0 ? fen(value, M2) : "-", by);
	qerr_clear(&e);
	rc = office_approve(&r->o, a->id, rate, value, by, r->now, &res, &e);
	outcome(r, OP_APPROVE, ok, rc, &e);
	if (!ok)
		return;
	if (first) {
		snprintf(a->approver, sizeof(a->approver), "%s", by);
		expect_event(r, "approve-first", a->id);
	} else {
		p->reserved -= a->requested;
		p->available += a->requested - amount;
		p->awarded += amount;
		a->awarded = amount;
		set_state(r, a, APP_AWARDED);
		expect_event(r, "approve", a->id);
		serve(r, p);
	}
	if (res.state != a->state || res.amount != amount)
		die(r, "office_result is {%s, %s}, the model says {%s, %s}",
		    app_state_name(res.state), fen(res.amount, M1),
		    app_state_name(a->state), fen(amount, M2));
}

static void op_approve(struct run *r)
{
	struct mapp *a = pick(r, is_reserved, 90);
	const struct mrule *m = &rules[a->measure];
	rate_bp rate = -1;
	money_t value = -1;
	const char *by = reviewers[below(r, 3)];
	unsigned x;

	x = (unsigned)below(r, 100);
	if (x < 25)
		rate = (rate_bp)below(r, (uint64_t)m->rate);
	else if (x < 30)
		rate = m->rate;
	else if (x < 33)
		rate = m->rate + 1 + (rate_bp)below(r, 100);
	x = (unsigned)below(r, 100);
	if (x < 20)
		value = between(r, 0, a->value);
	else if (x < 23)
		value = a->value + 1 + between(r, 0, 1000);
	else if (x < 25)
		value = 0;
	if (a->approver[0] && chance(r, 40))
		by = a->approver;
	do_approve(r, a, rate, value, by);
}

static void do_end(struct run *r, struct mapp *a, int to)
{
	struct mpool *p = pool_of(r, a);
	struct office_result res;
	struct qerr e;
	char fen_buf[3][MONEY_TEXT_MAX];
	bool ok;
	int rc;

	ok = a->state == APP_RESERVED || a->state == APP_WAITLISTED ||
	     a->state == APP_QUEUED;
	snprintf(r->op, sizeof(r->op), "%s %s (%s, requested %s)",
		 to == APP_REJECTED ? "reject" : "withdraw", a->id,
		 app_state_name(a->state), fen(a->requested, M1));
	qerr_clear(&e);
	if (to == APP_REJECTED)
		rc = office_reject(&r->o, a->id, "property test", "rev-a",
				   r->now, &res, &e);
	else
		rc = office_withdraw(&r->o, a->id, "applicant", r->now, &res,
				     &e);
	outcome(r, to == APP_REJECTED ? OP_REJECT : OP_WITHDRAW, ok, rc, &e);
	if (!ok)
		return;
	if (a->state == APP_RESERVED) {
		p->reserved -= a->requested;
		p->available += a->requested;
	} else if (a->state == APP_WAITLISTED) {
		waitlist_remove(p, (size_t)(a - r->apps));
	}
	set_state(r, a, to);
	expect_event(r, to == APP_REJECTED ? "reject" : "withdraw", a->id);
	serve(r, p);
	if (strcmp(res.id, a->id) || res.state != to)
		die(r, "office_result is {%s, %s}, the model says {%s, %s}",
		    res.id, app_state_name(res.state), a->id,
		    app_state_name(to));
}

static void op_end(struct run *r, int to)
{
	unsigned x = (unsigned)below(r, 100);
	struct mapp *a;

	/* Mostly a reservation; now and then the head of a waitlist, whose
	 * going may let the next one in. */
	a = pick(r,
		 x < 20	  ? is_waitlisted
		 : x < 70 ? is_reserved
			  : is_open,
		 85);
	if (a->state == APP_WAITLISTED && chance(r, 50))
		a = &r->apps[pool_of(r, a)->wait[0]];
	do_end(r, a, to);
}

static void do_disburse(struct run *r, struct mapp *a, money_t amount)
{
	struct mpool *p = pool_of(r, a);
	money_t left = a->awarded - a->paid;
	struct qerr e;
	char fen_buf[3][MONEY_TEXT_MAX];
	bool ok;
	int rc;

	ok = a->state == APP_AWARDED && amount > 0 && amount <= left;
	snprintf(r->op, sizeof(r->op),
		 "disburse %s (%s, awarded %s, paid %s) amount %s", a->id,
		 app_state_name(a->state), fen(a->awarded, M1),
		 fen(a->paid, M2), fen(amount, M3));
	qerr_clear(&e);
	rc = office_disburse(&r->o, a->id, amount, "finance", r->now, &e);
	outcome(r, OP_DISBURSE, ok, rc, &e);
	if (!ok)
		return;
	a->paid += amount;
	p->awarded -= amount;
	p->paid += amount;
	expect_event(r, "disburse", a->id);
}

static void op_disburse(struct run *r)
{
	struct mapp *a = pick(r, has_left_to_pay, 90);
	money_t left = a->awarded - a->paid, amount;
	unsigned x = (unsigned)below(r, 100);

	if (x < 30)
		amount = left;
	else if (x < 80)
		amount = between(r, 1, left);
	else if (x < 85)
		amount = 1;
	else if (x < 93)
		amount = left + 1 + between(r, 0, 100000);
	else if (x < 96)
		amount = 0;
	else
		amount = -between(r, 1, 1000);
	do_disburse(r, a, amount);
}

static void do_clawback(struct run *r, struct mapp *a, money_t amount)
{
	struct mpool *p = pool_of(r, a);
	money_t net = a->paid - a->recovered;
	struct qerr e;
	char fen_buf[3][MONEY_TEXT_MAX];
	bool ok;
	int rc;

	ok = amount > 0 && amount <= net;
	snprintf(r->op, sizeof(r->op),
		 "clawback %s (%s, paid %s, recovered %s) amount %s to %s",
		 a->id, app_state_name(a->state), fen(a->paid, M1),
		 fen(a->recovered, M2), fen(amount, M3),
		 rules[a->measure].treasury ? "treasury" : "pool");
	qerr_clear(&e);
	rc = office_clawback(&r->o, a->id, amount, "property test", "finance",
			     r->now, &e);
	outcome(r, OP_CLAWBACK, ok, rc, &e);
	if (!ok)
		return;
	a->recovered += amount;
	p->paid -= amount;
	expect_event(r, "clawback", a->id);
	if (rules[a->measure].treasury) {
		p->treasury += amount;
	} else {
		p->available += amount;
		serve(r, p);
	}
}

static void op_clawback(struct run *r)
{
	struct mapp *a = pick(r, has_paid, 90);
	money_t net = a->paid - a->recovered, amount;
	unsigned x = (unsigned)below(r, 100);

	if (x < 25)
		amount = net;
	else if (x < 75)
		amount = between(r, 1, net);
	else if (x < 90)
		amount = net + 1 + between(r, 0, 100000);
	else
		amount = 0;
	do_clawback(r, a, amount);
}

/* Any verb on an id the office never saw is refused. */
static void op_no_such(struct run *r)
{
	struct office_result res;
	struct qerr e;
	int rc;

	snprintf(r->op, sizeof(r->op), "verbs on an unknown id");
	qerr_clear(&e);
	rc = office_approve(&r->o, "P-NONE", -1, -1, "rev-a", r->now, &res, &e);
	outcome(r, OP_NO_SUCH, false, rc, &e);
	rc = office_withdraw(&r->o, "P-NONE", "applicant", r->now, &res, &e);
	outcome(r, OP_NO_SUCH, false, rc, &e);
	rc = office_disburse(&r->o, "P-NONE", 100, "finance", r->now, &e);
	outcome(r, OP_NO_SUCH, false, rc, &e);
	rc = office_clawback(&r->o, "P-NONE", 100, "x", "finance", r->now, &e);
	outcome(r, OP_NO_SUCH, false, rc, &e);
}

/* --- one run ------------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void run_open(struct run *r)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct stat st;
	struct qerr e;
	bool is_new = false;
	struct evscan es;

	snprintf(r->dir, sizeof(r->dir), "%s/quan-office-prop-XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
				 access("/dev/shm", W_OK) == 0
			 ? "/dev/shm"
			 : "/tmp");
	assert_non_null(mkdtemp(r->dir));
	if (testdb_create(&r->tdb))
		fail_msg("cannot create a test database");
	snprintf(r->policy, sizeof(r->policy), "%s/policy.yaml", r->dir);
	write_file(r->policy, policy_yaml);

	if (chips_load(QUAN_DATADIR "/chips.yaml", &r->chips, &d)) {
		diag_release(&d);
		fail_msg("cannot load %s", QUAN_DATADIR "/chips.yaml");
	}
	diag_release(&d);
	qerr_clear(&e);
	if (office_open(&r->o, r->tdb.url, r->chips, &e))
		fail_msg("office_open: %s", e.msg);
	r->open = true;
	r->now = 1760000000; /* 2025-10-09 */
	if (office_load_policy(&r->o, r->policy, "admin", r->now, &is_new, &e))
		fail_msg("office_load_policy: %s", e.msg);
	assert_true(is_new);

	for (size_t i = 0; i < NAPPLICANTS; i++) {
		char s17[USCC_LEN];

		snprintf(s17, sizeof(s17), "91310115MA1K4AB%02zu", i + 10);
		snprintf(r->uscc[i], sizeof(r->uscc[i]), "%s%c", s17,
			 uscc_check_char(s17));
		assert_int_equal(uscc_check(r->uscc[i], USCC_LEN, "uscc", &e),
				 0);
		snprintf(r->ctrl[i], sizeof(r->ctrl[i]),
			 "3101151980010100%02zu", i);
	}
	for (size_t i = 0; i < NPOOLS; i++) {
		r->pools[i].pool = budgets[i].pool;
		r->pools[i].year = budgets[i].year;
		r->pools[i].budget = r->pools[i].available = budgets[i].budget;
	}

	/* The chain so far: the policy and the funding of each pool. */
	memset(&es, 0, sizeof(es));
	es.from = INT64_MAX;
	if (store_event_each(r->o.store, scan_event, &es, &e))
		fail_msg("store_event_each: %s", e.msg);
	assert_int_equal(es.count, 1 + (int64_t)NPOOLS);
	r->events = es.count;
	snprintf(r->op, sizeof(r->op), "setup");
	check_all(r, true);
}

static void rm_dir(struct run *r)
{
	if (!r->dir[0])
		return;
	testdb_drop(&r->tdb);
	unlink(r->policy);
	rmdir(r->dir);
	r->dir[0] = '\0';
}

static int teardown(void **state)
{
	struct run *r = *state;

	if (r->open)
		office_close(&r->o);
	r->open = false;
	chips_free(r->chips);
	r->chips = NULL;
	rm_dir(r);
	for (size_t i = 0; i < r->napps; i++)
		free(r->apps[i].json);
	free(r->apps);
	for (size_t i = 0; i < NPOOLS; i++)
		free(r->pools[i].wait);
	free(r->xev);
	free(r);
	return 0;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	v = strtoull(s, &end, 10);
	return *end ? dflt : v;
}

static void run_seed(struct run *r)
{
	for (r->step = 1; r->step <= r->steps; r->step++) {
		unsigned x = (unsigned)below(r, 100);

		r->now += 1 + (int64_t)below(r, 600);
		if (!r->napps || x < 17)
			op_apply(r);
		else if (x < 25)
			op_reapply(r, false);
		else if (x < 27)
			op_reapply(r, true);
		else if (x < 49)
			op_approve(r);
		else if (x < 56)
			op_end(r, APP_REJECTED);
		else if (x < 63)
			op_end(r, APP_WITHDRAWN);
		else if (x < 83)
			op_disburse(r);
		else if (x < 96)
			op_clawback(r);
		else if (x < 97)
			op_no_such(r);
		else
			op_apply_batch(r);
		check_all(r, r->step % AUDIT_EVERY == 0 || r->step == r->steps);
	}
}

static void report(const struct run *r)
{
	char fen_buf[3][MONEY_TEXT_MAX];
	long waitlisted = 0;

	for (size_t i = 0; i < NPOOLS; i++)
		waitlisted += r->pools[i].count[APP_WAITLISTED];
	print_message("seed %llu: %d steps, %zu applications, %lld events, "
		      "%ld waitlisted at the end, corpus/2025 available %s, "
		      "model/2025 available %s\n",
		      (unsigned long long)r->seed, r->steps, r->napps,
		      (long long)r->events, waitlisted,
		      fen(r->pools[0].available, M1),
		      fen(r->pools[2].available, M2));
	for (int op = 0; op < OP__COUNT; op++)
		print_message("  %-16s %5ld ok %5ld refused\n", op_names[op],
			      r->stats_ok[op], r->stats_fail[op]);
}

static void test_property(void **state)
{
	struct run *r = *state;

	r->steps = (int)env_u64("QUAN_PROP_STEPS", DEFAULT_STEPS);
	r->rng = r->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (!r->rng)
		r->rng = 1;
	run_open(r);
	run_seed(r);
	if (getenv("QUAN_PROP_VERBOSE"))
		report(r);
	if (r->cap_breach[0])
		fail_msg("%s\n  replay: QUAN_PROP_SEED=%llu QUAN_PROP_STEPS=%d",
			 r->cap_breach, (unsigned long long)r->seed, r->steps);
}

/* --- scripted scenarios ------------------------------------------------------ */

/* The same model and checks, on a script: each call is one step. */
#define STEP(r, call)                                                          \
	do {                                                                   \
		(r)->step++;                                                   \
		(r)->now += 60;                                                \
		call;                                                          \
		check_all((r), true);                                          \
	} while (0)

/* 1,333,333.34 at 30 % is 400,000.00 (the cap per contract) */
#define V400K ((money_t)133333334)

static void fill_corpus_2025(struct run *r, int from)
{
	/* five applicants take the 2,000,000.00 of corpus/2025 */
	for (int who = from; who < from + 5; who++)
		STEP(r, do_apply(r, M_CORPUS, who, 2025, 200, V400K, V_PLAIN));
	assert_int_equal(r->pools[0].available, 0);
}

/* When the head of a waitlist goes (withdrawn, rejected), the next one is
 * served if the money available covers it: no overtaking means no one is
 * served before the head, not that everyone waits for the next release. */
static void test_waitlist_head_withdrawn(void **state)
{
	struct run *r = *state;
	long head, next;

	r->scenario = "a withdrawn waitlist head lets the next one in";
	run_open(r);
	fill_corpus_2025(r, 0);
	STEP(r, head = do_apply(r, M_CORPUS, 5, 2025, 201, V400K, V_PLAIN));
	STEP(r, next = do_apply(r, M_CORPUS, 6, 2025, 202, V400K / 4, V_PLAIN));
	assert_int_equal(r->apps[head].state, APP_WAITLISTED);
	assert_int_equal(r->apps[next].state, APP_WAITLISTED);
	/* 20 % instead of 30 %: 133,333.34 comes back, too little for the
	 * head (400,000.00), enough for the next (100,000.00) */
	STEP(r, do_approve(r, &r->apps[0], 2000, -1, "rev-a"));
	assert_int_equal(r->apps[head].state, APP_WAITLISTED);
	STEP(r, do_end(r, &r->apps[head], APP_WITHDRAWN));
	assert_int_equal(r->apps[next].state, APP_RESERVED);
}

/* The yearly cap of an applicant holds for applications that wait: two
 * applications waitlisted together must not both get the full cap. */
static void test_yearly_cap_waitlisted(void **state)
{
	struct run *r = *state;

	r->scenario = "the yearly cap counts waitlisted applications";
	run_open(r);
	fill_corpus_2025(r, 1);
	/* applicant 0 asks twice for 400,000.00 with a cap of 700,000.00 */
	STEP(r, do_apply(r, M_CORPUS, 0, 2025, 201, V400K, V_PLAIN));
	STEP(r, do_apply(r, M_CORPUS, 0, 2025, 202, V400K, V_PLAIN));
	/* two reservations go: 800,000.00 comes back, both are served */
	STEP(r, do_end(r, &r->apps[0], APP_REJECTED));
	STEP(r, do_end(r, &r->apps[1], APP_WITHDRAWN));
	if (r->cap_breach[0])
		fail_msg("scenario '%s': %s", r->scenario, r->cap_breach);
}

static int setup_scenario(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	*state = r;
	return 0;
}

static uint64_t seeds[] = {1, 2, 3, 4, 5, 6};

static int setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->seed = *(const uint64_t *)*state;
	*state = r;
	return 0;
}

int main(void)
{
	static char names[6][32];
	struct CMUnitTest tests[8];
	uint64_t only = env_u64("QUAN_PROP_SEED", 0);
	size_t n = sizeof(seeds) / sizeof(seeds[0]);

	if (getenv("QUAN_PROP_SEED")) {
		seeds[0] = only;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "property, seed %llu",
			 (unsigned long long)seeds[i]);
		tests[i] = (struct CMUnitTest){names[i], test_property, setup,
					       teardown, &seeds[i]};
	}
	if (!getenv("QUAN_PROP_SEED")) {
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_waitlist_head_withdrawn, setup_scenario, teardown);
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_yearly_cap_waitlisted, setup_scenario, teardown);
	}
	return _cmocka_run_group_tests("office", tests, n, NULL, NULL);
}
