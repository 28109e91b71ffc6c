// Parsing a rule's delivery-policy keys (internal to ts_rules):
// category, eligibility, exclusion_group, quiet_hours / send_window, holdout and max_delay. Their
// YAML forms are documented in docs/delivery-policy.md (max_delay: docs/rules.md "Freshness").
#pragma once

#include <yaml-cpp/yaml.h>

#include <span>
#include <string_view>

#include "rules/rule.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

// The rule keys ParsePolicyKey handles.
inline constexpr std::string_view kPolicyKeys[] = {"category",    "eligibility", "exclusion_group",
                                                   "quiet_hours", "send_window", "holdout",
                                                   "max_delay"};

// Parses the value of the rule key `key` (one of kPolicyKeys) into rule->policy; every
// problem is reported to `reader` at the offending node.
void ParsePolicyKey(std::string_view key, const YAML::Node& node, YamlReader* reader, Rule* rule);

}  // namespace touchstream::rules
