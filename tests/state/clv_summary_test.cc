// ApplyClvPurchase and ClvInputsAt: purchase days (same-day merge), out-of-order purchases, and
// the model inputs at a given time; ApplyBuiltinAggregates maintains the summary.
#include "state/clv_summary.h"

#include <gtest/gtest.h>

#include "state/builtin_aggregates.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

constexpr int64_t kDay = 86'400'000;

v1::TouchpointEvent Purchase(int64_t ts_ms, double amount) {
  return test::MakePurchase("c-1", ts_ms, amount);
}

// No purchase: no inputs; other event types leave the summary alone.
TEST(StateClvSummaryTest, NoPurchaseNoInputs) {
  v1::CustomerState state;
  v1::TouchpointEvent login;
  login.set_type("login");
  login.set_ts_ms(5 * kDay);
  ApplyClvPurchase(login, &state);
  EXPECT_FALSE(state.has_clv());
  EXPECT_FALSE(ClvInputsAt(state.clv(), 10 * kDay).has_value());
}

// Purchases in order: same-day ones merge; x, t_x, T in weeks; mean of the repeat days.
TEST(StateClvSummaryTest, InOrderPurchases) {
  v1::CustomerState state;
  ApplyClvPurchase(Purchase(10 * kDay + 1000, 20), &state);
  ApplyClvPurchase(Purchase(10 * kDay + 5000, 5), &state);  // same day as the first
  ApplyClvPurchase(Purchase(17 * kDay, 30), &state);
  ApplyClvPurchase(Purchase(24 * kDay + 100, 6), &state);
  ApplyClvPurchase(Purchase(24 * kDay + 200, 4), &state);  // same day
  EXPECT_EQ(state.clv().purchase_days(), 3);
  EXPECT_EQ(state.clv().first_day(), 10);
  EXPECT_EQ(state.clv().last_day(), 24);
  EXPECT_DOUBLE_EQ(state.clv().first_day_amount(), 25);
  EXPECT_DOUBLE_EQ(state.clv().repeat_amount(), 40);
  const auto in = ClvInputsAt(state.clv(), 38 * kDay + 123);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->x, 2);
  EXPECT_DOUBLE_EQ(in->t_x, 2);
  EXPECT_DOUBLE_EQ(in->T, 4);
  EXPECT_DOUBLE_EQ(in->mean_spend, 20);
  EXPECT_TRUE(ValidateClvInputs(*in).ok());
}

// A single purchase: x = 0, t_x = 0; a clock behind the last purchase gives T = t_x.
TEST(StateClvSummaryTest, SinglePurchaseAndSkewedClock) {
  v1::CustomerState state;
  ApplyClvPurchase(Purchase(10 * kDay, 20), &state);
  auto in = ClvInputsAt(state.clv(), 3 * kDay);
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->x, 0);
  EXPECT_EQ(in->t_x, 0);
  EXPECT_EQ(in->T, 0);
  EXPECT_EQ(in->mean_spend, 0);
  ApplyClvPurchase(Purchase(24 * kDay, 7), &state);
  in = ClvInputsAt(state.clv(), 20 * kDay);
  EXPECT_DOUBLE_EQ(in->T, in->t_x);
  EXPECT_TRUE(ValidateClvInputs(*in).ok());
}

// An older purchase becomes the first one; its former first day becomes a repeat day.
TEST(StateClvSummaryTest, OutOfOrderPurchases) {
  v1::CustomerState state;
  ApplyClvPurchase(Purchase(17 * kDay, 30), &state);
  ApplyClvPurchase(Purchase(10 * kDay, 20), &state);
  ApplyClvPurchase(Purchase(10 * kDay + 60000, 1), &state);  // the new first day again
  EXPECT_EQ(state.clv().purchase_days(), 2);
  EXPECT_EQ(state.clv().first_day(), 10);
  EXPECT_EQ(state.clv().last_day(), 17);
  EXPECT_DOUBLE_EQ(state.clv().first_day_amount(), 21);
  EXPECT_DOUBLE_EQ(state.clv().repeat_amount(), 30);
  ApplyClvPurchase(Purchase(12 * kDay, 2), &state);  // between: a new day
  EXPECT_EQ(state.clv().purchase_days(), 3);
  EXPECT_EQ(state.clv().last_day(), 17);
  EXPECT_DOUBLE_EQ(state.clv().repeat_amount(), 32);
}

// The engine's built-in aggregates keep the summary.
TEST(StateClvSummaryTest, MaintainedByBuiltinAggregates) {
  v1::CustomerState state;
  ApplyBuiltinAggregates(Purchase(10 * kDay, 20), &state);
  ApplyBuiltinAggregates(Purchase(12 * kDay, 10), &state);
  EXPECT_EQ(state.clv().purchase_days(), 2);
  EXPECT_DOUBLE_EQ(state.clv().repeat_amount(), 10);
}

}  // namespace
}  // namespace touchstream::state
