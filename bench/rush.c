/*
 * bench/rush - the voucher rush: a round opens and applicants rush the
 * server. Measures durable applications per second over HTTP and their
 * latency, then checks that nothing acknowledged was lost and no pool was
 * overspent.
 *
 * 1. Generates N distinct Shanghai 2025 applications (sim/gen.h) before
 *    any timing: each with its client_ref "RUSH-<k>", no number and no
 *    time. The office's clock is set (QUAN_NOW, for every quan command
 *    this runs, `quan serve` included): to QUAN_NOW when it is set in the
 *    environment (bench/rush-pg.sh sets it), otherwise to the first whole
 *    minute after the generator's last arrival (gen_received_at:
 *    2025-12-29 at the latest), inside the window, so that every contract
 *    is signed before the office receives it; it must not be earlier
 *    than that arrival. The clock moves on from there.
 * 2. Baseline, in this process: the same applications through
 *    office_apply_batch in batches of 256 (the path `quan apply` takes,
 *    one fsync per batch) into a fresh database, by the same clock;
 *    applications/s.
 * 3. A second fresh database: `quan init`, `quan user add ... --role
 *    administrator` (its token), `quan serve --listen 127.0.0.1:0` as a
 *    child process. Both databases live on a real disk under build/
 *    (refused on tmpfs).
 * 4. Fires the N applications as POST /v1/applications from C keep-alive
 *    connections (a small epoll HTTP/1.1 client, one request in flight per
 *    connection), timing each from its first byte sent to its whole answer
 *    received. Prints applications/s (N over the time from the first send
 *    to the last answer), p50, p99 and max latency, the count per status,
 *    the states answered, and the CPU this process and the server used
 *    over the run (both share the machine's cores).
 * 5. Stops the server (SIGTERM, or SIGKILL with --kill, so that nothing
 *    acknowledged can be saved by an orderly shutdown) and checks: `quan
 *    ledger check` exits 0; every application answered 201 is in the store
 *    under the office's number the server answered, with the client_ref
 *    it was sent with (answered back too), in the state the server
 *    answered, received by the office's clock during the run, and the
 *    store holds nothing else; every application was eligible (reserved or
 *    waitlisted, here and in the baseline); no pool is overspent
 *    (available >= 0, reserved + awarded + paid <= budget). Any other
 *    answer than 201, a dropped connection or a failed check exits 1.
 *
 * usage: bench/rush [--smoke] [-n N] [-c C] [--base N] [--kill] [--keep]
 *                   [--db-url URL]
 * QUAN names the quan binary (default build/quan); --db-url serves an
 * existing, freshly initialised database instead of making one (for the
 * PostgreSQL back end, later; the baseline stays on SQLite).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "office/office.h"
#include "sim/gen.h"

#define SEED 0x5eed2025ull
#define BATCH 256
#define HEAD_ROOM 512	    /* bytes reserved before each body */
#define RESP_MAX (1u << 20) /* a longer answer is an error */
#define STALL_SECONDS 60    /* no answer for this long: give up */
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6
#define REF_MAX 65 /* a client_ref and its NUL */
#define ID_MAX 32  /* an office's number ("SH-2025-000001") and its NUL */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The office's clock, as QUAN_NOW sets it: office_t0 at office_mono0
 * (monotonic), moving on from there. */
static int64_t office_t0;
static double office_mono0;

static int64_t office_now(void)
{
	return office_t0 + (int64_t)(now() - office_mono0);
}

static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds (user + system) of process pid so far, from /proc, or -1. */
static double cpu_of(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces: 3 is the
	 * state, 14 utime, 15 stime. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	while (*p && field < 14) {
		if (*p == ' ')
			field++;
		p++;
	}
	ut = strtoull(p, &p, 10);
	st = strtoull(p, &p, 10);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* --- scratch directory, child processes ------------------------------------ */

static char dir[1024];
static pid_t server_pid;
static int keep;

static void cleanup(void)
{
	static const char *const files[] = {
		"baseline.db",	   "baseline.db-wal",
		"baseline.db-shm", "baseline.db-journal",
		"rush.db",	   "rush.db-wal",
		"rush.db-shm",	   "rush.db-journal",
		"serve.out",	   "serve.err"};

	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
	if (!dir[0] || keep)
		return;
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		char f[1100];

		snprintf(f, sizeof(f), "%.1000s/%s", dir, files[k]);
		unlink(f);
	}
	rmdir(dir);
}

/* Keep the scratch directory for a look, and exit 1. */
static void die(void)
{
	if (dir[0] && !keep) {
		keep = 1;
		fprintf(stderr, "bench: kept %s for a look\n", dir);
	}
	exit(1);
}

/* Run argv with stdout into out (n bytes, NUL-terminated, trailing white
 * space removed); stderr passes through. Returns the exit status, or -1. */
