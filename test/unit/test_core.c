/*
 * test_core.c
 *	  Unit tests of the pure core without a server: JSON, byte reader,
 *	  options, metrics, folds, preprocessing, the linear family, the model
 *	  byte format, candidate generation and the thread pool.
 */
#include <stdlib.h>

#include "buf.h"
#include "cv.h"
#include "dataset.h"
#include "describe.h"
#include "json.h"
#include "metrics.h"
#include "model.h"
#include "options.h"
#include "pool.h"
#include "prep.h"
#include "rng.h"
#include "search.h"
#include "unit.h"

extern int	am_test_threads;	/* automl.max_threads of core_std.c */

static void
test_json(void)
{
	AmErr		err;
	const char *ok = "{\"a\": [1, 2.5e1, -0.5], \"b\": {\"c\": \"x\\u00e9\\n\"}, \"d\": true, \"e\": null}";
	AmJson	   *j = am_json_parse(ok, strlen(ok), &err);
	const AmJson *a;

	CHECK(j != NULL && j->type == AM_JSON_OBJECT && j->n == 4);
	a = am_json_get(j, "a");
	CHECK(a && a->type == AM_JSON_ARRAY && a->n == 3);
	CHECK_NEAR(a->items[1].number, 25.0, 0);
	CHECK(strcmp(am_json_get(am_json_get(j, "b"), "c")->string, "x\xc3\xa9\n") == 0);
	CHECK(am_json_get(j, "d")->boolean);
	CHECK(am_json_get(j, "e")->type == AM_JSON_NULL);

	/* malformed inputs are rejected with a position */
	{
		const char *bad[] = {"", "{", "{\"a\":}", "[1,]", "01", "1.", "\"\\u12\"", "{\"a\":1}x",
			"\"\\ud800\"", "{\"a\":1,\"a\":2}", "\"\\u0000\"", "[1e999]", "tru", "\"abc"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			am_err_clear(&err);
			CHECK(am_json_parse(bad[i], strlen(bad[i]), &err) == NULL);
			CHECK(strncmp(err.msg, "invalid JSON at byte", 20) == 0);
		}
	}
	/* nesting is bounded */
	{
		char		deep[200];

		memset(deep, '[', sizeof(deep));
		CHECK(am_json_parse(deep, sizeof(deep), &err) == NULL);
		CHECK(strstr(err.msg, "nested too deeply") != NULL);
	}
}

static void
test_reader(void)
{
	AmWriter	w;
	AmReader	r;

	am_w_init(&w);
	am_w_u32(&w, 7);
	am_w_f64(&w, -1.5);
	am_w_str(&w, "abc");
	am_r_init(&r, w.data, w.len);
	CHECK(am_r_u32(&r) == 7);
	CHECK(am_r_f64(&r) == -1.5);
	CHECK(strcmp(am_r_str(&r), "abc") == 0);
	CHECK(am_r_ok(&r) && am_r_remaining(&r) == 0);
	CHECK(am_r_u8(&r) == 0 && !am_r_ok(&r));	/* reading past the end fails */

	/* a count the remaining bytes cannot hold is refused before allocating */
	am_w_init(&w);
	am_w_u32(&w, 1000000);
	am_w_f64(&w, 1.0);
	am_r_init(&r, w.data, w.len);
	CHECK(am_r_count(&r, 8, UINT32_MAX) == 0 && !am_r_ok(&r));

	/* CRC-32C check value */
	CHECK(am_crc32c("123456789", 9) == 0xE3069283u);
}

static void
test_options(void)
{
	AmTrainOptions o;
	AmErr		err;
	const char *good = "{\"seed\": 7, \"cv_folds\": 3, \"hyperparameters\": "
		"{\"linear\": {\"alpha\": [0.1, 1], \"max_iter\": {\"min\": 10, \"max\": 50}}}}";

	CHECK(am_options_parse(good, strlen(good), &o, &err));
	CHECK(o.seed == 7 && o.cv_folds == 3 && o.n_families == 1);
	CHECK(o.families[0].n == 2 && o.families[0].c[0].n_values == 2);
	CHECK(o.families[0].c[1].has_range && o.families[0].c[1].hi == 50);

	{
		struct
		{
			const char *json;
			const char *msg;
		}			bad[] = {
			{"[]", "options must be a JSON object, not array"},
			{"{\"sede\": 1}", "unrecognized option \"sede\""},
			{"{\"cv_folds\": 1}", "option \"cv_folds\" must be 0"},
			{"{\"cv_folds\": 2.5}", "option \"cv_folds\" must be an integer"},
			{"{\"cv_repeats\": 0}", "option \"cv_repeats\" must be an integer between 1 and 10"},
			{"{\"hyperparameters\": {\"nope\": {}}}", "unknown algorithm \"nope\""},
			{"{\"hyperparameters\": {\"linear\": {\"beta\": 1}}}", "algorithm \"linear\" has no hyperparameter \"beta\""},
			{"{\"hyperparameters\": {\"linear\": {\"alpha\": -1}}}", "must be between 0 and"},
			{"{\"hyperparameters\": {\"linear\": {\"max_iter\": 1.5}}}", "must be an integer"},
			{"{\"hyperparameters\": {\"linear\": {\"alpha\": {\"min\": 2, \"max\": 1}}}}", "min 2 above max 1"},
			{"{\"hyperparameters\": {\"linear\": {\"alpha\": \"big\"}}}", "must be a number, not string"},
			{"{\"hyperparameters\": {\"gbm\": {\"cat_smooth\": {\"min\": 1e-310, \"max\": 10}}}}",
			"\"cat_smooth\" of algorithm \"gbm\" must be 0 or at least 1e-300, not 1e-310"},
			{"{\"hyperparameters\": {\"linear\": {\"alpha\": [0, 4e-320]}}}", "must be 0 or at least 1e-300"},
			{"{\"hyperparameters\": {\"knn\": {\"weights\": {\"min\": \"uniform\", \"max\": \"uniform\"}}}}",
			"\"weights\" of algorithm \"knn\" takes a choice or a list of choices, not a range"},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			am_err_clear(&err);
			CHECK(!am_options_parse(bad[i].json, strlen(bad[i].json), &o, &err));
			if (strstr(err.msg, bad[i].msg) == NULL)
				fprintf(stderr, "  got \"%s\" for %s\n", err.msg, bad[i].json);
			CHECK(strstr(err.msg, bad[i].msg) != NULL);
		}
	}
}

