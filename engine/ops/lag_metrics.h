// EventTimeLagMetrics: touchstream_event_time_lag_seconds{topic,partition}, how far behind
// the wall clock this instance's processing of each assigned input partition is, while messages
// wait in it (lag in messages > 0): now minus the later of the Kafka timestamp (the producer's
// create time, or the broker's log-append time) of the last record processed from it and the
// last time it was seen caught up. 0 while it is caught up: a quiet partition is not behind.
//
// A partition with messages waiting that was neither caught up nor had a timestamped record
// processed since it was assigned has no series (touchstream_consumer_lag shows it, and the
// "not processing" alert fires). Series of partitions no longer assigned are removed at the next
// Update.
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

class EventTimeLagMetrics {
 public:
  // Registers the family in `registry`, which must outlive this object.
  explicit EventTimeLagMetrics(prometheus::Registry& registry);

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
  // Sets the gauge of every partition in `assigned` whose lag is known, at wall-clock `now_ms`,
  // and forgets the partitions not in `assigned`.
  void Update(const std::vector<PartitionLag>& assigned, int64_t now_ms);

 private:
  struct Partition {
    std::string topic;
    int32_t partition;
    // Processing is complete up to this time (ms since the Unix epoch; 0: unknown).
    int64_t processed_up_to_ms;
    prometheus::Gauge* gauge;  // null until first set
  };
  Partition& Find(const std::string& topic, int32_t partition);

  prometheus::Family<prometheus::Gauge>* family_;
  std::vector<Partition> partitions_;
};

}  // namespace touchstream::engine
