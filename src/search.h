/*
 * search.h
 *	  The AutoML search: a cost-aware local search over the hyperparameters
 *	  of every algorithm family (in the spirit of FLAML's CFO), trials
 *	  validated on fixed folds or a holdout and pruned when they fall behind,
 *	  greedy ensemble selection over the stored validation predictions, and
 *	  the refit of the winner on all rows.
 *
 * Pure: the SQL layer gets each finished trial through a callback and
 * records it; nothing here knows about SPI.
 */
#ifndef AUTOML_SEARCH_H
#define AUTOML_SEARCH_H

#include "metrics.h"
#include "model.h"
#include "options.h"

#define AM_MAX_FOLDS 20
#define AM_MAX_ENSEMBLE 32

typedef enum AmTrialStatus
{
	AM_TRIAL_OK = 0,
	AM_TRIAL_FAILED,			/* the family could not fit (message kept) */
	AM_TRIAL_STOPPED,			/* budget ran out before the trial finished */
	AM_TRIAL_PRUNED				/* fell behind the best after some folds */
} AmTrialStatus;

extern const char *am_trial_status_name(AmTrialStatus s);

typedef struct AmTrial
{
	int			number;			/* 1-based, unique in the run */
	const AmFamily *family;
	AmParams	params;
	int			n_folds;		/* folds completed */
	double		fold_scores[AM_MAX_FOLDS];
	double		score;			/* mean over folds (NaN when none) */
	double		score_std;
	double		fit_seconds;	/* summed over folds */
	double		predict_seconds;
	double		finished_at;	/* seconds since the search started */
	AmTrialStatus status;
	bool		resumed;		/* taken over from an earlier run, not re-run */
	char		error[AM_ERR_LEN];
} AmTrial;

typedef struct AmSearchConfig
{
	const AmDataset *data;
	const AmSchema *schema;
	AmMetric	metric;
	const AmTrainOptions *options;
	const AmFamily *families[AM_MAX_FAMILIES];
	int			n_families;
	double		time_budget;	/* seconds; <= 0: none */
	int			max_trials;		/* <= 0: none (counts new trials only) */
	const double *weights;		/* per-row sample weights, or NULL */
	const AmTrial *history;		/* finished trials of a resumed run */
	int			n_history;
	void		(*on_trial) (void *arg, const AmTrial *trial, const AmTrial *best);
	/* Optional: true when the search should end now and keep the best so far. */
	bool		(*should_stop) (void *arg);
	/* Optional: told when a phase begins ("preparing", "ensembling", "refitting"). */
	void		(*on_phase) (void *arg, const char *phase);
	void	   *arg;
} AmSearchConfig;

#define AM_SIMPLER_THAN_ENSEMBLE (-2)

/* Why a search ended (am_search_end_name() gives its name in SQL). */
typedef enum AmSearchEnd
{
	AM_END_FAMILIES_DONE,		/* every family converged, was retired or ran out of configurations */
	AM_END_MAX_TRIALS,
	AM_END_TIME_BUDGET,			/* time_budget spent (a trial may have been stopped) */
	AM_END_PATIENCE				/* the best stopped gaining beyond the folds' noise */
} AmSearchEnd;

extern const char *am_search_end_name(AmSearchEnd end);

typedef struct AmSearchResult
{
	int			n_trials;
	AmTrial    *trials;
	int			best;			/* best single trial (index), -1 when none */
	/*
	 * What "prefer_simpler" passed over for best, a simpler family's trial
	 * within one standard error of it: the best-scoring trial (index), or
	 * AM_SIMPLER_THAN_ENSEMBLE; -1 when nothing was.
	 */
	int			simpler_than;
	AmModel    *model;			/* the final model: refit on all rows, or fold models */
	/* validation */
	int			n_folds;		/* folds (1 for a holdout, 0 for none) */
	int			n_repeats;		/* rounds of cross-validation */
	bool		holdout;
	int			n_valid;		/* rows with validation predictions */
	int		   *valid_rows;
	double	   *valid_pred;		/* n_valid x outputs, of the final choice */
	double		score;			/* of the final choice (the ensemble's if chosen) */
	double		score_std;
	/* ensemble */
	bool		is_ensemble;
	int			n_members;
	int			member_trials[AM_MAX_ENSEMBLE];	/* trial numbers */
	double		member_weights[AM_MAX_ENSEMBLE];
	/*
	 * Per member (or for the single best trial, as member 0 with
	 * n_members 1): how many fold models the final model averages for it,
	 * 0 when it was refit once on all rows ("refit" option).
	 */
	int			fold_models[AM_MAX_ENSEMBLE];
	double		ensemble_score; /* NaN when not tried */
	/*
	 * Mean scores over the validation parts of an ensemble and of one trial,
	 * each chosen on the other parts: NaN unless the ensemble beat the best
	 * trial on all rows and had to pass this check as well.
	 */
	double		unseen_ensemble_score;
	double		unseen_single_score;
	AmSearchEnd ended_by;		/* why the search stopped proposing trials */
	double		seconds;
} AmSearchResult;

