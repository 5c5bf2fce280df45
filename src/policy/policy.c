/*
 * policy.c - load and check a policy file (docs/policy-format.md).
 *
 * The file is parsed into a libfyaml document, then walked once in a fixed
 * order (sources, parameters, pools, measures) whatever the order of the keys
 * in the file, so that every reference can be checked against what it names.
 * Every problem is reported and the walk goes on, so a program office sees
 * all of them at once; the policy is handed out only when there were none.
 */
#include "policy/policy.h"

#include "core/file.h"
#include "core/idkey.h"
#include "policy/yamldoc.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/evp.h>

/* Sizes past which a policy is refused: no file can make the loader, or a
 * decision, do unbounded work. */
#define MAX_SOURCES 256
#define MAX_POOLS 64
#define MAX_BUDGETS 32
#define MAX_PARAMS 256
#define MAX_PARAM_VALUES 64
#define MAX_DATED_VALUES 1024
#define MAX_MEASURES 64
#define MAX_CONDS 64
#define MAX_ROWS 64
#define MAX_CAPS 16
#define MAX_FUNDERS 8
#define MAX_FUNDER_WEIGHT 1000
#define MAX_SUBSIDISED_MONTHS 600
#define MAX_ID 64
#define MAX_TEXT 4096
#define GRANT_MAX_YEARS 10

/* A place in the file, 1-based; line 0 when there is none. */

/* One key of a mapping as found: its value node (NULL or an empty scalar
 * when the key has no value) and where to point at it. */
struct kv {
	struct fy_node *v;
	struct loc at;
	bool present;
};

/* The state of one load. */
struct ctx {
	const char *file;
	const char *buf; /* the file's bytes */
	size_t len;
	struct diag_list *d;
	struct policy *p;
	size_t nerr;
	bool nomem;
	size_t rules_alloc;
	struct expr_env env;
	/* The program-wide screens, copied into each measure. */
	struct policy_screen screens[SCREEN__COUNT];
	/* The program-wide public notice (working days, 0: none, and its
	 * rule), taken by each measure that names none of its own. */
	int notice_days;
	uint32_t notice_rule;
};

