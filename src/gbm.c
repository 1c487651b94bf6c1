/*
 * gbm.c
 *	  The "gbm" family: histogram gradient boosting in the manner of
 *	  XGBoost (tree_method "hist") and LightGBM.
 *
 * Losses: squared error (regression), logistic (binary), softmax
 * (multiclass: one tree per class per round, hessian 2 p (1 - p) as in
 * XGBoost).  Start margins: the weighted mean for regression, zero for
 * classification (see gbm_base_margins).  Each tree is a second-order
 * (Newton) tree: leaf value -G / (H + l2) times the learning rate, split
 * gain as in tree_split.c, grown depth-wise to max_depth or, when
 * max_leaves is set, best-first to max_leaves leaves.  Rows are sampled per
 * round (subsample), features per tree (colsample).  With
 * early_stopping_rounds, validation_fraction of the rows are held out and
 * boosting stops when their loss has not improved for that many rounds;
 * the model keeps the best round.
 *
 * Threads: the K trees of a multiclass round are independent, so on small
 * data each thread grows whole trees (one grower per thread, no
 * synchronisation inside a tree); otherwise every tree's histograms,
 * partitions and margin updates are shared out by the pool.
 * Either way a tree is the same whatever the thread count.  The pool runs
 * for a round; interrupts are checked between rounds (and by the grower
 * within long trees).
 */
#include "gbm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GBM_FORMAT_VERSION 1
#define ROW_CHUNK 4096
#define MIN_ROWS_PER_THREAD 2000
#define CLASS_PARALLEL_ROWS 200000	/* below: multiclass trees one per thread */
#define CLASS_PARALLEL_NODES 65536

static const AmParamSpec gbm_params[] = {
	{"learning_rate", 0.1, 1e-4, 1, 0.03, 0.3, false, true, NULL,
	"shrinkage of every tree"},
	{"n_estimators", 200, 1, 100000, 50, 1000, true, false, NULL,
	"boosting rounds (one tree per class per round for multiclass)"},
	{"max_depth", 6, 0, 20, 3, 10, true, false, NULL,
	"deepest split level; 0 means unlimited (then max_leaves bounds the tree)"},
	{"max_leaves", 0, 0, 65536, 0, 255, true, false, NULL,
	"leaves per tree; > 0 grows trees best-first (LightGBM's num_leaves)"},
	{"min_child_weight", 1, 0, 1e6, 0, 10, false, false, NULL,
	"smallest hessian sum of a child"},
	{"min_samples_leaf", 1, 1, 1e6, 1, 100, true, false, NULL,
	"fewest rows in a leaf"},
	{"l2", 1, 0, 1e6, 0, 10, false, false, NULL,
	"L2 penalty on leaf values (XGBoost's lambda)"},
	{"min_split_gain", 0, 0, 1e6, 0, 1, false, false, NULL,
	"a split must reduce the loss by more than this (XGBoost's gamma)"},
	{"subsample", 1, 0.001, 1, 0.5, 1, false, false, NULL,
	"fraction of rows drawn for each round"},
	{"colsample", 1, 0.001, 1, 0.5, 1, false, false, NULL,
	"fraction of features drawn for each tree"},
	{"max_bins", 255, 2, 255, 255, 255, true, false, NULL,
	"histogram bins per feature"},
	{"early_stopping_rounds", 0, 0, 100000, 0, 0, true, false, NULL,
	"stop after this many rounds without improvement on held-out rows; 0: off"},
	{"validation_fraction", 0.1, 0.01, 0.5, 0.1, 0.1, false, false, NULL,
	"share of rows held out for early stopping"},
	{"class_weight", 0, 0, 1, 0, 1, true, false, tree_class_weight_choices,
	"\"balanced\" weighs classes by n / (K n_k)"},
	{"cat_smooth", 10, 0, 1e6, 10, 10, false, false, NULL,
	"prior hessian when ordering categories by gradient / hessian"},
	{"max_cat_to_onehot", 4, 0, 256, 4, 4, true, false, NULL,
	TREE_ONEHOT_HELP},
};

