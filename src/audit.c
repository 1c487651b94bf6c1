/*
 * audit.c
 *	  Writing the audit trail, its log line, and the trigger that keeps
 *	  automl.audit append-only for everyone but superusers.
 */
#include "automl.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

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

/* One audit row, as written (by this backend, or for it by a worker). */
typedef struct AuditRow
{
	const char *action;
	const char *name;
	int32		version;
	int32		from_version;
	int32		to_version;
	const char *reason;
	const char *details;
	const char *session_user_name;
	const char *current_user_name;
	int32		backend_pid;
	const char *application_name;
	int64		name_id;		/* 0: the name's current model, as this transaction sees it */
} AuditRow;

/* INSERT the row (SPI connected, catalog_begin_write() in effect). */
static void
insert_audit_row(const AuditRow *a)
{
	Oid			types[12] = {TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID, TEXTOID, JSONBOID,
		NAMEOID, NAMEOID, INT4OID, TEXTOID, INT8OID};
	Datum		values[12];
	char		nulls[12];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(a->action);
	values[1] = CStringGetTextDatum(a->name);
	values[2] = version_or_null(a->version, &nulls[2]);
	values[3] = version_or_null(a->from_version, &nulls[3]);
	values[4] = version_or_null(a->to_version, &nulls[4]);
	values[5] = a->reason ? CStringGetTextDatum(a->reason) : (Datum) 0;
	nulls[5] = a->reason ? ' ' : 'n';
	values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(a->details ? a->details : "{}"));
	values[7] = DirectFunctionCall1(namein, CStringGetDatum(a->session_user_name));
	values[8] = DirectFunctionCall1(namein, CStringGetDatum(a->current_user_name));
	values[9] = Int32GetDatum(a->backend_pid);
	values[10] = a->application_name ? CStringGetTextDatum(a->application_name) : (Datum) 0;
	nulls[10] = a->application_name ? ' ' : 'n';
	values[11] = Int64GetDatum(a->name_id);
	nulls[11] = a->name_id > 0 ? ' ' : 'n';
	/* the row belongs to the name's current model (see model_names.name_id) */
	if (SPI_execute_with_args("INSERT INTO automl.audit (action, name, version, from_version, "
							  "to_version, reason, details, session_user_name, "
							  "current_user_name, backend_pid, application_name, name_id) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
							  "coalesce($12, (SELECT n.name_id FROM automl.model_names n WHERE n.name = $2)))",
							  12, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write the automl audit trail");
}

static AuditRow
audit_row(const CatalogWriter *w, const char *action, const char *name, int32 version,
		  int32 from_version, int32 to_version, const char *reason, const char *details)
{
	AuditRow	a;

	a.action = action;
	a.name = name;
	a.version = version;
	a.from_version = from_version;
	a.to_version = to_version;
	a.reason = reason;
	a.details = details;
	a.session_user_name = GetUserNameFromId(GetSessionUserId(), false);
	a.current_user_name = w->caller;
	a.backend_pid = MyProcPid;
	a.application_name = GetConfigOption("application_name", true, false);
	a.name_id = 0;
	return a;
}

static void
log_audit_row(const AuditRow *a)
{
	StringInfoData detail;

	if (automl_audit_log_level == 0)
		return;
	initStringInfo(&detail);
	if (a->from_version > 0 || a->to_version > 0)
		appendStringInfo(&detail, "Live version %d -> %d.", a->from_version, a->to_version);
	if (a->details)
		appendStringInfo(&detail, "%s%s", detail.len ? " " : "", a->details);
	ereport(automl_audit_log_level,
			(errmsg("automl audit: %s of model \"%s\"%s by role \"%s\" (session user \"%s\")",
					a->action, a->name,
					a->version > 0 ? psprintf(" version %d", a->version) : "",
					a->current_user_name, a->session_user_name),
			 detail.len ? errdetail_internal("%s", detail.data) : 0,
			 errhidestmt(true)));
}

void
audit_record(const CatalogWriter *w, const char *action, const char *name, int32 version,
			 int32 from_version, int32 to_version, const char *reason, const char *details)
{
	AuditRow	a = audit_row(w, action, name, version, from_version, to_version, reason,
							  details);

	insert_audit_row(&a);
	log_audit_row(&a);
}

/* ---------- rows that outlive the caller's transaction ---------- */

/*
 * The row travels to the worker in a dynamic shared memory segment: a fixed
 * header, then the texts one after another, each NUL-terminated ("" stands
 * for NULL where a NULL is possible).
 */
#define AUDIT_TEXTS 7

typedef struct DurableAudit
{
	Oid			database;
	int32		version;
	int32		from_version;
	int32		to_version;
	int32		backend_pid;
	int64		name_id;		/* as the caller's transaction sees it */
	bool		done;			/* set by the worker once its transaction committed */
	char		texts[FLEXIBLE_ARRAY_MEMBER];
} DurableAudit;

PGDLLEXPORT void automl_audit_main(Datum main_arg);

void
audit_record_durable(const CatalogWriter *w, const char *action, const char *name,
					 int32 version, const char *details)
{
	AuditRow	a = audit_row(w, action, name, version, 0, 0, NULL, details);
	const char *texts[AUDIT_TEXTS] = {a.action, a.name, a.reason, a.details,
		a.session_user_name, a.current_user_name, a.application_name};
	Size		size = offsetof(DurableAudit, texts);
	dsm_segment *seg;
	DurableAudit *d;
	char	   *p;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	for (int i = 0; i < AUDIT_TEXTS; i++)
		size += strlen(texts[i] ? texts[i] : "") + 1;
	seg = dsm_create(size, 0);
	d = dsm_segment_address(seg);
	d->database = MyDatabaseId;
	d->version = a.version;
	d->from_version = 0;
	d->to_version = 0;
	d->backend_pid = a.backend_pid;
	/* the worker cannot see a name this transaction created: the caller looks it up */
	d->name_id = 0;
	(void) catalog_model_name(name, NULL, &d->name_id);
	d->done = false;
	p = d->texts;
	for (int i = 0; i < AUDIT_TEXTS; i++)
	{
		const char *t = texts[i] ? texts[i] : "";

		memcpy(p, t, strlen(t) + 1);
		p += strlen(t) + 1;
	}

	automl_worker_init(&worker, "automl_audit_main", "automl audit writer",
					   psprintf("automl audit writer for PID %d", MyProcPid));
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker to record the %s of model \"%s\" in the audit trail",
						action, name),
				 errhint("Raise max_worker_processes, or try again when fewer background workers run.")));
	(void) WaitForBackgroundWorkerShutdown(handle);
	if (!d->done)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not record the %s of model \"%s\" in the audit trail", action, name),
				 errdetail("The background worker writing the audit row failed; see the server log.")));
	dsm_detach(seg);
	log_audit_row(&a);
}

