/*
 * app.c - the JSON application format, read strictly (app.h).
 *
 * The walk is schema-first: each object's known keys are listed once, any
 * other key is refused before its siblings are read, then the fields are
 * read in the order of the format. The first problem found is the one
 * reported; later ones are not looked for, so the message stays one line
 * that names one field.
 */
#include "engine/app.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/file.h"
#include "core/industry.h"
#include "core/utf8.h"
#include "core/uscc.h"
#include "engine/jv.h"

/* An application is four levels deep; anything much deeper is an attack on
 * the parser's stack, refused before jansson recurses into it. */
#define APP_MAX_DEPTH 32
#define PATH_CAP sizeof(((struct qerr *)0)->field)
#define TERM_MONTHS_MAX 600

/* ---- the walk ------------------------------------------------------------- */

/* The walk: the arena that will own the application's strings and
 * arrays, and where the first problem goes. */
struct pctx {
	struct arena arena;
	struct qerr *e;
};

/* Copy at most cap-1 bytes of s into dst as printable, valid UTF-8: a byte
 * that starts no valid sequence, or a control character, becomes '?'; a
 * sequence that would not fit whole is dropped and "..." marks the cut.
 * Used for anything from the input that goes into a message. */
static void show(char *dst, size_t cap, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;
	/* Replacing never lengthens, so only a long input is ever cut. */
	bool cut = len >= cap;

	assert(cap >= 8);
	while (i < len) {
		size_t n = utf8_seq(u + i, len - i);

		if (cut && o + (n ? n : 1) + 4 > cap) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (n == 0 || (n == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

/* Make a message or field that came partly from the input valid UTF-8
 * (core parsers quote 40 bytes, which may cut a character in two). */
static void sanitize(char *buf, size_t cap)
{
	char tmp[sizeof(((struct qerr *)0)->msg)];
	size_t len = strlen(buf);

	assert(cap <= sizeof(tmp));
	show(tmp, cap, buf, len);
	memcpy(buf, tmp, strlen(tmp) + 1);
}

/* prefix.key (or key alone), cut to PATH_CAP - 1 bytes as snprintf would
 * cut it. Every lookup builds one, so it is copied, not formatted. */
static void path_join(char *path, const char *prefix, const char *key)
{
	size_t o = 0, n;

	assert(path && prefix && key);
	n = strlen(prefix);
	if (n) {
		n = n < PATH_CAP - 1 ? n : PATH_CAP - 1;
		memcpy(path, prefix, n);
		o = n;
		if (o < PATH_CAP - 1)
			path[o++] = '.';
	}
	n = strlen(key);
	n = n < PATH_CAP - 1 - o ? n : PATH_CAP - 1 - o;
	memcpy(path + o, key, n);
	path[o + n] = '\0';
	assert(o + n < PATH_CAP);
}

static void path_index(char *out, const char *path, size_t i)
{
	/* Paths are short field names; an item number never overflows. */
	int n = snprintf(out, PATH_CAP, "%s[%zu]", path, i);

	assert(n > 0 && (size_t)n < PATH_CAP);
	(void)n;
}

static bool is_bool(const struct jv *v)
{
	return v->type == JV_TRUE || v->type == JV_FALSE;
}

static bool is_number(const struct jv *v)
{
	return v->type == JV_INTEGER || v->type == JV_REAL;
}

static const char *type_name(const struct jv *v)
{
	switch (v->type) {
	case JV_OBJECT:
		return "an object";
	case JV_ARRAY:
		return "an array";
	case JV_STRING:
		return "a string";
	case JV_INTEGER:
	case JV_REAL:
		return "a number";
	case JV_TRUE:
	case JV_FALSE:
		return "a boolean";
	case JV_NULL:
		return "null";
	}
	return "an unknown value";
}

static int wrong_type(struct pctx *c, const char *path, const char *want,
		      const struct jv *v)
{
	return qerr_set(c->e, Q_ERR_WRONG_TYPE, path, "%s: expected %s, got %s",
			path, want, type_name(v));
}

/* Refuse any key of obj not in keys (NULL-terminated). The message lists
 * the keys the object takes, so a typo is fixed at once. */
static int check_keys(struct pctx *c, struct jv *obj, const char *prefix,
		      const char *const *keys)
{
	for (const struct jv *v = obj->first; v; v = v->next) {
		const char *k = v->key;
		char shown[64], path[PATH_CAP], list[256];
		size_t o = 0;
		bool known = false;

		for (size_t i = 0; keys[i]; i++)
			if (strcmp(keys[i], k) == 0) {
				known = true;
				break;
			}
		if (known)
			continue;
		show(shown, sizeof(shown), k, strlen(k));
		path_join(path, prefix, shown);
		list[0] = '\0';
		for (size_t i = 0; keys[i]; i++) {
			int n = snprintf(list + o, sizeof(list) - o, "%s%s",
					 i ? ", " : "", keys[i]);

			if (n < 0 || (size_t)n >= sizeof(list) - o)
				break;
			o += (size_t)n;
		}
		return qerr_set(c->e, Q_ERR_UNKNOWN_FIELD, path,
				"unknown field '%s' (%s takes %s)", path,
				prefix[0] ? prefix : "an application", list);
	}
	return Q_OK;
}

/* Find key in obj, writing its dotted path into path. *v is NULL when the
 * key is absent, which is an error only when required. */
static int lookup(struct pctx *c, struct jv *obj, const char *prefix,
		  const char *key, bool required, char *path, struct jv **v)
{
	path_join(path, prefix, key);
	*v = jv_get(obj, key);
	if (!*v && required)
		return qerr_set(c->e, Q_ERR_MISSING_FIELD, path,
				"missing field '%s'", path);
	return Q_OK;
}

/* A string field: a JSON string, 1..APP_MAX_STRING bytes of valid UTF-8
 * without NUL or control characters, copied into the arena. */
static int val_string(struct pctx *c, struct jv *v, const char *path,
		      const char **out)
{
	const char *s;
	size_t len;
	char *copy;

	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	s = v->s;
	len = v->n;
	if (len == 0)
		return qerr_set(c->e, Q_ERR_INVALID, path,
				"%s: must not be empty", path);
	if (len > APP_MAX_STRING)
		return qerr_set(c->e, Q_ERR_TOO_LARGE, path,
				"%s: %zu bytes, more than the limit of %d",
				path, len, APP_MAX_STRING);
	if (memchr(s, '\0', len))
		return qerr_set(c->e, Q_ERR_INVALID, path,
				"%s: contains a NUL character", path);
	if (!utf8_valid(s, len))
		return qerr_set(c->e, Q_ERR_INVALID, path,
				"%s: is not valid UTF-8", path);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return qerr_set(
				c->e, Q_ERR_INVALID, path,
				"%s: contains a control character (byte 0x%02x)",
				path, (unsigned char)s[i]);
	copy = arena_text(&c->arena, s, len);
	if (!copy)
		return qerr_set(c->e, Q_ERR_NOMEM, path, "%s: out of memory",
				path);
	*out = copy;
	return Q_OK;
}

static int get_string(struct pctx *c, struct jv *obj, const char *prefix,
		      const char *key, const char **out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, key, true, path, &v);

	return rc ? rc : val_string(c, v, path, out);
}

static int get_bool(struct pctx *c, struct jv *obj, const char *prefix,
		    const char *key, bool required, bool *out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, key, required, path, &v);

	if (rc || !v)
		return rc;
	if (!is_bool(v))
		return wrong_type(c, path, "true or false", v);
	*out = v->type == JV_TRUE;
	return Q_OK;
}

static int get_int(struct pctx *c, struct jv *obj, const char *prefix,
		   const char *key, int64_t min, int64_t max, int64_t *out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, key, true, path, &v);
	int64_t n;

	if (rc)
		return rc;
	if (v->type != JV_INTEGER)
		return wrong_type(c, path, "a whole number", v);
	n = v->i;
	if (n < min || n > max) {
		if (max == INT64_MAX)
			return qerr_set(c->e, Q_ERR_INVALID, path,
					"%s: %lld is less than %lld", path,
					(long long)n, (long long)min);
		return qerr_set(c->e, Q_ERR_INVALID, path,
				"%s: %lld is out of range %lld..%lld", path,
				(long long)n, (long long)min, (long long)max);
	}
	*out = (int64_t)n;
	return Q_OK;
}

/* Money is a decimal string; a JSON number is refused with the reason, so
 * that the applicant does not take it for a formatting quibble. */
static int val_money(struct pctx *c, struct jv *v, const char *path,
		     money_t *out)
{
	if (is_number(v))
		return qerr_set(
			c->e, Q_ERR_WRONG_TYPE, path,
			"%s: money must be a decimal string like \"1200000.00\", not a JSON number (JSON numbers become binary floats, which cannot hold 0.10 exactly)",
			path);
	if (v->type != JV_STRING)
		return wrong_type(c, path,
				  "a decimal string like \"1200000.00\"", v);
	return money_parse(v->s, v->n, out, path, c->e);
}

static int get_money(struct pctx *c, struct jv *obj, const char *prefix,
		     const char *key, money_t *out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, key, true, path, &v);

	return rc ? rc : val_money(c, v, path, out);
}

