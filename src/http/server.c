/*
 * server.c - `quan serve` (server.h): the server's plumbing. Start and
 * stop, the request's life (libmicrohttpd's callbacks, bodies, limits,
 * deadlines), authentication, sessions and CSRF, the route table and
 * dispatch, the reader pool, the writer and the hashing pool, and the
 * answer and body helpers every handler uses (server_int.h). The
 * handlers themselves live in routes_*.c, one file per area.
 */
#include "http/server_int.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/date.h"
#include "core/file.h"
#include "http/backoff.h"
#include "http/deadline.h"
#include "http/limit.h"
#include "http/metrics.h"
#include "http/signin_audit.h"
#include "engine/errzh.h"
#include "engine/lang.h"
#include "office/office.h"

/* --- roles and routes ------------------------------------------------------------ */

static unsigned role_bit(const char *role)
{
	static const char *const names[] = {"administrator", "reviewer",
					    "finance",	     "auditor",
					    "applicant",     "analyst"};

	for (unsigned i = 0; i < 6; i++)
		if (!strcmp(role, names[i]))
			return 1u << i;
	return 0;
}

/* The header deadline's record of connection c (NULL: none). */
static struct deadline_conn *deadline_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* A monotonic clock in microseconds: rates and latencies, never dates. */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The office's clock: the system's, moved by clock_offset when QUAN_NOW
 * set it (tests, benchmarks and the demo; announced at start-up). */
int64_t srv_now_of(const struct server *s)
{
	return (int64_t)time(NULL) + s->c.clock_offset;
}

/* --- answers ---------------------------------------------------------------------- */

static unsigned status_for(int code)
{
	switch (code) {
	case Q_OK:
		return MHD_HTTP_OK;
	case Q_ERR_NOT_FOUND:
		return MHD_HTTP_NOT_FOUND;
	case Q_ERR_FORBIDDEN:
		return MHD_HTTP_FORBIDDEN;
	case Q_ERR_CONFLICT:
		return MHD_HTTP_CONFLICT;
	case Q_ERR_TOO_LARGE:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case Q_ERR_UNKNOWN_PROGRAM:
	case Q_ERR_UNKNOWN_MEASURE:
	case Q_ERR_UNKNOWN_CHIP:
	case Q_ERR_POLICY:
	case Q_ERR_DECISION:
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case Q_ERR_IO:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	case Q_ERR_NOMEM:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	default:
		return MHD_HTTP_BAD_REQUEST;
	}
}

/* {"error": {code, message, message_zh, field}}: the English message
 * and its Chinese (engine/errzh.h), as a decision carries both; a reader
 * who asks for Chinese gets it in message's place (send_req). */
static json_t *error_json(const char *code, const char *msg, const char *field)
{
	char zh[512];

	assert(code && msg);
	return json_pack("{s:{s:s,s:s,s:s,s:s*}}", "error", "code", code,
			 "message", msg, "message_zh",
			 errzh_message(code, field, msg, zh, sizeof(zh)),
			 "field", field && field[0] ? field : NULL);
}

void srv_fail_with(struct req *r, const struct qerr *e)
{
	json_decref(r->out);
	r->status = status_for(e->code);
	r->out = error_json(qerr_name(e->code), e->msg, e->field);
}

/* An error of this layer: code name, status and message. */
void srv_fail_http(struct req *r, unsigned status, const char *code,
		   const char *msg)
{
	json_decref(r->out);
	r->status = status;
	r->out = error_json(code, msg, NULL);
}

