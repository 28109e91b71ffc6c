// ImpactTracker: the measured impact of rules that name a conversion (rules::Conversion;
// README "Measuring impact").
//
// Every decision passes through OnDecision. Qualifying decisions — FIRED (arm "treatment";
// decisions of rules without a holdout count as treatment too) and HELD_OUT (arm "holdout") —
// are counted per (rule, arm) and, at the end of the step, become the customer's attribution
// for the rule (CustomerState.impact_attributions), replacing an earlier one: conversions go
// to the last qualifying decision. An input event of the conversion's type, at or after the
// decision time and at most `within` later, for which the conversion's condition holds,
// converts the attributed decision once. A feedback event type (conversion: {event:
// action_clicked}) converts only the decision whose action it names (property action_id).
//
// Counts are exported as Prometheus counters (touchstream_rule_decisions_total,
// touchstream_rule_conversions_total, touchstream_rule_conversion_value_total, labels rule and
// arm) and, through TakeInto, added to the store's impact counters in the same commit as the
// customer states, which `touchstream report impact` reads.
//
// Not thread-safe: one per processing thread (owned by the RuleRunner).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/ops/metrics.h"
#include "rules/customer_models.h"
#include "rules/evaluator.h"
#include "rules/rule.h"
#include "state/commit_batch.h"
#include "touchstream/v1/action.pb.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// The most rules one customer keeps an attribution for; beyond it the oldest goes.
inline constexpr int kMaxImpactAttributions = 64;

class ImpactTracker {
 public:
  // `metrics` and `evaluator` must outlive the tracker; `models` (may be null) too.
  ImpactTracker(EngineMetrics* metrics, rules::Evaluator* evaluator,
                const rules::CustomerModels* models);

  // The rules whose conversions are measured from now on (null: none).
  void SetRules(std::shared_ptr<const rules::RuleSet> rules);

  // Counts a qualifying decision of a rule with a conversion and queues it for Attribute;
  // other decisions are ignored.
  void OnDecision(const v1::Decision& decision);

  // Makes the queued decisions of `state`'s customer its attributions. Call at the end of
  // every step, with the step's customer.
  void Attribute(v1::CustomerState* state);

  // Counts the conversions `event` (an input event of `state`'s customer) brings, before the
  // rules run on it; drops attributions whose window has closed or whose rule is gone.
  // now_ms is `now` for conversion conditions.
  void OnEvent(const v1::TouchpointEvent& event, int64_t now_ms, v1::CustomerState* state);

  // Adds the counter changes since the last Committed to `batch`; they are kept until
  // Committed (a failed commit loses none).
  void AddTo(state::CommitBatch* batch) const;
  // The batch of the last AddTo was committed: forgets its changes.
  void Committed();
  // AddTo then Committed.
  void TakeInto(state::CommitBatch* batch) {
    AddTo(batch);
    Committed();
  }

 private:
  struct ArmCounters {
    prometheus::Counter* decisions = nullptr;
    prometheus::Counter* conversions = nullptr;
    prometheus::Counter* value = nullptr;
    v1::ImpactCounts pending;  // not yet taken into a commit batch
  };
  ArmCounters& Counters(const std::string& rule_id, const std::string& arm);
  // True when `event` converts the attribution of `rule`; *value receives its value.
  bool Converts(const rules::Rule& rule, const v1::ImpactAttribution& attribution,
                const v1::TouchpointEvent& event, int64_t now_ms, const v1::CustomerState& state,
                double* value);

  EngineMetrics* metrics_;
  rules::Evaluator* evaluator_;
  const rules::CustomerModels* models_;
  std::shared_ptr<const rules::RuleSet> rules_;
  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Family<prometheus::Counter>* conversions_;
  prometheus::Family<prometheus::Counter>* conversion_value_;
  std::map<std::pair<std::string, std::string>, ArmCounters> counters_;  // by (rule id, arm)
  // Decisions of the current step waiting for Attribute: (customer id, rule id, attribution).
  struct Queued {
    std::string customer_id;
    std::string rule_id;
    v1::ImpactAttribution attribution;
  };
  std::vector<Queued> queued_;
};

}  // namespace touchstream::engine
