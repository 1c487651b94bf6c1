/*
 * describe.c
 *	  JSON descriptions of a training's outcome for the catalog: the
 *	  hyperparameters (or an ensemble's members), the features and their
 *	  preprocessing, and the metrics (cross-validation summary, every metric
 *	  on the validation predictions, and on the training rows).
 */
#include "describe.h"

#include <math.h>
#include <string.h>

#include "json.h"
#include "prep.h"

static void
append_params(AmStr *s, const AmFamily *f, const AmParams *p)
{
	am_str_append(s, "{");
	for (int i = 0; i < p->n; i++)
	{
		const AmParamSpec *spec = am_family_param(f, p->v[i].name);

		if (i > 0)
			am_str_append(s, ", ");
		am_str_json_string(s, p->v[i].name);
		am_str_append(s, ": ");
		if (spec && spec->choices)
			am_str_json_string(s, spec->choices[(int) p->v[i].value]);
		else
			am_str_json_number(s, p->v[i].value);
	}
	am_str_append(s, "}");
}

char *
am_describe_params(const AmFamily *f, const AmParams *p)
{
	AmStr		s;

	am_str_init(&s);
	append_params(&s, f, p);
	return s.data;
}

const char *
am_describe_algorithm(const AmSearchResult *res)
{
	/* fold models of the best trial are that trial's algorithm */
	if (!res->is_ensemble && res->best >= 0)
		return res->trials[res->best].family->name;
	return res->model->family->name;
}

char *
am_describe_model_params(const AmModel *m)
{
	AmStr		s;
	const AmModel *member;
	double		w;

	if (am_ensemble_member(m, 0, NULL) == NULL)
		return am_describe_params(m->family, &m->params);
	am_str_init(&s);
	am_str_append(&s, "{\"members\": [");
	for (int i = 0; (member = am_ensemble_member(m, i, &w)) != NULL; i++)
	{
		am_str_append(&s, i ? ", {\"algorithm\": " : "{\"algorithm\": ");
		am_str_json_string(&s, member->family->name);
		am_str_append(&s, ", \"weight\": ");
		am_str_json_number(&s, w);
		am_str_append(&s, ", \"hyperparameters\": ");
		append_params(&s, member->family, &member->params);
		am_str_append(&s, "}");
	}
	am_str_append(&s, "]}");
	return s.data;
}

char *
am_describe_choice(const AmSearchResult *res)
{
	AmStr		s;
	double		wsum = 0.0;

	if (!res->is_ensemble)
	{
		const AmTrial *b = &res->trials[res->best];

		return am_describe_params(b->family, &b->params);
	}
	for (int m = 0; m < res->n_members; m++)
		wsum += res->member_weights[m];
	am_str_init(&s);
	am_str_append(&s, "{\"members\": [");
	for (int m = 0; m < res->n_members; m++)
	{
		const AmTrial *t = &res->trials[res->member_trials[m] - 1];

		am_str_appendf(&s, "%s{\"trial\": %d, \"algorithm\": ", m ? ", " : "", t->number);
		am_str_json_string(&s, t->family->name);
		am_str_append(&s, ", \"weight\": ");
		am_str_json_number(&s, res->member_weights[m] / wsum);
		if (res->fold_models[m] > 0)
			am_str_appendf(&s, ", \"fold_models\": %d", res->fold_models[m]);
		am_str_append(&s, ", \"hyperparameters\": ");
		append_params(&s, t->family, &t->params);
		am_str_append(&s, "}");
	}
	am_str_append(&s, "]}");
	return s.data;
}

