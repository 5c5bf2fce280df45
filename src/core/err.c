#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Replace every byte that is not part of a well-formed UTF-8 sequence with
 * '?', in place. Messages quote a bounded prefix of the input, which can cut
 * a character in half; a message must stay valid text for JSON. */
static void utf8_repair(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		int n = *p < 0x80	      ? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;
		int ok = n >= 0 && !(n == 1 && *p < 0xc2) &&
			 !(n == 3 && *p > 0xf4);

		for (int i = 1; ok && i <= n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

int qerr_set(struct qerr *e, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	utf8_repair(e->field);
	utf8_repair(e->msg);
	return code;
}

void qerr_clear(struct qerr *e)
{
	if (!e)
		return;
	e->code = Q_OK;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

const char *qerr_name(int code)
{
	static const char *const names[Q_ERR__COUNT] = {
		[Q_OK] = "ok",
		[Q_ERR_INVALID] = "invalid",
		[Q_ERR_INVALID_MONEY] = "invalid_money",
		[Q_ERR_INVALID_RATE] = "invalid_rate",
		[Q_ERR_INVALID_DATE] = "invalid_date",
		[Q_ERR_INVALID_USCC] = "invalid_uscc",
		[Q_ERR_INVALID_JSON] = "invalid_json",
		[Q_ERR_UNKNOWN_FIELD] = "unknown_field",
		[Q_ERR_MISSING_FIELD] = "missing_field",
		[Q_ERR_WRONG_TYPE] = "wrong_type",
		[Q_ERR_TOO_LARGE] = "too_large",
		[Q_ERR_UNKNOWN_CHIP] = "unknown_chip",
		[Q_ERR_UNKNOWN_MEASURE] = "unknown_measure",
		[Q_ERR_UNKNOWN_PROGRAM] = "unknown_program",
		[Q_ERR_OVERFLOW] = "overflow",
		[Q_ERR_POLICY] = "policy_error",
		[Q_ERR_DECISION] = "decision_error",
		[Q_ERR_IO] = "io_error",
		[Q_ERR_NOMEM] = "out_of_memory",
		[Q_ERR_NOT_FOUND] = "not_found",
		[Q_ERR_FORBIDDEN] = "forbidden",
		[Q_ERR_CONFLICT] = "conflict",
	};

	if (code < 0 || code >= Q_ERR__COUNT)
		return "unknown_error";
	return names[code];
}
