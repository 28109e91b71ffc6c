// Channels end to end through Replay: freshness (max_delay, expires_at, reason "stale") and the
// feedback loop (an action, the channel's feedback events, and the next choice of channel).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "base/time_format.h"
#include "connectors/codec.h"
#include "engine/core/event_checks.h"
#include "engine/core/processor.h"
#include "rules/loader.h"
#include "state/customer_cache.h"
#include "state/in_memory_store.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

using Strings = std::vector<std::string>;

// One action as the tests compare it: "rule@time channel expires=<time>".
std::string Describe(const v1::Action& a) {
  return a.rule_id() + "@" + FormatRfc3339Ms(a.ts_ms()) + " " + a.channel() +
         " expires=" + FormatRfc3339Ms(a.expires_at_ms());
}

class ChannelsTest : public ReplayFixture {
 protected:
  Strings Replay(const std::string& rules_yaml, const Strings& events,
                 const std::string& until = "") {
    actions_ = ReplayActions(rules_yaml, events, until);
    return DescribeAll(actions_, Describe);
  }
  Strings Decisions() { return DescribeAll(LastDecisions(), DescribeDecision); }

  std::vector<v1::Action> actions_;
};

// The value of counter `family_name` with exactly `labels` (0 when absent).
double CounterValue(const EngineMetrics& metrics, const std::string& family_name,
                    const std::map<std::string, std::string>& labels) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != family_name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have == labels) return metric.counter.value;
    }
  }
  return 0;
}

// A feedback event about `action` (its id and channel), with extra JSON properties.
std::string Feedback(const std::string& id, const std::string& type, const std::string& ts,
                     const v1::Action& action, const std::string& extra = "") {
  return Event(id, action.customer_id(), type, ts,
               R"({"action_id":")" + action.action_id() + R"(","channel":")" + action.channel() +
                   "\"" + (extra.empty() ? "" : "," + extra) + "}");
}

constexpr char kNudge[] = R"Y(
- id: nudge
  trigger: {event: browse}
  actions:
    - emit:
        kind: nudge
        channel: best_of [email, push]
  conversion: {event: action_clicked, within: 7d}
)Y";

// Every action carries expires_at = trigger time + max_delay (the rule's, else the trigger
// kind's default); an event older than that when it is processed (out of order, here) is
// SUPPRESSED with reason "stale", counted by reason in the decisions metric.
TEST_F(ChannelsTest, StaleEventTriggerIsSuppressed) {
  const auto actions = Replay(R"Y(
- id: quick
  trigger: {event: cart_add}
  max_delay: 2h
  actions: [{emit: {kind: nudge, channel: email}}]
- id: default
  trigger: {event: cart_add}
  actions: [{emit: {kind: nudge, channel: push}}]
)Y",
                              {Event("e1", "c-1", "cart_add", "2026-03-01T10:00:00Z"),
                               Event("e2", "c-2", "login", "2026-03-01T20:00:00Z"),
                               // 11 h late: stale for quick (2h), fresh for default (1d).
                               Event("e3", "c-1", "cart_add", "2026-03-01T09:00:00Z"),
                               Event("e4", "c-3", "login", "2026-03-03T12:00:00Z"),
                               // 2 days late: stale for both.
                               Event("e5", "c-1", "cart_add", "2026-03-01T11:00:00Z")});
  // Rules of one moment run by priority, then id: default before quick.
  EXPECT_EQ(actions, (Strings{
                         "default@2026-03-01T10:00:00Z push expires=2026-03-02T10:00:00Z",
                         "quick@2026-03-01T10:00:00Z email expires=2026-03-01T12:00:00Z",
                         "default@2026-03-01T20:00:00Z push expires=2026-03-02T09:00:00Z",
                     }));
  EXPECT_EQ(Decisions(), (Strings{"default FIRED fired", "quick FIRED fired", "default FIRED fired",
                                  "quick SUPPRESSED stale", "default SUPPRESSED stale",
                                  "quick SUPPRESSED stale"}));
  EXPECT_EQ(CounterValue(metrics_, "touchstream_decisions_total",
                         {{"rule", "quick"}, {"outcome", "suppressed"}, {"reason", "stale"}}),
            2);
}

