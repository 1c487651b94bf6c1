/*
 * test_report.c
 *	  Unit tests of the model report renderer (report.c, report_svg.c):
 *	  number formatting, escaping, axes and the other building blocks; the
 *	  three sample documents (test/report/fixtures); hostile strings; missing
 *	  fields and wrong types; degenerate data; a huge document; and 1000
 *	  random mutations and truncations of each sample.  Every document
 *	  rendered is checked by a small XML well-formedness checker that also
 *	  allows only the elements and attributes the report uses, requires SVG
 *	  numbers to be finite, and rejects script, URLs and url().
 *
 * Run from the repository root (the fixtures are read from test/report/).
 */
#include <ctype.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "json.h"
#include "report.h"
#include "unit.h"

#define FIXTURE_DIR "test/report/fixtures/"
#define HOSTILE "</script><img src=x onerror=alert(1)>]]><!--&amp;\"'"

static const char *const fixture_names[] = {"binary", "multiclass", "regression"};

static const char *const section_ids[] = {"summary", "leaderboard", "progress", "performance",
"importance", "profile", "warnings"};

/* ---------------------------------------------------------------- helpers */

static char *
read_text(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = am_alloc((size_t) n + 1);
	*len = fread(buf, 1, (size_t) n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Frees a tree built by am_json_parse() or by the copies below (not the root). */
static void
free_json_items(AmJson *v)
{
	if (v->type == AM_JSON_STRING)
		am_free(v->string);
	if (v->type == AM_JSON_ARRAY || v->type == AM_JSON_OBJECT)
	{
		for (int i = 0; i < v->n; i++)
		{
			free_json_items(&v->items[i]);
			if (v->type == AM_JSON_OBJECT)
				am_free(v->keys[i]);
		}
		am_free(v->items);
		am_free(v->keys);
	}
}

static void
free_json(AmJson *v)
{
	if (v == NULL)
		return;
	free_json_items(v);
	am_free(v);
}

static AmJson *
parse_or_die(const char *text)
{
	AmErr		err;
	AmJson	   *j;

	am_err_clear(&err);
	j = am_json_parse(text, strlen(text), &err);
	if (j == NULL)
	{
		fprintf(stderr, "test document does not parse: %s\n%.300s\n", err.msg, text);
		abort();
	}
	return j;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t		n = strlen(needle);

	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/* "nan", "inf" or "infinity" as a whole word (letters, digits, _ around). */
static bool
has_nan_word(const char *s)
{
	static const char *const words[] = {"nan", "inf", "infinity"};

	for (const char *p = s; *p; p++)
	{
		if (p > s && (isalnum((unsigned char) p[-1]) || p[-1] == '_'))
			continue;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		{
			size_t		n = strlen(words[w]);

			if (strncasecmp(p, words[w], n) == 0 && !isalnum((unsigned char) p[n]) && p[n] != '_')
				return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- XML checker */

typedef struct Xml
{
	const char *s;
	size_t		pos;
	size_t		len;
	char		err[256];
	int			depth;
	const char *open[128];
	size_t		open_len[128];
} Xml;

static const char *const allowed_elements[] = {
	"html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section",
	"div", "p", "h1", "h2", "h3", "span", "b", "small", "code", "pre", "dl", "dt", "dd",
	"table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "ul", "li",
	"svg", "g", "line", "polyline", "polygon", "rect", "circle", "text"
};

static const char *const allowed_attributes[] = {
	"class", "id", "lang", "charset", "name", "content", "style", "role", "aria-label",
	"viewBox", "font-family", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy",
	"r", "rx", "points", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray",
	"stroke-linejoin", "text-anchor", "font-size", "font-weight", "transform"
};

/* attributes whose value is one or more finite numbers */
static const char *const numeric_attributes[] = {
	"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "width", "height", "font-size",
	"stroke-width", "fill-opacity", "points", "viewBox"
};

static bool
xml_fail(Xml *x, const char *what)
{
	if (x->err[0] == '\0')
		snprintf(x->err, sizeof(x->err), "%s at byte %zu: \"%.40s\"", what, x->pos, x->s + x->pos);
	return false;
}

static bool
in_list(const char *name, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0)
			return true;
	return false;
}

static bool
xml_char_allowed(unsigned long cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
		(cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* One UTF-8 character allowed by XML at x->pos. */
static bool
xml_char(Xml *x)
{
	const unsigned char *p = (const unsigned char *) x->s + x->pos;
	unsigned long cp;
	int			n;

	if (p[0] < 0x80)
	{
		cp = p[0];
		n = 1;
	}
	else if ((p[0] & 0xE0) == 0xC0 && p[0] >= 0xC2)
	{
		cp = p[0] & 0x1F;
		n = 2;
	}
	else if ((p[0] & 0xF0) == 0xE0)
	{
		cp = p[0] & 0x0F;
		n = 3;
	}
	else if ((p[0] & 0xF8) == 0xF0 && p[0] <= 0xF4)
	{
		cp = p[0] & 0x07;
		n = 4;
	}
	else
		return xml_fail(x, "invalid UTF-8");
	for (int i = 1; i < n; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return xml_fail(x, "invalid UTF-8");
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || !xml_char_allowed(cp))
		return xml_fail(x, "character not allowed in XML");
	x->pos += n;
	return true;
}

/* A reference at '&': one of the five entities or a character reference. */
static bool
xml_reference(Xml *x)
{
	static const char *const entities[] = {"amp;", "lt;", "gt;", "quot;", "apos;"};
	const char *p = x->s + x->pos + 1;

	if (p[0] == '#')
	{
		char	   *end;
		const char *digits = p[1] == 'x' ? p + 2 : p + 1;
		unsigned long cp = strtoul(digits, &end, p[1] == 'x' ? 16 : 10);

		if (end == digits || *end != ';' || !xml_char_allowed(cp) ||
			!(isxdigit((unsigned char) *digits)))
			return xml_fail(x, "bad character reference");
		x->pos = (size_t) (end - x->s) + 1;
		return true;
	}
	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (strncmp(p, entities[i], strlen(entities[i])) == 0)
		{
			x->pos += 1 + strlen(entities[i]);
			return true;
		}
	return xml_fail(x, "unknown entity or bare &");
}

static bool
xml_text(Xml *x)
{
	while (x->pos < x->len && x->s[x->pos] != '<')
	{
		if (x->s[x->pos] == '&')
		{
			if (!xml_reference(x))
				return false;
		}
		else if (strncmp(x->s + x->pos, "]]>", 3) == 0)
			return xml_fail(x, "]]> in text");
		else if (!xml_char(x))
			return false;
	}
	return true;
}

static void
skip_space(Xml *x)
{
	while (x->pos < x->len && strchr(" \t\r\n", x->s[x->pos]) && x->s[x->pos] != '\0')
		x->pos++;
}

static size_t
name_length(const char *p)
{
	size_t		n = 0;

	if (!(isalpha((unsigned char) p[0]) || p[0] == '_' || p[0] == ':'))
		return 0;
	while (isalnum((unsigned char) p[n]) || strchr("_:.-", p[n]) != NULL)
	{
		if (p[n] == '\0')
			break;
		n++;
	}
	return n;
}

/* Finite numbers separated by spaces or commas; exactly one unless list. */
static bool
numbers_ok(const char *v, size_t len, bool list)
{
	char		buf[65536];
	char	   *p = buf;
	int			count = 0;

	if (len >= sizeof(buf))
		return true;			/* long point lists: checked in pieces below */
	memcpy(buf, v, len);
	buf[len] = '\0';
	for (;;)
	{
		char	   *end;
		double		d;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		d = strtod(p, &end);
		if (end == p || !isfinite(d) || (*end != '\0' && *end != ' ' && *end != ','))
			return false;
		count++;
		p = end;
	}
	return list ? count > 0 : count == 1;
}

static bool
xml_attributes(Xml *x, const char *elem, size_t elem_len, bool *self_closing)
{
	const char *seen[64];
	size_t		seen_len[64];
	int			n_seen = 0;

	for (;;)
	{
		size_t		n,
					vstart;
		char		quote;
		const char *name;

		skip_space(x);
		if (x->pos >= x->len)
			return xml_fail(x, "unterminated tag");
		if (x->s[x->pos] == '>')
		{
			x->pos++;
			*self_closing = false;
			return true;
		}
		if (strncmp(x->s + x->pos, "/>", 2) == 0)
		{
			x->pos += 2;
			*self_closing = true;
			return true;
		}
		name = x->s + x->pos;
		n = name_length(name);
		if (n == 0)
			return xml_fail(x, "bad attribute name");
		if (!in_list(name, n, allowed_attributes, sizeof(allowed_attributes) / sizeof(char *)))
			return xml_fail(x, "attribute not allowed");
		for (int i = 0; i < n_seen; i++)
			if (seen_len[i] == n && strncmp(seen[i], name, n) == 0)
				return xml_fail(x, "duplicate attribute");
		if (n_seen < 64)
		{
			seen[n_seen] = name;
			seen_len[n_seen++] = n;
		}
		x->pos += n;
		skip_space(x);
		if (x->s[x->pos] != '=')
			return xml_fail(x, "attribute without value");
		x->pos++;
		skip_space(x);
		quote = x->s[x->pos];
		if (quote != '"' && quote != '\'')
			return xml_fail(x, "unquoted attribute value");
		x->pos++;
		vstart = x->pos;
		while (x->pos < x->len && x->s[x->pos] != quote)
		{
			if (x->s[x->pos] == '<')
				return xml_fail(x, "< in attribute value");
			if (x->s[x->pos] == '&')
			{
				if (!xml_reference(x))
					return false;
			}
			else if (!xml_char(x))
				return false;
		}
		if (x->pos >= x->len)
			return xml_fail(x, "unterminated attribute value");
		/* numbers in SVG attributes are finite (the width of an HTML element too) */
		if (in_list(name, n, numeric_attributes, sizeof(numeric_attributes) / sizeof(char *)) &&
			!numbers_ok(x->s + vstart, x->pos - vstart,
						(n == 6 && strncmp(name, "points", 6) == 0) ||
						(n == 7 && strncmp(name, "viewBox", 7) == 0)))
			return xml_fail(x, "attribute is not a finite number");
		if (n == 9 && strncmp(name, "transform", 9) == 0)
		{
			size_t		vl = x->pos - vstart;

			if (vl < 9 || strncmp(x->s + vstart, "rotate(", 7) != 0 || x->s[x->pos - 1] != ')' ||
				!numbers_ok(x->s + vstart + 7, vl - 8, true))
				return xml_fail(x, "bad transform");
		}
		x->pos++;
	}
	AM_UNUSED(elem);
	AM_UNUSED(elem_len);
}

/* Well-formed, one root, only the report's elements and attributes. */
static bool
xml_check(const char *doc, char *err, size_t errlen)
{
	Xml			x;
	bool		root_seen = false;

	memset(&x, 0, sizeof(x));
	x.s = doc;
	x.len = strlen(doc);
	if (strncmp(doc, "<!DOCTYPE html>", 15) == 0)
		x.pos = 15;
	for (;;)
	{
		size_t		before = x.pos;

		if (!xml_text(&x))
			break;
		if (x.depth == 0)
		{
			for (size_t i = before; i < x.pos; i++)
				if (!strchr(" \t\r\n", doc[i]))
				{
					x.pos = i;
					xml_fail(&x, "text outside the root element");
					break;
				}
			if (x.err[0])
				break;
		}
		if (x.pos >= x.len)
		{
			if (x.depth != 0)
				xml_fail(&x, "unclosed element at the end");
			else if (!root_seen)
				xml_fail(&x, "no root element");
			break;
		}
		if (strncmp(doc + x.pos, "<!--", 4) == 0)
		{
			const char *end = strstr(doc + x.pos + 4, "-->");

			if (end == NULL)
			{
				xml_fail(&x, "unterminated comment");
				break;
			}
			x.pos = (size_t) (end - doc) + 3;
			continue;
		}
		if (doc[x.pos + 1] == '!' || doc[x.pos + 1] == '?')
		{
			xml_fail(&x, "declaration, CDATA or processing instruction");
			break;
		}
		if (doc[x.pos + 1] == '/')
		{
			size_t		n = name_length(doc + x.pos + 2);

			if (x.depth == 0 || n != x.open_len[x.depth - 1] ||
				strncmp(doc + x.pos + 2, x.open[x.depth - 1], n) != 0)
			{
				xml_fail(&x, "mismatched end tag");
				break;
			}
			x.pos += 2 + n;
			skip_space(&x);
			if (doc[x.pos] != '>')
			{
				xml_fail(&x, "bad end tag");
				break;
			}
			x.pos++;
			x.depth--;
			continue;
		}
		{
			const char *name = doc + x.pos + 1;
			size_t		n = name_length(name);
			bool		self_closing;

			if (n == 0)
			{
				xml_fail(&x, "bad element name");
				break;
			}
			if (!in_list(name, n, allowed_elements, sizeof(allowed_elements) / sizeof(char *)))
			{
				xml_fail(&x, "element not allowed");
				break;
			}
			if (x.depth == 0 && root_seen)
			{
				xml_fail(&x, "second root element");
				break;
			}
			root_seen = true;
			x.pos += 1 + n;
			if (!xml_attributes(&x, name, n, &self_closing))
				break;
			if (!self_closing)
			{
				if (x.depth >= 128)
				{
					xml_fail(&x, "nested too deeply");
					break;
				}
				x.open[x.depth] = name;
				x.open_len[x.depth++] = n;
			}
		}
	}
	snprintf(err, errlen, "%s", x.err);
	return x.err[0] == '\0';
}

/*
 * Every check a rendered document must pass; returns false (after
 * printing why) on the first failure.  strict: also no NaN/inf words
 * (documents whose strings are known not to contain them).
 */
static bool
check_html(const char *html, const char *what, bool strict)
{
	char		err[256];
	static const char *const forbidden[] = {"<script", "http:", "https:", "url(", "javascript:",
	"<img", "<iframe", "<object", "<embed", "<link", "<base"};
	size_t		pos = 0;

	if (!xml_check(html, err, sizeof(err)))
	{
		fprintf(stderr, "%s: not well-formed: %s\n", what, err);
		return false;
	}
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (contains_ci(html, forbidden[i]))
		{
			fprintf(stderr, "%s: contains \"%s\"\n", what, forbidden[i]);
			return false;
		}
	if (strict && has_nan_word(html))
	{
		fprintf(stderr, "%s: contains nan or inf\n", what);
		return false;
	}
	for (size_t i = 0; i < sizeof(section_ids) / sizeof(section_ids[0]); i++)
	{
		char		tag[64];
		const char *at;

		snprintf(tag, sizeof(tag), "<section id=\"%s\"><h2>", section_ids[i]);
		at = strstr(html + pos, tag);
		if (at == NULL)
		{
			fprintf(stderr, "%s: section %s missing or out of order\n", what, section_ids[i]);
			return false;
		}
		pos = (size_t) (at - html);
	}
	return true;
}

static char *
render_text(const char *json, AmErr *err)
{
	AmJson	   *doc = parse_or_die(json);
	char	   *html;

	am_err_clear(err);
	html = am_report_html(doc, err);
	free_json(doc);
	return html;
}

/* Renders a JSON text that must render, checks it, and returns the HTML. */
static char *
render_checked(const char *json, const char *what, bool strict)
{
	AmErr		err;
	char	   *html = render_text(json, &err);

	CHECK(html != NULL);
	if (html == NULL)
	{
		fprintf(stderr, "%s: %s\n", what, err.msg);
		return NULL;
	}
	CHECK(check_html(html, what, strict));
	return html;
}

/* ---------------------------------------------------------------- building blocks */

static void
test_format(void)
{
	char		b[64];

	CHECK(strcmp(am_fmt_num(b, sizeof(b), 0.0, 3), "0") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), -0.0, 3), "0") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), 5000, 3), "5000") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), 0.91234, 3), "0.912") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), 123456.7, 3), "123457") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), 1.5e-5, 3), "1.5e-5") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), 1e20, 3), "1e20") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), -2.5e300, 3), "-2.5e300") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), NAN, 3), "n/a") == 0);
	CHECK(strcmp(am_fmt_num(b, sizeof(b), INFINITY, 3), "n/a") == 0);
	CHECK(strcmp(am_fmt_count(b, sizeof(b), 5000), "5,000") == 0);
	CHECK(strcmp(am_fmt_count(b, sizeof(b), -1234567), "-1,234,567") == 0);
	CHECK(strcmp(am_fmt_count(b, sizeof(b), 999), "999") == 0);
	CHECK(strcmp(am_fmt_count(b, sizeof(b), 0.4), "0") == 0);
	CHECK(strcmp(am_fmt_tick(b, sizeof(b), 0.1 + 0.2, 0.1), "0.3") == 0);
	CHECK(strcmp(am_fmt_tick(b, sizeof(b), -1e-17, 0.2), "0.0") == 0);
	CHECK(strcmp(am_fmt_tick(b, sizeof(b), 0.85, 0.05), "0.85") == 0);
	CHECK(strcmp(am_fmt_tick(b, sizeof(b), 1000, 200), "1000") == 0);
	CHECK(strcmp(am_fmt_tick(b, sizeof(b), -0.04, 0.02), "-0.04") == 0);
	CHECK(strcmp(am_fmt_score(b, sizeof(b), 0.9), "0.9000") == 0);
	CHECK(strcmp(am_fmt_score(b, sizeof(b), 6.94214), "6.9421") == 0);
	CHECK(strcmp(am_fmt_score(b, sizeof(b), 123.456), "123.46") == 0);
	CHECK(strcmp(am_fmt_score(b, sizeof(b), -0.00001), "-1e-5") == 0);
	/* small buffers are never overrun */
	CHECK(strlen(am_fmt_count(b, 4, 123456789)) <= 3);
	CHECK(strlen(am_fmt_num(b, 4, 123456789, 3)) <= 3);

}

