/*
 * search.h
 *	  The model search: candidate configurations per algorithm family,
 *	  cross-validated trials within a time and trial budget, and the refit
 *	  of the winner on all rows.  Pure: reports each trial through a
 *	  callback and leaves recording to the SQL layer.
 */
#ifndef AUTOML_SEARCH_H
#define AUTOML_SEARCH_H

#include "metrics.h"
#include "model.h"
#include "options.h"

#define AM_MAX_FOLDS 20

typedef enum AmTrialStatus
{
	AM_TRIAL_OK = 0,
	AM_TRIAL_FAILED,			/* the family could not fit (message kept) */
	AM_TRIAL_STOPPED			/* budget ran out before the trial finished */
} AmTrialStatus;

typedef struct AmTrial
{
	int			number;			/* 1-based */
	const AmFamily *family;
	AmParams	params;
	int			n_folds;		/* folds completed */
	double		fold_scores[AM_MAX_FOLDS];
	double		score;			/* mean over folds (NaN when no CV) */
	double		score_std;
	double		fit_seconds;	/* summed over folds */
	double		predict_seconds;
	double		finished_at;	/* seconds since the search started */
	AmTrialStatus status;
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
	int			max_trials;		/* <= 0: none */
	void		(*on_trial) (void *arg, const AmTrial *trial, const AmTrial *best);
	void	   *arg;
} AmSearchConfig;

typedef struct AmSearchResult
{
	int			n_trials;
	AmTrial    *trials;
	int			best;			/* index into trials, -1 when none succeeded */
	AmModel    *model;			/* the best configuration refit on all rows */
	int			n_folds;		/* folds used (0: no cross-validation) */
	bool		budget_exhausted;
	double		seconds;
} AmSearchResult;

/* Candidate configurations for a family, honouring user constraints. */
extern int	am_search_candidates(const AmFamily *f, const AmFamilyConstraints *fc,
								 AmParams *out, int max);

/* Run the search; NULL with err set when nothing could be fitted. */
extern AmSearchResult *am_search_run(const AmSearchConfig *cfg, AmErr *err);

/* Fit a complete model (preprocessing + family) on the given rows. */
extern AmModel *am_model_fit(const AmDataset *d, const AmSchema *schema,
							 const AmFamily *f, const AmParams *params,
							 const int *rows, int n, void *prepared,
							 uint64_t seed, AmErr *err);

#endif							/* AUTOML_SEARCH_H */
