/*
 * hot.c - the writer's hot state: what the write path would otherwise read
 * of the store for every application, kept in memory and equal to the
 * store, which the hot path writes but no longer reads:
 * - the ledger: account balances and the last timestamp;
 * - the next number of each program and year, written behind as the
 *   balances are: the numbers given in a transaction are written once per
 *   program and year, before the commit (nothing in the write path reads
 *   app_numbers while a transaction holds it);
 * - how many applications wait for each measure and year, so that "is
 *   anyone waiting ahead?" is asked of the store only when someone waits;
 * - the firms that have filed, and the firms on a list or in the registry
 *   of controllers: sets that hold at least every such firm, so that a
 *   firm not in them has no past to read (its idempotency key, its yearly
 *   sums, its earlier contracts) and no listing to look up;
 * - a firm's yearly sums (store_applicant_year: per program, measure,
 *   USCC and fiscal year, what it holds or may be given under the
 *   measure, and its compute contracts under every measure), read from
 *   the store the first time a firm-year is needed in a write transaction
 *   (office_hot_year), not all at open: an office of millions of
 *   applications opens at once, and most firm-years read once are never
 *   read again. The writer adds what intake records to them
 *   (office_hot_moved), so that a firm's next application in the batch
 *   reads nothing; a savepoint's rollback puts them back by an undo log of
 *   their own; any other change of an application (a verb after intake:
 *   review, approval, release, settlement, a round...) forgets its
 *   firm-year before it writes (office_hot_year_forget), never patches
 *   it. They are never written behind, so forgetting them is always safe:
 *   the store holds the truth;
 * - the contracts of the firms screened, for the screens' lookups
 *   (hot_contracts.c, which says how they are kept equal);
 * - the firms first met here with no application (new firms), and a set of
 *   hashes of the (USCC, client_ref) pairs that intake recorded for them
 *   since: a new firm's reference outside the set is certainly unused
 *   (office_hot_ref), so its idempotency key needs no read. Kept through
 *   rollbacks (a pair left in the set costs one read), dropped when
 *   another process has written.
 *
 * The ledger's storage is wrapped (office_ledger): inside a write
 * transaction an account read is answered from memory once the account
 * has been read or written. A new account is written through to the
 * store at once (the transfers' foreign keys name it); a balance is
 * written behind: kept in memory, marked dirty, and written once, with
 * one statement per dirty account, before the commit and before any
 * statement that reads the accounts or their tallies from the store
 * (store_on_accounts). A savepoint keeps an undo log of the accounts
 * changed or written under it, so that its rollback puts memory back
 * exactly as it was; a dirty account is never forgotten. The rest of
 * memory is forgotten, never trusted, whenever it might differ from the
 * store:
 * - at store_begin, when the generation of the data (store_generation) is
 *   not the one this office left behind at its last commit: another
 *   process has written;
 * - when a transaction is rolled back, or a savepoint after something was
 *   written under it, or a commit fails.
 * The yearly sums are forgotten with the rest (all of them) and kept
 * through commits. The two sets of firms are kept through rollbacks (a firm left in them
 * that the store does not hold costs one read, never a wrong answer), and
 * brought up to date when another process has written: the firms that
 * filed by reading the applications that arrived since (their seq), the
 * lists and registry by reading them again.
 * Outside a write transaction nothing is cached: every call goes to the
 * store.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define HOT_MIN_SLOTS 1024

/* Transfers one transaction may write before an audit event claims them. */
#define HOT_CLAIMS_MAX 65536

/* A transfer as written, until an audit event claims it. */
struct hot_claim {
	char id[LEDGER_ID_MAX];
	uint64_t debit, credit;
	money_t amount;
	int64_t timestamp;
};

struct hot_slot {
	uint64_t id; /* 0: empty (account ids are never 0) */
	struct ledger_account a;
	bool dirty;    /* a's balances are not in the store yet */
	bool stored;   /* the store holds a row for it (!stored: dirty) */
	bool listed;   /* id is in the dirty list */
	uint64_t mark; /* logged under the savepoint of this number */
};

/* An account as it stood when the savepoint began (present: in memory). */
struct hot_undo {
	uint64_t id;
	bool present, dirty, stored;
	struct ledger_account a;
};

/* A set of USCCs, open addressing; a key longer than a USCC is never kept
 * (and so always "maybe"). */
struct uscc_set {
	char (*keys)[HOT_USCC_MAX]; /* "": empty slot */
	size_t cap, n;		    /* cap a power of two, or 0 */
};

/* The last number given for a program's year. */
struct hot_number {
	char program[64];
	int year;
	int64_t last;
	/* No application holds a number of this program and year above
	 * last (office_hot_number_clean): the next needs no probe. */
	bool clean;
	int64_t stored;	 /* what app_numbers holds; below last: dirty */
	uint64_t mark;	 /* changed under the savepoint of this number */
	int64_t sp_last; /* last when that savepoint began */
};

/* How many applications of a measure and year wait. */
struct hot_waiting {
	char program[64], measure[64];
	int year;
	int64_t n;
};

/* A firm's yearly sums under one measure (store_applicant_year of an
 * application not yet recorded); !valid: forgotten, the key kept (a
 * tombstone: the index never drops an entry until all are forgotten). */
struct hot_year {
	char program[64], measure[64];
	char uscc[HOT_USCC_MAX];
	int year;
	bool valid;
	/* Kept since the firm-year had no application (the firm had never
	 * filed): every application of it since is counted in memory, so
	 * another measure's sums need no read either. */
	bool whole;
	money_t awarded, compute;
	uint64_t mark; /* logged under the savepoint of this number */
};

/* An entry as it stood when the savepoint began. */
struct hot_year_undo {
	size_t i;
	bool valid, whole;
	money_t awarded, compute;
};

/* Firm-years kept at most: past it all are forgotten and kept again. */
#define HOT_YEARS_MAX (1u << 18)

