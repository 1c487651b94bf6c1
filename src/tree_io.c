/*
 * tree_io.c
 *	  The serialized payload of the tree families (inside the model
 *	  container of serialize.c).
 *
 *	  u8   payload version (TREE_PAYLOAD_VERSION)
 *	  u8   combine (1 sum, 2 mean)
 *	  u32  p; u8 task; u32 n_classes
 *	  f64  oob score (NaN when none)
 *	  f64  base[n_outputs]; f64 gain[p]; f64 splits[p]
 *	  u32  n_cat_words; u32 cat_words[n_cat_words]   (8 words per bin set)
 *	  per feature: u32 codes (UINT32_MAX: numeric); u8 bin[codes]
 *	  u32  n_trees; per tree:
 *	    u32 n_nodes; u32 output; u32 depth; per node:
 *	      u8  kind (0 leaf, 1 numeric, 2 categorical) | 0x80 missing left
 *	      f64 cover
 *	      leaf:        f64 value[leaf_dim]
 *	      numeric:     u32 feature; u32 left; f64 threshold
 *	      categorical: u32 feature; u32 left; u32 offset (of its bin set)
 *
 * Reading checks every field against the schema (p, task, classes) and the
 * tree structure (tree_ensemble_validate): hostile bytes get an error, never
 * an out-of-range index, an unbounded allocation or an endless walk.
 */
#include "tree.h"

#include <math.h>
#include <string.h>

#define TREE_PAYLOAD_VERSION 1
#define MIN_NODE_BYTES 17		/* a leaf: kind, cover, one value */
#define MIN_TREE_BYTES (12 + MIN_NODE_BYTES)

enum
{
	KIND_LEAF = 0,
	KIND_NUMERIC = 1,
	KIND_CATEGORICAL = 2,
	KIND_MISSING_LEFT = 0x80
};

static void
write_node(const TreeEnsemble *e, int i, AmWriter *w)
{
	const TreeNode *nd = &e->nodes[i];

	if (nd->flags & TREE_LEAF)
	{
		am_w_u8(w, KIND_LEAF);
		am_w_f64(w, e->cover[i]);
		am_w_f64s(w, e->value + (size_t) i * e->leaf_dim, e->leaf_dim);
		return;
	}
	am_w_u8(w, (uint8_t) (((nd->flags & TREE_CATEGORICAL) ? KIND_CATEGORICAL : KIND_NUMERIC) |
						  ((nd->flags & TREE_MISSING_LEFT) ? KIND_MISSING_LEFT : 0)));
	am_w_f64(w, e->cover[i]);
	am_w_u32(w, nd->feature);
	am_w_u32(w, (uint32_t) nd->left);
	if (nd->flags & TREE_CATEGORICAL)
		am_w_u32(w, nd->u.cat.offset);
	else
		am_w_f64(w, nd->u.threshold);
}

void
tree_serialize(const void *model, AmWriter *w)
{
	const TreeEnsemble *e = model;

	am_w_u8(w, TREE_PAYLOAD_VERSION);
	am_w_u8(w, (uint8_t) e->combine);
	am_w_u32(w, (uint32_t) e->p);
	am_w_u8(w, (uint8_t) e->task);
	am_w_u32(w, (uint32_t) e->n_classes);
	am_w_f64(w, e->oob_score);
	am_w_f64s(w, e->base, e->n_outputs);
	am_w_f64s(w, e->gain, e->p);
	am_w_f64s(w, e->splits, e->p);
	am_w_u32(w, (uint32_t) e->n_cat_words);
	for (int k = 0; k < e->n_cat_words; k++)
		am_w_u32(w, e->cat_words[k]);
	for (int j = 0; j < e->p; j++)
	{
		am_w_u32(w, e->cat_codes[j] < 0 ? UINT32_MAX : (uint32_t) e->cat_codes[j]);
		if (e->cat_codes[j] > 0)
			am_w_bytes(w, e->cat_map[j], e->cat_codes[j]);
	}
	am_w_u32(w, (uint32_t) e->n_trees);
	for (int t = 0; t < e->n_trees; t++)
	{
		am_w_u32(w, (uint32_t) (e->tree_start[t + 1] - e->tree_start[t]));
		am_w_u32(w, (uint32_t) e->tree_output[t]);
		am_w_u32(w, (uint32_t) e->tree_depth[t]);
		for (int i = e->tree_start[t]; i < e->tree_start[t + 1]; i++)
			write_node(e, i, w);
	}
}

static bool
read_finite_array(AmReader *r, double *out, int n, bool nonnegative)
{
	for (int i = 0; i < n; i++)
	{
		out[i] = am_r_f64_finite(r, false);
		if (nonnegative && out[i] < 0)
			return false;
	}
	return am_r_ok(r);
}

