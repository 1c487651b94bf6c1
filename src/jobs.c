/*
 * jobs.c
 *	  Background training: automl.train_async() records a job and, when a
 *	  slot is free, starts a dynamic background worker (no
 *	  shared_preload_libraries needed) that runs the same training as
 *	  automl.train(), committing each finished trial and its progress as it
 *	  goes; automl.cancel(), automl.wait(), and automl.jobs, which also marks
 *	  jobs whose worker died as failed.
 *
 * Rights.  A job runs with exactly the rights of the role that asked for it:
 * its worker connects as that role (as the caller's session user when the
 * role cannot log in), and runs the training as that role inside a
 * security-restricted operation, so that nothing the source query calls can
 * change the role (SET ROLE, RESET ROLE and SET SESSION AUTHORIZATION fail).
 * train_async() refuses to start inside a security-restricted operation
 * (ANALYZE, VACUUM, CREATE INDEX or REFRESH MATERIALIZED VIEW running another
 * role's expressions) and inside a SECURITY DEFINER function: there the role
 * the job would run as is not the caller's.  The source is resolved when the
 * job is created, on the caller's search_path, and read on that search_path.
 *
 * Slots.  At most automl.max_jobs jobs of a database run at once; a job
 * beyond them waits, queued, without a worker process.  A worker holds one
 * of max_jobs session advisory locks while it trains (released when it
 * exits, on any path), and when its job ends starts workers for the oldest
 * queued jobs ("dispatch"); so do train_async() and every look at the jobs
 * (which also revive queued jobs whose worker a restart took).  A role may
 * have automl.max_jobs_per_role jobs queued or running, a database
 * automl.max_queued_jobs.
 */
#include "automl.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "load.h"
#include "model_cache.h"
#include "privileges.h"
#include "train.h"

PG_FUNCTION_INFO_V1(automl_train_async);
PG_FUNCTION_INFO_V1(automl_cancel);
PG_FUNCTION_INFO_V1(automl_wait);
PG_FUNCTION_INFO_V1(automl_jobs);
PG_FUNCTION_INFO_V1(automl_can_see_job);

PGDLLEXPORT void automl_job_main(Datum main_arg);

#define JOB_WORKER_TYPE "automl training"
#define JOB_LOCK_KEY 0x41554D4C	/* 'AUML': advisory lock class of job slots */
#define STOP_CHECK_INTERVAL_MS 500

int			automl_max_jobs = 2;
int			automl_max_jobs_per_role = 4;
int			automl_max_queued_jobs = 32;

/* What the dispatching backend hands to the worker. */
typedef struct JobStart
{
	Oid			database;
	Oid			login_role;		/* connects as */
	Oid			role;			/* runs as */
	TransactionId creator_xid;	/* the dispatch is visible once it commits */
} JobStart;

/* In a worker: the roles it connected and runs as. */
static Oid	job_login_role = InvalidOid;
static Oid	job_role = InvalidOid;

void
JobsInit(void)
{
	DefineCustomIntVariable("automl.max_jobs",
							"Largest number of background trainings running at once in a database.",
							"Further jobs wait, queued, without a worker process.",
							&automl_max_jobs,
							2, 1, 64,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.max_jobs_per_role",
							"Largest number of background trainings one role may have queued or running in a database.",
							NULL,
							&automl_max_jobs_per_role,
							4, 1, 1000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("automl.max_queued_jobs",
							"Largest number of background trainings queued or running in a database.",
							NULL,
							&automl_max_queued_jobs,
							32, 1, 10000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);
}

/* ---------- starting workers ---------- */

/* Can this role open a connection (exists, LOGIN)? */
static bool
role_can_login(Oid role)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return false;
	ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	return ok;
}

/* Register the worker of a job; false when no worker slot is free. */
static bool
start_worker(int64 job_id, Oid login_role, Oid role)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobStart	start;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "automl");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "automl_job_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "automl training job %lld", (long long) job_id);
	snprintf(worker.bgw_type, BGW_MAXLEN, JOB_WORKER_TYPE);
	worker.bgw_main_arg = Int64GetDatum(job_id);
	start.database = MyDatabaseId;
	start.login_role = login_role;
	start.role = role;
	start.creator_xid = GetTopTransactionId();
	memcpy(worker.bgw_extra, &start, sizeof(start));
	worker.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

