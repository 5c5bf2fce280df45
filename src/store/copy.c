/*
 * copy.c - copy a whole store into an empty one (copy.h).
 */
#include "store/copy.h"

#include <stdio.h>
#include <string.h>

/* The state of one copy: visitors stop at the first error, kept here. */
struct copy {
	struct store *from, *to;
	const struct ledger_io *io;
	struct store_copy_stats *st;
	struct qerr *e;
	int rc;
	bool second_pass; /* policies: making the current versions current */
};

static int any(void *arg)
{
	*(bool *)arg = true;
	return 1;
}

static int any_program(void *arg, const char *program, const char *hash)
{
	return any(arg);
}

static int any_app(void *arg, const struct store_app *a)
{
	return any(arg);
}

static int any_account(void *arg, const struct ledger_account *a)
{
	return any(arg);
}

static int any_event(void *arg, const struct store_event *ev)
{
	return any(arg);
}

static int any_user(void *arg, const struct store_user *u,
		    const char *token_hash)
{
	return any(arg);
}

static int any_number(void *arg, const char *program, int year, int64_t last)
{
	return any(arg);
}

int store_copy_check_empty(struct store *to, struct qerr *e)
{
	bool seen = false;
	int rc;

	rc = store_programs_each(to, any_program, &seen, e);
	if (!rc && !seen)
		rc = store_app_each(to, NULL, -1, any_app, &seen, e);
	if (!rc && !seen)
		rc = store_account_each(to, any_account, &seen, e);
	if (!rc && !seen)
		rc = store_event_each(to, any_event, &seen, e);
	if (!rc && !seen)
		rc = store_user_each(to, any_user, &seen, e);
	if (!rc && !seen)
		rc = store_app_numbers_each(to, any_number, &seen, e);
	if (!rc && seen)
		rc = qerr_set(e, Q_ERR_CONFLICT, "to",
			      "the target database is not empty: a copy goes "
			      "only into an empty one");
	return rc;
}

static int copy_policy(void *arg, const struct store_policy *p)
{
	struct copy *c = arg;
	bool is_new;

	if (c->second_pass && !p->current)
		return 0;
	c->rc = store_policy_add(c->to, p->program, p->hash, p->path, p->text,
				 p->len, p->added_at, &is_new, c->e);
	if (!c->second_pass && !c->rc)
		c->st->policies++;
	return c->rc != 0;
}

static int copy_account(void *arg, const struct ledger_account *a)
{
	struct copy *c = arg;

	if (c->io->account_put(c->io->ctx, a)) {
		c->rc = store_ledger_error(c->to, c->e);
		return 1;
	}
	c->st->accounts++;
	return 0;
}

static int copy_transfer(void *arg, const struct ledger_transfer *t)
{
	struct copy *c = arg;

	if (c->io->transfer_put(c->io->ctx, t)) {
		c->rc = store_ledger_error(c->to, c->e);
		return 1;
	}
	c->st->transfers++;
	return 0;
}

static int copy_app(void *arg, const struct store_app *a)
{
	struct copy *c = arg;
	struct store_app b = *a;

	c->rc = store_app_insert(c->to, &b, c->e);
	if (!c->rc && b.seq != a->seq)
		c->rc = qerr_set(c->e, Q_ERR_IO, "",
				 "application '%s' would arrive %lld-th, not "
				 "%lld-th",
				 a->id, (long long)b.seq, (long long)a->seq);
	if (!c->rc)
		c->st->applications++;
	return c->rc != 0;
}

/* The numbering goes on where the source stopped. */
static int copy_number(void *arg, const char *program, int year, int64_t last)
{
	struct copy *c = arg;

	c->rc = store_app_number_set(c->to, program, year, last, c->e);
	if (!c->rc)
		c->st->numbers++;
	return c->rc != 0;
}

static int copy_user(void *arg, const struct store_user *u,
		     const char *token_hash)
{
	struct copy *c = arg;

	c->rc = store_user_add(c->to, u, token_hash, c->e);
	if (!c->rc)
		c->st->users++;
	return c->rc != 0;
}

static int copy_event(void *arg, const struct store_event *ev)
{
	struct copy *c = arg;
	struct store_event n = *ev;

	memset(n.prev_hash, 0, sizeof(n.prev_hash));
	memset(n.hash, 0, sizeof(n.hash));
	c->rc = store_event_append(c->to, &n, c->e);
	if (!c->rc && (n.seq != ev->seq || strcmp(n.hash, ev->hash) ||
		       strcmp(n.prev_hash, ev->prev_hash)))
		c->rc = qerr_set(c->e, Q_ERR_IO, "",
				 "event %lld does not copy to the same chain "
				 "(the source's chain is broken there: run "
				 "audit verify on it)",
				 (long long)ev->seq);
	if (!c->rc)
		c->st->events++;
	return c->rc != 0;
}

static int copy_contract(void *arg, const struct store_contract *ct)
{
	struct copy *c = arg;

	c->rc = store_contract_add(c->to, ct, c->e);
	if (!c->rc)
		c->st->contracts++;
	return c->rc != 0;
}

static int copy_controller(void *arg, const struct store_controller *ct)
{
	struct copy *c = arg;

	c->rc = store_controller_add(c->to, ct, c->e);
	if (!c->rc)
		c->st->registry++;
	return c->rc != 0;
}

static int copy_listing(void *arg, const struct store_listing *l)
{
	struct copy *c = arg;

	c->rc = store_listing_add(c->to, l, c->e);
	if (!c->rc)
		c->st->listings++;
	return c->rc != 0;
}

