/*
 * api_admin.c
 *	  Model lifecycle: automl.approve(), deploy(), rollback() and drop(),
 *	  and the trigger that turns catalog changes into cache invalidations for
 *	  every backend.
 *
 * Versions move candidate -> (approved) -> deployed -> retired.  Each action
 * checks the caller's right on the name, then writes the catalog and the
 * audit trail as the extension owner.
 */
#include "automl.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "admin.h"
#include "audit.h"
#include "catalog.h"
#include "model_cache.h"
#include "privileges.h"

PG_FUNCTION_INFO_V1(automl_approve);
PG_FUNCTION_INFO_V1(automl_deploy);
PG_FUNCTION_INFO_V1(automl_rollback);
PG_FUNCTION_INFO_V1(automl_drop);
PG_FUNCTION_INFO_V1(automl_invalidate_cache);

typedef struct VersionInfo
{
	bool		exists;
	char	   *status;
	Oid			created_by;		/* trained (or imported) it */
	Oid			created_session;	/* ... from a session of this role */
	Oid			source_role;	/* whose recorded source it read (a retrain of another's) */
	char	   *trained_by;		/* an import: who trained it where it was exported */
	bool		approved;
} VersionInfo;

static char *
nullable_text(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

static char *
required_name(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	return model_name_arg(PG_GETARG_TEXT_PP(0));
}

/* Status, trainer and approval of a version (SPI, as the extension owner). */
static VersionInfo
version_info(const char *name, int32 version)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	VersionInfo vi = {0};

	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	if (SPI_execute_with_args("SELECT m.status, m.created_by, m.created_session, "
							  "m.approved_by IS NOT NULL, m.lineage -> 'imported_from' ->> 'created_by', "
							  "(SELECT r.source_role FROM automl.runs r WHERE r.run_id = m.run_id) "
							  "FROM automl.model_table m WHERE m.name = $1 AND m.version = $2",
							  2, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up model \"%s\"", name);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		vi.exists = true;
		vi.status = SPI_getvalue(tup, td, 1);
		vi.created_by = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
		vi.created_session = DatumGetObjectId(SPI_getbinval(tup, td, 3, &isnull));
		vi.approved = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));
		vi.trained_by = SPI_getvalue(tup, td, 5);
		if (vi.trained_by && vi.trained_by[0] == '\0')
			vi.trained_by = NULL;
		d = SPI_getbinval(tup, td, 6, &isnull);
		vi.source_role = isnull ? InvalidOid : DatumGetObjectId(d);
	}
	return vi;
}

static VersionInfo
existing_version(const char *name, int32 version)
{
	VersionInfo vi = version_info(name, version);

	if (!vi.exists)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version)));
	return vi;
}

static void
check_approved(const char *name, int32 version, const VersionInfo *vi)
{
	if (automl_require_approval && !vi->approved)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("version %d of model \"%s\" is not approved", version, name),
				 errdetail("automl.require_approval is on."),
				 errhint("A role with the deploy right other than \"%s\" must run automl.approve(%s, %d) first.",
						 role_name(vi->created_by), quote_literal_cstr(name), version)));
}

/*
 * Four eyes count people, not role names: the version's trainers are the
 * role that trained (or imported) it, the role its session logged in as,
 * the role whose recorded source it read (a retrain of another role's
 * training: that role chose the data), and for an import the role named as
 * its trainer where it was exported.
 * The approver, as its current role or its session's, must be none of them
 * and no member of them (superuser rights aside: a superuser approving a
 * version of another role is another person).
 */
static bool
approver_trained(const VersionInfo *vi, Oid *trainer)
{
	Oid			approvers[2] = {GetUserId(), GetSessionUserId()};
	Oid			trainers[4];

	trainers[0] = vi->created_by;
	trainers[1] = vi->created_session;
	trainers[2] = vi->source_role;
	trainers[3] = vi->trained_by ? get_role_oid(vi->trained_by, true) : InvalidOid;
	for (int a = 0; a < 2; a++)
		for (int t = 0; t < 4; t++)
			if (OidIsValid(trainers[t]) &&
				(approvers[a] == trainers[t] ||
				 is_member_of_role_nosuper(approvers[a], trainers[t])))
			{
				*trainer = trainers[t];
				return true;
			}
	return false;
}

