/*
 * sim.c - a population decided and allocated in memory (sim.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/screen.h"
#include "office/office.h"
#include "sim/sim.h"

/* --- the applicants' history --------------------------------------------------- */

/* What one applicant holds in one fiscal year: under one measure what it
 * asked (measure >= 0), or the value of its compute contracts (measure
 * -1), as the office's store sums them (store_applicant_year).
 *
 * The key is three words, compared as words: the USCC's 18 bytes
 * (zero-padded: a shorter one is another key) in w[0], w[1] and the low
 * 16 bits of w[2], then in w[2] the measure (16 bits, -1 as 0xffff), the
 * program (8), the year (16) and a top bit that marks a used slot. */
struct hkey {
	uint64_t w[3];
};

#define HKEY_USED (1ull << 63)

struct hslot {
	struct hkey k; /* all zero: an empty slot */
	money_t v;
};

struct sim_history {
	struct hslot *slots;
	size_t cap, n; /* cap is a power of two; n <= cap / 2 */
};

_Static_assert(USCC_LEN == 18, "a USCC is 16 bytes and 2 more in a key");
_Static_assert(SIM_MAX_PROGRAMS <= 256, "a program is 8 bits of a key");

/* The applicant's USCC as a key's words (its measure, program and year
 * not yet set): made once per application, in sim_prepare when it runs
 * ahead. */
static void ukey_of(const char *uscc, uint64_t w[3])
{
	unsigned char b[24] = {0};

	memcpy(b, uscc, strnlen(uscc, USCC_LEN));
	memcpy(&w[0], b, 8);
	memcpy(&w[1], b + 8, 8);
	w[2] = (uint64_t)b[16] | (uint64_t)b[17] << 8;
}

/* The key of the applicant uw (ukey_of) under program, measure (-1: its
 * compute contracts) and year. */
static void hkey_set(struct hkey *k, size_t program, int measure, int year,
		     const uint64_t uw[3])
{
	assert(program < SIM_MAX_PROGRAMS && measure >= -1 && measure < 0xffff);
	assert(year > -32768 && year < 32768 && uw[2] <= 0xffff);
	k->w[0] = uw[0];
	k->w[1] = uw[1];
	k->w[2] = uw[2] | (uint64_t)(uint16_t)measure << 16 |
		  (uint64_t)program << 32 | (uint64_t)(uint16_t)year << 40 |
		  HKEY_USED;
}

