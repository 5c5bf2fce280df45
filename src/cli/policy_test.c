/*
 * policy_test.c - `quan policy test`: YAML cases, application in, expected
 * decision out (docs/policy-tests.md), in the manner of OpenFisca's tests.
 *
 * Each case's application is built as JSON (a base file plus `set` and
 * `unset`, or an inline `application`), serialised, and parsed by the same
 * app_parse_json() that reads real applications, so bad-input cases go
 * through the real path.
 */
#include <errno.h>
#include <libfyaml.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/app.h"
#include "engine/decide.h"
#include "engine/render.h"

struct run {
	struct chip_catalog *chips;
	int passed, failed;
	/* The file's own supplier_lists: every case's unless it sets its
	 * own (NULL: none). */
	struct fy_node *file_lists;
};

/* A YAML node as JSON: quoted scalars are strings; plain true/false/null,
 * integers and decimals become JSON literals (so `value: 12.5` tests money
 * sent as a number). Returns a new reference or NULL. */
static json_t *yaml_to_json(struct fy_node *n)
{
	if (!n)
		return json_null();
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: {
		size_t len;
		const char *s = fy_node_get_scalar(n, &len);
		json_error_t err;
		json_t *v;

		if (fy_node_get_style(n) != FYNS_PLAIN)
			return json_stringn(s, len);
		if ((len == 4 && !memcmp(s, "null", 4)) ||
		    (len == 1 && s[0] == '~') || len == 0)
			return json_null();
		/* true, false and numbers as JSON reads them. */
		v = json_loadb(s, len, JSON_DECODE_ANY, &err);
		if (v && (json_is_boolean(v) || json_is_number(v)))
			return v;
		json_decref(v);
		return json_stringn(s, len);
	}
	case FYNT_SEQUENCE: {
		json_t *a = json_array();
		void *it = NULL;
		struct fy_node *c;

		while (a && (c = fy_node_sequence_iterate(n, &it)))
			if (json_array_append_new(a, yaml_to_json(c)))
				return json_decref(a), NULL;
		return a;
	}
	case FYNT_MAPPING: {
		json_t *o = json_object();
		void *it = NULL;
		struct fy_node_pair *pr;

		while (o && (pr = fy_node_mapping_iterate(n, &it))) {
			size_t kl;
			const char *k =
				fy_node_get_scalar(fy_node_pair_key(pr), &kl);
			char key[256];

			if (!k || kl >= sizeof(key))
				return json_decref(o), NULL;
			memcpy(key, k, kl);
			key[kl] = '\0';
			if (json_object_set_new(
				    o, key,
				    yaml_to_json(fy_node_pair_value(pr))))
				return json_decref(o), NULL;
		}
		return o;
	}
	}
	return NULL;
}

static struct fy_node *get(struct fy_node *map, const char *key)
{
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return NULL;
	return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}

