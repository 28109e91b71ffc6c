// Explain (engine/workbench/explain.h) on a small history computed by hand: the timeline of
// one customer with the values the deciding comparisons read, the delivery policy's decision
// in words, and the verdict.
#include "engine/workbench/explain.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rules/loader.h"
#include "tests/engine/replay_fixture.h"

namespace touchstream::engine {
namespace {

constexpr const char* kRules = R"Y(
- id: big-spender
  version: "1"
  trigger: {event: purchase}
  condition: customer.aggregates.total_spend >= 200.0 && event.properties.amount > 50.0
  actions: [{emit: {kind: offer, channel: email, template: "Thanks, big spender"}}]
- id: reminder
  version: "1"
  trigger: {event: login}
  actions: [{emit: {kind: nudge, channel: email, template: "Come back"}}]
)Y";

class ExplainTest : public ReplayFixture {
 protected:
  void SetUp() override {
    ReplayFixture::SetUp();
    Config(R"Y(
policy:
  caps: [{name: weekly, max: 1, per: 7d, categories: [marketing]}]
)Y");
    std::ofstream out(dir_ / "events.jsonl");
    for (const std::string& e :
         {Event("e1", "c1", "purchase", "2026-01-01T10:00:00Z", R"({"amount":120.0})"),
          Event("e2", "c2", "purchase", "2026-01-01T11:00:00Z", R"({"amount":300.0})"),
          Event("e3", "c1", "purchase", "2026-01-02T10:00:00Z", R"({"amount":100.0})"),
          Event("e4", "c1", "login", "2026-01-03T10:00:00Z")}) {
      out << e << "\n";
    }
    auto loaded = rules::LoadRulesFromString(kRules, "rules.yaml", config_.rule_environment);
    ASSERT_TRUE(loaded.ok());
    rules_ = loaded.rule_set;
  }

  Explanation Explain(const std::string& customer, const std::string& rule) {
    ExplainOptions options;
    options.events_path = (dir_ / "events.jsonl").string();
    options.customer_id = customer;
    options.rule_id = rule;
    auto explained = ExplainCustomer(config_, rules_, options);
    EXPECT_TRUE(explained.ok()) << explained.status().ToString();
    return explained.ok() ? *explained : Explanation{};
  }

  std::shared_ptr<const rules::RuleSet> rules_;
};

// c1: the first purchase leaves total_spend at 120 (< 200: the && fails there, the amount is
// not shown); the second reaches 220 and 100 > 50, so it sends; the login's reminder then
// finds the weekly cap full.
TEST_F(ExplainTest, TimelineWithComparisonValuesPolicyAndVerdict) {
  std::ostringstream text;
  PrintExplanation(Explain("c1", ""), text);
  EXPECT_EQ(text.str(),
            "2026-01-01T10:00:00Z event purchase (e1)\n"
            "2026-01-01T10:00:00Z   rule big-spender (event:purchase) listened: its condition did "
            "not hold (customer.aggregates.total_spend = 120 >= 200: false), so nothing was "
            "decided\n"
            "2026-01-02T10:00:00Z event purchase (e3)\n"
            "2026-01-02T10:00:00Z   rule big-spender (event:purchase) listened: its condition "
            "held (customer.aggregates.total_spend = 220 >= 200: true; event.properties.amount = "
            "100 > 50: true), then sent on email: \"Thanks, big spender\"\n"
            "2026-01-03T10:00:00Z event login (e4)\n"
            "2026-01-03T10:00:00Z   rule reminder (event:login) listened: it had no condition to "
            "test, then not sent: the customer's weekly cap was full\n"
            "c1 got 1 message from the rules: big-spender on email at 2026-01-02T10:00:00Z\n");
}

// One rule only: its runs, and a verdict about it; the JSON form has the same facts.
TEST_F(ExplainTest, OneRuleVerdictAndJson) {
  const Explanation e = Explain("c1", "reminder");
  EXPECT_EQ(e.verdict,
            "c1 never got reminder: the last time, rule reminder (event:login) listened: it had "
            "no condition to test, then not sent: the customer's weekly cap was full");
  const auto json = nlohmann::json::parse(ExplanationToJson(e));
  ASSERT_EQ(json["timeline"].size(), 4u);  // three events, one run of reminder
  EXPECT_EQ(json["timeline"][3]["rule_id"], "reminder");
  EXPECT_EQ(json["timeline"][3]["decision"]["outcome"], "SUPPRESSED");
  EXPECT_EQ(json["timeline"][3]["decision"]["reason"], "cap:weekly");
  EXPECT_EQ(json["customer_id"], "c1");
}

// An unknown rule id is refused by name; a customer without events gets a plain verdict.
TEST_F(ExplainTest, UnknownRuleAndUnknownCustomer) {
  ExplainOptions options;
  options.events_path = (dir_ / "events.jsonl").string();
  options.customer_id = "c1";
  options.rule_id = "nope";
  auto refused = ExplainCustomer(config_, rules_, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("no rule 'nope'"), std::string::npos);
  EXPECT_EQ(Explain("c9", "").verdict, "c9 never got a message: no rule listened to their events");
}

// A customer id that is not UTF-8 (typed on the command line) is written to JSON with U+FFFD;
// `explain --json` used to abort on it.
TEST_F(ExplainTest, JsonOfAnIdThatIsNotUtf8) {
  const auto json = nlohmann::json::parse(ExplanationToJson(Explain("\xff\xfe", "")));
  EXPECT_EQ(json["customer_id"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace touchstream::engine
