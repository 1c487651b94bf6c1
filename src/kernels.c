/*
 * kernels.c
 *	  Blocked BLAS calls and checked LAPACK solves (see kernels.h).
 */
#include "kernels.h"

#include <cblas.h>
#include <lapacke.h>
#include <string.h>

void
am_gram(const double *x, size_t ld, int n, int p, double *g)
{
	memset(g, 0, sizeof(double) * (size_t) p * p);
	for (int r0 = 0; r0 < n; r0 += AM_BLAS_BLOCK_ROWS)
	{
		int			nb = (n - r0 < AM_BLAS_BLOCK_ROWS) ? n - r0 : AM_BLAS_BLOCK_ROWS;

		am_check_interrupts();
		cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, p, nb,
					1.0, x + r0, (int) ld, 1.0, g, p);
	}
}

void
am_xt_v(const double *x, size_t ld, int n, int p, const double *v, double *out)
{
	memset(out, 0, sizeof(double) * (size_t) p);
	for (int r0 = 0; r0 < n; r0 += AM_BLAS_BLOCK_ROWS)
	{
		int			nb = (n - r0 < AM_BLAS_BLOCK_ROWS) ? n - r0 : AM_BLAS_BLOCK_ROWS;

		am_check_interrupts();
		cblas_dgemv(CblasColMajor, CblasTrans, nb, p, 1.0, x + r0, (int) ld,
					v + r0, 1, 1.0, out, 1);
	}
}

bool
am_solve_spd(double *a, int p, double *b, int nrhs, AmErr *err)
{
	lapack_int	info;

	am_check_interrupts();
	info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', p, nrhs, a, p, b, p);
	if (info > 0)
	{
		am_err_set(err, AM_ERR_NUMERIC,
				   "matrix is not positive definite (leading minor %d)", (int) info);
		return false;
	}
	if (info < 0)
	{
		am_err_set(err, AM_ERR_NUMERIC, "LAPACKE_dposv: argument %d is invalid",
				   (int) -info);
		return false;
	}
	return true;
}

void
am_blas_set_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}
