/*
 * search.c
 *	  The AutoML search (see search.h):
 *
 *	  1. Validation rows are fixed once: stratified k folds for small data
 *	     (optionally repeated in rounds of different folds), one stratified
 *	     holdout for large data.  Every trial sees the same.
 *	  2. Each family first runs its starting configuration (its defaults,
 *	     or its low-cost values on large data), cheapest family first.
 *	  3. Then, until the time or trial budget runs out, the search picks a
 *	     family by estimated cost for improvement (mean trial cost, inflated
 *	     by how far its best lags the overall best; every fifth pick is at
 *	     random) and proposes a configuration by randomized direct search
 *	     around that family's incumbent in the unit cube of its parameters:
 *	     a random direction, then its opposite; the step halves after
 *	     repeated failures and the search restarts from a random point when
 *	     the step gets small (FLAML's CFO, simplified).
 *	  4. A trial that falls clearly behind the best on the folds seen so far
 *	     is pruned (paired comparison on the same folds); a family's first
 *	     trial is not.
 *	  5. Greedy ensemble selection over the stored validation predictions of
 *	     the best trials, each family's best among them; the ensemble is
 *	     kept only if it validates better, also when it and the single
 *	     best are each chosen without the fold that scores them.
 *	     With "prefer_simpler", the winner (ensemble or trial) gives way to
 *	     the best trial of a simpler family (model.h, complexity) that
 *	     scores within one standard error of it over the folds.
 *	  6. The winner (or the ensemble's members) is refit on all rows, or
 *	     kept as the average of its k fold models ("refit" option; by
 *	     default for unstable families on small data).
 */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cv.h"
#include "prep.h"
#include "rng.h"

#define MAX_STORED_PREDICTIONS 16
#define MAX_REMEMBERED_CONFIGS 256
#define STORE_SHARE 0.3			/* of the free memory, for stored predictions */
#define INITIAL_STEP 0.25
#define MIN_STEP (1.0 / 64)
#define EXPLORE_EVERY 5
#define FINISH_FACTOR 2.5		/* refit and diagnostics, in fold fits of the best */
#define STALE_TRIALS 4			/* plus 2 per dimension: a trailing family's patience */
#define CHEAP_START_CELLS 2000000.0	/* rows x features above which starts are cheap */

const char *
am_trial_status_name(AmTrialStatus s)
{
	switch (s)
	{
		case AM_TRIAL_OK:
			return "ok";
		case AM_TRIAL_FAILED:
			return "failed";
		case AM_TRIAL_STOPPED:
			return "stopped";
		case AM_TRIAL_PRUNED:
			return "pruned";
	}
	return "unknown";
}

const char *
am_search_end_name(AmSearchEnd end)
{
	switch (end)
	{
		case AM_END_FAMILIES_DONE:
			return "families_done";
		case AM_END_MAX_TRIALS:
			return "max_trials";
		case AM_END_TIME_BUDGET:
			return "time_budget";
		case AM_END_PATIENCE:
			return "patience";
	}
	return "unknown";
}

/* ---------- fitting and predicting one model ---------- */

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
			 const AmParams *params, const int *rows, int n, const double *weights,
			 void *prepared, uint64_t seed, AmErr *err)
{
	AmModel    *m = AM_NEW0(AmModel, 1);
	AmFitInput	in;

	memset(&in, 0, sizeof(in));
	m->schema = (AmSchema *) schema;
	m->family = f;
	m->params = *params;
	am_family_complete_params(f, &m->params);
	/* a sampled combination the family cannot fit fails its trial */
	if (!am_family_check_params(f, &m->params, d->task, err))
		return NULL;
	in.task = d->task;
	in.n_classes = d->n_classes;
	in.n = n;
	in.y = gather(d->y, rows, n);
	in.w = weights ? gather(weights, rows, n) : NULL;
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
	if (f->contributions == NULL)
		am_background_pick(m, d, rows, n);
	am_model_init_scratch(m);
	return m;
}

/* Predictions of a fitted model for some rows of the dataset. */
static void
predict_rows(AmModel *m, const AmDataset *d, const int *rows, int n, double *out)
{
	if (m->fused == NULL && m->family->encoding == AM_ENCODING_DENSE)
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
		am_model_predict(m, x, (size_t) n, n, out);
		am_free(x);
	}
}

/* ---------- validation rows ---------- */

/*
 * Repeated cross-validation: R rounds of k folds, each round from its own
 * seeded shuffle, fold r * k + f being fold f of round r.  A trial's score
 * is the mean of its R * k fold scores and its validation prediction of a
 * row the mean of its R out-of-fold predictions.
 */
typedef struct Validation
{
	int			n_folds;		/* folds evaluated per trial: k * repeats */
	int			k;				/* folds per round */
	int			n_repeats;
	bool		holdout;
	int		   *fold;			/* round r's fold of row i at [r * n + i], -1 never */
	int			n_valid;
	int		   *valid_rows;
	int		   *valid_pos;		/* per row: position in valid_rows, -1 none */
} Validation;

/* Rounds of cross-validation as asked, at most AM_MAX_FOLDS folds in all. */
static int
cv_repeats(const AmTrainOptions *o)
{
	int			r = o->cv_repeats > 1 ? o->cv_repeats : 1;

	return o->cv_folds * r > AM_MAX_FOLDS ? AM_MAX_FOLDS / o->cv_folds : r;
}

static void
make_validation(const AmSearchConfig *cfg, Validation *v, AmErr *err)
{
	const AmDataset *d = cfg->data;
	const AmTrainOptions *o = cfg->options;
	uint64_t	seed = am_seed_derive(o->seed, 0xF01D);

	v->holdout = o->validation == AM_VALIDATION_HOLDOUT ||
		(o->validation == AM_VALIDATION_AUTO && !o->cv_folds_set &&
		 d->n_rows > o->holdout_min_rows);
	if (v->holdout)
	{
		int			k = (int) lround(1.0 / o->holdout_fraction);

		v->fold = am_cv_folds(d->y, d->n_rows, d->task, d->n_classes, k < 2 ? 2 : k, seed);
		for (int i = 0; i < d->n_rows; i++)
			v->fold[i] = v->fold[i] == 0 ? 0 : -1;
		v->n_folds = v->k = v->n_repeats = 1;
	}
	else
	{
		v->k = o->cv_folds;
		v->n_repeats = cv_repeats(o);
		v->n_folds = v->k * v->n_repeats;
		am_memory_reserve(sizeof(int) * (size_t) d->n_rows * v->n_repeats, "folds");
		v->fold = AM_NEW(int, (size_t) d->n_rows * v->n_repeats);
		for (int r = 0; r < v->n_repeats; r++)
		{
			int		   *round = am_cv_folds(d->y, d->n_rows, d->task, d->n_classes, v->k,
											r == 0 ? seed : am_seed_derive(seed, (uint64_t) r));

			for (int i = 0; i < d->n_rows; i++)
				v->fold[(size_t) r * d->n_rows + i] = r * v->k + round[i];
			am_free(round);
		}
	}
	v->valid_pos = AM_NEW(int, d->n_rows);
	v->valid_rows = AM_NEW(int, d->n_rows);
	v->n_valid = 0;
	for (int i = 0; i < d->n_rows; i++)
	{
		v->valid_pos[i] = v->fold[i] >= 0 ? v->n_valid : -1;
		if (v->fold[i] >= 0)
			v->valid_rows[v->n_valid++] = i;
	}
	(void) err;
}

