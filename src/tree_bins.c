/*
 * tree_bins.c
 *	  Quantile binning of features (the shared prepare() of the tree
 *	  families) and the per-fit row-major matrix of training rows.
 *
 * Numeric feature: up to TREE_MAX_BINS bins over the sorted finite values
 * (of a sample of at most BIN_SAMPLE rows), one per distinct value when
 * there are few, else greedy quantiles in which a frequent value keeps a bin
 * of its own; bin edges are midpoints between neighbouring values, so a raw
 * threshold is the edge and x <= edge exactly when bin(x) <= bin.  +-inf
 * fall into the first/last bin.  Categorical feature: one bin per code when
 * there are at most TREE_MAX_BINS codes, else the 254 most frequent codes
 * keep a bin and the others share one.  NaN (and for categoricals a code
 * outside 0 .. n_codes-1) goes to the missing bin n_bins.
 */
#include "tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIN_SAMPLE 200000		/* rows that place the bins (as LightGBM's default) */
#define BIN_SEED UINT64_C(0x7472656562696e73)

/* A midpoint strictly below b and not below a (for a < b, both finite). */
static double
midpoint(double a, double b)
{
	double		m = a / 2 + b / 2;

	if (!(m >= a && m < b))
		m = a;
	return m;
}

/*
 * Greedy grouping of n ordered items with weights w into at most max_groups
 * groups of similar weight, an item heavier than the target keeping a group
 * of its own.  close[i] is set when a group ends after item i.  Returns the
 * number of groups.
 */
static int
group_ordered(const double *w, int n, int max_groups, bool *close)
{
	double		remaining = 0.0,
				acc = 0.0;
	int			groups_left = max_groups,
				groups = 1;

	for (int i = 0; i < n; i++)
	{
		remaining += w[i];
		close[i] = false;
	}
	if (n <= max_groups)
	{
		for (int i = 0; i + 1 < n; i++)
			close[i] = true;
		return n < 1 ? 1 : n;
	}
	for (int i = 0; i + 1 < n && groups_left > 1; i++)
	{
		double		target = (remaining) / groups_left;

		acc += w[i];
		if (acc >= target || w[i + 1] >= target)
		{
			close[i] = true;
			remaining -= acc;
			acc = 0.0;
			groups_left--;
			groups++;
		}
	}
	return groups;
}

/*
 * group_ordered with the whole budget used: greedy quantiles leave groups
 * unused when frequent values take groups of their own, so ask for more
 * groups (binary search) as long as no more than max_groups come out.
 */
static int
group_filled(const double *w, int n, int max_groups, bool *close)
{
	int			lo = max_groups,	/* known to fit */
				hi = n;

	if (n <= max_groups)
		return group_ordered(w, n, max_groups, close);
	while (lo < hi)
	{
		int			mid = lo + (hi - lo + 1) / 2;

		if (group_ordered(w, n, mid, close) <= max_groups)
			lo = mid;
		else
			hi = mid - 1;
	}
	return group_ordered(w, n, lo, close);
}

/*
 * The rows of the seeded sample that places the bins of every numeric
 * column of a large table (BIN_SAMPLE draws with replacement), in row
 * order: the sample is sorted by value anyway, and a column read in row
 * order streams from memory where random draws would each miss the cache.
 * NULL when the table is small enough to use all rows.
 */
static int32_t *
sample_rows(int n)
{
	AmRng		rng;
	int32_t    *count,
			   *rows;

	if (n <= BIN_SAMPLE)
		return NULL;
	am_memory_reserve((size_t) n * sizeof(int32_t) + BIN_SAMPLE * sizeof(int32_t),
					  "tree bin sample");
	count = AM_NEW(int32_t, n);
	rows = AM_NEW(int32_t, BIN_SAMPLE);
	am_rng_seed(&rng, BIN_SEED);
	am_rng_draw_sorted(&rng, n, BIN_SAMPLE, count, rows);
	am_free(count);
	return rows;
}

