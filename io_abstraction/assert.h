// ASSERT is always on, in every build type: an invariant that fails stops
// the process with the expression and location, so the simulator turns it
// into a seed that reproduces it.
#pragma once

#include <cstdio>  // one-rule-exempt: a failed ASSERT reports to stderr
#include <cstdlib>

namespace tessera::detail {
[[noreturn]] inline void assert_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "ASSERT failed: %s at %s:%d\n", expr, file, line);
  std::fflush(stderr);
  std::abort();
}
}  // namespace tessera::detail

#define ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::tessera::detail::assert_failed(#expr, __FILE__, __LINE__))
