/*
 * load_spi.c
 *	  Read a table, view or query through an SPI cursor into a column-major
 *	  dataset, as the calling role, checking the memory budget as it grows.
 *
 * Column handling: numbers and booleans become numeric features, text-like
 * and enum columns categorical ones (the most frequent levels kept, rare
 * ones grouped as "other"), dates and timestamps several numeric parts.
 * Columns that cannot help (all NULL, constant, identifier-like text) are
 * dropped with a NOTICE; rows whose target is NULL are skipped.
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/varlena.h"

#include "convert.h"
#include "load.h"
#include "rng.h"

#define FETCH_ROWS 10000
#define MAX_CLASSES 1000
#define INTEGER_CLASS_LIMIT 20	/* integer targets with at most this many values */
#define ID_LIKE_MIN_ROWS 20

typedef struct ColState
{
	char	   *name;
	int			attno;			/* 1-based in the cursor's tuple descriptor */
	Oid			typid;
	AmSourceKind kind;
	AmValueReader reader;
	int			n_parts;
	const AmPart *parts;
	double	  **vals;			/* one array per part */
	int64		n_null;
	/* categorical */
	AmStrMap   *levels;			/* level -> provisional code */
	int64	   *counts;
	char	  **level_text;
	int			levels_cap;
	bool		drop;
} ColState;

typedef struct Loader
{
	const AmLoadRequest *req;
	MemoryContext keep_cxt;		/* where the dataset lives */
	MemoryContext row_cxt;		/* per-batch scratch, reset after each fetch */
	int			n_cols;
	ColState   *cols;
	int			n_parts_total;
	ColState	target;
	int64		rows;			/* rows held */
	int64		cap;			/* rows allocated */
	int64		skipped;
	/* sampling when the source does not fit automl.memory_limit */
	int64		max_rows;		/* rows that fit */
	int64		read;			/* rows with a target read (this pass) */
	bool		sampling;
	AmRng		rng;
	int			n_strata;		/* one for a numeric target, one per class else */
	AmStrMap   *strata;			/* class text -> stratum */
	int64	   *quota;
	int64	   *seen;
	int64	   *kept;
	int64	  **slots;			/* per stratum: the row positions it holds */
	List	   *notes;			/* the NOTICEs raised, for the run's record */
	List	   *dropped;		/* AmDroppedColumn of columns left out */
} Loader;

/* Raise a NOTICE and keep its text for the run's record. */
static void
note(Loader *ld, const char *detail, const char *hint, const char *fmt,...)
pg_attribute_printf(4, 5);

