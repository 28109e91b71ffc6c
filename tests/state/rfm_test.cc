// RFM: scoring by breakpoints, the segment table, derived values as of a time, quantile
// breakpoints from values and from a whole store.
#include "state/rfm.h"

#include <gtest/gtest.h>

#include <string>

#include "state/builtin_aggregates.h"
#include "state/customer_analytics.h"
#include "state/in_memory_store.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = kMsPerDay;
constexpr int64_t kD0 = 1767571200000;  // 2026-01-05T00:00:00Z

using test::MakeEvent;
using test::MakePurchase;

AnalyticsConfig RfmOn(RfmConfig rfm = RfmConfig()) {
  AnalyticsConfig config;
  config.rfm_enabled = true;
  config.rfm = std::move(rfm);
  config.lateness_ms = 400 * kDay;
  EXPECT_TRUE(ValidateAnalyticsConfig(config).ok());
  return config;
}

void Apply(const CustomerAnalytics& analytics, const v1::TouchpointEvent& e,
           v1::CustomerState* state) {
  state->set_customer_id(e.customer_id());
  ApplyBuiltinAggregates(e, state);
  analytics.Apply(e, state);
}

// Recency scores high when recent (<= breakpoint); frequency and monetary when >= breakpoint.
TEST(StateRfmTest, BreakpointScores) {
  const RfmBreakpoints b;  // recency [7, 30, 90, 180], frequency [1, 2, 4, 8]
  EXPECT_EQ(ScoreRecency(0, b.recency_days), 5);
  EXPECT_EQ(ScoreRecency(7, b.recency_days), 5);
  EXPECT_EQ(ScoreRecency(8, b.recency_days), 4);
  EXPECT_EQ(ScoreRecency(30, b.recency_days), 4);
  EXPECT_EQ(ScoreRecency(31, b.recency_days), 3);
  EXPECT_EQ(ScoreRecency(90, b.recency_days), 3);
  EXPECT_EQ(ScoreRecency(180, b.recency_days), 2);
  EXPECT_EQ(ScoreRecency(181, b.recency_days), 1);
  EXPECT_EQ(ScoreHigherIsBetter(0, b.frequency), 1);
  EXPECT_EQ(ScoreHigherIsBetter(1, b.frequency), 2);
  EXPECT_EQ(ScoreHigherIsBetter(2, b.frequency), 3);
  EXPECT_EQ(ScoreHigherIsBetter(3, b.frequency), 3);
  EXPECT_EQ(ScoreHigherIsBetter(4, b.frequency), 4);
  EXPECT_EQ(ScoreHigherIsBetter(7, b.frequency), 4);
  EXPECT_EQ(ScoreHigherIsBetter(8, b.frequency), 5);
  EXPECT_EQ(ScoreHigherIsBetter(49.99, b.monetary), 1);
  EXPECT_EQ(ScoreHigherIsBetter(1000, b.monetary), 5);
}

// Segment conditions parse into score ranges; mistakes are refused.
TEST(StateRfmTest, SegmentConditions) {
  auto s = ParseRfmSegment("champions", "r >= 4 && f >= 4 && m>=4");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->min, (std::array<int, 3>{4, 4, 4}));
  EXPECT_EQ(s->max, (std::array<int, 3>{5, 5, 5}));
  s = ParseRfmSegment("at_risk", "r<=2 and f > 2");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(2, 3, 1));
  EXPECT_FALSE(s->Matches(3, 3, 1));
  EXPECT_FALSE(s->Matches(2, 2, 5));
  s = ParseRfmSegment("lost", "r == 1");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(1, 5, 5));
  EXPECT_FALSE(s->Matches(2, 1, 1));
  s = ParseRfmSegment("everyone", "*");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches(3, 3, 3));
  EXPECT_EQ(ParseRfmSegment("x", "x >= 4").status().message(),
            "expected comparisons like 'r >= 4' joined by '&&' (r, f, m; >= <= > < ==), got "
            "'x >= 4'");
  EXPECT_EQ(ParseRfmSegment("x", "r != 3").status().message(),
            "expected comparisons like 'r >= 4' joined by '&&' (r, f, m; >= <= > < ==), got "
            "'r != 3'");
  EXPECT_EQ(ParseRfmSegment("x", "r >= 4 &&").status().message(),
            "expected comparisons like 'r >= 4' joined by '&&' (r, f, m; >= <= > < ==), got ''");
  EXPECT_EQ(ParseRfmSegment("x", "r >= 4 && r <= 3").status().message(),
            "'r >= 4 && r <= 3' never holds (scores are 1 to 5)");
}

