/*
 * cmd_demo.c - `quan demo`: fill an office with generated applications to
 * the Shanghai 2025 program, so the dashboard has something to show.
 *
 * The applications come from sim/gen.h, submitted evenly over the program's
 * window in the order they are applied, with a few ineligible ones and a
 * fixed number of large ones (about 75, whatever the count), so that the
 * pools run low near the end and some large applications are waitlisted.
 * They are applied as `quan apply` does (office_apply_batch, one fsync per
 * batch), one batch per day of submission. About a third of those reserved
 * are approved by "demo-reviewer" (and "demo-reviewer-2" where the policy
 * asks for two approvers); half of the awards are paid by "demo-finance",
 * another person, as separation of duties requires: half the award, and
 * every second one of those in full, in a second tranche.
 *
 * The Shanghai policy posts its awards in a public notice (公示) for 5
 * working days before any is paid. The demo's administrator (--by) opens a
 * notice over every award waiting for one on a day of submission when none
 * runs, and closes it on the first such day after its last working day;
 * the awards chosen for payment are paid then. So the office has closed
 * notices, paid awards, and usually one notice still running at its clock.
 *
 * Every step is dated as if it happened on its day: a batch at its last
 * submission, the reviews and payments of its applications at the same
 * time. The ledger's clock only moves forward, so for the transfers (and a
 * burn-down chart drawn from them) to spread over the window, the policy
 * must be loaded by the demo (--policy, on a fresh database: loaded and
 * funded as of the window's opening); in an office made today by `quan
 * init`, every transfer of the demo is stamped after the funding, today.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "office/office.h"
#include "policy/holidays.h"
#include "sim/gen.h"

#define DEMO_PROGRAM "shanghai-2025"
#define DEMO_MEASURE "compute-rent" /* its window is the program's */
#define DEMO_BATCH 256
#define DEMO_MAX_COUNT 10000000L
#define DEMO_LARGE 7500 /* large_pct x count: ~75 large applications */
#define DEMO_INELIGIBLE_PCT 5
#define REVIEWER "demo-reviewer"
#define REVIEWER2 "demo-reviewer-2"
#define FINANCE "demo-finance"

static const char usage[] =
	"usage: quan demo --db FILE --count N [--seed S] [--by NAME]\n"
	"                 [--policy FILE] [--prefix P] [--chips FILE]\n"
	"Apply N generated applications to the Shanghai 2025 program (ids\n"
	"P0000000..., P defaulting to demo-; the office numbers them),\n"
	"imported as received over its window;\n"
	"approve about a third of the reserved ones (by demo-reviewer) and pay\n"
	"part of some awards (by demo-finance) once their public notice, opened\n"
	"and closed by NAME, has run; each step dated on the day it\n"
	"would have happened. --policy loads the policy as of the window's\n"
	"opening (give it on a fresh database, so the pools burn down over\n"
	"the window); without it the office must hold the program already.\n"
	"Running it again with the same seed and prefix changes nothing;\n"
	"another seed needs another --prefix.\n";

struct demo_opts {
	const char *db, *by, *policy, *prefix, *chips;
	long count;
	unsigned long long seed;
};

/* A whole number in lo..hi; prints the error. */
static int parse_num(const char *opt, const char *s, unsigned long long lo,
		     unsigned long long hi, unsigned long long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	*out = strtoull(s, &end, 10);
	if (*end || *out < lo || *out > hi)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "quan: %s: '%s' is not a number from %llu to %llu\n",
		opt, s, lo, hi);
	return -1;
}

