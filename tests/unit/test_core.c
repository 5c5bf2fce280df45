/*
 * test_core.c - money, rates, dates and USCCs (src/core/): round trips,
 * the rounding rule, overflow at the edges of int64, and every refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/date.h"
#include "core/err.h"
#include "core/industry.h"
#include "core/money.h"
#include "core/strmap.h"
#include "core/uscc.h"

/* ---- money ---------------------------------------------------------------- */

static money_t money_ok(const char *s)
{
	money_t m = -1;
	struct qerr e;
	int rc = money_parse(s, strlen(s), &m, "v", &e);

	if (rc)
		print_error("'%s': %s\n", s, e.msg);
	assert_int_equal(rc, Q_OK);
	return m;
}

static void money_bad(const char *s, size_t len, const char *words)
{
	money_t m = 12345;
	struct qerr e;

	qerr_clear(&e);
	assert_int_equal(money_parse(s, len, &m, "contract.value", &e),
			 Q_ERR_INVALID_MONEY);
	assert_int_equal(e.code, Q_ERR_INVALID_MONEY);
	assert_string_equal(e.field, "contract.value");
	if (!strstr(e.msg, words))
		print_error("'%.*s': %s\n", (int)len, s, e.msg);
	assert_non_null(strstr(e.msg, words));
	assert_non_null(strstr(e.msg, "contract.value"));
	assert_int_equal(m, 12345); /* untouched on error */
}

static void test_money_parse(void **state)
{
	(void)state;
	assert_int_equal(money_ok("0"), 0);
	assert_int_equal(money_ok("0.00"), 0);
	assert_int_equal(money_ok("1"), 100);
	assert_int_equal(money_ok("1.5"), 150);
	assert_int_equal(money_ok("1.05"), 105);
	assert_int_equal(money_ok("0.01"), 1);
	assert_int_equal(money_ok("1200000.00"), 120000000);
	assert_int_equal(money_ok("007.10"), 710);
	/* The largest amount: INT64_MAX fen. */
	assert_int_equal(money_ok("92233720368547758.07"), INT64_MAX);
	/* Not NUL-terminated: only len bytes are read. */
	{
		money_t m;

		assert_int_equal(money_parse("12.34999", 5, &m, "v", NULL),
				 Q_OK);
		assert_int_equal(m, 1234);
	}
}

static void test_money_refused(void **state)
{
	(void)state;
	money_bad("12.345", 6, "more than two decimals");
	money_bad("-5.00", 5, "negative");
	money_bad("1e9", 3, "not a decimal amount");
	money_bad("", 0, "empty");
	money_bad(".", 1, "not a decimal amount");
	money_bad("1.", 2, "not a decimal amount");
	money_bad(".5", 2, "not a decimal amount");
	money_bad("+1", 2, "not a decimal amount");
	money_bad(" 1", 2, "not a decimal amount");
	money_bad("1 ", 2, "not a decimal amount");
	money_bad("1,000.00", 8, "not a decimal amount");
	money_bad("1.0.0", 5, "not a decimal amount");
	money_bad("0x10", 4, "not a decimal amount");
	money_bad("1\0", 2, "not a decimal amount");
	money_bad("92233720368547758.08", 20, "too large");
	money_bad("92233720368547759", 17, "too large");
	money_bad("99999999999999999999999999999999", 32, "too large");
	/* A long input is quoted only in part. */
	{
		char big[300];
		struct qerr e;
		money_t m;

		memset(big, '9', sizeof(big));
		assert_int_equal(money_parse(big, sizeof(big), &m, "v", &e),
				 Q_ERR_INVALID_MONEY);
		assert_true(strlen(e.msg) < 120);
	}
}

static void test_money_format(void **state)
{
	char buf[MONEY_TEXT_MAX];

	(void)state;
	assert_string_equal(money_format(0, buf), "0.00");
	assert_string_equal(money_format(1, buf), "0.01");
	assert_string_equal(money_format(-5, buf), "-0.05");
	assert_string_equal(money_format(120000000, buf), "1200000.00");
	assert_string_equal(money_format(-123456, buf), "-1234.56");
	assert_string_equal(money_format(INT64_MAX, buf),
			    "92233720368547758.07");
	assert_string_equal(money_format(INT64_MIN, buf),
			    "-92233720368547758.08");
	assert_true(strlen(money_format(INT64_MIN, buf)) < MONEY_TEXT_MAX);
}

