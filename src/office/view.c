/*
 * view.c - a program office as JSON (view.h).
 */
#include "office/view.h"
#include "office/office_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static json_t *money_j(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

static int nomem(struct qerr *e)
{
	return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* Parse stored JSON text; NULL (not an error) when absent or broken. */
static json_t *stored(const char *text)
{
	json_error_t err;

	return text ? json_loads(text, JSON_DECODE_ANY, &err) : NULL;
}

static const char *xfer_kind(uint32_t f)
{
	if (f & LEDGER_PENDING)
		return "pending";
	if (f & LEDGER_POST_PENDING)
		return "post";
	if (f & LEDGER_VOID_PENDING)
		return "void";
	return "posted";
}

static int add_transfer(void *arg, const struct ledger_transfer *t)
{
	json_array_append_new(
		arg,
		json_pack("{s:s,s:s,s:o,s:s?,s:I}", "id", t->id, "kind",
			  xfer_kind(t->flags), "amount", money_j(t->amount),
			  "pending_id", t->pending_id[0] ? t->pending_id : NULL,
			  "at", (json_int_t)(t->timestamp / 1000000)));
	return 0;
}

static int add_event(void *arg, const struct store_event *ev)
{
	json_array_append_new(
		arg, json_pack("{s:I,s:I,s:s,s:s,s:o*,s:s}", "seq",
			       (json_int_t)ev->seq, "at", (json_int_t)ev->at,
			       "who", ev->who, "action", ev->action, "detail",
			       stored(ev->detail), "hash", ev->hash));
	return 0;
}

/* "settlement": the detail of the latest "settle" event of history hs
 * (the settled value, the award before and after, the invoices and the
 * settled decision), when it has one. */
static void add_settlement(json_t *j, json_t *hs)
{
	for (size_t i = json_array_size(hs); i-- > 0;) {
		json_t *ev = json_array_get(hs, i);
		const char *act =
			json_string_value(json_object_get(ev, "action"));

		if (act && !strcmp(act, "settle")) {
			json_object_set(j, "settlement",
					json_object_get(ev, "detail"));
			return;
		}
	}
}

/* "tranches": a grant's tranches, one a fiscal year, from its transfers
 * xs: each pending "reserve/<id>/<year>" with its amount, and its state:
 * open (reserved; no milestone yet), posted (its milestone recorded: the
 * tranche is awarded and can be paid) or voided (released). Nothing for
 * an application that is not a grant. */
static int add_tranches(json_t *j, const char *id, json_t *xs)
{
	char prefix[80];
	size_t plen, i, k;
	json_t *x, *y, *ts = NULL;

	assert(j && id && xs);
	plen = (size_t)snprintf(prefix, sizeof(prefix), "reserve/%s/", id);
	assert(plen < sizeof(prefix));
	json_array_foreach(xs, i, x)
	{
		const char *xid = json_string_value(json_object_get(x, "id"));
		const char *state = "open";
		char *end;
		long year;

		if (!xid || strncmp(xid, prefix, plen) ||
		    strcmp(json_string_value(json_object_get(x, "kind")),
			   "pending"))
			continue;
		year = strtol(xid + plen, &end, 10);
		if (*end || end == xid + plen)
			continue;
		json_array_foreach(xs, k, y)
		{
			const char *pid = json_string_value(
				json_object_get(y, "pending_id"));
			const char *kind =
				json_string_value(json_object_get(y, "kind"));

			if (pid && kind && !strcmp(pid, xid))
				state = !strcmp(kind, "post") ? "posted"
							      : "voided";
		}
		if (!ts && !(ts = json_array()))
			return -1;
		if (json_array_append_new(
			    ts,
			    json_pack("{s:I,s:O,s:s}", "year", (json_int_t)year,
				      "amount", json_object_get(x, "amount"),
				      "state", state)))
			return -1;
	}
	return ts ? json_object_set_new(j, "tranches", ts) : 0;
}

/* The applicant's name from the application as submitted. */
static const char *applicant_name(json_t *app)
{
	const char *n = json_string_value(
		json_object_get(json_object_get(app, "applicant"), "name"));

	return n ? n : "";
}

int view_app(struct office *o, const char *id, json_t **out, struct qerr *e)
{
	struct store_app a;
	json_t *j, *app, *xs, *hs, *dj = NULL;
	char at[DATETIME_TEXT_MAX];
	int rc;

	*out = NULL;
	rc = store_app_get(o->store, id, &a, e);
	if (rc)
		return rc;
	app = stored(a.json);
	rc = office_decision_json(o, &a, &dj, e);
	if (rc) {
		json_decref(app);
		store_app_release(&a);
		return rc;
	}
	j = json_pack(
		"{s:s,s:s*,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,"
		"s:s,s:I,s:s,s:I,s:o*,s:o*}",
		"id", a.id, "client_ref", a.client_ref[0] ? a.client_ref : NULL,
		"program", a.program, "measure", a.measure, "uscc", a.uscc,
		"name", applicant_name(app), "state", app_state_name(a.state),
		"policy", a.policy_hash, "requested", money_j(a.requested),
		"awarded", money_j(a.awarded), "paid", money_j(a.paid),
		"recovered", money_j(a.recovered), "remaining",
		money_j(a.awarded - a.paid), "approver", a.approver,
		"approved_by", a.approved_by, "fiscal_year",
		(json_int_t)a.fiscal_year, "received_at",
		datetime_format(a.received_at, at), "updated_at",
		(json_int_t)a.updated_at, "decision", dj, "application", app);
	xs = json_array();
	hs = json_array();
	if (!j || !xs || !hs) {
		json_decref(j);
		json_decref(xs);
		json_decref(hs);
		store_app_release(&a);
		return nomem(e);
	}
	rc = store_transfer_each(o->store, a.id, add_transfer, xs, e);
	if (!rc)
		rc = store_event_each_subject(o->store, a.id, add_event, hs, e);
	json_object_set_new(j, "transfers", xs);
	json_object_set_new(j, "history", hs);
	if (!rc)
		add_settlement(j, hs);
	if (!rc && add_tranches(j, a.id, xs))
		rc = nomem(e);
	if (!rc && a.state == APP_WAITLISTED) {
		json_t *w = NULL;

		rc = view_waiting(o, &a, &w, e);
		if (!rc && w)
			json_object_set_new(j, "waiting", w);
	}
	store_app_release(&a);
	if (rc) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

json_t *view_app_summary(struct office *o, const struct store_app *a,
			 int64_t now)
{
	json_t *app = stored(a->json), *d = NULL, *j;
	struct qerr e;

	/* A decision that no longer renders still lists, without its rate
	 * and flags; the application's page says why. */
	qerr_clear(&e);
	if (office_decision_json(o, a, &d, &e))
		d = NULL;
	json_t *flags = json_object_get(d, "flags");
	const char *rate = json_string_value(json_object_get(d, "rate"));
	char at[DATETIME_TEXT_MAX];

	j = json_pack(
		"{s:s,s:s*,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s?,s:O*,"
		"s:s,s:I}",
		"id", a->id, "client_ref",
		a->client_ref[0] ? a->client_ref : NULL, "program", a->program,
		"measure", a->measure, "uscc", a->uscc, "name",
		applicant_name(app), "state", app_state_name(a->state),
		"requested", money_j(a->requested), "awarded",
		money_j(a->awarded), "paid", money_j(a->paid), "recovered",
		money_j(a->recovered), "remaining",
		money_j(a->awarded - a->paid), "rate", rate, "flags",
		json_is_array(flags) ? flags : NULL, "received_at",
		datetime_format(a->received_at, at), "age_seconds",
		(json_int_t)(now > a->received_at ? now - a->received_at : 0));
	if (j && !json_object_get(j, "flags"))
		json_object_set_new(j, "flags", json_array());
	json_decref(app);
	json_decref(d);
	return j;
}

/* Money figures of a pool, a program or the whole office. */
struct totals {
	money_t budget, available, reserved, awarded, paid, recovered, treasury;
	money_t total_awarded, total_paid, total_recovered; /* cumulative */
	long count[APP__STATE_COUNT];
};

struct pools {
	json_t *arr;
	struct totals prog[OFFICE_MAX_PROGRAMS], all;
	char names[OFFICE_MAX_PROGRAMS][64];
	size_t nprog;
	int rc;
};

static int totals_add(struct totals *t, const struct office_pool_figures *f)
{
	for (int s = 0; s < APP__STATE_COUNT; s++)
		t->count[s] += f->count[s];
	return money_add(t->budget, f->budget, &t->budget) ||
	       money_add(t->available, f->available, &t->available) ||
	       money_add(t->reserved, f->reserved, &t->reserved) ||
	       money_add(t->awarded, f->awarded, &t->awarded) ||
	       money_add(t->paid, f->paid, &t->paid) ||
	       money_add(t->recovered, f->recovered, &t->recovered) ||
	       money_add(t->treasury, f->treasury, &t->treasury) ||
	       money_add(t->total_awarded, f->total_awarded,
			 &t->total_awarded) ||
	       money_add(t->total_paid, f->total_paid, &t->total_paid) ||
	       money_add(t->total_recovered, f->total_recovered,
			 &t->total_recovered);
}

/* The cumulative totals beside the balances: "totals" in the report, where
 * the flat "awarded", "paid" and "recovered" are the accounts' balances. */
static json_t *cumulative_j(money_t awarded, money_t paid, money_t recovered)
{
	return json_pack("{s:o,s:o,s:o}", "awarded", money_j(awarded), "paid",
			 money_j(paid), "recovered", money_j(recovered));
}

static json_t *counts_j(const long *count)
{
	json_t *counts = json_object();

	for (int s = 0; counts && s < APP__STATE_COUNT; s++)
		json_object_set_new(counts, app_state_name(s),
				    json_integer(count[s]));
	return counts;
}

static json_t *totals_j(const struct totals *t)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o*,s:o*}", "budget",
			 money_j(t->budget), "available", money_j(t->available),
			 "reserved", money_j(t->reserved), "awarded",
			 money_j(t->awarded), "paid", money_j(t->paid),
			 "recovered", money_j(t->recovered), "treasury",
			 money_j(t->treasury), "applications",
			 counts_j(t->count), "totals",
			 cumulative_j(t->total_awarded, t->total_paid,
				      t->total_recovered));
}

