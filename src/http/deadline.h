/*
 * deadline.h - a deadline for a connection's request headers, however
 * slowly they trickle in.
 *
 * libmicrohttpd's timeout is one of silence: a client that sends a byte
 * every few seconds (a slowloris) never meets it. Here every watched
 * connection must have its headers in within timeout_s seconds of being
 * armed (when it opens, and again after each answer, for the next request
 * on a kept-alive connection); a thread of its own looks twice a second
 * and shuts down the socket of any that is late. shutdown(2), not
 * close(2): the descriptor stays libmicrohttpd's, which then sees the
 * connection end and closes it itself. The list and the shutdown share a
 * mutex with deadline_close, which libmicrohttpd calls before it closes
 * the descriptor, so a descriptor already handed to another connection is
 * never shut down.
 */
#ifndef QUAN_DEADLINE_H
#define QUAN_DEADLINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

/* One watched connection (the socket context of libmicrohttpd). */
struct deadline_conn {
	struct deadline_conn *prev, *next;
	int fd;
	int64_t due_us; /* monotonic; 0: headers in, not watched */
};

/* The connections of one server, and the thread that watches them. */
struct deadline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stopping;
	struct deadline_conn head; /* a ring; head itself is no connection */
	int64_t timeout_us;
	unsigned long cut; /* connections shut down for being late */
};

/* Start watching with a deadline of timeout_s (> 0) seconds; Q_ERR_IO
 * when the thread does not start. deadline_stop joins and frees it. */
int deadline_start(struct deadline *d, unsigned timeout_s, struct qerr *e);
void deadline_stop(struct deadline *d);

/* A new connection on fd, due now + timeout; NULL when out of memory
 * (then never cut). Freed by deadline_close. */
struct deadline_conn *deadline_open(struct deadline *d, int fd);

/* Its headers are in: no longer due. */
void deadline_met(struct deadline *d, struct deadline_conn *c);

/* Its answer is out: the next request's headers are due in timeout. */
void deadline_rearm(struct deadline *d, struct deadline_conn *c);

/* The connection is closing: forget and free c (NULL: nothing). */
void deadline_close(struct deadline *d, struct deadline_conn *c);

/* How many connections were cut so far. */
unsigned long deadline_cut(struct deadline *d);

#endif
