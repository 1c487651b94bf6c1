/*
 * ensemble.c
 *	  Greedy ensemble selection with replacement over the validation
 *	  predictions of the best trials (Caruana et al., "Ensemble selection
 *	  from libraries of models", 2004), and the "ensemble" family that
 *	  stores, scores and explains the result like any other model.
 *
 * Members are averaged in the margin space (values; log-odds; log
 * probabilities, whose softmax is the normalised weighted geometric mean),
 * so an ensemble's explanations are exactly the weighted sums of its
 * members' explanations.
 */
#include "search.h"

#include <math.h>
#include <string.h>

#define ENSEMBLE_FORMAT_VERSION 1
#define PROB_FLOOR 1e-15
#define MODEL_HEADER_LEN 16		/* of a serialized model (serialize.c) */

typedef struct EnsembleModel
{
	int			n;
	double	   *weights;		/* sum to 1 */
	AmModel   **members;
	AmTask		task;
	int			n_classes;
	int			p;
} EnsembleModel;

static double
logit(double p)
{
	p = fmin(fmax(p, PROB_FLOOR), 1.0 - PROB_FLOOR);
	return log(p / (1.0 - p));
}

/* What the ensemble averages of a member's output: a clamped margin. */
static double
member_margin(AmTask task, double v)
{
	if (task == AM_TASK_BINARY)
		return logit(v);
	if (task == AM_TASK_MULTICLASS)
		return log(fmax(v, PROB_FLOOR));
	return v;
}

/* Mean margins (n x outs) to outputs in place: probabilities or values. */
static void
margins_to_outputs(AmTask task, int outs, int n, double *out)
{
	if (task == AM_TASK_BINARY)
	{
		for (int i = 0; i < n; i++)
			out[i] = 1.0 / (1.0 + exp(-out[i]));
	}
	else if (task == AM_TASK_MULTICLASS)
	{
		for (int i = 0; i < n; i++)
		{
			double	   *r = out + (size_t) i * outs;
			double		mx = -INFINITY,
						se = 0.0;

			for (int k = 0; k < outs; k++)
				mx = fmax(mx, r[k]);
			for (int k = 0; k < outs; k++)
				se += (r[k] = exp(r[k] - mx));
			for (int k = 0; k < outs; k++)
				r[k] /= se;
		}
	}
}

/*
 * out[i] += w * the margin of one member's prediction of row rows[i] (of row
 * i when rows is NULL), for n rows of outs outputs.
 */
static void
add_margins(AmTask task, int outs, const double *pred, const int *rows, int n, double w,
			double *out)
{
	for (int i = 0; i < n; i++)
	{
		const double *from = pred + (size_t) (rows ? rows[i] : i) * outs;

		for (int o = 0; o < outs; o++)
			out[(size_t) i * outs + o] += w * member_margin(task, from[o]);
	}
}

/* out (n x outs) = outputs of the weighted mean margin of the members. */
void
am_ensemble_combine(AmTask task, int n_classes, double *const *preds, const double *weights,
					int n_members, int n, double *out)
{
	int			outs = am_task_outputs(task, n_classes);
	double		wsum = 0.0;

	for (int m = 0; m < n_members; m++)
		wsum += weights[m];
	memset(out, 0, sizeof(double) * (size_t) n * outs);
	for (int m = 0; m < n_members; m++)
	{
		double		w = weights[m] / wsum;

		if (w != 0.0)
			add_margins(task, outs, preds[m], NULL, n, w, out);
	}
	margins_to_outputs(task, outs, n, out);
}

/*
 * Greedy selection on the rows `rows` (n of them; NULL: rows 0 .. n - 1).
 * Each round adds the candidate whose margins, added to the running sum of
 * the chosen ones, score best; the sum is kept, so a round costs one pass
 * over every candidate's predictions.
 */
