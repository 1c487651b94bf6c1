/*
 * tree_predict.c
 *	  Prediction with a fitted ensemble from raw doubles.
 *
 * Rows are taken in blocks of BLOCK_ROWS and copied by groups of GROUP rows.
 * A tree is walked a group at a time, level by level: a leaf points to
 * itself, so every row can take the tree's depth in steps (deep trees stop
 * early once the whole group is at leaves), the walks of the group are
 * independent chains the CPU overlaps, and a numeric step takes no branch
 * on the data.  A single row is not copied: shallow numeric ensembles
 * walk it through their complete trees (TreeComplete), eight trees at once.
 * Many rows are shared out on the thread pool (automl.max_threads).
 */
#include "tree.h"

#include <math.h>
#include <string.h>

#define BLOCK_ROWS 64
#define GROUP 8
#define FIXED_DEPTH_MAX 16		/* single rows: deeper trees walk to a leaf */

int
tree_leaf_of(const TreeEnsemble *e, int tree, const double *x)
{
	const TreeNode *nodes = e->nodes + e->tree_start[tree];
	int			i = 0;

	while (!(nodes[i].flags & TREE_LEAF))
		i = tree_step(e, &nodes[i], x[nodes[i].feature]);
	return i;
}

typedef enum WalkMode
{
	WALK_PLAIN,					/* numeric splits, no missing value */
	WALK_MISSING,				/* numeric splits, missing values */
	WALK_ANY					/* categorical splits too */
} WalkMode;

/*
 * Leaves of GROUP rows (feature f of row r at x[f * GROUP + r]) in a tree
 * of the given depth.
 * Numeric steps take no branch: a missing value fails both "v > t" and
 * "v <= t", which sends it right only when the node says so.
 */
static inline __attribute__((always_inline)) void
walk_group(const TreeEnsemble *e, const TreeNode *nodes, int depth, const double *x,
		   int *leaf, WalkMode mode)
{
	int			at[GROUP] = {0};

	for (int d = 0; d < depth; d++)
	{
		/* deep trees (forests): stop once every row sits at a leaf */
		if (d >= 8 && (d & 3) == 0)
		{
			int			done = 0;

			for (int r = 0; r < GROUP; r++)
				done += (nodes[at[r]].flags & TREE_LEAF) != 0;
			if (done == GROUP)
				break;
		}
#pragma GCC unroll 8
		for (int r = 0; r < GROUP; r++)
		{
			const TreeNode *nd = &nodes[at[r]];
			double		v = x[(size_t) nd->feature * GROUP + r];
			double		t = nd->u.threshold;

			if (mode == WALK_PLAIN)
				at[r] = nd->left + (v > t);
			else if (mode == WALK_MISSING)
				at[r] = nd->left + ((v > t) |
									(!(nd->flags & TREE_MISSING_LEFT) & !(v <= t)));
			else
				at[r] = tree_step(e, nd, v);
		}
	}
	memcpy(leaf, at, sizeof(at));
}

/*
 * Leaves of one tree for nb <= BLOCK_ROWS rows, by group (see walk_group,
 * padded to GROUP); plain[g] says group g has no missing value.
 */
static void
walk_block(const TreeEnsemble *e, int tree, const double *xg, int nb, const bool *plain,
		   int *leaf)
{
	const TreeNode *nodes = e->nodes + e->tree_start[tree];
	int			depth = e->tree_depth[tree],
				p = e->p;

	for (int r = 0; r < nb; r += GROUP)
	{
		const double *x = xg + (size_t) r * p;

		if (e->has_categorical)
			walk_group(e, nodes, depth, x, leaf + r, WALK_ANY);
		else if (plain[r / GROUP])
			walk_group(e, nodes, depth, x, leaf + r, WALK_PLAIN);
		else
			walk_group(e, nodes, depth, x, leaf + r, WALK_MISSING);
	}
}

static void
add_leaves(const TreeEnsemble *e, int tree, const int *leaf, int nb, double *out)
{
	int			K = e->n_outputs,
				ld = e->leaf_dim;
	const double *value = e->value + (size_t) e->tree_start[tree] * ld;

	if (e->combine == TREE_COMBINE_SUM)
	{
		int			c = e->tree_output[tree];

		for (int r = 0; r < nb; r++)
			out[(size_t) r * K + c] += value[leaf[r]];
		return;
	}
	for (int r = 0; r < nb; r++)
		for (int c = 0; c < K; c++)
			out[(size_t) r * K + c] += value[(size_t) leaf[r] * ld + c];
}

static void
start_outputs(const TreeEnsemble *e, int nb, double *o)
{
	int			K = e->n_outputs;

	for (int r = 0; r < nb; r++)
		for (int c = 0; c < K; c++)
			o[(size_t) r * K + c] = e->base[c];
}

static void
finish_outputs(const TreeEnsemble *e, int nb, double *o)
{
	if (e->combine == TREE_COMBINE_MEAN && e->n_trees > 0)
		for (int i = 0; i < nb * e->n_outputs; i++)
			o[i] /= e->n_trees;
}

