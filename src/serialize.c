/*
 * serialize.c
 *	  The versioned byte format of a stored model.
 *
 *	  offset  size  field
 *	  0       4     magic "AMLM"
 *	  4       2     format version (AM_MODEL_FORMAT_VERSION)
 *	  6       2     flags (0)
 *	  8       4     payload length
 *	  12      4     CRC-32C of the payload
 *	  16      ...   payload: family name and payload version, schema,
 *	                hyperparameters, preprocessing, background rows
 *	                (version 2), family payload
 *
 * Everything is little-endian.  Deserialization checks the header, the
 * length and the checksum before parsing, and then checks every count and
 * index it reads, so corrupted or hostile bytes are rejected with a message
 * instead of being trusted.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#include "prep.h"

#define HEADER_LEN 16
#define MAX_COLUMNS 100000
#define MAX_LEVELS 1000000
#define MAX_CLASSES 100000

static void
write_schema(const AmSchema *s, AmWriter *w)
{
	am_w_u32(w, (uint32_t) s->n_columns);
	for (int i = 0; i < s->n_columns; i++)
	{
		am_w_str(w, s->columns[i].name);
		am_w_u8(w, (uint8_t) s->columns[i].kind);
		am_w_str(w, s->columns[i].type_name);
	}
	am_w_u32(w, (uint32_t) s->n_features);
	for (int j = 0; j < s->n_features; j++)
	{
		const AmFeature *f = &s->features[j];

		am_w_str(w, f->name);
		am_w_u32(w, (uint32_t) f->source);
		am_w_u8(w, (uint8_t) f->part);
		am_w_u8(w, f->categorical);
		if (f->categorical)
		{
			am_w_u32(w, (uint32_t) f->n_levels);
			for (int k = 0; k < f->n_levels; k++)
				am_w_str(w, f->levels[k]);
		}
	}
	am_w_str(w, s->target);
	am_w_u8(w, (uint8_t) s->target_kind);
	am_w_str(w, s->target_type);
	am_w_u8(w, (uint8_t) s->task);
	am_w_u32(w, (uint32_t) s->n_classes);
	for (int k = 0; k < s->n_classes; k++)
		am_w_str(w, s->classes[k]);
}

static AmSchema *
read_schema(AmReader *r)
{
	AmSchema   *s = AM_NEW0(AmSchema, 1);

	s->n_columns = (int) am_r_count(r, 9, MAX_COLUMNS);
	s->columns = AM_NEW0(AmSourceColumn, s->n_columns);
	for (int i = 0; i < s->n_columns && am_r_ok(r); i++)
	{
		s->columns[i].name = am_r_str(r);
		s->columns[i].kind = (AmSourceKind) am_r_u8(r);
		s->columns[i].type_name = am_r_str(r);
		if (s->columns[i].name == NULL || s->columns[i].kind > AM_SRC_TIMESTAMP)
			am_r_fail(r);
	}
	s->n_features = (int) am_r_count(r, 10, MAX_COLUMNS);
	if (s->n_features == 0)
		am_r_fail(r);
	s->features = AM_NEW0(AmFeature, s->n_features);
	for (int j = 0; j < s->n_features && am_r_ok(r); j++)
	{
		AmFeature  *f = &s->features[j];

		f->name = am_r_str(r);
		f->source = (int) am_r_u32(r);
		f->part = (AmPart) am_r_u8(r);
		f->categorical = am_r_u8(r) != 0;
		if (f->name == NULL || f->source < 0 || f->source >= s->n_columns ||
			f->part > AM_PART_EPOCH_DAYS ||
			f->categorical != (s->columns[f->source].kind == AM_SRC_CATEGORICAL))
		{
			am_r_fail(r);
			break;
		}
		if (f->categorical)
		{
			f->n_levels = (int) am_r_count(r, 4, MAX_LEVELS);
			f->levels = AM_NEW0(char *, f->n_levels);
			for (int k = 0; k < f->n_levels && am_r_ok(r); k++)
				if ((f->levels[k] = am_r_str(r)) == NULL)
					am_r_fail(r);
		}
	}
	s->target = am_r_str(r);
	s->target_kind = (AmSourceKind) am_r_u8(r);
	s->target_type = am_r_str(r);
	s->task = (AmTask) am_r_u8(r);
	s->n_classes = (int) am_r_count(r, 4, MAX_CLASSES);
	if (!am_r_ok(r) || s->target == NULL || s->target_kind > AM_SRC_TIMESTAMP ||
		s->task > AM_TASK_MULTICLASS ||
		(s->task == AM_TASK_REGRESSION && s->n_classes != 0) ||
		(s->task == AM_TASK_BINARY && s->n_classes != 2) ||
		(s->task == AM_TASK_MULTICLASS && s->n_classes < 3))
	{
		am_r_fail(r);
		return NULL;
	}
	s->classes = AM_NEW0(char *, s->n_classes);
	for (int k = 0; k < s->n_classes && am_r_ok(r); k++)
		if ((s->classes[k] = am_r_str(r)) == NULL)
			am_r_fail(r);
	return am_r_ok(r) ? s : NULL;
}

static void
write_params(const AmParams *p, AmWriter *w)
{
	am_w_u32(w, (uint32_t) p->n);
	for (int i = 0; i < p->n; i++)
	{
		am_w_str(w, p->v[i].name);
		am_w_f64(w, p->v[i].value);
	}
}

static void
read_params(AmReader *r, AmParams *p)
{
	int			n = (int) am_r_count(r, 12, AM_MAX_PARAMS);

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < n && am_r_ok(r); i++)
	{
		char	   *name = am_r_str(r);
		double		v = am_r_f64_finite(r, false);

		if (name == NULL || strlen(name) >= AM_PARAM_NAME_LEN)
		{
			am_r_fail(r);
			break;
		}
		am_params_set(p, name, v);
	}
}

/* Background rows: finite values or NaN (missing), at most AM_BACKGROUND_ROWS. */
static bool
read_background(AmReader *r, AmModel *m)
{
	int			nf = m->schema->n_features;
	size_t		n;

	m->n_background = (int) am_r_count(r, (size_t) 8 * (nf > 0 ? nf : 1), AM_BACKGROUND_ROWS);
	if (!am_r_ok(r) || m->n_background == 0)
		return am_r_ok(r);
	n = (size_t) m->n_background * nf;
	m->background = AM_NEW(double, n);
	for (size_t i = 0; i < n; i++)
	{
		const AmFeature *f = &m->schema->features[i % nf];
		double		v = am_r_f64_finite(r, true);

		/* a category is a code 0 .. n_levels (the last "other") or NaN */
		if (f->categorical && !isnan(v) && !(v >= 0 && v <= f->n_levels && v == floor(v)))
			am_r_fail(r);
		m->background[i] = v;
	}
	return am_r_ok(r);
}

