/*
 * test_decide.c - the decision engine over a small inline policy: hit
 * policies, caps, relaxed caps, dated parameters, windows, kinds, derived
 * facts, and the decision errors that must never become silent defaults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uscc.h"
#include "engine/decide.h"
#include "engine/record.h"
#include "engine/render.h"

static const char policy_text[] =
	"program: t\n"
	"name: test\n"
	"issuer: nobody\n"
	"currency: CNY\n"
	"sources:\n"
	"  - { id: s, title: t, url: u }\n"
	"parameters:\n"
	"  sme_rate:\n"
	"    values: { 2025-06-13: \"50%\", 2025-10-01: null }\n"
	"    source: s\n"
	"pools:\n"
	"  - { id: p, name: p, budgets: { 2025: \"1000000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: m\n"
	"    name: m\n"
	"    pool: p\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    window: { opens: 2025-01-01T00:00:00+08:00, closes: 2025-12-31T23:59:59+08:00 }\n"
	"    eligibility:\n"
	"      - { id: city, when: applicant.registered_city == \"shanghai\", source: s }\n"
	"      - { id: unrelated, when: \"!related_party\", source: s }\n"
	"    rates:\n"
	"      hit: max\n"
	"      rows:\n"
	"        - { id: domestic, when: compute.domestic, rate: 30%, source: s }\n"
	"        - { id: other, rate: 20%, source: s }\n"
	"        - { id: sme, when: applicant.sme, rate: param.sme_rate, source: s }\n"
	"    caps:\n"
	"      - { id: contract, per: contract, limit: \"5000000.00\", source: s }\n"
	"      - id: year\n"
	"        per: applicant-year\n"
	"        limit: \"8000000.00\"\n"
	"        source: s\n"
	"        relaxed: { when: applicant.registered_model, limit: \"16000000.00\", source: s }\n"
	"  - id: first\n"
	"    name: first\n"
	"    pool: p\n"
	"    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    rates:\n"
	"      hit: first\n"
	"      rows:\n"
	"        - { id: a, when: applicant.sme, rate: 10%, source: s }\n"
	"        - { id: b, when: applicant.sme, rate: 40%, source: s }\n"
	"  - id: uniq\n"
	"    name: uniq\n"
	"    pool: p\n"
	"    kinds: [rent]\n"
	"    allocation: pro-rata\n"
	"    rates:\n"
	"      hit: unique\n"
	"      rows:\n"
	"        - { id: a, when: applicant.sme, rate: 10%, source: s }\n"
	"        - { id: b, when: applicant.startup, rate: 40%, source: s }\n";

struct fixture {
	struct policy *p;
	struct chip_catalog *chips;
};

static const char chips_text[] =
	"chips:\n"
	"  - { id: ascend-910c, name: A, vendor: Huawei, domestic: true, h100_ratio: \"0.65\", source: s,\n"
	"      ref_price_per_h100_hour: \"14.00\", ref_price_on: 2025-06-30, ref_price_source: s }\n"
	"  - { id: nvidia-h100, name: H, vendor: Nvidia, domestic: false, h100_ratio: \"1\", source: s }\n";

static int setup(void **state)
{
	static struct fixture fx;
	struct diag_list d = DIAG_LIST_INIT;

	if (policy_load_buf("t.yaml", policy_text, strlen(policy_text), &fx.p,
			    &d) ||
	    chips_load_buf("chips.yaml", chips_text, strlen(chips_text),
			   &fx.chips, &d)) {
		diag_print(&d, stderr);
		diag_release(&d);
		return -1;
	}
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	policy_free(fx->p);
	chips_free(fx->chips);
	return 0;
}

/* An application for measure m, with overrides spliced in as JSON text,
 * received by the office at `received` (a time as text). */