void srv_ok(struct req *r, unsigned status, json_t *out)
{
	json_decref(r->out);
	r->status = status;
	r->out = out;
	if (!out)
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status,
				 const char *type, char *text, size_t len,
				 struct req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, text,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r && r->cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", r->cookie);
	if (r && r->disposition[0]) /* a file's answer: send_req */
		MHD_add_response_header(resp, "Content-Disposition",
					r->disposition);
	if (r && r->retry_after > 0) {
		char ra[24];

		snprintf(ra, sizeof(ra), "%lld", (long long)r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (r && r->close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
					"close");
	/* The body follows Accept-Language: say which, and tell caches. */
	if (r && r->content_language) {
		MHD_add_response_header(resp, "Content-Language",
					r->content_language);
		MHD_add_response_header(resp, "Vary", "Accept-Language");
	}
	if (r) {
		r->sent_status = status;
		r->sent_bytes = len;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Queue r's answer as JSON. */
enum MHD_Result srv_send_req(struct MHD_Connection *c, struct req *r)
{
	char *text;

	if (r->raw && !r->out && r->status == MHD_HTTP_OK) {
		text = r->raw;
		r->raw = NULL; /* the response frees it */
		return send_text(c, r->status, r->raw_type, text, r->raw_len,
				 r);
	}
	if (!r->out)
		srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "out_of_memory", "out of memory");
	/* Accept-Language: zh puts the Chinese of every text that has one in
	 * the English key's place (engine/lang.h); English is the default. */
	r->content_language = "en";
	if (r->out && lang_wants_zh(MHD_lookup_connection_value(
			      c, MHD_HEADER_KIND, "Accept-Language"))) {
		r->content_language = "zh-CN";
		if (lang_localize_zh(r->out)) {
			srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				      "out_of_memory", "out of memory");
			r->content_language = "en";
		}
	}
	text = r->out ? json_dumps(r->out, JSON_COMPACT | JSON_PRESERVE_ORDER)
		      : NULL;
	if (!text)
		return MHD_NO;
	return send_text(c, r->status, "application/json; charset=utf-8", text,
			 strlen(text), r);
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *r,
				  unsigned status, const char *code,
				  const char *msg)
{
	srv_fail_http(r, status, code, msg);
	return srv_send_req(c, r);
}

/* --- bodies ------------------------------------------------------------------------ */

/* The body as a JSON object holding only the keys in allowed (NULL-ended);
 * an empty body is {} when empty_ok. NULL with r answered on error. */
json_t *srv_body_object(struct req *r, const char *const *allowed,
			bool empty_ok)
{
	json_error_t err;
	json_t *j;
	const char *k;
	json_t *v;

	if (r->len == 0 && empty_ok)
		return json_object();
	j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES,
		       &err);
	if (!j) {
		struct qerr e;

		qerr_set(&e, Q_ERR_INVALID_JSON, "",
			 "body: line %d column %d: %s", err.line, err.column,
			 err.text);
		srv_fail_with(r, &e);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "wrong_type",
			      "body: a JSON object is expected");
		return NULL;
	}
	json_object_foreach(j, k, v)
	{
		bool known = false;

		for (size_t i = 0; allowed[i] && !known; i++)
			known = !strcmp(k, allowed[i]);
		if (!known) {
			struct qerr e;

			qerr_set(&e, Q_ERR_UNKNOWN_FIELD, k,
				 "%.64s: not a field of this request", k);
			srv_fail_with(r, &e);
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

/* A string field: *out NULL when absent; false (r answered) when present
 * and not a string, or missing while required. */
bool srv_field_str(struct req *r, json_t *j, const char *name, bool required,
		   const char **out)
{
	json_t *v = json_object_get(j, name);
	struct qerr e;

	*out = NULL;
	if (!v && !required)
		return true;
	if (!v) {
		qerr_set(&e, Q_ERR_MISSING_FIELD, name, "%s: required", name);
		srv_fail_with(r, &e);
		return false;
	}
	if (!json_is_string(v)) {
		qerr_set(
			&e, Q_ERR_WRONG_TYPE, name,
			"%s: a string is expected%s", name,
			json_is_number(v)
				? " (money is a decimal string such as \"100.00\")"
				: "");
		srv_fail_with(r, &e);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* A money field ("1200.00"): false (r answered) when absent while
 * required, not a string or not money. *out -1 when absent. */
bool srv_field_money(struct req *r, json_t *j, const char *name, bool required,
		     money_t *out)
{
	const char *t;
	struct qerr e;

	*out = -1;
	if (!srv_field_str(r, j, name, required, &t))
		return false;
	if (!t)
		return true;
	if (money_parse(t, strlen(t), out, name, &e)) {
		srv_fail_with(r, &e);
		return false;
	}
	return true;
}

/* A query parameter of the request, or NULL when absent. The one
 * reader of the query string: the route table lists what may be there. */
const char *srv_qarg(struct req *r, const char *name)
{
	assert(r && name);
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

/* --- the application a request acts on ------------------------------------------ */

/* An applicant sees only its own applications: another's is "not found",
 * so that ids do not leak. */
bool srv_visible(const struct req *r, const char *uscc)
{
	return r->role != R_APPLICANT || !strcmp(uscc, r->user.uscc);
}

void srv_not_found(struct req *r)
{
	struct qerr e;

	qerr_set(&e, Q_ERR_NOT_FOUND, "id", "id: no application '%.64s'",
		 r->id);
	srv_fail_with(r, &e);
}

/* The application r->id exists and r's user may act on it; else answered
 * (404 for an applicant's neighbour, as for one that does not exist). */
bool srv_check_subject(struct office *o, struct req *r)
{
	struct store_app a;
	struct qerr e;
	int rc;

	qerr_clear(&e);
	rc = store_app_get(o->store, r->id, &a, &e);
	if (rc == Q_NONE) {
		srv_not_found(r);
		return false;
	}
	if (rc) {
		srv_fail_with(r, &e);
		return false;
	}
	rc = srv_visible(r, a.uscc);
	store_app_release(&a);
	if (!rc)
		srv_not_found(r);
	return rc;
}

/* Move money as mv says (its verb and arguments), on r's application and
 * under r's Idempotency-Key, and answer what office_move answers: the
 * same answer again for the same key and request. */
void srv_move(struct server *s, struct office *o, struct req *r,
	      struct office_move *mv)
{
	struct qerr e;
	json_t *answer = NULL;

	qerr_clear(&e);
	mv->id = r->id;
	mv->key = r->key;
	if (office_move(o, mv, r->user.name, srv_now_of(s), &answer, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, answer);
}

/* --- the office's answers as JSON ----------------------------------------------- */

json_t *srv_money_j(money_t m)
{
	char b[MONEY_TEXT_MAX];

	return json_string(money_format(m, b));
}

json_t *srv_result_j(const struct office_result *res)
{
	char at[DATETIME_TEXT_MAX];

	return json_pack("{s:s,s:s*,s:s,s:s,s:o,s:b}", "id", res->id,
			 "client_ref",
			 res->client_ref[0] ? res->client_ref : NULL,
			 "received_at", datetime_format(res->received_at, at),
			 "state", app_state_name(res->state), "amount",
			 srv_money_j(res->amount), "existed", res->existed);
}

/* --- more of the answers and bodies ------------------------------------------- */

/* Answer r with the malloc'd bytes text[0..len) of type (taken). */
void srv_ok_raw(struct req *r, char *text, size_t len, const char *type)
{
	json_decref(r->out);
	r->out = NULL;
	free(r->raw);
	r->status = MHD_HTTP_OK;
	r->raw = text;
	r->raw_len = len;
	r->raw_type = type;
}

/* An optional array of strings (invoice references) into out[0..*n), at
 * most max: false (r answered) when it is something else. The strings
 * are j's. */
bool srv_field_strings(struct req *r, json_t *j, const char *name,
		       const char **out, size_t max, size_t *n)
{
	json_t *v = json_object_get(j, name), *x;
	struct qerr e;
	size_t i;

	*n = 0;
	if (!v)
		return true;
	if (!json_is_array(v) || json_array_size(v) > max) {
		qerr_set(&e, Q_ERR_WRONG_TYPE, name,
			 "%s: an array of at most %zu strings is expected",
			 name, max);
		srv_fail_with(r, &e);
		return false;
	}
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x)) {
			qerr_set(&e, Q_ERR_WRONG_TYPE, name,
				 "%s: each is a string", name);
			srv_fail_with(r, &e);
			return false;
		}
		out[(*n)++] = json_string_value(x);
	}
	return true;
}

/* An integer field that must be a JSON integer. */
bool srv_field_int(struct req *r, json_t *j, const char *name, json_int_t lo,
		   json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(j, name);
	struct qerr e;

	if (!v) {
		qerr_set(&e, Q_ERR_MISSING_FIELD, name, "%s: required", name);
		srv_fail_with(r, &e);
		return false;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		qerr_set(&e, Q_ERR_WRONG_TYPE, name,
			 "%s: a whole number from %lld to %lld", name,
			 (long long)lo, (long long)hi);
		srv_fail_with(r, &e);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* --- GET /metrics ---------------------------------------------------------------- */

/* Never called: dispatch() answers GET /metrics in text, not JSON. */
static void srv_h_metrics(struct server *s, struct office *o, struct req *r)
{
	(void)s;
	(void)o;
	srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
		      "metrics are answered as text");
}

/* --- the route table (the handlers: routes_*.c) ---------------------------------- */

static const struct route routes[] = {
	{"GET", "/v1/me", "", R_ALL | R_ANALYST, false, srv_h_me},
	{"GET", "/v1/programs", "", R_ALL | R_ANALYST, false, srv_h_programs},
	{"GET", "/v1/choices", "", R_ALL, false, srv_h_choices},
	{"POST", "/v1/estimate", "at", R_ALL, false, srv_h_estimate},
	{"POST", "/v1/compare", "", R_ALL, false, srv_h_compare},
	{"POST", "/v1/applications", "", R_ADMIN | R_APPLICANT, true,
	 srv_h_apply},
	{"GET", "/v1/applications",
	 "state program limit before q uscc_prefix measure flag amount_min "
	 "amount_max received_from received_to sort after",
	 R_ALL, false, srv_h_list},
	{"GET", "/v1/applications/{id}", "", R_ALL, false, srv_h_show},
	{"POST", "/v1/applications/approve", "", R_REVIEWER, true,
	 srv_h_approve_bulk},
	{"POST", "/v1/applications/{id}/approve", "", R_REVIEWER, true,
	 srv_h_approve},
	{"POST", "/v1/applications/{id}/reject", "", R_REVIEWER, true,
	 srv_h_reject},
	{"POST", "/v1/applications/{id}/withdraw", "", R_ADMIN | R_APPLICANT,
	 true, srv_h_withdraw},
	{"POST", "/v1/applications/{id}/disburse", "", R_FINANCE, true,
	 srv_h_disburse},
	{"POST", "/v1/applications/{id}/clawback", "", R_FINANCE, true,
	 srv_h_clawback},
	{"POST", "/v1/applications/{id}/milestones", "", R_REVIEWER, true,
	 srv_h_milestone},
	{"POST", "/v1/applications/{id}/settle", "", R_REVIEWER, true,
	 srv_h_settle},
	{"POST", "/v1/applications/{id}/objections", "", R_ADMIN | R_REVIEWER,
	 true, srv_h_object},
	{"POST", "/v1/applications/{id}/objections/decision", "", R_REVIEWER,
	 true, srv_h_objection_decide},
	{"POST", "/v1/notices", "", R_ADMIN, true, srv_h_notice_open},
	{"GET", "/v1/notices", "", R_STAFF, false, srv_h_notices},
	{"GET", "/v1/notices/{id}", "", R_STAFF, false, srv_h_notice_show},
	{"POST", "/v1/notices/{id}/close", "", R_ADMIN, true,
	 srv_h_notice_close},
	{"GET", "/v1/notices/{id}/export", "format", R_STAFF, false,
	 srv_h_notice_export},
	{"GET", "/v1/applications/{id}/letter", "kind", R_ALL, false,
	 srv_h_letter},
	{"POST", "/v1/applications/{id}/documents", "kind name payment",
	 R_ADMIN | R_REVIEWER | R_FINANCE | R_APPLICANT, true,
	 srv_h_doc_attach},
	{"GET", "/v1/applications/{id}/documents", "", R_ALL, false,
	 srv_h_doc_list},
	{"GET", "/v1/documents/{id}", "", R_ALL, false, srv_h_doc_get},
	{"POST", "/v1/rounds/close", "", R_ADMIN, true, srv_h_round_close},
	{"POST", "/v1/expire", "", R_ADMIN, true, srv_h_expire},
	{"GET", "/v1/report", "", R_STAFF | R_ANALYST, false, srv_h_report},
	{"GET", "/v1/queue", "program", R_STAFF, false, srv_h_queue},
	{"GET", "/v1/burndown", "program pool year", R_STAFF | R_ANALYST, false,
	 srv_h_burndown},
	{"GET", "/v1/ledger/check", "", R_ADMIN | R_FINANCE | R_AUDITOR, false,
	 srv_h_ledger_check},
	{"GET", "/v1/audit/verify", "", R_ADMIN | R_AUDITOR, false,
	 srv_h_audit_verify},
	{"GET", "/v1/forecast", "", R_STAFF | R_ANALYST, false, srv_h_forecast},
	{"GET", "/metrics", "", R_ADMIN | R_AUDITOR | R_ANALYST, false,
	 srv_h_metrics},
	{"POST", "/v1/simulate", "", R_ADMIN | R_ANALYST, false,
	 srv_h_simulate},
	/* Sign-in, and the administrator's users. */
	{"POST", "/v1/session", "", R_PUBLIC | R_ALL | R_ANALYST, true,
	 srv_h_session_open},
	{"DELETE", "/v1/session", "", R_ALL | R_ANALYST, true,
	 srv_h_session_close},
	{"GET", "/v1/users", "", R_ADMIN, false, srv_h_users},
	{"POST", "/v1/users", "", R_ADMIN, true, srv_h_user_add},
	{"PATCH", "/v1/users/{id}", "", R_ADMIN, true, srv_h_user_change},
	{"DELETE", "/v1/users/{id}", "", R_ADMIN, true, srv_h_user_remove},
	{"POST", "/v1/users/{id}/password", "", R_ADMIN, true,
	 srv_h_user_password},
	/* The auditor's desk. */
	{"GET", "/v1/audit/events", "kind app by from to after limit",
	 R_ADMIN | R_AUDITOR, false, srv_h_audit_events},
	{"GET", "/v1/audit/replay", "limit", R_ADMIN | R_AUDITOR, false,
	 srv_h_audit_replay},
	/* finance (office/finance.h, office/export.h) */
	{"GET", "/v1/batches", "", R_ADMIN | R_FINANCE | R_AUDITOR, false,
	 srv_h_batches},
	{"POST", "/v1/batches", "", R_FINANCE, true, srv_h_batch_new},
	{"GET", "/v1/batches/{id}", "", R_ADMIN | R_FINANCE | R_AUDITOR, false,
	 srv_h_batch_show},
	{"POST", "/v1/batches/{id}/pay", "", R_FINANCE, true, srv_h_batch_pay},
	{"POST", "/v1/reconcile", "", R_FINANCE, true, srv_h_reconcile},
	{"GET", "/v1/exports/{id}", "format batch",
	 R_ADMIN | R_FINANCE | R_AUDITOR, false, srv_h_export},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

size_t server_route_count(void)
{
	return NROUTES;
}

void server_route(size_t i, const char **method, const char **path)
{
	*method = routes[i].method;
	*path = routes[i].path;
}

const char *server_route_params(size_t i)
{
	assert(i < NROUTES);
	return routes[i].params;
}

bool server_route_allows(size_t i, const char *role)
{
	return (routes[i].roles & role_bit(role)) != 0;
}

/* Whether url matches pattern; {id} takes one non-empty segment into id. */
static bool path_match(const char *pattern, const char *url, char *id,
		       size_t idn)
{
	while (*pattern) {
		if (!strncmp(pattern, "{id}", 4)) {
			size_t n = strcspn(url, "/");

			if (!n || n >= idn)
				return false;
			memcpy(id, url, n);
			id[n] = '\0';
			url += n;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *url++)
			return false;
	}
	return *url == '\0';
}

/* The route for method and url; *path_known when another method would
 * match (405 rather than 404). */
static const struct route *find_route(const char *method, const char *url,
				      char *id, size_t idn, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].path, url, id, idn))
			continue;
		*path_known = true;
		if (!strcmp(routes[i].method, method))
			return &routes[i];
	}
	return NULL;
}

/* --- the reader pool ------------------------------------------------------------ */

struct office *srv_borrow(struct server *s)
{
	struct office *o = NULL;

	pthread_mutex_lock(&s->rmu);
	while (!o) {
		for (size_t i = 0; i < s->nreaders && !o; i++)
			if (!s->busy[i]) {
				s->busy[i] = true;
				o = &s->readers[i];
			}
		if (!o)
			pthread_cond_wait(&s->rcv, &s->rmu);
	}
	pthread_mutex_unlock(&s->rmu);
	return o;
}

void srv_give_back(struct server *s, struct office *o)
{
	pthread_mutex_lock(&s->rmu);
	s->busy[o - s->readers] = false;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->rmu);
}

/* --- the writer -------------------------------------------------------------------- */

/* Answer r on its suspended connection and let it go on. r belongs to the
 * connection again after the resume: touch nothing of it afterwards. */
static void finish_job(struct req *r)
{
	struct MHD_Connection *c = r->conn;

	srv_send_req(c, r);
	MHD_resume_connection(c);
}

/* Commit n applications in one transaction and answer each. Each was
 * stamped by the office's clock when its request arrived. */
static void writer_apply(struct server *s, struct req **rs, size_t n)
{
	struct office_intake *in = calloc(n, sizeof(*in));
	struct office_result *res = calloc(n, sizeof(*res));
	int *rcs = calloc(n, sizeof(*rcs));
	struct qerr *errs = calloc(n, sizeof(*errs));
	struct qerr e;
	int rc;

	metrics_batch(&s->metrics, n);
	qerr_clear(&e);
	if (!in || !res || !rcs || !errs) {
		rc = qerr_set(&e, Q_ERR_NOMEM, "", "out of memory");
	} else {
		for (size_t i = 0; i < n; i++) {
			in[i].json = rs[i]->body ? rs[i]->body : "";
			in[i].len = rs[i]->len;
			in[i].by = rs[i]->user.name;
			in[i].received_at = rs[i]->received_at;
			in[i].parsed = rs[i]->parsed;
		}
		rc = office_intake_batch(&s->w, in, n, srv_now_of(s), res, rcs,
					 errs, &e);
	}
	for (size_t i = 0; i < n; i++) {
		if (rc)
			srv_fail_with(rs[i], &e);
		else if (rcs[i])
			srv_fail_with(rs[i], &errs[i]);
		else
			srv_ok(rs[i],
			       res[i].existed ? MHD_HTTP_OK : MHD_HTTP_CREATED,
			       srv_result_j(&res[i]));
		finish_job(rs[i]);
	}
	free(in);
	free(res);
	free(rcs);
	free(errs);
}

static void *writer_main(void *arg)
{
	struct server *s = arg;
	size_t max = s->c.batch_max;
	struct req **batch = calloc(max, sizeof(*batch));

	for (;;) {
		struct req *list, *r;
		size_t n = 0;

		pthread_mutex_lock(&s->qmu);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->qcv, &s->qmu);
		list = s->head;
		s->head = s->tail = NULL;
		pthread_mutex_unlock(&s->qmu);
		if (!list)
			break; /* stopping, and nothing left */
		/* In arrival order; neighbouring applications share a
		 * commit. */
		while (list) {
			r = list;
			list = r->next;
			atomic_fetch_sub(&s->metrics.queued, 1);
			if (r->route->fn == srv_h_apply && batch) {
				batch[n++] = r;
				if (n == max) {
					writer_apply(s, batch, n);
					n = 0;
				}
				continue;
			}
			if (n) {
				writer_apply(s, batch, n);
				n = 0;
			}
			r->route->fn(s, &s->w, r);
			finish_job(r);
		}
		if (n)
			writer_apply(s, batch, n);
	}
	free(batch);
	return NULL;
}

