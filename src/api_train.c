/*
 * api_train.c
 *	  automl.train(): argument checks, then load -> search -> store ->
 *	  deploy.  The data is read as the calling role; the catalog is written
 *	  as the extension owner (catalog.c).
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "lib/stringinfo.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "admin.h"
#include "audit.h"
#include "catalog.h"
#include "describe.h"
#include "json.h"
#include "kernels.h"
#include "load.h"
#include "metrics.h"
#include "model_cache.h"
#include "options.h"
#include "prep.h"
#include "privileges.h"
#include "search.h"
#include "train.h"

PG_FUNCTION_INFO_V1(automl_train);
PG_FUNCTION_INFO_V1(automl_retrain);

typedef struct TrialReporter
{
	const TrainArgs *args;
	int64		run_id;
	CatalogWriter *writer;
	AmMetric	metric;
	const TrainHooks *hooks;
} TrialReporter;

static char **
text_array_arg(ArrayType *arr, const char *what, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

static char *
required_text(FunctionCallInfo fcinfo, int arg, const char *what)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

void
train_args_from_call(FunctionCallInfo fcinfo, TrainArgs *a)
{
	AmErr		err;

	memset(a, 0, sizeof(*a));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	a->name = model_name_arg(PG_GETARG_TEXT_PP(0));
	a->source = required_text(fcinfo, 1, "source");
	a->target = required_text(fcinfo, 2, "target");
	a->task = PG_ARGISNULL(3) ? "auto" : text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (strcmp(a->task, "auto") != 0 && strcmp(a->task, "classification") != 0 &&
		strcmp(a->task, "regression") != 0 && strcmp(a->task, "binary") != 0 &&
		strcmp(a->task, "multiclass") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown task \"%s\"", a->task),
				 errhint("Use auto, classification, binary, multiclass or regression.")));
	if (!PG_ARGISNULL(4))
	{
		AmMetric	m;

		a->metric_name = text_to_cstring(PG_GETARG_TEXT_PP(4));
		if (!am_metric_lookup(a->metric_name, &m))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown metric \"%s\"", a->metric_name),
					 errhint("Use roc_auc, log_loss, accuracy, f1_macro, rmse, mae or r2.")));
	}
	if (!PG_ARGISNULL(5))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(5);

		a->budget = iv;
		a->budget_seconds = (double) iv->time / USECS_PER_SEC +
			(double) iv->day * SECS_PER_DAY +
			(double) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
		if (!(a->budget_seconds > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_budget must be positive")));
	}
	if (!PG_ARGISNULL(6))
	{
		a->max_trials = PG_GETARG_INT32(6);
		if (a->max_trials < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_trials must be at least 1")));
	}
	if (!PG_ARGISNULL(7))
	{
		a->algorithms = text_array_arg(PG_GETARG_ARRAYTYPE_P(7), "algorithms", &a->n_algorithms);
		if (a->n_algorithms == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("algorithms must not be empty")));
		for (int i = 0; i < a->n_algorithms; i++)
			if (am_family_lookup(a->algorithms[i]) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown algorithm \"%s\"", a->algorithms[i])));
	}
	if (!PG_ARGISNULL(8))
		a->exclude = text_array_arg(PG_GETARG_ARRAYTYPE_P(8), "exclude", &a->n_exclude);
	if (PG_ARGISNULL(9))
		a->options_json = "{}";
	else
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(9);

		a->options_json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	am_err_clear(&err);
	if (!am_options_parse(a->options_json, strlen(a->options_json), &a->options, &err))
		automl_raise(&err, "invalid options");
}

/* The families to search, in registry order, filtered by task and argument. */
static int
choose_families(const TrainArgs *a, AmTask task, const AmFamily **out)
{
	int			n = 0;

	for (int i = 0; i < am_family_count(); i++)
	{
		const AmFamily *f = am_family_at(i);
		bool		wanted = (a->n_algorithms == 0);

		for (int k = 0; k < a->n_algorithms; k++)
			if (strcmp(a->algorithms[k], f->name) == 0)
				wanted = true;
		for (int k = 0; k < a->options.n_excluded; k++)
			if (a->options.excluded[k] == f)
				wanted = false;
		if (!wanted || f->internal)
			continue;
		if (!(f->tasks & (1u << task)))
		{
			if (a->n_algorithms > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("algorithm \"%s\" does not support %s tasks",
								f->name, am_task_name(task))));
			continue;
		}
		out[n++] = f;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no algorithm supports %s tasks", am_task_name(task))));
	return n;
}

