#include "engine/render.h"

#include <assert.h>
#include <stdio.h>

char *render_rule_at(const struct policy *p, uint32_t r, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%d:%d", p->path, p->rules[r].line,
		 p->rules[r].col);
	return buf;
}

static const char *outcome_name(enum trace_outcome o)
{
	switch (o) {
	case TRACE_PASSED:
		return "passed";
	case TRACE_FAILED:
		return "failed";
	case TRACE_MATCHED:
		return "matched";
	case TRACE_CHOSEN:
		return "chosen";
	case TRACE_NOT_IN_FORCE:
		return "not in force";
	case TRACE_APPLIED:
		return "applied";
	case TRACE_NOT_BINDING:
		return "not binding";
	case TRACE_RELAXED:
		return "relaxed";
	case TRACE_SOFT_EXCEEDED:
		return "soft cap exceeded";
	case TRACE_SHARE:
		return "share";
	}
	return "?";
}

static const char *outcome_name_zh(enum trace_outcome o)
{
	switch (o) {
	case TRACE_PASSED:
		return "通过";
	case TRACE_FAILED:
		return "未通过";
	case TRACE_MATCHED:
		return "符合";
	case TRACE_CHOSEN:
		return "采用";
	case TRACE_NOT_IN_FORCE:
		return "未生效";
	case TRACE_APPLIED:
		return "已适用";
	case TRACE_NOT_BINDING:
		return "未触及";
	case TRACE_RELAXED:
		return "已放宽";
	case TRACE_SOFT_EXCEEDED:
		return "超出软上限";
	case TRACE_SHARE:
		return "分担";
	}
	return "?";
}

/* A contract kind in Chinese, for the dated-kind words. */
static const char *kind_name_zh(enum contract_kind k)
{
	static const char *const zh[KIND__COUNT] = {
		[KIND_RENT] = "租用算力",
		[KIND_BUY] = "购买",
		[KIND_BUILD] = "自建",
		[KIND_API] = "接口调用",
		[KIND_PRIVATE_DEPLOYMENT] = "私有化部署",
		[KIND_CORPUS] = "语料",
		[KIND_GRANT] = "资助",
	};

	assert(k >= 0 && k < KIND__COUNT);
	return zh[k] ? zh[k] : kind_name(k);
}

/* "contracts signed from 2025-06-13", "api contracts signed until ...":
 * the dates of a from, until or dated-kind rule. */
static const char *dates_words(const struct policy *p, uint32_t rule, char *buf,
			       size_t n)
{
	const struct policy_rule *r = &p->rules[rule];
	const struct policy_measure *m = &p->measures[r->measure];
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
	qdate lo = m->from, hi = m->until;
	const char *kind = "";

	assert(r->measure < p->nmeasures);
	if (r->kind == RULE_UNTIL)
		lo = INT32_MIN;
	if (r->kind == RULE_FROM)
		hi = INT32_MAX;
	for (int k = 0; r->kind == RULE_KIND_DATES && k < KIND__COUNT; k++)
		if (m->kind_rules[k] == rule) {
			lo = m->kind_from[k];
			hi = m->kind_until[k];
			kind = kind_name((enum contract_kind)k);
		}
	snprintf(buf, n, "%s%scontracts signed%s%s%s%s", kind,
		 kind[0] ? " " : "", lo != INT32_MIN ? " from " : "",
		 lo != INT32_MIN ? date_format(lo, d1) : "",
		 hi != INT32_MAX ? " until " : "",
		 hi != INT32_MAX ? date_format(hi, d2) : "");
	return buf;
}

