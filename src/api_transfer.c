/*
 * api_transfer.c
 *	  automl.export() and automl.import(): a model version as one
 *	  self-describing jsonb document (metadata, lineage and the serialized
 *	  model in base64) that another database can import.  Imports are
 *	  checked field by field and the model bytes are deserialized and
 *	  compared with the metadata before anything is stored.
 *
 * A document is not trusted beyond what can be checked here: the model
 * bytes (deserialized, and the features described from them), its task,
 * algorithm and classes.  What it says of the model's history (its score,
 * trials, rows, source, fingerprint, options, trainer and approvals) is kept
 * as claims in lineage->'claims', apart from what this server measured: an
 * imported version has no score, so deploy(strategy => 'best') never picks
 * it by a claimed one, and its trainer (by its claimed name) may not
 * approve it.  The importer counts as its trainer here.
 *
 * Exporting hands over the model's bytes, which hold training rows for
 * some algorithms (knn's reference rows, the background rows of sampled
 * explanations): it needs the train right, and its audit row is written in
 * a transaction of its own, so that a document that left with a rolled-back
 * transaction is still on record.
 */
#include "automl.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "mb/pg_wchar.h"

#include "admin.h"
#include "audit.h"
#include "catalog.h"
#include "describe.h"
#include "json.h"
#include "metrics.h"
#include "model.h"
#include "model_cache.h"
#include "privileges.h"

PG_FUNCTION_INFO_V1(automl_export);
PG_FUNCTION_INFO_V1(automl_import);

#define EXPORT_FORMAT "automl-model"
#define EXPORT_FORMAT_VERSION 1

Datum
automl_export(PG_FUNCTION_ARGS)
{
	char	   *name;
	int32		version;
	CatalogWriter w;
	Oid			types[3] = {TEXTOID, INT4OID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	Datum		doc;
	MemoryContext caller_cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	PreventCommandIfReadOnly("automl.export()");
	check_model_privilege(name, AM_PRIV_TRAIN, "export");
	version = PG_ARGISNULL(1) ? model_cache_deployed_version(name) : PG_GETARG_INT32(1);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(&w);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	values[2] = CStringGetTextDatum(w.caller);
	doc = catalog_exec("SELECT jsonb_build_object("
					   "'format', '" EXPORT_FORMAT "', "
					   "'format_version', " CppAsString2(EXPORT_FORMAT_VERSION) ", "
					   "'extension_version', '" AUTOML_VERSION "', "
					   "'exported_at', now(), 'exported_by', $3::text, "
					   "'exported_from', current_database(), "
					   "'name', m.name, 'version', m.version, 'task', m.task, "
					   "'algorithm', m.algorithm, 'hyperparameters', m.hyperparameters, "
					   "'metric', m.metric, 'score', m.score, 'score_std', m.score_std, "
					   "'metrics', m.metrics, 'target', m.target, 'target_type', m.target_type, "
					   "'classes', to_jsonb(m.classes), 'features', m.features, "
					   "'source', m.source, 'options', m.options, 'seed', m.seed, "
					   "'n_rows', m.n_rows, 'n_features', m.n_features, "
					   "'data_fingerprint', m.data_fingerprint, 'trials', m.trials, "
					   "'train_seconds', m.train_seconds, "
					   "'created_by', pg_catalog.pg_get_userbyid(m.created_by), "
					   "'created_at', m.created_at, 'lineage', m.lineage, "
					   "'model_format_version', d.format_version, "
					   "'model', encode(d.data, 'base64')) "
					   "FROM automl.model_table m JOIN automl.model_data d USING (model_id) "
					   "WHERE m.name = $1 AND m.version = $2",
					   3, types, values, NULL, SPI_OK_SELECT, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version)));
	catalog_end_write(&w);
	audit_record_durable(&w, "export", name, version, NULL);
	/* the document lives in SPI memory: copy it out before SPI_finish() */
	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(caller_cxt);

		doc = datumCopy(doc, false, -1);
		MemoryContextSwitchTo(spi_cxt);
	}
	SPI_finish();
	PG_RETURN_DATUM(doc);
}

/* ---------- import ---------- */

typedef struct ImportDoc
{
	const AmJson *root;
	const char *orig_name;
} ImportDoc;

static void
bad_document(const char *fmt, const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid model document: %s", psprintf(fmt, field)),
			 errhint("Pass a document made by automl.export().")));
}

static const AmJson *
field(const ImportDoc *doc, const char *key, AmJsonType type, bool required)
{
	const AmJson *v = am_json_get(doc->root, key);

	if (v == NULL || v->type == AM_JSON_NULL)
	{
		if (required)
			bad_document("field \"%s\" is missing", key);
		return NULL;
	}
	if (v->type != type)
		bad_document("field \"%s\" has the wrong type", key);
	return v;
}

