#include "engine/policy/delivery_history.h"

#include <algorithm>

namespace touchstream::engine {

int64_t SentRetentionMs(const PolicyConfig& config) {
  int64_t ms = config.exclusion_period_ms;
  for (const FrequencyCap& cap : config.caps) ms = std::max(ms, cap.per_ms);
  return ms;
}

void RecordSent(v1::SentRecord record, int64_t retention_ms, v1::DeliveryHistory* history) {
  auto* sent = history->mutable_sent();
  const int64_t oldest = record.ts_ms() - retention_ms;
  int drop = 0;
  while (drop < sent->size() && sent->Get(drop).ts_ms() < oldest) ++drop;
  drop = std::max(drop, sent->size() + 1 - kMaxSentRecords);
  if (drop > 0) sent->DeleteSubrange(0, drop);
  *sent->Add() = std::move(record);
}

void RecordDecision(const v1::Decision& decision, std::string_view channel, int64_t ts_ms,
                    const PolicyConfig& config, v1::DeliveryHistory* history) {
  if (config.history_size <= 0) return;
  auto* decisions = history->mutable_decisions();
  if (decisions->size() >= config.history_size) {
    decisions->DeleteSubrange(0, decisions->size() + 1 - static_cast<int>(config.history_size));
  }
  v1::DecisionRecord* r = decisions->Add();
  r->set_ts_ms(ts_ms);
  r->set_rule_id(decision.rule_id());
  r->set_outcome(decision.outcome());
  r->set_reason(decision.reason());
  r->set_action_id(decision.action_id());
  r->set_channel(std::string(channel));
}

bool CapCounts(const FrequencyCap& cap, std::string_view category, std::string_view channel) {
  if (!cap.channel.empty() && cap.channel != channel) return false;
  if (cap.categories.empty()) return category != "operational";
  return std::find(cap.categories.begin(), cap.categories.end(), category) != cap.categories.end();
}

int64_t CountForCap(const v1::DeliveryHistory& history, const FrequencyCap& cap, int64_t since_ms) {
  int64_t n = 0;
  for (const v1::SentRecord& r : history.sent()) {
    if (r.ts_ms() > since_ms && CapCounts(cap, r.category(), r.channel())) ++n;
  }
  return n;
}

bool GroupUsedSince(const v1::DeliveryHistory& history, std::string_view group, int64_t since_ms) {
  return std::any_of(history.sent().begin(), history.sent().end(), [&](const v1::SentRecord& r) {
    return r.ts_ms() > since_ms && r.exclusion_group() == group;
  });
}

}  // namespace touchstream::engine