/*
 * One row with stride 1, straight from x: shallow trees are walked
 * TREE_GROUP at a time, their fixed-length walks being independent chains
 * the CPU overlaps; deep trees to their leaf.
 */
#define TREE_GROUP 8

/* Child of slot i of a complete tree for row x: 2i+1 (left) or 2i+2. */
static inline unsigned
complete_step(const uint16_t *feature, const double *threshold, unsigned i, const double *x)
{
	return 2 * i + 1 + (x[feature[i]] > threshold[i]);
}

/*
 * Numeric rows without missing values on an ensemble of complete trees of
 * depth D (see TreeComplete): eight walks side by side, each one index
 * (the trees' arrays are S slots apart), with a depth known at compile
 * time so the loops unroll and the indexes stay in registers.
 */
static inline __attribute__((always_inline)) void
margins_complete(const TreeEnsemble *e, const double *x, double *out, const int D)
{
	const TreeComplete *c = e->complete;
	const int	S = 1 << D;
	double		sum = e->base[0];
	int			t = 0;

	if (!c->leaf_value)
		start_outputs(e, 1, out);
	for (; t < e->n_trees; t += TREE_GROUP)
	{
		const double *th = c->threshold + (size_t) t * S;
		const uint16_t *ft = c->feature + (size_t) t * S;
		int			n = e->n_trees - t < TREE_GROUP ? e->n_trees - t : TREE_GROUP;
		unsigned	at[TREE_GROUP] = {0};

		if (n == TREE_GROUP)
		{
			for (int d = 0; d < D; d++)
			{
#pragma GCC unroll 8
				for (int k = 0; k < TREE_GROUP; k++)
					at[k] = complete_step(ft + k * S, th + k * S, at[k], x);
			}
		}
		else
		{
			for (int k = 0; k < n; k++)
				for (int d = 0; d < D; d++)
					at[k] = complete_step(ft + k * S, th + k * S, at[k], x);
		}
		for (int k = 0; k < n; k++)
		{
			size_t		leaf = (size_t) (t + k) * S + at[k] - (S - 1);

			if (c->leaf_value)
				sum += c->leaf_value[leaf];
			else
				add_leaves(e, t + k, &c->leaf_node[leaf], 1, out);
		}
	}
	if (c->leaf_value)
		out[0] = sum;
	finish_outputs(e, 1, out);
}

static void
margins_one(const TreeEnsemble *e, const double *x, double *out)
{
	int			t = 0;
	bool		plain = !e->has_categorical;

	/* a row without missing values takes the shortest numeric step */
	for (int j = 0; j < e->p && plain; j++)
		plain = !isnan(x[j]);
	if (plain && e->complete)
	{
		/* the depth as a compile-time constant: one unrolled walk per depth */
#define COMPLETE_DEPTH(D) case D: margins_complete(e, x, out, D); return
		switch (e->complete->depth)
		{
			COMPLETE_DEPTH(0);
			COMPLETE_DEPTH(1);
			COMPLETE_DEPTH(2);
			COMPLETE_DEPTH(3);
			COMPLETE_DEPTH(4);
			COMPLETE_DEPTH(5);
			COMPLETE_DEPTH(6);
			COMPLETE_DEPTH(7);
		}
#undef COMPLETE_DEPTH
	}
	start_outputs(e, 1, out);
	while (t < e->n_trees)
	{
		int			n = e->n_trees - t < TREE_GROUP ? e->n_trees - t : TREE_GROUP;
		int			depth = 0,
					at[TREE_GROUP] = {0};
		const TreeNode *nodes[TREE_GROUP];

		for (int k = 0; k < TREE_GROUP; k++)
		{
			nodes[k] = e->nodes + e->tree_start[t + (k < n ? k : 0)];
			if (e->tree_depth[t + (k < n ? k : 0)] > depth)
				depth = e->tree_depth[t + (k < n ? k : 0)];
		}
		if (depth > FIXED_DEPTH_MAX)
		{
			for (int k = 0; k < n; k++)
				at[k] = tree_leaf_of(e, t + k, x);
		}
		else if (plain)
			for (int d = 0; d < depth; d++)
			{
#pragma GCC unroll 8
				for (int k = 0; k < TREE_GROUP; k++)
				{
					const TreeNode *nd = &nodes[k][at[k]];

					at[k] = nd->left + (x[nd->feature] > nd->u.threshold);
				}
			}
		else if (!e->has_categorical)
			for (int d = 0; d < depth; d++)
			{
				/* numeric splits: no branch, a NaN goes the node's missing way */
#pragma GCC unroll 8
				for (int k = 0; k < TREE_GROUP; k++)
				{
					const TreeNode *nd = &nodes[k][at[k]];
					double		v = x[nd->feature];
					double		th = nd->u.threshold;

					at[k] = nd->left + ((v > th) |
										(!(nd->flags & TREE_MISSING_LEFT) & !(v <= th)));
				}
			}
		else
			for (int d = 0; d < depth; d++)
			{
#pragma GCC unroll 8
				for (int k = 0; k < TREE_GROUP; k++)
				{
					const TreeNode *nd = &nodes[k][at[k]];

					at[k] = tree_step(e, nd, x[nd->feature]);
				}
			}
		for (int k = 0; k < n; k++)
			add_leaves(e, t + k, &at[k], 1, out);
		t += n;
	}
	finish_outputs(e, 1, out);
}

