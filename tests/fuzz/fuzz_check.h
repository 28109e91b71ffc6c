// FUZZ_CHECK: the assertion of the fuzz targets (tests/fuzz). A failed check prints what failed
// and the input's size, then aborts, which libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                               \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s (%s)\n", __FILE__, __LINE__, #condition, \
                   what);                                                                         \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)
