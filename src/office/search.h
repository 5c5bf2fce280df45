/*
 * search.h - the review queue's search as the API and the CLI spell it:
 * named parameters (GET /v1/applications?q=...&sort=..., `quan list --q
 * ...`) read into a store_app_query, and the opaque cursor of a page.
 */
#ifndef QUAN_OFFICE_SEARCH_H
#define QUAN_OFFICE_SEARCH_H

#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

/* The parameter names search_set takes, NULL-terminated: q, uscc_prefix,
 * measure, flag, amount_min, amount_max, received_from, received_to,
 * sort, after. */
extern const char *const search_params[];

/* A search being read: the query and the cursor's text until the sort is
 * known. */
struct search {
	struct store_app_query q;
	const char *after;
};

/* No filter, oldest received first, limit 100. */
void search_init(struct search *s);

/* Parameter name (one of search_params) set to value (borrowed: it must
 * outlive s). Q_ERR_INVALID naming the parameter for a malformed value:
 * amounts are yuan ("10000.00"), days YYYY-MM-DD in the office's
 * calendar (received_to takes the whole day), flag yes|no, sort
 * received|-received|amount|-amount. */
int search_set(struct search *s, const char *name, const char *value,
	       struct qerr *e);

/* Read the cursor, once every parameter is set: Q_ERR_INVALID when it is
 * not one this sort gave. */
int search_finish(struct search *s, struct qerr *e);

#define SEARCH_CURSOR_MAX 48

/* The cursor that asks for what follows a, in the sort of s, into buf
 * (SEARCH_CURSOR_MAX bytes); returns buf. */
char *search_cursor(const struct search *s, const struct store_app *a,
		    char *buf);

#endif
