// The 360° state end to end through Replay: satisfaction, value tiers (and tier_changed),
// loyalty expiry and tiers, event history, and the late / out-of-order event metrics.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/time_format.h"
#include "engine/config/config.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

// One action as the tests compare it: "rule@time: message".
std::string Describe(const v1::Action& a) {
  return a.rule_id() + "@" + FormatRfc3339Ms(a.ts_ms()) + ": " + a.message();
}

class EngineStateModelTest : public ReplayFixture {
 protected:
  // Replays `events` (JSON lines) through `rules_yaml`; returns the actions described.
  std::vector<std::string> Replay(const std::string& rules_yaml,
                                  const std::vector<std::string>& events) {
    return DescribeAll(ReplayActions(rules_yaml, events), Describe);
  }

  // The value of a counter with one label (or none when label is empty); -1 when absent.
  double Counter(const std::string& family, const std::string& label = "",
                 const std::string& value = "") {
    for (const auto& f : metrics_.registry()->Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        if (label.empty() ||
            (m.label.size() == 1 && m.label[0].name == label && m.label[0].value == value)) {
          return m.counter.value;
        }
      }
    }
    return -1;
  }
};

// An event of `customer` (c1 unless named) on the web channel.
std::string Ev(const std::string& id, const std::string& type, const std::string& ts,
               const std::string& properties = "{}", const std::string& customer = "c1") {
  return Event(id, customer, type, ts, properties, "web");
}

// NPS, CSAT and tickets with the default event names are readable by rules.
TEST_F(EngineStateModelTest, SatisfactionFieldsWithDefaults) {
  const auto actions = Replay(
      R"Y(
- id: nps
  trigger: {event: nps_response}
  actions: [{emit: {kind: note, channel: crm, template: "{{ customer.satisfaction.nps }} {{ customer.satisfaction.nps_category }} {{ round(customer.satisfaction.nps_running) }} of {{ customer.satisfaction.nps_responses }}"}}]
- id: tickets
  trigger: {event: [ticket_opened, ticket_resolved, csat_response]}
  condition: has(customer.satisfaction.oldest_open_ticket)
  actions: [{emit: {kind: note, channel: crm, template: "{{ customer.satisfaction.open_tickets }} open, oldest {{ days_since(customer.satisfaction.oldest_open_ticket) }}d, csat {{ customer.satisfaction.csat_average }}"}}]
)Y",
      {Ev("e1", "nps_response", "2026-01-01T00:00:00Z", R"({"score":9})"),
       Ev("e2", "nps_response", "2026-01-02T00:00:00Z", R"({"score":3})"),
       Ev("e3", "nps_response", "2026-01-03T00:00:00Z", R"({"score":10})"),
       Ev("e4", "ticket_opened", "2026-01-04T00:00:00Z", R"({"ticket_id":"t1"})"),
       Ev("e5", "ticket_opened", "2026-01-05T00:00:00Z", R"({"ticket_id":"t2"})"),
       Ev("e6", "csat_response", "2026-01-06T00:00:00Z", R"({"score":2})"),
       Ev("e7", "ticket_resolved", "2026-01-07T00:00:00Z", R"({"ticket_id":"t1"})"),
       Ev("e8", "ticket_resolved", "2026-01-08T00:00:00Z", R"({"ticket_id":"t2"})")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "nps@2026-01-01T00:00:00Z: 9 promoter 100 of 1",
                         "nps@2026-01-02T00:00:00Z: 3 detractor 0 of 2",
                         "nps@2026-01-03T00:00:00Z: 10 promoter 33 of 3",
                         "tickets@2026-01-04T00:00:00Z: 1 open, oldest 0d, csat ",
                         "tickets@2026-01-05T00:00:00Z: 2 open, oldest 1d, csat ",
                         "tickets@2026-01-06T00:00:00Z: 2 open, oldest 2d, csat 2",
                         "tickets@2026-01-07T00:00:00Z: 1 open, oldest 2d, csat 2",
                     }));
}

// The value score follows the configured expression; tier changes raise tier_changed, and a
// profile attribute `tier` overrides the value tier while set.
TEST_F(EngineStateModelTest, ValueTiersDriveTierTransitions) {
  Config(R"Y(
value_tiers:
  score: customer.aggregates.total_spend * 0.5
  tiers: [{name: bronze, min: 0}, {name: silver, min: 100}, {name: gold, min: 500}]
)Y");
  const auto actions = Replay(
      R"Y(
- id: tier
  trigger: {tier_changed: {from: any, to: any}}
  actions: [{emit: {kind: note, channel: crm, template: "{{ event.properties.from }}>{{ event.properties.to }} {{ customer.value.score }} {{ customer.value.tier }}"}}]
)Y",
      {Ev("e1", "login", "2026-01-01T00:00:00Z"),
       Ev("e2", "purchase", "2026-01-02T00:00:00Z", R"({"amount":300})"),
       Ev("e3", "purchase", "2026-01-03T00:00:00Z", R"({"amount":800})"),
       Ev("e4", "profile_update", "2026-01-04T00:00:00Z", R"({"tier":"vip"})"),
       Ev("e5", "purchase", "2026-01-05T00:00:00Z", R"({"amount":10})")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "tier@2026-01-01T00:00:00Z: none>bronze 0 bronze",
                         "tier@2026-01-02T00:00:00Z: bronze>silver 150 silver",
                         "tier@2026-01-03T00:00:00Z: silver>gold 550 gold",
                         "tier@2026-01-04T00:00:00Z: gold>vip 550 gold",
                     }));
  const v1::CustomerState state = State("c1");
  EXPECT_EQ(state.value().score(), 555);
  EXPECT_EQ(state.value().tier(), "gold");
  EXPECT_EQ(state.value().since_ms(), *ParseRfc3339Ms("2026-01-03T00:00:00Z"));
}

