/*
 * kernels.h
 *	  Dense linear algebra on OpenBLAS/LAPACKE, cut into row blocks with an
 *	  interrupt check between blocks (a running BLAS call cannot be
 *	  cancelled), and with LAPACK info codes turned into AmErr messages.
 *
 * Matrices are column-major: element (i, j) of an n x p matrix with leading
 * dimension ld is x[i + j * ld].
 */
#ifndef AUTOML_KERNELS_H
#define AUTOML_KERNELS_H

#include <stddef.h>

#include "core.h"

/* Rows per BLAS call between interrupt checks. */
#define AM_BLAS_BLOCK_ROWS 16384

/* G (p x p, upper triangle) = X' X over n rows. */
extern void am_gram(const double *x, size_t ld, int n, int p, double *g);

/* out (p) = X' v over n rows. */
extern void am_xt_v(const double *x, size_t ld, int n, int p, const double *v,
					double *out);

/* Solve A z = b in place for symmetric positive definite A (p x p, upper). */
extern bool am_solve_spd(double *a, int p, double *b, int nrhs, AmErr *err);

/* Use this many threads in OpenBLAS (the backend only). */
extern void am_blas_set_threads(int n);

#endif							/* AUTOML_KERNELS_H */
