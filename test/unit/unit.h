/*
 * unit.h
 *	  A minimal test harness for the pure kernels: CHECK() records a failure
 *	  and goes on, RUN() runs one test function, and unit_main() reports.
 */
#ifndef AUTOML_UNIT_H
#define AUTOML_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int	unit_failures = 0;
static int	unit_checks = 0;
static const char *unit_current = "";

#define CHECK(cond) \
	do { \
		unit_checks++; \
		if (!(cond)) { \
			unit_failures++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, unit_current, #cond); \
		} \
	} while (0)

#define CHECK_NEAR(a, b, tol) \
	do { \
		double _a = (a), _b = (b); \
		unit_checks++; \
		if (!(fabs(_a - _b) <= (tol))) { \
			unit_failures++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s = %.17g, expected %.17g (tol %g)\n", \
					__FILE__, __LINE__, unit_current, #a, _a, _b, (double) (tol)); \
		} \
	} while (0)

#define RUN(fn) \
	do { \
		unit_current = #fn; \
		fn(); \
	} while (0)

static inline int
unit_report(const char *program)
{
	printf("%s: %d checks, %d failures\n", program, unit_checks, unit_failures);
	return unit_failures == 0 ? 0 : 1;
}

#endif							/* AUTOML_UNIT_H */