// A score that fails to evaluate leaves the value as it was and is counted.
TEST_F(EngineStateModelTest, ValueScoreErrorsKeepTheValue) {
  Config(R"Y(
value_tiers:
  score: customer.profile.margin * customer.aggregates.total_spend
  tiers: [{name: low, min: 0}, {name: high, min: 100}]
)Y");
  Replay("[]", {Ev("e1", "profile_update", "2026-01-01T00:00:00Z", R"({"margin":0.5})"),
                Ev("e2", "purchase", "2026-01-02T00:00:00Z", R"({"amount":400})"),
                Ev("e3", "profile_update", "2026-01-03T00:00:00Z", R"({"margin":"n/a"})")});
  EXPECT_EQ(State("c1").value().score(), 200);
  EXPECT_EQ(State("c1").value().tier(), "high");
  EXPECT_EQ(Counter("touchstream_value_score_errors_total"), 1);
}

// Points earned by rules expire by age; rules see the expired total and the loyalty tier by
// balance, which goes down when points expire.
TEST_F(EngineStateModelTest, LoyaltyExpiryAndTiers) {
  Config(R"Y(
loyalty:
  points_expire_after: 30d
  tiers: {basis: points, levels: [{name: member, min: 0}, {name: gold, min: 100}]}
)Y");
  const auto actions = Replay(
      R"Y(
- id: earn
  trigger: {event: purchase}
  actions:
    - add_points: "round(event.properties.amount)"
    - emit: {kind: note, channel: crm, template: "{{ customer.loyalty.points }} {{ customer.loyalty.tier }}"}
- id: look
  trigger: {event: login}
  actions: [{emit: {kind: note, channel: crm, template: "{{ customer.loyalty.points }} expired {{ customer.loyalty.expired }} {{ customer.loyalty.tier }} next {{ customer.loyalty.next_expiry_points }}"}}]
)Y",
      {Ev("e1", "purchase", "2026-01-01T00:00:00Z", R"({"amount":80})"),
       Ev("e2", "purchase", "2026-01-20T00:00:00Z", R"({"amount":40})"),
       Ev("e3", "login", "2026-01-25T00:00:00Z"), Ev("e4", "login", "2026-02-01T00:00:00Z")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "earn@2026-01-01T00:00:00Z: 80 member",
                         "earn@2026-01-20T00:00:00Z: 120 gold",
                         "look@2026-01-25T00:00:00Z: 120 expired 0 gold next 80",
                         "look@2026-02-01T00:00:00Z: 40 expired 80 member next 40",
                     }));
  const v1::CustomerState state = State("c1");
  EXPECT_EQ(state.loyalty().tier_since_ms(), *ParseRfc3339Ms("2026-02-01T00:00:00Z"));
}

// Rules read the latest events, newest first, bounded by history.size.
TEST_F(EngineStateModelTest, HistoryIsReadable) {
  Config("history: {size: 3}\n");
  const auto actions = Replay(
      R"Y(
- id: path
  trigger: {event: purchase}
  condition: customer.history.previous_type == "cart_add"
  actions: [{emit: {kind: note, channel: crm, template: "{{ customer.history.event_types }} {{ size(customer.history.event_ids) }}"}}]
)Y",
      {Ev("e1", "login", "2026-01-01T00:00:00Z"), Ev("e2", "page_view", "2026-01-01T00:01:00Z"),
       Ev("e3", "cart_add", "2026-01-01T00:02:00Z"),
       Ev("e4", "purchase", "2026-01-01T00:03:00Z", R"({"amount":5})")});
  EXPECT_EQ(
      actions,
      (std::vector<std::string>{"path@2026-01-01T00:03:00Z: [purchase, cart_add, page_view] 3"}));
}