/*
 * Start workers for the oldest queued jobs while slots are free (SPI
 * connected, catalog_begin_write() in effect).  Jobs whose worker was started
 * and has not ended count as busy.  Returns false when a worker could not be
 * registered (max_worker_processes reached); the job stays queued.
 */
static bool
dispatch_jobs(void)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1];
	bool		isnull;
	int			busy;
	bool		ok = true;
	uint64		n;
	SPITupleTable *tuptable;

	busy = DatumGetInt32(catalog_exec("SELECT count(*)::int4 FROM automl.job_table "
									  "WHERE state IN ('queued', 'running') "
									  "AND dispatched_at IS NOT NULL",
									  0, NULL, NULL, NULL, SPI_OK_SELECT, &isnull));
	if (busy >= automl_max_jobs)
		return true;
	values[0] = Int32GetDatum(automl_max_jobs - busy);
	(void) catalog_exec("SELECT job_id, login_role, role FROM automl.job_table "
						"WHERE state = 'queued' AND dispatched_at IS NULL AND NOT cancel_requested "
						"ORDER BY job_id LIMIT $1 FOR UPDATE SKIP LOCKED",
						1, types, values, NULL, SPI_OK_SELECT, &isnull);
	n = SPI_processed;
	tuptable = SPI_tuptable;
	for (uint64 r = 0; r < n && ok; r++)
	{
		HeapTuple	tup = tuptable->vals[r];
		int64		job_id = DatumGetInt64(SPI_getbinval(tup, tuptable->tupdesc, 1, &isnull));
		Oid			login = DatumGetObjectId(SPI_getbinval(tup, tuptable->tupdesc, 2, &isnull));
		Oid			role = DatumGetObjectId(SPI_getbinval(tup, tuptable->tupdesc, 3, &isnull));
		Oid			utypes[1] = {INT8OID};
		Datum		uvalues[1] = {Int64GetDatum(job_id)};

		ok = start_worker(job_id, login, role);
		if (ok)
			(void) catalog_exec("UPDATE automl.job_table SET dispatched_at = now() "
								"WHERE job_id = $1", 1, utypes, uvalues, NULL, SPI_OK_UPDATE,
								&isnull);
	}
	return ok;
}

/* Refuse where the job would run as a role other than the caller's own. */
static void
refuse_borrowed_role(void)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot start a background training within a security-restricted operation"),
				 errdetail("The operation (such as ANALYZE, VACUUM, CREATE INDEX or REFRESH MATERIALIZED VIEW) "
						   "runs as another role than the one that started it, and a job would outlive it.")));
	if (InLocalUserIdChange())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot start a background training within a security-definer function"),
				 errdetail("The job would run as the function's owner, not as the role that called it."),
				 errhint("Call automl.train() inside the function, or automl.train_async() outside it.")));
}

/* Per-role and per-database limits on queued and running jobs. */
static void
admit_job(Oid role)
{
	Oid			types[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(role)};
	int			mine,
				all;

	if (SPI_execute_with_args("SELECT count(*) FILTER (WHERE role = $1)::int4, count(*)::int4 "
							  "FROM automl.job_table WHERE state IN ('queued', 'running')",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not count the jobs");
	mine = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									   &(bool) {false}));
	all = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
									  &(bool) {false}));
	if (mine >= automl_max_jobs_per_role)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg_plural("role \"%s\" already has %d background training queued or running",
								"role \"%s\" already has %d background trainings queued or running",
								mine, role_name(role), mine),
				 errdetail("automl.max_jobs_per_role is %d.", automl_max_jobs_per_role),
				 errhint("Wait for one to end, or stop one with automl.cancel(job).")));
	if (all >= automl_max_queued_jobs)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg_plural("this database already has %d background training queued or running",
							   "this database already has %d background trainings queued or running",
							   all, all),
				 errdetail("automl.max_queued_jobs is %d.", automl_max_queued_jobs),
				 errhint("Wait for one to end, or stop one with automl.cancel(job).")));
}

static void reap_dead_jobs(void);

/* ---------- starting, cancelling, waiting ---------- */

