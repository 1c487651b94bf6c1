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
extern Oid	catalog_deployments_relid(void);

/* Deployed version of a name; false when the name has none. */
extern bool catalog_deployed_version(const char *name, int32 *version);
/* Does a model name exist at all? */
extern bool catalog_name_exists(const char *name);
/* Serialized bytes of a version (palloc'd copy); NULL when absent. */
extern bytea *catalog_model_bytes(const char *name, int32 version, int64 *model_id);
/*
 * One column of a version's row in automl.models in its text form (NULL when
 * the value is NULL); found says whether the version exists.  For the
 * metadata that scoring roles may use without reading the table.
 */
extern char *catalog_model_column_text(const char *name, int32 version, const char *column,
									   bool *found);
/* Owner of a model name; false when the name does not exist. */
extern bool catalog_model_owner(const char *name, Oid *owner);
/* Its owner and the id of its current model (either pointer may be NULL). */
extern bool catalog_model_name(const char *name, Oid *owner, int64 *name_id);

/* Rights granted on a model name (list of CatalogGrant *). */
typedef struct CatalogGrant
{
	Oid			grantee;		/* InvalidOid: PUBLIC */
	int			privilege;		/* AmPrivilege */
} CatalogGrant;

extern List *catalog_model_grants(const char *name);

/* Run writes as the extension owner with a safe search_path. */
typedef struct CatalogWriter
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	MemoryContext save_cxt;		/* SPI calls switch contexts: restored at the end */
	Oid			caller_id;		/* the role the writes are for (the current user) */
	char	   *caller;			/* its name */
} CatalogWriter;

extern void catalog_begin_write(CatalogWriter *w);
extern void catalog_end_write(CatalogWriter *w);

/*
 * Run a statement through SPI; returns column 1 of the first row (isnull set)
 * and errors unless SPI returns "expected".  Leaves CurrentMemoryContext as
 * it found it (SPI calls otherwise end in the SPI procedure context).
 */
extern Datum catalog_exec(const char *sql, int nargs, Oid *types, Datum *values,
						  const char *nulls, int expected, bool *isnull);

/* The arguments of a training run, as recorded for automl.retrain(). */
typedef struct CatalogRunArgs
{
	const char *name;
	const char *source;
	const char *target;
	const char *task;			/* as requested */
	const char *metric;			/* as requested, or NULL */
	Interval   *budget;			/* or NULL */
	int			max_trials;		/* 0: none */
	char	  **algorithms;
	int			n_algorithms;
	char	  **exclude;
	int			n_exclude;
	const char *options_json;
	const char *source_query;	/* the query run (a table source resolved) */
	const char *search_path;	/* in effect when the source was resolved */
	Oid			source_role;	/* the role the source was read as */
	Oid			source_relation;	/* a table source: its relation (else InvalidOid) */
} CatalogRunArgs;

/* These need SPI connected and catalog_begin_write() in effect. */
extern int64 catalog_insert_run(const CatalogWriter *w, const CatalogRunArgs *args);
extern void catalog_finish_run(int64 run_id, const char *status, int32 version,
							   const char *task, const char *metric, int64 rows_read,
							   int64 rows_used, int64 peak_memory_kb, List *warnings);
extern void catalog_insert_trial(int64 run_id, int trial, const char *name,
								 const char *algorithm, const char *params_json,
								 const char *metric, double score, double score_std,
								 const double *fold_scores, int n_folds,
								 double fit_seconds, double predict_seconds,
								 double elapsed, const char *status,
								 const char *error, bool resumed);
/*
 * The next version of a name (creating it, owned by the writer's role),
 * locking the name's row to commit; errors unless the writer's role may
 * train the name, checked under that lock on a fresh snapshot.
 */
extern int32 catalog_next_version(const CatalogWriter *w, const char *name);
/*
 * May this role train the name (own it, or hold the train right, or be a
 * superuser)?  A fresh read through SPI, not the cached answer; true for a
 * name that does not exist.
 */
extern bool catalog_may_train(const char *name, Oid role);

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
	const char *lineage;		/* JSON text, or NULL */
	const char *diagnostics;	/* JSON text, or NULL */
	const char *profile;		/* JSON text, or NULL */
	const char *drift_reference;	/* JSON text, or NULL */
	const void *bytes;
	size_t		n_bytes;
	int			format_version;
	Oid			created_session;	/* the session user of the trainer (created_by: the writer) */
} CatalogModelRow;

extern int64 catalog_insert_model(const CatalogWriter *w, const CatalogModelRow *row);
/* Make a version live; returns the previously deployed version or 0. */
extern int32 catalog_deploy(const CatalogWriter *w, const char *name, int32 version,
							const char *strategy, const char *reason);
/* The live version of a name (0 when none), locking the name's row. */
extern int32 catalog_lock_live_version(const char *name);

extern void catalog_grant(const CatalogWriter *w, const char *name, Oid grantee,
						  const char *privilege);
extern void catalog_revoke(const char *name, Oid grantee, const char *privilege);

/* A role's name for messages ("dropped role <oid>" when it no longer exists). */
extern char *role_name(Oid role);

#endif							/* AUTOML_CATALOG_H */
