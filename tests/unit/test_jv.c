/*
 * test_jv.c - the quick JSON reader (engine/jv.h) against jansson: what
 * jv_read accepts, jansson accepts with the same tree; what it cannot
 * vouch for (escapes it does not decode, fractions, long numbers, repeated
 * keys, bad UTF-8, deep nesting, anything malformed) it leaves to jansson.
 * Also a few thousand mutations of an application, read both ways.
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

#include "engine/jv.h"

static const char app[] =
	"{\"client_ref\": \"ref-1\", \"program\": \"shanghai-2025\",\n"
	" \"measure\": \"compute-rent\",\r\n"
	"\t\"applicant\": {\"uscc\": \"91310115MA1K4ABCDD\", \"name\": "
	"\"示例智能科技（上海）有限公司\", \"sme\": true, \"startup\": false,"
	" \"last_bad_credit_on\": null, \"controllers\": [\"a\", \"b\\\"\\\\"
	"\\/\\b\\f\\n\\r\\t\"]},\n"
	" \"contract\": {\"value\": \"1200000.00\", \"term_months\": 12, "
	"\"n\": -0, \"m\": -922337203685477580, \"z\": 0, \"e\": {}, "
	"\"a\": [], \"nested\": [[1, [2, {\"x\": [true]}]]]}}";

/* Whether jv_read and jansson agree on text: jv_read either unsure or
 * accepting what jansson accepts, with the same tree. Returns jv_read's
 * answer. */
static int agree(const char *text, size_t len)
{
	struct jv_arena quick = {0}, slow = {0};
	struct jv *a = NULL, *b = NULL;
	json_error_t jerr;
	json_t *j;
	int rc = jv_read(text, len, &quick, &a);

	assert_true(rc == Q_OK || rc == JV_UNSURE);
	if (rc == Q_OK) {
		j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!j)
			fail_msg(
				"jv_read accepts what jansson refuses (%s): %.*s",
				jerr.text, (int)len, text);
		assert_int_equal(jv_from_jansson(j, &slow, &b), Q_OK);
		if (!jv_equal(a, b))
			fail_msg("the trees differ: %.*s", (int)len, text);
		json_decref(j);
	}
	jv_arena_free(&quick);
	jv_arena_free(&slow);
	return rc;
}

static int agree_s(const char *text)
{
	return agree(text, strlen(text));
}

static void test_reads_an_application(void **state)
{
	struct jv_arena a = {0};
	struct jv *root, *v;

	(void)state;
	assert_int_equal(agree_s(app), Q_OK);
	assert_int_equal(jv_read(app, strlen(app), &a, &root), Q_OK);
	v = jv_get(jv_get(root, "applicant"), "controllers");
	assert_non_null(v);
	assert_int_equal(v->n, 2);
	assert_string_equal(v->first->next->s, "b\"\\/\b\f\n\r\t");
	assert_int_equal(jv_get(jv_get(root, "contract"), "m")->i,
			 -922337203685477580LL);
	assert_null(jv_get(root, "id"));
	jv_arena_free(&a);
}

/* Valid JSON that jv_read leaves to jansson, and malformed text, which it
 * must never accept. */
