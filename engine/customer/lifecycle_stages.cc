#include "engine/customer/lifecycle_stages.h"

namespace touchstream::engine {

LifecycleStages::LifecycleStages(const state::LifecycleConfig& thresholds,
                                 const LifecycleStagesConfig& config)
    : thresholds_(thresholds), config_(config) {}

std::string LifecycleStages::Compute(rules::Evaluator& evaluator,
                                     const rules::CustomerModels* models,
                                     const v1::CustomerState& state, int64_t now_ms) const {
  if (!configured()) return std::string(state::ComputeStage(thresholds_, state, now_ms));
  const rules::EvalContext ctx{nullptr, &state, now_ms, models};
  for (const LifecycleStage& stage : config_.stages) {
    if (evaluator.EvaluateCondition(stage.rule, ctx, nullptr) == rules::ConditionResult::kTrue) {
      return stage.name;
    }
  }
  return config_.stages.back().name;  // not reached: the last stage has no condition
}

std::optional<state::StageChange> LifecycleStages::Update(rules::Evaluator& evaluator,
                                                          const rules::CustomerModels* models,
                                                          int64_t now_ms,
                                                          v1::CustomerState* state) const {
  if (!configured()) return state::UpdateLifecycle(thresholds_, now_ms, state);
  return state::ApplyComputedStage(Compute(evaluator, models, *state, now_ms), now_ms, state);
}

std::optional<state::StageChange> LifecycleStages::Override(rules::Evaluator& evaluator,
                                                            const rules::CustomerModels* models,
                                                            std::string_view stage, int64_t now_ms,
                                                            v1::CustomerState* state) const {
  if (!configured()) return state::OverrideStage(thresholds_, stage, now_ms, state);
  return state::OverrideComputedStage(Compute(evaluator, models, *state, now_ms), stage, now_ms,
                                      state);
}

void LifecycleStages::NotePurchase(int64_t event_ms, v1::CustomerState* state) const {
  if (!configured()) state::NotePurchase(thresholds_, event_ms, state);
}

std::optional<int64_t> LifecycleStages::NextEvaluationMs(const v1::CustomerState& state,
                                                         int64_t now_ms) const {
  if (!configured()) return state::NextStageChangeMs(thresholds_, state, now_ms);
  if (config_.reevaluate_every_ms <= 0) return std::nullopt;
  return now_ms + config_.reevaluate_every_ms;
}

}  // namespace touchstream::engine
