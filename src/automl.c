/*
 * automl.c
 *	  Module entry point: PG_MODULE_MAGIC, the automl.* settings, and
 *	  _PG_init() calling one initialiser per module.
 */
#include "automl.h"

#include <limits.h>
#include <unistd.h>

#include "fmgr.h"
#include "utils/guc.h"

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
_PG_init(void)
{
	AutomlGucInit();
	AuditInit();
	JobsInit();
	PrivilegesInit();
	ModelCacheInit();
	MarkGUCPrefixReserved("automl");
}
