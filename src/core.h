/*
 * core.h
 *	  Allocation, interrupt, clock and error-message hooks for the pure code.
 *
 * The numeric kernels (linear models, trees, boosting, metrics, search ...)
 * include only this header and the C library, never postgres.h.  Inside the
 * server the hooks map to palloc in CurrentMemoryContext and
 * CHECK_FOR_INTERRUPTS() (core_pg.c); in unit tests, fuzzers and benchmarks
 * they map to the C library (test/unit/core_std.c).  Pure code therefore
 * never frees what it allocates on an error path: the caller's memory context
 * (or the test program's exit) takes care of it.
 *
 * None of these hooks may be called from a worker thread: palloc and
 * interrupt processing are not thread safe.  Threaded kernels allocate their
 * scratch space on the main thread before starting workers.
 */
#ifndef AUTOML_CORE_H
#define AUTOML_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Memory: errors out (server) or aborts (tests) instead of returning NULL. */
extern void *am_alloc(size_t size);
extern void *am_alloc0(size_t size);
extern void *am_realloc(void *ptr, size_t size);
extern void am_free(void *ptr);
extern void am_check_interrupts(void);

/* Maximum worker threads a kernel may use (automl.max_threads in the server). */
extern int	am_max_threads(void);

/* Whether large arrays may ask for transparent huge pages (automl.huge_pages). */
extern bool am_huge_pages(void);

/*
 * Called before a large allocation: errors out (server) when the bytes would
 * take the training over automl.memory_limit.  "what" names the structure.
 */
extern void am_memory_reserve(size_t bytes, const char *what);
/* Bytes left under the limit (SIZE_MAX when there is none). */
extern size_t am_memory_available(void);

/* Allocation of n elements of a given size, checking the multiplication. */
extern void *am_alloc_array(size_t n, size_t elem_size);
extern void *am_alloc0_array(size_t n, size_t elem_size);
extern char *am_strdup(const char *s);
extern char *am_strndup(const char *s, size_t len);

#define AM_NEW(type, n)		((type *) am_alloc_array((n), sizeof(type)))
#define AM_NEW0(type, n)	((type *) am_alloc0_array((n), sizeof(type)))

/*
 * Scratch that usually fits a buffer on the caller's stack: the buffer when
 * it holds n elements, else an allocation; am_scratch_release() frees only
 * the latter.  Scoring one row (automl.predict) then allocates nothing.
 */
static inline void *
am_scratch(void *stack, size_t stack_bytes, size_t n, size_t elem_size)
{
	return n <= stack_bytes / elem_size ? stack : am_alloc_array(n, elem_size);
}

static inline void
am_scratch_release(void *p, const void *stack)
{
	if (p != stack)
		am_free(p);
}

/*
 * Scratch scopes: everything allocated between am_scope_begin() and the
 * matching am_scope_end() is released by it (a child memory context in the
 * server; nothing in tests).  Used around each trial and fold.
 */
extern void *am_scope_begin(void);
extern void am_scope_end(void *scope);

/*
 * Sort n doubles ascending (no NaN), carrying an int payload along when idx
 * is not NULL: an LSD radix sort, linear in n, for the column-sized sorts of
 * profiles, drift references and leakage checks.
 */
extern void am_sort_doubles(double *v, int *idx, size_t n);
/*
 * The same without a payload, in the caller's scratch of 2 * n keys: no
 * allocation and no interrupt check, so a pool task may call it.
 */
extern void am_sort_doubles_in(double *v, size_t n, uint64_t *scratch);

/*
 * A deadline for the fit running now (am_now() seconds; 0: none), set by the
 * search around a trial: iterative fits (epochs, boosting rounds, trees)
 * check it between steps and give up with AM_ERR_DEADLINE, so a trial does
 * not run far past the time budget.  Refits run without one.
 */
extern void am_set_deadline(double at);
extern bool am_past_deadline(void);

/* Monotonic clock in seconds. */
extern double am_now(void);

/*
 * Error messages from pure code: a kernel that cannot do its job returns a
 * failure value and fills an AmErr, in the style of liblinear's
 * check_parameter().  The SQL layer turns it into an ereport().
 */
#define AM_ERR_LEN 256

typedef enum AmErrKind
{
	AM_ERR_NONE = 0,
	AM_ERR_PARAM,				/* invalid hyperparameter or option */
	AM_ERR_DATA,				/* data cannot be used (e.g. one class) */
	AM_ERR_NUMERIC,				/* solver failed (singular, diverged) */
	AM_ERR_CORRUPT,				/* serialized bytes failed a check */
	AM_ERR_DEADLINE,			/* the fit gave up at am_set_deadline()'s time */
	AM_ERR_LIMIT				/* size limit exceeded */
} AmErrKind;

typedef struct AmErr
{
	AmErrKind	kind;
	char		msg[AM_ERR_LEN];
} AmErr;

/*
 * Run fn(arg).  Inside the server an error raised underneath that concerns
 * resources only (automl.memory_limit, out of memory) is caught: fn's
 * result is NULL and err says why, so one trial that does not fit fails
 * alone.  Every other error (cancel, timeout, ...) propagates.  Outside the
 * server it simply calls fn.
 */
typedef void *(*AmGuardedFn) (void *arg, AmErr *err);
extern void *am_guarded(AmGuardedFn fn, void *arg, AmErr *err);

extern void am_err_set(AmErr *err, AmErrKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern void am_err_clear(AmErr *err);

#define AM_UNUSED(x) ((void) (x))

#endif							/* AUTOML_CORE_H */
