#include "engine/core/rule_runner.h"

#include <algorithm>
#include <cmath>

#include "engine/core/ids.h"
#include "engine/core/overloaded.h"
#include "engine/customer/clv_fields.h"
#include "engine/customer/customer_snapshot.h"
#include "engine/policy/delivery_history.h"
#include "engine/policy/eligibility.h"
#include "state/channel_feedback.h"
#include "state/loyalty.h"

namespace touchstream::engine {

namespace {}  // namespace

RuleRunner::RuleRunner(const EngineConfig& config, EngineMetrics* metrics)
    : config_(config),
      metrics_(metrics),
      models_(MakeCustomerModels(config)),
      impact_(metrics, &evaluator_, models_.get()),
      lifecycle_(config.lifecycle, config.lifecycle_stages) {}

void RuleRunner::QueueTransition(std::string_view event_type, const std::string& from,
                                 const std::string& to, std::string_view cause, int depth,
                                 Step* step) {
  InternalEvent internal;
  internal.depth = depth;
  v1::TouchpointEvent& event = internal.event;
  event.set_event_id(std::string(cause) + "/" + std::string(event_type) + ":" + from + ">" + to);
  event.set_customer_id(step->state->customer_id());
  event.set_type(std::string(event_type));
  event.set_ts_ms(step->time_ms);
  event.set_source("touchstream");
  (*event.mutable_properties())["from"].set_string_value(from);
  (*event.mutable_properties())["to"].set_string_value(to);
  step->internal.push_back(std::move(internal));
}

std::optional<bool> RuleRunner::Test(const rules::Rule& rule, const rules::Program& expression,
                                     const v1::TouchpointEvent& event, const Step& step) {
  rules::EvalContext ctx{&event, step.state, step.now_ms, models_.get()};
  auto value = evaluator_.EvaluateValue(rule, expression, ctx);
  if (!value.ok() || value->kind_case() != v1::Value::kBoolValue) {
    metrics_->RuleError(rule.id);
    return std::nullopt;
  }
  return value->bool_value();
}

void RuleRunner::Observe(const rules::Rule& rule, const TriggerRef& trigger,
                         const rules::EvalContext& ctx, rules::ConditionResult result,
                         const Step& step) {
  if (step.state->customer_id() != observed_customer_) return;
  ConditionTrace trace;
  trace.rule_id = rule.id;
  trace.trigger_event_id = trigger.event->event_id();
  trace.trigger =
      trigger.name.empty() ? rules::TriggerName(rule.trigger) : std::string(trigger.name);
  trace.ts_ms = step.now_ms;
  trace.held = result == rules::ConditionResult::kTrue;
  trace.comparisons = evaluator_.ExplainDecidingComparisons(rule, ctx);
  observer_(std::move(trace));
}

bool RuleRunner::Run(const rules::Rule& rule, const TriggerRef& unnamed, Step* step) {
  metrics_->RuleEvaluated(rule.id);
  const v1::TouchpointEvent& event = *unnamed.event;
  const rules::EvalContext ctx{&event, step->state, step->now_ms, models_.get()};
  std::string error;
  const rules::ConditionResult result = evaluator_.EvaluateCondition(rule, ctx, &error);
  if (observer_) [[unlikely]] {
    Observe(rule, unnamed, ctx, result, *step);
  }
  if (result == rules::ConditionResult::kFalse) return false;
  const std::string trigger_name =
      unnamed.name.empty() ? rules::TriggerName(rule.trigger) : std::string(unnamed.name);
  TriggerRef trigger = unnamed;
  trigger.name = trigger_name;

  v1::Decision decision;
  decision.set_customer_id(step->state->customer_id());
  decision.set_rule_id(rule.id);
  decision.set_rule_version(rule.version);
  decision.set_trigger_event_id(event.event_id());
  decision.set_trigger(trigger_name);
  decision.set_ts_ms(step->now_ms);
  decision.set_decision_id(DeterministicId(
      {"decision", rule.id, rule.version, step->state->customer_id(), trigger.reference}));
  std::vector<std::pair<std::string, std::string>> inputs;
  evaluator_.ExplainCondition(rule, ctx, &inputs);
  for (auto& [name, value] : inputs) (*decision.mutable_inputs())[name] = value;

  if (result == rules::ConditionResult::kError) {
    metrics_->RuleError(rule.id);
    decision.set_outcome(v1::Decision::NOT_MATCHED);
    decision.set_reason("eval_error: " + error);
    Decided(rule, std::move(decision), step);
    return false;
  }

  v1::CustomerState* state = step->state;
  const bool policy = config_.policy.enabled;
  if (policy) {
    const auto& runs = state->delivery().runs();
    auto ran = runs.find(rule.id);
    const std::string_view refused =
        EligibilityRefusal(rule.policy, ran == runs.end() ? nullptr : &ran->second, step->time_ms);
    if (!refused.empty()) {
      decision.set_outcome(v1::Decision::SUPPRESSED);
      decision.set_reason(std::string(refused));
      Decided(rule, std::move(decision), step);
      return false;
    }
    step->candidates.emplace_back().rule = &rule;
  }
  std::string first_action_id;
  std::string reason;
  int index = 0;
  bool ok = true;
  bool stale = false;
  for (const rules::Action& action : rule.actions) {
    ++index;
    ok = std::visit(
        Overloaded{[&](const rules::EmitAction& emit) {
                     std::string id;
                     const bool done =
                         Emit(rule, emit, trigger, ctx, index, step, &id, &stale, &reason);
                     if (first_action_id.empty()) first_action_id = id;
                     return done;
                   },
                   [&](const rules::SetAction& set) {
                     auto value = evaluator_.EvaluateValue(rule, *set.value, ctx);
                     if (!value.ok()) {
                       reason = "eval_error: " + value.status().message();
                       return false;
                     }
                     if (value->kind_case() == v1::Value::KIND_NOT_SET) {
                       state->mutable_profile()->erase(set.attribute);
                     } else {
                       (*state->mutable_profile())[set.attribute] = std::move(*value);
                     }
                     return true;
                   },
                   [&](const rules::PointsAction& points) {
                     return Points(rule, points, ctx, step, &reason);
                   },
                   [&](const rules::TagAction& tag) {
                     auto* tags = state->mutable_tags();
                     for (const std::string& t : tag.tags) {
                       auto it = std::find(tags->begin(), tags->end(), t);
                       if (tag.remove && it != tags->end()) tags->erase(it);
                       if (!tag.remove && it == tags->end() && tags->size() < kMaxTags)
                         tags->Add()->assign(t);
                     }
                     return true;
                   },
                   [&](const rules::SetStageAction& stage) {
                     if (auto change = lifecycle_.Override(evaluator_, models_.get(), stage.stage,
                                                           step->time_ms, state)) {
                       QueueTransition(rules::kStageChangedEvent, change->from, change->to,
                                       trigger.reference, trigger.depth + 1, step);
                     }
                     return true;
                   },
                   [&](const rules::RaiseAction& raise) {
                     return Raise(rule, raise, trigger, ctx, index, step, &reason);
                   }},
        action);
    if (!ok) break;
  }
  if (!ok) {
    if (reason.starts_with("eval_error")) metrics_->RuleError(rule.id);
    decision.set_outcome(reason.starts_with("eval_error") ? v1::Decision::NOT_MATCHED
                                                          : v1::Decision::SUPPRESSED);
    decision.set_reason(reason);
    decision.set_action_id(first_action_id);
    if (policy) step->candidates.pop_back();
    Decided(rule, std::move(decision), step);
    return false;
  }
  metrics_->RuleFired(rule.id);
  v1::RuleHistory& history = (*state->mutable_rules())[rule.id];
  history.set_fire_count(history.fire_count() + 1);
  history.set_last_fired_ms(step->time_ms);
  if (policy) {
    if (rule.policy.has_eligibility()) {
      RecordRun(rule.policy, step->time_ms, &(*state->mutable_delivery()->mutable_runs())[rule.id]);
    }
    if (!step->candidates.back().emits.empty()) {
      step->candidates.back().decision = std::move(decision);
      return true;
    }
    step->candidates.pop_back();
  }
  decision.set_outcome(stale ? v1::Decision::SUPPRESSED : v1::Decision::FIRED);
  decision.set_reason(stale ? "stale" : "fired");
  decision.set_action_id(first_action_id);
  Decided(rule, std::move(decision), step);
  return true;
}

bool RuleRunner::Emit(const rules::Rule& rule, const rules::EmitAction& emit,
                      const TriggerRef& trigger, const rules::EvalContext& ctx, int index,
                      Step* step, std::string* action_id, bool* stale, std::string* reason) {
  auto rendered = evaluator_.RenderEmit(rule, emit, ctx);
  if (!rendered.ok()) {
    *reason = "eval_error: " + rendered.status().message();
    return false;
  }
  if (emit.best_of) {
    std::vector<std::pair<double, std::string>> scored;
    for (std::string& channel : rendered->channels) {
      scored.emplace_back(-state::EngagementScore(*step->state, channel, step->now_ms),
                          std::move(channel));
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < scored.size(); ++i) rendered->channels[i] = std::move(scored[i].second);
  }
  const std::string& customer_id = step->state->customer_id();
  v1::Action a;
  a.set_action_id(DeterministicId(
      {"action", rule.id, rule.version, customer_id, trigger.reference, std::to_string(index)}));
  a.set_customer_id(customer_id);
  a.set_rule_id(rule.id);
  a.set_rule_version(rule.version);
  a.set_kind(rendered->kind);
  a.set_channel(rendered->channels.empty() ? std::string() : rendered->channels.front());
  a.set_message(rendered->message);
  for (auto& [key, value] : rendered->payload) (*a.mutable_payload())[key] = value;
  a.set_trigger_event_id(ctx.event->event_id());
  a.set_trigger(std::string(trigger.name));
  a.set_ts_ms(step->now_ms);
  if (rule.policy.max_delay_ms > 0)
    a.set_expires_at_ms(step->trigger_ms + rule.policy.max_delay_ms);
  *action_id = a.action_id();
  if (config_.policy.enabled) {
    step->candidates.back().emits.push_back({std::move(a), rendered->channels});
    return true;
  }
  if (ActionStale(a, step->now_ms)) {
    *stale = true;
    return true;
  }
  SendAction(a, step);
  return true;
}

void RuleRunner::SendAction(const v1::Action& a, Step* step) {
  v1::OutboxEntry entry;
  entry.set_topic(config_.TopicFor(a.channel(), a.kind()));
  entry.set_key(a.customer_id());
  entry.set_id(a.action_id());
  const connectors::Format format = config_.OutputFormatFor(entry.topic());
  if (!config_.output.alerts_topic.empty() && entry.topic() == config_.output.alerts_topic) {
    v1::Action alert = a;
    *alert.mutable_snapshot() = BuildCustomerSnapshot(*step->state, models_.get(), step->now_ms);
    entry.set_value(connectors::EncodeAction(alert, format));
  } else {
    entry.set_value(connectors::EncodeAction(a, format));
    state::RecordChannelSend(a.channel(), step->time_ms, step->state);
  }
  auto& headers = *entry.mutable_headers();
  headers["touchstream.channel"] = a.channel();
  headers["touchstream.kind"] = a.kind();
  headers["touchstream.rule"] = a.rule_id();
  step->out->push_back(std::move(entry));
}

void RuleRunner::Decided(const rules::Rule& rule, v1::Decision decision, Step* step) {
  if (!config_.policy.enabled) return EmitDecision(std::move(decision), step->out);
  DeliveryCandidate& c = step->candidates.emplace_back();
  c.rule = &rule;
  c.decision = std::move(decision);
  c.decided = true;
}

void RuleRunner::Publish(v1::Decision decision, std::string_view channel, Step* step) {
  // The history keeps delivery decisions: not the FIRED decisions of rules without emits.
  if (config_.policy.enabled && (decision.outcome() != v1::Decision::FIRED || !channel.empty())) {
    RecordDecision(decision, channel, step->time_ms, config_.policy,
                   step->state->mutable_delivery());
  }
  EmitDecision(std::move(decision), step->out);
}

bool RuleRunner::Points(const rules::Rule& rule, const rules::PointsAction& points,
                        const rules::EvalContext& ctx, Step* step, std::string* reason) {
  auto value = evaluator_.EvaluateValue(rule, *points.amount, ctx);
  if (!value.ok()) {
    *reason = "eval_error: " + value.status().message();
    return false;
  }
  int64_t amount = 0;
  if (value->kind_case() == v1::Value::kIntValue) {
    amount = value->int_value();
  } else if (value->kind_case() == v1::Value::kDoubleValue &&
             std::isfinite(value->double_value()) && std::abs(value->double_value()) < 1e15) {
    amount = std::llround(value->double_value());
  } else {
    *reason = "eval_error: points amount of rule '" + rule.id + "' is not a number";
    return false;
  }
  if (amount < 0) {
    *reason = "eval_error: points amount of rule '" + rule.id + "' is negative (" +
              std::to_string(amount) + ")";
    return false;
  }
  // Expiry as of now first (a timer may fire long after the customer's latest event).
  const int64_t time_ms = std::max(step->time_ms, step->state->last_seen_ms());
  state::ApplyLoyalty(config_.loyalty, time_ms, step->state);
  v1::Loyalty* loyalty = step->state->mutable_loyalty();
  if (points.redeem) {
    if (!state::RedeemPoints(amount, step->time_ms, loyalty)) {
      *reason = "insufficient_points: balance " + std::to_string(loyalty->points()) + " is below " +
                std::to_string(amount);
      return false;
    }
  } else {
    state::EarnPoints(config_.loyalty, amount, step->time_ms, loyalty);
  }
  // A tier by points follows the balance at once.
  state::ApplyLoyalty(config_.loyalty, time_ms, step->state);
  return true;
}

bool RuleRunner::Raise(const rules::Rule& rule, const rules::RaiseAction& raise,
                       const TriggerRef& trigger, const rules::EvalContext& ctx, int index,
                       Step* step, std::string* reason) {
  if (trigger.depth + 1 > config_.processing.max_raise_depth) {
    metrics_->RaiseRefused(rule.id);
    *reason = "raise_depth: raising '" + raise.event_type + "' would exceed " +
              "processing.max_raise_depth (" + std::to_string(config_.processing.max_raise_depth) +
              ")";
    return false;
  }
  InternalEvent internal;
  internal.depth = trigger.depth + 1;
  v1::TouchpointEvent& event = internal.event;
  event.set_event_id(std::string(trigger.reference) + "/" + rule.id + "/raise" +
                     std::to_string(index));
  event.set_customer_id(step->state->customer_id());
  event.set_type(raise.event_type);
  event.set_ts_ms(step->time_ms);
  event.set_channel(ctx.event->channel());
  event.set_source("touchstream:" + rule.id);
  for (const rules::EmitParam& property : raise.properties) {
    auto value = evaluator_.EvaluateValue(rule, *property.expr, ctx);
    if (!value.ok()) {
      *reason = "eval_error: " + value.status().message();
      return false;
    }
    (*event.mutable_properties())[property.name] = std::move(*value);
  }
  step->internal.push_back(std::move(internal));
  return true;
}

void RuleRunner::EmitDecision(v1::Decision decision, std::vector<v1::OutboxEntry>* out) {
  metrics_->DecisionRecorded(decision.rule_id(), connectors::OutcomeName(decision.outcome()),
                             decision.reason());
  impact_.OnDecision(decision);
  if (config_.output.decisions_topic.empty()) return;
  v1::OutboxEntry entry;
  entry.set_topic(config_.output.decisions_topic);
  entry.set_key(decision.customer_id());
  entry.set_id(decision.decision_id());
  entry.set_value(connectors::EncodeDecision(decision, config_.OutputFormatFor(entry.topic())));
  out->push_back(std::move(entry));
}

}  // namespace touchstream::engine
