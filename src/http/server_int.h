/*
 * server_int.h - the server's inside, shared by server.c (the plumbing:
 * start and stop, the request's life, authentication, limits, the route
 * table and dispatch) and the routes_*.c files (the handlers, by area).
 *
 * Not a public header: only src/http/ includes it. The one piece of
 * mutable state is struct server, which server_start makes and
 * server_stop frees; every handler is given it.
 */
#ifndef QUAN_SERVER_INT_H
#define QUAN_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/money.h"
#include "http/backoff.h"
#include "http/deadline.h"
#include "http/limit.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/signin_audit.h"
#include "office/office.h"

/* --- roles and routes ------------------------------------------------------------ */

enum {
	R_ADMIN = 1u << 0,
	R_REVIEWER = 1u << 1,
	R_FINANCE = 1u << 2,
	R_AUDITOR = 1u << 3,
	R_APPLICANT = 1u << 4,
	R_ANALYST = 1u << 5, /* reports, forecasts, simulations */
	R_STAFF = R_ADMIN | R_REVIEWER | R_FINANCE | R_AUDITOR,
	R_ALL = R_STAFF | R_APPLICANT,
	/* Signing in: anyone, before authentication. */
	R_PUBLIC = 1u << 6,
};

#define HASH_WORKERS_MAX 8
#define SESSION_COOKIE "quan_session"

struct server;
struct req;

/* A handler fills r->status and r->out. Reads run on an HTTP thread with a
 * borrowed office; writes on the writer thread with the writing office. */
typedef void (*handler_fn)(struct server *s, struct office *o, struct req *r);

struct route {
	const char *method;
	const char *path; /* "{id}" matches one path segment */
	/* The query parameters it takes, space-separated ("" for none), as
	 * data/openapi.json lists them (test_routes holds the two equal):
	 * any other is answered 400. */
	const char *params;
	unsigned roles;
	bool write;
	handler_fn fn;
};

/* One request, from its headers to its answer. */
struct req {
	const struct route *route;
	char id[128]; /* the {id} of the path */
	struct store_user user;
	unsigned role;
	char *body;
	size_t len, cap;
	/* the answer */
	unsigned status;
	json_t *out;
	/* waiting at the writer */
	struct MHD_Connection *conn;
	struct req *next;
	bool queued;
	int64_t received_at; /* an application: when the office received it */
	struct office_parsed *parsed; /* an application, parsed on arrival */
	/* Its Idempotency-Key header ("" when none), checked on arrival. */
	char key[OFFICE_KEY_MAX + 1];
	/* sign-in and users */
	char addr[64];			 /* the client's address */
	bool by_cookie;			 /* authenticated by a session */
	bool tls;			 /* https, by a trusted proxy's word */
	char session[OFFICE_TOKEN_TEXT]; /* its session's token */
	char csrf[OFFICE_TOKEN_TEXT];	 /* and CSRF token */
	json_t *json;			 /* a pwhash route's body */
	char pw_hash[PWHASH_TEXT];	 /* the password hashed */
	char cookie[192];		 /* a Set-Cookie to send */
	int64_t retry_after;		 /* seconds, for a Retry-After */
	struct req *hnext;		 /* waiting at the hashing pool */
	/* a failed sign-in the writer audits, then answers fail_status */
	json_t *fail_detail;
	unsigned fail_status;
	/* the connection layer */
	bool begun;	    /* the access handler has seen its headers */
	bool nul_in_uri;    /* the raw URI holds %00 */
	bool close_after;   /* answer with Connection: close */
	size_t reserved;    /* bytes counted against bodies_max */
	int64_t started_us; /* monotonic: its first byte of request line */
	unsigned sent_status;
	size_t sent_bytes;
	/* An answer that is not JSON (an export, a letter, a document): its
	 * malloc'd bytes (sent as they are when status is 200 and out is
	 * unset; the response frees them), media type and, for a file,
	 * Content-Disposition. */
	void *raw;
	size_t raw_len;
	const char *raw_type;
	char disposition[400];
	/* The body's language when it follows Accept-Language (every JSON
	 * answer): "en" or "zh-CN"; NULL for files and pages. */
	const char *content_language;
};

