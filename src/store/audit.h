/*
 * audit.h - the tamper-evident audit chain: how an event is hashed.
 *
 * hash(event) = SHA-256 of prev_hash (64 hex, or 64 '0' for the first)
 * followed by the fields seq, at, who, action, subject, policy_hash and
 * detail, each as its decimal or text form prefixed by its byte length
 * ("12:compute-rent"), so no two different events encode alike.
 * audit_verify re-walks a chain and names the first event that was
 * changed, removed or reordered.
 */
#ifndef QUAN_AUDIT_H
#define QUAN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define AUDIT_GENESIS                                                          \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Compute ev->hash from ev->prev_hash and the fields. Returns 0 or
 * Q_ERR_NOMEM. */
int audit_hash(struct store_event *ev);

/* The state of a walk over a chain, event by event in seq order. */
struct audit_walk {
	int64_t expect_seq; /* next seq expected (starts at 1) */
	char prev[65];	    /* hash of the previous event */
	int64_t bad_seq;    /* first bad event, 0 if none */
	char why[256];	    /* what is wrong with it */
	int64_t count;
};

void audit_walk_init(struct audit_walk *w);

/* Feed the next event; returns 0 while the chain holds, 1 once a bad event
 * was found (w->bad_seq and w->why say which and why). */
int audit_walk_step(struct audit_walk *w, const struct store_event *ev);

#endif
