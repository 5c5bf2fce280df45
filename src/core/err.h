/*
 * err.h - the error value every quan function hands back.
 *
 * A function that can fail returns an int: 0 on success, or one of the
 * Q_ERR_* codes below, and fills a caller-owned struct qerr with the field
 * it blames and a one-line message (lowercase, no full stop, subject quoted).
 * Library code never prints; the caller decides what to show.
 */
#ifndef QUAN_ERR_H
#define QUAN_ERR_H

#include <stddef.h>

enum qerr_code {
	Q_OK = 0,
	Q_ERR_INVALID,	     /* generic bad input */
	Q_ERR_INVALID_MONEY, /* not a decimal yuan string, >2 decimals, negative */
	Q_ERR_INVALID_RATE,
	Q_ERR_INVALID_DATE,
	Q_ERR_INVALID_USCC,
	Q_ERR_INVALID_JSON, /* syntax error, duplicate key, nesting too deep */
	Q_ERR_UNKNOWN_FIELD,
	Q_ERR_MISSING_FIELD,
	Q_ERR_WRONG_TYPE, /* e.g. money given as a JSON number */
	Q_ERR_TOO_LARGE,  /* input over its size limit */
	Q_ERR_UNKNOWN_CHIP,
	Q_ERR_UNKNOWN_MEASURE,
	Q_ERR_UNKNOWN_PROGRAM,
	Q_ERR_OVERFLOW, /* checked arithmetic would overflow */
	Q_ERR_POLICY,	/* the policy itself is wrong */
	Q_ERR_DECISION, /* the policy cannot decide this application */
	Q_ERR_IO,
	Q_ERR_NOMEM,
	Q_ERR_NOT_FOUND, /* no such application, user, route */
	Q_ERR_FORBIDDEN, /* the actor may not do this (separation of duties) */
	Q_ERR_CONFLICT,	 /* not possible in the subject's present state */
	Q_ERR__COUNT
};

/* A lookup that found nothing answers Q_NONE: not an error, and outside
 * the range of the error codes (as SQLITE_DONE is outside SQLite's), so
 * that "no such row" is never mistaken for Q_ERR_INVALID. */
#define Q_NONE 100

/* One error: its code, the field it concerns ("contract.value", or "" when
 * none) and a message. Plain value, no heap: copy it freely. */
struct qerr {
	int code;
	char field[128];
	char msg[384];
};

/* Fill e (if not NULL) and return code, so that callers can write
 * `return qerr_set(e, Q_ERR_..., "contract.value", "...", ...)`. */
int qerr_set(struct qerr *e, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reset e to "no error". */
void qerr_clear(struct qerr *e);

/* The stable snake_case name of a code ("invalid_money"), for JSON and tests. */
const char *qerr_name(int code);

#endif