struct office_hot {
	struct store *store;
	const struct ledger_io *base; /* the store's */
	struct ledger_io io;	      /* ctx: this */
	int64_t generation;	      /* left behind at the last commit; -1 */
	bool in_tx;		      /* a write transaction is open */
	bool dirty;		      /* written since the last savepoint */
	struct hot_slot *slots;
	size_t cap, n; /* cap a power of two */
	/* The ids whose slot may be dirty (some no longer are). */
	uint64_t *dirty_ids;
	size_t ndirty, cap_dirty;
	/* The savepoint open (sp_open) and its number, and the accounts
	 * as they stood when it began, each logged once. */
	bool sp_open;
	uint64_t sp_mark; /* never wraps: a stale mark cannot match */
	struct hot_undo *undo;
	size_t nundo, cap_undo;
	long flushed; /* account rows written behind, for the benchmarks */
	/* A savepoint's rollback could not put memory back (out of
	 * memory): the transaction must not commit. */
	bool broken;
	bool have_ts;
	int64_t last_ts;
	long hits, misses; /* for the benchmarks */
	/* Forgotten with the ledger's. */
	struct hot_number *numbers;
	size_t nnumbers, cap_numbers;
	size_t nnumbers_sp; /* entries when the savepoint began */
	struct hot_waiting *waiting;
	size_t nwaiting, cap_waiting;
	/* The firms that filed: every application up to seq apps_seq has
	 * its firm in apps once apps_loaded; apps_stale when another process
	 * may have added since. txn_seq: the highest seq this transaction
	 * gave (txn_seq_sp at the savepoint), given to apps_seq at commit. */
	struct uscc_set apps;
	bool apps_loaded, apps_stale, txn_wrote_apps;
	int64_t apps_seq, txn_seq, txn_seq_sp;
	/* The firms on a list or in the registry, once reg_loaded. */
	struct uscc_set reg;
	bool reg_loaded;
	/* Rows the office knows are not in the store yet (office_hot_absent,
	 * office_hot_fresh): the accounts of a firm that never filed here,
	 * the reservations of an application numbered just now. The ledger's
	 * existence checks then read nothing; the store's primary keys still
	 * refuse a duplicate. */
	uint64_t absent[HOT_ABSENT_MAX];
	size_t nabsent;
	char fresh[64]; /* the application numbered just now, "" none */
	long absent_hits;
	/* The transfers written since the last audit event, which the next
	 * event claims (office_hot_claims_take); nclaims_sp at the savepoint.
	 * Kept through forget(): they are in the store until a rollback. */
	struct hot_claim *claims;
	size_t nclaims, cap_claims, nclaims_sp;
	/* The yearly sums: entries (their indices stable until all are
	 * forgotten), an open-addressing index of them by program, USCC and
	 * year (entry + 1; 0 empty, cap a power of two), the undo log of the
	 * open savepoint (years_broken: it ran out of memory, so its
	 * rollback forgets them all). years_off: a test's switch. */
	struct hot_year *years;
	size_t nyears, cap_years;
	uint32_t *years_idx;
	size_t cap_idx;
	struct hot_year_undo *yundo;
	size_t nyundo, cap_yundo;
	bool years_broken, years_off;
	long year_hits, year_reads;
	/* The contract index the screens use (hot_contracts.c). */
	struct hot_contracts *contracts;
	/* The new firms, and the hashes of their references (0 empty, cap a
	 * power of two or 0). */
	struct uscc_set newfirms;
	uint64_t *refs;
	size_t nrefs, cap_refs;
	long ref_hits;
};

static size_t set_slot(const struct uscc_set *s, const char *u)
{
	size_t i = (size_t)office_uscc_hash(u) & (s->cap - 1);

	assert(s->cap > 0);
	while (s->keys[i][0] && strcmp(s->keys[i], u))
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* Whether u may be in s: false only when it certainly is not. */
static bool set_maybe(const struct uscc_set *s, const char *u)
{
	if (strlen(u) >= HOT_USCC_MAX)
		return true;
	return s->cap && s->keys[set_slot(s, u)][0];
}

/* Add u: -1 when out of memory (s is unchanged). */
static int set_add(struct uscc_set *s, const char *u)
{
	size_t i;

	if (!*u || strlen(u) >= HOT_USCC_MAX)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		struct uscc_set g = {NULL, s->cap ? s->cap * 2 : 1024, 0};

		g.keys = calloc(g.cap, sizeof(*g.keys));
		if (!g.keys)
			return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->keys[k][0]) {
				memcpy(g.keys[set_slot(&g, s->keys[k])],
				       s->keys[k], HOT_USCC_MAX);
				g.n++;
			}
		free(s->keys);
		*s = g;
	}
	i = set_slot(s, u);
	if (!s->keys[i][0]) {
		snprintf(s->keys[i], HOT_USCC_MAX, "%s", u);
		s->n++;
	}
	return 0;
}