/* Run the search; NULL with err set when nothing could be fitted. */
extern AmSearchResult *am_search_run(const AmSearchConfig *cfg, AmErr *err);

/* Fit a complete model (preprocessing + family) on the given rows. */
extern AmModel *am_model_fit(const AmDataset *d, const AmSchema *schema,
							 const AmFamily *f, const AmParams *params,
							 const int *rows, int n, const double *weights,
							 void *prepared, uint64_t seed, AmErr *err);

/* ---------- the search space of a family (search_space.c) ---------- */

typedef struct AmSpaceDim
{
	const AmParamSpec *spec;
	double		lo;				/* search range */
	double		hi;
	bool		log;
	bool		integer;
	int			n_values;		/* > 0: an index into values */
	double		values[AM_MAX_VALUES];
} AmSpaceDim;

typedef struct AmSpace
{
	const AmFamily *family;
	AmParams	fixed;			/* values the user fixed */
	int			n_dims;
	AmSpaceDim	dims[AM_MAX_PARAMS];
} AmSpace;

extern void am_space_init(AmSpace *sp, const AmFamily *f, const AmFamilyConstraints *fc);
/* Point u in [0,1]^n_dims -> complete parameters. */
extern void am_space_params(const AmSpace *sp, const double *u, AmParams *out);
/* Parameters -> point (parameters outside the space are clamped). */
extern void am_space_point(const AmSpace *sp, const AmParams *p, double *u);
/* The starting point: the low-cost values (cheap) or the defaults. */
extern void am_space_start(const AmSpace *sp, bool cheap, double *u);
extern bool am_params_equal(const AmParams *a, const AmParams *b);

/* ---------- ensembles (ensemble.c) ---------- */

extern const AmFamily am_ensemble_family;

/*
 * Greedy ensemble selection with replacement (Caruana et al. 2004) over the
 * validation predictions of n candidates (each n_valid x outputs): returns
 * the selection counts per candidate and the ensemble's score.
 */
extern double am_ensemble_select(AmMetric metric, AmTask task, int n_classes,
								 const double *y, int n_valid,
								 double *const *preds, int n_candidates,
								 int rounds, int *counts);

/* Combine member outputs with weights, averaging in the margin space. */
extern void am_ensemble_combine(AmTask task, int n_classes, double *const *preds,
								const double *weights, int n_members, int n,
								double *out);

/*
 * The two ways to end a search, each judged on rows it was not chosen on:
 * for each part p (part[i] in 0 .. n_parts - 1) the best single prediction
 * and a greedy ensemble of `rounds` rounds are chosen on the rows of the
 * other parts and scored on p's.  Returns the ensemble's mean score over the
 * parts and the single choice's in *single (NaN when no part could be
 * scored).  Chosen and scored on the same rows, an ensemble of many
 * candidates fits those rows' noise better than one candidate does.
 */
extern double am_ensemble_unseen(AmMetric metric, AmTask task, int n_classes, const double *y,
								 int n, const int *part, int n_parts, double *const *preds,
								 int n_preds, int rounds, double *single);

/* An ensemble model of refit members; takes ownership of the member models. */
extern AmModel *am_ensemble_model(const AmSchema *schema, AmModel **members,
								  const double *weights, int n_members);

#endif							/* AUTOML_SEARCH_H */
