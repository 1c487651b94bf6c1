/*
 * audit.h
 *	  The audit trail: one automl.audit row per train, retrain, approve,
 *	  deploy, rollback, grant, revoke, drop, export and import, also written
 *	  to the server log at automl.audit_log_level.
 */
#ifndef AUTOML_AUDIT_H
#define AUTOML_AUDIT_H

#include "postgres.h"

#include "catalog.h"

/* GUC: elevel of the server-log line, or 0 (off). */
extern int	automl_audit_log_level;

extern void AuditInit(void);

/*
 * Append an audit row (catalog_begin_write() in effect, SPI connected).
 * Versions <= 0 are stored as NULL; details is JSON text or NULL.
 */
extern void audit_record(const CatalogWriter *w, const char *action, const char *name,
						 int32 version, int32 from_version, int32 to_version,
						 const char *reason, const char *details);

/*
 * The same, committed at once by a background worker in a transaction of
 * its own, so that the row stays even if the caller's transaction rolls
 * back: for actions whose effect leaves the database with the caller
 * (export).  Waits for the worker; errors if it could not write the row.
 */
extern void audit_record_durable(const CatalogWriter *w, const char *action, const char *name,
								 int32 version, const char *details);

#endif							/* AUTOML_AUDIT_H */