static void app(struct application *a, const char *measure, const char *value,
		const char *signed_on, const char *received, const char *chip,
		const char *applicant_extra, const char *supplier_ctrl)
{
	char buf[4096];
	struct qerr e;
	int64_t at;
	int rc;

	snprintf(
		buf, sizeof(buf),
		"{\"client_ref\":\"A1\",\"program\":\"t\",\"measure\":\"%s\","
		"\"applicant\":{\"uscc\":\"91310115MA1K4ABCDD\",\"name\":\"n\","
		"\"registered_city\":\"shanghai\",\"industry\":\"I65\","
		"%s"
		"\"last_bad_credit_on\":null,\"controllers\":[\"310101198001010018\"]},"
		"\"supplier\":{\"uscc\":\"91310104MA1FR5T2K1\",\"name\":\"s\","
		"\"platform_listed\":true,\"controllers\":[\"%s\"]},"
		"\"contract\":{\"number\":\"N\",\"kind\":\"rent\",\"value\":\"%s\","
		"\"signed_on\":\"%s\",\"term_months\":12,"
		"\"compute\":{\"chip\":\"%s\",\"accelerators\":8,\"hours\":1000,"
		"\"location\":\"shanghai\"}}}",
		measure, applicant_extra, supplier_ctrl, value, signed_on,
		chip);
	rc = app_parse_json(buf, strlen(buf), a, &e);
	if (rc)
		fail_msg("fixture application: %s", e.msg);
	rc = datetime_parse(received, strlen(received), &at, NULL, "received",
			    &e);
	if (!rc)
		rc = app_receive(a, at, &e);
	if (rc)
		fail_msg("fixture application received at %s: %s", received,
			 e.msg);
}

#define PLAIN "\"sme\":false,\"startup\":false,\"registered_model\":false,"
#define SME "\"sme\":true,\"startup\":false,\"registered_model\":false,"
#define BOTH "\"sme\":true,\"startup\":true,\"registered_model\":false,"
#define MODEL "\"sme\":false,\"startup\":false,\"registered_model\":true,"
#define IN "2025-09-01T10:00:00+08:00"
#define OTHER_CTRL "310104197505050026"

static const char *rule_id(const struct fixture *fx, uint32_t r)
{
	return fx->p->rules[r].id;
}

