/*
 * cv.c
 *	  Fold assignment (see cv.h).
 */
#include "cv.h"

#include "core.h"
#include "rng.h"

int *
am_cv_folds(const double *y, int n, AmTask task, int n_classes, int k, uint64_t seed)
{
	int		   *fold = AM_NEW(int, n);
	int		   *order = AM_NEW(int, n);
	AmRng		rng;
	int			next = 0;

	am_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
		order[i] = i;
	am_rng_shuffle(&rng, order, n);

	if (AM_TASK_IS_CLASSIFICATION(task))
	{
		/*
		 * Deal the shuffled rows of each class round-robin, continuing the
		 * count across classes, so every fold gets each class's share and the
		 * fold sizes differ by at most one.
		 */
		int		   *start = AM_NEW0(int, n_classes + 1);
		int		   *by_class = AM_NEW(int, n);

		for (int i = 0; i < n; i++)
			start[(int) y[i] + 1]++;
		for (int c = 0; c < n_classes; c++)
			start[c + 1] += start[c];
		for (int t = 0; t < n; t++)
			by_class[start[(int) y[order[t]]]++] = order[t];
		for (int t = 0; t < n; t++)
			fold[by_class[t]] = next++ % k;
		am_free(start);
		am_free(by_class);
	}
	else
	{
		for (int t = 0; t < n; t++)
			fold[order[t]] = t % k;
	}
	am_free(order);
	return fold;
}

void
am_cv_split(const int *fold, int n, int f, int **train, int *n_train,
			int **valid, int *n_valid)
{
	int			nv = 0;

	for (int i = 0; i < n; i++)
		if (fold[i] == f)
			nv++;
	*train = AM_NEW(int, n - nv > 0 ? n - nv : 1);
	*valid = AM_NEW(int, nv > 0 ? nv : 1);
	*n_train = 0;
	*n_valid = 0;
	for (int i = 0; i < n; i++)
	{
		if (fold[i] == f)
			(*valid)[(*n_valid)++] = i;
		else
			(*train)[(*n_train)++] = i;
	}
}
