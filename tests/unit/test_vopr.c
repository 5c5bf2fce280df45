/*
 * test_vopr.c - a deterministic simulation test of the program office
 * (src/office/), after TigerBeetle's VOPR: one seed drives everything.
 *
 * A seed chooses the mix of verbs (swarm testing: each seed weighs the
 * verbs and the faults differently), then drives thousands of steps
 * against a real office on a real database: twenty firms and their users
 * apply (new applications, retries with the same client_ref and bytes, the
 * same client_ref with other bytes, refused inputs, administrators'
 * imports, batches through office_intake_batch), staff approve (in full,
 * at a lower rate or approved value, two approvers above the threshold),
 * reject, withdraw, disburse, claw back and expire. Time only moves
 * forward, by seeded steps, and every verb is given its `now`.
 *
 * Beside the office runs a model that knows nothing of its code: its own
 * calendar and arithmetic (base x rate rounded down to the fen, the caps,
 * the applicant's yearly cap in arrival order, the screens' flags), per
 * application its state, sums and audit events, per pool and year its
 * figures and its waitlist (in order of receipt, then of arrival: an
 * import may have been received earlier), served without overtaking,
 * and the office's numbers (PREFIX-YEAR-NNNNNN in arrival order per year;
 * a refused application takes none). The model predicts every answer
 * before the office gives it.
 *
 * Faults:
 *  - I/O: store_fault_after() makes every store call after a random one
 *    fail, store_fault_once() that one call only (a transient error); the
 *    verb must then fail with Q_ERR_IO as a whole and change nothing, and
 *    its retry (same client_ref and bytes, same arguments) must do exactly
 *    what the verb would have done. Now and then a sweep fails each call
 *    of a verb in turn, retrying it after each, until it gets through.
 *  - abandon: a transaction is opened and written to (a number drawn, an
 *    event, a ledger transfer, an application inserted or updated) and the
 *    handle closed without a commit; the office is reopened.
 *  - crash: a forked child opens the office and runs the next steps; it
 *    kills itself (store_fault_kill_after, SIGKILL) at a seeded store call,
 *    usually inside a verb's transaction. It reports each verb as it
 *    returns; the parent replays those steps on the model alone, reopens
 *    the file and finds exactly them: what was committed stays, nothing
 *    half-written appears.
 *
 * Checks: each answer (state, amount, number, flags, error code and
 * field); after each step the applications it touched (store_app_get, and
 * their audit events: action, who, when), the money of the pools it
 * touched (their ledger accounts), every pool through office_pools_each
 * every POOLS_EVERY steps and after each fault, and after a refusal that
 * the numbering moved on by nothing. Every CHECK_EVERY steps, after each
 * abandon and crash, and at the end: every application and pool, the
 * numbering, every audit event against the model's, office_ledger_check,
 * office_audit_verify and the chain's length, the model's own sums and the
 * yearly cap in arrival order, and the writer's hot state against a fresh
 * load (check_writer_hot_state).
 *
 * Deterministic: the seed alone decides (no clock, no unseeded random, no
 * hash order). A failure names the seed, the step and the verb:
 *   VOPR_SEED=<seed> [VOPR_STEPS=<n>] build/tests/test_vopr
 * replays it (VOPR_STEPS alone changes the default run; SEEDS=<n> adds n
 * more seeds, from VOPR_SEED_BASE, default 1000; VOPR_VERBOSE=1 prints what
 * each seed did; VOPR_CHECK_EVERY=1 checks the whole office after every
 * step, to find the step a difference the per-step checks miss began at).
 * On PostgreSQL (QUAN_TEST_DB, testdb.h) a seed takes a fifth of the
 * steps; the crash and abandon faults run there too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/money.h"
#include "core/uscc.h"
#include "ledger/ledger.h"
#include "office/office.h"
#include "office/office_int.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "store/store.h"
#include "testdb.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
/* Steps per seed: the sanitizers slow the office ten times (and
 * PostgreSQL five: setup() takes a fifth there). */
#ifdef SANITIZED
#define DEFAULT_STEPS 1000
#else
#define DEFAULT_STEPS 3000
#endif
#define CHECK_EVERY 200 /* the whole office against the model */
#define POOLS_EVERY 20	/* office_pools_each, besides after faults */
#define FAULT_SPAN 28	/* an I/O fault at one of a verb's first calls */
#define SWEEP_PCT 10	/* of the faults: at every call in turn */

#define PROGRAM "vopr-2025"
#define PREFIX "VP"
#define YUAN(y) ((money_t)(y)*MONEY_FEN_PER_YUAN)
#define CST (8 * 3600) /* the office's calendar: China Standard Time */
#define FIRST_YEAR 2025
#define NYEARS 3

/* --- the policy under test ------------------------------------------------ */

/* Two pools and measures: a model voucher (40 %, 800 k per contract, 1.5 M
 * per applicant and year, two approvers above 500 k, clawbacks back to the
 * pool, reservations expire after 10 days) on a pool of 20 M in 2025 and
 * 12 M in 2026; a corpus voucher (30 %, 300 k per contract, 600 k per
 * applicant and year, an unrelated supplier, clawbacks to the treasury,
 * 20 days) on 6 M in 2025 and nothing in 2026. The budgets are about a
 * third of what the firms ask in a year: the pools run dry within months
 * and waitlists form. The model voucher's waitlist is strict (nothing
 * overtakes its head), the corpus voucher's `waitlist: fit` (whatever fits
 * is reserved, in arrival order). The screens: a related supplier goes to a reviewer
 * (a flag), a contract claimed before (same parties and number and value,
 * or same parties and value signed within 7 days) is blocked, and so is a
 * firm on the dishonest list (LISTED, imported at the start). */
static const char policy_yaml[] =
	"program: " PROGRAM "\n"
	"number_prefix: " PREFIX "\n"
	"name: \"simulation test program\"\n"
	"issuer: \"test\"\n"
	"currency: CNY\n"
	"sources:\n"
	"  - id: t\n"
	"    title: \"the simulation test\"\n"
	"    url: \"https://example.org/\"\n"
	"screens:\n"
	"  related-party:\n"
	"    action: review\n"
	"    source: t\n"
	"  duplicate-claim:\n"
	"    action: block\n"
	"    window_days: 7\n"
	"    source: t\n"
	"  restricted-list:\n"
	"    action: block\n"
	"    lists: [dishonest]\n"
	"    source: t\n"
	"pools:\n"
	"  - id: model\n"
	"    name: \"model pool\"\n"
	"    budgets:\n"
	"      2025: \"20000000.00\"\n"
	"      2026: \"12000000.00\"\n"
	"    source: t\n"
	"  - id: corpus\n"
	"    name: \"corpus pool\"\n"
	"    budgets:\n"
	"      2025: \"6000000.00\"\n"
	"    source: t\n"
	"measures:\n"
	"  - id: model\n"
	"    name: \"model voucher\"\n"
	"    source: t\n"
	"    pool: model\n"
	"    kinds: [api, private-deployment]\n"
	"    allocation: first-come-first-served\n"
	"    window:\n"
	"      opens: 2025-01-01T00:00:00+08:00\n"
	"      closes: 2026-09-30T23:59:59+08:00\n"
	"    base: contract.value\n"
	"    second_approver_above: \"500000.00\"\n"
	"    clawback: pool\n"
	"    reservation_days: 10\n"
	"    eligibility:\n"
	"      - id: registered-in-city\n"
	"        when: applicant.registered_city == \"shanghai\"\n"
	"        says: \"registered in Shanghai\"\n"
	"        source: t\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - id: ceiling\n"
	"          rate: 40%\n"
	"          says: \"at most 40%\"\n"
	"          source: t\n"
	"    caps:\n"
	"      - id: per-contract\n"
	"        per: contract\n"
	"        limit: 800000.00\n"
	"        says: \"at most 800,000 per contract\"\n"
	"        source: t\n"
	"      - id: per-applicant-year\n"
	"        per: applicant-year\n"
	"        limit: 1500000.00\n"
	"        says: \"at most 1,500,000 per applicant and year\"\n"
	"        source: t\n"
	"  - id: corpus\n"
	"    name: \"corpus voucher\"\n"
	"    source: t\n"
	"    pool: corpus\n"
	"    kinds: [corpus]\n"
	"    allocation: first-come-first-served\n"
	"    waitlist: fit\n"
	"    window:\n"
	"      opens: 2025-01-01T00:00:00+08:00\n"
	"      closes: 2026-09-30T23:59:59+08:00\n"
	"    base: contract.value\n"
	"    clawback: treasury\n"
	"    reservation_days: 20\n"
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
	"        limit: 300000.00\n"
	"        says: \"at most 300,000 per contract\"\n"
	"        source: t\n"
	"      - id: per-applicant-year\n"
	"        per: applicant-year\n"
	"        limit: 600000.00\n"
	"        says: \"at most 600,000 per applicant and year\"\n"
	"        source: t\n";

/* The model's copy of the rules above. */
enum { M_MODEL, M_CORPUS, NMEASURES };

static const struct mrule {
	const char *id, *pool;
	const char *kinds[2];
	rate_bp rate;
	money_t cap_contract, cap_year;
	money_t second_above; /* -1: one approver */
	bool treasury;	      /* clawbacks go to the treasury */
	bool unrelated;	      /* the supplier must be unrelated */
	int reservation_days;
	bool fit; /* waitlist: fit */
} rules[NMEASURES] = {
	{"model",
	 "model",
	 {"api", "private-deployment"},
	 4000,
	 YUAN(800000),
	 YUAN(1500000),
	 YUAN(500000),
	 false,
	 false,
	 10,
	 false},
	{"corpus",
	 "corpus",
	 {"corpus", "corpus"},
	 3000,
	 YUAN(300000),
	 YUAN(600000),
	 -1,
	 true,
	 true,
	 20,
	 true},
};

static const struct {
	const char *pool;
	int year;
	money_t budget;
} budgets[] = {
	{"model", 2025, YUAN(20000000)},
	{"model", 2026, YUAN(12000000)},
	{"corpus", 2025, YUAN(6000000)},
};
#define NPOOLS (sizeof(budgets) / sizeof(budgets[0]))

/* Twenty firms; the last two are registered outside Shanghai. */
#define NFIRMS 20
#define NLOCAL 18
#define LISTED 17 /* on the dishonest list */
#define SUPPLIER_USCC "91310104MA1FR9KP6K"
#define SUPPLIER_CTRL "310101198506200052"

static const char *const reviewers[] = {"rev-a", "rev-b", "rev-c"};
static const char *const finance[] = {"fin-a", "fin-b"};

/* --- the calendar (the model's own) --------------------------------------- */

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The office's day (China Standard Time) of an instant. */
static int64_t office_day(int64_t t)
{
	int64_t l = t + CST;

	return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
}

static int fiscal_year(int64_t t)
{
	int y, m, d;

	civil_from_days(office_day(t), &y, &m, &d);
	return y;
}

/* An instant given in China Standard Time. */
static int64_t cst(int y, int m, int d, int hh, int mi, int ss)
{
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss -
	       CST;
}

static void fmt_day(int64_t day, char *buf, size_t n)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

/* --- the model ------------------------------------------------------------ */

enum bad {
	BAD_NONE,
	BAD_FIELD,   /* an unknown field (id, submitted_at, ...) */
	BAD_USCC,    /* the applicant's check character is wrong */
	BAD_PROGRAM, /* a program the office does not run */
	BAD_MEASURE, /* a measure the program does not have */
};

/* An application as a firm writes it, and its text. */
struct draft {
	int firm, measure;
	const char *kind;
	money_t value;
	int64_t signed_day; /* days since 1970-01-01 */
	char ref[24];	    /* client_ref, "" for none */
	enum bad bad;
	bool related;	/* the supplier shares the applicant's controller */
	bool elsewhere; /* registered outside Shanghai */
	unsigned long number;
	char *json; /* owned */
	size_t len;
};

/* One audit event the model expects of an application. */
struct mev {
	char action; /* see action_name() */
	char who[16];
	int64_t at;
};

struct mapp {
	char id[64];
	struct draft d;
	int year;
	int pool; /* index into pools, -1 when its year has no budget */
	int state;
	unsigned nflags; /* the screens' flags when it was applied */
	bool blocked;
	money_t requested, awarded, paid, recovered;
	char approver[16];    /* first of two approvers */
	money_t first_amount; /* what the first of two approved */
	char approved_by[16]; /* who posted the award */
	int64_t received_at;
	int64_t expires_at; /* of its reservation, 0 none */
	struct mev *ev;
	size_t nev, capev;
};

struct mpool {
	const char *pool;
	int year;
	money_t budget, available, reserved, awarded, paid, recovered, treasury;
	long count[APP__STATE_COUNT];
	size_t *wait; /* indices into apps, in waiting order */
	size_t nwait, capwait;
};

enum op {
	OP_APPLY,    /* a new application */
	OP_RESEND,   /* the same bytes again */
	OP_OTHER,    /* the same client_ref, other bytes */
	OP_BAD,	     /* an application the office must refuse */
	OP_RETRY,    /* a refused application sent again, later */
	OP_BATCH,    /* office_intake_batch */
	OP_APPROVE,  /* in full, partly, first of two */
	OP_REJECT,   /* */
	OP_WITHDRAW, /* */
	OP_DISBURSE, /* */
	OP_CLAWBACK, /* */
	OP_EXPIRE,   /* */
	OP_NO_SUCH,  /* verbs the office must refuse before anything */
	OP_ABANDON,  /* a transaction left open, the handle closed */
	OP_CRASH,    /* a forked child killed at a store call */
	OP__COUNT
};

static const char *const op_names[OP__COUNT] = {
	"apply",    "resend",  "other-bytes", "bad-input", "retry-refused",
	"batch",    "approve", "reject",      "withdraw",  "disburse",
	"clawback", "expire",  "no-such",     "abandon",   "crash",
};

/* Default weights of the verbs; each seed scales them (swarm testing). */
static const unsigned base_weight[OP__COUNT] = {
	16, 6, 2, 4, 2, 4, 18, 5, 5, 12, 6, 3, 1, 1, 1,
};

/* What a run went through, to see that a seed reaches the corners. */
enum cov {
	COV_WAITLISTED,	   /* an application waitlisted on arrival */
	COV_SERVED,	   /* one served from a waitlist */
	COV_CAP_CUT,	   /* the yearly cap cut an application */
	COV_ZERO,	   /* an eligible application for 0.00 */
	COV_EXISTED,	   /* a retry answered with the recorded one */
	COV_CONFLICT,	   /* a client_ref with other bytes */
	COV_SIGNED_AFTER,  /* a contract signed after receipt */
	COV_NO_BUDGET,	   /* an eligible application in a year without one */
	COV_IMPORT,	   /* an administrator's import */
	COV_FIRST,	   /* the first of two approvals */
	COV_SECOND,	   /* the second */
	COV_SAME_APPROVER, /* a second approval by the first approver */
	COV_PARTIAL,	   /* an award below the reservation */
	COV_EXPIRED,	   /* an approval refused: the reservation expired */
	COV_FORBIDDEN,	   /* an approver who would pay */
	COV_EXPIRE,	   /* a reservation released by quan expire */
	COV_TREASURY,	   /* a clawback to the treasury */
	COV_TO_POOL,	   /* a clawback back to the pool */
	COV_DUPLICATE,	   /* a contract claimed before, blocked */
	COV_FUTURE,	   /* an import received after the office's now */
	COV_FLAGGED,	   /* an application the screens flagged */
	COV_FIT_AHEAD,	   /* reserved on arrival while others wait (fit) */
	COV_SKIPPED,	   /* served past one that does not fit (fit) */
	COV__COUNT
};

