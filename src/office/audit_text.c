/*
 * audit_text.c - an audit event's detail written as the chain stores and
 * hashes it: the text of jansson's json_dumps(detail, JSON_COMPACT |
 * JSON_SORT_KEYS), byte for byte, composed here (members sorted by key)
 * with each string escaped by yajl's generator. Intake writes one
 * event per application; building a jansson object for it, sorting its
 * keys and dumping it again cost more than the rules that decided it.
 * Chains written before this file verify unchanged: the text is the
 * same (tests/unit/test_office.c pins an application's event, and
 * test_audit_text compares this writer with json_dumps).
 */
#include "office/office_int.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "core/utf8.h"

/* Far above any event (a transaction claims at most 65 536 transfers of
 * under 100 bytes each), so that no detail grows without bound. */
#define OFFICE_TEXT_MAX (64u << 20)

static void grow(struct office_text *t, size_t n)
{
	size_t cap;
	char *b;

	if (t->failed)
		return;
	if (n > OFFICE_TEXT_MAX || t->len > OFFICE_TEXT_MAX - n) {
		t->failed = true;
		return;
	}
	if (t->len + n + 1 <= t->cap)
		return;
	cap = t->cap ? t->cap : 256;
	while (cap < t->len + n + 1)
		cap *= 2;
	b = realloc(t->buf, cap);
	if (!b) {
		t->failed = true;
		return;
	}
	t->buf = b;
	t->cap = cap;
}

void office_text_raw(struct office_text *t, const char *s, size_t n)
{
	assert(t && (s || n == 0));
	grow(t, n);
	if (t->failed)
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* A JSON string as jansson dumps it without JSON_ENSURE_ASCII or
 * JSON_ESCAPE_SLASH, escaped by yajl's generator, which escapes as jansson
 * does: '"' and '\\', the control characters \b \f \n \r \t by name and
 * the others as \u00XX (upper-case hex), everything else as it is
 * (test_audit_text holds the two equal). A string that is not UTF-8
 * fails the text, as it fails json_dumps. */
static void text_strn(struct office_text *t, const char *s, size_t len)
{
	const unsigned char *out;
	size_t n;

	assert(t && (s || len == 0));
	if (t->failed)
		return;
	if (!utf8_valid(s, len)) {
		t->failed = true;
		return;
	}
	if (!t->g)
		t->g = yajl_gen_alloc(NULL);
	if (!t->g) {
		t->failed = true;
		return;
	}
	/* One string at a time: each is a whole document to yajl. */
	yajl_gen_reset(t->g, NULL);
	yajl_gen_clear(t->g);
	if (yajl_gen_string(t->g, (const unsigned char *)s, len) !=
		    yajl_gen_status_ok ||
	    yajl_gen_get_buf(t->g, &out, &n) != yajl_gen_status_ok) {
		t->failed = true;
		return;
	}
	office_text_raw(t, (const char *)out, n);
}

void office_text_str(struct office_text *t, const char *s)
{
	assert(t && s);
	text_strn(t, s, strlen(s));
}

void office_text_money(struct office_text *t, money_t m)
{
	char buf[MONEY_TEXT_MAX];

	assert(t);
	/* Money is a string in the chain ("1200000.00"), no escapes. */
	money_format(m, buf);
	office_text_raw(t, "\"", 1);
	office_text_raw(t, buf, strlen(buf));
	office_text_raw(t, "\"", 1);
}

void office_text_int(struct office_text *t, int64_t n)
{
	char buf[24];
	int k = snprintf(buf, sizeof(buf), "%" PRId64, n);

	assert(k > 0 && (size_t)k < sizeof(buf));
	office_text_raw(t, buf, (size_t)k);
}

static int key_order(const void *x, const void *y)
{
	return strcmp(((const struct office_member *)x)->key,
		      ((const struct office_member *)y)->key);
}

/* Members m[0 .. n-1] as one object, sorted by key as JSON_SORT_KEYS
 * sorts (strcmp); each is raw text or a jansson value. m is sorted in
 * place. */
static void text_members(struct office_text *t, struct office_member *m,
			 size_t n)
{
	qsort(m, n, sizeof(*m), key_order);
	office_text_raw(t, "{", 1);
	for (size_t i = 0; i < n; i++) {
		assert(i == 0 || strcmp(m[i - 1].key, m[i].key) < 0);
		if (i)
			office_text_raw(t, ",", 1);
		office_text_str(t, m[i].key);
		office_text_raw(t, ":", 1);
		if (m[i].raw)
			office_text_raw(t, m[i].raw, strlen(m[i].raw));
		else
			office_text_json(t, m[i].value);
	}
	office_text_raw(t, "}", 1);
}

void office_text_json(struct office_text *t, json_t *v)
{
	assert(t && v);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		struct office_member *m = calloc(n ? n : 1, sizeof(*m));
		const char *k;
		json_t *x;

		if (!m) {
			t->failed = true;
			return;
		}
		json_object_foreach(v, k, x)
		{
			m[i].key = k;
			m[i++].value = x;
		}
		text_members(t, m, n);
		free(m);
		return;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;

		office_text_raw(t, "[", 1);
		json_array_foreach(v, i, x)
		{
			if (i)
				office_text_raw(t, ",", 1);
			office_text_json(t, x);
		}
		office_text_raw(t, "]", 1);
		return;
	}
	case JSON_STRING:
		text_strn(t, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		office_text_int(t, (int64_t)json_integer_value(v));
		return;
	case JSON_TRUE:
		office_text_raw(t, "true", 4);
		return;
	case JSON_FALSE:
		office_text_raw(t, "false", 5);
		return;
	case JSON_NULL:
		office_text_raw(t, "null", 4);
		return;
	case JSON_REAL:
	default: {
		/* No event holds one; jansson's own digits if one did. */
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
						JSON_ENCODE_ANY);

		if (!s) {
			t->failed = true;
			return;
		}
		office_text_raw(t, s, strlen(s));
		free(s);
		return;
	}
	}
}

char *office_text_take(struct office_text *t)
{
	char *s;

	assert(t);
	if (t->failed || !t->buf) {
		office_text_release(t);
		return NULL;
	}
	s = t->buf;
	if (t->g)
		yajl_gen_free(t->g);
	memset(t, 0, sizeof(*t));
	return s;
}

void office_text_release(struct office_text *t)
{
	if (!t)
		return;
	free(t->buf);
	if (t->g)
		yajl_gen_free(t->g);
	memset(t, 0, sizeof(*t));
}

/* Whether key is among m[0 .. n-1]. */
static bool has_key(const struct office_member *m, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].key, key))
			return true;
	return false;
}

char *office_detail_text(json_t *detail, const struct office_member *extra,
			 size_t nextra)
{
	struct office_text t = {0};
	struct office_member *m;
	size_t n = 0, cap;
	const char *k;
	json_t *v;

	assert(!detail || json_is_object(detail));
	assert(extra || nextra == 0);
	cap = (detail ? json_object_size(detail) : 0) + nextra;
	m = calloc(cap ? cap : 1, sizeof(*m));
	if (!m)
		return NULL;
	/* The extra members replace the detail's of the same name, as
	 * json_object_set_new would. */
	if (detail)
		json_object_foreach(detail, k, v)
		{
			if (has_key(extra, nextra, k))
				continue;
			m[n].key = k;
			m[n++].value = v;
		}
	for (size_t i = 0; i < nextra; i++) {
		assert(!has_key(extra, i, extra[i].key));
		m[n++] = extra[i];
	}
	assert(n <= cap);
	text_members(&t, m, n);
	free(m);
	return office_text_take(&t);
}
