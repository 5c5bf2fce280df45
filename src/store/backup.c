/*
 * backup.c - quan backup and quan restore (backup.h).
 */
#include "store/backup.h"

#include <assert.h>
#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/copy.h"
#include "store/store.h"

#define PATH_MAX_LEN 4096
#define BUSY_MS 10000

extern char **environ;

static bool is_pg(const char *url)
{
	return !strncmp(url, "postgres://", 11) ||
	       !strncmp(url, "postgresql://", 13);
}

/* The file of a SQLite URL, as store_open reads it. */
static const char *sqlite_path(const char *url)
{
	if (!strncmp(url, "sqlite://", 9))
		return url + 9;
	if (!strncmp(url, "sqlite:", 7))
		return url + 7;
	return url;
}

/* Run argv[0] (found on PATH) with argv and wait; 0 when it exits 0. */
static int run(char *const argv[], struct qerr *e)
{
	pid_t pid;
	int st, rc;

	rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (rc)
		return qerr_set(e, Q_ERR_IO, "", "cannot run %s: %s", argv[0],
				strerror(rc));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return qerr_set(e, Q_ERR_IO, "", "%s: %s", argv[0],
					strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return qerr_set(e, Q_ERR_IO, "",
				"%s failed (exit %d): see its message above",
				argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* Copy the database src into dst with the backup API, in one step (one
 * read transaction of src: one consistent moment). */
static int sqlite_copy(sqlite3 *src, sqlite3 *dst, struct qerr *e)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (!b)
		return qerr_set(e, Q_ERR_IO, "", "sqlite: backup: %s",
				sqlite3_errmsg(dst));
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return qerr_set(e, Q_ERR_IO, "", "sqlite: backup: %s",
				sqlite3_errstr(rc));
	return 0;
}

static int sqlite_open(const char *path, int flags, sqlite3 **db,
		       struct qerr *e)
{
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		int rc = qerr_set(e, Q_ERR_IO, "", "sqlite: opening '%s': %s",
				  path,
				  *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*db, BUSY_MS);
	return 0;
}

static int take_sqlite(const char *path, const char *tmp, struct qerr *e)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc;

	rc = sqlite_open(path, SQLITE_OPEN_READONLY, &src, e);
	if (!rc)
		rc = sqlite_open(tmp,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				 &dst, e);
	if (!rc)
		rc = sqlite_copy(src, dst, e);
	/* One self-contained file: no -wal beside it. */
	if (!rc && sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
				NULL) != SQLITE_OK)
		rc = qerr_set(e, Q_ERR_IO, "", "sqlite: '%s': %s", tmp,
			      sqlite3_errmsg(dst));
	sqlite3_close(src);
	if (sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = qerr_set(e, Q_ERR_IO, "", "sqlite: closing '%s'", tmp);
	return rc;
}

int backup_take(const char *url, const char *to, struct qerr *e)
{
	char tmp[PATH_MAX_LEN];
	int rc;

	assert(url && to);
	if (!access(to, F_OK))
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"'%s' exists already, not overwritten", to);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial", to) >= sizeof(tmp))
		return qerr_set(e, Q_ERR_INVALID, "", "'%s': path too long",
				to);
	unlink(tmp);
	if (is_pg(url)) {
		char *argv[] = {
			"pg_dump", "--format=custom", "--no-owner", "--file",
			tmp,	   "--dbname",	      (char *)url,  NULL};

		rc = run(argv, e);
	} else {
		rc = take_sqlite(sqlite_path(url), tmp, e);
	}
	if (!rc && rename(tmp, to))
		rc = qerr_set(e, Q_ERR_IO, "", "'%s': %s", to, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

/* What kind of backup the file is: 's' SQLite, 'p' pg_dump custom, 0. */
static int backup_kind(const char *from, struct qerr *e)
{
	char magic[16] = {0};
	FILE *f = fopen(from, "rb");
	size_t n;

	if (!f) {
		qerr_set(e, Q_ERR_IO, "", "'%s': %s", from, strerror(errno));
		return -1;
	}
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	if (n == 16 && !memcmp(magic, "SQLite format 3", 16))
		return 's';
	if (n >= 5 && !memcmp(magic, "PGDMP", 5))
		return 'p';
	qerr_set(e, Q_ERR_INVALID, "",
		 "'%s' is neither a SQLite backup nor a pg_dump file", from);
	return -1;
}

static int restore_sqlite(const char *from, const char *path, struct qerr *e)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc;

	rc = sqlite_open(from, SQLITE_OPEN_READONLY, &src, e);
	if (!rc)
		rc = sqlite_open(path, SQLITE_OPEN_READWRITE, &dst, e);
	if (!rc)
		rc = sqlite_copy(src, dst, e);
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

int backup_restore(const char *from, const char *url, struct qerr *e)
{
	struct store *s = NULL;
	int kind, rc;

	assert(from && url);
	kind = backup_kind(from, e);
	if (kind < 0)
		return e->code;
	if ((kind == 'p') != is_pg(url))
		return qerr_set(e, Q_ERR_INVALID, "",
				"'%s' is a %s backup and '%s' a %s database: "
				"restore into the same kind, then `quan "
				"migrate`",
				from, kind == 'p' ? "PostgreSQL" : "SQLite",
				url, is_pg(url) ? "PostgreSQL" : "SQLite");
	/* The target must hold nothing: the check of quan migrate. */
	rc = store_open(url, &s, e);
	if (!rc)
		rc = store_copy_check_empty(s, e);
	store_close(s);
	if (rc == Q_ERR_CONFLICT)
		return qerr_set(e, Q_ERR_CONFLICT, "",
				"'%s' is not empty: a restore goes only into "
				"an empty database; nothing was written",
				url);
	if (rc)
		return rc;
	if (kind == 's')
		return restore_sqlite(from, sqlite_path(url), e);
	{
		/* --clean: the empty schema store_open made gives way to the
		 * dump's, in one transaction with the rest. */
		char *argv[] = {"pg_restore",	   "--clean",
				"--if-exists",	   "--no-owner",
				"--exit-on-error", "--single-transaction",
				"--dbname",	   (char *)url,
				(char *)from,	   NULL};
		/* A restored database has no statistics: without them the
		 * planner took 40 s over a ledger check of 25 000
		 * applications that takes 1 s on the source. */
		char *analyze[] = {"vacuumdb", "--analyze-only", "--quiet",
				   "--dbname", (char *)url,	 NULL};

		rc = run(argv, e);
		return rc ? rc : run(analyze, e);
	}
}
