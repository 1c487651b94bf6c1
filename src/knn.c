/*
 * knn.c
 *	  The "knn" family: k-nearest neighbours by brute force on the dense
 *	  encoding (standardised numbers, one-hot categories) with Euclidean
 *	  distance.  Regression predicts the (weighted) mean of the neighbours'
 *	  targets, classification their (weighted) class frequencies.
 *
 * The model keeps up to max_samples reference rows (a seeded random
 * subsample when the training set is larger, and never more than
 * KNN_MAX_CELLS values), their targets and their sample weights.
 *
 * Neighbour search, for a block of queries against a block of reference rows:
 *	 1. screen: approximate squared distances ||q||^2 + ||r||^2 - 2 q.r from
 *		one dgemm per block pair (less ||q||^2, the same for every row of a
 *		query, so it is left out); every reference row whose approximate
 *		distance is within a rounding-error bound of the running k-th smallest
 *		is kept as a candidate;
 *	 2. refine: exact squared distances sum_j (q_j - r_j)^2, summed in column
 *		order, for the candidates only; the neighbours are the k smallest by
 *		(exact distance, reference row index).
 * The answer depends only on the exact distances, not on how BLAS orders its
 * sums for a given block shape, so single-row and batch predictions agree to
 * the last bit, and ties always go to the lower reference index.  A query
 * with more candidates than its buffer holds (many rows tied at the same
 * distance, common on all-categorical data) falls back to an exact scan of
 * every reference row, which gives the same answer.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rng.h"

#define KNN_FORMAT_VERSION 1

#define KNN_UNIFORM 0
#define KNN_DISTANCE 1

#define KNN_MAX_NEIGHBORS 1000
/* Reference values kept at most (64 MB of doubles), whatever max_samples says. */
#define KNN_MAX_CELLS ((size_t) 1 << 23)
/* Queries per block; reference rows per dgemm (block of 2 MB of distances). */
#define KNN_QUERY_BLOCK 256
#define KNN_REF_BLOCK 1024
/* a search's scratch on the stack: one query with up to about 190 neighbours */
#define KNN_STACK_BYTES 24576
/* Floor added to each class frequency: keeps log loss finite (see aggregate). */
#define KNN_PROB_FLOOR 1e-6
/* Floor of d in the 1/d weights, so they cannot overflow. */
#define KNN_MIN_DIST 1e-150
/* Importance: reference rows and queries used, and a cap on the work. */
#define KNN_IMP_REFS 2000
#define KNN_IMP_QUERIES 500
#define KNN_IMP_MIN_QUERIES 32
#define KNN_IMP_WORK 1e8

typedef struct KnnModel
{
	int			p;				/* columns of the dense encoding */
	AmTask		task;
	int			n_classes;		/* 0 for regression */
	int			outs;			/* outputs per row */
	int			k;				/* n_neighbors as asked; clamped to n_ref */
	int			weighting;		/* KNN_UNIFORM or KNN_DISTANCE */
	uint64_t	seed;			/* of the fit: drives the importance sample */
	int			n_ref;			/* reference rows kept */
	double	   *ref;			/* column-major n_ref x p */
	double	   *target;			/* n_ref values or class indexes */
	double	   *weight;			/* n_ref sample weights in (0, 1], or NULL */

	/* derived from the above by knn_finish(), not serialized */
	double	   *norm2;			/* squared norm of each reference row */
	double		max_norm2;
	double	   *prior;			/* class frequencies (or the mean): no neighbour */
} KnnModel;

/* One neighbour: exact squared distance and reference row index. */
typedef struct KnnNeighbour
{
	double		dist2;
	int			index;
} KnnNeighbour;

static const char *const knn_weight_choices[] = {"uniform", "distance", NULL};

static const AmParamSpec knn_params[] = {
	{"n_neighbors", 5, 1, KNN_MAX_NEIGHBORS, 3, 50, true, true, NULL,
	"neighbours that vote (all reference rows when there are fewer)"},
	{"weights", KNN_DISTANCE, 0, 1, 0, 1, true, false, knn_weight_choices,
	"\"uniform\": every neighbour counts the same; \"distance\": by 1 / distance"},
	{"max_samples", 20000, 10, 1000000, 20000, 20000, true, false, NULL,
	"training rows kept as reference rows (a seeded random subsample beyond)"},
};

