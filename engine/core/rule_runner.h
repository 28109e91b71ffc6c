// RuleRunner: fires one rule for one customer — evaluates its condition, performs its actions
// in order (emit, set, add_points / redeem, tag / untag, set_stage, raise) and records the
// Decision. Used by the EventProcessor once a trigger has matched.
//
// Not thread-safe: one per processing thread (it owns an Evaluator).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/codec.h"
#include "engine/config/config.h"
#include "engine/customer/lifecycle_stages.h"
#include "engine/impact/impact_tracker.h"
#include "engine/ops/metrics.h"
#include "engine/policy/delivery_candidate.h"
#include "rules/customer_models.h"
#include "rules/evaluator.h"
#include "rules/rule.h"
#include "touchstream/v1/event.pb.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

// An internal event waiting to be dispatched to rules within the current step: raised by a
// rule, or a stage / tier transition.
struct InternalEvent {
  v1::TouchpointEvent event;
  int depth = 0;  // 1 for events caused by the step's own trigger, +1 per further cause
};

// One processing step for one customer: an input event or a fired timer, with everything it
// causes. Outputs (actions, decisions) are appended to *out.
struct Step {
  v1::CustomerState* state = nullptr;
  // `now` for the rules: processing time in `run`, stream time in `replay`.
  int64_t now_ms = 0;
  // The step's event time (the input event's, or the timer's fire time): what state changes
  // are stamped with and the lifecycle is evaluated at, so that `run` and `replay` of the same
  // events leave the same state.
  int64_t time_ms = 0;
  std::vector<v1::OutboxEntry>* out = nullptr;
  std::deque<InternalEvent> internal;
  // With policy.enabled: the rules that ran, with their decisions and emits, for
  // DeliveryPolicy::Resolve.
  std::vector<DeliveryCandidate> candidates;
  // When the step's trigger happened, for freshness (Action.expires_at = trigger_ms + the
  // rule's max_delay): an input record's Kafka timestamp or event time, whichever is later;
  // an event's time; a timer's fire time.
  int64_t trigger_ms = 0;
};

// True when the action may no longer be sent at now_ms: it has an expiry and now_ms is past it.
inline bool ActionStale(const v1::Action& action, int64_t now_ms) {
  return action.expires_at_ms() != 0 && now_ms > action.expires_at_ms();
}

// What made a rule run.
struct TriggerRef {
  const v1::TouchpointEvent* event = nullptr;  // seen by the rule as `event`
  // Event id, or "timer:<name>@<fire_ms>": the basis of action ids. Views: the caller keeps
  // the strings alive for the call (the dispatch of one event costs no string copies).
  std::string_view reference;
  // Action.trigger / Decision.trigger; empty: TriggerName(rule.trigger), built only when the
  // rule fires.
  std::string_view name;
  int depth = 0;  // of the event (0 for input events and timers)
};

// One rule run for an observed customer (RuleRunner::ObserveConditions): whether its condition
// held, with the comparisons that decided it. For explanations (engine/workbench/explain.h).
struct ConditionTrace {
  std::string rule_id;
  std::string trigger_event_id;  // as Decision.trigger_event_id
  std::string trigger;           // the trigger's name, e.g. "event:purchase"
  int64_t ts_ms = 0;             // the step's `now`
  bool held = false;             // false also when the condition failed at run time
  // rules::Evaluator::ExplainDecidingComparisons: "customer.x = 182.4 >= 200: false".
  std::vector<std::string> comparisons;
};
using ConditionObserver = std::function<void(ConditionTrace)>;

class RuleRunner {
 public:
  // `config` and `metrics` must outlive the runner.
  RuleRunner(const EngineConfig& config, EngineMetrics* metrics);

  // Fires `rule` if its condition holds. Returns true when it fired (its actions ran).
  // Emitted actions expire at step->trigger_ms + the rule's max_delay. Without policy.enabled,
  // an action already expired at step->now_ms is not sent and the decision is SUPPRESSED with
  // reason "stale" (its other actions still run). With policy.enabled, a rule the customer is not
  // eligible for (once, cooldown, max_per_window) is SUPPRESSED before its actions run, and the
  // actions of its emits are appended to step->candidates for the delivery policy instead of being
  // sent; so are its decisions, to be published at the end of the step.
  bool Run(const rules::Rule& rule, const TriggerRef& trigger, Step* step);

