/*
 * columns.c - deciding a block over columns of facts (columns.h).
 *
 * Each step follows decide_facts (engine/decide.c) in the same order:
 * the kind and dates, the window, the fused conditions, the base, the
 * subsidised months, the rate table, the money, the caps in file order,
 * the funders. A row leaves the columns (fb) wherever decide_facts would
 * return an error, and is decided by decide_facts at the end.
 */
#include "engine/columns.h"

#include <assert.h>
#include <string.h>

static uint64_t fields_of(const struct expr *x)
{
	return x ? expr_fields(x) : 0;
}

uint64_t columns_fields(const struct policy *p, int measure)
{
	const struct policy_measure *m;
	uint64_t f = 1ull << F_CONTRACT_SIGNED_ON;

	assert(p && measure >= 0 && (size_t)measure < p->nmeasures);
	m = &p->measures[measure];
	f |= fields_of(m->fused) | fields_of(m->base);
	if (m->subsidised_months)
		f |= 1ull << F_CONTRACT_TERM_MONTHS;
	for (size_t i = 0; i < m->nrows; i++)
		f |= fields_of(m->rows[i].when) | fields_of(m->rows[i].rate);
	for (size_t i = 0; i < m->ncaps; i++) {
		const struct policy_cap *c = &m->caps[i];

		f |= fields_of(c->when) | fields_of(c->limit) |
		     fields_of(c->relaxed_when) | fields_of(c->relaxed_limit) |
		     fields_of(c->hard_limit);
		if (c->per == CAP_PER_APPLICANT_YEAR)
			f |= 1ull << F_APPLICANT_AWARDED_YEAR;
		if (c->per == CAP_PER_STACKED)
			f |= 1ull << F_CONTRACT_OTHER_SUBSIDIES_NATIONAL |
			     1ull << F_CONTRACT_OTHER_SUBSIDIES_PROVINCE |
			     1ull << F_CONTRACT_OTHER_SUBSIDIES_CITY |
			     1ull << F_CONTRACT_OTHER_SUBSIDIES_DISTRICT |
			     1ull << F_CONTRACT_OTHER_SUBSIDIES_UNLEVELED;
	}
	return f;
}

void fact_columns_clear(struct fact_columns *c, uint64_t fields)
{
	assert(c);
	c->n = 0;
	c->fields = fields;
	c->nids = 0;
	for (uint64_t m = fields; m; m &= m - 1) {
		int id = __builtin_ctzll(m);

		c->ids[c->nids] = (uint8_t)id;
		c->slot[c->nids++] = (int8_t)facts_skey_slot(id);
	}
}

void fact_columns_add(struct fact_columns *c, const struct facts *f)
{
	size_t r = c->n;

	assert(c && f && r < COLUMNS_BLOCK);
	for (size_t j = 0; j < c->nids; j++) {
		int id = c->ids[j];

		c->col[id][r] = f->i[id];
		if (c->slot[j] >= 0)
			c->skey[c->slot[j]][r] = f->skey[c->slot[j]];
	}
	c->null_mask[r] = f->null_mask;
	c->received_at[r] = f->received_at;
	c->kind[r] = f->kind;
	c->lists_known[r] = f->lists_known;
	c->supplier_lists[r] = f->supplier_lists;
	c->skey_mask[r] = f->skey_mask;
	c->skey_long[r] = f->skey_long;
	c->n = r + 1;
}

/* The columns as the evaluator reads them: a field not gathered has no
 * column, so reading it would fault rather than read another block's. */
static void view(const struct fact_columns *c, const struct columns_work *w,
		 struct expr_cols *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t j = 0; j < c->nids; j++) {
		x->col[c->ids[j]] = c->col[c->ids[j]];
		if (c->slot[j] >= 0)
			x->skey[c->slot[j]] = c->skey[c->slot[j]];
	}
	x->null_mask = c->null_mask;
	x->lists_known = c->lists_known;
	x->supplier_lists = c->supplier_lists;
	x->skey_mask = c->skey_mask;
	x->skey_long = c->skey_long;
	x->params = w->pv;
	x->param_null = w->pn;
}

