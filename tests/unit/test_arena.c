/*
 * test_arena.c - the arena (core/arena.h): alignment as asked, pieces that
 * keep their bytes while the arena grows, blocks that double up to their
 * limit, a large piece in a block of its own that leaves the newest block
 * in use, refusals past ARENA_MAX, and release freeing every block (run it
 * under ASan to see nothing leak or overlap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

static void test_zeroed_is_empty(void **state)
{
	struct arena a = {0};
	size_t blocks, bytes;

	(void)state;
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 0);
	assert_int_equal(bytes, 0);
	arena_release(&a); /* an empty arena releases */
	arena_release(NULL);
	assert_null(a.head);
}

static void test_alignment(void **state)
{
	static const size_t aligns[] = {1, 2, 4, 8, 16, alignof(max_align_t)};
	struct arena a = {0};

	(void)state;
	/* Odd sizes between, so that every request starts misaligned. */
	for (int round = 0; round < 200; round++)
		for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]);
		     i++) {
			unsigned char *p =
				arena_alloc(&a, 1 + round % 7, aligns[i]);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % aligns[i], 0);
			p[0] = 0xab;
		}
	arena_release(&a);
}

/* Pieces from many blocks keep their own bytes: nothing overlaps, nothing
 * moves when a new block is started. */
static void test_growth_keeps_pieces(void **state)
{
	enum { N = 5000, LEN = 37 };
	struct arena a = {0};
	char **p = calloc(N, sizeof(*p));
	size_t blocks, bytes;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < N; i++) {
		p[i] = arena_alloc(&a, LEN, 1);
		assert_non_null(p[i]);
		memset(p[i], i & 0xff, LEN);
	}
	for (int i = 0; i < N; i++)
		for (int k = 0; k < LEN; k++)
			assert_int_equal((unsigned char)p[i][k], i & 0xff);
	arena_stat(&a, &blocks, &bytes);
	/* 185 000 bytes: 4, 8, 16, 32, 64, 64 KiB blocks, not 46 of 4 KiB. */
	assert_true(bytes >= (size_t)N * LEN);
	assert_int_equal(blocks, 6);
	assert_int_equal(bytes, 4096 + 8192 + 16384 + 32768 + 65536 + 65536);
	arena_release(&a);
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 0);
	free(p);
}

/* A piece that does not fit what is left of the newest block starts a
 * new one; the piece fills it from its start. */
static void test_past_the_end(void **state)
{
	struct arena a = {0};
	size_t blocks, bytes;
	unsigned char *x, *y;

	(void)state;
	x = arena_alloc(&a, ARENA_BLOCK - 8, 1);
	assert_non_null(x);
	y = arena_alloc(&a, 16, 8);
	assert_non_null(y);
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 2);
	assert_int_equal(bytes, ARENA_BLOCK + 2 * ARENA_BLOCK);
	/* y is in the second block, not in x's last bytes */
	assert_true(y + 16 <= x || y >= x + ARENA_BLOCK);
	/* exactly filling a block stays in it */
	x = arena_alloc(&a, 2 * ARENA_BLOCK - 16, 1);
	assert_non_null(x);
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 2);
	arena_release(&a);
}

/* A piece larger than a block gets a block of exactly its size, chained
 * behind the newest, whose free bytes the next small piece still uses. */
static void test_big_piece(void **state)
{
	struct arena a = {0};
	size_t blocks, bytes;
	unsigned char *small, *big, *after;
	const size_t n = 3 * ARENA_BLOCK_MAX + 5;

	(void)state;
	small = arena_alloc(&a, 10, 1);
	assert_non_null(small);
	big = arena_alloc(&a, n, 16);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % 16, 0);
	memset(big, 0x5a, n);
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 2);
	assert_int_equal(bytes, ARENA_BLOCK + n);
	after = arena_alloc(&a, 10, 1);
	assert_ptr_equal(after, small + 10); /* the first block goes on */
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 2);
	assert_int_equal(big[n - 1], 0x5a);

	/* a big piece as the very first one is the newest block */
	arena_release(&a);
	big = arena_alloc(&a, n, 1);
	assert_non_null(big);
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 1);
	assert_int_equal(bytes, n);
	assert_non_null(arena_alloc(&a, 1, 1));
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 2);
	arena_release(&a);
}

static void test_limits(void **state)
{
	struct arena a = {0};
	size_t blocks, bytes;
	char *z;

	(void)state;
	assert_null(arena_alloc(&a, ARENA_MAX + 1, 1));
	assert_null(arena_alloc(&a, SIZE_MAX, 8));
	assert_null(arena_text(&a, "", SIZE_MAX));
	assert_null(arena_text(&a, "", ARENA_MAX));
	arena_stat(&a, &blocks, &bytes);
	assert_int_equal(blocks, 0); /* a refusal leaves the arena as it was */
	z = arena_alloc(&a, 0, 1);
	assert_non_null(z); /* no bytes, but a pointer */
	arena_release(&a);
}

static void test_text(void **state)
{
	struct arena a = {0};
	const char with_nul[] = {'a', '\0', 'b'};
	char *s;

	(void)state;
	s = arena_text(&a, "hello, world", 5);
	assert_string_equal(s, "hello");
	s = arena_text(&a, with_nul, sizeof(with_nul));
	assert_memory_equal(s, with_nul, sizeof(with_nul));
	assert_int_equal(s[3], '\0');
	s = arena_text(&a, NULL, 0);
	assert_string_equal(s, "");
	s = arena_text(&a, "示例", strlen("示例"));
	assert_string_equal(s, "示例");
	arena_release(&a);
}

/* Used again after release, an arena starts small again. */
static void test_reuse(void **state)
{
	struct arena a = {0};
	size_t blocks, bytes;

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++)
			assert_non_null(arena_alloc(&a, 100, 8));
		arena_release(&a);
		assert_null(a.head);
		assert_non_null(arena_alloc(&a, 1, 1));
		arena_stat(&a, &blocks, &bytes);
		assert_int_equal(blocks, 1);
		assert_int_equal(bytes, ARENA_BLOCK);
		arena_release(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed_is_empty),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_growth_keeps_pieces),
		cmocka_unit_test(test_past_the_end),
		cmocka_unit_test(test_big_piece),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
