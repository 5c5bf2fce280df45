/*
 * ledger.c - transfers and accounts over a struct ledger_io, and the
 * in-memory ledger.
 *
 * A batch is applied chain by chain (a transfer that is not linked is a chain
 * of one). While a chain is being applied, every account and transfer it
 * touches lives in an overlay: reads look there first and fall through to
 * the io; nothing is written through the io until the whole chain has
 * succeeded. A failed chain is undone by forgetting its overlay.
 */
#include "ledger/ledger.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Timestamps are the clock in microseconds, bumped to stay increasing. */
#define LEDGER_TICKS_PER_SECOND 1000000

#define TRANSFER_KIND_FLAGS                                                    \
	(LEDGER_PENDING | LEDGER_POST_PENDING | LEDGER_VOID_PENDING)
#define TRANSFER_ALL_FLAGS (LEDGER_LINKED | TRANSFER_KIND_FLAGS)
#define ACCOUNT_ALL_FLAGS                                                      \
	(LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS |                               \
	 LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS)

static const char *const result_names[LEDGER__RESULT_COUNT] = {
	[LEDGER_OK] = "ok",
	[LEDGER_EXISTS] = "exists",
	[LEDGER_EXISTS_DIFFERENT_DEBIT] = "exists_different_debit",
	[LEDGER_EXISTS_DIFFERENT_CREDIT] = "exists_different_credit",
	[LEDGER_EXISTS_DIFFERENT_AMOUNT] = "exists_different_amount",
	[LEDGER_EXISTS_DIFFERENT_FLAGS] = "exists_different_flags",
	[LEDGER_EXISTS_DIFFERENT_PENDING_ID] = "exists_different_pending_id",
	[LEDGER_EXISTS_DIFFERENT_EXPIRY] = "exists_different_expiry",
	[LEDGER_EXISTS_DIFFERENT_CODE] = "exists_different_code",
	[LEDGER_EXISTS_DIFFERENT_REF] = "exists_different_ref",
	[LEDGER_LINKED_EVENT_FAILED] = "linked_event_failed",
	[LEDGER_LINKED_CHAIN_OPEN] = "linked_chain_open",
	[LEDGER_ID_INVALID] = "id_invalid",
	[LEDGER_FLAGS_INVALID] = "flags_invalid",
	[LEDGER_AMOUNT_INVALID] = "amount_invalid",
	[LEDGER_ACCOUNTS_SAME] = "accounts_same",
	[LEDGER_DEBIT_NOT_FOUND] = "debit_not_found",
	[LEDGER_CREDIT_NOT_FOUND] = "credit_not_found",
	[LEDGER_EXCEEDS_CREDITS] = "exceeds_credits",
	[LEDGER_EXCEEDS_DEBITS] = "exceeds_debits",
	[LEDGER_PENDING_NOT_FOUND] = "pending_not_found",
	[LEDGER_PENDING_NOT_PENDING] = "pending_not_pending",
	[LEDGER_PENDING_ALREADY_POSTED] = "pending_already_posted",
	[LEDGER_PENDING_ALREADY_VOIDED] = "pending_already_voided",
	[LEDGER_PENDING_EXPIRED] = "pending_expired",
	[LEDGER_PENDING_DIFFERENT_ACCOUNTS] = "pending_different_accounts",
	[LEDGER_POST_EXCEEDS_PENDING] = "post_exceeds_pending",
	[LEDGER_OVERFLOW] = "overflow",
	[LEDGER_ACCOUNT_EXISTS] = "account_exists",
	[LEDGER_ACCOUNT_EXISTS_DIFFERENT] = "account_exists_different",
	[LEDGER_IO_ERROR] = "io_error",
};

const char *ledger_result_name(int r)
{
	if (r < 0 || r >= LEDGER__RESULT_COUNT || !result_names[r])
		return "unknown";
	return result_names[r];
}

/* ---- small helpers -------------------------------------------------------- */

/* A text field is well formed when it ends within its array. */
static bool text_ok(const char *s)
{
	return memchr(s, '\0', LEDGER_ID_MAX) != NULL;
}

static bool text_eq(const char *a, const char *b)
{
	return strncmp(a, b, LEDGER_ID_MAX) == 0;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < LEDGER_ID_MAX && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h);
}

static bool is_post_or_void(uint32_t flags)
{
	return (flags & (LEDGER_POST_PENDING | LEDGER_VOID_PENDING)) != 0;
}

/*
 * An open-addressing index from a key to a position in an array the caller
 * owns. A slot is in use when its generation equals the index's current
 * one, so the whole index is emptied in O(1) by starting a new generation.
 * The caller keeps the load at or below one half.
 */
struct ix {
	uint32_t *gen;
	uint32_t *pos;
	size_t mask; /* capacity - 1, capacity a power of two */
	uint32_t cur;
};

