/*
 * api_report.c
 *	  automl._render_report(document): the SQL face of the report renderer
 *	  (report.c).  automl.report() gathers the document in SQL, through the
 *	  catalog's row-level security, so a report shows only what its reader
 *	  may see.
 */
#include "automl.h"

#include "miscadmin.h"
#include "utils/builtins.h"

#include "json.h"
#include "report.h"

PG_FUNCTION_INFO_V1(automl_render_report);

Datum
automl_render_report(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	AmJson	   *parsed;
	AmErr		err;
	char	   *html;

	parsed = am_json_parse(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), &err);
	if (parsed == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid report document: %s", err.msg)));
	CHECK_FOR_INTERRUPTS();
	html = am_report_html(parsed, &err);
	if (html == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot render the report: %s", err.msg)));
	PG_RETURN_TEXT_P(cstring_to_text(html));
}
