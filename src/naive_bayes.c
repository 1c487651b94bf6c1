/*
 * naive_bayes.c
 *	  The "naive_bayes" family: naive Bayes classification on the raw
 *	  features, a Gaussian likelihood per class for numeric features and a
 *	  categorical likelihood with Laplace smoothing for categorical codes.
 *
 * The raw encoding (AM_ENCODING_RAW) fits best: the dense encoding would
 * turn a categorical feature into one-hot columns, each with its own
 * Gaussian (a poor model of a 0/1 column), and would impute missing numbers
 * with the median, whereas naive Bayes can simply leave a missing value out
 * of the likelihood.  So:
 *	 - numeric feature j, class k: log N(x; mean_kj, var_kj + eps_j), with
 *	   eps_j = var_smoothing * (variance of feature j over all classes), i.e.
 *	   scikit-learn's GaussianNB as if the features were standardised;
 *	   weighted means and (population) variances over the non-missing values;
 *	 - categorical feature j (codes 0 .. n_codes-1, the last one "other", for
 *	   rare levels at training and unseen ones now): log P(code | k) =
 *	   log((count_kc + alpha) / (count_k + alpha * n_codes)), weighted counts;
 *	 - a missing value (NaN; for numbers also +-Inf) adds nothing;
 *	 - a class with no non-missing value of a feature (e.g. a class absent
 *	   from the training rows) uses the parameters of all classes pooled; an
 *	   absent class gets the prior NB_ABSENT_PRIOR instead of zero;
 *	 - a numeric feature constant over the training rows is left out;
 *	 - a term is kept within NB_MAX_SPREAD (1e4) nats of the best class's
 *	   term for the same value, so a class with a tiny variance cannot drown
 *	   the other classes' differences in rounding (its probability is zero
 *	   either way).
 * Sample weights (class_weight) weight every count, mean and variance.
 *
 * Margins: margin_k = b_k + sum_j c_jk with the per-feature terms centred
 * over the classes, c_jk = log P(x_j | k) - mean_k' log P(x_j | k'), and
 * b_k = log prior_k - mean_k' log prior_k'.  Centring changes no
 * probability (softmax is shift invariant) and makes a feature equally
 * likely under every class contribute zero.  Multiclass outputs are
 * softmax(margin); binary outputs P(class 1) = sigmoid(margin_1 - margin_0),
 * and its contributions are c_j1 - c_j0 with base b_1 - b_0.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "model.h"

#define NB_FORMAT_VERSION 1

#define NB_UNUSED 0
#define NB_NUMERIC 1
#define NB_CATEGORICAL 2

/* Prior of a class absent from the training rows (instead of zero). */
#define NB_ABSENT_PRIOR 1e-12
/* A log-likelihood term never goes below this (no -Inf, no Inf - Inf). */
#define NB_LOG_LIK_FLOOR -1e100
/*
 * Nor more than this below the best class's term for the same value: past
 * e^-745 a probability is zero in double anyway, and bounded terms keep the
 * centred sums precise.
 */
#define NB_MAX_SPREAD 1e4
/* Largest categorical table (codes x classes) in a model. */
#define NB_MAX_TABLE ((size_t) 1 << 26)
#define NB_MAX_CODES 10000000
#define NB_TERMS_PER_CHECK 1e6
#define NB_STACK_CLASSES 64		/* scoring scratch on the stack up to this many classes */

typedef struct NbFeature
{
	int			kind;			/* NB_UNUSED, NB_NUMERIC or NB_CATEGORICAL */
	int			n_codes;		/* categorical: codes, the last one "other" */
	double	   *mean;			/* numeric: K means */
	double	   *var;			/* numeric: K variances (smoothed, > 0) */
	double	   *logp;			/* categorical: n_codes x K, code-major */
	/* derived, not serialized */
	double	   *log_norm;		/* numeric: -log(2 pi var) / 2 */
	double	   *half_inv_var;	/* numeric: 1 / (2 var) */
} NbFeature;

