/*
 * order.c - a stable radix sort on a time (order.h).
 */
#include "sim/order.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static uint64_t key_of(const unsigned char *e, size_t at, int64_t min)
{
	int64_t t;

	memcpy(&t, e + at, sizeof(t));
	return (uint64_t)t - (uint64_t)min;
}

/* memcpy, with the sizes the simulator sorts known to the compiler (a
 * call to memmove per element otherwise). */
static inline void copy(unsigned char *d, const unsigned char *s, size_t size)
{
	if (size == 16)
		memcpy(d, s, 16);
	else if (size == 32)
		memcpy(d, s, 32);
	else
		memcpy(d, s, size);
}

int sim_sort_by_time(void *v, size_t n, size_t size, size_t at)
{
	unsigned char *src = v, *dst, *tmp;
	int64_t min = INT64_MAX, max = INT64_MIN;
	size_t *count;
	uint64_t range;

	assert(v || !n);
	assert(at + sizeof(int64_t) <= size);
	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int64_t t;

		memcpy(&t, src + i * size + at, sizeof(t));
		min = t < min ? t : min;
		max = t > max ? t : max;
	}
	range = (uint64_t)max - (uint64_t)min;
	if (!range)
		return 0;
	tmp = malloc(n * size);
	count = malloc((1u << 16) * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return Q_ERR_NOMEM;
	}
	dst = tmp;
	for (unsigned shift = 0; shift < 64 && (range >> shift); shift += 16) {
		size_t sum = 0;

		memset(count, 0, (1u << 16) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(key_of(src + i * size, at, min) >> shift) &
			      0xffff]++;
		for (size_t d = 0; d < (1u << 16); d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t d = (key_of(src + i * size, at, min) >> shift) &
				   0xffff;

			copy(dst + count[d]++ * size, src + i * size, size);
		}
		tmp = src;
		src = dst;
		dst = tmp;
	}
	/* An odd number of passes leaves the result in the buffer. */
	if (src != v) {
		memcpy(v, src, n * size);
		dst = src;
	}
	free(dst);
	free(count);
	return 0;
}