static int val_date(struct pctx *c, struct jv *v, const char *path, qdate *out)
{
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a date string like \"2025-08-15\"",
				  v);
	return date_parse(v->s, v->n, out, path, c->e);
}

static int get_date(struct pctx *c, struct jv *obj, const char *prefix,
		    const char *key, qdate *out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, key, true, path, &v);

	return rc ? rc : val_date(c, v, path, out);
}

static int get_uscc(struct pctx *c, struct jv *obj, const char *prefix,
		    const char **out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, obj, prefix, "uscc", true, path, &v);

	if (rc)
		return rc;
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	rc = uscc_check(v->s, v->n, path, c->e);
	return rc ? rc : val_string(c, v, path, out);
}

/* An object field; *v is NULL when optional and absent (or null, when
 * null_absent). */
static int get_object(struct pctx *c, struct jv *obj, const char *prefix,
		      const char *key, bool required, bool null_absent,
		      char *path, struct jv **v)
{
	int rc = lookup(c, obj, prefix, key, required, path, v);

	if (rc || !*v)
		return rc;
	if (null_absent && (*v)->type == JV_NULL) {
		*v = NULL;
		return Q_OK;
	}
	if ((*v)->type != JV_OBJECT)
		return wrong_type(c, path, "an object", *v);
	return Q_OK;
}

