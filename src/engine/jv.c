/*
 * jv.c - a JSON document as a read-only tree (jv.h): yajl's event parser
 * building it in one arena, and a copy of jansson's tree.
 *
 * jv_read keeps what yajl reads only where jansson 2.14 (json_loadb with
 * JSON_REJECT_DUPLICATES) accepts it with the same values, and is unsure
 * of the rest: whatever yajl refuses, any \u escape, fraction, exponent
 * or long number, UTF-8 jansson would refuse, a repeated key, a top level
 * other than an object, deep nesting or a large object. It never reports
 * an error of the text itself; jansson does. yajl reads without a hash
 * table or an allocation per value, which is what made jansson slow here.
 */
#include "engine/jv.h"

#include "core/arena.h"
#include "core/utf8.h"

#include <assert.h>
#include <stdalign.h>
#include <string.h>

#include <yajl/yajl_parse.h>

void jv_arena_free(struct jv_arena *a)
{
	if (!a)
		return;
	arena_release(&a->mem);
	a->nodes = 0;
}

static struct jv *node_new(struct jv_arena *a, enum jv_type t)
{
	struct jv *v = arena_alloc(&a->mem, sizeof(*v), alignof(struct jv));

	if (!v)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->type = t;
	a->nodes++;
	return v;
}

/* ---- the quick reader: yajl's events into the arena ------------------- */

/* The walk under way: the containers open (stack, and where each one's
 * next item goes), the key waiting for its value, and why the walk
 * stopped when a callback stopped it. */
struct rd {
	struct jv_arena *a;
	struct jv *open[JV_MAX_DEPTH];
	struct jv **tail[JV_MAX_DEPTH];
	int depth;
	const char *key;
	size_t klen;
	struct jv *root;
	yajl_handle h;
	size_t end_at; /* the bytes up to the root's closing brace */
	int rc;
};

/* Whether s (len bytes) is UTF-8 as jansson accepts it inside a string,
 * without NUL (which a \u0000 would give, and jansson refuses). yajl
 * checks the form of a sequence but not all of utf8_valid's rules. */
static bool utf8_strict(const unsigned char *s, size_t len)
{
	return utf8_valid((const char *)s, len) && !memchr(s, 0, len);
}

/* Stop the walk: rc says why (JV_UNSURE or Q_ERR_NOMEM). yajl then
 * answers yajl_status_client_canceled. */
static int stop(struct rd *r, int rc)
{
	assert(rc == JV_UNSURE || rc == Q_ERR_NOMEM);
	r->rc = rc;
	return 0;
}

/* A new value of type t, put where the walk stands: the root (an object,
 * as applications are; jansson decides anything else), an object's
 * member under the waiting key, or an array's next item. */
static struct jv *add(struct rd *r, enum jv_type t)
{
	struct jv *v, *in;

	if (r->a->nodes >= JV_MAX_NODES) {
		stop(r, JV_UNSURE);
		return NULL;
	}
	if (r->depth == 0 && (r->root || t != JV_OBJECT)) {
		stop(r, JV_UNSURE);
		return NULL;
	}
	v = node_new(r->a, t);
	if (!v) {
		stop(r, Q_ERR_NOMEM);
		return NULL;
	}
	if (r->depth == 0) {
		r->root = v;
		return v;
	}
	in = r->open[r->depth - 1];
	if (in->type == JV_OBJECT) {
		assert(r->key);
		v->key = r->key;
		v->klen = r->klen;
		r->key = NULL;
	}
	*r->tail[r->depth - 1] = v;
	r->tail[r->depth - 1] = &v->next;
	in->n++;
	return v;
}

static int on_null(void *ctx)
{
	return add(ctx, JV_NULL) != NULL;
}

static int on_boolean(void *ctx, int b)
{
	return add(ctx, b ? JV_TRUE : JV_FALSE) != NULL;
}

/* A number as written: a whole number of at most 18 digits (no overflow,
 * the form jansson reads as an integer); a fraction, an exponent or a
 * longer number is jansson's to read. */