static void test_max_hit_and_rounding(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;

	/* Domestic 30 % beats the other row's 20 %; 0.05 yuan rounds down. */
	app(&a, "m", "1000000.05", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_true(d.eligible);
	assert_int_equal(d.rate, 3000);
	assert_string_equal(rule_id(fx, (uint32_t)d.rate_rule),
			    "m.rate.domestic");
	assert_int_equal(d.gross, 30000001); /* 1000000.05 x 30% = 300000.015 */
	assert_int_equal(d.amount, 30000001);
	assert_int_equal(d.ncaps, 0);
	assert_true(d.yearly_caps_without_history);
	app_release(&a);

	app(&a, "m", "1000000.00", "2025-03-01", IN, "nvidia-h100", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_int_equal(d.rate, 2000);
	assert_string_equal(rule_id(fx, (uint32_t)d.rate_rule), "m.rate.other");
	app_release(&a);
}

static void test_dated_parameter(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;
	const char *dates[] = {"2025-06-12", "2025-06-13", "2025-09-30",
			       "2025-10-01"};
	const int want[] = {2000, 5000, 5000, 2000};

	/* The SME row is in force from 2025-06-13 until null ends it on
	 * 2025-10-01, judged on the signing date (each received on the same
	 * later day, which a contract may not be signed after). */
	for (int i = 0; i < 4; i++) {
		app(&a, "m", "100000.00", dates[i], "2025-10-15T10:00:00+08:00",
		    "nvidia-h100", SME, OTHER_CTRL);
		assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
		assert_int_equal(d.rate, want[i]);
		if (want[i] == 2000) {
			int seen = 0;

			for (int t = 0; t < d.ntrace; t++)
				if (d.trace[t].outcome == TRACE_NOT_IN_FORCE &&
				    !strcmp(rule_id(fx, d.trace[t].rule),
					    "m.rate.sme"))
					seen = 1;
			assert_true(seen);
		}
		app_release(&a);
	}
}

static void test_caps(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;
	struct history h = {.from_db = true};

	/* 30 % of 20 M = 6 M, cut to 5 M by the contract cap. */
	app(&a, "m", "20000000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, &h, &d, &e), 0);
	assert_int_equal(d.gross, 600000000);
	assert_int_equal(d.amount, 500000000);
	assert_int_equal(d.ncaps, 1);
	assert_string_equal(rule_id(fx, d.caps[0].rule), "m.cap.contract");
	assert_int_equal(d.caps[0].cut, 100000000);
	assert_false(d.yearly_caps_without_history);

	/* 6.5 M awarded already this year: 1.5 M left under the 8 M cap. */
	h.awarded_year = 650000000;
	assert_int_equal(decide(fx->p, &a, fx->chips, &h, &d, &e), 0);
	assert_int_equal(d.amount, 150000000);
	assert_int_equal(d.ncaps, 2);
	assert_string_equal(rule_id(fx, d.caps[1].rule), "m.cap.year");
	assert_int_equal(d.caps[1].limit, 150000000);
	assert_int_equal(d.caps[1].cut, 350000000);

	/* More than the cap already: nothing left, never negative. */
	h.awarded_year = 900000000;
	assert_int_equal(decide(fx->p, &a, fx->chips, &h, &d, &e), 0);
	assert_int_equal(d.amount, 0);
	app_release(&a);

	/* A registered-model firm gets the relaxed 16 M yearly cap. */
	app(&a, "m", "20000000.00", "2025-03-01", IN, "ascend-910c", MODEL,
	    OTHER_CTRL);
	h.awarded_year = 900000000;
	assert_int_equal(decide(fx->p, &a, fx->chips, &h, &d, &e), 0);
	assert_int_equal(d.amount, 500000000);
	assert_int_equal(d.ncaps, 1);
	app_release(&a);
}

static void test_ineligible_names_every_failure(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;
	char buf[4096];

	/* Shared controller (related party) and received after the window:
	 * both named, nothing awarded. */
	app(&a, "m", "100000.00", "2025-03-01", "2026-01-01T00:00:00+08:00",
	    "ascend-910c", PLAIN, "310101198001010018");
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_false(d.eligible);
	assert_int_equal(d.amount, 0);
	assert_int_equal(d.nreasons, 2);
	assert_string_equal(rule_id(fx, d.reasons[0]), "m.window");
	assert_string_equal(rule_id(fx, d.reasons[1]),
			    "m.eligibility.unrelated");
	app_release(&a);

	/* The last second of the window is inside it. */
	app(&a, "m", "100000.00", "2025-03-01", "2025-12-31T23:59:59+08:00",
	    "ascend-910c", PLAIN, OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_true(d.eligible);
	app_release(&a);

	/* Another registered city. */
	app(&a, "m", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	a.applicant.registered_city = "hangzhou";
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_false(d.eligible);
	assert_string_equal(rule_id(fx, d.reasons[0]), "m.eligibility.city");
	app_release(&a);
	(void)buf;
}

static void test_first_and_unique(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;

	app(&a, "first", "100000.00", "2025-03-01", IN, "ascend-910c", SME,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_int_equal(d.rate, 1000); /* first matching row, not the higher */
	app_release(&a);

	/* No row matches an eligible application: an error, not zero. */
	app(&a, "first", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e),
			 Q_ERR_DECISION);
	assert_non_null(strstr(e.msg, "no rate row"));
	app_release(&a);

	/* Two rows of a unique table match: an error naming both. */
	app(&a, "uniq", "100000.00", "2025-03-01", IN, "ascend-910c", BOTH,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e),
			 Q_ERR_DECISION);
	assert_non_null(strstr(e.msg, "uniq.rate.a"));
	assert_non_null(strstr(e.msg, "uniq.rate.b"));
	app_release(&a);

	app(&a, "uniq", "100000.00", "2025-03-01", IN, "ascend-910c", SME,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e), 0);
	assert_int_equal(d.rate, 1000);
	app_release(&a);
}

static void test_input_errors(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct decision d;
	struct qerr e;

	app(&a, "m", "100000.00", "2025-03-01", IN, "abacus-9000", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e),
			 Q_ERR_UNKNOWN_CHIP);
	assert_string_equal(e.field, "contract.compute.chip");
	app_release(&a);

	app(&a, "nope", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e),
			 Q_ERR_UNKNOWN_MEASURE);
	assert_string_equal(e.field, "measure");
	assert_non_null(strstr(e.msg, "first"));
	app_release(&a);

	app(&a, "m", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	a.program = "other";
	assert_int_equal(decide(fx->p, &a, fx->chips, NULL, &d, &e),
			 Q_ERR_UNKNOWN_PROGRAM);
	a.program = "t";
	app_release(&a);
}

static void test_derived_facts(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct facts f;
	struct qerr e;
	struct history h = {.from_db = true,
			    .compute_contracts_year = 30000000};

	app(&a, "m", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	/* facts_build writes every slot (it does not clear the struct first):
	 * poison it and check nothing is left over. */
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(facts_build(&a, fx->chips, &h, &f, &e), 0);
	for (int k = 0; k < F__COUNT; k++) {
		if (f.i[k] == (int64_t)0xa5a5a5a5a5a5a5a5ull)
			fail_msg("field %s was not written",
				 field_table[k].name);
		if (field_table[k].type == QT_STRING)
			assert_non_null(f.s[k]);
	}
	assert_int_equal(f.i[F_COMPUTE_DOMESTIC], 1);
	/* 8 accelerators x 1000 h x 0.65 */
	assert_int_equal(f.i[F_COMPUTE_H100_HOURS], 5200);
	assert_int_equal(f.i[F_RELATED_PARTY], 0);
	/* When the office received it: 2025-09-01T10:00:00+08:00. */
	assert_int_equal(f.i[F_RECEIVED_ON], date_from_ymd(2025, 9, 1));
	assert_int_equal(f.received_at,
			 (int64_t)date_from_ymd(2025, 9, 1) * 86400 + 2 * 3600);
	/* 300 k earlier this year + 100 k now */
	assert_int_equal(f.i[F_APPLICANT_COMPUTE_CONTRACTS_YEAR], 40000000);
	assert_true(f.null_mask & (1ull << F_APPLICANT_LAST_BAD_CREDIT_ON));
	/* 100,000.00 / 5200 H100-equivalent hours = 19.2307.. -> 19.23 yuan,
	 * rounded down; the chip's reference price from the catalog. */
	assert_int_equal(f.i[F_COMPUTE_PRICE_PER_H100_HOUR], 1923);
	assert_false(f.null_mask & (1ull << F_COMPUTE_PRICE_PER_H100_HOUR));
	assert_int_equal(f.i[F_COMPUTE_REF_PRICE_PER_H100_HOUR], 1400);
	assert_false(f.null_mask & (1ull << F_COMPUTE_REF_PRICE_PER_H100_HOUR));
	/* No other subsidies: every level's total is zero. */
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_NATIONAL], 0);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED], 0);
	/* A chip without a reference price: the fact is null. */
	a.contract.compute.chip = "nvidia-h100";
	assert_int_equal(facts_build(&a, fx->chips, &h, &f, &e), 0);
	assert_true(f.null_mask & (1ull << F_COMPUTE_REF_PRICE_PER_H100_HOUR));
	/* 8 x 1000 x 1.0 = 8000 hours: 100,000.00 / 8000 = 12.50 */
	assert_int_equal(f.i[F_COMPUTE_PRICE_PER_H100_HOUR], 1250);
	a.contract.compute.chip = "ascend-910c";
	/* The same USCC on both sides is a related party, whatever the
	 * controllers say. */
	a.supplier.uscc = a.applicant.uscc;
	assert_int_equal(facts_build(&a, fx->chips, &h, &f, &e), 0);
	assert_int_equal(f.i[F_RELATED_PARTY], 1);
	a.supplier.uscc = "91310104MA1FR5T2K1";
	/* Without a compute section: the compute facts are empty, not stale. */
	a.contract.has_compute = false;
	memset(&f, 0xa5, sizeof(f));
	assert_int_equal(facts_build(&a, fx->chips, &h, &f, &e), 0);
	assert_int_equal(f.i[F_COMPUTE_PRESENT], 0);
	assert_int_equal(f.i[F_COMPUTE_DOMESTIC], 0);
	assert_string_equal(f.s[F_COMPUTE_CHIP], "");
	assert_string_equal(f.s[F_COMPUTE_LOCATION], "");
	assert_true(f.null_mask & (1ull << F_COMPUTE_PRICE_PER_H100_HOUR));
	assert_true(f.null_mask & (1ull << F_COMPUTE_REF_PRICE_PER_H100_HOUR));
	app_release(&a);
}

