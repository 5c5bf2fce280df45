/*
 * cmd_serve.c - `quan serve` and `quan user add`.
 */
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cli.h"
#include "core/date.h"
#include "engine/compare.h"
#include "core/pwhash.h"
#include "http/server.h"
#include "office/office.h"
#include "policy/holidays.h"
#include "store/anchor_dir.h"

#ifndef QUAN_WEBDIR
#define QUAN_WEBDIR "web/static"
#endif

static int want_value(int i, int argc, char **argv)
{
	if (i + 1 < argc)
		return 0;
	fprintf(stderr, "quan: %s needs a value\n", argv[i]);
	return -1;
}

/* "HOST:PORT" into host (n bytes) and *port. */
static int parse_listen(const char *s, char *host, size_t n, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (!colon || (size_t)(colon - s) >= n || colon == s)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* --anchor-dir, --anchor-key, --anchor-every at argv[*i] into c: 1 when
 * taken (*i moved past its value), 0 when not one of them, -1 (printed)
 * when wrong. */
static int anchor_option(int *i, int argc, char **argv,
			 struct anchor_dir_config *c)
{
	const char *a = argv[*i];
	char *end;
	long v;

	if (strcmp(a, "--anchor-dir") && strcmp(a, "--anchor-key") &&
	    strcmp(a, "--anchor-every"))
		return 0;
	if (want_value(*i, argc, argv))
		return -1;
	a = argv[++*i];
	if (!strcmp(argv[*i - 1], "--anchor-dir"))
		c->dir = a;
	else if (!strcmp(argv[*i - 1], "--anchor-key"))
		c->key_path = a;
	else {
		v = strtol(a, &end, 10);
		if (*end || end == a || v < 1 || v > 31 * 86400) {
			fputs("quan: --anchor-every: 1 to 2678400 seconds\n",
			      stderr);
			return -1;
		}
		c->every = v;
	}
	if (!c->every)
		c->every = 3600;
	return 1;
}

static void anchor_report(void *arg, const char *msg)
{
	fprintf(stderr, "quan: %s\n", msg);
}

/* The defaults of the connection layer: rates above the voucher rush's
 * target (20 000 applications a second, bench/rush, one token from one
 * address), so that a benchmark is never throttled; an office sets its
 * own. */
#define SERVE_RATE 25000
#define SERVE_CONN_PER_ADDR 256

/* A whole number 0 to 1 000 000 for option opt into *v. */
static int parse_count(const char *opt, const char *s, unsigned *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (!*s || *end || *s == '-' || n > 1000000) {
		fprintf(stderr, "quan: %s: '%s' is not a number 0 to 1000000\n",
			opt, s);
		return -1;
	}
	*v = (unsigned)n;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan serve --db FILE [--listen HOST:PORT] [--web DIR]\n"
		"                  [--chips FILE] [--threads N] [--body-max BYTES]\n"
		"                  [--forecast-horizon DAYS] [--trusted-proxy ADDR]\n"
		"                  [--session-idle MINUTES] [--session-max HOURS]\n"
		"                  [--tls-cert FILE --tls-key FILE]\n"
		"                  [--rate-addr N] [--rate-token N] [--conn-per-addr N]\n"
		"                  [--header-timeout SECONDS] [--bodies-max BYTES]\n"
		"                  [--access-log FILE]\n"
		"Serve the program office over HTTP: the JSON API of\n"
		"/v1/openapi.json and the dashboard at /. Listens on\n"
		"127.0.0.1:8080 unless told (port 0: any free port). Prints\n"
		"`listening http://HOST:PORT/` once ready; stops on SIGINT or\n"
		"SIGTERM after answering what it holds. --forecast-horizon: the\n"
		"dashboard flags a pool forecast to run dry within DAYS (30).\n"
		"Staff sign in with a name and password (POST /v1/session): a\n"
		"session ends after MINUTES unused (default 480) or HOURS in all\n"
		"(default 24). --trusted-proxy: the address of the proxy (haproxy)\n"
		"whose X-Forwarded-For names the client; anyone else's is ignored.\n"
		"Passwords are hashed with libsodium's interactive limits;\n"
		"QUAN_PWHASH=moderate raises them (a lower setting is refused).\n"
		"--anchor-dir DIR --anchor-key KEYFILE [--anchor-every SECONDS]:\n"
		"write a signed anchor of the audit chain's head into DIR (not\n"
		"the database's) at start, every SECONDS (3600) when the chain\n"
		"grew, and at shutdown (`quan audit anchor --help`).\n"
		"--tls-cert, --tls-key: serve HTTPS with this PEM certificate and\n"
		"key (GnuTLS, through libmicrohttpd); session cookies are Secure.\n"
		"--rate-addr, --rate-token: requests a second per client address\n"
		"and per user (default 25000 each, burst twice that; 0: none),\n"
		"beyond which 429 with Retry-After. --conn-per-addr: open\n"
		"connections per address (default 256; with --trusted-proxy, none\n"
		"unless given). --header-timeout: seconds a connection has to send\n"
		"a request's headers, however slowly (default 10).\n"
		"--bodies-max: bytes of request bodies held at once (default\n"
		"64 MiB), beyond which 503. --access-log: one JSON line per request\n"
		"appended to FILE ('-': standard error): time, method, route\n"
		"pattern, status, microseconds, bytes, role; no token, address or\n"
		"path. GET /metrics (administrator, auditor, analyst): Prometheus\n"
		"text.\n";
	struct anchor_dir_config ac = {0};
	struct anchor_dir *anchors = NULL;
	struct server_config c;
	struct chip_catalog *chips = NULL;
	struct holidays cal = {NULL, 0};
	struct cost_table *costs = NULL;
	struct policy *pols[COMPARE_MAX_PROGRAMS];
	size_t npols = 0;
	const char *chips_path = NULL, *listen = "127.0.0.1:8080";
	bool per_addr_set = false;
	char host[64];
	struct server *s;
	struct qerr e;
	struct rlimit rl;
	sigset_t set;
	uint16_t port = 0;
	int sig, rc;

	memset(&c, 0, sizeof(c));
	c.web_dir = QUAN_WEBDIR;
	c.openapi = QUAN_DATADIR "/openapi.json";
	c.rate_addr = SERVE_RATE;
	c.rate_token = SERVE_RATE;
	c.conn_per_addr = SERVE_CONN_PER_ADDR;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if ((rc = anchor_option(&i, argc, argv, &ac)) < 0)
			return EXIT_BAD_INPUT;
		if (rc)
			continue;
		if (!strcmp(a, "--db") || !strcmp(a, "--listen") ||
		    !strcmp(a, "--web") || !strcmp(a, "--chips") ||
		    !strcmp(a, "--threads") || !strcmp(a, "--body-max") ||
		    !strcmp(a, "--forecast-horizon") ||
		    !strcmp(a, "--trusted-proxy") ||
		    !strcmp(a, "--session-idle") ||
		    !strcmp(a, "--session-max") || !strcmp(a, "--tls-cert") ||
		    !strcmp(a, "--tls-key") || !strcmp(a, "--rate-addr") ||
		    !strcmp(a, "--rate-token") ||
		    !strcmp(a, "--conn-per-addr") ||
		    !strcmp(a, "--header-timeout") ||
		    !strcmp(a, "--bodies-max") || !strcmp(a, "--access-log")) {
			if (want_value(i, argc, argv))
				return EXIT_BAD_INPUT;
			if (!strcmp(a, "--db"))
				c.db = argv[++i];
			else if (!strcmp(a, "--listen"))
				listen = argv[++i];
			else if (!strcmp(a, "--web"))
				c.web_dir = argv[++i];
			else if (!strcmp(a, "--chips"))
				chips_path = argv[++i];
			else if (!strcmp(a, "--tls-cert"))
				c.tls_cert = argv[++i];
			else if (!strcmp(a, "--tls-key"))
				c.tls_key = argv[++i];
			else if (!strcmp(a, "--access-log"))
				c.access_log = argv[++i];
			else if (!strcmp(a, "--rate-addr") ||
				 !strcmp(a, "--rate-token") ||
				 !strcmp(a, "--conn-per-addr") ||
				 !strcmp(a, "--header-timeout")) {
				unsigned v;

				if (parse_count(a, argv[++i], &v))
					return EXIT_BAD_INPUT;
				if (!strcmp(a, "--rate-addr"))
					c.rate_addr = v;
				else if (!strcmp(a, "--rate-token"))
					c.rate_token = v;
				else if (!strcmp(a, "--conn-per-addr")) {
					c.conn_per_addr = v;
					per_addr_set = true;
				} else if (v < 1 || v > 3600) {
					fputs("quan: --header-timeout: 1 to 3600 seconds\n",
					      stderr);
					return EXIT_BAD_INPUT;
				} else
					c.header_timeout_s = v;
			} else if (!strcmp(a, "--bodies-max")) {
				char *end;
				unsigned long long v =
					strtoull(argv[++i], &end, 10);

				if (*end || v < 1024 || v > ((size_t)1 << 40)) {
					fputs("quan: --bodies-max: 1024 bytes to 1 TiB\n",
					      stderr);
					return EXIT_BAD_INPUT;
				}
				c.bodies_max = (size_t)v;
			} else if (!strcmp(a, "--forecast-horizon")) {
				char *end;
				long d = strtol(argv[++i], &end, 10);

				if (*end || d < 1 || d > 3660) {
					fprintf(stderr,
						"quan: --forecast-horizon: 1 to 3660 days\n");
					return EXIT_BAD_INPUT;
				}
				c.forecast_horizon = (int)d;
			} else if (!strcmp(a, "--trusted-proxy"))
				c.trusted_proxy = argv[++i];
			else if (!strcmp(a, "--session-idle") ||
				 !strcmp(a, "--session-max")) {
				bool idle = !strcmp(a, "--session-idle");
				char *end;
				long v = strtol(argv[++i], &end, 10);

				if (*end || v < 1 || v > (idle ? 10080 : 720)) {
					fprintf(stderr,
						"quan: %s: 1 to %d %s\n", a,
						idle ? 10080 : 720,
						idle ? "minutes" : "hours");
					return EXIT_BAD_INPUT;
				}
				if (idle)
					c.session_idle = (int64_t)v * 60;
				else
					c.session_max = (int64_t)v * 3600;
			} else if (!strcmp(a, "--threads"))
				c.threads =
					(unsigned)strtoul(argv[++i], NULL, 10);
			else
				c.body_max =
					(size_t)strtoull(argv[++i], NULL, 10);
			continue;
		}
		fprintf(stderr, "quan: unknown option '%s'\n\n%s", a, usage);
		return EXIT_BAD_INPUT;
	}
	if (!c.db) {
		fprintf(stderr, "quan: --db FILE is required\n\n%s", usage);
		return EXIT_BAD_INPUT;
	}
	/* Behind the proxy every connection is the proxy's: haproxy limits
	 * its clients' connections (maxconn), and we limit none unless
	 * told. */
	if (c.trusted_proxy && !per_addr_set)
		c.conn_per_addr = 0;
	if (parse_listen(listen, host, sizeof(host), &c.port)) {
		fprintf(stderr, "quan: --listen: '%s' is not HOST:PORT\n",
			listen);
		return EXIT_BAD_INPUT;
	}
	c.host = host;
	if ((!ac.dir) != (!ac.key_path)) {
		fputs("quan: --anchor-dir and --anchor-key go together\n",
		      stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	/* Lower than interactive only in a test build: production refuses. */
	if (pwhash_params_from(getenv("QUAN_PWHASH"), pwhash_test_build(),
			       &c.pwhash, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return EXIT_BAD_INPUT;
	}
	if (cli_clock_offset(&c.clock_offset))
		return EXIT_BAD_INPUT;
	c.clock_set = cli_clock_set();
	if (c.clock_set) {
		char at[DATETIME_TEXT_MAX];

		/* Loudly: a production office never sets its clock. */
		fprintf(stderr,
			"quan: WARNING: the office's clock is set by QUAN_NOW: it reads %s and moves on from there;\n"
			"quan: WARNING: every audit event records it. A production office never sets QUAN_NOW.\n",
			datetime_format(cli_now(), at));
	}
	if (c.threads > 64) {
		fputs("quan: --threads: 1 to 64\n", stderr);
		return EXIT_BAD_INPUT;
	}
	/* Many idle connections must not run the process out of files. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	rc = cli_load_chips(chips_path, &chips);
	if (!rc)
		rc = cli_compare_load(&costs, pols, &npols);
	if (!rc)
		rc = cli_load_holidays(&cal);
	if (rc) {
		holidays_release(&cal);
		for (size_t i = 0; i < npols; i++)
			policy_free(pols[i]);
		costs_free(costs);
		chips_free(chips);
		return rc;
	}
	c.chips = chips;
	c.holidays = &cal;
	c.compare_policies = (const struct policy *const *)pols;
	c.ncompare = npols;
	c.costs = costs;

	/* Signals are taken by sigwait below, never by a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	qerr_clear(&e);
	rc = server_start(&c, &s, &port, &e);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		for (size_t i = 0; i < npols; i++)
			policy_free(pols[i]);
		costs_free(costs);
		chips_free(chips);
		holidays_release(&cal);
		return EXIT_BAD_INPUT;
	}
	ac.db = c.db;
	ac.clock_offset = c.clock_offset;
	ac.report = anchor_report;
	/* A wrong key or directory stops the server before it listens. */
	if (ac.dir && anchor_dir_start(&ac, &anchors, &e)) {
		fprintf(stderr, "quan: %s\n", e.msg);
		sig = 0;
		rc = EXIT_BAD_INPUT;
	} else {
		printf("listening %s://%s:%u/\n", c.tls_cert ? "https" : "http",
		       host, (unsigned)port);
		fflush(stdout);
		sigwait(&set, &sig);
	}
	server_stop(s);
	/* After the server: the last anchor holds the chain as it left it. */
	anchor_dir_stop(anchors);
	for (size_t i = 0; i < npols; i++)
		policy_free(pols[i]);
	costs_free(costs);
	chips_free(chips);
	holidays_release(&cal);
	if (rc)
		return rc;
	fprintf(stderr, "quan: stopped (%s)\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	return 0;
}

/* The password on standard input (one line; its newline is not part of
 * it), checked, hashed with the parameters QUAN_PWHASH names (production:
 * libsodium's interactive limits) into out. */
static int read_password(char out[PWHASH_TEXT], struct qerr *e)
{
	char buf[PWHASH_MAX_LEN + 3];
	struct pwhash_params p;
	size_t n;
	int rc;

	rc = pwhash_init(e);
	if (!rc)
		rc = pwhash_params_from(getenv("QUAN_PWHASH"),
					pwhash_test_build(), &p, e);
	if (rc)
		return rc;
	n = fread(buf, 1, sizeof(buf) - 1, stdin);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (memchr(buf, '\n', n))
		rc = qerr_set(e, Q_ERR_INVALID, "password",
			      "password: one line on standard input");
	if (!rc)
		rc = pwhash_check(buf, n, e);
	if (!rc)
		rc = pwhash_hash(buf, n, &p, out, e);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int cmd_user(int argc, char **argv)
{
	static const char usage[] =
		"usage: quan user add --db FILE NAME --role ROLE [--uscc USCC]\n"
		"                     [--password-stdin] [--expires DAYS] [--by NAME]\n"
		"       quan user password --db FILE NAME [--by NAME]\n"
		"       quan user token --db FILE NAME [--expires DAYS] [--by NAME]\n"
		"       quan user change --db FILE NAME [--role ROLE] [--uscc USCC]\n"
		"                        [--disable | --enable] [--by NAME]\n"
		"       quan user remove --db FILE NAME [--by NAME]\n"
		"add: a user of the server. ROLE is administrator, reviewer,\n"
		"finance, auditor, applicant (bound to its firm's USCC) or analyst\n"
		"(reports, forecasts and simulations; no applicant's details). With\n"
		"--password-stdin it reads the user's password (one line) from\n"
		"standard input, to sign in to the dashboard; without, it prints\n"
		"the user's API token, once: only its hash is kept. A token lives\n"
		"DAYS days (default 90).\n"
		"password: set a new password read from standard input; the\n"
		"user's sessions end.\n"
		"token: rotate the user's API token in place: prints the new one,\n"
		"and the old one stops working.\n"
		"change: a new role or firm, or switch the user off or on.\n"
		"remove: its token and sessions stop working at once.\n"
		"Passwords are at least 8 characters mixing two of letters, digits\n"
		"and others, hashed with argon2id (libsodium); never on the\n"
		"command line. Every change is audited.\n";
	const char *db = NULL, *role = NULL, *uscc = NULL, *name = NULL;
	const char *by = "cli", *verb = argc >= 2 ? argv[1] : "";
	char token[OFFICE_TOKEN_TEXT];
	char pw[PWHASH_TEXT] = "";
	struct chip_catalog *chips = NULL;
	struct office off;
	struct qerr e;
	bool pw_stdin = false;
	int days = 0, disabled = -1;
	int rc;

	if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(verb, "add") && strcmp(verb, "remove") &&
	    strcmp(verb, "password") && strcmp(verb, "token") &&
	    strcmp(verb, "change")) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--password-stdin")) {
			pw_stdin = true;
		} else if (!strcmp(a, "--disable") || !strcmp(a, "--enable")) {
			disabled = !strcmp(a, "--disable");
		} else if (!strcmp(a, "--db") || !strcmp(a, "--role") ||
			   !strcmp(a, "--uscc") || !strcmp(a, "--by") ||
			   !strcmp(a, "--expires")) {
			if (want_value(i, argc, argv))
				return EXIT_BAD_INPUT;
			if (!strcmp(a, "--db"))
				db = argv[++i];
			else if (!strcmp(a, "--role"))
				role = argv[++i];
			else if (!strcmp(a, "--uscc"))
				uscc = argv[++i];
			else if (!strcmp(a, "--expires")) {
				char *end;
				long d = strtol(argv[++i], &end, 10);

				if (*end || d < 1 ||
				    d > OFFICE_TOKEN_DAYS_MAX) {
					fprintf(stderr,
						"quan: --expires: 1 to %d days\n",
						OFFICE_TOKEN_DAYS_MAX);
					return EXIT_BAD_INPUT;
				}
				days = (int)d;
			} else
				by = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "quan: unknown option '%s'\n\n%s", a,
				usage);
			return EXIT_BAD_INPUT;
		} else if (!name) {
			name = a;
		} else {
			fprintf(stderr, "quan: one NAME only\n\n%s", usage);
			return EXIT_BAD_INPUT;
		}
	}
	bool add = !strcmp(verb, "add"), change = !strcmp(verb, "change");

	if (!db || !name || (add && !role) ||
	    (!add && !change && (role || uscc)) || (pw_stdin && !add) ||
	    (days && strcmp(verb, "add") && strcmp(verb, "token")) ||
	    (disabled >= 0 && !change)) {
		fputs(usage, stderr);
		return EXIT_BAD_INPUT;
	}
	qerr_clear(&e);
	if (pw_stdin || !strcmp(verb, "password")) {
		rc = read_password(pw, &e);
		if (rc) {
			fprintf(stderr, "quan: %s\n", e.msg);
			return cli_exit_for(rc);
		}
	}
	rc = cli_load_chips(NULL, &chips);
	if (rc)
		return rc;
	rc = office_open(&off, db, chips, &e);
	if (!rc) {
		struct office_new_user nu = {name, role, uscc,
					     pw[0] ? pw : NULL, days};
		int64_t now = cli_now();

		cli_clock_mark(&off);
		if (add)
			rc = office_user_add(&off, &nu, by, now, token, &e);
		else if (!strcmp(verb, "remove"))
			rc = office_user_remove(&off, name, by, now, &e);
		else if (!strcmp(verb, "password"))
			rc = office_user_password(&off, name, pw, by, now, &e);
		else if (!strcmp(verb, "token"))
			rc = office_user_token(&off, name, days, by, now, token,
					       &e);
		else
			rc = office_user_change(&off, name, role, uscc,
						disabled, by, now, &e);
		office_close(&off);
	}
	chips_free(chips);
	if (rc) {
		fprintf(stderr, "quan: %s\n", e.msg);
		return cli_exit_for(rc);
	}
	if (!strcmp(verb, "remove"))
		printf("user '%s' removed\n", name);
	else if (!strcmp(verb, "password") || (add && pw_stdin))
		printf("user '%s' signs in with the password given\n", name);
	else if (change)
		printf("user '%s' changed\n", name);
	else
		puts(token);
	return 0;
}