/* An optional array of at most max items; *v is NULL when absent. */
static int get_array(struct pctx *c, struct jv *obj, const char *prefix,
		     const char *key, size_t max, char *path, struct jv **v)
{
	int rc = lookup(c, obj, prefix, key, false, path, v);

	if (rc || !*v)
		return rc;
	if ((*v)->type != JV_ARRAY)
		return wrong_type(c, path, "an array", *v);
	if ((*v)->n > max)
		return qerr_set(c->e, Q_ERR_TOO_LARGE, path,
				"%s: %zu items, more than the limit of %zu",
				path, (*v)->n, max);
	return Q_OK;
}

static int get_controllers(struct pctx *c, struct jv *obj, const char *prefix,
			   struct app_party *p)
{
	char path[PATH_CAP];
	struct jv *arr, *item;
	size_t i;
	int rc = get_array(c, obj, prefix, "controllers", APP_MAX_CONTROLLERS,
			   path, &arr);

	if (rc || !arr || arr->n == 0)
		return rc;
	p->controllers = arena_alloc(&c->arena, arr->n * sizeof(char *),
				     alignof(char *));
	if (!p->controllers)
		return qerr_set(c->e, Q_ERR_NOMEM, path, "%s: out of memory",
				path);
	for (i = 0, item = arr->first; item; i++, item = item->next) {
		char ipath[PATH_CAP];

		path_index(ipath, path, i);
		rc = val_string(c, item, ipath, &p->controllers[i]);
		if (rc)
			return rc;
		p->ncontrollers = i + 1;
	}
	return Q_OK;
}

static const char *const applicant_keys[] = {"uscc",
					     "name",
					     "kind",
					     "registered_city",
					     "industry",
					     "sme",
					     "startup",
					     "registered_model",
					     "last_bad_credit_on",
					     "controllers",
					     "bank_account",
					     NULL};

/* The applicant's bank account, optional: what a payment batch pays into
 * when finance gives none (office/finance.h). 1 to 40 characters of
 * digits, letters, spaces and '-', as account numbers are written. */
