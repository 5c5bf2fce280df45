/*
 * hot_contracts.c - the contract index the screens use, in the writer's
 * memory: the contracts of a firm that filed here, read from the store the
 * first time the firm is screened in a write transaction (one read,
 * store_contracts_of), then answered from memory, the contracts intake
 * records added as they are written. Contracts are never changed or
 * removed once written, and never written behind, so the index only ever
 * appends, and forgetting any part of it is always safe: the store holds
 * the truth.
 *
 * A firm's list is in the order the contracts were recorded, so the
 * lookups give what the store's statements give (ST_CONTRACT_SAME in that
 * order, ST_CONTRACT_BETWEEN by signing date, then that order), cut to the
 * same fields (store_contract_row_of).
 *
 * Kept equal to the store:
 * - a savepoint's rollback drops what was appended under it, and forgets
 *   a firm read under it (the read may hold rows the rollback removed);
 * - everything is forgotten with the rest of the hot state (hot.c's
 *   forget: a rollback, a failed commit, another process's writes);
 * - past its bounds (firms, contracts, bytes) everything is forgotten and
 *   read again; a firm with more contracts than HC_FIRM_MAX is not kept,
 *   and its lookups go to the store.
 * Outside a write transaction nothing is kept or answered from memory.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define HC_FIRM_MAX 1024		/* contracts of one kept firm */
#define HC_FIRMS_MAX (1u << 18)		/* firms kept at most */
#define HC_CONTRACTS_MAX (1u << 21)	/* contracts kept at most */
#define HC_BYTES_MAX ((size_t)64 << 20) /* their texts, at most */

/* A contract as recorded; its texts live in the index's arena. */
struct hc_contract {
	const char *app_id, *program, *supplier, *number;
	money_t value;
	int32_t signed_on;
};

/* A firm's contracts. !loaded: not kept (the next need reads it); big:
 * more than HC_FIRM_MAX, never kept. */
struct hc_firm {
	char uscc[HOT_USCC_MAX];
	bool loaded, big;
	struct hc_contract *v;
	size_t n, cap;
	uint64_t mark; /* changed under the savepoint of this number */
	size_t sp_n;   /* n when that savepoint began */
	bool sp_read;  /* read from the store under that savepoint */
};

struct hot_contracts {
	struct hc_firm *firms;
	size_t nfirms, cap_firms;
	uint32_t *idx; /* firm + 1, 0 empty; cap_idx a power of two or 0 */
	size_t cap_idx;
	struct arena texts;
	size_t bytes, ncontracts;
	/* The savepoint open, its number (never wraps), and the firms
	 * changed under it (log; broken: the log ran out of memory, so the
	 * rollback forgets everything). */
	bool sp_open, broken, off;
	uint64_t sp_mark;
	size_t *log;
	size_t nlog, cap_log;
	long hits, reads;
};

struct hot_contracts *hot_contracts_new(void)
{
	return calloc(1, sizeof(struct hot_contracts));
}

void hot_contracts_forget(struct hot_contracts *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nfirms; i++)
		free(h->firms[i].v);
	h->nfirms = 0;
	if (h->idx)
		memset(h->idx, 0, h->cap_idx * sizeof(*h->idx));
	arena_release(&h->texts);
	h->bytes = h->ncontracts = 0;
	h->nlog = 0;
	h->broken = false;
}

void hot_contracts_free(struct hot_contracts *h)
{
	if (!h)
		return;
	hot_contracts_forget(h);
	free(h->firms);
	free(h->idx);
	free(h->log);
	free(h);
}

void hot_contracts_savepoint(struct hot_contracts *h)
{
	if (!h)
		return;
	h->sp_open = true;
	h->sp_mark++;
	h->nlog = 0;
	h->broken = false;
}

void hot_contracts_release(struct hot_contracts *h)
{
	if (!h)
		return;
	h->sp_open = false;
	h->nlog = 0;
}

void hot_contracts_rollback(struct hot_contracts *h)
{
	if (!h)
		return;
	if (h->sp_open && h->broken) {
		hot_contracts_forget(h);
	} else if (h->sp_open) {
		for (size_t i = 0; i < h->nlog; i++) {
			struct hc_firm *f = &h->firms[h->log[i]];

			assert(f->mark == h->sp_mark);
			if (f->sp_read) {
				free(f->v);
				f->v = NULL;
				f->cap = 0;
				f->sp_n = 0;
				f->loaded = false;
			}
			assert(f->sp_n <= f->n);
			h->ncontracts -= f->n - f->sp_n;
			f->n = f->sp_n;
			f->mark = 0;
		}
	}
	h->sp_open = false;
	h->nlog = 0;
}