Datum
automl_train_async(PG_FUNCTION_ARGS)
{
	TrainArgs	args;
	CatalogWriter w;
	int64		job_id;
	bool		exists;
	Oid			types[16] = {TEXTOID, REGROLEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID,
		INT4OID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID, REGROLEOID, REGROLEOID, TEXTOID, TEXTOID,
	TEXTOID};
	Datum		values[16];
	char		nulls[16];
	bool		isnull;
	Oid			role = GetUserId();
	Oid			login;
	char	   *source_query;
	char	   *temp;
	bool		dispatched;

	PreventCommandIfReadOnly("automl.train_async()");
	refuse_borrowed_role();
	train_args_from_call(fcinfo, &args);
	if (!has_model_privilege(args.name, AM_PRIV_TRAIN, &exists) && exists)
		check_model_privilege(args.name, AM_PRIV_TRAIN, "train a new version of");

	/* the worker logs in as the role, or as the session it was asked from */
	login = role_can_login(role) ? role :
		role_can_login(GetSessionUserId()) ? GetSessionUserId() : GetAuthenticatedUserId();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* what the job reads is decided now, as the caller sees it */
	source_query = automl_source_sql(args.source);
	temp = automl_query_temp_relation(source_query);
	if (temp)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a background training cannot read temporary table \"%s\"", temp),
				 errdetail("The job runs in a session of its own, which does not see this session's temporary tables."),
				 errhint("Train with automl.train(), or copy the rows into a permanent table.")));

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(args.name);
	values[1] = ObjectIdGetDatum(role);
	values[2] = CStringGetTextDatum(args.source);
	values[3] = CStringGetTextDatum(args.target);
	values[4] = CStringGetTextDatum(args.task);
	values[5] = args.metric_name ? CStringGetTextDatum(args.metric_name) : (Datum) 0;
	nulls[5] = args.metric_name ? ' ' : 'n';
	values[6] = args.budget ? IntervalPGetDatum(args.budget) : (Datum) 0;
	nulls[6] = args.budget ? ' ' : 'n';
	values[7] = Int32GetDatum(args.max_trials);
	nulls[7] = args.max_trials > 0 ? ' ' : 'n';
	values[8] = PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7);
	nulls[8] = PG_ARGISNULL(7) ? 'n' : ' ';
	values[9] = PG_ARGISNULL(8) ? (Datum) 0 : PG_GETARG_DATUM(8);
	nulls[9] = PG_ARGISNULL(8) ? 'n' : ' ';
	values[10] = DirectFunctionCall1(jsonb_in, CStringGetDatum(args.options_json));
	values[11] = ObjectIdGetDatum(login);
	values[12] = ObjectIdGetDatum(GetSessionUserId());
	values[13] = CStringGetTextDatum(source_query);
	values[14] = CStringGetTextDatum(namespace_search_path);
	values[15] = CStringGetTextDatum("waiting for a free slot");

	catalog_begin_write(&w);
	reap_dead_jobs();
	admit_job(role);
	job_id = DatumGetInt64(catalog_exec("INSERT INTO automl.job_table (name, role, source, target, "
										"task, metric, time_budget, max_trials, algorithms, "
										"exclude, options, login_role, session_role, "
										"source_query, search_path, phase) "
										"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
										"$12, $13, $14, $15, $16) RETURNING job_id",
										16, types, values, nulls, SPI_OK_INSERT_RETURNING,
										&isnull));
	dispatched = dispatch_jobs();
	catalog_end_write(&w);
	SPI_finish();
	if (!dispatched)
		ereport(WARNING,
				(errmsg("no background worker is free to start job %lld; it stays queued", (long long) job_id),
				 errhint("Raise max_worker_processes. A queued job starts when another job ends, or at the next look at automl.jobs.")));
	PG_RETURN_INT64(job_id);
}

typedef struct JobRow
{
	bool		found;
	char	   *name;
	Oid			role;
	char	   *state;
	int			pid;
	bool		mine;			/* inserted by this (uncommitted) transaction */
} JobRow;

