// The delivery policy end to end through Replay: each step (eligibility, consent and channel
// choice, caps, arbitration, quiet hours, holdout, idempotence) with the exact actions sent and
// the reasons of the decisions.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/time_format.h"
#include "engine/config/config.h"
#include "engine/policy/holdout.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

// One action as the tests compare it: "rule@time channel: message".
std::string Describe(const v1::Action& a) {
  return a.rule_id() + "@" + FormatRfc3339Ms(a.ts_ms()) + " " + a.channel() +
         (a.message().empty() ? "" : ": " + a.message());
}

class EnginePolicyTest : public ReplayFixture {
 protected:
  // Replays `events` (JSON lines) through `rules_yaml`; returns the actions described and
  // keeps them in actions_.
  std::vector<std::string> Replay(const std::string& rules_yaml,
                                  const std::vector<std::string>& events,
                                  const std::string& until = "") {
    actions_ = ReplayActions(rules_yaml, events, until);
    return DescribeAll(actions_, Describe);
  }

  // The decisions of the last Replay, described; keeps them in decisions_.
  std::vector<std::string> Decisions() {
    decisions_ = LastDecisions();
    return DescribeAll(decisions_, DescribeDecision);
  }

  std::vector<v1::Action> actions_;
  std::vector<v1::Decision> decisions_;
};

std::string Consent(const std::string& id, const std::string& customer, const std::string& ts,
                    const std::string& channel, bool granted) {
  return Event(
      id, customer, "consent", ts,
      R"({"channel":")" + channel + R"(","granted":)" + (granted ? "true" : "false") + "}");
}

using Strings = std::vector<std::string>;

// Holdout arms pinned per customer: for customers <prefix>0 .. <prefix>(count-1) of the
// experiment with `salt` holding out `percent`, arms[i] is 'H' (held out) or 'T' (treatment).
// Computed independently of this code by tests/testing/golden_ids.py (python3
// tests/testing/golden_ids.py prints the rows; the TestingGoldenIdsTest ctest checks they are still
// here).
struct PinnedArms {
  const char* salt;
  const char* prefix;
  int count;
  int percent;
  const char* arms;
};
// clang-format off
constexpr PinnedArms kPinnedArms[] = {
    {"s1", "c", 40, 30, "TTTTHTTHTHHTTHHHTHHTHHTTTTTTTTTTTHTTTTTT"},
    {"autumn", "cust-", 20, 50, "THTHTHHTHTHHTTHHHHHT"},
};
// clang-format on

// Cooldown: a run exactly one cooldown after the last is allowed, one millisecond earlier is
// not; once; max N per sliding window.
TEST_F(EnginePolicyTest, EligibilityOnceCooldownAndMaxPerWindowEdges) {
  const auto actions = Replay(R"Y(
- id: cool
  trigger: {event: login}
  eligibility: {cooldown: 1d}
  actions: [{emit: {kind: nudge, channel: push}}]
- id: one
  trigger: {event: login}
  eligibility: {once: true}
  actions: [{emit: {kind: nudge, channel: email}}]
- id: two
  trigger: {event: login}
  eligibility: {max: 2, per: 2d}
  actions: [{emit: {kind: nudge, channel: sms}}]
)Y",
                              {Event("e1", "c1", "login", "2026-01-01T10:00:00Z"),
                               Event("e2", "c1", "login", "2026-01-02T09:59:59.999Z"),
                               Event("e3", "c1", "login", "2026-01-02T10:00:00Z"),
                               Event("e4", "c1", "login", "2026-01-03T10:00:00Z")});
  EXPECT_EQ(actions, (Strings{"cool@2026-01-01T10:00:00Z push", "one@2026-01-01T10:00:00Z email",
                              "two@2026-01-01T10:00:00Z sms", "two@2026-01-02T09:59:59.999Z sms",
                              "cool@2026-01-02T10:00:00Z push", "cool@2026-01-03T10:00:00Z push",
                              "two@2026-01-03T10:00:00Z sms"}));
  EXPECT_EQ(Decisions(),
            (Strings{"cool FIRED fired", "one FIRED fired", "two FIRED fired",              // e1
                     "cool SUPPRESSED cooldown", "one SUPPRESSED once", "two FIRED fired",  // e2
                     "cool FIRED fired", "one SUPPRESSED once",                             // e3
                     "two SUPPRESSED max_per_window",                                       //
                     "cool FIRED fired", "one SUPPRESSED once", "two FIRED fired"}));       // e4
}

