/*
 * search_space.c
 *	  A family's hyperparameters as a unit cube for the local search:
 *	  log-scaled rates and penalties, integers rounded, choice parameters
 *	  and user lists as indexes, values the user fixed left out.
 */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
clamp01(double u)
{
	return u < 0 ? 0 : (u > 1 ? 1 : u);
}

static int
count_choices(const AmParamSpec *s)
{
	int			n = 0;

	while (s->choices[n])
		n++;
	return n;
}

static const AmParamConstraint *
constraint_for(const AmFamilyConstraints *fc, const AmParamSpec *s)
{
	for (int i = 0; fc && i < fc->n; i++)
		if (fc->c[i].spec == s)
			return &fc->c[i];
	return NULL;
}

void
am_space_init(AmSpace *sp, const AmFamily *f, const AmFamilyConstraints *fc)
{
	memset(sp, 0, sizeof(*sp));
	sp->family = f;
	for (int i = 0; i < f->n_params; i++)
	{
		const AmParamSpec *s = &f->params[i];
		const AmParamConstraint *c = constraint_for(fc, s);
		AmSpaceDim *d = &sp->dims[sp->n_dims];

		if (c && c->n_values == 1)
		{
			am_params_set(&sp->fixed, s->name, c->values[0]);
			continue;
		}
		memset(d, 0, sizeof(*d));
		d->spec = s;
		if (c && c->n_values > 1)
		{
			d->n_values = c->n_values;
			memcpy(d->values, c->values, sizeof(double) * c->n_values);
			sp->n_dims++;
			continue;
		}
		if (s->choices)
		{
			int			n = count_choices(s);

			if (n < 2)
				continue;
			d->n_values = n;
			for (int k = 0; k < n; k++)
				d->values[k] = k;
			sp->n_dims++;
			continue;
		}
		d->lo = c && c->has_range ? c->lo : s->search_lo;
		d->hi = c && c->has_range ? c->hi : s->search_hi;
		if (!(d->hi > d->lo))
		{
			/* not searched: the range is a single value (or unset) */
			if (c && c->has_range)
				am_params_set(&sp->fixed, s->name, d->lo);
			continue;
		}
		d->log = s->log_scale && d->lo > 0;
		d->integer = s->is_int;
		sp->n_dims++;
	}
}

/*
 * v rounded to "digits" significant decimal digits, through its decimal
 * text: right for every finite double.  (Scaling by pow(10, 3 - exponent)
 * overflows to infinity below about 1e-305 and turned such values into NaN.)
 */
static double
round_significant(double v, int digits)
{
	char		buf[48];

	if (v == 0 || !isfinite(v))
		return v;
	snprintf(buf, sizeof(buf), "%.*e", digits - 1, v);
	return strtod(buf, NULL);
}

static double
dim_value(const AmSpaceDim *d, double u)
{
	double		v;

	u = clamp01(u);
	if (d->n_values > 0)
	{
		int			k = (int) floor(u * d->n_values);

		return d->values[k >= d->n_values ? d->n_values - 1 : k];
	}
	if (d->log)
		v = exp(log(d->lo) + u * (log(d->hi) - log(d->lo)));
	else
		v = d->lo + u * (d->hi - d->lo);
	if (d->integer)
		v = round(v);
	else if (v != 0)
	{
		/*
		 * Keep 4 significant digits, so configurations read well and repeat
		 * exactly; more when the range is narrower than that precision (a
		 * user's {"min": 0.10001, "max": 0.10002}), so the search still
		 * moves inside it instead of landing on a bound.
		 */
		int			digits = 4;
		double		width = d->hi - d->lo;

		if (width > 0 && isfinite(width))
		{
			double		extra = floor(log10(fabs(v))) - floor(log10(width));

			if (extra > 0)
				digits += extra > 13 ? 13 : (int) extra;
		}
		v = round_significant(v, digits);
	}
	/* the rounding may step outside the range; never return NaN */
	if (!(v >= d->lo))
		return d->lo;
	return v > d->hi ? d->hi : v;
}

static double
dim_point(const AmSpaceDim *d, double v)
{
	if (d->n_values > 0)
	{
		int			best = 0;

		for (int k = 1; k < d->n_values; k++)
			if (fabs(d->values[k] - v) < fabs(d->values[best] - v))
				best = k;
		return (best + 0.5) / d->n_values;
	}
	if (d->log)
		return clamp01((log(fmax(v, d->lo)) - log(d->lo)) / (log(d->hi) - log(d->lo)));
	return clamp01((v - d->lo) / (d->hi - d->lo));
}

void
am_space_params(const AmSpace *sp, const double *u, AmParams *out)
{
	*out = sp->fixed;
	for (int i = 0; i < sp->n_dims; i++)
		am_params_set(out, sp->dims[i].spec->name, dim_value(&sp->dims[i], u[i]));
	am_family_complete_params(sp->family, out);
}

void
am_space_point(const AmSpace *sp, const AmParams *p, double *u)
{
	for (int i = 0; i < sp->n_dims; i++)
	{
		const AmSpaceDim *d = &sp->dims[i];
		double		v = am_param(p, d->spec->name);

		u[i] = dim_point(d, isnan(v) ? d->spec->def : v);
	}
}

void
am_space_start(const AmSpace *sp, bool cheap, double *u)
{
	for (int i = 0; i < sp->n_dims; i++)
	{
		const AmSpaceDim *d = &sp->dims[i];
		double		v = (cheap && d->spec->cheap != 0) ? d->spec->cheap : d->spec->def;

		u[i] = dim_point(d, v);
	}
}

bool
am_params_equal(const AmParams *a, const AmParams *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
	{
		double		v = am_param(b, a->v[i].name);

		if (!(v == a->v[i].value))
			return false;
	}
	return true;
}
