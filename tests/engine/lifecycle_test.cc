// Configurable lifecycle stages (lifecycle.stages): stages from P(alive) and aggregates,
// time-driven re-evaluation, set_stage overrides, the transition history and config errors,
// end to end through Replay with exact stages and actions.
#include "state/lifecycle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/time_format.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

// One action as the tests compare it: "rule@time trigger: message".
std::string Describe(const v1::Action& a) {
  return a.rule_id() + "@" + FormatRfc3339Ms(a.ts_ms()) + " " + a.trigger() +
         (a.message().empty() ? "" : ": " + a.message());
}

// Emits "from>to" on every stage change.
constexpr char kStageRule[] = R"Y(
- id: stages
  trigger: {stage_changed: {from: any, to: any}}
  actions: [{emit: {kind: note, channel: crm, template: "{{ event.properties.from }}>{{ event.properties.to }}"}}]
)Y";

class EngineLifecycleTest : public ReplayFixture {
 protected:
  // Replays `events` (JSON lines) through `rules_yaml` until `until`; returns the actions.
  std::vector<std::string> Replay(const std::string& rules_yaml,
                                  const std::vector<std::string>& events,
                                  const std::string& until) {
    return DescribeAll(ReplayActions(rules_yaml, events, until), Describe);
  }

  // The customer's transition history as "from>to@time".
  std::vector<std::string> Transitions(const std::string& id) {
    std::vector<std::string> out;
    const v1::CustomerState state = State(id);
    for (const v1::StageTransition& t : state.lifecycle().transitions()) {
      out.push_back(t.from() + ">" + t.to() + "@" + FormatRfc3339Ms(t.at_ms()));
    }
    return out;
  }
};

// An aggregate-driven at_risk entered by time (the daily re-evaluation sees the 30-day spend
// run out) and left by the next purchase; stage names are free.
TEST_F(EngineLifecycleTest, AggregateDrivenAtRiskReturnsToActive) {
  Config(R"Y(
aggregates: {spend_30d: sum(purchase.amount) over 30d}
lifecycle:
  stages:
    - {name: lead, when: "customer.aggregates.purchase_count == 0"}
    - {name: lapsing, when: "customer.aggregates.spend_30d == 0.0"}
    - {name: buyer}
  reevaluate_every: 1d
)Y");
  const auto actions =
      Replay(std::string(kStageRule) + R"Y(
- id: winback
  trigger: {stage_changed: {from: lapsing, to: buyer}}
  actions: [{emit: {kind: thanks, channel: email, template: "since {{ customer.lifecycle.since }}"}}]
)Y",
             {Event("e1", "c1", "login", "2026-01-01T10:00:00Z"),
              Event("e2", "c1", "purchase", "2026-01-02T10:00:00Z", R"({"amount":20})"),
              Event("e3", "c1", "purchase", "2026-02-20T12:00:00Z", R"({"amount":5})")},
             "2026-02-25T00:00:00Z");
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "stages@2026-01-01T10:00:00Z stage:none>lead: none>lead",
                         "stages@2026-01-02T10:00:00Z stage:lead>buyer: lead>buyer",
                         "stages@2026-02-01T10:00:00Z stage:buyer>lapsing: buyer>lapsing",
                         "stages@2026-02-20T12:00:00Z stage:lapsing>buyer: lapsing>buyer",
                         "winback@2026-02-20T12:00:00Z stage:lapsing>buyer: since "
                         "2026-02-20T12:00:00Z"}));
  const v1::CustomerState state = State("c1");
  EXPECT_EQ(state.lifecycle().stage(), "buyer");
  EXPECT_EQ(state.lifecycle().previous_stage(), "lapsing");
  EXPECT_EQ(Transitions("c1"),
            (std::vector<std::string>{
                ">lead@2026-01-01T10:00:00Z", "lead>buyer@2026-01-02T10:00:00Z",
                "buyer>lapsing@2026-02-01T10:00:00Z", "lapsing>buyer@2026-02-20T12:00:00Z"}));
}