static void set_free(struct uscc_set *s)
{
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

static size_t slot_of(const struct office_hot *h, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (h->cap - 1);

	while (h->slots[i].id && h->slots[i].id != id)
		i = (i + 1) & (h->cap - 1);
	return i;
}

/* Forget every firm's yearly sums (always safe: they are never written
 * behind). */
static void years_forget(struct office_hot *h)
{
	if (h->years_idx)
		memset(h->years_idx, 0, h->cap_idx * sizeof(*h->years_idx));
	h->nyears = 0;
	h->nyundo = 0;
	h->years_broken = false;
}

/* Forget what is beyond the accounts: the next reads go to the store.
 * The numbers stay: like the balances they may hold what the store lacks,
 * and a savepoint's rollback puts them back exactly (numbers_undo). */
static void forget_rest(struct office_hot *h)
{
	h->have_ts = false;
	h->nwaiting = 0;
	h->nabsent = 0;
	h->fresh[0] = '\0';
}

/* Forget everything: the next reads go to the store. Only when memory
 * holds nothing the store lacks: outside a transaction, or when the store
 * has rolled back everything memory was written behind for. */
static void forget(struct office_hot *h)
{
	if (h->slots)
		memset(h->slots, 0, h->cap * sizeof(*h->slots));
	h->n = 0;
	h->ndirty = 0;
	h->nundo = 0;
	h->have_ts = false;
	h->dirty = false;
	h->nnumbers = 0;
	h->nwaiting = 0;
	h->nabsent = 0;
	h->fresh[0] = '\0';
	years_forget(h);
	hot_contracts_forget(h->contracts);
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

/* Keep a (stored: the store holds its row): its slot, or NULL when
 * memory runs short (a is then not kept). */
static struct hot_slot *keep(struct office_hot *h,
			     const struct ledger_account *a, bool stored)
{
	size_t i;

	assert(a->id != 0);
	if ((h->n + 1) * 2 > h->cap && grow(h))
		return NULL;
	i = slot_of(h, a->id);
	if (!h->slots[i].id) {
		h->n++;
		memset(&h->slots[i], 0, sizeof(h->slots[i]));
	}
	h->slots[i].id = a->id;
	h->slots[i].a = *a;
	h->slots[i].stored = stored;
	return &h->slots[i];
}

/* The slot of id, or NULL when memory does not hold it. */
static struct hot_slot *slot_find(struct office_hot *h, uint64_t id)
{
	size_t i;

	if (!h->cap)
		return NULL;
	i = slot_of(h, id);
	return h->slots[i].id == id ? &h->slots[i] : NULL;
}

/* Take the slot of id out of the table, moving back the slots after it
 * that probed past it (linear probing keeps no tombstones). */
static void slot_remove(struct office_hot *h, uint64_t id)
{
	size_t mask = h->cap - 1;
	size_t i = slot_of(h, id), j = i;

	assert(h->slots[i].id == id);
	assert(!h->slots[i].dirty);
	h->slots[i].id = 0;
	h->n--;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!h->slots[j].id)
			break;
		k = (size_t)(h->slots[j].id * 0x9e3779b97f4a7c15ull) & mask;
		/* Leave j where it is when its home k lies in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->slots[i] = h->slots[j];
		h->slots[j].id = 0;
		i = j;
	}
}

/* Mark slot sl dirty (listed for the flush): -1 when out of memory. */
static int mark_dirty(struct office_hot *h, struct hot_slot *sl)
{
	assert(sl && sl->id);
	if (!sl->listed) {
		void *g = h->dirty_ids;

		if (h->ndirty == h->cap_dirty) {
			size_t cap = h->cap_dirty ? h->cap_dirty * 2 : 256;

			g = realloc(h->dirty_ids, cap * sizeof(*h->dirty_ids));
			if (!g)
				return -1;
			h->dirty_ids = g;
			h->cap_dirty = cap;
		}
		h->dirty_ids[h->ndirty++] = sl->id;
		sl->listed = true;
	}
	sl->dirty = true;
	return 0;
}

/* Log account id as it stands now, once under the open savepoint, for
 * its rollback (office_savepoint_rollback): -1 when out of memory. */
static int log_undo(struct office_hot *h, uint64_t id)
{
	struct hot_slot *sl = slot_find(h, id);
	struct hot_undo *u;

	if (!h->sp_open || (sl && sl->mark == h->sp_mark))
		return 0;
	if (h->nundo == h->cap_undo) {
		size_t cap = h->cap_undo ? h->cap_undo * 2 : 64;

		u = realloc(h->undo, cap * sizeof(*u));
		if (!u)
			return -1;
		h->undo = u;
		h->cap_undo = cap;
	}
	u = &h->undo[h->nundo++];
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->present = sl != NULL;
	if (sl) {
		u->dirty = sl->dirty;
		u->stored = sl->stored;
		u->a = sl->a;
		sl->mark = h->sp_mark;
	}
	return 0;
}

/* Put memory back as it stood when the savepoint began: the undo log in
 * reverse. The store rolled back with it, so a dirty flag put back
 * tells again what the store lacks. */
static int undo_all(struct office_hot *h)
{
	int rc = 0;

	while (h->nundo) {
		const struct hot_undo *u = &h->undo[--h->nundo];
		struct hot_slot *sl = slot_find(h, u->id);

		if (!u->present) {
			if (sl) {
				sl->dirty = false;
				slot_remove(h, u->id);
			}
			continue;
		}
		/* It was in memory: it still is (no slot is dropped while
		 * a transaction is open, but by this log). */
		assert(sl);
		sl->a = u->a;
		sl->stored = u->stored;
		sl->dirty = false;
		if (u->dirty && mark_dirty(h, sl))
			rc = -1;
	}
	return rc;
}

/* Write slot sl (dirty) to the store now. */
static int write_one(struct office_hot *h, struct hot_slot *sl)
{
	int rc;

	assert(sl && sl->dirty);
	/* Under a savepoint, its rollback must know that this balance was
	 * not in the store when it began. */
	rc = log_undo(h, sl->id);
	if (!rc)
		rc = h->base->account_put(h->base->ctx, &sl->a);
	if (rc)
		return rc;
	sl->dirty = false;
	sl->stored = true;
	h->flushed++;
	return 0;
}

/* Write every dirty account to the store, one statement each. What a
 * failure leaves stays dirty and listed, for the rollback that follows. */
static int flush(struct office_hot *h)
{
	size_t i;
	int rc = 0;

	assert(h && h->in_tx);
	for (i = 0; i < h->ndirty; i++) {
		struct hot_slot *sl = slot_find(h, h->dirty_ids[i]);

		if (sl && sl->dirty) {
			rc = write_one(h, sl);
			if (rc)
				break;
		}
		if (sl)
			sl->listed = false;
	}
	/* What a failure left, kept (dirty_ids may be NULL when empty). */
	if (h->ndirty > i)
		memmove(h->dirty_ids, h->dirty_ids + i,
			(h->ndirty - i) * sizeof(*h->dirty_ids));
	h->ndirty -= i;
	assert(rc || h->ndirty == 0);
	return rc;
}

/* Write the accounts the store holds no row for yet (created under the
 * savepoint being released), so that a refusal (a code already taken)
 * fails the application that created them; they stay listed. */
static int flush_new(struct office_hot *h)
{
	int rc = 0;

	assert(h && h->in_tx);
	for (size_t i = 0; !rc && i < h->ndirty; i++) {
		struct hot_slot *sl = slot_find(h, h->dirty_ids[i]);

		if (sl && sl->dirty && !sl->stored)
			rc = write_one(h, sl);
	}
	return rc;
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
	for (size_t i = 0; h->in_tx && i < h->nabsent; i++)
		if (h->absent[i] == id) {
			h->absent_hits++;
			return 1;
		}
	rc = h->base->account_get(h->base->ctx, id, out);
	h->misses++;
	/* Out of memory: not kept, read again next time. */
	if (rc == 0 && h->in_tx)
		(void)keep(h, out, true);
	return rc;
}

/* Inside a transaction an account is written behind: kept in memory,
 * dirty until flush. One memory does not hold is new (the ledger reads
 * an account before it writes it): its row too is written late, before
 * the first transfer that names it (the transfers' foreign keys must
 * find it; the ledger writes a transfer's accounts before the transfer),
 * at the savepoint's release, or at a flush, whichever comes first. */
static int hot_account_put(void *ctx, const struct ledger_account *a)
{
	struct office_hot *h = ctx;
	struct hot_slot *sl;

	assert(h && a && a->id);
	if (!h->in_tx)
		return h->base->account_put(h->base->ctx, a);
	if (log_undo(h, a->id))
		return -1;
	sl = slot_find(h, a->id);
	if (sl)
		sl->a = *a;
	else
		sl = keep(h, a, false);
	/* Out of memory: written through, not kept. */
	if (!sl)
		return h->base->account_put(h->base->ctx, a);
	return mark_dirty(h, sl);
}

/* Write account id now if the store holds no row for it yet. */
static int make_stored(struct office_hot *h, uint64_t id)
{
	struct hot_slot *sl = id ? slot_find(h, id) : NULL;

	return sl && !sl->stored ? write_one(h, sl) : 0;
}

/* store_on_accounts: the store is about to read the accounts. */
static int hot_on_accounts(void *ctx, struct qerr *e)
{
	struct office_hot *h = ctx;

	if (!h->in_tx || !h->ndirty)
		return Q_OK;
	return flush(h) ? store_ledger_error(h->store, e) : Q_OK;
}

/* Whether id is a reservation of the application numbered just now:
 * "reserve/<fresh>" or a grant's "reserve/<fresh>/<year>". */
static bool fresh_reservation(const struct office_hot *h, const char *id)
{
	size_t n = strlen(h->fresh);

	if (!h->in_tx || n == 0 || strncmp(id, "reserve/", 8) ||
	    strncmp(id + 8, h->fresh, n))
		return false;
	return id[8 + n] == '\0' || id[8 + n] == '/';
}

static int hot_transfer_get(void *ctx, const char *id,
			    struct ledger_transfer *out)
{
	struct office_hot *h = ctx;

	if (fresh_reservation(h, id)) {
		h->absent_hits++;
		return 1;
	}
	return h->base->transfer_get(h->base->ctx, id, out);
}

/* Keep transfer t for the next audit event to claim: -1 when out of
 * memory or when too many wait. */
static int claim(struct office_hot *h, const struct ledger_transfer *t)
{
	struct hot_claim *c;

	assert(h && t);
	if (h->nclaims == h->cap_claims) {
		size_t cap = h->cap_claims ? h->cap_claims * 2 : 16;

		if (cap > HOT_CLAIMS_MAX)
			return -1;
		c = realloc(h->claims, cap * sizeof(*c));
		if (!c)
			return -1;
		h->claims = c;
		h->cap_claims = cap;
	}
	c = &h->claims[h->nclaims++];
	snprintf(c->id, sizeof(c->id), "%s", t->id);
	c->debit = t->debit;
	c->credit = t->credit;
	c->amount = t->amount;
	c->timestamp = t->timestamp;
	return 0;
}

json_t *office_hot_claims_take(struct office *o)
{
	struct office_hot *h = o->hot;
	json_t *arr;

	assert(o);
	if (!h || !h->nclaims)
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < h->nclaims; i++) {
		const struct hot_claim *c = &h->claims[i];

		if (json_array_append_new(
			    arr,
			    json_pack("[s,I,I,o]", c->id, (json_int_t)c->debit,
				      (json_int_t)c->credit,
				      office_money_j(c->amount)))) {
			json_decref(arr);
			return NULL;
		}
	}
	if (arr)
		h->nclaims = h->nclaims_sp = 0;
	return arr;
}

static int hot_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct office_hot *h = ctx;
	int rc = 0;

	/* The accounts it names exist in the store before it does. */
	if (h->in_tx)
		rc = make_stored(h, t->debit);
	if (!rc && h->in_tx)
		rc = make_stored(h, t->credit);
	if (!rc)
		rc = h->base->transfer_put(h->base->ctx, t);
	if (!rc && claim(h, t))
		rc = -1;
	if (!h->in_tx)
		return rc;
	/* The accounts stay: what is dirty the store lacks, and the
	 * rollback that follows puts them back by the undo log. */
	if (rc) {
		forget_rest(h);
		return rc;
	}
	/* Written once: a second "reserve/<fresh>" would now exist. */
	if (fresh_reservation(h, t->id) && !strchr(t->id + 8, '/'))
		h->fresh[0] = '\0';
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
	h->contracts = hot_contracts_new();
	if (!h->contracts) {
		free(h);
		return -1;
	}
	h->store = o->store;
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
	store_on_accounts(o->store, hot_on_accounts, h);
	return 0;
}

