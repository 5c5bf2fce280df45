/*
 * deadline.c - the header deadline's watcher (deadline.h).
 */
#include "http/deadline.h"

#include <assert.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define TICK_MS 500

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Shut down every connection past its deadline; d->mu held. */
static void cut_late(struct deadline *d, int64_t now)
{
	for (struct deadline_conn *c = d->head.next; c != &d->head;
	     c = c->next) {
		if (!c->due_us || c->due_us > now)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->due_us = 0;
		d->cut++;
	}
}

static void *watch(void *arg)
{
	struct deadline *d = arg;

	pthread_mutex_lock(&d->mu);
	while (!d->stopping) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
		cut_late(d, now_us());
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int deadline_start(struct deadline *d, unsigned timeout_s, struct qerr *e)
{
	assert(d && timeout_s > 0);
	d->head.prev = d->head.next = &d->head;
	d->timeout_us = (int64_t)timeout_s * 1000000;
	d->stopping = false;
	d->cut = 0;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (pthread_create(&d->thread, NULL, watch, d)) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		return qerr_set(e, Q_ERR_IO, "",
				"cannot start the header deadline's thread");
	}
	d->started = true;
	assert(d->head.next == &d->head);
	return Q_OK;
}

void deadline_stop(struct deadline *d)
{
	if (!d || !d->started)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	/* libmicrohttpd closed every connection before this. */
	assert(d->head.next == &d->head);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	d->started = false;
}

struct deadline_conn *deadline_open(struct deadline *d, int fd)
{
	struct deadline_conn *c = calloc(1, sizeof(*c));

	assert(d && d->started && fd >= 0);
	if (!c)
		return NULL;
	c->fd = fd;
	c->due_us = now_us() + d->timeout_us;
	pthread_mutex_lock(&d->mu);
	c->prev = d->head.prev;
	c->next = &d->head;
	d->head.prev->next = c;
	d->head.prev = c;
	pthread_mutex_unlock(&d->mu);
	return c;
}

void deadline_met(struct deadline *d, struct deadline_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->mu);
	c->due_us = 0;
	pthread_mutex_unlock(&d->mu);
}

void deadline_rearm(struct deadline *d, struct deadline_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->mu);
	c->due_us = now_us() + d->timeout_us;
	pthread_mutex_unlock(&d->mu);
}

void deadline_close(struct deadline *d, struct deadline_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->mu);
	assert(c->prev && c->next);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	pthread_mutex_unlock(&d->mu);
	free(c);
}

unsigned long deadline_cut(struct deadline *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->mu);
	n = d->cut;
	pthread_mutex_unlock(&d->mu);
	return n;
}
