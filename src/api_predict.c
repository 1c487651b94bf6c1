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

#include "model_cache.h"
#include "json.h"
#include "prep.h"
#include "privileges.h"
#include "rowmap.h"

PG_FUNCTION_INFO_V1(automl_predict_row);
PG_FUNCTION_INFO_V1(automl_predict_array);
PG_FUNCTION_INFO_V1(automl_predict_label);
PG_FUNCTION_INFO_V1(automl_predict_proba);
PG_FUNCTION_INFO_V1(automl_classes);
PG_FUNCTION_INFO_V1(automl_feature_names);
PG_FUNCTION_INFO_V1(automl_feature_importance);
PG_FUNCTION_INFO_V1(automl_explain);
PG_FUNCTION_INFO_V1(automl_explain_json);
PG_FUNCTION_INFO_V1(automl_predict_cols);
PG_FUNCTION_INFO_V1(automl_predict_label_cols);
PG_FUNCTION_INFO_V1(automl_predict_proba_cols);

typedef struct PredictState
{
	char		name[NAMEDATALEN];
	size_t		name_len;
	int32		version;		/* requested version, 0: the deployed one */
	CachedModel *cm;
	/* row mapping, for one row type */
	Oid			tuptype;
	int32		tuptypmod;
	bool		mapped;
	RowMap		map;
	Datum	   *values;
	bool	   *nulls;
	double	   *raw;			/* features of the current row */
	double	   *out;			/* model outputs */
} PredictState;

/*
 * The statement's state: the model behind (name, version), pinned until the
 * statement ends.  version 0 means the deployed version, resolved here once.
 */
static PredictState *
get_state(FunctionCallInfo fcinfo, text *name_arg, int32 version)
{
	PredictState *st = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	char	   *name;

	if (st != NULL && st->version == version && VARSIZE_ANY_EXHDR(name_arg) == st->name_len &&
		memcmp(VARDATA_ANY(name_arg), st->name, st->name_len) == 0)
		return st;

	/* first row, or the name changed between rows */
	name = model_name_arg(name_arg);
	check_model_privilege(name, AM_PRIV_SCORE, "score with");
	if (version < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model version must be positive")));
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	st = palloc0(sizeof(PredictState));
	strlcpy(st->name, name, NAMEDATALEN);
	st->name_len = strlen(st->name);
	st->version = version;
	st->cm = model_cache_acquire(name, version > 0 ? version : model_cache_deployed_version(name),
								 fcinfo->flinfo->fn_mcxt);
	st->raw = palloc0(sizeof(double) * st->cm->model->schema->n_features);
	st->out = palloc0(sizeof(double) * st->cm->n_outputs);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = st;
	return st;
}

/* Fill st->raw from a row value, mapping its type on first sight. */
static void
row_features(FunctionCallInfo fcinfo, PredictState *st, HeapTupleHeader th)
{
	Oid			tuptype = HeapTupleHeaderGetTypeId(th);
	int32		tuptypmod = HeapTupleHeaderGetTypMod(th);
	HeapTupleData tuple;

	if (!st->mapped || tuptype != st->tuptype || tuptypmod != st->tuptypmod)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td = lookup_rowtype_tupdesc_copy(tuptype, tuptypmod);

		rowmap_init(&st->map, st->cm, st->name, td);
		st->values = palloc(sizeof(Datum) * Max(td->natts, 1));
		st->nulls = palloc(sizeof(bool) * Max(td->natts, 1));
		st->tuptype = tuptype;
		st->tuptypmod = tuptypmod;
		st->mapped = true;
		MemoryContextSwitchTo(old);
	}
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	heap_deform_tuple(&tuple, st->map.tupdesc, st->values, st->nulls);
	rowmap_features(&st->map, st->values, st->nulls, st->raw, 1);
}

