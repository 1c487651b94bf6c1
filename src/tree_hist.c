/*
 * tree_hist.c
 *	  Gradient/hessian (or class-count) histograms of a node's rows over the
 *	  bins of its features.
 *
 * A histogram has hist_bins slots (every bin of every feature, missing
 * bins included); a slot holds S doubles: the gradient channels (one, or
 * one per class), the hessian (weight) sum and, when min_samples_leaf needs
 * it and the hessian is not already a count, a row count.
 *
 * Nodes are cut into blocks of BLOCK_ROWS rows.  Block 0 of a node is summed
 * straight into the node's histogram, later blocks into partial histograms
 * that are then added in block order.  Blocks run on any thread in any
 * order, but every slot is summed in the same order whatever the thread
 * count, so one and two threads grow bit-identical trees.
 */
#include "tree.h"

#include <string.h>

#define BLOCK_ROWS 32768		/* a partial histogram costs a zeroing and a sum */
#define PARALLEL_ROWS 4096		/* fewer rows in a phase: no hand-off */
#define PREFETCH_ROWS 16

/* ---------- single-block kernels ---------- */

static void
zero_features(const TreeHistContext *hc, double *hist, const int *features, int nf)
{
	const int  *off = hc->m->hist_offset;
	int			S = hc->width;

	if (features == NULL)
		memset(hist, 0, sizeof(double) * (size_t) off[hc->m->p] * S);
	else
		for (int k = 0; k < nf; k++)
		{
			int			j = features[k];

			memset(hist + (size_t) off[j] * S, 0,
				   sizeof(double) * (size_t) (off[j + 1] - off[j]) * S);
		}
}

/*
 * The hot loop of gradient boosting: S = 2 (g, h), every feature.  Rows
 * alternate between two histograms (hist and other, which may be the same)
 * so that rows falling in the same bin do not wait for each other.
 */
static void
gh2_all(const TreeMatrix *m, const int32_t *rows, int n, const double *gh, double *hist,
		double *other)
{
	const int	p = m->p;
	const int  *off = m->hist_offset;
	const uint8_t *bins = m->bins;
	int			i;

	for (i = 0; i + 1 < n; i += 2)
	{
		const uint8_t *b0 = bins + (size_t) rows[i] * p,
				   *b1 = bins + (size_t) rows[i + 1] * p;
		double		g0 = gh[2 * (size_t) rows[i]],
					h0 = gh[2 * (size_t) rows[i] + 1],
					g1 = gh[2 * (size_t) rows[i + 1]],
					h1 = gh[2 * (size_t) rows[i + 1] + 1];

		/* rows of deep nodes are scattered: fetch ahead */
		if (i + PREFETCH_ROWS + 1 < n)
		{
			__builtin_prefetch(bins + (size_t) rows[i + PREFETCH_ROWS] * p);
			__builtin_prefetch(bins + (size_t) rows[i + PREFETCH_ROWS + 1] * p);
			__builtin_prefetch(gh + 2 * (size_t) rows[i + PREFETCH_ROWS]);
			__builtin_prefetch(gh + 2 * (size_t) rows[i + PREFETCH_ROWS + 1]);
		}

		for (int j = 0; j < p; j++)
		{
			double	   *e0 = hist + 2 * (size_t) (off[j] + b0[j]);
			double	   *e1 = other + 2 * (size_t) (off[j] + b1[j]);

			e0[0] += g0;
			e0[1] += h0;
			e1[0] += g1;
			e1[1] += h1;
		}
	}
	for (; i < n; i++)
	{
		const uint8_t *b = bins + (size_t) rows[i] * p;
		double		g = gh[2 * (size_t) rows[i]],
					h = gh[2 * (size_t) rows[i] + 1];

		for (int j = 0; j < p; j++)
		{
			double	   *e = hist + 2 * (size_t) (off[j] + b[j]);

			e[0] += g;
			e[1] += h;
		}
	}
}

