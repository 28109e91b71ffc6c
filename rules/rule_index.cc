#include "rules/rule_index.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <variant>

#include "rules/field_catalog.h"
#include "rules/program.h"
#include "rules/rule.h"

namespace touchstream::rules {
namespace {

using T = ValueType;

// The accessor of `event.properties.<name>`, which the compiler puts in the field nodes that
// read an event property.
FieldAccessor EventPropertyAccessor() {
  for (const FieldDef& field : FieldCatalog()) {
    if (field.path == "event.properties.<name>") return field.accessor;
  }
  return nullptr;
}

// The node the evaluation of `program` starts with: the leftmost operand of its && chain.
const ProgramNode& FirstTest(const Program& program) {
  const ProgramNode* node = &program.nodes[program.root];
  while (node->op == OpCode::kAnd && node->arg_count == 2) {
    node = &program.nodes[program.args[node->first_arg]];
  }
  return *node;
}

const ProgramNode& Operand(const Program& program, const ProgramNode& node, uint32_t i) {
  return program.nodes[program.args[node.first_arg + i]];
}

bool IsEventProperty(const ProgramNode& node, FieldAccessor accessor) {
  return node.op == OpCode::kField && node.accessor == accessor && accessor != nullptr;
}

// A constant operand, when its evaluation is a plain read (a folded constant whose steps
// cannot approach the step limit counts as one).
std::optional<RtValue> Constant(const Program& program, const ProgramNode& node) {
  if (node.op == OpCode::kConst) return node.constant;
  if (node.op == OpCode::kFolded && node.weight < program.max_steps / 2) return node.constant;
  return std::nullopt;
}

// The elements of a constant list operand (`[...]` of constants, folded or not), or nullopt.
std::optional<std::vector<RtValue>> ConstantList(const Program& program, const ProgramNode& node) {
  std::vector<RtValue> items;
  if (node.op == OpCode::kList) {
    for (uint32_t i = 0; i < node.arg_count; ++i) {
      const ProgramNode& item = Operand(program, node, i);
      if (item.op != OpCode::kConst) return std::nullopt;
      items.push_back(item.constant);
    }
  } else if (auto constant = Constant(program, node);
             constant && constant->type == T::kList &&
             static_cast<ListKind>(constant->kind) == ListKind::kValues) {
    for (size_t k = 0; k < constant->size; ++k) items.push_back(constant->Item(k));
  } else {
    return std::nullopt;
  }
  // The list is built and searched in steps of its own: keep far from the step limit.
  if (static_cast<int64_t>(2 * items.size()) + 16 > program.max_steps) return std::nullopt;
  return items;
}

// `constant OP p` as `p OP' constant`.
OpCode Mirror(OpCode op) {
  switch (op) {
    case OpCode::kLt:
      return OpCode::kGt;
    case OpCode::kLe:
      return OpCode::kGe;
    case OpCode::kGt:
      return OpCode::kLt;
    case OpCode::kGe:
      return OpCode::kLe;
    default:
      return op;
  }
}

const v1::Value* PropertyOf(const v1::TouchpointEvent& event, const std::string& name) {
  const auto it = event.properties().find(name);
  if (it == event.properties().end() || it->second.kind_case() == v1::Value::KIND_NOT_SET) {
    return nullptr;
  }
  return &it->second;
}

void Append(const std::vector<uint32_t>& ranks, std::vector<uint32_t>* out) {
  out->insert(out->end(), ranks.begin(), ranks.end());
}

}  // namespace

EventRuleIndex::EventRuleIndex(std::vector<const Rule*> rules) : rules_(std::move(rules)) {
  for (uint32_t rank = 0; rank < rules_.size(); ++rank) {
    if (Add(*rules_[rank], rank)) {
      ++indexed_;
    } else {
      unindexed_.push_back(rank);
    }
  }
  for (auto& [name, keys] : by_property_) {
    std::sort(keys.lower.begin(), keys.lower.end(),
              [](const Bound& a, const Bound& b) { return a.d < b.d; });
    std::sort(keys.upper.begin(), keys.upper.end(),
              [](const Bound& a, const Bound& b) { return a.d > b.d; });
  }
}

bool EventRuleIndex::Add(const Rule& rule, uint32_t rank) {
  if (!std::holds_alternative<EventTrigger>(rule.trigger) || rule.condition == nullptr) {
    return false;
  }
  const Program& program = *rule.condition;
  const ProgramNode& test = FirstTest(program);
  if (test.arg_count != 2) return false;
  const FieldAccessor property = EventPropertyAccessor();
  const ProgramNode* field = &Operand(program, test, 0);
  const ProgramNode* other = &Operand(program, test, 1);
  OpCode op = test.op;
  if (op == OpCode::kIn) {
    if (!IsEventProperty(*field, property)) return false;
    auto items = ConstantList(program, *other);
    if (!items || items->empty()) return false;
    const T kind = items->front().type;
    if (kind != T::kString && kind != T::kInt) return false;
    for (const RtValue& item : *items) {
      if (item.type != kind) return false;
    }
    PropertyKeys& keys = by_property_[std::string(field->key)];
    for (const RtValue& item : *items) {
      std::vector<uint32_t>& ranks =
          kind == T::kString ? keys.by_string[std::string(item.s())] : keys.by_int[item.i];
      if (ranks.empty() || ranks.back() != rank) ranks.push_back(rank);
    }
    (kind == T::kString ? keys.string_keyed : keys.int_keyed).push_back(rank);
    return true;
  }
  if (!IsEventProperty(*field, property)) {
    std::swap(field, other);
    op = Mirror(op);
  }
  if (!IsEventProperty(*field, property)) return false;
  const std::optional<RtValue> constant = Constant(program, *other);
  if (!constant) return false;
  if (op == OpCode::kEq) {
    if (constant->type != T::kString && constant->type != T::kInt) return false;
    PropertyKeys& keys = by_property_[std::string(field->key)];
    if (constant->type == T::kString) {
      keys.by_string[std::string(constant->s())].push_back(rank);
      keys.string_keyed.push_back(rank);
    } else {
      keys.by_int[constant->i].push_back(rank);
      keys.int_keyed.push_back(rank);
    }
    return true;
  }
  if (op != OpCode::kGe && op != OpCode::kGt && op != OpCode::kLe && op != OpCode::kLt) {
    return false;
  }
  if (constant->type != T::kInt && constant->type != T::kDouble) return false;
  if (constant->type == T::kDouble && std::isnan(constant->d)) return false;
  Bound bound;
  bound.is_int = constant->type == T::kInt;
  bound.i = constant->i;
  bound.d = bound.is_int ? static_cast<double>(constant->i) : constant->d;
  bound.inclusive = op == OpCode::kGe || op == OpCode::kLe;
  bound.rank = rank;
  PropertyKeys& keys = by_property_[std::string(field->key)];
  (op == OpCode::kGe || op == OpCode::kGt ? keys.lower : keys.upper).push_back(bound);
  return true;
}

std::span<const Rule* const> EventRuleIndex::Candidates(const v1::TouchpointEvent& event,
                                                        RuleCandidates* scratch) const {
  if (by_property_.empty()) return rules_;
  std::vector<uint32_t>& ranks = scratch->ranks;
  ranks.assign(unindexed_.begin(), unindexed_.end());
  for (const auto& [name, keys] : by_property_) {
    const v1::Value* value = PropertyOf(event, name);
    AddEqualityCandidates(keys, value, &ranks);
    AddRangeCandidates(keys, value, &ranks);
  }
  std::sort(ranks.begin(), ranks.end());
  scratch->rules.clear();
  for (uint32_t rank : ranks) scratch->rules.push_back(rules_[rank]);
  return scratch->rules;
}

void EventRuleIndex::AddEqualityCandidates(const PropertyKeys& keys, const v1::Value* value,
                                           std::vector<uint32_t>* out) {
  if (value == nullptr) return;  // null == c, null in [...]: false
  // A value of the other key kind makes the comparison an error: those rules run, to report
  // it. Other kinds (double, bool, timestamp) are left to the evaluator.
  const bool is_string = value->kind_case() == v1::Value::kStringValue;
  const bool is_int = value->kind_case() == v1::Value::kIntValue;
  if (!is_string && !is_int) {
    Append(keys.string_keyed, out);
    Append(keys.int_keyed, out);
  } else if (is_string) {
    if (auto it = keys.by_string.find(value->string_value()); it != keys.by_string.end()) {
      Append(it->second, out);
    }
    Append(keys.int_keyed, out);
  } else {
    if (auto it = keys.by_int.find(value->int_value()); it != keys.by_int.end()) {
      Append(it->second, out);
    }
    Append(keys.string_keyed, out);
  }
}

void EventRuleIndex::AddRangeCandidates(const PropertyKeys& keys, const v1::Value* value,
                                        std::vector<uint32_t>* out) {
  if (keys.lower.empty() && keys.upper.empty()) return;
  const bool is_int = value != nullptr && value->kind_case() == v1::Value::kIntValue;
  const bool is_double = value != nullptr && value->kind_case() == v1::Value::kDoubleValue &&
                         !std::isnan(value->double_value());
  if (!is_int && !is_double) {  // absent, NaN or not a number: an error the rules report
    for (const Bound& b : keys.lower) out->push_back(b.rank);
    for (const Bound& b : keys.upper) out->push_back(b.rank);
    return;
  }
  const double v = is_int ? static_cast<double>(value->int_value()) : value->double_value();
  // -1, 0, 1 as the interpreter orders the value against the bound.
  auto order = [&](const Bound& b) {
    if (is_int && b.is_int) {
      return (value->int_value() > b.i) - (value->int_value() < b.i);
    }
    return (v > b.d) - (v < b.d);
  };
  // Bounds are sorted by their double value, which int bounds map to monotonically: past the
  // first bound above (below) the value, none can hold.
  for (const Bound& b : keys.lower) {
    if (b.d > v) break;
    const int o = order(b);
    if (o > 0 || (o == 0 && b.inclusive)) out->push_back(b.rank);
  }
  for (const Bound& b : keys.upper) {
    if (b.d < v) break;
    const int o = order(b);
    if (o < 0 || (o == 0 && b.inclusive)) out->push_back(b.rank);
  }
}

}  // namespace touchstream::rules
