// The partition of a customer id: the function the producers of the input topic use to place a
// keyed message, so that the engine can tell which input partition (and changelog partition)
// owns a customer without reading its state. Configured by kafka.partitioner.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace touchstream::engine {

enum class Partitioner {
  // librdkafka's default (`consistent_random`; `consistent` for keyed messages): CRC-32 of the
  // key modulo the partition count.
  kConsistentRandom,
  // The Java client's default and librdkafka's `murmur2_random`: Kafka's murmur2 of the key,
  // made positive, modulo the partition count.
  kMurmur2Random,
};

// "consistent_random" / "consistent" or "murmur2_random" / "murmur2"; nullopt otherwise.
std::optional<Partitioner> ParsePartitioner(std::string_view name);

// The partition of `key` among `partition_count` (> 0) partitions.
int32_t PartitionOf(Partitioner partitioner, std::string_view key, int32_t partition_count);

}  // namespace touchstream::engine
