/*
 * dataset.c
 *	  Dataset helpers: schema attachment, fingerprint, the string map used
 *	  for category levels and class labels, and names of enum values.
 */
#include "dataset.h"

#include <math.h>
#include <string.h>

#include "core.h"
#include "pool.h"

void
am_dataset_attach_schema(AmDataset *d, const AmSchema *s)
{
	d->n_features = s->n_features;
	d->categorical = AM_NEW0(bool, s->n_features);
	d->n_codes = AM_NEW0(int, s->n_features);
	for (int j = 0; j < s->n_features; j++)
	{
		d->categorical[j] = s->features[j].categorical;
		d->n_codes[j] = am_feature_codes(&s->features[j]);
	}
	d->task = s->task;
	d->n_classes = s->n_classes;
}

uint64_t
am_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	/* FNV-1a followed by a 64-bit finaliser. */
	const uint8_t *p = data;
	uint64_t	h = UINT64_C(0xcbf29ce484222325) ^ seed;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

#define ROW_HASH_SEED UINT64_C(0x9E3779B97F4A7C15)

/* A value's bytes chained into a row's hash (one bit pattern for missing). */
static inline uint64_t
hash_value(uint64_t h, double v)
{
	if (isnan(v))
		v = NAN;
	return am_hash_bytes(&v, sizeof(v), h);
}

/*
 * The fingerprint is a sum of per-row hashes, so row ranges can be hashed
 * on the pool and their sums added: FINGERPRINT_ROWS rows (a multiple of
 * four) per task, a few milliseconds each.
 */
#define FINGERPRINT_ROWS 65536

typedef struct FingerprintJob
{
	const AmDataset *d;
	uint64_t   *sums;			/* per task */
} FingerprintJob;

static void
fingerprint_task(void *arg, int task, int thread)
{
	FingerprintJob *job = arg;
	const AmDataset *d = job->d;
	int			i = task * FINGERPRINT_ROWS,
				end = d->n_rows - i < FINGERPRINT_ROWS ? d->n_rows : i + FINGERPRINT_ROWS;
	uint64_t	sum = 0;

	AM_UNUSED(thread);

	/*
	 * A row's hash (its features' bytes, then the target's) is one long
	 * chain of multiplications: four rows side by side keep four chains in
	 * flight.
	 */
	for (; i + 4 <= end; i += 4)
	{
		uint64_t	h0 = ROW_HASH_SEED,
					h1 = ROW_HASH_SEED,
					h2 = ROW_HASH_SEED,
					h3 = ROW_HASH_SEED;

		for (int j = 0; j < d->n_features; j++)
		{
			const double *x = d->x[j] + i;

			h0 = hash_value(h0, x[0]);
			h1 = hash_value(h1, x[1]);
			h2 = hash_value(h2, x[2]);
			h3 = hash_value(h3, x[3]);
		}
		sum += am_hash_bytes(&d->y[i], sizeof(double), h0) +
			am_hash_bytes(&d->y[i + 1], sizeof(double), h1) +
			am_hash_bytes(&d->y[i + 2], sizeof(double), h2) +
			am_hash_bytes(&d->y[i + 3], sizeof(double), h3);
	}
	for (; i < end; i++)
	{
		uint64_t	h = ROW_HASH_SEED;

		for (int j = 0; j < d->n_features; j++)
			h = hash_value(h, d->x[j][i]);
		sum += am_hash_bytes(&d->y[i], sizeof(double), h);
	}
	job->sums[task] = sum;
}

uint64_t
am_dataset_fingerprint(const AmDataset *d)
{
	/*
	 * The sum of per-row hashes does not depend on row order, so a table
	 * rewritten by VACUUM FULL or CLUSTER keeps its fingerprint.
	 */
	int			tasks = (d->n_rows + FINGERPRINT_ROWS - 1) / FINGERPRINT_ROWS;
	FingerprintJob job = {d, AM_NEW0(uint64_t, tasks > 0 ? tasks : 1)};
	uint64_t	sum = 0;

	am_pool_for(am_pool_width(tasks), tasks, 32, fingerprint_task, &job);
	for (int t = 0; t < tasks; t++)
		sum += job.sums[t];
	am_free(job.sums);
	return sum ^ (uint64_t) d->n_rows;
}

