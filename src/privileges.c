/*
 * privileges.c
 *	  Model rights: checks with a per-backend cache, automl.grant(),
 *	  automl.revoke() and automl.can_see() for row-level security.
 */
#include "automl.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "audit.h"
#include "catalog.h"
#include "json.h"
#include "model_cache.h"
#include "privileges.h"

PG_FUNCTION_INFO_V1(automl_can_see);
PG_FUNCTION_INFO_V1(automl_can_read_data);
PG_FUNCTION_INFO_V1(automl_grant);
PG_FUNCTION_INFO_V1(automl_revoke);

static const char *const privilege_names[] = {"train", "deploy", "score", "owner"};

typedef struct PrivKey
{
	char		name[NAMEDATALEN];
	Oid			role;
} PrivKey;

typedef struct PrivEntry
{
	PrivKey		key;
	bool		exists;
	uint8		held;			/* bit per AmPrivilege */
} PrivEntry;

static HTAB *priv_cache = NULL;

const char *
privilege_name(AmPrivilege p)
{
	return privilege_names[p];
}

void
privileges_forget(void)
{
	HASH_SEQ_STATUS seq;
	PrivEntry  *e;

	if (priv_cache == NULL)
		return;
	hash_seq_init(&seq, priv_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		hash_search(priv_cache, &e->key, HASH_REMOVE, NULL);
}

static void
membership_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	privileges_forget();
}

void
PrivilegesInit(void)
{
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, membership_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, membership_changed, (Datum) 0);
}

/*
 * Does the current role have the privileges of this role (InvalidOid:
 * PUBLIC, every role)?  Roles are compared by OID: a role created later
 * under a dropped role's name is another role.
 */
static bool
role_applies(Oid role)
{
	return !OidIsValid(role) || has_privs_of_role(GetUserId(), role);
}

static void
lookup_privileges(const char *name, PrivEntry *e)
{
	Oid			owner;
	List	   *grants;
	ListCell   *lc;

	e->held = 0;
	e->exists = catalog_model_owner(name, &owner);
	if (!e->exists)
		return;
	if (superuser() || (OidIsValid(owner) && has_privs_of_role(GetUserId(), owner)))
	{
		e->held = (1 << AM_PRIV_TRAIN) | (1 << AM_PRIV_DEPLOY) | (1 << AM_PRIV_SCORE) |
			(1 << AM_PRIV_OWNER);
		return;
	}
	grants = catalog_model_grants(name);
	foreach(lc, grants)
	{
		CatalogGrant *g = lfirst(lc);

		if (role_applies(g->grantee))
			e->held |= (1 << g->privilege);
	}
}

bool
has_model_privilege(const char *name, AmPrivilege p, bool *exists)
{
	PrivKey		key;
	PrivEntry  *e;
	PrivEntry	fresh;
	bool		found;

	if (priv_cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(PrivKey);
		ctl.entrysize = sizeof(PrivEntry);
		ctl.hcxt = CacheMemoryContext;
		priv_cache = hash_create("automl privileges", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* a revoke committed by another session counts from the next statement */
	AcceptInvalidationMessages();
	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, NAMEDATALEN);
	key.role = GetUserId();
	e = hash_search(priv_cache, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		/* the lookup may process invalidations: fill a copy, then enter it */
		lookup_privileges(name, &fresh);
		e = hash_search(priv_cache, &key, HASH_ENTER, &found);
		e->exists = fresh.exists;
		e->held = fresh.held;
	}
	if (exists)
		*exists = e->exists;
	return (e->held & (1 << p)) != 0;
}

void
check_model_privilege(const char *name, AmPrivilege p, const char *verb)
{
	bool		exists;

	if (has_model_privilege(name, p, &exists))
		return;
	if (!exists)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name)));
	if (p == AM_PRIV_OWNER)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s model \"%s\"", verb, name),
				 errdetail("Only the model's owner may do that.")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s model \"%s\"", verb, name),
			 errhint("The model's owner can grant it with automl.grant(%s, '%s', role).",
					 quote_literal_cstr(name), privilege_name(p))));
}

Datum
automl_can_see(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		exists;

	if (strlen(name) >= NAMEDATALEN)
		PG_RETURN_BOOL(false);
	if (superuser())
		PG_RETURN_BOOL(true);
	for (int p = 0; p <= AM_PRIV_OWNER; p++)
		if (has_model_privilege(name, (AmPrivilege) p, &exists))
			PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

/* The training data a version holds is for its owner and train grantees. */
Datum
automl_can_read_data(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		exists;

	if (strlen(name) >= NAMEDATALEN)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(superuser() || has_model_privilege(name, AM_PRIV_TRAIN, &exists));
}

static AmPrivilege
privilege_arg(text *t)
{
	char	   *s = text_to_cstring(t);

	for (int p = 0; p < AM_PRIV_OWNER; p++)
		if (strcmp(s, privilege_names[p]) == 0)
			return (AmPrivilege) p;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown model privilege \"%s\"", s),
			 errhint("Use train, deploy or score.")));
	return AM_PRIV_SCORE;
}

static void
grant_or_revoke(FunctionCallInfo fcinfo, bool grant)
{
	char	   *name;
	AmPrivilege priv;
	char	   *grantee;
	Oid			grantee_id = InvalidOid;
	CatalogWriter w;
	AmStr		details;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name, privilege and grantee must not be NULL")));
	name = model_name_arg(PG_GETARG_TEXT_PP(0));
	priv = privilege_arg(PG_GETARG_TEXT_PP(1));
	grantee = NameStr(*PG_GETARG_NAME(2));
	PreventCommandIfReadOnly(grant ? "automl.grant()" : "automl.revoke()");
	check_model_privilege(name, AM_PRIV_OWNER, grant ? "grant rights on" : "revoke rights on");
	if (strcmp(grantee, "public") != 0)
		grantee_id = get_role_oid(grantee, false);	/* errors for an unknown role */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalog_begin_write(&w);
	if (grant)
		catalog_grant(&w, name, grantee_id, privilege_name(priv));
	else
		catalog_revoke(name, grantee_id, privilege_name(priv));
	am_str_init(&details);
	am_str_append(&details, "{\"privilege\": ");
	am_str_json_string(&details, privilege_name(priv));
	am_str_append(&details, ", \"grantee\": ");
	am_str_json_string(&details, grantee);
	am_str_append(&details, "}");
	audit_record(&w, grant ? "grant" : "revoke", name, 0, 0, 0, NULL, details.data);
	catalog_end_write(&w);
	SPI_finish();
}

Datum
automl_grant(PG_FUNCTION_ARGS)
{
	grant_or_revoke(fcinfo, true);
	PG_RETURN_VOID();
}

Datum
automl_revoke(PG_FUNCTION_ARGS)
{
	grant_or_revoke(fcinfo, false);
	PG_RETURN_VOID();
}
