#include "rules/interpreter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "proto/time_format.h"
#include "rules/lexer.h"

namespace touchstream::rules {

namespace {

using T = ValueType;
using ValueMap = google::protobuf::Map<std::string, touchstream::v1::Value>;

std::string_view OpName(OpCode op) {
  switch (op) {
    case OpCode::kNot:
      return "!";
    case OpCode::kNeg:
      return "-";
    case OpCode::kAnd:
      return "&&";
    case OpCode::kOr:
      return "||";
    case OpCode::kEq:
      return "==";
    case OpCode::kNe:
      return "!=";
    case OpCode::kLt:
      return "<";
    case OpCode::kLe:
      return "<=";
    case OpCode::kGt:
      return ">";
    case OpCode::kGe:
      return ">=";
    case OpCode::kIn:
      return "in";
    case OpCode::kAdd:
      return "+";
    case OpCode::kSub:
      return "-";
    case OpCode::kMul:
      return "*";
    case OpCode::kDiv:
      return "/";
    case OpCode::kMod:
      return "%";
    default:
      return "?";
  }
}

std::string_view BuiltinName(Builtin b) {
  static constexpr std::string_view kNames[] = {
      "size",       "startsWith",  "endsWith",    "contains", "lower",    "upper",
      "min",        "max",         "abs",         "round",    "duration", "timestamp",
      "days_since", "hour_of_day", "day_of_week", "int",      "double",   "string"};
  return kNames[static_cast<size_t>(b)];
}

double AsDouble(const RtValue& v) {
  return v.type == T::kInt ? static_cast<double>(v.i) : v.d;
}
bool Numeric(const RtValue& v) {
  return v.type == T::kInt || v.type == T::kDouble;
}

size_t MapSize(const RtValue& m) {
  switch (m.map_kind) {
    case MapKind::kEventProperties:
    case MapKind::kProfile:
      return static_cast<const ValueMap*>(m.map)->size();
    case MapKind::kActivity:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::TypeActivity>*>(
                 m.map)
          ->size();
    case MapKind::kRuleHistory:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::RuleHistory>*>(
                 m.map)
          ->size();
  }
  return 0;
}

bool MapContains(const RtValue& m, std::string_view key) {
  switch (m.map_kind) {
    case MapKind::kEventProperties:
    case MapKind::kProfile:
      return static_cast<const ValueMap*>(m.map)->contains(key);
    case MapKind::kActivity:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::TypeActivity>*>(
                 m.map)
          ->contains(key);
    case MapKind::kRuleHistory:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::RuleHistory>*>(
                 m.map)
          ->contains(key);
  }
  return false;
}

class Interpreter {
 public:
  Interpreter(const Program& program, const FieldContext& fields, EvalScratch* scratch,
              std::string* error)
      : program_(program), fields_(fields), scratch_(scratch), error_(error) {}

  bool Eval(uint32_t index, RtValue* out) {
    const ProgramNode& node = program_.nodes[index];
    if (++steps_ > program_.max_steps) {
      return Fail(
          node, "evaluation exceeded the step limit (" + std::to_string(program_.max_steps) + ")");
    }
    switch (node.op) {
      case OpCode::kConst:
        *out = node.constant;
        return true;
      case OpCode::kField:
        *out = node.accessor(fields_, node.key);
        return true;
      case OpCode::kHas:
        *out = RtValue::Bool(!node.accessor(fields_, node.key).is_null());
        return true;
      case OpCode::kList:
        return List(node, out);
      case OpCode::kNot: {
        RtValue v;
        if (!Eval(Arg(node, 0), &v)) return false;
        if (v.type != T::kBool) return Fail(node, "operator '!' needs a bool, got " + TypeOf(v));
        *out = RtValue::Bool(!v.b);
        return true;
      }
      case OpCode::kNeg:
        return Negate(node, out);
      case OpCode::kAnd:
      case OpCode::kOr:
        return Logical(node, out);
      case OpCode::kTernary: {
        RtValue condition;
        if (!Eval(Arg(node, 0), &condition)) return false;
        if (condition.type != T::kBool) {
          return Fail(node, "condition of '?:' must be a bool, got " + TypeOf(condition));
        }
        return Eval(Arg(node, condition.b ? 1 : 2), out);
      }
      case OpCode::kCall:
        return Call(node, out);
      default:
        break;
    }
    RtValue l, r;
    if (!Eval(Arg(node, 0), &l) || !Eval(Arg(node, 1), &r)) return false;
    switch (node.op) {
      case OpCode::kEq:
      case OpCode::kNe: {
        bool equal = false;
        if (!Equal(node, l, r, &equal)) return false;
        *out = RtValue::Bool(equal == (node.op == OpCode::kEq));
        return true;
      }
      case OpCode::kLt:
      case OpCode::kLe:
      case OpCode::kGt:
      case OpCode::kGe: {
        int order = 0;
        if (!Compare(node, l, r, &order)) return false;
        const bool result = node.op == OpCode::kLt   ? order < 0
                            : node.op == OpCode::kLe ? order <= 0
                            : node.op == OpCode::kGt ? order > 0
                                                     : order >= 0;
        *out = RtValue::Bool(result);
        return true;
      }
      case OpCode::kIn:
        return In(node, l, r, out);
      case OpCode::kIndex:
        return Index(node, l, r, out);
      default:
        return Arithmetic(node, l, r, out);
    }
  }

