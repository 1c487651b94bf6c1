/*
 * test_trees.c
 *	  Unit tests of the tree families (tree, forest, extra_trees, gbm):
 *	  binning, histograms and subtraction, exact splits, missing values,
 *	  categorical splits, learning synthetic functions, serialization and
 *	  corruption, TreeSHAP, importance and threads.
 */
#include <stdlib.h>

#include "metrics.h"
#include "model.h"
#include "rng.h"
#include "search.h"
#include "tree.h"
#include "unit.h"

static int	fit_threads = 1;

/* ---------- datasets ---------- */

static AmDataset *
dataset_new(int n, int p, AmTask task, int n_classes)
{
	AmDataset  *d = AM_NEW0(AmDataset, 1);

	d->n_rows = n;
	d->n_features = p;
	d->x = AM_NEW(double *, p);
	d->categorical = AM_NEW0(bool, p);
	d->n_codes = AM_NEW0(int, p);
	for (int j = 0; j < p; j++)
		d->x[j] = AM_NEW0(double, n);
	d->y = AM_NEW0(double, n);
	d->task = task;
	d->n_classes = n_classes;
	return d;
}

static void
make_categorical(AmDataset *d, int j, int n_codes)
{
	d->categorical[j] = true;
	d->n_codes[j] = n_codes;
}

static AmSchema *
schema_for(const AmDataset *d)
{
	AmSchema   *s = AM_NEW0(AmSchema, 1);

	s->n_columns = d->n_features;
	s->columns = AM_NEW0(AmSourceColumn, d->n_features);
	s->n_features = d->n_features;
	s->features = AM_NEW0(AmFeature, d->n_features);
	for (int j = 0; j < d->n_features; j++)
	{
		char		name[32];

		snprintf(name, sizeof(name), "x%d", j);
		s->columns[j].name = am_strdup(name);
		s->columns[j].kind = d->categorical[j] ? AM_SRC_CATEGORICAL : AM_SRC_NUMERIC;
		s->columns[j].type_name = "t";
		s->features[j].name = s->columns[j].name;
		s->features[j].source = j;
		s->features[j].categorical = d->categorical[j];
		if (d->categorical[j])
		{
			s->features[j].n_levels = d->n_codes[j] - 1;
			s->features[j].levels = AM_NEW0(char *, d->n_codes[j]);
			for (int k = 0; k < d->n_codes[j] - 1; k++)
			{
				snprintf(name, sizeof(name), "l%04d", k);
				s->features[j].levels[k] = am_strdup(name);
			}
		}
	}
	s->target = "y";
	s->target_type = "t";
	s->task = d->task;
	s->n_classes = d->n_classes;
	if (d->n_classes > 0)
	{
		s->classes = AM_NEW0(char *, d->n_classes);
		for (int k = 0; k < d->n_classes; k++)
		{
			char		name[16];

			snprintf(name, sizeof(name), "c%d", k);
			s->classes[k] = am_strdup(name);
		}
	}
	return s;
}

/*
 * Synthetic data: 5 numeric features (x0..x2 informative, x3 noise, x4
 * with 20% missing that shifts the target) and a categorical x5 with 6
 * codes of which {1, 3, 4} add to the target.
 */
static double
synthetic_signal(const AmDataset *d, int i)
{
	double		z = 2 * d->x[0][i] + d->x[1][i] * d->x[1][i] - 1.5 * (d->x[2][i] > 0.3);
	double		c = d->x[5][i];

	if (isnan(d->x[4][i]))
		z += 1.0;
	if (c == 1 || c == 3 || c == 4)
		z += 1.5;
	return z;
}

static AmDataset *
synthetic(int n, AmTask task, int n_classes, uint64_t seed)
{
	AmDataset  *d = dataset_new(n, 6, task, n_classes);
	AmRng		rng;

	am_rng_seed(&rng, seed);
	make_categorical(d, 5, 6);
	for (int i = 0; i < n; i++)
	{
		double		z;

		for (int j = 0; j < 5; j++)
			d->x[j][i] = am_rng_normal(&rng);
		if (am_rng_uniform(&rng) < 0.2)
			d->x[4][i] = NAN;
		d->x[5][i] = (double) am_rng_below(&rng, 6);
		z = synthetic_signal(d, i);
		if (task == AM_TASK_REGRESSION)
			d->y[i] = z + 0.1 * am_rng_normal(&rng);
		else if (task == AM_TASK_BINARY)
			d->y[i] = z + 0.3 * am_rng_normal(&rng) > 1.0;
		else
			d->y[i] = z < 0 ? 0 : (z < 1.5 ? 1 : 2);
	}
	return d;
}

static int *
range_rows(int lo, int hi)
{
	int		   *r = AM_NEW(int, hi - lo);

	for (int i = lo; i < hi; i++)
		r[i - lo] = i;
	return r;
}

/* Column-major copy of rows lo .. hi-1. */
static double *
columns(const AmDataset *d, int lo, int hi)
{
	int			n = hi - lo;
	double	   *x = AM_NEW(double, (size_t) n * d->n_features);

	for (int j = 0; j < d->n_features; j++)
		memcpy(x + (size_t) j * n, d->x[j] + lo, sizeof(double) * n);
	return x;
}

/* A complete model of a raw-encoding family fitted on some rows. */
static AmModel *
fit_rows(const AmDataset *d, const AmFamily *f, const AmParams *p, const int *rows,
		 int n, uint64_t seed, AmErr *err)
{
	AmModel    *m = AM_NEW0(AmModel, 1);
	AmFitInput	in;
	double	   *y = AM_NEW(double, n > 0 ? n : 1);

	for (int i = 0; i < n; i++)
		y[i] = d->y[rows[i]];
	memset(&in, 0, sizeof(in));
	m->schema = schema_for(d);
	m->family = f;
	m->params = *p;
	am_family_complete_params(f, &m->params);
	in.task = d->task;
	in.n_classes = d->n_classes;
	in.n = n;
	in.p = d->n_features;
	in.data = d;
	in.rows = rows;
	in.y = y;
	in.seed = seed;
	in.threads = fit_threads;
	m->fitted = f->fit(&in, &m->params, err);
	return m->fitted ? m : NULL;
}

static AmModel *
fit(const AmDataset *d, const char *family, const AmParams *given, int lo, int hi,
	uint64_t seed)
{
	AmErr		err;
	AmModel    *m;
	int		   *rows = range_rows(lo, hi);
	const AmFamily *f = am_family_lookup(family);
	AmParams	q = {0},
			   *p = &q;

	/* keep only the parameters this family has */
	for (int i = 0; i < given->n; i++)
		if (am_family_param(f, given->v[i].name))
			am_params_set(&q, given->v[i].name, given->v[i].value);
	am_err_clear(&err);
	CHECK(f != NULL);
	CHECK(am_family_check_params(f, p, d->task, &err));
	m = fit_rows(d, f, p, rows, hi - lo, seed, &err);
	if (m == NULL)
		fprintf(stderr, "  fit %s failed: %s\n", family, err.msg);
	return m;
}

static double
holdout_score(AmModel *m, const AmDataset *d, int lo, int hi, AmMetric metric)
{
	int			n = hi - lo;
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *x = columns(d, lo, hi);
	double	   *pred = AM_NEW(double, (size_t) n * outs);
	double		s;

	am_model_predict(m, x, n, n, pred);
	s = am_metric_score(metric, d->task, d->n_classes, d->y + lo, pred, n, NULL);
	free(x);
	free(pred);
	return s;
}

/* ---------- bins ---------- */