void
am_model_serialize(const AmModel *m, AmWriter *w)
{
	size_t		start = w->len;
	size_t		fam_len_at;
	uint32_t	payload_len;

	am_w_bytes(w, AM_MODEL_MAGIC, 4);
	am_w_u16(w, AM_MODEL_FORMAT_VERSION);
	am_w_u16(w, 0);
	am_w_u32(w, 0);				/* payload length, patched below */
	am_w_u32(w, 0);				/* checksum, patched below */

	am_w_str(w, m->family->name);
	am_w_u16(w, m->family->format_version);
	write_schema(m->schema, w);
	write_params(&m->params, w);
	am_w_u8(w, m->prep != NULL);
	if (m->prep)
		am_prep_serialize(m->prep, w);
	am_w_u32(w, (uint32_t) m->n_background);
	am_w_f64s(w, m->background, (size_t) m->n_background * m->schema->n_features);
	fam_len_at = w->len;
	am_w_u32(w, 0);
	m->family->serialize(m->fitted, w);
	am_w_patch_u32(w, fam_len_at, (uint32_t) (w->len - fam_len_at - 4));

	payload_len = (uint32_t) (w->len - start - HEADER_LEN);
	am_w_patch_u32(w, start + 8, payload_len);
	am_w_patch_u32(w, start + 12, am_crc32c(w->data + start + HEADER_LEN, payload_len));
}

int
am_model_format_version(const void *data, size_t len)
{
	AmReader	r;
	char		magic[4];
	uint16_t	version;

	am_r_init(&r, data, len);
	am_r_bytes(&r, magic, 4);
	version = am_r_u16(&r);
	return am_r_ok(&r) && memcmp(magic, AM_MODEL_MAGIC, 4) == 0 ? version : 0;
}