void office_hot_free(struct office *o)
{
	if (!o->hot)
		return;
	if (o->store)
		store_on_accounts(o->store, NULL, NULL);
	free(o->hot->slots);
	free(o->hot->dirty_ids);
	free(o->hot->undo);
	free(o->hot->numbers);
	free(o->hot->waiting);
	free(o->hot->claims);
	free(o->hot->years);
	free(o->hot->years_idx);
	free(o->hot->yundo);
	free(o->hot->refs);
	set_free(&o->hot->newfirms);
	set_free(&o->hot->apps);
	set_free(&o->hot->reg);
	hot_contracts_free(o->hot->contracts);
	free(o->hot);
	o->hot = NULL;
}

bool office_hot_writing(const struct office *o)
{
	assert(o);
	return o->hot && o->hot->in_tx;
}

struct hot_contracts *office_hot_contracts(struct office *o)
{
	assert(o);
	return o->hot ? o->hot->contracts : NULL;
}

const struct ledger_io *office_ledger(struct office *o)
{
	assert(o);
	return o->hot ? &o->hot->io : store_ledger_io(o->store);
}

/* Write each number given in this transaction, once per program and
 * year. */
static int numbers_flush(struct office *o, struct qerr *e)
{
	struct office_hot *h = o->hot;

	assert(h && h->in_tx);
	for (size_t i = 0; i < h->nnumbers; i++) {
		struct hot_number *k = &h->numbers[i];
		int rc;

		assert(k->stored <= k->last);
		if (k->stored == k->last)
			continue;
		rc = store_app_number_set(o->store, k->program, k->year,
					  k->last, e);
		if (rc)
			return rc;
		k->stored = k->last;
	}
	return Q_OK;
}

/* Put the numbers back as they stood when the savepoint began: those
 * first drawn under it are dropped (the store rolled their rows back),
 * the others take their last of then. */
static void numbers_undo(struct office_hot *h)
{
	assert(h && h->sp_open);
	assert(h->nnumbers_sp <= h->nnumbers);
	h->nnumbers = h->nnumbers_sp;
	for (size_t i = 0; i < h->nnumbers; i++) {
		struct hot_number *k = &h->numbers[i];

		if (k->mark == h->sp_mark) {
			k->last = k->sp_last;
			k->mark = 0;
		}
	}
}

static void refs_forget(struct office_hot *h);
static void refs_recorded(struct office_hot *h, const struct store_app *a);

int office_begin(struct office *o, struct qerr *e)
{
	int rc;

	assert(o && o->store);
	rc = store_begin(o->store, e);
	if (rc || !o->hot)
		return rc;
	assert(!o->hot->in_tx);
	assert(o->hot->ndirty == 0);
	/* Another process wrote since this office's last commit. */
	if (store_generation(o->store) != o->hot->generation) {
		forget(o->hot);
		refs_forget(o->hot);
		o->hot->apps_stale = true;
		o->hot->reg_loaded = false;
	}
	o->hot->in_tx = true;
	o->hot->broken = false;
	o->hot->sp_open = false;
	hot_contracts_release(o->hot->contracts);
	o->hot->dirty = false;
	o->hot->txn_wrote_apps = false;
	o->hot->txn_seq = 0;
	return rc;
}

