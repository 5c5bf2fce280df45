/*
 * users.c - the users of the server: their names, roles (and an
 * applicant's firm), and bearer tokens of 256 random bits, shown once and
 * stored only as their SHA-256; passwords (argon2id strings made by the
 * caller) and sessions. Every change of a user, and every sign-in and
 * sign-out, is audited.
 */
#include "office/office_int.h"

#include <assert.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

#include "core/uscc.h"

static const char *const roles[] = {"administrator", "reviewer",  "finance",
				    "auditor",	     "applicant", "analyst"};

bool office_role_known(const char *role)
{
	assert(role);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(role, roles[i]))
			return true;
	return false;
}

/* Hex SHA-256 of the token's bytes into out (65 bytes). */
static void token_hash(const char *token, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert(token && out);
	EVP_Digest(token, len, md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

void office_token_mark(const char *hash, char out[OFFICE_TOKEN_MARK])
{
	static const char salt[] = "quan audit token mark:";
	char full[65];
	char *buf;
	size_t n;

	assert(hash && out);
	n = sizeof(salt) - 1 + strlen(hash);
	buf = malloc(n + 1);
	if (!buf) {
		out[0] = '\0';
		return;
	}
	memcpy(buf, salt, sizeof(salt) - 1);
	memcpy(buf + sizeof(salt) - 1, hash, strlen(hash) + 1);
	token_hash(buf, n, full);
	free(buf);
	memcpy(out, full, OFFICE_TOKEN_MARK - 1);
	out[OFFICE_TOKEN_MARK - 1] = '\0';
}

/* A user's name (no spaces), role, and the USCC of an applicant's firm. */
static int check_user(const char *name, const char *role, const char *uscc,
		      struct qerr *e)
{
	size_t nlen = strlen(name);
	struct store_user u;

	assert(name && role);
	if (!nlen || nlen >= sizeof(u.name))
		return qerr_set(e, Q_ERR_INVALID, "name",
				"name: 1 to %zu bytes", sizeof(u.name) - 1);
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)name[i] < 0x21 || name[i] == 0x7f)
			return qerr_set(
				e, Q_ERR_INVALID, "name",
				"name: no spaces or control characters");
	if (!office_role_known(role))
		return qerr_set(
			e, Q_ERR_INVALID, "role",
			"role: '%.32s' is not one of administrator, reviewer, finance, auditor, applicant, analyst",
			role);
	if (!strcmp(role, "applicant")) {
		if (!uscc || !*uscc)
			return qerr_set(
				e, Q_ERR_MISSING_FIELD, "uscc",
				"uscc: an applicant is bound to its firm's USCC");
		return uscc_check(uscc, strlen(uscc), "uscc", e);
	}
	if (uscc && *uscc)
		return qerr_set(e, Q_ERR_INVALID, "uscc",
				"uscc: only an applicant is bound to a USCC");
	return Q_OK;
}

/* A new token, prefix (3 bytes: "qt_" a token, "qs_" a session, "qc_" a
 * CSRF token) and 256 random bits from the kernel's generator in hex,
 * into token (OFFICE_TOKEN_TEXT bytes). */
static int new_token(char *token, const char *prefix, struct qerr *e)
{
	unsigned char raw[32];

	_Static_assert(3 + 2 * sizeof(raw) + 1 == OFFICE_TOKEN_TEXT,
		       "a token is qt_ and 64 hex digits");
	assert(token && prefix && strlen(prefix) == 3);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return qerr_set(e, Q_ERR_IO, "", "no random bytes for a token");
	memcpy(token, prefix, 3);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 3 + 2 * i, 3, "%02x", raw[i]);
	return Q_OK;
}

/* A user's change audited as action by `by`, in one transaction with
 * what write did. */
static int audited(struct office *o, const char *action, const char *name,
		   const char *by, int64_t now, json_t *detail,
		   int (*write)(struct office *o, void *arg, struct qerr *e),
		   void *arg, struct qerr *e)
{
	int rc;

	assert(o && action && name && by && write);
	rc = office_begin(o, e);
	if (rc) {
		json_decref(detail);
		return rc;
	}
	rc = write(o, arg, e);
	if (!rc)
		rc = office_audit(o, action, name, NULL, by, now, detail, e);
	else
		json_decref(detail);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
	return rc;
}

struct add_args {
	const struct store_user *u;
	const char *hash;
};

static int write_add(struct office *o, void *arg, struct qerr *e)
{
	struct add_args *a = arg;

	return store_user_add(o->store, a->u, a->hash, e);
}

/* The expiry of a token issued at now for days (1 to
 * OFFICE_TOKEN_DAYS_MAX). */
static int token_expiry(int64_t now, int days, int64_t *out, struct qerr *e)
{
	if (days < 1 || days > OFFICE_TOKEN_DAYS_MAX)
		return qerr_set(e, Q_ERR_INVALID, "expires",
				"expires: 1 to %d days", OFFICE_TOKEN_DAYS_MAX);
	*out = now + (int64_t)days * 86400;
	return Q_OK;
}