static const char *
text_field(const ImportDoc *doc, const char *key)
{
	return field(doc, key, AM_JSON_STRING, true)->string;
}

static double
number_field(const ImportDoc *doc, const char *key, bool required)
{
	const AmJson *v = field(doc, key, AM_JSON_NUMBER, required);

	return v ? v->number : NAN;
}

/* A member re-serialized as JSON text, for the jsonb columns. */
static char *
json_text(Jsonb *jb, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	return JsonbToCString(NULL, &JsonbValueToJsonb(v)->root, -1);
}

static bytea *
decode_model(const char *b64)
{
	Datum		d = DirectFunctionCall2(binary_decode, CStringGetTextDatum(b64),
										CStringGetTextDatum("base64"));

	return DatumGetByteaPP(d);
}

/* Every text the model holds must be valid in the database's encoding. */
static void
verify_text(const char *s)
{
	if (s && !pg_verifymbstr(s, strlen(s), true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid model document: the model holds text that is not valid in the database's encoding")));
}

static void
verify_model_text(const AmSchema *s)
{
	verify_text(s->target);
	verify_text(s->target_type);
	for (int c = 0; c < s->n_columns; c++)
	{
		verify_text(s->columns[c].name);
		verify_text(s->columns[c].type_name);
	}
	for (int f = 0; f < s->n_features; f++)
	{
		verify_text(s->features[f].name);
		for (int k = 0; k < s->features[f].n_levels; k++)
			verify_text(s->features[f].levels[k]);
	}
	for (int k = 0; k < s->n_classes; k++)
		verify_text(s->classes[k]);
}

/* The bytes must deserialize and agree with the document's metadata. */
static AmModel *
verify_model(const ImportDoc *doc, bytea *bytes, const char *task, const char *algorithm)
{
	AmErr		err;
	AmModel    *m;
	const AmJson *cl = field(doc, "classes", AM_JSON_ARRAY, false);

	am_err_clear(&err);
	m = am_model_deserialize(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), &err);
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model document: the model cannot be loaded: %s", err.msg)));
	if (strcmp(am_task_name(m->schema->task), task) != 0 ||
		(strcmp(m->family->name, algorithm) != 0 &&
		 !(am_ensemble_member_family(m) &&
		   strcmp(am_ensemble_member_family(m)->name, algorithm) == 0)) ||
		(cl ? cl->n : 0) != m->schema->n_classes)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid model document: the metadata does not match the model")));
	for (int k = 0; k < m->schema->n_classes; k++)
		if (cl->items[k].type != AM_JSON_STRING ||
			strcmp(cl->items[k].string, m->schema->classes[k]) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid model document: the metadata does not match the model")));
	verify_model_text(m->schema);
	return m;
}

/* Append "key": the document's value of key (as JSON), when it has one. */
static void
append_claim(AmStr *s, Jsonb *jb, const char *key, bool *first)
{
	char	   *v = json_text(jb, key);

	if (v == NULL)
		return;
	am_str_append(s, *first ? "" : ", ");
	am_str_json_string(s, key);
	am_str_append(s, ": ");
	am_str_append(s, v);
	*first = false;
}

static char *
lineage_json(const ImportDoc *doc, Jsonb *jb, const char *caller)
{
	static const char *const claims[] = {"score", "score_std", "metrics", "trials", "n_rows",
		"train_seconds", "source", "data_fingerprint", "options", "seed", "approved_by",
	"hyperparameters", "lineage"};
	AmStr		s;
	bool		first = true;
	const AmJson *from = field(doc, "exported_from", AM_JSON_STRING, false);
	const AmJson *at = field(doc, "created_at", AM_JSON_STRING, false);
	const AmJson *by = field(doc, "created_by", AM_JSON_STRING, false);

	am_str_init(&s);
	am_str_append(&s, "{\"imported_from\": {\"name\": ");
	am_str_json_string(&s, doc->orig_name);
	am_str_appendf(&s, ", \"version\": %.0f, \"database\": ", number_field(doc, "version", true));
	am_str_json_string(&s, from ? from->string : "");
	am_str_append(&s, ", \"created_by\": ");
	am_str_json_string(&s, by ? by->string : "");
	am_str_append(&s, ", \"created_at\": ");
	am_str_json_string(&s, at ? at->string : "");
	am_str_append(&s, "}, \"imported_by\": ");
	am_str_json_string(&s, caller);
	am_str_append(&s, ", \"claims\": {");
	for (int i = 0; i < (int) lengthof(claims); i++)
		append_claim(&s, jb, claims[i], &first);
	am_str_append(&s, "}}");
	return s.data;
}

Datum
automl_import(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb;
	char	   *json;
	AmErr		err;
	ImportDoc	doc;
	const AmJson *root;
	const char *name;
	CatalogModelRow row;
	CatalogWriter w;
	bytea	   *bytes;
	AmModel    *model;
	AmMetric	metric;
	double		fv;
	MemoryContext caller_cxt = CurrentMemoryContext;
	TupleDesc	td;
	Datum		values[10];
	bool		nulls[10] = {false};
	HeapTuple	tuple;
	bool		exists;

	PreventCommandIfReadOnly("automl.import()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model document must not be NULL")));
	jb = PG_GETARG_JSONB_P(0);
	json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	am_err_clear(&err);
	root = am_json_parse(json, strlen(json), &err);
	if (root == NULL || root->type != AM_JSON_OBJECT)
		bad_document("%s", "not a JSON object");
	doc.root = root;
	if (am_json_get(root, "format") == NULL || am_json_get(root, "format")->type != AM_JSON_STRING ||
		strcmp(am_json_get(root, "format")->string, EXPORT_FORMAT) != 0)
		bad_document("%s", "it is not an automl model export (\"format\" is not \"" EXPORT_FORMAT "\")");
	fv = number_field(&doc, "format_version", true);
	if (fv != floor(fv) || fv < 1 || fv > EXPORT_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model document format version %g is not supported", fv),
				 errdetail("This build reads format versions up to %d.", EXPORT_FORMAT_VERSION)));
	doc.orig_name = text_field(&doc, "name");
	name = PG_ARGISNULL(1) ? doc.orig_name : text_to_cstring(PG_GETARG_TEXT_PP(1));
	name = model_name_arg(cstring_to_text(name));
	if (!has_model_privilege(name, AM_PRIV_TRAIN, &exists) && exists)
		check_model_privilege(name, AM_PRIV_TRAIN, "import a new version of");

	/* every field is checked, though only what the bytes confirm is stored as fact */
	memset(&row, 0, sizeof(row));
	row.name = name;
	row.task = text_field(&doc, "task");
	row.algorithm = text_field(&doc, "algorithm");
	row.metric = text_field(&doc, "metric");
	(void) text_field(&doc, "target");
	(void) text_field(&doc, "target_type");
	(void) text_field(&doc, "source");
	(void) text_field(&doc, "data_fingerprint");
	(void) field(&doc, "features", AM_JSON_OBJECT, true);
	(void) field(&doc, "hyperparameters", AM_JSON_OBJECT, true);
	(void) number_field(&doc, "score", false);
	(void) number_field(&doc, "score_std", false);
	(void) number_field(&doc, "seed", true);
	(void) number_field(&doc, "n_rows", true);
	(void) number_field(&doc, "n_features", true);
	(void) number_field(&doc, "trials", true);
	(void) number_field(&doc, "train_seconds", true);
	(void) number_field(&doc, "model_format_version", true);
	bytes = decode_model(text_field(&doc, "model"));
	model = verify_model(&doc, bytes, row.task, row.algorithm);
	if (!am_metric_lookup(row.metric, &metric) || !am_metric_valid_for(metric, model->schema->task))
		bad_document("field \"%s\" names no metric of the model's task", "metric");
	/* what the bytes hold, not what the document says */
	row.format_version = am_model_format_version(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
	row.target = model->schema->target;
	row.target_type = model->schema->target_type;
	row.hyperparameters = am_describe_model_params(model);
	row.features = am_describe_features(model);
	row.n_features = model->schema->n_features;
	row.classes = model->schema->classes;
	row.n_classes = model->schema->n_classes;
	row.bytes = VARDATA_ANY(bytes);
	row.n_bytes = VARSIZE_ANY_EXHDR(bytes);
	/* nothing measured here: no score, trials, rows, source or fingerprint */
	row.score = NAN;
	row.score_std = NAN;
	row.metrics = "{}";
	row.options = "{}";
	row.source = "";
	row.fingerprint = "";
	row.created_session = GetSessionUserId();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(&w);
	row.lineage = lineage_json(&doc, jb, w.caller);
	row.version = catalog_next_version(&w, name);
	catalog_insert_model(&w, &row);
	audit_record(&w, "import", name, row.version, 0, 0, NULL, row.lineage);
	version_stored(&w, name, row.version);
	catalog_end_write(&w);

	MemoryContextSwitchTo(caller_cxt);
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "automl.import must return a composite type");
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(row.version);
	values[2] = CStringGetTextDatum(row.task);
	values[3] = CStringGetTextDatum(row.algorithm);
	values[4] = CStringGetTextDatum(row.metric);
	values[5] = Float8GetDatum(row.score);
	nulls[5] = isnan(row.score);
	values[6] = Int32GetDatum(row.trials);
	values[7] = Int64GetDatum(row.n_rows);
	values[8] = Int32GetDatum(row.n_features);
	values[9] = Float8GetDatum(row.train_seconds);
	tuple = heap_form_tuple(BlessTupleDesc(td), values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
}
