// Holdout groups: which customers a rule's experiment holds out, by a stable hash of the
// customer id and the experiment's salt (the same on every run, restart and instance).
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "engine/policy/policy_config.h"
#include "rules/rule.h"

namespace touchstream::engine {

inline constexpr std::string_view kTreatmentArm = "treatment";
inline constexpr std::string_view kHoldoutArm = "holdout";

// True when the customer is among `percent` (0-100, in steps of 0.0001) of customers held out
// under `salt`.
bool InHoldout(std::string_view salt, std::string_view customer_id, double percent);

// The customer's arm of the rule's holdout: kHoldoutArm, kTreatmentArm, or "" when the rule
// has no holdout. The salt is policy.experiments.<experiment>.salt, else the experiment name.
std::string_view HoldoutArm(const rules::RulePolicy& rule, const PolicyConfig& config,
                            std::string_view customer_id);

}  // namespace touchstream::engine