static void
read_params(const AmParams *p, GbmParams *gp)
{
	gp->learning_rate = am_param(p, "learning_rate");
	gp->n_estimators = (int) am_param(p, "n_estimators");
	gp->max_depth = (int) am_param(p, "max_depth");
	gp->max_leaves = (int) am_param(p, "max_leaves");
	gp->min_child_weight = am_param(p, "min_child_weight");
	gp->min_samples_leaf = am_param(p, "min_samples_leaf");
	gp->l2 = am_param(p, "l2");
	gp->min_split_gain = am_param(p, "min_split_gain");
	gp->subsample = am_param(p, "subsample");
	gp->colsample = am_param(p, "colsample");
	gp->max_bins = (int) am_param(p, "max_bins");
	gp->early_stopping_rounds = (int) am_param(p, "early_stopping_rounds");
	gp->validation_fraction = am_param(p, "validation_fraction");
	gp->class_weight = (int) am_param(p, "class_weight");
	gp->cat_smooth = am_param(p, "cat_smooth");
	gp->max_cat_to_onehot = (int) am_param(p, "max_cat_to_onehot");
}

/* A parameter as given, else its default (check_params sees partial sets). */
static double
param_or_default(const AmParams *p, const char *name)
{
	if (am_params_has(p, name))
		return am_param(p, name);
	for (size_t i = 0; i < sizeof(gbm_params) / sizeof(gbm_params[0]); i++)
		if (strcmp(gbm_params[i].name, name) == 0)
			return gbm_params[i].def;
	return NAN;
}

static const char *
gbm_check_params(const AmParams *p, AmTask task)
{
	if (param_or_default(p, "max_depth") == 0 && param_or_default(p, "max_leaves") == 0)
		return "gbm needs max_depth or max_leaves to bound its trees";
	if (param_or_default(p, "max_leaves") == 1)
		return "max_leaves must be 0 (depth-wise growth) or at least 2";
	if (task == AM_TASK_REGRESSION &&
		param_or_default(p, "class_weight") == TREE_CLASS_WEIGHT_BALANCED)
		return "class_weight \"balanced\" needs a classification task";
	return NULL;
}

/*
 * Add a grown tree's leaf values to the margins of class k of its sampled
 * rows, for one node: a leaf's own rows, or for a node that kept its rows
 * (keep_final_rows) each row's side of its split.
 */
static void
update_node(const GbmState *st, const GrowTree *t, const double *value, int k, int node)
{
	const GrowNode *x = &t->nodes[node];
	/* locals, or every store to F would reload them (no strict aliasing) */
	double	   *F = st->F + (size_t) k * st->n;
	const int32_t *idx = t->idx;
	const int	end = x->begin + x->count;

	if (x->rows_kept)
	{
		const GrowSplit *sp = &x->split;
		const uint8_t *col = st->m->cols + (size_t) sp->feature * st->m->n;
		int			miss = st->m->features[sp->feature].n_bins;
		double		by_bin[TREE_MAX_BINS + 1];

		/* the value of each bin's side: one load per row, no branch */
		for (int bin = 0; bin <= miss; bin++)
			by_bin[bin] = value[x->left + !grow_split_goes_left(sp, bin, miss)];
		for (int i = x->begin; i < end; i++)
			F[idx[i]] += by_bin[col[idx[i]]];
	}
	else if (x->left < 0)
	{
		const double v = value[node];

		for (int i = x->begin; i < end; i++)
			F[idx[i]] += v;
	}
}

static void
update_others(const GbmState *st, const GrowTree *t, const double *value, int k,
			  int lo, int hi)
{
	double	   *F = st->F + (size_t) k * st->n;

	for (int i = lo; i < hi; i++)
		F[st->others[i]] += value[grow_tree_leaf(t, st->m, st->others[i])];
}

static void
leaf_values(const GbmParams *gp, const GrowTree *t, double *value)
{
	for (int i = 0; i < t->n_nodes; i++)
	{
		const double *s = t->stats + (size_t) i * t->stats_width;
		double		d = s[1] + gp->l2;

		value[i] = d > 0 ? -s[0] / d * gp->learning_rate : 0.0;
	}
}

