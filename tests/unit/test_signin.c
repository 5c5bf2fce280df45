/*
 * test_signin.c - passwords, sessions, token expiry and the sign-in
 * backoff: the hashing parameters production uses, a wrong password, a
 * session's idle and absolute limits, an expired or rotated token, and a
 * backoff table that never grows past its size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pwhash.h"
#include "http/backoff.h"
#include "office/office.h"
#include "testoffice.h"

/* Production hashes with libsodium's interactive limits or stronger. */
static void test_pwhash_defaults(void **state)
{
	struct pwhash_params p = pwhash_defaults(), q;
	struct qerr e;

	(void)state;
	assert_true(p.ops >= crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_true(p.mem >= crypto_pwhash_MEMLIMIT_INTERACTIVE);
	assert_true(p.ops >= 2 && p.mem >= 64u * 1024 * 1024);
	assert_int_equal(pwhash_params_from(NULL, false, &q, &e), 0);
	assert_true(q.ops == p.ops && q.mem == p.mem);
	assert_int_equal(pwhash_params_from("moderate", false, &q, &e), 0);
	assert_true(q.ops >= p.ops && q.mem > p.mem);
	/* The lowered setting: refused in production, by name. */
	assert_int_equal(pwhash_params_from("test", false, &q, &e),
			 Q_ERR_INVALID);
	assert_non_null(strstr(e.msg, "refused outside a test build"));
	assert_true(q.ops == p.ops && q.mem == p.mem);
	assert_int_equal(pwhash_params_from("test", true, &q, &e), 0);
	assert_true(q.mem < p.mem);
	assert_int_equal(pwhash_params_from("fast", true, &q, &e),
			 Q_ERR_INVALID);
	/* This binary is no test build. */
	assert_false(pwhash_test_build());
}

static void test_pwhash_verify(void **state)
{
	struct pwhash_params p = pwhash_defaults();
	char h[PWHASH_TEXT], h2[PWHASH_TEXT];
	struct timespec t0, t1;
	struct qerr e;

	(void)state;
	assert_int_equal(pwhash_init(&e), 0);
	assert_int_equal(pwhash_hash("Secret-pass1", 12, &p, h, &e), 0);
	assert_non_null(strstr(h, "$argon2id$"));
	assert_non_null(strstr(h, "m=65536,t=2"));
	assert_true(pwhash_verify(h, "Secret-pass1", 12));
	assert_false(pwhash_verify(h, "Secret-pass2", 12));
	assert_false(pwhash_verify(h, "Secret-pass", 11));
	assert_false(pwhash_verify("", "Secret-pass1", 12));
	assert_false(pwhash_verify("plain", "plain", 5));
	/* Salted: the same password hashes differently. */
	assert_int_equal(pwhash_hash("Secret-pass1", 12, &p, h2, &e), 0);
	assert_string_not_equal(h, h2);
	/* An unknown user costs a real verification (the dummy is a valid
	 * hash), not a quick "no". */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(pwhash_verify(NULL, "Secret-pass1", 12));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L +
			    (t1.tv_nsec - t0.tv_nsec) >
		    5000000L);
	/* What a password must be. */
	assert_int_equal(pwhash_check("short1", 6, &e), Q_ERR_INVALID);
	assert_int_equal(pwhash_check("onlyletters", 11, &e), Q_ERR_INVALID);
	assert_int_equal(pwhash_check("12345678", 8, &e), Q_ERR_INVALID);
	assert_int_equal(pwhash_check("letters123", 10, &e), 0);
	assert_int_equal(
		pwhash_check("密码是中文的1", strlen("密码是中文的1"), &e), 0);
}