static double
select_on_rows(AmMetric metric, AmTask task, int n_classes, const double *y, const int *rows,
			   int n, double *const *preds, int n_candidates, int rounds, int *counts)
{
	int			outs = am_task_outputs(task, n_classes);
	size_t		size = (size_t) (n > 0 ? n : 1) * outs;
	double	   *y_rows = AM_NEW(double, n > 0 ? n : 1);
	double	   *sum = AM_NEW0(double, size);
	double	   *trial = AM_NEW(double, size);
	int		   *chosen = AM_NEW0(int, n_candidates);
	double		best_score = NAN;

	for (int i = 0; i < n; i++)
		y_rows[i] = y[rows ? rows[i] : i];
	memset(counts, 0, sizeof(int) * n_candidates);
	for (int r = 0; r < rounds && n_candidates > 0; r++)
	{
		int			pick = -1;
		double		pick_score = NAN;

		am_check_interrupts();
		for (int c = 0; c < n_candidates; c++)
		{
			double		s;

			memcpy(trial, sum, sizeof(double) * size);
			add_margins(task, outs, preds[c], rows, n, 1.0, trial);
			for (size_t t = 0; t < (size_t) n * outs; t++)
				trial[t] /= r + 1;
			margins_to_outputs(task, outs, n, trial);
			s = am_metric_score(metric, task, n_classes, y_rows, trial, n, NULL);
			if (pick < 0 || am_metric_better(metric, s, pick_score))
			{
				pick = c;
				pick_score = s;
			}
		}
		add_margins(task, outs, preds[pick], rows, n, 1.0, sum);
		chosen[pick]++;
		if (r == 0 || am_metric_better(metric, pick_score, best_score))
		{
			best_score = pick_score;
			memcpy(counts, chosen, sizeof(int) * n_candidates);
		}
	}
	am_free(y_rows);
	am_free(sum);
	am_free(trial);
	am_free(chosen);
	return best_score;
}

double
am_ensemble_select(AmMetric metric, AmTask task, int n_classes, const double *y, int n_valid,
				   double *const *preds, int n_candidates, int rounds, int *counts)
{
	return select_on_rows(metric, task, n_classes, y, NULL, n_valid, preds, n_candidates, rounds,
						  counts);
}

/* The score on the rows `rows` of the members weighted by counts. */
static double
score_on_rows(AmMetric metric, AmTask task, int n_classes, const double *y, const int *rows,
			  int n, double *const *preds, const int *counts, int n_candidates)
{
	int			outs = am_task_outputs(task, n_classes);
	double	   *y_rows = AM_NEW(double, n > 0 ? n : 1);
	double	   *out = AM_NEW0(double, (size_t) (n > 0 ? n : 1) * outs);
	double		total = 0.0,
				score;

	for (int c = 0; c < n_candidates; c++)
		total += counts[c];
	for (int i = 0; i < n; i++)
		y_rows[i] = y[rows[i]];
	for (int c = 0; c < n_candidates; c++)
		if (counts[c] > 0)
			add_margins(task, outs, preds[c], rows, n, counts[c] / total, out);
	margins_to_outputs(task, outs, n, out);
	score = am_metric_score(metric, task, n_classes, y_rows, out, n, NULL);
	am_free(y_rows);
	am_free(out);
	return score;
}

double
am_ensemble_unseen(AmMetric metric, AmTask task, int n_classes, const double *y, int n,
				   const int *part, int n_parts, double *const *preds, int n_preds, int rounds,
				   double *single)
{
	int		   *scored_rows = AM_NEW(int, n > 0 ? n : 1);
	int		   *chosen_on = AM_NEW(int, n > 0 ? n : 1);
	int		   *counts = AM_NEW(int, n_preds);
	double		ens_sum = 0.0,
				single_sum = 0.0;
	int			scored = 0;

	for (int p = 0; p < n_parts; p++)
	{
		int			n_scored = 0,
					n_chosen_on = 0;

		for (int i = 0; i < n; i++)
		{
			if (part[i] == p)
				scored_rows[n_scored++] = i;
			else
				chosen_on[n_chosen_on++] = i;
		}
		if (n_scored == 0 || n_chosen_on == 0)
			continue;
		/* one round: the single best prediction on the other parts */
		(void) select_on_rows(metric, task, n_classes, y, chosen_on, n_chosen_on, preds, n_preds,
							  1, counts);
		single_sum += score_on_rows(metric, task, n_classes, y, scored_rows, n_scored, preds,
									counts, n_preds);
		(void) select_on_rows(metric, task, n_classes, y, chosen_on, n_chosen_on, preds, n_preds,
							  rounds, counts);
		ens_sum += score_on_rows(metric, task, n_classes, y, scored_rows, n_scored, preds, counts,
								 n_preds);
		scored++;
	}
	am_free(scored_rows);
	am_free(chosen_on);
	am_free(counts);
	*single = scored > 0 ? single_sum / scored : NAN;
	return scored > 0 ? ens_sum / scored : NAN;
}

