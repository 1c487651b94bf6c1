/*
 * mlp.c
 *	  The "mlp" family: a small multilayer perceptron on the dense encoding
 *	  (standardised numbers, one-hot categories): one or two hidden layers of
 *	  ReLU units and a softmax (multiclass), sigmoid (binary) or identity
 *	  (regression, on the standardised target) output.
 *
 * Training, as scikit-learn's MLPClassifier / MLPRegressor with solver
 * "adam" and early_stopping: Glorot-uniform initialisation from the seeded
 * generator; mini-batches of shuffled rows; loss = mean (weighted) cross
 * entropy or half squared error plus alpha/2 |W|^2 / batch rows (biases not
 * penalised); Adam (beta 0.9 / 0.999, eps 1e-8); after each epoch the loss
 * on a seeded validation split (MLP_VALID_FRACTION of the rows) decides: the
 * best weights are kept, and training stops after MLP_PATIENCE epochs
 * without an improvement of MLP_TOL (relative).  All the products of
 * training are dgemm calls on one mini-batch (at most MLP_MAX_BATCH rows),
 * with an interrupt check between batches.
 *
 * Prediction accumulates each unit's input column by column in a fixed order
 * (no BLAS), so one row and a block of rows give the same bits.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "model.h"
#include "rng.h"

#define MLP_FORMAT_VERSION 1

#define MLP_MAX_UNITS 1024
#define MLP_MAX_LAYERS 2
#define MLP_VALID_FRACTION 0.1
#define MLP_MIN_VALID_ROWS 10	/* fewer: no early stopping, all rows train */
#define MLP_PATIENCE 10
#define MLP_TOL 1e-4
#define MLP_MIN_STEPS 8			/* per epoch: batch_size shrinks on small data */
#define MLP_ADAM_B1 0.9
#define MLP_ADAM_B2 0.999
#define MLP_ADAM_EPS 1e-8
#define MLP_PREDICT_BLOCK 512
/* scoring scratch on the stack: the widest two hidden layers and 256 outputs */
#define MLP_STACK_VALUES (MLP_MAX_LAYERS * MLP_MAX_UNITS + 256)
/* A batch is one uninterruptible dgemm per layer: bounded like kernels.c's blocks. */
#define MLP_MAX_BATCH 4096

typedef struct MlpModel
{
	int			p;				/* inputs */
	AmTask		task;
	int			outs;			/* outputs: 1 or K */
	int			layers;			/* hidden layers: 1 or 2 */
	int			units;			/* per hidden layer */
	double	   *theta;			/* all weights, laid out as below */
	double		y_mean;			/* regression: the network predicts */
	double		y_scale;		/* (y - y_mean) / y_scale; 0: y constant */
	int			epochs;			/* run, for the record */
} MlpModel;

/* Where each weight matrix lives in theta. */
typedef struct MlpLayout
{
	int			n_layers;		/* weight layers: hidden layers + 1 */
	int			in[MLP_MAX_LAYERS + 1];
	int			out[MLP_MAX_LAYERS + 1];
	size_t		w[MLP_MAX_LAYERS + 1];	/* in x out, column-major */
	size_t		b[MLP_MAX_LAYERS + 1];	/* out */
	size_t		size;
} MlpLayout;

static const AmParamSpec mlp_params[] = {
	{"hidden_units", 64, 1, MLP_MAX_UNITS, 16, 256, true, true, NULL,
	"ReLU units in each hidden layer", 32},
	{"hidden_layers", 1, 1, MLP_MAX_LAYERS, 1, 2, true, false, NULL,
	"hidden layers (1 or 2)"},
	{"alpha", 1e-4, 0.0, 100.0, 1e-5, 3.0, false, true, NULL,
	"L2 penalty on the weights (scikit-learn's alpha)"},
	{"learning_rate", 1e-3, 1e-6, 1.0, 3e-4, 1e-2, false, true, NULL,
	"Adam step size (scikit-learn's learning_rate_init)"},
	{"batch_size", 128, 1, MLP_MAX_BATCH, 32, 512, true, true, NULL,
	"rows per Adam step (fewer when an epoch would have under 8 steps)", 256},
	{"max_iter", 200, 1, 10000, 200, 200, true, false, NULL,
	"epochs at most; early stopping on a validation split usually ends sooner"},
};

