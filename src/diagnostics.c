/*
 * diagnostics.c
 *	  What training stores for the report and for drift checks, so both
 *	  show the data the model saw and not a table that may have changed:
 *	  summaries of the validation predictions (ROC and precision-recall
 *	  curves, confusion matrix, calibration; predicted against actual and a
 *	  residual histogram), a profile of the training data, and reference
 *	  distributions of every feature and of the predictions.
 */
#include "describe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pool.h"
#include "rng.h"

#define CURVE_POINTS 101
#define CALIBRATION_BINS 10
#define SCATTER_POINTS 500
#define RESIDUAL_BINS 30
#define HISTOGRAM_BINS 20
#define TOP_LEVELS 10
#define DRIFT_BINS 10

typedef struct Scored
{
	double		p;
	int			positive;
} Scored;

static int
cmp_scored_desc(const void *a, const void *b)
{
	double		x = ((const Scored *) a)->p,
				y = ((const Scored *) b)->p;

	return (x < y) - (x > y);
}


static void
append_array(AmStr *j, const double *v, int n)
{
	am_str_append(j, "[");
	for (int i = 0; i < n; i++)
	{
		if (i)
			am_str_append(j, ", ");
		am_str_json_number(j, v[i]);
	}
	am_str_append(j, "]");
}

/* Keep about max evenly spaced points of a curve, always the first and last. */
static int
thin(double *x, double *y, int n, int max)
{
	int			kept = 0;

	if (n <= max)
		return n;
	for (int k = 0; k < max; k++)
	{
		int			i = (int) ((double) k * (n - 1) / (max - 1) + 0.5);

		x[kept] = x[i];
		y[kept] = y[i];
		kept++;
	}
	return kept;
}

/* ROC and precision-recall curves of a binary task's validation predictions. */
static void
append_curves(AmStr *j, const double *y, const double *p, int n)
{
	Scored	   *s = AM_NEW(Scored, n);
	double	   *fpr = AM_NEW(double, n + 1),
			   *tpr = AM_NEW(double, n + 1),
			   *recall = AM_NEW(double, n + 1),
			   *precision = AM_NEW(double, n + 1);
	int			pos = 0,
				neg = 0,
				tp = 0,
				fp = 0,
				m = 0,
				mp = 0;
	double		ap = 0.0,
				last_recall = 0.0;

	for (int i = 0; i < n; i++)
	{
		s[i].p = p[i];
		s[i].positive = y[i] > 0.5;
		pos += s[i].positive;
	}
	neg = n - pos;
	qsort(s, n, sizeof(Scored), cmp_scored_desc);
	fpr[m] = 0;
	tpr[m++] = 0;
	for (int i = 0; i < n; i++)
	{
		tp += s[i].positive;
		fp += !s[i].positive;
		if (i + 1 < n && s[i + 1].p == s[i].p)
			continue;			/* one point per distinct threshold */
		fpr[m] = neg ? (double) fp / neg : 0;
		tpr[m++] = pos ? (double) tp / pos : 0;
		recall[mp] = pos ? (double) tp / pos : 0;
		precision[mp++] = (double) tp / (tp + fp);
		ap += (recall[mp - 1] - last_recall) * precision[mp - 1];
		last_recall = recall[mp - 1];
	}
	m = thin(fpr, tpr, m, CURVE_POINTS);
	mp = thin(recall, precision, mp, CURVE_POINTS);
	am_str_append(j, "\"roc\": {\"fpr\": ");
	append_array(j, fpr, m);
	am_str_append(j, ", \"tpr\": ");
	append_array(j, tpr, m);
	am_str_append(j, ", \"auc\": ");
	am_str_json_number(j, am_metric_score(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, y, p, n, NULL));
	am_str_append(j, "}, \"pr\": {\"recall\": ");
	append_array(j, recall, mp);
	am_str_append(j, ", \"precision\": ");
	append_array(j, precision, mp);
	am_str_append(j, ", \"average_precision\": ");
	am_str_json_number(j, ap);
	am_str_append(j, "}, ");
	am_free(s);
	am_free(fpr);
	am_free(tpr);
	am_free(recall);
	am_free(precision);
}

