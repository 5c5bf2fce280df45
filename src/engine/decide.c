#include "engine/decide.h"

#include <assert.h>
#include <string.h>

/* policy.h names the levels of a stacked cap by bit, without knowing the
 * application: the bits must be those of enum subsidy_level. */
_Static_assert(CAP_LEVELS_ALL == (1u << SUBSIDY_LEVEL__COUNT) - 1,
	       "a stacked cap's level bits follow enum subsidy_level");
_Static_assert(POLICY_PLAN_MAX_TRACE == DECISION_MAX_TRACE &&
		       POLICY_PLAN_MAX_REASONS == DECISION_MAX_REASONS,
	       "a measure's plan is sized to a decision");

/* How an expression is evaluated: expr_eval (with its one-step forms) on
 * the planned path, expr_eval_plain (the interpreter alone) on the
 * reference. */
typedef int (*eval_fn)(const struct expr *x, const struct facts *f,
		       const int64_t *params, const uint8_t *param_null,
		       int64_t *out);

/* facts_history's work, inlined where facts_build_need calls it once a
 * decision. */
static inline int history_into(struct facts *f, const struct application *a,
			       const struct history *hist, struct qerr *e)
{
	const struct app_contract *c = &a->contract;
	money_t compute_year = hist ? hist->compute_contracts_year : 0;

	assert(f && a);
	assert(!hist ||
	       (hist->awarded_year >= 0 && hist->compute_contracts_year >= 0));
	/* The applicant's compute contracts this calendar year: earlier ones
	 * from the history, plus this one if it buys compute. */
	if (c->kind == KIND_RENT || c->kind == KIND_BUY ||
	    c->kind == KIND_BUILD)
		if (money_add(compute_year, c->value, &compute_year))
			return qerr_set(
				e, Q_ERR_OVERFLOW, "contract.value",
				"contract.value: the year's compute contracts add up to more than quan can hold");
	f->i[F_APPLICANT_COMPUTE_CONTRACTS_YEAR] = compute_year;
	f->i[F_APPLICANT_AWARDED_YEAR] = hist ? hist->awarded_year : 0;
	if (hist && hist->lists_known) {
		f->lists_known = true;
		f->supplier_lists = hist->supplier_lists;
	}
	return Q_OK;
}

int facts_history(struct facts *f, const struct application *a,
		  const struct history *hist, struct qerr *e)
{
	return history_into(f, a, hist, e);
}

/* Build the facts a condition may read. Every derived fact is computed
 * here, from the application and the catalog, never taken on the
 * applicant's word. The derived facts outside `need` (bit id per field
 * id) whose computing cannot fail, and the names of the applicant's and
 * the contract's kinds, are left at a fixed value instead (decide_any
 * builds only what the measure reads); every check that can refuse the
 * application runs whatever need says. */
static int facts_build_need(const struct application *a,
			    const struct chip_catalog *chips,
			    const struct history *hist, uint64_t need,
			    struct facts *f, struct qerr *e)
{
	const struct app_party *ap = &a->applicant;
	const struct app_party *sp = &a->supplier;
	const struct app_contract *c = &a->contract;
	money_t other = 0;
	money_t by_level[SUBSIDY_LEVEL__COUNT] = {0};
	bool related;
	int rc;

	/* Every slot is written below, so no memset: this runs once per
	 * decision. */
	f->null_mask = 0;
	f->skey_mask = f->skey_long = 0;
	f->s[F_APPLICANT_USCC] = ap->uscc;
	f->s[F_APPLICANT_NAME] = ap->name;
	f->s[F_APPLICANT_REGISTERED_CITY] = ap->registered_city;
	f->s[F_APPLICANT_INDUSTRY] = ap->industry;
	f->s[F_APPLICANT_KIND] =
		(need >> F_APPLICANT_KIND) & 1
			? uscc_kind_name(uscc_kind_of(ap->uscc))
			: "";
	f->i[F_APPLICANT_SME] = ap->sme;
	f->i[F_APPLICANT_STARTUP] = ap->startup;
	f->i[F_APPLICANT_REGISTERED_MODEL] = ap->registered_model;
	f->i[F_APPLICANT_LAST_BAD_CREDIT_ON] =
		ap->has_bad_credit ? ap->last_bad_credit_on : 0;
	if (!ap->has_bad_credit)
		f->null_mask |= 1ull << F_APPLICANT_LAST_BAD_CREDIT_ON;

	f->s[F_SUPPLIER_USCC] = sp->uscc;
	f->s[F_SUPPLIER_NAME] = sp->name;
	f->i[F_SUPPLIER_PLATFORM_LISTED] = sp->platform_listed;
	f->i[F_SUPPLIER_PFLOPS] = sp->has_pflops ? sp->pflops : 0;
	f->i[F_SUPPLIER_RACKS] = sp->has_racks ? sp->racks : 0;
	if (!sp->has_pflops)
		f->null_mask |= 1ull << F_SUPPLIER_PFLOPS;
	if (!sp->has_racks)
		f->null_mask |= 1ull << F_SUPPLIER_RACKS;
	/* Only the office can look the named lists up (screen.h). */
	f->lists_known = false;
	f->supplier_lists = 0;

