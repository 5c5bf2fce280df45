/*
 * bulk.h - approving several applications in one request: each under the
 * same rules as one approval (office_move), each in its own transaction
 * and under its own idempotency key, each answered.
 */
#ifndef QUAN_OFFICE_BULK_H
#define QUAN_OFFICE_BULK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/money.h"
#include "office/office.h"

#define OFFICE_BULK_MAX 500 /* ids in one bulk approval */

/* Approve ids[0..n) (1..OFFICE_BULK_MAX, no id twice) by `by` at now,
 * with rate (-1: the decision's), each as office_move's approval with
 * the idempotency key key (NULL: none; the key is scoped to each
 * application, so one key serves the batch). One refusal stops nothing.
 * *out (the caller json_decref()s) is {"results": [...], "approved": n,
 * "waiting": n, "refused": n}, each result {id, outcome, ...}: outcome
 * "approved" (the award is posted), "waiting_second_approver" (a first
 * approval above the two-person threshold) or "refused" with "error"
 * {code, message} saying why, and the approval's own answer fields
 * otherwise. Q_ERR_INVALID for no ids, too many or a repeated one;
 * nothing is approved then. */
int office_approve_bulk(struct office *o, const char *const *ids, size_t n,
			rate_bp rate, const char *key, const char *by,
			int64_t now, json_t **out, struct qerr *e);

#endif
