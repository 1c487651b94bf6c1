/*
 * api_insight.c
 *	  Looking at data and models from SQL: automl.drift() compares a source
 *	  with the distributions stored at training (PSI and a KS statistic per
 *	  feature, and the prediction distribution), automl.fairness() reports
 *	  per-group rates and errors with ratios to the best-off group, and
 *	  automl.profile() describes any table or query column by column.
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "convert.h"
#include "describe.h"
#include "json.h"
#include "catalog.h"
#include "load.h"
#include "model_cache.h"
#include "privileges.h"
#include "rowmap.h"

PG_FUNCTION_INFO_V1(automl_drift);
PG_FUNCTION_INFO_V1(automl_fairness);
PG_FUNCTION_INFO_V1(automl_profile);

#define BLOCK_ROWS 8192
#define PSI_EPSILON 1e-4
#define KS_ALPHA_COEFFICIENT 1.63	/* two-sample KS critical value at 1% */

/* ---------- drift ---------- */

typedef struct DriftFeature
{
	const char *name;
	bool		numeric;
	int			n_edges;
	double	   *edges;
	int			n_bins;			/* numeric: n_edges + 1; categorical: codes */
	double	   *ref;			/* reference fraction per bin (of present values) */
	double		ref_missing;
	double	   *count;			/* current counts per bin */
	double		missing;
} DriftFeature;

static double *
json_numbers(const AmJson *a, int *n)
{
	double	   *v;

	*n = 0;
	if (a == NULL || a->type != AM_JSON_ARRAY)
		return palloc0(sizeof(double));
	v = palloc0(sizeof(double) * Max(a->n, 1));
	for (int i = 0; i < a->n; i++)
		v[(*n)++] = a->items[i].type == AM_JSON_NUMBER ? a->items[i].number : 0.0;
	return v;
}

static void
read_reference(const AmJson *r, DriftFeature *df)
{
	const AmJson *kind = am_json_get(r, "kind");
	const AmJson *missing = am_json_get(r, "missing");
	int			n_frac;

	df->numeric = kind && kind->type == AM_JSON_STRING && strcmp(kind->string, "numeric") == 0;
	df->edges = json_numbers(am_json_get(r, "edges"), &df->n_edges);
	df->ref = json_numbers(am_json_get(r, "fractions"), &n_frac);
	df->n_bins = n_frac;
	if (df->numeric && n_frac != df->n_edges + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the stored drift reference is inconsistent")));
	df->ref_missing = missing && missing->type == AM_JSON_NUMBER ? missing->number : 0.0;
	df->count = palloc0(sizeof(double) * Max(df->n_bins, 1));
}

static void
count_value(DriftFeature *df, double v)
{
	int			b;

	if (isnan(v))
	{
		df->missing += 1;
		return;
	}
	if (df->numeric)
		b = am_drift_bin(df->edges, df->n_edges, v);
	else
		b = (v >= 0 && v < df->n_bins) ? (int) v : df->n_bins - 1;
	if (b >= 0 && b < df->n_bins)
		df->count[b] += 1;
}

/* PSI over the bins and a "missing" bin, smoothed so empty bins stay finite. */
static double
psi(const DriftFeature *df, double rows)
{
	double		present = rows - df->missing;
	double		total = 0.0;

	for (int b = 0; b <= df->n_bins; b++)
	{
		double		e = b < df->n_bins ? (1 - df->ref_missing) * df->ref[b] : df->ref_missing;
		double		a = b < df->n_bins ? (present > 0 ? df->count[b] / rows : 0) : df->missing / rows;

		total += (a - e) * log((a + PSI_EPSILON) / (e + PSI_EPSILON));
	}
	return total;
}

/* Largest gap between the reference and current CDFs at the bin edges. */
static double
ks(const DriftFeature *df, double rows)
{
	double		present = rows - df->missing;
	double		cref = 0.0,
				cnow = 0.0,
				worst = 0.0;

	if (!df->numeric || present <= 0)
		return NAN;
	for (int b = 0; b < df->n_bins; b++)
	{
		cref += df->ref[b];
		cnow += df->count[b] / present;
		worst = fmax(worst, fabs(cref - cnow));
	}
	return worst;
}

static void
put_drift_row(ReturnSetInfo *rsinfo, const char *feature, const char *kind, double p, double k,
			  double ref_missing, double missing, bool drifted)
{
	Datum		values[7];
	bool		nulls[7] = {false, false, false, isnan(k), isnan(ref_missing), isnan(missing), false};

	values[0] = CStringGetTextDatum(feature);
	values[1] = CStringGetTextDatum(kind);
	values[2] = Float8GetDatum(p);
	values[3] = Float8GetDatum(isnan(k) ? 0 : k);
	values[4] = Float8GetDatum(isnan(ref_missing) ? 0 : ref_missing);
	values[5] = Float8GetDatum(isnan(missing) ? 0 : missing);
	values[6] = BoolGetDatum(drifted);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The stored drift reference of a version, parsed. */
static AmJson *
stored_reference(const char *name, int32 version, int *ref_rows)
{
	bool		found;
	char	   *text = catalog_model_column_text(name, version, "drift_reference", &found);
	AmJson	   *ref = NULL;
	AmErr		err;
	const AmJson *rows;

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version)));
	if (text != NULL)
		ref = am_json_parse(text, strlen(text), &err);
	if (ref == NULL || am_json_get(ref, "features") == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version %d of model \"%s\" has no drift reference", version, name),
				 errhint("Imported models carry no training distributions; retrain to check drift.")));
	rows = am_json_get(ref, "rows");
	*ref_rows = rows && rows->type == AM_JSON_NUMBER ? (int) rows->number : 0;
	return ref;
}

