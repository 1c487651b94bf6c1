/*
 * convert.h
 *	  SQL values -> feature values, shared by the loader and predict() so a
 *	  row is read the same way at training and at scoring time.
 */
#ifndef AUTOML_CONVERT_H
#define AUTOML_CONVERT_H

#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"

#include "dataset.h"

typedef enum AmTextForm
{
	AM_TEXT_VARLENA,			/* text, varchar */
	AM_TEXT_BPCHAR,				/* char(n): trailing blanks dropped */
	AM_TEXT_NAME,
	AM_TEXT_OUTPUT				/* anything else: its output function */
} AmTextForm;

typedef struct AmValueReader
{
	const char *column;			/* for messages */
	Oid			typid;			/* base type of the column */
	AmSourceKind kind;			/* what the model wants from it */
	AmTextForm	text_form;
	FmgrInfo	out;			/* output function for AM_TEXT_OUTPUT */
} AmValueReader;

/* Date parts of each date kind, in feature order. */
extern const AmPart am_date_parts[];
extern const int am_n_date_parts;
extern const AmPart am_timestamp_parts[];
extern const int am_n_timestamp_parts;

/* What kind of feature a column of this type becomes; false: unsupported. */
extern bool automl_type_kind(Oid typid, AmSourceKind *kind);

/*
 * Prepare to read values of type typid as the given kind; errors out when
 * the type cannot provide that kind (e.g. text for a numeric feature).
 * "model" names the model in the message (NULL while training).
 */
extern void automl_reader_init(AmValueReader *r, const char *column, Oid typid,
							   AmSourceKind kind, const char *model);

/* A finite number (errors on NaN and infinities). */
extern double automl_read_number_slow(const AmValueReader *r, Datum d);

static inline double
automl_read_number(const AmValueReader *r, Datum d)
{
	/* the common types inline; the rest, and every error, out of line */
	if (r->typid == FLOAT8OID)
	{
		double		v = DatumGetFloat8(d);

		if (likely(!isnan(v) && !isinf(v)))
			return v;
	}
	else if (r->typid == INT4OID)
		return (double) DatumGetInt32(d);
	else if (r->typid == INT8OID)
		return (double) DatumGetInt64(d);
	return automl_read_number_slow(r, d);
}

/* Bytes of a categorical value; *len set.  May palloc (output functions). */
extern const char *automl_read_text(const AmValueReader *r, Datum d, uint32 *len);

/* All parts of a date or timestamp; parts[] indexed by AmPart. */
extern void automl_read_date_parts(const AmValueReader *r, Datum d,
								   double parts[AM_PART_EPOCH_DAYS + 1]);

#endif							/* AUTOML_CONVERT_H */