static void
note(Loader *ld, const char *detail, const char *hint, const char *fmt,...)
{
	va_list		ap;
	StringInfoData msg;
	MemoryContext old = MemoryContextSwitchTo(ld->keep_cxt);

	initStringInfo(&msg);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&msg, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ld->notes = lappend(ld->notes, msg.data);
	MemoryContextSwitchTo(old);
	if (!ld->req->quiet)
		ereport(NOTICE,
				(errmsg("%s", msg.data),
				 detail ? errdetail("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
}

static void
drop_column(Loader *ld, const char *name, const char *role)
{
	MemoryContext old = MemoryContextSwitchTo(ld->keep_cxt);
	AmDroppedColumn *dc = palloc(sizeof(AmDroppedColumn));

	dc->name = pstrdup(name);
	dc->role = role;
	ld->dropped = lappend(ld->dropped, dc);
	MemoryContextSwitchTo(old);
}

#define SEARCH_SHARE 0.6		/* of automl.memory_limit, for per-row data */
#define PER_ROW_OVERHEAD 96		/* indexes, validation predictions, targets */
#define MIN_SAMPLE_ROWS 200
#define MIN_STRATUM_ROWS 5

static bool
starts_with_keyword(const char *s, const char *kw)
{
	size_t		n = strlen(kw);

	return pg_strncasecmp(s, kw, n) == 0 &&
		!(isalnum((unsigned char) s[n]) || s[n] == '_');
}

/*
 * Is the source text a query rather than a relation name?  A name is one or
 * more identifiers (quoted or not) joined by dots; anything else is taken as
 * a query and checked as one, so "DELETE FROM t" gets a clear error.
 */
static bool
source_is_query(const char *src)
{
	const char *p = src;

	while (*p && isspace((unsigned char) *p))
		p++;
	if (starts_with_keyword(p, "select") || starts_with_keyword(p, "with") ||
		starts_with_keyword(p, "table") || starts_with_keyword(p, "values") || *p == '(')
		return true;
	while (*p)
	{
		if (*p == '"')
		{
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++)
				if (*p == '"')
					p++;		/* a doubled quote inside */
			if (*p == '"')
				p++;
		}
		else if (isalnum((unsigned char) *p) || *p == '_' || *p == '$' || *p == '.' ||
				 IS_HIGHBIT_SET(*p))
			p++;
		else if (isspace((unsigned char) *p))
		{
			while (isspace((unsigned char) *p))
				p++;
			return *p != '\0';		/* words after a space: a statement */
		}
		else
			return true;
	}
	return false;
}

/* Accept exactly one plain SELECT: no DML in WITH, no INTO, no row locks. */
static void
check_query(const char *src)
{
	List	   *stmts = raw_parser(src, RAW_PARSE_DEFAULT);
	RawStmt    *raw;
	SelectStmt *sel;

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source must be a single query, not %d statements", list_length(stmts))));
	raw = linitial_node(RawStmt, stmts);
	if (!IsA(raw->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a SELECT, TABLE, VALUES or WITH ... SELECT query")));
	sel = (SelectStmt *) raw->stmt;
	if (sel->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not use SELECT INTO")));
	if (sel->lockingClause != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must not lock rows (FOR UPDATE/SHARE)")));
	if (sel->withClause != NULL)
	{
		ListCell   *lc;

		foreach(lc, sel->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("source query must not modify data (WITH \"%s\" is not a SELECT)",
								cte->ctename)));
		}
	}
}

char *
automl_source_sql(const char *source)
{
	return automl_source_sql_rel(source, NULL);
}

/* SELECT * FROM a relation, by its name now (locked, so it stays that relation). */
char *
automl_relation_sql(Oid relid)
{
	char	   *rel;
	char	   *nsp;

	LockRelationOid(relid, AccessShareLock);
	rel = get_rel_name(relid);
	nsp = rel ? get_namespace_name(get_rel_namespace(relid)) : NULL;
	if (rel == NULL || nsp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table the source named no longer exists")));
	return psprintf("SELECT * FROM %s", quote_qualified_identifier(nsp, rel));
}

char *
automl_source_sql_rel(const char *source, Oid *relid_out)
{
	List	   *names;
	RangeVar   *rv;
	Oid			relid;
	char		relkind;

	if (relid_out)
		*relid_out = InvalidOid;
	if (source_is_query(source))
	{
		check_query(source);
		return pstrdup(source);
	}
	names = stringToQualifiedNameList(source);
	rv = makeRangeVarFromNameList(names);
	relid = RangeVarGetRelid(rv, AccessShareLock, false);
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view or query", source)));
	if (relid_out)
		*relid_out = relid;
	return psprintf("SELECT * FROM %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)));
}

char *
automl_query_temp_relation(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);
	ListCell   *lc;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source query: %s",
			 SPI_result_code_string(SPI_result));
	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *ps = lfirst(lc);
		ListCell   *rc;

		foreach(rc, ps->relationOids)
		{
			Oid			relid = lfirst_oid(rc);

			if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
				return get_rel_name(relid);
		}
	}
	SPI_freeplan(plan);
	return NULL;
}

static bool
name_in(const char *name, char **list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static void
init_column(ColState *c, const char *name, int attno, Oid typid, AmSourceKind kind)
{
	memset(c, 0, sizeof(*c));
	c->name = pstrdup(name);
	c->attno = attno;
	c->typid = typid;
	c->kind = kind;
	automl_reader_init(&c->reader, c->name, typid, kind, NULL);
	if (kind == AM_SRC_DATE)
	{
		c->parts = am_date_parts;
		c->n_parts = am_n_date_parts;
	}
	else if (kind == AM_SRC_TIMESTAMP)
	{
		c->parts = am_timestamp_parts;
		c->n_parts = am_n_timestamp_parts;
	}
	else
	{
		static const AmPart value_part[] = {AM_PART_VALUE};

		c->parts = value_part;
		c->n_parts = 1;
	}
	c->vals = palloc0(sizeof(double *) * c->n_parts);
	if (kind == AM_SRC_CATEGORICAL)
	{
		c->levels = am_strmap_create(64);
		c->levels_cap = 64;
		c->counts = palloc0(sizeof(int64) * c->levels_cap);
		c->level_text = palloc0(sizeof(char *) * c->levels_cap);
	}
}

/* Match the cursor's columns to the target, features and exclusions. */
static void
plan_columns(Loader *ld, TupleDesc td)
{
	const AmLoadRequest *req = ld->req;
	bool		found_target = false;

	ld->cols = palloc0(sizeof(ColState) * td->natts);
	for (int i = 0; i < req->n_exclude; i++)
	{
		bool		found = false;

		for (int a = 0; a < td->natts; a++)
			if (!TupleDescAttr(td, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(td, a)->attname), req->exclude[i]) == 0)
				found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("excluded column \"%s\" does not exist in the source", req->exclude[i])));
		if (strcmp(req->exclude[i], req->target) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the target column \"%s\" cannot be excluded", req->target)));
	}
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);
		const char *name = NameStr(att->attname);
		AmSourceKind kind;

		if (att->attisdropped)
			continue;
		for (int b = 0; b < a; b++)
			if (!TupleDescAttr(td, b)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(td, b)->attname), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("source has more than one column named \"%s\"", name),
						 errhint("Give the columns distinct aliases in the query.")));
		if (strcmp(name, req->target) == 0)
		{
			if (!automl_type_kind(att->atttypid, &kind) ||
				kind == AM_SRC_DATE || kind == AM_SRC_TIMESTAMP)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("target column \"%s\" has type %s, which cannot be predicted",
								name, format_type_be(att->atttypid)),
						 errhint("The target must be a number, a boolean, or a text or enum label.")));
			init_column(&ld->target, name, a + 1, att->atttypid, kind);
			found_target = true;
			continue;
		}
		if (name_in(name, req->exclude, req->n_exclude))
		{
			drop_column(ld, name, "excluded");
			continue;
		}
		if (!automl_type_kind(att->atttypid, &kind))
		{
			note(ld, "Only numbers, booleans, text, enums, dates and timestamps are used as features.",
				 NULL, "column \"%s\" of type %s is ignored", name, format_type_be(att->atttypid));
			drop_column(ld, name, "unsupported type");
			continue;
		}
		init_column(&ld->cols[ld->n_cols], name, a + 1, att->atttypid, kind);
		ld->n_parts_total += ld->cols[ld->n_cols].n_parts;
		ld->n_cols++;
	}
	if (!found_target)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("target column \"%s\" does not exist in the source", req->target)));
	if (ld->n_cols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("source has no feature columns besides the target \"%s\"", req->target)));
}

