/*
 * job_dispatch.c
 *	  Which background trainings run: the dispatcher.
 *
 * Only background workers change which jobs run, each in a short transaction
 * of its own: a dispatcher worker that train_async(), cancel() and a look at
 * the jobs (wait(), the jobs view) start, and a job's own worker once its job
 * has ended.  A user's transaction never holds a lock a dispatch waits for,
 * and a job's worker waits only for the transaction that dispatched it.
 *
 * A dispatch first marks the jobs whose worker is gone as failed (killed, a
 * server restart, a worker that never connected), then starts workers for
 * queued jobs while fewer than automl.max_jobs have one: the roles with the
 * fewest running jobs first, then the oldest job.  Dispatches of a database
 * run one at a time under a transaction lock in an advisory lock space that
 * no SQL function reaches (field 4 = 3; pg_advisory_* use 1 and 2), so a
 * role can neither hold the slots nor release them.  A job's worker is known
 * by its pid and start time, read from the backend status table, not by a
 * name the job's own code could change.
 */
#include "automl.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "jobs.h"

PGDLLEXPORT void automl_job_dispatch_main(Datum main_arg);

#define JOB_LOCK_KEY 0x41554D4C	/* 'AUML' */
#define DISPATCH_LOCK_SPACE 3	/* advisory locktag field 4 of the dispatch lock */
#define START_GRACE "10 seconds"	/* a dispatched worker not connected by then failed */

/* Serialize the dispatches of this database until the transaction ends. */
static void
lock_dispatch(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, JOB_LOCK_KEY, 0, DISPATCH_LOCK_SPACE);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

bool
job_worker_alive(int pid, TimestampTz started)
{
	int			n = pgstat_fetch_stat_numbackends();

	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *l = pgstat_fetch_stat_local_beentry(i);

		if (l && l->backendStatus.st_procpid == pid &&
			l->backendStatus.st_proc_start_timestamp == started)
			return true;
	}
	return false;
}

/* Is a dispatcher worker running in this database? */
static bool
dispatcher_running(void)
{
	int			n = pgstat_fetch_stat_numbackends();

	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *l = pgstat_fetch_stat_local_beentry(i);
		const char *type;

		if (l == NULL || l->backendStatus.st_backendType != B_BG_WORKER ||
			l->backendStatus.st_databaseid != MyDatabaseId)
			continue;
		type = GetBackgroundWorkerTypeByPid(l->backendStatus.st_procpid);
		if (type && strcmp(type, JOB_DISPATCHER_TYPE) == 0)
			return true;
	}
	return false;
}

/* A job that holds a worker, or should, and the state of that worker. */
typedef struct ActiveJob
{
	int64		job_id;
	bool		alive;			/* its worker runs (or may still be connecting) */
	bool		started;		/* the worker had claimed the job */
} ActiveJob;

/*
 * The jobs that hold a worker (queued or running, dispatched), with whether
 * that worker is alive.  A worker that has not claimed its job counts as
 * alive for START_GRACE after its dispatch.
 */
static List *
active_jobs(void)
{
	List	   *out = NIL;
	bool		isnull;

	pgstat_clear_backend_activity_snapshot();
	/* not read-only: a snapshot of now, after the dispatch lock was taken */
	if (SPI_execute("SELECT job_id, pid, backend_start, "
					"dispatched_at > pg_catalog.clock_timestamp() - interval '" START_GRACE "' "
					"FROM automl.job_table WHERE state IN ('queued', 'running') "
					"AND dispatched_at IS NOT NULL", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the jobs");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		ActiveJob  *a = palloc(sizeof(ActiveJob));
		Datum		pid;

		a->job_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		pid = SPI_getbinval(tup, td, 2, &isnull);
		a->started = !isnull;
		if (a->started)
			a->alive = job_worker_alive(DatumGetInt32(pid),
										DatumGetTimestampTz(SPI_getbinval(tup, td, 3, &isnull)));
		else
			a->alive = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));
		out = lappend(out, a);
	}
	return out;
}

bool
job_start_worker(int64 job_id, Oid login_role, Oid role)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobStart	start;

	automl_worker_init(&worker, "automl_job_main", JOB_WORKER_TYPE,
					   psprintf("automl training job %lld", (long long) job_id));
	worker.bgw_main_arg = Int64GetDatum(job_id);
	start.database = MyDatabaseId;
	start.login_role = login_role;
	start.role = role;
	start.wait_xid = GetTopTransactionId();
	memcpy(worker.bgw_extra, &start, sizeof(start));
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

