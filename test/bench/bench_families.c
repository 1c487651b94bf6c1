/*
 * bench_families.c
 *	  5-fold cross-validation of model families outside the server on the
 *	  shared CSV data sets (../shared/datasets): column roles from schema.tsv,
 *	  categorical text as sorted level codes, empty fields as NULL, folds from
 *	  the extension's own am_cv_folds (stratified, seed 0).  Prints the mean
 *	  primary score (ROC AUC / accuracy / RMSE, as baseline.py), log loss for
 *	  classification, and fit and predict seconds summed over the folds.
 *
 * Build (from the repository root):
 *
 *	  gcc -std=gnu11 -O2 -Isrc -Itest/unit -o /tmp/bench_families \
 *	      test/bench/bench_families.c \
 *	      $(make -s --no-print-directory --eval 'srcs: ; @echo $(UNIT_SRCS)' srcs) \
 *	      -llapacke -lopenblas -lm -lpthread
 *
 * Usage:
 *	  bench_families DATASETS_DIR NAME FAMILY [param=value ...]
 *	  bench_families DATASETS_DIR NAME search:FAMILY,FAMILY... [budget=SECONDS]
 *	  e.g. bench_families ../shared/datasets sonar knn n_neighbors=9 weights=1
 *	       bench_families ../shared/datasets sonar search:knn,naive_bayes,mlp budget=20
 * The second form runs the extension's search (am_search_run) on those
 * families and prints every trial.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "metrics.h"
#include "model.h"
#include "options.h"
#include "search.h"

#define MAX_COLS 512
#define LINE_MAX_LEN (1 << 20)

typedef struct Table
{
	int			n_rows;
	int			n_cols;
	char	   *names[MAX_COLS];
	char	 ***cells;			/* cells[col][row], NULL for an empty field */
} Table;

/* Split one CSV line in place; quoted fields lose their quotes. */
static int
split_csv(char *line, char **cells, int max)
{
	int			n = 0;
	char	   *c = line;

	while (n < max)
	{
		char	   *out = c,
				   *start = c;
		bool		quoted = false;

		if (*c == '"')
		{
			quoted = true;
			c++;
			while (*c && !(*c == '"' && c[1] != '"'))
			{
				if (*c == '"')
					c++;
				*out++ = *c++;
			}
			if (*c == '"')
				c++;
		}
		else
		{
			while (*c && *c != ',' && *c != '\n' && *c != '\r')
				*out++ = *c++;
		}
		cells[n++] = (!quoted && out == start) ? NULL : start;
		if (*c != ',')
		{
			*out = '\0';
			break;
		}
		c++;
		*out = '\0';
	}
	return n;
}

