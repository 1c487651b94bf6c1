/*
 * load.h
 *	  Reading training data through SPI (load_spi.c).
 */
#ifndef AUTOML_LOAD_H
#define AUTOML_LOAD_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "dataset.h"

typedef struct AmLoadRequest
{
	const char *source;			/* relation name or query */
	const char *sql;			/* or the query that reads it, already resolved */
	const char *search_path;	/* NULL: the session's; else in effect while reading */
	Oid			as_role;		/* InvalidOid: read as the current role; else as this
								 * one, in a security-restricted operation */
	const char *target;
	char	  **exclude;		/* columns left out */
	int			n_exclude;
	const char *task;			/* auto, classification, binary, multiclass, regression */
	int			max_categories;
	int64		max_rows;		/* sample down to this (0: what fits the memory limit) */
	uint64		seed;			/* of the sample */
	bool		quiet;			/* keep the notes without raising NOTICEs */
} AmLoadRequest;

typedef struct AmLoadResult
{
	AmDataset  *data;
	AmSchema   *schema;
	char	   *sql;			/* the query that was run */
	int64		rows_skipped;	/* NULL target */
	int64		rows_read;		/* with a target; more than the data's rows when sampled */
	List	   *notes;			/* texts of the NOTICEs raised while loading */
	List	   *dropped;		/* AmDroppedColumn: columns left out, and why */
} AmLoadResult;

typedef struct AmDroppedColumn
{
	char	   *name;
	const char *role;			/* excluded, unsupported type, empty, constant, id-like */
} AmDroppedColumn;

/* SQL that reads the source: the query itself, or SELECT * FROM the relation. */
extern char *automl_source_sql(const char *source);
/* The same, and the relation's OID (InvalidOid for a query) when relid is not NULL. */
extern char *automl_source_sql_rel(const char *source, Oid *relid);
/* The same, resolved on this search_path (NULL: the session's) as this role (if valid). */
extern char *automl_source_sql_as(const char *source, const char *search_path, Oid role,
								  Oid *relid);
/* SELECT * FROM the relation, by its current name (locked); errors if it is gone. */
extern char *automl_relation_sql(Oid relid);

/*
 * The first temporary relation the query reads (through views too), or NULL:
 * another session (a background job) could not read it.
 */
extern char *automl_query_temp_relation(const char *sql);

/*
 * The user's source runs in a read-only state: a query with side effects
 * (nextval(), a function that writes) fails instead of changing data while
 * it is read.  begin returns the GUC nest level that end restores; an error
 * in between restores it with the (sub)transaction.
 */
extern int	automl_begin_source_read(void);
extern void automl_end_source_read(int nest);

/* Load; the caller has connected to SPI.  Runs as the current role, or req->as_role. */
extern void automl_load(const AmLoadRequest *req, AmLoadResult *res);

#endif							/* AUTOML_LOAD_H */
