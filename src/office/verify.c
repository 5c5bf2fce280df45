/*
 * verify.c - the checks that hold the tables to what wrote them:
 *
 *   - the ledger's stored balances against the transfers, recomputed
 *     (office_ledger_recompute, run by ledger check);
 *   - the audit chain (store/audit.c) and then the tables against the
 *     chain (office_audit_verify): every transfer is claimed by the event
 *     that caused it, with the same accounts and amount; every
 *     application's row equals the figures of its last event; every user
 *     equals what its events say; every document filed under an
 *     application is the one its "attach" event names, by hash.
 *
 * Each is one pass over the events and one over each table, with maps in
 * memory of what the first pass found (bounded by CHECK_ROWS_MAX).
 *
 * What a chain written before these checks holds: its events carry no
 * "transfers" and no "app". A chain is taken as such when one of its
 * "fund" events (every funding moves money) claims no transfer. There, the
 * transfers before the first claimed one and the applications none of
 * whose events carries its figures are not held to the chain; everything
 * written since is.
 */
#include "office/office_int.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/strmap.h"
#include "store/audit.h"

/* The most rows of one kind (transfers, accounts, applications, users) a
 * check keeps in memory. */
#define CHECK_ROWS_MAX ((size_t)1 << 26)

/* --- balances recomputed from the transfers ----------------------------------- */

/* An account's four sums as the transfers make them. */
struct sums {
	__int128 dq, dp, cq, cp;
	bool seen; /* the accounts table holds it */
	uint64_t id;
};

/* A pending transfer and whether it is still open. */
struct pending {
	money_t amount;
	bool open;
};

struct recompute {
	struct strmap accounts; /* decimal id -> struct sums */
	struct strmap pendings; /* transfer id -> struct pending */
	FILE *out;
	long problems;
	bool nomem;
};

static struct sums *sums_of(struct recompute *r, uint64_t id)
{
	char key[24];
	bool is_new;
	struct sums *s;

	snprintf(key, sizeof(key), "%" PRIu64, id);
	s = strmap_add(&r->accounts, key, &is_new);
	if (!s)
		r->nomem = true;
	else
		s->id = id;
	return s;
}

/* Apply transfer t as the ledger did (ledger.c, apply): a pending one
 * adds to the pending sums, a post or void takes its pending transfer's
 * amount out of them and posts what it posted, any other posts. */
static int recompute_transfer(void *arg, const struct ledger_transfer *t)
{
	struct recompute *r = arg;
	struct sums *dr = sums_of(r, t->debit), *cr = sums_of(r, t->credit);

	if (!dr || !cr)
		return 1;
	if (t->flags & LEDGER_PENDING) {
		bool is_new;
		struct pending *p = strmap_add(&r->pendings, t->id, &is_new);

		if (!p) {
			r->nomem = true;
			return 1;
		}
		p->amount = t->amount;
		p->open = true;
		dr->dq += t->amount;
		cr->cq += t->amount;
		return 0;
	}
	if (t->flags & (LEDGER_POST_PENDING | LEDGER_VOID_PENDING)) {
		struct pending *p = strmap_get(&r->pendings, t->pending_id);

		if (!p || !p->open) {
			fprintf(r->out,
				"transfer '%s' posts or voids '%s', which is not an open pending transfer\n",
				t->id, t->pending_id);
			r->problems++;
			return 0;
		}
		p->open = false;
		dr->dq -= p->amount;
		cr->cq -= p->amount;
	}
	dr->dp += t->amount;
	cr->cp += t->amount;
	return 0;
}

/* Name the first of the four sums of a that differs from s. */
static void report_sums(struct recompute *r, const struct ledger_account *a,
			const struct sums *s)
{
	static const char *const names[] = {"debits pending", "debits posted",
					    "credits pending",
					    "credits posted"};
	const money_t stored[] = {a->debits_pending, a->debits_posted,
				  a->credits_pending, a->credits_posted};
	const __int128 made[] = {s ? s->dq : 0, s ? s->dp : 0, s ? s->cq : 0,
				 s ? s->cp : 0};
	char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

	for (int i = 0; i < 4; i++)
		if (stored[i] != made[i]) {
			fprintf(r->out,
				"account '%s': %s stored as %s, the transfers make %s\n",
				a->code, names[i], money_format(stored[i], x),
				made[i] > INT64_MAX || made[i] < INT64_MIN
					? "more than a money sum holds"
					: money_format((money_t)made[i], y));
			r->problems++;
			return;
		}
}

