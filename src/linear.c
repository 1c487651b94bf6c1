/*
 * linear.c
 *	  The "linear" family: ridge regression (normal equations solved with
 *	  LAPACKE) and L2-regularised logistic regression, binary or multinomial
 *	  (L-BFGS whose loss and gradient are blocked BLAS products).
 *
 * Objectives, on the dense encoding (standardised numbers, one-hot
 * categories), with n training rows and weights w_i (1 when absent):
 *	  ridge:     sum_i w_i (y_i - x_i'b - c)^2 / (2 W) + alpha/2 |b|^2
 *	  logistic:  sum_i w_i loss_i / W + alpha/2 |B|^2     (W = sum_i w_i)
 * The intercepts are not penalised.  scikit-learn's Ridge(alpha=a) is
 * alpha = a / n here and LogisticRegression(C=c) is alpha = 1 / (n c).
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "linear.h"
#include "prep.h"

#define LINEAR_FORMAT_VERSION 1
#define LBFGS_MEMORY 10

typedef struct LinearModel
{
	int			p;				/* input columns */
	int			k;				/* outputs: 1, or K classes for multinomial */
	AmTask		task;
	double	   *coef;			/* p x k, column c at coef + c * p */
	double	   *intercept;		/* k */
	double	   *mean;			/* p: training mean of each column */
	double	   *sd;				/* p: training standard deviation */
	int			iterations;
} LinearModel;

static const AmParamSpec linear_params[] = {
	{"alpha", 1e-3, 0.0, 1e6, 1e-5, 1.0, false, true, NULL,
	"L2 penalty on the coefficients"},
	{"max_iter", 500, 1, 100000, 500, 500, true, false, NULL,
	"L-BFGS iterations (logistic only)"},
	{"tol", 1e-6, 1e-12, 1.0, 1e-6, 1e-6, false, true, NULL,
	"stop when the largest gradient component is below this (logistic only)"},
};

static LinearModel *
linear_new(int p, int k, AmTask task)
{
	LinearModel *m = AM_NEW0(LinearModel, 1);

	m->p = p;
	m->k = k;
	m->task = task;
	m->coef = AM_NEW0(double, (size_t) p * k);
	m->intercept = AM_NEW0(double, k);
	m->mean = AM_NEW0(double, p);
	m->sd = AM_NEW0(double, p);
	return m;
}

/* Weighted column means and standard deviations (stored for explanations). */
static void
column_moments(const AmFitInput *in, double wsum, LinearModel *m)
{
	for (int j = 0; j < in->p; j++)
	{
		const double *col = in->x + (size_t) j * in->ld;
		double		s = 0.0,
					ss = 0.0;

		for (int i = 0; i < in->n; i++)
			s += (in->w ? in->w[i] : 1.0) * col[i];
		m->mean[j] = s / wsum;
		for (int i = 0; i < in->n; i++)
		{
			double		d = col[i] - m->mean[j];

			ss += (in->w ? in->w[i] : 1.0) * d * d;
		}
		m->sd[j] = sqrt(ss / wsum);
	}
}

static double
weight_sum(const AmFitInput *in)
{
	double		s = 0.0;

	if (in->w == NULL)
		return (double) in->n;
	for (int i = 0; i < in->n; i++)
		s += in->w[i];
	return s;
}

/* ---------- ridge ---------- */