static void
test_metrics(void)
{
	double		y[] = {0, 0, 1, 1};
	double		p[] = {0.1, 0.4, 0.35, 0.8};
	double		yr[] = {1, 2, 3};
	double		pr[] = {1, 2, 5};
	double		ym[] = {0, 1, 2};
	double		pm[] = {0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.5, 0.2, 0.3};

	CHECK_NEAR(am_metric_score(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, y, p, 4, NULL), 0.75, 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_ACCURACY, AM_TASK_BINARY, 2, y, p, 4, NULL), 0.75, 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_RMSE, AM_TASK_REGRESSION, 0, yr, pr, 3, NULL),
			   sqrt(4.0 / 3.0), 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_MAE, AM_TASK_REGRESSION, 0, yr, pr, 3, NULL), 2.0 / 3.0, 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_R2, AM_TASK_REGRESSION, 0, yr, pr, 3, NULL), -1.0, 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_ACCURACY, AM_TASK_MULTICLASS, 3, ym, pm, 3, NULL),
			   2.0 / 3.0, 1e-12);
	CHECK_NEAR(am_metric_score(AM_METRIC_LOG_LOSS, AM_TASK_MULTICLASS, 3, ym, pm, 3, NULL),
			   -(log(0.8) + log(0.7) + log(0.3)) / 3, 1e-12);
	/* ties count one half */
	{
		double		pt[] = {0.5, 0.5, 0.5, 0.5};

		CHECK_NEAR(am_metric_score(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, y, pt, 4, NULL), 0.5, 1e-12);
	}
	CHECK(am_metric_better(AM_METRIC_RMSE, 1.0, 2.0));
	CHECK(am_metric_better(AM_METRIC_ROC_AUC, 0.9, 0.8));
}

static void
test_folds(void)
{
	int			n = 103;
	double	   *y = malloc(sizeof(double) * n);
	int		   *f1,
			   *f2;
	int			count[5][3] = {{0}};

	for (int i = 0; i < n; i++)
		y[i] = i < 60 ? 0 : (i < 90 ? 1 : 2);
	f1 = am_cv_folds(y, n, AM_TASK_MULTICLASS, 3, 5, 42);
	f2 = am_cv_folds(y, n, AM_TASK_MULTICLASS, 3, 5, 42);
	CHECK(memcmp(f1, f2, sizeof(int) * n) == 0);	/* reproducible */
	for (int i = 0; i < n; i++)
		count[f1[i]][(int) y[i]]++;
	for (int f = 0; f < 5; f++)
	{
		CHECK(count[f][0] == 12);	/* stratified: 60 / 5 */
		CHECK(count[f][1] == 6);
		CHECK(count[f][2] >= 2 && count[f][2] <= 3);
	}
}

/* y = 3 x0 - 2 x1 + 1 exactly: ridge with alpha 0 recovers it. */
static AmDataset *
linear_dataset(int n, AmTask task, uint64_t seed)
{
	AmDataset  *d = AM_NEW0(AmDataset, 1);
	AmRng		rng;

	am_rng_seed(&rng, seed);
	d->n_rows = n;
	d->n_features = 3;
	d->x = AM_NEW(double *, 3);
	d->categorical = AM_NEW0(bool, 3);
	d->n_codes = AM_NEW0(int, 3);
	d->y = AM_NEW(double, n);
	for (int j = 0; j < 3; j++)
		d->x[j] = AM_NEW(double, n);
	d->categorical[2] = true;
	d->n_codes[2] = 3;
	for (int i = 0; i < n; i++)
	{
		double		z;

		d->x[0][i] = am_rng_normal(&rng);
		d->x[1][i] = am_rng_normal(&rng) * 2 + 5;
		d->x[2][i] = (double) (i % 3);
		z = 3 * d->x[0][i] - 2 * d->x[1][i] + 1 + (d->x[2][i] == 1 ? 0.5 : 0);
		if (task == AM_TASK_REGRESSION)
			d->y[i] = z;
		else
			d->y[i] = am_rng_uniform(&rng) < 1 / (1 + exp(-(z + 9))) ? 1 : 0;
	}
	d->task = task;
	d->n_classes = task == AM_TASK_REGRESSION ? 0 : 2;
	return d;
}

/*
 * Leakage checks on a small table (exact bins) and a large one (bins cut
 * from a sample of rows): the feature that alone gives the class is
 * flagged, the informative but not decisive ones are not.
 */
static void
test_diagnose_leak(void)
{
	int			sizes[] = {2000, 300000};

	for (int t = 0; t < 2; t++)
	{
		AmDataset  *d = linear_dataset(sizes[t], AM_TASK_BINARY, 5);
		AmDiagnosis diag[8];
		int			n_diag,
					leaks = 0;
		bool		leak0 = false;

		/* x0: the class times 100 plus a little (a recoded copy of it) */
		for (int i = 0; i < d->n_rows; i++)
		{
			d->x[0][i] = d->y[i] * 100 + i % 3;
			if (i % 97 == 0)
				d->x[1][i] = NAN;
		}
		n_diag = am_diagnose(d, diag, 8);
		for (int k = 0; k < n_diag; k++)
			if (diag[k].kind == AM_DIAG_LEAK)
			{
				leaks++;
				leak0 |= diag[k].feature == 0;
			}
		CHECK(leak0);
		CHECK(leaks == 1);
		/* the same findings with the columns scored on two threads */
		{
			AmDiagnosis again[8];
			int			saved = am_test_threads;

			am_test_threads = 2;
			CHECK(am_diagnose(d, again, 8) == n_diag);
			am_test_threads = saved;
			for (int k = 0; k < n_diag; k++)
				CHECK(again[k].kind == diag[k].kind && again[k].feature == diag[k].feature &&
					  again[k].value == diag[k].value);
		}
	}
}

/* Evenly spaced rows of a large dataset; a small one is used as it is. */
static void
test_spread_rows(void)
{
	AmDataset  *small = linear_dataset(1000, AM_TASK_REGRESSION, 3);
	AmDataset  *big = linear_dataset(450001, AM_TASK_REGRESSION, 3);
	AmDataset  *s;
	bool		same = true;

	CHECK(am_dataset_spread_rows(small, AM_DESCRIBE_ROWS) == small);
	s = am_dataset_spread_rows(big, AM_DESCRIBE_ROWS);
	CHECK(s != big);
	CHECK(s->n_rows == 150001);	/* every 3rd row, the last one included */
	for (int i = 0; i < s->n_rows; i++)
	{
		same = same && s->y[i] == big->y[3 * i];
		for (int j = 0; j < big->n_features; j++)
			same = same && s->x[j][i] == big->x[j][3 * i];
	}
	CHECK(same);
	CHECK(s->task == big->task && s->n_features == big->n_features);
}