static void enqueue(struct server *s, struct req *r)
{
	atomic_fetch_add(&s->metrics.queued, 1);
	pthread_mutex_lock(&s->qmu);
	r->next = NULL;
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	pthread_cond_signal(&s->qcv);
	pthread_mutex_unlock(&s->qmu);
}

/* --- the long checks, on a thread of their own ------------------------------------ */

/* Whether route takes long on a large office (it reads every account, or
 * every event): then it runs on the checker, one at a time. */
static bool route_is_long(const struct route *rt)
{
	return rt->fn == srv_h_ledger_check || rt->fn == srv_h_audit_verify ||
	       rt->fn == srv_h_audit_replay;
}

static void *checker_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct req *r;
		struct office *o;

		pthread_mutex_lock(&s->cmu);
		while (!s->cjob && !s->cstopping)
			pthread_cond_wait(&s->ccv, &s->cmu);
		r = s->cjob;
		s->cjob = NULL;
		pthread_mutex_unlock(&s->cmu);
		if (!r)
			break; /* stopping, and nothing left */
		o = srv_borrow(s);
		r->route->fn(s, o, r);
		srv_give_back(s, o);
		pthread_mutex_lock(&s->cmu);
		s->cbusy = false;
		pthread_mutex_unlock(&s->cmu);
		finish_job(r);
	}
	return NULL;
}

/* Hand r to the checker, or answer 503 when a check is running already. */
static enum MHD_Result to_checker(struct server *s, struct MHD_Connection *c,
				  struct req *r)
{
	bool busy;

	assert(route_is_long(r->route));
	pthread_mutex_lock(&s->cmu);
	busy = s->cbusy || s->cstopping;
	if (!busy) {
		s->cbusy = true;
		r->queued = true;
		MHD_suspend_connection(c);
		s->cjob = r;
		pthread_cond_signal(&s->ccv);
	}
	pthread_mutex_unlock(&s->cmu);
	if (!busy)
		return MHD_YES;
	r->retry_after = 2;
	return send_error(
		c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
		"a ledger check, audit verify or replay is running: "
		"they run one at a time; ask again after Retry-After");
}

/* --- sign-in: bodies, backoff and the hashing pool ------------------------------- */

/* The body of a sign-in or users route checked on the HTTP thread, kept in
 * r->json for the hashing pool and the writer; false with r answered. A
 * sign-in from an address or for a name that failed too often is 429. */