static void
mlp_layout(MlpLayout *l, int p, int units, int layers, int outs)
{
	size_t		pos = 0;

	l->n_layers = layers + 1;
	for (int t = 0; t < l->n_layers; t++)
	{
		l->in[t] = t == 0 ? p : units;
		l->out[t] = t == layers ? outs : units;
		l->w[t] = pos;
		pos += (size_t) l->in[t] * l->out[t];
		l->b[t] = pos;
		pos += l->out[t];
	}
	l->size = pos;
}

/* ---------- training ---------- */

typedef struct MlpTrainer
{
	const AmFitInput *in;
	MlpLayout	l;
	int			outs;
	int			batch;			/* rows per step (capacity) */
	double		alpha;
	double	   *theta;
	double	   *grad;
	double	   *adam_m;
	double	   *adam_v;
	int			steps;
	double	   *target;			/* n x outs row-major: one-hot or scaled value */
	double	   *weight;			/* n sample weights with mean 1 */
	/* batch scratch, column-major */
	double	   *xb;				/* batch x p */
	double	   *act[MLP_MAX_LAYERS + 1];	/* batch x out[t]: post-activation */
	double	   *delta[MLP_MAX_LAYERS + 1];	/* batch x out[t] */
} MlpTrainer;

/* Gather rows idx[0..nb) of the training matrix into the batch matrix. */
static void
gather_batch(MlpTrainer *tr, const int *idx, int nb)
{
	const AmFitInput *in = tr->in;

	for (int j = 0; j < in->p; j++)
	{
		const double *col = in->x + (size_t) j * in->ld;
		double	   *dst = tr->xb + (size_t) j * nb;

		for (int i = 0; i < nb; i++)
			dst[i] = col[idx[i]];
	}
}

/* Forward pass of the batch in xb: act[t] for every layer; outputs are margins. */
static void
forward_batch(MlpTrainer *tr, const double *theta, int nb)
{
	const MlpLayout *l = &tr->l;
	const double *a = tr->xb;

	for (int t = 0; t < l->n_layers; t++)
	{
		double	   *z = tr->act[t];
		const double *b = theta + l->b[t];
		bool		hidden = t < l->n_layers - 1;

		for (int u = 0; u < l->out[t]; u++)
			for (int i = 0; i < nb; i++)
				z[(size_t) u * nb + i] = b[u];
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, nb, l->out[t], l->in[t],
					1.0, a, nb, theta + l->w[t], l->in[t], 1.0, z, nb);
		if (hidden)
			for (size_t e = 0; e < (size_t) nb * l->out[t]; e++)
				z[e] = z[e] > 0 ? z[e] : 0.0;
		a = z;
	}
}

/*
 * Loss of the batch rows idx (outputs already in act[last] as margins) and,
 * when want_delta, the output deltas d loss / d margin in delta[last].
 */
static double
batch_loss(MlpTrainer *tr, const int *idx, int nb, bool want_delta, double scale)
{
	int			last = tr->l.n_layers - 1;
	int			k = tr->outs;
	double	   *z = tr->act[last];
	double	   *d = tr->delta[last];
	double		loss = 0.0;
	AmTask		task = tr->in->task;

	for (int i = 0; i < nb; i++)
	{
		const double *y = tr->target + (size_t) idx[i] * k;
		double		w = tr->weight[idx[i]];

		if (task == AM_TASK_REGRESSION)
		{
			double		e = z[i] - y[0];

			loss += w * 0.5 * e * e;
			if (want_delta)
				d[i] = w * e * scale;
		}
		else if (task == AM_TASK_BINARY)
		{
			double		t = z[i];
			double		sp = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
			double		pr = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));

			loss += w * (sp - y[0] * t);
			if (want_delta)
				d[i] = w * (pr - y[0]) * scale;
		}
		else
		{
			double		mx = -INFINITY,
						se = 0.0,
						lse;

			for (int c = 0; c < k; c++)
				mx = fmax(mx, z[(size_t) c * nb + i]);
			for (int c = 0; c < k; c++)
				se += exp(z[(size_t) c * nb + i] - mx);
			lse = mx + log(se);
			for (int c = 0; c < k; c++)
			{
				double		zc = z[(size_t) c * nb + i];

				loss += w * y[c] * (lse - zc);
				if (want_delta)
					d[(size_t) c * nb + i] = w * (exp(zc - lse) - y[c]) * scale;
			}
		}
	}
	return loss;
}

