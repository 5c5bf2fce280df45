/*
 * holidays.h - the State Council's holiday calendar (data/holidays.yaml)
 * and counting working days with it.
 *
 * The calendar holds the years the State Council has published, each with
 * its notice's number and date: the days off, and the weekend days worked
 * in exchange (调休). A day of a held year is a working day when it is a
 * listed workday, or a Monday to Friday that is not a listed holiday. A
 * count that reaches into a year the calendar does not hold is an error
 * (Q_ERR_INVALID naming the year), never a guess.
 */
#ifndef QUAN_HOLIDAYS_H
#define QUAN_HOLIDAYS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/date.h"
#include "core/err.h"

#define HOLIDAYS_MAX_YEARS 64
#define HOLIDAYS_MAX_DAYS 64 /* listed days (off or worked) per year */
#define HOLIDAYS_MAX_BYTES (256 * 1024)

/* One published year: its notice, and its listed days. */
struct holidays_year {
	int year;
	char number[96]; /* "国办发明电〔2024〕12号", "" when not read */
	char url[256];	 /* where its text was read, "" when the number is */
	qdate published; /* the notice's date */
	qdate off[366];	 /* days off, sorted, each once */
	size_t noff;
	qdate worked[HOLIDAYS_MAX_DAYS]; /* weekend days worked, sorted */
	size_t nworked;
};

/* A loaded calendar; years sorted, each once. */
struct holidays {
	struct holidays_year *years; /* owned */
	size_t nyears;
};

/* Load the calendar from buf (len bytes; name for messages) or the file at
 * path into *out. Every refusal is Q_ERR_INVALID (or Q_ERR_IO, Q_ERR_NOMEM)
 * with the place in e. Release with holidays_release whatever the result. */
int holidays_load_buf(const char *name, const char *buf, size_t len,
		      struct holidays *out, struct qerr *e);
int holidays_load(const char *path, struct holidays *out, struct qerr *e);
void holidays_release(struct holidays *h);

/* The year y as held, or NULL when the calendar does not hold it. */
const struct holidays_year *holidays_year(const struct holidays *h, int y);

/* *working: whether day d is a working day; Q_ERR_INVALID (naming the year)
 * when its year is not held. */
int holidays_is_working(const struct holidays *h, qdate d, bool *working,
			struct qerr *e);

/* *end: the n-th working day (n >= 1) counting from start, start itself
 * counted when it is a working day. Q_ERR_INVALID, naming the year, when
 * the count reaches a year the calendar does not hold. */
int holidays_add_working_days(const struct holidays *h, qdate start, int n,
			      qdate *end, struct qerr *e);

#endif
