/*
 * limit.h - request rates per key (a client address, a user), as token
 * buckets in a table of fixed size.
 *
 * Each key earns `rate` requests a second up to a burst of `burst`; a
 * request spends one. A key that has none left waits: ratelimit_take says
 * how many whole seconds (the Retry-After of a 429). Keys are kept as
 * their keyed 64-bit hash (libsodium's crypto_shorthash, with a key drawn
 * at start-up), so that no client can aim its keys at one slot, and no
 * token is kept. When every slot of a key's neighbourhood is taken, the
 * one used least recently makes room: a flood of addresses costs no
 * memory, and a forgotten key starts again with a full bucket. Integer
 * arithmetic only: a bucket counts millionths of a request. Thread-safe
 * (one mutex).
 */
#ifndef QUAN_LIMIT_H
#define QUAN_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RATELIMIT_PROBE 8 /* slots looked at for one key */

struct ratelimit_slot {
	uint64_t key;	 /* keyed hash of the key; 0: free */
	int64_t tokens;	 /* millionths of a request */
	int64_t last_us; /* when tokens was last brought up to date */
};

/* The buckets of up to cap keys, each earning rate requests a second up
 * to burst. rate 0: no limit (ratelimit_take always says 0). */
struct ratelimit {
	pthread_mutex_t mu;
	struct ratelimit_slot *v;
	size_t cap;
	uint32_t rate, burst;
	unsigned char hkey[16];
};

/* A table for cap (> 0) keys. burst 0 means 2 * rate. Q_ERR_NOMEM.
 * ratelimit_release frees it. */
int ratelimit_init(struct ratelimit *l, size_t cap, uint32_t rate,
		   uint32_t burst, struct qerr *e);
void ratelimit_release(struct ratelimit *l);

/* One request of key at now_us (a monotonic clock, microseconds): 0 when
 * it may go (and is counted), else the whole seconds (>= 1) until it
 * may. */
int64_t ratelimit_take(struct ratelimit *l, const char *key, int64_t now_us);

#endif