// Stages on P(alive): a buyer on six days in a row who stops goes at_risk, then churned, as the
// weekly re-evaluation sees P(alive) fall; the stage is evaluated at the step's event time.
TEST_F(EngineLifecycleTest, PAliveDrivenStagesByTime) {
  Config(R"Y(
clv:
  bg_nbd: {r: 0.243, alpha: 4.414, a: 0.793, b: 2.426}
  gamma_gamma: {p: 6.25, q: 3.74, gamma: 15.44}
lifecycle:
  stages:
    - {name: prospect, when: "customer.aggregates.purchase_count == 0"}
    - {name: churned, when: "customer.clv.p_alive < 0.2"}
    - {name: at_risk, when: "customer.clv.p_alive < 0.5"}
    - {name: active}
  reevaluate_every: 7d
)Y");
  std::vector<std::string> events;
  for (int day = 1; day <= 6; ++day) {
    events.push_back(Event("p" + std::to_string(day), "c1", "purchase",
                           "2026-01-0" + std::to_string(day) + "T09:00:00Z", R"({"amount":30})"));
  }
  const auto actions = Replay(kStageRule, events, "2026-06-01T00:00:00Z");
  // P(alive) with x = 5, t_x = 5 days: 0.59 on Jan 20, 0.42 on Jan 27, 0.28 on Feb 3 and 0.19
  // on Feb 10 (BG/NBD, computed by hand); the re-evaluations run weekly from the last purchase.
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "stages@2026-01-01T09:00:00Z stage:none>active: none>active",
                         "stages@2026-01-27T09:00:00Z stage:active>at_risk: active>at_risk",
                         "stages@2026-02-10T09:00:00Z stage:at_risk>churned: at_risk>churned"}));
  EXPECT_EQ(State("c1").lifecycle().stage(), "churned");
}

// Without time-driven re-evaluation (reevaluate_every: 0) no lifecycle timer is armed and the
// stage changes only at events.
TEST_F(EngineLifecycleTest, NoReevaluationWithoutEvents) {
  Config(R"Y(
aggregates: {spend_30d: sum(purchase.amount) over 30d}
lifecycle:
  stages:
    - {name: lapsing, when: "customer.aggregates.spend_30d == 0.0"}
    - {name: buyer}
  reevaluate_every: 0
)Y");
  const auto actions =
      Replay(kStageRule,
             {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":20})"),
              Event("e2", "c1", "login", "2026-03-01T10:00:00Z")},
             "2026-04-01T00:00:00Z");
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "stages@2026-01-01T10:00:00Z stage:none>buyer: none>buyer",
                         "stages@2026-03-01T10:00:00Z stage:buyer>lapsing: buyer>lapsing"}));
  EXPECT_TRUE(State("c1").timers().empty());
}

// set_stage names a configured stage and holds until the computed stage changes.
TEST_F(EngineLifecycleTest, SetStageOverridesUntilTheComputedStageChanges) {
  Config(R"Y(
lifecycle:
  stages:
    - {name: lead, when: "customer.aggregates.purchase_count == 0"}
    - {name: vip, when: "false"}
    - {name: buyer}
  reevaluate_every: 0
)Y");
  const auto actions =
      Replay(std::string(kStageRule) + R"Y(
- id: upgrade
  trigger: {event: upgrade}
  actions: [{set_stage: vip}]
)Y",
             {Event("e1", "c1", "login", "2026-01-01T10:00:00Z"),
              Event("e2", "c1", "upgrade", "2026-01-02T10:00:00Z"),
              Event("e3", "c1", "login", "2026-01-03T10:00:00Z"),
              Event("e4", "c1", "purchase", "2026-01-04T10:00:00Z", R"({"amount":20})")},
             "2026-01-05T00:00:00Z");
  EXPECT_EQ(actions,
            (std::vector<std::string>{"stages@2026-01-01T10:00:00Z stage:none>lead: none>lead",
                                      "stages@2026-01-02T10:00:00Z stage:lead>vip: lead>vip",
                                      "stages@2026-01-04T10:00:00Z stage:vip>buyer: vip>buyer"}));
  EXPECT_EQ(State("c1").lifecycle().override_stage(), "");
}

// Stage names of rules are checked against the configured stages.
TEST_F(EngineLifecycleTest, RulesNameConfiguredStagesOnly) {
  Config(R"Y(
lifecycle:
  stages:
    - {name: lead, when: "customer.aggregates.purchase_count == 0"}
    - {name: buyer}
)Y");
  auto trigger = rules::LoadRulesFromString(R"Y(
- id: r
  trigger: {stage_changed: {to: loyal}}
  actions: [{emit: {kind: k, channel: c, template: t}}]
)Y",
                                            "rules.yaml", config_.rule_environment);
  ASSERT_FALSE(trigger.ok());
  EXPECT_NE(trigger.errors.front().ToString().find(
                "unknown lifecycle stage 'loyal' (expected any, lead, buyer)"),
            std::string::npos)
      << trigger.errors.front().ToString();
  auto action = rules::LoadRulesFromString(R"Y(
- id: r
  trigger: {event: upgrade}
  actions: [{set_stage: active}]
)Y",
                                           "rules.yaml", config_.rule_environment);
  ASSERT_FALSE(action.ok());
  EXPECT_NE(action.errors.front().ToString().find(
                "unknown lifecycle stage 'active' (expected one of: lead buyer)"),
            std::string::npos)
      << action.errors.front().ToString();
}

