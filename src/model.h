/*
 * model.h
 *	  The model-family interface: one callback table per algorithm family
 *	  (in the shape of PostgreSQL's IndexAmRoutine), hyperparameter
 *	  descriptions, and the AmModel container that binds a fitted family
 *	  model to its feature schema and preprocessing.
 *
 * A family is pure C: it sees plain arrays and knows nothing of SPI or fmgr.
 * Adding a family is one file set plus one line in model_registry.c.
 */
#ifndef AUTOML_MODEL_H
#define AUTOML_MODEL_H

#include "buf.h"
#include "core.h"
#include "dataset.h"

struct AmPrep;

/* What matrix a family wants to see. */
typedef enum AmEncoding
{
	/* imputed, standardised numbers and one-hot categoricals (prep.c) */
	AM_ENCODING_DENSE = 0,
	/* the raw features: NaN for missing, category codes as numbers */
	AM_ENCODING_RAW = 1
} AmEncoding;

#define AM_TASKS_ALL ((1u << AM_TASK_REGRESSION) | (1u << AM_TASK_BINARY) | (1u << AM_TASK_MULTICLASS))
#define AM_TASKS_CLASSIFICATION ((1u << AM_TASK_BINARY) | (1u << AM_TASK_MULTICLASS))

/* Outputs per row: 1 (regression value or P(class 1)), or K probabilities. */
static inline int
am_task_outputs(AmTask task, int n_classes)
{
	return task == AM_TASK_MULTICLASS ? n_classes : 1;
}

/* ---------- hyperparameters ---------- */

#define AM_MAX_PARAMS 24
#define AM_PARAM_NAME_LEN 32

typedef struct AmParamSpec
{
	const char *name;
	double		def;			/* default value */
	double		lo;				/* valid range (inclusive) */
	double		hi;
	double		search_lo;		/* range the search explores */
	double		search_hi;
	bool		is_int;
	bool		log_scale;
	const char *const *choices; /* value i names choices[i]; NULL-terminated */
	const char *help;
	double		cheap;			/* low-cost starting value for the search (0: def) */
} AmParamSpec;

typedef struct AmParam
{
	char		name[AM_PARAM_NAME_LEN];
	double		value;
} AmParam;

typedef struct AmParams
{
	int			n;
	AmParam		v[AM_MAX_PARAMS];
} AmParams;

extern void am_params_set(AmParams *p, const char *name, double value);
extern bool am_params_has(const AmParams *p, const char *name);
/* Value of a parameter; the family's default when unset. */
extern double am_param(const AmParams *p, const char *name);

/* ---------- fitting and predicting ---------- */

typedef struct AmFitInput
{
	AmTask		task;
	int			n_classes;
	int			n;				/* training rows */
	int			p;				/* columns in the family's encoding */

	/* AM_ENCODING_DENSE: column-major n x p matrix, column j at x + j * ld */
	const double *x;
	size_t		ld;

	/*
	 * AM_ENCODING_RAW: the whole dataset, the n training rows in it, and what
	 * the family's prepare() built once for all trials (may be NULL).
	 */
	const AmDataset *data;
	const int  *rows;
	void	   *prepared;

	const double *y;			/* n values aligned with the training rows */
	const double *w;			/* n sample weights, or NULL */
	uint64_t	seed;
	int			threads;		/* worker threads allowed */
} AmFitInput;

typedef enum AmImportanceKind
{
	AM_IMPORTANCE_GAIN = 0,		/* total loss reduction (trees), |coef| (linear) */
	AM_IMPORTANCE_SPLITS = 1	/* number of splits */
} AmImportanceKind;

typedef struct AmFamily
{
	const char *name;			/* "linear", "gbm", ... as users write it */
	const char *description;
	uint16_t	format_version; /* of the family's serialized payload */
	double		relative_cost;	/* rough fit cost next to linear = 1 (0: 1) */
	/*
	 * How much a model of this family can fit to chance, as a rank (1: a
	 * linear model ... 4: boosting, forests, networks): with "prefer_simpler"
	 * the search keeps a lower rank's best trial when it scores within one
	 * standard error of the best.  0: as complex as 4.
	 */
	int			complexity;
	/*
	 * Classification contributions add up to probabilities (forests, trees)
	 * rather than to log-odds / softmax margins (linear, boosting).
	 */
	bool		contributions_in_probability;
	/*
	 * Its fits move with the rows they see (trees, neighbours, networks):
	 * with "refit": "auto" on small data the final model averages the
	 * cross-validation's fold models instead of one refit on all rows.
	 */
	bool		bag_fold_models;
	bool		internal;		/* built by the search (ensembles), never searched */
	AmEncoding	encoding;
	unsigned	tasks;			/* bitmask of supported AmTask values */
	const AmParamSpec *params;
	int			n_params;

	/* Cross-parameter checks beyond the spec ranges; NULL when fine. */
	const char *(*check_params) (const AmParams *p, AmTask task);

	/* Optional: shared state built once per training call (e.g. bins). */
	void	   *(*prepare) (const AmDataset *data, AmErr *err);

	/* Fit; returns NULL and fills err when the data or solver fails. */
	void	   *(*fit) (const AmFitInput *in, const AmParams *p, AmErr *err);

	/*
	 * Predict n rows of a column-major matrix (column j at x + j * ld) in the
	 * family's encoding; out is row-major n x am_task_outputs().
	 */
	void		(*predict) (const void *model, const double *x, size_t ld, int n,
							double *out);

	/*
	 * Optional: score one raw row (stride 1) without allocating, for models
	 * made of whole models (ensembles); am_model_predict_row() uses it.
	 */
	void		(*predict_row) (const void *model, const double *raw, double *out);

	void		(*serialize) (const void *model, AmWriter *w);
	/* Must check everything it reads against p, task and n_classes. */
	void	   *(*deserialize) (AmReader *r, int p, AmTask task, int n_classes,
								AmErr *err);

	/* Optional: per-column importance (p values); false if kind unsupported. */
	bool		(*importance) (const void *model, AmImportanceKind kind, double *out);

	/*
	 * Optional: additive contributions of one row (x has stride 1) in the
	 * margin space: out is (p + 1) x outputs, the last row the base value.
	 */
	bool		(*contributions) (const void *model, const double *x, double *out);

	/*
	 * Optional: the model's out-of-bag score (accuracy, or R^2 for
	 * regression) computed while fitting; NaN when there is none.
	 */
	double		(*out_of_bag_score) (const void *model);

	/*
	 * Optional, dense families: fold the preprocessing into the model so raw
	 * rows are scored in one pass without building the dense encoding
	 * (returns NULL when it cannot), and score raw rows with the result.
	 */
	void	   *(*fuse) (const void *model, const struct AmPrep *prep);
	void		(*predict_fused) (const void *fused, const double *x, size_t ld, int n,
								  double *out);
} AmFamily;