static int add_pool(void *arg, const struct office_pool_figures *f)
{
	struct pools *p = arg;
	json_t *j;
	size_t i = 0;

	while (i < p->nprog && strcmp(p->names[i], f->program))
		i++;
	if (i == p->nprog && p->nprog < OFFICE_MAX_PROGRAMS)
		snprintf(p->names[p->nprog++], sizeof(p->names[0]), "%s",
			 f->program);
	if (i == OFFICE_MAX_PROGRAMS || totals_add(&p->prog[i], f) ||
	    totals_add(&p->all, f)) {
		p->rc = Q_ERR_OVERFLOW;
		return 1;
	}
	/* A commitment is one row, year its first; "commitment" says so
	 * (null for a yearly budget). */
	j = json_pack(
		"{s:s,s:s,s:i,s:o?,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o*,s:o*}",
		"program", f->program, "pool", f->pool, "year", f->year,
		"commitment",
		f->until ? json_pack("{s:i,s:i}", "from", f->year, "until",
				     f->until)
			 : NULL,
		"budget", money_j(f->budget), "available",
		money_j(f->available), "reserved", money_j(f->reserved),
		"awarded", money_j(f->awarded), "paid", money_j(f->paid),
		"recovered", money_j(f->recovered), "treasury",
		money_j(f->treasury), "applications", counts_j(f->count),
		"totals",
		cumulative_j(f->total_awarded, f->total_paid,
			     f->total_recovered));
	if (!j || json_array_append_new(p->arr, j)) {
		p->rc = Q_ERR_NOMEM;
		return 1;
	}
	return 0;
}

