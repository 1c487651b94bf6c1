/*
 * rng.c
 *	  xoshiro256** seeded through splitmix64 (public-domain algorithms by
 *	  Blackman and Vigna), plus the few distributions the kernels need.
 */
#include "rng.h"

#include <string.h>

#include <math.h>

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
am_rng_seed(AmRng *rng, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

uint64_t
am_rng_next(AmRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
am_rng_uniform(AmRng *rng)
{
	return (double) (am_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t
am_rng_below(AmRng *rng, uint64_t n)
{
	/* Lemire's nearly divisionless method would do; rejection is simpler. */
	uint64_t	limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t	r;

	do
		r = am_rng_next(rng);
	while (r >= limit);
	return r % n;
}

double
am_rng_normal(AmRng *rng)
{
	double		u1,
				u2;

	do
		u1 = am_rng_uniform(rng);
	while (u1 <= 0.0);
	u2 = am_rng_uniform(rng);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void
am_rng_shuffle(AmRng *rng, int *a, int n)
{
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) am_rng_below(rng, (uint64_t) i + 1);
		int			t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

void
am_rng_draw_sorted(AmRng *rng, int n, int m, int32_t *count, int32_t *rows)
{
	int			k = 0;

	memset(count, 0, sizeof(int32_t) * n);
	for (int i = 0; i < m; i++)
		count[am_rng_below(rng, (uint64_t) n)]++;
	for (int r = 0; r < n; r++)
		for (int c = 0; c < count[r]; c++)
			rows[k++] = r;
}

uint64_t
am_seed_derive(uint64_t seed, uint64_t stream)
{
	uint64_t	x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));

	return splitmix64(&x);
}
