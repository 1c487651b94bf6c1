/*
 * test_families.c
 *	  Unit tests of the "knn", "naive_bayes", "mlp" and "kernel" families
 *	  without a server:
 *	  exact small cases, agreement with naive reference implementations,
 *	  learning synthetic tasks, serialization (round trip and corruption),
 *	  contributions, single-row against batch scoring, and bad inputs.
 */
#include <stdlib.h>

#include "buf.h"
#include "kernels.h"
#include "metrics.h"
#include "model.h"
#include "prep.h"
#include "rng.h"
#include "search.h"
#include "unit.h"

/* ---------- helpers ---------- */

static const AmFamily *
family(const char *name)
{
	const AmFamily *f = am_family_lookup(name);

	if (f == NULL)
	{
		fprintf(stderr, "family %s is not registered\n", name);
		exit(1);
	}
	return f;
}

/* A dataset of n rows and p features, all numeric, zero-filled. */
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
	d->n_classes = task == AM_TASK_REGRESSION ? 0 : n_classes;
	return d;
}

static void
dataset_categorical(AmDataset *d, int j, int n_codes)
{
	d->categorical[j] = true;
	d->n_codes[j] = n_codes;
}

/* A schema matching a dataset (levels "l0", "l1", ...; classes "c0", ...). */
static AmSchema *
schema_for(const AmDataset *d)
{
	AmSchema   *s = AM_NEW0(AmSchema, 1);
	char		buf[32];

	s->n_columns = d->n_features;
	s->columns = AM_NEW0(AmSourceColumn, d->n_features);
	s->n_features = d->n_features;
	s->features = AM_NEW0(AmFeature, d->n_features);
	for (int j = 0; j < d->n_features; j++)
	{
		snprintf(buf, sizeof(buf), "x%d", j);
		s->columns[j].name = am_strdup(buf);
		s->columns[j].kind = d->categorical[j] ? AM_SRC_CATEGORICAL : AM_SRC_NUMERIC;
		s->columns[j].type_name = "t";
		s->features[j].name = s->columns[j].name;
		s->features[j].source = j;
		s->features[j].categorical = d->categorical[j];
		if (d->categorical[j])
		{
			s->features[j].n_levels = d->n_codes[j] - 1;
			s->features[j].levels = AM_NEW0(char *, d->n_codes[j]);
			for (int l = 0; l < d->n_codes[j] - 1; l++)
			{
				snprintf(buf, sizeof(buf), "l%d", l);
				s->features[j].levels[l] = am_strdup(buf);
			}
		}
	}
	s->target = "y";
	s->target_type = "t";
	s->task = d->task;
	s->n_classes = d->n_classes;
	s->classes = AM_NEW0(char *, d->n_classes > 0 ? d->n_classes : 1);
	for (int c = 0; c < d->n_classes; c++)
	{
		snprintf(buf, sizeof(buf), "c%d", c);
		s->classes[c] = am_strdup(buf);
	}
	return s;
}

/* The dataset's features as a column-major n x p matrix. */
static double *
raw_matrix(const AmDataset *d)
{
	double	   *x = AM_NEW(double, (size_t) d->n_rows * d->n_features);

	for (int j = 0; j < d->n_features; j++)
		memcpy(x + (size_t) j * d->n_rows, d->x[j], sizeof(double) * d->n_rows);
	return x;
}

static AmModel *
fit_model(const AmDataset *d, const char *name, AmParams *p, const int *rows, int n)
{
	AmErr		err;
	AmModel    *m;

	am_err_clear(&err);
	m = am_model_fit(d, schema_for(d), family(name), p, rows, n, NULL, NULL, 42, &err);
	if (m == NULL)
		fprintf(stderr, "fit of %s failed: %s\n", name, err.msg);
	return m;
}

/* A family-level fit on a dense matrix given directly (no preprocessing). */
static void *
fit_dense(const char *name, AmTask task, int n_classes, const double *x, int n, int p,
		  const double *y, const double *w, AmParams *params, AmErr *err)
{
	AmFitInput	in;
	const AmFamily *f = family(name);

	memset(&in, 0, sizeof(in));
	in.task = task;
	in.n_classes = n_classes;
	in.n = n;
	in.p = p;
	in.x = x;
	in.ld = (size_t) n;
	in.y = y;
	in.w = w;
	in.seed = 7;
	in.threads = 1;
	am_family_complete_params(f, params);
	return f->fit(&in, params, err);
}

/* A family-level fit on the raw features of some dataset rows. */
static void *
fit_raw(const char *name, const AmDataset *d, const double *w, AmParams *params, AmErr *err)
{
	AmFitInput	in;
	const AmFamily *f = family(name);
	int		   *rows = AM_NEW(int, d->n_rows);

	for (int i = 0; i < d->n_rows; i++)
		rows[i] = i;
	memset(&in, 0, sizeof(in));
	in.task = d->task;
	in.n_classes = d->n_classes;
	in.n = d->n_rows;
	in.p = d->n_features;
	in.data = d;
	in.rows = rows;
	in.y = d->y;
	in.w = w;
	in.seed = 7;
	in.threads = 1;
	am_family_complete_params(f, params);
	return f->fit(&in, params, err);
}

static double
accuracy_of(const AmDataset *d, const double *pred, const int *rows, int n)
{
	int			correct = 0;
	int			k = d->n_classes;

	for (int t = 0; t < n; t++)
	{
		int			i = rows[t];
		int			best = 0;

		if (d->task == AM_TASK_BINARY)
			best = pred[t] > 0.5;
		else
			for (int c = 1; c < k; c++)
				if (pred[(size_t) t * k + c] > pred[(size_t) t * k + best])
					best = c;
		correct += best == (int) d->y[i];
	}
	return (double) correct / n;
}

/* Predict the given rows of a dataset through a complete model. */
static double *
predict_rows(AmModel *m, const AmDataset *d, const int *rows, int n)
{
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *x = AM_NEW(double, (size_t) n * d->n_features);
	double	   *out = AM_NEW(double, (size_t) n * outs);

	for (int j = 0; j < d->n_features; j++)
		for (int t = 0; t < n; t++)
			x[(size_t) j * n + t] = d->x[j][rows[t]];
	am_model_predict(m, x, (size_t) n, n, out);
	free(x);
	return out;
}

/*
 * Every single-byte change (three XOR patterns) and every truncation of a
 * family payload is rejected or yields a model whose predictions of the
 * given rows are finite; returns how many changes were accepted.
 */
static int
corrupt_family_payload(const AmFamily *f, const void *model, int p, AmTask task,
					   int n_classes, const double *x, size_t ld, int n)
{
	AmWriter	w;
	uint8_t    *copy;
	int			accepted = 0;
	int			outs = am_task_outputs(task, n_classes);
	double	   *out = AM_NEW(double, (size_t) n * outs);
	static const uint8_t patterns[] = {0x01, 0x80, 0xFF};

	am_w_init(&w);
	f->serialize(model, &w);
	copy = AM_NEW(uint8_t, w.len + 1);
	for (size_t i = 0; i < w.len; i++)
	{
		for (size_t t = 0; t < sizeof(patterns); t++)
		{
			AmReader	r;
			AmErr		err;
			void	   *m2;

			memcpy(copy, w.data, w.len);
			copy[i] ^= patterns[t];
			am_err_clear(&err);
			am_r_init(&r, copy, w.len);
			m2 = f->deserialize(&r, p, task, n_classes, &err);
			if (m2 != NULL && am_r_ok(&r) && am_r_remaining(&r) == 0)
			{
				bool		finite = true;

				accepted++;
				f->predict(m2, x, ld, n, out);
				for (int o = 0; o < n * outs; o++)
					finite = finite && isfinite(out[o]);
				CHECK(finite);
			}
			else
				CHECK(m2 == NULL ? err.kind == AM_ERR_CORRUPT : true);
		}
	}
	for (size_t len = 0; len < w.len; len++)
	{
		AmReader	r;
		AmErr		err;
		void	   *m2;

		am_r_init(&r, w.data, len);
		m2 = f->deserialize(&r, p, task, n_classes, &err);
		CHECK(m2 == NULL || !am_r_ok(&r) || am_r_remaining(&r) != 0);
	}
	/* a dimension mismatch with the schema is refused */
	{
		AmReader	r;
		AmErr		err;

		am_r_init(&r, w.data, w.len);
		CHECK(f->deserialize(&r, p + 1, task, n_classes, &err) == NULL);
	}
	free(copy);
	free(out);
	free(w.data);
	return accepted;
}

