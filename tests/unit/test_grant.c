/*
 * test_grant.c - institute grants on a commitment pool (src/office/pool.c,
 * pay.c): a grant of up to 500 M over 3 to 5 years is held whole from the
 * pool's one budget, in tranches its own schedule sets (the odd fen to the
 * earliest years), each posted by its milestone and paid in its own year;
 * the ledger balances after every step. A second grant that does not fit
 * waits, across fiscal years, and is served when the first is rejected; a
 * grant reaching past the commitment's last year is refused.
 *
 * The schedules run on the bundled Shanghai policy (two approvers above
 * 1 M); the waitlist on a small policy whose window spans 2025-2027.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "office/office.h"
#include "office/office_int.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testoffice.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW_2025 1763604000
/* 2026-03-02T10:00:00+08:00 and 2027-03-02T10:00:00+08:00. */
#define NOW_2026 1772416800
#define NOW_2027 1803952800

#define M500 ((money_t)500000000 * 100)

static const char small_policy[] =
	"program: grant-test\n"
	"name: \"grant test\"\n"
	"issuer: \"test\"\n"
	"currency: CNY\n"
	"sources:\n"
	"  - id: t\n"
	"    title: \"the grant test\"\n"
	"    url: \"https://example.org/grants/1.html\"\n"
	"pools:\n"
	"  - id: institute\n"
	"    name: \"institute pool\"\n"
	"    commitment:\n"
	"      amount: \"500000000.00\"\n"
	"      from: 2025\n"
	"      until: 2029\n"
	"    source: t\n"
	"measures:\n"
	"  - id: institute\n"
	"    name: \"institute grant\"\n"
	"    source: t\n"
	"    pool: institute\n"
	"    kinds: [grant]\n"
	"    allocation: first-come-first-served\n"
	"    window:\n"
	"      opens: 2025-01-01T00:00:00+08:00\n"
	"      closes: 2027-12-31T23:59:59+08:00\n"
	"    base: contract.value\n"
	"    grant: { years_min: 3, years_max: 5 }\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - id: all\n"
	"          rate: 100%\n"
	"          says: \"the grant asked\"\n"
	"          source: t\n";

struct fx {
	struct testdb db;
	struct chip_catalog *chips;
	struct office o;
	char *example; /* examples/applications/sh-institute.json */
	size_t len;
	char policy_path[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct qerr e;
	bool is_new;
	FILE *out;
	int fd;

	assert_non_null(f);
	testoffice_open(&f->db, &f->chips, &f->o,
			QUAN_POLICYDIR "/shanghai-2025.yaml", NOW_2025);
	snprintf(f->policy_path, sizeof(f->policy_path),
		 "/tmp/quan-grant-XXXXXX");
	fd = mkstemp(f->policy_path);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	assert_non_null(out);
	fputs(small_policy, out);
	fclose(out);
	if (office_load_policy(&f->o, f->policy_path, "admin", NOW_2025,
			       &is_new, &e))
		fail_msg("%s", e.msg);
	testoffice_example("sh-institute.json", &f->example, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->example);
	unlink(f->policy_path);
	testoffice_close(&f->db, f->chips, &f->o);
	free(f);
	return 0;
}

/* The example grant as program `program` asks it: `value` yuan over
 * `months`, signed on `signed_on`, with its own reference and number. */
static void grant_text(struct fx *f, const char *program, const char *ref,
		       const char *value, int months, const char *signed_on,
		       char *buf, size_t n)
{
	char x[96];

	snprintf(buf, n, "%s", f->example);
	snprintf(x, sizeof(x), "\"%s\"", program);
	testoffice_swap(buf, n, "\"shanghai-2025\"", x);
	snprintf(x, sizeof(x), "\"%s\"", ref);
	testoffice_swap(buf, n, "\"sh-institute-1\"", x);
	snprintf(x, sizeof(x), "\"%s\"", value);
	testoffice_swap(buf, n, "\"500000000.00\"", x);
	snprintf(x, sizeof(x), "\"term_months\": %d", months);
	testoffice_swap(buf, n, "\"term_months\": 60", x);
	snprintf(x, sizeof(x), "\"%s\"", signed_on);
	testoffice_swap(buf, n, "\"2025-10-15\"", x);
	snprintf(x, sizeof(x), "\"INST-%s\"", ref);
	testoffice_swap(buf, n, "\"SH-AI-INST-2025-01\"", x);
}

/* Apply; the office's outcome goes to *res. Returns office_apply's code. */
static int apply(struct fx *f, const char *program, const char *ref,
		 const char *value, int months, const char *signed_on,
		 int64_t now, struct office_result *res, struct qerr *e)
{
	char buf[8192];

	grant_text(f, program, ref, value, months, signed_on, buf, sizeof(buf));
	qerr_clear(e);
	return office_apply(&f->o, buf, strlen(buf), "institute", now, res, e);
}

static void ledger_ok(struct fx *f)
{
	struct qerr e;
	long problems = office_ledger_check(&f->o, stderr, &e);

	assert_int_equal(problems, 0);
}

struct figs {
	const char *program;
	struct office_pool_figures f;
	int rows;
};

static int figs_of(void *arg, const struct office_pool_figures *p)
{
	struct figs *g = arg;

	if (!strcmp(p->program, g->program) && !strcmp(p->pool, "institute")) {
		g->f = *p;
		g->rows++;
	}
	return 0;
}

/* The institute pool of program: one row, a commitment 2025-2029. */
static struct office_pool_figures institute(struct fx *f, const char *program)
{
	struct figs g;
	struct qerr e;

