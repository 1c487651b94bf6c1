/*
 * cv.h
 *	  Cross-validation folds: stratified by class for classification,
 *	  shuffled with the extension's seeded RNG so the same seed gives the
 *	  same folds for every trial and every run.
 */
#ifndef AUTOML_CV_H
#define AUTOML_CV_H

#include <stdint.h>

#include "dataset.h"

/* Fold number 0 .. k-1 for each of the n rows. */
extern int *am_cv_folds(const double *y, int n, AmTask task, int n_classes,
						int k, uint64_t seed);

/* Rows in fold f (valid) and not in it (train); arrays allocated. */
extern void am_cv_split(const int *fold, int n, int f, int **train, int *n_train,
						int **valid, int *n_valid);

#endif							/* AUTOML_CV_H */
