#include "core/industry.h"

#include <assert.h>
#include <string.h>

/* The divisions of each section, GB/T 4754-2017. */
static const struct {
	char section;
	int lo, hi;
} sections[] = {
	{'A', 1, 5},   {'B', 6, 12},  {'C', 13, 43}, {'D', 44, 46},
	{'E', 47, 50}, {'F', 51, 52}, {'G', 53, 60}, {'H', 61, 62},
	{'I', 63, 65}, {'J', 66, 69}, {'K', 70, 70}, {'L', 71, 72},
	{'M', 73, 75}, {'N', 76, 79}, {'O', 80, 82}, {'P', 83, 83},
	{'Q', 84, 85}, {'R', 86, 90}, {'S', 91, 96}, {'T', 97, 97},
};

int industry_check(const char *s, size_t len, const char *field, struct qerr *e)
{
	int q = len > 16 ? 16 : (int)len;
	size_t sec = sizeof(sections) / sizeof(sections[0]);
	int div;

	assert(s && field);
	if (len == 0 || len == 2 || len > INDUSTRY_MAX_LEN)
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s' is not an industry code: a section letter A-T, then a 2-digit division, 3-digit group or 4-digit class (GB/T 4754-2017), as in \"I65\" or \"C\"",
			field, q, s);
	for (size_t i = 0; i < sec; i++)
		if (sections[i].section == s[0])
			sec = i;
	if (sec == sizeof(sections) / sizeof(sections[0]))
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s' does not start with a section letter A-T (GB/T 4754-2017)",
			field, q, s);
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return qerr_set(
				e, Q_ERR_INVALID, field,
				"%s: '%.*s': after the section letter come digits only",
				field, q, s);
	if (len == 1)
		return Q_OK;
	div = (s[1] - '0') * 10 + (s[2] - '0');
	if (div < sections[sec].lo || div > sections[sec].hi)
		return qerr_set(
			e, Q_ERR_INVALID, field,
			"%s: '%.*s': division %02d is not in section %c, which holds %02d-%02d",
			field, q, s, div, s[0], sections[sec].lo,
			sections[sec].hi);
	return Q_OK;
}

bool industry_within(const char *code, const char *within)
{
	size_t n = strlen(within);

	assert(code && within);
	assert(n <= INDUSTRY_MAX_LEN);
	return strncmp(code, within, n) == 0;
}