AmModel *
am_ensemble_model(const AmSchema *schema, AmModel **members, const double *weights,
				  int n_members)
{
	AmModel    *m = AM_NEW0(AmModel, 1);
	EnsembleModel *e = AM_NEW0(EnsembleModel, 1);
	double		wsum = 0.0;

	e->n = n_members;
	e->members = AM_NEW(AmModel *, n_members);
	e->weights = AM_NEW(double, n_members);
	for (int i = 0; i < n_members; i++)
		wsum += weights[i];
	for (int i = 0; i < n_members; i++)
	{
		e->members[i] = members[i];
		e->weights[i] = weights[i] / wsum;
	}
	e->task = schema->task;
	e->n_classes = schema->n_classes;
	e->p = schema->n_features;
	m->schema = (AmSchema *) schema;
	m->family = &am_ensemble_family;
	m->fitted = e;
	return m;
}

static void
ensemble_predict(const void *model, const double *x, size_t ld, int n, double *out)
{
	const EnsembleModel *e = model;
	int			outs = am_task_outputs(e->task, e->n_classes);
	double	   *preds[AM_MAX_ENSEMBLE];

	for (int i = 0; i < e->n; i++)
	{
		preds[i] = AM_NEW(double, (size_t) n * outs);
		am_model_predict(e->members[i], x, ld, n, preds[i]);
	}
	am_ensemble_combine(e->task, e->n_classes, preds, e->weights, e->n, n, out);
	for (int i = 0; i < e->n; i++)
		am_free(preds[i]);
}

/*
 * One raw row, as automl.predict scores it: each member scores the row with
 * its own scratch (members of up to 16 outputs on the stack), so a row
 * allocates nothing.
 */
static void
ensemble_predict_row(const void *model, const double *raw, double *out)
{
	const EnsembleModel *e = model;
	int			outs = am_task_outputs(e->task, e->n_classes);
	double		stack[AM_MAX_ENSEMBLE * 16];
	double	   *all = am_scratch(stack, sizeof(stack), (size_t) e->n * outs, sizeof(double));
	double	   *preds[AM_MAX_ENSEMBLE] = {0};

	for (int i = 0; i < e->n; i++)
	{
		preds[i] = all + (size_t) i * outs;
		am_model_predict_row(e->members[i], raw, preds[i]);
	}
	am_ensemble_combine(e->task, e->n_classes, preds, e->weights, e->n, 1, out);
	am_scratch_release(all, stack);
}

static void *
ensemble_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	am_err_set(err, AM_ERR_PARAM, "ensembles are built by the search, not fitted directly");
	return NULL;
}

static void
ensemble_serialize(const void *model, AmWriter *w)
{
	const EnsembleModel *e = model;

	am_w_u32(w, (uint32_t) e->n);
	for (int i = 0; i < e->n; i++)
	{
		size_t		at;

		am_w_f64(w, e->weights[i]);
		at = w->len;
		am_w_u32(w, 0);
		am_model_serialize(e->members[i], w);
		am_w_patch_u32(w, at, (uint32_t) (w->len - at - 4));
	}
}

/*
 * Whether the bytes of a member name an internal family (an ensemble), read
 * before deserializing them: hostile bytes could otherwise nest ensembles
 * until the stack runs out, each level checksumming all the levels inside
 * it.  The family name is the first field after the model header.
 */
