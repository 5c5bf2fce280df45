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

/* QUAN_NOW as an instant: 0 and *at when set, 1 when unset, or -1
 * (reported) when it is not a time. */
static int clock_env(int64_t *at)
{
	const char *v = getenv("QUAN_NOW");
	struct qerr e;

	if (!v || !*v)
		return 1;
	qerr_clear(&e);
	if (datetime_parse(v, strlen(v), at, NULL, "QUAN_NOW", &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return -1;
	}
	return 0;
}

int cli_clock_offset(int64_t *offset)
{
	int64_t at;
	int rc = clock_env(&at);

	*offset = rc == 0 ? at - (int64_t)time(NULL) : 0;
	return rc < 0 ? EXIT_BAD_INPUT : 0;
}

bool cli_clock_set(void)
{
	const char *v = getenv("QUAN_NOW");

	return v && *v;
}

int64_t cli_now(void)
{
	int64_t at;
	int rc = clock_env(&at);

	if (rc < 0)
		exit(EXIT_BAD_INPUT);
	return rc == 0 ? at : (int64_t)time(NULL);
}

void cli_clock_mark_in(struct office *off, const char *lang)
{
	char at[DATETIME_TEXT_MAX];

	off->clock_set = cli_clock_set();
	if (!off->clock_set)
		return;
	datetime_format(cli_now(), at);
	if (cli_zh(lang))
		fprintf(stderr,
			"quan: 本办公室的时钟由 QUAN_NOW 设为 %s，不是系统时间\n",
			at);
	else
		fprintf(stderr,
			"quan: the office's clock is set by QUAN_NOW to %s, not the system's\n",
			at);
}

void cli_clock_mark(struct office *off)
{
	cli_clock_mark_in(off, cli_lang_env());
}