static void
grow_rows(Loader *ld)
{
	int64		newcap = ld->cap == 0 ? 1024 : ld->cap * 2;
	size_t		per_row = sizeof(double) * (ld->n_parts_total + 1);
	MemoryContext old;

	if (newcap > INT_MAX - 1)
		newcap = INT_MAX - 1;
	if (ld->rows >= newcap)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("source has more than %d rows", INT_MAX - 1)));

	am_memory_reserve((size_t) (newcap - ld->cap) * per_row, "training rows");
	old = MemoryContextSwitchTo(ld->keep_cxt);
	for (int c = 0; c < ld->n_cols; c++)
		for (int p = 0; p < ld->cols[c].n_parts; p++)
			ld->cols[c].vals[p] = am_realloc(ld->cols[c].vals[p], sizeof(double) * newcap);
	ld->target.vals[0] = am_realloc(ld->target.vals[0], sizeof(double) * newcap);
	MemoryContextSwitchTo(old);
	ld->cap = newcap;
}

/* Provisional code of a categorical value (first-seen order). */
static int
level_code(Loader *ld, ColState *c, Datum d)
{
	uint32		len;
	const char *s = automl_read_text(&c->reader, d, &len);
	int			n = c->levels->size;
	int			code = am_strmap_get(c->levels, s, len);

	if (code < 0)
	{
		MemoryContext old = MemoryContextSwitchTo(ld->keep_cxt);

		code = am_strmap_put(c->levels, s, len, n);
		if (n >= c->levels_cap)
		{
			c->levels_cap *= 2;
			c->counts = repalloc(c->counts, sizeof(int64) * c->levels_cap);
			memset(c->counts + n, 0, sizeof(int64) * (c->levels_cap - n));
			c->level_text = repalloc(c->level_text, sizeof(char *) * c->levels_cap);
		}
		c->level_text[n] = pnstrdup(s, len);
		MemoryContextSwitchTo(old);
	}
	c->counts[code]++;
	return code;
}

static void
read_value(Loader *ld, ColState *c, Datum d, bool isnull, int64 row)
{
	if (isnull)
	{
		c->n_null++;
		for (int p = 0; p < c->n_parts; p++)
			c->vals[p][row] = NAN;
		return;
	}
	switch (c->kind)
	{
		case AM_SRC_NUMERIC:
		case AM_SRC_BOOLEAN:
			c->vals[0][row] = automl_read_number(&c->reader, d);
			break;
		case AM_SRC_CATEGORICAL:
			c->vals[0][row] = level_code(ld, c, d);
			break;
		case AM_SRC_DATE:
		case AM_SRC_TIMESTAMP:
			{
				double		parts[AM_PART_EPOCH_DAYS + 1];

				automl_read_date_parts(&c->reader, d, parts);
				for (int p = 0; p < c->n_parts; p++)
					c->vals[p][row] = parts[c->parts[p]];
				break;
			}
	}
}

/* Read one row into position pos (a new row, or a reservoir slot). */
static void
store_row(Loader *ld, HeapTuple tup, TupleDesc td, Datum target, int64 pos)
{
	read_value(ld, &ld->target, target, false, pos);
	for (int c = 0; c < ld->n_cols; c++)
	{
		ColState   *col = &ld->cols[c];
		bool		isnull;
		Datum		d = SPI_getbinval(tup, td, col->attno, &isnull);

		read_value(ld, col, d, isnull, pos);
	}
}

/* The stratum of a row: its class, or the only one for a numeric target. */
static int
stratum_of(Loader *ld, Datum target)
{
	uint32		len;
	const char *txt;
	int			k;

	if (ld->strata == NULL)
		return 0;
	txt = automl_read_text(&ld->target.reader, target, &len);
	k = am_strmap_get(ld->strata, txt, len);
	if (k < 0)
	{
		/* a class the count did not see (the data changed): a small quota */
		MemoryContext old = MemoryContextSwitchTo(ld->keep_cxt);

		k = ld->n_strata++;
		am_strmap_put(ld->strata, txt, len, k);
		ld->quota = repalloc(ld->quota, sizeof(int64) * ld->n_strata);
		ld->seen = repalloc(ld->seen, sizeof(int64) * ld->n_strata);
		ld->kept = repalloc(ld->kept, sizeof(int64) * ld->n_strata);
		ld->slots = repalloc(ld->slots, sizeof(int64 *) * ld->n_strata);
		ld->quota[k] = MIN_STRATUM_ROWS;
		ld->seen[k] = ld->kept[k] = 0;
		ld->slots[k] = palloc(sizeof(int64) * MIN_STRATUM_ROWS);
		MemoryContextSwitchTo(old);
	}
	return k;
}