static const char *const cov_names[COV__COUNT] = {
	"waitlisted",	 "served",	    "cap-cut",	       "zero",
	"existed",	 "conflict",	    "signed-after",    "no-budget",
	"import",	 "first-approval",  "second-approval", "same-approver",
	"partial-award", "expired-approve", "forbidden-pay",   "expired",
	"to-treasury",	 "to-pool",	    "duplicate",       "future-import",
	"flagged",	 "fit-ahead",	    "served-past",
};

enum mode {
	MODE_NORMAL, /* the office and the model, side by side */
	MODE_CHILD,  /* a forked child: the office, checking answers only */
	MODE_REPLAY, /* the model alone, redoing what a child committed */
};

#define RETRY_MAX 48 /* refused drafts kept for sending again */

struct run {
	uint64_t seed, rng;
	int step, steps, check_every;
	/* The contract index's lookups from memory and firms read, over the
	 * offices closed so far (close_office). */
	long cidx_hits, cidx_reads;
	char verb[512]; /* the current verb, for messages */
	enum mode mode;
	int pipe_w; /* a child's report to its parent */

	/* this seed's mix */
	unsigned weight[OP__COUNT], wsum;
	unsigned fault_pct, retry_pct;
	int64_t dt_mean;

	/* the office */
	char dir[128], url[400], policy[200];
	struct testdb tdb;
	bool pg;
	struct chip_catalog *chips;
	struct office o;
	bool open;
	int64_t now, end;
	int64_t win_open, win_close;

	/* the model */
	struct mpool pools[NPOOLS];
	struct mapp *apps;
	size_t napps, capapps;
	int64_t numbers[NYEARS]; /* the last number given per year */
	int64_t events;		 /* the length of the audit chain */
	int next_ref[NFIRMS];
	unsigned long contracts;
	struct draft retry[RETRY_MAX];
	size_t nretry;
	char uscc[NFIRMS][USCC_LEN + 1];
	char ctrl[NFIRMS][24];

	/* what this step must check */
	size_t *touched;
	size_t ntouched, captouched;
	unsigned pools_touched; /* bit i: pool i */
	bool pools_whole;	/* office_pools_each after this step */
	int refused_year; /* a refused application's year: nothing numbered */

	char cap_breach[1536];
	long ok[OP__COUNT], no[OP__COUNT], faults[OP__COUNT], armed[OP__COUNT];
	long cov[COV__COUNT];
	long crashes, crash_killed, crash_steps, abandons, checks, swept;
};

/* --- failing -------------------------------------------------------------- */

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(4);
		p += k;
		n -= (size_t)k;
	}
}

