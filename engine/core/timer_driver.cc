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
  while (true) {
    if (Status s = commit(); !s.ok()) return s;
    due.clear();
    if (Status s = store_->DueTimers(up_to_ms, batch_, &due); !s.ok()) return s;
    if (due.empty()) break;
    for (const v1::Timer& timer : due) {
      if (Status s = processor_->FireTimer(timer, now_ms, out); !s.ok()) return s;
    }
    fired += due.size();
    if (time_left && !time_left()) {
      if (Status s = commit(); !s.ok()) return s;
      return fired;
    }
  }
  if (Status s = Refresh(); !s.ok()) return s;
  return fired;
}

}  // namespace touchstream::engine