static bool users_body(struct server *s, struct req *r)
{
	static const char *const session[] = {"name", "password", NULL};
	static const char *const add[] = {"name",     "role",	      "uscc",
					  "password", "expires_days", NULL};
	static const char *const change[] = {"role", "uscc", "disabled", NULL};
	static const char *const password[] = {"password", NULL};
	static const char *const none[] = {NULL};
	handler_fn fn = r->route->fn;
	const char *const *allowed = fn == srv_h_session_open	 ? session
				     : fn == srv_h_user_add	 ? add
				     : fn == srv_h_user_change	 ? change
				     : fn == srv_h_user_password ? password
								 : none;
	const char *name, *pw, *role, *uscc;
	json_t *v;
	struct qerr e;

	r->json = srv_body_object(r, allowed,
				  allowed == none || fn == srv_h_user_change);
	if (!r->json)
		return false;
	if (!srv_field_str(r, r->json, "name",
			   fn == srv_h_session_open || fn == srv_h_user_add,
			   &name) ||
	    !srv_field_str(r, r->json, "password",
			   fn == srv_h_session_open ||
				   fn == srv_h_user_password,
			   &pw) ||
	    !srv_field_str(r, r->json, "role", fn == srv_h_user_add, &role) ||
	    !srv_field_str(r, r->json, "uscc", false, &uscc))
		return false;
	v = json_object_get(r->json, "disabled");
	if (v && !json_is_boolean(v)) {
		qerr_set(&e, Q_ERR_WRONG_TYPE, "disabled",
			 "disabled: true or false");
		srv_fail_with(r, &e);
		return false;
	}
	v = json_object_get(r->json, "expires_days");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > OFFICE_TOKEN_DAYS_MAX)) {
		qerr_set(&e, Q_ERR_INVALID, "expires_days",
			 "expires_days: an integer from 1 to %d",
			 OFFICE_TOKEN_DAYS_MAX);
		srv_fail_with(r, &e);
		return false;
	}
	if (fn == srv_h_session_open) {
		char ka[BACKOFF_KEY], ku[BACKOFF_KEY];
		int64_t now = srv_now_of(s), wa, wu;

		snprintf(ka, sizeof(ka), "a:%s", r->addr);
		snprintf(ku, sizeof(ku), "u:%.80s", name);
		wa = backoff_wait(&s->backoff, ka, now);
		wu = backoff_wait(&s->backoff, ku, now);
		r->retry_after = wa > wu ? wa : wu;
		if (r->retry_after) {
			char msg[128];

			snprintf(
				msg, sizeof(msg),
				"too many failed sign-ins: try again in %lld seconds",
				(long long)r->retry_after);
			srv_fail_http(r, MHD_HTTP_TOO_MANY_REQUESTS,
				      "too_many_attempts", msg);
			return false;
		}
		return true;
	}
	if (pw && fn != srv_h_session_open) {
		qerr_clear(&e);
		if (pwhash_check(pw, strlen(pw), &e)) {
			srv_fail_with(r, &e);
			return false;
		}
	}
	return true;
}

/* Whether the failed sign-in r (reason, the name's failures so far, its
 * lock) goes into the audit chain (signin_audit.h says which do): then
 * r->fail_detail holds the event's detail, never the password, and the
 * writer answers status after writing it. */
static bool audit_failure(struct server *s, struct req *r, const char *reason,
			  unsigned fails, int64_t locked, unsigned status)
{
	char mark[SIGNIN_AUDIT_MARK];
	const char *kind;
	uint64_t suppressed;

	assert(reason && status);
	if (!signin_audit_admit(&s->signin_audit, fails, locked, srv_now_of(s),
				&suppressed))
		return false;
	kind = signin_audit_address(r->addr, mark);
	r->fail_detail = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "reason",
				   reason, "address_kind", kind, "address_mark",
				   mark, "failures", (json_int_t)fails,
				   "locked_for", (json_int_t)locked,
				   "suppressed", (json_int_t)suppressed);
	if (!r->fail_detail)
		return false;
	r->fail_status = status;
	return true;
}

/* Verify a sign-in's password (r->json) against its user: true when it
 * matches (r->user filled, for the writer to open the session), false with
 * r answered. A failure counts against the address and the name; an
 * unknown name costs the time of a wrong password. */
static bool verify_sign_in(struct server *s, struct req *r)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *pw =
		json_string_value(json_object_get(r->json, "password"));
	char ka[BACKOFF_KEY], ku[BACKOFF_KEY];
	struct store_user u;
	struct office *o;
	struct qerr e;
	bool match;
	int rc;

	assert(name && pw);
	snprintf(ka, sizeof(ka), "a:%s", r->addr);
	snprintf(ku, sizeof(ku), "u:%.80s", name);
	qerr_clear(&e);
	o = srv_borrow(s);
	rc = office_user_get(o, name, &u, &e);
	srv_give_back(s, o);
	if (rc && rc != Q_NONE) {
		srv_fail_with(r, &e);
		return false;
	}
	match = pwhash_verify(!rc && u.password_hash[0] ? u.password_hash
							: NULL,
			      pw, strlen(pw));
	if (!match) {
		int64_t now = srv_now_of(s);
		int64_t la = backoff_fail(&s->backoff, ka, now);
		int64_t lu = backoff_fail(&s->backoff, ku, now);

		r->retry_after = la > lu ? la : lu;
		if (audit_failure(s, r,
				  rc		       ? "unknown_user"
				  : u.password_hash[0] ? "wrong_password"
						       : "no_password",
				  backoff_fails(&s->backoff, ku), lu,
				  MHD_HTTP_UNAUTHORIZED))
			return true; /* on to the writer, which audits it */
		srv_fail_http(r, MHD_HTTP_UNAUTHORIZED, "wrong_password",
			      "wrong name or password");
		return false;
	}
	backoff_ok(&s->backoff, ka);
	backoff_ok(&s->backoff, ku);
	if (u.disabled) {
		if (audit_failure(s, r, "disabled", 1, 0, MHD_HTTP_FORBIDDEN))
			return true;
		srv_fail_http(r, MHD_HTTP_FORBIDDEN, "disabled",
			      "this user is disabled: ask an administrator");
		return false;
	}
	r->user = u;
	r->role = role_bit(u.role);
	return true;
}

/* The hashing pool's work on r: verify a sign-in, or hash a new password
 * into r->pw_hash. true: on to the writer. */
static bool hash_job(struct server *s, struct req *r)
{
	const char *pw =
		json_string_value(json_object_get(r->json, "password"));
	struct qerr e;

	if (r->route->fn == srv_h_session_open)
		return verify_sign_in(s, r);
	if (!pw)
		return true;
	qerr_clear(&e);
	if (pwhash_hash(pw, strlen(pw), &s->c.pwhash, r->pw_hash, &e)) {
		srv_fail_with(r, &e);
		return false;
	}
	return true;
}

/* A thread of the hashing pool: argon2id takes tens of milliseconds and
 * 64 MiB, so it runs here, on few threads of its own, never on an HTTP
 * thread or the writer. */
static void *hasher_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct req *r;

		pthread_mutex_lock(&s->hmu);
		while (!s->hhead && !s->hstopping)
			pthread_cond_wait(&s->hcv, &s->hmu);
		r = s->hhead;
		if (r) {
			s->hhead = r->hnext;
			if (!s->hhead)
				s->htail = NULL;
			assert(s->hqueued > 0);
			s->hqueued--;
		}
		pthread_mutex_unlock(&s->hmu);
		if (!r)
			break; /* stopping, and nothing left */
		if (hash_job(s, r))
			enqueue(s, r);
		else
			finish_job(r);
	}
	return NULL;
}

/* Hand r to the hashing pool, or answer 503 when its queue is full: a
 * flood of sign-ins waits there, or is turned away, and the API's threads
 * go on. */
static enum MHD_Result to_hashers(struct server *s, struct MHD_Connection *c,
				  struct req *r)
{
	pthread_mutex_lock(&s->hmu);
	if (s->hqueued >= s->c.hash_queue) {
		pthread_mutex_unlock(&s->hmu);
		r->retry_after = 1;
		return send_error(c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				  "too many sign-ins at once: try again in a "
				  "second");
	}
	r->queued = true;
	MHD_suspend_connection(c);
	r->hnext = NULL;
	if (s->htail)
		s->htail->hnext = r;
	else
		s->hhead = r;
	s->htail = r;
	s->hqueued++;
	pthread_cond_signal(&s->hcv);
	pthread_mutex_unlock(&s->hmu);
	return MHD_YES;
}

