// Every trigger kind and action, end to end through Replay: real event sequences in, the exact
// actions (rule, time, trigger) out. Timers fire by event time.
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

class EngineTriggerTest : public ReplayFixture {
 protected:
  // Replays `events` (JSON lines) through `rules_yaml`; returns the actions described.
  std::vector<std::string> Replay(const std::string& rules_yaml,
                                  const std::vector<std::string>& events,
                                  const std::string& until = "") {
    return DescribeAll(ReplayActions(rules_yaml, events, until), Describe);
  }

  // The decisions of the last Replay, described.
  std::vector<std::string> Decisions() { return DescribeAll(LastDecisions(), DescribeDecision); }
};

TEST_F(EngineTriggerTest, EventTriggerOnAListOfTypes) {
  const auto actions = Replay(R"Y(
- id: touch
  trigger: {event: [login, page_view]}
  actions: [{emit: {kind: nudge, channel: push, template: "{{ event.type }}"}}]
)Y",
                              {Event("e1", "c1", "login", "2026-01-01T10:00:00Z"),
                               Event("e2", "c1", "purchase", "2026-01-01T11:00:00Z"),
                               Event("e3", "c1", "page_view", "2026-01-01T12:00:00Z")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "touch@2026-01-01T10:00:00Z event:login,page_view: login",
                         "touch@2026-01-01T12:00:00Z event:login,page_view: page_view"}));
}

TEST_F(EngineTriggerTest, SequenceWithinAWindowCorrelatedOnAProperty) {
  const auto actions = Replay(
      R"Y(
- id: browse-cart-buy
  trigger: {sequence: [page_view, cart_add, purchase], within: 1h, correlate_on: sku}
  actions: [{emit: {kind: offer, channel: email, template: "{{ event.properties.sku }}"}}]
)Y",
      {Event("e1", "c1", "page_view", "2026-01-01T10:00:00Z", R"({"sku":"A"})"),
       Event("e2", "c1", "cart_add", "2026-01-01T10:10:00Z", R"({"sku":"B"})"),
       Event("e3", "c1", "cart_add", "2026-01-01T10:20:00Z", R"({"sku":"A"})"),
       Event("e4", "c1", "purchase", "2026-01-01T10:30:00Z", R"({"sku":"B"})"),
       Event("e5", "c1", "purchase", "2026-01-01T10:40:00Z", R"({"sku":"A"})"),
       // Too slow: 61 minutes from first to last step.
       Event("e6", "c2", "page_view", "2026-01-01T10:00:00Z", R"({"sku":"C"})"),
       Event("e7", "c2", "cart_add", "2026-01-01T10:30:00Z", R"({"sku":"C"})"),
       Event("e8", "c2", "purchase", "2026-01-01T11:01:00Z", R"({"sku":"C"})")});
  EXPECT_EQ(actions,
            (std::vector<std::string>{
                "browse-cart-buy@2026-01-01T10:40:00Z sequence:page_view>cart_add>purchase: A"}));
}

TEST_F(EngineTriggerTest, AbsenceFiresWhenTheWindowClosesUnlessCancelled) {
  const auto actions = Replay(
      R"Y(
- id: abandoned-cart
  trigger:
    event: cart_add
    not_followed_by: {event: purchase, within: 2h}
  condition: event.properties.amount >= 20
  actions:
    - emit: {kind: nudge, channel: [push, email], template: "Still thinking about {{ event.properties.sku }}?"}
)Y",
      {Event("e1", "c1", "cart_add", "2026-01-01T10:00:00Z", R"({"sku":"A1","amount":50})"),
       Event("e2", "c2", "cart_add", "2026-01-01T10:00:00Z", R"({"sku":"B1","amount":50})"),
       Event("e3", "c2", "purchase", "2026-01-01T12:00:00Z", R"({"amount":50})"),  // at deadline
       Event("e4", "c3", "cart_add", "2026-01-01T10:30:00Z", R"({"sku":"C1","amount":5})"),
       Event("e5", "c9", "login", "2026-01-01T13:00:00Z")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "abandoned-cart@2026-01-01T12:00:00Z absence:cart_add!purchase@timer: "
                         "Still thinking about A1?"}));
  // Fired and cancelled timers are gone from the customers' states.
  EXPECT_TRUE(State("c1").timers().empty());
  EXPECT_TRUE(State("c2").timers().empty());
}

