// Parsing a rule's `trigger:` map (internal to ts_rules). The trigger kinds and their YAML
// forms are documented in docs/rules.md ("Triggers").
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "rules/rule.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

// Sets rule->trigger and rule->event_types from `node`, reporting every problem to `reader`.
// *event_scope receives the event types the rule sees as `event` when it fires ("*" = any),
// for typing event.properties in its condition and actions.
void ParseTrigger(const YAML::Node& node, YamlReader* reader, Rule* rule,
                  std::vector<std::string>* event_scope);

}  // namespace touchstream::rules