/* --- self-reliance: the domestic share of subsidised compute ------------------ */

#define SR_MAX_MONTHS 600

/* Subsidy and H100-equivalent hours of compute, all and domestic. */
struct sr_sums {
	char month[8]; /* "2025-09", "" for the total */
	money_t subsidy, domestic_subsidy;
	int64_t hours, domestic_hours;
	long applications;
};

struct selfrel {
	const struct chip_catalog *chips;
	struct sr_sums total;
	struct sr_sums *months;
	size_t n;
	int rc;
};

static int sr_add(struct sr_sums *s, money_t amount, int64_t hours,
		  bool domestic)
{
	s->applications++;
	if (money_add(s->subsidy, amount, &s->subsidy) ||
	    __builtin_add_overflow(s->hours, hours, &s->hours))
		return 1;
	if (domestic &&
	    (money_add(s->domestic_subsidy, amount, &s->domestic_subsidy) ||
	     __builtin_add_overflow(s->domestic_hours, hours,
				    &s->domestic_hours)))
		return 1;
	return 0;
}

/* One stored application: an awarded or reserved compute contract counts
 * with its award (or its reservation), its chip and its hours, in the
 * month of its contract's signing. */
static int sr_visit(void *arg, const struct store_app *a)
{
	struct selfrel *sr = arg;
	json_t *app, *c, *cp;
	const struct chip *chip;
	const char *id, *signed_on;
	money_t amount;
	__int128 h;
	size_t i;

	if (!a->compute ||
	    (a->state != APP_AWARDED && a->state != APP_RESERVED))
		return 0;
	amount = a->state == APP_AWARDED ? a->awarded : a->requested;
	app = stored(a->json);
	c = json_object_get(app, "contract");
	cp = json_object_get(c, "compute");
	id = json_string_value(json_object_get(cp, "chip"));
	signed_on = json_string_value(json_object_get(c, "signed_on"));
	chip = id ? chips_find(sr->chips, id, strlen(id)) : NULL;
	if (!chip || !signed_on || strlen(signed_on) < 7) {
		/* Not a compute contract quan can place: not counted. */
		json_decref(app);
		return 0;
	}
	h = (__int128)json_integer_value(json_object_get(cp, "hours")) *
	    json_integer_value(json_object_get(cp, "accelerators")) *
	    chip->h100_bp / RATE_BP_ONE;
	for (i = 0; i < sr->n && strncmp(sr->months[i].month, signed_on, 7);
	     i++)
		;
	if (i == sr->n) {
		if (sr->n == SR_MAX_MONTHS) {
			json_decref(app);
			return 0;
		}
		memset(&sr->months[i], 0, sizeof(sr->months[i]));
		memcpy(sr->months[i].month, signed_on, 7);
		sr->n++;
	}
	if (h < 0 || h > INT64_MAX ||
	    sr_add(&sr->months[i], amount, (int64_t)h, chip->domestic) ||
	    sr_add(&sr->total, amount, (int64_t)h, chip->domestic)) {
		json_decref(app);
		sr->rc = Q_ERR_OVERFLOW;
		return 1;
	}
	json_decref(app);
	return 0;
}