int office_commit(struct office *o, struct qerr *e)
{
	int rc = Q_OK;

	assert(o && o->store);
	/* Every transfer is claimed by an event: one written after the last
	 * event of its transaction is claimed by an event of its own. */
	if (o->hot && o->hot->nclaims)
		rc = office_audit(
			o, "transfers", "ledger", NULL, "quan",
			o->hot->claims[o->hot->nclaims - 1].timestamp / 1000000,
			NULL, e);
	if (!rc && o->hot && o->hot->broken)
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	/* The balances and numbers written behind, before COMMIT. */
	if (!rc && o->hot && o->hot->in_tx && flush(o->hot))
		rc = store_ledger_error(o->store, e);
	if (!rc && o->hot && o->hot->in_tx)
		rc = numbers_flush(o, e);
	if (rc) {
		office_rollback(o);
		return rc;
	}
	rc = store_commit(o->store, e);
	if (!o->hot)
		return rc;
	o->hot->in_tx = false;
	o->hot->nclaims = o->hot->nclaims_sp = 0;
	if (rc) {
		forget(o->hot);
		o->hot->generation = -1;
	} else {
		struct office_hot *h = o->hot;

		h->generation = store_generation(o->store) + 1;
		/* Nobody else wrote while the set was current: it now holds
		 * every application up to the last this commit stored. */
		if (h->apps_loaded && !h->apps_stale &&
		    h->txn_seq > h->apps_seq)
			h->apps_seq = h->txn_seq;
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
	o->hot->nclaims = o->hot->nclaims_sp = 0;
	forget(o->hot);
}

static void years_undo(struct office_hot *h);
static void years_recorded(struct office_hot *h, const struct store_app *a);

int office_savepoint(struct office *o, struct qerr *e)
{
	assert(o && o->store);
	if (o->hot) {
		o->hot->dirty = false;
		o->hot->txn_seq_sp = o->hot->txn_seq;
		o->hot->nclaims_sp = o->hot->nclaims;
		o->hot->sp_open = o->hot->in_tx;
		o->hot->sp_mark++;
		o->hot->nnumbers_sp = o->hot->nnumbers;
		o->hot->nundo = 0;
		o->hot->nyundo = 0;
		o->hot->years_broken = false;
		if (o->hot->in_tx)
			hot_contracts_savepoint(o->hot->contracts);
	}
	return store_savepoint(o->store, e);
}

int office_savepoint_release(struct office *o, struct qerr *e)
{
	int rc;

	assert(o && o->store);
	/* The rows of the accounts created under it, refused (if at all)
	 * while this savepoint can still be rolled back alone. */
	if (o->hot && o->hot->in_tx && flush_new(o->hot))
		return store_ledger_error(o->store, e);
	rc = store_savepoint_release(o->store, e);
	/* A failed release (on PostgreSQL, a deferred write refused) is
	 * followed by the savepoint's rollback, which needs the log. */
	if (o->hot && !rc) {
		o->hot->sp_open = false;
		o->hot->nundo = 0;
		o->hot->nyundo = 0;
		hot_contracts_release(o->hot->contracts);
	}
	return rc;
}

void office_savepoint_rollback(struct office *o)
{
	assert(o && o->store);
	store_savepoint_rollback(o->store);
	if (!o->hot)
		return;
	o->hot->txn_seq = o->hot->txn_seq_sp;
	o->hot->nclaims = o->hot->nclaims_sp;
	/* The accounts as they stood at the savepoint; out of memory for a
	 * dirty mark, the transaction cannot be kept equal to memory:
	 * forget (the writer's commit then fails, see office_commit). */
	if (o->hot->sp_open && undo_all(o->hot))
		o->hot->broken = true;
	if (o->hot->sp_open) {
		numbers_undo(o->hot);
		years_undo(o->hot);
	}
	hot_contracts_rollback(o->hot->contracts);
	o->hot->sp_open = false;
	if (o->hot->dirty)
		forget_rest(o->hot);
}

/* --- numbers, the waitlist, the firms ------------------------------------ */

/* arr (n entries of size bytes, room for *cap) with room for one more:
 * grown when full; NULL when out of memory, arr then untouched (the
 * caller leaves the entry to the store). */
static void *room(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t more;

	assert(n <= *cap && size > 0);
	if (n < *cap)
		return arr;
	more = *cap ? *cap * 2 : 8;
	arr = realloc(arr, more * size);
	if (arr)
		*cap = more;
	return arr;
}

static struct hot_number *number_of(struct office_hot *h, const char *program,
				    int year)
{
	for (size_t i = 0; i < h->nnumbers; i++)
		if (h->numbers[i].year == year &&
		    !strcmp(h->numbers[i].program, program))
			return &h->numbers[i];
	return NULL;
}

int office_hot_number(struct office *o, const char *program, int year,
		      int64_t *n, bool *clean, struct qerr *e)
{
	struct office_hot *h = o->hot;
	struct hot_number *k;
	void *g;
	int rc;

	assert(o && program && n);
	assert(clean);
	*clean = false;
	if (!h || !h->in_tx || strlen(program) >= sizeof(k->program))
		return store_app_number(o->store, program, year, n, e);
	h->dirty = true;
	k = number_of(h, program, year);
	if (!k) {
		rc = store_app_number(o->store, program, year, n, e);
		if (rc)
			return rc;
		g = room(h->numbers, h->nnumbers, &h->cap_numbers,
			 sizeof(*h->numbers));
		if (!g)
			return Q_OK; /* the store has it */
		h->numbers = g;
		k = &h->numbers[h->nnumbers++];
		snprintf(k->program, sizeof(k->program), "%s", program);
		k->year = year;
		k->last = k->stored = *n;
		k->clean = false;
		k->mark = 0;
		return Q_OK;
	}
	assert(k->last >= 1);
	/* Written behind (numbers_flush); the savepoint's rollback needs
	 * its last as it began. */
	if (h->sp_open && k->mark != h->sp_mark) {
		k->sp_last = k->last;
		k->mark = h->sp_mark;
	}
	*n = ++k->last;
	*clean = k->clean;
	return Q_OK;
}

void office_hot_number_clean(struct office *o, const char *program, int year)
{
	struct office_hot *h = o->hot;
	struct hot_number *k;

	assert(o && program);
	if (!h || !h->in_tx)
		return;
	k = number_of(h, program, year);
	if (k)
		k->clean = true;
}

static struct hot_waiting *waiting_of(struct office_hot *h, const char *program,
				      const char *measure, int year)
{
	for (size_t i = 0; i < h->nwaiting; i++)
		if (h->waiting[i].year == year &&
		    !strcmp(h->waiting[i].measure, measure) &&
		    !strcmp(h->waiting[i].program, program))
			return &h->waiting[i];
	return NULL;
}

int office_hot_waiting(struct office *o, const char *program,
		       const char *measure, int year, bool *maybe,
		       struct qerr *e)
{
	struct office_hot *h = o->hot;
	struct hot_waiting *w;
	int64_t n;
	void *g;
	int rc;

	assert(o && program && measure);
	assert(maybe);
	*maybe = true;
	if (!h || !h->in_tx || strlen(program) >= sizeof(w->program) ||
	    strlen(measure) >= sizeof(w->measure))
		return Q_OK;
	w = waiting_of(h, program, measure, year);
	if (!w) {
		rc = store_app_count(o->store, program, measure, year,
				     APP_WAITLISTED, &n, e);
		if (rc)
			return rc;
		g = room(h->waiting, h->nwaiting, &h->cap_waiting,
			 sizeof(*h->waiting));
		if (!g)
			return Q_OK; /* *maybe: ask the store */
		h->waiting = g;
		w = &h->waiting[h->nwaiting++];
		snprintf(w->program, sizeof(w->program), "%s", program);
		snprintf(w->measure, sizeof(w->measure), "%s", measure);
		w->year = year;
		w->n = n;
	}
	assert(w->n >= 0);
	*maybe = w->n > 0;
	return Q_OK;
}

void office_hot_moved(struct office *o, const struct store_app *a, int from)
{
	struct office_hot *h = o->hot;
	struct hot_waiting *w;

	assert(o && a);
	assert(a->state != OFFICE_NEW);
	if (h && from == OFFICE_NEW) {
		years_recorded(h, a);
		refs_recorded(h, a);
	}
	if (!h || !h->in_tx)
		return;
	if (from == OFFICE_NEW) {
		/* Out of memory: the set no longer holds every firm; read it
		 * all again when next asked. */
		if (set_add(&h->apps, a->uscc))
			h->apps_loaded = false;
		h->txn_wrote_apps = true;
		if (a->seq > h->txn_seq)
			h->txn_seq = a->seq;
	}
	if ((from == APP_WAITLISTED) == (a->state == APP_WAITLISTED))
		return;
	h->dirty = true;
	w = waiting_of(h, a->program, a->measure, a->fiscal_year);
	if (w)
		w->n += a->state == APP_WAITLISTED ? 1 : -1;
	assert(!w || w->n >= 0);
}

static int apps_add(void *arg, const char *uscc, int64_t seq)
{
	struct office_hot *h = arg;

	if (set_add(&h->apps, uscc))
		return -1;
	assert(seq > h->apps_seq);
	h->apps_seq = seq;
	return 0;
}

int office_hot_filed(struct office *o, const char *uscc, bool *maybe,
		     struct qerr *e)
{
	struct office_hot *h = o->hot;
	int rc;

	assert(o && uscc && maybe);
	*maybe = true;
	if (!h || !h->in_tx)
		return Q_OK;
	if (!h->apps_loaded || h->apps_stale) {
		/* What is read now must be what others committed: once this
		 * transaction has stored applications, wait for the next. */
		if (h->txn_wrote_apps)
			return Q_OK;
		if (!h->apps_loaded) {
			set_free(&h->apps);
			h->apps_seq = 0;
		}
		rc = store_app_usccs_after(o->store, h->apps_seq, apps_add, h,
					   e);
		if (rc)
			return rc;
		h->apps_loaded = true;
		h->apps_stale = false;
	}
	*maybe = set_maybe(&h->apps, uscc);
	/* A new firm: every reference it uses from now on is recorded here
	 * (refs_recorded), and every contract (it has none yet). Out of
	 * memory, no firm is new. */
	if (!*maybe && set_add(&h->newfirms, uscc))
		refs_forget(h);
	if (!*maybe)
		hot_contracts_none(h->contracts, uscc);
	return Q_OK;
}

/* fn(arg, uscc) for every firm in the registry of controllers and on
 * every list, as store_screens_each visits them (fn non-zero stops). */
struct reg_visit {
	int (*fn)(void *arg, const char *uscc);
	void *arg;
};

static int visit_controller(void *arg, const struct store_controller *c)
{
	const struct reg_visit *v = arg;

	return v->fn(v->arg, c->uscc);
}

static int visit_listing(void *arg, const struct store_listing *l)
{
	const struct reg_visit *v = arg;

	return v->fn(v->arg, l->uscc);
}

static int registry_each(struct office *o, int (*fn)(void *, const char *),
			 void *arg, struct qerr *e)
{
	struct reg_visit v = {fn, arg};

	return store_screens_each(o->store, NULL, visit_controller,
				  visit_listing, &v, e);
}

/* Add a firm to the registry's set; out of memory stops the walk. */
struct reg_load {
	struct office_hot *h;
	bool nomem;
};

static int reg_add(void *arg, const char *uscc)
{
	struct reg_load *r = arg;

	r->nomem = set_add(&r->h->reg, uscc) != 0;
	return r->nomem;
}

int office_hot_listed(struct office *o, const char *uscc, bool *maybe,
		      struct qerr *e)
{
	struct office_hot *h = o->hot;
	struct reg_load r = {h, false};
	int rc;

	assert(o && uscc && maybe);
	*maybe = true;
	if (!h || !h->in_tx)
		return Q_OK;
	if (!h->reg_loaded) {
		set_free(&h->reg);
		rc = registry_each(o, reg_add, &r, e);
		if (rc)
			return rc;
		if (r.nomem)
			return Q_OK; /* ask the store */
		h->reg_loaded = true;
	}
	*maybe = set_maybe(&h->reg, uscc);
	return Q_OK;
}

void office_hot_registered(struct office *o, const char *uscc)
{
	struct office_hot *h = o->hot;

	assert(o && uscc);
	if (h && h->reg_loaded && set_add(&h->reg, uscc))
		h->reg_loaded = false;
}

static int check_rest(struct office *o, char *why, size_t n);

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
	return check_rest(o, why, n);
}