typedef struct NbModel
{
	int			p;				/* raw features */
	AmTask		task;
	int			k;				/* classes */
	double	   *log_prior;		/* K */
	NbFeature  *f;				/* p */
	double	   *importance;		/* p: mean |contribution| over training rows */
	/* derived, not serialized */
	double	   *base;			/* K: centred log priors */
} NbModel;

static const AmParamSpec nb_params[] = {
	{"var_smoothing", 1e-9, 0.0, 1e3, 1e-6, 3.0, false, true, NULL,
	"added to each class variance, as a fraction of the feature's variance"},
	{"alpha", 1.0, 1e-10, 1e4, 1e-2, 30.0, false, true, NULL,
	"Laplace smoothing of categorical counts"},
};

/* ---------- per-feature terms ---------- */

/* Code of a categorical value: out of range (unseen) means "other". */
static inline int
nb_code(double v, int n_codes)
{
	return (v >= 0 && v < n_codes - 1) ? (int) v : n_codes - 1;
}

/*
 * Centred log-likelihood terms of value v of feature j for the K classes;
 * false (and no terms) when the value is missing or the feature unused.
 */
static bool
feature_terms(const NbModel *m, int j, double v, double *term)
{
	const NbFeature *f = &m->f[j];
	double		mean = 0.0,
				mx = -INFINITY;
	int			k = m->k;

	if (f->kind == NB_UNUSED || isnan(v) || (f->kind == NB_NUMERIC && isinf(v)))
		return false;
	if (f->kind == NB_NUMERIC)
	{
		for (int c = 0; c < k; c++)
		{
			double		d = v - f->mean[c];

			term[c] = fmax(f->log_norm[c] - d * d * f->half_inv_var[c], NB_LOG_LIK_FLOOR);
		}
	}
	else
		memcpy(term, f->logp + (size_t) nb_code(v, f->n_codes) * k, sizeof(double) * k);
	for (int c = 0; c < k; c++)
		mx = fmax(mx, term[c]);
	for (int c = 0; c < k; c++)
	{
		term[c] = fmax(term[c], mx - NB_MAX_SPREAD);
		mean += term[c];
	}
	mean /= k;
	for (int c = 0; c < k; c++)
		term[c] -= mean;
	return true;
}

/* Margins of one row (feature j at x[j * ld]); term is K scratch values. */
static void
row_margins(const NbModel *m, const double *x, size_t ld, double *margin, double *term)
{
	memcpy(margin, m->base, sizeof(double) * m->k);
	for (int j = 0; j < m->p; j++)
		if (feature_terms(m, j, x[(size_t) j * ld], term))
			for (int c = 0; c < m->k; c++)
				margin[c] += term[c];
}

static double
sigmoid(double t)
{
	return t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
}

/* Softmax of K margins into out. */
static void
softmax(const double *margin, int k, double *out)
{
	double		mx = -INFINITY,
				se = 0.0;

	for (int c = 0; c < k; c++)
		mx = fmax(mx, margin[c]);
	for (int c = 0; c < k; c++)
		se += (out[c] = exp(margin[c] - mx));
	for (int c = 0; c < k; c++)
		out[c] /= se;
}

/* Derived fields: normalising constants and centred priors. */
static void
nb_finish(NbModel *m)
{
	double		mean = 0.0;

	m->base = AM_NEW(double, m->k);
	for (int c = 0; c < m->k; c++)
		mean += m->log_prior[c];
	mean /= m->k;
	for (int c = 0; c < m->k; c++)
		m->base[c] = m->log_prior[c] - mean;
	for (int j = 0; j < m->p; j++)
	{
		NbFeature  *f = &m->f[j];

		if (f->kind != NB_NUMERIC)
			continue;
		f->log_norm = AM_NEW(double, m->k);
		f->half_inv_var = AM_NEW(double, m->k);
		for (int c = 0; c < m->k; c++)
		{
			f->log_norm[c] = -0.5 * log(2.0 * M_PI * f->var[c]);
			f->half_inv_var[c] = 0.5 / f->var[c];
		}
	}
}

