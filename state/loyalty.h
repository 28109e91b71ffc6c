// Loyalty: points with expiry by age, and the loyalty tier (CustomerState.loyalty).
//
// Points are changed by rules' add_points / redeem actions (EarnPoints, RedeemPoints). While
// points_expire_after is set, earned points are kept in lots (one per UTC day of earning, at most
// kMaxPointsLots; beyond it the newest lot absorbs new points) that expire points_expire_after
// after they were earned; redeeming consumes points without expiry first, then the oldest lots.
// Expiry is applied on the customer's events (ApplyLoyalty) and on read (proto/state_read.h
// PointsAt, ExpiredPointsAt, so that rules see it as of their `now`). The tier is the level with
// the largest min not above the basis value (the points balance, or a declared windowed aggregate
// as of the event), so it goes up and down; tier_since_ms is when it was entered.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "touchstream/v1/state.pb.h"

namespace touchstream::state {

inline constexpr int kMaxPointsLots = 400;

struct LoyaltyLevel {
  std::string name;
  double min = 0;
};

struct LoyaltyConfig {
  // Age at which earned points expire (loyalty.points_expire_after); 0 = never (default).
  int64_t points_expire_after_ms = 0;
  // loyalty.tiers.basis: "points" for the balance, else the name of a declared windowed
  // aggregate (e.g. spend_365d). Empty (default): no tiers.
  std::string tier_basis;
  // loyalty.tiers.levels, min strictly ascending.
  std::vector<LoyaltyLevel> levels;
};

// Adds `amount` (>= 0) points earned at time_ms.
void EarnPoints(const LoyaltyConfig& config, int64_t amount, int64_t time_ms, v1::Loyalty* loyalty);

// Removes `amount` (>= 0) points, oldest first; false (nothing changed) when the balance is
// below it.
bool RedeemPoints(int64_t amount, int64_t time_ms, v1::Loyalty* loyalty);

// Removes the lots expired at time_ms (earned_ms + expire_after_ms <= time_ms) from the balance
// into expired_total; records config's expiry in the state. Returns the points expired.
int64_t ExpirePoints(const LoyaltyConfig& config, int64_t time_ms, v1::Loyalty* loyalty);

// Sets the tier from the basis value (see the top of this file); true when it changed. No-op
// without tiers.
bool UpdateLoyaltyTier(const LoyaltyConfig& config, double basis, int64_t time_ms,
                       v1::Loyalty* loyalty);

// On each event: expires points as of the event time, then updates the tier from the balance or
// the declared aggregate (read from state->windows as of time_ms; 0 when absent). Cheap when
// loyalty is not configured (no expiry, no tiers): nothing is done.
void ApplyLoyalty(const LoyaltyConfig& config, int64_t time_ms, v1::CustomerState* state);

}  // namespace touchstream::state