void hot_contracts_enable(struct hot_contracts *h, bool on)
{
	if (!h)
		return;
	h->off = !on;
	hot_contracts_forget(h);
}

void hot_contracts_counts(const struct hot_contracts *h, long *hits,
			  long *reads)
{
	assert(hits && reads);
	*hits = h ? h->hits : 0;
	*reads = h ? h->reads : 0;
}

/* --- the index of firms ---------------------------------------------------- */

static size_t firm_slot(const struct hot_contracts *h, const char *uscc)
{
	size_t i = (size_t)office_uscc_hash(uscc) & (h->cap_idx - 1);

	while (h->idx[i] && strcmp(h->firms[h->idx[i] - 1].uscc, uscc))
		i = (i + 1) & (h->cap_idx - 1);
	return i;
}

/* The entry of uscc, made (not loaded) when there is none; NULL when out
 * of memory or past HC_FIRMS_MAX (then everything was forgotten). */
static struct hc_firm *firm_entry(struct hot_contracts *h, const char *uscc)
{
	struct hc_firm *f;
	size_t i;

	assert(strlen(uscc) < HOT_USCC_MAX);
	if (h->cap_idx) {
		i = firm_slot(h, uscc);
		if (h->idx[i])
			return &h->firms[h->idx[i] - 1];
	}
	if (h->nfirms >= HC_FIRMS_MAX) {
		hot_contracts_forget(h);
		return NULL;
	}
	if (h->nfirms == h->cap_firms) {
		size_t cap = h->cap_firms ? h->cap_firms * 2 : 256;
		struct hc_firm *g = realloc(h->firms, cap * sizeof(*g));

		if (!g)
			return NULL;
		h->firms = g;
		h->cap_firms = cap;
	}
	if ((h->nfirms + 1) * 2 > h->cap_idx) {
		size_t cap = h->cap_idx ? h->cap_idx * 2 : 1024;
		uint32_t *g = calloc(cap, sizeof(*g));

		if (!g)
			return NULL;
		free(h->idx);
		h->idx = g;
		h->cap_idx = cap;
		for (size_t k = 0; k < h->nfirms; k++)
			h->idx[firm_slot(h, h->firms[k].uscc)] =
				(uint32_t)k + 1;
	}
	f = &h->firms[h->nfirms];
	memset(f, 0, sizeof(*f));
	snprintf(f->uscc, sizeof(f->uscc), "%s", uscc);
	h->idx[firm_slot(h, uscc)] = (uint32_t)++h->nfirms;
	return f;
}

/* Log f as changed under the open savepoint (once), keeping what undoes
 * it: its length then, and whether it was read under it. */
static void firm_log(struct hot_contracts *h, struct hc_firm *f, bool read)
{
	if (!h->sp_open || f->mark == h->sp_mark)
		return;
	if (h->nlog == h->cap_log) {
		size_t cap = h->cap_log ? h->cap_log * 2 : 64;
		size_t *g = realloc(h->log, cap * sizeof(*g));

		if (!g) {
			h->broken = true;
			return;
		}
		h->log = g;
		h->cap_log = cap;
	}
	h->log[h->nlog++] = (size_t)(f - h->firms);
	f->mark = h->sp_mark;
	f->sp_n = read ? 0 : f->n;
	f->sp_read = read;
}

/* Append c to f (its texts copied); -1 when out of memory or past the
 * bounds: the caller then forgets. */
static int firm_append(struct hot_contracts *h, struct hc_firm *f,
		       const struct store_contract *c)
{
	struct hc_contract *k;
	size_t la = strlen(c->app_id), lp = strlen(c->program),
	       ls = strlen(c->supplier), ln = strlen(c->number);

	if (h->ncontracts >= HC_CONTRACTS_MAX ||
	    h->bytes + la + lp + ls + ln + 4 > HC_BYTES_MAX)
		return -1;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct hc_contract *g = realloc(f->v, cap * sizeof(*g));

		if (!g)
			return -1;
		f->v = g;
		f->cap = cap;
	}
	k = &f->v[f->n];
	k->app_id = arena_text(&h->texts, c->app_id, la);
	k->program = arena_text(&h->texts, c->program, lp);
	k->supplier = arena_text(&h->texts, c->supplier, ls);
	k->number = arena_text(&h->texts, c->number, ln);
	if (!k->app_id || !k->program || !k->supplier || !k->number)
		return -1;
	k->value = c->value;
	k->signed_on = c->signed_on;
	f->n++;
	h->ncontracts++;
	h->bytes += la + lp + ls + ln + 4;
	return 0;
}

