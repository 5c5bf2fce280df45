/*
 * arena.c - memory handed out in pieces and freed all at once (arena.h).
 */
#include "core/arena.h"

#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One block: its pieces are data[0..used), the rest is free. data is
 * aligned for any type, so an offset aligned to align is an address
 * aligned to align. */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

static struct arena_block *block_new(size_t cap)
{
	struct arena_block *b;

	assert(cap <= ARENA_MAX);
	b = malloc(sizeof(*b) + cap);
	if (!b)
		return NULL;
	b->next = NULL;
	b->used = 0;
	b->cap = cap;
	return b;
}

void *arena_alloc(struct arena *a, size_t n, size_t align)
{
	struct arena_block *b;
	size_t at = 0, cap;

	assert(a);
	assert(align && (align & (align - 1)) == 0);
	assert(align <= alignof(max_align_t));
	if (n > ARENA_MAX)
		return NULL;
	b = a->head;
	if (b) {
		assert(b->used <= b->cap);
		at = (b->used + align - 1) & ~(align - 1);
		if (at <= b->cap && b->cap - at >= n) {
			b->used = at + n;
			return b->data + at;
		}
	}
	/* The next block is twice the newest, up to ARENA_BLOCK_MAX. */
	cap = b ? b->cap * 2 : ARENA_BLOCK;
	if (cap > ARENA_BLOCK_MAX)
		cap = ARENA_BLOCK_MAX;
	if (n > cap) {
		/* A block of its own, behind the newest, whose free bytes
		 * the next small pieces still use. */
		struct arena_block *big = block_new(n);

		if (!big)
			return NULL;
		big->used = n;
		if (b) {
			big->next = b->next;
			b->next = big;
		} else {
			a->head = big;
		}
		return big->data;
	}
	b = block_new(cap);
	if (!b)
		return NULL;
	b->next = a->head;
	b->used = n;
	a->head = b;
	return b->data;
}

char *arena_text(struct arena *a, const void *s, size_t len)
{
	char *d;

	assert(s || len == 0);
	if (len >= ARENA_MAX)
		return NULL;
	d = arena_alloc(a, len + 1, 1);
	if (!d)
		return NULL;
	if (len)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void arena_release(struct arena *a)
{
	struct arena_block *b;

	if (!a)
		return;
	b = a->head;
	while (b) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
}

void arena_stat(const struct arena *a, size_t *blocks, size_t *bytes)
{
	size_t nb = 0, sum = 0;

	assert(a && blocks && bytes);
	for (const struct arena_block *b = a->head; b; b = b->next) {
		nb++;
		sum += b->cap;
	}
	*blocks = nb;
	*bytes = sum;
}
