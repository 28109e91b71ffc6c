// Reading a windowed aggregate (v1::WindowState, state.proto) as of any time, without the
// configuration that declared it.
//
// Header-only and allocation-free, so that the state library (which writes windows, and reads
// them for RFM) and the rules' field catalog (which reads them for `customer.aggregates.*`)
// share one definition of the window and always agree. Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>

#include "touchstream/v1/state.pb.h"

namespace touchstream {

// The bucket number of a time: floor(time_ms / bucket_ms) (bucket_ms > 0).
inline int64_t WindowBucketIndex(int64_t time_ms, int64_t bucket_ms) {
  const int64_t q = time_ms / bucket_ms;
  return (time_ms % bucket_ms != 0 && time_ms < 0) ? q - 1 : q;
}

// The value of a window as of some time.
struct WindowReading {
  // Events in the window; for DISTINCT the number of distinct values (an estimate when
  // `exact` is false).
  int64_t count = 0;
  // COUNT and DISTINCT: count; SUM: the sum (0 when empty); MIN, MAX, AVG: the smallest,
  // largest, mean value (0 when count is 0, which callers show as null).
  double value = 0;
  // False only for a DISTINCT window whose sample dropped a value inside the window.
  bool exact = true;
};

// Reads `window` as of now_ms. With B = WindowBucketIndex(now_ms, bucket_ms), the buckets read
// are B-n+1 .. B where n = span_ms / bucket_ms, and span_ms is the window's own window_ms when
// 0 is passed (RFM reads a shorter span of its purchase window; span_ms must then be a
// multiple of bucket_ms, else it is rounded down). Buckets before the span (expired) and after
// B (events later than now_ms) are ignored. An unset window (bucket_ms 0) reads as empty.
// Sums add bucket sums in ascending bucket order, so a reading is reproducible bit for bit.
inline WindowReading ReadWindow(const v1::WindowState& window, int64_t now_ms,
                                int64_t span_ms = 0) {
  WindowReading out;
  const int64_t bucket_ms = window.bucket_ms();
  if (bucket_ms <= 0) return out;
  if (span_ms <= 0) span_ms = window.window_ms();
  const int64_t last = WindowBucketIndex(now_ms, bucket_ms);
  const int64_t first = last - span_ms / bucket_ms + 1;

  if (window.kind() == v1::WindowState::DISTINCT) {
    const int size = window.distinct_last_index_size();
    for (int i = 0; i < size; ++i) {
      const int64_t index = window.distinct_last_index(i);
      if (index >= first && index <= last) ++out.count;
    }
    if (window.sampling_threshold() != 0 && window.dropped_index() >= first) {
      // Kept values are exactly the window's values whose hash is below the threshold: scale
      // by the sampling rate threshold / 2^64.
      const double rate = static_cast<double>(window.sampling_threshold()) / 18446744073709551616.0;
      // Clamped below 2^63 (reachable only with a threshold near 0, i.e. ~2^64 values).
      out.count = std::llround(std::fmin(static_cast<double>(out.count) / rate, 9.0e18));
      out.exact = false;
    }
    out.value = static_cast<double>(out.count);
    return out;
  }

  double sum = 0;
  double extreme = 0;
  for (const v1::WindowBucket& bucket : window.buckets()) {
    if (bucket.index() < first) continue;
    if (bucket.index() > last) break;
    const bool first_bucket = out.count == 0;
    out.count += bucket.count();
    sum += bucket.sum();
    if (window.kind() == v1::WindowState::MIN) {
      extreme = first_bucket ? bucket.min() : std::fmin(extreme, bucket.min());
    } else if (window.kind() == v1::WindowState::MAX) {
      extreme = first_bucket ? bucket.max() : std::fmax(extreme, bucket.max());
    }
  }
  switch (window.kind()) {
    case v1::WindowState::SUM:
      out.value = sum;
      break;
    case v1::WindowState::MIN:
    case v1::WindowState::MAX:
      out.value = extreme;
      break;
    case v1::WindowState::AVG:
      out.value = out.count == 0 ? 0 : sum / static_cast<double>(out.count);
      break;
    default:
      out.value = static_cast<double>(out.count);
      break;
  }
  return out;
}

}  // namespace touchstream