static uint64_t hkey_hash(const struct hkey *k)
{
	uint64_t h = k->w[0] * 0x9e3779b97f4a7c15ull ^
		     k->w[1] * 0xc2b2ae3d27d4eb4full ^ k->w[2];

	/* MurmurHash3's finaliser: every bit of the key reaches the low
	 * bits the table's mask keeps. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static bool hkey_eq(const struct hkey *a, const struct hkey *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2];
}

static bool hslot_used(const struct hslot *s)
{
	return s->k.w[2] != 0;
}

/* The slot of k, whose hkey_hash is hash, or the empty one where it
 * goes. */
static struct hslot *hist_find_h(struct sim_history *h, const struct hkey *k,
				 uint64_t hash)
{
	size_t i;

	assert(h->cap && !(h->cap & (h->cap - 1)));
	assert(k->w[2] & HKEY_USED);
	for (i = hash & (h->cap - 1); hslot_used(&h->slots[i]);
	     i = (i + 1) & (h->cap - 1))
		if (hkey_eq(&h->slots[i].k, k))
			return &h->slots[i];
	return &h->slots[i];
}

static struct hslot *hist_find(struct sim_history *h, const struct hkey *k)
{
	return hist_find_h(h, k, hkey_hash(k));
}

static int hist_grow(struct sim_history *h)
{
	struct hslot *old = h->slots;
	size_t ocap = h->cap;

	h->cap = ocap ? ocap * 2 : 1024;
	h->slots = calloc(h->cap, sizeof(*h->slots));
	if (!h->slots) {
		h->slots = old;
		h->cap = ocap;
		return Q_ERR_NOMEM;
	}
	for (size_t i = 0; i < ocap; i++)
		if (hslot_used(&old[i]))
			*hist_find(h, &old[i].k) = old[i];
	free(old);
	return Q_OK;
}

static money_t hist_get(struct sim_history *h, const struct hkey *k)
{
	struct hslot *s = hist_find(h, k);

	return hslot_used(s) ? s->v : 0;
}

/* Room for n more keys: hist_slot's pointers stay valid until the next
 * hist_add or hist_room. */
static int hist_room(struct sim_history *h, size_t n)
{
	while ((h->n + n) * 2 > h->cap)
		if (hist_grow(h))
			return Q_ERR_NOMEM;
	return Q_OK;
}

/* The slot of k, made (with 0, which reads as absent) if it is not there.
 * hist_room first. */
static struct hslot *hist_slot(struct sim_history *h, const struct hkey *k,
			       uint64_t hash)
{
	struct hslot *s;

	assert(hash == hkey_hash(k)); /* sim_prepare found it ahead */
	assert((h->n + 1) * 2 <= h->cap);
	s = hist_find_h(h, k, hash);
	if (!hslot_used(s)) {
		s->k = *k;
		s->v = 0;
		h->n++;
	}
	return s;
}

static int hist_add(struct sim_history *h, const struct hkey *k, money_t v)
{
	struct hslot *s;

	if (v == 0)
		return Q_OK;
	if ((h->n + 1) * 2 > h->cap && hist_grow(h))
		return Q_ERR_NOMEM;
	s = hist_find(h, k);
	if (!hslot_used(s)) {
		s->k = *k;
		s->v = 0;
		h->n++;
	}
	return money_add(s->v, v, &s->v) ? Q_ERR_OVERFLOW : Q_OK;
}

/* --- the pro-rata queue ---------------------------------------------------------- */

/* An application queued for a round, with what its award needs to be
 * counted once the round gives it. */
struct queued {
	size_t out; /* index into sim.out */
	int year;   /* fiscal year */
	uint16_t measure;
	uint8_t program;
	bool compute, domestic;
	int64_t hours;
	money_t ask;
};

struct sim_queue {
	struct queued *q;
	size_t n, cap;
};

/* --- set-up ---------------------------------------------------------------------- */

static int add_pool(struct sim *s, const struct policy *p, uint32_t pool,
		    const struct policy_budget *b)
{
	struct sim_pool *pl;

	pl = realloc(s->pools, (s->npools + 1) * sizeof(*s->pools));
	if (!pl)
		return Q_ERR_NOMEM;
	s->pools = pl;
	pl = &s->pools[s->npools];
	memset(pl, 0, sizeof(*pl));
	pl->policy = p;
	pl->pool = pool;
	pl->year = b->year;
	pl->budget = b->amount;
	pl->available = b->amount;
	pl->dry_on = SIM_NEVER;
	pl->reasons = calloc(p->nrules ? p->nrules : 1, sizeof(*pl->reasons));
	if (!pl->reasons)
		return Q_ERR_NOMEM;
	s->npools++;
	return Q_OK;
}

/* Whether measure m of p decides the same whatever the applicant's
 * history: no expression of p reads a history field, and no cap of m is
 * counted per applicant-year. */
static bool reads_no_history(const struct policy *p, size_t m)
{
	const uint64_t hist = 1ull << F_APPLICANT_AWARDED_YEAR |
			      1ull << F_APPLICANT_COMPUTE_CONTRACTS_YEAR;

	if (p->fields_read & hist)
		return false;
	for (size_t i = 0; i < p->measures[m].ncaps; i++)
		if (p->measures[m].caps[i].per == CAP_PER_APPLICANT_YEAR)
			return false;
	return true;
}

int sim_init(struct sim *s, const struct policy *const *pols, size_t npols,
	     const struct chip_catalog *chips, struct qerr *e)
{
	int rc = Q_OK;

	assert(s && (pols || !npols));
	memset(s, 0, sizeof(*s));
	if (npols > SIM_MAX_PROGRAMS)
		return qerr_set(e, Q_ERR_INVALID, "policy",
				"at most %d programs in one simulation",
				SIM_MAX_PROGRAMS);
	s->chips = chips;
	s->hist = calloc(1, sizeof(*s->hist));
	s->queue = calloc(1, sizeof(*s->queue));
	s->d = malloc(sizeof(*s->d));
	s->screens = malloc(sizeof(struct screen_result));
	if (!s->hist || !s->queue || !s->d || !s->screens || hist_grow(s->hist))
		rc = Q_ERR_NOMEM;
	for (size_t i = 0; !rc && i < npols; i++) {
		const struct policy *p = pols[i];

		for (size_t j = 0; j < i; j++)
			if (!strcmp(pols[j]->program, p->program)) {
				sim_release(s);
				return qerr_set(e, Q_ERR_INVALID, "policy",
						"program '%s' is given twice",
						p->program);
			}
		s->ahead[s->npols] = calloc(p->nmeasures ? p->nmeasures : 1, 1);
		if (!s->ahead[s->npols]) {
			rc = Q_ERR_NOMEM;
			break;
		}
		s->fields[s->npols] = calloc(p->nmeasures ? p->nmeasures : 1,
					     sizeof(uint64_t));
		if (!s->fields[s->npols]) {
			free(s->ahead[s->npols]);
			s->ahead[s->npols] = NULL;
			rc = Q_ERR_NOMEM;
			break;
		}
		s->mbase[s->npols] = s->nbatches;
		s->nbatches += p->nmeasures;
		if (s->nbatches > SIM_AHEAD_BATCHES) {
			free(s->ahead[s->npols]);
			free(s->fields[s->npols]);
			s->ahead[s->npols] = NULL;
			s->fields[s->npols] = NULL;
			sim_release(s);
			return qerr_set(e, Q_ERR_INVALID, "policy",
					"at most %d measures in one simulation",
					SIM_AHEAD_BATCHES);
		}
		for (size_t m = 0; m < p->nmeasures; m++) {
			s->ahead[s->npols][m] = reads_no_history(p, m);
			s->fields[s->npols][m] = columns_fields(p, (int)m);
		}
		s->pols[s->npols++] = p;
		for (uint32_t k = 0; !rc && k < p->npools; k++)
			for (size_t b = 0; !rc && b < p->pools[k].nbudgets; b++)
				rc = add_pool(s, p, k, &p->pools[k].budgets[b]);
	}
	if (rc) {
		sim_release(s);
		return qerr_set(e, rc, "", "out of memory");
	}
	return Q_OK;
}

void sim_release(struct sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npols; i++) {
		free(s->ahead[i]);
		free(s->fields[i]);
	}
	for (size_t i = 0; i < s->npools; i++) {
		free(s->pools[i].reasons);
		free(s->pools[i].awards);
	}
	free(s->pools);
	free(s->out);
	if (s->hist)
		free(s->hist->slots);
	free(s->hist);
	if (s->queue)
		free(s->queue->q);
	free(s->queue);
	free(s->d);
	free(s->screens);
	memset(s, 0, sizeof(*s));
}