/* Whole-model round trip: bytes out, bytes in, identical predictions. */
static void
check_model_roundtrip(AmModel *m, const AmDataset *d)
{
	AmWriter	w;
	AmErr		err;
	AmModel    *m2;
	int			n = d->n_rows;
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *x = raw_matrix(d);
	double	   *p1 = AM_NEW(double, (size_t) n * outs),
			   *p2 = AM_NEW(double, (size_t) n * outs);
	uint8_t    *copy;
	int			accepted = 0;

	am_w_init(&w);
	am_model_serialize(m, &w);
	m2 = am_model_deserialize(w.data, w.len, &err);
	CHECK(m2 != NULL);
	if (m2 == NULL)
		return;
	am_model_predict(m, x, (size_t) n, n, p1);
	am_model_predict(m2, x, (size_t) n, n, p2);
	CHECK(memcmp(p1, p2, sizeof(double) * n * outs) == 0);
	/* serializing again gives the same bytes */
	{
		AmWriter	w2;

		am_w_init(&w2);
		am_model_serialize(m2, &w2);
		CHECK(w2.len == w.len && memcmp(w.data, w2.data, w.len) == 0);
		free(w2.data);
	}
	/* the container's checksum catches every single-byte change */
	copy = AM_NEW(uint8_t, w.len);
	for (size_t i = 0; i < w.len; i += (w.len > 20000 ? 7 : 1))
	{
		memcpy(copy, w.data, w.len);
		copy[i] ^= 0x5A;
		if (am_model_deserialize(copy, w.len, &err) != NULL)
			accepted++;
	}
	CHECK(accepted == 0);
	free(copy);
	free(w.data);
	free(x);
	free(p1);
	free(p2);
}

/* Single-row scoring (n = 1, ld = 1) gives the batch's bits. */
/*
 * Families without exact contributions get sampled Shapley values: they add
 * up to the margin of the prediction (value, log-odds, log-probability) and
 * are the same on every call.
 */
static void
check_sampled_contributions(AmModel *m, const AmDataset *d, int row)
{
	int			nf = d->n_features;
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *raw = malloc(sizeof(double) * nf);
	double	   *phi = malloc(sizeof(double) * (nf + 1) * outs);
	double	   *again = malloc(sizeof(double) * (nf + 1) * outs);
	double		pred[64];

	for (int j = 0; j < nf; j++)
		raw[j] = d->x[j][row];
	CHECK(m->n_background > 0);
	CHECK(am_model_contributions(m, raw, phi));
	am_model_predict_row(m, raw, pred);
	for (int k = 0; k < outs; k++)
	{
		double		total = phi[(size_t) nf * outs + k];

		for (int j = 0; j < nf; j++)
			total += phi[(size_t) j * outs + k];
		CHECK_NEAR(total, d->task == AM_TASK_REGRESSION ? pred[k] : am_margin_of(d->task, pred[k]),
				   1e-9 * (1 + fabs(total)));
	}
	CHECK(am_model_contributions(m, raw, again));
	CHECK(memcmp(phi, again, sizeof(double) * (nf + 1) * outs) == 0);
	free(raw);
	free(phi);
	free(again);
}

static void
check_single_row(AmModel *m, const AmDataset *d, int max_rows)
{
	int			n = d->n_rows;
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *x = raw_matrix(d);
	double	   *batch = AM_NEW(double, (size_t) n * outs);
	double	   *raw = AM_NEW(double, d->n_features);
	double		one[64];
	int			same = 0,
				tried = 0;

	am_model_predict(m, x, (size_t) n, n, batch);
	for (int i = 0; i < n && i < max_rows; i++)
	{
		for (int j = 0; j < d->n_features; j++)
			raw[j] = d->x[j][i];
		am_model_predict_row(m, raw, one);
		same += memcmp(one, batch + (size_t) i * outs, sizeof(double) * outs) == 0;
		tried++;
	}
	CHECK(same == tried);
	free(x);
	free(batch);
	free(raw);
}

/* ---------- k-nearest neighbours ---------- */

/* Five points on a line, by hand. */
static void
test_knn_exact(void)
{
	double		x[] = {0, 1, 2, 3, 10};
	double		y[] = {0, 10, 20, 30, 100};
	double		q[] = {0.4, 2.5, 1.5, 0.25, 3.0, -100.0};
	double		out[6];
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	const AmFamily *f = family("knn");

	am_params_set(&p, "n_neighbors", 2);
	am_params_set(&p, "weights", 0);
	m = fit_dense("knn", AM_TASK_REGRESSION, 0, x, 5, 1, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, q, 6, 6, out);
	CHECK_NEAR(out[0], 5.0, 1e-12);		/* rows 0 and 1 */
	CHECK_NEAR(out[1], 25.0, 1e-12);	/* rows 2 and 3, equally near */
	CHECK_NEAR(out[2], 15.0, 1e-12);	/* rows 1 and 2 */
	CHECK_NEAR(out[5], 5.0, 1e-12);		/* far away: rows 0 and 1 */

	/* ties go to the lower reference row */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "n_neighbors", 1);
	m = fit_dense("knn", AM_TASK_REGRESSION, 0, x, 5, 1, y, NULL, &p, &err);
	f->predict(m, q, 6, 6, out);
	CHECK(out[1] == 20.0);		/* 2.5: rows 2 and 3 tie */
	CHECK(out[2] == 10.0);		/* 1.5: rows 1 and 2 tie */

	/* distance weighting: 1/d, and a coincident neighbour takes it all */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "n_neighbors", 2);
	am_params_set(&p, "weights", 1);
	m = fit_dense("knn", AM_TASK_REGRESSION, 0, x, 5, 1, y, NULL, &p, &err);
	f->predict(m, q, 6, 6, out);
	CHECK_NEAR(out[3], (0 * 4.0 + 10 * (4.0 / 3)) / (4.0 + 4.0 / 3), 1e-12);
	CHECK(out[4] == 30.0);
	CHECK_NEAR(out[0], (0 / 0.4 + 10 / 0.6) / (1 / 0.4 + 1 / 0.6), 1e-12);

	/* more neighbours than rows: all rows vote */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "n_neighbors", 50);
	am_params_set(&p, "weights", 0);
	m = fit_dense("knn", AM_TASK_REGRESSION, 0, x, 3, 1, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, q, 6, 6, out);
	for (int i = 0; i < 6; i++)
		CHECK_NEAR(out[i], 10.0, 1e-12);
}

/* Class frequencies with the documented floor; weights; absent classes. */
static void
test_knn_classes(void)
{
	/* 2-D points: class 0 near the origin, class 1 near (5, 5), class 2 absent */
	double		x[] = {0, 1, 0, 5, 6, 5,	/* column 0 */
	0, 0, 1, 5, 5, 6};			/* column 1 */
	double		y[] = {0, 0, 0, 1, 1, 1};
	double		w[] = {1, 1, 1, 1, 1, 0};
	double		q[] = {0.2, 4.0, 3.3, 0.1, 4.5, 2.6};	/* column-major, 3 rows */
	double		out[9];
	double		fl = 1e-6;
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	const AmFamily *f = family("knn");

	am_params_set(&p, "n_neighbors", 3);
	am_params_set(&p, "weights", 0);
	m = fit_dense("knn", AM_TASK_MULTICLASS, 3, x, 6, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, q, 3, 3, out);
	CHECK_NEAR(out[0], (1 + fl) / (1 + 3 * fl), 1e-15);
	CHECK_NEAR(out[1], fl / (1 + 3 * fl), 1e-15);
	CHECK_NEAR(out[2], fl / (1 + 3 * fl), 1e-15);	/* the absent class */
	CHECK_NEAR(out[4], (1 + fl) / (1 + 3 * fl), 1e-15);
	/* (3.3, 2.6): nearest (5,5) d^2 8.65, (1,0) 12.05, (6,5) 13.05 */
	CHECK_NEAR(out[6], (1.0 / 3 + fl) / (1 + 3 * fl), 1e-15);
	CHECK_NEAR(out[7], (2.0 / 3 + fl) / (1 + 3 * fl), 1e-15);

	/* binary output is P(class 1); a zero weight drops the row */
	memset(&p, 0, sizeof(p));
	am_params_set(&p, "n_neighbors", 3);
	am_params_set(&p, "weights", 0);
	m = fit_dense("knn", AM_TASK_BINARY, 2, x, 6, 2, y, w, &p, &err);
	CHECK(m != NULL);
	f->predict(m, q, 3, 3, out);
	/* (4.0, 4.5) without (5,6): (5,5), (6,5) and (0,1) */
	CHECK_NEAR(out[1], (2.0 / 3 + fl) / (1 + 2 * fl), 1e-15);
	CHECK_NEAR(out[2], (2.0 / 3 + fl) / (1 + 2 * fl), 1e-15);

	/* sample weights scale the votes */
	{
		double		w2[] = {1, 1, 1, 4, 4, 4};

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "n_neighbors", 3);
		am_params_set(&p, "weights", 0);
		m = fit_dense("knn", AM_TASK_BINARY, 2, x, 6, 2, y, w2, &p, &err);
		f->predict(m, q, 3, 3, out);
		CHECK_NEAR(out[2], (8.0 / 9 + fl) / (1 + 2 * fl), 1e-15);
	}

	/* invalid targets and all-zero weights are refused */
	{
		double		bad[] = {0, 0, 0, 1, 1, 3};
		double		zero[] = {0, 0, 0, 0, 0, 0};

		memset(&p, 0, sizeof(p));
		CHECK(fit_dense("knn", AM_TASK_MULTICLASS, 3, x, 6, 2, bad, NULL, &p, &err) == NULL);
		CHECK(err.kind == AM_ERR_DATA);
		CHECK(fit_dense("knn", AM_TASK_BINARY, 2, x, 6, 2, y, zero, &p, &err) == NULL);
		CHECK(fit_dense("knn", AM_TASK_BINARY, 2, x, 0, 2, y, NULL, &p, &err) == NULL);
	}
}

typedef struct RefNeighbour
{
	double		d;
	int			i;
} RefNeighbour;

