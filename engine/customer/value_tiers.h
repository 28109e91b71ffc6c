// ValueTiers: the customer's value score and tier (CustomerState.value, config `value_tiers:`).
//
// The score is the configured expression of the rule language (compiled and type-checked as a
// number when the config is loaded), evaluated after each of the customer's events once the
// rest of the state is up to date, with `event` the event and `now` its event time (so that
// `run` and `replay` agree). The tier is the level with the largest min not above the score
// ("" below all); since_ms is when it was entered. When the evaluation fails (a null operand,
// division by zero, ...) the score and tier keep their previous values.
//
// The tier `tier:` transition triggers follow (tier_changed) is the profile attribute `tier`
// when set (an override from profile_update events or set actions), else the value tier.
//
// Not thread-safe (uses the caller's Evaluator); the config must outlive the object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rules/customer_models.h"
#include "rules/evaluator.h"
#include "rules/program.h"
#include "rules/rule.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

struct ValueTierLevel {
  std::string name;
  double min = 0;
};

struct ValueTiersConfig {
  // value_tiers.score, as written, and compiled (int, double or dyn). Null: not configured
  // (default), the value state is left unset.
  std::string score_text;
  std::shared_ptr<const rules::Program> score;
  // value_tiers.tiers, min strictly ascending.
  std::vector<ValueTierLevel> levels;
};

class ValueTiers {
 public:
  explicit ValueTiers(const ValueTiersConfig& config);

  bool enabled() const { return config_.score != nullptr; }

  // Re-evaluates the score and tier (see the top of this file). Returns false, leaving the
  // state unchanged, when not configured or the evaluation failed or was not a finite number.
  bool Update(rules::Evaluator& evaluator, const rules::CustomerModels* models,
              const v1::TouchpointEvent& event, v1::CustomerState* state) const;

 private:
  const ValueTiersConfig& config_;
  // Stands for the score expression where the evaluator expects a rule (rule.id in messages).
  rules::Rule rule_;
};

}  // namespace touchstream::engine