/* part / whole in basis points, rounded down; 0 when whole is 0. */
static int64_t share_bp(int64_t part, int64_t whole)
{
	return whole > 0 ? (int64_t)((__int128)part * RATE_BP_ONE / whole) : 0;
}

static json_t *sr_j(const struct sr_sums *s)
{
	char r1[RATE_TEXT_MAX], r2[RATE_TEXT_MAX];
	int64_t by = share_bp(s->domestic_subsidy, s->subsidy);
	int64_t bh = share_bp(s->domestic_hours, s->hours);

	return json_pack(
		"{s:s?,s:I,s:o,s:o,s:I,s:s,s:I,s:I,s:I,s:s}", "month",
		s->month[0] ? s->month : NULL, "applications",
		(json_int_t)s->applications, "subsidy", money_j(s->subsidy),
		"domestic_subsidy", money_j(s->domestic_subsidy),
		"share_yuan_bp", (json_int_t)by, "share_yuan",
		rate_format((rate_bp)by, r1), "h100_hours",
		(json_int_t)s->hours, "domestic_h100_hours",
		(json_int_t)s->domestic_hours, "share_hours_bp", (json_int_t)bh,
		"share_hours", rate_format((rate_bp)bh, r2));
}

static int by_month(const void *x, const void *y)
{
	return strcmp(((const struct sr_sums *)x)->month,
		      ((const struct sr_sums *)y)->month);
}

