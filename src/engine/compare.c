/*
 * compare.c - the applicant's comparison (compare.h).
 *
 * The profile and the cost table are checked as JSON (a YAML file is
 * turned into JSON first, policy/yamljson.h), so the file and the HTTP
 * body share one validator. Each purchase of the plan becomes one
 * application per measure that takes its contract kind, written in the
 * application format and parsed by app_parse_json(), so the comparison
 * decides exactly what `quan estimate` would.
 */
#include "engine/compare.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/uscc.h"
#include "engine/app.h"
#include "engine/decide.h"
#include "engine/render.h"
#include "policy/yamljson.h"

/* Two representative suppliers with valid USCCs (GB 32100-2015); the
 * second is used when the firm's own USCC is the first. */
static const char *const supplier_uscc[2] = {"91310104MA1FR5T2K1",
					     "91310000MA1FL7XQ30"};

static int nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

static json_t *money_j(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

/* --- reading JSON with field paths ------------------------------------------ */

/* An object with no keys outside allowed (NULL-terminated). */
static int need_object(json_t *o, const char *path, const char *const *allowed,
		       struct qerr *e)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return qerr_set(e, Q_ERR_WRONG_TYPE, path,
				"%s: must be an object", path);
	json_object_foreach(o, k, v)
	{
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], k))
			i++;
		if (!allowed[i])
			return qerr_set(e, Q_ERR_UNKNOWN_FIELD, path,
					"%s: unknown field '%s'", path, k);
	}
	return 0;
}

static void join(char *buf, size_t n, const char *path, const char *key)
{
	snprintf(buf, n, "%s%s%s", path, *path ? "." : "", key);
}

