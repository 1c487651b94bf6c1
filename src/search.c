/*
 * search.c
 *	  Candidate generation, cross-validated trials and the final refit
 *	  (see search.h).
 */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cv.h"
#include "prep.h"
#include "rng.h"

#define GRID_POINTS 6
#define MAX_AXES AM_MAX_PARAMS
#define MAX_AXIS_VALUES AM_MAX_VALUES

typedef struct Axis
{
	const AmParamSpec *spec;
	int			n;
	double		v[MAX_AXIS_VALUES];
} Axis;

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* Round to 3 significant digits, so grid points read as 0.001, not 0.00099999. */
static double
round_sig(double v)
{
	double		scale;

	if (v == 0 || !isfinite(v))
		return v;
	scale = pow(10.0, 2 - floor(log10(fabs(v))));
	return round(v * scale) / scale;
}

/* The default grid: log-spaced points of the first log-scale parameter. */
static int
default_axes(const AmFamily *f, Axis *axes)
{
	for (int i = 0; i < f->n_params; i++)
	{
		const AmParamSpec *s = &f->params[i];

		if (s->log_scale && s->search_lo > 0 && s->search_lo < s->search_hi)
		{
			Axis	   *a = &axes[0];
			double		l0 = log(s->search_lo),
						l1 = log(s->search_hi);

			a->spec = s;
			a->n = 0;
			/* the default first, so a cut-short search has tried it */
			a->v[a->n++] = s->def;
			for (int k = 0; k < GRID_POINTS; k++)
			{
				double		v = round_sig(exp(l0 + (l1 - l0) * k / (GRID_POINTS - 1)));

				if (s->is_int)
					v = round(v);
				if (fabs(v - s->def) > 1e-12 * fabs(s->def))
					a->v[a->n++] = v;
			}
			return 1;
		}
	}
	return 0;
}

static Axis *
find_axis(Axis *axes, int n, const AmParamSpec *s)
{
	for (int i = 0; i < n; i++)
		if (axes[i].spec == s)
			return &axes[i];
	return NULL;
}

int
am_search_candidates(const AmFamily *f, const AmFamilyConstraints *fc,
					 AmParams *out, int max)
{
	Axis		axes[MAX_AXES];
	int			n_axes = default_axes(f, axes);
	int			made = 0;

	for (int i = 0; fc && i < fc->n; i++)
	{
		const AmParamConstraint *c = &fc->c[i];
		Axis	   *a = find_axis(axes, n_axes, c->spec);

		if (a == NULL)
		{
			a = &axes[n_axes++];
			a->spec = c->spec;
			a->n = 1;
			a->v[0] = c->spec->def;
		}
		if (c->n_values > 0)
		{
			a->n = c->n_values;
			memcpy(a->v, c->values, sizeof(double) * c->n_values);
		}
		else if (c->has_range)
		{
			int			kept = 0;

			for (int k = 0; k < a->n; k++)
				if (a->v[k] >= c->lo && a->v[k] <= c->hi)
					a->v[kept++] = a->v[k];
			if (kept == 0)
			{
				/* no grid point inside: the default if it is, else the middle */
				double		mid = (c->spec->log_scale && c->lo > 0) ?
				sqrt(c->lo * c->hi) : 0.5 * (c->lo + c->hi);
				double		def = c->spec->def;

				if (def >= c->lo && def <= c->hi)
					a->v[kept++] = def;
				else
					a->v[kept++] = c->spec->is_int ? clamp(round(mid), c->lo, c->hi) : mid;
			}
			a->n = kept;
		}
	}
	/* Cartesian product, first axis varying slowest. */
	{
		int			idx[MAX_AXES] = {0};

		for (;;)
		{
			AmParams   *p;

			if (made >= max)
				break;
			p = &out[made++];
			memset(p, 0, sizeof(*p));
			for (int i = 0; i < n_axes; i++)
				am_params_set(p, axes[i].spec->name, axes[i].v[idx[i]]);
			am_family_complete_params(f, p);
			/* advance the odometer, last axis fastest */
			{
				int			i = n_axes - 1;

				while (i >= 0)
				{
					if (++idx[i] < axes[i].n)
						break;
					idx[i] = 0;
					i--;
				}
				if (i < 0)
					break;
			}
		}
	}
	return made;
}

static double *
gather(const double *v, const int *rows, int n)
{
	double	   *out = AM_NEW(double, n > 0 ? n : 1);

	for (int k = 0; k < n; k++)
		out[k] = v[rows ? rows[k] : k];
	return out;
}