static void
report_trial(void *arg, const AmTrial *t, const AmTrial *best)
{
	TrialReporter *r = arg;
	const char *metric = am_metric_name(r->metric);
	char	   *pj = am_describe_params(t->family, &t->params);
	const char *status = am_trial_status_name(t->status);

	catalog_begin_write(r->writer);
	catalog_insert_trial(r->run_id, t->number, r->args->name, t->family->name, pj, metric,
						 t->score, t->score_std, t->fold_scores, t->n_folds,
						 t->fit_seconds, t->predict_seconds, t->finished_at, status,
						 t->status == AM_TRIAL_OK ? NULL : t->error, t->resumed);
	catalog_end_write(r->writer);
	if (r->hooks)
		job_trial_done(r->hooks, t, best);

	if (!automl_progress || t->resumed)
		return;
	if (t->status == AM_TRIAL_OK)
		ereport(NOTICE,
				(errmsg("trial %d: %s %s %s=%.4f (best %.4f, %.1f s)",
						t->number, t->family->name, pj, metric, t->score,
						best ? best->score : t->score, t->finished_at)));
	else
		ereport(NOTICE,
				(errmsg("trial %d: %s %s %s: %s", t->number, t->family->name, pj,
						status, t->error)));
}

static void
phase_begins(void *arg, const char *phase)
{
	TrialReporter *r = arg;

	job_set_phase(r->hooks, phase);
}

static bool
stop_requested(void *arg)
{
	TrialReporter *r = arg;

	return r->hooks != NULL && job_stop_requested(r->hooks);
}

/*
 * Warnings about the data before the search (leakage, imbalance, size);
 * their texts are added to *notes and the leaky features to leaky[].
 */
static int
warn_about_data(const AmDataset *d, const AmSchema *s, List **notes, int *leaky)
{
	AmDiagnosis diag[16];
	int			n = am_diagnose(d, diag, lengthof(diag));
	int			n_leaky = 0;

	for (int i = 0; i < n; i++)
	{
		switch (diag[i].kind)
		{
			case AM_DIAG_LEAK:
				leaky[n_leaky++] = diag[i].feature;
				*notes = lappend(*notes, psprintf("feature \"%s\" alone predicts the target \"%s\" almost perfectly",
												  s->features[diag[i].feature].name, s->target));
				ereport(WARNING,
						(errmsg("feature \"%s\" alone predicts the target \"%s\" almost perfectly",
								s->features[diag[i].feature].name, s->target),
						 errdetail("%s %.4f.", AM_TASK_IS_CLASSIFICATION(d->task) ?
								   "Its bins classify the rows with accuracy" :
								   "Its correlation with the target is",
								   diag[i].value),
						 errhint("If it is known only after the outcome, leave it out with exclude => ARRAY[%s].",
								 quote_literal_cstr(s->columns[s->features[diag[i].feature].source].name))));
				break;
			case AM_DIAG_IMBALANCE:
				*notes = lappend(*notes, psprintf("the rarest class of \"%s\" has %.1f%% of the rows",
												  s->target, 100.0 * diag[i].value));
				ereport(NOTICE,
						(errmsg("the rarest class of \"%s\" has %.1f%% of the rows",
								s->target, 100.0 * diag[i].value),
						 errhint("Consider options => '{\"class_weight\": \"balanced\"}' and a metric such as f1_macro or roc_auc.")));
				break;
			case AM_DIAG_TINY:
				*notes = lappend(*notes, psprintf("only %.0f rows to learn from; scores will be noisy",
												  diag[i].value));
				ereport(NOTICE,
						(errmsg("only %.0f rows to learn from; scores will be noisy", diag[i].value)));
				break;
		}
	}
	return n_leaky;
}