int sim_reserve(struct sim *s, size_t n)
{
	struct sim_outcome *o;

	assert(s && s->nout <= s->out_cap);
	if (n > SIM_MAX_APPS)
		return Q_ERR_TOO_LARGE;
	if (n <= s->out_cap)
		return Q_OK;
	o = realloc(s->out, n * sizeof(*o));
	if (!o)
		return Q_ERR_NOMEM;
	s->out = o;
	s->out_cap = n;
	return Q_OK;
}

const char *sim_state_name(int st)
{
	static const char *const names[] = {"ineligible", "reserved",
					    "waitlisted", "queued"};

	return st >= 0 && st <= SIM_QUEUED ? names[st] : "?";
}

/* The index in s->pools of program p's pool `pool` as it pays `year`, or
 * -1 when no budget pays that year. */
static int pool_of(const struct sim *s, const struct policy *p, uint32_t pool,
		   int year)
{
	int at = policy_pool_account_year(p, pool, year);

	if (at < 0)
		return -1;
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].policy == p && s->pools[i].pool == pool &&
		    s->pools[i].year == at)
			return (int)i;
	return -1;
}

int sim_find_pool(const struct sim *s, const char *program, const char *pool,
		  int year)
{
	for (size_t i = 0; i < s->npools; i++) {
		const struct sim_pool *pl = &s->pools[i];

		if (!strcmp(pl->policy->program, program) &&
		    !strcmp(pl->policy->pools[pl->pool].id, pool) &&
		    pl->year == year)
			return (int)i;
	}
	return -1;
}

/* --- placing ----------------------------------------------------------------------- */

static bool is_compute(enum contract_kind k)
{
	return k == KIND_RENT || k == KIND_BUY || k == KIND_BUILD;
}

static int push_award(struct sim_pool *pl, money_t amount)
{
	if (pl->nawards == pl->awards_cap) {
		size_t cap = pl->awards_cap ? pl->awards_cap * 2 : 64;
		money_t *a = realloc(pl->awards, cap * sizeof(*a));

		if (!a)
			return Q_ERR_NOMEM;
		pl->awards = a;
		pl->awards_cap = cap;
	}
	pl->awards[pl->nawards++] = amount;
	return Q_OK;
}

/* Count a served application's award in pl: its distribution and, for a
 * compute contract, the self-reliance sums. */
static int count_served(struct sim_pool *pl, money_t amount, bool compute,
			bool domestic, int64_t hours)
{
	pl->served++;
	if (compute) {
		if (money_add(pl->compute_subsidy, amount,
			      &pl->compute_subsidy) ||
		    __builtin_add_overflow(pl->hours, hours, &pl->hours))
			return Q_ERR_OVERFLOW;
		if (domestic &&
		    (money_add(pl->domestic_subsidy, amount,
			       &pl->domestic_subsidy) ||
		     __builtin_add_overflow(pl->domestic_hours, hours,
					    &pl->domestic_hours)))
			return Q_ERR_OVERFLOW;
	}
	return push_award(pl, amount);
}

/* The tranches of grant a under measure m, as the office plans them
 * (pool.c grant_plan): one per year of the term, the odd fen to the
 * earliest years. */
static int grant_tranches(const struct policy *p, int m,
			  const struct application *a, money_t amount,
			  money_t *tranche, int *n, struct qerr *e)
{
	int64_t term = a->contract.term_months;
	const struct policy_measure *pm = &p->measures[m];

	*n = (int)((term + 11) / 12);
	if (*n < pm->grant_years_min || *n > pm->grant_years_max ||
	    *n > SIM_MAX_TRANCHES)
		return qerr_set(
			e, Q_ERR_INVALID, "contract.term_months",
			"a grant of %lld months spans %d years; measure '%s' takes %d to %d",
			(long long)term, *n, pm->id, pm->grant_years_min,
			pm->grant_years_max);
	for (int k = 0; k < *n; k++)
		tranche[k] = amount / *n + (k < amount % *n ? 1 : 0);
	return Q_OK;
}

/* Reserve a grant's tranches whole or not at all (the office's linked
 * transfers): *fits. ix[k] is the pool of tranche k. */