/*
 * Per-thread scratch of the numeric bins, for the sample (or all rows of a
 * small table): its values, two key arrays for their sort, and counts and
 * group ends of its distinct values.
 */
typedef struct BinScratch
{
	double	   *v;
	uint64_t   *keys;			/* two per row */
	double	   *counts;
	bool	   *close;
} BinScratch;

#define BIN_SCRATCH_BYTES (4 * sizeof(double) + sizeof(bool))	/* per sample row */

/* Sorted finite values of a numeric column (of the sample rows when given) into s->v. */
static int
finite_sample(const double *col, int n, const int32_t *rows, BinScratch *s)
{
	int			m = 0;
	double	   *v = s->v;

	if (rows == NULL)
	{
		for (int i = 0; i < n; i++)
			if (isfinite(col[i]))
				v[m++] = col[i];
	}
	else
	{
		for (int k = 0; k < BIN_SAMPLE; k++)
		{
			double		x = col[rows[k]];

			if (isfinite(x))
				v[m++] = x;
		}
	}
	if (m > 0)
		am_sort_doubles_in(v, (size_t) m, s->keys);
	return m;
}

/* The edges of a numeric feature (f->edges holds TREE_MAX_BINS). */
static void
bin_numeric(const double *col, int n, const int32_t *rows, TreeFeatureBins *f, BinScratch *s)
{
	int			m = finite_sample(col, n, rows, s),
				d = 0,
				e = 0;
	double	   *v = s->v,
			   *counts = s->counts;

	/* distinct values and their counts, in place */
	for (int i = 0; i < m; i++)
	{
		if (d > 0 && v[i] == v[d - 1])
			counts[d - 1] += 1;
		else
		{
			v[d] = v[i];
			counts[d++] = 1;
		}
	}
	f->categorical = false;
	f->n_bins = d == 0 ? 1 : group_filled(counts, d, TREE_MAX_BINS, s->close);
	for (int i = 0; i + 1 < d; i++)
		if (s->close[i])
			f->edges[e++] = midpoint(v[i], v[i + 1]);
}

typedef struct Ranked
{
	double		count;
	int			index;
} Ranked;

