/*
 * fuzz_json.c
 *	  libFuzzer target: am_json_parse() on arbitrary bytes.  A document it
 *	  accepts is written back with the JSON builder (am_str_json_string,
 *	  am_str_json_number) and parsed again; both trees must be equal, and
 *	  am_json_get() must find every member of every object.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_json(AmStr *s, const AmJson *v)
{
	switch (v->type)
	{
		case AM_JSON_NULL:
			am_str_append(s, "null");
			break;
		case AM_JSON_BOOL:
			am_str_append(s, v->boolean ? "true" : "false");
			break;
		case AM_JSON_NUMBER:
			am_str_json_number(s, v->number);
			break;
		case AM_JSON_STRING:
			am_str_json_string(s, v->string);
			break;
		case AM_JSON_ARRAY:
		case AM_JSON_OBJECT:
			am_str_append(s, v->type == AM_JSON_ARRAY ? "[" : "{");
			for (int i = 0; i < v->n; i++)
			{
				if (i > 0)
					am_str_append(s, ",");
				if (v->type == AM_JSON_OBJECT)
				{
					am_str_json_string(s, v->keys[i]);
					am_str_append(s, ":");
				}
				write_json(s, &v->items[i]);
			}
			am_str_append(s, v->type == AM_JSON_ARRAY ? "]" : "}");
			break;
	}
}

static bool
same_json(const AmJson *a, const AmJson *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case AM_JSON_NULL:
			return true;
		case AM_JSON_BOOL:
			return a->boolean == b->boolean;
		case AM_JSON_NUMBER:
			/* -0 and 0 print alike and compare equal */
			return a->number == b->number;
		case AM_JSON_STRING:
			return strcmp(a->string, b->string) == 0;
		case AM_JSON_ARRAY:
		case AM_JSON_OBJECT:
			if (a->n != b->n)
				return false;
			for (int i = 0; i < a->n; i++)
			{
				if (a->type == AM_JSON_OBJECT &&
					(strcmp(a->keys[i], b->keys[i]) != 0 ||
					 am_json_get(a, a->keys[i]) != &a->items[i]))
					return false;
				if (!same_json(&a->items[i], &b->items[i]))
					return false;
			}
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	AmErr		err;
	AmJson	   *doc;

	fuzz_arena_set_limit((size_t) 64 << 20);
	am_err_clear(&err);
	doc = am_json_parse((const char *) data, size, &err);
	if (doc != NULL)
	{
		AmStr		s;
		AmJson	   *again;

		am_str_init(&s);
		write_json(&s, doc);
		again = am_json_parse(s.data, s.len, &err);
		if (again == NULL || !same_json(doc, again))
			fuzz_fail("JSON does not survive a round trip: %s", s.data);
	}
	else if (err.msg[0] == '\0')
		fuzz_fail("JSON is refused without a message");
	fuzz_arena_release();
	return 0;
}
