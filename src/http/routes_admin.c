/*
 * routes_admin.c - the handlers of who is signed in and what the office
 * holds (server_int.h): me, programs, sign-in and sign-out, the
 * administrator's users.
 */
#include "http/server_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/date.h"
#include "office/view.h"

void srv_h_me(struct server *s, struct office *o, struct req *r)
{
	char at[DATETIME_TEXT_MAX];

	/* A session's CSRF token too, so that a reloaded dashboard can
	 * write again: another site cannot read this answer. */
	srv_ok(r, MHD_HTTP_OK,
	       json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s?}", "name", r->user.name,
			 "role", r->user.role, "uscc",
			 r->user.uscc[0] ? r->user.uscc : NULL,
			 "signed_in_with", r->by_cookie ? "session" : "token",
			 "csrf", r->by_cookie ? r->csrf : NULL,
			 "token_expires_at",
			 !r->by_cookie && r->user.token_expires_at
				 ? datetime_format(r->user.token_expires_at, at)
				 : NULL));
}

void srv_h_programs(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (view_programs(o, &j, &e))
		srv_fail_with(r, &e);
	else
		srv_ok(r, MHD_HTTP_OK, j);
}

/* The Set-Cookie of a session: HttpOnly (no script reads it),
 * SameSite=Strict (no other site sends it), Secure over TLS. An empty
 * token clears it. */
static void set_cookie(struct server *s, struct req *r, const char *token)
{
	snprintf(r->cookie, sizeof(r->cookie),
		 SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; "
				"SameSite=Strict%s",
		 token, *token ? (long long)s->lim.max : 0LL,
		 r->tls ? "; Secure" : "");
}

/* POST /v1/session, on the writer once the hashing pool has verified the
 * password of r->user. */
/* A failed sign-in that verify_sign_in chose to audit, on the writer: the
 * event is written (a failure to write it is the answer then), and the
 * sign-in answered as it failed. */
static void signed_in_wrong(struct server *s, struct office *o, struct req *r)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	struct qerr e;

	assert(r->fail_status && r->fail_detail && name);
	qerr_clear(&e);
	if (office_sign_in_failed(o, name, r->fail_detail, srv_now_of(s), &e)) {
		r->fail_detail = NULL; /* stolen */
		srv_fail_with(r, &e);
		return;
	}
	r->fail_detail = NULL;
	if (r->fail_status == MHD_HTTP_FORBIDDEN)
		srv_fail_http(r, MHD_HTTP_FORBIDDEN, "disabled",
			      "this user is disabled: ask an administrator");
	else
		srv_fail_http(r, MHD_HTTP_UNAUTHORIZED, "wrong_password",
			      "wrong name or password");
}

void srv_h_session_open(struct server *s, struct office *o, struct req *r)
{
	char token[OFFICE_TOKEN_TEXT], csrf[OFFICE_TOKEN_TEXT];
	char at[DATETIME_TEXT_MAX];
	int64_t now = srv_now_of(s);
	struct qerr e;

	if (r->fail_status) {
		signed_in_wrong(s, o, r);
		return;
	}
	qerr_clear(&e);
	if (office_session_open(o, r->user.name, &s->lim, r->addr, now, token,
				csrf, &e)) {
		srv_fail_with(r, &e);
		return;
	}
	set_cookie(s, r, token);
	sodium_memzero(token, sizeof(token));
	srv_ok(r, MHD_HTTP_OK,
	       json_pack("{s:s,s:s,s:s?,s:s,s:s}", "name", r->user.name, "role",
			 r->user.role, "uscc",
			 r->user.uscc[0] ? r->user.uscc : NULL, "csrf", csrf,
			 "expires_at", datetime_format(now + s->lim.max, at)));
}

void srv_h_session_close(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;

	if (!r->by_cookie) {
		srv_fail_http(
			r, MHD_HTTP_BAD_REQUEST, "not_a_session",
			"signed in with a token, not a session: nothing to "
			"sign out (an administrator rotates a token with quan "
			"user token)");
		return;
	}
	qerr_clear(&e);
	if (office_session_close(o, r->session, strlen(r->session),
				 r->user.name, srv_now_of(s), &e)) {
		srv_fail_with(r, &e);
		return;
	}
	set_cookie(s, r, "");
	srv_ok(r, MHD_HTTP_OK, json_pack("{s:b}", "signed_out", 1));
}

