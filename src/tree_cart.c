/*
 * tree_cart.c
 *	  The "tree" family: one CART decision tree (Gini or variance
 *	  decrease, every feature tried at every split), grown on the binned
 *	  rows by the bagging driver of forest.c with one tree, no bootstrap.
 */
#include "tree.h"

#include <string.h>

#define TREE_FORMAT_VERSION 1

static const AmParamSpec cart_params[] = {
	{"min_samples_leaf", 1, 1, 1e6, 1, 100, true, true, NULL,
	"fewest rows in a leaf"},
	{"max_depth", 0, 0, TREE_DEPTH_LIMIT, 0, TREE_DEPTH_LIMIT, true, false, NULL,
	"deepest split level; 0 means unlimited (capped at 64)"},
	{"min_impurity_decrease", 0, 0, 1e6, 0, 0, false, false, NULL,
	"a split must lower the weighted impurity by this much (per unit of root weight)"},
	{"max_bins", 255, 2, 255, 255, 255, true, false, NULL,
	"histogram bins per feature"},
	{"class_weight", 0, 0, 1, 0, 1, true, false, tree_class_weight_choices,
	"\"balanced\" weighs classes by n / (K n_k)"},
	{"max_cat_to_onehot", 256, 0, 256, 256, 256, true, false, NULL,
	TREE_ONEHOT_HELP},
};

static const char *
cart_check_params(const AmParams *p, AmTask task)
{
	if (task == AM_TASK_REGRESSION && am_param(p, "class_weight") == TREE_CLASS_WEIGHT_BALANCED)
		return "class_weight \"balanced\" needs a classification task";
	return NULL;
}

static void *
cart_fit(const AmFitInput *in, const AmParams *p, AmErr *err)
{
	TreeBagConfig bc;

	memset(&bc, 0, sizeof(bc));
	bc.n_estimators = 1;
	bc.bootstrap = false;
	bc.split_features = 0;
	bc.max_depth = (int) am_param(p, "max_depth");
	bc.min_samples_leaf = am_param(p, "min_samples_leaf");
	bc.min_impurity_decrease = am_param(p, "min_impurity_decrease");
	bc.max_bins = (int) am_param(p, "max_bins");
	bc.class_weight = (int) am_param(p, "class_weight");
	bc.max_cat_to_onehot = (int) am_param(p, "max_cat_to_onehot");
	return tree_bagging_fit(in, &bc, err);
}

const AmFamily am_tree_family = {
	.name = "tree",
	.description = "CART decision tree",
	.format_version = TREE_FORMAT_VERSION,
	.relative_cost = 1.5,
	.complexity = 2,
	.bag_fold_models = true,
	.contributions_in_probability = true,
	.encoding = AM_ENCODING_RAW,
	.tasks = AM_TASKS_ALL,
	.params = cart_params,
	.n_params = sizeof(cart_params) / sizeof(cart_params[0]),
	.check_params = cart_check_params,
	.prepare = tree_prepare,
	.fit = cart_fit,
	.predict = tree_predict_cb,
	.serialize = tree_serialize,
	.deserialize = tree_mean_deserialize,
	.importance = tree_importance,
	.contributions = tree_contributions,
};
