/*
 * fuzz_options.c
 *	  libFuzzer target: am_options_parse() on arbitrary bytes (the options
 *	  jsonb of automl.train()), then what training does next with accepted
 *	  options: each family's search space from the constraints, sampled at
 *	  a few points.  Every sampled hyperparameter must be a finite value in
 *	  its declared range (an integer where the spec says so), since the user
 *	  could only narrow those ranges.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "options.h"
#include "search.h"

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_params(const AmFamily *f, const AmParams *p)
{
	for (int i = 0; i < p->n; i++)
	{
		const AmParamSpec *s = am_family_param(f, p->v[i].name);
		double		v = p->v[i].value;

		if (s == NULL || !isfinite(v) || v < s->lo || v > s->hi ||
			(s->is_int && v != floor(v)))
			fuzz_fail("search space of \"%s\" produced %s = %g", f->name, p->v[i].name, v);
	}
}

static void
sample_space(const AmFamily *f, const AmFamilyConstraints *fc, const uint8_t *data,
			 size_t size)
{
	AmSpace		sp;
	double		u[AM_MAX_PARAMS];
	AmParams	p;

	am_space_init(&sp, f, fc);
	for (int k = 0; k < 6; k++)
	{
		if (k < 2)
			am_space_start(&sp, k == 1, u);
		else
			for (int d = 0; d < sp.n_dims; d++)
				u[d] = k == 2 ? 0.0 : k == 3 ? 1.0 :
					(size ? data[(d * 7 + k) % size] : 0) / 255.0;
		am_space_params(&sp, u, &p);
		check_params(f, &p);
		am_space_point(&sp, &p, u);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AmTrainOptions o;
	AmErr		err;

	fuzz_arena_set_limit((size_t) 64 << 20);
	am_err_clear(&err);
	if (am_options_parse((const char *) data, size, &o, &err))
	{
		if (getenv("FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "accepted\n");
		for (int i = 0; i < am_family_count(); i++)
		{
			const AmFamily *f = am_family_at(i);

			if (!f->internal)
				sample_space(f, am_options_family(&o, f), data, size);
		}
	}
	else if (err.msg[0] == '\0')
		fuzz_fail("options are refused without a message");
	else if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "rejected: %s\n", err.msg);
	fuzz_arena_release();
	return 0;
}