/* --- static files ------------------------------------------------------------------ */

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".json", "application/json; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
		{".woff2", "font/woff2"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* Only plain names: letters, digits, '-', '_', '.', and '/' between
 * segments, none of which starts with a dot (no "..", no hidden files). */
static bool safe_path(const char *url)
{
	if (*url != '/')
		return false;
	for (const char *p = url; *p; p++) {
		bool ok_char = (*p >= 'a' && *p <= 'z') ||
			       (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9') || *p == '-' ||
			       *p == '_' || *p == '.' || *p == '/';

		if (!ok_char)
			return false;
		if (*p == '/' && (p[1] == '.' || p[1] == '/'))
			return false;
	}
	return strlen(url) < 512;
}

static enum MHD_Result serve_file(struct server *s, struct MHD_Connection *c,
				  struct req *r, const char *url)
{
	char path[1024];
	struct MHD_Response *resp;
	struct stat st;
	enum MHD_Result ret;
	int fd;

	if (!s->c.web_dir || !safe_path(url))
		return send_error(c, r, MHD_HTTP_NOT_FOUND, "not_found",
				  "no such page");
	if (!strcmp(url, "/"))
		url = "/index.html";
	if ((size_t)snprintf(path, sizeof(path), "%s%s", s->c.web_dir, url) >=
	    sizeof(path))
		return send_error(c, r, MHD_HTTP_NOT_FOUND, "not_found",
				  "no such page");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_error(c, r, MHD_HTTP_NOT_FOUND, "not_found",
				  "no such page");
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type(path));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:");
	r->sent_status = MHD_HTTP_OK;
	r->sent_bytes = (size_t)st.st_size;
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --- GET /metrics, answered ------------------------------------------------------ */

/* A label value with its backslashes, quotes and newlines escaped. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* The ledger's figures of one pool and year, as gauges in fen. */
static int pool_gauges(void *arg, const struct office_pool_figures *p)
{
	static const char *const names[] = {"budget",	"available",
					    "reserved", "awarded",
					    "paid",	"recovered"};
	const money_t v[] = {p->budget,	 p->available, p->reserved,
			     p->awarded, p->paid,      p->recovered};
	FILE *f = arg;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fputs("quan_pool_fen{program=\"", f);
		put_label(f, p->program);
		fputs("\",pool=\"", f);
		put_label(f, p->pool);
		fprintf(f, "\",year=\"%d\",account=\"%s\"} %lld\n", p->year,
			names[i], (long long)v[i]);
	}
	return 0;
}

static void route_name(size_t i, const char **method, const char **path)
{
	server_route(i, method, path);
}

/* GET /metrics: the counters, and the pools' balances read from the
 * ledger now, in Prometheus text format. */
static enum MHD_Result answer_metrics(struct server *s,
				      struct MHD_Connection *c, struct req *r)
{
	char *text = NULL;
	size_t len = 0;
	struct office *o;
	struct qerr e;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out_of_memory", "out of memory");
	metrics_write(&s->metrics, f, route_name);
	fputs("# HELP quan_pool_fen A pool's ledger balance by account, in fen.\n"
	      "# TYPE quan_pool_fen gauge\n",
	      f);
	qerr_clear(&e);
	o = srv_borrow(s);
	rc = office_pools_each(o, pool_gauges, f, &e);
	srv_give_back(s, o);
	fprintf(f,
		"# HELP quan_bodies_inflight_bytes Request bodies being received.\n"
		"# TYPE quan_bodies_inflight_bytes gauge\n"
		"quan_bodies_inflight_bytes %zu\n"
		"# HELP quan_header_deadline_cut_total Connections cut for not sending their headers in time.\n"
		"# TYPE quan_header_deadline_cut_total counter\n"
		"quan_header_deadline_cut_total %lu\n",
		atomic_load(&s->inflight), deadline_cut(&s->deadline));
	if (fclose(f) || !text) {
		free(text);
		return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out_of_memory", "out of memory");
	}
	if (rc) {
		free(text);
		srv_fail_with(r, &e);
		return srv_send_req(c, r);
	}
	return send_text(c, MHD_HTTP_OK,
			 "text/plain; version=0.0.4; charset=utf-8", text, len,
			 r);
}

/* --- the access handler -------------------------------------------------------- */

/* The client's address into r->addr: the socket's peer, or the last
 * address of X-Forwarded-For when the peer is the configured trusted proxy
 * (haproxy appends the address it saw), which also says whether the
 * client came over TLS (X-Forwarded-Proto). Anyone else's X-Forwarded-For
 * is ignored: a client does not choose its own address. */
static void client_addr(struct server *s, struct MHD_Connection *c,
			struct req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff, *proto;
	char peer[INET6_ADDRSTRLEN] = "unknown";

	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)ci->client_addr)
				   ->sin_addr,
			  peer, sizeof(peer));
	snprintf(r->addr, sizeof(r->addr), "%s", peer);
	r->tls = s->tls;
	if (!s->c.trusted_proxy || strcmp(peer, s->c.trusted_proxy))
		return;
	proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					    "X-Forwarded-Proto");
	r->tls = s->tls || (proto && !strcasecmp(proto, "https"));
	xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  "X-Forwarded-For");
	if (xff) {
		const char *last = strrchr(xff, ',');
		char a[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		size_t n;

		last = last ? last + 1 : xff;
		last += strspn(last, " \t");
		n = strcspn(last, " \t");
		if (n && n < sizeof(a)) {
			memcpy(a, last, n);
			a[n] = '\0';
			if (inet_pton(AF_INET, a, bin) == 1 ||
			    inet_pton(AF_INET6, a, bin) == 1)
				snprintf(r->addr, sizeof(r->addr), "%s", a);
		}
	}
}

/* Authenticate by a bearer token, or else by the session cookie, whose
 * writes must carry its CSRF token: r->user and r->role; false (answered)
 * when missing, unknown, expired, or the store failed. */
static bool authenticate(struct server *s, struct MHD_Connection *c,
			 struct req *r, const char *method,
			 enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Authorization");
	struct store_session sess;
	struct office *o;
	struct qerr e;
	int rc;

	qerr_clear(&e);
	if (!h) {
		const char *cookie = MHD_lookup_connection_value(
			c, MHD_COOKIE_KIND, SESSION_COOKIE);
		const char *x;

		if (!cookie) {
			*ret = send_error(
				c, r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
				"sign in (POST /v1/session) or send a bearer token (quan user add)");
			return false;
		}
		o = srv_borrow(s);
		rc = office_session_find(o, cookie, strlen(cookie), &s->lim,
					 srv_now_of(s), &sess, &e);
		srv_give_back(s, o);
		if (rc == Q_NONE || rc == OFFICE_SESSION_EXPIRED) {
			r->retry_after = 0;
			*ret = send_error(
				c, r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
				rc == Q_NONE
					? "this session has ended: sign in again"
					: "this session expired: sign in again");
			return false;
		}
		if (rc) {
			srv_fail_with(r, &e);
			*ret = srv_send_req(c, r);
			return false;
		}
		r->user = sess.user;
		r->by_cookie = true;
		snprintf(r->session, sizeof(r->session), "%s", cookie);
		snprintf(r->csrf, sizeof(r->csrf), "%s", sess.csrf);
		x = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						"X-CSRF-Token");
		if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
		    (!x || strlen(x) != strlen(sess.csrf) ||
		     sodium_memcmp(x, sess.csrf, strlen(x)))) {
			*ret = send_error(
				c, r, MHD_HTTP_FORBIDDEN, "csrf",
				"X-CSRF-Token: a change made by a signed-in session carries the csrf value that POST /v1/session answered");
			return false;
		}
		r->role = role_bit(r->user.role);
		return true;
	}
	/* The scheme's name is case-insensitive (RFC 9110, 11.1). */
	if (strncasecmp(h, "Bearer ", 7)) {
		*ret = send_error(c, r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
				  "a bearer token is required (quan user add)");
		return false;
	}
	h += 7;
	o = srv_borrow(s);
	rc = office_user_by_token(o, h, strlen(h), &r->user, &e);
	srv_give_back(s, o);
	if (rc == Q_NONE) {
		*ret = send_error(c, r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
				  "this token belongs to no user");
		return false;
	}
	if (rc) {
		srv_fail_with(r, &e);
		*ret = srv_send_req(c, r);
		return false;
	}
	if (r->user.disabled) {
		*ret = send_error(
			c, r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
			"this user is disabled: ask an administrator");
		return false;
	}
	if (r->user.token_expires_at &&
	    srv_now_of(s) >= r->user.token_expires_at) {
		char at[DATETIME_TEXT_MAX], msg[160];

		snprintf(
			msg, sizeof(msg),
			"this token expired at %s: ask an administrator for a new one (quan user token)",
			datetime_format(r->user.token_expires_at, at));
		*ret = send_error(c, r, MHD_HTTP_UNAUTHORIZED, "token_expired",
				  msg);
		return false;
	}
	r->role = role_bit(r->user.role);
	return true;
}

/* Whether name is one of the space-separated words of list. */
static bool word_in(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *w = list; *w;) {
		size_t k = strcspn(w, " ");

		if (k == n && !strncmp(w, name, n))
			return true;
		w += k;
		w += *w == ' ';
	}
	return false;
}

/* The first query parameter the route does not take, for
 * MHD_get_connection_values: stops the walk there. */
static enum MHD_Result unknown_param(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	const char **found = cls;

	assert(kind == MHD_GET_ARGUMENT_KIND);
	if (word_in((const char *)found[0], key))
		return MHD_YES;
	found[1] = key;
	return MHD_NO;
}

/* Whether every query parameter of the request is one of params (the
 * route's list); if not, r holds the 400 naming the first other one. A
 * parameter the route does not take is a mistake (a filter that was never
 * applied), not something to ignore. */
static bool params_known(struct MHD_Connection *c, struct req *r,
			 const char *method, const char *path,
			 const char *params)
{
	const char *found[2] = {params, NULL};
	struct qerr e;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, unknown_param,
				  found);
	if (!found[1])
		return true;
	qerr_set(&e, Q_ERR_UNKNOWN_FIELD, found[1],
		 "%.64s: %s %s takes no such query parameter%s%s", found[1],
		 method, path, *params ? "; it takes: " : "", params);
	srv_fail_with(r, &e);
	return false;
}

