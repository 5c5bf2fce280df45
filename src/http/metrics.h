/*
 * metrics.h - what the server counts for GET /metrics (Prometheus text
 * format 0.0.4): requests by route and status, their latency, and the
 * writer's queue and batches.
 *
 * Counters are C11 atomics, bumped by every HTTP thread and the writer
 * without a lock; a scrape reads them one by one, so two counters read in
 * one scrape may be a request apart. Routes are numbered by the server
 * (0 .. nroutes-1), and nroutes itself counts everything else (static
 * files, the OpenAPI document, unknown paths): the labels stay a bounded
 * set whatever clients send. Statuses outside METRICS_STATUSES count as
 * "other".
 */
#ifndef QUAN_METRICS_H
#define QUAN_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

/* The statuses counted one by one. */
#define METRICS_STATUSES                                                       \
	{                                                                      \
		200, 201, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500,    \
			503                                                    \
	}
#define METRICS_NSTATUS 14 /* the 13 above and "other" */
#define METRICS_NLAT 13	   /* latency buckets, +Inf included */
#define METRICS_NBATCH 11  /* batch-size buckets 1, 2, 4 .. 512, +Inf */

/* The counts of one route. */
struct metrics_route {
	atomic_ulong status[METRICS_NSTATUS];
	atomic_ulong lat[METRICS_NLAT]; /* not cumulative: one per bucket */
	atomic_ullong lat_sum_us;
};

/* Everything counted since the server started. */
struct metrics {
	struct metrics_route *route; /* nroutes + 1 */
	size_t nroutes;
	atomic_long queued;		    /* requests waiting at the writer */
	atomic_ulong batch[METRICS_NBATCH]; /* commits by applications */
	atomic_ullong batch_sum;
};

/* Counters for nroutes routes (and the rest); Q_ERR_NOMEM.
 * metrics_release frees them. */
int metrics_init(struct metrics *m, size_t nroutes, struct qerr *e);
void metrics_release(struct metrics *m);

/* One request answered: its route (nroutes: none), status and time from
 * its request line to its answer, in microseconds. */
void metrics_request(struct metrics *m, size_t route, unsigned status,
		     int64_t us);

/* One commit of n applications by the writer. */
void metrics_batch(struct metrics *m, size_t n);

/* Writes the counters in Prometheus text format to f: name(i) gives
 * route i's method and path pattern. */
void metrics_write(struct metrics *m, FILE *f,
		   void (*name)(size_t i, const char **method,
				const char **path));

#endif
