// The replay diff (engine/workbench/replay_diff.h) on a small history whose every difference
// is computed by hand: a removed rule, an added one, a changed message, and the knock-on of the
// added rule on an unchanged one through the weekly cap.
#include "engine/workbench/replay_diff.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rules/loader.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

constexpr const char* kBefore = R"Y(
- id: reminder
  version: "1"
  trigger: {event: login}
  actions: [{emit: {kind: nudge, channel: email, template: "Come back"}}]
- id: thanks
  version: "1"
  category: service
  trigger: {event: purchase}
  actions: [{emit: {kind: notice, channel: email, template: "Thanks"}}]
- id: old
  version: "1"
  trigger: {event: view}
  actions: [{emit: {kind: nudge, channel: push, template: "Look"}}]
)Y";

constexpr const char* kAfter = R"Y(
- id: reminder
  version: "1"
  trigger: {event: login}
  actions: [{emit: {kind: nudge, channel: email, template: "Come back"}}]
- id: thanks
  version: "2"
  category: service
  trigger: {event: purchase}
  actions: [{emit: {kind: notice, channel: email, template: "Thank you"}}]
- id: promo
  version: "1"
  trigger: {event: purchase}
  actions: [{emit: {kind: offer, channel: email, template: "Sale"}}]
)Y";

class ReplayDiffTest : public ReplayFixture {
 protected:
  void SetUp() override {
    ReplayFixture::SetUp();
    Config(R"Y(
policy:
  caps: [{name: weekly, max: 1, per: 7d, categories: [marketing]}]
)Y");
    std::ofstream out(dir_ / "events.jsonl");
    for (const std::string& e :
         {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":10.0})"),
          Event("e2", "c1", "login", "2026-01-02T10:00:00Z"),
          Event("e3", "c2", "login", "2026-01-02T11:00:00Z"),
          Event("e5", "c3", "purchase", "2026-01-03T12:00:00Z", R"({"amount":5.0})"),
          // After c2's reminder has left the weekly window.
          Event("e4", "c2", "view", "2026-01-10T12:00:00Z")}) {
      out << e << "\n";
    }
  }

  std::shared_ptr<const rules::RuleSet> Rules(const char* yaml) {
    auto loaded = rules::LoadRulesFromString(yaml, "rules.yaml", config_.rule_environment);
    EXPECT_TRUE(loaded.ok());
    return loaded.rule_set;
  }

  ReplayDiff Diff(bool concurrent) {
    ReplayDiffOptions options;
    options.events_path = (dir_ / "events.jsonl").string();
    options.concurrent = concurrent;
    std::ostringstream errors;
    options.errors = &errors;
    auto diff = DiffReplays(config_, Rules(kBefore), Rules(kAfter), options);
    EXPECT_TRUE(diff.ok()) << diff.status().ToString();
    EXPECT_EQ(errors.str(), "");
    return diff.ok() ? *diff : ReplayDiff{};
  }
};