static int recompute_account(void *arg, const struct ledger_account *a)
{
	struct recompute *r = arg;
	char key[24];
	struct sums *s;

	snprintf(key, sizeof(key), "%" PRIu64, a->id);
	s = strmap_get(&r->accounts, key);
	if (s)
		s->seen = true;
	report_sums(r, a, s);
	return 0;
}

static int recompute_missing(void *arg, const char *key, void *val)
{
	struct recompute *r = arg;
	struct sums *s = val;

	if (!s->seen) {
		fprintf(r->out,
			"transfers move account %s, which is not in the ledger\n",
			key);
		r->problems++;
	}
	return 0;
}

long office_ledger_recompute(struct office *o, FILE *out, struct qerr *e)
{
	struct recompute r;
	int rc;

	assert(o && out);
	memset(&r, 0, sizeof(r));
	r.out = out;
	strmap_init(&r.accounts, sizeof(struct sums), CHECK_ROWS_MAX);
	strmap_init(&r.pendings, sizeof(struct pending), CHECK_ROWS_MAX);
	rc = store_transfer_each(o->store, NULL, recompute_transfer, &r, e);
	if (!rc && !r.nomem)
		rc = store_account_each(o->store, recompute_account, &r, e);
	if (!rc && !r.nomem)
		strmap_each(&r.accounts, recompute_missing, &r);
	strmap_release(&r.accounts);
	strmap_release(&r.pendings);
	if (r.nomem)
		return qerr_set(e, Q_ERR_NOMEM, "",
				"out of memory recomputing the balances"),
		       -1;
	return rc ? -1 : r.problems;
}

/* --- the tables against the chain ----------------------------------------------- */

/* A transfer as an event claimed it. */
struct claim {
	int64_t seq; /* the event */
	uint64_t debit, credit;
	money_t amount;
	bool found; /* the transfers table holds it */
};

/* An application's figures as its last event carrying them says. */
struct app_figures {
	int64_t seq;
	int state;
	money_t requested, awarded, paid, recovered;
	char approver[64], approved_by[64];
	bool found;
};

/* A user as its events say: exists, role, firm, switched off. */
struct user_state {
	int64_t seq;
	bool exists, found;
	char role[16], uscc[20];
	bool disabled;
	char token[OFFICE_TOKEN_MARK];	  /* its token's mark, "" not said */
	char password[OFFICE_TOKEN_MARK]; /* its password's mark */
	bool password_known;		  /* an event said it */
};

/* An application's figures as its transfers make them (by their ref and
 * their kind, struct ledger_transfer.code, never by the shape of an id). */
struct app_money {
	__int128 awarded, paid, recovered;
};

struct verify {
	struct audit_walk w;
	struct strmap claims, apps, users;
	struct strmap money; /* application id -> struct app_money */
	struct strmap docs;  /* "<app id>#<seq>" -> struct doc_claim */
	bool legacy;	     /* a "fund" event claims no transfer */
	bool claimed;	     /* a claimed transfer was seen (transfers pass) */
	bool nomem;
	int64_t bad_seq; /* the event of the first discrepancy, or 0 */
	char why[256];	 /* "" while none */
};

/* Note the first discrepancy; returns 1 to stop the walk. */
static int discrepancy(struct verify *v, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int discrepancy(struct verify *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->why[0])
		return 1;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return 1;
}

static money_t money_of(json_t *j)
{
	const char *s = json_string_value(j);
	money_t m = -1;

	if (!s || money_parse(s, strlen(s), &m, "", NULL))
		return -1;
	return m;
}

static int note_claims(struct verify *v, const struct store_event *ev,
		       json_t *list)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
	{
		const char *id = json_string_value(json_array_get(c, 0));
		json_t *dr = json_array_get(c, 1), *cr = json_array_get(c, 2);
		struct claim *k;
		bool is_new;

		if (!id || !json_is_integer(dr) || !json_is_integer(cr))
			return discrepancy(
				v, ev->seq,
				"event %" PRId64
				" claims a transfer it does not name",
				ev->seq);
		k = strmap_add(&v->claims, id, &is_new);
		if (!k) {
			v->nomem = true;
			return 1;
		}
		if (!is_new)
			return discrepancy(
				v, ev->seq,
				"event %" PRId64
				" claims transfer '%.80s', which event %" PRId64
				" claimed",
				ev->seq, id, k->seq);
		k->seq = ev->seq;
		k->debit = (uint64_t)json_integer_value(dr);
		k->credit = (uint64_t)json_integer_value(cr);
		k->amount = money_of(json_array_get(c, 3));
	}
	return 0;
}