static void err_at(struct ctx *c, struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_at(struct ctx *c, struct loc l, const char *fmt, ...)
{
	char buf[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_add(c->d, c->file, l.line, l.col, "%s", buf);
	c->nerr++;
}

static void *xcalloc(struct ctx *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		c->nomem = true;
	return p;
}

static char *xstrndup(struct ctx *c, const char *s, size_t len)
{
	char *r = malloc(len + 1);

	if (!r) {
		c->nomem = true;
		return NULL;
	}
	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

static char *xstrdup(struct ctx *c, const char *s)
{
	return s ? xstrndup(c, s, strlen(s)) : NULL;
}

static bool is_plain(struct fy_node *n)
{
	return !n || fy_node_get_style(n) == FYNS_PLAIN;
}

static bool is_seq(struct fy_node *n)
{
	return n && !fy_node_is_alias(n) &&
	       fy_node_get_type(n) == FYNT_SEQUENCE;
}

/* The text of a scalar node (len bytes, not NUL-terminated), or NULL after
 * reporting why the node is not a plain value. An absent value is "". */
static const char *node_text(struct ctx *c, struct fy_node *n, struct loc at,
			     const char *key, size_t *len)
{
	const char *s;
	const char *tag;
	size_t tl = 0;

	*len = 0;
	if (!n)
		return "";
	if (fy_node_is_alias(n)) {
		err_at(c, at, "'%s': aliases are not supported", key);
		return NULL;
	}
	if (fy_node_get_type(n) != FYNT_SCALAR) {
		err_at(c, at, "'%s' must be a single value, not a %s", key,
		       fy_node_get_type(n) == FYNT_MAPPING ? "mapping"
							   : "list");
		return NULL;
	}
	tag = fy_node_get_tag(n, &tl);
	if (tag && tl) {
		err_at(c, at,
		       "'%s' has the YAML tag '%s': tags are not supported (quote a value that starts with '!')",
		       key, yamldoc_show(tag, tl).s);
		return NULL;
	}
	s = fy_node_get_scalar(n, len);
	if (!s) {
		*len = 0;
		return "";
	}
	return s;
}

static const char *scalar_of(struct ctx *c, const struct kv *f, const char *key,
			     size_t *len)
{
	return node_text(c, f->v, f->at, key, len);
}

/* A non-empty text value, copied. */
static char *text_of(struct ctx *c, const struct kv *f, const char *key)
{
	size_t len;
	const char *s;

	if (!f->present)
		return NULL;
	s = scalar_of(c, f, key, &len);
	if (!s)
		return NULL;
	if (len == 0) {
		err_at(c, f->at, "'%s' is empty", key);
		return NULL;
	}
	if (len > MAX_TEXT) {
		err_at(c, f->at, "'%s' is longer than %d bytes", key, MAX_TEXT);
		return NULL;
	}
	if (memchr(s, '\0', len)) {
		err_at(c, f->at, "'%s' contains a NUL character", key);
		return NULL;
	}
	return xstrndup(c, s, len);
}

/* An id: lowercase letters, digits and '-', as rule ids are built from
 * them with '.' between. */
static char *id_of(struct ctx *c, const struct kv *f, const char *key)
{
	size_t len;
	const char *s;

	if (!f->present)
		return NULL;
	s = scalar_of(c, f, key, &len);
	if (!s)
		return NULL;
	if (!yamldoc_id_ok(s, len, MAX_ID)) {
		err_at(c, f->at,
		       "'%s' is not a valid %s: use up to %d lowercase letters, digits and '-'",
		       yamldoc_show(s, len).s, key, MAX_ID);
		return NULL;
	}
	return xstrndup(c, s, len);
}

static int bool_of(struct ctx *c, const struct kv *f, const char *key,
		   bool *out)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);

	if (!s)
		return -1;
	if (is_plain(f->v) && yamldoc_text_eq(s, len, "true")) {
		*out = true;
		return 0;
	}
	if (is_plain(f->v) && yamldoc_text_eq(s, len, "false")) {
		*out = false;
		return 0;
	}
	err_at(c, f->at, "'%s' must be true or false, not '%s'", key,
	       yamldoc_show(s, len).s);
	return -1;
}

/* A decimal integer (optional '-'), at most 18 digits. */
static bool parse_int(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	int64_t v = 0;
	bool neg = false;

	if (len && s[0] == '-') {
		neg = true;
		i = 1;
	}
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

static int int_of(struct ctx *c, const struct kv *f, const char *key, int lo,
		  int hi, int *out)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);
	int64_t v;

	if (!s)
		return -1;
	if (!is_plain(f->v) || !parse_int(s, len, &v) || v < lo || v > hi) {
		err_at(c, f->at, "'%s' must be a whole number from %d to %d",
		       key, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Money is read from the scalar's text, so "0.10" stays exact. */
static int money_of(struct ctx *c, const struct kv *f, const char *key,
		    money_t *out)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);
	struct qerr e;

	if (!s)
		return -1;
	if (money_parse(s, len, out, key, &e)) {
		err_at(c, f->at, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* The value of a key that must be one of names[]; returns its index. */
static int choice_of(struct ctx *c, const struct kv *f, const char *key,
		     const char *const *names, int n, const char *expect)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);

	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (yamldoc_text_eq(s, len, names[i]))
			return i;
	err_at(c, f->at, "'%s' must be %s, not '%s'", key, expect,
	       yamldoc_show(s, len).s);
	return -1;
}

/* Whether s is the Chinese companion of key: a mapping that takes `says`
 * also takes `says_zh` and `says_zh_source`, one that takes `assumption`
 * takes `assumption_zh` (read by zh_attach). */
static bool zh_key_for(const char *s, size_t len, const char *key)
{
	if (!strcmp(key, "says"))
		return yamldoc_text_eq(s, len, "says_zh") ||
		       yamldoc_text_eq(s, len, "says_zh_source");
	if (!strcmp(key, "assumption"))
		return yamldoc_text_eq(s, len, "assumption_zh");
	return false;
}

/* Collect the values of a mapping's known keys into kv[] and report every
 * unknown key. The mapping is described in messages as "<kind> '<name>'",
 * with its own `id` when name is NULL; the description goes to what. */
static bool fields_of(struct ctx *c, struct fy_node *n, struct loc at,
		      const char *kind, const char *name,
		      const char *const *keys, size_t nkeys, struct kv *kv,
		      char *what, size_t whatsz)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	const char *id = NULL;
	size_t idlen = 0;

	memset(kv, 0, nkeys * sizeof(*kv));
	if (name)
		snprintf(what, whatsz, "%s '%s'", kind, name);
	else
		snprintf(what, whatsz, "%s", kind);
	if (!yamldoc_is_map(n)) {
		err_at(c, yamldoc_loc(n, at), "%s must be a mapping of keys",
		       what);
		return false;
	}
	while ((pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = yamldoc_loc(k, at);
		const char *s;
		size_t len;

		if (!k || fy_node_is_alias(k) ||
		    fy_node_get_type(k) != FYNT_SCALAR)
			continue; /* reported in the second pass */
		s = fy_node_get_scalar(k, &len);
		if (!s)
			continue;
		for (size_t i = 0; i < nkeys; i++) {
			if (!yamldoc_text_eq(s, len, keys[i]))
				continue;
			if (kv[i].present)
				err_at(c, kl, "duplicate key '%s'", keys[i]);
			kv[i].v = v;
			kv[i].at = yamldoc_loc(v, kl);
			kv[i].present = true;
			if (!strcmp(keys[i], "id") && v &&
			    !fy_node_is_alias(v) &&
			    fy_node_get_type(v) == FYNT_SCALAR)
				id = fy_node_get_scalar(v, &idlen);
		}
	}
	if (!name && id && idlen)
		snprintf(what, whatsz, "%s '%s'", kind,
			 yamldoc_show(id, idlen).s);
	it = NULL;
	while ((pr = fy_node_mapping_iterate(n, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct loc kl = yamldoc_loc(k, at);
		const char *s;
		size_t len;
		bool known = false;

		if (!k || fy_node_is_alias(k) ||
		    fy_node_get_type(k) != FYNT_SCALAR) {
			err_at(c, kl, "keys of %s must be plain text", what);
			continue;
		}
		s = fy_node_get_scalar(k, &len);
		if (!s)
			s = "";
		for (size_t i = 0; i < nkeys && !known; i++)
			known = yamldoc_text_eq(s, len, keys[i]) ||
				zh_key_for(s, len, keys[i]);
		if (!known)
			err_at(c, kl, "unknown key '%s' in %s",
			       yamldoc_show(s, len).s, what);
	}
	return true;
}

static bool need(struct ctx *c, const struct kv *f, const char *key,
		 const char *what, struct loc at)
{
	if (f->present)
		return true;
	err_at(c, at, "missing key '%s' in %s", key, what);
	return false;
}

/* A list of at most max items; *n gets the count. NULL when absent or
 * wrong (reported). */
static struct fy_node *seq_of(struct ctx *c, const struct kv *f,
			      const char *key, size_t max, size_t *n)
{
	int cnt;

	*n = 0;
	if (!f->present)
		return NULL;
	if (!is_seq(f->v)) {
		err_at(c, f->at, "'%s' must be a list", key);
		return NULL;
	}
	cnt = fy_node_sequence_item_count(f->v);
	if (cnt < 0)
		cnt = 0;
	if ((size_t)cnt > max) {
		err_at(c, f->at, "'%s' has %d entries; at most %zu are allowed",
		       key, cnt, max);
		return NULL;
	}
	*n = (size_t)cnt;
	return f->v;
}

/* --- rules ------------------------------------------------------------ */

/* Append a rule; says, source and assumption move into it. */
static uint32_t add_rule(struct ctx *c, enum rule_kind kind, uint32_t measure,
			 struct loc at, const char *id, char *says,
			 char *source, char *assumption)
{
	struct policy *p = c->p;
	struct policy_rule *r;

	if (p->nrules == c->rules_alloc) {
		size_t na = c->rules_alloc ? c->rules_alloc * 2 : 32;
		struct policy_rule *nr = realloc(p->rules, na * sizeof(*nr));

		if (!nr) {
			c->nomem = true;
			goto fail;
		}
		p->rules = nr;
		c->rules_alloc = na;
	}
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(c, id);
	if (!r->id)
		goto fail;
	r->kind = kind;
	r->says = says;
	r->source = source;
	r->assumption = assumption;
	r->line = at.line;
	r->col = at.col;
	r->measure = measure;
	return (uint32_t)p->nrules++;
fail:
	free(says);
	free(source);
	free(assumption);
	return 0;
}

static int find_source(const struct policy *p, const char *s, size_t len);

/* An absent key, for zh_attach where a mapping has no `says`. */
static const struct kv no_kv;

/* The Chinese beside rule r's texts: `says_zh`, `says_zh_source` and
 * `assumption_zh` in the mapping that holds the English (found as the
 * parent of whichever of says, assumption, source is there). Each
 * Chinese text needs its English, and `says_zh_source` is "office" or one
 * of the policy's sources. */
static void zh_attach(struct ctx *c, uint32_t r, const struct kv *says,
		      const struct kv *assumption, const struct kv *source)
{
	const struct kv *any = says->present	     ? says
			       : assumption->present ? assumption
						     : source;
	struct fy_node *map;
	struct kv zs = {0}, za = {0}, zsrc = {0};
	struct policy_rule *rule;
	size_t len;
	const char *v;

	if (c->nomem || r >= c->p->nrules || !any->present || !any->v)
		return;
	map = fy_node_get_parent(any->v);
	if (!yamldoc_is_map(map))
		return;
	rule = &c->p->rules[r];
	zs.v = fy_node_mapping_lookup_by_string(map, "says_zh", FY_NT);
	za.v = fy_node_mapping_lookup_by_string(map, "assumption_zh", FY_NT);
	zsrc.v = fy_node_mapping_lookup_by_string(map, "says_zh_source", FY_NT);
	zs.present = zs.v != NULL;
	za.present = za.v != NULL;
	zsrc.present = zsrc.v != NULL;
	zs.at = yamldoc_loc(zs.v, any->at);
	za.at = yamldoc_loc(za.v, any->at);
	zsrc.at = yamldoc_loc(zsrc.v, any->at);
	if (zs.present && !says->present)
		err_at(c, zs.at,
		       "'says_zh' without 'says': give the English too");
	if (za.present && !assumption->present)
		err_at(c, za.at,
		       "'assumption_zh' without 'assumption': give the English too");
	if (zsrc.present && !zs.present)
		err_at(c, zsrc.at, "'says_zh_source' without 'says_zh'");
	if (zs.present && !zsrc.present)
		err_at(c, zs.at,
		       "'says_zh' needs 'says_zh_source': 'office' for the office's own wording, or the id of the source it quotes");
	assert(!rule->says_zh && !rule->assumption_zh);
	rule->says_zh = text_of(c, &zs, "says_zh");
	rule->assumption_zh = text_of(c, &za, "assumption_zh");
	if (!zsrc.present)
		return;
	v = scalar_of(c, &zsrc, "says_zh_source", &len);
	if (v && !yamldoc_text_eq(v, len, "office") &&
	    find_source(c->p, v, len) < 0)
		err_at(c, zsrc.at,
		       "unknown says_zh_source '%s': use 'office' or a source id",
		       yamldoc_show(v, len).s);
	else if (v)
		rule->zh_source = xstrndup(c, v, len);
}

/* --- sources ---------------------------------------------------------- */

static int find_source(const struct policy *p, const char *s, size_t len)
{
	for (size_t i = 0; i < p->nsources; i++)
		if (p->sources[i].id &&
		    yamldoc_text_eq(s, len, p->sources[i].id))
			return (int)i;
	return -1;
}

/* `source:` naming an entry of sources. */
static char *source_of(struct ctx *c, const struct kv *f)
{
	size_t len;
	const char *s;

	if (!f->present)
		return NULL;
	s = scalar_of(c, f, "source", &len);
	if (!s)
		return NULL;
	if (find_source(c->p, s, len) < 0) {
		err_at(c, f->at, "unknown source '%s'", yamldoc_show(s, len).s);
		return NULL;
	}
	return xstrndup(c, s, len);
}

/* Every value carries a source, an assumption, or both. */
static void need_provenance(struct ctx *c, const struct kv *src,
			    const struct kv *asm_, const char *what,
			    struct loc at)
{
	if (!src->present && !asm_->present)
		err_at(c, at, "%s needs a 'source' or an 'assumption'", what);
}

enum { S_ID, S_TITLE, S_URL, S_PUBLISHED, S_DOCUMENT, S__N };
static const char *const source_keys[S__N] = {"id", "title", "url", "published",
					      "document"};

/* Whether the page name s (len bytes) is one a site serves as its root
 * ("index.html", "default.aspx", "home.htm"). */
static bool is_root_page(const char *s, size_t len)
{
	static const char *const stems[] = {"index", "default", "home", "main"};
	const char *dot = memchr(s, '.', len);

	if (!dot || memchr(dot + 1, '.', len - (size_t)(dot + 1 - s)))
		return false;
	for (size_t i = 0; i < sizeof(stems) / sizeof(stems[0]); i++)
		if ((size_t)(dot - s) == strlen(stems[i]) &&
		    !strncasecmp(s, stems[i], strlen(stems[i])))
			return true;
	return false;
}

/* Why url cannot be followed to an article, or NULL: it must be an http or
 * https address with a path (or a query, or a fragment) beyond the site's
 * root, so that an auditor lands on the text, not on a home page. */
static const char *url_problem(const char *url)
{
	const char *h, *path, *end;
	size_t plen;

	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
		return "is not an http or https address";
	h = strstr(url, "://") + 3;
	path = h + strcspn(h, "/?#");
	if (path == h)
		return "has no host";
	end = path + strcspn(path, "?#");
	plen = (size_t)(end - path);
	if (*end && end[1] && !(end[0] == '#' && end[1] == '/' && !end[2]))
		return NULL; /* a query or a route names the page */
	if (plen <= 1 ||
	    (path[0] == '/' && memchr(path + 1, '/', plen - 1) == NULL &&
	     is_root_page(path + 1, plen - 1)))
		return "is a site's root page, which no auditor can follow to the text: cite the article's own address, or give 'document' (its number) and 'published' instead";
	return NULL;
}

static void parse_source(struct ctx *c, struct policy_source *s, struct kv *kv,
			 const char *what, struct loc at)
{
	need(c, &kv[S_ID], "id", what, at);
	need(c, &kv[S_TITLE], "title", what, at);
	if (!kv[S_URL].present &&
	    !(kv[S_DOCUMENT].present && kv[S_PUBLISHED].present))
		err_at(c, at,
		       "%s needs a 'url', or a 'document' number with its 'published' date",
		       what);
	s->id = id_of(c, &kv[S_ID], "id");
	s->title = text_of(c, &kv[S_TITLE], "title");
	s->url = text_of(c, &kv[S_URL], "url");
	s->document = text_of(c, &kv[S_DOCUMENT], "document");
	s->url_line = kv[S_URL].at.line;
	s->url_col = kv[S_URL].at.col;
	if (kv[S_PUBLISHED].present) {
		size_t len;
		const char *t =
			scalar_of(c, &kv[S_PUBLISHED], "published", &len);
		struct qerr e;
		qdate dd;

		if (t && date_parse(t, len, &dd, "published", &e))
			err_at(c, kv[S_PUBLISHED].at, "%s", e.msg);
		else if (t)
			s->published = xstrndup(c, t, len);
	}
}

int policy_check_sources(const struct policy *p, struct diag_list *d)
{
	int n = 0;

	assert(p && d);
	for (size_t i = 0; i < p->nsources; i++) {
		const struct policy_source *s = &p->sources[i];
		const char *why = s->url ? url_problem(s->url) : NULL;

		if (!why)
			continue;
		diag_add(d, p->path, s->url_line, s->url_col, "url '%s' %s",
			 yamldoc_show(s->url, strlen(s->url)).s, why);
		n++;
	}
	assert(n >= 0 && (size_t)n <= p->nsources);
	return n;
}

static void parse_sources(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	struct fy_node *seq, *item;
	void *it = NULL;
	size_t n;
	int *lines;

	seq = seq_of(c, f, "sources", MAX_SOURCES, &n);
	if (!seq)
		return;
	if (n == 0) {
		err_at(c, f->at, "'sources' must list at least one source");
		return;
	}
	p->sources = xcalloc(c, n, sizeof(*p->sources));
	lines = xcalloc(c, n, sizeof(*lines));
	if (!p->sources || !lines)
		goto out;
	while ((item = fy_node_sequence_iterate(seq, &it)) && p->nsources < n) {
		struct policy_source *s = &p->sources[p->nsources];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[S__N];
		char what[128];

		p->nsources++;
		lines[p->nsources - 1] = at.line;
		if (!fields_of(c, item, at, "source", NULL, source_keys, S__N,
			       kv, what, sizeof(what)))
			continue;
		parse_source(c, s, kv, what, at);
		for (size_t j = 0; s->id && j + 1 < p->nsources; j++)
			if (p->sources[j].id &&
			    !strcmp(p->sources[j].id, s->id))
				err_at(c, kv[S_ID].at,
				       "duplicate source id '%s' (first at line %d)",
				       s->id, lines[j]);
	}
out:
	free(lines);
}

/* --- the program's own text, and the lists ---------------------------- */

/* A date key of a mapping. */
static int date_of(struct ctx *c, const struct kv *f, const char *key,
		   qdate *out)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);
	struct qerr e;

	if (!s)
		return -1;
	if (date_parse(s, len, out, key, &e)) {
		err_at(c, f->at, "%s", e.msg);
		return -1;
	}
	return 0;
}

enum { RT_DATE, RT_SAYS, RT_SOURCE, RT__N };
static const char *const retro_keys[RT__N] = {"date", "says", "source"};

/* `published_in: <source>`: the text that makes the program; its date is
 * the earliest any window, measure or condition may reach, unless
 * `retroactive_to:` says, with the text's own words as its source, that it
 * reaches back. */
static void parse_published(struct ctx *c, const struct kv *f,
			    const struct kv *retro)
{
	struct policy *p = c->p;
	struct kv kv[RT__N];
	char what[64];
	size_t len;
	const char *s;
	int si;

	p->published_in = -1;
	p->published = p->retroactive_to = INT32_MIN;
	if (!f->present) {
		if (retro->present)
			err_at(c, retro->at,
			       "'retroactive_to' needs 'published_in': the source whose date it reaches back from");
		return;
	}
	s = scalar_of(c, f, "published_in", &len);
	if (!s)
		return;
	si = find_source(p, s, len);
	if (si < 0) {
		err_at(c, f->at, "unknown source '%s'", yamldoc_show(s, len).s);
		return;
	}
	if (!p->sources[si].published) {
		err_at(c, f->at,
		       "source '%s' has no 'published' date: the program's text needs one",
		       p->sources[si].id);
		return;
	}
	date_parse(p->sources[si].published, strlen(p->sources[si].published),
		   &p->published, "published", NULL);
	p->published_in = si;
	p->retroactive_to = p->published;
	if (!retro->present ||
	    !fields_of(c, retro->v, retro->at, "retroactive_to", NULL,
		       retro_keys, RT__N, kv, what, sizeof(what)))
		return;
	snprintf(what, sizeof(what), "'retroactive_to'");
	if (!need(c, &kv[RT_DATE], "date", what, retro->at) ||
	    !need(c, &kv[RT_SOURCE], "source", what, retro->at))
		return;
	free(source_of(c, &kv[RT_SOURCE]));
	if (kv[RT_SAYS].present)
		free(text_of(c, &kv[RT_SAYS], "says"));
	if (date_of(c, &kv[RT_DATE], "date", &p->retroactive_to))
		return;
	if (p->retroactive_to >= p->published) {
		char d[DATE_TEXT_MAX];

		err_at(c, kv[RT_DATE].at,
		       "'retroactive_to' is not before the program's publication (%s): remove it",
		       date_format(p->published, d));
		p->retroactive_to = p->published;
	}
}

/* A date the policy reaches to must not be before its text (or the date
 * the text reaches back to). */
static void check_reach_date(struct ctx *c, qdate d, struct loc at,
			     const char *what)
{
	const struct policy *p = c->p;
	char dd[DATE_TEXT_MAX], pd[DATE_TEXT_MAX];

	if (p->published_in < 0 || d >= p->retroactive_to)
		return;
	date_format(d, dd);
	date_format(p->retroactive_to, pd);
	if (p->retroactive_to < p->published)
		err_at(c, at,
		       "%s reaches back to %s, before %s, the earliest date 'retroactive_to' allows",
		       what, dd, pd);
	else
		err_at(c, at,
		       "%s reaches back to %s, before the program's text was published on %s (source '%s'): a program cannot reach before its publication unless the text says so ('retroactive_to')",
		       what, dd, pd, p->sources[p->published_in].id);
}

/* The same for the dates a condition compares the signing or receipt date
 * with. */
static void check_reach(struct ctx *c, const struct expr *x, struct loc at,
			const char *what)
{
	static const int fields[] = {F_CONTRACT_SIGNED_ON, F_RECEIVED_ON};
	int64_t d;

	if (!x || c->p->published_in < 0)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (expr_date_floor(x, fields[i], &d))
			check_reach_date(c, (qdate)d, at, what);
}

int policy_find_list(const struct policy *p, const char *id, size_t len)
{
	for (size_t i = 0; i < p->nlists; i++)
		if (p->lists[i].id && yamldoc_text_eq(id, len, p->lists[i].id))
			return (int)i;
	return -1;
}

static int list_lookup(void *ctx, const char *name, size_t len)
{
	return policy_find_list(ctx, name, len);
}

enum { L_ID, L_NAME, L_SOURCE, L_ASSUMPTION, L__N };
static const char *const list_keys[L__N] = {"id", "name", "source",
					    "assumption"};

/* `lists:` the named supplier lists the program keeps; the office imports
 * each under its id (quan lists import ID FILE). */
static void parse_lists(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (!seq_of(c, f, "lists", POLICY_MAX_LISTS, &n) || n == 0)
		return;
	p->lists = xcalloc(c, n, sizeof(*p->lists));
	if (!p->lists)
		return;
	while ((item = fy_node_sequence_iterate(f->v, &it)) && p->nlists < n) {
		struct policy_list *l = &p->lists[p->nlists];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[L__N];
		char what[128];

		p->nlists++;
		if (!fields_of(c, item, at, "list", NULL, list_keys, L__N, kv,
			       what, sizeof(what)))
			continue;
		need(c, &kv[L_ID], "id", what, at);
		need(c, &kv[L_NAME], "name", what, at);
		need_provenance(c, &kv[L_SOURCE], &kv[L_ASSUMPTION], what, at);
		l->id = id_of(c, &kv[L_ID], "id");
		l->name = text_of(c, &kv[L_NAME], "name");
		l->source = source_of(c, &kv[L_SOURCE]);
		l->assumption = text_of(c, &kv[L_ASSUMPTION], "assumption");
		if (l->id && strlen(l->id) > POLICY_LIST_ID_MAX)
			err_at(c, kv[L_ID].at,
			       "list id '%s' is longer than %d bytes", l->id,
			       POLICY_LIST_ID_MAX);
		if (l->id && (!strcmp(l->id, "dishonest") ||
			      !strcmp(l->id, "restricted")))
			err_at(c, kv[L_ID].at,
			       "list '%s' is the office's own screening list: name a supplier list otherwise",
			       l->id);
		for (size_t j = 0; l->id && j + 1 < p->nlists; j++)
			if (p->lists[j].id && !strcmp(p->lists[j].id, l->id))
				err_at(c, kv[L_ID].at, "duplicate list id '%s'",
				       l->id);
	}
}

/* --- parameters ------------------------------------------------------- */

static int param_lookup(void *ctx, const char *name, size_t len,
			enum qtype *type)
{
	const struct policy *p = ctx;

	for (size_t i = 0; i < p->nparams; i++)
		if (p->params[i].name &&
		    yamldoc_text_eq(name, len, p->params[i].name)) {
			*type = p->params[i].type;
			return (int)i;
		}
	return -1;
}

static bool param_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > MAX_ID ||
	    !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Read one dated value: its type from its text. Returns QT_NULL for a null
 * value, QT_NONE after reporting a bad one. */
static enum qtype param_value(struct ctx *c, struct fy_node *n, struct loc at,
			      const char *name, int64_t *v)
{
	size_t len;
	const char *s = node_text(c, n, at, name, &len);
	struct qerr e;

	if (!s)
		return QT_NONE;
	if (is_plain(n) && (len == 0 || yamldoc_text_eq(s, len, "null") ||
			    yamldoc_text_eq(s, len, "~")))
		return QT_NULL;
	if (yamldoc_text_eq(s, len, "true") ||
	    yamldoc_text_eq(s, len, "false")) {
		*v = s[0] == 't';
		return QT_BOOL;
	}
	if (len && s[len - 1] == '%') {
		rate_bp r;

		if (rate_parse(s, len, &r, name, &e)) {
			err_at(c, at, "%s", e.msg);
			return QT_NONE;
		}
		*v = r;
		return QT_RATE;
	}
	if (len == 10 && s[4] == '-' && s[7] == '-') {
		qdate dd;

		if (date_parse(s, len, &dd, name, &e)) {
			err_at(c, at, "%s", e.msg);
			return QT_NONE;
		}
		*v = dd;
		return QT_DATE;
	}
	if (memchr(s, '.', len)) {
		money_t m;

		if (money_parse(s, len, &m, name, &e)) {
			err_at(c, at, "%s", e.msg);
			return QT_NONE;
		}
		*v = m;
		return QT_MONEY;
	}
	if (parse_int(s, len, v))
		return QT_INT;
	err_at(c, at,
	       "value '%s' of parameter '%s' is not money (\"8000000.00\"), a rate (\"30%%\"), a whole number, true, false, a date or null",
	       yamldoc_show(s, len).s, name);
	return QT_NONE;
}

enum { PA_VALUES, PA_SOURCE, PA_ASSUMPTION, PA__N };
static const char *const param_keys[PA__N] = {"values", "source", "assumption"};

static void parse_param(struct ctx *c, struct policy_param *pp,
			struct fy_node *n, struct loc at, size_t *ndated)
{
	struct kv kv[PA__N];
	char what[128];
	struct fy_node_pair *pr;
	void *it = NULL;
	int cnt;
	int first_line = 0;

	if (!fields_of(c, n, at, "parameter", pp->name, param_keys, PA__N, kv,
		       what, sizeof(what)))
		return;
	need_provenance(c, &kv[PA_SOURCE], &kv[PA_ASSUMPTION], what, at);
	pp->source = source_of(c, &kv[PA_SOURCE]);
	pp->assumption = text_of(c, &kv[PA_ASSUMPTION], "assumption");
	if (!need(c, &kv[PA_VALUES], "values", what, at))
		return;
	if (!yamldoc_is_map(kv[PA_VALUES].v)) {
		err_at(c, kv[PA_VALUES].at,
		       "'values' of %s must map dates to values", what);
		return;
	}
	cnt = fy_node_mapping_item_count(kv[PA_VALUES].v);
	if (cnt <= 0) {
		err_at(c, kv[PA_VALUES].at, "%s has no values", what);
		return;
	}
	if (cnt > MAX_PARAM_VALUES) {
		err_at(c, kv[PA_VALUES].at,
		       "%s has %d values; at most %d are allowed", what, cnt,
		       MAX_PARAM_VALUES);
		return;
	}
	if (*ndated + (size_t)cnt > MAX_DATED_VALUES) {
		err_at(c, kv[PA_VALUES].at,
		       "the parameters have more than %d dated values in all",
		       MAX_DATED_VALUES);
		return;
	}
	*ndated += (size_t)cnt;
	pp->values = xcalloc(c, (size_t)cnt, sizeof(*pp->values));
	if (!pp->values)
		return;
	while ((pr = fy_node_mapping_iterate(kv[PA_VALUES].v, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = yamldoc_loc(k, kv[PA_VALUES].at);
		struct loc vl = yamldoc_loc(v, kl);
		struct policy_param_value *pv;
		size_t len;
		const char *s = node_text(c, k, kl, "values", &len);
		struct qerr e;
		qdate from;
		enum qtype t;
		int64_t val = 0;

		if (!s)
			continue;
		if (date_parse(s, len, &from, "date", &e)) {
			err_at(c, kl,
			       "%s: a parameter's values are keyed by date",
			       e.msg);
			continue;
		}
		for (size_t j = 0; j < pp->nvalues; j++)
			if (pp->values[j].from == from)
				err_at(c, kl, "date %s is given twice in %s",
				       yamldoc_show(s, len).s, what);
		t = param_value(c, v, vl, pp->name, &val);
		if (t == QT_NONE)
			continue;
		if (t != QT_NULL && pp->type == QT_NONE) {
			pp->type = t;
			first_line = vl.line;
		} else if (t != QT_NULL && t != pp->type) {
			err_at(c, vl,
			       "%s has values of mixed types: %s at line %d, %s here",
			       what, qtype_name(pp->type), first_line,
			       qtype_name(t));
		}
		if ((size_t)cnt <= pp->nvalues)
			break;
		/* Keep the values sorted by date as they arrive. */
		pv = &pp->values[pp->nvalues];
		while (pv > pp->values && pv[-1].from > from) {
			pv[0] = pv[-1];
			pv--;
		}
		pv->from = from;
		pv->is_null = t == QT_NULL;
		pv->v = t == QT_NULL ? 0 : val;
		pp->nvalues++;
	}
	if (pp->type == QT_NONE && pp->nvalues)
		err_at(c, kv[PA_VALUES].at, "%s has only null values", what);
}

static void parse_params(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	struct fy_node_pair *pr;
	void *it = NULL;
	int cnt;
	size_t ndated = 0;

	if (!f->present)
		return;
	if (!yamldoc_is_map(f->v)) {
		err_at(c, f->at,
		       "'parameters' must map parameter names to their values");
		return;
	}
	cnt = fy_node_mapping_item_count(f->v);
	if (cnt > MAX_PARAMS) {
		err_at(c, f->at,
		       "'parameters' has %d entries; at most %d are allowed",
		       cnt, MAX_PARAMS);
		return;
	}
	if (cnt <= 0)
		return;
	p->params = xcalloc(c, (size_t)cnt, sizeof(*p->params));
	if (!p->params)
		return;
	while ((pr = fy_node_mapping_iterate(f->v, &it)) &&
	       p->nparams < (size_t)cnt) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct loc kl = yamldoc_loc(k, f->at);
		struct policy_param *pp = &p->params[p->nparams];
		size_t len;
		const char *s = node_text(c, k, kl, "parameters", &len);

		if (!s)
			continue;
		if (!param_name_ok(s, len)) {
			err_at(c, kl,
			       "'%s' is not a valid parameter name: use lowercase letters, digits and '_', starting with a letter",
			       yamldoc_show(s, len).s);
			continue;
		}
		if (param_lookup(p, s, len, &(enum qtype){QT_NONE}) >= 0) {
			err_at(c, kl, "duplicate parameter '%s'",
			       yamldoc_show(s, len).s);
			continue;
		}
		pp->name = xstrndup(c, s, len);
		if (!pp->name)
			return;
		pp->line = kl.line;
		pp->col = kl.col;
		p->nparams++;
		parse_param(c, pp, fy_node_pair_value(pr), kl, &ndated);
	}
}

static int cmp_qdate(const void *a, const void *b)
{
	qdate x = *(const qdate *)a, y = *(const qdate *)b;

	return (x > y) - (x < y);
}

/* Split time at every date a parameter changes and store the full vector
 * of values for each epoch, so a decision needs one binary search. */
static void build_epochs(struct ctx *c)
{
	struct policy *p = c->p;
	size_t ndates = 0, k;
	qdate *dates;

	for (size_t i = 0; i < p->nparams; i++)
		ndates += p->params[i].nvalues;
	dates = xcalloc(c, ndates + 1, sizeof(*dates));
	if (!dates)
		return;
	dates[0] = INT32_MIN; /* epoch 0: the beginning of time */
	k = 1;
	for (size_t i = 0; i < p->nparams; i++)
		for (size_t j = 0; j < p->params[i].nvalues; j++)
			dates[k++] = p->params[i].values[j].from;
	qsort(dates + 1, ndates, sizeof(*dates), cmp_qdate);
	k = 1;
	for (size_t i = 1; i <= ndates; i++)
		if (dates[i] != dates[k - 1])
			dates[k++] = dates[i];
	p->nepochs = k;
	p->epoch_from = dates;
	p->epoch_vals = xcalloc(c, p->nepochs * (p->nparams ? p->nparams : 1),
				sizeof(*p->epoch_vals));
	p->epoch_null = xcalloc(c, p->nepochs * (p->nparams ? p->nparams : 1),
				sizeof(*p->epoch_null));
	if (!p->epoch_vals || !p->epoch_null)
		return;
	for (size_t e = 0; e < p->nepochs; e++) {
		for (size_t i = 0; i < p->nparams; i++) {
			const struct policy_param *pp = &p->params[i];
			size_t at = e * p->nparams + i;
			const struct policy_param_value *in = NULL;

			for (size_t j = 0; j < pp->nvalues; j++)
				if (pp->values[j].from <= dates[e])
					in = &pp->values[j];
			p->epoch_null[at] = !in || in->is_null;
			p->epoch_vals[at] = in && !in->is_null ? in->v : 0;
		}
	}
}

/* --- pools ------------------------------------------------------------ */

enum {
	P_ID,
	P_NAME,
	P_BUDGETS,
	P_COMMITMENT,
	P_ROLLOVER,
	P_SOURCE,
	P_ASSUMPTION,
	P__N
};
static const char *const pool_keys[P__N] = {"id",	  "name",     "budgets",
					    "commitment", "rollover", "source",
					    "assumption"};

enum { CM_AMOUNT, CM_FROM, CM_UNTIL, CM__N };
static const char *const commitment_keys[CM__N] = {"amount", "from", "until"};

static void parse_budgets(struct ctx *c, struct policy_pool *pl,
			  const struct kv *f, const char *what)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	int cnt;

	if (!yamldoc_is_map(f->v)) {
		err_at(c, f->at,
		       "'budgets' of %s must map fiscal years to amounts",
		       what);
		return;
	}
	cnt = fy_node_mapping_item_count(f->v);
	if (cnt <= 0) {
		err_at(c, f->at, "%s has no budget", what);
		return;
	}
	if (cnt > MAX_BUDGETS) {
		err_at(c, f->at, "%s has %d budgets; at most %d are allowed",
		       what, cnt, MAX_BUDGETS);
		return;
	}
	pl->budgets = xcalloc(c, (size_t)cnt, sizeof(*pl->budgets));
	if (!pl->budgets)
		return;
	while ((pr = fy_node_mapping_iterate(f->v, &it)) &&
	       pl->nbudgets < (size_t)cnt) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct loc kl = yamldoc_loc(k, f->at);
		struct kv vv = {fy_node_pair_value(pr), {0, 0}, true};
		size_t len;
		const char *s = node_text(c, k, kl, "budgets", &len);
		int64_t year;
		money_t amount;
		bool dup = false;

		vv.at = yamldoc_loc(vv.v, kl);
		if (!s)
			continue;
		if (!parse_int(s, len, &year) || year < DATE_MIN_YEAR ||
		    year > DATE_MAX_YEAR) {
			err_at(c, kl,
			       "'%s' is not a fiscal year: budgets are keyed by year (%d..%d)",
			       yamldoc_show(s, len).s, DATE_MIN_YEAR,
			       DATE_MAX_YEAR);
			continue;
		}
		for (size_t j = 0; j < pl->nbudgets; j++)
			dup |= pl->budgets[j].year == (int)year;
		if (dup) {
			err_at(c, kl, "year %d is given twice in %s", (int)year,
			       what);
			continue;
		}
		if (money_of(c, &vv, "budget", &amount))
			continue;
		pl->budgets[pl->nbudgets].year = (int)year;
		pl->budgets[pl->nbudgets].amount = amount;
		pl->nbudgets++;
	}
}

/* `commitment: {amount, from, until}`: one budget of commitment authority
 * for fiscal years from..until, kept as the budget of year `from`. */
static void parse_commitment(struct ctx *c, struct policy_pool *pl,
			     const struct kv *f, const char *pool)
{
	struct kv kv[CM__N];
	char what[160];
	money_t amount = 0;
	int from = 0, until = 0;
	bool ok = true;

	if (!fields_of(c, f->v, f->at, "commitment of", pool, commitment_keys,
		       CM__N, kv, what, sizeof(what)))
		return;
	if (need(c, &kv[CM_AMOUNT], "amount", what, f->at)) {
		if (money_of(c, &kv[CM_AMOUNT], "amount", &amount))
			ok = false;
		else if (amount <= 0) {
			err_at(c, kv[CM_AMOUNT].at,
			       "the amount of %s must be more than 0.00", what);
			ok = false;
		}
	} else
		ok = false;
	if (!need(c, &kv[CM_FROM], "from", what, f->at) ||
	    int_of(c, &kv[CM_FROM], "from", DATE_MIN_YEAR, DATE_MAX_YEAR,
		   &from))
		ok = false;
	if (!need(c, &kv[CM_UNTIL], "until", what, f->at) ||
	    int_of(c, &kv[CM_UNTIL], "until", DATE_MIN_YEAR, DATE_MAX_YEAR,
		   &until))
		ok = false;
	if (from && until && until < from) {
		err_at(c, kv[CM_UNTIL].at,
		       "'until' (%d) is before 'from' (%d) in %s", until, from,
		       what);
		ok = false;
	} else if (from && until && until - from >= MAX_BUDGETS) {
		err_at(c, kv[CM_UNTIL].at,
		       "%s spans %d fiscal years; at most %d are allowed", what,
		       until - from + 1, MAX_BUDGETS);
		ok = false;
	}
	if (!ok)
		return;
	pl->budgets = xcalloc(c, 1, sizeof(*pl->budgets));
	if (!pl->budgets)
		return;
	pl->budgets[0].year = from;
	pl->budgets[0].amount = amount;
	pl->nbudgets = 1;
	pl->commitment = true;
	pl->commit_from = from;
	pl->commit_until = until;
}

static void parse_pools(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	struct fy_node *seq, *item;
	void *it = NULL;
	size_t n;

	seq = seq_of(c, f, "pools", MAX_POOLS, &n);
	if (!seq)
		return;
	if (n == 0) {
		err_at(c, f->at, "'pools' must list at least one pool");
		return;
	}
	p->pools = xcalloc(c, n, sizeof(*p->pools));
	if (!p->pools)
		return;
	while ((item = fy_node_sequence_iterate(seq, &it)) && p->npools < n) {
		struct policy_pool *pl = &p->pools[p->npools];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[P__N];
		char what[128];
		char rid[MAX_ID + 8];

		p->npools++;
		if (!fields_of(c, item, at, "pool", NULL, pool_keys, P__N, kv,
			       what, sizeof(what)))
			continue;
		need(c, &kv[P_ID], "id", what, at);
		need(c, &kv[P_NAME], "name", what, at);
		need_provenance(c, &kv[P_SOURCE], &kv[P_ASSUMPTION], what, at);
		pl->id = id_of(c, &kv[P_ID], "id");
		/* A ledger account's code is program/pool/year/name/uscc:
		 * POLICY_ACCOUNT_IDS_MAX keeps it inside LEDGER_ID_MAX. */
		if (pl->id && c->p->program &&
		    strlen(pl->id) + strlen(c->p->program) >
			    POLICY_ACCOUNT_IDS_MAX)
			err_at(c, kv[P_ID].at,
			       "pool id '%s' and program id together are longer than %d bytes, too long for a ledger account",
			       yamldoc_show(pl->id, strlen(pl->id)).s,
			       POLICY_ACCOUNT_IDS_MAX);
		pl->name = text_of(c, &kv[P_NAME], "name");
		if (kv[P_ROLLOVER].present)
			bool_of(c, &kv[P_ROLLOVER], "rollover", &pl->rollover);
		if (kv[P_BUDGETS].present && kv[P_COMMITMENT].present)
			err_at(c, kv[P_COMMITMENT].at,
			       "%s has both 'budgets' and 'commitment': a pool is budgeted year by year or committed once for a span of years",
			       what);
		else if (kv[P_COMMITMENT].present)
			parse_commitment(c, pl, &kv[P_COMMITMENT],
					 pl->id ? pl->id : "?");
		else if (need(c, &kv[P_BUDGETS], "budgets", what, at))
			parse_budgets(c, pl, &kv[P_BUDGETS], what);
		snprintf(rid, sizeof(rid), "pool.%s", pl->id ? pl->id : "?");
		pl->rule =
			add_rule(c, RULE_POOL, UINT32_MAX, at, rid, NULL,
				 source_of(c, &kv[P_SOURCE]),
				 text_of(c, &kv[P_ASSUMPTION], "assumption"));
		zh_attach(c, pl->rule, &no_kv, &kv[P_ASSUMPTION],
			  &kv[P_SOURCE]);
		for (size_t j = 0; pl->id && j + 1 < p->npools; j++)
			if (p->pools[j].id && !strcmp(p->pools[j].id, pl->id))
				err_at(c, kv[P_ID].at,
				       "duplicate pool id '%s' (first at line %d)",
				       pl->id, p->rules[p->pools[j].rule].line);
	}
}

/* --- expressions ------------------------------------------------------ */

/* The indentation of line `line` (1-based) of the file. */
static int line_indent(const struct ctx *c, int line)
{
	size_t i = 0;
	int n = 0;

	for (int l = 1; l < line && i < c->len; i++)
		if (c->buf[i] == '\n')
			l++;
	while (i < c->len && c->buf[i] == ' ') {
		i++;
		n++;
	}
	return n;
}

/* The place of byte off of an expression's text. libfyaml marks a plain or
 * quoted scalar at its first character, a block scalar at the start of its
 * first content line. Lines of a literal block map one to one; escapes in
 * quoted text and line folding make the column only close. */
static struct loc expr_loc(const struct ctx *c, const struct kv *f,
			   const char *s, size_t off)
{
	struct loc l = f->at;
	enum fy_node_style st = fy_node_get_style(f->v);
	bool block = st == FYNS_LITERAL || st == FYNS_FOLDED;
	size_t nl = 0, last = 0;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n') {
			nl++;
			last = i + 1;
		}
	if (nl || block) {
		if (nl > (size_t)(INT_MAX / 2) || off - last > INT_MAX / 2)
			return l;
		/* The block's indentation is that of its first line. */
		l.col = 1 + line_indent(c, l.line) + (int)(off - last);
		l.line += (int)nl;
		return l;
	}
	if (off < (size_t)(INT_MAX / 2 - l.col))
		l.col += (int)off;
	return l;
}