static int grant_reserve(struct sim *s, const struct policy *p, int m,
			 const struct application *a, int fy, money_t amount,
			 bool *fits, struct qerr *e)
{
	money_t tranche[SIM_MAX_TRANCHES], left[SIM_MAX_TRANCHES];
	int ix[SIM_MAX_TRANCHES];
	int n, rc;

	rc = grant_tranches(p, m, a, amount, tranche, &n, e);
	if (rc)
		return rc;
	for (int k = 0; k < n; k++) {
		ix[k] = pool_of(s, p, p->measures[m].pool, fy + k);
		if (ix[k] < 0)
			return qerr_set(
				e, Q_ERR_DECISION, "contract.term_months",
				"pool '%s' has no budget for fiscal year %d, which the grant's tranche %d falls in",
				p->pools[p->measures[m].pool].id, fy + k,
				k + 1);
	}
	/* The ledger posts linked transfers in order: each tranche is
	 * checked against what the ones before left. */
	*fits = true;
	for (int k = 0; k < n; k++)
		left[k] = s->pools[ix[k]].available;
	for (int k = 0; k < n && *fits; k++) {
		money_t *av = &left[k];

		for (int j = 0; j < k; j++)
			if (ix[j] == ix[k])
				av = &left[j];
		if (*av < tranche[k])
			*fits = false;
		else
			*av -= tranche[k];
	}
	for (int k = 0; k < n; k++) {
		struct sim_pool *pl = &s->pools[ix[k]];

		if (money_add(pl->demand, tranche[k], &pl->demand))
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"demand overflows");
		if (!*fits)
			continue;
		pl->available -= tranche[k];
		if (money_add(pl->awarded, tranche[k], &pl->awarded))
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"awards overflow");
	}
	return Q_OK;
}

/* Reserve amount in pool ix if it fits and nobody waits (a measure with
 * `waitlist: fit`: if it fits, whoever waits): *to. */
static int fcfs_place(struct sim *s, const struct policy *p, int m,
		      const struct application *a, int fy, int ix,
		      money_t amount, int *to, struct qerr *e)
{
	struct sim_pool *pl = &s->pools[ix];
	bool fits = false;
	bool behind = pl->waiting && p->measures[m].waitlist == WAITLIST_STRICT;
	int rc;

	if (p->measures[m].grant_years_min > 0) {
		if (behind) {
			money_t t[SIM_MAX_TRANCHES];
			int n;

			/* Checked even when it waits, as the office does. */
			rc = grant_tranches(p, m, a, amount, t, &n, e);
			if (!rc && money_add(pl->demand, amount, &pl->demand))
				rc = qerr_set(e, Q_ERR_OVERFLOW, "",
					      "demand overflows");
			fits = false;
		} else {
			rc = grant_reserve(s, p, m, a, fy, amount, &fits, e);
		}
		if (rc)
			return rc;
	} else {
		if (money_add(pl->demand, amount, &pl->demand))
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"demand overflows");
		/* An amount of 0 is reserved at once (office_reserve), but
		 * waits like any other behind someone waiting (strict). */
		fits = !behind && pl->available >= amount;
		if (fits) {
			pl->available -= amount;
			pl->awarded += amount;
		}
	}
	*to = fits ? SIM_RESERVED : SIM_WAITLISTED;
	if (!fits) {
		pl->waiting = true;
		pl->waitlisted++;
		if (pl->dry_on == SIM_NEVER)
			pl->dry_on = a->received_on;
	}
	return Q_OK;
}

static int push_queue(struct sim *s, const struct queued *q)
{
	struct sim_queue *sq = s->queue;

	if (sq->n == sq->cap) {
		size_t cap = sq->cap ? sq->cap * 2 : 256;
		struct queued *n = realloc(sq->q, cap * sizeof(*n));

		if (!n)
			return Q_ERR_NOMEM;
		sq->q = n;
		sq->cap = cap;
	}
	sq->q[sq->n++] = *q;
	return Q_OK;
}

static int push_out(struct sim *s, const struct sim_outcome *o)
{
	if (s->nout == s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap * 2 : 1024;
		struct sim_outcome *n = realloc(s->out, cap * sizeof(*n));

		if (!n)
			return Q_ERR_NOMEM;
		s->out = n;
		s->out_cap = cap;
	}
	s->out[s->nout++] = *o;
	return Q_OK;
}

/* --- deciding ---------------------------------------------------------------------- */

/* Screen and decide a (program k, measure m, fiscal year fy) with its
 * history, as the office's judge() does: into s->d. */
/* The applicant's history as the office's store sums it now. */
static void history_of(struct sim *s, size_t k, int m,
		       const struct application *a, int fy, const uint64_t *uw,
		       struct history *h)
{
	struct hkey key;

	hkey_set(&key, k, m, fy, uw);
	h->awarded_year = hist_get(s->hist, &key);
	if (is_compute(a->contract.kind)) {
		hkey_set(&key, k, -1, fy, uw);
		h->compute_contracts_year = hist_get(s->hist, &key);
	}
}

static int judge(struct sim *s, size_t k, int m, const struct application *a,
		 int fy, const uint64_t *uw, struct facts *f, struct qerr *e)
{
	const struct policy *p = s->pols[k];
	struct history h = {.from_db = true, .lists_known = true};
	int rc;

	history_of(s, k, m, a, fy, uw, &h);
	rc = facts_build(a, s->chips, &h, f, e);
	if (!rc)
		facts_keys(f, p->string_fields);
	if (!rc)
		rc = screen_run(p, m, a, f, NULL, s->screens, e);
	if (!rc)
		rc = decide_facts(p, m, f, true, s->d, e);
	if (!rc)
		screen_block_result(s->d, s->screens);
	return rc;
}

