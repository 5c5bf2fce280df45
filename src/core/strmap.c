/*
 * strmap.c - text keys to fixed-size values, open addressing (strmap.h).
 */
#include "core/strmap.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRMAP_MIN_SLOTS 64

/* One slot: key NULL when empty; the value is allocated with the key. */
struct strmap_slot {
	uint64_t hash;
	char *key;
	void *val;
};

static uint64_t text_hash(const char *s)
{
	uint64_t x = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		x = (x ^ (unsigned char)*s) * 1099511628211ull;
	return x;
}

void strmap_init(struct strmap *m, size_t vsize, size_t max)
{
	assert(m && max > 0);
	memset(m, 0, sizeof(*m));
	m->vsize = vsize;
	m->max = max;
}

void strmap_release(struct strmap *m)
{
	size_t vsize, max;

	assert(m);
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].val);
	free(m->slots);
	vsize = m->vsize;
	max = m->max;
	strmap_init(m, vsize, max);
}

static size_t find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	assert(m->cap && (m->cap & (m->cap - 1)) == 0);
	while (m->slots[i].key &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	assert(m && key);
	if (!m->cap)
		return NULL;
	i = find(m, key, text_hash(key));
	return m->slots[i].key ? m->slots[i].val : NULL;
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : STRMAP_MIN_SLOTS;
	struct strmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	if (cap > SIZE_MAX / sizeof(*old))
		return -1;
	m->slots = calloc(cap, sizeof(*old));
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			m->slots[find(m, old[i].key, old[i].hash)] = old[i];
	free(old);
	return 0;
}

void *strmap_add(struct strmap *m, const char *key, bool *is_new)
{
	uint64_t h = text_hash(key);
	size_t i, klen = strlen(key) + 1;
	char *mem;

	assert(m && key && is_new);
	*is_new = false;
	if (m->cap) {
		i = find(m, key, h);
		if (m->slots[i].key)
			return m->slots[i].val;
	}
	if (m->n >= m->max)
		return NULL;
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	/* The value first, so that it keeps malloc's alignment. */
	mem = calloc(1, m->vsize + klen);
	if (!mem)
		return NULL;
	memcpy(mem + m->vsize, key, klen);
	i = find(m, key, h);
	m->slots[i] = (struct strmap_slot){h, mem + m->vsize, mem};
	m->n++;
	*is_new = true;
	return mem;
}

int strmap_each(const struct strmap *m,
		int (*fn)(void *arg, const char *key, void *val), void *arg)
{
	assert(m && fn);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			int rc = fn(arg, m->slots[i].key, m->slots[i].val);

			if (rc)
				return rc;
		}
	return 0;
}