/* Other subsidies are summed by the level of government that pays them;
 * an entry without a level goes to "unleveled". */
static void test_other_subsidies_by_level(void **state)
{
	struct fixture *fx = *state;
	struct application a;
	struct facts f;
	struct qerr e;
	struct app_other_subsidy os[5] = {
		{"n", 100, SUBSIDY_LEVEL_NATIONAL},
		{"p", 200, SUBSIDY_LEVEL_PROVINCE},
		{"c", 300, SUBSIDY_LEVEL_CITY},
		{"d", 400, SUBSIDY_LEVEL_DISTRICT},
		{"u", 500, SUBSIDY_LEVEL_UNKNOWN},
	};

	app(&a, "m", "100000.00", "2025-03-01", IN, "ascend-910c", PLAIN,
	    OTHER_CTRL);
	a.contract.other_subsidies = os;
	a.contract.nother_subsidies = 5;
	assert_int_equal(facts_build(&a, fx->chips, NULL, &f, &e), 0);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_TOTAL], 1500);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_COUNT], 5);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_NATIONAL], 100);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_PROVINCE], 200);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_CITY], 300);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_DISTRICT], 400);
	assert_int_equal(f.i[F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED], 500);
	a.contract.other_subsidies = NULL;
	a.contract.nother_subsidies = 0;
	app_release(&a);
}