/* What the office's store would now sum for the applicant's later
 * applications: its ask under m, its compute contract's value. */
static int remember(struct sim *s, size_t k, int m, const struct application *a,
		    int fy, const uint64_t *uw, struct hslot *const *at,
		    money_t asked, struct qerr *e)
{
	struct hkey key;
	int rc;

	if (at) {
		/* The slots history_at found for this application. */
		rc = money_add(at[0]->v, asked, &at[0]->v) ? Q_ERR_OVERFLOW
							   : Q_OK;
		if (!rc && is_compute(a->contract.kind))
			rc = money_add(at[1]->v, a->contract.value, &at[1]->v)
				     ? Q_ERR_OVERFLOW
				     : Q_OK;
	} else {
		hkey_set(&key, k, m, fy, uw);
		rc = hist_add(s->hist, &key, asked);
		if (!rc && is_compute(a->contract.kind)) {
			hkey_set(&key, k, -1, fy, uw);
			rc = hist_add(s->hist, &key, a->contract.value);
		}
	}
	if (rc)
		return qerr_set(e, rc, "", "history: %s",
				rc == Q_ERR_NOMEM ? "out of memory"
						  : "a sum overflows");
	return Q_OK;
}

static int program_of(const struct sim *s, const char *program)
{
	for (size_t i = 0; i < s->npols; i++)
		if (!strcmp(s->pols[i]->program, program))
			return (int)i;
	return -1;
}

/* What placing needs of a decision: made now (s->d) or ahead
 * (sim_prep). */
struct verdict {
	bool eligible;
	uint16_t nreasons;
	const uint32_t *reasons;
	money_t asked; /* the pool's share, when eligible */
};

static struct verdict verdict_of(const struct policy *p,
				 const struct decision *d)
{
	struct verdict v = {d->eligible, d->nreasons, d->reasons, 0};

	if (d->eligible)
		v.asked = decision_pool_share(p, d);
	return v;
}

static void count_refusal(struct sim_pool *pl, const struct verdict *v)
{
	pl->refused++;
	for (uint16_t r = 0; r < v->nreasons; r++)
		if (v->reasons[r] < pl->policy->nrules)
			pl->reasons[v->reasons[r]]++;
}

/* What sim_apply checks before each application: the caller's stop and
 * the size of the run. */
static int apply_checks(struct sim *s, const struct application *a,
			struct qerr *e)
{
	assert(s && a && !s->finished);
	assert(a->received_on == date_of_instant(a->received_at));
	if (s->stop && !(s->nout % SIM_STOP_EVERY) && s->stop(s->stop_arg)) {
		qerr_set(e, Q_ERR_INVALID, "", "the simulation was stopped");
		return SIM_STOPPED;
	}
	if (s->nout >= SIM_MAX_APPS)
		return qerr_set(e, Q_ERR_TOO_LARGE, "",
				"at most %llu applications in one simulation",
				(unsigned long long)SIM_MAX_APPS);
	return Q_OK;
}

/* Place a, decided into s->d from facts f (program k, measure m, fiscal
 * year fy), and remember what it asked: the order-dependent part. */
static int place(struct sim *s, int k, int m, const struct application *a,
		 int fy, const uint64_t *uw, struct hslot *const *at,
		 const struct facts *f, const struct verdict *v, struct qerr *e)
{
	struct sim_outcome o = {0, -1, SIM_INELIGIBLE, 0, 0};
	const struct policy *p = s->pols[k];
	money_t asked = 0;
	int ix, rc;

	assert(k >= 0 && m >= 0);
	o.program = (uint8_t)k;
	o.measure = (uint16_t)m;
	ix = pool_of(s, p, p->measures[m].pool, fy);
	o.pool = ix;
	if (!v->eligible) {
		if (ix >= 0)
			count_refusal(&s->pools[ix], v);
		return push_out(s, &o)
			       ? qerr_set(e, Q_ERR_NOMEM, "", "out of memory")
			       : remember(s, (size_t)k, m, a, fy, uw, at, 0, e);
	}
	if (ix < 0)
		return qerr_set(e, Q_ERR_DECISION, "received_at",
				"pool '%s' has no budget for fiscal year %d",
				p->pools[p->measures[m].pool].id, fy);
	asked = v->asked;
	o.amount = asked;
	if (p->measures[m].alloc == ALLOC_PRO_RATA) {
		struct queued q = {
			s->nout,
			fy,
			(uint16_t)m,
			(uint8_t)k,
			is_compute(a->contract.kind) && f->i[F_COMPUTE_PRESENT],
			f->i[F_COMPUTE_DOMESTIC] != 0,
			f->i[F_COMPUTE_H100_HOURS],
			asked,
		};

		o.state = SIM_QUEUED;
		if (money_add(s->pools[ix].demand, asked, &s->pools[ix].demand))
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"demand overflows");
		rc = push_queue(s, &q);
	} else {
		/* fcfs_place sets it whenever it succeeds; gcc -O1 cannot
		 * see that and warns. */
		int to = SIM_WAITLISTED;

		rc = fcfs_place(s, p, m, a, fy, ix, asked, &to, e);
		if (rc)
			return rc;
		o.state = (uint8_t)to;
		if (to == SIM_RESERVED)
			rc = count_served(&s->pools[ix], asked,
					  is_compute(a->contract.kind) &&
						  f->i[F_COMPUTE_PRESENT],
					  f->i[F_COMPUTE_DOMESTIC] != 0,
					  f->i[F_COMPUTE_H100_HOURS]);
	}
	if (!rc)
		rc = push_out(s, &o);
	if (rc)
		return qerr_set(e, rc, "",
				rc == Q_ERR_NOMEM ? "out of memory"
						  : "a sum overflows");
	return remember(s, (size_t)k, m, a, fy, uw, at, asked, e);
}