struct server {
	struct server_config c;
	struct MHD_Daemon *d;
	char *openapi;
	size_t openapi_len;
	/* offices for reads, one per borrower */
	pthread_mutex_t rmu;
	pthread_cond_t rcv;
	struct office *readers;
	bool *busy;
	size_t nreaders;
	/* the writer */
	struct office w;
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct req *head, *tail;
	bool stopping;
	/* POST /v1/simulate: one at a time, on the HTTP thread that took it */
	pthread_mutex_t simmu;
	/* The long checks (ledger check, audit verify): one at a time, on a
	 * thread of their own, so that the HTTP threads go on answering;
	 * another asked meanwhile is 503 with Retry-After. */
	pthread_t checker;
	bool checker_started;
	pthread_mutex_t cmu;
	pthread_cond_t ccv;
	struct req *cjob; /* waiting for the checker */
	bool cbusy;	  /* a check is waiting or running */
	bool cstopping;
	/* the hashing pool: its own threads, a bounded queue */
	pthread_t hashers[HASH_WORKERS_MAX];
	size_t nhashers;
	pthread_mutex_t hmu;
	pthread_cond_t hcv;
	struct req *hhead, *htail;
	size_t hqueued;
	bool hstopping;
	/* failed sign-ins, per address and per name */
	struct backoff backoff;
	struct signin_audit signin_audit; /* which failures are audited */
	struct office_session_limits lim;
	/* the connection layer: TLS, request rates, bodies in flight */
	char *tls_cert, *tls_key;
	size_t tls_key_len;
	bool tls;
	struct ratelimit rl_addr, rl_user;
	atomic_size_t inflight; /* bytes of request bodies being received */
	struct metrics metrics;
	int log_fd;		  /* one JSON line per request; -1: none */
	struct deadline deadline; /* for request headers */
};

/* --- the server's clock and pool ---------------------------------------------- */

/* The office's clock: the system's, moved by clock_offset when QUAN_NOW
 * set it (tests, benchmarks and the demo; announced at start-up). */
int64_t srv_now_of(const struct server *s);

/* An office for a read, borrowed from the reader pool (waits for one to
 * be free); give_back returns it. Never NULL. */
struct office *srv_borrow(struct server *s);
void srv_give_back(struct server *s, struct office *o);

/* --- answers ---------------------------------------------------------------------- */

/* Answer r with the error e: its status, code, message and message_zh. */
void srv_fail_with(struct req *r, const struct qerr *e);

/* An error of this layer: code name, status and message. */
void srv_fail_http(struct req *r, unsigned status, const char *code,
		   const char *msg);

/* Answer r with status and out (taken: r frees it); a NULL out is a 500
 * out_of_memory. */
void srv_ok(struct req *r, unsigned status, json_t *out);

/* Answer r with bytes that are not JSON: text[0..len) (malloc'd, taken)
 * of media type type, sent as they are. */
void srv_ok_raw(struct req *r, char *text, size_t len, const char *type);

/* Queue r's answer (JSON, or its raw bytes) on connection c. */
enum MHD_Result srv_send_req(struct MHD_Connection *c, struct req *r);

/* The 404 for r->id, the same whether it does not exist or r's user may
 * not see it. */
void srv_not_found(struct req *r);

/* --- bodies and query parameters ----------------------------------------------- */

/* The body as a JSON object holding only the keys in allowed (NULL-ended);
 * an empty body is {} when empty_ok. NULL with r answered on error; the
 * caller frees the object. */
json_t *srv_body_object(struct req *r, const char *const *allowed,
			bool empty_ok);

/* A string field: *out NULL when absent (borrowed from j); false (r
 * answered) when present and not a string, or missing while required. */
