// Parsing one entry of a rule's `actions:` list (internal to ts_rules). The action kinds and
// their YAML forms are documented in docs/rules.md ("Actions").
#pragma once

#include <yaml-cpp/yaml.h>

#include "rules/checker.h"
#include "rules/rule.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

// Appends the action(s) `node` describes to rule->actions (a `set:` map of several
// attributes gives one SetAction each); expressions are checked in `scope`. Every problem
// is reported to `reader`.
void ParseAction(const YAML::Node& node, const CheckScope& scope, YamlReader* reader, Rule* rule);

}  // namespace touchstream::rules
