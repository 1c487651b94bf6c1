/*
 * core_std.c
 *	  The core.h hooks for programs outside the server (unit tests,
 *	  benchmarks, fuzzers): the C library allocator, no interrupts, no
 *	  scopes, no memory budget.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* every allocation counts here: a test checks that scoring a row makes none */
size_t		am_test_allocations = 0;

static void
out_of_memory(size_t size)
{
	fprintf(stderr, "out of memory allocating %zu bytes\n", size);
	abort();
}

void *
am_alloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	am_test_allocations++;
	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
am_alloc0(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	am_test_allocations++;
	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
am_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	am_test_allocations++;
	if (p == NULL)
		out_of_memory(size);
	return p;
}

void
am_free(void *ptr)
{
	free(ptr);
}

void
am_check_interrupts(void)
{
}

int			am_test_threads = 1;

int
am_max_threads(void)
{
	return am_test_threads;
}

/* on unless AM_HUGE_PAGES=0 (benchmarks compare both) */
bool
am_huge_pages(void)
{
	const char *v = getenv("AM_HUGE_PAGES");

	return v == NULL || strcmp(v, "0") != 0;
}

size_t		am_test_memory_limit = 0;	/* 0: no limit */

void
am_memory_reserve(size_t bytes, const char *what)
{
	if (am_test_memory_limit && bytes > am_test_memory_limit)
	{
		fprintf(stderr, "memory budget exceeded by %s (%zu bytes)\n", what, bytes);
		abort();
	}
}

size_t
am_memory_available(void)
{
	return am_test_memory_limit ? am_test_memory_limit : SIZE_MAX;
}

void *
am_guarded(AmGuardedFn fn, void *arg, AmErr *err)
{
	return fn(arg, err);
}

void *
am_scope_begin(void)
{
	return NULL;
}

void
am_scope_end(void *scope)
{
	(void) scope;
}
