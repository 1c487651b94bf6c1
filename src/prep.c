/*
 * prep.c
 *	  Fit and apply the dense preprocessing (see prep.h).
 */
#include "prep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"


/* Median of the non-missing values (0 when there are none). */
static double
median_of(const double *col, const int *rows, int n)
{
	double	   *v = AM_NEW(double, n > 0 ? n : 1);
	int			m = 0;
	double		med;

	for (int k = 0; k < n; k++)
	{
		double		x = col[rows ? rows[k] : k];

		if (!isnan(x))
			v[m++] = x;
	}
	if (m == 0)
	{
		am_free(v);
		return 0.0;
	}
	am_sort_doubles(v, NULL, (size_t) m);
	med = (m % 2) ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
	am_free(v);
	return med;
}

/*
 * Chi-square statistic's critical value at p = 0.01 for df degrees of
 * freedom (Wilson-Hilferty; 6.58 for df 1 against the exact 6.63).
 */
static double
chi2_critical_01(int df)
{
	double		a = 2.0 / (9.0 * df);
	double		c = 1.0 - a + 2.326 * sqrt(a);

	return df * c * c * c;
}

/*
 * Do the rows missing feature j differ in target from the others beyond
 * chance (p < 0.01)?  Classification: Pearson's chi-square of missing by
 * class; regression: n r^2 of the missing indicator and the target (the
 * two-group F test with the pooled variance).  Only then does the missing
 * indicator earn a column: a column of chance is noise that a linear model
 * fits on few rows (sklearn's SimpleImputer adds none by default).
 */
static bool
missing_informative(const AmDataset *d, const double *col, const int *rows, int n)
{
	int			n_miss = 0;

	for (int k = 0; k < n; k++)
		n_miss += isnan(col[rows ? rows[k] : k]);
	if (n_miss == 0 || n_miss == n)
		return false;
	if (d->task == AM_TASK_REGRESSION)
	{
		double		sum_m = 0.0,
					sum_p = 0.0,
					mean,
					ss = 0.0,
					diff,
					var;

		for (int k = 0; k < n; k++)
		{
			int			i = rows ? rows[k] : k;

			if (isnan(col[i]))
				sum_m += d->y[i];
			else
				sum_p += d->y[i];
		}
		mean = (sum_m + sum_p) / n;
		for (int k = 0; k < n; k++)
		{
			int			i = rows ? rows[k] : k;

			ss += (d->y[i] - mean) * (d->y[i] - mean);
		}
		var = ss / n;
		if (!(var > 0.0))
			return false;
		diff = sum_m / n_miss - sum_p / (n - n_miss);
		return diff * diff / (var * (1.0 / n_miss + 1.0 / (n - n_miss))) > chi2_critical_01(1);
	}
	else
	{
		int			k_classes = d->n_classes > 1 ? d->n_classes : 2;
		int		   *miss = AM_NEW0(int, 2 * k_classes);
		int		   *all = miss + k_classes;
		int			present = 0;
		double		chi2 = 0.0;

		for (int k = 0; k < n; k++)
		{
			int			i = rows ? rows[k] : k;
			int			c = (int) d->y[i];

			if (c < 0 || c >= k_classes)
				continue;
			all[c]++;
			miss[c] += isnan(col[i]);
		}
		for (int c = 0; c < k_classes; c++)
		{
			double		e_m = (double) all[c] * n_miss / n,
						e_p = (double) all[c] * (n - n_miss) / n;
			double		o_m = miss[c],
						o_p = all[c] - miss[c];

			if (all[c] == 0)
				continue;
			present++;
			chi2 += (o_m - e_m) * (o_m - e_m) / e_m + (o_p - e_p) * (o_p - e_p) / e_p;
		}
		am_free(miss);
		return present > 1 && chi2 > chi2_critical_01(present - 1);
	}
}

AmPrep *
am_prep_fit(const AmDataset *d, const int *rows, int n)
{
	AmPrep	   *prep = AM_NEW0(AmPrep, 1);
	int			p = d->n_features;
	int			out = 0;

	prep->n_in = p;
	prep->start = AM_NEW0(int, p + 1);
	prep->categorical = AM_NEW0(bool, p);
	prep->fill = AM_NEW0(double, p);
	prep->center = AM_NEW0(double, p);
	prep->scale = AM_NEW0(double, p);
	prep->indicator = AM_NEW0(bool, p);
	prep->n_codes = AM_NEW0(int, p);
	prep->other_col = AM_NEW0(bool, p);
	prep->null_col = AM_NEW0(bool, p);

	for (int j = 0; j < p; j++)
	{
		const double *col = d->x[j];

		am_check_interrupts();
		prep->start[j] = out;
		prep->categorical[j] = d->categorical[j];
		if (d->categorical[j])
		{
			int			codes = d->n_codes[j];

			prep->n_codes[j] = codes;
			for (int k = 0; k < n; k++)
			{
				double		x = col[rows ? rows[k] : k];

				if (isnan(x))
					prep->null_col[j] = true;
				else if ((int) x == codes - 1)
					prep->other_col[j] = true;
			}
			out += (codes - 1) + (prep->other_col[j] ? 1 : 0) + (prep->null_col[j] ? 1 : 0);
		}
		else
		{
			double		fill = median_of(col, rows, n);
			double		sum = 0.0,
						sumsq = 0.0,
						mean,
						var;
			bool		missing = false;

			for (int k = 0; k < n; k++)
			{
				double		x = col[rows ? rows[k] : k];

				if (isnan(x))
				{
					missing = true;
					x = fill;
				}
				sum += x;
			}
			mean = n > 0 ? sum / n : 0.0;
			for (int k = 0; k < n; k++)
			{
				double		x = col[rows ? rows[k] : k];

				if (isnan(x))
					x = fill;
				sumsq += (x - mean) * (x - mean);
			}
			var = n > 0 ? sumsq / n : 0.0;
			prep->fill[j] = fill;
			prep->center[j] = mean;
			prep->scale[j] = (var > 1e-24 * (1.0 + mean * mean)) ? sqrt(var) : 1.0;
			prep->indicator[j] = missing && missing_informative(d, col, rows, n);
			out += 1 + (prep->indicator[j] ? 1 : 0);
		}
	}
	prep->start[p] = out;
	prep->n_out = out;
	return prep;
}