/* Compile the expression of a key; an error points into the scalar. */
static struct expr *expr_of(struct ctx *c, const struct kv *f, const char *key,
			    enum qtype want)
{
	struct expr_error e;
	struct expr *x = NULL;
	size_t len;
	const char *s;

	if (!f->present)
		return NULL;
	s = scalar_of(c, f, key, &len);
	if (!s)
		return NULL;
	if (len == 0) {
		err_at(c, f->at, "'%s' is empty", key);
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	if (expr_compile(s, len, &c->env, want, &x, &e)) {
		e.msg[sizeof(e.msg) - 1] = '\0';
		err_at(c, expr_loc(c, f, s, e.offset > len ? len : e.offset),
		       "%s", e.msg[0] ? e.msg : "invalid expression");
		return NULL;
	}
	if (want != QT_NONE && expr_type(x) != want) {
		err_at(c, f->at, "'%s' must be a %s expression, not %s", key,
		       qtype_name(want), qtype_name(expr_type(x)));
		expr_free(x);
		return NULL;
	}
	c->p->string_fields |= expr_string_fields(x);
	c->p->fields_read |= expr_fields(x);
	return x;
}

/* --- measures --------------------------------------------------------- */

enum {
	M_ID,
	M_NAME,
	M_POOL,
	M_KINDS,
	M_ALLOCATION,
	M_WINDOW,
	M_BASE,
	M_SECOND,
	M_CLAWBACK,
	M_GRANT,
	M_ELIGIBILITY,
	M_RATES,
	M_CAPS,
	M_SOURCE,
	M_ASSUMPTION,
	M_RESERVATION_DAYS,
	M_SUBSIDISED_MONTHS,
	M_FUNDERS,
	M_SCREENS,
	M_FROM,
	M_UNTIL,
	M_PRIORITY,
	M_PUBLIC_NOTICE,
	M_EVIDENCE,
	M_WAITLIST,
	M__N
};
static const char *const measure_keys[M__N] = {"id",
					       "name",
					       "pool",
					       "kinds",
					       "allocation",
					       "window",
					       "base",
					       "second_approver_above",
					       "clawback",
					       "grant",
					       "eligibility",
					       "rates",
					       "caps",
					       "source",
					       "assumption",
					       "reservation_days",
					       "subsidised_months",
					       "funders",
					       "screens",
					       "from",
					       "until",
					       "priority",
					       "public_notice",
					       "evidence",
					       "waitlist"};

enum { R_ID, R_WHEN, R_RATE, R_SAYS, R_SOURCE, R_ASSUMPTION, R__N };
static const char *const row_keys[R__N] = {"id",   "when",   "rate",
					   "says", "source", "assumption"};

enum { E_ID, E_WHEN, E_SAYS, E_SOURCE, E_ASSUMPTION, E__N };
static const char *const cond_keys[E__N] = {"id", "when", "says", "source",
					    "assumption"};

enum {
	C_ID,
	C_PER,
	C_WHEN,
	C_LIMIT,
	C_SAYS,
	C_SOURCE,
	C_ASSUMPTION,
	C_RELAXED,
	C_HARD_LIMIT,
	C_LEVELS,
	C__N
};
static const char *const cap_keys[C__N] = {
	"id",	  "per",	"when",	   "limit",	 "says",
	"source", "assumption", "relaxed", "hard_limit", "levels"};

enum {
	FU_ID,
	FU_NAME,
	FU_SHARE,
	FU_SAYS,
	FU_SOURCE,
	FU_ASSUMPTION,
	FU_EXTERNAL,
	FU__N
};
static const char *const funder_keys[FU__N] = {
	"id", "name", "share", "says", "source", "assumption", "external"};

enum { X_WHEN, X_LIMIT, X_SAYS, X_SOURCE, X_ASSUMPTION, X__N };
static const char *const relaxed_keys[X__N] = {"when", "limit", "says",
					       "source", "assumption"};

enum { W_OPENS, W_CLOSES, W__N };
static const char *const window_keys[W__N] = {"opens", "closes"};

enum { T_HIT, T_ROWS, T_FIXED, T__N };
static const char *const rates_keys[T__N] = {"hit", "rows", "fixed"};

enum { G_MIN, G_MAX, G__N };
static const char *const grant_keys[G__N] = {"years_min", "years_max"};

/* What one measure's parts share while they are read. */
struct mctx {
	struct policy_measure *m;
	uint32_t index;
	const char *mid; /* the measure's id, "?" when it has none */
	const struct kv *source, *assumption; /* the measure's own */
};

static int find_pool(const struct policy *p, const char *s, size_t len)
{
	for (size_t i = 0; i < p->npools; i++)
		if (p->pools[i].id && yamldoc_text_eq(s, len, p->pools[i].id))
			return (int)i;
	return -1;
}

enum { K_KIND, K_FROM, K_UNTIL, K_SAYS, K_SOURCE, K_ASSUMPTION, K__N };
static const char *const kind_keys[K__N] = {"kind", "from",   "until",
					    "says", "source", "assumption"};

static void check_reach_date(struct ctx *c, qdate d, struct loc at,
			     const char *what);
static void check_reach(struct ctx *c, const struct expr *x, struct loc at,
			const char *what);
static bool rule_id(char *buf, size_t sz, const char *mid, const char *part,
		    const char *id, const char *suffix);

/* `from:` and `until:` of a measure or a kind: dates the contract must be
 * signed within, inclusive; true when both read (absent ones stay open). */
static bool dates_of(struct ctx *c, const struct kv *from,
		     const struct kv *until, qdate *lo, qdate *hi)
{
	bool ok = true;

	if (from->present && date_of(c, from, "from", lo))
		ok = false;
	if (until->present && date_of(c, until, "until", hi))
		ok = false;
	if (ok && *lo > *hi) {
		err_at(c, until->at, "'until' is before 'from'");
		ok = false;
	}
	if (ok && from->present)
		check_reach_date(c, *lo, from->at, "'from'");
	if (ok && until->present)
		check_reach_date(c, *hi, until->at, "'until'");
	return ok;
}

/* A kind listed as a mapping: {kind: api, from: 2025-06-13, source: ...}.
 * Its rule "<measure>.kind.<kind>" fails a contract of that kind signed
 * outside its dates. Returns the kind, or -1. */
static int parse_dated_kind(struct ctx *c, struct mctx *mc,
			    struct fy_node *item, struct loc at)
{
	struct policy_measure *m = mc->m;
	struct kv kv[K__N];
	char what[128], rid[3 * MAX_ID];
	size_t len;
	const char *s;
	int k;