struct load {
	struct hot_contracts *h;
	struct hc_firm *f;
	bool big, full; /* past HC_FIRM_MAX; out of memory or the bounds */
};

static int load_one(void *arg, const struct store_contract *c)
{
	struct load *l = arg;

	if (l->f->n >= HC_FIRM_MAX)
		l->big = true;
	else if (firm_append(l->h, l->f, c))
		l->full = true;
	return l->big || l->full;
}

/* The kept contracts of applicant, read from the store if they are not
 * kept yet; *out NULL when they are not to be kept (outside a write
 * transaction, a big firm, out of memory): the caller asks the store. */
static int firm_of(struct office *o, const char *applicant,
		   const struct hc_firm **out, struct qerr *e)
{
	struct hot_contracts *h = office_hot_contracts(o);
	struct load l = {h, NULL, false, false};
	int rc;

	assert(o && applicant && out);
	*out = NULL;
	if (!h || h->off || !office_hot_writing(o) ||
	    strlen(applicant) >= HOT_USCC_MAX)
		return Q_OK;
	l.f = firm_entry(h, applicant);
	if (!l.f || l.f->big)
		return Q_OK;
	if (l.f->loaded) {
		h->hits++;
		*out = l.f;
		return Q_OK;
	}
	firm_log(h, l.f, true);
	rc = store_contracts_of(o->store, applicant, HC_FIRM_MAX + 1, load_one,
				&l, e);
	if (l.full) {
		hot_contracts_forget(h);
		return Q_OK;
	}
	if (l.big || rc) {
		h->ncontracts -= l.f->n;
		free(l.f->v);
		l.f->v = NULL;
		l.f->n = l.f->cap = 0;
		l.f->big = l.big;
		return l.big ? Q_OK : rc;
	}
	h->reads++;
	l.f->loaded = true;
	*out = l.f;
	return Q_OK;
}

void hot_contracts_none(struct hot_contracts *h, const char *uscc)
{
	struct hc_firm *f;

	assert(uscc);
	if (!h || h->off || strlen(uscc) >= HOT_USCC_MAX)
		return;
	f = firm_entry(h, uscc);
	if (!f || f->loaded || f->big)
		return;
	firm_log(h, f, true);
	f->loaded = true;
}

void office_hot_contract_added(struct office *o, const struct store_contract *c)
{
	struct hot_contracts *h = office_hot_contracts(o);
	struct hc_firm *f;
	size_t i;

	assert(o && c);
	if (!h || h->off || !office_hot_writing(o) || !h->cap_idx ||
	    strlen(c->applicant) >= HOT_USCC_MAX)
		return;
	i = firm_slot(h, c->applicant);
	if (!h->idx[i])
		return;
	f = &h->firms[h->idx[i] - 1];
	if (!f->loaded)
		return;
	if (f->n >= HC_FIRM_MAX) {
		/* Past what a kept firm holds: its lookups go to the store
		 * from now on (its memory goes at the next forget). */
		f->loaded = false;
		f->big = true;
		return;
	}
	firm_log(h, f, false);
	if (firm_append(h, f, c))
		hot_contracts_forget(h);
}

/* --- the lookups ------------------------------------------------------------ */

/* k, a contract of applicant, as the store's lookups give it. */
static void row_of(const struct hc_contract *k, const char *applicant,
		   struct store_contract_row *out)
{
	struct store_contract s = {k->app_id,	k->program, applicant,
				   k->supplier, k->number,  k->value,
				   k->signed_on};

	store_contract_row_of(&s, out);
}

int office_hot_contract_same(struct office *o, const struct store_contract *c,
			     int days, struct store_contract_row *out,
			     size_t max, size_t *n, struct qerr *e)
{
	const struct hc_firm *f;
	int64_t lo = (int64_t)c->signed_on - days,
		hi = (int64_t)c->signed_on + days;
	int rc;

	assert(o && c && n);
	assert(out || max == 0);
	*n = 0;
	rc = firm_of(o, c->applicant, &f, e);
	if (rc)
		return rc;
	if (!f)
		return store_contract_same(o->store, c, days, out, max, n, e);
	for (size_t i = 0; i < f->n && *n < max; i++) {
		const struct hc_contract *k = &f->v[i];

		if (k->value != c->value || strcmp(k->supplier, c->supplier) ||
		    !strcmp(k->app_id, c->app_id))
			continue;
		if (strcmp(k->number, c->number) &&
		    (k->signed_on < lo || k->signed_on > hi))
			continue;
		row_of(k, c->applicant, &out[(*n)++]);
	}
	return Q_OK;
}