 private:
  uint32_t Arg(const ProgramNode& node, uint32_t i) const {
    return program_.args[node.first_arg + i];
  }

  bool Fail(const ProgramNode& node, std::string_view message) {
    *error_ = program_.file + ":" + std::to_string(node.line) + ":" + std::to_string(node.column) +
              ": " + std::string(message);
    return false;
  }

  static std::string TypeOf(const RtValue& v) { return std::string(ValueTypeName(v.type)); }

  bool Mismatch(const ProgramNode& node, const RtValue& l, const RtValue& r) {
    if (l.is_null() || r.is_null()) {
      return Fail(node, "operator '" + std::string(OpName(node.op)) +
                            "' applied to null (use has() to check presence)");
    }
    return Fail(node, "operator '" + std::string(OpName(node.op)) + "' cannot be applied to " +
                          TypeOf(l) + " and " + TypeOf(r));
  }

  bool List(const ProgramNode& node, RtValue* out) {
    std::vector<RtValue>& lists = scratch_->lists;
    const size_t base = lists.size();
    lists.resize(base + node.arg_count);  // within the reserved capacity: no reallocation
    for (uint32_t i = 0; i < node.arg_count; ++i) {
      RtValue item;
      if (!Eval(Arg(node, i), &item)) return false;
      lists[base + i] = item;
    }
    *out = RtValue::List(lists.data() + base, node.arg_count);
    return true;
  }

  bool Negate(const ProgramNode& node, RtValue* out) {
    RtValue v;
    if (!Eval(Arg(node, 0), &v)) return false;
    switch (v.type) {
      case T::kInt:
      case T::kDuration:
        if (v.i == std::numeric_limits<int64_t>::min()) return Fail(node, "integer overflow");
        *out = v;
        out->i = -v.i;
        return true;
      case T::kDouble:
        *out = RtValue::Double(-v.d);
        return true;
      case T::kNull:
        return Fail(node, "operator '-' applied to null (use has() to check presence)");
      default:
        return Fail(node, "operator '-' cannot be applied to " + TypeOf(v));
    }
  }

  bool Logical(const ProgramNode& node, RtValue* out) {
    const bool is_and = node.op == OpCode::kAnd;
    for (uint32_t i = 0; i < 2; ++i) {
      RtValue v;
      if (!Eval(Arg(node, i), &v)) return false;
      if (v.type != T::kBool) {
        return Fail(node, "operator '" + std::string(OpName(node.op)) + "' needs bools, got " +
                              TypeOf(v) + (v.is_null() ? " (use has() to check presence)" : ""));
      }
      if (v.b != is_and) {  // false && ..., true || ...
        *out = RtValue::Bool(!is_and);
        return true;
      }
    }
    *out = RtValue::Bool(is_and);
    return true;
  }

  bool Equal(const ProgramNode& node, const RtValue& l, const RtValue& r, bool* equal) {
    if (l.is_null() || r.is_null()) {
      *equal = l.is_null() && r.is_null();
      return true;
    }
    if (Numeric(l) && Numeric(r)) {
      *equal = l.type == T::kInt && r.type == T::kInt ? l.i == r.i : AsDouble(l) == AsDouble(r);
      return true;
    }
    if (l.type != r.type || l.type == T::kMap) {
      return Fail(node, "cannot compare " + TypeOf(l) + " and " + TypeOf(r) + " for equality");
    }
    switch (l.type) {
      case T::kBool:
        *equal = l.b == r.b;
        return true;
      case T::kString:
        *equal = l.s == r.s;
        return true;
      case T::kTimestamp:
      case T::kDuration:
        *equal = l.i == r.i;
        return true;
      case T::kList:
        *equal = l.list_size == r.list_size;
        for (size_t k = 0; *equal && k < l.list_size; ++k) {
          if (!Equal(node, l.list[k], r.list[k], equal)) return false;
        }
        return true;
      default:
        return Fail(node, "cannot compare " + TypeOf(l) + " values");
    }
  }

