// PartitionLagMetrics: the lag of each assigned input partition, in two gauges:
//   touchstream_consumer_lag{topic,partition}: messages between the high watermark and this
//     instance's position;
//   touchstream_event_time_lag_seconds{topic,partition}: how far behind the wall clock
//     processing of the partition is while messages wait in it: now minus the later of the
//     Kafka timestamp (the producer's create time, or the broker's log-append time) of the last
//     record processed from it and the last time it was seen caught up. 0 while it is caught up:
//     a quiet partition is not behind.
// A partition whose lag in messages is unknown keeps its previous values. One with messages
// waiting that was neither caught up nor had a timestamped record processed since it was
// assigned has no event-time series yet (touchstream_consumer_lag shows it, and the "not
// processing" alert fires). Both series of a partition no longer assigned are removed at the
// next Update, so a revoked partition's last lag does not linger.
//
// Thread safety: RecordProcessed and Update from one thread (the processing thread); the
// registry may be scraped concurrently.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>
#include <vector>

namespace touchstream::engine {

class PartitionLagMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit PartitionLagMetrics(prometheus::Registry& registry);

  // A record of topic/partition with Kafka timestamp `timestamp_ms` (ms since the Unix epoch;
  // 0 = none, ignored) was processed. Per record: a short linear search, no allocation once the
  // partition is known.
  void RecordProcessed(const std::string& topic, int32_t partition, int64_t timestamp_ms);

  struct PartitionLag {
    std::string topic;
    int32_t partition = 0;
    // Messages between the high watermark and the position; < 0 when unknown.
    int64_t messages = -1;
  };
  // Sets the gauges of every partition in `assigned` whose lag is known, at wall-clock `now_ms`,
  // and removes the series of the partitions not in `assigned`.
  void Update(const std::vector<PartitionLag>& assigned, int64_t now_ms);

 private:
  struct Partition {
    std::string topic;
    int32_t partition;
    // Processing is complete up to this time (ms since the Unix epoch; 0: unknown).
    int64_t processed_up_to_ms;
    prometheus::Gauge* messages;  // null until first set
    prometheus::Gauge* seconds;   // null until first set
  };
  Partition& Find(const std::string& topic, int32_t partition);

  prometheus::Family<prometheus::Gauge>* messages_;
  prometheus::Family<prometheus::Gauge>* seconds_;
  std::vector<Partition> partitions_;
};

}  // namespace touchstream::engine