// The first channel of the preference list with consent and an address; do-not-contact
// suppresses marketing but not operational alerts; no usable channel -> no_consent.
TEST_F(EnginePolicyTest, ConsentAndChannelChoice) {
  Config(R"Y(
policy:
  unknown_consent: deny
  addresses: {email: email, sms: phone}
)Y");
  const std::string rules = R"Y(
- id: offer
  trigger: {event: cart_add}
  actions: [{emit: {kind: offer, channel: [sms, email, push]}}]
- id: staff
  trigger: {event: cart_add}
  category: operational
  actions: [{emit: {kind: alert, channel: crm}}]
)Y";
  const auto actions = Replay(
      rules, {Event("e1", "c1", "cart_add", "2026-01-01T10:00:00Z"),  // no consent at all
              Consent("k1", "c1", "2026-01-01T11:00:00Z", "sms", true),
              Consent("k2", "c1", "2026-01-01T11:00:01Z", "email", true),
              Event("e2", "c1", "cart_add", "2026-01-01T12:00:00Z"),  // consents, but no addresses
              Event("p1", "c1", "profile_update", "2026-01-01T12:30:00Z", R"({"email":"a@b.c"})"),
              Event("e3", "c1", "cart_add", "2026-01-01T13:00:00Z"),  // email reachable
              Event("p2", "c1", "profile_update", "2026-01-01T13:30:00Z", R"({"phone":"+33600"})"),
              Event("e4", "c1", "cart_add", "2026-01-01T14:00:00Z"),  // sms preferred
              Consent("k3", "c1", "2026-01-01T14:30:00Z", "sms", false),
              Event("e5", "c1", "cart_add", "2026-01-01T15:00:00Z"),  // sms withdrawn -> email
              Event("k4", "c1", "consent", "2026-01-01T15:30:00Z", R"({"do_not_contact":true})"),
              Event("e6", "c1", "cart_add", "2026-01-01T16:00:00Z")});
  EXPECT_EQ(actions, (Strings{"staff@2026-01-01T10:00:00Z crm", "staff@2026-01-01T12:00:00Z crm",
                              "offer@2026-01-01T13:00:00Z email", "staff@2026-01-01T13:00:00Z crm",
                              "offer@2026-01-01T14:00:00Z sms", "staff@2026-01-01T14:00:00Z crm",
                              "offer@2026-01-01T15:00:00Z email", "staff@2026-01-01T15:00:00Z crm",
                              "staff@2026-01-01T16:00:00Z crm"}));
  const Strings decisions = Decisions();
  EXPECT_EQ(decisions[0], "offer SUPPRESSED no_consent");
  EXPECT_EQ(decisions[2], "offer SUPPRESSED no_consent");
  EXPECT_EQ(decisions[10], "offer SUPPRESSED do_not_contact");
  EXPECT_EQ(decisions[11], "staff FIRED fired");
}

