// Key and value encodings of the RocksDB state store (the layout is described at the top of
// rocksdb_store.cc). Exposed so that tests and tools can read or craft raw entries.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchstream::state::layout {

// Column families (besides RocksDB's mandatory, unused "default").
inline constexpr std::string_view kCustomers = "customers";
inline constexpr std::string_view kTimers = "timers";
inline constexpr std::string_view kTimerIndex = "timer_index";
inline constexpr std::string_view kOutbox = "outbox";
inline constexpr std::string_view kMeta = "meta";

// Keys in the meta column family.
inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr std::string_view kOutboxSequenceKey = "outbox_seq";
// Prefix of the impact counter keys.
inline constexpr std::string_view kImpactPrefix = "impact/";

// The store format this build writes; stores with a larger version are refused.
inline constexpr uint64_t kFormatVersion = 1;

// 8 bytes, most significant first (so byte order is numeric order).
std::string EncodeUint64(uint64_t value);
// nullopt unless `bytes` is exactly 8 bytes long.
std::optional<uint64_t> DecodeUint64(std::string_view bytes);

// "offset/<topic>/<partition>" (partition in decimal).
std::string OffsetKey(std::string_view topic, int32_t partition);
// 8-byte big-endian sequence.
std::string OutboxKey(uint64_t sequence);
// 8-byte big-endian fire_ms (never negative), customer_id, '\0', name.
std::string TimerKey(int64_t fire_ms, std::string_view customer_id, std::string_view name);
// "impact/<rule_id>/<arm>" (neither contains '/').
std::string ImpactKey(std::string_view rule_id, std::string_view arm);
// customer_id, '\0', name.
std::string TimerIndexKey(std::string_view customer_id, std::string_view name);

}  // namespace touchstream::state::layout
