#include "rules/builtins.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>

#include "base/duration.h"
#include "base/time_format.h"
#include "rules/lexer.h"
#include "rules/zone_cache.h"

namespace touchstream::rules {

namespace {

using T = ValueType;
using ValueMap = google::protobuf::Map<std::string, touchstream::v1::Value>;

// ---- type rules -------------------------------------------------------------------------

// True when argument `index` has one of the `allowed` types (or is dyn, checked at run time);
// otherwise reports "<name>() expects <expected>, got <type>" at the argument.
bool Expect(BuiltinTypeCheck& c, size_t index, std::initializer_list<T> allowed,
            std::string_view expected) {
  const T type = c.args()[index]->type;
  if (type == T::kDyn || std::find(allowed.begin(), allowed.end(), type) != allowed.end()) {
    return true;
  }
  c.ErrorAtArg(index, std::string(c.name()) + "() expects " + std::string(expected) + ", got " +
                          std::string(ValueTypeName(type)));
  return false;
}

// The text of argument `index` when it is a string literal (checked at load time).
std::optional<std::string_view> Literal(BuiltinTypeCheck& c, size_t index) {
  const Expr& arg = *c.args()[index];
  if (arg.kind != Expr::Kind::kString) return std::nullopt;
  return arg.text;
}

T SizeType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kString, T::kList, T::kMap}, "a string, list or map") ? T::kInt : T::kDyn;
}

T StringPredicateType(BuiltinTypeCheck& c) {
  if (!Expect(c, 0, {T::kString}, "a string")) return T::kDyn;
  if (!Expect(c, 1, {T::kString}, "a string")) return T::kDyn;
  return T::kBool;
}

T CaseType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kString}, "a string") ? T::kString : T::kDyn;
}

T MinMaxType(BuiltinTypeCheck& c) {
  const T a = c.args()[0]->type;
  const T b = c.args()[1]->type;
  if (a == T::kDyn || b == T::kDyn) return T::kDyn;
  if (IsNumeric(a) && IsNumeric(b)) return a == T::kInt && b == T::kInt ? T::kInt : T::kDouble;
  if (a == b && (b == T::kTimestamp || b == T::kDuration)) return b;
  c.ErrorAtCall(std::string(c.name()) + "() cannot compare " + std::string(ValueTypeName(a)) +
                " and " + std::string(ValueTypeName(b)));
  return T::kDyn;
}

T AbsType(BuiltinTypeCheck& c) {
  if (!Expect(c, 0, {T::kInt, T::kDouble, T::kDuration}, "a number or duration")) return T::kDyn;
  return c.args()[0]->type;
}

T RoundType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kInt, T::kDouble}, "a number") ? T::kInt : T::kDyn;
}

T DurationType(BuiltinTypeCheck& c) {
  if (!Expect(c, 0, {T::kString}, "a string such as \"36h\"")) return T::kDyn;
  if (const auto text = Literal(c, 0); text && !ParseDuration(*text).ok()) {
    c.ErrorAtArg(0, "invalid duration \"" + std::string(*text) +
                        "\" (use e.g. \"36h\", \"1h30m\", \"250ms\")");
  }
  return T::kDuration;
}

T TimestampType(BuiltinTypeCheck& c) {
  if (!Expect(c, 0, {T::kString}, "an RFC 3339 string")) return T::kDyn;
  if (const auto text = Literal(c, 0); text && !ParseRfc3339Ms(*text)) {
    c.ErrorAtArg(0, "invalid timestamp \"" + std::string(*text) +
                        "\" (use RFC 3339, e.g. \"2026-01-05T10:00:00Z\")");
  }
  return T::kTimestamp;
}

T DaysSinceType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kTimestamp}, "a timestamp") ? T::kDouble : T::kDyn;
}

T LocalTimeType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kTimestamp}, "a timestamp") ? T::kInt : T::kDyn;
}

T IntType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kInt, T::kDouble, T::kString}, "a number or string") ? T::kInt : T::kDyn;
}

T DoubleType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kInt, T::kDouble, T::kString}, "a number or string") ? T::kDouble
                                                                               : T::kDyn;
}