// The default table, row by row.
TEST(StateRfmTest, DefaultSegments) {
  RfmConfig config;
  auto segment = [&](int r, int f, int m) {
    for (const RfmSegment& s : config.segments) {
      if (s.Matches(r, f, m)) return s.name;
    }
    return config.default_segment;
  };
  EXPECT_EQ(segment(5, 5, 5), "champions");
  EXPECT_EQ(segment(3, 4, 1), "loyal");
  EXPECT_EQ(segment(5, 1, 1), "new");
  EXPECT_EQ(segment(4, 3, 3), "potential_loyalists");
  EXPECT_EQ(segment(2, 3, 1), "at_risk");
  EXPECT_EQ(segment(1, 1, 1), "lost");
  EXPECT_EQ(segment(2, 1, 1), "hibernating");
  EXPECT_EQ(segment(3, 3, 3), "others");
}

// Recency, frequency and monetary as of a time, from the purchases of one customer.
TEST(StateRfmTest, DerivedValuesAsOfNow) {
  RfmConfig rfm;
  rfm.frequency_window_ms = 30 * kDay;
  rfm.monetary_window_ms = 90 * kDay;
  const CustomerAnalytics analytics(RfmOn(rfm));
  v1::CustomerState state;
  Apply(analytics, MakeEvent("c", "login", kD0 - 70 * kDay), &state);
  EXPECT_EQ(state.rfm().segment(), "prospects");
  EXPECT_EQ(state.rfm().r_score(), 0);
  Apply(analytics, MakePurchase("c", kD0 - 60 * kDay, 100), &state);
  Apply(analytics, MakePurchase("c", kD0 - 10 * kDay, 50), &state);
  Apply(analytics, MakePurchase("c", kD0 - 2 * kDay, 25.5), &state);
  // Apply refreshed as of the latest event: a purchase today.
  EXPECT_EQ(state.rfm().as_of_ms(), kD0 - 2 * kDay);
  EXPECT_EQ(RfmRecencyDays(state.rfm(), state.rfm().as_of_ms()), 0);

  analytics.RefreshRfm(kD0 + 12 * kHour, &state);
  const v1::Rfm& r = state.rfm();
  EXPECT_EQ(RfmRecencyDays(r, kD0 + 12 * kHour), 2);  // 2.5 days, floor
  EXPECT_EQ(r.frequency(), 2);                        // 60 days ago is outside 30d
  EXPECT_EQ(r.monetary(), 175.5);                     // all three inside 90d
  EXPECT_EQ(r.r_score(), 5);
  EXPECT_EQ(r.f_score(), 3);
  EXPECT_EQ(r.m_score(), 2);
  EXPECT_EQ(r.segment(), "potential_loyalists");
  EXPECT_EQ(r.last_purchase_ms(), kD0 - 2 * kDay);

  analytics.RefreshRfm(kD0 + 200 * kDay, &state);
  EXPECT_EQ(RfmRecencyDays(state.rfm(), kD0 + 200 * kDay), 202);
  EXPECT_EQ(state.rfm().frequency(), 0);
  EXPECT_EQ(state.rfm().monetary(), 0.0);
  EXPECT_EQ(state.rfm().r_score(), 1);
  EXPECT_EQ(state.rfm().f_score(), 1);
  EXPECT_EQ(state.rfm().m_score(), 1);
  EXPECT_EQ(state.rfm().segment(), "lost");
}

// A configured table and purchase event; breakpoints swapped in at run time.
TEST(StateRfmTest, ConfiguredTableAndBreakpoints) {
  RfmConfig rfm;
  rfm.purchase_event = "order";
  rfm.amount_property = "total";
  rfm.segments = {*ParseRfmSegment("big", "m >= 5"), *ParseRfmSegment("any_buyer", "f >= 2")};
  rfm.default_segment = "rest";
  CustomerAnalytics analytics(RfmOn(rfm));
  v1::CustomerState state;
  v1::TouchpointEvent order = MakeEvent("c", "order", kD0);
  (*order.mutable_properties())["total"].set_int_value(300);
  Apply(analytics, order, &state);
  Apply(analytics, MakePurchase("c", kD0, 5000), &state);  // not the purchase event here
  EXPECT_EQ(state.rfm().frequency(), 1);
  EXPECT_EQ(state.rfm().monetary(), 300.0);
  EXPECT_EQ(state.rfm().segment(), "any_buyer");  // f = 2 (>= 1), m = 3 (>= 50, >= 200)
  RfmBreakpoints b;
  b.monetary = {1, 2, 3, 300};
  analytics.SetRfmBreakpoints(b);
  analytics.RefreshRfm(kD0, &state);
  EXPECT_EQ(state.rfm().m_score(), 5);
  EXPECT_EQ(state.rfm().segment(), "big");
}

