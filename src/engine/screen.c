#include "engine/screen.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/render.h"

static const char *const flag_names[SCREEN__COUNT] = {
	[SCREEN_RELATED_PARTY] = "related_party",
	[SCREEN_DUPLICATE_CLAIM] = "duplicate_claim",
	[SCREEN_CONTRACT_SPLITTING] = "contract_splitting",
	[SCREEN_PRICE] = "price_above_reference",
	[SCREEN_RESTRICTED_LIST] = "restricted_list",
	[SCREEN_COMPUTE_REGION] = "compute_outside_region",
};

const char *screen_flag_name(enum screen_kind k)
{
	return (unsigned)k < SCREEN__COUNT ? flag_names[k] : "?";
}

/* A new flag of screen k, or NULL when the result is full (cannot happen
 * with the screens as they are: asserted by the sizes). */
static struct screen_flag *flag_new(struct screen_result *r,
				    const struct policy_screen *sc,
				    enum screen_kind k)
{
	struct screen_flag *f;

	if (r->nflags >= SCREEN_MAX_FLAGS)
		return NULL;
	f = &r->flags[r->nflags++];
	memset(f, 0, sizeof(*f));
	f->kind = (uint8_t)k;
	f->action = sc->action;
	f->rule = sc->rule;
	if (sc->action == SCREEN_BLOCK)
		r->blocked = true;
	return f;
}

/* --- related party ------------------------------------------------------- */

/* Everyone known to control one firm, and where each is known from. */
struct party_ctrl {
	const char *uscc;
	size_t n;
	const char *ids[APP_MAX_CONTROLLERS + SCREEN_MAX_CONTROLLERS];
	char from[APP_MAX_CONTROLLERS + SCREEN_MAX_CONTROLLERS][SCREEN_TEXT];
};

static int gather(const struct app_party *pa, const struct screen_io *io,
		  struct screen_controller *reg, struct party_ctrl *pc,
		  struct qerr *e)
{
	size_t nreg = 0;
	int rc;

	pc->uscc = pa->uscc;
	pc->n = 0;
	for (size_t i = 0; i < pa->ncontrollers && i < APP_MAX_CONTROLLERS;
	     i++) {
		pc->ids[pc->n] = pa->controllers[i];
		snprintf(pc->from[pc->n], SCREEN_TEXT, "application");
		pc->n++;
	}
	if (!io || !io->controllers)
		return Q_OK;
	rc = io->controllers(io->ctx, pa->uscc, reg, SCREEN_MAX_CONTROLLERS,
			     &nreg, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < nreg && i < SCREEN_MAX_CONTROLLERS; i++) {
		pc->ids[pc->n] = reg[i].id;
		snprintf(pc->from[pc->n], SCREEN_TEXT, "registry: %.100s",
			 reg[i].source);
		pc->n++;
	}
	return Q_OK;
}

static const char *known_from(const struct party_ctrl *pc, const char *id)
{
	for (size_t i = 0; i < pc->n; i++)
		if (!strcmp(pc->ids[i], id))
			return pc->from[i];
	return NULL;
}

/* The registry's rows while the screen runs: about 40 KiB, so on the heap
 * rather than on a server thread's stack. */
struct related_scratch {
	struct screen_controller reg_a[SCREEN_MAX_CONTROLLERS];
	struct screen_controller reg_s[SCREEN_MAX_CONTROLLERS];
	struct party_ctrl ca, cs;
};

/* Whether id is among the first APP_MAX_CONTROLLERS controllers of pa,
 * as gather() takes them. */
static bool app_controls(const struct app_party *pa, const char *id)
{
	for (size_t i = 0; i < pa->ncontrollers && i < APP_MAX_CONTROLLERS; i++)
		if (!strcmp(pa->controllers[i], id))
			return true;
	return false;
}

/* screen_related without a registry to ask (a simulation): only the
 * application's controllers, each known from "application". The same
 * checks in the same order as screen_related, so the same flag, without
 * its 40 KiB of scratch: this runs once per simulated application. */