static int ix_init(struct ix *x, size_t cap)
{
	x->gen = calloc(cap, sizeof(*x->gen));
	x->pos = calloc(cap, sizeof(*x->pos));
	x->mask = cap - 1;
	x->cur = 1;
	if (!x->gen || !x->pos) {
		free(x->gen);
		free(x->pos);
		x->gen = x->pos = NULL;
		return -1;
	}
	return 0;
}

static void ix_release(struct ix *x)
{
	free(x->gen);
	free(x->pos);
	memset(x, 0, sizeof(*x));
}

static void ix_clear(struct ix *x)
{
	if (++x->cur == 0) {
		memset(x->gen, 0, (x->mask + 1) * sizeof(*x->gen));
		x->cur = 1;
	}
}

/* The first slot for hash h; walk on with ix_next(). */
static size_t ix_first(const struct ix *x, uint64_t h)
{
	return (size_t)h & x->mask;
}

static size_t ix_next(const struct ix *x, size_t slot)
{
	return (slot + 1) & x->mask;
}

static bool ix_used(const struct ix *x, size_t slot)
{
	return x->gen[slot] == x->cur;
}

static void ix_set(struct ix *x, size_t slot, uint32_t pos)
{
	x->gen[slot] = x->cur;
	x->pos[slot] = pos;
}

/* ---- the overlay: one chain's uncommitted changes ------------------------- */

/* One account as the chain sees it, and whether the chain changed it. */
struct ov_account {
	struct ledger_account a;
	bool dirty;
};

/*
 * The accounts and transfers of the chain being applied. Sized for the
 * longest chain of the batch: each transfer touches at most two accounts
 * and adds at most one transfer, so the arrays never grow.
 */
struct overlay {
	const struct ledger_io *io;
	struct ov_account *accounts;
	size_t naccounts, max_accounts;
	struct ledger_transfer *transfers;
	size_t ntransfers, max_transfers;
	struct ix account_ix;  /* account id -> accounts[] */
	struct ix transfer_ix; /* transfer id -> transfers[] */
	struct ix pending_ix;  /* pending_id of a post/void -> transfers[] */
};

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c <<= 1;
	return c;
}

static int overlay_init(struct overlay *ov, const struct ledger_io *io,
			size_t max_chain)
{
	size_t cap = pow2_at_least(4 * max_chain + 4);

	memset(ov, 0, sizeof(*ov));
	ov->io = io;
	ov->max_accounts = 2 * max_chain;
	ov->max_transfers = max_chain;
	ov->accounts = calloc(ov->max_accounts, sizeof(*ov->accounts));
	ov->transfers = calloc(ov->max_transfers, sizeof(*ov->transfers));
	if (!ov->accounts || !ov->transfers || ix_init(&ov->account_ix, cap) ||
	    ix_init(&ov->transfer_ix, cap) || ix_init(&ov->pending_ix, cap))
		return -1;
	return 0;
}

static void overlay_release(struct overlay *ov)
{
	free(ov->accounts);
	free(ov->transfers);
	ix_release(&ov->account_ix);
	ix_release(&ov->transfer_ix);
	ix_release(&ov->pending_ix);
	memset(ov, 0, sizeof(*ov));
}

static void overlay_clear(struct overlay *ov)
{
	ov->naccounts = 0;
	ov->ntransfers = 0;
	ix_clear(&ov->account_ix);
	ix_clear(&ov->transfer_ix);
	ix_clear(&ov->pending_ix);
}

/*
 * The account as the chain sees it, in *out (a pointer into the overlay,
 * valid until the overlay is cleared). Returns 0, 1 when there is no such
 * account, or -1 on a storage error.
 */
static int ov_account(struct overlay *ov, uint64_t id, struct ov_account **out)
{
	size_t s = ix_first(&ov->account_ix, hash_u64(id));
	struct ov_account *oa;
	int rc;

	for (; ix_used(&ov->account_ix, s); s = ix_next(&ov->account_ix, s)) {
		oa = &ov->accounts[ov->account_ix.pos[s]];
		if (oa->a.id == id) {
			*out = oa;
			return 0;
		}
	}
	assert(ov->naccounts < ov->max_accounts);
	oa = &ov->accounts[ov->naccounts];
	rc = ov->io->account_get(ov->io->ctx, id, &oa->a);
	if (rc)
		return rc < 0 ? -1 : 1;
	oa->dirty = false;
	ix_set(&ov->account_ix, s, (uint32_t)ov->naccounts++);
	*out = oa;
	return 0;
}

/* The transfer id as the chain sees it: 0 found, 1 not found, -1 error. */
static int ov_transfer(struct overlay *ov, const char *id,
		       struct ledger_transfer *out)
{
	size_t s = ix_first(&ov->transfer_ix, hash_text(id));
	int rc;