static void lite_reason(struct decision_lite *o, uint32_t rule)
{
	if (o->nreasons < DECISION_MAX_REASONS)
		o->reasons[o->nreasons++] = rule;
}

/* decide_dates and the window check of decide_facts, for row r. */
static void lite_dates(const struct policy_measure *m,
		       const struct fact_columns *c, size_t r,
		       struct decision_lite *o)
{
	qdate on = (qdate)c->col[F_CONTRACT_SIGNED_ON][r];
	int32_t kind = c->kind[r];
	uint32_t kr;

	assert(kind >= 0 && kind < KIND__COUNT);
	kr = m->kind_rules[kind];
	if (!(m->kinds & (1u << kind)))
		lite_reason(o, m->kind_rule);
	else if (kr != UINT32_MAX &&
		 (on < m->kind_from[kind] || on > m->kind_until[kind]))
		lite_reason(o, kr);
	if (m->from_rule != UINT32_MAX && on < m->from)
		lite_reason(o, m->from_rule);
	if (m->until_rule != UINT32_MAX && on > m->until)
		lite_reason(o, m->until_rule);
	if (c->received_at[r] < m->window_opens ||
	    c->received_at[r] > m->window_closes)
		lite_reason(o, m->window_rule);
}

/* Row r leaves the columns, to be decided by decide_facts. */
static void fall_back(struct columns_work *w, size_t r)
{
	w->fb[r] = 1;
	w->live[r] = 0;
	w->act[r] = 0;
	w->act2[r] = 0;
}

/* The conditions: reasons, or a row that falls back. */
static void lite_conditions(const struct policy_measure *m,
			    const struct expr_cols *x, size_t n,
			    struct decision_lite *out, struct columns_work *w)
{
	assert(m->fused);
	expr_eval_fused_columns(m->fused, x, n, NULL, w->pass, w->nif, w->st,
				w->bad, &w->xs);
	for (size_t r = 0; r < n; r++) {
		if (w->st[r]) {
			fall_back(w, r);
			continue;
		}
		for (size_t i = 0; i < m->nconds; i++)
			if (!((w->nif[r] >> i) & 1) && !((w->pass[r] >> i) & 1))
				lite_reason(&out[r], m->conds[i].rule);
	}
}

/* The base and the subsidised months, over the live rows. */
static void lite_base(const struct policy_measure *m,
		      const struct fact_columns *c, const struct expr_cols *x,
		      struct decision_lite *out, struct columns_work *w)
{
	size_t n = c->n;

	assert(m->base);
	expr_eval_columns(m->base, x, n, w->live, w->v, w->st, &w->xs);
	for (size_t r = 0; r < n; r++) {
		int64_t term;

		if (!w->live[r])
			continue;
		if (w->st[r] || w->v[r] < 0) {
			fall_back(w, r);
			continue;
		}
		out[r].base = w->v[r];
		if (m->subsidised_months == 0)
			continue;
		term = c->col[F_CONTRACT_TERM_MONTHS][r];
		if (term <= 0 || (term > m->subsidised_months &&
				  money_scale(out[r].base, m->subsidised_months,
					      term, &out[r].base)))
			fall_back(w, r);
	}
}

