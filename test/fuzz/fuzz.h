/*
 * fuzz.h
 *	  Shared pieces of the programs in test/fuzz (fuzz_arena.c): the
 *	  per-input memory arena that stands in for the server's memory
 *	  contexts, and the report of a finding.
 */
#ifndef AUTOML_FUZZ_H
#define AUTOML_FUZZ_H

#include <stddef.h>

/* Free every block allocated through core.h since the last release. */
extern void fuzz_arena_release(void);

/*
 * Most bytes the blocks of one input may hold at once; beyond it the
 * program aborts (a finding: hostile bytes must not buy absurd memory).
 */
extern void fuzz_arena_set_limit(size_t bytes);

/* Bytes held now, and the most held since the last release. */
extern size_t fuzz_arena_live(void);
extern size_t fuzz_arena_peak(void);

/* Report a broken invariant ("fuzz finding: ...") and abort. */
extern void fuzz_fail(const char *fmt,...)
			__attribute__((format(printf, 1, 2), noreturn));

#endif							/* AUTOML_FUZZ_H */
