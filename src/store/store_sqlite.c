/*
 * store_sqlite.c - the SQLite driver of the store (driver.h): one file,
 * WAL mode, synchronous=FULL so that a commit that returned survives a
 * power loss, foreign keys on, and a busy database waited for up to 10 s.
 *
 * Every statement is prepared once, on first use, and kept until the
 * connection closes (SQLITE_PREPARE_PERSISTENT); the store resets it after
 * each use, so none stays running between calls. A write transaction is
 * BEGIN IMMEDIATE: it takes the database's write lock at once, so two
 * writers never both read a balance and then both spend it.
 *
 * Checkpoints run off the writer: a connection to a file has SQLite's
 * automatic checkpoint replaced by a WAL hook that, once the log holds
 * CKPT_PAGES pages after a commit, wakes a checkpointer - a thread of this
 * connection with its own connection to the same file, started on first
 * need - which copies the log back into the database (PASSIVE: it never
 * waits for, nor blocks, the writer). SQLite starts the log again from
 * its beginning only at a write transaction that begins after a
 * checkpoint has copied all of it; a writer that never pauses would keep
 * outrunning the checkpointer and the log would grow without bound. So at
 * CKPT_WAIT_PAGES the writer, after its commit, waits for one pass of
 * the checkpointer (only the pages written since the last pass are left
 * to copy), and its next transaction starts the log again. When no
 * commit has come for CKPT_IDLE_MS the checkpointer truncates the log
 * (TRUNCATE), so the file does not keep its high-water size. A checkpoint only copies committed frames and syncs
 * the database before the log is reused: synchronous=FULL still makes a
 * commit that returned survive a power loss. The thread is stopped and
 * joined at close, before the writer's own connection closes.
 */
#include "store/driver.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 10000

/* The checkpointer: wake at this many pages of log after a commit (SQLite's
 * own automatic threshold), truncate the log after this long without a
 * commit, and wait at most this long for readers while truncating. */
#define CKPT_PAGES 1000
#define CKPT_WAIT_PAGES 4000
#define CKPT_WAIT_MS 2000
#define CKPT_IDLE_MS 1000
#define CKPT_BUSY_MS 100

/* The transaction's own statements, prepared once (parsed once, not at
 * every use as sqlite3_exec would). */
enum sq_tx {
	TX_BEGIN,
	TX_COMMIT,
	TX_ROLLBACK,
	TX_SAVEPOINT,
	TX_RELEASE,
	TX_ROLLBACK_TO,
	TX__COUNT
};

static const char *const tx_sql[TX__COUNT] = {
	[TX_BEGIN] = "BEGIN IMMEDIATE", [TX_COMMIT] = "COMMIT",
	[TX_ROLLBACK] = "ROLLBACK",	[TX_SAVEPOINT] = "SAVEPOINT one",
	[TX_RELEASE] = "RELEASE one",	[TX_ROLLBACK_TO] = "ROLLBACK TO one",
};

/* The checkpointer of a connection to a file: its thread and its own
 * connection, and what the writer's WAL hook tells it. */
struct sq_ckpt {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* wakes the checkpointer */
	pthread_cond_t done; /* a pass has ended: wakes a waiting writer */
	pthread_t thread;
	bool started; /* the thread runs (guarded by mu) */
	bool failed;  /* it could not start or connect: SQLite's own
			 checkpoints come back (guarded by mu) */
	bool stop;    /* close asks it to end (guarded by mu) */
	bool want;    /* a commit left >= CKPT_PAGES pages of log (mu) */
	uint64_t asked, passed;	 /* passes asked for; of those, the last
				   one a finished pass began after (mu) */
	bool dirty;		 /* commits since the last truncation (mu) */
	char *path;		 /* the file, for the thread's own connection */
	long passive, truncated; /* checkpoints run, for the tests */
};

/* One open database. */
struct sq {
	struct drv base; /* ops: drv_sqlite */
	sqlite3 *db;
	unsigned nstmt;
	struct sq_stmt **st;	     /* by id, prepared on first use, or NULL */
	sqlite3_stmt *tx[TX__COUNT]; /* prepared on first use, or NULL */
	char err[256];		     /* the database's text of the last error */
	struct sq_ckpt *ck;	     /* a file's checkpointer, or NULL */
};