/* Grow the node arrays to hold n more nodes (n bounded by the input size). */
static void
room_for_nodes(TreeEnsemble *e, int n)
{
	int			cap = e->cap_nodes;

	if (e->n_nodes + n <= cap)
		return;
	while (cap < e->n_nodes + n)
		cap *= 2;
	e->nodes = am_realloc(e->nodes, sizeof(TreeNode) * cap);
	e->value = am_realloc(e->value, sizeof(double) * cap * (size_t) e->leaf_dim);
	e->cover = am_realloc(e->cover, sizeof(double) * cap);
	e->node_gain = am_realloc(e->node_gain, sizeof(double) * cap);
	e->cap_nodes = cap;
}

static bool
read_leaf_values(AmReader *r, const TreeEnsemble *e, double *v)
{
	bool		probability = e->combine == TREE_COMBINE_MEAN && e->task != AM_TASK_REGRESSION;

	for (int c = 0; c < e->leaf_dim; c++)
	{
		v[c] = am_r_f64_finite(r, false);
		if (probability && !(v[c] >= 0.0 && v[c] <= 1.0))
			return false;
	}
	return am_r_ok(r);
}

static bool
read_node(AmReader *r, TreeEnsemble *e, int i, int self)
{
	TreeNode   *nd = &e->nodes[i];
	uint8_t		kind = am_r_u8(r);
	uint8_t		type = kind & ~KIND_MISSING_LEFT;

	e->cover[i] = am_r_f64_finite(r, false);
	e->node_gain[i] = 0.0;
	if (!am_r_ok(r) || e->cover[i] < 0)
		return false;
	if (kind == KIND_LEAF)
	{
		nd->u.threshold = INFINITY;
		nd->left = self;
		nd->feature = 0;
		nd->flags = TREE_LEAF | TREE_MISSING_LEFT;
		return read_leaf_values(r, e, e->value + (size_t) i * e->leaf_dim);
	}
	if (type != KIND_NUMERIC && type != KIND_CATEGORICAL)
		return false;
	memset(e->value + (size_t) i * e->leaf_dim, 0, sizeof(double) * e->leaf_dim);
	{
		uint32_t	feature = am_r_u32(r);
		uint32_t	left = am_r_u32(r);

		if (feature >= (uint32_t) e->p || left > INT32_MAX)
			return false;
		nd->feature = (uint16_t) feature;
		nd->flags = (kind & KIND_MISSING_LEFT) ? TREE_MISSING_LEFT : 0;
		nd->left = (int32_t) left;
	}
	if (type == KIND_CATEGORICAL)
	{
		nd->flags |= TREE_CATEGORICAL;
		e->has_categorical = true;
		nd->u.cat.offset = am_r_u32(r);
		nd->u.cat.reserved = 0;
	}
	else
		nd->u.threshold = am_r_f64_finite(r, false);
	return am_r_ok(r);
}

/*
 * Fewest bytes the nodes of a valid tree of n nodes take: (n + 1) / 2
 * leaves of kind, cover and leaf_dim values, and the other nodes splits of
 * at least 21 bytes.  Checked before room_for_nodes(), which holds leaf_dim
 * values for every node: with MIN_NODE_BYTES alone, a forest of 1000
 * classes bought 8000 bytes per 17 bytes of input.
 */
static bool
tree_fits(AmReader *r, const TreeEnsemble *e, uint32_t n)
{
	uint64_t	leaves = ((uint64_t) n + 1) / 2;
	uint64_t	need = leaves * (9 + 8 * (uint64_t) e->leaf_dim) + ((uint64_t) n - leaves) * 21;

	return need <= am_r_remaining(r);
}

static bool
read_trees(AmReader *r, TreeEnsemble *e)
{
	uint32_t	n_trees = am_r_count(r, MIN_TREE_BYTES, INT32_MAX / 2);

	if (!am_r_ok(r))
		return false;
	e->cap_trees = (int) n_trees > 0 ? (int) n_trees : 1;
	e->tree_start = AM_NEW0(int32_t, e->cap_trees + 1);
	e->tree_output = AM_NEW0(int32_t, e->cap_trees);
	e->tree_depth = AM_NEW0(int32_t, e->cap_trees);
	for (uint32_t t = 0; t < n_trees; t++)
	{
		uint32_t	n_nodes = am_r_count(r, MIN_NODE_BYTES, INT32_MAX / 2);
		uint32_t	output = am_r_u32(r);
		uint32_t	depth = am_r_u32(r);

		if (!am_r_ok(r) || n_nodes < 1 || depth > TREE_DEPTH_LIMIT || !tree_fits(r, e, n_nodes) ||
			(uint64_t) e->n_nodes + n_nodes > INT32_MAX / 2 ||
			(e->combine == TREE_COMBINE_SUM ? output >= (uint32_t) e->n_outputs : output != 0))
			return false;
		room_for_nodes(e, (int) n_nodes);
		for (uint32_t i = 0; i < n_nodes; i++)
			if (!read_node(r, e, e->n_nodes + (int) i, (int) i))
				return false;
		e->n_nodes += (int) n_nodes;
		e->tree_output[t] = (int32_t) output;
		e->tree_depth[t] = (int32_t) depth;
		if ((int) depth > e->max_depth)
			e->max_depth = (int) depth;
		e->n_trees = (int) t + 1;
		e->tree_start[t + 1] = e->n_nodes;
	}
	return true;
}