/* The profile: the features, the columns left out and why, and the target. */
static char *
profile_json(const AmLoadResult *loaded, const int *leaky, int n_leaky)
{
	char	   *features = am_describe_profile(loaded->data, loaded->schema, leaky, n_leaky);
	StringInfoData s;
	ListCell   *lc;
	bool		empty = strcmp(features, "[]") == 0;

	initStringInfo(&s);
	appendBinaryStringInfo(&s, features, strlen(features) - 1);	/* without the "]" */
	foreach(lc, loaded->dropped)
	{
		AmDroppedColumn *dc = lfirst(lc);
		AmStr		name;

		am_str_init(&name);
		am_str_json_string(&name, dc->name);
		appendStringInfo(&s, "%s{\"column\": %s, \"role\": \"%s\"}", empty ? "" : ", ",
						 name.data, dc->role);
		empty = false;
	}
	appendStringInfo(&s, "%s%s]", empty ? "" : ", ",
					 am_describe_target_profile(loaded->data, loaded->schema, (long) loaded->rows_skipped));
	return s.data;
}

/*
 * The JSON documents stored with a model: metrics, diagnostics (curves,
 * confusion, calibration), the drift reference and the profile (training
 * metrics and drift reference on up to AM_DESCRIBE_ROWS rows).  Their
 * working arrays live in a scratch context so that they do not count
 * towards the run's memory once the texts are made.
 */
static void
describe_model(CatalogModelRow *row, const AmSearchResult *res, const AmLoadResult *loaded,
			   AmMetric metric, const int *leaky, int n_leaky)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "automl describe",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	AmDataset  *train = am_dataset_spread_rows(loaded->data, AM_DESCRIBE_ROWS);
	double	   *pred = am_predict_dataset(res->model, train);
	char	   *metrics = am_describe_metrics(loaded->data, res, metric, train, pred);
	char	   *diagnostics = am_describe_diagnostics(res, loaded->data, loaded->schema);
	char	   *drift = am_describe_drift_reference(train, loaded->schema, pred);
	char	   *profile = profile_json(loaded, leaky, n_leaky);

	MemoryContextSwitchTo(old);
	row->metrics = pstrdup(metrics);
	row->diagnostics = pstrdup(diagnostics);
	row->drift_reference = pstrdup(drift);
	row->profile = pstrdup(profile);
	MemoryContextDelete(scratch);
}

/* "balanced" class weights: n / (classes * rows of the class). */
static double *
class_weights(const AmDataset *d)
{
	double	   *w = palloc(sizeof(double) * d->n_rows);
	int		   *count = palloc0(sizeof(int) * d->n_classes);

	for (int i = 0; i < d->n_rows; i++)
		count[(int) d->y[i]]++;
	for (int i = 0; i < d->n_rows; i++)
		w[i] = (double) d->n_rows / ((double) d->n_classes * count[(int) d->y[i]]);
	return w;
}

/*
 * Trials of the name's most recent finished run, to warm start a resumed
 * search (complete and pruned ones); only when that run read the same data
 * (same fingerprint).
 */
