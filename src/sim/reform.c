/*
 * reform.c - reforms applied to a policy's YAML tree (reform.h).
 *
 * A reform file:
 *
 *   reform: sh-rent-40            # id
 *   title: "..."                  # optional
 *   program: shanghai-2025        # the program it reforms
 *   changes:                      # applied in order
 *     - parameter: rent_rate      # a parameter, new or not: each date's
 *       values:                   # value replaces every value from that
 *         2025-09-01: 40%         # date on
 *       assumption: "..."         # optional, for a new parameter
 *     - measure: compute-rent     # a measure's rate table, replaced
 *       rates: {...}
 *     - measure: compute-rent     # an eligibility condition's `when`
 *       condition: registered-in-city
 *       when: applicant.registered_city in ["shanghai", "suzhou"]
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/file.h"
#include "policy/yamldoc.h"
#include "sim/reform.h"

/* The reform being applied: its name for diagnostics, the policy's tree
 * it edits. */
struct rctx {
	const char *name;
	struct diag_list *d;
	struct fy_document *pdoc;
	struct fy_node *proot;
	int errors;
};

static void bad(struct rctx *c, struct fy_node *n, struct loc fb,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void bad(struct rctx *c, struct fy_node *n, struct loc fb,
		const char *fmt, ...)
{
	struct loc l = yamldoc_loc(n, fb);
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(c->d, c->name, l.line, l.col, "%s", msg);
	c->errors++;
}

/* The scalar text of n, or NULL (and a diagnostic) when n is not one. */
static const char *scalar(struct rctx *c, struct fy_node *n, struct loc fb,
			  const char *what, size_t *len)
{
	const char *s =
		n && fy_node_is_scalar(n) ? fy_node_get_scalar(n, len) : NULL;

	if (!s)
		bad(c, n, fb, "%s must be a single value", what);
	return s;
}

/* The item of sequence seq whose `id` is id (len bytes), or NULL. */
static struct fy_node *by_id(struct fy_node *seq, const char *id, size_t len)
{
	void *it = NULL;
	struct fy_node *n;

	if (!seq || !fy_node_is_sequence(seq))
		return NULL;
	while ((n = fy_node_sequence_iterate(seq, &it))) {
		struct fy_node *v = yamldoc_is_map(n)
					    ? fy_node_mapping_lookup_by_string(
						      n, "id", FY_NT)
					    : NULL;
		size_t vl;
		const char *s = v && fy_node_is_scalar(v)
					? fy_node_get_scalar(v, &vl)
					: NULL;

		if (s && vl == len && !memcmp(s, id, len))
			return n;
	}
	return NULL;
}

/* Set key of map to a copy of v (from the reform's tree). */
static int put_copy(struct rctx *c, struct fy_node *map, const char *key,
		    struct fy_node *v)
{
	struct fy_node_pair *p =
		fy_node_mapping_lookup_pair_by_string(map, key, FY_NT);
	struct fy_node *cp = fy_node_copy(c->pdoc, v);

	if (!cp)
		return Q_ERR_NOMEM;
	if (p)
		return fy_node_pair_set_value(p, cp) ? Q_ERR_NOMEM : Q_OK;
	return fy_node_mapping_append(
		       map,
		       fy_node_create_scalar_copy(c->pdoc, key, strlen(key)),
		       cp)
		       ? Q_ERR_NOMEM
		       : Q_OK;
}

/* The parameter change ch: the values of `values:` in place of the
 * parameter's values from the earliest of their dates on. */
static int change_param(struct rctx *c, struct fy_node *ch, struct loc at)
{
	struct fy_node *name =
		fy_node_mapping_lookup_by_string(ch, "parameter", FY_NT);
	struct fy_node *vals =
		fy_node_mapping_lookup_by_string(ch, "values", FY_NT);
	struct fy_node *params, *param, *old, *fresh;
	const char *pn, *first = NULL;
	size_t pl, fl = 0;
	void *it = NULL;
	struct fy_node_pair *p;

	pn = scalar(c, name, at, "`parameter:`", &pl);
	if (!pn)
		return Q_OK;
	if (!yamldoc_is_map(vals) || !fy_node_mapping_item_count(vals)) {
		bad(c, vals, at, "%s",
		    "a parameter change needs `values:`, a mapping of dates to values");
		return Q_OK;
	}
	/* Dates are compared as text: YYYY-MM-DD sorts as it reads. The
	 * policy loader checks them. */
	while ((p = fy_node_mapping_iterate(vals, &it))) {
		size_t kl;
		const char *k =
			scalar(c, fy_node_pair_key(p), at, "a date", &kl);

		if (k && (!first || (kl == fl && memcmp(k, first, kl) < 0))) {
			first = k;
			fl = kl;
		}
	}
	if (!first)
		return Q_OK;
	params =
		fy_node_mapping_lookup_by_string(c->proot, "parameters", FY_NT);
	if (!params) {
		params = fy_node_create_mapping(c->pdoc);
		if (!params ||
		    fy_node_mapping_append(c->proot,
					   fy_node_create_scalar_copy(
						   c->pdoc, "parameters", 10),
					   params))
			return Q_ERR_NOMEM;
	}
	param = fy_node_mapping_lookup_by_string(params, pn, pl);
	if (!param) {
		struct fy_node *as = fy_node_mapping_lookup_by_string(
			ch, "assumption", FY_NT);
		char text[160];

		param = fy_node_create_mapping(c->pdoc);
		if (!param ||
		    fy_node_mapping_append(
			    params, fy_node_create_scalar_copy(c->pdoc, pn, pl),
			    param))
			return Q_ERR_NOMEM;
		snprintf(text, sizeof(text), "added by reform %s", c->name);
		if (as) {
			if (put_copy(c, param, "assumption", as))
				return Q_ERR_NOMEM;
		} else if (fy_node_mapping_append(
				   param,
				   fy_node_create_scalar_copy(c->pdoc,
							      "assumption", 10),
				   fy_node_create_scalar_copy(c->pdoc, text,
							      strlen(text)))) {
			return Q_ERR_NOMEM;
		}
	}
	old = fy_node_mapping_lookup_by_string(param, "values", FY_NT);
	fresh = fy_node_create_mapping(c->pdoc);
	if (!fresh)
		return Q_ERR_NOMEM;
	it = NULL;
	while (yamldoc_is_map(old) && (p = fy_node_mapping_iterate(old, &it))) {
		size_t kl;
		const char *k =
			fy_node_is_scalar(fy_node_pair_key(p))
				? fy_node_get_scalar(fy_node_pair_key(p), &kl)
				: NULL;

		if (k && kl == fl && memcmp(k, first, kl) >= 0)
			continue;
		if (fy_node_mapping_append(
			    fresh, fy_node_copy(c->pdoc, fy_node_pair_key(p)),
			    fy_node_copy(c->pdoc, fy_node_pair_value(p))))
			return Q_ERR_NOMEM;
	}
	it = NULL;
	while ((p = fy_node_mapping_iterate(vals, &it)))
		if (fy_node_mapping_append(
			    fresh, fy_node_copy(c->pdoc, fy_node_pair_key(p)),
			    fy_node_copy(c->pdoc, fy_node_pair_value(p))))
			return Q_ERR_NOMEM;
	{
		struct fy_node_pair *vp = fy_node_mapping_lookup_pair_by_string(
			param, "values", FY_NT);

		if (vp)
			return fy_node_pair_set_value(vp, fresh) ? Q_ERR_NOMEM
								 : Q_OK;
		return fy_node_mapping_append(
			       param,
			       fy_node_create_scalar_copy(c->pdoc, "values", 6),
			       fresh)
			       ? Q_ERR_NOMEM
			       : Q_OK;
	}
}

/* A measure change: its rate table, or one condition's `when`. */
static int change_measure(struct rctx *c, struct fy_node *ch, struct loc at)
{
	struct fy_node *mn =
		fy_node_mapping_lookup_by_string(ch, "measure", FY_NT);
	struct fy_node *rates =
		fy_node_mapping_lookup_by_string(ch, "rates", FY_NT);
	struct fy_node *cond =
		fy_node_mapping_lookup_by_string(ch, "condition", FY_NT);
	struct fy_node *when =
		fy_node_mapping_lookup_by_string(ch, "when", FY_NT);
	struct fy_node *m, *target;
	const char *id;
	size_t len;

	id = scalar(c, mn, at, "`measure:`", &len);
	if (!id)
		return Q_OK;
	m = by_id(fy_node_mapping_lookup_by_string(c->proot, "measures", FY_NT),
		  id, len);
	if (!m) {
		struct yamldoc_shown s = yamldoc_show(id, len);

		bad(c, mn, at, "the policy has no measure '%s'", s.s);
		return Q_OK;
	}
	if (!!rates + !!cond != 1 || !!cond != !!when) {
		bad(c, ch, at, "%s",
		    "a measure change gives either `rates:`, or `condition:` and `when:`");
		return Q_OK;
	}
	if (rates)
		return put_copy(c, m, "rates", rates) ? Q_ERR_NOMEM : Q_OK;
	id = scalar(c, cond, at, "`condition:`", &len);
	if (!id)
		return Q_OK;
	target =
		by_id(fy_node_mapping_lookup_by_string(m, "eligibility", FY_NT),
		      id, len);
	if (!target) {
		struct yamldoc_shown s = yamldoc_show(id, len);

		bad(c, cond, at,
		    "the measure has no eligibility condition '%s'", s.s);
		return Q_OK;
	}
	if (!fy_node_is_scalar(when)) {
		bad(c, when, at, "%s", "`when:` is one condition");
		return Q_OK;
	}
	return put_copy(c, target, "when", when) ? Q_ERR_NOMEM : Q_OK;
}

/* Whether every key of map n is one of keys[]; a diagnostic for each
 * that is not. */
static void check_keys(struct rctx *c, struct fy_node *n,
		       const char *const *keys, const char *where)
{
	void *it = NULL;
	struct fy_node_pair *p;

	while ((p = fy_node_mapping_iterate(n, &it))) {
		size_t len = 0;
		const char *k =
			fy_node_is_scalar(fy_node_pair_key(p))
				? fy_node_get_scalar(fy_node_pair_key(p), &len)
				: NULL;
		size_t i;

		for (i = 0; k && keys[i] && !yamldoc_text_eq(k, len, keys[i]);
		     i++)
			;
		if (!k || !keys[i]) {
			struct yamldoc_shown s = yamldoc_show(k ? k : "", len);
			char msg[200];

			snprintf(msg, sizeof(msg), "unknown key '%s' in %s",
				 s.s, where);
			bad(c, fy_node_pair_key(p), (struct loc){1, 1}, "%s",
			    msg);
		}
	}
}

/* Emit the policy's tree and load it; *out on success. The loader's
 * problems go to tmp. */
static int load_tree(struct fy_document *doc, const char *name,
		     struct policy **out, struct diag_list *tmp)
{
	char *text = fy_emit_document_to_string(
		doc, FYECF_MODE_BLOCK | FYECF_WIDTH_INF | FYECF_INDENT_2);
	int rc;

	if (!text)
		return Q_ERR_NOMEM;
	rc = policy_load_buf(name, text, strlen(text), out, tmp);
	free(text);
	return rc;
}

/* Apply the changes of the reform r (already loaded) to c->pdoc, each
 * checked by loading the policy it makes. */
static int apply_reform(struct rctx *c, struct fy_node *r, const char *pname,
			const char *program)
{
	static const char *const top[] = {"reform", "title", "program",
					  "changes", NULL};
	static const char *const change_keys[] = {
		"parameter", "values", "assumption", "measure", "rates",
		"condition", "when",   "says",	     NULL};
	struct fy_node *prog, *chs, *ch;
	struct loc at = {1, 1};
	void *it = NULL;
	const char *s;
	size_t len;
	int rc;

	if (!yamldoc_is_map(r)) {
		bad(c, r, at, "%s",
		    "a reform is a mapping (reform, program, changes)");
		return Q_OK;
	}
	check_keys(c, r, top, "a reform");
	s = scalar(c, fy_node_mapping_lookup_by_string(r, "reform", FY_NT), at,
		   "`reform:`", &len);
	if (s && !yamldoc_id_ok(s, len, 63))
		bad(c, fy_node_mapping_lookup_by_string(r, "reform", FY_NT), at,
		    "%s",
		    "`reform:` is an id: lowercase letters, digits and '-'");
	prog = fy_node_mapping_lookup_by_string(r, "program", FY_NT);
	s = scalar(c, prog, at, "`program:`", &len);
	if (s && !yamldoc_text_eq(s, len, program)) {
		struct yamldoc_shown sh = yamldoc_show(s, len);
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "the reform is of program '%s', the policy is '%.64s'",
			 sh.s, program);
		bad(c, prog, at, "%s", msg);
	}
	chs = fy_node_mapping_lookup_by_string(r, "changes", FY_NT);
	if (!chs || !fy_node_is_sequence(chs) ||
	    !fy_node_sequence_item_count(chs)) {
		bad(c, chs, at, "%s",
		    "`changes:` is a list of one change or more");
		return Q_OK;
	}
	while ((ch = fy_node_sequence_iterate(chs, &it))) {
		struct diag_list tmp = DIAG_LIST_INIT;
		struct policy *p = NULL;
		struct loc l = yamldoc_loc(ch, at);

		if (!yamldoc_is_map(ch)) {
			bad(c, ch, at, "%s", "a change is a mapping");
			continue;
		}
		check_keys(c, ch, change_keys, "a change");
		if (fy_node_mapping_lookup_by_string(ch, "parameter", FY_NT))
			rc = change_param(c, ch, l);
		else if (fy_node_mapping_lookup_by_string(ch, "measure", FY_NT))
			rc = change_measure(c, ch, l);
		else {
			bad(c, ch, at, "%s",
			    "a change names a `parameter:` or a `measure:`");
			continue;
		}
		if (rc)
			return rc;
		/* Every change's structure is checked; none is loaded
		 * once one is wrong. */
		if (c->errors)
			continue;
		/* The change checked at once, so that what the loader
		 * refuses is put at the change that made it. */
		rc = load_tree(c->pdoc, pname, &p, &tmp);
		policy_free(p);
		if (rc == Q_ERR_POLICY) {
			for (size_t i = 0; i < tmp.n; i++)
				diag_add(
					c->d, c->name, l.line, l.col,
					"this change makes the policy invalid: %s",
					tmp.items[i].msg);
			c->errors++;
		}
		diag_release(&tmp);
		if (rc && rc != Q_ERR_POLICY)
			return rc;
	}
	return Q_OK;
}

