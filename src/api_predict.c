/*
 * api_predict.c
 *	  Scoring functions: automl.predict, predict_label, predict_proba,
 *	  classes, feature_names, feature_importance.
 *
 * The first call in a statement resolves the deployed version, pins the
 * cached model and maps the row type's columns to the model's features;
 * all of it is kept in fn_extra, so later rows only deform the tuple and
 * run the model.
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "convert.h"
#include "model_cache.h"
#include "prep.h"
#include "privileges.h"

PG_FUNCTION_INFO_V1(automl_predict_row);
PG_FUNCTION_INFO_V1(automl_predict_array);
PG_FUNCTION_INFO_V1(automl_predict_label);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_classes);
PG_FUNCTION_INFO_V1(automl_feature_names);
PG_FUNCTION_INFO_V1(automl_feature_importance);

typedef struct PredictState
{
	char		name[NAMEDATALEN];
	size_t		name_len;
	CachedModel *cm;
	/* row mapping, for one row type */
	Oid			tuptype;
	int32		tuptypmod;
	TupleDesc	tupdesc;
	int		   *attno;			/* per source column: 0-based attribute */
	AmValueReader *readers;		/* per source column */
	Datum	   *values;
	bool	   *nulls;
	double	   *parts;			/* date parts of the current column */
	double	   *raw;			/* features of the current row */
	double	   *out;			/* model outputs */
} PredictState;

/* The statement's state: the model behind "name", pinned for the statement. */
static PredictState *
get_state(FunctionCallInfo fcinfo, text *name_arg)
{
	PredictState *st = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	char	   *name;

	if (st != NULL && VARSIZE_ANY_EXHDR(name_arg) == st->name_len &&
		memcmp(VARDATA_ANY(name_arg), st->name, st->name_len) == 0)
		return st;

	/* first row, or the name changed between rows */
	name = model_name_arg(name_arg);
	check_model_privilege(name, AM_PRIV_SCORE, "score with");
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	st = palloc0(sizeof(PredictState));
	strlcpy(st->name, name, NAMEDATALEN);
	st->name_len = strlen(st->name);
	st->cm = model_cache_acquire(name, model_cache_deployed_version(name),
								 fcinfo->flinfo->fn_mcxt);
	st->raw = palloc0(sizeof(double) * st->cm->model->schema->n_features);
	st->out = palloc0(sizeof(double) * st->cm->n_outputs);
	st->parts = palloc0(sizeof(double) * (AM_PART_EPOCH_DAYS + 1));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = st;
	return st;
}

/* Map the row type's columns to the model's source columns. */
static void
map_row_type(FunctionCallInfo fcinfo, PredictState *st, Oid tuptype, int32 tuptypmod)
{
	AmSchema   *s = st->cm->model->schema;
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	TupleDesc	td = lookup_rowtype_tupdesc_copy(tuptype, tuptypmod);

	st->attno = palloc(sizeof(int) * s->n_columns);
	st->readers = palloc0(sizeof(AmValueReader) * s->n_columns);
	for (int c = 0; c < s->n_columns; c++)
	{
		const char *col = s->columns[c].name;
		int			found = -1;

		for (int a = 0; a < td->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(td, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), col) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\", which model \"%s\" needs", col, st->name),
					 errhint("Pass a row with the columns the model was trained on; "
							 "automl.feature_names('%s') lists them.", st->name)));
		st->attno[c] = found;
		automl_reader_init(&st->readers[c], col, TupleDescAttr(td, found)->atttypid,
						   s->columns[c].kind, st->name);
	}
	st->values = palloc(sizeof(Datum) * td->natts);
	st->nulls = palloc(sizeof(bool) * td->natts);
	st->tupdesc = td;
	st->tuptype = tuptype;
	st->tuptypmod = tuptypmod;
	MemoryContextSwitchTo(old);
}

