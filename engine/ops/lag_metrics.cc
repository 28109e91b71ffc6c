#include "engine/ops/lag_metrics.h"

#include <algorithm>

namespace touchstream::engine {

PartitionLagMetrics::PartitionLagMetrics(prometheus::Registry& registry)
    : messages_(&prometheus::BuildGauge()
                     .Name("touchstream_consumer_lag")
                     .Help("Messages between the high watermark and this instance's position, per "
                           "input partition.")
                     .Register(registry)),
      seconds_(&prometheus::BuildGauge()
                    .Name("touchstream_event_time_lag_seconds")
                    .Help("Wall clock minus the Kafka timestamp of the last record processed, per "
                          "input partition, while messages wait behind it; 0 when caught up.")
                    .Register(registry)) {}

PartitionLagMetrics::Partition& PartitionLagMetrics::Find(const std::string& topic,
                                                          int32_t partition) {
  for (Partition& p : partitions_) {
    if (p.partition == partition && p.topic == topic) return p;
  }
  return partitions_.emplace_back(Partition{topic, partition, 0, nullptr, nullptr});
}

void PartitionLagMetrics::RecordProcessed(const std::string& topic, int32_t partition,
                                          int64_t timestamp_ms) {
  if (timestamp_ms <= 0) return;
  Partition& p = Find(topic, partition);
  p.processed_up_to_ms = std::max(p.processed_up_to_ms, timestamp_ms);
}

void PartitionLagMetrics::Update(const std::vector<PartitionLag>& assigned, int64_t now_ms) {
  const auto is_assigned = [&](const Partition& p) {
    return std::any_of(assigned.begin(), assigned.end(), [&](const PartitionLag& a) {
      return a.partition == p.partition && a.topic == p.topic;
    });
  };
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    if (is_assigned(*it)) {
      ++it;
      continue;
    }
    if (it->messages != nullptr) messages_->Remove(it->messages);
    if (it->seconds != nullptr) seconds_->Remove(it->seconds);
    it = partitions_.erase(it);
  }
  for (const PartitionLag& a : assigned) {
    if (a.messages < 0) continue;
    Partition& p = Find(a.topic, a.partition);
    const prometheus::Labels labels{{"topic", a.topic}, {"partition", std::to_string(a.partition)}};
    if (p.messages == nullptr) p.messages = &messages_->Add(labels);
    p.messages->Set(static_cast<double>(a.messages));
    if (a.messages == 0) p.processed_up_to_ms = std::max(p.processed_up_to_ms, now_ms);
    if (p.processed_up_to_ms == 0) continue;  // no event-time series yet (once set, never 0)
    if (p.seconds == nullptr) p.seconds = &seconds_->Add(labels);
    p.seconds->Set(static_cast<double>(std::max<int64_t>(now_ms - p.processed_up_to_ms, 0)) /
                   1000.0);
  }
}

}  // namespace touchstream::engine
