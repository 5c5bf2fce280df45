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

/*
 * The registration authority code (character 1) and organisation type code
 * (character 2) of GB 32100-2015, appendix A, read for the kinds a policy
 * can ask about. Only the codes whose kind is beyond dispute are mapped:
 *
 *   1 机构编制  11 机关 (a state organ: other), 12 事业单位 (institution),
 *               13 群团 (a mass organisation, not registered as a social
 *               organisation: other), 19 其他 (other)
 *   5 民政      51 社会团体, 52 民办非企业单位, 53 基金会, 59 其他:
 *               the social organisations the civil-affairs bureaus register
 *               (social)
 *   9 工商      91 企业 (enterprise), 92 个体工商户 (individual),
 *               93 农民专业合作社 (a co-operative, not an enterprise: other)
 *   A 军队      A1 军队事业单位 (institution), A9 其他 (other)
 *
 * and 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, N 农业 and Y 其他:
 * other. A table over the two characters, so that a new code is one line.
 */
static const struct {
	char code[3];
	enum uscc_kind kind;
} kind_codes[] = {
	{"12", USCC_KIND_INSTITUTION}, {"51", USCC_KIND_SOCIAL},
	{"52", USCC_KIND_SOCIAL},      {"53", USCC_KIND_SOCIAL},
	{"59", USCC_KIND_SOCIAL},      {"91", USCC_KIND_ENTERPRISE},
	{"92", USCC_KIND_INDIVIDUAL},  {"A1", USCC_KIND_INSTITUTION},
};

static const char *const kind_names[USCC_KIND__COUNT] = {
	[USCC_KIND_ENTERPRISE] = "enterprise",
	[USCC_KIND_INDIVIDUAL] = "individual",
	[USCC_KIND_INSTITUTION] = "institution",
	[USCC_KIND_SOCIAL] = "social",
	[USCC_KIND_OTHER] = "other",
};

enum uscc_kind uscc_kind_of(const char *s)
{
	if (!s || !s[0] || !s[1])
		return USCC_KIND_OTHER;
	for (size_t i = 0; i < sizeof(kind_codes) / sizeof(kind_codes[0]); i++)
		if (s[0] == kind_codes[i].code[0] &&
		    s[1] == kind_codes[i].code[1])
			return kind_codes[i].kind;
	return USCC_KIND_OTHER;
}

const char *uscc_kind_name(enum uscc_kind k)
{
	return (unsigned)k < USCC_KIND__COUNT ? kind_names[k] : "other";
}

int uscc_kind_lookup(const char *s, size_t len)
{
	for (int k = 0; k < USCC_KIND__COUNT; k++)
		if (strlen(kind_names[k]) == len &&
		    memcmp(kind_names[k], s, len) == 0)
			return k;
	return -1;
}
