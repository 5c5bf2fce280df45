/*
 * test_audit_text.c - an audit event's detail as the chain stores and
 * hashes it (src/office/audit_text.c).
 *
 * The text of an application's "apply" event is pinned byte for byte:
 * chains written before stay verifiable only while it does not change, so
 * a change to it must be made on purpose (and audit verify taught both).
 * And the direct writer is held to jansson's json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS), which wrote every event before it, on values chosen to
 * reach each escape, key order and kind of value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/office.h"
#include "office/office_int.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testdb.h"

/* 2025-11-20T10:00:00+08:00, inside Shanghai's 2025 window. */
#define NOW 1763604000

static const char app[] =
	"{\"client_ref\": \"pin-1\", \"program\": \"shanghai-2025\", "
	"\"measure\": \"corpus\", \"applicant\": {\"uscc\": "
	"\"91310000MA1FL8WR2F\", \"name\": \"海上语言智能科技有限公司\", "
	"\"registered_city\": \"shanghai\", \"industry\": \"I65\", \"sme\": "
	"true, \"startup\": false, \"registered_model\": false, "
	"\"last_bad_credit_on\": null, \"controllers\": "
	"[\"31010419700101008X\"]}, \"supplier\": {\"uscc\": "
	"\"91310104MA1FR9KP6K\", \"name\": \"上海语料数据服务有限公司\", "
	"\"platform_listed\": true, \"controllers\": "
	"[\"310101198506200052\"]}, \"contract\": {\"number\": "
	"\"HT-2025-1633\", \"kind\": \"corpus\", \"value\": \"3000000.00\", "
	"\"signed_on\": \"2025-09-25\", \"term_months\": 12, "
	"\"uses_registered_model\": false, \"other_subsidies\": [], "
	"\"compute\": null}}";

/* What the office wrote for it before audit_text.c existed (jansson's
 * json_pack and json_dumps), with the office's clock set. */
static const char pinned[] =
	"{\"amount\":\"900000.00\",\"app\":{\"approved_by\":\"\",\"approver\":\"\","
	"\"awarded\":\"0.00\",\"paid\":\"0.00\",\"recovered\":\"0.00\",\"requested\":\"900000.00\","
	"\"state\":\"reserved\"},\"blocked\":false,\"client_ref\":\"pin-1\","
	"\"clock\":\"QUAN_NOW\",\"eligible\":true,\"flags\":\"\",\"measure\":\"corpus\","
	"\"received_at\":\"2025-11-20T10:01:00+08:00\",\"state\":\"reserved\","
	"\"transfers\":[[\"reserve/SH-2025-000001\",7617816601994516511,"
	"6266563779293825967,\"900000.00\"]]}";

struct found {
	const char *action;
	char *detail;
	int n;
};

static int find_event(void *arg, const struct store_event *ev)
{
	struct found *f = arg;

	if (strcmp(ev->action, f->action))
		return 0;
	f->n++;
	free(f->detail);
	f->detail = strdup(ev->detail);
	return 0;
}

static void test_apply_event_pinned(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct chip_catalog *chips = NULL;
	struct office_result res;
	struct found f = {"apply", NULL, 0};
	struct testdb db;
	struct office o;
	struct qerr e;
	bool is_new;

	(void)state;
	assert_int_equal(testdb_create(&db), 0);
	assert_int_equal(chips_load(QUAN_DATADIR "/chips.yaml", &chips, &d), 0);
	diag_release(&d);
	assert_int_equal(office_open(&o, db.url, chips, &e), 0);
	o.clock_set = true;
	assert_int_equal(
		office_load_policy(&o, QUAN_POLICYDIR "/shanghai-2025.yaml",
				   "admin", NOW, &is_new, &e),
		0);
	qerr_clear(&e);
	if (office_apply(&o, app, strlen(app), "applicant", NOW + 60, &res, &e))
		fail_msg("office_apply: %s", e.msg);
	assert_int_equal(res.state, APP_RESERVED);
	assert_int_equal(store_event_each(o.store, find_event, &f, &e), 0);
	assert_int_equal(f.n, 1);
	if (strcmp(f.detail, pinned))
		fail_msg("the apply event's text changed:\n  was %s\n  now %s",
			 pinned, f.detail);
	free(f.detail);
	office_close(&o);
	chips_free(chips);
	testdb_drop(&db);
}

/* office_text_json(v) against json_dumps(v). */
static void same_as_jansson(json_t *v)
{
	struct office_text t = {0};
	char *want =
		json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *got;

	assert_non_null(want);
	office_text_json(&t, v);
	got = office_text_take(&t);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(v);
}

