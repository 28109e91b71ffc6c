#include "engine/policy/quiet_hours.h"

#include <date/tz.h>

#include <chrono>

namespace touchstream::engine {

std::optional<int64_t> QuietUntil(const rules::QuietHours& quiet, int64_t ms,
                                  const date::time_zone* zone) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  const date::sys_time<milliseconds> sys{milliseconds(ms)};
  const date::local_time<milliseconds> local =
      zone != nullptr ? zone->to_local(sys) : date::local_time<milliseconds>{milliseconds(ms)};
  const date::local_days day = date::floor<date::days>(local);
  const auto minute = static_cast<int>(std::chrono::duration_cast<minutes>(local - day).count());
  const int from = quiet.from_minute;
  const int to = quiet.to_minute;
  const bool in_quiet =
      from < to ? (minute >= from && minute < to) : (minute >= from || minute < to);
  if (!in_quiet) return std::nullopt;
  date::local_time<minutes> open = day + minutes(to);
  if (open <= local) open += date::days(1);
  const date::sys_time<milliseconds> opens =
      zone != nullptr ? zone->to_sys(open, date::choose::earliest)
                      : date::sys_time<milliseconds>{open.time_since_epoch()};
  return opens.time_since_epoch().count();
}

}  // namespace touchstream::engine
