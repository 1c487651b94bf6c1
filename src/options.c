/*
 * options.c
 *	  Parse and check the options of automl.train() (see options.h).
 */
#include "options.h"

#include <math.h>
#include <string.h>

#include "json.h"

/* Nonzero hyperparameter values must be at least this large in magnitude. */
#define AM_PARAM_TINY 1e-300

void
am_options_init(AmTrainOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = AM_DEFAULT_SEED;
	o->cv_folds = AM_DEFAULT_CV_FOLDS;
	o->cv_repeats = 1;
	o->max_categories = AM_DEFAULT_MAX_CATEGORIES;
	o->holdout_fraction = AM_DEFAULT_HOLDOUT_FRACTION;
	o->holdout_min_rows = AM_DEFAULT_HOLDOUT_MIN_ROWS;
	o->ensemble = true;
	o->ensemble_size = AM_DEFAULT_ENSEMBLE_SIZE;
	o->early_stopping = true;
	o->patience = AM_DEFAULT_PATIENCE;
}

static bool
get_bool(const AmJson *v, const char *key, bool *out, AmErr *err)
{
	if (v->type != AM_JSON_BOOL)
	{
		am_err_set(err, AM_ERR_PARAM, "option \"%s\" must be true or false", key);
		return false;
	}
	*out = v->boolean;
	return true;
}

static bool
get_choice(const AmJson *v, const char *key, const char *const *choices, int *out, AmErr *err)
{
	if (v->type == AM_JSON_STRING)
		for (int i = 0; choices[i]; i++)
			if (strcmp(choices[i], v->string) == 0)
			{
				*out = i;
				return true;
			}
	am_err_set(err, AM_ERR_PARAM, "option \"%s\" must be one of \"%s\", \"%s\"%s%s%s",
			   key, choices[0], choices[1], choices[2] ? ", \"" : "", choices[2] ? choices[2] : "",
			   choices[2] ? "\"" : "");
	return false;
}

static bool
parse_excluded(const AmJson *v, AmTrainOptions *o, AmErr *err)
{
	if (v->type != AM_JSON_ARRAY || v->n > AM_MAX_FAMILIES)
	{
		am_err_set(err, AM_ERR_PARAM, "option \"exclude_algorithms\" must be an array of algorithm names");
		return false;
	}
	for (int i = 0; i < v->n; i++)
	{
		const AmFamily *f = v->items[i].type == AM_JSON_STRING ?
		am_family_lookup(v->items[i].string) : NULL;

		if (f == NULL || f->internal)
		{
			am_err_set(err, AM_ERR_PARAM, "option \"exclude_algorithms\" names an unknown algorithm");
			return false;
		}
		o->excluded[o->n_excluded++] = f;
	}
	return true;
}

static bool
get_int(const AmJson *v, const char *key, double lo, double hi, double *out, AmErr *err)
{
	if (v->type != AM_JSON_NUMBER || v->number != floor(v->number) ||
		v->number < lo || v->number > hi)
	{
		am_err_set(err, AM_ERR_PARAM, "option \"%s\" must be an integer between %.0f and %.0f",
				   key, lo, hi);
		return false;
	}
	*out = v->number;
	return true;
}

/* A hyperparameter value: a number, or a choice name for choice parameters. */
static bool
param_value(const AmFamily *f, const AmParamSpec *s, const AmJson *v, double *out,
			AmErr *err)
{
	if (v->type == AM_JSON_STRING && s->choices)
	{
		for (int i = 0; s->choices[i]; i++)
			if (strcmp(s->choices[i], v->string) == 0)
			{
				*out = i;
				return true;
			}
		am_err_set(err, AM_ERR_PARAM, "hyperparameter \"%s\" of algorithm \"%s\" has no choice \"%s\"",
				   s->name, f->name, v->string);
		return false;
	}
	if (v->type == AM_JSON_BOOL && s->is_int && s->lo == 0 && s->hi == 1)
	{
		*out = v->boolean ? 1 : 0;
		return true;
	}
	if (v->type != AM_JSON_NUMBER)
	{
		am_err_set(err, AM_ERR_PARAM, "hyperparameter \"%s\" of algorithm \"%s\" must be a number, not %s",
				   s->name, f->name, am_json_type_name(v->type));
		return false;
	}
	if (v->number < s->lo || v->number > s->hi)
	{
		am_err_set(err, AM_ERR_PARAM,
				   "hyperparameter \"%s\" of algorithm \"%s\" must be between %g and %g, not %g",
				   s->name, f->name, s->lo, s->hi, v->number);
		return false;
	}
	if (s->is_int && v->number != floor(v->number))
	{
		am_err_set(err, AM_ERR_PARAM, "hyperparameter \"%s\" of algorithm \"%s\" must be an integer, not %g",
				   s->name, f->name, v->number);
		return false;
	}
	/*
	 * Numbers this close to 0 (subnormal ones from 2.2e-308 down) are no
	 * meaningful setting: say so rather than search or train with them.
	 */
	if (v->number != 0 && fabs(v->number) < AM_PARAM_TINY)
	{
		am_err_set(err, AM_ERR_PARAM,
				   "hyperparameter \"%s\" of algorithm \"%s\" must be 0 or at least %g, not %g",
				   s->name, f->name, AM_PARAM_TINY, v->number);
		return false;
	}
	*out = v->number;
	return true;
}

