/*
 * buf.h
 *	  Growable byte buffer for serialization and a bounds-checked reader for
 *	  deserialization.  Integers and doubles are written little-endian
 *	  whatever the host, so model bytes move between machines.
 *
 * The reader never reads past its end: the first failed read sets a sticky
 * flag, later reads return zeros, and the caller checks am_r_ok() before
 * using anything read.  Counts that drive an allocation are read with
 * am_r_count(), which rejects a count the remaining bytes cannot hold, so a
 * hostile length cannot make us allocate gigabytes.
 */
#ifndef AUTOML_BUF_H
#define AUTOML_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct AmWriter
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} AmWriter;

extern void am_w_init(AmWriter *w);
extern void am_w_bytes(AmWriter *w, const void *p, size_t n);
extern void am_w_u8(AmWriter *w, uint8_t v);
extern void am_w_u16(AmWriter *w, uint16_t v);
extern void am_w_u32(AmWriter *w, uint32_t v);
extern void am_w_u64(AmWriter *w, uint64_t v);
extern void am_w_i32(AmWriter *w, int32_t v);
extern void am_w_f64(AmWriter *w, double v);
extern void am_w_str(AmWriter *w, const char *s);	/* NULL allowed */
extern void am_w_f64s(AmWriter *w, const double *v, size_t n);
extern void am_w_i32s(AmWriter *w, const int32_t *v, size_t n);
/* Overwrite a u32 written earlier at offset (for lengths known later). */
extern void am_w_patch_u32(AmWriter *w, size_t offset, uint32_t v);

typedef struct AmReader
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	bool		failed;
} AmReader;

extern void am_r_init(AmReader *r, const void *data, size_t len);
static inline bool
am_r_ok(const AmReader *r)
{
	return !r->failed;
}
static inline size_t
am_r_remaining(const AmReader *r)
{
	return r->failed ? 0 : r->len - r->pos;
}
extern void am_r_fail(AmReader *r);
extern bool am_r_bytes(AmReader *r, void *out, size_t n);
extern uint8_t am_r_u8(AmReader *r);
extern uint16_t am_r_u16(AmReader *r);
extern uint32_t am_r_u32(AmReader *r);
extern uint64_t am_r_u64(AmReader *r);
extern int32_t am_r_i32(AmReader *r);
extern double am_r_f64(AmReader *r);
/* A finite double, or failure (NaN allowed only if allow_nan). */
extern double am_r_f64_finite(AmReader *r, bool allow_nan);
/* NULL when the string was written as NULL; fails on a length too long. */
extern char *am_r_str(AmReader *r);
/*
 * A u32 element count; fails if count > max or if the remaining bytes cannot
 * hold count elements of at least min_elem_bytes each.
 */
extern uint32_t am_r_count(AmReader *r, size_t min_elem_bytes, uint32_t max);
/* Allocated arrays of n elements (n already checked with am_r_count). */
extern double *am_r_f64s(AmReader *r, size_t n);
extern int32_t *am_r_i32s(AmReader *r, size_t n);
/* Are all n values finite?  (What a family checks of the numbers it read.) */
extern bool am_all_finite(const double *v, size_t n);

/* CRC-32C (Castagnoli) of a byte range. */
extern uint32_t am_crc32c(const void *data, size_t len);

#endif							/* AUTOML_BUF_H */
