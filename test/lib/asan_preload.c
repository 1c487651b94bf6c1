/*
 * test/lib/asan_preload.c: preloaded after libasan by test/asan.sh so that
 * an uninstrumented postgres can start with the ASan runtime at all.
 *
 * Without it postgres hangs before main() (even `postgres -V`): with
 * LD_PRELOAD the runtime initialises lazily, on the first malloc, and here
 * that malloc comes from bindtextdomain() in libgpg-error's constructor
 * (postgres -> libsystemd -> libgcrypt -> libgpg-error), which holds glibc's
 * _nl_state_lock.  The initialisation looks up "swift_demangle" with dlsym()
 * and clears the failure with dlerror(), which translates the message with
 * dcgettext(): that takes and releases the same lock inside the writer's
 * critical section, leaving the lock's reader count at -1, and the next
 * bindtextdomain() (postgres's own, in main) waits forever on a futex.
 * (The same class of hang: llvm/llvm-project#49223.)
 *
 * Defining swift_demangle makes that dlsym() succeed, so dlerror() has
 * nothing to translate.  The sanitizer only calls it for Swift-mangled
 * names; returning NULL keeps the name as it is.
 */
#include <stddef.h>

char	   *swift_demangle(const char *mangled, size_t mangled_len, char *out,
						   size_t *out_len, unsigned flags);

char *
swift_demangle(const char *mangled, size_t mangled_len, char *out,
			   size_t *out_len, unsigned flags)
{
	return NULL;
}
