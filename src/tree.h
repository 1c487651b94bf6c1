/*
 * tree.h
 *	  Shared pieces of the tree families (tree, forest, extra_trees, gbm):
 *	  the binned matrix, the flattened node arrays of a fitted ensemble, the
 *	  tree grower, and the functions the tree_*.c files offer each other.
 *	  Pure C: core.h, pool.h, the C library and pthreads only.
 *
 * Training works on bins, never on doubles: prepare() bins every feature
 * of the whole dataset once (<= 255 value bins and one missing bin per
 * feature, one byte per cell, column-major), shared by every trial and fold
 * of a training call.  A fit copies its training rows into a row-major
 * matrix (and a column-major one for partitions, tree_bins.c), grows trees
 * on histograms of those bins (tree_hist.c, tree_split.c, tree_grow.c) with
 * the thread pool of pool.c, and stores every split with a raw
 * threshold or a code-to-bin map and bin set (tree_model.c), so prediction
 * (tree_predict.c) reads raw doubles.  tree_io.c serializes, tree_shap.c
 * explains; forest.c, tree_cart.c and gbm.c are the families.
 *
 * Split semantics, the same in training and prediction:
 *	  numeric:      left when x <= threshold; NaN goes the learned way
 *	  categorical:  left when the bin of code x (training's map) is in the
 *	                split's bin set; NaN, codes outside 0 .. n_codes-1 and
 *	                codes no training row had (an unseen category becomes
 *	                the "other" code) go the learned (missing) way
 */
#ifndef AUTOML_TREE_H
#define AUTOML_TREE_H

#include <math.h>

#include "core.h"
#include "dataset.h"
#include "model.h"
#include "pool.h"
#include "rng.h"

#define TREE_MAX_BINS 255		/* value bins per feature; one more for NaN */
#define TREE_DEPTH_LIMIT 64		/* "unlimited" depth, and the most we read */
#define TREE_MAX_CLASSES 1000	/* classes a forest leaf can hold */

/* ---------- bins (tree_bins.c) ---------- */

typedef struct TreeFeatureBins
{
	bool		categorical;
	int			n_bins;			/* value bins 0 .. n_bins-1; n_bins = NaN */
	double	   *edges;			/* numeric: n_bins - 1 ascending upper edges */
	double	   *counts;			/* rows per value bin (all rows) */
	int			n_codes;		/* categorical: codes 0 .. n_codes-1 */
	uint8_t    *code_bin;		/* categorical: the bin of each code */
} TreeFeatureBins;

/* What prepare() builds: the whole dataset binned, shared by all trials. */
typedef struct TreeBinned
{
	int			n_rows;
	int			p;
	TreeFeatureBins *features;
	uint8_t    *codes;			/* column-major: codes[j * n_rows + i] */
} TreeBinned;

/* The training rows of one fit, row-major, bins coarsened to max_bins. */
typedef struct TreeMatrix
{
	int			n;
	int			p;
	uint8_t    *bins;			/* bins[i * p + j]: histograms read rows */
	uint8_t    *cols;			/* cols[j * n + i]: partitions read a column */
	TreeFeatureBins *features;	/* coarsened copies */
	int		   *hist_offset;	/* first histogram slot of feature j */
	int			hist_bins;		/* histogram slots of all features */
} TreeMatrix;

extern void *tree_prepare(const AmDataset *data, AmErr *err);
extern TreeMatrix *tree_matrix_build(const TreeBinned *b, const int *rows, int n,
									 int max_bins);
/* Bin of a raw value (numeric or categorical) under a feature's bins. */
extern int	tree_bin_of(const TreeFeatureBins *f, double v);

/* ---------- growing one tree in bin space (tree_grow.c) ---------- */

typedef enum TreeStatsMode
{
	TREE_STATS_GH = 0,			/* per row a gradient g and a hessian h */
	TREE_STATS_CLASS = 1		/* per row a class c and a weight h */
} TreeStatsMode;