static int
cmp_ref_neighbour(const void *a, const void *b)
{
	const RefNeighbour *x = a,
			   *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * The naive definition: exact distances, sorted by (distance, index), the
 * first k vote.  Returns the regression value or P(class 1).
 */
static double
knn_reference(const double *ref, int n_ref, int p, const double *y, const double *q,
			  size_t ldq, int k, bool by_distance)
{
	RefNeighbour *nb = malloc(sizeof(RefNeighbour) * n_ref);
	double		s = 0.0,
				ws = 0.0;
	bool		zero = false;

	for (int r = 0; r < n_ref; r++)
	{
		double		d = 0.0;

		for (int j = 0; j < p; j++)
		{
			double		t = q[(size_t) j * ldq] - ref[(size_t) j * n_ref + r];

			d += t * t;
		}
		nb[r].d = d;
		nb[r].i = r;
	}
	qsort(nb, n_ref, sizeof(RefNeighbour), cmp_ref_neighbour);
	if (k > n_ref)
		k = n_ref;
	for (int t = 0; t < k; t++)
		zero = zero || nb[t].d == 0.0;
	for (int t = 0; t < k; t++)
	{
		double		w = 1.0;

		if (by_distance)
			w = zero ? (nb[t].d == 0.0) : 1.0 / sqrt(nb[t].d);
		s += w * y[nb[t].i];
		ws += w;
	}
	free(nb);
	return s / ws;
}

/*
 * Random data with many duplicated and tied rows (integer grid), so both the
 * screened path and the exact-scan fallback run; against the naive version.
 */
static void
test_knn_against_reference(void)
{
	AmRng		rng;
	int			n = 3000,
				nq = 400,
				p = 4;
	double	   *x = malloc(sizeof(double) * n * p);
	double	   *y = malloc(sizeof(double) * n);
	double	   *q = malloc(sizeof(double) * nq * p);
	double	   *out = malloc(sizeof(double) * nq);
	const AmFamily *f = family("knn");
	int			ks[] = {1, 5, 17, 60};

	am_rng_seed(&rng, 11);
	for (int i = 0; i < n; i++)
	{
		bool		grid = i % 3 != 0;

		for (int j = 0; j < p; j++)
			x[(size_t) j * n + i] = grid ? (double) am_rng_below(&rng, 3) :
				am_rng_normal(&rng);
		y[i] = am_rng_uniform(&rng) * 10;
	}
	for (int i = 0; i < nq; i++)
		for (int j = 0; j < p; j++)
			q[(size_t) j * nq + i] = i % 2 ? (double) am_rng_below(&rng, 3) :
				am_rng_normal(&rng) * 1.5;
	for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++)
	{
		for (int wt = 0; wt <= 1; wt++)
		{
			AmParams	prm = {0};
			AmErr		err;
			void	   *m;
			int			bad = 0;

			am_params_set(&prm, "n_neighbors", ks[t]);
			am_params_set(&prm, "weights", wt);
			m = fit_dense("knn", AM_TASK_REGRESSION, 0, x, n, p, y, NULL, &prm, &err);
			CHECK(m != NULL);
			f->predict(m, q, nq, nq, out);
			for (int i = 0; i < nq; i++)
			{
				double		want = knn_reference(x, n, p, y, q + i, nq, ks[t], wt == 1);

				if (!(fabs(out[i] - want) <= 1e-9 * (1 + fabs(want))))
				{
					if (bad++ < 3)
						fprintf(stderr, "  k=%d weights=%d query %d: %.17g, expected %.17g\n",
								ks[t], wt, i, out[i], want);
				}
			}
			CHECK(bad == 0);
			/* one row at a time (ld = 1) gives the batch's bits */
			{
				double		row[4],
							one;
				int			same = 0;

				for (int i = 0; i < nq; i++)
				{
					for (int j = 0; j < p; j++)
						row[j] = q[(size_t) j * nq + i];
					f->predict(m, row, 1, 1, &one);
					same += memcmp(&one, &out[i], sizeof(double)) == 0;
				}
				CHECK(same == nq);
			}
		}
	}
	free(x);
	free(y);
	free(q);
	free(out);
}

/* Two interleaved half moons (classification) and a sine (regression). */
static AmDataset *
moons(int n, uint64_t seed)
{
	AmDataset  *d = dataset_new(n, 4, AM_TASK_BINARY, 2);
	AmRng		rng;

	am_rng_seed(&rng, seed);
	dataset_categorical(d, 3, 4);
	for (int i = 0; i < n; i++)
	{
		double		t = am_rng_uniform(&rng) * M_PI;
		int			c = i % 2;

		d->x[0][i] = (c ? 1 - cos(t) : cos(t)) + 0.15 * am_rng_normal(&rng);
		d->x[1][i] = (c ? 0.5 - sin(t) : sin(t)) + 0.15 * am_rng_normal(&rng);
		d->x[2][i] = 3.0;		/* constant column */
		d->x[3][i] = (double) am_rng_below(&rng, 4);	/* noise category */
		if (i % 17 == 0)
			d->x[3][i] = NAN;
		d->y[i] = c;
	}
	return d;
}

static void
split_rows(int n, int **train, int *n_train, int **test, int *n_test)
{
	*train = AM_NEW(int, n);
	*test = AM_NEW(int, n);
	*n_train = *n_test = 0;
	for (int i = 0; i < n; i++)
	{
		if (i % 5 == 4)		/* coprime with the class period of the data */
			(*test)[(*n_test)++] = i;
		else
			(*train)[(*n_train)++] = i;
	}
}

static void
test_knn_learns(void)
{
	AmDataset  *d = moons(1200, 5);
	int		   *train,
			   *test,
				n_train,
				n_test;
	AmParams	p = {0};
	AmModel    *m;
	double	   *pred;

	split_rows(d->n_rows, &train, &n_train, &test, &n_test);
	am_params_set(&p, "n_neighbors", 15);
	m = fit_model(d, "knn", &p, train, n_train);
	CHECK(m != NULL);
	pred = predict_rows(m, d, test, n_test);
	printf("knn: moons accuracy %.4f\n", accuracy_of(d, pred, test, n_test));
	CHECK(accuracy_of(d, pred, test, n_test) >= 0.95);
	check_single_row(m, d, 300);
	check_model_roundtrip(m, d);

	/* regression: y = sin(2 x0) + x1 / 2 */
	{
		AmDataset  *r = dataset_new(1500, 2, AM_TASK_REGRESSION, 0);
		AmRng		rng;
		double		sse = 0,
					sst = 0,
					mean = 0;

		am_rng_seed(&rng, 8);
		for (int i = 0; i < r->n_rows; i++)
		{
			r->x[0][i] = am_rng_uniform(&rng) * 6 - 3;
			r->x[1][i] = am_rng_uniform(&rng) * 2 - 1;
			r->y[i] = sin(2 * r->x[0][i]) + r->x[1][i] / 2 + 0.05 * am_rng_normal(&rng);
		}
		memset(&p, 0, sizeof(p));
		am_params_set(&p, "weights", 1);
		m = fit_model(r, "knn", &p, train, n_train);
		CHECK(m != NULL);
		free(pred);
		pred = predict_rows(m, r, test, n_test);
		for (int t = 0; t < n_test; t++)
			mean += r->y[test[t]] / n_test;
		for (int t = 0; t < n_test; t++)
		{
			sse += (pred[t] - r->y[test[t]]) * (pred[t] - r->y[test[t]]);
			sst += (mean - r->y[test[t]]) * (mean - r->y[test[t]]);
		}
		CHECK(1 - sse / sst > 0.95);
		check_single_row(m, r, 200);
		check_model_roundtrip(m, r);
	}
	free(pred);
}

/* Multiclass through the whole model; importance finds the signal. */
static void
test_knn_multiclass_importance(void)
{
	int			n = 900;
	AmDataset  *d = dataset_new(n, 5, AM_TASK_MULTICLASS, 3);
	AmRng		rng;
	AmParams	p = {0};
	AmModel    *m;
	double		imp[5],
				col_imp[16];

	am_rng_seed(&rng, 21);
	dataset_categorical(d, 4, 3);
	for (int i = 0; i < n; i++)
	{
		int			c = i % 3;

		d->x[0][i] = c * 2.0 + 0.5 * am_rng_normal(&rng);	/* the signal */
		d->x[1][i] = am_rng_normal(&rng);
		d->x[2][i] = am_rng_normal(&rng) * 100;
		d->x[3][i] = i % 10 == 0 ? NAN : am_rng_normal(&rng);
		d->x[4][i] = (double) am_rng_below(&rng, 3);
		d->y[i] = c;
	}
	m = fit_model(d, "knn", &p, NULL, n);
	CHECK(m != NULL);
	{
		int		   *all = AM_NEW(int, n);
		double	   *pred;

		for (int i = 0; i < n; i++)
			all[i] = i;
		pred = predict_rows(m, d, all, n);
		CHECK(accuracy_of(d, pred, all, n) > 0.85);
		for (int i = 0; i < n; i++)
		{
			double		s = pred[3 * i] + pred[3 * i + 1] + pred[3 * i + 2];

			CHECK_NEAR(s, 1.0, 1e-12);
		}
		free(pred);
		free(all);
	}
	CHECK(am_model_importance(m, AM_IMPORTANCE_GAIN, imp));
	for (int j = 1; j < 5; j++)
		CHECK(imp[0] > 5 * imp[j]);
	CHECK(!am_model_importance(m, AM_IMPORTANCE_SPLITS, imp));
	/* the same numbers every time (seeded) */
	CHECK(m->family->importance(m->fitted, AM_IMPORTANCE_GAIN, col_imp));
	{
		double		again[16];

		m->family->importance(m->fitted, AM_IMPORTANCE_GAIN, again);
		CHECK(memcmp(col_imp, again, sizeof(double) * m->prep->n_out) == 0);
	}
	check_sampled_contributions(m, d, 17);	/* not additive: sampled Shapley values */
	check_single_row(m, d, 200);
	check_model_roundtrip(m, d);

	/* regression importance */
	{
		AmDataset  *r = dataset_new(600, 3, AM_TASK_REGRESSION, 0);
		double		ri[3];

		for (int i = 0; i < r->n_rows; i++)
		{
			r->x[0][i] = am_rng_normal(&rng);
			r->x[1][i] = am_rng_normal(&rng);
			r->x[2][i] = am_rng_normal(&rng);
			r->y[i] = 3 * r->x[1][i];
		}
		memset(&p, 0, sizeof(p));
		m = fit_model(r, "knn", &p, NULL, r->n_rows);
		CHECK(am_model_importance(m, AM_IMPORTANCE_GAIN, ri));
		CHECK(ri[1] > 5 * ri[0] && ri[1] > 5 * ri[2]);
	}
}

