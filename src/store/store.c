/*
 * store.c - the store's public functions (store.h): choose a back end by
 * the URL at store_open(), then pass each call on to it (store_int.h).
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

static const char *const state_names[APP__STATE_COUNT] = {
	[APP_INELIGIBLE] = "ineligible", [APP_RESERVED] = "reserved",
	[APP_WAITLISTED] = "waitlisted", [APP_QUEUED] = "queued",
	[APP_AWARDED] = "awarded",	 [APP_REJECTED] = "rejected",
	[APP_WITHDRAWN] = "withdrawn",	 [APP_EXPIRED] = "expired",
};

const char *app_state_name(int st)
{
	if (st < 0 || st >= APP__STATE_COUNT)
		return "unknown";
	return state_names[st];
}

int app_state_parse(const char *name)
{
	for (int i = 0; i < APP__STATE_COUNT; i++)
		if (!strcmp(state_names[i], name))
			return i;
	return -1;
}

void store_utf8_trim(char *buf)
{
	size_t n = strlen(buf);
	size_t i = n;

	if (n == 0)
		return;
	/* Back to the lead byte of the last character. */
	while (i > 0 && ((unsigned char)buf[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0) {
		buf[0] = '\0';
		return;
	}
	{
		unsigned char lead = (unsigned char)buf[i - 1];
		size_t want = lead < 0x80    ? 1
			      : lead >= 0xf0 ? 4
			      : lead >= 0xe0 ? 3
			      : lead >= 0xc0 ? 2
					     : 1;

		if (n - (i - 1) < want)
			buf[i - 1] = '\0';
	}
}

void store_app_release(struct store_app *a)
{
	if (!a)
		return;
	free(a->json);
	free(a->decision);
	a->json = NULL;
	a->decision = NULL;
}

void store_event_release(struct store_event *ev)
{
	if (!ev)
		return;
	free(ev->detail);
	ev->detail = NULL;
}

int store_open(const char *url, struct store **out, struct qerr *e)
{
	*out = NULL;
	if (!strncmp(url, "postgres://", 11) ||
	    !strncmp(url, "postgresql://", 13))
		return store_pg_open(url, out, e);
	if (!strncmp(url, "sqlite://", 9))
		url += 9;
	else if (!strncmp(url, "sqlite:", 7))
		url += 7;
	else if (!strncmp(url, "postgres:", 9) ||
		 !strncmp(url, "postgresql:", 11))
		return qerr_set(e, Q_ERR_INVALID, "db",
				"database '%.64s': a PostgreSQL URI starts "
				"with postgres://",
				url);
	if (!*url)
		return qerr_set(e, Q_ERR_INVALID, "db",
				"database '%.64s': no file name", url);
	return store_sqlite_open(url, out, e);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

const char *store_backend(struct store *s)
{
	return s->ops->name;
}

int store_begin(struct store *s, struct qerr *e)
{
	return s->ops->begin(s, e);
}

int store_commit(struct store *s, struct qerr *e)
{
	return s->ops->commit(s, e);
}

void store_rollback(struct store *s)
{
	if (s)
		s->ops->rollback(s);
}

int store_savepoint(struct store *s, struct qerr *e)
{
	return s->ops->savepoint(s, e);
}

int store_savepoint_release(struct store *s, struct qerr *e)
{
	return s->ops->savepoint_release(s, e);
}

void store_savepoint_rollback(struct store *s)
{
	s->ops->savepoint_rollback(s);
}

const struct ledger_io *store_ledger_io(struct store *s)
{
	return s->ops->ledger_io(s);
}

int store_ledger_error(struct store *s, struct qerr *e)
{
	return s->ops->ledger_error(s, e);
}

int store_policy_add(struct store *s, const char *program, const char *hash,
		     const char *path, const char *text, size_t len,
		     int64_t now, bool *is_new, struct qerr *e)
{
	return s->ops->policy_add(s, program, hash, path, text, len, now,
				  is_new, e);
}

int store_policy_current(struct store *s, const char *program, char *hash,
			 char **text, size_t *len, struct qerr *e)
{
	return s->ops->policy_current(s, program, hash, text, len, e);
}

int store_policy_text(struct store *s, const char *hash, char **text,
		      size_t *len, struct qerr *e)
{
	return s->ops->policy_text(s, hash, text, len, e);
}

int store_policy_path(struct store *s, const char *hash, char *path, size_t n,
		      struct qerr *e)
{
	return s->ops->policy_path(s, hash, path, n, e);
}

int store_programs_each(struct store *s,
			int (*fn)(void *arg, const char *program,
				  const char *hash),
			void *arg, struct qerr *e)
{
	return s->ops->programs_each(s, fn, arg, e);
}

int store_policy_each_version(struct store *s,
			      int (*fn)(void *arg,
					const struct store_policy *p),
			      void *arg, struct qerr *e)
{
	return s->ops->policy_each_version(s, fn, arg, e);
}

int store_app_insert(struct store *s, struct store_app *a, struct qerr *e)
{
	if (a->state < 0 || a->state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state",
				"application '%.64s': unknown state %d", a->id,
				a->state);
	return s->ops->app_insert(s, a, e);
}

int store_app_get(struct store *s, const char *id, struct store_app *out,
		  struct qerr *e)
{
	return s->ops->app_get(s, id, out, e);
}

int store_app_by_ref(struct store *s, const char *uscc, const char *client_ref,
		     struct store_app *out, struct qerr *e)
{
	if (!client_ref || !*client_ref || !uscc) {
		memset(out, 0, sizeof(*out));
		return Q_NONE;
	}
	return s->ops->app_by_ref(s, uscc, client_ref, out, e);
}

/* The program and year a number is drawn for: a program name as stored
 * (struct store_app.program) and a four-digit year. */
static int check_numbering(const char *program, int year, struct qerr *e)
{
	size_t n = program ? strnlen(program, STORE_PROGRAM_MAX) : 0;

	if (n == 0 || n >= STORE_PROGRAM_MAX)
		return qerr_set(e, Q_ERR_INVALID, "program",
				"numbering applications: program '%.64s' is "
				"empty or too long",
				program ? program : "");
	if (year < 1 || year > 9999)
		return qerr_set(e, Q_ERR_INVALID, "fiscal_year",
				"numbering applications: year %d is not "
				"1..9999",
				year);
	return Q_OK;
}

int store_app_number(struct store *s, const char *program, int year, int64_t *n,
		     struct qerr *e)
{
	int rc = check_numbering(program, year, e);

	*n = 0;
	return rc ? rc : s->ops->app_number(s, program, year, n, e);
}

int store_app_numbers_each(struct store *s,
			   int (*fn)(void *arg, const char *program, int year,
				     int64_t last),
			   void *arg, struct qerr *e)
{
	return s->ops->app_numbers_each(s, fn, arg, e);
}

int store_app_number_set(struct store *s, const char *program, int year,
			 int64_t last, struct qerr *e)
{
	int rc = check_numbering(program, year, e);

	if (!rc && last < 1)
		rc = qerr_set(e, Q_ERR_INVALID, "last",
			      "numbering applications: %lld is not a number "
			      "given",
			      (long long)last);
	return rc ? rc : s->ops->app_number_set(s, program, year, last, e);
}

int store_app_update(struct store *s, const struct store_app *a, struct qerr *e)
{
	if (a->state < 0 || a->state >= APP__STATE_COUNT)
		return qerr_set(e, Q_ERR_INVALID, "state",
				"application '%.64s': unknown state %d", a->id,
				a->state);
	return s->ops->app_update(s, a, e);
}

int store_app_each(struct store *s, const char *program, int st,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e)
{
	if (st >= APP__STATE_COUNT || st < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				st);
	return s->ops->app_each(s, program, st, fn, arg, e);
}

int store_applicant_year(struct store *s, const char *program,
			 const char *measure, const char *uscc, int year,
			 const char *except_id, money_t *awarded,
			 money_t *compute_contracts, struct qerr *e)
{
	return s->ops->applicant_year(s, program, measure, uscc, year,
				      except_id, awarded, compute_contracts, e);
}

int store_app_any(struct store *s, const char *program, const char *measure,
		  int fiscal_year, int state, bool *out, struct qerr *e)
{
	return s->ops->app_any(s, program, measure, fiscal_year, state, out, e);
}

int store_app_list(struct store *s, const struct store_app_filter *f,
		   int (*fn)(void *arg, const struct store_app *a), void *arg,
		   struct qerr *e)
{
	if (f->state >= APP__STATE_COUNT || f->state < -1)
		return qerr_set(e, Q_ERR_INVALID, "state", "unknown state %d",
				f->state);
	return s->ops->app_list(s, f, fn, arg, e);
}

int store_event_append(struct store *s, struct store_event *ev, struct qerr *e)
{
	return s->ops->event_append(s, ev, e);
}

int store_event_each(struct store *s,
		     int (*fn)(void *arg, const struct store_event *ev),
		     void *arg, struct qerr *e)
{
	return s->ops->event_each(s, fn, arg, e);
}

int store_event_each_subject(struct store *s, const char *subject,
			     int (*fn)(void *arg, const struct store_event *ev),
			     void *arg, struct qerr *e)
{
	return s->ops->event_each_subject(s, subject, fn, arg, e);
}

int store_user_add(struct store *s, const struct store_user *u,
		   const char *token_hash, struct qerr *e)
{
	return s->ops->user_add(s, u, token_hash, e);
}

int store_user_remove(struct store *s, const char *name, struct qerr *e)
{
	return s->ops->user_remove(s, name, e);
}

int store_user_by_token(struct store *s, const char *token_hash,
			struct store_user *out, struct qerr *e)
{
	return s->ops->user_by_token(s, token_hash, out, e);
}

int store_user_each(struct store *s,
		    int (*fn)(void *arg, const struct store_user *u,
			      const char *token_hash),
		    void *arg, struct qerr *e)
{
	return s->ops->user_each(s, fn, arg, e);
}

int store_account_each(struct store *s,
		       int (*fn)(void *arg, const struct ledger_account *a),
		       void *arg, struct qerr *e)
{
	return s->ops->account_each(s, fn, arg, e);
}

int store_transfer_each(struct store *s, const char *ref,
			int (*fn)(void *arg, const struct ledger_transfer *t),
			void *arg, struct qerr *e)
{
	return s->ops->transfer_each(s, ref, fn, arg, e);
}

/* --- what the screens look up ------------------------------------------------ */

int store_contract_add(struct store *s, const struct store_contract *c,
		       struct qerr *e)
{
	return s->ops->contract_add(s, c, e);
}

int store_contract_same(struct store *s, const struct store_contract *c,
			int days, struct store_contract_row *out, size_t max,
			size_t *n, struct qerr *e)
{
	return s->ops->contract_same(s, c, days, out, max, n, e);
}

int store_contract_between(struct store *s, const struct store_contract *c,
			   int32_t from, int32_t to, money_t lo, money_t hi,
			   struct store_contract_row *out, size_t max,
			   size_t *n, int64_t *count, money_t *sum,
			   struct qerr *e)
{
	return s->ops->contract_between(s, c, from, to, lo, hi, out, max, n,
					count, sum, e);
}

int store_controller_add(struct store *s, const struct store_controller *c,
			 struct qerr *e)
{
	return s->ops->controller_add(s, c, e);
}

int store_controllers_of(struct store *s, const char *uscc,
			 struct store_controller *out, size_t max, size_t *n,
			 struct qerr *e)
{
	return s->ops->controllers_of(s, uscc, out, max, n, e);
}

int store_listing_add(struct store *s, const struct store_listing *l,
		      struct qerr *e)
{
	return s->ops->listing_add(s, l, e);
}

int store_listing_get(struct store *s, const char *list, const char *uscc,
		      struct store_listing *out, struct qerr *e)
{
	return s->ops->listing_get(s, list, uscc, out, e);
}

int store_screens_each(struct store *s,
		       int (*contract)(void *arg,
				       const struct store_contract *c),
		       int (*controller)(void *arg,
					 const struct store_controller *c),
		       int (*listing)(void *arg, const struct store_listing *l),
		       void *arg, struct qerr *e)
{
	return s->ops->screens_each(s, contract, controller, listing, arg, e);
}