char *render_trace_words(const struct policy *p, const struct trace_entry *t,
			 char *buf, size_t n)
{
	const struct policy_rule *r = &p->rules[t->rule];
	const char *says = r->says ? r->says : "";
	const char *sep = r->says ? ": " : "";
	char a[MONEY_TEXT_MAX];
	char rt[RATE_TEXT_MAX];

	switch ((enum trace_outcome)t->outcome) {
	case TRACE_MATCHED:
	case TRACE_CHOSEN:
		snprintf(buf, n, "rate %s %s%s%s",
			 rate_format((rate_bp)t->value, rt),
			 outcome_name((enum trace_outcome)t->outcome), sep,
			 says);
		break;
	case TRACE_SOFT_EXCEEDED:
		snprintf(
			buf, n,
			"soft cap exceeded: a reviewer may approve up to %s yuan%s%s",
			money_format(t->value, a), sep, says);
		break;
	case TRACE_SHARE:
		snprintf(buf, n, "share %s yuan%s%s", money_format(t->value, a),
			 sep, says);
		break;
	case TRACE_APPLIED:
	case TRACE_NOT_BINDING:
	case TRACE_RELAXED:
		if (r->kind == RULE_SUBSIDISED_MONTHS)
			snprintf(
				buf, n, "base %s yuan %s%s%s",
				money_format(t->value, a),
				t->outcome == TRACE_APPLIED
					? "after the subsidised months"
					: "(the term is within the subsidised months)",
				sep, says);
		else if (r->kind == RULE_BASE)
			snprintf(buf, n, "base %s yuan%s%s",
				 money_format(t->value, a), sep, says);
		else
			snprintf(buf, n, "limit %s yuan %s%s%s",
				 money_format(t->value, a),
				 outcome_name((enum trace_outcome)t->outcome),
				 sep, says);
		break;
	default:
		if (r->kind == RULE_FROM || r->kind == RULE_UNTIL ||
		    r->kind == RULE_KIND_DATES) {
			char span[80];

			snprintf(buf, n, "%s: %s%s%s",
				 outcome_name((enum trace_outcome)t->outcome),
				 dates_words(p, t->rule, span, sizeof(span)),
				 sep, says);
			break;
		}
		snprintf(buf, n, "%s%s%s",
			 outcome_name((enum trace_outcome)t->outcome), sep,
			 says);
		break;
	}
	return buf;
}

/* The Chinese of dates_words: "自2025-06-13起签订的接口调用合同". */
static const char *dates_words_zh(const struct policy *p, uint32_t rule,
				  char *buf, size_t n)
{
	const struct policy_rule *r = &p->rules[rule];
	const struct policy_measure *m = &p->measures[r->measure];
	char d1[DATE_TEXT_MAX], d2[DATE_TEXT_MAX];
	qdate lo = m->from, hi = m->until;
	const char *kind = "";

	assert(r->measure < p->nmeasures);
	if (r->kind == RULE_UNTIL)
		lo = INT32_MIN;
	if (r->kind == RULE_FROM)
		hi = INT32_MAX;
	for (int k = 0; r->kind == RULE_KIND_DATES && k < KIND__COUNT; k++)
		if (m->kind_rules[k] == rule) {
			lo = m->kind_from[k];
			hi = m->kind_until[k];
			kind = kind_name_zh((enum contract_kind)k);
		}
	snprintf(buf, n, "%s%s%s%s%s%s签订的%s合同",
		 lo != INT32_MIN ? "自" : "",
		 lo != INT32_MIN ? date_format(lo, d1) : "",
		 lo != INT32_MIN ? "起" : "", hi != INT32_MAX ? "至" : "",
		 hi != INT32_MAX ? date_format(hi, d2) : "",
		 hi != INT32_MAX ? "止" : "", kind);
	return buf;
}