/* A string field; *out NULL when absent and not required. */
static int get_text(json_t *o, const char *path, const char *key, bool required,
		    size_t max, const char **out, struct qerr *e)
{
	json_t *v = json_object_get(o, key);
	char f[128];

	join(f, sizeof(f), path, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return qerr_set(e, Q_ERR_MISSING_FIELD, f,
					"%s: missing", f);
		return 0;
	}
	if (!json_is_string(v))
		return qerr_set(e, Q_ERR_WRONG_TYPE, f, "%s: must be text", f);
	if (json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return qerr_set(e, Q_ERR_INVALID, f,
				"%s: must be text of 1 to %zu bytes", f, max);
	*out = json_string_value(v);
	return 0;
}

static int copy_text(json_t *o, const char *path, const char *key,
		     bool required, char *buf, size_t n, struct qerr *e)
{
	const char *s;
	int rc = get_text(o, path, key, required, n - 1, &s, e);

	if (!rc && s)
		memcpy(buf, s, strlen(s) + 1);
	return rc;
}

/* Money is a decimal yuan string; a JSON number is refused. */
static int get_money(json_t *o, const char *path, const char *key,
		     bool required, money_t *out, bool *present, struct qerr *e)
{
	json_t *v = json_object_get(o, key);
	char f[128];

	join(f, sizeof(f), path, key);
	if (present)
		*present = false;
	if (!v || json_is_null(v)) {
		if (required)
			return qerr_set(e, Q_ERR_MISSING_FIELD, f,
					"%s: missing", f);
		return 0;
	}
	if (!json_is_string(v))
		return qerr_set(
			e, Q_ERR_WRONG_TYPE, f,
			"%s: money must be a decimal string in yuan (\"1200000.00\")",
			f);
	if (present)
		*present = true;
	return money_parse(json_string_value(v), json_string_length(v), out, f,
			   e);
}

static int get_int(json_t *o, const char *path, const char *key, bool required,
		   int64_t min, int64_t max, int64_t *out, struct qerr *e)
{
	json_t *v = json_object_get(o, key);
	char f[128];

	join(f, sizeof(f), path, key);
	if (!v) {
		if (required)
			return qerr_set(e, Q_ERR_MISSING_FIELD, f,
					"%s: missing", f);
		return 0;
	}
	if (!json_is_integer(v))
		return qerr_set(e, Q_ERR_WRONG_TYPE, f,
				"%s: must be a whole number", f);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return qerr_set(e, Q_ERR_INVALID, f,
				"%s: must be from %lld to %lld", f,
				(long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *path, const char *key, bool *out,
		    struct qerr *e)
{
	json_t *v = json_object_get(o, key);
	char f[128];

	join(f, sizeof(f), path, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return qerr_set(e, Q_ERR_WRONG_TYPE, f,
				"%s: must be true or false", f);
	*out = json_is_true(v);
	return 0;
}

/* --- the cost table -------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void figure_release(struct cost_figure *f)
{
	free(f->published_as);
	free(f->source);
	free(f->url);
	free(f->as_of);
	free(f->assumption);
	free(f->assumption_zh);
}

/* One figure: its amount under amount_key, then where it comes from. */
static int parse_figure(json_t *o, const char *path, const char *amount_key,
			struct cost_figure *f, struct qerr *e)
{
	const char *const keys[] = {
		amount_key, "published_as", "source",	     "url",
		"as_of",    "assumption",   "assumption_zh", NULL};
	const char *pub, *src, *url, *asof, *asm_, *asm_zh;
	int rc;

	if ((rc = need_object(o, path, keys, e)) ||
	    (rc = get_money(o, path, amount_key, true, &f->amount, NULL, e)) ||
	    (rc = get_text(o, path, "published_as", false, 512, &pub, e)) ||
	    (rc = get_text(o, path, "source", true, 512, &src, e)) ||
	    (rc = get_text(o, path, "url", false, 512, &url, e)) ||
	    (rc = get_text(o, path, "as_of", true, 64, &asof, e)) ||
	    (rc = get_text(o, path, "assumption", false, 1024, &asm_, e)) ||
	    (rc = get_text(o, path, "assumption_zh", false, 1024, &asm_zh, e)))
		return rc;
	/* A Chinese page shows the assumption too: both or neither. */
	if (!asm_ != !asm_zh)
		return qerr_set(e, Q_ERR_INVALID, path,
				"%s: 'assumption' and 'assumption_zh' go "
				"together",
				path);
	f->published_as = dup_or_null(pub);
	f->source = dup_or_null(src);
	f->url = dup_or_null(url);
	f->as_of = dup_or_null(asof);
	f->assumption = dup_or_null(asm_);
	f->assumption_zh = dup_or_null(asm_zh);
	if ((pub && !f->published_as) || !f->source || (url && !f->url) ||
	    !f->as_of || (asm_ && !f->assumption) ||
	    (asm_zh && !f->assumption_zh))
		return nomem(e);
	return 0;
}

static int parse_city(json_t *o, const char *path, struct cost_city *c,
		      struct qerr *e)
{
	static const char *const keys[] = {"id",	  "name",
					   "name_zh",	  "programs",
					   "office_rent", "engineer_salary",
					   "electricity", NULL};
	const char *id, *name, *zh;
	json_t *progs = json_object_get(o, "programs"), *v;
	char f[128];
	size_t i;
	int rc;

	if ((rc = need_object(o, path, keys, e)) ||
	    (rc = get_text(o, path, "id", true, 63, &id, e)) ||
	    (rc = get_text(o, path, "name", true, 128, &name, e)) ||
	    (rc = get_text(o, path, "name_zh", true, 128, &zh, e)))
		return rc;
	c->id = strdup(id);
	c->name = strdup(name);
	c->name_zh = strdup(zh);
	if (!c->id || !c->name || !c->name_zh)
		return nomem(e);
	join(f, sizeof(f), path, "programs");
	if (!json_is_array(progs) || json_array_size(progs) == 0 ||
	    json_array_size(progs) > COSTS_MAX_PROGRAMS)
		return qerr_set(e, Q_ERR_INVALID, f,
				"%s: must list 1 to %d program ids", f,
				COSTS_MAX_PROGRAMS);
	json_array_foreach(progs, i, v)
	{
		if (!json_is_string(v))
			return qerr_set(e, Q_ERR_WRONG_TYPE, f,
					"%s[%zu]: must be a program id", f, i);
		c->programs[i] = strdup(json_string_value(v));
		if (!c->programs[i])
			return nomem(e);
		c->nprograms = i + 1;
	}
	join(f, sizeof(f), path, "office_rent");
	if ((rc = parse_figure(json_object_get(o, "office_rent"), f,
			       "per_m2_year", &c->rent, e)))
		return rc;
	join(f, sizeof(f), path, "engineer_salary");
	if ((rc = parse_figure(json_object_get(o, "engineer_salary"), f,
			       "per_year", &c->salary, e)))
		return rc;
	join(f, sizeof(f), path, "electricity");
	return parse_figure(json_object_get(o, "electricity"), f, "per_mwh",
			    &c->electricity, e);
}

void costs_free(struct cost_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct cost_city *c = &t->cities[i];

		free(c->id);
		free(c->name);
		free(c->name_zh);
		for (size_t k = 0; k < c->nprograms; k++)
			free(c->programs[k]);
		figure_release(&c->rent);
		figure_release(&c->salary);
		figure_release(&c->electricity);
	}
	free(t->cities);
	free(t);
}

int costs_load_buf(const char *name, const char *buf, size_t len,
		   struct cost_table **out, struct qerr *e)
{
	static const char *const top[] = {"cities", NULL};
	struct cost_table *t = NULL;
	json_t *j = NULL, *cities, *v;
	size_t i;
	int rc;

	*out = NULL;
	if (len > COSTS_MAX_BYTES)
		return qerr_set(e, Q_ERR_TOO_LARGE, "", "%s: above %u bytes",
				name, COSTS_MAX_BYTES);
	if ((rc = yamljson_load(name, buf, len, "a cost table", &j, e)))
		return rc;
	if ((rc = need_object(j, "", top, e)))
		goto out;
	cities = json_object_get(j, "cities");
	if (!json_is_array(cities) || json_array_size(cities) == 0 ||
	    json_array_size(cities) > COSTS_MAX_CITIES) {
		rc = qerr_set(e, Q_ERR_INVALID, "cities",
			      "cities: must list 1 to %d cities",
			      COSTS_MAX_CITIES);
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->cities = calloc(json_array_size(cities), sizeof(*t->cities));
	if (!t || !t->cities) {
		rc = nomem(e);
		goto out;
	}
	json_array_foreach(cities, i, v)
	{
		char path[32];

		snprintf(path, sizeof(path), "cities[%zu]", i);
		t->n = i + 1;
		if ((rc = parse_city(v, path, &t->cities[i], e)))
			goto out;
	}
	/* A city, and a program, belong to one entry only. */
	for (i = 0; i < t->n; i++)
		for (size_t k = i + 1; k < t->n; k++) {
			bool clash = !strcmp(t->cities[i].id, t->cities[k].id);

			for (size_t p = 0; !clash && p < t->cities[k].nprograms;
			     p++)
				for (size_t q = 0; q < t->cities[i].nprograms;
				     q++)
					clash = clash ||
						!strcmp(t->cities[k]
								.programs[p],
							t->cities[i]
								.programs[q]);
			if (clash) {
				rc = qerr_set(
					e, Q_ERR_INVALID, "cities",
					"cities[%zu]: city '%s' or one of its programs is listed before",
					k, t->cities[k].id);
				goto out;
			}
		}
out:
	json_decref(j);
	if (rc) {
		costs_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

const struct cost_city *costs_city_of(const struct cost_table *t,
				      const char *program)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->cities[i].nprograms; k++)
			if (!strcmp(t->cities[i].programs[k], program))
				return &t->cities[i];
	return NULL;
}

/* --- the profile ------------------------------------------------------------------- */

static bool is_compute_kind(enum contract_kind k)
{
	return k == KIND_RENT || k == KIND_BUY || k == KIND_BUILD;
}

/* One purchase. group is "compute", "models" or "corpus"; kinds the
 * contract kinds it may take (bit per enum contract_kind). */
static int parse_item(json_t *o, const char *path, const char *group,
		      uint32_t kinds, enum contract_kind dflt,
		      struct profile_item *it, struct qerr *e)
{
	static const char *const compute_keys[] = {
		"kind",		  "chip",  "accelerators", "hours",
		"price_per_hour", "value", "term_months",  NULL};
	static const char *const other_keys[] = {"kind", "value", "term_months",
						 "uses_registered_model", NULL};
	bool compute = !strcmp(group, "compute");
	const char *kind = NULL;
	char f[128];
	int rc;

	memset(it, 0, sizeof(*it));
	if ((size_t)snprintf(it->label, sizeof(it->label), "%.*s",
			     (int)(sizeof(it->label) - 1),
			     path + strlen("plan.")) >= sizeof(it->label))
		return qerr_set(e, Q_ERR_INVALID, path, "%s: label too long",
				path);
	it->kind = dflt;
	it->term_months = 12;
	if ((rc = need_object(o, path, compute ? compute_keys : other_keys,
			      e)) ||
	    (rc = get_text(o, path, "kind", false, 32, &kind, e)))
		return rc;
	if (kind) {
		int k = kind_lookup(kind, strlen(kind));

		join(f, sizeof(f), path, "kind");
		if (k < 0 || !(kinds & (1u << k)))
			return qerr_set(e, Q_ERR_INVALID, f,
					"%s: '%s' is not a kind of %s", f, kind,
					group);
		it->kind = (enum contract_kind)k;
	}
	if ((rc = get_int(o, path, "term_months", false, 1, 120,
			  &it->term_months, e)))
		return rc;
	if (!compute) {
		if ((rc = get_money(o, path, "value", true, &it->value, NULL,
				    e)) ||
		    (rc = get_bool(o, path, "uses_registered_model",
				   &it->uses_registered_model, e)))
			return rc;
	} else {
		money_t price = 0;
		bool has_price = false, has_value = false;

		it->has_compute = true;
		if ((rc = copy_text(o, path, "chip", true, it->chip,
				    sizeof(it->chip), e)) ||
		    (rc = get_int(o, path, "accelerators", true, 1, 1000000,
				  &it->accelerators, e)) ||
		    (rc = get_int(o, path, "hours", true, 1, 1000000,
				  &it->hours, e)) ||
		    (rc = get_money(o, path, "price_per_hour", false, &price,
				    &has_price, e)) ||
		    (rc = get_money(o, path, "value", false, &it->value,
				    &has_value, e)))
			return rc;
		join(f, sizeof(f), path, "value");
		if (has_price == has_value)
			return qerr_set(
				e, Q_ERR_INVALID, f,
				"%s: give either value or price_per_hour (per accelerator-hour)",
				f);
		/* value = accelerators x hours x price, checked. */
		if (has_price &&
		    (money_mul_int(price, it->accelerators, &it->value) ||
		     money_mul_int(it->value, it->hours, &it->value)))
			return qerr_set(
				e, Q_ERR_OVERFLOW, f,
				"%s: accelerators x hours x price_per_hour is too large",
				f);
	}
	join(f, sizeof(f), path, "value");
	if (it->value <= 0)
		return qerr_set(e, Q_ERR_INVALID, f, "%s: must be above 0", f);
	return 0;
}

int profile_from_json(json_t *j, struct profile *out, struct qerr *e)
{
	static const char *const top[] = {"firm", "plan", NULL};
	static const char *const firm_keys[] = {
		"uscc",	      "name",	   "industry",
		"sme",	      "startup",   "registered_model",
		"head_count", "office_m2", NULL};
	static const char *const plan_keys[] = {"signed_on", "electricity_kwh",
						"compute",   "models",
						"corpus",    NULL};
	static const struct {
		const char *group;
		uint32_t kinds;
		enum contract_kind dflt;
	} groups[] = {
		{"compute",
		 (1u << KIND_RENT) | (1u << KIND_BUY) | (1u << KIND_BUILD),
		 KIND_RENT},
		{"models", (1u << KIND_API) | (1u << KIND_PRIVATE_DEPLOYMENT),
		 KIND_API},
		{"corpus", 1u << KIND_CORPUS, KIND_CORPUS},
	};
	json_t *firm, *plan;
	const char *date;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->industry, sizeof(out->industry), "I65");
	if ((rc = need_object(j, "profile", top, e)))
		return rc;
	firm = json_object_get(j, "firm");
	plan = json_object_get(j, "plan");
	if ((rc = need_object(firm, "firm", firm_keys, e)) ||
	    (rc = copy_text(firm, "firm", "uscc", true, out->uscc,
			    sizeof(out->uscc), e)) ||
	    (rc = uscc_check(out->uscc, strlen(out->uscc), "firm.uscc", e)) ||
	    (rc = copy_text(firm, "firm", "name", true, out->name,
			    sizeof(out->name), e)) ||
	    (rc = copy_text(firm, "firm", "industry", false, out->industry,
			    sizeof(out->industry), e)) ||
	    (rc = get_bool(firm, "firm", "sme", &out->sme, e)) ||
	    (rc = get_bool(firm, "firm", "startup", &out->startup, e)) ||
	    (rc = get_bool(firm, "firm", "registered_model",
			   &out->registered_model, e)) ||
	    (rc = get_int(firm, "firm", "head_count", true, 0, 1000000,
			  &out->head_count, e)) ||
	    (rc = get_int(firm, "firm", "office_m2", true, 0, 10000000,
			  &out->office_m2, e)))
		return rc;
	if ((rc = need_object(plan, "plan", plan_keys, e)) ||
	    (rc = get_text(plan, "plan", "signed_on", true, 10, &date, e)) ||
	    (rc = date_parse(date, strlen(date), &out->signed_on,
			     "plan.signed_on", e)) ||
	    (rc = get_int(plan, "plan", "electricity_kwh", false, 0,
			  INT64_C(1000000000000), &out->electricity_kwh, e)))
		return rc;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		json_t *arr = json_object_get(plan, groups[g].group), *v;
		char path[64];
		size_t i;

		if (!arr || json_is_null(arr))
			continue;
		snprintf(path, sizeof(path), "plan.%s", groups[g].group);
		if (!json_is_array(arr))
			return qerr_set(e, Q_ERR_WRONG_TYPE, path,
					"%s: must be a list", path);
		json_array_foreach(arr, i, v)
		{
			if (out->nitems == PROFILE_MAX_ITEMS)
				return qerr_set(
					e, Q_ERR_TOO_LARGE, path,
					"%s: a plan holds at most %d purchases",
					path, PROFILE_MAX_ITEMS);
			snprintf(path, sizeof(path), "plan.%s[%zu]",
				 groups[g].group, i);
			if ((rc = parse_item(v, path, groups[g].group,
					     groups[g].kinds, groups[g].dflt,
					     &out->items[out->nitems], e)))
				return rc;
			out->nitems++;
		}
	}
	if (!out->nitems)
		return qerr_set(
			e, Q_ERR_MISSING_FIELD, "plan",
			"plan: lists no purchase (compute, models or corpus)");
	return 0;
}

int profile_load_buf(const char *name, const char *buf, size_t len,
		     struct profile *out, struct qerr *e)
{
	json_t *j = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > PROFILE_MAX_BYTES)
		return qerr_set(e, Q_ERR_TOO_LARGE, "", "%s: above %u bytes",
				name, PROFILE_MAX_BYTES);
	rc = yamljson_load(name, buf, len, "a profile", &j, e);
	if (!rc)
		rc = profile_from_json(j, out, e);
	json_decref(j);
	return rc;
}

/* --- deciding the plan in one city ----------------------------------------------- */

/* The application the plan implies for item under measure m of p, as
 * text in the application format (malloc'd). */
static char *application_text(const struct profile *pr,
			      const struct profile_item *it,
			      const struct policy *p, int m,
			      const struct cost_city *city)
{
	char date[DATE_TEXT_MAX], number[48];
	char val[MONEY_TEXT_MAX];
	const char *sup = strcmp(pr->uscc, supplier_uscc[0]) ? supplier_uscc[0]
							     : supplier_uscc[1];
	json_t *compute, *j;
	char *text;

	date_format(pr->signed_on, date);
	snprintf(number, sizeof(number), "PLAN-%s", it->label);
	compute = it->has_compute ? json_pack("{s:s,s:I,s:I,s:s}", "chip",
					      it->chip, "accelerators",
					      (json_int_t)it->accelerators,
					      "hours", (json_int_t)it->hours,
					      "location", city->id)
				  : json_null();
	j = json_pack("{s:s,s:s,"
		      "s:{s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:n,s:[]},"
		      "s:{s:s,s:s,s:b,s:[]},"
		      "s:{s:s,s:s,s:s,s:s,s:I,s:b,s:[],s:o}}",
		      "program", p->program, "measure", p->measures[m].id,
		      "applicant", "uscc", pr->uscc, "name", pr->name,
		      "registered_city", city->id, "industry", pr->industry,
		      "sme", pr->sme, "startup", pr->startup,
		      "registered_model", pr->registered_model,
		      "last_bad_credit_on", "controllers", "supplier", "uscc",
		      sup, "name",
		      "unrelated supplier listed on the city's platform",
		      "platform_listed", 1, "controllers", "contract", "number",
		      number, "kind", kind_name(it->kind), "value",
		      money_format(it->value, val), "signed_on", date,
		      "term_months", (json_int_t)it->term_months,
		      "uses_registered_model", it->uses_registered_model,
		      "other_subsidies", "compute", compute);
	if (!j)
		return NULL;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static json_t *rule_j(const struct policy *p, uint32_t r)
{
	char at[600];

	return json_pack("{s:s,s:s?,s:s?,s:s}", "rule", p->rules[r].id, "says",
			 p->rules[r].says, "says_zh",
			 p->rules[r].says ? policy_rule_says(&p->rules[r], "zh")
					  : NULL,
			 "at", render_rule_at(p, r, at, sizeof(at)));
}

/* One measure's decision for one purchase: the subsidy, the rule that set
 * the rate, the caps that cut it, the rules not met. */
static json_t *decision_j(const struct policy *p, int m,
			  const struct decision *d, bool counted)
{
	char rate[RATE_TEXT_MAX];
	json_t *caps = json_array(), *unmet = json_array(), *j;

	for (uint16_t i = 0; i < d->ncaps; i++) {
		json_t *c = rule_j(p, d->caps[i].rule);

		json_object_set_new(c, "limit", money_j(d->caps[i].limit));
		json_object_set_new(c, "cut", money_j(d->caps[i].cut));
		json_array_append_new(caps, c);
	}
	for (uint16_t i = 0; i < d->nreasons; i++)
		json_array_append_new(unmet, rule_j(p, d->reasons[i]));
	j = json_pack(
		"{s:s,s:s?,s:b,s:s,s:o,s:o,s:o,s:o*,s:o,s:o,s:b}", "measure",
		p->measures[m].id, "name", p->measures[m].name, "eligible",
		d->eligible, "rate", rate_format(d->rate, rate), "base",
		money_j(d->base), "gross", money_j(d->gross), "amount",
		money_j(d->eligible ? d->amount : 0), "rate_rule",
		d->rate_rule >= 0 ? rule_j(p, (uint32_t)d->rate_rule) : NULL,
		"caps", caps, "not_met", unmet, "counted", counted);
	return j;
}

/* The figures of one city, kept for ranking and the explanation. */
struct city_result {
	const struct policy *p;
	const struct cost_city *city;
	money_t spend, subsidies, office, salaries, electricity, operating, net;
	json_t *j;
};

/* Decide every purchase of the plan under p. */
static int decide_plan(const struct profile *pr, const struct policy *p,
		       const struct chip_catalog *chips,
		       const struct cost_city *city, struct city_result *r,
		       json_t *items, struct qerr *e)
{
	money_t *by_measure =
		calloc(p->nmeasures ? p->nmeasures : 1, sizeof(*by_measure));
	struct decision *ds =
		calloc(p->nmeasures ? p->nmeasures : 1, sizeof(*ds));
	bool *tried = calloc(p->nmeasures ? p->nmeasures : 1, sizeof(*tried));
	money_t compute_year = 0;
	int rc = 0;

	if (!by_measure || !ds || !tried) {
		rc = nomem(e);
		goto out;
	}
	for (size_t i = 0; i < pr->nitems && !rc; i++) {
		const struct profile_item *it = &pr->items[i];
		json_t *decisions = json_array(), *item;
		int best = -1;

		memset(tried, 0, p->nmeasures * sizeof(*tried));
		for (size_t m = 0; m < p->nmeasures && !rc; m++) {
			struct history h = {.from_db = true,
					    .awarded_year = by_measure[m],
					    .compute_contracts_year =
						    compute_year};
			struct application a;
			char *text;

			if (!(p->measures[m].kinds & (1u << it->kind)))
				continue;
			text = application_text(pr, it, p, (int)m, city);
			if (!text) {
				rc = nomem(e);
				break;
			}
			rc = app_parse_json(text, strlen(text), &a, e);
			free(text);
			if (rc)
				break;
			/* Received on the day the plan signs, at 10:00. */
			rc = app_receive(&a,
					 (int64_t)pr->signed_on * 86400 +
						 10 * 3600 - DATE_OFFICE_OFFSET,
					 e);
			if (!rc)
				/* A plan names no real supplier: like the
				 * platform it is listed on, the supplier is
				 * taken to be on every named list of the
				 * program (a planned centre, a partner). */
				rc = decide_listed(
					p, &a, chips, &h,
					p->nlists
						? ((uint64_t)1 << p->nlists) - 1
						: 0,
					&ds[m], e);
			app_release(&a);
			if (rc) {
				char why[sizeof(e->msg)];

				memcpy(why, e->msg, sizeof(why));
				qerr_set(e, rc, e->field, "%s, %s, %s: %s",
					 p->program, p->measures[m].id,
					 it->label, why);
				break;
			}
			tried[m] = true;
			if (ds[m].eligible &&
			    (best < 0 || ds[m].amount > ds[best].amount))
				best = (int)m;
		}
		for (size_t m = 0; !rc && m < p->nmeasures; m++)
			if (tried[m])
				json_array_append_new(
					decisions, decision_j(p, (int)m, &ds[m],
							      (int)m == best));
		if (!rc && best >= 0 &&
		    (money_add(by_measure[best], ds[best].amount,
			       &by_measure[best]) ||
		     money_add(r->subsidies, ds[best].amount, &r->subsidies)))
			rc = qerr_set(e, Q_ERR_OVERFLOW, "",
				      "subsidies overflow");
		if (!rc && money_add(r->spend, it->value, &r->spend))
			rc = qerr_set(e, Q_ERR_OVERFLOW, "", "spend overflow");
		if (!rc && is_compute_kind(it->kind) &&
		    money_add(compute_year, it->value, &compute_year))
			rc = qerr_set(e, Q_ERR_OVERFLOW, "", "spend overflow");
		item = json_pack(
			"{s:s,s:s,s:o,s:s?,s:o,s:o}", "item", it->label, "kind",
			kind_name(it->kind), "value", money_j(it->value),
			"measure", best >= 0 ? p->measures[best].id : NULL,
			"subsidy", money_j(best >= 0 ? ds[best].amount : 0),
			"decisions", decisions);
		if (!rc && (!item || json_array_append_new(items, item)))
			rc = nomem(e);
		else if (rc)
			json_decref(item);
	}
out:
	free(by_measure);
	free(ds);
	free(tried);
	return rc;
}

/* One cost line: the figure, what it was multiplied by, and where it
 * comes from; unit and quantity_unit with their Chinese twins. */
static json_t *figure_j(const struct cost_figure *f, const char *const unit[2],
			int64_t quantity, const char *const quantity_unit[2],
			money_t amount)
{
	assert(unit[0] && unit[1]);
	assert(quantity_unit[0] && quantity_unit[1]);
	return json_pack("{s:o,s:o,s:s,s:s,s:I,s:s,s:s,s:s?,s:s,s:s?,s:s,s:s?,"
			 "s:s?,s:b}",
			 "amount", money_j(amount), "rate", money_j(f->amount),
			 "unit", unit[0], "unit_zh", unit[1], "quantity",
			 (json_int_t)quantity, "quantity_unit",
			 quantity_unit[0], "quantity_unit_zh", quantity_unit[1],
			 "published_as", f->published_as, "source", f->source,
			 "url", f->url, "as_of", f->as_of, "assumption",
			 f->assumption, "assumption_zh", f->assumption_zh,
			 "is_assumption", f->assumption != NULL);
}

/* Operating costs of the firm in city: office rent, salaries and
 * electricity for the year. */
static int operating(const struct profile *pr, const struct cost_city *c,
		     struct city_result *r, struct qerr *e)
{
	if (money_mul_int(c->rent.amount, pr->office_m2, &r->office) ||
	    money_mul_int(c->salary.amount, pr->head_count, &r->salaries) ||
	    money_scale(c->electricity.amount, pr->electricity_kwh, 1000,
			&r->electricity) ||
	    money_add(r->office, r->salaries, &r->operating) ||
	    money_add(r->operating, r->electricity, &r->operating) ||
	    money_add(r->spend, r->operating, &r->net) ||
	    money_sub(r->net, r->subsidies, &r->net))
		return qerr_set(e, Q_ERR_OVERFLOW, "",
				"the operating costs in '%s' overflow", c->id);
	return 0;
}

static int by_net(const void *x, const void *y)
{
	const struct city_result *a = x, *b = y;

	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	return strcmp(a->p->program, b->p->program);
}

/* "+1200.00" / "-1200.00": a difference as a signed string. */
static json_t *diff_j(money_t d)
{
	char b[MONEY_TEXT_MAX + 1];

	b[0] = d >= 0 ? '+' : '-';
	money_format(d >= 0 ? d : -d, b + 1);
	return json_string(b);
}

/* What the winner was paid for, in words: "compute-early 4659200.00". */
static void paid_for(const json_t *items, char *buf, size_t n)
{
	size_t i, used = 0;
	json_t *it;

	buf[0] = '\0';
	json_array_foreach(items, i, it)
	{
		const char *m =
			json_string_value(json_object_get(it, "measure"));
		int k;

		if (!m)
			continue;
		k = snprintf(buf + used, n - used, "%s%s %s %s",
			     used ? ", " : "",
			     json_string_value(json_object_get(it, "item")), m,
			     json_string_value(json_object_get(it, "subsidy")));
		if (k < 0 || (size_t)k >= n - used)
			break;
		used += (size_t)k;
	}
}

/* Why the first city beats the second: the difference in subsidies and in
 * each operating cost, and a sentence. */
static json_t *why_j(const struct city_result *w, const struct city_result *r)
{
	money_t margin = r->net - w->net; /* both fit: checked sums */
	money_t dsub = w->subsidies - r->subsidies;
	money_t dcost = r->operating - w->operating;
	money_t dspend = r->spend - w->spend;
	char m[4][MONEY_TEXT_MAX], items[1024], text[2048], zh[2048];
	const char *basis;

	paid_for(json_object_get(w->j, "items"), items, sizeof(items));
	if (dsub >= 0 && dcost >= 0) {
		basis = "both";
		snprintf(
			text, sizeof(text),
			"%s (%s) has the lowest net cost, %s yuan below %s (%s): "
			"its subsidies are %s yuan higher (%s) and its operating costs %s yuan lower",
			w->p->program, w->city->name,
			money_format(margin, m[0]), r->p->program,
			r->city->name, money_format(dsub, m[1]), items,
			money_format(dcost, m[2]));
		snprintf(zh, sizeof(zh),
			 "%s（%s）净成本最低，比%s（%s）低%s元：补贴高出%s元"
			 "（%s），运营成本低%s元",
			 w->p->program, w->city->name_zh, r->p->program,
			 r->city->name_zh, m[0], m[1], items, m[2]);
	} else if (dsub >= 0) {
		basis = "subsidies";
		snprintf(
			text, sizeof(text),
			"%s (%s) has the lowest net cost, %s yuan below %s (%s): "
			"its subsidies are %s yuan higher (%s), which outweighs operating costs %s yuan higher",
			w->p->program, w->city->name,
			money_format(margin, m[0]), r->p->program,
			r->city->name, money_format(dsub, m[1]), items,
			money_format(-dcost, m[2]));
		snprintf(zh, sizeof(zh),
			 "%s（%s）净成本最低，比%s（%s）低%s元：补贴高出%s元"
			 "（%s），足以抵消高出%s元的运营成本",
			 w->p->program, w->city->name_zh, r->p->program,
			 r->city->name_zh, m[0], m[1], items, m[2]);
	} else {
		basis = "costs";
		snprintf(
			text, sizeof(text),
			"%s (%s) has the lowest net cost, %s yuan below %s (%s): "
			"its operating costs are %s yuan lower, which outweighs subsidies %s yuan lower (%s)",
			w->p->program, w->city->name,
			money_format(margin, m[0]), r->p->program,
			r->city->name, money_format(dcost, m[1]),
			money_format(-dsub, m[2]), items);
		snprintf(
			zh, sizeof(zh),
			"%s（%s）净成本最低，比%s（%s）低%s元：运营成本低%s元，"
			"足以抵消少%s元的补贴（%s）",
			w->p->program, w->city->name_zh, r->p->program,
			r->city->name_zh, m[0], m[1], m[2], items);
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
			 "s:s,s:s}",
			 "winner", w->p->program, "winner_city", w->city->id,
			 "runner_up", r->p->program, "runner_up_city",
			 r->city->id, "basis", basis, "margin", money_j(margin),
			 "subsidies_diff", diff_j(dsub), "operating_diff",
			 diff_j(dcost), "office_diff",
			 diff_j(r->office - w->office), "salaries_diff",
			 diff_j(r->salaries - w->salaries), "electricity_diff",
			 diff_j(r->electricity - w->electricity), "spend_diff",
			 diff_j(dspend), "text", text, "text_zh", zh);
}

/* The cost lines' units, in English and in Chinese. */
static const char *const rent_unit[2] = {"yuan per m2 per year",
					 "元/平方米/年"};
static const char *const salary_unit[2] = {"yuan per AI engineer per year",
					   "元/人工智能工程师/年"};
static const char *const power_unit[2] = {"yuan per MWh", "元/兆瓦时"};
static const char *const m2[2] = {"m2", "平方米"};
static const char *const people[2] = {"people", "人"};
static const char *const kwh[2] = {"kWh", "千瓦时"};

static json_t *city_j(const struct profile *pr, struct city_result *r,
		      json_t *items)
{
	const struct cost_city *c = r->city;

	return json_pack(
		"{s:s,s:s?,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o},s:o}",
		"program", r->p->program, "program_name", r->p->name, "city",
		c->id, "city_name", c->name, "city_name_zh", c->name_zh,
		"planned_spend", money_j(r->spend), "subsidies",
		money_j(r->subsidies), "operating_costs", money_j(r->operating),
		"net_cost", money_j(r->net), "costs", "office",
		figure_j(&c->rent, rent_unit, pr->office_m2, m2, r->office),
		"salaries",
		figure_j(&c->salary, salary_unit, pr->head_count, people,
			 r->salaries),
		"electricity",
		figure_j(&c->electricity, power_unit, pr->electricity_kwh, kwh,
			 r->electricity),
		"items", items);
}

static const char *const notes[] = {
	"every contract of the plan is signed on plan.signed_on and submitted that day at 10:00 local time",
	"the applicant is registered in each program's city; the supplier is unrelated, listed on the city's platform and on every supplier list the program names (Hangzhou's planned centres and matchmaking partners), and the compute is located in the city",
	"one claim per contract: for each purchase the measure paying most is counted, the others are shown",
	"yearly caps per applicant count the plan's earlier purchases under the same measure; rates are the published ceilings, a reviewer may approve less",
	"operating costs: office rent per m2 per year x office_m2, one AI engineer's salary per year x head_count, electricity per MWh x electricity_kwh / 1000; a figure marked as an assumption is not a published one (data/costs.yaml says why)",
	"net cost = planned spend + operating costs - subsidies",
};

/* The notes in Chinese, one for one (the office's own wording). */
static const char *const notes_zh[] = {
	"计划中的每份合同均于 plan.signed_on 签订，并于当日当地时间10:00提交",
	"申请人在各项目所在城市注册；供应商与申请人无关联，已在该城市的平台和项目列出的每份供应商名单上登记（杭州的规划中心和对接合作方），算力位于该城市",
	"每份合同只申请一次：每笔采购计入补贴最多的措施，其余措施一并列出",
	"每个申请人的年度上限计入计划中同一措施下较早的采购；比例为公布的最高比例，评审人可以批准得更少",
	"运营成本：办公室每平方米年租金 × office_m2，一名人工智能工程师的年薪 × head_count，每兆瓦时电价 × electricity_kwh ÷ 1000；标为假设的数字不是公开发布的数字（原因见 data/costs.yaml）",
	"净成本 = 计划支出 + 运营成本 − 补贴",
};

int compare_run(const struct profile *pr, const struct policy *const *policies,
		size_t n, const struct chip_catalog *chips,
		const struct cost_table *costs, json_t **out, struct qerr *e)
{
	struct city_result *rs;
	json_t *cities = NULL, *ns = NULL, *nz = NULL;
	size_t richest = 0, cheapest = 0;
	char date[DATE_TEXT_MAX];
	int rc = 0;

	*out = NULL;
	if (n == 0 || n > COMPARE_MAX_PROGRAMS)
		return qerr_set(e, Q_ERR_INVALID, "",
				"compare 1 to %d programs, not %zu",
				COMPARE_MAX_PROGRAMS, n);
	rs = calloc(n, sizeof(*rs));
	if (!rs)
		return nomem(e);
	for (size_t i = 0; i < n && !rc; i++) {
		json_t *items = json_array();

		rs[i].p = policies[i];
		rs[i].city = costs_city_of(costs, policies[i]->program);
		if (!items) {
			rc = nomem(e);
		} else if (!rs[i].city) {
			rc = qerr_set(
				e, Q_ERR_INVALID, "",
				"no city in the cost table lists program '%s'",
				policies[i]->program);
		} else if (!(rc = decide_plan(pr, policies[i], chips,
					      rs[i].city, &rs[i], items, e)) &&
			   !(rc = operating(pr, rs[i].city, &rs[i], e))) {
			rs[i].j = city_j(pr, &rs[i], items);
			items = NULL;
			if (!rs[i].j)
				rc = nomem(e);
		}
		json_decref(items);
	}
	if (rc)
		goto out;
	qsort(rs, n, sizeof(*rs), by_net);
	cities = json_array();
	ns = json_array();
	nz = json_array();
	if (!cities || !ns || !nz) {
		rc = nomem(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object_set_new(rs[i].j, "rank", json_integer((int)i + 1));
		if (rs[i].subsidies > rs[richest].subsidies)
			richest = i;
		if (rs[i].operating < rs[cheapest].operating)
			cheapest = i;
		json_array_append(cities, rs[i].j);
	}
	static_assert(sizeof(notes) == sizeof(notes_zh),
		      "a Chinese note for every note");
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		json_array_append_new(ns, json_string(notes[i]));
		json_array_append_new(nz, json_string(notes_zh[i]));
	}
	*out = json_pack(
		"{s:{s:s,s:s,s:b,s:b,s:b,s:I,s:I},s:s,s:I,s:O,s:s,s:o*,"
		"s:{s:s,s:s,s:o},s:{s:s,s:s,s:o},s:O,s:O}",
		"firm", "uscc", pr->uscc, "name", pr->name, "sme", pr->sme,
		"startup", pr->startup, "registered_model",
		pr->registered_model, "head_count", (json_int_t)pr->head_count,
		"office_m2", (json_int_t)pr->office_m2, "signed_on",
		date_format(pr->signed_on, date), "electricity_kwh",
		(json_int_t)pr->electricity_kwh, "cities", cities, "winner",
		rs[0].p->program, "why", n > 1 ? why_j(&rs[0], &rs[1]) : NULL,
		"richest", "program", rs[richest].p->program, "city",
		rs[richest].city->id, "subsidies",
		money_j(rs[richest].subsidies), "cheapest", "program",
		rs[cheapest].p->program, "city", rs[cheapest].city->id,
		"operating_costs", money_j(rs[cheapest].operating), "notes", ns,
		"notes_zh", nz);
	if (!*out)
		rc = nomem(e);
out:
	for (size_t i = 0; i < n; i++)
		json_decref(rs[i].j);
	json_decref(cities);
	json_decref(ns);
	json_decref(nz);
	free(rs);
	return rc;
}