// Without the delivery policy, a stale action is not sent either.
TEST_F(ChannelsTest, StaleWithoutPolicy) {
  config_.policy.enabled = false;
  const auto actions = Replay(R"Y(
- id: quick
  trigger: {event: cart_add}
  max_delay: 1h
  actions: [{emit: {kind: nudge, channel: email}}, {tag: [nudged]}]
)Y",
                              {Event("e1", "c-1", "login", "2026-03-01T10:00:00Z"),
                               Event("e2", "c-1", "cart_add", "2026-03-01T08:00:00Z")});
  EXPECT_EQ(actions, Strings{});
  EXPECT_EQ(Decisions(), Strings{"quick SUPPRESSED stale"});
  // The rule's other actions still ran: state is the same whenever the event is processed.
  EXPECT_EQ(State("c-1").tags_size(), 1);
}

// A send deferred by quiet hours past its max_delay is suppressed when the window opens.
TEST_F(ChannelsTest, DeferredSendPastMaxDelayIsStale) {
  const auto actions = Replay(R"Y(
- id: late-night
  trigger: {event: cart_add}
  condition: customer.id == "c-1"
  max_delay: 4h
  quiet_hours: {from: "21:00", to: "08:00", mode: defer}
  actions: [{emit: {kind: nudge, channel: email}}]
- id: patient
  trigger: {event: cart_add}
  condition: customer.id == "c-2"
  max_delay: 12h
  quiet_hours: {from: "21:00", to: "08:00", mode: defer}
  actions: [{emit: {kind: nudge, channel: push}}]
)Y",
                              {Event("e1", "c-1", "cart_add", "2026-03-01T22:00:00Z"),
                               Event("e2", "c-2", "cart_add", "2026-03-01T22:00:00Z")},
                              "2026-03-02T09:00:00Z");
  EXPECT_EQ(actions, Strings{"patient@2026-03-02T08:00:00Z push "
                             "expires=2026-03-02T10:00:00Z"});
  EXPECT_EQ(Decisions(), (Strings{"late-night SUPPRESSED deferred", "patient SUPPRESSED deferred",
                                  "late-night SUPPRESSED stale", "patient FIRED fired"}));
}

// max_delay errors name the file, line and column.
TEST_F(ChannelsTest, MaxDelayErrors) {
  for (const auto& [value, message] : std::vector<std::pair<std::string, std::string>>{
           {"soon", "rules.yaml:4:14: error: 'max_delay': "},
           {"0s", "rules.yaml:4:14: error: 'max_delay' must be a positive duration"},
           {"400d", "rules.yaml:4:14: error: 'max_delay' must be at most 366d"}}) {
    auto loaded = rules::LoadRulesFromString(
        "- id: r\n  trigger: {event: a}\n  actions: [{emit: {kind: k, channel: email}}]\n"
        "  max_delay: " +
            value + "\n",
        "rules.yaml", config_.rule_environment);
    ASSERT_FALSE(loaded.errors.empty()) << value;
    EXPECT_EQ(loaded.errors.front().ToString().substr(0, message.size()), message) << value;
  }
}

