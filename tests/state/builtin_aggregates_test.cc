// ApplyBuiltinAggregates: counts, time ranges with out-of-order events, purchases, profile.
#include "state/builtin_aggregates.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

v1::TouchpointEvent Event(const std::string& type, int64_t ts_ms) {
  return test::MakeEvent("c-1", type, ts_ms);
}

v1::TouchpointEvent Purchase(int64_t ts_ms) {
  return Event("purchase", ts_ms);
}
v1::TouchpointEvent Purchase(int64_t ts_ms, int64_t amount) {
  return test::EventBuilder("c-1", "purchase", ts_ms).Int("amount", amount);
}
v1::TouchpointEvent Purchase(int64_t ts_ms, double amount) {
  return test::MakePurchase("c-1", ts_ms, amount);
}

// The first event sets every range to its time; non-purchase events leave purchases alone.
TEST(StateBuiltinAggregatesTest, FirstEventSetsRanges) {
  v1::CustomerState state;
  ApplyBuiltinAggregates(Event("login", 5000), &state);
  EXPECT_EQ(state.aggregates().event_count(), 1);
  EXPECT_EQ(state.first_seen_ms(), 5000);
  EXPECT_EQ(state.last_seen_ms(), 5000);
  ASSERT_EQ(state.activity().size(), 1u);
  const v1::TypeActivity& login = state.activity().at("login");
  EXPECT_EQ(login.count(), 1);
  EXPECT_EQ(login.first_ms(), 5000);
  EXPECT_EQ(login.last_ms(), 5000);
  EXPECT_EQ(state.aggregates().purchase_count(), 0);
  EXPECT_EQ(state.aggregates().total_spend(), 0.0);
  EXPECT_EQ(state.aggregates().first_purchase_ms(), 0);
  EXPECT_TRUE(state.profile().empty());
}

// Out-of-order events widen ranges to min/max event time instead of moving them backwards.
TEST(StateBuiltinAggregatesTest, OutOfOrderEventsKeepMinAndMax) {
  v1::CustomerState state;
  ApplyBuiltinAggregates(Event("page_view", 2000), &state);
  ApplyBuiltinAggregates(Event("page_view", 1000), &state);
  ApplyBuiltinAggregates(Event("login", 3000), &state);
  ApplyBuiltinAggregates(Event("page_view", 1500), &state);
  EXPECT_EQ(state.aggregates().event_count(), 4);
  EXPECT_EQ(state.first_seen_ms(), 1000);
  EXPECT_EQ(state.last_seen_ms(), 3000);
  const v1::TypeActivity& views = state.activity().at("page_view");
  EXPECT_EQ(views.count(), 3);
  EXPECT_EQ(views.first_ms(), 1000);
  EXPECT_EQ(views.last_ms(), 2000);
  const v1::TypeActivity& login = state.activity().at("login");
  EXPECT_EQ(login.count(), 1);
  EXPECT_EQ(login.first_ms(), 3000);
  EXPECT_EQ(login.last_ms(), 3000);
}

// Purchases sum int and double amounts, count a missing or non-numeric amount as 0, and track
// the largest amount and min/max purchase time.
TEST(StateBuiltinAggregatesTest, PurchasesWithIntDoubleAndMissingAmounts) {
  v1::CustomerState state;
  ApplyBuiltinAggregates(Purchase(20'000, int64_t{100}), &state);
  ApplyBuiltinAggregates(Purchase(10'000, 20.25), &state);
  ApplyBuiltinAggregates(Purchase(30'000), &state);
  v1::TouchpointEvent text_amount = Purchase(25'000);
  (*text_amount.mutable_properties())["amount"].set_string_value("12");
  ApplyBuiltinAggregates(text_amount, &state);
  ApplyBuiltinAggregates(Event("cart_add", 40'000), &state);
  const v1::Aggregates& aggregates = state.aggregates();
  EXPECT_EQ(aggregates.event_count(), 5);
  EXPECT_EQ(aggregates.purchase_count(), 4);
  EXPECT_EQ(aggregates.total_spend(), 120.25);
  EXPECT_EQ(aggregates.max_purchase(), 100.0);
  EXPECT_EQ(aggregates.first_purchase_ms(), 10'000);
  EXPECT_EQ(aggregates.last_purchase_ms(), 30'000);
  EXPECT_EQ(state.activity().at("purchase").count(), 4);
  EXPECT_EQ(state.last_seen_ms(), 40'000);
}

// The first purchase sets max_purchase even when it is below zero (a refund-like amount).
TEST(StateBuiltinAggregatesTest, FirstPurchaseSetsMaxPurchase) {
  v1::CustomerState state;
  ApplyBuiltinAggregates(Purchase(1, -5.5), &state);
  EXPECT_EQ(state.aggregates().max_purchase(), -5.5);
  ApplyBuiltinAggregates(Purchase(2, -7.0), &state);
  EXPECT_EQ(state.aggregates().max_purchase(), -5.5);
  EXPECT_EQ(state.aggregates().total_spend(), -12.5);
}

// profile_update copies every property into profile, overwriting earlier values.
TEST(StateBuiltinAggregatesTest, ProfileUpdateOverwritesProperties) {
  v1::CustomerState state;
  v1::TouchpointEvent first = Event("profile_update", 1000);
  (*first.mutable_properties())["tier"].set_string_value("silver");
  (*first.mutable_properties())["opt_in"].set_bool_value(true);
  ApplyBuiltinAggregates(first, &state);
  v1::TouchpointEvent second = Event("profile_update", 2000);
  (*second.mutable_properties())["tier"].set_string_value("gold");
  (*second.mutable_properties())["birthday"].set_timestamp_ms(86'400'000);
  ApplyBuiltinAggregates(second, &state);
  ASSERT_EQ(state.profile().size(), 3u);
  EXPECT_EQ(state.profile().at("tier").string_value(), "gold");
  EXPECT_TRUE(state.profile().at("opt_in").bool_value());
  EXPECT_EQ(state.profile().at("birthday").timestamp_ms(), 86'400'000);
  EXPECT_EQ(state.activity().at("profile_update").count(), 2);
}

// Properties of other event types do not reach the profile.
TEST(StateBuiltinAggregatesTest, OtherTypesDoNotTouchProfile) {
  v1::CustomerState state;
  v1::TouchpointEvent event = Event("login", 1);
  (*event.mutable_properties())["tier"].set_string_value("gold");
  ApplyBuiltinAggregates(event, &state);
  EXPECT_TRUE(state.profile().empty());
}

}  // namespace
}  // namespace touchstream::state
