/*
 * api_admin.c
 *	  Model administration: automl.deploy(), and the trigger that turns
 *	  catalog changes into cache invalidations for every backend.
 */
#include "automl.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "catalog.h"
#include "model_cache.h"

PG_FUNCTION_INFO_V1(automl_deploy);
PG_FUNCTION_INFO_V1(automl_invalidate_cache);

/* Error out unless version exists for name. */
static void
check_version_exists(const char *name, int32 version)
{
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	if (SPI_execute_with_args("SELECT 1 FROM automl.models WHERE name = $1 AND version = $2",
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up model \"%s\"", name);
	if (SPI_processed == 0)
	{
		if (SPI_execute_with_args("SELECT 1 FROM automl.model_names WHERE name = $1",
								  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look up model \"%s\"", name);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version)));
	}
}

Datum
automl_deploy(PG_FUNCTION_ARGS)
{
	char	   *name;
	int32		version;
	CatalogWriter w;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name and version must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	version = PG_GETARG_INT32(1);

	PreventCommandIfReadOnly("automl.deploy()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(&w);
	check_version_exists(name, version);
	catalog_deploy(&w, name, version, "specific", NULL);
	catalog_end_write(&w);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Statement trigger on the catalog tables: queue a relcache invalidation of
 * the table, which every backend (and every hot standby, through the WAL)
 * processes when the transaction commits.
 */
Datum
automl_invalidate_cache(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("automl._invalidate_cache() must be called as a trigger")));
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}
