/*
 * core_common.c
 *	  The parts of the core hooks that are the same inside and outside the
 *	  server: checked array allocation, string copies, the clock and error
 *	  messages.
 */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void *
am_alloc_array(size_t n, size_t elem_size)
{
	if (elem_size != 0 && n > SIZE_MAX / elem_size)
		return am_alloc(SIZE_MAX);	/* let the allocator report it */
	return am_alloc(n * elem_size == 0 ? 1 : n * elem_size);
}

void *
am_alloc0_array(size_t n, size_t elem_size)
{
	if (elem_size != 0 && n > SIZE_MAX / elem_size)
		return am_alloc0(SIZE_MAX);
	return am_alloc0(n * elem_size == 0 ? 1 : n * elem_size);
}

char *
am_strndup(const char *s, size_t len)
{
	char	   *r = am_alloc(len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

char *
am_strdup(const char *s)
{
	return am_strndup(s, strlen(s));
}

double
am_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

void
am_err_set(AmErr *err, AmErrKind kind, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
am_err_clear(AmErr *err)
{
	if (err == NULL)
		return;
	err->kind = AM_ERR_NONE;
	err->msg[0] = '\0';
}