	f->s[F_CONTRACT_NUMBER] = c->number;
	f->s[F_CONTRACT_KIND] =
		(need >> F_CONTRACT_KIND) & 1 ? kind_name(c->kind) : "";
	f->i[F_CONTRACT_VALUE] = c->value;
	f->i[F_CONTRACT_SIGNED_ON] = c->signed_on;
	f->i[F_CONTRACT_TERM_MONTHS] = c->term_months;
	f->i[F_CONTRACT_USES_REGISTERED_MODEL] = c->uses_registered_model;
	for (size_t i = 0; i < c->nother_subsidies; i++) {
		const struct app_other_subsidy *os = &c->other_subsidies[i];
		money_t *lv = &by_level[os->level < SUBSIDY_LEVEL__COUNT
						? os->level
						: SUBSIDY_LEVEL_UNKNOWN];

		if (money_add(other, os->amount, &other) ||
		    money_add(*lv, os->amount, lv))
			return qerr_set(
				e, Q_ERR_OVERFLOW, "contract.other_subsidies",
				"contract.other_subsidies: the amounts add up to more than quan can hold");
	}
	f->i[F_CONTRACT_OTHER_SUBSIDIES_TOTAL] = other;
	f->i[F_CONTRACT_OTHER_SUBSIDIES_NATIONAL] =
		by_level[SUBSIDY_LEVEL_NATIONAL];
	f->i[F_CONTRACT_OTHER_SUBSIDIES_PROVINCE] =
		by_level[SUBSIDY_LEVEL_PROVINCE];
	f->i[F_CONTRACT_OTHER_SUBSIDIES_CITY] = by_level[SUBSIDY_LEVEL_CITY];
	f->i[F_CONTRACT_OTHER_SUBSIDIES_DISTRICT] =
		by_level[SUBSIDY_LEVEL_DISTRICT];
	f->i[F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED] =
		by_level[SUBSIDY_LEVEL_UNKNOWN];
	f->i[F_CONTRACT_OTHER_SUBSIDIES_COUNT] = (int64_t)c->nother_subsidies;

	f->i[F_COMPUTE_PRESENT] = 0;
	f->s[F_COMPUTE_CHIP] = "";
	f->i[F_COMPUTE_ACCELERATORS] = 0;
	f->i[F_COMPUTE_HOURS] = 0;
	f->s[F_COMPUTE_LOCATION] = "";
	f->i[F_COMPUTE_DOMESTIC] = 0;
	f->i[F_COMPUTE_H100_HOURS] = 0;
	f->i[F_COMPUTE_PRICE_PER_H100_HOUR] = 0;
	f->i[F_COMPUTE_REF_PRICE_PER_H100_HOUR] = 0;
	f->null_mask |= 1ull << F_COMPUTE_PRICE_PER_H100_HOUR |
			1ull << F_COMPUTE_REF_PRICE_PER_H100_HOUR;
	if (c->has_compute) {
		const struct chip *chip =
			chips ? chips_find(chips, c->compute.chip,
					   strlen(c->compute.chip))
			      : NULL;
		int64_t x, h64;
		__int128 h;

		if (!chip)
			return qerr_set(
				e, Q_ERR_UNKNOWN_CHIP, "contract.compute.chip",
				"contract.compute.chip: unknown chip '%.64s' (see data/chips.yaml)",
				c->compute.chip);
		f->i[F_COMPUTE_PRESENT] = 1;
		f->s[F_COMPUTE_CHIP] = c->compute.chip;
		f->i[F_COMPUTE_ACCELERATORS] = c->compute.accelerators;
		f->i[F_COMPUTE_HOURS] = c->compute.hours;
		f->s[F_COMPUTE_LOCATION] = c->compute.location;
		f->i[F_COMPUTE_DOMESTIC] = chip->domestic;
		/* In 64 bits when the product fits (a 128-bit division is a
		 * library call); both truncate toward zero alike. */
		if (!__builtin_mul_overflow(c->compute.hours,
					    c->compute.accelerators, &x) &&
		    !__builtin_mul_overflow(x, (int64_t)chip->h100_bp, &h64))
			h = h64 / RATE_BP_ONE;
		else
			h = (__int128)c->compute.hours *
			    c->compute.accelerators * chip->h100_bp /
			    RATE_BP_ONE;
		if (h > INT64_MAX)
			return qerr_set(
				e, Q_ERR_OVERFLOW, "contract.compute",
				"contract.compute: hours x accelerators is too large");
		f->i[F_COMPUTE_H100_HOURS] = (int64_t)h;
		/* The price per H100-equivalent hour, by the one rounding
		 * rule; the contract value is at most INT64_MAX fen, so
		 * money_scale cannot fail with a positive divisor. */
		if (h > 0 && (need >> F_COMPUTE_PRICE_PER_H100_HOUR) & 1) {
			money_t price;

			if (money_scale(c->value, 1, (int64_t)h, &price))
				return qerr_set(
					e, Q_ERR_OVERFLOW, "contract.value",
					"contract.value: the price per H100-equivalent hour cannot be computed");
			f->i[F_COMPUTE_PRICE_PER_H100_HOUR] = price;
			f->null_mask &=
				~(1ull << F_COMPUTE_PRICE_PER_H100_HOUR);
		}
		if (chip->ref_price_per_h100_hour >= 0) {
			f->i[F_COMPUTE_REF_PRICE_PER_H100_HOUR] =
				chip->ref_price_per_h100_hour;
			f->null_mask &=
				~(1ull << F_COMPUTE_REF_PRICE_PER_H100_HOUR);
		}
	}

	rc = history_into(f, a, hist, e);
	if (rc)
		return rc;
	related = (need >> F_RELATED_PARTY) & 1 &&
		  strcmp(ap->uscc, sp->uscc) == 0;
	for (size_t i = 0;
	     (need >> F_RELATED_PARTY) & 1 && !related && i < ap->ncontrollers;
	     i++)
		for (size_t j = 0; !related && j < sp->ncontrollers; j++)
			related = strcmp(ap->controllers[i],
					 sp->controllers[j]) == 0;
	f->i[F_RELATED_PARTY] = related;
	f->i[F_RECEIVED_ON] = a->received_on;
	f->received_at = a->received_at;
	f->kind = (int32_t)c->kind;
	return Q_OK;
}

