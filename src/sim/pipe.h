/*
 * pipe.h - a simulation's work split in two: the state-free part of each
 * application (making it, its facts, its screens: sim_prepare) on up to
 * `threads` threads, in blocks, ahead of the order-dependent part
 * (sim_apply_prepared), which runs on the calling thread, once per
 * application, in arrival order, exactly as a run on one thread
 * (docs/simulate.md, "Performance").
 *
 * Each item has a slot of `slot` bytes, filled by prep and read by
 * apply. The slots live in a ring of a few blocks, so the memory is
 * fixed whatever n is. Ownership: the pipe owns its ring; what prep puts
 * in a slot is released by drop.
 */
#ifndef QUAN_SIM_PIPE_H
#define QUAN_SIM_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#define SIM_PIPE_BLOCK 256 /* items a thread prepares at a time */
#define SIM_PIPE_RING 8	   /* blocks prepared ahead, at most */
#define SIM_PIPE_MAX_THREADS 64
#define SIM_PIPE_AHEAD 8  /* items: how far ahead `ahead` is called */
#define SIM_PIPE_BATCH 64 /* items prep_block takes at a time */

struct sim_pipe {
	uint64_t n;  /* items, 0..n) */
	size_t slot; /* bytes of one item's slot */
	int threads; /* 1 (or less): everything on the calling thread */
	void *arg;
	/* State-free: fill item i's slot. Any thread, any order; sr is the
	 * thread's own scratch for sim_prepare. */
	void (*prep)(void *arg, uint64_t i, void *slot, struct sim_scratch *sr);
	/* On the calling thread, i ascending: nonzero ends the run (the
	 * items after it are dropped without being applied). */
	int (*apply)(void *arg, uint64_t i, void *slot);
	/* Release what prep put in a slot (may be NULL): after its apply,
	 * or instead of it when the run ended before. */
	void (*drop)(void *arg, void *slot);
	/* May be NULL: a hint, SIM_PIPE_AHEAD items before slot's apply
	 * (in the same block), on the calling thread. */
	void (*ahead)(void *arg, void *slot);
	/* May be NULL: after prep has filled items lo..hi) (a batch within
	 * a block, at most SIM_PIPE_BATCH), on the same thread, with the
	 * same scratch:
	 * first is item lo's slot, and item i's is `slot` bytes after item
	 * i - 1's. For work over the block (sim_decide_ahead). */
	void (*prep_block)(void *arg, uint64_t lo, uint64_t hi, void *first,
			   struct sim_scratch *sr);
};

_Static_assert(SIM_PIPE_BLOCK <= SIM_DECIDE_MAX,
	       "a block of the pipe is decided ahead in one call");

/* Run p. Returns 0, apply's nonzero code, or Q_ERR_NOMEM (nothing
 * applied). A thread that cannot be started leaves its share to the
 * others; the result is the same with any number of threads. */
int sim_pipe_run(const struct sim_pipe *p);

/* fn(arg, lo, hi) over [0, n) cut into `threads` ranges, one per thread
 * (the calling thread takes the first): for state-free work whose items
 * are written apart (each range its own). A thread that cannot be
 * started leaves its range to the calling thread. */
void sim_pipe_for(uint64_t n, int threads, void *arg,
		  void (*fn)(void *arg, uint64_t lo, uint64_t hi));

#endif
