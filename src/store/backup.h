/*
 * backup.h - an online, consistent copy of a store in one file, and that
 * file put back into an empty database.
 *
 * SQLite: the backup API (sqlite3_backup_*) copies the database in one
 * step inside one read transaction, so the copy is the database as of one
 * commit while writers carry on (WAL). The file is a SQLite database.
 * PostgreSQL: pg_dump in its custom format (one snapshot, repeatable
 * read); pg_restore puts it back, and vacuumdb --analyze-only gives the
 * planner its statistics. They run as child processes, found on PATH, and
 * must be of the server's major version or newer.
 *
 * Neither leaves half a file: the copy is written to FILE.partial and
 * renamed when whole.
 */
#ifndef QUAN_BACKUP_H
#define QUAN_BACKUP_H

#include "core/err.h"

/* Copy the store at url (as store_open takes it) into the new file to.
 * Q_ERR_CONFLICT when to exists already. */
int backup_take(const char *url, const char *to, struct qerr *e);

/* Put the backup in file from back into the store at url, which must hold
 * nothing (the check of quan migrate: Q_ERR_CONFLICT, and nothing is
 * written). A SQLite backup goes into a SQLite database, a pg_dump file
 * into a PostgreSQL one (Q_ERR_INVALID otherwise). The caller then checks
 * what was restored (ledger check, audit verify). */
int backup_restore(const char *from, const char *url, struct qerr *e);

#endif