static void
check_escaped(const char *in, size_t max, const char *expected)
{
	AmStr		s;

	am_str_init(&s);
	am_html_text(&s, in, max);
	CHECK(strcmp(s.data, expected) == 0);
	if (strcmp(s.data, expected) != 0)
		fprintf(stderr, "  escaped \"%s\" as \"%s\", expected \"%s\"\n", in, s.data, expected);
	am_free(s.data);
}

static void
test_escape(void)
{
	check_escaped("</script><img src=x onerror=alert(1)>", 0,
				  "&lt;/script&gt;&lt;img src=x onerror=alert&#40;1)&gt;");
	check_escaped("]]>", 0, "]]&gt;");
	check_escaped("a&b\"c'd", 0, "a&amp;b&quot;c&#39;d");
	check_escaped("https://x.example/a.png", 0, "https&#58;//x.example/a.png");
	check_escaped("url(x)", 0, "url&#40;x)");
	check_escaped("tab\tnl\n", 0, "tab\tnl\n");
	check_escaped("ctl\x01\x1f\x7f", 0, "ctl\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_escaped("bad\xff\xfe", 0, "bad\xef\xbf\xbd\xef\xbf\xbd");
	check_escaped("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	check_escaped("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* surrogate */
	check_escaped("\xef\xbf\xbe", 0, "\xef\xbf\xbd");	/* U+FFFE */
	check_escaped("cut\xe2\x82", 0, "cut\xef\xbf\xbd\xef\xbf\xbd");	/* truncated */
	check_escaped("\xf0\x9f\x98\x80 ok", 0, "\xf0\x9f\x98\x80 ok");
	check_escaped("abcdef", 3, "abc" AM_REPORT_ELLIPSIS);
	check_escaped("abc", 3, "abc");
	check_escaped("\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xc3\xa9" AM_REPORT_ELLIPSIS);
	check_escaped("", 5, "");
	{
		AmStr		s;

		am_str_init(&s);
		am_html_text(&s, NULL, 0);
		CHECK(s.len == 0);
		am_free(s.data);
	}
}

static bool
axis_sane(const AmAxis *a)
{
	if (!(a->hi > a->lo) || !isfinite(a->lo) || !isfinite(a->hi) || a->n_ticks < 2 ||
		a->n_ticks > AM_REPORT_MAX_TICKS)
		return false;
	for (int i = 0; i < a->n_ticks; i++)
		if (!isfinite(a->ticks[i]) || (i > 0 && !(a->ticks[i] > a->ticks[i - 1])))
			return false;
	return true;
}

static void
test_axis(void)
{
	AmAxis		a;
	int			idx[16];

	CHECK(am_axis_nice(&a, 0.82, 0.91, 6));
	CHECK(axis_sane(&a) && a.lo <= 0.82 + 1e-12 && a.hi >= 0.91 && a.n_ticks == 6);
	CHECK_NEAR(a.step, 0.02, 1e-12);
	CHECK(am_axis_nice(&a, 0, 5000, 5) && axis_sane(&a) && a.lo == 0 && a.hi == 5000);
	CHECK(am_axis_nice(&a, 0.1, 0.9, 8) && axis_sane(&a) && fabs(a.hi - 0.9) < 1e-12 &&
		  fabs(a.lo - 0.1) < 1e-12 && a.n_ticks == 9);
	CHECK(am_axis_nice(&a, 5, 5, 5) && axis_sane(&a) && a.lo < 5 && a.hi > 5);
	CHECK(am_axis_nice(&a, 0, 0, 5) && axis_sane(&a) && a.lo < 0 && a.hi > 0);
	CHECK(am_axis_nice(&a, 7, -3, 5) && axis_sane(&a) && a.lo <= -3 && a.hi >= 7);
	CHECK(am_axis_nice(&a, 1e300, 1.7e308, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, 1e15, 1e15 + 1, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, 1e-300, 2e-300, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, 5e-324, 5e-324, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, 0, 5e-324, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, -1e-310, 1e-310, 5) && axis_sane(&a));
	CHECK(am_axis_nice(&a, -1.7e308, -1.7e308, 5) && axis_sane(&a));
	CHECK(!am_axis_nice(&a, -1.7e308, 1.7e308, 5));
	CHECK(!am_axis_nice(&a, NAN, 1, 5));
	CHECK(!am_axis_nice(&a, 0, INFINITY, 5));
	am_axis_fixed(&a, 0, 1, 0.2);
	CHECK(axis_sane(&a) && a.n_ticks == 6);
	am_axis_fixed(&a, 0, 1, 1e-9);	/* too many: just the ends */
	CHECK(axis_sane(&a) && a.n_ticks == 2);

	CHECK(am_downsample(1000, 10, idx) == 10 && idx[0] == 0 && idx[9] == 999);
	for (int i = 1; i < 10; i++)
		CHECK(idx[i] > idx[i - 1]);
	CHECK(am_downsample(5, 10, idx) == 5 && idx[4] == 4);
	CHECK(am_downsample(0, 10, idx) == 0);
	CHECK(am_downsample(11, 10, idx) == 10 && idx[9] == 10);
}

static void
test_svg_blocks(void)
{
	AmStr		s;
	AmPlot		p;
	char		colour[8],
				err[256];
	double		x[4] = {0, NAN, 1e308, 0.5},
				y[4] = {0, 1, -1e308, INFINITY};

	am_colour_ramp(0, colour);
	CHECK(strcmp(colour, "#f7fbff") == 0);
	am_colour_ramp(1, colour);
	CHECK(strcmp(colour, "#08306b") == 0);
	am_colour_ramp(NAN, colour);
	CHECK(strcmp(colour, "#f7fbff") == 0);
	am_colour_ramp(7, colour);
	CHECK(strcmp(colour, "#08306b") == 0);
	CHECK(!am_colour_ramp_dark(NAN) && am_colour_ramp_dark(0.9));

	/* marks with non-finite data write only finite numbers */
	am_str_init(&s);
	memset(&p, 0, sizeof(p));
	p.s = &s;
	p.left = 10;
	p.top = 10;
	p.width = 100;
	p.height = 100;
	am_axis_fixed(&p.x, 0, 1, 0.2);
	am_axis_fixed(&p.y, 0, 1, 0.2);
	am_svg_begin(&s, 120, 120, "t<e>st");
	am_svg_axes(&p, "x & y", "<y>");
	am_svg_polyline(&p, x, y, 4, "#000000", 1, "4 4");
	am_svg_area(&p, x, y, 4, "#000000", 0.1);
	am_svg_points(&p, x, y, 4, NULL, 2, NULL, "#000000", 0.5);
	am_svg_rect(&s, NAN, INFINITY, -5, NAN, "#000000", 0.5, "tip <b>");
	am_svg_line(&s, NAN, 0, 1e300, -1e300, "#000000", 1, NULL);
	am_svg_text(&s, NAN, 1, "middle", 12, "#000000", true, -90, HOSTILE, 0);
	am_svg_end(&s);
	am_svg_placeholder(&s, 200, 100, HOSTILE);
	{
		/* wrap both SVG elements in one root for the checker */
		AmStr		doc;

		am_str_init(&doc);
		am_str_append(&doc, "<div>");
		am_str_append(&doc, s.data);
		am_str_append(&doc, "</div>");
		CHECK(xml_check(doc.data, err, sizeof(err)));
		if (err[0])
			fprintf(stderr, "svg blocks: %s\n", err);
		CHECK(!has_nan_word(doc.data));
		CHECK(!contains_ci(doc.data, "<script"));
		am_free(doc.data);
	}
	am_free(s.data);
}

static void
test_xml_checker(void)
{
	char		err[256];

	/* the checker itself must reject what it is there to catch */
	CHECK(xml_check("<!DOCTYPE html>\n<html><body><p>a &amp; b &#177; &#x2026;</p></body></html>",
					err, sizeof(err)));
	CHECK(!xml_check("<html><p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>a & b</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>a &nbsp; b</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p class=x>a</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p class=\"a\" class=\"b\">a</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><img src=\"x\"/></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p onclick=\"x\">a</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>]]></p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>\x01</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>\xff</p></html>", err, sizeof(err)));
	CHECK(!xml_check("<html></html><html></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><svg><rect x=\"nan\"/></svg></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><svg><rect x=\"inf\"/></svg></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><svg><polyline points=\"1,2 3,-nan\"/></svg></html>", err, sizeof(err)));
	CHECK(xml_check("<html><svg><polyline points=\"1,2 3,-4.5\"/></svg></html>", err, sizeof(err)));
	CHECK(!xml_check("<html><p>", err, sizeof(err)));
	CHECK(has_nan_word("x=\"-nan\"") && has_nan_word("INF") && !has_nan_word("information"));
}

/* ---------------------------------------------------------------- fixtures */

/* The trial the leaderboard must rank first: best score, failed trials aside. */
static double
expected_best_trial(const AmJson *doc, bool lower_better)
{
	const AmJson *trials = am_json_get(doc, "trials");
	double		best = NAN,
				number = NAN;

	for (int i = 0; trials && i < trials->n; i++)
	{
		const AmJson *t = &trials->items[i];
		const AmJson *score = am_json_get(t, "score");
		const AmJson *status = am_json_get(t, "status");

		if (score == NULL || score->type != AM_JSON_NUMBER ||
			(status && status->type == AM_JSON_STRING && strcmp(status->string, "failed") == 0))
			continue;
		if (isnan(best) || (lower_better ? score->number < best : score->number > best))
		{
			best = score->number;
			number = am_json_get(t, "trial")->number;
		}
	}
	return number;
}

/* A locale with a decimal comma changes nothing (LOCPATH may point to one). */
static void
test_locale(void)
{
	static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
	"fr_FR.utf8", "ru_RU.UTF-8", "nl_NL.UTF-8"};
	bool		set = false;
	char		b[64],
				probe[16];
	size_t		len;
	char	   *text = read_text(FIXTURE_DIR "binary.json", &len);
	AmJson	   *doc;
	AmErr		err;
	char	   *in_c,
			   *in_locale;

	if (text == NULL)
	{
		CHECK(text != NULL);
		return;
	}
	doc = parse_or_die(text);
	in_c = am_report_html(doc, &err);
	for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]) && !set; i++)
		set = setlocale(LC_NUMERIC, locales[i]) != NULL;
	snprintf(probe, sizeof(probe), "%.1f", 0.5);
	if (set && probe[1] != '.')
	{
		CHECK(strcmp(am_fmt_num(b, sizeof(b), 0.125, 3), "0.125") == 0);
		CHECK(strcmp(am_fmt_tick(b, sizeof(b), 0.5, 0.1), "0.5") == 0);
		CHECK(strcmp(am_fmt_score(b, sizeof(b), 0.5), "0.5000") == 0);
		in_locale = am_report_html(doc, &err);
		setlocale(LC_NUMERIC, "C");	/* the checker's strtod reads C numbers */
		CHECK(in_c && in_locale && strcmp(in_c, in_locale) == 0);
		CHECK(in_locale && check_html(in_locale, "binary fixture in a decimal-comma locale", true));
		printf("test_report: rendered in a locale whose decimal separator is \"%c\": same document\n",
			   probe[1]);
		am_free(in_locale);
	}
	else
		printf("test_report: no decimal-comma locale available; locale check skipped "
			   "(LOCPATH=DIR with localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8 enables it)\n");
	setlocale(LC_NUMERIC, "C");
	am_free(in_c);
	free_json(doc);
	am_free(text);
}