// Caps count what was sent across rules, per channel and across channels; suppressed actions
// do not count; categories outside a cap's list are exempt.
TEST_F(EnginePolicyTest, CapsAcrossRulesAndChannels) {
  Config(R"Y(
policy:
  caps:
    - {name: weekly, max: 3, per: 7d, categories: [marketing]}
    - {name: sms_daily, max: 1, per: 1d, channel: sms}
)Y");
  const auto actions = Replay(R"Y(
- id: a_sms
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: sms}}]
- id: b_email
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: email}}]
- id: c_service
  trigger: {event: view}
  category: service
  actions: [{emit: {kind: notice, channel: sms}}]
)Y",
                              {Event("e1", "c1", "view", "2026-01-01T10:00:00Z"),
                               Event("e2", "c1", "view", "2026-01-01T12:00:00Z"),
                               Event("e3", "c1", "view", "2026-01-02T10:00:00Z"),
                               Event("e4", "c1", "view", "2026-01-08T10:00:00Z")});
  EXPECT_EQ(actions,
            (Strings{"a_sms@2026-01-01T10:00:00Z sms", "b_email@2026-01-01T10:00:00Z email",
                     "b_email@2026-01-01T12:00:00Z email", "c_service@2026-01-02T10:00:00Z sms",
                     "a_sms@2026-01-08T10:00:00Z sms", "b_email@2026-01-08T10:00:00Z email"}));
  EXPECT_EQ(
      Decisions(),
      (Strings{// e1: the second sms of the day is over sms_daily.
               "a_sms FIRED fired", "b_email FIRED fired", "c_service SUPPRESSED cap:sms_daily",
               // e2: the third marketing message of the week still fits.
               "a_sms SUPPRESSED cap:sms_daily", "b_email FIRED fired",
               "c_service SUPPRESSED cap:sms_daily",
               // e3: the week is full; service messages are exempt from it, and the
               // day-old sms no longer counts (sliding windows).
               "a_sms SUPPRESSED cap:weekly", "b_email SUPPRESSED cap:weekly",
               "c_service FIRED fired",
               // e4: only the 01-01T12:00 email is within the week.
               "a_sms FIRED fired", "b_email FIRED fired", "c_service SUPPRESSED cap:sms_daily"}));
}

// At most max_actions_per_moment rules send per event: highest priority first, equal
// priorities by rule id, the same on every run.
TEST_F(EnginePolicyTest, ArbitrationByPriorityThenRuleId) {
  Config("policy: {max_actions_per_moment: 1}\n");
  const std::string rules = R"Y(
- id: low
  priority: 1
  trigger: {event: purchase}
  actions: [{emit: {kind: offer, channel: email}}]
- id: tie_b
  priority: 5
  trigger: {event: purchase}
  actions: [{emit: {kind: offer, channel: email}}]
- id: tie_a
  priority: 5
  trigger: {event: purchase}
  actions: [{emit: {kind: offer, channel: push}}]
)Y";
  const Strings expected = {"tie_a@2026-01-01T10:00:00Z push", "tie_a@2026-01-01T11:00:00Z push"};
  EXPECT_EQ(Replay(rules, {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z"),
                           Event("e2", "c2", "purchase", "2026-01-01T11:00:00Z")}),
            expected);
  EXPECT_EQ(Decisions(), (Strings{"tie_a FIRED fired", "tie_b SUPPRESSED arbitration",
                                  "low SUPPRESSED arbitration", "tie_a FIRED fired",
                                  "tie_b SUPPRESSED arbitration", "low SUPPRESSED arbitration"}));
}

// Rules of one exclusion group: one per moment (the higher priority) and none again within
// the exclusion period.
TEST_F(EnginePolicyTest, ExclusionGroupWithinAMomentAndAPeriod) {
  Config("policy: {exclusion_period: 3d}\n");
  const auto actions = Replay(R"Y(
- id: grp_a
  exclusion_group: offers
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: email}}]
- id: grp_c
  priority: 2
  exclusion_group: offers
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: push}}]
- id: grp_b
  exclusion_group: offers
  trigger: {event: cart_add}
  actions: [{emit: {kind: offer, channel: sms}}]