static int note_app(struct verify *v, const struct store_event *ev, json_t *row)
{
	struct app_figures *f;
	const char *st = json_string_value(json_object_get(row, "state"));
	const char *ap = json_string_value(json_object_get(row, "approver"));
	const char *by = json_string_value(json_object_get(row, "approved_by"));
	bool is_new;

	f = strmap_add(&v->apps, ev->subject, &is_new);
	if (!f) {
		v->nomem = true;
		return 1;
	}
	f->seq = ev->seq;
	f->state = -1;
	for (int i = 0; st && i < APP__STATE_COUNT; i++)
		if (!strcmp(app_state_name(i), st))
			f->state = i;
	f->requested = money_of(json_object_get(row, "requested"));
	f->awarded = money_of(json_object_get(row, "awarded"));
	f->paid = money_of(json_object_get(row, "paid"));
	f->recovered = money_of(json_object_get(row, "recovered"));
	snprintf(f->approver, sizeof(f->approver), "%s", ap ? ap : "");
	snprintf(f->approved_by, sizeof(f->approved_by), "%s", by ? by : "");
	return 0;
}

/* user-add, user-change and user-remove say what a user is. */
static int note_user(struct verify *v, const struct store_event *ev, json_t *d)
{
	const char *role = json_string_value(json_object_get(d, "role"));
	const char *uscc = json_string_value(json_object_get(d, "uscc"));
	struct user_state *u;
	bool is_new, removed = !strcmp(ev->action, "user-remove");

	if (!strcmp(ev->action, "user-token")) {
		const char *mark =
			json_string_value(json_object_get(d, "token"));

		u = strmap_get(&v->users, ev->subject);
		if (u)
			snprintf(u->token, sizeof(u->token), "%s",
				 mark ? mark : "");
		return 0;
	}
	if (!strcmp(ev->action, "user-password")) {
		const char *mark =
			json_string_value(json_object_get(d, "password_mark"));

		u = strmap_get(&v->users, ev->subject);
		if (u) {
			u->password_known = mark != NULL;
			snprintf(u->password, sizeof(u->password), "%s",
				 mark ? mark : "");
		}
		return 0;
	}
	if (!removed && (!role || !uscc))
		return 0; /* says nothing of its role: not one of ours */
	u = strmap_add(&v->users, ev->subject, &is_new);
	if (!u) {
		v->nomem = true;
		return 1;
	}
	u->seq = ev->seq;
	u->exists = !removed;
	if (removed)
		return 0;
	snprintf(u->role, sizeof(u->role), "%s", role);
	snprintf(u->uscc, sizeof(u->uscc), "%s", uscc);
	if (!strcmp(ev->action, "user-add")) {
		const char *mark =
			json_string_value(json_object_get(d, "token"));

		const char *pw =
			json_string_value(json_object_get(d, "password_mark"));

		u->disabled = false;
		snprintf(u->token, sizeof(u->token), "%s", mark ? mark : "");
		u->password_known = pw != NULL;
		snprintf(u->password, sizeof(u->password), "%s", pw ? pw : "");
	} else if (json_is_boolean(json_object_get(d, "disabled")))
		u->disabled = json_is_true(json_object_get(d, "disabled"));
	return 0;
}

static bool is_user_event(const char *action)
{
	return !strcmp(action, "user-add") || !strcmp(action, "user-change") ||
	       !strcmp(action, "user-remove") ||
	       !strcmp(action, "user-token") ||
	       !strcmp(action, "user-password");
}

/* A document's filing as its "attach" event recorded it. */
struct doc_claim {
	char sha256[65];
	int64_t seq; /* the event's */
	bool found;  /* its row was seen (documents pass) */
};

static void doc_key(char *key, size_t n, const char *app_id, int64_t seq)
{
	snprintf(key, n, "%s#%" PRId64, app_id, seq);
}

static int note_doc(struct verify *v, const struct store_event *ev, json_t *j)
{
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	json_t *seq = json_object_get(j, "seq");
	struct doc_claim *c;
	char key[96];
	bool is_new;

	if (!sha || strlen(sha) != 64 || !json_is_integer(seq))
		return discrepancy(v, ev->seq,
				   "event %" PRId64
				   ": an attach event without its document's "
				   "sha256 and number",
				   ev->seq);
	doc_key(key, sizeof(key), ev->subject, json_integer_value(seq));
	c = strmap_add(&v->docs, key, &is_new);
	if (!c) {
		v->nomem = true;
		return 1;
	}
	if (!is_new)
		return discrepancy(v, ev->seq,
				   "event %" PRId64
				   " files document %s a second time",
				   ev->seq, key);
	memcpy(c->sha256, sha, 65);
	c->seq = ev->seq;
	return 0;
}