// Nearest-rank quantiles: lower-is-better at rank ceil(pN), higher-is-better at floor(pN)+1.
TEST(StateRfmTest, QuantileBreakpointsFromValues) {
  const RfmBreakpoints fallback;
  RfmBreakpoints q =
      RfmQuantileBreakpoints({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, {1, 1, 1, 2, 2, 3, 4, 5, 8, 10},
                             {50, 40, 30, 20, 10}, fallback);
  EXPECT_EQ(q.recency_days, (std::array<double, 4>{2, 4, 6, 8}));
  EXPECT_EQ(q.frequency, (std::array<double, 4>{1, 2, 4, 8}));
  EXPECT_EQ(q.monetary, (std::array<double, 4>{20, 30, 40, 50}));
  // With breakpoints from quantiles each score holds a fifth of the customers.
  int fives = 0;
  for (double days = 1; days <= 10; ++days) fives += ScoreRecency(days, q.recency_days) == 5;
  EXPECT_EQ(fives, 2);
  q = RfmQuantileBreakpoints({}, {}, {}, fallback);
  EXPECT_EQ(q, fallback);
  q = RfmQuantileBreakpoints({3}, {1}, {9.5}, fallback);
  EXPECT_EQ(q.recency_days, (std::array<double, 4>{3, 3, 3, 3}));
  EXPECT_EQ(q.monetary, (std::array<double, 4>{9.5, 9.5, 9.5, 9.5}));
}

// Quantiles over a whole store: customers without a purchase are left out.
TEST(StateRfmTest, QuantileBreakpointsFromStore) {
  const CustomerAnalytics analytics(RfmOn());
  auto store = NewInMemoryStore();
  CommitBatch batch;
  auto put = [&](std::vector<v1::TouchpointEvent> events) {
    v1::CustomerState state;
    for (const auto& e : events) Apply(analytics, e, &state);
    batch.PutCustomer(state);
  };
  put({MakePurchase("c1", kD0 - 1 * kDay, 100)});
  put({MakePurchase("c2", kD0 - 10 * kDay, 50), MakePurchase("c2", kD0 - 5 * kDay, 50)});
  put({MakePurchase("c3", kD0 - 40 * kDay, 20)});
  put({MakePurchase("c4", kD0 - 100 * kDay, 500)});
  put({MakeEvent("c5", "login", kD0 - kDay)});
  ASSERT_TRUE(store->Commit(batch, nullptr).ok());

  auto q = ComputeRfmQuantileBreakpoints(*store, analytics.config().rfm, kD0);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->recency_days, (std::array<double, 4>{1, 5, 40, 100}));
  EXPECT_EQ(q->frequency, (std::array<double, 4>{1, 1, 1, 2}));
  EXPECT_EQ(q->monetary, (std::array<double, 4>{20, 100, 100, 500}));

  auto empty = NewInMemoryStore();
  auto fallback = ComputeRfmQuantileBreakpoints(*empty, analytics.config().rfm, kD0);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(*fallback, analytics.config().rfm.breakpoints);
}

// Config validation names the key.
TEST(StateRfmTest, Validation) {
  RfmConfig rfm;
  rfm.frequency_window_ms = 36 * kHour;
  EXPECT_EQ(ValidateRfmConfig(rfm).message(),
            "rfm.frequency_window: must be 1 to 1000 whole rfm.bucket (1d)");
  rfm = RfmConfig();
  rfm.breakpoints.monetary = {5, 4, 3, 2};
  EXPECT_EQ(ValidateRfmConfig(rfm).message(), "rfm.monetary: expected 4 non-decreasing numbers");
  EXPECT_TRUE(ValidateRfmConfig(RfmConfig()).ok());
}

}  // namespace
}  // namespace touchstream::state
