/*
 * gbm_loss.c
 *	  Losses of the gbm family: start margins, validation loss, softmax
 *	  and sigmoid of margins and the gradients / hessians of a tree:
 *	    squared error:  g = w (F - y),            h = w
 *	    logistic:       g = w (p - y),            h = w p (1 - p)
 *	    softmax:        g = w (p_k - [y == k]),   h = 2 w p_k (1 - p_k)
 *	  (the factor 2 is XGBoost's), hessians floored at 1e-16.  Margins and
 *	  probabilities are class-major (F[k * n + r]).  Called from worker
 *	  threads: no am_* functions.
 */
#include "gbm.h"

#include <math.h>
#include <string.h>

/*
 * exp() of GBM_BLOCK values <= 0, in place, for the gradients: x =
 * k ln2 + r with |r| <= ln2/2, e^r by its Taylor polynomial to degree 12
 * (relative error below 1e-15), 2^k from the bits of the rounding sum
 * itself; below -708 the result is e^-708, as good as 0 here.  No branch
 * and a fixed trip count, so the compiler vectorises it even at -O2, and
 * pure arithmetic gives the same bits on every platform.
 */
static void
exp_nonpositive(double *z)
{
	const double shift = 6755399441055744.0;

	/* a quiet comparison, in a loop of its own, keeps both free of branches */
	for (int i = 0; i < GBM_BLOCK; i++)
		z[i] = isgreater(z[i], -708.0) ? z[i] : -708.0;
	for (int i = 0; i < GBM_BLOCK; i++)
	{
		double		x = z[i];
		double		t = x * 1.4426950408889634074 + shift;
		double		k = t - shift;
		double		r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10;
		double		q = 1.0 / 479001600;
		uint64_t	bits;
		double		scale;

		q = q * r + 1.0 / 39916800;
		q = q * r + 1.0 / 3628800;
		q = q * r + 1.0 / 362880;
		q = q * r + 1.0 / 40320;
		q = q * r + 1.0 / 5040;
		q = q * r + 1.0 / 720;
		q = q * r + 1.0 / 120;
		q = q * r + 1.0 / 24;
		q = q * r + 1.0 / 6;
		q = q * r + 0.5;
		q = q * r + 1.0;
		q = q * r + 1.0;
		memcpy(&bits, &t, sizeof(bits));
		bits = (bits + 1023) << 52;
		memcpy(&scale, &bits, sizeof(scale));
		z[i] = q * scale;
	}
}

/*
 * Start margins: the weighted target mean for regression, zero (even odds)
 * for classification as in XGBoost.  Starting classification at the class
 * shares instead gives rare classes hessians too small to pass
 * min_child_weight, so they are learnt late or not at all.
 */
void
gbm_base_margins(const GbmState *st, const int32_t *rows, int n, double *base)
{
	double		wsum = 0.0,
				sum = 0.0;

	memset(base, 0, sizeof(double) * st->K);
	if (st->task != AM_TASK_REGRESSION)
		return;
	for (int i = 0; i < n; i++)
	{
		wsum += st->fd->w[rows[i]];
		sum += st->fd->w[rows[i]] * st->in->y[rows[i]];
	}
	base[0] = wsum > 0 ? sum / wsum : 0.0;
}

/* Loss of one row under its margins (class-major, stride n). */
static double
row_loss(const GbmState *st, int r)
{
	const double *f = st->F + r;
	int			n = st->n;

	if (st->task == AM_TASK_REGRESSION)
		return (f[0] - st->in->y[r]) * (f[0] - st->in->y[r]);
	if (st->task == AM_TASK_BINARY)
		return (f[0] > 0 ? f[0] + log1p(exp(-f[0])) : log1p(exp(f[0]))) -
			(st->fd->cls[r] ? f[0] : 0.0);
	{
		double		mx = f[0],
					s = 0.0;

		for (int c = 1; c < st->K; c++)
			if (f[(size_t) c * n] > mx)
				mx = f[(size_t) c * n];
		for (int c = 0; c < st->K; c++)
			s += exp(f[(size_t) c * n] - mx);
		return mx + log(s) - f[(size_t) st->fd->cls[r] * n];
	}
}

