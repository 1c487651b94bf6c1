/*
 * rng.h
 *	  The extension's own seeded random number generator (xoshiro256**),
 *	  so folds, samples and searches are reproducible from a seed and do not
 *	  depend on the C library or on PostgreSQL's random().
 */
#ifndef AUTOML_RNG_H
#define AUTOML_RNG_H

#include <stdint.h>

typedef struct AmRng
{
	uint64_t	s[4];
} AmRng;

extern void am_rng_seed(AmRng *rng, uint64_t seed);
extern uint64_t am_rng_next(AmRng *rng);
/* Uniform double in [0, 1). */
extern double am_rng_uniform(AmRng *rng);
/* Uniform integer in [0, n); n > 0. */
extern uint64_t am_rng_below(AmRng *rng, uint64_t n);
/* Standard normal deviate. */
extern double am_rng_normal(AmRng *rng);
/* Fisher-Yates shuffle of an int array. */
extern void am_rng_shuffle(AmRng *rng, int *a, int n);
/*
 * m draws with replacement from 0 .. n-1 into rows[], in ascending order (a
 * value drawn twice appears twice); count is scratch for n ints.  Allocates
 * nothing, so worker threads may call it.
 */
extern void am_rng_draw_sorted(AmRng *rng, int n, int m, int32_t *count, int32_t *rows);
/* Derive an independent seed for a sub-task (fold, trial, tree ...). */
extern uint64_t am_seed_derive(uint64_t seed, uint64_t stream);

#endif							/* AUTOML_RNG_H */