/* The scalar at key as a NUL-terminated copy in buf, or NULL. */
static const char *get_str(struct fy_node *map, const char *key, char *buf,
			   size_t n)
{
	struct fy_node *v = get(map, key);
	const char *s;
	size_t len;

	if (!v || fy_node_get_type(v) != FYNT_SCALAR)
		return NULL;
	s = fy_node_get_scalar(v, &len);
	if (!s || len >= n)
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* Set (v != NULL) or remove (v == NULL) the dotted path in object o,
 * creating objects on the way. Steals v. */
static int json_set_path(json_t *o, const char *path, json_t *v)
{
	char buf[256];
	char *p = buf;
	char *dot;

	if (strlen(path) >= sizeof(buf)) {
		json_decref(v);
		return -1;
	}
	memcpy(buf, path, strlen(path) + 1);
	while ((dot = strchr(p, '.'))) {
		json_t *c;

		*dot = '\0';
		c = json_object_get(o, p);
		if (!json_is_object(c)) {
			if (!v)
				return 0;
			c = json_object();
			if (json_object_set_new(o, p, c)) {
				json_decref(v);
				return -1;
			}
		}
		o = c;
		p = dot + 1;
	}
	if (!v) {
		json_object_del(o, p);
		return 0;
	}
	return json_object_set_new(o, p, v);
}

/* The directory of file, joined with rel, into out. */
static void rel_path(const char *file, const char *rel, char *out, size_t n)
{
	char tmp[4096];

	if (rel[0] == '/') {
		snprintf(out, n, "%s", rel);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s", file);
	snprintf(out, n, "%s/%s", dirname(tmp), rel);
}

/* A set of names (a YAML sequence of scalars) equals the rule ids. */
static int same_rules(struct fy_node *seq, const struct policy *p,
		      const uint32_t *rules, size_t stride, size_t n)
{
	void *it = NULL;
	struct fy_node *c;
	size_t count = 0;

	if (!seq || fy_node_get_type(seq) != FYNT_SEQUENCE)
		return 0;
	while ((c = fy_node_sequence_iterate(seq, &it))) {
		size_t len;
		const char *s = fy_node_get_scalar(c, &len);
		int found = 0;

		for (size_t i = 0; s && i < n; i++) {
			const char *id =
				p->rules[*(const uint32_t *)((const char *)
								     rules +
							     i * stride)]
					.id;

			if (strlen(id) == len && !memcmp(id, s, len))
				found = 1;
		}
		if (!found)
			return 0;
		count++;
	}
	return count == n;
}

static void list_rules(const struct policy *p, const uint32_t *rules,
		       size_t stride, size_t n, char *out, size_t sz)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < sz; i++) {
		int w = snprintf(
			out + used, sz - used, "%s%s", i ? ", " : "",
			p->rules[*(const uint32_t *)((const char *)rules +
						     i * stride)]
				.id);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

#define FAIL(...)                                                              \
	do {                                                                   \
		if (!failed)                                                   \
			fprintf(stderr, "FAIL %s: case '%s'\n", file, name);   \
		fprintf(stderr, "     " __VA_ARGS__);                          \
		fputc('\n', stderr);                                           \
		failed = 1;                                                    \
	} while (0)

static int check_money(struct fy_node *ex, const char *key, money_t got,
		       const char *file, const char *name, int *failedp)
{
	char want[64], g[MONEY_TEXT_MAX];
	int failed = *failedp;

	if (!get_str(ex, key, want, sizeof(want)))
		return 0;
	money_format(got, g);
	if (strcmp(want, g))
		FAIL("%s: expected %s, got %s", key, want, g);
	*failedp = failed;
	return 0;
}

/* expect.flags: a list of {flag, rule, limit, hard_limit, above, up_to},
 * each key but flag and rule optional, matching the decision's flags in
 * order and number. */
static void check_flags(struct fy_node *seq, const struct policy *p,
			const struct decision *d, const char *file,
			const char *name, int *failedp)
{
	int failed = *failedp;
	void *it = NULL;
	struct fy_node *c;
	uint16_t i = 0;
	char buf[256];

	if (!seq || fy_node_get_type(seq) != FYNT_SEQUENCE) {
		FAIL("flags: expected a list");
		*failedp = failed;
		return;
	}
	while ((c = fy_node_sequence_iterate(seq, &it))) {
		const struct decision_flag *fl;

		if (i >= d->nflags) {
			FAIL("flags: expected more than %u flags", d->nflags);
			break;
		}
		fl = &d->flags[i];
		if (!get_str(c, "flag", buf, sizeof(buf)) ||
		    strcmp(buf, "soft_cap_exceeded"))
			FAIL("flags[%u].flag: expected soft_cap_exceeded", i);
		if (!get_str(c, "rule", buf, sizeof(buf)) ||
		    strcmp(buf, p->rules[fl->rule].id))
			FAIL("flags[%u].rule: got %s", i,
			     p->rules[fl->rule].id);
		check_money(c, "limit", fl->limit, file, name, &failed);
		check_money(c, "hard_limit", fl->hard_limit, file, name,
			    &failed);
		check_money(c, "above", fl->above, file, name, &failed);
		check_money(c, "up_to", fl->up_to, file, name, &failed);
		i++;
	}
	if (i != d->nflags)
		FAIL("flags: expected %u, got %u", i, d->nflags);
	*failedp = failed;
}

/* expect.funders: a mapping of funder id to its share, every funder. */
static void check_funders(struct fy_node *map, const struct policy *p,
			  const struct decision *d, const char *file,
			  const char *name, int *failedp)
{
	const struct policy_measure *m = &p->measures[d->measure];
	int failed = *failedp;
	int n;

	if (!map || fy_node_get_type(map) != FYNT_MAPPING) {
		FAIL("funders: expected a mapping of funder id to amount");
		*failedp = failed;
		return;
	}
	n = fy_node_mapping_item_count(map);
	if (n != (int)d->nfunders)
		FAIL("funders: expected %d, got %u", n, d->nfunders);
	for (uint16_t i = 0; i < d->nfunders && i < m->nfunders; i++) {
		if (!get(map, m->funders[i].id))
			FAIL("funders: no expectation for '%s'",
			     m->funders[i].id);
		check_money(map, m->funders[i].id, d->funders[i].amount, file,
			    name, &failed);
	}
	*failedp = failed;
}

/* The keys expect may hold, so a typo fails the case, never passes it. */
static int expect_keys_ok(struct fy_node *ex, char *bad, size_t n)
{
	static const char *const keys[] = {
		"eligible",	"rate",	       "rate_rule", "base",
		"gross",	"amount",      "reasons",   "caps",
		"error",	"error_field", "flags",	    "funders",
		"review_up_to", "pool_amount", NULL};
	void *it = NULL;
	struct fy_node_pair *pr;

	while ((pr = fy_node_mapping_iterate(ex, &it))) {
		size_t len;
		const char *k = fy_node_get_scalar(fy_node_pair_key(pr), &len);
		int known = 0;

		for (int i = 0; k && keys[i]; i++)
			known |= strlen(keys[i]) == len &&
				 !memcmp(keys[i], k, len);
		if (!known) {
			snprintf(bad, n, "%.*s", k ? (int)len : 1, k ? k : "?");
			return 0;
		}
	}
	return 1;
}

/* The time a case's application is taken as received: the case's `at:`,
 * else the file's, else now (the office never reads it from the
 * application). */
static int case_at(struct fy_node *c, int64_t file_at, int64_t *at,
		   struct qerr *e)
{
	char buf[64];

	*at = file_at;
	if (!get_str(c, "at", buf, sizeof(buf)))
		return 0;
	return datetime_parse(buf, strlen(buf), at, NULL, "at", e);
}

static void run_case(struct run *r, const char *file, struct policy *p,
		     json_t *base, int64_t file_at, struct fy_node *c)
{
	int64_t at;
	char name[256] = "?", buf[256], got[1024];
	struct fy_node *ex = get(c, "expect");
	struct fy_node *n;
	struct application a;
	struct history h = {.from_db = false};
	uint64_t lists = 0;
	struct decision d;
	struct qerr e;
	json_t *app = NULL;
	char *text = NULL;
	int failed = 0;
	int rc;

	qerr_clear(&e);
	memset(&a, 0, sizeof(a));
	get_str(c, "name", name, sizeof(name));
	if (!ex || fy_node_get_type(ex) != FYNT_MAPPING) {
		FAIL("no expect");
		goto done;
	}
	if (!expect_keys_ok(ex, buf, sizeof(buf))) {
		FAIL("unknown key '%s' in expect", buf);
		goto done;
	}
	if ((n = get(c, "application")))
		app = yaml_to_json(n);
	else if (base)
		app = json_deep_copy(base);
	if (!app) {
		FAIL("no application (neither base nor application)");
		goto done;
	}
	if ((n = get(c, "set"))) {
		void *it = NULL;
		struct fy_node_pair *pr;

		while ((pr = fy_node_mapping_iterate(n, &it))) {
			size_t kl;
			const char *k =
				fy_node_get_scalar(fy_node_pair_key(pr), &kl);

			snprintf(buf, sizeof(buf), "%.*s", (int)kl, k ? k : "");
			if (json_set_path(app, buf,
					  yaml_to_json(fy_node_pair_value(pr))))
				FAIL("cannot set '%s'", buf);
		}
	}
	if ((n = get(c, "unset"))) {
		void *it = NULL;
		struct fy_node *u;

		while ((u = fy_node_sequence_iterate(n, &it))) {
			size_t len;
			const char *s = fy_node_get_scalar(u, &len);

			snprintf(buf, sizeof(buf), "%.*s", (int)len,
				 s ? s : "");
			json_set_path(app, buf, NULL);
		}
	}
	if ((n = get(c, "history"))) {
		h.from_db = true;
		if (get_str(n, "awarded_year", buf, sizeof(buf)) &&
		    money_parse(buf, strlen(buf), &h.awarded_year,
				"history.awarded_year", &e))
			FAIL("%s", e.msg);
		if (get_str(n, "compute_contracts_year", buf, sizeof(buf)) &&
		    money_parse(buf, strlen(buf), &h.compute_contracts_year,
				"history.compute_contracts_year", &e))
			FAIL("%s", e.msg);
	}
	/* The supplier's named lists, as the office's imports would say:
	 * on none unless the case (or else the file) lists them. */
	if ((n = get(c, "supplier_lists")) || (n = r->file_lists)) {
		void *it = NULL;
		struct fy_node *u;

		if (fy_node_get_type(n) != FYNT_SEQUENCE)
			FAIL("supplier_lists must be a list of list ids");
		while (fy_node_get_type(n) == FYNT_SEQUENCE &&
		       (u = fy_node_sequence_iterate(n, &it))) {
			size_t len = 0;
			const char *s = fy_node_get_scalar(u, &len);
			int k = s ? policy_find_list(p, s, len) : -1;

			if (k < 0)
				FAIL("supplier_lists: '%.*s' is not a list of the policy",
				     (int)len, s ? s : "");
			else
				lists |= (uint64_t)1 << k;
		}
	}
	if (case_at(c, file_at, &at, &e)) {
		FAIL("%s", e.msg);
		goto done;
	}
	text = json_dumps(app, JSON_COMPACT);
	rc = text ? app_parse_json(text, strlen(text), &a, &e) : Q_ERR_NOMEM;
	if (rc == Q_OK)
		rc = app_receive(&a, at, &e);
	if (rc == Q_OK)
		rc = decide_listed(p, &a, r->chips, &h, lists, &d, &e);

	if (get_str(ex, "error", buf, sizeof(buf))) {
		if (rc == Q_OK)
			FAIL("error: expected %s, got a decision", buf);
		else if (strcmp(buf, qerr_name(rc)))
			FAIL("error: expected %s, got %s (%s)", buf,
			     qerr_name(rc), e.msg);
		if (rc && get_str(ex, "error_field", buf, sizeof(buf)) &&
		    strcmp(buf, e.field))
			FAIL("error_field: expected %s, got '%s'", buf,
			     e.field);
		goto done;
	}
	if (rc) {
		FAIL("expected a decision, got error %s: %s", qerr_name(rc),
		     e.msg);
		goto done;
	}
	if (get_str(ex, "eligible", buf, sizeof(buf)) &&
	    strcmp(buf, d.eligible ? "true" : "false")) {
		list_rules(p, d.reasons, sizeof(d.reasons[0]), d.nreasons, got,
			   sizeof(got));
		FAIL("eligible: expected %s, got %s (failed: %s)", buf,
		     d.eligible ? "true" : "false", got);
	}
	if (get_str(ex, "rate", buf, sizeof(buf))) {
		char rt[RATE_TEXT_MAX];

		if (strcmp(buf, rate_format(d.rate, rt)))
			FAIL("rate: expected %s, got %s", buf, rt);
	}
	if (get_str(ex, "rate_rule", buf, sizeof(buf)) &&
	    (d.rate_rule < 0 || strcmp(buf, p->rules[d.rate_rule].id)))
		FAIL("rate_rule: expected %s, got %s", buf,
		     d.rate_rule < 0 ? "none" : p->rules[d.rate_rule].id);
	check_money(ex, "base", d.base, file, name, &failed);
	check_money(ex, "gross", d.gross, file, name, &failed);
	check_money(ex, "amount", d.amount, file, name, &failed);
	check_money(ex, "review_up_to", d.review_up_to, file, name, &failed);
	check_money(ex, "pool_amount", decision_pool_share(p, &d), file, name,
		    &failed);
	if ((n = get(ex, "flags")))
		check_flags(n, p, &d, file, name, &failed);
	if ((n = get(ex, "funders")))
		check_funders(n, p, &d, file, name, &failed);
	if ((n = get(ex, "reasons")) &&
	    !same_rules(n, p, d.reasons, sizeof(d.reasons[0]), d.nreasons)) {
		list_rules(p, d.reasons, sizeof(d.reasons[0]), d.nreasons, got,
			   sizeof(got));
		FAIL("reasons: got [%s]", got);
	}
	if ((n = get(ex, "caps")) &&
	    !same_rules(n, p, &d.caps[0].rule, sizeof(d.caps[0]), d.ncaps)) {
		list_rules(p, &d.caps[0].rule, sizeof(d.caps[0]), d.ncaps, got,
			   sizeof(got));
		FAIL("caps: got [%s]", got);
	}
done:
	if (failed)
		r->failed++;
	else
		r->passed++;
	free(text);
	json_decref(app);
	app_release(&a);
}

static int run_file(struct run *r, const char *file)
{
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET};
	struct fy_document *doc = fy_document_build_from_file(&cfg, file);
	struct fy_node *root, *cases, *c;
	struct policy *p = NULL;
	json_t *base = NULL;
	int64_t file_at;
	char buf[1024], path[4096];
	void *it = NULL;
	int rc = 0;

	if (!doc) {
		fprintf(stderr, "FAIL %s: not a readable YAML file\n", file);
		r->failed++;
		return EXIT_BAD_INPUT;
	}
	root = fy_document_root(doc);
	if (!get_str(root, "policy", buf, sizeof(buf))) {
		fprintf(stderr, "FAIL %s: no 'policy'\n", file);
		r->failed++;
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	rel_path(file, buf, path, sizeof(path));
	if (cli_load_policy(path, &p)) {
		r->failed++;
		rc = EXIT_BAD_POLICY;
		goto out;
	}
	if (get_str(root, "base", buf, sizeof(buf))) {
		json_error_t err;

		rel_path(file, buf, path, sizeof(path));
		base = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
		if (!base) {
			fprintf(stderr, "FAIL %s: base '%s': %s\n", file, path,
				err.text);
			r->failed++;
			rc = EXIT_BAD_INPUT;
			goto out;
		}
	}
	file_at = cli_now();
	if (get_str(root, "at", buf, sizeof(buf))) {
		struct qerr e;

		qerr_clear(&e);
		if (datetime_parse(buf, strlen(buf), &file_at, NULL, "at",
				   &e)) {
			fprintf(stderr, "FAIL %s: %s\n", file, e.msg);
			r->failed++;
			rc = EXIT_BAD_INPUT;
			goto out;
		}
	}
	cases = get(root, "cases");
	if (!cases || fy_node_get_type(cases) != FYNT_SEQUENCE) {
		fprintf(stderr, "FAIL %s: no 'cases' list\n", file);
		r->failed++;
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	r->file_lists = get(root, "supplier_lists");
	while ((c = fy_node_sequence_iterate(cases, &it)))
		run_case(r, file, p, base, file_at, c);
	r->file_lists = NULL;
out:
	json_decref(base);
	policy_free(p);
	fy_document_destroy(doc);
	return rc;
}

int cmd_policy_test(int argc, char **argv)
{
	struct run r = {NULL, 0, 0, NULL};
	int rc;

	if (argc < 2) {
		fputs("usage: quan policy test TESTFILE...\n", stderr);
		return EXIT_BAD_INPUT;
	}
	rc = cli_load_chips(NULL, &r.chips);
	if (rc)
		return rc;
	for (int i = 1; i < argc; i++)
		run_file(&r, argv[i]);
	chips_free(r.chips);
	printf("%d passed, %d failed\n", r.passed, r.failed);
	return r.failed ? EXIT_BAD_INPUT : 0;
}