static void test_backoff(void **state)
{
	struct backoff b;
	struct qerr e;
	char key[32];

	(void)state;
	assert_int_equal(backoff_init(&b, 8, &e), 0);
	for (int i = 0; i < BACKOFF_FREE; i++) {
		assert_int_equal(backoff_wait(&b, "a:1.2.3.4", 1000), 0);
		assert_int_equal(backoff_fail(&b, "a:1.2.3.4", 1000), 0);
	}
	/* Then 4 s, 8 s, ... */
	assert_int_equal(backoff_fail(&b, "a:1.2.3.4", 1000), 4);
	assert_int_equal(backoff_wait(&b, "a:1.2.3.4", 1001), 3);
	assert_int_equal(backoff_wait(&b, "a:1.2.3.4", 1004), 0);
	assert_int_equal(backoff_fail(&b, "a:1.2.3.4", 1004), 8);
	for (int i = 0; i < 40; i++)
		assert_true(backoff_fail(&b, "a:1.2.3.4", 2000) <=
			    BACKOFF_MAX_LOCK);
	assert_int_equal(backoff_wait(&b, "a:1.2.3.4", 2000), BACKOFF_MAX_LOCK);
	/* Another key is not slowed. */
	assert_int_equal(backoff_wait(&b, "u:ada", 2000), 0);
	/* A success forgets. */
	backoff_ok(&b, "a:1.2.3.4");
	assert_int_equal(backoff_wait(&b, "a:1.2.3.4", 2000), 0);
	/* A flood of addresses never grows the table past its size. */
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "a:10.0.%d.%d", i / 256, i % 256);
		backoff_fail(&b, key, 3000 + i);
		assert_true(backoff_count(&b) <= 8);
	}
	assert_int_equal(backoff_count(&b), 8);
	backoff_release(&b);
}

struct fx {
	struct testdb tdb;
	struct chip_catalog *chips;
	struct office o;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	testoffice_open(&f->tdb, &f->chips, &f->o, NULL, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	testoffice_close(&f->tdb, f->chips, &f->o);
	free(f);
	return 0;
}

#define T0 1763604000 /* 2025-11-20T10:00:00+08:00 */

static void test_sessions_expire(void **state)
{
	struct fx *f = *state;
	struct office_session_limits lim = {8 * 3600, 24 * 3600};
	struct office_new_user nu = {"rita", "reviewer", NULL, NULL, 0};
	char token[OFFICE_TOKEN_TEXT], st[OFFICE_TOKEN_TEXT],
		csrf[OFFICE_TOKEN_TEXT];
	struct store_session s;
	struct qerr e;

	assert_int_equal(office_user_add(&f->o, &nu, "cli", T0, token, &e), 0);
	assert_int_equal(office_session_open(&f->o, "rita", &lim, "10.0.0.1",
					     T0, st, csrf, &e),
			 0);
	assert_int_equal(strlen(st), OFFICE_TOKEN_TEXT - 1);
	assert_memory_equal(st, "qs_", 3);
	assert_memory_equal(csrf, "qc_", 3);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 60, &s, &e),
			 0);
	assert_string_equal(s.user.name, "rita");
	assert_string_equal(s.csrf, csrf);
	/* Used every 7 hours it lives to its absolute limit, not past. */
	for (int64_t t = T0 + 7 * 3600; t < T0 + 24 * 3600; t += 7 * 3600)
		assert_int_equal(office_session_find(&f->o, st, strlen(st),
						     &lim, t, &s, &e),
				 0);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 24 * 3600, &s, &e),
			 OFFICE_SESSION_EXPIRED);
	/* Unused for 8 hours, a new one ends. */
	assert_int_equal(office_session_open(&f->o, "rita", &lim, "10.0.0.1",
					     T0, st, csrf, &e),
			 0);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 8 * 3600 - 1, &s, &e),
			 0);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 16 * 3600, &s, &e),
			 OFFICE_SESSION_EXPIRED);
	/* Signed out: gone; a made-up token is nobody's. */
	assert_int_equal(office_session_open(&f->o, "rita", &lim, "10.0.0.1",
					     T0, st, csrf, &e),
			 0);
	assert_int_equal(
		office_session_close(&f->o, st, strlen(st), "rita", T0 + 5, &e),
		0);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 6, &s, &e),
			 Q_NONE);
	st[10] ^= 1;
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 6, &s, &e),
			 Q_NONE);
	/* A new password ends every session of the user. */
	assert_int_equal(office_session_open(&f->o, "rita", &lim, "10.0.0.1",
					     T0, st, csrf, &e),
			 0);
	assert_int_equal(office_user_password(&f->o, "rita", "$argon2id$x",
					      "ada", T0 + 1, &e),
			 0);
	assert_int_equal(office_session_find(&f->o, st, strlen(st), &lim,
					     T0 + 2, &s, &e),
			 Q_NONE);
}

