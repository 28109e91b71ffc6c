// What a fired rule hands to the delivery policy: its decision and rendered actions, decided
// at the end of the processing step (engine/policy/delivery_policy.h).
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

// A rule that ran in the current step: its decision is published at the end of the step, in
// the order the rules ran.
struct DeliveryCandidate {
  const rules::Rule* rule = nullptr;  // valid for the step
  v1::Decision decision;              // outcome and reason are set by the policy unless decided
  std::vector<PendingEmit> emits;
  // True when the decision is final without the policy (no emit, eligibility refused, or an
  // action failed).
  bool decided = false;
};

}  // namespace touchstream::engine