static const char *
knn_check_params(const AmParams *p, AmTask task)
{
	if (am_param(p, "n_neighbors") > am_param(p, "max_samples"))
		return "hyperparameter \"n_neighbors\" of algorithm \"knn\" must not exceed \"max_samples\"";
	return NULL;
}

static int
knn_effective_k(const KnnModel *m)
{
	return m->k < m->n_ref ? m->k : m->n_ref;
}

/* Row norms, their maximum and the prior, from ref, target and weight. */
static void
knn_finish(KnnModel *m)
{
	int			n_prior = m->n_classes > 0 ? m->n_classes : 1;
	double		wsum = 0.0;

	m->norm2 = AM_NEW0(double, m->n_ref);
	for (int j = 0; j < m->p; j++)
	{
		const double *col = m->ref + (size_t) j * m->n_ref;

		for (int i = 0; i < m->n_ref; i++)
			m->norm2[i] += col[i] * col[i];
	}
	m->max_norm2 = 0.0;
	for (int i = 0; i < m->n_ref; i++)
		if (m->norm2[i] > m->max_norm2 || isnan(m->norm2[i]))
			m->max_norm2 = m->norm2[i];

	m->prior = AM_NEW0(double, n_prior);
	for (int i = 0; i < m->n_ref; i++)
	{
		double		w = m->weight ? m->weight[i] : 1.0;

		if (m->n_classes > 0)
			m->prior[(int) m->target[i]] += w;
		else
			m->prior[0] += w * m->target[i];
		wsum += w;
	}
	for (int c = 0; c < n_prior; c++)
		m->prior[c] /= wsum;
}

/* ---------- fitting ---------- */

static bool
check_targets(const AmFitInput *in, AmErr *err)
{
	for (int i = 0; i < in->n; i++)
	{
		double		y = in->y[i];

		if (in->task == AM_TASK_REGRESSION ? !isfinite(y) :
			!(y >= 0 && y < in->n_classes && y == floor(y)))
		{
			am_err_set(err, AM_ERR_DATA, "target of training row %d is invalid (%g)", i, y);
			return false;
		}
		if (in->w && !(isfinite(in->w[i]) && in->w[i] >= 0))
		{
			am_err_set(err, AM_ERR_DATA, "sample weight of training row %d is invalid (%g)",
					   i, in->w[i]);
			return false;
		}
	}
	return true;
}

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

/*
 * The training rows kept as reference rows, in training order: those with a
 * positive weight, then a seeded random subsample of `keep` of them.
 */
static int *
choose_reference_rows(const AmFitInput *in, int keep, int *n_out)
{
	int		   *rows = AM_NEW(int, in->n);
	int			n = 0;

	for (int i = 0; i < in->n; i++)
		if (in->w == NULL || in->w[i] > 0)
			rows[n++] = i;
	if (n > keep)
	{
		AmRng		rng;

		/* partial Fisher-Yates: the first `keep` entries are a uniform sample */
		am_rng_seed(&rng, am_seed_derive(in->seed, 0x4B4E4E));
		for (int i = 0; i < keep; i++)
		{
			int			r = i + (int) am_rng_below(&rng, (uint64_t) (n - i));
			int			t = rows[i];

			rows[i] = rows[r];
			rows[r] = t;
		}
		n = keep;
		qsort(rows, n, sizeof(int), cmp_int);
	}
	*n_out = n;
	return rows;
}