static void
split_fold(const Validation *v, int n_rows, int f, int **train, int *n_train, int **valid,
		   int *n_valid)
{
	const int  *fold = v->fold + (size_t) (f / v->k) * n_rows;

	*train = AM_NEW(int, n_rows);
	*valid = AM_NEW(int, n_rows);
	*n_train = *n_valid = 0;
	for (int i = 0; i < n_rows; i++)
	{
		if (fold[i] == f)
			(*valid)[(*n_valid)++] = i;
		else
			(*train)[(*n_train)++] = i;
	}
}

/* ---------- per-family search state ---------- */

typedef struct FamilyState
{
	const AmFamily *family;
	int			index;			/* into cfg->families and prepared[] */
	AmSpace		space;
	double		inc[AM_MAX_PARAMS];	/* incumbent point */
	double		inc_score;
	bool		has_inc;
	double		dir[AM_MAX_PARAMS];
	bool		dir_pending;	/* the opposite direction is next */
	double		step;
	int			fails;
	bool		improved;		/* since the last restart */
	int			stale_restarts; /* restarts that followed no improvement */
	int			since_progress; /* trials since the family last made progress */
	int			trials;
	int			ok_trials;
	double		cost;			/* summed fit seconds */
	bool		done;
	int			n_tried;
	AmParams   *tried;
} FamilyState;

typedef struct StoredPrediction
{
	int			trial;			/* index into results */
	double		score;
	double	   *pred;			/* n_valid x outputs */
} StoredPrediction;

typedef struct Search
{
	const AmSearchConfig *cfg;
	AmSearchResult *res;
	Validation	val;
	int			outs;
	double		started;
	void	   *prepared[AM_MAX_FAMILIES];
	FamilyState fam[AM_MAX_FAMILIES];
	int			n_fam;
	int			cap;			/* most trials the run may hold */
	int			allocated;		/* trial slots allocated */
	int			max_stored;		/* predictions kept for the ensemble */
	int			new_trials;
	AmRng		rng;
	int			n_stored;
	StoredPrediction stored[MAX_STORED_PREDICTIONS];
	double	   *valid_y;		/* y of the validation rows */
	double	   *scratch_pred;	/* n_valid x outputs of the running trial */
	/* the best's last gain of a standard error or more ("patience") */
	int			gain_trial;		/* index of that trial, -1 before any */
	double		gain_score;
	bool		deadline_hit;	/* a trial was stopped by the time budget */
} Search;

static bool bags_fold_models(const Search *s, const AmFamily *f);

/*
 * Time kept back from the search for what follows it: the refit on all
 * rows (a fold's fit of the best trial, scaled to all rows, twice over for
 * ensemble members and the diagnostics), at most a quarter of the budget.
 */
static double
finish_reserve(const Search *s)
{
	const AmTrial *b = s->res->best >= 0 ? &s->res->trials[s->res->best] : NULL;
	double		per_fold,
				factor;

	if (b == NULL || b->n_folds == 0 || b->resumed)
		return 0.0;
	per_fold = (b->fit_seconds + b->predict_seconds) / b->n_folds;
	/* k fold models rather than one refit */
	factor = bags_fold_models(s, b->family) ? s->val.k + FINISH_FACTOR - 1.0 : FINISH_FACTOR;
	return fmin(factor * per_fold, 0.25 * s->cfg->time_budget);
}

static bool
over_budget(const Search *s)
{
	if (s->cfg->time_budget > 0 &&
		am_now() - s->started >= s->cfg->time_budget - finish_reserve(s))
		return true;
	return s->cfg->should_stop != NULL && s->cfg->should_stop(s->cfg->arg);
}

static bool
have_best(const Search *s)
{
	return s->res->best >= 0;
}

static const AmTrial *
best_trial(const Search *s)
{
	return s->res->best >= 0 ? &s->res->trials[s->res->best] : NULL;
}

static bool
remembered(const FamilyState *fs, const AmParams *p)
{
	for (int i = 0; i < fs->n_tried; i++)
		if (am_params_equal(&fs->tried[i], p))
			return true;
	return false;
}

static void
remember(FamilyState *fs, const AmParams *p)
{
	if (fs->n_tried >= MAX_REMEMBERED_CONFIGS)
		return;
	if (fs->n_tried % 16 == 0)
		fs->tried = am_realloc(fs->tried, sizeof(AmParams) * (fs->n_tried + 16));
	fs->tried[fs->n_tried++] = *p;
}

/* A slot for the next trial, growing the array as trials come. */
static AmTrial *
next_trial_slot(Search *s)
{
	int			index = s->res->n_trials;

	if (index >= s->allocated)
	{
		int			more = s->allocated == 0 ? 64 : s->allocated;

		am_memory_reserve(sizeof(AmTrial) * (size_t) more, "trial history");
		s->res->trials = am_realloc(s->res->trials, sizeof(AmTrial) * (size_t) (s->allocated + more));
		memset(s->res->trials + s->allocated, 0, sizeof(AmTrial) * (size_t) more);
		s->allocated += more;
	}
	return &s->res->trials[index];
}

/* How many stored predictions come from a family. */
static int
stored_of_family(const Search *s, const AmFamily *f)
{
	int			n = 0;

	for (int i = 0; i < s->n_stored; i++)
		n += s->res->trials[s->stored[i].trial].family == f;
	return n;
}

/*
 * Keep the validation predictions of the best trials for the ensemble, and
 * the best of every family among them: on small data the top trials tend to
 * be variants of one family, and an ensemble of near copies cannot gain
 * what a different kind of model adds.  So a full store gives up its worst
 * prediction among families stored more than once (or the new trial's own
 * family, which the new trial goes on representing).
 */
static void
store_prediction(Search *s, int trial_index, double score)
{
	AmMetric	metric = s->cfg->metric;
	const AmFamily *family = s->res->trials[trial_index].family;
	int			slot = -1;
	size_t		size = (size_t) s->val.n_valid * s->outs;

	if (s->max_stored == 0)
		return;
	if (s->n_stored < s->max_stored)
	{
		am_memory_reserve(size * sizeof(double), "validation predictions");
		slot = s->n_stored++;
		s->stored[slot].pred = AM_NEW(double, size);
	}
	else
	{
		bool		new_family = stored_of_family(s, family) == 0;
		int			worst = -1;

		for (int i = 0; i < s->n_stored; i++)
		{
			const AmFamily *fi = s->res->trials[s->stored[i].trial].family;

			if (fi != family && stored_of_family(s, fi) < 2)
				continue;
			if (worst < 0 || am_metric_better(metric, s->stored[worst].score, s->stored[i].score))
				worst = i;
		}
		if (worst < 0)
			return;				/* as many families as slots: keep them */
		if (!new_family && !am_metric_better(metric, score, s->stored[worst].score))
			return;
		slot = worst;
	}
	s->stored[slot].trial = trial_index;
	s->stored[slot].score = score;
	memcpy(s->stored[slot].pred, s->scratch_pred, size * sizeof(double));
}