char *render_trace_words_zh(const struct policy *p, const struct trace_entry *t,
			    char *buf, size_t n)
{
	const struct policy_rule *r = &p->rules[t->rule];
	const char *says = policy_rule_says(r, "zh");
	const char *sep = says ? "：" : "";
	char a[MONEY_TEXT_MAX];
	char rt[RATE_TEXT_MAX];
	enum trace_outcome o = (enum trace_outcome)t->outcome;

	assert(buf && n > 0);
	if (!says)
		says = "";
	switch (o) {
	case TRACE_MATCHED:
	case TRACE_CHOSEN:
		snprintf(buf, n, "比例 %s %s%s%s",
			 rate_format((rate_bp)t->value, rt), outcome_name_zh(o),
			 sep, says);
		break;
	case TRACE_SOFT_EXCEEDED:
		snprintf(buf, n, "超出软上限：评审人最多可批准 %s 元%s%s",
			 money_format(t->value, a), sep, says);
		break;
	case TRACE_SHARE:
		snprintf(buf, n, "分担 %s 元%s%s", money_format(t->value, a),
			 sep, says);
		break;
	case TRACE_APPLIED:
	case TRACE_NOT_BINDING:
	case TRACE_RELAXED:
		if (r->kind == RULE_SUBSIDISED_MONTHS)
			snprintf(buf, n, "基数 %s 元%s%s%s",
				 money_format(t->value, a),
				 o == TRACE_APPLIED
					 ? "（按补贴月数计算）"
					 : "（合同期在补贴月数以内）",
				 sep, says);
		else if (r->kind == RULE_BASE)
			snprintf(buf, n, "基数 %s 元%s%s",
				 money_format(t->value, a), sep, says);
		else
			snprintf(buf, n, "上限 %s 元 %s%s%s",
				 money_format(t->value, a), outcome_name_zh(o),
				 sep, says);
		break;
	default:
		if (r->kind == RULE_FROM || r->kind == RULE_UNTIL ||
		    r->kind == RULE_KIND_DATES) {
			char span[160];

			snprintf(buf, n, "%s：%s%s%s", outcome_name_zh(o),
				 dates_words_zh(p, t->rule, span, sizeof(span)),
				 sep, says);
			break;
		}
		snprintf(buf, n, "%s%s%s", outcome_name_zh(o), sep, says);
		break;
	}
	return buf;
}

/* Add a key and steal the value; returns -1 if anything is NULL. */
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

