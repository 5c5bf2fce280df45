/*
 * date.h - calendar dates and instants.
 *
 * A qdate is a proleptic Gregorian day number, days since 1970-01-01 (so it
 * compares and subtracts as an integer). An instant is seconds since the Unix
 * epoch, UTC. Parsing is strict ISO 8601: "2025-02-30" is refused.
 */
#ifndef QUAN_DATE_H
#define QUAN_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef int32_t qdate;

#define DATE_TEXT_MAX 11 /* "2025-08-15" and the NUL */
#define DATE_MIN_YEAR 1900
#define DATE_MAX_YEAR 2200

/* Days since 1970-01-01 of y-m-d; the caller guarantees a valid date. */
qdate date_from_ymd(int y, int m, int d);
void date_to_ymd(qdate t, int *y, int *m, int *d);
int date_days_in_month(int y, int m);

/* Parse exactly "YYYY-MM-DD" (len bytes of s), year 1900..2200. */
int date_parse(const char *s, size_t len, qdate *out, const char *field,
	       struct qerr *e);

/* Write "YYYY-MM-DD" into buf (DATE_TEXT_MAX bytes). Returns buf. */
char *date_format(qdate t, char *buf);

/* t plus n years; 29 February becomes 28 February in a common year. */
qdate date_add_years(qdate t, int n);
int date_year(qdate t);

/* Parse "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM" / "-HH:MM"
 * (fractional seconds refused, offset required) into *epoch (UTC seconds);
 * *local_day gets the calendar date as written (before the offset), which is
 * the date the applicant saw. local_day may be NULL. */
int datetime_parse(const char *s, size_t len, int64_t *epoch, qdate *local_day,
		   const char *field, struct qerr *e);

/* The office's calendar is China Standard Time (UTC+8, no daylight
 * saving): the day, and so the fiscal year, of an instant is read there. */
#define DATE_OFFICE_OFFSET (8 * 3600)
#define DATETIME_TEXT_MAX 26 /* "2025-09-01T10:00:00+08:00" and the NUL */

/* The office's calendar date of the instant epoch (UTC seconds). */
qdate date_of_instant(int64_t epoch);

/* Write epoch as "YYYY-MM-DDTHH:MM:SS+08:00" (the office's time) into buf
 * (DATETIME_TEXT_MAX bytes). Returns buf. */
char *datetime_format(int64_t epoch, char *buf);

#endif
