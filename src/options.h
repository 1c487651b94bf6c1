/*
 * options.h
 *	  The "options" jsonb argument of automl.train(), parsed and checked in
 *	  pure C (unit-tested and fuzzed outside the server).
 *
 *	  {"seed": 0, "cv_folds": 5, "cv_repeats": 1, "validation": "auto",
 *	   "holdout_fraction": 0.2,
 *	   "max_categories": 100, "ensemble": true, "ensemble_size": 25,
 *	   "early_stopping": true, "prefer_simpler": false, "patience": 100,
 *	   "class_weight": "balanced", "resume": false,
 *	   "refit": "auto",
 *	   "exclude_algorithms": ["knn"],
 *	   "hyperparameters": {"linear": {"alpha": 0.01,           -- fixed
 *	                                  "max_iter": [100, 500],  -- a list
 *	                                  "tol": {"min": 1e-8, "max": 1e-4}}}}
 */
#ifndef AUTOML_OPTIONS_H
#define AUTOML_OPTIONS_H

#include "model.h"

#define AM_MAX_VALUES 32
#define AM_MAX_FAMILIES 16

typedef struct AmParamConstraint
{
	const AmParamSpec *spec;
	int			n_values;		/* > 0: exactly these values */
	double		values[AM_MAX_VALUES];
	bool		has_range;		/* search only within [lo, hi] */
	double		lo;
	double		hi;
} AmParamConstraint;

typedef struct AmFamilyConstraints
{
	const AmFamily *family;
	int			n;
	AmParamConstraint c[AM_MAX_PARAMS];
} AmFamilyConstraints;

typedef enum AmValidation
{
	AM_VALIDATION_AUTO = 0,		/* k-fold for small data, holdout for large */
	AM_VALIDATION_CV,
	AM_VALIDATION_HOLDOUT
} AmValidation;

/* What the final model is fitted on once the search has chosen. */
typedef enum AmRefit
{
	AM_REFIT_AUTO = 0,			/* fold models of unstable families on small data */
	AM_REFIT_ALL_ROWS,			/* one model on every row */
	AM_REFIT_FOLDS				/* the cross-validation's k fold models, averaged */
} AmRefit;

typedef struct AmTrainOptions
{
	uint64_t	seed;
	int			cv_folds;		/* 0: fit once on all rows, no CV */
	bool		cv_folds_set;
	int			cv_repeats;		/* rounds of k folds (repeated cross-validation) */
	AmValidation validation;
	double		holdout_fraction;
	int			holdout_min_rows;	/* "auto" switches to holdout above this */
	int			max_categories; /* levels kept per categorical column */
	bool		ensemble;		/* try a greedy ensemble of the best trials */
	int			ensemble_size;	/* selection rounds */
	bool		early_stopping; /* prune trials that fall behind after a fold */
	bool		prefer_simpler; /* keep a simpler family within one standard error */
	int			patience;		/* trials without a gain of one standard error; 0: none */
	AmRefit		refit;
	bool		class_weight_balanced;
	bool		resume;			/* warm start from the name's last run */
	int			n_excluded;
	const AmFamily *excluded[AM_MAX_FAMILIES];
	int			n_families;
	AmFamilyConstraints families[AM_MAX_FAMILIES];
} AmTrainOptions;

#define AM_DEFAULT_SEED 42
#define AM_DEFAULT_CV_FOLDS 5
#define AM_DEFAULT_MAX_CATEGORIES 100
#define AM_DEFAULT_HOLDOUT_FRACTION 0.2
#define AM_DEFAULT_HOLDOUT_MIN_ROWS 100000
#define AM_DEFAULT_ENSEMBLE_SIZE 25
#define AM_DEFAULT_PATIENCE 100
#define AM_DEFAULT_BAG_MAX_ROWS 10000	/* "refit": "auto" averages fold models up to here */

extern void am_options_init(AmTrainOptions *o);
extern bool am_options_parse(const char *json, size_t len, AmTrainOptions *o,
							 AmErr *err);
/* Constraints given for a family, or NULL. */
extern const AmFamilyConstraints *am_options_family(const AmTrainOptions *o,
													const AmFamily *f);

#endif							/* AUTOML_OPTIONS_H */