	if (!fields_of(c, item, at, "kind entry", NULL, kind_keys, K__N, kv,
		       what, sizeof(what)))
		return -1;
	snprintf(what, sizeof(what), "a dated kind of measure '%s'", mc->mid);
	if (!need(c, &kv[K_KIND], "kind", what, at))
		return -1;
	if (!kv[K_FROM].present && !kv[K_UNTIL].present)
		err_at(c, at, "%s needs 'from', 'until' or both", what);
	need_provenance(c, &kv[K_SOURCE], &kv[K_ASSUMPTION], what, at);
	s = scalar_of(c, &kv[K_KIND], "kind", &len);
	k = s ? kind_lookup(s, len) : -1;
	if (s && k < 0)
		err_at(c, kv[K_KIND].at,
		       "unknown kind '%s': use rent, buy, build, api, private-deployment, corpus or grant",
		       yamldoc_show(s, len).s);
	if (k < 0)
		return -1;
	dates_of(c, &kv[K_FROM], &kv[K_UNTIL], &m->kind_from[k],
		 &m->kind_until[k]);
	rule_id(rid, sizeof(rid), mc->mid, "kind", kind_name(k), "");
	m->kind_rules[k] = add_rule(
		c, RULE_KIND_DATES, mc->index, at, rid,
		text_of(c, &kv[K_SAYS], "says"), source_of(c, &kv[K_SOURCE]),
		text_of(c, &kv[K_ASSUMPTION], "assumption"));
	zh_attach(c, m->kind_rules[k], &kv[K_SAYS], &kv[K_ASSUMPTION],
		  &kv[K_SOURCE]);
	return k;
}

static void parse_kinds(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (!seq_of(c, f, "kinds", 64, &n))
		return;
	if (n == 0) {
		err_at(c, f->at, "'kinds' must list at least one kind");
		return;
	}
	while ((item = fy_node_sequence_iterate(f->v, &it))) {
		struct loc at = yamldoc_loc(item, f->at);
		size_t len = 0;
		const char *s = "";
		int k;

		if (yamldoc_is_map(item)) {
			k = parse_dated_kind(c, mc, item, at);
		} else {
			s = node_text(c, item, at, "kinds", &len);
			if (!s)
				continue;
			k = kind_lookup(s, len);
			if (k < 0 || k >= KIND__COUNT)
				err_at(c, at,
				       "unknown kind '%s': use rent, buy, build, api, private-deployment, corpus or grant",
				       yamldoc_show(s, len).s);
		}
		if (k < 0 || k >= KIND__COUNT)
			continue;
		if (mc->m->kinds & (1u << k))
			err_at(c, at, "kind '%s' is listed twice",
			       kind_name(k));
		mc->m->kinds |= 1u << k;
	}
}

static void parse_window(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct policy_measure *m = mc->m;
	struct kv kv[W__N];
	char what[160];
	char label[MAX_ID + 16];
	int64_t *dst[W__N] = {&m->window_opens, &m->window_closes};
	bool ok = true;

	snprintf(label, sizeof(label), "%s", mc->mid);
	if (!fields_of(c, f->v, f->at, "window of measure", label, window_keys,
		       W__N, kv, what, sizeof(what)))
		return;
	if (!kv[W_OPENS].present && !kv[W_CLOSES].present)
		err_at(c, f->at, "%s needs 'opens', 'closes' or both", what);
	for (int i = 0; i < W__N; i++) {
		size_t len;
		const char *s;
		struct qerr e;

		if (!kv[i].present)
			continue;
		s = scalar_of(c, &kv[i], window_keys[i], &len);
		if (!s) {
			ok = false;
			continue;
		}
		if (datetime_parse(s, len, dst[i], NULL, window_keys[i], &e)) {
			err_at(c, kv[i].at, "%s", e.msg);
			ok = false;
		}
	}
	if (ok && m->window_opens > m->window_closes)
		err_at(c, kv[W_CLOSES].at, "the window closes before it opens");
	if (ok && kv[W_OPENS].present)
		check_reach_date(c, date_of_instant(m->window_opens),
				 kv[W_OPENS].at, "the window");
	else if (ok && kv[W_CLOSES].present)
		check_reach_date(c, date_of_instant(m->window_closes),
				 kv[W_CLOSES].at, "the window");
}

static void parse_grant(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct policy_measure *m = mc->m;
	struct kv kv[G__N];
	char what[160];

	if (!fields_of(c, f->v, f->at, "grant of measure", mc->mid, grant_keys,
		       G__N, kv, what, sizeof(what)))
		return;
	if (need(c, &kv[G_MIN], "years_min", what, f->at))
		int_of(c, &kv[G_MIN], "years_min", 1, GRANT_MAX_YEARS,
		       &m->grant_years_min);
	if (need(c, &kv[G_MAX], "years_max", what, f->at))
		int_of(c, &kv[G_MAX], "years_max", 1, GRANT_MAX_YEARS,
		       &m->grant_years_max);
	if (m->grant_years_min && m->grant_years_max &&
	    m->grant_years_min > m->grant_years_max)
		err_at(c, kv[G_MAX].at,
		       "'years_max' (%d) is below 'years_min' (%d)",
		       m->grant_years_max, m->grant_years_min);
}

enum { PR_HOLDERS_OF, PR_SAYS, PR_SOURCE, PR_ASSUMPTION, PR__N };
static const char *const priority_keys[PR__N] = {"holders_of", "says", "source",
						 "assumption"};

/* `priority: {holders_of: PROGRAM, says, source|assumption}`: applicants
 * that hold an award of another program of the office come first in the
 * review queue. A rule "<measure>.priority" carries its words. */
static void parse_priority(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct policy_measure *m = mc->m;
	struct kv kv[PR__N];
	char what[160];
	char rid[2 * MAX_ID];

	if (!fields_of(c, f->v, f->at, "priority of measure", mc->mid,
		       priority_keys, PR__N, kv, what, sizeof(what)))
		return;
	need(c, &kv[PR_SAYS], "says", what, f->at);
	need_provenance(c, &kv[PR_SOURCE], &kv[PR_ASSUMPTION], what, f->at);
	if (need(c, &kv[PR_HOLDERS_OF], "holders_of", what, f->at))
		m->priority_of = id_of(c, &kv[PR_HOLDERS_OF], "holders_of");
	if (m->priority_of && c->p->program &&
	    !strcmp(m->priority_of, c->p->program))
		err_at(c, kv[PR_HOLDERS_OF].at,
		       "'holders_of' names this program itself: name the other program whose award gives priority");
	snprintf(rid, sizeof(rid), "%s.priority", mc->mid);
	m->priority_rule = add_rule(
		c, RULE_PRIORITY, mc->index, f->at, rid,
		text_of(c, &kv[PR_SAYS], "says"), source_of(c, &kv[PR_SOURCE]),
		text_of(c, &kv[PR_ASSUMPTION], "assumption"));
	zh_attach(c, m->priority_rule, &kv[PR_SAYS], &kv[PR_ASSUMPTION],
		  &kv[PR_SOURCE]);
}

enum { PN_WORKING_DAYS, PN_SAYS, PN_SOURCE, PN_ASSUMPTION, PN__N };
static const char *const public_notice_keys[PN__N] = {"working_days", "says",
						      "source", "assumption"};

/* `public_notice:` the awards are posted for this many working days
 * before any is paid (公示), on a measure (mid, measure index) or on the
 * whole program (mid NULL, index UINT32_MAX); the rule
 * "<measure>.public-notice" or "public-notice" carries its words and
 * source. */
static void parse_notice(struct ctx *c, const char *mid, uint32_t index,
			 const struct kv *f, int *days, uint32_t *rule)
{
	struct kv kv[PN__N];
	char what[160];
	char rid[2 * MAX_ID];

	if (!fields_of(c, f->v, f->at,
		       mid ? "public notice of measure" : "public notice of",
		       mid ? mid : "the program", public_notice_keys, PN__N, kv,
		       what, sizeof(what)))
		return;
	need(c, &kv[PN_SAYS], "says", what, f->at);
	need_provenance(c, &kv[PN_SOURCE], &kv[PN_ASSUMPTION], what, f->at);
	if (need(c, &kv[PN_WORKING_DAYS], "working_days", what, f->at))
		int_of(c, &kv[PN_WORKING_DAYS], "working_days", 1,
		       POLICY_NOTICE_DAYS_MAX, days);
	if (mid)
		snprintf(rid, sizeof(rid), "%s.public-notice", mid);
	else
		snprintf(rid, sizeof(rid), "public-notice");
	*rule = add_rule(c, RULE_PUBLIC_NOTICE, index, f->at, rid,
			 text_of(c, &kv[PN_SAYS], "says"),
			 source_of(c, &kv[PN_SOURCE]),
			 text_of(c, &kv[PN_ASSUMPTION], "assumption"));
	zh_attach(c, *rule, &kv[PN_SAYS], &kv[PN_ASSUMPTION], &kv[PN_SOURCE]);
}

enum { EV_APPROVE, EV_PAY, EV__N };
static const char *const evidence_keys[EV__N] = {"approve", "pay"};

/* One list of `evidence:` (approve or pay): kinds of document, into *mask
 * (bit doc_kind). */
static void parse_evidence_kinds(struct ctx *c, const struct kv *f,
				 const char *key, unsigned *mask)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (!seq_of(c, f, key, POLICY_DOC_KINDS, &n))
		return;
	while ((item = fy_node_sequence_iterate(f->v, &it))) {
		struct loc at = yamldoc_loc(item, f->at);
		size_t len = 0;
		const char *s = node_text(c, item, at, key, &len);
		int k;

		if (!s)
			continue;
		k = policy_doc_kind_parse(s, len);
		if (k < 0) {
			err_at(c, at,
			       "unknown kind of document '%s': use contract, invoice, receipt or acceptance",
			       yamldoc_show(s, len).s);
			continue;
		}
		if (*mask & (1u << k))
			err_at(c, at, "kind of document '%s' is listed twice",
			       policy_doc_kind_name(k));
		*mask |= 1u << k;
	}
}