// Events a window refuses as late are counted per aggregate; out-of-order events are counted.
TEST_F(EngineStateModelTest, LateAndOutOfOrderEventsAreCounted) {
  Config(R"Y(
aggregates:
  spend_30d: sum(purchase.amount) over 30d
  views_7d: count(page_view) over 7d
lateness: 1d
)Y");
  Replay("[]", {Ev("e1", "purchase", "2026-01-10T00:00:00Z", R"({"amount":5})"),
                Ev("e2", "purchase", "2026-01-09T12:00:00Z", R"({"amount":5})"),
                Ev("e3", "purchase", "2026-01-05T00:00:00Z", R"({"amount":5})"),
                Ev("e4", "page_view", "2026-01-01T00:00:00Z")});
  EXPECT_EQ(Counter("touchstream_window_late_events_total", "aggregate", "spend_30d"), 1);
  EXPECT_EQ(Counter("touchstream_window_late_events_total", "aggregate", "views_7d"), 1);
  EXPECT_EQ(Counter("touchstream_events_out_of_order_total"), 3);
}

std::string ConfigError(const std::string& yaml) {
  auto config = LoadConfigFromString(yaml, "engine.yaml");
  return config.ok() ? "ok" : config.status().message();
}

// The new sections read into the config, with defaults for what is left out.
TEST(EngineStateModelConfigTest, ReadsTheSections) {
  auto config = LoadConfigFromString(R"Y(
satisfaction: {csat_event: survey, max_open_tickets: 5}
value_tiers:
  score: customer.aggregates.spend_365d * 0.3 * max(1.0, days_since(customer.first_seen) / 365.0)
  tiers: [{name: bronze, min: 0}, {name: silver, min: 500.5}]
loyalty:
  points_expire_after: 365d
  tiers: {basis: spend_365d, levels: [{name: member, min: 0}, {name: gold, min: 1000}]}
history: {size: 5}
aggregates: {spend_365d: sum(purchase.amount) over 365d}
)Y",
                                     "engine.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->satisfaction.csat_event, "survey");
  EXPECT_EQ(config->satisfaction.nps_event, "nps_response");
  EXPECT_EQ(config->satisfaction.max_open_tickets, 5);
  ASSERT_NE(config->value_tiers.score, nullptr);
  EXPECT_EQ(config->value_tiers.score->type, rules::ValueType::kDouble);
  ASSERT_EQ(config->value_tiers.levels.size(), 2u);
  EXPECT_EQ(config->value_tiers.levels[1].name, "silver");
  EXPECT_EQ(config->value_tiers.levels[1].min, 500.5);
  EXPECT_EQ(config->loyalty.points_expire_after_ms, 365 * 86'400'000LL);
  EXPECT_EQ(config->loyalty.tier_basis, "spend_365d");
  EXPECT_EQ(config->loyalty.levels[1].min, 1000);
  EXPECT_EQ(config->history_size, 5);
  EXPECT_EQ(EngineConfig().history_size, 20);
}

// Mistakes name the file, line and key.
TEST(EngineStateModelConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(ConfigError("satisfaction: {nps: x}\n"),
            "engine.yaml:1:16: error: satisfaction.nps: unknown key (expected one of: csat_event, "
            "max_open_tickets, nps_event, score_property, ticket_id_property, "
            "ticket_opened_event, ticket_resolved_event)");
  EXPECT_EQ(ConfigError("value_tiers:\n  score: customer.aggregates.total_spnd\n  tiers: "
                        "[{name: a, min: 0}]\n"),
            "engine.yaml:2:30: error: value_tiers.score: unknown field "
            "'customer.aggregates.total_spnd' (did you mean 'total_spend'?)");
  EXPECT_EQ(ConfigError("value_tiers:\n  score: customer.lifecycle.stage\n  tiers: "
                        "[{name: a, min: 0}]\n"),
            "engine.yaml:2:10: error: value_tiers.score: expected a number, but "
            "'customer.lifecycle.stage' is string");
  EXPECT_EQ(ConfigError("value_tiers: {tiers: [{name: a, min: 0}]}\n"),
            "engine.yaml:1:14: error: value_tiers.score: missing");
  EXPECT_EQ(
      ConfigError("value_tiers:\n  score: '1'\n  tiers: [{name: a, min: 5}, {name: b, "
                  "min: 5}]\n"),
      "engine.yaml:3:30: error: value_tiers.tiers[1].min: levels must be in strictly ascending "
      "order of min");
  EXPECT_EQ(ConfigError("loyalty:\n  tiers: {basis: spend, levels: [{name: a, min: 0}]}\n"),
            "engine.yaml:2:18: error: loyalty.tiers.basis: expected points or a declared aggregate "
            "(aggregates:), got 'spend'; expected one of: points");
  EXPECT_EQ(
      ConfigError("loyalty: {points_expire_after: soon}\n"),
      "engine.yaml:1:32: error: loyalty.points_expire_after: expected a duration such as 90d, 12h "
      "or 1h30m, got 'soon'");
  EXPECT_EQ(ConfigError("history: {size: 5000}\n"),
            "engine.yaml:1:17: error: history.size: must be at most 1000");
}

}  // namespace
}  // namespace touchstream::engine
