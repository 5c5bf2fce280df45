/*
 * store_events.c - the auditor's view of the audit chain: one page of
 * events, filtered by action, subject, who and time, once for both back
 * ends.
 */
#include "store/store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* The page is read whole before it is visited, so that fn may use the
 * store (the statement is reset by then). */
int store_event_find(struct store *s, const struct store_event_filter *f,
		     int (*fn)(void *arg, const struct store_event *ev),
		     void *arg, struct qerr *e)
{
	struct store_event *page;
	struct drv_stmt *st;
	size_t n = 0;
	int rc;

	assert(s && f && fn);
	assert(f->limit >= 1 && f->limit <= STORE_EVENTS_MAX);
	page = calloc((size_t)f->limit, sizeof(*page));
	if (!page)
		return store_nomem(e);
	/* One subject (an application's events) is read through its index;
	 * the other filters walk the chain from `after`. */
	rc = store_stmt(s,
			f->subject && f->subject[0] ? ST_EVENTS_FIND_SUBJECT
						    : ST_EVENTS_FIND,
			&st, e);
	if (rc)
		goto out;
	bind_int(st, 1, f->after);
	bind_text(st, 2, f->action ? f->action : "");
	bind_text(st, 3, f->subject ? f->subject : "");
	bind_text(st, 4, f->who ? f->who : "");
	bind_int(st, 5, f->from);
	bind_int(st, 6, f->to);
	bind_int(st, 7, f->limit);
	while ((rc = step(st, "listing events", e)) == DRV_ROW) {
		assert(n < (size_t)f->limit);
		if (store_event_row(st, &page[n++])) {
			rc = store_nomem(e);
			break;
		}
	}
	done(st);
	if (rc == DRV_DONE)
		rc = Q_OK;
	for (size_t i = 0; !rc && i < n; i++)
		if (fn(arg, &page[i]))
			break;
out:
	for (size_t i = 0; i < n; i++)
		store_event_release(&page[i]);
	free(page);
	return rc;
}
