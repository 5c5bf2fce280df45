/*
 * hot.c - the writer's hot state: what the write path reads of the ledger
 * (account balances and the last timestamp), kept in memory and equal to
 * the store, which the hot path writes but no longer reads.
 *
 * The ledger's storage is wrapped (office_ledger): inside a write
 * transaction an account read is answered from memory once the account
 * has been read or written, and every write goes through to the store and
 * into memory. Memory is forgotten, never trusted, whenever it might
 * differ from the store:
 * - at store_begin, when the generation of the data (store_generation) is
 *   not the one this office left behind at its last commit: another
 *   process has written;
 * - when a transaction is rolled back, or a savepoint after something was
 *   written under it, or a commit fails.
 * Outside a write transaction nothing is cached: every call goes to the
 * store.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define HOT_MIN_SLOTS 1024

struct hot_slot {
	uint64_t id; /* 0: empty (account ids are never 0) */
	struct ledger_account a;
};

struct office_hot {
	const struct ledger_io *base; /* the store's */
	struct ledger_io io;	      /* ctx: this */
	int64_t generation;	      /* left behind at the last commit; -1 */
	bool in_tx;		      /* a write transaction is open */
	bool dirty;		      /* written since the last savepoint */
	struct hot_slot *slots;
	size_t cap, n; /* cap a power of two */
	bool have_ts;
	int64_t last_ts;
	long hits, misses; /* for the benchmarks */
};

static size_t slot_of(const struct office_hot *h, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (h->cap - 1);

	while (h->slots[i].id && h->slots[i].id != id)
		i = (i + 1) & (h->cap - 1);
	return i;
}

/* Forget everything: the next reads go to the store. */
static void forget(struct office_hot *h)
{
	if (h->slots)
		memset(h->slots, 0, h->cap * sizeof(*h->slots));
	h->n = 0;
	h->have_ts = false;
	h->dirty = false;
}

static int grow(struct office_hot *h)
{
	struct hot_slot *old = h->slots;
	size_t ocap = h->cap;
	size_t cap = ocap ? ocap * 2 : HOT_MIN_SLOTS;

	h->slots = calloc(cap, sizeof(*h->slots));
	if (!h->slots) {
		h->slots = old;
		return -1;
	}
	h->cap = cap;
	h->n = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].id) {
			h->slots[slot_of(h, old[i].id)] = old[i];
			h->n++;
		}
	free(old);
	return 0;
}

/* Keep a; when memory runs short, forget instead (the store has it). */
static void keep(struct office_hot *h, const struct ledger_account *a)
{
	size_t i;

	assert(a->id != 0);
	if ((h->n + 1) * 2 > h->cap && grow(h)) {
		forget(h);
		return;
	}
	i = slot_of(h, a->id);
	if (!h->slots[i].id)
		h->n++;
	h->slots[i].id = a->id;
	h->slots[i].a = *a;
}

static int hot_account_get(void *ctx, uint64_t id, struct ledger_account *out)
{
	struct office_hot *h = ctx;
	int rc;

	if (h->in_tx && h->cap) {
		size_t i = slot_of(h, id);

		if (h->slots[i].id == id) {
			*out = h->slots[i].a;
			h->hits++;
			return 0;
		}
	}
	rc = h->base->account_get(h->base->ctx, id, out);
	h->misses++;
	if (rc == 0 && h->in_tx)
		keep(h, out);
	return rc;
}

static int hot_account_put(void *ctx, const struct ledger_account *a)
{
	struct office_hot *h = ctx;
	int rc = h->base->account_put(h->base->ctx, a);

	if (!h->in_tx)
		return rc;
	if (rc) {
		forget(h);
		return rc;
	}
	h->dirty = true;
	keep(h, a);
	return rc;
}

static int hot_transfer_get(void *ctx, const char *id,
			    struct ledger_transfer *out)
{
	struct office_hot *h = ctx;

	return h->base->transfer_get(h->base->ctx, id, out);
}

static int hot_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct office_hot *h = ctx;
	int rc = h->base->transfer_put(h->base->ctx, t);

	if (!h->in_tx)
		return rc;
	if (rc) {
		forget(h);
		return rc;
	}
	h->dirty = true;
	if (h->have_ts && t->timestamp > h->last_ts)
		h->last_ts = t->timestamp;
	return rc;
}