/*
 * Run one trial over the folds.  Pruned when, on the folds seen so far, it
 * trails the best trial's mean on the same folds by more than twice the
 * best trial's fold-to-fold spread.
 */
/* One fold's fit, as am_guarded() runs it. */
typedef struct FoldFit
{
	Search	   *s;
	const FamilyState *fs;
	const AmTrial *t;
	const int  *train;
	int			n_train;
	uint64_t	seed;
} FoldFit;

static void *
fit_fold(void *arg, AmErr *err)
{
	FoldFit    *fa = arg;
	const AmSearchConfig *cfg = fa->s->cfg;

	return am_model_fit(cfg->data, cfg->schema, fa->t->family, &fa->t->params, fa->train,
						fa->n_train, cfg->weights, fa->s->prepared[fa->fs->index], fa->seed, err);
}

/* The seed of a trial's fit on fold f: its fold models are fitted with it again. */
static uint64_t
fold_seed(const AmSearchConfig *cfg, const AmTrial *t, int f)
{
	return am_seed_derive(cfg->options->seed, (uint64_t) t->number * 1000 + f);
}

static void
run_trial(Search *s, const FamilyState *fs, AmTrial *t)
{
	const AmSearchConfig *cfg = s->cfg;
	const AmDataset *d = cfg->data;
	const AmTrial *best = best_trial(s);
	double		sum = 0.0,
				sumsq = 0.0,
				best_sum = 0.0;
	/*
	 * A family's first complete trial is never pruned: it is the point its
	 * search moves from, and the leaderboard's score for the family.
	 */
	bool		can_prune = cfg->options->early_stopping && s->val.n_folds >= 3 &&
		best != NULL && fs->has_inc;

	for (int f = 0; f < s->val.n_folds; f++)
	{
		void	   *scope;
		int		   *train,
				   *valid;
		int			n_train,
					n_valid;
		AmModel    *m;
		AmErr		err;
		FoldFit		fa;
		double		t0,
					t1,
					t2;
		double	   *pred,
				   *yv;

		if (have_best(s) && over_budget(s))
		{
			t->status = AM_TRIAL_STOPPED;
			snprintf(t->error, sizeof(t->error), "time budget ran out after %d of %d folds",
					 f, s->val.n_folds);
			return;
		}
		am_check_interrupts();
		scope = am_scope_begin();
		am_err_clear(&err);
		split_fold(&s->val, d->n_rows, f, &train, &n_train, &valid, &n_valid);
		t0 = am_now();
		fa.s = s;
		fa.fs = fs;
		fa.t = t;
		fa.train = train;
		fa.n_train = n_train;
		fa.seed = fold_seed(cfg, t, f);
		/*
		 * A fold that does not fit in memory fails its trial, not the search;
		 * once there is a best model, a fit gives up when the budget is spent.
		 */
		if (have_best(s) && cfg->time_budget > 0)
			am_set_deadline(s->started + cfg->time_budget);
		m = am_guarded(fit_fold, &fa, &err);
		am_set_deadline(0);
		t1 = am_now();
		t->fit_seconds += t1 - t0;
		if (m == NULL)
		{
			t->status = err.kind == AM_ERR_DEADLINE ? AM_TRIAL_STOPPED : AM_TRIAL_FAILED;
			snprintf(t->error, sizeof(t->error), "%s", err.msg[0] ? err.msg : "fit failed");
			am_scope_end(scope);
			return;
		}
		pred = AM_NEW(double, (size_t) n_valid * s->outs);
		predict_rows(m, d, valid, n_valid, pred);
		t2 = am_now();
		t->predict_seconds += t2 - t1;
		yv = gather(d->y, valid, n_valid);
		t->fold_scores[f] = am_metric_score(cfg->metric, d->task, d->n_classes, yv, pred,
											n_valid, NULL);
		for (int k = 0; k < n_valid; k++)
		{
			double	   *to = s->scratch_pred + (size_t) s->val.valid_pos[valid[k]] * s->outs;
			const double *from = pred + (size_t) k * s->outs;

			for (int o = 0; o < s->outs; o++)
				to[o] = f < s->val.k ? from[o] : to[o] + from[o];
		}
		am_scope_end(scope);
		t->n_folds++;
		sum += t->fold_scores[f];
		sumsq += t->fold_scores[f] * t->fold_scores[f];
		if (can_prune && f + 1 < s->val.n_folds && f < best->n_folds)
		{
			double		margin = 2.0 * best->score_std + 1e-9;

			best_sum += best->fold_scores[f];
			if (am_metric_better(cfg->metric, best_sum / (f + 1) - (am_metric_greater_is_better(cfg->metric) ? margin : -margin),
								 sum / (f + 1)))
			{
				t->status = AM_TRIAL_PRUNED;
				t->score = sum / (f + 1);
				snprintf(t->error, sizeof(t->error),
						 "pruned after %d of %d folds: %g trails the best's %g on them",
						 f + 1, s->val.n_folds, sum / (f + 1), best_sum / (f + 1));
				return;
			}
		}
	}
	if (s->val.n_repeats > 1)
		for (size_t i = 0; i < (size_t) s->val.n_valid * s->outs; i++)
			s->scratch_pred[i] /= s->val.n_repeats;
	t->score = sum / s->val.n_folds;
	t->score_std = s->val.n_folds > 1 ?
		sqrt(fmax(0.0, (sumsq - s->val.n_folds * t->score * t->score) / (s->val.n_folds - 1))) : 0.0;
	if (isnan(t->score))
	{
		t->status = AM_TRIAL_FAILED;
		snprintf(t->error, sizeof(t->error), "metric %s is undefined on these folds",
				 am_metric_name(cfg->metric));
		return;
	}
	t->status = AM_TRIAL_OK;
}

/* The smallest score change that counts as progress: beyond the folds' noise. */
static double
significant_gain(const AmTrial *t)
{
	double		std = isnan(t->score_std) ? 0.0 : t->score_std;

	return fmax(1e-4 * fabs(t->score) + 1e-12, 0.1 * std);
}

/* Does a family's incumbent trail the overall best by more than the noise? */
static bool
trails_clearly(const Search *s, const FamilyState *fs)
{
	const AmTrial *best = best_trial(s);
	double		std;

	if (best == NULL)
		return false;
	if (!fs->has_inc)
		return fs->trials > 0;	/* every trial pruned or failed */
	std = isnan(best->score_std) ? 0.0 : best->score_std;
	return fabs(best->score - fs->inc_score) > fmax(2.0 * std, 1e-3 * fabs(best->score));
}

/* Standard error of a mean over folds with this spread (0 without one). */
static double
standard_error(double std, int n_folds)
{
	return n_folds > 1 && !isnan(std) ? std / sqrt((double) n_folds) : 0.0;
}

/*
 * A new best: a gain when it beats the best of the last gain by one of its
 * standard errors; smaller steps add up.
 */