T StringType(BuiltinTypeCheck& c) {
  return Expect(c, 0, {T::kBool, T::kInt, T::kDouble, T::kString, T::kTimestamp, T::kDuration},
                "a scalar value")
             ? T::kString
             : T::kDyn;
}

// ---- implementations ----------------------------------------------------------------------

double AsDouble(const RtValue& v) {
  return v.type == T::kInt ? static_cast<double>(v.i) : v.d;
}

bool Numeric(const RtValue& v) {
  return v.type == T::kInt || v.type == T::kDouble;
}

size_t MapSize(const RtValue& m) {
  switch (m.map_kind()) {
    case MapKind::kEventProperties:
    case MapKind::kProfile:
      return static_cast<const ValueMap*>(m.object)->size();
    case MapKind::kActivity:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::TypeActivity>*>(
                 m.object)
          ->size();
    case MapKind::kRuleHistory:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::RuleHistory>*>(
                 m.object)
          ->size();
  }
  return 0;
}

RtValue RunSize(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type == T::kString) {
    int64_t code_points = 0;
    for (char c : a.s()) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return RtValue::Int(code_points);
  }
  if (a.type == T::kList) return RtValue::Int(static_cast<int64_t>(a.size));
  if (a.type == T::kMap) return RtValue::Int(static_cast<int64_t>(MapSize(a)));
  return rt.Unsupported(a);
}

// A (string, string) -> bool builtin.
template <bool (*kTest)(std::string_view, std::string_view)>
RtValue RunStringPredicate(const RtValue* args, BuiltinRuntime& rt) {
  if (args[0].type != T::kString) return rt.Unsupported(args[0]);
  if (args[1].type != T::kString) return rt.Unsupported(args[1]);
  return RtValue::Bool(kTest(args[0].s(), args[1].s()));
}

bool StartsWith(std::string_view a, std::string_view b) {
  return a.starts_with(b);
}
bool EndsWith(std::string_view a, std::string_view b) {
  return a.ends_with(b);
}
bool Contains(std::string_view a, std::string_view b) {
  return a.find(b) != std::string_view::npos;
}

// lower() and upper(): ASCII letters only.
template <bool kLower>
RtValue RunCase(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type != T::kString) return rt.Unsupported(a);
  char* data = rt.NewString(a.size);
  if (data == nullptr) return rt.Failed();
  for (size_t k = 0; k < a.size; ++k) {
    const char c = a.chars[k];
    data[k] = kLower ? (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c)
                     : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return RtValue::String(std::string_view(data, a.size));
}

template <bool kMin>
RtValue RunMinMax(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  const RtValue& b = args[1];
  int order = 0;
  if (!rt.Compare(a, b, &order)) return rt.Failed();
  const RtValue& pick = kMin == (order <= 0) ? a : b;
  return Numeric(a) && Numeric(b) && a.type != b.type ? RtValue::Double(AsDouble(pick)) : pick;
}

RtValue RunAbs(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type == T::kDouble) return RtValue::Double(std::fabs(a.d));
  if (a.type != T::kInt && a.type != T::kDuration) return rt.Unsupported(a);
  if (a.i == std::numeric_limits<int64_t>::min()) return rt.Fail("integer overflow");
  RtValue out = a;
  out.i = a.i < 0 ? -a.i : a.i;
  return out;
}

// round() and int() of a double: rounded or truncated, within the int range.
RtValue DoubleToInt(double v, std::string_view name, BuiltinRuntime& rt) {
  if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18)) {
    return rt.Fail(std::string(name) + "() result out of the int range");
  }
  return RtValue::Int(static_cast<int64_t>(v));
}

RtValue RunRound(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type == T::kInt) return a;
  if (a.type != T::kDouble) return rt.Unsupported(a);
  return DoubleToInt(std::round(a.d), "round", rt);
}

RtValue RunInt(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type == T::kInt) return a;
  if (a.type == T::kString) {
    int64_t v = 0;
    const std::string_view text = a.s();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return rt.Fail("int() cannot parse \"" + std::string(text) + "\"");
    }
    return RtValue::Int(v);
  }
  if (a.type != T::kDouble) return rt.Unsupported(a);
  return DoubleToInt(std::trunc(a.d), "int", rt);
}

