/*
 * pool.h
 *	  A small pthread pool for the parallel phases of the pure kernels
 *	  (tree growing, binning, scoring many rows, the work around the search).
 *	  Pure C: core.h, the C library and pthreads only.
 *
 * A pool lives while a kernel runs parallel phases; between am_pool_start
 * and am_pool_stop the main thread calls no am_* function (workers are
 * running or spinning), and tasks call none ever: everything a task touches
 * is allocated by the main thread before the phase, and each task writes to
 * places of its own, so which thread runs a task never changes a result.
 * With one thread nothing is started and tasks run inline.
 */
#ifndef AUTOML_POOL_H
#define AUTOML_POOL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core.h"

typedef void (*AmTaskFn) (void *arg, int task, int thread);

typedef struct AmPool
{
	int			n_threads;		/* wanted, including the main thread */
	int			running;		/* worker threads alive (0 when stopped) */
	pthread_t  *workers;
	void	   *worker_args;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t done;
	atomic_uint generation;
	atomic_int	busy;			/* workers still in the current phase */
	atomic_int	sleepers;		/* workers waiting on wake */
	atomic_bool main_sleeping;	/* the main thread is waiting on done */
	atomic_int	next_task;
	atomic_bool quit;
	int			n_tasks;
	AmTaskFn	fn;
	void	   *arg;
} AmPool;

extern AmPool *am_pool_create(int n_threads);
extern void am_pool_start(AmPool *pool);
extern void am_pool_stop(AmPool *pool);
extern void am_pool_free(AmPool *pool);
/* Run fn(arg, task, thread) for task 0 .. n_tasks-1; returns when done. */
extern void am_pool_run(AmPool *pool, int n_tasks, AmTaskFn fn, void *arg);
/* The same, on the main thread alone unless the phase is worth sharing. */
extern void am_pool_run_if(AmPool *pool, bool parallel, int n_tasks, AmTaskFn fn,
						   void *arg);
extern int	am_pool_threads(const AmPool *pool);

/*
 * One phase on a pool of its own: n_threads threads (numbered 0 ..
 * n_threads-1, to index per-thread scratch) run tasks 0 .. n_tasks-1, in
 * slices of `slice` tasks (all at once when slice <= 0).  Before each slice
 * no worker is alive and interrupts are checked: size slices to well under
 * a second.  Threads cost tens of microseconds to start, so a slice should
 * be milliseconds at least.  am_pool_width() is the thread count for
 * n_tasks tasks under automl.max_threads.
 */
extern int	am_pool_width(int n_tasks);
extern void am_pool_for(int n_threads, int n_tasks, int slice, AmTaskFn fn, void *arg);

#endif							/* AUTOML_POOL_H */