/* Reservoir sampling (Vitter's algorithm R) within the row's stratum. */
static void
sample_row(Loader *ld, HeapTuple tup, TupleDesc td, Datum target)
{
	int			k = stratum_of(ld, target);
	int64		pos;

	ld->seen[k]++;
	if (ld->kept[k] < ld->quota[k])
	{
		if (ld->rows >= ld->cap)
			grow_rows(ld);
		pos = ld->rows++;
		ld->slots[k][ld->kept[k]++] = pos;
	}
	else
	{
		uint64		j = am_rng_below(&ld->rng, (uint64) ld->seen[k]);

		if (j >= (uint64) ld->quota[k])
			return;
		pos = ld->slots[k][j];
	}
	store_row(ld, tup, td, target, pos);
}

typedef enum FetchResult
{
	FETCH_DONE,
	FETCH_OVERFLOW				/* more rows than fit: sample a class target */
} FetchResult;

/* Start sampling a numeric target in place: the rows so far are the reservoir. */
static void
start_uniform_sample(Loader *ld)
{
	MemoryContext old = MemoryContextSwitchTo(ld->keep_cxt);

	ld->sampling = true;
	ld->n_strata = 1;
	ld->quota = palloc(sizeof(int64));
	ld->seen = palloc(sizeof(int64));
	ld->kept = palloc(sizeof(int64));
	ld->slots = palloc(sizeof(int64 *));
	ld->quota[0] = ld->max_rows;
	ld->seen[0] = ld->kept[0] = ld->rows;
	ld->slots[0] = palloc(sizeof(int64) * ld->max_rows);
	for (int64 i = 0; i < ld->rows; i++)
		ld->slots[0][i] = i;
	MemoryContextSwitchTo(old);
}

static FetchResult
fetch_all(Loader *ld, Portal portal)
{
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		n = SPI_processed;
		tt = SPI_tuptable;
		if (n == 0)
			break;
		old = MemoryContextSwitchTo(ld->row_cxt);
		for (uint64 r = 0; r < n; r++)
		{
			HeapTuple	tup = tt->vals[r];
			bool		isnull;
			Datum		d = SPI_getbinval(tup, tt->tupdesc, ld->target.attno, &isnull);

			if (isnull)
			{
				ld->skipped++;
				continue;
			}
			ld->read++;
			if (ld->sampling)
			{
				sample_row(ld, tup, tt->tupdesc, d);
				continue;
			}
			if (ld->rows >= ld->max_rows)
			{
				if (ld->target.kind == AM_SRC_CATEGORICAL)
				{
					MemoryContextSwitchTo(ld->keep_cxt);
					SPI_freetuptable(tt);
					return FETCH_OVERFLOW;
				}
				start_uniform_sample(ld);
				sample_row(ld, tup, tt->tupdesc, d);
				continue;
			}
			if (ld->rows >= ld->cap)
				grow_rows(ld);
			store_row(ld, tup, tt->tupdesc, d, ld->rows);
			ld->rows++;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(ld->row_cxt);
		SPI_freetuptable(tt);
	}
	MemoryContextSwitchTo(ld->keep_cxt);
	return FETCH_DONE;
}

/*
 * Quotas of a stratified sample of a class target: each class its share of
 * max_rows, and at least a few rows (or all it has).
 */
static void
plan_stratified_sample(Loader *ld, const char *sql)
{
	char	   *count_sql = psprintf("SELECT %s::text, count(*) FROM (%s) s WHERE %s IS NOT NULL "
									 "GROUP BY 1", quote_identifier(ld->target.name), sql,
									 quote_identifier(ld->target.name));
	int64		total = 0;

	CHECK_FOR_INTERRUPTS();
	if (SPI_execute(count_sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not count the classes of the source");
	MemoryContextSwitchTo(ld->keep_cxt);
	ld->n_strata = (int) SPI_processed;
	ld->strata = am_strmap_create(ld->n_strata);
	ld->quota = palloc0(sizeof(int64) * Max(ld->n_strata, 1));
	ld->seen = palloc0(sizeof(int64) * Max(ld->n_strata, 1));
	ld->kept = palloc0(sizeof(int64) * Max(ld->n_strata, 1));
	ld->slots = palloc0(sizeof(int64 *) * Max(ld->n_strata, 1));
	for (int k = 0; k < ld->n_strata; k++)
	{
		bool		isnull;

		total += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2, &isnull));
	}
	for (int k = 0; k < ld->n_strata; k++)
	{
		bool		isnull;
		char	   *label = SPI_getvalue(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1);
		int64		count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc,
														2, &isnull));
		int64		share = (int64) ((double) count * ld->max_rows / Max(total, 1));

		am_strmap_put(ld->strata, label, strlen(label), k);
		ld->quota[k] = Max(share, Min(count, MIN_STRATUM_ROWS));
		ld->slots[k] = palloc(sizeof(int64) * Max(ld->quota[k], 1));
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Forget the rows of a pass that is started again (keep the arrays). */
static void
reset_rows(Loader *ld)
{
	ld->rows = 0;
	ld->read = 0;
	ld->skipped = 0;
}