static void *
knn_fit(const AmFitInput *in, const AmParams *params, AmErr *err)
{
	KnnModel   *m;
	int		   *rows;
	int			n_rows,
				keep;
	double		max_samples = am_param(params, "max_samples");
	double		wmax = 0.0;

	if (in->n < 1 || in->p < 1)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no columns to fit");
		return NULL;
	}
	if (!check_targets(in, err))
		return NULL;

	m = AM_NEW0(KnnModel, 1);
	m->p = in->p;
	m->task = in->task;
	m->n_classes = in->task == AM_TASK_REGRESSION ? 0 : in->n_classes;
	m->outs = am_task_outputs(in->task, in->n_classes);
	m->k = (int) am_param(params, "n_neighbors");
	m->weighting = (int) am_param(params, "weights");
	m->seed = in->seed;
	if (m->k < 1 || m->k > KNN_MAX_NEIGHBORS ||
		(m->weighting != KNN_UNIFORM && m->weighting != KNN_DISTANCE) ||
		!(max_samples >= 1))
	{
		am_err_set(err, AM_ERR_PARAM, "invalid hyperparameters for algorithm \"knn\"");
		return NULL;
	}

	/* The model stores its reference rows: bound their count and size. */
	if ((size_t) in->p > KNN_MAX_CELLS)
	{
		am_err_set(err, AM_ERR_LIMIT, "%d encoded columns are too many for knn", in->p);
		return NULL;
	}
	keep = max_samples < in->n ? (int) max_samples : in->n;
	if ((size_t) keep * in->p > KNN_MAX_CELLS)
		keep = (int) (KNN_MAX_CELLS / in->p);
	rows = choose_reference_rows(in, keep, &n_rows);
	if (n_rows == 0)
	{
		am_err_set(err, AM_ERR_DATA, "every training row has a zero sample weight");
		return NULL;
	}
	m->n_ref = n_rows;

	am_memory_reserve((size_t) n_rows * (in->p + 3) * sizeof(double), "knn reference rows");
	m->ref = AM_NEW(double, (size_t) n_rows * in->p);
	for (int j = 0; j < in->p; j++)
	{
		const double *src = in->x + (size_t) j * in->ld;
		double	   *dst = m->ref + (size_t) j * n_rows;

		am_check_interrupts();
		for (int i = 0; i < n_rows; i++)
			dst[i] = src[rows[i]];
	}
	m->target = AM_NEW(double, n_rows);
	for (int i = 0; i < n_rows; i++)
		m->target[i] = in->y[rows[i]];
	if (in->w != NULL)
	{
		/* scaled to a maximum of 1 so 1/d weights cannot overflow */
		m->weight = AM_NEW(double, n_rows);
		for (int i = 0; i < n_rows; i++)
			wmax = fmax(wmax, in->w[rows[i]]);
		for (int i = 0; i < n_rows; i++)
			m->weight[i] = fmax(in->w[rows[i]] / wmax, DBL_MIN);
	}
	am_free(rows);
	knn_finish(m);
	return m;
}

/* ---------- neighbour search ---------- */

/* Scratch space for one block of queries. */
typedef struct KnnSearch
{
	int			k;				/* neighbours wanted */
	int			cap;			/* candidate buffer per query */
	double	   *dist;			/* KNN_REF_BLOCK x queries: |r|^2 - 2 R Q' */
	double	   *qnorm2;			/* per query */
	double	   *cand_d;			/* per query: cap approximate distances, ascending */
	int		   *cand_i;			/* per query: their reference indexes */
	int		   *n_cand;			/* per query */
	bool	   *exact_scan;		/* per query: buffer overflowed, scan everything */
	double	   *acc;			/* KNN_REF_BLOCK exact distances (exact scan) */
	KnnNeighbour *nbr;			/* per query: k neighbours, nearest first */
	int		   *n_nbr;			/* per query */
	void	   *block;			/* all of the above */
	void	   *stack;			/* the caller's buffer, when block is it */
} KnnSearch;

/*
 * Lay the search's arrays out in one block: from the caller's stack buffer
 * when they fit (one row, as automl.predict scores it: no allocation), else
 * allocated under the memory budget.  Doubles and neighbours first, so every
 * array is aligned.
 */
static void
knn_search_init(KnnSearch *s, int k, int max_queries, void *stack, size_t stack_bytes)
{
	size_t		q = (size_t) max_queries;
	size_t		cap = 2 * (size_t) k + 32;
	size_t		n_doubles = KNN_REF_BLOCK * q + q + q * cap + KNN_REF_BLOCK;
	size_t		bytes = n_doubles * sizeof(double) + q * k * sizeof(KnnNeighbour) +
		(q * cap + 2 * q) * sizeof(int) + q * sizeof(bool);

	s->k = k;
	s->cap = (int) cap;
	if (bytes > stack_bytes)
		am_memory_reserve(bytes, "knn distance block");
	s->block = am_scratch(stack, stack_bytes, bytes, 1);
	s->stack = stack;
	s->dist = s->block;
	s->qnorm2 = s->dist + KNN_REF_BLOCK * q;
	s->cand_d = s->qnorm2 + q;
	s->acc = s->cand_d + q * cap;
	s->nbr = (KnnNeighbour *) (s->acc + KNN_REF_BLOCK);
	s->cand_i = (int *) (s->nbr + q * k);
	s->n_cand = s->cand_i + q * cap;
	s->n_nbr = s->n_cand + q;
	s->exact_scan = (bool *) (s->n_nbr + q);
}

