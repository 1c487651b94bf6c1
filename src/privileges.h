/*
 * privileges.h
 *	  Rights on model names: the owner (the role that first trained the
 *	  name, or a member of it) may do everything and grant train, deploy and
 *	  score rights to other roles or to public.  Superusers may do everything.
 *
 * Checks are cached per backend, keyed by (name, role), and flushed when
 * model_names or model_privileges change (relcache callback) or when role
 * memberships change (syscache callback).
 */
#ifndef AUTOML_PRIVILEGES_H
#define AUTOML_PRIVILEGES_H

#include "postgres.h"

typedef enum AmPrivilege
{
	AM_PRIV_TRAIN = 0,
	AM_PRIV_DEPLOY = 1,
	AM_PRIV_SCORE = 2,
	AM_PRIV_OWNER = 3			/* drop, grant, revoke */
} AmPrivilege;

extern void PrivilegesInit(void);

extern const char *privilege_name(AmPrivilege p);

/* Does the current role hold p on name?  *exists: is the name known. */
extern bool has_model_privilege(const char *name, AmPrivilege p, bool *exists);

/*
 * Error out unless the current role holds p on an existing name; "verb"
 * says what was attempted, as in "permission denied to <verb> model "x"".
 */
extern void check_model_privilege(const char *name, AmPrivilege p, const char *verb);

/* Forget cached answers (called from the catalog invalidation callback). */
extern void privileges_forget(void);

#endif							/* AUTOML_PRIVILEGES_H */