static void test_token_expiry_and_rotation(void **state)
{
	struct fx *f = *state;
	struct office_new_user nu = {"bot", "auditor", NULL, NULL, 30};
	char t1[OFFICE_TOKEN_TEXT], t2[OFFICE_TOKEN_TEXT];
	struct store_user u;
	struct qerr e;

	assert_int_equal(office_user_add(&f->o, &nu, "cli", T0, t1, &e), 0);
	assert_int_equal(office_user_by_token(&f->o, t1, strlen(t1), &u, &e),
			 0);
	assert_true(u.token_expires_at == T0 + 30 * 86400);
	assert_false(u.disabled);
	/* The default life is 90 days; at most 3650. */
	nu = (struct office_new_user){"bot2", "auditor", NULL, NULL, 0};
	assert_int_equal(office_user_add(&f->o, &nu, "cli", T0, t2, &e), 0);
	assert_int_equal(office_user_by_token(&f->o, t2, strlen(t2), &u, &e),
			 0);
	assert_true(u.token_expires_at == T0 + 90 * 86400);
	nu = (struct office_new_user){"bot3", "auditor", NULL, NULL, 3651};
	assert_int_equal(office_user_add(&f->o, &nu, "cli", T0, t2, &e),
			 Q_ERR_INVALID);
	/* A duplicate name is a conflict, said in words. */
	nu = (struct office_new_user){"bot", "auditor", NULL, NULL, 0};
	assert_int_equal(office_user_add(&f->o, &nu, "cli", T0, t2, &e),
			 Q_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "'bot' exists already"));
	/* Rotated in place: the old token is nobody's, the new one lives on
	 * from now. */
	assert_int_equal(
		office_user_token(&f->o, "bot", 10, "ada", T0 + 100, t2, &e),
		0);
	assert_string_not_equal(t1, t2);
	assert_int_equal(office_user_by_token(&f->o, t1, strlen(t1), &u, &e),
			 Q_NONE);
	assert_int_equal(office_user_by_token(&f->o, t2, strlen(t2), &u, &e),
			 0);
	assert_true(u.token_expires_at == T0 + 100 + 10 * 86400);
	assert_int_equal(
		office_user_token(&f->o, "nobody", 10, "ada", T0, t2, &e),
		Q_ERR_NOT_FOUND);
	/* Disabled, then on again; a staff role drops the firm. */
	assert_int_equal(
		office_user_change(&f->o, "bot", NULL, NULL, 1, "ada", T0, &e),
		0);
	assert_int_equal(office_user_get(&f->o, "bot", &u, &e), 0);
	assert_true(u.disabled);
	assert_int_equal(office_user_change(&f->o, "bot", "applicant", NULL, 0,
					    "ada", T0, &e),
			 Q_ERR_MISSING_FIELD);
	assert_int_equal(office_user_change(&f->o, "bot", "applicant",
					    "91310115MA1K4ABCDD", 0, "ada", T0,
					    &e),
			 0);
	assert_int_equal(office_user_change(&f->o, "bot", "reviewer", NULL, -1,
					    "ada", T0, &e),
			 0);
	assert_int_equal(office_user_get(&f->o, "bot", &u, &e), 0);
	assert_string_equal(u.role, "reviewer");
	assert_string_equal(u.uscc, "");
	assert_false(u.disabled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pwhash_defaults),
		cmocka_unit_test(test_pwhash_verify),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test_setup_teardown(test_sessions_expire, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_token_expiry_and_rotation,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