/* The worker: write the row in a transaction of its own, as the extension owner. */
void
automl_audit_main(Datum main_arg)
{
	dsm_segment *seg;
	DurableAudit *d;
	AuditRow	a;
	const char *texts[AUDIT_TEXTS];
	const char *p;
	CatalogWriter w;

	BackgroundWorkerUnblockSignals();
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);			/* the requester gave up */
	d = dsm_segment_address(seg);
	/* it runs our statement only; the catalog write switches to the extension owner */
	BackgroundWorkerInitializeConnectionByOid(d->database, BOOTSTRAP_SUPERUSERID, 0);
	p = d->texts;
	for (int i = 0; i < AUDIT_TEXTS; i++)
	{
		texts[i] = *p ? p : NULL;
		p += strlen(p) + 1;
	}
	a.action = texts[0];
	a.name = texts[1];
	a.reason = texts[2];
	a.details = texts[3];
	a.session_user_name = texts[4];
	a.current_user_name = texts[5];
	a.application_name = texts[6];
	a.version = d->version;
	a.from_version = d->from_version;
	a.to_version = d->to_version;
	a.backend_pid = d->backend_pid;
	a.name_id = d->name_id;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	catalog_begin_write(&w);
	insert_audit_row(&a);
	catalog_end_write(&w);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	d->done = true;
	dsm_detach(seg);
	proc_exit(0);
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
