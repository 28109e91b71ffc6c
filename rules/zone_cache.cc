#include "rules/zone_cache.h"

#include <date/tz.h>

#include <exception>

namespace touchstream::rules {

const date::time_zone* ZoneCache::Find(std::string_view name) {
  if (name.empty()) return nullptr;
  if (name == last_name_) return last_zone_;
  auto it = zones_.find(name);
  if (it != zones_.end()) {
    last_name_.assign(name);
    last_zone_ = it->second;
    return it->second;
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception&) {
    zone = nullptr;  // unknown zone name (or no tz database): UTC
  }
  if (zones_.size() >= kMaxEntries) zones_.clear();
  zones_.emplace(std::string(name), zone);
  last_name_.assign(name);
  last_zone_ = zone;
  return zone;
}

LocalTime ToLocalTime(int64_t ms, const date::time_zone* zone) {
  using namespace std::chrono;
  const sys_time<milliseconds> utc{milliseconds(ms)};
  int64_t local_ms = ms;
  if (zone != nullptr) {
    const date::sys_info info = zone->get_info(utc);
    local_ms += duration_cast<milliseconds>(info.offset).count();
  }
  const int64_t day_ms = 86400000;
  int64_t days = local_ms / day_ms;
  int64_t rest = local_ms % day_ms;
  if (rest < 0) {
    rest += day_ms;
    --days;
  }
  LocalTime local;
  local.hour = static_cast<int>(rest / 3600000);
  // 1970-01-01 was a Thursday (4).
  local.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);
  return local;
}

const date::time_zone* CustomerZone(const touchstream::v1::CustomerState& customer,
                                    ZoneCache* zones) {
  const auto& profile = customer.profile();
  auto it = profile.find(std::string_view("time_zone"));
  if (it == profile.end() || it->second.kind_case() != touchstream::v1::Value::kStringValue) {
    return nullptr;
  }
  return zones->Find(it->second.string_value());
}

}  // namespace touchstream::rules