/* ---------- fitting ---------- */

static bool
check_input(const AmFitInput *in, AmErr *err)
{
	const AmDataset *d = in->data;

	if (in->n < 1 || in->p < 1 || d == NULL || in->rows == NULL ||
		in->p != d->n_features)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no features to fit");
		return false;
	}
	if (!AM_TASK_IS_CLASSIFICATION(in->task) || in->n_classes < 2)
	{
		am_err_set(err, AM_ERR_PARAM, "algorithm \"naive_bayes\" only classifies");
		return false;
	}
	for (int i = 0; i < in->n; i++)
	{
		double		y = in->y[i];

		if (in->rows[i] < 0 || in->rows[i] >= d->n_rows)
		{
			am_err_set(err, AM_ERR_DATA, "training row %d is out of range", in->rows[i]);
			return false;
		}
		if (!(y >= 0 && y < in->n_classes && y == floor(y)))
		{
			am_err_set(err, AM_ERR_DATA, "class index of training row %d is invalid (%g)", i, y);
			return false;
		}
		if (in->w && !(isfinite(in->w[i]) && in->w[i] >= 0))
		{
			am_err_set(err, AM_ERR_DATA, "sample weight of training row %d is invalid (%g)",
					   i, in->w[i]);
			return false;
		}
	}
	for (int j = 0; j < in->p; j++)
	{
		if (d->categorical[j] && (d->n_codes[j] < 1 || d->n_codes[j] > NB_MAX_CODES))
		{
			am_err_set(err, AM_ERR_DATA, "feature %d has an invalid number of levels", j);
			return false;
		}
		if (d->categorical[j] && (size_t) d->n_codes[j] * in->n_classes > NB_MAX_TABLE)
		{
			am_err_set(err, AM_ERR_LIMIT,
					   "feature %d has too many levels for naive Bayes with %d classes",
					   j, in->n_classes);
			return false;
		}
	}
	return true;
}

static double
row_weight(const AmFitInput *in, int i)
{
	return in->w ? in->w[i] : 1.0;
}

/*
 * Gaussian parameters of numeric feature j: weighted mean and variance per
 * class over the finite values; classes without any use the pooled ones.
 */
static void
fit_numeric(const AmFitInput *in, const double *col, double var_smoothing, NbFeature *f)
{
	int			k = in->n_classes;
	double	   *wsum = AM_NEW0(double, k + 1);	/* last: all classes */
	double	   *sum = AM_NEW0(double, k + 1);
	double	   *ss = AM_NEW0(double, k + 1);
	double		eps;

	for (int i = 0; i < in->n; i++)
	{
		double		v = col[in->rows[i]];
		double		w = row_weight(in, i);
		int			c = (int) in->y[i];

		if (!isfinite(v) || w == 0.0)
			continue;
		wsum[c] += w;
		sum[c] += w * v;
		wsum[k] += w;
		sum[k] += w * v;
	}
	for (int c = 0; c <= k; c++)
		sum[c] = wsum[c] > 0 ? sum[c] / wsum[c] : 0.0;	/* now the means */
	for (int i = 0; i < in->n; i++)
	{
		double		v = col[in->rows[i]];
		double		w = row_weight(in, i);
		int			c = (int) in->y[i];

		if (!isfinite(v) || w == 0.0)
			continue;
		ss[c] += w * (v - sum[c]) * (v - sum[c]);
		ss[k] += w * (v - sum[k]) * (v - sum[k]);
	}
	for (int c = 0; c <= k; c++)
		ss[c] = wsum[c] > 0 ? ss[c] / wsum[c] : 0.0;	/* now the variances */

	if (!(wsum[k] > 0) || !(ss[k] > 0) || !isfinite(ss[k]) || !isfinite(sum[k]))
	{
		/* no values, one value, or beyond double range: left out */
		f->kind = NB_UNUSED;
		am_free(wsum);
		am_free(sum);
		am_free(ss);
		return;
	}
	f->kind = NB_NUMERIC;
	f->mean = AM_NEW(double, k);
	f->var = AM_NEW(double, k);
	eps = var_smoothing * ss[k];
	for (int c = 0; c < k; c++)
	{
		bool		seen = wsum[c] > 0;
		double		var = (seen ? ss[c] : ss[k]) + eps;

		f->mean[c] = seen ? sum[c] : sum[k];
		/* var_smoothing 0 and a class constant on this feature: a floor */
		f->var[c] = fmax(var, fmax(ss[k] * DBL_EPSILON, DBL_MIN));
	}
	am_free(wsum);
	am_free(sum);
	am_free(ss);
}

