// Parsing a rule's delivery-policy keys (internal to ts_rules, except ParseClockMinutes):
// category, eligibility, exclusion_group, quiet_hours / send_window and holdout. Their YAML
// forms are documented in README.md ("Delivery policy").
#pragma once

#include <yaml-cpp/yaml.h>

#include <span>
#include <string_view>

#include "rules/rule.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

// The rule keys ParsePolicyKey handles.
inline constexpr std::string_view kPolicyKeys[] = {"category",    "eligibility", "exclusion_group",
                                                   "quiet_hours", "send_window", "holdout"};

// True when `key` is one of kPolicyKeys.
bool IsPolicyKey(std::string_view key);

// Parses the value of the rule key `key` (one of kPolicyKeys) into rule->policy; every
// problem is reported to `reader` at the offending node.
void ParsePolicyKey(std::string_view key, const YAML::Node& node, YamlReader* reader, Rule* rule);

// "HH:MM" (00:00-23:59, also 24:00 meaning midnight) -> minutes after midnight; false when
// malformed.
bool ParseClockMinutes(std::string_view text, int* minutes);

}  // namespace touchstream::rules