RtValue RunDouble(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (Numeric(a)) return RtValue::Double(AsDouble(a));
  if (a.type != T::kString) return rt.Unsupported(a);
  double v = 0;
  const std::string_view text = a.s();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return rt.Fail("double() cannot parse \"" + std::string(text) + "\"");
  }
  return RtValue::Double(v);
}

RtValue RunString(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type == T::kString) return a;
  if (a.type == T::kList || a.type == T::kMap) return rt.Unsupported(a);
  return rt.Format(a);
}

RtValue RunDuration(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type != T::kString) return rt.Unsupported(a);
  const Result<int64_t> ms = ParseDuration(a.s());
  if (!ms.ok()) return rt.Fail("invalid duration \"" + std::string(a.s()) + "\"");
  return RtValue::Duration(*ms);
}

RtValue RunTimestamp(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type != T::kString) return rt.Unsupported(a);
  const std::optional<int64_t> ms = ParseRfc3339Ms(a.s());
  if (!ms) return rt.Fail("invalid timestamp \"" + std::string(a.s()) + "\"");
  return RtValue::Timestamp(*ms);
}

RtValue RunDaysSince(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type != T::kTimestamp) return rt.Unsupported(a);
  return RtValue::Double(static_cast<double>(rt.now_ms() - a.i) / 86400000.0);
}

// hour_of_day() and day_of_week(), in the customer's time zone.
template <bool kHour>
RtValue RunLocalTime(const RtValue* args, BuiltinRuntime& rt) {
  const RtValue& a = args[0];
  if (a.type != T::kTimestamp) return rt.Unsupported(a);
  const LocalTime local = ToLocalTime(a.i, rt.customer_zone());
  return RtValue::Int(kHour ? local.hour : local.weekday);
}

// In Builtin id order (checked below).
constexpr BuiltinInfo kBuiltins[] = {
    {"size", Builtin::kSize, 1, true, true, SizeType, RunSize},
    {"startsWith", Builtin::kStartsWith, 2, true, true, StringPredicateType,
     RunStringPredicate<StartsWith>},
    {"endsWith", Builtin::kEndsWith, 2, true, true, StringPredicateType,
     RunStringPredicate<EndsWith>},
    {"contains", Builtin::kContains, 2, true, true, StringPredicateType,
     RunStringPredicate<Contains>},
    {"lower", Builtin::kLower, 1, true, true, CaseType, RunCase<true>},
    {"upper", Builtin::kUpper, 1, true, true, CaseType, RunCase<false>},
    {"min", Builtin::kMin, 2, false, true, MinMaxType, RunMinMax<true>},
    {"max", Builtin::kMax, 2, false, true, MinMaxType, RunMinMax<false>},
    {"abs", Builtin::kAbs, 1, false, true, AbsType, RunAbs},
    {"round", Builtin::kRound, 1, false, true, RoundType, RunRound},
    {"duration", Builtin::kDuration, 1, false, true, DurationType, RunDuration},
    {"timestamp", Builtin::kTimestamp, 1, false, true, TimestampType, RunTimestamp},
    {"days_since", Builtin::kDaysSince, 1, false, false, DaysSinceType, RunDaysSince},
    {"hour_of_day", Builtin::kHourOfDay, 1, false, false, LocalTimeType, RunLocalTime<true>},
    {"day_of_week", Builtin::kDayOfWeek, 1, false, false, LocalTimeType, RunLocalTime<false>},
    {"int", Builtin::kInt, 1, false, true, IntType, RunInt},
    {"double", Builtin::kDouble, 1, false, true, DoubleType, RunDouble},
    {"string", Builtin::kString, 1, false, true, StringType, RunString},
};

constexpr bool InIdOrder() {
  for (size_t i = 0; i < std::size(kBuiltins); ++i) {
    if (static_cast<size_t>(kBuiltins[i].id) != i) return false;
  }
  return true;
}
static_assert(InIdOrder(), "kBuiltins must list the builtins in Builtin id order");
static_assert(std::size(kBuiltins) == static_cast<size_t>(Builtin::kString) + 1,
              "every Builtin id needs a registry entry");

}  // namespace

std::span<const BuiltinInfo> Builtins() {
  return kBuiltins;
}

const BuiltinInfo& GetBuiltin(Builtin id) {
  return kBuiltins[static_cast<size_t>(id)];
}

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace touchstream::rules