int office_user_add(struct office *o, const struct office_new_user *nu,
		    const char *by, int64_t now, char *token, struct qerr *e)
{
	struct store_user u;
	struct add_args args = {&u, NULL};
	char hash[65], mark[OFFICE_TOKEN_MARK], pmark[OFFICE_TOKEN_MARK];
	int rc;

	assert(o && nu && by && token);
	token[0] = '\0';
	memset(&u, 0, sizeof(u));
	rc = check_user(nu->name, nu->role, nu->uscc, e);
	if (!rc)
		rc = token_expiry(now,
				  nu->token_days ? nu->token_days
						 : OFFICE_TOKEN_DAYS,
				  &u.token_expires_at, e);
	if (!rc)
		rc = new_token(token, "qt_", e);
	if (rc)
		return rc;
	assert(!nu->password_hash ||
	       strlen(nu->password_hash) < sizeof(u.password_hash));
	token_hash(token, strlen(token), hash);
	args.hash = hash;
	snprintf(u.name, sizeof(u.name), "%s", nu->name);
	snprintf(u.role, sizeof(u.role), "%s", nu->role);
	snprintf(u.uscc, sizeof(u.uscc), "%s", nu->uscc ? nu->uscc : "");
	snprintf(u.password_hash, sizeof(u.password_hash), "%s",
		 nu->password_hash ? nu->password_hash : "");
	u.created_at = now;
	office_token_mark(hash, mark);
	office_token_mark(u.password_hash, pmark);
	rc = audited(o, "user-add", nu->name, by, now,
		     json_pack("{s:s,s:s,s:b,s:I,s:s,s:s}", "role", u.role,
			       "uscc", u.uscc, "password",
			       u.password_hash[0] != 0, "token_expires_at",
			       (json_int_t)u.token_expires_at, "token", mark,
			       "password_mark", pmark),
		     write_add, &args, e);
	if (rc)
		token[0] = '\0';
	return rc;
}

static int write_remove(struct office *o, void *arg, struct qerr *e)
{
	return store_user_remove(o->store, arg, e);
}

int office_user_remove(struct office *o, const char *name, const char *by,
		       int64_t now, struct qerr *e)
{
	assert(o && name && by);
	return audited(o, "user-remove", name, by, now, NULL, write_remove,
		       (void *)name, e);
}

int office_user_get(struct office *o, const char *name, struct store_user *out,
		    struct qerr *e)
{
	assert(o && name && out);
	return store_user_get(o->store, name, out, e);
}

/* Rewrite the user u->name as u and end its sessions (a new password, a
 * new role or a switch off ends what was signed in before). */
static int write_update(struct office *o, void *arg, struct qerr *e)
{
	const struct store_user *u = arg;
	int rc = store_user_update(o->store, u, e);

	if (!rc)
		rc = store_sessions_delete_user(o->store, u->name, e);
	return rc;
}

/* The user called name into *u, or Q_ERR_NOT_FOUND. */
static int must_get(struct office *o, const char *name, struct store_user *u,
		    struct qerr *e)
{
	int rc = store_user_get(o->store, name, u, e);

	if (rc == Q_NONE)
		rc = qerr_set(e, Q_ERR_NOT_FOUND, "name", "no user '%.64s'",
			      name);
	return rc;
}

int office_user_password(struct office *o, const char *name,
			 const char *password_hash, const char *by, int64_t now,
			 struct qerr *e)
{
	struct store_user u;
	char mark[OFFICE_TOKEN_MARK];
	int rc;

	assert(o && name && password_hash && by);
	assert(strlen(password_hash) < sizeof(u.password_hash));
	rc = must_get(o, name, &u, e);
	if (rc)
		return rc;
	snprintf(u.password_hash, sizeof(u.password_hash), "%s", password_hash);
	office_token_mark(u.password_hash, mark);
	return audited(o, "user-password", name, by, now,
		       json_pack("{s:s}", "password_mark", mark), write_update,
		       &u, e);
}

int office_user_change(struct office *o, const char *name, const char *role,
		       const char *uscc, int disabled, const char *by,
		       int64_t now, struct qerr *e)
{
	struct store_user u;
	int rc;

	assert(o && name && by);
	rc = must_get(o, name, &u, e);
	if (rc)
		return rc;
	if (role)
		snprintf(u.role, sizeof(u.role), "%s", role);
	if (uscc)
		snprintf(u.uscc, sizeof(u.uscc), "%s", uscc);
	else if (role && strcmp(role, "applicant"))
		u.uscc[0] = '\0'; /* staff hold no firm */
	if (disabled >= 0)
		u.disabled = disabled != 0;
	rc = check_user(u.name, u.role, u.uscc, e);
	if (rc)
		return rc;
	return audited(o, "user-change", name, by, now,
		       json_pack("{s:s,s:s,s:b}", "role", u.role, "uscc",
				 u.uscc, "disabled", u.disabled),
		       write_update, &u, e);
}

struct token_args {
	const char *name;
	const char *hash;
	int64_t expires_at;
};

static int write_token(struct office *o, void *arg, struct qerr *e)
{
	struct token_args *t = arg;

	return store_user_token_set(o->store, t->name, t->hash, t->expires_at,
				    e);
}

