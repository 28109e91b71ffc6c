// Measured impact: conversions attributed to the last qualifying decision of each rule, the
// per-(rule, arm) counters in the store and in Prometheus, the `report impact` output, and
// conversion parsing. Decisions of both arms are fed to the tracker directly; replay covers
// FIRED decisions end to end.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "base/time_format.h"
#include "engine/impact/impact_report.h"
#include "engine/impact/impact_tracker.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "tests/engine/replay_fixture.h"
#include "tests/testing/builders.h"

namespace touchstream::engine {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
const int64_t kT0 = *ParseRfc3339Ms("2026-03-01T10:00:00Z");

constexpr char kRules[] = R"(
- id: winback
  version: "1"
  trigger: {event: login}
  actions: [{tag: winback}]
  conversion:
    event: purchase
    condition: "event.properties.amount > 0"
    within: 7d
    value: "event.properties.amount"
- id: plain
  version: "1"
  trigger: {event: login}
  actions: [{tag: plain}]
)";

std::shared_ptr<const rules::RuleSet> Load(const std::string& yaml) {
  auto loaded = rules::LoadRulesFromString(yaml, "rules.yaml", rules::RuleEnvironment());
  EXPECT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().ToString());
  return loaded.rule_set;
}

// The value of a counter family for (rule, arm); -1 when absent.
double CounterValue(const EngineMetrics& metrics, const std::string& name, const std::string& rule,
                    const std::string& arm) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::string r, a;
      for (const auto& label : metric.label) {
        if (label.name == "rule") r = label.value;
        if (label.name == "arm") a = label.value;
      }
      if (r == rule && a == arm) return metric.counter.value;
    }
  }
  return -1;
}

class EngineImpactTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override { tracker_.SetRules(Load(kRules)); }

  v1::CustomerState& Customer(const std::string& id) {
    v1::CustomerState& state = customers_[id];
    state.set_customer_id(id);
    return state;
  }

  // One step with a decision of `rule` for `customer` at kT0 + at_ms.
  void Decide(const std::string& customer, const std::string& rule, v1::Decision::Outcome outcome,
              int64_t at_ms, const std::string& arm) {
    v1::Decision d;
    d.set_decision_id(rule + "/" + customer + "@" + std::to_string(at_ms));
    d.set_customer_id(customer);
    d.set_rule_id(rule);
    d.set_outcome(outcome);
    d.set_ts_ms(kT0 + at_ms);
    d.set_experiment_arm(arm);
    if (outcome == v1::Decision::FIRED) d.set_action_id("action-" + d.decision_id());
    tracker_.OnDecision(d);
    tracker_.Attribute(&Customer(customer));
  }

  // One step with an input purchase of `amount` at kT0 + at_ms.
  void Purchase(const std::string& customer, int64_t at_ms, double amount) {
    const v1::TouchpointEvent event = test::EventBuilder(customer, "purchase", kT0 + at_ms)
                                          .Id("p@" + std::to_string(at_ms))
                                          .Double("amount", amount);
    tracker_.OnEvent(event, kT0 + at_ms, &Customer(customer));
    tracker_.Attribute(&Customer(customer));
  }

  std::string Report(bool json) {
    state::CommitBatch batch;
    tracker_.TakeInto(&batch);
    EXPECT_TRUE(store_->Commit(batch, nullptr).ok());
    std::ostringstream out;
    EXPECT_TRUE(WriteImpactReport(store_.get(), json, out).ok());
    return out.str();
  }

  EngineMetrics metrics_;
  rules::Evaluator evaluator_;
  ImpactTracker tracker_{&metrics_, &evaluator_, nullptr};
  std::map<std::string, v1::CustomerState> customers_;
  std::unique_ptr<state::StateStore> store_ = state::NewInMemoryStore();
};

