/*
 * describe.h
 *	  JSON text describing a training's outcome (describe.c), and checks of
 *	  the data that deserve a warning (diagnose.c).  Pure.
 */
#ifndef AUTOML_DESCRIBE_H
#define AUTOML_DESCRIBE_H

#include "search.h"

extern char *am_describe_params(const AmFamily *f, const AmParams *p);
/* The kept configuration, or an ensemble's members with weights. */
extern char *am_describe_choice(const AmSearchResult *res);
extern char *am_describe_features(const AmModel *m);
/* Validation summary and metrics, and every metric on the training rows. */
extern char *am_describe_metrics(AmModel *m, const AmDataset *d, const AmSearchResult *res,
								 AmMetric metric);

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