TEST_F(EngineTriggerTest, AbsenceRestartsOnANewStartEvent) {
  const auto actions = Replay(R"Y(
- id: abandoned-cart
  trigger: {event: cart_add, not_followed_by: {event: purchase, within: 2h}}
  actions: [{emit: {kind: nudge, channel: push, template: "{{ event.id }}"}}]
)Y",
                              {Event("e1", "c1", "cart_add", "2026-01-01T10:00:00Z"),
                               Event("e2", "c1", "cart_add", "2026-01-01T11:00:00Z")},
                              "2026-01-02T00:00:00Z");
  EXPECT_EQ(actions,
            (std::vector<std::string>{
                "abandoned-cart@2026-01-01T13:00:00Z absence:cart_add!purchase@timer: e2"}));
}

TEST_F(EngineTriggerTest, InactivityIsReArmedByEveryMatchingEvent) {
  const auto actions = Replay(
      R"Y(
- id: lapsed
  trigger: {inactive_for: 30d, event: purchase}
  actions: [{emit: {kind: nudge, channel: email, template: "last bought {{ event.ts }}"}}]
)Y",
      {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z"),
       Event("e2", "c1", "purchase", "2026-01-11T10:00:00Z"),
       Event("e3", "c1", "login", "2026-01-20T10:00:00Z")},
      "2026-03-01T00:00:00Z");
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "lapsed@2026-02-10T10:00:00Z inactivity:purchase@timer: last bought "
                         "2026-01-11T10:00:00Z"}));
}

TEST_F(EngineTriggerTest, ScheduleFiresAfterEachEvent) {
  const auto actions = Replay(
      R"Y(
- id: csat-follow-up
  trigger: {event: ticket_resolved, after: 3d}
  actions: [{emit: {kind: survey, channel: email, template: "{{ event.properties.ticket }}"}}]
)Y",
      {Event("e1", "c1", "ticket_resolved", "2026-01-01T10:00:00Z", R"({"ticket":"T1"})"),
       Event("e2", "c1", "ticket_resolved", "2026-01-02T10:00:00Z", R"({"ticket":"T2"})")},
      "2026-01-10T00:00:00Z");
  EXPECT_EQ(actions,
            (std::vector<std::string>{
                "csat-follow-up@2026-01-04T10:00:00Z schedule:ticket_resolved@timer: T1",
                "csat-follow-up@2026-01-05T10:00:00Z schedule:ticket_resolved@timer: T2"}));
}

TEST_F(EngineTriggerTest, ThresholdFiresOnTheEdgeOnly) {
  const auto actions = Replay(
      R"Y(
- id: promoter
  trigger: {becomes_true: "has(customer.profile.nps) && customer.profile.nps >= 9"}
  actions: [{emit: {kind: alert, channel: crm, template: "{{ customer.profile.nps }}"}}]
)Y",
      {Event("e1", "c1", "profile_update", "2026-01-01T10:00:00Z", R"({"nps":9})"),
       Event("e2", "c1", "profile_update", "2026-01-02T10:00:00Z", R"({"nps":10})"),
       Event("e3", "c1", "profile_update", "2026-01-03T10:00:00Z", R"({"nps":5})"),
       Event("e4", "c1", "profile_update", "2026-01-04T10:00:00Z", R"({"nps":9})")});
  EXPECT_EQ(actions, (std::vector<std::string>{"promoter@2026-01-01T10:00:00Z threshold: 9",
                                               "promoter@2026-01-04T10:00:00Z threshold: 9"}));
}