// The transition history keeps the latest kMaxStageTransitions, oldest first.
TEST(EngineStageTransitionsTest, HistoryIsBounded) {
  v1::CustomerState state;
  for (int i = 0; i < state::kMaxStageTransitions + 4; ++i) {
    ASSERT_TRUE(state::ApplyComputedStage(i % 2 == 0 ? "a" : "b", 1000 + i, &state));
  }
  const auto& transitions = state.lifecycle().transitions();
  ASSERT_EQ(transitions.size(), state::kMaxStageTransitions);
  EXPECT_EQ(transitions.begin()->at_ms(), 1004);
  EXPECT_EQ(transitions.rbegin()->at_ms(), 1000 + state::kMaxStageTransitions + 3);
  EXPECT_EQ(transitions.rbegin()->from(), "a");
  EXPECT_EQ(transitions.rbegin()->to(), "b");
}

// Config errors name the file, line and key (and the column inside a condition).
TEST(EngineLifecycleConfigTest, Errors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"lifecycle:\n  stages:\n    - {name: a, when: \"customer.aggregates.purchase_count\"}\n"
       "    - {name: b}\n",
       "e.yaml:3:23: error: lifecycle.stages[0].when: expected a bool condition, but "
       "'customer.aggregates.purchase_count' is int"},
      {"lifecycle:\n  stages:\n    - {name: a, when: \"customer.spend_30 > 1\"}\n    - {name: b}\n",
       "e.yaml:3:33: error: lifecycle.stages[0].when: unknown field 'customer.spend_30'"},
      {"lifecycle:\n  stages:\n    - {name: a}\n    - {name: b}\n",
       "e.yaml:3:7: error: lifecycle.stages[0].when: missing (only the last stage has no "
       "condition)"},
      {"lifecycle:\n  stages:\n    - {name: a, when: \"true\"}\n    - {name: b, when: \"true\"}\n",
       "e.yaml:4:23: error: lifecycle.stages[1].when: the last stage must have no condition"},
      {"lifecycle:\n  stages:\n    - {name: a, when: \"true\"}\n    - {name: a}\n",
       "e.yaml:4:7: error: lifecycle.stages[1].name: 'a' is already a stage"},
      {"lifecycle:\n  stages:\n    - {name: at risk}\n",
       "e.yaml:3:7: error: lifecycle.stages[0].name: expected an identifier"},
      {"lifecycle:\n  stages:\n    - {name: any}\n", "lifecycle.stages[0].name: 'any' is reserved"},
      {"lifecycle:\n  stages: []\n", "e.yaml:2:11: error: lifecycle.stages: expected a list"},
      {"lifecycle:\n  new_for: 10d\n  stages:\n    - {name: a}\n",
       "lifecycle.new_for: applies only without lifecycle.stages"},
      {"lifecycle:\n  reevaluate_every: 1d\n",
       "lifecycle.reevaluate_every: applies only with lifecycle.stages"},
  };
  for (const auto& [yaml, expected] : cases) {
    auto config = LoadConfigFromString(yaml, "e.yaml");
    ASSERT_FALSE(config.ok()) << yaml;
    EXPECT_NE(config.status().message().find(expected), std::string::npos)
        << yaml << "\n"
        << config.status().message();
  }
}

// Stages are read in order with their conditions compiled; aggregates may be declared after.
TEST(EngineLifecycleConfigTest, StagesLoad) {
  auto config = LoadConfigFromString(R"Y(
lifecycle:
  stages:
    - {name: lapsing, when: "customer.aggregates.spend_30d == 0.0"}
    - {name: buyer}
aggregates: {spend_30d: sum(purchase.amount) over 30d}
)Y",
                                     "e.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const LifecycleStagesConfig& stages = config->lifecycle_stages;
  ASSERT_EQ(stages.stages.size(), 2u);
  EXPECT_EQ(stages.stages[0].name, "lapsing");
  EXPECT_NE(stages.stages[0].rule.condition, nullptr);
  EXPECT_EQ(stages.stages[1].rule.condition, nullptr);
  EXPECT_EQ(stages.reevaluate_every_ms, 86400000);
  EXPECT_EQ(config->rule_environment.lifecycle_stages,
            (std::vector<std::string>{"lapsing", "buyer"}));
}

}  // namespace
}  // namespace touchstream::engine
