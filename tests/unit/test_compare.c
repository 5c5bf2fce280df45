/*
 * test_compare.c - the applicant's comparison over a small inline policy,
 * cost table and chip catalog: the measure paying most is counted per
 * contract, yearly caps count the plan's earlier purchases of the same
 * measure, operating costs and the net cost to the fen, the ranking and
 * its explanation, and inputs refused with the field named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/compare.h"

/* City a: two measures take rent (30 % and 100 % for start-ups), a model
 * measure at 50 % with a 1 M yearly cap. City b: 20 % rent only. */
static const char pa[] =
	"program: a-2025\nname: a\nissuer: x\ncurrency: CNY\n"
	"sources:\n  - { id: s, title: t, url: u }\n"
	"pools:\n  - { id: p, name: p, budgets: { 2025: \"100000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: rent\n    name: rent\n    pool: p\n    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    eligibility:\n      - { id: city, when: applicant.registered_city == \"a\", source: s }\n"
	"    rates:\n      hit: first\n      rows:\n        - { id: r, rate: 30%, source: s }\n"
	"  - id: early\n    name: early\n    pool: p\n    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    eligibility:\n      - { id: startup, when: applicant.startup, source: s }\n"
	"    rates:\n      hit: first\n      rows:\n        - { id: r, rate: 100%, source: s }\n"
	"  - id: model\n    name: model\n    pool: p\n    kinds: [api]\n"
	"    allocation: first-come-first-served\n"
	"    rates:\n      hit: first\n      rows:\n        - { id: r, rate: 50%, source: s }\n"
	"    caps:\n      - { id: year, per: applicant-year, limit: \"1000000.00\", source: s }\n";

static const char pb[] =
	"program: b-2025\nname: b\nissuer: x\ncurrency: CNY\n"
	"sources:\n  - { id: s, title: t, url: u }\n"
	"pools:\n  - { id: p, name: p, budgets: { 2025: \"100000000.00\" }, source: s }\n"
	"measures:\n"
	"  - id: rent\n    name: rent\n    pool: p\n    kinds: [rent]\n"
	"    allocation: first-come-first-served\n"
	"    eligibility:\n      - { id: city, when: compute.location == \"b\", source: s }\n"
	"    rates:\n      hit: first\n      rows:\n        - { id: r, rate: 20%, source: s }\n";

static const char chips_text[] =
	"chips:\n  - { id: c1, name: C1, vendor: V, domestic: true, h100_ratio: \"0.5\", source: s }\n";

#define FIG(k, v) "    " k ": { " v ", source: s, as_of: \"2025\" }\n"
static const char costs_text[] =
	"cities:\n"
	"  - id: a\n    name: A\n    name_zh: 甲\n    programs: [a-2025]\n" FIG(
		"office_rent",
		"per_m2_year: \"2000.00\"") FIG("engineer_salary",
						"per_year: \"300000.00\"")
		FIG("electricity", "per_mwh: \"633.60\"") "  - id: b\n    name: B\n    name_zh: 乙\n    programs: [b-2025]\n" FIG(
			"office_rent", "per_m2_year: \"1000.00\"")
			FIG("engineer_salary",
			    "per_year: \"200000.00\", assumption: \"a guess\", assumption_zh: \"猜测\"")
				FIG("electricity", "per_mwh: \"500.00\"");

static const char profile_text[] =
	"firm: { uscc: \"91310115MA1K4ABCDD\", name: F, startup: true, head_count: 10, office_m2: 100 }\n"
	"plan:\n"
	"  signed_on: 2025-09-01\n"
	"  electricity_kwh: 1234\n"
	"  compute:\n"
	"    - { chip: c1, accelerators: 10, hours: 1000, price_per_hour: \"10.00\" }\n"
	"  models:\n"
	"    - { value: \"1500000.00\" }\n"
	"    - { value: \"1500000.00\" }\n";

struct fixture {
	struct policy *p[2];
	struct chip_catalog *chips;
	struct cost_table *costs;
	struct profile pr;
};

static int setup(void **state)
{
	static struct fixture f;
	struct diag_list d = DIAG_LIST_INIT;
	struct qerr e;

	memset(&f, 0, sizeof(f));
	assert_int_equal(policy_load_buf("a.yaml", pa, strlen(pa), &f.p[0], &d),
			 0);
	assert_int_equal(policy_load_buf("b.yaml", pb, strlen(pb), &f.p[1], &d),
			 0);
	assert_int_equal(chips_load_buf("c.yaml", chips_text,
					strlen(chips_text), &f.chips, &d),
			 0);
	diag_release(&d);
	assert_int_equal(costs_load_buf("costs.yaml", costs_text,
					strlen(costs_text), &f.costs, &e),
			 0);
	assert_int_equal(profile_load_buf("p.yaml", profile_text,
					  strlen(profile_text), &f.pr, &e),
			 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	policy_free(f->p[0]);
	policy_free(f->p[1]);
	chips_free(f->chips);
	costs_free(f->costs);
	return 0;
}

static json_t *city(json_t *out, const char *program)
{
	size_t i;
	json_t *c;

	json_array_foreach(
		json_object_get(out, "cities"), i,
		c) if (!strcmp(json_string_value(json_object_get(c, "program")),
			       program)) return c;
	return NULL;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_profile_parsed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->pr.nitems, 3);
	/* 10 x 1000 x 10.00 = 100 000.00 */
	assert_int_equal(f->pr.items[0].value, 10000000);
	assert_int_equal(f->pr.items[0].kind, KIND_RENT);
	assert_int_equal(f->pr.items[1].kind, KIND_API);
	assert_string_equal(f->pr.items[2].label, "models[1]");
	assert_true(f->pr.startup);
	assert_false(f->pr.sme);
}