bool srv_field_str(struct req *r, json_t *j, const char *name, bool required,
		   const char **out);

/* A money field ("1200.00"): false (r answered) when absent while
 * required, not a string or not money. *out -1 when absent. */
bool srv_field_money(struct req *r, json_t *j, const char *name, bool required,
		     money_t *out);

/* A required whole number field within [lo, hi]: false (r answered)
 * when absent, not a JSON integer or out of range. */
bool srv_field_int(struct req *r, json_t *j, const char *name, json_int_t lo,
		   json_int_t hi, json_int_t *out);

/* An optional array of at most max strings into out[0..*n) (the
 * caller's array; the strings are j's): false (r answered) when it is
 * something else. */
bool srv_field_strings(struct req *r, json_t *j, const char *name,
		       const char **out, size_t max, size_t *n);

/* A query parameter of the request, or NULL when absent. The one
 * reader of the query string: the route table lists what may be there. */
const char *srv_qarg(struct req *r, const char *name);

/* --- the office's answers as JSON ---------------------------------------------- */

/* Money as its decimal text ("1200.00"); NULL when out of memory. */
json_t *srv_money_j(money_t m);

/* What an office verb answers for one application: id, client_ref,
 * received_at, state, amount, existed. */
json_t *srv_result_j(const struct office_result *res);

/* --- the application a request acts on ---------------------------------------- */

/* Whether r's user may see an application of the firm uscc: staff see
 * all, an applicant only its own. */
bool srv_visible(const struct req *r, const char *uscc);

/* The application r->id exists and r's user may act on it; else answered
 * (404 for an applicant's neighbour, as for one that does not exist). */
bool srv_check_subject(struct office *o, struct req *r);

/* Move money as mv says (its verb and arguments), on r's application and
 * under r's Idempotency-Key, and answer what office_move answers: the
 * same answer again for the same key and request. */
void srv_move(struct server *s, struct office *o, struct req *r,
	      struct office_move *mv);

/* --- the handlers, by area ------------------------------------------------------ */

/* Each is a handler_fn for the route above it, as server.c's route table
 * has it (roles and query parameters there): it fills r->status and
 * r->out, or r->raw. A handler that writes runs on the writer thread with
 * the writing office, the others on an HTTP thread with a borrowed one. */

/* routes_apps.c: applications */

