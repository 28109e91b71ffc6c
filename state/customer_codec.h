// Encoding of stored customer states, and the one place where stored states are decoded.
//
// CustomerState.schema_version says which encoding a stored state uses. Versioning rule:
//   - The current version is kCustomerSchemaVersion; every state is written with it.
//   - Adding an optional field with a new number is NOT a new version (protobuf reads old
//     records with the field unset, and old readers skip it). A new version is needed when
//     existing data must be transformed to keep its meaning (a field renumbered, split, moved
//     into a message, a unit changed...).
//   - A new version N comes with an upgrade step N-1 -> N in customer_codec.cc; decoding applies
//     the steps from the stored version up to the current one, one at a time, so any old state
//     is readable. The store rewrites it as current the next time the customer changes.
//   - A state with a NEWER version than this build knows is refused (never decoded partially
//     and written back, which would silently drop what the newer build stored).
// Version 0 (the field unset) is read as version 1, the first.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

// The CustomerState encoding this build writes.
inline constexpr uint32_t kCustomerSchemaVersion = 1;

// Decodes the stored bytes of customer `customer_id` into *out and upgrades them to
// kCustomerSchemaVersion (out->schema_version() is then current). Errors, naming the customer:
// Corruption when the bytes do not decode; InvalidArgument when the stored version is newer
// than kCustomerSchemaVersion (the message names both versions). *out is unspecified on error.
Status DecodeCustomer(std::string_view customer_id, std::string_view bytes, v1::CustomerState* out);

}  // namespace touchstream::state