static void
test_bins(void)
{
	AmDataset  *d = dataset_new(1000, 3, AM_TASK_REGRESSION, 0);
	AmErr		err;
	TreeBinned *b;

	make_categorical(d, 2, 4);
	for (int i = 0; i < 1000; i++)
	{
		d->x[0][i] = i % 5;		/* 5 distinct values */
		d->x[1][i] = i * 0.5;	/* 1000 distinct values */
		d->x[2][i] = i % 4;
	}
	d->x[0][7] = NAN;
	d->x[1][3] = INFINITY;
	d->x[1][4] = -INFINITY;
	d->x[2][9] = NAN;
	d->x[2][10] = 17;			/* out of range code: missing */
	b = tree_prepare(d, &err);
	CHECK(b != NULL);
	CHECK(b->features[0].n_bins == 5);
	CHECK(b->features[0].edges[0] == 0.5 && b->features[0].edges[3] == 3.5);
	CHECK(b->codes[7] == 5);	/* NaN in the missing bin */
	CHECK(b->codes[8] == 3);
	CHECK(b->features[1].n_bins <= TREE_MAX_BINS && b->features[1].n_bins >= 200);
	CHECK(b->codes[1000 + 3] == b->features[1].n_bins - 1);	/* +inf: last bin */
	CHECK(b->codes[1000 + 4] == 0);	/* -inf: first bin */
	CHECK(b->features[2].categorical && b->features[2].n_bins == 4);
	CHECK(b->codes[2000 + 9] == 4 && b->codes[2000 + 10] == 4);
	CHECK(b->codes[2000 + 11] == 3);
	/* bins agree with the raw-value lookup and with edge semantics */
	for (int i = 0; i < 1000; i++)
		CHECK(tree_bin_of(&b->features[0], d->x[0][i]) == b->codes[i]);
	for (int i = 0; i < 1000; i++)
	{
		const TreeFeatureBins *f = &b->features[1];
		int			bin = b->codes[1000 + i];

		CHECK(tree_bin_of(f, d->x[1][i]) == bin);
		if (bin < f->n_bins - 1)
			CHECK(d->x[1][i] <= f->edges[bin]);
		if (bin > 0)
			CHECK(d->x[1][i] > f->edges[bin - 1]);
	}
	/* coarsening to 16 bins keeps edges a subset and counts */
	{
		int		   *rows = range_rows(0, 1000);
		TreeMatrix *m = tree_matrix_build(b, rows, 1000, 16);
		double		total = 0;

		CHECK(m->features[1].n_bins <= 16 && m->features[1].n_bins >= 8);
		for (int k = 0; k < m->features[1].n_bins; k++)
			total += m->features[1].counts[k];
		CHECK(total == 1000);
		CHECK(m->bins[3 * 3 + 1] == m->features[1].n_bins - 1);
		CHECK(m->bins[7 * 3 + 0] == 5);
		CHECK(m->hist_offset[3] == 6 + m->features[1].n_bins + 1 + 5);
	}
}

/* ---------- histograms ---------- */

static void
hist_context(TreeHistContext *hc, const TreeMatrix *m, const double *gh, AmPool *pool)
{
	memset(hc, 0, sizeof(*hc));
	hc->m = m;
	hc->mode = TREE_STATS_GH;
	hc->width = 2;
	hc->n_channels = 1;
	hc->gh = gh;
	hc->pool = pool;
	hc->n_partials = 3;
	hc->partials = AM_NEW(double, (size_t) 3 * m->hist_bins * 2);
	hc->job_blocks = AM_NEW(int, 9);
	hc->max_jobs = 8;
}

/*
 * Bins of a table larger than the bin sample: placed from a seeded sample
 * (the golden sum pins the sample, draws with replacement included, so a
 * change of the sampling shows), every bin holding a fair share of rows.
 */
static void
test_bins_sampled(void)
{
	int			n = 300000;
	AmDataset  *d = dataset_new(n, 1, AM_TASK_REGRESSION, 0);
	AmRng		rng;
	AmErr		err;
	TreeBinned *b;
	const TreeFeatureBins *f;
	double		sum = 0;
	int		   *count;
	int			bad = 0;

	am_rng_seed(&rng, 5);
	for (int i = 0; i < n; i++)
	{
		d->x[0][i] = am_rng_normal(&rng);
		d->y[i] = 0;
	}
	b = tree_prepare(d, &err);
	CHECK(b != NULL);
	f = &b->features[0];
	CHECK(f->n_bins == TREE_MAX_BINS);
	count = AM_NEW0(int, f->n_bins + 1);
	for (int i = 0; i < n; i++)
		count[b->codes[i]]++;
	for (int k = 0; k < f->n_bins; k++)
	{
		if (k < f->n_bins - 1)
			sum += f->edges[k];
		bad += k > 0 && k < f->n_bins - 1 && !(f->edges[k] > f->edges[k - 1]);
		bad += count[k] < 0.5 * n / f->n_bins || count[k] > 2.0 * n / f->n_bins;
	}
	CHECK_NEAR(sum, 0.98258418900011968, 1e-9);
	CHECK(bad == 0);
	CHECK(count[f->n_bins] == 0);
	free(count);
}

extern int	am_test_threads;	/* automl.max_threads of core_std.c */

/*
 * Binning in parallel gives what one thread gives, bin for bin: numeric
 * features with missing values and few distinct values, a categorical one
 * with more codes than bins, over more rows than a chunk of the codes phase;
 * and a fit's matrix built from those bins.
 */
static void
test_bins_threads(void)
{
	int			n = 300000,
				saved = am_test_threads;
	AmDataset  *d = dataset_new(n, 4, AM_TASK_REGRESSION, 0);
	AmRng		rng;
	AmErr		err;
	TreeBinned *b[2];
	int			bad = 0;

	am_rng_seed(&rng, 17);
	make_categorical(d, 2, 300);
	for (int i = 0; i < n; i++)
	{
		d->x[0][i] = i % 97 == 0 ? NAN : am_rng_normal(&rng);
		d->x[1][i] = (double) am_rng_below(&rng, 40);
		d->x[2][i] = (double) am_rng_below(&rng, 300);
		d->x[3][i] = i % 5 == 0 ? NAN : am_rng_uniform(&rng) * 1000;
	}
	for (int t = 0; t < 2; t++)
	{
		am_test_threads = t + 1;
		b[t] = tree_prepare(d, &err);
		CHECK(b[t] != NULL);
	}
	am_test_threads = saved;
	for (int j = 0; j < d->n_features; j++)
	{
		const TreeFeatureBins *f0 = &b[0]->features[j],
				   *f1 = &b[1]->features[j];
		double		rows = 0;

		bad += f0->n_bins != f1->n_bins || f0->categorical != f1->categorical;
		for (int k = 0; k < f0->n_bins; k++)
		{
			bad += f0->counts[k] != f1->counts[k];
			bad += !f0->categorical && k + 1 < f0->n_bins && f0->edges[k] != f1->edges[k];
			rows += f0->counts[k];
		}
		/* every row with a value is counted once */
		CHECK(rows == (j == 0 ? n - (n + 96) / 97 : (j == 3 ? n - n / 5 : n)));
	}
	CHECK(b[0]->features[1].n_bins == 40);
	CHECK(b[0]->features[2].n_bins == TREE_MAX_BINS);
	CHECK(bad == 0);
	CHECK(memcmp(b[0]->codes, b[1]->codes, (size_t) n * d->n_features) == 0);

	/* a fit's matrix of every other row, coarsened to 64 bins: the same too */
	{
		int			m_rows = n / 2;
		int		   *rows = AM_NEW(int, m_rows);
		TreeMatrix *m[2];

		for (int i = 0; i < m_rows; i++)
			rows[i] = 2 * i + 1;
		for (int t = 0; t < 2; t++)
		{
			am_test_threads = t + 1;
			m[t] = tree_matrix_build(b[0], rows, m_rows, 64);
		}
		am_test_threads = saved;
		CHECK(memcmp(m[0]->bins, m[1]->bins, (size_t) m_rows * d->n_features) == 0);
		CHECK(memcmp(m[0]->cols, m[1]->cols, (size_t) m_rows * d->n_features) == 0);
		CHECK(m[1]->cols[(size_t) 3 * m_rows + 10] == m[1]->bins[(size_t) 10 * d->n_features + 3]);
		CHECK(m[1]->features[0].n_bins <= 64);
	}
}

