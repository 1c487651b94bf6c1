/*
 * model_cache.h
 *	  Per-backend caches for scoring: name -> deployed version, and
 *	  (name, version) -> deserialized model.  Both are flushed by a relcache
 *	  callback when a catalog change commits in any backend (a trigger on the
 *	  catalog tables sends the invalidation), so a deploy is seen by the next
 *	  statement everywhere and a rolled-back deploy by none.
 *
 * A model in use by a running statement is pinned; a flush only marks it
 * dead and the last unpin frees it.
 */
#ifndef AUTOML_MODEL_CACHE_H
#define AUTOML_MODEL_CACHE_H

#include "postgres.h"

#include "model.h"

typedef struct CachedModel
{
	char		name[NAMEDATALEN];
	int32		version;
	int64		model_id;
	MemoryContext cxt;			/* holds everything below */
	AmModel    *model;
	int			n_outputs;
	AmStrMap  **level_maps;		/* per feature: level text -> code (categorical) */
	double	   *class_values;	/* numeric value of each class label, or NaN */
	int			pins;
	bool		dead;
} CachedModel;

/* Deployed version of a model name (errors when unknown or undeployed). */
extern int32 model_cache_deployed_version(const char *name);

/*
 * The model (name, version), loaded and verified on a miss and pinned until
 * pin_cxt is reset or deleted (pass the statement's memory context).
 */
extern CachedModel *model_cache_acquire(const char *name, int32 version,
										MemoryContext pin_cxt);

/* Check a model name argument (length) and return it as a C string. */
extern char *model_name_arg(text *name);

#endif							/* AUTOML_MODEL_CACHE_H */
