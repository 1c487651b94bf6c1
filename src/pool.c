/*
 * pool.c
 *	  A small pthread pool for the parallel phases of the pure kernels:
 *	  tree growing (histograms, partitions, split search, gradient updates),
 *	  binning, scoring many rows, and the work around the search (data
 *	  fingerprint, leakage check, the sorted columns of the stored profile
 *	  and drift reference).  am_pool_for() runs one such phase on its own.
 *
 * Workers are created by am_pool_start() and joined by am_pool_stop();
 * in between, am_pool_run() hands a phase of numbered tasks to the
 * workers and the main thread, which all take tasks from one atomic
 * counter.  Workers spin for the next phase (phases follow each other
 * within microseconds while a tree grows; the spin is about as long as an
 * OpenMP runtime's default), then sleep on a condition variable.  Either
 * side takes the lock and signals only when the other one sleeps: the
 * counter of sleepers and the generation are written and read in opposite
 * order on the two sides (sequentially consistent), so one of them always
 * sees the other.  Workers call no am_* function: everything they touch was
 * allocated by the main thread before the phase.  The main thread calls no
 * am_* function while workers are alive either, since an error there would
 * jump out and leave them running; kernels stop the pool before checking
 * for interrupts or allocating.
 *
 * Which thread runs a task never changes a result: tasks write to places
 * of their own.
 */
#include "pool.h"

#include <string.h>

#define SPIN_ROUNDS 10000		/* 0.3 to 1 ms of PAUSE before sleeping */

typedef struct WorkerArg
{
	AmPool	   *pool;
	int			thread;
	unsigned	generation;		/* at start: the first phase comes after it */
} WorkerArg;

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

AmPool *
am_pool_create(int n_threads)
{
	AmPool	   *pool = AM_NEW0(AmPool, 1);

	pool->n_threads = n_threads < 1 ? 1 : n_threads;
	pool->workers = AM_NEW0(pthread_t, pool->n_threads);
	pool->worker_args = AM_NEW0(WorkerArg, pool->n_threads);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pthread_cond_init(&pool->done, NULL);
	return pool;
}

int
am_pool_threads(const AmPool *pool)
{
	return pool->running + 1;
}

static void
run_tasks(AmPool *pool, int thread)
{
	for (;;)
	{
		int			t = atomic_fetch_add_explicit(&pool->next_task, 1, memory_order_relaxed);

		if (t >= pool->n_tasks)
			break;
		pool->fn(pool->arg, t, thread);
	}
}

static unsigned
wait_generation(AmPool *pool, unsigned seen)
{
	unsigned	g;

	for (int i = 0; i < SPIN_ROUNDS; i++)
	{
		g = atomic_load_explicit(&pool->generation, memory_order_acquire);
		if (g != seen)
			return g;
		cpu_relax();
	}
	pthread_mutex_lock(&pool->lock);
	atomic_fetch_add(&pool->sleepers, 1);
	while ((g = atomic_load(&pool->generation)) == seen)
		pthread_cond_wait(&pool->wake, &pool->lock);
	atomic_fetch_sub(&pool->sleepers, 1);
	pthread_mutex_unlock(&pool->lock);
	return g;
}

static void *
worker_main(void *p)
{
	AmPool	   *pool = ((WorkerArg *) p)->pool;
	int			thread = ((WorkerArg *) p)->thread;
	unsigned	seen = ((WorkerArg *) p)->generation;

	for (;;)
	{
		seen = wait_generation(pool, seen);
		if (atomic_load_explicit(&pool->quit, memory_order_acquire))
			break;
		run_tasks(pool, thread);
		if (atomic_fetch_sub(&pool->busy, 1) == 1 && atomic_load(&pool->main_sleeping))
		{
			pthread_mutex_lock(&pool->lock);
			pthread_cond_signal(&pool->done);
			pthread_mutex_unlock(&pool->lock);
		}
	}
	return NULL;
}

