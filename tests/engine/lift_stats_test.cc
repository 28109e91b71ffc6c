// Wilson and Newcombe hybrid score intervals against the published examples of Newcombe,
// "Interval estimation for the difference between independent proportions" (Statistics in
// Medicine, 1998), Table II, method 10, and the rates and lifts computed by hand.
#include "engine/impact/lift_stats.h"

#include <gtest/gtest.h>

namespace touchstream::engine {
namespace {

// Wilson intervals: 0/10 is [0, 0.2775]; no decisions has none.
TEST(EngineLiftStatsTest, WilsonInterval) {
  auto zero = WilsonInterval(0, 10);
  ASSERT_TRUE(zero.has_value());
  EXPECT_NEAR(zero->low, 0.0, 1e-12);
  EXPECT_NEAR(zero->high, 0.2775, 5e-5);
  auto mid = WilsonInterval(56, 70);
  ASSERT_TRUE(mid.has_value());
  EXPECT_NEAR(mid->low, 0.6918, 5e-5);
  EXPECT_NEAR(mid->high, 0.8770, 5e-5);
  EXPECT_FALSE(WilsonInterval(0, 0).has_value());
}

// 56/70 vs 48/80: difference 0.2000, interval 0.0524 .. 0.3339 (Newcombe's example (a)).
TEST(EngineLiftStatsTest, NewcombeExampleA) {
  const Lift lift = ComputeLift(56, 70, 48, 80);
  EXPECT_NEAR(*lift.treatment_rate, 0.8, 1e-12);
  EXPECT_NEAR(*lift.holdout_rate, 0.6, 1e-12);
  EXPECT_NEAR(*lift.absolute, 0.2, 1e-12);
  EXPECT_NEAR(*lift.relative, 0.2 / 0.6, 1e-12);
  ASSERT_TRUE(lift.absolute_ci.has_value());
  EXPECT_NEAR(lift.absolute_ci->low, 0.0524, 5e-5);
  EXPECT_NEAR(lift.absolute_ci->high, 0.3339, 5e-5);
}

// 5/56 vs 0/29: interval -0.0381 .. 0.1926 (example (e)); no relative lift over a zero rate.
TEST(EngineLiftStatsTest, NewcombeExampleZeroHoldoutRate) {
  const Lift lift = ComputeLift(5, 56, 0, 29);
  EXPECT_NEAR(*lift.absolute, 5.0 / 56, 1e-12);
  EXPECT_FALSE(lift.relative.has_value());
  EXPECT_NEAR(lift.absolute_ci->low, -0.0381, 5e-5);
  EXPECT_NEAR(lift.absolute_ci->high, 0.1926, 5e-5);
}

// Without holdout decisions there is a treatment rate and nothing else.
TEST(EngineLiftStatsTest, NoHoldoutNoLift) {
  const Lift lift = ComputeLift(3, 4, 0, 0);
  EXPECT_NEAR(*lift.treatment_rate, 0.75, 1e-12);
  EXPECT_FALSE(lift.holdout_rate.has_value());
  EXPECT_FALSE(lift.absolute.has_value());
  EXPECT_FALSE(lift.absolute_ci.has_value());
}

}  // namespace
}  // namespace touchstream::engine
