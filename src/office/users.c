/*
 * users.c - the users of the server: their names, roles (and an
 * applicant's firm), and bearer tokens of 256 random bits, shown once and
 * stored only as their SHA-256. Adding and removing a user is audited.
 */
#include "office/office_int.h"

#include <assert.h>
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

/* A new token, "qt_" and 256 random bits from the kernel's generator in
 * hex, into token (OFFICE_TOKEN_TEXT bytes). */
static int new_token(char *token, struct qerr *e)
{
	unsigned char raw[32];

	_Static_assert(3 + 2 * sizeof(raw) + 1 == OFFICE_TOKEN_TEXT,
		       "a token is qt_ and 64 hex digits");
	assert(token);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return qerr_set(e, Q_ERR_IO, "", "no random bytes for a token");
	memcpy(token, "qt_", 3);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 3 + 2 * i, 3, "%02x", raw[i]);
	return Q_OK;
}

int office_user_add(struct office *o, const char *name, const char *role,
		    const char *uscc, const char *by, int64_t now, char *token,
		    struct qerr *e)
{
	struct store_user u;
	char hash[65];
	int rc;

	assert(o && by && token);
	token[0] = '\0';
	rc = check_user(name, role, uscc, e);
	if (!rc)
		rc = new_token(token, e);
	if (rc)
		return rc;
	token_hash(token, strlen(token), hash);
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.role, sizeof(u.role), "%s", role);
	snprintf(u.uscc, sizeof(u.uscc), "%s", uscc ? uscc : "");
	u.created_at = now;
	rc = office_begin(o, e);
	if (!rc)
		rc = store_user_add(o->store, &u, hash, e);
	if (!rc)
		rc = office_audit(
			o, "user-add", name, NULL, by, now,
			json_pack("{s:s,s:s}", "role", role, "uscc", u.uscc),
			e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc) {
		office_rollback(o);
		token[0] = '\0';
	}
	return rc;
}

int office_user_remove(struct office *o, const char *name, const char *by,
		       int64_t now, struct qerr *e)
{
	int rc;

	assert(o && name && by);
	rc = office_begin(o, e);
	if (!rc)
		rc = store_user_remove(o->store, name, e);
	if (!rc)
		rc = office_audit(o, "user-remove", name, NULL, by, now, NULL,
				  e);
	if (!rc)
		rc = office_commit(o, e);
	if (rc)
		office_rollback(o);
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
