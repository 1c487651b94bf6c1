/*
 * tree_split.c
 *	  The best split of one feature from a node's histogram.
 *
 * The loss reduction of sending statistics L left and R = T - L right is
 *	  score(L) + score(R) - score(T),   score(s) = sum_k G_k^2 / (H + l2)
 * which is XGBoost's split gain for gradient boosting (one channel: the
 * gradient, H the hessian) and, with l2 = 0, the weighted Gini decrease
 * (channels: per-class weights, H the total weight) or the variance
 * decrease (channel: the weighted target sum) of CART.
 *
 * A feature's bins are searched in compact form: the occupied bins in bin
 * order, read off a histogram or summed straight from a small node's rows
 * (tree_hist_compact).  Numeric features: every threshold between occupied
 * bins, each tried with the node's missing values on the left and on the
 * right (when the node has none, they follow the heavier child); boosting
 * scans its histograms directly (scan_numeric_gh, the hot path).
 * Categorical features with fewer categories than max_cat_to_onehot
 * (XGBoost's name; the single tree's and the forests' default: always)
 * split one category against the rest, as a split on its one-hot column
 * would: ordered partitions of a many-valued feature fit noise in the small
 * nodes of deep trees.  With more (boosting's default: 4 or more),
 * LightGBM's method: occupied categories sorted by G / (H + cat_smooth) --
 * the share of the node's most frequent class for classification trees --
 * and every prefix of that order tried as the left set; categories with
 * less than a quarter of cat_smooth hessian in the node are pooled into one
 * item first.  Extra trees draw one threshold (one random category, or one
 * random category subset) per feature instead.
 *
 * Called from worker threads: no am_* functions here.
 */
#include "tree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WIDTH (TREE_MAX_CLASSES + 2)
#define CAT_POOL_SHARE 0.25		/* of cat_smooth: smaller categories are pooled */

typedef struct CatItem
{
	double		key;
	int			bin;
	const double *slot;
} CatItem;

static inline uint64_t
mix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t
below(uint64_t *state, uint64_t n)
{
	return mix64(state) % n;
}

/* Row count of statistics (or the hessian when it counts rows). */
static inline double
count_of(const TreeSplitContext *sc, const double *s)
{
	return sc->count ? s[sc->width - 1] : s[sc->n_channels];
}

static inline bool
child_ok(const TreeSplitContext *sc, double h, double c)
{
	const TreeGrowConfig *cfg = sc->cfg;

	if (!(h > 0) || h < cfg->min_child_weight)
		return false;
	if ((sc->count || cfg->hess_is_count) && c < cfg->min_samples_leaf)
		return false;
	return true;
}

static inline bool
slot_empty(const TreeSplitContext *sc, const double *e)
{
	for (int c = 0; c < sc->width; c++)
		if (e[c] != 0)
			return false;
	return true;
}

double
tree_stats_score(const TreeSplitContext *sc, const double *s)
{
	int			K = sc->n_channels;
	double		d = s[K] + sc->cfg->l2,
				sum = 0.0;

	if (!(d > 0))
		return 0.0;
	for (int k = 0; k < K; k++)
		sum += s[k] * s[k];
	return sum / d;
}

static void
record(GrowSplit *best, double gain, int feature, int bin, bool missing_left)
{
	best->gain = gain;
	best->feature = feature;
	best->bin = (int16_t) bin;
	best->missing_left = missing_left;
	best->categorical = false;
}

/*
 * Gain of left statistics L (missing values excluded) against the node
 * total T, with the missing statistics M added to the left or not.
 * Returns -inf for an invalid split.
 */
static double
gain_of(const TreeSplitContext *sc, const double *L, const double *M, bool missing_left,
		const double *T, double parent)
{
	double		l[MAX_WIDTH],
				r[MAX_WIDTH];
	int			S = sc->width,
				K = sc->n_channels;
	double		sl,
				sr;

	for (int c = 0; c < S; c++)
	{
		l[c] = L[c] + (missing_left ? M[c] : 0.0);
		r[c] = T[c] - l[c];
	}
	if (!child_ok(sc, l[K], count_of(sc, l)) || !child_ok(sc, r[K], count_of(sc, r)))
		return -INFINITY;
	sl = tree_stats_score(sc, l);
	sr = tree_stats_score(sc, r);
	if (!(sl + sr - parent > 1e-10 * (sl + sr)))
		return -INFINITY;
	return sl + sr - parent;
}

