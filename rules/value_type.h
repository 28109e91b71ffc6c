// Static types of the rule expression language, shared by the checker, the field catalog
// and configuration files that declare event property types.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace touchstream::rules {

// kDyn: the type is known only at run time (undeclared event properties, profile attributes);
// operations on dyn values are checked when evaluated.
enum class ValueType : uint8_t {
  kNull,
  kBool,
  kInt,
  kDouble,
  kString,
  kTimestamp,
  kDuration,
  kList,
  kMap,
  kDyn
};

// Parses a type name as written in configuration: "bool", "int", "double", "string",
// "timestamp", "duration", "dyn". Any other name is InvalidArgument (listing the valid names).
Result<ValueType> ParseValueType(std::string_view name);

// The lower-case name of a type ("int", "timestamp", "null", "list", "map", "dyn").
std::string_view ValueTypeName(ValueType type);

// True for kInt and kDouble.
inline bool IsNumeric(ValueType type) {
  return type == ValueType::kInt || type == ValueType::kDouble;
}

}  // namespace touchstream::rules
