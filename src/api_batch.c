/*
 * api_batch.c
 *	  automl.predict_table(): score a whole table or query in blocks of rows
 *	  (one BLAS product per block for linear models, blocked tree traversal
 *	  for tree models) for jobs that write predictions to a table.
 *
 * The source is read through an SPI cursor as the calling role, exactly as
 * training reads it; rows are converted with the same row mapping as
 * automl.predict(), so both give the same predictions.
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "load.h"
#include "model_cache.h"
#include "privileges.h"
#include "rowmap.h"

PG_FUNCTION_INFO_V1(automl_predict_table);

#define BLOCK_ROWS 8192

typedef struct BatchScorer
{
	CachedModel *cm;
	RowMap		map;
	int			key_att;		/* 0-based, -1: no key column */
	FmgrInfo	key_out;
	double	   *raw;			/* column-major BLOCK_ROWS x features */
	double	   *out;			/* row-major BLOCK_ROWS x outputs */
	char	  **keys;
	Datum	   *values;
	bool	   *nulls;
	MemoryContext block_cxt;
} BatchScorer;

static int
best_class(const AmSchema *s, const double *out)
{
	int			best = 0;

	if (s->task == AM_TASK_BINARY)
		return out[0] > 0.5 ? 1 : 0;
	for (int k = 1; k < s->n_classes; k++)
		if (out[k] > out[best])
			best = k;
	return best;
}

static void
emit_block(BatchScorer *b, ReturnSetInfo *rsinfo, int nb)
{
	const AmSchema *s = b->cm->model->schema;
	int			outs = b->cm->n_outputs;

	am_model_predict(b->cm->model, b->raw, BLOCK_ROWS, nb, b->out);
	for (int i = 0; i < nb; i++)
	{
		const double *o = b->out + (size_t) i * outs;
		Datum		values[4];
		bool		nulls[4] = {b->keys[i] == NULL, false, false, false};

		values[0] = b->keys[i] ? CStringGetTextDatum(b->keys[i]) : (Datum) 0;
		if (s->task == AM_TASK_REGRESSION)
		{
			values[1] = Float8GetDatum(o[0]);
			nulls[2] = nulls[3] = true;
		}
		else
		{
			int			c = best_class(s, o);
			Datum	   *probs = palloc(sizeof(Datum) * s->n_classes);

			values[1] = Float8GetDatum(b->cm->class_values[c]);
			nulls[1] = isnan(b->cm->class_values[c]);
			values[2] = CStringGetTextDatum(s->classes[c]);
			for (int k = 0; k < s->n_classes; k++)
				probs[k] = Float8GetDatum(s->task == AM_TASK_BINARY ?
										  (k == 1 ? o[0] : 1.0 - o[0]) : o[k]);
			values[3] = PointerGetDatum(construct_array(probs, s->n_classes, FLOAT8OID,
														sizeof(float8), FLOAT8PASSBYVAL,
														TYPALIGN_DOUBLE));
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static void
score_cursor(BatchScorer *b, Portal portal, ReturnSetInfo *rsinfo)
{
	int			nb = 0;

	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, BLOCK_ROWS);
		n = SPI_processed;
		tt = SPI_tuptable;
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(b->block_cxt);
		for (uint64 r = 0; r < n; r++)
		{
			heap_deform_tuple(tt->vals[r], tt->tupdesc, b->values, b->nulls);
			rowmap_features(&b->map, b->values, b->nulls, b->raw + nb, BLOCK_ROWS);
			b->keys[nb] = (b->key_att < 0 || b->nulls[b->key_att]) ? NULL :
				OutputFunctionCall(&b->key_out, b->values[b->key_att]);
			if (++nb == BLOCK_ROWS)
			{
				emit_block(b, rsinfo, nb);
				nb = 0;
				MemoryContextReset(b->block_cxt);
			}
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(tt);
	}
	if (nb > 0)
		emit_block(b, rsinfo, nb);
}

Datum
automl_predict_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	char	   *source;
	char	   *sql;
	int32		version;
	int			read_only;
	BatchScorer b;
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	td;
	MemoryContext query_cxt;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name and source must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	check_model_privilege(name, AM_PRIV_SCORE, "score with");
	version = PG_ARGISNULL(3) ? model_cache_deployed_version(name) : PG_GETARG_INT32(3);
	query_cxt = rsinfo->econtext->ecxt_per_query_memory;

	memset(&b, 0, sizeof(b));
	b.cm = model_cache_acquire(name, version, query_cxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sql = automl_source_sql(source);
	read_only = automl_begin_source_read();
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	td = portal->tupDesc;

	rowmap_init(&b.map, b.cm, name, td);
	b.key_att = -1;
	if (!PG_ARGISNULL(2))
	{
		char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(2));
		Oid			outfunc;
		bool		varlena;

		for (int a = 0; a < td->natts; a++)
			if (!TupleDescAttr(td, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(td, a)->attname), key) == 0)
				b.key_att = a;
		if (b.key_att < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("key column \"%s\" does not exist in the source", key)));
		getTypeOutputInfo(TupleDescAttr(td, b.key_att)->atttypid, &outfunc, &varlena);
		fmgr_info(outfunc, &b.key_out);
	}
	b.raw = palloc(sizeof(double) * BLOCK_ROWS * Max(b.cm->model->schema->n_features, 1));
	b.out = palloc(sizeof(double) * BLOCK_ROWS * b.cm->n_outputs);
	b.keys = palloc0(sizeof(char *) * BLOCK_ROWS);
	b.values = palloc(sizeof(Datum) * Max(td->natts, 1));
	b.nulls = palloc(sizeof(bool) * Max(td->natts, 1));
	b.block_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl batch block",
										ALLOCSET_DEFAULT_SIZES);
	score_cursor(&b, portal, rsinfo);
	SPI_cursor_close(portal);
	automl_end_source_read(read_only);
	SPI_finish();
	return (Datum) 0;
}
