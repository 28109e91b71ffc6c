#include "engine/policy/eligibility.h"

#include <algorithm>

namespace touchstream::engine {

std::string_view EligibilityRefusal(const rules::RulePolicy& policy, const v1::RuleRuns* runs,
                                    int64_t time_ms) {
  if (runs == nullptr || runs->count() == 0) return {};
  if (policy.once) return "once";
  const auto& times = runs->times_ms();
  if (policy.cooldown_ms > 0 && !times.empty() &&
      time_ms - times[times.size() - 1] < policy.cooldown_ms) {
    return "cooldown";
  }
  if (policy.max_runs > 0) {
    const auto in_window = std::count_if(
        times.begin(), times.end(), [&](int64_t t) { return time_ms - t < policy.max_per_ms; });
    if (in_window >= policy.max_runs) return "max_per_window";
  }
  return {};
}

void RecordRun(const rules::RulePolicy& policy, int64_t time_ms, v1::RuleRuns* runs) {
  runs->set_count(runs->count() + 1);
  runs->add_times_ms(time_ms);
  const int keep = static_cast<int>(std::max<int64_t>(1, policy.max_runs));
  if (runs->times_ms_size() > keep) {
    runs->mutable_times_ms()->erase(runs->mutable_times_ms()->begin(),
                                    runs->mutable_times_ms()->end() - keep);
  }
}

}  // namespace touchstream::engine