/* Gradient of the batch loss (mean over its rows) plus the L2 penalty. */
static void
backward_batch(MlpTrainer *tr, int nb)
{
	const MlpLayout *l = &tr->l;
	double	   *g = tr->grad;

	for (int t = l->n_layers - 1; t >= 0; t--)
	{
		const double *a_in = t == 0 ? tr->xb : tr->act[t - 1];
		const double *d = tr->delta[t];
		double	   *gw = g + l->w[t];
		double	   *gb = g + l->b[t];
		const double *w = tr->theta + l->w[t];

		/* gW = A_in' D + alpha W / nb; gb = column sums of D */
		cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, l->in[t], l->out[t], nb,
					1.0, a_in, nb, d, nb, 0.0, gw, l->in[t]);
		for (size_t e = 0; e < (size_t) l->in[t] * l->out[t]; e++)
			gw[e] += tr->alpha * w[e] / nb;
		for (int u = 0; u < l->out[t]; u++)
		{
			double		s = 0.0;

			for (int i = 0; i < nb; i++)
				s += d[(size_t) u * nb + i];
			gb[u] = s;
		}
		if (t > 0)
		{
			double	   *dp = tr->delta[t - 1];
			const double *ap = tr->act[t - 1];

			/* D_prev = D W' masked by ReLU' */
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, nb, l->in[t], l->out[t],
						1.0, d, nb, w, l->in[t], 0.0, dp, nb);
			for (size_t e = 0; e < (size_t) nb * l->in[t]; e++)
				if (!(ap[e] > 0))
					dp[e] = 0.0;
		}
	}
}

static void
adam_step(MlpTrainer *tr, double lr)
{
	double		c1,
				c2;

	tr->steps++;
	c1 = 1.0 - pow(MLP_ADAM_B1, tr->steps);
	c2 = 1.0 - pow(MLP_ADAM_B2, tr->steps);
	for (size_t e = 0; e < tr->l.size; e++)
	{
		double		g = tr->grad[e];

		tr->adam_m[e] = MLP_ADAM_B1 * tr->adam_m[e] + (1 - MLP_ADAM_B1) * g;
		tr->adam_v[e] = MLP_ADAM_B2 * tr->adam_v[e] + (1 - MLP_ADAM_B2) * g * g;
		tr->theta[e] -= lr * (tr->adam_m[e] / c1) / (sqrt(tr->adam_v[e] / c2) + MLP_ADAM_EPS);
	}
}

/* Mean loss over rows idx[0..n), forwarded in batches (no penalty). */
static double
mean_loss(MlpTrainer *tr, const int *idx, int n)
{
	double		loss = 0.0,
				wsum = 0.0;

	for (int r0 = 0; r0 < n; r0 += tr->batch)
	{
		int			nb = n - r0 < tr->batch ? n - r0 : tr->batch;

		am_check_interrupts();
		gather_batch(tr, idx + r0, nb);
		forward_batch(tr, tr->theta, nb);
		loss += batch_loss(tr, idx + r0, nb, false, 0.0);
		for (int i = 0; i < nb; i++)
			wsum += tr->weight[idx[r0 + i]];
	}
	return wsum > 0 ? loss / wsum : 0.0;
}

static void
glorot_init(MlpTrainer *tr, AmRng *rng)
{
	const MlpLayout *l = &tr->l;

	memset(tr->theta, 0, sizeof(double) * l->size);
	for (int t = 0; t < l->n_layers; t++)
	{
		bool		sigmoid_out = t == l->n_layers - 1 && tr->in->task == AM_TASK_BINARY;
		double		bound = sqrt((sigmoid_out ? 2.0 : 6.0) / (l->in[t] + l->out[t]));

		for (size_t e = 0; e < (size_t) l->in[t] * l->out[t]; e++)
			tr->theta[l->w[t] + e] = (2.0 * am_rng_uniform(rng) - 1.0) * bound;
		for (int u = 0; u < l->out[t]; u++)
			tr->theta[l->b[t] + u] = (2.0 * am_rng_uniform(rng) - 1.0) * bound;
	}
}

