/*
 * test_office.c - a property test of the program office (src/office/).
 *
 * Seeded random sequences of apply, re-apply, approve, reject, withdraw,
 * disburse and clawback run against a real office (SQLite, in a temporary
 * directory) and, side by side, against a plain in-memory reference model
 * that knows nothing of the office's code: per application its expected
 * number, state and sums, per pool its expected figures and its
 * arrival-ordered waitlist. After every step the two must agree to the fen,
 * the ledger must balance, a failed operation must have changed nothing, and
 * the audit chain must have grown by exactly the events the model expects.
 *
 * The office stamps and numbers: each application is received at a time
 * the model chooses (the clock given to office_apply, or an intake's
 * received_at, imported or not), its fiscal year is that time's year in
 * UTC+8, and it is numbered PROP-YEAR-NNNNNN in arrival order, a refused one
 * taking no number; the model predicts every number. A client_ref is the
 * idempotency key of the applicant firm: the same firm, reference and bytes
 * answer with the recorded application, other bytes are a conflict, another
 * firm's reference is another key, and an application without one is new
 * each time it is sent.
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
 * Scripted scenarios at the end run the same model and checks on fixed
 * sequences (the waitlist, numbering, client references, batches, imports),
 * and one test checks numbering across programs and their prefixes.
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
/* Its applications are numbered PROP-YEAR-NNNNNN: the policy sets no
 * number_prefix, so the prefix is the program id's leading letters in
 * capitals. */
#define PREFIX "PROP"
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
	char id[32];  /* the number the office must give it ("" until then) */
	char ref[32]; /* its client_ref, "" when it has none */
	int measure, who;
	int year; /* fiscal: the year (UTC+8) of when it was received */
	int pool; /* index into pools, -1 when the year has no budget */
	int64_t signed_day; /* the contract's date, days since 1970 */
	int64_t recv_day;   /* the day it was received, UTC+8 */
	int64_t received_at;
	bool imported; /* an administrator's import (office_intake_batch) */
	money_t value;
	bool eligible;
	int state;
	money_t requested, awarded, paid, recovered;
	char approver[32];
	money_t first_amount; /* what the first of two approvers approved */
	char *json;
	size_t len;
};