/* ---- the language of issue 11: kinds and dates, applicant kind, industry,
 * supplier qualifications and lists, external funders ---------------------- */

static const char lang_text[] =
	"program: l\n"
	"name: lang\n"
	"issuer: nobody\n"
	"currency: CNY\n"
	"sources:\n"
	"  - { id: s, title: t, url: \"https://example.org/a\", published: 2025-01-01 }\n"
	"published_in: s\n"
	"lists:\n"
	"  - { id: partners, name: P, source: s }\n"
	"pools:\n"
	"  - { id: p, name: p, budgets: { 2025: \"1000000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: m\n"
	"    name: m\n"
	"    pool: p\n"
	"    kinds: [rent, { kind: api, from: 2025-06-13, source: s }]\n"
	"    from: 2025-01-01\n"
	"    until: 2025-12-31\n"
	"    allocation: first-come-first-served\n"
	"    eligibility:\n"
	"      - { id: firm, when: applicant.kind == \"enterprise\", source: s }\n"
	"      - id: trade\n"
	"        when: industry_in(applicant.industry, [\"I63\", \"I64\", \"I65\", \"C\"])\n"
	"        source: s\n"
	"      - id: centre\n"
	"        when: supplier_on(\"partners\") || supplier.pflops >= 100 || supplier.racks >= 1000\n"
	"        source: s\n"
	"    rates:\n"
	"      rows:\n"
	"        - { id: all, rate: 100%, source: s }\n"
	"    funders:\n"
	"      - { id: city, name: C, share: 1, source: s }\n"
	"      - { id: district, name: D, share: 1, external: true, assumption: a }\n";

