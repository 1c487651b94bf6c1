/*
 * tree_model.c
 *	  Fitted tree ensembles: turning grown bin-space trees into flattened
 *	  nodes with raw thresholds, feature importance bookkeeping, early
 *	  stopping truncation, and the structural check of deserialized trees.
 */
#include "tree.h"

#include <math.h>
#include <string.h>

TreeEnsemble *
tree_ensemble_new(TreeCombine combine, int p, AmTask task, int n_classes)
{
	TreeEnsemble *e = AM_NEW0(TreeEnsemble, 1);

	e->combine = combine;
	e->p = p;
	e->task = task;
	e->n_classes = n_classes;
	e->n_outputs = am_task_outputs(task, n_classes);
	e->leaf_dim = combine == TREE_COMBINE_SUM ? 1 : e->n_outputs;
	e->cap_trees = 16;
	e->tree_start = AM_NEW0(int32_t, e->cap_trees + 1);
	e->tree_output = AM_NEW0(int32_t, e->cap_trees);
	e->tree_depth = AM_NEW0(int32_t, e->cap_trees);
	e->cap_nodes = 256;
	e->nodes = AM_NEW0(TreeNode, e->cap_nodes);
	e->value = AM_NEW0(double, (size_t) e->cap_nodes * e->leaf_dim);
	e->cover = AM_NEW0(double, e->cap_nodes);
	e->node_gain = AM_NEW0(double, e->cap_nodes);
	e->cap_cat_words = 16;
	e->cat_words = AM_NEW0(uint32_t, e->cap_cat_words);
	e->base = AM_NEW0(double, e->n_outputs);
	e->cat_codes = AM_NEW(int, p);
	e->cat_map = AM_NEW0(uint8_t *, p);
	for (int j = 0; j < p; j++)
		e->cat_codes[j] = -1;
	e->gain = AM_NEW0(double, p);
	e->splits = AM_NEW0(double, p);
	e->oob_score = NAN;
	return e;
}

void
tree_ensemble_attach_codes(TreeEnsemble *e, const TreeMatrix *m)
{
	for (int j = 0; j < m->p; j++)
	{
		const TreeFeatureBins *f = &m->features[j];

		if (!f->categorical)
			continue;
		e->cat_codes[j] = f->n_codes;
		e->cat_map[j] = AM_NEW(uint8_t, f->n_codes > 0 ? f->n_codes : 1);
		/* codes no training row had (an empty "other") go the missing way */
		for (int c = 0; c < f->n_codes; c++)
			e->cat_map[j][c] = f->counts[f->code_bin[c]] > 0 ? f->code_bin[c] : TREE_UNSEEN_BIN;
	}
}

static void
reserve_nodes(TreeEnsemble *e, int extra)
{
	int			cap = e->cap_nodes;

	if (e->n_nodes + extra <= cap)
		return;
	while (cap < e->n_nodes + extra)
		cap *= 2;
	am_memory_reserve((size_t) cap * (sizeof(TreeNode) + 16 + 8 * e->leaf_dim), "tree ensemble");
	e->nodes = am_realloc(e->nodes, sizeof(TreeNode) * cap);
	e->value = am_realloc(e->value, sizeof(double) * cap * (size_t) e->leaf_dim);
	e->cover = am_realloc(e->cover, sizeof(double) * cap);
	e->node_gain = am_realloc(e->node_gain, sizeof(double) * cap);
	e->cap_nodes = cap;
}

static void
reserve_trees(TreeEnsemble *e, int extra)
{
	if (e->n_trees + extra <= e->cap_trees)
		return;
	while (e->n_trees + extra > e->cap_trees)
		e->cap_trees *= 2;
	e->tree_start = am_realloc(e->tree_start, sizeof(int32_t) * (e->cap_trees + 1));
	e->tree_output = am_realloc(e->tree_output, sizeof(int32_t) * e->cap_trees);
	e->tree_depth = am_realloc(e->tree_depth, sizeof(int32_t) * e->cap_trees);
}

static void
reserve_words(TreeEnsemble *e, int words)
{
	if (e->n_cat_words + words <= e->cap_cat_words)
		return;
	while (e->n_cat_words + words > e->cap_cat_words)
		e->cap_cat_words *= 2;
	e->cat_words = am_realloc(e->cat_words, sizeof(uint32_t) * e->cap_cat_words);
}

static uint32_t
take_cat_words(TreeEnsemble *e, int words)
{
	uint32_t	at = (uint32_t) e->n_cat_words;

	reserve_words(e, words);
	memset(e->cat_words + at, 0, sizeof(uint32_t) * words);
	e->n_cat_words += words;
	return at;
}

