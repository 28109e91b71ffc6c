#include "engine/impact/impact_tracker.h"

#include <algorithm>

#include "state/channel_feedback.h"

namespace touchstream::engine {

namespace {

constexpr char kTreatment[] = "treatment";
constexpr char kHoldout[] = "holdout";

prometheus::Family<prometheus::Counter>* Family(prometheus::Registry& registry,
                                                const std::string& name, const std::string& help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

}  // namespace

ImpactTracker::ImpactTracker(EngineMetrics* metrics, rules::Evaluator* evaluator,
                             const rules::CustomerModels* models)
    : metrics_(metrics),
      evaluator_(evaluator),
      models_(models),
      decisions_(Family(*metrics->registry(), "touchstream_rule_decisions_total",
                        "Qualifying decisions of rules with a conversion, by rule and arm.")),
      conversions_(
          Family(*metrics->registry(), "touchstream_rule_conversions_total",
                 "Decisions followed by a conversion within the window, by rule and arm.")),
      conversion_value_(Family(*metrics->registry(), "touchstream_rule_conversion_value_total",
                               "Sum of the conversions' values, by rule and arm.")) {}

void ImpactTracker::SetRules(std::shared_ptr<const rules::RuleSet> rules) {
  rules_ = std::move(rules);
}

ImpactTracker::ArmCounters& ImpactTracker::Counters(const std::string& rule_id,
                                                    const std::string& arm) {
  auto [it, added] = counters_.try_emplace(std::make_pair(rule_id, arm));
  if (added) {
    const std::map<std::string, std::string> labels = {{"rule", rule_id}, {"arm", arm}};
    it->second.decisions = &decisions_->Add(labels);
    it->second.conversions = &conversions_->Add(labels);
    it->second.value = &conversion_value_->Add(labels);
  }
  return it->second;
}

void ImpactTracker::OnDecision(const v1::Decision& decision) {
  const bool fired = decision.outcome() == v1::Decision::FIRED;
  if (!fired && decision.outcome() != v1::Decision::HELD_OUT) return;
  if (rules_ == nullptr) return;
  const rules::Rule* rule = rules_->Find(decision.rule_id());
  if (rule == nullptr || !rule->conversion) return;
  const std::string arm = fired ? kTreatment : kHoldout;
  ArmCounters& counters = Counters(rule->id, arm);
  counters.decisions->Increment();
  counters.pending.set_decisions(counters.pending.decisions() + 1);
  if (fired && !decision.action_id().empty()) {
    counters.pending.set_sent(counters.pending.sent() + 1);
  }
  Queued& queued = queued_.emplace_back();
  queued.customer_id = decision.customer_id();
  queued.rule_id = rule->id;
  queued.attribution.set_decided_ms(decision.ts_ms());
  queued.attribution.set_arm(arm);
  queued.attribution.set_decision_id(decision.decision_id());
  // A feedback conversion must name the decision's own action.
  if (state::IsFeedbackEvent(rule->conversion->event_type)) {
    queued.attribution.set_action_id(decision.action_id());
  }
}

void ImpactTracker::Attribute(v1::CustomerState* state) {
  auto& attributions = *state->mutable_impact_attributions();
  for (Queued& queued : queued_) {
    if (queued.customer_id != state->customer_id()) continue;
    attributions[queued.rule_id] = std::move(queued.attribution);
  }
  queued_.clear();
  while (attributions.size() > static_cast<size_t>(kMaxImpactAttributions)) {
    auto oldest = std::min_element(attributions.begin(), attributions.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.decided_ms() != b.second.decided_ms()
                                                ? a.second.decided_ms() < b.second.decided_ms()
                                                : a.first < b.first;
                                   });
    attributions.erase(oldest);
  }
}

void ImpactTracker::OnEvent(const v1::TouchpointEvent& event, int64_t now_ms,
                            v1::CustomerState* state) {
  auto& attributions = *state->mutable_impact_attributions();
  for (auto it = attributions.begin(); it != attributions.end();) {
    const rules::Rule* rule = rules_ != nullptr ? rules_->Find(it->first) : nullptr;
    v1::ImpactAttribution& attribution = it->second;
    if (rule == nullptr || !rule->conversion ||
        event.ts_ms() > attribution.decided_ms() + rule->conversion->within_ms) {
      it = attributions.erase(it);
      continue;
    }
    double value = 0;
    if (Converts(*rule, attribution, event, now_ms, *state, &value)) {
      attribution.set_converted(true);
      ArmCounters& counters = Counters(rule->id, attribution.arm());
      counters.conversions->Increment();
      counters.value->Increment(value);
      counters.pending.set_converted(counters.pending.converted() + 1);
      counters.pending.set_conversion_value(counters.pending.conversion_value() + value);
    }
    ++it;
  }
}

bool ImpactTracker::Converts(const rules::Rule& rule, const v1::ImpactAttribution& attribution,
                             const v1::TouchpointEvent& event, int64_t now_ms,
                             const v1::CustomerState& state, double* value) {
  const rules::Conversion& conversion = *rule.conversion;
  if (attribution.converted() || event.type() != conversion.event_type ||
      event.ts_ms() < attribution.decided_ms()) {
    return false;
  }
  if (state::IsFeedbackEvent(conversion.event_type)) {
    auto action = event.properties().find("action_id");
    if (attribution.action_id().empty() || action == event.properties().end() ||
        action->second.string_value() != attribution.action_id()) {
      return false;
    }
  }
  const rules::EvalContext ctx{&event, &state, now_ms, models_};
  if (conversion.condition != nullptr) {
    auto holds = evaluator_->EvaluateValue(rule, *conversion.condition, ctx);
    if (!holds.ok()) metrics_->RuleError(rule.id);
    if (!holds.ok() || holds->kind_case() != v1::Value::kBoolValue || !holds->bool_value()) {
      return false;
    }
  }
  if (conversion.value != nullptr) {
    auto amount = evaluator_->EvaluateValue(rule, *conversion.value, ctx);
    if (!amount.ok()) {
      metrics_->RuleError(rule.id);
    } else if (amount->kind_case() == v1::Value::kIntValue) {
      *value = static_cast<double>(amount->int_value());
    } else if (amount->kind_case() == v1::Value::kDoubleValue) {
      *value = amount->double_value();
    }
  }
  return true;
}

void ImpactTracker::AddTo(state::CommitBatch* batch) const {
  for (const auto& [key, counters] : counters_) {
    const v1::ImpactCounts& p = counters.pending;
    if (p.decisions() == 0 && p.sent() == 0 && p.converted() == 0 && p.conversion_value() == 0) {
      continue;
    }
    batch->AddImpactCounts(key.first, key.second, p);
  }
}

void ImpactTracker::Committed() {
  for (auto& [key, counters] : counters_) counters.pending.Clear();
}

}  // namespace touchstream::engine