/* sim_apply after its checks. */
static int apply_one(struct sim *s, const struct application *a,
		     const struct decision **dout, struct qerr *e)
{
	const struct policy *p;
	struct facts f;
	struct verdict v;
	uint64_t uw[3];
	int k, m, fy, rc;

	k = program_of(s, a->program);
	if (k < 0)
		return qerr_set(e, Q_ERR_UNKNOWN_PROGRAM, "program",
				"program: '%.64s' is not simulated",
				a->program);
	p = s->pols[k];
	m = policy_find_measure(p, a->measure, strlen(a->measure));
	if (m < 0) {
		rc = decide(p, a, s->chips, NULL, s->d, e);
		return rc ? rc
			  : qerr_set(e, Q_ERR_UNKNOWN_MEASURE, "measure",
				     "measure: '%.64s' is unknown", a->measure);
	}
	fy = date_year(a->received_on);
	ukey_of(a->applicant.uscc, uw);
	rc = judge(s, (size_t)k, m, a, fy, uw, &f, e);
	if (rc)
		return rc;
	if (dout)
		*dout = s->d;
	v = verdict_of(p, s->d);
	return place(s, k, m, a, fy, uw, NULL, &f, &v, e);
}

int sim_apply(struct sim *s, const struct application *a,
	      const struct decision **dout, struct qerr *e)
{
	int rc = apply_checks(s, a, e);

	return rc ? rc : apply_one(s, a, dout, e);
}

/* sim_prepare up to the decision: the application's program, measure,
 * fiscal year, history keys, facts (with an empty history and their
 * string keys) and the screens' blocking rules. 0 when pp->rc is Q_OK. */
static int prepare_facts(const struct sim *s, const struct application *a,
			 struct sim_prep *pp, struct sim_scratch *x)
{
	struct history h = {.from_db = true, .lists_known = true};
	struct screen_result *sr = &x->sr;
	struct qerr e;
	const struct policy *p;

	assert(s && a && pp && x);
	pp->rc = Q_ERR_INVALID;
	pp->nblock = 0;
	pp->decided = false;
	pp->k = program_of(s, a->program);
	if (pp->k < 0)
		return pp->rc;
	p = s->pols[pp->k];
	pp->m = policy_find_measure(p, a->measure, strlen(a->measure));
	if (pp->m < 0)
		return pp->rc;
	qerr_clear(&e);
	pp->fy = date_year(a->received_on);
	ukey_of(a->applicant.uscc, pp->uw);
	{
		struct hkey key;

		hkey_set(&key, (size_t)pp->k, pp->m, pp->fy, pp->uw);
		pp->key_hash[0] = hkey_hash(&key);
		hkey_set(&key, (size_t)pp->k, -1, pp->fy, pp->uw);
		pp->key_hash[1] = hkey_hash(&key);
	}
	pp->rc = facts_build(a, s->chips, &h, &pp->f, &e);
	/* The policy's `== "literal"` compare integer keys, as decide()'s
	 * do: made once here, they hold for the decision in turn too (the
	 * history changes no string). */
	if (!pp->rc)
		facts_keys(&pp->f, p->string_fields);
	if (!pp->rc)
		pp->rc = screen_run(p, pp->m, a, &pp->f, NULL, sr, &e);
	/* The blocking rules, distinct, in the flags' order, as
	 * screen_block_result gives them to screen_block. */
	for (uint8_t i = 0; !pp->rc && i < sr->nflags; i++) {
		bool seen = false;

		if (sr->flags[i].action != SCREEN_BLOCK)
			continue;
		for (size_t j = 0; j < pp->nblock; j++)
			seen |= pp->block[j] == sr->flags[i].rule;
		if (!seen)
			pp->block[pp->nblock++] = sr->flags[i].rule;
	}
	return pp->rc;
}

void sim_prepare(const struct sim *s, const struct application *a,
		 struct sim_prep *pp, struct sim_scratch *x)
{
	struct decision *d = &x->d;
	struct qerr e;
	const struct policy *p;

	/* A measure that reads no history decides the same whatever the
	 * history: decide it now too. One that fails is decided again in
	 * turn, for its error. */
	if (prepare_facts(s, a, pp, x) || !s->ahead[pp->k][pp->m])
		return;
	p = s->pols[pp->k];
	if (decide_facts(p, pp->m, &pp->f, true, d, &e))
		return;
	screen_block(d, pp->block, pp->nblock);
	if (d->nreasons > DECISION_MAX_REASONS)
		return;
	pp->decided = true;
	pp->eligible = d->eligible;
	pp->nreasons = d->nreasons;
	memcpy(pp->reasons, d->reasons, d->nreasons * sizeof(d->reasons[0]));
	pp->asked = d->eligible ? decision_pool_share(p, d) : 0;
}