/* max_samples bounds the model; serialization is strict. */
static void
test_knn_serialization(void)
{
	int			n = 500,
				p = 3;
	double	   *x = malloc(sizeof(double) * n * p);
	double	   *y = malloc(sizeof(double) * n);
	double	   *w = malloc(sizeof(double) * n);
	AmRng		rng;
	AmParams	prm = {0};
	AmErr		err;
	void	   *m;
	AmWriter	wr;
	const AmFamily *f = family("knn");
	int			accepted;

	am_rng_seed(&rng, 3);
	for (int i = 0; i < n * p; i++)
		x[i] = am_rng_normal(&rng);
	for (int i = 0; i < n; i++)
	{
		y[i] = (double) am_rng_below(&rng, 3);
		w[i] = 0.5 + am_rng_uniform(&rng);
	}
	am_params_set(&prm, "max_samples", 100);
	am_params_set(&prm, "n_neighbors", 7);
	m = fit_dense("knn", AM_TASK_MULTICLASS, 3, x, n, p, y, w, &prm, &err);
	CHECK(m != NULL);
	am_w_init(&wr);
	f->serialize(m, &wr);
	/* header 22 bytes, then 100 rows of 3 values, a target and a weight */
	CHECK(wr.len == 22 + (size_t) 100 * (p + 2) * 8);
	free(wr.data);

	/* the subsample is seeded: the same bytes again */
	{
		AmWriter	w1,
					w2;
		void	   *m2 = fit_dense("knn", AM_TASK_MULTICLASS, 3, x, n, p, y, w, &prm, &err);

		am_w_init(&w1);
		am_w_init(&w2);
		f->serialize(m, &w1);
		f->serialize(m2, &w2);
		CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
		free(w1.data);
		free(w2.data);
	}

	/* small model for the byte-by-byte corruption test */
	memset(&prm, 0, sizeof(prm));
	am_params_set(&prm, "max_samples", 12);
	am_params_set(&prm, "n_neighbors", 3);
	m = fit_dense("knn", AM_TASK_MULTICLASS, 3, x, n, p, y, w, &prm, &err);
	accepted = corrupt_family_payload(f, m, p, AM_TASK_MULTICLASS, 3, x, n, 50);
	printf("knn: %d of the single-byte payload changes were accepted (finite predictions)\n",
		   accepted);
	/* a corrupted class index or weight is refused */
	{
		AmWriter	w1;
		AmReader	r;
		size_t		target_at;

		am_w_init(&w1);
		f->serialize(m, &w1);
		target_at = 22 + (size_t) 12 * p * 8;
		memcpy(w1.data + target_at, &(double) {3.0}, 8);
		am_r_init(&r, w1.data, w1.len);
		CHECK(f->deserialize(&r, p, AM_TASK_MULTICLASS, 3, &err) == NULL);
		memcpy(w1.data + target_at, &(double) {0.0}, 8);
		memcpy(w1.data + target_at + 12 * 8, &(double) {-1.0}, 8);
		am_r_init(&r, w1.data, w1.len);
		CHECK(f->deserialize(&r, p, AM_TASK_MULTICLASS, 3, &err) == NULL);
		/* and the same bytes read as a regression model's targets are fine */
		memcpy(w1.data + target_at + 12 * 8, &(double) {1.0}, 8);
		am_r_init(&r, w1.data, w1.len);
		CHECK(f->deserialize(&r, p, AM_TASK_MULTICLASS, 3, &err) != NULL);
		am_r_init(&r, w1.data, w1.len);
		CHECK(f->deserialize(&r, p, AM_TASK_MULTICLASS, 2, &err) == NULL);
		free(w1.data);
	}
	free(x);
	free(y);
	free(w);
}

/* Odd inputs: constant columns, huge and non-finite queries, k > rows. */
static void
test_knn_edges(void)
{
	double		x[] = {1, 1, 1, 1, 2, 2, 2, 2};	/* 4 x 2, column 1 constant */
	double		y[] = {0, 1, 1, 0};
	double		q[] = {1, 1e300, NAN, -INFINITY, 2, 2, 2, 2};
	double		out[4];
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	const AmFamily *f = family("knn");

	am_params_set(&p, "n_neighbors", 3);
	am_params_set(&p, "weights", 1);
	m = fit_dense("knn", AM_TASK_BINARY, 2, x, 4, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, q, 4, 4, out);
	for (int i = 0; i < 4; i++)
		CHECK(isfinite(out[i]) && out[i] > 0 && out[i] < 1);
	/* all rows coincide with the first query: class 1 with 2 of 3 votes */
	CHECK_NEAR(out[0], (2.0 / 3 + 1e-6) / (1 + 2e-6), 1e-15);

	/* parameter checks */
	{
		AmParams	bad = {0};
		AmErr		e2;

		am_params_set(&bad, "n_neighbors", 30);
		am_params_set(&bad, "max_samples", 20);
		CHECK(!am_family_check_params(f, &bad, AM_TASK_BINARY, &e2));
		memset(&bad, 0, sizeof(bad));
		am_params_set(&bad, "weights", 2);
		CHECK(!am_family_check_params(f, &bad, AM_TASK_BINARY, &e2));
		memset(&bad, 0, sizeof(bad));
		am_params_set(&bad, "n_neighbors", 2.5);
		CHECK(!am_family_check_params(f, &bad, AM_TASK_BINARY, &e2));
		memset(&bad, 0, sizeof(bad));
		am_params_set(&bad, "n_neighbors", 9);
		am_params_set(&bad, "weights", 1);
		CHECK(am_family_check_params(f, &bad, AM_TASK_REGRESSION, &e2));
	}
}

/* ---------- naive Bayes ---------- */

static double
gauss_log(double x, double mean, double var)
{
	return -0.5 * log(2 * M_PI * var) - (x - mean) * (x - mean) / (2 * var);
}

/*
 * A tiny data set by hand: x0 numeric, x1 categorical (codes 0, 1 and
 * "other" 2), classes 0 and 1.  Row 2 misses x0, row 4 misses x1.
 */