static void
gh2_list(const TreeMatrix *m, const int32_t *rows, int n, const double *gh,
		 const int *features, int nf, double *hist)
{
	const int	p = m->p;
	const int  *off = m->hist_offset;
	const uint8_t *bins = m->bins;

	for (int i = 0; i < n; i++)
	{
		int32_t		r = rows[i];
		const uint8_t *b = bins + (size_t) r * p;
		double		g = gh[2 * (size_t) r],
					h = gh[2 * (size_t) r + 1];

		for (int k = 0; k < nf; k++)
		{
			int			j = features[k];
			double	   *e = hist + 2 * (size_t) (off[j] + b[j]);

			e[0] += g;
			e[1] += h;
		}
	}
}

static void
gh3(const TreeMatrix *m, const int32_t *rows, int n, const double *gh,
	const int *features, int nf, double *hist)
{
	const int	p = m->p;
	const int  *off = m->hist_offset;
	const uint8_t *bins = m->bins;

	for (int i = 0; i < n; i++)
	{
		int32_t		r = rows[i];
		const uint8_t *b = bins + (size_t) r * p;
		double		g = gh[2 * (size_t) r],
					h = gh[2 * (size_t) r + 1];

		for (int k = 0; k < nf; k++)
		{
			int			j = features ? features[k] : k;
			double	   *e = hist + 3 * (size_t) (off[j] + b[j]);

			e[0] += g;
			e[1] += h;
			e[2] += 1.0;
		}
	}
}

/* Class mode: channel cls[r] and the weight channel K get the row weight. */
static void
class_counts(const TreeHistContext *hc, const int32_t *rows, int n,
			 const int *features, int nf, double *hist)
{
	const TreeMatrix *m = hc->m;
	const int	p = m->p,
				S = hc->width,
				K = hc->n_channels;
	const int  *off = m->hist_offset;
	const uint8_t *bins = m->bins;

	for (int i = 0; i < n; i++)
	{
		int32_t		r = rows[i];
		const uint8_t *b = bins + (size_t) r * p;
		double		w = hc->weight ? hc->weight[r] : 1.0;
		int			c = hc->cls[r];

		for (int k = 0; k < nf; k++)
		{
			int			j = features ? features[k] : k;
			double	   *e = hist + (size_t) S * (off[j] + b[j]);

			e[c] += w;
			e[K] += w;
			if (hc->count)
				e[K + 1] += 1.0;
		}
	}
}

void
tree_hist_build_rows(const TreeHistContext *hc, const TreeHistJob *job, int thread)
{
	const TreeMatrix *m = hc->m;
	int			nf = job->features ? job->n_features : m->p;

	zero_features(hc, job->out, job->features, nf);
	if (hc->mode == TREE_STATS_CLASS)
		class_counts(hc, job->rows, job->n_rows, job->features, nf, job->out);
	else if (hc->count)
		gh3(m, job->rows, job->n_rows, hc->gh, job->features, nf, job->out);
	else if (job->features == NULL)
	{
		size_t		slots = (size_t) m->hist_bins * 2;
		double	   *other = hc->replicas ? hc->replicas + slots * thread : NULL;

		/* a second histogram pays off when rows outnumber its slots */
		if (other == NULL || job->n_rows < m->hist_bins)
			gh2_all(m, job->rows, job->n_rows, hc->gh, job->out, job->out);
		else
		{
			memset(other, 0, sizeof(double) * slots);
			gh2_all(m, job->rows, job->n_rows, hc->gh, job->out, other);
			for (size_t i = 0; i < slots; i++)
				job->out[i] += other[i];
		}
	}
	else
		gh2_list(m, job->rows, job->n_rows, hc->gh, job->features, nf, job->out);
}

/* Add one row's statistics to a slot. */
static inline void
add_row(const TreeHistContext *hc, int32_t r, double *e)
{
	if (hc->mode == TREE_STATS_CLASS)
	{
		double		w = hc->weight ? hc->weight[r] : 1.0;

		e[hc->cls[r]] += w;
		e[hc->n_channels] += w;
	}
	else
	{
		e[0] += hc->gh[2 * (size_t) r];
		e[1] += hc->gh[2 * (size_t) r + 1];
	}
	if (hc->count)
		e[hc->width - 1] += 1.0;
}

static bool
all_zero(const double *e, int S)
{
	for (int k = 0; k < S; k++)
		if (e[k] != 0)
			return false;
	return true;
}