/* ---------- parallel tasks ---------- */

static int
chunks(int n)
{
	return (n + ROW_CHUNK - 1) / ROW_CHUNK;
}

static void
chunk(int n, int task, int *lo, int *hi)
{
	*lo = task * ROW_CHUNK;
	*hi = *lo + ROW_CHUNK < n ? *lo + ROW_CHUNK : n;
}

static void
probability_task(void *arg, int task, int thread)
{
	GbmState   *st = arg;
	int			lo,
				hi;

	AM_UNUSED(thread);
	chunk(st->n_sample, task, &lo, &hi);
	for (int i = lo; i < hi; i += GBM_BLOCK)
		gbm_softmax_rows(st, st->sample + i, hi - i < GBM_BLOCK ? hi - i : GBM_BLOCK);
}

static void
gradient_task(void *arg, int task, int thread)
{
	GbmState   *st = arg;
	int			lo,
				hi;

	AM_UNUSED(thread);
	chunk(st->n_sample, task, &lo, &hi);
	gbm_gradients(st, st->k, lo, hi, st->workers[0].gh);
}

/* Tasks below n_nodes: a leaf's sampled rows; then chunks of other rows. */
static void
update_task(void *arg, int task, int thread)
{
	GbmState   *st = arg;
	int			lo,
				hi;

	AM_UNUSED(thread);
	if (task < st->tree->n_nodes)
	{
		update_node(st, st->tree, st->leaf_value, st->k, task);
		return;
	}
	chunk(st->n_others, task - st->tree->n_nodes, &lo, &hi);
	update_others(st, st->tree, st->leaf_value, st->k, lo, hi);
}

/* Copy a grown tree aside (its grower will be reused). */
static void
stage(GbmStaged *sg, const GrowTree *t, const double *values)
{
	sg->tree = *t;
	memcpy(sg->nodes, t->nodes, sizeof(GrowNode) * t->n_nodes);
	memcpy(sg->stats, t->stats, sizeof(double) * t->stats_width * (size_t) t->n_nodes);
	memcpy(sg->values, values, sizeof(double) * t->n_nodes);
	sg->tree.nodes = sg->nodes;
	sg->tree.stats = sg->stats;
	sg->tree.idx = NULL;
}

/* Class-parallel mode: one whole tree of the round on this thread. */
static void
class_tree_task(void *arg, int k, int thread)
{
	GbmState   *st = arg;
	GbmWorker  *w = &st->workers[thread];
	TreeGrowInput gi;
	const GrowTree *t;

	gbm_gradients(st, k, 0, st->n_sample, w->gh);
	memset(&gi, 0, sizeof(gi));
	gi.rows = st->sample;
	gi.n_rows = st->n_sample;
	gi.gh = w->gh;
	gi.n_features = st->n_features[k];
	gi.features = gi.n_features > 0 ? st->features + (size_t) k * st->m->p : NULL;
	gi.seed = st->seeds[k];
	t = tree_grow(w->grower, &gi);
	leaf_values(st->gp, t, w->leaf_value);
	for (int i = 0; i < t->n_nodes; i++)
		update_node(st, t, w->leaf_value, k, i);
	update_others(st, t, w->leaf_value, k, 0, st->n_others);
	stage(&st->staged[k], t, w->leaf_value);
}

/* ---------- rows and features ---------- */

static int
cmp_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a,
				y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/* Hold out validation rows (sorted) for early stopping; the rest trains. */
static void
split_rows(int n, double fraction, bool hold_out, uint64_t seed, int32_t *train,
		   int *n_train, int32_t *valid, int *n_valid)
{
	AmRng		rng;
	int			nv = hold_out ? (int) round(fraction * n) : 0;

	if (nv >= n)
		nv = n - 1;
	for (int i = 0; i < n; i++)
		train[i] = i;
	if (nv > 0)
	{
		am_rng_seed(&rng, seed);
		am_rng_shuffle(&rng, train, n);
		memcpy(valid, train, sizeof(int32_t) * nv);
		memmove(train, train + nv, sizeof(int32_t) * (n - nv));
		qsort(valid, nv, sizeof(int32_t), cmp_int32);
		qsort(train, n - nv, sizeof(int32_t), cmp_int32);
	}
	*n_train = n - nv;
	*n_valid = nv;
}

