/*
 * train.h
 *	  The training pipeline shared by automl.train(), automl.retrain() and
 *	  the background jobs of automl.train_async(): arguments, the load ->
 *	  search -> store run, and the hooks a job uses to commit its progress.
 */
#ifndef AUTOML_TRAIN_H
#define AUTOML_TRAIN_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"

#include "options.h"
#include "search.h"

typedef struct TrainArgs
{
	char	   *name;
	char	   *source;
	char	   *target;
	char	   *task;
	char	   *metric_name;	/* NULL: the task's default */
	Interval   *budget;			/* NULL: none */
	double		budget_seconds;
	int			max_trials;		/* 0: none */
	char	  **algorithms;
	int			n_algorithms;
	char	  **exclude;
	int			n_exclude;
	char	   *options_json;
	AmTrainOptions options;

	/*
	 * How the source is read.  NULL/InvalidOid: resolved now, on the
	 * session's search_path, as the current role.  A job and a retrain read
	 * what was recorded: the resolved query, on the recorded search_path, as
	 * the role that recorded it.
	 */
	char	   *source_query;
	char	   *search_path;
	Oid			source_role;
	Oid			source_relation;	/* a table source: the relation it resolved to */
	bool		recorded;		/* a retrain: read as source_role even when it is the caller */
	Oid			session_role;	/* the trainer's session user (InvalidOid: this session's) */
} TrainArgs;

/* What a training run produced, for the SQL result. */
typedef struct TrainOutcome
{
	int32		version;
	const char *task;
	const char *algorithm;
	const char *metric;
	double		score;
	int			trials;
	int64		rows;
	int			features;
	double		seconds;
	char		fingerprint[17];
} TrainOutcome;

/* A run inside a background job (jobs.c) commits as it goes. */
typedef struct TrainHooks
{
	int64		job_id;
} TrainHooks;

/* The arguments of train() / train_async() (same signature). */
extern void train_args_from_call(FunctionCallInfo fcinfo, TrainArgs *a);

/*
 * The arguments recorded in a row with columns source, target, task, metric,
 * time_budget, max_trials, algorithms, exclude and options (runs, jobs), and
 * where present source_query, search_path and source_role.
 */
extern void train_args_from_row(HeapTuple tup, TupleDesc td, const char *name, TrainArgs *a);

/* Load, search, store.  SPI connected; hooks NULL for a synchronous call. */
extern void train_run(TrainArgs *args, const char *action, int32 based_on,
					  TrainOutcome *out, const TrainHooks *hooks);

/* jobs.c: what a running job reports */
extern void job_set_phase(const TrainHooks *h, const char *phase);
extern void job_record_run(const TrainHooks *h, int64 run_id);
extern void job_trial_done(const TrainHooks *h, const AmTrial *t, const AmTrial *best);
extern bool job_stop_requested(const TrainHooks *h);

#endif							/* AUTOML_TRAIN_H */