static int parse(int argc, char **argv, struct demo_opts *o)
{
	unsigned long long v;

	memset(o, 0, sizeof(*o));
	o->by = "demo";
	o->seed = 1;
	o->count = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--db") && strcmp(a, "--by") &&
		    strcmp(a, "--policy") && strcmp(a, "--prefix") &&
		    strcmp(a, "--chips") && strcmp(a, "--count") &&
		    strcmp(a, "--seed")) {
			fprintf(stderr, "quan: unknown argument '%s'\n\n%s", a,
				usage);
			return -1;
		}
		if (!val) {
			fprintf(stderr, "quan: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--db")) {
			o->db = val;
		} else if (!strcmp(a, "--by")) {
			o->by = val;
		} else if (!strcmp(a, "--policy")) {
			o->policy = val;
		} else if (!strcmp(a, "--prefix")) {
			o->prefix = val;
		} else if (!strcmp(a, "--chips")) {
			o->chips = val;
		} else if (!strcmp(a, "--count")) {
			if (parse_num(a, val, 1, DEMO_MAX_COUNT, &v))
				return -1;
			o->count = (long)v;
		} else if (parse_num(a, val, 0, UINT64_MAX, &v)) {
			return -1;
		} else {
			o->seed = v;
		}
	}
	if (!o->db || o->count < 0 || !*o->by) {
		fprintf(stderr,
			"quan: --db FILE and --count N are required\n\n%s",
			usage);
		return -1;
	}
	return 0;
}

/* An award chosen for payment, waiting for its notice to be closed:
 * half of it is paid, and all of it when full. posted: the notice it is
 * in (its number in this run, from 1), 0 before one is opened. */
struct to_pay {
	char id[64];
	money_t amount;
	bool full;
	long posted;
};

/* What the run did, for the summary line, and the awards it will pay. */
struct tally {
	long applied, existed, refused;
	long state[APP__STATE_COUNT]; /* as applied */
	long approved, second, paid_part, paid_full;
	money_t paid;
	long notices, closed; /* opened and closed in this run */
	struct to_pay *pay;   /* owned */
	size_t npay, cap;
	/* The notice running, if one is (running: its number). */
	long running;
	char notice[96];
	qdate ends_on;
};

/* Pay award w at time `at`: half of it, and the rest when w->full. */
static int pay(struct office *off, const struct to_pay *w, int64_t at,
	       struct tally *t)
{
	struct qerr e;
	money_t half = w->amount / 2 > 0 ? w->amount / 2 : w->amount;
	int rc;

	assert(w && w->amount > 0);
	qerr_clear(&e);
	rc = office_disburse(off, w->id, half, FINANCE, at, &e);
	if (!rc && w->full && w->amount - half > 0) {
		rc = office_disburse(off, w->id, w->amount - half, FINANCE, at,
				     &e);
		if (!rc) {
			t->paid_full++;
			t->paid += w->amount;
			return 0;
		}
	}
	if (rc) {
		fprintf(stderr, "quan: paying '%s': %s\n", w->id, e.msg);
		return cli_exit_for(rc);
	}
	t->paid_part++;
	t->paid += half;
	return 0;
}

/* The index in p of the measure of application id, or -1. */
static int measure_of(struct office *off, const struct policy *p,
		      const char *id)
{
	struct store_app a;
	struct qerr e;
	int m = -1;

	assert(off && p && id);
	qerr_clear(&e);
	if (store_app_get(off->store, id, &a, &e) == Q_OK) {
		m = policy_find_measure(p, a.measure, strlen(a.measure));
		store_app_release(&a);
	}
	return m;
}

/* Approve one reserved application at time `at`, and choose every second
 * award for payment: half of it, and every second one of those the rest
 * as well, paid once its notice is closed (at once when its measure
 * posts no notice). */
