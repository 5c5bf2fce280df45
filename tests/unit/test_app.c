/*
 * test_app.c - the JSON application format (engine/app.h): the DESIGN.md
 * example, every default, and each bad input refused with its code, the
 * field it blames and words that say why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/uscc.h"
#include "engine/app.h"

#define COMPUTE                                                                \
	"\"compute\": { \"chip\": \"ascend-910c\", \"accelerators\": 64, "     \
	"\"hours\": 4000,\n                 \"location\": \"shanghai\" }"

/* The example of DESIGN.md, "Application". */
static const char example[] =
	"{\n"
	"  \"client_ref\": \"sh-compute-rent_2025.1\",\n"
	"  \"program\": \"shanghai-2025\",\n"
	"  \"measure\": \"compute-rent\",\n"
	"  \"applicant\": {\n"
	"    \"uscc\": \"91310115MA1K4ABCDD\",\n"
	"    \"name\": \"示例智能科技（上海）有限公司\",\n"
	"    \"registered_city\": \"shanghai\",\n"
	"    \"industry\": \"I65\",\n"
	"    \"sme\": true,\n"
	"    \"startup\": false,\n"
	"    \"registered_model\": false,\n"
	"    \"last_bad_credit_on\": null,\n"
	"    \"controllers\": [\"310101198001010018\"]\n"
	"  },\n"
	"  \"supplier\": {\n"
	"    \"uscc\": \"91310104MA1FR5T2K1\",\n"
	"    \"name\": \"…\",\n"
	"    \"platform_listed\": true,\n"
	"    \"controllers\": [\"310104197505050026\"]\n"
	"  },\n"
	"  \"contract\": {\n"
	"    \"number\": \"HT-2025-0456\",\n"
	"    \"kind\": \"rent\",\n"
	"    \"value\": \"1200000.00\",\n"
	"    \"signed_on\": \"2025-08-15\",\n"
	"    \"term_months\": 12,\n"
	"    \"uses_registered_model\": false,\n"
	"    \"other_subsidies\": [],\n"
	"    " COMPUTE "\n"
	"  }\n"
	"}\n";

/* example with the first occurrence of `from` replaced by `to`. */
static char *with(const char *from, const char *to)
{
	const char *at = strstr(example, from);
	size_t head, flen = strlen(from), tlen = strlen(to);
	char *out;

	assert_non_null(at);
	head = (size_t)(at - example);
	out = malloc(sizeof(example) - flen + tlen);
	assert_non_null(out);
	memcpy(out, example, head);
	memcpy(out + head, to, tlen);
	memcpy(out + head + tlen, at + flen, sizeof(example) - head - flen);
	return out;
}

static bool utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		int n = *u < 0x80	      ? 1
			: (*u & 0xe0) == 0xc0 ? 2
			: (*u & 0xf0) == 0xe0 ? 3
			: (*u & 0xf8) == 0xf0 ? 4
					      : 0;

		if (n == 0)
			return false;
		for (int i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return false;
		u += n;
	}
	return true;
}