void
tree_ensemble_reserve(TreeEnsemble *e, int trees, int nodes, int cat_words)
{
	reserve_trees(e, trees);
	reserve_nodes(e, nodes);
	reserve_words(e, cat_words);
}

static void
set_leaf(TreeNode *nd, int self)
{
	nd->u.threshold = INFINITY;
	nd->left = self;
	nd->feature = 0;
	nd->flags = TREE_LEAF | TREE_MISSING_LEFT;
}

/* A grown split as a flattened node with a raw threshold or code set. */
static void
set_split(TreeEnsemble *e, TreeNode *nd, const GrowNode *g, const TreeMatrix *m)
{
	const GrowSplit *s = &g->split;
	const TreeFeatureBins *f = &m->features[s->feature];

	nd->left = g->left;
	nd->feature = (uint16_t) s->feature;
	nd->flags = s->missing_left ? TREE_MISSING_LEFT : 0;
	if (!s->categorical)
	{
		nd->u.threshold = f->edges[s->bin];
		return;
	}
	{
		uint32_t	at = take_cat_words(e, TREE_CAT_WORDS);

		memcpy(e->cat_words + at, s->cat_bins, sizeof(uint32_t) * TREE_CAT_WORDS);
		nd->flags |= TREE_CATEGORICAL;
		e->has_categorical = true;
		nd->u.cat.offset = at;
		nd->u.cat.reserved = 0;
	}
}

void
tree_ensemble_add(TreeEnsemble *e, const GrowTree *t, const TreeMatrix *m,
				  const double *leaf_values, int output, double gain_scale)
{
	int			base = e->n_nodes,
				depth = 0,
				ld = e->leaf_dim;

	reserve_nodes(e, t->n_nodes);
	reserve_trees(e, 1);
	for (int i = 0; i < t->n_nodes; i++)
	{
		const GrowNode *g = &t->nodes[i];
		TreeNode   *nd = &e->nodes[base + i];
		double	   *v = e->value + (size_t) (base + i) * ld;

		e->cover[base + i] = t->stats[(size_t) i * t->stats_width + t->n_channels];
		e->node_gain[base + i] = 0.0;
		if (g->left < 0)
		{
			set_leaf(nd, i);
			memcpy(v, leaf_values + (size_t) i * ld, sizeof(double) * ld);
			if (g->depth > depth)
				depth = g->depth;
			continue;
		}
		set_split(e, nd, g, m);
		memset(v, 0, sizeof(double) * ld);
		e->node_gain[base + i] = g->split.gain * gain_scale;
		e->gain[g->split.feature] += g->split.gain * gain_scale;
		e->splits[g->split.feature] += 1;
	}
	e->n_nodes += t->n_nodes;
	e->tree_output[e->n_trees] = output;
	e->tree_depth[e->n_trees] = depth;
	e->n_trees++;
	e->tree_start[e->n_trees] = e->n_nodes;
	if (depth > e->max_depth)
		e->max_depth = depth;
}

void
tree_ensemble_truncate(TreeEnsemble *e, int n_trees)
{
	if (n_trees >= e->n_trees)
		return;
	e->n_trees = n_trees;
	e->n_nodes = e->tree_start[n_trees];
	memset(e->gain, 0, sizeof(double) * e->p);
	memset(e->splits, 0, sizeof(double) * e->p);
	e->max_depth = 0;
	for (int t = 0; t < n_trees; t++)
	{
		if (e->tree_depth[t] > e->max_depth)
			e->max_depth = e->tree_depth[t];
		for (int i = e->tree_start[t]; i < e->tree_start[t + 1]; i++)
		{
			if (e->nodes[i].flags & TREE_LEAF)
				continue;
			e->gain[e->nodes[i].feature] += e->node_gain[i];
			e->splits[e->nodes[i].feature] += 1;
		}
	}
}