- id: free
  trigger: {event: cart_add}
  actions: [{emit: {kind: nudge, channel: push}}]
)Y",
                              {Event("e1", "c1", "view", "2026-01-01T10:00:00Z"),
                               Event("e2", "c1", "cart_add", "2026-01-02T10:00:00Z"),
                               Event("e3", "c1", "cart_add", "2026-01-04T10:00:00Z")});
  EXPECT_EQ(actions, (Strings{"grp_c@2026-01-01T10:00:00Z push", "free@2026-01-02T10:00:00Z push",
                              "free@2026-01-04T10:00:00Z push", "grp_b@2026-01-04T10:00:00Z sms"}));
  EXPECT_EQ(Decisions(),
            (Strings{"grp_c FIRED fired", "grp_a SUPPRESSED exclusion_group", "free FIRED fired",
                     "grp_b SUPPRESSED exclusion_group", "free FIRED fired", "grp_b FIRED fired"}));
}

// Quiet hours 21:00-08:00 Paris time, across midnight: deferred actions are sent at 08:00
// local, dropped ones never; a consent withdrawn before the deferred send suppresses it.
TEST_F(EnginePolicyTest, QuietHoursAcrossMidnightDeferDropAndConsentWithdrawn) {
  Config(R"Y(
policy:
  default_time_zone: Europe/Paris
  quiet_hours: {from: "21:00", to: "08:00", mode: defer}
)Y");
  const auto actions = Replay(R"Y(
- id: night
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: email}}]
- id: strict
  trigger: {event: view}
  quiet_hours: {from: "21:00", to: "08:00", mode: drop}
  actions: [{emit: {kind: offer, channel: push}}]
- id: staff
  category: operational
  trigger: {event: view}
  actions: [{emit: {kind: alert, channel: crm}}]
)Y",
                              {Event("e1", "c1", "view", "2026-01-10T22:30:00Z"),  // 23:30 Paris
                               Event("e2", "c2", "view", "2026-01-10T23:00:00Z"),
                               Consent("k1", "c2", "2026-01-11T05:00:00Z", "email", false),
                               Event("e3", "c1", "view", "2026-01-11T06:00:00Z"),  // 07:00 Paris
                               Event("e4", "c1", "view", "2026-01-11T12:00:00Z")},
                              "2026-01-12T00:00:00Z");
  EXPECT_EQ(actions,
            (Strings{"staff@2026-01-10T22:30:00Z crm", "staff@2026-01-10T23:00:00Z crm",
                     "staff@2026-01-11T06:00:00Z crm", "night@2026-01-11T07:00:00Z email",
                     "night@2026-01-11T07:00:00Z email", "night@2026-01-11T12:00:00Z email",
                     "staff@2026-01-11T12:00:00Z crm", "strict@2026-01-11T12:00:00Z push"}));
  const Strings decisions = Decisions();
  EXPECT_EQ(decisions, (Strings{"night SUPPRESSED deferred", "staff FIRED fired",
                                "strict SUPPRESSED quiet_hours_drop",  // e1
                                "night SUPPRESSED deferred", "staff FIRED fired",
                                "strict SUPPRESSED quiet_hours_drop",  // e2
                                "night SUPPRESSED deferred", "staff FIRED fired",
                                "strict SUPPRESSED quiet_hours_drop",  // e3
                                // 08:00 Paris: c1's two deferred sends, c2's withdrawn email
                                "night FIRED fired", "night FIRED fired",
                                "night SUPPRESSED no_consent",  //
                                "night FIRED fired", "staff FIRED fired", "strict FIRED fired"}));
  // The deferred send keeps the action id of the deferral.
  EXPECT_EQ(actions_[3].action_id().size(), 32u);
}

