/*
 * round.c - pro-rata rounds: closing the round of a measure for a fiscal
 * year reserves every queued application in full when the pool covers
 * the demand, or else its share by the sharing rule (office_pro_rata:
 * largest remainders, ties to the earlier arrival), so the reservations
 * add up to the pool exactly.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* --- the sharing rule ------------------------------------------------------- */

/* Largest remainder first, then earlier arrival (lower index). */
struct share {
	size_t i;
	__int128 rem;
};

static int by_remainder(const void *x, const void *y)
{
	const struct share *a = x, *b = y;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

int office_pro_rata(const money_t *asks, size_t n, money_t available,
		    money_t *awards)
{
	struct share *sh;
	money_t demand = 0, given = 0;

	assert(asks || n == 0);
	assert(awards || n == 0);
	for (size_t i = 0; i < n; i++)
		if (asks[i] < 0 || money_add(demand, asks[i], &demand))
			return Q_ERR_INVALID;
	if (available < 0)
		return Q_ERR_INVALID;
	if (demand <= available) {
		memcpy(awards, asks, n * sizeof(*awards));
		return Q_OK;
	}
	sh = malloc((n ? n : 1) * sizeof(*sh));
	if (!sh)
		return Q_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		__int128 num = (__int128)asks[i] * available;

		awards[i] = (money_t)(num / demand);
		sh[i].i = i;
		sh[i].rem = num % demand;
		given += awards[i];
	}
	qsort(sh, n, sizeof(*sh), by_remainder);
	for (size_t k = 0; given < available && k < n; k++, given++)
		awards[sh[k].i]++;
	free(sh);
	return Q_OK;
}

/* --- closing a round --------------------------------------------------------- */

struct queued {
	char id[64];
	int64_t seq;
	money_t requested, award;
};

struct queue_collect {
	struct queued *q;
	size_t n, max;
	const char *measure;
	int year;
	bool overflow;
};

static int collect_queued(void *arg, const struct store_app *a)
{
	struct queue_collect *c = arg;

	assert(a->state == APP_QUEUED);
	if (strcmp(a->measure, c->measure) || a->fiscal_year != c->year)
		return 0;
	if (c->n == c->max) {
		c->overflow = true;
		return 1;
	}
	memcpy(c->q[c->n].id, a->id, 64);
	c->q[c->n].seq = a->seq;
	c->q[c->n].requested = a->requested;
	c->n++;
	return 0;
}

/* The pro-rata measure of program called measure: *p and *m. */
static int round_measure(struct office *o, const char *program,
			 const char *measure, const struct policy **p, int *m,
			 struct qerr *e)
{
	assert(program && measure);
	*p = office_policy_of(o, program);
	if (!*p)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program: '%s' is not a program of this office",
				program);
	*m = policy_find_measure(*p, measure, strlen(measure));
	if (*m < 0)
		return qerr_set(e, Q_ERR_UNKNOWN_MEASURE, "measure",
				"measure: '%s' is not a measure of '%s'",
				measure, program);
	if ((*p)->measures[*m].alloc != ALLOC_PRO_RATA)
		return qerr_set(
			e, Q_ERR_INVALID, "measure",
			"measure '%s' is first come first served: it has no round to close",
			measure);
	return Q_OK;
}

/* The demand of the round c against out->available, and each queued
 * application's share of it (c->q[i].award). */
static int share_round(struct queue_collect *c, struct office_round *out,
		       struct qerr *e)
{
	money_t *asks, *awards;
	int rc;

	assert(c && out);
	assert(out->demand == 0);
	for (size_t i = 0; i < c->n; i++)
		if (money_add(out->demand, c->q[i].requested, &out->demand))
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"demand overflows");
	out->count = (long)c->n;
	out->scaled = out->demand > out->available;
	asks = malloc((c->n ? c->n : 1) * sizeof(*asks));
	awards = malloc((c->n ? c->n : 1) * sizeof(*awards));
	/* c->q is in arrival order (store_app_each walks by seq). */
	for (size_t i = 0; asks && i < c->n; i++)
		asks[i] = c->q[i].requested;
	rc = asks && awards
		     ? office_pro_rata(asks, c->n, out->available, awards)
		     : Q_ERR_NOMEM;
	for (size_t i = 0; !rc && i < c->n; i++)
		c->q[i].award = awards[i];
	free(asks);
	free(awards);
	if (rc)
		return qerr_set(e, rc, "", "round: cannot share the pool");
	return Q_OK;
}

