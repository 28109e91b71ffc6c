// What a fired rule hands to the delivery policy: its decision and rendered actions, decided
// at the end of the processing step (engine/delivery_policy.h).
#pragma once

#include <string>
#include <vector>

#include "rules/rule.h"
#include "touchstream/v1/action.pb.h"

namespace touchstream::engine {

// One emit action, rendered; its channel is chosen by the policy from `channels`.
struct PendingEmit {
  v1::Action action;
  std::vector<std::string> channels;  // in order of preference
};

// A rule that fired in the current step and emits actions.
struct DeliveryCandidate {
  const rules::Rule* rule = nullptr;  // valid for the step
  v1::Decision decision;              // outcome and reason are set by the policy
  std::vector<PendingEmit> emits;
};

}  // namespace touchstream::engine
