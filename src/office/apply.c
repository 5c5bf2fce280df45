/*
 * apply.c - intake: parse an application, answer a repeated client_ref
 * with its record, stamp it with the time it was received, number it
 * PREFIX-YEAR-NNNNNN, run its measure's screens, decide it, and reserve
 * it (first come first served), queue it (pro-rata) or waitlist it (the
 * pool cannot cover it, or others wait); one at a time or in batches of
 * one transaction with a savepoint each. Also estimates: the same
 * decision at a hypothetical time, saving nothing.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/app.h"
#include "engine/record.h"
#include "engine/render.h"

static bool is_compute(enum contract_kind k)
{
	return k == KIND_RENT || k == KIND_BUY || k == KIND_BUILD;
}

/* The thread's CPU time in nanoseconds, for office_phases. */
static int64_t cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* --- the screens ------------------------------------------------------------ */

/* Screen application a (its measure m, its facts f) inside the current
 * transaction. */
static int screen_app(struct office *o, const struct policy *p, int m,
		      const struct application *a, const struct facts *f,
		      struct screen_result *sr, struct qerr *e)
{
	struct screen_io io;

	assert(m >= 0 && sr);
	assert(a && f);
	office_screen_io(o, &io);
	return screen_run(p, m, a, f, &io, sr, e);
}

/* --- parsing once ------------------------------------------------------------ */

int office_prepare(const struct chip_catalog *chips, const char *json,
		   size_t len, int64_t received_at, struct office_parsed *out,
		   struct qerr *e)
{
	int rc;

	assert(json && out);
	memset(out, 0, sizeof(*out));
	rc = app_parse_json(json, len, &out->app, e);
	if (rc)
		return rc;
	qerr_clear(&out->err);
	out->rc = app_receive(&out->app, received_at, &out->err);
	if (!out->rc)
		out->rc = facts_build(&out->app, chips, NULL, &out->facts,
				      &out->err);
	return Q_OK;
}

void office_parsed_release(struct office_parsed *p)
{
	if (!p)
		return;
	app_release(&p->app);
	memset(p, 0, sizeof(*p));
}

