// The C library's correctly rounded decimal conversions, for RiskIO's Format, behind fixed
// signatures. Swift calls a variadic C function only through withVaList, which boxes every
// argument as a CVarArg and casts it twice at run time (swift_dynamicCast): about 10,000
// instructions a call, where snprintf itself is about 2,500 (BENCHMARKS.md, issue 16, twelfth
// pass). The conversion is the one vsnprintf made through withVaList before, in the same
// locale: the C library's default "C" locale, whose point is '.'.
#include <stddef.h>
#include <stdio.h>

/// printf's `%.*f`: `x` with exactly `precision` digits after the point.
static inline int advisor_format_fixed(char *out, size_t capacity, int precision, double x) {
  return snprintf(out, capacity, "%.*f", precision, x);
}

/// printf's `%.*g`: `x` with `precision` significant digits.
static inline int advisor_format_significant(char *out, size_t capacity, int precision, double x) {
  return snprintf(out, capacity, "%.*g", precision, x);
}
