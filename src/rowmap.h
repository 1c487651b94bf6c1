/*
 * rowmap.h
 *	  Mapping a row type's columns to a model's features, once per row type,
 *	  and reading a row's values as the model's raw features.  Used by the
 *	  scoring functions (fn_extra), explain and batch scoring.
 */
#ifndef AUTOML_ROWMAP_H
#define AUTOML_ROWMAP_H

#include "postgres.h"

#include "access/tupdesc.h"

#include "convert.h"
#include "model_cache.h"

typedef struct RowMap
{
	const CachedModel *cm;
	const char *model_name;		/* for messages */
	TupleDesc	tupdesc;
	int		   *attno;			/* per source column: 0-based attribute */
	AmValueReader *readers;		/* per source column */
	double		parts[AM_PART_EPOCH_DAYS + 1];	/* date parts of one column */
} RowMap;

/*
 * Match td's columns to the model's source columns by name (errors on a
 * missing column or an incompatible type); allocates in CurrentMemoryContext.
 */
extern void rowmap_init(RowMap *rm, const CachedModel *cm, const char *model_name,
						TupleDesc td);

/* The same when value c of a row is source column c, of type types[c]. */
extern void rowmap_init_types(RowMap *rm, const CachedModel *cm, const char *model_name,
							  const Oid *types);

/*
 * The raw features of one row (values/nulls indexed like td) into
 * raw[j * stride] for feature j.
 */
extern void rowmap_features(RowMap *rm, const Datum *values, const bool *nulls,
							double *raw, size_t stride);

#endif							/* AUTOML_ROWMAP_H */
