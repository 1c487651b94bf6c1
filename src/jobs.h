/*
 * jobs.h
 *	  Background training: the SQL interface (jobs.c), the dispatcher that
 *	  decides which jobs run (job_dispatch.c) and the worker that trains one
 *	  job (job_worker.c).
 */
#ifndef AUTOML_JOBS_H
#define AUTOML_JOBS_H

#include "postgres.h"

#include "datatype/timestamp.h"

#define JOB_WORKER_TYPE "automl training"
#define JOB_DISPATCHER_TYPE "automl job dispatcher"

/* GUCs */
extern int	automl_max_jobs;
extern int	automl_max_jobs_per_role;
extern int	automl_max_queued_jobs;

/* What a starting backend hands to a worker (bgw_extra). */
typedef struct JobStart
{
	Oid			database;
	Oid			login_role;		/* connects as */
	Oid			role;			/* runs as */
	TransactionId wait_xid;		/* a job's worker: its dispatch is visible once this ends */
} JobStart;

/* job_dispatch.c */

/* Is the worker with this pid and start time still running? */
extern bool job_worker_alive(int pid, TimestampTz started);

/*
 * Mark jobs whose worker is gone as failed, then start workers for queued
 * jobs while slots are free.  In a background worker's own transaction,
 * SPI connected, catalog_begin_write() in effect.
 */
extern void jobs_reap_and_dispatch(void);

/* The same in a transaction of its own (a background worker, outside one). */
extern void jobs_dispatch_now(void);

/* Start a dispatcher worker when this transaction commits. */
extern void jobs_kick_at_commit(void);

/*
 * From a look at the jobs (SPI connected): start a dispatcher when a job is
 * waiting for a slot that is free, or a job's worker is gone, and no
 * dispatcher runs.  Writes nothing in the caller's transaction.
 */
extern void jobs_kick_if_needed(void);

/* Register the worker of a job; false when no worker slot is free. */
extern bool job_start_worker(int64 job_id, Oid login_role, Oid role);

#endif							/* AUTOML_JOBS_H */
