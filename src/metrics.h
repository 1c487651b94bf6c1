/*
 * metrics.h
 *	  Scores of predictions against targets: ROC AUC, log loss, accuracy,
 *	  macro F1 (classification); RMSE, MAE, R^2 (regression).
 *
 * Predictions are the family outputs: row-major n x am_task_outputs(),
 * i.e. P(class 1) for binary tasks and K probabilities for multiclass.
 */
#ifndef AUTOML_METRICS_H
#define AUTOML_METRICS_H

#include "dataset.h"

typedef enum AmMetric
{
	AM_METRIC_ROC_AUC = 0,
	AM_METRIC_LOG_LOSS,
	AM_METRIC_ACCURACY,
	AM_METRIC_F1_MACRO,
	AM_METRIC_RMSE,
	AM_METRIC_MAE,
	AM_METRIC_R2,
	AM_METRIC_COUNT
} AmMetric;

extern const char *am_metric_name(AmMetric m);
extern bool am_metric_lookup(const char *name, AmMetric *m);
extern bool am_metric_greater_is_better(AmMetric m);
extern bool am_metric_valid_for(AmMetric m, AmTask task);
extern AmMetric am_metric_default(AmTask task);

/* Score of n predictions; w may be NULL. */
extern double am_metric_score(AmMetric m, AmTask task, int n_classes,
							  const double *y, const double *pred, int n,
							  const double *w);

/* True when score a is better than score b under metric m. */
extern bool am_metric_better(AmMetric m, double a, double b);

#endif							/* AUTOML_METRICS_H */
