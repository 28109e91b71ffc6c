// Saturating integer arithmetic, for time and duration sums that must never wrap around
// (an event time near INT64_MAX plus a rule's `within:` stays at INT64_MAX).
#pragma once

#include <cstdint>
#include <limits>

namespace touchstream {

// a + b, clamped to [INT64_MIN, INT64_MAX].
constexpr int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace touchstream