AmModel *
am_model_fit(const AmDataset *d, const AmSchema *schema, const AmFamily *f,
			 const AmParams *params, const int *rows, int n, void *prepared,
			 uint64_t seed, AmErr *err)
{
	AmModel    *m = AM_NEW0(AmModel, 1);
	AmFitInput	in;

	memset(&in, 0, sizeof(in));
	m->schema = (AmSchema *) schema;
	m->family = f;
	m->params = *params;
	am_family_complete_params(f, &m->params);
	in.task = d->task;
	in.n_classes = d->n_classes;
	in.n = n;
	in.y = gather(d->y, rows, n);
	in.seed = seed;
	in.threads = am_max_threads();
	if (f->encoding == AM_ENCODING_DENSE)
	{
		m->prep = am_prep_fit(d, rows, n);
		in.p = m->prep->n_out;
		in.x = am_prep_transform(m->prep, d, rows, n);
		in.ld = (size_t) n;
	}
	else
	{
		int		   *all = NULL;

		if (rows == NULL)
		{
			all = AM_NEW(int, n);
			for (int i = 0; i < n; i++)
				all[i] = i;
		}
		in.p = d->n_features;
		in.data = d;
		in.rows = rows ? rows : all;
		in.prepared = prepared;
	}
	m->fitted = f->fit(&in, &m->params, err);
	if (m->fitted == NULL)
		return NULL;
	am_model_init_scratch(m);
	return m;
}

/* Predictions of a fitted model for some rows of the dataset. */
static void
predict_rows(AmModel *m, const AmDataset *d, const int *rows, int n, double *out)
{
	if (m->family->encoding == AM_ENCODING_DENSE)
	{
		double	   *x = am_prep_transform(m->prep, d, rows, n);

		m->family->predict(m->fitted, x, (size_t) n, n, out);
		am_free(x);
	}
	else
	{
		double	   *x = AM_NEW(double, (size_t) n * d->n_features);

		for (int j = 0; j < d->n_features; j++)
			for (int k = 0; k < n; k++)
				x[(size_t) j * n + k] = d->x[j][rows[k]];
		m->family->predict(m->fitted, x, (size_t) n, n, out);
		am_free(x);
	}
}

typedef struct SearchState
{
	const AmSearchConfig *cfg;
	const int  *fold;
	int			n_folds;
	double		started;
	void	   *prepared[AM_MAX_FAMILIES];
	bool		have_best;
} SearchState;

static bool
over_budget(const SearchState *st)
{
	return st->cfg->time_budget > 0 && am_now() - st->started >= st->cfg->time_budget;
}

static void
run_trial(SearchState *st, int fam_index, AmTrial *t)
{
	const AmSearchConfig *cfg = st->cfg;
	const AmDataset *d = cfg->data;
	int			outs = am_task_outputs(d->task, d->n_classes);
	double		sum = 0.0,
				sumsq = 0.0;

	for (int f = 0; f < st->n_folds; f++)
	{
		void	   *scope;
		int		   *train,
				   *valid;
		int			n_train,
					n_valid;
		AmModel    *m;
		AmErr		err;
		double		t0,
					t1,
					t2;
		double	   *pred,
				   *yv;

		if (st->have_best && over_budget(st))
		{
			t->status = AM_TRIAL_STOPPED;
			snprintf(t->error, sizeof(t->error), "time budget ran out after %d of %d folds",
					 f, st->n_folds);
			return;
		}
		scope = am_scope_begin();
		am_err_clear(&err);
		am_cv_split(st->fold, d->n_rows, f, &train, &n_train, &valid, &n_valid);
		t0 = am_now();
		m = am_model_fit(d, cfg->schema, t->family, &t->params, train, n_train,
						 st->prepared[fam_index],
						 am_seed_derive(cfg->options->seed, (uint64_t) t->number * 1000 + f),
						 &err);
		t1 = am_now();
		if (m == NULL)
		{
			t->status = AM_TRIAL_FAILED;
			snprintf(t->error, sizeof(t->error), "%s", err.msg[0] ? err.msg : "fit failed");
			am_scope_end(scope);
			return;
		}
		pred = AM_NEW(double, (size_t) n_valid * outs);
		predict_rows(m, d, valid, n_valid, pred);
		t2 = am_now();
		yv = gather(d->y, valid, n_valid);
		t->fold_scores[f] = am_metric_score(cfg->metric, d->task, d->n_classes, yv, pred,
											n_valid, NULL);
		t->fit_seconds += t1 - t0;
		t->predict_seconds += t2 - t1;
		t->n_folds++;
		sum += t->fold_scores[f];
		sumsq += t->fold_scores[f] * t->fold_scores[f];
		am_scope_end(scope);
	}
	t->score = sum / st->n_folds;
	t->score_std = st->n_folds > 1 ?
		sqrt(fmax(0.0, (sumsq - st->n_folds * t->score * t->score) / (st->n_folds - 1))) : 0.0;
	if (isnan(t->score))
	{
		t->status = AM_TRIAL_FAILED;
		snprintf(t->error, sizeof(t->error), "metric %s is undefined on these folds",
				 am_metric_name(cfg->metric));
		return;
	}
	t->status = AM_TRIAL_OK;
}