static int
resumed_trials(const TrainArgs *args, const char *fingerprint, AmTrial **out)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			n;
	AmTrial    *trials;

	values[0] = CStringGetTextDatum(args->name);
	values[1] = CStringGetTextDatum(fingerprint);
	if (SPI_execute_with_args("SELECT t.algorithm, t.hyperparameters::text, t.score, t.score_std, "
							  "t.fold_scores, t.fit_seconds, t.status "
							  "FROM automl.trials t "
							  "WHERE t.run_id = (SELECT m.run_id FROM automl.model_table m "
							  "                  WHERE m.name = $1 AND m.run_id IS NOT NULL "
							  "                  AND m.data_fingerprint = $2 "
							  "                  ORDER BY m.version DESC LIMIT 1) "
							  "AND t.status IN ('ok', 'pruned') ORDER BY t.trial",
							  2, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the trials to resume");
	n = (int) SPI_processed;
	trials = palloc0(sizeof(AmTrial) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		AmTrial    *t = &trials[i];
		char	   *json = SPI_getvalue(tup, td, 2);
		AmJson	   *params;
		AmErr		err;
		bool		isnull;
		Datum		d;

		t->family = am_family_lookup(SPI_getvalue(tup, td, 1));
		params = am_json_parse(json, strlen(json), &err);
		if (t->family == NULL || params == NULL || params->type != AM_JSON_OBJECT)
			continue;
		for (int k = 0; k < params->n; k++)
		{
			const AmParamSpec *spec = am_family_param(t->family, params->keys[k]);
			const AmJson *v = &params->items[k];

			if (spec == NULL)
				continue;
			if (v->type == AM_JSON_NUMBER)
				am_params_set(&t->params, spec->name, v->number);
			else if (v->type == AM_JSON_STRING && spec->choices)
				for (int c = 0; spec->choices[c]; c++)
					if (strcmp(spec->choices[c], v->string) == 0)
						am_params_set(&t->params, spec->name, c);
		}
		t->score = DatumGetFloat8(SPI_getbinval(tup, td, 3, &isnull));
		d = SPI_getbinval(tup, td, 4, &isnull);
		t->score_std = isnull ? NAN : DatumGetFloat8(d);
		d = SPI_getbinval(tup, td, 5, &isnull);
		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;
			int			ne;

			deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
							  &elems, &nulls, &ne);
			for (int f = 0; f < ne && f < AM_MAX_FOLDS; f++)
				t->fold_scores[f] = DatumGetFloat8(elems[f]);
			t->n_folds = Min(ne, AM_MAX_FOLDS);
		}
		d = SPI_getbinval(tup, td, 6, &isnull);
		t->fit_seconds = isnull ? 0 : DatumGetFloat8(d);
		/* pruned trials count as tried, so the search does not repeat them */
		t->status = strcmp(SPI_getvalue(tup, td, 7), "pruned") == 0 ? AM_TRIAL_PRUNED : AM_TRIAL_OK;
		if (t->status == AM_TRIAL_PRUNED)
			snprintf(t->error, sizeof(t->error), "pruned in the run resumed");
	}
	*out = trials;
	return n;
}

static void
check_train_right(const char *name)
{
	bool		exists;

	if (!has_model_privilege(name, AM_PRIV_TRAIN, &exists) && exists)
		check_model_privilege(name, AM_PRIV_TRAIN, "train a new version of");
}

/*
 * Load, search, store: the body of train(), retrain() and a background job.
 * SPI must be connected; everything but *out is allocated in a context
 * freed here.  In a job (hooks) each trial is committed as it finishes.
 */