static void test_values_as_jansson(void **state)
{
	char all[128];
	json_t *o;

	(void)state;
	/* Every byte below 0x80, '"', '\\', '/', DEL among them. */
	for (int i = 0; i < 127; i++)
		all[i] = (char)(i + 1);
	same_as_jansson(json_stringn(all, 127));
	same_as_jansson(json_stringn("a\0b", 3));
	same_as_jansson(json_string("é 中文 😀 \xe2\x80\xa8 "));
	same_as_jansson(json_string(""));
	same_as_jansson(json_integer(0));
	same_as_jansson(json_integer(INT64_MIN));
	same_as_jansson(json_integer(INT64_MAX));
	same_as_jansson(json_real(0.1));
	same_as_jansson(json_true());
	same_as_jansson(json_false());
	same_as_jansson(json_null());
	same_as_jansson(json_object());
	same_as_jansson(json_array());
	/* Keys out of order, sorted byte by byte; nested values. */
	o = json_pack("{s:i,s:i,s:i,s:i,s:i,s:[s,I,{s:s,s:s}],s:{}}", "b", 1,
		      "a", 2, "B", 3, "a\"b", 4, "é", 5, "transfers", "t/1",
		      (json_int_t)7, "z", "\n", "y", "\\", "ab", 6);
	assert_non_null(o);
	same_as_jansson(o);
}

/* A random code point's UTF-8 into out (at least 4 bytes); its length.
 * Mostly ASCII and control characters, where the escapes are. */
static size_t random_char(uint64_t *x, char *out)
{
	uint32_t cp;

	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	switch (*x % 4) {
	case 0:
		cp = (uint32_t)(*x >> 8) % 0x20; /* a control character */
		break;
	case 1:
		cp = 0x20 + (uint32_t)(*x >> 8) % 0x60; /* ASCII, DEL too */
		break;
	case 2:
		cp = 0x80 + (uint32_t)(*x >> 8) % 0xd780; /* below surrogates */
		break;
	default:
		cp = 0xe000 + (uint32_t)(*x >> 8) % 0x102000;
		break;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Random strings, as values and as keys of one object, against
 * json_dumps. */
static void test_random_strings(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		json_t *o = json_object();
		char buf[256];

		assert_non_null(o);
		for (int k = 0; k < 8; k++) {
			size_t n = 0, len = (size_t)(x % 40);

			while (n < len)
				n += random_char(&x, buf + n);
			buf[n] = '\0';
			same_as_jansson(json_stringn(buf, n));
			/* Keys with NUL inside are jansson's own case. */
			if (!memchr(buf, '\0', n))
				json_object_set_new(o, buf, json_integer(k));
		}
		same_as_jansson(o);
	}
}

/* A detail with members added replaces the detail's own, as
 * json_object_set_new would. */
static void test_detail_members(void **state)
{
	struct office_member m[] = {{"app", "{\"x\":1}", NULL},
				    {"clock", "\"QUAN_NOW\"", NULL},
				    {"zz", NULL, NULL}};
	json_t *d = json_pack("{s:s,s:i,s:b}", "app", "old", "measure", 3,
			      "blocked", 0);
	json_t *v = json_string("v");
	char *got;

	(void)state;
	m[2].value = v;
	got = office_detail_text(d, m, 3);
	assert_non_null(got);
	assert_string_equal(got, "{\"app\":{\"x\":1},\"blocked\":false,"
				 "\"clock\":\"QUAN_NOW\",\"measure\":3,"
				 "\"zz\":\"v\"}");
	free(got);
	got = office_detail_text(NULL, NULL, 0);
	assert_string_equal(got, "{}");
	free(got);
	json_decref(d);
	json_decref(v);
}

/* The row of an application as its events carry it: the text of
 * office_app_row_json. */
static void test_row_text(void **state)
{
	struct store_app a;
	struct office_text t = {0};
	json_t *j;
	char *want, *got;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.state = APP_AWARDED;
	a.requested = 123456789;
	a.awarded = 100000000;
	a.paid = 5;
	a.recovered = 0;
	snprintf(a.approver, sizeof(a.approver), "%s", "审批人 \"a\"");
	snprintf(a.approved_by, sizeof(a.approved_by), "%s", "b\\c");
	j = office_app_row_json(&a);
	want = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	office_app_row_text(&t, &a);
	got = office_text_take(&t);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_event_pinned),
		cmocka_unit_test(test_values_as_jansson),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_detail_members),
		cmocka_unit_test(test_row_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
