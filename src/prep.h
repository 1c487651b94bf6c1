/*
 * prep.h
 *	  Preprocessing for the dense-encoding families, fitted on training rows
 *	  and stored in the model: median imputation plus a missing indicator
 *	  where missing rows differ in target beyond chance, standardisation of
 *	  numbers, and one-hot encoding of categories (a
 *	  column per kept level, one for "other" when training saw rare levels,
 *	  one for NULL when training saw NULLs; an unseen level at predict time
 *	  lands in "other", or in no column at all).
 */
#ifndef AUTOML_PREP_H
#define AUTOML_PREP_H

#include "buf.h"
#include "dataset.h"

typedef struct AmPrep
{
	int			n_in;			/* raw features */
	int			n_out;			/* dense columns */
	int		   *start;			/* first dense column of each raw feature */
	bool	   *categorical;
	/* numeric features */
	double	   *fill;			/* value used for a missing number */
	double	   *center;
	double	   *scale;
	bool	   *indicator;		/* a 0/1 missing-indicator column follows */
	/* categorical features */
	int		   *n_codes;		/* codes 0 .. n_codes-1, the last one "other" */
	bool	   *other_col;		/* "other" has its own column */
	bool	   *null_col;		/* NULL has its own column */
} AmPrep;

/* Fit on the given rows of a dataset (rows == NULL: all rows). */
extern AmPrep *am_prep_fit(const AmDataset *d, const int *rows, int n);

/* Encode the given rows into a new column-major n x n_out matrix. */
extern double *am_prep_transform(const AmPrep *prep, const AmDataset *d,
								 const int *rows, int n);

/* Encode one raw row (n_in values, stride 1) into out (n_out values). */
extern void am_prep_transform_row(const AmPrep *prep, const double *raw,
								  double *out);

/* Which raw feature a dense column comes from. */
extern int	am_prep_source_of(const AmPrep *prep, int col);

extern void am_prep_serialize(const AmPrep *prep, AmWriter *w);
extern AmPrep *am_prep_deserialize(AmReader *r, const AmSchema *schema);

#endif							/* AUTOML_PREP_H */
