#include "core/money.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* Quote at most 40 bytes of the input in messages, so a 100 MB "amount"
 * cannot flood an error. */
#define QUOTE_MAX 40

int money_parse(const char *s, size_t len, money_t *out, const char *field,
		struct qerr *e)
{
	int q = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
	const char *more = len > QUOTE_MAX ? "..." : "";
	int64_t yuan = 0;
	int64_t fen = 0;
	size_t i = 0;
	size_t ndigits = 0;

	if (len == 0)
		return qerr_set(e, Q_ERR_INVALID_MONEY, field,
				"%s: empty amount", field);
	if (s[0] == '-')
		return qerr_set(e, Q_ERR_INVALID_MONEY, field,
				"%s: '%.*s%s' is negative", field, q, s, more);
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndigits++) {
		if (__builtin_mul_overflow(yuan, 10, &yuan) ||
		    __builtin_add_overflow(yuan, s[i] - '0', &yuan))
			return qerr_set(e, Q_ERR_INVALID_MONEY, field,
					"%s: '%.*s%s' is too large", field, q,
					s, more);
	}
	if (ndigits == 0)
		goto bad;
	if (i < len && s[i] == '.') {
		size_t nd = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 2)
				return qerr_set(
					e, Q_ERR_INVALID_MONEY, field,
					"%s: '%.*s%s' has more than two decimals",
					field, q, s, more);
			fen = fen * 10 + (s[i] - '0');
		}
		if (nd == 0)
			goto bad;
		if (nd == 1)
			fen *= 10;
	}
	if (i != len)
		goto bad;
	if (__builtin_mul_overflow(yuan, MONEY_FEN_PER_YUAN, &yuan) ||
	    __builtin_add_overflow(yuan, fen, &yuan))
		return qerr_set(e, Q_ERR_INVALID_MONEY, field,
				"%s: '%.*s%s' is too large", field, q, s, more);
	*out = yuan;
	return Q_OK;
bad:
	return qerr_set(
		e, Q_ERR_INVALID_MONEY, field,
		"%s: '%.*s%s' is not a decimal amount in yuan like \"1200000.00\"",
		field, q, s, more);
}

char *money_format(money_t m, char *buf)
{
	/* Work in unsigned so that INT64_MIN prints correctly. */
	uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;

	snprintf(buf, MONEY_TEXT_MAX, "%s%llu.%02llu", m < 0 ? "-" : "",
		 (unsigned long long)(u / 100), (unsigned long long)(u % 100));
	return buf;
}

int money_add(money_t a, money_t b, money_t *out)
{
	return __builtin_add_overflow(a, b, out) ? Q_ERR_OVERFLOW : Q_OK;
}

int money_sub(money_t a, money_t b, money_t *out)
{
	return __builtin_sub_overflow(a, b, out) ? Q_ERR_OVERFLOW : Q_OK;
}

int money_mul_int(money_t a, int64_t k, money_t *out)
{
	return __builtin_mul_overflow(a, k, out) ? Q_ERR_OVERFLOW : Q_OK;
}

int money_scale(money_t a, int64_t num, int64_t den, money_t *out)
{
	__int128 p;
	__int128 q;
	int64_t p64;

	if (den <= 0)
		return Q_ERR_INVALID;
	/* When a x num fits in 64 bits (every rate and price of a real
	 * decision), the same floor in 64-bit arithmetic: a 128-bit division
	 * is a library call, several times slower, and this runs for every
	 * decision. The quotient of p64 by den >= 1 cannot overflow, nor
	 * can its floor (q - 1 only when den > 1 leaves a remainder). */
	if (!__builtin_mul_overflow(a, num, &p64)) {
		int64_t q64 = p64 / den;

		if (p64 % den != 0 && p64 < 0)
			q64 -= 1;
		*out = q64;
		return Q_OK;
	}
	p = (__int128)a * num;
	q = p / den;
	/* C division truncates toward zero; the rule is floor. */
	if (p % den != 0 && p < 0)
		q -= 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return Q_ERR_OVERFLOW;
	*out = (money_t)q;
	return Q_OK;
}

int money_apply_rate(money_t a, rate_bp r, money_t *out)
{
	return money_scale(a, r, RATE_BP_ONE, out);
}

int rate_parse(const char *s, size_t len, rate_bp *out, const char *field,
	       struct qerr *e)
{
	int q = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
	int64_t whole = 0;
	int64_t frac = 0;
	size_t i = 0;
	size_t nd = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		whole = whole * 10 + (s[i] - '0');
		if (whole > 1000)
			goto range;
	}
	if (nd == 0)
		goto bad;
	if (i < len && s[i] == '.') {
		size_t fd = 0;

		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fd++) {
			if (fd >= 2)
				return qerr_set(
					e, Q_ERR_INVALID_RATE, field,
					"%s: '%.*s' has more than two decimals of a percent",
					field, q, s);
			frac = frac * 10 + (s[i] - '0');
		}
		if (fd == 0)
			goto bad;
		if (fd == 1)
			frac *= 10;
	}
	if (i + 1 != len || s[i] != '%')
		goto bad;
	if (whole * 100 + frac > 1000 * 100)
		goto range;
	*out = (rate_bp)(whole * 100 + frac);
	return Q_OK;
range:
	return qerr_set(e, Q_ERR_INVALID_RATE, field,
			"%s: '%.*s' is above 1000%%", field, q, s);
bad:
	return qerr_set(e, Q_ERR_INVALID_RATE, field,
			"%s: '%.*s' is not a percentage like \"30%%\"", field,
			q, s);
}

int rate_parse_given(const char *s, size_t len, rate_bp *out, const char *field,
		     struct qerr *e)
{
	int q = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
	int64_t bp = 0;
	rate_bp pct;
	size_t i;
	int rc;

	assert(s && out && field);
	if (len && s[len - 1] == '%') {
		if ((rc = rate_parse(s, len, &pct, field, e)))
			return rc;
		if (pct > 10000)
			goto range;
		*out = pct;
		return Q_OK;
	}
	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		bp = bp * 10 + (s[i] - '0');
		if (bp > 10000)
			goto range;
	}
	if (i == 0 || i != len)
		return qerr_set(
			e, Q_ERR_INVALID_RATE, field,
			"%s: '%.*s' is neither a percentage like \"20%%\" nor basis points like 2000",
			field, q, s);
	*out = (rate_bp)bp;
	return Q_OK;
range:
	return qerr_set(e, Q_ERR_INVALID_RATE, field,
			"%s: '%.*s' is above 100%% (10000 basis points)", field,
			q, s);
}

char *rate_format(rate_bp r, char *buf)
{
	int64_t u = r < 0 ? -(int64_t)r : r;
	const char *sign = r < 0 ? "-" : "";

	if (u % 100 == 0)
		snprintf(buf, RATE_TEXT_MAX, "%s%lld%%", sign,
			 (long long)(u / 100));
	else if (u % 10 == 0)
		snprintf(buf, RATE_TEXT_MAX, "%s%lld.%lld%%", sign,
			 (long long)(u / 100), (long long)((u % 100) / 10));
	else
		snprintf(buf, RATE_TEXT_MAX, "%s%lld.%02lld%%", sign,
			 (long long)(u / 100), (long long)(u % 100));
	return buf;
}
