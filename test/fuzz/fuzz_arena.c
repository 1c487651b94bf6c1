/*
 * fuzz_arena.c
 *	  A memory context for the programs in test/fuzz.  Pure code never frees
 *	  on its error paths and models have no free function: inside the server
 *	  the end of the query frees everything.  The allocator of
 *	  test/unit/core_std.c is wrapped here (linked with ld --wrap=am_alloc
 *	  and friends), every block is recorded, and fuzz_arena_release() frees
 *	  them all, so each fuzz input starts from nothing and leak detection
 *	  stays on for blocks that bypass core.h.  Also fuzz_fail().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fuzz.h"

/* The wrapped functions and their originals (see run.sh for the link). */
extern void *__real_am_alloc(size_t size);
extern void *__real_am_alloc0(size_t size);
extern void *__real_am_realloc(void *ptr, size_t size);
extern void __real_am_free(void *ptr);
extern void *__wrap_am_alloc(size_t size);
extern void *__wrap_am_alloc0(size_t size);
extern void *__wrap_am_realloc(void *ptr, size_t size);
extern void __wrap_am_free(void *ptr);

typedef struct Block
{
	void	   *ptr;			/* NULL: free slot */
	size_t		size;
} Block;

/* Open addressing with linear probing, keyed by address. */
static Block *blocks = NULL;
static size_t cap = 0;			/* slots, a power of two */
static size_t used = 0;
static size_t live = 0;
static size_t peak = 0;
static size_t limit = SIZE_MAX;

static size_t
slot_of(const void *ptr)
{
	uint64_t	h = (uint64_t) (uintptr_t) ptr;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t) h & (cap - 1);
}

static void
insert(void *ptr, size_t size)
{
	size_t		i = slot_of(ptr);

	while (blocks[i].ptr != NULL)
		i = (i + 1) & (cap - 1);
	blocks[i].ptr = ptr;
	blocks[i].size = size;
	used++;
}

static void
grow(void)
{
	Block	   *old = blocks;
	size_t		old_cap = cap;

	cap = cap ? cap * 2 : 4096;
	blocks = calloc(cap, sizeof(Block));
	if (blocks == NULL)
	{
		fuzz_fail("out of memory for the arena's table");
	}
	used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].ptr != NULL)
			insert(old[i].ptr, old[i].size);
	free(old);
}

static void
track(void *ptr, size_t size)
{
	if ((used + 1) * 2 > cap)
		grow();
	insert(ptr, size);
	live += size;
	if (live > peak)
		peak = live;
	if (live > limit)
	{
		fuzz_fail("one input holds %zu bytes, over the limit of %zu", live, limit);
	}
}

/* Forget a block (backward-shift deletion); returns its size, 0 if unknown. */
static size_t
untrack(void *ptr)
{
	size_t		i,
				j,
				size;

	if (ptr == NULL || cap == 0)
		return 0;
	for (i = slot_of(ptr); blocks[i].ptr != ptr; i = (i + 1) & (cap - 1))
		if (blocks[i].ptr == NULL)
			return 0;
	size = blocks[i].size;
	for (j = (i + 1) & (cap - 1); blocks[j].ptr != NULL; j = (j + 1) & (cap - 1))
	{
		size_t		home = slot_of(blocks[j].ptr);

		/* move j back into the hole unless its home lies in (i, j] */
		if (((j - home) & (cap - 1)) >= ((j - i) & (cap - 1)))
		{
			blocks[i] = blocks[j];
			i = j;
		}
	}
	blocks[i].ptr = NULL;
	used--;
	live -= size;
	return size;
}

void *
__wrap_am_alloc(size_t size)
{
	void	   *p = __real_am_alloc(size);

	track(p, size);
	return p;
}

void *
__wrap_am_alloc0(size_t size)
{
	void	   *p = __real_am_alloc0(size);

	track(p, size);
	return p;
}

void *
__wrap_am_realloc(void *ptr, size_t size)
{
	void	   *p;

	untrack(ptr);
	p = __real_am_realloc(ptr, size);
	track(p, size);
	return p;
}

void
__wrap_am_free(void *ptr)
{
	untrack(ptr);
	__real_am_free(ptr);
}

void
fuzz_arena_release(void)
{
	for (size_t i = 0; i < cap; i++)
	{
		if (blocks[i].ptr != NULL)
			__real_am_free(blocks[i].ptr);
		blocks[i].ptr = NULL;
	}
	used = 0;
	live = 0;
	peak = 0;
}

void
fuzz_arena_set_limit(size_t bytes)
{
	limit = bytes;
}

size_t
fuzz_arena_live(void)
{
	return live;
}

size_t
fuzz_arena_peak(void)
{
	return peak;
}

void
fuzz_fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "fuzz finding: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}