/* Smoothed log-probabilities of the codes of categorical feature j per class. */
static void
fit_categorical(const AmFitInput *in, const double *col, int n_codes, double alpha,
				NbFeature *f)
{
	int			k = in->n_classes;
	double	   *count;
	double	   *total = AM_NEW0(double, k + 1);

	am_memory_reserve((size_t) n_codes * (k + 1) * sizeof(double) * 2,
					  "naive Bayes category counts");
	count = AM_NEW0(double, (size_t) n_codes * (k + 1));	/* code-major, last column pooled */
	for (int i = 0; i < in->n; i++)
	{
		double		v = col[in->rows[i]];
		double		w = row_weight(in, i);
		int			c = (int) in->y[i];
		int			code;

		if (isnan(v))
			continue;
		code = nb_code(v, n_codes);
		count[(size_t) code * (k + 1) + c] += w;
		count[(size_t) code * (k + 1) + k] += w;
		total[c] += w;
		total[k] += w;
	}
	f->kind = NB_CATEGORICAL;
	f->n_codes = n_codes;
	f->logp = AM_NEW(double, (size_t) n_codes * k);
	for (int c = 0; c < k; c++)
	{
		int			src = total[c] > 0 ? c : k;

		am_check_interrupts();
		for (int code = 0; code < n_codes; code++)
			f->logp[(size_t) code * k + c] =
				log((count[(size_t) code * (k + 1) + src] + alpha) /
					(total[src] + alpha * n_codes));
	}
	am_free(count);
	am_free(total);
}

/* Mean |contribution| of each feature over the training rows (weighted). */
static void
fit_importance(NbModel *m, const AmFitInput *in)
{
	double	   *term = AM_NEW(double, m->k);
	double		wsum = 0.0;

	m->importance = AM_NEW0(double, m->p);
	for (int i = 0; i < in->n; i++)
		wsum += row_weight(in, i);
	for (int j = 0; j < m->p; j++)
	{
		const double *col = in->data->x[j];
		double		s = 0.0;

		am_check_interrupts();
		for (int i = 0; i < in->n; i++)
		{
			double		a = 0.0;

			if (!feature_terms(m, j, col[in->rows[i]], term))
				continue;
			if (m->k == 2)
				a = fabs(term[1] - term[0]);
			else
			{
				for (int c = 0; c < m->k; c++)
					a += fabs(term[c]);
				a /= m->k;
			}
			s += row_weight(in, i) * a;
		}
		m->importance[j] = wsum > 0 && isfinite(s) ? s / wsum : 0.0;
	}
	am_free(term);
}