TEST_F(EngineTriggerTest, SpendCrossingATier) {
  const auto actions = Replay(
      R"Y(
- id: vip
  trigger: {becomes_true: "customer.aggregates.total_spend >= 1000.0"}
  actions: [{emit: {kind: offer, channel: email, template: "{{ customer.aggregates.total_spend }}"}}]
)Y",
      {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":600})"),
       Event("e2", "c1", "purchase", "2026-01-02T10:00:00Z", R"({"amount":500})"),
       Event("e3", "c1", "purchase", "2026-01-03T10:00:00Z", R"({"amount":100})")});
  EXPECT_EQ(actions, (std::vector<std::string>{"vip@2026-01-02T10:00:00Z threshold: 1100"}));
}

TEST_F(EngineTriggerTest, LifecycleTransitionsByPurchasesAndByTime) {
  Config(R"Y(
lifecycle: {new_for: 10d, at_risk_after: 30d, churned_after: 60d, won_back_for: 5d, loyal_purchases: 3}
)Y");
  const auto actions = Replay(
      R"Y(
- id: stages
  trigger: {stage_changed: {from: any, to: any}}
  actions: [{emit: {kind: note, channel: crm, template: "{{ event.properties.from }}>{{ event.properties.to }}"}}]
- id: retention
  trigger: {stage_changed: {to: at_risk}}
  condition: customer.lifecycle.stage == "at_risk"
  actions: [{emit: {kind: nudge, channel: email, template: "come back"}}]
)Y",
      {Event("e1", "c1", "login", "2026-01-01T00:00:00Z"),
       Event("e2", "c1", "purchase", "2026-01-02T00:00:00Z"),
       Event("e3", "c1", "purchase", "2026-01-20T00:00:00Z"),
       Event("e4", "c1", "purchase", "2026-04-01T00:00:00Z")},
      "2026-04-10T00:00:00Z");
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "stages@2026-01-01T00:00:00Z stage:none>prospect: none>prospect",
                         "stages@2026-01-02T00:00:00Z stage:prospect>new: prospect>new",
                         "stages@2026-01-12T00:00:00Z stage:new>active: new>active",
                         // Same moment: rules run by priority, then id.
                         "retention@2026-02-19T00:00:00Z stage:active>at_risk: come back",
                         "stages@2026-02-19T00:00:00Z stage:active>at_risk: active>at_risk",
                         "stages@2026-03-21T00:00:00Z stage:at_risk>churned: at_risk>churned",
                         "stages@2026-04-01T00:00:00Z stage:churned>won_back: churned>won_back",
                         "stages@2026-04-06T00:00:00Z stage:won_back>loyal: won_back>loyal"}));
  EXPECT_EQ(State("c1").lifecycle().stage(), "loyal");
}

TEST_F(EngineTriggerTest, TierTransition) {
  const auto actions = Replay(
      R"Y(
- id: gold
  trigger: {tier_changed: {to: gold}}
  actions: [{emit: {kind: offer, channel: email, template: "from {{ event.properties.from }}"}}]
)Y",
      {Event("e1", "c1", "profile_update", "2026-01-01T00:00:00Z", R"({"tier":"silver"})"),
       Event("e2", "c1", "profile_update", "2026-01-02T00:00:00Z", R"({"tier":"gold"})"),
       Event("e3", "c1", "profile_update", "2026-01-03T00:00:00Z", R"({"tier":"gold"})")});
  EXPECT_EQ(actions,
            (std::vector<std::string>{"gold@2026-01-02T00:00:00Z tier:silver>gold: from silver"}));
}