static void
note_gain(Search *s, const AmTrial *t, int index)
{
	double		se = standard_error(t->score_std, t->n_folds);

	if (s->gain_trial < 0 || fabs(t->score - s->gain_score) >= se)
	{
		s->gain_trial = index;
		s->gain_score = t->score;
	}
}

/*
 * Has the search gone "patience" trials since the best last gained a
 * standard error?  Past that, on small data, further trials mostly find
 * configurations that fit the folds' chance better.
 */
static bool
converged(const Search *s)
{
	int			patience = s->cfg->options->patience;

	return patience > 0 && s->gain_trial >= 0 && s->res->n_trials - 1 - s->gain_trial >= patience;
}

/* Record a finished trial: incumbents, stored predictions, best. */
static void
finish_trial(Search *s, FamilyState *fs, const double *u, int index)
{
	AmTrial    *t = &s->res->trials[index];
	AmMetric	metric = s->cfg->metric;

	t->finished_at = am_now() - s->started;
	s->res->n_trials = index + 1;
	fs->trials++;
	if (t->status == AM_TRIAL_OK)
	{
		fs->ok_trials++;
		if (!t->resumed)
			store_prediction(s, index, t->score);
		if (s->res->best < 0 || am_metric_better(metric, t->score, s->res->trials[s->res->best].score))
		{
			s->res->best = index;
			note_gain(s, t, index);
		}
		if (!fs->has_inc || am_metric_better(metric, t->score, fs->inc_score))
		{
			/* a gain within the folds' noise moves the incumbent, but is no progress */
			bool		progress = !fs->has_inc ||
				fabs(t->score - fs->inc_score) > significant_gain(t);

			if (u)
				memcpy(fs->inc, u, sizeof(double) * fs->space.n_dims);
			else
				am_space_point(&fs->space, &t->params, fs->inc);
			fs->inc_score = t->score;
			fs->has_inc = true;
			fs->dir_pending = false;
			if (progress)
			{
				fs->fails = 0;
				fs->since_progress = 0;
				fs->improved = true;
				return;
			}
		}
	}
	fs->fails++;
	/*
	 * A family that trails the best clearly and has not moved for a round of
	 * steps in every direction is retired: cheap families would otherwise
	 * take most trials just for being cheap.
	 */
	if (++fs->since_progress >= STALE_TRIALS + 2 * fs->space.n_dims && trails_clearly(s, fs))
	{
		fs->done = true;
		return;
	}
	if (fs->fails >= 2 * (fs->space.n_dims > 1 ? fs->space.n_dims : 1))
	{
		fs->fails = 0;
		fs->step *= 0.5;
		if (fs->step < MIN_STEP)
		{
			/*
			 * Converged locally.  Twice without any gain in between means
			 * this family has given what it has; else a global move:
			 * restart from a random point.
			 */
			if (!fs->improved && (++fs->stale_restarts >= 2 || trails_clearly(s, fs)))
				fs->done = true;
			fs->improved = false;
			for (int i = 0; i < fs->space.n_dims; i++)
				fs->inc[i] = am_rng_uniform(&s->rng);
			fs->step = INITIAL_STEP;
		}
	}
	if (t->status == AM_TRIAL_FAILED && fs->ok_trials == 0 && fs->trials >= 3)
		fs->done = true;		/* this family keeps failing on this data */
}

static double
relative_cost(const FamilyState *fs)
{
	return fs->family->relative_cost > 0 ? fs->family->relative_cost : 1.0;
}

/*
 * What a trial adds to its family's cost, which steers the choice of the
 * next family.  Under a time budget: the whole trial's time, scoring
 * included; a pruned trial counts as the full trial it would have been, or
 * pruning would make a family look cheap for doing badly.  A search bounded
 * by its trial count alone counts the family's nominal cost instead: the
 * same seed and max_trials then give the same trials on any machine, under
 * any load.
 */
static double
trial_cost(const Search *s, const FamilyState *fs, const AmTrial *t, double seconds)
{
	if (!(s->cfg->time_budget > 0))
		return relative_cost(fs);
	if (t->status == AM_TRIAL_PRUNED && t->n_folds > 0 && s->val.n_folds > t->n_folds)
		return seconds * s->val.n_folds / t->n_folds;
	return seconds;
}

/* Evaluate one configuration of a family as the next trial. */
static void
evaluate(Search *s, FamilyState *fs, const AmParams *p, const double *u)
{
	int			index = s->res->n_trials;
	AmTrial    *t = next_trial_slot(s);
	double		started;

	memset(t, 0, sizeof(*t));
	t->number = index + 1;
	t->family = fs->family;
	t->params = *p;
	t->score = NAN;
	t->score_std = NAN;
	remember(fs, p);
	started = am_now();
	run_trial(s, fs, t);
	fs->cost += trial_cost(s, fs, t, am_now() - started);
	s->new_trials++;
	finish_trial(s, fs, u, index);
	if (s->cfg->on_trial)
		s->cfg->on_trial(s->cfg->arg, t, best_trial(s));
	if (t->status == AM_TRIAL_STOPPED)
		s->deadline_hit = true;
}

/* Does a proposed configuration pass the family's cross-parameter checks? */
static bool
fits_family(const Search *s, const FamilyState *fs, const AmParams *p)
{
	AmParams	full = *p;
	AmErr		err;

	am_family_complete_params(fs->family, &full);
	return am_family_check_params(fs->family, &full, s->cfg->data->task, &err);
}

/* The next configuration of a family around its incumbent; false if none new. */
static bool
propose(Search *s, FamilyState *fs, double *u, AmParams *p)
{
	int			d = fs->space.n_dims;

	for (int attempt = 0; attempt < 16; attempt++)
	{
		if (!fs->has_inc || attempt >= 12)
		{
			for (int i = 0; i < d; i++)
				u[i] = am_rng_uniform(&s->rng);
		}
		else
		{
			if (!fs->dir_pending)
			{
				double		norm = 0.0;

				for (int i = 0; i < d; i++)
				{
					fs->dir[i] = am_rng_normal(&s->rng);
					norm += fs->dir[i] * fs->dir[i];
				}
				norm = sqrt(norm) + 1e-12;
				for (int i = 0; i < d; i++)
					fs->dir[i] /= norm;
				for (int i = 0; i < d; i++)
					u[i] = fs->inc[i] + fs->step * fs->dir[i];
				fs->dir_pending = true;
			}
			else
			{
				for (int i = 0; i < d; i++)
					u[i] = fs->inc[i] - fs->step * fs->dir[i];
				fs->dir_pending = false;
			}
			for (int i = 0; i < d; i++)
				u[i] = u[i] < 0 ? 0 : (u[i] > 1 ? 1 : u[i]);
		}
		am_space_params(&fs->space, u, p);
		if (!remembered(fs, p) && fits_family(s, fs, p))
			return true;
		fs->fails++;			/* a repeat: counts as a step that went nowhere */
		if (fs->fails >= 2 * (d > 1 ? d : 1))
		{
			fs->fails = 0;
			fs->step *= 0.5;
		}
	}
	return false;
}