static void
test_hist(void)
{
	int			n = 30000;
	AmDataset  *d = synthetic(n, AM_TASK_REGRESSION, 0, 11);
	AmErr		err;
	TreeBinned *b = tree_prepare(d, &err);
	int		   *all = range_rows(0, n);
	TreeMatrix *m = tree_matrix_build(b, all, n, 255);
	double	   *gh = AM_NEW(double, 2 * n);
	double	   *dyadic = AM_NEW(double, 2 * n);
	size_t		hs = (size_t) m->hist_bins * 2;
	double	   *parent = AM_NEW(double, hs),
			   *left = AM_NEW(double, hs),
			   *right = AM_NEW(double, hs),
			   *direct = AM_NEW(double, hs),
			   *two = AM_NEW(double, hs);
	int32_t    *rows = AM_NEW(int32_t, n),
			   *lrows = AM_NEW(int32_t, n),
			   *rrows = AM_NEW(int32_t, n);
	int			nl = 0,
				nr = 0;
	TreeHistContext hc;
	TreeHistJob job;
	AmPool	   *pool = am_pool_create(2);
	AmRng		rng;

	am_rng_seed(&rng, 5);
	for (int i = 0; i < n; i++)
	{
		gh[2 * i] = am_rng_normal(&rng);
		gh[2 * i + 1] = am_rng_uniform(&rng);
		dyadic[2 * i] = (double) ((int) am_rng_below(&rng, 64) - 32) / 8;
		dyadic[2 * i + 1] = (double) am_rng_below(&rng, 16) / 4;
		rows[i] = i;
		if (d->x[0][i] < 0.2)
			lrows[nl++] = i;
		else
			rrows[nr++] = i;
	}
	/* subtraction equals a direct build (exact sums with dyadic values) */
	hist_context(&hc, m, dyadic, NULL);
	job = (TreeHistJob) {rows, n, NULL, 0, parent};
	tree_hist_build(&hc, &job, 1);
	job = (TreeHistJob) {lrows, nl, NULL, 0, left};
	tree_hist_build(&hc, &job, 1);
	job = (TreeHistJob) {rrows, nr, NULL, 0, direct};
	tree_hist_build(&hc, &job, 1);
	tree_hist_subtract(&hc, parent, left, NULL, 0);
	CHECK(memcmp(parent, direct, sizeof(double) * hs) == 0);

	/* blocked build (several rounds of partials) equals a plain row loop */
	job = (TreeHistJob) {rows, n, NULL, 0, parent};
	tree_hist_build(&hc, &job, 1);
	job.out = direct;
	tree_hist_build_rows(&hc, &job, 0);
	CHECK(memcmp(parent, direct, sizeof(double) * hs) == 0);

	/* with real-valued gradients two threads give the same bits as one */
	hc.gh = gh;
	{
		TreeHistJob jobs[2] = {{lrows, nl, NULL, 0, left}, {rrows, nr, NULL, 0, right}};

		tree_hist_build(&hc, jobs, 2);
		memcpy(direct, right, sizeof(double) * hs);
		hc.pool = pool;
		am_pool_start(pool);
		jobs[1].out = two;
		tree_hist_build(&hc, jobs, 2);
		am_pool_stop(pool);
		CHECK(memcmp(direct, two, sizeof(double) * hs) == 0);
	}
	/* a few rows straight to the compact form: the same sums as a histogram */
	{
		double		scratch[(TREE_SPARSE_ROWS + 1) * 2];
		TreeCompact c;
		int			n_few = 90;

		job = (TreeHistJob) {lrows, n_few, NULL, 0, two};
		tree_hist_build_rows(&hc, &job, 0);
		for (int j = 0; j < 6; j++)
		{
			const double *fh = two + 2 * (size_t) m->hist_offset[j];
			int			k = 0;

			tree_hist_compact(&hc, lrows, n_few, j, scratch, &c);
			for (int bin = 0; bin < m->features[j].n_bins; bin++)
			{
				if (fh[2 * bin] == 0 && fh[2 * bin + 1] == 0)
					continue;
				CHECK(k < c.m && c.bin[k] == bin);
				if (k < c.m)
					CHECK(memcmp(c.slot[k], fh + 2 * bin, 2 * sizeof(double)) == 0);
				k++;
			}
			CHECK(k == c.m);
			CHECK(memcmp(c.miss, fh + 2 * (size_t) m->features[j].n_bins, 2 * sizeof(double)) == 0);
		}
	}
	/* a feature list touches only its features */
	{
		int			feats[2] = {1, 5};
		double		sum = 0;

		memset(two, 0, sizeof(double) * hs);
		job = (TreeHistJob) {rows, 100, feats, 2, two};
		tree_hist_build_rows(&hc, &job, 0);
		for (int s = m->hist_offset[0]; s < m->hist_offset[1]; s++)
			CHECK(two[2 * s] == 0);
		for (int s = m->hist_offset[5]; s < m->hist_offset[6]; s++)
			sum += two[2 * s + 1];
		CHECK(sum > 0);
	}
}

/* ---------- exact small cases ---------- */

static void
test_exact_split(void)
{
	AmDataset  *d = dataset_new(10, 2, AM_TASK_REGRESSION, 0);
	AmParams	p = {0};
	AmModel    *m;
	TreeEnsemble *e;
	double		out;

	for (int i = 0; i < 10; i++)
	{
		d->x[0][i] = i + 1;
		d->x[1][i] = (i * 7) % 10;	/* noise */
		d->y[i] = i < 4 ? 1.0 : 5.0;
	}
	am_params_set(&p, "max_depth", 1);
	m = fit(d, "tree", &p, 0, 10, 1);
	CHECK(m != NULL);
	e = m->fitted;
	CHECK(e->n_trees == 1 && e->tree_start[1] == 3);
	CHECK(e->nodes[0].feature == 0);
	CHECK(e->nodes[0].u.threshold == 4.5);	/* the midpoint between 4 and 5 */
	{
		double		row[2] = {4.4, 0};

		am_model_predict_row(m, row, &out);
		CHECK(out == 1.0);
		row[0] = 4.6;
		am_model_predict_row(m, row, &out);
		CHECK(out == 5.0);
	}
	/* gbm with one round: leaf = -G / (H + l2) * lr around the mean 3.4 */
	{
		AmParams	q = {0};

		am_params_set(&q, "n_estimators", 1);
		am_params_set(&q, "max_depth", 1);
		am_params_set(&q, "learning_rate", 1);
		am_params_set(&q, "l2", 0);
		m = fit(d, "gbm", &q, 0, 10, 1);
		e = m->fitted;
		CHECK(e->nodes[0].u.threshold == 4.5);
		CHECK_NEAR(e->base[0], 3.4, 1e-12);
		{
			double		row[2] = {1, 0};

			am_model_predict_row(m, row, &out);
			CHECK_NEAR(out, 1.0, 1e-12);
		}
	}
}

