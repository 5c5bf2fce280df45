/*
 * test_signin_audit.c - which failed sign-ins are audited: a name's first
 * failure and each lock, never the free failures between; at most
 * SIGNIN_AUDIT_PER_MINUTE a minute, the rest counted and reported by the
 * next one written; and addresses recorded as a kind and a stable mark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "http/backoff.h"
#include "http/signin_audit.h"

/* Drive the real backoff as the server does and count what is audited. */
static void test_first_failure_and_each_lock(void **state)
{
	struct backoff b;
	struct signin_audit a;
	struct qerr e;
	int64_t now = 600000;
	unsigned written = 0;
	uint64_t sup;

	(void)state;
	assert_int_equal(backoff_init(&b, 16, &e), Q_OK);
	signin_audit_init(&a);
	for (int i = 0; i < 8; i++) {
		int64_t wait = backoff_wait(&b, "u:eve", now);
		int64_t lock;

		if (wait) /* locked: refused before the password, not audited */
			now += wait;
		lock = backoff_fail(&b, "u:eve", now);
		if (signin_audit_admit(&a, backoff_fails(&b, "u:eve"), lock,
				       now, &sup)) {
			written++;
			assert_int_equal(sup, 0);
		}
		now += 61; /* a minute apart: the budget is not what limits */
	}
	/* Failure 1 and failures 6, 7, 8 (each a lock): 2..5 are free. */
	assert_int_equal(written, 4);
	assert_int_equal(backoff_fails(&b, "u:eve"), 8);
	backoff_ok(&b, "u:eve");
	assert_int_equal(backoff_fails(&b, "u:eve"), 0);
	signin_audit_release(&a);
	backoff_release(&b);
}

static void test_budget_a_minute(void **state)
{
	struct signin_audit a;
	int64_t now = 6000000; /* the start of a minute */
	unsigned written = 0;
	uint64_t sup = 99;

	(void)state;
	signin_audit_init(&a);
	/* A flood of first failures of different names in one minute. */
	for (int i = 0; i < 100; i++)
		written += signin_audit_admit(&a, 1, 0, now + i % 60, &sup);
	assert_int_equal(written, SIGNIN_AUDIT_PER_MINUTE);
	/* A free failure is neither written nor counted as left out. */
	assert_false(signin_audit_admit(&a, 3, 0, now + 59, &sup));
	/* The next minute: written, saying how many were left out. */
	assert_true(signin_audit_admit(&a, 1, 0, now + 60, &sup));
	assert_int_equal(sup, 100 - SIGNIN_AUDIT_PER_MINUTE);
	assert_true(signin_audit_admit(&a, 1, 0, now + 61, &sup));
	assert_int_equal(sup, 0);
	signin_audit_release(&a);
}

static void test_address_kind_and_mark(void **state)
{
	char m1[SIGNIN_AUDIT_MARK], m2[SIGNIN_AUDIT_MARK];

	(void)state;
	assert_string_equal(signin_audit_address("127.0.0.1", m1), "loopback");
	assert_string_equal(signin_audit_address("::1", m1), "loopback");
	assert_string_equal(signin_audit_address("10.1.2.3", m1), "private");
	assert_string_equal(signin_audit_address("172.20.0.1", m1), "private");
	assert_string_equal(signin_audit_address("172.32.0.1", m1), "public");
	assert_string_equal(signin_audit_address("192.168.9.9", m1), "private");
	assert_string_equal(signin_audit_address("169.254.1.1", m1),
			    "link-local");
	assert_string_equal(signin_audit_address("fe80::1", m1), "link-local");
	assert_string_equal(signin_audit_address("fd00::7", m1), "private");
	assert_string_equal(signin_audit_address("::ffff:10.0.0.1", m1),
			    "private");
	assert_string_equal(signin_audit_address("8.8.8.8", m1), "public");
	assert_string_equal(signin_audit_address("2001:db8::1", m1), "public");
	assert_string_equal(signin_audit_address("not an address", m1),
			    "unknown");
	/* The mark: 16 hex digits, the same for one address, not the address. */
	signin_audit_address("203.0.113.7", m1);
	signin_audit_address("203.0.113.7", m2);
	assert_int_equal(strlen(m1), 16);
	assert_int_equal(strspn(m1, "0123456789abcdef"), 16);
	assert_string_equal(m1, m2);
	signin_audit_address("203.0.113.8", m2);
	assert_string_not_equal(m1, m2);
	assert_null(strstr(m1, "203"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_failure_and_each_lock),
		cmocka_unit_test(test_budget_a_minute),
		cmocka_unit_test(test_address_kind_and_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