static void
test_prep(void)
{
	AmDataset  *d = linear_dataset(10, AM_TASK_REGRESSION, 1);
	AmPrep	   *p;
	double	   *m;
	double		raw[3] = {NAN, 5.0, 7.0},
				out[8];

	/* x0 missing where the target is highest: an informative indicator */
	for (int i = 0; i < 10; i++)
		d->y[i] = i < 7 ? (double) i : 100.0 + i;
	for (int i = 7; i < 10; i++)
		d->x[0][i] = NAN;
	p = am_prep_fit(d, NULL, 10);
	/* x0: value + missing indicator; x1: value; x2: 2 levels + other (code 2) seen */
	CHECK(p->n_out == 2 + 1 + 3);
	m = am_prep_transform(p, d, NULL, 10);
	{
		double		s = 0;

		for (int i = 0; i < 10; i++)
			s += m[2 * 10 + i];
		CHECK_NEAR(s, 0.0, 1e-9);	/* x1 standardised */
	}
	CHECK(m[1 * 10 + 8] == 1.0 && m[1 * 10 + 2] == 0.0);	/* missing indicator */
	am_prep_transform_row(p, raw, out);
	CHECK(out[1] == 1.0);		/* NaN -> indicator */
	CHECK(out[3] == 0.0 && out[4] == 0.0 && out[5] == 1.0);	/* unseen -> other */
	CHECK(am_prep_source_of(p, 0) == 0 && am_prep_source_of(p, 2) == 1 && am_prep_source_of(p, 5) == 2);

	/* missing in rows whose targets are like the others': no indicator column */
	for (int i = 0; i < 10; i++)
		d->y[i] = (double) (i % 5);
	d->x[0][7] = d->x[0][8] = d->x[0][9] = 1.0;
	d->x[0][2] = d->x[0][6] = NAN;
	p = am_prep_fit(d, NULL, 10);
	CHECK(p->n_out == 1 + 1 + 3 && !p->indicator[0]);
	am_prep_transform_row(p, raw, out);
	CHECK(out[0] == (p->fill[0] - p->center[0]) / p->scale[0]);	/* NaN -> the median */

	/* classification: missing only in class 1 of 40 rows is beyond chance */
	{
		AmDataset  *c = linear_dataset(40, AM_TASK_BINARY, 2);
		int			n_miss = 0;

		for (int i = 0; i < 40; i++)
			if (c->y[i] == 1.0 && n_miss < 8)
			{
				c->x[0][i] = NAN;
				n_miss++;
			}
		CHECK(n_miss == 8);
		CHECK(am_prep_fit(c, NULL, 40)->indicator[0]);
		/* the same count of missing values spread over the classes: chance */
		for (int i = 0, moved = 0; i < 40; i++)
			if (c->y[i] == 0.0 && moved < 4)
			{
				c->x[0][i] = NAN;
				moved++;
			}
		for (int i = 0, kept = 0; i < 40; i++)
			if (c->y[i] == 1.0 && isnan(c->x[0][i]) && kept++ >= 4)
				c->x[0][i] = 1.0;
		CHECK(!am_prep_fit(c, NULL, 40)->indicator[0]);
	}
}

static AmSchema *
schema_for(const AmDataset *d)
{
	AmSchema   *s = AM_NEW0(AmSchema, 1);
	static char *levels[] = {"a", "b"};
	static char *classes[] = {"no", "yes"};

	s->n_columns = 3;
	s->columns = AM_NEW0(AmSourceColumn, 3);
	s->n_features = 3;
	s->features = AM_NEW0(AmFeature, 3);
	for (int j = 0; j < 3; j++)
	{
		s->columns[j].name = am_strdup(j == 0 ? "x0" : j == 1 ? "x1" : "c");
		s->columns[j].kind = j == 2 ? AM_SRC_CATEGORICAL : AM_SRC_NUMERIC;
		s->columns[j].type_name = "t";
		s->features[j].name = s->columns[j].name;
		s->features[j].source = j;
		s->features[j].categorical = (j == 2);
	}
	s->features[2].n_levels = 2;
	s->features[2].levels = levels;
	s->target = "y";
	s->target_type = "t";
	s->task = d->task;
	s->n_classes = d->n_classes;
	s->classes = d->n_classes ? classes : NULL;
	return s;
}

static void
test_ridge_exact(void)
{
	AmDataset  *d = linear_dataset(200, AM_TASK_REGRESSION, 2);
	AmSchema   *s = schema_for(d);
	AmParams	p = {0};
	AmErr		err;
	AmModel    *m;
	double		raw[3] = {1.0, 2.0, 1.0},
				out;

	am_params_set(&p, "alpha", 0.0);
	m = am_model_fit(d, s, am_family_lookup("linear"), &p, NULL, d->n_rows, NULL, NULL, 1, &err);
	CHECK(m != NULL);
	am_model_predict_row(m, raw, &out);
	CHECK_NEAR(out, 3 * 1 - 2 * 2 + 1 + 0.5, 1e-8);
}

static void
test_logistic_and_roundtrip(void)
{
	AmDataset  *d = linear_dataset(2000, AM_TASK_BINARY, 3);
	AmSchema   *s = schema_for(d);
	AmParams	p = {0};
	AmErr		err;
	AmModel    *m,
			   *m2;
	AmWriter	w;
	double	   *pred = malloc(sizeof(double) * d->n_rows),
			   *pred2 = malloc(sizeof(double) * d->n_rows);
	double	   *x = malloc(sizeof(double) * 3 * d->n_rows);

	am_params_set(&p, "alpha", 1e-4);
	m = am_model_fit(d, s, am_family_lookup("linear"), &p, NULL, d->n_rows, NULL, NULL, 1, &err);
	CHECK(m != NULL);
	for (int j = 0; j < 3; j++)
		memcpy(x + (size_t) j * d->n_rows, d->x[j], sizeof(double) * d->n_rows);
	am_model_predict(m, x, d->n_rows, d->n_rows, pred);
	CHECK(am_metric_score(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, d->y, pred, d->n_rows, NULL) > 0.95);

	/* the byte format round-trips exactly */
	am_w_init(&w);
	am_model_serialize(m, &w);
	m2 = am_model_deserialize(w.data, w.len, &err);
	CHECK(m2 != NULL);
	am_model_predict(m2, x, d->n_rows, d->n_rows, pred2);
	CHECK(memcmp(pred, pred2, sizeof(double) * d->n_rows) == 0);

	/* every single-byte corruption and every truncation is rejected */
	{
		int			accepted = 0;
		uint8_t    *copy = malloc(w.len);

		for (size_t i = 0; i < w.len; i++)
		{
			memcpy(copy, w.data, w.len);
			copy[i] ^= 0x5A;
			if (am_model_deserialize(copy, w.len, &err) != NULL)
				accepted++;
		}
		for (size_t len = 0; len < w.len; len += 7)
			if (am_model_deserialize(w.data, len, &err) != NULL)
				accepted++;
		CHECK(accepted == 0);
		free(copy);
	}
	/* a newer format version is refused with a clear message */
	{
		uint8_t    *copy = malloc(w.len);

		memcpy(copy, w.data, w.len);
		copy[4] = 99;
		CHECK(am_model_deserialize(copy, w.len, &err) == NULL);
		CHECK(strstr(err.msg, "format version 99 is not supported") != NULL);
		free(copy);
	}
}

