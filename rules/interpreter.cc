#include "rules/interpreter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rules/builtins.h"
#include "rules/lexer.h"

namespace touchstream::rules {

namespace {

using T = ValueType;
using ValueMap = google::protobuf::Map<std::string, touchstream::v1::Value>;

double AsDouble(const RtValue& v) {
  return v.type == T::kInt ? static_cast<double>(v.i) : v.d;
}
bool Numeric(const RtValue& v) {
  return v.type == T::kInt || v.type == T::kDouble;
}

bool MapContains(const RtValue& m, std::string_view key) {
  switch (m.map_kind()) {
    case MapKind::kEventProperties:
    case MapKind::kProfile:
      return static_cast<const ValueMap*>(m.object)->contains(key);
    case MapKind::kActivity:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::TypeActivity>*>(
                 m.object)
          ->contains(key);
    case MapKind::kRuleHistory:
      return static_cast<const google::protobuf::Map<std::string, touchstream::v1::RuleHistory>*>(
                 m.object)
          ->contains(key);
  }
  return false;
}

// A failed evaluation is carried up as a value of type kDyn (no run-time value has that
// type); the message is in *error_.
constexpr T kFailed = T::kDyn;

class Interpreter {
 public:
  Interpreter(const Program& program, const FieldContext& fields, EvalScratch* scratch,
              std::string* error)
      : program_(program), fields_(fields), scratch_(scratch), error_(error) {}

  // Evaluates node `index`: one step, then its operation. Constants, fields, && and || and
  // comparisons (most of what conditions are made of) are handled here, with fast paths;
  // everything else out of line in EvalOther, which keeps this function's frame small.
  RtValue Eval(uint32_t index) {
    const ProgramNode& node = program_.nodes[index];
    if (++steps_ > program_.max_steps) [[unlikely]] {
      return StepLimit(node);
    }
    switch (node.op) {
      case OpCode::kConst:
        return node.constant;
      case OpCode::kFolded:
        return Folded(node);
      case OpCode::kField:
        return ReadField(node);
      case OpCode::kAnd:
      case OpCode::kOr:
        return Logical(node);
      case OpCode::kEq:
      case OpCode::kNe:
      case OpCode::kLt:
      case OpCode::kLe:
      case OpCode::kGt:
      case OpCode::kGe:
        return Comparison(node);
      default:
        return EvalOther(node);
    }
  }

  int64_t steps() const { return steps_; }

 private:
  uint32_t Arg(const ProgramNode& node, uint32_t i) const {
    return program_.args[node.first_arg + i];
  }

  static RtValue Failed() {
    RtValue v;
    v.type = kFailed;
    return v;
  }

  // Eval(Arg(node, i)), with the common leaves (a constant, a field) read in place instead
  // of through a call and a dispatch. Steps and step-limit errors are exactly Eval's.
  [[gnu::always_inline]] RtValue Operand(const ProgramNode& node, uint32_t i) {
    const uint32_t index = Arg(node, i);
    const ProgramNode& operand = program_.nodes[index];
    if (operand.op != OpCode::kConst && operand.op != OpCode::kField) return Eval(index);
    if (++steps_ > program_.max_steps) [[unlikely]] {
      return StepLimit(operand);
    }
    return operand.op == OpCode::kConst ? operand.constant : ReadField(operand);
  }

  // A field's value. A field with a cache slot is read once per evaluation (accessors are
  // pure functions of the context, which does not change during one).
  RtValue ReadField(const ProgramNode& node) {
    if (node.field_slot == kNoFieldSlot) return node.accessor(fields_, node.key);
    RtValue& cached = scratch_->fields[node.field_slot];
    if (cached.type == kFailed) cached = node.accessor(fields_, node.key);  // an empty slot
    return cached;
  }

  // A folded constant takes the steps of the subtree it replaces. When they would cross the
  // limit, that subtree is evaluated instead (undoing this node's step, which the subtree's
  // root counts again), so the error names the node it names without folding.
  RtValue Folded(const ProgramNode& node) {
    if (steps_ + node.weight - 1 <= program_.max_steps) [[likely]] {
      steps_ += node.weight - 1;
      return node.constant;
    }
    --steps_;
    return Eval(Arg(node, 0));
  }

  RtValue Logical(const ProgramNode& node) {
    const bool is_and = node.op == OpCode::kAnd;
    const RtValue l = Operand(node, 0);
    if (l.type != T::kBool) [[unlikely]] {
      return LogicalError(node, l);
    }
    if (l.b != is_and) return l;  // false && ..., true || ...
    const RtValue r = Operand(node, 1);
    if (r.type != T::kBool) [[unlikely]] {
      return LogicalError(node, r);
    }
    return r;
  }

