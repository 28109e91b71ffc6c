// IANA time zone lookups for hour_of_day() and day_of_week(), cached per owner (one cache per
// Evaluator, so no global mutable state of ours). Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "touchstream/v1/state.pb.h"

namespace date {
class time_zone;
}

namespace touchstream::rules {

class ZoneCache {
 public:
  // The zone named `name` (e.g. "Europe/Paris"), or null (meaning UTC) when the name is
  // empty or unknown. Unknown names are cached too. The cache holds at most kMaxEntries
  // names and is cleared when full, bounding memory when attributes hold garbage.
  const date::time_zone* Find(std::string_view name);

  static constexpr size_t kMaxEntries = 512;

 private:
  std::map<std::string, const date::time_zone*, std::less<>> zones_;
  // The last name looked up and its zone: customers are evaluated by several rules in a row.
  std::string last_name_;
  const date::time_zone* last_zone_ = nullptr;
};

struct LocalTime {
  int hour = 0;     // 0-23
  int weekday = 0;  // 0 = Sunday
};

// The wall-clock hour and weekday of `ms` (Unix epoch, UTC) in `zone` (null = UTC).
LocalTime ToLocalTime(int64_t ms, const date::time_zone* zone);

// The customer's time zone (profile attribute `time_zone`), or null (UTC) when it is absent,
// not a string or unknown.
const date::time_zone* CustomerZone(const touchstream::v1::CustomerState& customer,
                                    ZoneCache* zones);

}  // namespace touchstream::rules