  bool Compare(const ProgramNode& node, const RtValue& l, const RtValue& r, int* order) {
    auto sign = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
    if (Numeric(l) && Numeric(r)) {
      if (l.type == T::kInt && r.type == T::kInt) {
        *order = sign(l.i, r.i);
      } else {
        const double a = AsDouble(l), b = AsDouble(r);
        if (std::isnan(a) || std::isnan(b)) return Fail(node, "cannot order NaN");
        *order = sign(a, b);
      }
      return true;
    }
    if (l.type == r.type && l.type == T::kString) {
      *order = l.s.compare(r.s) < 0 ? -1 : (l.s == r.s ? 0 : 1);
      return true;
    }
    if (l.type == r.type && (l.type == T::kTimestamp || l.type == T::kDuration)) {
      *order = sign(l.i, r.i);
      return true;
    }
    return Mismatch(node, l, r);
  }

  bool In(const ProgramNode& node, const RtValue& item, const RtValue& container, RtValue* out) {
    if (container.type == T::kList) {
      steps_ += static_cast<int64_t>(container.list_size);
      if (steps_ > program_.max_steps) {
        return Fail(node, "evaluation exceeded the step limit (" +
                              std::to_string(program_.max_steps) + ")");
      }
      bool found = false;
      for (size_t k = 0; k < container.list_size && !found; ++k) {
        if (!Equal(node, item, container.list[k], &found)) return false;
      }
      *out = RtValue::Bool(found);
      return true;
    }
    if (container.type == T::kMap && item.type == T::kString) {
      *out = RtValue::Bool(MapContains(container, item.s));
      return true;
    }
    return Mismatch(node, item, container);
  }

  bool Index(const ProgramNode& node, const RtValue& base, const RtValue& key, RtValue* out) {
    if (base.type == T::kList && key.type == T::kInt) {
      if (key.i < 0 || static_cast<size_t>(key.i) >= base.list_size) {
        return Fail(node, "list index " + std::to_string(key.i) + " out of range (size " +
                              std::to_string(base.list_size) + ")");
      }
      *out = base.list[key.i];
      return true;
    }
    if (base.type == T::kMap && key.type == T::kString &&
        (base.map_kind == MapKind::kEventProperties || base.map_kind == MapKind::kProfile)) {
      const ValueMap& map = *static_cast<const ValueMap*>(base.map);
      auto it = map.find(key.s);
      *out = it == map.end() ? RtValue::Null() : FromProtoValue(it->second);
      return true;
    }
    return Fail(node, "cannot index " + TypeOf(base) + " with " + TypeOf(key));
  }

  // Stores an int-like result; `value` is empty when the operation overflowed.
  bool IntResult(const ProgramNode& node, std::optional<int64_t> value, T type, RtValue* out) {
    if (!value) return Fail(node, "integer overflow");
    *out = RtValue::Int(*value);
    out->type = type;
    return true;
  }
  static std::optional<int64_t> Overflow() { return std::nullopt; }
  static std::optional<int64_t> Value(int64_t v) { return v; }

