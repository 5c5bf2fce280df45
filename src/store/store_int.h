/*
 * store_int.h - inside the store: what its files (store.c, store_apps.c,
 * store_ledger.c, store_screens.c) share above the driver (driver.h).
 *
 * A struct store is a driver's connection, the schema version it reached,
 * and the ledger's storage on it. The store's functions are written once:
 * they take a statement of sql.c by id, bind, step and read through the
 * helpers below, whichever the back end.
 *
 * The rule that keeps a visitor free to use the store: a statement is
 * reset before the function that took it calls out or returns, so no
 * statement stays open between calls; an iterator reads a page of rows
 * (SQL_PAGE), resets its statement, and only then visits them.
 */
#ifndef QUAN_STORE_INT_H
#define QUAN_STORE_INT_H

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "store/driver.h"
#include "store/sql.h"
#include "store/store.h"

/* Bytes of a program's name with its NUL, as struct store_app.program. */
#define STORE_PROGRAM_MAX 64
#define STORE_POLICY_HASH_MAX 72 /* "sha256:" + 64 hex + NUL */

/* One open store. Not for use by two threads at once. */
struct store {
	const struct drv_ops *ops; /* the driver of db */
	struct drv *db;
	struct ledger_io io; /* ctx is this store */
	struct qerr io_err;  /* the last error of a ledger_io call */
	int version;	     /* the schema version after migrations */
	/* The generation of the data when the open write transaction began
	 * (before its own bump), or when the last one did. */
	int64_t generation;
	/* What the open write transaction has learnt of the audit chain's
	 * head and of the applications' arrival order, so that a batch reads
	 * each once. Only the lock holder appends, so it stays true after a
	 * commit for as long as nobody else writes: kept across transactions
	 * while the generation at the next begin is the one this store's
	 * last commit left (tail_generation), forgotten otherwise and at a
	 * rollback; put back at a savepoint's rollback. */
	int64_t tail_generation; /* -1: the tail is not to be kept */
	struct store_tail {
		bool head_known, seq_known;
		int64_t head_seq, next_seq;
		char head_hash[65];
	} tail, tail_sp;
	/* PostgreSQL: the applications' next seq when this store last had
	 * the planner's statistics refreshed (store_commit), 0 before its
	 * first commit. */
	int64_t analyzed_seq;
	/* store_on_accounts: the hook, whether it runs now, and which
	 * statements call it (0 not yet known, 1 no, 2 yes). */
	int (*on_accounts)(void *ctx, struct qerr *e);
	void *on_accounts_ctx;
	bool in_on_accounts;
	unsigned char touches_accounts[ST__COUNT];
	/* The test hook store_fault_after and its kin (store.c). */
	struct {
		long left;    /* calls still let through; < 0: off */
		bool kill;    /* crash instead of failing */
		bool once;    /* fail one call, then let them through */
		long refused; /* calls refused since last set */
	} fault;
};

/* The test hook: whether the next call (a statement, a transaction's
 * begin, commit, savepoint or release) fails (Q_ERR_IO in e, op named), or
 * the process dies (store_fault_kill_after). 0 when it goes on. */
int store_fault_check(struct store *s, const char *op, struct qerr *e);

/* Outside a write transaction the tail is not known (another process may
 * write), and a write there leaves it unknown: forget it. */
void store_tail_outside(struct store *s);

/* Statement id of sql.c, prepared on first use, reset: outside a
 * transaction, a broken connection is made again first. */
int store_stmt(struct store *s, enum sql_stmt id, struct drv_stmt **out,
	       struct qerr *e);

/* The ledger's storage (store_ledger.c), ctx NULL: a store copies it and
 * sets ctx to itself. */
extern const struct ledger_io store_ledger_callbacks;

/* Q_ERR_NOMEM. */
int store_nomem(struct qerr *e);

/* The columns EVENT_COLS of the row st answered into *ev (its detail
 * allocated); -1 when out of memory. */
int store_event_row(struct drv_stmt *st, struct store_event *ev);

/* A page of at most SQL_PAGE applications of statement st (bound, its
 * rows APP_COLS), into page (*n); the statement is reset (store_apps.c). */
int app_page(struct drv_stmt *st, struct store_app *page, size_t *n,
	     struct qerr *e);
