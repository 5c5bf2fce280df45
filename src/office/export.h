/*
 * export.h - what finance hands the treasury system: the awards (what was
 * awarded, paid, recovered, and what remains to pay) and the payments
 * (each payment of a payment batch, under its voucher number), as CSV
 * or as XLSX (libxlsxwriter).
 *
 * Money is written as text with exactly two decimals ("360000.00") in both
 * forms: an XLSX number cell is binary floating point, which holds 0.10 only
 * approximately, so a figure computed from fen and written as a number
 * could be read back off by a fen. The columns are documented in
 * docs/finance.md.
 */
#ifndef QUAN_EXPORT_H
#define QUAN_EXPORT_H

#include "core/err.h"
#include "office/office.h"

/* At most this many rows are exported (a bound, not a page). */
#define EXPORT_MAX_ROWS 1000000

enum export_what { EXPORT_AWARDS, EXPORT_PAYMENTS };
enum export_format { EXPORT_CSV, EXPORT_XLSX };

/* "awards" / "payments" and "csv" / "xlsx": 0, or Q_ERR_INVALID (e names
 * the word). */
int export_what_parse(const char *s, enum export_what *out, struct qerr *e);
int export_format_parse(const char *s, enum export_format *out, struct qerr *e);

/* Write the export of office o to the file at path (created or replaced).
 * *rows gets the number of rows written under the header. A row is an
 * application with money awarded, paid or recovered (awards, in arrival
 * order), or one payment of a payment batch under its voucher number
 * (payments, in voucher order; of batch only when batch is not NULL or
 * ""), then, without a batch, every disbursement made outside a batch
 * (quan disburse, POST .../disburse) in the order it was made, with its
 * idempotency key: every payment that moved money is listed once. */
int export_write(struct office *o, enum export_what what,
		 enum export_format fmt, const char *batch, const char *path,
		 long *rows, struct qerr *e);

/* The same export into memory: *out (malloc'd, the caller frees) of *len
 * bytes, written through a temporary file (libxlsxwriter writes files),
 * removed before returning. */
int export_buffer(struct office *o, enum export_what what,
		  enum export_format fmt, const char *batch, char **out,
		  size_t *len, struct qerr *e);

#endif