/* This round's sample and the rows left out of it (plus validation rows). */
static void
draw_sample(GbmState *st, const int32_t *train, int n_train, const int32_t *valid,
			int n_valid, double subsample, uint64_t seed)
{
	AmRng		rng;
	int32_t    *sample = st->sample,
			   *others = st->others;
	int			n_sample = 0,
				n_others = 0;

	if (subsample >= 1.0)
	{
		memcpy(sample, train, sizeof(int32_t) * n_train);
		n_sample = n_train;
	}
	else
	{
		/* local counters: stores through st->... would reload them every row */
		am_rng_seed(&rng, seed);
		for (int i = 0; i < n_train; i++)
		{
			if (am_rng_uniform(&rng) < subsample)
				sample[n_sample++] = train[i];
			else
				others[n_others++] = train[i];
		}
		if (n_sample == 0)
			sample[n_sample++] = others[--n_others];
	}
	st->n_sample = n_sample;
	st->n_others = n_others;
	memcpy(st->others + st->n_others, valid, sizeof(int32_t) * n_valid);
	st->n_others += n_valid;
}

/* Features of a tree (colsample < 1), sorted; 0 when all. */
static int
draw_features(int p, double colsample, uint64_t seed, int *features)
{
	AmRng		rng;
	int			k = (int) round(colsample * p);

	if (k < 1)
		k = 1;
	if (k >= p)
		return 0;
	for (int j = 0; j < p; j++)
		features[j] = j;
	am_rng_seed(&rng, seed);
	am_rng_shuffle(&rng, features, p);
	qsort(features, k, sizeof(int), cmp_int32);
	return k;
}

/* Seeds and features of the round's trees, drawn on the main thread. */
static void
draw_round(GbmState *st, int round)
{
	for (int k = 0; k < st->per_round; k++)
	{
		st->seeds[k] = am_seed_derive(st->in->seed, 3 * (uint64_t) (round * st->per_round + k) + 1);
		st->n_features[k] = draw_features(st->m->p, st->gp->colsample, st->seeds[k],
										  st->features + (size_t) k * st->m->p);
	}
}

/* ---------- fitting ---------- */

static void
grow_config(const GbmParams *gp, const AmFitInput *in, const TreeFitData *fd,
			TreeGrowConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = TREE_STATS_GH;
	cfg->max_depth = gp->max_depth > 0 ? gp->max_depth : TREE_DEPTH_LIMIT;
	cfg->max_leaves = gp->max_leaves;
	cfg->min_samples_leaf = gp->min_samples_leaf;
	cfg->min_child_weight = gp->min_child_weight;
	cfg->l2 = gp->l2;
	cfg->min_gain = gp->min_split_gain;
	cfg->subtraction = true;
	cfg->cat_smooth = gp->cat_smooth;
	cfg->max_cat_to_onehot = gp->max_cat_to_onehot;
	cfg->hess_is_count = in->task == AM_TASK_REGRESSION && !fd->weighted;
	cfg->keep_final_rows = true;	/* update_node finds the last level's sides */
}

/* Most nodes a tree can have. */
static int
node_bound(const GbmParams *gp, int n_rows)
{
	double		bound = 2.0 * n_rows - 1;

	if (gp->max_leaves > 0)
		bound = fmin(bound, 2.0 * gp->max_leaves - 1);
	if (gp->max_depth > 0 && gp->max_depth < 30)
		bound = fmin(bound, ldexp(1.0, gp->max_depth + 1) - 1);
	return bound < 1 ? 1 : (int) bound;
}

/* Words a split's bin set can need: none without categorical features. */
static int
code_set_words(const TreeMatrix *m)
{
	for (int j = 0; j < m->p; j++)
		if (m->features[j].categorical)
			return TREE_CAT_WORDS;
	return 0;
}