/*
 * Rows of this source that fit automl.memory_limit: per row, the raw values,
 * the encoded matrix a trial builds (numbers with a missing indicator, about
 * 16 one-hot columns per categorical), the validation predictions and
 * indexes; SEARCH_SHARE of the limit for these, the rest for everything else.
 */
static int64
rows_that_fit(const Loader *ld)
{
	size_t		raw = sizeof(double) * (ld->n_parts_total + 1);
	size_t		encoded = 0;
	size_t		per_row;
	double		bytes = (double) automl_memory_limit_kb * 1024.0 * SEARCH_SHARE;
	int64		rows;

	for (int c = 0; c < ld->n_cols; c++)
		encoded += sizeof(double) * (ld->cols[c].kind == AM_SRC_CATEGORICAL ? 16 : 2 * ld->cols[c].n_parts);
	per_row = raw + encoded + PER_ROW_OVERHEAD;
	rows = (int64) (bytes / per_row);
	if (rows < MIN_SAMPLE_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("automl.memory_limit of %d kB cannot hold even %d rows of this source",
						automl_memory_limit_kb, MIN_SAMPLE_ROWS),
				 errdetail("Each row needs about %zu bytes for its values and their encoding.",
						   per_row),
				 errhint("Raise automl.memory_limit, or train on fewer columns.")));
	return Min(rows, INT_MAX - 1);
}

/* True when a part has no NULLs and a single value. */
static bool
part_constant(const double *v, int64 n)
{
	for (int64 i = 1; i < n; i++)
		if (v[i] != v[0])
			return false;
	return n > 0 && !isnan(v[0]);
}


/*
 * A serial-like column: distinct integers whose range is close to the row
 * count (a key such as "id", not a measurement).
 */