/* --- the check of what is beyond the ledger ------------------------------ */

struct check {
	struct office_hot *h;
	char *why;
	size_t n;
	int bad; /* 1 once something differs */
};

static int check_number(void *arg, const char *program, int year, int64_t last)
{
	struct check *c = arg;
	struct hot_number *k = number_of(c->h, program, year);

	if (k && k->last != last && !c->bad) {
		snprintf(c->why, c->n,
			 "the last number of %s %d in memory is %lld, the "
			 "store's %lld",
			 program, year, (long long)k->last, (long long)last);
		c->bad = 1;
	}
	return 0;
}

static int check_filed(void *arg, const char *uscc, int64_t seq)
{
	struct check *c = arg;

	if (!set_maybe(&c->h->apps, uscc) && !c->bad) {
		snprintf(c->why, c->n,
			 "firm %s filed application seq %lld, and the set "
			 "of firms in memory lacks it",
			 uscc, (long long)seq);
		c->bad = 1;
	}
	return 0;
}

static int check_reg(void *arg, const char *uscc)
{
	struct check *c = arg;

	if (!set_maybe(&c->h->reg, uscc) && !c->bad) {
		snprintf(c->why, c->n,
			 "firm %s is listed or registered, and the set in "
			 "memory lacks it",
			 uscc);
		c->bad = 1;
	}
	return 0;
}

/* office_hot_check beyond the ledger: the numbers, the waiting counts, the
 * sets of firms, the yearly sums. */
static int check_rest(struct office *o, char *why, size_t n)
{
	struct office_hot *h = o->hot;
	struct check c = {h, why, n, 0};
	struct qerr e = {0};

	if (store_app_numbers_each(o->store, check_number, &c, &e))
		goto unreadable;
	for (size_t i = 0; !c.bad && i < h->nwaiting; i++) {
		const struct hot_waiting *w = &h->waiting[i];
		int64_t k;

		if (store_app_count(o->store, w->program, w->measure, w->year,
				    APP_WAITLISTED, &k, &e))
			goto unreadable;
		if (k != w->n) {
			snprintf(why, n,
				 "%lld applications of %s %s %d wait in "
				 "memory, %lld in the store",
				 (long long)w->n, w->program, w->measure,
				 w->year, (long long)k);
			c.bad = 1;
		}
	}
	if (!c.bad && h->apps_loaded && !h->apps_stale &&
	    store_app_usccs_after(o->store, 0, check_filed, &c, &e))
		goto unreadable;
	if (!c.bad && h->reg_loaded && registry_each(o, check_reg, &c, &e))
		goto unreadable;
	if (!c.bad) {
		int rc = office_hot_years_check(o, why, n);

		if (!rc)
			rc = office_hot_contracts_check(o, why, n);
		if (rc < 0)
			return rc;
		c.bad = rc;
	}
	return c.bad;
unreadable:
	snprintf(why, n, "the store cannot be read: %s", e.msg);
	return -1;
}

void office_hot_counts(const struct office *o, long *hits, long *misses)
{
	*hits = o->hot ? o->hot->hits : 0;
	*misses = o->hot ? o->hot->misses : 0;
}

void office_hot_absent(struct office *o, const uint64_t *ids, size_t n)
{
	struct office_hot *h = o->hot;

	assert(o && (ids || n == 0));
	assert(n <= HOT_ABSENT_MAX);
	if (!h)
		return;
	h->nabsent = h->in_tx ? n : 0;
	if (h->nabsent)
		memcpy(h->absent, ids, n * sizeof(*ids));
}