static bool
member_is_internal(const uint8_t *data, size_t len)
{
	AmReader	r;
	char	   *name;
	const AmFamily *f;

	if (len < MODEL_HEADER_LEN)
		return false;			/* am_model_deserialize() says what is wrong */
	am_r_init(&r, data + MODEL_HEADER_LEN, len - MODEL_HEADER_LEN);
	name = am_r_str(&r);
	f = name ? am_family_lookup(name) : NULL;
	return f != NULL && f->internal;
}

static void *
ensemble_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	EnsembleModel *e = AM_NEW0(EnsembleModel, 1);
	double		wsum = 0.0;

	e->n = (int) am_r_count(r, 12, AM_MAX_ENSEMBLE);
	if (!am_r_ok(r) || e->n < 1)
	{
		am_err_set(err, AM_ERR_CORRUPT, "ensemble has no members");
		return NULL;
	}
	e->task = task;
	e->n_classes = n_classes;
	e->p = p;
	e->weights = AM_NEW0(double, e->n);
	e->members = AM_NEW0(AmModel *, e->n);
	for (int i = 0; i < e->n; i++)
	{
		uint32_t	len;
		AmModel    *m;

		e->weights[i] = am_r_f64_finite(r, false);
		len = am_r_u32(r);
		if (!am_r_ok(r) || !(e->weights[i] > 0) || len > am_r_remaining(r))
		{
			am_err_set(err, AM_ERR_CORRUPT, "ensemble member %d is invalid", i + 1);
			return NULL;
		}
		if (member_is_internal(r->data + r->pos, len))
		{
			am_err_set(err, AM_ERR_CORRUPT, "ensemble member %d is itself an ensemble", i + 1);
			return NULL;
		}
		m = am_model_deserialize(r->data + r->pos, len, err);
		if (m == NULL)
			return NULL;
		/* members are plain models of the same data: no nesting, same shape */
		if (m->family->internal || m->schema->n_features != p || m->schema->task != task ||
			m->schema->n_classes != n_classes)
		{
			am_err_set(err, AM_ERR_CORRUPT, "ensemble member %d does not match the ensemble", i + 1);
			return NULL;
		}
		r->pos += len;
		e->members[i] = m;
		wsum += e->weights[i];
	}
	/*
	 * Weights are stored normalised: keep them bit for bit, as normalising
	 * again could move them by an ulp on every reload.
	 */
	if (!(fabs(wsum - 1.0) <= 1e-9))
	{
		am_err_set(err, AM_ERR_CORRUPT, "ensemble weights do not add up to 1");
		return NULL;
	}
	return e;
}

static bool
same_feature(const AmFeature *a, const AmFeature *b)
{
	if (strcmp(a->name, b->name) != 0 || a->categorical != b->categorical ||
		a->part != b->part || a->n_levels != b->n_levels)
		return false;
	for (int l = 0; a->categorical && l < a->n_levels; l++)
		if (strcmp(a->levels[l], b->levels[l]) != 0)
			return false;
	return true;
}

bool
am_ensemble_check_members(const void *fitted, const AmSchema *schema, AmErr *err)
{
	const EnsembleModel *e = fitted;

	for (int i = 0; i < e->n; i++)
	{
		const AmSchema *ms = e->members[i]->schema;

		for (int j = 0; j < schema->n_features; j++)
			if (!same_feature(&schema->features[j], &ms->features[j]))
			{
				am_err_set(err, AM_ERR_CORRUPT,
						   "ensemble member %d reads feature %d differently from the ensemble",
						   i + 1, j + 1);
				return false;
			}
	}
	return true;
}

static bool
ensemble_importance(const void *model, AmImportanceKind kind, double *out)
{
	const EnsembleModel *e = model;
	double	   *one = AM_NEW(double, e->p);
	bool		any = false;

	memset(out, 0, sizeof(double) * e->p);
	for (int i = 0; i < e->n; i++)
	{
		double		total = 0.0;

		if (!am_model_importance(e->members[i], kind, one))
			continue;
		for (int j = 0; j < e->p; j++)
			total += one[j];
		for (int j = 0; j < e->p; j++)
			out[j] += e->weights[i] * (total > 0 ? one[j] / total : 0.0);
		any = true;
	}
	am_free(one);
	return any;
}