char *
am_describe_features(const AmModel *m)
{
	const AmSchema *s = m->schema;
	AmStr		j;

	am_str_init(&j);
	am_str_append(&j, "{\"columns\": [");
	for (int c = 0; c < s->n_columns; c++)
	{
		am_str_append(&j, c ? ", {\"name\": " : "{\"name\": ");
		am_str_json_string(&j, s->columns[c].name);
		am_str_append(&j, ", \"type\": ");
		am_str_json_string(&j, s->columns[c].type_name);
		am_str_append(&j, ", \"kind\": ");
		am_str_json_string(&j, am_source_kind_name(s->columns[c].kind));
		am_str_append(&j, "}");
	}
	am_str_append(&j, "], \"features\": [");
	for (int f = 0; f < s->n_features; f++)
	{
		const AmFeature *ft = &s->features[f];

		am_str_append(&j, f ? ", {\"name\": " : "{\"name\": ");
		am_str_json_string(&j, ft->name);
		am_str_append(&j, ", \"column\": ");
		am_str_json_string(&j, s->columns[ft->source].name);
		if (ft->categorical)
		{
			am_str_append(&j, ", \"levels\": [");
			for (int k = 0; k < ft->n_levels; k++)
			{
				if (k)
					am_str_append(&j, ", ");
				am_str_json_string(&j, ft->levels[k]);
			}
			am_str_append(&j, "]");
		}
		if (m->prep && !m->prep->categorical[f])
		{
			am_str_append(&j, ", \"impute\": ");
			am_str_json_number(&j, m->prep->fill[f]);
			am_str_append(&j, ", \"mean\": ");
			am_str_json_number(&j, m->prep->center[f]);
			am_str_append(&j, ", \"scale\": ");
			am_str_json_number(&j, m->prep->scale[f]);
		}
		am_str_append(&j, "}");
	}
	am_str_append(&j, "]}");
	return j.data;
}

static void
append_all_metrics(AmStr *j, AmTask task, int n_classes, const double *y, const double *pred,
				   int n)
{
	bool		first = true;

	am_str_append(j, "{");
	for (int k = 0; k < AM_METRIC_COUNT; k++)
	{
		if (!am_metric_valid_for((AmMetric) k, task))
			continue;
		if (!first)
			am_str_append(j, ", ");
		first = false;
		am_str_json_string(j, am_metric_name((AmMetric) k));
		am_str_append(j, ": ");
		am_str_json_number(j, am_metric_score((AmMetric) k, task, n_classes, y, pred, n, NULL));
	}
	am_str_append(j, "}");
}

double *
am_predict_dataset(AmModel *m, const AmDataset *d)
{
	int			outs = am_task_outputs(d->task, d->n_classes);
	double	   *pred = AM_NEW(double, (size_t) d->n_rows * outs);
	const int	block = 8192;
	double	   *x = AM_NEW(double, (size_t) block * d->n_features);

	/* in blocks, so scoring the training rows does not copy them whole */
	for (int r0 = 0; r0 < d->n_rows; r0 += block)
	{
		int			nb = d->n_rows - r0 < block ? d->n_rows - r0 : block;

		am_check_interrupts();
		for (int f = 0; f < d->n_features; f++)
			memcpy(x + (size_t) f * nb, d->x[f] + r0, sizeof(double) * nb);
		am_model_predict(m, x, (size_t) nb, nb, pred + (size_t) r0 * outs);
	}
	am_free(x);
	return pred;
}

AmDataset *
am_dataset_spread_rows(const AmDataset *d, int max_rows)
{
	AmDataset  *out;
	int			step,
				m;
	size_t		bytes;

	if (d->n_rows <= max_rows || max_rows < 1)
		return (AmDataset *) d;
	step = (d->n_rows + max_rows - 1) / max_rows;
	m = (d->n_rows + step - 1) / step;
	bytes = ((size_t) d->n_features + 1) * m * sizeof(double);
	if (bytes > am_memory_available() / 2)
		return (AmDataset *) d; /* the copy would crowd the budget: all rows, slower */
	am_memory_reserve(bytes, "sample of the training rows");
	out = AM_NEW0(AmDataset, 1);
	*out = *d;
	out->n_rows = m;
	out->x = AM_NEW(double *, d->n_features > 0 ? d->n_features : 1);
	for (int j = 0; j < d->n_features; j++)
	{
		out->x[j] = AM_NEW(double, out->n_rows);
		for (int i = 0; i < out->n_rows; i++)
			out->x[j][i] = d->x[j][(size_t) i * step];
	}
	out->y = AM_NEW(double, out->n_rows);
	for (int i = 0; i < out->n_rows; i++)
		out->y[i] = d->y[(size_t) i * step];
	return out;
}