static void test_unsure(void **state)
{
	static const char *const texts[] = {
		"{\"a\": \"\\u00e9\"}",		 /* \u: jansson decodes */
		"{\"a\": 1.5}",			 /* fractions */
		"{\"a\": 1e3}",			 /* exponents */
		"{\"a\": 1234567890123456789}",	 /* 19 digits */
		"{\"a\": 99999999999999999999}", /* too big for jansson */
		"{\"a\": 1, \"a\": 2}",		 /* repeated keys */
		"{\"a\": {\"b\": 1, \"b\": 1}}",
		"[1, 2]", /* not an object at the top */
		"\"text\"",
		"",
		"   ",
		"{",
		"{\"a\"}",
		"{\"a\": }",
		"{\"a\": 1,}",
		"{\"a\": [1,]}",
		"{\"a\": 01}",
		"{\"a\": -}",
		"{\"a\": +1}",
		"{\"a\": tru}",
		"{\"a\": truex}",
		"{\"a\": nul}",
		"{\"a\": fals}",
		"{\"a\": True}",
		"{\"a\": 1} x",
		"{\"a\": 1}}",
		"{\"a\": \"\t\"}",  /* a raw control character */
		"{\"a\": \"\\x\"}", /* not an escape */
		"{\"a\": \"\\",
		"{\"a\": \"abc",
		"{\"a\": \"\xc0\xaf\"}",	 /* overlong */
		"{\"a\": \"\xed\xa0\x80\"}",	 /* a surrogate */
		"{\"a\": \"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
		"{\"a\": \"\xe4\xb8\"}",	 /* cut short */
		"{\"a\": \"\xff\"}",
		"{'a': 1}",
		"{\"a\" 1}",
		"{\"a\": 1 \"b\": 2}",
		"{\"a\": [1 2]}",
		"{\"a\"\f: 1}", /* form feed is not white space */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (agree_s(texts[i]) != JV_UNSURE)
			fail_msg("jv_read vouched for: %s", texts[i]);
	/* A NUL byte, inside a string and outside. */
	assert_int_equal(agree("{\"a\": \"x\0\"}", 10), JV_UNSURE);
	assert_int_equal(agree("{\"a\": 1}\0", 9), JV_UNSURE);
}

/* Nesting up to JV_MAX_DEPTH is read; one level more is left to jansson
 * (app.c refuses it before jansson recurses). */
static void test_depth(void **state)
{
	char buf[256];
	size_t o = 0;

	(void)state;
	for (int d = 1; d <= JV_MAX_DEPTH + 1; d++) {
		o = 0;
		buf[o++] = '{';
		buf[o++] = '"';
		buf[o++] = 'a';
		buf[o++] = '"';
		buf[o++] = ':';
		for (int i = 1; i < d; i++)
			buf[o++] = '[';
		buf[o++] = '1';
		for (int i = 1; i < d; i++)
			buf[o++] = ']';
		buf[o++] = '}';
		assert_int_equal(agree(buf, o),
				 d <= JV_MAX_DEPTH ? Q_OK : JV_UNSURE);
	}
}

/* More than JV_MAX_MEMBERS keys in one object: jansson's hash table finds
 * the repeats. */
static void test_members(void **state)
{
	char buf[4096];
	size_t o = 0;

	(void)state;
	buf[o++] = '{';
	for (int i = 0; i <= JV_MAX_MEMBERS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\"k%d\":%d",
				      i ? "," : "", i, i);
	buf[o++] = '}';
	assert_int_equal(agree(buf, o), JV_UNSURE);
	/* One fewer member: read. */
	o = 0;
	buf[o++] = '{';
	for (int i = 0; i < JV_MAX_MEMBERS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s\"k%d\":%d",
				      i ? "," : "", i, i);
	buf[o++] = '}';
	assert_int_equal(agree(buf, o), Q_OK);
}

/* Mutations of the application: a byte replaced by one of a set that
 * matters to JSON, deleted, or doubled; both readers must agree on each. */
static void test_mutations(void **state)
{
	static const char bytes[] = "{}[]\":,\\ 0-1e.tfnu\t\n\x01\x7f\xe4\xff";
	size_t len = strlen(app);
	char *buf = malloc(len + 2);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	long sure = 0;

	(void)state;
	assert_non_null(buf);
	for (int round = 0; round < 20000; round++) {
		size_t at, n = len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		at = (size_t)(x % len);
		memcpy(buf, app, len);
		switch ((x >> 32) % 3) {
		case 0:
			buf[at] = bytes[(x >> 40) % (sizeof(bytes) - 1)];
			break;
		case 1:
			memmove(buf + at, buf + at + 1, len - at - 1);
			n--;
			break;
		default:
			memmove(buf + at + 1, buf + at, len - at);
			n++;
			break;
		}
		sure += agree(buf, n) == Q_OK;
	}
	/* Most mutations land in strings and stay valid. */
	assert_true(sure > 1000);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_an_application),
		cmocka_unit_test(test_unsure),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