static void
test_fixtures(void)
{
	for (size_t f = 0; f < sizeof(fixture_names) / sizeof(fixture_names[0]); f++)
	{
		char		path[256],
					rank1[128];
		size_t		len;
		char	   *text,
				   *html;
		AmJson	   *doc;
		AmErr		err;
		bool		regression = strcmp(fixture_names[f], "regression") == 0;

		snprintf(path, sizeof(path), FIXTURE_DIR "%s.json", fixture_names[f]);
		text = read_text(path, &len);
		CHECK(text != NULL);
		if (text == NULL)
		{
			fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
			continue;
		}
		doc = parse_or_die(text);
		am_err_clear(&err);
		html = am_report_html(doc, &err);
		CHECK(html != NULL);
		if (html == NULL)
			continue;
		CHECK(check_html(html, path, true));
		CHECK(strlen(html) < 600000);
		CHECK(strstr(html, "<title>Model report: ") != NULL);
		CHECK(strstr(html, "not available") == NULL || strcmp(fixture_names[f], "binary") != 0);
		/* the best trial is ranked first, ascending for RMSE */
		snprintf(rank1, sizeof(rank1), "<tr><td class=\"num\">1</td><td class=\"num\">%.0f</td>",
				 expected_best_trial(doc, regression));
		CHECK(strstr(html, rank1) != NULL);
		if (strcmp(fixture_names[f], "binary") == 0)
		{
			CHECK(strstr(html, "ROC curve") && strstr(html, "Precision-recall curve"));
			CHECK(strstr(html, "Confusion matrix") && strstr(html, "Calibration"));
			CHECK(strstr(html, "Ensemble members") != NULL);
			CHECK(strstr(html, "each chosen without the fold it is scored on") != NULL);
			CHECK(strstr(html, ">AUC 0.") != NULL);
			CHECK(strstr(html, "4,224") != NULL);	/* a confusion count */
			CHECK(strstr(html, "higher is better") != NULL);
		}
		else if (regression)
		{
			CHECK(strstr(html, "Predicted vs actual") && strstr(html, "Residuals"));
			CHECK(strstr(html, "lower is better") != NULL);
			CHECK(strstr(html, "ROC curve") == NULL);
			CHECK(strstr(html, "None: training raised no warnings.") != NULL);
		}
		else
		{
			CHECK(strstr(html, "Confusion matrix") != NULL);
			CHECK(strstr(html, "drawn for binary models") != NULL);
			CHECK(strstr(html, "Chinstrap") != NULL);
		}
		/* rendering is deterministic */
		{
			char	   *again = am_report_html(doc, &err);

			CHECK(again != NULL && strcmp(again, html) == 0);
			am_free(again);
		}
		am_free(html);
		free_json(doc);
		am_free(text);
	}
}

