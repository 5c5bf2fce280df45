/*
 * waiting.c - why a waitlisted application waits, and behind what: its
 * place in its pool's waitlist (the order office_serve_waitlist serves:
 * received, then arrival), the applications and the amount ahead of it,
 * the first in line, and what the pool has available. Under `waitlist:
 * fit` it says instead that the application does not fit what the pool
 * has available (nothing ahead holds it back).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "office/office_int.h"
#include "office/view.h"

struct ahead {
	const struct policy *p;
	const struct store_app *me;
	uint32_t pool;
	int at;
	int64_t n;
	money_t sum;
	bool overflow;
	/* the first in line */
	int64_t head_received, head_seq;
	money_t head_requested;
	char head_id[64];
};

static int count_ahead(void *arg, const struct store_app *a)
{
	struct ahead *c = arg;
	int m = policy_find_measure(c->p, a->measure, strlen(a->measure));

	if (m < 0 || c->p->measures[m].pool != c->pool ||
	    policy_pool_account_year(c->p, c->pool, a->fiscal_year) != c->at)
		return 0;
	if (!c->head_id[0] || a->received_at < c->head_received ||
	    (a->received_at == c->head_received && a->seq < c->head_seq)) {
		c->head_received = a->received_at;
		c->head_seq = a->seq;
		c->head_requested = a->requested;
		snprintf(c->head_id, sizeof(c->head_id), "%s", a->id);
	}
	if (a->received_at < c->me->received_at ||
	    (a->received_at == c->me->received_at && a->seq < c->me->seq)) {
		c->n++;
		c->overflow |= money_add(c->sum, a->requested, &c->sum) != 0;
	}
	return 0;
}

/* Under `waitlist: fit` nothing ahead holds an application back: it waits
 * only while it asks more than the pool has available. */
static int why_fit(const struct policy *p, const struct store_app *a,
		   const struct ahead *c, money_t available, json_t **out,
		   struct qerr *e)
{
	char m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX], en[512], zh[512];
	bool fits = a->requested <= available;
	const char *pool = p->pools[c->pool].id;

	assert(p && a && c && out);
	assert(a->state == APP_WAITLISTED);
	money_format(a->requested, m1);
	money_format(available, m2);
	if (fits) {
		snprintf(en, sizeof(en),
			 "it asks %s yuan and pool '%s' has %s available: it "
			 "fits, and is reserved the next time the waitlist is "
			 "served (waitlist: fit)",
			 m1, pool, m2);
		snprintf(
			zh, sizeof(zh),
			"申请 %s 元，资金池 %s 可用 %s 元，额度已足：下次安排候补时即予预留（按额度安排）",
			m1, pool, m2);
	} else {
		snprintf(en, sizeof(en),
			 "it does not fit: it asks %s yuan and pool '%s' has "
			 "%s available; under waitlist: fit, applications that "
			 "fit are reserved in the order received, skipping "
			 "those that do not, so nothing ahead holds it back",
			 m1, pool, m2);
		snprintf(
			zh, sizeof(zh),
			"申请 %s 元，超过资金池 %s 可用的 %s 元；按额度安排：依受理先后安排额度足够的申请，额度不足者暂缓，不受前序申请阻挡",
			m1, pool, m2);
	}
	*out = json_pack(
		"{s:I,s:I,s:o,s:s,s:o,s:s,s:o,s:s,s:o,s:b,s:s,s:s}", "position",
		(json_int_t)(c->n + 1), "ahead", (json_int_t)c->n,
		"ahead_amount", office_money_j(c->sum), "head", c->head_id,
		"head_requested", office_money_j(c->head_requested), "pool",
		pool, "available", office_money_j(available), "order", "fit",
		"requested", office_money_j(a->requested), "fits", fits, "why",
		en, "why_zh", zh);
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

int view_waiting(struct office *o, const struct store_app *a, json_t **out,
		 struct qerr *e)
{
	const struct policy *p;
	struct ledger_account acc;
	struct ahead c;
	char code[256], m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX];
	char m3[MONEY_TEXT_MAX], en[512], zh[512];
	money_t available;
	int m, rc;

	assert(o && a && out);
	*out = NULL;
	if (a->state != APP_WAITLISTED)
		return Q_OK;
	p = office_policy_of(o, a->program);
	m = p ? policy_find_measure(p, a->measure, strlen(a->measure)) : -1;
	if (m < 0)
		return Q_OK;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.me = a;
	c.pool = p->measures[m].pool;
	c.at = policy_pool_account_year(p, c.pool, a->fiscal_year);
	if (c.at < 0)
		return Q_OK;
	rc = store_app_each(o->store, a->program, APP_WAITLISTED, count_ahead,
			    &c, e);
	if (rc)
		return rc;
	office_pool_code(code, p->program, p->pools[c.pool].id, c.at,
			 "available", NULL);
	rc = office_get_account(o, code, &acc, e);
	if (rc)
		return rc;
	available = (money_t)acc.credits_posted - (money_t)acc.debits_posted -
		    (money_t)acc.debits_pending;
	if (c.overflow)
		return qerr_set(e, Q_ERR_OVERFLOW, "",
				"the amount ahead overflows");
	if (p->measures[m].waitlist == WAITLIST_FIT)
		return why_fit(p, a, &c, available, out, e);
	money_format(available, m1);
	money_format(c.head_requested, m2);
	money_format(c.sum, m3);
	/* Strict arrival order: the first in line is served first, and no
	 * one behind it while it does not fit. */
	if (c.n == 0)
		snprintf(
			en, sizeof(en),
			"first in line: it asks %s yuan and pool '%s' has %s "
			"available; it is served as soon as the pool covers it",
			m2, p->pools[c.pool].id, m1);
	else
		snprintf(en, sizeof(en),
			 "waits behind %lld application(s) asking %s yuan in "
			 "all; the first in line, %s, asks %s yuan and pool "
			 "'%s' has %s available: applications are served in "
			 "the order received, none overtaking the first",
			 (long long)c.n, m3, c.head_id, m2, p->pools[c.pool].id,
			 m1);
	if (c.n == 0)
		snprintf(
			zh, sizeof(zh),
			"排在首位：申请 %s 元，资金池 %s 可用 %s 元；资金池足额时即予安排",
			m2, p->pools[c.pool].id, m1);
	else
		snprintf(
			zh, sizeof(zh),
			"前面有 %lld 件申请，合计 %s 元；首位申请 %s 需 %s 元，资金池 %s "
			"可用 %s 元：按受理先后顺序安排，后序申请不得越过首位",
			(long long)c.n, m3, c.head_id, m2, p->pools[c.pool].id,
			m1);
	*out = json_pack(
		"{s:I,s:I,s:o,s:s,s:o,s:s,s:o,s:s,s:s,s:s}", "position",
		(json_int_t)(c.n + 1), "ahead", (json_int_t)c.n, "ahead_amount",
		office_money_j(c.sum), "head", c.head_id, "head_requested",
		office_money_j(c.head_requested), "pool", p->pools[c.pool].id,
		"available", office_money_j(available), "order", "strict",
		"why", en, "why_zh", zh);
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}
