/*
 * metrics.c - the server's counters, in Prometheus text format
 * (metrics.h).
 */
#include "http/metrics.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const unsigned statuses[] = METRICS_STATUSES;

/* Upper bounds of the latency buckets, microseconds; the last is +Inf. */
static const int64_t lat_le[METRICS_NLAT - 1] = {
	1000,	2500,	5000,	10000,	 25000,	  50000,
	100000, 250000, 500000, 1000000, 2500000, 10000000};

_Static_assert(sizeof(statuses) / sizeof(statuses[0]) == METRICS_NSTATUS - 1,
	       "one status slot for 'other'");

int metrics_init(struct metrics *m, size_t nroutes, struct qerr *e)
{
	assert(m);
	memset(m, 0, sizeof(*m));
	/* calloc's zeroes are valid atomics on every platform we build on */
	m->route = calloc(nroutes + 1, sizeof(*m->route));
	if (!m->route)
		return qerr_set(e, Q_ERR_NOMEM, "", "out of memory");
	m->nroutes = nroutes;
	assert(m->route);
	return Q_OK;
}

void metrics_release(struct metrics *m)
{
	if (!m)
		return;
	free(m->route);
	m->route = NULL;
}

void metrics_request(struct metrics *m, size_t route, unsigned status,
		     int64_t us)
{
	struct metrics_route *r;
	size_t k = 0, si = METRICS_NSTATUS - 1;

	assert(m && m->route);
	if (route > m->nroutes)
		route = m->nroutes;
	r = &m->route[route];
	for (size_t i = 0; i < METRICS_NSTATUS - 1; i++)
		if (statuses[i] == status)
			si = i;
	if (us < 0)
		us = 0;
	while (k < METRICS_NLAT - 1 && us > lat_le[k])
		k++;
	assert(si < METRICS_NSTATUS && k < METRICS_NLAT);
	atomic_fetch_add(&r->status[si], 1);
	atomic_fetch_add(&r->lat[k], 1);
	atomic_fetch_add(&r->lat_sum_us, (unsigned long long)us);
}

void metrics_batch(struct metrics *m, size_t n)
{
	size_t k = 0;

	assert(m && n > 0);
	while (k < METRICS_NBATCH - 1 && n > ((size_t)1 << k))
		k++;
	atomic_fetch_add(&m->batch[k], 1);
	atomic_fetch_add(&m->batch_sum, (unsigned long long)n);
}

/* Microseconds as decimal seconds ("0.025000"), without floating point. */
static void put_seconds(FILE *f, unsigned long long us)
{
	fprintf(f, "%llu.%06llu", us / 1000000, us % 1000000);
}

static void write_route(FILE *f, const struct metrics_route *r,
			const char *method, const char *path)
{
	unsigned long long cum = 0, sum;

	for (size_t i = 0; i < METRICS_NSTATUS; i++) {
		unsigned long n = atomic_load(&r->status[i]);

		if (!n)
			continue;
		fprintf(f,
			"quan_http_requests_total{method=\"%s\",route=\"%s\",status=\"",
			method, path);
		if (i < METRICS_NSTATUS - 1)
			fprintf(f, "%u", statuses[i]);
		else
			fputs("other", f);
		fprintf(f, "\"} %lu\n", n);
	}
	for (size_t k = 0; k < METRICS_NLAT; k++)
		cum += atomic_load(&r->lat[k]);
	if (!cum)
		return;
	cum = 0;
	for (size_t k = 0; k < METRICS_NLAT; k++) {
		cum += atomic_load(&r->lat[k]);
		fprintf(f,
			"quan_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"",
			method, path);
		if (k < METRICS_NLAT - 1)
			put_seconds(f, (unsigned long long)lat_le[k]);
		else
			fputs("+Inf", f);
		fprintf(f, "\"} %llu\n", cum);
	}
	sum = atomic_load(&r->lat_sum_us);
	fprintf(f,
		"quan_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} ",
		method, path);
	put_seconds(f, sum);
	fprintf(f,
		"\nquan_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
		method, path, cum);
}

void metrics_write(struct metrics *m, FILE *f,
		   void (*name)(size_t i, const char **method,
				const char **path))
{
	unsigned long long cum = 0;

	assert(m && m->route && f && name);
	fputs("# HELP quan_http_requests_total Requests answered, by route pattern and status.\n"
	      "# TYPE quan_http_requests_total counter\n"
	      "# HELP quan_http_request_duration_seconds Time from the request line to the answer.\n"
	      "# TYPE quan_http_request_duration_seconds histogram\n",
	      f);
	for (size_t i = 0; i <= m->nroutes; i++) {
		const char *method = "any", *path = "other";

		if (i < m->nroutes)
			name(i, &method, &path);
		write_route(f, &m->route[i], method, path);
	}
	fprintf(f,
		"# HELP quan_writer_queue Requests waiting at the writer.\n"
		"# TYPE quan_writer_queue gauge\n"
		"quan_writer_queue %ld\n"
		"# HELP quan_writer_batch_size Applications per commit.\n"
		"# TYPE quan_writer_batch_size histogram\n",
		atomic_load(&m->queued));
	for (size_t k = 0; k < METRICS_NBATCH; k++) {
		cum += atomic_load(&m->batch[k]);
		if (k < METRICS_NBATCH - 1)
			fprintf(f,
				"quan_writer_batch_size_bucket{le=\"%zu\"} %llu\n",
				(size_t)1 << k, cum);
		else
			fprintf(f,
				"quan_writer_batch_size_bucket{le=\"+Inf\"} %llu\n",
				cum);
	}
	fprintf(f,
		"quan_writer_batch_size_sum %llu\nquan_writer_batch_size_count %llu\n",
		(unsigned long long)atomic_load(&m->batch_sum), cum);
}