static bool
parse_constraint(const AmFamily *f, const AmParamSpec *s, const AmJson *v,
				 AmParamConstraint *c, AmErr *err)
{
	c->spec = s;
	if (v->type == AM_JSON_ARRAY)
	{
		if (v->n == 0 || v->n > AM_MAX_VALUES)
		{
			am_err_set(err, AM_ERR_PARAM, "hyperparameter \"%s\" of algorithm \"%s\" needs 1 to %d values",
					   s->name, f->name, AM_MAX_VALUES);
			return false;
		}
		for (int i = 0; i < v->n; i++)
			if (!param_value(f, s, &v->items[i], &c->values[c->n_values++], err))
				return false;
		return true;
	}
	if (v->type == AM_JSON_OBJECT)
	{
		const AmJson *lo = am_json_get(v, "min");
		const AmJson *hi = am_json_get(v, "max");

		if (s->choices)
		{
			/* the search would ignore the range and try every choice */
			am_err_set(err, AM_ERR_PARAM, "hyperparameter \"%s\" of algorithm \"%s\" takes a choice or a list of choices, not a range",
					   s->name, f->name);
			return false;
		}
		for (int i = 0; i < v->n; i++)
			if (strcmp(v->keys[i], "min") != 0 && strcmp(v->keys[i], "max") != 0)
			{
				am_err_set(err, AM_ERR_PARAM, "range of hyperparameter \"%s\" has unknown key \"%s\" (expected \"min\" and \"max\")",
						   s->name, v->keys[i]);
				return false;
			}
		c->has_range = true;
		c->lo = s->lo;
		c->hi = s->hi;
		if ((lo && !param_value(f, s, lo, &c->lo, err)) ||
			(hi && !param_value(f, s, hi, &c->hi, err)))
			return false;
		if (c->lo > c->hi)
		{
			am_err_set(err, AM_ERR_PARAM, "range of hyperparameter \"%s\" has min %g above max %g",
					   s->name, c->lo, c->hi);
			return false;
		}
		return true;
	}
	c->n_values = 1;
	return param_value(f, s, v, &c->values[0], err);
}

static bool
parse_hyperparameters(const AmJson *hp, AmTrainOptions *o, AmErr *err)
{
	if (hp->type != AM_JSON_OBJECT)
	{
		am_err_set(err, AM_ERR_PARAM, "option \"hyperparameters\" must be an object keyed by algorithm");
		return false;
	}
	if (hp->n > AM_MAX_FAMILIES)
	{
		am_err_set(err, AM_ERR_PARAM, "option \"hyperparameters\" names too many algorithms");
		return false;
	}
	for (int i = 0; i < hp->n; i++)
	{
		const AmFamily *f = am_family_lookup(hp->keys[i]);
		const AmJson *fv = &hp->items[i];
		AmFamilyConstraints *fc;

		if (f == NULL || f->internal)
		{
			am_err_set(err, AM_ERR_PARAM, "option \"hyperparameters\" names unknown algorithm \"%s\"",
					   hp->keys[i]);
			return false;
		}
		if (fv->type != AM_JSON_OBJECT)
		{
			am_err_set(err, AM_ERR_PARAM, "hyperparameters of algorithm \"%s\" must be an object",
					   f->name);
			return false;
		}
		if (fv->n > AM_MAX_PARAMS)
		{
			am_err_set(err, AM_ERR_PARAM, "too many hyperparameters for algorithm \"%s\"", f->name);
			return false;
		}
		fc = &o->families[o->n_families++];
		fc->family = f;
		for (int k = 0; k < fv->n; k++)
		{
			const AmParamSpec *s = am_family_param(f, fv->keys[k]);

			if (s == NULL)
			{
				am_err_set(err, AM_ERR_PARAM, "algorithm \"%s\" has no hyperparameter \"%s\"",
						   f->name, fv->keys[k]);
				return false;
			}
			if (!parse_constraint(f, s, &fv->items[k], &fc->c[fc->n++], err))
				return false;
		}
	}
	return true;
}