void
train_run(TrainArgs *args, const char *action, int32 based_on, TrainOutcome *out,
		  const TrainHooks *hooks)
{
	MemoryContext train_cxt,
				old;
	AmLoadRequest req;
	AmLoadResult loaded;
	AmSearchConfig cfg;
	AmSearchResult *res;
	AmMetric	metric;
	AmErr		err;
	CatalogWriter writer;
	TrialReporter reporter;
	CatalogRunArgs run;
	int64		run_id;
	AmWriter	bytes;
	CatalogModelRow row;
	AmStr		details;
	List	   *notes;
	int		   *leaky;
	int			n_leaky;
	Oid			read_as;

	double		started = am_now();

	check_train_right(args->name);
	train_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl train",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(train_cxt);
	automl_set_budget_context(train_cxt);
	am_blas_set_threads(automl_max_threads);

	/*
	 * What is read, on which search_path, as which role: resolved here for a
	 * new training (a table name becomes its qualified relation), recorded
	 * for a job or a retrain.
	 */
	if (args->search_path == NULL)
		args->search_path = pstrdup(namespace_search_path);
	if (!OidIsValid(args->source_role))
		args->source_role = GetUserId();
	/*
	 * A recorded source is read in a security-restricted operation unless
	 * its recorder is this session's own, unchanged role: also when the
	 * caller acts as the recorder (SET ROLE, SET SESSION AUTHORIZATION), the
	 * role the session started from must stay out of its reach.
	 */
	if (args->source_role != GetUserId())
		read_as = args->source_role;
	else if (args->recorded &&
			 (GetSessionUserId() != GetUserId() || GetAuthenticatedUserId() != GetUserId()))
		read_as = args->source_role;
	else
		read_as = InvalidOid;
	if (OidIsValid(args->source_relation))
		args->source_query = automl_relation_sql(args->source_relation);	/* renamed or not */
	else if (args->source_query == NULL)
		args->source_query = automl_source_sql_as(args->source, args->search_path, read_as,
												  &args->source_relation);

	/* the run row first, so its id can label every trial */
	memset(&run, 0, sizeof(run));
	run.name = args->name;
	run.source = args->source;
	run.target = args->target;
	run.task = args->task;
	run.metric = args->metric_name;
	run.budget = args->budget;
	run.max_trials = args->max_trials;
	run.algorithms = args->algorithms;
	run.n_algorithms = args->n_algorithms;
	run.exclude = args->exclude;
	run.n_exclude = args->n_exclude;
	run.options_json = args->options_json;
	run.source_query = args->source_query;
	run.search_path = args->search_path;
	run.source_role = args->source_role;
	run.source_relation = args->source_relation;
	catalog_begin_write(&writer);
	run_id = catalog_insert_run(&writer, &run);
	catalog_end_write(&writer);
	if (hooks)
	{
		job_record_run(hooks, run_id);
		job_set_phase(hooks, "loading");
	}

	memset(&req, 0, sizeof(req));
	req.source = args->source;
	req.sql = args->source_query;
	req.search_path = args->search_path;
	req.as_role = read_as;
	req.target = args->target;
	req.exclude = args->exclude;
	req.n_exclude = args->n_exclude;
	req.task = args->task;
	req.max_categories = args->options.max_categories;
	req.seed = args->options.seed;
	automl_load(&req, &loaded);

	metric = am_metric_default(loaded.data->task);
	if (args->metric_name)
	{
		am_metric_lookup(args->metric_name, &metric);
		if (!am_metric_valid_for(metric, loaded.data->task))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("metric \"%s\" does not apply to %s tasks",
							args->metric_name, am_task_name(loaded.data->task))));
	}

	notes = loaded.notes;
	leaky = palloc(sizeof(int) * 16);
	n_leaky = warn_about_data(loaded.data, loaded.schema, &notes, leaky);
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%016llx",
			 (unsigned long long) am_dataset_fingerprint(loaded.data));

	memset(&cfg, 0, sizeof(cfg));
	if (args->options.class_weight_balanced)
	{
		if (!AM_TASK_IS_CLASSIFICATION(loaded.data->task))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"class_weight\" applies to classification only")));
		cfg.weights = class_weights(loaded.data);
	}
	if (args->options.resume)
	{
		AmTrial    *history;

		/* the trials of an earlier version, read as the extension owner */
		catalog_begin_write(&writer);
		cfg.n_history = resumed_trials(args, out->fingerprint, &history);
		catalog_end_write(&writer);
		MemoryContextSwitchTo(train_cxt);
		cfg.history = history;
		if (cfg.n_history == 0)
			ereport(NOTICE,
					(errmsg("nothing to resume: no earlier run of model \"%s\" on the same data",
							args->name)));
	}
	cfg.data = loaded.data;
	cfg.schema = loaded.schema;
	cfg.metric = metric;
	cfg.options = &args->options;
	cfg.n_families = choose_families(args, loaded.data->task, cfg.families);
	/* the budget covers the whole call: reading the data used part of it */
	cfg.time_budget = args->budget_seconds;
	if (cfg.time_budget > 0)
		cfg.time_budget = Max(cfg.time_budget - (am_now() - started), 0.1 * cfg.time_budget);
	cfg.max_trials = args->max_trials;
	cfg.on_trial = report_trial;
	reporter.args = args;
	reporter.run_id = run_id;
	reporter.writer = &writer;
	reporter.metric = metric;
	reporter.hooks = hooks;
	cfg.arg = &reporter;
	if (hooks)
	{
		cfg.should_stop = stop_requested;
		cfg.on_phase = phase_begins;
	}
	for (int i = 0; i < args->options.n_families; i++)
	{
		bool		used = false;

		for (int k = 0; k < cfg.n_families; k++)
			used |= (cfg.families[k] == args->options.families[i].family);
		if (!used)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("hyperparameters are given for algorithm \"%s\", which is not searched",
							args->options.families[i].family->name)));
	}

	am_err_clear(&err);
	res = am_search_run(&cfg, &err);
	if (res == NULL)
		automl_raise(&err, NULL);
	if (automl_progress && res->ended_by == AM_END_TIME_BUDGET)
		ereport(NOTICE,
				(errmsg_plural("time_budget ended the search after %d trial",
							   "time_budget ended the search after %d trials",
							   res->n_trials, res->n_trials),
				 errhint("Train again with options => '{\"resume\": true}' to search on from where it stopped.")));

	if (hooks)
		job_set_phase(hooks, "storing");
	am_w_init(&bytes);
	am_model_serialize(res->model, &bytes);

	memset(&row, 0, sizeof(row));
	row.name = args->name;
	row.task = am_task_name(loaded.data->task);
	row.algorithm = am_describe_algorithm(res);
	row.hyperparameters = am_describe_choice(res);
	row.metric = am_metric_name(metric);
	row.score = res->score;
	row.score_std = res->score_std;
	describe_model(&row, res, &loaded, metric, leaky, n_leaky);
	row.target = loaded.schema->target;
	row.target_type = loaded.schema->target_type;
	row.n_classes = loaded.schema->n_classes;
	row.classes = loaded.schema->classes;
	row.features = am_describe_features(res->model);
	row.source = args->source;
	row.options = args->options_json;
	row.seed = (int64) args->options.seed;
	row.n_rows = loaded.data->n_rows;
	row.n_features = loaded.data->n_features;
	row.fingerprint = out->fingerprint;
	row.run_id = run_id;
	row.trials = res->n_trials;
	row.train_seconds = res->seconds;
	row.bytes = bytes.data;
	row.n_bytes = bytes.len;
	row.format_version = AM_MODEL_FORMAT_VERSION;
	row.created_session = OidIsValid(args->session_role) ? args->session_role : GetSessionUserId();

	am_str_init(&details);
	am_str_appendf(&details, "{\"run_id\": %lld, \"algorithm\": ", (long long) run_id);
	am_str_json_string(&details, row.algorithm);
	am_str_append(&details, ", \"score\": ");
	am_str_json_number(&details, row.score);
	am_str_append(&details, ", \"data_fingerprint\": ");
	am_str_json_string(&details, row.fingerprint);
	if (based_on > 0)
		am_str_appendf(&details, ", \"based_on\": %d", based_on);
	if (args->source_role != GetUserId())
	{
		am_str_append(&details, ", \"source_read_as\": ");
		am_str_json_string(&details, role_name(args->source_role));
	}
	am_str_append(&details, "}");

	catalog_begin_write(&writer);
	out->version = catalog_next_version(&writer, args->name);
	row.version = out->version;
	catalog_insert_model(&writer, &row);
	catalog_finish_run(run_id, "finished", out->version, row.task, row.metric, loaded.rows_read,
					   loaded.data->n_rows, (int64) (automl_budget_peak() / 1024), notes);
	audit_record(&writer, action, args->name, out->version, 0, 0, NULL, details.data);
	version_stored(&writer, args->name, out->version);
	catalog_end_write(&writer);

	MemoryContextSwitchTo(old);
	out->task = pstrdup(row.task);
	out->algorithm = pstrdup(row.algorithm);
	out->metric = pstrdup(row.metric);
	out->score = row.score;
	out->trials = res->n_trials;
	out->rows = loaded.data->n_rows;
	out->features = loaded.data->n_features;
	out->seconds = res->seconds;
	MemoryContextDelete(train_cxt);
}

