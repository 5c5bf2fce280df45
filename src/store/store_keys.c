/*
 * store_keys.c - the idempotency keys of the verbs that move money, and the
 * running totals the report reads (both kept since migration 15), once for
 * both back ends.
 */
#include "store/store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

int store_key_get(struct store *s, const char *verb, const char *subject,
		  const char *key, char *request, char **answer, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && verb && subject && key);
	assert(request && answer);
	*answer = NULL;
	request[0] = '\0';
	rc = store_stmt(s, ST_KEY_GET, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, verb);
	bind_text(st, 2, subject);
	bind_text(st, 3, key);
	rc = step(st, "reading an idempotency key", e);
	if (rc == DRV_ROW) {
		col_str(st, 0, request, 65);
		rc = col_dup(st, 1, answer, NULL) ? store_nomem(e) : Q_OK;
		if (!rc && !*answer)
			rc = store_no_row(s, "reading an idempotency key", e);
	} else if (rc == DRV_DONE) {
		rc = Q_NONE;
	}
	done(st);
	return rc;
}

int store_key_put(struct store *s, const struct store_key *k, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && k && k->answer);
	assert(k->verb[0] && k->subject[0] && k->key[0]);
	rc = store_stmt(s, ST_KEY_PUT, &st, e);
	if (rc)
		return rc;
	BIND_FIELD(st, 1, k->verb);
	BIND_FIELD(st, 2, k->subject);
	BIND_FIELD(st, 3, k->key);
	BIND_FIELD(st, 4, k->request);
	bind_text(st, 5, k->answer);
	BIND_FIELD(st, 6, k->by);
	bind_int(st, 7, k->at);
	rc = store_run(st, "recording an idempotency key", e);
	if (rc == Q_ERR_CONFLICT)
		rc = qerr_set(e, Q_ERR_CONFLICT, "key",
			      "idempotency key '%.128s' of %s '%.96s' is "
			      "recorded already",
			      k->key, k->verb, k->subject);
	return rc;
}

static void free_page(struct store_key *page, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(page[i].answer);
		page[i].answer = NULL;
	}
}

int store_keys_each(struct store *s,
		    int (*fn)(void *arg, const struct store_key *k), void *arg,
		    struct qerr *e)
{
	struct store_key *page, last;
	bool stop = false;
	size_t n = 0;
	int rc = Q_OK;

	assert(s && fn);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	memset(&last, 0, sizeof(last));
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_KEYS_PAGE, &st, e);
		if (rc)
			break;
		BIND_FIELD(st, 1, last.verb);
		BIND_FIELD(st, 2, last.subject);
		BIND_FIELD(st, 3, last.key);
		for (n = 0;
		     (rc = step(st, "reading idempotency keys", e)) == DRV_ROW;
		     n++) {
			struct store_key *k = &page[n];

			assert(n < SQL_PAGE);
			col_str(st, 0, k->verb, sizeof(k->verb));
			col_str(st, 1, k->subject, sizeof(k->subject));
			col_str(st, 2, k->key, sizeof(k->key));
			col_str(st, 3, k->request, sizeof(k->request));
			if (col_dup(st, 4, &k->answer, NULL) || !k->answer) {
				n++;
				rc = store_nomem(e);
				break;
			}
			col_str(st, 5, k->by, sizeof(k->by));
			k->at = col_int(st, 6);
		}
		done(st);
		if (rc != DRV_DONE) {
			free_page(page, n);
			break;
		}
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++)
			stop = fn(arg, &page[i]) != 0;
		if (n > 0)
			last = page[n - 1];
		last.answer = NULL;
		free_page(page, n);
	} while (!stop && n == SQL_PAGE);
	free(page);
	return rc;
}

/* --- running totals ---------------------------------------------------------- */

struct tally_row {
	char measure[64];
	int64_t year;
	char state[16];
	int64_t n;
};

int store_app_tallies_each(struct store *s, const char *program,
			   int (*fn)(void *arg, const char *measure, int year,
				     int state, int64_t n),
			   void *arg, struct qerr *e)
{
	struct tally_row *page, last;
	bool stop = false;
	size_t n = 0;
	int rc = Q_OK;

	assert(s && program && fn);
	page = calloc(SQL_PAGE, sizeof(*page));
	if (!page)
		return store_nomem(e);
	memset(&last, 0, sizeof(last));
	do {
		struct drv_stmt *st;

		rc = store_stmt(s, ST_APP_TALLIES_PAGE, &st, e);
		if (rc)
			break;
		bind_text(st, 1, program);
		BIND_FIELD(st, 2, last.measure);
		bind_int(st, 3, last.year);
		BIND_FIELD(st, 4, last.state);
		for (n = 0; (rc = step(st, "reading the running totals", e)) ==
			    DRV_ROW;
		     n++) {
			assert(n < SQL_PAGE);
			col_str(st, 0, page[n].measure,
				sizeof(page[n].measure));
			page[n].year = col_int(st, 1);
			col_str(st, 2, page[n].state, sizeof(page[n].state));
			page[n].n = col_int(st, 3);
		}
		done(st);
		if (rc != DRV_DONE)
			break;
		rc = Q_OK;
		for (size_t i = 0; !stop && i < n; i++) {
			int state = app_state_parse(page[i].state);

			if (state >= 0)
				stop = fn(arg, page[i].measure,
					  (int)page[i].year, state,
					  page[i].n) != 0;
		}
		if (n > 0)
			last = page[n - 1];
	} while (!stop && n == SQL_PAGE);
	free(page);
	return rc;
}

int store_account_tally(struct store *s, const char *prefix,
			struct ledger_account *sum, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && prefix && sum);
	memset(sum, 0, sizeof(*sum));
	rc = store_stmt(s, ST_ACCOUNT_TALLY, &st, e);
	if (rc)
		return rc;
	bind_text(st, 1, prefix);
	rc = step(st, "reading a running total", e);
	if (rc == DRV_ROW) {
		sum->debits_posted = col_int(st, 0);
		sum->credits_posted = col_int(st, 1);
		sum->debits_pending = col_int(st, 2);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = Q_OK;
	}
	done(st);
	return rc;
}

int store_generation_read(struct store *s, int64_t *n, struct qerr *e)
{
	struct drv_stmt *st;
	int rc;

	assert(s && n);
	*n = -1;
	rc = store_stmt(s, ST_GENERATION_READ, &st, e);
	if (rc)
		return rc;
	rc = step(st, "reading the generation", e);
	if (rc == DRV_ROW) {
		*n = col_int(st, 0);
		rc = Q_OK;
	} else if (rc == DRV_DONE) {
		rc = store_no_row(s, "reading the generation", e);
	}
	done(st);
	return rc;
}