static void die(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(struct run *r, const char *fmt, ...)
{
	char msg[2048], full[3072];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(full, sizeof(full),
		     "seed %llu, step %d of %d%s, verb [%s]: %s",
		     (unsigned long long)r->seed, r->step, r->steps,
		     r->mode == MODE_CHILD    ? " (in a crash child)"
		     : r->mode == MODE_REPLAY ? " (replaying a child)"
					      : "",
		     r->verb, msg);
	if (r->mode == MODE_CHILD) {
		/* Never back into cmocka from a forked child: the parent
		 * reports it. */
		write_all(r->pipe_w, "F", 1);
		write_all(r->pipe_w, full,
			  n > 0 && (size_t)n < sizeof(full) ? (size_t)n
							    : strlen(full));
		_exit(3);
	}
	fail_msg("%s\n  replay: VOPR_SEED=%llu VOPR_STEPS=%d "
		 "build/tests/test_vopr",
		 full, (unsigned long long)r->seed, r->steps);
	abort(); /* not reached */
}

static const char *fen(money_t m, char *buf)
{
	return money_format(m, buf);
}

#define M1 fen_buf[0]
#define M2 fen_buf[1]
#define M3 fen_buf[2]

/* Allocation that never returns NULL (safe in a child). */
static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

static char *xmemdup(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* --- the random source: xorshift64* --------------------------------------- */

static uint64_t rnd(struct run *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ULL;
}

static uint64_t below(struct run *r, uint64_t n)
{
	return n ? (rnd(r) >> 11) % n : 0;
}

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

/* --- the model's rules ---------------------------------------------------- */

static int pool_index(const char *pool, int year)
{
	for (size_t i = 0; i < NPOOLS; i++)
		if (!strcmp(budgets[i].pool, pool) && budgets[i].year == year)
			return (int)i;
	return -1;
}

static struct mpool *pool_of(struct run *r, const struct mapp *a)
{
	return a->pool >= 0 ? &r->pools[a->pool] : NULL;
}

static void format_id(char *buf, size_t n, int year, int64_t number)
{
	snprintf(buf, n, "%s-%04d-%06lld", PREFIX, year, (long long)number);
}

static void touch(struct run *r, size_t idx)
{
	if (r->apps[idx].pool >= 0)
		r->pools_touched |= 1u << r->apps[idx].pool;
	for (size_t i = 0; i < r->ntouched; i++)
		if (r->touched[i] == idx)
			return;
	r->touched = grow(r->touched, &r->captouched, r->ntouched + 1,
			  sizeof(*r->touched));
	r->touched[r->ntouched++] = idx;
}

/* A refused application's pool must not have moved. */
static void touch_pool(struct run *r, int measure, int year)
{
	int p = pool_index(rules[measure].pool, year);

	if (p >= 0)
		r->pools_touched |= 1u << p;
}

static const char *action_name(char c)
{
	switch (c) {
	case 'A':
		return "apply";
	case 'I':
		return "import";
	case 'R':
		return "reserve";
	case 'f':
		return "approve-first";
	case 'P':
		return "approve";
	case 'J':
		return "reject";
	case 'W':
		return "withdraw";
	case 'E':
		return "expire";
	case 'D':
		return "disburse";
	case 'C':
		return "clawback";
	}
	return "?";
}

static void add_event(struct run *r, struct mapp *a, char action,
		      const char *who)
{
	a->ev = grow(a->ev, &a->capev, a->nev + 1, sizeof(*a->ev));
	a->ev[a->nev].action = action;
	snprintf(a->ev[a->nev].who, sizeof(a->ev[0].who), "%s", who);
	a->ev[a->nev].at = r->now;
	a->nev++;
	r->events++;
	touch(r, (size_t)(a - r->apps));
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

static money_t floor_rate(money_t base, rate_bp rate)
{
	return (money_t)(((__int128)base * rate) / RATE_BP_ONE);
}

/* The applicant's year under measure, as the decision counts it: the
 * requests of its reserved and waitlisted applications and the awards of
 * its awarded ones, but for application except. */
static money_t history(const struct run *r, int measure, int firm, int year,
		       size_t except)
{
	money_t sum = 0;

	for (size_t i = 0; i < r->napps; i++) {
		const struct mapp *a = &r->apps[i];

		if (i == except || a->d.firm != firm || a->year != year ||
		    a->d.measure != measure)
			continue;
		if (a->state == APP_RESERVED || a->state == APP_WAITLISTED ||
		    a->state == APP_QUEUED)
			sum += a->requested;
		else if (a->state == APP_AWARDED)
			sum += a->awarded;
	}
	return sum;
}

/* base x rate rounded down to the fen, then the caps. */
static money_t decide_amount(int measure, money_t base, rate_bp rate,
			     money_t hist)
{
	const struct mrule *m = &rules[measure];
	money_t amt = floor_rate(base, rate), lim;

	if (amt > m->cap_contract)
		amt = m->cap_contract;
	lim = m->cap_year - hist;
	if (lim < 0)
		lim = 0;
	return amt < lim ? amt : lim;
}

static bool kind_fits(const struct draft *d)
{
	const struct mrule *m = &rules[d->measure];

	return !strcmp(d->kind, m->kinds[0]) || !strcmp(d->kind, m->kinds[1]);
}

static bool registered_here(const struct draft *d)
{
	return d->firm < NLOCAL && !d->elsewhere;
}

static void reserve_now(struct run *r, struct mapp *a)
{
	struct mpool *p = pool_of(r, a);

	p->available -= a->requested;
	p->reserved += a->requested;
	set_state(r, a, APP_RESERVED);
	a->expires_at = a->requested > 0
				? r->now + (int64_t)rules[a->d.measure]
							   .reservation_days *
						   86400
				: 0;
}

/* The waiting order is the order of receipt (an administrator's import may
 * have been received before it arrived), then of arrival. */
static bool waits_before(const struct run *r, size_t i, size_t j)
{
	const struct mapp *a = &r->apps[i], *b = &r->apps[j];

	return a->received_at != b->received_at
		       ? a->received_at < b->received_at
		       : i < j;
}

static void wait_insert(struct run *r, struct mpool *p, size_t idx)
{
	size_t at = p->nwait;

	p->wait = grow(p->wait, &p->capwait, p->nwait + 1, sizeof(*p->wait));
	while (at > 0 && waits_before(r, idx, p->wait[at - 1]))
		at--;
	memmove(&p->wait[at + 1], &p->wait[at],
		(p->nwait - at) * sizeof(p->wait[0]));
	p->wait[at] = idx;
	p->nwait++;
}

/* Whether someone received no later than received_at waits for p: a
 * newcomer queues behind them, never overtakes. */
/* Whether pool p's measure serves whatever fits (waitlist: fit). */
static bool pool_fits(const struct mpool *p)
{
	for (int m = 0; m < NMEASURES; m++)
		if (!strcmp(rules[m].pool, p->pool))
			return rules[m].fit;
	return false;
}

/* Whether an application received at received_at stays behind someone
 * waiting: never under fit, where only the amount decides. */
static bool waits_behind(const struct run *r, const struct mpool *p,
			 int64_t received_at)
{
	if (pool_fits(p))
		return false;
	for (size_t i = 0; i < p->nwait; i++)
		if (r->apps[p->wait[i]].received_at <= received_at)
			return true;
	return false;
}

static void wait_remove(struct mpool *p, size_t idx)
{
	for (size_t i = 0; i < p->nwait; i++)
		if (p->wait[i] == idx) {
			memmove(&p->wait[i], &p->wait[i + 1],
				(p->nwait - i - 1) * sizeof(p->wait[0]));
			p->nwait--;
			return;
		}
}

/* Serve the waitlist of a pool in waiting order: strict, from its head
 * while the head fits (no overtaking); fit, everyone who fits, skipping
 * those who do not. Each one served is an event. */
static void serve(struct run *r, int pool, const char *by)
{
	struct mpool *p;
	size_t i = 0;

	if (pool < 0)
		return;
	p = &r->pools[pool];
	while (i < p->nwait) {
		struct mapp *a = &r->apps[p->wait[i]];

		if (a->requested > p->available) {
			if (!pool_fits(p))
				break;
			i++;
			continue;
		}
		if (i > 0)
			r->cov[COV_SKIPPED]++;
		memmove(&p->wait[i], &p->wait[i + 1],
			(p->nwait - i - 1) * sizeof(p->wait[0]));
		p->nwait--;
		reserve_now(r, a);
		add_event(r, a, 'R', by);
		r->cov[COV_SERVED]++;
	}
}

/* What the office must answer to an application. */
struct xres {
	int rc;		   /* 0, or the refusal */
	const char *field; /* the field the refusal names, NULL: any */
	bool existed;
	long idx; /* the application (new or existing), -1 when refused */
	int year; /* a refused application's fiscal year, 0 before that */
};

/* The screens' flags of a new application, as the model sees them: a
 * review flag for a related supplier, a block for a contract claimed
 * before and for a listed firm. */
static bool claimed_before(const struct run *r, const struct draft *d)
{
	for (size_t i = 0; i < r->napps; i++) {
		const struct draft *o = &r->apps[i].d;

		if (o->firm != d->firm || o->value != d->value)
			continue;
		if (o->number == d->number ||
		    (o->signed_day - d->signed_day <= 7 &&
		     d->signed_day - o->signed_day <= 7))
			return true;
	}
	return false;
}

/* The model's side of one application received at received_at: its
 * answer, and when it is new, the application added (state, number,
 * money, event). Nothing changes when it is refused. */
static struct xres model_apply(struct run *r, const struct draft *d,
			       int64_t received_at, const char *by,
			       bool imported)
{
	struct xres x = {0, NULL, false, -1, 0};
	const struct mrule *m;
	struct mapp *a;
	struct mpool *p;
	bool eligible, dup;
	int year, pool;
	size_t idx;

	if (d->bad == BAD_FIELD) {
		x.rc = Q_ERR_UNKNOWN_FIELD;
		return x;
	}
	if (d->bad == BAD_USCC) {
		x.rc = Q_ERR_INVALID_USCC;
		x.field = "applicant.uscc";
		return x;
	}
	if (d->bad == BAD_PROGRAM) {
		x.rc = Q_ERR_UNKNOWN_PROGRAM;
		x.field = "program";
		return x;
	}
	/* The firm's own reference: the same bytes are the same
	 * application, other bytes a conflict. */
	if (d->ref[0])
		for (size_t i = 0; i < r->napps; i++) {
			const struct mapp *o = &r->apps[i];

			if (o->d.firm != d->firm || strcmp(o->d.ref, d->ref))
				continue;
			if (o->d.len == d->len &&
			    !memcmp(o->d.json, d->json, d->len)) {
				x.existed = true;
				x.idx = (long)i;
				r->cov[COV_EXISTED]++;
				return x;
			}
			r->cov[COV_CONFLICT]++;
			x.rc = Q_ERR_CONFLICT;
			x.field = "client_ref";
			return x;
		}
	year = fiscal_year(received_at);
	x.year = year;
	/* An import is of the past. */
	if (imported && received_at > r->now) {
		r->cov[COV_FUTURE]++;
		x.rc = Q_ERR_INVALID;
		x.field = "received_at";
		return x;
	}
	if (d->signed_day > office_day(received_at)) {
		r->cov[COV_SIGNED_AFTER]++;
		x.rc = Q_ERR_INVALID;
		x.field = "contract.signed_on";
		return x;
	}
	if (d->bad == BAD_MEASURE) {
		x.rc = Q_ERR_UNKNOWN_MEASURE;
		x.field = "measure";
		return x;
	}
	m = &rules[d->measure];
	dup = claimed_before(r, d);
	eligible = kind_fits(d) && received_at >= r->win_open &&
		   received_at <= r->win_close && registered_here(d) &&
		   !(m->unrelated && d->related) && !dup && d->firm != LISTED;
	pool = pool_index(m->pool, year);
	if (eligible && pool < 0) {
		r->cov[COV_NO_BUDGET]++;
		x.rc = Q_ERR_DECISION;
		return x;
	}

	idx = r->napps;
	r->apps = grow(r->apps, &r->capapps, r->napps + 1, sizeof(*r->apps));
	a = &r->apps[idx];
	memset(a, 0, sizeof(*a));
	a->d = *d;
	a->d.json = xmemdup(d->json, d->len);
	a->year = year;
	a->pool = pool;
	a->state = -1;
	a->received_at = received_at;
	a->blocked = dup || d->firm == LISTED;
	a->nflags = d->related + dup + (d->firm == LISTED);
	r->cov[COV_DUPLICATE] += dup;
	r->cov[COV_FLAGGED] += a->nflags > 0;
	a->requested = eligible ? decide_amount(d->measure, d->value, m->rate,
						history(r, d->measure, d->firm,
							year, (size_t)-1))
				: 0;
	r->napps++;
	format_id(a->id, sizeof(a->id), year, ++r->numbers[year - FIRST_YEAR]);
	p = pool_of(r, a);
	if (eligible && a->requested == 0)
		r->cov[COV_ZERO]++;
	if (eligible && a->requested < floor_rate(d->value, m->rate) &&
	    a->requested < m->cap_contract)
		r->cov[COV_CAP_CUT]++;
	r->cov[COV_IMPORT] += imported;
	if (!eligible) {
		set_state(r, a, APP_INELIGIBLE);
	} else if (waits_behind(r, p, received_at) ||
		   a->requested > p->available) {
		r->cov[COV_WAITLISTED]++;
		set_state(r, a, APP_WAITLISTED);
		wait_insert(r, p, idx);
	} else {
		r->cov[COV_FIT_AHEAD] += p->nwait > 0;
		reserve_now(r, a);
	}
	add_event(r, a, imported ? 'I' : 'A', by);
	x.idx = (long)idx;
	return x;
}

/* What model_apply may add, to undo when the office failed as a whole. */
struct snap {
	size_t napps;
	int64_t numbers[NYEARS], events;
	struct mpool pools[NPOOLS]; /* wait: copies */
	size_t ntouched;
};

static void snap_take(const struct run *r, struct snap *s)
{
	s->napps = r->napps;
	memcpy(s->numbers, r->numbers, sizeof(s->numbers));
	s->events = r->events;
	memcpy(s->pools, r->pools, sizeof(s->pools));
	for (size_t i = 0; i < NPOOLS; i++) {
		s->pools[i].wait = xrealloc(NULL, (r->pools[i].nwait + 1) *
							  sizeof(size_t));
		if (r->pools[i].nwait)
			memcpy(s->pools[i].wait, r->pools[i].wait,
			       r->pools[i].nwait * sizeof(size_t));
	}
	s->ntouched = r->ntouched;
}

static void snap_free(struct snap *s)
{
	for (size_t i = 0; i < NPOOLS; i++) {
		free(s->pools[i].wait);
		s->pools[i].wait = NULL;
	}
}

/* Applying only adds applications (and takes from the pools, and puts
 * them on waitlists): undo it. */
static void snap_restore(struct run *r, const struct snap *s)
{
	for (size_t i = s->napps; i < r->napps; i++) {
		free(r->apps[i].d.json);
		free(r->apps[i].ev);
	}
	r->napps = s->napps;
	memcpy(r->numbers, s->numbers, sizeof(r->numbers));
	r->events = s->events;
	for (size_t i = 0; i < NPOOLS; i++) {
		struct mpool *p = &r->pools[i];
		size_t *wait = p->wait, cap = p->capwait;

		*p = s->pools[i];
		p->wait = wait;
		p->capwait = cap;
		if (p->nwait)
			memcpy(p->wait, s->pools[i].wait,
			       p->nwait * sizeof(size_t));
	}
	r->ntouched = s->ntouched;
}

/* --- applications as the firms write them --------------------------------- */

static void draft_text(const struct run *r, struct draft *d)
{
	static const char *const extra[] = {
		"\"submitted_at\": \"2025-06-01T10:00:00+08:00\", ",
		"\"id\": \"VP-2025-000001\", ",
		"\"colour\": \"red\", ",
	};
	char val[MONEY_TEXT_MAX], day[16], ref[64] = "", uscc[USCC_LEN + 1];
	char *buf = xrealloc(NULL, 4096);
	int n;

	snprintf(uscc, sizeof(uscc), "%s", r->uscc[d->firm]);
	if (d->bad == BAD_USCC)
		uscc[USCC_LEN - 1] = uscc[USCC_LEN - 1] == '0' ? '1' : '0';
	if (d->ref[0])
		snprintf(ref, sizeof(ref), "\"client_ref\": \"%s\", ", d->ref);
	fmt_day(d->signed_day, day, sizeof(day));
	n = snprintf(
		buf, 4096,
		"{%s%s\"program\": \"%s\", \"measure\": \"%s\",\n"
		" \"applicant\": {\"uscc\": \"%s\", \"name\": \"firm %d\", "
		"\"registered_city\": \"%s\", \"industry\": \"I65\", "
		"\"sme\": true, \"startup\": false, \"registered_model\": false, "
		"\"last_bad_credit_on\": null, \"controllers\": [\"%s\"]},\n"
		" \"supplier\": {\"uscc\": \"" SUPPLIER_USCC "\", "
		"\"name\": \"supplier\", \"platform_listed\": true, "
		"\"controllers\": [\"%s\"]},\n"
		" \"contract\": {\"number\": \"HT-%llu-%lu\", \"kind\": \"%s\", "
		"\"value\": \"%s\", \"signed_on\": \"%s\", \"term_months\": 12, "
		"\"uses_registered_model\": false, \"other_subsidies\": [], "
		"\"compute\": null}}\n",
		ref, d->bad == BAD_FIELD ? extra[d->number % 3] : "",
		d->bad == BAD_PROGRAM ? "elsewhere-2025" : PROGRAM,
		d->bad == BAD_MEASURE ? "no-such-measure"
				      : rules[d->measure].id,
		uscc, d->firm, registered_here(d) ? "shanghai" : "hangzhou",
		r->ctrl[d->firm], d->related ? r->ctrl[d->firm] : SUPPLIER_CTRL,
		(unsigned long long)r->seed, d->number, d->kind,
		fen(d->value, val), day);
	if (n <= 0 || n >= 4096)
		abort();
	free(d->json);
	d->json = buf;
	d->len = (size_t)n;
}

static void draft_copy(struct draft *to, const struct draft *from)
{
	*to = *from;
	to->json = xmemdup(from->json, from->len);
}

static void draft_free(struct draft *d)
{
	free(d->json);
	d->json = NULL;
}

/* A contract value whose subsidy lands near something interesting: what
 * the pool has left, a cap, the two-approver threshold, a few fen. */
static money_t pick_value(struct run *r, int measure)
{
	const struct mrule *m = &rules[measure];
	int pool = pool_index(m->pool, fiscal_year(r->now));
	unsigned x = (unsigned)below(r, 100);
	money_t target = -1;

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
	return measure == M_CORPUS ? between(r, YUAN(1000), YUAN(1500000))
				   : between(r, YUAN(10000), YUAN(3000000));
}

/* A new application of a random firm; most are well formed, some are
 * ineligible (registered elsewhere, a related supplier, the wrong kind),
 * some signed after the day they will be received. */
static void gen_draft(struct run *r, struct draft *d)
{
	unsigned x;

	memset(d, 0, sizeof(*d));
	d->firm = (int)below(r, NFIRMS);
	d->measure = chance(r, 55) ? M_MODEL : M_CORPUS;
	d->kind = rules[d->measure].kinds[below(r, 2)];
	d->value = pick_value(r, d->measure);
	d->signed_day = office_day(r->now) - (int64_t)below(r, 90);
	d->number = ++r->contracts;
	if (chance(r, 80))
		snprintf(d->ref, sizeof(d->ref), "ref-%d",
			 ++r->next_ref[d->firm]);
	x = (unsigned)below(r, 100);
	if (x < 4)
		d->related = true;
	else if (x < 6)
		d->elsewhere = true;
	else if (x < 8)
		d->kind = rules[1 - d->measure].kinds[0];
	else if (x < 11)
		d->signed_day = office_day(r->now) + 1 + (int64_t)below(r, 20);
	draft_text(r, d);
}

/* An application the office must refuse, or whose year has no budget. */
static void gen_bad(struct run *r, struct draft *d)
{
	unsigned x;

	gen_draft(r, d);
	d->signed_day = office_day(r->now) - (int64_t)below(r, 30);
	x = (unsigned)below(r, 5);
	if (x == 0)
		d->bad = BAD_FIELD;
	else if (x == 1)
		d->bad = BAD_USCC;
	else if (x == 2)
		d->bad = BAD_PROGRAM;
	else if (x == 3)
		d->bad = BAD_MEASURE;
	else /* no budget once 2026 comes (eligible corpus) */
		d->measure = M_CORPUS, d->kind = "corpus", d->firm %= NLOCAL,
		d->related = d->elsewhere = false;
	draft_text(r, d);
}

/* The same application with other bytes: another contract number, or
 * only a space more. */
static void other_bytes(struct run *r, const struct draft *from,
			struct draft *to)
{
	draft_copy(to, from);
	if (chance(r, 70)) {
		to->number = ++r->contracts;
		draft_text(r, to);
	} else {
		to->json = xrealloc(to->json, to->len + 2);
		to->json[to->len++] = ' ';
		to->json[to->len] = '\0';
	}
}

static void user_of(struct run *r, int firm, char *by, size_t n)
{
	unsigned x = (unsigned)below(r, 100);

	if (x < 85)
		snprintf(by, n, "firm-%02d", firm);
	else if (x < 93)
		snprintf(by, n, "firm-%02d", (int)below(r, NFIRMS));
	else
		snprintf(by, n, "clerk");
}

/* Keep a refused draft to send again later. */
static void retry_keep(struct run *r, const struct draft *d)
{
	size_t i;

	if (r->nretry < RETRY_MAX) {
		i = r->nretry++;
	} else {
		i = below(r, RETRY_MAX);
		draft_free(&r->retry[i]);
	}
	draft_copy(&r->retry[i], d);
}

/* --- reading the office --------------------------------------------------- */

struct pools_read {
	struct office_pool_figures f[NPOOLS];
	bool seen[NPOOLS];
	int other;
	unsigned want; /* stop once these are seen */
};

static int pool_cb(void *arg, const struct office_pool_figures *f)
{
	struct pools_read *pr = arg;
	int i = strcmp(f->program, PROGRAM) ? -1 : pool_index(f->pool, f->year);

	if (i < 0 || pr->seen[i]) {
		pr->other++;
		return 0;
	}
	pr->f[i] = *f;
	pr->seen[i] = true;
	pr->want &= ~(1u << i);
	return pr->want == 0;
}

/* The pools of mask (bit i: pool i), or all of them, as office_pools_each
 * reports them; it reads every application once per pool, so a step
 * stops after the pools it touched. */
static void read_pools_of(struct run *r, struct office *o, unsigned mask,
			  struct office_pool_figures *out)
{
	struct pools_read pr;
	struct qerr e;
	int rc;

	memset(&pr, 0, sizeof(pr));
	pr.want = mask;
	qerr_clear(&e);
	rc = office_pools_each(o, pool_cb, &pr, &e);
	if (rc)
		die(r, "office_pools_each: %s (%s)", qerr_name(rc), e.msg);
	if (pr.other)
		die(r, "office_pools_each visited %d unknown or repeated pools",
		    pr.other);
	for (size_t i = 0; i < NPOOLS; i++)
		if (!pr.seen[i] && (mask & (1u << i)))
			die(r, "office_pools_each did not visit %s/%d",
			    budgets[i].pool, budgets[i].year);
	memcpy(out, pr.f, sizeof(pr.f));
}

#define ALL_POOLS ((1u << NPOOLS) - 1)

static void read_pools(struct run *r, struct office *o,
		       struct office_pool_figures *out)
{
	read_pools_of(r, o, ALL_POOLS, out);
}

/* The pools of mask against the model; f gets what was read. */
static void check_pools_read(struct run *r, unsigned mask,
			     struct office_pool_figures *f)
{
	char fen_buf[3][MONEY_TEXT_MAX];

	read_pools_of(r, &r->o, mask, f);
	for (size_t i = 0; i < NPOOLS; i++) {
		const struct mpool *p = &r->pools[i];

		if (!(mask & (1u << i)))
			continue;

#define SAME(field)                                                            \
	do {                                                                   \
		if (f[i].field != p->field)                                    \
			die(r,                                                 \
			    "pool %s/%d: " #field " is %s, the model says %s", \
			    p->pool, p->year, fen(f[i].field, M1),             \
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
		for (int st = 0; st < APP__STATE_COUNT; st++)
			if (f[i].count[st] != p->count[st])
				die(r,
				    "pool %s/%d: %ld applications %s, the "
				    "model says %ld",
				    p->pool, p->year, f[i].count[st],
				    app_state_name(st), p->count[st]);
	}
}

static void check_pools(struct run *r, unsigned mask)
{
	struct office_pool_figures f[NPOOLS];

	check_pools_read(r, mask, f);
}

/* The money of a pool as its ledger accounts hold it (codes
 * "<program>/<pool>/<year>/<name>[/<uscc>]"), summed by the test itself:
 * what office_pools_each reports, without its count of the applications,
 * which reads every one of them once per pool. */
struct money_read {
	struct office_pool_figures f[NPOOLS];
	int other;
};

static int money_cb(void *arg, const struct ledger_account *a)
{
	struct money_read *mr = arg;
	char pool[64], name[16];
	int year, n = 0, i;
	money_t bal = a->credits_posted - a->debits_posted - a->debits_pending;

	if (strncmp(a->code, PROGRAM "/", strlen(PROGRAM) + 1) ||
	    sscanf(a->code + strlen(PROGRAM) + 1, "%63[^/]/%d/%15[^/]%n", pool,
		   &year, name, &n) != 3 ||
	    (i = pool_index(pool, year)) < 0) {
		mr->other++;
		return 0;
	}
	if (!strcmp(name, "funding")) {
		mr->f[i].budget += a->debits_posted - a->credits_posted;
	} else if (!strcmp(name, "available")) {
		mr->f[i].available += bal;
		mr->f[i].reserved += a->debits_pending;
	} else if (!strcmp(name, "awarded")) {
		mr->f[i].awarded += bal;
	} else if (!strcmp(name, "paid")) {
		mr->f[i].paid += bal;
	} else if (!strcmp(name, "recovered")) {
		mr->f[i].recovered += bal;
	} else if (!strcmp(name, "treasury")) {
		mr->f[i].treasury += bal;
	} else {
		mr->other++;
	}
	return 0;
}

static void check_pool_money(struct run *r, unsigned mask)
{
	struct money_read mr;
	char fen_buf[3][MONEY_TEXT_MAX];
	struct qerr e;

	memset(&mr, 0, sizeof(mr));
	qerr_clear(&e);
	if (store_account_each(r->o.store, money_cb, &mr, &e))
		die(r, "store_account_each: %s", e.msg);
	if (mr.other)
		die(r, "the ledger holds %d account(s) of no pool", mr.other);
	for (size_t i = 0; i < NPOOLS; i++) {
		const struct mpool *p = &r->pools[i];
		const struct office_pool_figures *f = &mr.f[i];

		if (!(mask & (1u << i)))
			continue;
#define SAME(field)                                                            \
	do {                                                                   \
		if (f->field != p->field)                                      \
			die(r,                                                 \
			    "pool %s/%d: its ledger accounts hold " #field     \
			    " %s, the model says %s",                          \
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
	}
}

/* The first difference between a stored application and the model's, in
 * msg; 0 when there is none. */
static int app_diff(const struct run *r, const struct store_app *s,
		    const struct mapp *m, char *msg, size_t n)
{
	char fen_buf[3][MONEY_TEXT_MAX];

#define DIFF(...)                                                              \
	do {                                                                   \
		snprintf(msg, n, __VA_ARGS__);                                 \
		return 1;                                                      \
	} while (0)
	if (strcmp(s->id, m->id))
		DIFF("application '%s' where the model has '%s'", s->id, m->id);
	if (s->state != m->state)
		DIFF("'%s' is %s, the model says %s", m->id,
		     app_state_name(s->state), app_state_name(m->state));
#define SAME(field)                                                            \
	do {                                                                   \
		if (s->field != m->field)                                      \
			DIFF("'%s' (%s): " #field " is %s, the model says %s", \
			     m->id, app_state_name(m->state),                  \
			     fen(s->field, M1), fen(m->field, M2));            \
	} while (0)
	SAME(requested);
	SAME(awarded);
	SAME(paid);
	SAME(recovered);
#undef SAME
	if (s->contract_value != m->d.value)
		DIFF("'%s': contract value %s, the model says %s", m->id,
		     fen(s->contract_value, M1), fen(m->d.value, M2));
	if (strcmp(s->approver, m->approver) ||
	    strcmp(s->approved_by, m->approved_by))
		DIFF("'%s': approved by '%s' then '%s', the model says '%s' "
		     "then '%s'",
		     m->id, s->approver, s->approved_by, m->approver,
		     m->approved_by);
	if (strcmp(s->program, PROGRAM) ||
	    strcmp(s->measure, rules[m->d.measure].id) ||
	    strcmp(s->uscc, r->uscc[m->d.firm]) || s->fiscal_year != m->year)
		DIFF("'%s': stored as %s/%s/%s/%d, the model says %s/%s/%d",
		     m->id, s->program, s->measure, s->uscc, s->fiscal_year,
		     rules[m->d.measure].id, r->uscc[m->d.firm], m->year);
	if (strcmp(s->client_ref, m->d.ref) || s->received_at != m->received_at)
		DIFF("'%s': client_ref '%s' received at %lld, the model says "
		     "'%s' at %lld",
		     m->id, s->client_ref, (long long)s->received_at, m->d.ref,
		     (long long)m->received_at);
	if (!s->json || strlen(s->json) != m->d.len ||
	    memcmp(s->json, m->d.json, m->d.len))
		DIFF("'%s': the stored text is not the bytes submitted", m->id);
#undef DIFF
	return 0;
}

struct evread {
	struct {
		char action[32], who[64];
		int64_t at;
	} * ev;
	size_t n, cap;
};

static int ev_cb(void *arg, const struct store_event *ev)
{
	struct evread *er = arg;

	er->ev = grow(er->ev, &er->cap, er->n + 1, sizeof(*er->ev));
	snprintf(er->ev[er->n].action, sizeof(er->ev[0].action), "%s",
		 ev->action);
	snprintf(er->ev[er->n].who, sizeof(er->ev[0].who), "%s", ev->who);
	er->ev[er->n].at = ev->at;
	er->n++;
	return 0;
}

/* One application, as stored and as audited, against the model. */
static void check_app(struct run *r, size_t idx)
{
	const struct mapp *m = &r->apps[idx];
	struct store_app a;
	struct evread er = {NULL, 0, 0};
	char msg[1024];
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = store_app_get(r->o.store, m->id, &a, &e);
	if (rc == Q_NONE)
		die(r, "'%s' is not in the store; the model has it (%s)", m->id,
		    app_state_name(m->state));
	if (rc)
		die(r, "store_app_get '%s': %s", m->id, e.msg);
	rc = app_diff(r, &a, m, msg, sizeof(msg));
	store_app_release(&a);
	if (rc)
		die(r, "%s", msg);
	rc = store_event_each_subject(r->o.store, m->id, ev_cb, &er, &e);
	if (rc)
		die(r, "store_event_each_subject '%s': %s", m->id, e.msg);
	for (size_t i = 0; i < er.n || i < m->nev; i++) {
		if (i >= er.n || i >= m->nev ||
		    strcmp(er.ev[i].action, action_name(m->ev[i].action)) ||
		    strcmp(er.ev[i].who, m->ev[i].who) ||
		    er.ev[i].at != m->ev[i].at) {
			snprintf(msg, sizeof(msg),
				 "'%s': audit event %zu is %s by '%s' at %lld, "
				 "the model expects %s by '%s' at %lld "
				 "(%zu events, the model %zu)",
				 m->id, i, i < er.n ? er.ev[i].action : "none",
				 i < er.n ? er.ev[i].who : "",
				 i < er.n ? (long long)er.ev[i].at : 0LL,
				 i < m->nev ? action_name(m->ev[i].action)
					    : "none",
				 i < m->nev ? m->ev[i].who : "",
				 i < m->nev ? (long long)m->ev[i].at : 0LL,
				 er.n, m->nev);
			free(er.ev);
			die(r, "%s", msg);
		}
	}
	free(er.ev);
}

/* The number the next application of year would get must not exist. */
static void check_unnumbered(struct run *r, int year)
{
	struct store_app a;
	struct qerr e;
	char id[64];
	int rc;

	format_id(id, sizeof(id), year, r->numbers[year - FIRST_YEAR] + 1);
	qerr_clear(&e);
	rc = store_app_get(r->o.store, id, &a, &e);
	if (rc == 0) {
		store_app_release(&a);
		die(r,
		    "'%s' is in the store, but the model numbered nothing "
		    "after '%s-%04d-%06lld'",
		    id, PREFIX, year, (long long)r->numbers[year - FIRST_YEAR]);
	}
	if (rc != Q_NONE)
		die(r, "store_app_get '%s': %s", id, e.msg);
}

/* After each step: the applications and the pools' money it touched, every
 * pool through office_pools_each after a fault and every POOLS_EVERY
 * steps, and after a refusal that nothing was numbered. */
static void step_checks(struct run *r)
{
	unsigned mask = r->pools_touched;
	bool whole = r->pools_whole || r->step % POOLS_EVERY == 0;

	r->pools_touched = 0;
	r->pools_whole = false;
	if (r->mode != MODE_NORMAL) {
		r->ntouched = 0;
		r->refused_year = 0;
		return;
	}
	if (whole)
		check_pools(r, ALL_POOLS);
	else if (mask)
		check_pool_money(r, mask);
	for (size_t i = 0; i < r->ntouched; i++)
		check_app(r, r->touched[i]);
	if (r->refused_year)
		check_unnumbered(r, r->refused_year);
	r->ntouched = 0;
	r->refused_year = 0;
}

/* --- the whole office, every CHECK_EVERY steps ---------------------------- */

/* The model must hold together on its own. */
static void check_model(struct run *r)
{
	char fen_buf[3][MONEY_TEXT_MAX];

	for (size_t i = 0; i < NPOOLS; i++) {
		const struct mpool *p = &r->pools[i];
		money_t res = 0, awd = 0, paid = 0, tre = 0;
		long count[APP__STATE_COUNT] = {0};
		size_t w = 0;

		for (size_t j = 0; j < r->napps; j++) {
			const struct mapp *a = &r->apps[j];

			if (a->pool != (int)i)
				continue;
			count[a->state]++;
			if (a->state == APP_RESERVED)
				res += a->requested;
			if (a->state == APP_AWARDED)
				awd += a->awarded - a->paid;
			paid += a->paid - a->recovered;
			if (rules[a->d.measure].treasury)
				tre += a->recovered;
			w += a->state == APP_WAITLISTED;
		}
		for (size_t k = 0; k < p->nwait; k++)
			if (r->apps[p->wait[k]].state != APP_WAITLISTED ||
			    r->apps[p->wait[k]].pool != (int)i ||
			    (k > 0 &&
			     !waits_before(r, p->wait[k - 1], p->wait[k])))
				die(r,
				    "model: the waitlist of %s/%d is out of "
				    "order at '%s'",
				    p->pool, p->year, r->apps[p->wait[k]].id);
		if (w != p->nwait || res != p->reserved || awd != p->awarded ||
		    paid != p->paid || tre != p->treasury || p->available < 0 ||
		    memcmp(count, p->count, sizeof(count)) ||
		    p->budget != p->available + p->reserved + p->awarded +
					 p->paid + p->recovered + p->treasury)
			die(r,
			    "model: pool %s/%d does not add up (reserved %s, "
			    "available %s)",
			    p->pool, p->year, fen(p->reserved, M1),
			    fen(p->available, M2));
		/* No money idle while the head of the waitlist would fit
		 * (under fit: while anyone waiting would). */
		for (size_t k = 0; k < (pool_fits(p) ? p->nwait : 1); k++)
			if (k < p->nwait &&
			    r->apps[p->wait[k]].requested <= p->available)
				die(r,
				    "model: pool %s/%d has %s available and "
				    "'%s' on its waitlist asks only %s",
				    p->pool, p->year, fen(p->available, M1),
				    r->apps[p->wait[k]].id,
				    fen(r->apps[p->wait[k]].requested, M2));
	}
}

/* The yearly cap holds in arrival order: what an application holds
 * (reserved: its request; awarded: its award) never exceeds the cap less
 * what the firm's earlier applications of that measure and year hold. */
static void check_caps(struct run *r)
{
	money_t held[NMEASURES][NFIRMS][NYEARS];
	char fen_buf[3][MONEY_TEXT_MAX];

	if (r->cap_breach[0])
		return;
	memset(held, 0, sizeof(held));
	for (size_t i = 0; i < r->napps; i++) {
		const struct mapp *a = &r->apps[i];
		money_t h = a->state == APP_RESERVED  ? a->requested
			    : a->state == APP_AWARDED ? a->awarded
						      : 0;
		money_t *before =
			&held[a->d.measure][a->d.firm][a->year - FIRST_YEAR];
		money_t lim = rules[a->d.measure].cap_year - *before;

		if (h > (lim > 0 ? lim : 0)) {
			snprintf(r->cap_breach, sizeof(r->cap_breach),
				 "seed %llu, step %d, verb [%s]: '%s' holds %s "
				 "although the firm's earlier applications "
				 "hold %s of the yearly cap of %s",
				 (unsigned long long)r->seed, r->step, r->verb,
				 a->id, fen(h, M1), fen(*before, M2),
				 fen(rules[a->d.measure].cap_year, M3));
			return;
		}
		*before += h;
	}
}

struct appscan {
	struct run *r;
	size_t n;
	int64_t seq;
	char msg[1024];
};

static int scan_app(void *arg, const struct store_app *a)
{
	struct appscan *s = arg;

	if (s->n >= s->r->napps) {
		snprintf(s->msg, sizeof(s->msg),
			 "the store holds '%s' (%s), beyond the model's %zu "
			 "applications",
			 a->id, app_state_name(a->state), s->r->napps);
		return 1;
	}
	if (a->seq <= s->seq) {
		snprintf(s->msg, sizeof(s->msg),
			 "'%s': arrival order %lld after %lld", a->id,
			 (long long)a->seq, (long long)s->seq);
		return 1;
	}
	s->seq = a->seq;
	return app_diff(s->r, a, &s->r->apps[s->n++], s->msg, sizeof(s->msg));
}

/* Every event of the chain, in order, against what the model expects of
 * its subject: the setup's events (the policy and the funding of each
 * pool), then per application the events the model recorded. */
struct evscan {
	struct run *r;
	size_t *next;  /* per application, the next event expected */
	size_t **byno; /* per year, number -> application + 1 */
	int64_t count, setup;
	char msg[1024];
};

static int scan_event(void *arg, const struct store_event *ev)
{
	struct evscan *s = arg;
	struct run *r = s->r;
	int year = 0;
	long long no = 0;
	char tail;
	const struct mapp *a;
	const struct mev *m;
	size_t idx;

	s->count++;
	if (sscanf(ev->subject, PREFIX "-%4d-%6lld%c", &year, &no, &tail) !=
		    2 ||
	    year < FIRST_YEAR || year >= FIRST_YEAR + NYEARS || no < 1 ||
	    no > r->numbers[year - FIRST_YEAR]) {
		if (s->count - s->setup > 1 ||
		    (strcmp(ev->action, "policy") &&
		     strcmp(ev->action, "fund") &&
		     strcmp(ev->action, "list-import"))) {
			snprintf(s->msg, sizeof(s->msg),
				 "audit event %lld is %s of '%s', which the "
				 "model did not expect",
				 (long long)ev->seq, ev->action, ev->subject);
			return 1;
		}
		s->setup++;
		return 0;
	}
	idx = s->byno[year - FIRST_YEAR][no] - 1;
	a = &r->apps[idx];
	if (s->next[idx] >= a->nev) {
		snprintf(s->msg, sizeof(s->msg),
			 "audit event %lld is %s of '%s', beyond the %zu "
			 "events the model expects of it",
			 (long long)ev->seq, ev->action, ev->subject, a->nev);
		return 1;
	}
	m = &a->ev[s->next[idx]++];
	if (strcmp(ev->action, action_name(m->action)) ||
	    strcmp(ev->who, m->who) || ev->at != m->at) {
		snprintf(s->msg, sizeof(s->msg),
			 "audit event %lld is %s of '%s' by '%s' at %lld, the "
			 "model expects %s by '%s' at %lld",
			 (long long)ev->seq, ev->action, ev->subject, ev->who,
			 (long long)ev->at, action_name(m->action), m->who,
			 (long long)m->at);
		return 1;
	}
	return 0;
}

static void check_events(struct run *r)
{
	struct evscan s;
	struct qerr e;
	int rc;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.next = calloc(r->napps + 1, sizeof(*s.next));
	s.byno = calloc(NYEARS, sizeof(*s.byno));
	if (!s.next || !s.byno)
		abort();
	for (int y = 0; y < NYEARS; y++) {
		s.byno[y] =
			calloc((size_t)r->numbers[y] + 1, sizeof(*s.byno[y]));
		if (!s.byno[y])
			abort();
	}
	for (size_t i = 0; i < r->napps; i++) {
		long long no = atoll(r->apps[i].id + strlen(PREFIX) + 6);

		s.byno[r->apps[i].year - FIRST_YEAR][no] = i + 1;
	}
	qerr_clear(&e);
	rc = store_event_each(r->o.store, scan_event, &s, &e);
	for (size_t i = 0; !rc && !s.msg[0] && i < r->napps; i++)
		if (s.next[i] != r->apps[i].nev)
			snprintf(s.msg, sizeof(s.msg),
				 "'%s' has %zu audit events, the model "
				 "expects %zu",
				 r->apps[i].id, s.next[i], r->apps[i].nev);
	free(s.next);
	for (int y = 0; y < NYEARS; y++)
		free(s.byno[y]);
	free(s.byno);
	if (rc)
		die(r, "store_event_each: %s", e.msg);
	if (s.msg[0])
		die(r, "%s", s.msg);
	if (s.count != r->events)
		die(r, "the audit chain has %lld events, the model %lld",
		    (long long)s.count, (long long)r->events);
}

struct numread {
	int64_t last[NYEARS];
	int other;
};

static int num_cb(void *arg, const char *program, int year, int64_t last)
{
	struct numread *n = arg;

	if (strcmp(program, PROGRAM) || year < FIRST_YEAR ||
	    year >= FIRST_YEAR + NYEARS)
		n->other++;
	else
		n->last[year - FIRST_YEAR] = last;
	return 0;
}

static void read_numbers(struct run *r, struct office *o, struct numread *n)
{
	struct qerr e;

	memset(n, 0, sizeof(*n));
	qerr_clear(&e);
	if (store_app_numbers_each(o->store, num_cb, n, &e))
		die(r, "store_app_numbers_each: %s", e.msg);
}

/* The numbering: the last number given per year is the model's, however
 * many applications were refused after drawing one. */
static void check_numbers(struct run *r)
{
	struct numread n;

	read_numbers(r, &r->o, &n);
	if (n.other)
		die(r,
		    "the store numbers %d program(s) or year(s) the model "
		    "does not",
		    n.other);
	for (int y = 0; y < NYEARS; y++)
		if (n.last[y] != r->numbers[y])
			die(r,
			    "the last number given in %d is %lld, the model's "
			    "%lld",
			    FIRST_YEAR + y, (long long)n.last[y],
			    (long long)r->numbers[y]);
}

/* The applications as a handle reads them, for comparing two handles. */
struct brief {
	char id[64], approver[64], approved_by[64];
	int state;
	money_t requested, awarded, paid, recovered;
};

struct briefs {
	struct brief *b;
	size_t n, cap;
};

static int brief_cb(void *arg, const struct store_app *a)
{
	struct briefs *bs = arg;
	struct brief *b;

	bs->b = grow(bs->b, &bs->cap, bs->n + 1, sizeof(*bs->b));
	b = &bs->b[bs->n++];
	memset(b, 0, sizeof(*b));
	memcpy(b->id, a->id, sizeof(b->id));
	memcpy(b->approver, a->approver, sizeof(b->approver));
	memcpy(b->approved_by, a->approved_by, sizeof(b->approved_by));
	b->state = a->state;
	b->requested = a->requested;
	b->awarded = a->awarded;
	b->paid = a->paid;
	b->recovered = a->recovered;
	return 0;
}

static void read_briefs(struct run *r, struct office *o, struct briefs *bs)
{
	struct qerr e;

	memset(bs, 0, sizeof(*bs));
	qerr_clear(&e);
	if (store_app_each(o->store, NULL, -1, brief_cb, bs, &e))
		die(r, "store_app_each: %s", e.msg);
}

static void open_office(struct run *r, struct office *o);

/* HOOK: the writer's hot state against a fresh load from the store.
 *
 * A later change keeps the writer's state in memory (the pools' figures,
 * the waitlists, the numbering, the applications it is deciding on); this
 * is where that state is compared with what a fresh load from the store
 * gives, after every CHECK_EVERY steps and after every abandon and crash.
 * Today the office keeps nothing in memory but its policies, so the check
 * compares what exists: a second office opened on the same database reads
 * the same pools, numbering and applications as the long-lived handle. */
static void check_writer_hot_state(struct run *r,
				   const struct office_pool_figures *a)
{
	struct office fresh;
	struct office_pool_figures b[NPOOLS];
	struct numread na, nb;
	struct briefs ba, bb;
	char msg[512] = "";

	open_office(r, &fresh);
	read_pools(r, &fresh, b);
	read_numbers(r, &r->o, &na);
	read_numbers(r, &fresh, &nb);
	read_briefs(r, &r->o, &ba);
	read_briefs(r, &fresh, &bb);
	office_close(&fresh);
	for (size_t i = 0; i < NPOOLS && !msg[0]; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i])))
			snprintf(msg, sizeof(msg),
				 "pool %s/%d reads differently from a fresh "
				 "handle",
				 budgets[i].pool, budgets[i].year);
	if (!msg[0] && memcmp(&na, &nb, sizeof(na)))
		snprintf(msg, sizeof(msg),
			 "the numbering reads differently from a fresh handle");
	if (!msg[0] && ba.n != bb.n)
		snprintf(msg, sizeof(msg),
			 "%zu applications, a fresh handle reads %zu", ba.n,
			 bb.n);
	for (size_t i = 0; i < ba.n && !msg[0]; i++)
		if (memcmp(&ba.b[i], &bb.b[i], sizeof(ba.b[i])))
			snprintf(msg, sizeof(msg),
				 "'%s' reads differently from a fresh handle",
				 ba.b[i].id);
	free(ba.b);
	free(bb.b);
	/* The writer's own memory (src/office/hot.c): every account it keeps
	 * and its last timestamp, and every firm-year's sums it keeps (as
	 * store_applicant_year answers them), equal to a fresh read of the
	 * store. */
	if (!msg[0] && office_hot_check(&r->o, msg, sizeof(msg)) != 0 &&
	    !msg[0])
		snprintf(msg, sizeof(msg),
			 "the writer's memory cannot be checked");
	if (msg[0])
		die(r, "hot state: %s", msg);
}

/* Everything (whole: through the office's own checks too, and the
 * writer's hot state), or, after a reopen, what a crash could have left
 * half-written: every application, every audit event and the chain's
 * hashes, the numbering, the pools' money. */
static void check_all(struct run *r, bool whole)
{
	struct office_pool_figures pools[NPOOLS];
	struct appscan as;
	struct qerr e;
	char *buf = NULL, why[256] = "";
	size_t len = 0;
	FILE *out;
	long problems;
	int64_t count = 0, bad = 0;
	int rc;

	check_model(r);
	check_caps(r);
	if (r->mode != MODE_NORMAL)
		return;
	r->checks++;
	if (!whole) {
		char msg[512];

		check_pool_money(r, ALL_POOLS);
		/* Every firm-year and every firm's contracts the writer
		 * keeps, after every step: a stale sum lets a firm past its
		 * yearly cap, a stale contract list past the screens. */
		if (office_hot_years_check(&r->o, msg, sizeof(msg)) ||
		    office_hot_contracts_check(&r->o, msg, sizeof(msg)))
			die(r, "hot state: %s", msg);
		goto apps;
	}

	out = open_memstream(&buf, &len);
	if (!out)
		abort();
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

	check_pools_read(r, ALL_POOLS, pools);
apps:
	memset(&as, 0, sizeof(as));
	as.r = r;
	qerr_clear(&e);
	if (store_app_each(r->o.store, NULL, -1, scan_app, &as, &e))
		die(r, "store_app_each: %s", e.msg);
	if (as.msg[0])
		die(r, "%s", as.msg);
	if (as.n != r->napps)
		die(r, "the store holds %zu applications, the model %zu", as.n,
		    r->napps);
	check_numbers(r);
	check_events(r);

	qerr_clear(&e);
	rc = office_audit_verify(&r->o, &count, &bad, why, sizeof(why), &e);
	if (rc != 0)
		die(r, "office_audit_verify: %d, bad event %lld: %s %s", rc,
		    (long long)bad, why, e.msg);
	if (count != r->events)
		die(r,
		    "office_audit_verify counted %lld events, the model %lld",
		    (long long)count, (long long)r->events);
	if (whole)
		check_writer_hot_state(r, pools);
}

/* --- faults --------------------------------------------------------------- */

/* An I/O fault for the next verb: after f.n store calls, every call fails
 * (a store that is gone), or only the next one (once: a transient error,
 * after which the verb must not carry on as if nothing happened). Drawn in
 * every mode (so that a child and its replay draw alike), armed only
 * beside the model. A sweep faults the verb at its first call, then (each
 * attempt failing whole) at its second, and so on until it gets through:
 * every call of the verb is made to fail once. */
struct fault {
	bool on, once, sweep;
	long n;
};

static struct fault fault_draw(struct run *r, long span)
{
	struct fault f;

	f.on = chance(r, r->fault_pct);
	f.once = chance(r, 50);
	f.sweep = chance(r, SWEEP_PCT);
	f.n = f.sweep ? 0 : (long)below(r, (uint64_t)span);
	if (r->mode != MODE_NORMAL)
		f.on = false;
	f.sweep = f.sweep && f.on;
	return f;
}

static void fault_arm(struct run *r, enum op op, const struct fault *f)
{
	if (!f->on)
		return;
	r->armed[op]++;
	if (f->once)
		store_fault_once(r->o.store, f->n);
	else
		store_fault_after(r->o.store, f->n);
}

/* How many calls the fault refused; it is off afterwards (a retry runs
 * without it), but for a sweep, which moves on to the next call. */
static long fault_disarm(struct run *r, struct fault *f)
{
	long k;

	if (!f->on)
		return 0;
	k = store_fault_refused(r->o.store);
	store_fault_after(r->o.store, -1);
	if (f->sweep && k) {
		f->n++;
		r->swept++;
	} else {
		f->on = false;
	}
	return k;
}

/* The store refused calls under the verb: the verb must have failed, and
 * said it was the store. */
static void fault_failed(struct run *r, enum op op, const struct fault *f,
			 long refused, int rc, const struct qerr *e)
{
	r->faults[op]++;
	r->pools_touched = ALL_POOLS; /* nothing may have changed anywhere */
	r->pools_whole = !f->sweep;   /* (a sweep checks the money alone) */
	if (rc == 0)
		die(r,
		    "the store refused %ld call(s) (injected I/O faults), "
		    "yet the verb succeeded: an I/O error was swallowed",
		    refused);
	if (rc != Q_ERR_IO)
		die(r,
		    "after %ld injected I/O fault(s) the verb failed with %s "
		    "(%s), not io",
		    refused, qerr_name(rc), e->msg);
}

/* After a fault: the failed verb changed nothing (the model did not
 * move); then, perhaps, the same verb again (a sweep: always). */
static bool retry_after_fault(struct run *r, const struct fault *f)
{
	step_checks(r);
	return f->sweep || chance(r, r->retry_pct);
}

static void expect_rc(struct run *r, const char *what, int want,
		      const char *field, int rc, const struct qerr *e)
{
	if (want == 0 && rc != 0)
		die(r,
		    "%s: the model expects success, the office refused: %s "
		    "(%s)",
		    what, qerr_name(rc), e->msg);
	if (want != 0 && rc == 0)
		die(r,
		    "%s: the model expects a refusal (%s), the office "
		    "succeeded",
		    what, qerr_name(want));
	if (want != 0 && rc != want)
		die(r, "%s: refused with %s (%s), the model expects %s", what,
		    qerr_name(rc), e->msg, qerr_name(want));
	if (want != 0 && field && strcmp(e->field, field))
		die(r,
		    "%s: refused naming field '%s' (%s), the model expects "
		    "'%s'",
		    what, e->field, e->msg, field);
}

/* --- applying ------------------------------------------------------------- */

static void check_apply(struct run *r, const char *what, const struct xres *x,
			const struct draft *d, int rc, const struct qerr *e,
			const struct office_result *res)
{
	const struct mapp *a;
	char fen_buf[3][MONEY_TEXT_MAX];

	expect_rc(r, what, x->rc, x->field, rc, e);
	if (x->rc)
		return;
	a = &r->apps[x->idx];
	if (strcmp(res->id, a->id) || res->existed != x->existed ||
	    res->state != a->state || res->amount != a->requested ||
	    res->received_at != a->received_at ||
	    strcmp(res->client_ref, d->ref) ||
	    res->nflags != (x->existed ? 0 : a->nflags) ||
	    res->blocked != (!x->existed && a->blocked))
		die(r,
		    "%s: the office answered {%s, %s, %s, existed %d, "
		    "received %lld, ref '%s', flags %u '%s'%s}, the model says "
		    "{%s, %s, %s, existed %d, received %lld, ref '%s', flags "
		    "%u%s}",
		    what, res->id, app_state_name(res->state),
		    fen(res->amount, M1), res->existed,
		    (long long)res->received_at, res->client_ref, res->nflags,
		    res->flags, res->blocked ? " blocked" : "", a->id,
		    app_state_name(a->state), fen(a->requested, M2), x->existed,
		    (long long)a->received_at, d->ref,
		    x->existed ? 0 : a->nflags,
		    !x->existed && a->blocked ? " blocked" : "");
}

static const char *bad_name(const struct draft *d)
{
	static const char *const names[] = {"", ", unknown field", ", bad USCC",
					    ", other program",
					    ", unknown measure"};

	return names[d->bad];
}

static void describe(struct run *r, const char *verb, const struct draft *d,
		     const char *by)
{
	char fen_buf[3][MONEY_TEXT_MAX], day[16];

	fmt_day(d->signed_day, day, sizeof(day));
	snprintf(
		r->verb, sizeof(r->verb),
		"%s by %s: firm %d, %s (%s), value %s, signed %s, ref '%s'%s%s%s%s",
		verb, by, d->firm, rules[d->measure].id, d->kind,
		fen(d->value, M1), day, d->ref, bad_name(d),
		d->related ? ", related supplier" : "",
		d->elsewhere ? ", registered elsewhere" : "",
		d->len && d->json[d->len - 1] == ' ' ? ", a space more" : "");
}

/* One application through office_apply, received now. */
static struct xres send_one(struct run *r, enum op op, const struct draft *d,
			    const char *by)
{
	struct fault f = fault_draw(r, FAULT_SPAN);
	struct office_result res;
	struct snap s;
	struct xres x;
	struct qerr e;
	long refused;
	int rc;

again:
	snap_take(r, &s);
	x = model_apply(r, d, r->now, by, false);
	if (r->mode == MODE_REPLAY) {
		snap_free(&s);
		goto done;
	}
	memset(&res, 0, sizeof(res));
	qerr_clear(&e);
	fault_arm(r, op, &f);
	rc = office_apply(&r->o, d->json, d->len, by, r->now, &res, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, op, &f, refused, rc, &e);
		snap_restore(r, &s);
		snap_free(&s);
		if (x.existed)
			touch(r, (size_t)x.idx);
		r->refused_year = fiscal_year(r->now);
		if (retry_after_fault(r, &f))
			goto again;
		x.rc = Q_ERR_IO;
		return x;
	}
	snap_free(&s);
	check_apply(r, "office_apply", &x, d, rc, &e, &res);
done:
	if (x.rc) {
		r->no[op]++;
		r->refused_year = fiscal_year(r->now);
		touch_pool(r, d->measure, r->refused_year);
	} else {
		r->ok[op]++;
		if (x.existed)
			touch(r, (size_t)x.idx);
	}
	return x;
}

static void op_apply(struct run *r)
{
	struct draft d;
	struct xres x;
	char by[16];

	gen_draft(r, &d);
	user_of(r, d.firm, by, sizeof(by));
	describe(r, "apply", &d, by);
	x = send_one(r, OP_APPLY, &d, by);
	if (x.rc == Q_ERR_INVALID)
		retry_keep(r, &d);
	draft_free(&d);
}

static bool has_ref(const struct mapp *a)
{
	return a->d.ref[0] != '\0';
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

/* The same bytes again: the recorded application (a client_ref), or
 * another one (none). */
static void op_resend(struct run *r)
{
	struct mapp *a = pick(r, has_ref, 85);
	struct draft d;
	char by[16];

	if (!a) {
		op_apply(r);
		return;
	}
	draft_copy(&d, &a->d);
	user_of(r, d.firm, by, sizeof(by));
	describe(r, "resend", &d, by);
	send_one(r, OP_RESEND, &d, by);
	draft_free(&d);
}

/* The same client_ref with other bytes: a conflict. */
static void op_other(struct run *r)
{
	struct mapp *a = pick(r, has_ref, 100);
	struct draft d;
	char by[16];

	if (!a || !has_ref(a)) {
		op_apply(r);
		return;
	}
	other_bytes(r, &a->d, &d);
	user_of(r, d.firm, by, sizeof(by));
	describe(r, "other bytes", &d, by);
	send_one(r, OP_OTHER, &d, by);
	draft_free(&d);
}

static void op_bad(struct run *r)
{
	struct draft d;
	struct xres x;
	char by[16];

	gen_bad(r, &d);
	user_of(r, d.firm, by, sizeof(by));
	describe(r, "apply (to refuse)", &d, by);
	x = send_one(r, OP_BAD, &d, by);
	if (x.rc && chance(r, 30))
		retry_keep(r, &d);
	draft_free(&d);
}

/* A refused application sent again, as it was, some time later. */
static void op_retry(struct run *r)
{
	struct draft d;
	struct xres x;
	size_t k;
	char by[16];

	if (!r->nretry) {
		op_apply(r);
		return;
	}
	k = below(r, r->nretry);
	draft_copy(&d, &r->retry[k]);
	user_of(r, d.firm, by, sizeof(by));
	describe(r, "retry a refused application", &d, by);
	x = send_one(r, OP_RETRY, &d, by);
	if (!x.rc) {
		draft_free(&r->retry[k]);
		r->retry[k] = r->retry[--r->nretry];
	}
	draft_free(&d);
}

#define BATCH_MAX 6

/* Applications in one transaction (office_intake_batch): new ones,
 * resent ones, duplicates within the batch, other bytes, refused ones,
 * administrators' imports received earlier; each has its own outcome, the
 * model takes them in order. */
static void op_batch(struct run *r)
{
	struct draft items[BATCH_MAX];
	struct office_intake in[BATCH_MAX];
	struct office_result res[BATCH_MAX];
	struct xres x[BATCH_MAX];
	struct qerr errs[BATCH_MAX], e;
	int rcs[BATCH_MAX];
	char bys[BATCH_MAX][16], what[64];
	bool keep[BATCH_MAX];
	size_t n = 1 + below(r, BATCH_MAX), used;
	struct fault f;
	struct snap s;
	long refused;
	int rc;

	memset(in, 0, sizeof(in)); /* fields the test does not know: none */
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)below(r, 100);
		struct mapp *a;

		keep[i] = false;
		if (k < 12 && r->napps) {
			draft_copy(&items[i], &r->apps[below(r, r->napps)].d);
		} else if (k < 17 && (a = pick(r, has_ref, 100)) &&
			   has_ref(a)) {
			other_bytes(r, &a->d, &items[i]);
		} else if (k < 25) {
			gen_bad(r, &items[i]);
			keep[i] = chance(r, 30);
		} else if (k < 32 && i > 0) {
			draft_copy(&items[i], &items[below(r, i)]);
		} else if (k < 37 && r->nretry) {
			draft_copy(&items[i], &r->retry[below(r, r->nretry)]);
		} else {
			gen_draft(r, &items[i]);
		}
		in[i].json = items[i].json;
		in[i].len = items[i].len;
		if (chance(r, 10)) {
			in[i].imported = true;
			in[i].received_at =
				r->now - (int64_t)below(r, 3 * 86400);
			if (chance(r, 10))
				in[i].received_at =
					r->now + 1 + (int64_t)below(r, 86400);
			snprintf(bys[i], sizeof(bys[i]), "admin");
		} else {
			in[i].imported = false;
			in[i].received_at = r->now;
			user_of(r, items[i].firm, bys[i], sizeof(bys[i]));
		}
		in[i].by = bys[i];
	}
	used = (size_t)snprintf(r->verb, sizeof(r->verb), "a batch of %zu:", n);
	for (size_t i = 0; i < n && used < sizeof(r->verb) - 60; i++)
		used += (size_t)snprintf(r->verb + used, sizeof(r->verb) - used,
					 " [firm %d %s %s%s%s]", items[i].firm,
					 rules[items[i].measure].id,
					 items[i].ref[0] ? items[i].ref : "-",
					 bad_name(&items[i]),
					 in[i].imported ? " imported" : "");
	f = fault_draw(r, FAULT_SPAN * (long)n);
again:
	snap_take(r, &s);
	for (size_t i = 0; i < n; i++)
		x[i] = model_apply(r, &items[i], in[i].received_at, in[i].by,
				   in[i].imported);
	if (r->mode == MODE_REPLAY) {
		snap_free(&s);
		goto done;
	}
	memset(res, 0, sizeof(res));
	qerr_clear(&e);
	fault_arm(r, OP_BATCH, &f);
	rc = office_intake_batch(&r->o, in, n, r->now, res, rcs, errs, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, OP_BATCH, &f, refused, rc, &e);
		snap_restore(r, &s);
		snap_free(&s);
		r->refused_year = fiscal_year(r->now);
		if (retry_after_fault(r, &f))
			goto again;
		goto out;
	}
	snap_free(&s);
	if (rc)
		die(r, "office_intake_batch failed as a whole: %s (%s)",
		    qerr_name(rc), e.msg);
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "batch item %zu", i);
		check_apply(r, what, &x[i], &items[i], rcs[i], &errs[i],
			    &res[i]);
	}
