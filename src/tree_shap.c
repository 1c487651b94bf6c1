/*
 * tree_shap.c
 *	  Explanations of tree ensembles: feature importance and exact
 *	  path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, algorithm 2).
 *
 * Contributions are in margin space: the raw score (regression), log-odds
 * (binary) or each class's softmax margin for boosting, and the averaged
 * leaf values (mean, probabilities) for forests.  A node's cover is its
 * training hessian (boosting) or weight (forests).  The base value is the
 * cover-weighted mean of the leaves computed with the same fractions as the
 * contributions, so contributions plus base equal the margin.
 *
 * The recursion of the published algorithm is run with an explicit stack
 * of pending calls; the path storage is bounded by the tree depth, which
 * deserialization caps at TREE_DEPTH_LIMIT.
 */
#include "tree.h"

#include <math.h>
#include <string.h>

typedef struct PathElement
{
	int			feature;
	double		zero_fraction;
	double		one_fraction;
	double		pweight;
} PathElement;

/* A pending call of the recursive algorithm. */
typedef struct ShapCall
{
	int			node;
	int			depth;			/* unique depth */
	int			parent_path;	/* offset of the caller's path */
	int			feature;		/* the caller's split feature (-1 at the root) */
	double		zero_fraction;
	double		one_fraction;
} ShapCall;

bool
tree_importance(const void *model, AmImportanceKind kind, double *out)
{
	const TreeEnsemble *e = model;
	double		scale = 1.0;

	if (kind != AM_IMPORTANCE_GAIN && kind != AM_IMPORTANCE_SPLITS)
		return false;
	if (kind == AM_IMPORTANCE_GAIN && e->combine == TREE_COMBINE_MEAN && e->n_trees > 0)
		scale = 1.0 / e->n_trees;	/* forests: mean over trees */
	for (int j = 0; j < e->p; j++)
		out[j] = (kind == AM_IMPORTANCE_GAIN ? e->gain[j] : e->splits[j]) * scale;
	return true;
}

static inline double
fraction(const double *cover, int child, int parent)
{
	return cover[parent] > 0 ? cover[child] / cover[parent] : 0.5;
}

static void
extend_path(PathElement *path, int depth, double zero_fraction, double one_fraction,
			int feature)
{
	path[depth].feature = feature;
	path[depth].zero_fraction = zero_fraction;
	path[depth].one_fraction = one_fraction;
	path[depth].pweight = depth == 0 ? 1.0 : 0.0;
	for (int i = depth - 1; i >= 0; i--)
	{
		path[i + 1].pweight += one_fraction * path[i].pweight * (i + 1) / (double) (depth + 1);
		path[i].pweight = zero_fraction * path[i].pweight * (depth - i) / (double) (depth + 1);
	}
}

static void
unwind_path(PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction,
				zero_fraction = path[index].zero_fraction,
				next_one = path[depth].pweight;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one_fraction != 0)
		{
			double		tmp = path[i].pweight;

			path[i].pweight = next_one * (depth + 1) / ((i + 1) * one_fraction);
			next_one = tmp - path[i].pweight * zero_fraction * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].pweight = path[i].pweight * (depth + 1) / (zero_fraction * (depth - i));
	}
	for (int i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

static double
unwound_path_sum(const PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction,
				zero_fraction = path[index].zero_fraction,
				next_one = path[depth].pweight,
				total = 0.0;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one_fraction != 0)
		{
			double		tmp = next_one * (depth + 1) / ((i + 1) * one_fraction);

			total += tmp;
			next_one = path[i].pweight - tmp * zero_fraction * ((depth - i) / (double) (depth + 1));
		}
		else if (zero_fraction != 0)
			total += (path[i].pweight / zero_fraction) / ((depth - i) / (double) (depth + 1));
	}
	return total;
}

/* Add a leaf's share to phi (p x K) for every feature on the path. */
static void
leaf_contributions(const TreeEnsemble *e, int tree, int leaf, const PathElement *path,
				   int depth, double scale, double *phi)
{
	int			K = e->n_outputs;
	const double *v = e->value + (size_t) (e->tree_start[tree] + leaf) * e->leaf_dim;

	for (int i = 1; i <= depth; i++)
	{
		double		w = unwound_path_sum(path, depth, i) *
			(path[i].one_fraction - path[i].zero_fraction) * scale;
		double	   *out = phi + (size_t) path[i].feature * K;

		if (e->combine == TREE_COMBINE_SUM)
			out[e->tree_output[tree]] += w * v[0];
		else
			for (int c = 0; c < K; c++)
				out[c] += w * v[c];
	}
}