/* A job as the caller may see it (RLS applies: run as the caller). */
static JobRow
read_job(int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job_id)};
	JobRow		j = {0};

	if (SPI_execute_with_args("SELECT name, role, state, pid, xmin FROM automl.job_table "
							  "WHERE job_id = $1", 1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read job %lld", (long long) job_id);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		j.found = true;
		j.name = SPI_getvalue(tup, td, 1);
		j.role = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
		j.state = SPI_getvalue(tup, td, 3);
		d = SPI_getbinval(tup, td, 4, &isnull);
		j.pid = isnull ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tup, td, 5, &isnull);
		j.mine = !isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(d));
	}
	return j;
}

static bool
job_ended(const char *state)
{
	return strcmp(state, "finished") == 0 || strcmp(state, "failed") == 0 ||
		strcmp(state, "cancelled") == 0;
}

/* Started the job, is a member of its role, owns its model, or superuser. */
static bool
may_manage_job(const JobRow *j)
{
	bool		exists;

	if (superuser() || has_privs_of_role(GetUserId(), j->role))
		return true;
	return has_model_privilege(j->name, AM_PRIV_OWNER, &exists);
}

Datum
automl_can_see_job(PG_FUNCTION_ARGS)
{
	JobRow		j = {0};

	j.role = PG_GETARG_OID(0);
	j.name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strlen(j.name) >= NAMEDATALEN)
		PG_RETURN_BOOL(superuser());
	PG_RETURN_BOOL(may_manage_job(&j));
}

Datum
automl_cancel(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	bool		keep_best = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	JobRow		j;
	CatalogWriter w;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job_id)};
	bool		isnull;
	const char *result;

	PreventCommandIfReadOnly("automl.cancel()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	j = read_job(job_id);
	if (!j.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job %lld does not exist", (long long) job_id)));
	if (!may_manage_job(&j))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to cancel job %lld", (long long) job_id),
				 errdetail("Only the role that started it, the owner of model \"%s\" and superusers may.",
						   j.name)));
	if (job_ended(j.state))
	{
		ereport(NOTICE,
				(errmsg("job %lld has already ended (%s)", (long long) job_id, j.state)));
		result = pstrdup(j.state);
	}
	else if (keep_best)
	{
		catalog_begin_write(&w);
		(void) catalog_exec("UPDATE automl.job_table SET stop_requested = true WHERE job_id = $1",
							1, types, values, NULL, SPI_OK_UPDATE, &isnull);
		catalog_end_write(&w);
		result = "stopping";
	}
	else
	{
		/* a worker that has not started yet sees the state and never runs */
		catalog_begin_write(&w);
		(void) catalog_exec("UPDATE automl.job_table SET cancel_requested = true, "
							"state = CASE WHEN pid IS NULL THEN 'cancelled' ELSE state END, "
							"finished_at = CASE WHEN pid IS NULL THEN now() ELSE finished_at END "
							"WHERE job_id = $1", 1, types, values, NULL, SPI_OK_UPDATE, &isnull);
		catalog_end_write(&w);
		if (j.pid > 0)
		{
			/* only a live worker of ours gets the signal */
			Datum		pv[1] = {Int32GetDatum(j.pid)};
			Oid			pt[1] = {INT4OID};

			if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_stat_activity "
									  "WHERE pid = $1 AND backend_type = '" JOB_WORKER_TYPE "'",
									  1, pt, pv, NULL, true, 1) == SPI_OK_SELECT &&
				SPI_processed == 1)
				kill(j.pid, SIGINT);
		}
		result = "cancelling";
	}
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/*
 * Jobs whose worker is gone (killed, server restart): a running one is
 * marked failed; a queued one whose worker had started waits for a worker
 * again; a queued one whose worker never connected (its role can no longer
 * log in, say) is marked failed.  Then free slots go to queued jobs.  SPI
 * connected, catalog_begin_write() in effect.
 */