/* One tree: a proper binary tree, children after parents, bounded depth. */
static const char *
validate_tree(const TreeEnsemble *e, int t, uint8_t *has_parent, int32_t *depth)
{
	const TreeNode *nodes = e->nodes + e->tree_start[t];
	int			n = e->tree_start[t + 1] - e->tree_start[t];
	int			max_depth = 0;

	if (n < 1)
		return "a tree has no nodes";
	memset(has_parent, 0, n);
	depth[0] = 0;
	for (int i = 0; i < n; i++)
	{
		const TreeNode *nd = &nodes[i];
		int			f = nd->feature;

		if (i > 0 && !has_parent[i])
			return "a tree node is unreachable";
		if (nd->flags & TREE_LEAF)
		{
			if (depth[i] > max_depth)
				max_depth = depth[i];
			continue;
		}
		if (nd->left <= i || nd->left >= n - 1)
			return "a tree child index is out of range";
		if (has_parent[nd->left] || has_parent[nd->left + 1])
			return "a tree node has two parents";
		if (f >= e->p)
			return "a tree split feature is out of range";
		if (nd->flags & TREE_CATEGORICAL)
		{
			if (e->cat_codes[f] < 0)
				return "a categorical split is on a numeric feature";
			if ((uint64_t) nd->u.cat.offset + TREE_CAT_WORDS > (uint64_t) e->n_cat_words)
				return "a categorical split points outside its bin sets";
		}
		else if (!isfinite(nd->u.threshold))
			return "a tree threshold is not finite";
		has_parent[nd->left] = has_parent[nd->left + 1] = 1;
		depth[nd->left] = depth[nd->left + 1] = depth[i] + 1;
		if (depth[i] + 1 > TREE_DEPTH_LIMIT)
			return "a tree is too deep";
	}
	if (max_depth != e->tree_depth[t])
		return "a tree depth does not match its nodes";
	return NULL;
}

const char *
tree_ensemble_validate(const TreeEnsemble *e)
{
	int			largest = 1;
	uint8_t    *has_parent;
	int32_t    *depth;
	const char *msg = NULL;

	for (int t = 0; t < e->n_trees; t++)
	{
		int			n = e->tree_start[t + 1] - e->tree_start[t];

		if (e->tree_start[t + 1] < e->tree_start[t] || e->tree_start[t + 1] > e->n_nodes)
			return "tree offsets are invalid";
		if (n > largest)
			largest = n;
	}
	has_parent = AM_NEW(uint8_t, largest);
	depth = AM_NEW(int32_t, largest);
	for (int t = 0; t < e->n_trees && msg == NULL; t++)
		msg = validate_tree(e, t, has_parent, depth);
	am_free(has_parent);
	am_free(depth);
	return msg;
}

/*
 * Node `node` of tree t at position pos of its complete copy, level `level`:
 * a leaf above the last level walks left to itself.
 */
static void
complete_fill(const TreeEnsemble *e, TreeComplete *c, int t, int node, int pos, int level)
{
	const TreeNode *nd = &e->nodes[e->tree_start[t] + node];
	size_t		base = (size_t) t * c->stride;

	if (level == c->depth)
	{
		int			leaf = pos - (c->stride - 1);

		c->leaf_node[base + leaf] = node;
		if (c->leaf_value)
			c->leaf_value[base + leaf] = e->value[e->tree_start[t] + node];
		return;
	}
	if (nd->flags & TREE_LEAF)
	{
		c->threshold[base + pos] = INFINITY;
		c->feature[base + pos] = 0;
		complete_fill(e, c, t, node, 2 * pos + 1, level + 1);
		complete_fill(e, c, t, node, 2 * pos + 2, level + 1);
		return;
	}
	c->threshold[base + pos] = nd->u.threshold;
	c->feature[base + pos] = nd->feature;
	complete_fill(e, c, t, nd->left, 2 * pos + 1, level + 1);
	complete_fill(e, c, t, nd->left + 1, 2 * pos + 2, level + 1);
}

void
tree_ensemble_build_complete(TreeEnsemble *e)
{
	TreeComplete *c;
	size_t		n;

	if (e->n_trees == 0 || e->max_depth > TREE_COMPLETE_MAX_DEPTH || e->has_categorical)
		return;
	n = (size_t) e->n_trees << e->max_depth;
	/* 22 bytes a slot: at most 16 MB per cached model (5800 trees of depth 7) */
	if (n * (sizeof(double) * 2 + sizeof(uint16_t) + sizeof(int32_t)) > ((size_t) 16 << 20))
		return;
	c = AM_NEW0(TreeComplete, 1);
	c->depth = e->max_depth;
	c->stride = 1 << c->depth;
	c->threshold = AM_NEW0(double, n);
	c->feature = AM_NEW0(uint16_t, n);
	c->leaf_node = AM_NEW0(int32_t, n);
	if (e->combine == TREE_COMBINE_SUM && e->n_outputs == 1)
		c->leaf_value = AM_NEW0(double, n);
	for (int t = 0; t < e->n_trees; t++)
		complete_fill(e, c, t, 0, 0, 0);
	e->complete = c;
}