struct xevent {
	char action[32], subject[64];
	char detail[640]; /* as the store holds it (events read back) */
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
	size_t nextid;	 /* the last client reference given */
	long numbers[2]; /* the last number given in fiscal 2025 and 2026 */

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

/* Whether someone received at or before `at` waits in p: no overtaking in
 * the order of receipt. */
static bool waits_before(const struct run *r, const struct mpool *p, int64_t at)
{
	for (size_t i = 0; i < p->nwait; i++)
		if (r->apps[p->wait[i]].received_at <= at)
			return true;
	return false;
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

/* The model's own calendar (it does not ask the office's): days since
 * 1970-01-01 of y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil). */
static int64_t civil_days(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Day doy (0-based) of year: a day number. */
static int64_t year_day(int year, int doy)
{
	return civil_days(year, 1, 1) + doy;
}

/* The instant (UTC seconds) of hh:mm on day in the office's time, UTC+8. */
static int64_t at_local(int64_t day, int hh, int mm)
{
	return day * 86400 + (int64_t)(hh - 8) * 3600 + (int64_t)mm * 60;
}

static void fmt_date(char *buf, size_t n, int year, int doy)
{
	int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int m = 0;

	mdays[1] += year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	assert_true(doy >= 0 && doy < 337 + mdays[1]);
	while (doy >= mdays[m]) {
		doy -= mdays[m];
		m++;
	}
	snprintf(buf, n, "%04d-%02d-%02d", year, m + 1, doy + 1);
}

enum variant { V_PLAIN, V_RELATED, V_SAME_USCC, V_ELSEWHERE };

/* The text of an application: no number and no time (the office gives
 * both), a client_ref unless ref is "". */
static char *app_json(const struct run *r, const char *ref, int measure,
		      int who, int year, int doy, money_t value, enum variant v,
		      const char *number, size_t *len)
{
	char date[32], val[MONEY_TEXT_MAX], refline[64] = "";
	char *buf = malloc(4096);
	int n;

	assert_non_null(buf);
	fmt_date(date, sizeof(date), year, doy);
	if (ref[0])
		snprintf(refline, sizeof(refline),
			 "  \"client_ref\": \"%s\",\n", ref);
	n = snprintf(buf, 4096,
		     "{\n"
		     "%s"
		     "  \"program\": \"" PROGRAM "\",\n"
		     "  \"measure\": \"%s\",\n"
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
		     refline, rules[measure].id, r->uscc[who], who,
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
		snprintf(s->got[s->ngot].detail, sizeof(s->got[0].detail), "%s",
			 ev->detail ? ev->detail : "");
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
		money_t *before, cap = rules[a->measure].cap_year, lim;

		/* Only a year with a budget holds money. */
		if (h == 0)
			continue;
		assert_true(a->year == 2025 || a->year == 2026);
		before = &held[a->measure][a->who][a->year - 2025];
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
				bool in = false;

				for (size_t k = 0; k < p->nwait; k++)
					in |= p->wait[k] == j;
				if (!in)
					die(r,
					    "model: '%s' is waitlisted but not "
					    "in the waitlist of %s/%d",
					    a->id, p->pool, p->year);
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
	if (strcmp(a->client_ref, m->ref))
		DIFF("'%s': client_ref '%s', the model says '%s'", m->id,
		     a->client_ref, m->ref);
	if (a->received_at != m->received_at)
		DIFF("'%s': received at %lld, the model says %lld", m->id,
		     (long long)a->received_at, (long long)m->received_at);
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
	if (strcmp(res->client_ref, a->ref) ||
	    res->received_at != a->received_at)
		die(r,
		    "office_result of '%s' has client_ref '%s', received at "
		    "%lld; the model says '%s', %lld",
		    a->id, res->client_ref, (long long)res->received_at, a->ref,
		    (long long)a->received_at);
}

/* A refusal must say why: the code the model expects (and the field). */
static void refused_as(struct run *r, int rc, const struct qerr *e, int want,
		       const char *field)
{
	if (rc != want || (field && strcmp(e->field, field)))
		die(r,
		    "refused with %s (field '%s': %s), the model expects %s%s%s",
		    qerr_name(rc), e->field, e->msg, qerr_name(want),
		    field ? " on " : "", field ? field : "");
}

/* Received on day (fiscal year `year`) at hh:mm:ss, UTC+8. */
static void receive_s(struct mapp *a, int64_t day, int year, int hh, int mm,
		      int ss)
{
	a->recv_day = day;
	a->year = year;
	a->received_at = at_local(day, hh, mm) + ss;
	a->pool = pool_index(rules[a->measure].pool, year);
}

static void receive(struct mapp *a, int64_t day, int year, int hh, int mm)
{
	receive_s(a, day, year, hh, mm, 0);
}

/* A new application (not yet submitted) in *a, its contract signed on day
 * doy of year and received that day at 10:MM. Its client_ref: a fresh one
 * when ref is NULL, none when "", else ref. */
static void new_app(struct run *r, struct mapp *a, int measure, int who,
		    int year, int doy, money_t value, enum variant v,
		    const char *ref)
{
	char number[32], fen_buf[3][MONEY_TEXT_MAX];

	r->nextid++;
	memset(a, 0, sizeof(*a));
	if (ref)
		snprintf(a->ref, sizeof(a->ref), "%s", ref);
	else
		snprintf(a->ref, sizeof(a->ref), "P-%06zu", r->nextid);
	a->measure = measure;
	a->who = who;
	a->signed_day = year_day(year, doy);
	receive(a, a->signed_day, year, 10, (int)(value % 60));
	a->value = value;
	a->state = -1;
	snprintf(number, sizeof(number), "HT-%llu-%zu",
		 (unsigned long long)r->seed, r->nextid);
	a->json = app_json(r, a->ref, measure, who, year, doy, value, v, number,
			   &a->len);
	a->eligible = v == V_PLAIN || (measure == M_MODEL && v != V_ELSEWHERE);
	snprintf(r->op, sizeof(r->op),
		 "apply '%s': %s, applicant %d, %d, value %s, %s", a->ref,
		 rules[measure].id, who, year, fen(value, M1),
		 v == V_PLAIN	    ? "plain"
		 : v == V_RELATED   ? "related supplier"
		 : v == V_SAME_USCC ? "supplier is itself"
				    : "registered elsewhere");
}

/* The same application sent again as a new one (it has no client_ref, or
 * other contents): a copy of src with text json (taken over). */
static void clone_app(const struct mapp *src, struct mapp *a, char *json,
		      size_t len)
{
	*a = *src;
	a->id[0] = '\0';
	a->state = -1;
	a->requested = a->awarded = a->paid = a->recovered = 0;
	a->approver[0] = '\0';
	a->imported = false;
	a->json = json;
	a->len = len;
}

static char *dup_text(const char *s, size_t len)
{
	char *t = malloc(len + 1);

	assert_non_null(t);
	memcpy(t, s, len);
	t[len] = '\0';
	return t;
}

/* Whether the office records a: a contract signed after the day it was
 * received is refused, and so is an eligible application for a year
 * without a budget (an error of the decision). Either way nothing is
 * written and no number is taken. */
static bool apply_ok(const struct mapp *a)
{
	return a->signed_day <= a->recv_day && (!a->eligible || a->pool >= 0);
}

/* The code of the refusal of an application apply_ok refuses. */
static int refusal_code(const struct mapp *a)
{
	return a->signed_day > a->recv_day ? Q_ERR_INVALID : Q_ERR_DECISION;
}

static const char *refusal_field(const struct mapp *a)
{
	return a->signed_day > a->recv_day ? "contract.signed_on"
					   : "received_at";
}

/* The model's side of an accepted application (a is taken over); res is
 * what the office answered. It takes the next number of its fiscal year.
 * Returns its index. */
static long model_apply(struct run *r, const struct mapp *a,
			const struct office_result *res)
{
	struct mapp *m;
	struct mpool *p;
	size_t idx = r->napps;

	assert_true(a->year == 2025 || a->year == 2026 || a->pool < 0);
	r->apps = grow(r->apps, &r->capapps, r->napps + 1, sizeof(*r->apps));
	m = &r->apps[idx];
	*m = *a;
	if (m->year == 2025 || m->year == 2026)
		snprintf(m->id, sizeof(m->id), PREFIX "-%04d-%06ld", m->year,
			 ++r->numbers[m->year - 2025]);
	else /* a scenario's other year: its first number */
		snprintf(m->id, sizeof(m->id), PREFIX "-%04d-%06d", m->year, 1);
	if (m->eligible)
		m->requested = decide_amount(
			m->measure, m->value, rules[m->measure].rate,
			history(r, m->measure, m->who, m->year, (size_t)-1));
	r->napps++;
	p = pool_of(r, m);
	if (!m->eligible) {
		set_state(r, m, APP_INELIGIBLE);
	} else if (waits_before(r, p, m->received_at) ||
		   m->requested > p->available) {
		set_state(r, m, APP_WAITLISTED);
		size_t at = p->nwait;

		/* The waiting order is the order of receipt, then of
		 * arrival: an import received earlier goes ahead. */
		while (at > 0 &&
		       r->apps[p->wait[at - 1]].received_at > m->received_at)
			at--;
		p->wait = realloc(p->wait, (p->nwait + 1) * sizeof(p->wait[0]));
		assert_non_null(p->wait);
		memmove(&p->wait[at + 1], &p->wait[at],
			(p->nwait - at) * sizeof(p->wait[0]));
		p->wait[at] = idx;
		p->nwait++;
	} else {
		set_state(r, m, APP_RESERVED);
		p->available -= m->requested;
		p->reserved += m->requested;
	}
	expect_event(r, m->imported ? "import" : "apply", m->id);
	check_result(r, res, m, false);
	return (long)idx;
}

/* Send a (new) to office_apply with the office's clock at its received_at;
 * returns its index in the model, or -1 when the office refused it, as
 * the model expected. */
static long send_new(struct run *r, struct mapp *a, enum op op)
{
	struct office_result res;
	struct qerr e;
	bool ok = apply_ok(a);
	int rc;

	qerr_clear(&e);
	rc = office_apply(&r->o, a->json, a->len, "applicant", a->received_at,
			  &res, &e);
	outcome(r, op, ok, rc, &e);
	if (!ok) {
		refused_as(r, rc, &e, refusal_code(a), refusal_field(a));
		free(a->json);
		return -1;
	}
	return model_apply(r, a, &res);
}

/* Apply a new application; returns its index in the model (or -1 when the
 * office refused it, as the model expected). */
static long do_apply(struct run *r, int measure, int who, int year, int doy,
		     money_t value, enum variant v)
{
	struct mapp a;

	new_app(r, &a, measure, who, year, doy, value, v, NULL);
	return send_new(r, &a, OP_APPLY);
}

static enum variant pick_variant(struct run *r)
{
	unsigned x = (unsigned)below(r, 100);

	return x < 4   ? V_RELATED
	       : x < 6 ? V_SAME_USCC
	       : x < 8 ? V_ELSEWHERE
		       : V_PLAIN;
}

/* Whether firm `who` has sent an application with client_ref ref. */
static bool ref_taken(const struct run *r, int who, const char *ref)
{
	for (size_t i = 0; i < r->napps; i++)
		if (r->apps[i].who == who && !strcmp(r->apps[i].ref, ref))
			return true;
	return false;
}

/* A random new application, not yet submitted, signed on day doy of year
 * (doy < 0: a random day). Mostly with a fresh client_ref, sometimes none;
 * with reuse, sometimes the reference another firm used (its own key). */
static void random_app_on(struct run *r, struct mapp *a, int year, int doy,
			  bool reuse)
{
	enum variant v = pick_variant(r);
	int measure = chance(r, 60) ? M_CORPUS : M_MODEL;
	int who = measure == M_CORPUS ? (int)below(r, 8) : 5 + (int)below(r, 5);
	unsigned x = (unsigned)below(r, 100);
	const char *ref = NULL;

	if (year < 0)
		year = chance(r, 85) ? 2025 : 2026;
	if (doy < 0)
		doy = (int)below(r, 365);
	if (x < 8) {
		ref = "";
	} else if (x < 16 && reuse && r->napps) {
		const struct mapp *o = &r->apps[below(r, r->napps)];

		if (o->ref[0] && o->who != who && !ref_taken(r, who, o->ref))
			ref = o->ref;
	}
	{
		char keep[32];

		/* new_app writes a->ref: copy a borrowed one first */
		snprintf(keep, sizeof(keep), "%s", ref ? ref : "");
		new_app(r, a, measure, who, year, doy,
			pick_value(r, measure,
				   pool_index(rules[measure].pool, year)),
			v, ref ? keep : NULL);
	}
}

static void random_app(struct run *r, struct mapp *a, bool reuse)
{
	random_app_on(r, a, -1, -1, reuse);
}

static void op_apply(struct run *r)
{
	struct mapp a;

	random_app(r, &a, true);
	/* Now and then received the day before the contract was signed:
	 * refused, and no number taken. */
	if (chance(r, 4)) {
		int64_t day = a.signed_day - 1;

		receive(&a, day, day < year_day(2025, 0) ? 2024 : a.year, 9,
			(int)below(r, 60));
		strncat(r->op, ", received the day before it was signed",
			sizeof(r->op) - strlen(r->op) - 1);
	}
	send_new(r, &a, OP_APPLY);
}

/* The same text with another contract number (an X in front of it). */
static char *other_text(const struct mapp *a, size_t *len)
{
	static const char key[] = "\"number\": \"";
	const char *at = strstr(a->json, key);
	size_t head, tail;
	char *text;

	assert_non_null(at);
	head = (size_t)(at - a->json) + strlen(key);
	tail = a->len - head;
	text = malloc(a->len + 2);
	assert_non_null(text);
	memcpy(text, a->json, head);
	text[head] = 'X';
	memcpy(text + head + 1, a->json + head, tail);
	text[a->len + 1] = '\0';
	*len = a->len + 1;
	return text;
}

/* --- batches -------------------------------------------------------------------- */

#define BATCH_MAX 4

enum bkind { B_NEW, B_AGAIN, B_OTHER };

/* One application of a batch: a new one, or one the office holds sent
 * again (the same bytes, or other contents). One without a client_ref sent
 * again is a new application too (a clone). */
struct bitem {
	enum bkind kind;
	size_t which;  /* B_AGAIN, B_OTHER: index into apps */
	bool is_new;   /* a is an application the model may add */
	struct mapp a; /* that application (its json is its text) */
	char *text;    /* re-sent under a client_ref: its text (owned) */
	size_t len;
	int64_t at;    /* intake: when received */
	bool imported; /* intake: an import */
};

/* Item it re-sends apps[which] (kind B_AGAIN or B_OTHER). */
static void bitem_again(struct run *r, struct bitem *it, enum bkind kind,
			size_t which)
{
	const struct mapp *src = &r->apps[which];
	size_t len = src->len;
	char *text = kind == B_OTHER ? other_text(src, &len)
				     : dup_text(src->json, src->len);

	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->which = which;
	it->at = src->received_at;
	if (src->ref[0]) {
		it->text = text;
		it->len = len;
		return;
	}
	it->is_new = true;
	clone_app(src, &it->a, text, len);
}

static void bitem_new(struct bitem *it, const struct mapp *a, bool imported)
{
	memset(it, 0, sizeof(*it));
	it->kind = B_NEW;
	it->is_new = true;
	it->a = *a;
	it->a.imported = imported;
	it->at = a->received_at;
	it->imported = imported;
}

/* Send n items in one transaction: office_apply_batch with the office's
 * clock at now (one_clock: every new application is received then), or
 * office_intake_batch, each received at its own time, imported or not,
 * the clock at now. The model takes them in order: each has its own
 * outcome, and the refused ones take no number. */
static void run_batch(struct run *r, struct bitem *it, size_t n, bool one_clock,
		      int64_t now)
{
	const char *texts[BATCH_MAX * 2];
	size_t lens[BATCH_MAX * 2];
	struct office_intake in[BATCH_MAX * 2];
	struct office_result res[BATCH_MAX * 2];
	int rcs[BATCH_MAX * 2];
	struct qerr errs[BATCH_MAX * 2], e;
	int rc;

	assert_true(n <= BATCH_MAX * 2);
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < n; i++) {
		texts[i] = it[i].is_new ? it[i].a.json : it[i].text;
		lens[i] = it[i].is_new ? it[i].a.len : it[i].len;
		in[i] = (struct office_intake){.json = texts[i],
					       .len = lens[i],
					       .by = "applicant",
					       .received_at = it[i].at,
					       .imported = it[i].imported};
		qerr_clear(&errs[i]);
	}
	qerr_clear(&e);
	if (one_clock)
		rc = office_apply_batch(&r->o, texts, lens, n, "applicant", now,
					res, rcs, errs, &e);
	else
		rc = office_intake_batch(&r->o, in, n, now, res, rcs, errs, &e);
	if (rc)
		die(r, "the batch failed as a whole: %s", e.msg);
	for (size_t i = 0; i < n; i++) {
		bool ok = it[i].is_new		  ? apply_ok(&it[i].a)
			  : it[i].kind == B_AGAIN ? true
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
		if (it[i].is_new) {
			if (ok) {
				model_apply(r, &it[i].a, &res[i]);
			} else {
				refused_as(r, rcs[i], &errs[i],
					   refusal_code(&it[i].a),
					   refusal_field(&it[i].a));
				free(it[i].a.json);
			}
		} else if (ok) {
			check_result(r, &res[i], &r->apps[it[i].which], true);
		} else {
			refused_as(r, rcs[i], &errs[i], Q_ERR_CONFLICT,
				   "client_ref");
		}
		free(it[i].text);
		it[i].text = NULL;
	}
}

/* Several applications in one transaction: new ones (some received the
 * day before they were signed, some imported), re-submissions and other
 * contents under a known reference, each with its own outcome. */
static void op_apply_batch(struct run *r)
{
	struct bitem items[BATCH_MAX];
	size_t n = 2 + below(r, BATCH_MAX - 1);
	bool one_clock = chance(r, 50);
	int byear = chance(r, 85) ? 2025 : 2026, bdoy = (int)below(r, 365);
	int bmin = (int)below(r, 60);
	int64_t bday = year_day(byear, bdoy);
	int64_t now = one_clock ? at_local(bday, 15, bmin) : r->now;
	char *p;

	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)below(r, 100);
		struct mapp a;

		if (r->napps && x >= 70) {
			bitem_again(r, &items[i], x < 85 ? B_AGAIN : B_OTHER,
				    below(r, r->napps));
			if (one_clock && items[i].is_new)
				receive(&items[i].a, bday, byear, 15, bmin);
			continue;
		}
		if (one_clock) {
			/* Signed on or before the day of the batch; now and
			 * then the day after it: refused. */
			int doy = x < 8 && bdoy < 364 ? bdoy + 1
						      : (int)below(r, bdoy + 1);

			random_app_on(r, &a, byear, doy, false);
			receive(&a, bday, byear, 15, bmin);
		} else {
			random_app(r, &a, false);
			if (x < 8) {
				int64_t day = a.signed_day - 1;

				receive(&a, day,
					day < year_day(2025, 0) ? 2024 : a.year,
					9, bmin);
			}
		}
		bitem_new(&items[i], &a, !one_clock && chance(r, 25));
	}
	p = r->op +
	    snprintf(r->op, sizeof(r->op), "%s of %zu:",
		     one_clock ? "office_apply_batch" : "office_intake_batch",
		     n);
	for (size_t i = 0; i < n && p < r->op + sizeof(r->op) - 48; i++) {
		const struct bitem *b = &items[i];

		p += snprintf(
			p, (size_t)(r->op + sizeof(r->op) - p), " %s%s%s%s",
			b->kind == B_NEW ? b->a.ref : r->apps[b->which].id,
			b->kind == B_AGAIN   ? "(again)"
			: b->kind == B_OTHER ? "(other contents)"
					     : "",
			b->is_new && !apply_ok(&b->a) ? "(refused)" : "",
			b->imported ? "(imported)" : "");
	}
	/* An import is of the past: the office's clock stands after it. */
	for (size_t i = 0; i < n; i++)
		if (items[i].imported && items[i].a.received_at > now)
			now = items[i].a.received_at;
	run_batch(r, items, n, one_clock, now);
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

/* Send apps[idx] again, with the same bytes or other contents. Under its
 * client_ref: the recorded application (existed), or a conflict that
 * writes nothing. Without one: a new application. */
static void do_reapply(struct run *r, size_t idx, bool other)
{
	struct mapp *a = &r->apps[idx];
	struct office_result res;
	struct qerr e;
	char *text;
	size_t len = a->len;
	int rc;

	snprintf(r->op, sizeof(r->op), "%s %s ('%s', %s)",
		 other ? "re-apply with other contents" : "re-apply", a->id,
		 a->ref, app_state_name(a->state));
	if (!a->ref[0]) {
		struct mapp c;

		text = other ? other_text(a, &len) : dup_text(a->json, a->len);
		clone_app(a, &c, text, len);
		send_new(r, &c, other ? OP_REAPPLY_OTHER : OP_REAPPLY);
		return;
	}
	text = other ? other_text(a, &len) : a->json;
	qerr_clear(&e);
	rc = office_apply(&r->o, text, len, "applicant", r->now, &res, &e);
	if (other)
		free(text);
	outcome(r, other ? OP_REAPPLY_OTHER : OP_REAPPLY, !other, rc, &e);
	if (other)
		refused_as(r, rc, &e, Q_ERR_CONFLICT, "client_ref");
	else
		check_result(r, &res, a, true);
}

static void op_reapply(struct run *r, bool other)
{
	do_reapply(r, (size_t)(pick(r, NULL, 0) - r->apps), other);
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
	/* An award of nothing is refused (a rejection says why); whoever
	 * approved first can never finish the award alone, even at an
	 * amount under the threshold. */
	if (ok && amount == 0 && a->requested > 0)
		ok = false;
	if (ok && a->approver[0] && !strcmp(a->approver, by))
		ok = false;
	/* The second of two approvals confirms the first's amount (no rate
	 * and no value given) or lowers it; a higher amount is refused. */
	if (ok && a->approver[0]) {
		if (rate < 0 && value < 0)
			amount = a->first_amount;
		else if (amount > a->first_amount)
			ok = false;
	}
	if (ok && m->second_above >= 0 && amount > m->second_above &&
	    !a->approver[0])
		first = true;
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
		a->first_amount = amount;
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

/* Any verb on an id the office never gave is refused: an unknown one, an
 * applicant's client_ref (not an id of the office's), or the number the
 * next application of the year will get. */
static void op_no_such(struct run *r)
{
	struct office_result res;
	struct qerr e;
	char next[32];
	const char *ids[3] = {"P-NONE", next, NULL};
	int rc;

	snprintf(next, sizeof(next), PREFIX "-2025-%06ld", r->numbers[0] + 1);
	for (size_t i = 0; i < r->napps && !ids[2]; i++)
		if (r->apps[i].ref[0])
			ids[2] = r->apps[i].ref;
	for (size_t k = 0; k < 3 && ids[k]; k++) {
		snprintf(r->op, sizeof(r->op), "verbs on an unknown id '%s'",
			 ids[k]);
		qerr_clear(&e);
		rc = office_approve(&r->o, ids[k], -1, -1, "rev-a", r->now,
				    &res, &e);
		outcome(r, OP_NO_SUCH, false, rc, &e);
		refused_as(r, rc, &e, Q_ERR_NOT_FOUND, "id");
		rc = office_withdraw(&r->o, ids[k], "applicant", r->now, &res,
				     &e);
		outcome(r, OP_NO_SUCH, false, rc, &e);
		refused_as(r, rc, &e, Q_ERR_NOT_FOUND, "id");
		rc = office_disburse(&r->o, ids[k], 100, "finance", r->now, &e);
		outcome(r, OP_NO_SUCH, false, rc, &e);
		rc = office_clawback(&r->o, ids[k], 100, "x", "finance", r->now,
				     &e);
		outcome(r, OP_NO_SUCH, false, rc, &e);
	}
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

/* An application text the office must refuse before it is decided (code
 * want on field): nothing is written and no number is taken. */
static void send_bad(struct run *r, const char *text, int want,
		     const char *field)
{
	struct office_result res;
	struct qerr e;
	int rc;

	snprintf(r->op, sizeof(r->op), "apply a bad application (%s)",
		 qerr_name(want));
	qerr_clear(&e);
	rc = office_apply(&r->o, text, strlen(text), "applicant", r->now, &res,
			  &e);
	outcome(r, OP_APPLY, false, rc, &e);
	refused_as(r, rc, &e, want, field);
}

/* A new application of measure/who signed on doy of year, received on
 * day `day` (fiscal year `year`) at hh:mm:ss, sent with office_apply. */
static long apply_received(struct run *r, int measure, int who, int syear,
			   int sdoy, int64_t day, int year, int hh, int mm,
			   int ss)
{
	struct mapp a;

	new_app(r, &a, measure, who, syear, sdoy, YUAN(10000), V_PLAIN, NULL);
	receive_s(&a, day, year, hh, mm, ss);
	return send_new(r, &a, OP_APPLY);
}

/* An application whose applicant's USCC has a wrong check character. */
static void apply_bad_uscc(struct run *r)
{
	struct mapp a;
	char *at;

	new_app(r, &a, M_CORPUS, 2, 2025, 120, YUAN(10000), V_PLAIN, NULL);
	at = strstr(a.json, r->uscc[2]);
	assert_non_null(at);
	at[USCC_LEN - 1] = at[USCC_LEN - 1] == 'X' ? 'Y' : 'X';
	send_bad(r, a.json, Q_ERR_INVALID_USCC, "applicant.uscc");
	free(a.json);
}

static void apply_signed_after(struct run *r, long *n_before)
{
	/* Signed on 2025-07-20, received the evening before. */
	*n_before = r->numbers[0];
	assert_int_equal(apply_received(r, M_CORPUS, 3, 2025, 200,
					year_day(2025, 199), 2025, 23, 59, 59),
			 -1);
}

/* The office numbers PROP-YEAR-NNNNNN: the first of a fiscal year is
 * 000001, the numbers follow arrival (not the time received), each
 * fiscal year (UTC+8) counts on its own, and an application the office
 * refuses takes no number. */
static void test_numbering(void **state)
{
	struct run *r = *state;
	long a, b, c, d, k;
	long n_before = -1;

	r->scenario = "numbers per fiscal year in arrival order";
	run_open(r);
	STEP(r, a = do_apply(r, M_CORPUS, 0, 2025, 100, YUAN(100000), V_PLAIN));
	assert_string_equal(r->apps[a].id, "PROP-2025-000001");
	/* Received earlier in the year, but it arrives second. */
	STEP(r, b = do_apply(r, M_MODEL, 5, 2025, 20, YUAN(100000), V_PLAIN));
	assert_string_equal(r->apps[b].id, "PROP-2025-000002");
	assert_true(r->apps[b].received_at < r->apps[a].received_at);
	/* Another fiscal year starts at 1; an ineligible one is numbered. */
	STEP(r,
	     c = do_apply(r, M_CORPUS, 1, 2026, 10, YUAN(100000), V_ELSEWHERE));
	assert_string_equal(r->apps[c].id, "PROP-2026-000001");
	assert_int_equal(r->apps[c].state, APP_INELIGIBLE);
	/* Refused, taking no number: an eligible application for a year
	 * without a budget, one signed after it was received, one with a
	 * bad USCC. */
	STEP(r, assert_int_equal(do_apply(r, M_MODEL, 6, 2026, 11, YUAN(100000),
					  V_PLAIN),
				 -1));
	STEP(r, apply_signed_after(r, &n_before));
	assert_int_equal(r->numbers[0], n_before);
	STEP(r, apply_bad_uscc(r));
	STEP(r, d = do_apply(r, M_CORPUS, 3, 2025, 201, YUAN(100000), V_PLAIN));
	assert_string_equal(r->apps[d].id, "PROP-2025-000003");
	STEP(r, k = do_apply(r, M_CORPUS, 4, 2026, 12, YUAN(1000), V_PLAIN));
	assert_string_equal(r->apps[k].id, "PROP-2026-000002");
	/* The fiscal year is read in UTC+8: 2025-12-31T16:00:00Z is
	 * 2026-01-01 there, one second earlier still 2025. */
	STEP(r, k = apply_received(r, M_CORPUS, 5, 2025, 364, year_day(2026, 0),
				   2026, 0, 0, 0));
	assert_int_equal(r->apps[k].received_at,
			 civil_days(2025, 12, 31) * 86400 + 16 * 3600);
	assert_string_equal(r->apps[k].id, "PROP-2026-000003");
	STEP(r, k = apply_received(r, M_CORPUS, 6, 2025, 364,
				   year_day(2025, 364), 2025, 23, 59, 59));
	assert_int_equal(r->apps[k].received_at,
			 civil_days(2025, 12, 31) * 86400 + 16 * 3600 - 1);
	assert_string_equal(r->apps[k].id, "PROP-2025-000004");
}

/* Send apps[idx] again; the office must answer with what it recorded and
 * write nothing: no event, no money, no application. */
static void reapply_nothing_new(struct run *r, size_t idx, bool other)
{
	struct office_pool_figures before[NPOOLS], after[NPOOLS];
	int64_t events = r->events;
	size_t napps = r->napps;

	read_pools(r, before);
	do_reapply(r, idx, other);
	read_pools(r, after);
	assert_int_equal(r->events, events);
	assert_int_equal(r->napps, napps);
	assert_memory_equal(before, after, sizeof(before));
}

static long apply_ref(struct run *r, int who, const char *ref, int doy)
{
	struct mapp a;

	new_app(r, &a, M_CORPUS, who, 2025, doy, YUAN(100000), V_PLAIN, ref);
	return send_new(r, &a, OP_APPLY);
}

/* A client_ref is the applicant firm's idempotency key. */
static void test_client_ref(void **state)
{
	struct run *r = *state;
	long a, b, c, d;

	r->scenario = "client_ref: one key per firm";
	run_open(r);
	STEP(r, a = apply_ref(r, 0, "order-2025.07_a", 150));
	assert_string_equal(r->apps[a].id, "PROP-2025-000001");
	/* The same firm, reference and bytes: the recorded application,
	 * its number, and nothing written (check_result: existed). */
	STEP(r, reapply_nothing_new(r, (size_t)a, false));
	/* The same firm and reference, other bytes: a conflict on
	 * client_ref, and nothing written. */
	STEP(r, reapply_nothing_new(r, (size_t)a, true));
	/* Another firm with the same reference: its own application. */
	STEP(r, b = apply_ref(r, 1, "order-2025.07_a", 150));
	assert_string_equal(r->apps[b].id, "PROP-2025-000002");
	assert_string_equal(r->apps[b].ref, r->apps[a].ref);
	assert_int_equal(r->pools[0].reserved, r->apps[a].requested * 2);
	/* Withdrawn, the reference still names it. */
	STEP(r, do_end(r, &r->apps[a], APP_WITHDRAWN));
	STEP(r, reapply_nothing_new(r, (size_t)a, false));
	STEP(r, reapply_nothing_new(r, (size_t)a, true));
	/* Without a client_ref every sending is a new application, with a
	 * number of its own. */
	STEP(r, c = apply_ref(r, 2, "", 151));
	assert_string_equal(r->apps[c].id, "PROP-2025-000003");
	STEP(r, do_reapply(r, (size_t)c, false));
	d = (long)r->napps - 1;
	assert_string_equal(r->apps[d].id, "PROP-2025-000004");
	assert_int_equal(r->apps[d].len, r->apps[c].len);
	assert_memory_equal(r->apps[d].json, r->apps[c].json, r->apps[c].len);
}

static void batch_in_middle(struct run *r, long known, bool one_clock)
{
	struct bitem it[5];
	struct mapp a;
	int64_t day = year_day(2025, 220);
	int64_t now = one_clock ? at_local(day, 15, 30) : r->now;

	new_app(r, &a, M_CORPUS, 4, 2025, 210, YUAN(10000), V_PLAIN, NULL);
	if (one_clock)
		receive(&a, day, 2025, 15, 30);
	bitem_new(&it[0], &a, false);
	/* Signed after it was received. */
	new_app(r, &a, M_CORPUS, 5, 2025, 221, YUAN(10000), V_PLAIN, NULL);
	receive(&a, day, 2025, 15, 30);
	bitem_new(&it[1], &a, false);
	/* A known reference with other contents. */
	bitem_again(r, &it[2], B_OTHER, (size_t)known);
	if (one_clock) {
		/* One clock, one year for all: a good one. */
		new_app(r, &a, M_MODEL, 6, 2025, 5, YUAN(10000), V_PLAIN, NULL);
		receive(&a, day, 2025, 15, 30);
	} else {
		/* For a year without a budget. */
		new_app(r, &a, M_MODEL, 6, 2026, 5, YUAN(10000), V_PLAIN, NULL);
	}
	bitem_new(&it[3], &a, false);
	new_app(r, &a, M_CORPUS, 7, 2025, 211, YUAN(10000), V_PLAIN, NULL);
	if (one_clock)
		receive(&a, day, 2025, 15, 30);
	bitem_new(&it[4], &a, false);
	snprintf(r->op, sizeof(r->op), "%s with refusals in the middle",
		 one_clock ? "office_apply_batch" : "office_intake_batch");
	run_batch(r, it, 5, one_clock, now);
}

/* A batch commits what it can: an application refused in the middle
 * rolls back alone, takes no number, and the others are numbered in
 * order. */
static void test_batch_refusal_in_middle(void **state)
{
	struct run *r = *state;
	long known;
	size_t n;

	r->scenario = "a batch with refusals in the middle";
	run_open(r);
	STEP(r,
	     known = do_apply(r, M_CORPUS, 0, 2025, 100, YUAN(10000), V_PLAIN));
	n = r->napps;
	STEP(r, batch_in_middle(r, known, false));
	/* new, (signed after), (conflict), (no budget), new */
	assert_int_equal(r->napps, n + 2);
	assert_string_equal(r->apps[n].id, "PROP-2025-000002");
	assert_string_equal(r->apps[n + 1].id, "PROP-2025-000003");
	assert_int_equal(r->stats_fail[OP_APPLY_BATCH], 3);
	n = r->napps;
	STEP(r, batch_in_middle(r, known, true));
	/* new, (signed after), (conflict), new, new */
	assert_int_equal(r->napps, n + 3);
	assert_string_equal(r->apps[n].id, "PROP-2025-000004");
	assert_string_equal(r->apps[n + 2].id, "PROP-2025-000006");
	assert_int_equal(r->stats_fail[OP_APPLY_BATCH], 5);
}

/* The detail of the last event of the chain. */
static void last_event(struct run *r, struct xevent *out)
{
	struct evscan es;
	struct qerr e;

	memset(&es, 0, sizeof(es));
	es.from = r->events - 1;
	qerr_clear(&e);
	assert_int_equal(store_event_each(r->o.store, scan_event, &es, &e), 0);
	assert_int_equal(es.ngot, 1);
	*out = es.got[0];
	free(es.got);
}

static void intake_one(struct run *r, struct mapp *a, int64_t now)
{
	struct bitem it;

	bitem_new(&it, a, true);
	snprintf(r->op, sizeof(r->op), "import '%s'", a->ref);
	run_batch(r, &it, 1, false, now);
}

/* An administrator's import: audited as "import" with the time given, and
 * the window and the fiscal year follow that time, not the clock. */
static void test_import(void **state)
{
	struct run *r = *state;
	struct xevent ev;
	struct mapp a;
	char want[96], date[16];
	const int64_t now = at_local(year_day(2026, 59), 9, 0); /* 2026-03-01 */
	const int64_t after = at_local(year_day(2027, 4), 9, 0); /* closed */

	r->scenario = "imports";
	run_open(r);
	/* Received 2025-06-01 (fiscal 2025), imported in 2026. */
	new_app(r, &a, M_CORPUS, 0, 2025, 151, YUAN(100020), V_PLAIN, NULL);
	STEP(r, intake_one(r, &a, now));
	assert_string_equal(r->apps[0].id, "PROP-2025-000001");
	assert_int_equal(r->apps[0].state, APP_RESERVED);
	last_event(r, &ev);
	assert_string_equal(ev.action, "import");
	assert_string_equal(ev.subject, "PROP-2025-000001");
	assert_non_null(strstr(ev.detail, "\"imported\":true"));
	fmt_date(date, sizeof(date), 2025, 151);
	snprintf(want, sizeof(want), "\"received_at\":\"%sT10:%02d:00+08:00\"",
		 date, (int)(YUAN(100020) % 60));
	if (!strstr(ev.detail, want))
		fail_msg("import event detail %s has no %s", ev.detail, want);

	/* Received 2024-12-31T23:59:59+08:00, before the window opened,
	 * imported while it is open: ineligible, fiscal year 2024. */
	new_app(r, &a, M_CORPUS, 1, 2024, 365, YUAN(100000), V_PLAIN, NULL);
	receive_s(&a, year_day(2024, 365), 2024, 23, 59, 59);
	a.eligible = false;
	STEP(r, intake_one(r, &a, now));
	assert_string_equal(r->apps[1].id, "PROP-2024-000001");
	assert_int_equal(r->apps[1].state, APP_INELIGIBLE);

	/* Received 2026-06-01 inside the window, imported after it closed:
	 * eligible, fiscal 2026. */
	new_app(r, &a, M_CORPUS, 2, 2026, 151, YUAN(100000), V_PLAIN, NULL);
	STEP(r, intake_one(r, &a, after));
	assert_string_equal(r->apps[2].id, "PROP-2026-000001");
	assert_int_equal(r->apps[2].state, APP_RESERVED);
	last_event(r, &ev);
	assert_string_equal(ev.action, "import");

	/* Not imported: the same path, audited as "apply". */
	new_app(r, &a, M_CORPUS, 3, 2025, 152, YUAN(100000), V_PLAIN, NULL);
	{
		struct bitem it;

		bitem_new(&it, &a, false);
		STEP(r, run_batch(r, &it, 1, false, now));
	}
	assert_string_equal(r->apps[3].id, "PROP-2025-000002");
	last_event(r, &ev);
	assert_string_equal(ev.action, "apply");
	assert_null(strstr(ev.detail, "\"imported\""));
}

/* --- numbering across programs ------------------------------------------------ */

/* The property test's policy with the program id to, and the line extra
 * (a number_prefix, or "") after it; budget: corpus/2025 as given. */
static char *policy_variant(const char *to, const char *extra,
			    const char *budget)
{
	static const char from[] = "program: " PROGRAM "\n";
	static const char b25[] = "2025: \"2000000.00\"";
	const char *at = strstr(policy_yaml, from), *bat;
	char *out = malloc(sizeof(policy_yaml) + 256);
	int n;

	assert_non_null(at);
	assert_non_null(out);
	bat = strstr(policy_yaml, b25);
	assert_non_null(bat);
	n = snprintf(out, sizeof(policy_yaml) + 256,
		     "program: %s\n%s%.*s2025: \"%s\"%s", to, extra,
		     (int)(bat - (at + strlen(from))), at + strlen(from),
		     budget, bat + strlen(b25));
	assert_true(n > 0 && (size_t)n < sizeof(policy_yaml) + 256);
	return out;
}

struct pfx {
	char dir[96], path[160];
	struct testdb tdb;
	struct chip_catalog *chips;
	struct office o;
	int n;
};

static int load_variant(struct pfx *f, const char *program, const char *extra,
			const char *budget, bool *is_new, struct qerr *e)
{
	char *text = policy_variant(program, extra, budget);
	int rc;

	snprintf(f->path, sizeof(f->path), "%s/p%d.yaml", f->dir, f->n++);
	write_file(f->path, text);
	free(text);
	qerr_clear(e);
	rc = office_load_policy(&f->o, f->path, "admin", 1760000000, is_new, e);
	unlink(f->path);
	return rc;
}

static int count_events(void *arg, const struct store_event *ev)
{
	(void)ev;
	(*(int64_t *)arg)++;
	return 0;
}

static int64_t events_of(struct pfx *f)
{
	int64_t n = 0;
	struct qerr e;

	assert_int_equal(store_event_each(f->o.store, count_events, &n, &e), 0);
	return n;
}

/* Apply a corpus application of program to the office at `at`; the
 * office's number, or "" with *rc when refused. */
static void apply_to(struct pfx *f, const char *program, const char *uscc,
		     int64_t at, char *id, int *rc)
{
	char text[1024];
	struct office_result res;
	struct qerr e;
	int n = snprintf(
		text, sizeof(text),
		"{\"program\":\"%s\",\"measure\":\"corpus\","
		"\"applicant\":{\"uscc\":\"%s\",\"name\":\"a\","
		"\"registered_city\":\"shanghai\",\"industry\":\"I65\","
		"\"sme\":true,\"startup\":false,\"registered_model\":false,"
		"\"last_bad_credit_on\":null},"
		"\"supplier\":{\"uscc\":\"" SUPPLIER_USCC "\",\"name\":\"s\","
		"\"platform_listed\":true},"
		"\"contract\":{\"number\":\"N-%s\",\"kind\":\"corpus\","
		"\"value\":\"1000.00\",\"signed_on\":\"2025-03-01\","
		"\"term_months\":12}}",
		program, uscc, program);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	qerr_clear(&e);
	*rc = office_apply(&f->o, text, (size_t)n, "applicant", at, &res, &e);
	snprintf(id, 64, "%s", *rc ? "" : res.id);
}

/* Each program numbers with its own prefix, per fiscal year; a program
 * whose prefix another program of the office already uses is refused, and
 * a new version of a program keeps its prefix and its count. */
static void test_numbering_programs(void **state)
{
	struct pfx *f = calloc(1, sizeof(*f));
	struct diag_list d = DIAG_LIST_INIT;
	const int64_t in25 = at_local(year_day(2025, 120), 10, 0);
	const int64_t in26 = at_local(year_day(2026, 120), 10, 0);
	const char *uscc = "91310104MA1FR5T2K1";
	struct qerr e;
	char id[64];
	bool is_new;
	int rc;
	int64_t events;
	size_t np;

	(void)state;
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/quan-office-pfx-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(testdb_create(&f->tdb), 0);
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &f->chips, &d),
			 0);
	diag_release(&d);
	qerr_clear(&e);
	assert_int_equal(office_open(&f->o, f->tdb.url, f->chips, &e), 0);
	assert_int_equal(
		load_variant(f, PROGRAM, "", "2000000.00", &is_new, &e), 0);
	/* other-2025 takes its default prefix, OTHER. */
	assert_int_equal(
		load_variant(f, "other-2025", "", "2000000.00", &is_new, &e),
		0);
	assert_int_equal(f->o.npolicies, 2);
	for (size_t i = 0; i < f->o.npolicies; i++)
		assert_string_equal(f->o.policies[i]->number_prefix,
				    strcmp(f->o.policies[i]->program, PROGRAM)
					    ? "OTHER"
					    : PREFIX);

	apply_to(f, PROGRAM, uscc, in25, id, &rc);
	assert_string_equal(id, "PROP-2025-000001");
	apply_to(f, "other-2025", uscc, in25, id, &rc);
	assert_string_equal(id, "OTHER-2025-000001");
	apply_to(f, PROGRAM, uscc, in25, id, &rc);
	assert_string_equal(id, "PROP-2025-000002");
	apply_to(f, "other-2025", uscc, in26, id, &rc);
	assert_string_equal(id, "OTHER-2026-000001");

	/* prop-2026 would number PROP-... too: refused, nothing loaded,
	 * nothing audited. */
	events = events_of(f);
	np = f->o.npolicies;
	rc = load_variant(f, "prop-2026", "", "2000000.00", &is_new, &e);
	assert_int_equal(rc, Q_ERR_CONFLICT);
	assert_string_equal(e.field, "number_prefix");
	assert_non_null(strstr(e.msg, "'PROP'"));
	assert_non_null(strstr(e.msg, "'" PROGRAM "'"));
	assert_int_equal(f->o.npolicies, np);
	assert_int_equal(events_of(f), events);
	apply_to(f, "prop-2026", uscc, in25, id, &rc);
	assert_int_equal(rc, Q_ERR_UNKNOWN_PROGRAM);
	/* So would a program that sets another's prefix explicitly. */
	rc = load_variant(f, "x-2025", "number_prefix: OTHER\n", "2000000.00",
			  &is_new, &e);
	assert_int_equal(rc, Q_ERR_CONFLICT);
	assert_string_equal(e.field, "number_prefix");
	assert_int_equal(f->o.npolicies, np);
	assert_int_equal(events_of(f), events);
	/* A prefix of its own is fine. */
	assert_int_equal(load_variant(f, "x-2025", "number_prefix: X25\n",
				      "2000000.00", &is_new, &e),
			 0);
	assert_int_equal(f->o.npolicies, np + 1);
	apply_to(f, "x-2025", uscc, in25, id, &rc);
	assert_string_equal(id, "X25-2025-000001");
	/* A new version of prop-2025 keeps PROP and its count. */
	assert_int_equal(
		load_variant(f, PROGRAM, "", "2500000.00", &is_new, &e), 0);
	assert_true(is_new);
	apply_to(f, PROGRAM, uscc, in25, id, &rc);
	assert_string_equal(id, "PROP-2025-000003");

	office_close(&f->o);
	chips_free(f->chips);
	testdb_drop(&f->tdb);
	rmdir(f->dir);
	free(f);
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
	struct CMUnitTest tests[13];
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
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_numbering, setup_scenario, teardown);
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_client_ref, setup_scenario, teardown);
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_batch_refusal_in_middle, setup_scenario, teardown);
		tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(
			test_import, setup_scenario, teardown);
		tests[n++] = (struct CMUnitTest)cmocka_unit_test(
			test_numbering_programs);
	}
	return _cmocka_run_group_tests("office", tests, n, NULL, NULL);
}