/* Counts the Content-Length and Transfer-Encoding headers of a request,
 * for MHD_get_connection_values. */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	unsigned *n = cls;

	assert(kind == MHD_HEADER_KIND);
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		n[0]++;
	else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		n[1]++;
	return MHD_YES;
}

/* Whether the request's framing is one a proxy in front and this server
 * could read differently: two Content-Length headers, or Content-Length
 * beside Transfer-Encoding (RFC 9112, 6.3). Behind haproxy these are how
 * a request is smuggled, so they are refused and the connection closed.
 * The rest is the proxy's, since libmicrohttpd does not show it (it reads
 * a header value only up to a NUL) and we do not write an HTTP parser of
 * our own: haproxy re-sends a bare-LF request with CRLF, refuses a NUL in
 * a header name, and refuses one in a value with the rule the README
 * gives (tests/e2e/edge.bats). */
static bool framing_ambiguous(struct MHD_Connection *c)
{
	unsigned n[2] = {0, 0};

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, n);
	return n[0] > 1 || n[1] > 1 || (n[0] && n[1]);
}

/* The connection-level checks of a new request, before any route: its
 * framing, a NUL in its URI, and its address's request rate. False when
 * answered (*ret). */
static bool admit(struct server *s, struct MHD_Connection *c, struct req *r,
		  enum MHD_Result *ret)
{
	char key[80];
	int64_t wait;

	if (framing_ambiguous(c)) {
		r->close_after = true;
		*ret = send_error(
			c, r, MHD_HTTP_BAD_REQUEST, "bad_framing",
			"two Content-Length headers, or Content-Length with Transfer-Encoding: refused");
		return false;
	}
	if (r->nul_in_uri) {
		*ret = send_error(c, r, MHD_HTTP_BAD_REQUEST, "bad_path",
				  "%00 in a path or query is refused");
		return false;
	}
	client_addr(s, c, r);
	snprintf(key, sizeof(key), "a:%s", r->addr);
	wait = ratelimit_take(&s->rl_addr, key, mono_us());
	if (wait) {
		r->retry_after = wait;
		*ret = send_error(c, r, MHD_HTTP_TOO_MANY_REQUESTS,
				  "rate_limited",
				  "too many requests from this address");
		return false;
	}
	return true;
}

/* Counts a declared body of n bytes against the bodies in flight; false
 * when that would pass bodies_max (nothing counted then). */
static bool reserve_body(struct server *s, struct req *r, size_t n)
{
	size_t was = atomic_fetch_add(&s->inflight, n);

	if (was + n > s->c.bodies_max || was + n < was) {
		atomic_fetch_sub(&s->inflight, n);
		return false;
	}
	r->reserved += n;
	return true;
}

/* GET /healthz: the process is alive and answering (no store call, so a
 * balancer does not restart a server that waits for its database).
 * GET /readyz: the store answers and would take a write now (store_ready:
 * on PostgreSQL, connected to the primary), else 503, so that haproxy
 * sends traffic only to servers that can take applications. Neither asks
 * for a token; neither is in the routes table (no role, no writer). */
static enum MHD_Result health(struct server *s, struct MHD_Connection *c,
			      struct req *r, const char *url,
			      const char *method)
{
	struct office *o;
	struct qerr e;
	const char *backend;
	int rc;

	assert(s && url);
	if (strcmp(method, "GET"))
		return send_error(c, r, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method_not_allowed",
				  "this route takes another method");
	if (!params_known(c, r, "GET", url, ""))
		return srv_send_req(c, r);
	if (!strcmp(url, "/healthz")) {
		r->status = MHD_HTTP_OK;
		r->out = json_pack("{s:s}", "status", "alive");
		return srv_send_req(c, r);
	}
	qerr_clear(&e);
	o = srv_borrow(s);
	rc = store_ready(o->store, &e);
	backend = store_backend(o->store);
	srv_give_back(s, o);
	if (rc) {
		srv_fail_http(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
			      e.msg);
		return srv_send_req(c, r);
	}
	r->status = MHD_HTTP_OK;
	r->out = json_pack("{s:s,s:s}", "status", "ready", "store", backend);
	return srv_send_req(c, r);
}

/* The first call for a request: framing, rate, route, authenticate,
 * authorise, query parameters, size. */
static enum MHD_Result begin(struct server *s, struct MHD_Connection *c,
			     struct req *r, const char *url, const char *method)
{
	const char *cl;
	enum MHD_Result ret = MHD_YES;
	bool path_known;

	r->conn = c;
	/* Its headers are in: the connection keeps the ordinary timeout. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned int)s->c.timeout_s);
	deadline_met(&s->deadline, deadline_of(c));
	if (!admit(s, c, r, &ret))
		return ret;
	if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz"))
		return health(s, c, r, url, method);
	if (strncmp(url, "/v1/", 4) && strcmp(url, "/metrics")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return send_error(c, r, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method_not_allowed",
					  "static pages are read with GET");
		return serve_file(s, c, r, url);
	}
	if (!strcmp(url, "/v1/openapi.json")) {
		char *copy;

		if (!params_known(c, r, "GET", url, ""))
			return srv_send_req(c, r);
		copy = malloc(s->openapi_len);

		if (!copy)
			return MHD_NO;
		memcpy(copy, s->openapi, s->openapi_len);
		return send_text(c, MHD_HTTP_OK,
				 "application/json; charset=utf-8", copy,
				 s->openapi_len, r);
	}
	r->route = find_route(method, url, r->id, sizeof(r->id), &path_known);
	if (!r->route)
		return path_known
			       ? send_error(c, r, MHD_HTTP_METHOD_NOT_ALLOWED,
					    "method_not_allowed",
					    "this route takes another method")
			       : send_error(c, r, MHD_HTTP_NOT_FOUND,
					    "not_found", "no such route");
	if (!(r->route->roles & R_PUBLIC) &&
	    !authenticate(s, c, r, method, &ret))
		return ret;
	if (!(r->route->roles & R_PUBLIC)) {
		char key[8 + sizeof(r->user.name)];
		int64_t wait;

		snprintf(key, sizeof(key), "u:%s", r->user.name);
		wait = ratelimit_take(&s->rl_user, key, mono_us());
		if (wait) {
			r->retry_after = wait;
			return send_error(c, r, MHD_HTTP_TOO_MANY_REQUESTS,
					  "rate_limited",
					  "too many requests with this token");
		}
	}
	if (!(r->route->roles & R_PUBLIC) && !(r->route->roles & r->role))
		return send_error(c, r, MHD_HTTP_FORBIDDEN, "forbidden",
				  "this role may not use this route");
	if (!params_known(c, r, r->route->method, r->route->path,
			  r->route->params))
		return srv_send_req(c, r);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);

		if (*end || n > s->c.body_max) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "body: more than %zu bytes is refused",
				 s->c.body_max);
			return send_error(c, r, MHD_HTTP_CONTENT_TOO_LARGE,
					  "too_large", msg);
		}
		if (n && !reserve_body(s, r, (size_t)n)) {
			r->retry_after = 1;
			return send_error(
				c, r, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
				"the server holds as many request bodies as it may: try again");
		}
	}
	return MHD_YES;
}

/* The Idempotency-Key of a write into r->key, checked: false with r
 * answered when it is malformed. On POST /v1/applications the key is the
 * body's client_ref: the header may repeat it, or stand for it when the
 * body has none, but never differ from it. */
static bool take_key(struct MHD_Connection *c, struct req *r)
{
	const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Idempotency-Key");
	size_t n = k ? strlen(k) : 0;

	r->key[0] = '\0';
	if (!k)
		return true;
	if (!office_key_valid(k, n)) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "Idempotency-Key: 1 to 128 printable ASCII "
			      "characters, no spaces");
		return false;
	}
	memcpy(r->key, k, n + 1);
	if (r->route->fn != srv_h_apply || !r->parsed)
		return true;
	if (r->parsed->app.client_ref) {
		if (strcmp(r->parsed->app.client_ref, r->key)) {
			srv_fail_http(
				r, MHD_HTTP_BAD_REQUEST, "invalid",
				"Idempotency-Key and client_ref differ: an "
				"application's key is its client_ref");
			return false;
		}
		return true;
	}
	if (!app_ref_valid(r->key, n)) {
		srv_fail_http(r, MHD_HTTP_BAD_REQUEST, "invalid",
			      "Idempotency-Key: an application's key is its "
			      "client_ref, 1 to 64 of A-Z a-z 0-9 . _ -");
		return false;
	}
	r->parsed->app.client_ref = r->key;
	return true;
}

/* The whole body is in: answer reads here, hand writes to the writer. */
static enum MHD_Result dispatch(struct server *s, struct MHD_Connection *c,
				struct req *r)
{
	struct office *o;