/* The rate table over the live rows, its hit policy as decide_rate's. */
static void lite_rate(const struct policy_measure *m, const struct expr_cols *x,
		      size_t n, struct decision_lite *out,
		      struct columns_work *w)
{
	for (size_t r = 0; r < n; r++) {
		w->chosen[r] = -1;
		w->best[r] = 0;
	}
	for (size_t i = 0; i < m->nrows; i++) {
		const struct policy_row *row = &m->rows[i];

		for (size_t r = 0; r < n; r++)
			w->act[r] = w->live[r] &&
				    !(m->hit == HIT_FIRST && w->chosen[r] >= 0);
		if (row->when) {
			expr_eval_columns(row->when, x, n, w->act, w->v, w->st,
					  &w->xs);
			for (size_t r = 0; r < n; r++)
				if (w->act[r] && w->st[r] == EXPR_NOT_IN_FORCE)
					w->act[r] = 0;
				else if (w->act[r] && w->st[r])
					fall_back(w, r);
				else if (w->act[r] && !w->v[r])
					w->act[r] = 0;
		}
		expr_eval_columns(row->rate, x, n, w->act, w->v, w->st, &w->xs);
		for (size_t r = 0; r < n; r++) {
			if (!w->act[r] || w->st[r] == EXPR_NOT_IN_FORCE)
				continue;
			if (w->st[r] ||
			    (w->chosen[r] >= 0 && m->hit == HIT_UNIQUE)) {
				fall_back(w, r);
				continue;
			}
			if (w->chosen[r] < 0 ||
			    (m->hit == HIT_MAX && w->v[r] > w->best[r])) {
				w->chosen[r] = (int32_t)i;
				w->best[r] = w->v[r];
			}
		}
	}
	for (size_t r = 0; r < n; r++) {
		struct decision_lite *o = &out[r];

		if (!w->live[r])
			continue;
		if (w->chosen[r] < 0 || w->best[r] < 0 ||
		    w->best[r] > INT32_MAX) {
			fall_back(w, r);
			continue;
		}
		o->rate = (rate_bp)w->best[r];
		o->rate_rule = (int32_t)m->rows[w->chosen[r]].rule;
		if (money_apply_rate(o->base, o->rate, &o->gross)) {
			fall_back(w, r);
			continue;
		}
		o->amount = o->gross;
	}
}

/* remaining() of decide.c for row r. */
static int lite_remaining(const struct policy_cap *cap,
			  const struct fact_columns *c, size_t r, money_t lim,
			  money_t *out)
{
	money_t less = 0;

	if (cap->per == CAP_PER_APPLICANT_YEAR)
		less = c->col[F_APPLICANT_AWARDED_YEAR][r];
	else if (cap->per == CAP_PER_STACKED)
		for (int l = 0; l < SUBSIDY_LEVEL__COUNT; l++)
			if (cap_counts_level(cap, l) &&
			    money_add(less, c->col[facts_subsidy_field[l]][r],
				      &less))
				return -1;
	if (money_sub(lim, less, &lim))
		return -1;
	*out = lim < 0 ? 0 : lim;
	return 0;
}

/* Evaluate x over the rows of `on`: a row where it is not in force
 * leaves `on`, one where it fails falls back. */
static void eval_on(const struct expr *x, const struct expr_cols *ec, size_t n,
		    uint8_t *on, int64_t *v, struct columns_work *w)
{
	expr_eval_columns(x, ec, n, on, v, w->st, &w->xs);
	for (size_t r = 0; r < n; r++)
		if (on[r] && w->st[r] == EXPR_NOT_IN_FORCE)
			on[r] = 0;
		else if (on[r] && w->st[r])
			fall_back(w, r);
}

/* One cap over the live rows, as apply_caps takes it. */
static void lite_cap(const struct policy_cap *cap, const struct fact_columns *c,
		     const struct expr_cols *x, struct decision_lite *out,
		     struct columns_work *w)
{
	size_t n = c->n;

	memcpy(w->act, w->live, n);
	if (cap->when) {
		eval_on(cap->when, x, n, w->act, w->v, w);
		for (size_t r = 0; r < n; r++)
			w->act[r] = w->act[r] && w->v[r];
	}
	memset(w->relaxed, 0, n);
	if (cap->relaxed_when) {
		expr_eval_columns(cap->relaxed_when, x, n, w->act, w->v, w->st,
				  &w->xs);
		for (size_t r = 0; r < n; r++)
			if (w->act[r] && w->st[r] &&
			    w->st[r] != EXPR_NOT_IN_FORCE)
				fall_back(w, r);
			else if (w->act[r] && !w->st[r] && w->v[r])
				w->relaxed[r] = 1;
	}
	/* The limit: the relaxed one where its condition holds. */
	for (size_t r = 0; r < n; r++) {
		w->act2[r] = w->act[r] && w->relaxed[r];
		w->act[r] = w->act[r] && !w->relaxed[r];
	}
	eval_on(cap->limit, x, n, w->act, w->lim, w);
	if (cap->relaxed_when)
		eval_on(cap->relaxed_limit, x, n, w->act2, w->lim, w);
	for (size_t r = 0; r < n; r++) {
		w->act[r] = w->act[r] || w->act2[r];
		w->hard[r] = w->lim[r];
	}
	if (cap->hard_limit) {
		expr_eval_columns(cap->hard_limit, x, n, w->act, w->v, w->st,
				  &w->xs);
		for (size_t r = 0; r < n; r++) {
			if (!w->act[r] || w->st[r] == EXPR_NOT_IN_FORCE)
				continue;
			if (w->st[r] || w->v[r] < w->lim[r])
				fall_back(w, r);
			else
				w->hard[r] = w->v[r];
		}
	}
	for (size_t r = 0; r < n; r++) {
		money_t lim, hard;

		if (!w->act[r])
			continue;
		if (lite_remaining(cap, c, r, w->lim[r], &lim) ||
		    lite_remaining(cap, c, r, w->hard[r], &hard)) {
			fall_back(w, r);
			continue;
		}
		if (out[r].amount > lim)
			out[r].amount = lim;
	}
}