  // ==, !=, <, <=, >, >=. Ints (and timestamps, durations), numbers and strings are decided
  // here; NaN, null, bools, lists and type mismatches go to ComparisonSlow, which has the
  // general rules (Equal, Compare) and the error messages.
  RtValue Comparison(const ProgramNode& node) {
    const RtValue l = Operand(node, 0);
    if (l.type == kFailed) return l;
    const RtValue r = Operand(node, 1);
    if (r.type == kFailed) return r;
    int order = 0;
    if (l.type == r.type &&
        (l.type == T::kInt || l.type == T::kTimestamp || l.type == T::kDuration)) {
      order = (l.i > r.i) - (l.i < r.i);
    } else if (Numeric(l) && Numeric(r)) {
      const double a = AsDouble(l), b = AsDouble(r);
      if (a < b) {
        order = -1;
      } else if (a > b) {
        order = 1;
      } else if (a != b) [[unlikely]] {
        return ComparisonSlow(node, l, r);  // NaN
      }
    } else if (l.type == T::kString && r.type == T::kString) {
      const int c = l.s().compare(r.s());
      order = (c > 0) - (c < 0);
    } else {
      return ComparisonSlow(node, l, r);
    }
    switch (node.op) {
      case OpCode::kEq:
        return RtValue::Bool(order == 0);
      case OpCode::kNe:
        return RtValue::Bool(order != 0);
      case OpCode::kLt:
        return RtValue::Bool(order < 0);
      case OpCode::kLe:
        return RtValue::Bool(order <= 0);
      case OpCode::kGt:
        return RtValue::Bool(order > 0);
      default:
        return RtValue::Bool(order >= 0);
    }
  }

  [[gnu::noinline]] RtValue ComparisonSlow(const ProgramNode& node, const RtValue& l,
                                           const RtValue& r) {
    if (node.op == OpCode::kEq || node.op == OpCode::kNe) {
      const int equal = Equal(node, l, r);
      if (equal < 0) return Failed();
      return RtValue::Bool((equal == 1) == (node.op == OpCode::kEq));
    }
    int order = 0;
    if (!Compare(node, l, r, &order)) return Failed();
    const bool result = node.op == OpCode::kLt   ? order < 0
                        : node.op == OpCode::kLe ? order <= 0
                        : node.op == OpCode::kGt ? order > 0
                                                 : order >= 0;
    return RtValue::Bool(result);
  }

  // The operations Eval does not handle itself.
  [[gnu::noinline]] RtValue EvalOther(const ProgramNode& node) {
    switch (node.op) {
      case OpCode::kHas:
        return RtValue::Bool(!ReadField(node).is_null());
      case OpCode::kList:
        return List(node);
      case OpCode::kNot: {
        const RtValue v = Operand(node, 0);
        if (v.type != T::kBool) [[unlikely]] {
          return v.type == kFailed ? v : Fail(node, "operator '!' needs a bool, got " + TypeOf(v));
        }
        return RtValue::Bool(!v.b);
      }
      case OpCode::kNeg:
        return Negate(node, Operand(node, 0));
      case OpCode::kTernary: {
        const RtValue condition = Operand(node, 0);
        if (condition.type != T::kBool) [[unlikely]] {
          return condition.type == kFailed
                     ? condition
                     : Fail(node, "condition of '?:' must be a bool, got " + TypeOf(condition));
        }
        return Operand(node, condition.b ? 1 : 2);
      }
      case OpCode::kCall:
        return Call(node);
      default:
        break;
    }
    const RtValue l = Operand(node, 0);
    if (l.type == kFailed) return l;
    const RtValue r = Operand(node, 1);
    if (r.type == kFailed) return r;
    switch (node.op) {
      case OpCode::kIn:
        return In(node, l, r);
      case OpCode::kIndex:
        return Index(node, l, r);
      default:
        return Arithmetic(node, l, r);
    }
  }

  [[gnu::cold, gnu::noinline]] RtValue Fail(const ProgramNode& node, std::string_view message) {
    *error_ = program_.file + ":" + std::to_string(node.line) + ":" + std::to_string(node.column) +
              ": " + std::string(message);
    return Failed();
  }

  [[gnu::cold, gnu::noinline]] RtValue StepLimit(const ProgramNode& node) {
    return Fail(node,
                "evaluation exceeded the step limit (" + std::to_string(program_.max_steps) + ")");
  }