static bool
read_header(AmReader *r, TreeEnsemble *e, int p, AmTask task, int n_classes,
			TreeCombine combine)
{
	uint8_t		version = am_r_u8(r);
	uint8_t		comb = am_r_u8(r);
	uint32_t	rp = am_r_u32(r);
	uint8_t		rtask = am_r_u8(r);
	uint32_t	rclasses = am_r_u32(r);

	if (!am_r_ok(r) || version != TREE_PAYLOAD_VERSION || comb != (uint8_t) combine ||
		rp != (uint32_t) p || rtask != (uint8_t) task || rclasses != (uint32_t) n_classes)
		return false;
	e->oob_score = am_r_f64_finite(r, true);
	if (!read_finite_array(r, e->base, e->n_outputs, false) ||
		!read_finite_array(r, e->gain, p, true) ||
		!read_finite_array(r, e->splits, p, true))
		return false;
	return true;
}

static bool
read_cat_words(AmReader *r, TreeEnsemble *e)
{
	uint32_t	n = am_r_count(r, 4, INT32_MAX / 2);

	if (!am_r_ok(r))
		return false;
	e->n_cat_words = (int) n;
	e->cap_cat_words = n > 0 ? (int) n : 1;
	e->cat_words = AM_NEW0(uint32_t, e->cap_cat_words);
	for (uint32_t k = 0; k < n; k++)
		e->cat_words[k] = am_r_u32(r);
	return am_r_ok(r);
}

/* Code-to-bin maps: one of the 255 value bins a bin set covers, or TREE_UNSEEN_BIN. */
static bool
read_code_maps(AmReader *r, TreeEnsemble *e)
{
	for (int j = 0; j < e->p; j++)
	{
		uint32_t	codes = am_r_u32(r);

		if (!am_r_ok(r))
			return false;
		if (codes == UINT32_MAX)
			continue;
		if (codes > (uint32_t) INT32_MAX / 2 || codes > am_r_remaining(r))
			return false;
		e->cat_codes[j] = (int) codes;
		e->cat_map[j] = AM_NEW(uint8_t, codes > 0 ? codes : 1);
		if (!am_r_bytes(r, e->cat_map[j], codes))
			return false;
		for (uint32_t c = 0; c < codes; c++)
			if (e->cat_map[j][c] >= TREE_MAX_BINS && e->cat_map[j][c] != TREE_UNSEEN_BIN)
				return false;
	}
	return true;
}

TreeEnsemble *
tree_deserialize(AmReader *r, int p, AmTask task, int n_classes, TreeCombine combine,
				 AmErr *err)
{
	TreeEnsemble *e;
	const char *msg;

	if (p < 1 || p > TREE_MAX_FEATURES || task > AM_TASK_MULTICLASS || n_classes < 0 ||
		(task != AM_TASK_REGRESSION && n_classes < 2) ||
		(combine == TREE_COMBINE_MEAN && n_classes > TREE_MAX_CLASSES))
	{
		am_err_set(err, AM_ERR_CORRUPT, "tree model schema is invalid");
		return NULL;
	}
	e = tree_ensemble_new(combine, p, task, n_classes);
	if (!read_header(r, e, p, task, n_classes, combine))
	{
		am_err_set(err, AM_ERR_CORRUPT, "tree model header does not match its schema");
		return NULL;
	}
	if (!read_cat_words(r, e) || !read_code_maps(r, e) || !read_trees(r, e))
	{
		am_err_set(err, AM_ERR_CORRUPT, "tree model nodes are invalid");
		return NULL;
	}
	if ((msg = tree_ensemble_validate(e)) != NULL)
	{
		am_err_set(err, AM_ERR_CORRUPT, "tree model is invalid: %s", msg);
		return NULL;
	}
	tree_ensemble_build_complete(e);
	return e;
}