/* The rows that left the columns, decided one by one. */
static size_t fall_backs(const struct policy *p, int measure,
			 const struct fact_columns *c, bool with_history,
			 const struct facts *const *src,
			 struct decision_lite *out, struct columns_work *w)
{
	struct decision *d = &w->d;
	size_t failed = 0;

	for (size_t r = 0; r < c->n; r++) {
		struct decision_lite *o = &out[r];
		struct qerr e;

		if (!w->fb[r])
			continue;
		assert(src && src[r]);
		memset(o, 0, sizeof(*o));
		o->fell_back = true;
		o->status =
			decide_facts(p, measure, src[r], with_history, d, &e);
		if (o->status) {
			failed++;
			continue;
		}
		o->eligible = d->eligible;
		o->rate = d->rate;
		o->rate_rule = d->rate_rule;
		o->base = d->base;
		o->gross = d->gross;
		o->amount = d->amount;
		o->nreasons = d->nreasons;
		memcpy(o->reasons, d->reasons,
		       d->nreasons * sizeof(d->reasons[0]));
		o->pool_share = d->eligible ? decision_pool_share(p, d) : 0;
	}
	return failed;
}

size_t decide_columns(const struct policy *p, int measure,
		      const struct fact_columns *c, bool with_history,
		      const struct facts *const *src, struct decision_lite *out,
		      struct columns_work *w)
{
	const struct policy_measure *m;
	struct expr_cols x;
	size_t n;

	assert(p && c && out && w);
	assert(measure >= 0 && (size_t)measure < p->nmeasures);
	m = &p->measures[measure];
	n = c->n;
	assert(n <= COLUMNS_BLOCK);
	assert((c->fields & columns_fields(p, measure)) ==
	       columns_fields(p, measure));
	for (size_t r = 0; r < n; r++) {
		struct decision_lite *o = &out[r];

		memset(o, 0, offsetof(struct decision_lite, reasons));
		o->rate_rule = -1;
		w->fb[r] = 0;
		policy_params_on(p, (qdate)c->col[F_CONTRACT_SIGNED_ON][r],
				 &w->pv[r], &w->pn[r]);
		lite_dates(m, c, r, o);
	}
	view(c, w, &x);
	memset(w->live, 1, n);
	if (m->nconds)
		lite_conditions(m, &x, n, out, w);
	for (size_t r = 0; r < n; r++)
		w->live[r] = !w->fb[r] && out[r].nreasons == 0;
	lite_base(m, c, &x, out, w);
	lite_rate(m, &x, n, out, w);
	for (size_t i = 0; i < m->ncaps; i++)
		lite_cap(&m->caps[i], c, &x, out, w);
	for (size_t r = 0; r < n; r++) {
		if (!w->live[r])
			continue;
		/* The funders' split as decide_facts makes it; the pool's
		 * part is what the simulator asks of the pool. */
		if (m->nfunders > DECISION_MAX_FUNDERS ||
		    measure_pool_share(p, measure, out[r].amount,
				       &out[r].pool_share)) {
			fall_back(w, r);
			continue;
		}
		out[r].eligible = true;
	}
	return fall_backs(p, measure, c, with_history, src, out, w);
}
