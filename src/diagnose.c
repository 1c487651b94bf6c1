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

#define TINY_ROWS 50
#define RARE_CLASS_SHARE 0.05
#define LEAK_LEVEL 0.995
#define MAX_BINS 32				/* a power of two (the search in bin_by_sampled_cuts) */
#define CUT_SAMPLE 65536		/* rows whose values place the bins of a large column */



/*
 * Equal-frequency bins of a large column: cut values from every k-th row's
 * value (at most about CUT_SAMPLE of them, sorted), then each row's bin by
 * binary search, so equal values share a bin.  NaN goes to bin `bins`.
 */
static void
bin_by_sampled_cuts(const double *x, int n, int bins, int *bin_of)
{
	int			step = n / CUT_SAMPLE + 1;
	double	   *sample = AM_NEW(double, n / step + 1);
	double		cuts[MAX_BINS];	/* ascending, then +inf: bins <= MAX_BINS */
	int			m = 0,
				n_cuts = 0;

	for (int i = 0; i < n; i += step)
		if (!isnan(x[i]))
			sample[m++] = x[i];
	am_sort_doubles(sample, NULL, (size_t) m);
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
	am_free(sample);
}

/* Share of rows a per-bin majority vote gets right (missing is one bin). */
static double
bin_purity(const AmDataset *d, int j)
{
	int			n = d->n_rows,
				k = d->n_classes;
	int			bins = d->categorical[j] ? d->n_codes[j] + 1 : (n / 25 < MAX_BINS ? n / 25 : MAX_BINS);
	int		   *counts,
			   *bin_of = AM_NEW(int, n);
	double		right = 0.0;

	if (bins < 2)
		bins = 2;
	counts = AM_NEW0(int, (size_t) (bins + 1) * k);
	if (d->categorical[j])
	{
		for (int i = 0; i < n; i++)
			bin_of[i] = isnan(d->x[j][i]) ? bins : (int) d->x[j][i];
	}
	else if (n > CUT_SAMPLE)
		bin_by_sampled_cuts(d->x[j], n, bins, bin_of);
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
	am_free(counts);
	am_free(bin_of);
	return right / n;
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
	for (int j = 0; j < d->n_features && n < max; j++)
	{
		double		v;

		am_check_interrupts();
		if (AM_TASK_IS_CLASSIFICATION(d->task))
		{
			if (d->categorical[j] && d->n_codes[j] > d->n_rows / 10)
				continue;		/* many small groups are pure by chance */
			if (majority >= LEAK_LEVEL)
				continue;
			v = bin_purity(d, j);
		}
		else
		{
			if (d->categorical[j])
				continue;
			v = abs_correlation(d, j);
		}
		if (v >= LEAK_LEVEL)
		{
			out[n].kind = AM_DIAG_LEAK;
			out[n].feature = j;
			out[n++].value = v;
		}
	}
	return n;
}