/* Targets (one-hot, 0/1 or standardised values) and weights with mean 1. */
static bool
prepare_targets(MlpTrainer *tr, MlpModel *m, AmErr *err)
{
	const AmFitInput *in = tr->in;
	int			k = tr->outs;
	double		wsum = 0.0;

	tr->target = AM_NEW0(double, (size_t) in->n * k);
	tr->weight = AM_NEW(double, in->n);
	m->y_mean = 0.0;
	m->y_scale = 1.0;
	for (int i = 0; i < in->n; i++)
	{
		double		y = in->y[i];
		double		w = in->w ? in->w[i] : 1.0;

		if (!(isfinite(w) && w >= 0))
		{
			am_err_set(err, AM_ERR_DATA, "sample weight of training row %d is invalid (%g)", i, w);
			return false;
		}
		if (in->task == AM_TASK_REGRESSION ? !isfinite(y) :
			!(y >= 0 && y < in->n_classes && y == floor(y)))
		{
			am_err_set(err, AM_ERR_DATA, "target of training row %d is invalid (%g)", i, y);
			return false;
		}
		tr->weight[i] = w;
		wsum += w;
	}
	if (!(wsum > 0) || !isfinite(wsum))
	{
		am_err_set(err, AM_ERR_DATA, "the sample weights of the training rows add up to %g", wsum);
		return false;
	}
	for (int i = 0; i < in->n; i++)
		tr->weight[i] *= in->n / wsum;
	if (in->task == AM_TASK_REGRESSION)
	{
		double		ss = 0.0;

		for (int i = 0; i < in->n; i++)
			m->y_mean += tr->weight[i] * in->y[i] / in->n;
		for (int i = 0; i < in->n; i++)
			ss += tr->weight[i] * (in->y[i] - m->y_mean) * (in->y[i] - m->y_mean) / in->n;
		/* a constant target: scale 0, so the model predicts it exactly */
		m->y_scale = ss > 0 ? sqrt(ss) : 0.0;
		if (!isfinite(m->y_mean) || !isfinite(m->y_scale))
		{
			am_err_set(err, AM_ERR_DATA, "target values are too large");
			return false;
		}
		for (int i = 0; i < in->n; i++)
			tr->target[i] = m->y_scale > 0 ? (in->y[i] - m->y_mean) / m->y_scale : 0.0;
	}
	else if (in->task == AM_TASK_BINARY)
		for (int i = 0; i < in->n; i++)
			tr->target[i] = in->y[i];
	else
		for (int i = 0; i < in->n; i++)
			tr->target[(size_t) i * k + (int) in->y[i]] = 1.0;
	return true;
}