/* view_self_reliance, answered from o's copy while the store's generation
 * says nothing was written since it was made: the section walks every
 * compute application, and a report read again and again on a quiet office
 * should not. */
static int self_reliance_cached(struct office *o, json_t **out, struct qerr *e)
{
	int64_t gen;
	int rc;

	assert(o && out);
	*out = NULL;
	rc = store_generation_read(o->store, &gen, e);
	if (rc)
		return rc;
	if (o->sr_cache && o->sr_generation == gen) {
		*out = json_deep_copy(o->sr_cache);
		return *out ? Q_OK : nomem(e);
	}
	rc = view_self_reliance(o, out, e);
	if (rc)
		return rc;
	json_decref(o->sr_cache);
	o->sr_cache = json_deep_copy(*out);
	o->sr_generation = gen;
	return Q_OK;
}

int view_self_reliance(struct office *o, json_t **out, struct qerr *e)
{
	struct selfrel sr;
	json_t *months;
	int rc;

	*out = NULL;
	memset(&sr, 0, sizeof(sr));
	sr.chips = o->chips;
	sr.months = calloc(SR_MAX_MONTHS, sizeof(*sr.months));
	if (!sr.months)
		return nomem(e);
	rc = store_app_each(o->store, NULL, -1, sr_visit, &sr, e);
	if (!rc && sr.rc)
		rc = qerr_set(e, sr.rc, "", "the compute sums overflow");
	if (rc) {
		free(sr.months);
		return rc;
	}
	qsort(sr.months, sr.n, sizeof(*sr.months), by_month);
	months = json_array();
	for (size_t i = 0; months && i < sr.n; i++)
		json_array_append_new(months, sr_j(&sr.months[i]));
	*out = json_pack(
		"{s:o,s:o*,s:{s:I,s:s,s:s,s:s}}", "total", sr_j(&sr.total),
		"months", months, "forecast_2027", "share_bp",
		(json_int_t)VIEW_DOMESTIC_FORECAST_2027_BP, "share", "55%",
		"source",
		"Bernstein research, as reported in the press, 2025 (PROGRAMS.md): domestic chips 17% of China's AI accelerator market in 2023, forecast 55% by 2027",
		"source_zh",
		"伯恩斯坦研究，据2025年媒体报道（项目资料汇编）：国产芯片2023年占中国人工智能加速器市场的17%，预计2027年达到55%");
	free(sr.months);
	return *out ? 0 : nomem(e);
}

int view_report(struct office *o, json_t **out, struct qerr *e)
{
	struct pools *p = calloc(1, sizeof(*p));
	json_t *progs = NULL, *sr = NULL;
	int rc;

	*out = NULL;
	if (!p || !(p->arr = json_array())) {
		free(p);
		return nomem(e);
	}
	rc = office_pools_totals(o, add_pool, p, e);
	if (!rc && p->rc)
		rc = p->rc == Q_ERR_OVERFLOW
			     ? qerr_set(e, p->rc, "",
					"the report's sums overflow")
			     : nomem(e);
	if (!rc)
		rc = self_reliance_cached(o, &sr, e);
	if (!rc && !(progs = json_array()))
		rc = nomem(e);
	for (size_t i = 0; !rc && i < p->nprog; i++) {
		json_t *t = totals_j(&p->prog[i]);

		if (!t ||
		    json_object_set_new(t, "program",
					json_string(p->names[i])) ||
		    json_array_append_new(progs, t))
			rc = nomem(e);
	}
	if (!rc) {
		*out = json_pack("{s:O,s:O,s:o,s:O}", "pools", p->arr,
				 "programs", progs, "total", totals_j(&p->all),
				 "self_reliance", sr);
		if (!*out)
			rc = nomem(e);
	}
	json_decref(p->arr);
	json_decref(progs);
	json_decref(sr);
	free(p);
	return rc;
}

/* --- burn-down ------------------------------------------------------------- */

#define MAX_PAID 4096 /* per-applicant paid accounts followed per pool-year */

#define MAX_POINTS 400 /* points of a burn-down, spread evenly over time */

struct burn_point {
	int64_t at;
	money_t avail, reserved, paid;
};

