/*
 * plan_support.c
 *	  Planner support for automl.predict(name, t), predict_label and
 *	  predict_proba: when t is a table's whole row and the name a constant,
 *	  the call is rewritten to pass only the columns the deployed model
 *	  reads, as plain column references:
 *
 *	    automl.predict('m', t)
 *	      ->  automl._predict_cols('m', 3, '{x1,x2}', t.ctid, t.x1, t.x2)
 *
 *	  so the executor does not build a whole-row value for every row and the
 *	  function does not deform it again.  The version deployed at planning
 *	  (3 above) is part of the call: the statement scores with the model
 *	  whose columns it passes even if a deploy commits before it runs.  The
 *	  plan records a dependency on the catalog tables, so a deploy or drop
 *	  invalidates cached plans and the next execution is planned for the new
 *	  version.  t.ctid is NULL exactly when t is NULL (the nullable side of
 *	  an outer join), which the rewritten function turns into a NULL result
 *	  as the original would.
 *
 *	  Anything else (a non-constant name, a row that is not a table's whole
 *	  row, no right to score, no deployed version) is left alone, so the
 *	  generic path raises the usual errors at run time.
 */
#include "automl.h"

#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "model_cache.h"
#include "privileges.h"

PG_FUNCTION_INFO_V1(automl_predict_support);

/* The function the call is rewritten to, by the name of the original. */
static Oid
target_function(Oid original)
{
	char	   *name = get_func_name(original);
	char	   *target;
	List	   *qualified;

	if (name == NULL)
		return InvalidOid;
	if (strcmp(name, "predict") == 0)
		target = "_predict_cols";
	else if (strcmp(name, "predict_label") == 0)
		target = "_predict_label_cols";
	else if (strcmp(name, "predict_proba") == 0)
		target = "_predict_proba_cols";
	else
		return InvalidOid;
	qualified = list_make2(makeString(AUTOML_SCHEMA), makeString(target));
	return LookupFuncName(qualified, -1, NULL, true);
}

static Node *
rewrite_call(SupportRequestSimplify *req)
{
	FuncExpr   *call = req->fcall;
	PlannerInfo *root = req->root;
	Const	   *name_const;
	Var		   *row;
	RangeTblEntry *rte;
	char	   *name;
	bool		exists;
	int32		version;
	CachedModel *cm;
	AmSchema   *s;
	List	   *args;
	Datum	   *colnames;
	Oid			target;

	if (root == NULL || list_length(call->args) != 2)
		return NULL;
	name_const = linitial(call->args);
	row = lsecond(call->args);
	if (!IsA(name_const, Const) || name_const->constisnull ||
		!IsA(row, Var) || row->varattno != InvalidAttrNumber || row->varlevelsup != 0)
		return NULL;
	rte = rt_fetch(row->varno, root->parse->rtable);
	if (rte->rtekind != RTE_RELATION)
		return NULL;
	name = TextDatumGetCString(name_const->constvalue);
	if (strlen(name) == 0 || strlen(name) >= NAMEDATALEN ||
		!has_model_privilege(name, AM_PRIV_SCORE, &exists) ||
		!catalog_deployed_version(name, &version))
		return NULL;
	target = target_function(call->funcid);
	if (!OidIsValid(target))
		return NULL;
	cm = model_cache_acquire(name, version, CurrentMemoryContext);
	s = cm->model->schema;

	colnames = palloc(sizeof(Datum) * Max(s->n_columns, 1));
	args = list_make4(name_const,
					  makeConst(INT4OID, -1, InvalidOid, sizeof(int32), Int32GetDatum(version),
								false, true),
					  NULL,
					  makeVar(row->varno, SelfItemPointerAttributeNumber, TIDOID, -1,
							  InvalidOid, 0));
	for (int c = 0; c < s->n_columns; c++)
	{
		AttrNumber	attnum = get_attnum(rte->relid, s->columns[c].name);
		Oid			type,
					coll;
		int32		typmod;

		if (attnum <= 0)
			return NULL;		/* the run-time path reports the missing column */
		get_atttypetypmodcoll(rte->relid, attnum, &type, &typmod, &coll);
		args = lappend(args, makeVar(row->varno, attnum, type, typmod, coll, 0));
		colnames[c] = CStringGetTextDatum(s->columns[c].name);
	}
	lthird(args) = makeConst(TEXTARRAYOID, -1, InvalidOid, -1,
							  PointerGetDatum(construct_array(colnames, s->n_columns, TEXTOID,
															  -1, false, TYPALIGN_INT)),
							  false, false);

	/* a deploy, rollback or drop must invalidate this plan */
	root->glob->relationOids = lappend_oid(root->glob->relationOids,
										   catalog_deployments_relid());
	root->glob->relationOids = lappend_oid(root->glob->relationOids, catalog_models_relid());

	return (Node *) makeFuncExpr(target, call->funcresulttype, args, call->funccollid,
								 call->inputcollid, COERCE_EXPLICIT_CALL);
}

Datum
automl_predict_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(rewrite_call((SupportRequestSimplify *) rawreq));
	PG_RETURN_POINTER(NULL);
}
