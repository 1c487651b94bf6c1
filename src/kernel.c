/*
 * kernel.c
 *	  The "kernel" family: RBF-kernel ridge regression and kernel logistic
 *	  regression on a Nystroem feature map (Williams & Seeger, 2001), as
 *	  scikit-learn's Nystroem followed by Ridge or LogisticRegression.
 *
 * Fit, on the dense encoding (standardised numbers, one-hot categories):
 *	 1. m = min(n, n_components) landmark rows drawn from the training rows
 *		with the trial's seed;
 *	 2. K_mm, the RBF kernel exp(-gamma/p |x - x'|^2) among the landmarks
 *		(gamma = 1 is scikit-learn's gamma="scale" on standardised columns),
 *		and its eigendecomposition K_mm = U S U' (LAPACKE dsyevr);
 *	 3. the map phi(x) = k(x, L) U S^-1/2 over the r eigenvalues above a
 *		relative floor: the columns of K(X, L) U S^-1/2 are the training
 *		rows' coordinates in the span of the landmarks' kernel functions;
 *	 4. the linear family's solver on phi(X) with the same alpha (ridge, or
 *		binary / multinomial logistic regression by L-BFGS).
 * The map is folded into the coefficients, A = U S^-1/2 B (m x k), so a row
 * costs m kernel values and m x k products: margin = k(x, L) A + c.
 *
 * Kernel values are summed column by column in a fixed order (no BLAS), so
 * one row and a block of rows score the same bits.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "linear.h"
#include "rng.h"

#define KERNEL_FORMAT_VERSION 1

/* Landmarks at most: their eigendecomposition is one call a cancel cannot reach. */
#define KERNEL_MAX_COMPONENTS 2000
/* Eigenvalues below this share of the largest are dropped from the map. */
#define KERNEL_EIGEN_FLOOR 1e-10
/* Rows of a block of kernel values while fitting and scoring. */
#define KERNEL_BLOCK_ROWS 256
/* Importance: the gradient is averaged over at most this many landmarks. */
#define KERNEL_IMP_ROWS 500

typedef struct KernelModel
{
	int			p;				/* columns of the dense encoding */
	int			k;				/* outputs: 1, or K classes for multinomial */
	int			m;				/* landmark rows */
	AmTask		task;
	double		g;				/* gamma / p: the factor in exp(-g |x - l|^2) */
	double	   *landmarks;		/* m x p, row-major: landmark l's columns at l * p */
	double	   *coef;			/* m x k, output c at coef + c * m */
	double	   *intercept;		/* k */
} KernelModel;

static const AmParamSpec kernel_params[] = {
	{"alpha", 1e-4, 0.0, 1e6, 1e-6, 0.1, false, true, NULL,
	"L2 penalty on the weights in the kernel's feature space"},
	{"gamma", 1.0, 1e-6, 1e6, 0.01, 10.0, false, true, NULL,
	"RBF width: exp(-gamma |x - x'|^2 / p) on standardised columns "
	"(1 = scikit-learn's gamma='scale')"},
	{"n_components", 300, 1, KERNEL_MAX_COMPONENTS, 100, 800, true, true, NULL,
	"landmark rows of the Nystroem map (all rows when fewer)", 100},
	{"max_iter", 500, 1, 100000, 500, 500, true, false, NULL,
	"L-BFGS iterations (classification only)"},
	{"tol", 1e-6, 1e-12, 1.0, 1e-6, 1e-6, false, true, NULL,
	"stop when the largest gradient component is below this (classification only)"},
};

/*
 * The kernel value of one row of x (column-major, leading dimension ld)
 * against landmark l: the squared differences summed in column order, as
 * kernel_values() sums them for a block.
 */
static double
kernel_value_one(const KernelModel *km, const double *x, size_t ld, int l)
{
	const double *lm = km->landmarks + (size_t) l * km->p;
	double		acc = 0.0;

	for (int j = 0; j < km->p; j++)
	{
		double		d = x[(size_t) j * ld] - lm[j];

		acc += d * d;
	}
	return exp(-km->g * acc);
}

/*
 * Kernel values of n rows of x (column-major, leading dimension ld) against
 * the landmarks: kv is n x m, column-major.  Each value sums the squared
 * differences in column order, whatever n is.
 */