static LinearModel *
ridge_fit(const AmFitInput *in, double alpha, AmErr *err)
{
	int			p = in->p,
				n = in->n;
	LinearModel *m = linear_new(p, 1, in->task);
	double		wsum = weight_sum(in);
	double	   *g = AM_NEW(double, (size_t) p * p);
	double	   *b = AM_NEW(double, p);
	double	   *xs = NULL;
	double		ymean = 0.0;
	const double *x = in->x;
	size_t		ld = in->ld;

	column_moments(in, wsum, m);
	for (int i = 0; i < n; i++)
		ymean += (in->w ? in->w[i] : 1.0) * in->y[i];
	ymean /= wsum;

	if (in->w != NULL)
	{
		/* Weighted least squares: scale rows by sqrt(w). */
		am_memory_reserve((size_t) n * p * sizeof(double), "weighted design matrix");
		xs = AM_NEW(double, (size_t) n * p);
		for (int j = 0; j < p; j++)
			for (int i = 0; i < n; i++)
				xs[(size_t) j * n + i] = in->x[(size_t) j * in->ld + i] * sqrt(in->w[i]);
		x = xs;
		ld = (size_t) n;
	}
	am_gram(x, ld, n, p, g);
	{
		double	   *yc = AM_NEW(double, n);

		for (int i = 0; i < n; i++)
			yc[i] = in->y[i] * (in->w ? sqrt(in->w[i]) : 1.0);
		am_xt_v(x, ld, n, p, yc, b);
		am_free(yc);
	}
	/* Center: G - W mu mu', b - W mu ybar; then divide by W and add alpha. */
	for (int j = 0; j < p; j++)
	{
		for (int i = 0; i <= j; i++)
			g[i + (size_t) j * p] = (g[i + (size_t) j * p] - wsum * m->mean[i] * m->mean[j]) / wsum;
		b[j] = (b[j] - wsum * m->mean[j] * ymean) / wsum;
	}
	for (int attempt = 0; attempt < 2; attempt++)
	{
		double	   *a = AM_NEW(double, (size_t) p * p);
		double		ridge = alpha;

		memcpy(a, g, sizeof(double) * (size_t) p * p);
		memcpy(m->coef, b, sizeof(double) * p);
		if (attempt == 1)
		{
			/* alpha = 0 on collinear columns: add a tiny ridge and retry */
			double		tr = 0.0;

			for (int j = 0; j < p; j++)
				tr += g[j + (size_t) j * p];
			ridge = alpha + 1e-10 * (tr / p + 1.0);
		}
		for (int j = 0; j < p; j++)
			a[j + (size_t) j * p] += ridge;
		if (am_solve_spd(a, p, m->coef, 1, err))
		{
			am_err_clear(err);
			break;
		}
		if (attempt == 1)
			return NULL;
	}
	m->intercept[0] = ymean;
	for (int j = 0; j < p; j++)
		m->intercept[0] -= m->coef[j] * m->mean[j];
	am_free(g);
	am_free(b);
	if (xs)
		am_free(xs);
	return m;
}

/* ---------- logistic ---------- */

typedef struct LogisticProblem
{
	const AmFitInput *in;
	int			k;				/* outputs */
	double		alpha;
	double		wsum;
	double	   *z;				/* block scratch: rows x k */
	int		   *label;			/* class index per row */
} LogisticProblem;

/*
 * Loss and gradient at theta = [B (p x k) | c (k)].  Rows are processed in
 * blocks: Z = X B + c, residuals R = P - Y in place, grad_B += X' R.
 */
static double
logistic_eval(LogisticProblem *lp, const double *theta, double *grad)
{
	const AmFitInput *in = lp->in;
	int			p = in->p,
				k = lp->k;
	const double *coef = theta;
	const double *icpt = theta + (size_t) p * k;
	double	   *gcoef = grad;
	double	   *gicpt = grad + (size_t) p * k;
	double		loss = 0.0;

	memset(grad, 0, sizeof(double) * ((size_t) p + 1) * k);
	for (int r0 = 0; r0 < in->n; r0 += AM_BLAS_BLOCK_ROWS)
	{
		int			nb = (in->n - r0 < AM_BLAS_BLOCK_ROWS) ? in->n - r0 : AM_BLAS_BLOCK_ROWS;
		double	   *z = lp->z;

		am_check_interrupts();
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, nb, k, p,
					1.0, in->x + r0, (int) in->ld, coef, p, 0.0, z, nb);
		for (int i = 0; i < nb; i++)
		{
			double		wi = in->w ? in->w[r0 + i] : 1.0;
			int			yi = lp->label[r0 + i];

			if (k == 1)
			{
				double		t = z[i] + icpt[0];
				/* log(1 + e^t) - y t, computed without overflow */
				double		sp = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
				double		pr = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));

				loss += wi * (sp - (yi == 1 ? t : 0.0));
				z[i] = wi * (pr - (yi == 1 ? 1.0 : 0.0));
			}
			else
			{
				double		mx = -INFINITY,
							se = 0.0,
							lse;

				for (int c = 0; c < k; c++)
				{
					z[i + (size_t) c * nb] += icpt[c];
					if (z[i + (size_t) c * nb] > mx)
						mx = z[i + (size_t) c * nb];
				}
				for (int c = 0; c < k; c++)
					se += exp(z[i + (size_t) c * nb] - mx);
				lse = mx + log(se);
				loss += wi * (lse - z[i + (size_t) yi * nb]);
				for (int c = 0; c < k; c++)
				{
					double		pr = exp(z[i + (size_t) c * nb] - lse);

					z[i + (size_t) c * nb] = wi * (pr - (c == yi ? 1.0 : 0.0));
				}
			}
		}
		for (int c = 0; c < k; c++)
			for (int i = 0; i < nb; i++)
				gicpt[c] += z[i + (size_t) c * nb];
		cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, k, nb,
					1.0, in->x + r0, (int) in->ld, z, nb, 1.0, gcoef, p);
	}
	loss /= lp->wsum;
	for (size_t t = 0; t < ((size_t) p + 1) * k; t++)
		grad[t] /= lp->wsum;
	for (size_t t = 0; t < (size_t) p * k; t++)
	{
		loss += 0.5 * lp->alpha * coef[t] * coef[t];
		gcoef[t] += lp->alpha * coef[t];
	}
	return loss;
}

