/*
 * arena.h - memory handed out in pieces and freed all at once, for trees
 * and strings that live exactly as long as one parse (engine/jv.c builds a
 * JSON tree in one; engine/app.c keeps an application's strings in one).
 *
 * An arena is a chain of blocks, newest first. A piece is carved from the
 * newest block; a piece that does not fit in what is left of it starts a
 * new block, and the rest of the old one is never used (an arena trades
 * that slack for one malloc per block, not per piece). Blocks start at
 * ARENA_BLOCK bytes and each is twice the one before, up to
 * ARENA_BLOCK_MAX, so a large tree costs a few mallocs, not one per 4 KiB.
 * A piece larger than the next block would be gets a block of its own,
 * chained behind the newest, so the small pieces that follow still fill
 * the newest block.
 *
 * Invariants: a zeroed struct arena is an empty arena (no init call); every
 * piece is aligned as asked, up to alignof(max_align_t); pieces never move
 * and stay valid until arena_release, which frees every block at once.
 * Nothing is freed piece by piece. The arena owns its blocks; the caller
 * owns the struct and must release it once.
 */
#ifndef QUAN_ARENA_H
#define QUAN_ARENA_H

#include <stddef.h>

#define ARENA_BLOCK 4096	    /* bytes in the first block */
#define ARENA_BLOCK_MAX 65536	    /* blocks grow no larger than this */
#define ARENA_MAX ((size_t)1 << 30) /* a larger piece is refused */

struct arena_block;

/* One arena. The fields are the module's own; zeroed means empty. */
struct arena {
	struct arena_block *head; /* newest block, NULL when empty */
};

/* n bytes aligned to align (a power of two, at most alignof(max_align_t)),
 * uninitialised, valid until arena_release. n may be 0 (a valid pointer
 * to no bytes). NULL when out of memory or when n is above ARENA_MAX; the
 * arena is unchanged then and still to be released. */
void *arena_alloc(struct arena *a, size_t n, size_t align);

/* A copy of the len bytes at s, with a NUL after them (s need not be
 * NUL-terminated and may hold NUL), or NULL as arena_alloc. */
char *arena_text(struct arena *a, const void *s, size_t len);

/* Free every block; the arena is then empty, as when zeroed, and may be
 * used again. a may be NULL. */
void arena_release(struct arena *a);

/* How many blocks the arena holds and their bytes in all (without the
 * blocks' headers): what a test or a memory report looks at. */
void arena_stat(const struct arena *a, size_t *blocks, size_t *bytes);

#endif
