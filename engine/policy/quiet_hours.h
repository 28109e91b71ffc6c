// Quiet hours in a customer's time zone: whether an instant falls in them, and when they end.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "rules/rule.h"

namespace date {
class time_zone;
}

namespace touchstream::engine {

// When `ms` (Unix epoch, UTC) falls in `quiet` in `zone` (null = UTC): the first instant at or
// after `ms` when the local time is `quiet.to_minute` again (the window opens); nullopt when
// `ms` is outside the quiet hours. A local opening time skipped by a daylight-saving change
// opens at the change; one repeated by it opens at its first occurrence.
std::optional<int64_t> QuietUntil(const rules::QuietHours& quiet, int64_t ms,
                                  const date::time_zone* zone);

}  // namespace touchstream::engine
