/*
 * shapley.c
 *	  Contributions for families that have no exact ones (kNN, MLP): Shapley
 *	  values estimated by sampling feature orderings against a small
 *	  background sample of training rows stored with the model.
 *
 * For a background row b and an ordering of the features, the row is moved
 * from b to x one feature at a time; each feature is credited with the
 * change of the margin its step caused.  The credits of one path add up to
 * f(x) - f(b) exactly, so their average over paths adds up to f(x) minus the
 * mean margin of the background, which is reported as the base value.
 * Orderings come in antithetic pairs (an ordering and its reverse) from a
 * fixed seed, so the same row always gets the same explanation.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#include "rng.h"

#define SHAPLEY_SEED UINT64_C(0x5ab1e5eed)
#define SHAPLEY_EVALUATIONS 2048	/* model evaluations per explained row */
#define SHAPLEY_MIN_PATHS 8
#define SHAPLEY_MAX_PATHS 64

void
am_background_pick(AmModel *m, const AmDataset *d, const int *rows, int n)
{
	int			nf = d->n_features;
	int			k = n < AM_BACKGROUND_ROWS ? n : AM_BACKGROUND_ROWS;

	m->n_background = k;
	m->background = AM_NEW(double, (size_t) (k > 0 ? k : 1) * nf);
	/* evenly spaced training rows: deterministic and spread over the data */
	for (int i = 0; i < k; i++)
	{
		int			pos = (int) (((int64_t) i * n + n / 2) / k);
		int			row = rows ? rows[pos] : pos;

		for (int j = 0; j < nf; j++)
			m->background[(size_t) i * nf + j] = d->x[j][row];
	}
}

/* Paths per explained row: enough to spread the evaluations, an even count. */
static int
paths_for(int nf)
{
	int			paths = SHAPLEY_EVALUATIONS / (nf + 1);

	if (paths < SHAPLEY_MIN_PATHS)
		paths = SHAPLEY_MIN_PATHS;
	if (paths > SHAPLEY_MAX_PATHS)
		paths = SHAPLEY_MAX_PATHS;
	return paths & ~1;
}

/*
 * Fill z (column-major, nf + 1 rows) with the path from background row b to
 * x in the given order: row 0 is b, row i has the first i features of order
 * taken from x.
 */
static void
build_path(const double *b, const double *x, const int *order, int nf, double *z)
{
	size_t		ld = (size_t) nf + 1;

	for (int j = 0; j < nf; j++)
	{
		double	   *col = z + (size_t) j * ld;

		for (size_t i = 0; i < ld; i++)
			col[i] = b[j];
	}
	for (int step = 0; step < nf; step++)
	{
		int			j = order[step];
		double	   *col = z + (size_t) j * ld;

		for (size_t i = (size_t) step + 1; i < ld; i++)
			col[i] = x[j];
	}
}

bool
am_shapley_sampled(AmModel *m, const double *raw, double *out)
{
	AmTask		task = m->schema->task;
	int			nf = m->schema->n_features;
	int			outs = am_task_outputs(task, m->schema->n_classes);
	size_t		ld = (size_t) nf + 1;
	int			paths;
	int		   *order;
	double	   *z,
			   *pred;
	AmRng		rng;

	if (m->n_background <= 0 || nf <= 0)
		return false;
	paths = paths_for(nf);
	order = AM_NEW(int, nf);
	z = AM_NEW(double, ld * nf);
	pred = AM_NEW(double, ld * outs);
	memset(out, 0, sizeof(double) * ld * outs);
	am_rng_seed(&rng, SHAPLEY_SEED);
	for (int j = 0; j < nf; j++)
		order[j] = j;

	for (int t = 0; t < paths; t++)
	{
		const double *b = m->background + (size_t) ((t / 2) % m->n_background) * nf;

		am_check_interrupts();
		if (t % 2 == 0)
			am_rng_shuffle(&rng, order, nf);
		else
		{
			/* the antithetic partner: the same ordering reversed */
			for (int i = 0; i < nf / 2; i++)
			{
				int			tmp = order[i];

				order[i] = order[nf - 1 - i];
				order[nf - 1 - i] = tmp;
			}
		}
		build_path(b, raw, order, nf, z);
		am_model_predict(m, z, ld, (int) ld, pred);
		if (task != AM_TASK_REGRESSION)
			for (size_t i = 0; i < ld * outs; i++)
				pred[i] = am_margin_of(task, pred[i]);
		for (int step = 0; step < nf; step++)
			for (int k = 0; k < outs; k++)
				out[(size_t) order[step] * outs + k] +=
					pred[(size_t) (step + 1) * outs + k] - pred[(size_t) step * outs + k];
		for (int k = 0; k < outs; k++)
			out[(size_t) nf * outs + k] += pred[k];
	}
	for (size_t i = 0; i < ld * outs; i++)
		out[i] /= paths;
	am_free(order);
	am_free(z);
	am_free(pred);
	return true;
}
