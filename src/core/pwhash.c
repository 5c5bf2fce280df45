/*
 * pwhash.c - passwords (pwhash.h).
 */
#include "core/pwhash.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

_Static_assert(PWHASH_TEXT == crypto_pwhash_STRBYTES,
	       "PWHASH_TEXT is libsodium's string size");

int pwhash_init(struct qerr *e)
{
	if (sodium_init() < 0)
		return qerr_set(e, Q_ERR_IO, "", "libsodium cannot start");
	return Q_OK;
}

struct pwhash_params pwhash_defaults(void)
{
	struct pwhash_params p = {crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE};

	return p;
}

bool pwhash_test_build(void)
{
#ifdef QUAN_TEST_BUILD
	return true;
#else
	return false;
#endif
}

int pwhash_params_from(const char *setting, bool test_build,
		       struct pwhash_params *out, struct qerr *e)
{
	assert(out);
	*out = pwhash_defaults();
	if (!setting || !*setting || !strcmp(setting, "interactive"))
		return Q_OK;
	if (!strcmp(setting, "moderate")) {
		out->ops = crypto_pwhash_OPSLIMIT_MODERATE;
		out->mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return Q_OK;
	}
	if (!strcmp(setting, "test")) {
		if (!test_build)
			return qerr_set(
				e, Q_ERR_INVALID, "QUAN_PWHASH",
				"QUAN_PWHASH: 'test' lowers password hashing below libsodium's interactive limits and is refused outside a test build");
		out->ops = crypto_pwhash_OPSLIMIT_MIN;
		out->mem = crypto_pwhash_MEMLIMIT_MIN;
		return Q_OK;
	}
	return qerr_set(e, Q_ERR_INVALID, "QUAN_PWHASH",
			"QUAN_PWHASH: '%.32s' is not interactive or moderate",
			setting);
}

int pwhash_check(const char *pw, size_t len, struct qerr *e)
{
	bool letter = false, digit = false, other = false;

	assert(pw);
	if (len < PWHASH_MIN_LEN)
		return qerr_set(e, Q_ERR_INVALID, "password",
				"password: at least %d characters",
				PWHASH_MIN_LEN);
	if (len > PWHASH_MAX_LEN)
		return qerr_set(e, Q_ERR_INVALID, "password",
				"password: at most %d bytes", PWHASH_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];

		if (c == 0)
			return qerr_set(e, Q_ERR_INVALID, "password",
					"password: no NUL bytes");
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			letter = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			other = true;
	}
	if (letter + digit + other < 2)
		return qerr_set(
			e, Q_ERR_INVALID, "password",
			"password: mix at least two of letters, digits and other characters");
	return Q_OK;
}

int pwhash_hash(const char *pw, size_t len, const struct pwhash_params *p,
		char out[PWHASH_TEXT], struct qerr *e)
{
	assert(pw && p && out);
	assert(len >= PWHASH_MIN_LEN && len <= PWHASH_MAX_LEN);
	if (crypto_pwhash_str(out, pw, len, p->ops, p->mem))
		return qerr_set(e, Q_ERR_NOMEM, "",
				"out of memory hashing a password");
	return Q_OK;
}

bool pwhash_verify(const char *hash, const char *pw, size_t len)
{
	/* argon2id with the interactive limits, of a password nobody has. */
	static const char dummy[] =
		"$argon2id$v=19$m=65536,t=2,p=1$"
		"c29tZXNhbHRzb21lc2FsdA$"
		"m8R0P9nAUJY0hbFAkXhTjQ3MwDTdPpQ7hB2eB0Wv1wQ";
	char h[PWHASH_TEXT] = "";
	int rc;

	assert(pw);
	if (!hash) {
		memcpy(h, dummy, sizeof(dummy));
		rc = crypto_pwhash_str_verify(h, pw, len);
		return rc == 0 && false;
	}
	if (!*hash || strncmp(hash, "$argon2", 7) || strlen(hash) >= sizeof(h))
		return false;
	memcpy(h, hash, strlen(hash));
	rc = crypto_pwhash_str_verify(h, pw, len);
	sodium_memzero(h, sizeof(h));
	return rc == 0;
}