/* An application under lang_text: uscc, industry, supplier's extra
 * fields, kind, value, signed_on. */
static void lang_app(struct application *a, const char *uscc,
		     const char *industry, const char *supplier_extra,
		     const char *kind, const char *value, const char *signed_on)
{
	char buf[4096];
	struct qerr e;
	int rc;

	snprintf(buf, sizeof(buf),
		 "{\"program\":\"l\",\"measure\":\"m\","
		 "\"applicant\":{\"uscc\":\"%s\",\"name\":\"n\","
		 "\"registered_city\":\"beijing\",\"industry\":\"%s\","
		 "\"sme\":false,\"startup\":false,\"registered_model\":false},"
		 "\"supplier\":{\"uscc\":\"91310104MA1FR5T2K1\",\"name\":\"s\","
		 "\"platform_listed\":false%s},"
		 "\"contract\":{\"number\":\"N\",\"kind\":\"%s\","
		 "\"value\":\"%s\",\"signed_on\":\"%s\",\"term_months\":12}}",
		 uscc, industry, supplier_extra, kind, value, signed_on);
	rc = app_parse_json(buf, strlen(buf), a, &e);
	if (!rc)
		rc = app_receive(a, 1767571200 /* 2026-01-05T08:00+08:00 */,
				 &e);
	if (rc)
		fail_msg("lang application: %s", e.msg);
}

#define FIRM "91310115MA1K4ABCDD"
#define RACKS ",\"racks\":1000"

/* The rule ids among d's reasons, comma-separated. */
static const char *reasons_of(const struct policy *p, const struct decision *d,
			      char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint16_t i = 0; i < d->nreasons && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s",
					 i ? "," : "",
					 p->rules[d->reasons[i]].id);
	return buf;
}

static void lang_decide(const struct policy *p, const char *uscc,
			const char *industry, const char *extra,
			const char *kind, const char *value,
			const char *signed_on, uint64_t lists,
			const char *want_reasons, struct decision *d)
{
	struct application a;
	struct qerr e;
	char got[512];
	int rc;

	lang_app(&a, uscc, industry, extra, kind, value, signed_on);
	rc = decide_listed(p, &a, NULL, NULL, lists, d, &e);
	if (rc)
		fail_msg("decide: %s", e.msg);
	reasons_of(p, d, got, sizeof(got));
	if (strcmp(got, want_reasons))
		fail_msg("%s %s %s: reasons '%s', want '%s'", kind, signed_on,
			 industry, got, want_reasons);
	assert_int_equal(d->eligible, want_reasons[0] == '\0');
	app_release(&a);
}

