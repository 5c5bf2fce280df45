#include "core/date.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>

/* Day counting after Howard Hinnant's public-domain civil calendar
 * algorithms: eras of 400 years, March-based years. */
qdate date_from_ymd(int y, int m, int d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (qdate)(era * 146097 + (int)doe - 719468);
}

void date_to_ymd(qdate t, int *y, int *m, int *d)
{
	int z = t + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	int yy = (int)yoe + era * 400;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Parse the leading "YYYY-MM-DD" of s, which has at least 10 bytes. */
static int ymd_parse(const char *s, int *y, int *m, int *d, const char *field,
		     struct qerr *e, int q, const char *whole)
{
	*y = digits(s, 4);
	*m = digits(s + 5, 2);
	*d = digits(s + 8, 2);
	if (*y < 0 || *m < 0 || *d < 0 || s[4] != '-' || s[7] != '-')
		return qerr_set(e, Q_ERR_INVALID_DATE, field,
				"%s: '%.*s' is not a date like 2025-08-15",
				field, q, whole);
	if (*y < DATE_MIN_YEAR || *y > DATE_MAX_YEAR)
		return qerr_set(e, Q_ERR_INVALID_DATE, field,
				"%s: year %d of '%.*s' is out of range %d..%d",
				field, *y, q, whole, DATE_MIN_YEAR,
				DATE_MAX_YEAR);
	if (*m < 1 || *m > 12)
		return qerr_set(e, Q_ERR_INVALID_DATE, field,
				"%s: month %d of '%.*s' does not exist", field,
				*m, q, whole);
	if (*d < 1 || *d > date_days_in_month(*y, *m))
		return qerr_set(
			e, Q_ERR_INVALID_DATE, field,
			"%s: day %d of '%.*s' does not exist (%04d-%02d has %d days)",
			field, *d, q, whole, *y, *m,
			date_days_in_month(*y, *m));
	return Q_OK;
}

int date_parse(const char *s, size_t len, qdate *out, const char *field,
	       struct qerr *e)
{
	int q = len > 40 ? 40 : (int)len;
	int y, m, d, rc;

	if (len != 10)
		return qerr_set(e, Q_ERR_INVALID_DATE, field,
				"%s: '%.*s' is not a date like 2025-08-15",
				field, q, s);
	rc = ymd_parse(s, &y, &m, &d, field, e, q, s);
	if (rc)
		return rc;
	*out = date_from_ymd(y, m, d);
	return Q_OK;
}

char *date_format(qdate t, char *buf)
{
	int y, m, d;

	date_to_ymd(t, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
	return buf;
}

qdate date_add_years(qdate t, int n)
{
	int y, m, d;

	date_to_ymd(t, &y, &m, &d);
	y += n;
	if (d > date_days_in_month(y, m))
		d = date_days_in_month(y, m);
	return date_from_ymd(y, m, d);
}

int date_year(qdate t)
{
	int y, m, d;

	date_to_ymd(t, &y, &m, &d);
	return y;
}

int datetime_parse(const char *s, size_t len, int64_t *epoch, qdate *local_day,
		   const char *field, struct qerr *e)
{
	int q = len > 40 ? 40 : (int)len;
	int y, m, d, hh, mm, ss, rc;
	int64_t off = 0;

	if (len < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		goto bad;
	rc = ymd_parse(s, &y, &m, &d, field, e, q, s);
	if (rc)
		return rc;
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 59)
		goto bad;
	if (len == 20 && s[19] == 'Z') {
		off = 0;
	} else if (len == 25 && (s[19] == '+' || s[19] == '-') &&
		   s[22] == ':') {
		int oh = digits(s + 20, 2);
		int om = digits(s + 23, 2);

		if (oh < 0 || om < 0 || oh > 14 || om > 59)
			goto bad;
		off = (int64_t)(oh * 3600 + om * 60) * (s[19] == '-' ? -1 : 1);
	} else {
		goto bad;
	}
	*epoch = (int64_t)date_from_ymd(y, m, d) * 86400 + hh * 3600 + mm * 60 +
		 ss - off;
	if (local_day)
		*local_day = date_from_ymd(y, m, d);
	return Q_OK;
bad:
	return qerr_set(
		e, Q_ERR_INVALID_DATE, field,
		"%s: '%.*s' is not a time like 2025-09-01T10:00:00+08:00",
		field, q, s);
}

qdate date_of_instant(int64_t epoch)
{
	int64_t local = epoch + DATE_OFFICE_OFFSET;
	int64_t day = local / 86400;

	if (local % 86400 < 0)
		day--; /* floor, for instants before 1970 */
	assert(day > INT32_MIN && day < INT32_MAX);
	return (qdate)day;
}

char *datetime_format(int64_t epoch, char *buf)
{
	qdate day = date_of_instant(epoch);
	int64_t secs = epoch + DATE_OFFICE_OFFSET - (int64_t)day * 86400;

	assert(secs >= 0 && secs < 86400);
	date_format(day, buf);
	snprintf(buf + 10, DATETIME_TEXT_MAX - 10, "T%02d:%02d:%02d+08:00",
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}