int facts_build(const struct application *a, const struct chip_catalog *chips,
		const struct history *hist, struct facts *f, struct qerr *e)
{
	return facts_build_need(a, chips, hist, ~0ull, f, e);
}

static void trace(struct decision *d, uint32_t rule, enum trace_outcome o,
		  int64_t value)
{
	if (d->ntrace >= DECISION_MAX_TRACE) {
		d->trace_truncated++;
		return;
	}
	d->trace[d->ntrace].rule = rule;
	d->trace[d->ntrace].outcome = (uint8_t)o;
	d->trace[d->ntrace].value = value;
	d->ntrace++;
}

static void reason(struct decision *d, uint32_t rule)
{
	if (d->nreasons < DECISION_MAX_REASONS)
		d->reasons[d->nreasons++] = rule;
	trace(d, rule, TRACE_FAILED, 0);
}

/* Map an evaluation failure that is not "not in force" to an error. */
static int eval_error(const struct policy *p, uint32_t rule, int st,
		      struct qerr *e)
{
	return qerr_set(
		e, Q_ERR_DECISION, "",
		"rule '%s' at %s:%d:%d cannot be computed: %s",
		p->rules[rule].id, p->path, p->rules[rule].line,
		p->rules[rule].col,
		st == EXPR_OVERFLOW ? "the arithmetic overflows"
		: st == EXPR_LISTS_UNKNOWN
			? "it reads a supplier list, and the office's lists were not looked up"
			: "division by zero");
}

/* The contract's kind and signing date against the measure's kinds and
 * dates: a kind listed with dates (Hangzhou's model services from
 * 2025-06-13) and the measure's own from/until are rules of their own, so
 * a decision before the date names why. */
static void decide_dates(const struct policy_measure *m, const struct facts *f,
			 struct decision *d)
{
	qdate on = (qdate)f->i[F_CONTRACT_SIGNED_ON];
	uint32_t kr;

	assert(f->kind >= 0 && f->kind < KIND__COUNT);
	kr = m->kind_rules[f->kind];
	if (!(m->kinds & (1u << f->kind))) {
		reason(d, m->kind_rule);
	} else {
		trace(d, m->kind_rule, TRACE_PASSED, f->kind);
		if (kr != UINT32_MAX &&
		    (on < m->kind_from[f->kind] || on > m->kind_until[f->kind]))
			reason(d, kr);
		else if (kr != UINT32_MAX)
			trace(d, kr, TRACE_PASSED, on);
	}
	if (m->from_rule != UINT32_MAX && on < m->from)
		reason(d, m->from_rule);
	else if (m->from_rule != UINT32_MAX)
		trace(d, m->from_rule, TRACE_PASSED, on);
	if (m->until_rule != UINT32_MAX && on > m->until)
		reason(d, m->until_rule);
	else if (m->until_rule != UINT32_MAX)
		trace(d, m->until_rule, TRACE_PASSED, on);
}

static int decide_rate(const struct policy *p, const struct policy_measure *m,
		       const struct facts *f, const int64_t *pv,
		       const uint8_t *pn, eval_fn ev, struct decision *d,
		       struct qerr *e)
{
	int chosen = -1;
	int chosen_trace = -1;
	int64_t best = 0;

	for (size_t i = 0; i < m->nrows; i++) {
		const struct policy_row *r = &m->rows[i];
		int64_t v = 1;
		int64_t rate;
		int st;

		if (r->when) {
			st = ev(r->when, f, pv, pn, &v);
			if (st == EXPR_NOT_IN_FORCE) {
				trace(d, r->rule, TRACE_NOT_IN_FORCE, 0);
				continue;
			}
			if (st)
				return eval_error(p, r->rule, st, e);
		}
		if (!v)
			continue;
		st = ev(r->rate, f, pv, pn, &rate);
		if (st == EXPR_NOT_IN_FORCE) {
			trace(d, r->rule, TRACE_NOT_IN_FORCE, 0);
			continue;
		}
		if (st)
			return eval_error(p, r->rule, st, e);
		if (chosen >= 0 && m->hit == HIT_UNIQUE)
			return qerr_set(
				e, Q_ERR_DECISION, "",
				"rows '%s' (line %d) and '%s' (line %d) of a unique rate table both match",
				p->rules[m->rows[chosen].rule].id,
				p->rules[m->rows[chosen].rule].line,
				p->rules[r->rule].id, p->rules[r->rule].line);
		trace(d, r->rule, TRACE_MATCHED, rate);
		if (chosen < 0 || (m->hit == HIT_MAX && rate > best)) {
			chosen = (int)i;
			chosen_trace = d->ntrace - 1;
			best = rate;
		}
		if (m->hit == HIT_FIRST)
			break;
	}
	if (chosen < 0)
		return qerr_set(
			e, Q_ERR_DECISION, "",
			"no rate row of measure '%s' matches this eligible application",
			m->id);
	if (chosen_trace >= 0 &&
	    d->trace[chosen_trace].rule == m->rows[chosen].rule)
		d->trace[chosen_trace].outcome = TRACE_CHOSEN;
	if (best < 0 || best > INT32_MAX)
		return qerr_set(e, Q_ERR_DECISION, "",
				"rule '%s' gives a rate out of range",
				p->rules[m->rows[chosen].rule].id);
	d->rate = (rate_bp)best;
	d->rate_rule = (int32_t)m->rows[chosen].rule;
	return Q_OK;
}