static void screen_related_app(const struct policy_screen *sc,
			       const struct application *a,
			       struct screen_result *r)
{
	const struct app_party *ap = &a->applicant, *sp = &a->supplier;
	bool app_ctl = app_controls(sp, ap->uscc);
	struct screen_flag *f;

	if (app_ctl || app_controls(ap, sp->uscc)) {
		f = flag_new(r, sc, SCREEN_RELATED_PARTY);
		if (f) {
			f->how = SCREEN_CONTROLS;
			snprintf(f->controller, sizeof(f->controller), "%s",
				 app_ctl ? ap->uscc : sp->uscc);
			snprintf(app_ctl ? f->supplier_from : f->applicant_from,
				 SCREEN_TEXT, "%s", "application");
		}
		return;
	}
	for (size_t i = 0; i < ap->ncontrollers && i < APP_MAX_CONTROLLERS;
	     i++) {
		if (!app_controls(sp, ap->controllers[i]))
			continue;
		f = flag_new(r, sc, SCREEN_RELATED_PARTY);
		if (f) {
			f->how = SCREEN_SHARED_CONTROLLER;
			snprintf(f->controller, sizeof(f->controller), "%s",
				 ap->controllers[i]);
			snprintf(f->applicant_from, SCREEN_TEXT, "%s",
				 "application");
			snprintf(f->supplier_from, SCREEN_TEXT, "%s",
				 "application");
		}
		return;
	}
}

static int screen_related(const struct policy_screen *sc,
			  const struct application *a,
			  const struct screen_io *io, struct screen_result *r,
			  struct qerr *e)
{
	struct related_scratch *x;
	struct screen_flag *f = NULL;
	const char *from;
	int rc;

	if ((!io || !io->controllers) &&
	    strcmp(a->applicant.uscc, a->supplier.uscc)) {
		screen_related_app(sc, a, r);
		return Q_OK;
	}
	x = malloc(sizeof(*x));
	if (!x)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	if (!strcmp(a->applicant.uscc, a->supplier.uscc)) {
		f = flag_new(r, sc, SCREEN_RELATED_PARTY);
		if (f) {
			f->how = SCREEN_SAME_USCC;
			snprintf(f->uscc, sizeof(f->uscc), "%s",
				 a->applicant.uscc);
		}
		free(x);
		return Q_OK;
	}
	rc = gather(&a->applicant, io, x->reg_a, &x->ca, e);
	if (!rc)
		rc = gather(&a->supplier, io, x->reg_s, &x->cs, e);
	if (rc)
		goto out;
	/* One side among the other's controllers: a parent and its
	 * subsidiary. */
	if ((from = known_from(&x->cs, a->applicant.uscc)) ||
	    (from = known_from(&x->ca, a->supplier.uscc))) {
		bool app_controls = known_from(&x->cs, a->applicant.uscc);

		f = flag_new(r, sc, SCREEN_RELATED_PARTY);
		if (f) {
			f->how = SCREEN_CONTROLS;
			snprintf(f->controller, sizeof(f->controller), "%s",
				 app_controls ? a->applicant.uscc
					      : a->supplier.uscc);
			snprintf(app_controls ? f->supplier_from
					      : f->applicant_from,
				 SCREEN_TEXT, "%s", from);
		}
		goto out;
	}
	for (size_t i = 0; i < x->ca.n; i++) {
		from = known_from(&x->cs, x->ca.ids[i]);
		if (!from)
			continue;
		f = flag_new(r, sc, SCREEN_RELATED_PARTY);
		if (f) {
			f->how = SCREEN_SHARED_CONTROLLER;
			snprintf(f->controller, sizeof(f->controller), "%s",
				 x->ca.ids[i]);
			snprintf(f->applicant_from, SCREEN_TEXT, "%s",
				 x->ca.from[i]);
			snprintf(f->supplier_from, SCREEN_TEXT, "%s", from);
		}
		break;
	}
out:
	free(x);
	return rc;
}