static void *
nb_fit(const AmFitInput *in, const AmParams *params, AmErr *err)
{
	NbModel    *m;
	double		var_smoothing = am_param(params, "var_smoothing");
	double		alpha = am_param(params, "alpha");
	double	   *class_w;
	double		total = 0.0;

	if (!check_input(in, err))
		return NULL;
	if (!(var_smoothing >= 0 && isfinite(var_smoothing)) || !(alpha > 0 && isfinite(alpha)))
	{
		am_err_set(err, AM_ERR_PARAM, "invalid hyperparameters for algorithm \"naive_bayes\"");
		return NULL;
	}
	m = AM_NEW0(NbModel, 1);
	m->p = in->p;
	m->task = in->task;
	m->k = in->n_classes;

	class_w = AM_NEW0(double, m->k);
	for (int i = 0; i < in->n; i++)
	{
		class_w[(int) in->y[i]] += row_weight(in, i);
		total += row_weight(in, i);
	}
	if (!(total > 0) || !isfinite(total))
	{
		am_err_set(err, AM_ERR_DATA, "the sample weights of the training rows add up to %g", total);
		return NULL;
	}
	m->log_prior = AM_NEW(double, m->k);
	for (int c = 0; c < m->k; c++)
		m->log_prior[c] = log(class_w[c] > 0 ? class_w[c] / total : NB_ABSENT_PRIOR);
	am_free(class_w);

	m->f = AM_NEW0(NbFeature, m->p);
	for (int j = 0; j < m->p; j++)
	{
		am_check_interrupts();
		if (in->data->categorical[j])
			fit_categorical(in, in->data->x[j], in->data->n_codes[j], alpha, &m->f[j]);
		else
			fit_numeric(in, in->data->x[j], var_smoothing, &m->f[j]);
	}
	nb_finish(m);
	fit_importance(m, in);
	return m;
}

/* ---------- predicting and explaining ---------- */

static void
nb_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const NbModel *m = model;
	double		stack[2 * NB_STACK_CLASSES];
	double	   *margin = am_scratch(stack, sizeof(stack), 2 * (size_t) m->k, sizeof(double));
	double	   *term = margin + m->k;
	/* about a million terms between interrupt checks */
	int			rows_per_check = (int) fmax(1.0, NB_TERMS_PER_CHECK / ((double) m->p * m->k));

	for (int i = 0; i < n; i++)
	{
		if (i % rows_per_check == 0)
			am_check_interrupts();
		row_margins(m, x + i, ld, margin, term);
		if (m->task == AM_TASK_BINARY)
			out[i] = sigmoid(margin[1] - margin[0]);
		else
			softmax(margin, m->k, out + (size_t) i * m->k);
	}
	am_scratch_release(margin, stack);
}

static bool
nb_contributions(const void *model, const double *x, double *out)
{
	const NbModel *m = model;
	double	   *term = AM_NEW(double, m->k);
	int			outs = m->task == AM_TASK_BINARY ? 1 : m->k;

	for (int j = 0; j < m->p; j++)
	{
		double	   *o = out + (size_t) j * outs;

		if (!feature_terms(m, j, x[j], term))
			memset(o, 0, sizeof(double) * outs);
		else if (m->task == AM_TASK_BINARY)
			o[0] = term[1] - term[0];
		else
			memcpy(o, term, sizeof(double) * m->k);
	}
	if (m->task == AM_TASK_BINARY)
		out[m->p] = m->base[1] - m->base[0];
	else
		memcpy(out + (size_t) m->p * m->k, m->base, sizeof(double) * m->k);
	am_free(term);
	return true;
}

static bool
nb_importance(const void *model, AmImportanceKind kind, double *out)
{
	const NbModel *m = model;

	if (kind != AM_IMPORTANCE_GAIN)
		return false;
	memcpy(out, m->importance, sizeof(double) * m->p);
	return true;
}

/* ---------- serialization ---------- */

static void
nb_serialize(const void *model, AmWriter *w)
{
	const NbModel *m = model;

	am_w_u32(w, (uint32_t) m->p);
	am_w_u32(w, (uint32_t) m->k);
	am_w_f64s(w, m->log_prior, m->k);
	for (int j = 0; j < m->p; j++)
	{
		const NbFeature *f = &m->f[j];

		am_w_u8(w, (uint8_t) f->kind);
		if (f->kind == NB_NUMERIC)
		{
			am_w_f64s(w, f->mean, m->k);
			am_w_f64s(w, f->var, m->k);
		}
		else if (f->kind == NB_CATEGORICAL)
		{
			am_w_u32(w, (uint32_t) f->n_codes);
			am_w_f64s(w, f->logp, (size_t) f->n_codes * m->k);
		}
	}
	am_w_f64s(w, m->importance, m->p);
}