static void test_money_round_trip(void **state)
{
	static const money_t samples[] = {0,
					  1,
					  9,
					  10,
					  99,
					  100,
					  101,
					  12345,
					  120000000,
					  999999999,
					  INT64_MAX,
					  INT64_MAX - 1,
					  INT64_MAX / 100 * 100};
	char buf[MONEY_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		assert_int_equal(money_ok(money_format(samples[i], buf)),
				 samples[i]);
	/* A walk over many magnitudes. */
	for (money_t m = 1; m < INT64_MAX / 7; m = m * 7 + 3)
		assert_int_equal(money_ok(money_format(m, buf)), m);
	/* Text that is already canonical comes back the same. */
	assert_string_equal(money_format(money_ok("600000000.00"), buf),
			    "600000000.00");
	assert_string_equal(money_format(money_ok("0.5"), buf), "0.50");
}

/* money_scale's rule in 128 bits, as written before its 64-bit path. */
static int scale_ref(money_t a, int64_t num, int64_t den, money_t *out)
{
	__int128 p = (__int128)a * num, q;

	if (den <= 0)
		return Q_ERR_INVALID;
	q = p / den;
	if (p % den != 0 && p < 0)
		q -= 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return Q_ERR_OVERFLOW;
	*out = (money_t)q;
	return Q_OK;
}

/* The 64-bit path and the 128-bit one give the same floor and the same
 * errors: at the edges, and over random operands of every size. */
static void test_money_scale_paths(void **state)
{
	static const int64_t edge[] = {0,
				       1,
				       -1,
				       2,
				       -2,
				       3,
				       10000,
				       -10000,
				       3037000499,
				       -3037000499,
				       3037000500,
				       INT32_MAX,
				       INT32_MIN,
				       INT64_MAX,
				       INT64_MIN,
				       INT64_MAX - 1,
				       INT64_MIN + 1};
	const size_t ne = sizeof(edge) / sizeof(edge[0]);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t i = 0; i < ne; i++)
		for (size_t j = 0; j < ne; j++)
			for (size_t k = 0; k < ne; k++) {
				money_t r1 = 7, r2 = 7;
				int c1 = money_scale(edge[i], edge[j], edge[k],
						     &r1);
				int c2 = scale_ref(edge[i], edge[j], edge[k],
						   &r2);

				assert_int_equal(c1, c2);
				if (!c1)
					assert_true(r1 == r2);
			}
	for (int n = 0; n < 200000; n++) {
		int64_t v[3];
		money_t r1 = 7, r2 = 7;

		for (int k = 0; k < 3; k++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			/* Every magnitude: shift a random word right by 0..63. */
			v[k] = (int64_t)((x * 0x2545f4914f6cdd1dull) >>
					 (x % 64));
			if (x & 1) /* negated in unsigned: INT64_MIN stays */
				v[k] = (int64_t)(0 - (uint64_t)v[k]);
		}
		if (v[2] <= 0) /* a divisor: 1 .. INT64_MAX */
			v[2] = v[2] == INT64_MIN ? INT64_MAX : 1 - v[2];
		assert_int_equal(money_scale(v[0], v[1], v[2], &r1),
				 scale_ref(v[0], v[1], v[2], &r2));
		assert_true(r1 == r2);
	}
}