// Quiet hours in the customer's own zone across daylight-saving changes: the window opens at
// 08:00 local on both sides of the change, and an opening time the change skips opens at the
// change.
TEST_F(EnginePolicyTest, QuietHoursAcrossDaylightSavingChanges) {
  const auto actions = Replay(R"Y(
- id: morning
  trigger: {event: view}
  quiet_hours: {from: "21:00", to: "08:00"}
  actions: [{emit: {kind: offer, channel: email}}]
- id: skipped
  trigger: {event: visit}
  send_window: {from: "02:30", to: "21:00"}
  actions: [{emit: {kind: offer, channel: push}}]
)Y",
                              {Event("p1", "ny", "profile_update", "2026-03-01T00:00:00Z",
                                     R"({"time_zone":"America/New_York"})"),
                               // 22:00 EST on the eve of the spring change -> 08:00 EDT
                               Event("e1", "ny", "view", "2026-03-08T03:00:00Z"),
                               // 01:00 EST; 02:30 does not exist that night -> 03:00 EDT
                               Event("e2", "ny", "visit", "2026-03-08T06:00:00Z"),
                               // 22:00 EDT on the eve of the autumn change -> 08:00 EST
                               Event("e3", "ny", "view", "2026-11-01T02:00:00Z")},
                              "2026-11-02T00:00:00Z");
  EXPECT_EQ(actions,
            (Strings{"skipped@2026-03-08T07:00:00Z push", "morning@2026-03-08T12:00:00Z email",
                     "morning@2026-11-01T13:00:00Z email"}));
}

// Held-out customers get a HELD_OUT decision (with the experiment arm) and no action; the arm
// is the same on every run and on two engine instances with their own state.
TEST_F(EnginePolicyTest, HoldoutIsRecordedNotSentAndStable) {
  Config("policy: {experiments: {spring: {salt: s1}}}\n");
  const std::string rules = R"Y(
- id: promo
  trigger: {event: view}
  holdout: {percent: 30, experiment: spring}
  actions: [{emit: {kind: offer, channel: email}}]
)Y";
  std::vector<std::string> events;
  for (int i = 0; i < 40; ++i) {
    events.push_back(
        Event("e" + std::to_string(i), "c" + std::to_string(i), "view", "2026-01-01T10:00:00Z"));
  }
  auto arms = [&]() {
    Replay(rules, events);
    Decisions();
    std::map<std::string, std::string> out;
    for (const v1::Decision& d : decisions_) out[d.customer_id()] = d.experiment_arm();
    return out;
  };
  const auto first = arms();
  store_ = state::NewInMemoryStore();  // a second instance with its own state
  const auto second = arms();
  EXPECT_EQ(first, second);
  int held = 0;
  for (const v1::Decision& d : decisions_) {
    ASSERT_EQ(d.experiment_arm() == "holdout", d.outcome() == v1::Decision::HELD_OUT);
    EXPECT_EQ(d.reason(), d.experiment_arm() == "holdout" ? "holdout" : "fired");
    // kPinnedArms[0]: salt s1, 30%, customers c0..c39.
    const int customer = std::stoi(d.customer_id().substr(1));
    EXPECT_EQ(d.experiment_arm() == "holdout", kPinnedArms[0].arms[customer] == 'H');
    held += d.outcome() == v1::Decision::HELD_OUT;
  }
  EXPECT_GT(held, 0);
  EXPECT_EQ(actions_.size(), 40u - held);
  for (const v1::Action& a : actions_) EXPECT_EQ(a.experiment_arm(), "treatment");
}

// InHoldout gives every pinned customer its pinned arm.
TEST(EngineHoldoutArmsTest, MatchThePinnedArms) {
  for (const PinnedArms& pinned : kPinnedArms) {
    std::string arms;
    for (int i = 0; i < pinned.count; ++i) {
      arms += InHoldout(pinned.salt, pinned.prefix + std::to_string(i), pinned.percent) ? 'H' : 'T';
    }
    EXPECT_EQ(arms, pinned.arms) << pinned.salt;
  }
}

// Over 100,000 customers the held-out share is within 0.5 points of the configured percent.
TEST(EngineHoldoutShareTest, WithinHalfAPointOver100000Customers) {
  for (double percent : {1.0, 10.0, 33.3, 50.0}) {
    int held = 0;
    for (int i = 0; i < 100000; ++i) held += InHoldout("exp", "cust-" + std::to_string(i), percent);
    EXPECT_NEAR(held / 1000.0, percent, 0.5) << percent;
  }
}