static void
kernel_values(const KernelModel *km, const double *x, size_t ld, int n, double *kv)
{
	for (int l = 0; l < km->m; l++)
	{
		const double *lm = km->landmarks + (size_t) l * km->p;
		double	   *out = kv + (size_t) l * n;

		if (n == 1)
		{
			out[0] = kernel_value_one(km, x, ld, l);
			continue;
		}
		for (int i = 0; i < n; i++)
			out[i] = 0.0;
		for (int j = 0; j < km->p; j++)
		{
			const double *col = x + (size_t) j * ld;
			double		v = lm[j];

			for (int i = 0; i < n; i++)
			{
				double		d = col[i] - v;

				out[i] += d * d;
			}
		}
		for (int i = 0; i < n; i++)
			out[i] = exp(-km->g * out[i]);
	}
}

/* Landmarks: m distinct training rows drawn with the trial's seed. */
static void
draw_landmarks(const AmFitInput *in, KernelModel *km)
{
	AmRng		rng;
	int		   *order = AM_NEW(int, in->n);

	for (int i = 0; i < in->n; i++)
		order[i] = i;
	am_rng_seed(&rng, am_seed_derive(in->seed, 0x6b65726e));
	if (km->m < in->n)
		am_rng_shuffle(&rng, order, in->n);
	for (int l = 0; l < km->m; l++)
		for (int j = 0; j < km->p; j++)
			km->landmarks[(size_t) l * km->p + j] = in->x[order[l] + (size_t) j * in->ld];
	am_free(order);
}

/* The first rows landmarks as a column-major matrix (rows x p), to be scored as data. */
static double *
landmark_columns(const KernelModel *km, int rows)
{
	double	   *x = AM_NEW(double, (size_t) rows * km->p);

	for (int l = 0; l < rows; l++)
		for (int j = 0; j < km->p; j++)
			x[l + (size_t) j * rows] = km->landmarks[(size_t) l * km->p + j];
	return x;
}

/*
 * The map U S^-1/2 (m x r, column-major) from the eigendecomposition of the
 * landmarks' kernel matrix; returns r, or -1 with err set.
 */
static int
nystroem_map(const KernelModel *km, double **map, AmErr *err)
{
	int			m = km->m;
	double	   *kmm = AM_NEW(double, (size_t) m * m);
	double	   *s = AM_NEW(double, m);
	double	   *u = AM_NEW(double, (size_t) m * m);
	int		   *support = AM_NEW(int, 2 * (size_t) m);
	double	   *lx = landmark_columns(km, m);
	int			found = 0,
				r = 0,
				info;

	kernel_values(km, lx, (size_t) m, m, kmm);
	am_free(lx);
	am_check_interrupts();
	info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'A', 'U', m, kmm, m, 0.0, 0.0, 0, 0,
						  0.0, &found, s, u, m, support);
	am_free(kmm);
	am_free(support);
	if (info != 0 || found != m)
	{
		am_err_set(err, AM_ERR_NUMERIC,
				   "the eigendecomposition of the kernel matrix failed (LAPACK info %d)", info);
		return -1;
	}
	/* eigenvalues ascending: keep the tail above the floor, scaled by 1/sqrt */
	for (int c = 0; c < m; c++)
		if (s[c] > KERNEL_EIGEN_FLOOR * s[m - 1])
			r++;
	*map = AM_NEW(double, (size_t) m * (r > 0 ? r : 1));
	for (int c = 0; c < r; c++)
	{
		int			src = m - r + c;
		double		scale = 1.0 / sqrt(s[src]);

		for (int i = 0; i < m; i++)
			(*map)[i + (size_t) c * m] = u[i + (size_t) src * m] * scale;
	}
	am_free(s);
	am_free(u);
	return r;
}

/* phi(X) = K(X, L) map, n x r column-major, in blocks of rows; NULL past the deadline. */
static double *
feature_map(const KernelModel *km, const AmFitInput *in, const double *map, int r, AmErr *err)
{
	double	   *phi;
	double	   *kv = AM_NEW(double, (size_t) KERNEL_BLOCK_ROWS * km->m);

	am_memory_reserve((size_t) in->n * r * sizeof(double), "kernel feature map");
	phi = AM_NEW(double, (size_t) in->n * r);
	for (int r0 = 0; r0 < in->n; r0 += KERNEL_BLOCK_ROWS)
	{
		int			nb = in->n - r0 < KERNEL_BLOCK_ROWS ? in->n - r0 : KERNEL_BLOCK_ROWS;

		am_check_interrupts();
		if (am_past_deadline())
		{
			am_err_set(err, AM_ERR_DEADLINE, "time budget ran out computing the kernel features");
			am_free(kv);
			am_free(phi);
			return NULL;
		}
		kernel_values(km, in->x + r0, in->ld, nb, kv);
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, nb, r, km->m,
					1.0, kv, nb, map, km->m, 0.0, phi + r0, in->n);
	}
	am_free(kv);
	return phi;
}

