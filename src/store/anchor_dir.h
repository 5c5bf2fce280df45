/*
 * anchor_dir.h - a long-running server's anchors, written on a schedule
 * into a directory (quan serve --anchor-dir).
 *
 * The directory is meant to be one the database's owner cannot rewrite:
 * another disk, a mount that something outside the office copies from.
 * Each anchor is a file DIR/anchor-<seq, 12 digits>-<YYYYMMDDTHHMMSS>.txt
 * (the office's time), written to a hidden temporary name, synced and
 * renamed, so a reader never sees half an anchor; the names sort by head.
 * One is written at start, then every `every` seconds when the chain has
 * grown, and a last one at stop.
 *
 * The writer runs on a thread of its own with its own connection to the
 * database (store_open), so it never holds up a request.
 */
#ifndef QUAN_ANCHOR_DIR_H
#define QUAN_ANCHOR_DIR_H

#include <stdint.h>

#include "core/err.h"

struct anchor_dir;

struct anchor_dir_config {
	const char *db;	      /* the database's URL, as store_open takes it */
	const char *dir;      /* where the anchors go; must exist */
	const char *key_path; /* the office key (anchor.h) */
	int64_t every;	      /* seconds between anchors (> 0) */
	int64_t clock_offset; /* the office's clock minus the system's */
	/* Told each anchor written ("wrote DIR/anchor-...") and each failure
	 * (the thread carries on); may be NULL. Called from the thread. */
	void (*report)(void *arg, const char *msg);
	void *report_arg;
};

/* Load the key, write the first anchor (so a wrong key or directory fails
 * here, not later) and start the thread. *out is freed by
 * anchor_dir_stop. */
int anchor_dir_start(const struct anchor_dir_config *c, struct anchor_dir **out,
		     struct qerr *e);

/* Write the last anchor (when the chain grew since the previous one), stop
 * the thread and free d. Call it after the server stopped writing. */
void anchor_dir_stop(struct anchor_dir *d);

#endif
