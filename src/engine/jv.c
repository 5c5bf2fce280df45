/*
 * jv.c - a JSON document as a read-only tree (jv.h): a quick reader of
 * the common subset, and a copy of jansson's tree.
 *
 * jv_read accepts a text only where jansson 2.14 (json_loadb with
 * JSON_REJECT_DUPLICATES) accepts it with the same values, and is unsure
 * of the rest: any byte it does not expect, any \u escape, fraction,
 * exponent or long number, invalid UTF-8, a control character in a
 * string, a repeated key, deep nesting or a large object. It never
 * reports an error of the text itself; jansson does.
 */
#include "engine/jv.h"

#include <assert.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define JV_BLOCK 8192

struct jv_block {
	struct jv_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

void jv_arena_free(struct jv_arena *a)
{
	struct jv_block *b;

	if (!a)
		return;
	b = a->head;
	while (b) {
		struct jv_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
	a->nodes = 0;
}

static void *arena_get(struct jv_arena *a, size_t n, size_t align)
{
	struct jv_block *b = a->head;
	size_t at = 0;

	assert(align && (align & (align - 1)) == 0);
	assert(n < (1u << 30));
	if (b)
		at = (b->used + align - 1) & ~(align - 1);
	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = n > JV_BLOCK ? n : JV_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

static struct jv *node_new(struct jv_arena *a, enum jv_type t)
{
	struct jv *v = arena_get(a, sizeof(*v), alignof(struct jv));

	if (!v)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->type = t;
	a->nodes++;
	return v;
}

/* ---- the quick reader ------------------------------------------------- */

struct rd {
	const unsigned char *p, *end;
	struct jv_arena *a;
	int depth;
};

/* The length of the UTF-8 sequence at s (at most len bytes), or 0 when it
 * is not one jansson accepts: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
				 *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

/* A string at r->p (its opening quote), decoded into the arena:
 * *out, *outlen. */
static int read_string(struct rd *r, const char **out, size_t *outlen)
{
	const unsigned char *s = r->p + 1, *q = s;
	char *dst;
	size_t o = 0;

	assert(r->p < r->end && *r->p == '"');
	/* The closing quote; the decoded text is never longer. */
	while (q < r->end && *q != '"') {
		if (*q == '\\' && r->end - q < 2)
			return JV_UNSURE;
		q += *q == '\\' ? 2 : 1;
	}
	if (q >= r->end)
		return JV_UNSURE;
	dst = arena_get(r->a, (size_t)(q - s) + 1, 1);
	if (!dst)
		return Q_ERR_NOMEM;
	while (s < q) {
		unsigned c = *s;

		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt",
					  to[] = "\"\\/\b\f\n\r\t";
			const char *k = memchr(from, s[1], sizeof(from) - 1);

			if (!k)
				return JV_UNSURE; /* \u, or not an escape */
			dst[o++] = to[k - from];
			s += 2;
		} else if (c < 0x20) {
			return JV_UNSURE;
		} else if (c < 0x80) {
			dst[o++] = (char)c;
			s++;
		} else {
			size_t n = utf8_len(s, (size_t)(q - s));

			if (!n)
				return JV_UNSURE;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		}
	}
	dst[o] = '\0';
	*out = dst;
	*outlen = o;
	r->p = q + 1;
	return Q_OK;
}

/* A whole number of at most 18 digits: no overflow, and the form jansson
 * reads as an integer (no leading zero, no fraction, no exponent). */
static int read_integer(struct rd *r, int64_t *out)
{
	const unsigned char *p = r->p;
	bool neg = false;
	int64_t v = 0;
	int digits = 0;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p >= r->end || *p < '0' || *p > '9')
		return JV_UNSURE;
	if (*p == '0' && p + 1 < r->end && p[1] >= '0' && p[1] <= '9')
		return JV_UNSURE;
	while (p < r->end && *p >= '0' && *p <= '9') {
		if (++digits > 18)
			return JV_UNSURE;
		v = v * 10 + (*p++ - '0');
	}
	if (p < r->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return JV_UNSURE;
	*out = neg ? -v : v;
	r->p = p;
	return Q_OK;
}

static int read_value(struct rd *r, struct jv **out);

/* The members of an object or the items of an array, after its opening
 * bracket, up to its closing one. */
static int read_items(struct rd *r, struct jv *v, char close)
{
	struct jv **tail = &v->first;
	int rc;

	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return Q_OK;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0;
		struct jv *item;

		if (close == '}') {
			if (r->p >= r->end || *r->p != '"' ||
			    v->n >= JV_MAX_MEMBERS)
				return JV_UNSURE;
			rc = read_string(r, &key, &klen);
			if (rc)
				return rc;
			/* A repeated key is jansson's to refuse. */
			for (struct jv *m = v->first; m; m = m->next)
				if (m->klen == klen &&
				    !memcmp(m->key, key, klen))
					return JV_UNSURE;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return JV_UNSURE;
			r->p++;
			skip_ws(r);
		}
		rc = read_value(r, &item);
		if (rc)
			return rc;
		item->key = key;
		item->klen = klen;
		*tail = item;
		tail = &item->next;
		v->n++;
		skip_ws(r);
		if (r->p >= r->end)
			return JV_UNSURE;
		if (*r->p == close) {
			r->p++;
			return Q_OK;
		}
		if (*r->p != ',')
			return JV_UNSURE;
		r->p++;
		skip_ws(r);
	}
}

static bool literal(struct rd *r, const char *word, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return false;
	r->p += n;
	return true;
}

/* One value at r->p (no white space before it). */
static int read_value(struct rd *r, struct jv **out)
{
	struct jv *v;
	int rc = Q_OK;

	if (r->p >= r->end || r->a->nodes >= JV_MAX_NODES)
		return JV_UNSURE;
	switch (*r->p) {
	case '{':
	case '[':
		if (r->depth >= JV_MAX_DEPTH)
			return JV_UNSURE;
		v = node_new(r->a, *r->p == '{' ? JV_OBJECT : JV_ARRAY);
		if (!v)
			return Q_ERR_NOMEM;
		r->p++;
		r->depth++;
		rc = read_items(r, v, v->type == JV_OBJECT ? '}' : ']');
		r->depth--;
		break;
	case '"':
		v = node_new(r->a, JV_STRING);
		if (!v)
			return Q_ERR_NOMEM;
		rc = read_string(r, &v->s, &v->n);
		break;
	case 't':
		v = node_new(r->a, JV_TRUE);
		if (!v)
			return Q_ERR_NOMEM;
		rc = literal(r, "true", 4) ? Q_OK : JV_UNSURE;
		break;
	case 'f':
		v = node_new(r->a, JV_FALSE);
		if (!v)
			return Q_ERR_NOMEM;
		rc = literal(r, "false", 5) ? Q_OK : JV_UNSURE;
		break;
	case 'n':
		v = node_new(r->a, JV_NULL);
		if (!v)
			return Q_ERR_NOMEM;
		rc = literal(r, "null", 4) ? Q_OK : JV_UNSURE;
		break;
	default:
		v = node_new(r->a, JV_INTEGER);
		if (!v)
			return Q_ERR_NOMEM;
		rc = read_integer(r, &v->i);
		break;
	}
	*out = v;
	return rc;
}

int jv_read(const char *buf, size_t len, struct jv_arena *a, struct jv **root)
{
	struct rd r = {(const unsigned char *)buf,
		       (const unsigned char *)buf + len, a, 0};
	int rc;

	assert(buf || len == 0);
	assert(a && root);
	*root = NULL;
	skip_ws(&r);
	/* jansson takes an object or an array at the top; applications are
	 * objects, and anything else is left to it. */
	if (r.p >= r.end || *r.p != '{')
		return JV_UNSURE;
	rc = read_value(&r, root);
	if (rc)
		return rc;
	skip_ws(&r);
	return r.p == r.end ? Q_OK : JV_UNSURE;
}

/* ---- a copy of jansson's tree ------------------------------------------ */

static int copy_items(json_t *j, struct jv_arena *a, struct jv *v);

static int copy_value(json_t *j, struct jv_arena *a, struct jv **out)
{
	static const enum jv_type types[] = {
		[JSON_OBJECT] = JV_OBJECT, [JSON_ARRAY] = JV_ARRAY,
		[JSON_STRING] = JV_STRING, [JSON_INTEGER] = JV_INTEGER,
		[JSON_REAL] = JV_REAL,	   [JSON_TRUE] = JV_TRUE,
		[JSON_FALSE] = JV_FALSE,   [JSON_NULL] = JV_NULL};
	struct jv *v;

	assert(j);
	assert((size_t)json_typeof(j) < sizeof(types) / sizeof(types[0]));
	v = node_new(a, types[json_typeof(j)]);
	if (!v)
		return Q_ERR_NOMEM;
	*out = v;
	if (json_is_string(j)) {
		v->s = json_string_value(j);
		v->n = json_string_length(j);
	} else if (json_is_integer(j)) {
		v->i = (int64_t)json_integer_value(j);
	} else if (json_is_object(j) || json_is_array(j)) {
		return copy_items(j, a, v);
	}
	return Q_OK;
}

static int copy_items(json_t *j, struct jv_arena *a, struct jv *v)
{
	struct jv **tail = &v->first, *item;
	const char *k;
	json_t *x;
	size_t i;
	int rc;

	if (json_is_object(j)) {
		json_object_foreach(j, k, x)
		{
			rc = copy_value(x, a, &item);
			if (rc)
				return rc;
			item->key = k;
			item->klen = strlen(k);
			*tail = item;
			tail = &item->next;
			v->n++;
		}
		return Q_OK;
	}
	json_array_foreach(j, i, x)
	{
		rc = copy_value(x, a, &item);
		if (rc)
			return rc;
		*tail = item;
		tail = &item->next;
		v->n++;
	}
	return Q_OK;
}

int jv_from_jansson(json_t *j, struct jv_arena *a, struct jv **root)
{
	assert(j && a && root);
	*root = NULL;
	return copy_value(j, a, root);
}

/* ---- reading the tree --------------------------------------------------- */

struct jv *jv_get(const struct jv *o, const char *key)
{
	size_t n = strlen(key);

	assert(o && o->type == JV_OBJECT);
	for (struct jv *m = o->first; m; m = m->next)
		if (m->klen == n && !memcmp(m->key, key, n))
			return m;
	return NULL;
}

bool jv_equal(const struct jv *x, const struct jv *y)
{
	const struct jv *a, *b;

	if (x->type != y->type || x->n != y->n)
		return false;
	switch (x->type) {
	case JV_STRING:
		return !memcmp(x->s, y->s, x->n) && !x->s[x->n] && !y->s[y->n];
	case JV_INTEGER:
		return x->i == y->i;
	case JV_OBJECT:
	case JV_ARRAY:
		for (a = x->first, b = y->first; a && b;
		     a = a->next, b = b->next)
			if (a->klen != b->klen ||
			    (a->klen && memcmp(a->key, b->key, a->klen)) ||
			    !jv_equal(a, b))
				return false;
		return !a && !b;
	default:
		return true;
	}
}
