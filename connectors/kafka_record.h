// Plain values exchanged with Kafka: a topic partition and one consumed record.
// Value types; no thread-safety concerns beyond those of std::string.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace touchstream::connectors {

// One partition of one topic; ordered by topic, then partition.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// One record as consumed: where it came from, its key, value, timestamp and headers.
struct SourceRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  // Message timestamp (create or log-append time), milliseconds since the Unix epoch; 0 if none.
  int64_t timestamp_ms = 0;
  // In message order; a header without a value has an empty string.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace touchstream::connectors