static int check_bank_account(struct pctx *c, struct jv *o)
{
	char path[PATH_CAP];
	struct jv *v;
	const char *s;
	size_t n;
	int rc = lookup(c, o, "applicant", "bank_account", false, path, &v);

	if (rc || !v || v->type == JV_NULL)
		return rc;
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	s = v->s;
	n = v->n;
	for (size_t i = 0; n <= 40 && i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') || s[i] == ' ' ||
		      s[i] == '-'))
			n = 41;
	if (n == 0 || n > 40)
		return qerr_set(c->e, Q_ERR_INVALID, path,
				"%s: a bank account is 1 to 40 digits, "
				"letters, spaces or '-'",
				path);
	return Q_OK;
}

/* The kind a USCC registers is a fact of the code (GB 32100-2015). The
 * applicant may declare its kind, as application forms ask; a declared
 * kind that the code contradicts is refused, naming both. */
static int check_kind(struct pctx *c, struct jv *o, struct app_party *p)
{
	char path[PATH_CAP], shown[64];
	struct jv *v;
	int rc = lookup(c, o, "applicant", "kind", false, path, &v);
	int k;

	assert(p->uscc);
	p->kind = uscc_kind_of(p->uscc);
	if (rc || !v)
		return rc;
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	show(shown, sizeof(shown), v->s, v->n);
	k = uscc_kind_lookup(v->s, v->n);
	if (k < 0 || k == USCC_KIND_OTHER)
		return qerr_set(
			c->e, Q_ERR_INVALID, path,
			"%s: unknown kind '%s': use enterprise, individual, institution or social",
			path, shown);
	if ((enum uscc_kind)k != p->kind)
		return qerr_set(
			c->e, Q_ERR_INVALID, path,
			"%s: declared '%s', but the USCC '%s' registers kind '%s' (characters 1-2 '%.2s', GB 32100-2015)",
			path, shown, p->uscc, uscc_kind_name(p->kind), p->uscc);
	return Q_OK;
}

/* The applicant's industry: a GB/T 4754 code, so that a condition on its
 * prefix (industry_in) cannot be dodged by a malformed one. */
static int get_industry(struct pctx *c, struct jv *o, struct app_party *p)
{
	int rc = get_string(c, o, "applicant", "industry", &p->industry);

	if (rc)
		return rc;
	return industry_check(p->industry, strlen(p->industry),
			      "applicant.industry", c->e);
}

static int parse_applicant(struct pctx *c, struct jv *o, struct app_party *p)
{
	const char *pre = "applicant";
	char path[PATH_CAP];
	struct jv *v;
	int rc;

	if ((rc = check_keys(c, o, pre, applicant_keys)) ||
	    (rc = get_uscc(c, o, pre, &p->uscc)) ||
	    (rc = get_string(c, o, pre, "name", &p->name)) ||
	    (rc = check_kind(c, o, p)) || (rc = check_bank_account(c, o)) ||
	    (rc = get_string(c, o, pre, "registered_city",
			     &p->registered_city)) ||
	    (rc = get_industry(c, o, p)) ||
	    (rc = get_bool(c, o, pre, "sme", true, &p->sme)) ||
	    (rc = get_bool(c, o, pre, "startup", true, &p->startup)) ||
	    (rc = get_bool(c, o, pre, "registered_model", true,
			   &p->registered_model)) ||
	    (rc = lookup(c, o, pre, "last_bad_credit_on", false, path, &v)))
		return rc;
	if (v && v->type != JV_NULL) {
		rc = val_date(c, v, path, &p->last_bad_credit_on);
		if (rc)
			return rc;
		p->has_bad_credit = true;
	}
	return get_controllers(c, o, pre, p);
}

static const char *const supplier_keys[] = {
	"uscc",	       "name", "platform_listed", "pflops", "racks",
	"controllers", NULL};

/* An optional whole number from 0 up; *has says whether it was given (a
 * null is not given). */
static int get_opt_count(struct pctx *c, struct jv *o, const char *prefix,
			 const char *key, bool *has, int64_t *out)
{
	struct jv *v = jv_get(o, key);

	*has = false;
	if (!v || v->type == JV_NULL)
		return Q_OK;
	*has = true;
	return get_int(c, o, prefix, key, 0, INT64_MAX, out);
}