char *
am_describe_metrics(const AmDataset *d, const AmSearchResult *res, AmMetric metric,
					const AmDataset *train, const double *pred)
{
	AmStr		j;
	int			fold_models = 0;	/* per bagged member (ensemble members say which) */

	for (int m = 0; m < res->n_members; m++)
		fold_models = res->fold_models[m] > fold_models ? res->fold_models[m] : fold_models;

	am_str_init(&j);
	am_str_append(&j, "{\"validation\": {\"method\": ");
	am_str_json_string(&j, res->n_folds == 0 ? "none" : res->holdout ? "holdout" : "cv");
	am_str_appendf(&j, ", \"folds\": %d, \"repeats\": %d, \"rows\": %d, \"metric\": ",
				   res->n_folds, res->n_repeats > 1 ? res->n_repeats : 1, res->n_valid);
	am_str_json_string(&j, am_metric_name(metric));
	am_str_append(&j, ", \"score\": ");
	am_str_json_number(&j, res->score);
	am_str_append(&j, ", \"std\": ");
	am_str_json_number(&j, res->score_std);
	if (res->best >= 0)
	{
		am_str_append(&j, ", \"best_single\": ");
		am_str_json_number(&j, res->trials[res->best].score);
	}
	if (res->n_folds > 0)
	{
		am_str_append(&j, ", \"ended_by\": ");
		am_str_json_string(&j, am_search_end_name(res->ended_by));
	}
	if (res->ended_by == AM_END_PATIENCE)
		am_str_append(&j, ", \"converged\": true");	/* ended by "patience" */
	if (res->simpler_than == AM_SIMPLER_THAN_ENSEMBLE)
		am_str_append(&j, ", \"simpler_than\": \"ensemble\"");
	else if (res->simpler_than >= 0)
	{
		/* "prefer_simpler" kept best_single over this higher-scoring trial */
		const AmTrial *t = &res->trials[res->simpler_than];

		am_str_appendf(&j, ", \"simpler_than\": {\"trial\": %d, \"algorithm\": ", t->number);
		am_str_json_string(&j, t->family->name);
		am_str_append(&j, ", \"score\": ");
		am_str_json_number(&j, t->score);
		am_str_append(&j, "}");
	}
	am_str_append(&j, ", \"ensemble\": ");
	am_str_json_number(&j, res->ensemble_score);
	am_str_append(&j, ", \"ensemble_unseen\": ");
	am_str_json_number(&j, res->unseen_ensemble_score);
	am_str_append(&j, ", \"single_unseen\": ");
	am_str_json_number(&j, res->unseen_single_score);
	if (res->n_valid > 0 && res->valid_pred)
	{
		double	   *yv = AM_NEW(double, res->n_valid);

		for (int i = 0; i < res->n_valid; i++)
			yv[i] = d->y[res->valid_rows[i]];
		am_str_append(&j, ", \"metrics\": ");
		append_all_metrics(&j, d->task, d->n_classes, yv, res->valid_pred, res->n_valid);
		am_free(yv);
	}
	am_str_append(&j, "}, \"refit\": ");
	am_str_json_string(&j, fold_models > 0 ? "fold_models" : "all_rows");
	if (fold_models > 0)
		am_str_appendf(&j, ", \"fold_models\": %d", fold_models);
	am_str_appendf(&j, ", \"training_rows\": %d, \"training\": ", train->n_rows);
	append_all_metrics(&j, d->task, d->n_classes, train->y, pred, train->n_rows);
	if (res->model && res->model->family->out_of_bag_score &&
		isfinite(res->model->family->out_of_bag_score(res->model->fitted)))
	{
		am_str_append(&j, ", \"out_of_bag\": {\"metric\": ");
		am_str_json_string(&j, d->task == AM_TASK_REGRESSION ? "r2" : "accuracy");
		am_str_append(&j, ", \"score\": ");
		am_str_json_number(&j, res->model->family->out_of_bag_score(res->model->fitted));
		am_str_append(&j, "}");
	}
	am_str_append(&j, "}");
	return j.data;
}
