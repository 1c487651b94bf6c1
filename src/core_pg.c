/*
 * core_pg.c
 *	  The core.h hooks inside the server: palloc in CurrentMemoryContext,
 *	  CHECK_FOR_INTERRUPTS(), memory contexts as scratch scopes, and the
 *	  memory budget check against automl.memory_limit.
 */
#include "automl.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/resowner.h"
#include "utils/memutils.h"

static MemoryContext budget_context = NULL;
static Size budget_peak = 0;	/* largest tracked size of the budget context */

void *
am_alloc(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

void *
am_alloc0(size_t size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

void *
am_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return am_alloc(size);
	return repalloc_huge(ptr, size);
}

void
am_free(void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}

void
am_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

int
am_max_threads(void)
{
	return automl_max_threads;
}

bool
am_huge_pages(void)
{
	return automl_huge_pages;
}

static void
forget_budget_context(void *arg)
{
	if (budget_context == (MemoryContext) arg)
		budget_context = NULL;
}

/*
 * Make cxt the context whose size counts against automl.memory_limit, until
 * it is deleted (normally or by an error's cleanup).
 */
void
automl_set_budget_context(MemoryContext cxt)
{
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	cb->func = forget_budget_context;
	cb->arg = cxt;
	MemoryContextRegisterResetCallback(cxt, cb);
	budget_context = cxt;
	budget_peak = 0;
}

Size
automl_budget_peak(void)
{
	if (budget_context != NULL)
		budget_peak = Max(budget_peak, MemoryContextMemAllocated(budget_context, true));
	return budget_peak;
}

void
am_memory_reserve(size_t bytes, const char *what)
{
	Size		used;
	Size		limit = (Size) automl_memory_limit_kb * 1024;

	if (budget_context == NULL)
		return;
	used = MemoryContextMemAllocated(budget_context, true);
	/* a refused reservation allocates nothing: it does not raise the peak */
	budget_peak = Max(budget_peak, used);
	if (bytes > limit || used > limit - bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training needs more memory than automl.memory_limit allows"),
				 errdetail("The %s needs %zu kB, %zu kB are in use, and the limit is %d kB.",
						   what, bytes / 1024, used / 1024, automl_memory_limit_kb),
				 errhint("Train on fewer rows or columns, or raise automl.memory_limit.")));
	budget_peak = Max(budget_peak, used + bytes);
}

size_t
am_memory_available(void)
{
	Size		used;
	Size		limit = (Size) automl_memory_limit_kb * 1024;

	if (budget_context == NULL)
		return SIZE_MAX;
	used = MemoryContextMemAllocated(budget_context, true);
	return used >= limit ? 0 : limit - used;
}

typedef struct Scope
{
	MemoryContext old;
	MemoryContext cxt;
} Scope;

void *
am_scope_begin(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "automl scratch",
											  ALLOCSET_DEFAULT_SIZES);
	Scope	   *s = MemoryContextAlloc(cxt, sizeof(Scope));

	s->old = MemoryContextSwitchTo(cxt);
	s->cxt = cxt;
	return s;
}

void
am_scope_end(void *scope)
{
	Scope	   *s = scope;
	MemoryContext old = s->old;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(s->cxt);
}

int
automl_errcode(AmErrKind kind)
{
	switch (kind)
	{
		case AM_ERR_PARAM:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case AM_ERR_DATA:
			return ERRCODE_DATA_EXCEPTION;
		case AM_ERR_NUMERIC:
			return ERRCODE_DATA_EXCEPTION;
		case AM_ERR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case AM_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		default:
			return ERRCODE_INTERNAL_ERROR;
	}
}

void
automl_raise(const AmErr *err, const char *context)
{
	if (context)
		ereport(ERROR,
				(errcode(automl_errcode(err->kind)),
				 errmsg("%s: %s", context, err->msg)));
	ereport(ERROR,
			(errcode(automl_errcode(err->kind)),
			 errmsg("%s", err->msg)));
	pg_unreachable();
}

/*
 * am_guarded(): fn runs in a subtransaction, so an error inside it can be
 * caught safely (locks, buffers and resource owners are cleaned up by the
 * rollback).  Only resource errors are turned into a failure; memory fn
 * allocated stays in the caller's context (a trial's scratch scope frees it).
 */
void *
am_guarded(AmGuardedFn fn, void *arg, AmErr *err)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	void	   *volatile result = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		result = fn(arg, err);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* the subtransaction goes first, also for an error passed on */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_PROGRAM_LIMIT_EXCEEDED &&
			edata->sqlerrcode != ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		am_err_set(err, AM_ERR_DATA, "%s%s%s", edata->message,
				   edata->detail ? " " : "", edata->detail ? edata->detail : "");
		FreeErrorData(edata);
		result = NULL;
	}
	PG_END_TRY();
	return result;
}