static double
dot(const double *a, const double *b, size_t n)
{
	return cblas_ddot((int) n, a, 1, b, 1);
}

static double
max_abs(const double *a, size_t n)
{
	double		m = 0.0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

/*
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5) with an Armijo
 * backtracking line search; the objective is smooth and strictly convex.
 */
static int
lbfgs_minimize(LogisticProblem *lp, double *theta, size_t dim, int max_iter,
			   double tol, AmErr *err)
{
	double	   *g = AM_NEW(double, dim);
	double	   *gnew = AM_NEW(double, dim);
	double	   *d = AM_NEW(double, dim);
	double	   *tnew = AM_NEW(double, dim);
	double	   *s = AM_NEW(double, dim * LBFGS_MEMORY);
	double	   *yv = AM_NEW(double, dim * LBFGS_MEMORY);
	double		rho[LBFGS_MEMORY],
				a[LBFGS_MEMORY];
	int			stored = 0,
				head = 0,
				iter;
	double		f = logistic_eval(lp, theta, g);

	for (iter = 0; iter < max_iter; iter++)
	{
		double		step,
					fnew = f,
					gd;
		int			tries;

		if (max_abs(g, dim) <= tol)
			break;
		if (am_past_deadline())
		{
			am_err_set(err, AM_ERR_DEADLINE, "time budget ran out after %d iterations", iter);
			return -1;
		}
		/* two-loop recursion: d = -H g */
		memcpy(d, g, sizeof(double) * dim);
		for (int m = 0; m < stored; m++)
		{
			int			idx = (head - 1 - m + LBFGS_MEMORY) % LBFGS_MEMORY;

			a[idx] = rho[idx] * dot(s + idx * dim, d, dim);
			cblas_daxpy((int) dim, -a[idx], yv + idx * dim, 1, d, 1);
		}
		if (stored > 0)
		{
			int			last = (head - 1 + LBFGS_MEMORY) % LBFGS_MEMORY;
			double		gamma = dot(s + last * dim, yv + last * dim, dim) /
			dot(yv + last * dim, yv + last * dim, dim);

			cblas_dscal((int) dim, gamma, d, 1);
		}
		for (int m = stored - 1; m >= 0; m--)
		{
			int			idx = (head - 1 - m + LBFGS_MEMORY) % LBFGS_MEMORY;
			double		beta = rho[idx] * dot(yv + idx * dim, d, dim);

			cblas_daxpy((int) dim, a[idx] - beta, s + idx * dim, 1, d, 1);
		}
		cblas_dscal((int) dim, -1.0, d, 1);
		gd = dot(g, d, dim);
		if (!(gd < 0.0))
		{
			/* not a descent direction: restart from steepest descent */
			memcpy(d, g, sizeof(double) * dim);
			cblas_dscal((int) dim, -1.0, d, 1);
			gd = dot(g, d, dim);
			stored = 0;
		}
		step = (stored == 0) ? fmin(1.0, 1.0 / sqrt(-gd)) : 1.0;
		for (tries = 0; tries < 50; tries++)
		{
			memcpy(tnew, theta, sizeof(double) * dim);
			cblas_daxpy((int) dim, step, d, 1, tnew, 1);
			fnew = logistic_eval(lp, tnew, gnew);
			if (isfinite(fnew) && fnew <= f + 1e-4 * step * gd)
				break;
			step *= 0.5;
		}
		if (tries == 50)
			break;				/* no decrease possible: at the optimum */
		/* s = step d, y = gnew - g */
		{
			double	   *sk = s + head * dim;
			double	   *yk = yv + head * dim;
			double		sy;

			for (size_t t = 0; t < dim; t++)
			{
				sk[t] = step * d[t];
				yk[t] = gnew[t] - g[t];
			}
			sy = dot(sk, yk, dim);
			if (sy > 1e-12 * dot(yk, yk, dim))
			{
				rho[head] = 1.0 / sy;
				head = (head + 1) % LBFGS_MEMORY;
				if (stored < LBFGS_MEMORY)
					stored++;
			}
		}
		memcpy(theta, tnew, sizeof(double) * dim);
		memcpy(g, gnew, sizeof(double) * dim);
		if (fabs(f - fnew) <= 1e-14 * fmax(1.0, fabs(f)))
		{
			f = fnew;
			iter++;
			break;
		}
		f = fnew;
	}
	if (!isfinite(f))
	{
		am_err_set(err, AM_ERR_NUMERIC, "logistic regression diverged");
		return -1;
	}
	am_free(g);
	am_free(gnew);
	am_free(d);
	am_free(tnew);
	am_free(s);
	am_free(yv);
	return iter;
}

static LinearModel *
logistic_fit(const AmFitInput *in, const AmParams *params, AmErr *err)
{
	int			k = in->task == AM_TASK_MULTICLASS ? in->n_classes : 1;
	LinearModel *m = linear_new(in->p, k, in->task);
	LogisticProblem lp;
	size_t		dim = ((size_t) in->p + 1) * k;
	double	   *theta = AM_NEW0(double, dim);
	int			iters;

	lp.in = in;
	lp.k = k;
	lp.alpha = am_param(params, "alpha");
	lp.wsum = weight_sum(in);
	lp.z = AM_NEW(double, (size_t) AM_BLAS_BLOCK_ROWS * k);
	lp.label = AM_NEW(int, in->n);
	for (int i = 0; i < in->n; i++)
	{
		lp.label[i] = (int) in->y[i];
		if (lp.label[i] < 0 || lp.label[i] >= in->n_classes)
		{
			am_err_set(err, AM_ERR_DATA, "class index %d out of range", lp.label[i]);
			return NULL;
		}
	}
	column_moments(in, lp.wsum, m);
	iters = lbfgs_minimize(&lp, theta, dim, (int) am_param(params, "max_iter"),
						   am_param(params, "tol"), err);
	if (iters < 0)
		return NULL;
	memcpy(m->coef, theta, sizeof(double) * (size_t) in->p * k);
	memcpy(m->intercept, theta + (size_t) in->p * k, sizeof(double) * k);
	m->iterations = iters;
	am_free(theta);
	am_free(lp.z);
	am_free(lp.label);
	return m;
}

void *
am_linear_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	if (in->n < 1 || in->p < 1)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no columns to fit");
		return NULL;
	}
	if (in->task == AM_TASK_REGRESSION)
		return ridge_fit(in, am_param(p, "alpha"), err);
	return logistic_fit(in, p, err);
}