  [[gnu::cold, gnu::noinline]] RtValue LogicalError(const ProgramNode& node, const RtValue& v) {
    if (v.type == kFailed) return v;
    return Fail(node, "operator '" + std::string(OpCodeText(node.op)) + "' needs bools, got " +
                          TypeOf(v) + (v.is_null() ? " (use has() to check presence)" : ""));
  }

  static std::string TypeOf(const RtValue& v) { return std::string(ValueTypeName(v.type)); }

  [[gnu::cold, gnu::noinline]] RtValue Mismatch(const ProgramNode& node, const RtValue& l,
                                                const RtValue& r) {
    if (l.is_null() || r.is_null()) {
      return Fail(node, "operator '" + std::string(OpCodeText(node.op)) +
                            "' applied to null (use has() to check presence)");
    }
    return Fail(node, "operator '" + std::string(OpCodeText(node.op)) + "' cannot be applied to " +
                          TypeOf(l) + " and " + TypeOf(r));
  }

  RtValue List(const ProgramNode& node) {
    std::vector<RtValue>& lists = scratch_->lists;
    const size_t base = lists.size();
    lists.resize(base + node.arg_count);  // within the reserved capacity: no reallocation
    for (uint32_t i = 0; i < node.arg_count; ++i) {
      const RtValue item = Operand(node, i);
      if (item.type == kFailed) return item;
      lists[base + i] = item;
    }
    return RtValue::List(lists.data() + base, node.arg_count);
  }

  RtValue Negate(const ProgramNode& node, const RtValue& v) {
    switch (v.type) {
      case T::kInt:
      case T::kDuration: {
        if (v.i == std::numeric_limits<int64_t>::min()) return Fail(node, "integer overflow");
        RtValue out = v;
        out.i = -v.i;
        return out;
      }
      case T::kDouble:
        return RtValue::Double(-v.d);
      case kFailed:
        return v;
      case T::kNull:
        return Fail(node, "operator '-' applied to null (use has() to check presence)");
      default:
        return Fail(node, "operator '-' cannot be applied to " + TypeOf(v));
    }
  }

  // 1 when equal, 0 when not, -1 after a run-time error.
  int Equal(const ProgramNode& node, const RtValue& l, const RtValue& r) {
    if (l.type == r.type) {
      switch (l.type) {
        case T::kNull:
          return 1;
        case T::kBool:
          return l.b == r.b;
        case T::kInt:
        case T::kTimestamp:
        case T::kDuration:
          return l.i == r.i;
        case T::kDouble:
          return l.d == r.d;
        case T::kString:
          return l.s() == r.s();
        case T::kList: {
          if (l.size != r.size) return 0;
          for (size_t k = 0; k < l.size; ++k) {
            const int equal = Equal(node, l.Item(k), r.Item(k));
            if (equal != 1) return equal;
          }
          return 1;
        }
        default:
          break;
      }
    } else if (l.is_null() || r.is_null()) {
      return 0;
    } else if (Numeric(l) && Numeric(r)) {
      return AsDouble(l) == AsDouble(r);
    }
    Fail(node, "cannot compare " + TypeOf(l) + " and " + TypeOf(r) + " for equality");
    return -1;
  }

  bool Compare(const ProgramNode& node, const RtValue& l, const RtValue& r, int* order) {
    auto sign = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
    if (l.type == r.type) {
      switch (l.type) {
        case T::kInt:
        case T::kTimestamp:
        case T::kDuration:
          *order = sign(l.i, r.i);
          return true;
        case T::kString: {
          const int c = l.s().compare(r.s());
          *order = c < 0 ? -1 : (c == 0 ? 0 : 1);
          return true;
        }
        default:
          break;
      }
    }
    if (Numeric(l) && Numeric(r)) {
      const double a = AsDouble(l), b = AsDouble(r);
      if (std::isnan(a) || std::isnan(b)) [[unlikely]] {
        Fail(node, "cannot order NaN");
        return false;
      }
      *order = sign(a, b);
      return true;
    }
    Mismatch(node, l, r);
    return false;
  }