TEST_F(EngineTriggerTest, BirthdayAtALocalTimeEveryYear) {
  const auto actions = Replay(
      R"Y(
- id: birthday
  trigger: {date: customer.profile.birthday, at: "09:00"}
  actions: [{emit: {kind: reward, channel: email, template: "Happy birthday"}}]
- id: renewal
  trigger: {date: customer.profile.renewal, offset: -30d, repeat: once, at: "10:30"}
  actions: [{emit: {kind: nudge, channel: email, template: "renew"}}]
)Y",
      {Event("e1", "c1", "profile_update", "2026-03-01T00:00:00Z",
             R"({"birthday":"1990-03-15","time_zone":"Europe/Paris","renewal":"2026-06-30"})")},
      "2027-03-20T00:00:00Z");
  EXPECT_EQ(
      actions,
      (std::vector<std::string>{
          "birthday@2026-03-15T08:00:00Z date:customer.profile.birthday@timer: Happy birthday",
          "renewal@2026-05-31T08:30:00Z date:customer.profile.renewal@timer: renew",
          "birthday@2027-03-15T08:00:00Z date:customer.profile.birthday@timer: Happy birthday"}));
}

TEST_F(EngineTriggerTest, CalendarDates) {
  Config(R"Y(
calendars:
  holidays: [2026-12-25, 2027-01-01]
)Y");
  const auto actions = Replay(
      R"Y(
- id: season
  trigger: {calendar: holidays, at: "10:00"}
  actions: [{emit: {kind: offer, channel: email, template: "season"}}]
)Y",
      {Event("e1", "c1", "login", "2026-12-01T00:00:00Z")}, "2027-02-01T00:00:00Z");
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "season@2026-12-25T10:00:00Z calendar:holidays@timer: season",
                         "season@2027-01-01T10:00:00Z calendar:holidays@timer: season"}));
}

TEST_F(EngineTriggerTest, StateActionsAndRaisedEvents) {
  const auto actions = Replay(
      R"Y(
- id: earn
  trigger: {event: purchase}
  actions:
    - add_points: "round(event.properties.amount)"
    - tag: [buyer, newsletter]
    - untag: newsletter
    - set: {tier: '"gold"', last_sku: event.properties.sku}
    - raise: {event: points_earned, properties: {points: "round(event.properties.amount)"}}
- id: announce
  trigger: {event: points_earned}
  actions: [{emit: {kind: note, channel: push, template: "+{{ event.properties.points }} = {{ customer.loyalty.points }}"}}]
- id: spend
  trigger: {event: redeem_request}
  actions:
    - redeem: event.properties.points
    - emit: {kind: reward, channel: email, template: "redeemed {{ event.properties.points }}"}
- id: demote
  trigger: {event: complaint}
  actions: [{set_stage: at_risk}]
)Y",
      {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":120.4,"sku":"A1"})"),
       Event("e2", "c1", "redeem_request", "2026-01-02T10:00:00Z", R"({"points":500})"),
       Event("e3", "c1", "redeem_request", "2026-01-03T10:00:00Z", R"({"points":100})"),
       Event("e4", "c1", "complaint", "2026-01-04T10:00:00Z")});
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "announce@2026-01-01T10:00:00Z event:points_earned: +120 = 120",
                         "spend@2026-01-03T10:00:00Z event:redeem_request: redeemed 100"}));
  const v1::CustomerState state = State("c1");
  EXPECT_EQ(state.loyalty().points(), 20);
  EXPECT_EQ(state.loyalty().earned_total(), 120);
  EXPECT_EQ(state.loyalty().redeemed_total(), 100);
  EXPECT_EQ(std::vector<std::string>(state.tags().begin(), state.tags().end()),
            std::vector<std::string>{"buyer"});
  EXPECT_EQ(state.profile().at("tier").string_value(), "gold");
  EXPECT_EQ(state.profile().at("last_sku").string_value(), "A1");
  EXPECT_EQ(state.lifecycle().stage(), "at_risk");
  const auto decisions = Decisions();
  EXPECT_NE(std::find(decisions.begin(), decisions.end(),
                      "spend SUPPRESSED insufficient_points: balance 120 is below 500"),
            decisions.end());
}

