/*
 * json.c
 *	  Recursive-descent JSON reader and JSON string builder (see json.h).
 */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Parser
{
	const char *s;
	size_t		len;
	size_t		pos;
	AmErr	   *err;
	bool		failed;
} Parser;

static bool parse_value(Parser *ps, AmJson *out, int depth);

static bool
fail(Parser *ps, const char *what)
{
	if (!ps->failed)
		am_err_set(ps->err, AM_ERR_PARAM, "invalid JSON at byte %zu: %s", ps->pos, what);
	ps->failed = true;
	return false;
}

static void
skip_ws(Parser *ps)
{
	while (ps->pos < ps->len &&
		   (ps->s[ps->pos] == ' ' || ps->s[ps->pos] == '\t' ||
			ps->s[ps->pos] == '\n' || ps->s[ps->pos] == '\r'))
		ps->pos++;
}

static bool
expect_word(Parser *ps, const char *word)
{
	size_t		n = strlen(word);

	if (ps->len - ps->pos < n || memcmp(ps->s + ps->pos, word, n) != 0)
		return fail(ps, "unexpected token");
	ps->pos += n;
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
read_hex4(Parser *ps, unsigned *out)
{
	unsigned	v = 0;

	if (ps->len - ps->pos < 4)
		return fail(ps, "truncated \\u escape");
	for (int i = 0; i < 4; i++)
	{
		int			h = hex_value(ps->s[ps->pos + i]);

		if (h < 0)
			return fail(ps, "bad \\u escape");
		v = v * 16 + (unsigned) h;
	}
	ps->pos += 4;
	*out = v;
	return true;
}

static void
put_utf8(AmStr *b, unsigned cp)
{
	char		u[4];
	size_t		n;

	if (cp < 0x80)
	{
		u[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		u[0] = (char) (0xC0 | (cp >> 6));
		u[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		u[0] = (char) (0xE0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		u[0] = (char) (0xF0 | (cp >> 18));
		u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	am_str_appendn(b, u, n);
}

static bool
parse_string(Parser *ps, char **out)
{
	AmStr		b;

	am_str_init(&b);
	ps->pos++;					/* opening quote */
	while (ps->pos < ps->len)
	{
		char		c = ps->s[ps->pos++];

		if (c == '"')
		{
			*out = b.data;
			return true;
		}
		if ((unsigned char) c < 0x20)
			return fail(ps, "control character in string");
		if (c != '\\')
		{
			am_str_appendn(&b, &c, 1);
			continue;
		}
		if (ps->pos >= ps->len)
			break;
		c = ps->s[ps->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				am_str_appendn(&b, &c, 1);
				break;
			case 'b':
				am_str_append(&b, "\b");
				break;
			case 'f':
				am_str_append(&b, "\f");
				break;
			case 'n':
				am_str_append(&b, "\n");
				break;
			case 'r':
				am_str_append(&b, "\r");
				break;
			case 't':
				am_str_append(&b, "\t");
				break;
			case 'u':
				{
					unsigned	cp,
								lo;

					if (!read_hex4(ps, &cp))
						return false;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						if (ps->len - ps->pos < 2 || ps->s[ps->pos] != '\\' ||
							ps->s[ps->pos + 1] != 'u')
							return fail(ps, "unpaired surrogate");
						ps->pos += 2;
						if (!read_hex4(ps, &lo))
							return false;
						if (lo < 0xDC00 || lo > 0xDFFF)
							return fail(ps, "unpaired surrogate");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						return fail(ps, "unpaired surrogate");
					if (cp == 0)
						return fail(ps, "\\u0000 is not allowed");
					put_utf8(&b, cp);
					break;
				}
			default:
				return fail(ps, "bad escape");
		}
	}
	return fail(ps, "unterminated string");
}

static bool
parse_number(Parser *ps, AmJson *out)
{
	size_t		start = ps->pos;
	char		buf[64];
	char	   *text;
	size_t		n;

	if (ps->pos < ps->len && ps->s[ps->pos] == '-')
		ps->pos++;
	if (ps->pos >= ps->len)
		return fail(ps, "bad number");
	if (ps->s[ps->pos] == '0')
		ps->pos++;
	else if (ps->s[ps->pos] >= '1' && ps->s[ps->pos] <= '9')
		while (ps->pos < ps->len && ps->s[ps->pos] >= '0' && ps->s[ps->pos] <= '9')
			ps->pos++;
	else
		return fail(ps, "bad number");
	if (ps->pos < ps->len && ps->s[ps->pos] == '.')
	{
		ps->pos++;
		if (ps->pos >= ps->len || ps->s[ps->pos] < '0' || ps->s[ps->pos] > '9')
			return fail(ps, "bad number");
		while (ps->pos < ps->len && ps->s[ps->pos] >= '0' && ps->s[ps->pos] <= '9')
			ps->pos++;
	}
	if (ps->pos < ps->len && (ps->s[ps->pos] == 'e' || ps->s[ps->pos] == 'E'))
	{
		ps->pos++;
		if (ps->pos < ps->len && (ps->s[ps->pos] == '+' || ps->s[ps->pos] == '-'))
			ps->pos++;
		if (ps->pos >= ps->len || ps->s[ps->pos] < '0' || ps->s[ps->pos] > '9')
			return fail(ps, "bad number");
		while (ps->pos < ps->len && ps->s[ps->pos] >= '0' && ps->s[ps->pos] <= '9')
			ps->pos++;
	}
	n = ps->pos - start;
	/* jsonb writes numbers in full: 1e300 arrives as 301 digits */
	text = n < sizeof(buf) ? buf : am_alloc(n + 1);
	memcpy(text, ps->s + start, n);
	text[n] = '\0';
	out->type = AM_JSON_NUMBER;
	out->number = strtod(text, NULL);
	if (text != buf)
		am_free(text);
	if (!isfinite(out->number))
		return fail(ps, "number out of range");
	return true;
}

static bool
parse_array(Parser *ps, AmJson *out, int depth)
{
	int			cap = 4;

	out->type = AM_JSON_ARRAY;
	out->items = AM_NEW0(AmJson, cap);
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->s[ps->pos] == ']')
	{
		ps->pos++;
		return true;
	}
	for (;;)
	{
		if (out->n == cap)
		{
			cap *= 2;
			out->items = am_realloc(out->items, sizeof(AmJson) * cap);
		}
		memset(&out->items[out->n], 0, sizeof(AmJson));
		if (!parse_value(ps, &out->items[out->n], depth + 1))
			return false;
		out->n++;
		skip_ws(ps);
		if (ps->pos < ps->len && ps->s[ps->pos] == ',')
		{
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->len && ps->s[ps->pos] == ']')
		{
			ps->pos++;
			return true;
		}
		return fail(ps, "expected ',' or ']'");
	}
}

static bool
parse_object(Parser *ps, AmJson *out, int depth)
{
	int			cap = 4;

	out->type = AM_JSON_OBJECT;
	out->items = AM_NEW0(AmJson, cap);
	out->keys = AM_NEW0(char *, cap);
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->s[ps->pos] == '}')
	{
		ps->pos++;
		return true;
	}
	for (;;)
	{
		char	   *key;

		skip_ws(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] != '"')
			return fail(ps, "expected a member name");
		if (!parse_string(ps, &key))
			return false;
		for (int i = 0; i < out->n; i++)
			if (strcmp(out->keys[i], key) == 0)
				return fail(ps, "duplicate member name");
		skip_ws(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] != ':')
			return fail(ps, "expected ':'");
		ps->pos++;
		if (out->n == cap)
		{
			cap *= 2;
			out->items = am_realloc(out->items, sizeof(AmJson) * cap);
			out->keys = am_realloc(out->keys, sizeof(char *) * cap);
		}
		memset(&out->items[out->n], 0, sizeof(AmJson));
		out->keys[out->n] = key;
		if (!parse_value(ps, &out->items[out->n], depth + 1))
			return false;
		out->n++;
		skip_ws(ps);
		if (ps->pos < ps->len && ps->s[ps->pos] == ',')
		{
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->len && ps->s[ps->pos] == '}')
		{
			ps->pos++;
			return true;
		}
		return fail(ps, "expected ',' or '}'");
	}
}

static bool
parse_value(Parser *ps, AmJson *out, int depth)
{
	if (depth > AM_JSON_MAX_DEPTH)
		return fail(ps, "nested too deeply");
	skip_ws(ps);
	if (ps->pos >= ps->len)
		return fail(ps, "unexpected end of input");
	switch (ps->s[ps->pos])
	{
		case '{':
			return parse_object(ps, out, depth);
		case '[':
			return parse_array(ps, out, depth);
		case '"':
			out->type = AM_JSON_STRING;
			return parse_string(ps, &out->string);
		case 't':
			out->type = AM_JSON_BOOL;
			out->boolean = true;
			return expect_word(ps, "true");
		case 'f':
			out->type = AM_JSON_BOOL;
			out->boolean = false;
			return expect_word(ps, "false");
		case 'n':
			out->type = AM_JSON_NULL;
			return expect_word(ps, "null");
		default:
			return parse_number(ps, out);
	}
}

AmJson *
am_json_parse(const char *text, size_t len, AmErr *err)
{
	Parser		ps = {text, len, 0, err, false};
	AmJson	   *root = AM_NEW0(AmJson, 1);

	if (!parse_value(&ps, root, 0))
		return NULL;
	skip_ws(&ps);
	if (ps.pos != len)
	{
		fail(&ps, "trailing characters");
		return NULL;
	}
	return root;
}

const AmJson *
am_json_get(const AmJson *obj, const char *key)
{
	if (obj == NULL || obj->type != AM_JSON_OBJECT)
		return NULL;
	for (int i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

const char *
am_json_type_name(AmJsonType t)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};

	return (t >= AM_JSON_NULL && t <= AM_JSON_OBJECT) ? names[t] : "unknown";
}

void
am_str_init(AmStr *s)
{
	s->cap = 64;
	s->len = 0;
	s->data = am_alloc(s->cap);
	s->data[0] = '\0';
}

void
am_str_appendn(AmStr *s, const char *text, size_t n)
{
	if (s->len + n + 1 > s->cap)
	{
		while (s->len + n + 1 > s->cap)
			s->cap *= 2;
		s->data = am_realloc(s->data, s->cap);
	}
	memcpy(s->data + s->len, text, n);
	s->len += n;
	s->data[s->len] = '\0';
}

void
am_str_append(AmStr *s, const char *text)
{
	am_str_appendn(s, text, strlen(text));
}

void
am_str_appendf(AmStr *s, const char *fmt,...)
{
	va_list		ap;
	char		small[256];
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small))
	{
		am_str_appendn(s, small, (size_t) n);
		return;
	}
	{
		char	   *big = am_alloc((size_t) n + 1);

		va_start(ap, fmt);
		vsnprintf(big, (size_t) n + 1, fmt, ap);
		va_end(ap);
		am_str_appendn(s, big, (size_t) n);
		am_free(big);
	}
}

void
am_str_json_string(AmStr *s, const char *text)
{
	am_str_append(s, "\"");
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
	{
		switch (*p)
		{
			case '"':
				am_str_append(s, "\\\"");
				break;
			case '\\':
				am_str_append(s, "\\\\");
				break;
			case '\n':
				am_str_append(s, "\\n");
				break;
			case '\r':
				am_str_append(s, "\\r");
				break;
			case '\t':
				am_str_append(s, "\\t");
				break;
			default:
				if (*p < 0x20)
					am_str_appendf(s, "\\u%04x", *p);
				else
					am_str_appendn(s, (const char *) p, 1);
		}
	}
	am_str_append(s, "\"");
}

void
am_str_json_number(AmStr *s, double v)
{
	char		buf[32];

	if (!isfinite(v))
	{
		am_str_append(s, "null");
		return;
	}
	/* shortest of %.15g / %.17g that reads back exactly */
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	am_str_append(s, buf);
}