static int
predicted_class(AmTask task, int k, const double *p, int i)
{
	int			best = 0;

	if (task == AM_TASK_BINARY)
		return p[i] > 0.5;
	for (int c = 1; c < k; c++)
		if (p[(size_t) i * k + c] > p[(size_t) i * k + best])
			best = c;
	return best;
}

static void
append_classification(AmStr *j, const AmSchema *s, const double *y, const double *p, int n)
{
	int			k = s->n_classes;
	long	   *cm = AM_NEW0(long, (size_t) k * k);
	double		sum_p[CALIBRATION_BINS] = {0},
				hits[CALIBRATION_BINS] = {0};
	long		count[CALIBRATION_BINS] = {0};
	bool		first = true;

	if (s->task == AM_TASK_BINARY)
		append_curves(j, y, p, n);
	for (int i = 0; i < n; i++)
	{
		int			pred = predicted_class(s->task, k, p, i);
		int			actual = (int) y[i];
		/* binary: P(class 1) against its frequency; multiclass: confidence against accuracy */
		double		conf = s->task == AM_TASK_BINARY ? p[i] : p[(size_t) i * k + pred];
		int			b = (int) (conf * CALIBRATION_BINS);

		b = b < 0 ? 0 : (b >= CALIBRATION_BINS ? CALIBRATION_BINS - 1 : b);
		cm[(size_t) actual * k + pred]++;
		sum_p[b] += conf;
		hits[b] += s->task == AM_TASK_BINARY ? (actual == 1) : (actual == pred);
		count[b]++;
	}
	am_str_append(j, "\"confusion\": {\"labels\": [");
	for (int c = 0; c < k; c++)
	{
		if (c)
			am_str_append(j, ", ");
		am_str_json_string(j, s->classes[c]);
	}
	am_str_append(j, "], \"matrix\": [");
	for (int a = 0; a < k; a++)
	{
		am_str_append(j, a ? ", [" : "[");
		for (int c = 0; c < k; c++)
			am_str_appendf(j, "%s%ld", c ? ", " : "", cm[(size_t) a * k + c]);
		am_str_append(j, "]");
	}
	am_str_appendf(j, "]}, \"calibration_kind\": \"%s\", \"calibration\": [",
				   s->task == AM_TASK_BINARY ? "probability of the second class" : "confidence");
	for (int b = 0; b < CALIBRATION_BINS; b++)
	{
		if (count[b] == 0)
			continue;
		am_str_append(j, first ? "{\"predicted\": " : ", {\"predicted\": ");
		first = false;
		am_str_json_number(j, sum_p[b] / count[b]);
		am_str_append(j, ", \"observed\": ");
		am_str_json_number(j, hits[b] / count[b]);
		am_str_appendf(j, ", \"count\": %ld}", count[b]);
	}
	am_str_append(j, "]");
	am_free(cm);
}

/*
 * Counts of the values of v in `bins` equal-width bins from their least
 * (*lo) to their greatest (*hi) value; false when every value is NaN.
 */
static bool
histogram_counts(const double *v, int n, int bins, double *lo, double *hi, double *counts)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
		{
			*lo = fmin(*lo, v[i]);
			*hi = fmax(*hi, v[i]);
		}
	if (!(*lo <= *hi))
		return false;
	if (*hi == *lo)
		*hi = *lo + 1;
	memset(counts, 0, sizeof(double) * bins);
	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
		{
			int			b = (int) ((v[i] - *lo) / (*hi - *lo) * bins);

			counts[b >= bins ? bins - 1 : b] += 1;
		}
	return true;
}