/* Fill st->raw from a row value. */
static void
row_features(FunctionCallInfo fcinfo, PredictState *st, HeapTupleHeader th)
{
	AmSchema   *s = st->cm->model->schema;
	Oid			tuptype = HeapTupleHeaderGetTypeId(th);
	int32		tuptypmod = HeapTupleHeaderGetTypMod(th);
	HeapTupleData tuple;
	int			parts_of = -1;

	if (st->tupdesc == NULL || tuptype != st->tuptype || tuptypmod != st->tuptypmod)
		map_row_type(fcinfo, st, tuptype, tuptypmod);
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, st->tupdesc, st->values, st->nulls);

	for (int j = 0; j < s->n_features; j++)
	{
		const AmFeature *f = &s->features[j];
		int			c = f->source;
		int			a = st->attno[c];

		if (st->nulls[a])
		{
			st->raw[j] = NAN;
			continue;
		}
		switch (s->columns[c].kind)
		{
			case AM_SRC_NUMERIC:
			case AM_SRC_BOOLEAN:
				st->raw[j] = automl_read_number(&st->readers[c], st->values[a]);
				break;
			case AM_SRC_CATEGORICAL:
				{
					uint32		len;
					const char *txt = automl_read_text(&st->readers[c], st->values[a], &len);
					int			code = am_strmap_get(st->cm->level_maps[j], txt, len);

					/* an unseen level is "other" */
					st->raw[j] = code >= 0 ? code : f->n_levels;
					break;
				}
			case AM_SRC_DATE:
			case AM_SRC_TIMESTAMP:
				if (parts_of != c)
				{
					automl_read_date_parts(&st->readers[c], st->values[a], st->parts);
					parts_of = c;
				}
				st->raw[j] = st->parts[f->part];
				break;
		}
	}
}

static void
check_row_argument(FunctionCallInfo fcinfo)
{
	Oid			t = get_fn_expr_argtype(fcinfo->flinfo, 1);

	if (OidIsValid(t) && !type_is_rowtype(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl scoring functions take a row, not a value of type %s",
						format_type_be(t)),
				 errhint("Pass the table alias, as in automl.predict('model', t) FROM t.")));
}

/* Score the row argument; st->out receives the outputs. */
static PredictState *
score_row(FunctionCallInfo fcinfo)
{
	PredictState *st;

	if (fcinfo->flinfo->fn_extra == NULL)
		check_row_argument(fcinfo);
	st = get_state(fcinfo, PG_GETARG_TEXT_PP(0));
	row_features(fcinfo, st, PG_GETARG_HEAPTUPLEHEADER(1));
	am_model_predict_row(st->cm->model, st->raw, st->out);
	return st;
}

static int
best_class(const PredictState *st)
{
	const AmSchema *s = st->cm->model->schema;

	if (s->task == AM_TASK_BINARY)
		return st->out[0] > 0.5 ? 1 : 0;
	else
	{
		int			best = 0;

		for (int k = 1; k < s->n_classes; k++)
			if (st->out[k] > st->out[best])
				best = k;
		return best;
	}
}

static float8
numeric_prediction(const PredictState *st)
{
	const AmSchema *s = st->cm->model->schema;
	double		v;

	if (s->task == AM_TASK_REGRESSION)
		return st->out[0];
	v = st->cm->class_values[best_class(st)];
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" predicts text labels, not numbers", st->name),
				 errhint("Use automl.predict_label() for the label or automl.predict_proba() for class probabilities.")));
	return v;
}

Datum
automl_predict_row(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(numeric_prediction(score_row(fcinfo)));
}

Datum
automl_predict_label(PG_FUNCTION_ARGS)
{
	PredictState *st = score_row(fcinfo);
	const AmSchema *s = st->cm->model->schema;

	if (s->task == AM_TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a regression model and has no labels", st->name),
				 errhint("Use automl.predict().")));
	PG_RETURN_TEXT_P(cstring_to_text(s->classes[best_class(st)]));
}

static ArrayType *
float8_array(const double *v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(v[i]);
	return construct_array(elems, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
						   TYPALIGN_DOUBLE);
}

Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	PredictState *st = score_row(fcinfo);
	const AmSchema *s = st->cm->model->schema;
	double		two[2];

	if (s->task == AM_TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a regression model and has no class probabilities",
						st->name),
				 errhint("Use automl.predict().")));
	if (s->task == AM_TASK_BINARY)
	{
		two[0] = 1.0 - st->out[0];
		two[1] = st->out[0];
		PG_RETURN_ARRAYTYPE_P(float8_array(two, 2));
	}
	PG_RETURN_ARRAYTYPE_P(float8_array(st->out, s->n_classes));
}