/* `evidence: { approve: [contract, invoice], pay: [receipt] }`: the kinds
 * of document an application must hold before it is approved, and a
 * tranche before it is paid. */
static void parse_evidence(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct kv kv[EV__N];
	char what[160];

	if (!fields_of(c, f->v, f->at, "evidence of measure", mc->mid,
		       evidence_keys, EV__N, kv, what, sizeof(what)))
		return;
	if (!kv[EV_APPROVE].present && !kv[EV_PAY].present)
		err_at(c, f->at,
		       "%s lists nothing: give 'approve', 'pay' or both", what);
	parse_evidence_kinds(c, &kv[EV_APPROVE], "approve",
			     &mc->m->evidence_approve);
	parse_evidence_kinds(c, &kv[EV_PAY], "pay", &mc->m->evidence_pay);
}

/* The index of a rule with this id among a measure's rules so far, for
 * duplicate ids; first is the index of the measure's first rule. */
static int earlier_rule(const struct policy *p, size_t first, size_t last,
			const char *id)
{
	for (size_t i = first; i < last; i++)
		if (p->rules[i].id && !strcmp(p->rules[i].id, id))
			return (int)i;
	return -1;
}

/* Build "<measure>.<part>.<id>" into buf; false when id is missing. */
static bool rule_id(char *buf, size_t sz, const char *mid, const char *part,
		    const char *id, const char *suffix)
{
	snprintf(buf, sz, "%s.%s.%s%s", mid, part, id ? id : "?", suffix);
	return id != NULL;
}

/* `funders:` the parties that share the measure's amount by weight
 * (province : city = 1 : 1 is two funders of share 1). At least two; each
 * a rule "<measure>.funder.<id>" with its source. */
static void parse_funders(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct policy *p = c->p;
	struct policy_measure *m = mc->m;
	struct fy_node *item;
	void *it = NULL;
	size_t n;
	size_t first = p->nrules;

	if (!seq_of(c, f, "funders", MAX_FUNDERS, &n))
		return;
	if (n < 2) {
		err_at(c, f->at,
		       "'funders' must list at least two funders (one funder is the program itself)");
		return;
	}
	m->funders = xcalloc(c, n, sizeof(*m->funders));
	if (!m->funders)
		return;
	while ((item = fy_node_sequence_iterate(f->v, &it)) &&
	       m->nfunders < n) {
		struct policy_funder *fu = &m->funders[m->nfunders];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[FU__N];
		char what[128];
		char rid[3 * MAX_ID];
		int weight = 0;
		int dup;

		if (!fields_of(c, item, at, "funder", NULL, funder_keys, FU__N,
			       kv, what, sizeof(what)))
			continue;
		need(c, &kv[FU_ID], "id", what, at);
		need(c, &kv[FU_NAME], "name", what, at);
		need_provenance(c, &kv[FU_SOURCE], &kv[FU_ASSUMPTION], what,
				at);
		fu->id = id_of(c, &kv[FU_ID], "id");
		fu->name = text_of(c, &kv[FU_NAME], "name");
		if (need(c, &kv[FU_SHARE], "share", what, at) &&
		    !int_of(c, &kv[FU_SHARE], "share", 1, MAX_FUNDER_WEIGHT,
			    &weight))
			fu->weight = weight;
		if (kv[FU_EXTERNAL].present)
			bool_of(c, &kv[FU_EXTERNAL], "external", &fu->external);
		rule_id(rid, sizeof(rid), mc->mid, "funder", fu->id, "");
		dup = fu->id ? earlier_rule(p, first, p->nrules, rid) : -1;
		if (dup >= 0)
			err_at(c, kv[FU_ID].at,
			       "duplicate funder id '%s' (first at line %d)",
			       fu->id, p->rules[dup].line);
		fu->rule =
			add_rule(c, RULE_FUNDER, mc->index, at, rid,
				 text_of(c, &kv[FU_SAYS], "says"),
				 source_of(c, &kv[FU_SOURCE]),
				 text_of(c, &kv[FU_ASSUMPTION], "assumption"));
		zh_attach(c, fu->rule, &kv[FU_SAYS], &kv[FU_ASSUMPTION],
			  &kv[FU_SOURCE]);
		m->nfunders++;
	}
	for (size_t i = 0; i < m->nfunders; i++)
		if (!m->funders[i].external)
			return;
	if (m->nfunders == n)
		err_at(c, f->at,
		       "every funder is external: the program's own pool must pay a share");
}

static void parse_conds(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	struct policy *p = c->p;
	struct policy_measure *m = mc->m;
	struct fy_node *item;
	void *it = NULL;
	size_t n;
	size_t first = p->nrules;

	if (!seq_of(c, f, "eligibility", MAX_CONDS, &n) || n == 0)
		return;
	m->conds = xcalloc(c, n, sizeof(*m->conds));
	if (!m->conds)
		return;
	while ((item = fy_node_sequence_iterate(f->v, &it)) && m->nconds < n) {
		struct policy_cond *cd = &m->conds[m->nconds];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[E__N];
		char what[128];
		char rid[3 * MAX_ID];
		char *id;
		int dup;

		if (!fields_of(c, item, at, "eligibility condition", NULL,
			       cond_keys, E__N, kv, what, sizeof(what)))
			continue;
		need(c, &kv[E_ID], "id", what, at);
		need(c, &kv[E_WHEN], "when", what, at);
		need_provenance(c, &kv[E_SOURCE], &kv[E_ASSUMPTION], what, at);
		id = id_of(c, &kv[E_ID], "id");
		rule_id(rid, sizeof(rid), mc->mid, "eligibility", id, "");
		dup = id ? earlier_rule(p, first, p->nrules, rid) : -1;
		if (dup >= 0)
			err_at(c, kv[E_ID].at,
			       "duplicate eligibility condition id '%s' (first at line %d)",
			       id, p->rules[dup].line);
		free(id);
		cd->when = expr_of(c, &kv[E_WHEN], "when", QT_BOOL);
		check_reach(c, cd->when, kv[E_WHEN].at, "the condition");
		cd->rule =
			add_rule(c, RULE_ELIGIBILITY, mc->index, at, rid,
				 text_of(c, &kv[E_SAYS], "says"),
				 source_of(c, &kv[E_SOURCE]),
				 text_of(c, &kv[E_ASSUMPTION], "assumption"));
		zh_attach(c, cd->rule, &kv[E_SAYS], &kv[E_ASSUMPTION],
			  &kv[E_SOURCE]);
		m->nconds++;
	}
}

/* In a `unique` table, two rows that both always match, or that have the
 * same condition, overlap whatever the application: a policy error. Other
 * overlaps depend on the facts and are caught when deciding. */
static void check_unique(struct ctx *c, struct policy_measure *m,
			 const bool *ok)
{
	const struct policy *p = c->p;

	for (size_t j = 1; j < m->nrows; j++) {
		const struct policy_row *b = &m->rows[j];
		bool tb = !b->when || expr_is_const_true(b->when);

		if (!ok[j])
			continue;
		for (size_t i = 0; i < j; i++) {
			const struct policy_row *a = &m->rows[i];
			bool ta = !a->when || expr_is_const_true(a->when);
			bool same = (ta && tb) ||
				    (a->when && b->when &&
				     !strcmp(expr_canonical(a->when),
					     expr_canonical(b->when)));
			const struct policy_rule *ra = &p->rules[a->rule];
			const struct policy_rule *rb = &p->rules[b->rule];

			if (!ok[i] || !same)
				continue;
			err_at(c, (struct loc){rb->line, rb->col},
			       "rows '%s' (line %d) and '%s' (line %d) of a unique table overlap",
			       strrchr(ra->id, '.') + 1, ra->line,
			       strrchr(rb->id, '.') + 1, rb->line);
			break;
		}
	}
}

static void parse_rates(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	static const char *const hits[] = {"first", "max", "unique"};
	struct policy *p = c->p;
	struct policy_measure *m = mc->m;
	struct kv kv[T__N];
	char what[160];
	struct fy_node *item;
	void *it = NULL;
	size_t n;
	size_t first = p->nrules;
	bool *ok;

	if (!fields_of(c, f->v, f->at, "rates of measure", mc->mid, rates_keys,
		       T__N, kv, what, sizeof(what)))
		return;
	if (kv[T_HIT].present) {
		int h = choice_of(c, &kv[T_HIT], "hit", hits, 3,
				  "first, max or unique");

		if (h >= 0)
			m->hit = (enum hit_policy)h;
	}
	if (kv[T_FIXED].present)
		bool_of(c, &kv[T_FIXED], "fixed", &m->rate_fixed);
	if (!kv[T_ROWS].present) {
		err_at(c, f->at, "measure '%s' has no rate rows", mc->mid);
		return;
	}
	if (!seq_of(c, &kv[T_ROWS], "rows", MAX_ROWS, &n))
		return;
	if (n == 0) {
		err_at(c, kv[T_ROWS].at, "measure '%s' has no rate rows",
		       mc->mid);
		return;
	}
	m->rows = xcalloc(c, n, sizeof(*m->rows));
	ok = xcalloc(c, n, sizeof(*ok));
	if (!m->rows || !ok)
		goto out;
	while ((item = fy_node_sequence_iterate(kv[T_ROWS].v, &it)) &&
	       m->nrows < n) {
		struct policy_row *r = &m->rows[m->nrows];
		struct loc at = yamldoc_loc(item, kv[T_ROWS].at);
		struct kv rk[R__N];
		char rwhat[128];
		char rid[3 * MAX_ID];
		char *id;
		int dup;
		size_t before = c->nerr;

		if (!fields_of(c, item, at, "rate row", NULL, row_keys, R__N,
			       rk, rwhat, sizeof(rwhat)))
			continue;
		need(c, &rk[R_ID], "id", rwhat, at);
		need(c, &rk[R_RATE], "rate", rwhat, at);
		need_provenance(c, &rk[R_SOURCE], &rk[R_ASSUMPTION], rwhat, at);
		id = id_of(c, &rk[R_ID], "id");
		rule_id(rid, sizeof(rid), mc->mid, "rate", id, "");
		dup = id ? earlier_rule(p, first, p->nrules, rid) : -1;
		if (dup >= 0)
			err_at(c, rk[R_ID].at,
			       "duplicate rate row id '%s' (first at line %d)",
			       id, p->rules[dup].line);
		free(id);
		r->when = expr_of(c, &rk[R_WHEN], "when", QT_BOOL);
		check_reach(c, r->when, rk[R_WHEN].at, "the rate row");
		r->rate = expr_of(c, &rk[R_RATE], "rate", QT_RATE);
		r->rule = add_rule(c, RULE_RATE_ROW, mc->index, at, rid,
				   text_of(c, &rk[R_SAYS], "says"),
				   source_of(c, &rk[R_SOURCE]),
				   text_of(c, &rk[R_ASSUMPTION], "assumption"));
		zh_attach(c, r->rule, &rk[R_SAYS], &rk[R_ASSUMPTION],
			  &rk[R_SOURCE]);
		ok[m->nrows] = c->nerr == before && !c->nomem;
		m->nrows++;
	}
	if (m->hit == HIT_UNIQUE && !c->nomem)
		check_unique(c, m, ok);
out:
	free(ok);
}

static void parse_relaxed(struct ctx *c, struct mctx *mc, struct policy_cap *cp,
			  const struct kv *f, const char *capid)
{
	struct kv kv[X__N];
	char what[160];
	char rid[3 * MAX_ID + 16];

	if (!fields_of(c, f->v, f->at, "relaxed limit of cap",
		       capid ? capid : "?", relaxed_keys, X__N, kv, what,
		       sizeof(what)))
		return;
	need(c, &kv[X_WHEN], "when", what, f->at);
	need(c, &kv[X_LIMIT], "limit", what, f->at);
	need_provenance(c, &kv[X_SOURCE], &kv[X_ASSUMPTION], what, f->at);
	cp->relaxed_when = expr_of(c, &kv[X_WHEN], "when", QT_BOOL);
	cp->relaxed_limit = expr_of(c, &kv[X_LIMIT], "limit", QT_MONEY);
	rule_id(rid, sizeof(rid), mc->mid, "cap", capid, ".relaxed");
	cp->relaxed_rule = add_rule(
		c, RULE_CAP_RELAXED, mc->index, f->at, rid,
		text_of(c, &kv[X_SAYS], "says"), source_of(c, &kv[X_SOURCE]),
		text_of(c, &kv[X_ASSUMPTION], "assumption"));
	zh_attach(c, cp->relaxed_rule, &kv[X_SAYS], &kv[X_ASSUMPTION],
		  &kv[X_SOURCE]);
}

/* `levels: [national, city]`: the levels of government whose subsidies a
 * stacked cap counts. Entries without a level always count, so the bit of
 * the unknown level (0) is always set. */
static void parse_levels(struct ctx *c, struct policy_cap *cp,
			 const struct kv *f)
{
	static const char *const names[] = {"national", "province", "city",
					    "district"};
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	cp->levels = 1u;
	if (!seq_of(c, f, "levels", 4, &n))
		return;
	if (n == 0) {
		err_at(c, f->at, "'levels' must list at least one level");
		return;
	}
	while ((item = fy_node_sequence_iterate(f->v, &it))) {
		struct loc at = yamldoc_loc(item, f->at);
		struct kv one = {item, at, true};
		int k = choice_of(c, &one, "levels", names, 4,
				  "national, province, city or district");

		if (k < 0)
			continue;
		if (cp->levels & (1u << (k + 1)))
			err_at(c, at, "level '%s' is listed twice", names[k]);
		cp->levels |= 1u << (k + 1);
	}
}

