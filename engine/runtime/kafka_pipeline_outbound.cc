// KafkaPipeline: the outbound side (docs/guarantees.md): producing committed outbox entries,
// their delivery reports, re-sends with backoff, dead-lettering refused actions and holding the
// entries of a topic that refuses messages. The rest of the pipeline is in kafka_pipeline.cc.
#include "engine/runtime/kafka_pipeline.h"

namespace touchstream::engine {

namespace {
// Backoffs (first, max; doubling) of re-sends and held-topic probes.
constexpr int64_t kResendFirstMs = 1000;
constexpr int64_t kResendMaxMs = 30000;
constexpr int64_t kTopicRetryFirstMs = 5000;
constexpr int64_t kTopicRetryMaxMs = 60000;
}  // namespace

void KafkaPipeline::Produce(uint64_t sequence, const v1::OutboxEntry& entry) {
  std::vector<std::pair<std::string, std::string>> headers(entry.headers().begin(),
                                                           entry.headers().end());
  if (!entry.id().empty()) headers.emplace_back("touchstream.id", entry.id());
  connectors::DeliveryFailure failure = connectors::DeliveryFailure::kNone;
  Status s = sink_->Produce(entry.topic(), entry.key(), entry.value(), headers, sequence,
                            entry.has_partition() ? entry.partition() : -1, &failure);
  if (!s.ok()) HandleDeliveryFailure(sequence, failure, s);
}

void KafkaPipeline::HandleDeliveryFailure(uint64_t sequence, connectors::DeliveryFailure failure,
                                          const Status& status) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end()) return;
  metrics_->DeliveryFailed(connectors::DeliveryFailureName(failure));
  switch (failure) {
    case connectors::DeliveryFailure::kMessage:
      DeadLetterAction(sequence, "undeliverable", status);
      return;
    case connectors::DeliveryFailure::kTopic:
      HoldForTopic(sequence, it->second.topic(), status);
      return;
    case connectors::DeliveryFailure::kFatal:
      RecreateSinkSoon(status);
      return;
    case connectors::DeliveryFailure::kNone:
    case connectors::DeliveryFailure::kRetriable:
      if (to_resend_.empty()) {
        resend_at_ms_ = NowMono() + resend_backoff_ms_;
        resend_backoff_ms_ = std::clamp(resend_backoff_ms_ * 2, kResendFirstMs, kResendMaxMs);
      }
      to_resend_.push_back(sequence);
      return;
  }
}

void KafkaPipeline::DeadLetterAction(uint64_t sequence, const std::string& reason,
                                     const Status& status) {
  v1::OutboxEntry& entry = in_flight_.at(sequence);
  auto& headers = *entry.mutable_headers();
  if (entry.topic() == config_.output.actions_dead_letter_topic) {
    // The dead-letter copy itself was refused (too large): once more without its value.
    if (headers.count("touchstream.error.value_bytes") == 0) {
      headers["touchstream.error.value_bytes"] = std::to_string(entry.value().size());
      entry.clear_value();
      Produce(sequence, entry);
      return;
    }
    log_->Error("pipeline",
                "dead-letter copy of a message refused too; it is removed from the outbox",
                {{"id", entry.id()},
                 {"topic", headers["touchstream.error.topic"]},
                 {"error", status.ToString()}});
    metrics_->ActionDeadLettered("dead_letter_refused");
    in_flight_.erase(sequence);
    delivered_.push_back(sequence);
    return;
  }
  headers["touchstream.error.reason"] = reason;
  headers["touchstream.error.message"] = status.ToString();
  headers["touchstream.error.topic"] = entry.topic();
  entry.set_topic(config_.output.actions_dead_letter_topic);
  metrics_->ActionDeadLettered(reason);
  Produce(sequence, entry);
}

