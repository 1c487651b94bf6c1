/*
 * forest.c
 *	  Bagged trees: the "forest" (random forest) and "extra_trees"
 *	  families, and the bagging driver the single "tree" family uses too.
 *
 * Every tree is a CART tree on the binned rows: Gini decrease for
 * classification (leaves hold class shares), variance decrease for
 * regression (leaves hold means).  A forest draws a bootstrap sample per
 * tree (rows repeat in the tree's row list) and colsample x p features per
 * split; extra trees draw one random threshold per feature instead of
 * searching, and use all rows by default.  Predictions average the leaves.
 *
 * colsample 0 ("auto") means sqrt(p) features per split for classification
 * and p/3 (forest) or all p (extra_trees) for regression, as in Breiman's
 * forests and scikit-learn's ExtraTreesRegressor.  With bootstrap the
 * out-of-bag score (accuracy, or R^2 for regression) is computed at fit
 * time: am_forest_oob_score().
 *
 * Threads grow whole trees side by side (each with its own grower) when a
 * tree's node storage per thread is affordable, else they share each tree;
 * seeds are derived per tree, so results do not depend on the thread count.
 */
#include "tree.h"

#include <math.h>
#include <string.h>

#define FOREST_FORMAT_VERSION 1
#define MIN_ROWS_PER_THREAD 5000
#define TREE_PARALLEL_ROWS 200000	/* up to here: a whole tree per thread */

/* Row list of one tree: a bootstrap sample (sorted, repeats) or all rows. */
static int
tree_rows(int n, bool bootstrap, uint64_t seed, int32_t *rows, int32_t *draws)
{
	AmRng		rng;

	if (!bootstrap)
	{
		for (int i = 0; i < n; i++)
			rows[i] = i;
		return n;
	}
	am_rng_seed(&rng, seed);
	am_rng_draw_sorted(&rng, n, n, draws, rows);
	return n;
}

/* Leaf values of a grown tree: class shares or the mean target. */
static void
leaf_values(const GrowTree *t, AmTask task, int leaf_dim, double *out)
{
	int			S = t->stats_width,
				K = t->n_channels;

	for (int i = 0; i < t->n_nodes; i++)
	{
		const double *s = t->stats + (size_t) i * S;
		double		h = s[K] > 0 ? s[K] : 1.0;
		double	   *v = out + (size_t) i * leaf_dim;

		if (task == AM_TASK_REGRESSION)
			v[0] = s[0] / h;
		else if (task == AM_TASK_BINARY)
			v[0] = fmin(1.0, fmax(0.0, s[1] / h));
		else
			for (int c = 0; c < K; c++)
				v[c] = fmin(1.0, fmax(0.0, s[c] / h));
	}
}

typedef struct OobState
{
	double	   *sum;			/* n x leaf_dim */
	int32_t    *votes;			/* trees that left the row out */
} OobState;

static void
oob_add(OobState *o, const GrowTree *t, const TreeMatrix *m, const int32_t *draws,
		const double *values, int leaf_dim)
{
	for (int i = 0; i < m->n; i++)
	{
		int			leaf;

		if ((i & 0xFFFF) == 0xFFFF)
			am_check_interrupts();
		if (draws[i] > 0)
			continue;
		leaf = grow_tree_leaf(t, m, i);
		for (int c = 0; c < leaf_dim; c++)
			o->sum[(size_t) i * leaf_dim + c] += values[(size_t) leaf * leaf_dim + c];
		o->votes[i]++;
	}
}

/* Accuracy (classification) or R^2 (regression) of the out-of-bag votes. */
static double
oob_score(const OobState *o, const AmFitInput *in, const TreeFitData *fd, int leaf_dim)
{
	double		good = 0,
				n = 0,
				mean = 0,
				sse = 0,
				sst = 0;

	for (int i = 0; i < in->n; i++)
		if (o->votes[i] > 0)
		{
			mean += in->y[i];
			n++;
		}
	if (n == 0)
		return NAN;
	mean /= n;
	for (int i = 0; i < in->n; i++)
	{
		const double *s = o->sum + (size_t) i * leaf_dim;
		int			pred = 0;

		if (o->votes[i] == 0)
			continue;
		if (in->task == AM_TASK_REGRESSION)
		{
			sse += (s[0] / o->votes[i] - in->y[i]) * (s[0] / o->votes[i] - in->y[i]);
			sst += (in->y[i] - mean) * (in->y[i] - mean);
			continue;
		}
		if (in->task == AM_TASK_BINARY)
			pred = s[0] / o->votes[i] >= 0.5;
		else
			for (int c = 1; c < leaf_dim; c++)
				if (s[c] > s[pred])
					pred = c;
		good += pred == fd->cls[i];
	}
	if (in->task == AM_TASK_REGRESSION)
		return sst > 0 ? 1.0 - sse / sst : NAN;
	return good / n;
}