static void
test_nb_exact(void)
{
	AmDataset  *d = dataset_new(6, 2, AM_TASK_BINARY, 2);
	double		x0[] = {1, 2, NAN, 3, 6, 8};
	double		x1[] = {0, 0, 1, 1, NAN, 1};
	double		y[] = {0, 0, 0, 0, 1, 1};
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	const AmFamily *f = family("naive_bayes");
	double		vs = 0.1,
				alpha = 0.5;
	double		mean_all = (1 + 2 + 3 + 6 + 8) / 5.0,
				var_all = 0,
				eps;
	double		m0 = 2.0,
				v0 = 2.0 / 3,
				m1 = 7.0,
				v1 = 1.0;
	double		q[] = {4.0, 0.0};	/* x0, x1 of one row (stride 1) */
	double		out,
				want_margin;

	memcpy(d->x[0], x0, sizeof(x0));
	memcpy(d->x[1], x1, sizeof(x1));
	memcpy(d->y, y, sizeof(y));
	dataset_categorical(d, 1, 3);
	for (int i = 0; i < 6; i++)
		if (!isnan(x0[i]))
			var_all += (x0[i] - mean_all) * (x0[i] - mean_all) / 5;
	eps = vs * var_all;
	am_params_set(&p, "var_smoothing", vs);
	am_params_set(&p, "alpha", alpha);
	m = fit_raw("naive_bayes", d, NULL, &p, &err);
	CHECK(m != NULL);

	/* log P(1|x) - log P(0|x) */
	want_margin = log(2.0 / 6) - log(4.0 / 6) +
		gauss_log(4.0, m1, v1 + eps) - gauss_log(4.0, m0, v0 + eps) +
		log((0 + alpha) / (1 + 3 * alpha)) - log((2 + alpha) / (4 + 3 * alpha));
	f->predict(m, q, 1, 1, &out);
	CHECK_NEAR(out, 1 / (1 + exp(-want_margin)), 1e-14);

	/* a missing number is left out; so is a missing category */
	{
		double		qm[] = {NAN, 1.0};

		want_margin = log(2.0 / 6) - log(4.0 / 6) +
			log((1 + alpha) / (1 + 3 * alpha)) - log((2 + alpha) / (4 + 3 * alpha));
		f->predict(m, qm, 1, 1, &out);
		CHECK_NEAR(out, 1 / (1 + exp(-want_margin)), 1e-14);
		qm[0] = 7.5;
		qm[1] = NAN;
		want_margin = log(2.0 / 6) - log(4.0 / 6) +
			gauss_log(7.5, m1, v1 + eps) - gauss_log(7.5, m0, v0 + eps);
		f->predict(m, qm, 1, 1, &out);
		CHECK_NEAR(out, 1 / (1 + exp(-want_margin)), 1e-13);
		/* an infinite number counts as missing too */
		qm[0] = INFINITY;
		f->predict(m, qm, 1, 1, &out);
		CHECK_NEAR(out, 2.0 / 6, 1e-14);
	}

	/* unseen categories (any code past the last level, or negative) are "other" */
	{
		double		qa[] = {4.0, 2.0},
					qb[] = {4.0, 17.0},
					qc[] = {4.0, -3.0},
					oa,
					ob,
					oc;

		f->predict(m, qa, 1, 1, &oa);
		f->predict(m, qb, 1, 1, &ob);
		f->predict(m, qc, 1, 1, &oc);
		CHECK(oa == ob && oa == oc);
		want_margin = log(2.0 / 6) - log(4.0 / 6) +
			gauss_log(4.0, m1, v1 + eps) - gauss_log(4.0, m0, v0 + eps) +
			log((0 + alpha) / (1 + 3 * alpha)) - log((0 + alpha) / (4 + 3 * alpha));
		CHECK_NEAR(oa, 1 / (1 + exp(-want_margin)), 1e-14);
	}

	/* contributions: sigmoid(sum) is predict, and the terms are as above */
	{
		double		phi[3],
					sum;

		CHECK(f->contributions(m, q, phi));
		sum = phi[0] + phi[1] + phi[2];
		f->predict(m, q, 1, 1, &out);
		CHECK_NEAR(1 / (1 + exp(-sum)), out, 1e-12);
		CHECK_NEAR(phi[2], log(2.0 / 6) - log(4.0 / 6), 1e-14);
		CHECK_NEAR(phi[0], gauss_log(4.0, m1, v1 + eps) - gauss_log(4.0, m0, v0 + eps), 1e-12);
	}

	/* importance: mean |log-likelihood ratio| over the training rows */
	{
		double		imp[2],
					want = 0;

		for (int i = 0; i < 6; i++)
			if (!isnan(x1[i]))
			{
				int			c = (int) x1[i];
				double		n0 = 2,
							n1 = c == 0 ? 0 : 1;

				want += fabs(log((n1 + alpha) / (1 + 3 * alpha)) -
							 log((n0 + alpha) / (4 + 3 * alpha))) / 6;
			}
		CHECK(f->importance(m, AM_IMPORTANCE_GAIN, imp));
		CHECK_NEAR(imp[1], want, 1e-12);
		CHECK(imp[0] > 0);
		CHECK(!f->importance(m, AM_IMPORTANCE_SPLITS, imp));
	}
}

/* Three classes by hand, one of them absent from the training rows. */
static void
test_nb_multiclass_exact(void)
{
	AmDataset  *d = dataset_new(5, 1, AM_TASK_MULTICLASS, 4);
	double		x0[] = {0, 1, 5, 6, 10};
	double		y[] = {0, 0, 1, 1, 3};	/* class 2 absent; class 3 one row */
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	const AmFamily *f = family("naive_bayes");
	double		mean_all = 22.0 / 5,
				var_all = 0,
				eps;
	double		q = 4.0,
				out[4],
				want[4],
				mg[4],
				mx = -INFINITY,
				se = 0;

	memcpy(d->x[0], x0, sizeof(x0));
	memcpy(d->y, y, sizeof(y));
	for (int i = 0; i < 5; i++)
		var_all += (x0[i] - mean_all) * (x0[i] - mean_all) / 5;
	eps = 1e-9 * var_all;
	m = fit_raw("naive_bayes", d, NULL, &p, &err);
	CHECK(m != NULL);
	mg[0] = log(2.0 / 5) + gauss_log(q, 0.5, 0.25 + eps);
	mg[1] = log(2.0 / 5) + gauss_log(q, 5.5, 0.25 + eps);
	mg[2] = log(1e-12) + gauss_log(q, mean_all, var_all + eps);	/* pooled */
	/* one row: variance 0, so eps alone */
	mg[3] = log(1.0 / 5) + gauss_log(q, 10, eps);
	for (int c = 0; c < 4; c++)
		mx = fmax(mx, mg[c]);
	for (int c = 0; c < 4; c++)
		se += exp(mg[c] - mx);
	for (int c = 0; c < 4; c++)
		want[c] = exp(mg[c] - mx) / se;
	f->predict(m, &q, 1, 1, out);
	for (int c = 0; c < 4; c++)
		CHECK_NEAR(out[c], want[c], 1e-13);
	CHECK(out[2] > 0 && out[2] < 1e-10);
	CHECK(isfinite(out[3]));

	/* contributions: softmax of the sums is predict */
	{
		double		phi[8],
					s[4];

		CHECK(f->contributions(m, &q, phi));
		mx = -INFINITY;
		se = 0;
		for (int c = 0; c < 4; c++)
			mx = fmax(mx, s[c] = phi[c] + phi[4 + c]);
		for (int c = 0; c < 4; c++)
			se += exp(s[c] - mx);
		for (int c = 0; c < 4; c++)
			CHECK_NEAR(exp(s[c] - mx) / se, out[c], 1e-12);
	}

	/* weights: a weight of 2 is the row twice */
	{
		AmDataset  *d2 = dataset_new(6, 1, AM_TASK_MULTICLASS, 4);
		double		x2[] = {0, 1, 5, 6, 10, 10};
		double		y2[] = {0, 0, 1, 1, 3, 3};
		double		w[] = {1, 1, 1, 1, 2};
		double		o1[4],
					o2[4];
		void	   *ma,
				   *mb;

		memcpy(d2->x[0], x2, sizeof(x2));
		memcpy(d2->y, y2, sizeof(y2));
		memset(&p, 0, sizeof(p));
		am_params_set(&p, "var_smoothing", 0.01);
		ma = fit_raw("naive_bayes", d, w, &p, &err);
		mb = fit_raw("naive_bayes", d2, NULL, &p, &err);
		for (double v = -2; v < 12; v += 0.7)
		{
			f->predict(ma, &v, 1, 1, o1);
			f->predict(mb, &v, 1, 1, o2);
			for (int c = 0; c < 4; c++)
				CHECK_NEAR(o1[c], o2[c], 1e-12);
		}
	}
}

/*
 * A class whose variance is almost zero (var_smoothing 0, a constant value)
 * must not swamp the comparison of the other classes: their odds are as if
 * it were not there.
 */
