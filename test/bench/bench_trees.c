/*
 * bench_trees.c
 *	  Benchmark of the gbm family (or another tree family) outside the
 *	  server: load a CSV, seeded 80/20 split, train with fixed parameters,
 *	  print train seconds, holdout scores and predict time per row.  The
 *	  test-row indices are written to a split file so bench_trees_xgb.py
 *	  scores XGBoost on exactly the same rows.
 *
 * Build (from the repository root; the unit tests' sources, UNIT_SRCS of
 * the Makefile, with the flags the extension is built with):
 *
 *	  gcc -std=gnu11 $(pg_config --cflags) -Isrc -Itest/unit -o /tmp/bench_trees \
 *	      test/bench/bench_trees.c \
 *	      $(make -s --no-print-directory --eval 'srcs: ; @echo $(UNIT_SRCS)' srcs) \
 *	      -llapacke -lopenblas -lm -lpthread
 *
 * Usage:
 *	  bench_trees DATA.csv TARGET [--threads 2] [--family gbm] [--trees 200]
 *	      [--depth 6] [--lr 0.1] [--bins 255] [--leaves 0] [--task auto]
 *	      [--seed 42] [--runs 3] [--split FILE] [--predict 1] [--dump FILE]
 *	  bench_trees --generate N OUT.csv     deterministic N x 10 binary table
 *
 * TARGET is a column name; a text target (or --task regression) is a class
 * label, sorted labels giving class indices as in the extension.  Train
 * seconds are prepare() (binning) plus fit; predict time is the best of 5
 * timings of the whole test set in one call (batch) and of single rows.
 *
 * The comparison with XGBoost 1.7 (2 threads, 200 trees, depth 6, learning
 * rate 0.1, 255 bins):
 *
 *	  S=../shared/datasets/csv/shuttle.csv
 *	  bench_trees $S class --threads 2 --split /tmp/shuttle.split
 *	  /usr/bin/python3 test/bench/bench_trees_xgb.py $S class --threads 2 \
 *	      --split /tmp/shuttle.split
 *	  bench_trees --generate 1000000 /tmp/gen1m.csv
 *	  bench_trees /tmp/gen1m.csv y --threads 2
 *	  /usr/bin/python3 test/bench/bench_trees_xgb.py /tmp/gen1m.csv y --threads 2
 *
 * (without --split the split file is DATA.csv.split, next to the CSV).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "model.h"
#include "rng.h"
#include "tree.h"

typedef struct Table
{
	int			n_rows;
	int			n_cols;
	char	  **names;
	double	  **num;			/* per column, NaN when not a number */
	char	 ***text;			/* per column, the raw cells */
} Table;

/* ---------- CSV ---------- */