void KafkaPipeline::HoldForTopic(uint64_t sequence, const std::string& topic,
                                 const Status& status) {
  auto [it, first] = held_.try_emplace(topic);
  HeldTopic& held = it->second;
  if (first) {
    log_->Warn("pipeline",
               "topic refuses messages; its messages wait in the outbox while other topics go on",
               {{"topic", topic}, {"error", status.ToString()}});
    held.backoff_ms = kTopicRetryFirstMs;
    held.retry_at_ms = NowMono() + held.backoff_ms;
  }
  held.sequences.push_back(sequence);
  while (static_cast<int64_t>(held.sequences.size()) > config_.output.topic_hold_max_messages) {
    const uint64_t oldest = held.sequences.front();
    held.sequences.pop_front();
    DeadLetterAction(oldest, "topic_unavailable", status);
  }
  metrics_->SetTopicHeld(topic, static_cast<double>(held.sequences.size()));
}

void KafkaPipeline::ReleaseHeld(const std::string& topic) {
  auto it = held_.find(topic);
  if (it == held_.end()) return;
  std::deque<uint64_t> sequences = std::move(it->second.sequences);
  held_.erase(it);
  metrics_->SetTopicHeld(topic, 0);
  log_->Info("pipeline", "topic accepts messages again; sending the messages held back",
             {{"topic", topic}, {"messages", sequences.size()}});
  for (uint64_t sequence : sequences) {
    if (auto entry = in_flight_.find(sequence); entry != in_flight_.end()) {
      Produce(sequence, entry->second);
    }
  }
}

void KafkaPipeline::RetryOutbound() {
  const int64_t now = NowMono();
  if (!to_resend_.empty() && now >= resend_at_ms_ && brokers_down_since_ms_ < 0) {
    for (uint64_t sequence : std::exchange(to_resend_, {})) {
      if (auto it = in_flight_.find(sequence); it != in_flight_.end())
        Produce(sequence, it->second);
    }
  }
  for (auto& [topic, held] : held_) {
    if (now < held.retry_at_ms || held.sequences.empty()) continue;
    // One message probes the topic; its delivery releases the others (ReleaseHeld).
    held.retry_at_ms = now + held.backoff_ms;
    held.backoff_ms = std::min(held.backoff_ms * 2, kTopicRetryMaxMs);
    const uint64_t probe = held.sequences.front();
    held.sequences.pop_front();
    if (auto it = in_flight_.find(probe); it != in_flight_.end()) Produce(probe, it->second);
    break;  // Produce may have changed held_
  }
}

void KafkaPipeline::ServeDeliveryReports(int timeout_ms) {
  std::vector<connectors::DeliveryReport> reports;
  sink_->Poll(timeout_ms, &reports);
  for (const auto& report : reports) {
    auto it = in_flight_.find(report.token);
    if (it == in_flight_.end()) continue;
    if (!report.status.ok()) {
      HandleDeliveryFailure(report.token, report.failure, report.status);
      continue;
    }
    resend_backoff_ms_ = 0;
    const auto& headers = it->second.headers();
    if (auto channel = headers.find("touchstream.channel"); channel != headers.end()) {
      metrics_->ActionProduced(channel->second);
    }
    in_flight_.erase(it);
    delivered_.push_back(report.token);
    if (!held_.empty()) ReleaseHeld(report.topic);
  }
  if (!reports.empty()) metrics_->SetOutboxDepth(static_cast<double>(in_flight_.size()));
  // A fatal error may leave the messages in flight without a report: no produce or delivery
  // failure would say so.
  if (sink_->failed_fatally() && !recreate_sink_) {
    metrics_->DeliveryFailed(connectors::DeliveryFailureName(connectors::DeliveryFailure::kFatal));
    RecreateSinkSoon(Status::Internal("the Kafka producer reported a fatal error"));
  }
}

void KafkaPipeline::RecreateSinkSoon(const Status& cause) {
  if (!recreate_sink_) {
    log_->Error("pipeline",
                "the Kafka producer failed fatally; recreating it and re-sending the outbox",
                {{"error", cause.ToString()}});
  }
  recreate_sink_ = true;
}

}  // namespace touchstream::engine