static void
reap_dead_jobs(void)
{
	bool		isnull;
	const char *no_worker = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a "
		"WHERE a.backend_type = '" JOB_WORKER_TYPE "' "
		"AND a.application_name = 'automl job ' || j.job_id)";

	if (XactReadOnly)
		return;
	/* a job's worker names itself "automl job <id>" as soon as it connects */
	(void) catalog_exec(psprintf("UPDATE automl.job_table j SET state = 'failed', finished_at = now(), "
								 "error = CASE WHEN j.pid IS NULL THEN 'the background worker did not start' "
								 "ELSE 'the background worker stopped unexpectedly (killed, or the server restarted)' END "
								 "WHERE (j.state = 'running' OR (j.state = 'queued' AND j.pid IS NULL)) "
								 "AND j.dispatched_at < pg_catalog.now() - interval '10 seconds' AND %s",
								 no_worker),
						0, NULL, NULL, NULL, SPI_OK_UPDATE, &isnull);
	(void) catalog_exec(psprintf("UPDATE automl.job_table j SET dispatched_at = NULL, pid = NULL, "
								 "backend_start = NULL, phase = 'waiting for a free slot' "
								 "WHERE j.state = 'queued' AND j.pid IS NOT NULL AND %s", no_worker),
						0, NULL, NULL, NULL, SPI_OK_UPDATE, &isnull);
	(void) dispatch_jobs();
}

/* reap_dead_jobs() from a function of the jobs' SQL interface. */
static void
look_at_jobs(void)
{
	CatalogWriter w;

	if (XactReadOnly)
		return;
	catalog_begin_write(&w);
	reap_dead_jobs();
	catalog_end_write(&w);
}

Datum
automl_wait(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	Interval   *timeout = PG_ARGISNULL(1) ? NULL : PG_GETARG_INTERVAL_P(1);
	double		limit = timeout ? (double) timeout->time / USECS_PER_SEC +
	(double) timeout->day * SECS_PER_DAY + (double) timeout->month * DAYS_PER_MONTH * SECS_PER_DAY : 3600.0;
	TimestampTz started = GetCurrentTimestamp();
	char	   *state;

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("automl.wait() needs READ COMMITTED isolation to see the job progress")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (;;)
	{
		JobRow		j;

		look_at_jobs();
		j = read_job(job_id);
		if (!j.found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("job %lld does not exist", (long long) job_id)));
		/*
		 * The worker waits for the transaction that created the job to
		 * commit: waiting for it from that transaction could only time out.
		 */
		if (j.mine && !job_ended(j.state))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("job %lld was started by this transaction", (long long) job_id),
					 errdetail("A job starts when the transaction that created it commits."),
					 errhint("Commit, then call automl.wait().")));
		state = j.state;
		if (job_ended(state) ||
			TimestampDifferenceExceeds(started, GetCurrentTimestamp(), (int) (limit * 1000)))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	state = MemoryContextStrdup(TopTransactionContext, state);
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(state));
}

/* The rows of the automl.jobs view, after marking dead jobs failed. */
Datum
automl_jobs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query;

	InitMaterializedSRF(fcinfo, 0);
	per_query = rsinfo->econtext->ecxt_per_query_memory;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	look_at_jobs();
	if (SPI_execute("SELECT job_id, name, role, state, phase, trials_done, best_score, "
					"best_algorithm, "
					"coalesce(finished_at, now()) - started_at AS elapsed, "
					"CASE WHEN state IN ('queued', 'running') AND time_budget IS NOT NULL "
					"     THEN greatest(time_budget - (now() - started_at), interval '0') END "
					"     AS time_budget_left, "
					"version, run_id, error, created_at, started_at, finished_at "
					"FROM automl.job_table ORDER BY job_id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the jobs");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		Datum		values[16];
		bool		nulls[16];
		MemoryContext old = MemoryContextSwitchTo(per_query);

		for (int c = 0; c < 16; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}

/* ---------- what a running job reports (train.h) ---------- */

/*
 * Commit the worker's transaction and start the next.  Non-atomic SPI
 * runs statements under the worker's own active snapshot (there is no
 * portal), which must not outlive its transaction.
 */
static void
job_commit(void)
{
	Oid			user;
	int			sec_context;

	/* transactions begin and end outside the job role's restricted context */
	GetUserIdAndSecContext(&user, &sec_context);
	SetUserIdAndSecContext(job_login_role, 0);
	if (ActiveSnapshotSet())
		PopActiveSnapshot();
	SPI_commit();
	PushActiveSnapshot(GetTransactionSnapshot());
	SetUserIdAndSecContext(user, sec_context);
}

static void
job_update(const TrainHooks *h, const char *sql, int nargs, Oid *types, Datum *values)
{
	CatalogWriter w;
	Oid			all_types[4];
	Datum		all_values[4];
	bool		isnull;

	all_types[0] = INT8OID;
	all_values[0] = Int64GetDatum(h->job_id);
	for (int i = 0; i < nargs; i++)
	{
		all_types[i + 1] = types[i];
		all_values[i + 1] = values[i];
	}
	catalog_begin_write(&w);
	(void) catalog_exec(sql, nargs + 1, all_types, all_values, NULL, SPI_OK_UPDATE, &isnull);
	catalog_end_write(&w);
	job_commit();
}

void
job_set_phase(const TrainHooks *h, const char *phase)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(phase)};

	job_update(h, "UPDATE automl.job_table SET phase = $2 WHERE job_id = $1", 1, types, values);
}

