/*
 * model_cache.c
 *	  The per-backend deployment and model caches (see model_cache.h).
 */
#include "automl.h"

#include <math.h>
#include <stdlib.h>

#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "model_cache.h"
#include "privileges.h"

typedef struct DeployEntry
{
	char		name[NAMEDATALEN];	/* hash key */
	int32		version;
} DeployEntry;

typedef struct ModelKey
{
	char		name[NAMEDATALEN];
	int32		version;
} ModelKey;

typedef struct ModelEntry
{
	ModelKey	key;
	CachedModel *cm;
} ModelEntry;

static HTAB *deploy_cache = NULL;
static HTAB *model_cache = NULL;

static void
create_caches(void)
{
	HASHCTL		ctl;

	if (deploy_cache == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(DeployEntry);
		ctl.hcxt = CacheMemoryContext;
		deploy_cache = hash_create("automl deployments", 64, &ctl,
								   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	if (model_cache == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(ModelKey);
		ctl.entrysize = sizeof(ModelEntry);
		ctl.hcxt = CacheMemoryContext;
		model_cache = hash_create("automl models", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
}

static void
release_model(CachedModel *cm)
{
	if (cm->pins > 0)
		cm->dead = true;
	else
		MemoryContextDelete(cm->cxt);
}

/* Relcache callback: must not touch the catalogs or raise errors. */
static void
invalidate_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;

	if (relid != InvalidOid && !catalog_is_cache_relation(relid))
		return;
	catalog_forget_oids();
	privileges_forget();
	if (deploy_cache != NULL)
	{
		DeployEntry *e;

		hash_seq_init(&seq, deploy_cache);
		while ((e = hash_seq_search(&seq)) != NULL)
			hash_search(deploy_cache, e->name, HASH_REMOVE, NULL);
	}
	if (model_cache != NULL)
	{
		ModelEntry *e;

		hash_seq_init(&seq, model_cache);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			CachedModel *cm = e->cm;

			hash_search(model_cache, &e->key, HASH_REMOVE, NULL);
			release_model(cm);
		}
	}
}

void
ModelCacheInit(void)
{
	CacheRegisterRelcacheCallback(invalidate_callback, (Datum) 0);
}

char *
model_name_arg(text *name)
{
	char	   *s = text_to_cstring(name);

	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must not be empty")));
	if (strlen(s) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("model name \"%s\" is too long", s),
				 errdetail("Model names are at most %d bytes.", NAMEDATALEN - 1)));
	return s;
}

int32
model_cache_deployed_version(const char *name)
{
	DeployEntry *e;
	bool		found;
	int32		version;

	create_caches();
	/*
	 * A deploy, drop or revoke another session committed must be seen by the
	 * next statement even inside a transaction block, where no new relation
	 * lock would process the invalidation for us.  Once per statement.
	 */
	AcceptInvalidationMessages();
	e = hash_search(deploy_cache, name, HASH_FIND, NULL);
	if (e != NULL)
		return e->version;
	if (!catalog_deployed_version(name, &version))
	{
		if (!catalog_name_exists(name))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no deployed version", name),
				 errhint("Deploy one with automl.deploy(%s, version).", quote_literal_cstr(name))));
	}
	/* the catalog scan may have processed invalidations: look again */
	e = hash_search(deploy_cache, name, HASH_ENTER, &found);
	e->version = version;
	return version;
}

static void
unpin_callback(void *arg)
{
	CachedModel *cm = arg;

	cm->pins--;
	if (cm->pins == 0 && cm->dead)
		MemoryContextDelete(cm->cxt);
}

/* Lookup structures built once per loaded model. */
static void
prepare_scoring(CachedModel *cm)
{
	AmSchema   *s = cm->model->schema;

	cm->n_outputs = am_task_outputs(s->task, s->n_classes);
	cm->level_maps = palloc0(sizeof(AmStrMap *) * s->n_features);
	for (int j = 0; j < s->n_features; j++)
	{
		AmFeature  *f = &s->features[j];

		if (!f->categorical)
			continue;
		cm->level_maps[j] = am_strmap_create(f->n_levels);
		for (int k = 0; k < f->n_levels; k++)
			am_strmap_put(cm->level_maps[j], f->levels[k], strlen(f->levels[k]), k);
	}
	cm->class_values = palloc(sizeof(double) * Max(s->n_classes, 1));
	for (int k = 0; k < s->n_classes; k++)
	{
		char	   *end;

		if (s->target_kind == AM_SRC_BOOLEAN)
			cm->class_values[k] = strcmp(s->classes[k], "true") == 0 ? 1.0 : 0.0;
		else if (s->target_kind == AM_SRC_NUMERIC)
		{
			cm->class_values[k] = strtod(s->classes[k], &end);
			if (*end != '\0')
				cm->class_values[k] = NAN;
		}
		else
			cm->class_values[k] = NAN;
	}
}

static CachedModel *
load_model(const char *name, int32 version)
{
	int64		model_id;
	bytea	   *bytes = catalog_model_bytes(name, version, &model_id);
	MemoryContext cxt,
				old;
	CachedModel *volatile cm = NULL;
	AmErr		err;

	if (bytes == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" version %d does not exist", name, version)));
	cxt = AllocSetContextCreate(CacheMemoryContext, "automl model", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		CachedModel *c = palloc0(sizeof(CachedModel));

		strlcpy(c->name, name, NAMEDATALEN);
		c->version = version;
		c->model_id = model_id;
		c->cxt = cxt;
		am_err_clear(&err);
		c->model = am_model_deserialize(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), &err);
		if (c->model == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("model \"%s\" version %d cannot be loaded: %s", name, version,
							err.msg),
					 errhint("Train a new version or deploy another one.")));
		prepare_scoring(c);
		cm = c;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	pfree(bytes);
	return cm;
}

CachedModel *
model_cache_acquire(const char *name, int32 version, MemoryContext pin_cxt)
{
	ModelKey	key;
	ModelEntry *e;
	bool		found;
	CachedModel *cm;
	MemoryContextCallback *cb;

	create_caches();
	AcceptInvalidationMessages();	/* see model_cache_deployed_version() */
	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, NAMEDATALEN);
	key.version = version;
	e = hash_search(model_cache, &key, HASH_FIND, NULL);
	if (e != NULL)
		cm = e->cm;
	else
	{
		cm = load_model(name, version);
		/* loading may have run the invalidation callback: enter afresh */
		e = hash_search(model_cache, &key, HASH_ENTER, &found);
		if (found)
			release_model(e->cm);
		e->cm = cm;
	}
	cm->pins++;
	cb = MemoryContextAlloc(pin_cxt, sizeof(MemoryContextCallback));
	cb->func = unpin_callback;
	cb->arg = cm;
	MemoryContextRegisterResetCallback(pin_cxt, cb);
	return cm;
}
