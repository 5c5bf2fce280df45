#include "core/uscc.h"

#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int weights[17] = {1,  3,	9,  27, 19, 26, 16, 17, 20,
				29, 25, 13, 8,	24, 10, 30, 28};

static int value_of(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(alphabet, c);
	return p ? (int)(p - alphabet) : -1;
}

char uscc_check_char(const char *s17)
{
	int sum = 0;

	for (int i = 0; i < 17; i++) {
		int v = value_of(s17[i]);

		if (v < 0)
			return 0;
		sum += v * weights[i];
	}
	return alphabet[(31 - sum % 31) % 31];
}

int uscc_check(const char *s, size_t len, const char *field, struct qerr *e)
{
	int q = len > 40 ? 40 : (int)len;
	char want;

	if (len != USCC_LEN)
		return qerr_set(
			e, Q_ERR_INVALID_USCC, field,
			"%s: '%.*s%s' has %zu characters, a USCC has 18", field,
			q, s, len > 40 ? "..." : "", len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (value_of((char)c) < 0) {
			if (c >= 'a' && c <= 'z')
				return qerr_set(
					e, Q_ERR_INVALID_USCC, field,
					"%s: character %zu of '%.*s' is '%c': a USCC is written in capitals",
					field, i + 1, q, s, c);
			if (c >= 0x20 && c < 0x7f)
				return qerr_set(
					e, Q_ERR_INVALID_USCC, field,
					"%s: character %zu of '%.*s' is '%c', which a USCC never uses",
					field, i + 1, q, s, c);
			return qerr_set(
				e, Q_ERR_INVALID_USCC, field,
				"%s: character %zu is byte 0x%02x, which a USCC never uses",
				field, i + 1, c);
		}
		if (i >= 2 && i <= 7 && (c < '0' || c > '9'))
			return qerr_set(
				e, Q_ERR_INVALID_USCC, field,
				"%s: character %zu of '%.*s' is '%c', but characters 3-8 are the division code and must be digits",
				field, i + 1, q, s, c);
	}
	want = uscc_check_char(s);
	if (s[17] != want)
		return qerr_set(
			e, Q_ERR_INVALID_USCC, field,
			"%s: character 18 of '%.*s' is '%c', the check character should be '%c'",
			field, q, s, s[17], want);
	return Q_OK;
}
