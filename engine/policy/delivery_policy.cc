#include "engine/policy/delivery_policy.h"

#include <algorithm>

#include "engine/core/ids.h"
#include "engine/policy/delivery_history.h"
#include "engine/policy/holdout.h"
#include "engine/policy/quiet_hours.h"
#include "rules/zone_cache.h"
#include "state/channel_feedback.h"

namespace touchstream::engine {

namespace {

void Suppress(v1::Decision* d, std::string_view reason) {
  d->set_outcome(v1::Decision::SUPPRESSED);
  d->set_reason(std::string(reason));
}

}  // namespace

DeliveryPolicy::DeliveryPolicy(const EngineConfig& config, RuleRunner* runner,
                               CustomerTimers* timers)
    : policy_(config.policy),
      runner_(runner),
      timers_(timers),
      retention_ms_(SentRetentionMs(config.policy)),
      feedback_{config.analytics.feedback.soft_bounce_limit, config.policy.addresses},
      default_zone_(zones_.Find(config.policy.default_time_zone)) {}

void DeliveryPolicy::Resolve(Step* step) {
  std::vector<DeliveryCandidate>& candidates = step->candidates;
  if (candidates.empty()) return;
  std::vector<size_t> order;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i].decided) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const rules::Rule& ra = *candidates[a].rule;
    const rules::Rule& rb = *candidates[b].rule;
    return ra.priority != rb.priority ? ra.priority > rb.priority : ra.id < rb.id;
  });
  // Actions already sent at this very millisecond (by other timers of the same tick) count
  // against the moment's limit.
  Moment moment;
  for (const v1::SentRecord& r : step->state->delivery().sent()) {
    if (r.ts_ms() == step->time_ms) ++moment.slots;
  }
  std::vector<std::vector<v1::Action>> send(order.empty() ? 0 : candidates.size());
  for (size_t i : order) Decide(&candidates[i], false, &moment, step, &send[i]);
  static const std::vector<v1::Action> kNone;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Publish(std::move(candidates[i].decision), send.empty() ? kNone : send[i], step);
  }
  candidates.clear();
}

void DeliveryPolicy::SendDeferred(const v1::TimerPayload& payload, const rules::Rule* rule,
                                  Step* step) {
  DeliveryCandidate c;
  c.rule = rule;
  c.decision = payload.decision();
  c.decision.set_decision_id(DeterministicId({"deferred", payload.decision().decision_id()}));
  c.decision.set_ts_ms(step->now_ms);
  std::vector<v1::Action> send;
  if (rule == nullptr || !rule->ActiveAt(step->now_ms)) {
    Suppress(&c.decision, "inactive");
  } else {
    for (const v1::DeferredEmit& d : payload.deferred()) {
      PendingEmit& e = c.emits.emplace_back();
      e.action = d.action();
      e.action.set_ts_ms(step->now_ms);
      e.channels.assign(d.channels().begin(), d.channels().end());
    }
    Moment moment;
    Decide(&c, true, &moment, step, &send);
  }
  Publish(std::move(c.decision), send, step);
}

void DeliveryPolicy::Decide(DeliveryCandidate* c, bool at_send, Moment* moment, Step* step,
                            std::vector<v1::Action>* send) {
  const rules::RulePolicy& p = c->rule->policy;
  v1::Decision& d = c->decision;
  v1::CustomerState& state = *step->state;
  // Caps, exclusion periods and the history go by the step's event time; quiet hours by the
  // time the message would go out (now_ms).
  const int64_t now = step->time_ms;

  // Freshness: a rule's actions share one expiry (its trigger's time plus max_delay).
  if (!c->emits.empty() && ActionStale(c->emits.front().action, step->now_ms)) {
    return Suppress(&d, "stale");
  }

  // 3, 4: a channel with consent and an address, within the caps.
  std::string failure;
  for (size_t i = 0; i < c->emits.size(); ++i) {
    PendingEmit& e = c->emits[i];
    std::string reason;
    const std::string channel = ChooseChannel(p, e.channels, state, &reason);
    if (channel.empty()) {
      if (failure.empty()) failure = reason;
      continue;
    }
    if (!p.operational()) {
      std::string cap = ExceededCap(p, channel, *send, *step);
      if (!cap.empty()) {
        if (failure.empty()) failure = "cap:" + cap;
        continue;
      }
    }
    e.action.set_channel(channel);
    send->push_back(e.action);
  }
  if (send->empty()) return Suppress(&d, failure);
  d.set_action_id(send->front().action_id());

  // 5: arbitration within the moment, exclusion groups within the period.
  const std::string& group = p.exclusion_group;
  std::string_view refused;
  if (!at_send && policy_.max_actions_per_moment > 0 &&
      moment->slots >= policy_.max_actions_per_moment) {
    refused = "arbitration";
  } else if (!group.empty() &&
             (moment->groups.count(group) > 0 ||
              GroupUsedSince(state.delivery(), group, now - policy_.exclusion_period_ms))) {
    refused = "exclusion_group";
  }
  if (!refused.empty()) {
    send->clear();
    return Suppress(&d, refused);
  }
  ++moment->slots;
  if (!group.empty()) moment->groups.insert(group);

  // 6: quiet hours in the customer's zone.
  const rules::QuietHours* quiet = p.has_quiet_hours ? &p.quiet_hours
                                   : (!p.operational() && policy_.has_quiet_hours)
                                       ? &policy_.quiet_hours
                                       : nullptr;
  if (!at_send && quiet != nullptr) {
    const date::time_zone* zone = rules::CustomerZone(state, &zones_);
    if (auto opens = QuietUntil(*quiet, step->now_ms, zone != nullptr ? zone : default_zone_)) {
      const bool deferred = quiet->defer && Defer(*c, *send, *opens, step);
      send->clear();
      return Suppress(&d, !quiet->defer ? "quiet_hours_drop"
                          : deferred    ? "deferred"
                                        : "defer_failed");
    }
  }

  // 7: holdout.
  const std::string_view arm = HoldoutArm(p, policy_, state.customer_id());
  d.set_experiment_arm(std::string(arm));
  v1::SentRecord record;
  record.set_ts_ms(now);
  record.set_rule_id(c->rule->id);
  record.set_category(p.category);
  record.set_exclusion_group(group);
  if (arm == kHoldoutArm) {
    // Recorded as the send it replaces, so that caps and exclusion groups treat both arms
    // alike (otherwise held-out customers, never capped, would get more decisions).
    record.set_held_out(true);
    if (!send->empty()) record.set_channel(send->front().channel());
    RecordSent(std::move(record), retention_ms_, state.mutable_delivery());
    send->clear();
    d.set_outcome(v1::Decision::HELD_OUT);
    d.set_reason("holdout");
    return;
  }
  for (v1::Action& a : *send) {
    a.set_experiment_arm(std::string(arm));
    v1::SentRecord r = record;
    r.set_channel(a.channel());
    RecordSent(std::move(r), retention_ms_, state.mutable_delivery());
  }
  d.set_outcome(v1::Decision::FIRED);
  d.set_reason("fired");
}