int office_user_token(struct office *o, const char *name, int days,
		      const char *by, int64_t now, char *token, struct qerr *e)
{
	struct store_user u;
	struct token_args t = {name, NULL, 0};
	char hash[65], mark[OFFICE_TOKEN_MARK];
	int rc;

	assert(o && name && by && token);
	token[0] = '\0';
	rc = token_expiry(now, days ? days : OFFICE_TOKEN_DAYS, &t.expires_at,
			  e);
	if (!rc)
		rc = must_get(o, name, &u, e);
	if (!rc)
		rc = new_token(token, "qt_", e);
	if (rc)
		return rc;
	token_hash(token, strlen(token), hash);
	t.hash = hash;
	office_token_mark(hash, mark);
	rc = audited(o, "user-token", name, by, now,
		     json_pack("{s:I,s:s}", "token_expires_at",
			       (json_int_t)t.expires_at, "token", mark),
		     write_token, &t, e);
	if (rc)
		token[0] = '\0';
	return rc;
}

int office_user_by_token(struct office *o, const char *token, size_t len,
			 struct store_user *out, struct qerr *e)
{
	char hash[65];

	assert(o && token && out);
	if (len != OFFICE_TOKEN_TEXT - 1 || strncmp(token, "qt_", 3))
		return Q_NONE;
	token_hash(token, len, hash);
	return store_user_by_token(o->store, hash, out, e);
}

/* --- sessions ------------------------------------------------------------------ */

struct open_args {
	const char *hash, *name, *csrf;
	int64_t now, seen_before, created_before;
};

static int write_open(struct office *o, void *arg, struct qerr *e)
{
	struct open_args *a = arg;
	int rc;

	/* Sessions past their time go as new ones come: the table holds
	 * only what may still be used. */
	rc = store_sessions_delete_old(o->store, a->seen_before,
				       a->created_before, e);
	if (!rc)
		rc = store_session_add(o->store, a->hash, a->name, a->csrf,
				       a->now, e);
	return rc;
}

int office_session_open(struct office *o, const char *name,
			const struct office_session_limits *lim,
			const char *address, int64_t now, char *token,
			char *csrf, struct qerr *e)
{
	struct open_args a;
	char hash[65];
	int rc;

	assert(o && name && lim && address && token && csrf);
	assert(lim->idle > 0 && lim->max > 0);
	token[0] = csrf[0] = '\0';
	rc = new_token(token, "qs_", e);
	if (!rc)
		rc = new_token(csrf, "qc_", e);
	if (rc)
		return rc;
	token_hash(token, strlen(token), hash);
	a = (struct open_args){hash,	      name, csrf, now, now - lim->idle,
			       now - lim->max};
	rc = audited(o, "sign-in", name, name, now,
		     json_pack("{s:s}", "address", address), write_open, &a, e);
	if (rc)
		token[0] = csrf[0] = '\0';
	return rc;
}

int office_session_find(struct office *o, const char *token, size_t len,
			const struct office_session_limits *lim, int64_t now,
			struct store_session *out, struct qerr *e)
{
	char hash[65];
	int rc;

	assert(o && token && lim && out);
	if (len != OFFICE_TOKEN_TEXT - 1 || strncmp(token, "qs_", 3))
		return Q_NONE;
	token_hash(token, len, hash);
	rc = store_session_get(o->store, hash, out, e);
	if (rc)
		return rc;
	if (out->seen_at <= now - lim->idle ||
	    out->created_at <= now - lim->max || out->user.disabled)
		return OFFICE_SESSION_EXPIRED;
	/* Marked used at most once a minute: reads stay reads. */
	if (now - out->seen_at >= 60)
		rc = store_session_touch(o->store, hash, now, e);
	return rc;
}

static int write_close(struct office *o, void *arg, struct qerr *e)
{
	int rc = store_session_delete(o->store, arg, e);

	return rc == Q_NONE ? Q_OK : rc;
}

int office_session_close(struct office *o, const char *token, size_t len,
			 const char *name, int64_t now, struct qerr *e)
{
	char hash[65];

	assert(o && token && name);
	if (len != OFFICE_TOKEN_TEXT - 1 || strncmp(token, "qs_", 3))
		return Q_NONE;
	token_hash(token, len, hash);
	return audited(o, "sign-out", name, name, now, NULL, write_close, hash,
		       e);
}

/* store_user_each's visit, without the token's hash. */
static int user_each_one(void *arg, const struct store_user *u,
			 const char *token_hash)
{
	struct {
		int (*fn)(void *arg, const struct store_user *u);
		void *arg;
	} *a = arg;

	return a->fn(a->arg, u);
}

int office_user_each(struct office *o,
		     int (*fn)(void *arg, const struct store_user *u),
		     void *arg, struct qerr *e)
{
	struct each_args {
		int (*fn)(void *arg, const struct store_user *u);
		void *arg;
	} a = {fn, arg};

	assert(o && fn);
	return store_user_each(o->store, user_each_one, &a, e);
}
