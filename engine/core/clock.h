// Time sources. Processing code asks a Clock for "now" so that tests drive time by hand.
#pragma once

#include <chrono>
#include <cstdint>

namespace touchstream::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMs() const = 0;
  // Milliseconds on a clock that never goes back (for intervals and timeouts).
  virtual int64_t MonotonicMs() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace touchstream::engine