void
tree_hist_compact(const TreeHistContext *hc, const int32_t *rows, int n, int feature,
				  double *scratch, TreeCompact *c)
{
	const TreeMatrix *m = hc->m;
	const uint8_t *bins = m->bins + feature;
	int			S = hc->width,
				nb = m->features[feature].n_bins;
	uint32_t	key[TREE_SPARSE_ROWS];
	double	   *miss = scratch + (size_t) n * S;

	/* rows by bin, stable (the row's place breaks ties) */
	if (n <= 24)
		for (int i = 0; i < n; i++)
		{
			uint32_t	k = (uint32_t) bins[(size_t) rows[i] * m->p] << 16 | (uint32_t) i;
			int			j = i;

			while (j > 0 && key[j - 1] > k)
			{
				key[j] = key[j - 1];
				j--;
			}
			key[j] = k;
		}
	else
	{
		int			start[TREE_MAX_BINS + 2] = {0};

		for (int i = 0; i < n; i++)
			start[bins[(size_t) rows[i] * m->p] + 1]++;
		for (int b = 0; b <= nb; b++)
			start[b + 1] += start[b];
		for (int i = 0; i < n; i++)
		{
			int			b = bins[(size_t) rows[i] * m->p];

			key[start[b]++] = (uint32_t) b << 16 | (uint32_t) i;
		}
	}
	memset(miss, 0, sizeof(double) * S);
	c->m = 0;
	c->nb = nb;
	c->miss = miss;
	for (int i = 0; i < n; i++)
	{
		int			b = (int) (key[i] >> 16);
		double	   *e;

		if (b == nb)
			e = miss;
		else
		{
			if (c->m == 0 || c->bin[c->m - 1] != b)
			{
				e = scratch + (size_t) c->m * S;
				memset(e, 0, sizeof(double) * S);
				c->bin[c->m] = (uint8_t) b;
				c->slot[c->m++] = e;
			}
			e = (double *) c->slot[c->m - 1];
		}
		add_row(hc, rows[key[i] & 0xFFFF], e);
	}
	/* a bin whose rows sum to nothing is empty for a histogram too */
	{
		int			kept = 0;

		for (int i = 0; i < c->m; i++)
			if (!all_zero(c->slot[i], S))
			{
				c->bin[kept] = c->bin[i];
				c->slot[kept++] = c->slot[i];
			}
		c->m = kept;
	}
}

void
tree_hist_subtract(const TreeHistContext *hc, double *parent, const double *sibling,
				   const int *features, int n_features)
{
	const int  *off = hc->m->hist_offset;
	int			S = hc->width;
	int			nf = features ? n_features : hc->m->p;

	if (features == NULL)
	{
		size_t		n = (size_t) off[hc->m->p] * S;

		for (size_t i = 0; i < n; i++)
			parent[i] -= sibling[i];
		return;
	}
	for (int k = 0; k < nf; k++)
	{
		int			j = features[k];
		size_t		lo = (size_t) off[j] * S,
					hi = (size_t) off[j + 1] * S;

		for (size_t i = lo; i < hi; i++)
			parent[i] -= sibling[i];
	}
}

/* ---------- the parallel driver ---------- */

/*
 * The blocks of all jobs, numbered job by job, block by block; a round
 * runs blocks [g0, g1) of which at most n_partials are partial (block > 0).
 */
typedef struct HistPhase
{
	TreeHistContext *hc;
	TreeHistJob *jobs;
	int			n_jobs;
	int		   *block_start;	/* n_jobs + 1 prefix sums of blocks */
	int			g0;
	int			g1;
	int			j0;				/* jobs touched by the round */
	int			j1;
	int			max_features;
	int			partials_before;	/* partial blocks before g0 */
} HistPhase;

