#include "state/lifecycle.h"

#include <algorithm>

namespace touchstream::state {

namespace {

std::optional<StageChange> SetEffective(std::string_view stage, int64_t now_ms,
                                        v1::Lifecycle* lifecycle) {
  if (lifecycle->stage() == stage) return std::nullopt;
  StageChange change{lifecycle->stage(), std::string(stage)};
  lifecycle->set_previous_stage(lifecycle->stage());
  lifecycle->set_stage(std::string(stage));
  lifecycle->set_since_ms(now_ms);
  auto* transitions = lifecycle->mutable_transitions();
  if (transitions->size() >= kMaxStageTransitions) {
    transitions->DeleteSubrange(0, transitions->size() - kMaxStageTransitions + 1);
  }
  v1::StageTransition* transition = transitions->Add();
  transition->set_from(change.from);
  transition->set_to(change.to);
  transition->set_at_ms(now_ms);
  return change;
}

}  // namespace

std::string_view ComputeStage(const LifecycleConfig& config, const v1::CustomerState& state,
                              int64_t now_ms) {
  const v1::Aggregates& aggregates = state.aggregates();
  if (aggregates.purchase_count() == 0) return "prospect";
  const int64_t since_last = now_ms - aggregates.last_purchase_ms();
  if (since_last >= config.churned_after_ms) return "churned";
  if (since_last >= config.at_risk_after_ms) return "at_risk";
  const int64_t won_back = state.lifecycle().won_back_ms();
  if (won_back != 0 && now_ms - won_back < config.won_back_for_ms) return "won_back";
  if (aggregates.purchase_count() >= config.loyal_purchases) return "loyal";
  if (now_ms - aggregates.first_purchase_ms() < config.new_for_ms) return "new";
  return "active";
}

std::optional<int64_t> NextStageChangeMs(const LifecycleConfig& config,
                                         const v1::CustomerState& state, int64_t now_ms) {
  const v1::Aggregates& aggregates = state.aggregates();
  if (aggregates.purchase_count() == 0) return std::nullopt;
  std::optional<int64_t> next;
  auto consider = [&](int64_t at) {
    if (at > now_ms && (!next || at < *next)) next = at;
  };
  consider(aggregates.last_purchase_ms() + config.at_risk_after_ms);
  consider(aggregates.last_purchase_ms() + config.churned_after_ms);
  consider(aggregates.first_purchase_ms() + config.new_for_ms);
  if (state.lifecycle().won_back_ms() != 0) {
    consider(state.lifecycle().won_back_ms() + config.won_back_for_ms);
  }
  return next;
}

std::optional<StageChange> UpdateLifecycle(const LifecycleConfig& config, int64_t now_ms,
                                           v1::CustomerState* state) {
  return ApplyComputedStage(ComputeStage(config, *state, now_ms), now_ms, state);
}

std::optional<StageChange> ApplyComputedStage(std::string_view computed, int64_t now_ms,
                                              v1::CustomerState* state) {
  v1::Lifecycle* lifecycle = state->mutable_lifecycle();
  if (!lifecycle->override_stage().empty()) {
    if (lifecycle->override_base() == computed) {
      return SetEffective(lifecycle->override_stage(), now_ms, lifecycle);
    }
    lifecycle->clear_override_stage();
    lifecycle->clear_override_base();
  }
  return SetEffective(computed, now_ms, lifecycle);
}

std::optional<StageChange> OverrideStage(const LifecycleConfig& config, std::string_view stage,
                                         int64_t now_ms, v1::CustomerState* state) {
  return OverrideComputedStage(ComputeStage(config, *state, now_ms), stage, now_ms, state);
}

std::optional<StageChange> OverrideComputedStage(std::string_view computed, std::string_view stage,
                                                 int64_t now_ms, v1::CustomerState* state) {
  v1::Lifecycle* lifecycle = state->mutable_lifecycle();
  lifecycle->set_override_stage(std::string(stage));
  lifecycle->set_override_base(std::string(computed));
  return SetEffective(stage, now_ms, lifecycle);
}

void NotePurchase(const LifecycleConfig& config, int64_t event_ms, v1::CustomerState* state) {
  if (state->aggregates().purchase_count() > 0 &&
      event_ms >= state->aggregates().last_purchase_ms() &&
      ComputeStage(config, *state, event_ms) == "churned") {
    state->mutable_lifecycle()->set_won_back_ms(event_ms);
  }
}

}  // namespace touchstream::state
