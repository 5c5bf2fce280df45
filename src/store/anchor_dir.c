/*
 * anchor_dir.c - scheduled anchors into a directory (anchor_dir.h).
 */
#include "store/anchor_dir.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/date.h"
#include "store/anchor.h"
#include "store/store.h"

#define DIR_PATH_MAX 4096

/* One directory's writer: its key, its thread, and the head it wrote
 * last. The mutex guards stopping; the rest belongs to the thread once it
 * runs (and to start and stop around it). */
struct anchor_dir {
	struct anchor_dir_config c;
	struct anchor_key key;
	struct store *store; /* the writer's own connection */
	int64_t last_seq;    /* the head of the last anchor written, -1: none */
	/* The head the thread read last: the next read walks only the events
	 * after it, so an interval costs the events it added, not the whole
	 * chain again (walked once, at start). */
	struct anchor read;
	bool have_read;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
};

static void tell(struct anchor_dir *d, const char *msg)
{
	if (d->c.report)
		d->c.report(d->c.report_arg, msg);
}

/* "20251120T100000" from the office's "2025-11-20T10:00:00+08:00". */
static void stamp(int64_t at, char out[16])
{
	char t[DATETIME_TEXT_MAX];
	size_t k = 0;

	datetime_format(at, t);
	for (size_t i = 0; i < 19 && k < 15; i++)
		if (t[i] != '-' && t[i] != ':')
			out[k++] = t[i];
	out[k] = '\0';
}

/* Write text to dir/name through a hidden temporary, synced, renamed. */
static int put_file(const char *dir, const char *name, const char *text,
		    struct qerr *e)
{
	char tmp[DIR_PATH_MAX], path[DIR_PATH_MAX];
	size_t len = strlen(text), done = 0;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
		    sizeof(tmp) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path))
		return qerr_set(e, Q_ERR_INVALID, "", "'%s': path too long",
				dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return qerr_set(e, Q_ERR_IO, "", "'%s': %s", tmp,
				strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (done < len || fsync(fd) || close(fd) || rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		return qerr_set(e, Q_ERR_IO, "", "'%s': %s", path,
				strerror(err));
	}
	/* The rename is durable once the directory is. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* One anchor of the head now, unless it is the head written last. */
static int write_one(struct anchor_dir *d, struct qerr *e)
{
	char text[ANCHOR_TEXT_MAX], name[64], ts[16];
	struct anchor a;
	int64_t at = (int64_t)time(NULL) + d->c.clock_offset;
	int rc;

	rc = anchor_head_from(d->store, d->have_read ? &d->read : NULL, &a, e);
	if (rc)
		return rc;
	d->read = a;
	d->have_read = true;
	if (a.seq == d->last_seq)
		return 0;
	rc = anchor_sign(&a, &d->key, at, text, e);
	if (rc)
		return rc;
	stamp(at, ts);
	snprintf(name, sizeof(name), "anchor-%012" PRId64 "-%s.txt", a.seq, ts);
	rc = put_file(d->c.dir, name, text, e);
	if (rc)
		return rc;
	d->last_seq = a.seq;
	{
		char msg[DIR_PATH_MAX + 128];

		snprintf(msg, sizeof(msg), "anchor: wrote %s/%s", d->c.dir,
			 name);
		tell(d, msg);
	}
	return 0;
}

static void *run(void *arg)
{
	struct anchor_dir *d = arg;
	struct timespec until;
	bool stop;

	for (;;) {
		struct qerr e;

		pthread_mutex_lock(&d->mu);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)d->c.every;
		while (!d->stopping &&
		       pthread_cond_timedwait(&d->cv, &d->mu, &until) !=
			       ETIMEDOUT)
			;
		stop = d->stopping;
		pthread_mutex_unlock(&d->mu);
		qerr_clear(&e);
		/* The last one too: the chain as the server leaves it. */
		if (write_one(d, &e)) {
			char msg[sizeof(e.msg) + 32];

			snprintf(msg, sizeof(msg), "anchor: not written: %s",
				 e.msg);
			tell(d, msg);
		}
		if (stop)
			return NULL;
	}
}

static void dir_free(struct anchor_dir *d)
{
	store_close(d->store);
	anchor_key_release(&d->key);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int anchor_dir_start(const struct anchor_dir_config *c, struct anchor_dir **out,
		     struct qerr *e)
{
	struct anchor_dir *d;
	pthread_condattr_t ca;
	struct stat st;
	int rc;

	assert(c && c->db && c->dir && c->key_path && out);
	assert(c->every > 0);
	*out = NULL;
	errno = 0;
	if (stat(c->dir, &st) || !S_ISDIR(st.st_mode))
		return qerr_set(e, Q_ERR_IO, "", "--anchor-dir '%s': %s",
				c->dir,
				errno ? strerror(errno) : "not a directory");
	d = calloc(1, sizeof(*d));
	if (!d)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	d->c = *c;
	d->last_seq = -1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = anchor_key_load(c->key_path, &d->key, e);
	if (!rc)
		rc = store_open(c->db, &d->store, e);
	if (!rc)
		rc = write_one(d, e);
	if (!rc && pthread_create(&d->thread, NULL, run, d))
		rc = qerr_set(e, Q_ERR_NOMEM, "", "cannot start a thread");
	if (rc) {
		dir_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void anchor_dir_stop(struct anchor_dir *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	dir_free(d);
}
