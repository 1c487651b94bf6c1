/*
 * render_fixture.c
 *	  Renders a report document (JSON file) to HTML with am_report_html(),
 *	  outside the server: render_fixture IN.json [OUT.html] (stdout when no
 *	  OUT).  Used by test/report/render.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (n + 65536 > cap)
		{
			cap = (n + 65536) * 2;
			buf = am_realloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	size_t		len;
	char	   *text,
			   *html;
	AmJson	   *doc;
	AmErr		err;
	FILE	   *out = stdout;

	if (argc < 2 || argc > 3)
	{
		fprintf(stderr, "usage: %s IN.json [OUT.html]\n", argv[0]);
		return 2;
	}
	text = read_file(argv[1], &len);
	if (text == NULL)
	{
		perror(argv[1]);
		return 1;
	}
	am_err_clear(&err);
	doc = am_json_parse(text, len, &err);
	if (doc == NULL)
	{
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		return 1;
	}
	html = am_report_html(doc, &err);
	if (html == NULL)
	{
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		return 1;
	}
	if (argc == 3 && (out = fopen(argv[2], "wb")) == NULL)
	{
		perror(argv[2]);
		return 1;
	}
	fputs(html, out);
	if (out != stdout && fclose(out) != 0)
	{
		perror(argv[2]);
		return 1;
	}
	am_free(html);
	am_free(text);
	return 0;
}