static int hot_pending_state(void *ctx, const char *id,
			     enum ledger_pending_state *out)
{
	struct office_hot *h = ctx;

	return h->base->pending_state(h->base->ctx, id, out);
}

static int hot_last_timestamp(void *ctx, int64_t *out)
{
	struct office_hot *h = ctx;
	int rc;

	if (h->in_tx && h->have_ts) {
		*out = h->last_ts;
		return 0;
	}
	rc = h->base->last_timestamp(h->base->ctx, out);
	if (rc == 0 && h->in_tx) {
		h->have_ts = true;
		h->last_ts = *out;
	}
	return rc;
}

int office_hot_new(struct office *o)
{
	struct office_hot *h = calloc(1, sizeof(*h));

	assert(o && o->store);
	if (!h)
		return -1;
	h->base = store_ledger_io(o->store);
	h->io = (struct ledger_io){h,
				   hot_account_get,
				   hot_account_put,
				   hot_transfer_get,
				   hot_transfer_put,
				   hot_pending_state,
				   hot_last_timestamp};
	h->generation = -1;
	o->hot = h;
	return 0;
}

void office_hot_free(struct office *o)
{
	if (!o->hot)
		return;
	free(o->hot->slots);
	free(o->hot);
	o->hot = NULL;
}

const struct ledger_io *office_ledger(struct office *o)
{
	assert(o);
	return o->hot ? &o->hot->io : store_ledger_io(o->store);
}

int office_begin(struct office *o, struct qerr *e)
{
	int rc;

	assert(o && o->store);
	rc = store_begin(o->store, e);
	if (rc || !o->hot)
		return rc;
	assert(!o->hot->in_tx);
	/* Another process wrote since this office's last commit. */
	if (store_generation(o->store) != o->hot->generation)
		forget(o->hot);
	o->hot->in_tx = true;
	o->hot->dirty = false;
	return rc;
}

int office_commit(struct office *o, struct qerr *e)
{
	int rc;

	assert(o && o->store);
	rc = store_commit(o->store, e);
	if (!o->hot)
		return rc;
	o->hot->in_tx = false;
	if (rc) {
		forget(o->hot);
		o->hot->generation = -1;
	} else {
		o->hot->generation = store_generation(o->store) + 1;
	}
	return rc;
}

void office_rollback(struct office *o)
{
	assert(o);
	store_rollback(o->store);
	if (!o->hot)
		return;
	o->hot->in_tx = false;
	forget(o->hot);
}

int office_savepoint(struct office *o, struct qerr *e)
{
	assert(o && o->store);
	if (o->hot)
		o->hot->dirty = false;
	return store_savepoint(o->store, e);
}

int office_savepoint_release(struct office *o, struct qerr *e)
{
	assert(o && o->store);
	return store_savepoint_release(o->store, e);
}

void office_savepoint_rollback(struct office *o)
{
	assert(o && o->store);
	store_savepoint_rollback(o->store);
	if (o->hot && o->hot->dirty)
		forget(o->hot);
}

int office_hot_check(struct office *o, char *why, size_t n)
{
	struct office_hot *h = o->hot;

	assert(o && why && n > 0);
	why[0] = '\0';
	if (!h || h->in_tx)
		return 0;
	for (size_t i = 0; i < h->cap; i++) {
		struct ledger_account a;
		int rc;

		if (!h->slots[i].id)
			continue;
		rc = h->base->account_get(h->base->ctx, h->slots[i].id, &a);
		if (rc < 0) {
			snprintf(why, n, "the store cannot be read");
			return -1;
		}
		if (rc > 0 || memcmp(&a, &h->slots[i].a, sizeof(a))) {
			snprintf(
				why, n,
				"account '%s' in memory differs from the store",
				h->slots[i].a.code);
			return 1;
		}
	}
	if (h->have_ts) {
		int64_t ts;

		if (h->base->last_timestamp(h->base->ctx, &ts) < 0) {
			snprintf(why, n, "the store cannot be read");
			return -1;
		}
		if (ts != h->last_ts) {
			snprintf(
				why, n,
				"the last timestamp in memory is %lld, the store's %lld",
				(long long)h->last_ts, (long long)ts);
			return 1;
		}
	}
	return 0;
}

void office_hot_counts(const struct office *o, long *hits, long *misses)
{
	*hits = o->hot ? o->hot->hits : 0;
	*misses = o->hot ? o->hot->misses : 0;
}
