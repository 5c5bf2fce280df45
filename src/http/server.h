/*
 * server.h - `quan serve`: the program office over HTTP (libmicrohttpd).
 *
 * Routes, roles and bodies are those of data/openapi.json. Reads run on
 * libmicrohttpd's threads, each with an office of its own borrowed from a
 * pool; every change goes to one writer thread that owns the writing
 * office. Applications waiting at the writer are committed together (group
 * commit: one fsync for the batch) and answered only once their batch is
 * on disk; their connections are suspended meanwhile, so a slow commit
 * holds no thread. Business rules stay in the office: this layer
 * authenticates, authorises by role, checks the shape of bodies, and turns
 * results into JSON.
 */
#ifndef QUAN_SERVER_H
#define QUAN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/pwhash.h"
#include "engine/compare.h"
#include "policy/chips.h"

struct server_config {
	const char *db;	     /* store url */
	const char *host;    /* IPv4 address to listen on, "127.0.0.1" */
	uint16_t port;	     /* 0: the kernel picks a free one */
	const char *web_dir; /* static files of the dashboard, or NULL */
	const char *openapi; /* path of the OpenAPI document */
	const struct chip_catalog *chips; /* borrowed; outlives the server */
	/* The holiday calendar a public notice counts its working days with
	 * (borrowed; outlives the server); NULL: POST /v1/notices answers
	 * 503. */
	const struct holidays *holidays;
	/* POST /v1/compare: the programs compared and the cost table
	 * (borrowed; outlive the server); ncompare 0 answers 503. */
	const struct policy *const *compare_policies;
	size_t ncompare;
	const struct cost_table *costs;
	size_t body_max;    /* request body cap in bytes (0: 1 MiB) */
	unsigned conn_max;  /* open connections (0: 16000) */
	unsigned timeout_s; /* idle connection timeout (0: 15 s) */
	unsigned threads;   /* HTTP threads (0: 2) */
	unsigned batch_max; /* applications per commit (0: 512) */
	/* The office's clock is the system's plus clock_offset seconds: 0 in
	 * production; QUAN_NOW sets it for tests, benchmarks and the demo. */
	int64_t clock_offset;
	bool clock_set; /* QUAN_NOW: every audit event says so */
	/* POST /v1/simulate: at most simulate_max synthetic applications
	 * (0: SERVER_SIMULATE_MAX), stopped after simulate_ms (0:
	 * SERVER_SIMULATE_MS). GET /v1/forecast flags a pool whose median
	 * dry day is within forecast_horizon days (0:
	 * SERVER_FORECAST_HORIZON). */
	uint64_t simulate_max;
	unsigned simulate_ms;
	int forecast_horizon;
	/* Sign-in. X-Forwarded-For names the client only when the peer is
	 * trusted_proxy (an IPv4 address, or NULL: none); sessions end after
	 * session_idle seconds unused (0: 8 h) or session_max seconds (0:
	 * 24 h); passwords are hashed with pwhash (zero: libsodium's
	 * interactive limits) on hash_workers threads of their own (0: 2),
	 * with at most hash_queue sign-ins waiting (0: 32; beyond, 503). */
	const char *trusted_proxy;
	int64_t session_idle, session_max;
	struct pwhash_params pwhash;
	unsigned hash_workers, hash_queue;
	/* The connection layer. TLS: both PEM files, or neither (plain
	 * HTTP). Requests a second per client address (rate_addr, before
	 * authentication) and per user (rate_token), each with a burst of
	 * twice that, beyond which 429 with Retry-After; 0: no limit.
	 * Connections per client address (0: no limit; the socket's peer,
	 * so a proxy's all count as one); a request's headers are in
	 * within header_timeout_s of the connection's opening or its last
	 * answer, however slowly they trickle, or it is shut down (0:
	 * SERVER_HEADER_TIMEOUT). Request bodies in flight hold at most
	 * bodies_max bytes in all (0: SERVER_BODIES_MAX; beyond, 503). */
	const char *tls_cert, *tls_key;
	unsigned rate_addr, rate_token;
	unsigned conn_per_addr;
	unsigned header_timeout_s;
	size_t bodies_max;
	/* One JSON line per request appended to this file ("-": standard
	 * error; NULL: none). */
	const char *access_log;
};

#define SERVER_HEADER_TIMEOUT 10
#define SERVER_BODIES_MAX ((size_t)64 << 20)

#define SERVER_SIMULATE_MAX 200000
#define SERVER_SIMULATE_MS 10000
#define SERVER_FORECAST_HORIZON 30

struct server;

/* Open the offices and start serving. *port gets the port listened on.
 * The caller stops and frees the server with server_stop(). */
int server_start(const struct server_config *c, struct server **out,
		 uint16_t *port, struct qerr *e);

/* Stop accepting, answer what the writer holds, close everything. */
void server_stop(struct server *s);

/* The API's routes, to check them against the OpenAPI document: route i
 * (i < server_route_count()) is method and path ("/v1/applications/{id}"),
 * and server_route_allows says whether role may use it. */
size_t server_route_count(void);
void server_route(size_t i, const char **method, const char **path);
bool server_route_allows(size_t i, const char *role);
/* The query parameters route i takes, space-separated ("" for none); the
 * server answers any other with 400. */
const char *server_route_params(size_t i);

#endif