static void
check_row_argument(FunctionCallInfo fcinfo, int arg)
{
	Oid			t = get_fn_expr_argtype(fcinfo->flinfo, arg);

	if (OidIsValid(t) && !type_is_rowtype(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("automl scoring functions take a row, not a value of type %s",
						format_type_be(t)),
				 errhint("Pass the table alias, as in automl.predict('model', t) FROM t.")));
}

/*
 * Score the row argument: (name, row) uses the deployed version,
 * (name, version, row) a fixed one.  st->out receives the outputs.
 */
static PredictState *
score_row(FunctionCallInfo fcinfo)
{
	PredictState *st;
	int			row_arg = PG_NARGS() == 3 ? 2 : 1;
	int32		version = PG_NARGS() == 3 ? PG_GETARG_INT32(1) : 0;

	if (fcinfo->flinfo->fn_extra == NULL)
		check_row_argument(fcinfo, row_arg);
	st = get_state(fcinfo, PG_GETARG_TEXT_PP(0), version);
	row_features(fcinfo, st, PG_GETARG_HEAPTUPLEHEADER(row_arg));
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

static text *
label_of(const PredictState *st)
{
	const AmSchema *s = st->cm->model->schema;

	if (s->task == AM_TASK_REGRESSION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a regression model and has no labels", st->name),
				 errhint("Use automl.predict().")));
	return cstring_to_text(s->classes[best_class(st)]);
}

Datum
automl_predict_label(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(label_of(score_row(fcinfo)));
}

/*
 * A one-dimensional float8[] of n values, built in place: the result is the
 * only allocation of a scored row (construct_array() would take a Datum
 * array first).
 */
static ArrayType *
float8_array(const double *v, int n)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float8) * n;
	ArrayType  *a = palloc0(bytes);

	Assert(n > 0);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	memcpy(ARR_DATA_PTR(a), v, sizeof(float8) * n);
	return a;
}

static ArrayType *
proba_of(const PredictState *st)
{
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
		return float8_array(two, 2);
	}
	return float8_array(st->out, s->n_classes);
}

Datum
automl_predict_proba(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(proba_of(score_row(fcinfo)));
}

Datum
automl_predict_array(PG_FUNCTION_ARGS)
{
	PredictState *st = get_state(fcinfo, PG_GETARG_TEXT_PP(0), 0);
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
				 errhint("automl.feature_names(%s) lists the features in order.", quote_literal_cstr(st->name))));
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
	has_gain = am_model_importance(m, AM_IMPORTANCE_GAIN, gain);
	has_splits = am_model_importance(m, AM_IMPORTANCE_SPLITS, splits);
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

/* ---------- the rewritten calls (plan_support.c) ---------- */

#define COLS_FIRST_ARG 4

/*
 * automl._predict_cols(name, version, columns, rowid, VARIADIC "any"): the
 * columns version `version` of the model reads, in its source column order,
 * version being the one deployed when the statement was planned.  false when
 * the row is NULL.
 */
static bool
score_columns(FunctionCallInfo fcinfo, PredictState **result)
{
	PredictState *st;
	AmSchema   *s;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		return false;			/* a NULL row (outer join): NULL, as predict(t) */
	st = get_state(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_INT32(1));
	s = st->cm->model->schema;
	if (!st->mapped)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		ArrayType  *cols = PG_GETARG_ARRAYTYPE_P(2);
		Datum	   *names;
		bool	   *nulls;
		int			n;
		Oid		   *types = palloc(sizeof(Oid) * Max(s->n_columns, 1));
		bool		match;

		deconstruct_array(cols, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
		/* only a hand-written call can pass columns the version does not read */
		match = n == s->n_columns && PG_NARGS() == COLS_FIRST_ARG + n;

		for (int c = 0; match && c < n; c++)
			match = !nulls[c] && strcmp(TextDatumGetCString(names[c]), s->columns[c].name) == 0;
		if (!match)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns do not match version %d of model \"%s\"",
							PG_GETARG_INT32(1), st->name)));
		for (int c = 0; c < n; c++)
			types[c] = get_fn_expr_argtype(fcinfo->flinfo, COLS_FIRST_ARG + c);
		rowmap_init_types(&st->map, st->cm, st->name, types);
		st->values = palloc(sizeof(Datum) * Max(n, 1));
		st->nulls = palloc(sizeof(bool) * Max(n, 1));
		st->mapped = true;
		MemoryContextSwitchTo(old);
	}
	for (int c = 0; c < s->n_columns; c++)
	{
		st->values[c] = PG_GETARG_DATUM(COLS_FIRST_ARG + c);
		st->nulls[c] = PG_ARGISNULL(COLS_FIRST_ARG + c);
	}
	rowmap_features(&st->map, st->values, st->nulls, st->raw, 1);
	am_model_predict_row(st->cm->model, st->raw, st->out);
	*result = st;
	return true;
}