static void test_compare_figures(void **state)
{
	struct fixture *f = *state;
	const struct policy *ps[2] = {f->p[0], f->p[1]};
	json_t *out = NULL, *a, *b, *items, *why;
	struct qerr e;

	assert_int_equal(
		compare_run(&f->pr, ps, 2, f->chips, f->costs, &out, &e), 0);
	a = city(out, "a-2025");
	b = city(out, "b-2025");
	assert_non_null(a);
	assert_non_null(b);
	items = json_object_get(a, "items");
	/* The start-up measure (100 %) beats the 30 % one on one contract. */
	assert_string_equal(str(json_array_get(items, 0), "measure"), "early");
	assert_string_equal(str(json_array_get(items, 0), "subsidy"),
			    "100000.00");
	/* Model: 50 % of 1.5 M is 750 k; the second contract meets the 1 M
	 * yearly cap with 750 k already taken, so 250 k. */
	assert_string_equal(str(json_array_get(items, 1), "subsidy"),
			    "750000.00");
	assert_string_equal(str(json_array_get(items, 2), "subsidy"),
			    "250000.00");
	assert_string_equal(
		str(json_array_get(
			    json_object_get(
				    json_array_get(
					    json_object_get(
						    json_array_get(items, 2),
						    "decisions"),
					    0),
				    "caps"),
			    0),
		    "rule"),
		"model.cap.year");
	assert_string_equal(str(a, "subsidies"), "1100000.00");
	/* spend 100 000 + 3 000 000; operating 100 m2 x 2000 + 10 x 300 000
	 * + 1234 kWh x 633.60 / 1000 = 781.8624 -> 781.86 (rounded down). */
	assert_string_equal(str(a, "planned_spend"), "3100000.00");
	assert_string_equal(str(a, "operating_costs"), "3200781.86");
	assert_string_equal(str(a, "net_cost"), "5200781.86");
	/* b: 20 % of the rent, no model measure; 100 x 1000 + 10 x 200 000 +
	 * 617.00 */
	assert_string_equal(str(b, "subsidies"), "20000.00");
	assert_string_equal(str(b, "operating_costs"), "2100617.00");
	assert_string_equal(str(b, "net_cost"), "5180617.00");
	assert_true(json_is_true(json_object_get(
		json_object_get(json_object_get(b, "costs"), "salaries"),
		"is_assumption")));
	/* b wins on costs although a pays more. */
	assert_string_equal(str(out, "winner"), "b-2025");
	why = json_object_get(out, "why");
	assert_string_equal(str(why, "basis"), "costs");
	assert_string_equal(str(why, "margin"), "20164.86");
	assert_string_equal(str(why, "subsidies_diff"), "-1080000.00");
	assert_string_equal(str(why, "operating_diff"), "+1100164.86");
	/* the Chinese twins: the why with the cities' Chinese names, a
	 * Chinese note for every note, units and the assumption */
	assert_string_equal(
		str(why, "text_zh"),
		"b-2025（乙）净成本最低，比a-2025（甲）低20164.86元：运营成本低"
		"1100164.86元，足以抵消少1080000.00元的补贴（compute[0] rent "
		"20000.00）");
	assert_int_equal(json_array_size(json_object_get(out, "notes_zh")),
			 json_array_size(json_object_get(out, "notes")));
	assert_string_equal(
		str(json_object_get(json_object_get(b, "costs"), "salaries"),
		    "assumption_zh"),
		"猜测");
	assert_string_equal(
		str(json_object_get(json_object_get(b, "costs"), "office"),
		    "unit_zh"),
		"元/平方米/年");
	assert_string_equal(str(json_object_get(out, "richest"), "program"),
			    "a-2025");
	assert_string_equal(str(json_object_get(out, "cheapest"), "program"),
			    "b-2025");
	json_decref(out);
}