	for (; ix_used(&ov->transfer_ix, s); s = ix_next(&ov->transfer_ix, s)) {
		const struct ledger_transfer *t =
			&ov->transfers[ov->transfer_ix.pos[s]];
		if (text_eq(t->id, id)) {
			*out = *t;
			return 0;
		}
	}
	rc = ov->io->transfer_get(ov->io->ctx, id, out);
	return rc < 0 ? -1 : rc ? 1 : 0;
}

/* The state of pending transfer id as the chain sees it. */
static int ov_pending_state(struct overlay *ov, const char *id,
			    enum ledger_pending_state *out)
{
	size_t s = ix_first(&ov->pending_ix, hash_text(id));
	int rc;

	for (; ix_used(&ov->pending_ix, s); s = ix_next(&ov->pending_ix, s)) {
		const struct ledger_transfer *t =
			&ov->transfers[ov->pending_ix.pos[s]];
		if (text_eq(t->pending_id, id)) {
			*out = (t->flags & LEDGER_POST_PENDING)
				       ? LEDGER_PENDING_POSTED
				       : LEDGER_PENDING_VOIDED;
			return 0;
		}
	}
	rc = ov->io->pending_state(ov->io->ctx, id, out);
	return rc < 0 ? -1 : rc ? 1 : 0;
}

/* Record a new transfer of the chain (its id is known to be new). */
static void ov_add_transfer(struct overlay *ov, const struct ledger_transfer *t)
{
	size_t s;
	uint32_t pos = (uint32_t)ov->ntransfers;

	assert(ov->ntransfers < ov->max_transfers);
	ov->transfers[ov->ntransfers++] = *t;
	s = ix_first(&ov->transfer_ix, hash_text(t->id));
	while (ix_used(&ov->transfer_ix, s))
		s = ix_next(&ov->transfer_ix, s);
	ix_set(&ov->transfer_ix, s, pos);
	if (is_post_or_void(t->flags)) {
		s = ix_first(&ov->pending_ix, hash_text(t->pending_id));
		while (ix_used(&ov->pending_ix, s))
			s = ix_next(&ov->pending_ix, s);
		ix_set(&ov->pending_ix, s, pos);
	}
}

/* Write the chain through the io: the accounts it changed, then its
 * transfers in order. */
static int overlay_commit(struct overlay *ov)
{
	const struct ledger_io *io = ov->io;

	/* Accounts first: a storage that writes an account late (the
	 * office's hot state) then knows its balance after the transfers
	 * when a transfer that names it is written. */
	for (size_t i = 0; i < ov->naccounts; i++)
		if (ov->accounts[i].dirty &&
		    io->account_put(io->ctx, &ov->accounts[i].a))
			return -1;
	for (size_t i = 0; i < ov->ntransfers; i++)
		if (io->transfer_put(io->ctx, &ov->transfers[i]))
			return -1;
	return 0;
}

/* ---- invariants ----------------------------------------------------------- */

#ifndef NDEBUG
/* What every account must satisfy after every applied transfer: no negative
 * sum, and its balance limit kept. */
static bool account_sane(const struct ledger_account *a)
{
	if (a->debits_pending < 0 || a->debits_posted < 0 ||
	    a->credits_pending < 0 || a->credits_posted < 0)
		return false;
	if ((a->flags & LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS) &&
	    a->debits_pending + a->debits_posted > a->credits_posted)
		return false;
	if ((a->flags & LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS) &&
	    a->credits_pending + a->credits_posted > a->debits_posted)
		return false;
	return true;
}

#endif

/* ---- one transfer --------------------------------------------------------- */

/*
 * Compare a resubmitted transfer t with the stored one e, field by field in
 * the order of the result codes. t is compared as it was submitted: for a
 * post or void, a debit or credit of 0 means "as the pending transfer" and
 * matches what was stored; a post amount of 0 means the full pending
 * amount; a void's amount is ignored.
 */
static int compare_existing(struct overlay *ov, const struct ledger_transfer *t,
			    const struct ledger_transfer *e, int *result)
{
	bool pv = is_post_or_void(t->flags);

	*result = LEDGER_OK;
	if (t->debit != e->debit && !(pv && t->debit == 0)) {
		*result = LEDGER_EXISTS_DIFFERENT_DEBIT;
		return 0;
	}
	if (t->credit != e->credit && !(pv && t->credit == 0)) {
		*result = LEDGER_EXISTS_DIFFERENT_CREDIT;
		return 0;
	}
	if (!(t->flags & LEDGER_VOID_PENDING)) {
		money_t want = t->amount;

		if ((t->flags & LEDGER_POST_PENDING) && want == 0 &&
		    (e->flags & LEDGER_POST_PENDING)) {
			struct ledger_transfer p;
			int rc = ov_transfer(ov, e->pending_id, &p);

			if (rc < 0)
				return -1;
			/* A stored post always names a stored pending. */
			want = rc == 0 ? p.amount : 0;
		}
		if (want != e->amount) {
			*result = LEDGER_EXISTS_DIFFERENT_AMOUNT;
			return 0;
		}
	}
	if (t->flags != e->flags)
		*result = LEDGER_EXISTS_DIFFERENT_FLAGS;
	else if (!text_eq(t->pending_id, e->pending_id))
		*result = LEDGER_EXISTS_DIFFERENT_PENDING_ID;
	else if (t->expires_at != e->expires_at)
		*result = LEDGER_EXISTS_DIFFERENT_EXPIRY;
	else if (t->code != e->code)
		*result = LEDGER_EXISTS_DIFFERENT_CODE;
	else if (!text_eq(t->ref, e->ref))
		*result = LEDGER_EXISTS_DIFFERENT_REF;
	else
		*result = LEDGER_EXISTS;
	return 0;
}