static void *
mlp_fit(const AmFitInput *in, const AmParams *params, AmErr *err)
{
	MlpModel   *m;
	MlpTrainer	tr;
	AmRng		rng;
	int		   *order,
			   *valid;
	int			n_train,
				n_valid,
				max_iter = (int) am_param(params, "max_iter");
	double		lr = am_param(params, "learning_rate");
	double	   *best;
	double		best_loss = INFINITY;
	int			stale = 0;
	size_t		scratch;

	if (in->n < 1 || in->p < 1)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no columns to fit");
		return NULL;
	}
	memset(&tr, 0, sizeof(tr));
	m = AM_NEW0(MlpModel, 1);
	m->p = in->p;
	m->task = in->task;
	m->outs = am_task_outputs(in->task, in->n_classes);
	m->layers = (int) am_param(params, "hidden_layers");
	m->units = (int) am_param(params, "hidden_units");
	if (m->layers < 1 || m->layers > MLP_MAX_LAYERS || m->units < 1 ||
		m->units > MLP_MAX_UNITS || max_iter < 1 || !(lr > 0) ||
		!(am_param(params, "alpha") >= 0) || !(am_param(params, "batch_size") >= 1))
	{
		am_err_set(err, AM_ERR_PARAM, "invalid hyperparameters for algorithm \"mlp\"");
		return NULL;
	}
	tr.in = in;
	tr.outs = m->outs;
	tr.alpha = am_param(params, "alpha");
	mlp_layout(&tr.l, in->p, m->units, m->layers, m->outs);
	if (!prepare_targets(&tr, m, err))
		return NULL;

	/* seeded split: the last MLP_VALID_FRACTION of a shuffle validates */
	am_rng_seed(&rng, am_seed_derive(in->seed, 0x4D4C50));
	order = AM_NEW(int, in->n);
	for (int i = 0; i < in->n; i++)
		order[i] = i;
	am_rng_shuffle(&rng, order, in->n);
	n_valid = (int) (in->n * MLP_VALID_FRACTION);
	if (n_valid < MLP_MIN_VALID_ROWS)
		n_valid = 0;
	n_train = in->n - n_valid;
	valid = order + n_train;

	/* at least MLP_MIN_STEPS Adam steps per epoch on small data */
	tr.batch = (int) am_param(params, "batch_size");
	if (tr.batch > (n_train + MLP_MIN_STEPS - 1) / MLP_MIN_STEPS)
		tr.batch = (n_train + MLP_MIN_STEPS - 1) / MLP_MIN_STEPS;
	scratch = (size_t) tr.batch * in->p;
	for (int t = 0; t < tr.l.n_layers; t++)
		scratch += 2 * (size_t) tr.batch * tr.l.out[t];
	am_memory_reserve(sizeof(double) * (scratch + 5 * tr.l.size), "mlp weights and batches");
	tr.theta = AM_NEW(double, tr.l.size);
	tr.grad = AM_NEW(double, tr.l.size);
	tr.adam_m = AM_NEW0(double, tr.l.size);
	tr.adam_v = AM_NEW0(double, tr.l.size);
	best = AM_NEW(double, tr.l.size);
	tr.xb = AM_NEW(double, (size_t) tr.batch * in->p);
	for (int t = 0; t < tr.l.n_layers; t++)
	{
		tr.act[t] = AM_NEW(double, (size_t) tr.batch * tr.l.out[t]);
		tr.delta[t] = AM_NEW(double, (size_t) tr.batch * tr.l.out[t]);
	}
	glorot_init(&tr, &rng);
	memcpy(best, tr.theta, sizeof(double) * tr.l.size);

	for (m->epochs = 0; m->epochs < max_iter; m->epochs++)
	{
		double		train_loss = 0.0,
					loss;

		if (am_past_deadline())
		{
			am_err_set(err, AM_ERR_DEADLINE, "time budget ran out after %d epochs", m->epochs);
			return NULL;
		}

		am_rng_shuffle(&rng, order, n_train);
		for (int r0 = 0; r0 < n_train; r0 += tr.batch)
		{
			int			nb = n_train - r0 < tr.batch ? n_train - r0 : tr.batch;

			am_check_interrupts();
			gather_batch(&tr, order + r0, nb);
			forward_batch(&tr, tr.theta, nb);
			train_loss += batch_loss(&tr, order + r0, nb, true, 1.0 / nb);
			backward_batch(&tr, nb);
			adam_step(&tr, lr);
		}
		if (!isfinite(train_loss) || !am_all_finite(tr.theta, tr.l.size))
		{
			if (m->epochs == 0)
			{
				am_err_set(err, AM_ERR_NUMERIC, "mlp training diverged (learning_rate too large?)");
				return NULL;
			}
			break;				/* keep the best weights so far */
		}
		loss = n_valid > 0 ? mean_loss(&tr, valid, n_valid) : train_loss / n_train;
		if (loss < best_loss - MLP_TOL * fabs(best_loss) || !isfinite(best_loss))
		{
			best_loss = loss;
			memcpy(best, tr.theta, sizeof(double) * tr.l.size);
			stale = 0;
		}
		else if (++stale >= MLP_PATIENCE)
		{
			m->epochs++;
			break;
		}
	}
	m->theta = best;
	am_free(tr.theta);
	am_free(tr.grad);
	am_free(tr.adam_m);
	am_free(tr.adam_v);
	am_free(tr.xb);
	for (int t = 0; t < tr.l.n_layers; t++)
	{
		am_free(tr.act[t]);
		am_free(tr.delta[t]);
	}
	am_free(tr.target);
	am_free(tr.weight);
	am_free(order);
	return m;
}