AmModel *
am_model_deserialize(const void *data, size_t len, AmErr *err)
{
	AmReader	r;
	char		magic[4];
	uint16_t	version,
				flags;
	uint32_t	payload_len,
				crc,
				fam_len;
	char	   *family_name;
	uint16_t	family_version;
	AmModel    *m;
	AmReader	fr;
	int			p;

	am_r_init(&r, data, len);
	am_r_bytes(&r, magic, 4);
	version = am_r_u16(&r);
	flags = am_r_u16(&r);
	payload_len = am_r_u32(&r);
	crc = am_r_u32(&r);
	if (!am_r_ok(&r) || memcmp(magic, AM_MODEL_MAGIC, 4) != 0)
	{
		am_err_set(err, AM_ERR_CORRUPT, "not an automl model (bad magic number)");
		return NULL;
	}
	if (version == 0 || version > AM_MODEL_FORMAT_VERSION)
	{
		am_err_set(err, AM_ERR_CORRUPT,
				   "model format version %u is not supported (this build reads up to %u)",
				   version, AM_MODEL_FORMAT_VERSION);
		return NULL;
	}
	if (flags != 0)
	{
		am_err_set(err, AM_ERR_CORRUPT, "model header has unknown flags %#x", flags);
		return NULL;
	}
	if ((size_t) payload_len != len - HEADER_LEN)
	{
		am_err_set(err, AM_ERR_CORRUPT, "model is %zu bytes long, header says %zu",
				   len, (size_t) payload_len + HEADER_LEN);
		return NULL;
	}
	if (am_crc32c((const uint8_t *) data + HEADER_LEN, payload_len) != crc)
	{
		am_err_set(err, AM_ERR_CORRUPT, "model checksum mismatch");
		return NULL;
	}

	m = AM_NEW0(AmModel, 1);
	family_name = am_r_str(&r);
	family_version = am_r_u16(&r);
	if (family_name == NULL || (m->family = am_family_lookup(family_name)) == NULL)
	{
		am_err_set(err, AM_ERR_CORRUPT, "model uses unknown algorithm \"%s\"",
				   family_name ? family_name : "");
		return NULL;
	}
	if (family_version == 0 || family_version > m->family->format_version)
	{
		am_err_set(err, AM_ERR_CORRUPT,
				   "algorithm \"%s\" payload version %u is not supported",
				   family_name, family_version);
		return NULL;
	}
	m->schema = read_schema(&r);
	if (m->schema == NULL)
	{
		am_err_set(err, AM_ERR_CORRUPT, "model feature schema is invalid");
		return NULL;
	}
	read_params(&r, &m->params);
	if (am_r_u8(&r))
	{
		m->prep = am_prep_deserialize(&r, m->schema);
		if (m->prep == NULL)
		{
			am_err_set(err, AM_ERR_CORRUPT, "model preprocessing is invalid");
			return NULL;
		}
	}
	if (!am_r_ok(&r) ||
		(m->family->encoding == AM_ENCODING_DENSE) != (m->prep != NULL))
	{
		am_err_set(err, AM_ERR_CORRUPT, "model header fields are invalid");
		return NULL;
	}
	if (version >= 2 && !read_background(&r, m))
	{
		am_err_set(err, AM_ERR_CORRUPT, "model background rows are invalid");
		return NULL;
	}
	fam_len = am_r_u32(&r);
	if (!am_r_ok(&r) || fam_len != am_r_remaining(&r))
	{
		am_err_set(err, AM_ERR_CORRUPT, "model payload length is invalid");
		return NULL;
	}
	am_r_init(&fr, r.data + r.pos, fam_len);
	p = m->prep ? m->prep->n_out : m->schema->n_features;
	m->fitted = m->family->deserialize(&fr, p, m->schema->task, m->schema->n_classes, err);
	if (m->fitted == NULL || !am_r_ok(&fr) || am_r_remaining(&fr) != 0)
	{
		/* keep the family's own message when it gave one */
		if (m->fitted != NULL || err == NULL || err->kind == AM_ERR_NONE)
			am_err_set(err, AM_ERR_CORRUPT, "algorithm \"%s\" payload is invalid",
					   family_name);
		return NULL;
	}
	if (m->family->internal && !am_ensemble_check_members(m->fitted, m->schema, err))
		return NULL;
	am_model_init_scratch(m);
	return m;
}
