/*
 * automl.h
 *	  Declarations shared by the SQL-facing files: GUC variables, module
 *	  initialisers, and the mapping of pure-code errors to ereport().
 */
#ifndef AUTOML_AUTOML_H
#define AUTOML_AUTOML_H

#include "postgres.h"

#include "core.h"

#define AUTOML_VERSION "0.2.0"
#define AUTOML_SCHEMA "automl"

/* GUCs */
extern int	automl_memory_limit_kb;
extern int	automl_max_threads;
extern bool automl_progress;
extern bool automl_huge_pages;
extern bool automl_require_approval;

extern void _PG_init(void);

/*
 * Error out when this session carries a value of a superuser-only automl.*
 * setting that was rejected when the library loaded (automl.c).
 */
extern void automl_check_settings(void);

/* One initialiser per module, called from _PG_init(). */
extern void AutomlGucInit(void);
extern void ModelCacheInit(void);
extern void JobsInit(void);

/*
 * A dynamic background worker of this library: database connection, started
 * once recovery is over, never restarted; function (an exported symbol),
 * type and name as given.  The caller sets the argument, bgw_extra and
 * bgw_notify_pid.
 */
struct BackgroundWorker;
extern void automl_worker_init(struct BackgroundWorker *w, const char *function,
							   const char *type, const char *name);

/* Raise an AmErr as an ERROR with a matching SQLSTATE. */
extern void automl_raise(const AmErr *err, const char *context) pg_attribute_noreturn();
extern int	automl_errcode(AmErrKind kind);

/* core_pg.c: the memory context whose size am_memory_reserve() checks. */
extern void automl_set_budget_context(MemoryContext cxt);
/* Largest size the budget context reached (bytes), as far as it was checked. */
extern Size automl_budget_peak(void);

#endif							/* AUTOML_AUTOML_H */