static int
job_of_block(const HistPhase *ph, int g)
{
	int			lo = 0,
				hi = ph->n_jobs - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (ph->block_start[mid] <= g)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Partial buffer of global block g (block > 0 of job "job"). */
static double *
partial_of(const HistPhase *ph, int g, int job)
{
	int			rank = g - (job + 1);	/* partial blocks before g */

	return ph->hc->partials +
		(size_t) (rank - ph->partials_before) * ph->hc->m->hist_bins * ph->hc->width;
}

static void
build_block_task(void *arg, int task, int thread)
{
	HistPhase  *ph = arg;
	int			g = ph->g0 + task;
	int			job = job_of_block(ph, g);
	int			b = g - ph->block_start[job];
	TreeHistJob *jb = &ph->jobs[job];
	TreeHistJob piece = *jb;
	int			lo = b * BLOCK_ROWS;

	piece.rows = jb->rows + lo;
	piece.n_rows = jb->n_rows - lo < BLOCK_ROWS ? jb->n_rows - lo : BLOCK_ROWS;
	if (b > 0)
		piece.out = partial_of(ph, g, job);
	tree_hist_build_rows(ph->hc, &piece, thread);
}

static void
reduce_task(void *arg, int task, int thread)
{
	HistPhase  *ph = arg;
	int			job = ph->j0 + task / ph->max_features;
	int			k = task % ph->max_features;
	TreeHistJob *jb = &ph->jobs[job];
	int			nf = jb->features ? jb->n_features : ph->hc->m->p;
	int			j,
				S = ph->hc->width;
	size_t		lo,
				hi;
	int			gs,
				ge;

	AM_UNUSED(thread);
	if (k >= nf)
		return;
	j = jb->features ? jb->features[k] : k;
	lo = (size_t) ph->hc->m->hist_offset[j] * S;
	hi = (size_t) ph->hc->m->hist_offset[j + 1] * S;
	gs = ph->block_start[job] + 1;	/* partial blocks of this job in the round */
	ge = ph->block_start[job + 1];
	if (gs < ph->g0)
		gs = ph->g0;
	if (ge > ph->g1)
		ge = ph->g1;
	for (int g = gs; g < ge; g++)
	{
		const double *part = partial_of(ph, g, job);

		for (size_t i = lo; i < hi; i++)
			jb->out[i] += part[i];
	}
}

void
tree_hist_build(TreeHistContext *hc, TreeHistJob *jobs, int n_jobs)
{
	HistPhase	ph;
	int		   *block_start = hc->job_blocks;
	int			total;

	if (n_jobs <= 0)
		return;
	memset(&ph, 0, sizeof(ph));
	ph.hc = hc;
	ph.jobs = jobs;
	ph.n_jobs = n_jobs;
	ph.block_start = block_start;
	block_start[0] = 0;
	ph.max_features = 1;
	for (int j = 0; j < n_jobs; j++)
	{
		int			nb = (jobs[j].n_rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
		int			nf = jobs[j].features ? jobs[j].n_features : hc->m->p;

		block_start[j + 1] = block_start[j] + (nb < 1 ? 1 : nb);
		if (nf > ph.max_features)
			ph.max_features = nf;
	}
	total = block_start[n_jobs];
	for (int g0 = 0; g0 < total;)
	{
		int			g1 = g0,
					partials = 0;
		long		rows = 0;

		/* extend the round while partial buffers last */
		while (g1 < total)
		{
			int			job = job_of_block(&ph, g1);
			bool		partial = g1 > block_start[job];

			if (partial && partials == hc->n_partials)
				break;
			partials += partial;
			rows += jobs[job].n_rows - (g1 - block_start[job]) * BLOCK_ROWS < BLOCK_ROWS ?
				jobs[job].n_rows - (g1 - block_start[job]) * BLOCK_ROWS : BLOCK_ROWS;
			g1++;
		}
		ph.g0 = g0;
		ph.g1 = g1;
		{
			int			j = job_of_block(&ph, g0);

			ph.partials_before = g0 - (j + (block_start[j] < g0 ? 1 : 0));
		}
		am_pool_run_if(hc->pool, rows >= PARALLEL_ROWS, g1 - g0, build_block_task, &ph);
		if (partials > 0)
		{
			ph.j0 = job_of_block(&ph, g0);
			ph.j1 = job_of_block(&ph, g1 - 1);
			am_pool_run(hc->pool, (ph.j1 - ph.j0 + 1) * ph.max_features, reduce_task, &ph);
		}
		g0 = g1;
	}
}
