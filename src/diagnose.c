/*
 * diagnose.c
 *	  Checks of the training data worth a warning before the search:
 *	  a single feature that predicts the target almost perfectly (leakage:
 *	  |correlation| for regression, purity of equal-frequency bins for
 *	  classification), a rare class, and very few rows.
 */
#include "describe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define TINY_ROWS 50
#define RARE_CLASS_SHARE 0.05
#define LEAK_LEVEL 0.995
#define MAX_BINS 32				/* a power of two (the search in bin_by_sampled_cuts) */
#define CUT_SAMPLE 65536		/* rows whose values place the bins of a large column */



/*
 * Equal-frequency bins of a large column: cut values from every k-th row's
 * value (at most about CUT_SAMPLE of them, sorted in the caller's scratch:
 * CUT_SAMPLE + 1 values and twice as many keys), then each row's bin by a
 * search, so equal values share a bin.  NaN goes to bin `bins`.
 */
static void
bin_by_sampled_cuts(const double *x, int n, int bins, int *bin_of, double *sample,
					uint64_t *keys)
{
	int			step = n / CUT_SAMPLE + 1;
	double		cuts[MAX_BINS];	/* ascending, then +inf: bins <= MAX_BINS */
	int			m = 0,
				n_cuts = 0;

	for (int i = 0; i < n; i += step)
		if (!isnan(x[i]))
			sample[m++] = x[i];
	am_sort_doubles_in(sample, (size_t) m, keys);
	for (int b = 1; b < bins && m > 0; b++)
	{
		double		c = sample[(long) b * m / bins];

		if (n_cuts == 0 || c > cuts[n_cuts - 1])
			cuts[n_cuts++] = c;
	}
	for (int c = n_cuts; c < MAX_BINS; c++)
		cuts[c] = INFINITY;
	/* cuts at or below x[i]: a search of fixed steps over the padded cuts */
	for (int i = 0; i < n; i++)
	{
		int			pos = 0;

		for (int step = MAX_BINS / 2; step >= 1; step >>= 1)
			pos += isgreaterequal(x[i], cuts[pos + step - 1]) ? step : 0;
		bin_of[i] = isnan(x[i]) ? bins : pos;
	}
}

/* Bins of a numeric column of a large table: at most MAX_BINS, 25 rows each. */
static int
numeric_bins(int n)
{
	int			bins = n / 25 < MAX_BINS ? n / 25 : MAX_BINS;

	return bins < 2 ? 2 : bins;
}

/* Share of rows a per-bin majority vote gets right, from each row's bin. */
static double
majority_share(const AmDataset *d, const int *bin_of, int bins, int *counts)
{
	int			n = d->n_rows,
				k = d->n_classes;
	double		right = 0.0;

	memset(counts, 0, sizeof(int) * (size_t) (bins + 1) * k);
	for (int i = 0; i < n; i++)
	{
		int			b = bin_of[i] < 0 || bin_of[i] > bins ? bins : bin_of[i];

		counts[(size_t) b * k + (int) d->y[i]]++;
	}
	for (int b = 0; b <= bins; b++)
	{
		int			top = 0;

		for (int c = 0; c < k; c++)
			if (counts[(size_t) b * k + c] > top)
				top = counts[(size_t) b * k + c];
		right += top;
	}
	return right / n;
}

/*
 * Share of rows a per-bin majority vote gets right (missing is one bin),
 * for a categorical column or a numeric one of a small table (a large
 * numeric column is scored by leak_task on the pool).
 */
static double
bin_purity(const AmDataset *d, int j)
{
	int			n = d->n_rows,
				k = d->n_classes;
	int			bins = d->categorical[j] ? d->n_codes[j] + 1 : numeric_bins(n);
	int		   *counts,
			   *bin_of = AM_NEW(int, n);
	double		share;

	if (bins < 2)
		bins = 2;
	counts = AM_NEW(int, (size_t) (bins + 1) * k);
	if (d->categorical[j])
	{
		for (int i = 0; i < n; i++)
			bin_of[i] = isnan(d->x[j][i]) ? bins : (int) d->x[j][i];
	}
	else
	{
		double	   *px = AM_NEW(double, n > 0 ? n : 1);
		int		   *py = AM_NEW(int, n > 0 ? n : 1);
		int			m = 0;

		for (int i = 0; i < n; i++)
		{
			bin_of[i] = bins;
			if (!isnan(d->x[j][i]))
			{
				px[m] = d->x[j][i];
				py[m++] = i;
			}
		}
		am_sort_doubles(px, py, (size_t) m);
		/* equal-frequency bins that never split equal values */
		for (int r = 0, b = 0; r < m; r++)
		{
			if (r > 0 && px[r] != px[r - 1] && r >= (long) (b + 1) * m / bins && b < bins - 1)
				b++;
			bin_of[py[r]] = b;
		}
		am_free(px);
		am_free(py);
	}
	share = majority_share(d, bin_of, bins, counts);
	am_free(counts);
	am_free(bin_of);
	return share;
}

