/*
 * model.c
 *	  Prediction through a complete model: raw features -> the family's
 *	  encoding -> the family's predict.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#include "prep.h"

/* Rows and values of one block of encoded rows in am_model_predict(). */
#define ENCODE_BLOCK_ROWS 4096
#define ENCODE_BLOCK_CELLS (1 << 20)

static bool contributions_raw(AmModel *m, const double *raw, double *out);

void
am_model_init_scratch(AmModel *m)
{
	if (m->prep != NULL && m->scratch == NULL)
		m->scratch = AM_NEW0(double, m->prep->n_out);
	if (m->prep != NULL && m->fused == NULL && m->family->fuse != NULL)
		m->fused = m->family->fuse(m->fitted, m->prep);
}

void
am_model_predict_row(AmModel *m, const double *raw, double *out)
{
	if (m->family->predict_row != NULL)
		m->family->predict_row(m->fitted, raw, out);
	else if (m->fused != NULL)
		m->family->predict_fused(m->fused, raw, 1, 1, out);
	else if (m->family->encoding == AM_ENCODING_DENSE)
	{
		am_prep_transform_row(m->prep, raw, m->scratch);
		m->family->predict(m->fitted, m->scratch, 1, 1, out);
	}
	else
		m->family->predict(m->fitted, raw, 1, 1, out);
}

void
am_model_predict(AmModel *m, const double *x, size_t ld, int n, double *out)
{
	if (m->fused != NULL)
		m->family->predict_fused(m->fused, x, ld, n, out);
	else if (m->family->encoding == AM_ENCODING_DENSE)
	{
		/*
		 * Encode in blocks so a large batch does not double its memory: at
		 * most ENCODE_BLOCK_CELLS values, and no more rows than asked for
		 * (wide one-hot encodings, and Shapley paths of a few rows).
		 */
		int			q = m->prep->n_out;
		int			block = ENCODE_BLOCK_CELLS / (q > 0 ? q : 1);
		int			outs = am_task_outputs(m->schema->task, m->schema->n_classes);
		double	   *raw = AM_NEW(double, m->prep->n_in);
		double	   *row = AM_NEW(double, q);
		double	   *enc;

		if (block > ENCODE_BLOCK_ROWS)
			block = ENCODE_BLOCK_ROWS;
		if (block > n)
			block = n;
		if (block < 1)
			block = 1;
		enc = AM_NEW(double, (size_t) block * q);

		for (int r0 = 0; r0 < n; r0 += block)
		{
			int			nb = (n - r0 < block) ? n - r0 : block;

			am_check_interrupts();
			for (int i = 0; i < nb; i++)
			{
				for (int j = 0; j < m->prep->n_in; j++)
					raw[j] = x[(size_t) j * ld + r0 + i];
				am_prep_transform_row(m->prep, raw, row);
				for (int c = 0; c < q; c++)
					enc[(size_t) c * nb + i] = row[c];
			}
			m->family->predict(m->fitted, enc, (size_t) nb, nb, out + (size_t) r0 * outs);
		}
		am_free(raw);
		am_free(row);
		am_free(enc);
	}
	else
		m->family->predict(m->fitted, x, ld, n, out);
}

#define PROB_FLOOR 1e-15

double
am_margin_of(AmTask task, double p)
{
	p = fmin(fmax(p, PROB_FLOOR), 1.0 - PROB_FLOOR);
	return task == AM_TASK_BINARY ? log(p / (1.0 - p)) : log(p);
}

/*
 * Contributions that add up to probabilities (forests, trees), rescaled per
 * output so they add up to the margin instead (log-odds, or log-probability
 * for multiclass, whose softmax is the same): phi * (g(p) - g(base)) /
 * (p - base), with p the model's own prediction of the row (pred), not the
 * sum of the contributions: near 0 or 1 the rounding of that sum would be
 * magnified by g.  The sum stays exact and the features keep their
 * proportions.
 */
static void
probability_to_margin(AmTask task, int p, int outs, const double *pred, double *phi)
{
	for (int k = 0; k < outs; k++)
	{
		double		base = phi[(size_t) p * outs + k];
		double		sum = 0.0;
		double		prob = fmin(fmax(pred[k], PROB_FLOOR), 1 - PROB_FLOOR);
		double		scale;

		for (int j = 0; j < p; j++)
			sum += phi[(size_t) j * outs + k];
		base = fmin(fmax(base, PROB_FLOOR), 1 - PROB_FLOOR);
		if (fabs(sum) > 1e-12)
			scale = (am_margin_of(task, prob) - am_margin_of(task, base)) / sum;
		else
			scale = task == AM_TASK_BINARY ? 1.0 / (prob * (1 - prob)) : 1.0 / prob;
		for (int j = 0; j < p; j++)
			phi[(size_t) j * outs + k] *= scale;
		phi[(size_t) p * outs + k] = am_margin_of(task, base);
	}
}

bool
am_model_contributions(AmModel *m, const double *raw, double *out)
{
	int			outs = am_task_outputs(m->schema->task, m->schema->n_classes);

	if (m->family->contributions == NULL)
		return am_shapley_sampled(m, raw, out);
	if (!contributions_raw(m, raw, out))
		return false;
	if (m->schema->task != AM_TASK_REGRESSION && m->family->contributions_in_probability)
	{
		double	   *pred = AM_NEW(double, outs);

		am_model_predict_row(m, raw, pred);
		probability_to_margin(m->schema->task, m->schema->n_features, outs, pred, out);
		am_free(pred);
	}
	return true;
}

static bool
contributions_raw(AmModel *m, const double *raw, double *out)
{
	int			outs = am_task_outputs(m->schema->task, m->schema->n_classes);
	int			nf = m->schema->n_features;

	if (m->family->contributions == NULL)
		return false;
	if (m->family->encoding == AM_ENCODING_DENSE)
	{
		int			q = m->prep->n_out;
		double	   *cols = AM_NEW(double, ((size_t) q + 1) * outs);

		am_prep_transform_row(m->prep, raw, m->scratch);
		if (!m->family->contributions(m->fitted, m->scratch, cols))
			return false;
		/* one-hot and indicator columns add up to their raw feature */
		memset(out, 0, sizeof(double) * ((size_t) nf + 1) * outs);
		for (int c = 0; c < q; c++)
		{
			int			j = am_prep_source_of(m->prep, c);

			for (int k = 0; k < outs; k++)
				out[(size_t) j * outs + k] += cols[(size_t) c * outs + k];
		}
		for (int k = 0; k < outs; k++)
			out[(size_t) nf * outs + k] = cols[(size_t) q * outs + k];
		am_free(cols);
		return true;
	}
	return m->family->contributions(m->fitted, raw, out);
}

bool
am_model_importance(const AmModel *m, AmImportanceKind kind, double *out)
{
	int			nf = m->schema->n_features;

	memset(out, 0, sizeof(double) * nf);
	if (m->family->importance == NULL)
		return false;
	if (m->prep != NULL)
	{
		double	   *cols = AM_NEW0(double, m->prep->n_out);
		bool		ok = m->family->importance(m->fitted, kind, cols);

		if (ok)
			for (int c = 0; c < m->prep->n_out; c++)
				out[am_prep_source_of(m->prep, c)] += cols[c];
		am_free(cols);
		return ok;
	}
	return m->family->importance(m->fitted, kind, out);
}