/* Reserve queued application q's share of the pool. */
static int reserve_share(struct office *o, const struct policy *p, int m,
			 const struct queued *q, const char *by, int64_t now,
			 struct qerr *e)
{
	struct store_app a;
	int to, rc;

	assert(q && q->award >= 0);
	assert(q->award <= q->requested);
	rc = store_app_get(o->store, q->id, &a, e);
	if (rc == Q_NONE)
		return qerr_set(e, Q_ERR_IO, "",
				"round: application '%s' vanished", q->id);
	if (rc)
		return rc;
	a.requested = q->award;
	rc = office_reserve(o, p, &a, now, &to, e);
	if (!rc && to != APP_RESERVED)
		rc = qerr_set(e, Q_ERR_CONFLICT, "",
			      "round: '%s' did not fit the pool", a.id);
	if (!rc) {
		struct office_step s = {
			VERB_ROUND, APP_RESERVED, office_is_grant(p, m),
			"reserve",  by,		  now};

		rc = office_app_move(o, &a, &s,
				     json_pack("{s:o,s:o,s:s}", "amount",
					       office_money_j(q->award),
					       "asked",
					       office_money_j(q->requested),
					       "from", "round"),
				     e);
	}
	store_app_release(&a);
	return rc;
}

/* The round c of measure m, in the current transaction. */
static int close_round(struct office *o, const struct policy *p, int m,
		       struct queue_collect *c, const char *by, int64_t now,
		       struct office_round *out, struct qerr *e)
{
	const char *pool = p->pools[p->measures[m].pool].id;
	char code[LEDGER_ID_MAX], m1[MONEY_TEXT_MAX], m2[MONEY_TEXT_MAX];
	struct ledger_account avail;
	int rc, at;

	assert(p->measures[m].alloc == ALLOC_PRO_RATA);
	rc = store_app_each(o->store, p->program, APP_QUEUED, collect_queued, c,
			    e);
	if (!rc && c->overflow)
		rc = qerr_set(e, Q_ERR_TOO_LARGE, "",
			      "a round holds at most %d applications",
			      MAX_WAITLIST);
	/* A commitment pool's accounts are its first year's for every year
	 * of its span. */
	at = policy_pool_account_year(p, p->measures[m].pool, c->year);
	office_pool_code(code, p->program, pool, at < 0 ? c->year : at,
			 "available", NULL);
	if (!rc)
		rc = office_get_account(o, code, &avail, e);
	if (rc)
		return rc;
	out->available = ledger_balance(&avail);
	rc = share_round(c, out, e);
	for (size_t i = 0; !rc && i < c->n; i++) {
		out->awarded += c->q[i].award;
		rc = reserve_share(o, p, m, &c->q[i], by, now, e);
	}
	if (rc)
		return rc;
	return office_audit(
		o, "round-close", c->measure, p->hash, by, now,
		json_pack("{s:s,s:i,s:I,s:s,s:s,s:b}", "program", p->program,
			  "year", c->year, "applications", (json_int_t)c->n,
			  "demand", money_format(out->demand, m1), "available",
			  money_format(out->available, m2), "scaled",
			  out->scaled),
		e);
}

int office_round_close(struct office *o, const char *program,
		       const char *measure, int year, const char *by,
		       int64_t now, struct office_round *out, struct qerr *e)
{
	struct queue_collect c = {NULL, 0, MAX_WAITLIST, measure, year, false};
	const struct policy *p = NULL;
	int m = -1, rc;

	assert(o && by && out);
	memset(out, 0, sizeof(*out));
	rc = round_measure(o, program, measure, &p, &m, e);
	if (rc)
		return rc;
	c.q = calloc(MAX_WAITLIST, sizeof(*c.q));
	if (!c.q)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	rc = office_begin(o, e);
	if (!rc) {
		rc = close_round(o, p, m, &c, by, now, out, e);
		if (!rc)
			rc = office_commit(o, e);
		if (rc)
			office_rollback(o);
	}
	free(c.q);
	return rc;
}