int office_hot_contract_between(struct office *o,
				const struct store_contract *c, int32_t from,
				int32_t to, money_t lo, money_t hi,
				struct store_contract_row *out, size_t max,
				size_t *n, int64_t *count, money_t *sum,
				struct qerr *e)
{
	const struct hc_firm *f;
	size_t *pick = NULL, npick = 0;
	int rc;

	assert(o && c && n);
	assert(count && sum && (out || max == 0));
	*n = 0;
	*count = 0;
	*sum = 0;
	rc = firm_of(o, c->applicant, &f, e);
	if (rc)
		return rc;
	if (!f)
		return store_contract_between(o->store, c, from, to, lo, hi,
					      out, max, n, count, sum, e);
	if (max && f->n) {
		pick = malloc(f->n * sizeof(*pick));
		if (!pick)
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct hc_contract *k = &f->v[i];

		if (k->signed_on < from || k->signed_on > to || k->value < lo ||
		    k->value >= hi || strcmp(k->supplier, c->supplier) ||
		    !strcmp(k->app_id, c->app_id) ||
		    !strcmp(k->number, c->number))
			continue;
		if (money_add(*sum, k->value, sum)) {
			free(pick);
			return qerr_set(e, Q_ERR_OVERFLOW, "",
					"summing contracts between two "
					"parties: the sum overflows");
		}
		++*count;
		if (pick)
			pick[npick++] = i;
	}
	/* The first max by signing date, then in the order recorded: a
	 * stable selection over the picks (already in that order). */
	while (*n < max && npick) {
		size_t best = 0;
		const struct hc_contract *k;

		for (size_t j = 1; j < npick; j++)
			if (f->v[pick[j]].signed_on <
			    f->v[pick[best]].signed_on)
				best = j;
		k = &f->v[pick[best]];
		row_of(k, c->applicant, &out[(*n)++]);
		memmove(&pick[best], &pick[best + 1],
			(npick - best - 1) * sizeof(*pick));
		npick--;
	}
	free(pick);
	return Q_OK;
}

/* --- the check ---------------------------------------------------------------- */

struct cmp {
	const struct hc_firm *f;
	size_t i;
	char *why;
	size_t n;
	int bad;
};

static int cmp_one(void *arg, const struct store_contract *c)
{
	struct cmp *m = arg;
	const struct hc_contract *k;

	if (m->i >= m->f->n) {
		snprintf(m->why, m->n,
			 "the store holds a contract of firm %s (application "
			 "%s) that memory lacks",
			 m->f->uscc, c->app_id);
		m->bad = 1;
		return 1;
	}
	k = &m->f->v[m->i++];
	if (strcmp(k->app_id, c->app_id) || strcmp(k->program, c->program) ||
	    strcmp(k->supplier, c->supplier) || strcmp(k->number, c->number) ||
	    k->value != c->value || k->signed_on != c->signed_on) {
		snprintf(m->why, m->n,
			 "contract %zu of firm %s in memory (application %s) "
			 "differs from the store's (application %s)",
			 m->i, m->f->uscc, k->app_id, c->app_id);
		m->bad = 1;
		return 1;
	}
	return 0;
}

int office_hot_contracts_check(struct office *o, char *why, size_t n)
{
	struct hot_contracts *h = office_hot_contracts(o);
	struct qerr e = {0};

	assert(o && why && n > 0);
	why[0] = '\0';
	if (!h || office_hot_writing(o))
		return 0;
	for (size_t i = 0; i < h->nfirms; i++) {
		struct cmp m = {&h->firms[i], 0, why, n, 0};
		int rc;

		if (!m.f->loaded)
			continue;
		rc = store_contracts_of(o->store, m.f->uscc, HC_FIRM_MAX + 1,
					cmp_one, &m, &e);
		if (m.bad)
			return 1;
		if (rc) {
			snprintf(why, n, "the store cannot be read: %s", e.msg);
			return -1;
		}
		if (m.i != m.f->n) {
			snprintf(why, n,
				 "memory holds %zu contracts of firm %s, the "
				 "store %zu",
				 m.f->n, m.f->uscc, m.i);
			return 1;
		}
	}
	return 0;
}
