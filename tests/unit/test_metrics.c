/*
 * test_metrics.c - the counters of GET /metrics: latency on the bucket
 * boundaries (le is inclusive), cumulative buckets, statuses outside the
 * list as "other", a route out of range counted as the rest, batch sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/metrics.h"

static void name(size_t i, const char **method, const char **path)
{
	static const char *const paths[] = {"/v1/me", "/v1/applications/{id}"};

	*method = "GET";
	*path = paths[i];
}

/* The text metrics_write gives; the caller frees it. */
static char *text_of(struct metrics *m)
{
	char *t = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&t, &n);

	assert_non_null(f);
	metrics_write(m, f, name);
	assert_int_equal(fclose(f), 0);
	return t;
}

static void has(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(text, want)) {
		print_error("missing: %s\n%s", line, text);
		fail();
	}
}

static void test_requests(void **state)
{
	struct metrics m;
	struct qerr e;
	char *t;

	(void)state;
	assert_int_equal(metrics_init(&m, 2, &e), Q_OK);
	metrics_request(&m, 0, 200, 1000);     /* le 0.001: inclusive */
	metrics_request(&m, 0, 200, 1001);     /* le 0.0025 */
	metrics_request(&m, 0, 418, 20000000); /* other, +Inf */
	metrics_request(&m, 1, 404, 0);
	metrics_request(&m, 7, 200, 5); /* no such route: the rest */
	t = text_of(&m);
	has(t,
	    "quan_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"200\"} 2");
	has(t,
	    "quan_http_requests_total{method=\"GET\",route=\"/v1/me\",status=\"other\"} 1");
	has(t,
	    "quan_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/me\",le=\"0.001000\"} 1");
	has(t,
	    "quan_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/me\",le=\"0.002500\"} 2");
	has(t,
	    "quan_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/me\",le=\"10.000000\"} 2");
	has(t,
	    "quan_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/me\",le=\"+Inf\"} 3");
	has(t,
	    "quan_http_request_duration_seconds_sum{method=\"GET\",route=\"/v1/me\"} 20.002001");
	has(t,
	    "quan_http_requests_total{method=\"GET\",route=\"/v1/applications/{id}\",status=\"404\"} 1");
	has(t,
	    "quan_http_requests_total{method=\"any\",route=\"other\",status=\"200\"} 1");
	free(t);
	metrics_release(&m);
}

static void test_writer(void **state)
{
	struct metrics m;
	struct qerr e;
	char *t;

	(void)state;
	assert_int_equal(metrics_init(&m, 0, &e), Q_OK);
	metrics_batch(&m, 1);
	metrics_batch(&m, 3);	/* le 4 */
	metrics_batch(&m, 512); /* le 512 */
	metrics_batch(&m, 513); /* +Inf */
	atomic_store(&m.queued, 5);
	t = text_of(&m);
	has(t, "quan_writer_queue 5");
	has(t, "quan_writer_batch_size_bucket{le=\"1\"} 1");
	has(t, "quan_writer_batch_size_bucket{le=\"2\"} 1");
	has(t, "quan_writer_batch_size_bucket{le=\"4\"} 2");
	has(t, "quan_writer_batch_size_bucket{le=\"512\"} 3");
	has(t, "quan_writer_batch_size_bucket{le=\"+Inf\"} 4");
	has(t, "quan_writer_batch_size_sum 1029");
	has(t, "quan_writer_batch_size_count 4");
	/* Nothing counted for a route: no lines for it. */
	assert_null(strstr(t, "route=\"other\""));
	free(t);
	metrics_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