static int parse_supplier(struct pctx *c, struct jv *o, struct app_party *p)
{
	const char *pre = "supplier";
	int rc;

	p->registered_city = "";
	p->industry = "";
	if ((rc = check_keys(c, o, pre, supplier_keys)) ||
	    (rc = get_uscc(c, o, pre, &p->uscc)) ||
	    (rc = get_string(c, o, pre, "name", &p->name)) ||
	    (rc = get_bool(c, o, pre, "platform_listed", true,
			   &p->platform_listed)) ||
	    (rc = get_opt_count(c, o, pre, "pflops", &p->has_pflops,
				&p->pflops)) ||
	    (rc = get_opt_count(c, o, pre, "racks", &p->has_racks, &p->racks)))
		return rc;
	p->kind = uscc_kind_of(p->uscc);
	return get_controllers(c, o, pre, p);
}

static const char *const subsidy_keys[] = {"program", "amount", "level", NULL};

/* "level": optional (absent or null: not said); national, province, city
 * or district. */
static int get_level(struct pctx *c, struct jv *o, const char *prefix,
		     enum subsidy_level *out)
{
	static const char *const names[SUBSIDY_LEVEL__COUNT] = {
		NULL, "national", "province", "city", "district"};
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, o, prefix, "level", false, path, &v);

	*out = SUBSIDY_LEVEL_UNKNOWN;
	if (rc || !v || v->type == JV_NULL)
		return rc;
	if (v->type == JV_STRING)
		for (int i = 1; i < SUBSIDY_LEVEL__COUNT; i++)
			if (!strcmp(v->s, names[i])) {
				*out = (enum subsidy_level)i;
				return Q_OK;
			}
	return qerr_set(c->e, Q_ERR_INVALID, path,
			"%s: must be national, province, city or district",
			path);
}

static int parse_other_subsidies(struct pctx *c, struct jv *o,
				 struct app_contract *k)
{
	char path[PATH_CAP];
	struct jv *arr, *item;
	size_t i;
	int rc = get_array(c, o, "contract", "other_subsidies",
			   APP_MAX_OTHER_SUBSIDIES, path, &arr);

	if (rc || !arr || arr->n == 0)
		return rc;
	k->other_subsidies =
		arena_alloc(&c->arena, arr->n * sizeof(*k->other_subsidies),
			    alignof(struct app_other_subsidy));
	if (!k->other_subsidies)
		return qerr_set(c->e, Q_ERR_NOMEM, path, "%s: out of memory",
				path);
	for (i = 0, item = arr->first; item; i++, item = item->next) {
		struct app_other_subsidy *s = &k->other_subsidies[i];
		char ipath[PATH_CAP];

		path_index(ipath, path, i);
		if (item->type != JV_OBJECT)
			return wrong_type(c, ipath, "an object", item);
		if ((rc = check_keys(c, item, ipath, subsidy_keys)) ||
		    (rc = get_string(c, item, ipath, "program", &s->program)) ||
		    (rc = get_money(c, item, ipath, "amount", &s->amount)) ||
		    (rc = get_level(c, item, ipath, &s->level)))
			return rc;
		k->nother_subsidies = i + 1;
	}
	return Q_OK;
}

static const char *const compute_keys[] = {"chip", "accelerators", "hours",
					   "location", NULL};

static int parse_compute(struct pctx *c, struct jv *o, struct app_compute *k)
{
	const char *pre = "contract.compute";
	int rc;

	if ((rc = check_keys(c, o, pre, compute_keys)) ||
	    (rc = get_string(c, o, pre, "chip", &k->chip)) ||
	    (rc = get_int(c, o, pre, "accelerators", 1, INT64_MAX,
			  &k->accelerators)) ||
	    (rc = get_int(c, o, pre, "hours", 1, INT64_MAX, &k->hours)) ||
	    (rc = get_string(c, o, pre, "location", &k->location)))
		return rc;
	return Q_OK;
}

static const char *const contract_keys[] = {
	"number",	   "kind",	  "value",
	"signed_on",	   "term_months", "uses_registered_model",
	"other_subsidies", "compute",	  NULL};

