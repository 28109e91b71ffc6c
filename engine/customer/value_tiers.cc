#include "engine/customer/value_tiers.h"

#include <cmath>

namespace touchstream::engine {

ValueTiers::ValueTiers(const ValueTiersConfig& config) : config_(config) {
  rule_.id = "value_tiers";
  rule_.file = "value_tiers.score";
}

bool ValueTiers::Update(rules::Evaluator& evaluator, const rules::CustomerModels* models,
                        const v1::TouchpointEvent& event, v1::CustomerState* state) const {
  if (config_.score == nullptr) return false;
  rules::EvalContext ctx{&event, state, event.ts_ms(), models};
  auto value = evaluator.EvaluateValue(rule_, *config_.score, ctx);
  if (!value.ok()) return false;
  double score = 0;
  if (value->kind_case() == v1::Value::kIntValue) {
    score = static_cast<double>(value->int_value());
  } else if (value->kind_case() == v1::Value::kDoubleValue) {
    score = value->double_value();
  } else {
    return false;  // null, or a dyn expression that was not a number
  }
  if (!std::isfinite(score)) return false;
  v1::ValueTier* tier = state->mutable_value();
  tier->set_score(score);
  const std::string* name = nullptr;
  for (const ValueTierLevel& level : config_.levels) {
    if (score >= level.min) name = &level.name;
  }
  const std::string& now_tier = name != nullptr ? *name : std::string();
  if (now_tier != tier->tier() || tier->since_ms() == 0) {
    if (now_tier != tier->tier()) tier->set_tier(now_tier);
    tier->set_since_ms(event.ts_ms());
  }
  return true;
}

}  // namespace touchstream::engine