static Table *
read_csv(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = malloc(LINE_MAX_LEN);
	char	   *cells[MAX_COLS];
	Table	   *t = calloc(1, sizeof(Table));
	int			cap = 1024;

	if (f == NULL || fgets(line, LINE_MAX_LEN, f) == NULL)
	{
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	t->n_cols = split_csv(line, cells, MAX_COLS);
	for (int j = 0; j < t->n_cols; j++)
		t->names[j] = strdup(cells[j]);
	t->cells = malloc(sizeof(char **) * t->n_cols);
	for (int j = 0; j < t->n_cols; j++)
		t->cells[j] = malloc(sizeof(char *) * cap);
	while (fgets(line, LINE_MAX_LEN, f))
	{
		int			n = split_csv(line, cells, MAX_COLS);

		if (n != t->n_cols)
			continue;
		if (t->n_rows == cap)
		{
			cap *= 2;
			for (int j = 0; j < t->n_cols; j++)
				t->cells[j] = realloc(t->cells[j], sizeof(char *) * cap);
		}
		for (int j = 0; j < t->n_cols; j++)
			t->cells[j][t->n_rows] = cells[j] ? strdup(cells[j]) : NULL;
		t->n_rows++;
	}
	fclose(f);
	free(line);
	return t;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sorted distinct non-NULL values of a column. */
static char **
levels_of(const Table *t, int col, int *n_out)
{
	char	  **v = malloc(sizeof(char *) * (t->n_rows + 1));
	int			n = 0,
				m = 0;

	for (int i = 0; i < t->n_rows; i++)
		if (t->cells[col][i])
			v[n++] = t->cells[col][i];
	qsort(v, n, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
		if (m == 0 || strcmp(v[m - 1], v[i]) != 0)
			v[m++] = v[i];
	*n_out = m;
	return v;
}

static int
level_index(char **levels, int n, const char *s)
{
	char	  **hit = bsearch(&s, levels, n, sizeof(char *), cmp_str);

	return hit ? (int) (hit - levels) : -1;
}

/* Roles from schema.tsv: 'n'umeric, 'c'ategorical, 't'arget, 0 unused. */
static void
read_roles(const char *dir, const char *name, const Table *t, char *role)
{
	char		path[4096],
				line[1024];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/schema.tsv", dir);
	f = fopen(path, "r");
	memset(role, 0, MAX_COLS);
	while (f && fgets(line, sizeof(line), f))
	{
		char	   *ds = strtok(line, "\t\n"),
				   *col = strtok(NULL, "\t\n"),
				   *r = strtok(NULL, "\t\n");

		if (!ds || !col || !r || strcmp(ds, name) != 0)
			continue;
		for (int j = 0; j < t->n_cols; j++)
			if (strcmp(t->names[j], col) == 0)
				role[j] = r[0];
	}
	if (f)
		fclose(f);
}

/* The task from manifest.tsv. */
static AmTask
read_task(const char *dir, const char *name)
{
	char		path[4096],
				line[8192];
	FILE	   *f;
	AmTask		task = AM_TASK_REGRESSION;

	snprintf(path, sizeof(path), "%s/manifest.tsv", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
	{
		char	   *ds = strtok(line, "\t"),
				   *file = strtok(NULL, "\t"),
				   *tk = strtok(NULL, "\t");

		(void) file;
		if (ds && tk && strcmp(ds, name) == 0)
			task = strcmp(tk, "binary") == 0 ? AM_TASK_BINARY :
				strcmp(tk, "multiclass") == 0 ? AM_TASK_MULTICLASS : AM_TASK_REGRESSION;
	}
	if (f)
		fclose(f);
	return task;
}

static AmDataset *
to_dataset(const Table *t, const char *role, AmTask task, AmSchema **schema_out)
{
	AmDataset  *d = AM_NEW0(AmDataset, 1);
	AmSchema   *s = AM_NEW0(AmSchema, 1);
	int			nf = 0,
				target = -1;

	for (int j = 0; j < t->n_cols; j++)
	{
		if (role[j] == 'n' || role[j] == 'c')
			nf++;
		if (role[j] == 't')
			target = j;
	}
	d->n_rows = t->n_rows;
	d->n_features = nf;
	d->x = AM_NEW(double *, nf);
	d->categorical = AM_NEW0(bool, nf);
	d->n_codes = AM_NEW0(int, nf);
	d->y = AM_NEW(double, t->n_rows);
	d->task = task;
	s->n_columns = nf;
	s->columns = AM_NEW0(AmSourceColumn, nf);
	s->n_features = nf;
	s->features = AM_NEW0(AmFeature, nf);
	nf = 0;
	for (int j = 0; j < t->n_cols; j++)
	{
		if (role[j] != 'n' && role[j] != 'c')
			continue;
		d->x[nf] = AM_NEW(double, t->n_rows);
		s->columns[nf].name = t->names[j];
		s->columns[nf].type_name = "text";
		s->features[nf].name = t->names[j];
		s->features[nf].source = nf;
		if (role[j] == 'c')
		{
			int			nl;
			char	  **lv = levels_of(t, j, &nl);

			d->categorical[nf] = true;
			d->n_codes[nf] = nl + 1;
			s->columns[nf].kind = AM_SRC_CATEGORICAL;
			s->features[nf].categorical = true;
			s->features[nf].n_levels = nl;
			s->features[nf].levels = lv;
			for (int i = 0; i < t->n_rows; i++)
				d->x[nf][i] = t->cells[j][i] ? level_index(lv, nl, t->cells[j][i]) : NAN;
		}
		else
		{
			s->columns[nf].kind = AM_SRC_NUMERIC;
			for (int i = 0; i < t->n_rows; i++)
				d->x[nf][i] = t->cells[j][i] ? strtod(t->cells[j][i], NULL) : NAN;
		}
		nf++;
	}
	if (task == AM_TASK_REGRESSION)
	{
		for (int i = 0; i < t->n_rows; i++)
			d->y[i] = strtod(t->cells[target][i], NULL);
	}
	else
	{
		int			nl;
		char	  **lv = levels_of(t, target, &nl);

		for (int i = 0; i < t->n_rows; i++)
			d->y[i] = level_index(lv, nl, t->cells[target][i]);
		d->n_classes = nl;
		s->classes = lv;
	}
	s->target = t->names[target];
	s->target_type = "text";
	s->task = task;
	s->n_classes = d->n_classes;
	*schema_out = s;
	return d;
}

static void
print_trial(void *arg, const AmTrial *t, const AmTrial *best)
{
	printf("  trial %3d %-12s %-8s score=%.5f fit=%.3fs predict=%.3fs ",
		   t->number, t->family->name, am_trial_status_name(t->status), t->score,
		   t->fit_seconds, t->predict_seconds);
	for (int i = 0; i < t->params.n; i++)
		printf(" %s=%g", t->params.v[i].name, t->params.v[i].value);
	if (t->status != AM_TRIAL_OK && t->error[0])
		printf("  (%s)", t->error);
	printf("\n");
}

/* The search over a comma-separated list of families. */
static int
run_search(const AmDataset *d, const AmSchema *schema, AmMetric metric, char *list,
		   double budget)
{
	AmSearchConfig cfg;
	AmTrainOptions opt;
	AmSearchResult *res;
	AmErr		err;
	double		t0 = am_now();

	memset(&cfg, 0, sizeof(cfg));
	am_options_init(&opt);
	cfg.data = d;
	cfg.schema = schema;
	cfg.metric = metric;
	cfg.options = &opt;
	cfg.time_budget = budget;
	cfg.on_trial = print_trial;
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ","))
	{
		const AmFamily *f = am_family_lookup(name);

		if (f == NULL || cfg.n_families == AM_MAX_FAMILIES)
		{
			fprintf(stderr, "unknown family %s\n", name);
			return 2;
		}
		cfg.families[cfg.n_families++] = f;
	}
	res = am_search_run(&cfg, &err);
	if (res == NULL)
	{
		fprintf(stderr, "search failed: %s\n", err.msg);
		return 1;
	}
	printf("best: trial %d %s %s=%.5f; %d trials in %.1fs\n",
		   res->trials[res->best].number, res->trials[res->best].family->name,
		   am_metric_name(metric), res->trials[res->best].score, res->n_trials,
		   am_now() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir,
			   *name,
			   *fam_name;
	char		path[4096];
	char		role[MAX_COLS];
	Table	   *t;
	AmTask		task;
	AmSchema   *schema;
	AmDataset  *d;
	const AmFamily *fam;
	AmParams	params = {0};
	AmErr		err;
	int		   *fold;
	int			k = 5,
				outs;
	double		score = 0,
				ll = 0,
				fit_s = 0,
				pred_s = 0;
	AmMetric	metric;

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s DATASETS_DIR NAME FAMILY [param=value ...]\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	name = argv[2];
	fam_name = argv[3];
	fam = am_family_lookup(fam_name);
	if (fam == NULL && strncmp(fam_name, "search:", 7) != 0)
	{
		fprintf(stderr, "unknown family %s\n", fam_name);
		return 2;
	}
	for (int a = 4; a < argc; a++)
	{
		char	   *eq = strchr(argv[a], '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		am_params_set(&params, argv[a], strtod(eq + 1, NULL));
	}
	snprintf(path, sizeof(path), "%s/csv/%s.csv", dir, name);
	t = read_csv(path);
	read_roles(dir, name, t, role);
	task = read_task(dir, name);
	d = to_dataset(t, role, task, &schema);
	metric = task == AM_TASK_BINARY ? AM_METRIC_ROC_AUC :
		task == AM_TASK_MULTICLASS ? AM_METRIC_ACCURACY : AM_METRIC_RMSE;
	if (fam == NULL)
		return run_search(d, schema, metric, strdup(fam_name + 7),
						  am_params_has(&params, "budget") ? am_param(&params, "budget") : 30);
	if (!am_family_check_params(fam, &params, task, &err))
	{
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	outs = am_task_outputs(task, d->n_classes);
	fold = am_cv_folds(d->y, d->n_rows, task, d->n_classes, k, 0);
	for (int f = 0; f < k; f++)
	{
		int		   *train,
				   *valid,
					n_train,
					n_valid;
		AmModel    *m;
		double	   *x,
				   *pred,
				   *yv;
		double		t0,
					t1,
					t2;

		am_cv_split(fold, d->n_rows, f, &train, &n_train, &valid, &n_valid);
		t0 = am_now();
		m = am_model_fit(d, schema, fam, &params, train, n_train, NULL, NULL, 1, &err);
		t1 = am_now();
		if (m == NULL)
		{
			fprintf(stderr, "fit failed: %s\n", err.msg);
			return 1;
		}
		x = AM_NEW(double, (size_t) n_valid * d->n_features);
		yv = AM_NEW(double, n_valid);
		pred = AM_NEW(double, (size_t) n_valid * outs);
		for (int j = 0; j < d->n_features; j++)
			for (int i = 0; i < n_valid; i++)
				x[(size_t) j * n_valid + i] = d->x[j][valid[i]];
		for (int i = 0; i < n_valid; i++)
			yv[i] = d->y[valid[i]];
		fit_s += t1 - t0;
		t1 = am_now();
		am_model_predict(m, x, (size_t) n_valid, n_valid, pred);
		t2 = am_now();
		score += am_metric_score(metric, task, d->n_classes, yv, pred, n_valid, NULL) / k;
		if (task != AM_TASK_REGRESSION)
			ll += am_metric_score(AM_METRIC_LOG_LOSS, task, d->n_classes, yv, pred, n_valid,
								  NULL) / k;
		pred_s += t2 - t1;
	}
	printf("%-14s %-12s", name, fam_name);
	for (int i = 0; i < params.n; i++)
		printf(" %s=%g", params.v[i].name, params.v[i].value);
	printf("  %s=%.5f", am_metric_name(metric), score);
	if (task != AM_TASK_REGRESSION)
		printf(" log_loss=%.4f", ll);
	printf("  fit=%.3fs predict=%.3fs rows=%d\n", fit_s, pred_s, d->n_rows);
	return 0;
}