  // From now on every rule run for `customer_id` is also told to `observer` (condition false
  // included). Runs for other customers, and every run while no observer is set, pay one
  // test of an empty std::function.
  void ObserveConditions(std::string customer_id, ConditionObserver observer) {
    observed_customer_ = std::move(customer_id);
    observer_ = std::move(observer);
  }

  // Evaluates a bool expression of the rule (threshold triggers). nullopt on a run-time
  // error (counted as a rule error).
  std::optional<bool> Test(const rules::Rule& rule, const rules::Program& expression,
                           const v1::TouchpointEvent& event, const Step& step);

  // Queues a stage transition as an internal stage_changed event.
  static void QueueTransition(std::string_view event_type, const std::string& from,
                              const std::string& to, std::string_view cause, int depth, Step* step);

  // Brings the customer's lifecycle stage up to date at now_ms (LifecycleStages::Update with
  // this runner's evaluator and models); returns the change of the effective stage, if any.
  std::optional<state::StageChange> UpdateStage(int64_t now_ms, v1::CustomerState* state) {
    return lifecycle_.Update(evaluator_, models_.get(), now_ms, state);
  }
  const LifecycleStages& lifecycle() const { return lifecycle_; }

  rules::Evaluator& evaluator() { return evaluator_; }
  // customer.clv.* models (null without a clv: config section).
  const rules::CustomerModels* models() const { return models_.get(); }
  // Sees every decision the runner records (EmitDecision).
  ImpactTracker& impact() { return impact_; }
  const ImpactTracker& impact() const { return impact_; }

  // Appends the outbox entry of `action` (for its channel's topic) to step->out. An action to
  // output.alerts_topic gets the snapshot of step->state (engine/customer/customer_snapshot.h);
  // any other is counted as sent on its channel (state::RecordChannelSend).
  void SendAction(const v1::Action& action, Step* step);
  // Publishes a decision through EmitDecision; with policy.enabled, first records it in the
  // customer's delivery history (`channel`: where its action went, or ""), unless it is the
  // FIRED decision of a rule without emits.
  void Publish(v1::Decision decision, std::string_view channel, Step* step);

 private:
  // Runs one action; false (with *reason set) when it failed and the rule must stop.
  // *stale: set when, without the policy, the action had expired and was not sent.
  bool Emit(const rules::Rule& rule, const rules::EmitAction& emit, const TriggerRef& trigger,
            const rules::EvalContext& ctx, int index, Step* step, std::string* action_id,
            bool* stale, std::string* reason);
  bool Points(const rules::Rule& rule, const rules::PointsAction& points,
              const rules::EvalContext& ctx, Step* step, std::string* reason);
  bool Raise(const rules::Rule& rule, const rules::RaiseAction& raise, const TriggerRef& trigger,
             const rules::EvalContext& ctx, int index, Step* step, std::string* reason);
  // Publishes at once, or with policy.enabled queues as a decided candidate.
  void Decided(const rules::Rule& rule, v1::Decision decision, Step* step);
  void EmitDecision(v1::Decision decision, std::vector<v1::OutboxEntry>* out);
  // Tells observer_ of this run when the step's customer is the observed one.
  void Observe(const rules::Rule& rule, const TriggerRef& trigger, const rules::EvalContext& ctx,
               rules::ConditionResult result, const Step& step);

  std::string observed_customer_;
  ConditionObserver observer_;
  const EngineConfig& config_;
  EngineMetrics* metrics_;
  rules::Evaluator evaluator_;
  // customer.clv.* (null without a clv: config section).
  std::unique_ptr<rules::CustomerModels> models_;
  ImpactTracker impact_;
  LifecycleStages lifecycle_;
};

// The maximum number of tags a customer keeps (tag actions beyond it are ignored).
inline constexpr int kMaxTags = 100;

}  // namespace touchstream::engine
