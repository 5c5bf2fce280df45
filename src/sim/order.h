/*
 * order.h - a population put in order of receipt in linear time.
 *
 * The simulator takes applications earliest first, ties in the order they
 * came (by_arrival in cmd_simulate.c and simrun.c, qsort on time then
 * number). A sort that is stable and keys on the time alone gives the
 * same order when the elements come in by number, and it does not
 * compare: a radix sort, at most 16 bits of the time at a time (the bits
 * shared evenly between the passes).
 */
#ifndef QUAN_SIM_ORDER_H
#define QUAN_SIM_ORDER_H

#include <stddef.h>
#include <stdint.h>

/* Sort v[0..n), elements of `size` bytes with an int64_t time at byte
 * offset `at`, by that time, stably (equal times keep their order).
 * Q_ERR_NOMEM (v unchanged). */
int sim_sort_by_time(void *v, size_t n, size_t size, size_t at);

#endif
