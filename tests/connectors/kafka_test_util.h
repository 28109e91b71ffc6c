// Helpers for the Kafka integration tests: a recording partition listener, a bounded consume
// loop, the Java client's murmur2 partitioner as an independent reference, and shell commands.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/kafka_source.h"

namespace touchstream::connectors::testing {

// Settings every test group member needs on the mock cluster (see PLATFORM-FACTS.md).
inline std::map<std::string, std::string> FastGroupProperties() {
  return {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
}

// Records rebalance callbacks; start offsets come from `start_offsets` (nullopt otherwise).
// `on_revoked`, when set, runs inside OnRevoked (e.g. to commit).
class RecordingListener : public PartitionListener {
 public:
  std::optional<int64_t> StartOffset(const TopicPartition& tp) override {
    const auto it = start_offsets.find(tp);
    if (it == start_offsets.end()) return std::nullopt;
    return it->second;
  }
  void OnAssigned(const std::vector<TopicPartition>& partitions) override {
    assigned.insert(assigned.end(), partitions.begin(), partitions.end());
    if (on_assigned) on_assigned(partitions);
  }
  void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) override {
    revoked.insert(revoked.end(), partitions.begin(), partitions.end());
    any_lost = any_lost || lost;
    if (on_revoked) on_revoked(partitions);
  }

  std::map<TopicPartition, int64_t> start_offsets;
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
  std::vector<TopicPartition> assigned;
  std::vector<TopicPartition> revoked;
  bool any_lost = false;
};

// Polls until `count` records arrived or `timeout_ms` of wall time passed (integration tests
// wait for a real broker). Stops at the first Poll error (the test then sees fewer records).
inline std::vector<SourceRecord> ConsumeRecords(KafkaSource& source, size_t count, int timeout_ms) {
  std::vector<SourceRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (records.size() < count && std::chrono::steady_clock::now() < deadline) {
    Result<std::optional<SourceRecord>> record = source.Poll(100);
    if (!record.ok()) break;
    if (record->has_value()) records.push_back(std::move(**record));
  }
  return records;
}

// org.apache.kafka.common.utils.Utils.murmur2, transcribed from the Java client.
inline int32_t JavaMurmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const uint32_t length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28cu ^ length;
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  for (uint32_t i = 0; i < length / 4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= byte(tail + 2) << 16;
      [[fallthrough]];
    case 2:
      h ^= byte(tail + 1) << 8;
      [[fallthrough]];
    case 1:
      h ^= byte(tail);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

// The Java producer's partition for a keyed record: toPositive(murmur2(key)) % partitions.
inline int32_t JavaPartition(std::string_view key, int32_t partitions) {
  return (JavaMurmur2(key) & 0x7fffffff) % partitions;
}

// Runs a shell command, returning its exit code and standard output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace touchstream::connectors::testing