/* Open SPI and switch to the extension owner for catalog writes. */
static void
begin_admin(CatalogWriter *w, const char *command)
{
	PreventCommandIfReadOnly(command);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(w);
}

static void
end_admin(CatalogWriter *w)
{
	catalog_end_write(w);
	SPI_finish();
}

Datum
automl_approve(PG_FUNCTION_ARGS)
{
	char	   *name = required_name(fcinfo);
	char	   *reason = nullable_text(fcinfo, 2);
	int32		version;
	CatalogWriter w;
	VersionInfo vi;
	Oid			trainer;
	Oid			types[3] = {TEXTOID, INT4OID, REGROLEOID};
	Datum		values[3];
	bool		isnull;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be NULL")));
	version = PG_GETARG_INT32(1);
	check_model_privilege(name, AM_PRIV_DEPLOY, "approve");
	begin_admin(&w, "automl.approve()");
	vi = existing_version(name, version);
	if (approver_trained(&vi, &trainer))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot approve version %d of model \"%s\"",
						w.caller, version, name),
				 errdetail("Version %d was %s by role \"%s\" logged in as \"%s\"%s; the approver, role \"%s\" logged in as \"%s\", is role \"%s\" or a member of it.",
						   version, vi.trained_by ? "imported" : "trained",
						   role_name(vi.created_by), role_name(vi.created_session),
						   vi.trained_by ? psprintf(" (trained by \"%s\" where it was exported)",
													vi.trained_by) :
						   OidIsValid(vi.source_role) && vi.source_role != vi.created_by ?
						   psprintf(", reading the source that role \"%s\" recorded", role_name(vi.source_role)) : "",
						   w.caller, GetUserNameFromId(GetSessionUserId(), false),
						   role_name(trainer)),
				 errhint("Approval must come from another person with the deploy right.")));
	if (vi.approved)
		ereport(NOTICE,
				(errmsg("version %d of model \"%s\" is already approved", version, name)));
	else
	{
		values[0] = CStringGetTextDatum(name);
		values[1] = Int32GetDatum(version);
		values[2] = ObjectIdGetDatum(w.caller_id);
		(void) catalog_exec("UPDATE automl.model_table SET approved_by = $3, approved_at = now(), "
							"status = CASE WHEN status = 'candidate' THEN 'approved' ELSE status END "
							"WHERE name = $1 AND version = $2",
							3, types, values, NULL, SPI_OK_UPDATE, &isnull);
		audit_record(&w, "approve", name, version, 0, 0, reason, NULL);
	}
	end_admin(&w);
	PG_RETURN_VOID();
}

/* The version a strategy picks, among versions allowed to go live. */
static int32
strategy_version(const char *name, const char *strategy)
{
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2];
	bool		isnull;
	Datum		d;
	const char *sql;

	values[0] = CStringGetTextDatum(name);
	values[1] = BoolGetDatum(automl_require_approval);
	if (strcmp(strategy, "latest") == 0)
		sql = "SELECT max(version) FROM automl.model_table "
			"WHERE name = $1 AND (NOT $2 OR approved_by IS NOT NULL)";
	else

		/*
		 * best: highest CV score among versions scored with the newest
		 * scored one's metric.  Only scores measured here count: an imported
		 * version's score is a claim of its document (lineage), not a score.
		 */
		sql = "SELECT version FROM automl.model_table m "
			"WHERE name = $1 AND (NOT $2 OR approved_by IS NOT NULL) AND score IS NOT NULL "
			"AND metric = (SELECT metric FROM automl.model_table WHERE name = $1 "
			"              AND score IS NOT NULL ORDER BY version DESC LIMIT 1) "
			"ORDER BY CASE WHEN automl.metric_greater_is_better(metric) THEN -score "
			"         ELSE score END, version DESC LIMIT 1";
	d = catalog_exec(sql, 2, types, values, NULL, SPI_OK_SELECT, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version that strategy \"%s\" can deploy", name, strategy),
				 automl_require_approval ? errdetail("automl.require_approval is on and no version is approved.") : 0));
	return DatumGetInt32(d);
}

