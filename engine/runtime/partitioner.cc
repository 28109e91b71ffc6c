#include "engine/runtime/partitioner.h"

#include <array>

namespace touchstream::engine {

namespace {

// CRC-32 (IEEE 802.3, reflected, as zlib and librdkafka's rd_crc32 compute it).
uint32_t Crc32(std::string_view data) {
  static constexpr std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = kTable[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, librdkafka's rd_murmur2).
uint32_t Murmur2(std::string_view data) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t h = kSeed ^ length;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 4 <= data.size(); i += 4) {
    uint32_t k = static_cast<uint32_t>(bytes[i]) | (static_cast<uint32_t>(bytes[i + 1]) << 8) |
                 (static_cast<uint32_t>(bytes[i + 2]) << 16) |
                 (static_cast<uint32_t>(bytes[i + 3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  switch (data.size() - i) {
    case 3:
      h ^= static_cast<uint32_t>(bytes[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(bytes[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= bytes[i];
      h *= kM;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

}  // namespace

std::optional<Partitioner> ParsePartitioner(std::string_view name) {
  if (name == "consistent_random" || name == "consistent") return Partitioner::kConsistentRandom;
  if (name == "murmur2_random" || name == "murmur2") return Partitioner::kMurmur2Random;
  return std::nullopt;
}

int32_t PartitionOf(Partitioner partitioner, std::string_view key, int32_t partition_count) {
  const uint32_t count = static_cast<uint32_t>(partition_count);
  if (partitioner == Partitioner::kMurmur2Random) {
    return static_cast<int32_t>((Murmur2(key) & 0x7fffffffu) % count);
  }
  return static_cast<int32_t>(Crc32(key) % count);
}

}  // namespace touchstream::engine