const int facts_subsidy_field[SUBSIDY_LEVEL__COUNT] = {
	[SUBSIDY_LEVEL_UNKNOWN] = F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED,
	[SUBSIDY_LEVEL_NATIONAL] = F_CONTRACT_OTHER_SUBSIDIES_NATIONAL,
	[SUBSIDY_LEVEL_PROVINCE] = F_CONTRACT_OTHER_SUBSIDIES_PROVINCE,
	[SUBSIDY_LEVEL_CITY] = F_CONTRACT_OTHER_SUBSIDIES_CITY,
	[SUBSIDY_LEVEL_DISTRICT] = F_CONTRACT_OTHER_SUBSIDIES_DISTRICT,
};

/* The other schemes' subsidies a stacked cap counts (cap_counts_level). */
static int stacked_others(const struct policy_cap *c, const struct facts *f,
			  money_t *out)
{
	money_t sum = 0;

	for (int l = 0; l < SUBSIDY_LEVEL__COUNT; l++)
		if (cap_counts_level(c, l) &&
		    money_add(sum, f->i[facts_subsidy_field[l]], &sum))
			return EXPR_OVERFLOW;
	*out = sum;
	return EXPR_OK;
}

/* What a cap's limit leaves for this application: the limit less the
 * applicant's awards this year (applicant-year) or less the other schemes'
 * subsidies (stacked), never below zero. */
static int remaining(const struct policy_cap *c, const struct facts *f,
		     money_t lim, money_t *out)
{
	money_t less = 0;

	if (c->per == CAP_PER_APPLICANT_YEAR)
		less = f->i[F_APPLICANT_AWARDED_YEAR];
	else if (c->per == CAP_PER_STACKED && stacked_others(c, f, &less))
		return EXPR_OVERFLOW;
	if (money_sub(lim, less, &lim))
		return EXPR_OVERFLOW;
	*out = lim < 0 ? 0 : lim;
	return EXPR_OK;
}

static void flag_soft_cap(struct decision *d, uint32_t rule, money_t lim,
			  money_t hard, money_t before)
{
	struct decision_flag *fl;
	money_t up_to = money_min(before, hard);

	trace(d, rule, TRACE_SOFT_EXCEEDED, up_to);
	if (d->nflags >= DECISION_MAX_FLAGS)
		return;
	fl = &d->flags[d->nflags++];
	fl->kind = FLAG_SOFT_CAP_EXCEEDED;
	fl->rule = rule;
	fl->limit = lim;
	fl->hard_limit = hard;
	fl->above = before - lim;
	fl->up_to = up_to;
}

/* Apply the caps in file order. d->amount follows the limits; the review
 * ceiling follows them too, but takes a soft cap at its hard limit, so it
 * is the most a reviewer may approve. */
static int apply_caps(const struct policy *p, const struct policy_measure *m,
		      const struct facts *f, const int64_t *pv,
		      const uint8_t *pn, eval_fn ev, struct decision *d,
		      struct qerr *e)
{
	money_t ceiling = d->amount;

	for (size_t i = 0; i < m->ncaps; i++) {
		const struct policy_cap *c = &m->caps[i];
		const struct expr *limit = c->limit;
		uint32_t rule = c->rule;
		int64_t v = 1;
		money_t lim, hard;
		int st;

		if (c->when) {
			st = ev(c->when, f, pv, pn, &v);
			if (st == EXPR_NOT_IN_FORCE) {
				trace(d, rule, TRACE_NOT_IN_FORCE, 0);
				continue;
			}
			if (st)
				return eval_error(p, rule, st, e);
			if (!v)
				continue;
		}
		if (c->relaxed_when) {
			st = ev(c->relaxed_when, f, pv, pn, &v);
			if (st && st != EXPR_NOT_IN_FORCE)
				return eval_error(p, c->relaxed_rule, st, e);
			if (st == EXPR_OK && v) {
				limit = c->relaxed_limit;
				rule = c->relaxed_rule;
			}
		}
		st = ev(limit, f, pv, pn, &lim);
		if (st == EXPR_NOT_IN_FORCE) {
			trace(d, rule, TRACE_NOT_IN_FORCE, 0);
			continue;
		}
		if (st)
			return eval_error(p, rule, st, e);
		if (rule != c->rule)
			trace(d, rule, TRACE_RELAXED, lim);
		hard = lim;
		if (c->hard_limit) {
			st = ev(c->hard_limit, f, pv, pn, &hard);
			if (st == EXPR_NOT_IN_FORCE)
				hard = lim; /* no hard limit that day */
			else if (st)
				return eval_error(p, c->rule, st, e);
			if (hard < lim)
				return qerr_set(
					e, Q_ERR_DECISION, "",
					"cap '%s' at %s:%d:%d: its hard_limit is below its limit",
					p->rules[c->rule].id, p->path,
					p->rules[c->rule].line,
					p->rules[c->rule].col);
		}
		if ((st = remaining(c, f, lim, &lim)) ||
		    (st = remaining(c, f, hard, &hard)))
			return eval_error(p, rule, st, e);
		if (d->amount > lim) {
			money_t before = d->amount;

			if (d->ncaps < DECISION_MAX_CAPS) {
				d->caps[d->ncaps].rule = rule;
				d->caps[d->ncaps].limit = lim;
				d->caps[d->ncaps].cut = d->amount - lim;
				d->ncaps++;
			}
			d->amount = lim;
			trace(d, rule, TRACE_APPLIED, lim);
			if (hard > lim)
				flag_soft_cap(d, rule, lim, hard, before);
		} else {
			trace(d, rule, TRACE_NOT_BINDING, lim);
		}
		ceiling = money_min(ceiling, hard);
	}
	d->review_up_to = money_max(ceiling, d->amount);
	return Q_OK;
}

/* Split the amount between the measure's funders by weight: each share is
 * amount x weight / total, rounded down by the one rule (money_scale), and
 * the fen left over go to the first funder, so the shares add up to the
 * amount exactly. */