TEST_F(EngineTriggerTest, RaiseChainsAreBounded) {
  Config("processing: {max_raise_depth: 2}\n");
  const auto actions = Replay(
      R"Y(
- id: ping
  trigger: {event: [start, pong]}
  actions: [{emit: {kind: note, channel: push, template: "ping"}}, {raise: ping}]
- id: pong
  trigger: {event: ping}
  actions: [{raise: pong}]
)Y",
      {Event("e1", "c1", "start", "2026-01-01T10:00:00Z")});
  // start -> ping(depth 1) -> pong(depth 2) -> ping refused (depth 3). The refused run is
  // SUPPRESSED, so the delivery policy sends none of its actions.
  EXPECT_EQ(actions,
            (std::vector<std::string>{"ping@2026-01-01T10:00:00Z event:start,pong: ping"}));
  const auto decisions = Decisions();
  EXPECT_EQ(
      decisions.back(),
      "ping SUPPRESSED raise_depth: raising 'ping' would exceed processing.max_raise_depth (2)");
}

// A timer due while the engine was down fires on recovery, once.
TEST_F(EngineTriggerTest, LateTimerFiresOnceOnRecovery) {
  const std::string rules = R"Y(
- id: abandoned-cart
  trigger: {event: cart_add, not_followed_by: {event: purchase, within: 2h}}
  actions: [{emit: {kind: nudge, channel: push, template: "{{ event.id }}"}}]
)Y";
  const auto before = Replay(rules, {Event("e1", "c1", "cart_add", "2026-01-01T10:00:00Z")});
  EXPECT_TRUE(before.empty());
  EXPECT_EQ(State("c1").timers().size(), 1u);
  // The engine comes back a day later.
  EXPECT_EQ(Replay(rules, {Event("e2", "c2", "login", "2026-01-02T10:00:00Z")}),
            (std::vector<std::string>{
                "abandoned-cart@2026-01-01T12:00:00Z absence:cart_add!purchase@timer: e1"}));
  const auto again = Replay(rules, {Event("e3", "c2", "login", "2026-01-03T10:00:00Z")});
  EXPECT_TRUE(again.empty());
}

// A removed rule's pending timers are dropped, not fired.
TEST_F(EngineTriggerTest, TimerOfARemovedRuleIsDropped) {
  const auto first = Replay(R"Y(
- id: lapsed
  trigger: {inactive_for: 1d}
  actions: [{emit: {kind: nudge, channel: push}}]
)Y",
                            {Event("e1", "c1", "login", "2026-01-01T10:00:00Z")});
  EXPECT_TRUE(first.empty());
  const auto second = Replay(R"Y(
- id: other
  trigger: {event: purchase}
  actions: [{emit: {kind: nudge, channel: push}}]
)Y",
                             {Event("e2", "c2", "login", "2026-01-05T10:00:00Z")});
  EXPECT_TRUE(second.empty());
  EXPECT_TRUE(State("c1").timers().empty());
}

// Customer value reaches the rules: a first-time buyer (x = 0) is alive with probability 1
// under BG/NBD, whatever the parameters.
TEST_F(EngineTriggerTest, ClvFieldsAreReadable) {
  Config(R"Y(
clv:
  bg_nbd: {r: 0.243, alpha: 4.414, a: 0.793, b: 2.426}
  gamma_gamma: {p: 6.25, q: 3.74, gamma: 15.44}
)Y");
  const auto actions =
      Replay(R"Y(
- id: valuable
  trigger: {event: purchase}
  condition: customer.clv.p_alive > 0.5 && customer.clv.value > 0.0
  actions: [{emit: {kind: offer, channel: email, template: "{{ round(customer.clv.p_alive * 100.0) }}"}}]
)Y",
             {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":40})")});
  EXPECT_EQ(actions,
            (std::vector<std::string>{"valuable@2026-01-01T10:00:00Z event:purchase: 100"}));
}

}  // namespace
}  // namespace touchstream::engine
