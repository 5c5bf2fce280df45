/*
 * file.h - reading a whole file, with a limit.
 *
 * Every input file quan reads (applications, policies, the chip catalog)
 * has a maximum size; a larger file is refused without reading all of it,
 * so a 100 MB "application" costs nothing.
 */
#ifndef QUAN_FILE_H
#define QUAN_FILE_H

#include <stddef.h>

#include "core/err.h"

/* Read the file at path, refusing it (Q_ERR_TOO_LARGE) if it holds more
 * than max bytes; `what` names the kind of file in messages ("an
 * application"). On success *out is a malloc'd buffer of *len bytes plus a
 * NUL the caller frees; on error *out is NULL and e says why (Q_ERR_IO for
 * a missing file or a directory, Q_ERR_NOMEM). */
int file_read(const char *path, size_t max, const char *what, char **out,
	      size_t *len, struct qerr *e);

#endif