Datum
automl_predict_cols(PG_FUNCTION_ARGS)
{
	PredictState *st;

	if (!score_columns(fcinfo, &st))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(numeric_prediction(st));
}

Datum
automl_predict_label_cols(PG_FUNCTION_ARGS)
{
	PredictState *st;

	if (!score_columns(fcinfo, &st))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(label_of(st));
}

Datum
automl_predict_proba_cols(PG_FUNCTION_ARGS)
{
	PredictState *st;

	if (!score_columns(fcinfo, &st))
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(proba_of(st));
}

/* ---------- explanations ---------- */

typedef struct Contribution
{
	int			feature;		/* -1: the rest, summed */
	double		value;
} Contribution;

static int
cmp_abs_desc(const void *a, const void *b)
{
	double		x = fabs(((const Contribution *) a)->value);
	double		y = fabs(((const Contribution *) b)->value);

	if (x != y)
		return x > y ? -1 : 1;
	return ((const Contribution *) a)->feature - ((const Contribution *) b)->feature;
}

typedef struct Explanation
{
	const char *class_name;		/* NULL for a regression */
	double		base;
	double		margin;
	int			n;				/* entries in list (features, maybe "the rest") */
	Contribution *list;
} Explanation;

/*
 * Contributions of the scored row to the margin of one output: the value
 * (regression), the log-odds of a class (binary), or a class's softmax
 * margin (multiclass).  They sum exactly to the margin with the base.
 */
static void
explain_row(PredictState *st, text *class_arg, int top_k, Explanation *ex)
{
	AmModel    *m = st->cm->model;
	AmSchema   *s = m->schema;
	int			outs = st->cm->n_outputs;
	int			nf = s->n_features;
	double	   *phi = palloc(sizeof(double) * ((size_t) nf + 1) * outs);
	int			k = 0;
	double		sign = 1.0;

	if (!am_model_contributions(m, st->raw, phi))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (algorithm \"%s\") cannot explain single predictions",
						st->name, m->family->name)));
	ex->class_name = NULL;
	if (s->task != AM_TASK_REGRESSION)
	{
		int			c;

		if (class_arg != NULL)
		{
			char	   *want = text_to_cstring(class_arg);

			for (c = 0; c < s->n_classes; c++)
				if (strcmp(s->classes[c], want) == 0)
					break;
			if (c == s->n_classes)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("model \"%s\" has no class \"%s\"", st->name, want)));
		}
		else
			c = s->task == AM_TASK_BINARY ? 1 : best_class(st);
		ex->class_name = s->classes[c];
		if (s->task == AM_TASK_BINARY)
			sign = c == 1 ? 1.0 : -1.0; /* log-odds of class 0 are the negation */
		else
			k = c;
	}
	else if (class_arg != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" is a regression model and has no classes", st->name)));

	ex->list = palloc(sizeof(Contribution) * (nf + 1));
	ex->base = sign * phi[(size_t) nf * outs + k];
	ex->margin = ex->base;
	for (int j = 0; j < nf; j++)
	{
		ex->list[j].feature = j;
		ex->list[j].value = sign * phi[(size_t) j * outs + k];
		ex->margin += ex->list[j].value;
	}
	qsort(ex->list, nf, sizeof(Contribution), cmp_abs_desc);
	ex->n = nf;
	if (top_k > 0 && top_k < nf)
	{
		double		rest = 0.0;

		for (int j = top_k; j < nf; j++)
			rest += ex->list[j].value;
		ex->list[top_k].feature = -1;
		ex->list[top_k].value = rest;
		ex->n = top_k + 1;
	}
}