AmSearchResult *
am_search_run(const AmSearchConfig *cfg, AmErr *err)
{
	const AmDataset *d = cfg->data;
	AmSearchResult *res = AM_NEW0(AmSearchResult, 1);
	SearchState st;
	AmParams   *cands[AM_MAX_FAMILIES];
	int			n_cands[AM_MAX_FAMILIES];
	int			total = 0,
				cap;
	int			max_per_family = 256;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.started = am_now();
	st.n_folds = cfg->options->cv_folds;
	res->best = -1;

	for (int i = 0; i < cfg->n_families; i++)
	{
		cands[i] = AM_NEW(AmParams, max_per_family);
		n_cands[i] = am_search_candidates(cfg->families[i],
										  am_options_family(cfg->options, cfg->families[i]),
										  cands[i], max_per_family);
		if (st.n_folds == 0 && n_cands[i] > 1)
			n_cands[i] = 1;		/* no CV to choose with: the first candidate */
		total += n_cands[i];
	}
	if (st.n_folds == 0 && cfg->n_families > 1)
	{
		am_err_set(err, AM_ERR_PARAM,
				   "without cross-validation (cv_folds 0) exactly one algorithm must be chosen");
		return NULL;
	}
	if (st.n_folds > d->n_rows)
	{
		am_err_set(err, AM_ERR_DATA, "%d rows are too few for %d cross-validation folds",
				   d->n_rows, st.n_folds);
		return NULL;
	}
	cap = cfg->max_trials > 0 && cfg->max_trials < total ? cfg->max_trials : total;
	res->trials = AM_NEW0(AmTrial, cap > 0 ? cap : 1);

	/* Build each family's shared state once; families with one prepare share it. */
	for (int i = 0; i < cfg->n_families; i++)
	{
		if (cfg->families[i]->prepare == NULL)
			continue;
		for (int k = 0; k < i; k++)
			if (cfg->families[k]->prepare == cfg->families[i]->prepare)
				st.prepared[i] = st.prepared[k];
		if (st.prepared[i] == NULL)
		{
			am_check_interrupts();
			st.prepared[i] = cfg->families[i]->prepare(d, err);
			if (st.prepared[i] == NULL)
				return NULL;
		}
	}

	if (st.n_folds == 0)
	{
		/* One fit on all rows; no score to compare. */
		AmTrial    *t = &res->trials[0];
		double		t0 = am_now();

		t->number = 1;
		t->family = cfg->families[0];
		t->params = cands[0][0];
		t->score = NAN;
		t->score_std = NAN;
		res->model = am_model_fit(d, cfg->schema, t->family, &t->params, NULL, d->n_rows,
								  st.prepared[0], cfg->options->seed, err);
		if (res->model == NULL)
			return NULL;
		t->fit_seconds = am_now() - t0;
		t->finished_at = am_now() - st.started;
		t->status = AM_TRIAL_OK;
		res->n_trials = 1;
		res->best = 0;
		if (cfg->on_trial)
			cfg->on_trial(cfg->arg, t, t);
		res->seconds = am_now() - st.started;
		return res;
	}

	st.fold = am_cv_folds(d->y, d->n_rows, d->task, d->n_classes, st.n_folds,
						  am_seed_derive(cfg->options->seed, 0xF01D));
	res->n_folds = st.n_folds;

	/* Round-robin over families so a short budget still sees each of them. */
	{
		int			next[AM_MAX_FAMILIES] = {0};
		bool		more = true;

		while (more && res->n_trials < cap)
		{
			more = false;
			for (int i = 0; i < cfg->n_families && res->n_trials < cap; i++)
			{
				AmTrial    *t;

				if (next[i] >= n_cands[i])
					continue;
				more = true;
				if (st.have_best && over_budget(&st))
				{
					res->budget_exhausted = true;
					more = false;
					break;
				}
				am_check_interrupts();
				t = &res->trials[res->n_trials];
				t->number = res->n_trials + 1;
				t->family = cfg->families[i];
				t->params = cands[i][next[i]++];
				run_trial(&st, i, t);
				t->finished_at = am_now() - st.started;
				res->n_trials++;
				if (t->status == AM_TRIAL_OK &&
					(res->best < 0 ||
					 am_metric_better(cfg->metric, t->score, res->trials[res->best].score)))
				{
					res->best = res->n_trials - 1;
					st.have_best = true;
				}
				if (cfg->on_trial)
					cfg->on_trial(cfg->arg, t, res->best >= 0 ? &res->trials[res->best] : NULL);
				if (t->status == AM_TRIAL_STOPPED)
				{
					res->budget_exhausted = true;
					more = false;
					break;
				}
			}
		}
	}

	if (res->best < 0)
	{
		const AmTrial *last = res->n_trials > 0 ? &res->trials[res->n_trials - 1] : NULL;

		am_err_set(err, AM_ERR_DATA, "no candidate model could be fitted%s%s",
				   last ? ": " : "", last ? last->error : "");
		return NULL;
	}

	/* Refit the winner on all rows. */
	{
		const AmTrial *b = &res->trials[res->best];
		int			fam = 0;

		for (int i = 0; i < cfg->n_families; i++)
			if (cfg->families[i] == b->family)
				fam = i;
		am_check_interrupts();
		res->model = am_model_fit(d, cfg->schema, b->family, &b->params, NULL, d->n_rows,
								  st.prepared[fam], cfg->options->seed, err);
		if (res->model == NULL)
			return NULL;
	}
	res->seconds = am_now() - st.started;
	return res;
}