/* The shares of amount between measure m's funders, by weight, in policy
 * order; the first funder takes the fen the rounding leaves. -1 on
 * overflow, with *bad the funder whose share overflowed. */
static int funder_shares(const struct policy_measure *m, money_t amount,
			 money_t *shares, size_t *bad)
{
	int64_t total = 0;
	money_t sum = 0;

	assert(m->nfunders <= DECISION_MAX_FUNDERS);
	assert(amount >= 0);
	for (size_t i = 0; i < m->nfunders; i++)
		total += m->funders[i].weight;
	for (size_t i = 0; i < m->nfunders; i++) {
		if (money_scale(amount, m->funders[i].weight, total,
				&shares[i]) ||
		    money_add(sum, shares[i], &sum)) {
			*bad = i;
			return -1;
		}
	}
	shares[0] += amount - sum;
	return 0;
}

static int split_funders(const struct policy *p, const struct policy_measure *m,
			 struct decision *d, struct qerr *e)
{
	money_t shares[DECISION_MAX_FUNDERS];
	size_t bad = 0;

	if (m->nfunders == 0)
		return Q_OK;
	if (m->nfunders > DECISION_MAX_FUNDERS)
		return qerr_set(
			e, Q_ERR_DECISION, "",
			"measure '%s' has more funders than a decision holds",
			m->id);
	if (funder_shares(m, d->amount, shares, &bad))
		return eval_error(p, m->funders[bad].rule, EXPR_OVERFLOW, e);
	for (size_t i = 0; i < m->nfunders; i++) {
		d->funders[i].rule = m->funders[i].rule;
		d->funders[i].amount = shares[i];
	}
	d->nfunders = (uint16_t)m->nfunders;
	for (size_t i = 0; i < m->nfunders; i++)
		trace(d, d->funders[i].rule, TRACE_SHARE, d->funders[i].amount);
	return Q_OK;
}

int measure_pool_share(const struct policy *p, int measure, money_t amount,
		       money_t *out)
{
	const struct policy_measure *m;
	money_t shares[DECISION_MAX_FUNDERS];
	size_t bad = 0;

	assert(p && out);
	assert(measure >= 0 && (size_t)measure < p->nmeasures);
	assert(amount >= 0);
	m = &p->measures[measure];
	*out = amount;
	if (m->nfunders == 0 || m->nfunders > DECISION_MAX_FUNDERS)
		return m->nfunders ? -1 : 0;
	if (funder_shares(m, amount, shares, &bad))
		return -1;
	for (size_t i = 0; i < m->nfunders; i++)
		if (m->funders[i].external)
			*out -= shares[i];
	assert(*out >= 0 && *out <= amount);
	return 0;
}

/* The base limited to the first N months of the term, pro rata:
 * base x min(term, N) / term by the one rounding rule. */
static int subsidised_months(const struct policy *p,
			     const struct policy_measure *m,
			     const struct facts *f, struct decision *d,
			     struct qerr *e)
{
	int64_t term = f->i[F_CONTRACT_TERM_MONTHS];

	if (m->subsidised_months == 0)
		return Q_OK;
	if (term <= 0)
		return qerr_set(
			e, Q_ERR_DECISION, "contract.term_months",
			"contract.term_months: must be at least 1 for measure '%s'",
			m->id);
	if (term <= m->subsidised_months) {
		trace(d, m->subsidised_months_rule, TRACE_NOT_BINDING, d->base);
		return Q_OK;
	}
	if (money_scale(d->base, m->subsidised_months, term, &d->base))
		return eval_error(p, m->subsidised_months_rule, EXPR_OVERFLOW,
				  e);
	trace(d, m->subsidised_months_rule, TRACE_APPLIED, d->base);
	return Q_OK;
}

/* Start a decision under measure m: the counters and scalars (the arrays
 * are read up to the counters). */
static void decision_start(const struct policy_measure *m, int measure,
			   const struct facts *f, struct decision *d)
{
	d->measure = measure;
	d->eligible = false;
	d->rate = 0;
	d->rate_rule = -1;
	d->base = d->gross = d->amount = d->review_up_to = 0;
	d->nreasons = d->ncaps = d->ntrace = d->trace_truncated = 0;
	d->nflags = d->nfunders = 0;
	d->params_date = (qdate)f->i[F_CONTRACT_SIGNED_ON];
	d->yearly_caps_without_history = false;
	(void)m;
}

/* The values of the parameters in force on the signing date; one epoch
 * (a policy without dated parameters) needs no search. */
static inline void params_on(const struct policy *p, qdate on,
			     const int64_t **pv, const uint8_t **pn)
{
	if (p->nepochs == 1) {
		*pv = p->epoch_vals;
		*pn = p->epoch_null;
		return;
	}
	policy_params_on(p, on, pv, pn);
}