static void
append_histogram_counts(AmStr *j, double lo, double hi, const double *counts, int bins)
{
	am_str_append(j, "{\"edges\": [");
	for (int b = 0; b <= bins; b++)
	{
		if (b)
			am_str_append(j, ", ");
		am_str_json_number(j, lo + (hi - lo) * b / bins);
	}
	am_str_append(j, "], \"counts\": ");
	append_array(j, counts, bins);
	am_str_append(j, "}");
}

/* Counts of v in bins edges[0..bins]; values outside go to the end bins. */
static void
append_histogram(AmStr *j, const double *v, int n, int bins)
{
	double		lo,
				hi;
	double	   *counts = AM_NEW(double, bins);

	if (histogram_counts(v, n, bins, &lo, &hi, counts))
		append_histogram_counts(j, lo, hi, counts, bins);
	else
		am_str_append(j, "null");
	am_free(counts);
}

static void
append_regression(AmStr *j, const double *y, const double *p, int n)
{
	int			step = n > SCATTER_POINTS ? (n + SCATTER_POINTS - 1) / SCATTER_POINTS : 1;
	int			m = 0;
	double	   *actual = AM_NEW(double, n),
			   *predicted = AM_NEW(double, n),
			   *residual = AM_NEW(double, n);

	for (int i = 0; i < n; i++)
		residual[i] = y[i] - p[i];
	for (int i = 0; i < n; i += step)
	{
		actual[m] = y[i];
		predicted[m++] = p[i];
	}
	am_str_append(j, "\"regression\": {\"actual\": ");
	append_array(j, actual, m);
	am_str_append(j, ", \"predicted\": ");
	append_array(j, predicted, m);
	am_str_append(j, ", \"residuals\": ");
	append_histogram(j, residual, n, RESIDUAL_BINS);
	am_str_append(j, "}");
	am_free(actual);
	am_free(predicted);
	am_free(residual);
}

typedef struct Ranked
{
	double		value;
	int			index;
} Ranked;

static int
cmp_ranked_desc(const void *a, const void *b)
{
	const Ranked *x = a,
			   *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return x->index - y->index;
}

#define IMPORTANCE_ROWS 1000
#define IMPORTANCE_SEED UINT64_C(0x1a9e5eed)

/*
 * Permutation importance of each raw feature on up to IMPORTANCE_ROWS
 * training rows: how much the loss (log loss, or mean squared error) grows
 * when the feature's values are shuffled among the rows.  One measure for
 * every family, so ensembles of different families and one-hot encoded
 * categoricals compare fairly.  Negative changes count as 0.
 */
void
am_permutation_importance(AmModel *m, const AmDataset *d, double *out)
{
	int			nf = d->n_features;
	int			outs = am_task_outputs(d->task, d->n_classes);
	int			n = d->n_rows < IMPORTANCE_ROWS ? d->n_rows : IMPORTANCE_ROWS;
	AmMetric	loss = d->task == AM_TASK_REGRESSION ? AM_METRIC_RMSE : AM_METRIC_LOG_LOSS;
	double	   *x = AM_NEW(double, (size_t) n * nf);
	double	   *y = AM_NEW(double, n);
	double	   *pred = AM_NEW(double, (size_t) n * outs);
	double	   *saved = AM_NEW(double, n);
	int		   *perm = AM_NEW(int, n);
	double		base;
	AmRng		rng;

	am_rng_seed(&rng, IMPORTANCE_SEED);
	/* evenly spaced rows, column-major */
	for (int i = 0; i < n; i++)
	{
		int			row = (int) (((int64_t) i * d->n_rows + d->n_rows / 2) / n);

		y[i] = d->y[row];
		for (int j = 0; j < nf; j++)
			x[(size_t) j * n + i] = d->x[j][row];
	}
	am_model_predict(m, x, (size_t) n, n, pred);
	base = am_metric_score(loss, d->task, d->n_classes, y, pred, n, NULL);
	if (loss == AM_METRIC_RMSE)
		base *= base;
	for (int j = 0; j < nf; j++)
	{
		double	   *col = x + (size_t) j * n;
		double		v;

		am_check_interrupts();
		memcpy(saved, col, sizeof(double) * n);
		for (int i = 0; i < n; i++)
			perm[i] = i;
		am_rng_shuffle(&rng, perm, n);
		for (int i = 0; i < n; i++)
			col[i] = saved[perm[i]];
		am_model_predict(m, x, (size_t) n, n, pred);
		v = am_metric_score(loss, d->task, d->n_classes, y, pred, n, NULL);
		if (loss == AM_METRIC_RMSE)
			v *= v;
		out[j] = isfinite(v - base) && v > base ? v - base : 0.0;
		memcpy(col, saved, sizeof(double) * n);
	}
	am_free(x);
	am_free(y);
	am_free(pred);
	am_free(saved);
	am_free(perm);
}

