// Heartbeat: when the processing loop last completed an iteration, for the liveness probe
// (GET /healthz, engine/ops/admin_api.h). The processing thread beats once per loop iteration;
// around a long step that cannot beat but is known to progress (restoring a partition from the
// changelog, the first RFM refresh of the whole store) it marks itself busy, and the probe does
// not count that time as a stall.
//
// Thread safety: Beat and Busy on the processing thread; SilentMs from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/core/clock.h"

namespace touchstream::engine {

class Heartbeat {
 public:
  // `clock` (its MonotonicMs) must outlive the heartbeat. Starts as if it had just beaten.
  explicit Heartbeat(const Clock* clock) : clock_(clock), last_beat_ms_(clock->MonotonicMs()) {}

  // The loop completed an iteration.
  void Beat() { last_beat_ms_.store(clock_->MonotonicMs(), std::memory_order_relaxed); }

  // Marks a long step in progress for its lifetime (RAII), then beats.
  class Busy {
   public:
    explicit Busy(Heartbeat* heartbeat) : heartbeat_(heartbeat) {
      heartbeat_->busy_.fetch_add(1, std::memory_order_relaxed);
    }
    ~Busy() {
      heartbeat_->Beat();
      heartbeat_->busy_.fetch_sub(1, std::memory_order_relaxed);
    }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    Heartbeat* heartbeat_;
  };

  // Milliseconds since the last beat; 0 while a Busy step is in progress.
  int64_t SilentMs() const {
    if (busy_.load(std::memory_order_relaxed) > 0) return 0;
    return clock_->MonotonicMs() - last_beat_ms_.load(std::memory_order_relaxed);
  }

 private:
  const Clock* clock_;
  std::atomic<int64_t> last_beat_ms_;
  std::atomic<int> busy_{0};
};

}  // namespace touchstream::engine