// Every rule's counts, customers and sample, as the text a marketer reads: promo's weekly-cap
// slot suppresses c1's reminder (shown under the unchanged rule, with cap:weekly).
TEST_F(ReplayDiffTest, AddedRemovedChangedAndKnockOnExactly) {
  std::ostringstream text;
  PrintReplayDiff(Diff(true), text);
  EXPECT_EQ(text.str(), R"(Replayed 5 events: 5 -> 5 actions, 5 -> 6 decisions

rule old: removed (version 1)
  actions: 1 -> 0
  decisions: FIRED fired 1 -> 0
  customers: 0 newly get it, 1 no longer get it, 0 get it differently, 0 decided differently
  c2 (no longer gets it)
    before: FIRED fired 2026-01-10T12:00:00Z push: "Look"
    after:  no decision

rule promo: added (version 1)
  actions: 0 -> 2
  decisions: FIRED fired 0 -> 2
  customers: 2 newly get it, 0 no longer get it, 0 get it differently, 0 decided differently
  c1 (newly gets it)
    before: no decision
    after:  FIRED fired 2026-01-01T10:00:00Z email: "Sale"
  c3 (newly gets it)
    before: no decision
    after:  FIRED fired 2026-01-03T12:00:00Z email: "Sale"

rule reminder: unchanged, affected through the delivery policy
  actions: 2 -> 1
  decisions: FIRED fired 2 -> 1; SUPPRESSED cap:weekly 0 -> 1
  customers: 0 newly get it, 1 no longer get it, 0 get it differently, 0 decided differently
  c1 (no longer gets it)
    before: FIRED fired 2026-01-02T10:00:00Z email: "Come back"
    after:  SUPPRESSED cap:weekly 2026-01-02T10:00:00Z

rule thanks: changed (version 1 -> 2)
  actions: 2 -> 2
  decisions: FIRED fired 2 -> 2
  customers: 0 newly get it, 0 no longer get it, 2 get it differently, 0 decided differently
  c1 (gets it differently)
    before: FIRED fired 2026-01-01T10:00:00Z email: "Thanks"
    after:  FIRED fired 2026-01-01T10:00:00Z email: "Thank you"
  c3 (gets it differently)
    before: FIRED fired 2026-01-03T12:00:00Z email: "Thanks"
    after:  FIRED fired 2026-01-03T12:00:00Z email: "Thank you"
)");
}

// The JSON form carries the same facts, and the sequential run gives the same diff.
TEST_F(ReplayDiffTest, JsonFormAndSequentialRunAgree) {
  const std::string json = ReplayDiffToJson(Diff(false));
  EXPECT_EQ(json, ReplayDiffToJson(Diff(true)));
  const auto parsed = nlohmann::json::parse(json);
  ASSERT_EQ(parsed["rules"].size(), 4u);
  const auto& reminder = parsed["rules"][2];
  EXPECT_EQ(reminder["rule_id"], "reminder");
  EXPECT_EQ(reminder["status"], "unchanged");
  EXPECT_EQ(reminder["differs"], true);
  EXPECT_EQ(reminder["decisions"]["after"]["SUPPRESSED cap:weekly"], 1);
  EXPECT_EQ(reminder["customers"]["no_longer_get_it"], 1);
  EXPECT_EQ(reminder["sample"][0]["customer_id"], "c1");
  EXPECT_EQ(reminder["sample"][0]["before"]["outcome"], "FIRED");
  EXPECT_EQ(reminder["sample"][0]["after"]["reason"], "cap:weekly");
  EXPECT_EQ(reminder["sample"][0]["after"]["ts"], "2026-01-02T10:00:00Z");
  EXPECT_EQ(parsed["before"]["events"], 5);
  EXPECT_EQ(parsed["after"]["decisions"], 6);
}

// The same rules on both sides differ nowhere, and the sample is cut to sample_size.
TEST_F(ReplayDiffTest, IdenticalRulesNoDifferenceAndSampleCut) {
  ReplayDiffOptions options;
  options.events_path = (dir_ / "events.jsonl").string();
  auto same = DiffReplays(config_, Rules(kBefore), Rules(kBefore), options);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  std::ostringstream text;
  PrintReplayDiff(*same, text);
  EXPECT_EQ(text.str(),
            "Replayed 5 events: 5 -> 5 actions, 5 -> 5 decisions\n\n"
            "no difference: old reminder thanks\n");
  options.sample_size = 1;
  auto cut = DiffReplays(config_, Rules(kBefore), Rules(kAfter), options);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->rules[1].rule_id, "promo");
  EXPECT_EQ(cut->rules[1].customers_new, 2);
  ASSERT_EQ(cut->rules[1].sample.size(), 1u);
  EXPECT_EQ(cut->rules[1].sample[0].customer_id, "c1");
}

}  // namespace
}  // namespace touchstream::engine