/* The checks that need nothing but the transfer itself. */
static int check_shape(const struct ledger_transfer *t)
{
	uint32_t kind = t->flags & TRANSFER_KIND_FLAGS;

	if (!text_ok(t->id) || t->id[0] == '\0' || !text_ok(t->pending_id) ||
	    !text_ok(t->ref))
		return LEDGER_ID_INVALID;
	if ((t->flags & ~(uint32_t)TRANSFER_ALL_FLAGS) ||
	    (kind & (kind - 1)) != 0)
		return LEDGER_FLAGS_INVALID;
	/* Only a post or void names a pending transfer, and only a pending
	 * transfer expires: the store derives pending states from pending_id,
	 * so a stray one must never be stored. */
	if (!is_post_or_void(t->flags) && t->pending_id[0] != '\0')
		return LEDGER_FLAGS_INVALID;
	if (!(t->flags & LEDGER_PENDING) && t->expires_at != 0)
		return LEDGER_FLAGS_INVALID;
	return LEDGER_OK;
}

/* The new sums of the two accounts of a transfer. */
struct sums {
	struct ledger_account dr, cr;
};

/*
 * Resolve a post or void against its pending transfer: fills *stored (the
 * transfer as it will be stored), *p (the pending transfer) and *result.
 */
static int resolve_post_void(struct overlay *ov,
			     const struct ledger_transfer *t, int64_t now,
			     struct ledger_transfer *stored,
			     struct ledger_transfer *p, int *result)
{
	enum ledger_pending_state st;
	int rc;

	*result = LEDGER_OK;
	if ((t->flags & LEDGER_POST_PENDING) && t->amount < 0) {
		*result = LEDGER_AMOUNT_INVALID;
		return 0;
	}
	if (t->pending_id[0] == '\0') {
		*result = LEDGER_PENDING_NOT_FOUND;
		return 0;
	}
	rc = ov_transfer(ov, t->pending_id, p);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*result = LEDGER_PENDING_NOT_FOUND;
		return 0;
	}
	if (!(p->flags & LEDGER_PENDING)) {
		*result = LEDGER_PENDING_NOT_PENDING;
		return 0;
	}
	if ((t->debit && t->debit != p->debit) ||
	    (t->credit && t->credit != p->credit)) {
		*result = LEDGER_PENDING_DIFFERENT_ACCOUNTS;
		return 0;
	}
	rc = ov_pending_state(ov, t->pending_id, &st);
	if (rc < 0)
		return -1;
	if (rc == 0 && st == LEDGER_PENDING_POSTED) {
		*result = LEDGER_PENDING_ALREADY_POSTED;
		return 0;
	}
	if (rc == 0 && st == LEDGER_PENDING_VOIDED) {
		*result = LEDGER_PENDING_ALREADY_VOIDED;
		return 0;
	}
	if ((t->flags & LEDGER_POST_PENDING) && p->expires_at != 0 &&
	    now >= p->expires_at) {
		*result = LEDGER_PENDING_EXPIRED;
		return 0;
	}
	if ((t->flags & LEDGER_POST_PENDING) && t->amount > p->amount) {
		*result = LEDGER_POST_EXCEEDS_PENDING;
		return 0;
	}
	*stored = *t;
	stored->debit = p->debit;
	stored->credit = p->credit;
	if (t->flags & LEDGER_VOID_PENDING)
		stored->amount = 0;
	else if (t->amount == 0)
		stored->amount = p->amount;
	return 0;
}

/* Apply the effect of transfer s (resolved; p is its pending transfer for a
 * post or void) to copies of its accounts in *n. */
