// Deterministic identifiers: the same inputs give the same id on every run, machine and
// instance, so a re-processed event or a replay produces the same action id.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace touchstream::engine {

// 64-bit hash of the parts (FNV-1a over each part and a separator, then a splitmix64
// finalizer). Stable across platforms and releases: it decides ids and holdout arms.
uint64_t StableHash64(std::initializer_list<std::string_view> parts, uint64_t seed = 0);

// 32 lower-case hex digits (two independent 64-bit lanes of StableHash64).
std::string DeterministicId(std::initializer_list<std::string_view> parts);

}  // namespace touchstream::engine
