/*
 * dataset.h
 *	  In-memory training data and the feature schema stored with a model.
 *
 * A dataset is column-major: x[j][i] is feature j of row i.  Numeric
 * features hold their value (NaN = missing); categorical features hold a
 * code 0 .. n_levels-1 for a kept level, n_levels for "other" (a rare level
 * at training, an unseen one at predict time), NaN for NULL.  The target is a
 * value (regression) or a class index.
 *
 * The schema says how source columns of a table map to features (a date
 * column becomes several numeric parts, a text column one categorical
 * feature) and holds the category levels and class labels, so predict() can
 * redo exactly what loading did.
 */
#ifndef AUTOML_DATASET_H
#define AUTOML_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum AmTask
{
	AM_TASK_REGRESSION = 0,
	AM_TASK_BINARY = 1,
	AM_TASK_MULTICLASS = 2
} AmTask;

#define AM_TASK_IS_CLASSIFICATION(t) ((t) != AM_TASK_REGRESSION)

typedef enum AmSourceKind
{
	AM_SRC_NUMERIC = 0,			/* int2/4/8, float4/8, numeric */
	AM_SRC_BOOLEAN = 1,			/* 0 / 1 */
	AM_SRC_CATEGORICAL = 2,		/* text-like and enum columns */
	AM_SRC_DATE = 3,			/* expanded to parts */
	AM_SRC_TIMESTAMP = 4		/* expanded to parts, incl. the hour */
} AmSourceKind;

typedef enum AmPart
{
	AM_PART_VALUE = 0,
	AM_PART_YEAR,
	AM_PART_MONTH,
	AM_PART_DAY,
	AM_PART_DOW,
	AM_PART_HOUR,
	AM_PART_EPOCH_DAYS			/* days since 2000-01-01, fractional */
} AmPart;

typedef struct AmSourceColumn
{
	char	   *name;
	AmSourceKind kind;
	char	   *type_name;		/* for messages only */
} AmSourceColumn;

typedef struct AmFeature
{
	char	   *name;
	int			source;			/* index into AmSchema.columns */
	AmPart		part;
	bool		categorical;
	int			n_levels;		/* kept levels; code n_levels means "other" */
	char	  **levels;			/* sorted by strcmp */
} AmFeature;

typedef struct AmSchema
{
	int			n_columns;
	AmSourceColumn *columns;
	int			n_features;
	AmFeature  *features;
	char	   *target;
	AmSourceKind target_kind;
	char	   *target_type;
	AmTask		task;
	int			n_classes;
	char	  **classes;		/* class labels in predict_proba order */
} AmSchema;

typedef struct AmDataset
{
	int			n_rows;
	int			n_features;
	double	  **x;				/* x[j][i] */
	bool	   *categorical;	/* per feature */
	int		   *n_codes;		/* categorical: n_levels + 1 (incl. other) */
	double	   *y;
	AmTask		task;
	int			n_classes;
} AmDataset;

/* Number of distinct codes of feature j (0 for numeric). */
static inline int
am_feature_codes(const AmFeature *f)
{
	return f->categorical ? f->n_levels + 1 : 0;
}

/* Build dataset feature metadata (categorical, n_codes) from a schema. */
extern void am_dataset_attach_schema(AmDataset *d, const AmSchema *s);

/* Order-independent 64-bit fingerprint of the rows (features + target). */
extern uint64_t am_dataset_fingerprint(const AmDataset *d);

/* Count of missing values in feature j. */
extern int	am_dataset_missing(const AmDataset *d, int j);

/*
 * String -> int map used for category levels and class labels: open
 * addressing, keys copied.
 */
typedef struct AmStrMap
{
	int			size;			/* entries */
	int			cap;			/* slots, power of two */
	char	  **keys;
	uint32_t   *lens;
	int		   *values;
	uint64_t   *hashes;
} AmStrMap;

extern AmStrMap *am_strmap_create(int expected);
/* Returns the value, or -1 when absent. */
extern int	am_strmap_get(const AmStrMap *m, const char *key, uint32_t len);
/* Inserts if absent; returns the existing or new value (new = value). */
extern int	am_strmap_put(AmStrMap *m, const char *key, uint32_t len, int value);
extern uint64_t am_hash_bytes(const void *data, size_t len, uint64_t seed);

/* Free text of a source kind / task / part, and the reverse. */
extern const char *am_task_name(AmTask task);
extern const char *am_source_kind_name(AmSourceKind kind);
extern const char *am_part_suffix(AmPart part);

#endif							/* AUTOML_DATASET_H */