	if (r->route->fn == srv_h_estimate) {
		struct application a;
		struct qerr e;

		/* An applicant estimates only for its own firm: a decision
		 * shows what the firm already holds. */
		qerr_clear(&e);
		if (app_parse_json(r->body ? r->body : "", r->len, &a, &e)) {
			srv_fail_with(r, &e);
			return srv_send_req(c, r);
		}
		if (r->role == R_APPLICANT &&
		    strcmp(a.applicant.uscc, r->user.uscc)) {
			app_release(&a);
			return send_error(
				c, r, MHD_HTTP_FORBIDDEN, "forbidden",
				"applicant.uscc: an applicant files only for its own firm");
		}
		app_release(&a);
	}
	if (r->route->fn == srv_h_apply) {
		struct qerr e;

		/* Stamped by the office's clock as it arrives; parsed, checked
		 * and its facts built here, on the HTTP thread, so that the
		 * writer only does what depends on the office's state. Bad
		 * input never reaches the writer, and an applicant files only
		 * for its own firm. */
		r->received_at = srv_now_of(s);
		r->parsed = calloc(1, sizeof(*r->parsed));
		if (!r->parsed)
			return send_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "out_of_memory", "out of memory");
		qerr_clear(&e);
		if (office_prepare(s->c.chips, r->body ? r->body : "", r->len,
				   r->received_at, r->parsed, &e)) {
			srv_fail_with(r, &e);
			return srv_send_req(c, r);
		}
		if (r->role == R_APPLICANT &&
		    strcmp(r->parsed->app.applicant.uscc, r->user.uscc))
			return send_error(
				c, r, MHD_HTTP_FORBIDDEN, "forbidden",
				"applicant.uscc: an applicant files only for its own firm");
	}
	if (r->route->write && !take_key(c, r))
		return srv_send_req(c, r);
	if (r->route->fn == srv_h_session_open ||
	    r->route->fn == srv_h_session_close ||
	    r->route->fn == srv_h_user_add ||
	    r->route->fn == srv_h_user_change ||
	    r->route->fn == srv_h_user_remove ||
	    r->route->fn == srv_h_user_password) {
		if (!users_body(s, r))
			return srv_send_req(c, r);
		/* These hash or verify a password first, on the pool. */
		if (r->route->fn == srv_h_session_open ||
		    r->route->fn == srv_h_user_add ||
		    r->route->fn == srv_h_user_password)
			return to_hashers(s, c, r);
	}
	if (r->route->fn == srv_h_metrics)
		return answer_metrics(s, c, r);
	if (r->route->fn == srv_h_export)
		return srv_answer_export(s, c, r);
	if (r->route->write) {
		if (r->route->fn != srv_h_apply)
			r->received_at = srv_now_of(s);
		r->queued = true;
		MHD_suspend_connection(c);
		enqueue(s, r);
		return MHD_YES;
	}
	if (route_is_long(r->route))
		return to_checker(s, c, r);
	o = srv_borrow(s);
	r->route->fn(s, o, r);
	srv_give_back(s, o);
	return srv_send_req(c, r);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct req *r = *con_cls;

	if (!r)
		return MHD_NO; /* out of memory at its request line */
	if (!r->begun) {
		r->begun = true;
		return begin(s, c, r, url, method);
	}
	if (r->queued)
		return MHD_YES; /* answered by the writer */
	if (*upload_size && r->sent_status) {
		*upload_size = 0; /* answered already: the rest is dropped */
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		/* A body without a length (chunked) that grows past the
		 * cap: cut the connection. */
		if (n > s->c.body_max - r->len)
			return MHD_NO;
		/* A body without a length counts as it grows. */
		if (r->len + n > r->reserved &&
		    !reserve_body(s, r, r->len + n - r->reserved))
			return MHD_NO;
		if (r->len + n + 1 > r->cap) {
			/* Exactly what was declared, once; or doubling. */
			size_t cap = r->reserved >= r->len + n
					     ? r->reserved + 1
					     : (r->len + n + 1) * 2;
			char *b;

			if (cap > s->c.body_max + 1)
				cap = s->c.body_max + 1;
			b = realloc(r->body, cap);
			if (!b)
				return MHD_NO;
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(s, c, r);
}

/* One JSON line for request r, written whole with one write(2) to an
 * O_APPEND file, so that lines from several threads never interleave. It
 * names the route's pattern, never the path (which holds application
 * numbers), and nothing of the client: no token, address, user name,
 * query or body. */
static void log_request(struct server *s, const struct req *r, int64_t us)
{
	char line[512], at[32];
	struct tm tm;
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(
		line, sizeof(line),
		"{\"time\":\"%s.%03ldZ\",\"method\":\"%s\",\"route\":\"%s\","
		"\"status\":%u,\"us\":%lld,\"bytes\":%zu,\"role\":%s%s%s}\n",
		at, ts.tv_nsec / 1000000, r->route ? r->route->method : "other",
		r->route ? r->route->path : "other", r->sent_status,
		(long long)us, r->sent_bytes, r->role ? "\"" : "",
		r->role ? r->user.role : "null", r->role ? "\"" : "");
	assert(n > 0);
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(s->log_fd, line, (size_t)n) < 0)
		return; /* a full disk loses log lines, never requests */
}

/* Freeing a body larger than this may hand memory back to the system. */
#define BODY_TRIM_AT (128u * 1024)

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req *r = *con_cls;

	if (!r)
		return;
	/* The next request on this connection has its headers due. */
	deadline_rearm(&s->deadline, deadline_of(c));
	if (r->sent_status) {
		int64_t us = mono_us() - r->started_us;
		size_t route = r->route ? (size_t)(r->route - routes)
					: server_route_count();

		metrics_request(&s->metrics, route, r->sent_status, us);
		if (s->log_fd >= 0)
			log_request(s, r, us);
	}
	json_decref(r->out);
	json_decref(r->json);
	json_decref(r->fail_detail);
	if (r->body)
		sodium_memzero(r->body, r->cap); /* passwords pass here */
	sodium_memzero(r->pw_hash, sizeof(r->pw_hash));
	free(r->body);
	free(r->raw);
	office_parsed_release(r->parsed);
	free(r->parsed);
	if (r->reserved) {
		size_t was = atomic_fetch_sub(&s->inflight, r->reserved);

		assert(was >= r->reserved);
		/* The last large body in flight is gone: give the memory
		 * back to the system, not only to malloc's free lists. */
		if (was == r->reserved && r->cap > BODY_TRIM_AT)
			malloc_trim(0);
	}
	free(r);
	*con_cls = NULL;
}

/* The raw request line's URI, before libmicrohttpd unescapes it (which
 * would cut the path at a %00): the request starts here. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (!r)
		return NULL;
	r->started_us = mono_us();
	r->nul_in_uri = strstr(uri, "%00") != NULL;
	return r;
}

/* A new connection has header_timeout_s to send its headers, in silence
 * (libmicrohttpd's timeout) and in all (the deadline: a slowloris
 * trickles them); begin() gives it the ordinary timeout. */
static void conn_event(void *cls, struct MHD_Connection *c, void **socket_ctx,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		deadline_close(&s->deadline, *socket_ctx);
		*socket_ctx = NULL;
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned int)s->c.header_timeout_s);
	*socket_ctx = ci ? deadline_open(&s->deadline, ci->connect_fd) : NULL;
}

/* --- start and stop --------------------------------------------------------------- */

/* The request log of --access-log: "-" is standard error. */
static int log_open(struct server *s, struct qerr *e)
{
	if (!s->c.access_log)
		return Q_OK;
	if (!strcmp(s->c.access_log, "-")) {
		s->log_fd = STDERR_FILENO;
		return Q_OK;
	}
	s->log_fd = open(s->c.access_log,
			 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s->log_fd < 0)
		return qerr_set(e, Q_ERR_IO, "access-log", "%.200s: %s",
				s->c.access_log, strerror(errno));
	return Q_OK;
}

/* The certificate and key of --tls-cert and --tls-key, read into s (PEM;
 * MHD hands them to GnuTLS). Neither: plain HTTP. */