static int verify_doc(void *arg, const struct store_doc_link *l)
{
	struct verify *v = arg;
	struct doc_claim *c;
	char key[96];

	doc_key(key, sizeof(key), l->app_id, l->seq);
	c = strmap_get(&v->docs, key);
	if (!c)
		return discrepancy(v, 0,
				   "document %s (%.64s) was filed by no "
				   "attach event",
				   key, l->sha256);
	if (strcmp(c->sha256, l->sha256))
		return discrepancy(v, c->seq,
				   "event %" PRId64
				   " filed document %s as %.64s; the table "
				   "holds %.64s",
				   c->seq, key, c->sha256, l->sha256);
	c->found = true;
	return 0;
}

static int doc_missing(void *arg, const char *key, void *val)
{
	struct verify *v = arg;
	struct doc_claim *c = val;

	if (c->found)
		return 0;
	return discrepancy(v, c->seq,
			   "event %" PRId64
			   " filed document %.80s, which is not in the table",
			   c->seq, key);
}

/* A stored file's bytes hash to the name it is kept under. */
static int verify_doc_bytes(void *arg, const char *sha256, const char *type,
			    const uint8_t *data, size_t len, int64_t stored_at)
{
	static const char digits[] = "0123456789abcdef";
	struct verify *v = arg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char hex[65];

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return discrepancy(v, 0, "hashing document %.64s failed",
				   sha256);
	for (unsigned i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	if (strcmp(hex, sha256))
		return discrepancy(v, 0,
				   "document %.64s: its stored bytes hash to "
				   "%s",
				   sha256, hex);
	return 0;
}

static int verify_event(void *arg, const struct store_event *ev)
{
	struct verify *v = arg;
	bool fund = !strcmp(ev->action, "fund");
	const char *d = ev->detail ? ev->detail : "";
	json_error_t jerr;
	json_t *j, *x;
	int rc = 0;

	if (audit_walk_step(&v->w, ev))
		return 1;
	/* Only the events that say something of a table are read. */
	if (!fund && !is_user_event(ev->action) &&
	    strcmp(ev->action, "attach") && !strstr(d, "\"transfers\"") &&
	    !strstr(d, "\"app\""))
		return 0;
	j = json_loads(d, 0, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return discrepancy(v, ev->seq,
				   "event %" PRId64
				   ": its detail is not readable",
				   ev->seq);
	}
	x = json_object_get(j, "transfers");
	if (fund && !json_is_array(x))
		v->legacy = true;
	if (json_is_array(x))
		rc = note_claims(v, ev, x);
	x = json_object_get(j, "app");
	if (!rc && json_is_object(x))
		rc = note_app(v, ev, x);
	if (!rc && is_user_event(ev->action))
		rc = note_user(v, ev, j);
	if (!rc && !strcmp(ev->action, "attach"))
		rc = note_doc(v, ev, j);
	json_decref(j);
	return rc;
}

/* Add transfer t to the figures of the application it concerns: an award
 * (a post, or a grant's tranche) adds to awarded, a settlement and a
 * reversal take from it, a payment adds to paid, a clawback to
 * recovered. */
static int add_money(struct verify *v, const struct ledger_transfer *t)
{
	struct app_money *m;
	bool is_new;

	if (!t->ref[0] ||
	    (t->code != XFER_AWARD && t->code != XFER_SETTLE &&
	     t->code != XFER_REVERSE && t->code != XFER_DISBURSE &&
	     t->code != XFER_CLAWBACK))
		return 0;
	m = strmap_add(&v->money, t->ref, &is_new);
	if (!m) {
		v->nomem = true;
		return 1;
	}
	if (t->code == XFER_AWARD)
		m->awarded += t->amount;
	else if (t->code == XFER_SETTLE || t->code == XFER_REVERSE)
		m->awarded -= t->amount;
	else if (t->code == XFER_DISBURSE)
		m->paid += t->amount;
	else
		m->recovered += t->amount;
	return 0;
}

static int verify_transfer(void *arg, const struct ledger_transfer *t)
{
	struct verify *v = arg;
	struct claim *k = strmap_get(&v->claims, t->id);
	char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

	if (add_money(v, t))
		return 1;
	if (!k) {
		/* A chain from before the claims: its older transfers. */
		if (v->legacy && !v->claimed)
			return 0;
		return discrepancy(
			v, 0, "transfer '%.80s' (%s) is claimed by no event",
			t->id, money_format(t->amount, x));
	}
	v->claimed = true;
	k->found = true;
	if (k->amount != t->amount)
		return discrepancy(v, k->seq,
				   "transfer '%.80s' moves %s, event %" PRId64
				   " says %s",
				   t->id, money_format(t->amount, x), k->seq,
				   money_format(k->amount, y));
	if (k->debit != t->debit || k->credit != t->credit)
		return discrepancy(
			v, k->seq,
			"transfer '%.80s' moves money between other accounts than event %" PRId64
			" says",
			t->id, k->seq);
	return 0;
}

static int claim_missing(void *arg, const char *key, void *val)
{
	struct verify *v = arg;
	struct claim *k = val;

	if (k->found)
		return 0;
	return discrepancy(
		v, k->seq,
		"event %" PRId64
		" claims transfer '%.80s', which is not in the ledger",
		k->seq, key);
}

/* The first figure of row a that differs from f, or NULL. */
static const char *app_differs(const struct store_app *a,
			       const struct app_figures *f, char *buf, size_t n)
{
	static const char *const names[] = {"requested", "awarded", "paid",
					    "recovered"};
	const money_t row[] = {a->requested, a->awarded, a->paid, a->recovered};
	const money_t ev[] = {f->requested, f->awarded, f->paid, f->recovered};
	char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

	if (a->state != f->state) {
		snprintf(buf, n, "state is %s, its events say %s",
			 app_state_name(a->state), app_state_name(f->state));
		return buf;
	}
	for (int i = 0; i < 4; i++)
		if (row[i] != ev[i]) {
			snprintf(buf, n, "%s is %s, its events say %s",
				 names[i], money_format(row[i], x),
				 money_format(ev[i], y));
			return buf;
		}
	if (strcmp(a->approver, f->approver) ||
	    strcmp(a->approved_by, f->approved_by)) {
		snprintf(buf, n,
			 "its approvers are not the ones its events say");
		return buf;
	}
	return NULL;
}

/* The first of awarded, paid and recovered of row a that differs from
 * what its transfers make, or NULL. */
static const char *money_differs(const struct store_app *a,
				 const struct app_money *m, char *buf, size_t n)
{
	static const char *const names[] = {"awarded", "paid", "recovered"};
	const money_t row[] = {a->awarded, a->paid, a->recovered};
	const __int128 made[] = {m ? m->awarded : 0, m ? m->paid : 0,
				 m ? m->recovered : 0};
	char x[MONEY_TEXT_MAX], y[MONEY_TEXT_MAX];

	for (int i = 0; i < 3; i++)
		if (row[i] != made[i]) {
			snprintf(buf, n, "%s is %s, its transfers make %s",
				 names[i], money_format(row[i], x),
				 made[i] > INT64_MAX || made[i] < INT64_MIN
					 ? "more than a sum holds"
					 : money_format((money_t)made[i], y));
			return buf;
		}
	return NULL;
}

static int verify_app(void *arg, const struct store_app *a)
{
	struct verify *v = arg;
	struct app_figures *f = strmap_get(&v->apps, a->id);
	char buf[160];
	const char *why;

	if (f) {
		f->found = true;
		why = app_differs(a, f, buf, sizeof(buf));
		if (why)
			return discrepancy(
				v, f->seq,
				"application '%.64s': %s (event %" PRId64 ")",
				a->id, why, f->seq);
	} else if (!v->legacy) {
		return discrepancy(
			v, 0, "application '%.64s' has no event that made it",
			a->id);
	}
	/* Every application, a chain's older ones too. */
	why = money_differs(a, strmap_get(&v->money, a->id), buf, sizeof(buf));
	if (why)
		return discrepancy(v, f ? f->seq : 0, "application '%.64s': %s",
				   a->id, why);
	return 0;
}

static int app_missing(void *arg, const char *key, void *val)
{
	struct verify *v = arg;
	struct app_figures *f = val;

	if (f->found)
		return 0;
	return discrepancy(v, f->seq,
			   "application '%.64s' of event %" PRId64
			   " is not in the store",
			   key, f->seq);
}

static int verify_user(void *arg, const struct store_user *u,
		       const char *token_hash)
{
	struct verify *v = arg;
	struct user_state *s = strmap_get(&v->users, u->name);
	char mark[OFFICE_TOKEN_MARK];

	if (!s || !s->exists)
		return discrepancy(v, s ? s->seq : 0,
				   "user '%.64s' (%s) was added by no event",
				   u->name, u->role);
	s->found = true;
	if (strcmp(u->role, s->role))
		return discrepancy(
			v, s->seq,
			"user '%.64s' is %s, its events say %s (event %" PRId64
			")",
			u->name, u->role, s->role, s->seq);
	if (strcmp(u->uscc, s->uscc) || u->disabled != s->disabled)
		return discrepancy(
			v, s->seq,
			"user '%.64s' differs from what its events say (event %" PRId64
			")",
			u->name, s->seq);
	/* A token swapped for one no event gave the user. */
	office_token_mark(token_hash, mark);
	if (s->token[0] && strcmp(s->token, mark))
		return discrepancy(
			v, s->seq,
			"user '%.64s' holds a token no event gave it", u->name);
	office_token_mark(u->password_hash, mark);
	if (s->password_known && strcmp(s->password, mark))
		return discrepancy(v, s->seq,
				   "user '%.64s' holds a password no event set",
				   u->name);
	return 0;
}

static int user_missing(void *arg, const char *key, void *val)
{
	struct verify *v = arg;
	struct user_state *s = val;

	if (s->found || !s->exists)
		return 0;
	return discrepancy(v, s->seq,
			   "user '%.64s' of event %" PRId64
			   " is not in the store",
			   key, s->seq);
}

/* The tables against what the chain's walk found. */
static int verify_tables(struct office *o, struct verify *v, struct qerr *e)
{
	int rc = store_transfer_each(o->store, NULL, verify_transfer, v, e);

	if (!rc && !v->why[0])
		strmap_each(&v->claims, claim_missing, v);
	if (!rc && !v->why[0])
		rc = store_app_each(o->store, NULL, -1, verify_app, v, e);
	if (!rc && !v->why[0])
		strmap_each(&v->apps, app_missing, v);
	if (!rc && !v->why[0])
		rc = store_user_each(o->store, verify_user, v, e);
	if (!rc && !v->why[0])
		strmap_each(&v->users, user_missing, v);
	if (!rc && !v->why[0])
		rc = store_doc_links_each(o->store, NULL, verify_doc, v, e);
	if (!rc && !v->why[0])
		strmap_each(&v->docs, doc_missing, v);
	if (!rc && !v->why[0])
		rc = store_docs_each(o->store, verify_doc_bytes, v, e);
	return rc;
}

int office_audit_verify(struct office *o, int64_t *count, int64_t *bad_seq,
			char *why, size_t why_len, struct qerr *e)
{
	struct verify v;
	int rc;

	assert(o && count && bad_seq);
	assert(why && why_len > 0);
	memset(&v, 0, sizeof(v));
	audit_walk_init(&v.w);
	strmap_init(&v.claims, sizeof(struct claim), CHECK_ROWS_MAX);
	strmap_init(&v.apps, sizeof(struct app_figures), CHECK_ROWS_MAX);
	strmap_init(&v.users, sizeof(struct user_state), CHECK_ROWS_MAX);
	strmap_init(&v.money, sizeof(struct app_money), CHECK_ROWS_MAX);
	strmap_init(&v.docs, sizeof(struct doc_claim), CHECK_ROWS_MAX);
	rc = store_event_each(o->store, verify_event, &v, e);
	if (!rc && !v.nomem && !v.w.bad_seq && !v.why[0])
		rc = verify_tables(o, &v, e);
	strmap_release(&v.claims);
	strmap_release(&v.apps);
	strmap_release(&v.users);
	strmap_release(&v.money);
	strmap_release(&v.docs);
	*count = v.w.count;
	if (v.nomem)
		return qerr_set(
			       e, Q_ERR_NOMEM, "",
			       "out of memory holding the tables to the chain"),
		       -1;
	if (rc && e->code)
		return -1;
	if (v.w.bad_seq) {
		*bad_seq = v.w.bad_seq;
		snprintf(why, why_len, "%s", v.w.why);
		return 1;
	}
	*bad_seq = v.bad_seq;
	snprintf(why, why_len, "%s", v.why);
	return v.why[0] ? 1 : 0;
}