/* --- contracts: duplicate claims and splitting ---------------------------------- */

static void query_of(const struct application *a, struct screen_query *q)
{
	q->app_id = a->id;
	q->applicant = a->applicant.uscc;
	q->supplier = a->supplier.uscc;
	q->number = a->contract.number;
	q->value = a->contract.value;
	q->signed_on = a->contract.signed_on;
}

static int screen_duplicate(const struct policy_screen *sc,
			    const struct application *a,
			    const struct screen_io *io, struct screen_result *r,
			    struct qerr *e)
{
	struct screen_contract refs[SCREEN_MAX_REFS];
	struct screen_query q;
	struct screen_flag *f;
	size_t n = 0;
	int rc;

	if (!io || !io->same_contract)
		return Q_OK;
	query_of(a, &q);
	rc = io->same_contract(io->ctx, &q, sc->window_days, refs,
			       SCREEN_MAX_REFS, &n, e);
	if (rc || n == 0)
		return rc;
	f = flag_new(r, sc, SCREEN_DUPLICATE_CLAIM);
	if (!f)
		return Q_OK;
	f->window_days = sc->window_days;
	f->nrefs = (uint8_t)(n < SCREEN_MAX_REFS ? n : SCREEN_MAX_REFS);
	memcpy(f->refs, refs, f->nrefs * sizeof(refs[0]));
	return Q_OK;
}

static int screen_splitting(const struct policy_screen *sc,
			    const struct application *a,
			    const struct screen_io *io, struct screen_result *r,
			    struct qerr *e)
{
	struct screen_contract refs[SCREEN_MAX_REFS];
	struct screen_query q;
	struct screen_flag *f;
	money_t band, floor, sum = 0, total;
	int64_t count = 0;
	size_t n = 0;
	int rc;

	if (!io || !io->between)
		return Q_OK;
	if (money_apply_rate(sc->threshold, sc->just_under, &band) ||
	    money_sub(sc->threshold, band, &floor))
		return qerr_set(e, Q_ERR_OVERFLOW, "",
				"contract-splitting: threshold overflow");
	if (a->contract.value < floor || a->contract.value >= sc->threshold)
		return Q_OK;
	query_of(a, &q);
	rc = io->between(io->ctx, &q, a->contract.signed_on - sc->window_days,
			 a->contract.signed_on + sc->window_days, floor,
			 sc->threshold, refs, SCREEN_MAX_REFS, &n, &count, &sum,
			 e);
	if (rc || count == 0)
		return rc;
	if (money_add(sum, a->contract.value, &total))
		return qerr_set(e, Q_ERR_OVERFLOW, "",
				"contract-splitting: total overflow");
	if (total <= sc->threshold)
		return Q_OK;
	f = flag_new(r, sc, SCREEN_CONTRACT_SPLITTING);
	if (!f)
		return Q_OK;
	f->threshold = sc->threshold;
	f->floor = floor;
	f->total = total;
	f->count = count + 1;
	f->window_days = sc->window_days;
	f->nrefs = (uint8_t)(n < SCREEN_MAX_REFS ? n : SCREEN_MAX_REFS);
	memcpy(f->refs, refs, f->nrefs * sizeof(refs[0]));
	return Q_OK;
}

/* --- price, lists, region ------------------------------------------------------ */

static bool is_null(const struct facts *f, enum field_id id)
{
	return f->null_mask & (UINT64_C(1) << id);
}

static int screen_price(const struct policy_screen *sc, const struct facts *fa,
			struct screen_result *r, struct qerr *e)
{
	money_t price, ref, lhs, rhs, limit;
	struct screen_flag *f;

