/*
 * store_pg.c - the PostgreSQL driver of the store (driver.h), through
 * libpq.
 *
 * The tables, their meaning and the schema versions are those of SQLite
 * (sql.c: money is BIGINT fen; the policy text is BYTEA, kept byte for
 * byte and read back unescaped here). History (transfers, events, policy
 * versions) is made immutable by PL/pgSQL triggers, as SQLite's triggers
 * do there.
 *
 * How writers stay correct with many processes (several `quan serve`, CLI
 * commands) on one database: every write transaction begins with
 *
 *	BEGIN ISOLATION LEVEL READ COMMITTED;
 *	SELECT pg_advisory_xact_lock(QUAN_LOCK);
 *
 * one transaction-scoped advisory lock, the same key for every writer of
 * the database, held until COMMIT or ROLLBACK. Write transactions are
 * therefore serialised across processes exactly as SQLite's BEGIN
 * IMMEDIATE serialises them: no two of them ever overlap, so
 *  - a pool cannot be overspent: the balance a writer reads (after taking
 *    the lock; READ COMMITTED takes a fresh snapshot for every statement,
 *    so every statement after the lock sees every transaction committed
 *    before it) is the balance when it commits, since nobody else can
 *    write in between; the ledger's check "available may not go below
 *    zero" is made against it;
 *  - the audit chain cannot fork: the next event's seq and prev_hash are
 *    read inside the locked transaction, so the chain's single order is
 *    the order in which writers took the lock, and seq is also a primary
 *    key (a second event with the same seq could never commit);
 *  - application seq and transfer timestamps, also "last + 1", stay
 *    unique and increasing in the same way (and are UNIQUE columns).
 * REPEATABLE READ or SERIALIZABLE would be wrong here: their snapshot is
 * taken at the first statement, the lock itself, before the wait. Row
 * locks in a fixed order would lock fewer rows but leave the chain's order
 * to a second mechanism; one lock serialises everything, and group commit
 * (savepoints inside one transaction) is what makes it fast, as on SQLite.
 * Readers take no lock and see committed data only.
 *
 * Losing the server: connect_timeout, TCP keepalives and tcp_user_timeout
 * bound how long a dead connection can hang a call. A failed call answers
 * Q_ERR_IO; outside a transaction the next call (store_begin or a read)
 * reconnects (PQreset) and re-prepares its statements. A COMMIT is only
 * reported done when the server answered COMMIT; a lost connection during
 * it is an error (whether it landed is unknown, and it is never claimed).
 * synchronous_commit is set on for the session, so an answered COMMIT is
 * on the server's disk.
 *
 * Writes whose answer is not needed at once, inside one item of a batch
 * (driver.h defer: the inserts of an application, its audit event, its
 * ledger rows, and the savepoints) are sent in libpq's pipeline mode and
 * not waited for: a batch's writes travel together, and the next read, or the
 * commit, sends one sync and reads every answer before its own. A write
 * of one item of a batch (under its savepoint) is that item's failure:
 * the release of the savepoint reads every answer, so what fails there
 * is the item's, with the server's error (a unique violation is still
 * Q_ERR_CONFLICT), and rolling back to the savepoint undoes it alone.
 * A write outside any savepoint that failed spoils the transaction (it
 * is "poisoned"): from then on every call fails with Q_ERR_IO until the
 * rollback, and the batch fails as a whole, as when the store fails.
 *
 * That careful mode costs a round trip per item, at its release. A batch
 * of applications runs optimistically first (driver.h optimistic,
 * office_intake_batch): releases and rollbacks to a savepoint go down the
 * pipeline unread, as do the writes outside the items (the balances
 * written behind), and one sync at the next read or at the commit reads
 * every answer, so a batch of new firms costs the same few round trips
 * (begin, generation, sync, COMMIT) whatever its size. A refusal read
 * then may be any earlier item's, and the server has skipped everything
 * after it: the transaction is poisoned, refused_ahead says why, and the
 * office rolls it back and runs the batch again carefully, where the
 * refusal is its item's alone and the others get the answers they would
 * have had.
 *
 * Every statement is prepared once per connection (PQprepare, its ?N
 * written $N) and run with PQexecPrepared; strings are sent in binary
 * format (their bytes and length), numbers as decimal text; results come
 * back as text, and a statement keeps its result until it is reset, its
 * rows stepped through one by one.
 */
