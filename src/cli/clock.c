/*
 * clock.c - the office's clock for the commands of quan.
 *
 * The office stamps what it receives with its own clock, never the
 * applicant's. Tests, benchmarks and the demo need another date: QUAN_NOW
 * (a time like 2025-09-01T10:00:00+08:00) sets it. A production office
 * never sets it; every command that opens an office with it set says so
 * on stderr, and every audit event it writes records it.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/date.h"
#include "office/office.h"

int cli_clock_offset(int64_t *offset)
{
	const char *v = getenv("QUAN_NOW");
	struct qerr e;
	int64_t at;

	*offset = 0;
	if (!v || !*v)
		return 0;
	qerr_clear(&e);
	if (datetime_parse(v, strlen(v), &at, NULL, "QUAN_NOW", &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	*offset = at - (int64_t)time(NULL);
	return 0;
}

bool cli_clock_set(void)
{
	const char *v = getenv("QUAN_NOW");

	return v && *v;
}

int64_t cli_now(void)
{
	const char *v = getenv("QUAN_NOW");
	struct qerr e;
	int64_t at;

	if (!v || !*v)
		return (int64_t)time(NULL);
	qerr_clear(&e);
	if (datetime_parse(v, strlen(v), &at, NULL, "QUAN_NOW", &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		exit(EXIT_BAD_INPUT);
	}
	return at;
}

void cli_clock_mark(struct office *off)
{
	char at[DATETIME_TEXT_MAX];

	off->clock_set = cli_clock_set();
	if (off->clock_set)
		fprintf(stderr,
			"quan: the office's clock is set by QUAN_NOW to %s, not the system's\n",
			datetime_format(cli_now(), at));
}
