// Windowed aggregates: the declaration grammar, every kind, window edges, late and
// out-of-order events, expiry and the size bound, distinct counting (exact, then sampled).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "proto/window_read.h"
#include "state/builtin_aggregates.h"
#include "state/customer_analytics.h"
#include "state/window_aggregate.h"
#include "state/window_declaration.h"
#include "tests/testing/builders.h"

namespace touchstream::state {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = kMsPerDay;
// 2026-01-05T00:00:00Z, the start of a UTC day (and of its hour and minute buckets).
constexpr int64_t kD0 = 1767571200000;

v1::TouchpointEvent Event(const std::string& type, int64_t ts_ms) {
  return test::MakeEvent("c-1", type, ts_ms);
}
v1::TouchpointEvent Purchase(int64_t ts_ms, double amount, const std::string& category) {
  return test::EventBuilder("c-1", "purchase", ts_ms)
      .Double("amount", amount)
      .String("category", category);
}

WindowDeclaration Declare(const std::string& name, const std::string& text) {
  auto d = ParseWindowDeclaration(name, text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : WindowDeclaration();
}

std::string ParseError(const std::string& text) {
  auto d = ParseWindowDeclaration("a", text);
  return d.ok() ? "ok" : d.status().message();
}

// The engine's order: built-in aggregates first (they move last_seen_ms), then analytics.
class Customer {
 public:
  explicit Customer(AnalyticsConfig config) : analytics_(std::move(config)) {}
  AnalyticsUpdate Apply(const v1::TouchpointEvent& event) {
    ApplyBuiltinAggregates(event, &state);
    return analytics_.Apply(event, &state);
  }
  WindowReading Read(const std::string& name, int64_t now_ms) const {
    return ReadWindow(state.windows().at(name), now_ms);
  }
  v1::CustomerState state;

 private:
  CustomerAnalytics analytics_;
};

AnalyticsConfig Config(const std::vector<std::pair<std::string, std::string>>& declarations) {
  AnalyticsConfig config;
  for (const auto& [name, text] : declarations) config.windows.push_back(Declare(name, text));
  EXPECT_TRUE(ValidateAnalyticsConfig(config).ok());
  return config;
}

// The grammar: kinds, sources, default and explicit buckets, the distinct limit.
TEST(StateWindowDeclarationTest, ParsesDeclarations) {
  WindowDeclaration d = Declare("spend_90d", "sum(purchase.amount) over 90d");
  EXPECT_EQ(d.kind, v1::WindowState::SUM);
  EXPECT_EQ(d.event_type, "purchase");
  EXPECT_EQ(d.property, "amount");
  EXPECT_EQ(d.window_ms, 90 * kDay);
  EXPECT_EQ(d.bucket_ms, kDay);
  EXPECT_EQ(d.ToString(), "sum(purchase.amount) over 90d bucket 1d");

  d = Declare("views_7d", "  count( page_view )   over 7d ");
  EXPECT_EQ(d.kind, v1::WindowState::COUNT);
  EXPECT_EQ(d.property, "");
  EXPECT_EQ(d.bucket_ms, kDay);
  EXPECT_EQ(Declare("v", "count(page_view) over 24h").bucket_ms, kHour);
  EXPECT_EQ(Declare("v", "count(*) over 2h").bucket_ms, 60'000);
  EXPECT_EQ(Declare("v", "count(*) over 2h").event_type, "*");
  EXPECT_EQ(Declare("v", "count(*) over 1h30m").ToString(), "count(*) over 1h30m bucket 1m");
  EXPECT_EQ(Declare("v", "avg(purchase.amount) over 7d bucket 1h").bucket_ms, kHour);
  EXPECT_EQ(Declare("v", "average(purchase.amount) over 7d").kind, v1::WindowState::AVG);
  EXPECT_EQ(Declare("v", "min(purchase.amount) over 30d").kind, v1::WindowState::MIN);
  EXPECT_EQ(Declare("v", "max(purchase.amount) over 30d").kind, v1::WindowState::MAX);
  d = Declare("categories_30d", "distinct(purchase.category) over 30d limit 100");
  EXPECT_EQ(d.kind, v1::WindowState::DISTINCT);
  EXPECT_EQ(d.distinct_limit, 100);
  EXPECT_EQ(Declare("c", "distinct(purchase.category) over 30d").distinct_limit, 64);
  EXPECT_EQ(Declare("c", "count(page_view.url) over 7d").property, "url");
  // The fingerprint tells declarations apart (not names).
  EXPECT_EQ(Declare("a", "count(x) over 7d").Fingerprint(),
            Declare("b", "count(x) over 7d").Fingerprint());
  EXPECT_NE(Declare("a", "count(x) over 7d").Fingerprint(),
            Declare("a", "count(x) over 8d").Fingerprint());
}

// Every malformed declaration is refused with a message naming the mistake.
TEST(StateWindowDeclarationTest, RefusesMistakes) {
  EXPECT_EQ(ParseError("summ(purchase.amount) over 90d"),
            "unknown kind 'summ' (did you mean 'sum'?)");
  EXPECT_EQ(ParseError("total(purchase.amount) over 90d"),
            "unknown kind 'total' (expected count, sum, min, max, avg or distinct)");
  EXPECT_EQ(ParseError("sum(purchase) over 90d"), "sum needs a property: sum(purchase.<property>)");
  EXPECT_EQ(ParseError("count(page_view)"), "expected 'over <duration>' after ')', e.g. over 90d");
  EXPECT_EQ(ParseError("count(page_view over 7d"),
            "expected ')' after the event type and property");
  EXPECT_EQ(ParseError("count(page_view) over 9x"),
            "invalid duration '9x' (use e.g. 90d, 12h, 30m)");
  EXPECT_EQ(ParseError("count(page_view) over 0d"),
            "invalid duration '0d' (use e.g. 90d, 12h, 30m)");
  EXPECT_EQ(ParseError("count(page_view) over 90d bucket 7d"),
            "window 90d is not a multiple of the bucket 7d");
  EXPECT_EQ(ParseError("count(page_view) over 2000d bucket 1h"),
            "window 2000d holds 48000 buckets of 1h; at most 1000 (use a wider bucket)");
  EXPECT_EQ(ParseError("count(page_view) over 2000d"),
            "no default bucket fits a window of 2000d; add 'bucket <duration>' (the window must "
            "be 1 to 1000 whole buckets)");
  EXPECT_EQ(ParseError("sum(purchase.amount) over 7d limit 5"), "'limit' applies to distinct only");
  EXPECT_EQ(ParseError("distinct(purchase.sku) over 7d limit 0"),
            "limit must be an integer from 1 to 1024, got '0'");
  EXPECT_EQ(ParseError("count(page_view) over 7d every 1h"),
            "unexpected 'every' (after the window, only 'bucket <duration>' and, for distinct, "
            "'limit <n>' may follow)");
  EXPECT_FALSE(ParseWindowDeclaration("9lives", "count(x) over 7d").ok());
  EXPECT_FALSE(ParseWindowDeclaration("spend-90d", "count(x) over 7d").ok());
}

// Every kind over the same events, read as of one time, with exact values.
TEST(StateWindowAggregatesTest, EveryKind) {
  Customer c(Config({{"views_7d", "count(page_view) over 7d"},
                     {"purchases_7d", "count(purchase) over 7d"},
                     {"spend_7d", "sum(purchase.amount) over 7d"},
                     {"min_7d", "min(purchase.amount) over 7d"},
                     {"max_7d", "max(purchase.amount) over 7d"},
                     {"avg_7d", "avg(purchase.amount) over 7d"},
                     {"categories_7d", "distinct(purchase.category) over 7d"},
                     {"events_7d", "count(*) over 7d"}}));
  c.Apply(Event("page_view", kD0 + kHour));
  c.Apply(Purchase(kD0 + kHour, 10.5, "shoes"));
  c.Apply(Purchase(kD0 + 2 * kDay, 20.25, "hats"));
  v1::TouchpointEvent int_amount = Event("purchase", kD0 + 3 * kDay);
  (*int_amount.mutable_properties())["amount"].set_int_value(5);
  (*int_amount.mutable_properties())["category"].set_string_value("shoes");
  c.Apply(int_amount);
  v1::TouchpointEvent text_amount = Event("purchase", kD0 + 3 * kDay);  // counted, not summed
  (*text_amount.mutable_properties())["amount"].set_string_value("n/a");
  c.Apply(text_amount);
  c.Apply(Event("page_view", kD0 + 2 * kDay));

  const int64_t now = kD0 + 3 * kDay + kHour;
  EXPECT_EQ(c.Read("views_7d", now).count, 2);
  EXPECT_EQ(c.Read("purchases_7d", now).count, 4);
  EXPECT_EQ(c.Read("events_7d", now).count, 6);
  EXPECT_EQ(c.Read("spend_7d", now).value, 35.75);
  EXPECT_EQ(c.Read("spend_7d", now).count, 3);
  EXPECT_EQ(c.Read("min_7d", now).value, 5.0);
  EXPECT_EQ(c.Read("max_7d", now).value, 20.25);
  EXPECT_EQ(c.Read("avg_7d", now).value, 35.75 / 3);
  EXPECT_EQ(c.Read("categories_7d", now).count, 2);
  EXPECT_TRUE(c.Read("categories_7d", now).exact);
  // Before any matching event the readings are empty (count 0: min/max/avg read as null).
  EXPECT_EQ(c.Read("min_7d", kD0 - kDay).count, 0);
}

// The window is the current bucket and the n-1 before it: its edges, to the millisecond.
TEST(StateWindowAggregatesTest, WindowEdges) {
  Customer c(Config(
      {{"views_7d", "count(page_view) over 7d"}, {"views_24h", "count(page_view) over 24h"}}));
  c.Apply(Event("page_view", kD0));  // first millisecond of day d
  EXPECT_EQ(c.Read("views_7d", kD0).count, 1);
  EXPECT_EQ(c.Read("views_7d", kD0 + 7 * kDay - 1).count, 1);  // last ms of day d+6
  EXPECT_EQ(c.Read("views_7d", kD0 + 7 * kDay).count, 0);      // day d+7: d has left
  EXPECT_EQ(c.Read("views_7d", kD0 - 1).count, 0);             // before the event's bucket
  // Hourly buckets: an event at 10:30 counts until 09:59:59.999 the next day.
  c.Apply(Event("page_view", kD0 + 10 * kHour + 30 * 60'000));
  EXPECT_EQ(c.Read("views_24h", kD0 + 10 * kHour + 30 * 60'000).count, 2);
  EXPECT_EQ(c.Read("views_24h", kD0 + 10 * kHour).count, 2);      // 10:00, same bucket
  EXPECT_EQ(c.Read("views_24h", kD0 + 34 * kHour - 1).count, 1);  // next day 09:59:59.999
  EXPECT_EQ(c.Read("views_24h", kD0 + 34 * kHour).count, 0);      // next day 10:00
}

// Buckets leave the window on read, and are deleted by the next event: at most n per window.
TEST(StateWindowAggregatesTest, ExpiryBoundsSize) {
  Customer c(Config({{"spend_7d", "sum(purchase.amount) over 7d"}}));
  for (int day = 0; day < 100; ++day) c.Apply(Purchase(kD0 + day * kDay + kHour, day, "x"));
  const v1::WindowState& w = c.state.windows().at("spend_7d");
  ASSERT_EQ(w.buckets_size(), 7);
  EXPECT_EQ(w.buckets(0).index(), kD0 / kDay + 93);
  // Days 93..99: 93 + 94 + ... + 99 = 672.
  EXPECT_EQ(c.Read("spend_7d", kD0 + 99 * kDay).value, 672.0);
  // Three days later, without events, days 96..99 remain in the window on read.
  EXPECT_EQ(c.Read("spend_7d", kD0 + 102 * kDay).value, 96.0 + 97 + 98 + 99);
  // An event of another type moves the customer's time on and deletes expired buckets.
  c.Apply(Event("login", kD0 + 102 * kDay));
  EXPECT_EQ(c.state.windows().at("spend_7d").buckets_size(), 4);
}

// Out-of-order events within the lateness give exactly the in-order windows.
TEST(StateWindowAggregatesTest, OutOfOrderMatchesInOrder) {
  const auto config = Config({{"spend_7d", "sum(purchase.amount) over 7d bucket 1h"},
                              {"min_7d", "min(purchase.amount) over 7d bucket 1h"},
                              {"max_7d", "max(purchase.amount) over 7d bucket 1h"},
                              {"avg_7d", "avg(purchase.amount) over 7d bucket 1h"},
                              {"n_7d", "count(purchase) over 7d"},
                              {"cats_7d", "distinct(purchase.category) over 7d"}});
  std::vector<v1::TouchpointEvent> events;
  for (int i = 0; i < 200; ++i) {
    // Amounts in quarters: sums are exact in binary floating point whatever the order.
    events.push_back(Purchase(kD0 + i * 3 * kHour + (i % 7) * 60'000, (i % 13) * 0.25 + 1,
                              "cat" + std::to_string(i % 9)));
  }
  Customer in_order(config);
  for (const auto& e : events) in_order.Apply(e);
  // Shuffle within blocks of 8 events (at most 21 hours apart, inside the 1d lateness).
  std::mt19937 rng(7);
  for (size_t i = 0; i + 8 <= events.size(); i += 8) {
    std::shuffle(events.begin() + static_cast<long>(i), events.begin() + static_cast<long>(i) + 8,
                 rng);
  }
  Customer shuffled(config);
  for (const auto& e : events) {
    EXPECT_EQ(shuffled.Apply(e).late_windows, 0);
  }
  for (const auto& [name, window] : in_order.state.windows()) {
    EXPECT_EQ(window.SerializeAsString(), shuffled.state.windows().at(name).SerializeAsString())
        << name;
  }
  const int64_t now = kD0 + 600 * kHour;
  // Days 19..25 after kD0 hold events 152..199 (one every 3h from hour 456 on).
  EXPECT_EQ(in_order.Read("n_7d", now).count, 48);
  EXPECT_EQ(in_order.Read("cats_7d", now).count, 9);
}

// Events older than the customer's latest event time minus the lateness are not counted.
TEST(StateWindowAggregatesTest, LatenessBound) {
  AnalyticsConfig config = Config({{"spend_30d", "sum(purchase.amount) over 30d"}});
  config.lateness_ms = kDay;
  Customer c(config);
  EXPECT_EQ(c.Apply(Purchase(kD0 + 5 * kDay, 100, "a")).late_windows, 0);
  EXPECT_EQ(c.Apply(Purchase(kD0 + 3 * kDay, 10, "a")).late_windows, 1);         // 2d late: dropped
  EXPECT_EQ(c.Apply(Purchase(kD0 + 4 * kDay + kHour, 1, "a")).late_windows, 0);  // 23h late
  EXPECT_EQ(c.Apply(Purchase(kD0 + 4 * kDay, 0.5, "a")).late_windows, 0);        // exactly 1d late
  EXPECT_EQ(c.Read("spend_30d", kD0 + 6 * kDay).value, 101.5);
  EXPECT_EQ(c.Read("spend_30d", kD0 + 6 * kDay).count, 3);
  // Events of other types are never late for a window that does not count them.
  EXPECT_EQ(c.Apply(Event("login", kD0)).late_windows, 0);
}

// Distinct: exact up to the limit, a sampled estimate beyond it, exact again once the
// dropped values have left the window; entries never exceed the limit.
TEST(StateWindowAggregatesTest, DistinctExactThenSampled) {
  Customer c(Config({{"skus_7d", "distinct(purchase.sku) over 7d limit 64"}}));
  auto sku = [](int64_t ts, const std::string& value) {
    v1::TouchpointEvent e = Event("purchase", ts);
    (*e.mutable_properties())["sku"].set_string_value(value);
    return e;
  };
  for (int i = 0; i < 64; ++i) c.Apply(sku(kD0 + i * 1000, "sku-" + std::to_string(i)));
  for (int i = 0; i < 64; ++i) c.Apply(sku(kD0 + 100'000 + i, "sku-" + std::to_string(i)));
  WindowReading r = c.Read("skus_7d", kD0 + kHour);
  EXPECT_EQ(r.count, 64);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(c.state.windows().at("skus_7d").sampling_threshold(), 0u);

  for (int i = 64; i < 2000; ++i) c.Apply(sku(kD0 + kHour + i, "sku-" + std::to_string(i)));
  const v1::WindowState& w = c.state.windows().at("skus_7d");
  EXPECT_EQ(w.distinct_hashes_size(), 64);
  EXPECT_TRUE(std::is_sorted(w.distinct_hashes().begin(), w.distinct_hashes().end()));
  r = c.Read("skus_7d", kD0 + 2 * kHour);
  EXPECT_FALSE(r.exact);
  // The estimate is kept values / sampling rate; here within 25% of the truth.
  EXPECT_EQ(r.count, std::llround(64.0 / (static_cast<double>(w.sampling_threshold()) /
                                          18446744073709551616.0)));
  EXPECT_NEAR(static_cast<double>(r.count), 2000.0, 500.0);

  // A week later only new values are in the window; the sample's drops have left it.
  for (int i = 0; i < 10; ++i) c.Apply(sku(kD0 + 8 * kDay + i, "late-" + std::to_string(i % 5)));
  r = c.Read("skus_7d", kD0 + 8 * kDay + kHour);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.count, 5);
  EXPECT_EQ(c.state.windows().at("skus_7d").sampling_threshold(), 0u);
  EXPECT_EQ(c.state.windows().at("skus_7d").distinct_hashes_size(), 5);
}

// Distinct values: ints and integral doubles are one value; a string "3" is another.
TEST(StateWindowAggregatesTest, DistinctValueIdentity) {
  auto value = [](auto set) {
    v1::Value v;
    set(v);
    uint64_t h = 0;
    EXPECT_TRUE(DistinctHash(v, &h));
    return h;
  };
  EXPECT_EQ(value([](v1::Value& v) { v.set_int_value(3); }),
            value([](v1::Value& v) { v.set_double_value(3.0); }));
  EXPECT_NE(value([](v1::Value& v) { v.set_int_value(3); }),
            value([](v1::Value& v) { v.set_string_value("3"); }));
  EXPECT_NE(value([](v1::Value& v) { v.set_double_value(3.5); }),
            value([](v1::Value& v) { v.set_double_value(3.25); }));
  EXPECT_EQ(value([](v1::Value& v) { v.set_double_value(-0.0); }),
            value([](v1::Value& v) { v.set_int_value(0); }));
  uint64_t h = 0;
  EXPECT_FALSE(DistinctHash(v1::Value(), &h));
  // The hash is part of the storage format: it must never change.
  EXPECT_EQ(value([](v1::Value& v) { v.set_string_value("shoes"); }),
            value([](v1::Value& v) { v.set_string_value("shoes"); }));
}

// Changing a declaration restarts that aggregate; undeclared aggregates are removed.
TEST(StateWindowAggregatesTest, DeclarationChanges) {
  v1::CustomerState state;
  auto apply = [&](const AnalyticsConfig& config, const v1::TouchpointEvent& e) {
    ApplyBuiltinAggregates(e, &state);
    CustomerAnalytics(config).Apply(e, &state);
  };
  apply(Config({{"views", "count(page_view) over 7d"}, {"old", "count(login) over 7d"}}),
        Event("page_view", kD0));
  apply(Config({{"views", "count(page_view) over 7d"}, {"old", "count(login) over 7d"}}),
        Event("page_view", kD0 + 1));
  EXPECT_EQ(ReadWindow(state.windows().at("views"), kD0 + 2).count, 2);
  EXPECT_EQ(state.windows().at("old").buckets_size(), 0);  // declared: present, empty
  apply(Config({{"views", "count(page_view) over 30d"}}), Event("page_view", kD0 + 2));
  EXPECT_EQ(state.windows().count("old"), 0u);
  EXPECT_EQ(state.windows().at("views").window_ms(), 30 * kDay);
  EXPECT_EQ(ReadWindow(state.windows().at("views"), kD0 + 3).count, 1);
}

// Reading at a shorter span of the same window (as RFM does) and the unset window.
TEST(StateWindowAggregatesTest, ReadSpan) {
  v1::WindowState w;
  ResetWindow(Declare("s", "sum(purchase.amount) over 30d"), &w);
  const int64_t latest = kD0 + 20 * kDay;
  EXPECT_TRUE(AddToWindow(kD0, 1, latest, &w));
  EXPECT_TRUE(AddToWindow(kD0 + 15 * kDay, 2, latest, &w));
  EXPECT_TRUE(AddToWindow(kD0 + 20 * kDay, 4, latest, &w));
  EXPECT_FALSE(AddToWindow(kD0 - 10 * kDay - 1, 8, latest, &w));  // already out of the window
  EXPECT_EQ(ReadWindow(w, latest).value, 7.0);
  EXPECT_EQ(ReadWindow(w, latest, 7 * kDay).value, 6.0);
  EXPECT_EQ(ReadWindow(w, latest, kDay).value, 4.0);
  EXPECT_EQ(ReadWindow(v1::WindowState(), latest).count, 0);
}

}  // namespace
}  // namespace touchstream::state