int decide_facts_ref(const struct policy *p, int measure, const struct facts *f,
		     bool with_history, struct decision *d, struct qerr *e)
{
	const struct policy_measure *m = &p->measures[measure];
	const int64_t *pv;
	const uint8_t *pn;
	int64_t base;
	int st;
	int rc;

	decision_start(m, measure, f, d);
	if (!with_history)
		for (size_t i = 0; i < m->ncaps; i++)
			if (m->caps[i].per == CAP_PER_APPLICANT_YEAR)
				d->yearly_caps_without_history = true;

	policy_params_on(p, d->params_date, &pv, &pn);

	decide_dates(m, f, d);
	if (f->received_at < m->window_opens ||
	    f->received_at > m->window_closes)
		reason(d, m->window_rule);
	else if (m->window_opens != INT64_MIN || m->window_closes != INT64_MAX)
		trace(d, m->window_rule, TRACE_PASSED, f->received_at);

	if (m->nconds) {
		uint64_t pass = 0, nif = 0;

		/* Every condition, through the interpreter alone; the trace
		 * then follows the conditions in file order. */
		assert(m->fused);
		for (size_t i = 0; i < m->nconds; i++) {
			int64_t v = 0;

			st = expr_eval_cond_plain(m->fused, (int)i, f, pv, pn,
						  &v);
			if (st == EXPR_NOT_IN_FORCE)
				nif |= 1ull << i;
			else if (st)
				return eval_error(p, m->conds[i].rule, st, e);
			else if (v)
				pass |= 1ull << i;
		}
		for (size_t i = 0; i < m->nconds; i++) {
			uint32_t rule = m->conds[i].rule;

			if ((nif >> i) & 1)
				trace(d, rule, TRACE_NOT_IN_FORCE, 0);
			else if ((pass >> i) & 1)
				trace(d, rule, TRACE_PASSED, 1);
			else
				reason(d, rule);
		}
	}
	if (d->nreasons)
		return Q_OK;

	st = expr_eval_plain(m->base, f, pv, pn, &base);
	if (st == EXPR_NOT_IN_FORCE)
		return qerr_set(
			e, Q_ERR_DECISION, "",
			"the base of measure '%s' reads a parameter that is not in force on the signing date",
			m->id);
	if (st)
		return eval_error(p, m->base_rule, st, e);
	if (base < 0)
		return qerr_set(e, Q_ERR_DECISION, "",
				"the base of measure '%s' is negative", m->id);
	d->base = base;
	trace(d, m->base_rule, TRACE_APPLIED, base);
	rc = subsidised_months(p, m, f, d, e);
	if (rc)
		return rc;

	rc = decide_rate(p, m, f, pv, pn, expr_eval_plain, d, e);
	if (rc)
		return rc;
	if (money_apply_rate(d->base, d->rate, &d->gross))
		return eval_error(p, (uint32_t)d->rate_rule, EXPR_OVERFLOW, e);
	d->amount = d->gross;
	d->review_up_to = d->amount;
	rc = apply_caps(p, m, f, pv, pn, expr_eval_plain, d, e);
	if (rc)
		return rc;
	rc = split_funders(p, m, d, e);
	if (rc)
		return rc;
	d->eligible = true;
	return Q_OK;
}

/* Whether string field c->field equals c's literal, as the interpreter's
 * keyed compare decides it (exact either way). */
static inline bool plan_str_eq(const struct policy_plan_cond *c,
			       const struct facts *f)
{
	const char *s = f->s[c->field];

	if (c->slot >= 0 && (f->skey_mask >> c->slot) & 1) {
		if (f->skey[c->slot] != c->key ||
		    (bool)((f->skey_long >> c->slot) & 1) != (bool)c->longer)
			return false;
		return !c->longer || strcmp(s + FACTS_SKEY_BYTES,
					    c->str + FACTS_SKEY_BYTES) == 0;
	}
	return strcmp(s ? s : "", c->str) == 0;
}

/* Condition k of m by its planned form: *v its value, or an enum
 * expr_status from the interpreter. */
static inline int plan_cond(const struct policy_measure *m, size_t k,
			    const struct facts *f, const int64_t *pv,
			    const uint8_t *pn, int64_t *v)
{
	const struct policy_plan_cond *c = &m->plan_conds[k];
	int64_t x;

	switch ((enum expr_form)c->form) {
	case EXPR_FORM_CONST:
		*v = c->imm;
		return EXPR_OK;
	case EXPR_FORM_FIELD:
		*v = f->i[c->field];
		return EXPR_OK;
	case EXPR_FORM_CMP:
		x = f->i[c->field];
		switch (c->cmp) {
		case 0:
			*v = x == c->imm;
			break;
		case 1:
			*v = x != c->imm;
			break;
		case 2:
			*v = x < c->imm;
			break;
		case 3:
			*v = x <= c->imm;
			break;
		case 4:
			*v = x > c->imm;
			break;
		default:
			*v = x >= c->imm;
			break;
		}
		return EXPR_OK;
	case EXPR_FORM_STR:
		*v = plan_str_eq(c, f) != c->cmp;
		return EXPR_OK;
	case EXPR_FORM_NULL_OR:
		if ((f->null_mask >> c->field) & 1) {
			*v = 1;
			return EXPR_OK;
		}
		break;
	case EXPR_FORM_JOIN2: /* run_shaped reads both sides */
	case EXPR_FORM_CODE:
		break;
	}
	return expr_eval_cond(m->fused, (int)k, f, pv, pn, v);
}

/* The planned path (policy_measure.plan_*): the same decision as
 * decide_facts_ref, field for field, with the trace and reasons counted
 * in registers (the plan guarantees they fit), the common forms of
 * conditions, base, rate and caps read without the interpreter, and the
 * reference taken whenever anything unusual happens (an error, a negative
 * base, a rate table or caps outside the plan), so that every error is
 * the reference's own. */