  RtValue In(const ProgramNode& node, const RtValue& item, const RtValue& container) {
    if (container.type == T::kList) {
      steps_ += static_cast<int64_t>(container.size);
      if (steps_ > program_.max_steps) return StepLimit(node);
      if (static_cast<ListKind>(container.kind) == ListKind::kStrings && item.type == T::kString) {
        const auto& strings =
            *static_cast<const google::protobuf::RepeatedPtrField<std::string>*>(container.object);
        const std::string_view wanted = item.s();
        for (const std::string& s : strings) {
          if (s == wanted) return RtValue::Bool(true);
        }
        return RtValue::Bool(false);
      }
      for (size_t k = 0; k < container.size; ++k) {
        const int equal = Equal(node, item, container.Item(k));
        if (equal < 0) return Failed();
        if (equal == 1) return RtValue::Bool(true);
      }
      return RtValue::Bool(false);
    }
    if (container.type == T::kMap && item.type == T::kString) {
      return RtValue::Bool(MapContains(container, item.s()));
    }
    return Mismatch(node, item, container);
  }

  RtValue Index(const ProgramNode& node, const RtValue& base, const RtValue& key) {
    if (base.type == T::kList && key.type == T::kInt) {
      if (key.i < 0 || static_cast<uint64_t>(key.i) >= base.size) {
        return Fail(node, "list index " + std::to_string(key.i) + " out of range (size " +
                              std::to_string(base.size) + ")");
      }
      return base.Item(static_cast<size_t>(key.i));
    }
    if (base.type == T::kMap && key.type == T::kString &&
        (base.map_kind() == MapKind::kEventProperties || base.map_kind() == MapKind::kProfile)) {
      const ValueMap& map = *static_cast<const ValueMap*>(base.object);
      auto it = map.find(key.s());
      return it == map.end() ? RtValue::Null() : FromProtoValue(it->second);
    }
    return Fail(node, "cannot index " + TypeOf(base) + " with " + TypeOf(key));
  }

  // a + b, a - b or a * b as an int-like value of `type`, or an overflow error.
  RtValue CheckedInt(const ProgramNode& node, OpCode op, int64_t a, int64_t b, T type) {
    int64_t value = 0;
    const bool overflow = op == OpCode::kAdd   ? __builtin_add_overflow(a, b, &value)
                          : op == OpCode::kSub ? __builtin_sub_overflow(a, b, &value)
                                               : __builtin_mul_overflow(a, b, &value);
    if (overflow) [[unlikely]] {
      return Fail(node, "integer overflow");
    }
    RtValue out = RtValue::Int(value);
    out.type = type;
    return out;
  }

