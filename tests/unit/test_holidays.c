/*
 * test_holidays.c - the holiday calendar (src/policy/holidays.c): working
 * days counted across 国庆 2025 with its 调休 days, as data/holidays.yaml
 * holds them, and the refusal of a year the calendar does not hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/date.h"
#include "core/err.h"
#include "policy/holidays.h"

static struct holidays cal;

static int load(void **state)
{
	struct qerr e;

	(void)state;
	if (holidays_load(QUAN_DATADIR "/holidays.yaml", &cal, &e)) {
		print_error("%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	holidays_release(&cal);
	return 0;
}

static bool working(int y, int m, int d)
{
	struct qerr e;
	bool w = false;

	assert_int_equal(
		holidays_is_working(&cal, date_from_ymd(y, m, d), &w, &e),
		Q_OK);
	return w;
}

static qdate after(int y, int m, int d, int n)
{
	struct qerr e;
	qdate end = 0;

	assert_int_equal(holidays_add_working_days(&cal, date_from_ymd(y, m, d),
						   n, &end, &e),
			 Q_OK);
	return end;
}

/* The file as published for 2025: its number and date, and the days. */
static void test_2025_as_held(void **state)
{
	const struct holidays_year *y = holidays_year(&cal, 2025);

	(void)state;
	assert_non_null(y);
	assert_string_equal(y->number, "国办发明电〔2024〕12号");
	assert_int_equal(y->published, date_from_ymd(2024, 11, 12));
	assert_true(working(2025, 9, 28));  /* a Sunday worked */
	assert_true(working(2025, 10, 11)); /* a Saturday worked */
	assert_false(working(2025, 9, 27)); /* an ordinary Saturday */
	for (int d = 1; d <= 8; d++)
		assert_false(working(2025, 10, d));
	assert_true(working(2025, 10, 9));
	assert_false(working(2025, 1, 1));
}

/* Across 国庆 2025: from Friday 26 September, the 5th working day is
 * Thursday 9 October (26, 28, 29, 30 September, 9 October), and the 7th
 * is the Saturday worked, 11 October. */
static void test_count_across_national_day(void **state)
{
	(void)state;
	assert_int_equal(after(2025, 9, 26, 1), date_from_ymd(2025, 9, 26));
	assert_int_equal(after(2025, 9, 26, 2), date_from_ymd(2025, 9, 28));
	assert_int_equal(after(2025, 9, 26, 5), date_from_ymd(2025, 10, 9));
	assert_int_equal(after(2025, 9, 26, 6), date_from_ymd(2025, 10, 10));
	assert_int_equal(after(2025, 9, 26, 7), date_from_ymd(2025, 10, 11));
	/* From a holiday, the count starts on the next working day. */
	assert_int_equal(after(2025, 10, 1, 1), date_from_ymd(2025, 10, 9));
}

/* A count that reaches into a year the file does not hold is an error
 * naming the year, never a guess. */
static void test_unheld_year(void **state)
{
	struct qerr e;
	qdate end = 7;
	bool w;

	(void)state;
	assert_int_equal(holidays_add_working_days(&cal,
						   date_from_ymd(2026, 12, 29),
						   5, &end, &e),
			 Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "2027"));
	assert_int_equal(end, 7);
	assert_int_equal(holidays_add_working_days(&cal,
						   date_from_ymd(2026, 12, 29),
						   3, &end, &e),
			 Q_OK);
	assert_int_equal(end, date_from_ymd(2026, 12, 31));
	assert_int_equal(
		holidays_is_working(&cal, date_from_ymd(2024, 6, 3), &w, &e),
		Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "2024"));
}

/* Across the new year into 2026: 元旦 1 to 3 January off, Sunday 4
 * January worked (调休); and across 春节 with its two Saturdays worked. */
static void test_into_2026(void **state)
{
	struct qerr e;
	qdate end;
	bool w;

	(void)state;
	/* 29, 30, 31 December, then Sunday 4 and Monday 5 January */
	assert_int_equal(holidays_add_working_days(&cal,
						   date_from_ymd(2025, 12, 29),
						   5, &end, &e),
			 Q_OK);
	assert_int_equal(end, date_from_ymd(2026, 1, 5));
	assert_int_equal(
		holidays_is_working(&cal, date_from_ymd(2026, 1, 4), &w, &e),
		Q_OK);
	assert_true(w);
	assert_int_equal(
		holidays_is_working(&cal, date_from_ymd(2026, 1, 2), &w, &e),
		Q_OK);
	assert_false(w);
	/* Thursday 12 February: 12, 13, Saturday 14 (worked), then the
	 * holiday to Monday 23, then 24 and 25 */
	assert_int_equal(holidays_add_working_days(
				 &cal, date_from_ymd(2026, 2, 12), 5, &end, &e),
			 Q_OK);
	assert_int_equal(end, date_from_ymd(2026, 2, 25));
}

static void refused(const char *yaml, const char *words)
{
	struct holidays h;
	struct qerr e;

	assert_int_equal(
		holidays_load_buf("h.yaml", yaml, strlen(yaml), &h, &e),
		Q_ERR_INVALID);
	if (!strstr(e.msg, words))
		print_error("%s\n", e.msg);
	assert_non_null(strstr(e.msg, words));
	holidays_release(&h);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("years: []\n", "years");
	refused("years:\n  - {year: 2025, notice: n, date: 2024-11-12,"
		" holidays: [], workdays: []}\n",
		"number");
	refused("years:\n  - {year: 2025, notice: n, date: 2024-11-12,"
		" url: somewhere, holidays: [], workdays: []}\n",
		"url");
	refused("years:\n  - {year: 2025, notice: n, number: x,"
		" date: 2024-11-12, holidays: [], workdays: [2026-01-04]}\n",
		"another year");
	refused("years:\n  - {year: 2025, notice: n, number: x,"
		" date: 2024-11-12, holidays: [{name: a, from: 2025-01-02,"
		" to: 2025-01-01}], workdays: []}\n",
		"ends before");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2025_as_held),
		cmocka_unit_test(test_count_across_national_day),
		cmocka_unit_test(test_unheld_year),
		cmocka_unit_test(test_into_2026),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
