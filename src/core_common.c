/*
 * core_common.c
 *	  The parts of the core hooks that are the same inside and outside the
 *	  server: checked array allocation, string copies, the clock and error
 *	  messages.
 */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/*
 * Arrays at least this large are backed by transparent huge pages where the
 * system allows it (automl.huge_pages).  Tree kernels read the binned rows,
 * gradients and margins of a node's rows, scattered over arrays of many
 * megabytes: with 4 kB pages nearly every such row also misses the TLB.
 */
#define HUGE_PAGE_BYTES ((size_t) 2 << 20)
#define HUGE_ARRAY_BYTES (2 * HUGE_PAGE_BYTES)

/*
 * Ask for huge pages over the whole 2 MB pages inside [p, p + size).  Only a
 * hint: pages already touched stay as they are, and an error changes
 * nothing, so it is ignored.
 */
static void
advise_huge_pages(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	uintptr_t	lo = ((uintptr_t) p + HUGE_PAGE_BYTES - 1) & ~(uintptr_t) (HUGE_PAGE_BYTES - 1),
				hi = ((uintptr_t) p + size) & ~(uintptr_t) (HUGE_PAGE_BYTES - 1);

	if (size >= HUGE_ARRAY_BYTES && hi > lo && am_huge_pages())
		(void) madvise((void *) lo, hi - lo, MADV_HUGEPAGE);
#else
	(void) p;
	(void) size;
#endif
}

void *
am_alloc_array(size_t n, size_t elem_size)
{
	size_t		size;
	void	   *p;

	if (elem_size != 0 && n > SIZE_MAX / elem_size)
		return am_alloc(SIZE_MAX);	/* let the allocator report it */
	size = n * elem_size == 0 ? 1 : n * elem_size;
	p = am_alloc(size);
	advise_huge_pages(p, size);
	return p;
}

void *
am_alloc0_array(size_t n, size_t elem_size)
{
	size_t		size;
	void	   *p;

	if (elem_size != 0 && n > SIZE_MAX / elem_size)
		return am_alloc0(SIZE_MAX);
	size = n * elem_size == 0 ? 1 : n * elem_size;
	if (size < HUGE_ARRAY_BYTES)
		return am_alloc0(size);
	/* advised before the zeroing touches the pages */
	p = am_alloc(size);
	advise_huge_pages(p, size);
	memset(p, 0, size);
	return p;
}

char *
am_strndup(const char *s, size_t len)
{
	char	   *r = am_alloc(len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

char *
am_strdup(const char *s)
{
	return am_strndup(s, strlen(s));
}

double
am_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

void
am_err_set(AmErr *err, AmErrKind kind, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
am_err_clear(AmErr *err)
{
	if (err == NULL)
		return;
	err->kind = AM_ERR_NONE;
	err->msg[0] = '\0';
}

/* ---------- radix sort of doubles ---------- */

#define RADIX_BITS 11
#define RADIX_BUCKETS (1 << RADIX_BITS)
#define RADIX_PASSES 6			/* 6 x 11 bits cover the 64 */
#define SMALL_SORT 64

/* The bits of a double as an unsigned key that sorts in the same order. */
static inline uint64_t
double_key(double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	return (u & UINT64_C(0x8000000000000000)) ? ~u : u | UINT64_C(0x8000000000000000);
}

static inline double
key_double(uint64_t u)
{
	double		d;

	u = (u & UINT64_C(0x8000000000000000)) ? u & ~UINT64_C(0x8000000000000000) : ~u;
	memcpy(&d, &u, sizeof(d));
	return d;
}

static void
insertion_sort(double *v, int *idx, size_t n)
{
	for (size_t a = 1; a < n; a++)
	{
		double		x = v[a];
		int			y = idx ? idx[a] : 0;
		size_t		b = a;

		for (; b > 0 && v[b - 1] > x; b--)
		{
			v[b] = v[b - 1];
			if (idx)
				idx[b] = idx[b - 1];
		}
		v[b] = x;
		if (idx)
			idx[b] = y;
	}
}

/*
 * The passes of the radix sort of the keys of v (n > SMALL_SORT) into v,
 * the payload idx carried along when not NULL.  k and k2 are scratch of n
 * keys, i2 of n ints when idx is given; interrupts are checked between
 * passes when asked (never on a worker thread).
 */
static void
radix_sort(double *v, int *idx, size_t n, uint64_t *k, uint64_t *k2, int *i2,
		   bool interruptible)
{
	size_t		count[RADIX_BUCKETS];

	for (size_t a = 0; a < n; a++)
		k[a] = double_key(v[a]);
	for (int pass = 0; pass < RADIX_PASSES; pass++)
	{
		int			shift = pass * RADIX_BITS;
		size_t		sum = 0;

		memset(count, 0, sizeof(size_t) * RADIX_BUCKETS);
		for (size_t a = 0; a < n; a++)
			count[(k[a] >> shift) & (RADIX_BUCKETS - 1)]++;
		if (count[(k[0] >> shift) & (RADIX_BUCKETS - 1)] == n)
			continue;			/* every key has the same digit here */
		for (int b = 0; b < RADIX_BUCKETS; b++)
		{
			size_t		c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t a = 0; a < n; a++)
		{
			size_t		to = count[(k[a] >> shift) & (RADIX_BUCKETS - 1)]++;

			k2[to] = k[a];
			if (idx)
				i2[to] = idx[a];
		}
		{
			uint64_t   *t = k;

			k = k2;
			k2 = t;
		}
		if (idx)
			memcpy(idx, i2, sizeof(int) * n);
		if (interruptible)
			am_check_interrupts();
	}
	for (size_t a = 0; a < n; a++)
		v[a] = key_double(k[a]);
}

void
am_sort_doubles(double *v, int *idx, size_t n)
{
	uint64_t   *k;
	int		   *i2 = NULL;

	if (n <= SMALL_SORT)
	{
		insertion_sort(v, idx, n);
		return;
	}
	k = AM_NEW(uint64_t, 2 * n);
	if (idx)
		i2 = AM_NEW(int, n);
	radix_sort(v, idx, n, k, k + n, i2, true);
	am_free(k);
	if (i2)
		am_free(i2);
}

void
am_sort_doubles_in(double *v, size_t n, uint64_t *scratch)
{
	if (n <= SMALL_SORT)
		insertion_sort(v, NULL, n);
	else
		radix_sort(v, NULL, n, scratch, scratch + n, NULL, false);
}

/* ---------- the deadline of the running fit ---------- */

static double deadline_at = 0.0;

void
am_set_deadline(double at)
{
	deadline_at = at;
}

bool
am_past_deadline(void)
{
	return deadline_at > 0 && am_now() >= deadline_at;
}