/* Margins of rows r0 .. r0+nb-1 (nb <= BLOCK_ROWS), through the scratch block xg. */
static void
margins_block(const TreeEnsemble *e, const double *x, size_t ld, int r0, int nb, double *xg,
			  double *out)
{
	int			p = e->p;
	double	   *o = out + (size_t) r0 * e->n_outputs;
	bool		plain[BLOCK_ROWS / GROUP];
	int			leaf[BLOCK_ROWS];

	for (int g = 0; g < BLOCK_ROWS / GROUP; g++)
		plain[g] = true;
	for (int r = 0; r < nb; r++)
		for (int j = 0; j < p; j++)
		{
			double		v = x[(size_t) j * ld + r0 + r];

			xg[(size_t) (r / GROUP) * GROUP * p + (size_t) j * GROUP + r % GROUP] = v;
			if (isnan(v))
				plain[r / GROUP] = false;
		}
	start_outputs(e, nb, o);
	for (int t = 0; t < e->n_trees; t++)
	{
		walk_block(e, t, xg, nb, plain, leaf);
		add_leaves(e, t, leaf, nb, o);
	}
	finish_outputs(e, nb, o);
}

/*
 * Many rows are scored on the pool: a task is TASK_ROWS rows, a thread has a
 * scratch block of its own, and a slice of tasks is about SLICE_WORK tree
 * walks of a row (tens of milliseconds).
 */
#define TASK_ROWS 1024
#define SLICE_WORK (1 << 22)

typedef struct MarginsJob
{
	const TreeEnsemble *e;
	const double *x;
	size_t		ld;
	int			n;
	double	   *xg;				/* BLOCK_ROWS * p per thread */
	double	   *out;
} MarginsJob;

static void
margins_task(void *arg, int task, int thread)
{
	MarginsJob *job = arg;
	int			end = (task + 1) * TASK_ROWS < job->n ? (task + 1) * TASK_ROWS : job->n;
	double	   *xg = job->xg + (size_t) thread * BLOCK_ROWS * job->e->p;

	for (int r0 = task * TASK_ROWS; r0 < end; r0 += BLOCK_ROWS)
		margins_block(job->e, job->x, job->ld, r0, end - r0 < BLOCK_ROWS ? end - r0 : BLOCK_ROWS,
					  xg, job->out);
}

void
tree_ensemble_margins(const TreeEnsemble *e, const double *x, size_t ld, int n,
					  double *out)
{
	int			tasks = (n + TASK_ROWS - 1) / TASK_ROWS,
				threads;
	double	   *xg;

	if (n == 1 && ld == 1)
	{
		margins_one(e, x, out);
		return;
	}
	threads = am_pool_width(tasks);
	xg = AM_NEW0(double, (size_t) BLOCK_ROWS * e->p * threads);
	{
		MarginsJob	job = {e, x, ld, n, xg, out};
		int			slice = SLICE_WORK / ((size_t) TASK_ROWS * (e->n_trees > 0 ? e->n_trees : 1));

		am_pool_for(threads, tasks, slice > 1 ? slice : 1, margins_task, &job);
	}
	am_free(xg);
}

void
tree_link(AmTask task, int n_outputs, double *out, int n)
{
	if (task == AM_TASK_BINARY)
	{
		for (int i = 0; i < n; i++)
		{
			double		t = out[i];

			out[i] = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
		}
	}
	else if (task == AM_TASK_MULTICLASS)
	{
		for (int i = 0; i < n; i++)
		{
			double	   *r = out + (size_t) i * n_outputs;
			double		mx = -INFINITY,
						se = 0.0;

			for (int c = 0; c < n_outputs; c++)
				mx = fmax(mx, r[c]);
			for (int c = 0; c < n_outputs; c++)
				se += (r[c] = exp(r[c] - mx));
			for (int c = 0; c < n_outputs; c++)
				r[c] /= se;
		}
	}
}

void
tree_ensemble_predict(const TreeEnsemble *e, const double *x, size_t ld, int n,
					  double *out)
{
	tree_ensemble_margins(e, x, ld, n, out);
	if (e->combine == TREE_COMBINE_SUM)
		tree_link(e->task, e->n_outputs, out, n);
}

void
tree_predict_cb(const void *model, const double *x, size_t ld, int n, double *out)
{
	tree_ensemble_predict(model, x, ld, n, out);
}