int decide_facts(const struct policy *p, int measure, const struct facts *f,
		 bool with_history, struct decision *d, struct qerr *e)
{
	const struct policy_measure *m = &p->measures[measure];
	struct trace_entry *t = d->trace;
	const int64_t *pv;
	const uint8_t *pn;
	qdate on = (qdate)f->i[F_CONTRACT_SIGNED_ON];
	int32_t kind = f->kind;
	uint32_t kr;
	unsigned nt = 0, nr = 0;
	uint16_t keyok;
	uint64_t pass, open, nif = 0;
	int64_t base;
	money_t lim, ceiling;
	int st;
	int rc;

	assert(measure >= 0 && (size_t)measure < p->nmeasures);
	assert(kind >= 0 && kind < KIND__COUNT);
	if (!m->plan_fast)
		return decide_facts_ref(p, measure, f, with_history, d, e);
	decision_start(m, measure, f, d);
	d->yearly_caps_without_history = !with_history && m->plan_yearly_caps;
	params_on(p, on, &pv, &pn);

#define T(r, o, v)                                                             \
	(t[nt++] = (struct trace_entry){                                       \
		 .rule = (r), .outcome = (uint8_t)(o), .value = (v)})
#define R(r) (d->reasons[nr++] = (r), T(r, TRACE_FAILED, 0))
	/* Kind and dates, window: as decide_dates. */
	kr = m->kind_rules[kind];
	if (!(m->kinds & (1u << kind))) {
		R(m->kind_rule);
	} else {
		T(m->kind_rule, TRACE_PASSED, kind);
		if (kr != UINT32_MAX &&
		    (on < m->kind_from[kind] || on > m->kind_until[kind]))
			R(kr);
		else if (kr != UINT32_MAX)
			T(kr, TRACE_PASSED, on);
	}
	if (m->from_rule != UINT32_MAX && on < m->from)
		R(m->from_rule);
	else if (m->from_rule != UINT32_MAX)
		T(m->from_rule, TRACE_PASSED, on);
	if (m->until_rule != UINT32_MAX && on > m->until)
		R(m->until_rule);
	else if (m->until_rule != UINT32_MAX)
		T(m->until_rule, TRACE_PASSED, on);
	if (f->received_at < m->window_opens ||
	    f->received_at > m->window_closes)
		R(m->window_rule);
	else if (m->window_opens != INT64_MIN || m->window_closes != INT64_MAX)
		T(m->window_rule, TRACE_PASSED, f->received_at);

	/* The conditions in three passes: every test into a mask (a branch
	 * only for a joined condition or a string without its key); the few
	 * conditions the tests leave open, by their form (`x == null || ...`
	 * with x set, a form without a test); then the trace in file
	 * order. */
	keyok = (uint16_t)(f->skey_mask & ~f->skey_long);
	pass = 0;
	for (size_t k = 0; k < m->nconds; k++) {
		const struct policy_plan_cond *c = &m->plan_conds[k];
		uint64_t w, v;
		int64_t x;

		if (c->need & ~keyok) {
			/* A string without its key (decide() makes none)
			 * or longer than one: the compare itself. */
			const char *str = f->s[c->field];

			v = (strcmp(str ? str : "", c->str) == 0) != c->cmp;
			pass |= v << k;
			continue;
		}
		memcpy(&w, (const char *)f + c->off, sizeof(w));
		x = (int64_t)((w >> c->shift) & c->bits);
		v = (c->pass >> ((x > c->imm) - (x < c->imm) + 1)) & 1;
		if (c->join2) {
			uint64_t v2;

			memcpy(&w, (const char *)f + c->off2, sizeof(w));
			x = (int64_t)w;
			v2 = (c->pass2 >> ((x > c->imm2) - (x < c->imm2) + 1)) &
			     1;
			v = c->join_or ? v | v2 : v & v2;
		}
		pass |= v << k;
	}
	/* Left open: a condition without a test, `x == null || ...` with x
	 * set. */
	open = m->plan_untested | (m->plan_or_forms & ~pass);
	for (uint64_t todo = open; todo; todo &= todo - 1) {
		int k = __builtin_ctzll(todo);
		int64_t v = 0;

		pass &= ~(1ull << k);
		st = plan_cond(m, (size_t)k, f, pv, pn, &v);
		if (st == EXPR_NOT_IN_FORCE)
			nif |= 1ull << k;
		else if (st)
			return decide_facts_ref(p, measure, f, with_history, d,
						e);
		else
			pass |= (uint64_t)(v != 0) << k;
	}
	if (pass == m->plan_all) {
		for (size_t k = 0; k < m->nconds; k++)
			T(m->plan_conds[k].rule, TRACE_PASSED, 1);
	} else {
		for (size_t k = 0; k < m->nconds; k++) {
			uint32_t rule = m->plan_conds[k].rule;

			if ((pass >> k) & 1)
				T(rule, TRACE_PASSED, 1);
			else if ((nif >> k) & 1)
				T(rule, TRACE_NOT_IN_FORCE, 0);
			else
				R(rule);
		}
	}
	d->ntrace = (uint16_t)nt;
	d->nreasons = (uint16_t)nr;
	if (nr)
		return Q_OK;

	if (m->plan_base_field >= 0) {
		base = f->i[m->plan_base_field];
	} else {
		st = expr_eval(m->base, f, pv, pn, &base);
		if (st)
			return decide_facts_ref(p, measure, f, with_history, d,
						e);
	}
	if (base < 0)
		return decide_facts_ref(p, measure, f, with_history, d, e);
	d->base = base;
	T(m->base_rule, TRACE_APPLIED, base);
	d->ntrace = (uint16_t)nt;
	if (m->subsidised_months) {
		rc = subsidised_months(p, m, f, d, e);
		if (rc)
			return rc;
		nt = d->ntrace;
	}

	if (m->plan_rate >= 0) {
		d->rate = (rate_bp)m->plan_rate;
		d->rate_rule = (int32_t)m->rows[0].rule;
		T(m->rows[0].rule, TRACE_CHOSEN, m->plan_rate);
		d->ntrace = (uint16_t)nt;
	} else {
		rc = decide_rate(p, m, f, pv, pn, expr_eval, d, e);
		if (rc)
			return rc;
		nt = d->ntrace;
	}
	/* base x rate / 10000 rounded down, as money_apply_rate: both are
	 * >= 0, so without overflow the floor is the quotient. */
	{
		int64_t prod;

		if (!__builtin_mul_overflow(d->base, (int64_t)d->rate, &prod))
			d->gross = prod / RATE_BP_ONE;
		else if (money_apply_rate(d->base, d->rate, &d->gross))
			return eval_error(p, (uint32_t)d->rate_rule,
					  EXPR_OVERFLOW, e);
	}
	d->amount = d->gross;
	d->review_up_to = d->amount;
	if (m->plan_caps_const) {
		ceiling = d->amount;
		for (size_t i = 0; i < m->ncaps; i++) {
			uint32_t rule = m->caps[i].rule;

			lim = m->plan_cap_limits[i] < 0 ? 0
							: m->plan_cap_limits[i];
			if (d->amount > lim) {
				if (d->ncaps < DECISION_MAX_CAPS) {
					d->caps[d->ncaps].rule = rule;
					d->caps[d->ncaps].limit = lim;
					d->caps[d->ncaps].cut = d->amount - lim;
					d->ncaps++;
				}
				d->amount = lim;
				T(rule, TRACE_APPLIED, lim);
			} else {
				T(rule, TRACE_NOT_BINDING, lim);
			}
			ceiling = money_min(ceiling, lim);
		}
		d->review_up_to = money_max(ceiling, d->amount);
		d->ntrace = (uint16_t)nt;
	} else {
		rc = apply_caps(p, m, f, pv, pn, expr_eval, d, e);
		if (rc)
			return rc;
		nt = d->ntrace;
	}
	if (m->nfunders && m->plan_funder_total &&
	    m->nfunders <= DECISION_MAX_FUNDERS) {
		/* As funder_shares: the first funder takes the amount less
		 * the others' shares, each amount x weight / total rounded
		 * down (both >= 0: the quotient). */
		money_t rest = d->amount;

		for (size_t i = 1; i < m->nfunders; i++) {
			int64_t prod;

			if (__builtin_mul_overflow(d->amount,
						   m->funders[i].weight, &prod))
				return decide_facts_ref(p, measure, f,
							with_history, d, e);
			d->funders[i].rule = m->funders[i].rule;
			d->funders[i].amount = prod / m->plan_funder_total;
			rest -= d->funders[i].amount;
		}
		assert(rest >= 0);
		d->funders[0].rule = m->funders[0].rule;
		d->funders[0].amount = rest;
		d->nfunders = (uint16_t)m->nfunders;
		for (size_t i = 0; i < m->nfunders; i++)
			T(d->funders[i].rule, TRACE_SHARE,
			  d->funders[i].amount);
		d->ntrace = (uint16_t)nt;
	} else if (m->nfunders) {
		rc = split_funders(p, m, d, e);
		if (rc)
			return rc;
	}
#undef T
#undef R
	d->eligible = true;
	return Q_OK;
}

