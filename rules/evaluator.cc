#include "rules/evaluator.h"

#include "rules/builtins.h"

namespace touchstream::rules {

namespace {

FieldContext MakeFields(const Rule& rule, const EvalContext& ctx) {
  return FieldContext{
      ctx.event != nullptr ? *ctx.event : touchstream::v1::TouchpointEvent::default_instance(),
      ctx.customer != nullptr ? *ctx.customer : touchstream::v1::CustomerState::default_instance(),
      rule.id,
      rule.version,
      ctx.now_ms,
      ctx.models};
}

bool IsComparison(OpCode op) {
  return op == OpCode::kEq || op == OpCode::kNe || op == OpCode::kLt || op == OpCode::kLe ||
         op == OpCode::kGt || op == OpCode::kGe || op == OpCode::kIn;
}

bool IsConstant(const ProgramNode& node) {
  return node.op == OpCode::kConst || node.op == OpCode::kFolded;
}

std::string ValueText(const RtValue& value) {
  std::string text;
  if (value.type == ValueType::kString) text += '"';
  AppendText(value, "null", &text);
  if (value.type == ValueType::kString) text += '"';
  return text;
}

// The field's path as written ("customer.aggregates.total_spend").
std::string FieldPath(const Program& program, const ProgramNode& node) {
  for (const Program::FieldRef& ref : program.fields) {
    if (ref.accessor == node.accessor && ref.key == node.key) return ref.path;
  }
  return "field";
}

// Node `index` written back as an expression (spacing normalized).
std::string NodeText(const Program& program, uint32_t index) {
  const ProgramNode& node = program.nodes[index];
  auto arg = [&](uint32_t i) { return NodeText(program, program.args[node.first_arg + i]); };
  auto args = [&]() {
    std::string text;
    for (uint32_t i = 0; i < node.arg_count; ++i) text += (i == 0 ? "" : ", ") + arg(i);
    return text;
  };
  switch (node.op) {
    case OpCode::kConst:
    case OpCode::kFolded:
      return ValueText(node.constant);
    case OpCode::kField:
      return FieldPath(program, node);
    case OpCode::kHas:
      return "has(" + FieldPath(program, node) + ")";
    case OpCode::kList:
      return "[" + args() + "]";
    case OpCode::kNot:
      return "!" + arg(0);
    case OpCode::kNeg:
      return "-" + arg(0);
    case OpCode::kTernary:
      return arg(0) + " ? " + arg(1) + " : " + arg(2);
    case OpCode::kIndex:
      return arg(0) + "[" + arg(1) + "]";
    case OpCode::kCall:
      return std::string(GetBuiltin(node.builtin).name) + "(" + args() + ")";
    default:
      return "(" + arg(0) + " " + std::string(OpCodeText(node.op)) + " " + arg(1) + ")";
  }
}

}  // namespace

std::vector<std::string> Evaluator::ExplainDecidingComparisons(const Rule& rule,
                                                               const EvalContext& ctx) {
  std::vector<std::string> out;
  if (rule.condition == nullptr) return out;
  scratch_.strings.Reset();
  const FieldContext fields = MakeFields(rule, ctx);
  ExplainNode(*rule.condition, rule.condition->root, fields, &out);
  return out;
}

std::string Evaluator::NodeValue(const Program& program, uint32_t index, const FieldContext& fields,
                                 bool* failed) {
  RtValue value;
  std::string error;
  *failed = !RunNode(program, index, fields, &scratch_, &value, &error);
  return *failed ? "error: " + error : ValueText(value);
}

void Evaluator::ExplainNode(const Program& program, uint32_t index, const FieldContext& fields,
                            std::vector<std::string>* out) {
  const ProgramNode& node = program.nodes[index];
  auto arg = [&](uint32_t i) { return program.args[node.first_arg + i]; };
  if (node.op == OpCode::kAnd || node.op == OpCode::kOr) {
    // The operand that settled it (the first false of an &&, the first true of an ||), or
    // all of them when none did.
    const std::string settles = node.op == OpCode::kAnd ? "false" : "true";
    for (uint32_t i = 0; i < node.arg_count; ++i) {
      bool failed = false;
      if (NodeValue(program, arg(i), fields, &failed) == settles || failed) {
        ExplainNode(program, arg(i), fields, out);
        return;
      }
    }
    for (uint32_t i = 0; i < node.arg_count; ++i) ExplainNode(program, arg(i), fields, out);
    return;
  }
  if (node.op == OpCode::kNot) {
    ExplainNode(program, arg(0), fields, out);
    return;
  }
  bool failed = false;
  const std::string result = NodeValue(program, index, fields, &failed);
  std::string text;
  if (IsComparison(node.op)) {
    for (uint32_t i = 0; i < 2; ++i) {
      const ProgramNode& operand = program.nodes[arg(i)];
      if (i == 1) text += " " + std::string(OpCodeText(node.op)) + " ";
      bool operand_failed = false;
      const std::string value = NodeValue(program, arg(i), fields, &operand_failed);
      text += IsConstant(operand) ? value : NodeText(program, arg(i)) + " = " + value;
    }
  } else {
    text = NodeText(program, index);
  }
  out->push_back(text + ": " + result);
}

ConditionResult Evaluator::EvaluateCondition(const Rule& rule, const EvalContext& ctx,
                                             std::string* error) {
  if (rule.condition == nullptr) return ConditionResult::kTrue;
  scratch_.strings.Reset();
  const FieldContext fields = MakeFields(rule, ctx);
  RtValue value;
  if (!RunProgram(*rule.condition, fields, &scratch_, &value, &error_)) {
    if (error != nullptr) *error = error_;
    return ConditionResult::kError;
  }
  if (value.type != ValueType::kBool) {
    if (error != nullptr) {
      *error = rule.file + ": condition of rule '" + rule.id + "' evaluated to " +
               std::string(ValueTypeName(value.type)) + ", not bool" +
               (value.is_null() ? " (use has() to check presence)" : "");
    }
    return ConditionResult::kError;
  }
  return value.b ? ConditionResult::kTrue : ConditionResult::kFalse;
}

bool Evaluator::RenderTemplate(const Template& tmpl, const FieldContext& fields, std::string* out) {
  for (const Template::Segment& segment : tmpl.segments) {
    if (segment.expr == nullptr) {
      *out += segment.text;
      continue;
    }
    RtValue value;
    if (!RunProgram(*segment.expr, fields, &scratch_, &value, &error_)) return false;
    AppendText(value, "", out);
  }
  return true;
}

Result<Evaluator::RenderedEmit> Evaluator::RenderEmit(const Rule& rule, const EmitAction& emit,
                                                      const EvalContext& ctx) {
  scratch_.strings.Reset();
  const FieldContext fields = MakeFields(rule, ctx);
  RenderedEmit rendered;
  rendered.kind = emit.kind;
  rendered.channels = emit.channels;
  if (!RenderTemplate(emit.message, fields, &rendered.message)) {
    return Status::InvalidArgument(error_);
  }
  for (const PayloadEntry& entry : emit.payload) {
    std::string text;
    if (!RenderTemplate(entry.value, fields, &text)) return Status::InvalidArgument(error_);
    rendered.payload.emplace_back(entry.key, std::move(text));
  }
  for (const EmitParam& param : emit.params) {
    RtValue value;
    if (!RunProgram(*param.expr, fields, &scratch_, &value, &error_)) {
      return Status::InvalidArgument(error_);
    }
    std::string text;
    AppendText(value, "", &text);
    rendered.payload.emplace_back(param.name, std::move(text));
  }
  return rendered;
}

Result<touchstream::v1::Value> Evaluator::EvaluateValue(const Rule& rule, const Program& program,
                                                        const EvalContext& ctx) {
  scratch_.strings.Reset();
  const FieldContext fields = MakeFields(rule, ctx);
  RtValue value;
  if (!RunProgram(program, fields, &scratch_, &value, &error_)) {
    return Status::InvalidArgument(error_);
  }
  touchstream::v1::Value out;
  switch (value.type) {
    case ValueType::kNull:
      break;
    case ValueType::kBool:
      out.set_bool_value(value.b);
      break;
    case ValueType::kInt:
    case ValueType::kDuration:
      out.set_int_value(value.i);
      break;
    case ValueType::kDouble:
      out.set_double_value(value.d);
      break;
    case ValueType::kString:
      out.set_string_value(std::string(value.s()));
      break;
    case ValueType::kTimestamp:
      out.set_timestamp_ms(value.i);
      break;
    default:
      return Status::InvalidArgument(
          program.file + ": expression '" + program.canonical + "' of rule '" + rule.id +
          "' gives a " + std::string(ValueTypeName(value.type)) + ", which cannot be stored");
  }
  return out;
}

const date::time_zone* Evaluator::ZoneOf(const touchstream::v1::CustomerState& customer) {
  return CustomerZone(customer, &scratch_.zones);
}

void Evaluator::ExplainCondition(const Rule& rule, const EvalContext& ctx,
                                 std::vector<std::pair<std::string, std::string>>* inputs) {
  inputs->clear();
  if (rule.condition == nullptr) return;
  const FieldContext fields = MakeFields(rule, ctx);
  for (const Program::FieldRef& ref : rule.condition->fields) {
    std::string text;
    AppendText(ref.accessor(fields, ref.key), "null", &text);
    inputs->emplace_back(ref.path, std::move(text));
  }
}

}  // namespace touchstream::rules