// Overlapping windows in both arms: a conversion goes to the last qualifying decision, once
// per decision, only inside [decision, decision + within]; replaced decisions never convert;
// other outcomes and rules without a conversion are not counted. Exact counts in the store,
// the report and Prometheus.
TEST_F(EngineImpactTrackerTest, AttributesConversionsToTheLastDecisionPerArm) {
  // Treatment customer c-1.
  Decide("c-1", "winback", v1::Decision::FIRED, 0, "");                  // D1
  Purchase("c-1", 1 * kDay, 10);                                         // converts D1 (10)
  Purchase("c-1", 2 * kDay, 20);                                         // D1 converted already
  Decide("c-1", "winback", v1::Decision::FIRED, 3 * kDay, "treatment");  // D2 replaces D1
  Decide("c-1", "winback", v1::Decision::FIRED, 4 * kDay, "treatment");  // D3 replaces D2
  Purchase("c-1", 5 * kDay, 0);       // condition false: D3 stays open
  Purchase("c-1", 11 * kDay + 1, 5);  // after D3's window (4d + 7d): dropped, not counted
  EXPECT_TRUE(Customer("c-1").impact_attributions().empty());
  Decide("c-1", "winback", v1::Decision::SUPPRESSED, 12 * kDay, "");  // not qualifying
  Decide("c-1", "plain", v1::Decision::FIRED, 12 * kDay, "");         // no conversion
  Purchase("c-1", 12 * kDay + kHour, 7);                              // nothing to convert
  // Holdout customer c-2.
  Decide("c-2", "winback", v1::Decision::HELD_OUT, kDay, "holdout");  // H1
  Purchase("c-2", kDay - kHour, 99);                                  // before H1: not counted
  Purchase("c-2", 8 * kDay, 30);  // exactly at the end of H1's window: converts (30)
  // Holdout customer c-3: decided, never converted.
  Decide("c-3", "winback", v1::Decision::HELD_OUT, kDay, "holdout");
  Purchase("c-3", 9 * kDay, 12);  // after the window

  const v1::ImpactAttribution& h1 = Customer("c-2").impact_attributions().at("winback");
  EXPECT_EQ(h1.arm(), "holdout");
  EXPECT_TRUE(h1.converted());
  EXPECT_EQ(h1.decision_id(), "winback/c-2@" + std::to_string(kDay));

  EXPECT_EQ(Report(false),
            "rule                     arm        decisions       sent  converted     rate        "
            "  value\n"
            "winback                  treatment          3          3          1   33.33%         "
            " 10.00\n"
            "winback                  holdout            2          0          1   50.00%         "
            " 30.00\n"
            "  lift: -16.67 pp (95% CI -65.48 .. +44.58 pp), relative -33.3%\n");
  std::ostringstream json;
  ASSERT_TRUE(WriteImpactReport(store_.get(), true, json).ok());
  EXPECT_EQ(json.str(),
            R"({"rules":[{"rule":"winback","arms":{"treatment":{"decisions":3,"sent":3,)"
            R"("converted":1,"conversion_value":10,"rate":0.333333},"holdout":{"decisions":2,)"
            R"("sent":0,"converted":1,"conversion_value":30,"rate":0.5}},"lift":{"absolute":)"
            R"(-0.166667,"relative":-0.333333,"ci95_low":-0.654829,"ci95_high":0.445781}}]})"
            "\n");
  EXPECT_EQ(CounterValue(metrics_, "touchstream_rule_decisions_total", "winback", "treatment"), 3);
  EXPECT_EQ(CounterValue(metrics_, "touchstream_rule_conversions_total", "winback", "holdout"), 1);
  EXPECT_EQ(
      CounterValue(metrics_, "touchstream_rule_conversion_value_total", "winback", "treatment"),
      10);
  EXPECT_EQ(CounterValue(metrics_, "touchstream_rule_decisions_total", "plain", "treatment"), -1);

  // Counters taken once: a second report adds nothing.
  state::CommitBatch again;
  tracker_.TakeInto(&again);
  EXPECT_TRUE(again.empty());
}