static int
cmp_count_desc(const void *a, const void *b)
{
	const Ranked *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* Indexes 0 .. n-1 by decreasing count (ties: lower index first). */
static int *
rank_by_count(const double *count, int n)
{
	Ranked	   *r = AM_NEW(Ranked, n > 0 ? n : 1);
	int		   *order = AM_NEW(int, n > 0 ? n : 1);

	for (int i = 0; i < n; i++)
	{
		r[i].count = count[i];
		r[i].index = i;
	}
	qsort(r, n, sizeof(Ranked), cmp_count_desc);
	for (int i = 0; i < n; i++)
		order[i] = r[i].index;
	am_free(r);
	return order;
}

static void
bin_categorical(const double *col, int n, int n_codes, TreeFeatureBins *f)
{
	f->categorical = true;
	f->n_codes = n_codes;
	f->code_bin = AM_NEW(uint8_t, n_codes > 0 ? n_codes : 1);
	if (n_codes <= TREE_MAX_BINS)
	{
		for (int c = 0; c < n_codes; c++)
			f->code_bin[c] = (uint8_t) c;
		f->n_bins = n_codes > 0 ? n_codes : 1;
	}
	else
	{
		/* the 254 most frequent codes keep a bin, the rest share bin 254 */
		double	   *freq = AM_NEW0(double, n_codes);
		int		   *order;

		for (int i = 0; i < n; i++)
		{
			double		x = col[i];

			if (x >= 0 && x < n_codes && x == floor(x))
				freq[(int) x] += 1;
		}
		order = rank_by_count(freq, n_codes);
		for (int k = 0; k < n_codes; k++)
			f->code_bin[order[k]] = (uint8_t) (k < TREE_MAX_BINS - 1 ? k : TREE_MAX_BINS - 1);
		f->n_bins = TREE_MAX_BINS;
		am_free(freq);
		am_free(order);
	}
}

int
tree_bin_of(const TreeFeatureBins *f, double v)
{
	if (f->categorical)
	{
		if (v >= 0 && v < f->n_codes && v == floor(v))
			return f->code_bin[(int) v];
		return f->n_bins;
	}
	if (isnan(v))
		return f->n_bins;
	{
		int			lo = 0,
					hi = f->n_bins - 1;	/* answer in [lo, hi] */

		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (v <= f->edges[mid])
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo;
	}
}

/*
 * tree_bin_of() for a whole numeric column, without a branch on the data:
 * the bin is the number of edges below the value, found by a search of a
 * fixed eight steps over the edges padded with +inf to 256.
 */
static void
bin_numeric_column(const TreeFeatureBins *f, const double *col, int n, uint8_t *out)
{
	double		pad[256];
	int			n_edges = f->n_bins - 1;

	for (int e = 0; e < 256; e++)
		pad[e] = e < n_edges ? f->edges[e] : INFINITY;
	for (int i = 0; i < n; i++)
	{
		double		v = col[i];
		int			pos = 0;

		for (int step = 128; step >= 1; step >>= 1)
			pos += isgreater(v, pad[pos + step - 1]) ? step : 0;
		out[i] = (uint8_t) (isnan(v) ? f->n_bins : pos);
	}
}

/*
 * prepare() runs in three parallel phases on the pool (tasks allocate
 * nothing and call nothing of the server): the edges of each numeric
 * feature from the sample, the codes of every cell in chunks of rows, and
 * the rows per bin of each feature.
 */
#define BIN_CHUNK_ROWS (1 << 18)
#define EDGE_SLICE 16			/* features per slice: about 30 ms each */
#define CODE_SLICE 64			/* chunks per slice: about 6 ms each */
#define COUNT_SLICE 32

typedef struct BinJob
{
	const AmDataset *data;
	TreeBinned *b;
	const int32_t *rows;		/* the bin sample, or NULL for all rows */
	int		   *numeric;		/* the numeric features */
	int			n_numeric;
	int			n_chunks;		/* chunks of rows per feature */
	BinScratch *scratch;		/* per thread */
} BinJob;

static void
edges_task(void *arg, int task, int thread)
{
	BinJob	   *job = arg;
	int			j = job->numeric[task];

	bin_numeric(job->data->x[j], job->b->n_rows, job->rows, &job->b->features[j],
				&job->scratch[thread]);
}

static void
codes_task(void *arg, int task, int thread)
{
	BinJob	   *job = arg;
	int			j = task / job->n_chunks,
				n = job->b->n_rows,
				r0 = (task % job->n_chunks) * BIN_CHUNK_ROWS,
				r1 = n - r0 < BIN_CHUNK_ROWS ? n : r0 + BIN_CHUNK_ROWS;
	const TreeFeatureBins *f = &job->b->features[j];
	const double *col = job->data->x[j];
	uint8_t    *out = job->b->codes + (size_t) j * n;

	if (!f->categorical)
		bin_numeric_column(f, col + r0, r1 - r0, out + r0);
	else
		for (int i = r0; i < r1; i++)
			out[i] = (uint8_t) tree_bin_of(f, col[i]);
}

static void
counts_task(void *arg, int task, int thread)
{
	BinJob	   *job = arg;
	TreeFeatureBins *f = &job->b->features[task];
	const uint8_t *codes = job->b->codes + (size_t) task * job->b->n_rows;
	int64_t		count[256] = {0};

	for (int i = 0; i < job->b->n_rows; i++)
		count[codes[i]]++;
	for (int k = 0; k < f->n_bins; k++)
		f->counts[k] = (double) count[k];
}

void *
tree_prepare(const AmDataset *data, AmErr *err)
{
	TreeBinned *b;
	BinJob		job = {0};
	int			n = data->n_rows,
				p = data->n_features,
				threads,
				sample;

	if (n < 1 || p < 1)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no features to bin");
		return NULL;
	}
	am_memory_reserve((size_t) n * p, "tree feature bins");
	b = AM_NEW0(TreeBinned, 1);
	b->n_rows = n;
	b->p = p;
	b->features = AM_NEW0(TreeFeatureBins, p);
	b->codes = AM_NEW(uint8_t, (size_t) n * p);
	job.data = data;
	job.b = b;
	job.rows = sample_rows(n);
	job.numeric = AM_NEW(int, p);
	job.n_chunks = (n + BIN_CHUNK_ROWS - 1) / BIN_CHUNK_ROWS;
	for (int j = 0; j < p; j++)
	{
		TreeFeatureBins *f = &b->features[j];

		if (data->categorical && data->categorical[j])
			bin_categorical(data->x[j], n, data->n_codes ? data->n_codes[j] : 0, f);
		else
		{
			f->edges = AM_NEW(double, TREE_MAX_BINS);
			job.numeric[job.n_numeric++] = j;
		}
	}

	/* the edges of the numeric features, a scratch sample per thread */
	threads = am_pool_width(job.n_numeric);
	sample = job.n_numeric == 0 ? 1 : (job.rows ? BIN_SAMPLE : n);
	am_memory_reserve((size_t) threads * sample * BIN_SCRATCH_BYTES, "tree bin sample");
	job.scratch = AM_NEW(BinScratch, threads);
	for (int t = 0; t < threads; t++)
	{
		job.scratch[t].v = AM_NEW(double, sample);
		job.scratch[t].keys = AM_NEW(uint64_t, 2 * (size_t) sample);
		job.scratch[t].counts = AM_NEW(double, sample);
		job.scratch[t].close = AM_NEW(bool, sample);
	}
	am_pool_for(threads, job.n_numeric, EDGE_SLICE, edges_task, &job);
	for (int t = 0; t < threads; t++)
	{
		am_free(job.scratch[t].v);
		am_free(job.scratch[t].keys);
		am_free(job.scratch[t].counts);
		am_free(job.scratch[t].close);
	}

	/* the codes of every cell, then the rows per bin */
	am_pool_for(am_pool_width(p * job.n_chunks), p * job.n_chunks, CODE_SLICE, codes_task, &job);
	for (int j = 0; j < p; j++)
		b->features[j].counts = AM_NEW0(double, b->features[j].n_bins);
	am_pool_for(am_pool_width(p), p, COUNT_SLICE, counts_task, &job);

	am_free(job.scratch);
	am_free(job.numeric);
	if (job.rows)
		am_free((int32_t *) job.rows);
	return b;
}

