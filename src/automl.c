/*
 * automl.c
 *	  Module entry point: PG_MODULE_MAGIC, the automl.* settings, and
 *	  _PG_init() calling one initialiser per module.
 */
#include "automl.h"

#include <limits.h>
#include <unistd.h>

#include "lib/stringinfo.h"

#include "fmgr.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "audit.h"
#include "kernels.h"
#include "privileges.h"

PG_MODULE_MAGIC;

int			automl_memory_limit_kb;
int			automl_max_threads = 1;
bool		automl_progress = true;
bool		automl_huge_pages = true;
bool		automl_require_approval = false;

/* A quarter of physical memory, in kB, within what an int GUC can hold. */
static int
default_memory_limit_kb(void)
{
	long		pages = sysconf(_SC_PHYS_PAGES);
	long		page_size = sysconf(_SC_PAGESIZE);
	double		kb;

	if (pages <= 0 || page_size <= 0)
		return 1024 * 1024;		/* 1 GB when unknown */
	kb = (double) pages * (double) page_size / 1024.0 / 4.0;
	if (kb > (double) (INT_MAX / 2))
		kb = (double) (INT_MAX / 2);
	if (kb < 64 * 1024)
		kb = 64 * 1024;
	return (int) kb;
}

void
AutomlGucInit(void)
{
	DefineCustomIntVariable("automl.memory_limit",
							"Largest amount of memory one training may use.",
							"Covers the loaded rows and the matrices built from them. "
							"The default is a quarter of the physical memory.",
							&automl_memory_limit_kb,
							default_memory_limit_kb(),
							1024, INT_MAX / 2,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("automl.max_threads",
							"Largest number of threads one training may use.",
							"Applies to OpenBLAS, to the threaded kernels of training "
							"and to tree models scoring a batch of rows (predict_table); "
							"predict() of one row is single-threaded.",
							&automl_max_threads,
							1, 1, 64,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("automl.huge_pages",
							 "Back the large arrays of a training with transparent huge pages.",
							 "A hint to the kernel (madvise), taken when transparent huge "
							 "pages are enabled as \"always\" or \"madvise\"; it saves "
							 "address-translation misses of the tree kernels.",
							 &automl_huge_pages,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("automl.progress",
							 "Report each finished trial of a training as a NOTICE.",
							 NULL,
							 &automl_progress,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("automl.require_approval",
							 "Require a version to be approved by another role before it is deployed.",
							 "When on, automl.deploy() and automl.rollback() accept only versions "
							 "approved with automl.approve() by a role other than the one that "
							 "trained them.",
							 &automl_require_approval,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

void
automl_worker_init(BackgroundWorker *w, const char *function, const char *type, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w->bgw_start_time = BgWorkerStart_RecoveryFinished;
	w->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(w->bgw_library_name, "automl", BGW_MAXLEN);
	strlcpy(w->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(w->bgw_type, type, BGW_MAXLEN);
	strlcpy(w->bgw_name, name, BGW_MAXLEN);
}

/*
 * The settings a role may not choose for itself.  When the library is not
 * preloaded, a session can carry a value for one of them before the library
 * defines it (a client's startup option, a SET before LOAD); PostgreSQL then
 * rejects that value with a WARNING, but the setting falls back to its
 * built-in default rather than to what the server's configuration says.
 * Such a session fails closed: catalog writes and trainings refuse, with the
 * names, until the configuration is read again (a reload) or the session is
 * a new one.
 */
static const char *const guarded_settings[] = {
	"automl.memory_limit", "automl.max_threads", "automl.require_approval",
	"automl.audit_log_level", "automl.max_jobs", "automl.max_jobs_per_role",
	"automl.max_queued_jobs"
};
static bool guarded_preset[lengthof(guarded_settings)];

static struct config_generic *
find_setting(const char *name)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();

	for (int i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	return NULL;
}

void
automl_check_settings(void)
{
	StringInfoData names;

	initStringInfo(&names);
	for (int i = 0; i < lengthof(guarded_settings); i++)
	{
		struct config_generic *g;

		if (!guarded_preset[i])
			continue;
		g = find_setting(guarded_settings[i]);
		if (g != NULL && g->source == PGC_S_DEFAULT)
			appendStringInfo(&names, "%s%s", names.len ? ", " : "", guarded_settings[i]);
		else
			guarded_preset[i] = false;	/* the configuration has been read again */
	}
	if (names.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this session set %s, which only the server's configuration may set", names.data),
				 errdetail("The value was rejected when the automl library was loaded, and the configured value is lost in this session."),
				 errhint("Connect again without setting it, or ask a DBA to preload the library (shared_preload_libraries = 'automl').")));
}

void
_PG_init(void)
{
	/* before the definitions replace them: values set in the session's placeholders */
	for (int i = 0; i < lengthof(guarded_settings); i++)
	{
		struct config_generic *g = find_setting(guarded_settings[i]);

		guarded_preset[i] = g != NULL && (g->flags & GUC_CUSTOM_PLACEHOLDER) &&
			(g->source != PGC_S_DEFAULT || g->reset_source != PGC_S_DEFAULT);
	}
	AutomlGucInit();
	AuditInit();
	JobsInit();
	PrivilegesInit();
	ModelCacheInit();
	MarkGUCPrefixReserved("automl");
}
