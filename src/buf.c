/*
 * buf.c
 *	  Byte buffer writer, bounds-checked reader and CRC-32C (see buf.h).
 */
#include "buf.h"

#include <math.h>
#include <string.h>

#include "core.h"

void
am_w_init(AmWriter *w)
{
	w->cap = 256;
	w->len = 0;
	w->data = am_alloc(w->cap);
}

static void
w_reserve(AmWriter *w, size_t n)
{
	if (w->len + n <= w->cap)
		return;
	while (w->len + n > w->cap)
		w->cap *= 2;
	w->data = am_realloc(w->data, w->cap);
}

void
am_w_bytes(AmWriter *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	w_reserve(w, n);
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

static void
w_le(AmWriter *w, uint64_t v, int nbytes)
{
	uint8_t		b[8];

	for (int i = 0; i < nbytes; i++)
		b[i] = (uint8_t) (v >> (8 * i));
	am_w_bytes(w, b, nbytes);
}

void
am_w_u8(AmWriter *w, uint8_t v)
{
	w_le(w, v, 1);
}

void
am_w_u16(AmWriter *w, uint16_t v)
{
	w_le(w, v, 2);
}

void
am_w_u32(AmWriter *w, uint32_t v)
{
	w_le(w, v, 4);
}

void
am_w_u64(AmWriter *w, uint64_t v)
{
	w_le(w, v, 8);
}

void
am_w_i32(AmWriter *w, int32_t v)
{
	w_le(w, (uint32_t) v, 4);
}

void
am_w_f64(AmWriter *w, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	w_le(w, bits, 8);
}

void
am_w_str(AmWriter *w, const char *s)
{
	if (s == NULL)
	{
		am_w_u32(w, UINT32_MAX);
		return;
	}
	am_w_u32(w, (uint32_t) strlen(s));
	am_w_bytes(w, s, strlen(s));
}

void
am_w_f64s(AmWriter *w, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		am_w_f64(w, v[i]);
}

void
am_w_i32s(AmWriter *w, const int32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		am_w_i32(w, v[i]);
}

void
am_w_patch_u32(AmWriter *w, size_t offset, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		w->data[offset + i] = (uint8_t) (v >> (8 * i));
}

void
am_r_init(AmReader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->failed = (data == NULL && len > 0);
}

void
am_r_fail(AmReader *r)
{
	r->failed = true;
}

bool
am_r_bytes(AmReader *r, void *out, size_t n)
{
	if (r->failed || n > r->len - r->pos)
	{
		r->failed = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, r->data + r->pos, n);
	r->pos += n;
	return true;
}

static uint64_t
r_le(AmReader *r, int nbytes)
{
	uint8_t		b[8];
	uint64_t	v = 0;

	if (!am_r_bytes(r, b, nbytes))
		return 0;
	for (int i = 0; i < nbytes; i++)
		v |= (uint64_t) b[i] << (8 * i);
	return v;
}

uint8_t
am_r_u8(AmReader *r)
{
	return (uint8_t) r_le(r, 1);
}

uint16_t
am_r_u16(AmReader *r)
{
	return (uint16_t) r_le(r, 2);
}

uint32_t
am_r_u32(AmReader *r)
{
	return (uint32_t) r_le(r, 4);
}

uint64_t
am_r_u64(AmReader *r)
{
	return r_le(r, 8);
}

int32_t
am_r_i32(AmReader *r)
{
	return (int32_t) (uint32_t) r_le(r, 4);
}

double
am_r_f64(AmReader *r)
{
	uint64_t	bits = r_le(r, 8);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

double
am_r_f64_finite(AmReader *r, bool allow_nan)
{
	double		v = am_r_f64(r);

	if (isinf(v) || (isnan(v) && !allow_nan))
	{
		r->failed = true;
		return 0.0;
	}
	return v;
}

char *
am_r_str(AmReader *r)
{
	uint32_t	n = am_r_u32(r);
	char	   *s;

	if (r->failed || n == UINT32_MAX)
		return NULL;
	if (n > r->len - r->pos)
	{
		r->failed = true;
		return NULL;
	}
	s = am_strndup((const char *) r->data + r->pos, n);
	if (strlen(s) != n)			/* embedded NUL */
	{
		r->failed = true;
		return NULL;
	}
	r->pos += n;
	return s;
}

uint32_t
am_r_count(AmReader *r, size_t min_elem_bytes, uint32_t max)
{
	uint32_t	n = am_r_u32(r);

	if (r->failed)
		return 0;
	if (n > max || (min_elem_bytes > 0 && (size_t) n > (r->len - r->pos) / min_elem_bytes))
	{
		r->failed = true;
		return 0;
	}
	return n;
}

double *
am_r_f64s(AmReader *r, size_t n)
{
	double	   *v;

	if (r->failed || n > (r->len - r->pos) / 8)
	{
		r->failed = true;
		return AM_NEW0(double, 1);
	}
	v = AM_NEW(double, n);
	for (size_t i = 0; i < n; i++)
		v[i] = am_r_f64(r);
	return v;
}

bool
am_all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

int32_t *
am_r_i32s(AmReader *r, size_t n)
{
	int32_t    *v;

	if (r->failed || n > (r->len - r->pos) / 4)
	{
		r->failed = true;
		return AM_NEW0(int32_t, 1);
	}
	v = AM_NEW(int32_t, n);
	for (size_t i = 0; i < n; i++)
		v[i] = am_r_i32(r);
	return v;
}

static uint32_t crc32c_table[256];
static bool crc32c_ready = false;

static void
crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
	crc32c_ready = true;
}

uint32_t
am_crc32c(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t	crc = 0xFFFFFFFFu;

	if (!crc32c_ready)
		crc32c_init();
	for (size_t i = 0; i < len; i++)
		crc = crc32c_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}