/* The same with room for cap rows (the statement's LIMIT at most cap). */
int app_page_n(struct drv_stmt *st, struct store_app *page, size_t cap,
	       size_t *n, struct qerr *e);
/* Visit page[0..n) unless visit is false or *stop (fn answered non-zero
 * sets it), then release every record. */
void app_visit(struct store_app *page, size_t n, bool visit,
	       int (*fn)(void *arg, const struct store_app *a), void *arg,
	       bool *stop);

/* Write the bigrams of the applicant's name (name; when NULL, the name
 * in json, an application as submitted; NULL or nameless: nothing) for
 * application seq (store_search.c), inside the caller's write
 * transaction. */
int store_app_grams_put(struct store *s, int64_t seq, const char *name,
			const char *json, struct qerr *e);
/* Bytes of the first two UTF-8 characters of s (len bytes); 0 when s
 * holds fewer than two. */
size_t store_first_gram(const char *s, size_t len);

/* Q_ERR_IO for a statement that answered no row where it must answer one
 * (an aggregate, RETURNING). */
int store_no_row(struct store *s, const char *op, struct qerr *e);

/* For the functions that must be atomic when called outside a
 * transaction: open one of their own (*own is set) if none is open, and
 * end it (commit when rc is Q_OK, else roll back), answering rc or the
 * commit's error. */
int store_begin_own(struct store *s, bool *own, struct qerr *e);
int store_end_own(struct store *s, bool own, int rc, struct qerr *e);

/* Cut buf (NUL-terminated) back to a UTF-8 character boundary, after a
 * column was cut to fit a fixed-size field. */
void store_utf8_trim(char *buf);

/* The enum app_state named name, or -1. */
int app_state_parse(const char *name);

/* --- binding and reading a statement --------------------------------------- */

static inline void bind_int(struct drv_stmt *st, int i, int64_t v)
{
	st->ops->bind_int(st, i, v);
}

static inline void bind_text(struct drv_stmt *st, int i, const char *s)
{
	st->ops->bind_text(st, i, s, strlen(s));
}

/* A fixed-size string field, never read past its cap bytes. */
static inline void bind_str(struct drv_stmt *st, int i, const char *s,
			    size_t cap)
{
	st->ops->bind_text(st, i, s, strnlen(s, cap));
}

#define BIND_FIELD(st, i, field) bind_str(st, i, field, sizeof(field))

/* Text, or SQL NULL for a NULL pointer. */
static inline void bind_nullable(struct drv_stmt *st, int i, const char *s)
{
	if (s)
		bind_text(st, i, s);
	else
		st->ops->bind_null(st, i);
}

static inline int step(struct drv_stmt *st, const char *op, struct qerr *e)
{
	return st->ops->step(st, op, e);
}

static inline void done(struct drv_stmt *st)
{
	st->ops->reset(st);
}

static inline int64_t col_int(struct drv_stmt *st, int i)
{
	return st->ops->column_int(st, i);
}

/* Run st (bound), a statement whose rows, if any, are not read, and reset
 * it: Q_OK or its error. */
int store_run(struct drv_stmt *st, const char *op, struct qerr *e);

/* Run st (bound), a write whose answer nobody reads now (driver.h
 * defer): on PostgreSQL inside a batch item it is sent, and answered with
 * the next read or the item's release. Q_OK or its error; st is reset. */
int store_write(struct drv_stmt *st, const char *op, struct qerr *e);

/* Statement id with key bound as its parameter 1, stepped once: Q_OK
 * with *st on its row (the caller reads it, then done(*st)), Q_NONE when
 * there is no row (reset), or the error (reset). */
int store_row_by_text(struct store *s, enum sql_stmt id, const char *key,
		      const char *op, struct drv_stmt **st, struct qerr *e);

/* Text column i into buf (cap bytes), cut if longer; "" for NULL. */
void col_str(struct drv_stmt *st, int i, char *buf, size_t cap);

/* A malloc'd NUL-terminated copy of column i (its exact bytes) into *out,
 * NULL for SQL NULL; *len (if len) its length. -1 when out of memory. */
int col_dup(struct drv_stmt *st, int i, char **out, size_t *len);

#endif