static int apply_sums(const struct ledger_transfer *s,
		      const struct ledger_transfer *p, struct sums *n)
{
	int bad = 0;

	if (s->flags & LEDGER_PENDING) {
		bad |= money_add(n->dr.debits_pending, s->amount,
				 &n->dr.debits_pending);
		bad |= money_add(n->cr.credits_pending, s->amount,
				 &n->cr.credits_pending);
	} else if (is_post_or_void(s->flags)) {
		/* Releasing what the pending transfer holds cannot underflow:
		 * an open pending transfer's amount is in these sums. */
		n->dr.debits_pending -= p->amount;
		n->cr.credits_pending -= p->amount;
		assert(n->dr.debits_pending >= 0 && n->cr.credits_pending >= 0);
		bad |= money_add(n->dr.debits_posted, s->amount,
				 &n->dr.debits_posted);
		bad |= money_add(n->cr.credits_posted, s->amount,
				 &n->cr.credits_posted);
	} else {
		bad |= money_add(n->dr.debits_posted, s->amount,
				 &n->dr.debits_posted);
		bad |= money_add(n->cr.credits_posted, s->amount,
				 &n->cr.credits_posted);
	}
	if (bad)
		return LEDGER_OVERFLOW;
	return LEDGER_OK;
}

/* The balance limits of the two accounts after the transfer. */
static int check_limits(const struct sums *n)
{
	money_t sum;

	if (n->dr.flags & LEDGER_DEBITS_MUST_NOT_EXCEED_CREDITS) {
		if (money_add(n->dr.debits_pending, n->dr.debits_posted, &sum))
			return LEDGER_OVERFLOW;
		if (sum > n->dr.credits_posted)
			return LEDGER_EXCEEDS_CREDITS;
	}
	if (n->cr.flags & LEDGER_CREDITS_MUST_NOT_EXCEED_DEBITS) {
		if (money_add(n->cr.credits_pending, n->cr.credits_posted,
			      &sum))
			return LEDGER_OVERFLOW;
		if (sum > n->cr.debits_posted)
			return LEDGER_EXCEEDS_DEBITS;
	}
	return LEDGER_OK;
}

#ifndef NDEBUG
/* Whether a transfer moved as much in debits as in credits, pending and
 * posted: n against the accounts as they were (dr0, cr0). */
static bool moves_balance(const struct ledger_account *dr0,
			  const struct ledger_account *cr0,
			  const struct sums *n)
{
	/* Differences of values already known not to overflow. */
	int64_t dd = (n->dr.debits_pending - dr0->debits_pending) +
		     (n->cr.debits_pending - cr0->debits_pending);
	int64_t cd = (n->dr.credits_pending - dr0->credits_pending) +
		     (n->cr.credits_pending - cr0->credits_pending);
	int64_t dp = (n->dr.debits_posted - dr0->debits_posted) +
		     (n->cr.debits_posted - cr0->debits_posted);
	int64_t cp = (n->dr.credits_posted - dr0->credits_posted) +
		     (n->cr.credits_posted - cr0->credits_posted);

	return dd == cd && dp == cp;
}

#endif

/*
 * Apply one transfer to the overlay. *result gets its result; *clock is the
 * last timestamp given and advances when the transfer is applied. Returns 0,
 * or -1 on a storage error.
 */
static int apply_one(struct overlay *ov, struct ledger_transfer *t, int64_t now,
		     int64_t *clock, int *result)
{
	struct ledger_transfer e, p, s;
	struct ov_account *dr, *cr;
	struct sums n;
	int64_t ticks;
	int rc;

	memset(&p, 0, sizeof(p));
	*result = check_shape(t);
	if (*result != LEDGER_OK)
		return 0;

	rc = ov_transfer(ov, t->id, &e);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (compare_existing(ov, t, &e, result))
			return -1;
		if (*result == LEDGER_EXISTS)
			t->timestamp = e.timestamp;
		return 0;
	}

	if (is_post_or_void(t->flags)) {
		if (resolve_post_void(ov, t, now, &s, &p, result))
			return -1;
		if (*result != LEDGER_OK)
			return 0;
	} else {
		s = *t;
		if (t->debit == 0) {
			*result = LEDGER_DEBIT_NOT_FOUND;
			return 0;
		}
		if (t->credit == 0) {
			*result = LEDGER_CREDIT_NOT_FOUND;
			return 0;
		}
		if (t->debit == t->credit) {
			*result = LEDGER_ACCOUNTS_SAME;
			return 0;
		}
	}

	rc = ov_account(ov, s.debit, &dr);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*result = LEDGER_DEBIT_NOT_FOUND;
		return 0;
	}
	rc = ov_account(ov, s.credit, &cr);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		*result = LEDGER_CREDIT_NOT_FOUND;
		return 0;
	}
	if (!is_post_or_void(s.flags) && s.amount <= 0) {
		*result = LEDGER_AMOUNT_INVALID;
		return 0;
	}

	n.dr = dr->a;
	n.cr = cr->a;
	*result = apply_sums(&s, &p, &n);
	if (*result == LEDGER_OK)
		*result = check_limits(&n);
	if (*result != LEDGER_OK)
		return 0;

	if (__builtin_mul_overflow(now, (int64_t)LEDGER_TICKS_PER_SECOND,
				   &ticks))
		ticks = now < 0 ? INT64_MIN : INT64_MAX;
	if (*clock == INT64_MAX) {
		*result = LEDGER_OVERFLOW;
		return 0;
	}
	s.timestamp = ticks > *clock + 1 ? ticks : *clock + 1;

	assert(account_sane(&n.dr) && account_sane(&n.cr));
	assert(moves_balance(&dr->a, &cr->a, &n));

	*clock = s.timestamp;
	t->timestamp = s.timestamp;
	dr->a = n.dr;
	dr->dirty = true;
	cr->a = n.cr;
	cr->dirty = true;
	ov_add_transfer(ov, &s);
	return 0;
}

