#include "rules/evaluator.h"

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

}  // namespace

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