void
jobs_reap_and_dispatch(void)
{
	List	   *active;
	ListCell   *lc;
	int			busy = 0;
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	bool		isnull;

	lock_dispatch();
	active = active_jobs();
	foreach(lc, active)
	{
		ActiveJob  *a = lfirst(lc);

		if (a->alive)
		{
			busy++;
			continue;
		}
		values[0] = Int64GetDatum(a->job_id);
		values[1] = CStringGetTextDatum(a->started ?
										"the background worker stopped unexpectedly (killed, or the server restarted)" :
										"the background worker did not start");
		/* a row a user's transaction holds (a cancel) is left to the next dispatch */
		(void) catalog_exec("UPDATE automl.job_table SET state = 'failed', phase = NULL, "
							"finished_at = pg_catalog.clock_timestamp(), error = $2 "
							"WHERE job_id = (SELECT job_id FROM automl.job_table WHERE job_id = $1 "
							"AND state IN ('queued', 'running') FOR UPDATE SKIP LOCKED)",
							2, types, values, NULL, SPI_OK_UPDATE, &isnull);
	}
	/*
	 * One job at a time, each start counted: the roles with the fewest jobs
	 * holding a worker first, then the oldest job; a role that holds
	 * max_jobs - 1 workers (at least one) waits while another role's job
	 * waits, so that no role takes every slot from the others.  A job a
	 * user's transaction holds (a cancel not yet committed) is passed over.
	 */
	for (; busy < automl_max_jobs; busy++)
	{
		Oid			qtypes[1] = {INT4OID};
		Datum		qvalues[1] = {Int32GetDatum(Max(automl_max_jobs - 1, 1))};
		HeapTuple	tup;
		TupleDesc	td;
		int64		job_id;
		Oid			login,
					role;

		(void) catalog_exec("SELECT q.job_id, q.login_role, q.role FROM automl.job_table q "
							"WHERE q.state = 'queued' AND q.dispatched_at IS NULL "
							"AND NOT q.cancel_requested "
							"AND ((SELECT count(*) FROM automl.job_table r WHERE r.role = q.role "
							"      AND r.state IN ('queued', 'running') AND r.dispatched_at IS NOT NULL) < $1 "
							"     OR NOT EXISTS (SELECT FROM automl.job_table o WHERE o.role <> q.role "
							"      AND o.state = 'queued' AND o.dispatched_at IS NULL "
							"      AND NOT o.cancel_requested)) "
							"ORDER BY (SELECT count(*) FROM automl.job_table r WHERE r.role = q.role "
							"          AND r.state IN ('queued', 'running') AND r.dispatched_at IS NOT NULL), "
							"q.job_id LIMIT 1 FOR UPDATE OF q SKIP LOCKED",
							1, qtypes, qvalues, NULL, SPI_OK_SELECT, &isnull);
		if (SPI_processed == 0)
			break;
		tup = SPI_tuptable->vals[0];
		td = SPI_tuptable->tupdesc;
		job_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		login = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
		role = DatumGetObjectId(SPI_getbinval(tup, td, 3, &isnull));
		if (!job_start_worker(job_id, login, role))
		{
			ereport(LOG,
					(errmsg("no background worker is free to start automl job %lld; it stays queued",
							(long long) job_id),
					 errhint("Raise max_worker_processes.")));
			break;
		}
		values[0] = Int64GetDatum(job_id);
		(void) catalog_exec("UPDATE automl.job_table SET dispatched_at = pg_catalog.clock_timestamp() "
							"WHERE job_id = $1", 1, types, values, NULL, SPI_OK_UPDATE, &isnull);
	}
}

/* Start a dispatcher worker now; false when no worker slot is free. */
static bool
jobs_kick(void)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobStart	start;

	automl_worker_init(&worker, "automl_job_dispatch_main", JOB_DISPATCHER_TYPE,
					   "automl job dispatcher");
	memset(&start, 0, sizeof(start));
	start.database = MyDatabaseId;
	memcpy(worker.bgw_extra, &start, sizeof(start));
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

/*
 * A transaction that queued or cancelled jobs starts one dispatcher when it
 * commits, never before: a dispatcher started earlier would wait for the
 * transaction, holding a worker process for as long as the caller keeps it
 * open, and a rolled-back call would leave it behind.
 */
static bool kick_at_commit = false;

static void
jobs_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (kick_at_commit)
			{
				kick_at_commit = false;
				if (!jobs_kick())
					ereport(WARNING,
							(errmsg("no background worker is free to start the automl jobs this transaction queued"),
							 errdetail("They stay queued until another job ends or the next look at automl.jobs."),
							 errhint("Raise max_worker_processes.")));
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			kick_at_commit = false;
			break;
		default:
			break;
	}
}

void
jobs_kick_at_commit(void)
{
	static bool registered = false;

	if (!registered)
	{
		RegisterXactCallback(jobs_xact_callback, NULL);
		registered = true;
	}
	kick_at_commit = true;
}

void
jobs_kick_if_needed(void)
{
	CatalogWriter w;
	bool		needed = false;
	int			busy = 0;
	List	   *active;
	ListCell   *lc;
	bool		isnull;

	if (RecoveryInProgress())
		return;
	/* read as the extension owner: every job counts, not only the caller's */
	catalog_begin_write(&w);
	active = active_jobs();
	foreach(lc, active)
	{
		ActiveJob  *a = lfirst(lc);

		needed |= !a->alive;
		busy += a->alive;
	}
	if (!needed && busy < automl_max_jobs)
		needed = DatumGetBool(catalog_exec("SELECT EXISTS (SELECT FROM automl.job_table "
										   "WHERE state = 'queued' AND dispatched_at IS NULL "
										   "AND NOT cancel_requested)",
										   0, NULL, NULL, NULL, SPI_OK_SELECT, &isnull));
	catalog_end_write(&w);
	if (needed && !dispatcher_running())
		(void) jobs_kick();
}

void
jobs_dispatch_now(void)
{
	CatalogWriter w;

	/* automl.max_jobs as the server's configuration says now */
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	catalog_begin_write(&w);
	jobs_reap_and_dispatch();
	catalog_end_write(&w);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* The dispatcher worker: one dispatch, in its own transaction. */
void
automl_job_dispatch_main(Datum main_arg)
{
	JobStart	start;

	memcpy(&start, MyBgworkerEntry->bgw_extra, sizeof(start));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* it runs no code of any role: the catalog work switches to the extension owner */
	BackgroundWorkerInitializeConnectionByOid(start.database, BOOTSTRAP_SUPERUSERID, 0);
	jobs_dispatch_now();
	proc_exit(0);
}