int reform_load_buf(const char *pname, const char *pbuf, size_t plen,
		    const char *const *names, const char *const *bufs,
		    const size_t *lens, size_t n, struct policy **out,
		    struct diag_list *d)
{
	struct yamldoc pol;
	struct policy *base = NULL;
	char name[1024];
	size_t nerr, used;
	int rc;

	assert(out && d);
	*out = NULL;
	if (n > REFORM_MAX) {
		diag_add(d, names[REFORM_MAX], 0, 0,
			 "at most %d reforms on one policy", REFORM_MAX);
		return Q_ERR_POLICY;
	}
	/* The policy as it stands must load first. */
	rc = policy_load_buf(pname, pbuf, plen, &base, d);
	if (rc)
		return rc;
	used = (size_t)snprintf(name, sizeof(name), "%s", pname);
	rc = yamldoc_load(&pol, pname, pbuf, plen, "a policy file", d, &nerr);
	for (size_t k = 0; !rc && k < n; k++) {
		struct yamldoc r;
		struct rctx c = {names[k], d, pol.doc, pol.root, 0};

		if (lens[k] > REFORM_MAX_BYTES) {
			diag_add(d, names[k], 0, 0,
				 "a reform file is at most %u bytes",
				 REFORM_MAX_BYTES);
			rc = Q_ERR_TOO_LARGE;
			break;
		}
		rc = yamldoc_load(&r, names[k], bufs[k], lens[k],
				  "a reform file", d, &nerr);
		if (!rc)
			rc = apply_reform(&c, r.root, pname, base->program);
		if (!rc && c.errors)
			rc = Q_ERR_POLICY;
		yamldoc_release(&r);
		if (used < sizeof(name))
			used += (size_t)snprintf(name + used,
						 sizeof(name) - used, "+%s",
						 names[k]);
	}
	if (!rc)
		rc = load_tree(pol.doc, name, out, d);
	yamldoc_release(&pol);
	policy_free(base);
	return rc;
}