Datum
automl_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name,
			   *sql;
	int32		version;
	double		psi_threshold,
				ks_threshold;
	bool		ks_given;
	CachedModel *cm;
	AmSchema   *s;
	AmJson	   *ref;
	const AmJson *features;
	DriftFeature *df,
				pred_df;
	int			ref_rows,
				outs;
	RowMap		map;
	Portal		portal;
	double	   *raw,
			   *out;
	Datum	   *values;
	bool	   *nulls;
	double		rows = 0;
	int			nb = 0,
				drifted = 0;
	double		max_psi = 0,
				max_ks = 0;
	int			read_only;
	MemoryContext fn_cxt;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name and source must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	psi_threshold = PG_ARGISNULL(2) ? 0.2 : PG_GETARG_FLOAT8(2);
	ks_given = !PG_ARGISNULL(3);
	ks_threshold = ks_given ? PG_GETARG_FLOAT8(3) : 0.1;
	check_model_privilege(name, AM_PRIV_SCORE, "check drift of");
	version = PG_ARGISNULL(4) ? model_cache_deployed_version(name) : PG_GETARG_INT32(4);
	cm = model_cache_acquire(name, version, rsinfo->econtext->ecxt_per_query_memory);
	s = cm->model->schema;
	outs = cm->n_outputs;

	fn_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl drift", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(fn_cxt);
	ref = stored_reference(name, version, &ref_rows);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(fn_cxt);
	features = am_json_get(ref, "features");
	if (features->type != AM_JSON_ARRAY || features->n != s->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the stored drift reference does not match the model's features")));
	df = palloc0(sizeof(DriftFeature) * s->n_features);
	for (int f = 0; f < s->n_features; f++)
	{
		df[f].name = s->features[f].name;
		read_reference(&features->items[f], &df[f]);
	}
	memset(&pred_df, 0, sizeof(pred_df));
	read_reference(am_json_get(ref, "prediction"), &pred_df);

	sql = automl_source_sql(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	read_only = automl_begin_source_read();
	portal = SPI_cursor_open_with_args(NULL, sql, 0, NULL, NULL, NULL, true, 0);
	MemoryContextSwitchTo(fn_cxt);
	rowmap_init(&map, cm, name, portal->tupDesc);
	raw = palloc(sizeof(double) * BLOCK_ROWS * Max(s->n_features, 1));
	out = palloc(sizeof(double) * BLOCK_ROWS * outs);
	values = palloc(sizeof(Datum) * Max(portal->tupDesc->natts, 1));
	nulls = palloc(sizeof(bool) * Max(portal->tupDesc->natts, 1));
	for (;;)
	{
		uint64		n;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, BLOCK_ROWS);
		MemoryContextSwitchTo(fn_cxt);
		n = SPI_processed;
		if (n == 0)
			break;
		nb = (int) n;
		for (int i = 0; i < nb; i++)
		{
			heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
			rowmap_features(&map, values, nulls, raw + i, BLOCK_ROWS);
			for (int f = 0; f < s->n_features; f++)
				count_value(&df[f], raw[(size_t) f * BLOCK_ROWS + i]);
		}
		am_model_predict(cm->model, raw, BLOCK_ROWS, nb, out);
		for (int i = 0; i < nb; i++)
		{
			const double *o = out + (size_t) i * outs;
			double		v = o[0];

			if (s->task == AM_TASK_MULTICLASS)
			{
				int			best = 0;

				for (int k = 1; k < outs; k++)
					if (o[k] > o[best])
						best = k;
				v = best;
			}
			count_value(&pred_df, v);
		}
		rows += nb;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	automl_end_source_read(read_only);
	if (rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source returned no rows")));
	if (!ks_given)
	{
		/* significant at 1% for these sample sizes, and at least 0.1 */
		double		crit = KS_ALPHA_COEFFICIENT * sqrt((rows + ref_rows) / (rows * Max(ref_rows, 1)));

		ks_threshold = fmax(0.1, crit);
	}
	for (int f = 0; f < s->n_features; f++)
	{
		double		p = psi(&df[f], rows),
					k = ks(&df[f], rows);
		bool		flag = p >= psi_threshold || (!isnan(k) && k >= ks_threshold);

		drifted += flag;
		max_psi = fmax(max_psi, p);
		if (!isnan(k))
			max_ks = fmax(max_ks, k);
		put_drift_row(rsinfo, df[f].name, df[f].numeric ? "numeric" : "categorical", p, k,
					  df[f].ref_missing, df[f].missing / rows, flag);
	}
	{
		double		p = psi(&pred_df, rows),
					k = ks(&pred_df, rows);

		put_drift_row(rsinfo, "(prediction)", "prediction", p, k, NAN, NAN,
					  p >= psi_threshold || (!isnan(k) && k >= ks_threshold));
	}
	put_drift_row(rsinfo, psprintf("(%d of %d features drifted)", drifted, s->n_features),
				  "summary", max_psi, max_ks, NAN, NAN, drifted > 0);
	SPI_finish();
	MemoryContextDelete(fn_cxt);
	return (Datum) 0;
}

/* ---------- fairness ---------- */

Datum
automl_fairness(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name,
			   *source_sql,
			   *group,
			   *positive = NULL;
	int32		version;
	CachedModel *cm;
	AmSchema   *s;
	StringInfoData q;
	int			read_only;
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name, source and group column must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	group = text_to_cstring(PG_GETARG_TEXT_PP(2));
	check_model_privilege(name, AM_PRIV_SCORE, "check fairness of");
	version = PG_ARGISNULL(4) ? model_cache_deployed_version(name) : PG_GETARG_INT32(4);
	cm = model_cache_acquire(name, version, per_query);
	s = cm->model->schema;
	if (s->task != AM_TASK_REGRESSION)
	{
		if (!PG_ARGISNULL(3))
			positive = text_to_cstring(PG_GETARG_TEXT_PP(3));
		else if (s->task == AM_TASK_BINARY)
			positive = s->classes[1];
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model \"%s\" has %d classes: name the positive one", name, s->n_classes),
					 errhint("Pass positive_class => one of automl.classes(%s).", quote_literal_cstr(name))));
		{
			bool		known = false;

			for (int k = 0; k < s->n_classes; k++)
				known |= strcmp(s->classes[k], positive) == 0;
			if (!known)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("model \"%s\" has no class \"%s\"", name, positive)));
		}
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	source_sql = automl_source_sql(text_to_cstring(PG_GETARG_TEXT_PP(1)));

	/*
	 * Per group: rates (classification) or errors (regression), then each
	 * group's ratio to the best-off group.  Rows without a target are left
	 * out; a NULL group is a group of its own.
	 */
	initStringInfo(&q);
	if (s->task == AM_TASK_REGRESSION)
		appendStringInfo(&q,
						 "WITH scored AS (SELECT (src.%s)::text AS g, "
						 "automl.predict(%s, %d, src) AS pred, (src.%s)::float8 AS actual "
						 "FROM (%s) src WHERE src.%s IS NOT NULL), "
						 "per_group AS (SELECT coalesce(g, '(null)') AS g, count(*) AS n, "
						 "NULL::float8 AS sel, NULL::float8 AS tpr, NULL::float8 AS fpr, "
						 "NULL::float8 AS prec, NULL::float8 AS acc, "
						 "avg(abs(pred - actual)) AS mae, sqrt(avg((pred - actual) ^ 2)) AS rmse "
						 "FROM scored GROUP BY 1) ",
						 quote_identifier(group), quote_literal_cstr(name), version,
						 quote_identifier(s->target), source_sql, quote_identifier(s->target));
	else
		appendStringInfo(&q,
						 "WITH labelled AS (SELECT (src.%s)::text AS g, "
						 "automl.predict_label(%s, %d, src) AS predicted, "
						 "(src.%s)::text AS actual FROM (%s) src WHERE src.%s IS NOT NULL), "
						 "scored AS (SELECT g, predicted = %s AS pp, actual = %s AS ap, "
						 "predicted = actual AS ok FROM labelled), "
						 "per_group AS (SELECT coalesce(g, '(null)') AS g, count(*) AS n, "
						 "avg(pp::int)::float8 AS sel, "
						 "sum((pp AND ap)::int)::float8 / nullif(sum(ap::int), 0) AS tpr, "
						 "sum((pp AND NOT ap)::int)::float8 / nullif(sum((NOT ap)::int), 0) AS fpr, "
						 "sum((pp AND ap)::int)::float8 / nullif(sum(pp::int), 0) AS prec, "
						 "avg(ok::int)::float8 AS acc, NULL::float8 AS mae, NULL::float8 AS rmse "
						 "FROM scored GROUP BY 1) ",
						 quote_identifier(group), quote_literal_cstr(name), version,
						 quote_identifier(s->target), source_sql, quote_identifier(s->target),
						 quote_literal_cstr(positive), quote_literal_cstr(positive));
	appendStringInfoString(&q,
						   "SELECT g, n, sel, tpr, fpr, prec, acc, mae, rmse, "
						   "sel / nullif(max(sel) OVER (), 0), tpr / nullif(max(tpr) OVER (), 0), "
						   "fpr / nullif(min(fpr) OVER (), 0), prec / nullif(max(prec) OVER (), 0), "
						   "acc / nullif(max(acc) OVER (), 0), mae / nullif(min(mae) OVER (), 0) "
						   "FROM per_group ORDER BY g");
	read_only = automl_begin_source_read();
	if (SPI_execute(q.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not compute the group metrics");
	automl_end_source_read(read_only);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		Datum		values[15];
		bool		nulls[15];
		MemoryContext old = MemoryContextSwitchTo(per_query);

		for (int c = 0; c < 15; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		values[1] = Int64GetDatum(DatumGetInt64(values[1]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}

/* ---------- profile ---------- */

static bool
is_numeric_type(Oid t)
{
	t = getBaseType(t);
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID || t == FLOAT8OID ||
		t == NUMERICOID;
}

static bool
is_orderable_text(Oid t)
{
	t = getBaseType(t);
	return t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID ||
		t == DATEOID || t == TIMESTAMPOID || t == TIMESTAMPTZOID || t == BOOLOID || type_is_enum(t);
}

/* Names of the features that alone predict the target (when a target is given). */
static List *
leaky_columns(const char *source, const char *target)
{
	AmLoadRequest req;
	AmLoadResult loaded;
	AmDiagnosis diag[16];
	int			n;
	List	   *out = NIL;

	memset(&req, 0, sizeof(req));
	req.source = source;
	req.target = target;
	req.task = "auto";
	req.max_categories = 100;
	req.quiet = true;
	automl_load(&req, &loaded);
	n = am_diagnose(loaded.data, diag, lengthof(diag));
	for (int i = 0; i < n; i++)
		if (diag[i].kind == AM_DIAG_LEAK)
			out = lappend(out, loaded.schema->columns[loaded.schema->features[diag[i].feature].source].name);
	return out;
}

static bool
name_in_list(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

Datum
automl_profile(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source,
			   *sql,
			   *target = NULL;
	SPIPlanPtr	plan;
	TupleDesc	td;
	StringInfoData q;
	HeapTuple	stats;
	TupleDesc	stats_td;
	int64		total;
	List	   *leaky = NIL;
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContext fn_cxt;
	bool		isnull;
	int			col,
				read_only;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	fn_cxt = AllocSetContextCreate(TopTransactionContext, "automl profile", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(fn_cxt);
	sql = automl_source_sql(source);
	read_only = automl_begin_source_read();
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	{
		Portal		p = SPI_cursor_open(NULL, plan, NULL, NULL, true);

		MemoryContextSwitchTo(fn_cxt);
		td = CreateTupleDescCopy(p->tupDesc);
		SPI_cursor_close(p);
	}
	MemoryContextSwitchTo(fn_cxt);
	if (target)
	{
		leaky = leaky_columns(source, target);
		MemoryContextSwitchTo(fn_cxt);
	}

	/* one pass for every column's counts, extremes, mean and quantiles */
	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT count(*)");
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);
		const char *c = quote_identifier(NameStr(att->attname));

		if (att->attisdropped)
			continue;
		appendStringInfo(&q, ", count(%s), count(DISTINCT %s::text)", c, c);
		if (is_numeric_type(att->atttypid))
			appendStringInfo(&q, ", min(%s)::text, max(%s)::text, avg(%s::float8), "
							 "percentile_cont(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]) "
							 "WITHIN GROUP (ORDER BY %s::float8)", c, c, c, c);
		else if (is_orderable_text(att->atttypid))
			appendStringInfo(&q, ", min(%s)::text, max(%s)::text, NULL::float8, NULL::float8[]", c, c);
		else
			appendStringInfoString(&q, ", NULL::text, NULL::text, NULL::float8, NULL::float8[]");
	}
	appendStringInfo(&q, " FROM (%s) s", sql);
	if (SPI_execute(q.data, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not profile the source");
	MemoryContextSwitchTo(fn_cxt);
	stats = SPI_copytuple(SPI_tuptable->vals[0]);
	stats_td = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	total = DatumGetInt64(heap_getattr(stats, 1, stats_td, &isnull));

	col = 2;
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);
		const char *colname = NameStr(att->attname);
		int64		present,
					distinct;
		AmSourceKind kind;
		bool		usable = automl_type_kind(att->atttypid, &kind);
		const char *role;
		Datum		values[13];
		bool		nulls[13] = {false};
		Datum		top = (Datum) 0;
		bool		top_null = true;

		if (att->attisdropped)
			continue;
		present = DatumGetInt64(heap_getattr(stats, col, stats_td, &isnull));
		distinct = DatumGetInt64(heap_getattr(stats, col + 1, stats_td, &isnull));
		if (target && strcmp(colname, target) == 0)
			role = "target";
		else if (!usable)
			role = "unsupported";
		else if (present == 0)
			role = "empty";
		else if (distinct == 1 && present == total)
			role = "constant";
		else if (name_in_list(leaky, colname))
			role = "leaky";
		else if (present >= 20 && distinct >= 0.95 * present &&
				 (kind == AM_SRC_CATEGORICAL || getBaseType(att->atttypid) == INT4OID ||
				  getBaseType(att->atttypid) == INT8OID || getBaseType(att->atttypid) == INT2OID))
			role = "id-like";
		else
			role = "feature";
		if (usable && kind == AM_SRC_CATEGORICAL && present > 0)
		{
			/* the most frequent values */
			char	   *tq = psprintf("SELECT coalesce(array_agg(v || ' (' || n || ')' ORDER BY n DESC, v), '{}') "
									  "FROM (SELECT %s::text AS v, count(*) AS n FROM (%s) s "
									  "WHERE %s IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5) t",
									  quote_identifier(colname), sql, quote_identifier(colname));

			if (SPI_execute(tq, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
			{
				MemoryContextSwitchTo(per_query);
				top = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &top_null);
				if (!top_null)
					top = PointerGetDatum(PG_DETOAST_DATUM_COPY(top));
			}
			MemoryContextSwitchTo(fn_cxt);
		}
		MemoryContextSwitchTo(per_query);
		values[0] = CStringGetTextDatum(colname);
		values[1] = CStringGetTextDatum(format_type_be(att->atttypid));
		values[2] = CStringGetTextDatum(usable ? am_source_kind_name(kind) : "unsupported");
		values[3] = Int64GetDatum(total);
		values[4] = Int64GetDatum(total - present);
		values[5] = Float8GetDatum(total ? (double) (total - present) / total : 0);
		values[6] = Int64GetDatum(distinct);
		for (int k = 0; k < 4; k++)
		{
			values[7 + k] = heap_getattr(stats, col + 2 + k, stats_td, &nulls[7 + k]);
			if (!nulls[7 + k] && (k == 0 || k == 1))
				values[7 + k] = CStringGetTextDatum(TextDatumGetCString(values[7 + k]));
			else if (!nulls[7 + k] && k == 3)
				values[7 + k] = PointerGetDatum(PG_DETOAST_DATUM_COPY(values[7 + k]));
		}
		values[11] = top;
		nulls[11] = top_null;
		values[12] = CStringGetTextDatum(role);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(fn_cxt);
		col += 6;
	}
	automl_end_source_read(read_only);
	SPI_finish();
	MemoryContextDelete(fn_cxt);
	return (Datum) 0;
}