/*
 * Coarsen a feature to at most max_bins value bins: map[old] = new bin for
 * old bins 0 .. n_bins (the last one is missing).
 */
static void
coarsen(const TreeFeatureBins *src, int max_bins, TreeFeatureBins *dst, uint8_t *map)
{
	*dst = *src;
	for (int b = 0; b <= src->n_bins; b++)
		map[b] = (uint8_t) b;
	if (src->n_bins <= max_bins)
		return;
	if (!src->categorical)
	{
		bool	   *close = AM_NEW(bool, src->n_bins);
		int			nb = 0,
					e = 0;

		dst->n_bins = group_filled(src->counts, src->n_bins, max_bins, close);
		dst->edges = AM_NEW(double, dst->n_bins);
		dst->counts = AM_NEW0(double, dst->n_bins);
		for (int b = 0; b < src->n_bins; b++)
		{
			map[b] = (uint8_t) nb;
			dst->counts[nb] += src->counts[b];
			if (close[b])
			{
				dst->edges[e++] = src->edges[b];
				nb++;
			}
		}
		am_free(close);
	}
	else
	{
		/* keep the max_bins - 1 most frequent bins, merge the rest */
		int		   *order = rank_by_count(src->counts, src->n_bins);
		int			keep = max_bins - 1;

		dst->n_bins = max_bins;
		dst->counts = AM_NEW0(double, max_bins);
		for (int k = 0; k < src->n_bins; k++)
			map[order[k]] = (uint8_t) (k < keep ? k : keep);
		for (int b = 0; b < src->n_bins; b++)
			dst->counts[map[b]] += src->counts[b];
		dst->code_bin = AM_NEW(uint8_t, src->n_codes > 0 ? src->n_codes : 1);
		for (int c = 0; c < src->n_codes; c++)
			dst->code_bin[c] = map[src->code_bin[c]];
		am_free(order);
	}
	map[src->n_bins] = (uint8_t) dst->n_bins;
}