/* One prepared statement of it. */
struct sq_stmt {
	struct drv_stmt base; /* ops: drv_sqlite */
	struct sq *db;
	sqlite3_stmt *st;
	int bind_rc;	 /* the first bind that failed since reset, or OK */
	int64_t changes; /* rows touched, once done */
};

static struct sq *sq_of(struct drv *d)
{
	assert(d && d->ops == &drv_sqlite);
	return (struct sq *)d;
}

static struct sq_stmt *stmt_of(struct drv_stmt *st)
{
	assert(st && st->ops == &drv_sqlite);
	return (struct sq_stmt *)st;
}

/* The error rc of an operation op: Q_ERR_CONFLICT for a primary key or
 * unique index, else Q_ERR_IO, with the database's words (taken before
 * any reset, which could replace them). */
static int fail(struct sq *s, int rc, struct qerr *e, const char *op)
{
	snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
	return qerr_set(e,
			rc == SQLITE_CONSTRAINT_UNIQUE ||
					rc == SQLITE_CONSTRAINT_PRIMARYKEY
				? Q_ERR_CONFLICT
				: Q_ERR_IO,
			"", "sqlite: %s: %s", op, s->err);
}

static int sq_exec(struct drv *d, const char *sql, const char *op,
		   struct qerr *e)
{
	struct sq *s = sq_of(d);
	int rc;

	assert(sql && op);
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? Q_OK : fail(s, rc, e, op);
}

/* Run transaction statement which: SQLITE_OK or SQLite's error code
 * (the statement is left reset either way). */
static int tx_run(struct sq *s, enum sq_tx which)
{
	sqlite3_stmt **st = &s->tx[which];
	int rc;

	assert(which < TX__COUNT);
	if (!*st) {
		rc = sqlite3_prepare_v3(s->db, tx_sql[which], -1,
					SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(*st);
			*st = NULL;
			return rc;
		}
	}
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* --- statements ------------------------------------------------------------ */

static int sq_prepare(struct drv *d, unsigned id, const char *sql,
		      struct drv_stmt **out, struct qerr *e)
{
	struct sq *s = sq_of(d);
	struct sq_stmt *q;
	int rc;

	assert(id < s->nstmt && sql);
	*out = NULL;
	q = s->st[id];
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		q->base.ops = &drv_sqlite;
		q->db = s;
		rc = sqlite3_prepare_v3(s->db, sql, -1,
					SQLITE_PREPARE_PERSISTENT, &q->st,
					NULL);
		if (rc != SQLITE_OK) {
			rc = fail(s, rc, e, "preparing a statement");
			sqlite3_finalize(q->st);
			free(q);
			return rc;
		}
		s->st[id] = q;
	}
	/* Reset after each use: none is left running. */
	assert(!sqlite3_stmt_busy(q->st));
	*out = &q->base;
	return Q_OK;
}

static void bound(struct sq_stmt *q, int rc)
{
	if (rc != SQLITE_OK && q->bind_rc == SQLITE_OK)
		q->bind_rc = rc;
}

static void sq_bind_int(struct drv_stmt *st, int i, int64_t v)
{
	struct sq_stmt *q = stmt_of(st);

	bound(q, sqlite3_bind_int64(q->st, i, v));
}

static void sq_bind_text(struct drv_stmt *st, int i, const char *s, size_t len)
{
	struct sq_stmt *q = stmt_of(st);

	assert(s || len == 0);
	bound(q, sqlite3_bind_text64(q->st, i, s ? s : "", len, SQLITE_STATIC,
				     SQLITE_UTF8));
}

static void sq_bind_null(struct drv_stmt *st, int i)
{
	struct sq_stmt *q = stmt_of(st);

	bound(q, sqlite3_bind_null(q->st, i));
}

static int sq_step(struct drv_stmt *st, const char *op, struct qerr *e)
{
	struct sq_stmt *q = stmt_of(st);
	int rc;

	assert(op);
	if (q->bind_rc != SQLITE_OK) {
		snprintf(q->db->err, sizeof(q->db->err), "%s",
			 sqlite3_errstr(q->bind_rc));
		return qerr_set(e, Q_ERR_IO, "", "sqlite: %s: binding: %s", op,
				q->db->err);
	}
	rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW)
		return DRV_ROW;
	if (rc == SQLITE_DONE) {
		q->changes = sqlite3_changes(q->db->db);
		return DRV_DONE;
	}
	return fail(q->db, rc, e, op);
}