static void
knn_search_free(KnnSearch *s)
{
	am_scratch_release(s->block, s->stack);
}

/* Total order on neighbours: distance (NaN last), then reference index. */
static bool
neighbour_before(double d1, int i1, double d2, int i2)
{
	if (isnan(d1))
		d1 = INFINITY;
	if (isnan(d2))
		d2 = INFINITY;
	return d1 < d2 || (d1 == d2 && i1 < i2);
}

/*
 * Insert (d, idx) into the sorted list nbr[0..*n) of at most k entries,
 * dropping the last one when full; nothing happens when it comes after all.
 */
static void
neighbour_insert(KnnNeighbour *nbr, int *n, int k, double d, int idx)
{
	int			pos = *n;

	if (*n == k && !neighbour_before(d, idx, nbr[k - 1].dist2, nbr[k - 1].index))
		return;
	if (*n < k)
		(*n)++;
	else
		pos = k - 1;
	while (pos > 0 && neighbour_before(d, idx, nbr[pos - 1].dist2, nbr[pos - 1].index))
	{
		nbr[pos] = nbr[pos - 1];
		pos--;
	}
	nbr[pos].dist2 = d;
	nbr[pos].index = idx;
}

/* Exact squared distance of query row q (stride ld) to reference row r. */
static double
exact_dist2(const KnnModel *m, const double *q, size_t ld, int r)
{
	double		d = 0.0;

	for (int j = 0; j < m->p; j++)
	{
		double		t = q[(size_t) j * ld] - m->ref[(size_t) j * m->n_ref + r];

		d += t * t;
	}
	return d;
}

/*
 * Exact scan of all reference rows for one query; the per-row sums run over
 * the columns in the same order as exact_dist2(), so both agree bit for bit.
 */
static void
exact_scan(const KnnModel *m, KnnSearch *s, const double *q, size_t ld,
		   KnnNeighbour *nbr, int *n_nbr)
{
	*n_nbr = 0;
	for (int r0 = 0; r0 < m->n_ref; r0 += KNN_REF_BLOCK)
	{
		int			rb = m->n_ref - r0 < KNN_REF_BLOCK ? m->n_ref - r0 : KNN_REF_BLOCK;

		memset(s->acc, 0, sizeof(double) * rb);
		for (int j = 0; j < m->p; j++)
		{
			const double *col = m->ref + (size_t) j * m->n_ref + r0;
			double		qj = q[(size_t) j * ld];

			for (int i = 0; i < rb; i++)
			{
				double		t = qj - col[i];

				s->acc[i] += t * t;
			}
		}
		for (int i = 0; i < rb; i++)
			neighbour_insert(nbr, n_nbr, s->k, s->acc[i], r0 + i);
	}
}

/*
 * Screen one block of reference rows for query i: keep every row whose
 * approximate distance can still be among the k nearest.  dist holds
 * |r|^2 - 2 q.r, the squared distance less the query's own |q|^2, which
 * orders rows the same way.  The candidate list is sorted by it; `slack`
 * bounds the rounding error of an approximate distance twice over.
 */
static void
screen_block(KnnSearch *s, int i, const double *dist, int rb, int r0, double slack)
{
	double	   *cd = s->cand_d + (size_t) i * s->cap;
	int		   *ci = s->cand_i + (size_t) i * s->cap;
	int			n = s->n_cand[i];
	int			k = s->k;
	double		bound = n >= k ? cd[k - 1] + slack : INFINITY;

	for (int r = 0; r < rb; r++)
	{
		double		d = dist[r];
		int			pos;

		if (!(d <= bound))
			continue;
		if (n == s->cap)
		{
			s->exact_scan[i] = true;
			return;
		}
		pos = n++;
		while (pos > 0 && cd[pos - 1] > d)
		{
			cd[pos] = cd[pos - 1];
			ci[pos] = ci[pos - 1];
			pos--;
		}
		cd[pos] = d;
		ci[pos] = r0 + r;
		if (n >= k)
		{
			bound = cd[k - 1] + slack;
			while (n > k && !(cd[n - 1] <= bound))
				n--;
		}
	}
	s->n_cand[i] = n;
}