static void
test_missing_direction(void)
{
	for (int flip = 0; flip < 2; flip++)
	{
		AmDataset  *d = dataset_new(200, 1, AM_TASK_REGRESSION, 0);
		AmParams	p = {0};
		AmModel    *m;
		double		nan_row = NAN,
					lo_row = -1,
					out;

		for (int i = 0; i < 200; i++)
		{
			d->x[0][i] = i % 3 == 0 ? NAN : (i % 2 ? -1.0 : 1.0);
			/* missing rows behave like the high (flip: low) group */
			d->y[i] = isnan(d->x[0][i]) ? (flip ? 0.0 : 10.0) : (d->x[0][i] > 0 ? 10.0 : 0.0);
		}
		am_params_set(&p, "max_depth", 1);
		m = fit(d, "tree", &p, 0, 200, 1);
		CHECK(m != NULL);
		CHECK(((((TreeEnsemble *) m->fitted)->nodes[0].flags & TREE_MISSING_LEFT) != 0) == (flip == 1));
		am_model_predict_row(m, &nan_row, &out);
		CHECK(out == (flip ? 0.0 : 10.0));
		am_model_predict_row(m, &lo_row, &out);
		CHECK(out == 0.0);
	}
	/* a model trained without missing values sends them to the larger child */
	{
		AmDataset  *d = dataset_new(100, 1, AM_TASK_REGRESSION, 0);
		AmParams	p = {0};
		AmModel    *m;
		double		nan_row = NAN,
					out;

		for (int i = 0; i < 100; i++)
		{
			d->x[0][i] = i;
			d->y[i] = i < 20 ? 0.0 : 3.0;
		}
		am_params_set(&p, "max_depth", 1);
		m = fit(d, "tree", &p, 0, 100, 1);
		am_model_predict_row(m, &nan_row, &out);
		CHECK(out == 3.0);
	}
}

/*
 * 600 rows: a categorical x0 with 7 codes drawn at random, noise x1, and a
 * label that is 1 exactly for codes 1, 3 and 4.
 */
static AmDataset *
three_of_seven_dataset(void)
{
	AmDataset  *d = dataset_new(600, 2, AM_TASK_BINARY, 2);
	AmRng		rng;

	am_rng_seed(&rng, 3);
	make_categorical(d, 0, 7);
	for (int i = 0; i < 600; i++)
	{
		int			c = (int) am_rng_below(&rng, 7);

		d->x[0][i] = c;
		d->x[1][i] = am_rng_normal(&rng);
		d->y[i] = (c == 1 || c == 3 || c == 4);
	}
	return d;
}

static void
test_categorical_split(void)
{
	AmDataset  *d = three_of_seven_dataset();
	AmParams	p = {0};
	AmModel    *m;
	TreeEnsemble *e;

	for (const char *const *fam = (const char *const[]) {"tree", "gbm", NULL}; *fam; fam++)
	{
		am_params_set(&p, "max_depth", 1);
		am_params_set(&p, "max_cat_to_onehot", 0);	/* partitions at any count */
		m = fit(d, *fam, &p, 0, 600, 1);
		CHECK(m != NULL);
		e = m->fitted;
		CHECK(e->nodes[0].flags & TREE_CATEGORICAL);
		CHECK(e->nodes[0].feature == 0);
		{
			uint32_t	set = e->cat_words[e->nodes[0].u.cat.offset];	/* bins = codes here */
			bool		ones_left = (set >> 1) & 1;
			uint32_t	want = ones_left ? 0x1A : (0x7F & ~0x1A);

			CHECK(set == want);
		}
		for (int c = 0; c < 7; c++)
		{
			double		row[2] = {c, 0},
						out;

			am_model_predict_row(m, row, &out);
			CHECK((out > 0.5) == (c == 1 || c == 3 || c == 4));
		}
		memset(&p, 0, sizeof(p));
	}
}

/*
 * Below max_cat_to_onehot categories (the tree families' default: always) a
 * split sends one category left, the one a split on its one-hot column
 * would: the largest Gini decrease, computed here by brute force.
 */
static void
test_one_vs_rest_split(void)
{
	AmDataset  *d = three_of_seven_dataset();
	double		n[7][2] = {{0}},
				total[2] = {0},
				best_gain = -1;
	int			best_code = -1;

	for (int i = 0; i < 600; i++)
	{
		n[(int) d->x[0][i]][(int) d->y[i]]++;
		total[(int) d->y[i]]++;
	}
	for (int c = 0; c < 7; c++)
	{
		double		l = n[c][0] + n[c][1],
					r0 = total[0] - n[c][0],
					r1 = total[1] - n[c][1],
					gain = (n[c][0] * n[c][0] + n[c][1] * n[c][1]) / l +
			(r0 * r0 + r1 * r1) / (r0 + r1);

		if (gain > best_gain)
		{
			best_gain = gain;
			best_code = c;
		}
	}
	for (const char *const *fam = (const char *const[]) {"tree", "forest", "extra_trees", "gbm", NULL};
		 *fam; fam++)
	{
		AmParams	p = {0};
		AmModel    *m;
		TreeEnsemble *e;
		uint32_t	set;

		am_params_set(&p, "max_depth", 1);
		if (strcmp(*fam, "forest") == 0 || strcmp(*fam, "extra_trees") == 0)
		{
			am_params_set(&p, "n_estimators", 5);
			am_params_set(&p, "colsample", 1);
		}
		if (strcmp(*fam, "gbm") == 0)
			am_params_set(&p, "max_cat_to_onehot", 8);	/* default 4: partitions */
		m = fit(d, *fam, &p, 0, 600, 1);
		CHECK(m != NULL);
		e = m->fitted;
		CHECK(e->nodes[0].flags & TREE_CATEGORICAL);
		set = e->cat_words[e->nodes[0].u.cat.offset];
		CHECK(__builtin_popcount(set) == 1);
		/* the extra trees draw their category; the others take the best */
		if (strcmp(*fam, "extra_trees") != 0 && strcmp(*fam, "forest") != 0)
			CHECK(set == 1u << best_code);
	}
}

/* More codes than bins: rare codes share a bin, frequent ones keep theirs. */
static void
test_many_codes(void)
{
	AmDataset  *d = dataset_new(6000, 1, AM_TASK_BINARY, 2);
	AmParams	p = {0};
	AmModel    *m,
			   *m2;
	AmRng		rng;
	AmWriter	w;
	AmErr		err;

	am_rng_seed(&rng, 9);
	make_categorical(d, 0, 401);
	for (int i = 0; i < 6000; i++)
	{
		/* codes 0..149 frequent (~36 rows each), 150..399 rare (~2 rows) */
		int			c = i < 5500 ? (int) am_rng_below(&rng, 150) : 150 + (int) am_rng_below(&rng, 250);

		d->x[0][i] = c;
		d->y[i] = c % 7 == 0;
	}
	am_params_set(&p, "max_depth", 1);
	am_params_set(&p, "n_estimators", 30);
	am_params_set(&p, "learning_rate", 0.5);
	m = fit(d, "gbm", &p, 0, 6000, 1);
	CHECK(m != NULL);
	CHECK(((TreeEnsemble *) m->fitted)->cat_codes[0] == 401);
	for (int c = 0; c < 150; c++)
	{
		double		row = c,
					out;

		am_model_predict_row(m, &row, &out);
		CHECK((out > 0.5) == (c % 7 == 0));
	}
	am_w_init(&w);
	am_model_serialize(m, &w);
	m2 = am_model_deserialize(w.data, w.len, &err);
	CHECK(m2 != NULL);
	for (int c = -1; c < 402 && m2; c++)
	{
		double		row = c,
					a,
					b;

		am_model_predict_row(m, &row, &a);
		am_model_predict_row(m2, &row, &b);
		CHECK(a == b);
	}
}