#include "store/driver.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define PARAMS_MAX 24
#define BYTEA_OID 17 /* pg_type's bytea */
/* The advisory lock every write transaction takes: "quan" in ASCII. */
#define QUAN_LOCK "1903520110"

/* One connection to one database. */
struct pg {
	struct drv base; /* ops: drv_postgres */
	PGconn *conn;
	unsigned nstmt;
	struct pg_stmt **st; /* by id, made on first use, or NULL */
	/* The connection's generation: 1 at first, one more after each
	 * PQreset, which drops the server's prepared statements. */
	unsigned gen;
	bool in_tx;	/* between begin_write and commit or rollback */
	bool piped;	/* in pipeline mode, deferred writes in flight */
	bool poisoned;	/* a deferred write failed: the transaction is lost */
	bool item_open; /* a savepoint is open, everything in flight its own */
	/* Releases do not read their item's answers (driver.h optimistic):
	 * everything in flight is the batch's, and a refusal its failure. */
	bool optimistic;
	bool refused_ahead; /* so it failed: the batch is run again */
	/* A statement of the pipeline failed or was skipped since the
	 * statements marked unsure were prepared down it: a prepare after
	 * the failure was skipped too (stmts_unsure). */
	bool pipe_failed;
	/* The server refused a write as read-only (SQLSTATE 25006: a standby,
	 * or a primary demoted under this connection): the connection is
	 * made again at the next call outside a transaction, and libpq's
	 * target_session_attrs=read-write then finds the primary. */
	bool stale;
	int pending;	/* answers of deferred statements not yet read */
	uint64_t trips; /* round trips so far (pg_round_trips) */
	char err[300];	/* the server's text of the last error */
};

/* Answers in flight at most: then they are read (a sync), so that
 * neither side's buffers fill while the other waits. */
#define PENDING_MAX 2048

/* One statement of it, and its result while it is being stepped. */
struct pg_stmt {
	struct drv_stmt base; /* ops: drv_postgres */
	struct pg *db;
	char name[16]; /* "q" and its id (and "_" and its version, once > 0) */
	/* Its prepare was sent down the pipeline in this transaction: the
	 * server skips it when an earlier statement of the pipeline failed,
	 * so after a rollback it may not exist (stmts_unsure). */
	bool unsure;
	unsigned version;
	char *sql;    /* the text, placeholders spelt $N */
	int nparams;  /* the highest N */
	unsigned gen; /* prepared on this generation (0: never) */
	const char *val[PARAMS_MAX];
	int len[PARAMS_MAX];
	int fmt[PARAMS_MAX];
	char num[PARAMS_MAX][24];
	PGresult *res; /* NULL until the first step */
	int row, rows; /* the current row of res, and how many */
	int64_t changes;
	char **owned; /* BYTEA columns unescaped for this row */
	size_t nowned, capowned;
};

static struct pg *pg_of(struct drv *d)
{
	assert(d && d->ops == &drv_postgres);
	return (struct pg *)d;
}

static struct pg_stmt *stmt_of(struct drv_stmt *st)
{
	assert(st && st->ops == &drv_postgres);
	return (struct pg_stmt *)st;
}

/* --- errors -------------------------------------------------------------------- */

/* The server's message without its trailing newline. */
static void msg_of(const char *m, char *buf, size_t cap)
{
	size_t n;

	snprintf(buf, cap, "%s", m && *m ? m : "no answer from the server");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

/* The error of op, with the server's words (from res when there is one,
 * else the connection's): Q_ERR_CONFLICT for a unique violation (SQLSTATE
 * 23505), else Q_ERR_IO. */
static int fail(struct pg *s, const PGresult *res, struct qerr *e,
		const char *op)
{
	const char *state =
		res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	msg_of(res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn),
	       s->err, sizeof(s->err));
	if (!strcmp(s->err, "no answer from the server"))
		msg_of(PQerrorMessage(s->conn), s->err, sizeof(s->err));
	if (state && !strcmp(state, "25006"))
		s->stale = true;
	return qerr_set(
		e, state && !strcmp(state, "23505") ? Q_ERR_CONFLICT : Q_ERR_IO,
		"", "postgres: %s: %s", op, s->err);
}