static void test_language_of_issue_11(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct policy *p = NULL;
	struct decision d, back;
	struct history h = {.from_db = false}, hb;
	struct application a;
	struct qerr e;
	char inst[19] = "12310000425012345";
	char buf[160];
	char *rec = NULL;
	const char *flags = NULL;

	(void)state;
	inst[17] = uscc_check_char(inst);
	inst[18] = '\0';
	if (policy_load_buf("l.yaml", lang_text, strlen(lang_text), &p, &dl)) {
		diag_print(&dl, stderr);
		fail();
	}
	/* A kind with its own date: the day before and the day of. */
	lang_decide(p, FIRM, "I65", RACKS, "api", "100.00", "2025-06-12", 0,
		    "m.kind.api", &d);
	assert_string_equal(
		render_trace_words(p, &d.trace[1], buf, sizeof(buf)),
		"failed: api contracts signed from 2025-06-13");
	lang_decide(p, FIRM, "I65", RACKS, "api", "100.00", "2025-06-13", 0, "",
		    &d);
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2025-06-12", 0,
		    "", &d);
	/* The measure's own dates, the day before from and after until. */
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2024-12-31", 0,
		    "m.from", &d);
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2025-01-01", 0,
		    "", &d);
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2025-12-31", 0,
		    "", &d);
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2026-01-01", 0,
		    "m.until", &d);
	for (uint16_t i = 0; i < d.ntrace; i++)
		if (d.trace[i].rule == d.reasons[0])
			assert_string_equal(
				render_trace_words(p, &d.trace[i], buf,
						   sizeof(buf)),
				"failed: contracts signed until 2025-12-31");
	/* The applicant's kind comes from its USCC. */
	lang_decide(p, inst, "I65", RACKS, "rent", "100.00", "2025-08-01", 0,
		    "m.eligibility.firm", &d);
	/* Industries by prefix: a manufacturing class, a research one. */
	lang_decide(p, FIRM, "C3911", RACKS, "rent", "100.00", "2025-08-01", 0,
		    "", &d);
	lang_decide(p, FIRM, "M73", RACKS, "rent", "100.00", "2025-08-01", 0,
		    "m.eligibility.trade", &d);
	/* The supplier: racks and PFLOPS at and one under the thresholds,
	 * neither given, or on the named list. */
	lang_decide(p, FIRM, "I65", ",\"racks\":999", "rent", "100.00",
		    "2025-08-01", 0, "m.eligibility.centre", &d);
	lang_decide(p, FIRM, "I65", ",\"pflops\":99", "rent", "100.00",
		    "2025-08-01", 0, "m.eligibility.centre", &d);
	lang_decide(p, FIRM, "I65", ",\"pflops\":100", "rent", "100.00",
		    "2025-08-01", 0, "", &d);
	lang_decide(p, FIRM, "I65", "", "rent", "100.00", "2025-08-01", 0,
		    "m.eligibility.centre", &d);
	lang_decide(p, FIRM, "I65", "", "rent", "100.00", "2025-08-01", 1, "",
		    &d);
	/* Lists not looked up: a decision error, never a silent "no". */
	lang_app(&a, FIRM, "I65", "", "rent", "100.00", "2025-08-01");
	assert_int_equal(decide(p, &a, NULL, NULL, &d, &e), Q_ERR_DECISION);
	assert_non_null(strstr(e.msg, "m.eligibility.centre"));
	assert_non_null(strstr(e.msg, "reads a supplier list"));
	app_release(&a);
	/* An external funder: the odd fen to the first funder (the city),
	 * the pool charged the city's share only. */
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.01", "2025-08-01", 0,
		    "", &d);
	assert_int_equal(d.amount, 10001);
	assert_int_equal(d.nfunders, 2);
	assert_int_equal(d.funders[0].amount, 5001);
	assert_int_equal(d.funders[1].amount, 5000);
	assert_false(decision_funder_external(p, &d, 0));
	assert_true(decision_funder_external(p, &d, 1));
	assert_int_equal(decision_pool_share(p, &d), 5001);
	lang_decide(p, FIRM, "I65", RACKS, "rent", "100.00", "2025-08-01", 0,
		    "", &d);
	assert_int_equal(decision_pool_share(p, &d), 5000);
	/* The record is unchanged: the external shares are found again
	 * from the policy. */
	assert_int_equal(record_encode(&d, &h, NULL, &rec, &e), Q_OK);
	assert_int_equal(record_decode(rec, &back, &hb, &flags, &e), Q_OK);
	assert_int_equal(decision_pool_share(p, &back), 5000);
	assert_true(decision_funder_external(p, &back, 1));
	free(rec);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_hit_and_rounding),
		cmocka_unit_test(test_dated_parameter),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_ineligible_names_every_failure),
		cmocka_unit_test(test_first_and_unique),
		cmocka_unit_test(test_input_errors),
		cmocka_unit_test(test_derived_facts),
		cmocka_unit_test(test_other_subsidies_by_level),
		cmocka_unit_test(test_language_of_issue_11),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