// A re-delivered event, or a replay on another instance, yields the same action ids.
TEST_F(EnginePolicyTest, ActionIdsAreDeterministic) {
  const std::string rules = R"Y(
- id: welcome
  trigger: {event: signup}
  actions: [{emit: {kind: offer, channel: email}}]
)Y";
  const std::vector<std::string> events = {Event("e1", "c1", "signup", "2026-01-01T10:00:00Z")};
  Replay(rules, events);
  const std::string id = actions_.at(0).action_id();
  store_ = state::NewInMemoryStore();
  Replay(rules, events);
  EXPECT_EQ(actions_.at(0).action_id(), id);
  Replay(rules, events);  // re-delivered to the same instance
  EXPECT_EQ(actions_.at(0).action_id(), id);
}

// Randomized: whatever the stream of consent changes, cart adds and quiet hours, no action is
// ever sent to a channel without granted consent at its send time, nor during do-not-contact.
TEST_F(EnginePolicyTest, NoActionWithoutConsentOverARandomStream) {
  Config(R"Y(
policy:
  unknown_consent: deny
  quiet_hours: {from: "22:00", to: "07:00"}
  caps: [{name: daily, max: 4, per: 1d}]
)Y");
  const std::string rules = R"Y(
- id: offer
  trigger: {event: cart_add}
  actions: [{emit: {kind: offer, channel: [sms, email, push]}}]
- id: nudge
  trigger: {event: view}
  actions: [{emit: {kind: nudge, channel: [push, email]}}]
)Y";
  std::mt19937 rng(42);
  const Strings channels = {"sms", "email", "push"};
  std::vector<std::string> events;
  // (customer, channel) -> [(time, granted)], and customer -> [(time, do_not_contact)].
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<int64_t, bool>>> consent;
  std::map<std::string, std::vector<std::pair<int64_t, bool>>> dnc;
  int64_t t = *ParseRfc3339Ms("2026-01-01T00:00:00Z");
  for (int i = 0; i < 3000; ++i) {
    t += 1000 * (1 + rng() % 600);
    const std::string c = "c" + std::to_string(rng() % 30);
    const std::string id = "e" + std::to_string(i);
    const std::string ts = FormatRfc3339Ms(t);
    const unsigned kind = rng() % 10;
    if (kind < 3) {
      const std::string& ch = channels[rng() % 3];
      const bool granted = rng() % 3 != 0;
      consent[{c, ch}].emplace_back(t, granted);
      events.push_back(Consent(id, c, ts, ch, granted));
    } else if (kind == 3) {
      const bool on = rng() % 4 == 0;
      dnc[c].emplace_back(t, on);
      events.push_back(Event(id, c, "consent", ts,
                             std::string(R"({"do_not_contact":)") + (on ? "true" : "false") + "}"));
    } else {
      events.push_back(Event(id, c, kind < 7 ? "cart_add" : "view", ts));
    }
  }
  auto as_of = [](const std::vector<std::pair<int64_t, bool>>& changes, int64_t at) {
    bool value = false;
    for (const auto& [when, v] : changes) {
      if (when <= at) value = v;
    }
    return value;
  };
  Replay(rules, events, FormatRfc3339Ms(t + 86400000));
  ASSERT_GT(actions_.size(), 50u);
  for (const v1::Action& a : actions_) {
    const std::string& c = a.customer_id();
    EXPECT_TRUE(as_of(consent[{c, a.channel()}], a.ts_ms()))
        << a.rule_id() << " to " << c << " on " << a.channel() << " at "
        << FormatRfc3339Ms(a.ts_ms());
    EXPECT_FALSE(as_of(dnc[c], a.ts_ms())) << c << " at " << FormatRfc3339Ms(a.ts_ms());
  }
}

