/*
 * json.h
 *	  A small JSON reader and a string builder for JSON output, in pure C so
 *	  the option parser can be unit-tested and fuzzed outside the server.
 *
 * The reader accepts RFC 8259 JSON, nests at most AM_JSON_MAX_DEPTH deep and
 * reports the byte offset of the first error.  Numbers are doubles.
 */
#ifndef AUTOML_JSON_H
#define AUTOML_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"

#define AM_JSON_MAX_DEPTH 32

typedef enum AmJsonType
{
	AM_JSON_NULL = 0,
	AM_JSON_BOOL,
	AM_JSON_NUMBER,
	AM_JSON_STRING,
	AM_JSON_ARRAY,
	AM_JSON_OBJECT
} AmJsonType;

typedef struct AmJson
{
	AmJsonType	type;
	bool		boolean;
	double		number;
	char	   *string;			/* NUL-terminated; JSON \u0000 is rejected */
	int			n;				/* array items or object members */
	struct AmJson *items;
	char	  **keys;			/* object member names */
} AmJson;

extern AmJson *am_json_parse(const char *text, size_t len, AmErr *err);
/* Member of an object, or NULL. */
extern const AmJson *am_json_get(const AmJson *obj, const char *key);
extern const char *am_json_type_name(AmJsonType t);

/* Growable string for building JSON and messages. */
typedef struct AmStr
{
	char	   *data;
	size_t		len;
	size_t		cap;
} AmStr;

extern void am_str_init(AmStr *s);
extern void am_str_append(AmStr *s, const char *text);
extern void am_str_appendn(AmStr *s, const char *text, size_t n);
extern void am_str_appendf(AmStr *s, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* A JSON string literal with escapes. */
extern void am_str_json_string(AmStr *s, const char *text);
/* A JSON number, shortest round-trip form; null for NaN and infinities. */
extern void am_str_json_number(AmStr *s, double v);

#endif							/* AUTOML_JSON_H */