bool
am_options_parse(const char *json, size_t len, AmTrainOptions *o, AmErr *err)
{
	AmJson	   *root;
	double		v;

	am_options_init(o);
	if (len == 0)
		return true;
	root = am_json_parse(json, len, err);
	if (root == NULL)
		return false;
	if (root->type != AM_JSON_OBJECT)
	{
		am_err_set(err, AM_ERR_PARAM, "options must be a JSON object, not %s",
				   am_json_type_name(root->type));
		return false;
	}
	for (int i = 0; i < root->n; i++)
	{
		const char *key = root->keys[i];
		const AmJson *val = &root->items[i];

		if (strcmp(key, "seed") == 0)
		{
			if (!get_int(val, key, 0, 9007199254740991.0, &v, err))
				return false;
			o->seed = (uint64_t) v;
		}
		else if (strcmp(key, "cv_folds") == 0)
		{
			if (!get_int(val, key, 0, 20, &v, err))
				return false;
			if (v == 1)
			{
				am_err_set(err, AM_ERR_PARAM, "option \"cv_folds\" must be 0 (no cross-validation) or between 2 and 20");
				return false;
			}
			o->cv_folds = (int) v;
			o->cv_folds_set = true;
		}
		else if (strcmp(key, "cv_repeats") == 0)
		{
			if (!get_int(val, key, 1, 10, &v, err))
				return false;
			o->cv_repeats = (int) v;
		}
		else if (strcmp(key, "validation") == 0)
		{
			static const char *const kinds[] = {"auto", "cv", "holdout", NULL};
			int			k;

			if (!get_choice(val, key, kinds, &k, err))
				return false;
			o->validation = (AmValidation) k;
		}
		else if (strcmp(key, "holdout_fraction") == 0)
		{
			if (val->type != AM_JSON_NUMBER || !(val->number >= 0.05 && val->number <= 0.5))
			{
				am_err_set(err, AM_ERR_PARAM, "option \"holdout_fraction\" must be a number between 0.05 and 0.5");
				return false;
			}
			o->holdout_fraction = val->number;
		}
		else if (strcmp(key, "ensemble") == 0)
		{
			if (!get_bool(val, key, &o->ensemble, err))
				return false;
		}
		else if (strcmp(key, "ensemble_size") == 0)
		{
			if (!get_int(val, key, 1, 1000, &v, err))
				return false;
			o->ensemble_size = (int) v;
		}
		else if (strcmp(key, "early_stopping") == 0)
		{
			if (!get_bool(val, key, &o->early_stopping, err))
				return false;
		}
		else if (strcmp(key, "patience") == 0)
		{
			if (!get_int(val, key, 0, 1000000, &v, err))
				return false;
			o->patience = (int) v;
		}
		else if (strcmp(key, "prefer_simpler") == 0)
		{
			if (!get_bool(val, key, &o->prefer_simpler, err))
				return false;
		}
		else if (strcmp(key, "refit") == 0)
		{
			static const char *const kinds[] = {"auto", "all_rows", "folds", NULL};
			int			k;

			if (!get_choice(val, key, kinds, &k, err))
				return false;
			o->refit = (AmRefit) k;
		}
		else if (strcmp(key, "resume") == 0)
		{
			if (!get_bool(val, key, &o->resume, err))
				return false;
		}
		else if (strcmp(key, "class_weight") == 0)
		{
			static const char *const kinds[] = {"none", "balanced", NULL};
			int			k;

			if (!get_choice(val, key, kinds, &k, err))
				return false;
			o->class_weight_balanced = (k == 1);
		}
		else if (strcmp(key, "exclude_algorithms") == 0)
		{
			if (!parse_excluded(val, o, err))
				return false;
		}
		else if (strcmp(key, "max_categories") == 0)
		{
			if (!get_int(val, key, 1, 100000, &v, err))
				return false;
			o->max_categories = (int) v;
		}
		else if (strcmp(key, "hyperparameters") == 0)
		{
			if (!parse_hyperparameters(val, o, err))
				return false;
		}
		else
		{
			am_err_set(err, AM_ERR_PARAM,
					   "unrecognized option \"%s\" (valid options: seed, cv_folds, cv_repeats, validation, "
					   "holdout_fraction, max_categories, ensemble, ensemble_size, early_stopping, "
					   "prefer_simpler, patience, class_weight, refit, resume, exclude_algorithms, hyperparameters)",
					   key);
			return false;
		}
	}
	return true;
}

const AmFamilyConstraints *
am_options_family(const AmTrainOptions *o, const AmFamily *f)
{
	for (int i = 0; i < o->n_families; i++)
		if (o->families[i].family == f)
			return &o->families[i];
	return NULL;
}