static int copy_notice(void *arg, const struct store_notice *n)
{
	struct copy *c = arg;

	c->rc = store_notice_add(c->to, n, c->e);
	if (!c->rc)
		c->st->notices++;
	return c->rc != 0;
}

static int copy_notice_award(void *arg, const char *app_id,
			     const char *notice_id, money_t amount)
{
	struct copy *c = arg;

	c->rc = store_notice_award_add(c->to, app_id, notice_id, amount, c->e);
	return c->rc != 0;
}

/* An objection is recorded open, then decided as it was. */
static int copy_objection(void *arg, const struct store_objection *o)
{
	struct copy *c = arg;

	c->rc = store_objection_add(c->to, o, c->e);
	if (!c->rc && strcmp(o->outcome, "open"))
		c->rc = store_objection_decide(c->to, o->app_id, o->seq,
					       o->outcome, o->decided_by,
					       o->decided_at, c->e);
	if (!c->rc)
		c->st->objections++;
	return c->rc != 0;
}

/* An idempotency key, with the answer it gave: a retry sent to the copy
 * is answered as the original would have answered it. */
static int copy_key(void *arg, const struct store_key *k)
{
	struct copy *c = arg;

	c->rc = store_key_put(c->to, k, c->e);
	if (!c->rc)
		c->st->keys++;
	return c->rc != 0;
}

/* A stored file, kept again under the same hash. */
static int copy_doc(void *arg, const char *sha256, const char *type,
		    const uint8_t *data, size_t len, int64_t stored_at)
{
	struct copy *c = arg;

	c->rc = store_doc_put(c->to, sha256, type, data, len, stored_at, c->e);
	if (!c->rc)
		c->st->documents++;
	return c->rc != 0;
}

/* A document filed under an application, with its number there. */
static int copy_doc_link(void *arg, const struct store_doc_link *l)
{
	struct copy *c = arg;
	struct store_doc_link again = *l;

	c->rc = store_doc_link_add(c->to, &again, c->e);
	if (!c->rc && again.seq != l->seq)
		c->rc = qerr_set(c->e, Q_ERR_IO, "",
				 "copying the documents of '%s': number %lld "
				 "became %lld",
				 l->app_id, (long long)l->seq,
				 (long long)again.seq);
	return c->rc != 0;
}

/* A payment batch, and each of its payments with its state: planned,
 * then paid and settled as the source recorded them. */
static int copy_batch(void *arg, const struct store_batch *b)
{
	struct copy *c = arg;

	c->rc = store_batch_add(c->to, b, c->e);
	if (!c->rc)
		c->st->batches++;
	return c->rc != 0;
}

static int copy_pay_item(void *arg, const struct store_pay_item *it)
{
	struct copy *c = arg;

	c->rc = store_pay_item_add(c->to, it, c->e);
	if (!c->rc && strcmp(it->state, "planned"))
		c->rc = store_pay_item_paid(c->to, it->voucher, it->paid_by,
					    it->paid_at, it->bank_ref, c->e);
	if (!c->rc && !strcmp(it->state, "settled"))
		c->rc = store_pay_item_settle(c->to, it->voucher, it->bank_ref,
					      it->settled_on, it->settled_by,
					      it->settled_at, c->e);
	if (!c->rc)
		c->st->payments++;
	return c->rc != 0;
}

int store_copy(struct store *from, struct store *to,
	       struct store_copy_stats *st, struct qerr *e)
{
	struct copy c = {from, to, store_ledger_io(to), st, e, 0, false};
	int rc;

	memset(st, 0, sizeof(*st));
	rc = store_copy_check_empty(to, e);
	if (rc)
		return rc;
	rc = store_begin(to, e);
	if (rc)
		return rc;
	rc = store_policy_each_version(from, copy_policy, &c, e);
	if (!rc && !c.rc) {
		c.second_pass = true;
		rc = store_policy_each_version(from, copy_policy, &c, e);
	}
	if (!rc && !c.rc)
		rc = store_account_each(from, copy_account, &c, e);
	if (!rc && !c.rc)
		rc = store_transfer_each(from, NULL, copy_transfer, &c, e);
	if (!rc && !c.rc)
		rc = store_app_each(from, NULL, -1, copy_app, &c, e);
	if (!rc && !c.rc)
		rc = store_app_numbers_each(from, copy_number, &c, e);
	if (!rc && !c.rc)
		rc = store_user_each(from, copy_user, &c, e);
	if (!rc && !c.rc)
		rc = store_event_each(from, copy_event, &c, e);
	if (!rc && !c.rc)
		rc = store_screens_each(from, copy_contract, copy_controller,
					copy_listing, &c, e);
	if (!rc && !c.rc)
		rc = store_notices_each(from, copy_notice, copy_notice_award,
					copy_objection, &c, e);
	if (!rc && !c.rc)
		rc = store_keys_each(from, copy_key, &c, e);
	if (!rc && !c.rc)
		rc = store_docs_each(from, copy_doc, &c, e);
	if (!rc && !c.rc)
		rc = store_doc_links_each(from, NULL, copy_doc_link, &c, e);
	if (!rc && !c.rc)
		rc = store_batches_each(from, copy_batch, &c, e);
	if (!rc && !c.rc)
		rc = store_pay_items_each(from, NULL, copy_pay_item, &c, e);
	if (!rc)
		rc = c.rc;
	if (!rc)
		rc = store_commit(to, e);
	if (rc)
		store_rollback(to);
	return rc;
}
