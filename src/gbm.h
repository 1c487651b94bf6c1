/*
 * gbm.h
 *	  Internal to the gbm family: its parameters and the state the fitting
 *	  loop (gbm.c) shares with the losses and gradients (gbm_loss.c).
 */
#ifndef AUTOML_GBM_H
#define AUTOML_GBM_H

#include "tree.h"

#define GBM_BLOCK 256			/* rows per vectorised loss block */

typedef struct GbmParams
{
	double		learning_rate;
	int			n_estimators;
	int			max_depth;
	int			max_leaves;
	double		min_child_weight;
	double		min_samples_leaf;
	double		l2;
	double		min_split_gain;
	double		subsample;
	double		colsample;
	int			max_bins;
	int			early_stopping_rounds;
	double		validation_fraction;
	int			class_weight;
	double		cat_smooth;
	int			max_cat_to_onehot;
} GbmParams;

/* What one thread needs to grow a tree. */
typedef struct GbmWorker
{
	TreeGrower *grower;
	double	   *gh;				/* g, h by local row */
	double	   *leaf_value;		/* by grown node */
} GbmWorker;

/* A grown tree kept until it is stored, in class order. */
typedef struct GbmStaged
{
	GrowTree	tree;
	GrowNode   *nodes;
	double	   *stats;
	double	   *values;
} GbmStaged;

/* Shared by the tasks of a round. */
typedef struct GbmState
{
	const AmFitInput *in;
	const TreeFitData *fd;
	const TreeMatrix *m;
	const GbmParams *gp;
	AmTask		task;
	int			n;				/* local rows */
	int			K;				/* outputs */
	int			per_round;		/* trees per round */
	double		hess_factor;
	double	   *F;				/* margins, class-major: F[k * n + r] */
	double	   *P;				/* multiclass probabilities, class-major */
	int32_t    *sample;			/* rows of this round's trees, sorted */
	int			n_sample;
	int32_t    *others;			/* every other row (unsampled, validation) */
	int			n_others;
	int		   *features;		/* per tree of the round: p feature slots */
	int		   *n_features;		/* per tree: 0 means all */
	uint64_t   *seeds;			/* per tree of the round */
	GbmWorker  *workers;
	GbmStaged  *staged;			/* per tree of the round (class-parallel) */
	/* the tree being finished in the shared (pool) mode */
	int			k;
	const GrowTree *tree;
	const double *leaf_value;
} GbmState;

/* gbm_loss.c */
extern void gbm_base_margins(const GbmState *st, const int32_t *rows, int n, double *base);
extern double gbm_mean_loss(const GbmState *st, const int32_t *rows, int n);
extern void gbm_softmax_rows(const GbmState *st, const int32_t *rows, int n);
extern void gbm_gradients(const GbmState *st, int k, int lo, int hi, double *gh);

#endif							/* AUTOML_GBM_H */
