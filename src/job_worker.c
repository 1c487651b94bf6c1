/*
 * job_worker.c
 *	  The worker of one background training (automl.train_async()).
 *
 * It logs in as the role that asked for the job (as that caller's session
 * user when the role cannot log in: jobs.c chose), claims its job, and runs
 * the same training as automl.train() as the job's role inside a
 * security-restricted operation: nothing the source calls can take another
 * role (SET ROLE, RESET ROLE and SET SESSION AUTHORIZATION fail there).  It
 * commits each finished trial and its progress as it goes (the hooks of
 * train.h), and when the job has ended, hands its slot on (job_dispatch.c).
 * Transactions begin and end outside the restricted context; an error rolls
 * the user id and security context back to the login role's.
 */
#include "automl.h"

#include <signal.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "jobs.h"
#include "train.h"

PGDLLEXPORT void automl_job_main(Datum main_arg);

#define STOP_CHECK_INTERVAL_MS 500

/* The roles this worker logged in as and trains as. */
static Oid	job_login_role = InvalidOid;
static Oid	job_role = InvalidOid;
static Oid	job_session_role = InvalidOid;	/* the session user that asked */

/* ---------- what a running job reports (train.h) ---------- */

/*
 * Commit the worker's transaction and start the next.  Non-atomic SPI
 * runs statements under the worker's own active snapshot (there is no
 * portal), which must not outlive its transaction.
 */
/*
 * The worker acts as the job's role only while the session that asked for
 * it still may: when its session user had SET ROLE to the job's role, that
 * user must still be a member of it (whichever role the worker logged in
 * as).
 */
static void
check_job_role(void)
{
	Oid			asker = OidIsValid(job_session_role) ? job_session_role : job_login_role;

	if (asker != job_role && !is_member_of_role(asker, job_role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" is no longer a member of role \"%s\", which the job runs as",
						role_name(asker), role_name(job_role))));
}

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
	SetCurrentStatementStartTimestamp();
	PushActiveSnapshot(GetTransactionSnapshot());
	/* settings as the server's configuration says now (automl.require_approval, ...) */
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
	SetUserIdAndSecContext(user, sec_context);
	check_job_role();
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
						"phase = NULL, finished_at = pg_catalog.clock_timestamp() WHERE job_id = $1",
						4, types, values, nulls, SPI_OK_UPDATE, &isnull);
	(void) catalog_exec("UPDATE automl.runs SET status = 'failed', finished_at = pg_catalog.clock_timestamp() "
						"WHERE run_id = (SELECT run_id FROM automl.job_table WHERE job_id = $1) "
						"AND status = 'running'", 1, types, values, NULL, SPI_OK_UPDATE, &isnull);
	catalog_end_write(&w);
}

/*
 * Claim the job for this worker (it may have been cancelled, or its
 * dispatch rolled back) and read its arguments.  False when there is
 * nothing to run.
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
						"state = 'running', phase = 'starting', started_at = pg_catalog.clock_timestamp() "
						"WHERE job_id = $1 AND state = 'queued' AND pid IS NULL "
						"AND dispatched_at IS NOT NULL AND NOT cancel_requested RETURNING *",
						3, types, values, NULL, SPI_OK_UPDATE_RETURNING, &isnull);
	catalog_end_write(&w);
	if (SPI_processed == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	train_args_from_row(tup, td, SPI_getvalue(tup, td, SPI_fnumber(td, "name")), args);
	/* the job reads its source as its role, on the recorded search_path */
	args->source_role = DatumGetObjectId(SPI_getbinval(tup, td, SPI_fnumber(td, "role"), &isnull));
	args->session_role = DatumGetObjectId(SPI_getbinval(tup, td, SPI_fnumber(td, "session_role"),
														&isnull));
	job_session_role = args->session_role;
	if (args->source_role != job_role)
		elog(ERROR, "job %lld runs as another role than its worker was started for",
			 (long long) job_id);
	check_job_role();
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
	BackgroundWorkerInitializeConnectionByOid(start.database, start.login_role, 0);
	pgstat_report_appname(psprintf("automl job %lld", (long long) job_id));
	job_cxt = AllocSetContextCreate(TopMemoryContext, "automl job", ALLOCSET_DEFAULT_SIZES);
	job_login_role = start.login_role;
	job_role = start.role;

	/* the dispatch (and the job row) become visible when it commits */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	XactLockTableWait(start.wait_xid, NULL, NULL, XLTW_None);
	CommitTransactionCommand();

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		MemoryContextSwitchTo(job_cxt);
		if (!claim_job(job_id, &args))
		{
			/* cancelled before it started, or its dispatch rolled back */
			SPI_finish();
			PopActiveSnapshot();
			CommitTransactionCommand();
			proc_exit(0);
		}
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
		SetCurrentStatementStartTimestamp();
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
	/* the job has ended: the next ones may start (a late cancel cannot stop that) */
	HOLD_INTERRUPTS();
	jobs_dispatch_now();
	RESUME_INTERRUPTS();
	proc_exit(0);
}
