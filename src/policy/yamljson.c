/*
 * yamljson.c - a YAML document as JSON (yamljson.h).
 */
#include "policy/yamljson.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "policy/diag.h"
#include "policy/yamldoc.h"

struct conv {
	const char *name;
	struct qerr *e;
	int rc;
};

static json_t *fail(struct conv *c, struct fy_node *n, const char *why)
{
	struct loc l = yamldoc_loc(n, (struct loc){0, 0});

	if (!c->rc)
		c->rc = qerr_set(c->e, Q_ERR_INVALID, "", "%s:%d:%d: %s",
				 c->name, l.line, l.col, why);
	return NULL;
}

/* A plain run of digits, optionally signed, that fits in an int64_t. */
static bool integer(const char *s, size_t len, json_int_t *out)
{
	bool neg = len && s[0] == '-';
	size_t i = neg || (len && s[0] == '+') ? 1 : 0;
	int64_t v = 0;

	if (i == len || len - i > 18)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static json_t *scalar(struct conv *c, struct fy_node *n)
{
	size_t len = 0, tl = 0;
	const char *s = fy_node_get_scalar(n, &len);
	json_int_t k;

	if (fy_node_get_tag(n, &tl) && tl)
		return fail(c, n, "YAML tags are not supported");
	if (!s)
		s = "";
	if (fy_node_get_style(n) == FYNS_PLAIN) {
		if (yamldoc_text_eq(s, len, "true"))
			return json_true();
		if (yamldoc_text_eq(s, len, "false"))
			return json_false();
		if (len == 0 || yamldoc_text_eq(s, len, "null") ||
		    yamldoc_text_eq(s, len, "~"))
			return json_null();
		if (integer(s, len, &k))
			return json_integer(k);
	}
	if (memchr(s, '\0', len))
		return fail(c, n, "a NUL byte in a value");
	return json_stringn(s, len);
}

static json_t *node(struct conv *c, struct fy_node *n, int depth)
{
	void *it = NULL;
	json_t *j;

	if (!n)
		return json_null();
	if (depth > YAMLJSON_MAX_DEPTH)
		return fail(c, n, "nested too deeply");
	if (fy_node_is_alias(n))
		return fail(c, n, "aliases are not supported");
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR:
		return scalar(c, n);
	case FYNT_SEQUENCE: {
		struct fy_node *v;

		j = json_array();
		while (j && (v = fy_node_sequence_iterate(n, &it))) {
			json_t *x = node(c, v, depth + 1);

			if (!x || json_array_append_new(j, x)) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	case FYNT_MAPPING: {
		struct fy_node_pair *pr;

		j = json_object();
		while (j && (pr = fy_node_mapping_iterate(n, &it))) {
			struct fy_node *kn = fy_node_pair_key(pr);
			const char *k;
			size_t kl = 0;
			char key[128];
			json_t *x;

			if (!kn || fy_node_get_type(kn) != FYNT_SCALAR ||
			    !(k = fy_node_get_scalar(kn, &kl)) ||
			    kl >= sizeof(key) || memchr(k, '\0', kl)) {
				json_decref(j);
				return fail(c, kn ? kn : n,
					    "keys must be short text");
			}
			memcpy(key, k, kl);
			key[kl] = '\0';
			if (json_object_get(j, key)) {
				json_decref(j);
				return fail(c, kn, "a key given twice");
			}
			x = node(c, fy_node_pair_value(pr), depth + 1);
			if (!x || json_object_set_new(j, key, x)) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	default:
		return fail(c, n, "unsupported YAML node");
	}
}

int yamljson_load(const char *name, const char *buf, size_t len,
		  const char *what, json_t **out, struct qerr *e)
{
	struct yamldoc y;
	struct diag_list d = DIAG_LIST_INIT;
	struct conv c = {name, e, 0};
	size_t nerr = 0;
	int rc;

	*out = NULL;
	rc = yamldoc_load(&y, name, buf, len, what, &d, &nerr);
	if (rc) {
		if (d.n)
			qerr_set(e, Q_ERR_INVALID, "", "%s:%d:%d: %s",
				 d.items[0].file, d.items[0].line,
				 d.items[0].col, d.items[0].msg);
		else
			qerr_set(e, rc == Q_ERR_NOMEM ? rc : Q_ERR_INVALID, "",
				 "%s: not %s", name, what);
		rc = e->code;
	} else {
		*out = node(&c, y.root, 0);
		rc = c.rc;
		if (!*out && !rc)
			rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	diag_release(&d);
	yamldoc_release(&y);
	return rc;
}
