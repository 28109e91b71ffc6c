// Declarations of windowed aggregates, as written in the engine config:
//
//   aggregates:
//     spend_90d: sum(purchase.amount) over 90d
//     views_7d: count(page_view) over 7d
//     views_24h: count(page_view) over 24h bucket 15m
//     categories_30d: distinct(purchase.category) over 30d limit 100
//
// Grammar (spaces are free between tokens):
//   declaration := kind "(" source ")" "over" duration [ "bucket" duration ] [ "limit" int ]
//   kind        := count | sum | min | max | avg | average | distinct
//   source      := event_type [ "." property ] | "*"          ("*": events of any type)
//   duration    := one or more <int><unit>, unit ms | s | m | h | d | w   ("1h30m", "90d")
// count may name a property (then only events having it count); sum, min, max, avg and
// distinct must. `bucket` is the time-bucket width (default below); `limit` is distinct only:
// how many distinct values are kept exactly (default 64, at most 1024).
//
// Default bucket: the largest of 1d, 1h, 1m, 1s that divides the window into 7 to 1000
// buckets (90d -> 1d, 7d -> 1d, 24h -> 1h, 2h -> 1m). A window must be a whole number of
// buckets, at most 1000 of them.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

inline constexpr int64_t kMsPerDay = 86'400'000;
inline constexpr int64_t kMaxWindowBuckets = 1000;
inline constexpr int32_t kDefaultDistinctLimit = 64;
inline constexpr int32_t kMaxDistinctLimit = 1024;

struct WindowDeclaration {
  // The aggregate's name (the key under `aggregates:`; rules read customer.aggregates.<name>).
  std::string name;
  v1::WindowState::Kind kind = v1::WindowState::COUNT;
  // Event type counted; "*" for any.
  std::string event_type;
  // Property aggregated; empty for a plain count.
  std::string property;
  int64_t window_ms = 0;
  int64_t bucket_ms = 0;
  // DISTINCT only: values kept exactly before sampling starts.
  int32_t distinct_limit = kDefaultDistinctLimit;

  // Canonical text, e.g. "sum(purchase.amount) over 90d bucket 1d".
  std::string ToString() const;
  // Fingerprint of everything but the name, stored in WindowState.declaration.
  uint32_t Fingerprint() const;
};

// Parses `text` as the declaration of aggregate `name`. InvalidArgument with a message that
// names the mistake (no file or key prefix; the config loader adds those), e.g.
// "unknown kind 'summ' (did you mean 'sum'?)" or "window 90d is not a multiple of the bucket 7d".
Result<WindowDeclaration> ParseWindowDeclaration(std::string_view name, std::string_view text);

// Ok when `name` can be written in a rule path: [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes.
Status ValidateAggregateName(std::string_view name);

// Parses a positive duration (base/duration.h: "90d", "1h30m", "250ms", "2w") into *ms. False
// when malformed, zero, negative or overflowing.
bool ParseConfigDuration(std::string_view text, int64_t* ms);

// Canonical text of a duration: "90d", "1h30m", "250ms".
std::string FormatConfigDuration(int64_t ms);

// The kind's name as written in declarations ("count", "sum", "min", "max", "avg",
// "distinct").
std::string_view WindowKindName(v1::WindowState::Kind kind);

}  // namespace touchstream::state
