/*
 * catalog.c
 *	  Catalog reads by index scan and writes through SPI as the extension
 *	  owner (see catalog.h).
 */
#include "automl.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "catalog.h"

typedef struct CatalogOids
{
	bool		valid;
	Oid			namespace;
	Oid			models;
	Oid			models_key;		/* (name, version) */
	Oid			model_data;
	Oid			model_data_pkey;
	Oid			deployments;
	Oid			deployments_idx;	/* (name, deployment_id) */
	Oid			model_names;
	Oid			model_names_pkey;
	Oid			model_privileges;
	Oid			model_privileges_pkey;
} CatalogOids;

static CatalogOids oids;

static Oid	extension_owner(char **version);

void
catalog_forget_oids(void)
{
	oids.valid = false;
}

static Oid
relid_of(const char *relname)
{
	Oid			relid = get_relname_relid(relname, oids.namespace);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("catalog table automl.%s is missing", relname),
				 errhint("Reinstall the extension with DROP EXTENSION automl; CREATE EXTENSION automl.")));
	return relid;
}

/*
 * The library serves the catalog of its own version only: after an upgrade
 * of the package, a database still on the previous version must be updated
 * before it is used (its tables and functions do not match this code).
 */
static void
check_extension_version(void)
{
	char	   *installed;

	(void) extension_owner(&installed);
	if (strcmp(installed, AUTOML_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("automl version %s is installed in this database, but the library is version %s",
						installed, AUTOML_VERSION),
				 errhint("Run ALTER EXTENSION automl UPDATE.")));
}

static void
lookup_oids(void)
{
	if (oids.valid)
		return;
	check_extension_version();
	oids.namespace = get_namespace_oid(AUTOML_SCHEMA, true);
	if (!OidIsValid(oids.namespace))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", AUTOML_SCHEMA),
				 errhint("Run CREATE EXTENSION automl in this database.")));
	oids.models = relid_of("model_table");
	oids.models_key = relid_of("models_name_version_key");
	oids.model_data = relid_of("model_data");
	oids.model_data_pkey = relid_of("model_data_pkey");
	oids.deployments = relid_of("deployments");
	oids.deployments_idx = relid_of("deployments_name_idx");
	oids.model_names = relid_of("model_names");
	oids.model_names_pkey = relid_of("model_names_pkey");
	oids.model_privileges = relid_of("model_privileges");
	oids.model_privileges_pkey = relid_of("model_privileges_pkey");
	oids.valid = true;
}

bool
catalog_is_cache_relation(Oid relid)
{
	if (!oids.valid)
		return false;
	return relid == oids.models || relid == oids.model_data ||
		relid == oids.deployments || relid == oids.model_names ||
		relid == oids.model_privileges;
}

Oid
catalog_models_relid(void)
{
	lookup_oids();
	return oids.models;
}

Oid
catalog_deployments_relid(void)
{
	lookup_oids();
	return oids.deployments;
}

static AttrNumber
attnum_of(Relation rel, const char *attname)
{
	TupleDesc	td = RelationGetDescr(rel);

	for (int i = 0; i < td->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(td, i)->attname), attname) == 0)
			return (AttrNumber) (i + 1);
	elog(ERROR, "column \"%s\" is missing from automl.%s", attname, RelationGetRelationName(rel));
	return InvalidAttrNumber;
}

bool
catalog_deployed_version(const char *name, int32 *version)
{
	Relation	rel,
				idx;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	lookup_oids();
	rel = table_open(oids.deployments, AccessShareLock);
	idx = index_open(oids.deployments_idx, AccessShareLock);
	/* systable scans take heap attribute numbers */
	ScanKeyInit(&key, attnum_of(rel, "name"), BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	scan = systable_beginscan_ordered(rel, idx, NULL, 1, &key);
	tup = systable_getnext_ordered(scan, BackwardScanDirection);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, attnum_of(rel, "version"), RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			*version = DatumGetInt32(d);
			found = true;
		}
	}
	systable_endscan_ordered(scan);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

bool
catalog_model_owner(const char *name, Oid *owner)
{
	return catalog_model_name(name, owner, NULL);
}