struct burn {
	const char *program, *pool;
	int year;
	uint64_t available, funding;
	uint64_t *paid;
	size_t npaid, cap;
	money_t avail, reserved, paid_sum, budget;
	json_t *pending;	/* pending id -> amount, for posts and voids */
	struct burn_point *pts; /* one per second in which the pool moved */
	size_t npts, ptcap;
	int rc;
};

static int find_accounts(void *arg, const struct ledger_account *a)
{
	struct burn *b = arg;
	struct office_code c;

	if (office_code_parse(a->code, &c) || c.year != b->year ||
	    strcmp(c.program, b->program) || strcmp(c.pool, b->pool))
		return 0;
	if (!c.uscc[0] && !strcmp(c.name, "available")) {
		b->available = a->id;
	} else if (!c.uscc[0] && !strcmp(c.name, "funding")) {
		b->funding = a->id;
	} else if (c.uscc[0] && !strcmp(c.name, "paid")) {
		if (b->npaid == b->cap) {
			size_t n = b->cap ? b->cap * 2 : 64;
			uint64_t *p = realloc(b->paid, n * sizeof(*p));

			if (!p) {
				b->rc = Q_ERR_NOMEM;
				return 1;
			}
			b->paid = p;
			b->cap = n;
		}
		b->paid[b->npaid++] = a->id;
	}
	return 0;
}

static bool is_paid(const struct burn *b, uint64_t id)
{
	for (size_t i = 0; i < b->npaid; i++)
		if (b->paid[i] == id)
			return true;
	return false;
}

/* Record the figures after a transfer at `at`; a later transfer in the
 * same second replaces them. */
static void point(struct burn *b, int64_t at)
{
	struct burn_point *p;

	if (b->npts && b->pts[b->npts - 1].at == at) {
		p = &b->pts[b->npts - 1];
	} else {
		if (b->npts == b->ptcap) {
			size_t n = b->ptcap ? b->ptcap * 2 : 256;
			struct burn_point *q = realloc(b->pts, n * sizeof(*q));

			if (!q) {
				b->rc = Q_ERR_NOMEM;
				return;
			}
			b->pts = q;
			b->ptcap = n;
		}
		p = &b->pts[b->npts++];
	}
	p->at = at;
	p->avail = b->avail;
	p->reserved = b->reserved;
	p->paid = b->paid_sum;
}

static json_t *point_j(const struct burn_point *p)
{
	return json_pack("{s:I,s:o,s:o,s:o}", "at", (json_int_t)p->at,
			 "available", money_j(p->avail), "reserved",
			 money_j(p->reserved), "paid", money_j(p->paid));
}

/* At most MAX_POINTS of the recorded points, evenly spread by index, the
 * first and the last always among them. */
static json_t *points_j(const struct burn *b)
{
	json_t *arr = json_array();
	size_t n = b->npts, k = n <= MAX_POINTS ? n : MAX_POINTS;

	for (size_t i = 0; arr && i < k; i++) {
		size_t at = k == n ? i : i * (n - 1) / (k - 1);

		json_array_append_new(arr, point_j(&b->pts[at]));
	}
	return arr;
}

static int walk(void *arg, const struct ledger_transfer *t)
{
	struct burn *b = arg;
	bool touched = false;

	if (t->flags & (LEDGER_POST_PENDING | LEDGER_VOID_PENDING)) {
		json_t *p = json_object_get(b->pending, t->pending_id);

		if (p) {
			money_t held = json_integer_value(p);
			money_t amount =
				t->flags & LEDGER_POST_PENDING && t->amount > 0
					? t->amount
					: held;

			b->reserved -= held;
			if (t->flags & LEDGER_POST_PENDING)
				b->avail += held - amount;
			else
				b->avail += held;
			json_object_del(b->pending, t->pending_id);
			touched = true;
		}
	} else if (t->debit == b->available) {
		if (t->flags & LEDGER_PENDING) {
			json_object_set_new(b->pending, t->id,
					    json_integer(t->amount));
			b->reserved += t->amount;
		}
		b->avail -= t->amount;
		touched = true;
	} else if (t->credit == b->available) {
		b->avail += t->amount;
		if (t->debit == b->funding)
			b->budget += t->amount;
		touched = true;
	}
	if (!(t->flags & LEDGER_PENDING) && t->debit && t->credit) {
		if (is_paid(b, t->credit)) {
			b->paid_sum += t->amount;
			touched = true;
		} else if (is_paid(b, t->debit)) {
			b->paid_sum -= t->amount;
			touched = true;
		}
	}
	if (touched)
		point(b, t->timestamp / 1000000);
	return b->rc != 0;
}