static int parse_contract(struct pctx *c, struct jv *o, struct app_contract *k)
{
	const char *pre = "contract";
	char path[PATH_CAP];
	struct jv *v;
	int rc, kind;

	k->compute.chip = "";
	k->compute.location = "";
	if ((rc = check_keys(c, o, pre, contract_keys)) ||
	    (rc = get_string(c, o, pre, "number", &k->number)) ||
	    (rc = lookup(c, o, pre, "kind", true, path, &v)))
		return rc;
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	kind = kind_lookup(v->s, v->n);
	if (kind < 0) {
		char shown[64];

		show(shown, sizeof(shown), v->s, v->n);
		return qerr_set(
			c->e, Q_ERR_INVALID, path,
			"%s: unknown kind '%s': use rent, buy, build, api, private-deployment, corpus or grant",
			path, shown);
	}
	k->kind = (enum contract_kind)kind;
	if ((rc = get_money(c, o, pre, "value", &k->value)))
		return rc;
	if (k->value <= 0)
		return qerr_set(c->e, Q_ERR_INVALID_MONEY, "contract.value",
				"contract.value: must be more than 0.00");
	if ((rc = get_date(c, o, pre, "signed_on", &k->signed_on)) ||
	    (rc = get_int(c, o, pre, "term_months", 1, TERM_MONTHS_MAX,
			  &k->term_months)) ||
	    (rc = get_bool(c, o, pre, "uses_registered_model", false,
			   &k->uses_registered_model)) ||
	    (rc = parse_other_subsidies(c, o, k)) ||
	    (rc = get_object(c, o, pre, "compute", false, true, path, &v)))
		return rc;
	if (v) {
		k->has_compute = true;
		return parse_compute(c, v, &k->compute);
	}
	return Q_OK;
}

/* The keys of an application. "id" and "submitted_at" are not among them:
 * the office numbers and stamps, so a body that carries them is refused as
 * having an unknown field. */
static const char *const app_keys[] = {"client_ref", "program",	 "measure",
				       "applicant",  "supplier", "contract",
				       NULL};

bool app_ref_valid(const char *s, size_t len)
{
	if (len == 0 || len > APP_MAX_REF)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return false;
	}
	return true;
}

/* An optional client_ref: a string of the reference alphabet. */
static int get_client_ref(struct pctx *c, struct jv *root, const char **out)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc = lookup(c, root, "", "client_ref", false, path, &v);

	if (rc || !v)
		return rc;
	if (v->type != JV_STRING)
		return wrong_type(c, path, "a string", v);
	if (!app_ref_valid(v->s, v->n))
		return qerr_set(
			c->e, Q_ERR_INVALID, path,
			"%s: must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'",
			path, APP_MAX_REF);
	return val_string(c, v, path, out);
}

/* A program or measure id: a string of at most APP_MAX_NAME bytes, so that
 * what is stored is never cut short. */
static int get_name(struct pctx *c, struct jv *root, const char *key,
		    const char **out)
{
	int rc = get_string(c, root, "", key, out);

	if (!rc && strlen(*out) > APP_MAX_NAME)
		return qerr_set(c->e, Q_ERR_TOO_LARGE, key,
				"%s: %zu bytes, more than the limit of %d", key,
				strlen(*out), APP_MAX_NAME);
	return rc;
}

static int parse_app(struct pctx *c, struct jv *root, struct application *a)
{
	char path[PATH_CAP];
	struct jv *v;
	int rc;

	if (root->type != JV_OBJECT)
		return qerr_set(c->e, Q_ERR_WRONG_TYPE, "",
				"an application must be a JSON object, got %s",
				type_name(root));
	if ((rc = check_keys(c, root, "", app_keys)) ||
	    (rc = get_client_ref(c, root, &a->client_ref)) ||
	    (rc = get_name(c, root, "program", &a->program)) ||
	    (rc = get_name(c, root, "measure", &a->measure)) ||
	    (rc = get_object(c, root, "", "applicant", true, false, path,
			     &v)) ||
	    (rc = parse_applicant(c, v, &a->applicant)) ||
	    (rc = get_object(c, root, "", "supplier", true, false, path, &v)) ||
	    (rc = parse_supplier(c, v, &a->supplier)) ||
	    (rc = get_object(c, root, "", "contract", true, false, path, &v)) ||
	    (rc = parse_contract(c, v, &a->contract)))
		return rc;
	return Q_OK;
}