static void
test_nb_precision(void)
{
	AmDataset  *d = dataset_new(9, 1, AM_TASK_MULTICLASS, 3);
	double		x0[] = {0, 1, 2, 10, 11, 13, 5, 5, 5};
	double		y[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
	AmParams	p = {0};
	AmErr		err;
	void	   *m;
	double		q = 3.0,
				out[3],
				phi[6];
	double		v1 = (4.0 + 1 + 9) / 3 - 0,	/* class 1 mean 34/3 */
				m1 = 34.0 / 3;

	memcpy(d->x[0], x0, sizeof(x0));
	memcpy(d->y, y, sizeof(y));
	v1 = ((10 - m1) * (10 - m1) + (11 - m1) * (11 - m1) + (13 - m1) * (13 - m1)) / 3;
	am_params_set(&p, "var_smoothing", 0);
	m = fit_raw("naive_bayes", d, NULL, &p, &err);
	CHECK(m != NULL);
	family("naive_bayes")->predict(m, &q, 1, 1, out);
	CHECK(out[2] == 0.0);
	CHECK_NEAR(log(out[0] / out[1]), gauss_log(3, 1, 2.0 / 3) - gauss_log(3, m1, v1), 1e-9);
	CHECK(family("naive_bayes")->contributions(m, &q, phi));
	for (int c = 0; c < 6; c++)
		CHECK(isfinite(phi[c]) && fabs(phi[c]) <= 1e4);
}

/* Gaussian blobs plus an informative category and missing values. */
static AmDataset *
blobs(int n, int k, uint64_t seed)
{
	AmDataset  *d = dataset_new(n, 6, k == 2 ? AM_TASK_BINARY : AM_TASK_MULTICLASS, k);
	AmRng		rng;

	am_rng_seed(&rng, seed);
	dataset_categorical(d, 3, 5);
	dataset_categorical(d, 5, 2);
	for (int i = 0; i < n; i++)
	{
		int			c = i % k;

		d->x[0][i] = c * 1.5 + am_rng_normal(&rng);
		d->x[1][i] = -c + (1 + c) * am_rng_normal(&rng);
		d->x[2][i] = 7.0;		/* constant */
		d->x[3][i] = am_rng_uniform(&rng) < 0.6 ? (double) ((c + 1) % 4) :
			(double) am_rng_below(&rng, 5);
		d->x[4][i] = 1000 * am_rng_normal(&rng);	/* noise on a big scale */
		d->x[5][i] = (double) am_rng_below(&rng, 2);
		if (i % 7 == 0)
			d->x[0][i] = NAN;
		if (i % 11 == 0)
			d->x[3][i] = NAN;
		d->y[i] = c;
	}
	return d;
}

static void
check_nb_contributions(AmModel *m, const AmDataset *d, int rows)
{
	int			k = d->n_classes;
	int			outs = am_task_outputs(d->task, k);
	int			p = d->n_features;
	double	   *phi = AM_NEW(double, (size_t) (p + 1) * outs);
	double	   *raw = AM_NEW(double, p);
	double	   *pred = AM_NEW(double, outs);
	double	   *s = AM_NEW(double, outs);
	double		worst = 0;

	for (int i = 0; i < rows && i < d->n_rows; i++)
	{
		for (int j = 0; j < p; j++)
			raw[j] = d->x[j][i];
		if (i % 5 == 1)
			raw[i % p] = NAN;	/* missing anywhere */
		if (i % 9 == 2)
			raw[3] = 99;		/* unseen level */
		am_model_predict_row(m, raw, pred);
		CHECK(am_model_contributions(m, raw, phi));
		for (int c = 0; c < outs; c++)
		{
			s[c] = 0;
			for (int j = 0; j <= p; j++)
				s[c] += phi[(size_t) j * outs + c];
		}
		if (outs == 1)
			worst = fmax(worst, fabs(1 / (1 + exp(-s[0])) - pred[0]));
		else
		{
			double		mx = -INFINITY,
						se = 0;

			for (int c = 0; c < outs; c++)
				mx = fmax(mx, s[c]);
			for (int c = 0; c < outs; c++)
				se += exp(s[c] - mx);
			for (int c = 0; c < outs; c++)
				worst = fmax(worst, fabs(exp(s[c] - mx) / se - pred[c]));
		}
		/* a missing feature and the constant one contribute nothing */
		for (int c = 0; c < outs; c++)
			CHECK(phi[2 * outs + c] == 0.0);
	}
	CHECK(worst <= 1e-9);
	free(phi);
	free(raw);
	free(pred);
	free(s);
}

static void
test_nb_learns(void)
{
	for (int k = 2; k <= 4; k++)
	{
		AmDataset  *d = blobs(2000, k, 30 + k);
		int		   *train,
				   *test,
					n_train,
					n_test;
		AmParams	p = {0};
		AmModel    *m;
		double	   *pred;
		double		acc;

		split_rows(d->n_rows, &train, &n_train, &test, &n_test);
		m = fit_model(d, "naive_bayes", &p, train, n_train);
		CHECK(m != NULL);
		pred = predict_rows(m, d, test, n_test);
		acc = accuracy_of(d, pred, test, n_test);
		printf("naive_bayes: blobs with %d classes, accuracy %.4f\n", k, acc);
		CHECK(acc >= (k == 2 ? 0.85 : 0.7));
		check_nb_contributions(m, d, 400);
		check_single_row(m, d, 500);
		check_model_roundtrip(m, d);
		{
			double		imp[6];

			CHECK(am_model_importance(m, AM_IMPORTANCE_GAIN, imp));
			CHECK(imp[2] == 0.0);	/* constant: left out */
			CHECK(imp[0] > imp[4] && imp[3] > imp[5]);
			for (int j = 0; j < 6; j++)
				CHECK(isfinite(imp[j]) && imp[j] >= 0);
		}
		/* family-level corruption on a reduced model */
		{
			AmErr		err;
			AmParams	q = {0};
			AmDataset  *small = blobs(40, k, 99);
			void	   *sm = fit_raw("naive_bayes", small, NULL, &q, &err);
			double	   *x = raw_matrix(small);
			int			accepted;

			accepted = corrupt_family_payload(family("naive_bayes"), sm, small->n_features,
											  small->task, k, x, small->n_rows,
											  small->n_rows);
			printf("naive_bayes (%d classes): %d single-byte payload changes accepted\n",
				   k, accepted);
			free(x);
		}
		free(pred);
	}
}

/* Bad inputs: regression, one class present, all-missing features, weights. */
static void
test_nb_edges(void)
{
	const AmFamily *f = family("naive_bayes");
	AmParams	p = {0};
	AmErr		err;

	/* regression is not supported */
	CHECK(!am_family_check_params(f, &p, AM_TASK_REGRESSION, &err));
	{
		AmDataset  *r = dataset_new(10, 1, AM_TASK_REGRESSION, 0);

		CHECK(fit_raw("naive_bayes", r, NULL, &p, &err) == NULL);
	}

	/* only class 0 present, all-missing and constant features: finite output */
	{
		AmDataset  *d = dataset_new(8, 4, AM_TASK_MULTICLASS, 3);
		double		q[4] = {1.0, 2.0, 0.0, 5.0},
					out[3];
		void	   *m;
		double		phi[15];

		dataset_categorical(d, 2, 3);
		for (int i = 0; i < 8; i++)
		{
			d->x[0][i] = i;
			d->x[1][i] = NAN;
			d->x[2][i] = NAN;
			d->x[3][i] = 5.0;
			d->y[i] = 0;
		}
		m = fit_raw("naive_bayes", d, NULL, &p, &err);
		CHECK(m != NULL);
		f->predict(m, q, 1, 1, out);
		CHECK(isfinite(out[0]) && isfinite(out[1]) && isfinite(out[2]));
		CHECK(out[0] > 0.999999);
		CHECK(f->contributions(m, q, phi));
		for (int t = 0; t < 15; t++)
			CHECK(isfinite(phi[t]));
	}

	/* huge values do not make NaN */
	{
		AmDataset  *d = dataset_new(6, 1, AM_TASK_BINARY, 2);
		double		x0[] = {1e-150, 2e-150, 3e-150, 1e-150, 5e-150, 6e-150};
		double		q[] = {1e300, -1e300, 0, 4e-150},
					out[4];
		void	   *m;

		memcpy(d->x[0], x0, sizeof(x0));
		for (int i = 0; i < 6; i++)
			d->y[i] = i >= 3;
		am_params_set(&p, "var_smoothing", 0);
		m = fit_raw("naive_bayes", d, NULL, &p, &err);
		CHECK(m != NULL);
		f->predict(m, q, 4, 4, out);
		for (int i = 0; i < 4; i++)
			CHECK(isfinite(out[i]) && out[i] >= 0 && out[i] <= 1);
	}

	/* invalid class indexes, weights and zero total weight are refused */
	{
		AmDataset  *d = dataset_new(4, 1, AM_TASK_BINARY, 2);
		double		w0[] = {0, 0, 0, 0},
					wn[] = {1, -1, 1, 1};

		memset(&p, 0, sizeof(p));
		d->y[2] = 1;
		CHECK(fit_raw("naive_bayes", d, w0, &p, &err) == NULL);
		CHECK(fit_raw("naive_bayes", d, wn, &p, &err) == NULL);
		d->y[3] = 2;
		CHECK(fit_raw("naive_bayes", d, NULL, &p, &err) == NULL);
		CHECK(err.kind == AM_ERR_DATA);
	}
}


/* ---------- multilayer perceptron ---------- */

/* Ten class indexes 0 .. 2. */
static const double *
bad_free_labels(void)
{
	static const double labels[] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0};

	return labels;
}

/* Fitting again with the same seed gives the same payload, byte for byte. */
static void
check_same_seed_same_bytes(const AmModel *m, const AmDataset *d, const char *name, AmParams *p,
						   const int *rows, int n)
{
	AmModel    *m2 = fit_model(d, name, p, rows, n);
	AmWriter	w1,
				w2;

	am_w_init(&w1);
	am_w_init(&w2);
	m->family->serialize(m->fitted, &w1);
	m->family->serialize(m2->fitted, &w2);
	CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
	free(w1.data);
	free(w2.data);
}

/* Regression: y = 100 (sin(2 x0) + x1 / 2) + 50, x2 noise (1,500 rows). */
static AmDataset *
sine_regression(void)
{
	AmDataset  *r = dataset_new(1500, 3, AM_TASK_REGRESSION, 0);
	AmRng		rng;

	am_rng_seed(&rng, 8);
	for (int i = 0; i < r->n_rows; i++)
	{
		r->x[0][i] = am_rng_uniform(&rng) * 6 - 3;
		r->x[1][i] = am_rng_uniform(&rng) * 2 - 1;
		r->x[2][i] = am_rng_normal(&rng);
		r->y[i] = 100 * (sin(2 * r->x[0][i]) + r->x[1][i] / 2) + 50;
	}
	return r;
}

