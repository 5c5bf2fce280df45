/*
 * limit.c - token buckets per key (limit.h).
 */
#include "http/limit.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define UNIT 1000000 /* millionths of a request in one request */

int ratelimit_init(struct ratelimit *l, size_t cap, uint32_t rate,
		   uint32_t burst, struct qerr *e)
{
	assert(l && cap > 0);
	memset(l, 0, sizeof(*l));
	if (sodium_init() < 0)
		return qerr_set(e, Q_ERR_IO, "", "libsodium does not start");
	l->v = calloc(cap, sizeof(*l->v));
	if (!l->v)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	l->cap = cap;
	l->rate = rate;
	l->burst =
		burst ? burst : (rate > UINT32_MAX / 2 ? UINT32_MAX : 2 * rate);
	if (l->burst < 1)
		l->burst = 1;
	randombytes_buf(l->hkey, sizeof(l->hkey));
	pthread_mutex_init(&l->mu, NULL);
	assert(l->burst >= 1);
	return Q_OK;
}

void ratelimit_release(struct ratelimit *l)
{
	if (!l || !l->v)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static uint64_t hash_of(const struct ratelimit *l, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), l->hkey);
	memcpy(&h, out, sizeof(h));
	return h ? h : 1; /* 0 marks a free slot */
}

/* The slot of hash h: its own, a free one, or the one used least
 * recently in its neighbourhood, started afresh; l->mu held. */
static struct ratelimit_slot *slot_of(struct ratelimit *l, uint64_t h,
				      int64_t now_us)
{
	struct ratelimit_slot *oldest = NULL;

	for (size_t k = 0; k < RATELIMIT_PROBE; k++) {
		struct ratelimit_slot *x = &l->v[(h + k) % l->cap];

		if (x->key == h)
			return x;
		if (!x->key || !oldest || x->last_us < oldest->last_us)
			oldest = x;
		if (!x->key)
			break;
	}
	assert(oldest);
	oldest->key = h;
	oldest->tokens = (int64_t)l->burst * UNIT;
	oldest->last_us = now_us;
	return oldest;
}

int64_t ratelimit_take(struct ratelimit *l, const char *key, int64_t now_us)
{
	struct ratelimit_slot *x;
	int64_t wait = 0, full, dt;

	assert(l && l->v && key);
	if (!l->rate)
		return 0;
	full = (int64_t)l->burst * UNIT;
	pthread_mutex_lock(&l->mu);
	x = slot_of(l, hash_of(l, key), now_us);
	dt = now_us - x->last_us;
	if (dt > 0) {
		/* A bucket refills in burst/rate seconds; more time than
		 * that changes nothing, and keeps the product small. */
		if (dt > (int64_t)l->burst * UNIT / l->rate + 1)
			x->tokens = full;
		else
			x->tokens += dt * (int64_t)l->rate;
		if (x->tokens > full)
			x->tokens = full;
		x->last_us = now_us;
	}
	if (x->tokens >= UNIT)
		x->tokens -= UNIT;
	else
		wait = ((UNIT - x->tokens) / l->rate + UNIT - 1) / UNIT;
	pthread_mutex_unlock(&l->mu);
	assert(wait >= 0);
	return wait;
}