/* ---- the in-memory ledger, declared early for the debug check ------------- */

static int mem_account_get(void *ctx, uint64_t id, struct ledger_account *out);
#ifndef NDEBUG
static bool mem_balanced(const struct ledger_mem *m);
#endif

/* In debug builds, after every chain applied to the in-memory ledger, the
 * whole ledger's debits must equal its credits (kept as running totals, so
 * checking costs nothing). */
static void assert_ledger_balanced(const struct ledger_io *io)
{
#ifndef NDEBUG
	if (io->account_get == mem_account_get)
		assert(mem_balanced(io->ctx));
#else
	(void)io;
#endif
}

/* ---- batches -------------------------------------------------------------- */

static void fail_all(int *results, size_t n)
{
	for (size_t i = 0; i < n; i++)
		results[i] = LEDGER_IO_ERROR;
}

int ledger_create_transfers(const struct ledger_io *io,
			    struct ledger_transfer *ts, size_t n, int64_t now,
			    int *results)
{
	struct overlay ov;
	size_t max_chain = 1, len = 0;
	int64_t clock;
	int result = -1;

	memset(&ov, 0, sizeof(ov));
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		len++;
		if (!(ts[i].flags & LEDGER_LINKED) || i + 1 == n) {
			max_chain = len > max_chain ? len : max_chain;
			len = 0;
		}
	}
	if (max_chain > UINT32_MAX / 8 || overlay_init(&ov, io, max_chain)) {
		overlay_release(&ov);
		fail_all(results, n);
		return -1;
	}
	if (io->last_timestamp(io->ctx, &clock))
		goto err;

	for (size_t i = 0; i < n;) {
		size_t end = i, failed = n;
		int64_t clock0 = clock;

		while (end < n && (ts[end].flags & LEDGER_LINKED))
			end++;
		if (end == n) {
			/* The batch ends inside a chain: none of it runs. */
			for (size_t k = i; k < n; k++) {
				results[k] = LEDGER_LINKED_CHAIN_OPEN;
				ts[k].timestamp = 0;
			}
			break;
		}
		overlay_clear(&ov);
		for (size_t k = i; k <= end; k++) {
			ts[k].timestamp = 0;
			if (apply_one(&ov, &ts[k], now, &clock, &results[k]))
				goto err;
			/* A retry inside a chain is harmless, not a failure. */
			if (results[k] != LEDGER_OK &&
			    results[k] != LEDGER_EXISTS) {
				failed = k;
				break;
			}
		}
		if (failed < n) {
			for (size_t k = i; k <= end; k++) {
				if (k != failed)
					results[k] = LEDGER_LINKED_EVENT_FAILED;
				ts[k].timestamp = 0;
			}
			clock = clock0;
		} else {
			if (overlay_commit(&ov))
				goto err;
			assert_ledger_balanced(io);
		}
		i = end + 1;
	}
	result = 0;
	goto out;
err:
	fail_all(results, n);
out:
	overlay_release(&ov);
	return result;
}

int ledger_create_accounts(const struct ledger_io *io,
			   const struct ledger_account *as, size_t n,
			   int *results)
{
	for (size_t i = 0; i < n; i++) {
		const struct ledger_account *a = &as[i];
		struct ledger_account e;
		int rc;

		if (a->id == 0 || !text_ok(a->code) || a->code[0] == '\0') {
			results[i] = LEDGER_ID_INVALID;
			continue;
		}
		if ((a->flags & ~(uint32_t)ACCOUNT_ALL_FLAGS) ||
		    a->flags == ACCOUNT_ALL_FLAGS) {
			results[i] = LEDGER_FLAGS_INVALID;
			continue;
		}
		if (a->debits_pending || a->debits_posted ||
		    a->credits_pending || a->credits_posted) {
			results[i] = LEDGER_AMOUNT_INVALID;
			continue;
		}
		rc = io->account_get(io->ctx, a->id, &e);
		if (rc < 0)
			goto err;
		if (rc == 0) {
			results[i] =
				text_eq(e.code, a->code) && e.flags == a->flags
					? LEDGER_ACCOUNT_EXISTS
					: LEDGER_ACCOUNT_EXISTS_DIFFERENT;
			continue;
		}
		if (io->account_put(io->ctx, a))
			goto err;
		results[i] = LEDGER_OK;
	}
	return 0;
err:
	fail_all(results, n);
	return -1;
}