void
am_pool_start(AmPool *pool)
{
	WorkerArg  *args;

	if (pool == NULL || pool->n_threads <= 1 || pool->running > 0)
		return;
	args = pool->worker_args;
	atomic_store(&pool->quit, false);
	atomic_store(&pool->busy, 0);
	atomic_store(&pool->sleepers, 0);
	atomic_store(&pool->main_sleeping, false);
	for (int t = 1; t < pool->n_threads; t++)
	{
		args[t].pool = pool;
		args[t].thread = t;
		args[t].generation = atomic_load(&pool->generation);
		if (pthread_create(&pool->workers[t - 1], NULL, worker_main, &args[t]) != 0)
			break;				/* fewer threads: still correct */
		pool->running++;
	}
}

static void
wait_workers(AmPool *pool)
{
	for (int i = 0; i < SPIN_ROUNDS; i++)
	{
		if (atomic_load_explicit(&pool->busy, memory_order_acquire) == 0)
			return;
		cpu_relax();
	}
	pthread_mutex_lock(&pool->lock);
	atomic_store(&pool->main_sleeping, true);
	while (atomic_load(&pool->busy) != 0)
		pthread_cond_wait(&pool->done, &pool->lock);
	atomic_store(&pool->main_sleeping, false);
	pthread_mutex_unlock(&pool->lock);
}

static void
wake_workers(AmPool *pool)
{
	atomic_fetch_add(&pool->generation, 1);
	if (atomic_load(&pool->sleepers) > 0)
	{
		pthread_mutex_lock(&pool->lock);
		pthread_cond_broadcast(&pool->wake);
		pthread_mutex_unlock(&pool->lock);
	}
}

void
am_pool_run(AmPool *pool, int n_tasks, AmTaskFn fn, void *arg)
{
	if (n_tasks <= 0)
		return;
	if (pool == NULL || pool->running == 0 || n_tasks == 1)
	{
		for (int t = 0; t < n_tasks; t++)
			fn(arg, t, 0);
		return;
	}
	pool->fn = fn;
	pool->arg = arg;
	pool->n_tasks = n_tasks;
	atomic_store_explicit(&pool->next_task, 0, memory_order_relaxed);
	atomic_store_explicit(&pool->busy, pool->running, memory_order_relaxed);
	wake_workers(pool);
	run_tasks(pool, 0);
	wait_workers(pool);
}

void
am_pool_run_if(AmPool *pool, bool parallel, int n_tasks, AmTaskFn fn, void *arg)
{
	if (parallel)
		am_pool_run(pool, n_tasks, fn, arg);
	else
		for (int t = 0; t < n_tasks; t++)
			fn(arg, t, 0);
}

void
am_pool_stop(AmPool *pool)
{
	if (pool == NULL || pool->running == 0)
		return;
	atomic_store_explicit(&pool->quit, true, memory_order_release);
	wake_workers(pool);
	for (int t = 0; t < pool->running; t++)
		pthread_join(pool->workers[t], NULL);
	pool->running = 0;
}

void
am_pool_free(AmPool *pool)
{
	if (pool == NULL)
		return;
	am_pool_stop(pool);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	pthread_cond_destroy(&pool->done);
	am_free(pool->workers);
	am_free(pool->worker_args);
	am_free(pool);
}

int
am_pool_width(int n_tasks)
{
	int			threads = am_max_threads();

	if (threads > n_tasks)
		threads = n_tasks;
	return threads < 1 ? 1 : threads;
}

/* A slice of a phase: its tasks numbered from first. */
typedef struct Slice
{
	AmTaskFn	fn;
	void	   *arg;
	int			first;
} Slice;

static void
slice_task(void *arg, int task, int thread)
{
	Slice	   *s = arg;

	s->fn(s->arg, s->first + task, thread);
}

void
am_pool_for(int n_threads, int n_tasks, int slice, AmTaskFn fn, void *arg)
{
	AmPool	   *pool = NULL;

	if (slice <= 0)
		slice = n_tasks;
	if (n_threads > 1 && n_tasks > 1)
		pool = am_pool_create(n_threads);
	for (int first = 0; first < n_tasks; first += slice)
	{
		Slice		s = {fn, arg, first};

		/* no worker is alive here, so an error cannot leave one behind */
		am_check_interrupts();
		am_pool_start(pool);
		am_pool_run(pool, n_tasks - first < slice ? n_tasks - first : slice, slice_task, &s);
		am_pool_stop(pool);
	}
	am_pool_free(pool);
}