static void
test_contributions(void)
{
	AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, 4);
	AmSchema   *s = schema_for(d);
	AmParams	p = {0};
	AmErr		err;
	AmModel    *m = am_model_fit(d, s, am_family_lookup("linear"), &p, NULL, d->n_rows, NULL, NULL, 1, &err);
	double		raw[3] = {0.3, 4.0, 0.0},
				enc[16],
				phi[32],
				prob,
				sum = 0;
	int			q = m->prep->n_out;

	am_prep_transform_row(m->prep, raw, enc);
	CHECK(m->family->contributions(m->fitted, enc, phi));
	for (int j = 0; j <= q; j++)
		sum += phi[j];
	am_model_predict_row(m, raw, &prob);
	CHECK_NEAR(1 / (1 + exp(-sum)), prob, 1e-12);
}

static void
test_search_space(void)
{
	const AmFamily *f = am_family_lookup("linear");
	AmSpace		sp;
	AmFamilyConstraints fc = {0};
	double		u[AM_MAX_PARAMS],
				back[AM_MAX_PARAMS];
	AmParams	p;

	am_space_init(&sp, f, NULL);
	CHECK(sp.n_dims == 1);		/* alpha; max_iter and tol are not searched */
	am_space_start(&sp, false, u);
	am_space_params(&sp, u, &p);
	CHECK_NEAR(am_param(&p, "alpha"), 1e-3, 1e-15);	/* the default */
	CHECK(am_param(&p, "tol") == 1e-6);
	/* the cube maps onto the log range and back */
	u[0] = 0.0;
	am_space_params(&sp, u, &p);
	CHECK_NEAR(am_param(&p, "alpha"), 1e-5, 1e-18);
	am_space_point(&sp, &p, back);
	CHECK_NEAR(back[0], 0.0, 1e-12);
	u[0] = 1.0;
	am_space_params(&sp, u, &p);
	CHECK_NEAR(am_param(&p, "alpha"), 1.0, 1e-15);

	/* a fixed value leaves the space; a range narrows it */
	fc.family = f;
	fc.n = 2;
	fc.c[0].spec = am_family_param(f, "max_iter");
	fc.c[0].n_values = 1;
	fc.c[0].values[0] = 77;
	fc.c[1].spec = am_family_param(f, "alpha");
	fc.c[1].has_range = true;
	fc.c[1].lo = 1e-2;
	fc.c[1].hi = 1.0;
	am_space_init(&sp, f, &fc);
	CHECK(sp.n_dims == 1);
	CHECK(am_param(&sp.fixed, "max_iter") == 77);
	for (int i = 0; i <= 10; i++)
	{
		u[0] = i / 10.0;
		am_space_params(&sp, u, &p);
		CHECK(am_param(&p, "alpha") >= 1e-2 && am_param(&p, "alpha") <= 1.0);
		CHECK(am_param(&p, "max_iter") == 77);
	}

	/*
	 * Rounding to 4 significant digits must hold for any finite bound (the
	 * parser refuses values below 1e-300, the space must not need it to):
	 * pow(10, 3 - floor(log10(v))) overflowed below 1e-305 and gave NaN.
	 */
	{
		static const double ranges[][2] = {{1e-310, 10}, {4.9e-324, 1e-320}, {0, 1e-315},
		{1e-300, 1e6}};

		for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		{
			fc.c[1].lo = ranges[r][0];
			fc.c[1].hi = ranges[r][1];
			am_space_init(&sp, f, &fc);
			for (int i = 0; i <= 20; i++)
			{
				double		v;

				u[0] = i / 20.0;
				am_space_params(&sp, u, &p);
				v = am_param(&p, "alpha");
				CHECK(isfinite(v) && v >= ranges[r][0] && v <= ranges[r][1]);
			}
		}
	}
	/* a range narrower than 4 digits is still searched inside, not at a bound */
	fc.c[1].lo = 0.10001;
	fc.c[1].hi = 0.10002;
	am_space_init(&sp, f, &fc);
	u[0] = 0.5;
	am_space_params(&sp, u, &p);
	CHECK(am_param(&p, "alpha") > 0.10001 && am_param(&p, "alpha") < 0.10002);
	/* the usual rounding */
	fc.c[1].lo = 1e-5;
	fc.c[1].hi = 1.0;
	am_space_init(&sp, f, &fc);
	u[0] = 0.77;
	am_space_params(&sp, u, &p);
	CHECK(am_param(&p, "alpha") == 0.07079);
}

/* A search of d with default options on ROC AUC; the caller adds families. */
static void
search_config(AmSearchConfig *cfg, AmTrainOptions *o, AmDataset *d, AmSchema *s)
{
	am_options_init(o);
	memset(cfg, 0, sizeof(*cfg));
	cfg->data = d;
	cfg->schema = s;
	cfg->metric = AM_METRIC_ROC_AUC;
	cfg->options = o;
}

/* Add the named families to a search's candidates. */
static void
add_families(AmSearchConfig *cfg, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		cfg->families[cfg->n_families++] = am_family_lookup(names[i]);
}

/* Replace a binary dataset's target by seeded coin flips. */
static void
coin_flip_targets(AmDataset *d, uint64_t seed)
{
	AmRng		rng;

	am_rng_seed(&rng, seed);
	for (int i = 0; i < d->n_rows; i++)
		d->y[i] = am_rng_uniform(&rng) < 0.5 ? 1 : 0;
}

/* The whole search on a small problem: reproducible, budget-respecting. */
static void
test_search_run(void)
{
	AmDataset  *d = linear_dataset(400, AM_TASK_BINARY, 5);
	AmSchema   *s = schema_for(d);
	AmTrainOptions o;
	AmSearchConfig cfg;
	AmSearchResult *a,
			   *b;
	AmErr		err;

	search_config(&cfg, &o, d, s);
	cfg.families[0] = am_family_lookup("linear");
	cfg.n_families = 1;
	cfg.max_trials = 8;
	a = am_search_run(&cfg, &err);
	b = am_search_run(&cfg, &err);
	CHECK(a != NULL && b != NULL);
	CHECK(a->n_trials == 8 && b->n_trials == 8);
	for (int i = 0; a && b && i < 8; i++)
	{
		CHECK(am_params_equal(&a->trials[i].params, &b->trials[i].params));
		CHECK(a->trials[i].score == b->trials[i].score || a->trials[i].status != AM_TRIAL_OK);
	}
	CHECK(a->model != NULL && a->score > 0.9);
	CHECK(a->n_valid == d->n_rows && a->n_folds == 5);
	/* no two trials try the same configuration */
	for (int i = 0; i < a->n_trials; i++)
		for (int k = 0; k < i; k++)
			CHECK(!am_params_equal(&a->trials[i].params, &a->trials[k].params));
}