static void
test_mlp_learns(void)
{
	AmDataset  *d = moons(1200, 5);
	int		   *train,
			   *test,
				n_train,
				n_test;
	AmParams	p = {0};
	AmModel    *m;
	double	   *pred;
	double		t0 = am_now();

	split_rows(d->n_rows, &train, &n_train, &test, &n_test);
	m = fit_model(d, "mlp", &p, train, n_train);
	CHECK(m != NULL);
	pred = predict_rows(m, d, test, n_test);
	printf("mlp: moons accuracy %.4f (%.2f s)\n", accuracy_of(d, pred, test, n_test),
		   am_now() - t0);
	CHECK(accuracy_of(d, pred, test, n_test) >= 0.95);
	check_single_row(m, d, 300);
	check_model_roundtrip(m, d);
	free(pred);

	check_same_seed_same_bytes(m, d, "mlp", &p, train, n_train);

	/* multiclass, with categories and missing values, two layers */
	{
		AmDataset  *b = blobs(1500, 4, 77);
		double		acc;

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "hidden_layers", 2);
		am_params_set(&p, "hidden_units", 32);
		m = fit_model(b, "mlp", &p, train, n_train);
		CHECK(m != NULL);
		pred = predict_rows(m, b, test, n_test);
		acc = accuracy_of(b, pred, test, n_test);
		printf("mlp: blobs with 4 classes, accuracy %.4f\n", acc);
		CHECK(acc >= 0.75);
		for (int t = 0; t < n_test; t++)
			CHECK_NEAR(pred[4 * t] + pred[4 * t + 1] + pred[4 * t + 2] + pred[4 * t + 3], 1.0,
					   1e-12);
		check_single_row(m, b, 300);
		check_model_roundtrip(m, b);
		free(pred);
	}

	/* regression: y = 100 (sin(2 x0) + x1 / 2) + 50, x2 noise */
	{
		AmDataset  *r = sine_regression();
		double		sse = 0,
					sst = 0,
					mean = 0,
					imp[3];

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "learning_rate", 0.003);
		m = fit_model(r, "mlp", &p, train, n_train);
		CHECK(m != NULL);
		pred = predict_rows(m, r, test, n_test);
		for (int t = 0; t < n_test; t++)
			mean += r->y[test[t]] / n_test;
		for (int t = 0; t < n_test; t++)
		{
			sse += (pred[t] - r->y[test[t]]) * (pred[t] - r->y[test[t]]);
			sst += (mean - r->y[test[t]]) * (mean - r->y[test[t]]);
		}
		printf("mlp: regression R^2 %.4f\n", 1 - sse / sst);
		CHECK(1 - sse / sst > 0.9);
		CHECK(am_model_importance(m, AM_IMPORTANCE_GAIN, imp));
		CHECK(imp[0] > imp[2] && imp[1] > imp[2]);
		CHECK(!am_model_importance(m, AM_IMPORTANCE_SPLITS, imp));
		check_sampled_contributions(m, r, 5);
		check_single_row(m, r, 200);
		check_model_roundtrip(m, r);
		free(pred);
	}
}

static void
test_mlp_edges(void)
{
	const AmFamily *f = family("mlp");
	AmParams	p = {0};
	AmErr		err;
	double		x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	double		y[] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
	double		yr[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
	double		out[30];
	void	   *m;

	/* one row, three rows, constant target, constant column */
	am_params_set(&p, "hidden_units", 4);
	m = fit_dense("mlp", AM_TASK_BINARY, 2, x, 1, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	m = fit_dense("mlp", AM_TASK_MULTICLASS, 3, x, 3, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, x, 10, 10, out);
	m = fit_dense("mlp", AM_TASK_REGRESSION, 0, x, 10, 2, yr, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, x, 10, 10, out);
	for (int i = 0; i < 10; i++)
		CHECK(out[i] == 5.0);	/* a constant target is predicted exactly */

	/* a wild learning rate either fits something finite or fails cleanly */
	{
		double		big[20];

		for (int i = 0; i < 20; i++)
			big[i] = x[i] * 1e150;
		memset(&p, 0, sizeof(p));
		am_params_set(&p, "learning_rate", 1.0);
		am_err_clear(&err);
		m = fit_dense("mlp", AM_TASK_BINARY, 2, big, 10, 2, y, NULL, &p, &err);
		if (m != NULL)
		{
			f->predict(m, x, 10, 10, out);
			for (int i = 0; i < 10; i++)
				CHECK(isfinite(out[i]));
		}
		else
			CHECK(err.kind == AM_ERR_NUMERIC);
	}

	/* invalid targets and weights are refused */
	{
		double		bad[] = {0, 1, 2, 0, 1, 0, 1, 0, 1, 0};
		double		w[] = {1, 1, 1, 1, -1, 1, 1, 1, 1, 1};

		memset(&p, 0, sizeof(p));
		CHECK(fit_dense("mlp", AM_TASK_BINARY, 2, x, 10, 2, bad, NULL, &p, &err) == NULL);
		CHECK(fit_dense("mlp", AM_TASK_BINARY, 2, x, 10, 2, y, w, &p, &err) == NULL);
	}

	/* the payload is checked byte by byte */
	{
		int			accepted;

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "hidden_units", 3);
		am_params_set(&p, "hidden_layers", 2);
		am_params_set(&p, "max_iter", 5);
		m = fit_dense("mlp", AM_TASK_MULTICLASS, 3, x, 10, 2, bad_free_labels(), NULL, &p, &err);
		CHECK(m != NULL);
		accepted = corrupt_family_payload(f, m, 2, AM_TASK_MULTICLASS, 3, x, 10, 10);
		printf("mlp: %d single-byte payload changes accepted\n", accepted);
		m = fit_dense("mlp", AM_TASK_REGRESSION, 0, x, 10, 2, x, NULL, &p, &err);
		CHECK(m != NULL);
		corrupt_family_payload(f, m, 2, AM_TASK_REGRESSION, 0, x, 10, 10);
	}
}

/* ---------- RBF kernel (Nystroem map + the linear solver) ---------- */

/*
 * With every row a landmark the map is exact (phi(x) . phi(x') = k(x, x')),
 * so the family's ridge fit is kernel ridge regression with an unpenalised
 * intercept, whose dual solution is computed here directly:
 *   beta = (H K H + n alpha I)^-1 (y - ybar),
 *   f(x) = ybar + sum_i beta_i (k(x, x_i) - mean_l k(x_i, x_l)).
 */
static void
test_kernel_exact(void)
{
	enum
	{
		N = 12, P = 2, Q = 5
	};
	double		x[N * P],
				y[N],
				q[Q * P],
				out[Q];
	double		kmat[N * N],
				rowmean[N],
				allmean = 0.0,
				beta[N],
				ybar = 0.0;
	double		alpha = 0.01,
				gamma = 0.7;
	AmParams	p = {0};
	AmErr		err;
	AmRng		rng;
	void	   *m;

	am_rng_seed(&rng, 3);
	for (int i = 0; i < N * P; i++)
		x[i] = am_rng_normal(&rng);
	for (int i = 0; i < Q * P; i++)
		q[i] = am_rng_normal(&rng);
	for (int i = 0; i < N; i++)
		ybar += (y[i] = sin(2 * x[i]) + x[N + i] * x[N + i]) / N;
	am_params_set(&p, "alpha", alpha);
	am_params_set(&p, "gamma", gamma);
	am_params_set(&p, "n_components", 50);	/* more than the rows: all of them */
	m = fit_dense("kernel", AM_TASK_REGRESSION, 0, x, N, P, y, NULL, &p, &err);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	family("kernel")->predict(m, q, Q, Q, out);

	for (int i = 0; i < N; i++)
		for (int l = 0; l < N; l++)
		{
			double		d2 = 0;

			for (int j = 0; j < P; j++)
				d2 += (x[i + j * N] - x[l + j * N]) * (x[i + j * N] - x[l + j * N]);
			kmat[i + l * N] = exp(-gamma / P * d2);
		}
	for (int i = 0; i < N; i++)
	{
		rowmean[i] = 0;
		for (int l = 0; l < N; l++)
			rowmean[i] += kmat[i + l * N] / N;
		allmean += rowmean[i] / N;
	}
	{
		double		a[N * N];

		for (int i = 0; i < N; i++)
		{
			for (int l = 0; l < N; l++)
				a[i + l * N] = kmat[i + l * N] - rowmean[i] - rowmean[l] + allmean +
					(i == l ? N * alpha : 0.0);
			beta[i] = y[i] - ybar;
		}
		CHECK(am_solve_spd(a, N, beta, 1, &err));
	}
	for (int t = 0; t < Q; t++)
	{
		double		f = ybar;

		for (int i = 0; i < N; i++)
		{
			double		d2 = 0;

			for (int j = 0; j < P; j++)
				d2 += (q[t + j * Q] - x[i + j * N]) * (q[t + j * Q] - x[i + j * N]);
			f += beta[i] * (exp(-gamma / P * d2) - rowmean[i]);
		}
		CHECK_NEAR(out[t], f, 1e-7 * (1 + fabs(f)));
	}
}

static void
test_kernel_learns(void)
{
	AmDataset  *d = moons(1200, 5);
	int		   *train,
			   *test,
				n_train,
				n_test;
	AmParams	p = {0};
	AmModel    *m;
	double	   *pred;
	double		acc,
				lin_acc;

	split_rows(d->n_rows, &train, &n_train, &test, &n_test);
	/* interleaved moons: a linear boundary cannot separate them, the kernel can */
	m = fit_model(d, "linear", &p, train, n_train);
	pred = predict_rows(m, d, test, n_test);
	lin_acc = accuracy_of(d, pred, test, n_test);
	free(pred);
	memset(&p, 0, sizeof(p));
	m = fit_model(d, "kernel", &p, train, n_train);
	CHECK(m != NULL);
	pred = predict_rows(m, d, test, n_test);
	acc = accuracy_of(d, pred, test, n_test);
	printf("kernel: moons accuracy %.4f (linear %.4f)\n", acc, lin_acc);
	CHECK(acc >= 0.95 && acc > lin_acc + 0.05);
	check_single_row(m, d, 300);
	check_model_roundtrip(m, d);
	check_sampled_contributions(m, d, 3);
	free(pred);

	check_same_seed_same_bytes(m, d, "kernel", &p, train, n_train);

	/* multiclass, with categories and missing values */
	{
		AmDataset  *b = blobs(1500, 4, 77);

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "n_components", 200);
		m = fit_model(b, "kernel", &p, train, n_train);
		CHECK(m != NULL);
		pred = predict_rows(m, b, test, n_test);
		acc = accuracy_of(b, pred, test, n_test);
		printf("kernel: blobs with 4 classes, accuracy %.4f\n", acc);
		CHECK(acc >= 0.75);
		for (int t = 0; t < n_test; t++)
			CHECK_NEAR(pred[4 * t] + pred[4 * t + 1] + pred[4 * t + 2] + pred[4 * t + 3], 1.0,
					   1e-12);
		check_single_row(m, b, 300);
		check_model_roundtrip(m, b);
		free(pred);
	}

	/* regression: y = 100 (sin(2 x0) + x1 / 2) + 50, x2 noise */
	{
		AmDataset  *r = sine_regression();
		double		sse = 0,
					sst = 0,
					mean = 0,
					imp[3];

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "alpha", 1e-6);
		am_params_set(&p, "gamma", 3);
		m = fit_model(r, "kernel", &p, train, n_train);
		CHECK(m != NULL);
		pred = predict_rows(m, r, test, n_test);
		for (int t = 0; t < n_test; t++)
			mean += r->y[test[t]] / n_test;
		for (int t = 0; t < n_test; t++)
		{
			sse += (pred[t] - r->y[test[t]]) * (pred[t] - r->y[test[t]]);
			sst += (mean - r->y[test[t]]) * (mean - r->y[test[t]]);
		}
		printf("kernel: regression R^2 %.4f\n", 1 - sse / sst);
		CHECK(1 - sse / sst > 0.95);
		CHECK(am_model_importance(m, AM_IMPORTANCE_GAIN, imp));
		printf("kernel: importance %.3g %.3g %.3g\n", imp[0], imp[1], imp[2]);
		CHECK(imp[0] > imp[1] && imp[1] > 2 * imp[2]);
		CHECK(!am_model_importance(m, AM_IMPORTANCE_SPLITS, imp));
		check_sampled_contributions(m, r, 5);
		check_single_row(m, r, 200);
		check_model_roundtrip(m, r);
		free(pred);
	}
}

