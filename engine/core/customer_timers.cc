#include "engine/core/customer_timers.h"

#include <algorithm>

namespace touchstream::engine {

bool CustomerTimers::Arm(v1::CustomerState* state, const std::string& name, int64_t fire_ms,
                         const v1::TimerPayload& payload) {
  auto& timers = *state->mutable_timers();
  const bool replacing = timers.contains(name);
  if (!replacing && static_cast<int64_t>(timers.size()) >= max_per_customer_) return false;
  timers[name] = fire_ms;
  v1::Timer timer;
  timer.set_customer_id(state->customer_id());
  timer.set_name(name);
  timer.set_fire_ms(fire_ms);
  payload.SerializeToString(timer.mutable_payload());
  ops_.push_back({true, std::move(timer)});
  earliest_armed_ms_ = std::min(earliest_armed_ms_, fire_ms);
  return true;
}

void CustomerTimers::Cancel(v1::CustomerState* state, const std::string& name) {
  auto& timers = *state->mutable_timers();
  auto it = timers.find(name);
  if (it == timers.end()) return;
  v1::Timer timer;
  timer.set_customer_id(state->customer_id());
  timer.set_name(name);
  timer.set_fire_ms(it->second);
  timers.erase(it);
  ops_.push_back({false, std::move(timer)});
}

void CustomerTimers::Fired(v1::CustomerState* state, const v1::Timer& timer) {
  auto& timers = *state->mutable_timers();
  auto it = timers.find(timer.name());
  if (it != timers.end() && it->second == timer.fire_ms()) timers.erase(it);
  v1::Timer key;
  key.set_customer_id(timer.customer_id());
  key.set_name(timer.name());
  key.set_fire_ms(timer.fire_ms());
  ops_.push_back({false, std::move(key)});
}

void CustomerTimers::CancelPrefix(v1::CustomerState* state, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& [name, fire_ms] : state->timers()) {
    if (name.starts_with(prefix)) names.push_back(name);
  }
  for (const std::string& name : names) Cancel(state, name);
}

void CustomerTimers::AddTo(state::CommitBatch* batch) const {
  for (const Op& op : ops_) {
    if (op.put) {
      batch->PutTimer(op.timer);
    } else {
      batch->DeleteTimer(op.timer);
    }
  }
}

}  // namespace touchstream::engine