/*
 * The final model as fold models: "folds" keeps the k models that scored the
 * chosen trial (each row's out-of-fold prediction comes from a member that
 * did not see the row), weighted equally; "auto" keeps them for an unstable
 * family on small data and refits a linear model on all rows.
 */
static void
test_search_fold_models(void)
{
	AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, 7);
	AmSchema   *s = schema_for(d);
	static const char *const names[] = {"linear", "knn", "knn"};
	static const AmRefit refits[] = {AM_REFIT_FOLDS, AM_REFIT_AUTO, AM_REFIT_ALL_ROWS};

	for (int c = 0; c < 3; c++)
	{
		AmTrainOptions o;
		AmSearchConfig cfg;
		AmSearchResult *r;
		AmErr		err;
		const AmFamily *f = am_family_lookup(names[c]);
		double		raw[16],
					w,
					out;
		int			unmatched = 0;

		search_config(&cfg, &o, d, s);
		cfg.families[0] = f;
		cfg.n_families = 1;
		cfg.max_trials = 3;
		o.ensemble = false;
		o.refit = refits[c];
		r = am_search_run(&cfg, &err);
		CHECK(r != NULL && r->model != NULL && !r->is_ensemble);
		if (r == NULL || r->model == NULL)
			continue;
		if (refits[c] == AM_REFIT_ALL_ROWS)
		{
			CHECK(r->model->family == f && r->n_members == 0);
			continue;
		}
		CHECK(am_ensemble_member_family(r->model) == f);
		CHECK(r->n_members == 1 && r->fold_models[0] == 5);
		for (int m = 0; m < 5; m++)
			CHECK(am_ensemble_member(r->model, m, &w) != NULL && fabs(w - 0.2) < 1e-15);
		CHECK(am_ensemble_member(r->model, 5, NULL) == NULL);
		for (int i = 0; i < r->n_valid; i++)
		{
			int			row = r->valid_rows[i],
						hits = 0;

			for (int j = 0; j < d->n_features; j++)
				raw[j] = d->x[j][row];
			for (int m = 0; m < 5; m++)
			{
				am_model_predict_row(am_ensemble_member(r->model, m, NULL), raw, &out);
				hits += fabs(out - r->valid_pred[i]) <= 1e-12;
			}
			unmatched += hits == 0;
		}
		CHECK(unmatched == 0);
	}
	{
		AmTrainOptions o;
		AmSearchConfig cfg;
		AmSearchResult *r;
		AmErr		err;

		search_config(&cfg, &o, d, s);
		cfg.families[0] = am_family_lookup("linear");
		cfg.n_families = 1;
		cfg.max_trials = 2;
		r = am_search_run(&cfg, &err);
		CHECK(r != NULL && r->model->family == cfg.families[0] && r->n_members == 0);
	}
}

/*
 * Pruning: a family's first complete trial always runs every fold (it is
 * the family's reference point and leaderboard score); a pruned trial
 * stopped between folds.
 */
static void
test_search_pruning(void)
{
	AmDataset  *d = linear_dataset(150, AM_TASK_BINARY, 4);
	AmSchema   *s = schema_for(d);
	static const char *const names[] = {"linear", "naive_bayes", "tree", "knn"};
	AmTrainOptions o;
	AmSearchConfig cfg;
	AmSearchResult *r;
	AmErr		err;

	search_config(&cfg, &o, d, s);
	add_families(&cfg, names, 4);
	cfg.max_trials = 60;
	r = am_search_run(&cfg, &err);
	CHECK(r != NULL);
	for (int fi = 0; r && fi < 4; fi++)
	{
		const AmTrial *first = NULL;

		for (int i = 0; i < r->n_trials && first == NULL; i++)
			if (r->trials[i].family == cfg.families[fi])
				first = &r->trials[i];
		CHECK(first != NULL && first->status == AM_TRIAL_OK && first->n_folds == 5);
	}
	for (int i = 0; r && i < r->n_trials; i++)
		if (r->trials[i].status == AM_TRIAL_PRUNED)
			CHECK(r->trials[i].n_folds >= 1 && r->trials[i].n_folds < 5);
}

/*
 * Repeated cross-validation (cv_repeats): rounds capped at 20 folds in all;
 * the first round's folds are the single round's, the others different.
 */
static void
test_search_repeats(void)
{
	AmDataset  *d = linear_dataset(400, AM_TASK_BINARY, 5);
	AmSchema   *s = schema_for(d);
	AmTrainOptions o;
	AmSearchConfig cfg;
	AmSearchResult *one,
			   *three,
			   *r;
	AmErr		err;

	search_config(&cfg, &o, d, s);
	cfg.families[cfg.n_families++] = am_family_lookup("linear");
	cfg.max_trials = 1;
	one = am_search_run(&cfg, &err);
	o.cv_repeats = 3;
	three = am_search_run(&cfg, &err);
	CHECK(three != NULL && one != NULL);
	if (three && one)
	{
		const AmTrial *t3 = &three->trials[0],
				   *t1 = &one->trials[0];
		bool		rounds_differ = false;

		CHECK(three->n_repeats == 3 && three->n_folds == 5 && t3->n_folds == 15);
		CHECK(one->n_repeats == 1 && t1->n_folds == 5);
		for (int f = 0; f < 5; f++)
		{
			CHECK(t3->fold_scores[f] == t1->fold_scores[f]);
			rounds_differ |= t3->fold_scores[5 + f] != t1->fold_scores[f];
		}
		CHECK(rounds_differ);
		CHECK_NEAR(t1->score, (t1->fold_scores[0] + t1->fold_scores[1] + t1->fold_scores[2] +
							   t1->fold_scores[3] + t1->fold_scores[4]) / 5, 1e-12);
	}
	o.cv_folds = 10;
	r = am_search_run(&cfg, &err);
	CHECK(r != NULL && r->n_repeats == 2 && r->trials[0].n_folds == 20);
}

/*
 * The check on rows not chosen on, by hand: A = y + e everywhere; B = y - 1.2 e
 * on part 0 and y + 3 e on part 1, C the mirror image.  On all rows A + B + C
 * beats A (errors 0.93 e against e), and on each part A with the part's helper
 * almost cancels e; but chosen on one part and scored on the other the
 * ensemble brings the other helper's 3 e (about 1.9 e), while the single
 * choice, A, keeps e.
 */