static void
grow_config(const AmFitInput *in, const TreeBagConfig *bc, const TreeFitData *fd,
			TreeGrowConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = in->task == AM_TASK_REGRESSION ? TREE_STATS_GH : TREE_STATS_CLASS;
	cfg->n_classes = in->n_classes;
	cfg->max_depth = bc->max_depth > 0 && bc->max_depth < TREE_DEPTH_LIMIT ?
		bc->max_depth : TREE_DEPTH_LIMIT;
	cfg->min_samples_leaf = bc->min_samples_leaf;
	cfg->min_gain = bc->min_impurity_decrease;
	cfg->min_gain_per_weight = true;
	cfg->split_features = bc->split_features;
	cfg->random_thresholds = bc->random_thresholds;
	cfg->cat_smooth = 1.0;
	cfg->max_cat_to_onehot = bc->max_cat_to_onehot;
	cfg->hess_is_count = !fd->weighted;
}

/* One tree being grown: its grower, rows and draws. */
typedef struct BagSlot
{
	TreeGrower *grower;
	int32_t    *rows;
	int32_t    *draws;
	TreeGrowInput gi;
	const GrowTree *tree;
} BagSlot;

typedef struct BagState
{
	BagSlot    *slots;
} BagState;

/* Trees in parallel: slot k grows its tree alone (fixed node storage). */
static void
slot_task(void *arg, int k, int thread)
{
	BagSlot    *slot = &((BagState *) arg)->slots[k];

	AM_UNUSED(thread);
	slot->tree = tree_grow(slot->grower, &slot->gi);
}

/* Most nodes a tree on n row entries can have. */
static int
node_bound(const TreeGrowConfig *cfg, int n)
{
	double		leaves = ceil(n / fmax(1.0, cfg->min_samples_leaf));

	if (cfg->max_depth < 30)
		leaves = fmin(leaves, ldexp(1.0, cfg->max_depth));
	return (int) fmax(1.0, 2 * leaves - 1);
}

static BagSlot *
make_slots(const TreeFitData *fd, const TreeGrowConfig *cfg, AmPool *pool, int n_slots,
		   int n, const TreeGrowInput *proto)
{
	BagSlot    *slots = AM_NEW0(BagSlot, n_slots);

	for (int k = 0; k < n_slots; k++)
	{
		/* several slots grow on workers: fixed storage, no pool of their own */
		slots[k].grower = tree_grower_create(fd->m, cfg, n_slots > 1 ? NULL : pool, n,
											 n_slots > 1 ? node_bound(cfg, n) : 0);
		slots[k].rows = AM_NEW(int32_t, n);
		slots[k].draws = AM_NEW(int32_t, n);
		slots[k].gi = *proto;
		slots[k].gi.rows = slots[k].rows;
	}
	return slots;
}

/* Store a grown tree (in tree order) and count its out-of-bag votes. */
static void
keep_tree(TreeEnsemble *e, const BagSlot *slot, const TreeFitData *fd, AmTask task,
		  OobState *oob)
{
	double	   *values = AM_NEW(double, (size_t) slot->tree->n_nodes * e->leaf_dim);

	leaf_values(slot->tree, task, e->leaf_dim, values);
	tree_ensemble_add(e, slot->tree, fd->m, values, 0, 1.0);
	if (oob->votes)
		oob_add(oob, slot->tree, fd->m, slot->draws, values, e->leaf_dim);
	am_free(values);
}

