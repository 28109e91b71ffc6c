#include "engine/core/ids.h"

namespace touchstream::engine {

namespace {

uint64_t Finalize(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

void AppendHex(uint64_t v, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kDigits[(v >> shift) & 0xf]);
}

}  // namespace

uint64_t StableHash64(std::initializer_list<std::string_view> parts, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Finalize(seed);
  for (std::string_view part : parts) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // separator: ("ab","c") and ("a","bc") differ
    h *= 0x100000001b3ULL;
  }
  return Finalize(h);
}

std::string DeterministicId(std::initializer_list<std::string_view> parts) {
  std::string id;
  id.reserve(32);
  AppendHex(StableHash64(parts, 1), &id);
  AppendHex(StableHash64(parts, 2), &id);
  return id;
}

}  // namespace touchstream::engine