bool decision_funder_external(const struct policy *p, const struct decision *d,
			      size_t i)
{
	const struct policy_measure *m;

	assert(p && d);
	assert(i < d->nfunders);
	if (d->measure < 0 || (size_t)d->measure >= p->nmeasures)
		return false;
	m = &p->measures[d->measure];
	for (size_t j = 0; j < m->nfunders; j++)
		if (m->funders[j].rule == d->funders[i].rule)
			return m->funders[j].external;
	return false;
}

money_t decision_pool_share(const struct policy *p, const struct decision *d)
{
	money_t own = d->amount;

	assert(p && d);
	for (uint16_t i = 0; i < d->nfunders; i++)
		if (decision_funder_external(p, d, i))
			own -= d->funders[i].amount;
	assert(own >= 0);
	return own;
}

/* decide() and decide_listed(). */
static int decide_any(const struct policy *p, const struct application *a,
		      const struct chip_catalog *chips,
		      const struct history *hist, bool lists_known,
		      uint64_t lists, struct decision *out, struct qerr *e)
{
	struct facts f;
	int m;
	int rc;

	out->measure = -1;
	out->eligible = false;
	out->nreasons = out->ncaps = out->ntrace = out->trace_truncated = 0;
	out->nflags = out->nfunders = 0;
	if (strcmp(a->program, p->program) != 0)
		return qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: the application is for '%.64s', this policy is '%s'",
			a->program, p->program);
	m = policy_find_measure(p, a->measure, strlen(a->measure));
	if (m < 0) {
		char list[256] = "";
		size_t used = 0;

		for (size_t i = 0; i < p->nmeasures && used < sizeof(list);
		     i++) {
			int n = snprintf(list + used, sizeof(list) - used,
					 "%s%s", i ? ", " : "",
					 p->measures[i].id);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		return qerr_set(
			e, Q_ERR_UNKNOWN_MEASURE, "measure",
			"measure: '%.64s' is not a measure of '%s' (it has %s)",
			a->measure, p->program, list);
	}
	/* Only what the measure reads: decide_facts reads no field but
	 * through the measure's expressions and the ones it needs itself,
	 * none of which is left out. */
	rc = facts_build_need(a, chips, hist, p->measures[m].plan_fields, &f,
			      e);
	if (rc)
		return rc;
	if (lists_known) {
		f.lists_known = true;
		f.supplier_lists = lists;
	}
	/* No string keys: each string a condition compares is compared once
	 * here, where strcmp costs less than making its key. */
	f.skey_mask = f.skey_long = 0;
	return decide_facts(p, m, &f, hist && hist->from_db, out, e);
}

int decide(const struct policy *p, const struct application *a,
	   const struct chip_catalog *chips, const struct history *hist,
	   struct decision *out, struct qerr *e)
{
	return decide_any(p, a, chips, hist, false, 0, out, e);
}

int decide_listed(const struct policy *p, const struct application *a,
		  const struct chip_catalog *chips, const struct history *hist,
		  uint64_t lists, struct decision *out, struct qerr *e)
{
	return decide_any(p, a, chips, hist, true, lists, out, e);
}