static bool
numeric_id_like(const double *v, int64 n)
{
	double	   *s;
	bool		result = true;
	double		lo = v[0],
				hi = v[0];

	/* most columns give themselves away without a sort */
	for (int64 i = 0; i < n; i++)
	{
		if (v[i] != floor(v[i]))
			return false;
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	if (hi - lo + 1 > 1.1 * n)
		return false;
	s = palloc(sizeof(double) * n);
	memcpy(s, v, sizeof(double) * n);
	am_sort_doubles(s, NULL, (size_t) n);
	for (int64 i = 0; i < n && result; i++)
		if (s[i] != floor(s[i]) || (i > 0 && s[i] == s[i - 1]))
			result = false;
	if (result && s[n - 1] - s[0] + 1 > 1.1 * n)
		result = false;
	pfree(s);
	return result;
}

/* Null and level counts of the rows kept (a sample replaced some rows). */
static void
recount(Loader *ld)
{
	for (int c = 0; c < ld->n_cols; c++)
	{
		ColState   *col = &ld->cols[c];
		const double *v = col->vals[0];

		col->n_null = 0;
		if (col->kind == AM_SRC_CATEGORICAL)
			memset(col->counts, 0, sizeof(int64) * col->levels_cap);
		for (int64 i = 0; i < ld->rows; i++)
		{
			if (isnan(v[i]))
				col->n_null++;
			else if (col->kind == AM_SRC_CATEGORICAL)
				col->counts[(int) v[i]]++;
		}
	}
	if (ld->target.kind == AM_SRC_CATEGORICAL)
	{
		memset(ld->target.counts, 0, sizeof(int64) * ld->target.levels_cap);
		for (int64 i = 0; i < ld->rows; i++)
			ld->target.counts[(int) ld->target.vals[0][i]]++;
	}
}

static void
choose_columns(Loader *ld)
{
	for (int c = 0; c < ld->n_cols; c++)
	{
		ColState   *col = &ld->cols[c];
		int64		present = ld->rows - col->n_null;

		if (present == 0)
		{
			note(ld, NULL, NULL, "column \"%s\" is ignored because it is NULL in every row", col->name);
			drop_column(ld, col->name, "empty");
			col->drop = true;
		}
		else if (col->kind == AM_SRC_CATEGORICAL)
		{
			if (col->levels->size == 1 && col->n_null == 0)
			{
				note(ld, NULL, NULL, "column \"%s\" is ignored because it has the same value in every row",
					 col->name);
				drop_column(ld, col->name, "constant");
				col->drop = true;
			}
			else if (present >= ID_LIKE_MIN_ROWS && col->levels->size >= 0.95 * present)
			{
				note(ld, psprintf("%d of its %lld values are distinct.", col->levels->size,
								  (long long) present),
					 psprintf("Exclude it explicitly with exclude => ARRAY[%s] to silence this notice.",
							  quote_literal_cstr(col->name)),
					 "column \"%s\" is ignored because it looks like an identifier", col->name);
				drop_column(ld, col->name, "id-like");
				col->drop = true;
			}
		}
		else if (col->kind == AM_SRC_NUMERIC && col->n_null == 0 &&
				 present >= ID_LIKE_MIN_ROWS && numeric_id_like(col->vals[0], present))
		{
			note(ld, "Its values are distinct integers forming a near-contiguous sequence.",
				 psprintf("Exclude it explicitly with exclude => ARRAY[%s] to silence this notice.",
						  quote_literal_cstr(col->name)),
				 "column \"%s\" is ignored because it looks like an identifier", col->name);
			drop_column(ld, col->name, "id-like");
			col->drop = true;
		}
		else if (col->n_null == 0)
		{
			bool		all_constant = true;

			for (int p = 0; p < col->n_parts; p++)
				if (!part_constant(col->vals[p], ld->rows))
					all_constant = false;
			if (all_constant)
			{
				note(ld, NULL, NULL, "column \"%s\" is ignored because it has the same value in every row",
					 col->name);
				drop_column(ld, col->name, "constant");
				col->drop = true;
			}
		}
	}
}

typedef struct LevelRank
{
	int			code;
	int64		count;
	const char *text;
} LevelRank;

static int
cmp_level_by_count(const void *a, const void *b)
{
	const LevelRank *x = a,
			   *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int
cmp_level_by_text(const void *a, const void *b)
{
	return strcmp(((const LevelRank *) a)->text, ((const LevelRank *) b)->text);
}

/*
 * Keep the max_categories most frequent levels seen at least twice, sorted
 * by text; recode values to 0..kept-1 and everything else to kept ("other").
 */
static void
finish_categorical(Loader *ld, ColState *c, int64 rows, int max_categories, AmFeature *f)
{
	int			n = c->levels->size;
	LevelRank  *rank = palloc(sizeof(LevelRank) * Max(n, 1));
	int		   *recode = palloc(sizeof(int) * Max(n, 1));
	int			kept = 0;
	double	   *v = c->vals[0];

	for (int i = 0; i < n; i++)
	{
		rank[i].code = i;
		rank[i].count = c->counts[i];
		rank[i].text = c->level_text[i];
	}
	qsort(rank, n, sizeof(LevelRank), cmp_level_by_count);
	while (kept < n && kept < max_categories && rank[kept].count >= 2)
		kept++;
	if (kept == 0 && n > 0)
		kept = 1;
	qsort(rank, kept, sizeof(LevelRank), cmp_level_by_text);
	for (int i = 0; i < n; i++)
		recode[i] = kept;
	f->n_levels = kept;
	f->levels = palloc(sizeof(char *) * Max(kept, 1));
	for (int k = 0; k < kept; k++)
	{
		recode[rank[k].code] = k;
		f->levels[k] = pstrdup(rank[k].text);
	}
	if (n > kept)
		note(ld, psprintf("Levels seen only once, or beyond the %d most frequent, share one code.",
						  max_categories), NULL,
			 "column \"%s\": %d of its %d levels are grouped as \"other\"", c->name, n - kept, n);
	for (int64 i = 0; i < rows; i++)
		if (!isnan(v[i]))
			v[i] = recode[(int) v[i]];
	pfree(rank);
	pfree(recode);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static char *
number_label(double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return psprintf("%.0f", v);
	return psprintf("%.15g", v);
}

/* Decide the task and turn the target into values or class indexes. */
static void
finish_target(Loader *ld, AmSchema *s)
{
	ColState   *t = &ld->target;
	const char *req = ld->req->task;
	bool		want_class,
				want_reg;
	double	   *y = t->vals[0];

	s->target = t->name;
	s->target_kind = t->kind;
	s->target_type = format_type_be(t->typid);
	want_class = strcmp(req, "classification") == 0 || strcmp(req, "binary") == 0 ||
		strcmp(req, "multiclass") == 0;
	want_reg = strcmp(req, "regression") == 0;

	if (t->kind == AM_SRC_CATEGORICAL)
	{
		LevelRank  *rank;
		int		   *recode;
		int			n = t->levels->size;

		if (want_reg)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cannot train a regression on target column \"%s\" of type %s",
							t->name, s->target_type)));
		rank = palloc(sizeof(LevelRank) * n);
		recode = palloc(sizeof(int) * n);
		for (int i = 0; i < n; i++)
		{
			rank[i].code = i;
			rank[i].text = t->level_text[i];
			rank[i].count = t->counts[i];
		}
		qsort(rank, n, sizeof(LevelRank), cmp_level_by_text);
		s->n_classes = n;
		s->classes = palloc(sizeof(char *) * n);
		for (int k = 0; k < n; k++)
		{
			recode[rank[k].code] = k;
			s->classes[k] = pstrdup(rank[k].text);
		}
		for (int64 i = 0; i < ld->rows; i++)
			y[i] = recode[(int) y[i]];
	}
	else
	{
		/* numbers and booleans: distinct values decide the task */
		double	   *sorted = palloc(sizeof(double) * ld->rows);
		int			distinct = 0;
		bool		integral = true;

		memcpy(sorted, y, sizeof(double) * ld->rows);
		am_sort_doubles(sorted, NULL, (size_t) ld->rows);
		for (int64 i = 0; i < ld->rows; i++)
		{
			if (i == 0 || sorted[i] != sorted[i - 1])
				sorted[distinct++] = sorted[i];
			if (sorted[distinct - 1] != floor(sorted[distinct - 1]))
				integral = false;
		}
		if (!want_class && !want_reg)
		{
			want_class = (t->kind == AM_SRC_BOOLEAN) ||
				(integral && distinct <= INTEGER_CLASS_LIMIT);
			if (want_class && t->kind != AM_SRC_BOOLEAN)
				note(ld, NULL, "Pass task => 'regression' to predict it as a number.",
					 "task inferred as classification: target \"%s\" has %d integer values",
					 t->name, distinct);
		}
		if (!want_class)
		{
			if (distinct == 1)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("target column \"%s\" has the same value in every row", t->name)));
			s->task = AM_TASK_REGRESSION;
			s->n_classes = 0;
			return;
		}
		if (distinct > MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target column \"%s\" has %d distinct values, too many classes (at most %d)",
							t->name, distinct, MAX_CLASSES),
					 errhint("Pass task => 'regression' to predict it as a number.")));
		s->n_classes = distinct;
		s->classes = palloc(sizeof(char *) * distinct);
		for (int k = 0; k < distinct; k++)
			s->classes[k] = t->kind == AM_SRC_BOOLEAN ?
				pstrdup(sorted[k] != 0 ? "true" : "false") : number_label(sorted[k]);
		for (int64 i = 0; i < ld->rows; i++)
		{
			double	   *hit = bsearch(&y[i], sorted, distinct, sizeof(double), cmp_double);

			y[i] = (double) (hit - sorted);
		}
	}
	if (s->n_classes < 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("target column \"%s\" has only one class (\"%s\")", t->name, s->classes[0]),
				 errhint("Classification needs rows of at least two classes.")));
	s->task = s->n_classes == 2 ? AM_TASK_BINARY : AM_TASK_MULTICLASS;
	if (strcmp(req, "binary") == 0 && s->task != AM_TASK_BINARY)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("task \"binary\" needs two classes, but target column \"%s\" has %d",
						t->name, s->n_classes)));
	if (strcmp(req, "multiclass") == 0 && s->task != AM_TASK_MULTICLASS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("task \"multiclass\" needs at least three classes, but target column \"%s\" has 2",
						t->name)));
}