typedef struct TreeGrowConfig
{
	TreeStatsMode mode;
	int			n_classes;		/* TREE_STATS_CLASS: gradient channels */
	int			max_depth;		/* >= 1 */
	int			max_leaves;		/* 0: depth-wise growth; else best-first */
	double		min_samples_leaf;
	double		min_child_weight;	/* hessian (weight) sum per child */
	double		l2;				/* added to the hessian sum of a node */
	double		min_gain;		/* a split must reduce the loss by more */
	int			split_features; /* features drawn per node (0: all) */
	bool		random_thresholds;	/* extra trees */
	bool		subtraction;	/* keep histograms for sibling subtraction */
	double		cat_smooth;		/* categorical ordering prior */
	int			max_cat_to_onehot;	/* categoricals with fewer bins: one vs rest */
	bool		hess_is_count;	/* every row has hessian 1: H counts rows */
	bool		min_gain_per_weight;	/* min_gain is per unit of root weight */
	bool		keep_final_rows;	/* leave the rows of a level of final leaves unpartitioned */
} TreeGrowConfig;

/* A split in bin space. */
typedef struct GrowSplit
{
	double		gain;
	int32_t		feature;		/* -1: no valid split */
	int16_t		bin;			/* numeric: bins <= bin go left */
	bool		missing_left;
	bool		categorical;
	uint32_t	cat_bins[8];	/* categorical: bins going left */
} GrowSplit;

/*
 * With keep_final_rows, a level whose children are all at max_depth (leaves
 * that can never split) is not partitioned: each parent keeps its rows and
 * is marked rows_kept, its children get count 0, and a row's leaf is the
 * side of the parent's split (grow_split_goes_left on the row's bin).  The
 * boosting loop needs a row's leaf only to add the leaf's value to the
 * row's margin, which it does in that same pass.
 */
typedef struct GrowNode
{
	int32_t		begin;			/* rows idx[begin .. begin + count) */
	int32_t		count;
	int32_t		depth;
	int32_t		left;			/* first child (right = left + 1); -1 leaf */
	int32_t		hist;			/* histogram buffer, -1 when none */
	int32_t		n_feats;		/* drawn features (split_features mode) */
	bool		rows_kept;		/* split, but its rows not handed to the children */
	GrowSplit	split;
} GrowNode;

typedef struct TreeGrower TreeGrower;

/* The rows and their statistics for one tree. */
typedef struct TreeGrowInput
{
	const int32_t *rows;		/* local row numbers, sorted; may repeat */
	int			n_rows;
	const double *gh;			/* GH: g, h interleaved per local row */
	const int32_t *cls;			/* CLASS: class of each local row */
	const double *weight;		/* CLASS: weight of each local row, or NULL */
	const int  *features;		/* features this tree may use, or NULL */
	int			n_features;
	uint64_t	seed;
} TreeGrowInput;

/* The grown tree: nodes in creation order (children after parents). */
typedef struct GrowTree
{
	int			n_nodes;
	GrowNode   *nodes;
	double	   *stats;			/* S per node: channels, hessian, [count] */
	int			stats_width;	/* S */
	int			n_channels;		/* gradient channels (1 or n_classes) */
	const int32_t *idx;			/* rows permuted so every leaf's rows are its segment */
} GrowTree;

/*
 * A grower for trees of at most max_rows row entries (allocates; pool
 * stopped).  max_nodes > 0 fixes the node storage: such a grower (with a
 * NULL pool) calls no am_* function while growing, so it may run on a
 * worker thread; the caller checks for interrupts.
 */
extern TreeGrower *tree_grower_create(const TreeMatrix *m, const TreeGrowConfig *cfg,
									  AmPool *pool, int max_rows, int max_nodes);
/* Grow one tree; the pool must be started.  Result valid until the next call. */
extern const GrowTree *tree_grow(TreeGrower *g, const TreeGrowInput *in);

/* Leaf of a local row, walking the grown tree in bin space. */
extern int	grow_tree_leaf(const GrowTree *t, const TreeMatrix *m, int row);

/* ---------- histograms (tree_hist.c) ---------- */

/* The occupied value bins of one feature in a node, in bin order. */
typedef struct TreeCompact
{
	int			m;				/* occupied value bins */
	int			nb;				/* value bins of the feature */
	uint8_t		bin[TREE_MAX_BINS];
	const double *slot[TREE_MAX_BINS];	/* their S statistics */
	const double *miss;			/* statistics of the missing values */
} TreeCompact;

typedef struct TreeHistJob
{
	const int32_t *rows;
	int			n_rows;
	const int  *features;		/* NULL: all */
	int			n_features;
	double	   *out;			/* the node's histogram (all slots) */
} TreeHistJob;