void *
tree_bagging_fit(const AmFitInput *in, const TreeBagConfig *bc, AmErr *err)
{
	TreeFitData *fd = tree_fit_data(in, bc->max_bins, bc->class_weight, err);
	TreeEnsemble *e;
	TreeGrowConfig cfg;
	TreeGrowInput proto;
	AmPool	   *pool;
	BagState	st;
	OobState	oob = {0};
	int			n = in->n,
				threads,
				n_slots;

	if (fd == NULL)
		return NULL;
	grow_config(in, bc, fd, &cfg);
	e = tree_ensemble_new(TREE_COMBINE_MEAN, in->p, in->task, in->n_classes);
	tree_ensemble_attach_codes(e, fd->m);
	memset(&proto, 0, sizeof(proto));
	if (in->task == AM_TASK_REGRESSION)
	{
		double	   *gh;

		am_memory_reserve((size_t) n * 2 * sizeof(double), "forest targets");
		gh = AM_NEW(double, 2 * (size_t) n);
		for (int i = 0; i < n; i++)
		{
			gh[2 * i] = fd->w[i] * in->y[i];
			gh[2 * i + 1] = fd->w[i];
		}
		proto.gh = gh;
	}
	else
	{
		proto.cls = fd->cls;
		proto.weight = fd->weighted ? fd->w : NULL;
	}
	if (bc->bootstrap)
	{
		am_memory_reserve((size_t) n * (e->leaf_dim * sizeof(double) + sizeof(int32_t)),
						  "out-of-bag votes");
		oob.sum = AM_NEW0(double, (size_t) n * e->leaf_dim);
		oob.votes = AM_NEW0(int32_t, n);
	}

	/*
	 * Threads grow whole trees (no synchronisation inside a tree) when the
	 * node storage of a tree per thread is affordable; on large data they
	 * share each tree instead.
	 */
	threads = n / MIN_ROWS_PER_THREAD < in->threads ? n / MIN_ROWS_PER_THREAD : in->threads;
	if (threads < 1)
		threads = 1;
	n_slots = threads > 1 && bc->n_estimators > 1 && n <= TREE_PARALLEL_ROWS ? threads : 1;
	pool = am_pool_create(threads);
	st.slots = make_slots(fd, &cfg, pool, n_slots, n, &proto);

	for (int t0 = 0; t0 < bc->n_estimators; t0 += n_slots)
	{
		int			wave = bc->n_estimators - t0 < n_slots ? bc->n_estimators - t0 : n_slots;

		am_check_interrupts();
		if (am_past_deadline())
		{
			am_err_set(err, AM_ERR_DEADLINE, "time budget ran out after %d trees", t0);
			return NULL;
		}
		for (int k = 0; k < wave; k++)
		{
			BagSlot    *slot = &st.slots[k];
			uint64_t	t = (uint64_t) (t0 + k);

			slot->gi.n_rows = tree_rows(n, bc->bootstrap, am_seed_derive(in->seed, 2 * t),
										slot->rows, slot->draws);
			slot->gi.seed = am_seed_derive(in->seed, 2 * t + 1);
		}
		am_pool_start(pool);
		am_pool_run(pool, wave, slot_task, &st);
		am_pool_stop(pool);
		for (int k = 0; k < wave; k++)
			keep_tree(e, &st.slots[k], fd, in->task, &oob);
	}
	if (bc->bootstrap)
		e->oob_score = oob_score(&oob, in, fd, e->leaf_dim);
	return e;
}

void *
tree_mean_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	return tree_deserialize(r, p, task, n_classes, TREE_COMBINE_MEAN, err);
}

double
am_forest_oob_score(const void *model)
{
	return ((const TreeEnsemble *) model)->oob_score;
}

/* ---------- the forest and extra_trees families ---------- */

static const AmParamSpec forest_params[] = {
	{"min_samples_leaf", 1, 1, 1e6, 1, 20, true, true, NULL,
	"fewest (bootstrap) rows in a leaf"},
	{"n_estimators", 100, 1, 10000, 50, 500, true, false, NULL,
	"number of trees"},
	{"max_depth", 0, 0, TREE_DEPTH_LIMIT, 0, TREE_DEPTH_LIMIT, true, false, NULL,
	"deepest split level; 0 means unlimited (capped at 64)"},
	{"colsample", 0, 0, 1, 0, 1, false, false, NULL,
	"fraction of features tried per split; 0: sqrt(p) for classification, p/3 (forest) or p (extra_trees) for regression"},
	{"bootstrap", 1, 0, 1, 0, 1, true, false, NULL,
	"draw a bootstrap sample per tree (1) or use every row (0)"},
	{"min_impurity_decrease", 0, 0, 1e6, 0, 0, false, false, NULL,
	"a split must lower the weighted impurity by this much (per unit of root weight)"},
	{"max_bins", 255, 2, 255, 255, 255, true, false, NULL,
	"histogram bins per feature"},
	{"class_weight", 0, 0, 1, 0, 1, true, false, tree_class_weight_choices,
	"\"balanced\" weighs classes by n / (K n_k)"},
	{"max_cat_to_onehot", 256, 0, 256, 256, 256, true, false, NULL,
	TREE_ONEHOT_HELP},
};