/* The raw value of feature j as text (NULL when missing). */
static char *
feature_value_text(const AmSchema *s, int j, double v)
{
	const AmFeature *f = &s->features[j];

	if (isnan(v))
		return NULL;
	if (f->categorical)
		return (int) v < f->n_levels ? f->levels[(int) v] : "(other)";
	return psprintf("%.15g", v);
}

static PredictState *
explain_args(FunctionCallInfo fcinfo, int *top_k)
{
	PredictState *st;

	if (fcinfo->flinfo->fn_extra == NULL)
		check_row_argument(fcinfo, 1);
	st = get_state(fcinfo, PG_GETARG_TEXT_PP(0), 0);
	row_features(fcinfo, st, PG_GETARG_HEAPTUPLEHEADER(1));
	am_model_predict_row(st->cm->model, st->raw, st->out);
	*top_k = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	if (!PG_ARGISNULL(2) && *top_k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top_k must be at least 1")));
	return st;
}

Datum
automl_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PredictState *st;
	Explanation ex;
	int			top_k;
	AmSchema   *s;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	st = explain_args(fcinfo, &top_k);
	s = st->cm->model->schema;
	explain_row(st, PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3), top_k, &ex);
	for (int i = 0; i <= ex.n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		char	   *v = NULL;

		if (i == ex.n)
			values[0] = CStringGetTextDatum("(base)");
		else if (ex.list[i].feature < 0)
			values[0] = CStringGetTextDatum("(other features)");
		else
		{
			values[0] = CStringGetTextDatum(s->features[ex.list[i].feature].name);
			v = feature_value_text(s, ex.list[i].feature, st->raw[ex.list[i].feature]);
		}
		nulls[1] = (v == NULL);
		values[1] = v ? CStringGetTextDatum(v) : (Datum) 0;
		values[2] = Float8GetDatum(i == ex.n ? ex.base : ex.list[i].value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
automl_explain_json(PG_FUNCTION_ARGS)
{
	PredictState *st;
	Explanation ex;
	int			top_k;
	AmSchema   *s;
	AmStr		j;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	st = explain_args(fcinfo, &top_k);
	s = st->cm->model->schema;
	explain_row(st, PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3), top_k, &ex);
	am_str_init(&j);
	am_str_append(&j, "{\"class\": ");
	if (ex.class_name)
		am_str_json_string(&j, ex.class_name);
	else
		am_str_append(&j, "null");
	am_str_append(&j, ", \"margin\": ");
	am_str_json_number(&j, ex.margin);
	am_str_append(&j, ", \"base\": ");
	am_str_json_number(&j, ex.base);
	am_str_append(&j, ", \"contributions\": [");
	for (int i = 0; i < ex.n; i++)
	{
		int			f = ex.list[i].feature;
		char	   *v = f >= 0 ? feature_value_text(s, f, st->raw[f]) : NULL;

		am_str_append(&j, i ? ", {\"feature\": " : "{\"feature\": ");
		am_str_json_string(&j, f >= 0 ? s->features[f].name : "(other features)");
		am_str_append(&j, ", \"value\": ");
		if (v)
			am_str_json_string(&j, v);
		else
			am_str_append(&j, "null");
		am_str_append(&j, ", \"contribution\": ");
		am_str_json_number(&j, ex.list[i].value);
		am_str_append(&j, "}");
	}
	am_str_append(&j, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(j.data)));
}