/* GET /v1/applications */
void srv_h_list(struct server *s, struct office *o, struct req *r);
/* GET /v1/applications/{id} */
void srv_h_show(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications */
void srv_h_apply(struct server *s, struct office *o, struct req *r);

/* routes_review.c: review */

/* GET /v1/queue */
void srv_h_queue(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/approve */
void srv_h_approve(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/reject */
void srv_h_reject(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/withdraw */
void srv_h_withdraw(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/approve */
void srv_h_approve_bulk(struct server *s, struct office *o, struct req *r);
/* POST /v1/rounds/close */
void srv_h_round_close(struct server *s, struct office *o, struct req *r);
/* POST /v1/expire */
void srv_h_expire(struct server *s, struct office *o, struct req *r);

/* routes_money.c: money */

/* POST /v1/applications/{id}/disburse */
void srv_h_disburse(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/clawback */
void srv_h_clawback(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/settle */
void srv_h_settle(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/milestones */
void srv_h_milestone(struct server *s, struct office *o, struct req *r);
/* GET /v1/batches */
void srv_h_batches(struct server *s, struct office *o, struct req *r);
/* GET /v1/batches/{id} */
void srv_h_batch_show(struct server *s, struct office *o, struct req *r);
/* POST /v1/batches */
void srv_h_batch_new(struct server *s, struct office *o, struct req *r);
/* POST /v1/batches/{id}/pay */
void srv_h_batch_pay(struct server *s, struct office *o, struct req *r);
/* POST /v1/reconcile */
void srv_h_reconcile(struct server *s, struct office *o, struct req *r);
/* GET /v1/exports/{id} */
void srv_h_export(struct server *s, struct office *o, struct req *r);
/* GET /v1/exports/{id}: the export as a file to download, queued on c;
 * dispatch calls it in srv_h_export's place. */
enum MHD_Result srv_answer_export(struct server *s, struct MHD_Connection *c,
				  struct req *r);

/* routes_notice.c: public notice */

/* POST /v1/notices */
void srv_h_notice_open(struct server *s, struct office *o, struct req *r);
/* GET /v1/notices */
void srv_h_notices(struct server *s, struct office *o, struct req *r);
/* GET /v1/notices/{id} */
void srv_h_notice_show(struct server *s, struct office *o, struct req *r);
/* POST /v1/notices/{id}/close */
void srv_h_notice_close(struct server *s, struct office *o, struct req *r);
/* GET /v1/notices/{id}/export */
void srv_h_notice_export(struct server *s, struct office *o, struct req *r);
/* GET /v1/applications/{id}/letter */
void srv_h_letter(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/objections */
void srv_h_object(struct server *s, struct office *o, struct req *r);
/* POST /v1/applications/{id}/objections/decision */
void srv_h_objection_decide(struct server *s, struct office *o, struct req *r);

/* routes_audit.c: audit */

/* GET /v1/ledger/check */
void srv_h_ledger_check(struct server *s, struct office *o, struct req *r);
/* GET /v1/audit/verify */
void srv_h_audit_verify(struct server *s, struct office *o, struct req *r);
/* GET /v1/audit/events */
void srv_h_audit_events(struct server *s, struct office *o, struct req *r);
/* GET /v1/audit/replay */
void srv_h_audit_replay(struct server *s, struct office *o, struct req *r);

/* routes_docs.c: evidence */

/* POST /v1/applications/{id}/documents */
void srv_h_doc_attach(struct server *s, struct office *o, struct req *r);
/* GET /v1/applications/{id}/documents */
void srv_h_doc_list(struct server *s, struct office *o, struct req *r);
/* GET /v1/documents/{id} */
void srv_h_doc_get(struct server *s, struct office *o, struct req *r);

/* routes_admin.c: sign-in, users, programs */

/* GET /v1/me */
void srv_h_me(struct server *s, struct office *o, struct req *r);
/* GET /v1/programs */
void srv_h_programs(struct server *s, struct office *o, struct req *r);
/* POST /v1/session */
void srv_h_session_open(struct server *s, struct office *o, struct req *r);
/* DELETE /v1/session */
void srv_h_session_close(struct server *s, struct office *o, struct req *r);
/* GET /v1/users */
void srv_h_users(struct server *s, struct office *o, struct req *r);
/* POST /v1/users */
void srv_h_user_add(struct server *s, struct office *o, struct req *r);
/* PATCH /v1/users/{id} */
void srv_h_user_change(struct server *s, struct office *o, struct req *r);
/* DELETE /v1/users/{id} */
void srv_h_user_remove(struct server *s, struct office *o, struct req *r);
/* POST /v1/users/{id}/password */
void srv_h_user_password(struct server *s, struct office *o, struct req *r);

/* routes_analysis.c: analysis */

/* GET /v1/choices */
void srv_h_choices(struct server *s, struct office *o, struct req *r);
/* POST /v1/estimate */
void srv_h_estimate(struct server *s, struct office *o, struct req *r);
/* POST /v1/compare */
void srv_h_compare(struct server *s, struct office *o, struct req *r);
/* GET /v1/report */
void srv_h_report(struct server *s, struct office *o, struct req *r);
/* GET /v1/burndown */
void srv_h_burndown(struct server *s, struct office *o, struct req *r);
/* GET /v1/forecast */
void srv_h_forecast(struct server *s, struct office *o, struct req *r);
/* POST /v1/simulate */
void srv_h_simulate(struct server *s, struct office *o, struct req *r);

#endif
