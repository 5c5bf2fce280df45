/*
 * test_forecast.c - the runs of a pool's forecast (sim/forecast.h): a
 * history that spends X a day with Y left runs dry near Y/X days on, the
 * 80 % interval holds it, a run stops at its end, and the same seed gives
 * the same runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "sim/forecast.h"

#define DAY 86400
#define X 100000 /* 1 000.00 yuan, in fen */
#define N 60	 /* days of history */
#define RUNS 200

/* One arrival a day at 10:00 office time for N days; now is a day after
 * the last, so every observed gap is one day. */
static int64_t now_of(int64_t *at)
{
	int64_t t0 = (int64_t)date_from_ymd(2025, 8, 1) * DAY + 2 * 3600;

	for (int i = 0; i < N; i++)
		at[i] = t0 + (int64_t)i * DAY;
	return at[N - 1] + DAY;
}

/* Every arrival asks X, 25.5 X is left: arrivals 1..25 are covered, and
 * the 26th, 26 days on, is the first that is not: every run, exactly. */
static void test_steady_pace_is_exact(void **state)
{
	int64_t at[N], dry[RUNS], end;
	money_t amt[N];
	int64_t now = now_of(at);
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = X;
	end = now + 365 * DAY;
	assert_int_equal(forecast_runs(at, amt, N, 25 * X + X / 2, now, end,
				       RUNS, 7, dry, &e),
			 0);
	for (int r = 0; r < RUNS; r++)
		assert_true(dry[r] == now + 26 * DAY);
	assert_int_equal(forecast_percentile(dry, RUNS, 50),
			 date_of_instant(now) + 26);
}

/* Amounts of X/2 and 3X/2 alike (mean X, deviation X/2), one a day, Y =
 * 50 X left. After k arrivals the spending has mean kX and deviation
 * sqrt(k) X/2, 3.5 X at k = 50: the day a run runs dry has a median of
 * about Y/X = 50 days and a spread of about 3.5 days (its 10th and 90th
 * percentiles about 4.5 days either side). Over 200 runs the median's
 * own error is about 1.25 x 3.5 / sqrt(200) = 0.3 days, so the median
 * within 3 days of Y/X is a wide margin (ten times its error), the
 * interval holds Y/X, and it is neither a point nor wider than 20 days. */
static void test_median_near_left_over_pace(void **state)
{
	int64_t at[N], dry[RUNS];
	money_t amt[N];
	int64_t now = now_of(at);
	qdate today = date_of_instant(now), p10, p50, p90;
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = i % 2 ? X / 2 : 3 * X / 2;
	assert_int_equal(forecast_runs(at, amt, N, 50 * X, now, now + 365 * DAY,
				       RUNS, 1, dry, &e),
			 0);
	p10 = forecast_percentile(dry, RUNS, 10);
	p50 = forecast_percentile(dry, RUNS, 50);
	p90 = forecast_percentile(dry, RUNS, 90);
	assert_true(p50 != FORECAST_NONE && p10 != FORECAST_NONE &&
		    p90 != FORECAST_NONE);
	assert_true(abs((p50 - today) - 50) <= 3);
	assert_true(p10 <= today + 50 && today + 50 <= p90);
	assert_true(p10 < p90 && p90 - p10 <= 20);
}