int
am_linear_coefficients(const void *model, const double **coef, const double **intercept)
{
	const LinearModel *m = model;

	*coef = m->coef;
	*intercept = m->intercept;
	return m->k;
}

/* Turn margins (row-major n x k) into the family's outputs in place. */
void
am_linear_link(AmTask task, int k, double *out, int n)
{
	if (task == AM_TASK_BINARY)
	{
		for (int i = 0; i < n; i++)
		{
			double		t = out[i];

			out[i] = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
		}
	}
	else if (task == AM_TASK_MULTICLASS)
	{
		for (int i = 0; i < n; i++)
		{
			double	   *r = out + (size_t) i * k;
			double		mx = -INFINITY,
						se = 0.0;

			for (int c = 0; c < k; c++)
				mx = fmax(mx, r[c]);
			for (int c = 0; c < k; c++)
				se += (r[c] = exp(r[c] - mx));
			for (int c = 0; c < k; c++)
				r[c] /= se;
		}
	}
}

/*
 * Margins are accumulated column by column in the same order for one row
 * and for a block of rows, so single-row and batch scoring agree to the last
 * bit (a BLAS product would sum in a different order).
 */
static void
linear_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const LinearModel *m = model;

	for (int c = 0; c < m->k; c++)
	{
		const double *w = m->coef + (size_t) c * m->p;

		for (int i = 0; i < n; i++)
			out[(size_t) i * m->k + c] = m->intercept[c];
		for (int j = 0; j < m->p; j++)
		{
			const double *col = x + (size_t) j * ld;
			double		wj = w[j];

			if (wj == 0.0)
				continue;
			for (int i = 0; i < n; i++)
				out[(size_t) i * m->k + c] += wj * col[i];
		}
	}
	am_linear_link(m->task, m->k, out, n);
}