static int on_number(void *ctx, const char *s, size_t len)
{
	struct rd *r = ctx;
	size_t i = 0;
	int64_t v = 0;
	struct jv *n;

	if (len && s[0] == '-')
		i++;
	if (i == len || len - i > 18 || (s[i] == '0' && len - i > 1))
		return stop(r, JV_UNSURE);
	for (size_t k = i; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return stop(r, JV_UNSURE);
		v = v * 10 + (s[k] - '0');
	}
	n = add(r, JV_INTEGER);
	if (!n)
		return 0;
	n->i = i ? -v : v;
	return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct rd *r = ctx;
	struct jv *v;

	if (!utf8_strict(s, len))
		return stop(r, JV_UNSURE);
	v = add(r, JV_STRING);
	if (!v)
		return 0;
	v->s = arena_text(&r->a->mem, s, len);
	v->n = len;
	return v->s ? 1 : stop(r, Q_ERR_NOMEM);
}

/* A member's key: kept until its value comes. A repeated key is
 * jansson's to refuse (JSON_REJECT_DUPLICATES). */
static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct rd *r = ctx;
	struct jv *o;

	assert(r->depth > 0 && !r->key);
	o = r->open[r->depth - 1];
	if (!utf8_strict(s, len) || o->n >= JV_MAX_MEMBERS)
		return stop(r, JV_UNSURE);
	for (struct jv *m = o->first; m; m = m->next)
		if (m->klen == len && !memcmp(m->key, s, len))
			return stop(r, JV_UNSURE);
	r->key = arena_text(&r->a->mem, s, len);
	r->klen = len;
	return r->key ? 1 : stop(r, Q_ERR_NOMEM);
}

static int on_open(struct rd *r, enum jv_type t)
{
	struct jv *v;

	if (r->depth >= JV_MAX_DEPTH)
		return stop(r, JV_UNSURE);
	v = add(r, t);
	if (!v)
		return 0;
	r->open[r->depth] = v;
	r->tail[r->depth] = &v->first;
	r->depth++;
	return 1;
}

static int on_start_map(void *ctx)
{
	return on_open(ctx, JV_OBJECT);
}

static int on_start_array(void *ctx)
{
	return on_open(ctx, JV_ARRAY);
}

static int on_close(void *ctx)
{
	struct rd *r = ctx;

	assert(r->depth > 0);
	r->depth--;
	if (!r->depth)
		r->end_at = yajl_get_bytes_consumed(r->h);
	return 1;
}

static const yajl_callbacks events = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number, /* integers and doubles as written */
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_close,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_close,
};

int jv_read(const char *buf, size_t len, struct jv_arena *a, struct jv **root)
{
	struct rd r;
	yajl_handle h;
	yajl_status st;

	assert(buf || len == 0);
	assert(a && root);
	*root = NULL;
	/* yajl decodes \u escapes as it sees fit (a lone surrogate, \u0000);
	 * jansson's reading of them stands. */
	if (len >= 2 && memmem(buf, len, "\\u", 2))
		return JV_UNSURE;
	/* yajl takes a form feed or a vertical tab for white space; jansson
	 * does not (and either is a raw control character in a string). */
	if (memchr(buf, '\f', len) || memchr(buf, '\v', len))
		return JV_UNSURE;
	memset(&r, 0, sizeof(r));
	r.a = a;
	r.rc = Q_OK;
	h = yajl_alloc(&events, NULL, &r);
	if (!h)
		return Q_ERR_NOMEM;
	/* yajl's defaults are jansson's: strings checked as UTF-8, no
	 * comments, one value, nothing after it. */
	r.h = h;
	st = yajl_parse(h, (const unsigned char *)buf, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	if (r.rc)
		return r.rc;
	if (st != yajl_status_ok || !r.root || r.depth)
		return JV_UNSURE;
	/* After the root only white space, as jansson wants: yajl lets a
	 * token cut short at the end pass unread. */
	assert(r.end_at <= len);
	for (size_t i = r.end_at; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return JV_UNSURE;
	*root = r.root;
	return Q_OK;
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
