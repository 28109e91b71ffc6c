#include "engine/core/timer_driver.h"

#include <algorithm>

namespace touchstream::engine {

Status TimerDriver::Refresh() {
  std::vector<v1::Timer> first;
  if (Status s = store_->DueTimers(std::numeric_limits<int64_t>::max(), 1, &first); !s.ok()) {
    return s;
  }
  stored_next_ms_ = first.empty() ? std::numeric_limits<int64_t>::max() : first.front().fire_ms();
  processor_->ResetEarliestArmedTimer();
  return Status::Ok();
}

Result<size_t> TimerDriver::FireDue(int64_t up_to_ms, int64_t now_ms,
                                    const std::function<Status()>& commit,
                                    std::vector<v1::OutboxEntry>* out,
                                    const std::function<bool()>& time_left) {
  size_t fired = 0;
  std::vector<v1::Timer> due;
  // Held timers stay stored and are read again: each read asks for the held ones seen plus a
  // batch.
  size_t limit = batch_;
  bool held_any = false;
  while (true) {
    if (Status s = commit(); !s.ok()) return s;
    due.clear();
    if (Status s = store_->DueTimers(up_to_ms, limit, &due); !s.ok()) return s;
    size_t held = 0;
    for (const v1::Timer& timer : due) {
      if (hold_ && hold_(timer.customer_id())) {
        ++held;
        continue;
      }
      if (Status s = processor_->FireTimer(timer, now_ms, out); !s.ok()) return s;
    }
    held_any = held_any || held > 0;
    const size_t fired_now = due.size() - held;
    fired += fired_now;
    if (fired_now == 0 && due.size() < limit) break;  // every due timer was read: all held
    limit = fired_now == 0 ? limit + batch_ : held + batch_;
    if (time_left && !time_left()) {
      if (Status s = commit(); !s.ok()) return s;
      return fired;
    }
  }
  if (Status s = Refresh(); !s.ok()) return s;
  // Only held timers are due by up_to_ms: none can fire before up_to_ms + 1.
  if (held_any) stored_next_ms_ = std::max(stored_next_ms_, up_to_ms + 1);
  return fired;
}

}  // namespace touchstream::engine