static bool is_empty(const struct application *a)
{
	static const struct application zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* Parse buf and expect code, field and a message containing words. */
static void refused_buf(const char *buf, size_t len, int code,
			const char *field, const char *words)
{
	struct application a;
	struct qerr e;
	int rc = app_parse_json(buf, len, &a, &e);

	if (rc != code || strcmp(e.field, field) != 0 || !strstr(e.msg, words))
		print_error("got %s field '%s' msg '%s'\n", qerr_name(rc),
			    e.field, e.msg);
	assert_int_equal(rc, code);
	assert_int_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_non_null(strstr(e.msg, words));
	assert_true(utf8_ok(e.msg));
	assert_true(is_empty(&a));
	app_release(&a);
}

static void refused(const char *json, int code, const char *field,
		    const char *words)
{
	refused_buf(json, strlen(json), code, field, words);
}

/* example with from replaced by to, expected refused. */
static void refused_with(const char *from, const char *to, int code,
			 const char *field, const char *words)
{
	char *json = with(from, to);

	refused(json, code, field, words);
	free(json);
}

static void parse_ok(const char *json, struct application *a)
{
	struct qerr e;
	int rc = app_parse_json(json, strlen(json), a, &e);

	if (rc)
		print_error("%s: %s\n", qerr_name(rc), e.msg);
	assert_int_equal(rc, Q_OK);
	assert_int_equal(e.code, Q_OK);
}

static void test_example_uscc_valid(void **state)
{
	struct qerr e;

	(void)state;
	/* The DESIGN.md codes already carry their right check characters. */
	assert_int_equal(uscc_check_char("91310115MA1K4ABCD"), 'D');
	assert_int_equal(uscc_check_char("91310104MA1FR5T2K"), '1');
	assert_int_equal(uscc_check("91310115MA1K4ABCDD", 18, "x", &e), Q_OK);
}

static void test_example(void **state)
{
	struct application a;
	struct qerr e;
	const struct app_party *ap = &a.applicant, *sp = &a.supplier;
	const struct app_contract *c = &a.contract;

	(void)state;
	parse_ok(example, &a);
	/* The office numbers and stamps: neither is in the text. */
	assert_null(a.id);
	assert_int_equal(a.received_at, 0);
	assert_int_equal(a.received_on, 0);
	assert_string_equal(a.client_ref, "sh-compute-rent_2025.1");
	assert_string_equal(a.program, "shanghai-2025");
	assert_string_equal(a.measure, "compute-rent");
	/* Received at 10:00 in UTC+8, which is 02:00 UTC. */
	assert_int_equal(
		app_receive(&a,
			    (int64_t)date_from_ymd(2025, 9, 1) * 86400 +
				    2 * 3600,
			    &e),
		Q_OK);
	assert_int_equal(a.received_at,
			 (int64_t)date_from_ymd(2025, 9, 1) * 86400 + 2 * 3600);
	assert_int_equal(a.received_on, date_from_ymd(2025, 9, 1));

	assert_string_equal(ap->uscc, "91310115MA1K4ABCDD");
	assert_string_equal(ap->name, "示例智能科技（上海）有限公司");
	assert_string_equal(ap->registered_city, "shanghai");
	assert_string_equal(ap->industry, "I65");
	assert_true(ap->sme);
	assert_false(ap->startup);
	assert_false(ap->registered_model);
	assert_false(ap->has_bad_credit);
	assert_int_equal(ap->ncontrollers, 1);
	assert_string_equal(ap->controllers[0], "310101198001010018");

	assert_string_equal(sp->uscc, "91310104MA1FR5T2K1");
	assert_string_equal(sp->name, "…");
	assert_string_equal(sp->registered_city, "");
	assert_string_equal(sp->industry, "");
	assert_true(sp->platform_listed);
	assert_int_equal(sp->ncontrollers, 1);
	assert_string_equal(sp->controllers[0], "310104197505050026");

	assert_string_equal(c->number, "HT-2025-0456");
	assert_int_equal(c->kind, KIND_RENT);
	assert_int_equal(c->value, 120000000);
	assert_int_equal(c->signed_on, date_from_ymd(2025, 8, 15));
	assert_int_equal(c->term_months, 12);
	assert_false(c->uses_registered_model);
	assert_int_equal(c->nother_subsidies, 0);
	assert_true(c->has_compute);
	assert_string_equal(c->compute.chip, "ascend-910c");
	assert_int_equal(c->compute.accelerators, 64);
	assert_int_equal(c->compute.hours, 4000);
	assert_string_equal(c->compute.location, "shanghai");
	assert_non_null(a.arena.head);

	app_release(&a);
	assert_true(is_empty(&a));
	app_release(&a); /* releasing twice is harmless */
}

static void test_not_nul_terminated(void **state)
{
	struct application a;
	struct qerr e;
	size_t n = strlen(example);
	char *copy = malloc(n);

	(void)state;
	assert_non_null(copy);
	memcpy(copy, example, n); /* no NUL: ASan catches a read past it */
	assert_int_equal(app_parse_json(copy, n, &a, &e), Q_OK);
	free(copy);
	/* a copy, not the input */
	assert_string_equal(a.client_ref, "sh-compute-rent_2025.1");
	app_release(&a);
}

static void test_optional_fields(void **state)
{
	static const char minimal[] =
		"{\"program\":\"p\",\"measure\":\"m\","
		"\"applicant\":{\"uscc\":\"91310115MA1K4ABCDD\",\"name\":\"n\","
		"\"registered_city\":\"shanghai\",\"industry\":\"I65\","
		"\"sme\":false,\"startup\":true,\"registered_model\":true},"
		"\"supplier\":{\"uscc\":\"91310104MA1FR5T2K1\",\"name\":\"s\","
		"\"platform_listed\":false},"
		"\"contract\":{\"number\":\"1\",\"kind\":\"private-deployment\","
		"\"value\":\"0.01\",\"signed_on\":\"2024-02-29\","
		"\"term_months\":600,\"compute\":null}}";
	struct application a;
	struct qerr e;

	(void)state;
	parse_ok(minimal, &a);
	/* No client_ref: none, not "". */
	assert_null(a.client_ref);
	assert_null(a.id);
	/* Received at 2025-09-01T10:00:00Z. */
	assert_int_equal(
		app_receive(&a,
			    (int64_t)date_from_ymd(2025, 9, 1) * 86400 +
				    10 * 3600,
			    &e),
		Q_OK);
	assert_int_equal(a.received_at,
			 (int64_t)date_from_ymd(2025, 9, 1) * 86400 +
				 10 * 3600);
	assert_int_equal(a.received_on, date_from_ymd(2025, 9, 1));
	assert_true(a.applicant.startup);
	assert_true(a.applicant.registered_model);
	assert_false(a.applicant.has_bad_credit);
	assert_int_equal(a.applicant.ncontrollers, 0);
	assert_int_equal(a.supplier.ncontrollers, 0);
	assert_false(a.supplier.platform_listed);
	assert_int_equal(a.contract.kind, KIND_PRIVATE_DEPLOYMENT);
	assert_int_equal(a.contract.value, 1);
	assert_int_equal(a.contract.signed_on, date_from_ymd(2024, 2, 29));
	assert_int_equal(a.contract.term_months, 600);
	assert_false(a.contract.uses_registered_model);
	assert_int_equal(a.contract.nother_subsidies, 0);
	assert_false(a.contract.has_compute);
	assert_string_equal(a.contract.compute.chip, "");
	app_release(&a);
}

static void test_bad_credit_and_other_subsidies(void **state)
{
	char *j1 = with("\"last_bad_credit_on\": null",
			"\"last_bad_credit_on\": \"2022-08-14\"");
	char *j2 = with("\"other_subsidies\": []",
			"\"other_subsidies\": [{\"program\": \"national\", "
			"\"amount\": \"200000.00\"}, {\"amount\": \"0.00\", "
			"\"program\": \"district\"}]");
	struct application a;

	(void)state;
	parse_ok(j1, &a);
	assert_true(a.applicant.has_bad_credit);
	assert_int_equal(a.applicant.last_bad_credit_on,
			 date_from_ymd(2022, 8, 14));
	app_release(&a);

	parse_ok(j2, &a);
	assert_int_equal(a.contract.nother_subsidies, 2);
	assert_string_equal(a.contract.other_subsidies[0].program, "national");
	assert_int_equal(a.contract.other_subsidies[0].amount, 20000000);
	assert_string_equal(a.contract.other_subsidies[1].program, "district");
	assert_int_equal(a.contract.other_subsidies[1].amount, 0);
	app_release(&a);
	free(j1);
	free(j2);
}

/* ---- money ---------------------------------------------------------------- */

static void test_money_refused(void **state)
{
	(void)state;
	refused_with("\"1200000.00\"", "\"12.345\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "more than two decimals");
	refused_with("\"1200000.00\"", "\"-5.00\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "negative");
	refused_with("\"1200000.00\"", "\"1e9\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "not a decimal amount");
	refused_with("\"1200000.00\"", "\"\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "empty");
	refused_with("\"1200000.00\"", "\"99999999999999999999.00\"",
		     Q_ERR_INVALID_MONEY, "contract.value", "too large");
	refused_with("\"1200000.00\"", "\"0.00\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "must be more than 0.00");
	refused_with("\"1200000.00\"", "\"0\"", Q_ERR_INVALID_MONEY,
		     "contract.value", "must be more than 0.00");
}

static void test_money_as_number(void **state)
{
	(void)state;
	refused_with("\"1200000.00\"", "1200000.00", Q_ERR_WRONG_TYPE,
		     "contract.value",
		     "money must be a decimal string like \"1200000.00\"");
	refused_with("\"1200000.00\"", "1200000", Q_ERR_WRONG_TYPE,
		     "contract.value", "binary floats");
	refused_with("\"1200000.00\"", "1e9", Q_ERR_WRONG_TYPE,
		     "contract.value", "not a JSON number");
	refused_with("\"1200000.00\"", "true", Q_ERR_WRONG_TYPE,
		     "contract.value", "got a boolean");
	refused_with("\"other_subsidies\": []",
		     "\"other_subsidies\": [{\"program\": \"x\", "
		     "\"amount\": 5}]",
		     Q_ERR_WRONG_TYPE, "contract.other_subsidies[0].amount",
		     "decimal string");
	refused_with("\"other_subsidies\": []",
		     "\"other_subsidies\": [{\"program\": \"x\", "
		     "\"amount\": \"-1.00\"}]",
		     Q_ERR_INVALID_MONEY, "contract.other_subsidies[0].amount",
		     "negative");
}

/* ---- USCC ----------------------------------------------------------------- */

static void test_uscc_refused(void **state)
{
	(void)state;
	refused_with("91310115MA1K4ABCDD", "91310115MA1K4ABCDD1",
		     Q_ERR_INVALID_USCC, "applicant.uscc", "has 19 characters");
	refused_with(
		"91310115MA1K4ABCDD", "91310115MA1K4ABCDX", Q_ERR_INVALID_USCC,
		"applicant.uscc",
		"character 18 of '91310115MA1K4ABCDX' is 'X', the check character should be 'D'");
	refused_with("91310104MA1FR5T2K1", "91310104ma1fr5t2k1",
		     Q_ERR_INVALID_USCC, "supplier.uscc", "capitals");
	refused_with("91310104MA1FR5T2K1", "91310104MA1IR5T2K1",
		     Q_ERR_INVALID_USCC, "supplier.uscc", "character 12");
	refused_with("\"uscc\": \"91310115MA1K4ABCDD\"", "\"uscc\": 913101",
		     Q_ERR_WRONG_TYPE, "applicant.uscc", "expected a string");
}

/* ---- dates ---------------------------------------------------------------- */

static void test_dates_refused(void **state)
{
	(void)state;
	refused_with("2025-08-15", "2025-02-30", Q_ERR_INVALID_DATE,
		     "contract.signed_on",
		     "day 30 of '2025-02-30' does not exist");
	refused_with("2025-08-15", "2025-8-15", Q_ERR_INVALID_DATE,
		     "contract.signed_on", "not a date");
	refused_with("\"last_bad_credit_on\": null",
		     "\"last_bad_credit_on\": \"2023-02-29\"",
		     Q_ERR_INVALID_DATE, "applicant.last_bad_credit_on",
		     "does not exist");
	refused_with("\"last_bad_credit_on\": null",
		     "\"last_bad_credit_on\": 20230101", Q_ERR_WRONG_TYPE,
		     "applicant.last_bad_credit_on", "got a number");
	/* submitted_at is no longer read at all: well-formed or not, it is
	 * an unknown field (test_office_fields_unknown). */
	refused_with("\"program\":",
		     "\"submitted_at\": \"2025-09-01 10:00:00Z\", \"program\":",
		     Q_ERR_UNKNOWN_FIELD, "submitted_at",
		     "unknown field 'submitted_at'");
}

/* ---- structure ------------------------------------------------------------ */

static void test_unknown_field(void **state)
{
	(void)state;
	refused_with("\"sme\": true", "\"sme_flag\": true", Q_ERR_UNKNOWN_FIELD,
		     "applicant.sme_flag",
		     "unknown field 'applicant.sme_flag'");
	refused_with("\"client_ref\":", "\"colour\": \"red\", \"client_ref\":",
		     Q_ERR_UNKNOWN_FIELD, "colour", "unknown field 'colour'");
	refused_with(
		"\"location\"", "\"loc\"", Q_ERR_UNKNOWN_FIELD,
		"contract.compute.loc",
		"contract.compute takes chip, accelerators, hours, location");
	refused_with("\"other_subsidies\": []",
		     "\"other_subsidies\": [{\"program\": \"x\", "
		     "\"amout\": \"1.00\"}]",
		     Q_ERR_UNKNOWN_FIELD, "contract.other_subsidies[0].amout",
		     "unknown field");
	/* The first unknown key in document order is the one named. */
	refused("{\"zzz\": 1, \"aaa\": 2}", Q_ERR_UNKNOWN_FIELD, "zzz",
		"unknown field 'zzz'");
	/* A supplier has no registered_city in the format. */
	refused_with("\"platform_listed\"",
		     "\"registered_city\": \"x\", \"platform_listed\"",
		     Q_ERR_UNKNOWN_FIELD, "supplier.registered_city",
		     "unknown field");
}

static void test_unknown_field_shown_safely(void **state)
{
	/* A long key of multi-byte characters is cut on a character
	 * boundary, and control characters are not echoed. */
	char key[400] = "";
	char json[600];

	(void)state;
	for (int i = 0; i < 100; i++)
		strncat(key, "码", sizeof(key) - strlen(key) - 1);
	snprintf(json, sizeof(json), "{\"%s\": 1}", key);
	{
		struct application a;
		struct qerr e;

		assert_int_equal(app_parse_json(json, strlen(json), &a, &e),
				 Q_ERR_UNKNOWN_FIELD);
		assert_true(utf8_ok(e.field));
		assert_true(utf8_ok(e.msg));
		assert_non_null(strstr(e.msg, "..."));
	}
	refused("{\"a\\u0001b\": 1}", Q_ERR_UNKNOWN_FIELD, "a?b",
		"unknown field 'a?b'");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	refused_with("\"sme\": true", "\"sme\": true, \"sme\": false",
		     Q_ERR_INVALID_JSON, "", "duplicate object key");
	refused_with("\"sme\": true", "\"sme\": true, \"sme\": false",
		     Q_ERR_INVALID_JSON, "", "line 10");
}

static void test_broken_json(void **state)
{
	(void)state;
	refused_with("\"kind\": \"rent\",", "\"kind\": \"rent\"",
		     Q_ERR_INVALID_JSON, "",
		     "line 25 column 11: '}' expected near '\"value\"'");
	refused("", Q_ERR_INVALID_JSON, "", "line 1 column 0");
	refused("{\"id\": \"x\"} trailing", Q_ERR_INVALID_JSON, "", "line 1");
	refused("{\"id\": \"\\u0000\"}", Q_ERR_INVALID_JSON, "", "line 1");
	refused("{\"id\": \"\xff\"}", Q_ERR_INVALID_JSON, "", "line 1");
	refused("[]", Q_ERR_WRONG_TYPE, "",
		"must be a JSON object, got an array");
	refused_buf("{\"id\": \"a\0b\"}", 14, Q_ERR_INVALID_JSON, "", "line 1");
}

static void test_deep_nesting(void **state)
{
	char deep[200];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	refused(deep, Q_ERR_INVALID_JSON, "",
		"line 1 column 33: nesting deeper than 32 levels");
	/* Brackets inside strings do not count. */
	refused("{\"measure\": "
		"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}",
		Q_ERR_MISSING_FIELD, "program", "missing field 'program'");
}

static void test_too_large(void **state)
{
	size_t n = 2u << 20;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, example, strlen(example)); /* valid, but padded */
	refused_buf(big, n, Q_ERR_TOO_LARGE, "", "more than the limit");
	/* Exactly the limit is accepted. */
	{
		struct application a;
		struct qerr e;

		assert_int_equal(app_parse_json(big, APP_MAX_BYTES, &a, &e),
				 Q_OK);
		app_release(&a);
	}
	free(big);
}

static void test_missing_field(void **state)
{
	(void)state;
	refused_with("\"name\": \"示例智能科技（上海）有限公司\",", "",
		     Q_ERR_MISSING_FIELD, "applicant.name",
		     "missing field 'applicant.name'");
	refused_with("\"measure\": \"compute-rent\",", "", Q_ERR_MISSING_FIELD,
		     "measure", "missing field 'measure'");
	refused_with("\"term_months\": 12,", "", Q_ERR_MISSING_FIELD,
		     "contract.term_months", "missing field");
	refused_with("\"hours\": 4000,", "", Q_ERR_MISSING_FIELD,
		     "contract.compute.hours", "missing field");
	/* client_ref is optional: program is the first field required. */
	refused("{}", Q_ERR_MISSING_FIELD, "program",
		"missing field 'program'");
	refused_with("\"program\": \"shanghai-2025\",", "", Q_ERR_MISSING_FIELD,
		     "program", "missing field 'program'");
}

static void test_kind(void **state)
{
	(void)state;
	refused_with(
		"\"rent\"", "\"lease\"", Q_ERR_INVALID, "contract.kind",
		"unknown kind 'lease': use rent, buy, build, api, private-deployment, corpus or grant");
	refused_with("\"rent\"", "\"Rent\"", Q_ERR_INVALID, "contract.kind",
		     "unknown kind 'Rent'");
	refused_with("\"rent\"", "1", Q_ERR_WRONG_TYPE, "contract.kind",
		     "expected a string, got a number");
	for (int k = 0; k < KIND__COUNT; k++) {
		const char *name = kind_name((enum contract_kind)k);

		assert_int_equal(kind_lookup(name, strlen(name)), k);
	}
	assert_int_equal(kind_lookup("ren", 3), -1);
	assert_int_equal(kind_lookup("rents", 5), -1);
	assert_int_equal(kind_lookup("", 0), -1);
	assert_string_equal(kind_name(KIND__COUNT), "unknown");
}

static void test_types_and_ranges(void **state)
{
	(void)state;
	refused_with("\"sme\": true", "\"sme\": \"yes\"", Q_ERR_WRONG_TYPE,
		     "applicant.sme", "expected true or false, got a string");
	refused_with("\"sme\": true", "\"sme\": null", Q_ERR_WRONG_TYPE,
		     "applicant.sme", "got null");
	refused_with("\"term_months\": 12", "\"term_months\": 0", Q_ERR_INVALID,
		     "contract.term_months", "0 is out of range 1..600");
	refused_with("\"term_months\": 12", "\"term_months\": 601",
		     Q_ERR_INVALID, "contract.term_months", "out of range");
	refused_with("\"term_months\": 12", "\"term_months\": \"12\"",
		     Q_ERR_WRONG_TYPE, "contract.term_months",
		     "expected a whole number, got a string");
	refused_with("\"term_months\": 12", "\"term_months\": 12.0",
		     Q_ERR_WRONG_TYPE, "contract.term_months", "whole number");
	refused_with("\"term_months\": 12",
		     "\"term_months\": 99999999999999999999",
		     Q_ERR_INVALID_JSON, "", "too big");
	refused_with("\"accelerators\": 64", "\"accelerators\": 0",
		     Q_ERR_INVALID, "contract.compute.accelerators",
		     "0 is less than 1");
	refused_with("\"hours\": 4000", "\"hours\": -1", Q_ERR_INVALID,
		     "contract.compute.hours", "less than 1");
	refused_with("\"other_subsidies\": []", "\"other_subsidies\": {}",
		     Q_ERR_WRONG_TYPE, "contract.other_subsidies",
		     "expected an array, got an object");
	refused_with("\"other_subsidies\": []", "\"other_subsidies\": [1]",
		     Q_ERR_WRONG_TYPE, "contract.other_subsidies[0]",
		     "expected an object");
	refused_with("\"other_subsidies\": []", "\"other_subsidies\": null",
		     Q_ERR_WRONG_TYPE, "contract.other_subsidies", "got null");
	refused_with("\"controllers\": [\"310101198001010018\"]",
		     "\"controllers\": [\"310101198001010018\", 7]",
		     Q_ERR_WRONG_TYPE, "applicant.controllers[1]",
		     "expected a string");
	refused_with("\"uses_registered_model\": false",
		     "\"uses_registered_model\": 0", Q_ERR_WRONG_TYPE,
		     "contract.uses_registered_model", "true or false");
}

static void test_wrong_object_types(void **state)
{
	(void)state;
	refused_with(COMPUTE, "\"compute\": []", Q_ERR_WRONG_TYPE,
		     "contract.compute", "expected an object, got an array");
	refused_with(COMPUTE, "\"compute\": \"ascend-910c\"", Q_ERR_WRONG_TYPE,
		     "contract.compute", "got a string");
	refused("{\"client_ref\":\"a\",\"program\":\"p\",\"measure\":\"m\","
		"\"applicant\":[]}",
		Q_ERR_WRONG_TYPE, "applicant",
		"expected an object, got an array");
}

static void test_strings(void **state)
{
	char name[APP_MAX_STRING + 40];
	char *j;

	(void)state;
	memset(name, 'a', sizeof(name));
	name[0] = '"';
	name[APP_MAX_STRING + 2] = '"';
	name[APP_MAX_STRING + 3] = '\0'; /* 513 a's */
	j = with("\"HT-2025-0456\"", name);
	refused(j, Q_ERR_TOO_LARGE, "contract.number",
		"513 bytes, more than the limit of 512");
	free(j);
	name[APP_MAX_STRING + 1] = '"';
	name[APP_MAX_STRING + 2] = '\0'; /* 512 a's: accepted */
	j = with("\"HT-2025-0456\"", name);
	{
		struct application a;

		parse_ok(j, &a);
		assert_int_equal(strlen(a.contract.number), APP_MAX_STRING);
		app_release(&a);
	}
	free(j);
	refused_with("\"HT-2025-0456\"", "\"\"", Q_ERR_INVALID,
		     "contract.number", "must not be empty");
	refused_with("\"HT-2025-0456\"", "\"HT\\n0456\"", Q_ERR_INVALID,
		     "contract.number", "control character");
	refused_with("\"I65\"", "null", Q_ERR_WRONG_TYPE, "applicant.industry",
		     "expected a string, got null");
}

static void test_counts(void **state)
{
	char list[APP_MAX_CONTROLLERS * 8 + 64];
	size_t o = 0;
	char *j;

	(void)state;
	o += (size_t)snprintf(list + o, sizeof(list) - o, "\"controllers\": [");
	for (int i = 0; i <= APP_MAX_CONTROLLERS; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"c%d\"",
				      i ? "," : "", i);
	snprintf(list + o, sizeof(list) - o, "]");
	j = with("\"controllers\": [\"310104197505050026\"]", list);
	refused(j, Q_ERR_TOO_LARGE, "supplier.controllers",
		"65 items, more than the limit of 64");
	free(j);

	/* Exactly the limit. */
	o = (size_t)snprintf(list, sizeof(list), "\"controllers\": [");
	for (int i = 0; i < APP_MAX_CONTROLLERS; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"c%d\"",
				      i ? "," : "", i);
	snprintf(list + o, sizeof(list) - o, "]");
	j = with("\"controllers\": [\"310104197505050026\"]", list);
	{
		struct application a;

		parse_ok(j, &a);
		assert_int_equal(a.supplier.ncontrollers, APP_MAX_CONTROLLERS);
		assert_string_equal(a.supplier.controllers[63], "c63");
		app_release(&a);
	}
	free(j);
}

static void test_other_subsidies_count(void **state)
{
	char list[(APP_MAX_OTHER_SUBSIDIES + 1) * 48 + 64];
	size_t o = 0;
	char *j;

	(void)state;
	o += (size_t)snprintf(list + o, sizeof(list) - o,
			      "\"other_subsidies\": [");
	for (int i = 0; i <= APP_MAX_OTHER_SUBSIDIES; i++)
		o += (size_t)snprintf(
			list + o, sizeof(list) - o,
			"%s{\"program\":\"p%d\",\"amount\":\"1\"}",
			i ? "," : "", i);
	snprintf(list + o, sizeof(list) - o, "]");
	j = with("\"other_subsidies\": []", list);
	refused(j, Q_ERR_TOO_LARGE, "contract.other_subsidies",
		"33 items, more than the limit of 32");
	free(j);
}

static void test_message_stays_utf8(void **state)
{
	/* Twenty full-width digits: the money parser quotes 40 bytes, which
	 * would cut a character; the message must still be valid UTF-8. */
	char v[128] = "\"";
	char *j;

	(void)state;
	for (int i = 0; i < 20; i++)
		strncat(v, "１", sizeof(v) - strlen(v) - 1);
	strncat(v, "\"", sizeof(v) - strlen(v) - 1);
	j = with("\"1200000.00\"", v);
	refused(j, Q_ERR_INVALID_MONEY, "contract.value", "not a decimal");
	free(j);
}

/* ---- what the office writes, not the applicant ---------------------------- */

/* The office numbers and stamps an application: a body that carries an id
 * or a time of its own is refused as having an unknown field, however
 * well-formed the value. */
static void test_office_fields_unknown(void **state)
{
	(void)state;
	refused_with("\"client_ref\": \"sh-compute-rent_2025.1\",",
		     "\"id\": \"SH-2025-000123\",", Q_ERR_UNKNOWN_FIELD, "id",
		     "unknown field 'id' (an application takes client_ref, "
		     "program, measure");
	refused_with("\"program\":", "\"id\": \"SH-2025-000123\", \"program\":",
		     Q_ERR_UNKNOWN_FIELD, "id", "unknown field 'id'");
	refused_with("\"program\":",
		     "\"submitted_at\": \"2025-09-01T10:00:00+08:00\", "
		     "\"program\":",
		     Q_ERR_UNKNOWN_FIELD, "submitted_at",
		     "unknown field 'submitted_at'");
	refused_with("\"program\":",
		     "\"received_at\": \"2025-09-01T10:00:00+08:00\", "
		     "\"program\":",
		     Q_ERR_UNKNOWN_FIELD, "received_at",
		     "unknown field 'received_at'");
	/* Even null is a value the applicant may not give. */
	refused_with("\"program\":", "\"id\": null, \"program\":",
		     Q_ERR_UNKNOWN_FIELD, "id", "unknown field 'id'");
}

/* The applicant's reference: 1..64 characters of A-Z a-z 0-9 . _ -,
 * refused (never cut) otherwise. */
static void test_client_ref(void **state)
{
	static const char *const bad[] = {
		"\"a b\"",   "\"a/b\"",	   "\"a#b\"",  "\"a:b\"",    "\"a+b\"",
		"\"a~b\"",   "\"a@b\"",	   "\"a,b\"",  "\"é\"",	     "\"码\"",
		"\"a\\tb\"", "\"a\\\"b\"", "\"-a b\"", "\"\\u00a0\""};
	char ref[APP_MAX_REF + 8];
	char quoted[APP_MAX_REF + 16];
	struct application a;
	char *j;

	(void)state;
	/* Every character of the alphabet. */
	j = with("\"sh-compute-rent_2025.1\"", "\"ABCXYZabcxyz0123456789._-\"");
	parse_ok(j, &a);
	assert_string_equal(a.client_ref, "ABCXYZabcxyz0123456789._-");
	app_release(&a);
	free(j);
	/* One character, and exactly 64: kept whole. */
	j = with("\"sh-compute-rent_2025.1\"", "\"_\"");
	parse_ok(j, &a);
	assert_string_equal(a.client_ref, "_");
	app_release(&a);
	free(j);
	memset(ref, 'r', APP_MAX_REF);
	ref[0] = 'A';
	ref[APP_MAX_REF - 1] = 'Z';
	ref[APP_MAX_REF] = '\0';
	snprintf(quoted, sizeof(quoted), "\"%s\"", ref);
	j = with("\"sh-compute-rent_2025.1\"", quoted);
	parse_ok(j, &a);
	assert_int_equal(strlen(a.client_ref), APP_MAX_REF);
	assert_string_equal(a.client_ref, ref);
	app_release(&a);
	free(j);
	/* 65: refused, not cut to 64. */
	snprintf(quoted, sizeof(quoted), "\"%sX\"", ref);
	j = with("\"sh-compute-rent_2025.1\"", quoted);
	refused(j, Q_ERR_INVALID, "client_ref",
		"client_ref: must be 1 to 64 characters of A-Z, a-z, 0-9");
	free(j);
	/* Empty. */
	refused_with("\"sh-compute-rent_2025.1\"", "\"\"", Q_ERR_INVALID,
		     "client_ref", "must be 1 to 64 characters");
	/* Outside the alphabet. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = with("\"sh-compute-rent_2025.1\"", bad[i]);
		refused(j, Q_ERR_INVALID, "client_ref",
			"must be 1 to 64 characters");
		free(j);
	}
	/* Not a string. */
	refused_with("\"sh-compute-rent_2025.1\"", "12", Q_ERR_WRONG_TYPE,
		     "client_ref", "expected a string, got a number");
	refused_with("\"sh-compute-rent_2025.1\"", "null", Q_ERR_WRONG_TYPE,
		     "client_ref", "got null");
	refused_with("\"sh-compute-rent_2025.1\"", "[\"a\"]", Q_ERR_WRONG_TYPE,
		     "client_ref", "got an array");

	/* app_ref_valid itself: only len bytes are read. */
	assert_true(app_ref_valid("abc/", 3));
	assert_false(app_ref_valid("abc/", 4));
	assert_false(app_ref_valid("", 0));
	assert_true(app_ref_valid(ref, APP_MAX_REF));
	memset(ref, 'x', sizeof(ref));
	assert_false(app_ref_valid(ref, APP_MAX_REF + 1));
	for (int ch = 1; ch < 256; ch++) {
		char one = (char)ch;
		bool want = (ch >= 'A' && ch <= 'Z') ||
			    (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '.' ||
			    ch == '_' || ch == '-';

		assert_int_equal(app_ref_valid(&one, 1), want);
	}
}

/* Program and measure ids fit what the office stores (63 bytes): longer
 * ones are refused, not cut. */
static void test_name_limits(void **state)
{
	char name[APP_MAX_NAME + 8];
	char quoted[APP_MAX_NAME + 16];
	struct application a;
	char *j;

	(void)state;
	memset(name, 'p', APP_MAX_NAME);
	name[APP_MAX_NAME] = '\0';
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	j = with("\"shanghai-2025\"", quoted);
	parse_ok(j, &a);
	assert_string_equal(a.program, name);
	app_release(&a);
	free(j);
	snprintf(quoted, sizeof(quoted), "\"%sp\"", name);
	j = with("\"shanghai-2025\"", quoted);
	refused(j, Q_ERR_TOO_LARGE, "program",
		"64 bytes, more than the limit of 63");
	free(j);
	j = with("\"compute-rent\"", quoted);
	refused(j, Q_ERR_TOO_LARGE, "measure",
		"64 bytes, more than the limit of 63");
	free(j);
}

/* app_receive stamps the time the office received the application, reads
 * its day in the office's calendar (UTC+8), and refuses a contract signed
 * after that day. */
static void test_receive(void **state)
{
	/* 2025-08-15 00:00 in UTC+8 is 2025-08-14 16:00 UTC. */
	const int64_t day15 =
		(int64_t)date_from_ymd(2025, 8, 15) * 86400 - 8 * 3600;
	const int64_t new_year =
		(int64_t)date_from_ymd(2025, 12, 31) * 86400 + 16 * 3600;
	struct application a;
	struct qerr e;

	(void)state;
	parse_ok(example, &a); /* signed on 2025-08-15 */

	/* Received the day it was signed, at the first second of it. */
	assert_int_equal(app_receive(&a, day15, &e), Q_OK);
	assert_int_equal(a.received_at, day15);
	assert_int_equal(a.received_on, date_from_ymd(2025, 8, 15));
	/* ... and at its last second. */
	assert_int_equal(app_receive(&a, day15 + 86399, &e), Q_OK);
	assert_int_equal(a.received_on, date_from_ymd(2025, 8, 15));

	/* One second earlier it is still 2025-08-14 in the office: the
	 * contract was signed the day after it was received. */
	qerr_clear(&e);
	assert_int_equal(app_receive(&a, day15 - 1, &e), Q_ERR_INVALID);
	assert_int_equal(e.code, Q_ERR_INVALID);
	assert_string_equal(e.field, "contract.signed_on");
	assert_non_null(strstr(e.msg, "signed on 2025-08-15"));
	assert_non_null(strstr(e.msg, "received on 2025-08-14"));
	assert_int_equal(app_receive(&a, day15 - 86400 * 30, &e),
			 Q_ERR_INVALID);

	/* The office's day, not UTC's: 2025-12-31T16:00:00Z is 2026-01-01
	 * in UTC+8 (fiscal year 2026), one second earlier is 2025. */
	assert_int_equal(app_receive(&a, new_year, &e), Q_OK);
	assert_int_equal(a.received_on, date_from_ymd(2026, 1, 1));
	assert_int_equal(date_year(a.received_on), 2026);
	assert_int_equal(app_receive(&a, new_year - 1, &e), Q_OK);
	assert_int_equal(a.received_on, date_from_ymd(2025, 12, 31));
	assert_int_equal(date_year(a.received_on), 2025);
	app_release(&a);
}

/* ---- files ---------------------------------------------------------------- */

static void test_load_file(void **state)
{
	char dir[] = "/tmp/quan-test-app-XXXXXX";
	char path[64];
	struct application a;
	struct qerr e;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(example, f);
	fclose(f);
	assert_int_equal(app_load_file(path, &a, &e), Q_OK);
	assert_string_equal(a.client_ref, "sh-compute-rent_2025.1");
	assert_null(a.id);
	app_release(&a);

	/* 100 MB (sparse): refused from its size, without reading it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100L << 20), 0);
	close(fd);
	assert_int_equal(app_load_file(path, &a, &e), Q_ERR_TOO_LARGE);
	assert_non_null(strstr(e.msg, "104857600 bytes"));
	assert_true(is_empty(&a));
	unlink(path);

	assert_int_equal(app_load_file(path, &a, &e), Q_ERR_IO);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_int_equal(app_load_file(dir, &a, &e), Q_ERR_IO);
	assert_non_null(strstr(e.msg, "is a directory"));
	rmdir(dir);
}

static void test_examples_dir(void **state)
{
	static const char *const files[] = {
		"sh-compute-rent.json",	 "sh-compute-early.json",
		"sh-compute-build.json", "sh-model.json",
		"sh-corpus.json",	 "sh-corpus-related.json",
		"sh-institute.json",	 "hz-compute-domestic.json",
		"hz-compute-sme.json"};
	char path[256];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct application a;
		struct qerr e;
		int rc;

		snprintf(path, sizeof(path), "examples/applications/%s",
			 files[i]);
		if (access(path, R_OK) != 0)
			snprintf(path, sizeof(path),
				 "../examples/applications/%s", files[i]);
		rc = app_load_file(path, &a, &e);
		if (rc)
			print_error("%s: %s\n", path, e.msg);
		assert_int_equal(rc, Q_OK);
		app_release(&a);
	}
}

/* A USCC with the given first 17 characters and its check character. */
static void uscc_of(const char *s17, char out[USCC_LEN + 1])
{
	memcpy(out, s17, 17);
	out[17] = uscc_check_char(s17);
	out[18] = '\0';
	assert_true(out[17] != 0);
}

static void test_kind_from_uscc(void **state)
{
	static const struct {
		const char *s17;
		enum uscc_kind kind;
	} codes[] = {
		{"91310115MA1K4ABCD", USCC_KIND_ENTERPRISE},
		{"92310115MA1K4ABCD", USCC_KIND_INDIVIDUAL},
		{"93310115MA1K4ABCD", USCC_KIND_OTHER}, /* a co-operative */
		{"11310000002420000", USCC_KIND_OTHER}, /* a state organ */
		{"12310000425012345", USCC_KIND_INSTITUTION},
		{"13310000500000000", USCC_KIND_OTHER},
		{"51310000500000000", USCC_KIND_SOCIAL},
		{"52310000500000000", USCC_KIND_SOCIAL},
		{"53310000500000000", USCC_KIND_SOCIAL},
		{"59310000500000000", USCC_KIND_SOCIAL},
		{"A1310000500000000", USCC_KIND_INSTITUTION},
		{"Y1310000500000000", USCC_KIND_OTHER},
		{"31310000500000000", USCC_KIND_OTHER},
	};
	char u[USCC_LEN + 1], from[64], to[128];
	struct application a;

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uscc_of(codes[i].s17, u);
		assert_int_equal(uscc_kind_of(u), codes[i].kind);
	}
	assert_string_equal(uscc_kind_name(USCC_KIND_SOCIAL), "social");
	assert_int_equal(uscc_kind_lookup("institution", 11),
			 USCC_KIND_INSTITUTION);
	assert_int_equal(uscc_kind_lookup("company", 7), -1);
	/* Derived, whether declared or not. */
	parse_ok(example, &a);
	assert_int_equal(a.applicant.kind, USCC_KIND_ENTERPRISE);
	app_release(&a);
	/* A declared kind the USCC agrees with. */
	{
		char *j = with("    \"registered_city\"",
			       "    \"kind\": \"enterprise\",\n"
			       "    \"registered_city\"");

		parse_ok(j, &a);
		assert_int_equal(a.applicant.kind, USCC_KIND_ENTERPRISE);
		app_release(&a);
		free(j);
	}
	uscc_of("12310000425012345", u);
	snprintf(from, sizeof(from), "\"uscc\": \"91310115MA1K4ABCDD\"");
	snprintf(to, sizeof(to), "\"uscc\": \"%s\", \"kind\": \"institution\"",
		 u);
	{
		char *j = with(from, to);

		parse_ok(j, &a);
		assert_int_equal(a.applicant.kind, USCC_KIND_INSTITUTION);
		app_release(&a);
		free(j);
	}
	/* Declared against the USCC: refused, naming the field and why. */
	snprintf(to, sizeof(to), "\"uscc\": \"%s\", \"kind\": \"enterprise\"",
		 u);
	refused_with(from, to, Q_ERR_INVALID, "applicant.kind",
		     "applicant.kind: declared 'enterprise', but the USCC "
		     "'12310000425012345");
	refused_with(from, to, Q_ERR_INVALID, "applicant.kind",
		     "registers kind 'institution' (characters 1-2 '12', "
		     "GB 32100-2015)");
	refused_with(
		"\"uscc\": \"91310115MA1K4ABCDD\"",
		"\"uscc\": \"91310115MA1K4ABCDD\", \"kind\": \"individual\"",
		Q_ERR_INVALID, "applicant.kind", "registers kind 'enterprise'");
	refused_with("\"uscc\": \"91310115MA1K4ABCDD\"",
		     "\"uscc\": \"91310115MA1K4ABCDD\", \"kind\": \"other\"",
		     Q_ERR_INVALID, "applicant.kind",
		     "unknown kind 'other': use enterprise, individual, "
		     "institution or social");
	refused_with("\"uscc\": \"91310115MA1K4ABCDD\"",
		     "\"uscc\": \"91310115MA1K4ABCDD\", \"kind\": 1",
		     Q_ERR_WRONG_TYPE, "applicant.kind", "expected a string");
	/* The supplier takes no declared kind. */
	refused_with(
		"\"uscc\": \"91310104MA1FR5T2K1\"",
		"\"uscc\": \"91310104MA1FR5T2K1\", \"kind\": \"enterprise\"",
		Q_ERR_UNKNOWN_FIELD, "supplier.kind", "unknown field");
}

static void test_industry_code(void **state)
{
	static const char *const good[] = {"\"C\"",	"\"I65\"", "\"I651\"",
					   "\"I6510\"", "\"A01\"", "\"T97\""};
	static const struct {
		const char *code, *words;
	} badc[] = {
		{"\"I66\"",
		 "division 66 is not in section I, which holds 63-65"},
		{"\"C12\"",
		 "division 12 is not in section C, which holds 13-43"},
		{"\"C44\"", "division 44 is not in section C"},
		{"\"U01\"", "does not start with a section letter A-T"},
		{"\"i65\"", "does not start with a section letter"},
		{"\"I6\"", "is not an industry code"},
		{"\"I65100\"", "is not an industry code"},
		{"\"I6a\"", "digits only"},
		{"\"6510\"", "does not start with a section letter"},
	};
	struct application a;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *j = with("\"I65\"", good[i]);

		parse_ok(j, &a);
		app_release(&a);
		free(j);
	}
	for (size_t i = 0; i < sizeof(badc) / sizeof(badc[0]); i++)
		refused_with("\"I65\"", badc[i].code, Q_ERR_INVALID,
			     "applicant.industry", badc[i].words);
}

static void test_supplier_qualifications(void **state)
{
	struct application a;
	char *j;

	(void)state;
	parse_ok(example, &a);
	assert_false(a.supplier.has_pflops);
	assert_false(a.supplier.has_racks);
	app_release(&a);
	j = with("\"platform_listed\": true",
		 "\"platform_listed\": true, \"pflops\": 100, \"racks\": 0");
	parse_ok(j, &a);
	assert_true(a.supplier.has_pflops);
	assert_int_equal(a.supplier.pflops, 100);
	assert_true(a.supplier.has_racks);
	assert_int_equal(a.supplier.racks, 0);
	app_release(&a);
	free(j);
	j = with("\"platform_listed\": true",
		 "\"platform_listed\": true, \"pflops\": null");
	parse_ok(j, &a);
	assert_false(a.supplier.has_pflops);
	app_release(&a);
	free(j);
	refused_with("\"platform_listed\": true",
		     "\"platform_listed\": true, \"racks\": -1", Q_ERR_INVALID,
		     "supplier.racks", "-1 is less than 0");
	refused_with("\"platform_listed\": true",
		     "\"platform_listed\": true, \"pflops\": \"100\"",
		     Q_ERR_WRONG_TYPE, "supplier.pflops", "a whole number");
	refused_with("\"platform_listed\": true",
		     "\"platform_listed\": true, \"pflops\": 100.5",
		     Q_ERR_WRONG_TYPE, "supplier.pflops", "a whole number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_from_uscc),
		cmocka_unit_test(test_industry_code),
		cmocka_unit_test(test_supplier_qualifications),
		cmocka_unit_test(test_example_uscc_valid),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_bad_credit_and_other_subsidies),
		cmocka_unit_test(test_money_refused),
		cmocka_unit_test(test_money_as_number),
		cmocka_unit_test(test_uscc_refused),
		cmocka_unit_test(test_dates_refused),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_unknown_field_shown_safely),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_broken_json),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_missing_field),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_types_and_ranges),
		cmocka_unit_test(test_wrong_object_types),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_other_subsidies_count),
		cmocka_unit_test(test_message_stays_utf8),
		cmocka_unit_test(test_office_fields_unknown),
		cmocka_unit_test(test_client_ref),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_examples_dir),
	};

	return cmocka_run_group_tests_name("app", tests, NULL, NULL);
}