static int review_and_pay(struct office *off, const struct policy *p,
			  const char *id, int64_t at, struct tally *t)
{
	struct office_result r;
	struct qerr e;
	struct to_pay w;
	int m, rc;

	qerr_clear(&e);
	rc = office_approve(off, id, -1, -1, REVIEWER, at, &r, &e);
	/* A first approval of a two-person award leaves it reserved. */
	if (!rc && r.state == APP_RESERVED) {
		t->second++;
		rc = office_approve(off, id, -1, -1, REVIEWER2, at, &r, &e);
	}
	if (rc) {
		fprintf(stderr, "quan: approving '%s': %s\n", id, e.msg);
		return cli_exit_for(rc);
	}
	if (r.state != APP_AWARDED)
		return 0;
	if (t->approved++ % 2 || r.amount <= 0)
		return 0;
	memset(&w, 0, sizeof(w));
	snprintf(w.id, sizeof(w.id), "%.63s", id);
	w.amount = r.amount;
	w.full = t->approved % 4 == 1;
	m = measure_of(off, p, id);
	if (m < 0 || p->measures[m].notice_days == 0)
		return pay(off, &w, at, t);
	if (t->npay == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct to_pay *grown = realloc(t->pay, cap * sizeof(*grown));

		if (!grown) {
			fputs("quan: out of memory\n", stderr);
			return EXIT_BAD_INPUT;
		}
		t->pay = grown;
		t->cap = cap;
	}
	t->pay[t->npay++] = w;
	return 0;
}

/* The demo's notices at time `at`: the one running is closed once its
 * days have run and its awards chosen for payment are paid; then, when
 * none runs, one is opened over every award waiting for one. A notice
 * that would reach a year the calendar does not hold (the window's last
 * days) is not opened: its awards wait. */
static int notices(struct office *off, const struct holidays *cal,
		   const char *by, int64_t at, struct tally *t)
{
	struct office_notice n;
	struct qerr e;
	size_t kept = 0;
	int rc;

	assert(off && cal && t);
	qerr_clear(&e);
	if (t->running && date_of_instant(at) > t->ends_on) {
		rc = office_notice_close(off, t->notice, by, at, &n, &e);
		if (rc) {
			fprintf(stderr, "quan: closing '%s': %s\n", t->notice,
				e.msg);
			return cli_exit_for(rc);
		}
		t->closed++;
		for (size_t k = 0; k < t->npay; k++) {
			if (t->pay[k].posted != t->running) {
				t->pay[kept++] = t->pay[k];
				continue;
			}
			if ((rc = pay(off, &t->pay[k], at, t)))
				return rc;
		}
		t->npay = kept;
		t->running = 0;
	}
	if (t->running)
		return 0;
	rc = office_notice_open_program(off, cal, DEMO_PROGRAM, NULL, by, at,
					&n, &e);
	if (rc == Q_ERR_CONFLICT || rc == Q_ERR_INVALID)
		return 0; /* none waits, or it would outrun the calendar */
	if (rc) {
		fprintf(stderr, "quan: opening a notice: %s\n", e.msg);
		return cli_exit_for(rc);
	}
	t->running = ++t->notices;
	snprintf(t->notice, sizeof(t->notice), "%.95s", n.id);
	t->ends_on = n.ends_on;
	for (size_t k = 0; k < t->npay; k++)
		if (!t->pay[k].posted)
			t->pay[k].posted = t->running;
	return 0;
}

/* Generate and apply every application, one batch per day of submission
 * (at most DEMO_BATCH), dated at the batch's last submission; every third
 * application reserved is approved and perhaps paid at the same time.
 * Prints the first refusals; returns non-zero when the store failed. */