/* --- the pipeline -------------------------------------------------------------- */

/* The transaction is lost: say so, in e, with the first failure's words. */
static int poisoned(struct pg *s, struct qerr *e, const char *op)
{
	return qerr_set(e, Q_ERR_IO, "",
			"postgres: %s: an earlier write of this transaction "
			"failed: %s",
			op, s->err);
}

/* Send a sync and read the answer of every statement in flight, the last
 * one into *keep when keep is not NULL (a read sent last), and leave
 * pipeline mode. A failed deferred write is the open item's failure, or
 * outside one poisons the transaction (Q_ERR_IO whatever the server
 * said); a failed read alone is the read's error. */
static int collect(struct pg *s, PGresult **keep, const char *op,
		   struct qerr *e)
{
	int want = s->pending + (keep ? 1 : 0);
	int got = 0, rc = Q_OK;
	bool write_failed = false;
	bool refused = false; /* the server answered a write with an error */

	assert(s->piped);
	if (keep)
		*keep = NULL;
	s->trips++;
	if (PQpipelineSync(s->conn) != 1) {
		rc = fail(s, NULL, e, op);
		write_failed = true;
	}
	for (;;) {
		PGresult *res = PQgetResult(s->conn);
		ExecStatusType st;

		if (!res) {
			if (PQstatus(s->conn) != CONNECTION_OK) {
				if (!rc)
					rc = fail(s, NULL, e, op);
				write_failed = true;
				break;
			}
			continue; /* the end of one statement's answer */
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		got++;
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			s->pipe_failed = true;
		if (keep && got == want && !write_failed &&
		    (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
			*keep = res;
			continue;
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !rc) {
			rc = st == PGRES_PIPELINE_ABORTED
				     ? qerr_set(e, Q_ERR_IO, "",
						"postgres: %s: aborted", op)
				     : fail(s, res, e, op);
			write_failed = !keep || got < want;
			refused = write_failed && st != PGRES_PIPELINE_ABORTED;
		}
		PQclear(res);
	}
	s->pending = 0;
	if (PQexitPipelineMode(s->conn) == 1)
		s->piped = false;
	else if (!rc)
		rc = fail(s, NULL, e, op);
	/* Optimistic, what the server refused may be an earlier item's,
	 * already released: the batch's failure, and it is run again
	 * carefully. A connection lost is the store's failure: not again. */
	if (refused && s->optimistic && PQstatus(s->conn) == CONNECTION_OK)
		s->refused_ahead = true;
	if ((write_failed && (!s->item_open || s->optimistic)) || s->piped) {
		s->poisoned = true;
		rc = Q_ERR_IO;
		if (e)
			e->code = Q_ERR_IO;
	}
	if (rc && keep && *keep) {
		PQclear(*keep);
		*keep = NULL;
	}
	return rc;
}

/* Before a call that waits for its answer: every deferred write answered,
 * pipeline mode left; the transaction's poison. */
static int settle(struct pg *s, const char *op, struct qerr *e)
{
	if (s->piped)
		return collect(s, NULL, op, e);
	return s->poisoned ? poisoned(s, e, op) : Q_OK;
}

/* Into pipeline mode, inside a transaction that is not lost. */
static int pipe_open(struct pg *s, const char *op, struct qerr *e)
{
	assert(s->in_tx);
	if (s->poisoned)
		return poisoned(s, e, op);
	if (s->piped)
		return Q_OK;
	if (PQenterPipelineMode(s->conn) != 1)
		return fail(s, NULL, e, op);
	s->piped = true;
	s->pending = 0;
	return Q_OK;
}

/* One more statement in flight; a sync once too many are. */
static int sent(struct pg *s, const char *op, struct qerr *e)
{
	s->pending++;
	return s->pending >= PENDING_MAX ? collect(s, NULL, op, e) : Q_OK;
}

/* Send sql (no parameters, one statement) without waiting. */
static int send_simple(struct pg *s, const char *sql, const char *op,
		       struct qerr *e)
{
	int rc = pipe_open(s, op, e);

	if (rc)
		return rc;
	if (PQsendQueryParams(s->conn, sql, 0, NULL, NULL, NULL, NULL, 0) !=
	    1) {
		s->poisoned = true;
		return fail(s, NULL, e, op);
	}
	return sent(s, op, e);
}

/* Send q down the pipeline, prepared first on this connection if it is
 * not yet (that answer counted in flight; q's own is the caller's to
 * count). A send that fails has lost the transaction. */
static int send_prepared(struct pg *s, struct pg_stmt *q, const char *op,
			 struct qerr *e)
{
	assert(s->piped);
	if (q->gen != s->gen) {
		if (PQsendPrepare(s->conn, q->name, q->sql, 0, NULL) != 1)
			goto lost;
		s->pending++;
		q->gen = s->gen;
		q->unsure = true;
	}
	if (PQsendQueryPrepared(s->conn, q->name, q->nparams, q->val, q->len,
				q->fmt, 0) == 1)
		return Q_OK;
lost:
	s->poisoned = true;
	return fail(s, NULL, e, op);
}

/* --- the connection ------------------------------------------------------------ */

/* Usable now: outside a transaction, a broken connection is made again
 * (the server may be back), and every statement is prepared again on it;
 * inside one, it is an error (the transaction is gone with the
 * connection). */
static int pg_reconnect(struct drv *d, struct qerr *e)
{
	struct pg *s = pg_of(d);

	if (PQstatus(s->conn) == CONNECTION_OK && !s->stale)
		return Q_OK;
	if (s->in_tx)
		return s->stale ? qerr_set(e, Q_ERR_IO, "",
					   "postgres: the server takes no "
					   "writes: %s",
					   s->err)
				: fail(s, NULL, e, "the connection was lost");
	PQreset(s->conn);
	s->gen++;
	s->stale = false;
	if (PQstatus(s->conn) != CONNECTION_OK)
		return fail(s, NULL, e, "reconnecting");
	return Q_OK;
}

/* Run SQL that takes no parameters; its rows are dropped. Outside a
 * transaction, a connection found broken (the server restarted, or ended
 * the session) is made again and the SQL tried once more, as run() does. */
static int pg_exec(struct drv *d, const char *sql, const char *op,
		   struct qerr *e)
{
	struct pg *s = pg_of(d);

	assert(sql && op);
	for (int attempt = 0;; attempt++) {
		PGresult *res;
		int rc = pg_reconnect(d, e);

		if (!rc && s->in_tx)
			rc = settle(s, op, e);
		if (rc)
			return rc;
		res = PQexec(s->conn, sql);
		s->trips++;
		if (PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK) {
			PQclear(res);
			return Q_OK;
		}
		if (attempt == 0 && !s->in_tx &&
		    PQstatus(s->conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		rc = fail(s, res, e, op);
		PQclear(res);
		return rc;
	}
}

/* --- statements ------------------------------------------------------------ */

/* sql with its placeholders ?N spelt $N (quoted text left alone), and the
 * highest N into *n; malloc'd. */
static char *dollars(const char *sql, int *n)
{
	char *out = strdup(sql);
	char quote = 0;

	*n = 0;
	for (char *p = out; p && *p; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
			int v = (int)strtol(p + 1, NULL, 10);

			*p = '$';
			if (v > *n)
				*n = v;
		}
	}
	return out;
}

static void drop_owned(struct pg_stmt *q)
{
	for (size_t i = 0; i < q->nowned; i++)
		free(q->owned[i]);
	q->nowned = 0;
}

static void pg_reset(struct drv_stmt *st)
{
	struct pg_stmt *q = stmt_of(st);

	PQclear(q->res);
	q->res = NULL;
	q->row = q->rows = 0;
	q->changes = 0;
	drop_owned(q);
	memset(q->val, 0, sizeof(q->val));
	memset(q->len, 0, sizeof(q->len));
	memset(q->fmt, 0, sizeof(q->fmt));
}

static void stmt_free(struct pg_stmt *q)
{
	if (!q)
		return;
	pg_reset(&q->base);
	free(q->owned);
	free(q->sql);
	free(q);
}

/* Made here, prepared on the server at its first step (and again after
 * a reconnection). */
static int pg_prepare(struct drv *d, unsigned id, const char *sql,
		      struct drv_stmt **out, struct qerr *e)
{
	struct pg *s = pg_of(d);
	struct pg_stmt *q;

	assert(id < s->nstmt && sql);
	*out = NULL;
	q = s->st[id];
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q || !(q->sql = dollars(sql, &q->nparams))) {
			free(q);
			return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		}
		assert(q->nparams <= PARAMS_MAX);
		q->base.ops = &drv_postgres;
		q->db = s;
		snprintf(q->name, sizeof(q->name), "q%u", id);
		s->st[id] = q;
	}
	/* Reset after each use: none is left holding a result. */
	assert(!q->res);
	*out = &q->base;
	return Q_OK;
}

static void pg_bind_int(struct drv_stmt *st, int i, int64_t v)
{
	struct pg_stmt *q = stmt_of(st);

	assert(i >= 1 && i <= q->nparams);
	snprintf(q->num[i - 1], sizeof(q->num[i - 1]), "%lld", (long long)v);
	q->val[i - 1] = q->num[i - 1];
	q->len[i - 1] = 0;
	q->fmt[i - 1] = 0;
}

/* Binary format: the bytes as they are, their length given. */
static void pg_bind_text(struct drv_stmt *st, int i, const char *s, size_t len)
{
	struct pg_stmt *q = stmt_of(st);

	assert(i >= 1 && i <= q->nparams);
	assert(len <= (size_t)INT32_MAX);
	q->val[i - 1] = s ? s : "";
	q->len[i - 1] = s ? (int)len : 0;
	q->fmt[i - 1] = 1;
}

static void pg_bind_null(struct drv_stmt *st, int i)
{
	struct pg_stmt *q = stmt_of(st);

	assert(i >= 1 && i <= q->nparams);
	q->val[i - 1] = NULL;
	q->len[i - 1] = 0;
	q->fmt[i - 1] = 0;
}

/* Run q (preparing it on this connection first if need be) and keep its
 * result. Outside a transaction, a connection found broken is made again
 * and the statement tried once more. */
static int run(struct pg_stmt *q, const char *op, struct qerr *e)
{
	struct pg *s = q->db;

	if (s->in_tx && s->poisoned)
		return poisoned(s, e, op);
	/* Deferred writes in flight: the read goes after them, and one sync
	 * brings every answer back. */
	if (s->piped) {
		PGresult *res = NULL;
		int rc = send_prepared(s, q, op, e);

		if (rc) {
			collect(s, NULL, op, NULL);
			return rc;
		}
		rc = collect(s, &res, op, e);
		if (rc)
			return rc;
		q->res = res;
		q->rows = PQntuples(res);
		q->changes = strtoll(PQcmdTuples(res), NULL, 10);
		return Q_OK;
	}
	for (int attempt = 0;; attempt++) {
		PGresult *res = NULL;
		ExecStatusType st;
		int rc = pg_reconnect(&s->base, e);

		if (rc)
			return rc;
		if (q->gen != s->gen) {
			res = PQprepare(s->conn, q->name, q->sql, 0, NULL);
			s->trips++;
			if (PQresultStatus(res) == PGRES_COMMAND_OK) {
				q->gen = s->gen;
				PQclear(res);
				res = NULL;
			}
		}
		if (q->gen == s->gen) {
			res = PQexecPrepared(s->conn, q->name, q->nparams,
					     q->val, q->len, q->fmt, 0);
			s->trips++;
		}
		st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			q->res = res;
			q->rows = PQntuples(res);
			q->changes = strtoll(PQcmdTuples(res), NULL, 10);
			return Q_OK;
		}
		if (attempt == 0 && !s->in_tx &&
		    PQstatus(s->conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		rc = fail(s, res, e, op);
		PQclear(res);
		return rc;
	}
}

static int pg_step(struct drv_stmt *st, const char *op, struct qerr *e)
{
	struct pg_stmt *q = stmt_of(st);
	int rc;

	assert(op);
	drop_owned(q);
	if (q->res)
		q->row++;
	else if ((rc = run(q, op, e)) != Q_OK)
		return rc;
	assert(q->res);
	return q->row < q->rows ? DRV_ROW : DRV_DONE;
}

/* Inside a batch item (a savepoint is open), send the statement and read
 * its answer with the item's release (collect): a refusal is then still
 * the item's, with its own error. In an optimistic transaction, send it
 * wherever it is (the balances written behind before the commit): a
 * refusal fails the batch, as it would now. Elsewhere run it now, so
 * that a store function called outside a batch answers as it always
 * has. Reset either way. */
static int pg_defer(struct drv_stmt *st, const char *op, struct qerr *e)
{
	struct pg_stmt *q = stmt_of(st);
	struct pg *s = q->db;
	int rc;

	assert(op && !q->res);
	if (!s->in_tx || !(s->item_open || s->optimistic) ||
	    PQstatus(s->conn) != CONNECTION_OK) {
		rc = run(q, op, e);
		pg_reset(st);
		return rc;
	}
	rc = pipe_open(s, op, e);
	if (!rc)
		rc = send_prepared(s, q, op, e);
	if (!rc)
		rc = sent(s, op, e);
	pg_reset(st);
	return rc;
}

static int64_t pg_column_int(struct drv_stmt *st, int i)
{
	struct pg_stmt *q = stmt_of(st);

	assert(q->res && q->row < q->rows);
	return strtoll(PQgetvalue(q->res, q->row, i), NULL, 10);
}

/* A BYTEA column comes back escaped: unescaped here, kept until the next
 * step or reset. */
static const char *pg_column_text(struct drv_stmt *st, int i, size_t *len)
{
	struct pg_stmt *q = stmt_of(st);
	unsigned char *b;
	char *copy;
	size_t n = 0;

	assert(q->res && q->row < q->rows);
	if (len)
		*len = 0;
	if (PQgetisnull(q->res, q->row, i))
		return NULL;
	if (PQftype(q->res, i) != BYTEA_OID) {
		if (len)
			*len = (size_t)PQgetlength(q->res, q->row, i);
		return PQgetvalue(q->res, q->row, i);
	}
	if (q->nowned == q->capowned) {
		size_t cap = q->capowned * 2 + 4;
		char **more = realloc(q->owned, cap * sizeof(*more));

		if (!more)
			return NULL;
		q->owned = more;
		q->capowned = cap;
	}
	b = PQunescapeBytea(
		(const unsigned char *)PQgetvalue(q->res, q->row, i), &n);
	copy = b ? malloc(n + 1) : NULL;
	if (copy) {
		memcpy(copy, b, n);
		copy[n] = '\0';
		q->owned[q->nowned++] = copy;
		if (len)
			*len = n;
	}
	PQfreemem(b);
	return copy;
}

static bool pg_column_null(struct drv_stmt *st, int i)
{
	struct pg_stmt *q = stmt_of(st);

	assert(q->res && q->row < q->rows);
	return PQgetisnull(q->res, q->row, i);
}

static int64_t pg_changes(struct drv_stmt *st)
{
	return stmt_of(st)->changes;
}

/* --- transactions ------------------------------------------------------------------ */

static int pg_begin_write(struct drv *d, struct qerr *e)
{
	struct pg *s = pg_of(d);
	int rc;

	assert(!s->in_tx);
	for (int attempt = 0;; attempt++) {
		PGresult *res;

		rc = pg_reconnect(d, e);
		if (rc)
			return rc;
		res = PQexec(s->conn,
			     "BEGIN ISOLATION LEVEL READ COMMITTED; "
			     "SELECT pg_advisory_xact_lock(" QUAN_LOCK ")");
		s->trips++;
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			PQclear(res);
			s->in_tx = true;
			s->optimistic = false;
			s->refused_ahead = false;
			return Q_OK;
		}
		if (attempt == 0 && PQstatus(s->conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		rc = fail(s, res, e, "beginning a transaction");
		PQclear(res);
		if (PQstatus(s->conn) == CONNECTION_OK &&
		    PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		return rc;
	}
}

static void pg_rollback(struct drv *d);
static void stmts_unsure(struct pg *s);

/* Done only when the server answered COMMIT: a transaction spoilt by an
 * earlier error answers ROLLBACK, and a lost connection answers nothing. */
static int pg_commit(struct drv *d, struct qerr *e)
{
	struct pg *s = pg_of(d);
	PGresult *res;
	int rc = Q_OK;

	if (!s->in_tx)
		return qerr_set(e, Q_ERR_IO, "",
				"postgres: committing: no transaction is open");
	rc = settle(s, "committing", e);
	if (rc) {
		pg_rollback(d);
		return rc;
	}
	s->in_tx = false;
	s->optimistic = false;
	if (PQstatus(s->conn) != CONNECTION_OK)
		return fail(s, NULL, e, "committing: the connection was lost");
	res = PQexec(s->conn, "COMMIT");
	s->trips++;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fail(s, res, e, "committing");
	else if (strcmp(PQcmdStatus(res), "COMMIT"))
		rc = qerr_set(e, Q_ERR_IO, "",
			      "postgres: committing: the transaction had "
			      "failed and was rolled back");
	PQclear(res);
	stmts_unsure(s);
	return rc;
}

/* Once every answer of a transaction's pipeline is read (its commit, its
 * rollback, a careful rollback to a savepoint): the statements whose
 * prepare went down the pipeline exist on the server, unless a statement
 * before them failed (pipe_failed), when the server skipped what followed.
 * Then they are prepared again at their next use, under a new name (a
 * name the server may hold cannot be prepared again). Server errors are
 * what the office's own checks let through, so renames stay rare. */
static void stmts_unsure(struct pg *s)
{
	assert(s);
	assert(!s->piped || PQstatus(s->conn) != CONNECTION_OK);
	for (unsigned i = 0; s->st && i < s->nstmt; i++) {
		struct pg_stmt *q = s->st[i];

		if (!q || !q->unsure)
			continue;
		q->unsure = false;
		if (!s->pipe_failed)
			continue;
		q->version++;
		snprintf(q->name, sizeof(q->name), "q%u_%u", i, q->version);
		q->gen = 0;
	}
	s->pipe_failed = false;
}

static void pg_rollback(struct drv *d)
{
	struct pg *s = pg_of(d);

	if (s->piped)
		collect(s, NULL, "rolling back", NULL);
	s->in_tx = false;
	s->poisoned = false;
	s->item_open = false;
	s->optimistic = false;
	stmts_unsure(s);
	if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
	    PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(s->conn, "ROLLBACK"));
		s->trips++;
	}
}

/* A batch's savepoints travel with its writes (send_simple); carefully,
 * what is in flight before one is read first, so that all in flight
 * after it is its item's. */
static int pg_savepoint(struct drv *d, struct qerr *e)
{
	static const char op[] = "opening a savepoint";
	struct pg *s = pg_of(d);
	int rc;

	if (!s->in_tx)
		return pg_exec(d, "SAVEPOINT one", op, e);
	rc = s->pending && !s->optimistic ? settle(s, op, e) : Q_OK;
	if (!rc)
		rc = send_simple(s, "SAVEPOINT one", op, e);
	if (!rc)
		s->item_open = true;
	return rc;
}

/* Carefully, the item's answers are all read here: a write of it that
 * failed fails the release, and the savepoint is still there to roll
 * back to. Optimistic, the release goes down the pipeline unread. */
static int pg_release(struct drv *d, struct qerr *e)
{
	static const char op[] = "releasing a savepoint";
	struct pg *s = pg_of(d);
	int rc;

	if (!s->in_tx)
		return pg_exec(d, "RELEASE one", op, e);
	rc = send_simple(s, "RELEASE one", op, e);
	if (!rc && !s->optimistic)
		rc = settle(s, op, e);
	if (!rc)
		s->item_open = false;
	return rc;
}

/* Carefully, every answer read first (settle): a failed write of the
 * item is undone here with it; one before the item has poisoned the
 * transaction, and the rollback is left to pg_rollback. Optimistic, the
 * rollback goes down the pipeline unread, as the release does (a write
 * of the item refused there is found at the next sync, and fails the
 * batch). */
static void pg_rollback_to(struct drv *d)
{
	static const char op[] = "rolling back to a savepoint";
	struct pg *s = pg_of(d);

	if (s->optimistic && s->in_tx && !s->poisoned &&
	    PQstatus(s->conn) == CONNECTION_OK) {
		s->item_open = false;
		if (send_simple(s, "ROLLBACK TO one", op, NULL) == Q_OK)
			send_simple(s, "RELEASE one", op, NULL);
		return;
	}
	if (s->piped)
		collect(s, NULL, op, NULL);
	s->item_open = false;
	if (!s->poisoned)
		stmts_unsure(s);
	if (PQstatus(s->conn) != CONNECTION_OK || s->poisoned)
		return;
	PQclear(PQexec(s->conn, "ROLLBACK TO one; RELEASE one"));
	s->trips++;
}

static bool pg_in_transaction(struct drv *d)
{
	return pg_of(d)->in_tx;
}

/* Until the transaction ends; its begin forgets refused_ahead. */
static void pg_optimistic(struct drv *d)
{
	struct pg *s = pg_of(d);

	assert(s->in_tx);
	s->optimistic = true;
}

static bool pg_refused_ahead(struct drv *d)
{
	return pg_of(d)->refused_ahead;
}

static uint64_t pg_round_trips(struct drv *d)
{
	return pg_of(d)->trips;
}

static const char *pg_error(struct drv *d)
{
	return pg_of(d)->err;
}

/* --- opening ------------------------------------------------------------------------ */

/* Library code prints nothing: the server's notices are dropped (errors
 * come back with their results). */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_close(struct drv *d)
{
	struct pg *s;

	if (!d)
		return;
	s = pg_of(d);
	pg_rollback(d);
	for (unsigned i = 0; s->st && i < s->nstmt; i++)
		stmt_free(s->st[i]);
	free(s->st);
	PQfinish(s->conn);
	free(s);
}

/* The URI's own settings win over these defaults (they come after). */
static int pg_open(const char *url, unsigned nstmt, struct drv **out,
		   struct qerr *e)
{
	static const char *const keys[] = {
		"connect_timeout",
		"keepalives",
		"keepalives_idle",
		"keepalives_interval",
		"keepalives_count",
		"tcp_user_timeout",
		"application_name",
		"client_encoding",
		"options",
		"dbname",
		NULL,
	};
	/* Give up on a server that does not answer within 5 s, on a silent
	 * peer within about 10 s; wait for the writers' lock 10 s at most
	 * (as SQLite's busy timeout); an answered COMMIT is durable. */
	const char *const vals[] = {
		"5",
		"1",
		"5",
		"2",
		"3",
		"10000",
		"quan",
		"UTF8",
		"-c lock_timeout=10000 -c synchronous_commit=on "
		"-c idle_in_transaction_session_timeout=60000 "
		"-c client_min_messages=warning",
		url,
		NULL,
	};
	struct pg *s;

	assert(url && out);
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s)
		s->st = calloc(nstmt ? nstmt : 1, sizeof(*s->st));
	if (s && s->st)
		s->conn = PQconnectdbParams(keys, vals, 1);
	if (!s || !s->st || !s->conn) {
		if (s)
			free(s->st);
		free(s);
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	}
	s->base.ops = &drv_postgres;
	s->nstmt = nstmt;
	s->gen = 1;
	if (PQstatus(s->conn) != CONNECTION_OK) {
		int rc = fail(s, NULL, e, "connecting");

		pg_close(&s->base);
		return rc;
	}
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	*out = &s->base;
	return Q_OK;
}

const struct drv_ops drv_postgres = {
	.name = "postgres",
	.dialect = DRV_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.defer = pg_defer,
	.column_int = pg_column_int,
	.column_text = pg_column_text,
	.column_null = pg_column_null,
	.changes = pg_changes,
	.reset = pg_reset,
	.begin_write = pg_begin_write,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.in_transaction = pg_in_transaction,
	.optimistic = pg_optimistic,
	.refused_ahead = pg_refused_ahead,
	.round_trips = pg_round_trips,
	.error = pg_error,
	.reconnect = pg_reconnect,
};
