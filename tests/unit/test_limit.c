/*
 * test_limit.c - the request-rate buckets: a burst, then a wait that says
 * how long; refill at the rate; keys apart; no limit at rate 0; and a
 * table that stays its size under a flood of keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "http/limit.h"

static void test_burst_then_wait(void **state)
{
	struct ratelimit l;
	struct qerr e;
	int64_t t = 1000000;

	(void)state;
	assert_int_equal(ratelimit_init(&l, 64, 2, 4, &e), Q_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ratelimit_take(&l, "a:10.0.0.1", t), 0);
	/* Empty: half a second earns the next one at 2/s; whole seconds. */
	assert_int_equal(ratelimit_take(&l, "a:10.0.0.1", t), 1);
	/* Another key has its own bucket. */
	assert_int_equal(ratelimit_take(&l, "a:10.0.0.2", t), 0);
	/* 0.5 s later one request more, not two. */
	assert_int_equal(ratelimit_take(&l, "a:10.0.0.1", t + 500000), 0);
	assert_int_equal(ratelimit_take(&l, "a:10.0.0.1", t + 500000), 1);
	/* A long pause fills the bucket to its burst, no further. */
	t += 3600LL * 1000000;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ratelimit_take(&l, "a:10.0.0.1", t), 0);
	assert_true(ratelimit_take(&l, "a:10.0.0.1", t) > 0);
	ratelimit_release(&l);
}

static void test_slow_rate_waits_longer(void **state)
{
	struct ratelimit l;
	struct qerr e;

	(void)state;
	/* One a minute: the wait is about a minute. */
	assert_int_equal(ratelimit_init(&l, 8, 1, 1, &e), Q_OK);
	l.rate = 1;
	assert_int_equal(ratelimit_take(&l, "u:ada", 0), 0);
	assert_int_equal(ratelimit_take(&l, "u:ada", 0), 1);
	ratelimit_release(&l);
}

static void test_no_limit(void **state)
{
	struct ratelimit l;
	struct qerr e;

	(void)state;
	assert_int_equal(ratelimit_init(&l, 8, 0, 0, &e), Q_OK);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_take(&l, "u:ada", 0), 0);
	ratelimit_release(&l);
}

/* 100 000 addresses through a table of 256: it stays 256 slots, and a
 * key just used keeps its state (the least recently used make room). */
static void test_flood(void **state)
{
	struct ratelimit l;
	struct qerr e;
	char key[32];

	(void)state;
	assert_int_equal(ratelimit_init(&l, 256, 1, 1, &e), Q_OK);
	assert_int_equal(ratelimit_take(&l, "a:victim", 0), 0);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "a:10.%d.%d.%d", i >> 16,
			 (i >> 8) & 255, i & 255);
		assert_int_equal(ratelimit_take(&l, key, 1), 0);
	}
	assert_int_equal(l.cap, 256);
	/* Used just now: still empty. */
	assert_int_equal(ratelimit_take(&l, "a:x", 2), 0);
	assert_int_equal(ratelimit_take(&l, "a:x", 2), 1);
	ratelimit_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_wait),
		cmocka_unit_test(test_slow_rate_waits_longer),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