void office_hot_fresh(struct office *o, const char *id)
{
	struct office_hot *h = o->hot;

	assert(o);
	if (!h)
		return;
	if (!h->in_tx || !id || strlen(id) >= sizeof(h->fresh))
		h->fresh[0] = '\0';
	else
		snprintf(h->fresh, sizeof(h->fresh), "%s", id);
}

/* --- the firms' yearly sums ---------------------------------------------- */

static uint64_t year_hash(const char *program, const char *uscc, int year)
{
	uint64_t x = office_uscc_hash(program);

	x = (x ^ 0xff) * 1099511628211ull;
	for (; *uscc; uscc++)
		x = (x ^ (unsigned char)*uscc) * 1099511628211ull;
	return (x ^ (uint64_t)(unsigned)year) * 0x9e3779b97f4a7c15ull;
}

static bool year_fits(const char *program, const char *measure,
		      const char *uscc)
{
	return strlen(program) < sizeof(((struct hot_year *)0)->program) &&
	       strlen(measure) < sizeof(((struct hot_year *)0)->measure) &&
	       strlen(uscc) < HOT_USCC_MAX && *uscc;
}

static bool year_same_firm(const struct hot_year *y, const char *program,
			   const char *uscc, int year)
{
	return y->year == year && !strcmp(y->uscc, uscc) &&
	       !strcmp(y->program, program);
}

/* The index slot of the firm-year's entry under measure, or of the empty
 * slot where it would go. */
static size_t year_slot(const struct office_hot *h, const char *program,
			const char *measure, const char *uscc, int year)
{
	size_t i = (size_t)year_hash(program, uscc, year) & (h->cap_idx - 1);

	assert(h->cap_idx > 0);
	for (; h->years_idx[i]; i = (i + 1) & (h->cap_idx - 1)) {
		const struct hot_year *y = &h->years[h->years_idx[i] - 1];

		if (year_same_firm(y, program, uscc, year) &&
		    !strcmp(y->measure, measure))
			break;
	}
	return i;
}

/* Log entry i as it stands, once under the open savepoint; out of memory
 * the savepoint's rollback forgets every entry instead. */
static void year_log(struct office_hot *h, size_t i)
{
	struct hot_year *y = &h->years[i];
	struct hot_year_undo *u;

	if (!h->sp_open || y->mark == h->sp_mark)
		return;
	u = room(h->yundo, h->nyundo, &h->cap_yundo, sizeof(*h->yundo));
	if (!u) {
		h->years_broken = true;
		return;
	}
	h->yundo = u;
	h->yundo[h->nyundo++] = (struct hot_year_undo){i, y->valid, y->whole,
						       y->awarded, y->compute};
	y->mark = h->sp_mark;
}

static void years_undo(struct office_hot *h)
{
	if (h->years_broken) {
		years_forget(h);
		return;
	}
	while (h->nyundo) {
		const struct hot_year_undo *u = &h->yundo[--h->nyundo];
		struct hot_year *y = &h->years[u->i];

		assert(u->i < h->nyears);
		y->valid = u->valid;
		y->whole = u->whole;
		y->awarded = u->awarded;
		y->compute = u->compute;
		y->mark = 0;
	}
}

/* Double the index: -1 when out of memory (the index is unchanged). */
static int years_grow(struct office_hot *h)
{
	size_t cap = h->cap_idx ? h->cap_idx * 2 : 1024;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	free(h->years_idx);
	h->years_idx = idx;
	h->cap_idx = cap;
	for (size_t k = 0; k < h->nyears; k++) {
		const struct hot_year *y = &h->years[k];

		idx[year_slot(h, y->program, y->measure, y->uscc, y->year)] =
			(uint32_t)(k + 1);
	}
	return 0;
}

static void years_of_firm(struct office_hot *h, const struct store_app *a,
			  bool add);

/* Forget the firm-year (under every measure). */
static void year_forget_firm(struct office_hot *h, const char *program,
			     const char *uscc, int year)
{
	struct store_app a;

	memset(&a, 0, sizeof(a));
	snprintf(a.program, sizeof(a.program), "%s", program);
	snprintf(a.uscc, sizeof(a.uscc), "%s", uscc);
	a.fiscal_year = year;
	years_of_firm(h, &a, false);
}

/* Keep the sums of the firm-year under measure (the store's, or those a
 * whole entry gives). Out of memory they are not kept, and the firm-year
 * is forgotten: its whole entries would no longer count every
 * application of it. */
static void year_keep(struct office_hot *h, const char *program,
		      const char *measure, const char *uscc, int year,
		      money_t awarded, money_t compute, bool whole)
{
	struct hot_year *y;
	size_t i;
	void *g;

	if (h->nyears >= HOT_YEARS_MAX)
		years_forget(h);
	if ((h->nyears + 1) * 2 > h->cap_idx && years_grow(h)) {
		year_forget_firm(h, program, uscc, year);
		return;
	}
	i = year_slot(h, program, measure, uscc, year);
	if (!h->years_idx[i]) {
		g = room(h->years, h->nyears, &h->cap_years, sizeof(*h->years));
		if (!g) {
			year_forget_firm(h, program, uscc, year);
			return;
		}
		h->years = g;
		y = &h->years[h->nyears];
		memset(y, 0, sizeof(*y));
		snprintf(y->program, sizeof(y->program), "%s", program);
		snprintf(y->measure, sizeof(y->measure), "%s", measure);
		snprintf(y->uscc, sizeof(y->uscc), "%s", uscc);
		y->year = year;
		h->years_idx[i] = (uint32_t)(++h->nyears);
	}
	year_log(h, h->years_idx[i] - 1);
	y = &h->years[h->years_idx[i] - 1];
	y->valid = true;
	y->whole = whole;
	y->awarded = awarded;
	y->compute = compute;
}

/* A valid whole entry of the firm-year, under any measure, or NULL. */
static const struct hot_year *year_whole(const struct office_hot *h,
					 const char *program, const char *uscc,
					 int year)
{
	size_t i = (size_t)year_hash(program, uscc, year) & (h->cap_idx - 1);

	for (; h->years_idx[i]; i = (i + 1) & (h->cap_idx - 1)) {
		const struct hot_year *y = &h->years[h->years_idx[i] - 1];

		if (y->valid && y->whole &&
		    year_same_firm(y, program, uscc, year))
			return y;
	}
	return NULL;
}

int office_hot_year(struct office *o, const char *program, const char *measure,
		    const char *uscc, int year, const char *except_id,
		    bool none, money_t *awarded, money_t *compute,
		    struct qerr *e)
{
	struct office_hot *h = o->hot;
	int rc;

