/*
 * model.c
 *	  Prediction through a complete model: raw features -> the family's
 *	  encoding -> the family's predict.
 */
#include "model.h"

#include <string.h>

#include "prep.h"

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
	if (m->fused != NULL)
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
		/* Encode in blocks so a large batch does not double its memory. */
		const int	block = 4096;
		int			q = m->prep->n_out;
		int			outs = am_task_outputs(m->schema->task, m->schema->n_classes);
		double	   *raw = AM_NEW(double, m->prep->n_in);
		double	   *row = AM_NEW(double, q);
		double	   *enc = AM_NEW(double, (size_t) block * q);

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

bool
am_model_contributions(AmModel *m, const double *raw, double *out)
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