void sim_prepare_facts(const struct sim *s, const struct application *a,
		       struct sim_prep *pp, struct sim_scratch *x)
{
	(void)prepare_facts(s, a, pp, x);
}

/* pp decided as lite says, then blocked by its screens: what sim_prepare
 * keeps of decide_facts and screen_block. */
static void keep_lite(struct sim_prep *pp, const struct decision_lite *o)
{
	assert(o->status == Q_OK && o->nreasons <= DECISION_MAX_REASONS);
	pp->eligible = o->eligible && pp->nblock == 0;
	pp->nreasons = o->nreasons;
	memcpy(pp->reasons, o->reasons, o->nreasons * sizeof(o->reasons[0]));
	for (size_t i = 0; i < pp->nblock; i++)
		if (pp->nreasons < DECISION_MAX_REASONS)
			pp->reasons[pp->nreasons++] = pp->block[i];
	pp->asked = pp->eligible ? o->pool_share : 0;
	pp->decided = true;
}

void sim_decide_ahead(const struct sim *s, struct sim_prep *const *pps,
		      size_t n, struct sim_scratch *x)
{
	/* Each application's batch: its measure's place among all the
	 * measures of s (s->mbase), or none when it is not decided ahead;
	 * the applications are then put in batch order by counting. */
	uint16_t batch[SIM_DECIDE_MAX], order[SIM_DECIDE_MAX];
	uint16_t count[SIM_AHEAD_BATCHES + 1] = {0};
	const struct facts *src[COLUMNS_BLOCK];
	struct columns_work *w = &x->cw;

	assert(s && (pps || !n) && x && n <= SIM_DECIDE_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct sim_prep *pp = pps[i];
		bool ahead = !pp->rc && !pp->decided && s->ahead[pp->k][pp->m];

		batch[i] = ahead ? (uint16_t)(s->mbase[pp->k] + pp->m + 1) : 0;
		count[batch[i]]++;
	}
	for (size_t b = 1, at = count[0]; b <= s->nbatches; b++) {
		uint16_t c = count[b];

		count[b] = (uint16_t)at;
		at += c;
	}
	count[0] = 0;
	for (size_t i = 0; i < n; i++)
		order[count[batch[i]]++] = (uint16_t)i;
	/* order[] now lists the applications batch by batch; those not
	 * decided ahead come first. Each batch (one measure) is one block
	 * of columns, decided by the measure's compiled program. */
	for (size_t lo = 0; lo < n;) {
		const struct sim_prep *first = pps[order[lo]];
		size_t hi = lo, rows;
		const struct policy *p;

		if (batch[order[lo]] == 0) {
			lo++;
			continue;
		}
		while (hi < n && batch[order[hi]] == batch[order[lo]] &&
		       hi - lo < COLUMNS_BLOCK)
			hi++;
		p = s->pols[first->k];
		fact_columns_clear(&w->c, s->fields[first->k][first->m]);
		for (size_t j = lo; j < hi; j++) {
			src[j - lo] = &pps[order[j]]->f;
			fact_columns_add(&w->c, src[j - lo]);
		}
		rows = hi - lo;
		decide_columns(p, first->m, &w->c, true, src, x->lite, w);
		/* One that fails is decided again in turn, for its error. */
		for (size_t r = 0; r < rows; r++)
			if (x->lite[r].status == Q_OK)
				keep_lite(pps[order[lo + r]], &x->lite[r]);
		lo = hi;
	}
}

void sim_prefetch(const struct sim *s, const struct sim_prep *pp)
{
	const struct sim_history *h = s->hist;

	if (pp->rc)
		return;
	__builtin_prefetch(&h->slots[pp->key_hash[0] & (h->cap - 1)]);
	__builtin_prefetch(&h->slots[pp->key_hash[1] & (h->cap - 1)]);
}

int sim_apply_prepared(struct sim *s, const struct application *a,
		       struct sim_prep *pp, const struct decision **dout,
		       struct qerr *e)
{
	struct history h = {.from_db = true, .lists_known = true};
	struct hslot *at[2] = {NULL, NULL};
	struct verdict v = {false, 0, NULL, 0};
	struct hkey key;
	int fy, rc;

	assert(pp);
	rc = apply_checks(s, a, e);
	if (rc)
		return rc;
	/* Whatever failed ahead fails again here, with its message. */
	if (pp->rc)
		return apply_one(s, a, dout, e);
	assert(pp->k >= 0 && (size_t)pp->k < s->npols && pp->m >= 0);
	fy = pp->fy; /* date_year(a->received_on), found ahead */
	/* facts_build = the state-free facts, then facts_history: done
	 * again with the history as it stands now, the facts are the ones
	 * judge() would build. The history's slots are found once, for
	 * reading now and adding to in remember(). */
	if (hist_room(s->hist, 2))
		return qerr_set(e, Q_ERR_NOMEM, "", "history: out of memory");
	hkey_set(&key, (size_t)pp->k, pp->m, fy, pp->uw);
	at[0] = hist_slot(s->hist, &key, pp->key_hash[0]);
	h.awarded_year = at[0]->v;
	if (is_compute(a->contract.kind)) {
		hkey_set(&key, (size_t)pp->k, -1, fy, pp->uw);
		at[1] = hist_slot(s->hist, &key, pp->key_hash[1]);
		h.compute_contracts_year = at[1]->v;
	}
	/* Its overflow is judge()'s error, decided ahead or not. */
	rc = facts_history(&pp->f, a, &h, e);
	if (rc)
		return rc;
	if (!pp->decided || dout) {
		rc = decide_facts(s->pols[pp->k], pp->m, &pp->f, true, s->d, e);
		if (rc)
			return rc;
		screen_block(s->d, pp->block, pp->nblock);
		if (dout)
			*dout = s->d;
		v = verdict_of(s->pols[pp->k], s->d);
	} else {
		v = (struct verdict){pp->eligible, pp->nreasons, pp->reasons,
				     pp->asked};
	}
	return place(s, pp->k, pp->m, a, fy, pp->uw, at, &pp->f, &v, e);
}