static const AmParamSpec extra_trees_params[] = {
	{"min_samples_leaf", 1, 1, 1e6, 1, 20, true, true, NULL,
	"fewest rows in a leaf"},
	{"n_estimators", 100, 1, 10000, 50, 500, true, false, NULL,
	"number of trees"},
	{"max_depth", 0, 0, TREE_DEPTH_LIMIT, 0, TREE_DEPTH_LIMIT, true, false, NULL,
	"deepest split level; 0 means unlimited (capped at 64)"},
	{"colsample", 0, 0, 1, 0, 1, false, false, NULL,
	"fraction of features tried per split; 0: sqrt(p) for classification, p for regression"},
	{"bootstrap", 0, 0, 1, 0, 1, true, false, NULL,
	"draw a bootstrap sample per tree (1) or use every row (0)"},
	{"min_impurity_decrease", 0, 0, 1e6, 0, 0, false, false, NULL,
	"a split must lower the weighted impurity by this much (per unit of root weight)"},
	{"max_bins", 255, 2, 255, 255, 255, true, false, NULL,
	"histogram bins per feature"},
	{"class_weight", 0, 0, 1, 0, 1, true, false, tree_class_weight_choices,
	"\"balanced\" weighs classes by n / (K n_k)"},
	{"max_cat_to_onehot", 256, 0, 256, 256, 256, true, false, NULL,
	TREE_ONEHOT_HELP},
};

static const char *
forest_check_params(const AmParams *p, AmTask task)
{
	if (task == AM_TASK_REGRESSION && am_param(p, "class_weight") == TREE_CLASS_WEIGHT_BALANCED)
		return "class_weight \"balanced\" needs a classification task";
	return NULL;
}

static int
features_per_split(double colsample, int p, AmTask task, bool extra)
{
	double		k;

	if (colsample > 0)
		k = round(colsample * p);
	else if (task != AM_TASK_REGRESSION)
		k = round(sqrt((double) p));
	else
		k = extra ? p : round(p / 3.0);
	return k < 1 ? 1 : (k > p ? p : (int) k);
}

static void *
bag_family_fit(const AmFitInput *in, const AmParams *p, bool extra, AmErr *err)
{
	TreeBagConfig bc;

	memset(&bc, 0, sizeof(bc));
	bc.n_estimators = (int) am_param(p, "n_estimators");
	bc.bootstrap = am_param(p, "bootstrap") != 0;
	bc.split_features = features_per_split(am_param(p, "colsample"), in->p, in->task, extra);
	bc.random_thresholds = extra;
	bc.max_depth = (int) am_param(p, "max_depth");
	bc.min_samples_leaf = am_param(p, "min_samples_leaf");
	bc.min_impurity_decrease = am_param(p, "min_impurity_decrease");
	bc.max_bins = (int) am_param(p, "max_bins");
	bc.class_weight = (int) am_param(p, "class_weight");
	bc.max_cat_to_onehot = (int) am_param(p, "max_cat_to_onehot");
	return tree_bagging_fit(in, &bc, err);
}

static void *
forest_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	return bag_family_fit(in, p, false, err);
}

static void *
extra_trees_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	return bag_family_fit(in, p, true, err);
}

const AmFamily am_forest_family = {
	.name = "forest",
	.description = "random forest (bootstrap, features sampled per split)",
	.format_version = FOREST_FORMAT_VERSION,
	.relative_cost = 6,
	.complexity = 4,
	.bag_fold_models = true,
	.contributions_in_probability = true,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_ALL,
	.params = forest_params,
	.n_params = sizeof(forest_params) / sizeof(forest_params[0]),
	.check_params = forest_check_params,
	.prepare = tree_prepare,
	.fit = forest_fit,
	.predict = tree_predict_cb,
	.serialize = tree_serialize,
	.deserialize = tree_mean_deserialize,
	.importance = tree_importance,
	.contributions = tree_contributions,
	.out_of_bag_score = am_forest_oob_score,
};

const AmFamily am_extra_trees_family = {
	.name = "extra_trees",
	.description = "extremely randomized trees (random thresholds)",
	.format_version = FOREST_FORMAT_VERSION,
	.relative_cost = 4,
	.complexity = 4,
	.bag_fold_models = true,
	.contributions_in_probability = true,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_ALL,
	.params = extra_trees_params,
	.n_params = sizeof(extra_trees_params) / sizeof(extra_trees_params[0]),
	.check_params = forest_check_params,
	.prepare = tree_prepare,
	.fit = extra_trees_fit,
	.predict = tree_predict_cb,
	.serialize = tree_serialize,
	.deserialize = tree_mean_deserialize,
	.importance = tree_importance,
	.contributions = tree_contributions,
	.out_of_bag_score = am_forest_oob_score,
};