	if (!fa->i[F_COMPUTE_PRESENT] ||
	    is_null(fa, F_COMPUTE_PRICE_PER_H100_HOUR) ||
	    is_null(fa, F_COMPUTE_REF_PRICE_PER_H100_HOUR))
		return Q_OK;
	price = fa->i[F_COMPUTE_PRICE_PER_H100_HOUR];
	ref = fa->i[F_COMPUTE_REF_PRICE_PER_H100_HOUR];
	/* price > ref x factor, exactly: no rounding decides a flag. */
	if (money_mul_int(price, RATE_BP_ONE, &lhs) ||
	    money_mul_int(ref, sc->factor, &rhs) ||
	    money_scale(ref, sc->factor, RATE_BP_ONE, &limit))
		return qerr_set(
			e, Q_ERR_OVERFLOW, "",
			"price: the price per H100-equivalent hour overflows");
	if (lhs <= rhs)
		return Q_OK;
	f = flag_new(r, sc, SCREEN_PRICE);
	if (f) {
		f->price = price;
		f->reference = ref;
		f->factor = sc->factor;
		f->limit = limit;
	}
	return Q_OK;
}

static int screen_lists(const struct policy_screen *sc,
			const struct application *a, const struct screen_io *io,
			struct screen_result *r, struct qerr *e)
{
	const char *parties[2] = {a->applicant.uscc, a->supplier.uscc};

	if (!io || !io->listed)
		return Q_OK;
	for (int l = 0; l < 2; l++) {
		if (!(sc->lists & (1u << l)))
			continue;
		for (int p = 0; p < 2; p++) {
			struct screen_listing li;
			struct screen_flag *f;
			int hit = io->listed(io->ctx, (enum screen_list)l,
					     parties[p], &li, e);

			if (hit < 0)
				return e->code ? e->code : Q_ERR_IO;
			if (!hit)
				continue;
			f = flag_new(r, sc, SCREEN_RESTRICTED_LIST);
			if (!f)
				return Q_OK;
			f->list = (uint8_t)l;
			f->party = (uint8_t)p;
			snprintf(f->uscc, sizeof(f->uscc), "%s", parties[p]);
			f->listing = li;
		}
	}
	return Q_OK;
}

static void screen_region(const struct policy_screen *sc,
			  const struct application *a, struct screen_result *r)
{
	struct screen_flag *f;

	if (!a->contract.has_compute)
		return;
	for (uint8_t i = 0; i < sc->nregions; i++)
		if (!strcmp(a->contract.compute.location, sc->regions[i]))
			return;
	f = flag_new(r, sc, SCREEN_COMPUTE_REGION);
	if (f)
		snprintf(f->location, sizeof(f->location), "%s",
			 a->contract.compute.location);
}

int screen_run(const struct policy *p, int m, const struct application *a,
	       const struct facts *f, const struct screen_io *io,
	       struct screen_result *out, struct qerr *e)
{
	const struct policy_screen *sc = p->measures[m].screens;
	int rc = Q_OK;

	out->nflags = 0;
	out->blocked = false;
	for (int k = 0; !rc && k < SCREEN__COUNT; k++) {
		if (sc[k].action == SCREEN_OFF)
			continue;
		switch ((enum screen_kind)k) {
		case SCREEN_RELATED_PARTY:
			rc = screen_related(&sc[k], a, io, out, e);
			break;
		case SCREEN_DUPLICATE_CLAIM:
			rc = screen_duplicate(&sc[k], a, io, out, e);
			break;
		case SCREEN_CONTRACT_SPLITTING:
			rc = screen_splitting(&sc[k], a, io, out, e);
			break;
		case SCREEN_PRICE:
			rc = screen_price(&sc[k], f, out, e);
			break;
		case SCREEN_RESTRICTED_LIST:
			rc = screen_lists(&sc[k], a, io, out, e);
			break;
		case SCREEN_COMPUTE_REGION:
			screen_region(&sc[k], a, out);
			break;
		case SCREEN__COUNT:
			break;
		}
	}
	return rc;
}

/* --- blocking ------------------------------------------------------------------------ */