typedef struct TreeHistContext
{
	const TreeMatrix *m;
	TreeStatsMode mode;
	int			width;			/* S: doubles per slot */
	int			n_channels;
	bool		count;			/* count channel at S - 1 */
	const double *gh;
	const int32_t *cls;
	const double *weight;
	AmPool	   *pool;
	double	   *partials;		/* n_partials histograms */
	int			n_partials;
	int		   *job_blocks;		/* scratch: max_jobs + 1 */
	int			max_jobs;
	double	   *replicas;		/* a second histogram per thread, or NULL */
} TreeHistContext;

extern void tree_hist_build(TreeHistContext *hc, TreeHistJob *jobs, int n_jobs);
/*
 * The compact form of one feature straight from a few rows (no histogram):
 * scratch holds (n + 1) x S doubles; sums match a histogram's bit for bit.
 */
#define TREE_SPARSE_ROWS 96
extern void tree_hist_compact(const TreeHistContext *hc, const int32_t *rows, int n,
							  int feature, double *scratch, TreeCompact *c);
/* out = parent - sibling over the given features, in place on parent. */
extern void tree_hist_subtract(const TreeHistContext *hc, double *parent,
							   const double *sibling, const int *features,
							   int n_features);
/* Direct build of one job by one thread (no blocks). */
extern void tree_hist_build_rows(const TreeHistContext *hc, const TreeHistJob *job,
								 int thread);

/* ---------- split finding (tree_split.c) ---------- */


typedef struct TreeSplitContext
{
	const TreeMatrix *m;
	const TreeGrowConfig *cfg;
	int			width;			/* S */
	int			n_channels;
	bool		count;			/* count channel present */
} TreeSplitContext;

/*
 * Improve *best with the best split of one feature, given the node's
 * histogram and totals; seed drives extra trees' random thresholds.
 */
extern void tree_split_feature(const TreeSplitContext *sc, const double *hist,
							   const double *total, int feature, uint64_t seed,
							   GrowSplit *best);
/* The same from the compact form of the feature (histogram or rows). */
extern void tree_split_compact(const TreeSplitContext *sc, const TreeCompact *c,
							   const double *total, int feature, uint64_t seed,
							   GrowSplit *best);
extern void tree_split_compact_left(const TreeSplitContext *sc, const TreeCompact *c,
									const GrowSplit *s, double *left);
/* Sum of the histogram slots a split sends left, into left (S values). */
extern void tree_split_left_stats(const TreeSplitContext *sc, const double *hist,
								  const GrowSplit *s, double *left);
/* Loss score of node statistics: sum_k G_k^2 / (H + l2). */
extern double tree_stats_score(const TreeSplitContext *sc, const double *stats);
/* Does a split send bin b of its feature left? */
static inline bool
grow_split_goes_left(const GrowSplit *s, int bin, int missing_bin)
{
	if (bin == missing_bin)
		return s->missing_left;
	if (s->categorical)
		return (s->cat_bins[bin >> 5] >> (bin & 31)) & 1;
	return bin <= s->bin;
}

/* ---------- fitted ensembles (tree_model.c) ---------- */

#define TREE_LEAF 0x1
#define TREE_CATEGORICAL 0x2
#define TREE_MISSING_LEFT 0x4
#define TREE_MAX_FEATURES 65535
#define TREE_CAT_WORDS 8		/* a set of bins: 256 bits */
#define TREE_UNSEEN_BIN 255		/* cat_map: a code no training row had */

/*
 * 16 bytes per node.  A leaf points to itself (left = its own index,
 * threshold +inf, feature 0, missing left) so a walk of fixed length can
 * run past it without branches; its values are value[node * leaf_dim].
 */
typedef struct TreeNode
{
	union
	{
		double		threshold;	/* numeric split */
		struct
		{
			uint32_t	offset; /* first of TREE_CAT_WORDS words in cat_words */
			uint32_t	reserved;
		}			cat;		/* categorical split: the bins going left */
	}			u;
	int32_t		left;			/* child index within the tree; right = left + 1 */
	uint16_t	feature;
	uint16_t	flags;			/* TREE_LEAF, TREE_CATEGORICAL, TREE_MISSING_LEFT */
} TreeNode;