/* The k nearest reference rows of queries x[0..nq) (column j at x + j * ld). */
static void
knn_search_block(const KnnModel *m, KnnSearch *s, const double *x, size_t ld, int nq)
{
	int			p = m->p;

	for (int i = 0; i < nq; i++)
	{
		double		qn = 0.0;

		for (int j = 0; j < p; j++)
			qn += x[(size_t) j * ld + i] * x[(size_t) j * ld + i];
		s->qnorm2[i] = qn;
		s->n_cand[i] = 0;
		/* a non-finite query or reference norm defeats the error bound */
		s->exact_scan[i] = !isfinite(qn) || !isfinite(m->max_norm2);
	}

	for (int r0 = 0; r0 < m->n_ref; r0 += KNN_REF_BLOCK)
	{
		int			rb = m->n_ref - r0 < KNN_REF_BLOCK ? m->n_ref - r0 : KNN_REF_BLOCK;

		am_check_interrupts();
		/* dist (rb x nq) = |r|^2 - 2 R_block Q' */
		for (int i = 0; i < nq; i++)
			memcpy(s->dist + (size_t) i * rb, m->norm2 + r0, sizeof(double) * rb);
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, rb, nq, p,
					-2.0, m->ref + r0, m->n_ref, x, (int) ld, 1.0, s->dist, rb);
		for (int i = 0; i < nq; i++)
		{
			/* |approximate - exact| <= (p + 2) eps (|q|^2 + |r|^2), with margin */
			double		slack = 2.0 * 4.0 * (p + 2) * DBL_EPSILON *
				(s->qnorm2[i] + m->max_norm2);

			if (!s->exact_scan[i])
				screen_block(s, i, s->dist + (size_t) i * rb, rb, r0, slack);
		}
	}

	for (int i = 0; i < nq; i++)
	{
		KnnNeighbour *nbr = s->nbr + (size_t) i * s->k;

		am_check_interrupts();
		if (s->exact_scan[i])
			exact_scan(m, s, x + i, ld, nbr, &s->n_nbr[i]);
		else
		{
			const int  *ci = s->cand_i + (size_t) i * s->cap;

			s->n_nbr[i] = 0;
			for (int c = 0; c < s->n_cand[i]; c++)
				neighbour_insert(nbr, &s->n_nbr[i], s->k,
								 exact_dist2(m, x + i, ld, ci[c]), ci[c]);
		}
	}
}

/* ---------- predicting ---------- */

/*
 * Turn the neighbours of one query into its outputs.  Weights are the sample
 * weights, times 1/d for "distance" (when a neighbour coincides with the
 * query, only coincident neighbours count, as in scikit-learn).  Class
 * frequencies f_c become (f_c + floor) / (1 + K floor) with floor 1e-6, so
 * an unanimous vote gives 0.999998 rather than 1 and log loss stays finite.
 */
static void
aggregate(const KnnModel *m, const KnnNeighbour *nbr, int n, double *out)
{
	int			n_cls = m->n_classes;
	double		votes[2];
	double	   *v = n_cls > 2 ? out : votes;
	double		wsum = 0.0,
				value = 0.0;
	bool		coincident = false;

	if (m->weighting == KNN_DISTANCE)
		for (int t = 0; t < n; t++)
			if (nbr[t].dist2 == 0.0)
				coincident = true;
	if (n_cls > 0)
		memset(v, 0, sizeof(double) * n_cls);
	for (int t = 0; t < n; t++)
	{
		int			r = nbr[t].index;
		double		w = m->weight ? m->weight[r] : 1.0;
		double		d2 = isnan(nbr[t].dist2) ? INFINITY : nbr[t].dist2;

		if (m->weighting == KNN_DISTANCE)
		{
			/* an infinitely far neighbour (non-finite query) weighs nothing */
			if (coincident)
				w = d2 == 0.0 ? w : 0.0;
			else
				w /= fmax(sqrt(d2), KNN_MIN_DIST);
		}
		if (n_cls > 0)
			v[(int) m->target[r]] += w;
		else
			value += w * m->target[r];
		wsum += w;
	}
	if (!(wsum > 0.0))
	{
		/* no usable neighbour: the training distribution */
		if (n_cls > 0)
			memcpy(v, m->prior, sizeof(double) * n_cls);
		value = m->prior[0];
		wsum = 1.0;
	}
	if (n_cls == 0)
	{
		out[0] = value / wsum;
		return;
	}
	for (int c = 0; c < n_cls; c++)
		v[c] = (v[c] / wsum + KNN_PROB_FLOOR) / (1.0 + n_cls * KNN_PROB_FLOOR);
	if (n_cls == 2)
		out[0] = v[1];
}

