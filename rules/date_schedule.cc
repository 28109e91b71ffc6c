#include "rules/date_schedule.h"

#include <date/tz.h>

#include <algorithm>
#include <charconv>

namespace touchstream::rules {

namespace {

using std::chrono::milliseconds;

// The UTC instant of local midnight of `day` plus `offset_ms` in `zone`.
int64_t LocalToUtcMs(int32_t day, int64_t offset_ms, const date::time_zone* zone) {
  const date::local_time<milliseconds> local{
      milliseconds(static_cast<int64_t>(day) * 86400000 + offset_ms)};
  if (zone == nullptr) return local.time_since_epoch().count();
  const date::local_info info = zone->get_info(date::floor<std::chrono::seconds>(local));
  std::chrono::seconds shift = info.first.offset;
  if (info.result == date::local_info::nonexistent) {
    // In a gap: the first instant after it, i.e. the gap's end in UTC.
    return std::chrono::duration_cast<milliseconds>(info.second.begin.time_since_epoch()).count();
  }
  // unique, or ambiguous: the first occurrence uses the earlier offset (info.first).
  return local.time_since_epoch().count() - std::chrono::duration_cast<milliseconds>(shift).count();
}

// The local calendar day of an instant in `zone`.
int32_t LocalDay(int64_t ms, const date::time_zone* zone) {
  const date::sys_time<milliseconds> sys{milliseconds(ms)};
  int64_t local_ms = ms;
  if (zone != nullptr) {
    local_ms = zone->to_local(sys).time_since_epoch().count();
  }
  return static_cast<int32_t>(
      date::floor<date::days>(date::local_time<milliseconds>(milliseconds(local_ms)))
          .time_since_epoch()
          .count());
}

std::optional<int32_t> AttributeDay(const touchstream::v1::CustomerState& customer,
                                    const std::string& attribute, const date::time_zone* zone) {
  auto it = customer.profile().find(attribute);
  if (it == customer.profile().end()) return std::nullopt;
  const touchstream::v1::Value& value = it->second;
  if (value.kind_case() == touchstream::v1::Value::kStringValue) {
    return ParseIsoDate(value.string_value());
  }
  if (value.kind_case() == touchstream::v1::Value::kTimestampMs) {
    return LocalDay(value.timestamp_ms(), zone);
  }
  return std::nullopt;
}

// The day of month/day of `base` in `year` (Feb 29 -> Feb 28 in non-leap years).
int32_t SameDayInYear(int32_t base, int year) {
  const date::year_month_day ymd{date::sys_days(date::days(base))};
  date::year_month_day target{date::year(year), ymd.month(), ymd.day()};
  if (!target.ok()) target = date::year(year) / ymd.month() / date::last;
  return static_cast<int32_t>(date::sys_days(target).time_since_epoch().count());
}

}  // namespace

std::optional<int32_t> ParseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  auto parse = [&](size_t pos, size_t len, auto* out) {
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, *out);
    return ec == std::errc() && end == text.data() + pos + len;
  };
  if (!parse(0, 4, &y) || !parse(5, 2, &m) || !parse(8, 2, &d)) return std::nullopt;
  const date::year_month_day ymd{date::year(y), date::month(m), date::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int32_t>(date::sys_days(ymd).time_since_epoch().count());
}

std::optional<int64_t> NextDateFiring(const DateTrigger& trigger,
                                      const touchstream::v1::CustomerState& customer,
                                      const date::time_zone* zone, int64_t after_ms) {
  const int64_t shift_ms = trigger.offset_ms + trigger.local_time_ms;
  if (trigger.attribute.empty()) {
    // Calendar dates are sorted; skip those certainly past (one day of slack for zones).
    const int32_t today = LocalDay(after_ms, zone);
    const int32_t first_day = today - 2 - static_cast<int32_t>(shift_ms / 86400000);
    auto it = std::lower_bound(trigger.days.begin(), trigger.days.end(), first_day);
    for (; it != trigger.days.end(); ++it) {
      const int64_t fire = LocalToUtcMs(*it, shift_ms, zone);
      if (fire > after_ms) return fire;
    }
    return std::nullopt;
  }
  const std::optional<int32_t> base = AttributeDay(customer, trigger.attribute, zone);
  if (!base) return std::nullopt;
  if (!trigger.yearly) {
    const int64_t fire = LocalToUtcMs(*base, shift_ms, zone);
    return fire > after_ms ? std::optional<int64_t>(fire) : std::nullopt;
  }
  // The occurrence in the year of `after` shifted back by the offset, and the next two.
  const date::year_month_day now_ymd{
      date::sys_days(date::days(LocalDay(after_ms - shift_ms, zone)))};
  const int year = static_cast<int>(now_ymd.year());
  for (int y = year - 1; y <= year + 2; ++y) {
    const int64_t fire = LocalToUtcMs(SameDayInYear(*base, y), shift_ms, zone);
    if (fire > after_ms) return fire;
  }
  return std::nullopt;
}

bool ParseClockMinutes(std::string_view text, int* minutes) {
  if (text.size() != 5 || text[2] != ':') return false;
  int h = 0;
  int m = 0;
  auto [e1, c1] = std::from_chars(text.data(), text.data() + 2, h);
  auto [e2, c2] = std::from_chars(text.data() + 3, text.data() + 5, m);
  if (c1 != std::errc() || c2 != std::errc() || e1 != text.data() + 2 || e2 != text.data() + 5) {
    return false;
  }
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  *minutes = h * 60 + m;
  return true;
}

}  // namespace touchstream::rules
