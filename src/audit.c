/*
 * audit.c
 *	  Writing the audit trail, its log line, and the trigger that keeps
 *	  automl.audit append-only for everyone but superusers.
 */
#include "automl.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "audit.h"

PG_FUNCTION_INFO_V1(automl_audit_append_only);

int			automl_audit_log_level = LOG;

static const struct config_enum_entry audit_levels[] = {
	{"off", 0, false},
	{"debug", DEBUG2, false},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{"warning", WARNING, false},
	{"log", LOG, false},
	{NULL, 0, false}
};

void
AuditInit(void)
{
	DefineCustomEnumVariable("automl.audit_log_level",
							 "Server log level of the audit lines of model actions.",
							 "Every action is recorded in automl.audit whatever this is; "
							 "\"off\" only silences the log line.",
							 &automl_audit_log_level,
							 LOG,
							 audit_levels,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

static Datum
version_or_null(int32 v, char *null_flag)
{
	*null_flag = v > 0 ? ' ' : 'n';
	return Int32GetDatum(v);
}

void
audit_record(const CatalogWriter *w, const char *action, const char *name, int32 version,
			 int32 from_version, int32 to_version, const char *reason, const char *details)
{
	Oid			types[11] = {TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID, TEXTOID, JSONBOID,
		NAMEOID, NAMEOID, INT4OID, TEXTOID};
	Datum		values[11];
	char		nulls[11];
	const char *appname = GetConfigOption("application_name", true, false);
	char	   *session_user = GetUserNameFromId(GetSessionUserId(), false);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(action);
	values[1] = CStringGetTextDatum(name);
	values[2] = version_or_null(version, &nulls[2]);
	values[3] = version_or_null(from_version, &nulls[3]);
	values[4] = version_or_null(to_version, &nulls[4]);
	values[5] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	nulls[5] = reason ? ' ' : 'n';
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(details ? details : "{}"));
	values[7] = DirectFunctionCall1(namein, CStringGetDatum(session_user));
	values[8] = DirectFunctionCall1(namein, CStringGetDatum(w->caller));
	values[9] = Int32GetDatum(MyProcPid);
	values[10] = appname ? CStringGetTextDatum(appname) : (Datum) 0;
	nulls[10] = appname ? ' ' : 'n';
	if (SPI_execute_with_args("INSERT INTO automl.audit (action, name, version, from_version, "
							  "to_version, reason, details, session_user_name, "
							  "current_user_name, backend_pid, application_name) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
							  11, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write the automl audit trail");

	if (automl_audit_log_level != 0)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		if (from_version > 0 || to_version > 0)
			appendStringInfo(&detail, "Live version %d -> %d.", from_version, to_version);
		if (details)
			appendStringInfo(&detail, "%s%s", detail.len ? " " : "", details);
		ereport(automl_audit_log_level,
				(errmsg("automl audit: %s of model \"%s\"%s by role \"%s\" (session user \"%s\")",
						action, name,
						version > 0 ? psprintf(" version %d", version) : "",
						w->caller, session_user),
				 detail.len ? errdetail_internal("%s", detail.data) : 0,
				 errhidestmt(true)));
	}
}

/* BEFORE UPDATE/DELETE/TRUNCATE statement trigger on automl.audit. */
Datum
automl_audit_append_only(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("automl._audit_append_only() must be called as a trigger")));
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("automl.audit is append-only"),
				 errdetail("Only superusers may change or remove audit rows.")));
	return PointerGetDatum(NULL);
}
