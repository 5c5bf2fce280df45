/*
 * backoff.h - slowing down failed sign-ins, per client address and per
 * user name, in a table of fixed size.
 *
 * A key ("a:ADDRESS" or "u:NAME") may fail BACKOFF_FREE times; each
 * further failure locks it for twice as long as the one before (4 s, 8 s,
 * 16 s ... up to BACKOFF_MAX_LOCK), and a success clears it. The table
 * holds at most cap keys: when it is full the key used least recently
 * makes room, so a flood of addresses costs no memory, only the memory of
 * the oldest failures. Thread-safe (one mutex).
 */
#ifndef QUAN_BACKOFF_H
#define QUAN_BACKOFF_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BACKOFF_FREE 5	     /* failures before the first lock */
#define BACKOFF_MAX_LOCK 900 /* seconds: the longest lock */
#define BACKOFF_KEY 96	     /* bytes of a key, NUL included */

struct backoff_entry {
	char key[BACKOFF_KEY];
	unsigned fails;
	int64_t until; /* locked until this time */
	int64_t last;  /* last failure */
};

/* The failures of up to cap keys. */
struct backoff {
	pthread_mutex_t mu;
	struct backoff_entry *v;
	size_t n, cap;
};

/* A table for cap (> 0) keys; Q_ERR_NOMEM. backoff_release frees it. */
int backoff_init(struct backoff *b, size_t cap, struct qerr *e);
void backoff_release(struct backoff *b);

/* Seconds key must still wait at now (0: it may try). */
int64_t backoff_wait(struct backoff *b, const char *key, int64_t now);

/* A failure of key at now; returns the seconds it is now locked for. */
int64_t backoff_fail(struct backoff *b, const char *key, int64_t now);

/* How many times key failed since its last success (0: never, or
 * forgotten to make room). */
unsigned backoff_fails(struct backoff *b, const char *key);

/* A success of key: its failures are forgotten. */
void backoff_ok(struct backoff *b, const char *key);

/* How many keys the table holds (never more than cap). */
size_t backoff_count(struct backoff *b);

#endif