bool
catalog_model_name(const char *name, Oid *owner, int64 *name_id)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		found = false;

	lookup_oids();
	rel = table_open(oids.model_names, AccessShareLock);
	ScanKeyInit(&key, attnum_of(rel, "name"), BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	scan = systable_beginscan(rel, oids.model_names_pkey, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, attnum_of(rel, "owner"), RelationGetDescr(rel), &isnull);

		if (owner)
			*owner = DatumGetObjectId(d);
		if (name_id)
			*name_id = DatumGetInt64(heap_getattr(tup, attnum_of(rel, "name_id"),
												  RelationGetDescr(rel), &isnull));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

bool
catalog_name_exists(const char *name)
{
	return catalog_model_name(name, NULL, NULL);
}

List *
catalog_model_grants(const char *name)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	List	   *result = NIL;
	AttrNumber	grantee_att,
				privilege_att;

	lookup_oids();
	rel = table_open(oids.model_privileges, AccessShareLock);
	grantee_att = attnum_of(rel, "grantee");
	privilege_att = attnum_of(rel, "privilege");
	ScanKeyInit(&key, attnum_of(rel, "name"), BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	scan = systable_beginscan(rel, oids.model_privileges_pkey, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		CatalogGrant *g = palloc(sizeof(CatalogGrant));
		bool		isnull;
		char	   *priv;

		g->grantee = DatumGetObjectId(heap_getattr(tup, grantee_att, RelationGetDescr(rel),
													&isnull));
		priv = TextDatumGetCString(heap_getattr(tup, privilege_att, RelationGetDescr(rel),
												&isnull));
		g->privilege = strcmp(priv, "train") == 0 ? 0 : strcmp(priv, "deploy") == 0 ? 1 : 2;
		result = lappend(result, g);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

bytea *
catalog_model_bytes(const char *name, int32 version, int64 *model_id)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tup;
	bytea	   *bytes = NULL;
	bool		found = false;

	lookup_oids();
	rel = table_open(oids.models, AccessShareLock);
	ScanKeyInit(&keys[0], attnum_of(rel, "name"), BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	ScanKeyInit(&keys[1], attnum_of(rel, "version"), BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(version));
	scan = systable_beginscan(rel, oids.models_key, true, NULL, 2, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;

		*model_id = DatumGetInt64(heap_getattr(tup, attnum_of(rel, "model_id"),
											   RelationGetDescr(rel), &isnull));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!found)
		return NULL;

	rel = table_open(oids.model_data, AccessShareLock);
	ScanKeyInit(&keys[0], attnum_of(rel, "model_id"), BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(*model_id));
	scan = systable_beginscan(rel, oids.model_data_pkey, true, NULL, 1, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, attnum_of(rel, "data"), RelationGetDescr(rel), &isnull);

		if (!isnull)
			bytes = DatumGetByteaPCopy(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return bytes;
}

char *
catalog_model_column_text(const char *name, int32 version, const char *column, bool *found)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tup;
	char	   *result = NULL;

	*found = false;
	lookup_oids();
	rel = table_open(oids.models, AccessShareLock);
	ScanKeyInit(&keys[0], attnum_of(rel, "name"), BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	ScanKeyInit(&keys[1], attnum_of(rel, "version"), BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(version));
	scan = systable_beginscan(rel, oids.models_key, true, NULL, 2, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		AttrNumber	att = attnum_of(rel, column);
		bool		isnull;
		Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);

		*found = true;
		if (!isnull)
		{
			Oid			out;
			bool		varlena;

			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid,
							  &out, &varlena);
			result = OidOutputFunctionCall(out, d);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* The extension's owner, and (version not NULL) its installed version. */
static Oid
extension_owner(char **version)
{
	Oid			extoid = get_extension_oid("automl", false);
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "could not find extension automl");
	owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	if (version)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		*version = isnull ? pstrdup("") : TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

void
catalog_begin_write(CatalogWriter *w)
{
	automl_check_settings();
	lookup_oids();
	w->save_cxt = CurrentMemoryContext;
	GetUserIdAndSecContext(&w->save_userid, &w->save_sec_context);
	w->caller_id = w->save_userid;
	w->caller = GetUserNameFromId(w->save_userid, false);
	SetUserIdAndSecContext(extension_owner(NULL),
						   w->save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	w->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

void
catalog_end_write(CatalogWriter *w)
{
	AtEOXact_GUC(true, w->save_nestlevel);
	SetUserIdAndSecContext(w->save_userid, w->save_sec_context);
	MemoryContextSwitchTo(w->save_cxt);
}

Datum
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
			 int expected, bool *isnull)
{
	MemoryContext old = CurrentMemoryContext;
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	Datum		result = (Datum) 0;

	MemoryContextSwitchTo(old);
	if (rc != expected)
		elog(ERROR, "automl catalog statement failed (%s): %s",
			 SPI_result_code_string(rc), sql);
	*isnull = true;
	if (SPI_processed > 0 && SPI_tuptable != NULL)
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	return result;
}

static Datum
text_or_null(const char *s, char *null_flag)
{
	*null_flag = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static Datum
jsonb_of(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json ? json : "{}"));
}

static Datum
float_or_null(double v, char *null_flag)
{
	*null_flag = isnan(v) ? 'n' : ' ';
	return Float8GetDatum(isnan(v) ? 0.0 : v);
}

static Datum
text_array_or_null(char **v, int n, char *null_flag);
static Datum
text_array(char **v, int n);

int64
catalog_insert_run(const CatalogWriter *w, const CatalogRunArgs *a)
{
	Oid			types[15] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INTERVALOID, INT4OID,
		TEXTARRAYOID, TEXTARRAYOID, JSONBOID, REGROLEOID, TEXTOID, TEXTOID, REGROLEOID, REGCLASSOID};
	Datum		values[15];
	char		nulls[15];
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(a->name);
	values[1] = CStringGetTextDatum(a->source);
	values[2] = CStringGetTextDatum(a->target);
	values[3] = CStringGetTextDatum(a->task);
	values[4] = text_or_null(a->metric, &nulls[4]);
	values[5] = a->budget ? IntervalPGetDatum(a->budget) : (Datum) 0;
	nulls[5] = a->budget ? ' ' : 'n';
	values[6] = Int32GetDatum(a->max_trials);
	nulls[6] = a->max_trials > 0 ? ' ' : 'n';
	values[7] = text_array_or_null(a->algorithms, a->n_algorithms, &nulls[7]);
	values[8] = text_array_or_null(a->exclude, a->n_exclude, &nulls[8]);
	values[9] = jsonb_of(a->options_json);
	values[10] = ObjectIdGetDatum(w->caller_id);
	values[11] = text_or_null(a->source_query, &nulls[11]);
	values[12] = text_or_null(a->search_path, &nulls[12]);
	values[13] = ObjectIdGetDatum(a->source_role);
	nulls[13] = OidIsValid(a->source_role) ? ' ' : 'n';
	values[14] = ObjectIdGetDatum(a->source_relation);
	nulls[14] = OidIsValid(a->source_relation) ? ' ' : 'n';
	return DatumGetInt64(catalog_exec("INSERT INTO automl.runs (name, source, target, task, metric, "
									  "time_budget, max_trials, algorithms, exclude, options, "
									  "started_by, source_query, search_path, source_role, "
									  "source_relation, name_id) "
									  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
									  "$13, $14, $15, (SELECT n.name_id FROM automl.model_names n "
									  "WHERE n.name = $1)) RETURNING run_id",
									  15, types, values, nulls, SPI_OK_INSERT_RETURNING, &isnull));
}

void
catalog_finish_run(int64 run_id, const char *status, int32 version, const char *task,
				   const char *metric, int64 rows_read, int64 rows_used, int64 peak_memory_kb,
				   List *warnings)
{
	Oid			types[9] = {INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID,
	TEXTARRAYOID};
	Datum		values[9];
	char		nulls[9] = "         ";
	bool		isnull;
	char	  **texts = palloc(sizeof(char *) * Max(list_length(warnings), 1));
	int			n = 0;
	ListCell   *lc;

	values[0] = Int64GetDatum(run_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = Int32GetDatum(version);
	nulls[2] = version > 0 ? ' ' : 'n';
	values[3] = text_or_null(task, &nulls[3]);
	values[4] = text_or_null(metric, &nulls[4]);
	values[5] = Int64GetDatum(rows_read);
	values[6] = Int64GetDatum(rows_used);
	values[7] = Int64GetDatum(peak_memory_kb);
	foreach(lc, warnings)
		texts[n++] = lfirst(lc);
	values[8] = text_array(texts, n);
	/* a stored run belongs to the name's model (a new name's, from now on) */
	catalog_exec("UPDATE automl.runs r SET status = $2, version = $3, task = $4, metric = $5, "
				 "rows_read = $6, rows_used = $7, peak_memory_kb = $8, warnings = $9, "
				 "finished_at = pg_catalog.clock_timestamp(), "
				 "name_id = CASE WHEN $3 IS NULL THEN r.name_id ELSE "
				 "(SELECT n.name_id FROM automl.model_names n WHERE n.name = r.name) END "
				 "WHERE run_id = $1",
				 9, types, values, nulls, SPI_OK_UPDATE, &isnull);
}

static Datum
float8_array(const double *v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_array(elems, n, FLOAT8OID, sizeof(float8),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum
text_array(char **v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(v[i]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
text_array_or_null(char **v, int n, char *null_flag)
{
	*null_flag = v ? ' ' : 'n';
	return v ? text_array(v, n) : (Datum) 0;
}

void
catalog_insert_trial(int64 run_id, int trial, const char *name, const char *algorithm,
					 const char *params_json, const char *metric, double score,
					 double score_std, const double *fold_scores, int n_folds,
					 double fit_seconds, double predict_seconds, double elapsed,
					 const char *status, const char *error, bool resumed)
{
	Oid			types[15] = {INT8OID, INT4OID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
		FLOAT8OID, FLOAT8OID, FLOAT8ARRAYOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID, TEXTOID,
	BOOLOID};
	Datum		values[15];
	char		nulls[15];
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(run_id);
	values[1] = Int32GetDatum(trial);
	values[2] = CStringGetTextDatum(name);
	values[3] = CStringGetTextDatum(algorithm);
	values[4] = jsonb_of(params_json);
	values[5] = CStringGetTextDatum(metric);
	values[6] = float_or_null(score, &nulls[6]);
	values[7] = float_or_null(score_std, &nulls[7]);
	values[8] = float8_array(fold_scores, n_folds);
	nulls[8] = n_folds > 0 ? ' ' : 'n';
	values[9] = Float8GetDatum(fit_seconds);
	values[10] = Float8GetDatum(predict_seconds);
	values[11] = Float8GetDatum(elapsed);
	values[12] = CStringGetTextDatum(status);
	values[13] = text_or_null(error, &nulls[13]);
	values[14] = BoolGetDatum(resumed);
	catalog_exec("INSERT INTO automl.trials (run_id, trial, name, algorithm, hyperparameters, "
		 "metric, score, score_std, fold_scores, fit_seconds, predict_seconds, "
		 "elapsed_seconds, status, error, resumed) "
		 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
		 15, types, values, nulls, SPI_OK_INSERT, &isnull);
}

int32
catalog_next_version(const CatalogWriter *w, const char *name)
{
	Oid			types[2] = {TEXTOID, REGROLEOID};
	Datum		values[2];
	bool		isnull;
	int32		version;

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(w->caller_id);

	/*
	 * The row lock taken here is held to commit, so two trainings of one
	 * name get distinct versions; it is taken only once the search is done.
	 */
	version = DatumGetInt32(catalog_exec("INSERT INTO automl.model_names AS m (name, owner) "
										 "VALUES ($1, $2) ON CONFLICT (name) DO UPDATE "
										 "SET last_version = m.last_version + 1 "
										 "RETURNING last_version",
										 2, types, values, NULL, SPI_OK_INSERT_RETURNING,
										 &isnull));

	/*
	 * The right to train the name, checked again under that lock and on a
	 * fresh snapshot: the name may have been created by another role while
	 * this training ran, or the right revoked (grant and revoke update the
	 * row, so under REPEATABLE READ the lock above already failed).
	 */
	if (!catalog_may_train(name, w->caller_id))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to train a new version of model \"%s\"", name),
				 errdetail("Role \"%s\" may not train it: another role created the name while this training ran, "
						   "or the train right was revoked; it is checked again when a version is stored.",
						   w->caller)));
	return version;
}

bool
catalog_may_train(const char *name, Oid role)
{
	Oid			types[2] = {TEXTOID, REGROLEOID};
	Datum		values[2];
	bool		isnull;

	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(role);
	/* pg_has_role(.., 'USAGE') is has_privs_of_role(): superusers pass */
	return DatumGetBool(catalog_exec("SELECT pg_catalog.pg_has_role($2, n.owner, 'USAGE') OR EXISTS "
									 "(SELECT FROM automl.model_privileges p WHERE p.name = n.name "
									 "AND p.privilege = 'train' AND (p.grantee = 0 OR "
									 "pg_catalog.pg_has_role($2, p.grantee, 'USAGE'))) "
									 "FROM automl.model_names n WHERE n.name = $1",
									 2, types, values, NULL, SPI_OK_SELECT, &isnull)) || isnull;
}

int64
catalog_insert_model(const CatalogWriter *w, const CatalogModelRow *row)
{
	Oid			types[30] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
		FLOAT8OID, FLOAT8OID, JSONBOID, TEXTOID, TEXTOID, TEXTARRAYOID, JSONBOID,
		TEXTOID, JSONBOID, INT8OID, INT8OID, INT4OID, TEXTOID, INT8OID, INT4OID,
		FLOAT8OID, INT4OID, REGROLEOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID, JSONBOID,
	REGROLEOID};
	Datum		values[30];
	char		nulls[30];
	bool		isnull;
	int64		model_id;
	bytea	   *data;
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "automl model insert",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);

	/* the jsonb values are large while built: they go with the scratch context */
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(row->name);
	values[1] = Int32GetDatum(row->version);
	values[2] = CStringGetTextDatum(row->task);
	values[3] = CStringGetTextDatum(row->algorithm);
	values[4] = jsonb_of(row->hyperparameters);
	values[5] = CStringGetTextDatum(row->metric);
	values[6] = float_or_null(row->score, &nulls[6]);
	values[7] = float_or_null(row->score_std, &nulls[7]);
	values[8] = jsonb_of(row->metrics);
	values[9] = CStringGetTextDatum(row->target);
	values[10] = CStringGetTextDatum(row->target_type);
	values[11] = text_array(row->classes, row->n_classes);
	nulls[11] = row->n_classes > 0 ? ' ' : 'n';
	values[12] = jsonb_of(row->features);
	values[13] = CStringGetTextDatum(row->source);
	values[14] = jsonb_of(row->options);
	values[15] = Int64GetDatum(row->seed);
	values[16] = Int64GetDatum(row->n_rows);
	values[17] = Int32GetDatum(row->n_features);
	values[18] = CStringGetTextDatum(row->fingerprint);
	values[19] = Int64GetDatum(row->run_id);
	nulls[19] = row->run_id > 0 ? ' ' : 'n';
	values[20] = Int32GetDatum(row->trials);
	values[21] = Float8GetDatum(row->train_seconds);
	values[22] = Int32GetDatum((int32) row->n_bytes);
	values[23] = ObjectIdGetDatum(w->caller_id);
	values[24] = CStringGetTextDatum(AUTOML_VERSION);
	values[25] = jsonb_of(row->lineage);
	values[26] = jsonb_of(row->diagnostics);
	values[27] = jsonb_of(row->profile ? row->profile : "[]");
	values[28] = jsonb_of(row->drift_reference);
	values[29] = ObjectIdGetDatum(row->created_session);
	model_id = DatumGetInt64(catalog_exec("INSERT INTO automl.model_table (name, version, task, "
								  "algorithm, hyperparameters, metric, score, score_std, metrics, "
								  "target, target_type, classes, features, source, options, seed, "
								  "n_rows, n_features, data_fingerprint, run_id, trials, "
								  "train_seconds, model_bytes, created_by, extension_version, lineage, "
								  "diagnostics, profile, drift_reference, created_session) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
								  "$13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, "
								  "$26, $27, $28, $29, $30) RETURNING model_id",
								  30, types, values, nulls, SPI_OK_INSERT_RETURNING, &isnull));

	data = palloc(VARHDRSZ + row->n_bytes);
	SET_VARSIZE(data, VARHDRSZ + row->n_bytes);
	memcpy(VARDATA(data), row->bytes, row->n_bytes);
	{
		Oid			dtypes[3] = {INT8OID, INT4OID, BYTEAOID};
		Datum		dvalues[3];

		dvalues[0] = Int64GetDatum(model_id);
		dvalues[1] = Int32GetDatum(row->format_version);
		dvalues[2] = PointerGetDatum(data);
		catalog_exec("INSERT INTO automl.model_data (model_id, format_version, data) "
			 "VALUES ($1, $2, $3)", 3, dtypes, dvalues, NULL, SPI_OK_INSERT, &isnull);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	return model_id;
}

int32
catalog_lock_live_version(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;
	Datum		d;

	values[0] = CStringGetTextDatum(name);
	/* deployments of one name queue behind its model_names row */
	(void) catalog_exec("SELECT 1 FROM automl.model_names WHERE name = $1 FOR UPDATE",
						1, types, values, NULL, SPI_OK_SELECT, &isnull);
	d = catalog_exec("SELECT version FROM automl.deployments WHERE name = $1 "
					 "ORDER BY deployment_id DESC LIMIT 1",
					 1, types, values, NULL, SPI_OK_SELECT, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

int32
catalog_deploy(const CatalogWriter *w, const char *name, int32 version,
			   const char *strategy, const char *reason)
{
	Oid			types[6] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, REGROLEOID, INT4OID};
	Datum		values[6];
	char		nulls[6] = "      ";
	int32		previous = catalog_lock_live_version(name);
	bool		isnull;

	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	values[2] = CStringGetTextDatum(strategy);
	values[3] = text_or_null(reason, &nulls[3]);
	values[4] = ObjectIdGetDatum(w->caller_id);
	values[5] = Int32GetDatum(previous);
	nulls[5] = previous > 0 ? ' ' : 'n';

	(void) catalog_exec("INSERT INTO automl.deployments (name, version, previous_version, "
						"strategy, reason, deployed_by) VALUES ($1, $2, $6, $3, $4, $5)",
						6, types, values, nulls, SPI_OK_INSERT, &isnull);
	(void) catalog_exec("UPDATE automl.model_table SET status = CASE WHEN version = $2 "
						"THEN 'deployed' ELSE 'retired' END "
						"WHERE name = $1 AND (version = $2 OR status = 'deployed')",
						2, types, values, NULL, SPI_OK_UPDATE, &isnull);
	return previous;
}

/*
 * Grants and revokes update the name's row too: a training of the name that
 * stores its version under REPEATABLE READ after a revoke committed then
 * fails on that row instead of missing the revoke.
 */
static void
rights_changed(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	bool		isnull;

	(void) catalog_exec("UPDATE automl.model_names SET rights_changed_at = pg_catalog.clock_timestamp() "
						"WHERE name = $1", 1, types, values, NULL, SPI_OK_UPDATE, &isnull);
}

void
catalog_grant(const CatalogWriter *w, const char *name, Oid grantee, const char *privilege)
{
	Oid			types[4] = {TEXTOID, REGROLEOID, TEXTOID, REGROLEOID};
	Datum		values[4];
	bool		isnull;

	rights_changed(name);
	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(grantee);
	values[2] = CStringGetTextDatum(privilege);
	values[3] = ObjectIdGetDatum(w->caller_id);
	(void) catalog_exec("INSERT INTO automl.model_privileges (name, grantee, privilege, granted_by) "
						"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
						4, types, values, NULL, SPI_OK_INSERT, &isnull);
}

void
catalog_revoke(const char *name, Oid grantee, const char *privilege)
{
	Oid			types[3] = {TEXTOID, REGROLEOID, TEXTOID};
	Datum		values[3];
	bool		isnull;

	rights_changed(name);
	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(grantee);
	values[2] = CStringGetTextDatum(privilege);
	(void) catalog_exec("DELETE FROM automl.model_privileges "
						"WHERE name = $1 AND grantee = $2 AND privilege = $3",
						3, types, values, NULL, SPI_OK_DELETE, &isnull);
}

/* A role's name for messages ("role 16384" when it was dropped). */
char *
role_name(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("dropped role %u", role);
}