static void parse_caps(struct ctx *c, struct mctx *mc, const struct kv *f)
{
	static const char *const pers[] = {"contract", "applicant-year",
					   "stacked"};
	struct policy *p = c->p;
	struct policy_measure *m = mc->m;
	struct fy_node *item;
	void *it = NULL;
	size_t n;
	size_t first = p->nrules;

	if (!seq_of(c, f, "caps", MAX_CAPS, &n) || n == 0)
		return;
	m->caps = xcalloc(c, n, sizeof(*m->caps));
	if (!m->caps)
		return;
	while ((item = fy_node_sequence_iterate(f->v, &it)) && m->ncaps < n) {
		struct policy_cap *cp = &m->caps[m->ncaps];
		struct loc at = yamldoc_loc(item, f->at);
		struct kv kv[C__N];
		char what[128];
		char rid[3 * MAX_ID];
		char *id;
		int dup;

		if (!fields_of(c, item, at, "cap", NULL, cap_keys, C__N, kv,
			       what, sizeof(what)))
			continue;
		need(c, &kv[C_ID], "id", what, at);
		need(c, &kv[C_LIMIT], "limit", what, at);
		need_provenance(c, &kv[C_SOURCE], &kv[C_ASSUMPTION], what, at);
		if (need(c, &kv[C_PER], "per", what, at)) {
			int per = choice_of(
				c, &kv[C_PER], "per", pers, 3,
				"contract, applicant-year or stacked");

			if (per >= 0)
				cp->per = (enum cap_per)per;
		}
		id = id_of(c, &kv[C_ID], "id");
		rule_id(rid, sizeof(rid), mc->mid, "cap", id, "");
		dup = id ? earlier_rule(p, first, p->nrules, rid) : -1;
		if (dup >= 0)
			err_at(c, kv[C_ID].at,
			       "duplicate cap id '%s' (first at line %d)", id,
			       p->rules[dup].line);
		cp->when = expr_of(c, &kv[C_WHEN], "when", QT_BOOL);
		check_reach(c, cp->when, kv[C_WHEN].at, "the cap");
		cp->limit = expr_of(c, &kv[C_LIMIT], "limit", QT_MONEY);
		cp->rule =
			add_rule(c, RULE_CAP, mc->index, at, rid,
				 text_of(c, &kv[C_SAYS], "says"),
				 source_of(c, &kv[C_SOURCE]),
				 text_of(c, &kv[C_ASSUMPTION], "assumption"));
		zh_attach(c, cp->rule, &kv[C_SAYS], &kv[C_ASSUMPTION],
			  &kv[C_SOURCE]);
		if (kv[C_RELAXED].present)
			parse_relaxed(c, mc, cp, &kv[C_RELAXED], id);
		cp->hard_limit =
			expr_of(c, &kv[C_HARD_LIMIT], "hard_limit", QT_MONEY);
		cp->levels = CAP_LEVELS_ALL;
		if (kv[C_LEVELS].present) {
			if (cp->per != CAP_PER_STACKED)
				err_at(c, kv[C_LEVELS].at,
				       "'levels' is for a cap with 'per: stacked' (%s)",
				       what);
			else
				parse_levels(c, cp, &kv[C_LEVELS]);
		}
		free(id);
		m->ncaps++;
	}
}

/* A rule of the measure itself (kind, window, base): it carries the
 * measure's own source and assumption. */
static uint32_t measure_rule(struct ctx *c, struct mctx *mc,
			     enum rule_kind kind, const char *part,
			     struct loc at)
{
	char rid[2 * MAX_ID];
	char *src = NULL, *as = NULL;
	uint32_t r;

	snprintf(rid, sizeof(rid), "%s.%s", mc->mid, part);
	if (mc->source->present)
		src = source_of(c, mc->source);
	if (mc->assumption->present)
		as = text_of(c, mc->assumption, "assumption");
	r = add_rule(c, kind, mc->index, at, rid, NULL, src, as);
	zh_attach(c, r, &no_kv, mc->assumption, mc->source);
	return r;
}

static void parse_screens(struct ctx *c, const struct kv *f, const char *prefix,
			  uint32_t measure, struct policy_screen *out);

/* `waitlist: strict | fit`: whether an application of this measure may
 * be reserved ahead of others waiting for its pool when it fits what the
 * pool has left. Only first come first served measures have a waitlist. */
static void parse_waitlist(struct ctx *c, struct policy_measure *m,
			   const struct kv *f, const char *mid)
{
	static const char *const modes[] = {"strict", "fit"};
	int w;

	assert(c && m && f && f->present);
	w = choice_of(c, f, "waitlist", modes, 2, "strict or fit");
	if (w < 0)
		return;
	m->waitlist = (enum waitlist_mode)w;
	if (m->alloc != ALLOC_FCFS)
		err_at(c, f->at,
		       "'waitlist' on pro-rata measure '%s': only first-come-first-served measures have a waitlist",
		       mid);
}

static void parse_measure(struct ctx *c, struct fy_node *item, struct loc at,
			  uint32_t index, int *lines)
{
	static const char *const allocs[] = {"first-come-first-served",
					     "pro-rata"};
	static const char *const claws[] = {"pool", "treasury"};
	struct policy *p = c->p;
	struct policy_measure *m = &p->measures[index];
	struct kv kv[M__N];
	char what[128];
	struct mctx mc;
	struct expr_error ee;

	memset(&ee, 0, sizeof(ee));
	m->window_opens = INT64_MIN;
	m->window_closes = INT64_MAX;
	m->from = INT32_MIN;
	m->until = INT32_MAX;
	m->from_rule = m->until_rule = UINT32_MAX;
	for (int k = 0; k < KIND__COUNT; k++) {
		m->kind_from[k] = INT32_MIN;
		m->kind_until[k] = INT32_MAX;
		m->kind_rules[k] = UINT32_MAX;
	}
	m->second_approver_above = -1;
	m->clawback = CLAWBACK_TO_POOL;
	m->hit = HIT_FIRST;
	lines[index] = at.line;
	if (!fields_of(c, item, at, "measure", NULL, measure_keys, M__N, kv,
		       what, sizeof(what)))
		return;
	need(c, &kv[M_ID], "id", what, at);
	need(c, &kv[M_NAME], "name", what, at);
	need(c, &kv[M_POOL], "pool", what, at);
	need(c, &kv[M_KINDS], "kinds", what, at);
	need(c, &kv[M_ALLOCATION], "allocation", what, at);
	need(c, &kv[M_RATES], "rates", what, at);
	m->id = id_of(c, &kv[M_ID], "id");
	m->id_len = m->id ? strlen(m->id) : 0;
	m->name = text_of(c, &kv[M_NAME], "name");
	for (uint32_t j = 0; m->id && j < index; j++)
		if (p->measures[j].id && !strcmp(p->measures[j].id, m->id))
			err_at(c, kv[M_ID].at,
			       "duplicate measure id '%s' (first at line %d)",
			       m->id, lines[j]);
	mc.m = m;
	mc.index = index;
	mc.mid = m->id ? m->id : "?";
	mc.source = &kv[M_SOURCE];
	mc.assumption = &kv[M_ASSUMPTION];
	/* Checked once here, so that a bad one is reported once; each rule
	 * of the measure gets a copy (measure_rule). */
	if (kv[M_SOURCE].present) {
		char *s = source_of(c, &kv[M_SOURCE]);

		if (!s)
			kv[M_SOURCE].present = false;
		free(s);
	}
	if (kv[M_ASSUMPTION].present) {
		char *s = text_of(c, &kv[M_ASSUMPTION], "assumption");

		if (!s)
			kv[M_ASSUMPTION].present = false;
		free(s);
	}

	if (kv[M_POOL].present) {
		size_t len;
		const char *s = scalar_of(c, &kv[M_POOL], "pool", &len);
		int pi = s ? find_pool(p, s, len) : -1;

		if (s && pi < 0)
			err_at(c, kv[M_POOL].at, "unknown pool '%s' in %s",
			       yamldoc_show(s, len).s, what);
		m->pool = pi < 0 ? 0 : (uint32_t)pi;
	}
	if (kv[M_KINDS].present)
		parse_kinds(c, &mc, &kv[M_KINDS]);
	m->kind_rule = measure_rule(c, &mc, RULE_KIND, "kind",
				    kv[M_KINDS].present ? kv[M_KINDS].at : at);
	if (kv[M_ALLOCATION].present) {
		int a = choice_of(c, &kv[M_ALLOCATION], "allocation", allocs, 2,
				  "first-come-first-served or pro-rata");

		if (a >= 0)
			m->alloc = (enum alloc_mode)a;
	}
	if (kv[M_WINDOW].present)
		parse_window(c, &mc, &kv[M_WINDOW]);
	m->window_rule =
		measure_rule(c, &mc, RULE_WINDOW, "window",
			     kv[M_WINDOW].present ? kv[M_WINDOW].at : at);
	if ((kv[M_FROM].present || kv[M_UNTIL].present) &&
	    dates_of(c, &kv[M_FROM], &kv[M_UNTIL], &m->from, &m->until)) {
		if (kv[M_FROM].present)
			m->from_rule = measure_rule(c, &mc, RULE_FROM, "from",
						    kv[M_FROM].at);
		if (kv[M_UNTIL].present)
			m->until_rule = measure_rule(c, &mc, RULE_UNTIL,
						     "until", kv[M_UNTIL].at);
	}
	if (kv[M_ELIGIBILITY].present)
		parse_conds(c, &mc, &kv[M_ELIGIBILITY]);
	if (kv[M_BASE].present) {
		m->base = expr_of(c, &kv[M_BASE], "base", QT_MONEY);
	} else if (expr_compile("contract.value", 14, &c->env, QT_MONEY,
				&m->base, &ee)) {
		m->base = NULL;
		err_at(c, at, "cannot compile the default base: %s", ee.msg);
	} else {
		c->p->fields_read |= expr_fields(m->base);
	}
	m->base_rule = measure_rule(c, &mc, RULE_BASE, "base",
				    kv[M_BASE].present ? kv[M_BASE].at : at);
	if (kv[M_SUBSIDISED_MONTHS].present &&
	    !int_of(c, &kv[M_SUBSIDISED_MONTHS], "subsidised_months", 1,
		    MAX_SUBSIDISED_MONTHS, &m->subsidised_months))
		m->subsidised_months_rule = measure_rule(
			c, &mc, RULE_SUBSIDISED_MONTHS, "subsidised-months",
			kv[M_SUBSIDISED_MONTHS].at);
	if (kv[M_RATES].present)
		parse_rates(c, &mc, &kv[M_RATES]);
	if (kv[M_CAPS].present)
		parse_caps(c, &mc, &kv[M_CAPS]);
	if (kv[M_SECOND].present &&
	    money_of(c, &kv[M_SECOND], "second_approver_above",
		     &m->second_approver_above))
		m->second_approver_above = -1;
	if (kv[M_CLAWBACK].present) {
		int w = choice_of(c, &kv[M_CLAWBACK], "clawback", claws, 2,
				  "pool or treasury");

		if (w >= 0)
			m->clawback = (enum clawback_to)w;
	}
	if (kv[M_GRANT].present)
		parse_grant(c, &mc, &kv[M_GRANT]);
	if (kv[M_FUNDERS].present)
		parse_funders(c, &mc, &kv[M_FUNDERS]);
	if (kv[M_PRIORITY].present)
		parse_priority(c, &mc, &kv[M_PRIORITY]);
	if (kv[M_PUBLIC_NOTICE].present)
		parse_notice(c, mc.mid, mc.index, &kv[M_PUBLIC_NOTICE],
			     &m->notice_days, &m->notice_rule);
	else if (c->notice_days > 0 && m->grant_years_min == 0) {
		/* The program's notice; a grant's tranches are not posted. */
		m->notice_days = c->notice_days;
		m->notice_rule = c->notice_rule;
	}
	if (kv[M_EVIDENCE].present)
		parse_evidence(c, &mc, &kv[M_EVIDENCE]);
	/* A grant's tranches are posted by milestones, not awarded at
	 * approval: the office posts no grant in a notice, so a grant that
	 * required one could never be paid. */
	if (m->notice_days > 0 && m->grant_years_min > 0)
		err_at(c, kv[M_PUBLIC_NOTICE].at,
		       "'public_notice' on grant measure '%s': a grant's tranches follow its milestones and are not posted in a notice",
		       mc.mid);
	if (kv[M_RESERVATION_DAYS].present)
		int_of(c, &kv[M_RESERVATION_DAYS], "reservation_days", 1, 3660,
		       &m->reservation_days);
	if (kv[M_WAITLIST].present)
		parse_waitlist(c, m, &kv[M_WAITLIST], mc.mid);
	memcpy(m->screens, c->screens, sizeof(m->screens));
	parse_screens(c, &kv[M_SCREENS], mc.mid, index, m->screens);
}

static void parse_measures(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	struct fy_node *seq, *item;
	void *it = NULL;
	size_t n;
	int *lines;

	seq = seq_of(c, f, "measures", MAX_MEASURES, &n);
	if (!seq)
		return;
	if (n == 0) {
		err_at(c, f->at, "'measures' must list at least one measure");
		return;
	}
	p->measures = xcalloc(c, n, sizeof(*p->measures));
	lines = xcalloc(c, n, sizeof(*lines));
	if (!p->measures || !lines)
		goto out;
	while ((item = fy_node_sequence_iterate(seq, &it)) &&
	       p->nmeasures < n && !c->nomem) {
		uint32_t index = (uint32_t)p->nmeasures++;

		parse_measure(c, item, yamldoc_loc(item, f->at), index, lines);
	}
out:
	free(lines);
}

/* --- screens ---------------------------------------------------------- */

static const char *const screen_names[SCREEN__COUNT] = {
	[SCREEN_RELATED_PARTY] = "related-party",
	[SCREEN_DUPLICATE_CLAIM] = "duplicate-claim",
	[SCREEN_CONTRACT_SPLITTING] = "contract-splitting",
	[SCREEN_PRICE] = "price",
	[SCREEN_RESTRICTED_LIST] = "restricted-list",
	[SCREEN_COMPUTE_REGION] = "compute-region",
};

const char *screen_name(enum screen_kind k)
{
	return (unsigned)k < SCREEN__COUNT ? screen_names[k] : "?";
}

int screen_lookup(const char *s, size_t len)
{
	for (int i = 0; i < SCREEN__COUNT; i++)
		if (yamldoc_text_eq(s, len, screen_names[i]))
			return i;
	return -1;
}

static const char *const list_names[] = {"dishonest", "restricted"};

const char *screen_list_name(enum screen_list l)
{
	return (unsigned)l < 2 ? list_names[l] : "?";
}

int screen_list_lookup(const char *s, size_t len)
{
	for (int i = 0; i < 2; i++)
		if (yamldoc_text_eq(s, len, list_names[i]))
			return i;
	return -1;
}

enum {
	SC_ACTION,
	SC_SAYS,
	SC_SOURCE,
	SC_ASSUMPTION,
	SC_WINDOW_DAYS,
	SC_THRESHOLD,
	SC_JUST_UNDER,
	SC_FACTOR,
	SC_LISTS,
	SC_REGIONS,
	SC__N
};
static const char *const screen_keys[SC__N] = {
	"action",    "says",	   "source", "assumption", "window_days",
	"threshold", "just_under", "factor", "lists",	   "regions"};

/* Which parameters each screen takes: bit (1 << SC_...). */
static const uint32_t screen_params[SCREEN__COUNT] = {
	[SCREEN_RELATED_PARTY] = 0,
	[SCREEN_DUPLICATE_CLAIM] = 1u << SC_WINDOW_DAYS,
	[SCREEN_CONTRACT_SPLITTING] =
		1u << SC_WINDOW_DAYS | 1u << SC_THRESHOLD | 1u << SC_JUST_UNDER,
	[SCREEN_PRICE] = 1u << SC_FACTOR,
	[SCREEN_RESTRICTED_LIST] = 1u << SC_LISTS,
	[SCREEN_COMPUTE_REGION] = 1u << SC_REGIONS,
};

