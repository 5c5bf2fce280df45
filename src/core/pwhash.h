/*
 * pwhash.h - passwords: argon2id through libsodium's crypto_pwhash_str.
 *
 * The stored form is libsodium's string (algorithm, parameters, salt and
 * hash in one), so a hash made with other parameters still verifies.
 * Production hashes with libsodium's interactive limits (ops 2, 64 MiB);
 * only a test build (compiled with -DQUAN_TEST_BUILD) accepts the setting
 * "test" that lowers them, and a production build refuses it by name.
 */
#ifndef QUAN_PWHASH_H
#define QUAN_PWHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define PWHASH_TEXT 128	    /* crypto_pwhash_STRBYTES: the string and its NUL */
#define PWHASH_MIN_LEN 8    /* bytes of the shortest password accepted */
#define PWHASH_MAX_LEN 1024 /* bytes of the longest */

/* The cost of one hash: argon2id passes and memory in bytes. */
struct pwhash_params {
	unsigned long long ops;
	size_t mem;
};

/* Make libsodium ready; idempotent and thread-safe. Q_ERR_IO if it cannot
 * start. */
int pwhash_init(struct qerr *e);

/* The production parameters: libsodium's interactive limits. */
struct pwhash_params pwhash_defaults(void);

/* The parameters a setting names: NULL, "" or "interactive" the defaults,
 * "moderate" libsodium's moderate limits, and "test" its minimum, which
 * only a test build (test_build) takes; anything else, and "test" in
 * production, is Q_ERR_INVALID naming the setting. */
int pwhash_params_from(const char *setting, bool test_build,
		       struct pwhash_params *out, struct qerr *e);

/* Whether this binary was built for tests (-DQUAN_TEST_BUILD). */
bool pwhash_test_build(void);

/* Whether pw (len bytes) is acceptable: PWHASH_MIN_LEN to PWHASH_MAX_LEN
 * bytes with at least two of letters, digits and other characters.
 * Q_ERR_INVALID (field "password") saying what is wrong. */
int pwhash_check(const char *pw, size_t len, struct qerr *e);

/* Hash pw (len bytes, checked by pwhash_check) into out (PWHASH_TEXT
 * bytes). Q_ERR_NOMEM when the memory limit cannot be had. */
int pwhash_hash(const char *pw, size_t len, const struct pwhash_params *p,
		char out[PWHASH_TEXT], struct qerr *e);

/* Whether pw (len bytes) is the password of hash: true only on a match;
 * an empty or malformed hash matches nothing. Constant-time in libsodium.
 * With hash NULL it spends the time of a verification against a dummy, so
 * that an unknown name answers as slowly as a wrong password. */
bool pwhash_verify(const char *hash, const char *pw, size_t len);

#endif