/* TreeSHAP of one tree for one row (stride 1), added to phi. */
static void
tree_shap(const TreeEnsemble *e, int tree, const double *x, double scale,
		  PathElement *paths, ShapCall *stack, double *phi)
{
	const TreeNode *nodes = e->nodes + e->tree_start[tree];
	const double *cover = e->cover + e->tree_start[tree];
	int			top = 0;

	stack[top++] = (ShapCall) {0, 0, 0, -1, 1.0, 1.0};
	while (top > 0)
	{
		ShapCall	c = stack[--top];
		int			offset = c.node == 0 ? 0 : c.parent_path + c.depth + 1;
		PathElement *path = paths + offset;
		const TreeNode *nd = &nodes[c.node];
		int			depth = c.depth;

		if (depth > 0)
			memcpy(path, paths + c.parent_path, sizeof(PathElement) * depth);
		extend_path(path, depth, c.zero_fraction, c.one_fraction, c.feature);
		if (nd->flags & TREE_LEAF)
		{
			leaf_contributions(e, tree, c.node, path, depth, scale, phi);
			continue;
		}
		{
			int			f = nd->feature;
			int			hot = tree_step(e, nd, x[f]);
			int			cold = hot == nd->left ? nd->left + 1 : nd->left;
			double		in_zero = 1.0,
						in_one = 1.0;
			int			k;

			for (k = 1; k <= depth; k++)
				if (path[k].feature == f)
					break;
			if (k <= depth)
			{
				in_zero = path[k].zero_fraction;
				in_one = path[k].one_fraction;
				unwind_path(path, depth, k);
				depth--;
			}
			stack[top++] = (ShapCall) {cold, depth + 1, offset, f,
				fraction(cover, cold, c.node) * in_zero, 0.0};
			stack[top++] = (ShapCall) {hot, depth + 1, offset, f,
				fraction(cover, hot, c.node) * in_zero, in_one};
		}
	}
}

/* Expected value of a tree under the cover fractions, into ev (leaf_dim). */
static void
tree_expected(const TreeEnsemble *e, int tree, double *scratch, double *ev)
{
	int			s = e->tree_start[tree],
				n = e->tree_start[tree + 1] - s,
				ld = e->leaf_dim;
	const TreeNode *nodes = e->nodes + s;
	const double *cover = e->cover + s;

	for (int i = n - 1; i >= 0; i--)
	{
		double	   *v = scratch + (size_t) i * ld;

		if (nodes[i].flags & TREE_LEAF)
		{
			memcpy(v, e->value + (size_t) (s + i) * ld, sizeof(double) * ld);
			continue;
		}
		{
			int			l = nodes[i].left;
			double		fl = fraction(cover, l, i),
						fr = fraction(cover, l + 1, i);

			for (int c = 0; c < ld; c++)
				v[c] = fl * scratch[(size_t) l * ld + c] + fr * scratch[(size_t) (l + 1) * ld + c];
		}
	}
	memcpy(ev, scratch, sizeof(double) * ld);
}

bool
tree_contributions(const void *model, const double *x, double *out)
{
	const TreeEnsemble *e = model;
	int			K = e->n_outputs,
				p = e->p,
				D = e->max_depth + 2,
				largest = 1;
	double		scale = e->combine == TREE_COMBINE_MEAN && e->n_trees > 0 ? 1.0 / e->n_trees : 1.0;
	PathElement *paths = AM_NEW(PathElement, (size_t) (D + 1) * (D + 2) / 2 + D);
	ShapCall   *stack = AM_NEW(ShapCall, 2 * (size_t) D + 2);
	double	   *ev = AM_NEW(double, e->leaf_dim);
	double	   *base = out + (size_t) p * K;
	double	   *scratch;

	for (int t = 0; t < e->n_trees; t++)
		if (e->tree_start[t + 1] - e->tree_start[t] > largest)
			largest = e->tree_start[t + 1] - e->tree_start[t];
	scratch = AM_NEW(double, (size_t) largest * e->leaf_dim);
	memset(out, 0, sizeof(double) * (size_t) (p + 1) * K);
	for (int c = 0; c < K; c++)
		base[c] = e->base[c];
	for (int t = 0; t < e->n_trees; t++)
	{
		am_check_interrupts();
		tree_shap(e, t, x, scale, paths, stack, out);
		tree_expected(e, t, scratch, ev);
		if (e->combine == TREE_COMBINE_SUM)
			base[e->tree_output[t]] += ev[0];
		else
			for (int c = 0; c < K; c++)
				base[c] += ev[c] * scale;
	}
	am_free(paths);
	am_free(stack);
	am_free(ev);
	am_free(scratch);
	return true;
}