static int run(struct office *off, const struct demo_opts *o,
	       const struct policy *p, const struct holidays *cal,
	       const struct gen *g, struct tally *t)
{
	static char text[DEMO_BATCH][GEN_APP_MAX];
	static size_t lens[DEMO_BATCH];
	static struct office_result res[DEMO_BATCH];
	static struct office_intake in[DEMO_BATCH];
	static int rcs[DEMO_BATCH];
	static struct qerr errs[DEMO_BATCH];
	int64_t clock = 0;
	long reserved = 0;
	struct qerr e;

	for (long i = 0; i < o->count;) {
		int64_t day = -1, at = 0;
		long applied = t->applied;
		size_t n = 0;
		int rc;

		while (i < o->count && n < DEMO_BATCH) {
			if (gen_application(g, (uint64_t)i, text[n],
					    sizeof(text[n]), &lens[n])) {
				fprintf(stderr,
					"quan: cannot generate application %ld\n",
					i);
				return EXIT_BAD_INPUT;
			}
			if (gen_received_at(g, (uint64_t)i, &at)) {
				fprintf(stderr,
					"quan: cannot generate application %ld\n",
					i);
				return EXIT_BAD_INPUT;
			}
			/* A new day starts the next batch (generated again). */
			if (n && (at + 8 * 3600) / 86400 != day)
				break;
			day = (at + 8 * 3600) / 86400;
			clock = at > clock ? at : clock;
			/* The demo's history is an administrator's import,
			 * each application received when it was generated
			 * to arrive, and audited as such. */
			in[n].json = text[n];
			in[n].len = lens[n];
			in[n].by = o->by;
			in[n].received_at = at;
			in[n].imported = true;
			n++;
			i++;
		}
		qerr_clear(&e);
		rc = office_intake_batch(off, in, n, clock, res, rcs, errs, &e);
		if (rc) {
			fprintf(stderr, "quan: not recorded: %s\n", e.msg);
			return cli_exit_for(rc);
		}
		for (size_t k = 0; k < n; k++) {
			if (rcs[k]) {
				/* The first few: the rest are alike. */
				if (t->refused++ < 5)
					fprintf(stderr, "quan: %s\n",
						errs[k].msg);
				continue;
			}
			if (res[k].existed) {
				t->existed++;
				continue;
			}
			t->applied++;
			if (res[k].state >= 0 &&
			    res[k].state < APP__STATE_COUNT)
				t->state[res[k].state]++;
			if (res[k].state == APP_RESERVED &&
			    reserved++ % 3 == 0 &&
			    (rc = review_and_pay(off, p, res[k].id, clock, t)))
				return rc;
		}
		/* A run again (every application submitted before) changes
		 * nothing: no notice is opened or closed either. */
		if (t->applied > applied &&
		    (rc = notices(off, cal, o->by, clock, t)))
			return rc;
	}
	return 0;
}

/* The program's window as local (Shanghai) days, from its policy p. */
static int window_days(const struct policy *p, qdate *first, int *days,
		       int64_t *opens)
{
	int m = policy_find_measure(p, DEMO_MEASURE, strlen(DEMO_MEASURE));

	if (m < 0 || p->measures[m].window_opens == INT64_MIN ||
	    p->measures[m].window_closes == INT64_MAX)
		return -1;
	*opens = p->measures[m].window_opens;
	*first = (qdate)((*opens + 8 * 3600) / 86400);
	*days = (int)((p->measures[m].window_closes + 8 * 3600) / 86400 -
		      *first + 1);
	return *days > 0 ? 0 : -1;
}