int screen_supplier_lists(const struct policy *p, const char *uscc,
			  const struct screen_io *io, uint64_t *bits,
			  struct qerr *e)
{
	assert(p && uscc && bits);
	assert(p->nlists <= 64);
	*bits = 0;
	if (p->nlists == 0)
		return Q_OK;
	if (!io || !io->listed_in)
		return qerr_set(
			e, Q_ERR_INVALID, "supplier.uscc",
			"supplier.uscc: the policy's supplier lists cannot be looked up here");
	for (size_t k = 0; k < p->nlists; k++) {
		int hit = io->listed_in(io->ctx, p->lists[k].id, uscc, e);

		if (hit < 0)
			return e && e->code ? e->code : Q_ERR_IO;
		if (hit)
			*bits |= (uint64_t)1 << k;
	}
	return Q_OK;
}

void screen_block(struct decision *d, const uint32_t *rules, size_t n)
{
	if (n == 0)
		return;
	d->eligible = false;
	d->rate = 0;
	d->rate_rule = -1;
	d->base = d->gross = d->amount = d->review_up_to = 0;
	d->ncaps = 0;
	d->nflags = 0;
	d->nfunders = 0;
	for (size_t i = 0; i < n; i++) {
		if (d->nreasons < DECISION_MAX_REASONS)
			d->reasons[d->nreasons++] = rules[i];
		if (d->ntrace < DECISION_MAX_TRACE) {
			d->trace[d->ntrace].rule = rules[i];
			d->trace[d->ntrace].outcome = TRACE_FAILED;
			d->trace[d->ntrace].value = 0;
			d->ntrace++;
		} else {
			d->trace_truncated++;
		}
	}
}

void screen_block_result(struct decision *d, const struct screen_result *r)
{
	uint32_t rules[SCREEN_MAX_FLAGS];
	size_t n = 0;

	for (uint8_t i = 0; i < r->nflags; i++) {
		bool seen = false;

		if (r->flags[i].action != SCREEN_BLOCK)
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= rules[j] == r->flags[i].rule;
		if (!seen)
			rules[n++] = r->flags[i].rule;
	}
	screen_block(d, rules, n);
}

/* --- rendering ------------------------------------------------------------------------ */

static int put(json_t *o, const char *k, json_t *v)
{
	if (!o || !v)
		return -1;
	return json_object_set_new(o, k, v);
}

static json_t *money_json(money_t m)
{
	char buf[MONEY_TEXT_MAX];

	return json_string(money_format(m, buf));
}

