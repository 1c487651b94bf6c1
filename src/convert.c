/*
 * convert.c
 *	  Reading SQL values as features (see convert.h).
 */
#include "convert.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

const AmPart am_date_parts[] = {AM_PART_YEAR, AM_PART_MONTH, AM_PART_DAY, AM_PART_DOW,
AM_PART_EPOCH_DAYS};
const int	am_n_date_parts = lengthof(am_date_parts);
const AmPart am_timestamp_parts[] = {AM_PART_YEAR, AM_PART_MONTH, AM_PART_DAY, AM_PART_DOW,
AM_PART_HOUR, AM_PART_EPOCH_DAYS};
const int	am_n_timestamp_parts = lengthof(am_timestamp_parts);

static bool
is_number_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID ||
		t == FLOAT8OID || t == NUMERICOID || t == OIDOID || t == BOOLOID;
}

bool
automl_type_kind(Oid typid, AmSourceKind *kind)
{
	Oid			t = getBaseType(typid);

	if (t == BOOLOID)
		*kind = AM_SRC_BOOLEAN;
	else if (is_number_type(t))
		*kind = AM_SRC_NUMERIC;
	else if (t == DATEOID)
		*kind = AM_SRC_DATE;
	else if (t == TIMESTAMPOID || t == TIMESTAMPTZOID)
		*kind = AM_SRC_TIMESTAMP;
	else if (t == TEXTOID || t == VARCHAROID || t == BPCHAROID || t == NAMEOID ||
			 t == CHAROID || type_is_enum(t) || t == UUIDOID || t == INETOID ||
			 t == CIDROID || t == MACADDROID || t == MONEYOID)
		*kind = AM_SRC_CATEGORICAL;
	else
		return false;
	return true;
}

void
automl_reader_init(AmValueReader *r, const char *column, Oid typid, AmSourceKind kind,
				   const char *model)
{
	Oid			t = getBaseType(typid);
	bool		ok;

	r->column = column;
	r->typid = t;
	r->kind = kind;
	r->text_form = AM_TEXT_OUTPUT;
	switch (kind)
	{
		case AM_SRC_NUMERIC:
		case AM_SRC_BOOLEAN:
			ok = is_number_type(t);
			break;
		case AM_SRC_DATE:
		case AM_SRC_TIMESTAMP:
			ok = (t == DATEOID || t == TIMESTAMPOID || t == TIMESTAMPTZOID);
			break;
		case AM_SRC_CATEGORICAL:
		default:
			ok = true;
			break;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 model ?
				 errmsg("column \"%s\" has type %s, but model \"%s\" expects a %s value",
						column, format_type_be(typid), model, am_source_kind_name(kind)) :
				 errmsg("column \"%s\" has type %s, which cannot be read as a %s value",
						column, format_type_be(typid), am_source_kind_name(kind))));
	if (kind == AM_SRC_CATEGORICAL)
	{
		if (t == TEXTOID || t == VARCHAROID)
			r->text_form = AM_TEXT_VARLENA;
		else if (t == BPCHAROID)
			r->text_form = AM_TEXT_BPCHAR;
		else if (t == NAMEOID)
			r->text_form = AM_TEXT_NAME;
		else
		{
			Oid			outfunc;
			bool		varlena;

			getTypeOutputInfo(typid, &outfunc, &varlena);
			fmgr_info(outfunc, &r->out);
		}
	}
}

static void
not_finite(const AmValueReader *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("column \"%s\" contains NaN or infinity", r->column),
			 errhint("Replace such values with NULL, which is treated as missing, or filter the rows out.")));
}

double
automl_read_number_slow(const AmValueReader *r, Datum d)
{
	double		v;

	switch (r->typid)
	{
		case BOOLOID:
			return DatumGetBool(d) ? 1.0 : 0.0;
		case INT2OID:
			return (double) DatumGetInt16(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case OIDOID:
			return (double) DatumGetObjectId(d);
		case FLOAT4OID:
			v = (double) DatumGetFloat4(d);
			break;
		case FLOAT8OID:
			v = DatumGetFloat8(d);
			break;
		case NUMERICOID:
			{
				Numeric		num = DatumGetNumeric(d);

				if (numeric_is_nan(num) || numeric_is_inf(num))
					not_finite(r);
				v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(num)));
				break;
			}
		default:
			elog(ERROR, "unexpected type %u for a numeric feature", r->typid);
	}
	if (!isfinite(v))
		not_finite(r);
	return v;
}

const char *
automl_read_text(const AmValueReader *r, Datum d, uint32 *len)
{
	switch (r->text_form)
	{
		case AM_TEXT_VARLENA:
			{
				text	   *t = DatumGetTextPP(d);

				*len = VARSIZE_ANY_EXHDR(t);
				return VARDATA_ANY(t);
			}
		case AM_TEXT_BPCHAR:
			{
				text	   *t = DatumGetTextPP(d);
				const char *s = VARDATA_ANY(t);
				uint32		n = VARSIZE_ANY_EXHDR(t);

				while (n > 0 && s[n - 1] == ' ')
					n--;
				*len = n;
				return s;
			}
		case AM_TEXT_NAME:
			{
				const char *s = NameStr(*DatumGetName(d));

				*len = strlen(s);
				return s;
			}
		case AM_TEXT_OUTPUT:
		default:
			{
				char	   *s = OutputFunctionCall((FmgrInfo *) &r->out, d);

				*len = strlen(s);
				return s;
			}
	}
}

static void
not_finite_date(const AmValueReader *r)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("column \"%s\" contains an infinite date or timestamp", r->column),
			 errhint("Replace such values with NULL, which is treated as missing, or filter the rows out.")));
}

void
automl_read_date_parts(const AmValueReader *r, Datum d, double parts[AM_PART_EPOCH_DAYS + 1])
{
	Timestamp	ts;
	struct pg_tm tm;
	fsec_t		fsec;

	if (r->typid == DATEOID)
	{
		DateADT		date = DatumGetDateADT(d);

		if (DATE_NOT_FINITE(date))
			not_finite_date(r);
		ts = (Timestamp) date * USECS_PER_DAY;
	}
	else
		ts = DatumGetTimestamp(d);	/* timestamptz: read in UTC */
	if (TIMESTAMP_NOT_FINITE(ts))
		not_finite_date(r);
	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range in column \"%s\"", r->column)));
	parts[AM_PART_VALUE] = 0.0;
	parts[AM_PART_YEAR] = tm.tm_year;
	parts[AM_PART_MONTH] = tm.tm_mon;
	parts[AM_PART_DAY] = tm.tm_mday;
	parts[AM_PART_DOW] = j2day(date2j(tm.tm_year, tm.tm_mon, tm.tm_mday));
	parts[AM_PART_HOUR] = tm.tm_hour + tm.tm_min / 60.0;
	parts[AM_PART_EPOCH_DAYS] = (double) ts / (double) USECS_PER_DAY;
}