done:
	for (size_t i = 0; i < n; i++) {
		if (!x[i].rc) {
			r->ok[OP_BATCH]++;
			touch(r, (size_t)x[i].idx);
			continue;
		}
		r->no[OP_BATCH]++;
		r->refused_year = fiscal_year(in[i].received_at);
		touch_pool(r, items[i].measure, r->refused_year);
		if (x[i].rc == Q_ERR_INVALID || keep[i])
			retry_keep(r, &items[i]);
	}
out:
	for (size_t i = 0; i < n; i++)
		draft_free(&items[i]);
}

/* --- reviewing, paying, recovering ---------------------------------------- */

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

/* What an approval does, or its refusal. */
static int predict_approve(struct run *r, const struct mapp *a, rate_bp rate,
			   money_t value, const char *by, money_t *amount,
			   bool *first, const char **field)
{
	const struct mrule *m = &rules[a->d.measure];

	*first = false;
	*field = "state";
	*amount = 0;
	if (a->state != APP_RESERVED)
		return Q_ERR_CONFLICT;
	if (rate < 0 && value < 0) {
		*amount = a->requested;
	} else {
		money_t base = value >= 0 ? value : a->d.value, amt;

		if (value > a->d.value) {
			*field = "approved_value";
			return Q_ERR_INVALID;
		}
		amt = decide_amount(a->d.measure, base, m->rate,
				    history(r, a->d.measure, a->d.firm, a->year,
					    (size_t)(a - r->apps)));
		if (rate >= 0) {
			if (rate > m->rate) {
				*field = "rate";
				return Q_ERR_INVALID;
			}
			if (floor_rate(base, rate) < amt)
				amt = floor_rate(base, rate);
		}
		*amount = amt < a->requested ? amt : a->requested;
	}
	/* An award of nothing is a rejection, which says why. */
	if (*amount == 0 && a->requested > 0) {
		*field = value >= 0 ? "approved_value" : "rate";
		return Q_ERR_INVALID;
	}
	/* Whoever approved first never finishes the award alone, whatever
	 * the amount has become (a lower one would get round the rule). */
	if (a->approver[0] && !strcmp(a->approver, by)) {
		r->cov[COV_SAME_APPROVER]++;
		*field = "by";
		return Q_ERR_FORBIDDEN;
	}
	/* The second of two approvals confirms the first's amount (no rate,
	 * no value) or lowers it, never raises it. */
	if (a->approver[0]) {
		if (rate < 0 && value < 0) {
			*amount = a->first_amount;
		} else if (*amount > a->first_amount) {
			*field = value >= 0 ? "approved_value" : "rate";
			return Q_ERR_CONFLICT;
		}
	}
	if (m->second_above >= 0 && *amount > m->second_above &&
	    !a->approver[0]) {
		*first = true;
		return 0;
	}
	if (a->requested > 0 && a->expires_at && r->now >= a->expires_at) {
		r->cov[COV_EXPIRED]++;
		return Q_ERR_CONFLICT; /* expired: only quan expire frees it */
	}
	return 0;
}