int view_burndown(struct office *o, const char *program, const char *pool,
		  int year, json_t **out, struct qerr *e)
{
	char prefix[LEDGER_ID_MAX];
	struct burn b;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	/* Names too long for an account code are refused as such. */
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s/%s/%d/", program, pool,
			     year) >= sizeof(prefix))
		return qerr_set(e, Q_ERR_INVALID, "pool",
				"program and pool names too long");
	b.program = program;
	b.pool = pool;
	b.year = year;
	rc = store_account_each(o->store, find_accounts, &b, e);
	if (!rc && b.rc)
		rc = nomem(e);
	if (!rc && !b.available)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "pool",
			      "no pool '%s' of '%s' in %d", pool, program,
			      year);
	if (rc) {
		free(b.paid);
		return rc;
	}
	b.pending = json_object();
	if (!b.pending)
		rc = nomem(e);
	else
		rc = store_transfer_each(o->store, NULL, walk, &b, e);
	if (!rc && b.rc)
		rc = nomem(e);
	if (!rc) {
		*out = json_pack("{s:s,s:s,s:i,s:o,s:o}", "program", program,
				 "pool", pool, "year", year, "budget",
				 money_j(b.budget), "points", points_j(&b));
		if (!*out)
			rc = nomem(e);
	}
	json_decref(b.pending);
	free(b.pts);
	free(b.paid);
	return rc;
}

/* --- programs ------------------------------------------------------------------ */

static json_t *program_j(const struct policy *p)
{
	json_t *pools = json_array(), *measures = json_array();

	for (size_t i = 0; i < p->npools; i++) {
		const struct policy_pool *pl = &p->pools[i];
		json_t *budgets = json_array();

		for (size_t k = 0; k < pl->nbudgets; k++)
			json_array_append_new(
				budgets,
				json_pack("{s:i,s:o}", "year",
					  pl->budgets[k].year, "amount",
					  money_j(pl->budgets[k].amount)));
		json_array_append_new(
			pools,
			json_pack("{s:s,s:s?,s:o,s:o?}", "id", pl->id, "name",
				  pl->name, "budgets", budgets, "commitment",
				  pl->commitment
					  ? json_pack("{s:i,s:i}", "from",
						      pl->commit_from, "until",
						      pl->commit_until)
					  : NULL));
	}
	for (size_t i = 0; i < p->nmeasures; i++) {
		const struct policy_measure *m = &p->measures[i];
		json_t *kinds = json_array();

		for (int k = 0; k < KIND__COUNT; k++)
			if (m->kinds & (1u << k))
				json_array_append_new(
					kinds, json_string(kind_name(k)));
		json_array_append_new(
			measures,
			json_pack("{s:s,s:s?,s:s,s:o,s:s}", "id", m->id, "name",
				  m->name, "pool", p->pools[m->pool].id,
				  "kinds", kinds, "allocation",
				  m->alloc == ALLOC_PRO_RATA ? "pro-rata"
							     : "fcfs"));
	}
	return json_pack("{s:s,s:s?,s:s?,s:s,s:o,s:o}", "program", p->program,
			 "name", p->name, "issuer", p->issuer, "hash", p->hash,
			 "pools", pools, "measures", measures);
}

int view_programs(struct office *o, json_t **out, struct qerr *e)
{
	json_t *arr = json_array();

	*out = NULL;
	if (!arr)
		return nomem(e);
	for (size_t i = 0; i < o->npolicies; i++)
		if (json_array_append_new(arr, program_j(o->policies[i]))) {
			json_decref(arr);
			return nomem(e);
		}
	*out = json_pack("{s:o}", "programs", arr);
	return *out ? 0 : nomem(e);
}

/* --- the review queue ------------------------------------------------------------- */