static void *
kernel_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	KernelModel *km;
	AmFitInput	lin = *in;
	AmParams	lp;
	double	   *map,
			   *phi;
	const double *b,
			   *c;
	void	   *linear;
	int			r;

	if (in->n < 1 || in->p < 1)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no columns to fit");
		return NULL;
	}
	km = AM_NEW0(KernelModel, 1);
	km->p = in->p;
	km->task = in->task;
	km->k = am_task_outputs(in->task, in->n_classes);
	km->m = (int) fmin((double) in->n, am_param(p, "n_components"));
	km->g = am_param(p, "gamma") / in->p;
	am_memory_reserve(((size_t) km->m * km->m * 3 + (size_t) km->m * in->p) * sizeof(double),
					  "kernel landmarks");
	km->landmarks = AM_NEW(double, (size_t) km->m * in->p);
	draw_landmarks(in, km);

	r = nystroem_map(km, &map, err);
	if (r < 0)
		return NULL;
	phi = feature_map(km, in, map, r, err);
	if (phi == NULL)
		return NULL;

	/* the linear solver on phi(X), with this trial's alpha, max_iter and tol */
	memset(&lp, 0, sizeof(lp));
	am_params_set(&lp, "alpha", am_param(p, "alpha"));
	am_params_set(&lp, "max_iter", am_param(p, "max_iter"));
	am_params_set(&lp, "tol", am_param(p, "tol"));
	lin.x = phi;
	lin.ld = (size_t) in->n;
	lin.p = r;
	linear = am_linear_fit(&lin, &lp, err);
	am_free(phi);
	if (linear == NULL)
		return NULL;

	/* fold the map into the coefficients: A = map B */
	am_linear_coefficients(linear, &b, &c);
	km->coef = AM_NEW(double, (size_t) km->m * km->k);
	km->intercept = AM_NEW(double, km->k);
	cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, km->m, km->k, r,
				1.0, map, km->m, b, r, 0.0, km->coef, km->m);
	memcpy(km->intercept, c, sizeof(double) * km->k);
	am_free(map);
	return km;
}

/*
 * One row (automl.predict): each kernel value is added to the outputs as it
 * is computed, in the order the blocked path adds them, so the result is the
 * same and nothing is allocated.
 */
static void
kernel_predict_one(const KernelModel *km, const double *x, size_t ld, double *out)
{
	for (int c = 0; c < km->k; c++)
		out[c] = km->intercept[c];
	for (int l = 0; l < km->m; l++)
	{
		double		v = kernel_value_one(km, x, ld, l);

		for (int c = 0; c < km->k; c++)
			out[c] += km->coef[(size_t) c * km->m + l] * v;
	}
	am_linear_link(km->task, km->k, out, 1);
}

static void
kernel_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const KernelModel *km = model;
	int			nb_max = n < KERNEL_BLOCK_ROWS ? n : KERNEL_BLOCK_ROWS;
	double	   *kv;

	if (n == 1)
	{
		kernel_predict_one(km, x, ld, out);
		return;
	}
	kv = AM_NEW(double, (size_t) (nb_max > 0 ? nb_max : 1) * km->m);

	for (int r0 = 0; r0 < n; r0 += KERNEL_BLOCK_ROWS)
	{
		int			nb = n - r0 < KERNEL_BLOCK_ROWS ? n - r0 : KERNEL_BLOCK_ROWS;

		kernel_values(km, x + r0, ld, nb, kv);
		for (int c = 0; c < km->k; c++)
		{
			const double *a = km->coef + (size_t) c * km->m;

			for (int i = 0; i < nb; i++)
				out[(size_t) (r0 + i) * km->k + c] = km->intercept[c];
			for (int l = 0; l < km->m; l++)
			{
				const double *col = kv + (size_t) l * nb;

				for (int i = 0; i < nb; i++)
					out[(size_t) (r0 + i) * km->k + c] += a[l] * col[i];
			}
		}
	}
	am_free(kv);
	am_linear_link(km->task, km->k, out, n);
}