Datum
automl_train(PG_FUNCTION_ARGS)
{
	TrainArgs	args;
	TrainOutcome out;
	MemoryContext caller_cxt = CurrentMemoryContext;
	TupleDesc	td;
	Datum		values[10];
	bool		nulls[10] = {false};
	HeapTuple	tuple;

	PreventCommandIfReadOnly("automl.train()");
	train_args_from_call(fcinfo, &args);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	train_run(&args, "train", 0, &out, NULL);

	MemoryContextSwitchTo(caller_cxt);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl.train must return a composite type");
	values[0] = CStringGetTextDatum(args.name);
	values[1] = Int32GetDatum(out.version);
	values[2] = CStringGetTextDatum(out.task);
	values[3] = CStringGetTextDatum(out.algorithm);
	values[4] = CStringGetTextDatum(out.metric);
	values[5] = Float8GetDatum(out.score);
	nulls[5] = isnan(out.score);
	values[6] = Int32GetDatum(out.trials);
	values[7] = Int64GetDatum(out.rows);
	values[8] = Int32GetDatum(out.features);
	values[9] = Float8GetDatum(out.seconds);
	tuple = heap_form_tuple(BlessTupleDesc(td), values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}

static char **
text_array_column(HeapTuple tup, TupleDesc td, int col, int *n)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	*n = 0;
	if (isnull)
		return NULL;
	return text_array_arg(DatumGetArrayTypeP(d), SPI_fname(td, col), n);
}

