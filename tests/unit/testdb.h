/*
 * testdb.h - the database a unit test runs on, on either back end.
 *
 * With QUAN_TEST_DB unset (or empty), a fresh SQLite file in a new
 * directory under /tmp. With QUAN_TEST_DB a PostgreSQL URI without a
 * database ("postgres://quan@127.0.0.1:PORT", as scripts/pg exports it),
 * a fresh database with a unique name is created on that server and
 * dropped afterwards. testdb_exec and testdb_text reach the database
 * behind the store's back (as an intruder would, or to check the schema).
 */
#ifndef QUAN_TESTDB_H
#define QUAN_TESTDB_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

struct testdb {
	bool pg;
	char url[400];	/* what store_open is given */
	char base[300]; /* the server's URI, without a database */
	char name[64];	/* the PostgreSQL database */
	char dir[64];	/* the SQLite file's directory */
};

static inline bool testdb_is_pg(void)
{
	const char *u = getenv("QUAN_TEST_DB");

	return u && *u;
}

/* Run sql on the server's maintenance database; 0 or -1. */
static inline int testdb_admin(const struct testdb *t, const char *sql)
{
	char url[400];
	PGconn *c;
	PGresult *r;
	int rc;

	snprintf(url, sizeof(url), "%s/postgres", t->base);
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "testdb: %s: %s", url, PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* A fresh, empty database; its store URL in t->url. 0 or -1. */
static inline int testdb_create(struct testdb *t)
{
	static unsigned counter;
	const char *u = getenv("QUAN_TEST_DB");
	char sql[160];

	memset(t, 0, sizeof(*t));
	if (!u || !*u) {
		snprintf(t->dir, sizeof(t->dir), "/tmp/quan-test-XXXXXX");
		if (!mkdtemp(t->dir))
			return -1;
		snprintf(t->url, sizeof(t->url), "%s/quan.db", t->dir);
		return 0;
	}
	t->pg = true;
	snprintf(t->base, sizeof(t->base), "%s", u);
	snprintf(t->name, sizeof(t->name), "quan_t_%ld_%u_%ld", (long)getpid(),
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED),
		 (long)time(NULL) % 100000);
	snprintf(t->url, sizeof(t->url), "%s/%s", t->base, t->name);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->name);
	return testdb_admin(t, sql);
}

/* Remove the database (and the SQLite file's directory). */
static inline void testdb_drop(struct testdb *t)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[480];

	if (t->pg) {
		snprintf(p, sizeof(p),
			 "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
		testdb_admin(t, p);
		return;
	}
	if (!t->dir[0])
		return;
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", t->url, suffixes[i]);
		unlink(p);
	}
	rmdir(t->dir);
	t->dir[0] = '\0';
}

/* Run sql (several statements allowed) behind the store's back: 0, or -1
 * when the database refused it (the reason goes to *why, if given). */
static inline int testdb_exec(const struct testdb *t, const char *sql,
			      char *why, size_t cap)
{
	int rc;

	if (t->pg) {
		PGconn *c = PQconnectdb(t->url);
		PGresult *r = PQexec(c, sql);

		rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
				     PQresultStatus(r) == PGRES_TUPLES_OK
			     ? 0
			     : -1;
		if (rc && why)
			snprintf(why, cap, "%s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		char *err = NULL;

		if (sqlite3_open(t->url, &db) != SQLITE_OK)
			return -1;
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK ? 0
									  : -1;
		if (rc && why)
			snprintf(why, cap, "%s", err ? err : "");
		sqlite3_free(err);
		sqlite3_close(db);
	}
	return rc;
}

/* The first column of the first row of sql as text into out; 0 or -1. */
static inline int testdb_text(const struct testdb *t, const char *sql,
			      char *out, size_t cap)
{
	int rc = -1;

	out[0] = '\0';
	if (t->pg) {
		PGconn *c = PQconnectdb(t->url);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r)) {
			snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
			rc = 0;
		}
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *st;

		if (sqlite3_open(t->url, &db) != SQLITE_OK)
			return -1;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW) {
				snprintf(out, cap, "%s",
					 (const char *)sqlite3_column_text(st,
									   0));
				rc = 0;
			}
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
	}
	return rc;
}

#endif