/* Estimated cost for improvement: cheap families close to the best first. */
static FamilyState *
pick_family(Search *s)
{
	const AmTrial *best = best_trial(s);
	FamilyState *pick = NULL;
	double		pick_priority = INFINITY;
	int			open = 0;

	for (int i = 0; i < s->n_fam; i++)
		if (!s->fam[i].done)
			open++;
	if (open == 0)
		return NULL;
	if (s->new_trials % EXPLORE_EVERY == EXPLORE_EVERY - 1)
	{
		int			k = (int) am_rng_below(&s->rng, (uint64_t) open);

		for (int i = 0; i < s->n_fam; i++)
			if (!s->fam[i].done && k-- == 0)
				return &s->fam[i];
	}
	for (int i = 0; i < s->n_fam; i++)
	{
		FamilyState *fs = &s->fam[i];
		double		cost,
					gap,
					scale,
					priority;

		if (fs->done)
			continue;
		cost = fs->trials > 0 ? fs->cost / fs->trials + 1e-3 : 1e-3;
		gap = 0.0;
		scale = 1e-3;
		if (best && fs->has_inc)
		{
			gap = fabs(best->score - fs->inc_score);
			scale = fmax(isnan(best->score_std) ? 0.0 : best->score_std, 1e-3 * fabs(best->score) + 1e-9);
		}
		else if (best)
			gap = 10.0 * scale;		/* nothing good yet from this family */
		priority = cost * (1.0 + gap / scale);
		if (priority < pick_priority)
		{
			pick_priority = priority;
			pick = fs;
		}
	}
	return pick;
}

static bool
trial_slots_left(const Search *s)
{
	return s->res->n_trials < s->cap &&
		(s->cfg->max_trials <= 0 || s->new_trials < s->cfg->max_trials);
}

/*
 * Has a limit ended the search?  If so, *end says which; the user's own
 * limits take precedence over patience.
 */
static bool
limit_reached(const Search *s, AmSearchEnd *end)
{
	if (s->deadline_hit || (have_best(s) && over_budget(s)))
		*end = AM_END_TIME_BUDGET;
	else if (!trial_slots_left(s))
		*end = AM_END_MAX_TRIALS;
	else if (converged(s))
		*end = AM_END_PATIENCE;
	else
		return false;
	return true;
}

static void
init_families(Search *s)
{
	const AmSearchConfig *cfg = s->cfg;

	s->n_fam = cfg->n_families;
	for (int i = 0; i < cfg->n_families; i++)
	{
		FamilyState *fs = &s->fam[i];

		memset(fs, 0, sizeof(*fs));
		fs->family = cfg->families[i];
		fs->index = i;
		am_space_init(&fs->space, fs->family, am_options_family(cfg->options, fs->family));
		fs->step = INITIAL_STEP;
		fs->tried = NULL;
	}
	/* cheapest first; a stable insertion sort keeps registry order on ties */
	for (int i = 1; i < s->n_fam; i++)
	{
		FamilyState tmp = s->fam[i];
		int			k = i;

		while (k > 0 && relative_cost(&s->fam[k - 1]) > relative_cost(&tmp))
		{
			s->fam[k] = s->fam[k - 1];
			k--;
		}
		s->fam[k] = tmp;
	}
}

/*
 * The starting configurations (as constrained by the user's hyperparameters)
 * must pass the family's own checks: a combination that can never be fitted,
 * such as gbm without max_depth and max_leaves, is an error before any data
 * is touched, not a run of failed trials.
 */
static bool
check_start_points(Search *s, AmErr *err)
{
	for (int i = 0; i < s->n_fam; i++)
	{
		const FamilyState *fs = &s->fam[i];

		for (int cheap = 0; cheap <= 1; cheap++)
		{
			double		u[AM_MAX_PARAMS];
			AmParams	p;

			memset(&p, 0, sizeof(p));
			am_space_start(&fs->space, cheap, u);
			am_space_params(&fs->space, u, &p);
			am_family_complete_params(fs->family, &p);
			if (!am_family_check_params(fs->family, &p, s->cfg->data->task, err))
			{
				char		why[AM_ERR_LEN];

				memcpy(why, err->msg, sizeof(why));
				am_err_set(err, AM_ERR_PARAM, "invalid hyperparameters of algorithm \"%s\": %s",
						   fs->family->name, why);
				return false;
			}
		}
	}
	return true;
}

static FamilyState *
family_state(Search *s, const AmFamily *f)
{
	for (int i = 0; i < s->n_fam; i++)
		if (s->fam[i].family == f)
			return &s->fam[i];
	return NULL;
}

/* Trials of a resumed run count as done: incumbents, no re-run. */
static void
take_history(Search *s)
{
	for (int h = 0; h < s->cfg->n_history && s->res->n_trials < s->cap; h++)
	{
		const AmTrial *old = &s->cfg->history[h];
		FamilyState *fs = family_state(s, old->family);
		int			index = s->res->n_trials;

		if (fs == NULL)
			continue;
		*next_trial_slot(s) = *old;
		s->res->trials[index].number = index + 1;
		s->res->trials[index].resumed = true;
		remember(fs, &old->params);
		finish_trial(s, fs, NULL, index);
		fs->trials--;			/* cost estimates come from this run */
		/* recorded again under this run, marked resumed */
		if (s->cfg->on_trial)
			s->cfg->on_trial(s->cfg->arg, &s->res->trials[index], best_trial(s));
	}
}

static void
build_prepared(Search *s, AmErr *err, bool *ok)
{
	const AmSearchConfig *cfg = s->cfg;

	*ok = true;
	for (int i = 0; i < cfg->n_families; i++)
	{
		if (cfg->families[i]->prepare == NULL)
			continue;
		for (int k = 0; k < i; k++)
			if (cfg->families[k]->prepare == cfg->families[i]->prepare)
				s->prepared[i] = s->prepared[k];
		if (s->prepared[i] == NULL)
		{
			am_check_interrupts();
			s->prepared[i] = cfg->families[i]->prepare(cfg->data, err);
			if (s->prepared[i] == NULL)
			{
				*ok = false;
				return;
			}
		}
	}
}

static int
family_index(const AmSearchConfig *cfg, const AmFamily *f)
{
	for (int i = 0; i < cfg->n_families; i++)
		if (cfg->families[i] == f)
			return i;
	return 0;
}

/*
 * Mean and standard deviation over the folds of the metric of validation
 * predictions (n_valid x outputs), on the first round's folds: the way
 * trials are scored, so the two compare.
 */
