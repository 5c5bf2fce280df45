/*
 * csv.h - CSV text (RFC 4180) read one record at a time, for the lists and
 * registries an office imports from spreadsheets.
 *
 * Fields are separated by commas; a field in quotation marks (") may hold
 * commas, line breaks and doubled quotes (""). Lines end in LF or CRLF;
 * blank lines are skipped; a UTF-8 byte-order mark at the start is
 * dropped. Every field must be UTF-8 without NUL bytes. Limits: at most
 * CSV_MAX_FIELDS fields of at most CSV_FIELD_MAX - 1 bytes each, so no
 * input can make a record grow without bound.
 */
#ifndef QUAN_CSV_H
#define QUAN_CSV_H

#include <stddef.h>

#include "core/err.h"

#define CSV_MAX_FIELDS 32
#define CSV_FIELD_MAX 256 /* bytes of a field, with its NUL */

/* A reader over a buffer the caller keeps alive. */
struct csv {
	const char *buf;
	size_t len, pos;
	long line;	  /* where the reader is, 1-based */
	long record_line; /* where the last record read started */
};

void csv_init(struct csv *c, const char *buf, size_t len);

/* Read the next record into fields[0 .. *n - 1] (NUL-terminated). Returns
 * Q_OK with *n > 0 for a record, Q_OK with *n == 0 at the end, or
 * Q_ERR_INVALID (e says which line and why). */
int csv_next(struct csv *c, char (*fields)[CSV_FIELD_MAX], size_t *n,
	     struct qerr *e);

#endif