/* ---------- learning ---------- */

static void
test_learning(void)
{
	struct
	{
		const char *family;
		AmTask		task;
		AmMetric	metric;
		double		need;
	}			cases[] = {
		{"gbm", AM_TASK_REGRESSION, AM_METRIC_R2, 0.97},
		{"gbm", AM_TASK_BINARY, AM_METRIC_ROC_AUC, 0.97},
		{"gbm", AM_TASK_MULTICLASS, AM_METRIC_ACCURACY, 0.92},
		{"forest", AM_TASK_REGRESSION, AM_METRIC_R2, 0.85},
		{"forest", AM_TASK_BINARY, AM_METRIC_ROC_AUC, 0.95},
		{"forest", AM_TASK_MULTICLASS, AM_METRIC_ACCURACY, 0.85},
		{"extra_trees", AM_TASK_REGRESSION, AM_METRIC_R2, 0.85},
		{"extra_trees", AM_TASK_BINARY, AM_METRIC_ROC_AUC, 0.95},
		{"extra_trees", AM_TASK_MULTICLASS, AM_METRIC_ACCURACY, 0.85},
		{"tree", AM_TASK_REGRESSION, AM_METRIC_R2, 0.75},
		{"tree", AM_TASK_BINARY, AM_METRIC_ROC_AUC, 0.85},
		{"tree", AM_TASK_MULTICLASS, AM_METRIC_ACCURACY, 0.80},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		int			k = cases[c].task == AM_TASK_MULTICLASS ? 3 :
			(cases[c].task == AM_TASK_BINARY ? 2 : 0);
		AmDataset  *d = synthetic(4000, cases[c].task, k, 100 + c);
		AmParams	p = {0};
		AmModel    *m;
		double		s;

		if (strcmp(cases[c].family, "tree") == 0)
			am_params_set(&p, "min_samples_leaf", 10);
		m = fit(d, cases[c].family, &p, 0, 3000, 7);
		CHECK(m != NULL);
		if (m == NULL)
			continue;
		s = holdout_score(m, d, 3000, 4000, cases[c].metric);
		if (!(s >= cases[c].need))
			fprintf(stderr, "  %s %s: %s %.4f < %.2f\n", cases[c].family,
					am_task_name(cases[c].task), am_metric_name(cases[c].metric), s,
					cases[c].need);
		CHECK(s >= cases[c].need);
	}
}

static void
test_gbm_options(void)
{
	AmDataset  *d = synthetic(3000, AM_TASK_BINARY, 2, 21);
	AmParams	p = {0};
	AmModel    *m;
	TreeEnsemble *e;

	/* best-first growth honours max_leaves */
	am_params_set(&p, "max_leaves", 7);
	am_params_set(&p, "max_depth", 0);
	am_params_set(&p, "n_estimators", 20);
	m = fit(d, "gbm", &p, 0, 3000, 1);
	e = m->fitted;
	for (int t = 0; t < e->n_trees; t++)
		CHECK(e->tree_start[t + 1] - e->tree_start[t] <= 13);
	CHECK(holdout_score(m, d, 0, 3000, AM_METRIC_ROC_AUC) > 0.95);

	/* early stopping keeps the best round, fewer than asked */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "n_estimators", 2000);
	am_params_set(&p, "learning_rate", 0.3);
	am_params_set(&p, "early_stopping_rounds", 10);
	m = fit(d, "gbm", &p, 0, 3000, 1);
	e = m->fitted;
	CHECK(e->n_trees > 5 && e->n_trees < 500);

	/* subsample, colsample, min_samples_leaf, balanced classes */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "subsample", 0.7);
	am_params_set(&p, "colsample", 0.6);
	am_params_set(&p, "min_samples_leaf", 20);
	am_params_set(&p, "class_weight", TREE_CLASS_WEIGHT_BALANCED);
	m = fit(d, "gbm", &p, 0, 2000, 1);
	CHECK(holdout_score(m, d, 2000, 3000, AM_METRIC_ROC_AUC) > 0.95);

	/* parameter checks */
	{
		AmErr		err;
		const AmFamily *f = am_family_lookup("gbm");

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "max_depth", 0);
		CHECK(!am_family_check_params(f, &p, AM_TASK_BINARY, &err));
		CHECK(strstr(err.msg, "max_depth or max_leaves") != NULL);
		memset(&p, 0, sizeof(p));
		am_params_set(&p, "class_weight", 1);
		CHECK(!am_family_check_params(f, &p, AM_TASK_REGRESSION, &err));
		CHECK(!am_family_check_params(am_family_lookup("forest"), &p, AM_TASK_REGRESSION, &err));
	}
}

static void
test_forest_oob(void)
{
	AmDataset  *d = synthetic(2000, AM_TASK_BINARY, 2, 31);
	AmParams	p = {0};
	AmModel    *m;
	double		oob;

	am_params_set(&p, "n_estimators", 50);
	m = fit(d, "forest", &p, 0, 2000, 1);
	oob = am_forest_oob_score(m->fitted);
	CHECK(oob > 0.8 && oob <= 1.0);
	CHECK(isnan(am_forest_oob_score(fit(d, "extra_trees", &p, 0, 2000, 1)->fitted)));
}

/* Sample weights: a constant feature leaves the weighted mean. */
static void
test_weights(void)
{
	AmDataset  *d = dataset_new(100, 1, AM_TASK_REGRESSION, 0);
	int		   *rows = range_rows(0, 100);
	double	   *w = AM_NEW(double, 100);
	const char *fams[] = {"tree", "gbm"};

	for (int i = 0; i < 100; i++)
	{
		d->x[0][i] = 1.0;
		d->y[i] = i < 50 ? 1.0 : 4.0;
		w[i] = i < 50 ? 3.0 : 1.0;	/* weighted mean (150 + 200) / 200 = 1.75 */
	}
	for (int f = 0; f < 2; f++)
	{
		const AmFamily *fam = am_family_lookup(fams[f]);
		AmModel    *m = AM_NEW0(AmModel, 1);
		AmFitInput	in;
		AmParams	p = {0};
		AmErr		err;
		double		x = 1.0,
					out;

		memset(&in, 0, sizeof(in));
		am_family_complete_params(fam, &p);
		in.task = AM_TASK_REGRESSION;
		in.n = 100;
		in.p = 1;
		in.data = d;
		in.rows = rows;
		in.y = d->y;
		in.w = w;
		in.threads = 1;
		m->fitted = fam->fit(&in, &p, &err);
		CHECK(m->fitted != NULL);
		fam->predict(m->fitted, &x, 1, 1, &out);
		CHECK_NEAR(out, 1.75, 1e-9);
		/* a negative weight is refused */
		w[3] = -1;
		CHECK(fam->fit(&in, &p, &err) == NULL);
		w[3] = 3.0;
	}
}

/* ---------- degenerate inputs ---------- */

static void
test_edge_cases(void)
{
	const char *fams[] = {"tree", "forest", "extra_trees", "gbm"};

	for (int f = 0; f < 4; f++)
	{
		AmParams	p = {0};
		AmDataset  *d = dataset_new(50, 3, AM_TASK_BINARY, 2);
		AmModel    *m;
		AmErr		err;
		double		out,
					row[3] = {NAN, NAN, 1};

		make_categorical(d, 2, 300);
		for (int i = 0; i < 50; i++)
		{
			d->x[0][i] = NAN;	/* all missing */
			d->x[1][i] = 7;		/* constant */
			d->x[2][i] = (i * 37) % 300;	/* many codes */
			d->y[i] = 1;		/* one class present */
		}
		am_params_set(&p, "n_estimators", 3);
		m = fit(d, fams[f], &p, 0, 50, 1);
		CHECK(m != NULL);
		am_model_predict_row(m, row, &out);
		CHECK(out >= 0.5 && out <= 1.0);
		/* one row */
		m = fit(d, fams[f], &p, 0, 1, 1);
		CHECK(m != NULL);
		/* a bad label is an error, not a crash */
		d->y[3] = 5;
		CHECK(fit_rows(d, am_family_lookup(fams[f]), &p, range_rows(0, 50), 50, 1, &err) == NULL);
		CHECK(strstr(err.msg, "class index") != NULL);
	}
}