#define QUEUE_MAX 100000L

/* One reserved application of the queue, before its order is known. */
struct queued_app {
	char id[64];
	char measure[64];
	char uscc[20];
	int64_t seq;
	char holds[64]; /* the award that gives it priority, "" none */
};

struct queue_walk {
	struct queued_app *q;
	size_t n, cap;
	bool full, oom;
};

static int queue_one(void *arg, const struct store_app *a)
{
	struct queue_walk *w = arg;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct queued_app *q;

		if (cap > (size_t)QUEUE_MAX) {
			w->full = true;
			return 1;
		}
		q = realloc(w->q, cap * sizeof(*q));
		if (!q) {
			w->oom = true;
			return 1;
		}
		w->q = q;
		w->cap = cap;
	}
	memcpy(w->q[w->n].id, a->id, sizeof(a->id));
	memcpy(w->q[w->n].measure, a->measure, sizeof(a->measure));
	memcpy(w->q[w->n].uscc, a->uscc, sizeof(a->uscc));
	w->q[w->n].seq = a->seq;
	w->q[w->n].holds[0] = '\0';
	w->n++;
	return 0;
}

/* Looking for an award the firm holds in the priority program (an
 * awarded application of it in this office): its id into holds. */
struct holding {
	char *holds;
};

static int holds_one(void *arg, const struct store_app *a)
{
	struct holding *h = arg;

	if (a->state != APP_AWARDED)
		return 0;
	snprintf(h->holds, 64, "%s", a->id);
	return 1;
}

static int queue_cmp(const void *x, const void *y)
{
	const struct queued_app *a = x, *b = y;
	bool pa = a->holds[0] != '\0', pb = b->holds[0] != '\0';

	if (pa != pb)
		return pa ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int view_queue(struct office *o, const char *program, int64_t now, json_t **out,
	       struct qerr *e)
{
	const struct policy *p = office_policy_of(o, program);
	struct queue_walk w = {NULL, 0, 0, false, false};
	json_t *arr;
	int rc;

	assert(o && program && out);
	*out = NULL;
	if (!p)
		return qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: '%.64s' is not a program of this office",
			program);
	rc = store_app_each(o->store, program, APP_RESERVED, queue_one, &w, e);
	if (!rc && w.oom)
		rc = nomem(e);
	if (!rc && w.full)
		rc = qerr_set(e, Q_ERR_INVALID, "program",
			      "more than %ld applications await review in '%s'",
			      QUEUE_MAX, program);
	for (size_t i = 0; !rc && i < w.n; i++) {
		int m = policy_find_measure(p, w.q[i].measure,
					    strlen(w.q[i].measure));
		struct store_app_filter f = {NULL, -1, NULL, 0, 1000};
		struct holding h = {w.q[i].holds};

		if (m < 0 || !p->measures[m].priority_of)
			continue;
		f.program = p->measures[m].priority_of;
		f.uscc = w.q[i].uscc;
		rc = store_app_list(o->store, &f, holds_one, &h, e);
	}
	if (rc) {
		free(w.q);
		return rc;
	}
	if (w.n)
		qsort(w.q, w.n, sizeof(*w.q), queue_cmp);
	arr = json_array();
	for (size_t i = 0; arr && !rc && i < w.n; i++) {
		struct store_app a;
		json_t *j;

		rc = store_app_get(o->store, w.q[i].id, &a, e);
		if (rc == Q_NONE) { /* gone since: another writer */
			rc = Q_OK;
			continue;
		}
		if (rc)
			break;
		j = view_app_summary(o, &a, now);
		if (j && w.q[i].holds[0]) {
			int m = policy_find_measure(p, a.measure,
						    strlen(a.measure));
			const struct policy_rule *r =
				&p->rules[p->measures[m].priority_rule];

			json_object_set_new(j, "priority",
					    json_pack("{s:s,s:s?,s:s}", "rule",
						      r->id, "says", r->says,
						      "holds", w.q[i].holds));
		}
		store_app_release(&a);
		if (!j || json_array_append_new(arr, j))
			rc = nomem(e);
	}
	free(w.q);
	if (!arr && !rc)
		rc = nomem(e);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return Q_OK;
}