/* The recorded arguments of the run that trained a version. */
static void
recorded_args(const char *name, int32 version, TrainArgs *a)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;

	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	if (SPI_execute_with_args("SELECT r.source, r.target, r.task, r.metric, r.time_budget, "
							  "r.max_trials, r.algorithms, r.exclude, r.options, "
							  "m.run_id IS NULL, r.source_query, r.search_path, r.source_role, "
							  "r.source_relation "
							  "FROM automl.model_table m LEFT JOIN automl.runs r USING (run_id) "
							  "WHERE m.name = $1 AND m.version = $2",
							  2, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the settings of model \"%s\"", name);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version)));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	if (DatumGetBool(SPI_getbinval(tup, td, 10, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version %d of model \"%s\" has no recorded training settings", version, name),
				 errdetail("It was imported, or its run was removed.")));
	train_args_from_row(tup, td, name, a);
	a->recorded = true;
	/* a run recorded before 0.2.0 kept no search_path: PostgreSQL's default */
	if (a->search_path == NULL)
		a->search_path = "\"$user\", public";
}

/*
 * A recorded source is read as the role that recorded it, never as the
 * caller: its query may call functions of that role's, and what it reads
 * ends up in the new version.  Only that role, or one that can act as it
 * (a member, a superuser), may have it read again: another role could
 * otherwise read through it what that role may read, or steer what it runs
 * (a view put in place of a table, a function on its search_path) with that
 * role's rights.  And that role must still exist and still be allowed to
 * train the name.  Otherwise the caller is asked to train anew, restating
 * the source.
 */
static void
check_recorder(const char *name, int32 version, Oid recorder, Oid caller)
{
	if (!OidIsValid(recorder) || GetUserNameFromId(recorder, true) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the role that recorded the source of version %d of model \"%s\" no longer exists",
						version, name),
				 errdetail("A recorded source is read only as the role that recorded it."),
				 errhint("Train a new version with automl.train(), restating the source.")));
	if (!is_member_of_role(caller, recorder))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot retrain version %d of model \"%s\", whose source role \"%s\" recorded",
						role_name(caller), version, name, role_name(recorder)),
				 errdetail("A recorded source is read only as the role that recorded it, by that role or one that can act as it."),
				 errhint("Train a new version with automl.train(), restating the source.")));
	if (!catalog_may_train(name, recorder))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\", which recorded the source of version %d of model \"%s\", may no longer train it",
						role_name(recorder), version, name),
				 errdetail("A recorded source is read only as the role that recorded it."),
				 errhint("Train a new version with automl.train(), restating the source.")));
}

static Datum
column(HeapTuple tup, TupleDesc td, const char *name, bool *isnull)
{
	int			col = SPI_fnumber(td, name);

	if (col <= 0)
		elog(ERROR, "column \"%s\" is missing from the recorded training settings", name);
	return SPI_getbinval(tup, td, col, isnull);
}