Datum
automl_deploy(PG_FUNCTION_ARGS)
{
	char	   *name = required_name(fcinfo);
	char	   *strategy = PG_ARGISNULL(2) ? "specific" : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *reason = nullable_text(fcinfo, 3);
	int32		version = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1);
	int32		live;
	CatalogWriter w;
	VersionInfo vi;

	if (strcmp(strategy, "specific") != 0 && strcmp(strategy, "best") != 0 &&
		strcmp(strategy, "latest") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown deploy strategy \"%s\"", strategy),
				 errhint("Use specific, best or latest.")));
	if (strcmp(strategy, "specific") == 0 && PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("strategy \"specific\" needs a version")));
	if (strcmp(strategy, "specific") != 0 && !PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("strategy \"%s\" chooses the version itself; pass version => NULL", strategy)));
	check_model_privilege(name, AM_PRIV_DEPLOY, "deploy");
	/*
	 * Deploying the live version changes nothing: said without locking the
	 * name, so that an open transaction of a deploy grantee that did nothing
	 * holds up no training of the name.
	 */
	PreventCommandIfReadOnly("automl.deploy()");
	if (strcmp(strategy, "specific") == 0 && catalog_deployed_version(name, &live) &&
		live == version)
	{
		ereport(NOTICE,
				(errmsg("version %d of model \"%s\" is already deployed", version, name)));
		PG_RETURN_INT32(version);
	}
	begin_admin(&w, "automl.deploy()");
	live = catalog_lock_live_version(name);
	if (strcmp(strategy, "specific") != 0)
		version = strategy_version(name, strategy);
	vi = existing_version(name, version);
	check_approved(name, version, &vi);
	if (version == live)
		ereport(NOTICE,
				(errmsg("version %d of model \"%s\" is already deployed", version, name)));
	else
	{
		catalog_deploy(&w, name, version, strategy, reason);
		audit_record(&w, "deploy", name, version, live, version, reason, NULL);
	}
	end_admin(&w);
	PG_RETURN_INT32(version);
}

/*
 * A new version was stored (train, retrain, import): the first version of a
 * name goes live at once, unless automl.require_approval holds it back like
 * any other; a version left as a candidate says how to deploy it.
 */
void
version_stored(const CatalogWriter *w, const char *name, int32 version)
{
	if (version == 1 && !automl_require_approval)
	{
		catalog_deploy(w, name, 1, "first version", NULL);
		audit_record(w, "deploy", name, 1, 0, 1, "first version", NULL);
		return;
	}
	ereport(NOTICE,
			(errmsg("model \"%s\" version %d is stored but not deployed", name, version),
			 automl_require_approval ?
			 errdetail("automl.require_approval is on: another role with the deploy right must approve it first.") : 0,
			 automl_require_approval ?
			 errhint("After automl.approve(%s, %d), run SELECT automl.deploy(%s, %d) to score with it.",
					 quote_literal_cstr(name), version, quote_literal_cstr(name), version) :
			 errhint("Run SELECT automl.deploy(%s, %d) to score with it.",
					 quote_literal_cstr(name), version)));
}