// best_of in its two forms; its errors and the channel fields' types are checked at load time
// with file:line:col.
TEST_F(ChannelsTest, BestOfAndChannelFieldsAreChecked) {
  auto load = [&](const std::string& body) {
    return rules::LoadRulesFromString("- id: r\n  trigger: {event: a}\n" + body, "rules.yaml",
                                      config_.rule_environment);
  };
  auto ok = load(
      "  condition: customer.channels.email.open_rate_90d > 0.2 && "
      "customer.channels.push.reachable\n"
      "  actions:\n"
      "    - emit:\n"
      "        kind: k\n"
      "        channel: best_of [push, email, sms]\n"
      "    - emit: {kind: k, channel: {best_of: [sms, email]}}\n");
  ASSERT_TRUE(ok.ok()) << ok.errors.front().ToString();
  const auto& rule = ok.rule_set->rules().front();
  const auto& first = std::get<rules::EmitAction>(rule.actions[0]);
  const auto& second = std::get<rules::EmitAction>(rule.actions[1]);
  EXPECT_TRUE(first.best_of);
  EXPECT_EQ(first.channels, (Strings{"push", "email", "sms"}));
  EXPECT_TRUE(second.best_of);
  EXPECT_EQ(second.channels, (Strings{"sms", "email"}));
  EXPECT_EQ(rule.policy.max_delay_ms, 24LL * 3600 * 1000);  // the event trigger's default

  for (const auto& [body, message] : std::vector<std::pair<std::string, std::string>>{
           {"  actions:\n    - emit:\n        kind: k\n        channel: best_of [push]\n",
            "rules.yaml:6:18: error: 'best_of' needs at least two channels to choose from"},
           {"  actions:\n    - emit:\n        kind: k\n        channel: best_of push\n",
            "rules.yaml:6:18: error: 'channel: best_of' needs a list in brackets"},
           {"  actions:\n    - emit:\n        kind: k\n        channel: {best: [a, b]}\n",
            "rules.yaml:6:18: error: 'channel' as a map must be {best_of: [channel, ...]}"},
           {"  condition: customer.channels.email.clicked_90d + \"x\" == \"\"\n"
            "  actions: [{emit: {kind: k, channel: email}}]\n",
            "rules.yaml:3:"}}) {
    auto loaded = load(body);
    ASSERT_FALSE(loaded.errors.empty()) << body;
    EXPECT_EQ(loaded.errors.front().ToString().substr(0, message.size()), message) << body;
  }
}