static double
fold_mean_score(const Search *s, const double *pred, double *std)
{
	const AmSearchConfig *cfg = s->cfg;
	const AmDataset *d = cfg->data;
	int			nv = s->val.n_valid;
	double	   *yf = AM_NEW(double, nv > 0 ? nv : 1);
	double	   *pf = AM_NEW(double, (size_t) (nv > 0 ? nv : 1) * s->outs);
	double		sum = 0.0,
				sumsq = 0.0,
				mean;
	int			folds = 0;

	for (int f = 0; f < s->val.k; f++)
	{
		int			n = 0;
		double		score;

		for (int i = 0; i < nv; i++)
			if (s->val.fold[s->val.valid_rows[i]] == f)
			{
				yf[n] = s->valid_y[i];
				memcpy(pf + (size_t) n * s->outs, pred + (size_t) i * s->outs,
					   sizeof(double) * s->outs);
				n++;
			}
		if (n == 0)
			continue;
		score = am_metric_score(cfg->metric, d->task, d->n_classes, yf, pf, n, NULL);
		sum += score;
		sumsq += score * score;
		folds++;
	}
	am_free(yf);
	am_free(pf);
	mean = folds > 0 ? sum / folds : NAN;
	*std = folds > 1 ? sqrt(fmax(0.0, (sumsq - folds * mean * mean) / (folds - 1))) : 0.0;
	return mean;
}

/*
 * Ensembles are chosen on at most this many validation rows: selection
 * scores every candidate in every round (for AUC, a sort of the rows), so
 * its cost grows with the rows while its choice hardly changes past a few
 * thousand; on 100,000 rows the selection and its check took half a minute.
 */
#define ENSEMBLE_MAX_ROWS 5000

/*
 * The validation rows an ensemble is chosen and checked on: every row, or
 * every stride-th one, with its part for the check on unseen rows (the
 * first round's fold, or alternate halves of a holdout).
 */
typedef struct SelectionRows
{
	int			n;
	double	   *y;
	double	   *preds[MAX_STORED_PREDICTIONS];
	int		   *part;
	int			n_parts;
	bool		copied;
} SelectionRows;

static void
selection_rows(const Search *s, double *const *preds, int n_preds, SelectionRows *sel)
{
	int			nv = s->val.n_valid;
	int			stride = nv > ENSEMBLE_MAX_ROWS ? (nv + ENSEMBLE_MAX_ROWS - 1) / ENSEMBLE_MAX_ROWS : 1;

	sel->n = (nv + stride - 1) / stride;
	sel->n_parts = s->val.k >= 2 ? s->val.k : 2;
	sel->copied = stride > 1;
	sel->part = AM_NEW(int, sel->n > 0 ? sel->n : 1);
	sel->y = sel->copied ? AM_NEW(double, sel->n) : s->valid_y;
	for (int c = 0; c < n_preds; c++)
		sel->preds[c] = sel->copied ? AM_NEW(double, (size_t) sel->n * s->outs) : preds[c];
	for (int j = 0; j < sel->n; j++)
	{
		int			i = j * stride;

		sel->part[j] = s->val.k >= 2 ? s->val.fold[s->val.valid_rows[i]] : j % 2;
		if (!sel->copied)
			continue;
		sel->y[j] = s->valid_y[i];
		for (int c = 0; c < n_preds; c++)
			memcpy(sel->preds[c] + (size_t) j * s->outs, preds[c] + (size_t) i * s->outs,
				   sizeof(double) * s->outs);
	}
}

static void
free_selection_rows(SelectionRows *sel, int n_preds)
{
	if (sel->copied)
	{
		am_free(sel->y);
		for (int c = 0; c < n_preds; c++)
			am_free(sel->preds[c]);
	}
	am_free(sel->part);
}

/* How much better score a is than score b for this metric (< 0: worse). */
static double
gain_over(AmMetric metric, double a, double b)
{
	return am_metric_greater_is_better(metric) ? a - b : b - a;
}

/*
 * Try an ensemble of the stored predictions, chosen greedily on all the
 * validation predictions at once; keep it when it beats the best trial over
 * the folds by more than their noise, and does so too when each is chosen
 * without the rows that score it.
 */
static void
choose_ensemble(Search *s)
{
	const AmSearchConfig *cfg = s->cfg;
	const AmDataset *d = cfg->data;
	const AmTrial *best = &s->res->trials[s->res->best];
	double	   *preds[MAX_STORED_PREDICTIONS];
	double		weights[MAX_STORED_PREDICTIONS];
	int			counts[MAX_STORED_PREDICTIONS];
	int			distinct = 0;
	double	   *combined;
	double		ens_score,
				ens_std,
				best_score,
				best_std,
				min_gain,
				gain;
	const double *best_pred = NULL;
	SelectionRows sel;

	s->res->ensemble_score = NAN;
	s->res->unseen_ensemble_score = NAN;
	s->res->unseen_single_score = NAN;
	if (!cfg->options->ensemble || s->n_stored < 2)
		return;
	for (int i = 0; i < s->n_stored; i++)
	{
		preds[i] = s->stored[i].pred;
		if (s->stored[i].trial == s->res->best)
			best_pred = s->stored[i].pred;
	}
	if (best_pred == NULL)
		return;
	selection_rows(s, preds, s->n_stored, &sel);
	(void) am_ensemble_select(cfg->metric, d->task, d->n_classes, sel.y, sel.n, sel.preds,
							  s->n_stored, cfg->options->ensemble_size, counts);
	for (int i = 0; i < s->n_stored; i++)
	{
		weights[i] = counts[i];
		distinct += counts[i] > 0;
	}
	combined = AM_NEW(double, (size_t) s->val.n_valid * s->outs);
	am_ensemble_combine(d->task, d->n_classes, preds, weights, s->n_stored, s->val.n_valid,
						combined);
	ens_score = fold_mean_score(s, combined, &ens_std);
	s->res->ensemble_score = ens_score;

	/*
	 * Worth its cost only for a gain beyond the noise of the folds: against
	 * the best trial's prediction scored the same way (with repeated rounds,
	 * predictions averaged over them score better than one round's), and
	 * against the choice of one trial when both are chosen without the rows
	 * they are scored on.
	 */
	best_score = fold_mean_score(s, best_pred, &best_std);
	min_gain = fmax(1e-4, 0.05 * (isnan(best->score_std) ? 0.0 : best->score_std));
	gain = gain_over(cfg->metric, ens_score, best_score);
	if (gain >= min_gain)
	{
		double		single;
		double		nested = am_ensemble_unseen(cfg->metric, d->task, d->n_classes, sel.y, sel.n,
												sel.part, sel.n_parts, sel.preds, s->n_stored,
												cfg->options->ensemble_size, &single);

		s->res->unseen_ensemble_score = nested;
		s->res->unseen_single_score = single;
		gain = gain_over(cfg->metric, nested, single);
	}
	free_selection_rows(&sel, s->n_stored);
	if (distinct < 2 || !(gain >= min_gain))
	{
		am_free(combined);
		return;
	}
	s->res->is_ensemble = true;
	s->res->n_members = 0;
	for (int i = 0; i < s->n_stored; i++)
		if (counts[i] > 0)
		{
			s->res->member_trials[s->res->n_members] = s->stored[i].trial;
			s->res->member_weights[s->res->n_members] = counts[i];
			s->res->n_members++;
		}
	s->res->score = ens_score;
	s->res->score_std = ens_std;
	memcpy(s->res->valid_pred, combined, sizeof(double) * (size_t) s->val.n_valid * s->outs);
	am_free(combined);
}

