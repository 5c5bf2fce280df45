/*
 * test_prorata.c - the sharing rule of a pro-rata round: the awards add up
 * to the pool exactly, no award exceeds its ask, the leftover fen go to the
 * largest remainders, and the rule is deterministic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "office/office.h"

static void test_fits(void **state)
{
	money_t asks[3] = {100, 200, 300}, awards[3];

	(void)state;
	assert_int_equal(office_pro_rata(asks, 3, 600, awards), 0);
	assert_memory_equal(asks, awards, sizeof(asks));
}

static void test_hand_case(void **state)
{
	/* 900 000.00, 600 000.00, 30 000.00 asked of a 1 000 000.00 pool:
	 * 58 823 529.41, 39 215 686.27, 1 960 784.31 -> one fen left, to the
	 * largest remainder (.41). */
	money_t asks[3] = {90000000, 60000000, 3000000}, awards[3];

	(void)state;
	assert_int_equal(office_pro_rata(asks, 3, 100000000, awards), 0);
	assert_int_equal(awards[0], 58823530);
	assert_int_equal(awards[1], 39215686);
	assert_int_equal(awards[2], 1960784);
}

static void test_ties_go_to_earlier(void **state)
{
	/* Three equal asks of 1 fen sharing 2 fen: remainders tie, so the
	 * first two arrivals get them. */
	money_t asks[3] = {1, 1, 1}, awards[3];

	(void)state;
	assert_int_equal(office_pro_rata(asks, 3, 2, awards), 0);
	assert_int_equal(awards[0], 1);
	assert_int_equal(awards[1], 1);
	assert_int_equal(awards[2], 0);
}

static void test_random_properties(void **state)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + (size_t)(x % 50);
		money_t asks[50], awards[50], demand = 0, sum = 0, avail;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			asks[i] = (money_t)(x %
					    100000000000ull); /* < 1 bn yuan */
			demand += asks[i];
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		avail = demand ? (money_t)(x % (uint64_t)demand) : 0;
		assert_int_equal(office_pro_rata(asks, n, avail, awards), 0);
		for (size_t i = 0; i < n; i++) {
			/* never above the ask, never more than one fen above
			 * the exact share */
			__int128 exact = (__int128)asks[i] * avail;

			if (awards[i] > asks[i] || awards[i] < 0 ||
			    (__int128)awards[i] * demand > exact + demand ||
			    (__int128)awards[i] * demand < exact - demand)
				fail_msg(
					"round %d: award %zu = %lld of ask %lld",
					round, i, (long long)awards[i],
					(long long)asks[i]);
			sum += awards[i];
		}
		if (sum != avail)
			fail_msg(
				"round %d: awards add up to %lld, the pool is %lld",
				round, (long long)sum, (long long)avail);
	}
}

static void test_refuses_bad_input(void **state)
{
	money_t asks[2] = {5, -1}, awards[2];

	(void)state;
	assert_int_equal(office_pro_rata(asks, 2, 3, awards), Q_ERR_INVALID);
	asks[1] = INT64_MAX;
	assert_int_equal(office_pro_rata(asks, 2, 3, awards), Q_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_hand_case),
		cmocka_unit_test(test_ties_go_to_earlier),
		cmocka_unit_test(test_random_properties),
		cmocka_unit_test(test_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