static void
build_schema(Loader *ld, AmSchema *s, AmDataset *d)
{
	int			nf = 0,
				nc = 0;

	s->columns = palloc0(sizeof(AmSourceColumn) * ld->n_cols);
	s->features = palloc0(sizeof(AmFeature) * ld->n_parts_total);
	d->x = palloc0(sizeof(double *) * ld->n_parts_total);
	for (int c = 0; c < ld->n_cols; c++)
	{
		ColState   *col = &ld->cols[c];
		int			first = nf;

		if (col->drop)
			continue;
		for (int p = 0; p < col->n_parts; p++)
		{
			AmFeature  *f = &s->features[nf];

			/* a date part without variation (say, one year) is left out */
			if (col->n_parts > 1 && col->n_null == 0 && part_constant(col->vals[p], ld->rows))
				continue;
			f->name = psprintf("%s%s", col->name, am_part_suffix(col->parts[p]));
			f->source = nc;
			f->part = col->parts[p];
			f->categorical = (col->kind == AM_SRC_CATEGORICAL);
			if (f->categorical)
				finish_categorical(ld, col, ld->rows, ld->req->max_categories, f);
			d->x[nf] = col->vals[p];
			nf++;
		}
		if (nf == first)
			continue;
		s->columns[nc].name = col->name;
		s->columns[nc].kind = col->kind;
		s->columns[nc].type_name = format_type_be(col->typid);
		nc++;
	}
	if (nf == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no usable feature columns remain"),
				 errdetail("Every feature column is NULL, constant or identifier-like.")));
	s->n_columns = nc;
	s->n_features = nf;
}

int
automl_begin_source_read(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
automl_end_source_read(int nest)
{
	/* every setting the source changed goes too, set_config(.., false) included */
	AtEOXact_GUC(false, nest);
}

typedef struct ReadAs
{
	Oid			save_userid;
	int			save_sec_context;
	bool		switched;
} ReadAs;

/*
 * The search_path for another role's query: the recorded one without
 * pg_temp, and pg_temp searched last, so that nothing of this session's can
 * stand in for what the recorder named.
 */
static char *
path_without_temp(const char *search_path)
{
	char	   *copy = pstrdup(search_path);
	List	   *names;
	ListCell   *lc;
	StringInfoData out;

	initStringInfo(&out);
	if (!SplitIdentifierString(copy, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the recorded search_path \"%s\" is invalid", search_path)));
	foreach(lc, names)
	{
		const char *name = lfirst(lc);

		if (strcmp(name, "pg_temp") == 0 || strncmp(name, "pg_temp_", 8) == 0)
			continue;
		appendStringInfo(&out, "%s, ", quote_identifier(name));
	}
	appendStringInfoString(&out, "pg_temp");
	return out.data;
}

/*
 * A session's temporary objects could stand in for what another role's
 * query names (functions and types, not only tables, when the query names
 * pg_temp): such a query is read only in a session without any.
 */
static void
refuse_temporary_objects(Oid role)
{
	if (SPI_execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_cursors)", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for open cursors");
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
								   &(bool) {false})))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot read the source of role \"%s\" in a transaction with open cursors",
						GetUserNameFromId(role, false)),
				 errdetail("Its query could fetch from them."),
				 errhint("Close them, or retrain in a transaction of its own.")));
	if (SPI_execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_depend "
					"WHERE refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass "
					"AND refobjid = pg_catalog.pg_my_temp_schema())", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for temporary objects");
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
								   &(bool) {false})))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot read the source of role \"%s\" in a session with temporary objects",
						GetUserNameFromId(role, false)),
				 errdetail("They could stand in for objects the source names, and run as that role."),
				 errhint("Drop them (DISCARD TEMP), or use a new session.")));
}