int
am_dataset_missing(const AmDataset *d, int j)
{
	int			n = 0;

	for (int i = 0; i < d->n_rows; i++)
		if (isnan(d->x[j][i]))
			n++;
	return n;
}

AmStrMap *
am_strmap_create(int expected)
{
	AmStrMap   *m = AM_NEW0(AmStrMap, 1);
	int			cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	m->cap = cap;
	m->keys = AM_NEW0(char *, cap);
	m->lens = AM_NEW0(uint32_t, cap);
	m->values = AM_NEW0(int, cap);
	m->hashes = AM_NEW0(uint64_t, cap);
	return m;
}

static int
strmap_slot(const AmStrMap *m, const char *key, uint32_t len, uint64_t h)
{
	int			mask = m->cap - 1;
	int			i = (int) (h & (uint64_t) mask);

	while (m->keys[i] != NULL)
	{
		if (m->hashes[i] == h && m->lens[i] == len &&
			memcmp(m->keys[i], key, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

int
am_strmap_get(const AmStrMap *m, const char *key, uint32_t len)
{
	uint64_t	h = am_hash_bytes(key, len, 0);
	int			i = strmap_slot(m, key, len, h);

	return m->keys[i] ? m->values[i] : -1;
}

static void
strmap_grow(AmStrMap *m)
{
	AmStrMap	old = *m;

	m->cap *= 2;
	m->keys = AM_NEW0(char *, m->cap);
	m->lens = AM_NEW0(uint32_t, m->cap);
	m->values = AM_NEW0(int, m->cap);
	m->hashes = AM_NEW0(uint64_t, m->cap);
	for (int i = 0; i < old.cap; i++)
	{
		if (old.keys[i] != NULL)
		{
			int			s = strmap_slot(m, old.keys[i], old.lens[i], old.hashes[i]);

			m->keys[s] = old.keys[i];
			m->lens[s] = old.lens[i];
			m->values[s] = old.values[i];
			m->hashes[s] = old.hashes[i];
		}
	}
	am_free(old.keys);
	am_free(old.lens);
	am_free(old.values);
	am_free(old.hashes);
}

int
am_strmap_put(AmStrMap *m, const char *key, uint32_t len, int value)
{
	uint64_t	h = am_hash_bytes(key, len, 0);
	int			i = strmap_slot(m, key, len, h);

	if (m->keys[i] != NULL)
		return m->values[i];
	if ((m->size + 1) * 2 > m->cap)
	{
		strmap_grow(m);
		i = strmap_slot(m, key, len, h);
	}
	m->keys[i] = am_strndup(key, len);
	m->lens[i] = len;
	m->values[i] = value;
	m->hashes[i] = h;
	m->size++;
	return value;
}

const char *
am_task_name(AmTask task)
{
	switch (task)
	{
		case AM_TASK_REGRESSION:
			return "regression";
		case AM_TASK_BINARY:
			return "binary";
		case AM_TASK_MULTICLASS:
			return "multiclass";
	}
	return "unknown";
}

const char *
am_source_kind_name(AmSourceKind kind)
{
	switch (kind)
	{
		case AM_SRC_NUMERIC:
			return "numeric";
		case AM_SRC_BOOLEAN:
			return "boolean";
		case AM_SRC_CATEGORICAL:
			return "categorical";
		case AM_SRC_DATE:
			return "date";
		case AM_SRC_TIMESTAMP:
			return "timestamp";
	}
	return "unknown";
}

const char *
am_part_suffix(AmPart part)
{
	switch (part)
	{
		case AM_PART_VALUE:
			return "";
		case AM_PART_YEAR:
			return "_year";
		case AM_PART_MONTH:
			return "_month";
		case AM_PART_DAY:
			return "_day";
		case AM_PART_DOW:
			return "_dow";
		case AM_PART_HOUR:
			return "_hour";
		case AM_PART_EPOCH_DAYS:
			return "_days";
	}
	return "";
}