static void
knn_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const KnnModel *m = model;
	KnnSearch	s;
	int			k = knn_effective_k(m);
	int			block = n < KNN_QUERY_BLOCK ? n : KNN_QUERY_BLOCK;
	double		stack[KNN_STACK_BYTES / sizeof(double)];

	if (n <= 0)
		return;
	knn_search_init(&s, k, block, stack, sizeof(stack));
	for (int q0 = 0; q0 < n; q0 += KNN_QUERY_BLOCK)
	{
		int			nq = n - q0 < KNN_QUERY_BLOCK ? n - q0 : KNN_QUERY_BLOCK;

		knn_search_block(m, &s, x + q0, ld, nq);
		for (int i = 0; i < nq; i++)
			aggregate(m, s.nbr + (size_t) i * k, s.n_nbr[i], out + (size_t) (q0 + i) * m->outs);
	}
	knn_search_free(&s);
}

/* ---------- serialization ---------- */

static void
knn_serialize(const void *model, AmWriter *w)
{
	const KnnModel *m = model;

	am_w_u32(w, (uint32_t) m->p);
	am_w_u32(w, (uint32_t) m->k);
	am_w_u8(w, (uint8_t) m->weighting);
	am_w_u64(w, m->seed);
	am_w_u8(w, m->weight != NULL);
	am_w_u32(w, (uint32_t) m->n_ref);
	am_w_f64s(w, m->ref, (size_t) m->n_ref * m->p);
	am_w_f64s(w, m->target, m->n_ref);
	if (m->weight)
		am_w_f64s(w, m->weight, m->n_ref);
}

static bool
targets_valid(const double *t, int n, int n_classes)
{
	for (int i = 0; i < n; i++)
		if (n_classes > 0 ? !(t[i] >= 0 && t[i] < n_classes && t[i] == floor(t[i])) :
			!isfinite(t[i]))
			return false;
	return true;
}

static bool
weights_valid(const double *w, int n)
{
	for (int i = 0; i < n; i++)
		if (!(w[i] > 0.0 && w[i] <= 1.0))
			return false;
	return true;
}

static void *
knn_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	uint32_t	rp = am_r_u32(r);
	uint32_t	k = am_r_u32(r);
	uint8_t		weighting = am_r_u8(r);
	uint64_t	seed = am_r_u64(r);
	uint8_t		has_weight = am_r_u8(r);
	uint32_t	n_ref;
	size_t		per_row;
	KnnModel   *m;

	if (!am_r_ok(r) || p < 1 || rp != (uint32_t) p || k < 1 || k > KNN_MAX_NEIGHBORS ||
		weighting > KNN_DISTANCE || has_weight > 1 ||
		(task != AM_TASK_REGRESSION && n_classes < 2))
	{
		am_err_set(err, AM_ERR_CORRUPT, "knn model header does not match its schema");
		return NULL;
	}
	per_row = 8 * ((size_t) p + 1 + has_weight);
	n_ref = am_r_count(r, per_row, UINT32_MAX);
	if (!am_r_ok(r) || n_ref < 1 || (size_t) n_ref * p > KNN_MAX_CELLS ||
		am_r_remaining(r) != per_row * n_ref)
	{
		am_err_set(err, AM_ERR_CORRUPT, "knn model reference rows do not match their count");
		return NULL;
	}
	m = AM_NEW0(KnnModel, 1);
	m->p = p;
	m->task = task;
	m->n_classes = task == AM_TASK_REGRESSION ? 0 : n_classes;
	m->outs = am_task_outputs(task, n_classes);
	m->k = (int) k;
	m->weighting = weighting;
	m->seed = seed;
	m->n_ref = (int) n_ref;
	m->ref = am_r_f64s(r, (size_t) n_ref * p);
	m->target = am_r_f64s(r, n_ref);
	if (has_weight)
		m->weight = am_r_f64s(r, n_ref);
	if (!am_r_ok(r) || !am_all_finite(m->ref, (size_t) n_ref * p) ||
		!targets_valid(m->target, m->n_ref, m->n_classes) ||
		(m->weight && !weights_valid(m->weight, m->n_ref)))
	{
		am_err_set(err, AM_ERR_CORRUPT, "knn model reference rows are invalid");
		return NULL;
	}
	knn_finish(m);
	return m;
}

