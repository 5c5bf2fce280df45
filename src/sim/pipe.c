/*
 * pipe.c - state-free work on several threads, ordered work on one
 * (pipe.h).
 */
#include "sim/pipe.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/err.h"

struct run {
	const struct sim_pipe *p;
	unsigned char *mem; /* SIM_PIPE_RING blocks of slots */
	/* ready[r]: the block whose slots ring entry r holds, prepared; or
	 * -1. */
	int64_t ready[SIM_PIPE_RING];
	uint64_t nblocks, next_claim, next_apply;
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *slot_of(const struct run *r, uint64_t i)
{
	uint64_t at = (i / SIM_PIPE_BLOCK) % SIM_PIPE_RING * SIM_PIPE_BLOCK +
		      i % SIM_PIPE_BLOCK;

	return r->mem + at * r->p->slot;
}

static void prep_block(struct run *r, uint64_t b, struct sim_scratch *sr)
{
	uint64_t lo = b * SIM_PIPE_BLOCK, hi = lo + SIM_PIPE_BLOCK;

	if (hi > r->p->n)
		hi = r->p->n;
	/* A block's slots are consecutive in the ring (slot_of). Each batch
	 * is given to prep_block while what prep wrote is still in the
	 * core's cache. */
	for (uint64_t b0 = lo; b0 < hi; b0 += SIM_PIPE_BATCH) {
		uint64_t b1 =
			b0 + SIM_PIPE_BATCH < hi ? b0 + SIM_PIPE_BATCH : hi;

		for (uint64_t i = b0; i < b1; i++)
			r->p->prep(r->p->arg, i, slot_of(r, i), sr);
		if (r->p->prep_block)
			r->p->prep_block(r->p->arg, b0, b1, slot_of(r, b0), sr);
	}
}

/* Under mu: the next block to prepare, when the ring has room for it. */
static bool claim(struct run *r, uint64_t *b)
{
	if (r->stop || r->next_claim >= r->nblocks ||
	    r->next_claim >= r->next_apply + SIM_PIPE_RING)
		return false;
	*b = r->next_claim++;
	return true;
}

/* Under mu: prepare block b (mu released meanwhile) and say so. */
static void prep_claimed(struct run *r, uint64_t b, struct sim_scratch *sr)
{
	pthread_mutex_unlock(&r->mu);
	prep_block(r, b, sr);
	pthread_mutex_lock(&r->mu);
	r->ready[b % SIM_PIPE_RING] = (int64_t)b;
	pthread_cond_broadcast(&r->cv);
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct sim_scratch *sr = malloc(sizeof(*sr));

	pthread_mutex_lock(&r->mu);
	while (sr && !r->stop && r->next_claim < r->nblocks) {
		uint64_t b;

		if (claim(r, &b))
			prep_claimed(r, b, sr);
		else
			pthread_cond_wait(&r->cv, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	free(sr);
	return NULL;
}

int sim_pipe_run(const struct sim_pipe *p)
{
	struct run r = {.p = p};
	pthread_t th[SIM_PIPE_MAX_THREADS];
	int nth = 0, rc = 0;
	struct sim_scratch *sr = malloc(sizeof(*sr));

	assert(p && p->prep && p->apply && p->slot > 0);
	r.nblocks = (p->n + SIM_PIPE_BLOCK - 1) / SIM_PIPE_BLOCK;
	r.mem = malloc((size_t)SIM_PIPE_RING * SIM_PIPE_BLOCK * p->slot);
	if (!r.mem || !sr) {
		free(r.mem);
		free(sr);
		return Q_ERR_NOMEM;
	}
	for (int k = 0; k < SIM_PIPE_RING; k++)
		r.ready[k] = -1;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int t = 1; t < p->threads && t < SIM_PIPE_MAX_THREADS &&
			(uint64_t)t < r.nblocks;
	     t++)
		if (!pthread_create(&th[nth], NULL, worker, &r))
			nth++;
	for (uint64_t b = 0; b < r.nblocks; b++) {
		uint64_t lo = b * SIM_PIPE_BLOCK, hi = lo + SIM_PIPE_BLOCK;

		if (hi > p->n)
			hi = p->n;
		pthread_mutex_lock(&r.mu);
		/* While block b is not ready, help: prepare the next one. */
		while (r.ready[b % SIM_PIPE_RING] != (int64_t)b) {
			uint64_t c;

			if (claim(&r, &c))
				prep_claimed(&r, c, sr);
			else
				pthread_cond_wait(&r.cv, &r.mu);
		}
		pthread_mutex_unlock(&r.mu);
		for (uint64_t i = lo; i < hi; i++) {
			if (p->ahead && i + 2 * SIM_PIPE_AHEAD < hi) {
				/* The head of a slot (written by another
				 * thread), before ahead reads it. */
				const char *x =
					slot_of(&r, i + 2 * SIM_PIPE_AHEAD);

				__builtin_prefetch(x);
				__builtin_prefetch(x + 64);
			}
			if (p->ahead && i + SIM_PIPE_AHEAD < hi)
				p->ahead(p->arg,
					 slot_of(&r, i + SIM_PIPE_AHEAD));
			if (!rc)
				rc = p->apply(p->arg, i, slot_of(&r, i));
			if (p->drop)
				p->drop(p->arg, slot_of(&r, i));
		}
		pthread_mutex_lock(&r.mu);
		r.ready[b % SIM_PIPE_RING] = -1;
		r.next_apply = b + 1;
		r.stop = rc != 0;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		if (rc)
			break;
	}
	for (int t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	/* Blocks prepared ahead of a stop are dropped unapplied. */
	for (int k = 0; p->drop && k < SIM_PIPE_RING; k++) {
		uint64_t lo, hi;

		if (r.ready[k] < 0)
			continue;
		lo = (uint64_t)r.ready[k] * SIM_PIPE_BLOCK;
		hi = lo + SIM_PIPE_BLOCK > p->n ? p->n : lo + SIM_PIPE_BLOCK;
		for (uint64_t i = lo; i < hi; i++)
			p->drop(p->arg, slot_of(&r, i));
	}
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	free(r.mem);
	free(sr);
	return rc;
}

struct range {
	void *arg;
	void (*fn)(void *arg, uint64_t lo, uint64_t hi);
	uint64_t lo, hi;
};

static void *range_run(void *arg)
{
	struct range *r = arg;

	r->fn(r->arg, r->lo, r->hi);
	return NULL;
}

void sim_pipe_for(uint64_t n, int threads, void *arg,
		  void (*fn)(void *arg, uint64_t lo, uint64_t hi))
{
	struct range rg[SIM_PIPE_MAX_THREADS];
	pthread_t th[SIM_PIPE_MAX_THREADS];
	bool started[SIM_PIPE_MAX_THREADS] = {false};
	int t, nt = threads < 1			     ? 1
		    : threads > SIM_PIPE_MAX_THREADS ? SIM_PIPE_MAX_THREADS
						     : threads;

	assert(fn);
	if ((uint64_t)nt > n / SIM_PIPE_BLOCK)
		nt = n / SIM_PIPE_BLOCK ? (int)(n / SIM_PIPE_BLOCK) : 1;
	for (t = 0; t < nt; t++)
		rg[t] = (struct range){
			arg, fn, n / (uint64_t)nt * (uint64_t)t,
			t + 1 == nt ? n : n / (uint64_t)nt * (uint64_t)(t + 1)};
	for (t = 1; t < nt; t++)
		started[t] = !pthread_create(&th[t], NULL, range_run, &rg[t]);
	fn(arg, rg[0].lo, rg[0].hi);
	for (t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			fn(arg, rg[t].lo, rg[t].hi);
	}
}