static void model_approve(struct run *r, struct mapp *a, money_t amount,
			  bool first, const char *by)
{
	struct mpool *p = pool_of(r, a);

	if (first) {
		snprintf(a->approver, sizeof(a->approver), "%s", by);
		a->first_amount = amount;
		add_event(r, a, 'f', by);
		r->cov[COV_FIRST]++;
		return;
	}
	r->cov[COV_SECOND] += a->approver[0] != '\0';
	r->cov[COV_PARTIAL] += amount < a->requested;
	p->reserved -= a->requested;
	p->available += a->requested - amount;
	p->awarded += amount;
	a->awarded = amount;
	snprintf(a->approved_by, sizeof(a->approved_by), "%s", by);
	set_state(r, a, APP_AWARDED);
	add_event(r, a, 'P', by);
	if (amount < a->requested)
		serve(r, a->pool, by);
}

static void do_approve(struct run *r, struct mapp *a, rate_bp rate,
		       money_t value, const char *by)
{
	struct fault f = fault_draw(r, FAULT_SPAN);
	struct office_result res;
	const char *field;
	char fen_buf[3][MONEY_TEXT_MAX];
	money_t amount;
	struct qerr e;
	long refused;
	bool first;
	int want, rc;

	want = predict_approve(r, a, rate, value, by, &amount, &first, &field);
	snprintf(r->verb, sizeof(r->verb),
		 "approve %s (%s, requested %s, first approver '%s') rate %d "
		 "value %s by %s",
		 a->id, app_state_name(a->state), fen(a->requested, M1),
		 a->approver, (int)rate, value >= 0 ? fen(value, M2) : "-", by);
	touch(r, (size_t)(a - r->apps));
	if (r->mode == MODE_REPLAY)
		goto done;
again:
	memset(&res, 0, sizeof(res));
	qerr_clear(&e);
	fault_arm(r, OP_APPROVE, &f);
	rc = office_approve(&r->o, a->id, rate, value, by, r->now, &res, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, OP_APPROVE, &f, refused, rc, &e);
		if (retry_after_fault(r, &f)) {
			touch(r, (size_t)(a - r->apps));
			goto again;
		}
		return;
	}
	expect_rc(r, "office_approve", want, field, rc, &e);
	if (!want && (res.state != (first ? APP_RESERVED : APP_AWARDED) ||
		      res.amount != amount))
		die(r,
		    "office_approve answered {%s, %s}, the model says {%s, %s}",
		    app_state_name(res.state), fen(res.amount, M1),
		    app_state_name(first ? APP_RESERVED : APP_AWARDED),
		    fen(amount, M2));
