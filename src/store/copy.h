/*
 * copy.h - copy a whole store into an empty one (quan migrate: SQLite to
 * PostgreSQL), through store.h alone, so any back end copies to any other.
 */
#ifndef QUAN_STORE_COPY_H
#define QUAN_STORE_COPY_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* What a copy carried over. */
struct store_copy_stats {
	int64_t policies, applications, accounts, transfers, events, users;
	int64_t contracts, registry, listings; /* what the screens look up */
	int64_t numbers;	     /* (program, year) rows of the numbering */
	int64_t notices, objections; /* public notices, and their objections */
	int64_t keys;	   /* idempotency keys of the verbs that move money */
	int64_t documents; /* evidence files (each once, by its hash) */
	int64_t batches, payments; /* payment batches and their vouchers */
};

/* Copy everything in from into to, in one transaction of to: policy
 * versions (the current one of each program stays current), accounts
 * with their sums, transfers with their timestamps, applications with
 * their arrival order (client_ref and received_at with them), the
 * numbering (the next number of each program and year is the one the
 * source would have given), users with their token hashes, the audit chain
 * event by event, each re-hashed by to and checked equal to the original,
 * what the screens look up (contracts, registry, lists), the
 * idempotency keys with their answers, the evidence files with their
 * filings, and the payment batches with their payments in the states
 * they reached.
 * Q_ERR_CONFLICT when to holds anything already; Q_ERR_IO when a copy
 * would differ (nothing of it is committed). */
int store_copy(struct store *from, struct store *to,
	       struct store_copy_stats *st, struct qerr *e);

/* 0 when to holds nothing at all (no program, application, account,
 * event, user or number); Q_ERR_CONFLICT otherwise. quan migrate and
 * quan restore write only into such a store. */
int store_copy_check_empty(struct store *to, struct qerr *e);

#endif
