// The config sections for windowed aggregates, lateness, RFM and consent: what they read into,
// the rule environment they feed, and file:line:key errors for every kind of mistake.
#include <gtest/gtest.h>

#include "engine/config/config.h"

namespace touchstream::engine {
namespace {

constexpr int64_t kDay = 86'400'000;

std::string Error(const std::string& yaml) {
  auto config = LoadConfigFromString(yaml, "engine.yaml");
  return config.ok() ? "ok" : config.status().message();
}

// A full example is read into AnalyticsConfig and the declared types into the environment.
TEST(EngineAnalyticsConfigTest, ReadsEverySection) {
  auto config = LoadConfigFromString(R"(
aggregates:
  spend_90d: sum(purchase.amount) over 90d
  views_7d: count(page_view) over 7d
  categories_30d: distinct(purchase.category) over 30d limit 100
  avg_basket_30d: avg(purchase.amount) over 30d bucket 6h
lateness: 2d
rfm:
  frequency_window: 180d
  monetary_window: 365d
  scoring: quantiles
  refresh: 12h
  recency_days: [14, 30, 60, 120]
  frequency: [1, 2, 3, 5]
  monetary: [25, 100, 250.5, 1000]
  segments:
    - champions: r >= 4 && f >= 4 && m >= 4
    - at_risk: r <= 2 && f >= 3
    - lost: r == 1
  default_segment: regulars
  no_purchase_segment: leads
consent:
  event_type: preferences
  channels: [email, sms, push, phone]
)",
                                     "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const state::AnalyticsConfig& a = config->analytics;
  ASSERT_EQ(a.windows.size(), 4u);
  EXPECT_EQ(a.windows[0].name, "spend_90d");
  EXPECT_EQ(a.windows[0].ToString(), "sum(purchase.amount) over 90d bucket 1d");
  EXPECT_EQ(a.windows[2].distinct_limit, 100);
  EXPECT_EQ(a.windows[3].bucket_ms, 6 * 3'600'000);
  EXPECT_EQ(a.lateness_ms, 2 * kDay);
  const auto& env = config->rule_environment.aggregates;
  EXPECT_EQ(env.at("spend_90d"), rules::ValueType::kDouble);
  EXPECT_EQ(env.at("views_7d"), rules::ValueType::kInt);
  EXPECT_EQ(env.at("categories_30d"), rules::ValueType::kInt);
  EXPECT_EQ(env.at("avg_basket_30d"), rules::ValueType::kDouble);

  EXPECT_TRUE(a.rfm_enabled);
  EXPECT_EQ(a.rfm.frequency_window_ms, 180 * kDay);
  EXPECT_EQ(a.rfm.monetary_window_ms, 365 * kDay);
  EXPECT_EQ(a.rfm.scoring, state::RfmScoring::kQuantiles);
  EXPECT_EQ(a.rfm.refresh_ms, 12 * 3'600'000);
  EXPECT_EQ(a.rfm.breakpoints.recency_days, (std::array<double, 4>{14, 30, 60, 120}));
  EXPECT_EQ(a.rfm.breakpoints.monetary, (std::array<double, 4>{25, 100, 250.5, 1000}));
  ASSERT_EQ(a.rfm.segments.size(), 3u);
  EXPECT_EQ(a.rfm.segments[1].name, "at_risk");
  EXPECT_EQ(a.rfm.segments[1].condition, "r <= 2 && f >= 3");
  EXPECT_EQ(a.rfm.default_segment, "regulars");
  EXPECT_EQ(a.rfm.no_purchase_segment, "leads");
  EXPECT_EQ(a.consent.event_type, "preferences");
  EXPECT_EQ(a.consent.channels, (std::vector<std::string>{"email", "sms", "push", "phone"}));
}

// Defaults: no aggregates, 1d lateness, RFM off, consent events of type "consent".
TEST(EngineAnalyticsConfigTest, Defaults) {
  auto config = LoadConfigFromString("kafka: {group_id: g}\n", "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->analytics.windows.empty());
  EXPECT_EQ(config->analytics.lateness_ms, kDay);
  EXPECT_FALSE(config->analytics.rfm_enabled);
  EXPECT_EQ(config->analytics.consent.event_type, "consent");
  EXPECT_TRUE(config->rule_environment.aggregates.empty());
  // An empty rfm section turns RFM on with the defaults (breakpoints, 365d windows).
  config = LoadConfigFromString("rfm: {}\nlateness: 0s\n", "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->analytics.rfm_enabled);
  EXPECT_EQ(config->analytics.rfm.scoring, state::RfmScoring::kBreakpoints);
  EXPECT_EQ(config->analytics.rfm.segments.size(), 7u);
  EXPECT_EQ(config->analytics.lateness_ms, 0);
}

// Bad aggregate declarations name the file, line and key.
TEST(EngineAnalyticsConfigTest, AggregateErrors) {
  EXPECT_EQ(
      Error("aggregates:\n  spend_90d: summ(purchase.amount) over 90d\n"),
      "engine.yaml:2:14: error: aggregates.spend_90d: unknown kind 'summ' (did you mean 'sum'?)");
  EXPECT_EQ(
      Error("aggregates:\n  views: count(page_view) over 90d bucket 7d\n"),
      "engine.yaml:2:10: error: aggregates.views: window 90d is not a multiple of the bucket 7d");
  EXPECT_EQ(
      Error("aggregates:\n  total_spend: sum(purchase.amount) over 90d\n"),
      "engine.yaml:2:16: error: aggregates.total_spend: 'total_spend' is a built-in aggregate; "
      "choose another name");
  EXPECT_EQ(
      Error("aggregates:\n  spend-90d: sum(purchase.amount) over 90d\n"),
      "engine.yaml:2:14: error: aggregates.spend-90d: invalid aggregate name 'spend-90d' (use "
      "letters, digits and '_', not starting with a digit, at most 64 bytes)");
  EXPECT_EQ(
      Error("aggregates:\n  s: [sum]\n"),
      "engine.yaml:2:6: error: aggregates.s: expected a declaration such as 'sum(purchase.amount) "
      "over 90d'");
  EXPECT_EQ(Error("aggregates: [a, b]\n"),
            "engine.yaml:1:13: error: aggregates: expected a mapping");
  EXPECT_EQ(Error("lateness: soon\n"),
            "engine.yaml:1:11: error: lateness: expected a duration such as 90d, 12h or 1h30m, got "
            "'soon'");
}

// Bad RFM and consent settings name the file, line and key.
TEST(EngineAnalyticsConfigTest, RfmAndConsentErrors) {
  EXPECT_EQ(Error("rfm:\n  scoring: percentiles\n"),
            "engine.yaml:2:12: error: rfm.scoring: expected breakpoints or quantiles");
  EXPECT_EQ(Error("rfm:\n  recency_days: [7, 30, 90]\n"),
            "engine.yaml:2:17: error: rfm.recency_days: expected a list of 4 non-decreasing "
            "numbers, e.g. "
            "[7, 30, 90, 180]");
  EXPECT_EQ(Error("rfm:\n  monetary: [50, 200, 100, 1000]\n"),
            "engine.yaml:2:23: error: rfm.monetary: breakpoints must be non-decreasing");
  EXPECT_EQ(Error("rfm:\n  frequency: [1, 2, x, 8]\n"),
            "engine.yaml:2:21: error: rfm.frequency: expected a number, got 'x'");
  EXPECT_EQ(Error("rfm:\n  segments:\n    - champions: r >= 4\n    - loyal: x >= 4\n"),
            "engine.yaml:4:14: error: rfm.segments[1].loyal: expected comparisons like 'r >= 4' "
            "joined by "
            "'&&' (r, f, m; >= <= > < ==), got 'x >= 4'");
  EXPECT_EQ(Error("rfm:\n  segments:\n    - champions\n"),
            "engine.yaml:3:7: error: rfm.segments[0]: expected one 'segment: condition' pair, e.g. "
            "champions: r >= 4 && f >= 4");
  EXPECT_EQ(
      Error("rfm:\n  frequency_window: 36h\n"),
      "engine.yaml:2:3: error: rfm.frequency_window: must be 1 to 1000 whole rfm.bucket (1d)");
  EXPECT_EQ(Error("rfm:\n  refresh: 0h\n"),
            "engine.yaml:2:12: error: rfm.refresh: must be positive");
  EXPECT_EQ(
      Error("rfm:\n  windw: 30d\n"),
      "engine.yaml:2:3: error: rfm.windw: unknown key (expected one of: amount_property, bucket, "
      "default_segment, frequency, frequency_window, monetary, monetary_window, "
      "no_purchase_segment, purchase_event, recency_days, refresh, scoring, segments)");
  EXPECT_EQ(
      Error("consent:\n  event: consent\n"),
      "engine.yaml:2:3: error: consent.event: unknown key (expected one of: channels, event_type)");
}

}  // namespace
}  // namespace touchstream::engine