	memset(&g, 0, sizeof(g));
	g.program = program;
	assert_int_equal(office_pools_each(&f->o, figs_of, &g, &e), 0);
	assert_int_equal(g.rows, 1);
	assert_int_equal(g.f.year, 2025);
	assert_int_equal(g.f.until, 2029);
	assert_int_equal(g.f.budget, M500);
	return g.f;
}

/* The amount of transfer "reserve/<id>/<year>", -1 when there is none. */
static money_t tranche(struct fx *f, const char *id, int year)
{
	const struct ledger_io *io = office_ledger(&f->o);
	struct ledger_transfer t;
	char tid[LEDGER_ID_MAX];

	snprintf(tid, sizeof(tid), "reserve/%s/%d", id, year);
	return io->transfer_get(io->ctx, tid, &t) ? -1 : t.amount;
}

static int state_of(struct fx *f, const char *id)
{
	struct store_app a;
	struct qerr e;
	int s;

	assert_int_equal(store_app_get(f->o.store, id, &a, &e), 0);
	s = a.state;
	store_app_release(&a);
	return s;
}

/* 500 M over `months` on Shanghai's policy: reserved whole with the
 * tranches want[], approved by two, then year by year a milestone posts
 * the tranche and finance pays it; the ledger balances after each. */
static void grant_paid_year_by_year(struct fx *f, int months,
				    const money_t *want, int n)
{
	struct office_result res;
	struct office_pool_figures p;
	money_t sum = 0, paid = 0, posted;
	struct qerr e;
	char id[64];

	assert_int_equal(apply(f, "shanghai-2025", "g", "500000000.00", months,
			       "2025-10-15", NOW_2025, &res, &e),
			 0);
	assert_int_equal(res.state, APP_RESERVED);
	snprintf(id, sizeof(id), "%s", res.id);
	for (int k = 0; k < n; k++) {
		assert_int_equal(tranche(f, id, 2025 + k), want[k]);
		sum += want[k];
	}
	assert_int_equal(tranche(f, id, 2025 + n), -1);
	assert_int_equal(sum, M500);
	p = institute(f, "shanghai-2025");
	assert_int_equal(p.reserved, M500);
	assert_int_equal(p.available, 0);
	ledger_ok(f);

	assert_int_equal(
		office_approve(&f->o, id, -1, -1, "rev-a", NOW_2025, &res, &e),
		0);
	assert_int_equal(res.state, APP_RESERVED); /* above 1 M: two */
	assert_int_equal(
		office_approve(&f->o, id, -1, -1, "rev-b", NOW_2025, &res, &e),
		0);
	assert_int_equal(res.state, APP_AWARDED);
	ledger_ok(f);
	for (int k = 0; k < n; k++) {
		int year = 2025 + k;

		assert_int_equal(office_milestone(&f->o, id, year, "done",
						  "rev-a", NOW_2025, &posted,
						  &e),
				 0);
		assert_int_equal(posted, want[k]);
		ledger_ok(f);
		/* Not a fen more than the posted tranches. */
		assert_int_not_equal(office_disburse(&f->o, id, want[k] + 1,
						     "finance", NOW_2025, &e),
				     0);
		assert_int_equal(office_disburse(&f->o, id, want[k], "finance",
						 NOW_2025, &e),
				 0);
		paid += want[k];
		ledger_ok(f);
		p = institute(f, "shanghai-2025");
		assert_int_equal(p.paid, paid);
		assert_int_equal(p.reserved, M500 - paid);
		assert_int_equal(p.available, 0);
		assert_int_equal(p.awarded, 0);
	}
	assert_int_equal(paid, M500);
}

static void test_36_months(void **state)
{
	/* 500 000 000.00 / 3: the odd fen to the earliest years. */
	const money_t want[3] = {16666666667, 16666666667, 16666666666};

	grant_paid_year_by_year(*state, 36, want, 3);
}

static void test_48_months(void **state)
{
	const money_t want[4] = {12500000000, 12500000000, 12500000000,
				 12500000000};

	grant_paid_year_by_year(*state, 48, want, 4);
}

static void test_60_months(void **state)
{
	const money_t want[5] = {10000000000, 10000000000, 10000000000,
				 10000000000, 10000000000};

	grant_paid_year_by_year(*state, 60, want, 5);
}

/* 400 M of 2025 holds the pool; 200 M of 2026 waits, and so does 50 M of
 * 2026 behind it though it would fit (no overtaking, across years); when
 * the 2025 grant is rejected both are served. */
static void test_waitlist_across_years(void **state)
{
	struct fx *f = *state;
	struct office_result res;
	struct office_pool_figures p;
	struct qerr e;
	char a[64], b[64], c[64];

	assert_int_equal(apply(f, "grant-test", "a", "400000000.00", 36,
			       "2025-10-15", NOW_2025, &res, &e),
			 0);
	assert_int_equal(res.state, APP_RESERVED);
	snprintf(a, sizeof(a), "%s", res.id);
	assert_int_equal(apply(f, "grant-test", "b", "200000000.00", 36,
			       "2026-02-01", NOW_2026, &res, &e),
			 0);
	assert_int_equal(res.state, APP_WAITLISTED);
	snprintf(b, sizeof(b), "%s", res.id);
	assert_non_null(strstr(b, "-2026-"));
	assert_int_equal(apply(f, "grant-test", "c", "50000000.00", 36,
			       "2026-02-02", NOW_2026, &res, &e),
			 0);
	assert_int_equal(res.state, APP_WAITLISTED);
	snprintf(c, sizeof(c), "%s", res.id);
	p = institute(f, "grant-test");
	assert_int_equal(p.reserved, (money_t)400000000 * 100);
	assert_int_equal(p.count[APP_WAITLISTED], 2);
	ledger_ok(f);

	assert_int_equal(office_reject(&f->o, a, "no site found", "rev-a",
				       NOW_2026, &res, &e),
			 0);
	assert_int_equal(state_of(f, b), APP_RESERVED);
	assert_int_equal(state_of(f, c), APP_RESERVED);
	/* b's tranches are its own years', from the one commitment. */
	assert_int_equal(tranche(f, b, 2026), 6666666667);
	assert_int_equal(tranche(f, b, 2027), 6666666667);
	assert_int_equal(tranche(f, b, 2028), 6666666666);
	p = institute(f, "grant-test");
	assert_int_equal(p.reserved, (money_t)250000000 * 100);
	assert_int_equal(p.available, (money_t)250000000 * 100);
	assert_int_equal(p.count[APP_RESERVED], 2);
	assert_int_equal(p.count[APP_REJECTED], 1);
	ledger_ok(f);
}

/* A grant of 2027 over 48 months would have a tranche in 2030, after the
 * commitment's last year: refused, nothing held. */
static void test_past_commitment_refused(void **state)
{
	struct fx *f = *state;
	struct office_result res;
	struct office_pool_figures p;
	struct qerr e;
	int rc;

	rc = apply(f, "grant-test", "late", "100000000.00", 48, "2027-02-01",
		   NOW_2027, &res, &e);
	if (rc == 0)
		fail_msg("a grant reaching 2030 was %s",
			 app_state_name(res.state));
	assert_non_null(strstr(e.msg, "no budget for fiscal year 2030"));
	/* Over 36 months (2027-2029) it fits. */
	assert_int_equal(apply(f, "grant-test", "in", "100000000.00", 36,
			       "2027-02-01", NOW_2027, &res, &e),
			 0);
	assert_int_equal(res.state, APP_RESERVED);
	p = institute(f, "grant-test");
	assert_int_equal(p.reserved, (money_t)100000000 * 100);
	ledger_ok(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_36_months, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_48_months, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_60_months, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_waitlist_across_years,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_past_commitment_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