// A deferred message whose rule was disabled before the window opened is not sent.
TEST_F(EnginePolicyTest, DeferredSendOfADisabledRuleIsInactive) {
  Config("policy: {quiet_hours: {from: \"21:00\", to: \"08:00\"}}\n");
  const std::string rule = R"Y(
- id: night
  version: "1"
  enabled: ENABLED
  trigger: {event: view}
  actions: [{emit: {kind: offer, channel: email}}]
)Y";
  auto with = [&](const char* enabled) {
    std::string text = rule;
    text.replace(text.find("ENABLED"), 7, enabled);
    return text;
  };
  EXPECT_EQ(Replay(with("true"), {Event("e1", "c1", "view", "2026-01-10T22:00:00Z")}), Strings{});
  EXPECT_EQ(Decisions(), Strings{"night SUPPRESSED deferred"});
  EXPECT_EQ(Replay(with("false"), {Event("e2", "c2", "login", "2026-01-11T07:00:00Z")},
                   "2026-01-11T09:00:00Z"),
            Strings{});
  EXPECT_EQ(Decisions(), Strings{"night SUPPRESSED inactive"});
}

// Rule-level policy keys are checked where they are written.
TEST(EnginePolicyParseTest, MistakesAreReportedAtTheirLine) {
  const auto loaded = rules::LoadRulesFromString(R"Y(
- id: a
  trigger: {event: view}
  eligibility: {max: 2}
  quiet_hours: {from: "25:00", to: "08:00", mode: later}
  holdout: {percent: 120}
  actions: [{emit: {kind: offer, channel: email}}]
)Y",
                                                 "rules.yaml", {});
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.ToString() + "\n";
  EXPECT_NE(errors.find("rules.yaml:4:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("'max' and 'per' go together"), std::string::npos) << errors;
  EXPECT_NE(errors.find("'from' must be a local time HH:MM, not '25:00'"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("'mode' must be defer or drop"), std::string::npos) << errors;
  EXPECT_NE(errors.find("'percent' must be a number from 0 to 100"), std::string::npos) << errors;
}

// The policy: config section: what it reads into, and its errors name the key.
TEST(EnginePolicyConfigTest, ReadsTheSectionAndNamesBadKeys) {
  auto config = LoadConfigFromString(R"Y(
policy:
  default_time_zone: Europe/Paris
  send_window: {from: "09:00", to: "20:00", mode: drop}
  caps: [{name: weekly, max: 3, per: 7d, categories: [marketing]}]
  max_actions_per_moment: 2
  exclusion_period: 3d
  unknown_consent: deny
  experiments: {spring: {salt: s1}}
)Y",
                                     "/tmp/touchstream.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const PolicyConfig& p = config->policy;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.quiet_hours.from_minute, 20 * 60);
  EXPECT_EQ(p.quiet_hours.to_minute, 9 * 60);
  EXPECT_FALSE(p.quiet_hours.defer);
  ASSERT_EQ(p.caps.size(), 1u);
  EXPECT_EQ(p.caps[0].per_ms, 7 * 86400000LL);
  EXPECT_EQ(p.max_actions_per_moment, 2);
  EXPECT_EQ(p.exclusion_period_ms, 3 * 86400000LL);
  EXPECT_FALSE(p.unknown_consent_allowed);
  EXPECT_EQ(p.experiment_salts.at("spring"), "s1");
  auto bad = LoadConfigFromString("policy:\n  caps: [{name: weekly, max: 3}]\n", "/tmp/t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/tmp/t.yaml:2:10: error: policy.caps"), std::string::npos)
      << bad.status().message();
  auto zone = LoadConfigFromString("policy: {default_time_zone: Mars/Olympus}\n", "/tmp/t.yaml");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.status().message().find("unknown time zone"), std::string::npos);
}

}  // namespace
}  // namespace touchstream::engine