static int run_capture(char *const argv[], char *out, size_t n)
{
	int fd[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "bench: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		char sink[256];
		ssize_t r = got + 1 < n ? read(fd[0], out + got, n - 1 - got)
					: read(fd[0], sink, sizeof(sink));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (got + 1 < n)
			got += (size_t)r;
	}
	close(fd[0]);
	out[got] = '\0';
	while (got && (out[got - 1] == '\n' || out[got - 1] == ' ' ||
		       out[got - 1] == '\r'))
		out[--got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void print_file(const char *path, const char *what)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	fprintf(stderr, "--- %s (%s)\n", what, path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* Start `quan serve` on db, stdout and stderr into files of the scratch
 * directory; wait (up to 30 s) for its `listening http://H:P/` line. */
static int start_server(const char *quan, const char *db, int *port)
{
	char out[1100], err[1100], line[256];
	double t0 = now();

	snprintf(out, sizeof(out), "%.1000s/serve.out", dir);
	snprintf(err, sizeof(err), "%.1000s/serve.err", dir);
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0)
			_exit(127);
		dup2(o, 1);
		dup2(e, 2);
		execl(quan, quan, "serve", "--db", db, "--listen",
		      "127.0.0.1:0", (char *)NULL);
		fprintf(stderr, "bench: cannot run %s: %s\n", quan,
			strerror(errno));
		_exit(127);
	}
	while (now() - t0 < 30) {
		FILE *f = fopen(out, "r");
		int status;

		if (f) {
			const char *p;

			line[0] = '\0';
			if (fgets(line, sizeof(line), f) &&
			    strchr(line, '\n') &&
			    (p = strstr(line, "http://127.0.0.1:"))) {
				fclose(f);
				*port = (int)strtol(p + 17, NULL, 10);
				return *port > 0 && *port < 65536 ? 0 : -1;
			}
			fclose(f);
		}
		if (waitpid(server_pid, &status, WNOHANG) == server_pid) {
			server_pid = 0;
			fprintf(stderr,
				"bench: quan serve exited (status %d)\n",
				status);
			print_file(err, "quan serve stderr");
			return -1;
		}
		usleep(10000);
	}
	fprintf(stderr, "bench: quan serve did not say it listens in 30 s\n");
	return -1;
}

/* Stop the server with sig and wait for it (30 s). Returns 0 when it
 * ended by itself (status 0) or by the signal sent. */
static int stop_server(int sig, int *status)
{
	double t0 = now();

	kill(server_pid, sig);
	while (now() - t0 < 30) {
		pid_t r = waitpid(server_pid, status, WNOHANG);

		if (r == server_pid) {
			server_pid = 0;
			if (WIFEXITED(*status))
				return WEXITSTATUS(*status) == 0 ? 0 : -1;
			return WIFSIGNALED(*status) && WTERMSIG(*status) == sig
				       ? 0
				       : -1;
		}
		usleep(10000);
	}
	fprintf(stderr,
		"bench: quan serve still running 30 s after signal %d\n", sig);
	return -1;
}

/* --- the applications ------------------------------------------------------ */

/* Application k: its body at buf + HEAD_ROOM (blen bytes); once the server
 * is known, the whole request at req (rlen bytes), ending with the body. */
struct app {
	char *buf;
	size_t blen;
	const char *req;
	size_t rlen;
};

/* What the server answered to application k. */
struct answer {
	uint32_t us;	 /* latency, microseconds */
	uint16_t status; /* 0: no answer (connection dropped) */
	int8_t state;	 /* enum app_state, -1 unknown */
	bool ref_ok;	 /* the client_ref answered is the one sent */
	char id[ID_MAX]; /* the office's number answered, "" none */
};

/* The string value of "key" in JSON text (compact or not; no escapes in
 * the values looked for) into out (n bytes): its length, or -1 when it is
 * not there, not a plain string or longer than n - 1. */
static int json_str(const char *body, size_t len, const char *key, char *out,
		    size_t n)
{
	char k[64];
	const char *p, *q, *end = body + len;
	int kl = snprintf(k, sizeof(k), "\"%s\"", key);

	if (kl <= 0 || (size_t)kl >= sizeof(k))
		return -1;
	p = memmem(body, len, k, (size_t)kl);
	if (!p)
		return -1;
	p += kl;
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	if (p >= end || *p++ != '"')
		return -1;
	q = memchr(p, '"', (size_t)(end - p));
	if (!q || memchr(p, '\\', (size_t)(q - p)) || (size_t)(q - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return (int)(q - p);
}

/* The client_ref application k was sent with. */
static void ref_of(const struct app *a, char out[REF_MAX])
{
	if (json_str(a->buf + HEAD_ROOM, a->blen, "client_ref", out, REF_MAX) <
	    0)
		out[0] = '\0';
}

/* --- the in-process baseline ----------------------------------------------- */

static double baseline(struct app *apps, long n, const char *db,
		       const char *policy, const struct chip_catalog *chips,
		       long *counts)
{
	struct office_result *res = calloc(BATCH, sizeof(*res));
	int *rcs = calloc(BATCH, sizeof(*rcs));
	struct qerr *errs = calloc(BATCH, sizeof(*errs));
	const char *texts[BATCH];
	size_t lens[BATCH];
	struct office o;
	struct qerr e;
	bool is_new;
	double t0, secs;

	qerr_clear(&e);
	if (!res || !rcs || !errs || office_open(&o, db, chips, &e)) {
		fprintf(stderr, "bench: baseline: %s\n", e.msg);
		die();
	}
	o.clock_set = true; /* as under QUAN_NOW */
	if (office_load_policy(&o, policy, "bench", office_now(), &is_new,
			       &e)) {
		fprintf(stderr, "bench: baseline: %s\n", e.msg);
		die();
	}
	t0 = now();
	for (long i = 0; i < n; i += BATCH) {
		size_t k = (size_t)(n - i < BATCH ? n - i : BATCH);

		for (size_t j = 0; j < k; j++) {
			texts[j] = apps[i + (long)j].buf + HEAD_ROOM;
			lens[j] = apps[i + (long)j].blen;
		}
		if (office_apply_batch(&o, texts, lens, k, "bench",
				       office_now(), res, rcs, errs, &e)) {
			fprintf(stderr, "bench: baseline batch at %ld: %s\n", i,
				e.msg);
			die();
		}
		for (size_t j = 0; j < k; j++) {
			if (rcs[j]) {
				fprintf(stderr, "bench: baseline: %s\n",
					errs[j].msg);
				die();
			}
			/* Eligible, in its window: the whole path. */
			if (res[j].existed ||
			    (res[j].state != APP_RESERVED &&
			     res[j].state != APP_WAITLISTED)) {
				fprintf(stderr, "bench: baseline: %s: %s%s\n",
					res[j].id, app_state_name(res[j].state),
					res[j].existed ? " (submitted before)"
						       : "");
				die();
			}
			if (res[j].state >= 0 &&
			    res[j].state < APP__STATE_COUNT)
				counts[res[j].state]++;
		}
	}
	secs = now() - t0;
	office_close(&o);
	free(res);
	free(rcs);
	free(errs);
	return secs;
}

/* --- the HTTP client ------------------------------------------------------- */

/* One keep-alive connection with at most one request in flight. */
struct conn {
	int fd;
	long k;	     /* the application in flight, -1 none */
	size_t sent; /* bytes of its request written */
	double t0;   /* its first byte sent */
	char *in;    /* the answer so far */
	size_t len, cap;
	bool want_out; /* EPOLLOUT asked for */
};

struct client {
	int ep, port;
	struct conn *c;
	int nc;
	struct app *apps;
	struct answer *ans;
	long n, next, done;
	long drops, reconnects, errors;
	double first, last;
};

static int conn_open(struct client *cl, struct conn *c)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)cl->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->k = -1;
	c->len = 0;
	c->want_out = true;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.ptr = c;
	return epoll_ctl(cl->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void want_out(struct client *cl, struct conn *c, bool on)
{
	struct epoll_event ev;

	if (c->want_out == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(cl->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

/* Write what is left of the request in flight; ask for EPOLLOUT when the
 * socket is full. Returns -1 when the connection broke. */
static int conn_send(struct client *cl, struct conn *c)
{
	const struct app *a = &cl->apps[c->k];

	while (c->sent < a->rlen) {
		ssize_t w = send(c->fd, a->req + c->sent, a->rlen - c->sent,
				 MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(cl, c, true);
			return 0;
		}
		if (w <= 0)
			return -1;
		c->sent += (size_t)w;
	}
	want_out(cl, c, false);
	return 0;
}

/* Give connection c the next application, if any, and start sending. */
static int conn_next(struct client *cl, struct conn *c)
{
	if (cl->next >= cl->n) {
		c->k = -1;
		want_out(cl, c, false);
		return 0;
	}
	c->k = cl->next++;
	c->sent = 0;
	c->len = 0;
	c->t0 = now();
	if (cl->first == 0)
		cl->first = c->t0;
	return conn_send(cl, c);
}

/* The state named in a JSON answer ("state":"reserved"), or -1. */
static int answered_state(const char *body, size_t len)
{
	static const char key[] = "\"state\"";
	const char *p = memmem(body, len, key, sizeof(key) - 1);
	const char *end = body + len;

	if (!p)
		return -1;
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	if (p >= end || *p++ != '"')
		return -1;
	for (int s = 0; s < APP__STATE_COUNT; s++) {
		size_t l = strlen(app_state_name(s));

		if ((size_t)(end - p) > l && !memcmp(p, app_state_name(s), l) &&
		    p[l] == '"')
			return s;
	}
	return -1;
}

/* A whole answer in c->in? 1 yes (status, state, keep-alive set, and
 * *body, *blen: its body), 0 not yet, -1 malformed. */
static int parse_answer(struct conn *c, int *status, int *state, bool *close_,
			const char **body, size_t *blen)
{
	char *head_end = memmem(c->in, c->len, "\r\n\r\n", 4);
	size_t head, clen = 0;
	bool have_len = false;
	char *p, *line;

	if (!head_end)
		return c->len > 65536 ? -1 : 0;
	head = (size_t)(head_end - c->in) + 4;
	if (c->len < 12 || memcmp(c->in, "HTTP/1.", 7) || c->in[8] != ' ')
		return -1;
	*status = (int)strtol(c->in + 9, NULL, 10);
	*close_ = c->in[7] == '0';
	/* Headers: Content-Length, Connection, Transfer-Encoding. */
	line = memchr(c->in, '\n', head) + 1;
	while (line < c->in + head - 2) {
		char *eol = memchr(line, '\n', (size_t)(c->in + head - line));

		if (!eol)
			return -1;
		if (!strncasecmp(line, "content-length:", 15)) {
			clen = strtoul(line + 15, &p, 10);
			have_len = true;
		} else if (!strncasecmp(line, "connection:", 11)) {
			for (p = line + 11; *p == ' '; p++)
				;
			if (!strncasecmp(p, "close", 5))
				*close_ = true;
			else if (!strncasecmp(p, "keep-alive", 10))
				*close_ = false;
		} else if (!strncasecmp(line, "transfer-encoding:", 18)) {
			return -1; /* chunked: not expected of this server */
		}
		line = eol + 1;
	}
	if (!have_len && *status != 204 && *status != 304)
		return -1;
	if (clen > RESP_MAX)
		return -1;
	if (c->len < head + clen)
		return 0;
	if (c->len > head + clen)
		return -1; /* more than one answer to one request */
	*state = answered_state(c->in + head, clen);
	*body = c->in + head;
	*blen = clen;
	return 1;
}

/* A request that got no answer: counted, its connection reopened. */
static void conn_drop(struct client *cl, struct conn *c, const char *why)
{
	if (c->k >= 0) {
		if (cl->drops++ < 5)
			fprintf(stderr,
				"bench: application %ld: %s (%zu bytes sent of %zu, %zu received)\n",
				c->k, why, c->sent, cl->apps[c->k].rlen,
				c->len);
		cl->ans[c->k].status = 0;
		cl->done++;
		cl->last = now();
	}
	conn_close(c);
	cl->reconnects++;
	/* The new connection starts its next request once writable. */
	conn_open(cl, c);
}

static void conn_read(struct client *cl, struct conn *c)
{
	for (;;) {
		ssize_t r;
		int status = 0, state = -1, done;
		bool close_ = false;
		const char *body = NULL;
		size_t blen = 0;

		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 8192;
			char *p;

			if (cap > RESP_MAX + 65536 ||
			    !(p = realloc(c->in, cap))) {
				conn_drop(cl, c, "answer too long");
				return;
			}
			c->in = p;
			c->cap = cap;
		}
		r = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			if (c->k >= 0)
				conn_drop(
					cl, c,
					r == 0 ? "connection closed by the server"
					       : strerror(errno));
			else
				conn_drop(cl, c, "");
			return;
		}
		if (c->k < 0) {
			conn_drop(cl, c, "bytes with no request in flight");
			return;
		}
		c->len += (size_t)r;
		done = parse_answer(c, &status, &state, &close_, &body, &blen);
		if (done < 0) {
			cl->errors++;
			conn_drop(cl, c, "malformed answer");
			return;
		}
		if (!done)
			continue;
		{
			double t = now();
			struct answer *a = &cl->ans[c->k];
			double us = (t - c->t0) * 1e6;
			char ref[REF_MAX], sent[REF_MAX];

			a->us = us > 4e9 ? 4000000000u : (uint32_t)us;
			a->status = (uint16_t)status;
			a->state = (int8_t)state;
			/* The office's number, and the client's reference
			 * back: what the client keeps of an answer. */
			if (json_str(body, blen, "id", a->id, sizeof(a->id)) <
			    0)
				a->id[0] = '\0';
			ref_of(&cl->apps[c->k], sent);
			a->ref_ok = json_str(body, blen, "client_ref", ref,
					     sizeof(ref)) >= 0 &&
				    !strcmp(ref, sent);
			cl->done++;
			cl->last = t;
		}
		if (close_) {
			c->k = -1;
			conn_close(c);
			cl->reconnects++;
			conn_open(cl, c);
			return;
		}
		if (conn_next(cl, c) < 0) {
			conn_drop(cl, c, "send failed");
			return;
		}
		if (c->k < 0)
			return;
	}
}

/* Fire every application from nc connections; returns when all have an
 * answer or a drop, or when nothing moved for STALL_SECONDS. */
static int fire(struct client *cl)
{
	struct epoll_event evs[256];
	double moved = now();
	long seen = 0;

	cl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (cl->ep < 0)
		return -1;
	for (int i = 0; i < cl->nc; i++) {
		cl->c[i].fd = -1;
		cl->c[i].k = -1;
		if (conn_open(cl, &cl->c[i]))
			return -1;
	}
	/* Every connection starts once it is writable (connected). */
	while (cl->done < cl->n) {
		int r = epoll_wait(cl->ep, evs, 256, 1000);

		if (r < 0 && errno != EINTR)
			return -1;
		for (int i = 0; i < r; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			if (evs[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
				conn_read(cl, c);
				if (c->fd < 0)
					continue;
			}
			if (evs[i].events & EPOLLOUT) {
				int rc;

				if (c->k < 0 && cl->next < cl->n)
					rc = conn_next(cl, c);
				else if (c->k >= 0)
					rc = conn_send(cl, c);
				else
					rc = (want_out(cl, c, false), 0);
				if (rc < 0)
					conn_drop(cl, c, "send failed");
			}
		}
		if (cl->done != seen) {
			seen = cl->done;
			moved = now();
		} else if (now() - moved > STALL_SECONDS) {
			fprintf(stderr,
				"bench: no answer for %d s: %ld of %ld answered, %ld in flight\n",
				STALL_SECONDS, cl->done, cl->n,
				cl->next - cl->done);
			return -1;
		}
		if (cl->drops && server_pid > 0) {
			int st;

			if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
				server_pid = 0;
				fprintf(stderr,
					"bench: quan serve ended during the rush (%s %d): %ld of %ld answered\n",
					WIFSIGNALED(st) ? "signal" : "status",
					WIFSIGNALED(st) ? WTERMSIG(st)
							: WEXITSTATUS(st),
					cl->done - cl->drops, cl->n);
				return -1;
			}
		}
		if (cl->reconnects > cl->n + 1000) {
			fprintf(stderr, "bench: too many reconnections\n");
			return -1;
		}
	}
	for (int i = 0; i < cl->nc; i++)
		conn_close(&cl->c[i]);
	close(cl->ep);
	return 0;
}

/* --- the checks after the run ---------------------------------------------- */

struct census {
	long n;
};

static int count_app(void *arg, const struct store_app *a)
{
	((struct census *)arg)->n++;
	return 0;
}

struct overspend {
	long pools, bad;
};

static int check_pool(void *arg, const struct office_pool_figures *f)
{
	struct overspend *o = arg;
	money_t used;
	char b[2][MONEY_TEXT_MAX];

	o->pools++;
	if (f->available < 0) {
		fprintf(stderr, "bench: pool %s/%s/%d: available %s\n",
			f->program, f->pool, f->year,
			money_format(f->available, b[0]));
		o->bad++;
	}
	if (money_add(f->reserved, f->awarded, &used) ||
	    money_add(used, f->paid, &used) || used > f->budget) {
		fprintf(stderr,
			"bench: pool %s/%s/%d overspent: reserved + awarded + paid %s > budget %s\n",
			f->program, f->pool, f->year, money_format(used, b[0]),
			money_format(f->budget, b[1]));
		o->bad++;
	}
	return 0;
}

/* Every 201 in the store under the number answered, with its client_ref
 * and the state answered, received by the office's clock in [from, to];
 * nothing else there; no pool overspent. Returns the number of problems. */
static long verify(const char *db, const struct chip_catalog *chips,
		   struct app *apps, const struct answer *ans, long n,
		   int64_t from, int64_t to)
{
	struct census c = {0};
	struct overspend os = {0, 0};
	long problems = 0, answered = 0;
	struct office o;
	struct qerr e;

	qerr_clear(&e);
	if (office_open(&o, db, chips, &e)) {
		fprintf(stderr, "bench: verify: %s\n", e.msg);
		return 1;
	}
	for (long k = 0; k < n; k++) {
		struct store_app a;
		const char *id = ans[k].id;
		char ref[REF_MAX];
		int rc;

		if (ans[k].status != 201)
			continue;
		answered++;
		ref_of(&apps[k], ref);
		if (!id[0] || !ans[k].ref_ok) {
			if (problems++ < 10)
				fprintf(stderr,
					"bench: '%s' answered 201 %s, not its client_ref '%s'\n",
					id[0] ? id : "with no id",
					ans[k].ref_ok ? "but" : "and", ref);
			continue;
		}
		/* Looked up by the office's number it was answered. */
		rc = store_app_get(o.store, id, &a, &e);
		if (rc) {
			if (problems++ < 10)
				fprintf(stderr,
					"bench: '%s' answered 201 %s, %s\n", id,
					ans[k].state >= 0
						? app_state_name(ans[k].state)
						: "(no state)",
					rc == Q_NONE ? "not in the store"
						     : e.msg);
			continue;
		}
		if (a.state != ans[k].state && problems++ < 10)
			fprintf(stderr,
				"bench: '%s' answered %s, the store holds it %s\n",
				id,
				ans[k].state >= 0 ? app_state_name(ans[k].state)
						  : "(no state)",
				app_state_name(a.state));
		if (strcmp(a.client_ref, ref) && problems++ < 10)
			fprintf(stderr,
				"bench: '%s' answered for client_ref '%s', the store holds it under '%s'\n",
				id, ref, a.client_ref);
		if ((a.received_at < from || a.received_at > to) &&
		    problems++ < 10)
			fprintf(stderr,
				"bench: '%s' received at %lld, not by the office's clock during the run (%lld .. %lld)\n",
				id, (long long)a.received_at, (long long)from,
				(long long)to);
		store_app_release(&a);
	}
	if (store_app_each(o.store, NULL, -1, count_app, &c, &e) ||
	    office_pools_each(&o, check_pool, &os, &e)) {
		fprintf(stderr, "bench: verify: %s\n", e.msg);
		problems++;
	} else {
		long dropped = 0;

		for (long k = 0; k < n; k++)
			dropped += ans[k].status == 0;
		/* A dropped request may or may not have been recorded. */
		if (c.n < answered || c.n > answered + dropped) {
			fprintf(stderr,
				"bench: the store holds %ld applications, %ld were answered 201 (%ld dropped)\n",
				c.n, answered, dropped);
			problems++;
		}
		problems += os.bad;
	}
	office_close(&o);
	return problems;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const char *fs_name(long type)
{
	switch (type) {
	case 0xEF53:
		return "ext2/3/4";
	case 0x58465342:
		return "xfs";
	case 0x9123683E:
		return "btrfs";
	case 0x794c7630:
		return "overlayfs";
	default:
		return "other";
	}
}

static void usage(void)
{
	fputs("usage: bench/rush [--smoke] [-n N] [-c C] [--base N] [--kill] [--keep] [--db-url URL]\n",
	      stderr);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *policy = QUAN_DATADIR "/../policies/shanghai-2025.yaml";
	const char *quan = getenv("QUAN");
	const char *db_url = NULL;
	long n = 100000, nbase = -1, counts[APP__STATE_COUNT] = {0};
	long status_count[600] = {0}, state_count[APP__STATE_COUNT + 1] = {0};
	int nc = 64, kill9 = 0, port = 0, status = 0, failed = 0;
	struct diag_list dl = DIAG_LIST_INIT;
	struct chip_catalog *chips = NULL;
	char db[1100], base_db[1100], token[512], out[4096], hostport[64];
	char head[HEAD_ROOM];
	struct client cl;
	struct answer *ans;
	struct app *apps;
	struct gen *g;
	struct statfs sf;
	uint32_t *lat;
	double tbase, t_http, c0, s0, c_self, c_server = -1;
	size_t bytes = 0;
	long answered = 0, not_eligible = 0;
	int64_t last_arrival = 0, served_from, served_to;
	char clock[DATETIME_TEXT_MAX];
	const char *quan_now = getenv("QUAN_NOW");

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			n = 2000;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			nc = (int)strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--base") && i + 1 < argc) {
			nbase = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--db-url") && i + 1 < argc) {
			db_url = argv[++i];
		} else if (!strcmp(argv[i], "--kill")) {
			kill9 = 1;
		} else if (!strcmp(argv[i], "--keep")) {
			keep = 1;
		} else {
			usage();
		}
	}
	if (n <= 0 || n > 9000000 || nc <= 0 || nc > 10000)
		usage();
	if (nbase < 0 || nbase > n)
		nbase = n;
	if (nc > n)
		nc = (int)n;
	if (!quan)
		quan = QUAN_DATADIR "/../build/quan";
	if (access(quan, X_OK)) {
		fprintf(stderr, "bench: %s: %s (set QUAN or make build/quan)\n",
			quan, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (chips_load(QUAN_DATADIR "/chips.yaml", &chips, &dl)) {
		diag_print(&dl, stderr);
		return 1;
	}
	diag_release(&dl);

	/* 1. Every application before any clock starts. */
	g = malloc(sizeof(*g));
	apps = calloc((size_t)n, sizeof(*apps));
	ans = calloc((size_t)n, sizeof(*ans));
	lat = calloc((size_t)n, sizeof(*lat));
	if (!g || !apps || !ans || !lat) {
		fputs("bench: out of memory\n", stderr);
		return 1;
	}
	gen_init(g, SEED);
	gen_set_prefix(g, "RUSH-");
	for (long k = 0; k < n; k++) {
		char body[GEN_APP_MAX];
		int64_t at;

		if (gen_application(g, (uint64_t)k, body, sizeof(body),
				    &apps[k].blen) ||
		    gen_received_at(g, (uint64_t)k, &at) ||
		    !(apps[k].buf = malloc(HEAD_ROOM + apps[k].blen + 1))) {
			fputs("bench: cannot generate an application\n",
			      stderr);
			return 1;
		}
		memcpy(apps[k].buf + HEAD_ROOM, body, apps[k].blen + 1);
		bytes += apps[k].blen;
		ans[k].state = -1;
		last_arrival = at > last_arrival ? at : last_arrival;
	}

	/* The office's clock, for this process and every quan it runs. */
	if (quan_now && *quan_now) {
		struct qerr e;

		qerr_clear(&e);
		if (datetime_parse(quan_now, strlen(quan_now), &office_t0, NULL,
				   "QUAN_NOW", &e)) {
			fprintf(stderr, "bench: %s\n", e.msg);
			return 1;
		}
		if (office_t0 < last_arrival) {
			fprintf(stderr,
				"bench: QUAN_NOW %s is before the last generated arrival, %s: some contracts would be signed after the office received them\n",
				quan_now, datetime_format(last_arrival, clock));
			return 1;
		}
	} else {
		office_t0 = (last_arrival / 60 + 1) * 60;
	}
	datetime_format(office_t0, clock);
	if (setenv("QUAN_NOW", clock, 1)) {
		perror("bench: setenv QUAN_NOW");
		return 1;
	}
	office_mono0 = now();

	/* A real disk: under build/, refused on tmpfs. */
	snprintf(dir, sizeof(dir), "%s",
		 QUAN_DATADIR "/../build/bench-rush.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench: mkdtemp %s: %s\n", dir,
			strerror(errno));
		dir[0] = '\0';
		return 1;
	}
	atexit(cleanup);
	if (statfs(dir, &sf) == 0 &&
	    (sf.f_type == TMPFS_MAGIC_ || sf.f_type == RAMFS_MAGIC_)) {
		fprintf(stderr, "bench: %s is in memory (tmpfs), not a disk\n",
			dir);
		die();
	}
	snprintf(base_db, sizeof(base_db), "%.1000s/baseline.db", dir);
	snprintf(db, sizeof(db), "%.1000s/rush.db", dir);

	/* 2. The in-process baseline. */
	tbase = baseline(apps, nbase, base_db, policy, chips, counts);

	/* 3. The server on a fresh database. */
	if (db_url) {
		snprintf(db, sizeof(db), "%s", db_url);
	} else {
		char *init[] = {(char *)quan, "init",	  "--db",
				db,	      "--policy", (char *)policy,
				"--by",	      "admin",	  NULL};

		if (run_capture(init, out, sizeof(out)) != 0) {
			fprintf(stderr, "bench: quan init failed: %s\n", out);
			die();
		}
	}
	{
		char *add[] = {
			(char *)quan, "user",	"add",		 "--db", db,
			"rush-admin", "--role", "administrator", NULL};

		if (run_capture(add, token, sizeof(token)) != 0 || !token[0] ||
		    strchr(token, '\n') || strchr(token, ' ')) {
			fprintf(stderr,
				"bench: quan user add: expected a token alone, got '%s'\n",
				token);
			die();
		}
	}
	/* quan serve's clock starts at QUAN_NOW when it starts and moves on
	 * with the system's (whole seconds, hence the slack at the end). */
	served_from = office_t0;
	served_to = office_t0 - (int64_t)now();
	if (start_server(quan, db, &port))
		die();
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", port);

	/* The requests, in place before each body. */
	for (long k = 0; k < n; k++) {
		int h = snprintf(head, sizeof(head),
				 "POST /v1/applications HTTP/1.1\r\n"
				 "Host: %s\r\n"
				 "Authorization: Bearer %s\r\n"
				 "Content-Type: application/json\r\n"
				 "Content-Length: %zu\r\n\r\n",
				 hostport, token, apps[k].blen);

		if (h < 0 || h >= HEAD_ROOM) {
			fputs("bench: token too long\n", stderr);
			die();
		}
		memcpy(apps[k].buf + HEAD_ROOM - h, head, (size_t)h);
		apps[k].req = apps[k].buf + HEAD_ROOM - h;
		apps[k].rlen = (size_t)h + apps[k].blen;
	}

	/* 4. The rush. */
	memset(&cl, 0, sizeof(cl));
	cl.port = port;
	cl.nc = nc;
	cl.c = calloc((size_t)nc, sizeof(*cl.c));
	cl.apps = apps;
	cl.ans = ans;
	cl.n = n;
	if (!cl.c) {
		fputs("bench: out of memory\n", stderr);
		die();
	}
	c0 = cpu_self();
	s0 = cpu_of(server_pid);
	if (fire(&cl)) {
		char err[1100];

		snprintf(err, sizeof(err), "%.1000s/serve.err", dir);
		print_file(err, "quan serve stderr");
		die();
	}
	t_http = cl.last - cl.first;
	c_self = cpu_self() - c0;
	if (s0 >= 0 && cpu_of(server_pid) >= 0)
		c_server = cpu_of(server_pid) - s0;

	/* 5. Stop, and check. */
	served_to += (int64_t)now() + 2;
	if (stop_server(kill9 ? SIGKILL : SIGTERM, &status)) {
		fprintf(stderr, "bench: quan serve ended badly (status 0x%x)\n",
			status);
		failed = 1;
	}
	for (long k = 0; k < n; k++) {
		status_count[ans[k].status < 600 ? ans[k].status : 599]++;
		if (ans[k].status == 201) {
			lat[answered++] = ans[k].us;
			state_count[ans[k].state >= 0 ? ans[k].state
						      : APP__STATE_COUNT]++;
			not_eligible += ans[k].state != APP_RESERVED &&
					ans[k].state != APP_WAITLISTED;
		}
	}
	qsort(lat, (size_t)answered, sizeof(*lat), cmp_u32);

	printf("bench/rush: %ld distinct Shanghai 2025 applications (%.0f bytes each on average), %d connections, quan serve on %s (%s)\n",
	       n, (double)bytes / (double)n, nc, db, fs_name(sf.f_type));
	printf("  the office's clock: QUAN_NOW=%s (the last generated arrival %s), for the baseline and quan serve alike\n",
	       clock, datetime_format(last_arrival, out));
	printf("  in-process group commit (office_apply_batch, batches of %d): %8.0f applications/s  (%ld in %.2f s: %ld reserved, %ld waitlisted)\n",
	       BATCH, nbase / tbase, nbase, tbase, counts[APP_RESERVED],
	       counts[APP_WAITLISTED]);
	printf("  HTTP POST /v1/applications, keep-alive:                  %8.0f applications/s  (%ld in %.2f s)\n",
	       n / t_http, n, t_http);
	printf("  ratio HTTP / in-process: %.2f\n",
	       (n / t_http) / (nbase / tbase));
	if (answered)
		printf("  latency of the 201s (ms): p50 %.2f  p99 %.2f  max %.2f\n",
		       lat[(answered - 1) / 2] / 1e3,
		       lat[(answered - 1) * 99 / 100] / 1e3,
		       lat[answered - 1] / 1e3);
	printf("  answers:");
	for (int s = 0; s < 600; s++)
		if (status_count[s])
			printf(" %s%d x %ld", s ? "" : "none (dropped) ", s,
			       status_count[s]);
	printf("\n  states answered:");
	for (int s = 0; s <= APP__STATE_COUNT; s++)
		if (state_count[s])
			printf(" %s %ld",
			       s < APP__STATE_COUNT ? app_state_name(s)
						    : "(none)",
			       state_count[s]);
	printf("\n  CPU over the HTTP run (%.2f s wall, 2 cores = %.2f core-s): load generator %.2f s (%.0f %% of a core), server %.2f s (%.0f %% of a core)\n",
	       t_http, 2 * t_http, c_self, 100 * c_self / t_http, c_server,
	       100 * c_server / t_http);
	if (cl.drops || cl.errors)
		printf("  dropped requests %ld, malformed answers %ld, reconnections %ld\n",
		       cl.drops, cl.errors, cl.reconnects);

	{
		char *check[] = {(char *)quan, "ledger", "check",
				 "--db",       db,	 NULL};
		int rc = run_capture(check, out, sizeof(out));
		long problems;

		if (rc != 0) {
			fprintf(stderr,
				"bench: quan ledger check exit %d:\n%s\n", rc,
				out);
			failed = 1;
		}
		problems =
			verify(db, chips, apps, ans, n, served_from, served_to);
		if (problems)
			failed = 1;
		if (not_eligible) {
			fprintf(stderr,
				"bench: %ld applications answered neither reserved nor waitlisted\n",
				not_eligible);
			failed = 1;
		}
		if (status_count[201] != n) {
			fprintf(stderr,
				"bench: %ld of %ld answered other than 201\n",
				n - status_count[201], n);
			failed = 1;
		}
		printf("  checked after %s: ledger check %s; %ld applications answered 201 %s; pools %s\n",
		       kill9 ? "SIGKILL" : "SIGTERM",
		       rc == 0 ? "clean" : "FAILED", status_count[201],
		       problems
			       ? "NOT all in the store as answered"
			       : "all in the store under the office's number answered, with their client_ref, in the state answered",
		       problems ? "(see above)" : "none overspent");
	}
	if (failed) {
		printf("bench/rush: FAILED\n");
		die();
	}
	for (long k = 0; k < n; k++)
		free(apps[k].buf);
	free(apps);
	free(ans);
	free(lat);
	for (int i = 0; i < nc; i++)
		free(cl.c[i].in);
	free(cl.c);
	free(g);
	chips_free(chips);
	return 0;
}