static json_t *refs_json(const struct screen_flag *f)
{
	json_t *arr = json_array();
	char buf[16];

	for (uint8_t i = 0; arr && i < f->nrefs; i++) {
		const struct screen_contract *c = &f->refs[i];
		json_t *o =
			json_pack("{s:s,s:s,s:s,s:o,s:s}", "application",
				  c->app, "program", c->program, "number",
				  c->number, "value", money_json(c->value),
				  "signed_on", date_format(c->signed_on, buf));

		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static const char *const how_names[] = {"same_uscc", "shared_controller",
					"controls"};
static const char *const party_names[] = {"applicant", "supplier"};

/* The flag's evidence in Chinese, as evidence_json words it in English:
 * the office's own wording, with the same numbers, ids and USCCs. */
static void evidence_words_zh(const struct screen_flag *f, char *words,
			      size_t n)
{
	static const char *const party_zh[] = {"申请人", "供应商"};
	char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX], m3[MONEY_TEXT_MAX];
	char rt[RATE_TEXT_MAX];

	assert(words && n > 0);
	assert(f->party < 2);
	words[0] = '\0';
	switch ((enum screen_kind)f->kind) {
	case SCREEN_RELATED_PARTY:
		if (f->how == SCREEN_SAME_USCC)
			snprintf(words, n, "申请人与供应商为同一企业（%s）",
				 f->uscc);
		else if (f->how == SCREEN_CONTROLS)
			snprintf(words, n, "%s 控制另一方（%s）", f->controller,
				 f->applicant_from[0] ? f->applicant_from
						      : f->supplier_from);
		else
			snprintf(
				words, n,
				"申请人与供应商有共同控制人 %s（申请人：%s；供应商：%s）",
				f->controller, f->applicant_from,
				f->supplier_from);
		break;
	case SCREEN_DUPLICATE_CLAIM:
		snprintf(words, n, "同一合同此前已申领：申请 %s（%s）%s",
			 f->refs[0].app, f->refs[0].program,
			 f->nrefs > 1 ? "等" : "");
		break;
	case SCREEN_CONTRACT_SPLITTING:
		snprintf(
			words, n,
			"同一双方在 %d 日内签订 %lld 份合同，每份略低于 %s 元，合计 %s 元",
			f->window_days, (long long)f->count,
			money_format(f->threshold, m1),
			money_format(f->total, m2));
		break;
	case SCREEN_PRICE:
		snprintf(
			words, n,
			"每 H100 等效小时 %s 元，高于参考价 %s 元的 %s（%s 元）",
			money_format(f->price, m1),
			money_format(f->reference, m2),
			rate_format(f->factor, rt), money_format(f->limit, m3));
		break;
	case SCREEN_RESTRICTED_LIST:
		snprintf(words, n, "%s %s 在%s名单上%s%s", party_zh[f->party],
			 f->uscc,
			 f->list == SCREEN_LIST_DISHONEST ? "失信主体"
							  : "本办公室限制",
			 f->listing.reason[0] ? "：" : "", f->listing.reason);
		break;
	case SCREEN_COMPUTE_REGION:
		snprintf(words, n, "所租算力位于“%s”", f->location);
		break;
	case SCREEN__COUNT:
		break;
	}
}

static json_t *evidence_json(const struct policy *p,
			     const struct screen_flag *f, char *words, size_t n)
{
	char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX], m3[MONEY_TEXT_MAX];
	char rt[RATE_TEXT_MAX];
	json_t *o = NULL;

	switch ((enum screen_kind)f->kind) {
	case SCREEN_RELATED_PARTY:
		if (f->how == SCREEN_SAME_USCC) {
			o = json_pack("{s:s,s:s}", "how", how_names[f->how],
				      "uscc", f->uscc);
			snprintf(words, n,
				 "applicant and supplier are one firm (%s)",
				 f->uscc);
		} else {
			o = json_pack("{s:s,s:s}", "how", how_names[f->how],
				      "controller", f->controller);
			if (o && f->applicant_from[0])
				put(o, "applicant_from",
				    json_string(f->applicant_from));
			if (o && f->supplier_from[0])
				put(o, "supplier_from",
				    json_string(f->supplier_from));
			if (f->how == SCREEN_CONTROLS)
				snprintf(words, n,
					 "%s controls the other party (%s)",
					 f->controller,
					 f->applicant_from[0]
						 ? f->applicant_from
						 : f->supplier_from);
			else
				snprintf(
					words, n,
					"applicant and supplier share the controller %s (applicant: %s; supplier: %s)",
					f->controller, f->applicant_from,
					f->supplier_from);
		}
		break;
	case SCREEN_DUPLICATE_CLAIM:
		o = json_pack("{s:o,s:i}", "claims", refs_json(f),
			      "window_days", f->window_days);
		snprintf(
			words, n,
			"the same contract was claimed before: application %s (%s)%s",
			f->refs[0].app, f->refs[0].program,
			f->nrefs > 1 ? " and others" : "");
		break;
	case SCREEN_CONTRACT_SPLITTING:
		o = json_pack("{s:o,s:o,s:o,s:I,s:i,s:o}", "threshold",
			      money_json(f->threshold), "just_under_from",
			      money_json(f->floor), "total",
			      money_json(f->total), "contracts",
			      (json_int_t)f->count, "window_days",
			      f->window_days, "earlier", refs_json(f));
		snprintf(
			words, n,
			"%lld contracts between the same parties within %d days, each just under %s yuan, together %s yuan",
			(long long)f->count, f->window_days,
			money_format(f->threshold, m1),
			money_format(f->total, m2));
		break;
	case SCREEN_PRICE:
		o = json_pack("{s:o,s:o,s:s,s:o}", "price_per_h100_hour",
			      money_json(f->price), "reference_per_h100_hour",
			      money_json(f->reference), "factor",
			      rate_format(f->factor, rt), "limit",
			      money_json(f->limit));
		snprintf(
			words, n,
			"%s yuan per H100-equivalent hour, above %s of the reference %s (%s)",
			money_format(f->price, m1), rate_format(f->factor, rt),
			money_format(f->reference, m2),
			money_format(f->limit, m3));
		break;
	case SCREEN_RESTRICTED_LIST:
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "list",
			      screen_list_name((enum screen_list)f->list),
			      "party", party_names[f->party], "uscc", f->uscc,
			      "name", f->listing.name, "reason",
			      f->listing.reason, "source", f->listing.source);
		snprintf(words, n, "the %s %s is on the %s list%s%s",
			 party_names[f->party], f->uscc,
			 screen_list_name((enum screen_list)f->list),
			 f->listing.reason[0] ? ": " : "", f->listing.reason);
		break;
	case SCREEN_COMPUTE_REGION: {
		const struct policy_screen *sc = NULL;
		json_t *allowed = json_array();

		for (size_t i = 0; i < p->nmeasures && !sc; i++)
			if (p->measures[i]
				    .screens[SCREEN_COMPUTE_REGION]
				    .rule == f->rule)
				sc = &p->measures[i]
					      .screens[SCREEN_COMPUTE_REGION];
		for (uint8_t i = 0; sc && allowed && i < sc->nregions; i++)
			json_array_append_new(allowed,
					      json_string(sc->regions[i]));
		o = json_pack("{s:s,s:o}", "location", f->location, "allowed",
			      allowed);
		snprintf(words, n, "the compute is located in '%s'",
			 f->location);
		break;
	}
	case SCREEN__COUNT:
		break;
	}
	return o;
}

