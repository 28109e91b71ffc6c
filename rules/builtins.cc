#include "rules/builtins.h"

namespace touchstream::rules {

namespace {

constexpr BuiltinInfo kBuiltins[] = {
    {"size", Builtin::kSize, 1, true},
    {"startsWith", Builtin::kStartsWith, 2, true},
    {"endsWith", Builtin::kEndsWith, 2, true},
    {"contains", Builtin::kContains, 2, true},
    {"lower", Builtin::kLower, 1, true},
    {"upper", Builtin::kUpper, 1, true},
    {"min", Builtin::kMin, 2, false},
    {"max", Builtin::kMax, 2, false},
    {"abs", Builtin::kAbs, 1, false},
    {"round", Builtin::kRound, 1, false},
    {"duration", Builtin::kDuration, 1, false},
    {"timestamp", Builtin::kTimestamp, 1, false},
    {"days_since", Builtin::kDaysSince, 1, false},
    {"hour_of_day", Builtin::kHourOfDay, 1, false},
    {"day_of_week", Builtin::kDayOfWeek, 1, false},
    {"int", Builtin::kInt, 1, false},
    {"double", Builtin::kDouble, 1, false},
    {"string", Builtin::kString, 1, false},
};

}  // namespace

std::span<const BuiltinInfo> Builtins() {
  return kBuiltins;
}

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace touchstream::rules
