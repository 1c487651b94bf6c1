/*
 * tree_grow.c
 *	  Growing one tree on the binned training rows.
 *
 * Nodes whose best split is known wait in a frontier.  Depth-wise growth
 * splits the whole frontier (one level) at a time, best-first growth (when
 * max_leaves is set) the node with the largest gain.  Splitting a batch of
 * nodes partitions their row segments in place (stable, so rows stay
 * sorted), then evaluates the children: a child's histogram is built from
 * its rows or, for the larger of two siblings when the parent's histogram
 * was kept, obtained as parent minus smaller sibling; then the best split of
 * each of its features is searched.  All of this runs in parallel phases on
 * the pool, across nodes, row blocks and features.
 *
 * Forests and single trees keep no histograms (forests draw split_features
 * features per node, so siblings' feature sets differ); their nodes of at
 * most TREE_SPARSE_ROWS rows skip histograms altogether and search splits
 * straight from the rows (same sums, so the same splits), which keeps deep
 * trees cheap.  Histogram buffers are limited; when they run out, kept
 * histograms are dropped (their children are then built directly), so
 * memory stays bounded.
 *
 * The main thread calls am_* functions only with the pool stopped (to grow
 * node arrays and to check for interrupts every INTERRUPT_SECONDS); a
 * grower with fixed node storage calls none and may run on a worker.
 */
#include "tree.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define PART_BLOCK 8192
#define PARALLEL_ROWS 4096		/* fewer rows to partition: no hand-off */
#define PARALLEL_SPLITS 4		/* fewer (node, feature) searches: no hand-off */
#define HIST_MEMORY_CAP ((size_t) 256 << 20)
#define CAND_MEMORY_CAP ((size_t) 16 << 20)
#define INTERRUPT_SECONDS 0.05
#define MIN_HIST_BUFFERS 4
#define MAX_PLANS 128

/* One node to evaluate in the current phase. */
typedef struct EvalPlan
{
	int32_t		node;
	int32_t		sibling;		/* >= 0: histogram = parent's - sibling's */
	bool		build;			/* histogram summed from the node's rows */
	bool		need_split;		/* search a split (else only for the sibling) */
	bool		stats_from_hist;	/* the root: totals read off the histogram */
	bool		sparse;			/* few rows: no histogram, splits from the rows */
	uint64_t	seed;
	const int  *features;		/* NULL: all */
	int			n_features;
} EvalPlan;

struct TreeGrower
{
	const TreeMatrix *m;
	TreeGrowConfig cfg;
	AmPool	   *pool;
	bool		pool_was_running;
	int			S;				/* doubles per histogram slot */
	int			K;				/* gradient channels */
	bool		count;			/* count channel */
	TreeHistContext hc;
	TreeSplitContext sc;
	size_t		hist_size;		/* doubles per histogram */

	int			max_rows;
	int32_t    *idx;			/* row entries, leaf segments at the end */
	int32_t    *tmp;

	int			cap_nodes;
	int			n_nodes;
	int			n_leaves;
	GrowNode   *nodes;
	double	   *stats;			/* S per node */
	double	   *left_stats;		/* S per node: what its split sends left */
	int32_t    *frontier;
	int			n_frontier;
	int32_t    *batch;
	int			n_batch;
	int32_t    *part_first;		/* first partition task of batch node b */
	int32_t    *part_total;		/* rows sent left by batch node b */
	int			cap_part;
	int32_t    *part_left;		/* per partition task */
	int32_t    *part_loff;
	int32_t    *part_roff;

	int			n_hist;
	double	   *hist_mem;
	int32_t    *free_hist;
	int			n_free;

	int			max_plans;
	int			max_nf;
	int			n_plans;
	int			plan_stride;
	EvalPlan   *plans;
	TreeHistJob *jobs;
	int		   *plan_feats;		/* max_plans * max_nf drawn features */
	GrowSplit  *cand;			/* max_plans * max_nf */
	int		   *perm;			/* feature draw scratch */
	double	   *sparse_scratch; /* per thread: (TREE_SPARSE_ROWS + 1) x S */