static void
test_ensemble_unseen(void)
{
	enum
	{
		N = 40
	};
	double		y[N],
				a[N],
				b[N],
				c[N],
				single,
				ens;
	double	   *preds[3] = {a, b, c};
	int			part[N],
				counts[3];

	for (int i = 0; i < N; i++)
	{
		double		e = (i % 4 < 2 ? 1.0 : -1.0) * (1.0 + 0.01 * i);

		part[i] = i < N / 2 ? 0 : 1;
		y[i] = 0.5 * i;
		a[i] = y[i] + e;
		b[i] = y[i] + (part[i] == 0 ? -1.2 * e : 3.0 * e);
		c[i] = y[i] + (part[i] == 1 ? -1.2 * e : 3.0 * e);
	}
	/* on all rows, the ensemble of all three beats A */
	CHECK(am_ensemble_select(AM_METRIC_RMSE, AM_TASK_REGRESSION, 0, y, N, preds, 3, 25, counts) <
		  0.95 * am_metric_score(AM_METRIC_RMSE, AM_TASK_REGRESSION, 0, y, a, N, NULL));
	CHECK(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
	ens = am_ensemble_unseen(AM_METRIC_RMSE, AM_TASK_REGRESSION, 0, y, N, part, 2, preds, 3, 25,
							 &single);
	/* single: A on each part, whose RMSE is the mean of the parts' |e| */
	{
		double		expect = 0.0;

		for (int p = 0; p < 2; p++)
		{
			double		ss = 0.0;

			for (int i = p * N / 2; i < (p + 1) * N / 2; i++)
				ss += (a[i] - y[i]) * (a[i] - y[i]);
			expect += sqrt(ss / (N / 2)) / 2;
		}
		CHECK_NEAR(single, expect, 1e-12);
	}
	CHECK(ens > 1.5 * single);
	/* one part only: nothing to choose on */
	for (int i = 0; i < N; i++)
		part[i] = 0;
	CHECK(isnan(am_ensemble_unseen(AM_METRIC_RMSE, AM_TASK_REGRESSION, 0, y, N, part, 1, preds, 3,
								   25, &single)) && isnan(single));
}

/*
 * A search reports the check when the ensemble beat the best trial on the
 * pooled folds, and keeps the ensemble only when the check agrees.
 */
static void
test_search_ensemble_unseen(void)
{
	static const char *const names[] = {"linear", "naive_bayes", "tree", "knn"};
	int			checked = 0;

	for (int seed = 1; seed <= 4; seed++)
	{
		AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, 11);
		AmSchema   *s;
		AmTrainOptions o;
		AmSearchConfig cfg;
		AmSearchResult *r;
		AmErr		err;

		/* a target of coin flips: the pooled folds' best ensembles fit noise */
		coin_flip_targets(d, (uint64_t) seed);
		s = schema_for(d);
		search_config(&cfg, &o, d, s);
		add_families(&cfg, names, 4);
		cfg.max_trials = 40;
		r = am_search_run(&cfg, &err);
		CHECK(r != NULL);
		if (r == NULL)
			continue;
		if (r->ensemble_score > r->trials[r->best].score + 1e-3)
		{
			checked++;
			CHECK(!isnan(r->unseen_ensemble_score) && !isnan(r->unseen_single_score));
			if (r->is_ensemble)
				CHECK(r->unseen_ensemble_score > r->unseen_single_score);
			if (r->unseen_ensemble_score <= r->unseen_single_score)
				CHECK(!r->is_ensemble);
		}
		else
			CHECK(!r->is_ensemble && isnan(r->unseen_ensemble_score));
	}
	CHECK(checked > 0);
}

/*
 * "prefer_simpler": the same search, then the best trial of the simplest
 * family within one standard error of the winner (trial or ensemble) kept
 * in its place; no simpler family's best comes that close.
 */
static void
test_search_prefer_simpler(void)
{
	static const char *const names[] = {"gbm", "forest", "knn", "linear"};
	int			switched = 0;

	for (int seed = 1; seed <= 6; seed++)
	{
		AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, (uint64_t) seed);
		AmSchema   *s;
		AmTrainOptions o;
		AmSearchConfig cfg;
		AmSearchResult *plain,
				   *simple;
		AmErr		err;
		double		se,
					bound;
		int			kept;

		if (seed > 3)			/* coin flips: every family within the folds' noise of the winner */
			coin_flip_targets(d, (uint64_t) seed);
		s = schema_for(d);
		search_config(&cfg, &o, d, s);
		add_families(&cfg, names, 4);
		cfg.max_trials = 24;
		plain = am_search_run(&cfg, &err);
		o.prefer_simpler = true;
		simple = am_search_run(&cfg, &err);
		CHECK(plain != NULL && simple != NULL);
		if (plain == NULL || simple == NULL)
			continue;
		CHECK(plain->simpler_than == -1);
		/* the same trials either way */
		CHECK(plain->n_trials == simple->n_trials);
		for (int i = 0; i < plain->n_trials; i++)
			CHECK(plain->trials[i].score == simple->trials[i].score ||
				  plain->trials[i].status != AM_TRIAL_OK);
		if (simple->simpler_than == -1)
		{
			CHECK(simple->best == plain->best && simple->is_ensemble == plain->is_ensemble);
			continue;
		}
		switched++;
		CHECK(!simple->is_ensemble);
		CHECK(simple->simpler_than == (plain->is_ensemble ? AM_SIMPLER_THAN_ENSEMBLE : plain->best));
		se = plain->score_std / sqrt((double) plain->trials[plain->best].n_folds);
		bound = plain->score - se;
		kept = simple->trials[simple->best].family->complexity;
		CHECK(simple->score == simple->trials[simple->best].score && simple->score >= bound);
		CHECK(kept < (plain->is_ensemble ? 5 : plain->trials[plain->best].family->complexity));
		/* nothing simpler, nor better of the same simplicity, was that close */
		for (int i = 0; i < simple->n_trials; i++)
		{
			const AmTrial *t = &simple->trials[i];

			if (t->status != AM_TRIAL_OK || t->score < bound)
				continue;
			CHECK(t->family->complexity >= kept);
			if (t->family->complexity == kept)
				CHECK(t->score <= simple->score);
		}
		/* the final model is the kept trial's */
		CHECK(strcmp(simple->model->family->name, simple->trials[simple->best].family->name) == 0 ||
			  strcmp(simple->model->family->name, "ensemble") == 0);
	}
	CHECK(switched > 0);
}