/*
 * The one-standard-error rule ("prefer_simpler"): the best stored trial of
 * the simplest family (model.h, complexity) that scores within one standard
 * error of the winner's mean over the folds takes the winner's place; an
 * ensemble counts as more complex than any single model.  A simpler model
 * about as good on the folds is cheaper to score and to explain, and less
 * of what it fits is the chance that let the luckiest of many trials win.
 */
#define ENSEMBLE_COMPLEXITY 5

/* A family that states no complexity counts as the most complex single model. */
static int
complexity(const AmFamily *f)
{
	return f->complexity > 0 ? f->complexity : ENSEMBLE_COMPLEXITY - 1;
}

static void
prefer_simpler(Search *s)
{
	AmSearchResult *res = s->res;
	AmMetric	metric = s->cfg->metric;
	const AmTrial *top = &res->trials[res->best];
	int			top_complexity = res->is_ensemble ? ENSEMBLE_COMPLEXITY : complexity(top->family);
	double		se,
				bound;
	int			chosen = -1;

	if (!s->cfg->options->prefer_simpler || top->n_folds < 2 || isnan(res->score_std))
		return;
	se = standard_error(res->score_std, top->n_folds);
	bound = am_metric_greater_is_better(metric) ? res->score - se : res->score + se;
	for (int i = 0; i < s->n_stored; i++)
	{
		const AmTrial *t = &res->trials[s->stored[i].trial];
		const AmTrial *c = chosen >= 0 ? &res->trials[s->stored[chosen].trial] : NULL;

		if (complexity(t->family) >= top_complexity || am_metric_better(metric, bound, t->score))
			continue;
		if (c == NULL || complexity(t->family) < complexity(c->family) ||
			(complexity(t->family) == complexity(c->family) &&
			 am_metric_better(metric, t->score, c->score)))
			chosen = i;
	}
	if (chosen < 0)
		return;
	res->simpler_than = res->is_ensemble ? AM_SIMPLER_THAN_ENSEMBLE : res->best;
	res->is_ensemble = false;
	res->n_members = 0;
	res->best = s->stored[chosen].trial;
	res->score = res->trials[res->best].score;
	res->score_std = res->trials[res->best].score_std;
	memcpy(res->valid_pred, s->stored[chosen].pred,
		   sizeof(double) * (size_t) s->val.n_valid * s->outs);
}

/*
 * Does the final model average a family's fold models rather than refit it
 * on all rows?  Only with k folds; by default ("auto") for the families
 * whose fits move with their rows, on small data, where averaging the k
 * fits smooths what one refit would fit to chance (AutoGluon's bagging).
 */
static bool
bags_fold_models(const Search *s, const AmFamily *f)
{
	const AmTrainOptions *o = s->cfg->options;

	if (s->val.holdout || s->val.k < 2)
		return false;
	if (o->refit == AM_REFIT_FOLDS)
		return true;
	return o->refit == AM_REFIT_AUTO && f->bag_fold_models &&
		s->cfg->data->n_rows <= AM_DEFAULT_BAG_MAX_ROWS;
}

/*
 * One trial's part of the final model: a refit on all rows, or its k fold
 * models, fitted on the first round's training rows with the seeds its
 * cross-validation used (so they are the models that scored it).
 */
static bool
fit_final(Search *s, const AmTrial *t, bool bag, double weight, AmModel **out,
		  double *weights, int *n_out, AmErr *err)
{
	const AmSearchConfig *cfg = s->cfg;
	const AmDataset *d = cfg->data;
	void	   *prepared = s->prepared[family_index(cfg, t->family)];

	if (!bag)
	{
		am_check_interrupts();
		out[*n_out] = am_model_fit(d, cfg->schema, t->family, &t->params, NULL, d->n_rows,
								   cfg->weights, prepared, cfg->options->seed, err);
		weights[(*n_out)++] = weight;
		return out[*n_out - 1] != NULL;
	}
	for (int f = 0; f < s->val.k; f++)
	{
		int		   *train,
				   *valid,
					n_train,
					n_valid;

		am_check_interrupts();
		split_fold(&s->val, d->n_rows, f, &train, &n_train, &valid, &n_valid);
		out[*n_out] = am_model_fit(d, cfg->schema, t->family, &t->params, train, n_train,
								   cfg->weights, prepared, fold_seed(cfg, t, f), err);
		am_free(train);
		am_free(valid);
		weights[(*n_out)++] = weight / s->val.k;
		if (out[*n_out - 1] == NULL)
			return false;
	}
	return true;
}

/* Seconds of a trial's final fits: k fold fits, or a refit on k / (k - 1) times a fold's rows. */
static double
final_fit_seconds(const Search *s, const AmTrial *t, bool bag)
{
	double		per_fold = t->n_folds > 0 ? t->fit_seconds / t->n_folds : 0.0;
	int			k = s->val.k;

	return bag ? per_fold * k : k > 1 ? per_fold * k / (k - 1.0) : per_fold;
}

/*
 * Which members keep their fold models (bags_fold_models()): the heaviest
 * first, while all models still fit in one ensemble and, under a time
 * budget, their fits (as long as the trials' fold fits were) end within it.
 */
static void
choose_fold_models(const Search *s, bool *bag)
{
	const AmSearchResult *res = s->res;
	int			order[AM_MAX_ENSEMBLE];
	int			n_models = res->n_members;
	double		seconds = 0.0;

	for (int m = 0; m < res->n_members; m++)
	{
		int			k = m;

		bag[m] = false;
		seconds += final_fit_seconds(s, &res->trials[res->member_trials[m]], false);
		while (k > 0 && res->member_weights[order[k - 1]] < res->member_weights[m])
		{
			order[k] = order[k - 1];
			k--;
		}
		order[k] = m;
	}
	for (int i = 0; i < res->n_members; i++)
	{
		int			m = order[i];
		const AmTrial *t = &res->trials[res->member_trials[m]];
		double		more = final_fit_seconds(s, t, true) - final_fit_seconds(s, t, false);

		if (!bags_fold_models(s, t->family) || n_models + s->val.k - 1 > AM_MAX_ENSEMBLE)
			continue;
		if (s->cfg->time_budget > 0 &&
			am_now() - s->started + seconds + more > s->cfg->time_budget)
			continue;
		bag[m] = true;
		n_models += s->val.k - 1;
		seconds += more;
	}
}

/*
 * Fit the final model: the chosen trial, or the ensemble's members, each
 * refit on all rows or as its fold models (choose_fold_models()).
 */
static bool
refit(Search *s, AmErr *err)
{
	AmSearchResult *res = s->res;
	AmModel    *models[AM_MAX_ENSEMBLE];
	double		weights[AM_MAX_ENSEMBLE];
	bool		bag[AM_MAX_ENSEMBLE];
	int			n_models = 0;

	am_set_deadline(0);			/* the final model is fitted whatever the time */
	if (!res->is_ensemble)
	{
		res->n_members = 1;
		res->member_trials[0] = res->best;
		res->member_weights[0] = 1.0;
	}
	choose_fold_models(s, bag);
	for (int m = 0; m < res->n_members; m++)
	{
		const AmTrial *t = &res->trials[res->member_trials[m]];

		if (!fit_final(s, t, bag[m], res->member_weights[m], models, weights, &n_models, err))
			return false;
		res->member_trials[m] = t->number;
		res->fold_models[m] = bag[m] ? s->val.k : 0;
	}
	if (!res->is_ensemble && !bag[0])
		res->n_members = 0;
	res->model = n_models == 1 ? models[0] :
		am_ensemble_model(s->cfg->schema, models, weights, n_models);
	return true;
}

