/*
 * driver.h - what the store asks of a database: a thin SQL driver, one per
 * back end (store_sqlite.c, store_pg.c). Like curl's struct Curl_ssl it is
 * a table of what differs between the back ends and nothing more; like
 * Dovecot's struct sql_db it connects, executes, runs a query, steps to
 * its next row, reads a field, and keeps transactions.
 *
 * Every query and migration is written once (sql.c) and every store
 * function once (store*.c), above this interface. A driver knows its
 * connection, its cache of prepared statements, how to bind and read
 * values, its write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: READ
 * COMMITTED and one transaction-scoped advisory lock), and - PostgreSQL -
 * how to get its connection back after the server went away.
 *
 * Errors: a function that fails returns a Q_ERR_* code (core/err.h) and
 * fills e (which may be NULL) with "<name>: <op>: <the database's text>",
 * lowercase. Q_ERR_IO for the database itself; Q_ERR_CONFLICT when a
 * primary key or unique index refused a row. Answers that are not errors
 * stay outside the error codes: a step answers DRV_ROW or DRV_DONE, as
 * SQLite's step answers SQLITE_ROW and SQLITE_DONE.
 *
 * A connection and its statements are for one thread at a time.
 */
#ifndef QUAN_STORE_DRIVER_H
#define QUAN_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* What step answers when it did not fail: above every Q_ERR_* and apart
 * from Q_NONE. */
#define DRV_ROW 101  /* a row is there to read */
#define DRV_DONE 102 /* no (more) rows: the statement has run */

/* Which text of a dialect entry of sql.c a driver runs. */
enum drv_dialect {
	DRV_SQLITE,
	DRV_POSTGRES,
};

/* The head of a driver's connection and of its statements: each driver's
 * own structs begin with these, so the store reaches the driver's
 * functions through any handle. */
struct drv {
	const struct drv_ops *ops;
};

struct drv_stmt {
	const struct drv_ops *ops;
};

struct drv_ops {
	const char *name; /* the back end's name: "sqlite", "postgres" */
	enum drv_dialect dialect;

	/* Connect to url (SQLite: a file path or ":memory:"; PostgreSQL: a
	 * libpq URI), with room for statements 0 .. nstmt - 1. On failure
	 * *out is NULL. */
	int (*open)(const char *url, unsigned nstmt, struct drv **out,
		    struct qerr *e);
	/* Roll back an open transaction and disconnect. d may be NULL. */
	void (*close)(struct drv *d);

	/* Run sql, one or more statements that take no parameters and whose
	 * rows, if any, are dropped (the migrations). */
	int (*exec)(struct drv *d, const char *sql, const char *op,
		    struct qerr *e);

	/* Statement id (below nstmt), prepared from sql on first use and
	 * kept until close; sql is the same text at every call for one id.
	 * Parameters are written ?1, ?2 ... (a driver whose database spells
	 * them otherwise converts the text). The statement comes back reset,
	 * nothing bound; the caller resets it again when done with it, before
	 * it is prepared again. */
	int (*prepare)(struct drv *d, unsigned id, const char *sql,
		       struct drv_stmt **out, struct qerr *e);

	/* Bind parameter i (1-based) of a reset statement. Text is not
	 * copied: it stays valid until the statement is reset. A parameter
	 * left unbound is NULL. */
	void (*bind_int)(struct drv_stmt *st, int i, int64_t v);
	void (*bind_text)(struct drv_stmt *st, int i, const char *s,
			  size_t len);
	void (*bind_null)(struct drv_stmt *st, int i);

	/* Run the statement (first call) or move to its next row: DRV_ROW,
	 * DRV_DONE, or a Q_ERR_* naming op. */
	int (*step)(struct drv_stmt *st, const char *op, struct qerr *e);

	/* Run a bound write whose answer the caller does not need now: no
	 * rows read, changes not asked. Between a savepoint and its release
	 * a driver may send it and read its answer later, with the next
	 * call that waits for one, the release at the latest (PostgreSQL's
	 * pipeline mode): a refusal then fails that call, and rolling back
	 * to the savepoint undoes it. In an optimistic transaction (below)
	 * anywhere, read at the commit at the latest. The statement comes
	 * back reset.
	 * NULL: the store steps the statement now. */
	int (*defer)(struct drv_stmt *st, const char *op, struct qerr *e);

	/* Column i (0-based) of the row step answered. column_text: the
	 * column's bytes, NUL-terminated, *len their number (len may be
	 * NULL), valid until the next step or reset; NULL for SQL NULL, or
	 * when the driver ran out of memory (column_null tells which). */
	int64_t (*column_int)(struct drv_stmt *st, int i);
	const char *(*column_text)(struct drv_stmt *st, int i, size_t *len);
	bool (*column_null)(struct drv_stmt *st, int i);
	/* The rows an INSERT, UPDATE or DELETE touched, once it answered
	 * DRV_DONE. */
	int64_t (*changes)(struct drv_stmt *st);
	/* Back to unrun, every parameter unbound; harmless at any time. */
	void (*reset)(struct drv_stmt *st);

	/* The write transaction: SQLite BEGIN IMMEDIATE (a busy database
	 * waited for up to 10 s); PostgreSQL BEGIN ISOLATION LEVEL READ
	 * COMMITTED and the writers' advisory lock (store_pg.c says why).
	 * Inside a transaction: Q_ERR_IO. */
	int (*begin_write)(struct drv *d, struct qerr *e);
	/* Done only when the database answered COMMIT; outside a
	 * transaction Q_ERR_IO. Either way the transaction is over. */
	int (*commit)(struct drv *d, struct qerr *e);
	/* Harmless outside a transaction. */
	void (*rollback)(struct drv *d);
	/* The savepoint of one item of a batch (they do not nest). */
	int (*savepoint)(struct drv *d, struct qerr *e);
	int (*release)(struct drv *d, struct qerr *e);
	/* Undo since the savepoint, and release it. */
	void (*rollback_to)(struct drv *d);
	bool (*in_transaction)(struct drv *d);

	/* Optimistic batches, for the rest of the open transaction: a
	 * release no longer reads its item's answers, so a batch's
	 * savepoints and deferred writes travel together and are read at
	 * the next read, or at the commit. A deferred write refused then is
	 * no longer one item's: the transaction fails as a whole (Q_ERR_IO)
	 * and refused_ahead answers true until the next begin_write; the
	 * caller rolls back and runs the batch again in the careful mode
	 * (without optimistic), where the release reads every answer. NULL
	 * (SQLite, which defers nothing): releases are as they are. */
	void (*optimistic)(struct drv *d);
	bool (*refused_ahead)(struct drv *d);
	/* Round trips to the server so far (requests whose answers were
	 * waited for; a pipeline's sync is one), for tests and benchmarks.
	 * NULL: a library in the process (SQLite), none. */
	uint64_t (*round_trips)(struct drv *d);

	/* The database's text of the last error ("" if none). */
	const char *(*error)(struct drv *d);
	/* Outside a transaction, make a broken connection again (the
	 * server may be back): Q_OK, or Q_ERR_IO when it cannot. Inside one
	 * a broken connection is Q_ERR_IO (the transaction went with it). */
	int (*reconnect)(struct drv *d, struct qerr *e);
};

extern const struct drv_ops drv_sqlite;	  /* store_sqlite.c */
extern const struct drv_ops drv_postgres; /* store_pg.c */

#endif