static void test_profile_refused(void **state)
{
	struct profile pr;
	struct qerr e;
	json_error_t je;
	json_t *j;

	j = json_loads(
		"{\"firm\":{\"uscc\":\"91310115MA1K4ABCDD\",\"name\":\"F\","
		"\"head_count\":1,\"office_m2\":1},\"plan\":{\"signed_on\":"
		"\"2025-09-01\",\"models\":[{\"value\":600000.00}]}}",
		0, &je);
	assert_non_null(j);
	assert_int_equal(profile_from_json(j, &pr, &e), Q_ERR_WRONG_TYPE);
	assert_string_equal(e.field, "plan.models[0].value");
	json_decref(j);

	j = json_loads(
		"{\"firm\":{\"uscc\":\"91310115MA1K4ABCDE\",\"name\":\"F\","
		"\"head_count\":1,\"office_m2\":1},\"plan\":{\"signed_on\":"
		"\"2025-09-01\",\"models\":[{\"value\":\"1.00\"}]}}",
		0, &je);
	assert_int_not_equal(profile_from_json(j, &pr, &e), 0);
	assert_string_equal(e.field, "firm.uscc");
	json_decref(j);

	j = json_loads(
		"{\"firm\":{\"uscc\":\"91310115MA1K4ABCDD\",\"name\":\"F\","
		"\"head_count\":1,\"office_m2\":1},\"plan\":{\"signed_on\":"
		"\"2025-09-01\",\"compute\":[{\"chip\":\"c1\",\"accelerators\":1,"
		"\"hours\":1,\"value\":\"1.00\",\"price_per_hour\":\"1.00\"}]}}",
		0, &je);
	assert_int_equal(profile_from_json(j, &pr, &e), Q_ERR_INVALID);
	assert_string_equal(e.field, "plan.compute[0].value");
	json_decref(j);

	j = json_loads(
		"{\"firm\":{\"uscc\":\"91310115MA1K4ABCDD\",\"name\":\"F\","
		"\"head_count\":1,\"office_m2\":1},\"plan\":{\"signed_on\":"
		"\"2025-09-01\"}}",
		0, &je);
	assert_int_equal(profile_from_json(j, &pr, &e), Q_ERR_MISSING_FIELD);
	json_decref(j);
}

static void test_costs_refused(void **state)
{
	static const char no_source[] =
		"cities:\n  - id: a\n    name: A\n    name_zh: A\n    programs: [a]\n"
		"    office_rent: { per_m2_year: \"1.00\", as_of: \"2025\" }\n"
		"    engineer_salary: { per_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    electricity: { per_mwh: \"1.00\", source: s, as_of: \"2025\" }\n";
	static const char twice[] =
		"cities:\n"
		"  - id: a\n    name: A\n    name_zh: A\n    programs: [p]\n"
		"    office_rent: { per_m2_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    engineer_salary: { per_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    electricity: { per_mwh: \"1.00\", source: s, as_of: \"2025\" }\n"
		"  - id: b\n    name: B\n    name_zh: B\n    programs: [p]\n"
		"    office_rent: { per_m2_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    engineer_salary: { per_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    electricity: { per_mwh: \"1.00\", source: s, as_of: \"2025\" }\n";
	static const char no_zh[] =
		"cities:\n  - id: a\n    name: A\n    name_zh: A\n    programs: [a]\n"
		"    office_rent: { per_m2_year: \"1.00\", source: s, as_of: \"2025\" }\n"
		"    engineer_salary: { per_year: \"1.00\", source: s, as_of: \"2025\", assumption: guess }\n"
		"    electricity: { per_mwh: \"1.00\", source: s, as_of: \"2025\" }\n";
	struct cost_table *t = NULL;
	struct qerr e;

	assert_int_equal(
		costs_load_buf("c", no_source, strlen(no_source), &t, &e),
		Q_ERR_MISSING_FIELD);
	assert_string_equal(e.field, "cities[0].office_rent.source");
	assert_null(t);
	assert_int_equal(costs_load_buf("c", twice, strlen(twice), &t, &e),
			 Q_ERR_INVALID);
	assert_null(t);
	/* an assumption without its Chinese (or the other way) is refused */
	assert_int_equal(costs_load_buf("c", no_zh, strlen(no_zh), &t, &e),
			 Q_ERR_INVALID);
	assert_string_equal(e.field, "cities[0].engineer_salary");
	assert_null(t);
}

static void test_bundled_costs_load(void **state)
{
	FILE *fp = fopen(QUAN_DATADIR "/costs.yaml", "rb");
	static char buf[1u << 16];
	size_t n;
	struct cost_table *t = NULL;
	struct qerr e;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_int_equal(costs_load_buf("costs.yaml", buf, n, &t, &e), 0);
	assert_non_null(costs_city_of(t, "shanghai-2025"));
	assert_string_equal(costs_city_of(t, "hangzhou-2025")->id, "hangzhou");
	assert_string_equal(costs_city_of(t, "henan-2024")->id, "zhengzhou");
	assert_null(costs_city_of(t, "suzhou-2025"));
	costs_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_parsed),
		cmocka_unit_test(test_compare_figures),
		cmocka_unit_test(test_profile_refused),
		cmocka_unit_test(test_costs_refused),
		cmocka_unit_test(test_bundled_costs_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
