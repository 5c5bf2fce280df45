/*
 * signin_audit.h - which failed sign-ins go into the audit chain, and how
 * their client address is recorded.
 *
 * A flood of failures must not grow the chain without bound. Per name,
 * the server records the first failure and then one for each lock the
 * backoff imposes (the backoff allows one try per lock, so that is at
 * most one event per name per backoff window), each carrying the count
 * of failures so far. Over all names, at most SIGNIN_AUDIT_PER_MINUTE
 * events are written a minute; the failures left out are counted and
 * reported by the next event written ("suppressed"). Thread-safe.
 */
#ifndef QUAN_SIGNIN_AUDIT_H
#define QUAN_SIGNIN_AUDIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SIGNIN_AUDIT_PER_MINUTE 30
#define SIGNIN_AUDIT_MARK 17 /* 16 hex digits and the NUL */

/* The server-wide budget of failed sign-in events. */
struct signin_audit {
	pthread_mutex_t mu;
	int64_t minute;	     /* the minute counted (epoch / 60) */
	unsigned written;    /* events admitted in that minute */
	uint64_t suppressed; /* failures left out since the last event */
};

void signin_audit_init(struct signin_audit *a);
void signin_audit_release(struct signin_audit *a);

/* Whether a failure whose name has failed `fails` times (1 the first),
 * and is now locked for `locked` seconds, is written at now. When it is,
 * *suppressed gets the failures left out before it (and the count starts
 * again); when not, it is counted as left out. */
bool signin_audit_admit(struct signin_audit *a, unsigned fails, int64_t locked,
			int64_t now, uint64_t *suppressed);

/* The kind of address addr ("loopback", "private", "link-local",
 * "public", or "unknown"; IPv4 and IPv6) and a mark of it: the first 16
 * hex digits of a salted SHA-256, enough to tell failures from one
 * address together without writing the address. IPv4 has few enough
 * addresses that the mark can be reversed by trying them all: it is a
 * pseudonym, not a secret. */
const char *signin_audit_address(const char *addr,
				 char mark[SIGNIN_AUDIT_MARK]);

#endif