/* The result names the limit that ended the search. */
static void
test_search_ended_by(void)
{
	static const char *const names[] = {"linear", "knn", "tree"};
	AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, 3);
	AmSchema   *s = schema_for(d);
	AmTrainOptions o;
	AmSearchConfig cfg;
	AmSearchResult *res;
	AmErr		err;

	search_config(&cfg, &o, d, s);
	add_families(&cfg, names, 3);
	cfg.max_trials = 3;
	res = am_search_run(&cfg, &err);
	CHECK(res != NULL && res->n_trials == 3 && res->ended_by == AM_END_MAX_TRIALS);
	CHECK(strcmp(am_search_end_name(AM_END_MAX_TRIALS), "max_trials") == 0);

	/* a search that runs its course: every family converged or retired */
	cfg.max_trials = 500;
	res = am_search_run(&cfg, &err);
	CHECK(res != NULL && res->n_trials < 500 && res->ended_by == AM_END_FAMILIES_DONE);

	o.patience = 3;
	res = am_search_run(&cfg, &err);
	CHECK(res != NULL && res->ended_by == AM_END_PATIENCE);
	CHECK(strcmp(am_search_end_name(res->ended_by), "patience") == 0);

	/* the time budget ends it, after the first trial, which runs regardless */
	o.patience = 0;
	cfg.max_trials = 0;
	cfg.time_budget = 1e-6;
	res = am_search_run(&cfg, &err);
	CHECK(res != NULL && res->n_trials == 1 && res->best == 0 && res->ended_by == AM_END_TIME_BUDGET);
}

/*
 * "patience": the search ends after that many trials without the best
 * gaining a standard error (cumulatively) since its last gain; the trials it
 * ran are the first ones of the same search without it.
 */
static void
test_search_patience(void)
{
	static const char *const names[] = {"linear", "knn", "tree"};
	AmDataset  *d = linear_dataset(300, AM_TASK_BINARY, 3);
	AmSchema   *s = schema_for(d);
	AmTrainOptions o;
	AmSearchConfig cfg;
	AmSearchResult *all,
			   *patient;
	AmErr		err;
	int			gain_trial = -1,
				best = -1;
	double		gain_score = 0.0;

	search_config(&cfg, &o, d, s);
	add_families(&cfg, names, 3);
	cfg.max_trials = 80;
	all = am_search_run(&cfg, &err);
	o.patience = 6;
	patient = am_search_run(&cfg, &err);
	CHECK(all != NULL && patient != NULL);
	if (all == NULL || patient == NULL)
		return;
	CHECK(all->ended_by != AM_END_PATIENCE);
	CHECK(patient->ended_by == AM_END_PATIENCE && patient->n_trials < all->n_trials);
	for (int i = 0; i < patient->n_trials; i++)
		CHECK(am_params_equal(&patient->trials[i].params, &all->trials[i].params));
	/* the rule, replayed over the trials */
	for (int i = 0; i < patient->n_trials; i++)
	{
		const AmTrial *t = &patient->trials[i];

		if (t->status != AM_TRIAL_OK || (best >= 0 && t->score <= patient->trials[best].score))
			continue;
		best = i;
		if (gain_trial < 0 || t->score - gain_score >= t->score_std / sqrt((double) t->n_folds))
		{
			gain_trial = i;
			gain_score = t->score;
		}
	}
	CHECK(patient->n_trials - 1 - gain_trial == 6);
	CHECK(patient->best == best);
	/* resumed, the search has patience anew: new trials follow the old ones */
	cfg.history = patient->trials;
	cfg.n_history = patient->n_trials;
	{
		AmSearchResult *resumed = am_search_run(&cfg, &err);

		CHECK(resumed != NULL && resumed->n_trials >= patient->n_trials + 6);
	}
}

/* Greedy selection picks the better of two predictors, and can mix them. */
static void
test_ensemble_select(void)
{
	double		y[8] = {0, 0, 0, 0, 1, 1, 1, 1};
	double		good[8] = {0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9};
	double		bad[8] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
	double	   *preds[2] = {bad, good};
	int			counts[2];
	double		score = am_ensemble_select(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, y, 8, preds, 2,
										   5, counts);

	CHECK(counts[1] >= 1);
	CHECK_NEAR(score, am_metric_score(AM_METRIC_ROC_AUC, AM_TASK_BINARY, 2, y, good, 8, NULL), 1e-12);
	{
		double		w[2] = {1, 1},
					out[8];

		am_ensemble_combine(AM_TASK_BINARY, 2, preds, w, 2, 8, out);
		/* margin average: logit(0.5) = 0, so the result is sigmoid(logit(good) / 2) */
		CHECK_NEAR(out[0], 1 / (1 + exp(-0.5 * log(0.1 / 0.9))), 1e-12);
	}
}

/*
 * The score selection reports is the score of its counts as weights, for
 * every task: the running sums it keeps are the weighted mean margins.
 */
static void
test_ensemble_select_counts(void)
{
	AmTask		tasks[3] = {AM_TASK_BINARY, AM_TASK_MULTICLASS, AM_TASK_REGRESSION};
	AmMetric	metrics[3] = {AM_METRIC_LOG_LOSS, AM_METRIC_LOG_LOSS, AM_METRIC_RMSE};
	AmRng		rng;

	am_rng_seed(&rng, 17);
	for (int k = 0; k < 3; k++)
	{
		int			n = 60,
					n_classes = tasks[k] == AM_TASK_MULTICLASS ? 3 : 2,
					outs = am_task_outputs(tasks[k], n_classes);
		double		y[60],
					store[5][60 * 3],
					out[60 * 3],
					w[5];
		double	   *preds[5];
		int			counts[5],
					used = 0;
		double		score;

		for (int i = 0; i < n; i++)
			y[i] = tasks[k] == AM_TASK_REGRESSION ? am_rng_normal(&rng) : (double) (i % n_classes);
		for (int c = 0; c < 5; c++)
		{
			preds[c] = store[c];
			for (int i = 0; i < n; i++)
			{
				double		sum = 0.0;

				for (int o = 0; o < outs; o++)
				{
					double		signal = tasks[k] == AM_TASK_BINARY ? y[i] :
						tasks[k] == AM_TASK_REGRESSION ? y[i] : (double) (y[i] == o);

					store[c][i * outs + o] = 0.2 + signal + 0.8 * am_rng_uniform(&rng);
					sum += store[c][i * outs + o];
				}
				for (int o = 0; o < outs; o++)
				{
					if (tasks[k] == AM_TASK_BINARY)
						store[c][i * outs + o] /= 2.1;
					else if (tasks[k] == AM_TASK_MULTICLASS)
						store[c][i * outs + o] /= sum;
				}
			}
		}
		score = am_ensemble_select(metrics[k], tasks[k], n_classes, y, n, preds, 5, 12, counts);
		for (int c = 0; c < 5; c++)
		{
			w[c] = counts[c];
			used += counts[c];
		}
		CHECK(used >= 1 && used <= 12);
		am_ensemble_combine(tasks[k], n_classes, preds, w, 5, n, out);
		CHECK_NEAR(score, am_metric_score(metrics[k], tasks[k], n_classes, y, out, n, NULL), 1e-9);
	}
}