/* ---- the in-memory ledger ------------------------------------------------- */

/* A stored transfer and, for a pending one, what it has become. */
struct mem_transfer {
	struct ledger_transfer t;
	enum ledger_pending_state state;
};

/*
 * An in-memory ledger: accounts in creation order and transfers in
 * timestamp order, each with a hash index. The running totals of the four
 * sums over all accounts make the debits-equal-credits check O(1).
 */
struct ledger_mem {
	struct ledger_io io;
	struct ledger_account *accounts;
	size_t naccounts, cap_accounts;
	struct ix account_ix;
	struct mem_transfer *transfers;
	size_t ntransfers, cap_transfers;
	struct ix transfer_ix;
	int64_t last_timestamp;
	money_t debits_pending, debits_posted;
	money_t credits_pending, credits_posted;
};

#ifndef NDEBUG
static bool mem_balanced(const struct ledger_mem *m)
{
	return m->debits_pending == m->credits_pending &&
	       m->debits_posted == m->credits_posted;
}

#endif

/* The slot of account id: in use if found, else where it would go. */
static size_t mem_account_slot(const struct ledger_mem *m, uint64_t id)
{
	size_t s = ix_first(&m->account_ix, hash_u64(id));

	while (ix_used(&m->account_ix, s) &&
	       m->accounts[m->account_ix.pos[s]].id != id)
		s = ix_next(&m->account_ix, s);
	return s;
}

static size_t mem_transfer_slot(const struct ledger_mem *m, const char *id)
{
	size_t s = ix_first(&m->transfer_ix, hash_text(id));

	while (ix_used(&m->transfer_ix, s) &&
	       !text_eq(m->transfers[m->transfer_ix.pos[s]].t.id, id))
		s = ix_next(&m->transfer_ix, s);
	return s;
}

static int mem_account_get(void *ctx, uint64_t id, struct ledger_account *out)
{
	struct ledger_mem *m = ctx;
	size_t s = mem_account_slot(m, id);

	if (!ix_used(&m->account_ix, s))
		return 1;
	*out = m->accounts[m->account_ix.pos[s]];
	return 0;
}

/* Grow array *p of *cap elements of size sz so that it holds at least
 * n + 1. Returns 0, or -1 when out of memory. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (n < *cap)
		return 0;
	while (c <= n) {
		if (c > SIZE_MAX / 2 / sz || c >= UINT32_MAX / 4)
			return -1;
		c *= 2;
	}
	q = realloc(*p, c * sz);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Keep index x at most half full for n + 1 entries, re-inserting every entry
 * with hash_of(m, i) when it grows. */