/* ---------- serialization ---------- */

/*
 * Flip bits of every step-th byte of m's family payload (bits 0, bit_step,
 * ...; with bit_step 8 the one bit the byte's index picks): payloads that
 * still parse must score safely, in a block and one row at a time.  Returns
 * how many parsed.  x holds n rows by column.
 */
static int
flipped_payloads_score_safely(AmModel *m, const AmDataset *d, const double *x, int n,
							  size_t step, int bit_step)
{
	int			p = d->n_features,
				outs = am_task_outputs(d->task, d->n_classes),
				accepted = 0;
	double	   *out = AM_NEW(double, (size_t) n * outs);
	AmWriter	fw;
	uint8_t    *copy;
	AmErr		err;

	am_w_init(&fw);
	m->family->serialize(m->fitted, &fw);
	copy = malloc(fw.len);
	for (size_t i = 0; i < fw.len; i += step)
		for (int bit = bit_step >= 8 ? (int) (i % 8) : 0; bit < 8; bit += bit_step)
		{
			AmReader	r;
			void	   *fm;

			memcpy(copy, fw.data, fw.len);
			copy[i] ^= (uint8_t) (1u << bit);
			am_r_init(&r, copy, fw.len);
			fm = m->family->deserialize(&r, p, d->task, d->n_classes, &err);
			if (fm == NULL)
				continue;
			accepted++;
			m->family->predict(fm, x, n, n < 20 ? n : 20, out);
			for (int k = 0; k < n; k += 37)
			{
				double		row[64];

				for (int j = 0; j < p; j++)
					row[j] = x[(size_t) j * n + k];
				m->family->predict(fm, row, 1, 1, out);
			}
		}
	free(copy);
	free(out);
	return accepted;
}

static void
check_roundtrip(AmModel *m, const AmDataset *d)
{
	int			n = 300,
				outs = am_task_outputs(d->task, d->n_classes);
	AmWriter	w;
	AmErr		err;
	AmModel    *m2;
	double	   *x = columns(d, 0, n);
	double	   *a = AM_NEW(double, (size_t) n * outs),
			   *b = AM_NEW(double, (size_t) n * outs);

	am_w_init(&w);
	am_model_serialize(m, &w);
	m2 = am_model_deserialize(w.data, w.len, &err);
	CHECK(m2 != NULL);
	if (m2 == NULL)
	{
		fprintf(stderr, "  deserialize: %s\n", err.msg);
		return;
	}
	am_model_predict(m, x, n, n, a);
	am_model_predict(m2, x, n, n, b);
	CHECK(memcmp(a, b, sizeof(double) * n * outs) == 0);

	/* the family payload alone: every byte flipped, every truncation */
	{
		AmWriter	fw;
		int			p = d->n_features;
		int			accepted = flipped_payloads_score_safely(m, d, x, n, 1, 3);

		am_w_init(&fw);
		m->family->serialize(m->fitted, &fw);
		for (size_t len = 0; len < fw.len; len += 1 + fw.len / 300)
		{
			AmReader	r;

			am_r_init(&r, fw.data, len);
			if (m->family->deserialize(&r, p, d->task, d->n_classes, &err) != NULL &&
				am_r_remaining(&r) == 0)
				accepted += 1000000;	/* a truncation must never parse completely */
		}
		CHECK(accepted < 1000000);
	}
	/* the container rejects every corruption (checksum) */
	{
		uint8_t    *copy = malloc(w.len);
		int			accepted = 0;

		for (size_t i = 0; i < w.len; i += 1 + w.len / 500)
		{
			memcpy(copy, w.data, w.len);
			copy[i] ^= 0x5A;
			if (am_model_deserialize(copy, w.len, &err) != NULL)
				accepted++;
		}
		CHECK(accepted == 0);
		free(copy);
	}
	/* schema mismatch is refused */
	{
		AmWriter	fw;
		AmReader	r;

		am_w_init(&fw);
		m->family->serialize(m->fitted, &fw);
		am_r_init(&r, fw.data, fw.len);
		CHECK(m->family->deserialize(&r, d->n_features + 1, d->task, d->n_classes, &err) == NULL);
		CHECK(err.kind == AM_ERR_CORRUPT);
	}
	free(x);
	free(a);
	free(b);
}

static void
test_serialization(void)
{
	const char *fams[] = {"tree", "forest", "extra_trees", "gbm"};
	AmTask		tasks[] = {AM_TASK_REGRESSION, AM_TASK_BINARY, AM_TASK_MULTICLASS};

	for (int f = 0; f < 4; f++)
		for (int t = 0; t < 3; t++)
		{
			int			k = tasks[t] == AM_TASK_MULTICLASS ? 3 : (tasks[t] == AM_TASK_BINARY ? 2 : 0);
			AmDataset  *d = synthetic(600, tasks[t], k, 40 + f * 3 + t);
			AmParams	p = {0};
			AmModel    *m;

			am_params_set(&p, "n_estimators", 4);
			am_params_set(&p, "max_depth", 4);
			m = fit(d, fams[f], &p, 0, 600, 1);
			CHECK(m != NULL);
			if (m)
				check_roundtrip(m, d);
		}
}

/*
 * A loaded shallow numeric ensemble scores single rows from complete trees:
 * exactly what the blocked path gives, for rows with and without missing
 * values, every depth up to TREE_COMPLETE_MAX_DEPTH and every combine/output.
 */
static void
test_single_rows(void)
{
	const char *fams[] = {"tree", "forest", "gbm"};
	AmTask		tasks[] = {AM_TASK_REGRESSION, AM_TASK_BINARY, AM_TASK_MULTICLASS};
	int			n = 400,
				completes = 0;

	for (int f = 0; f < 3; f++)
		for (int t = 0; t < 3; t++)
			for (int depth = 1; depth <= TREE_COMPLETE_MAX_DEPTH + 1; depth += 2)
			{
				int			k = tasks[t] == AM_TASK_MULTICLASS ? 3 : (tasks[t] == AM_TASK_BINARY ? 2 : 0);
				int			outs = am_task_outputs(tasks[t], k);
				AmDataset  *d = synthetic(1200, tasks[t], k, 70 + f * 3 + t);
				AmParams	p = {0};
				AmModel    *m;
				TreeEnsemble *e;
				double	   *x,
						   *a,
						   *b;

				/* the code column as a plain number: no categorical split */
				d->categorical[5] = false;
				d->n_codes[5] = 0;
				am_params_set(&p, "n_estimators", 13);	/* a partial group of eight */
				am_params_set(&p, "max_depth", depth);
				m = fit(d, fams[f], &p, 0, 800, 3);
				CHECK(m != NULL);
				if (m == NULL)
					continue;
				e = m->fitted;
				tree_ensemble_build_complete(e);
				CHECK((e->complete != NULL) == (e->max_depth <= TREE_COMPLETE_MAX_DEPTH));
				completes += e->complete != NULL;
				x = columns(d, 800, 800 + n);
				a = AM_NEW(double, (size_t) n * outs);
				b = AM_NEW(double, (size_t) n * outs);
				am_model_predict(m, x, n, n, a);
				for (int i = 0; i < n; i++)
				{
					double		row[6];

					for (int j = 0; j < d->n_features; j++)
						row[j] = x[(size_t) j * n + i];
					am_model_predict_row(m, row, b + (size_t) i * outs);
				}
				CHECK(memcmp(a, b, sizeof(double) * n * outs) == 0);
				if (depth == 5)
					/* flipped threshold bits parse: the complete trees are walked */
					CHECK(flipped_payloads_score_safely(m, d, x, n, 11, 8) > 0);
				free(x);
				free(a);
				free(b);
			}
	CHECK(completes >= 3 * 3 * 3);
}