int reform_load(const char *policy_path, const char *const *paths, size_t n,
		struct policy **out, struct diag_list *d)
{
	char *pbuf = NULL, *bufs[REFORM_MAX] = {NULL};
	size_t plen = 0, lens[REFORM_MAX] = {0};
	struct qerr e;
	int rc;

	assert(out && d);
	*out = NULL;
	if (n > REFORM_MAX) {
		diag_add(d, paths[REFORM_MAX], 0, 0,
			 "at most %d reforms on one policy", REFORM_MAX);
		return Q_ERR_POLICY;
	}
	qerr_clear(&e);
	rc = file_read(policy_path, POLICY_MAX_BYTES, "a policy", &pbuf, &plen,
		       &e);
	if (rc)
		diag_add(d, policy_path, 0, 0, "%s", e.msg);
	for (size_t k = 0; !rc && k < n; k++) {
		rc = file_read(paths[k], REFORM_MAX_BYTES, "a reform", &bufs[k],
			       &lens[k], &e);
		if (rc)
			diag_add(d, paths[k], 0, 0, "%s", e.msg);
	}
	if (!rc)
		rc = reform_load_buf(policy_path, pbuf, plen, paths,
				     (const char *const *)bufs, lens, n, out,
				     d);
	free(pbuf);
	for (size_t k = 0; k < n; k++)
		free(bufs[k]);
	return rc;
}