// The closed loop: what the channels report changes the next choice of channel, its reachability
// and consent, and a click on the action itself converts.
TEST_F(ChannelsTest, FeedbackChangesTheNextChoice) {
  Config(R"Y(
policy:
  addresses: {email: email}
channels:
  soft_bounce_limit: 2
)Y");
  // 1. Both channels untried: best_of keeps the written order.
  auto sent = Replay(kNudge, {Event("p1", "c-1", "profile_update", "2026-03-01T09:00:00Z",
                                    R"({"email":"a@example.com"})"),
                              Event("b1", "c-1", "browse", "2026-03-01T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-01T10:00:00Z email expires=2026-03-02T10:00:00Z"});
  const v1::Action a1 = actions_.at(0);

  // 2. The email was delivered but ignored: email scores (0+1)/(1+2) < push's untried 0.5.
  sent = Replay(kNudge,
                {Feedback("f1", "action_delivered", "2026-03-01T10:01:00Z", a1, R"("status":250)"),
                 Event("b2", "c-1", "browse", "2026-03-02T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-02T10:00:00Z push expires=2026-03-03T10:00:00Z"});
  const v1::Action a2 = actions_.at(0);

  // 3. The push was clicked (a conversion of decision 2) and the email opened late: both score
  //    (1+1)/(1+2); on a tie the written order wins: email.
  sent = Replay(kNudge, {Feedback("f2", "action_clicked", "2026-03-02T10:05:00Z", a2),
                         Feedback("f3", "action_opened", "2026-03-02T11:00:00Z", a1),
                         Event("b3", "c-1", "browse", "2026-03-03T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-03T10:00:00Z email expires=2026-03-04T10:00:00Z"});
  const v1::Action a3 = actions_.at(0);
  EXPECT_EQ(CounterValue(metrics_, "touchstream_rule_conversions_total",
                         {{"rule", "nudge"}, {"arm", "treatment"}}),
            1);

  // 4. Email opened again (email (2+1)/(2+2) > push (1+1)/(1+2)), then its address bounced
  //    hard: email is unreachable, push is used although email scores higher.
  sent = Replay(kNudge,
                {Feedback("f4", "action_opened", "2026-03-03T10:01:00Z", a3),
                 Feedback("f5", "action_bounced", "2026-03-03T10:02:00Z", a3, R"("bounce":"hard")"),
                 Event("b4", "c-1", "browse", "2026-03-04T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-04T10:00:00Z push expires=2026-03-05T10:00:00Z"});
  const v1::Action a4 = actions_.at(0);

  // 5. A new email address makes email reachable again (email 0.75, push (1+1)/(2+2)).
  sent = Replay(kNudge, {Event("p2", "c-1", "profile_update", "2026-03-04T12:00:00Z",
                               R"({"email":"b@example.com"})"),
                         Event("b5", "c-1", "browse", "2026-03-05T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-05T10:00:00Z email expires=2026-03-06T10:00:00Z"});
  const v1::Action a5 = actions_.at(0);

  // 6. Unsubscribed from email: push; then push bounces softly twice (the limit): nothing is
  //    reachable.
  sent = Replay(kNudge,
                {Feedback("f6", "action_unsubscribed", "2026-03-05T11:00:00Z", a5),
                 Event("b6", "c-1", "browse", "2026-03-06T10:00:00Z"),
                 Feedback("f7", "action_bounced", "2026-03-06T10:01:00Z", a4, R"("bounce":"soft")"),
                 Feedback("f8", "action_bounced", "2026-03-06T10:02:00Z", a4, R"("bounce":"soft")"),
                 Event("b7", "c-1", "browse", "2026-03-07T10:00:00Z")});
  EXPECT_EQ(sent, Strings{"nudge@2026-03-06T10:00:00Z push expires=2026-03-07T10:00:00Z"});
  EXPECT_EQ(Decisions(), (Strings{"nudge FIRED fired", "nudge SUPPRESSED no_consent"}));

  // 7. A complaint: do-not-contact.
  Replay(kNudge, {Feedback("f9", "action_complained", "2026-03-07T11:00:00Z", a4),
                  Event("b8", "c-1", "browse", "2026-03-08T10:00:00Z")});
  EXPECT_EQ(Decisions(), Strings{"nudge SUPPRESSED do_not_contact"});

  const v1::CustomerState state = State("c-1");
  const v1::ChannelEngagement& email = state.channels().at("email");
  const v1::ChannelEngagement& push = state.channels().at("push");
  EXPECT_EQ(email.sent(), 3);
  EXPECT_EQ(email.delivered(), 1);
  EXPECT_EQ(email.opened(), 2);
  EXPECT_EQ(email.bounced(), 1);
  EXPECT_FALSE(email.unreachable());
  EXPECT_FALSE(state.consent().at("email").granted());
  EXPECT_EQ(push.sent(), 3);
  EXPECT_EQ(push.clicked(), 1);
  EXPECT_EQ(push.soft_bounces(), 2);
  EXPECT_TRUE(push.unreachable());
  EXPECT_TRUE(state.do_not_contact());
}

// In `run` (processing time) freshness counts from when an event reached Kafka: a month-old
// event produced now is fresh, the same event produced with its own time as the message
// timestamp (a backfill) is stale; a timer firing a day after it was due (the engine was down)
// is stale.
TEST(ChannelsProcessingTimeTest, FreshnessFromRecordTimestampAndTimerDueTime) {
  EngineConfig config;
  config.output.format = "json";
  config.output.default_topic = "actions";
  config.output.decisions_topic = "decisions";
  auto loaded = rules::LoadRulesFromString(R"Y(
- id: nudge
  trigger: {event: cart_add}
  actions: [{emit: {kind: nudge, channel: push}}]
- id: later
  trigger:
    event: cart_add
    not_followed_by: {event: purchase, within: 1h}
  actions: [{emit: {kind: reminder, channel: push}}]
)Y",
                                           "rules.yaml", config.rule_environment);
  ASSERT_TRUE(loaded.ok()) << loaded.errors.front().ToString();
  auto store = state::NewInMemoryStore();
  state::CustomerCache cache(store.get(), 100);
  EngineMetrics metrics;
  EventProcessor processor(config, &cache, &metrics);
  processor.SetRules(loaded.rule_set);
  const int64_t event_ms = *ParseRfc3339Ms("2026-01-01T00:00:00Z");
  const int64_t now_ms = *ParseRfc3339Ms("2026-02-01T00:00:00Z");
  auto decisions = [](const std::vector<v1::OutboxEntry>& out) {
    Strings described;
    for (const v1::OutboxEntry& entry : out) {
      if (entry.topic() != "decisions") continue;
      auto d = connectors::DecodeDecision(entry.value(), connectors::Format::kJson);
      EXPECT_TRUE(d.ok());
      if (d.ok()) described.push_back(d->customer_id() + " " + DescribeDecision(*d));
    }
    return described;
  };
  std::vector<v1::OutboxEntry> out;
  for (const auto& [customer, record_ms] :
       std::vector<std::pair<std::string, int64_t>>{{"c-1", now_ms}, {"c-2", event_ms}}) {
    const std::string value = R"({"event_id":"e-)" + customer + R"(","customer_id":")" + customer +
                              R"(","type":"cart_add","ts":"2026-01-01T00:00:00Z"})";
    connectors::SourceRecord record{"events", 0, record_ms, customer, value, record_ms, {}};
    ASSERT_TRUE(processor.ProcessRecord(record, now_ms, &out).ok());
  }
  EXPECT_EQ(decisions(out), (Strings{"c-1 nudge FIRED fired", "c-2 nudge SUPPRESSED stale"}));
  for (const v1::OutboxEntry& entry : out) {
    if (entry.topic() != "actions") continue;
    auto action = connectors::DecodeAction(entry.value(), connectors::Format::kJson);
    ASSERT_TRUE(action.ok());
    EXPECT_EQ(action->expires_at_ms(), now_ms + 24LL * 3600 * 1000);
  }

  // c-1's absence timer, due an hour after the cart_add, fires a month late.
  auto state = cache.GetForUpdate("c-1");
  ASSERT_TRUE(state.ok());
  v1::Timer timer;
  timer.set_customer_id("c-1");
  for (const auto& [name, fire_ms] : (*state)->timers()) {
    if (name.find("later") == std::string::npos) continue;
    timer.set_name(name);
    timer.set_fire_ms(fire_ms);
  }
  EXPECT_EQ(timer.fire_ms(), event_ms + 3600 * 1000);
  v1::TimerPayload payload;
  payload.set_kind(v1::TimerPayload::RULE);
  payload.set_rule_id("later");
  payload.mutable_event()->set_event_id("e-c-1");
  payload.mutable_event()->set_customer_id("c-1");
  payload.mutable_event()->set_type("cart_add");
  payload.mutable_event()->set_ts_ms(event_ms);
  timer.set_payload(payload.SerializeAsString());
  out.clear();
  ASSERT_TRUE(processor.FireTimer(timer, now_ms, &out).ok());
  EXPECT_EQ(decisions(out), Strings{"c-1 later SUPPRESSED stale"});
}

// A feedback event without its action id is dead-lettered with the reason named.
TEST_F(ChannelsTest, BadFeedbackIsReported) {
  auto loaded = rules::LoadRulesFromString(kNudge, "rules.yaml", config_.rule_environment);
  ASSERT_TRUE(loaded.ok());
  v1::TouchpointEvent e;
  e.set_customer_id("c-1");
  e.set_event_id("f1");
  e.set_type("action_opened");
  e.set_ts_ms(1767225600000);
  e.set_channel("email");
  const auto problem = CheckEvent(e, config_.processing);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->reason, "bad_feedback");
  EXPECT_EQ(problem->message, "feedback event needs property 'action_id' (non-empty string)");
}

}  // namespace
}  // namespace touchstream::engine
