/*
 * jobs.c
 *	  Background training, the SQL interface: automl.train_async() records a
 *	  job, automl.cancel() and automl.wait() act on it, and automl.jobs shows
 *	  the jobs the caller may see.  Which jobs run is decided by the
 *	  dispatcher (job_dispatch.c), which these functions start; each job
 *	  trains in a worker of its own (job_worker.c).
 *
 * Rights.  A job runs with exactly the rights of the role that asked for it:
 * its worker logs in as that role (as the caller's session user when the
 * role cannot log in) and trains as the role inside a security-restricted
 * operation.  train_async() refuses to start inside a security-restricted
 * operation (ANALYZE, VACUUM, CREATE INDEX or REFRESH MATERIALIZED VIEW
 * running another role's expressions) and inside a SECURITY DEFINER
 * function: there the current role is not the caller's own.  The source is
 * resolved when the job is created, on the caller's search_path, and read on
 * that search_path; a source reading a temporary table is refused.
 *
 * Limits.  A role may have automl.max_jobs_per_role jobs queued or running,
 * a database automl.max_queued_jobs; automl.max_jobs run at once, and a
 * queued job holds no worker process.  None of these functions writes a job
 * row but the caller's own request (the new job, a cancel), so a caller's
 * open transaction never holds up another role's job.
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
#include "storage/latch.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "jobs.h"
#include "load.h"
#include "privileges.h"
#include "train.h"

#define JOB_ADMIT_LOCK_KEY 0x41554D4A	/* 'AUMJ': one lock per role */

PG_FUNCTION_INFO_V1(automl_train_async);
PG_FUNCTION_INFO_V1(automl_cancel);
PG_FUNCTION_INFO_V1(automl_wait);
PG_FUNCTION_INFO_V1(automl_jobs);
PG_FUNCTION_INFO_V1(automl_can_see_job);

int			automl_max_jobs = 2;
int			automl_max_jobs_per_role = 4;
int			automl_max_queued_jobs = 32;

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

/*
 * Per-role and per-database limits on queued and running jobs.  A role's
 * admissions queue behind each other until their transactions end (a
 * transaction lock in the extension's own advisory lock space, which no SQL
 * function reaches), so racing calls of one role cannot overshoot its limit;
 * other roles are not held up.
 */
static void
admit_job(Oid role)
{
	Oid			types[1] = {REGROLEOID};
	Datum		values[1] = {ObjectIdGetDatum(role)};
	int			mine,
				all;
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, JOB_ADMIT_LOCK_KEY, role, 3);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

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

/* ---------- starting, cancelling, waiting ---------- */

Datum
automl_train_async(PG_FUNCTION_ARGS)
{
	TrainArgs	args;
	CatalogWriter w;
	int64		job_id;
	bool		exists;
	Oid			types[17] = {TEXTOID, REGROLEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID,
		INT4OID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID, REGROLEOID, REGROLEOID, TEXTOID, TEXTOID,
	TEXTOID, REGCLASSOID};
	Datum		values[17];
	char		nulls[17];
	bool		isnull;
	Oid			role = GetUserId();
	Oid			login;
	char	   *source_query;
	Oid			relation;
	char	   *temp;

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
	source_query = automl_source_sql_rel(args.source, &relation);
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
	values[16] = ObjectIdGetDatum(relation);
	nulls[16] = OidIsValid(relation) ? ' ' : 'n';

	catalog_begin_write(&w);
	admit_job(role);
	job_id = DatumGetInt64(catalog_exec("INSERT INTO automl.job_table (name, role, source, target, "
										"task, metric, time_budget, max_trials, algorithms, "
										"exclude, options, login_role, session_role, "
										"source_query, search_path, phase, source_relation, name_id) "
										"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
										"$12, $13, $14, $15, $16, $17, (SELECT n.name_id FROM "
										"automl.model_names n WHERE n.name = $1)) RETURNING job_id",
										17, types, values, nulls, SPI_OK_INSERT_RETURNING,
										&isnull));
	catalog_end_write(&w);
	SPI_finish();
	/* the dispatcher starts the job's worker once this transaction commits */
	jobs_kick_at_commit();
	PG_RETURN_INT64(job_id);
}

typedef struct JobRow
{
	bool		found;
	char	   *name;
	Oid			role;
	int64		name_id;		/* the model of the name when the job was created, or 0 */
	char	   *state;
	int			pid;
	TimestampTz backend_start;	/* with pid: the worker */
	bool		mine;			/* inserted by this (uncommitted) transaction */
} JobRow;

static bool may_manage_job(const JobRow *j);

/*
 * A job the caller may see (started it, or owns the model it trains): read
 * as the extension owner on a pinned search_path, so that no operator or
 * function of the caller's decides which row the rights are checked on; a
 * job the caller may not see does not exist for it.
 */
