/*
 * testoffice.h - the set-up most office tests share: a fresh test database
 * (testdb.h, SQLite or PostgreSQL), the chip catalogue, an office open on
 * it and, when given, one policy loaded; a second office on that database
 * or another; and the bundled example applications, read and edited into
 * new ones. Include after cmocka.h.
 */
#ifndef QUAN_TESTOFFICE_H
#define QUAN_TESTOFFICE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/file.h"
#include "office/office.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testdb.h"

/* Open *o on the database db, made already (by testoffice_open or
 * testdb_create), with the catalogue chips (not its own) and, unless
 * policy is NULL, load that policy file as "admin" at now: a second office
 * on one database, as another process opens it, or one on a database of
 * its own. Fails the test, naming what failed, on any error; office_close
 * undoes it. */
static inline void testoffice_open_on(const struct testdb *db,
				      const struct chip_catalog *chips,
				      struct office *o, const char *policy,
				      int64_t now)
{
	struct qerr e;
	bool is_new;

	assert_non_null(db);
	assert_non_null(o);
	qerr_clear(&e);
	if (office_open(o, db->url, chips, &e))
		fail_msg("office_open: %s", e.msg);
	if (policy && office_load_policy(o, policy, "admin", now, &is_new, &e))
		fail_msg("%s: %s", policy, e.msg);
}

/* Create *db, load the chips into *chips, open *o on db and, unless
 * policy is NULL, load that policy file as "admin" at now. Fails the test,
 * naming what failed, on any error; testoffice_close undoes it. */
static inline void testoffice_open(struct testdb *db,
				   struct chip_catalog **chips,
				   struct office *o, const char *policy,
				   int64_t now)
{
	struct diag_list d = DIAG_LIST_INIT;

	assert_non_null(db);
	assert_non_null(chips);
	if (testdb_create(db))
		fail_msg("cannot create a test database");
	if (chips_load(QUAN_DATADIR "/chips.yaml", chips, &d)) {
		diag_release(&d);
		fail_msg("cannot load %s", QUAN_DATADIR "/chips.yaml");
	}
	diag_release(&d);
	testoffice_open_on(db, *chips, o, policy, now);
}

/* Close the office, free the chips and drop the database. */
static inline void testoffice_close(struct testdb *db,
				    struct chip_catalog *chips,
				    struct office *o)
{
	assert_non_null(db);
	assert_non_null(o);
	office_close(o);
	chips_free(chips);
	testdb_drop(db);
}

/* The bundled example application `name` (a file of
 * examples/applications/), its text in *text (the caller frees it) and
 * its length in *len. Fails the test when it cannot be read. */
static inline void testoffice_example(const char *name, char **text,
				      size_t *len)
{
	char path[512];
	struct qerr e;

	assert_non_null(name);
	assert_non_null(text);
	if ((size_t)snprintf(path, sizeof(path),
			     "%s/../examples/applications/%s", QUAN_DATADIR,
			     name) >= sizeof(path))
		fail_msg("the path of %s is too long", name);
	qerr_clear(&e);
	if (file_read(path, 1 << 20, "an application", text, len, &e))
		fail_msg("%s: %s", path, e.msg);
}

/* Replace the first `what` in buf (n bytes of room) by `with`; fails the
 * test when buf holds no `what` or the result does not fit. */
static inline void testoffice_swap(char *buf, size_t n, const char *what,
				   const char *with)
{
	char *at = strstr(buf, what);
	char tail[8192];

	assert_non_null(at);
	assert_true(strlen(at + strlen(what)) < sizeof(tail));
	snprintf(tail, sizeof(tail), "%s", at + strlen(what));
	assert_true((size_t)snprintf(at, n - (size_t)(at - buf), "%s%s", with,
				     tail) < n - (size_t)(at - buf));
}

#endif