/* ---------- predicting ---------- */

/*
 * One layer for a block of nb rows: out (nb x n_out, column-major) =
 * act(b + in W), each unit's sum taken over the inputs in order.
 */
static void
layer_forward(const double *in, size_t ld, int nb, int n_in, const double *w,
			  const double *b, int n_out, bool relu, double *out)
{
	for (int u = 0; u < n_out; u++)
	{
		double	   *o = out + (size_t) u * nb;
		const double *wu = w + (size_t) u * n_in;

		for (int i = 0; i < nb; i++)
			o[i] = b[u];
		for (int j = 0; j < n_in; j++)
		{
			const double *col = in + (size_t) j * ld;
			double		wj = wu[j];

			if (wj == 0.0)
				continue;
			for (int i = 0; i < nb; i++)
				o[i] += wj * col[i];
		}
		if (relu)
			for (int i = 0; i < nb; i++)
				o[i] = o[i] > 0 ? o[i] : 0.0;
	}
}

static void
mlp_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const MlpModel *m = model;
	MlpLayout	l;
	int			block = n < MLP_PREDICT_BLOCK ? n : MLP_PREDICT_BLOCK;
	double	   *h[MLP_MAX_LAYERS + 1];
	double		stack[MLP_STACK_VALUES];	/* one row's activations */
	double	   *all;
	size_t		values = 0;

	if (n <= 0)
		return;
	mlp_layout(&l, m->p, m->units, m->layers, m->outs);
	for (int t = 0; t < l.n_layers; t++)
		values += (size_t) block * l.out[t];
	all = am_scratch(stack, sizeof(stack), values, sizeof(double));
	h[0] = all;
	for (int t = 1; t < l.n_layers; t++)
		h[t] = h[t - 1] + (size_t) block * l.out[t - 1];
	for (int r0 = 0; r0 < n; r0 += MLP_PREDICT_BLOCK)
	{
		int			nb = n - r0 < MLP_PREDICT_BLOCK ? n - r0 : MLP_PREDICT_BLOCK;
		const double *z;

		am_check_interrupts();
		for (int t = 0; t < l.n_layers; t++)
			layer_forward(t == 0 ? x + r0 : h[t - 1], t == 0 ? ld : (size_t) nb, nb,
						  l.in[t], m->theta + l.w[t], m->theta + l.b[t], l.out[t],
						  t < l.n_layers - 1, h[t]);
		z = h[l.n_layers - 1];
		for (int i = 0; i < nb; i++)
		{
			double	   *o = out + (size_t) (r0 + i) * m->outs;

			if (m->task == AM_TASK_REGRESSION)
				o[0] = m->y_mean + m->y_scale * z[i];
			else if (m->task == AM_TASK_BINARY)
			{
				double		t = z[i];

				o[0] = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
			}
			else
			{
				double		mx = -INFINITY,
							se = 0.0;

				for (int c = 0; c < m->outs; c++)
					mx = fmax(mx, z[(size_t) c * nb + i]);
				for (int c = 0; c < m->outs; c++)
					se += (o[c] = exp(z[(size_t) c * nb + i] - mx));
				for (int c = 0; c < m->outs; c++)
					o[c] /= se;
			}
		}
	}
	am_scratch_release(all, stack);
}

/*
 * Connection-weight importance: |W1| |W2| ... |W_out| summed over the
 * outputs, a unit's share of each input's absolute weight path to the
 * outputs (Olden's method on absolute values).
 */