/* ---------------------------------------------------------------- hostile, missing, degenerate */

/* A document with a hostile string in every place a string can go. */
static char *
hostile_document(void)
{
	AmStr		j;
	const char *h = HOSTILE "\xff\x01 https://evil.example/x.png url(x) javascript:alert(1)";

#define HS(s) am_str_json_string(&(s), h)
	am_str_init(&j);
	am_str_append(&j, "{\"model\": {\"name\": ");
	HS(j);
	am_str_append(&j, ", \"version\": 1, \"task\": ");
	HS(j);
	am_str_append(&j, ", \"algorithm\": ");
	HS(j);
	am_str_append(&j, ", \"metric\": ");
	HS(j);
	am_str_append(&j, ", \"status\": ");
	HS(j);
	am_str_append(&j, ", \"created_by\": ");
	HS(j);
	am_str_append(&j, ", \"created_at\": ");
	HS(j);
	am_str_append(&j, ", \"source\": ");
	HS(j);
	am_str_append(&j, ", \"target\": ");
	HS(j);
	am_str_append(&j, ", \"extension_version\": ");
	HS(j);
	am_str_append(&j, ", \"data_fingerprint\": ");
	HS(j);
	am_str_append(&j, ", \"classes\": [");
	HS(j);
	am_str_append(&j, ", \"b\"], \"hyperparameters\": {");
	HS(j);
	am_str_append(&j, ": ");
	HS(j);
	am_str_append(&j, ", \"members\": [{\"trial\": 1, \"algorithm\": ");
	HS(j);
	am_str_append(&j, ", \"weight\": 1, \"hyperparameters\": {");
	HS(j);
	am_str_append(&j, ": ");
	HS(j);
	am_str_append(&j, "}}]}, \"lineage\": {");
	HS(j);
	am_str_append(&j, ": {");
	HS(j);
	am_str_append(&j, ": ");
	HS(j);
	am_str_append(&j, "}}, \"metrics\": {\"validation\": {\"method\": ");
	HS(j);
	am_str_append(&j, ", \"metric\": ");
	HS(j);
	am_str_append(&j, ", \"metrics\": {");
	HS(j);
	am_str_append(&j, ": 0.5}}, \"training\": {");
	HS(j);
	am_str_append(&j, ": 0.4}}}, \"trials\": [{\"trial\": 1, \"algorithm\": ");
	HS(j);
	am_str_append(&j, ", \"score\": 0.8, \"status\": ");
	HS(j);
	am_str_append(&j, ", \"elapsed_seconds\": 1, \"hyperparameters\": {");
	HS(j);
	am_str_append(&j, ": [");
	HS(j);
	am_str_append(&j, "]}}, {\"trial\": 2, \"algorithm\": \"gbm\", \"score\": 0.9, \"elapsed_seconds\": 2}], "
				  "\"diagnostics\": {\"confusion\": {\"labels\": [");
	HS(j);
	am_str_append(&j, ", ");
	HS(j);
	am_str_append(&j, "], \"matrix\": [[1, 2], [3, 4]]}, \"roc\": {\"fpr\": [0, 0.5, 1], "
				  "\"tpr\": [0, 0.8, 1], \"auc\": 0.8}}, \"importance\": [{\"feature\": ");
	HS(j);
	am_str_append(&j, ", \"importance\": 0.7}, {\"feature\": \"b\", \"importance\": 0.3}], "
				  "\"profile\": [{\"column\": ");
	HS(j);
	am_str_append(&j, ", \"type\": ");
	HS(j);
	am_str_append(&j, ", \"kind\": ");
	HS(j);
	am_str_append(&j, ", \"role\": ");
	HS(j);
	am_str_append(&j, ", \"missing_share\": 0.5, \"distinct\": 3, \"top\": [{\"value\": ");
	HS(j);
	am_str_append(&j, ", \"count\": 5}]}], \"warnings\": [");
	HS(j);
	am_str_append(&j, ", {\"x\": ");
	HS(j);
	am_str_append(&j, "}]}");
#undef HS
	return j.data;
}