/* n doubles, each finite and within [lo, hi]; false otherwise. */
static bool
values_within(const double *v, size_t n, double lo, double hi)
{
	for (size_t i = 0; i < n; i++)
		if (!(isfinite(v[i]) && v[i] >= lo && v[i] <= hi))
			return false;
	return true;
}

static bool
read_feature(AmReader *r, int k, NbFeature *f)
{
	f->kind = am_r_u8(r);
	if (!am_r_ok(r))
		return false;
	switch (f->kind)
	{
		case NB_UNUSED:
			return true;
		case NB_NUMERIC:
			f->mean = am_r_f64s(r, k);
			f->var = am_r_f64s(r, k);
			return am_r_ok(r) && values_within(f->mean, k, -DBL_MAX, DBL_MAX) &&
				values_within(f->var, k, DBL_MIN, DBL_MAX);
		case NB_CATEGORICAL:
			f->n_codes = (int) am_r_count(r, 8 * (size_t) k, NB_MAX_CODES);
			if (!am_r_ok(r) || f->n_codes < 1 || (size_t) f->n_codes * k > NB_MAX_TABLE)
				return false;
			f->logp = am_r_f64s(r, (size_t) f->n_codes * k);
			return am_r_ok(r) && values_within(f->logp, (size_t) f->n_codes * k, -DBL_MAX, 0.0);
		default:
			return false;
	}
}

static void *
nb_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	uint32_t	rp = am_r_u32(r),
				rk = am_r_u32(r);
	NbModel    *m;

	if (!am_r_ok(r) || p < 1 || rp != (uint32_t) p || !AM_TASK_IS_CLASSIFICATION(task) ||
		n_classes < 2 || rk != (uint32_t) n_classes ||
		am_r_remaining(r) < 8 * (size_t) n_classes + (size_t) p * 9)
	{
		am_err_set(err, AM_ERR_CORRUPT, "naive Bayes model dimensions do not match its schema");
		return NULL;
	}
	m = AM_NEW0(NbModel, 1);
	m->p = p;
	m->task = task;
	m->k = n_classes;
	m->log_prior = am_r_f64s(r, m->k);
	m->f = AM_NEW0(NbFeature, p);
	if (!am_r_ok(r) || !values_within(m->log_prior, m->k, -DBL_MAX, 0.0))
	{
		am_err_set(err, AM_ERR_CORRUPT, "naive Bayes class priors are invalid");
		return NULL;
	}
	for (int j = 0; j < p; j++)
	{
		if (!read_feature(r, m->k, &m->f[j]))
		{
			am_err_set(err, AM_ERR_CORRUPT, "naive Bayes parameters of feature %d are invalid", j);
			return NULL;
		}
	}
	m->importance = am_r_f64s(r, p);
	if (!am_r_ok(r) || !values_within(m->importance, p, 0.0, DBL_MAX) ||
		am_r_remaining(r) != 0)
	{
		am_err_set(err, AM_ERR_CORRUPT, "naive Bayes feature importances are invalid");
		return NULL;
	}
	nb_finish(m);
	return m;
}

const AmFamily am_naive_bayes_family = {
	.name = "naive_bayes",
	.description = "naive Bayes: Gaussian numbers, smoothed categorical codes",
	.format_version = NB_FORMAT_VERSION,
	.relative_cost = 0.5,		/* one pass over the rows */
	.complexity = 1,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_CLASSIFICATION,
	.params = nb_params,
	.n_params = sizeof(nb_params) / sizeof(nb_params[0]),
	.check_params = NULL,
	.prepare = NULL,
	.fit = nb_fit,
	.predict = nb_predict,
	.serialize = nb_serialize,
	.deserialize = nb_deserialize,
	.importance = nb_importance,
	.contributions = nb_contributions,
	.fuse = NULL,
	.predict_fused = NULL,
};
