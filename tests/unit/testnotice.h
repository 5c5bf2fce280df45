/*
 * testnotice.h - the public notice (公示) a unit test takes an award
 * through before it pays it: the bundled Shanghai 2025 policy posts every
 * award but a grant's for 5 working days (public_notice:), and payment is
 * refused until the notice is closed.
 */
#ifndef QUAN_TESTNOTICE_H
#define QUAN_TESTNOTICE_H

#include <stdint.h>

#include "core/date.h"
#include "core/err.h"
#include "office/office.h"
#include "policy/holidays.h"

/* Open a notice of program over the award id at now (the calendar of
 * QUAN_DATADIR) and close it the day after its last working day, at the
 * same time of day: the award becomes payable, also at now. 0 or the
 * error, in e. */
static inline int testnotice_through(struct office *o, const char *program,
				     const char *id, int64_t now,
				     struct qerr *e)
{
	struct holidays cal = {NULL, 0};
	struct office_notice n, closed;
	const char *ids[1] = {id};
	int rc = holidays_load(QUAN_DATADIR "/holidays.yaml", &cal, e);

	if (!rc)
		rc = office_notice_open(o, &cal, program, ids, 1, "admin", now,
					&n, e);
	if (!rc)
		rc = office_notice_close(
			o, n.id, "admin",
			now + (int64_t)(n.ends_on - date_of_instant(now) + 1) *
					86400,
			&closed, e);
	holidays_release(&cal);
	return rc;
}

#endif