	bool		fixed;			/* preallocated nodes, no am_* calls: runs on workers */
	const TreeGrowInput *in;
	const int  *tree_feats;		/* NULL: all */
	int			tree_nf;
	int			plan_nf;		/* features per node */
	bool		subtract;		/* this tree uses sibling subtraction */
	double		gain_floor;
	struct timespec last_check;
	GrowTree	result;
};

/* ---------- small helpers ---------- */

static inline uint64_t
mix64(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

static inline double *
hist_ptr(const TreeGrower *g, int h)
{
	return g->hist_mem + (size_t) h * g->hist_size;
}

static inline double *
node_stats(const TreeGrower *g, int node)
{
	return g->stats + (size_t) node * g->S;
}

static void
drop_hist(TreeGrower *g, int node)
{
	if (g->nodes[node].hist >= 0)
	{
		g->free_hist[g->n_free++] = g->nodes[node].hist;
		g->nodes[node].hist = -1;
	}
}

static int
take_hist(TreeGrower *g)
{
	return g->free_hist[--g->n_free];
}

/* Drop the kept histogram of the smallest node holding one. */
static void
evict_one(TreeGrower *g)
{
	int			best = -1;

	for (int i = 0; i < g->n_nodes; i++)
		if (g->nodes[i].hist >= 0 && (best < 0 || g->nodes[i].count < g->nodes[best].count))
			best = i;
	if (best >= 0)
		drop_hist(g, best);
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void
pool_pause(TreeGrower *g)
{
	g->pool_was_running = g->pool != NULL && g->pool->running > 0;
	am_pool_stop(g->pool);
}

static void
pool_resume(TreeGrower *g)
{
	if (g->pool_was_running)
		am_pool_start(g->pool);
}

static void
maybe_check_interrupts(TreeGrower *g)
{
	if (g->fixed || elapsed(&g->last_check) < INTERRUPT_SECONDS)
		return;
	pool_pause(g);
	am_check_interrupts();
	pool_resume(g);
	clock_gettime(CLOCK_MONOTONIC, &g->last_check);
}

/* ---------- creation and node storage ---------- */

static void
alloc_node_arrays(TreeGrower *g, int cap)
{
	int			S = g->S;
	int			cap_part = cap + g->max_rows / PART_BLOCK + 2;

	am_memory_reserve((size_t) cap * (sizeof(GrowNode) + 2 * S * sizeof(double) + 16) +
					  (size_t) cap_part * 12, "tree nodes");
	g->nodes = am_realloc(g->nodes, sizeof(GrowNode) * cap);
	g->stats = am_realloc(g->stats, sizeof(double) * S * (size_t) cap);
	g->left_stats = am_realloc(g->left_stats, sizeof(double) * S * (size_t) cap);
	g->frontier = am_realloc(g->frontier, sizeof(int32_t) * cap);
	g->batch = am_realloc(g->batch, sizeof(int32_t) * cap);
	g->part_first = am_realloc(g->part_first, sizeof(int32_t) * (cap + 1));
	g->part_total = am_realloc(g->part_total, sizeof(int32_t) * (cap + 1));
	g->part_left = am_realloc(g->part_left, sizeof(int32_t) * cap_part);
	g->part_loff = am_realloc(g->part_loff, sizeof(int32_t) * cap_part);
	g->part_roff = am_realloc(g->part_roff, sizeof(int32_t) * cap_part);
	g->cap_nodes = cap;
	g->cap_part = cap_part;
}

static void
ensure_nodes(TreeGrower *g, int extra)
{
	int			cap = g->cap_nodes;

	if (g->n_nodes + extra <= cap || g->fixed)
		return;
	while (cap < g->n_nodes + extra)
		cap = cap > (1 << 29) ? g->n_nodes + extra : cap * 2;
	pool_pause(g);
	am_check_interrupts();
	alloc_node_arrays(g, cap);
	pool_resume(g);
}

static int
hist_buffers_wanted(const TreeGrower *g, int max_plans)
{
	const TreeGrowConfig *cfg = &g->cfg;
	size_t		cap = HIST_MEMORY_CAP / (g->hist_size * sizeof(double) + 1);
	size_t		want;

	if (!cfg->subtraction)
		want = (size_t) max_plans + MIN_HIST_BUFFERS;
	else if (cfg->max_leaves > 0)
		want = (size_t) cfg->max_leaves + MIN_HIST_BUFFERS;
	else
		want = ((size_t) 1 << (cfg->max_depth < 20 ? cfg->max_depth : 20)) + MIN_HIST_BUFFERS;
	/* no level holds more splittable nodes than half the rows */
	if (want > (size_t) g->max_rows / 2 + MIN_HIST_BUFFERS)
		want = (size_t) g->max_rows / 2 + MIN_HIST_BUFFERS;
	/* buffers are a cache (a node without one is built directly): half the free memory */
	if (cap > am_memory_available() / 2 / (g->hist_size * sizeof(double) + 1))
		cap = am_memory_available() / 2 / (g->hist_size * sizeof(double) + 1);
	if (want > cap)
		want = cap;
	if (want < MIN_HIST_BUFFERS)
		want = MIN_HIST_BUFFERS;
	return (int) want;
}

TreeGrower *
tree_grower_create(const TreeMatrix *m, const TreeGrowConfig *cfg, AmPool *pool,
				   int max_rows, int max_nodes)
{
	TreeGrower *g = AM_NEW0(TreeGrower, 1);
	int			p = m->p;
	int			threads = pool ? pool->n_threads : 1;
	size_t		hist_bytes;

	g->m = m;
	g->cfg = *cfg;
	g->pool = pool;
	g->K = cfg->mode == TREE_STATS_CLASS ? cfg->n_classes : 1;
	g->count = cfg->min_samples_leaf > 1 && !cfg->hess_is_count;
	g->S = g->K + 1 + (g->count ? 1 : 0);
	g->hist_size = (size_t) m->hist_bins * g->S;
	hist_bytes = g->hist_size * sizeof(double);
	g->max_rows = max_rows;
	g->max_nf = p;
	g->max_plans = (int) (CAND_MEMORY_CAP / (sizeof(GrowSplit) * (size_t) p));
	if (g->max_plans > MAX_PLANS)
		g->max_plans = MAX_PLANS;
	if (g->max_plans < 2)
		g->max_plans = 2;

	g->n_hist = hist_buffers_wanted(g, g->max_plans);
	g->hc.n_partials = 2 * threads;
	am_memory_reserve((size_t) (g->n_hist + g->hc.n_partials + threads) * hist_bytes,
					  "tree histograms");
	g->hist_mem = AM_NEW(double, g->hist_size * g->n_hist);
	g->free_hist = AM_NEW(int32_t, g->n_hist);
	for (int h = 0; h < g->n_hist; h++)
		g->free_hist[h] = g->n_hist - 1 - h;
	g->n_free = g->n_hist;

	am_memory_reserve((size_t) max_rows * 2 * sizeof(int32_t), "tree row index");
	g->idx = AM_NEW(int32_t, max_rows > 0 ? max_rows : 1);
	g->tmp = AM_NEW(int32_t, max_rows > 0 ? max_rows : 1);
	alloc_node_arrays(g, max_nodes > 0 ? max_nodes : 256);
	g->fixed = max_nodes > 0;

	g->plans = AM_NEW0(EvalPlan, g->max_plans);
	g->jobs = AM_NEW0(TreeHistJob, g->max_plans);
	g->plan_feats = AM_NEW(int, (size_t) g->max_plans * g->max_nf);
	g->cand = AM_NEW(GrowSplit, (size_t) g->max_plans * g->max_nf);
	g->perm = AM_NEW(int, p);
	g->sparse_scratch = AM_NEW(double, (size_t) threads * (TREE_SPARSE_ROWS + 1) * g->S);

	g->hc.m = m;
	g->hc.mode = cfg->mode;
	g->hc.width = g->S;
	g->hc.n_channels = g->K;
	g->hc.count = g->count;
	g->hc.pool = pool;
	g->hc.partials = AM_NEW(double, g->hist_size * g->hc.n_partials);
	if (cfg->mode == TREE_STATS_GH && g->S == 2)
		g->hc.replicas = AM_NEW(double, g->hist_size * threads);
	g->hc.job_blocks = AM_NEW(int, g->max_plans + 1);
	g->hc.max_jobs = g->max_plans;

	g->sc.m = m;
	g->sc.cfg = &g->cfg;
	g->sc.width = g->S;
	g->sc.n_channels = g->K;
	g->sc.count = g->count;
	return g;
}

/* ---------- evaluation of nodes ---------- */

static bool
splittable(const TreeGrower *g, int node)
{
	const GrowNode *x = &g->nodes[node];
	const double *st = node_stats(g, node);
	double		msl = g->cfg.min_samples_leaf;
	double		H = st[g->K];

	if (x->depth >= g->cfg.max_depth || x->count < 2 || x->count < 2 * msl)
		return false;
	if (!(H > 0) || H < 2 * g->cfg.min_child_weight)
		return false;
	if (g->count && st[g->S - 1] < 2 * msl)
		return false;
	if (g->cfg.mode == TREE_STATS_CLASS)
		for (int k = 0; k < g->K; k++)
			if (st[k] >= H * (1 - 1e-12))
				return false;	/* pure */
	return true;
}

/* Draw the features of a node (forests), sorted. */
static void
draw_features(TreeGrower *g, uint64_t seed, int *out)
{
	uint64_t	state = seed;
	int			n = g->tree_nf,
				k = g->plan_nf;

	for (int i = 0; i < k; i++)
	{
		int			j;
		int			t;

		state = mix64(state);
		j = i + (int) (state % (uint64_t) (n - i));
		t = g->perm[i];
		g->perm[i] = g->perm[j];
		g->perm[j] = t;
		out[i] = g->perm[i];
	}
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && out[j - 1] > out[j]; j--)
		{
			int			t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
}

static void
plan_add(TreeGrower *g, int node, int hist, int sibling, bool build, bool need_split,
		 bool stats_from_hist)
{
	EvalPlan   *pl = &g->plans[g->n_plans];

	pl->node = node;
	pl->sibling = sibling;
	pl->build = build;
	pl->need_split = need_split;
	pl->stats_from_hist = stats_from_hist;
	pl->sparse = build && hist < 0;
	pl->seed = mix64(g->in->seed ^ mix64((uint64_t) node));
	g->nodes[node].hist = hist;
	if (g->plan_nf < g->tree_nf)
	{
		int		   *f = g->plan_feats + (size_t) g->n_plans * g->max_nf;

		draw_features(g, pl->seed, f);
		pl->features = f;
		pl->n_features = g->plan_nf;
	}
	else
	{
		pl->features = g->tree_feats;
		pl->n_features = g->tree_nf;
	}
	g->nodes[node].n_feats = pl->n_features;
	g->n_plans++;
}

static void
split_task(void *arg, int task, int thread)
{
	TreeGrower *g = arg;
	const EvalPlan *pl = &g->plans[task / g->plan_stride];
	int			k = task % g->plan_stride;
	GrowSplit  *c = &g->cand[task];
	int			j;
	double	   *h;

	c->feature = -1;
	c->gain = g->gain_floor;
	if (k >= pl->n_features)
		return;
	j = pl->features ? pl->features[k] : k;
	if (pl->sparse)
	{
		const GrowNode *x = &g->nodes[pl->node];
		TreeCompact cp;

		tree_hist_compact(&g->hc, g->idx + x->begin, x->count, j,
						  g->sparse_scratch + (size_t) thread * (TREE_SPARSE_ROWS + 1) * g->S, &cp);
		if (pl->need_split)
			tree_split_compact(&g->sc, &cp, node_stats(g, pl->node), j,
							   mix64(pl->seed + (uint64_t) j), c);
		return;
	}
	h = hist_ptr(g, g->nodes[pl->node].hist);
	if (pl->sibling >= 0)
	{
		const double *s = hist_ptr(g, g->nodes[pl->sibling].hist);
		size_t		lo = (size_t) g->m->hist_offset[j] * g->S,
					hi = (size_t) g->m->hist_offset[j + 1] * g->S;

		for (size_t i = lo; i < hi; i++)
			h[i] -= s[i];
	}
	if (pl->need_split)
		tree_split_feature(&g->sc, h, node_stats(g, pl->node), j,
						   mix64(pl->seed + (uint64_t) j), c);
}

/* Root totals: the slots of one feature hold every row once. */
static void
stats_from_hist(TreeGrower *g, const EvalPlan *pl)
{
	int			j = pl->features ? pl->features[0] : 0;
	const double *h = hist_ptr(g, g->nodes[pl->node].hist);
	double	   *st = node_stats(g, pl->node);
	int			S = g->S;

	memset(st, 0, sizeof(double) * S);
	for (int b = g->m->hist_offset[j]; b < g->m->hist_offset[j + 1]; b++)
		for (int c = 0; c < S; c++)
			st[c] += h[(size_t) b * S + c];
	g->gain_floor = g->cfg.min_gain * (g->cfg.min_gain_per_weight ? st[g->K] : 1.0);
}

static void
finish_plan(TreeGrower *g, int i)
{
	const EvalPlan *pl = &g->plans[i];
	GrowNode   *x = &g->nodes[pl->node];
	GrowSplit	best;

	best.feature = -1;
	best.gain = g->gain_floor;
	if (pl->need_split)
		for (int k = 0; k < pl->n_features; k++)
		{
			const GrowSplit *c = &g->cand[(size_t) i * g->plan_stride + k];

			if (c->feature >= 0 && c->gain > best.gain)
				best = *c;
		}
	x->split = best;
	if (best.feature >= 0 && pl->sparse)
	{
		TreeCompact cp;

		tree_hist_compact(&g->hc, g->idx + x->begin, x->count, best.feature,
						  g->sparse_scratch, &cp);
		tree_split_compact_left(&g->sc, &cp, &best, g->left_stats + (size_t) pl->node * g->S);
		g->frontier[g->n_frontier++] = pl->node;
	}
	else if (best.feature >= 0)
	{
		tree_split_left_stats(&g->sc, hist_ptr(g, x->hist), &best,
							  g->left_stats + (size_t) pl->node * g->S);
		g->frontier[g->n_frontier++] = pl->node;
		if (!g->subtract)
			drop_hist(g, pl->node);
	}
	else
		drop_hist(g, pl->node);
}

static void
execute_plans(TreeGrower *g)
{
	int			n_jobs = 0;

	if (g->n_plans == 0)
		return;
	for (int i = 0; i < g->n_plans; i++)
	{
		const EvalPlan *pl = &g->plans[i];
		const GrowNode *x = &g->nodes[pl->node];

		if (!pl->build || pl->sparse)
			continue;
		g->jobs[n_jobs].rows = g->idx + x->begin;
		g->jobs[n_jobs].n_rows = x->count;
		g->jobs[n_jobs].features = pl->features;
		g->jobs[n_jobs].n_features = pl->n_features;
		g->jobs[n_jobs].out = hist_ptr(g, x->hist);
		n_jobs++;
	}
	tree_hist_build(&g->hc, g->jobs, n_jobs);
	g->plan_stride = 1;
	for (int i = 0; i < g->n_plans; i++)
	{
		EvalPlan   *pl = &g->plans[i];

		if (pl->stats_from_hist)
		{
			stats_from_hist(g, pl);
			pl->need_split = splittable(g, pl->node);
		}
		if (pl->n_features > g->plan_stride)
			g->plan_stride = pl->n_features;
	}
	am_pool_run_if(g->pool, g->n_plans * g->plan_stride >= PARALLEL_SPLITS,
					 g->n_plans * g->plan_stride, split_task, g);
	for (int i = 0; i < g->n_plans; i++)
		finish_plan(g, i);
	g->n_plans = 0;
	maybe_check_interrupts(g);
}

/* Few rows and no sibling subtraction: splits straight from the rows. */
static bool
sparse_node(const TreeGrower *g, int node)
{
	return !g->subtract && g->nodes[node].count <= TREE_SPARSE_ROWS;
}

/* Plan the evaluation of the two children of a split node. */
static void
plan_children(TreeGrower *g, int parent)
{
	int			L = g->nodes[parent].left,
				R = L + 1;
	bool		need_l = splittable(g, L),
				need_r = splittable(g, R);
	bool		use_sub;
	int			small,
				large;

	for (;;)
	{
		int			fresh;

		if (!need_l && !need_r)
		{
			drop_hist(g, parent);
			return;
		}
		use_sub = g->subtract && g->nodes[parent].hist >= 0;
		fresh = use_sub ? 1 : (int) (need_l && !sparse_node(g, L)) + (int) (need_r && !sparse_node(g, R));
		if (g->n_plans + 2 > g->max_plans)
			execute_plans(g);
		else if (g->n_free >= fresh)
			break;
		else if (g->n_plans > 0)
			execute_plans(g);
		else
			evict_one(g);
	}
	if (use_sub)
	{
		bool		small_is_left = g->nodes[L].count <= g->nodes[R].count;
		bool		need_large = small_is_left ? need_r : need_l;
		bool		need_small = small_is_left ? need_l : need_r;

		small = small_is_left ? L : R;
		large = small_is_left ? R : L;
		if (need_large)
		{
			int			h = g->nodes[parent].hist;

			g->nodes[parent].hist = -1;
			plan_add(g, small, take_hist(g), -1, true, need_small, false);
			plan_add(g, large, h, small, false, true, false);
		}
		else
		{
			drop_hist(g, parent);
			plan_add(g, small, take_hist(g), -1, true, true, false);
		}
		return;
	}
	drop_hist(g, parent);
	if (need_l)
		plan_add(g, L, sparse_node(g, L) ? -1 : take_hist(g), -1, true, true, false);
	if (need_r)
		plan_add(g, R, sparse_node(g, R) ? -1 : take_hist(g), -1, true, true, false);
}

/* ---------- partitioning rows of split nodes ---------- */

static int
batch_of_task(const TreeGrower *g, int task)
{
	int			lo = 0,
				hi = g->n_batch - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (g->part_first[mid] <= task)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Block of a split node: lefts to the front of tmp, rights to the back.
 * Every row is written to both places and one count advances, so the loop
 * has no branch on the data; the side of each bin comes from a table.
 */
static void
partition_task(void *arg, int task, int thread)
{
	TreeGrower *g = arg;
	int			b = batch_of_task(g, task);
	const GrowNode *x = &g->nodes[g->batch[b]];
	int			blk = task - g->part_first[b];
	int			n_blk = g->part_first[b + 1] - g->part_first[b];
	int			s = x->begin + blk * PART_BLOCK;
	int			e = x->begin + x->count < s + PART_BLOCK ? x->begin + x->count : s + PART_BLOCK;
	const GrowSplit *sp = &x->split;
	const uint8_t *restrict col = g->m->cols + (size_t) sp->feature * g->m->n;
	const int32_t *restrict idx = g->idx;
	int32_t    *restrict tmp = g->tmp;
	int			miss = g->m->features[sp->feature].n_bins;
	int			nl = 0,
				nr = 0;
	uint8_t		left[256],
				side[PART_BLOCK];

	AM_UNUSED(thread);
	/*
	 * First every row's side (independent loads the CPU overlaps), then the
	 * compaction; the side table pays off unless the block is small.
	 */
	if (e - s >= 2 * miss)
	{
		for (int bin = 0; bin <= miss; bin++)
			left[bin] = grow_split_goes_left(sp, bin, miss);
		for (int i = s; i < e; i++)
			side[i - s] = left[col[idx[i]]];
	}
	else
		for (int i = s; i < e; i++)
			side[i - s] = grow_split_goes_left(sp, col[idx[i]], miss);
	for (int i = s; i < e; i++)
	{
		int32_t		r = idx[i];
		int			l = side[i - s];

		tmp[s + nl] = r;
		tmp[e - 1 - nr] = r;
		nl += l;
		nr += 1 - l;
	}
	g->part_left[task] = nl;
	if (n_blk == 1)
	{
		memcpy(g->idx + s, tmp + s, sizeof(int32_t) * nl);
		for (int k = 0; k < nr; k++)
			g->idx[s + nl + k] = tmp[e - 1 - k];
	}
}

static void
gather_task(void *arg, int task, int thread)
{
	TreeGrower *g = arg;
	int			b = batch_of_task(g, task);
	const GrowNode *x = &g->nodes[g->batch[b]];
	int			blk = task - g->part_first[b];
	int			s = x->begin + blk * PART_BLOCK;
	int			e = x->begin + x->count < s + PART_BLOCK ? x->begin + x->count : s + PART_BLOCK;
	int			nl = g->part_left[task],
				nr = e - s - nl;
	int32_t    *left = g->idx + x->begin + g->part_loff[task];
	int32_t    *right = g->idx + x->begin + g->part_total[b] + g->part_roff[task];

	AM_UNUSED(thread);
	if (g->part_first[b + 1] - g->part_first[b] == 1)
		return;
	memcpy(left, g->tmp + s, sizeof(int32_t) * nl);
	for (int k = 0; k < nr; k++)
		right[k] = g->tmp[e - 1 - k];
}

static void
partition_batch(TreeGrower *g)
{
	int			n_tasks = 0;
	bool		multi = false;
	long		rows = 0;

	for (int b = 0; b < g->n_batch; b++)
	{
		int			count = g->nodes[g->batch[b]].count;
		int			n_blk = count <= PART_BLOCK ? 1 : (count + PART_BLOCK - 1) / PART_BLOCK;

		g->part_first[b] = n_tasks;
		n_tasks += n_blk;
		multi |= n_blk > 1;
		rows += count;
	}
	g->part_first[g->n_batch] = n_tasks;
	am_pool_run_if(g->pool, rows >= PARALLEL_ROWS, n_tasks, partition_task, g);
	for (int b = 0; b < g->n_batch; b++)
	{
		int			lo = 0,
					ro = 0;

		for (int t = g->part_first[b]; t < g->part_first[b + 1]; t++)
		{
			const GrowNode *x = &g->nodes[g->batch[b]];
			int			blk = t - g->part_first[b];
			int			len = x->count - blk * PART_BLOCK;

			if (len > PART_BLOCK)
				len = PART_BLOCK;
			g->part_loff[t] = lo;
			g->part_roff[t] = ro;
			lo += g->part_left[t];
			ro += len - g->part_left[t];
		}
		g->part_total[b] = lo;
	}
	if (multi)
		am_pool_run(g->pool, n_tasks, gather_task, g);
}

/* ---------- the growth loop ---------- */

static void
new_child(TreeGrower *g, int node, int depth)
{
	GrowNode   *c = &g->nodes[node];

	memset(c, 0, sizeof(*c));
	c->depth = depth;
	c->left = -1;
	c->hist = -1;
	c->split.feature = -1;
}

/* Whether every child of the batch is a leaf for good (keep_final_rows). */
static bool
final_level(const TreeGrower *g)
{
	if (!g->cfg.keep_final_rows)
		return false;
	for (int b = 0; b < g->n_batch; b++)
		if (g->nodes[g->batch[b]].depth + 1 < g->cfg.max_depth)
			return false;
	return true;
}

static void
split_batch(TreeGrower *g)
{
	int			S = g->S;

	ensure_nodes(g, 2 * g->n_batch);
	if (g->n_nodes + 2 * g->n_batch > g->cap_nodes)
	{
		/* fixed storage is full: the rest stay leaves */
		for (int b = (g->cap_nodes - g->n_nodes) / 2; b < g->n_batch; b++)
			drop_hist(g, g->batch[b]);
		g->n_batch = (g->cap_nodes - g->n_nodes) / 2;
		if (g->n_batch == 0)
			return;
	}
	for (int b = 0; b < g->n_batch; b++)
	{
		int			x = g->batch[b],
					L = g->n_nodes;
		const double *ls = g->left_stats + (size_t) x * S;
		double	   *pl,
				   *pr;

		g->nodes[x].left = L;
		new_child(g, L, g->nodes[x].depth + 1);
		new_child(g, L + 1, g->nodes[x].depth + 1);
		pl = node_stats(g, L);
		pr = node_stats(g, L + 1);
		for (int c = 0; c < S; c++)
		{
			pl[c] = ls[c];
			pr[c] = node_stats(g, x)[c] - ls[c];
		}
		g->n_nodes += 2;
		g->n_leaves++;
	}
	if (final_level(g))
	{
		/* children that never split: their rows stay with the parent */
		for (int b = 0; b < g->n_batch; b++)
		{
			GrowNode   *x = &g->nodes[g->batch[b]];

			x->rows_kept = true;
			drop_hist(g, g->batch[b]);
		}
		return;
	}
	partition_batch(g);
	for (int b = 0; b < g->n_batch; b++)
	{
		const GrowNode *x = &g->nodes[g->batch[b]];
		GrowNode   *L = &g->nodes[x->left];

		L->begin = x->begin;
		L->count = g->part_total[b];
		L[1].begin = x->begin + L->count;
		L[1].count = x->count - L->count;
	}
	for (int b = 0; b < g->n_batch; b++)
		plan_children(g, g->batch[b]);
	execute_plans(g);
}

/* The next nodes to split: the whole level, or the best leaf. */
static void
choose_batch(TreeGrower *g)
{
	g->n_batch = 0;
	if (g->cfg.max_leaves <= 0)
	{
		memcpy(g->batch, g->frontier, sizeof(int32_t) * g->n_frontier);
		g->n_batch = g->n_frontier;
		g->n_frontier = 0;
		return;
	}
	if (g->n_leaves >= g->cfg.max_leaves || g->n_frontier == 0)
		return;
	{
		int			best = 0;

		for (int i = 1; i < g->n_frontier; i++)
		{
			const GrowSplit *a = &g->nodes[g->frontier[i]].split,
					   *b = &g->nodes[g->frontier[best]].split;

			if (a->gain > b->gain ||
				(a->gain == b->gain && g->frontier[i] < g->frontier[best]))
				best = i;
		}
		g->batch[g->n_batch++] = g->frontier[best];
		g->frontier[best] = g->frontier[--g->n_frontier];
	}
}

const GrowTree *
tree_grow(TreeGrower *g, const TreeGrowInput *in)
{
	int			p = g->m->p;

	g->in = in;
	g->hc.gh = in->gh;
	g->hc.cls = in->cls;
	g->hc.weight = in->weight;
	g->tree_feats = in->features;
	g->tree_nf = in->features ? in->n_features : p;
	g->plan_nf = g->cfg.split_features > 0 && g->cfg.split_features < g->tree_nf ?
		g->cfg.split_features : g->tree_nf;
	g->subtract = g->cfg.subtraction && g->plan_nf == g->tree_nf;
	for (int k = 0; k < g->tree_nf; k++)
		g->perm[k] = in->features ? in->features[k] : k;
	memcpy(g->idx, in->rows, sizeof(int32_t) * in->n_rows);
	clock_gettime(CLOCK_MONOTONIC, &g->last_check);

	g->n_nodes = 1;
	g->n_leaves = 1;
	g->n_frontier = 0;
	g->n_plans = 0;
	new_child(g, 0, 0);
	g->nodes[0].begin = 0;
	g->nodes[0].count = in->n_rows;
	g->gain_floor = g->cfg.min_gain;
	plan_add(g, 0, take_hist(g), -1, true, false, true);
	execute_plans(g);

	for (;;)
	{
		choose_batch(g);
		if (g->n_batch == 0)
			break;
		split_batch(g);
	}
	for (int i = 0; i < g->n_nodes; i++)
		drop_hist(g, i);

	g->result.n_nodes = g->n_nodes;
	g->result.nodes = g->nodes;
	g->result.stats = g->stats;
	g->result.stats_width = g->S;
	g->result.n_channels = g->K;
	g->result.idx = g->idx;
	return &g->result;
}

int
grow_tree_leaf(const GrowTree *t, const TreeMatrix *m, int row)
{
	const uint8_t *b = m->bins + (size_t) row * m->p;
	int			i = 0;

	while (t->nodes[i].left >= 0)
	{
		const GrowSplit *s = &t->nodes[i].split;

		i = t->nodes[i].left +
			!grow_split_goes_left(s, b[s->feature], m->features[s->feature].n_bins);
	}
	return i;
}