Datum
automl_predict_array(PG_FUNCTION_ARGS)
{
	PredictState *st = get_state(fcinfo, PG_GETARG_TEXT_PP(0));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	AmSchema   *s = st->cm->model->schema;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array")));
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != s->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("model \"%s\" has %d features, but the array has %d elements",
						st->name, s->n_features, n),
				 errhint("automl.feature_names('%s') lists the features in order.", st->name)));
	for (int j = 0; j < n; j++)
	{
		if (s->features[j].categorical)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature \"%s\" of model \"%s\" is categorical and cannot be given as a number",
							s->features[j].name, st->name),
					 errhint("Score a row instead of an array.")));
		if (nulls[j])
			st->raw[j] = NAN;
		else
		{
			double		v = DatumGetFloat8(elems[j]);

			if (!isfinite(v))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("feature \"%s\" is NaN or infinity", s->features[j].name),
						 errhint("Pass NULL for a missing value.")));
			st->raw[j] = v;
		}
	}
	am_model_predict_row(st->cm->model, st->raw, st->out);
	PG_RETURN_FLOAT8(numeric_prediction(st));
}

/* The deployed model of a name, for the metadata functions. */
static CachedModel *
deployed_model(FunctionCallInfo fcinfo)
{
	char	   *name = model_name_arg(PG_GETARG_TEXT_PP(0));

	check_model_privilege(name, AM_PRIV_SCORE, "score with");
	return model_cache_acquire(name, model_cache_deployed_version(name), CurrentMemoryContext);
}

static ArrayType *
text_array(char **v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(v[i]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

Datum
automl_classes(PG_FUNCTION_ARGS)
{
	CachedModel *cm = deployed_model(fcinfo);
	AmSchema   *s = cm->model->schema;

	if (s->task == AM_TASK_REGRESSION)
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(text_array(s->classes, s->n_classes));
}

Datum
automl_feature_names(PG_FUNCTION_ARGS)
{
	CachedModel *cm = deployed_model(fcinfo);
	AmSchema   *s = cm->model->schema;
	char	  **names = palloc(sizeof(char *) * s->n_features);

	for (int j = 0; j < s->n_features; j++)
		names[j] = s->features[j].name;
	PG_RETURN_ARRAYTYPE_P(text_array(names, s->n_features));
}

/* Importance per raw feature (dense columns summed back to their feature). */
static bool
feature_importance(AmModel *m, AmImportanceKind kind, double *out)
{
	int			nf = m->schema->n_features;

	memset(out, 0, sizeof(double) * nf);
	if (m->family->importance == NULL)
		return false;
	if (m->prep != NULL)
	{
		double	   *cols = palloc0(sizeof(double) * m->prep->n_out);

		if (!m->family->importance(m->fitted, kind, cols))
			return false;
		for (int c = 0; c < m->prep->n_out; c++)
			out[am_prep_source_of(m->prep, c)] += cols[c];
		return true;
	}
	return m->family->importance(m->fitted, kind, out);
}

Datum
automl_feature_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CachedModel *cm;
	AmModel    *m;
	int			nf;
	double	   *gain,
			   *splits,
				total = 0.0;
	bool		has_gain,
				has_splits;

	InitMaterializedSRF(fcinfo, 0);
	cm = deployed_model(fcinfo);
	m = cm->model;
	nf = m->schema->n_features;
	gain = palloc(sizeof(double) * nf);
	splits = palloc(sizeof(double) * nf);
	has_gain = feature_importance(m, AM_IMPORTANCE_GAIN, gain);
	has_splits = feature_importance(m, AM_IMPORTANCE_SPLITS, splits);
	for (int j = 0; j < nf; j++)
		total += gain[j];
	for (int j = 0; j < nf; j++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, !has_gain, !has_splits};

		values[0] = CStringGetTextDatum(m->schema->features[j].name);
		values[1] = Float8GetDatum(total > 0 ? gain[j] / total : 0.0);
		values[2] = Float8GetDatum(splits[j]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