static double
abs_correlation(const AmDataset *d, int j)
{
	double		sx = 0,
				sy = 0,
				sxx = 0,
				syy = 0,
				sxy = 0;
	int			m = 0;

	for (int i = 0; i < d->n_rows; i++)
	{
		double		x = d->x[j][i],
					y = d->y[i];

		if (isnan(x))
			continue;
		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
		m++;
	}
	if (m < 0.9 * d->n_rows || m < 2)
		return 0.0;
	{
		double		cov = sxy - sx * sy / m;
		double		vx = sxx - sx * sx / m;
		double		vy = syy - sy * sy / m;

		if (vx <= 0 || vy <= 0)
			return 0.0;
		return fabs(cov / sqrt(vx * vy));
	}
}

/*
 * The leakage score of every feature (0 when not checked): the purity of
 * its bins for classification, |correlation| for regression.  Numeric
 * columns of a large table are scored on the pool, each thread binning in
 * scratch of its own; categorical and small ones on the calling thread.
 */
typedef struct LeakJob
{
	const AmDataset *d;
	int		   *features;		/* scored on the pool */
	double	   *score;
	int		   *bin_of;			/* n_rows per thread */
	int		   *counts;			/* (MAX_BINS + 1) * classes per thread */
	double	   *sample;			/* CUT_SAMPLE + 1 per thread */
	uint64_t   *keys;			/* 2 * (CUT_SAMPLE + 1) per thread */
} LeakJob;

static void
leak_task(void *arg, int task, int thread)
{
	LeakJob    *job = arg;
	const AmDataset *d = job->d;
	int			j = job->features[task];

	if (!AM_TASK_IS_CLASSIFICATION(d->task))
	{
		job->score[j] = abs_correlation(d, j);
		return;
	}
	{
		int			bins = numeric_bins(d->n_rows);
		int		   *bin_of = job->bin_of + (size_t) thread * d->n_rows;

		bin_by_sampled_cuts(d->x[j], d->n_rows, bins, bin_of,
							job->sample + (size_t) thread * (CUT_SAMPLE + 1),
							job->keys + (size_t) thread * 2 * (CUT_SAMPLE + 1));
		job->score[j] = majority_share(d, bin_of, bins,
									   job->counts + (size_t) thread * (MAX_BINS + 1) * d->n_classes);
	}
}

static double *
leak_scores(const AmDataset *d, double majority)
{
	bool		classify = AM_TASK_IS_CLASSIFICATION(d->task);
	LeakJob		job = {d, AM_NEW(int, d->n_features + 1), AM_NEW0(double, d->n_features + 1)};
	int			n_pool = 0,
				threads;

	for (int j = 0; j < d->n_features; j++)
	{
		am_check_interrupts();
		if (classify)
		{
			if (d->categorical[j] && d->n_codes[j] > d->n_rows / 10)
				continue;		/* many small groups are pure by chance */
			if (majority >= LEAK_LEVEL)
				continue;
			if (d->categorical[j] || d->n_rows <= CUT_SAMPLE)
				job.score[j] = bin_purity(d, j);
			else
				job.features[n_pool++] = j;
		}
		else if (!d->categorical[j])
			job.features[n_pool++] = j;
	}
	threads = am_pool_width(n_pool);
	if (classify && n_pool > 0)
	{
		job.bin_of = AM_NEW(int, (size_t) threads * d->n_rows);
		job.counts = AM_NEW(int, (size_t) threads * (MAX_BINS + 1) * d->n_classes);
		job.sample = AM_NEW(double, (size_t) threads * (CUT_SAMPLE + 1));
		job.keys = AM_NEW(uint64_t, (size_t) threads * 2 * (CUT_SAMPLE + 1));
	}
	/* a slice of columns reads about 8 million values */
	am_pool_for(threads, n_pool, 1 + (1 << 23) / (d->n_rows > 0 ? d->n_rows : 1), leak_task, &job);
	if (job.bin_of)
	{
		am_free(job.bin_of);
		am_free(job.counts);
		am_free(job.sample);
		am_free(job.keys);
	}
	am_free(job.features);
	return job.score;
}

int
am_diagnose(const AmDataset *d, AmDiagnosis *out, int max)
{
	int			n = 0;
	double		majority = 0.0;

	if (d->n_rows < TINY_ROWS && n < max)
	{
		out[n].kind = AM_DIAG_TINY;
		out[n].feature = -1;
		out[n++].value = d->n_rows;
	}
	if (AM_TASK_IS_CLASSIFICATION(d->task))
	{
		int		   *counts = AM_NEW0(int, d->n_classes);
		int			minority = d->n_rows;

		for (int i = 0; i < d->n_rows; i++)
			counts[(int) d->y[i]]++;
		for (int c = 0; c < d->n_classes; c++)
		{
			if (counts[c] < minority)
				minority = counts[c];
			if (counts[c] > majority)
				majority = counts[c];
		}
		majority /= d->n_rows;
		if ((double) minority / d->n_rows < RARE_CLASS_SHARE && n < max)
		{
			out[n].kind = AM_DIAG_IMBALANCE;
			out[n].feature = -1;
			out[n++].value = (double) minority / d->n_rows;
		}
		am_free(counts);
	}
	if (d->n_rows < TINY_ROWS)
		return n;
	{
		double	   *score = leak_scores(d, majority);

		for (int j = 0; j < d->n_features && n < max; j++)
			if (score[j] >= LEAK_LEVEL)
			{
				out[n].kind = AM_DIAG_LEAK;
				out[n].feature = j;
				out[n++].value = score[j];
			}
		am_free(score);
	}
	return n;
}
