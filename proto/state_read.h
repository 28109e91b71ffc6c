// Reading derived values of the customer state (loyalty expiry, NPS) as of any time, without
// the configuration that maintains them.
//
// Header-only and allocation-free, like window_read.h, so that the state library (which writes
// these fields) and the rules' field catalog (which reads them) share one definition. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "touchstream/v1/state.pb.h"

namespace touchstream {

// Points of the lots that have expired at now_ms (earned_ms + expire_after_ms <= now_ms) but
// are still in the state (the lots are in earning order). 0 when points do not expire.
inline int64_t PendingPointsExpiry(const v1::Loyalty& loyalty, int64_t now_ms) {
  if (loyalty.expire_after_ms() <= 0) return 0;
  int64_t sum = 0;
  for (const v1::PointsLot& lot : loyalty.lots()) {
    if (lot.earned_ms() + loyalty.expire_after_ms() > now_ms) break;
    sum += lot.points();
  }
  return sum;
}

// The points balance and the expired total as of now_ms.
inline int64_t PointsAt(const v1::Loyalty& loyalty, int64_t now_ms) {
  return loyalty.points() - PendingPointsExpiry(loyalty, now_ms);
}
inline int64_t ExpiredPointsAt(const v1::Loyalty& loyalty, int64_t now_ms) {
  return loyalty.expired_total() + PendingPointsExpiry(loyalty, now_ms);
}

// NPS category of a score 0-10: "promoter" (9-10), "passive" (7-8) or "detractor" (0-6).
inline std::string_view NpsCategory(int score) {
  return score >= 9 ? "promoter" : score >= 7 ? "passive" : "detractor";
}

// The customer's running NPS, (promoters - detractors) / answers * 100, in [-100, 100]; NaN
// when there is no answer.
inline double RunningNps(const v1::Satisfaction& s) {
  const int64_t answers = s.nps_promoters() + s.nps_passives() + s.nps_detractors();
  if (answers == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(s.nps_promoters() - s.nps_detractors()) * 100.0 /
         static_cast<double>(answers);
}

}  // namespace touchstream
