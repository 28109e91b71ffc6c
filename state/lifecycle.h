// The customer lifecycle: prospect -> new -> active -> loyal -> at_risk -> churned -> won_back,
// computed from the customer's purchases and the time since them.
//
// The stage at time `now`, first rule that applies:
//   no purchase yet                                          prospect
//   last purchase at least churned_after ago                 churned
//   last purchase at least at_risk_after ago                 at_risk
//   came back from churned less than won_back_for ago        won_back
//   at least loyal_purchases purchases                       loyal
//   first purchase less than new_for ago                     new
//   otherwise                                                active
// A rule's set_stage action overrides the computed stage until the computed stage changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

struct LifecycleConfig {
  int64_t new_for_ms = 30LL * 86400000;
  int64_t at_risk_after_ms = 90LL * 86400000;
  int64_t churned_after_ms = 180LL * 86400000;
  int64_t won_back_for_ms = 30LL * 86400000;
  int64_t loyal_purchases = 5;
};

// The computed stage (ignoring overrides) of `state` at `now_ms`.
std::string_view ComputeStage(const LifecycleConfig& config, const v1::CustomerState& state,
                              int64_t now_ms);

// The earliest time after `now_ms` at which the computed stage can change with no new event,
// or nullopt when it cannot (prospects, churned customers).
std::optional<int64_t> NextStageChangeMs(const LifecycleConfig& config,
                                         const v1::CustomerState& state, int64_t now_ms);

// Most transitions kept in Lifecycle.transitions.
inline constexpr int kMaxStageTransitions = 16;

// A change of effective stage, as UpdateLifecycle reports it.
struct StageChange {
  std::string from;  // "" for a customer's first stage
  std::string to;
};

// Brings state->lifecycle up to date at `now_ms`: recomputes the stage, drops an override
// whose base stage no longer holds, and records since_ms / previous_stage and appends to
// transitions on a change.
// Returns the change of the effective stage, if any.
std::optional<StageChange> UpdateLifecycle(const LifecycleConfig& config, int64_t now_ms,
                                           v1::CustomerState* state);

// UpdateLifecycle with the computed stage given (configurable stages compute it elsewhere).
std::optional<StageChange> ApplyComputedStage(std::string_view computed, int64_t now_ms,
                                              v1::CustomerState* state);

// A rule's set_stage: the effective stage becomes `stage` until the computed one changes.
// Returns the change, if the effective stage differs.
std::optional<StageChange> OverrideStage(const LifecycleConfig& config, std::string_view stage,
                                         int64_t now_ms, v1::CustomerState* state);
// OverrideStage with the computed stage given.
std::optional<StageChange> OverrideComputedStage(std::string_view computed, std::string_view stage,
                                                 int64_t now_ms, v1::CustomerState* state);

// Call before folding a purchase at `event_ms` into the aggregates: when the customer is
// churned at that time, the purchase wins them back (lifecycle.won_back_ms = event_ms).
void NotePurchase(const LifecycleConfig& config, int64_t event_ms, v1::CustomerState* state);

}  // namespace touchstream::state