void
job_record_run(const TrainHooks *h, int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(run_id)};

	job_update(h, "UPDATE automl.job_table SET run_id = $2 WHERE job_id = $1", 1, types, values);
}

void
job_trial_done(const TrainHooks *h, const AmTrial *t, const AmTrial *best)
{
	Oid			types[2] = {FLOAT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Float8GetDatum(best ? best->score : 0.0);
	values[1] = CStringGetTextDatum(best ? best->family->name : "");
	/* the trial row was inserted in this transaction: both commit here */
	job_update(h, "UPDATE automl.job_table SET trials_done = trials_done + 1, "
			   "best_score = CASE WHEN $3 = '' THEN best_score ELSE $2 END, "
			   "best_algorithm = nullif($3, '') WHERE job_id = $1", 2, types, values);
}

bool
job_stop_requested(const TrainHooks *h)
{
	static TimestampTz last_check = 0;
	static bool stop = false;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(h->job_id)};
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext old = CurrentMemoryContext;

	if (stop || !TimestampDifferenceExceeds(last_check, now, STOP_CHECK_INTERVAL_MS))
		return stop;
	last_check = now;
	if (SPI_execute_with_args("SELECT stop_requested FROM automl.job_table WHERE job_id = $1",
							  1, types, values, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		bool		isnull;

		stop = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										  &isnull));
	}
	/* called in the middle of the search: keep its memory context */
	MemoryContextSwitchTo(old);
	return stop;
}

/* ---------- the worker ---------- */