/*
 * "importance": permutation importance per feature, normalised to sum to 1,
 * largest first.
 */
static bool
append_importance(AmStr *j, AmModel *m, const AmDataset *d)
{
	int			nf = m->schema->n_features;
	double	   *gain;
	Ranked	   *r;
	double		total = 0.0;

	if (nf == 0 || d->n_rows == 0)
		return false;
	gain = AM_NEW(double, nf);
	am_permutation_importance(m, d, gain);
	r = AM_NEW(Ranked, nf);
	for (int f = 0; f < nf; f++)
	{
		total += gain[f];
		r[f].value = gain[f];
		r[f].index = f;
	}
	qsort(r, nf, sizeof(Ranked), cmp_ranked_desc);
	am_str_append(j, "\"importance_kind\": \"permutation\", \"importance\": [");
	for (int f = 0; f < nf; f++)
	{
		am_str_append(j, f ? ", {\"feature\": " : "{\"feature\": ");
		am_str_json_string(j, m->schema->features[r[f].index].name);
		am_str_append(j, ", \"importance\": ");
		am_str_json_number(j, total > 0 ? r[f].value / total : 0.0);
		am_str_append(j, "}");
	}
	am_str_append(j, "]");
	am_free(r);
	am_free(gain);
	return true;
}

char *
am_describe_diagnostics(const AmSearchResult *res, const AmDataset *d, const AmSchema *s)
{
	AmStr		j;
	bool		first = true;

	am_str_init(&j);
	am_str_append(&j, "{");
	if (res->model != NULL)
		first = !append_importance(&j, res->model, d);
	if (res->valid_pred != NULL && res->n_valid > 0)
	{
		double	   *y = AM_NEW(double, res->n_valid);

		for (int i = 0; i < res->n_valid; i++)
			y[i] = d->y[res->valid_rows[i]];
		am_str_appendf(&j, "%s\"rows\": %d, ", first ? "" : ", ", res->n_valid);
		if (s->task == AM_TASK_REGRESSION)
			append_regression(&j, y, res->valid_pred, res->n_valid);
		else
			append_classification(&j, s, y, res->valid_pred, res->n_valid);
		am_free(y);
	}
	am_str_append(&j, "}");
	return j.data;
}

/* ---------- reference distributions for drift ---------- */