/* Try L with missing left and right (or once, missing to the heavier side). */
static void
consider(const TreeSplitContext *sc, const double *L, const double *M, bool has_missing,
		 const double *T, double parent, int feature, int bin, GrowSplit *best,
		 bool *took_missing_left)
{
	int			K = sc->n_channels;

	for (int ml = 0; ml <= (has_missing ? 1 : 0); ml++)
	{
		double		gain = gain_of(sc, L, M, ml, T, parent);

		if (gain > best->gain)
		{
			bool		left = has_missing ? ml : (L[K] >= T[K] - L[K]);

			record(best, gain, feature, bin, left);
			if (took_missing_left)
				*took_missing_left = left;
		}
	}
}

/* The boosting hot path: one channel, no count, every threshold. */
static void
scan_numeric_gh(const TreeSplitContext *sc, const double *fh, int nb, const double *T,
				int feature, GrowSplit *best)
{
	const TreeGrowConfig *cfg = sc->cfg;
	double		l2 = cfg->l2,
				mcw = cfg->min_child_weight;
	double		msl = cfg->hess_is_count ? cfg->min_samples_leaf : 0.0;
	const double *miss = fh + 2 * (size_t) nb;
	double		G = T[0],
				H = T[1];
	double		gm = miss[0],
				hm = miss[1];
	bool		has_missing = gm != 0 || hm != 0;
	double		parent = G * G / (H + l2);
	double		GL = 0,
				HL = 0;

	for (int t = 0; t < nb - 1; t++)
	{
		const double *e = fh + 2 * (size_t) t;

		if (e[0] == 0 && e[1] == 0)
			continue;
		GL += e[0];
		HL += e[1];
		for (int ml = 0; ml <= (has_missing ? 1 : 0); ml++)
		{
			double		gl = GL + (ml ? gm : 0.0),
						hl = HL + (ml ? hm : 0.0);
			double		gr = G - gl,
						hr = H - hl;
			double		sl,
						sr,
						gain;

			if (!(hl > 0) || !(hr > 0) || hl < mcw || hr < mcw || hl < msl || hr < msl)
				continue;
			sl = gl * gl / (hl + l2);
			sr = gr * gr / (hr + l2);
			gain = sl + sr - parent;
			if (gain > best->gain && gain > 1e-10 * (sl + sr))
				record(best, gain, feature, t, has_missing ? ml : hl >= hr);
		}
	}
}

/* ---------- the compact form: occupied bins in bin order ---------- */

/* Occupied value bins of a feature in a node, from its histogram slots. */
static void
compact_from_hist(const TreeSplitContext *sc, const double *fh, int nb, TreeCompact *c)
{
	int			S = sc->width;

	c->m = 0;
	c->nb = nb;
	for (int b = 0; b < nb; b++)
		if (!slot_empty(sc, fh + (size_t) S * b))
		{
			c->bin[c->m] = (uint8_t) b;
			c->slot[c->m++] = fh + (size_t) S * b;
		}
	c->miss = fh + (size_t) S * nb;
}

static void
scan_numeric(const TreeSplitContext *sc, const TreeCompact *c, const double *T,
			 double parent, int feature, GrowSplit *best)
{
	int			S = sc->width;
	bool		has_missing = !slot_empty(sc, c->miss);
	double		L[MAX_WIDTH];

	memset(L, 0, sizeof(double) * S);
	for (int i = 0; i < c->m && c->bin[i] < c->nb - 1; i++)
	{
		for (int k = 0; k < S; k++)
			L[k] += c->slot[i][k];
		consider(sc, L, c->miss, has_missing, T, parent, feature, c->bin[i], best, NULL);
	}
}

/* Extra trees: one threshold drawn between the lowest and highest occupied bin. */
static void
random_numeric(const TreeSplitContext *sc, const TreeCompact *c, const double *T,
			   double parent, int feature, uint64_t *rng, GrowSplit *best)
{
	int			S = sc->width,
				t;
	double		L[MAX_WIDTH];

	if (c->m < 2)
		return;
	t = c->bin[0] + (int) below(rng, (uint64_t) (c->bin[c->m - 1] - c->bin[0]));
	memset(L, 0, sizeof(double) * S);
	for (int i = 0; i < c->m && c->bin[i] <= t; i++)
		for (int k = 0; k < S; k++)
			L[k] += c->slot[i][k];
	consider(sc, L, c->miss, !slot_empty(sc, c->miss), T, parent, feature, t, best, NULL);
}