static void
finish_job(int64 job_id, const char *state, int32 version, const char *error)
{
	Oid			types[4] = {INT8OID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = "    ";
	CatalogWriter w;
	bool		isnull;

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(state);
	values[2] = Int32GetDatum(version);
	nulls[2] = version > 0 ? ' ' : 'n';
	values[3] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[3] = error ? ' ' : 'n';
	catalog_begin_write(&w);
	(void) catalog_exec("UPDATE automl.job_table SET state = $2, version = $3, error = $4, "
						"phase = NULL, finished_at = now() WHERE job_id = $1",
						4, types, values, nulls, SPI_OK_UPDATE, &isnull);
	(void) catalog_exec("UPDATE automl.runs SET status = 'failed', finished_at = now() "
						"WHERE run_id = (SELECT run_id FROM automl.job_table WHERE job_id = $1) "
						"AND status = 'running'", 1, types, values, NULL, SPI_OK_UPDATE, &isnull);
	/* this job's slot is free once the worker exits: the next job may start */
	(void) dispatch_jobs();
	catalog_end_write(&w);
}

/* Take a free job slot (session advisory lock), waiting while all are busy. */
static void
take_slot(int64 job_id)
{
	for (;;)
	{
		for (int slot = 0; slot < automl_max_jobs; slot++)
		{
			Oid			types[2] = {INT4OID, INT4OID};
			Datum		values[2] = {Int32GetDatum(JOB_LOCK_KEY), Int32GetDatum(slot)};
			bool		isnull;

			if (DatumGetBool(catalog_exec("SELECT pg_catalog.pg_try_advisory_lock($1, $2)", 2,
										  types, values, NULL, SPI_OK_SELECT, &isnull)))
				return;
		}
		job_commit();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	}
}

/*
 * Claim the job for this worker (it may have been cancelled, or its
 * creating transaction rolled back) and read its arguments.  False when
 * there is nothing to run.
 */
static bool
claim_job(int64 job_id, TrainArgs *args)
{
	Oid			types[3] = {INT8OID, INT4OID, TIMESTAMPTZOID};
	Datum		values[3];
	CatalogWriter w;
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;

	values[0] = Int64GetDatum(job_id);
	values[1] = Int32GetDatum(MyProcPid);
	values[2] = TimestampTzGetDatum(MyStartTimestamp);
	catalog_begin_write(&w);
	(void) catalog_exec("UPDATE automl.job_table SET pid = $2, backend_start = $3, "
						"dispatched_at = coalesce(dispatched_at, now()), "
						"phase = 'waiting for a free slot' "
						"WHERE job_id = $1 AND state = 'queued' AND pid IS NULL "
						"AND NOT cancel_requested RETURNING *",
						3, types, values, NULL, SPI_OK_UPDATE_RETURNING, &isnull);
	catalog_end_write(&w);
	if (SPI_processed == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	train_args_from_row(tup, td, SPI_getvalue(tup, td, SPI_fnumber(td, "name")), args);
	/* the job's reading of its source: as its role, on the recorded path */
	args->source_role = DatumGetObjectId(SPI_getbinval(tup, td, SPI_fnumber(td, "role"), &isnull));
	args->session_role = DatumGetObjectId(SPI_getbinval(tup, td, SPI_fnumber(td, "session_role"),
														&isnull));
	if (args->source_role != job_role)
		elog(ERROR, "job %lld runs as another role than its worker was started for",
			 (long long) job_id);
	return true;
}

void
automl_job_main(Datum main_arg)
{
	int64		job_id = DatumGetInt64(main_arg);
	JobStart	start;
	TrainHooks	hooks;
	TrainArgs	args;
	TrainOutcome out;
	MemoryContext job_cxt;

	memcpy(&start, MyBgworkerEntry->bgw_extra, sizeof(start));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* as the job's role itself when it may log in (train_async chose) */
	BackgroundWorkerInitializeConnectionByOid(start.database, start.login_role, 0);
	pgstat_report_appname(psprintf("automl job %lld", (long long) job_id));
	job_cxt = AllocSetContextCreate(TopMemoryContext, "automl job", ALLOCSET_DEFAULT_SIZES);
	job_login_role = start.login_role;
	job_role = start.role;

	/* the dispatch (and the job row) become visible when it commits */
	StartTransactionCommand();
	XactLockTableWait(start.creator_xid, NULL, NULL, XLTW_None);
	CommitTransactionCommand();

	PG_TRY();
	{
		CatalogWriter w;
		Oid			types[1] = {INT8OID};
		Datum		values[1] = {Int64GetDatum(job_id)};
		bool		isnull;

		StartTransactionCommand();
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		MemoryContextSwitchTo(job_cxt);
		if (!claim_job(job_id, &args))
		{
			/* cancelled before it started, or its transaction rolled back */
			SPI_finish();
			PopActiveSnapshot();
			CommitTransactionCommand();
			proc_exit(0);
		}
		job_commit();

		take_slot(job_id);
		catalog_begin_write(&w);
		(void) catalog_exec("UPDATE automl.job_table SET state = 'running', phase = 'starting', "
							"started_at = now() WHERE job_id = $1",
							1, types, values, NULL, SPI_OK_UPDATE, &isnull);
		catalog_end_write(&w);
		job_commit();

		/*
		 * From here on, as the job's role in a security-restricted operation:
		 * nothing the source calls can take another role, whatever role the
		 * worker logged in as.
		 */
		SetUserIdAndSecContext(job_role, SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		hooks.job_id = job_id;
		train_run(&args, "train", 0, &out, &hooks);
		SetUserIdAndSecContext(job_login_role, 0);
		finish_job(job_id, "finished", out.version, NULL);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		const char *state;

		MemoryContextSwitchTo(job_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		if (edata->sqlerrcode != ERRCODE_QUERY_CANCELED)
		{
			edata->elevel = LOG;
			ThrowErrorData(edata);
		}
		AbortCurrentTransaction();
		SetUserIdAndSecContext(job_login_role, 0);
		state = edata->sqlerrcode == ERRCODE_QUERY_CANCELED ? "cancelled" : "failed";
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		finish_job(job_id, state, 0,
				   edata->sqlerrcode == ERRCODE_QUERY_CANCELED ? NULL : edata->message);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_END_TRY();
	proc_exit(0);
}