done:
	if (want) {
		r->no[OP_APPROVE]++;
		return;
	}
	r->ok[OP_APPROVE]++;
	model_approve(r, a, amount, first, by);
}

static void op_approve(struct run *r)
{
	struct mapp *a = pick(r, is_reserved, 90);
	const struct mrule *m;
	rate_bp rate = -1;
	money_t value = -1;
	const char *by = reviewers[below(r, 3)];
	unsigned x;

	if (!a)
		return;
	m = &rules[a->d.measure];
	x = (unsigned)below(r, 100);
	if (x < 20)
		rate = (rate_bp)below(r, (uint64_t)m->rate);
	else if (x < 25)
		rate = m->rate;
	else if (x < 28)
		rate = m->rate + 1 + (rate_bp)below(r, 100);
	x = (unsigned)below(r, 100);
	if (x < 18)
		value = between(r, 0, a->d.value);
	else if (x < 21)
		value = a->d.value + 1 + between(r, 0, 1000);
	else if (x < 23)
		value = 0;
	if (a->approver[0] && chance(r, 35))
		by = a->approver;
	do_approve(r, a, rate, value, by);
}

/* Reject, withdraw or expire: the reservation goes back, the waitlist is
 * served. */
static void model_end(struct run *r, struct mapp *a, int to, char action,
		      const char *by)
{
	struct mpool *p = pool_of(r, a);

	if (a->state == APP_RESERVED) {
		p->reserved -= a->requested;
		p->available += a->requested;
	} else if (a->state == APP_WAITLISTED) {
		wait_remove(p, (size_t)(a - r->apps));
	}
	set_state(r, a, to);
	add_event(r, a, action, by);
	r->cov[COV_EXPIRE] += to == APP_EXPIRED;
	serve(r, a->pool, by);
}

static void do_end(struct run *r, struct mapp *a, int to, const char *why,
		   const char *by)
{
	enum op op = to == APP_REJECTED ? OP_REJECT : OP_WITHDRAW;
	struct fault f = fault_draw(r, FAULT_SPAN);
	struct office_result res;
	const char *field = "state";
	char fen_buf[3][MONEY_TEXT_MAX];
	struct qerr e;
	long refused;
	int want = 0, rc;

	if (to == APP_REJECTED && !*why) {
		want = Q_ERR_MISSING_FIELD;
		field = "why";
	} else if (a->state != APP_RESERVED && a->state != APP_WAITLISTED &&
		   a->state != APP_QUEUED) {
		want = Q_ERR_CONFLICT;
	}
	snprintf(r->verb, sizeof(r->verb), "%s %s (%s, requested %s) by %s",
		 to == APP_REJECTED ? "reject" : "withdraw", a->id,
		 app_state_name(a->state), fen(a->requested, M1), by);
	touch(r, (size_t)(a - r->apps));
	if (r->mode == MODE_REPLAY)
		goto done;
again:
	memset(&res, 0, sizeof(res));
	qerr_clear(&e);
	fault_arm(r, op, &f);
	if (to == APP_REJECTED)
		rc = office_reject(&r->o, a->id, why, by, r->now, &res, &e);
	else
		rc = office_withdraw(&r->o, a->id, by, r->now, &res, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, op, &f, refused, rc, &e);
		if (retry_after_fault(r, &f)) {
			touch(r, (size_t)(a - r->apps));
			goto again;
		}
		return;
	}
	expect_rc(r, to == APP_REJECTED ? "office_reject" : "office_withdraw",
		  want, field, rc, &e);
	if (!want && (strcmp(res.id, a->id) || res.state != to))
		die(r, "the office answered {%s, %s}, the model says {%s, %s}",
		    res.id, app_state_name(res.state), a->id,
		    app_state_name(to));