static void
make_workers(GbmState *st, const TreeGrowConfig *cfg, AmPool *pool, int n_workers,
			 int n_train, int bound)
{
	st->workers = AM_NEW0(GbmWorker, n_workers);
	for (int t = 0; t < n_workers; t++)
	{
		GbmWorker  *w = &st->workers[t];

		/* class-parallel workers grow alone, with fixed node storage */
		w->grower = tree_grower_create(st->m, cfg, n_workers > 1 ? NULL : pool, n_train,
									   n_workers > 1 ? bound : 0);
		w->gh = AM_NEW0(double, 2 * (size_t) st->n);
		w->leaf_value = AM_NEW(double, bound);
	}
	if (n_workers > 1)
	{
		st->staged = AM_NEW0(GbmStaged, st->per_round);
		for (int k = 0; k < st->per_round; k++)
		{
			st->staged[k].nodes = AM_NEW(GrowNode, bound);
			st->staged[k].stats = AM_NEW(double, 3 * (size_t) bound);
			st->staged[k].values = AM_NEW(double, bound);
		}
	}
}

/* One round of the shared mode: each tree's phases spread over the pool. */
static void
shared_round(GbmState *st, AmPool *pool, TreeEnsemble *e)
{
	GbmWorker  *w = &st->workers[0];

	for (int k = 0; k < st->per_round; k++)
	{
		TreeGrowInput gi;
		int			n_chunks = chunks(st->n_sample);

		memset(&gi, 0, sizeof(gi));
		gi.rows = st->sample;
		gi.n_rows = st->n_sample;
		gi.gh = w->gh;
		gi.n_features = st->n_features[k];
		gi.features = gi.n_features > 0 ? st->features + (size_t) k * st->m->p : NULL;
		gi.seed = st->seeds[k];
		st->k = k;
		am_pool_run_if(pool, n_chunks > 1, n_chunks, gradient_task, st);
		st->tree = tree_grow(w->grower, &gi);
		leaf_values(st->gp, st->tree, w->leaf_value);
		st->leaf_value = w->leaf_value;
		am_pool_run_if(pool, st->n_sample + st->n_others >= 2 * ROW_CHUNK,
						 st->tree->n_nodes + chunks(st->n_others), update_task, st);
		tree_ensemble_add(e, st->tree, st->m, w->leaf_value, k, 1.0);
	}
}