static int64_t sq_column_int(struct drv_stmt *st, int i)
{
	return sqlite3_column_int64(stmt_of(st)->st, i);
}

/* Text first, then its length, as SQLite asks. */
static const char *sq_column_text(struct drv_stmt *st, int i, size_t *len)
{
	struct sq_stmt *q = stmt_of(st);
	const char *t;

	if (len)
		*len = 0;
	if (sqlite3_column_type(q->st, i) == SQLITE_NULL)
		return NULL;
	t = (const char *)sqlite3_column_text(q->st, i);
	if (!t) /* out of memory, or an empty blob */
		return sqlite3_errcode(q->db->db) == SQLITE_NOMEM ? NULL : "";
	if (len)
		*len = (size_t)sqlite3_column_bytes(q->st, i);
	return t;
}

static bool sq_column_null(struct drv_stmt *st, int i)
{
	return sqlite3_column_type(stmt_of(st)->st, i) == SQLITE_NULL;
}

static int64_t sq_changes(struct drv_stmt *st)
{
	return stmt_of(st)->changes;
}

static void sq_reset(struct drv_stmt *st)
{
	struct sq_stmt *q = stmt_of(st);

	sqlite3_reset(q->st);
	sqlite3_clear_bindings(q->st);
	q->bind_rc = SQLITE_OK;
	q->changes = 0;
}

/* --- transactions -------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* BEGIN IMMEDIATE takes the write lock at once. The busy handler already
 * waits for a lock held by another connection; the loop covers the cases
 * where SQLite reports SQLITE_BUSY without calling it, so the whole wait
 * stays within the busy timeout. */
static int sq_begin_write(struct drv *d, struct qerr *e)
{
	struct sq *s = sq_of(d);
	int64_t until = now_ms() + BUSY_TIMEOUT_MS;
	int rc;

	assert(sqlite3_get_autocommit(s->db));
	for (;;) {
		rc = tx_run(s, TX_BEGIN);
		if ((rc & 0xff) != SQLITE_BUSY || now_ms() >= until)
			break;
		sqlite3_sleep(10);
	}
	return rc == SQLITE_OK ? Q_OK
			       : fail(s, rc, e, "beginning a transaction");
}

static void sq_rollback(struct drv *d)
{
	struct sq *s = sq_of(d);

	if (s->db && !sqlite3_get_autocommit(s->db))
		(void)tx_run(s, TX_ROLLBACK);
}

/* A COMMIT that failed may leave the transaction open (SQLITE_BUSY): it
 * is rolled back, so a commit always ends the transaction. */
static int sq_commit(struct drv *d, struct qerr *e)
{
	struct sq *s = sq_of(d);
	int rc = tx_run(s, TX_COMMIT);

	if (rc != SQLITE_OK) {
		rc = fail(s, rc, e, "committing");
		sq_rollback(d);
	}
	assert(rc || sqlite3_get_autocommit(s->db));
	return rc;
}

static int sq_savepoint(struct drv *d, struct qerr *e)
{
	struct sq *s = sq_of(d);
	int rc = tx_run(s, TX_SAVEPOINT);

	return rc == SQLITE_OK ? Q_OK : fail(s, rc, e, "opening a savepoint");
}

static int sq_release(struct drv *d, struct qerr *e)
{
	struct sq *s = sq_of(d);
	int rc = tx_run(s, TX_RELEASE);

	return rc == SQLITE_OK ? Q_OK : fail(s, rc, e, "releasing a savepoint");
}

static void sq_rollback_to(struct drv *d)
{
	struct sq *s = sq_of(d);

	if (tx_run(s, TX_ROLLBACK_TO) == SQLITE_OK)
		(void)tx_run(s, TX_RELEASE);
}

static bool sq_in_transaction(struct drv *d)
{
	return !sqlite3_get_autocommit(sq_of(d)->db);
}

static const char *sq_error(struct drv *d)
{
	return sq_of(d)->err;
}

/* A file does not go away as a server does: nothing to make again. */
static int sq_reconnect(struct drv *d, struct qerr *e)
{
	(void)sq_of(d);
	(void)e;
	return Q_OK;
}

/* --- opening ------------------------------------------------------------------- */

