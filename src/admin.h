/*
 * admin.h
 *	  The model lifecycle (api_admin.c) as the storing paths use it.
 */
#ifndef AUTOML_ADMIN_H
#define AUTOML_ADMIN_H

#include "postgres.h"

#include "catalog.h"

/*
 * After a new version of name was stored (catalog_begin_write() in effect):
 * deploy it when it is the name's first and automl.require_approval is off,
 * with its audit row; otherwise say it is stored but not deployed, and how
 * to deploy it.
 */
extern void version_stored(const CatalogWriter *w, const char *name, int32 version);

#endif							/* AUTOML_ADMIN_H */
