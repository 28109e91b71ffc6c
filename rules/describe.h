// Human-readable description of a compiled rule (for `rules check --explain`): trigger,
// condition in canonical form, the fields it reads with their types, and the actions.
#pragma once

#include <string>

#include "rules/rule.h"

namespace touchstream::rules {

// Multi-line text ending in a newline. Example:
//   rule big_spender (version 1a2b3c4d) from rules/vip.yaml:3
//     enabled, priority 10, tags: vip
//     policy: once, exclusion group offers, holdout 10% (experiment big_spender)
//     trigger: event purchase
//     condition: customer.aggregates.total_spend > 1000.0 && event.channel == "web"
//     reads: customer.aggregates.total_spend, event.channel
//     action emit offer -> email, sms
//       message: "Thanks {{ customer.profile.first_name }}"
//       param discount = 10
std::string DescribeRule(const Rule& rule);

}  // namespace touchstream::rules