/* --- rounds --------------------------------------------------------------------------- */

static int queued_cmp(const void *x, const void *y)
{
	const struct queued *a = x, *b = y;

	if (a->program != b->program)
		return a->program < b->program ? -1 : 1;
	if (a->measure != b->measure)
		return a->measure < b->measure ? -1 : 1;
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	return (a->out > b->out) - (a->out < b->out);
}

/* One round: q[0..n) share what their pool has left. */
static int close_round(struct sim *s, const struct queued *q, size_t n,
		       struct qerr *e)
{
	const struct policy *p = s->pols[q[0].program];
	int ix = pool_of(s, p, p->measures[q[0].measure].pool, q[0].year);
	money_t *asks = malloc(n * sizeof(*asks));
	money_t *awards = malloc(n * sizeof(*awards));
	struct sim_pool *pl;
	int rc;

	assert(ix >= 0 && n > 0);
	pl = &s->pools[ix];
	for (size_t i = 0; asks && i < n; i++)
		asks[i] = q[i].ask;
	rc = asks && awards ? office_pro_rata(asks, n, pl->available, awards)
			    : Q_ERR_NOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		struct sim_outcome *o = &s->out[q[i].out];

		assert(awards[i] <= pl->available);
		pl->available -= awards[i];
		pl->awarded += awards[i];
		o->amount = awards[i];
		o->state = SIM_RESERVED;
		rc = count_served(pl, awards[i], q[i].compute, q[i].domestic,
				  q[i].hours);
	}
	free(asks);
	free(awards);
	return rc ? qerr_set(e, rc, "", "round: cannot share the pool") : Q_OK;
}

int sim_finish(struct sim *s, struct qerr *e)
{
	struct sim_queue *sq = s->queue;
	int rc = Q_OK;

	assert(s && !s->finished);
	s->finished = true;
	if (s->stop && s->stop(s->stop_arg)) {
		qerr_set(e, Q_ERR_INVALID, "", "the simulation was stopped");
		return SIM_STOPPED;
	}
	if (sq->n) /* qsort takes no null array, even empty */
		qsort(sq->q, sq->n, sizeof(*sq->q), queued_cmp);
	for (size_t i = 0, j; !rc && i < sq->n; i = j) {
		for (j = i + 1;
		     j < sq->n && sq->q[j].program == sq->q[i].program &&
		     sq->q[j].measure == sq->q[i].measure &&
		     sq->q[j].year == sq->q[i].year;
		     j++)
			;
		rc = close_round(s, &sq->q[i], j - i, e);
	}
	return rc;
}

/* --- the distribution ------------------------------------------------------------------ */

static int money_cmp(const void *x, const void *y)
{
	money_t a = *(const money_t *)x, b = *(const money_t *)y;

	return (a > b) - (a < b);
}

/* Nearest rank: the smallest award with at least pct % of them at or
 * below it. */
static money_t rank(const money_t *v, size_t n, unsigned pct)
{
	size_t r;

	if (!n)
		return 0;
	r = (size_t)(((unsigned __int128)n * pct + 99) / 100);
	return v[r ? r - 1 : 0];
}

static int64_t share_bp(int64_t part, int64_t whole)
{
	return whole > 0 ? (int64_t)((__int128)part * RATE_BP_ONE / whole) : 0;
}

void sim_distribution(struct sim_pool *pl, struct sim_dist *out)
{
	__int128 top = 0, all = 0;

	memset(out, 0, sizeof(*out));
	if (pl->nawards)
		qsort(pl->awards, pl->nawards, sizeof(*pl->awards), money_cmp);
	out->p10 = rank(pl->awards, pl->nawards, 10);
	out->p50 = rank(pl->awards, pl->nawards, 50);
	out->p90 = rank(pl->awards, pl->nawards, 90);
	out->p99 = rank(pl->awards, pl->nawards, 99);
	out->max = pl->nawards ? pl->awards[pl->nawards - 1] : 0;
	for (size_t i = 0; i < pl->nawards; i++) {
		all += pl->awards[i];
		if (i + 10 >= pl->nawards)
			top += pl->awards[i];
	}
	out->top10_bp = all > 0 ? (int64_t)(top * RATE_BP_ONE / all) : 0;
	out->domestic_subsidy_bp =
		share_bp(pl->domestic_subsidy, pl->compute_subsidy);
	out->domestic_hours_bp = share_bp(pl->domestic_hours, pl->hours);
}
