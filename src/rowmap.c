/*
 * rowmap.c
 *	  Row type -> model features (see rowmap.h).
 */
#include "automl.h"

#include "utils/builtins.h"

#include <math.h>

#include "rowmap.h"

static void
rowmap_alloc(RowMap *rm, const CachedModel *cm, const char *model_name)
{
	int			n = Max(cm->model->schema->n_columns, 1);

	rm->cm = cm;
	rm->model_name = model_name;
	rm->attno = palloc(sizeof(int) * n);
	rm->readers = palloc0(sizeof(AmValueReader) * n);
}

void
rowmap_init_types(RowMap *rm, const CachedModel *cm, const char *model_name,
				  const Oid *types)
{
	AmSchema   *s = cm->model->schema;

	rowmap_alloc(rm, cm, model_name);
	rm->tupdesc = NULL;
	for (int c = 0; c < s->n_columns; c++)
	{
		rm->attno[c] = c;
		automl_reader_init(&rm->readers[c], s->columns[c].name, types[c],
						   s->columns[c].kind, model_name);
	}
}

void
rowmap_init(RowMap *rm, const CachedModel *cm, const char *model_name, TupleDesc td)
{
	AmSchema   *s = cm->model->schema;

	rowmap_alloc(rm, cm, model_name);
	rm->tupdesc = td;
	for (int c = 0; c < s->n_columns; c++)
	{
		const char *col = s->columns[c].name;
		int			found = -1;

		for (int a = 0; a < td->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(td, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), col) == 0)
			{
				found = a;
				break;
			}
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\", which model \"%s\" needs", col, model_name),
					 errhint("Pass a row with the columns the model was trained on; "
							 "automl.feature_names(%s) lists them.", quote_literal_cstr(model_name))));
		rm->attno[c] = found;
		automl_reader_init(&rm->readers[c], col, TupleDescAttr(td, found)->atttypid,
						   s->columns[c].kind, model_name);
	}
}

void
rowmap_features(RowMap *rm, const Datum *values, const bool *nulls, double *raw,
				size_t stride)
{
	AmSchema   *s = rm->cm->model->schema;
	int			parts_of = -1;

	for (int j = 0; j < s->n_features; j++)
	{
		const AmFeature *f = &s->features[j];
		int			c = f->source;
		int			a = rm->attno[c];
		double		v;

		if (nulls[a])
		{
			raw[j * stride] = NAN;
			continue;
		}
		switch (s->columns[c].kind)
		{
			case AM_SRC_NUMERIC:
			case AM_SRC_BOOLEAN:
				v = automl_read_number(&rm->readers[c], values[a]);
				break;
			case AM_SRC_CATEGORICAL:
				{
					uint32		len;
					const char *txt = automl_read_text(&rm->readers[c], values[a], &len);
					int			code = am_strmap_get(rm->cm->level_maps[j], txt, len);

					/* an unseen level is "other" */
					v = code >= 0 ? code : f->n_levels;
					break;
				}
			case AM_SRC_DATE:
			case AM_SRC_TIMESTAMP:
			default:
				if (parts_of != c)
				{
					automl_read_date_parts(&rm->readers[c], values[a], rm->parts);
					parts_of = c;
				}
				v = rm->parts[f->part];
				break;
		}
		raw[j * stride] = v;
	}
}