static void
linear_serialize(const void *model, AmWriter *w)
{
	const LinearModel *m = model;

	am_w_u32(w, (uint32_t) m->p);
	am_w_u32(w, (uint32_t) m->k);
	am_w_u32(w, (uint32_t) m->iterations);
	am_w_f64s(w, m->coef, (size_t) m->p * m->k);
	am_w_f64s(w, m->intercept, m->k);
	am_w_f64s(w, m->mean, m->p);
	am_w_f64s(w, m->sd, m->p);
}

static void *
linear_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	uint32_t	rp = am_r_u32(r),
				rk = am_r_u32(r);
	int			k = task == AM_TASK_MULTICLASS ? n_classes : 1;
	LinearModel *m;

	if (!am_r_ok(r) || rp != (uint32_t) p || rk != (uint32_t) k ||
		am_r_remaining(r) != 4 + 8 * ((size_t) p * k + k + 2 * (size_t) p))
	{
		am_err_set(err, AM_ERR_CORRUPT, "linear model dimensions do not match its schema");
		return NULL;
	}
	m = AM_NEW0(LinearModel, 1);
	m->p = p;
	m->k = k;
	m->task = task;
	m->iterations = (int) am_r_u32(r);
	m->coef = am_r_f64s(r, (size_t) p * k);
	m->intercept = am_r_f64s(r, k);
	m->mean = am_r_f64s(r, p);
	m->sd = am_r_f64s(r, p);
	if (!am_r_ok(r) || !am_all_finite(m->coef, (size_t) p * k) ||
		!am_all_finite(m->intercept, k) || !am_all_finite(m->mean, p) || !am_all_finite(m->sd, p))
	{
		am_err_set(err, AM_ERR_CORRUPT, "linear model coefficients are invalid");
		return NULL;
	}
	return m;
}

static bool
linear_importance(const void *model, AmImportanceKind kind, double *out)
{
	const LinearModel *m = model;

	if (kind != AM_IMPORTANCE_GAIN)
		return false;
	/* |coefficient| times the column's spread: the effect of a typical change */
	for (int j = 0; j < m->p; j++)
	{
		out[j] = 0.0;
		for (int c = 0; c < m->k; c++)
			out[j] += fabs(m->coef[(size_t) c * m->p + j]) * m->sd[j];
	}
	return true;
}

static bool
linear_contributions(const void *model, const double *x, double *out)
{
	const LinearModel *m = model;

	/* margin = base + sum_j coef_j (x_j - mean_j), exactly */
	for (int c = 0; c < m->k; c++)
	{
		double		base = m->intercept[c];

		for (int j = 0; j < m->p; j++)
		{
			double		w = m->coef[(size_t) c * m->p + j];

			out[(size_t) j * m->k + c] = w * (x[j] - m->mean[j]);
			base += w * m->mean[j];
		}
		out[(size_t) m->p * m->k + c] = base;
	}
	return true;
}

/* ---------- scoring raw rows with the preprocessing folded in ---------- */

/*
 * margin_c = base_c + sum over numeric j of (x_j missing ? missing_jc : slope_jc x_j)
 *                   + sum over categorical j of lut_j[code]_c
 * which is intercept + w . encode(x) rearranged: standardisation goes into
 * slope and base, imputation and the indicator into missing, one-hot columns
 * into a lookup table per feature (kept levels, then "other", then NULL).
 */