/* ---------- importance ---------- */

/*
 * Permutation importance, computed on demand from the stored reference rows
 * (a seeded sample, so the numbers repeat): the mean decrease of a score
 * when one column of the query rows is shuffled.  Queries are reference rows
 * scored leave-one-out against at most KNN_IMP_REFS reference rows; the score
 * is the mean predicted probability of the true class (classification) or
 * 1 - MSE / variance (regression).  Shuffling column j changes each squared
 * distance by (q'_j - r_j)^2 - (q_j - r_j)^2, so every column costs one pass
 * over the query x reference distances instead of a new search.
 */
typedef struct KnnImportance
{
	const KnnModel *m;
	int			n_ref;			/* reference rows in the sample */
	int			n_q;			/* queries: the first n_q of them */
	int		   *rows;			/* sample -> model reference row */
	double	   *x;				/* n_ref x p sample, column-major */
	double	   *base;			/* n_q x n_ref squared distances */
	double	   *dist;			/* n_ref scratch */
	KnnNeighbour *nbr;
	double	   *probs;			/* n_classes scratch */
	int			k;
	double		yvar;			/* regression: variance of the query targets */
} KnnImportance;

/* Score of query i whose squared distances to the sample rows are dist. */
static double
importance_score(const KnnImportance *im, int i, const double *dist)
{
	const KnnModel *m = im->m;
	KnnNeighbour *nbr = im->nbr;
	int			n = 0;
	double		out[2];
	double	   *o = m->n_classes > 2 ? im->probs : out;
	double		score;
	int			truth = m->n_classes > 0 ? (int) m->target[im->rows[i]] : 0;

	for (int r = 0; r < im->n_ref; r++)
		if (r != i)
			neighbour_insert(nbr, &n, im->k, dist[r], im->rows[r]);
	aggregate(m, nbr, n, o);
	if (m->n_classes == 0)
	{
		double		e = o[0] - m->target[im->rows[i]];

		score = -e * e / im->yvar;
	}
	else if (m->n_classes == 2)
		score = truth == 1 ? o[0] : 1.0 - o[0];
	else
		score = o[truth];
	return score;
}

static void
importance_sample(KnnImportance *im, const KnnModel *m)
{
	AmRng		rng;
	int		   *perm = AM_NEW(int, m->n_ref);
	double		work;

	am_rng_seed(&rng, am_seed_derive(m->seed, 0x494D50));
	for (int i = 0; i < m->n_ref; i++)
		perm[i] = i;
	am_rng_shuffle(&rng, perm, m->n_ref);
	im->m = m;
	im->n_ref = m->n_ref < KNN_IMP_REFS ? m->n_ref : KNN_IMP_REFS;
	work = (double) im->n_ref * (m->p + 1);
	im->n_q = (int) fmin(KNN_IMP_QUERIES, fmax(KNN_IMP_MIN_QUERIES, KNN_IMP_WORK / work));
	if (im->n_q > im->n_ref)
		im->n_q = im->n_ref;
	im->rows = perm;
	im->k = knn_effective_k(m) < im->n_ref - 1 ? knn_effective_k(m) : im->n_ref - 1;
	am_memory_reserve(sizeof(double) * ((size_t) im->n_ref * m->p +
										(size_t) im->n_q * im->n_ref + im->n_ref),
					  "knn importance sample");
	im->x = AM_NEW(double, (size_t) im->n_ref * m->p);
	for (int j = 0; j < m->p; j++)
		for (int r = 0; r < im->n_ref; r++)
			im->x[(size_t) j * im->n_ref + r] = m->ref[(size_t) j * m->n_ref + perm[r]];
	im->base = AM_NEW(double, (size_t) im->n_q * im->n_ref);
	im->dist = AM_NEW(double, im->n_ref);
	im->nbr = AM_NEW(KnnNeighbour, im->k > 0 ? im->k : 1);
	im->probs = AM_NEW(double, m->n_classes > 0 ? m->n_classes : 1);
}