typedef enum TreeCombine
{
	TREE_COMBINE_SUM = 1,		/* boosting: margins = base + sum of leaves */
	TREE_COMBINE_MEAN = 2		/* bagging: outputs = mean of leaf vectors */
} TreeCombine;

typedef struct TreeEnsemble
{
	TreeCombine combine;
	int			p;
	AmTask		task;
	int			n_classes;
	int			n_outputs;		/* am_task_outputs() */
	int			leaf_dim;		/* SUM: 1; MEAN: n_outputs */
	int			n_trees;
	int			cap_trees;
	int32_t    *tree_start;		/* n_trees + 1 node offsets */
	int32_t    *tree_output;	/* SUM: the output a tree adds to */
	int32_t    *tree_depth;		/* longest root-to-leaf path */
	int			n_nodes;
	int			cap_nodes;
	TreeNode   *nodes;
	double	   *value;			/* n_nodes * leaf_dim */
	double	   *cover;			/* n_nodes: training weight (hessian) */
	double	   *node_gain;		/* n_nodes: split gains while training (not stored) */
	int			n_cat_words;
	int			cap_cat_words;
	uint32_t   *cat_words;		/* bin sets of categorical splits */
	int		   *cat_codes;		/* p: codes of a categorical feature, -1 numeric */
	uint8_t   **cat_map;		/* p: the bin of each code (training's binning) */
	double	   *base;			/* n_outputs: SUM start margins; MEAN zero */
	double	   *gain;			/* p: total loss reduction per feature */
	double	   *splits;			/* p: splits per feature */
	bool		has_categorical;	/* some split is categorical */
	double		oob_score;		/* forests with bootstrap; NaN otherwise */
	int			max_depth;		/* over all trees */
	/*
	 * Shallow numeric ensembles as they are scored one row at a time: built
	 * for loaded models by tree_ensemble_build_complete(); NULL otherwise.
	 */
	struct TreeComplete *complete;
} TreeEnsemble;

extern TreeEnsemble *tree_ensemble_new(TreeCombine combine, int p, AmTask task,
									   int n_classes);
/* Keep the code-to-bin maps of the categorical features of a fit. */
extern void tree_ensemble_attach_codes(TreeEnsemble *e, const TreeMatrix *m);
/*
 * Append a grown tree: thresholds become raw values, leaf values come from
 * leaf_values (leaf_dim per grown node, read at leaves), importance is
 * accumulated (gain scaled by gain_scale).
 */
extern void tree_ensemble_add(TreeEnsemble *e, const GrowTree *t, const TreeMatrix *m,
							  const double *leaf_values, int output,
							  double gain_scale);
/* Room for more trees, nodes and code-set words: adding them then allocates nothing. */
extern void tree_ensemble_reserve(TreeEnsemble *e, int trees, int nodes, int cat_words);
/* Drop trees after the first n (early stopping). */
extern void tree_ensemble_truncate(TreeEnsemble *e, int n_trees);
/*
 * Every tree of a shallow ensemble without categorical splits as a complete
 * binary tree of depth `depth` (the ensemble's largest): node i of a tree
 * has children 2i+1 (v <= threshold) and 2i+2, a leaf above the last level
 * becomes splits at +inf that always go left, and a walk is `depth` steps
 * with nothing but the index on its path.  Tree t's nodes start at
 * t * stride (stride = 2^depth: 2^depth - 1 splits, one unused slot); its
 * leaves likewise, in level order.
 */
typedef struct TreeComplete
{
	int			depth;
	int			stride;
	double	   *threshold;		/* n_trees * stride */
	uint16_t   *feature;		/* n_trees * stride */
	double	   *leaf_value;		/* n_trees * stride: SUM, one output; else NULL */
	int32_t    *leaf_node;		/* n_trees * stride: the leaf's node in its tree */
} TreeComplete;

/* Build e->complete when the trees are shallow and numeric (after validation). */
#define TREE_COMPLETE_MAX_DEPTH 7
extern void tree_ensemble_build_complete(TreeEnsemble *e);
/* Check the structure of every tree (deserialization); NULL when fine. */
extern const char *tree_ensemble_validate(const TreeEnsemble *e);

/* ---------- prediction (tree_predict.c) ---------- */