typedef struct LinearFused
{
	const LinearModel *m;
	int			n_in;
	bool	   *categorical;
	int		   *n_codes;
	double	   *base;			/* k */
	double	   *slope;			/* n_in x k */
	double	   *missing;		/* n_in x k */
	double	  **lut;			/* categorical: (n_codes + 1) x k */
} LinearFused;

static void *
linear_fuse(const void *model, const AmPrep *prep)
{
	const LinearModel *m = model;
	LinearFused *f = AM_NEW0(LinearFused, 1);
	int			k = m->k;

	f->m = m;
	f->n_in = prep->n_in;
	f->categorical = AM_NEW0(bool, prep->n_in);
	f->n_codes = AM_NEW0(int, prep->n_in);
	f->base = AM_NEW0(double, k);
	f->slope = AM_NEW0(double, (size_t) prep->n_in * k);
	f->missing = AM_NEW0(double, (size_t) prep->n_in * k);
	f->lut = AM_NEW0(double *, prep->n_in);
	for (int c = 0; c < k; c++)
		f->base[c] = m->intercept[c];
	for (int j = 0; j < prep->n_in; j++)
	{
		int			s = prep->start[j];

		f->categorical[j] = prep->categorical[j];
		for (int c = 0; c < k; c++)
		{
			const double *w = m->coef + (size_t) c * m->p;

			if (prep->categorical[j])
			{
				int			codes = prep->n_codes[j];
				int			pos = codes - 1;	/* first column after the kept levels */

				if (c == 0)
					f->lut[j] = AM_NEW0(double, (size_t) (codes + 1) * k);
				f->n_codes[j] = codes;
				for (int code = 0; code < codes - 1; code++)
					f->lut[j][(size_t) code * k + c] = w[s + code];
				if (prep->other_col[j])
					f->lut[j][(size_t) (codes - 1) * k + c] = w[s + pos++];
				if (prep->null_col[j])
					f->lut[j][(size_t) codes * k + c] = w[s + pos];
			}
			else
			{
				double		wv = w[s] / prep->scale[j];
				double		wi = prep->indicator[j] ? w[s + 1] : 0.0;

				f->slope[(size_t) j * k + c] = wv;
				f->base[c] -= wv * prep->center[j];
				f->missing[(size_t) j * k + c] = wv * prep->fill[j] + wi;
			}
		}
	}
	return f;
}

static void
linear_predict_fused(const void *fused, const double *x, size_t ld, int n, double *out)
{
	const LinearFused *f = fused;
	int			k = f->m->k;

	for (int i = 0; i < n; i++)
	{
		double	   *o = out + (size_t) i * k;

		for (int c = 0; c < k; c++)
			o[c] = f->base[c];
		for (int j = 0; j < f->n_in; j++)
		{
			double		v = x[(size_t) j * ld + i];

			if (f->categorical[j])
			{
				int			codes = f->n_codes[j];
				int			code = isnan(v) ? codes : (v >= 0 && v < codes - 1) ? (int) v : codes - 1;
				const double *row = f->lut[j] + (size_t) code * k;

				for (int c = 0; c < k; c++)
					o[c] += row[c];
			}
			else if (isnan(v))
			{
				for (int c = 0; c < k; c++)
					o[c] += f->missing[(size_t) j * k + c];
			}
			else
			{
				for (int c = 0; c < k; c++)
					o[c] += f->slope[(size_t) j * k + c] * v;
			}
		}
	}
	am_linear_link(f->m->task, f->m->k, out, n);
}

const AmFamily am_linear_family = {
	.name = "linear",
	.description = "ridge regression / L2 logistic regression",
	.format_version = LINEAR_FORMAT_VERSION,
	.complexity = 1,
	.encoding = AM_ENCODING_DENSE,
	.tasks = AM_TASKS_ALL,
	.params = linear_params,
	.n_params = sizeof(linear_params) / sizeof(linear_params[0]),
	.check_params = NULL,
	.prepare = NULL,
	.fit = am_linear_fit,
	.predict = linear_predict,
	.serialize = linear_serialize,
	.deserialize = linear_deserialize,
	.importance = linear_importance,
	.contributions = linear_contributions,
	.fuse = linear_fuse,
	.predict_fused = linear_predict_fused,
};
