/*
 * fuzz_money.c - libFuzzer target for the core text parsers: money, rates,
 * dates, instants and USCCs. Money that parses must format to text that
 * parses back to the same amount; a rate likewise; a date formats to the
 * very text it came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/date.h"
#include "core/money.h"
#include "core/uscc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct qerr e;
	money_t m, back;
	rate_bp r, rback;
	qdate d, day;
	int64_t t;
	char buf[MONEY_TEXT_MAX];
	char rbuf[RATE_TEXT_MAX];
	char dbuf[DATE_TEXT_MAX];

	if (money_parse(s, size, &m, "v", &e) == Q_OK) {
		money_format(m, buf);
		if (m < 0 ||
		    money_parse(buf, strlen(buf), &back, "v", &e) != Q_OK ||
		    back != m)
			abort();
	} else if (e.code != Q_ERR_INVALID_MONEY || e.msg[0] == '\0') {
		abort();
	}
	if (rate_parse(s, size, &r, "r", &e) == Q_OK) {
		rate_format(r, rbuf);
		if (r < 0 || r > 100000 ||
		    rate_parse(rbuf, strlen(rbuf), &rback, "r", &e) != Q_OK ||
		    rback != r)
			abort();
	} else if (e.code != Q_ERR_INVALID_RATE) {
		abort();
	}
	if (date_parse(s, size, &d, "d", &e) == Q_OK) {
		date_format(d, dbuf);
		if (size != 10 || memcmp(dbuf, s, 10) != 0)
			abort();
	} else if (e.code != Q_ERR_INVALID_DATE) {
		abort();
	}
	if (datetime_parse(s, size, &t, &day, "t", &e) == Q_OK) {
		/* The instant lies within 14 hours of the local day. */
		int64_t mid = (int64_t)day * 86400;

		if (t < mid - 15 * 3600 || t > mid + 86400 + 15 * 3600)
			abort();
	} else if (e.code != Q_ERR_INVALID_DATE) {
		abort();
	}
	if (uscc_check(s, size, "u", &e) == Q_OK) {
		if (size != USCC_LEN || uscc_check_char(s) != s[17])
			abort();
	} else if (e.code != Q_ERR_INVALID_USCC) {
		abort();
	}
	return 0;
}
