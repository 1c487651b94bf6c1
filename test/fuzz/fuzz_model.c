/*
 * fuzz_model.c
 *	  libFuzzer target: am_model_deserialize() on arbitrary bytes, then
 *	  scoring (batch and single rows, with missing values), explanations,
 *	  importance and a serialization round trip of whatever model it
 *	  accepts.
 *
 * Built twice.  fuzz_model feeds the bytes as they are.  fuzz_model_crc
 * (FUZZ_FIX_CRC) first rewrites the payload length and CRC-32C of every
 * model header in the input, embedded ones (ensemble members) before the
 * outer one, so that mutations get past the checksum into the schema,
 * preprocessing and family decoders.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "model.h"

/* Header fields, as documented at the top of src/serialize.c. */
#define HDR_PAYLOAD_LEN 8
#define HDR_CRC 12
#define HDR_LEN 16

#define N_ROWS 5
/* Only models whose contribution matrix stays reasonable are explained. */
#define MAX_CONTRIB_CELLS (1 << 22)

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_FIX_CRC
static uint32_t
read_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
		(uint32_t) p[3] << 24;
}

/* Make the header at "at" (a model of n bytes) agree with its payload. */
static void
fix_header(AmWriter *w, size_t at, size_t n)
{
	am_w_patch_u32(w, at + HDR_PAYLOAD_LEN, (uint32_t) (n - HDR_LEN));
	am_w_patch_u32(w, at + HDR_CRC, am_crc32c(w->data + at + HDR_LEN, n - HDR_LEN));
}

/*
 * Embedded models are written after their own u32 length (ensemble.c):
 * every magic number preceded by a length that fits is taken for one,
 * fixed from the end of the buffer backwards, then the outer header.
 */
static void
fix_checksums(uint8_t *buf, size_t len)
{
	AmWriter	w;

	if (len < HDR_LEN)
		return;
	w.data = buf;
	w.len = len;
	w.cap = len;
	for (size_t at = len - HDR_LEN; at >= 4; at--)
	{
		uint32_t	n;

		if (memcmp(buf + at, AM_MODEL_MAGIC, 4) != 0)
			continue;
		n = read_le32(buf + at - 4);
		if (n >= HDR_LEN && n <= len - at)
			fix_header(&w, at, n);
	}
	fix_header(&w, 0, len);
}
#endif

/*
 * Rows the SQL layer could send for this schema: numbers finite or NaN
 * (convert.c refuses infinities), categories a code 0 .. n_levels (the last
 * one "other") or NaN.  Row 0 is all missing, row 1 all zero, rows 2 and 3
 * mix values chosen by the input's bytes, row 4 holds the extremes.
 */
static void
make_rows(const AmSchema *s, const uint8_t *data, size_t size, double *x)
{
	static const double numbers[] = {0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e-300, -1e-300,
	1e9, -1e9, 1e300, -1e300, 4.9e-324, 2147483648.0, NAN};
	int			n_numbers = (int) (sizeof(numbers) / sizeof(numbers[0]));

	for (int j = 0; j < s->n_features; j++)
	{
		const AmFeature *f = &s->features[j];
		double	   *col = x + (size_t) j * N_ROWS;

		col[0] = NAN;
		col[1] = 0.0;
		for (int i = 2; i < N_ROWS - 1; i++)
		{
			uint32_t	pick = (uint32_t) (j * 131 + i * 31);

			if (size > 0)
				pick += data[(j * N_ROWS + i) % size];
			if (f->categorical)
				col[i] = pick % 7 == 0 ? NAN : (double) (pick % (f->n_levels + 1));
			else
				col[i] = numbers[pick % n_numbers];
		}
		col[N_ROWS - 1] = f->categorical ? f->n_levels : (j % 2 ? -1e300 : 1e300);
	}
}

/*
 * Whatever deserialization accepts must serialize into bytes it accepts
 * again, the same bytes each time, and the reloaded model must score the
 * same rows to the same bits.
 */