  bool Arithmetic(const ProgramNode& node, const RtValue& l, const RtValue& r, RtValue* out) {
    int64_t v = 0;
    if (l.type == T::kInt && r.type == T::kInt) {
      switch (node.op) {
        case OpCode::kAdd:
          return IntResult(node, __builtin_add_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                           T::kInt, out);
        case OpCode::kSub:
          return IntResult(node, __builtin_sub_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                           T::kInt, out);
        case OpCode::kMul:
          return IntResult(node, __builtin_mul_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                           T::kInt, out);
        case OpCode::kDiv:
        case OpCode::kMod:
          if (r.i == 0)
            return Fail(node, node.op == OpCode::kDiv ? "division by zero" : "modulo by zero");
          if (l.i == std::numeric_limits<int64_t>::min() && r.i == -1) {
            return Fail(node, "integer overflow");
          }
          *out = RtValue::Int(node.op == OpCode::kDiv ? l.i / r.i : l.i % r.i);
          return true;
        default:
          break;
      }
    }
    if (Numeric(l) && Numeric(r) && node.op != OpCode::kMod) {
      const double a = AsDouble(l), b = AsDouble(r);
      switch (node.op) {
        case OpCode::kAdd:
          *out = RtValue::Double(a + b);
          return true;
        case OpCode::kSub:
          *out = RtValue::Double(a - b);
          return true;
        case OpCode::kMul:
          *out = RtValue::Double(a * b);
          return true;
        case OpCode::kDiv:
          if (b == 0) return Fail(node, "division by zero");
          *out = RtValue::Double(a / b);
          return true;
        default:
          break;
      }
    }
    const bool ts_l = l.type == T::kTimestamp, ts_r = r.type == T::kTimestamp;
    const bool dur_l = l.type == T::kDuration, dur_r = r.type == T::kDuration;
    if (node.op == OpCode::kAdd) {
      if (l.type == T::kString && r.type == T::kString) return Concat(node, l.s, r.s, out);
      if ((ts_l && dur_r) || (dur_l && ts_r)) {
        return IntResult(node, __builtin_add_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                         T::kTimestamp, out);
      }
      if (dur_l && dur_r)
        return IntResult(node, __builtin_add_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                         T::kDuration, out);
    }
    if (node.op == OpCode::kSub) {
      if (ts_l && ts_r)
        return IntResult(node, __builtin_sub_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                         T::kDuration, out);
      if (ts_l && dur_r)
        return IntResult(node, __builtin_sub_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                         T::kTimestamp, out);
      if (dur_l && dur_r)
        return IntResult(node, __builtin_sub_overflow(l.i, r.i, &v) ? Overflow() : Value(v),
                         T::kDuration, out);
    }
    return Mismatch(node, l, r);
  }

  // Room for a string built by this evaluation, bounded by max_string_bytes.
  char* NewString(const ProgramNode& node, size_t size) {
    if (size > program_.max_string_bytes) {
      Fail(node, "string of " + std::to_string(size) + " bytes exceeds the limit of " +
                     std::to_string(program_.max_string_bytes));
      return nullptr;
    }
    return scratch_->strings.Allocate(size);
  }

  bool Concat(const ProgramNode& node, std::string_view a, std::string_view b, RtValue* out) {
    char* data = NewString(node, a.size() + b.size());
    if (data == nullptr) return false;
    std::copy(a.begin(), a.end(), data);
    std::copy(b.begin(), b.end(), data + a.size());
    *out = RtValue::String(std::string_view(data, a.size() + b.size()));
    return true;
  }

  bool CopyString(const ProgramNode& node, std::string_view text, RtValue* out) {
    return Concat(node, text, {}, out);
  }