static JobRow
read_job(int64 job_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(job_id)};
	JobRow		j = {0};
	CatalogWriter w;

	catalog_begin_write(&w);
	if (SPI_execute_with_args("SELECT name, role, state, pid, xmin, backend_start, name_id "
							  "FROM automl.job_table "
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
		d = SPI_getbinval(tup, td, 6, &isnull);
		j.backend_start = isnull ? 0 : DatumGetTimestampTz(d);
		d = SPI_getbinval(tup, td, 7, &isnull);
		j.name_id = isnull ? 0 : DatumGetInt64(d);
	}
	catalog_end_write(&w);
	if (j.found && !may_manage_job(&j))
		j.found = false;
	if (!j.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job %lld does not exist", (long long) job_id)));
	return j;
}

static bool
job_ended(const char *state)
{
	return strcmp(state, "finished") == 0 || strcmp(state, "failed") == 0 ||
		strcmp(state, "cancelled") == 0;
}

/*
 * Started the job (is a member of its role), or owns the model it trains
 * (the name's model it was created for: a name dropped and trained again by
 * another role is another model), or superuser.
 */
static bool
may_manage_job(const JobRow *j)
{
	bool		exists;
	int64		current;

	if (superuser() || has_privs_of_role(GetUserId(), j->role))
		return true;
	return j->name_id != 0 && has_model_privilege(j->name, AM_PRIV_OWNER, &exists) &&
		catalog_model_name(j->name, NULL, &current) && current == j->name_id;
}

Datum
automl_can_see_job(PG_FUNCTION_ARGS)
{
	JobRow		j = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	j.role = PG_GETARG_OID(0);
	j.name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	j.name_id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
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
		Datum		pid;
		TimestampTz started = 0;

		/*
		 * A worker that has not claimed the job yet never will (it claims
		 * only what is not cancelled); one that has gets the signal, from
		 * the row as this update left it.
		 */
		catalog_begin_write(&w);
		pid = catalog_exec("UPDATE automl.job_table SET cancel_requested = true, "
						   "state = CASE WHEN pid IS NULL THEN 'cancelled' ELSE state END, "
						   "finished_at = CASE WHEN pid IS NULL THEN pg_catalog.clock_timestamp() ELSE finished_at END "
						   "WHERE job_id = $1 RETURNING pid, backend_start",
						   1, types, values, NULL, SPI_OK_UPDATE_RETURNING, &isnull);
		if (!isnull)
			started = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 2, &isnull));
		catalog_end_write(&w);
		/* only the job's own worker, still running, gets the signal */
		pgstat_clear_backend_activity_snapshot();
		if (started != 0 && job_worker_alive(DatumGetInt32(pid), started))
			kill(DatumGetInt32(pid), SIGINT);
		/* a cancelled queued job frees its place in the queue */
		jobs_kick_at_commit();
		result = "cancelling";
	}
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

Datum
automl_wait(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	Interval   *timeout = PG_ARGISNULL(1) ? NULL : PG_GETARG_INTERVAL_P(1);
	double		limit = timeout ? (double) timeout->time / USECS_PER_SEC +
	(double) timeout->day * SECS_PER_DAY + (double) timeout->month * DAYS_PER_MONTH * SECS_PER_DAY : 3600.0;
	/* a timeout beyond a year waits a year at most */
	TimestampTz deadline = GetCurrentTimestamp() +
		(TimestampTz) (Min(Max(limit, 0.0), 365.0 * SECS_PER_DAY) * USECS_PER_SEC);
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

		jobs_kick_if_needed();
		j = read_job(job_id);
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
		if (job_ended(state) || GetCurrentTimestamp() >= deadline)
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

/* The rows of the automl.jobs view (a job whose worker is gone is marked failed by the dispatcher this starts). */
Datum
automl_jobs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query;
	int			nest;

	InitMaterializedSRF(fcinfo, 0);
	per_query = rsinfo->econtext->ecxt_per_query_memory;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	jobs_kick_if_needed();
	/* as the caller (row-level security), on a pinned search_path */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute("SELECT job_id, name, role, state, phase, trials_done, best_score, "
					"best_algorithm, "
					"coalesce(finished_at, now()) - started_at AS elapsed, "
					"CASE WHEN state IN ('queued', 'running') AND time_budget IS NOT NULL "
					"     THEN greatest(time_budget - (now() - started_at), interval '0') END "
					"     AS time_budget_left, "
					"version, run_id, error, created_at, started_at, finished_at "
					"FROM automl.job_table ORDER BY job_id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the jobs");
	AtEOXact_GUC(false, nest);
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

