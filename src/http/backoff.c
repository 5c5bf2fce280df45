/*
 * backoff.c - failed sign-ins slowed down (backoff.h).
 */
#include "http/backoff.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int backoff_init(struct backoff *b, size_t cap, struct qerr *e)
{
	assert(b && cap > 0);
	memset(b, 0, sizeof(*b));
	b->v = calloc(cap, sizeof(*b->v));
	if (!b->v)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	b->cap = cap;
	pthread_mutex_init(&b->mu, NULL);
	return Q_OK;
}

void backoff_release(struct backoff *b)
{
	if (!b || !b->v)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* The entry of key, or NULL; b->mu held. */
static struct backoff_entry *find(struct backoff *b, const char *key)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strncmp(b->v[i].key, key, BACKOFF_KEY - 1))
			return &b->v[i];
	return NULL;
}

int64_t backoff_wait(struct backoff *b, const char *key, int64_t now)
{
	struct backoff_entry *x;
	int64_t wait = 0;

	assert(b && b->v && key);
	pthread_mutex_lock(&b->mu);
	x = find(b, key);
	if (x && x->until > now)
		wait = x->until - now;
	pthread_mutex_unlock(&b->mu);
	assert(wait >= 0 && wait <= BACKOFF_MAX_LOCK);
	return wait;
}

int64_t backoff_fail(struct backoff *b, const char *key, int64_t now)
{
	struct backoff_entry *x;
	int64_t lock = 0;

	assert(b && b->v && key);
	pthread_mutex_lock(&b->mu);
	x = find(b, key);
	if (!x && b->n < b->cap)
		x = &b->v[b->n++];
	if (!x) {
		/* Full: the key that failed least recently makes room. */
		x = &b->v[0];
		for (size_t i = 1; i < b->n; i++)
			if (b->v[i].last < x->last)
				x = &b->v[i];
		memset(x, 0, sizeof(*x));
	}
	if (!x->key[0])
		snprintf(x->key, sizeof(x->key), "%s", key);
	if (x->fails < 64)
		x->fails++;
	x->last = now;
	if (x->fails > BACKOFF_FREE) {
		unsigned k = x->fails - BACKOFF_FREE - 1;

		lock = k >= 8 ? BACKOFF_MAX_LOCK : (int64_t)4 << k;
		if (lock > BACKOFF_MAX_LOCK)
			lock = BACKOFF_MAX_LOCK;
		x->until = now + lock;
	}
	assert(b->n <= b->cap);
	pthread_mutex_unlock(&b->mu);
	return lock;
}

unsigned backoff_fails(struct backoff *b, const char *key)
{
	struct backoff_entry *x;
	unsigned n;

	assert(b && b->v && key);
	pthread_mutex_lock(&b->mu);
	x = find(b, key);
	n = x ? x->fails : 0;
	pthread_mutex_unlock(&b->mu);
	return n;
}

void backoff_ok(struct backoff *b, const char *key)
{
	struct backoff_entry *x;

	assert(b && b->v && key);
	pthread_mutex_lock(&b->mu);
	x = find(b, key);
	if (x) {
		/* The last entry fills the hole. */
		*x = b->v[b->n - 1];
		memset(&b->v[b->n - 1], 0, sizeof(b->v[0]));
		b->n--;
	}
	pthread_mutex_unlock(&b->mu);
}

size_t backoff_count(struct backoff *b)
{
	size_t n;

	pthread_mutex_lock(&b->mu);
	n = b->n;
	pthread_mutex_unlock(&b->mu);
	return n;
}