static int
cmp_double_ref(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* am_sort_doubles() against qsort: signs, zeros, infinities, ties, payload. */
static void
test_sort_doubles(void)
{
	AmRng		rng;
	int			sizes[] = {0, 1, 2, 63, 64, 65, 1000, 100000};

	am_rng_seed(&rng, 5);
	for (int si = 0; si < (int) (sizeof(sizes) / sizeof(sizes[0])); si++)
	{
		int			n = sizes[si];
		double	   *v = malloc(sizeof(double) * (n + 1));
		double	   *ref = malloc(sizeof(double) * (n + 1));
		double	   *orig = malloc(sizeof(double) * (n + 1));
		double	   *w = malloc(sizeof(double) * (n + 1));
		uint64_t   *keys = malloc(sizeof(uint64_t) * 2 * (n + 1));
		int		   *idx = malloc(sizeof(int) * (n + 1));
		bool		ok = true;

		for (int i = 0; i < n; i++)
		{
			switch (i % 7)
			{
				case 0: v[i] = -0.0; break;
				case 1: v[i] = (double) (i % 13); break;	/* ties */
				case 2: v[i] = -INFINITY; break;
				case 3: v[i] = INFINITY; break;
				default: v[i] = (am_rng_uniform(&rng) - 0.5) * pow(10, (int) (am_rng_uniform(&rng) * 40) - 20);
			}
			w[i] = orig[i] = ref[i] = v[i];
			idx[i] = i;
		}
		qsort(ref, n, sizeof(double), cmp_double_ref);
		am_sort_doubles(v, idx, n);
		am_sort_doubles_in(w, n, keys);
		for (int i = 0; i < n; i++)
			ok &= (v[i] == ref[i]) && orig[idx[i]] == v[i] && w[i] == v[i];
		CHECK(ok);
		free(w);
		free(keys);
		free(v);
		free(ref);
		free(orig);
		free(idx);
	}
}

typedef struct PoolCheck
{
	int			n_threads;
	int		   *done_by;		/* per task: the thread that ran it, plus one */
	long	   *sums;			/* per task: its own slot */
} PoolCheck;

static void
pool_task(void *arg, int task, int thread)
{
	PoolCheck  *pc = arg;
	long		s = 0;

	for (int i = 0; i <= task * 1000; i++)
		s += i;
	pc->sums[task] = s;
	pc->done_by[task] = (thread >= 0 && thread < pc->n_threads) ? thread + 1 : -1;
}

/* am_pool_for runs every task once (in slices too), on a thread number below its width. */
static void
test_pool_for(void)
{
	int			saved = am_test_threads;

	for (int threads = 1; threads <= 3; threads++)
	{
		PoolCheck	pc;
		int			n_tasks = 200;

		am_test_threads = threads;
		pc.n_threads = am_pool_width(n_tasks);
		CHECK(pc.n_threads == threads);
		pc.done_by = AM_NEW0(int, n_tasks);
		pc.sums = AM_NEW0(long, n_tasks);
		am_pool_for(pc.n_threads, n_tasks, threads == 2 ? 7 : 0, pool_task, &pc);
		for (int t = 0; t < n_tasks; t++)
		{
			CHECK(pc.done_by[t] >= 1);
			CHECK(pc.sums[t] == (long) t * 1000 * (t * 1000 + 1) / 2);
		}
		am_free(pc.done_by);
		am_free(pc.sums);
	}
	CHECK(am_pool_width(1) == 1);
	am_test_threads = saved;
}

/*
 * The data fingerprint: the value stored by earlier versions (so a resumed
 * run still finds their trials), whatever the threads or the row order,
 * and another value when one cell changes.
 */
static void
test_fingerprint(void)
{
	AmDataset	d = {0};
	AmRng		rng;
	int			n = 200003,
				p = 5,
				saved = am_test_threads;
	uint64_t	one,
				two;

	am_rng_seed(&rng, 11);
	d.n_rows = n;
	d.n_features = p;
	d.x = AM_NEW(double *, p);
	d.y = AM_NEW(double, n);
	for (int j = 0; j < p; j++)
	{
		d.x[j] = AM_NEW(double, n);
		for (int i = 0; i < n; i++)
			d.x[j][i] = (i % 17 == j) ? NAN : am_rng_normal(&rng);
	}
	for (int i = 0; i < n; i++)
		d.y[i] = (double) (i % 3);
	am_test_threads = 1;
	one = am_dataset_fingerprint(&d);
	am_test_threads = 2;
	two = am_dataset_fingerprint(&d);
	CHECK(one == UINT64_C(8599945436169208237));
	CHECK(two == one);
	/* rows swapped: the same; one cell changed: another */
	for (int j = 0; j < p; j++)
	{
		double		t = d.x[j][0];

		d.x[j][0] = d.x[j][n - 1];
		d.x[j][n - 1] = t;
	}
	{
		double		t = d.y[0];

		d.y[0] = d.y[n - 1];
		d.y[n - 1] = t;
	}
	CHECK(am_dataset_fingerprint(&d) == one);
	d.x[2][77] += 1e-9;
	CHECK(am_dataset_fingerprint(&d) != one);
	am_test_threads = saved;
	for (int j = 0; j < p; j++)
		am_free(d.x[j]);
	am_free(d.x);
	am_free(d.y);
}

int
main(void)
{
	RUN(test_sort_doubles);
	RUN(test_json);
	RUN(test_reader);
	RUN(test_options);
	RUN(test_metrics);
	RUN(test_folds);
	RUN(test_prep);
	RUN(test_ridge_exact);
	RUN(test_logistic_and_roundtrip);
	RUN(test_contributions);
	RUN(test_search_space);
	RUN(test_search_run);
	RUN(test_search_fold_models);
	RUN(test_search_pruning);
	RUN(test_search_repeats);
	RUN(test_search_ensemble_unseen);
	RUN(test_search_prefer_simpler);
	RUN(test_search_patience);
	RUN(test_search_ended_by);
	RUN(test_ensemble_select);
	RUN(test_ensemble_unseen);
	RUN(test_ensemble_select_counts);
	RUN(test_diagnose_leak);
	RUN(test_spread_rows);
	RUN(test_pool_for);
	RUN(test_fingerprint);
	return unit_report("test_core");
}