done:
	if (want) {
		r->no[op]++;
		return;
	}
	r->ok[op]++;
	model_end(r, a, to, to == APP_REJECTED ? 'J' : 'W', by);
}

static void op_end(struct run *r, int to)
{
	unsigned x = (unsigned)below(r, 100);
	struct mapp *a;
	char by[16];

	/* Mostly a reservation; now and then the head of a waitlist, whose
	 * going may let the next one in. */
	a = pick(r,
		 x < 25	  ? is_waitlisted
		 : x < 70 ? is_reserved
			  : is_open,
		 85);
	if (!a)
		return;
	if (a->state == APP_WAITLISTED && chance(r, 50))
		a = &r->apps[pool_of(r, a)->wait[0]];
	if (to == APP_REJECTED)
		snprintf(by, sizeof(by), "%s", reviewers[below(r, 3)]);
	else
		user_of(r, a->d.firm, by, sizeof(by));
	do_end(r, a, to, to == APP_REJECTED && chance(r, 3) ? "" : "vopr", by);
}

static void do_disburse(struct run *r, struct mapp *a, money_t amount,
			const char *by)
{
	struct fault f = fault_draw(r, FAULT_SPAN);
	struct mpool *p = pool_of(r, a);
	const char *field = "amount";
	char fen_buf[3][MONEY_TEXT_MAX];
	struct qerr e;
	long refused;
	int want = 0, rc;

	if (amount <= 0) {
		want = Q_ERR_INVALID_MONEY;
	} else if (a->state != APP_AWARDED) {
		want = Q_ERR_CONFLICT;
		field = "state";
	} else if (!strcmp(by, a->approved_by) || !strcmp(by, a->approver)) {
		r->cov[COV_FORBIDDEN]++;
		want = Q_ERR_FORBIDDEN;
		field = "by";
	} else if (amount > a->awarded - a->paid) {
		want = Q_ERR_INVALID_MONEY;
	}
	snprintf(r->verb, sizeof(r->verb),
		 "disburse %s (%s, awarded %s, paid %s) amount %s by %s", a->id,
		 app_state_name(a->state), fen(a->awarded, M1),
		 fen(a->paid, M2), fen(amount, M3), by);
	touch(r, (size_t)(a - r->apps));
	if (r->mode == MODE_REPLAY)
		goto done;
again:
	qerr_clear(&e);
	fault_arm(r, OP_DISBURSE, &f);
	rc = office_disburse(&r->o, a->id, amount, by, r->now, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, OP_DISBURSE, &f, refused, rc, &e);
		if (retry_after_fault(r, &f)) {
			touch(r, (size_t)(a - r->apps));
			goto again;
		}
		return;
	}
	expect_rc(r, "office_disburse", want, field, rc, &e);
done:
	if (want) {
		r->no[OP_DISBURSE]++;
		return;
	}
	r->ok[OP_DISBURSE]++;
	a->paid += amount;
	p->awarded -= amount;
	p->paid += amount;
	add_event(r, a, 'D', by);
}

static void op_disburse(struct run *r)
{
	struct mapp *a = pick(r, has_left_to_pay, 90);
	money_t left, amount;
	unsigned x = (unsigned)below(r, 100);
	const char *by = finance[below(r, 2)];

	if (!a)
		return;
	left = a->awarded - a->paid;
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
	x = (unsigned)below(r, 100);
	if (x < 5 && a->approved_by[0])
		by = a->approved_by;
	else if (x < 8 && a->approver[0])
		by = a->approver;
	do_disburse(r, a, amount, by);
}

static void do_clawback(struct run *r, struct mapp *a, money_t amount,
			const char *why)
{
	struct fault f = fault_draw(r, FAULT_SPAN);
	struct mpool *p = pool_of(r, a);
	const char *field = "amount";
	char fen_buf[3][MONEY_TEXT_MAX];
	struct qerr e;
	long refused;
	int want = 0, rc;

	if (amount <= 0) {
		want = Q_ERR_INVALID_MONEY;
	} else if (!*why) {
		want = Q_ERR_INVALID;
		field = "why";
	} else if (amount > a->paid - a->recovered) {
		want = Q_ERR_INVALID_MONEY;
	}
	snprintf(r->verb, sizeof(r->verb),
		 "clawback %s (%s, paid %s, recovered %s) amount %s to the %s",
		 a->id, app_state_name(a->state), fen(a->paid, M1),
		 fen(a->recovered, M2), fen(amount, M3),
		 rules[a->d.measure].treasury ? "treasury" : "pool");
	touch(r, (size_t)(a - r->apps));
	if (r->mode == MODE_REPLAY)
		goto done;
again:
	qerr_clear(&e);
	fault_arm(r, OP_CLAWBACK, &f);
	rc = office_clawback(&r->o, a->id, amount, why, "fin-a", r->now, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, OP_CLAWBACK, &f, refused, rc, &e);
		if (retry_after_fault(r, &f)) {
			touch(r, (size_t)(a - r->apps));
			goto again;
		}
		return;
	}
	expect_rc(r, "office_clawback", want, field, rc, &e);
done:
	if (want) {
		r->no[OP_CLAWBACK]++;
		return;
	}
	r->ok[OP_CLAWBACK]++;
	a->recovered += amount;
	p->paid -= amount;
	add_event(r, a, 'C', "fin-a");
	if (rules[a->d.measure].treasury) {
		r->cov[COV_TREASURY]++;
		p->treasury += amount;
	} else {
		r->cov[COV_TO_POOL]++;
		p->available += amount;
		serve(r, a->pool, "fin-a");
	}
}

static void op_clawback(struct run *r)
{
	struct mapp *a = pick(r, has_paid, 90);
	money_t net, amount;
	unsigned x = (unsigned)below(r, 100);

	if (!a)
		return;
	net = a->paid - a->recovered;
	if (x < 25)
		amount = net;
	else if (x < 75)
		amount = between(r, 1, net);
	else if (x < 90)
		amount = net + 1 + between(r, 0, 100000);
	else
		amount = 0;
	do_clawback(r, a, amount, chance(r, 3) ? "" : "vopr");
}

/* The reservations quan expire must release now, in arrival order. */
static size_t expiring(struct run *r, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < r->napps; i++) {
		const struct mapp *a = &r->apps[i];

		if (a->state == APP_RESERVED && a->requested > 0 &&
		    a->expires_at && r->now >= a->expires_at)
			out[n++] = i;
	}
	return n;
}

/* office_expire: each release is its own transaction, so a fault stops it
 * part way, after *count releases that stand. */
static void op_expire(struct run *r)
{
	struct fault f = fault_draw(r, 2 * FAULT_SPAN);
	size_t *list, n;
	struct qerr e;
	long count = 0, refused;
	int rc;

	if (r->mode == MODE_CHILD)
		return; /* one_step stops the child first */
	list = xrealloc(NULL, (r->napps + 1) * sizeof(*list));
again:
	n = expiring(r, list);
	snprintf(r->verb, sizeof(r->verb),
		 "expire by clerk: the model releases %zu reservation(s)%s%s",
		 n, n ? ", the first " : "", n ? r->apps[list[0]].id : "");
	for (size_t i = 0; i < n; i++)
		touch(r, list[i]);
	if (r->mode == MODE_REPLAY) {
		count = (long)n;
		goto done;
	}
	qerr_clear(&e);
	fault_arm(r, OP_EXPIRE, &f);
	rc = office_expire(&r->o, "clerk", r->now, &count, &e);
	refused = fault_disarm(r, &f);
	if (refused) {
		fault_failed(r, OP_EXPIRE, &f, refused, rc, &e);
		if (count < 0 || (size_t)count > n)
			die(r, "office_expire counted %ld, the model %zu",
			    count, n);
		for (long i = 0; i < count; i++)
			model_end(r, &r->apps[list[i]], APP_EXPIRED, 'E',
				  "clerk");
		if (retry_after_fault(r, &f))
			goto again;
		free(list);
		return;
	}
	expect_rc(r, "office_expire", 0, NULL, rc, &e);
	if ((size_t)count != n)
		die(r,
		    "office_expire released %ld reservation(s), the model %zu",
		    count, n);
done:
	r->ok[OP_EXPIRE] += count;
	for (long i = 0; i < count; i++)
		model_end(r, &r->apps[list[i]], APP_EXPIRED, 'E', "clerk");
	free(list);
}

/* Verbs the office refuses before doing anything: an unknown number, a
 * rejection without a reason, no amount, a clawback without a reason. */
