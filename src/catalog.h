/*
 * catalog.h
 *	  Reads and writes of the extension's catalog tables.
 *
 * Reads on the scoring path (deployed version, model bytes) are index scans
 * with the catalog snapshot: no SPI, no planning, safe in parallel workers
 * and on hot standbys.  Writes go through SPI as the extension owner with
 * search_path pinned to pg_catalog, so ordinary roles need no rights on the
 * tables and cannot redirect the statements.
 */
#ifndef AUTOML_CATALOG_H
#define AUTOML_CATALOG_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* Forget cached relation OIDs (extension dropped or recreated). */
extern void catalog_forget_oids(void);
/* Is this relation one whose changes invalidate the scoring caches? */
extern bool catalog_is_cache_relation(Oid relid);
extern Oid	catalog_models_relid(void);

/* Deployed version of a name; false when the name has none. */
extern bool catalog_deployed_version(const char *name, int32 *version);
/* Does a model name exist at all? */
extern bool catalog_name_exists(const char *name);
/* Serialized bytes of a version (palloc'd copy); NULL when absent. */
extern bytea *catalog_model_bytes(const char *name, int32 version, int64 *model_id);

/* Run writes as the extension owner with a safe search_path. */
typedef struct CatalogWriter
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	char	   *caller;			/* name of the role the writes are for */
} CatalogWriter;

extern void catalog_begin_write(CatalogWriter *w);
extern void catalog_end_write(CatalogWriter *w);

/* These need SPI connected and catalog_begin_write() in effect. */
extern int64 catalog_insert_run(const CatalogWriter *w, const char *name,
								const char *source, const char *target,
								const char *options_json, Interval *budget,
								int max_trials);
extern void catalog_finish_run(int64 run_id, const char *status, int32 version,
							   const char *task, const char *metric);
extern void catalog_insert_trial(int64 run_id, int trial, const char *name,
								 const char *algorithm, const char *params_json,
								 const char *metric, double score, double score_std,
								 const double *fold_scores, int n_folds,
								 double fit_seconds, double predict_seconds,
								 double elapsed, const char *status,
								 const char *error);
extern int32 catalog_next_version(const CatalogWriter *w, const char *name);

typedef struct CatalogModelRow
{
	const char *name;
	int32		version;
	const char *task;
	const char *algorithm;
	const char *hyperparameters;	/* JSON text */
	const char *metric;
	double		score;			/* NaN: NULL */
	double		score_std;
	const char *metrics;		/* JSON text */
	const char *target;
	const char *target_type;
	int			n_classes;
	char	  **classes;
	const char *features;		/* JSON text */
	const char *source;
	const char *options;		/* JSON text */
	int64		seed;
	int64		n_rows;
	int			n_features;
	const char *fingerprint;
	int64		run_id;
	int			trials;
	double		train_seconds;
	const void *bytes;
	size_t		n_bytes;
	int			format_version;
} CatalogModelRow;

extern int64 catalog_insert_model(const CatalogWriter *w, const CatalogModelRow *row);
/* Make a version live; returns the previously deployed version or 0. */
extern int32 catalog_deploy(const CatalogWriter *w, const char *name, int32 version,
							const char *strategy, const char *reason);

#endif							/* AUTOML_CATALOG_H */
