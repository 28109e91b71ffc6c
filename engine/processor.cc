#include "engine/processor.h"

#include <algorithm>

#include "engine/ids.h"
#include "state/builtin_aggregates.h"

namespace touchstream::engine {

EventProcessor::EventProcessor(const EngineConfig& config, state::CustomerCache* cache,
                               EngineMetrics* metrics, TimeMode time_mode)
    : config_(config),
      cache_(cache),
      metrics_(metrics),
      input_format_(config.processing.input_format == "protobuf" ? connectors::Format::kProtobuf
                                                                 : connectors::Format::kJson),
      input_format_auto_(config.processing.input_format == "auto"),
      output_format_(config.output.format == "protobuf" ? connectors::Format::kProtobuf
                                                        : connectors::Format::kJson),
      time_mode_(time_mode) {}

void EventProcessor::SetRules(std::shared_ptr<const rules::RuleSet> rules) {
  rules_ = std::move(rules);
}

Status EventProcessor::ProcessRecord(const connectors::SourceRecord& record, int64_t now_ms,
                                     std::vector<v1::OutboxEntry>* out) {
  if (static_cast<int64_t>(record.value.size()) > config_.processing.max_event_bytes) {
    DeadLetter(record, "too_large",
               "message of " + std::to_string(record.value.size()) +
                   " bytes exceeds processing.max_event_bytes (" +
                   std::to_string(config_.processing.max_event_bytes) + ")",
               out);
    return Status::Ok();
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
    return Status::Ok();
  }
  v1::TouchpointEvent& event = *decoded;
  if (event.customer_id().empty()) {
    DeadLetter(record, "missing_customer_id", "field 'customer_id' is missing or empty", out);
    return Status::Ok();
  }
  if (event.type().empty()) {
    DeadLetter(record, "missing_type", "field 'type' is missing or empty", out);
    return Status::Ok();
  }
  if (event.event_id().empty()) {
    event.set_event_id(record.topic + "/" + std::to_string(record.partition) + "/" +
                       std::to_string(record.offset));
  }
  if (event.ts_ms() == 0) event.set_ts_ms(record.timestamp_ms);
  return ProcessEvent(event, now_ms, out);
}

Status EventProcessor::ProcessEvent(const v1::TouchpointEvent& event, int64_t now_ms,
                                    std::vector<v1::OutboxEntry>* out) {
  if (time_mode_ == TimeMode::kStreamTime) {
    stream_time_ms_ = std::max(stream_time_ms_, event.ts_ms());
    now_ms = stream_time_ms_;
  }
  auto state_or = cache_->GetForUpdate(event.customer_id());
  if (!state_or.ok()) return state_or.status();
  v1::CustomerState* state = *state_or;
  state::ApplyBuiltinAggregates(event, state);
  metrics_->EventConsumed(event.type());
  if (!rules_) return Status::Ok();

  rules::EvalContext ctx;
  ctx.event = &event;
  ctx.customer = state;
  ctx.now_ms = now_ms;
  for (const rules::Rule* rule : rules_->ForEventType(event.type())) {
    if (!rule->ActiveAt(now_ms)) continue;
    RunRule(*rule, ctx, state, out);
  }
  return Status::Ok();
}

void EventProcessor::RunRule(const rules::Rule& rule, const rules::EvalContext& ctx,
                             v1::CustomerState* state, std::vector<v1::OutboxEntry>* out) {
  metrics_->RuleEvaluated(rule.id);
  const v1::TouchpointEvent& event = *ctx.event;
  std::string error;
  const rules::ConditionResult result = evaluator_.EvaluateCondition(rule, ctx, &error);
  if (result == rules::ConditionResult::kFalse) return;

  v1::Decision decision;
  decision.set_customer_id(event.customer_id());
  decision.set_rule_id(rule.id);
  decision.set_rule_version(rule.version);
  decision.set_trigger_event_id(event.event_id());
  decision.set_ts_ms(ctx.now_ms);
  decision.set_decision_id(
      DeterministicId({"decision", rule.id, rule.version, event.customer_id(), event.event_id()}));
  std::vector<std::pair<std::string, std::string>> inputs;
  evaluator_.ExplainCondition(rule, ctx, &inputs);
  for (auto& [name, value] : inputs) (*decision.mutable_inputs())[name] = value;

  if (result == rules::ConditionResult::kError) {
    metrics_->RuleError(rule.id);
    decision.set_outcome(v1::Decision::NOT_MATCHED);
    decision.set_reason("eval_error: " + error);
    EmitDecision(std::move(decision), out);
    return;
  }

  int action_index = 0;
  std::string first_action_id;
  for (const auto& action : rule.actions) {
    const auto* emit = std::get_if<rules::EmitAction>(&action);
    if (emit == nullptr) continue;
    auto rendered = evaluator_.RenderEmit(rule, *emit, ctx);
    ++action_index;
    if (!rendered.ok()) {
      metrics_->RuleError(rule.id);
      decision.set_outcome(v1::Decision::NOT_MATCHED);
      decision.set_reason("eval_error: " + rendered.status().message());
      EmitDecision(std::move(decision), out);
      return;
    }
    v1::Action a;
    a.set_action_id(DeterministicId({"action", rule.id, rule.version, event.customer_id(),
                                     event.event_id(), std::to_string(action_index)}));
    a.set_customer_id(event.customer_id());
    a.set_rule_id(rule.id);
    a.set_rule_version(rule.version);
    a.set_kind(rendered->kind);
    a.set_channel(rendered->channels.empty() ? std::string() : rendered->channels.front());
    a.set_message(rendered->message);
    for (auto& [key, value] : rendered->payload) (*a.mutable_payload())[key] = value;
    a.set_trigger_event_id(event.event_id());
    a.set_ts_ms(ctx.now_ms);
    if (first_action_id.empty()) first_action_id = a.action_id();

    v1::OutboxEntry entry;
    entry.set_topic(config_.TopicFor(a.channel(), a.kind()));
    entry.set_key(a.customer_id());
    entry.set_id(a.action_id());
    entry.set_value(connectors::EncodeAction(a, output_format_));
    auto& headers = *entry.mutable_headers();
    headers["touchstream.channel"] = a.channel();
    headers["touchstream.kind"] = a.kind();
    headers["touchstream.rule"] = a.rule_id();
    out->push_back(std::move(entry));
  }
  metrics_->RuleFired(rule.id);
  v1::RuleHistory& history = (*state->mutable_rules())[rule.id];
  history.set_fire_count(history.fire_count() + 1);
  history.set_last_fired_ms(event.ts_ms());

  decision.set_outcome(v1::Decision::FIRED);
  decision.set_reason("fired");
  decision.set_action_id(first_action_id);
  EmitDecision(std::move(decision), out);
}

void EventProcessor::EmitDecision(v1::Decision decision, std::vector<v1::OutboxEntry>* out) {
  if (config_.output.decisions_topic.empty()) return;
  v1::OutboxEntry entry;
  entry.set_topic(config_.output.decisions_topic);
  entry.set_key(decision.customer_id());
  entry.set_id(decision.decision_id());
  entry.set_value(connectors::EncodeDecision(decision, output_format_));
  out->push_back(std::move(entry));
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
  headers["touchstream.error.message"] = message;
  headers["touchstream.source.topic"] = record.topic;
  headers["touchstream.source.partition"] = std::to_string(record.partition);
  headers["touchstream.source.offset"] = std::to_string(record.offset);
  out->push_back(std::move(entry));
}

}  // namespace touchstream::engine