/* Weighted mean loss of rows under the current margins. */
double
gbm_mean_loss(const GbmState *st, const int32_t *rows, int n)
{
	double		loss = 0.0,
				wsum = 0.0;

	for (int i = 0; i < n; i++)
	{
		loss += st->fd->w[rows[i]] * row_loss(st, rows[i]);
		wsum += st->fd->w[rows[i]];
	}
	return wsum > 0 ? loss / wsum : 0.0;
}

/* Softmax of the margins of rows (at most GBM_BLOCK) into P, class-major. */
void
gbm_softmax_rows(const GbmState *st, const int32_t *rows, int n)
{
	size_t		N = st->n;
	double		mx[GBM_BLOCK],
				sum[GBM_BLOCK],
				z[GBM_BLOCK] = {0};

	for (int i = 0; i < n; i++)
	{
		mx[i] = st->F[rows[i]];
		sum[i] = 0.0;
	}
	for (int c = 1; c < st->K; c++)
		for (int i = 0; i < n; i++)
		{
			double		v = st->F[c * N + rows[i]];

			mx[i] = v > mx[i] ? v : mx[i];
		}
	for (int c = 0; c < st->K; c++)
	{
		for (int i = 0; i < n; i++)
			z[i] = st->F[c * N + rows[i]] - mx[i];
		exp_nonpositive(z);
		for (int i = 0; i < n; i++)
		{
			st->P[c * N + rows[i]] = z[i];
			sum[i] += z[i];
		}
	}
	for (int i = 0; i < n; i++)
		sum[i] = 1.0 / sum[i];
	for (int c = 0; c < st->K; c++)
		for (int i = 0; i < n; i++)
			st->P[c * N + rows[i]] *= sum[i];
}

/* P(class 1) of the sampled rows i in [lo, lo + n), n <= GBM_BLOCK, into q. */
static void
sigmoid_rows(const GbmState *st, int lo, int n, double *q)
{
	double		f[GBM_BLOCK] = {0},
				z[GBM_BLOCK];

	for (int i = 0; i < n; i++)
		f[i] = st->F[st->sample[lo + i]];
	for (int i = 0; i < GBM_BLOCK; i++)
		z[i] = -fabs(f[i]);
	exp_nonpositive(z);
	for (int i = 0; i < GBM_BLOCK; i++)
		q[i] = (isgreaterequal(f[i], 0.0) ? 1.0 : z[i]) / (1.0 + z[i]);
}

/* Gradients of the sampled rows i in [lo, hi) for the tree of class k. */
void
gbm_gradients(const GbmState *st, int k, int lo, int hi, double *gh)
{
	const TreeFitData *fd = st->fd;
	const int32_t *sample = st->sample;
	/* locals: without strict aliasing a store to gh would reload fd->w & co. */
	const double *w = fd->w,
			   *F = st->F,
			   *y = st->in->y;
	const int32_t *cls = fd->cls;
	double		q[GBM_BLOCK];
	static const double indicator[2] = {0.0, 1.0};	/* no branch on labels */

	if (st->task == AM_TASK_REGRESSION)
	{
		for (int i = lo; i < hi; i++)
		{
			int			r = sample[i];

			gh[2 * (size_t) r] = w[r] * (F[r] - y[r]);
			gh[2 * (size_t) r + 1] = w[r];
		}
		return;
	}
	for (int i0 = lo; i0 < hi; i0 += GBM_BLOCK)
	{
		int			n = hi - i0 < GBM_BLOCK ? hi - i0 : GBM_BLOCK;
		double		factor = 1.0;
		int			target = 1;

		if (st->P)
		{
			const double *P = st->P + (size_t) k * st->n;

			for (int i = 0; i < n; i++)
				q[i] = P[sample[i0 + i]];
			factor = st->hess_factor;
			target = k;
		}
		else
			sigmoid_rows(st, i0, n, q);
		for (int i = 0; i < n; i++)
		{
			int			r = sample[i0 + i];
			double		h = factor * q[i] * (1 - q[i]);

			gh[2 * (size_t) r] = w[r] * (q[i] - indicator[cls[r] == target]);
			gh[2 * (size_t) r + 1] = w[r] * (h > 1e-16 ? h : 1e-16);
		}
	}
}