/*
 * Read-only, and where given on a recorded search_path and as another role
 * (retrain: the role that recorded the source).  That role is taken the way
 * PostgreSQL refreshes a materialized view as its owner, in a
 * security-restricted operation: the query cannot change the role (SET ROLE
 * fails), create temporary objects or keep cursors open beyond it; the
 * session's own temporary objects cannot stand in for what it names.  The
 * previous user comes back in end_read_as(), or with the (sub)transaction's
 * abort, and every setting the query changed is undone.
 */
static int
begin_read_as(const char *search_path, Oid role, ReadAs *as)
{
	int			nest;

	if (OidIsValid(role))
	{
		refuse_temporary_objects(role);
		if (search_path)
			search_path = path_without_temp(search_path);
	}
	nest = automl_begin_source_read();
	if (search_path)
		(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	as->switched = OidIsValid(role);
	if (as->switched)
	{
		GetUserIdAndSecContext(&as->save_userid, &as->save_sec_context);
		SetUserIdAndSecContext(role, as->save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	}
	return nest;
}

static void
end_read_as(int nest, const ReadAs *as)
{
	if (as->switched)
		SetUserIdAndSecContext(as->save_userid, as->save_sec_context);
	automl_end_source_read(nest);
}

char *
automl_source_sql_as(const char *source, const char *search_path, Oid role, Oid *relid)
{
	ReadAs		as;
	int			nest = begin_read_as(search_path, role, &as);
	char	   *sql = automl_source_sql_rel(source, relid);

	end_read_as(nest, &as);
	return sql;
}

/* Run the source's query and fetch its rows into the loader. */
static void
read_source(Loader *ld, const AmLoadRequest *req, AmLoadResult *res)
{
	SPIPlanPtr	plan;
	Portal		portal;
	int			read_only;
	ReadAs		as;

	read_only = begin_read_as(req->search_path, req->as_role, &as);
	res->sql = req->sql ? pstrdup(req->sql) : automl_source_sql(req->source);
	plan = SPI_prepare(res->sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source query: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	/* SPI calls end in the SPI procedure context: the data belongs to ours */
	MemoryContextSwitchTo(ld->keep_cxt);
	plan_columns(ld, portal->tupDesc);
	ld->max_rows = req->max_rows > 0 ? Min(req->max_rows, rows_that_fit(ld)) : rows_that_fit(ld);
	am_rng_seed(&ld->rng, req->seed ^ UINT64_C(0x5A3F1E));
	if (fetch_all(ld, portal) == FETCH_OVERFLOW)
	{
		/* a class target: count the classes, then read again, stratified */
		SPI_cursor_close(portal);
		plan_stratified_sample(ld, res->sql);
		reset_rows(ld);
		ld->sampling = true;
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		(void) fetch_all(ld, portal);
	}
	SPI_cursor_close(portal);
	end_read_as(read_only, &as);
	MemoryContextSwitchTo(ld->keep_cxt);
}

/*
 * Another role's source is read inside a subtransaction that is rolled back
 * once its rows are copied out: whatever the query left behind — settings,
 * cursors it opened, transaction locks — goes with it, and none of it
 * reaches the rest of the caller's transaction.
 */
static void
read_source_sandboxed(Loader *ld, const AmLoadRequest *req, AmLoadResult *res)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		read_source(ld, req, res);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

void
automl_load(const AmLoadRequest *req, AmLoadResult *res)
{
	Loader		ld;
	AmSchema   *s = palloc0(sizeof(AmSchema));
	AmDataset  *d = palloc0(sizeof(AmDataset));

	automl_check_settings();	/* automl.memory_limit is as configured */
	memset(&ld, 0, sizeof(ld));
	ld.req = req;
	ld.keep_cxt = CurrentMemoryContext;
	ld.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "automl load rows",
									   ALLOCSET_DEFAULT_SIZES);
	if (OidIsValid(req->as_role))
		read_source_sandboxed(&ld, req, res);
	else
		read_source(&ld, req, res);
	MemoryContextDelete(ld.row_cxt);
	res->rows_read = ld.read;
	if (ld.sampling)
		note(&ld, NULL, psprintf("Raise automl.memory_limit (now %d kB) to train on more rows.",
								 automl_memory_limit_kb),
			 "the source has %lld rows; training uses a %s sample of %lld that fits automl.memory_limit",
			 (long long) ld.read, ld.target.kind == AM_SRC_CATEGORICAL ? "stratified" : "random",
			 (long long) ld.rows);

	if (ld.rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 ld.skipped > 0 ?
				 errmsg("target column \"%s\" is NULL in every row", req->target) :
				 errmsg("source returned no rows")));
	if (ld.skipped > 0)
		note(&ld, NULL, NULL, "%lld rows with a NULL target \"%s\" were skipped",
			 (long long) ld.skipped, req->target);
	recount(&ld);
	choose_columns(&ld);
	finish_target(&ld, s);
	build_schema(&ld, s, d);

	d->n_rows = (int) ld.rows;
	d->y = ld.target.vals[0];
	am_dataset_attach_schema(d, s);
	res->data = d;
	res->schema = s;
	res->rows_skipped = ld.skipped;
	res->notes = ld.notes;
	res->dropped = ld.dropped;
}