int app_receive(struct application *a, int64_t at, struct qerr *e)
{
	char signed_on[DATE_TEXT_MAX], received[DATE_TEXT_MAX];

	assert(a);
	assert(a->program && a->measure);
	a->received_at = at;
	a->received_on = date_of_instant(at);
	if (a->contract.signed_on > a->received_on)
		return qerr_set(
			e, Q_ERR_INVALID, "contract.signed_on",
			"contract.signed_on: the contract is signed on %s, after the application was received on %s",
			date_format(a->contract.signed_on, signed_on),
			date_format(a->received_on, received));
	return Q_OK;
}

/* Refuse nesting deeper than APP_MAX_DEPTH before jansson, which recurses
 * once per level, sees it. Strings are skipped so that brackets inside
 * them do not count; malformed input is left for jansson to report. */
static int depth_check(const char *buf, size_t len, struct qerr *e)
{
	int depth = 0, line = 1, col = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (ch == '\n') {
			line++;
			col = 0;
		} else if (((unsigned char)ch & 0xc0) != 0x80) {
			col++;
		}
		if (in_str) {
			if (ch == '\\')
				i++; /* an escaped character is never a quote */
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > APP_MAX_DEPTH)
				return qerr_set(
					e, Q_ERR_INVALID_JSON, "",
					"line %d column %d: nesting deeper than %d levels",
					line, col, APP_MAX_DEPTH);
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return Q_OK;
}

/* The tree of buf, by jv_read when it is sure of the text, otherwise
 * by jansson (after depth_check), whose verdict and words stand. *j is
 * jansson's tree, kept while *root points into it; NULL when jv_read read
 * it. */
static int read_tree(const char *buf, size_t len, struct jv_arena *a,
		     struct jv **root, json_t **j, struct qerr *e)
{
	json_error_t jerr;
	int result;

	*j = NULL;
	result = jv_read(buf, len, a, root);
	if (result != JV_UNSURE)
		return result ? qerr_set(e, result, "", "out of memory") : Q_OK;
	jv_arena_free(a);
	result = depth_check(buf, len, e);
	if (result)
		return result;
	*j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*j) {
		char text[sizeof(jerr.text)];

		show(text, sizeof(text), jerr.text,
		     strnlen(jerr.text, sizeof(jerr.text)));
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		return qerr_set(e, Q_ERR_INVALID_JSON, "",
				"line %d column %d: %s", jerr.line, jerr.column,
				text);
	}
	if (jv_from_jansson(*j, a, root))
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	return Q_OK;
}

int app_parse_json(const char *buf, size_t len, struct application *out,
		   struct qerr *e)
{
	struct pctx c = {.arena = {0}, .e = e};
	struct jv_arena tree = {0};
	struct jv *root = NULL;
	json_t *j = NULL;
	int result;

	memset(out, 0, sizeof(*out));
	qerr_clear(e);
	if (len > APP_MAX_BYTES)
		return qerr_set(
			e, Q_ERR_TOO_LARGE, "",
			"the application is %zu bytes, more than the limit of %u",
			len, APP_MAX_BYTES);
	result = read_tree(buf, len, &tree, &root, &j, e);
	if (!result)
		result = parse_app(&c, root, out);
	jv_arena_free(&tree);
	json_decref(j);
	if (result) {
		arena_release(&c.arena);
		memset(out, 0, sizeof(*out));
		if (e) {
			sanitize(e->field, sizeof(e->field));
			sanitize(e->msg, sizeof(e->msg));
		}
		return result;
	}
	out->arena = c.arena;
	return Q_OK;
}

int app_load_file(const char *path, struct application *out, struct qerr *e)
{
	char *buf;
	size_t len;
	int result;

	memset(out, 0, sizeof(*out));
	qerr_clear(e);
	result =
		file_read(path, APP_MAX_BYTES, "an application", &buf, &len, e);
	if (result)
		return result;
	result = app_parse_json(buf, len, out, e);
	free(buf);
	return result;
}

void app_release(struct application *a)
{
	if (!a)
		return;
	arena_release(&a->arena);
	memset(a, 0, sizeof(*a));
}