/* ---------- explanations ---------- */

/* Path-dependent value of a feature subset (bit mask), for brute force. */
static double
subset_value(const TreeEnsemble *e, int tree, int node, const double *x, unsigned mask, int c)
{
	const TreeNode *nodes = e->nodes + e->tree_start[tree];
	const double *cover = e->cover + e->tree_start[tree];
	const TreeNode *nd = &nodes[node];
	int			f,
				l;

	if (nd->flags & TREE_LEAF)
		return e->value[(size_t) (e->tree_start[tree] + node) * e->leaf_dim + c];
	f = nd->feature;
	if (mask & (1u << f))
		return subset_value(e, tree, tree_step(e, nd, x[f]), x, mask, c);
	l = nd->left;
	return (cover[l] * subset_value(e, tree, l, x, mask, c) +
			cover[l + 1] * subset_value(e, tree, l + 1, x, mask, c)) / cover[node];
}

static double
factorial(int k)
{
	return k <= 1 ? 1.0 : k * factorial(k - 1);
}

static void
check_shap(AmModel *m, const AmDataset *d, bool brute)
{
	const TreeEnsemble *e = m->fitted;
	int			p = d->n_features,
				K = e->n_outputs;
	double	   *phi = AM_NEW(double, (size_t) (p + 1) * K);
	double	   *margin = AM_NEW(double, K);
	double		worst = 0;

	for (int i = 0; i < 20; i++)
	{
		double		row[16];

		for (int j = 0; j < p; j++)
			row[j] = d->x[j][i];
		CHECK(m->family->contributions(e, row, phi));
		tree_ensemble_margins(e, row, 1, 1, margin);
		for (int c = 0; c < K; c++)
		{
			double		sum = 0;

			for (int j = 0; j <= p; j++)
				sum += phi[(size_t) j * K + c];
			worst = fmax(worst, fabs(sum - margin[c]) / fmax(1.0, fabs(margin[c])));
		}
		if (brute && i < 3)
		{
			/* exact Shapley values of the path-dependent game */
			for (int j = 0; j < p; j++)
				for (int c = 0; c < K; c++)
				{
					double		s = 0;

					for (unsigned mask = 0; mask < (1u << p); mask++)
					{
						int			size = __builtin_popcount(mask);
						double		wgt;

						if (mask & (1u << j))
							continue;
						wgt = factorial(size) * factorial(p - size - 1) / factorial(p);
						for (int t = 0; t < e->n_trees; t++)
						{
							double		sc = e->combine == TREE_COMBINE_MEAN ? 1.0 / e->n_trees : 1.0;

							if (e->combine == TREE_COMBINE_SUM && e->tree_output[t] != c)
								continue;
							s += wgt * sc * (subset_value(e, t, 0, row, mask | (1u << j), e->combine == TREE_COMBINE_SUM ? 0 : c) -
											 subset_value(e, t, 0, row, mask, e->combine == TREE_COMBINE_SUM ? 0 : c));
						}
					}
					CHECK_NEAR(phi[(size_t) j * K + c], s, 1e-9 * fmax(1.0, fabs(s)));
				}
		}
	}
	CHECK(worst < 1e-9);
	free(phi);
	free(margin);
}

static void
test_shap(void)
{
	const char *fams[] = {"gbm", "forest", "tree", "extra_trees"};
	AmTask		tasks[] = {AM_TASK_REGRESSION, AM_TASK_BINARY, AM_TASK_MULTICLASS};

	for (int f = 0; f < 4; f++)
		for (int t = 0; t < 3; t++)
		{
			int			k = tasks[t] == AM_TASK_MULTICLASS ? 3 : (tasks[t] == AM_TASK_BINARY ? 2 : 0);
			AmDataset  *d = synthetic(800, tasks[t], k, 60 + t);
			AmParams	p = {0};
			AmModel    *m;

			am_params_set(&p, "n_estimators", 10);
			am_params_set(&p, "max_depth", 6);
			m = fit(d, fams[f], &p, 0, 800, 1);
			check_shap(m, d, f < 2);
		}
}

/*
 * An ensemble's contributions add up to its own margin even when members
 * are sure of a row (probabilities clamped near 0 or 1 in the average).
 */
static void
test_ensemble_shap(void)
{
	AmTask		tasks[] = {AM_TASK_BINARY, AM_TASK_MULTICLASS};

	for (int t = 0; t < 2; t++)
	{
		int			k = tasks[t] == AM_TASK_MULTICLASS ? 3 : 2;
		AmDataset  *d = synthetic(600, tasks[t], k, 90 + t);
		AmParams	p = {0};
		AmModel    *members[2];
		double		weights[2] = {2, 1};
		AmModel    *e;
		double	   *phi = AM_NEW(double, ((size_t) d->n_features + 1) * k);
		double	   *row = AM_NEW(double, d->n_features);
		double		prob[3],
					worst = 0.0;
		int			sure = 0;

		am_params_set(&p, "n_estimators", 200);
		am_params_set(&p, "learning_rate", 1.0);
		am_params_set(&p, "max_depth", 6);
		am_params_set(&p, "l2", 0);
		am_params_set(&p, "min_child_weight", 0);
		members[0] = fit(d, "gbm", &p, 0, 600, 1);
		members[1] = fit(d, "tree", &p, 0, 600, 1);
		e = am_ensemble_model(members[0]->schema, members, weights, 2);
		for (int i = 0; i < 600; i++)
		{
			int			outs = am_task_outputs(d->task, k);
			double		margin[3],
						mx = -INFINITY,
						se = 0.0;

			for (int j = 0; j < d->n_features; j++)
				row[j] = d->x[j][i];
			am_model_predict_row(members[0], row, prob);
			for (int c = 0; c < outs; c++)
				sure += prob[c] < 1e-15 || prob[c] > 1 - 1e-15;
			am_model_predict_row(e, row, prob);
			CHECK(am_model_contributions(e, row, phi));
			for (int c = 0; c < outs; c++)
			{
				margin[c] = 0.0;
				for (int j = 0; j <= d->n_features; j++)
					margin[c] += phi[(size_t) j * outs + c];
				mx = fmax(mx, margin[c]);
			}
			if (outs == 1)
			{
				worst = fmax(worst, fabs(1.0 / (1.0 + exp(-margin[0])) - prob[0]));
				continue;
			}
			for (int c = 0; c < outs; c++)
				se += exp(margin[c] - mx);
			for (int c = 0; c < outs; c++)
				worst = fmax(worst, fabs(exp(margin[c] - mx) / se - prob[c]));
		}
		CHECK(sure > 0);		/* a member clamped: the case this test is about */
		CHECK(worst < 1e-12);
		free(phi);
		free(row);
	}
}

