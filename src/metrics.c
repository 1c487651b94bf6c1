/*
 * metrics.c
 *	  Evaluation metrics (see metrics.h).
 */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model.h"

static const char *const metric_names[AM_METRIC_COUNT] = {
	"roc_auc", "log_loss", "accuracy", "f1_macro", "rmse", "mae", "r2"
};

const char *
am_metric_name(AmMetric m)
{
	return (m >= 0 && m < AM_METRIC_COUNT) ? metric_names[m] : "unknown";
}

bool
am_metric_lookup(const char *name, AmMetric *m)
{
	for (int i = 0; i < AM_METRIC_COUNT; i++)
		if (strcmp(metric_names[i], name) == 0)
		{
			*m = (AmMetric) i;
			return true;
		}
	return false;
}

bool
am_metric_greater_is_better(AmMetric m)
{
	return !(m == AM_METRIC_LOG_LOSS || m == AM_METRIC_RMSE || m == AM_METRIC_MAE);
}

bool
am_metric_valid_for(AmMetric m, AmTask task)
{
	switch (m)
	{
		case AM_METRIC_ROC_AUC:
			return task == AM_TASK_BINARY;
		case AM_METRIC_LOG_LOSS:
		case AM_METRIC_ACCURACY:
		case AM_METRIC_F1_MACRO:
			return task != AM_TASK_REGRESSION;
		case AM_METRIC_RMSE:
		case AM_METRIC_MAE:
		case AM_METRIC_R2:
			return task == AM_TASK_REGRESSION;
		default:
			return false;
	}
}

AmMetric
am_metric_default(AmTask task)
{
	switch (task)
	{
		case AM_TASK_BINARY:
			return AM_METRIC_ROC_AUC;
		case AM_TASK_MULTICLASS:
			return AM_METRIC_ACCURACY;
		default:
			return AM_METRIC_R2;
	}
}

bool
am_metric_better(AmMetric m, double a, double b)
{
	if (isnan(b))
		return !isnan(a);
	if (isnan(a))
		return false;
	return am_metric_greater_is_better(m) ? a > b : a < b;
}

/*
 * Weighted Mann-Whitney statistic with ties counted as one half, over the
 * rows in order of score (a stable radix sort carrying the row numbers).
 */
static double
roc_auc(const double *y, const double *pred, int n, const double *w)
{
	double	   *score;
	int		   *row;
	double		wpos = 0.0,
				wneg = 0.0,
				auc = 0.0,
				neg_below = 0.0;

	for (int i = 0; i < n; i++)
	{
		if (y[i] > 0.5)
			wpos += w ? w[i] : 1.0;
		else
			wneg += w ? w[i] : 1.0;
	}
	if (wpos == 0.0 || wneg == 0.0)
		return NAN;
	score = AM_NEW(double, n);
	row = AM_NEW(int, n);
	for (int i = 0; i < n; i++)
	{
		score[i] = pred[i];
		row[i] = i;
	}
	am_sort_doubles(score, row, (size_t) n);
	for (int i = 0; i < n;)
	{
		int			j = i;
		double		tp = 0.0,
					tn = 0.0;

		while (j < n && score[j] == score[i])
		{
			if (y[row[j]] > 0.5)
				tp += w ? w[row[j]] : 1.0;
			else
				tn += w ? w[row[j]] : 1.0;
			j++;
		}
		auc += tp * (neg_below + 0.5 * tn);
		neg_below += tn;
		i = j;
	}
	am_free(score);
	am_free(row);
	return auc / (wpos * wneg);
}

static int
predicted_class(AmTask task, int n_classes, const double *pred, int i)
{
	if (task == AM_TASK_BINARY)
		return pred[i] > 0.5 ? 1 : 0;
	else
	{
		const double *p = pred + (size_t) i * n_classes;
		int			best = 0;

		for (int c = 1; c < n_classes; c++)
			if (p[c] > p[best])
				best = c;
		return best;
	}
}

static double
f1_macro(AmTask task, int n_classes, const double *y, const double *pred, int n,
		 const double *w)
{
	double	   *tp = AM_NEW0(double, n_classes);
	double	   *fp = AM_NEW0(double, n_classes);
	double	   *fn = AM_NEW0(double, n_classes);
	double		sum = 0.0;
	int			present = 0;

	for (int i = 0; i < n; i++)
	{
		int			t = (int) y[i];
		int			p = predicted_class(task, n_classes, pred, i);
		double		wi = w ? w[i] : 1.0;

		if (t == p)
			tp[t] += wi;
		else
		{
			fp[p] += wi;
			fn[t] += wi;
		}
	}
	for (int c = 0; c < n_classes; c++)
	{
		double		d = 2 * tp[c] + fp[c] + fn[c];

		if (tp[c] + fn[c] + fp[c] == 0.0)
			continue;			/* class absent from truth and predictions */
		sum += d > 0 ? 2 * tp[c] / d : 0.0;
		present++;
	}
	am_free(tp);
	am_free(fp);
	am_free(fn);
	return present ? sum / present : NAN;
}

double
am_metric_score(AmMetric m, AmTask task, int n_classes, const double *y,
				const double *pred, int n, const double *w)
{
	double		wsum = 0.0,
				acc = 0.0;

	if (n <= 0)
		return NAN;
	for (int i = 0; i < n; i++)
		wsum += w ? w[i] : 1.0;

	switch (m)
	{
		case AM_METRIC_ROC_AUC:
			return roc_auc(y, pred, n, w);
		case AM_METRIC_F1_MACRO:
			return f1_macro(task, n_classes, y, pred, n, w);
		case AM_METRIC_ACCURACY:
			for (int i = 0; i < n; i++)
				if (predicted_class(task, n_classes, pred, i) == (int) y[i])
					acc += w ? w[i] : 1.0;
			return acc / wsum;
		case AM_METRIC_LOG_LOSS:
			for (int i = 0; i < n; i++)
			{
				double		pr;

				if (task == AM_TASK_BINARY)
					pr = y[i] > 0.5 ? pred[i] : 1.0 - pred[i];
				else
					pr = pred[(size_t) i * n_classes + (int) y[i]];
				acc += (w ? w[i] : 1.0) * -log(fmin(fmax(pr, 1e-15), 1.0));
			}
			return acc / wsum;
		case AM_METRIC_RMSE:
		case AM_METRIC_MAE:
			for (int i = 0; i < n; i++)
			{
				double		e = pred[i] - y[i];

				acc += (w ? w[i] : 1.0) * (m == AM_METRIC_RMSE ? e * e : fabs(e));
			}
			return m == AM_METRIC_RMSE ? sqrt(acc / wsum) : acc / wsum;
		case AM_METRIC_R2:
			{
				double		mean = 0.0,
							ss_tot = 0.0,
							ss_res = 0.0;

				for (int i = 0; i < n; i++)
					mean += (w ? w[i] : 1.0) * y[i];
				mean /= wsum;
				for (int i = 0; i < n; i++)
				{
					double		wi = w ? w[i] : 1.0;

					ss_tot += wi * (y[i] - mean) * (y[i] - mean);
					ss_res += wi * (y[i] - pred[i]) * (y[i] - pred[i]);
				}
				if (ss_tot == 0.0)
					return ss_res == 0.0 ? 1.0 : 0.0;
				return 1.0 - ss_res / ss_tot;
			}
		default:
			return NAN;
	}
}