/* A user as the API shows it: never a hash. */
static json_t *user_j(const struct store_user *u)
{
	char at[DATETIME_TEXT_MAX], exp[DATETIME_TEXT_MAX];

	return json_pack("{s:s,s:s,s:s?,s:s,s:b,s:b,s:s?}", "name", u->name,
			 "role", u->role, "uscc", u->uscc[0] ? u->uscc : NULL,
			 "created_at", datetime_format(u->created_at, at),
			 "password", u->password_hash[0] != 0, "disabled",
			 u->disabled, "token_expires_at",
			 u->token_expires_at
				 ? datetime_format(u->token_expires_at, exp)
				 : NULL);
}

static int list_user(void *arg, const struct store_user *u)
{
	return json_array_append_new(arg, user_j(u)) != 0;
}

void srv_h_users(struct server *s, struct office *o, struct req *r)
{
	json_t *list = json_array();
	struct qerr e;

	qerr_clear(&e);
	if (!list || office_user_each(o, list_user, list, &e)) {
		json_decref(list);
		if (e.code)
			srv_fail_with(r, &e);
		else
			srv_fail_http(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
				      "out_of_memory", "out of memory");
		return;
	}
	srv_ok(r, MHD_HTTP_OK, json_pack("{s:o}", "users", list));
}

/* The user r->id after a change, answered with status. */
static void answer_user(struct office *o, struct req *r, unsigned status,
			const char *token)
{
	struct store_user u;
	struct qerr e;
	json_t *j;

	qerr_clear(&e);
	if (office_user_get(o, r->id, &u, &e)) {
		srv_fail_with(r, &e);
		return;
	}
	j = user_j(&u);
	if (j && token && *token)
		json_object_set_new(j, "token", json_string(token));
	srv_ok(r, status, j);
}

void srv_h_user_add(struct server *s, struct office *o, struct req *r)
{
	char token[OFFICE_TOKEN_TEXT];
	const char *name, *role, *uscc;
	struct office_new_user nu;
	json_int_t days = 0;
	struct qerr e;

	assert(r->json);
	name = json_string_value(json_object_get(r->json, "name"));
	role = json_string_value(json_object_get(r->json, "role"));
	uscc = json_string_value(json_object_get(r->json, "uscc"));
	if (json_object_get(r->json, "expires_days"))
		days = json_integer_value(
			json_object_get(r->json, "expires_days"));
	nu = (struct office_new_user){
		name, role, uscc, r->pw_hash[0] ? r->pw_hash : NULL, (int)days};
	qerr_clear(&e);
	if (office_user_add(o, &nu, r->user.name, srv_now_of(s), token, &e)) {
		srv_fail_with(r, &e);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", name);
	/* A user who signs in with a password gets no token to show. */
	answer_user(o, r, MHD_HTTP_CREATED, r->pw_hash[0] ? NULL : token);
}

void srv_h_user_change(struct server *s, struct office *o, struct req *r)
{
	const char *role, *uscc;
	json_t *d;
	struct qerr e;

	assert(r->json);
	role = json_string_value(json_object_get(r->json, "role"));
	uscc = json_string_value(json_object_get(r->json, "uscc"));
	d = json_object_get(r->json, "disabled");
	if (!strcmp(r->id, r->user.name) &&
	    ((role && strcmp(role, r->user.role)) || json_is_true(d))) {
		srv_fail_http(r, MHD_HTTP_CONFLICT, "conflict",
			      "an administrator does not demote or disable "
			      "themselves: ask another administrator");
		return;
	}
	qerr_clear(&e);
	if (office_user_change(o, r->id, role, uscc, d ? json_is_true(d) : -1,
			       r->user.name, srv_now_of(s), &e)) {
		srv_fail_with(r, &e);
		return;
	}
	answer_user(o, r, MHD_HTTP_OK, NULL);
}

void srv_h_user_remove(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;

	if (!strcmp(r->id, r->user.name)) {
		srv_fail_http(
			r, MHD_HTTP_CONFLICT, "conflict",
			"an administrator does not remove themselves: ask "
			"another administrator");
		return;
	}
	qerr_clear(&e);
	if (office_user_remove(o, r->id, r->user.name, srv_now_of(s), &e)) {
		srv_fail_with(r, &e);
		return;
	}
	srv_ok(r, MHD_HTTP_OK, json_pack("{s:s}", "removed", r->id));
}

void srv_h_user_password(struct server *s, struct office *o, struct req *r)
{
	struct qerr e;

	assert(r->pw_hash[0]);
	qerr_clear(&e);
	if (office_user_password(o, r->id, r->pw_hash, r->user.name,
				 srv_now_of(s), &e)) {
		srv_fail_with(r, &e);
		return;
	}
	answer_user(o, r, MHD_HTTP_OK, NULL);
}