static json_t *rule_json(const struct policy *p, uint32_t r)
{
	char at[512];
	json_t *o = json_object();
	int bad = 0;

	bad |= put(o, "rule", json_string(p->rules[r].id));
	bad |= put(o, "at", json_string(render_rule_at(p, r, at, sizeof(at))));
	if (p->rules[r].says)
		bad |= put(o, "says", json_string(p->rules[r].says));
	if (p->rules[r].assumption)
		bad |= put(o, "assumption",
			   json_string(p->rules[r].assumption));
	if (p->rules[r].says_zh)
		bad |= put(o, "says_zh", json_string(p->rules[r].says_zh));
	if (p->rules[r].zh_source)
		bad |= put(o, "says_zh_source",
			   json_string(p->rules[r].zh_source));
	if (p->rules[r].assumption_zh)
		bad |= put(o, "assumption_zh",
			   json_string(p->rules[r].assumption_zh));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *render_decision_json(const struct policy *p,
			     const struct application *a,
			     const struct decision *d)
{
	json_t *o = json_object();
	json_t *caps = json_array();
	json_t *reasons = json_array();
	json_t *trace = json_array();
	json_t *flags = json_array();
	json_t *funders = json_array();
	char buf[512];
	int bad = 0;

	if (!o || !caps || !reasons || !trace || !flags || !funders)
		goto fail;
	char at[DATETIME_TEXT_MAX];

	bad |= put(o, "application", a->id ? json_string(a->id) : json_null());
	if (a->client_ref)
		bad |= put(o, "client_ref", json_string(a->client_ref));
	bad |= put(o, "received_at",
		   json_string(datetime_format(a->received_at, at)));
	bad |= put(o, "program", json_string(p->program));
	bad |= put(o, "policy", json_string(p->hash));
	bad |= put(o, "eligible", json_boolean(d->eligible));
	bad |= put(o, "measure", json_string(p->measures[d->measure].id));
	bad |= put(o, "rate_bp", json_integer(d->rate));
	bad |= put(o, "rate", json_string(rate_format(d->rate, buf)));
	if (d->rate_rule >= 0)
		bad |= put(o, "rate_rule",
			   json_string(p->rules[d->rate_rule].id));
	bad |= put(o, "base", money_json(d->base));
	bad |= put(o, "gross", money_json(d->gross));
	bad |= put(o, "amount", money_json(d->amount));
	bad |= put(o, "values_on",
		   json_string(date_format(d->params_date, buf)));
	for (uint16_t i = 0; i < d->ncaps; i++) {
		json_t *c = rule_json(p, d->caps[i].rule);

		bad |= put(c, "limit", money_json(d->caps[i].limit));
		bad |= put(c, "cut", money_json(d->caps[i].cut));
		bad |= c ? json_array_append_new(caps, c) : -1;
	}
	for (uint16_t i = 0; i < d->nreasons; i++) {
		json_t *r = rule_json(p, d->reasons[i]);

		bad |= r ? json_array_append_new(reasons, r) : -1;
	}
	for (uint16_t i = 0; i < d->ntrace; i++) {
		const struct trace_entry *t = &d->trace[i];
		json_t *r = rule_json(p, t->rule);

		bad |= put(r, "outcome",
			   json_string(outcome_name(
				   (enum trace_outcome)t->outcome)));
		bad |= put(r, "words",
			   json_string(
				   render_trace_words(p, t, buf, sizeof(buf))));
		bad |= put(r, "words_zh",
			   json_string(render_trace_words_zh(p, t, buf,
							     sizeof(buf))));
		bad |= r ? json_array_append_new(trace, r) : -1;
	}
	bad |= put(o, "caps", caps);
	bad |= put(o, "reasons", reasons);
	for (uint16_t i = 0; i < d->nflags; i++) {
		const struct decision_flag *fl = &d->flags[i];
		json_t *f = json_object();

		bad |= put(f, "flag", json_string("soft_cap_exceeded"));
		bad |= put(f, "rule", json_string(p->rules[fl->rule].id));
		bad |= put(f, "at",
			   json_string(render_rule_at(p, fl->rule, buf,
						      sizeof(buf))));
		bad |= put(f, "limit", money_json(fl->limit));
		bad |= put(f, "hard_limit", money_json(fl->hard_limit));
		bad |= put(f, "above", money_json(fl->above));
		bad |= put(f, "reviewer_may_approve_up_to",
			   money_json(fl->up_to));
		bad |= f ? json_array_append_new(flags, f) : -1;
	}
	for (uint16_t i = 0; i < d->nfunders; i++) {
		const struct policy_funder *pf = NULL;
		json_t *f = rule_json(p, d->funders[i].rule);
		const struct policy_measure *m = &p->measures[d->measure];

		for (size_t j = 0; j < m->nfunders; j++)
			if (m->funders[j].rule == d->funders[i].rule)
				pf = &m->funders[j];
		if (pf) {
			bad |= put(f, "funder", json_string(pf->id));
			bad |= put(f, "name", json_string(pf->name));
			bad |= put(f, "weight", json_integer(pf->weight));
			if (pf->external)
				bad |= put(f, "external", json_true());
		}
		bad |= put(f, "amount", money_json(d->funders[i].amount));
		bad |= f ? json_array_append_new(funders, f) : -1;
	}
	if (d->review_up_to > d->amount)
		bad |= put(o, "reviewer_may_approve_up_to",
			   money_json(d->review_up_to));
	bad |= put(o, "flags", flags);
	flags = NULL;
	if (d->nfunders && decision_pool_share(p, d) != d->amount)
		bad |= put(o, "pool_amount",
			   money_json(decision_pool_share(p, d)));
	if (d->nfunders)
		bad |= put(o, "funders", funders);
	else
		json_decref(funders);
	funders = NULL;
	bad |= put(o, "trace", trace);
	if (d->trace_truncated)
		bad |= put(o, "trace_truncated",
			   json_integer(d->trace_truncated));
	if (d->yearly_caps_without_history)
		bad |= put(
			o, "note",
			json_string(
				"no database: yearly caps per applicant count this contract alone"));
	if (d->yearly_caps_without_history)
		bad |= put(
			o, "note_zh",
			json_string(
				"未连接数据库：按申请人计的年度上限只计入本合同"));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	json_decref(o);
	json_decref(caps);
	json_decref(reasons);
	json_decref(trace);
	json_decref(flags);
	json_decref(funders);
	return NULL;
}

json_t *render_error_json(const struct qerr *e)
{
	json_t *inner = json_object();
	json_t *o = json_object();
	int bad = 0;

	bad |= put(inner, "code", json_string(qerr_name(e->code)));
	bad |= put(inner, "message", json_string(e->msg));
	if (e->field[0])
		bad |= put(inner, "field", json_string(e->field));
	if (!o || bad || json_object_set_new(o, "error", inner)) {
		json_decref(o);
		return NULL;
	}
	return o;
}