static void
test_kernel_edges(void)
{
	const AmFamily *f = family("kernel");
	AmParams	p = {0};
	AmErr		err;
	double		x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	double		same[20];
	double		y[] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
	double		yr[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
	double		out[30];
	void	   *m;

	/* one row, three rows */
	m = fit_dense("kernel", AM_TASK_BINARY, 2, x, 1, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	m = fit_dense("kernel", AM_TASK_MULTICLASS, 3, x, 3, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, x, 10, 10, out);
	for (int i = 0; i < 30; i++)
		CHECK(isfinite(out[i]));

	/* a constant target is predicted exactly */
	m = fit_dense("kernel", AM_TASK_REGRESSION, 0, x, 10, 2, yr, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, x, 10, 10, out);
	for (int i = 0; i < 10; i++)
		CHECK_NEAR(out[i], 5.0, 1e-12);

	/* identical rows: a kernel matrix of rank one */
	for (int i = 0; i < 20; i++)
		same[i] = 2.5;
	m = fit_dense("kernel", AM_TASK_BINARY, 2, same, 10, 2, y, NULL, &p, &err);
	CHECK(m != NULL);
	f->predict(m, same, 10, 10, out);
	for (int i = 0; i < 10; i++)
		CHECK_NEAR(out[i], 0.5, 1e-6);

	/* a class index out of range is refused */
	{
		double		bad[] = {0, 1, 2, 0, 1, 0, 1, 0, 1, 0};

		CHECK(fit_dense("kernel", AM_TASK_BINARY, 2, x, 10, 2, bad, NULL, &p, &err) == NULL);
	}

	/* the payload is checked byte by byte */
	{
		int			accepted;

		memset(&p, 0, sizeof(p));
		am_params_set(&p, "n_components", 4);
		m = fit_dense("kernel", AM_TASK_MULTICLASS, 3, x, 10, 2, bad_free_labels(), NULL, &p, &err);
		CHECK(m != NULL);
		accepted = corrupt_family_payload(f, m, 2, AM_TASK_MULTICLASS, 3, x, 10, 10);
		printf("kernel: %d single-byte payload changes accepted\n", accepted);
		m = fit_dense("kernel", AM_TASK_REGRESSION, 0, x, 10, 2, x, NULL, &p, &err);
		CHECK(m != NULL);
		corrupt_family_payload(f, m, 2, AM_TASK_REGRESSION, 0, x, 10, 10);
	}
}

/* ---------- scoring one row allocates nothing ---------- */

extern size_t am_test_allocations;	/* core_std.c: every am_alloc() counts */

/* No allocation while m scores d's rows one at a time, after a first call. */
static void
check_row_allocations(AmModel *m, const AmDataset *d, const char *what)
{
	double		raw[4],
				out[8];
	size_t		before;

	for (int j = 0; j < 4; j++)
		raw[j] = d->x[j][0];
	am_model_predict_row(m, raw, out);
	before = am_test_allocations;
	for (int i = 0; i < d->n_rows; i++)
	{
		for (int j = 0; j < 4; j++)
			raw[j] = d->x[j][i];
		am_model_predict_row(m, raw, out);
	}
	if (am_test_allocations != before)
		fprintf(stderr, "%s (task %d): %zu allocations for %d rows\n", what, (int) d->task,
				am_test_allocations - before, d->n_rows);
	CHECK(am_test_allocations == before);
}

/*
 * automl.predict() scores one row per call: after the first call (which may
 * set up the model's scratch once) no family allocates for a row, whatever
 * the task, so a query pays for its rows and not for the allocator.
 */
static void
test_single_row_allocates_nothing(void)
{
	const AmTask tasks[] = {AM_TASK_BINARY, AM_TASK_MULTICLASS, AM_TASK_REGRESSION};
	int			n = 120;

	for (int t = 0; t < 3; t++)
	{
		int			k = tasks[t] == AM_TASK_MULTICLASS ? 3 : 2;
		AmDataset  *d = dataset_new(n, 4, tasks[t], k);
		AmModel    *members[AM_MAX_ENSEMBLE];
		double		weights[AM_MAX_ENSEMBLE];
		int			n_members = 0;
		AmModel    *ens;
		AmRng		rng;

		am_rng_seed(&rng, 5);
		dataset_categorical(d, 3, 4);
		for (int i = 0; i < n; i++)
		{
			d->x[0][i] = am_rng_normal(&rng) + (i % k ? 1.5 : 0.0);
			d->x[1][i] = i % 11 == 0 ? NAN : am_rng_normal(&rng);
			d->x[2][i] = am_rng_uniform(&rng);
			d->x[3][i] = i % 13 == 0 ? NAN : (double) am_rng_below(&rng, 3);
			d->y[i] = tasks[t] == AM_TASK_REGRESSION ? d->x[0][i] + 0.1 * am_rng_normal(&rng) :
				(double) (i % k);
		}
		for (int fi = 0; fi < am_family_count(); fi++)
		{
			const AmFamily *f = am_family_at(fi);
			AmParams	p = {0};
			AmModel    *m;

			if (f->internal || !(f->tasks & (1u << tasks[t])))
				continue;
			m = fit_model(d, f->name, &p, NULL, n);
			CHECK(m != NULL);
			if (m == NULL)
				continue;
			check_row_allocations(m, d, f->name);
			check_single_row(m, d, n);
			weights[n_members] = 1.0 + n_members;
			members[n_members++] = m;
		}
		/* an ensemble of all of them (as the search keeps, fold models too) */
		ens = am_ensemble_model(members[0]->schema, members, weights, n_members);
		check_row_allocations(ens, d, "ensemble");
		check_single_row(ens, d, n);
	}
}

int
main(void)
{
	RUN(test_knn_exact);
	RUN(test_knn_classes);
	RUN(test_knn_against_reference);
	RUN(test_knn_learns);
	RUN(test_knn_multiclass_importance);
	RUN(test_knn_serialization);
	RUN(test_knn_edges);
	RUN(test_nb_exact);
	RUN(test_nb_multiclass_exact);
	RUN(test_nb_precision);
	RUN(test_nb_learns);
	RUN(test_nb_edges);
	RUN(test_mlp_learns);
	RUN(test_mlp_edges);
	RUN(test_kernel_exact);
	RUN(test_kernel_learns);
	RUN(test_kernel_edges);
	RUN(test_single_row_allocates_nothing);
	return unit_report("test_families");
}
