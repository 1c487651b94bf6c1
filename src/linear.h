/*
 * linear.h
 *	  The linear family's solver for other dense families to build on: fit
 *	  ridge or L2 logistic regression on any column-major matrix, read the
 *	  coefficients back, and turn margins into the family's outputs.
 */
#ifndef AUTOML_LINEAR_H
#define AUTOML_LINEAR_H

#include "model.h"

/* Fit on in->x (params: alpha, max_iter, tol); NULL and err set on failure. */
extern void *am_linear_fit(const AmFitInput *in, const AmParams *p, AmErr *err);

/*
 * The fitted coefficients: *coef is p x k (output c at *coef + c * p),
 * *intercept k values; returns k.
 */
extern int	am_linear_coefficients(const void *model, const double **coef,
								   const double **intercept);

/* Margins (row-major n x k) to outputs in place: sigmoid, softmax or none. */
extern void am_linear_link(AmTask task, int k, double *out, int n);

#endif							/* AUTOML_LINEAR_H */