/* The program's policy in the office, or NULL. */
static const struct policy *find_program(const struct office *off)
{
	for (size_t k = 0; k < off->npolicies; k++)
		if (!strcmp(off->policies[k]->program, DEMO_PROGRAM))
			return off->policies[k];
	return NULL;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_opts o;
	struct office off;
	struct chip_catalog *chips = NULL;
	const struct policy *p;
	struct gen *g = NULL;
	struct holidays cal = {NULL, 0};
	struct tally t;
	struct qerr e;
	char from[DATE_TEXT_MAX], to[DATE_TEXT_MAX], paid[MONEY_TEXT_MAX];
	int64_t opens;
	qdate first;
	int days, rc = 0;

	if (parse(argc, argv, &o))
		return EXIT_BAD_INPUT;
	memset(&t, 0, sizeof(t));
	if ((rc = cli_load_chips(o.chips, &chips)))
		return rc;
	/* The working days of the public notices. */
	if ((rc = cli_load_holidays(&cal))) {
		holidays_release(&cal);
		chips_free(chips);
		return rc;
	}
	qerr_clear(&e);
	if (office_open(&off, o.db, chips, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		holidays_release(&cal);
		chips_free(chips);
		return EXIT_BAD_INPUT;
	}
	cli_clock_mark(&off);
	if (o.policy) {
		struct policy *fp;
		bool is_new;

		/* Loaded (and its pools funded) as of the window's opening,
		 * so the whole demo is dated inside the window. */
		if ((rc = cli_load_policy(o.policy, &fp)))
			goto out;
		if (window_days(fp, &first, &days, &opens)) {
			policy_free(fp);
			fprintf(stderr,
				"quan: %s: measure '%s' has no window: not a Shanghai 2025 policy\n",
				o.policy, DEMO_MEASURE);
			rc = EXIT_BAD_INPUT;
			goto out;
		}
		policy_free(fp);
		rc = office_load_policy(&off, o.policy, o.by, opens, &is_new,
					&e);
		if (rc) {
			fprintf(stderr, "quan: %s\n", e.msg);
			rc = cli_exit_for(rc);
			goto out;
		}
	}
	p = find_program(&off);
	if (!p || window_days(p, &first, &days, &opens)) {
		fprintf(stderr,
			"quan: %s: no program '%s' with a window: give --policy policies/shanghai-2025.yaml\n",
			o.db, DEMO_PROGRAM);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	g = malloc(sizeof(*g));
	if (!g) {
		fputs("quan: out of memory\n", stderr);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	gen_init(g, (uint64_t)o.seed);
	/* Client references that do not look like the office's numbers. */
	if (gen_set_prefix(g, o.prefix ? o.prefix : "demo-")) {
		fprintf(stderr,
			"quan: --prefix: '%s' is not up to %d letters, digits, '-' or '_'\n",
			o.prefix, GEN_PREFIX_MAX);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	/* The history ends before the office's now: nothing is received
	 * after the moment the demo office stands at (QUAN_NOW). */
	if (date_of_instant(cli_now()) - first < days)
		days = date_of_instant(cli_now()) - first;
	if (days < 1) {
		fprintf(stderr,
			"quan: the office's clock is before the window of '%s' opens\n",
			DEMO_PROGRAM);
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	g->opt.first_day = first;
	g->opt.days = days;
	g->opt.spread_count = (uint64_t)o.count;
	g->opt.ineligible_pct = DEMO_INELIGIBLE_PCT;
	g->opt.typical_sizes = 1; /* a demo looks like a real round */
	g->opt.large_pct = (int)((DEMO_LARGE + o.count - 1) / o.count);
	if (g->opt.large_pct > 100)
		g->opt.large_pct = 100;

	if ((rc = run(&off, &o, p, &cal, g, &t)))
		goto out;
	printf("demo: %s: %ld applications to %s submitted %s..%s: %ld reserved, %ld awarded (%ld paid in part, %ld in full: %s yuan), %ld waitlisted, %ld queued, %ld ineligible",
	       o.db, t.applied, DEMO_PROGRAM, date_format(first, from),
	       date_format(first + days - 1, to),
	       t.state[APP_RESERVED] - t.approved, t.approved, t.paid_part,
	       t.paid_full, money_format(t.paid, paid), t.state[APP_WAITLISTED],
	       t.state[APP_QUEUED], t.state[APP_INELIGIBLE]);
	printf("; %ld public notices (%ld closed, %zu awards chosen for payment wait for theirs)",
	       t.notices, t.closed, t.npay);
	if (t.existed)
		printf("; %ld submitted before", t.existed);
	if (t.refused)
		printf("; %ld refused", t.refused);
	printf("\n");
	if (t.refused) {
		fprintf(stderr,
			"quan: %ld applications refused (ids used before with another seed? give --prefix)\n",
			t.refused);
		rc = EXIT_BAD_INPUT;
	}
out:
	free(t.pay);
	free(g);
	office_close(&off);
	holidays_release(&cal);
	chips_free(chips);
	return rc;
}