Datum
automl_rollback(PG_FUNCTION_ARGS)
{
	char	   *name = required_name(fcinfo);
	char	   *reason = nullable_text(fcinfo, 1);
	CatalogWriter w;
	int32		live,
				previous;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	bool		isnull;
	Datum		d;
	VersionInfo vi;

	check_model_privilege(name, AM_PRIV_DEPLOY, "roll back");
	begin_admin(&w, "automl.rollback()");
	live = catalog_lock_live_version(name);
	if (live == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no deployed version", name)));
	/* the version that was live before the current one took over */
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(live);
	d = catalog_exec("SELECT d.version FROM automl.deployments d "
					 "WHERE d.name = $1 AND d.version <> $2 "
					 "ORDER BY d.deployment_id DESC LIMIT 1",
					 2, types, values, NULL, SPI_OK_SELECT, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no earlier deployment to roll back to", name)));
	previous = DatumGetInt32(d);
	/* under require_approval the way back leads only to an approved version */
	vi = existing_version(name, previous);
	check_approved(name, previous, &vi);
	catalog_deploy(&w, name, previous, "rollback", reason);
	audit_record(&w, "rollback", name, previous, live, previous, reason, NULL);
	end_admin(&w);
	PG_RETURN_INT32(previous);
}

Datum
automl_drop(PG_FUNCTION_ARGS)
{
	char	   *name = required_name(fcinfo);
	CatalogWriter w;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	bool		isnull;

	check_model_privilege(name, AM_PRIV_OWNER, "drop");
	begin_admin(&w, "automl.drop()");
	values[0] = CStringGetTextDatum(name);
	if (!PG_ARGISNULL(1))
	{
		int32		version = PG_GETARG_INT32(1);

		(void) existing_version(name, version);
		if (catalog_lock_live_version(name) == version)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("version %d of model \"%s\" is deployed", version, name),
					 errhint("Deploy another version first, or drop the whole model with automl.drop(%s).",
							 quote_literal_cstr(name))));
		values[1] = Int32GetDatum(version);
		/* its run (and so its trials) goes too; its deployments cascade */
		(void) catalog_exec("WITH m AS (DELETE FROM automl.model_table WHERE name = $1 AND version = $2 "
							"RETURNING run_id) "
							"DELETE FROM automl.runs WHERE run_id IN (SELECT run_id FROM m)",
							2, types, values, NULL, SPI_OK_DELETE, &isnull);
		audit_record(&w, "drop", name, version, 0, 0, NULL, NULL);
	}
	else
	{
		Datum		jobs;

		(void) catalog_lock_live_version(name);
		(void) catalog_exec("DELETE FROM automl.deployments WHERE name = $1",
							1, types, values, NULL, SPI_OK_DELETE, &isnull);
		(void) catalog_exec("DELETE FROM automl.model_table WHERE name = $1",
							1, types, values, NULL, SPI_OK_DELETE, &isnull);

		/*
		 * A background job still training the name has committed its run
		 * (and trials) and goes on writing to it: keep that run, or the job
		 * would fail on a foreign key; it stores a new first version.
		 */
		jobs = catalog_exec("SELECT pg_catalog.string_agg(job_id::pg_catalog.text, ', ' "
							"ORDER BY job_id) FROM automl.job_table "
							"WHERE name = $1 AND state IN ('queued', 'running')",
							1, types, values, NULL, SPI_OK_SELECT, &isnull);
		if (!isnull)
			ereport(NOTICE,
					(errmsg("a background training of model \"%s\" is still going on (job %s)",
							name, TextDatumGetCString(jobs)),
					 errdetail("Its run is kept; when it finishes it stores version 1 of a new model \"%s\".",
							   name),
					 errhint("Stop it with automl.cancel(job).")));
		/* ended jobs are the history of the model that goes: their sources too */
		(void) catalog_exec("DELETE FROM automl.job_table WHERE name = $1 "
							"AND state NOT IN ('queued', 'running')",
							1, types, values, NULL, SPI_OK_DELETE, &isnull);
		(void) catalog_exec("DELETE FROM automl.runs r WHERE r.name = $1 "
							"AND NOT EXISTS (SELECT FROM automl.job_table j "
							"WHERE j.run_id = r.run_id AND j.state IN ('queued', 'running'))",
							1, types, values, NULL, SPI_OK_DELETE, &isnull);
		/* the row goes with the model it ends (before its name_id does) */
		audit_record(&w, "drop", name, 0, 0, 0, NULL, NULL);
		(void) catalog_exec("DELETE FROM automl.model_names WHERE name = $1",
							1, types, values, NULL, SPI_OK_DELETE, &isnull);
	}
	end_admin(&w);
	PG_RETURN_VOID();
}

/*
 * Statement trigger on the catalog tables: queue a relcache invalidation of
 * the table, which every backend (and every hot standby, through the WAL)
 * processes when the transaction commits.
 */
Datum
automl_invalidate_cache(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("automl._invalidate_cache() must be called as a trigger")));
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}