static void op_no_such(struct run *r)
{
	static const char id[] = PREFIX "-2025-999999";
	struct office_result res;
	struct mapp *a = pick(r, NULL, 0);
	struct qerr e;
	int rc;

	snprintf(r->verb, sizeof(r->verb), "verbs on %s and refused verbs", id);
	if (r->mode == MODE_REPLAY)
		return;
#define REFUSED(call, want)                                                    \
	do {                                                                   \
		qerr_clear(&e);                                                \
		rc = call;                                                     \
		expect_rc(r, #call, want, NULL, rc, &e);                       \
		r->no[OP_NO_SUCH]++;                                           \
	} while (0)
	REFUSED(office_approve(&r->o, id, -1, -1, "rev-a", r->now, &res, &e),
		Q_ERR_NOT_FOUND);
	REFUSED(office_reject(&r->o, id, "vopr", "rev-a", r->now, &res, &e),
		Q_ERR_NOT_FOUND);
	REFUSED(office_withdraw(&r->o, id, "firm-00", r->now, &res, &e),
		Q_ERR_NOT_FOUND);
	REFUSED(office_disburse(&r->o, id, 100, "fin-a", r->now, &e),
		Q_ERR_NOT_FOUND);
	REFUSED(office_clawback(&r->o, id, 100, "vopr", "fin-a", r->now, &e),
		Q_ERR_NOT_FOUND);
	if (a) {
		touch(r, (size_t)(a - r->apps));
		REFUSED(office_reject(&r->o, a->id, "", "rev-a", r->now, &res,
				      &e),
			Q_ERR_MISSING_FIELD);
		REFUSED(office_disburse(&r->o, a->id, 0, "fin-a", r->now, &e),
			Q_ERR_INVALID_MONEY);
		REFUSED(office_clawback(&r->o, a->id, -5, "vopr", "fin-a",
					r->now, &e),
			Q_ERR_INVALID_MONEY);
	}
#undef REFUSED
}

/* --- abandoning and crashing ---------------------------------------------- */

struct acct_find {
	const char *code;
	uint64_t id;
};

static int acct_cb(void *arg, const struct ledger_account *a)
{
	struct acct_find *f = arg;

	if (strcmp(a->code, f->code))
		return 0;
	f->id = a->id;
	return 1;
}

static uint64_t account_of(struct run *r, const char *code)
{
	struct acct_find f = {code, 0};
	struct qerr e;

	qerr_clear(&e);
	if (store_account_each(r->o.store, acct_cb, &f, &e))
		die(r, "store_account_each: %s", e.msg);
	return f.id;
}

/* Close the office, counting its contract index's lookups first. */
static void close_office(struct run *r)
{
	long hits, reads;

	hot_contracts_counts(office_hot_contracts(&r->o), &hits, &reads);
	r->cidx_hits += hits;
	r->cidx_reads += reads;
	office_close(&r->o);
}

/* Open a transaction, write to it as a verb would (draw a number, append
 * an event, move money, insert and change applications), then close the
 * handle without a commit and open the office again: none of it may
 * remain. */
static void op_abandon(struct run *r)
{
	int writes = 1 + (int)below(r, 5);
	int year = fiscal_year(r->now);
	size_t victim = r->napps ? below(r, r->napps) : 0;
	struct qerr e;
	char id[64];

	if (r->mode != MODE_NORMAL)
		return;
	snprintf(r->verb, sizeof(r->verb),
		 "abandon: %d write(s) in a transaction, then the handle is "
		 "closed without a commit",
		 writes);
	format_id(id, sizeof(id), year, r->numbers[year - FIRST_YEAR] + 1);
	qerr_clear(&e);
	if (store_begin(r->o.store, &e))
		die(r, "store_begin: %s", e.msg);
	for (int j = 0; j < writes; j++) {
		if (j == 0) {
			int64_t n = 0;

			if (store_app_number(r->o.store, PROGRAM, year, &n, &e))
				die(r, "store_app_number: %s", e.msg);
			if (n != r->numbers[year - FIRST_YEAR] + 1)
				die(r,
				    "store_app_number drew %lld, the model's "
				    "next number is %lld",
				    (long long)n,
				    (long long)r->numbers[year - FIRST_YEAR] +
					    1);
		} else if (j == 1) {
			struct store_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.at = r->now;
			snprintf(ev.who, sizeof(ev.who), "vopr");
			snprintf(ev.action, sizeof(ev.action), "abandoned");
			snprintf(ev.subject, sizeof(ev.subject), "%s", id);
			ev.detail = (char[]){"{}"};
			if (store_event_append(r->o.store, &ev, &e))
				die(r, "store_event_append: %s", e.msg);
		} else if (j == 2) {
			char code[LEDGER_ID_MAX];
			struct ledger_transfer t;
			int result;

			memset(&t, 0, sizeof(t));
			snprintf(code, sizeof(code),
				 PROGRAM "/model/%d/available", year);
			t.debit = account_of(r, code);
			snprintf(code, sizeof(code),
				 PROGRAM "/model/%d/treasury", year);
			t.credit = account_of(r, code);
			snprintf(t.id, sizeof(t.id), "vopr-abandon/%d",
				 r->step);
			t.amount = 1;
			if (t.debit && t.credit &&
			    ledger_create_transfers(store_ledger_io(r->o.store),
						    &t, 1, r->now, &result))
				die(r,
				    "ledger_create_transfers: a storage error");
		} else if (j == 3) {
			struct store_app a;

			memset(&a, 0, sizeof(a));
			snprintf(a.id, sizeof(a.id), "%s", id);
			snprintf(a.program, sizeof(a.program), PROGRAM);
			snprintf(a.measure, sizeof(a.measure), "model");
			snprintf(a.uscc, sizeof(a.uscc), "%s", r->uscc[0]);
			snprintf(a.policy_hash, sizeof(a.policy_hash), "%s",
				 r->o.policies[0]->hash);
			a.state = APP_RESERVED;
			a.fiscal_year = year;
			a.requested = a.contract_value = 100;
			a.received_at = a.updated_at = r->now;
			a.json = (char[]){"{}"};
			a.decision = (char[]){"{}"};
			(void)store_app_insert(r->o.store, &a, &e);
		} else if (r->napps) {
			struct store_app a;

			if (store_app_get(r->o.store, r->apps[victim].id, &a,
					  &e))
				die(r, "store_app_get: %s", e.msg);
			a.state = APP_WITHDRAWN;
			a.paid += 1;
			(void)store_app_update(r->o.store, &a, &e);
			store_app_release(&a);
		}
	}
	close_office(r);
	r->open = false;
	open_office(r, &r->o);
	r->open = true;
	r->abandons++;
	check_all(r, false);
}

static bool one_step(struct run *r);

/* A crash: the office is closed, a forked child opens it and runs the next
 * steps until it kills itself at store call `at` (store_fault_kill_after),
 * usually inside a verb, reporting each verb as it returns (a verb that
 * returned had committed). The parent replays those steps on the model,
 * opens the office again and checks it whole: what the child committed is
 * there, nothing of the verb it died in. */
static void op_crash(struct run *r)
{
	int k = 1 + (int)below(r, 24);
	long at = (long)below(r, (uint64_t)k * 12);
	char *buf = NULL;
	size_t len = 0, cap = 0, verbs = 0;
	bool killed;
	int fds[2], status;
	pid_t pid;

	if (r->mode != MODE_NORMAL)
		return;
	snprintf(r->verb, sizeof(r->verb),
		 "crash: a child runs up to %d steps and dies at its store "
		 "call %ld",
		 k, at);
	close_office(r);
	r->open = false;
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds))
		die(r, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die(r, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		r->mode = MODE_CHILD;
		r->pipe_w = fds[1];
		open_office(r, &r->o);
		store_fault_kill_after(r->o.store, at);
		for (int j = 0; j < k && r->step < r->steps; j++) {
			r->step++;
			if (!one_step(r))
				break;
		}
		write_all(fds[1], "D", 1);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t n;

		buf = grow(buf, &cap, len + 4096, 1);
		n = read(fds[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(r, "waitpid: %s", strerror(errno));
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == 'F') {
			char msg[2048];

			snprintf(msg, sizeof(msg), "%s", buf + i + 1);
			free(buf);
			die(r, "the crash child failed:\n  %s", msg);
		}
		if (buf[i] != 'V')
			break;
		verbs++;
	}
	free(buf);
	killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	if (!killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		die(r, "the crash child ended with status 0x%x", status);
	r->crashes++;
	r->crash_killed += killed;
	r->crash_steps += (long)verbs;

	/* The model catches up with what the child committed. */
	r->mode = MODE_REPLAY;
	for (size_t j = 0; j < verbs; j++) {
		r->step++;
		one_step(r);
	}
	r->mode = MODE_NORMAL;
	r->ntouched = 0;
	r->refused_year = 0;
	open_office(r, &r->o);
	r->open = true;
	snprintf(r->verb, sizeof(r->verb),
		 "reopened after a crash child: %zu verb(s) returned, then it "
		 "%s",
		 verbs, killed ? "was killed" : "stopped");
	check_all(r, false);
}

/* --- one step ------------------------------------------------------------- */

static enum op pick_op(struct run *r)
{
	uint64_t x = below(r, r->wsum);

	for (int op = 0; op < OP__COUNT; op++) {
		if (x < r->weight[op])
			return (enum op)op;
		x -= r->weight[op];
	}
	return OP_APPLY;
}

/* One step: time moves on, a verb is chosen and run. Returns false when a
 * child must stop before a verb that is not one transaction (expire). */
static bool one_step(struct run *r)
{
	int64_t dt = 1 + (int64_t)below(r, (uint64_t)(2 * r->dt_mean));
	enum op op;

	r->now = r->now + dt <= r->end ? r->now + dt : r->now + 1;
	op = r->napps ? pick_op(r) : OP_APPLY;
	r->verb[0] = '\0';
	r->ntouched = 0;
	r->refused_year = 0;
	r->pools_touched = 0;
	r->pools_whole = false;
	if (r->mode == MODE_CHILD && op == OP_EXPIRE) {
		write_all(r->pipe_w, "S", 1);
		return false;
	}
	switch (op) {
	case OP_APPLY:
		op_apply(r);
		break;
	case OP_RESEND:
		op_resend(r);
		break;
	case OP_OTHER:
		op_other(r);
		break;
	case OP_BAD:
		op_bad(r);
		break;
	case OP_RETRY:
		op_retry(r);
		break;
	case OP_BATCH:
		op_batch(r);
		break;
	case OP_APPROVE:
		op_approve(r);
		break;
	case OP_REJECT:
		op_end(r, APP_REJECTED);
		break;
	case OP_WITHDRAW:
		op_end(r, APP_WITHDRAWN);
		break;
	case OP_DISBURSE:
		op_disburse(r);
		break;
	case OP_CLAWBACK:
		op_clawback(r);
		break;
	case OP_EXPIRE:
		op_expire(r);
		break;
	case OP_NO_SUCH:
		op_no_such(r);
		break;
	case OP_ABANDON:
		op_abandon(r);
		break;
	case OP_CRASH:
		op_crash(r);
		break;
	case OP__COUNT:
		break;
	}
	if (r->mode == MODE_CHILD)
		write_all(r->pipe_w, "V", 1);
	step_checks(r);
	if (r->step % r->check_every == 0)
		check_all(r, true);
	return true;
}

/* --- one seed ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void open_office(struct run *r, struct office *o)
{
	struct qerr e;

	qerr_clear(&e);
	if (office_open(o, r->url, r->chips, &e))
		die(r, "office_open: %s", e.msg);
}

static int count_event(void *arg, const struct store_event *ev)
{
	(void)ev;
	(*(int64_t *)arg)++;
	return 0;
}

/* This seed's mix of verbs and faults (swarm testing). */
static void swarm(struct run *r)
{
	static const unsigned mult[] = {0, 1, 1, 2, 3};
	static const unsigned faults[] = {0, 2, 5, 10, 20};

	r->wsum = 0;
	for (int op = 0; op < OP__COUNT; op++) {
		r->weight[op] = base_weight[op] * mult[below(r, 5)];
		if (op == OP_APPLY && r->weight[op] < 10)
			r->weight[op] = 10;
		r->wsum += r->weight[op];
	}
	r->fault_pct = faults[below(r, 5)];
	r->retry_pct = 50 + (unsigned)below(r, 51);
}

static void run_open(struct run *r)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct stat st;
	struct qerr e;
	bool is_new = false;
	int64_t events = 0;

	snprintf(r->dir, sizeof(r->dir), "%s/quan-vopr-XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
				 access("/dev/shm", W_OK) == 0
			 ? "/dev/shm"
			 : "/tmp");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->policy, sizeof(r->policy), "%s/policy.yaml", r->dir);
	write_file(r->policy, policy_yaml);
	if (testdb_is_pg()) {
		if (testdb_create(&r->tdb))
			fail_msg("cannot create a test database");
		r->pg = true;
		snprintf(r->url, sizeof(r->url), "%s", r->tdb.url);
	} else {
		snprintf(r->url, sizeof(r->url), "%s/vopr.db", r->dir);
	}
	if (chips_load(QUAN_DATADIR "/chips.yaml", &r->chips, &d)) {
		diag_release(&d);
		fail_msg("cannot load %s", QUAN_DATADIR "/chips.yaml");
	}
	diag_release(&d);

	r->now = cst(2025, 3, 1, 9, 0, 0);
	r->end = cst(2026, 12, 20, 18, 0, 0);
	r->win_open = cst(2025, 1, 1, 0, 0, 0);
	r->win_close = cst(2026, 9, 30, 23, 59, 59);
	r->dt_mean = (r->end - r->now) / (r->steps > 0 ? r->steps : 1);
	if (r->dt_mean < 1)
		r->dt_mean = 1;
	snprintf(r->verb, sizeof(r->verb), "setup");
	open_office(r, &r->o);
	r->open = true;
	qerr_clear(&e);
	if (office_load_policy(&r->o, r->policy, "admin", r->now, &is_new, &e))
		fail_msg("office_load_policy: %s", e.msg);
	assert_true(is_new);

	for (int i = 0; i < NFIRMS; i++) {
		char s17[USCC_LEN];

		snprintf(s17, sizeof(s17), "91310115MA1K4AB%02u",
			 (unsigned)(i + 10) % 100u);
		snprintf(r->uscc[i], sizeof(r->uscc[i]), "%s%c", s17,
			 uscc_check_char(s17));
		assert_int_equal(uscc_check(r->uscc[i], USCC_LEN, "uscc", &e),
				 0);
		snprintf(r->ctrl[i], sizeof(r->ctrl[i]), "3101151980010100%02u",
			 (unsigned)i % 100u);
	}
	for (size_t i = 0; i < NPOOLS; i++) {
		r->pools[i].pool = budgets[i].pool;
		r->pools[i].year = budgets[i].year;
		r->pools[i].budget = r->pools[i].available = budgets[i].budget;
	}
	{
		char csv[128];
		long listed = 0;
		int n = snprintf(csv, sizeof(csv),
				 "uscc,name,reason\n%s,firm %d,vopr\n",
				 r->uscc[LISTED], LISTED);

		if (office_list_import(&r->o, "dishonest", csv, (size_t)n,
				       "vopr", "admin", r->now, &listed, &e))
			fail_msg("office_list_import: %s", e.msg);
		assert_int_equal(listed, 1);
	}
	/* The chain so far: the policy, the funding of each pool, the list. */
	if (store_event_each(r->o.store, count_event, &events, &e))
		fail_msg("store_event_each: %s", e.msg);
	assert_int_equal(events, 2 + (int64_t)NPOOLS);
	r->events = events;
	check_all(r, true);
}

static void report(const struct run *r)
{
	char fen_buf[3][MONEY_TEXT_MAX];
	long st[APP__STATE_COUNT] = {0};

	for (size_t i = 0; i < r->napps; i++)
		st[r->apps[i].state]++;
	print_message("seed %llu: %d steps, %zu applications (",
		      (unsigned long long)r->seed, r->steps, r->napps);
	for (int i = 0; i < APP__STATE_COUNT; i++)
		print_message("%s%ld %s", i ? ", " : "", st[i],
			      app_state_name(i));
	print_message(
		"), %lld events, faults %u%% (%ld in sweeps), %ld full "
		"checks, %ld abandons, %ld crashes (%ld killed, %ld verbs "
		"in children)\n",
		(long long)r->events, r->fault_pct, r->swept, r->checks,
		r->abandons, r->crashes, r->crash_killed, r->crash_steps);
	for (size_t i = 0; i < NPOOLS; i++)
		print_message("  pool %s/%d: available %s, waitlist %zu\n",
			      r->pools[i].pool, r->pools[i].year,
			      fen(r->pools[i].available, M1),
			      r->pools[i].nwait);
	for (int op = 0; op < OP__COUNT; op++)
		print_message(
			"  %-14s weight %3u: %5ld ok %5ld refused, faults "
			"%ld of %ld armed\n",
			op_names[op], r->weight[op], r->ok[op], r->no[op],
			r->faults[op], r->armed[op]);
	{
		long hits, reads;

		hot_contracts_counts(
			office_hot_contracts((struct office *)&r->o), &hits,
			&reads);
		print_message("  contract index: %ld lookups from memory, %ld "
			      "firms read\n",
			      r->cidx_hits + hits, r->cidx_reads + reads);
	}
	print_message("  reached:");
	for (int c = 0; c < COV__COUNT; c++)
		print_message(" %s %ld%s", cov_names[c], r->cov[c],
			      c + 1 < COV__COUNT ? "," : "\n");
}

static void test_seed(void **state)
{
	struct run *r = *state;

	r->rng = r->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (!r->rng)
		r->rng = 1;
	swarm(r);
	run_open(r);
	while (r->step < r->steps) {
		r->step++;
		one_step(r);
	}
	snprintf(r->verb, sizeof(r->verb), "the end");
	check_all(r, true);
	if (getenv("VOPR_VERBOSE"))
		report(r);
	if (r->cap_breach[0])
		fail_msg("%s\n  replay: VOPR_SEED=%llu VOPR_STEPS=%d "
			 "build/tests/test_vopr",
			 r->cap_breach, (unsigned long long)r->seed, r->steps);
}

/* --- setup, teardown, seeds ----------------------------------------------- */

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

static int setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->seed = *(const uint64_t *)*state;
	r->check_every = (int)env_u64("VOPR_CHECK_EVERY", CHECK_EVERY);
	if (r->check_every < 1)
		r->check_every = CHECK_EVERY;
	/* On PostgreSQL each call is a round trip: a fifth of the steps. */
	r->steps = (int)env_u64("VOPR_STEPS", testdb_is_pg() ? DEFAULT_STEPS / 5
							     : DEFAULT_STEPS);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct run *r = *state;

	if (r->open)
		office_close(&r->o);
	chips_free(r->chips);
	if (r->pg)
		testdb_drop(&r->tdb);
	if (r->dir[0]) {
		static const char *const files[] = {
			"policy.yaml", "vopr.db", "vopr.db-wal", "vopr.db-shm",
			"vopr.db-journal"};
		char p[300];

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", r->dir, files[i]);
			unlink(p);
		}
		rmdir(r->dir);
	}
	for (size_t i = 0; i < r->napps; i++) {
		free(r->apps[i].d.json);
		free(r->apps[i].ev);
	}
	free(r->apps);
	for (size_t i = 0; i < NPOOLS; i++)
		free(r->pools[i].wait);
	for (size_t i = 0; i < r->nretry; i++)
		draft_free(&r->retry[i]);
	free(r->touched);
	free(r);
	return 0;
}

#define MAX_SEEDS 256

/* The seeds `make check` runs: chosen so that each draws I/O faults and
 * that between them every verb and fault is weighed in at least three
 * (seed 15 never expires, 16 sends no other bytes and withdraws nothing,
 * 7 retries no refused application, 12 runs no refused verbs). */
static const uint64_t defaults[] = {15, 16, 7, 12};

int main(void)
{
	static uint64_t seeds[MAX_SEEDS];
	static char names[MAX_SEEDS][48];
	static struct CMUnitTest tests[MAX_SEEDS];
	uint64_t more = env_u64("SEEDS", 0),
		 base = env_u64("VOPR_SEED_BASE", 1000);
	size_t n = 0;

	if (getenv("VOPR_SEED") && *getenv("VOPR_SEED")) {
		seeds[n++] = env_u64("VOPR_SEED", 1);
	} else {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]);
		     i++)
			seeds[n++] = defaults[i];
		for (uint64_t i = 0; i < more && n < MAX_SEEDS; i++)
			seeds[n++] = base + i;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "vopr, seed %llu",
			 (unsigned long long)seeds[i]);
		tests[i] = (struct CMUnitTest){names[i], test_seed, setup,
					       teardown, &seeds[i]};
	}
	return _cmocka_run_group_tests("vopr", tests, n, NULL, NULL);
}