static int mem_reindex(struct ledger_mem *m, struct ix *x, size_t n,
		       uint64_t (*hash_of)(const struct ledger_mem *m,
					   size_t i))
{
	struct ix y;

	if (2 * (n + 1) <= x->mask + 1)
		return 0;
	if (ix_init(&y, 2 * (x->mask + 1)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t s = ix_first(&y, hash_of(m, i));

		while (ix_used(&y, s))
			s = ix_next(&y, s);
		ix_set(&y, s, (uint32_t)i);
	}
	ix_release(x);
	*x = y;
	return 0;
}

static uint64_t mem_account_hash(const struct ledger_mem *m, size_t i)
{
	return hash_u64(m->accounts[i].id);
}

static uint64_t mem_transfer_hash(const struct ledger_mem *m, size_t i)
{
	return hash_text(m->transfers[i].t.id);
}

/* Add the four sums of a (sign +1) or take them away (-1) from the totals. */
static int mem_total(struct ledger_mem *m, const struct ledger_account *a,
		     int sign)
{
	int bad = 0;

	if (sign > 0) {
		bad |= money_add(m->debits_pending, a->debits_pending,
				 &m->debits_pending);
		bad |= money_add(m->debits_posted, a->debits_posted,
				 &m->debits_posted);
		bad |= money_add(m->credits_pending, a->credits_pending,
				 &m->credits_pending);
		bad |= money_add(m->credits_posted, a->credits_posted,
				 &m->credits_posted);
	} else {
		bad |= money_sub(m->debits_pending, a->debits_pending,
				 &m->debits_pending);
		bad |= money_sub(m->debits_posted, a->debits_posted,
				 &m->debits_posted);
		bad |= money_sub(m->credits_pending, a->credits_pending,
				 &m->credits_pending);
		bad |= money_sub(m->credits_posted, a->credits_posted,
				 &m->credits_posted);
	}
	return bad ? -1 : 0;
}

static int mem_account_put(void *ctx, const struct ledger_account *a)
{
	struct ledger_mem *m = ctx;
	size_t s = mem_account_slot(m, a->id);
	struct ledger_account *e;

	if (ix_used(&m->account_ix, s)) {
		e = &m->accounts[m->account_ix.pos[s]];
		if (mem_total(m, e, -1) || mem_total(m, a, +1))
			return -1;
		e->debits_pending = a->debits_pending;
		e->debits_posted = a->debits_posted;
		e->credits_pending = a->credits_pending;
		e->credits_posted = a->credits_posted;
		return 0;
	}
	if (grow((void **)&m->accounts, &m->cap_accounts, m->naccounts,
		 sizeof(*m->accounts)) ||
	    mem_reindex(m, &m->account_ix, m->naccounts, mem_account_hash))
		return -1;
	if (mem_total(m, a, +1))
		return -1;
	s = mem_account_slot(m, a->id);
	m->accounts[m->naccounts] = *a;
	ix_set(&m->account_ix, s, (uint32_t)m->naccounts++);
	return 0;
}

static int mem_transfer_get(void *ctx, const char *id,
			    struct ledger_transfer *out)
{
	struct ledger_mem *m = ctx;
	size_t s = mem_transfer_slot(m, id);

	if (!ix_used(&m->transfer_ix, s))
		return 1;
	*out = m->transfers[m->transfer_ix.pos[s]].t;
	return 0;
}

static int mem_transfer_put(void *ctx, const struct ledger_transfer *t)
{
	struct ledger_mem *m = ctx;
	size_t s;

	if (!text_ok(t->id) || !text_ok(t->pending_id))
		return -1;
	if (ix_used(&m->transfer_ix, mem_transfer_slot(m, t->id)))
		return -1; /* never called twice for one id */
	if (grow((void **)&m->transfers, &m->cap_transfers, m->ntransfers,
		 sizeof(*m->transfers)) ||
	    mem_reindex(m, &m->transfer_ix, m->ntransfers, mem_transfer_hash))
		return -1;
	if (is_post_or_void(t->flags)) {
		size_t ps = mem_transfer_slot(m, t->pending_id);

		if (ix_used(&m->transfer_ix, ps))
			m->transfers[m->transfer_ix.pos[ps]].state =
				(t->flags & LEDGER_POST_PENDING)
					? LEDGER_PENDING_POSTED
					: LEDGER_PENDING_VOIDED;
	}
	s = mem_transfer_slot(m, t->id);
	m->transfers[m->ntransfers].t = *t;
	m->transfers[m->ntransfers].state = LEDGER_PENDING_OPEN;
	ix_set(&m->transfer_ix, s, (uint32_t)m->ntransfers++);
	if (t->timestamp > m->last_timestamp)
		m->last_timestamp = t->timestamp;
	return 0;
}

static int mem_pending_state(void *ctx, const char *id,
			     enum ledger_pending_state *out)
{
	struct ledger_mem *m = ctx;
	size_t s = mem_transfer_slot(m, id);
	const struct mem_transfer *mt;

	if (!ix_used(&m->transfer_ix, s))
		return 1;
	mt = &m->transfers[m->transfer_ix.pos[s]];
	if (!(mt->t.flags & LEDGER_PENDING))
		return 1;
	*out = mt->state;
	return 0;
}

static int mem_last_timestamp(void *ctx, int64_t *out)
{
	const struct ledger_mem *m = ctx;

	*out = m->last_timestamp;
	return 0;
}

struct ledger_mem *ledger_mem_new(void)
{
	struct ledger_mem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (ix_init(&m->account_ix, 64) || ix_init(&m->transfer_ix, 1024))
		goto err;
	m->io.ctx = m;
	m->io.account_get = mem_account_get;
	m->io.account_put = mem_account_put;
	m->io.transfer_get = mem_transfer_get;
	m->io.transfer_put = mem_transfer_put;
	m->io.pending_state = mem_pending_state;
	m->io.last_timestamp = mem_last_timestamp;
	return m;
err:
	ledger_mem_free(m);
	return NULL;
}

void ledger_mem_free(struct ledger_mem *m)
{
	if (!m)
		return;
	free(m->accounts);
	free(m->transfers);
	ix_release(&m->account_ix);
	ix_release(&m->transfer_ix);
	free(m);
}

const struct ledger_io *ledger_mem_io(struct ledger_mem *m)
{
	return &m->io;
}

void ledger_mem_each_account(struct ledger_mem *m,
			     int (*fn)(void *arg,
				       const struct ledger_account *a),
			     void *arg)
{
	for (size_t i = 0; i < m->naccounts; i++)
		if (fn(arg, &m->accounts[i]))
			return;
}

void ledger_mem_each_transfer(struct ledger_mem *m,
			      int (*fn)(void *arg,
					const struct ledger_transfer *t),
			      void *arg)
{
	for (size_t i = 0; i < m->ntransfers; i++)
		if (fn(arg, &m->transfers[i].t))
			return;
}