/* Set a pragma whose answer is a row, and check the answer. */
static int pragma_expect(struct sq *s, const char *sql, const char *want,
			 const char *op, struct qerr *e)
{
	sqlite3_stmt *st;
	char got[32] = "";
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, e, op);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(got, sizeof(got), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		fail(s, rc, e, op);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return Q_ERR_IO;
	if (strcmp(got, want))
		return qerr_set(e, Q_ERR_IO, "", "sqlite: %s: got '%s'", op,
				got);
	return Q_OK;
}

/* --- the checkpointer --------------------------------------------------------- */

/* The CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
static struct timespec deadline(long ms)
{
	struct timespec t;

	assert(ms >= 0 && ms < 1000000);
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* One checkpoint of mode on the checkpointer's connection db; a failure
 * is left for the next (the writer's commits do not depend on it). */
static void ckpt_run(struct sq_ckpt *c, sqlite3 *db, int mode)
{
	int rc;

	assert(c && db);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	if (rc == SQLITE_OK && mode == SQLITE_CHECKPOINT_TRUNCATE) {
		c->truncated++;
	} else if (rc == SQLITE_OK) {
		c->passive++;
	}
	pthread_mutex_unlock(&c->mu);
}

static void *ckpt_main(void *arg)
{
	struct sq_ckpt *c = arg;
	sqlite3 *db = NULL;
	struct timespec until;
	bool passive, idle;
	uint64_t pass;

	assert(c && c->path);
	if (sqlite3_open_v2(c->path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		/* The writer's hook puts SQLite's own checkpoints back. */
		sqlite3_close(db);
		db = NULL;
		pthread_mutex_lock(&c->mu);
		c->failed = true;
		pthread_mutex_unlock(&c->mu);
	} else {
		/* A checkpoint syncs as its own connection says: FULL, as the
		 * writer's. */
		sqlite3_busy_timeout(db, CKPT_BUSY_MS);
		sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->want) {
			until = deadline(CKPT_IDLE_MS);
			idle = pthread_cond_timedwait(&c->cv, &c->mu, &until) ==
			       ETIMEDOUT;
		} else {
			idle = false;
		}
		if (c->stop)
			break;
		passive = c->want;
		idle = idle && !c->want && c->dirty;
		c->want = false;
		pass = c->asked;
		if (idle)
			c->dirty = false;
		if (db && (passive || idle)) {
			pthread_mutex_unlock(&c->mu);
			ckpt_run(c, db,
				 passive ? SQLITE_CHECKPOINT_PASSIVE
					 : SQLITE_CHECKPOINT_TRUNCATE);
			pthread_mutex_lock(&c->mu);
		}
		/* Without a connection there is nothing to wait for. */
		c->passed = pass;
		pthread_cond_broadcast(&c->done);
	}
	c->passed = UINT64_MAX;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	sqlite3_close(db);
	return NULL;
}

/* The writer's WAL hook, after each commit: wake the checkpointer (start
 * it on first need) once the log holds CKPT_PAGES pages, and from
 * CKPT_WAIT_PAGES on wait (at most CKPT_WAIT_MS) for its pass to end.
 * Should the thread not start, SQLite's automatic checkpoint is put
 * back. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_ckpt *c = arg;
	bool fall_back = false;
	struct timespec until;
	uint64_t mine;

	assert(c && db);
	(void)name;
	pthread_mutex_lock(&c->mu);
	c->dirty = true;
	if (pages >= CKPT_PAGES) {
		if (!c->want)
			c->asked++;
		c->want = true;
		if (!c->started && !c->failed) {
			c->started =
				!pthread_create(&c->thread, NULL, ckpt_main, c);
			c->failed = !c->started;
		}
		pthread_cond_signal(&c->cv);
	}
	if (pages >= CKPT_WAIT_PAGES && c->started && !c->failed) {
		mine = c->asked;
		until = deadline(CKPT_WAIT_MS);
		while (c->passed < mine &&
		       !pthread_cond_timedwait(&c->done, &c->mu, &until))
			;
	}
	fall_back = c->failed;
	pthread_mutex_unlock(&c->mu);
	if (fall_back) /* replaces this hook */
		sqlite3_wal_autocheckpoint(db, CKPT_PAGES);
	return SQLITE_OK;
}

/* A checkpointer for s's file path, its hook in place of SQLite's
 * automatic checkpoint; the thread starts on first need. */
