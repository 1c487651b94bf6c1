/*
 * tree_data.c
 *	  The checked training input of a tree family: class labels, row
 *	  weights (times class weights), and the binned training rows taken from
 *	  the shared prepare() bins.
 */
#include "tree.h"

#include <math.h>

const char *const tree_class_weight_choices[] = {"none", "balanced", NULL};

static bool
check_rows(const AmFitInput *in, AmErr *err)
{
	const AmDataset *d = in->data;

	if (d == NULL || in->rows == NULL || in->y == NULL)
	{
		am_err_set(err, AM_ERR_DATA, "tree models need the raw training rows");
		return false;
	}
	if (in->n < 1 || d->n_features < 1 || in->p != d->n_features)
	{
		am_err_set(err, AM_ERR_DATA, "no rows or no features to fit");
		return false;
	}
	if (d->n_features > TREE_MAX_FEATURES)
	{
		am_err_set(err, AM_ERR_DATA, "tree models take at most %d features, not %d",
				   TREE_MAX_FEATURES, d->n_features);
		return false;
	}
	for (int i = 0; i < in->n; i++)
		if (in->rows[i] < 0 || in->rows[i] >= d->n_rows)
		{
			am_err_set(err, AM_ERR_DATA, "training row %d is out of range", in->rows[i]);
			return false;
		}
	return true;
}

static bool
read_labels(const AmFitInput *in, TreeFitData *fd, AmErr *err)
{
	if (in->task == AM_TASK_REGRESSION)
	{
		for (int i = 0; i < in->n; i++)
			if (!isfinite(in->y[i]))
			{
				am_err_set(err, AM_ERR_DATA, "the target has a non-finite value");
				return false;
			}
		return true;
	}
	if (in->n_classes < 2 || in->n_classes > TREE_MAX_CLASSES ||
		(in->task == AM_TASK_BINARY && in->n_classes != 2))
	{
		am_err_set(err, AM_ERR_DATA, "tree models support 2 to %d classes, not %d",
				   TREE_MAX_CLASSES, in->n_classes);
		return false;
	}
	fd->cls = AM_NEW(int32_t, in->n);
	for (int i = 0; i < in->n; i++)
	{
		double		y = in->y[i];

		if (!(y >= 0 && y < in->n_classes) || y != floor(y))
		{
			am_err_set(err, AM_ERR_DATA, "class index %g out of range", y);
			return false;
		}
		fd->cls[i] = (int32_t) y;
	}
	return true;
}

static bool
read_weights(const AmFitInput *in, TreeFitData *fd, int class_weight, AmErr *err)
{
	int			n = in->n;

	fd->w = AM_NEW(double, n);
	for (int i = 0; i < n; i++)
	{
		fd->w[i] = in->w ? in->w[i] : 1.0;
		if (!isfinite(fd->w[i]) || fd->w[i] < 0)
		{
			am_err_set(err, AM_ERR_DATA, "sample weights must be finite and not negative");
			return false;
		}
	}
	if (class_weight == TREE_CLASS_WEIGHT_BALANCED && fd->cls != NULL)
	{
		int			K = in->n_classes;
		double	   *count = AM_NEW0(double, K);

		for (int i = 0; i < n; i++)
			count[fd->cls[i]] += 1;
		for (int i = 0; i < n; i++)
			fd->w[i] *= (double) n / (K * count[fd->cls[i]]);
		am_free(count);
	}
	fd->w_sum = 0.0;
	fd->weighted = false;
	for (int i = 0; i < n; i++)
	{
		fd->w_sum += fd->w[i];
		fd->weighted |= fd->w[i] != 1.0;
	}
	if (!(fd->w_sum > 0))
	{
		am_err_set(err, AM_ERR_DATA, "sample weights sum to zero");
		return false;
	}
	return true;
}

TreeFitData *
tree_fit_data(const AmFitInput *in, int max_bins, int class_weight, AmErr *err)
{
	TreeFitData *fd;
	const TreeBinned *b;

	if (!check_rows(in, err))
		return NULL;
	b = in->prepared ? in->prepared : tree_prepare(in->data, err);
	if (b == NULL)
		return NULL;
	if (b->n_rows != in->data->n_rows || b->p != in->data->n_features)
	{
		am_err_set(err, AM_ERR_DATA, "the prepared bins do not match the dataset");
		return NULL;
	}
	fd = AM_NEW0(TreeFitData, 1);
	fd->binned = b;
	if (!read_labels(in, fd, err) || !read_weights(in, fd, class_weight, err))
		return NULL;
	fd->m = tree_matrix_build(b, in->rows, in->n, max_bins < 2 ? 2 : max_bins);
	return fd;
}
