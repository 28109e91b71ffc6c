// Parsing a rule's `conversion:` map (internal to ts_rules). The form is documented in
// docs/impact.md:
//   conversion: {event: purchase, condition: "event.properties.amount > 0", within: 7d,
//                value: "event.properties.amount"}
#pragma once

#include <yaml-cpp/yaml.h>

#include "rules/rule.h"
#include "rules/yaml_reader.h"

namespace touchstream::rules {

// Sets rule->conversion from `node`. `event` and `within` are required; `condition` (bool)
// and `value` (int or double) are type-checked with `event` typed as the conversion event.
// Every problem is reported to `reader` (rule->conversion is then left unset).
void ParseConversion(const YAML::Node& node, YamlReader* reader, Rule* rule);

}  // namespace touchstream::rules