static bool
mlp_importance(const void *model, AmImportanceKind kind, double *out)
{
	const MlpModel *m = model;
	MlpLayout	l;
	double	   *path,
			   *next;

	if (kind != AM_IMPORTANCE_GAIN)
		return false;
	mlp_layout(&l, m->p, m->units, m->layers, m->outs);
	/* path[u]: total absolute weight from unit u of a layer to the outputs */
	path = AM_NEW(double, m->units > m->outs ? m->units : m->outs);
	next = AM_NEW(double, m->units > m->p ? m->units : m->p);
	for (int c = 0; c < m->outs; c++)
		path[c] = 1.0;
	for (int t = l.n_layers - 1; t >= 0; t--)
	{
		const double *w = m->theta + l.w[t];

		for (int j = 0; j < l.in[t]; j++)
		{
			double		s = 0.0;

			for (int u = 0; u < l.out[t]; u++)
				s += fabs(w[(size_t) u * l.in[t] + j]) * path[u];
			next[j] = s;
		}
		if (t == 0)
			memcpy(out, next, sizeof(double) * m->p);
		else
			memcpy(path, next, sizeof(double) * l.in[t]);
	}
	am_free(path);
	am_free(next);
	return true;
}

/* ---------- serialization ---------- */

static void
mlp_serialize(const void *model, AmWriter *w)
{
	const MlpModel *m = model;
	MlpLayout	l;

	mlp_layout(&l, m->p, m->units, m->layers, m->outs);
	am_w_u32(w, (uint32_t) m->p);
	am_w_u32(w, (uint32_t) m->outs);
	am_w_u8(w, (uint8_t) m->layers);
	am_w_u32(w, (uint32_t) m->units);
	am_w_u32(w, (uint32_t) m->epochs);
	am_w_f64(w, m->y_mean);
	am_w_f64(w, m->y_scale);
	am_w_f64s(w, m->theta, l.size);
}

static void *
mlp_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	uint32_t	rp = am_r_u32(r),
				routs = am_r_u32(r);
	uint8_t		layers = am_r_u8(r);
	uint32_t	units = am_r_u32(r),
				epochs = am_r_u32(r);
	double		y_mean = am_r_f64_finite(r, false),
				y_scale = am_r_f64_finite(r, false);
	int			outs = am_task_outputs(task, n_classes);
	MlpLayout	l;
	MlpModel   *m;

	if (!am_r_ok(r) || p < 1 || rp != (uint32_t) p || routs != (uint32_t) outs ||
		outs < 1 || layers < 1 || layers > MLP_MAX_LAYERS || units < 1 ||
		units > MLP_MAX_UNITS || epochs > INT32_MAX || !(y_scale >= 0) ||
		(task != AM_TASK_REGRESSION && (y_mean != 0.0 || y_scale != 1.0)))
	{
		am_err_set(err, AM_ERR_CORRUPT, "mlp model header does not match its schema");
		return NULL;
	}
	mlp_layout(&l, p, (int) units, layers, outs);
	if (am_r_remaining(r) != 8 * l.size)
	{
		am_err_set(err, AM_ERR_CORRUPT, "mlp model weights do not match its layers");
		return NULL;
	}
	m = AM_NEW0(MlpModel, 1);
	m->p = p;
	m->task = task;
	m->outs = outs;
	m->layers = layers;
	m->units = (int) units;
	m->epochs = (int) epochs;
	m->y_mean = y_mean;
	m->y_scale = y_scale;
	m->theta = am_r_f64s(r, l.size);
	if (!am_r_ok(r) || !am_all_finite(m->theta, l.size))
	{
		am_err_set(err, AM_ERR_CORRUPT, "mlp model weights are invalid");
		return NULL;
	}
	return m;
}

const AmFamily am_mlp_family = {
	.name = "mlp",
	.description = "multilayer perceptron (ReLU, Adam, early stopping)",
	.format_version = MLP_FORMAT_VERSION,
	.relative_cost = 10,		/* tens of epochs of forward and backward passes */
	.complexity = 4,
	.bag_fold_models = true,
	.encoding = AM_ENCODING_DENSE,
	.tasks = AM_TASKS_ALL,
	.params = mlp_params,
	.n_params = sizeof(mlp_params) / sizeof(mlp_params[0]),
	.check_params = NULL,
	.prepare = NULL,
	.fit = mlp_fit,
	.predict = mlp_predict,
	.serialize = mlp_serialize,
	.deserialize = mlp_deserialize,
	.importance = mlp_importance,
	.contributions = NULL,
	.fuse = NULL,
	.predict_fused = NULL,
};