static bool
knn_importance(const void *model, AmImportanceKind kind, double *out)
{
	const KnnModel *m = model;
	KnnImportance im;
	AmRng		rng;
	int		   *shuffle;
	double		base_score = 0.0;
	int			p = m->p;

	if (kind != AM_IMPORTANCE_GAIN)
		return false;
	memset(out, 0, sizeof(double) * p);
	if (m->n_ref < 3)
		return true;			/* too few rows to say anything */
	importance_sample(&im, m);

	/* exact base distances, queries x sample rows */
	for (int i = 0; i < im.n_q; i++)
	{
		am_check_interrupts();
		for (int r = 0; r < im.n_ref; r++)
		{
			double		d = 0.0;

			for (int j = 0; j < p; j++)
			{
				double		t = im.x[(size_t) j * im.n_ref + i] - im.x[(size_t) j * im.n_ref + r];

				d += t * t;
			}
			im.base[(size_t) i * im.n_ref + r] = d;
		}
	}
	im.yvar = 1.0;
	if (m->n_classes == 0)
	{
		double		mean = 0.0,
					var = 0.0;

		for (int i = 0; i < im.n_q; i++)
			mean += m->target[im.rows[i]] / im.n_q;
		for (int i = 0; i < im.n_q; i++)
			var += (m->target[im.rows[i]] - mean) * (m->target[im.rows[i]] - mean) / im.n_q;
		im.yvar = var > 0 ? var : 1.0;
	}
	for (int i = 0; i < im.n_q; i++)
		base_score += importance_score(&im, i, im.base + (size_t) i * im.n_ref);
	base_score /= im.n_q;

	am_rng_seed(&rng, am_seed_derive(m->seed, 0x5045524D));
	shuffle = AM_NEW(int, im.n_q);
	for (int j = 0; j < p; j++)
	{
		const double *col = im.x + (size_t) j * im.n_ref;
		double		score = 0.0;

		am_check_interrupts();
		for (int i = 0; i < im.n_q; i++)
			shuffle[i] = i;
		am_rng_shuffle(&rng, shuffle, im.n_q);
		for (int i = 0; i < im.n_q; i++)
		{
			const double *b = im.base + (size_t) i * im.n_ref;
			double		qj = col[i],
						sj = col[shuffle[i]];

			for (int r = 0; r < im.n_ref; r++)
			{
				double		t0 = qj - col[r],
							t1 = sj - col[r];

				im.dist[r] = fmax(0.0, b[r] - t0 * t0 + t1 * t1);
			}
			score += importance_score(&im, i, im.dist);
		}
		out[j] = fmax(0.0, base_score - score / im.n_q);
	}
	am_free(shuffle);
	am_free(im.rows);
	am_free(im.x);
	am_free(im.base);
	am_free(im.dist);
	am_free(im.nbr);
	am_free(im.probs);
	return true;
}

const AmFamily am_knn_family = {
	.name = "knn",
	.description = "k-nearest neighbours (Euclidean, brute force through BLAS)",
	.format_version = KNN_FORMAT_VERSION,
	.relative_cost = 2,			/* fit copies rows; scoring a fold is rows x rows */
	.complexity = 2,
	.bag_fold_models = true,
	.encoding = AM_ENCODING_DENSE,
	.tasks = AM_TASKS_ALL,
	.params = knn_params,
	.n_params = sizeof(knn_params) / sizeof(knn_params[0]),
	.check_params = knn_check_params,
	.prepare = NULL,
	.fit = knn_fit,
	.predict = knn_predict,
	.serialize = knn_serialize,
	.deserialize = knn_deserialize,
	.importance = knn_importance,
	.contributions = NULL,
	.fuse = NULL,
	.predict_fused = NULL,
};