static void
test_hostile(void)
{
	char	   *json = hostile_document();
	char	   *html = render_checked(json, "hostile document", false);

	if (html)
	{
		CHECK(strstr(html, "&lt;/script&gt;&lt;img src=x onerror=alert&#40;1)&gt;]]&gt;") != NULL);
		CHECK(strstr(html, "]]>") == NULL);
		CHECK(strstr(html, "\xef\xbf\xbd") != NULL);	/* the invalid bytes were replaced */
		am_free(html);
	}
	am_free(json);
}

static void
test_missing_and_wrong_types(void)
{
	static const char *const docs[] = {
		"{}",
		"{\"model\": null}",
		"{\"model\": {}}",
		"{\"model\": 1, \"trials\": \"x\", \"diagnostics\": [], \"importance\": {}, \"profile\": 3, "
		"\"warnings\": null}",
		"{\"model\": {\"name\": 5, \"version\": \"three\", \"task\": [], \"score\": \"high\", "
		"\"score_std\": {}, \"n_rows\": -1, \"classes\": \"yes\", \"metrics\": [1], "
		"\"hyperparameters\": [1, 2], \"lineage\": \"from v2\", \"source\": null, "
		"\"train_seconds\": -5}}",
		"{\"trials\": [1, \"x\", null, [], {}, {\"score\": \"0.5\"}, {\"score\": null, \"status\": 3}]}",
		"{\"model\": {\"task\": \"binary\"}, \"diagnostics\": {\"roc\": {\"fpr\": \"x\", \"tpr\": [null]}, "
		"\"pr\": [], \"confusion\": {\"matrix\": [1, [2], [\"a\", null]]}, \"calibration\": {}}}",
		"{\"model\": {\"task\": \"multiclass\"}, \"diagnostics\": {\"confusion\": {\"labels\": 3, "
		"\"matrix\": [[1, 2, 3], [4, 5], []]}}}",
		"{\"model\": {\"task\": \"regression\"}, \"diagnostics\": {\"regression\": {\"actual\": [1, 2], "
		"\"predicted\": [1], \"residuals\": {\"edges\": [0, 1], \"counts\": [1, 2]}}}}",
		"{\"importance\": [1, {\"feature\": 3}, {\"importance\": \"x\"}, {\"feature\": \"a\"}], "
		"\"profile\": [1, {}, {\"histogram\": 1, \"top\": 2}, {\"top\": [1, {\"count\": \"x\"}]}], "
		"\"warnings\": [1, null, [], {}]}",
		"{\"model\": {\"task\": \"binary\", \"metrics\": {\"validation\": {\"method\": \"cv\", "
		"\"folds\": 1e300, \"rows\": -1e300}}}}",
	};
	static const char *const bad[] = {"[]", "1", "\"x\"", "null", "true", "[{\"model\": {}}]"};
	AmErr		err;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
	{
		char		what[64];
		char	   *html;

		snprintf(what, sizeof(what), "wrong-type document %zu", i);
		html = render_checked(docs[i], what, true);
		if (html)
		{
			CHECK(strstr(html, "not available") != NULL);
			am_free(html);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		char	   *html = render_text(bad[i], &err);

		CHECK(html == NULL && err.msg[0] != '\0' && err.kind == AM_ERR_PARAM);
	}
	am_err_clear(&err);
	CHECK(am_report_html(NULL, &err) == NULL && err.msg[0] != '\0');
	CHECK(am_report_html(NULL, NULL) == NULL);
}

static void
test_degenerate(void)
{
	static const struct
	{
		const char *json;
		const char *expect;		/* a placeholder or note that must appear */
	}			cases[] = {
		{"{\"model\": {\"task\": \"binary\", \"metric\": \"roc_auc\"}, \"trials\": [{\"trial\": 1, "
		"\"score\": 0.9, \"elapsed_seconds\": 1}]}", "not enough scored trials"},
		{"{\"trials\": [{\"trial\": 1, \"score\": 0.9}, {\"trial\": 2, \"score\": 0.9}, "
		"{\"trial\": 3, \"score\": 0.9}]}", "Best 3 of 3 trials"},
		{"{\"trials\": [{\"trial\": 1, \"status\": \"failed\"}]}", "no trial has a score"},
		{"{\"trials\": []}", "no trials were recorded"},
		{"{\"model\": {\"task\": \"binary\"}, \"diagnostics\": {\"roc\": {\"fpr\": [0.5], \"tpr\": [0.5]}}}",
		"not enough points to draw the curve"},
		{"{\"model\": {\"task\": \"binary\"}, \"diagnostics\": {\"confusion\": {\"matrix\": [[0, 0], [0, 0]]}}}",
		"the confusion matrix has no usable counts"},
		{"{\"model\": {\"task\": \"binary\"}, \"diagnostics\": {\"calibration\": [{\"predicted\": 0.5, "
		"\"observed\": 0.5, \"count\": 0}]}}", "Calibration"},
		{"{\"model\": {\"task\": \"regression\"}, \"diagnostics\": {\"regression\": {\"actual\": [3, 3, 3], "
		"\"predicted\": [3, 3, 3], \"residuals\": {\"edges\": [0, 0, 0], \"counts\": [0, 0]}}}}",
		"all points are equal"},
		{"{\"model\": {\"task\": \"regression\"}, \"diagnostics\": {\"regression\": {\"actual\": [1], "
		"\"predicted\": [2], \"residuals\": {\"edges\": [0, 1], \"counts\": [0]}}}}",
		"the residual histogram is empty or malformed"},
		{"{\"model\": {\"task\": \"regression\"}, \"diagnostics\": {\"regression\": {"
		"\"residuals\": {\"edges\": [2, 1, 3], \"counts\": [1, 1]}}}}",
		"the residual histogram is empty or malformed"},
		{"{\"importance\": [{\"feature\": \"a\", \"importance\": 0}, {\"feature\": \"b\", \"importance\": 0}]}",
		"every importance is zero"},
		{"{\"importance\": []}", "no feature has an importance"},
		{"{\"profile\": [{\"column\": \"c\", \"histogram\": {\"edges\": [1, 1], \"counts\": [5]}, "
		"\"top\": []}]}", "no histogram"},
		{"{\"profile\": [{\"column\": \"c\", \"top\": [{\"value\": \"a\", \"count\": 0}]}]}",
		"no categories"},
		{"{\"warnings\": []}", "None: training raised no warnings."},
		{"{\"model\": {\"task\": \"regression\"}}", "Predicted vs actual"},
		{"{\"model\": {\"task\": \"whatever\"}}", "the task is unknown"},
		/* extreme numbers */
		{"{\"model\": {\"score\": 1e308, \"score_std\": 1e308, \"n_rows\": 1e308, \"train_seconds\": 1e308, "
		"\"trials\": -1e308, \"version\": 1e308}, \"trials\": [{\"trial\": 1e308, \"score\": 1e308, "
		"\"score_std\": 1e308, \"elapsed_seconds\": -1e308, \"fit_seconds\": 5e-324}, {\"trial\": -1e308, "
		"\"score\": -1e308, \"score_std\": 1e308, \"elapsed_seconds\": 1e308}]}", "out of range"},
		{"{\"model\": {\"task\": \"regression\"}, \"diagnostics\": {\"regression\": {\"actual\": [1e308, -1e308], "
		"\"predicted\": [-1e308, 1e308], \"residuals\": {\"edges\": [-1e308, 0, 1e308], \"counts\": [1e308, 1e308]}}}, "
		"\"importance\": [{\"feature\": \"a\", \"importance\": 1e308}, {\"feature\": \"b\", \"importance\": -1e308}]}",
		"out of range"},
		{"{\"model\": {\"task\": \"binary\"}, \"diagnostics\": {\"roc\": {\"fpr\": [-1e300, 5e-324, 1e300], "
		"\"tpr\": [1e300, 0, -1e300], \"auc\": 1e300}, \"confusion\": {\"matrix\": [[1e308, 1e308], [1e308, 1e308]]}, "
		"\"calibration\": [{\"predicted\": 1e300, \"observed\": -1e300, \"count\": 1e308}]}}", "ROC curve"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		what[64];
		char	   *html;

		snprintf(what, sizeof(what), "degenerate document %zu", i);
		html = render_checked(cases[i].json, what, true);
		if (html == NULL)
			continue;
		CHECK(strstr(html, cases[i].expect) != NULL);
		if (strstr(html, cases[i].expect) == NULL)
			fprintf(stderr, "%s: \"%s\" not found\n", what, cases[i].expect);
		am_free(html);
	}
}

/* A document far beyond every cap: the page stays bounded. */
static void
test_huge(void)
{
	AmStr		j;
	char	   *html;
	char		big[12001];

	memset(big, 'w', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	am_str_init(&j);
	am_str_append(&j, "{\"model\": {\"name\": ");
	am_str_json_string(&j, big);
	am_str_append(&j, ", \"task\": \"binary\", \"metric\": \"log_loss\", \"source\": \"");
	for (int i = 0; i < 100000; i++)
		am_str_append(&j, "SELECT 1 ");
	am_str_append(&j, "\", \"classes\": [");
	for (int i = 0; i < 5000; i++)
		am_str_appendf(&j, "%s\"class %d\"", i ? ", " : "", i);
	am_str_append(&j, "], \"hyperparameters\": {");
	for (int i = 0; i < 2000; i++)
		am_str_appendf(&j, "%s\"p%d\": {\"a\": {\"b\": {\"c\": [1, 2, {\"d\": %d}]}}}", i ? ", " : "", i, i);
	am_str_append(&j, "}, \"lineage\": ");
	for (int i = 0; i < 30; i++)
		am_str_append(&j, "{\"x\": ");
	am_str_append(&j, "1");
	for (int i = 0; i < 30; i++)
		am_str_append(&j, "}");
	am_str_append(&j, "}, \"trials\": [");
	for (int i = 0; i < 50000; i++)
		am_str_appendf(&j, "%s{\"trial\": %d, \"algorithm\": \"alg%d\", \"score\": %g, \"score_std\": 0.01, "
					   "\"elapsed_seconds\": %d, \"status\": \"ok\", \"hyperparameters\": {\"k\": \"%s\"}}",
					   i ? ", " : "", i + 1, i % 50, 1.0 - i * 1e-5, i, i % 1000 == 0 ? "long" : "v");
	am_str_append(&j, "], \"diagnostics\": {\"roc\": {\"fpr\": [");
	for (int i = 0; i <= 100000; i++)
		am_str_appendf(&j, "%s%g", i ? ", " : "", i / 100000.0);
	am_str_append(&j, "], \"tpr\": [");
	for (int i = 0; i <= 100000; i++)
		am_str_appendf(&j, "%s%g", i ? ", " : "", sqrt(i / 100000.0));
	am_str_append(&j, "]}, \"confusion\": {\"matrix\": [");
	for (int r = 0; r < 100; r++)
	{
		am_str_append(&j, r ? ", [" : "[");
		for (int c = 0; c < 100; c++)
			am_str_appendf(&j, "%s%d", c ? ", " : "", r == c ? 1000 : r + c);
		am_str_append(&j, "]");
	}
	am_str_append(&j, "]}, \"calibration\": [");
	for (int i = 0; i < 10000; i++)
		am_str_appendf(&j, "%s{\"predicted\": %g, \"observed\": %g, \"count\": %d}", i ? ", " : "",
					   i / 10000.0, i / 10000.0, i);
	am_str_append(&j, "]}, \"importance\": [");
	for (int i = 0; i < 50000; i++)
		am_str_appendf(&j, "%s{\"feature\": \"f%d%s\", \"importance\": %g}", i ? ", " : "", i,
					   i == 0 ? big : "", 2.0 / 50000 * (50000 - i) / 50001);
	am_str_append(&j, "], \"profile\": [");
	for (int i = 0; i < 5000; i++)
	{
		am_str_appendf(&j, "%s{\"column\": \"c%d%s\", \"type\": \"text\", \"kind\": \"numeric\", "
					   "\"missing_share\": 0.1, \"distinct\": 10, \"role\": \"feature\", "
					   "\"histogram\": {\"edges\": [", i ? ", " : "", i, i == 0 ? big : "");
		for (int b = 0; b <= 500; b++)
			am_str_appendf(&j, "%s%d", b ? ", " : "", b);
		am_str_append(&j, "], \"counts\": [");
		for (int b = 0; b < 500; b++)
			am_str_appendf(&j, "%s%d", b ? ", " : "", b);
		am_str_append(&j, "]}}");
	}
	am_str_append(&j, "], \"warnings\": [");
	for (int i = 0; i < 20000; i++)
		am_str_appendf(&j, "%s\"warning %d %s\"", i ? ", " : "", i, i == 0 ? big : "");
	am_str_append(&j, "]}");

	html = render_checked(j.data, "huge document", true);
	if (html)
	{
		printf("test_report: a %.1f MB document renders as %.2f MB of HTML\n",
			   j.len / 1048576.0, strlen(html) / 1048576.0);
		CHECK(strlen(html) < 2 * 1024 * 1024);
		CHECK(strstr(html, "of 50000 trials") != NULL);
		CHECK(strstr(html, "The first 150 of 5000 columns are shown.") != NULL);
		CHECK(strstr(html, "100 of 20000 warnings shown.") != NULL);
		CHECK(strstr(html, "25 of 50000 features shown") != NULL);
		am_free(html);
	}
	am_free(j.data);
}

/* ---------------------------------------------------------------- mutations */

typedef struct Mutator
{
	uint64_t	state;
	int			rate;			/* per 10000 nodes: replace the node */
	long		budget;			/* nodes left to copy; -1: no truncation */
} Mutator;

static uint64_t
next_random(Mutator *m)
{
	/* splitmix64 */
	uint64_t	z = (m->state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int
pick(Mutator *m, int n)
{
	return (int) (next_random(m) % (uint64_t) n);
}

static const char *const mutation_keys[] = {
	"model", "trials", "diagnostics", "importance", "profile", "warnings", "name", "version",
	"task", "algorithm", "metric", "score", "score_std", "status", "classes", "hyperparameters",
	"members", "lineage", "metrics", "validation", "training", "method", "folds", "rows",
	"ensemble", "best_single", "ensemble_unseen", "single_unseen", "trial", "fit_seconds",
	"elapsed_seconds", "roc", "pr", "fpr", "tpr", "auc", "recall", "precision", "confusion",
	"labels", "matrix", "calibration", "predicted", "observed", "count", "regression", "actual",
	"residuals", "edges", "counts", "feature", "column", "type", "kind", "missing_share",
	"distinct", "role", "histogram", "top", "value", "source", "n_rows", "train_seconds"
};

static void random_value(Mutator *m, AmJson *dst, int depth);

static void
random_container(Mutator *m, AmJson *dst, int depth, bool object)
{
	int			n = depth > 4 ? 0 : pick(m, 4);

	dst->type = object ? AM_JSON_OBJECT : AM_JSON_ARRAY;
	dst->n = n;
	dst->items = AM_NEW0(AmJson, n > 0 ? n : 1);
	dst->keys = object ? AM_NEW0(char *, n > 0 ? n : 1) : NULL;
	for (int i = 0; i < n; i++)
	{
		random_value(m, &dst->items[i], depth + 1);
		if (object)
			dst->keys[i] = am_strdup(mutation_keys[pick(m, sizeof(mutation_keys) / sizeof(char *))]);
	}
}

static void
random_value(Mutator *m, AmJson *dst, int depth)
{
	static const double numbers[] = {0, -0.0, 1, -1, 0.5, 2, 3, 1e308, -1e308, 5e-324, -5e-324,
		1e-300, 2147483648.0, -2147483649.0, 1e15, 1e16, 123456789012345678.0, 0.999999999,
	1e-7, 100, NAN, INFINITY, -INFINITY};
	static const char *const strings[] = {"", HOSTILE, "]]>", "\xff\xfe", "\x01\x02",
		"a&b<c>d\"e'f", "cv", "holdout", "none", "binary", "multiclass", "regression", "ok",
	"failed", "pruned", "rmse", "log_loss", "roc_auc", "ensemble", "target", "leaky"};

	memset(dst, 0, sizeof(*dst));
	switch (pick(m, 8))
	{
		case 0:
			dst->type = AM_JSON_NULL;
			break;
		case 1:
			dst->type = AM_JSON_BOOL;
			dst->boolean = pick(m, 2);
			break;
		case 2:
		case 3:
			dst->type = AM_JSON_NUMBER;
			dst->number = numbers[pick(m, sizeof(numbers) / sizeof(numbers[0]))];
			break;
		case 4:
			dst->type = AM_JSON_STRING;
			if (pick(m, 10) == 0)
			{
				dst->string = am_alloc(3001);
				memset(dst->string, 'x', 3000);
				dst->string[3000] = '\0';
			}
			else
				dst->string = am_strdup(strings[pick(m, sizeof(strings) / sizeof(strings[0]))]);
			break;
		case 5:
			random_container(m, dst, depth, false);
			break;
		default:
			random_container(m, dst, depth, true);
			break;
	}
}

/* A copy of src with random replacements, truncations and renamed members. */
static void
mutate_copy(Mutator *m, const AmJson *src, AmJson *dst, int depth)
{
	int			n;

	memset(dst, 0, sizeof(*dst));
	if (m->budget >= 0 && m->budget-- == 0)
	{
		dst->type = AM_JSON_NULL;
		return;
	}
	if (m->rate > 0 && pick(m, 10000) < m->rate)
	{
		random_value(m, dst, depth);
		return;
	}
	dst->type = src->type;
	dst->boolean = src->boolean;
	dst->number = src->number;
	if (src->type == AM_JSON_STRING)
		dst->string = am_strdup(src->string);
	if (src->type != AM_JSON_ARRAY && src->type != AM_JSON_OBJECT)
		return;
	n = src->n;
	if (m->rate > 0 && n > 0 && pick(m, 10000) < m->rate * 4)
		n = pick(m, n + 1);		/* drop the tail */
	if (m->budget >= 0 && n > m->budget)
		n = (int) m->budget;	/* a truncated document ends here */
	dst->n = n;
	dst->items = AM_NEW0(AmJson, n > 0 ? n : 1);
	dst->keys = src->type == AM_JSON_OBJECT ? AM_NEW0(char *, n > 0 ? n : 1) : NULL;
	for (int i = 0; i < n; i++)
	{
		mutate_copy(m, &src->items[i], &dst->items[i], depth + 1);
		if (src->type == AM_JSON_OBJECT)
			dst->keys[i] = am_strdup(m->rate > 0 && pick(m, 10000) < m->rate ?
									 mutation_keys[pick(m, sizeof(mutation_keys) / sizeof(char *))] :
									 src->keys[i]);
	}
}

static long
count_nodes(const AmJson *v)
{
	long		n = 1;

	if (v->type == AM_JSON_ARRAY || v->type == AM_JSON_OBJECT)
		for (int i = 0; i < v->n; i++)
			n += count_nodes(&v->items[i]);
	return n;
}

static void
test_mutations(void)
{
	static const int rates[] = {2, 10, 50, 300, 2000};

	for (size_t f = 0; f < sizeof(fixture_names) / sizeof(fixture_names[0]); f++)
	{
		char		path[256];
		size_t		len;
		char	   *text;
		AmJson	   *doc;
		long		nodes;
		int			rendered = 0,
					refused = 0,
					bad = 0;

		snprintf(path, sizeof(path), FIXTURE_DIR "%s.json", fixture_names[f]);
		text = read_text(path, &len);
		if (text == NULL)
		{
			CHECK(text != NULL);
			continue;
		}
		doc = parse_or_die(text);
		nodes = count_nodes(doc);
		for (int iter = 0; iter < 1000; iter++)
		{
			Mutator		m;
			AmJson	   *copy = AM_NEW0(AmJson, 1);
			AmErr		err;
			char	   *html;
			char		what[96];

			m.state = 0x5EED0000ull + f * 100000 + (uint64_t) iter;
			if (iter % 5 == 0)
			{
				/* truncated: the document as far as a random node, nothing after it */
				m.rate = 0;
				m.budget = (long) (next_random(&m) % (uint64_t) nodes);
			}
			else
			{
				m.rate = rates[iter % (int) (sizeof(rates) / sizeof(rates[0]))];
				m.budget = -1;
			}
			if (iter % 97 == 0)
				random_value(&m, copy, 0);	/* any value at all as the document */
			else
				mutate_copy(&m, doc, copy, 0);
			am_err_clear(&err);
			html = am_report_html(copy, &err);
			snprintf(what, sizeof(what), "%s mutation %d", fixture_names[f], iter);
			if (html == NULL)
			{
				refused++;
				if (err.msg[0] == '\0' || copy->type == AM_JSON_OBJECT)
					bad++;
			}
			else
			{
				rendered++;
				if (!check_html(html, what, false) || strlen(html) > 2 * 1024 * 1024)
					bad++;
				am_free(html);
			}
			free_json(copy);
		}
		CHECK(bad == 0);
		printf("test_report: %s: 1000 mutations, %d rendered, %d refused cleanly, %d bad\n",
			   fixture_names[f], rendered, refused, bad);
		free_json(doc);
		am_free(text);
	}
}

int
main(void)
{
	RUN(test_format);
	RUN(test_escape);
	RUN(test_axis);
	RUN(test_svg_blocks);
	RUN(test_xml_checker);
	RUN(test_locale);
	RUN(test_fixtures);
	RUN(test_hostile);
	RUN(test_missing_and_wrong_types);
	RUN(test_degenerate);
	RUN(test_huge);
	RUN(test_mutations);
	return unit_report("test_report");
}