/*
 * ensemble.c: do an ensemble's members read the features as the ensemble does (same
 * names, kinds and category levels)?  Checked after deserializing.
 */
extern bool am_ensemble_check_members(const void *fitted, const AmSchema *schema, AmErr *err);

/* model_registry.c */
extern const AmFamily *am_family_lookup(const char *name);
extern int	am_family_count(void);
extern const AmFamily *am_family_at(int i);
extern const AmParamSpec *am_family_param(const AmFamily *f, const char *name);
/* Range checks from the spec, then the family's own check; NULL when fine. */
extern bool am_family_check_params(const AmFamily *f, const AmParams *p,
								   AmTask task, AmErr *err);
/* Fill unset parameters with their defaults. */
extern void am_family_complete_params(const AmFamily *f, AmParams *p);

/* ---------- a complete model ---------- */

typedef struct AmModel
{
	AmSchema   *schema;
	const AmFamily *family;
	AmParams	params;
	struct AmPrep *prep;		/* only for AM_ENCODING_DENSE families */
	void	   *fitted;
	void	   *fused;			/* family->fuse() result: scores raw rows directly */
	double	   *scratch;		/* one encoded row, for single-row predict */
	/* families without contributions: raw training rows to explain against */
	int			n_background;
	double	   *background;		/* n_background x n_features, row-major */
} AmModel;

#define AM_BACKGROUND_ROWS 16

/*
 * The family every member of an ensemble has (fold models of one trial, or
 * a selection within one family); NULL for other models and mixed members.
 */
extern const AmFamily *am_ensemble_member_family(const AmModel *m);
/* Member i of an ensemble and its weight (the weights sum to 1); NULL beyond. */
extern AmModel *am_ensemble_member(const AmModel *m, int i, double *weight);

/*
 * Prepare a fitted model for scoring where the model itself lives (scratch
 * row, fused evaluator); done by am_model_fit() and am_model_deserialize().
 */
extern void am_model_init_scratch(AmModel *m);

/*
 * Predict one row of raw features (schema->n_features values, stride 1).
 * out receives am_task_outputs() values.  Not reentrant: uses the model's
 * scratch row.
 */
extern void am_model_predict_row(AmModel *m, const double *raw, double *out);

/*
 * Additive contributions of each raw feature of one row in the margin space
 * (value, log-odds, per-class softmax margin): out is (n_features + 1) x
 * outputs, the last row the base value.  Exact for families that have
 * contributions, sampled Shapley values (shapley.c) for the others; false
 * when neither is available.
 */
extern bool am_model_contributions(AmModel *m, const double *raw, double *out);

/* The margin of a probability: log-odds (binary) or log-probability. */
extern double am_margin_of(AmTask task, double p);

/*
 * shapley.c: keep background rows for a family without contributions, and
 * estimate contributions from them (false without background rows).
 */
extern void am_background_pick(AmModel *m, const AmDataset *d, const int *rows, int n);
extern bool am_shapley_sampled(AmModel *m, const double *raw, double *out);

/*
 * Importance per raw feature (n_features values): the family's importance,
 * dense one-hot and indicator columns summed back to their feature.  false
 * when the family has no importance of that kind.
 */
extern bool am_model_importance(const AmModel *m, AmImportanceKind kind, double *out);

/* Predict n rows of raw features (column-major, column j at x + j * ld). */
extern void am_model_predict(AmModel *m, const double *x, size_t ld, int n,
							 double *out);

/* Serialized model container: see serialize.c for the format. */
#define AM_MODEL_MAGIC "AMLM"
#define AM_MODEL_FORMAT_VERSION 2	/* 2: background rows */

extern void am_model_serialize(const AmModel *m, AmWriter *w);
extern AmModel *am_model_deserialize(const void *data, size_t len, AmErr *err);
/* The format version in serialized bytes' header (0: not a model's header). */
extern int	am_model_format_version(const void *data, size_t len);

#endif							/* AUTOML_MODEL_H */