/* Bin of a value: the first edge at or above it (bin k > last edge). */
int
am_drift_bin(const double *edges, int n_edges, double v)
{
	int			lo = 0,
				hi = n_edges;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (v <= edges[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---------- column statistics from sorted values, on the pool ---------- */

/*
 * What the profile and the drift reference need of a numeric column's
 * sorted values: the distinct values, the inner decile edges (without
 * repeats) and the share of the values in each bin they make; and, while
 * the column is at hand, the profile's histogram.  Many
 * columns are done at once on the thread pool, each thread sorting in
 * scratch of its own (the values and two sort keys per row).
 */
typedef struct SortedStats
{
	int			present;		/* values that are not NaN */
	int			distinct;
	int			n_edges;
	double		edges[DRIFT_BINS];
	double		frac[DRIFT_BINS + 1];
	bool		has_hist;		/* the profile's histogram (not all NaN) */
	double		hist_lo;
	double		hist_hi;
	double		hist[HISTOGRAM_BINS];
} SortedStats;

typedef struct SortedJob
{
	const double *const *cols;
	int			n;
	bool		histogram;		/* the profile's histogram too */
	double	   *values;			/* n per thread */
	uint64_t   *keys;			/* 2 * n per thread, for the sort */
	SortedStats *out;
} SortedJob;

static void
sorted_stats_task(void *arg, int task, int thread)
{
	SortedJob  *job = arg;
	const double *v = job->cols[task];
	double	   *sorted = job->values + (size_t) thread * job->n;
	SortedStats *st = &job->out[task];
	int			m = 0,
				bin = 0;

	for (int i = 0; i < job->n; i++)
		if (!isnan(v[i]))
			sorted[m++] = v[i];
	am_sort_doubles_in(sorted, (size_t) m, job->keys + (size_t) thread * 2 * job->n);
	st->present = m;
	for (int i = 0; i < m; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			st->distinct++;
	for (int b = 1; b < DRIFT_BINS && m > 0; b++)
	{
		double		e = sorted[(size_t) ((double) b * (m - 1) / DRIFT_BINS)];

		if (st->n_edges == 0 || e > st->edges[st->n_edges - 1])
			st->edges[st->n_edges++] = e;
	}
	/* bins in value order: the first edge at or above the value */
	for (int i = 0; i < m; i++)
	{
		while (bin < st->n_edges && sorted[i] > st->edges[bin])
			bin++;
		st->frac[bin] += 1;
	}
	for (int b = 0; b <= st->n_edges; b++)
		st->frac[b] = m ? st->frac[b] / m : 0;
	if (job->histogram)
		st->has_hist = histogram_counts(v, job->n, HISTOGRAM_BINS, &st->hist_lo, &st->hist_hi,
										st->hist);
}

static SortedStats *
sorted_stats(const double *const *cols, int n_cols, int n, bool histogram)
{
	SortedStats *out = AM_NEW0(SortedStats, n_cols > 0 ? n_cols : 1);
	int			threads = am_pool_width(n_cols);
	SortedJob	job = {cols, n, histogram, NULL, NULL, out};

	if (n_cols == 0)
		return out;
	/* not reserved: the stored texts are made after the budget is spent */
	job.values = AM_NEW(double, (size_t) threads * (n > 0 ? n : 1));
	job.keys = AM_NEW(uint64_t, (size_t) threads * 2 * (n > 0 ? n : 1));
	/* a slice of columns sorts about 8 million values */
	am_pool_for(threads, n_cols, n > 0 ? 1 + (1 << 23) / n : n_cols, sorted_stats_task, &job);
	am_free(job.values);
	am_free(job.keys);
	return out;
}

/*
 * sorted_stats of the numeric features of d, and of the column `extra` when
 * given; *stat_of maps a feature (extra: d->n_features) to its entry.
 */
static SortedStats *
numeric_stats(const AmDataset *d, const double *extra, bool histogram, int **stat_of)
{
	const double **cols = AM_NEW(const double *, d->n_features + 1);
	int			n_cols = 0;
	SortedStats *stats;

	*stat_of = AM_NEW(int, d->n_features + 1);
	for (int f = 0; f < d->n_features; f++)
		if (!d->categorical[f])
		{
			(*stat_of)[f] = n_cols;
			cols[n_cols++] = d->x[f];
		}
	if (extra)
	{
		(*stat_of)[d->n_features] = n_cols;
		cols[n_cols++] = extra;
	}
	stats = sorted_stats(cols, n_cols, d->n_rows, histogram);
	am_free(cols);
	return stats;
}

static void
append_numeric_reference(AmStr *j, const SortedStats *st, int n)
{
	am_str_append(j, "\"kind\": \"numeric\", \"edges\": ");
	append_array(j, st->edges, st->n_edges);
	am_str_append(j, ", \"fractions\": ");
	append_array(j, st->frac, st->n_edges + 1);
	am_str_append(j, ", \"missing\": ");
	am_str_json_number(j, n ? (double) (n - st->present) / n : 0);
}

static void
append_code_reference(AmStr *j, const double *v, int n, int codes)
{
	double	   *frac = AM_NEW0(double, codes);
	int			present = 0;

	for (int i = 0; i < n; i++)
		if (!isnan(v[i]))
		{
			int			c = (int) v[i];

			frac[c >= 0 && c < codes ? c : codes - 1] += 1;
			present++;
		}
	for (int c = 0; c < codes; c++)
		frac[c] = present ? frac[c] / present : 0;
	am_str_append(j, "\"kind\": \"categorical\", \"fractions\": ");
	append_array(j, frac, codes);
	am_str_append(j, ", \"missing\": ");
	am_str_json_number(j, n ? (double) (n - present) / n : 0);
	am_free(frac);
}

char *
am_describe_drift_reference(const AmDataset *d, const AmSchema *s, const double *pred)
{
	AmStr		j;
	int			outs = am_task_outputs(d->task, d->n_classes);
	int		   *stat_of;
	SortedStats *stats = numeric_stats(d, d->task != AM_TASK_MULTICLASS ? pred : NULL, false,
									   &stat_of);

	am_str_init(&j);
	am_str_appendf(&j, "{\"rows\": %d, \"features\": [", d->n_rows);
	for (int f = 0; f < d->n_features; f++)
	{
		am_str_append(&j, f ? ", {\"name\": " : "{\"name\": ");
		am_str_json_string(&j, s->features[f].name);
		am_str_append(&j, ", ");
		if (d->categorical[f])
			append_code_reference(&j, d->x[f], d->n_rows, d->n_codes[f]);
		else
			append_numeric_reference(&j, &stats[stat_of[f]], d->n_rows);
		am_str_append(&j, "}");
	}
	am_str_append(&j, "], \"prediction\": {");
	if (d->task == AM_TASK_MULTICLASS)
	{
		double	   *cls = AM_NEW(double, d->n_rows);

		for (int i = 0; i < d->n_rows; i++)
			cls[i] = predicted_class(d->task, outs, pred, i);
		append_code_reference(&j, cls, d->n_rows, d->n_classes);
		am_free(cls);
	}
	else
		append_numeric_reference(&j, &stats[stat_of[d->n_features]], d->n_rows);
	am_str_append(&j, "}}");
	am_free(stats);
	am_free(stat_of);
	return j.data;
}

/* ---------- profile of the training data ---------- */

typedef struct LevelCount
{
	int			code;
	long		count;
} LevelCount;

static int
cmp_level_count(const void *a, const void *b)
{
	const LevelCount *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->code - y->code;
}

static void
append_top_levels(AmStr *j, const AmFeature *f, const double *v, int n)
{
	int			codes = f->n_levels + 1;
	LevelCount *lc = AM_NEW(LevelCount, codes);
	int			shown = 0;

	for (int c = 0; c < codes; c++)
	{
		lc[c].code = c;
		lc[c].count = 0;
	}
	for (int i = 0; i < n; i++)
		if (!isnan(v[i]) && (int) v[i] >= 0 && (int) v[i] < codes)
			lc[(int) v[i]].count++;
	qsort(lc, codes, sizeof(LevelCount), cmp_level_count);
	am_str_append(j, "[");
	for (int c = 0; c < codes && shown < TOP_LEVELS; c++)
	{
		if (lc[c].count == 0)
			break;
		am_str_append(j, shown++ ? ", {\"value\": " : "{\"value\": ");
		am_str_json_string(j, lc[c].code < f->n_levels ? f->levels[lc[c].code] : "(other)");
		am_str_appendf(j, ", \"count\": %ld}", lc[c].count);
	}
	am_str_append(j, "]");
	am_free(lc);
}

static int
distinct_values(const double *v, int n)
{
	SortedStats *st = sorted_stats(&v, 1, n, false);
	int			distinct = st->distinct;

	am_free(st);
	return distinct;
}

char *
am_describe_profile(const AmDataset *d, const AmSchema *s, const int *leaky, int n_leaky)
{
	AmStr		j;
	int		   *stat_of;
	SortedStats *stats = numeric_stats(d, NULL, true, &stat_of);	/* with histograms */

	am_str_init(&j);
	am_str_append(&j, "[");
	for (int f = 0; f < d->n_features; f++)
	{
		const AmFeature *ft = &s->features[f];
		const AmSourceColumn *col = &s->columns[ft->source];
		int			missing = ft->categorical ? am_dataset_missing(d, f) :
			d->n_rows - stats[stat_of[f]].present;
		bool		is_leaky = false;

		for (int k = 0; k < n_leaky; k++)
			is_leaky |= (leaky[k] == f);
		am_str_append(&j, f ? ", {\"column\": " : "{\"column\": ");
		am_str_json_string(&j, ft->name);
		am_str_append(&j, ", \"type\": ");
		am_str_json_string(&j, col->type_name);
		am_str_append(&j, ", \"kind\": ");
		am_str_json_string(&j, ft->categorical ? "categorical" : am_source_kind_name(col->kind));
		am_str_append(&j, ", \"missing_share\": ");
		am_str_json_number(&j, d->n_rows ? (double) missing / d->n_rows : 0);
		am_str_appendf(&j, ", \"distinct\": %d, \"role\": \"%s\", ",
					   ft->categorical ? ft->n_levels : stats[stat_of[f]].distinct,
					   is_leaky ? "leaky" : "feature");
		if (ft->categorical)
		{
			am_str_append(&j, "\"top\": ");
			append_top_levels(&j, ft, d->x[f], d->n_rows);
		}
		else
		{
			const SortedStats *st = &stats[stat_of[f]];

			am_str_append(&j, "\"histogram\": ");
			if (st->has_hist)
				append_histogram_counts(&j, st->hist_lo, st->hist_hi, st->hist, HISTOGRAM_BINS);
			else
				am_str_append(&j, "null");
		}
		am_str_append(&j, "}");
	}
	am_str_append(&j, "]");
	am_free(stats);
	am_free(stat_of);
	return j.data;
}

char *
am_describe_target_profile(const AmDataset *d, const AmSchema *s, long skipped)
{
	AmStr		j;

	am_str_init(&j);
	am_str_append(&j, "{\"column\": ");
	am_str_json_string(&j, s->target);
	am_str_append(&j, ", \"type\": ");
	am_str_json_string(&j, s->target_type);
	am_str_append(&j, ", \"kind\": ");
	am_str_json_string(&j, s->task == AM_TASK_REGRESSION ? "numeric" : "categorical");
	am_str_append(&j, ", \"missing_share\": ");
	am_str_json_number(&j, (double) skipped / (d->n_rows + skipped));
	am_str_appendf(&j, ", \"distinct\": %d, \"role\": \"target\", ",
				   s->task == AM_TASK_REGRESSION ? distinct_values(d->y, d->n_rows) : s->n_classes);
	if (s->task == AM_TASK_REGRESSION)
	{
		am_str_append(&j, "\"histogram\": ");
		append_histogram(&j, d->y, d->n_rows, HISTOGRAM_BINS);
	}
	else
	{
		long	   *count = AM_NEW0(long, s->n_classes);

		for (int i = 0; i < d->n_rows; i++)
			count[(int) d->y[i]]++;
		am_str_append(&j, "\"top\": [");
		for (int c = 0; c < s->n_classes && c < 50; c++)
		{
			am_str_append(&j, c ? ", {\"value\": " : "{\"value\": ");
			am_str_json_string(&j, s->classes[c]);
			am_str_appendf(&j, ", \"count\": %ld}", count[c]);
		}
		am_str_append(&j, "]");
		am_free(count);
	}
	am_str_append(&j, "}");
	return j.data;
}