static int tls_load(struct server *s, struct qerr *e)
{
	size_t n;
	int rc;

	if (!s->c.tls_cert && !s->c.tls_key)
		return Q_OK;
	if (!s->c.tls_cert || !s->c.tls_key)
		return qerr_set(e, Q_ERR_INVALID, "tls",
				"tls: --tls-cert and --tls-key go together");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return qerr_set(
			e, Q_ERR_INVALID, "tls",
			"tls: this libmicrohttpd was built without TLS (GnuTLS): serve plain HTTP behind a proxy that terminates TLS");
	rc = file_read(s->c.tls_cert, 1u << 20, "the TLS certificate",
		       &s->tls_cert, &n, e);
	if (!rc)
		rc = file_read(s->c.tls_key, 1u << 20, "the TLS key",
			       &s->tls_key, &s->tls_key_len, e);
	if (rc)
		return rc;
	if (!strstr(s->tls_cert, "-----BEGIN CERTIFICATE-----"))
		return qerr_set(e, Q_ERR_INVALID, "tls-cert",
				"%.200s: not a PEM certificate", s->c.tls_cert);
	if (!strstr(s->tls_key, "PRIVATE KEY-----"))
		return qerr_set(e, Q_ERR_INVALID, "tls-key",
				"%.200s: not a PEM private key", s->c.tls_key);
	s->tls = true;
	return Q_OK;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_quiesce_daemon(s->d);
	/* The hashers first: what they finish goes on to the writer. */
	pthread_mutex_lock(&s->hmu);
	s->hstopping = true;
	pthread_cond_broadcast(&s->hcv);
	pthread_mutex_unlock(&s->hmu);
	for (size_t i = 0; i < s->nhashers; i++)
		pthread_join(s->hashers[i], NULL);
	if (s->checker_started) {
		pthread_mutex_lock(&s->cmu);
		s->cstopping = true;
		pthread_cond_broadcast(&s->ccv);
		pthread_mutex_unlock(&s->cmu);
		pthread_join(s->checker, NULL);
	}
	if (s->writer_started) {
		pthread_mutex_lock(&s->qmu);
		s->stopping = true;
		pthread_cond_broadcast(&s->qcv);
		pthread_mutex_unlock(&s->qmu);
		pthread_join(s->writer, NULL);
	}
	if (s->d)
		MHD_stop_daemon(s->d);
	deadline_stop(&s->deadline);
	for (size_t i = 0; i < s->nreaders; i++)
		if (s->readers[i].store)
			office_close(&s->readers[i]);
	if (s->w.store)
		office_close(&s->w);
	free(s->readers);
	free(s->busy);
	free(s->openapi);
	pthread_mutex_destroy(&s->rmu);
	pthread_cond_destroy(&s->rcv);
	pthread_mutex_destroy(&s->qmu);
	pthread_mutex_destroy(&s->simmu);
	pthread_mutex_destroy(&s->cmu);
	pthread_cond_destroy(&s->ccv);
	pthread_cond_destroy(&s->qcv);
	pthread_mutex_destroy(&s->hmu);
	pthread_cond_destroy(&s->hcv);
	backoff_release(&s->backoff);
	signin_audit_release(&s->signin_audit);
	metrics_release(&s->metrics);
	if (s->log_fd > STDERR_FILENO)
		close(s->log_fd);
	ratelimit_release(&s->rl_addr);
	ratelimit_release(&s->rl_user);
	free(s->tls_cert);
	if (s->tls_key)
		sodium_memzero(s->tls_key, s->tls_key_len);
	free(s->tls_key);
	free(s);
}

int server_start(const struct server_config *c, struct server **out,
		 uint16_t *port, struct qerr *e)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	int rc;

	*out = NULL;
	if (!s)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	s->c = *c;
	if (!s->c.body_max)
		s->c.body_max = 1u << 20;
	if (!s->c.conn_max)
		s->c.conn_max = 16000;
	if (!s->c.timeout_s)
		s->c.timeout_s = 15;
	if (!s->c.threads)
		s->c.threads = 2;
	if (!s->c.batch_max)
		s->c.batch_max = 512;
	if (!s->c.simulate_max)
		s->c.simulate_max = SERVER_SIMULATE_MAX;
	if (!s->c.simulate_ms)
		s->c.simulate_ms = SERVER_SIMULATE_MS;
	if (!s->c.forecast_horizon)
		s->c.forecast_horizon = SERVER_FORECAST_HORIZON;
	pthread_mutex_init(&s->simmu, NULL);
	pthread_mutex_init(&s->cmu, NULL);
	pthread_cond_init(&s->ccv, NULL);
	if (!s->c.session_idle)
		s->c.session_idle = 8 * 3600;
	if (!s->c.session_max)
		s->c.session_max = 24 * 3600;
	if (!s->c.pwhash.ops)
		s->c.pwhash = pwhash_defaults();
	if (!s->c.hash_workers)
		s->c.hash_workers = 2;
	if (s->c.hash_workers > HASH_WORKERS_MAX)
		s->c.hash_workers = HASH_WORKERS_MAX;
	if (!s->c.hash_queue)
		s->c.hash_queue = 32;
	if (!s->c.header_timeout_s)
		s->c.header_timeout_s = SERVER_HEADER_TIMEOUT;
	if (s->c.header_timeout_s > s->c.timeout_s)
		s->c.header_timeout_s = s->c.timeout_s;
	if (!s->c.bodies_max)
		s->c.bodies_max = SERVER_BODIES_MAX;
	if (s->c.bodies_max < s->c.body_max)
		s->c.bodies_max = s->c.body_max;
	atomic_init(&s->inflight, 0);
	s->log_fd = -1;
	s->lim.idle = s->c.session_idle;
	s->lim.max = s->c.session_max;
	pthread_mutex_init(&s->hmu, NULL);
	pthread_cond_init(&s->hcv, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	pthread_cond_init(&s->rcv, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	signin_audit_init(&s->signin_audit);
	pthread_cond_init(&s->qcv, NULL);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(c->port);
	if (inet_pton(AF_INET, c->host, &addr.sin_addr) != 1) {
		rc = qerr_set(e, Q_ERR_INVALID, "listen",
			      "listen: '%.64s' is not an IPv4 address",
			      c->host);
		goto fail;
	}
	if (c->trusted_proxy &&
	    inet_pton(AF_INET, c->trusted_proxy, &addr.sin_addr) != 1) {
		rc = qerr_set(e, Q_ERR_INVALID, "trusted-proxy",
			      "trusted-proxy: '%.64s' is not an IPv4 address",
			      c->trusted_proxy);
		goto fail;
	}
	if (inet_pton(AF_INET, c->host, &addr.sin_addr) != 1) {
		rc = qerr_set(e, Q_ERR_INVALID, "listen",
			      "listen: '%.64s' is not an IPv4 address",
			      c->host);
		goto fail;
	}
	rc = pwhash_init(e);
	if (!rc)
		rc = backoff_init(&s->backoff, 4096, e);
	if (!rc)
		rc = ratelimit_init(&s->rl_addr, 1u << 14, c->rate_addr, 0, e);
	if (!rc)
		rc = ratelimit_init(&s->rl_user, 1u << 12, c->rate_token, 0, e);
	if (!rc)
		rc = tls_load(s, e);
	if (!rc)
		rc = metrics_init(&s->metrics, server_route_count(), e);
	if (!rc)
		rc = log_open(s, e);
	if (!rc)
		rc = deadline_start(&s->deadline, s->c.header_timeout_s, e);
	if (rc)
		goto fail;
	/* Request bodies above 256 KiB are mapped on their own and unmapped
	 * when freed: glibc's sliding threshold would otherwise keep the
	 * memory of a flood of large bodies after they are gone. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	rc = file_read(c->openapi, 1u << 20, "the OpenAPI document",
		       &s->openapi, &s->openapi_len, e);
	if (rc)
		goto fail;

	rc = office_open(&s->w, c->db, c->chips, e);
	if (rc)
		goto fail;
	s->w.clock_set = c->clock_set;
	/* One office per HTTP thread, per hasher and for the checker, and
	 * one spare for the rare moment a thread holds two (there is none
	 * today). */
	s->nreaders = s->c.threads + s->c.hash_workers + 2;
	s->readers = calloc(s->nreaders, sizeof(*s->readers));
	s->busy = calloc(s->nreaders, sizeof(*s->busy));
	if (!s->readers || !s->busy) {
		s->nreaders = 0;
		rc = qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < s->nreaders; i++) {
		rc = office_open(&s->readers[i], c->db, c->chips, e);
		if (rc)
			goto fail;
	}
	if (pthread_create(&s->writer, NULL, writer_main, s)) {
		rc = qerr_set(e, Q_ERR_IO, "", "cannot start the writer");
		goto fail;
	}
	s->writer_started = true;
	if (pthread_create(&s->checker, NULL, checker_main, s)) {
		rc = qerr_set(e, Q_ERR_IO, "", "cannot start the checker");
		goto fail;
	}
	s->checker_started = true;
	for (; s->nhashers < s->c.hash_workers; s->nhashers++)
		if (pthread_create(&s->hashers[s->nhashers], NULL, hasher_main,
				   s)) {
			rc = qerr_set(e, Q_ERR_IO, "",
				      "cannot start the password hashers");
			goto fail;
		}

	/* The certificate and key, only when serving TLS: TLS 1.2 and 1.3
	 * alone, with GnuTLS's secure defaults otherwise. */
	struct MHD_OptionItem tls_opts[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
		{MHD_OPTION_HTTPS_PRIORITIES, 0,
		 (void *)"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
		{MHD_OPTION_END, 0, NULL},
	};

	if (!s->tls)
		tls_opts[0].option = MHD_OPTION_END;
	s->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			MHD_ALLOW_SUSPEND_RESUME | (s->tls ? MHD_USE_TLS : 0),
		c->port, NULL, NULL, answer, s, MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)s->c.conn_per_addr, MHD_OPTION_NOTIFY_CONNECTION,
		conn_event, s, MHD_OPTION_URI_LOG_CALLBACK, uri_seen, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->c.threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->c.conn_max,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->c.timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)4096,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
	if (!s->d) {
		rc = qerr_set(e, Q_ERR_IO, "listen",
			      "cannot listen on %.64s:%u (in use?)", c->host,
			      (unsigned)c->port);
		goto fail;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : c->port;
	*out = s;
	return Q_OK;
fail:
	server_stop(s);
	return rc;
}