/* The step below for a categorical split or a missing value. */
static inline int
tree_step_special(const TreeEnsemble *e, const TreeNode *nd, double v)
{
	bool		left;

	if (!(nd->flags & TREE_CATEGORICAL))
		left = isnan(v) ? (nd->flags & TREE_MISSING_LEFT) != 0 : v <= nd->u.threshold;
	else if (!(v >= 0 && v < (double) e->cat_codes[nd->feature]) || v != (double) (uint32_t) v)
		left = (nd->flags & TREE_MISSING_LEFT) != 0;
	else
	{
		uint32_t	bin = e->cat_map[nd->feature][(uint32_t) v];

		if (bin == TREE_UNSEEN_BIN)
			left = (nd->flags & TREE_MISSING_LEFT) != 0;
		else
			left = (e->cat_words[nd->u.cat.offset + (bin >> 5)] >> (bin & 31)) & 1;
	}
	return nd->left + !left;
}

/*
 * Next node index from node nd (a split, or a leaf pointing to itself) for
 * feature value v; numeric splits without a missing value take no branch
 * that depends on the data.
 */
static inline int
tree_step(const TreeEnsemble *e, const TreeNode *nd, double v)
{
	if (__builtin_expect((nd->flags & TREE_CATEGORICAL) != 0 || isnan(v), 0))
		return tree_step_special(e, nd, v);
	return nd->left + (v > nd->u.threshold);
}

extern void tree_ensemble_predict(const TreeEnsemble *e, const double *x, size_t ld,
								  int n, double *out);
/* Margins (SUM) or means (MEAN) before the link, row-major n x n_outputs. */
extern void tree_ensemble_margins(const TreeEnsemble *e, const double *x, size_t ld,
								  int n, double *out);
/* Leaf node (index within the tree) reached by one row with stride 1. */
extern int	tree_leaf_of(const TreeEnsemble *e, int tree, const double *x);
extern void tree_link(AmTask task, int n_outputs, double *out, int n);

/* ---------- explanations (tree_shap.c) ---------- */

extern bool tree_importance(const void *model, AmImportanceKind kind, double *out);
extern bool tree_contributions(const void *model, const double *x, double *out);

/* ---------- serialization (tree_io.c) ---------- */

extern void tree_serialize(const void *model, AmWriter *w);
extern TreeEnsemble *tree_deserialize(AmReader *r, int p, AmTask task, int n_classes,
									  TreeCombine combine, AmErr *err);

/* ---------- families ---------- */

/* Bagged trees: forest, extra_trees, and the single CART tree (forest.c). */
typedef struct TreeBagConfig
{
	int			n_estimators;
	bool		bootstrap;
	int			split_features; /* per node; 0: all */
	bool		random_thresholds;
	int			max_depth;		/* 0: TREE_DEPTH_LIMIT */
	double		min_samples_leaf;
	double		min_impurity_decrease;
	int			max_bins;
	int			class_weight;
	int			max_cat_to_onehot;
} TreeBagConfig;

extern void *tree_bagging_fit(const AmFitInput *in, const TreeBagConfig *bc, AmErr *err);
extern void *tree_mean_deserialize(AmReader *r, int p, AmTask task, int n_classes,
								   AmErr *err);

extern void tree_predict_cb(const void *model, const double *x, size_t ld, int n,
							double *out);

/* Out-of-bag score of a forest (accuracy or R^2); NaN when not computed. */
extern double am_forest_oob_score(const void *model);

/* The help of max_cat_to_onehot, a parameter of every tree family. */
#define TREE_ONEHOT_HELP \
	"a categorical feature with fewer categories splits one category against the rest, " \
	"one with more by ordered partitions; 0: never"

/* Class weights: "none" or "balanced" (n / (K n_k)). */
extern const char *const tree_class_weight_choices[];
#define TREE_CLASS_WEIGHT_NONE 0
#define TREE_CLASS_WEIGHT_BALANCED 1

/*
 * Checked training input of a tree family: labels, weights (times class
 * weights), and the binned training rows.  NULL with err set on bad data.
 */
typedef struct TreeFitData
{
	const TreeBinned *binned;
	TreeMatrix *m;
	int32_t    *cls;			/* classification: class of each row */
	double	   *w;				/* weight of each row (never NULL) */
	bool		weighted;		/* w differs from all ones */
	double		w_sum;
} TreeFitData;

extern TreeFitData *tree_fit_data(const AmFitInput *in, int max_bins, int class_weight,
								  AmErr *err);

#endif							/* AUTOML_TREE_H */
