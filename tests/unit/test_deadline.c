/*
 * test_deadline.c - the header deadline: a connection late with its
 * headers is shut down (its peer reads end of file), one whose headers
 * came in time is not, one armed again after an answer is due again, and
 * a closed one is forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/deadline.h"

/* Whether the peer of a socket pair sees it shut down (EOF) by now. */
static int peer_eof(int peer)
{
	char b;
	ssize_t n = recv(peer, &b, 1, MSG_DONTWAIT);

	return n == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void test_late_is_cut(void **state)
{
	struct deadline d = {0};
	struct qerr e;
	int late[2], met[2], again[2];
	struct deadline_conn *cl, *cm, *ca;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, late), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, met), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, again), 0);
	assert_int_equal(deadline_start(&d, 1, &e), Q_OK);
	cl = deadline_open(&d, late[0]);
	cm = deadline_open(&d, met[0]);
	ca = deadline_open(&d, again[0]);
	assert_non_null(cl);
	assert_non_null(cm);
	assert_non_null(ca);
	deadline_met(&d, cm);
	deadline_met(&d, ca);
	sleep_ms(600);
	deadline_rearm(&d, ca); /* answered: its next request is due in 1 s */
	sleep_ms(900);
	/* 1.5 s: the late one is cut; the other two are not (yet). */
	assert_true(peer_eof(late[1]));
	assert_false(peer_eof(met[1]));
	assert_false(peer_eof(again[1]));
	assert_int_equal(deadline_cut(&d), 1);
	sleep_ms(900);
	/* 2.4 s: the one armed again at 0.6 s is now late too. */
	assert_true(peer_eof(again[1]));
	assert_false(peer_eof(met[1]));
	assert_int_equal(deadline_cut(&d), 2);
	deadline_close(&d, cl);
	deadline_close(&d, cm);
	deadline_close(&d, ca);
	deadline_close(&d, NULL);
	deadline_stop(&d);
	for (int i = 0; i < 2; i++) {
		close(late[i]);
		close(met[i]);
		close(again[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