static int
cmp_item(const void *a, const void *b)
{
	const CatItem *x = a,
			   *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->bin - y->bin;
}

/* The channel categories are ordered by: the node's top class, or the gradient. */
static int
cat_key_channel(const TreeSplitContext *sc, const double *T)
{
	int			top = 0;

	/* classification trees order by the share of the node's top class */
	if (sc->cfg->mode == TREE_STATS_CLASS)
		for (int k = 1; k < sc->n_channels; k++)
			if (T[k] > T[top])
				top = k;
	return top;
}

/* Occupied categories of a node with their ordering key. */
static int
cat_items(const TreeSplitContext *sc, const TreeCompact *c, const double *T,
		  CatItem *items)
{
	int			K = sc->n_channels,
				top = cat_key_channel(sc, T);
	double		smooth = sc->cfg->cat_smooth;

	for (int i = 0; i < c->m; i++)
	{
		items[i].bin = c->bin[i];
		items[i].slot = c->slot[i];
		items[i].key = c->slot[i][top] / (c->slot[i][K] + smooth);
	}
	return c->m;
}

/*
 * Categories with less hessian (weight) in the node than CAT_POOL_SHARE x
 * cat_smooth are too small to be placed by their own statistics, which would mostly be noise
 * (LightGBM's min_data_per_group): they go together as one item, bin -1,
 * ordered by their pooled statistics.  Returns the new item count.
 */
static int
pool_small_items(const TreeSplitContext *sc, const double *T, CatItem *items, int n,
				 double *pooled, int *small_bins, int *n_small)
{
	int			K = sc->n_channels,
				S = sc->width,
				kept = 0;
	double		least = sc->cfg->cat_smooth * CAT_POOL_SHARE;

	*n_small = 0;
	memset(pooled, 0, sizeof(double) * S);
	for (int i = 0; i < n; i++)
	{
		if (items[i].slot[K] < least)
		{
			for (int j = 0; j < S; j++)
				pooled[j] += items[i].slot[j];
			small_bins[(*n_small)++] = items[i].bin;
		}
		else
			items[kept++] = items[i];
	}
	if (*n_small > 0)
	{
		items[kept].bin = -1;
		items[kept].slot = pooled;
		items[kept].key = pooled[cat_key_channel(sc, T)] / (pooled[K] + sc->cfg->cat_smooth);
		kept++;
	}
	return kept;
}

static void
set_bits(GrowSplit *s, const CatItem *items, int n_left, const int *small_bins, int n_small)
{
	memset(s->cat_bins, 0, sizeof(s->cat_bins));
	for (int i = 0; i < n_left; i++)
	{
		if (items[i].bin < 0)
		{
			for (int k = 0; k < n_small; k++)
				s->cat_bins[small_bins[k] >> 5] |= 1u << (small_bins[k] & 31);
			continue;
		}
		s->cat_bins[items[i].bin >> 5] |= 1u << (items[i].bin & 31);
	}
	s->categorical = true;
	s->bin = 0;
}

/*
 * One category against the rest, as a split on a one-hot column would be:
 * every occupied category tried alone on the left, or (extra trees) one
 * drawn at random.
 */
static void
scan_one_vs_rest(const TreeSplitContext *sc, const TreeCompact *c, const double *T,
				 double parent, int feature, uint64_t *rng, CatItem *items, int n,
				 GrowSplit *best)
{
	bool		has_missing = !slot_empty(sc, c->miss);
	int			first = 0,
				end = n;

	if (sc->cfg->random_thresholds)
	{
		first = (int) below(rng, (uint64_t) n);
		end = first + 1;
	}
	for (int i = first; i < end; i++)
	{
		double		before = best->gain;

		consider(sc, items[i].slot, c->miss, has_missing, T, parent, feature, 0, best, NULL);
		if (best->gain > before)
			set_bits(best, items + i, 1, NULL, 0);
	}
}