/*
 * The rows of a fit are copied on the pool, MATRIX_TASK_ROWS rows a task
 * (every feature of them: both layouts are written in disjoint ranges).
 */
#define MATRIX_TASK_ROWS 65536
#define MATRIX_BLOCK_ROWS 4096

typedef struct MatrixJob
{
	const TreeBinned *b;
	const int  *rows;
	const uint8_t *maps;		/* 256 per feature: old bin to new */
	TreeMatrix *m;
} MatrixJob;

static void
matrix_task(void *arg, int task, int thread)
{
	MatrixJob  *job = arg;
	TreeMatrix *m = job->m;
	int			p = m->p,
				i0 = task * MATRIX_TASK_ROWS,
				i1 = m->n - i0 < MATRIX_TASK_ROWS ? m->n : i0 + MATRIX_TASK_ROWS;

	AM_UNUSED(thread);
	/* blocks of rows whose row-major bytes stay in cache across the features */
	for (int k0 = i0; k0 < i1; k0 += MATRIX_BLOCK_ROWS)
	{
		int			k1 = i1 - k0 < MATRIX_BLOCK_ROWS ? i1 : k0 + MATRIX_BLOCK_ROWS;

		for (int j = 0; j < p; j++)
		{
			const uint8_t *col = job->b->codes + (size_t) j * job->b->n_rows;
			const uint8_t *map = job->maps + (size_t) j * 256;
			uint8_t    *out = m->cols + (size_t) j * m->n;

			for (int i = k0; i < k1; i++)
			{
				out[i] = map[col[job->rows[i]]];
				m->bins[(size_t) i * p + j] = out[i];
			}
		}
	}
}

TreeMatrix *
tree_matrix_build(const TreeBinned *b, const int *rows, int n, int max_bins)
{
	TreeMatrix *m = AM_NEW0(TreeMatrix, 1);
	int			p = b->p,
				tasks = (n + MATRIX_TASK_ROWS - 1) / MATRIX_TASK_ROWS;
	uint8_t    *maps = AM_NEW(uint8_t, (size_t) p * 256);
	MatrixJob	job = {b, rows, maps, m};

	am_memory_reserve(2 * (size_t) n * p, "tree training bins");
	m->n = n;
	m->p = p;
	m->features = AM_NEW0(TreeFeatureBins, p);
	m->hist_offset = AM_NEW(int, p + 1);
	m->bins = AM_NEW(uint8_t, (size_t) (n > 0 ? n : 1) * p);
	m->cols = AM_NEW(uint8_t, (size_t) (n > 0 ? n : 1) * p);
	m->hist_bins = 0;
	for (int j = 0; j < p; j++)
	{
		coarsen(&b->features[j], max_bins, &m->features[j], maps + (size_t) j * 256);
		m->hist_offset[j] = m->hist_bins;
		m->hist_bins += m->features[j].n_bins + 1;
	}
	m->hist_offset[p] = m->hist_bins;
	/* a slice reads about 8 million cells */
	am_pool_for(am_pool_width(tasks), tasks, 1 + (1 << 23) / (MATRIX_TASK_ROWS * (p > 0 ? p : 1)),
				matrix_task, &job);
	am_free(maps);
	return m;
}
