// LifecycleStages: the customer's computed lifecycle stage, from the configured stage list
// (config `lifecycle.stages:`) or, without one, from the built-in purchase thresholds
// (state/lifecycle.h).
//
// Configured stages are tried in order; the first whose `when` condition holds is the stage
// (the last one has no condition and always holds). Conditions are rule-language bool
// expressions compiled when the config is loaded, evaluated on the customer's state with
// `now` = the step's event time (so that `run` and `replay` agree) and no event (event fields
// read as on an empty event). A condition that fails to evaluate (a null operand, ...) does not
// hold. Overrides (set_stage), previous stage, since and the transition history are kept as
// state/lifecycle.h describes, whichever way the stage is computed.
//
// Time-driven changes: with the built-in thresholds, at the next threshold crossing
// (state::NextStageChangeMs); with configured stages, every reevaluate_every after the
// customer's last step (none when 0).
//
// Not thread-safe (uses the caller's Evaluator); the configs must outlive the object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules/customer_models.h"
#include "rules/evaluator.h"
#include "rules/rule.h"
#include "state/lifecycle.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

struct LifecycleStage {
  std::string name;
  // `when`, as written ("" for the last stage), and compiled into rule.condition (null for the
  // last stage); rule.id and rule.file name the entry in evaluation errors.
  std::string when_text;
  rules::Rule rule;
};

struct LifecycleStagesConfig {
  // lifecycle.stages, in order; empty (default): the built-in stages and thresholds.
  std::vector<LifecycleStage> stages;
  // lifecycle.reevaluate_every: re-evaluation with no event, for configured stages. Default 1d;
  // 0 turns time-driven re-evaluation off.
  int64_t reevaluate_every_ms = 86400000;
};

class LifecycleStages {
 public:
  LifecycleStages(const state::LifecycleConfig& thresholds, const LifecycleStagesConfig& config);

  bool configured() const { return !config_.stages.empty(); }

  // The computed stage (ignoring overrides) of `state` at `now_ms`.
  std::string Compute(rules::Evaluator& evaluator, const rules::CustomerModels* models,
                      const v1::CustomerState& state, int64_t now_ms) const;

  // state::UpdateLifecycle with the stage computed as above.
  std::optional<state::StageChange> Update(rules::Evaluator& evaluator,
                                           const rules::CustomerModels* models, int64_t now_ms,
                                           v1::CustomerState* state) const;

  // state::OverrideStage (a rule's set_stage) with the stage computed as above.
  std::optional<state::StageChange> Override(rules::Evaluator& evaluator,
                                             const rules::CustomerModels* models,
                                             std::string_view stage, int64_t now_ms,
                                             v1::CustomerState* state) const;

  // Call before folding a purchase into the aggregates (state::NotePurchase); does nothing with
  // configured stages (won_back is a built-in stage).
  void NotePurchase(int64_t event_ms, v1::CustomerState* state) const;

  // When the lifecycle timer should next fire after `now_ms` (see the top of this file), or
  // nullopt for none.
  std::optional<int64_t> NextEvaluationMs(const v1::CustomerState& state, int64_t now_ms) const;

 private:
  const state::LifecycleConfig& thresholds_;
  const LifecycleStagesConfig& config_;
};

}  // namespace touchstream::engine