static void
test_importance(void)
{
	AmDataset  *d = synthetic(3000, AM_TASK_REGRESSION, 0, 71);
	AmParams	p = {0};
	AmModel    *m = fit(d, "gbm", &p, 0, 3000, 1);
	const TreeEnsemble *e = m->fitted;
	double		gain[6],
				splits[6],
				total = 0;
	int			n_splits = 0;

	CHECK(m->family->importance(e, AM_IMPORTANCE_GAIN, gain));
	CHECK(m->family->importance(e, AM_IMPORTANCE_SPLITS, splits));
	for (int j = 0; j < 6; j++)
		total += splits[j];
	for (int i = 0; i < e->n_nodes; i++)
		n_splits += !(e->nodes[i].flags & TREE_LEAF);
	CHECK(total == n_splits);
	/* x0 and x1 carry most of the signal, x3 none */
	CHECK(gain[0] > gain[3] * 10 && gain[1] > gain[3] * 10);
	CHECK(gain[3] >= 0);
}

/*
 * keep_final_rows: a level of final leaves left unpartitioned grows the same
 * tree, and each kept row's side of its parent's split is the leaf the
 * partitioned tree put it in, in the same order.
 */
static void
test_final_rows(void)
{
	int			n = 20000;
	AmDataset  *d = synthetic(n, AM_TASK_REGRESSION, 0, 23);
	AmErr		err;
	TreeBinned *b = tree_prepare(d, &err);
	int		   *all = range_rows(0, n);
	TreeMatrix *m = tree_matrix_build(b, all, n, 255);
	double	   *gh = AM_NEW(double, 2 * n);
	AmPool	   *pool = am_pool_create(1);
	int			leaves[] = {0, 12};

	for (int i = 0; i < n; i++)
	{
		gh[2 * i] = -d->y[i];
		gh[2 * i + 1] = 1.0;
	}
	for (size_t c = 0; c < sizeof(leaves) / sizeof(leaves[0]); c++)
	{
		TreeGrowConfig cfg = {0};
		TreeGrowInput in = {0};
		const GrowTree *t;
		GrowNode   *split_nodes;
		int32_t    *split_idx;
		int			n_nodes,
					kept = 0;

		cfg.mode = TREE_STATS_GH;
		cfg.max_depth = 4;
		cfg.max_leaves = leaves[c];
		cfg.min_samples_leaf = 1;
		cfg.min_child_weight = 1;
		cfg.l2 = 1;
		cfg.subtraction = true;
		cfg.cat_smooth = 10;
		cfg.hess_is_count = true;
		in.rows = all;
		in.n_rows = n;
		in.gh = gh;

		/* partitioned down to the leaves: the reference */
		t = tree_grow(tree_grower_create(m, &cfg, pool, n, 0), &in);
		n_nodes = t->n_nodes;
		split_nodes = AM_NEW(GrowNode, n_nodes);
		split_idx = AM_NEW(int32_t, n);
		memcpy(split_nodes, t->nodes, sizeof(GrowNode) * n_nodes);
		memcpy(split_idx, t->idx, sizeof(int32_t) * n);

		cfg.keep_final_rows = true;
		t = tree_grow(tree_grower_create(m, &cfg, pool, n, 0), &in);
		CHECK(t->n_nodes == n_nodes);
		for (int i = 0; i < n_nodes && t->n_nodes == n_nodes; i++)
		{
			const GrowNode *x = &t->nodes[i],
					   *ref = &split_nodes[i];

			CHECK(x->left == ref->left && x->depth == ref->depth);
			if (x->left < 0)
				continue;
			CHECK(x->split.feature == ref->split.feature && x->split.bin == ref->split.bin &&
				  x->split.missing_left == ref->split.missing_left);
			CHECK(x->begin == ref->begin && x->count == ref->count);
			CHECK(x->rows_kept == (x->depth + 1 == cfg.max_depth));
			if (!x->rows_kept)
				continue;
			kept++;
			CHECK(t->nodes[x->left].count == 0 && t->nodes[x->left + 1].count == 0);
			/* lefts in order, then rights in order: the partitioned leaves */
			{
				const GrowNode *L = &split_nodes[ref->left],
						   *R = &split_nodes[ref->left + 1];
				int			nl = 0,
							nr = 0,
							bad = 0;

				for (int k = x->begin; k < x->begin + x->count; k++)
				{
					int			r = t->idx[k],
								miss = m->features[x->split.feature].n_bins;
					bool		left = grow_split_goes_left(&x->split,
														m->cols[(size_t) x->split.feature * m->n + r],
														miss);

					if (left)
						bad += nl >= L->count || split_idx[L->begin + nl++] != r;
					else
						bad += nr >= R->count || split_idx[R->begin + nr++] != r;
					bad += grow_tree_leaf(t, m, r) != x->left + !left;
				}
				CHECK(bad == 0 && nl == L->count && nr == R->count);
			}
		}
		CHECK(kept > 0);
	}
}

/* ---------- threads ---------- */

/* One and two threads grow the same model, for every family and task. */
static void
test_threads(void)
{
	struct
	{
		const char *family;
		AmTask		task;
		int			rounds;
	}			cases[] = {
		{"gbm", AM_TASK_MULTICLASS, 20},	/* a thread per class tree */
		{"gbm", AM_TASK_BINARY, 20},	/* threads share each tree */
		{"gbm", AM_TASK_REGRESSION, 20},
		{"forest", AM_TASK_MULTICLASS, 4},
		{"extra_trees", AM_TASK_REGRESSION, 4},
		{"tree", AM_TASK_BINARY, 1},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		int			k = cases[c].task == AM_TASK_MULTICLASS ? 3 :
			(cases[c].task == AM_TASK_BINARY ? 2 : 0);
		int			outs = k == 3 ? 3 : 1;
		AmDataset  *d = synthetic(30000, cases[c].task, k, 81 + c);
		AmParams	p = {0};
		AmModel    *m1,
				   *m2;
		double	   *x = columns(d, 0, 2000);
		double	   *a = AM_NEW(double, 2000 * outs),
				   *b = AM_NEW(double, 2000 * outs);

		am_params_set(&p, "n_estimators", cases[c].rounds);
		am_params_set(&p, "subsample", 0.8);
		fit_threads = 1;
		m1 = fit(d, cases[c].family, &p, 0, 30000, 5);
		fit_threads = 2;
		m2 = fit(d, cases[c].family, &p, 0, 30000, 5);
		fit_threads = 1;
		am_model_predict(m1, x, 2000, 2000, a);
		am_model_predict(m2, x, 2000, 2000, b);
		if (memcmp(a, b, sizeof(double) * 2000 * outs) != 0)
			fprintf(stderr, "  %s %s differs with two threads\n", cases[c].family,
					am_task_name(cases[c].task));
		CHECK(memcmp(a, b, sizeof(double) * 2000 * outs) == 0);
		/* scoring many rows on the pool gives what one thread gives */
		am_test_threads = 2;
		am_model_predict(m1, x, 2000, 2000, b);
		am_test_threads = 1;
		CHECK(memcmp(a, b, sizeof(double) * 2000 * outs) == 0);
		free(x);
		free(a);
		free(b);
	}
}

int
main(void)
{
	RUN(test_bins);
	RUN(test_bins_sampled);
	RUN(test_bins_threads);
	RUN(test_hist);
	RUN(test_exact_split);
	RUN(test_missing_direction);
	RUN(test_categorical_split);
	RUN(test_one_vs_rest_split);
	RUN(test_many_codes);
	RUN(test_learning);
	RUN(test_gbm_options);
	RUN(test_forest_oob);
	RUN(test_weights);
	RUN(test_edge_cases);
	RUN(test_serialization);
	RUN(test_single_rows);
	RUN(test_shap);
	RUN(test_ensemble_shap);
	RUN(test_importance);
	RUN(test_final_rows);
	RUN(test_threads);
	return unit_report("test_trees");
}
