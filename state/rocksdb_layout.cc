#include "state/rocksdb_layout.h"

namespace touchstream::state::layout {

std::string EncodeUint64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

std::optional<uint64_t> DecodeUint64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

std::string OffsetKey(std::string_view topic, int32_t partition) {
  std::string key = "offset/";
  key.append(topic);
  key.push_back('/');
  key.append(std::to_string(partition));
  return key;
}

std::string OutboxKey(uint64_t sequence) {
  return EncodeUint64(sequence);
}

std::string TimerKey(int64_t fire_ms, std::string_view customer_id, std::string_view name) {
  std::string key = EncodeUint64(static_cast<uint64_t>(fire_ms));
  key.append(TimerIndexKey(customer_id, name));
  return key;
}

std::string ImpactKey(std::string_view rule_id, std::string_view arm) {
  std::string key(kImpactPrefix);
  key.append(rule_id);
  key.push_back('/');
  key.append(arm);
  return key;
}

std::string TimerIndexKey(std::string_view customer_id, std::string_view name) {
  std::string key;
  key.reserve(customer_id.size() + 1 + name.size());
  key.append(customer_id);
  key.push_back('\0');
  key.append(name);
  return key;
}

}  // namespace touchstream::state::layout