/*
 * base += w * (member_margin(pred) - sum of the member's contributions phi),
 * centred over the classes for multiclass; d: outs doubles of scratch.
 */
static void
ensemble_add_residual(AmTask task, int outs, int p, const double *phi, const double *pred,
					  double w, double *base, double *d)
{
	double		mean = 0.0;

	for (int k = 0; k < outs; k++)
	{
		double		sum = 0.0;

		for (int j = 0; j <= p; j++)
			sum += phi[(size_t) j * outs + k];
		d[k] = member_margin(task, pred[k]) - sum;
		mean += d[k] / outs;
	}
	for (int k = 0; k < outs; k++)
		base[k] += w * (task == AM_TASK_MULTICLASS ? d[k] - mean : d[k]);
}

static bool
ensemble_contributions(const void *model, const double *x, double *out)
{
	const EnsembleModel *e = model;
	int			outs = am_task_outputs(e->task, e->n_classes);
	size_t		size = ((size_t) e->p + 1) * outs;
	double	   *one = AM_NEW(double, size);
	double	   *pred = AM_NEW(double, outs);
	double	   *residual = AM_NEW(double, outs);
	double	   *base = out + (size_t) e->p * outs;

	memset(out, 0, sizeof(double) * size);
	for (int i = 0; i < e->n; i++)
	{
		if (!am_model_contributions(e->members[i], x, one))
		{
			am_free(one);
			am_free(pred);
			am_free(residual);
			return false;
		}
		for (size_t t = 0; t < size; t++)
			out[t] += e->weights[i] * one[t];

		/*
		 * The ensemble averages member_margin() of each member's output,
		 * which differs from the sum of the member's contributions when a
		 * probability is clamped near 0 or 1.  The difference goes to the
		 * base value, so the contributions add up to the ensemble's margin
		 * (for multiclass up to a shift common to all classes, which the
		 * softmax ignores: only the part that differs between classes).
		 */
		am_model_predict_row(e->members[i], x, pred);
		ensemble_add_residual(e->task, outs, e->p, one, pred, e->weights[i], base,
							  residual);
	}
	am_free(one);
	am_free(pred);
	am_free(residual);
	return true;
}

/* Fold models of a bootstrap forest: the weighted mean of their out-of-bag scores. */
static double
ensemble_out_of_bag_score(const void *model)
{
	const EnsembleModel *e = model;
	double		sum = 0.0;

	for (int i = 0; i < e->n; i++)
	{
		const AmFamily *f = e->members[i]->family;
		double		one = f->out_of_bag_score ? f->out_of_bag_score(e->members[i]->fitted) : NAN;

		if (!isfinite(one))
			return NAN;
		sum += e->weights[i] * one;
	}
	return e->n > 0 ? sum : NAN;
}

AmModel *
am_ensemble_member(const AmModel *m, int i, double *weight)
{
	const EnsembleModel *e = m->family == &am_ensemble_family ? m->fitted : NULL;

	if (e == NULL || i < 0 || i >= e->n)
		return NULL;
	if (weight)
		*weight = e->weights[i];
	return e->members[i];
}

const AmFamily *
am_ensemble_member_family(const AmModel *m)
{
	const AmModel *first = am_ensemble_member(m, 0, NULL);
	const AmModel *other;

	for (int i = 1; first && (other = am_ensemble_member(m, i, NULL)) != NULL; i++)
		if (other->family != first->family)
			return NULL;
	return first ? first->family : NULL;
}

const AmFamily am_ensemble_family = {
	.name = "ensemble",
	.description = "weighted ensemble of the best trials (greedy selection) or of fold models",
	.format_version = ENSEMBLE_FORMAT_VERSION,
	.relative_cost = 0,
	.internal = true,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_ALL,
	.params = NULL,
	.n_params = 0,
	.fit = ensemble_fit,
	.predict = ensemble_predict,
	.predict_row = ensemble_predict_row,
	.serialize = ensemble_serialize,
	.deserialize = ensemble_deserialize,
	.importance = ensemble_importance,
	.contributions = ensemble_contributions,
	.out_of_bag_score = ensemble_out_of_bag_score,
};