int screen_render_json(const struct policy *p, const struct screen_result *r,
		       json_t *decision)
{
	json_t *flags = json_object_get(decision, "flags");
	char at[512];
	char words[512];
	int bad = 0;

	if (!json_is_array(flags)) {
		flags = json_array();
		if (put(decision, "flags", flags))
			return -1;
	}
	for (uint8_t i = 0; i < r->nflags; i++) {
		const struct screen_flag *f = &r->flags[i];
		const struct policy_rule *rule = &p->rules[f->rule];
		json_t *o = json_object();

		words[0] = '\0';
		bad |= put(o, "flag",
			   json_string(screen_flag_name(
				   (enum screen_kind)f->kind)));
		bad |= put(o, "screen",
			   json_string(screen_name((enum screen_kind)f->kind)));
		bad |= put(o, "action",
			   json_string(f->action == SCREEN_BLOCK ? "block"
								 : "review"));
		bad |= put(o, "rule", json_string(rule->id));
		bad |= put(o, "at",
			   json_string(
				   render_rule_at(p, f->rule, at, sizeof(at))));
		if (rule->says)
			bad |= put(o, "says", json_string(rule->says));
		if (rule->says_zh)
			bad |= put(o, "says_zh", json_string(rule->says_zh));
		bad |= put(o, "evidence",
			   evidence_json(p, f, words, sizeof(words)));
		bad |= put(o, "words", json_string(words));
		evidence_words_zh(f, words, sizeof(words));
		bad |= put(o, "words_zh", json_string(words));
		bad |= o ? json_array_append_new(flags, o) : -1;
	}
	if (r->blocked)
		bad |= put(decision, "blocked", json_true());
	return bad ? -1 : 0;
}