  bool Call(const ProgramNode& node, RtValue* out) {
    RtValue a, b;
    if (!Eval(Arg(node, 0), &a)) return false;
    if (node.arg_count > 1 && !Eval(Arg(node, 1), &b)) return false;
    const std::string_view name = BuiltinName(node.builtin);
    if (a.is_null() || (node.arg_count > 1 && b.is_null())) {
      return Fail(node, std::string(name) + "() received null (use has() to check presence)");
    }
    auto bad = [&](const RtValue& v) {
      return Fail(node, std::string(name) + "() cannot be applied to " + TypeOf(v));
    };
    switch (node.builtin) {
      case Builtin::kSize:
        if (a.type == T::kString) {
          int64_t code_points = 0;
          for (char c : a.s) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
          *out = RtValue::Int(code_points);
        } else if (a.type == T::kList) {
          *out = RtValue::Int(static_cast<int64_t>(a.list_size));
        } else if (a.type == T::kMap) {
          *out = RtValue::Int(static_cast<int64_t>(MapSize(a)));
        } else {
          return bad(a);
        }
        return true;
      case Builtin::kStartsWith:
      case Builtin::kEndsWith:
      case Builtin::kContains:
        if (a.type != T::kString) return bad(a);
        if (b.type != T::kString) return bad(b);
        *out = RtValue::Bool(node.builtin == Builtin::kStartsWith ? a.s.starts_with(b.s)
                             : node.builtin == Builtin::kEndsWith
                                 ? a.s.ends_with(b.s)
                                 : a.s.find(b.s) != std::string_view::npos);
        return true;
      case Builtin::kLower:
      case Builtin::kUpper: {
        if (a.type != T::kString) return bad(a);
        char* data = NewString(node, a.s.size());
        if (data == nullptr) return false;
        const bool lower = node.builtin == Builtin::kLower;
        for (size_t k = 0; k < a.s.size(); ++k) {
          const char c = a.s[k];
          data[k] = lower ? (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c)
                          : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
        }
        *out = RtValue::String(std::string_view(data, a.s.size()));
        return true;
      }
      case Builtin::kMin:
      case Builtin::kMax: {
        int order = 0;
        if (!Compare(node, a, b, &order)) return false;
        const RtValue& pick = (node.builtin == Builtin::kMin) == (order <= 0) ? a : b;
        *out =
            Numeric(a) && Numeric(b) && a.type != b.type ? RtValue::Double(AsDouble(pick)) : pick;
        return true;
      }
      case Builtin::kAbs:
        if (a.type == T::kDouble) {
          *out = RtValue::Double(std::fabs(a.d));
          return true;
        }
        if (a.type != T::kInt && a.type != T::kDuration) return bad(a);
        if (a.i == std::numeric_limits<int64_t>::min()) return Fail(node, "integer overflow");
        *out = a;
        out->i = a.i < 0 ? -a.i : a.i;
        return true;
      case Builtin::kRound:
      case Builtin::kInt: {
        if (a.type == T::kInt) {
          *out = a;
          return true;
        }
        if (a.type == T::kString && node.builtin == Builtin::kInt) {
          int64_t v = 0;
          auto [end, ec] = std::from_chars(a.s.data(), a.s.data() + a.s.size(), v);
          if (ec != std::errc() || end != a.s.data() + a.s.size()) {
            return Fail(node, "int() cannot parse \"" + std::string(a.s) + "\"");
          }
          *out = RtValue::Int(v);
          return true;
        }
        if (a.type != T::kDouble) return bad(a);
        const double v = node.builtin == Builtin::kRound ? std::round(a.d) : std::trunc(a.d);
        if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18)) {
          return Fail(node, std::string(name) + "() result out of the int range");
        }
        *out = RtValue::Int(static_cast<int64_t>(v));
        return true;
      }
      case Builtin::kDouble:
        if (Numeric(a)) {
          *out = RtValue::Double(AsDouble(a));
          return true;
        }
        if (a.type == T::kString) {
          double v = 0;
          auto [end, ec] = std::from_chars(a.s.data(), a.s.data() + a.s.size(), v);
          if (ec != std::errc() || end != a.s.data() + a.s.size()) {
            return Fail(node, "double() cannot parse \"" + std::string(a.s) + "\"");
          }
          *out = RtValue::Double(v);
          return true;
        }
        return bad(a);
      case Builtin::kString:
        if (a.type == T::kString) {
          *out = a;
          return true;
        }
        if (a.type == T::kList || a.type == T::kMap) return bad(a);
        scratch_->format_buffer.clear();
        AppendText(a, "", &scratch_->format_buffer);
        return CopyString(node, scratch_->format_buffer, out);
      case Builtin::kDuration: {
        int64_t ms = 0;
        if (a.type != T::kString) return bad(a);
        if (!ParseDurationMs(a.s, &ms))
          return Fail(node, "invalid duration \"" + std::string(a.s) + "\"");
        *out = RtValue::Duration(ms);
        return true;
      }
      case Builtin::kTimestamp: {
        if (a.type != T::kString) return bad(a);
        const std::optional<int64_t> ms = ParseRfc3339Ms(a.s);
        if (!ms) return Fail(node, "invalid timestamp \"" + std::string(a.s) + "\"");
        *out = RtValue::Timestamp(*ms);
        return true;
      }
      case Builtin::kDaysSince:
        if (a.type != T::kTimestamp) return bad(a);
        *out = RtValue::Double(static_cast<double>(fields_.now_ms - a.i) / 86400000.0);
        return true;
      case Builtin::kHourOfDay:
      case Builtin::kDayOfWeek: {
        if (a.type != T::kTimestamp) return bad(a);
        const LocalTime local = ToLocalTime(a.i, CustomerZone());
        *out = RtValue::Int(node.builtin == Builtin::kHourOfDay ? local.hour : local.weekday);
        return true;
      }
    }
    return bad(a);
  }

  const date::time_zone* CustomerZone() {
    const auto& profile = fields_.customer.profile();
    auto it = profile.find(std::string_view("time_zone"));
    if (it == profile.end() || it->second.kind_case() != touchstream::v1::Value::kStringValue) {
      return nullptr;
    }
    return scratch_->zones.Find(it->second.string_value());
  }

  const Program& program_;
  const FieldContext& fields_;
  EvalScratch* scratch_;
  std::string* error_;
  int64_t steps_ = 0;
};

}  // namespace

bool RunProgram(const Program& program, const FieldContext& fields, EvalScratch* scratch,
                RtValue* result, std::string* error) {
  scratch->lists.clear();
  if (scratch->lists.capacity() < program.max_list_elements) {
    scratch->lists.reserve(program.max_list_elements);
  }
  Interpreter interpreter(program, fields, scratch, error);
  return interpreter.Eval(program.root, result);
}

}  // namespace touchstream::rules
