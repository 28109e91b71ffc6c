// Re-eligibility of a rule for one customer (policy step 2): once ever, once per cooldown, or
// at most N runs per window, from the customer's DeliveryHistory.runs. Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "rules/rule.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// Why the rule may not run for the customer at time_ms (the step's event time): "once",
// "cooldown" or "max_per_window"; "" when it may. `runs` is null when it never ran.
std::string_view EligibilityRefusal(const rules::RulePolicy& policy, const v1::RuleRuns* runs,
                                    int64_t time_ms);

// Records a run at time_ms, keeping as many times as the policy needs (called only for rules
// with an eligibility).
void RecordRun(const rules::RulePolicy& policy, int64_t time_ms, v1::RuleRuns* runs);

}  // namespace touchstream::engine
