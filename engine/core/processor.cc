#include "engine/core/processor.h"

#include <algorithm>

#include "base/saturating.h"
#include "engine/core/event_checks.h"
#include "engine/core/input_position.h"
#include "engine/core/overloaded.h"
#include "rules/date_schedule.h"
#include "state/builtin_aggregates.h"
#include "state/event_history.h"
#include "state/loyalty.h"
#include "state/satisfaction.h"

namespace touchstream::engine {

namespace {

constexpr char kLifecycleTimer[] = "lifecycle";
constexpr char kTierAttribute[] = "tier";
// Rounds of internal events and transitions one step may go through (each round dispatches
// every queued event; raise depth bounds chains, this bounds transition ping-pong).
constexpr int kMaxSettleRounds = 8;

std::string RuleTimerName(const rules::Rule& rule) {
  return "r:" + rule.id;
}

// A value as text, for correlation and tiers ("" when unset).
std::string ValueText(const v1::Value& v) {
  switch (v.kind_case()) {
    case v1::Value::kStringValue:
      return v.string_value();
    case v1::Value::kIntValue:
      return std::to_string(v.int_value());
    case v1::Value::kDoubleValue:
      return std::to_string(v.double_value());
    case v1::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case v1::Value::kTimestampMs:
      return std::to_string(v.timestamp_ms());
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return "";
}

std::string PropertyText(const v1::TouchpointEvent& event, const std::string& name) {
  auto it = event.properties().find(name);
  return it == event.properties().end() ? std::string() : ValueText(it->second);
}

// The tier of `tier:` transitions: the profile attribute when set (an override), else the value
// tier (engine/customer/value_tiers.h).
std::string TierOf(const v1::CustomerState& state) {
  auto it = state.profile().find(kTierAttribute);
  return it == state.profile().end() ? state.value().tier() : ValueText(it->second);
}

bool Matches(const std::string& pattern, const std::string& value) {
  return pattern == "any" || pattern == value;
}

}  // namespace

EventProcessor::EventProcessor(const EngineConfig& config, state::CustomerCache* cache,
                               EngineMetrics* metrics, TimeMode time_mode)
    : config_(config),
      cache_(cache),
      metrics_(metrics),
      analytics_(config.analytics),
      runner_(config, metrics),
      value_tiers_(config.value_tiers),
      timers_(config.processing.max_timers_per_customer),
      policy_(config, &runner_, &timers_),
      input_format_(config.processing.input_format == "protobuf" ? connectors::Format::kProtobuf
                                                                 : connectors::Format::kJson),
      input_format_auto_(config.processing.input_format == "auto"),
      dead_letter_key_mismatch_(config.processing.key_mismatch == "dead_letter"),
      time_mode_(time_mode) {}

void EventProcessor::SetRules(std::shared_ptr<const rules::RuleSet> rules) {
  rules_ = std::move(rules);
  runner_.impact().SetRules(rules_);
  has_stage_rules_ = false;
  if (rules_ == nullptr) return;
  for (const rules::Rule* rule : rules_->ForEventType(rules::kStageChangedEvent)) {
    const auto* t = std::get_if<rules::TransitionTrigger>(&rule->trigger);
    if (t != nullptr && t->what == rules::TransitionTrigger::What::kStage) has_stage_rules_ = true;
  }
}

Status EventProcessor::ProcessRecord(const connectors::SourceRecord& record, int64_t now_ms,
                                     std::vector<v1::OutboxEntry>* out) {
  std::optional<v1::TouchpointEvent> event = DecodeRecord(record, out);
  if (!event) return Status::Ok();
  const bool key_mismatch = record.key != event->customer_id();
  const bool partition_mismatch = !key_mismatch && partition_of_customer_ &&
                                  partition_of_customer_(record.key) != record.partition;
  if (key_mismatch || partition_mismatch) {
    metrics_->InputKeyMismatch();
    if (dead_letter_key_mismatch_) {
      if (partition_mismatch) {
        DeadLetter(record, "partition_mismatch",
                   "the message is on partition " + std::to_string(record.partition) +
                       ", its customer_id belongs to partition " +
                       std::to_string(partition_of_customer_(record.key)) +
                       "; producers must place messages with kafka.partitioner",
                   out);
      } else {
        DeadLetter(record, "key_mismatch",
                   record.key.empty() ? "the message has no key; producers must key by customer_id"
                                      : "the message key is not the event's customer_id; "
                                        "producers must key by customer_id",
                   out);
      }
      return Status::Ok();
    }
  }
  auto state = cache_->GetForUpdate(event->customer_id());
  if (!state.ok()) return state.status();
  if (AlreadyApplied(**state, record)) {
    metrics_->InputAlreadyApplied();
    return Status::Ok();
  }
  // Freshness counts from when the event reached the stream, when that is later than its time.
  if (Status s = Process(*event, now_ms, std::max(event->ts_ms(), record.timestamp_ms), out);
      !s.ok()) {
    return s;
  }
  // An erased customer keeps no trace, not even the position of the erasure.
  if (event->type() == config_.state.erase_event_type) return Status::Ok();
  state = cache_->GetForUpdate(event->customer_id());
  if (!state.ok()) return state.status();
  RecordApplied(record, *state);
  return Status::Ok();
}

std::optional<v1::TouchpointEvent> EventProcessor::DecodeRecord(
    const connectors::SourceRecord& record, std::vector<v1::OutboxEntry>* out) {
  if (static_cast<int64_t>(record.value.size()) > config_.processing.max_event_bytes) {
    DeadLetter(record, "too_large",
               "message of " + std::to_string(record.value.size()) +
                   " bytes exceeds processing.max_event_bytes (" +
                   std::to_string(config_.processing.max_event_bytes) + ")",
               out);
    return std::nullopt;
  }
  connectors::Format format = input_format_;
  if (input_format_auto_) {
    const size_t first = record.value.find_first_not_of(" \t\r\n");
    format = first != std::string::npos && record.value[first] == '{'
                 ? connectors::Format::kJson
                 : connectors::Format::kProtobuf;
  }
  auto decoded = connectors::DecodeEvent(record.value, format);
  if (!decoded.ok()) {
    DeadLetter(record, "undecodable", decoded.status().message(), out);
    return std::nullopt;
  }
  v1::TouchpointEvent& event = *decoded;
  if (event.customer_id().empty()) {
    DeadLetter(record, "missing_customer_id", "field 'customer_id' is missing or empty", out);
    return std::nullopt;
  }
  if (event.type().empty()) {
    DeadLetter(record, "missing_type", "field 'type' is missing or empty", out);
    return std::nullopt;
  }
  if (event.event_id().empty()) {
    event.set_event_id(record.topic + "/" + std::to_string(record.partition) + "/" +
                       std::to_string(record.offset));
  }
  if (event.ts_ms() == 0) event.set_ts_ms(record.timestamp_ms);
  if (std::optional<EventProblem> problem = CheckEvent(event, config_.processing)) {
    DeadLetter(record, problem->reason, problem->message, out);
    return std::nullopt;
  }
  return std::move(event);
}

Status EventProcessor::ProcessEvent(const v1::TouchpointEvent& event, int64_t now_ms,
                                    std::vector<v1::OutboxEntry>* out) {
  return Process(event, now_ms, event.ts_ms(), out);
}

Status EventProcessor::Process(const v1::TouchpointEvent& event, int64_t now_ms, int64_t trigger_ms,
                               std::vector<v1::OutboxEntry>* out) {
  if (time_mode_ == TimeMode::kStreamTime) {
    stream_time_ms_ = std::max(stream_time_ms_, event.ts_ms());
    now_ms = stream_time_ms_;
  }
  if (!config_.state.erase_event_type.empty() && event.type() == config_.state.erase_event_type) {
    metrics_->EventConsumed(event.type());
    auto erased = EraseCustomer(event.customer_id(), out);
    if (!erased.ok()) return erased.status();
    metrics_->CustomerErasedByEvent();
    return Status::Ok();
  }
  auto state_or = cache_->GetForUpdate(event.customer_id());
  if (!state_or.ok()) return state_or.status();
  auto expired = ExpireIfStale(**state_or, now_ms, out);
  if (!expired.ok()) return expired.status();
  if (*expired) state_or = cache_->GetForUpdate(event.customer_id());
  if (!state_or.ok()) return state_or.status();
  v1::CustomerState* state = *state_or;
  const std::string tier_before = TierOf(*state);
  if (event.ts_ms() < state->last_seen_ms()) metrics_->EventOutOfOrder();
  if (event.type() == "purchase") runner_.lifecycle().NotePurchase(event.ts_ms(), state);
  state::ApplyBuiltinAggregates(event, state);
  const state::AnalyticsUpdate analytics = analytics_.Apply(event, state);
  for (std::string_view aggregate : analytics.late_aggregates) metrics_->WindowLateEvent(aggregate);
  state::ApplySatisfactionEvent(config_.satisfaction, event, state);
  state::ApplyLoyalty(config_.loyalty, state->last_seen_ms(), state);
  state::RecordEvent(config_.history_size, event, state);
  if (value_tiers_.enabled() &&
      !value_tiers_.Update(runner_.evaluator(), runner_.models(), event, state)) {
    metrics_->ValueScoreError();
  }
  metrics_->EventConsumed(event.type());

  Step step{state, now_ms, event.ts_ms(), out, {}, {}, trigger_ms};
  // Rules on this event already see the new stage; stage_changed rules run after them.
  if (auto change = runner_.UpdateStage(step.time_ms, state)) {
    RuleRunner::QueueTransition(rules::kStageChangedEvent,
                                change->from.empty() ? "none" : change->from, change->to,
                                event.event_id(), 1, &step);
  }
  runner_.impact().OnEvent(event, now_ms, state);
  Dispatch(event, 0, event.event_id(), &step);
  Settle(event.event_id(), tier_before, &step);
  policy_.Resolve(&step);
  runner_.impact().Attribute(state);
  ArmLifecycleTimer(event, &step);
  return Status::Ok();
}

Status EventProcessor::FireTimer(const v1::Timer& timer, int64_t now_ms,
                                 std::vector<v1::OutboxEntry>* out) {
  if (time_mode_ == TimeMode::kStreamTime) {
    stream_time_ms_ = std::max(stream_time_ms_, timer.fire_ms());
    now_ms = timer.fire_ms();
  }
  auto state_or = cache_->GetForUpdate(timer.customer_id());
  if (!state_or.ok()) return state_or.status();
  auto expired = ExpireIfStale(**state_or, now_ms, out);
  if (!expired.ok()) return expired.status();
  if (*expired) {
    metrics_->TimerDropped("expired");
    return Status::Ok();
  }
  v1::CustomerState* state = *state_or;
  auto armed = state->timers().find(timer.name());
  const bool live = armed != state->timers().end() && armed->second == timer.fire_ms();
  timers_.Fired(state, timer);
  v1::TimerPayload payload;
  if (!live || !payload.ParseFromString(timer.payload())) {
    metrics_->TimerDropped(live ? "undecodable" : "stale");
    return Status::Ok();
  }
  const std::string tier_before = TierOf(*state);
  const std::string reference = "timer:" + timer.name() + "@" + std::to_string(timer.fire_ms());
  Step step{state, now_ms, timer.fire_ms(), out, {}, {}, timer.fire_ms()};
  if (payload.kind() == v1::TimerPayload::LIFECYCLE) {
    metrics_->TimerFired("lifecycle");
    // Configured stages may read RFM; the threshold stages do not.
    if (runner_.lifecycle().configured()) analytics_.RefreshRfm(step.time_ms, state);
  } else if (payload.kind() == v1::TimerPayload::DEFERRED_ACTION) {
    metrics_->TimerFired("deferred");
    policy_.SendDeferred(payload, rules_ != nullptr ? rules_->Find(payload.rule_id()) : nullptr,
                         &step);
  } else {
    const rules::Rule* rule = rules_ != nullptr ? rules_->Find(payload.rule_id()) : nullptr;
    const bool timed =
        rule != nullptr && (std::holds_alternative<rules::AbsenceTrigger>(rule->trigger) ||
                            std::holds_alternative<rules::InactivityTrigger>(rule->trigger) ||
                            std::holds_alternative<rules::ScheduleTrigger>(rule->trigger) ||
                            std::holds_alternative<rules::DateTrigger>(rule->trigger));
    if (!timed || !rule->enabled) {
      metrics_->TimerDropped("rule_gone");
    } else if (!rule->ActiveAt(now_ms)) {
      metrics_->TimerDropped("inactive");
    } else {
      metrics_->TimerFired("rule");
      runner_.UpdateStage(step.time_ms, state);
      analytics_.RefreshRfm(step.time_ms, state);
      const std::string name = rules::TriggerName(rule->trigger) + "@timer";
      TriggerRef ref{&payload.event(), reference, name, 0};
      runner_.Run(*rule, ref, &step);
      if (const auto* date = std::get_if<rules::DateTrigger>(&rule->trigger)) {
        ArmDate(*rule, *date, payload.event(), &step, true);
      }
    }
  }
  Settle(reference, tier_before, &step);
  policy_.Resolve(&step);
  runner_.impact().Attribute(state);
  ArmLifecycleTimer(payload.event(), &step);
  return Status::Ok();
}

Result<state::ErasureCounts> EventProcessor::EraseCustomer(std::string_view customer_id,
                                                           std::vector<v1::OutboxEntry>* out) {
  state::ErasureCounts counts;
  v1::CustomerState state;
  Status found = cache_->Get(customer_id, &state);
  if (found.ok()) {
    counts.had_state = true;
    counts.timers = static_cast<size_t>(state.timers_size());
    timers_.CancelPrefix(&state, "");
  } else if (found.code() != Status::Code::kNotFound) {
    return found;
  }
  cache_->Erase(customer_id);
  const size_t before = out->size();
  std::erase_if(*out, [&](const v1::OutboxEntry& entry) { return entry.key() == customer_id; });
  counts.outbox_entries = before - out->size();
  erased_.emplace_back(customer_id);
  return counts;
}

Result<bool> EventProcessor::ExpireIfStale(const v1::CustomerState& state, int64_t now_ms,
                                           std::vector<v1::OutboxEntry>* out) {
  const int64_t retention_ms = config_.state.retention_ms;
  if (retention_ms <= 0 || state.last_seen_ms() <= 0 ||
      state.last_seen_ms() >= now_ms - retention_ms) {
    return false;
  }
  // A copy: erasing clears `state`.
  const std::string customer_id = state.customer_id();
  auto erased = EraseCustomer(customer_id, out);
  if (!erased.ok()) return erased.status();
  metrics_->CustomerExpired();
  return true;
}

void EventProcessor::Dispatch(const v1::TouchpointEvent& event, int depth,
                              std::string_view reference, Step* step) {
  if (rules_ == nullptr) return;
  const int64_t now = step->now_ms;
  for (const rules::Rule* rule_ptr : rules_->ForEvent(event, &candidates_)) {
    const rules::Rule& rule = *rule_ptr;
    if (!rule.ActiveAt(now)) continue;
    TriggerRef ref{&event, reference, {}, depth};
    std::visit(
        Overloaded{
            [&](const rules::EventTrigger&) { runner_.Run(rule, ref, step); },
            [&](const rules::SequenceTrigger& t) { AdvanceSequence(rule, t, event, ref, step); },
            [&](const rules::AbsenceTrigger& t) {
              std::string name = RuleTimerName(rule);
              if (!t.correlate_on.empty()) name += ":" + PropertyText(event, t.correlate_on);
              if (event.type() == t.event_type) {
                ArmRuleTimer(rule, name, SaturatingAdd(event.ts_ms(), t.within_ms), event, step);
              } else if (event.type() == t.absent_type) {
                timers_.Cancel(step->state, name);
              }
            },
            [&](const rules::InactivityTrigger& t) {
              ArmRuleTimer(rule, RuleTimerName(rule), SaturatingAdd(event.ts_ms(), t.inactive_ms),
                           event, step);
            },
            [&](const rules::ScheduleTrigger& t) {
              ArmRuleTimer(rule, RuleTimerName(rule) + ":" + event.event_id(),
                           SaturatingAdd(event.ts_ms(), t.after_ms), event, step);
            },
            [&](const rules::ThresholdTrigger& t) {
              const std::optional<bool> now_true = runner_.Test(rule, *t.expression, event, *step);
              if (!now_true) return;
              auto& histories = *step->state->mutable_rules();
              auto it = histories.find(rule.id);
              const bool was_true = it != histories.end() && it->second.threshold_true();
              if (*now_true == was_true) return;
              histories[rule.id].set_threshold_true(*now_true);
              if (!*now_true) return;
              runner_.Run(rule, ref, step);
            },
            [&](const rules::TransitionTrigger& t) {
              const bool stage = t.what == rules::TransitionTrigger::What::kStage;
              if (event.type() != (stage ? rules::kStageChangedEvent : rules::kTierChangedEvent)) {
                return;
              }
              const std::string from = PropertyText(event, "from");
              const std::string to = PropertyText(event, "to");
              if (!Matches(t.from, from) || !Matches(t.to, to)) return;
              const std::string name = std::string(stage ? "stage:" : "tier:") + from + ">" + to;
              ref.name = name;
              runner_.Run(rule, ref, step);
            },
            [&](const rules::DateTrigger& t) { ArmDate(rule, t, event, step, false); }},
        rule.trigger);
  }
}

void EventProcessor::AdvanceSequence(const rules::Rule& rule, const rules::SequenceTrigger& t,
                                     const v1::TouchpointEvent& event, const TriggerRef& ref,
                                     Step* step) {
  constexpr int kMaxPartials = 16;
  auto& histories = *step->state->mutable_rules();
  auto existing = histories.find(rule.id);
  if (existing == histories.end() && event.type() != t.steps.front()) return;
  auto* partials =
      (existing != histories.end() ? existing->second : histories[rule.id]).mutable_sequences();
  const std::string correlation =
      t.correlate_on.empty() ? std::string() : PropertyText(event, t.correlate_on);
  // Drop partial matches whose window has closed.
  for (int i = partials->size() - 1; i >= 0; --i) {
    if (event.ts_ms() - partials->Get(i).started_ms() > t.within_ms) partials->DeleteSubrange(i, 1);
  }
  // Advance the oldest partial match waiting for this event.
  for (int i = 0; i < partials->size(); ++i) {
    v1::SequenceProgress* p = partials->Mutable(i);
    if (t.steps[p->next_step()] != event.type() || p->correlation() != correlation ||
        event.ts_ms() < p->started_ms()) {
      continue;
    }
    p->set_next_step(p->next_step() + 1);
    if (p->next_step() < static_cast<int>(t.steps.size())) return;
    partials->DeleteSubrange(i, 1);
    runner_.Run(rule, ref, step);
    return;
  }
  if (event.type() != t.steps.front()) return;
  if (partials->size() >= kMaxPartials) partials->DeleteSubrange(0, 1);
  v1::SequenceProgress* p = partials->Add();
  p->set_next_step(1);
  p->set_started_ms(event.ts_ms());
  p->set_correlation(correlation);
}

void EventProcessor::ArmRuleTimer(const rules::Rule& rule, const std::string& name, int64_t fire_ms,
                                  const v1::TouchpointEvent& event, Step* step) {
  v1::TimerPayload payload;
  payload.set_kind(v1::TimerPayload::RULE);
  payload.set_rule_id(rule.id);
  *payload.mutable_event() = event;
  if (!timers_.Arm(step->state, name, fire_ms, payload)) metrics_->TimerDropped("limit");
}

void EventProcessor::ArmDate(const rules::Rule& rule, const rules::DateTrigger& t,
                             const v1::TouchpointEvent& event, Step* step, bool force) {
  const std::string name = RuleTimerName(rule);
  const auto& armed = step->state->timers();
  auto current = armed.find(name);
  // Re-computed when not armed, when the profile may have changed, or after firing.
  if (!force && current != armed.end() && event.type() != "profile_update") return;
  const std::optional<int64_t> next = rules::NextDateFiring(
      t, *step->state, runner_.evaluator().ZoneOf(*step->state), step->time_ms);
  if (!next) {
    timers_.Cancel(step->state, name);
  } else if (current == armed.end() || current->second != *next) {
    ArmRuleTimer(rule, name, *next, event, step);
  }
}

void EventProcessor::ArmLifecycleTimer(const v1::TouchpointEvent& cause, Step* step) {
  if (!has_stage_rules_) return;
  const std::optional<int64_t> next =
      runner_.lifecycle().NextEvaluationMs(*step->state, step->time_ms);
  const auto& armed = step->state->timers();
  auto current = armed.find(kLifecycleTimer);
  if (!next) {
    if (current != armed.end()) timers_.Cancel(step->state, kLifecycleTimer);
    return;
  }
  if (current != armed.end() && current->second == *next) return;
  v1::TimerPayload payload;
  payload.set_kind(v1::TimerPayload::LIFECYCLE);
  payload.mutable_event()->set_event_id(cause.event_id());
  if (!timers_.Arm(step->state, kLifecycleTimer, *next, payload)) metrics_->TimerDropped("limit");
}

void EventProcessor::Settle(std::string_view cause, const std::string& tier_before_step,
                            Step* step) {
  std::string tier_before = tier_before_step;
  for (int round = 0; round < kMaxSettleRounds; ++round) {
    while (!step->internal.empty()) {
      InternalEvent internal = std::move(step->internal.front());
      step->internal.pop_front();
      Dispatch(internal.event, internal.depth, internal.event.event_id(), step);
    }
    if (auto change = runner_.UpdateStage(step->time_ms, step->state)) {
      RuleRunner::QueueTransition(rules::kStageChangedEvent,
                                  change->from.empty() ? "none" : change->from, change->to, cause,
                                  1, step);
    }
    const std::string tier = TierOf(*step->state);
    if (tier != tier_before) {
      RuleRunner::QueueTransition(rules::kTierChangedEvent,
                                  tier_before.empty() ? "none" : tier_before,
                                  tier.empty() ? "none" : tier, cause, 1, step);
      tier_before = tier;
    }
    if (step->internal.empty()) return;
  }
  step->internal.clear();
}

void EventProcessor::DeadLetter(const connectors::SourceRecord& record, const std::string& reason,
                                const std::string& message, std::vector<v1::OutboxEntry>* out) {
  metrics_->EventRejected(reason);
  v1::OutboxEntry entry;
  entry.set_topic(config_.output.dead_letter_topic);
  entry.set_key(record.key);
  entry.set_value(record.value);
  entry.set_id(record.topic + "/" + std::to_string(record.partition) + "/" +
               std::to_string(record.offset));
  auto& headers = *entry.mutable_headers();
  headers["touchstream.error.reason"] = reason;
  headers["touchstream.error.message"] = ValidUtf8(message);
  headers["touchstream.source.topic"] = ValidUtf8(record.topic);
  headers["touchstream.source.partition"] = std::to_string(record.partition);
  headers["touchstream.source.offset"] = std::to_string(record.offset);
  out->push_back(std::move(entry));
}

void EventProcessor::AddChangesTo(state::CommitBatch* batch) const {
  cache_->AddDirtyTo(batch);
  timers_.AddTo(batch);
  runner_.impact().AddTo(batch);
}

void EventProcessor::ChangesCommitted() {
  cache_->MarkCommitted();
  timers_.Committed();
  runner_.impact().Committed();
}

}  // namespace touchstream::engine
