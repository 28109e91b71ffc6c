// Alerts carry a snapshot of their customer (Action.snapshot) end to end through Replay: exact
// values of every field, CLV from the configured models, absent parts omitted from the JSON,
// and no snapshot on actions to other topics.
#include "engine/customer/customer_snapshot.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "base/time_format.h"
#include "engine/customer/clv_fields.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

using nlohmann::json;

constexpr char kConfig[] = R"Y(
output: {alerts_topic: alerts}
satisfaction:
  nps_event: nps_response
  ticket_opened_event: ticket_opened
  ticket_resolved_event: ticket_resolved
  ticket_id_property: ticket_id
value_tiers:
  score: customer.aggregates.total_spend
  tiers: [{name: bronze, min: 0}, {name: gold, min: 500}]
loyalty:
  tiers:
    basis: points
    levels: [{name: member, min: 0}, {name: silver, min: 100}]
clv:
  bg_nbd: {r: 0.243, alpha: 4.414, a: 0.793, b: 2.426}
  gamma_gamma: {p: 6.25, q: 3.74, gamma: 15.44}
)Y";

constexpr char kRules[] = R"Y(
- id: complaint-alert
  category: operational
  trigger: {event: complaint}
  actions: [{emit: {kind: alert, channel: crm, template: "Complaint from {{ customer.id }}"}}]
- id: complaint-sorry
  trigger: {event: complaint}
  actions: [{emit: {kind: nudge, channel: email, template: "Sorry"}}]
- id: points
  trigger: {event: purchase}
  actions: [{add_points: "round(event.properties.amount)"}]
- id: vip
  trigger: {event: upgrade}
  actions: [{set: {tier: '"platinum"'}}]
)Y";

class EngineCustomerSnapshotTest : public ReplayFixture {
 protected:
  void SetUp() override {
    ReplayFixture::SetUp();
    Config(kConfig);
  }

  // Replays `events`; returns the JSON actions by "rule customer" (read as JSON: the action
  // decoder does not read snapshots back).
  std::map<std::string, json> Replay(const std::vector<std::string>& events) {
    ReplayActions(kRules, events);
    std::map<std::string, json> actions;
    std::ifstream in(dir_ / "actions.jsonl");
    for (std::string line; std::getline(in, line);) {
      json action = json::parse(line);
      actions[action["rule_id"].get<std::string>() + " " +
              action["customer_id"].get<std::string>()] = action;
    }
    return actions;
  }
};

// c1 bought twice, answered NPS 4, has an open ticket, then complains: its alert carries every
// field (recent events: the newest 5); c2 complains with no history: no clv and no last_nps,
// and its profile tier overrides the value tier. The email apology has no snapshot.
TEST_F(EngineCustomerSnapshotTest, AlertsCarryTheCustomerSnapshot) {
  const auto actions = Replay({
      Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount": 400.0})"),
      Event("e2", "c1", "purchase", "2026-01-20T10:00:00Z", R"({"amount": 250.5})"),
      Event("e3", "c1", "nps_response", "2026-02-01T09:00:00Z", R"({"score": 4})"),
      Event("e4", "c1", "ticket_opened", "2026-02-02T09:00:00Z", R"({"ticket_id": "t1"})"),
      Event("e5", "c1", "page_view", "2026-02-03T09:00:00Z"),
      Event("e6", "c1", "page_view", "2026-02-03T10:00:00Z"),
      Event("e7", "c1", "complaint", "2026-02-04T11:00:00Z"),
      Event("e8", "c2", "upgrade", "2026-02-05T08:00:00Z"),
      Event("e9", "c2", "complaint", "2026-02-05T09:00:00Z"),
  });
  ASSERT_EQ(actions.size(), 4u);

  v1::CustomerState c1;
  ASSERT_TRUE(store_->GetCustomer("c1", &c1).ok());
  const ClvFields clv(config_.clv);
  const int64_t at = *ParseRfc3339Ms("2026-02-04T11:00:00Z");
  const double value = clv.Value(rules::ModelField::kPredictedClv, c1, at);
  const double p_alive = clv.Value(rules::ModelField::kProbabilityAlive, c1, at);
  ASSERT_GT(value, 0);
  ASSERT_GT(p_alive, 0);
  const json expected_c1 = {
      {"lifecycle_stage", c1.lifecycle().stage()},
      {"value_tier", "gold"},
      {"loyalty_tier", "silver"},
      {"clv", {{"value", value}, {"p_alive", p_alive}}},
      {"last_nps", {{"score", 4}, {"category", "detractor"}, {"ts", "2026-02-01T09:00:00Z"}}},
      {"open_tickets", 1},
      {"purchase_count", 2},
      {"total_spend", 650.5},
      {"recent_events",
       {{{"type", "complaint"}, {"ts", "2026-02-04T11:00:00Z"}},
        {{"type", "page_view"}, {"ts", "2026-02-03T10:00:00Z"}},
        {{"type", "page_view"}, {"ts", "2026-02-03T09:00:00Z"}},
        {{"type", "ticket_opened"}, {"ts", "2026-02-02T09:00:00Z"}},
        {{"type", "nps_response"}, {"ts", "2026-02-01T09:00:00Z"}}}},
  };
  EXPECT_EQ(c1.lifecycle().stage(), "active");
  EXPECT_EQ(actions.at("complaint-alert c1")["snapshot"], expected_c1);

  const json expected_c2 = {
      {"lifecycle_stage", "prospect"},
      {"value_tier", "platinum"},
      {"loyalty_tier", "member"},
      {"open_tickets", 0},
      {"purchase_count", 0},
      {"total_spend", 0.0},
      {"recent_events",
       {{{"type", "complaint"}, {"ts", "2026-02-05T09:00:00Z"}},
        {{"type", "upgrade"}, {"ts", "2026-02-05T08:00:00Z"}}}},
  };
  EXPECT_EQ(actions.at("complaint-alert c2")["snapshot"], expected_c2);

  EXPECT_FALSE(actions.at("complaint-sorry c1").contains("snapshot"));
  EXPECT_FALSE(actions.at("complaint-sorry c2").contains("snapshot"));
}

// Without output.alerts_topic an alert goes to its channel's topic like any action, and
// carries no snapshot.
TEST_F(EngineCustomerSnapshotTest, NoSnapshotWithoutAlertsTopic) {
  config_.output.alerts_topic.clear();
  const auto actions = Replay({Event("e1", "c1", "complaint", "2026-02-04T11:00:00Z")});
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_FALSE(actions.at("complaint-alert c1").contains("snapshot"));
}

}  // namespace
}  // namespace touchstream::engine
