#include "engine/ops/lag_metrics.h"

#include <algorithm>

namespace touchstream::engine {

EventTimeLagMetrics::EventTimeLagMetrics(prometheus::Registry& registry)
    : family_(&prometheus::BuildGauge()
                   .Name("touchstream_event_time_lag_seconds")
                   .Help("Wall clock minus the Kafka timestamp of the last record processed, per "
                         "input partition, while messages wait behind it; 0 when caught up.")
                   .Register(registry)) {}

EventTimeLagMetrics::Partition& EventTimeLagMetrics::Find(const std::string& topic,
                                                          int32_t partition) {
  for (Partition& p : partitions_) {
    if (p.partition == partition && p.topic == topic) return p;
  }
  return partitions_.emplace_back(Partition{topic, partition, 0, nullptr});
}

void EventTimeLagMetrics::RecordProcessed(const std::string& topic, int32_t partition,
                                          int64_t timestamp_ms) {
  if (timestamp_ms <= 0) return;
  Partition& p = Find(topic, partition);
  p.processed_up_to_ms = std::max(p.processed_up_to_ms, timestamp_ms);
}

void EventTimeLagMetrics::Update(const std::vector<PartitionLag>& assigned, int64_t now_ms) {
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
    if (it->gauge != nullptr) family_->Remove(it->gauge);
    it = partitions_.erase(it);
  }
  for (const PartitionLag& a : assigned) {
    if (a.messages < 0) continue;
    Partition& p = Find(a.topic, a.partition);
    if (a.messages == 0) p.processed_up_to_ms = std::max(p.processed_up_to_ms, now_ms);
    if (p.processed_up_to_ms == 0) continue;  // no series yet (set once, it is never 0)
    const int64_t behind_ms = std::max<int64_t>(now_ms - p.processed_up_to_ms, 0);
    if (p.gauge == nullptr) {
      p.gauge = &family_->Add({{"topic", a.topic}, {"partition", std::to_string(a.partition)}});
    }
    p.gauge->Set(static_cast<double>(behind_ms) / 1000.0);
  }
}

}  // namespace touchstream::engine