static void
check_round_trip(const AmModel *m, const double *x, const double *out)
{
	int			outs = am_task_outputs(m->schema->task, m->schema->n_classes);
	double	   *out2 = am_alloc0_array((size_t) N_ROWS * outs, sizeof(double));
	AmWriter	w1,
				w2;
	AmModel    *m2;
	AmErr		err;

	am_w_init(&w1);
	am_model_serialize(m, &w1);
	am_err_clear(&err);
	m2 = am_model_deserialize(w1.data, w1.len, &err);
	if (m2 == NULL)
		fuzz_fail("an accepted model, written again, is refused: %s", err.msg);
	am_w_init(&w2);
	am_model_serialize(m2, &w2);
	if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len) != 0)
		fuzz_fail("an accepted model does not serialize the same way twice");
	am_model_predict(m2, x, N_ROWS, N_ROWS, out2);
	if (memcmp(out, out2, sizeof(double) * N_ROWS * outs) != 0)
		fuzz_fail("a reloaded model scores differently");
}

static bool
is_tree_family(const char *name)
{
	return strcmp(name, "tree") == 0 || strcmp(name, "forest") == 0 ||
		strcmp(name, "extra_trees") == 0 || strcmp(name, "gbm") == 0;
}

static void
exercise(AmModel *m, const uint8_t *data, size_t size)
{
	const AmSchema *s = m->schema;
	int			nf = s->n_features;
	int			outs = am_task_outputs(s->task, s->n_classes);
	double	   *x = am_alloc0_array((size_t) nf * N_ROWS, sizeof(double));
	double	   *row = am_alloc0_array((size_t) nf, sizeof(double));
	double	   *out = am_alloc0_array((size_t) N_ROWS * outs, sizeof(double));
	double	   *one = am_alloc0_array((size_t) outs, sizeof(double));
	double	   *imp = am_alloc0_array((size_t) nf, sizeof(double));

	make_rows(s, data, size, x);
	am_model_predict(m, x, N_ROWS, N_ROWS, out);
	for (int i = 0; i < N_ROWS; i++)
	{
		for (int j = 0; j < nf; j++)
			row[j] = x[(size_t) j * N_ROWS + i];
		am_model_predict_row(m, row, one);
		/*
		 * Trees score one row (tree_predict.c margins_one, serving) and a
		 * batch (the blocked walk) by different code that adds the same
		 * leaves in the same order: the same bits, NaN rows included.
		 */
		if (is_tree_family(m->family->name) &&
			memcmp(one, out + (size_t) i * outs, sizeof(double) * outs) != 0)
			fuzz_fail("row %d of a %s model scores %.17g alone, %.17g in a batch", i,
					  m->family->name, one[0], out[(size_t) i * outs]);
	}
	if (((size_t) nf + 1) * outs <= MAX_CONTRIB_CELLS)
	{
		double	   *phi = am_alloc0_array(((size_t) nf + 1) * outs, sizeof(double));

		/*
		 * Rows 0, 2 and 4 when the family's contributions are exact, only
		 * row 4 when sampled: those cost thousands of predictions a row.
		 */
		for (int i = m->family->contributions ? 0 : N_ROWS - 1; i < N_ROWS; i += 2)
		{
			for (int j = 0; j < nf; j++)
				row[j] = x[(size_t) j * N_ROWS + i];
			am_model_contributions(m, row, phi);
		}
	}
	am_model_importance(m, AM_IMPORTANCE_GAIN, imp);
	am_model_importance(m, AM_IMPORTANCE_SPLITS, imp);
	check_round_trip(m, x, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AmErr		err;
	AmModel    *m;
	const uint8_t *bytes = data;

	/* scoring and explaining a model must not take much more than its size */
	fuzz_arena_set_limit(((size_t) 32 << 20) + 512 * size);
#ifdef FUZZ_FIX_CRC
	{
		uint8_t    *copy = am_alloc(size ? size : 1);

		memcpy(copy, data, size);
		fix_checksums(copy, size);
		bytes = copy;
	}
#endif
	am_err_clear(&err);
	m = am_model_deserialize(bytes, size, &err);
	if (m == NULL && err.msg[0] == '\0')
		fuzz_fail("a model is refused without a message");
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s%s\n", m ? "accepted: " : "rejected: ",
				m ? m->family->name : err.msg);
	if (m != NULL)
		exercise(m, data, size);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "peak memory: %zu bytes for %zu input bytes\n",
				fuzz_arena_peak(), size);
	fuzz_arena_release();
	return 0;
}