static int rate_of(struct ctx *c, const struct kv *f, const char *key,
		   rate_bp *out)
{
	size_t len;
	const char *s = scalar_of(c, f, key, &len);
	struct qerr e;

	if (!s)
		return -1;
	if (rate_parse(s, len, out, key, &e)) {
		err_at(c, f->at, "%s", e.msg);
		return -1;
	}
	return 0;
}

static void parse_screen_lists(struct ctx *c, struct policy_screen *sc,
			       const struct kv *f)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (!seq_of(c, f, "lists", 2, &n))
		return;
	if (n == 0)
		err_at(c, f->at, "'lists' must name at least one list");
	while ((item = fy_node_sequence_iterate(f->v, &it))) {
		struct loc at = yamldoc_loc(item, f->at);
		size_t len;
		const char *s = node_text(c, item, at, "lists", &len);
		int l = s ? screen_list_lookup(s, len) : -1;

		if (!s)
			continue;
		if (l < 0)
			err_at(c, at,
			       "unknown list '%s': use dishonest or restricted",
			       yamldoc_show(s, len).s);
		else if (sc->lists & (1u << l))
			err_at(c, at, "list '%s' is named twice",
			       list_names[l]);
		else
			sc->lists |= 1u << l;
	}
}

static void parse_screen_regions(struct ctx *c, struct policy_screen *sc,
				 const struct kv *f)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n;

	if (!seq_of(c, f, "regions", SCREEN_MAX_REGIONS, &n))
		return;
	if (n == 0)
		err_at(c, f->at, "'regions' must name at least one region");
	while ((item = fy_node_sequence_iterate(f->v, &it))) {
		struct loc at = yamldoc_loc(item, f->at);
		size_t len;
		const char *s = node_text(c, item, at, "regions", &len);

		if (!s)
			continue;
		if (!yamldoc_id_ok(s, len, SCREEN_REGION_MAX - 1)) {
			err_at(c, at,
			       "'%s' is not a valid region: use up to %d lowercase letters, digits and '-'",
			       yamldoc_show(s, len).s, SCREEN_REGION_MAX - 1);
			continue;
		}
		memcpy(sc->regions[sc->nregions], s, len);
		sc->regions[sc->nregions][len] = '\0';
		sc->nregions++;
	}
}

/* One screen's entry: `name: { action: ..., parameters, provenance }`. */
static void parse_screen(struct ctx *c, enum screen_kind k, struct fy_node *v,
			 struct loc at, const char *prefix, uint32_t measure,
			 struct policy_screen *sc)
{
	static const char *const actions[] = {"off", "review", "block"};
	struct kv kv[SC__N];
	char what[128];
	char rid[3 * MAX_ID];
	int a;

	memset(sc, 0, sizeof(*sc));
	if (!fields_of(c, v, at, "screen", screen_names[k], screen_keys, SC__N,
		       kv, what, sizeof(what)))
		return;
	if (!need(c, &kv[SC_ACTION], "action", what, at))
		return;
	a = choice_of(c, &kv[SC_ACTION], "action", actions, 3,
		      "block, review or off");
	if (a < 0)
		return;
	sc->action = (uint8_t)a;
	for (int i = SC_WINDOW_DAYS; i < SC__N; i++) {
		bool takes = screen_params[k] & (1u << i);

		if (kv[i].present && !takes)
			err_at(c, kv[i].at, "screen '%s' takes no '%s'",
			       screen_names[k], screen_keys[i]);
		else if (!kv[i].present && takes && a != SCREEN_OFF)
			err_at(c, at, "missing key '%s' in %s", screen_keys[i],
			       what);
	}
	if (a != SCREEN_OFF)
		need_provenance(c, &kv[SC_SOURCE], &kv[SC_ASSUMPTION], what,
				at);
	if (kv[SC_WINDOW_DAYS].present &&
	    (screen_params[k] & (1u << SC_WINDOW_DAYS)))
		int_of(c, &kv[SC_WINDOW_DAYS], "window_days",
		       k == SCREEN_DUPLICATE_CLAIM ? 0 : 1, 3660,
		       &sc->window_days);
	if (kv[SC_THRESHOLD].present && k == SCREEN_CONTRACT_SPLITTING &&
	    !money_of(c, &kv[SC_THRESHOLD], "threshold", &sc->threshold) &&
	    sc->threshold <= 0)
		err_at(c, kv[SC_THRESHOLD].at, "'threshold' must be above 0");
	if (kv[SC_JUST_UNDER].present && k == SCREEN_CONTRACT_SPLITTING &&
	    !rate_of(c, &kv[SC_JUST_UNDER], "just_under", &sc->just_under) &&
	    (sc->just_under <= 0 || sc->just_under >= RATE_BP_ONE))
		err_at(c, kv[SC_JUST_UNDER].at,
		       "'just_under' must be above 0%% and below 100%%");
	if (kv[SC_FACTOR].present && k == SCREEN_PRICE &&
	    !rate_of(c, &kv[SC_FACTOR], "factor", &sc->factor) &&
	    sc->factor < RATE_BP_ONE)
		err_at(c, kv[SC_FACTOR].at,
		       "'factor' must be at least 100%% of the reference price");
	if (kv[SC_LISTS].present && k == SCREEN_RESTRICTED_LIST)
		parse_screen_lists(c, sc, &kv[SC_LISTS]);
	if (kv[SC_REGIONS].present && k == SCREEN_COMPUTE_REGION)
		parse_screen_regions(c, sc, &kv[SC_REGIONS]);
	snprintf(rid, sizeof(rid), "%s%sscreen.%s", prefix ? prefix : "",
		 prefix ? "." : "", screen_names[k]);
	sc->rule = add_rule(c, RULE_SCREEN, measure, at, rid,
			    text_of(c, &kv[SC_SAYS], "says"),
			    source_of(c, &kv[SC_SOURCE]),
			    text_of(c, &kv[SC_ASSUMPTION], "assumption"));
	zh_attach(c, sc->rule, &kv[SC_SAYS], &kv[SC_ASSUMPTION],
		  &kv[SC_SOURCE]);
}

/* A `screens:` mapping, program-wide (prefix NULL) or a measure's own:
 * each entry replaces the one of the same screen in out[]. */