static int ckpt_open(struct sq *s, const char *path, struct qerr *e)
{
	struct sq_ckpt *c;

	assert(s && s->db && path && !s->ck);
	c = calloc(1, sizeof(*c));
	if (c)
		c->path = strdup(path);
	if (!c || !c->path) {
		free(c);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->done, NULL);
	s->ck = c;
	/* Replaces the automatic checkpoint, which is a WAL hook too. */
	sqlite3_wal_hook(s->db, ckpt_hook, c);
	return Q_OK;
}

/* Stop and join s's checkpointer and free it. */
static void ckpt_close(struct sq *s)
{
	struct sq_ckpt *c = s->ck;

	if (!c)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->started)
		pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->mu);
	free(c->path);
	free(c);
	s->ck = NULL;
}

static void sq_close(struct drv *d)
{
	struct sq *s;

	if (!d)
		return;
	s = sq_of(d);
	sq_rollback(d);
	ckpt_close(s);
	for (unsigned i = 0; s->st && i < s->nstmt; i++) {
		if (s->st[i])
			sqlite3_finalize(s->st[i]->st);
		free(s->st[i]);
	}
	free(s->st);
	for (int i = 0; i < TX__COUNT; i++)
		sqlite3_finalize(s->tx[i]);
	sqlite3_close(s->db);
	free(s);
}

static int sq_open(const char *path, unsigned nstmt, struct drv **out,
		   struct qerr *e)
{
	struct sq *s;
	int rc;

	assert(path && out);
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		s->st = calloc(nstmt ? nstmt : 1, sizeof(*s->st));
	if (!s || !s->st) {
		free(s);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	s->base.ops = &drv_sqlite;
	s->nstmt = nstmt;
	/* A connection is for one thread at a time (driver.h): SQLite need
	 * not lock it on every call. */
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = s->db ? qerr_set(e, Q_ERR_IO, "",
				      "sqlite: opening '%.200s': %s", path,
				      sqlite3_errmsg(s->db))
			   : qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto err;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* An in-memory database (tests) has no WAL. */
	rc = pragma_expect(s, "PRAGMA journal_mode = WAL",
			   strcmp(path, ":memory:") ? "wal" : "memory",
			   "setting WAL mode", e);
	/* FULL in WAL mode syncs the log at every commit: a commit that
	 * returned survives a power loss. */
	if (!rc)
		rc = sq_exec(&s->base, "PRAGMA synchronous = FULL",
			     "setting synchronous", e);
	if (!rc)
		rc = pragma_expect(s, "PRAGMA synchronous", "2",
				   "setting synchronous", e);
	if (!rc)
		rc = sq_exec(&s->base, "PRAGMA foreign_keys = ON",
			     "enabling foreign keys", e);
	if (!rc)
		rc = pragma_expect(s, "PRAGMA foreign_keys", "1",
				   "enabling foreign keys", e);
	/* A 64 MiB page cache and memory-mapped reads: a batch of a few
	 * hundred applications touches many pages, and re-reading them with
	 * pread was most of the time per application. */
	if (!rc)
		rc = sq_exec(&s->base, "PRAGMA cache_size = -65536",
			     "sizing the cache", e);
	if (!rc)
		rc = sq_exec(&s->base, "PRAGMA mmap_size = 268435456",
			     "mapping the file", e);
	/* Each application of a batch has its own savepoint; its
	 * sub-journal belongs in memory, not in a temporary file written
	 * page by page (45 writes per application). */
	if (!rc)
		rc = sq_exec(&s->base, "PRAGMA temp_store = MEMORY",
			     "setting temp_store", e);
	if (!rc && strcmp(path, ":memory:") &&
	    *sqlite3_db_filename(s->db, "main"))
		rc = ckpt_open(s, sqlite3_db_filename(s->db, "main"), e);
	if (rc)
		goto err;
	*out = &s->base;
	return Q_OK;
err:
	sq_close(&s->base);
	return rc;
}

const struct drv_ops drv_sqlite = {
	.name = "sqlite",
	.dialect = DRV_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_int = sq_column_int,
	.column_text = sq_column_text,
	.column_null = sq_column_null,
	.changes = sq_changes,
	.reset = sq_reset,
	.begin_write = sq_begin_write,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.in_transaction = sq_in_transaction,
	.error = sq_error,
	.reconnect = sq_reconnect,
};