static char *
unquote(char *s)
{
	size_t		n;

	while (isspace((unsigned char) *s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		s[--n] = '\0';
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
	{
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static int
split_line(char *line, char **cells, int max)
{
	int			n = 0;
	bool		quoted = false;
	char	   *start = line;

	for (char *c = line;; c++)
	{
		if (*c == '"')
			quoted = !quoted;
		if ((*c == ',' && !quoted) || *c == '\0' || *c == '\n' || *c == '\r')
		{
			bool		end = *c != ',';

			*c = '\0';
			if (n < max)
				cells[n++] = unquote(start);
			start = c + 1;
			if (end)
				break;
		}
	}
	return n;
}

static Table *
read_csv(const char *path)
{
	FILE	   *f = fopen(path, "r");
	Table	   *t = calloc(1, sizeof(Table));
	char	   *line = NULL;
	size_t		cap = 0;
	char	   *cells[1024];
	int			cap_rows = 1024;

	if (f == NULL || getline(&line, &cap, f) < 0)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	t->n_cols = split_line(line, cells, 1024);
	t->names = malloc(sizeof(char *) * t->n_cols);
	t->num = malloc(sizeof(double *) * t->n_cols);
	t->text = malloc(sizeof(char **) * t->n_cols);
	for (int j = 0; j < t->n_cols; j++)
	{
		t->names[j] = strdup(cells[j]);
		t->num[j] = malloc(sizeof(double) * cap_rows);
		t->text[j] = malloc(sizeof(char *) * cap_rows);
	}
	while (getline(&line, &cap, f) >= 0)
	{
		int			n = split_line(line, cells, 1024);

		if (n < t->n_cols)
			continue;
		if (t->n_rows == cap_rows)
		{
			cap_rows *= 2;
			for (int j = 0; j < t->n_cols; j++)
			{
				t->num[j] = realloc(t->num[j], sizeof(double) * cap_rows);
				t->text[j] = realloc(t->text[j], sizeof(char *) * cap_rows);
			}
		}
		for (int j = 0; j < t->n_cols; j++)
		{
			char	   *end;
			double		v = strtod(cells[j], &end);

			t->num[j][t->n_rows] = (end == cells[j] || *end != '\0') ? NAN : v;
			t->text[j][t->n_rows] = strdup(cells[j]);
		}
		t->n_rows++;
	}
	fclose(f);
	return t;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Dataset of every column but the target; class labels sorted. */
static AmDataset *
to_dataset(const Table *t, int target, AmTask *task)
{
	AmDataset  *d = AM_NEW0(AmDataset, 1);
	int			n = t->n_rows,
				j2 = 0;
	bool		text = false;

	for (int i = 0; i < n; i++)
		if (isnan(t->num[target][i]))
			text = true;
	d->n_rows = n;
	d->n_features = t->n_cols - 1;
	d->x = AM_NEW(double *, d->n_features);
	d->categorical = AM_NEW0(bool, d->n_features);
	d->n_codes = AM_NEW0(int, d->n_features);
	d->y = AM_NEW(double, n);
	for (int j = 0; j < t->n_cols; j++)
		if (j != target)
			d->x[j2++] = t->num[j];
	if (*task == AM_TASK_REGRESSION && !text)
	{
		memcpy(d->y, t->num[target], sizeof(double) * n);
		d->task = AM_TASK_REGRESSION;
		return d;
	}
	{
		char	  **labels = malloc(sizeof(char *) * n);
		int			k = 0;

		memcpy(labels, t->text[target], sizeof(char *) * n);
		qsort(labels, n, sizeof(char *), cmp_str);
		for (int i = 0; i < n; i++)
			if (k == 0 || strcmp(labels[i], labels[k - 1]) != 0)
				labels[k++] = labels[i];
		for (int i = 0; i < n; i++)
		{
			char	  **hit = bsearch(&t->text[target][i], labels, k, sizeof(char *), cmp_str);

			d->y[i] = (double) (hit - labels);
		}
		d->n_classes = k;
		d->task = k == 2 ? AM_TASK_BINARY : AM_TASK_MULTICLASS;
		*task = d->task;
	}
	return d;
}

static AmSchema *
schema_for(const AmDataset *d, const Table *t, int target)
{
	AmSchema   *s = AM_NEW0(AmSchema, 1);
	int			j2 = 0;

	s->n_columns = d->n_features;
	s->columns = AM_NEW0(AmSourceColumn, d->n_features);
	s->n_features = d->n_features;
	s->features = AM_NEW0(AmFeature, d->n_features);
	for (int j = 0; j < t->n_cols; j++)
	{
		if (j == target)
			continue;
		s->columns[j2].name = t->names[j];
		s->columns[j2].type_name = "float8";
		s->features[j2].name = t->names[j];
		s->features[j2].source = j2;
		j2++;
	}
	s->target = t->names[target];
	s->target_type = "text";
	s->task = d->task;
	s->n_classes = d->n_classes;
	s->classes = AM_NEW0(char *, d->n_classes > 0 ? d->n_classes : 1);
	for (int k = 0; k < d->n_classes; k++)
		s->classes[k] = "c";
	return s;
}

/* Fit a raw-encoding family on some rows into a complete model. */
static AmModel *
fit_rows(const AmDataset *d, AmSchema *s, const AmFamily *f, const AmParams *p,
		 const int *rows, int n, void *prepared, uint64_t seed, int threads, AmErr *err)
{
	AmModel    *m = AM_NEW0(AmModel, 1);
	AmFitInput	in;
	double	   *y = AM_NEW(double, n);

	for (int i = 0; i < n; i++)
		y[i] = d->y[rows[i]];
	memset(&in, 0, sizeof(in));
	m->schema = s;
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
	in.prepared = prepared;
	in.seed = seed;
	in.threads = threads;
	m->fitted = f->fit(&in, &m->params, err);
	return m->fitted ? m : NULL;
}

/* ---------- generated data ---------- */

static void
generate(long n, const char *path)
{
	FILE	   *f = fopen(path, "w");
	AmRng		rng;

	am_rng_seed(&rng, 20240601);
	fprintf(f, "x0,x1,x2,x3,x4,x5,x6,x7,x8,x9,y\n");
	for (long i = 0; i < n; i++)
	{
		double		x[10],
					z;

		for (int j = 0; j < 10; j++)
			x[j] = am_rng_normal(&rng);
		x[6] = floor(x[6] * 3);	/* a few levels */
		x[9] = am_rng_uniform(&rng) * 100;
		z = 1.2 * x[0] - 0.8 * x[1] * x[1] + 0.6 * x[2] * x[3] + (x[4] > 0.5 ? 1.0 : -0.5) +
			0.3 * x[6] + sin(x[9] / 10) + 0.5 * fabs(x[5]) + 0.7 * am_rng_normal(&rng);
		if (am_rng_uniform(&rng) < 0.05)
			x[7] = NAN;			/* missing values */
		if (am_rng_uniform(&rng) < 0.05)
			x[2] = NAN;
		for (int j = 0; j < 10; j++)
		{
			if (isnan(x[j]))
				fprintf(f, ",");
			else
				fprintf(f, "%.6g,", x[j]);
		}
		fprintf(f, "%d\n", z > 0.3);
	}
	fclose(f);
}

/* ---------- benchmark ---------- */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return (x > y) - (x < y);
}

static const char *
arg(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

int
main(int argc, char **argv)
{
	Table	   *t;
	AmDataset  *d;
	AmSchema   *s;
	AmTask		task = AM_TASK_REGRESSION;
	const char *task_arg,
			   *family,
			   *split_path;
	int			target = -1,
				threads,
				runs,
				n_train,
				n_test,
				outs;
	int		   *perm;
	double	   *train_sec,
			   *xtest,
			   *pred;
	AmParams	p = {0};
	AmModel    *m = NULL;
	uint64_t	seed;
	char		default_split[4096];

	if (argc >= 4 && strcmp(argv[1], "--generate") == 0)
	{
		generate(atol(argv[2]), argv[3]);
		return 0;
	}
	if (argc < 3)
	{
		fprintf(stderr, "usage: %s DATA.csv TARGET [options] | --generate N OUT.csv\n", argv[0]);
		return 2;
	}
	threads = atoi(arg(argc, argv, "--threads", "2"));
	family = arg(argc, argv, "--family", "gbm");
	task_arg = arg(argc, argv, "--task", "auto");
	runs = atoi(arg(argc, argv, "--runs", "3"));
	seed = strtoull(arg(argc, argv, "--seed", "42"), NULL, 10);
	snprintf(default_split, sizeof(default_split), "%s.split", argv[1]);
	split_path = arg(argc, argv, "--split", default_split);

	t = read_csv(argv[1]);
	for (int j = 0; j < t->n_cols; j++)
		if (strcmp(t->names[j], argv[2]) == 0)
			target = j;
	if (target < 0)
	{
		fprintf(stderr, "no column %s\n", argv[2]);
		return 2;
	}
	if (strcmp(task_arg, "regression") != 0)
		task = AM_TASK_BINARY;	/* classification unless asked */
	d = to_dataset(t, target, &task);
	s = schema_for(d, t, target);
	outs = am_task_outputs(d->task, d->n_classes);

	/* seeded 80/20 split; the test rows go to the split file */
	perm = AM_NEW(int, d->n_rows);
	for (int i = 0; i < d->n_rows; i++)
		perm[i] = i;
	{
		AmRng		rng;
		FILE	   *f;

		am_rng_seed(&rng, seed);
		am_rng_shuffle(&rng, perm, d->n_rows);
		n_train = (int) (0.8 * d->n_rows);
		n_test = d->n_rows - n_train;
		qsort(perm, n_train, sizeof(int), cmp_int);
		f = fopen(split_path, "w");
		for (int i = n_train; i < d->n_rows; i++)
			fprintf(f, "%d\n", perm[i]);
		fclose(f);
	}

	am_params_set(&p, "n_estimators", atof(arg(argc, argv, "--trees", "200")));
	am_params_set(&p, "max_depth", atof(arg(argc, argv, "--depth", "6")));
	am_params_set(&p, "learning_rate", atof(arg(argc, argv, "--lr", "0.1")));
	am_params_set(&p, "max_bins", atof(arg(argc, argv, "--bins", "255")));
	if (strcmp(family, "gbm") == 0)
		am_params_set(&p, "max_leaves", atof(arg(argc, argv, "--leaves", "0")));
	{
		const AmFamily *f = am_family_lookup(family);
		AmParams	q = {0};
		AmErr		err;

		for (int i = 0; i < p.n; i++)
			if (am_family_param(f, p.v[i].name))
				am_params_set(&q, p.v[i].name, p.v[i].value);
		if (!am_family_check_params(f, &q, d->task, &err))
		{
			fprintf(stderr, "%s\n", err.msg);
			return 2;
		}
		train_sec = AM_NEW(double, runs);
		for (int r = 0; r < runs; r++)
		{
			double		t0 = am_now();
			void	   *prepared = f->prepare(d, &err);

			m = fit_rows(d, s, f, &q, perm, n_train, prepared, seed, threads, &err);
			train_sec[r] = am_now() - t0;
			if (m == NULL)
			{
				fprintf(stderr, "fit failed: %s\n", err.msg);
				return 1;
			}
		}
	}

	/* holdout scores and predict time */
	xtest = AM_NEW(double, (size_t) n_test * d->n_features);
	pred = AM_NEW(double, (size_t) n_test * outs);
	{
		double	   *ytest = AM_NEW(double, n_test);
		double		t0,
					batch_us,
					row_us;
		int			reps = 0;

		for (int j = 0; j < d->n_features; j++)
			for (int i = 0; i < n_test; i++)
				xtest[(size_t) j * n_test + i] = d->x[j][perm[n_train + i]];
		for (int i = 0; i < n_test; i++)
			ytest[i] = d->y[perm[n_train + i]];
		/* the best of 5 timings of at least 0.2 s each (the machine is shared) */
		batch_us = INFINITY;
		for (int trial = 0; trial < (atoi(arg(argc, argv, "--predict", "1")) ? 5 : 1); trial++)
		{
			reps = 0;
			t0 = am_now();
			do
			{
				am_model_predict(m, xtest, n_test, n_test, pred);
				reps++;
			} while (am_now() - t0 < (atoi(arg(argc, argv, "--predict", "1")) ? 0.2 : 0.0));
			if ((am_now() - t0) / reps / n_test * 1e6 < batch_us)
				batch_us = (am_now() - t0) / reps / n_test * 1e6;
		}
		{
			double	   *row = AM_NEW(double, d->n_features);
			double	   *o = AM_NEW(double, outs);
			int			k = n_test < 20000 ? n_test : 20000;

			if (!atoi(arg(argc, argv, "--predict", "1")))
				k = 1;
			/* as a model loaded from the catalog is scored */
			if (((TreeEnsemble *) m->fitted)->complete == NULL && !getenv("BENCH_NO_COMPLETE"))
				tree_ensemble_build_complete(m->fitted);
			row_us = INFINITY;
			for (int trial = 0; trial < 3; trial++)
			{
				t0 = am_now();
				for (int i = 0; i < k; i++)
				{
					for (int j = 0; j < d->n_features; j++)
						row[j] = xtest[(size_t) j * n_test + i];
					am_model_predict_row(m, row, o);
				}
				if ((am_now() - t0) / k * 1e6 < row_us)
					row_us = (am_now() - t0) / k * 1e6;
			}
		}
		printf("family %s  rows %d (train %d, test %d)  features %d  task %s  classes %d  threads %d\n",
			   family, d->n_rows, n_train, n_test, d->n_features, am_task_name(d->task),
			   d->n_classes, threads);
		printf("train seconds:");
		for (int r = 0; r < runs; r++)
			printf(" %.3f", train_sec[r]);
		printf("   median of %d: %.3f\n", runs, median(train_sec, runs));
		if (d->task == AM_TASK_REGRESSION)
			printf("holdout rmse %.5f  r2 %.5f\n",
				   am_metric_score(AM_METRIC_RMSE, d->task, 0, ytest, pred, n_test, NULL),
				   am_metric_score(AM_METRIC_R2, d->task, 0, ytest, pred, n_test, NULL));
		else
		{
			printf("holdout accuracy %.5f  logloss %.6f", am_metric_score(AM_METRIC_ACCURACY, d->task, d->n_classes, ytest, pred, n_test, NULL),
				   am_metric_score(AM_METRIC_LOG_LOSS, d->task, d->n_classes, ytest, pred, n_test, NULL));
			if (d->task == AM_TASK_BINARY)
				printf("  auc %.5f", am_metric_score(AM_METRIC_ROC_AUC, d->task, 2, ytest, pred, n_test, NULL));
			printf("\n");
		}
		printf("predict us/row: batch %.3f  single row %.3f  (trees %d)\n", batch_us, row_us,
			   ((TreeEnsemble *) m->fitted)->n_trees);
		if (arg(argc, argv, "--dump", NULL))
		{
			FILE	   *f = fopen(arg(argc, argv, "--dump", NULL), "w");

			for (int i = 0; i < n_test; i++)
			{
				fprintf(f, "%d %g", perm[n_train + i], ytest[i]);
				for (int c = 0; c < outs; c++)
					fprintf(f, " %.17g", pred[(size_t) i * outs + c]);
				fprintf(f, "\n");
			}
			fclose(f);
		}
	}
	return 0;
}
