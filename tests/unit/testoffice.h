/*
 * testoffice.h - the set-up most office tests share: a fresh test database
 * (testdb.h, SQLite or PostgreSQL), the chip catalogue, an office open on
 * it and, when given, one policy loaded. Include after cmocka.h.
 */
#ifndef QUAN_TESTOFFICE_H
#define QUAN_TESTOFFICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "office/office.h"
#include "policy/chips.h"
#include "policy/diag.h"
#include "testdb.h"

/* Create *db, load the chips into *chips, open *o on db and, unless
 * policy is NULL, load that policy file as "admin" at now. Fails the test,
 * naming what failed, on any error; testoffice_close undoes it. */
static inline void testoffice_open(struct testdb *db,
				   struct chip_catalog **chips,
				   struct office *o, const char *policy,
				   int64_t now)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct qerr e;
	bool is_new;

	assert_non_null(db);
	assert_non_null(o);
	if (testdb_create(db))
		fail_msg("cannot create a test database");
	if (chips_load(QUAN_DATADIR "/chips.yaml", chips, &d)) {
		diag_release(&d);
		fail_msg("cannot load %s", QUAN_DATADIR "/chips.yaml");
	}
	diag_release(&d);
	qerr_clear(&e);
	if (office_open(o, db->url, *chips, &e))
		fail_msg("office_open: %s", e.msg);
	if (policy && office_load_policy(o, policy, "admin", now, &is_new, &e))
		fail_msg("%s: %s", policy, e.msg);
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

#endif
