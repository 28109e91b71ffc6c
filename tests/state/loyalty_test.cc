// Loyalty: points lots with expiry by age, redeem oldest first, read-time expiry, and tiers by
// points or by a windowed aggregate, up and down.
#include "state/loyalty.h"

#include <gtest/gtest.h>

#include "proto/state_read.h"
#include "state/window_aggregate.h"
#include "state/window_declaration.h"

namespace touchstream::state {
namespace {

constexpr int64_t kDay = 86'400'000;

LoyaltyConfig Expiring(int64_t days) {
  LoyaltyConfig config;
  config.points_expire_after_ms = days * kDay;
  return config;
}

// One lot per day of earning; expiry removes whole lots into the expired total.
TEST(StateLoyaltyTest, LotsExpireByAge) {
  const LoyaltyConfig config = Expiring(30);
  v1::Loyalty l;
  EarnPoints(config, 100, 1 * kDay, &l);
  EarnPoints(config, 50, 1 * kDay + 1000, &l);  // same day: same lot
  EarnPoints(config, 70, 10 * kDay, &l);
  ASSERT_EQ(l.lots_size(), 2);
  EXPECT_EQ(l.lots(0).points(), 150);
  EXPECT_EQ(ExpirePoints(config, 31 * kDay - 1, &l), 0);
  EXPECT_EQ(ExpirePoints(config, 31 * kDay, &l), 150);
  EXPECT_EQ(l.points(), 70);
  EXPECT_EQ(l.expired_total(), 150);
  EXPECT_EQ(l.earned_total(), 220);
  EXPECT_EQ(l.expire_after_ms(), 30 * kDay);
  ASSERT_EQ(l.lots_size(), 1);
}

// Redeeming takes points earned without expiry first, then the oldest lots.
TEST(StateLoyaltyTest, RedeemConsumesOldestFirst) {
  const LoyaltyConfig config = Expiring(30);
  v1::Loyalty l;
  EarnPoints(LoyaltyConfig(), 20, 0, &l);  // before expiry was configured: no lot
  EarnPoints(config, 100, 1 * kDay, &l);
  EarnPoints(config, 100, 2 * kDay, &l);
  EXPECT_FALSE(RedeemPoints(221, 3 * kDay, &l));
  EXPECT_EQ(l.points(), 220);
  EXPECT_TRUE(RedeemPoints(50, 3 * kDay, &l));
  ASSERT_EQ(l.lots_size(), 2);
  EXPECT_EQ(l.lots(0).points(), 70);
  EXPECT_TRUE(RedeemPoints(80, 3 * kDay, &l));
  ASSERT_EQ(l.lots_size(), 1);
  EXPECT_EQ(l.lots(0).points(), 90);
  EXPECT_EQ(l.lots(0).earned_ms(), 2 * kDay);
  EXPECT_EQ(l.points(), 90);
  EXPECT_EQ(l.redeemed_total(), 130);
}

// Readers see expiry as of their now, before the state is updated.
TEST(StateLoyaltyTest, ExpiryOnRead) {
  const LoyaltyConfig config = Expiring(10);
  v1::Loyalty l;
  ExpirePoints(config, 0, &l);
  EarnPoints(config, 40, 1 * kDay, &l);
  EarnPoints(config, 60, 5 * kDay, &l);
  EXPECT_EQ(PointsAt(l, 10 * kDay), 100);
  EXPECT_EQ(PointsAt(l, 11 * kDay), 60);
  EXPECT_EQ(ExpiredPointsAt(l, 11 * kDay), 40);
  EXPECT_EQ(PointsAt(l, 15 * kDay), 0);
  EXPECT_EQ(l.points(), 100);
}

// Tiers by balance go up and down, with the time the tier was entered.
TEST(StateLoyaltyTest, TierByPointsUpAndDown) {
  LoyaltyConfig config = Expiring(30);
  config.tier_basis = "points";
  config.levels = {{"member", 0}, {"silver", 100}, {"gold", 500}};
  v1::CustomerState state;
  ApplyLoyalty(config, 1 * kDay, &state);
  EXPECT_EQ(state.loyalty().tier(), "member");
  EXPECT_EQ(state.loyalty().tier_since_ms(), 1 * kDay);
  EarnPoints(config, 600, 2 * kDay, state.mutable_loyalty());
  ApplyLoyalty(config, 2 * kDay, &state);
  EXPECT_EQ(state.loyalty().tier(), "gold");
  EXPECT_EQ(state.loyalty().tier_since_ms(), 2 * kDay);
  RedeemPoints(450, 3 * kDay, state.mutable_loyalty());
  ApplyLoyalty(config, 3 * kDay, &state);
  EXPECT_EQ(state.loyalty().tier(), "silver");
  ApplyLoyalty(config, 32 * kDay, &state);  // the remaining 150 expire
  EXPECT_EQ(state.loyalty().points(), 0);
  EXPECT_EQ(state.loyalty().tier(), "member");
  EXPECT_EQ(state.loyalty().tier_since_ms(), 32 * kDay);
}

// Tiers by a declared spend aggregate, read as of the given time.
TEST(StateLoyaltyTest, TierBySpendWindow) {
  LoyaltyConfig config;
  config.tier_basis = "spend_30d";
  config.levels = {{"silver", 100}, {"gold", 1000}};
  auto declaration = ParseWindowDeclaration("spend_30d", "sum(purchase.amount) over 30d");
  ASSERT_TRUE(declaration.ok());
  v1::CustomerState state;
  v1::WindowState& window = (*state.mutable_windows())["spend_30d"];
  ResetWindow(*declaration, &window);
  ApplyLoyalty(config, 1 * kDay, &state);
  EXPECT_EQ(state.loyalty().tier(), "");
  AddToWindow(1 * kDay, 1200, 1 * kDay, &window);
  ApplyLoyalty(config, 1 * kDay, &state);
  EXPECT_EQ(state.loyalty().tier(), "gold");
  ApplyLoyalty(config, 40 * kDay, &state);  // the purchase left the window
  EXPECT_EQ(state.loyalty().tier(), "");
  EXPECT_EQ(state.loyalty().tier_since_ms(), 40 * kDay);
}

// Without loyalty configuration nothing is touched.
TEST(StateLoyaltyTest, UnconfiguredIsANoOp) {
  v1::CustomerState state;
  ApplyLoyalty(LoyaltyConfig(), kDay, &state);
  EXPECT_FALSE(state.has_loyalty());
}

}  // namespace
}  // namespace touchstream::state
