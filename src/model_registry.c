/*
 * model_registry.c
 *	  The name -> family table and the generic hyperparameter helpers.
 *	  A new family is one extern line and one entry in "families" below.
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

extern const AmFamily am_ensemble_family;
extern const AmFamily am_linear_family;
extern const AmFamily am_tree_family;
extern const AmFamily am_forest_family;
extern const AmFamily am_extra_trees_family;
extern const AmFamily am_gbm_family;
extern const AmFamily am_knn_family;
extern const AmFamily am_naive_bayes_family;
extern const AmFamily am_mlp_family;
extern const AmFamily am_kernel_family;

static const AmFamily *const families[] = {
	&am_ensemble_family,		/* internal: built by the search */
	&am_linear_family,
	&am_tree_family,
	&am_forest_family,
	&am_extra_trees_family,
	&am_gbm_family,
	&am_knn_family,
	&am_naive_bayes_family,
	&am_mlp_family,
	&am_kernel_family,
};

#define N_FAMILIES ((int) (sizeof(families) / sizeof(families[0])))

const AmFamily *
am_family_lookup(const char *name)
{
	for (int i = 0; i < N_FAMILIES; i++)
		if (strcmp(families[i]->name, name) == 0)
			return families[i];
	return NULL;
}

int
am_family_count(void)
{
	return N_FAMILIES;
}

const AmFamily *
am_family_at(int i)
{
	return (i >= 0 && i < N_FAMILIES) ? families[i] : NULL;
}

const AmParamSpec *
am_family_param(const AmFamily *f, const char *name)
{
	for (int i = 0; i < f->n_params; i++)
		if (strcmp(f->params[i].name, name) == 0)
			return &f->params[i];
	return NULL;
}

void
am_params_set(AmParams *p, const char *name, double value)
{
	for (int i = 0; i < p->n; i++)
	{
		if (strcmp(p->v[i].name, name) == 0)
		{
			p->v[i].value = value;
			return;
		}
	}
	if (p->n >= AM_MAX_PARAMS)
		return;
	snprintf(p->v[p->n].name, AM_PARAM_NAME_LEN, "%s", name);
	p->v[p->n].value = value;
	p->n++;
}

bool
am_params_has(const AmParams *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return true;
	return false;
}

double
am_param(const AmParams *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NAN;
}

void
am_family_complete_params(const AmFamily *f, AmParams *p)
{
	for (int i = 0; i < f->n_params; i++)
		if (!am_params_has(p, f->params[i].name))
			am_params_set(p, f->params[i].name, f->params[i].def);
}

bool
am_family_check_params(const AmFamily *f, const AmParams *p, AmTask task, AmErr *err)
{
	const char *msg;

	if (!(f->tasks & (1u << task)))
	{
		am_err_set(err, AM_ERR_PARAM, "algorithm \"%s\" does not support %s tasks",
				   f->name, am_task_name(task));
		return false;
	}
	for (int i = 0; i < p->n; i++)
	{
		const AmParamSpec *s = am_family_param(f, p->v[i].name);
		double		v = p->v[i].value;

		if (s == NULL)
		{
			am_err_set(err, AM_ERR_PARAM, "algorithm \"%s\" has no hyperparameter \"%s\"",
					   f->name, p->v[i].name);
			return false;
		}
		if (!isfinite(v) || v < s->lo || v > s->hi)
		{
			am_err_set(err, AM_ERR_PARAM,
					   "hyperparameter \"%s\" of algorithm \"%s\" must be between %g and %g, not %g",
					   s->name, f->name, s->lo, s->hi, v);
			return false;
		}
		if (s->is_int && v != floor(v))
		{
			am_err_set(err, AM_ERR_PARAM,
					   "hyperparameter \"%s\" of algorithm \"%s\" must be an integer, not %g",
					   s->name, f->name, v);
			return false;
		}
	}
	if (f->check_params && (msg = f->check_params(p, task)) != NULL)
	{
		am_err_set(err, AM_ERR_PARAM, "%s", msg);
		return false;
	}
	return true;
}
