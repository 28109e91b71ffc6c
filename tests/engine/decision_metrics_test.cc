// touchstream_decisions_total through Replay: one count per decision, by rule, outcome and
// reason code (a cap's name kept, an error's detail trimmed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/config/config.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/replay.h"
#include "rules/loader.h"
#include "state/in_memory_store.h"
#include "tests/testing/builders.h"
#include "tests/testing/temp_dir.h"

namespace touchstream::engine {
namespace {

// touchstream_decisions_total{rule, outcome, reason} as "rule outcome reason" -> value.
std::map<std::string, double> DecisionCounts(const EngineMetrics& metrics) {
  std::map<std::string, double> counts;
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != "touchstream_decisions_total") continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& label : metric.label) labels[label.name] = label.value;
      EXPECT_EQ(labels.size(), 3u);
      counts[labels["rule"] + " " + labels["outcome"] + " " + labels["reason"]] =
          metric.counter.value;
    }
  }
  return counts;
}

std::string Ev(const std::string& id, const std::string& type, const std::string& ts,
               const std::string& properties = "{}") {
  return test::EventJson(id, "c1", type, ts, properties);
}

// A login fires `offer`; the next day's login is capped (cap:weekly); `ratio` fails at run time
// on every login (eval_error, whatever the message); `held` holds everyone out.
TEST(EngineDecisionMetricsTest, CountsEveryDecisionByRuleOutcomeAndReasonCode) {
  const test::TempDir temp_dir("touchstream-decision-metrics");
  const std::filesystem::path& dir = temp_dir.path();
  auto config = LoadConfigFromString(
      "policy:\n  caps: [{name: weekly, max: 1, per: 7d, categories: [marketing]}]\n",
      (dir / "touchstream.yaml").string());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto loaded = rules::LoadRulesFromString(R"Y(
- id: offer
  trigger: {event: login}
  actions: [{emit: {kind: offer, channel: email, template: "Hi"}}]
- id: ratio
  trigger: {event: login}
  condition: 10 / event.properties.n > 1
  actions: [{emit: {kind: offer, channel: email, template: "Never"}}]
- id: held
  category: operational
  holdout: {percent: 100}
  trigger: {event: login}
  actions: [{emit: {kind: alert, channel: crm, template: "Held"}}]
)Y",
                                           "rules.yaml", config->rule_environment);
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors.front().ToString());
  {
    std::ofstream out(dir / "events.jsonl");
    out << Ev("e1", "login", "2026-01-01T10:00:00Z", R"({"n": 0})") << "\n"
        << Ev("e2", "login", "2026-01-02T10:00:00Z", R"({"n": 0})") << "\n";
  }
  ReplayOptions options;
  options.events_path = (dir / "events.jsonl").string();
  options.actions_out = (dir / "actions.jsonl").string();
  std::ostringstream errors;
  options.errors = &errors;
  EngineMetrics metrics;
  auto store = state::NewInMemoryStore();
  auto stats = Replay(*config, loaded.rule_set, store.get(), &metrics, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  const std::map<std::string, double> expected = {
      {"held held_out holdout", 2},
      {"offer fired fired", 1},
      {"offer suppressed cap:weekly", 1},
      {"ratio not_matched eval_error", 2},
  };
  EXPECT_EQ(DecisionCounts(metrics), expected);
}

}  // namespace
}  // namespace touchstream::engine
