/*
 * describe.h
 *	  JSON text describing a training's outcome (describe.c), and checks of
 *	  the data that deserve a warning (diagnose.c).  Pure.
 */
#ifndef AUTOML_DESCRIBE_H
#define AUTOML_DESCRIBE_H

#include "search.h"

extern char *am_describe_params(const AmFamily *f, const AmParams *p);
/* The hyperparameters a fitted model holds (an ensemble: of each member). */
extern char *am_describe_model_params(const AmModel *m);
/* The kept configuration, or an ensemble's members with weights. */
/* The algorithm the final model is stored under (its trial's for fold models). */
extern const char *am_describe_algorithm(const AmSearchResult *res);
extern char *am_describe_choice(const AmSearchResult *res);
extern char *am_describe_features(const AmModel *m);
/* The final model's predictions for every row of d (n_rows x outputs). */
extern double *am_predict_dataset(AmModel *m, const AmDataset *d);

/*
 * Training rows that the training metrics and the drift reference are
 * computed on: all of them up to AM_DESCRIBE_ROWS, else evenly spaced rows
 * (every k-th), which keeps quantiles and metrics to well under a percent
 * while scoring a large table's rows again would cost seconds.  Returns d
 * itself when it is small enough.
 */
#define AM_DESCRIBE_ROWS 200000
extern AmDataset *am_dataset_spread_rows(const AmDataset *d, int max_rows);

/*
 * Validation summary and metrics (d: all training rows), and every metric
 * on the training rows of train (pred: am_predict_dataset(m, train)).
 */
extern char *am_describe_metrics(const AmDataset *d, const AmSearchResult *res,
								 AmMetric metric, const AmDataset *train, const double *pred);

/* diagnostics.c: for the report and for drift checks */
extern char *am_describe_diagnostics(const AmSearchResult *res, const AmDataset *d,
									 const AmSchema *s);

/*
 * Permutation importance per raw feature (out: n_features values): the
 * growth of the log loss (or squared error) when the feature is shuffled,
 * on up to 1000 evenly spaced rows, with a fixed seed.
 */
extern void am_permutation_importance(AmModel *m, const AmDataset *d, double *out);
extern char *am_describe_drift_reference(const AmDataset *d, const AmSchema *s,
										 const double *pred);
/* Features of the training data; leaky: indexes of features flagged as leaks. */
extern char *am_describe_profile(const AmDataset *d, const AmSchema *s, const int *leaky,
								 int n_leaky);
/* The target's entry of the profile (skipped: rows whose target was NULL). */
extern char *am_describe_target_profile(const AmDataset *d, const AmSchema *s, long skipped);
/* The drift bin of a value given the reference's inner edges. */
extern int	am_drift_bin(const double *edges, int n_edges, double v);

typedef enum AmDiagnosisKind
{
	AM_DIAG_LEAK = 0,			/* one feature alone predicts the target */
	AM_DIAG_IMBALANCE,			/* a class is rare */
	AM_DIAG_TINY				/* very few rows */
} AmDiagnosisKind;

typedef struct AmDiagnosis
{
	AmDiagnosisKind kind;
	int			feature;		/* -1 when not about one feature */
	double		value;			/* the statistic that triggered it */
} AmDiagnosis;

/* Checks of the training data; returns how many diagnoses were written. */
extern int	am_diagnose(const AmDataset *d, AmDiagnosis *out, int max);

#endif							/* AUTOML_DESCRIBE_H */