/* The same seed gives the same runs; another seed other runs. */
static void test_deterministic_for_a_seed(void **state)
{
	int64_t at[N], a[RUNS], b[RUNS], c[RUNS];
	money_t amt[N];
	int64_t now = now_of(at);
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = (money_t)(i * 7919 % 31 + 1) * X / 8;
	assert_int_equal(forecast_runs(at, amt, N, 40 * X, now, now + 365 * DAY,
				       RUNS, 42, a, &e),
			 0);
	assert_int_equal(forecast_runs(at, amt, N, 40 * X, now, now + 365 * DAY,
				       RUNS, 42, b, &e),
			 0);
	assert_int_equal(forecast_runs(at, amt, N, 40 * X, now, now + 365 * DAY,
				       RUNS, 43, c, &e),
			 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_true(memcmp(a, c, sizeof(a)) != 0);
}

/* A run stops at its end: 10 days at X a day do not empty 50 X. */
static void test_not_within_the_end(void **state)
{
	int64_t at[N], dry[RUNS];
	money_t amt[N];
	int64_t now = now_of(at);
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = X;
	assert_int_equal(forecast_runs(at, amt, N, 50 * X, now, now + 10 * DAY,
				       RUNS, 1, dry, &e),
			 0);
	for (int r = 0; r < RUNS; r++)
		assert_true(dry[r] == INT64_MAX);
	assert_int_equal(forecast_percentile(dry, RUNS, 10), FORECAST_NONE);
}

/* Everything received in the same second still moves time (the gaps
 * add up to a day at least, so every run ends), and nearest rank picks a
 * run itself. */
static void test_one_second_history(void **state)
{
	int64_t at[3] = {1000, 1000, 1000}, dry[4];
	money_t amt[3] = {X, X, X};
	struct qerr e;

	(void)state;
	assert_int_equal(forecast_runs(at, amt, 3, 2 * X, 1000,
				       1000 + 365 * DAY, 4, 1, dry, &e),
			 0);
	for (int r = 0; r < 4; r++)
		assert_true(dry[r] >= 1000 && dry[r] < INT64_MAX);
	assert_int_equal(forecast_percentile(dry, 4, 50),
			 date_of_instant(dry[1]));
	assert_int_equal(forecast_percentile(dry, 4, 100),
			 date_of_instant(dry[3]));
}

/* waitlist: fit. Every other arrival asks 10 X, the rest X, and 5.5 X is
 * left. Strict: the first 10 X is refused and the pool is dry that day.
 * Fit: that day is only the first refusal; the X asks are served until
 * less than X (the smallest ask) is left, after the fifth of them. One
 * run of a seed draws the same arrivals in both modes, so fit's first
 * refusal is strict's dry day exactly; fit's dry day is mostly later. */
static void test_fit_serves_past_the_first_refusal(void **state)
{
	int64_t at[N], strict, dry, refused, end;
	money_t amt[N];
	int64_t now = now_of(at);
	int later = 0;
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = i % 2 ? 10 * X : X;
	end = now + 365 * DAY;
	for (uint64_t seed = 1; seed <= RUNS; seed++) {
		assert_int_equal(forecast_runs(at, amt, N, 5 * X + X / 2, now,
					       end, 1, seed, &strict, &e),
				 0);
		assert_int_equal(forecast_runs_fit(at, amt, N, 5 * X + X / 2,
						   now, end, 1, seed, true,
						   &dry, &refused, &e),
				 0);
		assert_true(strict < INT64_MAX);
		assert_true(refused == strict);
		/* dry, and before the first refusal only when five X asks
		 * came first, and then the next arrival was refused */
		assert_true(dry < INT64_MAX);
		/* five X asks take at least five days */
		assert_true(dry >= now + 5 * DAY);
		later += dry > strict;
		/* without fit, the first refusal is the dry day */
		assert_int_equal(forecast_runs_fit(at, amt, N, 5 * X + X / 2,
						   now, end, 1, seed, false,
						   &dry, &refused, &e),
				 0);
		assert_true(dry == strict && refused == strict);
	}
	/* in most runs a 10 X ask comes before the fifth X one */
	assert_true(later > RUNS / 2);
}

/* Fit, every ask X and 25.5 X left: 25 are served, and the pool is dry on
 * the 25th day (0.5 X left, below every ask), a day before the 26th is
 * refused. Less than X left at the start: dry now. */
static void test_fit_dry_below_the_smallest_ask(void **state)
{
	int64_t at[N], dry[RUNS], refused[RUNS];
	money_t amt[N];
	int64_t now = now_of(at);
	struct qerr e;

	(void)state;
	for (int i = 0; i < N; i++)
		amt[i] = X;
	assert_int_equal(forecast_runs_fit(at, amt, N, 25 * X + X / 2, now,
					   now + 365 * DAY, RUNS, 7, true, dry,
					   refused, &e),
			 0);
	for (int r = 0; r < RUNS; r++) {
		assert_true(dry[r] == now + 25 * DAY);
		assert_true(refused[r] == now + 26 * DAY);
	}
	assert_int_equal(forecast_runs_fit(at, amt, N, X - 1, now,
					   now + 365 * DAY, RUNS, 7, true, dry,
					   refused, &e),
			 0);
	for (int r = 0; r < RUNS; r++) {
		assert_true(dry[r] == now);
		assert_true(refused[r] == now + DAY);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_pace_is_exact),
		cmocka_unit_test(test_median_near_left_over_pace),
		cmocka_unit_test(test_deterministic_for_a_seed),
		cmocka_unit_test(test_not_within_the_end),
		cmocka_unit_test(test_one_second_history),
		cmocka_unit_test(test_fit_serves_past_the_first_refusal),
		cmocka_unit_test(test_fit_dry_below_the_smallest_ask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