  RtValue Arithmetic(const ProgramNode& node, const RtValue& l, const RtValue& r) {
    if (l.type == T::kInt && r.type == T::kInt) {
      switch (node.op) {
        case OpCode::kAdd:
          return CheckedInt(node, OpCode::kAdd, l.i, r.i, T::kInt);
        case OpCode::kSub:
          return CheckedInt(node, OpCode::kSub, l.i, r.i, T::kInt);
        case OpCode::kMul:
          return CheckedInt(node, OpCode::kMul, l.i, r.i, T::kInt);
        case OpCode::kDiv:
        case OpCode::kMod:
          if (r.i == 0) {
            return Fail(node, node.op == OpCode::kDiv ? "division by zero" : "modulo by zero");
          }
          if (l.i == std::numeric_limits<int64_t>::min() && r.i == -1) {
            return Fail(node, "integer overflow");
          }
          return RtValue::Int(node.op == OpCode::kDiv ? l.i / r.i : l.i % r.i);
        default:
          break;
      }
    }
    if (Numeric(l) && Numeric(r) && node.op != OpCode::kMod) {
      const double a = AsDouble(l), b = AsDouble(r);
      switch (node.op) {
        case OpCode::kAdd:
          return RtValue::Double(a + b);
        case OpCode::kSub:
          return RtValue::Double(a - b);
        case OpCode::kMul:
          return RtValue::Double(a * b);
        case OpCode::kDiv:
          if (b == 0) return Fail(node, "division by zero");
          return RtValue::Double(a / b);
        default:
          break;
      }
    }
    const bool ts_l = l.type == T::kTimestamp, ts_r = r.type == T::kTimestamp;
    const bool dur_l = l.type == T::kDuration, dur_r = r.type == T::kDuration;
    if (node.op == OpCode::kAdd) {
      if (l.type == T::kString && r.type == T::kString) return Concat(node, l.s(), r.s());
      if ((ts_l && dur_r) || (dur_l && ts_r)) {
        return CheckedInt(node, OpCode::kAdd, l.i, r.i, T::kTimestamp);
      }
      if (dur_l && dur_r) {
        return CheckedInt(node, OpCode::kAdd, l.i, r.i, T::kDuration);
      }
    }
    if (node.op == OpCode::kSub) {
      if (ts_l && ts_r) {
        return CheckedInt(node, OpCode::kSub, l.i, r.i, T::kDuration);
      }
      if (ts_l && dur_r) {
        return CheckedInt(node, OpCode::kSub, l.i, r.i, T::kTimestamp);
      }
      if (dur_l && dur_r) {
        return CheckedInt(node, OpCode::kSub, l.i, r.i, T::kDuration);
      }
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

  RtValue Concat(const ProgramNode& node, std::string_view a, std::string_view b) {
    char* data = NewString(node, a.size() + b.size());
    if (data == nullptr) return Failed();
    std::copy(a.begin(), a.end(), data);
    std::copy(b.begin(), b.end(), data + a.size());
    return RtValue::String(std::string_view(data, a.size() + b.size()));
  }

  RtValue Call(const ProgramNode& node) {
    RtValue args[2];
    for (uint32_t k = 0; k < node.arg_count; ++k) {
      args[k] = Operand(node, k);
      if (args[k].type == kFailed) return args[k];
    }
    const BuiltinInfo& builtin = GetBuiltin(node.builtin);
    for (uint32_t k = 0; k < node.arg_count; ++k) {
      if (args[k].is_null()) {
        return Fail(node,
                    std::string(builtin.name) + "() received null (use has() to check presence)");
      }
    }
    CallRuntime runtime(this, node, builtin.name);
    return builtin.run(args, runtime);
  }

  // What a builtin's implementation sees of this interpreter during one call.
  class CallRuntime final : public BuiltinRuntime {
   public:
    CallRuntime(Interpreter* interpreter, const ProgramNode& node, std::string_view name)
        : BuiltinRuntime(interpreter->fields_.now_ms),
          in_(*interpreter),
          node_(node),
          name_(name) {}
    RtValue Fail(std::string_view message) override { return in_.Fail(node_, message); }
    RtValue Unsupported(const RtValue& value) override {
      return in_.Fail(node_, std::string(name_) + "() cannot be applied to " + TypeOf(value));
    }
    char* NewString(size_t size) override { return in_.NewString(node_, size); }
    bool Compare(const RtValue& a, const RtValue& b, int* order) override {
      return in_.Compare(node_, a, b, order);
    }
    RtValue Format(const RtValue& value) override {
      std::string& buffer = in_.scratch_->format_buffer;
      buffer.clear();
      AppendText(value, "", &buffer);
      return in_.Concat(node_, buffer, {});
    }
    const date::time_zone* customer_zone() override {
      return CustomerZone(in_.fields_.customer, &in_.scratch_->zones);
    }
    RtValue Failed() const override { return Interpreter::Failed(); }

   private:
    Interpreter& in_;
    const ProgramNode& node_;
    std::string_view name_;
  };

  const Program& program_;
  const FieldContext& fields_;
  EvalScratch* scratch_;
  std::string* error_;
  int64_t steps_ = 0;
};

// Readies the scratch for one evaluation of `program`: list storage reserved for the most
// elements it can build (so list views never move), field cache slots emptied. Allocates
// only the first time a program needs more than any before.
void Prepare(const Program& program, EvalScratch* scratch) {
  scratch->lists.clear();
  if (scratch->lists.capacity() < program.max_list_elements) [[unlikely]] {
    scratch->lists.reserve(program.max_list_elements);
  }
  RtValue empty;
  empty.type = kFailed;
  scratch->fields.assign(program.field_slots, empty);
}

}  // namespace

bool RunProgram(const Program& program, const FieldContext& fields, EvalScratch* scratch,
                RtValue* result, std::string* error) {
  Prepare(program, scratch);
  Interpreter interpreter(program, fields, scratch, error);
  *result = interpreter.Eval(program.root);
  return result->type != kFailed;
}

bool RunNode(const Program& program, uint32_t index, const FieldContext& fields,
             EvalScratch* scratch, RtValue* result, std::string* error) {
  Prepare(program, scratch);
  Interpreter interpreter(program, fields, scratch, error);
  *result = interpreter.Eval(index);
  return result->type != kFailed;
}

bool EvaluateConstant(const Program& program, uint32_t index, EvalScratch* scratch, RtValue* result,
                      int64_t* steps) {
  // A constant subtree reads no field, so any context will do.
  using touchstream::v1::CustomerState, touchstream::v1::TouchpointEvent;
  const FieldContext fields{TouchpointEvent::default_instance(), CustomerState::default_instance(),
                            "", "", 0};
  Prepare(program, scratch);
  std::string error;
  Interpreter interpreter(program, fields, scratch, &error);
  *result = interpreter.Eval(index);
  *steps = interpreter.steps();
  return result->type != kFailed;
}

}  // namespace touchstream::rules