static void
kernel_serialize(const void *model, AmWriter *w)
{
	const KernelModel *km = model;

	am_w_u32(w, (uint32_t) km->p);
	am_w_u32(w, (uint32_t) km->k);
	am_w_u32(w, (uint32_t) km->m);
	am_w_f64(w, km->g);
	am_w_f64s(w, km->landmarks, (size_t) km->m * km->p);
	am_w_f64s(w, km->coef, (size_t) km->m * km->k);
	am_w_f64s(w, km->intercept, km->k);
}

static void *
kernel_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	uint32_t	rp = am_r_u32(r),
				rk = am_r_u32(r),
				rm = am_r_u32(r);
	int			k = am_task_outputs(task, n_classes);
	KernelModel *km;

	if (!am_r_ok(r) || rp != (uint32_t) p || rk != (uint32_t) k ||
		rm < 1 || rm > KERNEL_MAX_COMPONENTS ||
		am_r_remaining(r) != 8 * (1 + (size_t) rm * p + (size_t) rm * k + k))
	{
		am_err_set(err, AM_ERR_CORRUPT, "kernel model dimensions do not match its schema");
		return NULL;
	}
	km = AM_NEW0(KernelModel, 1);
	km->p = p;
	km->k = k;
	km->m = (int) rm;
	km->task = task;
	km->g = am_r_f64(r);
	km->landmarks = am_r_f64s(r, (size_t) km->m * p);
	km->coef = am_r_f64s(r, (size_t) km->m * k);
	km->intercept = am_r_f64s(r, k);
	if (!am_r_ok(r) || !(km->g > 0.0) || !isfinite(km->g) ||
		!am_all_finite(km->landmarks, (size_t) km->m * p) ||
		!am_all_finite(km->coef, (size_t) km->m * k) || !am_all_finite(km->intercept, k))
	{
		am_err_set(err, AM_ERR_CORRUPT, "kernel model values are invalid");
		return NULL;
	}
	return km;
}

/*
 * Mean absolute partial derivative of the margins along each column, taken
 * at (up to KERNEL_IMP_ROWS of) the landmarks, which are training rows:
 * d margin_c / d x_j = sum_l A_lc k(x, l) (-2 g) (x_j - l_j).  On
 * standardised columns that is the effect of a typical change.
 */
static bool
kernel_importance(const void *model, AmImportanceKind kind, double *out)
{
	const KernelModel *km = model;
	int			rows = km->m < KERNEL_IMP_ROWS ? km->m : KERNEL_IMP_ROWS;
	double	   *kv,
			   *grad,
			   *lx;

	if (kind != AM_IMPORTANCE_GAIN)
		return false;
	kv = AM_NEW(double, (size_t) rows * km->m);
	grad = AM_NEW(double, km->p);
	/* the first landmarks are themselves a random sample of the training rows */
	lx = landmark_columns(km, rows);
	kernel_values(km, lx, (size_t) rows, rows, kv);
	am_free(lx);
	memset(out, 0, sizeof(double) * km->p);
	for (int i = 0; i < rows; i++)
	{
		for (int c = 0; c < km->k; c++)
		{
			memset(grad, 0, sizeof(double) * km->p);
			for (int l = 0; l < km->m; l++)
			{
				double		f = km->coef[l + (size_t) c * km->m] * kv[i + (size_t) l * rows];
				const double *xi = km->landmarks + (size_t) i * km->p;
				const double *xl = km->landmarks + (size_t) l * km->p;

				for (int j = 0; j < km->p; j++)
					grad[j] += f * (xi[j] - xl[j]);
			}
			for (int j = 0; j < km->p; j++)
				out[j] += fabs(2.0 * km->g * grad[j]) / rows;
		}
		am_check_interrupts();
	}
	am_free(kv);
	am_free(grad);
	return true;
}

const AmFamily am_kernel_family = {
	.name = "kernel",
	.description = "RBF kernel ridge / kernel logistic regression on a Nystroem map",
	.format_version = KERNEL_FORMAT_VERSION,
	.relative_cost = 5,			/* n x m kernel values, then the linear solver on m columns */
	.complexity = 3,
	.encoding = AM_ENCODING_DENSE,
	.tasks = AM_TASKS_ALL,
	.params = kernel_params,
	.n_params = sizeof(kernel_params) / sizeof(kernel_params[0]),
	.check_params = NULL,
	.prepare = NULL,
	.fit = kernel_fit,
	.predict = kernel_predict,
	.serialize = kernel_serialize,
	.deserialize = kernel_deserialize,
	.importance = kernel_importance,
	.contributions = NULL,
	.fuse = NULL,
	.predict_fused = NULL,
};
