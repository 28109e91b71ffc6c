// Heartbeat: when the processing loop last completed an iteration, for the liveness probe
// (GET /healthz, engine/ops/admin_api.h). The processing thread beats once per loop iteration;
// around a long step that cannot beat but is known to progress (restoring a partition from the
// changelog, the first RFM refresh of the whole store) it marks itself busy, and the probe does
// not count that time as a stall, while the readiness probe names the step.
//
// Thread safety: Beat and Busy on the processing thread; SilentMs and Activity from any thread.
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

  // Marks a long step in progress for its lifetime (RAII), then beats. `activity` (a string
  // literal) says what it is, e.g. "restoring partition state from the changelog".
  class Busy {
   public:
    Busy(Heartbeat* heartbeat, const char* activity) : heartbeat_(heartbeat) {
      heartbeat_->activity_.store(activity, std::memory_order_relaxed);
      heartbeat_->busy_.fetch_add(1, std::memory_order_relaxed);
    }
    ~Busy() {
      heartbeat_->Beat();
      if (heartbeat_->busy_.fetch_sub(1, std::memory_order_relaxed) == 1) {
        heartbeat_->activity_.store(nullptr, std::memory_order_relaxed);
      }
    }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    Heartbeat* heartbeat_;
  };

  // The activity of the Busy step in progress (the latest one when nested); null when none.
  const char* Activity() const { return activity_.load(std::memory_order_relaxed); }

  // Milliseconds since the last beat; 0 while a Busy step is in progress.
  int64_t SilentMs() const {
    if (busy_.load(std::memory_order_relaxed) > 0) return 0;
    return clock_->MonotonicMs() - last_beat_ms_.load(std::memory_order_relaxed);
  }

 private:
  const Clock* clock_;
  std::atomic<int64_t> last_beat_ms_;
  std::atomic<int> busy_{0};
  std::atomic<const char*> activity_{nullptr};
};

}  // namespace touchstream::engine
