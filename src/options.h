/*
 * options.h
 *	  The "options" jsonb argument of automl.train(), parsed and checked in
 *	  pure C (unit-tested and fuzzed outside the server).
 *
 *	  {"seed": 0, "cv_folds": 5, "max_categories": 100,
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

typedef struct AmTrainOptions
{
	uint64_t	seed;
	int			cv_folds;		/* 0: fit once on all rows, no CV */
	int			max_categories; /* levels kept per categorical column */
	int			n_families;
	AmFamilyConstraints families[AM_MAX_FAMILIES];
} AmTrainOptions;

#define AM_DEFAULT_SEED 42
#define AM_DEFAULT_CV_FOLDS 5
#define AM_DEFAULT_MAX_CATEGORIES 100

extern void am_options_init(AmTrainOptions *o);
extern bool am_options_parse(const char *json, size_t len, AmTrainOptions *o,
							 AmErr *err);
/* Constraints given for a family, or NULL. */
extern const AmFamilyConstraints *am_options_family(const AmTrainOptions *o,
													const AmFamily *f);

#endif							/* AUTOML_OPTIONS_H */
