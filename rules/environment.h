// What rules are checked against: declared event property types and the language's limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rules/value_type.h"

namespace touchstream::rules {

struct RuleEnvironment {
  // Declared property types: event_properties["purchase"]["amount"] = ValueType::kDouble.
  // Undeclared properties are dyn (checked when evaluated). Default: none declared.
  std::map<std::string, std::map<std::string, ValueType>> event_properties;

  // Declared windowed aggregates (engine config `aggregates:`): name -> type (count and
  // distinct: kInt; sum, min, max, avg: kDouble). customer.aggregates.<name> must name one of
  // these or a built-in aggregate, else it is a load-time error. Default: none declared.
  std::map<std::string, ValueType> aggregates;

  // Named calendars for date triggers (`calendar: holidays`): dates as days since
  // 1970-01-01, sorted. Default: none.
  std::map<std::string, std::vector<int32_t>> calendars;

  // Lifecycle stage names that stage_changed triggers and set_stage actions may name (engine
  // config lifecycle.stages). Default: none configured, the built-in kLifecycleStages.
  std::vector<std::string> lifecycle_stages;

  // Deepest expression nesting accepted at load time. Default 64.
  int max_expression_depth = 64;
  // Longest expression or template text, in bytes (load time). Default 16 KiB.
  size_t max_expression_bytes = 16 * 1024;
  // Longest string literal, in bytes (load time). Default 4 KiB.
  size_t max_string_literal_bytes = 4096;
  // Most elements in a list literal (load time). Default 1000.
  size_t max_list_size = 1000;
  // Longest string an evaluation may build with +, lower, upper or string() (run time).
  // Default 64 KiB.
  size_t max_string_bytes = 64 * 1024;
  // Most evaluation steps (one per operation, plus one per list element scanned by `in`)
  // for one condition or template placeholder (run time). Default 10000.
  int64_t max_eval_steps = 10000;
};

}  // namespace touchstream::rules