static char *
text_column(HeapTuple tup, TupleDesc td, const char *name)
{
	bool		isnull;
	Datum		d = column(tup, td, name, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

void
train_args_from_row(HeapTuple tup, TupleDesc td, const char *name, TrainArgs *a)
{
	bool		isnull;
	Datum		d;
	AmErr		err;

	memset(a, 0, sizeof(*a));
	a->name = pstrdup(name);
	a->source = text_column(tup, td, "source");
	a->target = text_column(tup, td, "target");
	a->task = text_column(tup, td, "task");
	a->metric_name = text_column(tup, td, "metric");
	d = column(tup, td, "time_budget", &isnull);
	if (!isnull)
	{
		Interval   *iv = DatumGetIntervalP(d);

		a->budget = iv;
		a->budget_seconds = (double) iv->time / USECS_PER_SEC +
			(double) iv->day * SECS_PER_DAY +
			(double) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
	}
	d = column(tup, td, "max_trials", &isnull);
	a->max_trials = isnull ? 0 : DatumGetInt32(d);
	a->algorithms = text_array_column(tup, td, SPI_fnumber(td, "algorithms"), &a->n_algorithms);
	a->exclude = text_array_column(tup, td, SPI_fnumber(td, "exclude"), &a->n_exclude);
	d = column(tup, td, "options", &isnull);
	a->options_json = isnull ? "{}" : JsonbToCString(NULL, &DatumGetJsonbP(d)->root, -1);
	if (SPI_fnumber(td, "source_query") > 0)
		a->source_query = text_column(tup, td, "source_query");
	if (SPI_fnumber(td, "search_path") > 0)
		a->search_path = text_column(tup, td, "search_path");
	if (SPI_fnumber(td, "source_role") > 0)
	{
		d = column(tup, td, "source_role", &isnull);
		a->source_role = isnull ? InvalidOid : DatumGetObjectId(d);
	}
	if (SPI_fnumber(td, "source_relation") > 0)
	{
		d = column(tup, td, "source_relation", &isnull);
		a->source_relation = isnull ? InvalidOid : DatumGetObjectId(d);
	}
	am_err_clear(&err);
	if (!am_options_parse(a->options_json, strlen(a->options_json), &a->options, &err))
		automl_raise(&err, "recorded options are invalid");
}

Datum
automl_retrain(PG_FUNCTION_ARGS)
{
	char	   *name;
	int32		based_on;
	TrainArgs	args;
	TrainOutcome out;
	CatalogWriter w;
	MemoryContext caller_cxt = CurrentMemoryContext;
	TupleDesc	td;
	Datum		values[9];
	bool		nulls[9] = {false};
	HeapTuple	tuple;
	Oid			types[3] = {TEXTOID, INT4OID, INT4OID};
	Datum		qvalues[3];
	bool		isnull;

	PreventCommandIfReadOnly("automl.retrain()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	check_model_privilege(name, AM_PRIV_TRAIN, "retrain");
	based_on = PG_ARGISNULL(1) ? model_cache_deployed_version(name) : PG_GETARG_INT32(1);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(&w);
	recorded_args(name, based_on, &args);
	check_recorder(name, based_on, args.source_role, w.caller_id);
	catalog_end_write(&w);
	train_run(&args, "retrain", based_on, &out, NULL);

	/* same data (fingerprint) and same model (bytes) as the version retrained? */
	catalog_begin_write(&w);
	qvalues[0] = CStringGetTextDatum(name);
	qvalues[1] = Int32GetDatum(based_on);
	qvalues[2] = Int32GetDatum(out.version);
	values[7] = BoolGetDatum(!DatumGetBool(catalog_exec(
		"SELECT a.data_fingerprint = b.data_fingerprint AND a.n_rows = b.n_rows "
		"FROM automl.model_table a, automl.model_table b "
		"WHERE a.name = $1 AND a.version = $2 AND b.name = $1 AND b.version = $3",
		3, types, qvalues, NULL, SPI_OK_SELECT, &isnull)));
	values[8] = catalog_exec("SELECT da.data = db.data "
							 "FROM automl.model_table a JOIN automl.model_data da USING (model_id), "
							 "automl.model_table b JOIN automl.model_data db USING (model_id) "
							 "WHERE a.name = $1 AND a.version = $2 AND b.name = $1 AND b.version = $3",
							 3, types, qvalues, NULL, SPI_OK_SELECT, &isnull);
	catalog_end_write(&w);

	MemoryContextSwitchTo(caller_cxt);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl.retrain must return a composite type");
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(out.version);
	values[2] = Int32GetDatum(based_on);
	values[3] = CStringGetTextDatum(out.algorithm);
	values[4] = CStringGetTextDatum(out.metric);
	values[5] = Float8GetDatum(out.score);
	nulls[5] = isnan(out.score);
	values[6] = Int64GetDatum(out.rows);
	tuple = heap_form_tuple(BlessTupleDesc(td), values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