	assert(o && program && measure && uscc);
	assert(awarded && compute);
	*awarded = *compute = 0;
	if (!h || !h->in_tx || h->years_off ||
	    !year_fits(program, measure, uscc)) {
		if (none)
			return Q_OK;
		return store_applicant_year(o->store, program, measure, uscc,
					    year, except_id, awarded, compute,
					    e);
	}
	if (h->cap_idx) {
		size_t i = year_slot(h, program, measure, uscc, year);
		const struct hot_year *y =
			h->years_idx[i] ? &h->years[h->years_idx[i] - 1] : NULL;

		if (y && y->valid) {
			*awarded = y->awarded;
			*compute = y->compute;
			h->year_hits++;
			return Q_OK;
		}
		/* Another measure of a firm-year counted whole: nothing
		 * under this one, the same compute contracts. */
		y = year_whole(h, program, uscc, year);
		if (y) {
			*compute = y->compute;
			h->year_hits++;
			year_keep(h, program, measure, uscc, year, 0, *compute,
				  true);
			return Q_OK;
		}
	}
	/* The application except_id is not recorded yet: the firm-year's
	 * whole sum is its answer. */
	if (!none) {
		rc = store_applicant_year(o->store, program, measure, uscc,
					  year, "", awarded, compute, e);
		if (rc)
			return rc;
		h->year_reads++;
	}
	year_keep(h, program, measure, uscc, year, *awarded, *compute, none);
	return Q_OK;
}

/* Every entry of a's firm-year (under every measure): forgotten, or (add)
 * given a's share: its compute contract to each, what it holds to its
 * measure's, as ST_APPLICANT_YEAR sums them. */
static void years_of_firm(struct office_hot *h, const struct store_app *a,
			  bool add)
{
	money_t mine = 0, contract = a->compute ? a->contract_value : 0;
	size_t i;

	if (!h->cap_idx || !h->nyears)
		return;
	if (a->state == APP_RESERVED || a->state == APP_WAITLISTED ||
	    a->state == APP_QUEUED)
		mine = a->requested;
	else if (a->state == APP_AWARDED)
		mine = a->awarded;
	i = (size_t)year_hash(a->program, a->uscc, a->fiscal_year) &
	    (h->cap_idx - 1);
	for (; h->years_idx[i]; i = (i + 1) & (h->cap_idx - 1)) {
		size_t k = h->years_idx[i] - 1;
		struct hot_year *y = &h->years[k];

		if (!y->valid ||
		    !year_same_firm(y, a->program, a->uscc, a->fiscal_year))
			continue;
		if (!add) {
			y->valid = false;
			continue;
		}
		year_log(h, k);
		if (money_add(y->compute, contract, &y->compute) ||
		    (!strcmp(y->measure, a->measure) &&
		     money_add(y->awarded, mine, &y->awarded)))
			y->valid = false;
	}
}

void office_hot_year_forget(struct office *o, const struct store_app *a)
{
	assert(o && a);
	if (o->hot)
		years_of_firm(o->hot, a, false);
}

/* Intake recorded a (office_hot_moved): its firm-year's sums grow. */
static void years_recorded(struct office_hot *h, const struct store_app *a)
{
	assert(h && a);
	years_of_firm(h, a, h->in_tx);
}

void office_hot_years_enable(struct office *o, bool on)
{
	assert(o);
	if (!o->hot)
		return;
	o->hot->years_off = !on;
	years_forget(o->hot);
}

void office_hot_year_counts(const struct office *o, long *hits, long *reads)
{
	assert(o && hits && reads);
	*hits = o->hot ? o->hot->year_hits : 0;
	*reads = o->hot ? o->hot->year_reads : 0;
}

int office_hot_years_check(struct office *o, char *why, size_t n)
{
	struct office_hot *h = o->hot;
	struct qerr e = {0};

	assert(o && why && n > 0);
	why[0] = '\0';
	if (!h || h->in_tx)
		return 0;
	for (size_t i = 0; i < h->nyears; i++) {
		const struct hot_year *y = &h->years[i];
		money_t aw, co;

		if (!y->valid)
			continue;
		if (store_applicant_year(o->store, y->program, y->measure,
					 y->uscc, y->year, "", &aw, &co, &e)) {
			snprintf(why, n, "the store cannot be read: %s", e.msg);
			return -1;
		}
		if (aw != y->awarded || co != y->compute) {
			snprintf(why, n,
				 "the yearly sums of %s in %s %s %d in memory "
				 "are %lld and %lld, the store's %lld and %lld",
				 y->uscc, y->program, y->measure, y->year,
				 (long long)y->awarded, (long long)y->compute,
				 (long long)aw, (long long)co);
			return 1;
		}
	}
	return 0;
}

/* --- the new firms' references ------------------------------------------- */

static uint64_t ref_hash(const char *uscc, const char *ref)
{
	uint64_t x = office_uscc_hash(uscc);

	x = (x ^ 0xff) * 1099511628211ull;
	for (; *ref; ref++)
		x = (x ^ (unsigned char)*ref) * 1099511628211ull;
	x ^= x >> 29;
	return x ? x : 1;
}

/* Whether uscc is certainly a new firm (in the set, not "maybe"). */
static bool fresh_has(const struct office_hot *h, const char *uscc)
{
	return strlen(uscc) < HOT_USCC_MAX && h->newfirms.cap &&
	       h->newfirms.keys[set_slot(&h->newfirms, uscc)][0];
}

static size_t ref_slot(const struct office_hot *h, uint64_t x)
{
	size_t i = (size_t)x & (h->cap_refs - 1);

	while (h->refs[i] && h->refs[i] != x)
		i = (i + 1) & (h->cap_refs - 1);
	return i;
}

/* Forget the new firms and their references (always safe: every firm is
 * then asked of the store). */
static void refs_forget(struct office_hot *h)
{
	set_free(&h->newfirms);
	if (h->refs)
		memset(h->refs, 0, h->cap_refs * sizeof(*h->refs));
	h->nrefs = 0;
}

/* Refs kept at most: past it, all are forgotten. */
#define HOT_REFS_MAX (1u << 22)

/* Intake recorded a: a new firm's reference joins the set. */
static void refs_recorded(struct office_hot *h, const struct store_app *a)
{
	uint64_t x;

	assert(h && a);
	if (!a->client_ref[0] || !fresh_has(h, a->uscc))
		return;
	if (h->nrefs >= HOT_REFS_MAX) {
		refs_forget(h);
		return;
	}
	if ((h->nrefs + 1) * 2 > h->cap_refs) {
		size_t cap = h->cap_refs ? h->cap_refs * 2 : 1024;
		uint64_t *old = h->refs, *g = calloc(cap, sizeof(*g));
		size_t ocap = h->cap_refs;

		if (!g) {
			refs_forget(h);
			return;
		}
		h->refs = g;
		h->cap_refs = cap;
		for (size_t k = 0; k < ocap; k++)
			if (old[k])
				h->refs[ref_slot(h, old[k])] = old[k];
		free(old);
	}
	x = ref_hash(a->uscc, a->client_ref);
	if (!h->refs[ref_slot(h, x)]) {
		h->refs[ref_slot(h, x)] = x;
		h->nrefs++;
	}
}

void office_hot_ref(struct office *o, const char *uscc, const char *ref,
		    bool *maybe)
{
	struct office_hot *h = o->hot;

	assert(o && uscc && ref);
	assert(maybe);
	*maybe = true;
	if (!h || !h->in_tx || !fresh_has(h, uscc))
		return;
	*maybe = h->cap_refs && h->refs[ref_slot(h, ref_hash(uscc, ref))];
	if (!*maybe)
		h->ref_hits++;
}

long office_hot_ref_hits(const struct office *o)
{
	assert(o);
	return o->hot ? o->hot->ref_hits : 0;
}
