#include "state/loyalty.h"

#include <algorithm>

#include "proto/window_read.h"

namespace touchstream::state {

namespace {

constexpr int64_t kMsPerUtcDay = 86'400'000;

int64_t LotPoints(const v1::Loyalty& loyalty) {
  int64_t sum = 0;
  for (const v1::PointsLot& lot : loyalty.lots()) sum += lot.points();
  return sum;
}

}  // namespace

void EarnPoints(const LoyaltyConfig& config, int64_t amount, int64_t time_ms,
                v1::Loyalty* loyalty) {
  loyalty->set_points(loyalty->points() + amount);
  loyalty->set_earned_total(loyalty->earned_total() + amount);
  loyalty->set_updated_ms(time_ms);
  if (config.points_expire_after_ms <= 0 || amount == 0) return;
  auto* lots = loyalty->mutable_lots();
  // Lots stay in earning order: an out-of-order earning joins the newest lot when it is older.
  if (!lots->empty()) {
    v1::PointsLot* last = lots->Mutable(lots->size() - 1);
    if (WindowBucketIndex(last->earned_ms(), kMsPerUtcDay) >=
            WindowBucketIndex(time_ms, kMsPerUtcDay) ||
        lots->size() >= kMaxPointsLots) {
      last->set_points(last->points() + amount);
      return;
    }
  }
  v1::PointsLot* lot = lots->Add();
  lot->set_earned_ms(time_ms);
  lot->set_points(amount);
}

bool RedeemPoints(int64_t amount, int64_t time_ms, v1::Loyalty* loyalty) {
  if (loyalty->points() < amount) return false;
  loyalty->set_points(loyalty->points() - amount);
  loyalty->set_redeemed_total(loyalty->redeemed_total() + amount);
  loyalty->set_updated_ms(time_ms);
  // Points outside lots (earned without expiry) go first; lots cover what they do not.
  int64_t from_lots = std::max<int64_t>(0, LotPoints(*loyalty) - loyalty->points());
  auto* lots = loyalty->mutable_lots();
  int used = 0;
  while (from_lots > 0 && used < lots->size()) {
    v1::PointsLot* lot = lots->Mutable(used);
    const int64_t take = std::min(from_lots, lot->points());
    lot->set_points(lot->points() - take);
    from_lots -= take;
    if (lot->points() == 0) ++used;
  }
  if (used > 0) lots->DeleteSubrange(0, used);
  return true;
}

int64_t ExpirePoints(const LoyaltyConfig& config, int64_t time_ms, v1::Loyalty* loyalty) {
  if (loyalty->expire_after_ms() != config.points_expire_after_ms) {
    loyalty->set_expire_after_ms(config.points_expire_after_ms);
  }
  if (config.points_expire_after_ms <= 0 || loyalty->lots().empty()) return 0;
  auto* lots = loyalty->mutable_lots();
  int expired_lots = 0;
  int64_t expired = 0;
  while (expired_lots < lots->size() &&
         lots->Get(expired_lots).earned_ms() + config.points_expire_after_ms <= time_ms) {
    expired += lots->Get(expired_lots).points();
    ++expired_lots;
  }
  if (expired_lots == 0) return 0;
  lots->DeleteSubrange(0, expired_lots);
  loyalty->set_points(loyalty->points() - expired);
  loyalty->set_expired_total(loyalty->expired_total() + expired);
  loyalty->set_updated_ms(time_ms);
  return expired;
}

bool UpdateLoyaltyTier(const LoyaltyConfig& config, double basis, int64_t time_ms,
                       v1::Loyalty* loyalty) {
  if (config.levels.empty()) return false;
  const std::string* tier = nullptr;
  for (const LoyaltyLevel& level : config.levels) {
    if (basis >= level.min) tier = &level.name;
  }
  const std::string& name = tier != nullptr ? *tier : std::string();
  if (name == loyalty->tier()) return false;
  loyalty->set_tier(name);
  loyalty->set_tier_since_ms(time_ms);
  return true;
}

void ApplyLoyalty(const LoyaltyConfig& config, int64_t time_ms, v1::CustomerState* state) {
  if (config.points_expire_after_ms <= 0 && config.levels.empty() &&
      state->loyalty().expire_after_ms() == 0) {
    return;
  }
  v1::Loyalty* loyalty = state->mutable_loyalty();
  ExpirePoints(config, time_ms, loyalty);
  if (config.levels.empty()) return;
  double basis = 0;
  if (config.tier_basis == "points") {
    basis = static_cast<double>(loyalty->points());
  } else if (auto it = state->windows().find(config.tier_basis); it != state->windows().end()) {
    basis = ReadWindow(it->second, time_ms).value;
  }
  UpdateLoyaltyTier(config, basis, time_ms, loyalty);
}

}  // namespace touchstream::state