static void parse_screens(struct ctx *c, const struct kv *f, const char *prefix,
			  uint32_t measure, struct policy_screen *out)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	uint32_t seen = 0;

	if (!f->present)
		return;
	if (!yamldoc_is_map(f->v)) {
		err_at(c, f->at,
		       "'screens' must be a mapping of screen names to settings");
		return;
	}
	while ((pr = fy_node_mapping_iterate(f->v, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		struct fy_node *v = fy_node_pair_value(pr);
		struct loc kl = yamldoc_loc(k, f->at);
		const char *s = NULL;
		size_t len = 0;
		int sk;

		if (k && !fy_node_is_alias(k) &&
		    fy_node_get_type(k) == FYNT_SCALAR)
			s = fy_node_get_scalar(k, &len);
		if (!s) {
			err_at(c, kl, "keys of 'screens' must be plain text");
			continue;
		}
		sk = screen_lookup(s, len);
		if (sk < 0) {
			err_at(c, kl,
			       "unknown screen '%s': use related-party, duplicate-claim, contract-splitting, price, restricted-list or compute-region",
			       yamldoc_show(s, len).s);
			continue;
		}
		if (seen & (1u << sk)) {
			err_at(c, kl, "duplicate screen '%s'",
			       screen_names[sk]);
			continue;
		}
		seen |= 1u << sk;
		parse_screen(c, (enum screen_kind)sk, v, kl, prefix, measure,
			     &out[sk]);
	}
}

/* --- the whole file --------------------------------------------------- */

enum {
	TOP_PROGRAM,
	TOP_NAME,
	TOP_ISSUER,
	TOP_CURRENCY,
	TOP_SOURCES,
	TOP_PARAMETERS,
	TOP_POOLS,
	TOP_MEASURES,
	TOP_SCREENS,
	TOP_NUMBER_PREFIX,
	TOP_PUBLISHED_IN,
	TOP_RETROACTIVE_TO,
	TOP_LISTS,
	TOP_PUBLIC_NOTICE,
	TOP__N
};
static const char *const top_keys[TOP__N] = {
	"program", "name",	    "issuer",	    "currency",
	"sources", "parameters",    "pools",	    "measures",
	"screens", "number_prefix", "published_in", "retroactive_to",
	"lists",   "public_notice"};

/* The prefix of the office's application numbers ("SH" in SH-2025-000123):
 * as the policy sets it, or the program id's leading letters in capitals
 * ("prop-2025": PROP), cut to POLICY_PREFIX_MAX. */
static void parse_number_prefix(struct ctx *c, const struct kv *f)
{
	struct policy *p = c->p;
	size_t len = 0, n = 0;
	const char *s;

	if (!f->present) {
		for (const char *q = p->program;
		     q && *q >= 'a' && *q <= 'z' && n < POLICY_PREFIX_MAX; q++)
			p->number_prefix[n++] = (char)(*q - 'a' + 'A');
		if (n == 0)
			memcpy(p->number_prefix, "APP", n = 3);
		p->number_prefix[n] = '\0';
		return;
	}
	s = scalar_of(c, f, "number_prefix", &len);
	if (!s)
		return;
	bool ok = len >= 1 && len <= POLICY_PREFIX_MAX && s[0] >= 'A' &&
		  s[0] <= 'Z';

	for (size_t i = 0; ok && i < len; i++)
		ok = (s[i] >= 'A' && s[i] <= 'Z') ||
		     (s[i] >= '0' && s[i] <= '9');
	if (!ok) {
		err_at(c, f->at,
		       "number_prefix '%s' is not valid: use 1 to %d capital letters and digits, a letter first",
		       yamldoc_show(s, len).s, POLICY_PREFIX_MAX);
		return;
	}
	memcpy(p->number_prefix, s, len);
	p->number_prefix[len] = '\0';
}

static void parse_policy(struct ctx *c, struct fy_node *root)
{
	struct policy *p = c->p;
	struct loc at = yamldoc_loc(root, (struct loc){1, 1});
	struct kv kv[TOP__N];
	char what[64];

	if (!fields_of(c, root, at, "the policy", NULL, top_keys, TOP__N, kv,
		       what, sizeof(what)))
		return;
	for (int i = 0; i < TOP__N; i++)
		if (i < TOP_PARAMETERS || i == TOP_POOLS || i == TOP_MEASURES)
			need(c, &kv[i], top_keys[i], what, at);
	p->program = id_of(c, &kv[TOP_PROGRAM], "program");
	p->name = text_of(c, &kv[TOP_NAME], "name");
	p->issuer = text_of(c, &kv[TOP_ISSUER], "issuer");
	p->currency = text_of(c, &kv[TOP_CURRENCY], "currency");
	parse_number_prefix(c, &kv[TOP_NUMBER_PREFIX]);
	if (p->currency && strcmp(p->currency, "CNY"))
		err_at(c, kv[TOP_CURRENCY].at,
		       "currency '%s' is not supported: only CNY",
		       yamldoc_show(p->currency, strlen(p->currency)).s);
	parse_sources(c, &kv[TOP_SOURCES]);
	parse_published(c, &kv[TOP_PUBLISHED_IN], &kv[TOP_RETROACTIVE_TO]);
	parse_lists(c, &kv[TOP_LISTS]);
	parse_params(c, &kv[TOP_PARAMETERS]);
	if (c->nomem)
		return;
	parse_pools(c, &kv[TOP_POOLS]);
	if (c->nomem)
		return;
	parse_screens(c, &kv[TOP_SCREENS], NULL, UINT32_MAX, c->screens);
	if (c->nomem)
		return;
	if (kv[TOP_PUBLIC_NOTICE].present)
		parse_notice(c, NULL, UINT32_MAX, &kv[TOP_PUBLIC_NOTICE],
			     &c->notice_days, &c->notice_rule);
	parse_measures(c, &kv[TOP_MEASURES]);
}

/* Sort the diagnostics this load added by place, keeping the order of
 * those at one place, so a file reads top to bottom. */
static void sort_diags(struct diag_list *d, size_t from)
{
	for (size_t i = from + 1; i < d->n; i++) {
		struct diag t = d->items[i];
		size_t j = i;

		while (j > from && (d->items[j - 1].line > t.line ||
				    (d->items[j - 1].line == t.line &&
				     d->items[j - 1].col > t.col))) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = t;
	}
}

static int hash_buf(const char *buf, size_t len, char out[POLICY_HASH_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return -1;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < mdlen; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[7 + 2 * mdlen] = '\0';
	return 0;
}

/* Fuse each measure's conditions into the one program decide runs. */
static void fuse_conditions(struct ctx *c)
{
	for (size_t i = 0; i < c->p->nmeasures && !c->nomem; i++) {
		struct policy_measure *m = &c->p->measures[i];
		const struct expr *xs[EXPR_MAX_FUSED];

		if (m->nconds == 0)
			continue;
		if (m->nconds > EXPR_MAX_FUSED) {
			err_at(c, (struct loc){0, 0},
			       "measure '%s' has more than %d conditions",
			       m->id, EXPR_MAX_FUSED);
			return;
		}
		for (size_t k = 0; k < m->nconds; k++)
			xs[k] = m->conds[k].when;
		if (expr_fuse(xs, m->nconds, &m->fused))
			c->nomem = true;
	}
}

/* The index slot of an id (policy.measure_index) from its words. */
static inline size_t id_slot(uint64_t head, uint64_t tail, size_t len)
{
	return (size_t)(id_mix(head, tail, len) >> 57) % POLICY_MEASURE_SLOTS;
}

/* The most trace entries and reasons a decision under m can write, as
 * decide_facts writes them: kind, its dates, from, until, window, the
 * conditions, base, subsidised months, each row, a cap's relaxed,
 * applied and soft-cap entries, the funders' shares. */
static size_t plan_max_trace(const struct policy_measure *m)
{
	return 5 + m->nconds + 2 + m->nrows + 3 * m->ncaps + m->nfunders;
}

/* The offset in struct facts of number field `field`. */
static uint32_t plan_field_off(int field)
{
	assert(field >= 0 && field < F__COUNT);
	return (uint32_t)(offsetof(struct facts, i) +
			  sizeof(int64_t) * (size_t)field);
}

/* The outcomes (1 less, 2 equal, 4 greater) each comparison passes, in
 * the order of expr_form_info.cmp; a bool field (cmp -1) passes when it
 * is not 0. */
static uint8_t plan_pass(int cmp)
{
	static const uint8_t passes[6] = {2, 5, 1, 3, 4, 6};

	assert(cmp >= -1 && cmp < 6);
	return cmp < 0 ? 5 : passes[cmp];
}

/* The tests of a planned condition (policy_plan_cond.test and its
 * second test), when its form has them. */
static void plan_test(struct policy_plan_cond *pc,
		      const struct expr_form_info *fi)
{
	pc->test = false;
	pc->or_form = false;
	pc->join2 = false;
	pc->join_or = false;
	pc->shift = 0;
	pc->need = 0;
	/* A condition without a test still reads 8 bytes that every caller
	 * sets; its form decides it. */
	pc->off = (uint32_t)offsetof(struct facts, null_mask);
	pc->bits = ~0ull;
	switch ((enum expr_form)pc->form) {
	case EXPR_FORM_FIELD: /* a bool field: true when not 0 */
		pc->test = true;
		pc->off = plan_field_off(pc->field);
		pc->imm = 0;
		pc->pass = plan_pass(-1);
		break;
	case EXPR_FORM_CMP:
		pc->test = true;
		pc->off = plan_field_off(pc->field);
		pc->pass = plan_pass(pc->cmp);
		break;
	case EXPR_FORM_STR:
		/* A literal longer than a key needs its tail compared. */
		if (pc->longer || pc->slot < 0)
			break;
		pc->test = true;
		pc->off = (uint32_t)(offsetof(struct facts, skey) +
				     sizeof(uint64_t) * (size_t)pc->slot);
		pc->need = (uint16_t)(1u << pc->slot);
		pc->imm = (int64_t)pc->key;
		pc->pass = pc->cmp ? 5 : 2;
		break;
	case EXPR_FORM_NULL_OR:
		pc->test = true;
		pc->or_form = true;
		pc->off = (uint32_t)offsetof(struct facts, null_mask);
		pc->shift = (uint8_t)pc->field;
		pc->bits = 1;
		pc->imm = 0;
		pc->pass = 4; /* the bit is set: null */
		break;
	case EXPR_FORM_JOIN2:
		pc->test = true;
		pc->join2 = true;
		pc->join_or = fi->join_or;
		pc->off = plan_field_off(fi->side[0].field);
		pc->imm = fi->side[0].imm;
		pc->pass = plan_pass(fi->side[0].cmp);
		pc->off2 = plan_field_off(fi->side[1].field);
		pc->imm2 = fi->side[1].imm;
		pc->pass2 = plan_pass(fi->side[1].cmp);
		break;
	default:
		break;
	}
}

/* Plan one measure for decide_facts (policy_measure.plan_*): the forms
 * of its conditions, base, rate and caps. Returns -1 out of memory. */
static int plan_measure(struct policy_measure *m)
{
	struct expr_form_info fi;

	m->plan_fast = plan_max_trace(m) <= POLICY_PLAN_MAX_TRACE &&
		       m->nconds + 5 <= POLICY_PLAN_MAX_REASONS;
	m->plan_yearly_caps = false;
	m->plan_untested = m->plan_or_forms = 0;
	m->plan_all = m->nconds >= 64 ? ~0ull : (1ull << m->nconds) - 1;
	m->plan_funder_total = 0;
	for (size_t i = 0; i < m->nfunders; i++) {
		if (m->funders[i].weight <= 0 ||
		    __builtin_add_overflow(m->plan_funder_total,
					   (int64_t)m->funders[i].weight,
					   &m->plan_funder_total)) {
			m->plan_funder_total = 0;
			break;
		}
	}
	m->plan_fields = m->base ? expr_fields(m->base) : 0;
	for (size_t k = 0; k < m->nconds; k++)
		m->plan_fields |= expr_fields(m->conds[k].when);
	for (size_t i = 0; i < m->nrows; i++)
		m->plan_fields |=
			(m->rows[i].when ? expr_fields(m->rows[i].when) : 0) |
			expr_fields(m->rows[i].rate);
	for (size_t i = 0; i < m->ncaps; i++) {
		const struct policy_cap *cp = &m->caps[i];
		const struct expr *xs[] = {cp->when, cp->limit,
					   cp->relaxed_when, cp->relaxed_limit,
					   cp->hard_limit};

		for (size_t j = 0; j < sizeof(xs) / sizeof(xs[0]); j++)
			if (xs[j])
				m->plan_fields |= expr_fields(xs[j]);
		if (cp->per == CAP_PER_APPLICANT_YEAR)
			m->plan_yearly_caps = true;
	}
	if (m->nconds) {
		m->plan_conds = calloc(m->nconds, sizeof(*m->plan_conds));
		if (!m->plan_conds)
			return -1;
	}
	for (size_t k = 0; k < m->nconds; k++) {
		struct policy_plan_cond *pc = &m->plan_conds[k];

		expr_form_of(m->fused, (int)k, &fi);
		pc->rule = m->conds[k].rule;
		pc->form = (uint8_t)fi.form;
		pc->cmp = (uint8_t)fi.cmp;
		pc->field = fi.field;
		pc->imm = fi.imm;
		pc->str = fi.str;
		pc->key = fi.key;
		pc->longer = fi.longer;
		pc->slot = (int8_t)(fi.form == EXPR_FORM_STR
					    ? facts_skey_slot(fi.field)
					    : -1);
		plan_test(pc, &fi);
		if (!pc->test)
			m->plan_untested |= 1ull << k;
		if (pc->or_form)
			m->plan_or_forms |= 1ull << k;
	}
	m->plan_base_field = -1;
	if (m->base) {
		expr_form_of(m->base, -1, &fi);
		if (fi.form == EXPR_FORM_FIELD)
			m->plan_base_field = fi.field;
	}
	m->plan_rate = -1;
	if (m->nrows == 1 && !m->rows[0].when) {
		expr_form_of(m->rows[0].rate, -1, &fi);
		if (fi.form == EXPR_FORM_CONST && fi.imm >= 0 &&
		    fi.imm <= INT32_MAX)
			m->plan_rate = fi.imm;
	}
	m->plan_caps_const = true;
	if (m->ncaps) {
		m->plan_cap_limits = calloc(m->ncaps, sizeof(money_t));
		if (!m->plan_cap_limits)
			return -1;
	}
	for (size_t i = 0; i < m->ncaps; i++) {
		const struct policy_cap *cp = &m->caps[i];

		expr_form_of(cp->limit, -1, &fi);
		if (cp->per != CAP_PER_CONTRACT || cp->when ||
		    cp->relaxed_when || cp->hard_limit ||
		    fi.form != EXPR_FORM_CONST)
			m->plan_caps_const = false;
		m->plan_cap_limits[i] = fi.imm;
	}
	return 0;
}

static void plan_measures(struct ctx *c)
{
	struct policy *p = c->p;

	for (size_t i = 0; i < p->nmeasures && !c->nomem; i++)
		if (plan_measure(&p->measures[i]))
			c->nomem = true;
	/* The index of the measures' ids; they are unique and set (the
	 * policy has no error). */
	assert(p->nmeasures <= MAX_MEASURES &&
	       2 * MAX_MEASURES <= POLICY_MEASURE_SLOTS);
	memset(p->measure_index, POLICY_NO_MEASURE, sizeof(p->measure_index));
	for (size_t i = 0; i < p->nmeasures; i++) {
		struct policy_measure *m = &p->measures[i];
		size_t h;

		assert(m->id && m->id_len == strlen(m->id));
		id_words(m->id, m->id_len, &m->id_head, &m->id_tail);
		h = id_slot(m->id_head, m->id_tail, m->id_len);
		while (p->measure_index[h] != POLICY_NO_MEASURE)
			h = (h + 1) % POLICY_MEASURE_SLOTS;
		p->measure_index[h] = (uint8_t)i;
	}
	p->measure_indexed = true;
}

int policy_load_buf(const char *name, const char *buf, size_t len,
		    struct policy **out, struct diag_list *d)
{
	struct ctx c;
	struct policy *p;
	struct yamldoc y;
	size_t first_diag = d->n;
	size_t nerr = 0;
	int result;

	*out = NULL;
	if (!name)
		name = "<policy>";
	if (len > POLICY_MAX_BYTES) {
		diag_add(d, name, 0, 0,
			 "the file is larger than %u bytes: refused",
			 POLICY_MAX_BYTES);
		return Q_ERR_TOO_LARGE;
	}
	memset(&c, 0, sizeof(c));
	c.file = name;
	c.buf = buf;
	c.len = len;
	c.d = d;
	p = c.p = calloc(1, sizeof(*p));
	if (!p)
		return Q_ERR_NOMEM;
	c.env.param_lookup = param_lookup;
	c.env.list_lookup = list_lookup;
	c.env.ctx = p;
	p->path = xstrdup(&c, name);
	if (!p->path || hash_buf(buf, len, p->hash)) {
		result = Q_ERR_NOMEM;
		goto out;
	}

	result = yamldoc_load(&y, name, buf, len, "a policy file", d, &nerr);
	c.nerr += nerr;
	if (result)
		goto out;
	parse_policy(&c, y.root);
	if (!c.nomem)
		build_epochs(&c);
	if (!c.nomem && !c.nerr)
		fuse_conditions(&c);
	if (!c.nomem && !c.nerr)
		plan_measures(&c);
	result = c.nomem ? Q_ERR_NOMEM : c.nerr ? Q_ERR_POLICY : Q_OK;
out:
	yamldoc_release(&y);
	sort_diags(d, first_diag);
	if (result == Q_OK)
		*out = p;
	else
		policy_free(p);
	return result;
}

int policy_load(const char *path, struct policy **out, struct diag_list *d)
{
	struct qerr e;
	char *buf;
	size_t len;
	int result;

	*out = NULL;
	result = file_read(path, POLICY_MAX_BYTES, "a policy", &buf, &len, &e);
	if (result) {
		if (result != Q_ERR_IO)
			diag_add(d, path, 0, 0, "%s", e.msg);
		return result;
	}
	result = policy_load_buf(path, buf, len, out, d);
	free(buf);
	return result;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->program);
	free(p->name);
	free(p->issuer);
	free(p->currency);
	for (size_t i = 0; i < p->nsources; i++) {
		free(p->sources[i].id);
		free(p->sources[i].title);
		free(p->sources[i].url);
		free(p->sources[i].published);
		free(p->sources[i].document);
	}
	free(p->sources);
	for (size_t i = 0; i < p->nlists; i++) {
		free(p->lists[i].id);
		free(p->lists[i].name);
		free(p->lists[i].source);
		free(p->lists[i].assumption);
	}
	free(p->lists);
	for (size_t i = 0; i < p->npools; i++) {
		free(p->pools[i].id);
		free(p->pools[i].name);
		free(p->pools[i].budgets);
	}
	free(p->pools);
	for (size_t i = 0; i < p->nparams; i++) {
		free(p->params[i].name);
		free(p->params[i].values);
		free(p->params[i].source);
		free(p->params[i].assumption);
	}
	free(p->params);
	for (size_t i = 0; i < p->nmeasures; i++) {
		struct policy_measure *m = &p->measures[i];

		free(m->id);
		free(m->name);
		expr_free(m->base);
		expr_free(m->fused);
		free(m->plan_conds);
		free(m->plan_cap_limits);
		for (size_t j = 0; j < m->nconds; j++)
			expr_free(m->conds[j].when);
		free(m->conds);
		for (size_t j = 0; j < m->nrows; j++) {
			expr_free(m->rows[j].when);
			expr_free(m->rows[j].rate);
		}
		free(m->rows);
		for (size_t j = 0; j < m->ncaps; j++) {
			expr_free(m->caps[j].when);
			expr_free(m->caps[j].limit);
			expr_free(m->caps[j].relaxed_when);
			expr_free(m->caps[j].relaxed_limit);
			expr_free(m->caps[j].hard_limit);
		}
		free(m->caps);
		for (size_t j = 0; j < m->nfunders; j++) {
			free(m->funders[j].id);
			free(m->funders[j].name);
		}
		free(m->funders);
		free(m->priority_of);
	}
	free(p->measures);
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].id);
		free(p->rules[i].says);
		free(p->rules[i].source);
		free(p->rules[i].assumption);
		free(p->rules[i].says_zh);
		free(p->rules[i].assumption_zh);
		free(p->rules[i].zh_source);
	}
	free(p->rules);
	free(p->epoch_from);
	free(p->epoch_vals);
	free(p->epoch_null);
	free(p);
}

int policy_find_measure(const struct policy *p, const char *id, size_t len)
{
	uint64_t head, tail;

	assert(p && (id || len == 0));
	if (!p->measure_indexed) {
		for (size_t i = 0; i < p->nmeasures; i++)
			if (p->measures[i].id && p->measures[i].id_len == len &&
			    memcmp(p->measures[i].id, id, len) == 0)
				return (int)i;
		return -1;
	}
	/* Once per decision: one slot, rarely two, and the id's words
	 * compared (its middle too when longer than sixteen bytes). */
	id_words(id, len, &head, &tail);
	for (size_t h = id_slot(head, tail, len);
	     p->measure_index[h] != POLICY_NO_MEASURE;
	     h = (h + 1) % POLICY_MEASURE_SLOTS) {
		const struct policy_measure *m =
			&p->measures[p->measure_index[h]];

		if (m->id_len == len && m->id_head == head &&
		    m->id_tail == tail &&
		    (len <= 16 || memcmp(m->id + 8, id + 8, len - 16) == 0))
			return p->measure_index[h];
	}
	return -1;
}

void policy_params_on(const struct policy *p, qdate t, const int64_t **vals,
		      const uint8_t **nulls)
{
	size_t lo = 0, hi = p->nepochs;

	assert(p->nepochs >= 1);
	/* The last epoch that starts on or before t; epoch 0 always does. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->epoch_from[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*vals = p->epoch_vals + lo * p->nparams;
	*nulls = p->epoch_null + lo * p->nparams;
}

int policy_pool_account_year(const struct policy *p, uint32_t pool, int year)
{
	const struct policy_pool *pl;

	assert(p);
	if (pool >= p->npools)
		return -1;
	pl = &p->pools[pool];
	if (pl->commitment) {
		assert(pl->nbudgets == 1 &&
		       pl->budgets[0].year == pl->commit_from);
		return year >= pl->commit_from && year <= pl->commit_until
			       ? pl->commit_from
			       : -1;
	}
	for (size_t i = 0; i < pl->nbudgets; i++)
		if (pl->budgets[i].year == year)
			return year;
	return -1;
}

money_t policy_pool_budget(const struct policy *p, uint32_t pool, int year)
{
	int at = policy_pool_account_year(p, pool, year);

	if (at < 0)
		return -1;
	for (size_t i = 0; i < p->pools[pool].nbudgets; i++)
		if (p->pools[pool].budgets[i].year == at)
			return p->pools[pool].budgets[i].amount;
	return -1;
}

static const char *const doc_kinds[POLICY_DOC_KINDS] = {
	"contract", "invoice", "receipt", "acceptance"};

const char *policy_doc_kind_name(int k)
{
	assert(k >= 0 && k < POLICY_DOC_KINDS);
	return doc_kinds[k];
}

int policy_doc_kind_parse(const char *s, size_t len)
{
	assert(s);
	for (int k = 0; k < POLICY_DOC_KINDS; k++)
		if (strlen(doc_kinds[k]) == len &&
		    !memcmp(s, doc_kinds[k], len))
			return k;
	return -1;
}

static bool same_text_before(const struct policy *p, size_t i, const char *s)
{
	for (size_t j = 0; j < i; j++)
		if (p->rules[j].assumption && !p->rules[j].assumption_zh &&
		    !strcmp(p->rules[j].assumption, s))
			return true;
	return false;
}

int policy_check_zh(const struct policy *p, struct diag_list *d)
{
	int n = 0;

	assert(p && d);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		assert(r->id);
		if (r->says && !r->says_zh) {
			diag_add(
				d, p->path, r->line, r->col,
				"warning: rule '%s' says \"%s\" in English only: add 'says_zh' and 'says_zh_source'",
				r->id, r->says);
			n++;
		}
		/* A measure's assumption stands on each of its rules; warn
		 * once, on the first. */
		if (r->assumption && !r->assumption_zh &&
		    !same_text_before(p, i, r->assumption)) {
			diag_add(
				d, p->path, r->line, r->col,
				"warning: rule '%s' has an assumption in English only: add 'assumption_zh'",
				r->id);
			n++;
		}
	}
	return n;
}

const char *policy_rule_says(const struct policy_rule *r, const char *lang)
{
	assert(r);
	if (lang && !strcmp(lang, "zh") && r->says_zh)
		return r->says_zh;
	return r->says;
}