static void test_money_scale(void **state)
{
	money_t r;

	(void)state;
	/* floor: toward minus infinity, for both signs */
	assert_int_equal(money_scale(100000003, 3000, 10000, &r), Q_OK);
	assert_int_equal(r, 30000000); /* 1,000,000.03 x 30% = 300,000.009 */
	assert_int_equal(money_scale(5, 3000, 10000, &r), Q_OK);
	assert_int_equal(r, 1); /* 0.05 x 30% = 0.015 -> 0.01 */
	assert_int_equal(money_scale(-5, 3000, 10000, &r), Q_OK);
	assert_int_equal(r, -2); /* -0.015 -> -0.02 */
	assert_int_equal(money_scale(5, -3000, 10000, &r), Q_OK);
	assert_int_equal(r, -2);
	assert_int_equal(money_scale(-10, 3000, 10000, &r), Q_OK);
	assert_int_equal(r, -3); /* exact: no extra step down */
	assert_int_equal(money_scale(7, 1, 3, &r), Q_OK);
	assert_int_equal(r, 2);
	assert_int_equal(money_scale(-7, 1, 3, &r), Q_OK);
	assert_int_equal(r, -3);
	assert_int_equal(money_scale(0, 12345, 7, &r), Q_OK);
	assert_int_equal(r, 0);
	/* No intermediate overflow: a * num exceeds int64, the result not. */
	assert_int_equal(money_scale(INT64_MAX, 10000, 10000, &r), Q_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_scale(INT64_MAX, INT64_MAX, INT64_MAX, &r),
			 Q_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_scale(INT64_MIN, 1, 1, &r), Q_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_scale(INT64_MAX, 3, 2, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_scale(INT64_MIN, -1, 1, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_scale(1, 1, 0, &r), Q_ERR_INVALID);
	assert_int_equal(money_scale(1, 1, -1, &r), Q_ERR_INVALID);
	/* money_apply_rate is money_scale over 10000 */
	assert_int_equal(money_apply_rate(120000000, 3000, &r), Q_OK);
	assert_int_equal(r, 36000000);
	assert_int_equal(money_apply_rate(2666666664, 3000, &r), Q_OK);
	assert_int_equal(r, 799999999); /* 7,999,999.992 -> 7,999,999.99 */
}

static void test_money_overflow(void **state)
{
	money_t r = 77;

	(void)state;
	assert_int_equal(money_add(INT64_MAX - 1, 1, &r), Q_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_add(INT64_MAX, 1, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_add(INT64_MIN, -1, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_add(INT64_MAX, INT64_MIN, &r), Q_OK);
	assert_int_equal(r, -1);
	assert_int_equal(money_sub(INT64_MIN + 1, 1, &r), Q_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_sub(INT64_MIN, 1, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_sub(0, INT64_MIN, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_mul_int(INT64_MAX / 2, 2, &r), Q_OK);
	assert_int_equal(r, INT64_MAX - 1);
	assert_int_equal(money_mul_int(INT64_MAX / 2 + 1, 2, &r),
			 Q_ERR_OVERFLOW);
	assert_int_equal(money_mul_int(INT64_MIN, -1, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_mul_int(-1, INT64_MIN, &r), Q_ERR_OVERFLOW);
	assert_int_equal(money_mul_int(INT64_MIN, 1, &r), Q_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_min(3, -4), -4);
	assert_int_equal(money_max(3, -4), 3);
}

/* ---- rates ---------------------------------------------------------------- */

static void rate_round(const char *in, rate_bp want, const char *out)
{
	rate_bp r = -1;
	char buf[RATE_TEXT_MAX];
	struct qerr e;
	int rc = rate_parse(in, strlen(in), &r, "rate", &e);

	if (rc)
		print_error("'%s': %s\n", in, e.msg);
	assert_int_equal(rc, Q_OK);
	assert_int_equal(r, want);
	assert_string_equal(rate_format(r, buf), out);
}

static void rate_bad(const char *s, const char *words)
{
	rate_bp r = 7;
	struct qerr e;

	assert_int_equal(rate_parse(s, strlen(s), &r, "rates.rate", &e),
			 Q_ERR_INVALID_RATE);
	assert_string_equal(e.field, "rates.rate");
	if (!strstr(e.msg, words))
		print_error("'%s': %s\n", s, e.msg);
	assert_non_null(strstr(e.msg, words));
	assert_int_equal(r, 7);
}

static void test_rates(void **state)
{
	(void)state;
	rate_round("30%", 3000, "30%");
	rate_round("12.5%", 1250, "12.5%");
	rate_round("12.50%", 1250, "12.5%");
	rate_round("0.05%", 5, "0.05%");
	rate_round("0%", 0, "0%");
	rate_round("100%", 10000, "100%");
	rate_round("1000%", 100000, "1000%");
	rate_round("33.33%", 3333, "33.33%");
	rate_bad("30", "not a percentage");
	rate_bad("1001%", "above 1000%");
	rate_bad("1000.01%", "above 1000%");
	rate_bad("99999999999999999999%", "above 1000%");
	rate_bad("", "not a percentage");
	rate_bad("%", "not a percentage");
	rate_bad("-5%", "not a percentage");
	rate_bad("5.%", "not a percentage");
	rate_bad(".5%", "not a percentage");
	rate_bad("5.555%", "more than two decimals");
	rate_bad("30 %", "not a percentage");
	rate_bad("30%%", "not a percentage");
	rate_bad("0.3", "not a percentage");
}

/* An approval's rate reads the same in the CLI and the API: "20%" or
 * whole basis points, never above 100 %. */
static void test_rate_given(void **state)
{
	static const struct {
		const char *in;
		rate_bp want;
	} good[] = {{"20%", 2000}, {"2000", 2000},   {"12.5%", 1250}, {"0", 0},
		    {"0%", 0},	   {"10000", 10000}, {"100%", 10000}, {"5", 5}};
	static const char *const bad[] = {
		"",	"%",	 "20 %",  "-20",   "20.5",	    "abc",
		"101%", "10001", "2000x", "1000%", "99999999999999"};
	struct qerr e;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rate_bp r = -1;

		assert_int_equal(rate_parse_given(good[i].in,
						  strlen(good[i].in), &r,
						  "rate", &e),
				 Q_OK);
		assert_int_equal(r, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rate_bp r = 7;

		assert_int_equal(rate_parse_given(bad[i], strlen(bad[i]), &r,
						  "rate", &e),
				 Q_ERR_INVALID_RATE);
		assert_string_equal(e.field, "rate");
		assert_int_equal(r, 7);
	}
}

static void test_rate_format_all(void **state)
{
	char buf[RATE_TEXT_MAX];

	(void)state;
	/* Every rate the parser accepts formats to text it reads back. */
	for (rate_bp r = 0; r <= 100000; r++) {
		rate_bp back = -1;

		rate_format(r, buf);
		assert_int_equal(rate_parse(buf, strlen(buf), &back, "r", NULL),
				 Q_OK);
		assert_int_equal(back, r);
	}
	assert_string_equal(rate_format(-1250, buf), "-12.5%");
}

/* ---- dates ---------------------------------------------------------------- */

static qdate date_ok(const char *s)
{
	qdate d = -1;
	struct qerr e;
	int rc = date_parse(s, strlen(s), &d, "d", &e);

	if (rc)
		print_error("'%s': %s\n", s, e.msg);
	assert_int_equal(rc, Q_OK);
	return d;
}

static void date_bad(const char *s, const char *words)
{
	qdate d = 99;
	struct qerr e;

	assert_int_equal(date_parse(s, strlen(s), &d, "contract.signed_on", &e),
			 Q_ERR_INVALID_DATE);
	assert_string_equal(e.field, "contract.signed_on");
	if (!strstr(e.msg, words))
		print_error("'%s': %s\n", s, e.msg);
	assert_non_null(strstr(e.msg, words));
	assert_int_equal(d, 99);
}

static void test_dates(void **state)
{
	char buf[DATE_TEXT_MAX];

	(void)state;
	assert_int_equal(date_ok("1970-01-01"), 0);
	assert_int_equal(date_ok("1970-01-02"), 1);
	assert_int_equal(date_ok("1969-12-31"), -1);
	assert_int_equal(date_ok("2000-03-01") - date_ok("2000-02-28"), 2);
	assert_int_equal(date_ok("1900-03-01") - date_ok("1900-02-28"), 1);
	assert_int_equal(date_ok("2024-03-01") - date_ok("2024-02-28"), 2);
	assert_int_equal(date_ok("2025-03-01") - date_ok("2025-02-28"), 1);
	assert_int_equal(date_ok("2025-08-15"), 20315);
	date_ok("2024-02-29");
	date_ok("2000-02-29");
	date_ok("1900-01-01");
	date_ok("2200-12-31");
	date_bad("2025-02-30", "day 30 of '2025-02-30' does not exist");
	date_bad("2025-02-29", "does not exist");
	date_bad("1900-02-29", "does not exist"); /* 1900 is not leap */
	date_bad("2100-02-29", "does not exist");
	date_bad("2025-04-31", "does not exist");
	date_bad("2025-13-01", "month 13");
	date_bad("2025-00-10", "month 0");
	date_bad("2025-01-00", "day 0");
	date_bad("1899-12-31", "out of range");
	date_bad("2201-01-01", "out of range");
	date_bad("2025-8-15", "not a date");
	date_bad("2025/08/15", "not a date");
	date_bad("2025-08-15 ", "not a date");
	date_bad("20250815", "not a date");
	date_bad("", "not a date");
	date_bad("2025-0a-15", "not a date");
	date_bad("+025-08-15", "not a date");
	assert_string_equal(date_format(date_ok("2025-08-15"), buf),
			    "2025-08-15");
	assert_int_equal(date_days_in_month(2024, 2), 29);
	assert_int_equal(date_days_in_month(2023, 2), 28);
	assert_int_equal(date_days_in_month(2000, 2), 29);
	assert_int_equal(date_days_in_month(1900, 2), 28);
	assert_int_equal(date_days_in_month(2025, 12), 31);
	assert_int_equal(date_year(date_ok("2025-12-31")), 2025);
}

static void test_dates_every_day(void **state)
{
	qdate t = date_from_ymd(DATE_MIN_YEAR, 1, 1);
	char buf[DATE_TEXT_MAX];

	(void)state;
	/* Every day of 1900..2200 in order: consecutive day numbers, and
	 * each survives ymd, text and back. */
	for (int y = DATE_MIN_YEAR; y <= DATE_MAX_YEAR; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= date_days_in_month(y, m); d++) {
				int yy, mm, dd;
				qdate back;

				assert_int_equal(date_from_ymd(y, m, d), t);
				date_to_ymd(t, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);
				date_format(t, buf);
				assert_int_equal(
					date_parse(buf, 10, &back, "d", NULL),
					Q_OK);
				assert_int_equal(back, t);
				t++;
			}
		}
	}
}

static void test_date_add_years(void **state)
{
	(void)state;
	assert_int_equal(date_add_years(date_ok("2024-02-29"), 1),
			 date_ok("2025-02-28"));
	assert_int_equal(date_add_years(date_ok("2024-02-29"), 4),
			 date_ok("2028-02-29"));
	assert_int_equal(date_add_years(date_ok("2024-02-29"), -4),
			 date_ok("2020-02-29"));
	assert_int_equal(date_add_years(date_ok("2024-02-29"), -124),
			 date_ok("1900-02-28"));
	assert_int_equal(date_add_years(date_ok("2025-08-15"), -3),
			 date_ok("2022-08-15"));
	assert_int_equal(date_add_years(date_ok("2025-12-31"), 0),
			 date_ok("2025-12-31"));
}

static void dt_ok(const char *s, int64_t epoch, qdate day)
{
	int64_t t = -1;
	qdate local = -1;
	struct qerr e;
	int rc = datetime_parse(s, strlen(s), &t, &local, "received_at", &e);

	if (rc)
		print_error("'%s': %s\n", s, e.msg);
	assert_int_equal(rc, Q_OK);
	assert_int_equal(t, epoch);
	assert_int_equal(local, day);
}

static void dt_bad(const char *s, int code, const char *words)
{
	int64_t t = 5;
	struct qerr e;

	assert_int_equal(
		datetime_parse(s, strlen(s), &t, NULL, "received_at", &e),
		code);
	assert_string_equal(e.field, "received_at");
	if (!strstr(e.msg, words))
		print_error("'%s': %s\n", s, e.msg);
	assert_non_null(strstr(e.msg, words));
	assert_int_equal(t, 5);
}

static void test_datetime(void **state)
{
	const int64_t d0901 = (int64_t)date_from_ymd(2025, 9, 1) * 86400;
	const qdate day0901 = date_from_ymd(2025, 9, 1);

	(void)state;
	dt_ok("2025-09-01T10:00:00Z", d0901 + 36000, day0901);
	dt_ok("2025-09-01T10:00:00+08:00", d0901 + 7200, day0901);
	dt_ok("2025-09-01T10:00:00-05:30", d0901 + 36000 + 5 * 3600 + 1800,
	      day0901);
	/* The local day is the date as written, before the offset. */
	dt_ok("2026-01-01T00:00:00+08:00",
	      (int64_t)date_from_ymd(2025, 12, 31) * 86400 + 16 * 3600,
	      date_from_ymd(2026, 1, 1));
	dt_ok("1970-01-01T00:00:00Z", 0, 0);
	dt_ok("2025-12-31T23:59:59+08:00",
	      (int64_t)date_from_ymd(2025, 12, 31) * 86400 + 15 * 3600 + 3599,
	      date_from_ymd(2025, 12, 31));
	dt_bad("2025-09-01T10:00:00", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01 10:00:00Z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00.5Z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T24:00:00Z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:60:00Z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:60Z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00+0800", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00+15:00", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00+08:60", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00z", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-09-01T10:00:00Z ", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("2025-02-30T10:00:00Z", Q_ERR_INVALID_DATE, "does not exist");
	dt_bad("2025-09-01", Q_ERR_INVALID_DATE, "not a time");
	dt_bad("", Q_ERR_INVALID_DATE, "not a time");
}

/* The office's calendar (UTC+8): the day of an instant, and its text. */
static void test_office_calendar(void **state)
{
	const int64_t h8 = 8 * 3600;
	const int64_t ny2026 =
		(int64_t)date_from_ymd(2025, 12, 31) * 86400 + 16 * 3600;
	char buf[DATETIME_TEXT_MAX];

	(void)state;
	assert_int_equal(DATE_OFFICE_OFFSET, h8);
	/* The epoch is 08:00 in the office; its midnight is 16:00 UTC the
	 * day before. */
	assert_int_equal(date_of_instant(0), 0);
	assert_int_equal(date_of_instant(-h8), 0);
	assert_int_equal(date_of_instant(86400 - h8 - 1), 0);
	assert_int_equal(date_of_instant(86400 - h8), 1);
	/* Before 1970 the day is floored, not truncated toward zero. */
	assert_int_equal(date_of_instant(-h8 - 1), -1);
	assert_int_equal(date_of_instant(-h8 - 86400), -1);
	assert_int_equal(date_of_instant(-h8 - 86400 - 1), -2);
	assert_int_equal(
		date_of_instant((int64_t)date_from_ymd(1900, 1, 1) * 86400 -
				h8),
		date_from_ymd(1900, 1, 1));
	/* New year's eve in UTC is new year's day in the office. */
	assert_int_equal(date_of_instant(ny2026), date_from_ymd(2026, 1, 1));
	assert_int_equal(date_year(date_of_instant(ny2026)), 2026);
	assert_int_equal(date_of_instant(ny2026 - 1),
			 date_from_ymd(2025, 12, 31));
	assert_int_equal(date_year(date_of_instant(ny2026 - 1)), 2025);

	assert_string_equal(datetime_format(0, buf),
			    "1970-01-01T08:00:00+08:00");
	assert_int_equal(strlen(buf), DATETIME_TEXT_MAX - 1);
	assert_string_equal(datetime_format(-h8 - 1, buf),
			    "1969-12-31T23:59:59+08:00");
	assert_string_equal(datetime_format(-h8, buf),
			    "1970-01-01T00:00:00+08:00");
	assert_string_equal(datetime_format(ny2026, buf),
			    "2026-01-01T00:00:00+08:00");
	assert_string_equal(datetime_format(ny2026 - 1, buf),
			    "2025-12-31T23:59:59+08:00");
	assert_string_equal(datetime_format(1760000000, buf),
			    "2025-10-09T16:53:20+08:00");
	assert_string_equal(
		datetime_format((int64_t)date_from_ymd(1900, 1, 1) * 86400 - h8,
				buf),
		"1900-01-01T00:00:00+08:00");
	assert_string_equal(
		datetime_format((int64_t)date_from_ymd(1955, 6, 30) * 86400 -
					h8 + 13 * 3600 + 7 * 60 + 5,
				buf),
		"1955-06-30T13:07:05+08:00");
}

/* datetime_format and datetime_parse are inverses over the whole calendar,
 * before 1970 too, and the parsed day is date_of_instant's. */
static void test_office_calendar_round_trip(void **state)
{
	const int64_t from =
		(int64_t)date_from_ymd(DATE_MIN_YEAR, 1, 1) * 86400 + 1;
	const int64_t to =
		(int64_t)date_from_ymd(DATE_MAX_YEAR, 12, 31) * 86400 -
		DATE_OFFICE_OFFSET;
	char buf[DATETIME_TEXT_MAX];
	long n = 0;

	(void)state;
	/* A prime stride, so every second of the day and every day of the
	 * week is visited. */
	for (int64_t t = from; t < to; t += 86400 * 7 + 7919, n++) {
		int64_t back = 0;
		qdate day = -99999;
		struct qerr e;

		datetime_format(t, buf);
		if (datetime_parse(buf, strlen(buf), &back, &day, "t", &e) ||
		    back != t || day != date_of_instant(t))
			fail_msg("%lld: '%s' parsed back to %lld, day %d (%s)",
				 (long long)t, buf, (long long)back, (int)day,
				 e.msg);
	}
	assert_true(n > 10000);
	/* Every second around the office's midnights next to 1970. */
	for (int64_t t = -2 * 86400 - 30; t < 2 * 86400 + 30; t += 1) {
		int64_t back = 0;
		qdate day = -99999;
		struct qerr e;

		datetime_format(t, buf);
		assert_int_equal(
			datetime_parse(buf, strlen(buf), &back, &day, "t", &e),
			Q_OK);
		assert_int_equal(back, t);
		assert_int_equal(day, date_of_instant(t));
	}
}

/* ---- USCC ----------------------------------------------------------------- */

static void uscc_bad(const char *s, const char *words)
{
	struct qerr e;

	assert_int_equal(uscc_check(s, strlen(s), "applicant.uscc", &e),
			 Q_ERR_INVALID_USCC);
	assert_int_equal(e.code, Q_ERR_INVALID_USCC);
	assert_string_equal(e.field, "applicant.uscc");
	if (!strstr(e.msg, words))
		print_error("'%s': %s\n", s, e.msg);
	assert_non_null(strstr(e.msg, words));
}

static void test_uscc(void **state)
{
	struct qerr e;

	(void)state;
	assert_int_equal(uscc_check("91310115MA1K4ABCDD", 18, "u", &e), Q_OK);
	assert_int_equal(uscc_check("91310104MA1FR5T2K1", 18, "u", &e), Q_OK);
	/* A code often quoted as an example (Fujian): 91350100M000100Y43. */
	assert_int_equal(uscc_check_char("91350100M000100Y4"), '3');
	assert_int_equal(uscc_check_char("91310115MA1K4ABCD"), 'D');
	assert_int_equal(uscc_check_char("9131011IMA1K4ABCD"), 0);
	/* Only the first 18 bytes of a longer buffer, with len 18. */
	assert_int_equal(uscc_check("91310115MA1K4ABCDDxyz", 18, "u", &e),
			 Q_OK);

	uscc_bad("91310115ma1k4abcdd", "capitals");
	uscc_bad("91310115MA1K4ABCDd", "capitals");
	uscc_bad("9131I115MA1K4ABCDD",
		 "character 5 of '9131I115MA1K4ABCDD' is 'I'");
	uscc_bad("9131I115MA1K4ABCDD", "never uses");
	uscc_bad("91310115MA1K4ABCD", "has 17 characters");
	uscc_bad("91310115MA1K4ABCDD1", "has 19 characters");
	uscc_bad("", "has 0 characters");
	uscc_bad(
		"91310115MA1K4ABCDX",
		"character 18 of '91310115MA1K4ABCDX' is 'X', the check character should be 'D'");
	uscc_bad("913A0115MA1K4ABCDD", "character 4");
	uscc_bad("913A0115MA1K4ABCDD", "characters 3-8 are the division code");
	uscc_bad("9131011AMA1K4ABCDD", "character 8");
	uscc_bad("91310115MA1K4ABCOD", "character 17 of");
	uscc_bad("91310115MA1K4AB-DD", "character 16 of");
	uscc_bad("91310115MA1K4AB\x01"
		 "DD",
		 "byte 0x01");
	{
		char longer[200];

		memset(longer, '9', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		uscc_bad(longer, "has 199 characters");
	}
}

static void test_uscc_every_check_char(void **state)
{
	/* Changing character 18 to each other letter of the alphabet is
	 * caught, and the message names the right one. */
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char s[19] = "91310115MA1K4ABCDD";

	(void)state;
	for (const char *c = alphabet; *c; c++) {
		struct qerr e;
		int rc;

		s[17] = *c;
		rc = uscc_check(s, 18, "u", &e);
		if (*c == 'D') {
			assert_int_equal(rc, Q_OK);
		} else {
			assert_int_equal(rc, Q_ERR_INVALID_USCC);
			assert_non_null(strstr(
				e.msg, "the check character should be 'D'"));
		}
	}
}

static void test_qerr(void **state)
{
	struct qerr e;

	(void)state;
	assert_int_equal(qerr_set(&e, Q_ERR_OVERFLOW, "a.b", "x %d", 5),
			 Q_ERR_OVERFLOW);
	assert_string_equal(e.field, "a.b");
	assert_string_equal(e.msg, "x 5");
	assert_int_equal(qerr_set(NULL, Q_ERR_IO, "f", "m"), Q_ERR_IO);
	qerr_clear(&e);
	assert_int_equal(e.code, Q_OK);
	assert_string_equal(e.field, "");
	assert_string_equal(qerr_name(Q_ERR_INVALID_MONEY), "invalid_money");
	assert_string_equal(qerr_name(Q_ERR_TOO_LARGE), "too_large");
	assert_string_equal(qerr_name(-1), "unknown_error");
	assert_string_equal(qerr_name(Q_ERR__COUNT), "unknown_error");
	for (int c = 0; c < Q_ERR__COUNT; c++)
		assert_non_null(qerr_name(c));
	/* "Not found" is outside the error codes: never mistaken for one. */
	assert_int_equal(Q_NONE, 100);
	assert_true(Q_NONE >= Q_ERR__COUNT);
	assert_true(Q_NONE != Q_OK);
}

/* The industry codes the application form offers are codes, in order,
 * each once, with both names. */
static void test_industry_names(void **state)
{
	const struct industry_name *n;
	size_t count = industry_names(&n);
	int sections = 0;
	struct qerr e;

	(void)state;
	assert_true(count >= 20);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(industry_check(n[i].code, strlen(n[i].code),
						"code", &e),
				 Q_OK);
		assert_true(*n[i].zh && *n[i].en);
		sections += n[i].code[1] == '\0';
		if (i)
			assert_true(strcmp(n[i - 1].code, n[i].code) < 0);
	}
	assert_int_equal(sections, 20); /* A to T */
	assert_true(industry_within("I65", "I"));
}

static int count_each(void *arg, const char *key, void *val)
{
	long *sum = arg;

	assert_non_null(key);
	*sum += *(long *)val;
	return 0;
}

/* strmap: values found again across growth, a pointer kept valid while the
 * table grows, the maximum refused, and every entry visited once. */
static void test_strmap(void **state)
{
	struct strmap m;
	char key[32];
	long *first, sum = 0;
	bool is_new;

	(void)state;
	strmap_init(&m, sizeof(long), 1000);
	assert_null(strmap_get(&m, "absent"));
	first = strmap_add(&m, "k0", &is_new);
	assert_non_null(first);
	assert_true(is_new);
	*first = 0;
	for (long i = 1; i < 1000; i++) {
		long *v;

		snprintf(key, sizeof(key), "k%ld", i);
		v = strmap_add(&m, key, &is_new);
		assert_non_null(v);
		assert_true(is_new);
		assert_int_equal(*v, 0);
		*v = i;
	}
	assert_ptr_equal(strmap_get(&m, "k0"), first);
	assert_ptr_equal(strmap_add(&m, "k0", &is_new), first);
	assert_false(is_new);
	assert_int_equal(*(long *)strmap_get(&m, "k999"), 999);
	assert_null(strmap_add(&m, "one too many", &is_new));
	assert_null(strmap_get(&m, "one too many"));
	assert_int_equal(strmap_each(&m, count_each, &sum), 0);
	assert_int_equal(sum, 999L * 1000 / 2);
	strmap_release(&m);
	assert_null(strmap_get(&m, "k1"));
	assert_non_null(strmap_add(&m, "again", &is_new));
	strmap_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money_parse),
		cmocka_unit_test(test_money_refused),
		cmocka_unit_test(test_money_format),
		cmocka_unit_test(test_money_round_trip),
		cmocka_unit_test(test_money_scale),
		cmocka_unit_test(test_money_scale_paths),
		cmocka_unit_test(test_money_overflow),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_rate_given),
		cmocka_unit_test(test_industry_names),
		cmocka_unit_test(test_rate_format_all),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_dates_every_day),
		cmocka_unit_test(test_date_add_years),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_office_calendar),
		cmocka_unit_test(test_office_calendar_round_trip),
		cmocka_unit_test(test_uscc),
		cmocka_unit_test(test_uscc_every_check_char),
		cmocka_unit_test(test_qerr),
		cmocka_unit_test(test_strmap),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