std::string DeliveryPolicy::ChooseChannel(const rules::RulePolicy& policy,
                                          const std::vector<std::string>& channels,
                                          const v1::CustomerState& state,
                                          std::string* reason) const {
  if (channels.empty()) return {};
  if (policy.operational()) return channels.front();
  if (state.do_not_contact()) {
    *reason = "do_not_contact";
    return {};
  }
  bool unreachable = false;
  bool refused = false;
  for (const std::string& channel : channels) {
    auto consent = state.consent().find(channel);
    const bool consented = consent == state.consent().end() ? policy_.unknown_consent_allowed
                                                            : consent->second.granted();
    if (!consented) {
      refused = true;
      continue;
    }
    auto address = policy_.addresses.find(channel);
    if (address != policy_.addresses.end()) {
      auto value = state.profile().find(address->second);
      if (value == state.profile().end() || value->second.kind_case() != v1::Value::kStringValue ||
          value->second.string_value().empty()) {
        refused = true;
        continue;
      }
    }
    if (!state::ChannelReachable(feedback_, state, channel)) {
      unreachable = true;
      continue;
    }
    return channel;
  }
  *reason = unreachable && !refused ? "unreachable" : "no_consent";
  return {};
}

std::string DeliveryPolicy::ExceededCap(const rules::RulePolicy& policy, const std::string& channel,
                                        const std::vector<v1::Action>& also_sent,
                                        const Step& step) const {
  for (const FrequencyCap& cap : policy_.caps) {
    if (!CapCounts(cap, policy.category, channel)) continue;
    int64_t n = CountForCap(step.state->delivery(), cap, step.time_ms - cap.per_ms) + 1;
    for (const v1::Action& a : also_sent) n += CapCounts(cap, policy.category, a.channel()) ? 1 : 0;
    if (n > cap.max) return cap.name;
  }
  return {};
}

bool DeliveryPolicy::Defer(const DeliveryCandidate& c, const std::vector<v1::Action>& send,
                           int64_t opens_ms, Step* step) {
  v1::TimerPayload payload;
  payload.set_kind(v1::TimerPayload::DEFERRED_ACTION);
  payload.set_rule_id(c.rule->id);
  for (const v1::Action& a : send) {
    v1::DeferredEmit* d = payload.add_deferred();
    *d->mutable_action() = a;
    for (const PendingEmit& e : c.emits) {
      if (e.action.action_id() == a.action_id()) {
        d->mutable_channels()->Add(e.channels.begin(), e.channels.end());
      }
    }
  }
  *payload.mutable_decision() = c.decision;
  payload.mutable_decision()->set_outcome(v1::Decision::SUPPRESSED);
  payload.mutable_decision()->set_reason("deferred");
  payload.set_deferred_ms(step->time_ms);
  return timers_->Arm(step->state, std::string(kDeferredTimerPrefix) + c.decision.decision_id(),
                      opens_ms, payload);
}

void DeliveryPolicy::Publish(v1::Decision decision, const std::vector<v1::Action>& send,
                             Step* step) {
  for (const v1::Action& a : send) runner_->SendAction(a, step);
  runner_->Publish(std::move(decision), send.empty() ? std::string() : send.front().channel(),
                   step);
}

}  // namespace touchstream::engine
