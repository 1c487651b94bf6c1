/*
 * test/lib/san_probe.c: a positive control for test/asan.sh and
 * test/valgrind.sh.  Built with the same flags as the extension and
 * installed next to it in the private PostgreSQL copy, it makes one
 * deliberate mistake of each kind the checkers look for, so a run proves
 * that its set-up (runtime preloaded, logs collected, stacks attributed to
 * the module) really reports errors in an extension's code.  Never
 * installed anywhere else.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(san_probe_heap_overflow);
PG_FUNCTION_INFO_V1(san_probe_shift);
PG_FUNCTION_INFO_V1(san_probe_uninit_bytea);

/*
 * Reads one byte past a palloc'd chunk of n bytes.  Chunks above 8 kB get a
 * malloc'd block of their own (aset.c), so with n a multiple of 8 the byte
 * lies past the malloc'd block: ASan and memcheck both see it.
 */
Datum
san_probe_heap_overflow(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile char *p = palloc0(n);
	int32		v = p[n];

	pfree((char *) p);
	PG_RETURN_INT32(v);
}

/* A shift by the argument: undefined for 32 and more (UBSan). */
Datum
san_probe_shift(PG_FUNCTION_ARGS)
{
	volatile int32 bits = PG_GETARG_INT32(0);

	PG_RETURN_INT32(1 << bits);
}

/*
 * A bytea of n bytes (at most 64 kB) left uninitialised: memcheck reports
 * their use by the server (encode() indexes a table with them).  Above 8 kB
 * the chunk is a malloc'd block of its own, so --track-origins names this
 * function as their creator; smaller chunks are carved from a memory
 * context's block and memcheck can only name the block's creation.
 */
Datum
san_probe_uninit_bytea(PG_FUNCTION_ARGS)
{
	int32		n = Min(Max(PG_GETARG_INT32(0), 0), 65536);
	bytea	   *b = palloc(VARHDRSZ + n);

	SET_VARSIZE(b, VARHDRSZ + n);
	PG_RETURN_BYTEA_P(b);
}
