/*
 * appcsv.h - applications as rows of a CSV file (docs/simulate.md, "The
 * application CSV"), for `quan apply --csv` and `quan simulate
 * --population`.
 *
 * The first record names the columns, in any order; an unknown or
 * repeated column is an error at its line and column. Each row becomes
 * the JSON application of docs/application-format.md (an empty cell is a
 * field left out; list columns separate entries with ';'), which
 * app_parse_json then checks as it checks every application, so a row is
 * refused for exactly what the JSON would be refused for. The error names
 * the row's line and the column of the field it blames.
 *
 * received_at is not part of the application: it is the time the row was
 * received, required on every row when the reader is opened with
 * need_received_at (a population), optional otherwise (an import).
 */
#ifndef QUAN_APPCSV_H
#define QUAN_APPCSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/err.h"
#include "engine/app.h"

#define APPCSV_MAX_BYTES (1ull << 31) /* a CSV above 2 GiB is refused */

/* A reader over a buffer the caller keeps alive; name stands for the file
 * in messages. */
struct appcsv {
	const char *name;
	struct csv c;
	bool need_received_at;
	int col[CSV_MAX_FIELDS]; /* the known column of each file column */
	size_t ncols;
	char (*f)[CSV_FIELD_MAX]; /* one record's fields (owned) */
	long line;		  /* the line of the last row read */
};

/* Read the header. Q_ERR_INVALID with e->msg "name:line:col: ..." for a
 * bad header; Q_ERR_NOMEM. Release r with appcsv_release whatever the
 * result. */
int appcsv_open(struct appcsv *r, const char *name, const char *buf, size_t len,
		bool need_received_at, struct qerr *e);

void appcsv_release(struct appcsv *r);

/* The next row: *json (malloc'd, NUL-terminated, *len bytes; the caller
 * frees it), and its received_at (*has_at false when the cell is empty).
 * When app is not NULL it gets the parsed application (the caller
 * releases it with app_release; not yet received). Returns Q_OK with
 * *json NULL at the end, or the error of the row with e->msg
 * "name:line:col: column 'c': ..." (nothing to free). */
int appcsv_next(struct appcsv *r, char **json, size_t *len,
		struct application *app, bool *has_at, int64_t *at,
		struct qerr *e);

#endif