/* The flag names of sr, comma-separated, cut to n bytes. */
static void flag_names(const struct screen_result *sr, char *buf, size_t n)
{
	size_t used = 0;

	assert(sr && buf && n > 0);
	buf[0] = '\0';
	for (uint8_t i = 0; i < sr->nflags && used < n; i++) {
		int k = snprintf(
			buf + used, n - used, "%s%s", i ? ", " : "",
			screen_flag_name((enum screen_kind)sr->flags[i].kind));
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* The screens' flags of sr as JSON text (*out, malloc'd), or NULL when
 * they raised none. */
static int flags_text(const struct policy *p, const struct screen_result *sr,
		      char **out, struct qerr *e)
{
	json_t *d;

	assert(sr && out);
	*out = NULL;
	if (!sr->nflags)
		return Q_OK;
	d = json_object();
	if (!d || screen_render_json(p, sr, d)) {
		json_decref(d);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	*out = json_dumps(json_object_get(d, "flags"), JSON_COMPACT);
	json_decref(d);
	return *out ? Q_OK : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
}

/* --- one application ---------------------------------------------------------- */

/* The application firm `uscc` filed under client_ref, if any: *found, and
 * whether its stored bytes equal json (then res describes it). */
static int by_ref(struct office *o, const struct application *a,
		  const char *json, size_t len, bool *found,
		  struct office_result *res, struct qerr *e)
{
	struct store_app old;
	bool maybe;
	int rc;

	assert(a && json && found);
	*found = false;
	if (!a->client_ref)
		return Q_OK;
	rc = office_hot_filed(o, a->applicant.uscc, &maybe, e);
	if (rc || !maybe)
		return rc;
	office_hot_ref(o, a->applicant.uscc, a->client_ref, &maybe);
	if (!maybe)
		return Q_OK;
	rc = store_app_by_ref(o->store, a->applicant.uscc, a->client_ref, &old,
			      e);
	if (rc == Q_NONE)
		return Q_OK;
	if (rc)
		return rc;
	*found = true;
	snprintf(res->id, sizeof(res->id), "%s", old.id);
	res->received_at = old.received_at;
	res->existed = true;
	res->state = old.state;
	res->amount = old.requested;
	if (strlen(old.json) != len || memcmp(old.json, json, len))
		rc = qerr_set(
			e, Q_ERR_CONFLICT, "client_ref",
			"client_ref: '%s' was used by this firm for another application",
			a->client_ref);
	store_app_release(&old);
	return rc;
}

/* Whether no application holds a number of p and year above id's n (up to
 * 999999, beyond which numbers grow a digit and every one is probed): then
 * the hot state draws the next ones without probing. Ids of that exact
 * shape sort by their number in any collation, so one range read of the
 * primary key answers; another id that happens to sort inside the range
 * only keeps the probes on. */
static int numbers_clean(struct office *o, const struct policy *p, int year,
			 int64_t n, const char *id, struct qerr *e)
{
	char hi[64];
	bool any;
	int rc;

	assert(p && id);
	assert(n > 0);
	if (n >= 999999)
		return Q_OK;
	rc = snprintf(hi, sizeof(hi), "%s-%04d-999999", p->number_prefix, year);
	assert(rc > 0 && rc < (int)sizeof(hi));
	rc = store_app_id_between(o->store, id, hi, &any, e);
	if (!rc && !any)
		office_hot_number_clean(o, p->program, year);
	return rc;
}

/* Number a new application of program p in fiscal year `year`:
 * PREFIX-YEAR-NNNNNN, the next number of the program and year. A number
 * that an application copied from an older office already holds is
 * skipped: each is probed until the office has seen that none above is
 * held (numbers_clean). */
static int number_app(struct office *o, const struct policy *p, int year,
		      char id[64], struct qerr *e)
{
	for (int tries = 0; tries < 1000; tries++) {
		bool taken, clean;
		int64_t n;
		int rc = office_hot_number(o, p->program, year, &n, &clean, e);

		if (rc)
			return rc;
		assert(n > 0);
		rc = snprintf(id, 64, "%s-%04d-%06lld", p->number_prefix, year,
			      (long long)n);
		assert(rc > 0 && rc < 64);
		if (clean)
			return Q_OK;
		rc = store_app_exists(o->store, id, &taken, e);
		if (!rc && !taken)
			rc = numbers_clean(o, p, year, n, id, e);
		if (rc || !taken)
			return rc;
	}
	return qerr_set(e, Q_ERR_CONFLICT, "",
			"numbering: no free number for '%s'", p->program);
}

/* The program of a (*p), an earlier application under the same
 * client_ref (*found: res describes it), and a received at in->received_at. */
static int receive(struct office *o, const struct office_intake *in,
		   int64_t now, struct application *a, const struct policy **p,
		   bool *found, struct office_result *res, struct qerr *e)
{
	int rc;

	assert(in && a && p);
	assert(found && res);
	*p = office_policy_of(o, a->program);
	if (!*p)
		return qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: '%.64s' is not a program of this office",
			a->program);
	if (a->client_ref)
		snprintf(res->client_ref, sizeof(res->client_ref), "%s",
			 a->client_ref);
	rc = by_ref(o, a, in->json, in->len, found, res, e);
	if (rc || *found)
		return rc;
	/* An import is of the past: never received after the office's now. */
	if (in->imported && in->received_at > now) {
		char at[DATETIME_TEXT_MAX], n[DATETIME_TEXT_MAX];

		return qerr_set(
			e, Q_ERR_INVALID, "received_at",
			"received_at: an import received at %s is after the office's now, %s",
			datetime_format(in->received_at, at),
			datetime_format(now, n));
	}
	return app_receive(a, in->received_at, e);
}

/* Number a and fill its record rec, not yet recorded (OFFICE_NEW). */
static int stamp(struct office *o, const struct policy *p,
		 struct application *a, struct store_app *rec, int64_t now,
		 struct office_result *res, struct qerr *e)
{
	int rc;

	assert(p && a && rec && res);
	rec->fiscal_year = date_year(a->received_on);
	rc = number_app(o, p, rec->fiscal_year, rec->id, e);
	if (rc)
		return rc;
	a->id = rec->id;
	snprintf(res->id, sizeof(res->id), "%s", rec->id);
	res->received_at = a->received_at;
	snprintf(rec->client_ref, sizeof(rec->client_ref), "%s",
		 a->client_ref ? a->client_ref : "");
	snprintf(rec->program, sizeof(rec->program), "%s", a->program);
	snprintf(rec->measure, sizeof(rec->measure), "%s", a->measure);
	snprintf(rec->uscc, sizeof(rec->uscc), "%s", a->applicant.uscc);
	snprintf(rec->policy_hash, sizeof(rec->policy_hash), "%s", p->hash);
	rec->contract_value = a->contract.value;
	rec->compute = is_compute(a->contract.kind);
	rec->received_at = a->received_at;
	rec->updated_at = now;
	rec->state = OFFICE_NEW;
	rec->name = a->applicant.name ? a->applicant.name : "";
	return Q_OK;
}

/* Screen and decide a with the applicant's history in this office, and
 * encode the decision into rec->decision. The screens see what the office
 * held before this application; an unknown measure is left to decide() to
 * report. */
static int judge(struct office *o, const struct policy *p,
		 struct application *a, const struct facts *pre,
		 struct store_app *rec, struct screen_result *sr,
		 struct decision *d, struct qerr *e)
{
	struct history h = {.from_db = true};
	struct facts f;
	char *flags = NULL;
	bool maybe;
	int m, rc;

	assert(rec && rec->state == OFFICE_NEW);
	assert(sr && d);
	/* A firm that never filed here has nothing yet this year; one that
	 * did, its sums as the hot state keeps them. */
	rc = office_hot_filed(o, a->applicant.uscc, &maybe, e);
	if (!rc)
		rc = office_hot_year(o, a->program, a->measure,
				     a->applicant.uscc, rec->fiscal_year, a->id,
				     !maybe, &h.awarded_year,
				     &h.compute_contracts_year, e);
	if (!rc && p->nlists)
		rc = office_supplier_lists(o, p, a->supplier.uscc, &h, e);
	if (rc)
		return rc;
	if (!rec->compute)
		h.compute_contracts_year = 0;
	sr->nflags = 0;
	sr->blocked = false;
	m = policy_find_measure(p, a->measure, strlen(a->measure));
	/* An unknown measure: decide() says which measures there are. */
	if (m < 0)
		return decide(p, a, o->chips, &h, d, e);
	/* The facts are built once: off the writer when they could be (pre),
	 * with the history added here; the screens and the decision read
	 * the same facts. */
	if (pre) {
		f = *pre;
		rc = facts_history(&f, a, &h, e);
	} else {
		rc = facts_build(a, o->chips, &h, &f, e);
	}
	int64_t t0 = o->phases ? cpu_ns() : 0;

	if (!rc)
		rc = screen_app(o, p, m, a, &f, sr, e);
	int64_t t1 = o->phases ? cpu_ns() : 0;

	if (!rc)
		rc = decide_facts(p, m, &f, true, d, e);
	if (o->phases) {
		o->phases->screens_ns += t1 - t0;
		o->phases->decide_ns += cpu_ns() - t1;
	}
	if (rc)
		return rc;
	screen_block_result(d, sr);
	/* The decision is stored as its figures and its trace as rule
	 * indices (engine/record.h), with the history it was made with so
	 * that it can be replayed exactly (office_replay); it is rendered to
	 * words when read. The screens' evidence is kept as rendered. */
	rc = flags_text(p, sr, &flags, e);
	if (!rc)
		rc = record_encode(d, &h, flags, &rec->decision, e);
	free(flags);
	return rc;
}

/* Keep the application's bytes as submitted in rec->json. */
static int keep_json(const struct office_intake *in, struct store_app *rec,
		     struct qerr *e)
{
	assert(in && in->json);
	assert(rec && !rec->json);
	rec->json = malloc(in->len + 1);
	if (!rec->json)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	memcpy(rec->json, in->json, in->len);
	rec->json[in->len] = '\0';
	return Q_OK;
}

/* Where decision d puts the application (*to): ineligible, queued for a
 * pro-rata round, waitlisted behind others, or reserved (or waitlisted
 * when the pool cannot cover it). */
static int place(struct office *o, const struct policy *p,
		 const struct store_app *rec, const struct decision *d,
		 int64_t now, int *to, struct qerr *e)
{
	const struct policy_measure *pm;
	const char *pool;
	bool waiting;
	int rc;

	assert(rec && d && to);
	if (!d->eligible) {
		*to = APP_INELIGIBLE;
		return Q_OK;
	}
	assert(d->measure >= 0 && (size_t)d->measure < p->nmeasures);
	pm = &p->measures[d->measure];
	if (pm->alloc == ALLOC_PRO_RATA) {
		*to = APP_QUEUED;
		return Q_OK;
	}
	pool = p->pools[pm->pool].id;
	if (policy_pool_budget(p, pm->pool, rec->fiscal_year) < 0)
		return qerr_set(e, Q_ERR_DECISION, "received_at",
				"pool '%s' has no budget for fiscal year %d",
				pool, rec->fiscal_year);
	/* Under `waitlist: fit` an application that fits is reserved
	 * whoever waits; under strict, no overtaking, in the order of
	 * receipt: only those received at or before it stand ahead of an
	 * application (an import may have been received before everyone
	 * waiting). */
	if (pm->waitlist == WAITLIST_FIT)
		return office_reserve(o, p, rec, now, to, e);
	rc = office_waitlist_before(o, p, pool, rec->fiscal_year,
				    rec->received_at, &waiting, e);
	if (rc)
		return rc;
	if (waiting) {
		*to = APP_WAITLISTED;
		return Q_OK;
	}
	return office_reserve(o, p, rec, now, to, e);
}

/* The contract of a, for the screens of later applications. */
static int add_contract(struct office *o, const struct application *a,
			struct qerr *e)
{
	struct store_contract sc;
	int rc;

	assert(a && a->id);
	sc.app_id = a->id;
	sc.program = a->program;
	sc.applicant = a->applicant.uscc;
	sc.supplier = a->supplier.uscc;
	sc.number = a->contract.number;
	sc.value = a->contract.value;
	sc.signed_on = a->contract.signed_on;
	rc = store_contract_add(o->store, &sc, e);
	if (!rc)
		office_hot_contract_added(o, &sc);
	return rc;
}

/* Record rec in state `to` with its audit event ("apply", or "import" for
 * an administrator's import of a historical application, which says so
 * beside the time it was given), then its contract. */
static int record(struct office *o, const struct office_intake *in,
		  const struct application *a, const struct policy *p,
		  struct store_app *rec, int to, bool eligible,
		  const struct screen_result *sr, int64_t now,
		  struct office_result *res, struct qerr *e)
{
	int m = policy_find_measure(p, rec->measure, strlen(rec->measure));
	struct office_step s = {VERB_APPLY,
				to,
				m >= 0 && office_is_grant(p, m),
				in->imported ? "import" : "apply",
				in->by,
				now};
	char at[DATETIME_TEXT_MAX];
	struct office_text t = {0};
	struct office_member mem[9];
	size_t off[9], nm = 0;
	int rc;

	assert(rec->state == OFFICE_NEW);
	assert(to >= 0 && to < APP__STATE_COUNT);
	flag_names(sr, res->flags, sizeof(res->flags));
	/* The event's detail, written as its text (audit_text.c) rather
	 * than built as a jansson object: each value NUL-terminated in t,
	 * pointed at once t no longer moves. */
#define MEMBER(k, write)                                                       \
	do {                                                                   \
		mem[nm].key = (k);                                             \
		mem[nm].value = NULL;                                          \
		off[nm++] = t.len;                                             \
		write;                                                         \
		office_text_raw(&t, "", 1);                                    \
	} while (0)
	MEMBER("measure", office_text_str(&t, rec->measure));
	MEMBER("state", office_text_str(&t, app_state_name(to)));
	MEMBER("eligible", office_text_raw(&t, eligible ? "true" : "false",
					   eligible ? 4 : 5));
	MEMBER("amount", office_text_money(&t, rec->requested));
	MEMBER("flags", office_text_str(&t, res->flags));
	MEMBER("blocked", office_text_raw(&t, sr->blocked ? "true" : "false",
					  sr->blocked ? 4 : 5));
	MEMBER("received_at",
	       office_text_str(&t, datetime_format(rec->received_at, at)));
	if (a->client_ref)
		MEMBER("client_ref", office_text_str(&t, a->client_ref));
	if (in->imported)
		MEMBER("imported", office_text_raw(&t, "true", 4));
#undef MEMBER
	assert(nm <= sizeof(mem) / sizeof(mem[0]));
	if (t.failed) {
		office_text_release(&t);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	for (size_t i = 0; i < nm; i++)
		mem[i].raw = t.buf + off[i];
	rc = office_app_move_with(o, rec, &s, NULL, mem, nm, e);
	office_text_release(&t);
	if (!rc)
		rc = add_contract(o, a, e);
	if (!rc) {
		res->state = rec->state;
		res->amount = rec->requested;
		res->nflags = sr->nflags;
		res->blocked = sr->blocked;
	}
	return rc;
}

/* Apply one application inside the current transaction. Returns the error
 * for this application alone; the caller rolls back what it wrote. */
static int apply_inner(struct office *o, const struct office_intake *in,
		       int64_t now, struct office_result *res, struct qerr *e)
{
	struct application own, *a = &own;
	struct store_app rec;
	struct decision d;
	struct screen_result *sr = NULL;
	const struct policy *p = NULL;
	bool found = false;
	int to = -1;
	int rc;

	assert(in->json && in->by);
	assert(res);
	memset(&rec, 0, sizeof(rec));
	memset(res, 0, sizeof(*res));
	memset(&own, 0, sizeof(own));
	if (in->parsed) {
		a = &in->parsed->app;
	} else {
		int64_t t0 = o->phases ? cpu_ns() : 0;

		rc = app_parse_json(in->json, in->len, &own, e);
		if (o->phases)
			o->phases->parse_ns += cpu_ns() - t0;
		if (rc)
			return rc;
	}
	rc = receive(o, in, now, a, &p, &found, res, e);
	if (rc || found)
		goto out_app;
	/* What the HTTP thread found wrong, in the order the writer would. */
	if (in->parsed && in->parsed->rc) {
		*e = in->parsed->err;
		rc = in->parsed->rc;
		goto out_app;
	}
	rc = stamp(o, p, a, &rec, now, res, e);
	/* Numbered just now: its reservation cannot exist yet. */
	if (!rc)
		office_hot_fresh(o, rec.id);
	if (!rc && !(sr = malloc(sizeof(*sr))))
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	if (!rc)
		rc = judge(o, p, a, in->parsed ? &in->parsed->facts : NULL,
			   &rec, sr, &d, e);
	if (!rc)
		rc = keep_json(in, &rec, e);
	if (!rc) {
		/* The pool is charged its own share only: an external
		 * funder's (a district's) is not the office's money. */
		rec.requested = d.eligible ? decision_pool_share(p, &d) : 0;
		rc = place(o, p, &rec, &d, now, &to, e);
	}
	if (!rc)
		rc = record(o, in, a, p, &rec, to, d.eligible, sr, now, res, e);
	free(sr);
	store_app_release(&rec);
out_app:
	office_hot_fresh(o, NULL);
	/* The number pointed into rec, gone now. */
	a->id = NULL;
	app_release(&own);
	return rc;
}

/* --- batches ------------------------------------------------------------------ */

/* apply_inner, its CPU time counted in o->phases when asked: what is not
 * parse, screens or decide is the write. */
static int apply_one(struct office *o, const struct office_intake *in,
		     int64_t now, struct office_result *res, struct qerr *e)
{
	struct office_phases *ph = o->phases;
	int64_t t0, p0, s0, d0;
	int rc;

	if (!ph)
		return apply_inner(o, in, now, res, e);
	t0 = cpu_ns();
	p0 = ph->parse_ns;
	s0 = ph->screens_ns;
	d0 = ph->decide_ns;
	rc = apply_inner(o, in, now, res, e);
	ph->write_ns += cpu_ns() - t0 - (ph->parse_ns - p0) -
			(ph->screens_ns - s0) - (ph->decide_ns - d0);
	ph->n++;
	return rc;
}

int office_apply(struct office *o, const char *json, size_t len, const char *by,
		 int64_t now, struct office_result *res, struct qerr *e)
{
	struct office_intake in = {
		.json = json, .len = len, .by = by, .received_at = now};
	int rc = office_begin(o, e);

	if (rc)
		return rc;
	rc = apply_one(o, &in, now, res, e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
	return rc;
}

int office_apply_batch(struct office *o, const char *const *jsons,
		       const size_t *lens, size_t n, const char *by,
		       int64_t now, struct office_result *res, int *rcs,
		       struct qerr *errs, struct qerr *e)
{
	return office_apply_batch_by(o, jsons, lens, n, NULL, by, now, res, rcs,
				     errs, e);
}

int office_apply_batch_by(struct office *o, const char *const *jsons,
			  const size_t *lens, size_t n, const char *const *bys,
			  const char *by, int64_t now,
			  struct office_result *res, int *rcs,
			  struct qerr *errs, struct qerr *e)
{
	struct office_intake *in = calloc(n ? n : 1, sizeof(*in));
	int rc;

	assert(jsons || n == 0);
	assert(lens || n == 0);
	if (!in)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	for (size_t i = 0; i < n; i++) {
		in[i].json = jsons[i];
		in[i].len = lens[i];
		in[i].by = bys ? bys[i] : by;
		in[i].received_at = now;
	}
	rc = office_intake_batch(o, in, n, now, res, rcs, errs, e);
	free(in);
	return rc;
}

/* Whether an application's failure is the store's, which spoils the whole
 * batch, rather than the application's own. */
static bool store_failed(int rc)
{
	return rc == Q_ERR_IO || rc == Q_ERR_NOMEM;
}

/* One pass of a batch in one transaction. Optimistic (PostgreSQL), the
 * releases do not wait for their items' answers (store_optimistic), and
 * a write refused there fails the pass as a whole. Carefully, the
 * release reads them, and a write refused is its item's. */
static int intake_pass(struct office *o, const struct office_intake *in,
		       size_t n, int64_t now, bool optimistic,
		       struct office_result *res, int *rcs, struct qerr *errs,
		       struct qerr *e)
{
	int rc;

	assert(o && (in || n == 0));
	assert(res || n == 0);
	rc = office_begin(o, e);
	if (rc)
		return rc;
	if (optimistic)
		store_optimistic(o->store);
	for (size_t i = 0; i < n; i++) {
		qerr_clear(&errs[i]);
		rc = office_savepoint(o, e);
		if (rc)
			goto fail;
		rcs[i] = apply_one(o, &in[i], now, &res[i], &errs[i]);
		if (store_failed(rcs[i])) {
			*e = errs[i];
			rc = rcs[i];
			goto fail;
		}
		if (rcs[i]) {
			office_savepoint_rollback(o);
			continue;
		}
		rc = office_savepoint_release(o, e);
		/* A write of this application that the store refused when
		 * it answered at the release (PostgreSQL sends a batch's
		 * writes ahead): the application's own failure. */
		if (rc && !store_failed(rc)) {
			rcs[i] = rc;
			errs[i] = *e;
			qerr_clear(e);
			office_savepoint_rollback(o);
			continue;
		}
		if (rc)
			goto fail;
	}
	{
		int64_t t0 = o->phases ? cpu_ns() : 0;

		rc = office_commit(o, e);
		if (o->phases)
			o->phases->commit_ns += cpu_ns() - t0;
	}
	if (!rc)
		return Q_OK;
fail:
	office_rollback(o);
	return rc;
}

/* Optimistic first: one round trip for the batch on PostgreSQL. When a
 * write was refused ahead (whose item, the pass could not tell), the
 * transaction is rolled back, the hot state forgotten with it
 * (office_rollback), and the batch run again carefully, from the same
 * store: each item then gets the answer it would have had, the refused
 * one its own refusal. A store that fails fails the batch as a whole. */
int office_intake_batch(struct office *o, const struct office_intake *in,
			size_t n, int64_t now, struct office_result *res,
			int *rcs, struct qerr *errs, struct qerr *e)
{
	int rc;

	assert(o && (in || n == 0));
	rc = intake_pass(o, in, n, now, true, res, rcs, errs, e);
	if (rc && store_refused_ahead(o->store)) {
		qerr_clear(e);
		rc = intake_pass(o, in, n, now, false, res, rcs, errs, e);
	}
	return rc;
}

/* --- estimates ------------------------------------------------------------------ */

int office_estimate(struct office *o, const char *json, size_t len, int64_t at,
		    json_t **out, struct qerr *e)
{
	struct application a;
	struct history h = {.from_db = true};
	struct decision d;
	const struct policy *p;
	int rc;

	assert(o && json && out);
	*out = NULL;
	rc = app_parse_json(json, len, &a, e);
	if (rc)
		return rc;
	p = office_policy_of(o, a.program);
	if (!p) {
		rc = qerr_set(
			e, Q_ERR_UNKNOWN_PROGRAM, "program",
			"program: '%.64s' is not a program of this office",
			a.program);
		goto out;
	}
	rc = app_receive(&a, at, e);
	if (rc)
		goto out;
	rc = store_applicant_year(o->store, a.program, a.measure,
				  a.applicant.uscc, date_year(a.received_on),
				  "", &h.awarded_year,
				  &h.compute_contracts_year, e);
	if (rc)
		goto out;
	if (!is_compute(a.contract.kind))
		h.compute_contracts_year = 0;
	if (p->nlists &&
	    (rc = office_supplier_lists(o, p, a.supplier.uscc, &h, e)))
		goto out;
	rc = decide(p, &a, o->chips, &h, &d, e);
	if (rc)
		goto out;
	*out = render_decision_json(p, &a, &d);
	if (*out)
		json_object_set_new(*out, "history",
				    office_history_json(p, &h));
	else
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
out:
	app_release(&a);
	return rc;
}