/* Encode feature j's value x into out[start..] (zeros already there). */
static inline void
encode_value(const AmPrep *prep, int j, double x, double *out, size_t stride)
{
	int			c = prep->start[j];

	if (prep->categorical[j])
	{
		int			codes = prep->n_codes[j];

		if (isnan(x))
		{
			if (prep->null_col[j])
			{
				int			pos = (codes - 1) + (prep->other_col[j] ? 1 : 0);

				out[(size_t) (c + pos) * stride] = 1.0;
			}
			return;
		}
		else
		{
			/* compare as doubles: a hostile value must not reach the cast */
			int			code = x >= 0 && x < (double) (codes - 1) ? (int) x : -1;

			if (code < 0)
			{
				/* "other": rare at training or unseen now */
				if (prep->other_col[j])
					out[(size_t) (c + codes - 1) * stride] = 1.0;
				return;
			}
			out[(size_t) (c + code) * stride] = 1.0;
		}
	}
	else
	{
		bool		missing = isnan(x);

		if (missing)
			x = prep->fill[j];
		out[(size_t) c * stride] = (x - prep->center[j]) / prep->scale[j];
		if (prep->indicator[j])
			out[(size_t) (c + 1) * stride] = missing ? 1.0 : 0.0;
	}
}

double *
am_prep_transform(const AmPrep *prep, const AmDataset *d, const int *rows, int n)
{
	double	   *m;

	am_memory_reserve((size_t) n * prep->n_out * sizeof(double), "encoded feature matrix");
	m = AM_NEW0(double, (size_t) n * prep->n_out);
	for (int j = 0; j < prep->n_in; j++)
	{
		const double *col = d->x[j];

		am_check_interrupts();
		for (int k = 0; k < n; k++)
			encode_value(prep, j, col[rows ? rows[k] : k], m + k, (size_t) n);
	}
	return m;
}

void
am_prep_transform_row(const AmPrep *prep, const double *raw, double *out)
{
	memset(out, 0, sizeof(double) * prep->n_out);
	for (int j = 0; j < prep->n_in; j++)
		encode_value(prep, j, raw[j], out, 1);
}

int
am_prep_source_of(const AmPrep *prep, int col)
{
	/* start[] is sorted; n_in is small enough for a binary search anyway */
	int			lo = 0,
				hi = prep->n_in - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (prep->start[mid] <= col)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

void
am_prep_serialize(const AmPrep *prep, AmWriter *w)
{
	am_w_u32(w, (uint32_t) prep->n_in);
	for (int j = 0; j < prep->n_in; j++)
	{
		am_w_u8(w, prep->categorical[j]);
		if (prep->categorical[j])
		{
			am_w_u8(w, prep->other_col[j]);
			am_w_u8(w, prep->null_col[j]);
		}
		else
		{
			am_w_f64(w, prep->fill[j]);
			am_w_f64(w, prep->center[j]);
			am_w_f64(w, prep->scale[j]);
			am_w_u8(w, prep->indicator[j]);
		}
	}
}

AmPrep *
am_prep_deserialize(AmReader *r, const AmSchema *schema)
{
	AmPrep	   *prep = AM_NEW0(AmPrep, 1);
	uint32_t	p = am_r_u32(r);
	int			out = 0;

	if (!am_r_ok(r) || p != (uint32_t) schema->n_features)
	{
		am_r_fail(r);
		return NULL;
	}
	prep->n_in = (int) p;
	prep->start = AM_NEW0(int, p + 1);
	prep->categorical = AM_NEW0(bool, p);
	prep->fill = AM_NEW0(double, p);
	prep->center = AM_NEW0(double, p);
	prep->scale = AM_NEW0(double, p);
	prep->indicator = AM_NEW0(bool, p);
	prep->n_codes = AM_NEW0(int, p);
	prep->other_col = AM_NEW0(bool, p);
	prep->null_col = AM_NEW0(bool, p);
	for (uint32_t j = 0; j < p && am_r_ok(r); j++)
	{
		const AmFeature *f = &schema->features[j];

		prep->start[j] = out;
		prep->categorical[j] = am_r_u8(r) != 0;
		if (prep->categorical[j] != f->categorical)
		{
			am_r_fail(r);
			break;
		}
		if (f->categorical)
		{
			prep->n_codes[j] = am_feature_codes(f);
			prep->other_col[j] = am_r_u8(r) != 0;
			prep->null_col[j] = am_r_u8(r) != 0;
			out += f->n_levels + prep->other_col[j] + prep->null_col[j];
		}
		else
		{
			prep->fill[j] = am_r_f64_finite(r, false);
			prep->center[j] = am_r_f64_finite(r, false);
			prep->scale[j] = am_r_f64_finite(r, false);
			prep->indicator[j] = am_r_u8(r) != 0;
			if (!(prep->scale[j] > 0.0))
				am_r_fail(r);
			out += 1 + prep->indicator[j];
		}
	}
	if (!am_r_ok(r))
		return NULL;
	prep->start[p] = out;
	prep->n_out = out;
	return prep;
}