// A customer keeps at most kMaxImpactAttributions attributions; the oldest go first.
TEST_F(EngineImpactTrackerTest, AttributionsAreBounded) {
  std::string yaml;
  for (int i = 0; i < kMaxImpactAttributions + 2; ++i) {
    yaml += "- id: r" + std::to_string(i) +
            "\n  trigger: {event: login}\n  actions: [{tag: x}]\n"
            "  conversion: {event: purchase, within: 1d}\n";
  }
  tracker_.SetRules(Load(yaml));
  for (int i = 0; i < kMaxImpactAttributions + 2; ++i) {
    Decide("c-1", "r" + std::to_string(i), v1::Decision::FIRED, i, "");
  }
  const auto& attributions = Customer("c-1").impact_attributions();
  EXPECT_EQ(attributions.size(), static_cast<size_t>(kMaxImpactAttributions));
  EXPECT_FALSE(attributions.count("r0") == 1);
  EXPECT_FALSE(attributions.count("r1") == 1);
  EXPECT_EQ(attributions.count("r2"), 1u);
}

// Conversion mistakes are reported at their position in the rule file, all in one pass.
TEST(EngineConversionParserTest, ReportsErrorsWithPositions) {
  auto loaded = rules::LoadRulesFromString(R"(
- id: r
  trigger: {event: login}
  actions: [{tag: x}]
  conversion: {event: purchase, within: 7d, value: "'ten'", colour: red}
- id: s
  trigger: {event: login}
  actions: [{tag: x}]
  conversion: {event: purchase, condition: "1 + 1"}
)",
                                           "rules.yaml", rules::RuleEnvironment());
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.ToString() + "\n";
  EXPECT_EQ(loaded.errors.size(), 4u) << errors;
  EXPECT_NE(errors.find("rules.yaml:5:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("colour"), std::string::npos) << errors;
  EXPECT_NE(errors.find("conversion value must be a number (int or double), but it is string"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("rules.yaml:9:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("'conversion' needs 'within'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("conversion condition must be a bool expression, but it is int"),
            std::string::npos)
      << errors;
}

using EngineImpactReplayTest = ReplayFixture;

// Replay: FIRED decisions and the purchases after them, through the processor, counted in the
// store exactly as in `run`.
TEST_F(EngineImpactReplayTest, CountsConversionsOfFiredDecisions) {
  auto at = [](int64_t ms) { return FormatRfc3339Ms(kT0 + ms); };
  const auto actions = ReplayActions(
      R"(
- id: cart-nudge
  version: "1"
  trigger: {event: cart_add}
  actions: [{emit: {kind: nudge, channel: push, template: "Still thinking?"}}]
  conversion: {event: purchase, within: 2d, value: "event.properties.amount"}
)",
      {Event("1", "c-1", "cart_add", at(0)),                                     // D1
       Event("2", "c-1", "purchase", at(kHour), R"({"amount": 40})"),            // converts D1
       Event("3", "c-2", "cart_add", at(kHour)),                                 // D2
       Event("4", "c-1", "cart_add", at(kDay)),                                  // D3 replaces D1
       Event("5", "c-1", "purchase", at(kDay + kHour), R"({"amount": 15.5})"),   // converts D3
       Event("6", "c-1", "purchase", at(kDay + 2 * kHour), R"({"amount": 9})"),  // D3 converted
       Event("7", "c-2", "purchase", at(3 * kDay + kHour + 1), R"({"amount": 5})")});  // too late
  EXPECT_EQ(actions.size(), 3u);
  std::ostringstream json;
  ASSERT_TRUE(WriteImpactReport(store_.get(), true, json).ok());
  EXPECT_EQ(json.str(),
            R"({"rules":[{"rule":"cart-nudge","arms":{"treatment":{"decisions":3,"sent":3,)"
            R"("converted":2,"conversion_value":55.5,"rate":0.666667},"holdout":{"decisions":0,)"
            R"("sent":0,"converted":0,"conversion_value":0,"rate":null}},"lift":{"absolute":null,)"
            R"("relative":null,"ci95_low":null,"ci95_high":null}}]})"
            "\n");
  const v1::CustomerState c1 = State("c-1");
  EXPECT_EQ(c1.impact_attributions().at("cart-nudge").decided_ms(), kT0 + kDay);
  EXPECT_TRUE(c1.impact_attributions().at("cart-nudge").converted());
}

}  // namespace
}  // namespace touchstream::engine
