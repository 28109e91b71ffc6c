#include "rules/value_type.h"

#include <string>

namespace touchstream::rules {

Result<ValueType> ParseValueType(std::string_view name) {
  static constexpr std::pair<std::string_view, ValueType> kNames[] = {
      {"bool", ValueType::kBool},
      {"int", ValueType::kInt},
      {"double", ValueType::kDouble},
      {"string", ValueType::kString},
      {"timestamp", ValueType::kTimestamp},
      {"duration", ValueType::kDuration},
      {"dyn", ValueType::kDyn},
  };
  for (const auto& [text, type] : kNames) {
    if (text == name) return type;
  }
  return Status::InvalidArgument(
      "unknown value type '" + std::string(name) +
      "' (expected bool, int, double, string, timestamp, duration or dyn)");
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return "bool";
    case ValueType::kInt:
      return "int";
    case ValueType::kDouble:
      return "double";
    case ValueType::kString:
      return "string";
    case ValueType::kTimestamp:
      return "timestamp";
    case ValueType::kDuration:
      return "duration";
    case ValueType::kList:
      return "list";
    case ValueType::kMap:
      return "map";
    case ValueType::kDyn:
      return "dyn";
  }
  return "dyn";
}

}  // namespace touchstream::rules