static void *
gbm_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	GbmParams	gp;
	GbmState	st;
	TreeFitData *fd;
	TreeEnsemble *e;
	TreeGrowConfig cfg;
	AmPool	   *pool;
	int32_t    *train,
			   *valid;
	int			n_train,
				n_valid,
				n = in->n,
				best_round = -1,
				threads,
				bound,
				cat_words;
	bool		class_parallel;
	double		best_loss = INFINITY;

	read_params(p, &gp);
	fd = tree_fit_data(in, gp.max_bins, gp.class_weight, err);
	if (fd == NULL)
		return NULL;
	memset(&st, 0, sizeof(st));
	st.in = in;
	st.fd = fd;
	st.m = fd->m;
	st.gp = &gp;
	st.task = in->task;
	st.n = n;
	st.K = am_task_outputs(in->task, in->n_classes);
	st.per_round = in->task == AM_TASK_MULTICLASS ? st.K : 1;
	st.hess_factor = 2.0;		/* XGBoost's softmax hessian 2 p (1 - p) */

	train = AM_NEW(int32_t, n);
	valid = AM_NEW(int32_t, n);
	split_rows(n, gp.validation_fraction, gp.early_stopping_rounds > 0 && n >= 4,
			   am_seed_derive(in->seed, 0x5A11D), train, &n_train, valid, &n_valid);
	threads = n_train / MIN_ROWS_PER_THREAD < in->threads ? n_train / MIN_ROWS_PER_THREAD : in->threads;
	if (threads < 1)
		threads = 1;
	bound = node_bound(&gp, n_train);
	/*
	 * Rounds stay short (interrupts are checked between them) on small data,
	 * and the per-thread and per-class node storage small for bounded trees.
	 */
	class_parallel = threads > 1 && st.per_round > 1 && n_train < CLASS_PARALLEL_ROWS &&
		bound <= CLASS_PARALLEL_NODES;
	cat_words = code_set_words(fd->m);

	am_memory_reserve((size_t) n * st.K * (st.per_round > 1 ? 2 : 1) * sizeof(double) +
					  (size_t) n * 2 * (sizeof(int32_t) + (class_parallel ? threads : 1) * 2 * sizeof(double)),
					  "boosting gradients");
	st.F = AM_NEW(double, (size_t) n * st.K);
	st.P = st.per_round > 1 ? AM_NEW(double, (size_t) n * st.K) : NULL;
	st.sample = AM_NEW(int32_t, n);
	st.others = AM_NEW(int32_t, n);
	st.features = AM_NEW(int, (size_t) st.per_round * in->p);
	st.n_features = AM_NEW0(int, st.per_round);
	st.seeds = AM_NEW0(uint64_t, st.per_round);

	e = tree_ensemble_new(TREE_COMBINE_SUM, in->p, in->task, in->n_classes);
	tree_ensemble_attach_codes(e, fd->m);
	gbm_base_margins(&st, train, n_train, e->base);
	for (int c = 0; c < st.K; c++)
		for (int i = 0; i < n; i++)
			st.F[(size_t) c * n + i] = e->base[c];

	grow_config(&gp, in, fd, &cfg);
	pool = am_pool_create(threads);
	make_workers(&st, &cfg, pool, class_parallel ? threads : 1, n_train, bound);

	for (int round = 0; round < gp.n_estimators; round++)
	{
		am_check_interrupts();
		if (am_past_deadline())
		{
			am_err_set(err, AM_ERR_DEADLINE, "time budget ran out after %d boosting rounds", round);
			return NULL;
		}
		draw_sample(&st, train, n_train, valid, n_valid, gp.subsample,
					am_seed_derive(in->seed, 3 * (uint64_t) round));
		draw_round(&st, round);
		/* the round's trees are stored while workers run: no allocation then */
		tree_ensemble_reserve(e, st.per_round, st.per_round * bound,
							  st.per_round * bound * cat_words);
		am_pool_start(pool);
		if (st.P)
			am_pool_run_if(pool, chunks(st.n_sample) > 1, chunks(st.n_sample),
							 probability_task, &st);
		if (class_parallel)
		{
			am_pool_run(pool, st.per_round, class_tree_task, &st);
			for (int k = 0; k < st.per_round; k++)
				tree_ensemble_add(e, &st.staged[k].tree, st.m, st.staged[k].values, k, 1.0);
		}
		else
			shared_round(&st, pool, e);
		am_pool_stop(pool);
		if (n_valid > 0)
		{
			double		loss = gbm_mean_loss(&st, valid, n_valid);

			if (loss < best_loss - 1e-12 * fabs(best_loss))
			{
				best_loss = loss;
				best_round = round;
			}
			else if (round - best_round >= gp.early_stopping_rounds)
				break;
		}
	}
	if (n_valid > 0 && best_round >= 0)
		tree_ensemble_truncate(e, (best_round + 1) * st.per_round);
	return e;
}

static void *
gbm_deserialize(AmReader *r, int p, AmTask task, int n_classes, AmErr *err)
{
	return tree_deserialize(r, p, task, n_classes, TREE_COMBINE_SUM, err);
}

const AmFamily am_gbm_family = {
	.name = "gbm",
	.description = "histogram gradient boosting (XGBoost / LightGBM style)",
	.format_version = GBM_FORMAT_VERSION,
	.relative_cost = 4,
	.complexity = 4,
	.bag_fold_models = true,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_ALL,
	.params = gbm_params,
	.n_params = sizeof(gbm_params) / sizeof(gbm_params[0]),
	.check_params = gbm_check_params,
	.prepare = tree_prepare,
	.fit = gbm_fit,
	.predict = tree_predict_cb,
	.serialize = tree_serialize,
	.deserialize = gbm_deserialize,
	.importance = tree_importance,
	.contributions = tree_contributions,
};