/* No cross-validation: one fit of the first configuration on all rows. */
static AmSearchResult *
fit_without_validation(Search *s, AmErr *err)
{
	const AmSearchConfig *cfg = s->cfg;
	AmSearchResult *res = s->res;
	AmTrial    *t = next_trial_slot(s);
	FamilyState *fs = &s->fam[0];
	double		u[AM_MAX_PARAMS];
	double		t0 = am_now();

	if (cfg->n_families > 1)
	{
		am_err_set(err, AM_ERR_PARAM,
				   "without cross-validation (cv_folds 0) exactly one algorithm must be chosen");
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->number = 1;
	t->family = fs->family;
	am_space_start(&fs->space, false, u);
	am_space_params(&fs->space, u, &t->params);
	t->score = NAN;
	t->score_std = NAN;
	res->model = am_model_fit(cfg->data, cfg->schema, t->family, &t->params, NULL,
							  cfg->data->n_rows, cfg->weights, s->prepared[fs->index],
							  cfg->options->seed, err);
	if (res->model == NULL)
		return NULL;
	t->fit_seconds = am_now() - t0;
	t->finished_at = am_now() - s->started;
	t->status = AM_TRIAL_OK;
	res->n_trials = 1;
	res->best = 0;
	res->score = NAN;
	res->score_std = NAN;
	res->ensemble_score = NAN;
	res->unseen_ensemble_score = NAN;
	res->unseen_single_score = NAN;
	if (cfg->on_trial)
		cfg->on_trial(cfg->arg, t, t);
	res->seconds = am_now() - s->started;
	return res;
}

AmSearchResult *
am_search_run(const AmSearchConfig *cfg, AmErr *err)
{
	const AmDataset *d = cfg->data;
	Search		s;
	AmSearchResult *res = AM_NEW0(AmSearchResult, 1);
	bool		ok;
	int			max_new;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.res = res;
	s.started = am_now();
	s.outs = am_task_outputs(d->task, d->n_classes);
	am_rng_seed(&s.rng, am_seed_derive(cfg->options->seed, 0x5EA7C4));
	res->best = -1;
	res->simpler_than = -1;
	s.gain_trial = -1;
	am_set_deadline(0);			/* none left over from a cancelled call */
	init_families(&s);
	if (!check_start_points(&s, err))
		return NULL;

	if (cfg->options->cv_folds > d->n_rows)
	{
		am_err_set(err, AM_ERR_DATA, "%d rows are too few for %d cross-validation folds",
				   d->n_rows, cfg->options->cv_folds);
		return NULL;
	}
	max_new = cfg->max_trials > 0 ? cfg->max_trials : 100000;
	s.cap = cfg->n_history + (max_new < 100000 ? max_new : 100000);
	if (cfg->on_phase)
		cfg->on_phase(cfg->arg, "preparing");
	build_prepared(&s, err, &ok);
	if (!ok)
		return NULL;
	if (cfg->options->cv_folds == 0 && cfg->options->validation != AM_VALIDATION_HOLDOUT)
		return fit_without_validation(&s, err);

	make_validation(cfg, &s.val, err);
	res->holdout = s.val.holdout;
	res->n_folds = s.val.k;
	res->n_repeats = s.val.n_repeats;
	res->n_valid = s.val.n_valid;
	res->valid_rows = s.val.valid_rows;
	s.valid_y = gather(d->y, s.val.valid_rows, s.val.n_valid);
	am_memory_reserve((size_t) s.val.n_valid * s.outs * sizeof(double) * 2, "validation predictions");
	s.scratch_pred = AM_NEW0(double, (size_t) s.val.n_valid * s.outs);
	/* keep as many predictions for the ensemble as a share of the free memory allows */
	{
		double		one = (double) s.val.n_valid * s.outs * sizeof(double);
		double		fit = STORE_SHARE * (double) am_memory_available() / (one > 0 ? one : 1);

		s.max_stored = fit >= MAX_STORED_PREDICTIONS ? MAX_STORED_PREDICTIONS : (int) fit;
	}
	take_history(&s);
	if (res->best >= 0)
	{
		/* a resumed run has its own patience: it counts from the first new trial */
		s.gain_trial = res->n_trials - 1;
		s.gain_score = res->trials[res->best].score;
	}
	if (cfg->on_phase)
		cfg->on_phase(cfg->arg, "searching");

	/* starting configurations, cheapest family first */
	for (int i = 0; i < s.n_fam && trial_slots_left(&s); i++)
	{
		FamilyState *fs = &s.fam[i];
		double		u[AM_MAX_PARAMS];
		AmParams	p;
		bool		cheap = (double) d->n_rows * d->n_features > CHEAP_START_CELLS;

		if (have_best(&s) && over_budget(&s))
			break;
		am_space_start(&fs->space, cheap, u);
		am_space_params(&fs->space, u, &p);
		if (!remembered(fs, &p))
			evaluate(&s, fs, &p, u);
		if (fs->space.n_dims == 0)
			fs->done = true;	/* nothing to search */
	}
	/* then the local search, until a budget runs out or the best stops gaining */
	while (!limit_reached(&s, &res->ended_by))
	{
		FamilyState *fs = pick_family(&s);
		double		u[AM_MAX_PARAMS];
		AmParams	p;

		if (fs == NULL)
		{
			res->ended_by = AM_END_FAMILIES_DONE;
			break;
		}
		if (!propose(&s, fs, u, &p))
		{
			fs->done = true;	/* its space is exhausted */
			continue;
		}
		evaluate(&s, fs, &p, u);
	}

	if (res->best < 0)
	{
		const AmTrial *last = res->n_trials > 0 ? &res->trials[res->n_trials - 1] : NULL;

		am_err_set(err, AM_ERR_DATA, "no candidate model could be fitted%s%s",
				   last ? ": " : "", last ? last->error : "");
		return NULL;
	}
	res->score = res->trials[res->best].score;
	res->score_std = res->trials[res->best].score_std;
	res->valid_pred = AM_NEW0(double, (size_t) s.val.n_valid * s.outs);
	for (int i = 0; i < s.n_stored; i++)
		if (s.stored[i].trial == res->best)
			memcpy(res->valid_pred, s.stored[i].pred,
				   sizeof(double) * (size_t) s.val.n_valid * s.outs);
	if (cfg->on_phase)
		cfg->on_phase(cfg->arg, "ensembling");
	choose_ensemble(&s);
	prefer_simpler(&s);
	if (cfg->on_phase)
		cfg->on_phase(cfg->arg, "refitting");
	if (!refit(&s, err))
		return NULL;
	res->seconds = am_now() - s.started;
	return res;
}
