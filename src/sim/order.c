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
	unsigned bits = 0, passes, width;

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
	/* As many passes as 16-bit digits would take, with the bits shared
	 * evenly between them: 151 days of seconds (24 bits) take two
	 * passes of 12 bits, whose 4096 counters and destinations stay in
	 * cache, instead of 16 + 8. */
	while (bits < 64 && (range >> bits))
		bits++;
	passes = (bits + 15) / 16;
	width = (bits + passes - 1) / passes;
	assert(passes >= 1 && width >= 1 && width <= 16);
	tmp = malloc(n * size);
	count = malloc(((size_t)1 << width) * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return Q_ERR_NOMEM;
	}
	dst = tmp;
	for (unsigned pass = 0; pass < passes; pass++) {
		unsigned shift = pass * width;
		uint64_t mask = ((uint64_t)1 << width) - 1;
		size_t sum = 0;

		memset(count, 0, ((size_t)1 << width) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(key_of(src + i * size, at, min) >> shift) &
			      mask]++;
		for (size_t d = 0; d < ((size_t)1 << width); d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t d = (key_of(src + i * size, at, min) >> shift) &
				   mask;

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