static void
scan_categorical(const TreeSplitContext *sc, const TreeCompact *c, const double *T,
				 double parent, int feature, uint64_t *rng, GrowSplit *best)
{
	int			S = sc->width;
	bool		has_missing = !slot_empty(sc, c->miss);
	CatItem		items[TREE_MAX_BINS + 1];
	int			n = cat_items(sc, c, T, items);
	double		L[MAX_WIDTH];
	double		pooled[MAX_WIDTH];
	int			small_bins[TREE_MAX_BINS + 1];
	int			n_small = 0;
	int			best_prefix = -1;

	if (n < 2)
		return;
	memset(L, 0, sizeof(double) * S);
	if (sc->m->features[feature].n_bins < sc->cfg->max_cat_to_onehot)
	{
		scan_one_vs_rest(sc, c, T, parent, feature, rng, items, n, best);
		return;
	}
	if (sc->cfg->random_thresholds)
	{
		/* a random non-trivial subset, kept as a prefix of items */
		int			k = 0;
		double		before = best->gain;

		for (int i = 0; i < n; i++)
			if (below(rng, 2))
			{
				CatItem		t = items[k];

				items[k++] = items[i];
				items[i] = t;
			}
		if (k == 0 || k == n)
			k = 1 + (int) below(rng, (uint64_t) (n - 1));
		for (int i = 0; i < k; i++)
			for (int j = 0; j < S; j++)
				L[j] += items[i].slot[j];
		consider(sc, L, c->miss, has_missing, T, parent, feature, 0, best, NULL);
		if (best->gain > before)
			set_bits(best, items, k, NULL, 0);
		return;
	}
	n = pool_small_items(sc, T, items, n, pooled, small_bins, &n_small);
	if (n < 2)
		return;
	qsort(items, n, sizeof(CatItem), cmp_item);
	for (int i = 0; i + 1 < n; i++)
	{
		double		before = best->gain;

		for (int j = 0; j < S; j++)
			L[j] += items[i].slot[j];
		consider(sc, L, c->miss, has_missing, T, parent, feature, 0, best, NULL);
		if (best->gain > before)
			best_prefix = i + 1;
	}
	if (best_prefix > 0 && best->feature == feature)
		set_bits(best, items, best_prefix, small_bins, n_small);
}

void
tree_split_compact(const TreeSplitContext *sc, const TreeCompact *c, const double *total,
				   int feature, uint64_t seed, GrowSplit *best)
{
	uint64_t	rng = seed;
	double		parent = tree_stats_score(sc, total);

	if (sc->m->features[feature].categorical)
		scan_categorical(sc, c, total, parent, feature, &rng, best);
	else if (c->nb < 2)
		return;
	else if (sc->cfg->random_thresholds)
		random_numeric(sc, c, total, parent, feature, &rng, best);
	else
		scan_numeric(sc, c, total, parent, feature, best);
}

void
tree_split_feature(const TreeSplitContext *sc, const double *hist, const double *total,
				   int feature, uint64_t seed, GrowSplit *best)
{
	const TreeFeatureBins *f = &sc->m->features[feature];
	const double *fh = hist + (size_t) sc->width * sc->m->hist_offset[feature];
	TreeCompact c;

	if (!f->categorical && !sc->cfg->random_thresholds &&
		sc->cfg->mode == TREE_STATS_GH && sc->width == 2)
	{
		if (f->n_bins >= 2)
			scan_numeric_gh(sc, fh, f->n_bins, total, feature, best);
		return;
	}
	compact_from_hist(sc, fh, f->n_bins, &c);
	tree_split_compact(sc, &c, total, feature, seed, best);
}

void
tree_split_compact_left(const TreeSplitContext *sc, const TreeCompact *c,
						const GrowSplit *s, double *left)
{
	int			S = sc->width;

	memset(left, 0, sizeof(double) * S);
	for (int i = 0; i < c->m; i++)
		if (grow_split_goes_left(s, c->bin[i], c->nb))
			for (int k = 0; k < S; k++)
				left[k] += c->slot[i][k];
	if (s->missing_left)
		for (int k = 0; k < S; k++)
			left[k] += c->miss[k];
}

void
tree_split_left_stats(const TreeSplitContext *sc, const double *hist, const GrowSplit *s,
					  double *left)
{
	const TreeFeatureBins *f = &sc->m->features[s->feature];
	TreeCompact c;

	compact_from_hist(sc, hist + (size_t) sc->width * sc->m->hist_offset[s->feature],
					  f->n_bins, &c);
	tree_split_compact_left(sc, &c, s, left);
}
